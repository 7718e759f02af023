var bv = 0u;
            var pw = vec4<u32>(0u);
            let sig = i64(u64(sg.pad));
            for (var k = 0u; k < K; k++) {
                if ((k & 3u) == 0u) {
                    pw = philox(vec4<u32>(m * NB + (k >> 2u), rep, sg.prole, 0u), key);
                }
                let z = normal_q24(pw[k & 3u]);
                let noise = (((sig * i64(z)) >> 24u) * i64(u64(tab_n[sg.n_off + n[k]].x))) >> 32u;
                let x = u32(i32(ts_mean(s[k], n[k]) + noise)) ^ 0x80000000u;
                if (k == 0u || x > bv) {
                    bv = x;
                    arm = k;
                }
            }