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

use super::model::{TabularMdp, TabularPolicy, Transitions, dot_dense};
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
pub enum SweepOrder {
    Jacobi,
    GaussSeidel,
}

#[derive(Clone, Debug)]
pub struct ViOptions {
    pub stop: Stop,
    pub max_iter: usize,
    pub sweep: SweepOrder,
}

impl Default for ViOptions {
    fn default() -> Self {
        ViOptions { stop: Stop::Certified(1e-8), max_iter: 1_000_000, sweep: SweepOrder::Jacobi }
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

mod compensated;
mod discounted;
mod finite;
#[cfg(test)]
mod tests;

pub use compensated::{CompensatedMdp, CompensatedStats, value_iteration_compensated};
pub use discounted::{
    bellman_policy, evaluate, evaluate_iterative, linear_program, modified_policy_iteration, policy_iteration,
    policy_system, value_iteration,
};
pub use finite::{FiniteSolution, backward_induction, evaluate_finite};
