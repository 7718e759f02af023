//! The batched fixed-point kernel against its scalar reference (bit for bit) and against the
//! f64 path (means within their confidence intervals).

mod common;
use common::*;

use regretlab::engine::{EngineKind, Trace, default_grid};
use regretlab::kernels::Isa;
use regretlab::kernels::bandit::{FixedKernel, FixedRule};
use regretlab::rng::cell_key;
use regretlab::settings::bandit::arms::Arm;

fn check(means: &[f64], t: u64, rule: FixedRule, seed: u64, reps: usize) {
    check_arms(&means.iter().map(|&p| Arm::Bernoulli { p }).collect::<Vec<_>>(), t, rule, seed, reps)
}

fn check_arms(arms: &[Arm], t: u64, rule: FixedRule, seed: u64, reps: usize) {
    let means = arms;
    let kern = FixedKernel::new(arms, t, rule, cell_key(seed, 3));
    let grid = default_grid(t);
    let mut a = vec![Trace::new(3, grid.len()); reps];
    kern.run_scalar(0, &grid, &mut a);
    // every lane kernel this CPU can run (AVX-512, AVX2 and the portable one on the dev machine)
    for isa in Isa::available() {
        let mut b = vec![Trace::new(3, grid.len()); reps];
        kern.run_block_on(isa, 0, &grid, &mut b);
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!(
                x.values == y.values && x.finals == y.finals,
                "{isa:?}: replication {i} differs (K={}, T={t}, {rule:?}, seed {seed})",
                means.len()
            );
        }
    }
}

#[test]
fn batched_equals_scalar_on_4096_replications() {
    for seed in [1, 2, 3] {
        check(&B1, 1000, FixedRule::Ucb1 { alpha: 2.0 }, seed, 4096);
        check(&B1, 1000, FixedRule::Moss, seed, 4096);
        check(&B1, 1000, FixedRule::UcbV { zeta: 1.2, c: 1.0, b: 1.0 }, seed, 4096);
        check(&B1, 1000, FixedRule::Etc { m: 20 }, seed, 4096);
        check(&B1, 1000, FixedRule::EpsGreedy { epsilon: Some(0.05), c: 0.0, d: 0.0, tag: 3 }, seed, 4096);
        check(&B1, 1000, FixedRule::KlUcb { c: 0.0 }, seed, 4096);
    }
}

#[test]
fn gaussian_batched_equals_scalar() {
    let rules = |k: usize| {
        [
            FixedRule::Ucb1 { alpha: 2.0 },
            FixedRule::Moss,
            FixedRule::Etc { m: 30 },
            FixedRule::EpsGreedy { epsilon: Some(0.05), c: 0.0, d: 0.0, tag: 3 },
            FixedRule::EpsGreedy { epsilon: None, c: 2.0, d: 0.2, tag: 4 },
            FixedRule::Etc { m: 1000 / k as u64 }, // explores to the horizon
        ]
    };
    let b1g: Vec<Arm> = B1.iter().map(|&m| Arm::Gaussian { mean: m, sd: 1.0 }).collect();
    for seed in [1, 2] {
        for rule in rules(10) {
            check_arms(&b1g, 1000, rule, seed, 4096);
        }
    }
    // K from 2 to 64, negative and tied means, unequal and tiny sds
    for k in [2usize, 5, 16, 33, 64] {
        let arms: Vec<Arm> = (0..k)
            .map(|i| Arm::Gaussian { mean: -1.0 + ((i * 7) % k) as f64 / k as f64, sd: 0.01 + (i % 3) as f64 })
            .collect();
        for rule in rules(k) {
            check_arms(&arms, 1000, rule, k as u64, 256);
        }
    }
    check_arms(&vec![Arm::Gaussian { mean: 0.0, sd: 1.0 }; 4], 2000, FixedRule::Ucb1 { alpha: 2.0 }, 5, 256);
    check_arms(
        &[
            Arm::Gaussian { mean: 3.0, sd: 0.5 },
            Arm::Gaussian { mean: 2.0, sd: 4.0 },
            Arm::Gaussian { mean: -9.0, sd: 1.0 },
        ],
        2,
        FixedRule::Moss,
        6,
        40,
    );
}

