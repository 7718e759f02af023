//! Discounted planning and policy evaluation: value iteration (Jacobi and Gauss–Seidel), policy
//! iteration, modified policy iteration, the linear program, exact and iterative evaluation.

use super::*;

/// Value iteration from V = 0 (Jacobi or Gauss–Seidel sweeps) until `opts.stop`.
pub fn value_iteration(mdp: &TabularMdp, gamma: f64, opts: &ViOptions) -> Result<Solution, ModelError> {
    check_gamma(gamma)?;
    check_iters(opts.max_iter)?;
    opts.stop.check()?;
    let n = mdp.states();
    let mut v = vec![0.0; n];
    let mut next = vec![0.0; n];
    let mut it = 0;
    let mut delta = f64::INFINITY;
    let width = row_len(mdp);
    let mut slack = 0.0;
    while it < opts.max_iter {
        it += 1;
        match opts.sweep {
            SweepOrder::Jacobi => {
                for (s, x) in next.iter_mut().enumerate() {
                    *x = best(mdp, s, gamma, &v).0;
                }
                delta = sup_diff(&next, &v);
                std::mem::swap(&mut v, &mut next);
            }
            SweepOrder::GaussSeidel => {
                delta = 0.0;
                for s in 0..n {
                    let x = best(mdp, s, gamma, &v).0;
                    delta = delta.max((x - v[s]).abs());
                    v[s] = x;
                }
            }
        }
        slack = backup_rounding(width, gamma, sup(&v));
        if opts.stop.done(delta, gamma, slack) {
            return Ok(vi_solution(mdp, gamma, v, it, true, delta, slack, opts.sweep));
        }
    }
    Ok(vi_solution(mdp, gamma, v, it, false, delta, slack, opts.sweep))
}

#[allow(clippy::too_many_arguments)]
fn vi_solution(
    mdp: &TabularMdp,
    gamma: f64,
    v: Vec<f64>,
    it: usize,
    converged: bool,
    delta: f64,
    slack: f64,
    sweep: SweepOrder,
) -> Solution {
    let value_error = (lip(gamma) * delta + slack) / (1.0 - lip(gamma));
    let policy_loss = 2.0 * value_error;
    let name = match sweep {
        SweepOrder::Jacobi => "value iteration",
        SweepOrder::GaussSeidel => "Gauss–Seidel value iteration",
    };
    let policy = greedy(mdp, gamma, &v);
    Solution {
        v,
        policy,
        iterations: it,
        converged,
        certificate: Certificate {
            value_error,
            policy_loss,
            statement: format!(
                "{name}, {it} sweeps: last change ‖V_k − V_(k−1)‖∞ = {delta:.3e}, so ‖V − V*‖∞ ≤ (γ·{delta:.3e} + rounding {slack:.1e})/(1−γ) = {value_error:.3e}; the greedy policy is {policy_loss:.3e}-optimal"
            ),
        },
    }
}

/// Exact policy evaluation: solves (I − γP_π)V = r_π by LU with partial pivoting.
/// The certificate comes from the residual of the computed V.
pub fn evaluate(mdp: &TabularMdp, gamma: f64, pi: &TabularPolicy) -> Result<(Vec<f64>, Certificate), ModelError> {
    check_gamma(gamma)?;
    mdp.check_policy(pi)?;
    let (m, rv) = policy_system(mdp, gamma, pi, |s, a| mdp.reward(s, a));
    let lu = m.lu();
    let v = lu.solve(&rv).ok_or_else(|| bad("policy", "singular", "I − γP_π must be invertible", "γ < 1"))?;
    let v: Vec<f64> = v.iter().copied().collect();
    let cert = evaluation_certificate(mdp, gamma, pi, &v, "exact evaluation (LU)");
    Ok((v, cert))
}

