//! `regretlab rate` reproduces known exponents at reduced size, each within its interval and the
//! stated tolerance, and refuses the wrong one:
//! - UCB1 (Auer et al. 2002, Thm 1): regret ∝ ln T, so regret / ln T is flat (law `log`, b = 0);
//! - optimistic OMD in the SEA model's stochastic regime (Chen et al. 2023, Thm 1): √T;
//! - DP-BAI (Chen et al. 2024): P(error) decays exponentially in T at a rate in
//!   [1/(⌈log₂ d⌉ H), 1/H], H = H_BAI + H_pri/ε (constants 1);
//! - MDPO with a constant step (Xiao 2022, Thm 8): the value gap falls at least like 1/k.

mod common;
use common::*;

use regretlab::claims::Verdict;
use regretlab::rate::{RateOverrides, rate};
use regretlab::spec::{Overrides, parse};

fn fit(text: &str, name: &str, rov: RateOverrides) -> Vec<regretlab::rate::Fit> {
    let d = tmp(name);
    let r = rate(parse(text, name).unwrap(), &Overrides::default(), &rov, 2, Some(d.clone()), "test").unwrap();
    for f in ["rate.csv", "rate.md", "rate.json"] {
        assert!(d.join(f).exists(), "{f} missing");
    }
    assert!(r.files.iter().any(|f| f.extension().is_some_and(|e| e == "png")), "no figure");
    r.fits
}

fn with(exponent: f64) -> RateOverrides {
    RateOverrides { exponent: Some(exponent), ..Default::default() }
}

#[test]
fn ucb1_regret_grows_like_log_t() {
    // Δ = 0.4; T ∈ [10^4, 2·10^5], where UCB1 is in its logarithmic regime
    let text = r#"
name = "ucb1_rate"
seed = 3
reps = 400
horizon = 200000
[rate]
over = "T"
law = "log"
from = 10000
[bandit]
instances = [{ label = "two", arms = "bernoulli", means = [0.3, 0.7] }]
policies = [{ kind = "ucb1", arithmetic = "fixed" }]
"#;
    let f = &fit(text, "rate-ucb1", with(0.0))[0];
    assert_eq!(f.verdict, Some(Verdict::Holds), "{f:?}");
    // measured: b = 0.041 [0.037, 0.045]; a √T law would put b near 0.4
    assert!(f.exponent.abs() < 0.1 && f.ci.0 < f.exponent && f.exponent < f.ci.1);
    let f = &fit(
        text,
        "rate-ucb1-sqrt",
        RateOverrides { exponent: Some(0.5), law: Some("power".into()), ..Default::default() },
    )[0];
    assert_eq!(f.verdict, Some(Verdict::DoesNotHold), "{f:?}");
}

#[test]
fn sea_stochastic_regret_grows_like_sqrt_t() {
    let text = r#"
name = "sea_rate"
seed = 2023
reps = 12
horizon = 8000
[rate]
over = "T"
metric = "regret"
from = 500
[sea]
dim = 10
radius = 1.0
instances = [{ label = "stochastic", sigma = 0.5, centre = 0.6 }]
algorithms = [{ kind = "oomd" }]
"#;
    let f = &fit(text, "rate-sea", with(0.5))[0];
    assert_eq!(f.verdict, Some(Verdict::Holds), "{f:?}");
    let f = &fit(text, "rate-sea-linear", with(1.0))[0];
    assert_eq!(f.verdict, Some(Verdict::DoesNotHold), "{f:?}");
}

#[test]
fn dp_bai_error_decays_exponentially_at_the_bounds_rate() {
    let text = r#"
name = "dp_bai_rate"
seed = 17
reps = 20000
horizon = 12000
[rate]
over = "T"
law = "exponential"
tolerance = 0.34
[dp_bai]
budgets = [4000, 6000, 8000, 10000, 12000]
instances = [{ kind = "od_linbai", arms = 10, angle_sd = 0.3, scale = 0.8, seed = 2 }]
algorithms = [{ kind = "dp_bai", epsilon = 0.03 }]
"#;
    // H = H_BAI + H_pri/ε for this instance; the bounds' range [1/(2H), 1/H] is 0.75/H ± 1/3
    let inst = regretlab::settings::dp_bai::model::LinearBai::od_linbai(10, 0.3, 0.8, 2).unwrap();
    let (hb, hp) = inst.complexities();
    let h = hb + hp / 0.03;
    let f = &fit(text, "rate-dp-bai", with(0.75 / h))[0];
    assert_eq!(f.verdict, Some(Verdict::Holds), "rate {} vs 0.75/H = {}: {f:?}", f.exponent, 0.75 / h);
    let f = &fit(text, "rate-dp-bai-fast", with(2.0 / h))[0];
    assert_eq!(f.verdict, Some(Verdict::DoesNotHold), "{f:?}");
}

/// Xiao's bound is an upper bound: the gap of a constant step falls at least like 1/k (on this
/// instance faster, about k^−1.5 over k ∈ [30, 300]), so the check is one-sided.
#[test]
fn mdpo_constant_step_gap_falls_at_least_like_one_over_k() {
    let text = r#"
name = "mdpo_rate"
seed = 2022
reps = 1
horizon = 300
[rate]
over = "k"
metric = "value_gap"
from = 30
tolerance = 0.0
side = "at_most"
[mdpo]
gamma = 0.9
start = "uniform"
instances = [{ kind = "dirichlet", label = "random", states = 20, actions = 4, alpha = 0.3, seed = 7 }]
algorithms = [{ kind = "md", step = "constant", t = 1.0 }]
"#;
    let f = &fit(text, "rate-mdpo", with(-1.0))[0];
    assert_eq!(f.verdict, Some(Verdict::Holds), "{f:?}");
    assert!(f.exponent < -1.2 && f.exponent > -2.0, "{f:?}");
    // "at least like 1/k²" is refused
    let f = &fit(text, "rate-mdpo-fast", with(-2.0))[0];
    assert_eq!(f.verdict, Some(Verdict::DoesNotHold), "{f:?}");
}

#[test]
fn rate_over_a_cell_parameter_and_bad_names() {
    // cells labelled N=…: the sweep is over the cells, one point each
    let text = r#"
name = "k_rate"
seed = 1
reps = 200
horizon = 5000
[rate]
over = "K"
[bandit]
instances = [
  { label = "K=2", arms = "bernoulli", means = [0.6, 0.4] },
  { label = "K=4", arms = "bernoulli", means = [0.6, 0.4, 0.4, 0.4] },
  { label = "K=8", arms = "bernoulli", means = [0.6, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4] },
]
policies = [{ kind = "ucb1", arithmetic = "fixed" }]
"#;
    // UCB1's regret sums over the K − 1 suboptimal arms: its exponent lies between K's (1) and
    // that of K − 1 over K = 2 … 8 (ln 7 / ln 4 = 1.40); measured 1.31
    let f = &fit(text, "rate-k", with(1.0))[0];
    assert_eq!(f.xs, vec![2.0, 4.0, 8.0]);
    assert!(f.exponent > 1.0 && f.exponent < 7f64.ln() / 4f64.ln(), "{f:?}");
    let e = rate(
        parse(text, "t").unwrap(),
        &Overrides::default(),
        &RateOverrides { over: Some("Q".into()), ..Default::default() },
        1,
        Some(tmp("rate-bad")),
        "test",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("rate.over = Q") && e.contains("K=2"), "{e}");
}
