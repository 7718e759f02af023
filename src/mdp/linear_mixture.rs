//! Linear-mixture MDPs (Ayoub et al. 2020; Zhou, Gu & Szepesvári 2021): a known feature map
//! φ(s'|s,a) ∈ ℝ^d and an unknown θ* with P(s'|s,a) = ⟨φ(s'|s,a), θ*⟩. Learners regress on
//! ψ_V(s,a) = Σ_{s'} φ(s'|s,a)·V(s'), whose inner product with θ* is the expected next value.

use ndarray::{Array2, Array4};
use rand_distr::{Distribution, Gamma};

use super::model::{TabularMdp, ROW_SUM_TOL};
use super::{bad, MdpError};
use crate::rng::{mix64, Role, StreamId};

#[derive(Clone, Debug, PartialEq)]
pub struct LinearMixtureMdp {
    /// `phi[[i, s, a, s']]` = φ_i(s'|s,a).
    phi: Array4<f64>,
    theta: Vec<f64>,
    rewards: Array2<f64>,
    model: TabularMdp,
}

impl LinearMixtureMdp {
    /// Checks that ⟨φ(·|s,a), θ⟩ is a distribution for every (s, a) and builds the model.
    pub fn new(phi: Array4<f64>, theta: Vec<f64>, rewards: Array2<f64>) -> Result<LinearMixtureMdp, MdpError> {
        let (d, s, a, s2) = phi.dim();
        if d == 0 || theta.len() != d {
            return Err(bad("theta", format!("length {}", theta.len()), "one coefficient per feature", format!("{d} (the feature dimension), >= 1")));
        }
        if s2 != s {
            return Err(bad("phi", format!("shape ({d}, {s}, {a}, {s2})"), "features φ_i(s'|s,a)", format!("({d}, {s}, {a}, {s})")));
        }
        if let Some(i) = theta.iter().position(|x| !x.is_finite()) {
            return Err(bad(format!("theta[{i}]"), theta[i], "a mixture coefficient", "a finite number"));
        }
        let p = ndarray::Array3::from_shape_fn((s, a, s), |(i, k, j)| (0..d).map(|m| phi[[m, i, k, j]] * theta[m]).sum::<f64>());
        let model = TabularMdp::dense(p, rewards.clone()).map_err(|e| match e {
            MdpError::Invalid { field, value, reason, allowed } => MdpError::Invalid { field: format!("⟨phi, theta⟩ at {field}"), value, reason, allowed: format!("{allowed} (tolerance {ROW_SUM_TOL:e})") },
            other => other,
        })?;
        Ok(LinearMixtureMdp { phi, theta, rewards, model })
    }

    /// d base kernels P_i ~ Dirichlet(α) per row as features, θ* ~ Dirichlet(1) on the simplex
    /// (so every mixture is a distribution), rewards U(0,1).
    pub fn random(states: usize, actions: usize, d: usize, alpha: f64, seed: u64) -> Result<LinearMixtureMdp, MdpError> {
        if d == 0 || d > 256 {
            return Err(bad("d", d, "the feature dimension", "1 ..= 256"));
        }
        let mut kernels = Vec::with_capacity(d);
        for i in 0..d {
            kernels.push(super::generate::dirichlet(states, actions, alpha, mix64(seed.wrapping_add(i as u64 + 1)))?.dense_transitions());
        }
        let phi = Array4::from_shape_fn((d, states, actions, states), |(i, s, a, j)| kernels[i][[s, a, j]]);
        let k = mix64(seed ^ 0x7e7a);
        let mut rng = StreamId::new([k as u32, (k >> 32) as u32], 1, Role::Instance).stream();
        let g = Gamma::new(1.0, 1.0).expect("valid");
        let raw: Vec<f64> = (0..d).map(|_| g.sample(&mut rng)).collect();
        let sum: f64 = raw.iter().sum();
        let theta = raw.iter().map(|x| x / sum).collect();
        let rewards = Array2::from_shape_fn((states, actions), |_| rng.open01());
        LinearMixtureMdp::new(phi, theta, rewards)
    }

    pub fn dim(&self) -> usize {
        self.theta.len()
    }
    pub fn theta(&self) -> &[f64] {
        &self.theta
    }
    pub fn rewards(&self) -> &Array2<f64> {
        &self.rewards
    }
    /// The tabular model the mixture defines.
    pub fn model(&self) -> &TabularMdp {
        &self.model
    }

    /// ψ_V(s,a) = Σ_{s'} φ(s'|s,a) V(s') ∈ ℝ^d.
    pub fn psi(&self, s: usize, a: usize, v: &[f64]) -> Vec<f64> {
        let n = self.model.states();
        (0..self.dim()).map(|i| (0..n).map(|j| self.phi[[i, s, a, j]] * v[j]).sum()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_reproduce_the_transitions() {
        let m = LinearMixtureMdp::random(6, 2, 3, 0.7, 11).unwrap();
        let v: Vec<f64> = (0..6).map(|i| (i as f64).sqrt()).collect();
        for s in 0..6 {
            for a in 0..2 {
                let psi = m.psi(s, a, &v);
                let via_theta: f64 = psi.iter().zip(m.theta()).map(|(x, t)| x * t).sum();
                assert!((via_theta - m.model().row(s, a).dot(&v)).abs() < 1e-12);
                // ψ of an indicator recovers P(s'|s,a) itself.
                for j in 0..6 {
                    let e: Vec<f64> = (0..6).map(|i| if i == j { 1.0 } else { 0.0 }).collect();
                    let p: f64 = m.psi(s, a, &e).iter().zip(m.theta()).map(|(x, t)| x * t).sum();
                    assert!((p - m.model().dense_transitions()[[s, a, j]]).abs() < 1e-14);
                }
            }
        }
    }

    #[test]
    fn theta_outside_the_simplex_is_refused_when_p_is_not_a_distribution() {
        let m = LinearMixtureMdp::random(3, 1, 2, 1.0, 1).unwrap();
        let e = LinearMixtureMdp::new(m.phi.clone(), vec![0.9, 0.9], m.rewards.clone()).unwrap_err().to_string();
        assert!(e.contains("⟨phi, theta⟩ at transitions[s=0, a=0]"), "{e}");
        let e = LinearMixtureMdp::new(m.phi.clone(), vec![1.0], m.rewards.clone()).unwrap_err().to_string();
        assert!(e.contains("theta = length 1"), "{e}");
    }
}
