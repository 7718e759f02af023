//! Planning and policy evaluation. Every solver returns the value it found together with a
//! [`Certificate`]: a bound on its distance to the exact answer that holds given the arithmetic
//! (floating-point rounding is bounded and added in), so a stopping rule never claims more than
//! it proves.
//!
//! The bounds used (sup-norm, γ-contraction of T and of the Gauss–Seidel operator):
//! - after a sweep V_{k+1} = T V_k: ‖V_{k+1} − V*‖ ≤ γ‖V_{k+1} − V_k‖/(1−γ), and the greedy policy
//!   π of V_{k+1} has ‖V^π − V*‖ ≤ 2γ‖V_{k+1} − V_k‖/(1−γ) (Williams & Baird 1993);
//! - for any V, with Bellman residual ρ = ‖TV − V‖: ‖V − V*‖ ≤ ρ/(1−γ), and its greedy policy
//!   has ‖V^π − V*‖ ≤ 2ρ/(1−γ) (because T^π V = T V);
//! - an operator computed with error η per application adds η/(1−γ) to both.

use nalgebra::{DMatrix, DVector};
use ndarray::{Array2, Array3};

use super::model::{Policy, TabularMdp, Transitions, dot_dense};
use super::{ModelError, bad, check_gamma, check_horizon};

/// Unit roundoff of f64.
const U64: f64 = f64::EPSILON / 2.0;

/// The contraction modulus the certificates use: rows may sum to 1 + ROW_SUM_TOL, so T is a
/// γ(1 + ROW_SUM_TOL)-contraction rather than a γ-contraction.
fn lip(gamma: f64) -> f64 {
    gamma * (1.0 + super::model::ROW_SUM_TOL)
}

fn check_iters(max_iter: usize) -> Result<(), ModelError> {
    if max_iter >= 1 {
        Ok(())
    } else {
        Err(bad("max_iter", 0, "at least one sweep is needed to certify anything", ">= 1"))
    }
}

/// What a solver's answer is proven to satisfy.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Certificate {
    /// ‖V − V_target‖∞ ≤ value_error, V_target being V* (planning) or V^π (evaluation).
    pub value_error: f64,
    /// ‖V^π̂ − V*‖∞ ≤ policy_loss for the returned greedy policy π̂ (planning only; ∞ otherwise).
    pub policy_loss: f64,
    /// The statement in words, with the rule that produced it.
    pub statement: String,
}

/// A planner's answer.
#[derive(Clone, Debug)]
pub struct Solution {
    pub v: Vec<f64>,
    /// A greedy (deterministic) policy of `v`: lowest action on ties (policy iteration: the
    /// action it kept, greedy up to rounding, which its certificate accounts for).
    pub policy: Vec<usize>,
    /// Sweeps (value iteration) or improvement steps (policy iteration).
    pub iterations: usize,
    /// False when `max_iter` stopped the solver before its rule; the certificate still holds.
    pub converged: bool,
    pub certificate: Certificate,
}

/// When an iterative solver stops.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stop {
    /// ‖V_{k+1} − V_k‖∞ < tol: the rule of the B2 anchors; certifies ‖V − V*‖ ≤ γ·tol/(1−γ).
    Residual(f64),
    /// Stop as soon as the certified ‖V − V*‖∞ is below ε.
    Certified(f64),
}

impl Stop {
    fn check(self) -> Result<(), ModelError> {
        let (name, x) = match self {
            Stop::Residual(t) => ("stop.residual", t),
            Stop::Certified(e) => ("stop.certified", e),
        };
        if x > 0.0 && x.is_finite() { Ok(()) } else { Err(bad(name, x, "a stopping tolerance", "> 0 and finite")) }
    }
    fn done(self, delta: f64, gamma: f64, slack: f64) -> bool {
        match self {
            Stop::Residual(t) => delta < t,
            Stop::Certified(e) => (lip(gamma) * delta + slack) / (1.0 - lip(gamma)) < e,
        }
    }
}

/// Jacobi (all states from the previous sweep) or Gauss–Seidel (in place, states in order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sweep {
    Jacobi,
    GaussSeidel,
}

#[derive(Clone, Debug)]
pub struct ViOptions {
    pub stop: Stop,
    pub max_iter: usize,
    pub sweep: Sweep,
}

