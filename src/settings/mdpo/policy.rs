//! Softmax policies kept as log-probabilities (so geometric step sizes of 10^9 stay finite), and
//! the exact quantities the updates need: Q^π, V^π, advantages and the discounted state
//! occupancy d^π_ρ.

use nalgebra::DVector;
use ndarray::Array2;

use crate::error::ModelError;
use crate::mdp::planning::{evaluate, policy_system};
use crate::mdp::{TabularMdp, TabularPolicy};

/// π(a|s) = exp(logp[[s, a]]), each row normalised in log space.
#[derive(Clone, Debug, PartialEq)]
pub struct LogPolicy {
    pub logp: Array2<f64>,
}

impl LogPolicy {
    pub fn uniform(states: usize, actions: usize) -> LogPolicy {
        LogPolicy { logp: Array2::from_elem((states, actions), -(actions as f64).ln()) }
    }

    /// Normalises arbitrary logits row by row (log-sum-exp with the row maximum).
    pub fn from_logits(mut logits: Array2<f64>) -> LogPolicy {
        for mut row in logits.rows_mut() {
            let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = row.iter().map(|x| (x - m).exp()).sum();
            let lz = m + z.ln();
            row.iter_mut().for_each(|x| *x -= lz);
        }
        LogPolicy { logp: logits }
    }

    pub fn probs(&self) -> TabularPolicy {
        let mut p = self.logp.mapv(f64::exp);
        // Renormalise so rows sum to 1 within rounding (exp of normalised logs is off by ulps).
        for mut row in p.rows_mut() {
            let z: f64 = row.sum();
            row.iter_mut().for_each(|x| *x /= z);
        }
        TabularPolicy { probs: p }
    }

    /// KL(self(·|s) ‖ other(·|s)).
    pub fn kl(&self, other: &LogPolicy, s: usize) -> f64 {
        let (a, b) = (self.logp.row(s), other.logp.row(s));
        a.iter()
            .zip(b.iter())
            .map(|(&la, &lb)| if la > -745.0 { la.exp() * (la - lb) } else { 0.0 })
            .sum::<f64>()
            .max(0.0)
    }
}

/// Exact V^π and Q^π (Q = r + γPV).
pub fn q_values(mdp: &TabularMdp, gamma: f64, pi: &TabularPolicy) -> Result<(Vec<f64>, Array2<f64>), ModelError> {
    let (v, _) = evaluate(mdp, gamma, pi)?;
    let q = mdp.q_table(gamma, &v);
    Ok((v, q))
}

/// The normalised discounted occupancy d^π_ρ(s) = (1−γ) Σ_t γ^t P(s_t = s), solving
/// (I − γP_π)ᵀ d = (1−γ) ρ.
pub fn occupancy(mdp: &TabularMdp, gamma: f64, pi: &TabularPolicy, rho: &[f64]) -> Vec<f64> {
    let n = mdp.states();
    let (m, _) = policy_system(mdp, gamma, pi, |_, _| 0.0);
    let b = DVector::from_iterator(n, rho.iter().map(|x| (1.0 - gamma) * x));
    m.transpose().lu().solve(&b).map(|d| d.iter().copied().collect()).unwrap_or_else(|| vec![1.0 / n as f64; n])
}

/// V(ρ) = Σ ρ(s) V(s).
pub fn at(rho: &[f64], v: &[f64]) -> f64 {
    rho.iter().zip(v).map(|(a, b)| a * b).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdp::generate;

    #[test]
    fn occupancy_is_a_distribution_and_satisfies_the_performance_identity() {
        let mdp = generate::dirichlet(7, 3, 0.5, 2).unwrap();
        let pi = LogPolicy::from_logits(Array2::from_shape_fn((7, 3), |(s, a)| ((s * 3 + a) as f64).sin())).probs();
        let rho = vec![1.0 / 7.0; 7];
        let d = occupancy(&mdp, 0.9, &pi, &rho);
        assert!((d.iter().sum::<f64>() - 1.0).abs() < 1e-12 && d.iter().all(|&x| x >= 0.0));
        // V^π(ρ) = Σ_s d(s) r_π(s) / (1−γ).
        let (v, _) = q_values(&mdp, 0.9, &pi).unwrap();
        let rpi: f64 = (0..7).map(|s| d[s] * (0..3).map(|a| pi.probs[[s, a]] * mdp.reward(s, a)).sum::<f64>()).sum();
        assert!((at(&rho, &v) - rpi / 0.1).abs() < 1e-10);
    }
}
