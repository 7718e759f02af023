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
//! g(λ) = λ + Σ_i max(0, max_p r_ip − λ s_ip), is convex and piecewise linear; its minimiser λ*
//! is found by bisection on the sign of g's subgradient 1 − Σ_i s_i*(λ), and the primal solution
//! mixes the arms' best patterns on either side of λ* so that the pull budget binds.

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

/// The LP value and its price of a pull λ* (64+ halvings of the price interval: λ to machine
/// precision), from [`solve`].
pub fn relaxation(inst: &LsdInstance) -> Relaxation {
    solve(inst, false).0
}

/// The LP relaxation's value and primal solution, as [`solve`] gives them.
pub fn primal(inst: &LsdInstance, single_pulls: bool) -> (f64, Vec<Vec<(Pattern, f64)>>) {
    let (r, x) = solve(inst, single_pulls);
    (r.value, x)
}

/// The LP relaxation's primal solution: per arm, (pattern, probability) pairs summing to at
/// most 1; with `single_pulls`, only runs of one pull (and pulling forever) are allowed.
/// Returns the LP value and λ* too. Bisection on the price gives λ*; at λ*
/// each arm's best patterns just below and just above it are both optimal, and mixing the two
/// solutions so that the pull budget is met exactly gives an optimal primal point.
pub fn solve(inst: &LsdInstance, single_pulls: bool) -> (Relaxation, Vec<Vec<(Pattern, f64)>>) {
    let pats: Vec<Vec<Pattern>> = (0..inst.arms())
        .map(|i| patterns(inst, i).into_iter().filter(|p| !single_pulls || p.run == 1 || p.run == usize::MAX).collect())
        .collect();
    // each arm's best pattern at price λ (None: idle), ties to the larger share (`wide`) or the
    // smaller share
    let choose = |lam: f64, wide: bool| -> Vec<Option<Pattern>> {
        pats.iter()
            .map(|ps| {
                let mut best: Option<Pattern> = None;
                let mut v = 0.0;
                for p in ps {
                    let x = p.rate - lam * p.share;
                    let better = x > v + 1e-15
                        || (x > 0.0
                            && (x - v).abs() <= 1e-15
                            && best.is_some_and(|b| if wide { p.share > b.share } else { p.share < b.share }));
                    if better {
                        v = x;
                        best = Some(*p);
                    }
                }
                best
            })
            .collect()
    };
    let share = |c: &[Option<Pattern>]| c.iter().flatten().map(|p| p.share).sum::<f64>();
    let value = |c: &[Option<Pattern>]| c.iter().flatten().map(|p| p.rate).sum::<f64>();
    let at0 = choose(0.0, true);
    if share(&at0) <= 1.0 {
        let v = value(&at0);
        let x = at0.into_iter().map(|p| p.map(|p| (p, 1.0)).into_iter().collect()).collect();
        return (Relaxation { value: v, price: 0.0 }, x);
    }
    let (mut lo, mut hi) = (0.0f64, 2.0 * pats.iter().flatten().map(|p| p.rate / p.share).fold(0.0, f64::max) + 1.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if share(&choose(mid, false)) > 1.0 { lo = mid } else { hi = mid }
    }
    let (a, b) = (choose(lo, true), choose(hi, false));
    let (sa, sb) = (share(&a), share(&b));
    // θ·sa + (1 − θ)·sb = 1
    let theta = if sa > sb { ((1.0 - sb) / (sa - sb)).clamp(0.0, 1.0) } else { 0.0 };
    let mut out: Vec<Vec<(Pattern, f64)>> = vec![Vec::new(); pats.len()];
    for (i, o) in out.iter_mut().enumerate() {
        if let Some(p) = a[i] {
            o.push((p, theta));
        }
        if let Some(p) = b[i] {
            match o.iter_mut().find(|(q, _)| q == &p) {
                Some(e) => e.1 += 1.0 - theta,
                None => o.push((p, 1.0 - theta)),
            }
        }
        o.retain(|e| e.1 > 0.0);
    }
    let v = out.iter().flatten().map(|(p, x)| p.rate * x).sum();
    (Relaxation { value: v, price: 0.5 * (lo + hi) }, out)
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
