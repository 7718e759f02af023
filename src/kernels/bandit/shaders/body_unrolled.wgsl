
DECLARE
STEP_HEAD
        let slot = arm * WG + lid;
        let th = arms[sg.arm_off + arm];
        let nk = wn[slot] + 1u;
        let sk = ws[slot] + (select(0u, 1u, u < th.x) | th.y);
        wn[slot] = nk;
        ws[slot] = sk;
        let t = tab_n[sg.n_off + nk];
        let mqn = mean_q(sk, nk, t.y);
SELECTS
    }
    for (var k = 0u; k < K; k++) {
        cnt[k * R + i] = wn[k * WG + lid];
        suc[k * R + i] = ws[k * WG + lid];
    }
    STORE
}