impl Default for ViOptions {
    fn default() -> Self {
        ViOptions { stop: Stop::Certified(1e-8), max_iter: 1_000_000, sweep: Sweep::Jacobi }
    }
}

/// Rounding error of one Bellman backup with rows of `n` entries, rewards ≤ 1, values ≤ vmax:
/// a sum of n products in any association has error ≤ n·u·Σ|p_j v_j| (plus lower order).
fn backup_rounding(n: usize, gamma: f64, vmax: f64) -> f64 {
    1.01 * ((n as f64 + 3.0) * U64) * (1.0 + gamma * vmax)
}

fn sup_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
}

fn sup(a: &[f64]) -> f64 {
    a.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

fn row_len(mdp: &TabularMdp) -> usize {
    match mdp.transitions() {
        Transitions::Dense(_) => mdp.states(),
        Transitions::Sparse { offsets, .. } => offsets.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0),
    }
}

/// max_a Q(s, a) and its lowest arg-max.
#[inline]
fn best(mdp: &TabularMdp, s: usize, gamma: f64, v: &[f64]) -> (f64, usize) {
    let mut b = (f64::NEG_INFINITY, 0);
    for a in 0..mdp.actions() {
        let q = mdp.q_value(s, a, gamma, v);
        if q > b.0 {
            b = (q, a);
        }
    }
    b
}

/// One Bellman optimality backup of every state: (T v, greedy policy).
pub fn bellman(mdp: &TabularMdp, gamma: f64, v: &[f64]) -> (Vec<f64>, Vec<usize>) {
    (0..mdp.states()).map(|s| best(mdp, s, gamma, v)).unzip()
}

/// The greedy policy of `v` (lowest action on ties).
pub fn greedy(mdp: &TabularMdp, gamma: f64, v: &[f64]) -> Vec<usize> {
    bellman(mdp, gamma, v).1
}

