//! The higher-dimensional LP relaxation of an LSD instance: an upper bound on the long-run mean
//! reward per round. A reconstruction (the paper's body could not be read; see
//! `../shared/papers/lsd_bandits.md`, "A higher-dimensional LP relaxation" and its corrections).
//!
//! An arm's timeline is a sequence of cycles: a run of ℓ pulls, then τ idle rounds. A cycle
//! (ℓ, τ) pays R(ℓ, τ) = μ^idle(τ) + Σ_{n=1}^{ℓ−1} μ^act(n) over ℓ + τ rounds, with ℓ ∈ 1..=τ_max + 1
//! (runs longer than τ_max pay μ^act(τ_max) per extra pull, which the "pull forever" pattern
//! covers) and τ ∈ 1..=τ_max, τ_max standing for "τ_max or more" (a longer gap pays the same and
//! only lowers the rate). Pulling forever pays μ^act(τ_max) per round with pull share 1.
//!
//! LP: maximise Σ_i Σ_p x_ip r_ip subject to Σ_p x_ip ≤ 1 per arm and Σ_i Σ_p x_ip s_ip ≤ 1, x ≥ 0,
//! with r_p = R/(ℓ+τ) a pattern's reward rate and s_p = ℓ/(ℓ+τ) its pull share. Any schedule's
//! long-run cycle frequencies are feasible with its mean reward as objective, so the LP value is
//! at least the optimum. Its Lagrangian dual over the pull budget,
//! g(λ) = λ + Σ_i max(0, max_p r_ip − λ s_ip), is convex and piecewise linear; the LP value is
//! min_{λ ≥ 0} g(λ), found by bisection on the sign of g's subgradient 1 − Σ_i s_i*(λ).

use super::model::LsdInstance;

/// One arm's cycle pattern: its reward rate and pull share.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pattern {
    /// Run length (`usize::MAX` for "pull forever").
    pub run: usize,
    /// Idle rounds after the run (0 for "pull forever").
    pub idle: usize,
    pub rate: f64,
    pub share: f64,
}

/// Every pattern of arm `i`.
pub fn patterns(inst: &LsdInstance, i: usize) -> Vec<Pattern> {
    let t = inst.tau_max();
    let (act, idle) = (&inst.act[i], &inst.idle[i]);
    let mut out = Vec::with_capacity((t + 1) * t + 1);
    for l in 1..=t + 1 {
        let run: f64 = (1..l).map(|n| act[n.min(t) - 1]).sum();
        for tau in 1..=t {
            let len = (l + tau) as f64;
            out.push(Pattern { run: l, idle: tau, rate: (idle[tau - 1] + run) / len, share: l as f64 / len });
        }
    }
    out.push(Pattern { run: usize::MAX, idle: 0, rate: act[t - 1], share: 1.0 });
    out
}

/// The LP relaxation's value and its price of a pull λ*.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Relaxation {
    pub value: f64,
    pub price: f64,
}

/// The LP value by Lagrangian bisection (64 halvings of [0, max rate]: λ to machine precision;
/// g has slope at most k + 1, so the value is exact to ~1e-15 k).
pub fn relaxation(inst: &LsdInstance) -> Relaxation {
    let pats: Vec<Vec<Pattern>> = (0..inst.arms()).map(|i| patterns(inst, i)).collect();
    // per arm at price λ: the best net rate (0 = the arm idles) and the pull share of the pattern
    // that attains it (the largest share among ties: the subgradient's right end)
    let best = |lam: f64| -> (f64, f64) {
        let (mut net, mut share) = (0.0, 0.0);
        for ps in &pats {
            let (mut v, mut s) = (0.0f64, 0.0f64);
            for p in ps {
                let x = p.rate - lam * p.share;
                if x > v || (x == v && p.share > s && x > 0.0) {
                    v = x;
                    s = p.share;
                }
            }
            net += v;
            share += s;
        }
        (net, share)
    };
    let g = |lam: f64| lam + best(lam).0;
    let hi0 = pats.iter().flatten().map(|p| p.rate / p.share.max(1e-300)).fold(0.0, f64::max) + 1.0;
    // if the pulls wanted at price 0 fit the budget, λ* = 0
    if best(0.0).1 <= 1.0 {
        return Relaxation { value: g(0.0), price: 0.0 };
    }
    let (mut lo, mut hi) = (0.0f64, hi0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if best(mid).1 > 1.0 { lo = mid } else { hi = mid }
    }
    // the minimum of a convex piecewise-linear g lies at the kink between lo and hi
    let (a, b) = (g(lo), g(hi));
    if a <= b { Relaxation { value: a, price: lo } } else { Relaxation { value: b, price: hi } }
}