/// The linear system of policy evaluation, (I − γP_π) and r_π(s) = Σ_a π(a|s)·reward(s, a), for
/// any per-action reward (the model's, or a regularised one). Its transpose gives occupancies.
pub fn policy_system(
    mdp: &TabularMdp,
    gamma: f64,
    pi: &TabularPolicy,
    reward: impl Fn(usize, usize) -> f64,
) -> (DMatrix<f64>, DVector<f64>) {
    let n = mdp.states();
    let mut pm = DMatrix::<f64>::zeros(n, n);
    let mut rv = DVector::<f64>::zeros(n);
    for s in 0..n {
        for a in 0..mdp.actions() {
            let w = pi.probs[[s, a]];
            if w == 0.0 {
                continue;
            }
            rv[s] += w * reward(s, a);
            for (j, q) in mdp.row(s, a).iter() {
                pm[(s, j)] += w * q;
            }
        }
    }
    (DMatrix::<f64>::identity(n, n) - pm * gamma, rv)
}

/// T^π v.
pub fn bellman_policy(mdp: &TabularMdp, gamma: f64, pi: &TabularPolicy, v: &[f64]) -> Vec<f64> {
    (0..mdp.states())
        .map(|s| {
            (0..mdp.actions())
                .filter(|&a| pi.probs[[s, a]] > 0.0)
                .map(|a| pi.probs[[s, a]] * mdp.q_value(s, a, gamma, v))
                .sum()
        })
        .collect()
}

fn evaluation_certificate(mdp: &TabularMdp, gamma: f64, pi: &TabularPolicy, v: &[f64], method: &str) -> Certificate {
    let tv = bellman_policy(mdp, gamma, pi, v);
    let rho = sup_diff(&tv, v) + mdp.actions() as f64 * backup_rounding(row_len(mdp), gamma, sup(v));
    let value_error = rho / (1.0 - lip(gamma));
    Certificate {
        value_error,
        policy_loss: f64::INFINITY,
        statement: format!("{method}: ‖T^π V − V‖∞ ≤ {rho:.3e}, so ‖V − V^π‖∞ ≤ {value_error:.3e}"),
    }
}

/// Iterative policy evaluation V ← T^π V from 0 until `stop`.
pub fn evaluate_iterative(
    mdp: &TabularMdp,
    gamma: f64,
    pi: &TabularPolicy,
    stop: Stop,
    max_iter: usize,
) -> Result<(Vec<f64>, Certificate), ModelError> {
    check_gamma(gamma)?;
    check_iters(max_iter)?;
    mdp.check_policy(pi)?;
    stop.check()?;
    let mut v = vec![0.0; mdp.states()];
    let mut it = 0;
    while it < max_iter {
        it += 1;
        let nv = bellman_policy(mdp, gamma, pi, &v);
        let delta = sup_diff(&nv, &v);
        v = nv;
        let slack = mdp.actions() as f64 * backup_rounding(row_len(mdp), gamma, sup(&v));
        if stop.done(delta, gamma, slack) {
            let e = (lip(gamma) * delta + slack) / (1.0 - lip(gamma));
            return Ok((
                v,
                Certificate {
                    value_error: e,
                    policy_loss: f64::INFINITY,
                    statement: format!(
                        "iterative evaluation, {it} sweeps: ‖V − V^π‖∞ ≤ γ‖V_k − V_(k−1)‖∞/(1−γ) + rounding = {e:.3e}"
                    ),
                },
            ));
        }
    }
    let cert =
        evaluation_certificate(mdp, gamma, pi, &v, &format!("iterative evaluation stopped at max_iter = {max_iter}"));
    Ok((v, cert))
}