#[test]
fn batched_equals_scalar_across_k_horizons_and_ties() {
    for k in [2usize, 3, 5, 9, 16, 17, 33, 64, 65] {
        let means: Vec<f64> = (0..k).map(|i| ((i * 7) % k) as f64 / k as f64).collect();
        check(&means, 600, FixedRule::Ucb1 { alpha: 2.0 }, k as u64, 256);
        check(&means, 600, FixedRule::Moss, k as u64, 256);
        check(&means, 600, FixedRule::UcbV { zeta: 1.0, c: 0.5, b: 1.0 }, k as u64, 256);
        check(&means, 600, FixedRule::Etc { m: 600 / k as u64 / 2 }, k as u64, 256);
        check(&means, 600, FixedRule::EpsGreedy { epsilon: None, c: 2.0, d: 0.2, tag: 7 }, k as u64, 256);
        check(&means, 600, FixedRule::KlUcb { c: 3.0 }, k as u64, 256);
    }
    // all arms tied, and a horizon shorter than K
    check(&[0.5; 6], 3000, FixedRule::Ucb1 { alpha: 2.0 }, 9, 512);
    check(&[0.2, 0.9, 0.4], 2, FixedRule::Ucb1 { alpha: 2.0 }, 9, 40);
    check(&[0.5; 6], 3000, FixedRule::KlUcb { c: 0.0 }, 9, 512);
    // a long horizon: the lanes' level cache walks through many grid steps
    check(&[0.3, 0.32, 0.7, 0.69], 200_000, FixedRule::KlUcb { c: 0.0 }, 4, 64);
}

#[test]
fn fixed_point_means_agree_with_the_f64_path() {
    let spec = b1_spec(
        "fixed-vs-float",
        11,
        2000,
        5000,
        r#", { arms = "bernoulli", means = [0.5, 0.45, 0.45] }"#,
        r#"{ kind = "ucb1", arithmetic = "fixed" }, { kind = "ucb1" }, { kind = "moss", arithmetic = "fixed" }, { kind = "moss" },
           { kind = "epsilon_greedy", epsilon = 0.05, arithmetic = "fixed" }, { kind = "epsilon_greedy", epsilon = 0.05 },
           { kind = "ucb_v", arithmetic = "fixed" }, { kind = "ucb_v" },
           { kind = "kl_ucb", arithmetic = "fixed" }, { kind = "kl_ucb" }"#,
    );
    let d = tmp("fixed-vs-float");
    run_text(&spec, d.clone(), EngineKind::Rayon, 0);
    let finals = final_pseudo_regret(&d);
    let cells: std::collections::BTreeSet<String> = finals.keys().map(|k| k.0.clone()).collect();
    for cell in cells {
        for (f, g) in [
            ("UCB1-fixed", "UCB1"),
            ("MOSS-fixed", "MOSS"),
            ("UCB-V-fixed", "UCB-V"),
            ("eps-greedy-fixed", "eps-greedy"),
            ("KL-UCB-fixed", "KL-UCB"),
        ] {
            let (x, y) = (&finals[&(cell.clone(), f.to_string())], &finals[&(cell.clone(), g.to_string())]);
            // Paired on common random numbers: the two arithmetics take the same decisions except
            // at near-ties, so the mean difference must be within 5 paired standard errors of 0
            // (plus rounding: the kernel sums Σ Δ_k n_k, the f64 path adds Δ per step). For
            // ε-greedy the exploration coins differ between the paths, so this is a test of
            // equal means with the paired standard error, which is still valid.
            let mut w = regretlab::stats::Welford::default();
            x.iter().zip(y).for_each(|(a, b)| w.push(a - b));
            assert!(w.mean.abs() <= 5.0 * w.std_err() + 1e-9, "{cell} {f} - {g}: {} ± {}", w.mean, w.std_err());
            assert_eq!(x.len(), 2000);
        }
    }
}