/// A-posteriori certificate of any V from its Bellman residual.
pub fn certify(mdp: &TabularMdp, gamma: f64, v: &[f64], method: &str) -> (Certificate, Vec<usize>) {
    let (tv, pi) = bellman(mdp, gamma, v);
    let rho = sup_diff(&tv, v) + backup_rounding(row_len(mdp), gamma, sup(v));
    let value_error = rho / (1.0 - lip(gamma));
    let cert = Certificate {
        value_error,
        policy_loss: 2.0 * value_error,
        statement: format!(
            "{method}: Bellman residual ‖TV − V‖∞ ≤ {rho:.3e}, so ‖V − V*‖∞ ≤ {value_error:.3e} and the greedy policy is {:.3e}-optimal",
            2.0 * value_error
        ),
    };
    (cert, pi)
}

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
            Sweep::Jacobi => {
                for (s, x) in next.iter_mut().enumerate() {
                    *x = best(mdp, s, gamma, &v).0;
                }
                delta = sup_diff(&next, &v);
                std::mem::swap(&mut v, &mut next);
            }
            Sweep::GaussSeidel => {
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
    sweep: Sweep,
) -> Solution {
    let value_error = (lip(gamma) * delta + slack) / (1.0 - lip(gamma));
    let policy_loss = 2.0 * value_error;
    let name = match sweep {
        Sweep::Jacobi => "value iteration",
        Sweep::GaussSeidel => "Gauss–Seidel value iteration",
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
pub fn evaluate(mdp: &TabularMdp, gamma: f64, pi: &Policy) -> Result<(Vec<f64>, Certificate), ModelError> {
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
    pi: &Policy,
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
pub fn bellman_policy(mdp: &TabularMdp, gamma: f64, pi: &Policy, v: &[f64]) -> Vec<f64> {
    (0..mdp.states())
        .map(|s| {
            (0..mdp.actions())
                .filter(|&a| pi.probs[[s, a]] > 0.0)
                .map(|a| pi.probs[[s, a]] * mdp.q_value(s, a, gamma, v))
                .sum()
        })
        .collect()
}

fn evaluation_certificate(mdp: &TabularMdp, gamma: f64, pi: &Policy, v: &[f64], method: &str) -> Certificate {
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
    pi: &Policy,
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
        v = evaluate(mdp, gamma, &Policy::deterministic(&pol, na))?.0;
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
        let pi = Policy::deterministic(&pol, na);
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

/// Finite-horizon planning for episodes of H steps (stationary model): V_h(s) for h = 0..=H
/// (V_H = 0, V_0 the value of a whole episode), Q_h and a greedy policy per step.
#[derive(Clone, Debug)]
pub struct FiniteSolution {
    /// `v[[h, s]]`, h = 0..=H.
    pub v: Array2<f64>,
    /// `q[[h, s, a]]`, h = 0..H.
    pub q: Array3<f64>,
    /// `policy[[h, s]]`: lowest arg-max of Q_h(s, ·).
    pub policy: Array2<usize>,
    pub certificate: Certificate,
}

/// Backward induction: exact up to rounding, which the certificate bounds.
pub fn backward_induction(mdp: &TabularMdp, horizon: usize) -> Result<FiniteSolution, ModelError> {
    check_horizon(horizon)?;
    let (n, na) = (mdp.states(), mdp.actions());
    let mut v = Array2::zeros((horizon + 1, n));
    let mut q = Array3::zeros((horizon, n, na));
    let mut policy = Array2::zeros((horizon, n));
    for h in (0..horizon).rev() {
        let next: Vec<f64> = v.row(h + 1).to_vec();
        for s in 0..n {
            let mut b = (f64::NEG_INFINITY, 0);
            for a in 0..na {
                let x = mdp.q_value(s, a, 1.0, &next);
                q[[h, s, a]] = x;
                if x > b.0 {
                    b = (x, a);
                }
            }
            v[[h, s]] = b.0;
            policy[[h, s]] = b.1;
        }
    }
    let err = horizon as f64 * backup_rounding(row_len(mdp), 1.0, horizon as f64);
    // Each backup errs by at most η; the greedy policy loses at most Σ_h 2‖Q̂_h − Q*_h‖ ≤ H(H+1)η.
    let eta = backup_rounding(row_len(mdp), 1.0, horizon as f64);
    let loss = horizon as f64 * (horizon as f64 + 1.0) * eta;
    let certificate = Certificate {
        value_error: err,
        policy_loss: loss,
        statement: format!(
            "backward induction over H = {horizon} steps: exact up to rounding, ‖V − V*‖∞ ≤ {err:.1e}, greedy policy {loss:.1e}-optimal"
        ),
    };
    Ok(FiniteSolution { v, q, policy, certificate })
}

/// Exact value of a non-stationary stochastic policy `pi[[h, s, a]]` over H steps: `v[[h, s]]`.
pub fn evaluate_finite(mdp: &TabularMdp, pi: &Array3<f64>) -> Result<Array2<f64>, ModelError> {
    let (h, n, na) = pi.dim();
    check_horizon(h)?;
    if (n, na) != (mdp.states(), mdp.actions()) {
        return Err(bad(
            "policy",
            format!("shape {:?}", pi.dim()),
            "one distribution per step and state",
            format!("(H, {}, {})", mdp.states(), mdp.actions()),
        ));
    }
    let mut v = Array2::zeros((h + 1, n));
    for step in (0..h).rev() {
        let next: Vec<f64> = v.row(step + 1).to_vec();
        for s in 0..n {
            let mut x = 0.0;
            for a in 0..na {
                let w = pi[[step, s, a]];
                if w > 0.0 {
                    x += w * mdp.q_value(s, a, 1.0, &next);
                }
            }
            v[[step, s]] = x;
        }
    }
    Ok(v)
}

/// The compensated 16-bit storage for fast value iteration on dense models: each row of P is kept
/// as u16 fixed point, P(s'|s,a) ≈ q(s')·scale(s,a) with scale = max_s' P/65535 (a quarter of the
/// bytes a sweep streams in f64), plus, per row, the exact f64 row sum and E = Σ|P − q·scale|.
///
/// A sweep computes (P V)(s,a) as `base + scale·Σ q(s')·(V(s') − W(s'))`, the sum in f32 (exact
/// u16 → f32 conversion, 32 partial sums, no FMA) and everything else in f64, with one of two
/// references W:
/// - `Midrange`: W ≡ c, the mid-range of V, and base = c·Σ P, so the storage error is at most
///   E·(max V − min V)/2 per row;
/// - `Reference`: W = V_ref, a recent iterate, and base = (P V_ref)(s,a) computed once from the f64
///   model (a "rebase" sweep that streams the f64 table), so the error is E·‖V − V_ref‖∞, which
///   vanishes as the iterates settle.
///
/// Because the summand V − W is small in either mode, the f32 sum's error is a multiple of
/// ‖V − W‖∞ too: (m + 3)·2⁻²⁴·Σ P per row for m = ⌈S/32⌉ terms per partial sum (Higham, Thm 3.1),
/// which is added to E. On B2 both together are about 1e-5·‖V − W‖∞.
///
/// The certificate of value iteration only needs the error η of the last sweep:
/// ‖V_k − V*‖ ≤ (γ‖V_k − V_{k−1}‖ + η_k)/(1−γ) (see [`value_iteration_compensated`]). What is certified is
/// the distance to V* of the f64 model, not of its quantised copy.
#[derive(Clone, Debug)]
pub struct CompensatedMdp {
    states: usize,
    actions: usize,
    q16: Vec<u16>,
    scale: Vec<f64>,
    row_sum: Vec<f64>,
    row_err: Vec<f64>,
    /// r laid out like the rows: `r[s·A + a]`.
    r: Vec<f64>,
    /// Hash of the f64 model it was built from.
    fingerprint: u64,
}

/// A hash of a dense model's transitions and rewards (bit patterns).
fn fingerprint(mdp: &TabularMdp) -> u64 {
    let mut bytes = Vec::new();
    if let Transitions::Dense(p) = mdp.transitions() {
        for x in p.iter() {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
    }
    for x in mdp.rewards().iter() {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    crate::rng::content_hash(&bytes)
}

impl CompensatedMdp {
    pub fn new(mdp: &TabularMdp) -> Result<CompensatedMdp, ModelError> {
        let Transitions::Dense(p) = mdp.transitions() else {
            return Err(bad(
                "transitions",
                "sparse",
                "the compensated f32 storage is for dense models",
                "dense transitions",
            ));
        };
        let flat = p.as_slice().expect("standard layout");
        let n = mdp.states();
        let rows = n * mdp.actions();
        let mut q16 = Vec::with_capacity(flat.len());
        let mut scale = Vec::with_capacity(rows);
        let mut row_sum = Vec::with_capacity(rows);
        let mut row_err = Vec::with_capacity(rows);
        for row in flat.chunks_exact(n) {
            let max = row.iter().cloned().fold(0.0, f64::max);
            let sc = max / 65535.0;
            let mut e = 0.0;
            for &x in row {
                let q = (x / sc).round().clamp(0.0, 65535.0) as u16;
                e += (x - q as f64 * sc).abs();
                q16.push(q);
            }
            scale.push(sc);
            let sum: f64 = row.iter().sum();
            row_sum.push(sum);
            let terms = n.div_ceil(32) as f64;
            let f32_sum = (terms + 3.0) * (f32::EPSILON as f64 / 2.0) * (sum + e);
            // Slack for the rounding of q·scale and of the f64 steps around the sum.
            row_err.push((e + f32_sum) * 1.01 + 4.0 * (n as f64 + 2.0) * U64 * sum);
        }
        let r = mdp.rewards().iter().copied().collect();
        Ok(CompensatedMdp {
            states: n,
            actions: mdp.actions(),
            q16,
            scale,
            row_sum,
            row_err,
            r,
            fingerprint: fingerprint(mdp),
        })
    }

    /// The largest per-row storage error E = Σ_{s'}|P − q·scale| (plus rounding slack).
    pub fn max_row_error(&self) -> f64 {
        self.row_err.iter().cloned().fold(0.0, f64::max)
    }

    /// One Jacobi sweep from `v` against the reference `w` with row bases `base`:
    /// `out[s] = max_a r(s,a) + γ·(base(s,a) + scale·Σ q·(v − w))`.
    fn sweep_with(&self, gamma: f64, v: &[f64], w: &[f64], base: &[f64], d: &mut [f32], out: &mut [f64]) {
        for ((x, &a), &b) in d.iter_mut().zip(v).zip(w) {
            *x = (a - b) as f32;
        }
        let n = self.states;
        for (s, o) in out.iter_mut().enumerate() {
            let mut b = f64::NEG_INFINITY;
            for a in 0..self.actions {
                let i = s * self.actions + a;
                let q = self.r[i] + gamma * (base[i] + self.scale[i] * dot_u16(&self.q16[i * n..(i + 1) * n], d));
                if q > b {
                    b = q;
                }
            }
            *o = b;
        }
    }
}

/// Σ q_j·d_j with q in u16 and d in f32, summed in f32 into 32 fixed partial sums (partial sum k
/// takes elements 32i + k), which are then added in f64 in a fixed order: the same bits on every
/// instruction set.
#[inline]
fn dot_u16(q: &[u16], d: &[f32]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { dot_u16_avx2(q, d) };
        }
    }
    dot_u16_portable(q, d)
}

/// The AVX2 form of [`dot_u16_portable`]: four 256-bit accumulators hold the 32 partial sums in
/// order (register j, lane l = partial sum 8j + l), with separate multiplies and adds (no FMA),
/// so the result has the same bits. LLVM's own vectorisation of the portable loop shuffled
/// 128-bit halves and ran at about one element per cycle.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot_u16_avx2(q: &[u16], d: &[f32]) -> f64 {
    use std::arch::x86_64::*;
    let n = q.len().min(d.len());
    let chunks = n / 32;
    let mut acc = [0.0f32; 32];
    // SAFETY: every load reads 16 u16 or 8 f32 inside q[..32·chunks] and d[..32·chunks], both
    // within the slices since 32·chunks ≤ n; all loads and stores are unaligned forms.
    unsafe {
        let (mut a0, mut a1, mut a2, mut a3) =
            (_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps());
        let (qp, dp) = (q.as_ptr(), d.as_ptr());
        for i in 0..chunks {
            let r0 = _mm256_loadu_si256(qp.add(32 * i) as *const __m256i);
            let r1 = _mm256_loadu_si256(qp.add(32 * i + 16) as *const __m256i);
            let f0 = _mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(r0)));
            let f1 = _mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(_mm256_extracti128_si256::<1>(r0)));
            let f2 = _mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(r1)));
            let f3 = _mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(_mm256_extracti128_si256::<1>(r1)));
            a0 = _mm256_add_ps(a0, _mm256_mul_ps(f0, _mm256_loadu_ps(dp.add(32 * i))));
            a1 = _mm256_add_ps(a1, _mm256_mul_ps(f1, _mm256_loadu_ps(dp.add(32 * i + 8))));
            a2 = _mm256_add_ps(a2, _mm256_mul_ps(f2, _mm256_loadu_ps(dp.add(32 * i + 16))));
            a3 = _mm256_add_ps(a3, _mm256_mul_ps(f3, _mm256_loadu_ps(dp.add(32 * i + 24))));
        }
        let ap = acc.as_mut_ptr();
        _mm256_storeu_ps(ap, a0);
        _mm256_storeu_ps(ap.add(8), a1);
        _mm256_storeu_ps(ap.add(16), a2);
        _mm256_storeu_ps(ap.add(24), a3);
    }
    finish_u16(&acc, &q[32 * chunks..n], &d[32 * chunks..n])
}

