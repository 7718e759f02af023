//! The batched fixed-point kernel against its scalar reference (bit for bit) and against the
//! f64 path (means within their confidence intervals).

mod common;
use common::*;

use regretlab::bandits::arms::Arm;
use regretlab::bandits::kernel::{FixedKernel, FixedRule, Isa};
use regretlab::engine::{default_grid, EngineKind, Trace};
use regretlab::rng::cell_key;

fn check(means: &[f64], t: u64, rule: FixedRule, seed: u64, reps: usize) {
    let arms: Vec<Arm> = means.iter().map(|&p| Arm::Bernoulli { p }).collect();
    let kern = FixedKernel::new(&arms, t, rule, cell_key(seed, 3));
    let grid = default_grid(t);
    let mut a = vec![Trace::new(3, grid.len()); reps];
    kern.run_scalar(0, &grid, &mut a);
    // every lane kernel this CPU can run (AVX-512, AVX2 and the portable one on the dev machine)
    for isa in Isa::available() {
        let mut b = vec![Trace::new(3, grid.len()); reps];
        kern.run_block_on(isa, 0, &grid, &mut b);
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!(x.values == y.values && x.finals == y.finals, "{isa:?}: replication {i} differs (K={}, T={t}, {rule:?}, seed {seed})", means.len());
        }
    }
}

#[test]
fn batched_equals_scalar_on_4096_replications() {
    for seed in [1, 2, 3] {
        check(&B1, 1000, FixedRule::Ucb1 { alpha: 2.0 }, seed, 4096);
        check(&B1, 1000, FixedRule::Moss, seed, 4096);
    }
}

#[test]
fn batched_equals_scalar_across_k_horizons_and_ties() {
    for k in [2usize, 3, 5, 9, 16, 17, 33, 64, 65] {
        let means: Vec<f64> = (0..k).map(|i| ((i * 7) % k) as f64 / k as f64).collect();
        check(&means, 600, FixedRule::Ucb1 { alpha: 2.0 }, k as u64, 256);
        check(&means, 600, FixedRule::Moss, k as u64, 256);
    }
    // all arms tied, and a horizon shorter than K
    check(&[0.5; 6], 3000, FixedRule::Ucb1 { alpha: 2.0 }, 9, 512);
    check(&[0.2, 0.9, 0.4], 2, FixedRule::Ucb1 { alpha: 2.0 }, 9, 40);
}

#[test]
fn fixed_point_means_agree_with_the_f64_path() {
    let spec = b1_spec(
        "fixed-vs-float",
        11,
        2000,
        5000,
        r#", { arms = "bernoulli", means = [0.5, 0.45, 0.45] }"#,
        r#"{ kind = "ucb1", arithmetic = "fixed" }, { kind = "ucb1" }, { kind = "moss", arithmetic = "fixed" }, { kind = "moss" }"#,
    );
    let d = tmp("fixed-vs-float");
    run_text(&spec, d.clone(), EngineKind::Rayon, 0);
    let mut r = csv::Reader::from_path(d.join("summary.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).filter(|x| &x[3] == "pseudo_regret").collect();
    for cell in rows.iter().map(|x| x[0].to_string()).collect::<std::collections::BTreeSet<_>>() {
        for (f, g) in [("UCB1-fixed", "UCB1"), ("MOSS-fixed", "MOSS")] {
            let get = |p: &str| rows.iter().find(|x| x[0] == *cell && &x[2] == p).map(|x| (x[6].parse::<f64>().unwrap(), x[7].parse::<f64>().unwrap() / 2000f64.sqrt())).unwrap();
            let ((m1, s1), (m2, s2)) = (get(f), get(g));
            // Same reward table (common random numbers) and nearly the same decisions: the paired
            // difference is far smaller than this unpaired 4-s.e. tolerance.
            assert!((m1 - m2).abs() < 4.0 * (s1 * s1 + s2 * s2).sqrt(), "{cell} {f} {m1} vs {g} {m2}");
        }
    }
}