/// The same LP solved by Clarabel through good_lp (the cross-check; slow on large instances).
pub fn relaxation_lp(inst: &LsdInstance) -> Result<f64, String> {
    use good_lp::{Expression, ProblemVariables, Solution as _, SolverModel, clarabel, constraint, variable};
    let mut vars = ProblemVariables::new();
    let pats: Vec<Vec<Pattern>> = (0..inst.arms()).map(|i| patterns(inst, i)).collect();
    let xs: Vec<Vec<_>> = pats.iter().map(|ps| ps.iter().map(|_| vars.add(variable().min(0.0))).collect()).collect();
    let mut objective = Expression::from(0.0);
    let mut pulls = Expression::from(0.0);
    for (ps, x) in pats.iter().zip(&xs) {
        for (p, &v) in ps.iter().zip(x) {
            objective += p.rate * v;
            pulls += p.share * v;
        }
    }
    let mut model = vars.maximise(objective.clone()).using(clarabel);
    for x in &xs {
        let total: Expression = x.iter().copied().sum();
        model = model.with(constraint!(total <= 1.0));
    }
    model = model.with(constraint!(pulls <= 1.0));
    let sol = model.solve().map_err(|e| e.to_string())?;
    Ok(sol.eval(&objective))
}

#[cfg(test)]
mod tests {
    use super::super::model::ArmState;
    use super::super::optimum::optimum;
    use super::*;
    use crate::rng::{Role, StreamId};

    #[test]
    fn tight_on_laforgues_instances() {
        // the notes' values: 0.506667 with λ* = 0.15, 0.5 with λ* = 0.05
        let r = relaxation(&LsdInstance::laforgue_main());
        assert!((r.value - 4.56 / 9.0).abs() < 1e-12, "{r:?}");
        assert!((r.price - 0.15).abs() < 1e-9, "{r:?}");
        let r = relaxation(&LsdInstance::laforgue_supplementary());
        assert!((r.value - 0.5).abs() < 1e-12, "{r:?}");
        assert!((r.price - 0.05).abs() < 1e-9, "{r:?}");
    }

    #[test]
    fn pulling_forever_is_covered() {
        // the notes' counterexample to the relaxation without that pattern: one arm pays 0.9 on
        // every continued pull, the other nothing; OPT = 0.9 per round
        let inst = LsdInstance::new(
            vec![vec![0.9; 3], vec![0.0; 3]],
            vec![vec![0.9; 3], vec![0.0; 3]],
            vec![ArmState { active: true, n: 1 }; 2],
        )
        .unwrap();
        assert!((optimum(&inst).unwrap() - 0.9).abs() < 1e-12);
        assert!((relaxation(&inst).value - 0.9).abs() < 1e-12);
    }

    /// An upper bound on random instances (monotone or not), equal to Clarabel's solution of the
    /// same LP.
    #[test]
    fn an_upper_bound_that_agrees_with_clarabel() {
        let mut rng = StreamId::new([8, 9], 0, Role::Instance).stream();
        for case in 0..40 {
            let k = 2 + case % 3;
            let tau = 1 + (case / 3) % 3;
            let mut table = || -> Vec<Vec<f64>> { (0..k).map(|_| (0..tau).map(|_| rng.open01()).collect()).collect() };
            let (act, idle) = (table(), table());
            let inst = LsdInstance::new(act, idle, vec![ArmState { active: true, n: 1 }; k]).unwrap();
            let (opt, lp) = (optimum(&inst).unwrap(), relaxation(&inst).value);
            assert!(lp >= opt - 1e-12, "case {case}: LP {lp} below OPT {opt}");
            let clarabel = relaxation_lp(&inst).unwrap();
            assert!((lp - clarabel).abs() < 1e-6, "case {case}: bisection {lp}, Clarabel {clarabel}");
        }
    }
}
