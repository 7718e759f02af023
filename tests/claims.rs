//! What the theory says about the classical bandit, checked on the engine's output at reduced
//! size (fixed seeds, deterministic).
//!
//! - Auer, Cesa-Bianchi & Fischer (2002), Thm 1: UCB1's expected regret is below
//!   Σ 8 ln t / Δ + (1 + π²/3) Σ Δ at every t.
//! - Lai & Robbins (1985) and the asymptotic optimality of KL-UCB (Garivier & Cappé 2011) and
//!   Thompson sampling (Kaufmann et al. 2012): on B1 both end far below UCB1 (paired, common
//!   random numbers) and their regret per ln t is within a small factor of the Lai–Robbins constant.
//! - Invariants: pseudo-regret ≥ 0 and non-decreasing in t; the optimal fraction is in [0, 1].

mod common;
use common::*;

use regretlab::engine::EngineKind;
use regretlab::results::{CurveRow, read_curves};
use regretlab::settings::bandit::arms::Arm;
use regretlab::settings::bandit::theory::{lai_robbins_constant, ucb1_upper_bound};

fn run_b1() -> Vec<CurveRow> {
    let policies = r#"
  { kind = "ucb1" }, { kind = "kl_ucb" }, { kind = "thompson_beta" }, { kind = "moss" },
  { kind = "epsilon_greedy", epsilon = 0.05 }, { kind = "exp3" }, { kind = "ucb_v" },
"#;
    let spec = b1_spec("claims", 2024, 500, 10_000, "", policies);
    let d = tmp("claims");
    run_text(&spec, d.clone(), EngineKind::Rayon, 0);
    read_curves(&d.join("curves.csv")).unwrap()
}

fn series<'a>(rows: &'a [CurveRow], policy: &str, metric: &str) -> Vec<&'a CurveRow> {
    rows.iter().filter(|r| r.policy == policy && r.metric == metric).collect()
}

#[test]
fn b1_claims() {
    let rows = run_b1();
    let arms: Vec<Arm> = B1.iter().map(|&p| Arm::Bernoulli { p }).collect();

    // Auer et al. Thm 1, at every checkpoint (upper CI end below the bound)
    for r in series(&rows, "UCB1", "pseudo_regret") {
        assert!(r.ci_hi <= ucb1_upper_bound(&arms, r.t).unwrap(), "UCB1 above its bound at t = {}", r.t);
    }

    let last = |p: &str| *series(&rows, p, "pseudo_regret").last().unwrap();
    let (ucb, kl, ts) = (last("UCB1"), last("KL-UCB"), last("TS-Beta"));
    assert!(kl.ci_hi < ucb.ci_lo / 3.0, "KL-UCB {} vs UCB1 {}", kl.mean, ucb.mean);
    assert!(ts.ci_hi < ucb.ci_lo / 3.0, "TS {} vs UCB1 {}", ts.mean, ucb.mean);

    // Near-optimal algorithms sit within a factor 2 of the Lai–Robbins rate at T = 10^4 (the
    // bound is asymptotic: lower-order terms keep finite-T regret on either side of it).
    let c = lai_robbins_constant(&arms).unwrap() * (10_000f64).ln();
    for r in [kl, ts] {
        assert!(r.mean > c / 2.0 && r.mean < 2.0 * c, "{}: {} vs Lai-Robbins {c}", r.policy, r.mean);
    }

    // invariants for every policy
    for p in ["UCB1", "KL-UCB", "TS-Beta", "MOSS", "eps-greedy", "EXP3", "UCB-V"] {
        let s = series(&rows, p, "pseudo_regret");
        assert!(s.iter().all(|r| r.mean >= 0.0 && r.ci_lo.is_finite()), "{p}: negative regret");
        assert!(s.windows(2).all(|w| w[1].mean >= w[0].mean), "{p}: mean pseudo-regret decreased");
        let f = series(&rows, p, "optimal_fraction");
        assert!(f.iter().all(|r| (0.0..=1.0).contains(&r.mean)), "{p}: optimal fraction outside [0, 1]");
        assert!(s.iter().all(|r| r.n == 500));
    }
}
