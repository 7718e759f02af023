use super::run::run_capped;
use super::*;
use crate::engine::{GpuControl, Trace};
use crate::gpu;
use crate::kernels::bandit::FixedRule;

#[test]
fn batches_over_the_cap_split_into_launches_with_the_same_bits() {
    let Ok(ctx) = gpu::context() else {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true and no GPU adapter");
        return;
    };
    let arms: Vec<crate::settings::bandit::arms::Arm> =
        [0.2, 0.5, 0.45].iter().map(|&p| crate::settings::bandit::arms::Arm::Bernoulli { p }).collect();
    let kerns: Vec<FixedKernel> =
        (0..3).map(|c| FixedKernel::new(&arms, 300 + 100 * c, FixedRule::Moss, crate::rng::cell_key(5, c))).collect();
    let grids: Vec<Vec<u64>> = kerns.iter().map(|k| crate::engine::default_grid(k.horizon)).collect();
    let sizes = [50usize, 7, 31];
    let mut want: Vec<Vec<Trace>> = Vec::new();
    for ((k, g), &n) in kerns.iter().zip(&grids).zip(&sizes) {
        let mut a = vec![Trace::new(3, g.len()); n];
        k.run_scalar(9, g, &mut a);
        want.push(a);
    }
    // caps that cut inside parts, at part boundaries, and one replication per launch
    for cap in [1, 7, 20, 57, 1000] {
        let mut got: Vec<Vec<Trace>> =
            grids.iter().zip(&sizes).map(|(g, &n)| vec![Trace::new(3, g.len()); n]).collect();
        let mut parts: Vec<GpuBatchPart> = kerns
            .iter()
            .zip(&grids)
            .zip(got.iter_mut())
            .map(|((kern, grid), out)| GpuBatchPart { kern, first_rep: 9, grid, out })
            .collect();
        run_capped(&mut parts, ctx.int64, GpuLayout::Auto, &GpuControl::none(), cap).unwrap();
        for (a, b) in want.iter().zip(&got) {
            for (x, y) in a.iter().zip(b) {
                assert!(x.values == y.values && x.finals == y.finals, "cap {cap}");
            }
        }
    }
}

#[test]
fn reciprocal_estimate_is_at_most_one_below() {
    for n in (1u32..5000).chain([1 << 20, (1 << 25) - 1, 33_554_431, 9_999_991]) {
        let rn = reciprocal(n);
        let e = 31 - n.leading_zeros();
        for s in [0, 1, n / 3, n / 2, n - 1, n] {
            let q0 = ((s as u64 * rn as u64) >> (4 + e)) as u32;
            let q = (((s as u64) << 28) / n as u64) as u32;
            assert!(q0 == q || q0 + 1 == q, "n {n} s {s}: {q0} vs {q}");
        }
    }
}
