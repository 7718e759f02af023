arm = 0u;
            var best = INDEX0;
            for (var k = 1u; k < K; k++) {
                let v = INDEXK;
                if (v > best) {
                    best = v;
                    arm = k;
                }
            }