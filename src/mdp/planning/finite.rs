//! Finite-horizon planning and evaluation: backward induction over episodes of H steps.

use super::*;

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