/// Adds the partial sums (in f64, pairwise in a fixed order) and the tail (in f64).
#[inline(always)]
fn finish_u16(acc: &[f32; 32], q: &[u16], d: &[f32]) -> f64 {
    let mut tail = 0.0f64;
    for (a, b) in q.iter().zip(d) {
        tail += *a as f64 * *b as f64;
    }
    let mut h: [f64; 32] = std::array::from_fn(|k| acc[k] as f64);
    let mut width = 16;
    while width > 0 {
        for k in 0..width {
            h[k] += h[k + width];
        }
        width /= 2;
    }
    h[0] + tail
}

/// The reference association: partial sum k takes elements 32i + k.
#[inline(always)]
fn dot_u16_portable(q: &[u16], d: &[f32]) -> f64 {
    let n = q.len().min(d.len());
    let chunks = n / 32;
    let mut acc = [0.0f32; 32];
    for (a, b) in q[..32 * chunks].chunks_exact(32).zip(d[..32 * chunks].chunks_exact(32)) {
        for k in 0..32 {
            acc[k] += a[k] as f32 * b[k];
        }
    }
    finish_u16(&acc, &q[32 * chunks..n], &d[32 * chunks..n])
}

/// What [`value_iteration_compensated`] did besides the answer.
#[derive(Clone, Debug, Default)]
pub struct CompensatedStats {
    /// Sweeps that streamed the f64 table to take a new reference.
    pub rebase_sweeps: usize,
}

