
    var n: array<u32, K>;
    var s: array<STYPE, K>;
    var mq: array<u32, K>;
    var b: array<u32, K>;
    for (var k = 0u; k < K; k++) {
        n[k] = cnt[k * R + i];
        s[k] = sload(k * R + i);
        b[k] = 0u;
        mq[k] = 0u;
        if (n[k] > 0u) {
            let t = tab_n[sg.n_off + n[k]];
            b[k] = t.x;
            mq[k] = mean(s[k], n[k], t.y);
        }
    }
STEP_HEAD
        let nk = n[arm] + 1u;
        let sk = s[arm] + reward(arms[sg.arm_off + arm], u);
        n[arm] = nk;
        s[arm] = sk;
        let t = tab_n[sg.n_off + nk];
        b[arm] = t.x;
        mq[arm] = mean(sk, nk, t.y);
        UPDATE
    }
    for (var k = 0u; k < K; k++) {
        cnt[k * R + i] = n[k];
        sstore(k * R + i, s[k]);
    }
    STORE
}