/// Howard's policy iteration with exact evaluation; the current action is kept unless another
/// improves Q by more than rounding, so it cannot cycle. Exact in finitely many steps.
pub fn policy_iteration(mdp: &TabularMdp, gamma: f64, max_iter: usize) -> Result<Solution, ModelError> {
    check_gamma(gamma)?;
    check_iters(max_iter)?;
    let (n, na) = (mdp.states(), mdp.actions());
    let mut pol = vec![0usize; n];
    let mut v = Vec::new();
    let mut it = 0;
    let mut converged = false;
    while it < max_iter {
        it += 1;
        v = evaluate(mdp, gamma, &TabularPolicy::deterministic(&pol, na))?.0;
        let tol = 64.0 * backup_rounding(row_len(mdp), gamma, sup(&v));
        let mut changed = false;
        for (s, cur) in pol.iter_mut().enumerate() {
            let keep = mdp.q_value(s, *cur, gamma, &v);
            let (q, a) = best(mdp, s, gamma, &v);
            if q > keep + tol {
                *cur = a;
                changed = true;
            }
        }
        if !changed {
            converged = true;
            break;
        }
    }
    let (mut cert, _) = certify(mdp, gamma, &v, &format!("policy iteration, {it} improvement steps"));
    // The returned policy keeps its action unless another wins by more than `tol`, so it is
    // greedy only up to tol: its loss bound adds 2·tol/(1−γ).
    let tol = 64.0 * backup_rounding(row_len(mdp), gamma, sup(&v));
    cert.policy_loss += 2.0 * tol / (1.0 - lip(gamma));
    Ok(Solution { v, policy: pol, iterations: it, converged, certificate: cert })
}

/// Modified policy iteration (Puterman & Shin 1978): greedy step, then `m` sweeps of T^π.
/// Stops when the certified error of the residual rule is below `eps`.
pub fn modified_policy_iteration(
    mdp: &TabularMdp,
    gamma: f64,
    m: usize,
    eps: f64,
    max_iter: usize,
) -> Result<Solution, ModelError> {
    check_gamma(gamma)?;
    check_iters(max_iter)?;
    Stop::Certified(eps).check()?;
    if m == 0 {
        return Err(bad("m", 0, "partial evaluation sweeps per improvement", ">= 1"));
    }
    let na = mdp.actions();
    let mut v = vec![0.0; mdp.states()];
    let mut it = 0;
    let mut converged = false;
    while it < max_iter {
        it += 1;
        let (tv, pol) = bellman(mdp, gamma, &v);
        let rho = sup_diff(&tv, &v) + backup_rounding(row_len(mdp), gamma, sup(&v));
        if rho / (1.0 - lip(gamma)) < eps {
            converged = true;
            break;
        }
        let pi = TabularPolicy::deterministic(&pol, na);
        v = tv;
        for _ in 1..m {
            v = bellman_policy(mdp, gamma, &pi, &v);
        }
    }
    let (cert, policy) = certify(mdp, gamma, &v, &format!("modified policy iteration (m = {m}), {it} steps"));
    Ok(Solution { v, policy, iterations: it, converged, certificate: cert })
}

/// The primal LP of a discounted MDP: minimise Σ_s V(s) s.t. V(s) ≥ r(s,a) + γ Σ P(s'|s,a)V(s'),
/// solved by the Clarabel interior-point method. Its certificate comes from the residual.
pub fn linear_program(mdp: &TabularMdp, gamma: f64) -> Result<Solution, ModelError> {
    use good_lp::{Expression, ProblemVariables, Solution as _, SolverModel, clarabel, constraint, variable};
    check_gamma(gamma)?;
    let n = mdp.states();
    let mut vars = ProblemVariables::new();
    let vs: Vec<_> = (0..n).map(|_| vars.add(variable())).collect();
    let objective: Expression = vs.iter().copied().sum();
    let mut model = vars.minimise(objective).using(clarabel);
    for s in 0..n {
        for a in 0..mdp.actions() {
            let mut rhs = Expression::from(mdp.reward(s, a));
            for (j, q) in mdp.row(s, a).iter() {
                rhs += gamma * q * vs[j];
            }
            model = model.with(constraint!(vs[s] >= rhs));
        }
    }
    let sol = model
        .solve()
        .map_err(|e| bad("linear_program", e.to_string(), "the LP solver failed", "a feasible, bounded LP"))?;
    let v: Vec<f64> = vs.iter().map(|&x| sol.value(x)).collect();
    let (cert, policy) = certify(mdp, gamma, &v, "linear program (Clarabel)");
    Ok(Solution { v, policy, iterations: 1, converged: true, certificate: cert })
}