/// Value iteration on the compensated 16-bit storage (Jacobi sweeps from V = 0). Sweeps use the
/// mid-range reference until its storage error would dominate the contraction term, then take
/// the current iterate as reference (one f64 sweep) and again whenever the drift from it would
/// dominate. The certificate bounds the distance to V* of the original f64 model.
pub fn value_iteration_compensated(
    cm: &CompensatedMdp,
    mdp: &TabularMdp,
    gamma: f64,
    stop: Stop,
    max_iter: usize,
) -> Result<(Solution, CompensatedStats), ModelError> {
    check_gamma(gamma)?;
    stop.check()?;
    check_iters(max_iter)?;
    if cm.fingerprint != fingerprint(mdp) {
        return Err(bad(
            "compensated model",
            format!("{:016x}", cm.fingerprint),
            "must be built from the model it is certified against",
            format!("{:016x}", fingerprint(mdp)),
        ));
    }
    let Transitions::Dense(p) = mdp.transitions() else {
        return Err(bad(
            "transitions",
            "sparse",
            "the compensated f32 storage is for dense models",
            "dense transitions",
        ));
    };
    let flat = p.as_slice().expect("standard layout");
    let (n, rows) = (cm.states, cm.states * cm.actions);
    let e_max = cm.max_row_error();
    let (mut v, mut next, mut d) = (vec![0.0; n], vec![0.0; n], vec![0.0f32; n]);
    let mut w = vec![0.0; n];
    let mut base = vec![0.0; rows];
    let mut referenced = false;
    let mut rebase_next = false;
    let mut stats = CompensatedStats::default();
    let (mut it, mut delta, mut eta) = (0, f64::INFINITY, 0.0);
    let mut converged = false;
    while it < max_iter {
        it += 1;
        let storage = if rebase_next {
            // Exact f64 sweep; its output's reference is the iterate it started from.
            w.copy_from_slice(&v);
            for (i, b) in base.iter_mut().enumerate() {
                *b = dot_dense(&flat[i * n..(i + 1) * n], &w);
            }
            d.iter_mut().for_each(|x| *x = 0.0f32);
            for (s, o) in next.iter_mut().enumerate() {
                *o = (0..cm.actions)
                    .map(|a| cm.r[s * cm.actions + a] + gamma * base[s * cm.actions + a])
                    .fold(f64::NEG_INFINITY, f64::max);
            }
            referenced = true;
            rebase_next = false;
            stats.rebase_sweeps += 1;
            0.0
        } else if referenced {
            cm.sweep_with(gamma, &v, &w, &base, &mut d, &mut next);
            e_max * sup_diff(&v, &w)
        } else {
            let (lo, hi) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
            let c = 0.5 * (lo + hi);
            w.iter_mut().for_each(|x| *x = c);
            for (b, &sum) in base.iter_mut().zip(&cm.row_sum) {
                *b = c * sum;
            }
            cm.sweep_with(gamma, &v, &w, &base, &mut d, &mut next);
            e_max * 0.5 * (hi - lo)
        };
        delta = sup_diff(&next, &v);
        std::mem::swap(&mut v, &mut next);
        eta = gamma * storage + backup_rounding(n, gamma, sup(&v));
        if stop.done(delta, gamma, eta) {
            converged = true;
            break;
        }
        // The next sweep's storage error, if it keeps the current reference:
        let upcoming = if referenced { e_max * (sup_diff(&v, &w) + delta) } else { storage };
        if gamma * upcoming > 0.25 * gamma * delta {
            rebase_next = true;
        }
    }
    let value_error = (lip(gamma) * delta + eta) / (1.0 - lip(gamma));
    let policy = greedy(mdp, gamma, &v);
    let sol = Solution {
        v,
        policy,
        iterations: it,
        converged,
        certificate: Certificate {
            value_error,
            policy_loss: 2.0 * value_error,
            statement: format!(
                "value iteration on compensated 16-bit storage, {it} sweeps ({} on the f64 table): ‖V_k − V_(k−1)‖∞ = {delta:.3e}, last sweep's storage+rounding error η ≤ {eta:.1e}, so ‖V − V*‖∞ ≤ (γ·Δ + η)/(1−γ) = {value_error:.3e}",
                stats.rebase_sweeps
            ),
        },
    };
    Ok((sol, stats))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdp::generate;

    #[test]
    fn two_state_closed_form() {
        // One action: V = (I − γP)^{-1} r, solved by hand for P = [[.5,.5],[0,1]], r = [1, 0].
        let p = Array3::from_shape_vec((2, 1, 2), vec![0.5, 0.5, 0.0, 1.0]).unwrap();
        let r = Array2::from_shape_vec((2, 1), vec![1.0, 0.0]).unwrap();
        let mdp = TabularMdp::dense(p, r).unwrap();
        let (v, c) = evaluate(&mdp, 0.9, &Policy::uniform(2, 1)).unwrap();
        assert!((v[0] - 1.0 / 0.55).abs() < 1e-12 && v[1].abs() < 1e-12, "{v:?}");
        assert!(c.value_error < 1e-12);
    }

    #[test]
    fn solvers_agree_and_bounds_hold() {
        for seed in 0..4 {
            let mdp = generate::dirichlet(12, 3, 0.5, seed).unwrap();
            let gamma = 0.9;
            let pi = policy_iteration(&mdp, gamma, 100).unwrap();
            assert!(pi.converged);
            let exact = evaluate(&mdp, gamma, &Policy::deterministic(&pi.policy, 3)).unwrap().0;
            for sweep in [Sweep::Jacobi, Sweep::GaussSeidel] {
                let vi =
                    value_iteration(&mdp, gamma, &ViOptions { stop: Stop::Certified(1e-6), max_iter: 10_000, sweep })
                        .unwrap();
                let err = sup_diff(&vi.v, &exact);
                assert!(err <= vi.certificate.value_error, "{sweep:?}: {err} > {}", vi.certificate.value_error);
                assert!(vi.certificate.value_error < 1e-6);
            }
            let mpi = modified_policy_iteration(&mdp, gamma, 5, 1e-7, 10_000).unwrap();
            assert!(sup_diff(&mpi.v, &exact) <= mpi.certificate.value_error);
            let lp = linear_program(&mdp, gamma).unwrap();
            assert!(sup_diff(&lp.v, &exact) <= lp.certificate.value_error, "{}", lp.certificate.statement);
            assert!(sup_diff(&lp.v, &exact) < 1e-5);
            assert_eq!(mpi.policy, pi.policy);
        }
    }

    #[test]
    fn gauss_seidel_needs_fewer_sweeps() {
        let mdp = generate::dirichlet(30, 4, 1.0, 9).unwrap();
        let o = |sweep| ViOptions { stop: Stop::Certified(1e-8), max_iter: 100_000, sweep };
        let j = value_iteration(&mdp, 0.95, &o(Sweep::Jacobi)).unwrap();
        let g = value_iteration(&mdp, 0.95, &o(Sweep::GaussSeidel)).unwrap();
        assert!(g.iterations < j.iterations, "{} vs {}", g.iterations, j.iterations);
    }

    #[test]
    fn compensated_storage_is_certified_against_the_f64_model() {
        let mdp = generate::uniform_dense(60, 4, 5).unwrap();
        let cm = CompensatedMdp::new(&mdp).unwrap();
        let gamma = 0.97;
        let (f, stats) = value_iteration_compensated(&cm, &mdp, gamma, Stop::Certified(1e-9), 100_000).unwrap();
        assert!(stats.rebase_sweeps >= 1 && stats.rebase_sweeps < 10, "{stats:?}");
        let pi = policy_iteration(&mdp, gamma, 100).unwrap();
        let err = sup_diff(&f.v, &pi.v);
        assert!(err <= f.certificate.value_error, "{err} > {}", f.certificate.statement);
        assert!(f.certificate.value_error < 1e-9);
    }

    #[test]
    fn u16_dot_has_the_same_bits_on_every_path() {
        for n in [0usize, 5, 16, 31, 500, 513] {
            let q: Vec<u16> = (0..n).map(|i| (i * 7919 % 65536) as u16).collect();
            let d: Vec<f32> = (0..n).map(|i| ((i as f64 * 0.37).sin() * 1e-3) as f32).collect();
            let portable = dot_u16_portable(&q, &d);
            assert_eq!(dot_u16(&q, &d).to_bits(), portable.to_bits(), "n = {n}");
            // The error bound the storage certificate uses: (⌈n/32⌉ + 3)·2^-24·Σ|q d|.
            let naive: f64 = q.iter().zip(&d).map(|(a, b)| *a as f64 * *b as f64).sum();
            let mass: f64 = q.iter().zip(&d).map(|(a, b)| (*a as f64 * *b as f64).abs()).sum();
            assert!((portable - naive).abs() <= (n.div_ceil(32) as f64 + 3.0) * 6e-8 * mass + 1e-300, "n = {n}");
        }
    }

    #[test]
    fn iterative_and_exact_evaluation_agree() {
        let mdp = generate::dirichlet(10, 3, 1.0, 1).unwrap();
        let pi = Policy::uniform(10, 3);
        let (a, ca) = evaluate(&mdp, 0.8, &pi).unwrap();
        let (b, cb) = evaluate_iterative(&mdp, 0.8, &pi, Stop::Certified(1e-10), 10_000).unwrap();
        assert!(sup_diff(&a, &b) <= ca.value_error + cb.value_error);
    }

    #[test]
    fn backward_induction_matches_enumeration() {
        // Enumerate every deterministic non-stationary policy on a 2-state, 2-action, H = 3 MDP.
        let mdp = generate::dirichlet(2, 2, 1.0, 4).unwrap();
        let h = 3;
        let bi = backward_induction(&mdp, h).unwrap();
        let mut best = f64::NEG_INFINITY;
        for code in 0..(1u32 << (h * 2)) {
            let mut pi = Array3::zeros((h, 2, 2));
            for step in 0..h {
                for s in 0..2 {
                    pi[[step, s, ((code >> (step * 2 + s)) & 1) as usize]] = 1.0;
                }
            }
            let v = evaluate_finite(&mdp, &pi).unwrap();
            best = best.max(v[[0, 0]]);
        }
        assert!((best - bi.v[[0, 0]]).abs() <= bi.certificate.value_error.max(1e-14));
    }

    #[test]
    fn bad_parameters_name_the_field() {
        let mdp = generate::dirichlet(3, 2, 1.0, 1).unwrap();
        assert!(
            value_iteration(&mdp, 0.9, &ViOptions { max_iter: 0, ..Default::default() })
                .unwrap_err()
                .to_string()
                .contains("max_iter = 0")
        );
        let other = generate::uniform_dense(3, 2, 9).unwrap();
        let cm = CompensatedMdp::new(&other).unwrap();
        let m3 = generate::uniform_dense(3, 2, 10).unwrap();
        assert!(
            value_iteration_compensated(&cm, &m3, 0.9, Stop::Residual(1e-6), 10)
                .unwrap_err()
                .to_string()
                .contains("compensated model")
        );
        for g in [1.0, -0.1, f64::NAN] {
            let e = value_iteration(&mdp, g, &ViOptions::default()).unwrap_err().to_string();
            assert!(e.contains("gamma") && e.contains("[0, 1)"), "{e}");
        }
        assert!(backward_induction(&mdp, 0).unwrap_err().to_string().contains("horizon = 0"));
        let e = value_iteration(&mdp, 0.9, &ViOptions { stop: Stop::Residual(0.0), ..Default::default() })
            .unwrap_err()
            .to_string();
        assert!(e.contains("stop.residual"), "{e}");
        let e = evaluate(&mdp, 0.9, &Policy::uniform(3, 3)).unwrap_err().to_string();
        assert!(e.contains("policy = shape (3, 3)"), "{e}");
    }
}