#[test]
fn gaussian_fixed_point_means_agree_with_the_f64_path() {
    let spec = r#"
name = "gauss-fixed-vs-float"
seed = 11
reps = 2000
horizon = 5000
[bandit]
instances = [{ label = "g10", arms = "gaussian", sd = 1.0, means = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.85] },
             { label = "g3", arms = "gaussian", means = [0.5, 0.3, 0.0], sd = [1.0, 1.0, 2.0] }]
policies = [{ kind = "ucb1", arithmetic = "fixed" }, { kind = "ucb1" }, { kind = "moss", arithmetic = "fixed" }, { kind = "moss" },
            { kind = "epsilon_greedy", epsilon = 0.05, arithmetic = "fixed" }, { kind = "epsilon_greedy", epsilon = 0.05 },
            { kind = "explore_then_commit", m = 50, arithmetic = "fixed" }, { kind = "explore_then_commit", m = 50 }]
"#;
    let d = tmp("gauss-fixed-vs-float");
    run_text(spec, d.clone(), EngineKind::Rayon, 0);
    let finals = final_pseudo_regret(&d);
    let cells: std::collections::BTreeSet<String> = finals.keys().map(|k| k.0.clone()).collect();
    assert_eq!(cells.len(), 2, "{cells:?}");
    for cell in cells {
        for (f, g) in
            [("UCB1-fixed", "UCB1"), ("MOSS-fixed", "MOSS"), ("eps-greedy-fixed", "eps-greedy"), ("ETC-fixed", "ETC")]
        {
            let (x, y) = (&finals[&(cell.clone(), f.to_string())], &finals[&(cell.clone(), g.to_string())]);
            // The environments differ (integer deviate vs the f64 path's 53-bit inverse CDF from
            // two words), so this is an unpaired test of equal means: 5 standard errors.
            let (mut a, mut b) = (regretlab::stats::Welford::default(), regretlab::stats::Welford::default());
            x.iter().for_each(|v| a.push(*v));
            y.iter().for_each(|v| b.push(*v));
            let se = (a.std_err().powi(2) + b.std_err().powi(2)).sqrt();
            assert!(
                (a.mean - b.mean).abs() <= 5.0 * se + 1e-9,
                "{cell} {f} vs {g}: {} vs {} (se {se})",
                a.mean,
                b.mean
            );
        }
    }
}

#[test]
fn fixed_point_etc_takes_exactly_the_f64_decisions() {
    // All arms have n = m at the commitment, so comparing sums in integers and means in f64
    // picks the same arm: per replication, the pseudo-regret agrees to rounding.
    let spec = b1_spec(
        "etc-fixed-vs-float",
        13,
        600,
        4000,
        r#", { arms = "bernoulli", means = [0.5, 0.5, 0.45] }"#,
        r#"{ kind = "explore_then_commit", m = 40, arithmetic = "fixed" }, { kind = "explore_then_commit", m = 40 }"#,
    );
    let d = tmp("etc-fixed-vs-float");
    run_text(&spec, d.clone(), EngineKind::Rayon, 0);
    let rows = final_pseudo_regret(&d);
    let cells: std::collections::BTreeSet<String> = rows.keys().map(|k| k.0.clone()).collect();
    for cell in cells {
        let (x, y) = (&rows[&(cell.clone(), "ETC-fixed".into())], &rows[&(cell.clone(), "ETC".into())]);
        assert_eq!(x.len(), 600);
        for (a, b) in x.iter().zip(y) {
            assert!((a - b).abs() < 1e-6, "{cell}: {a} vs {b}");
        }
    }
}
