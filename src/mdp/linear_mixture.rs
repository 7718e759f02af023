//! Linear-mixture MDPs (Ayoub et al. 2020; Zhou, Gu & Szepesvári 2021): a known feature map
//! φ(s'|s,a) ∈ ℝ^d and an unknown θ* with P(s'|s,a) = ⟨φ(s'|s,a), θ*⟩. Learners regress on
//! ψ_V(s,a) = Σ_{s'} φ(s'|s,a)·V(s'), whose inner product with θ* is the expected next value.

use ndarray::{Array2, Array4};
use rand_distr::{Distribution, Gamma};

use super::model::{ROW_SUM_TOL, TabularMdp};
use super::{ModelError, bad};
use crate::rng::{Role, StreamId, mix64};

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
    pub fn new(phi: Array4<f64>, theta: Vec<f64>, rewards: Array2<f64>) -> Result<LinearMixtureMdp, ModelError> {
        let (d, s, a, s2) = phi.dim();
        if d == 0 || theta.len() != d {
            return Err(bad(
                "theta",
                format!("length {}", theta.len()),
                "one coefficient per feature",
                format!("{d} (the feature dimension), >= 1"),
            ));
        }
        if s2 != s {
            return Err(bad(
                "phi",
                format!("shape ({d}, {s}, {a}, {s2})"),
                "features φ_i(s'|s,a)",
                format!("({d}, {s}, {a}, {s})"),
            ));
        }
        if let Some(i) = theta.iter().position(|x| !x.is_finite()) {
            return Err(bad(format!("theta[{i}]"), theta[i], "a mixture coefficient", "a finite number"));
        }
        let p = ndarray::Array3::from_shape_fn((s, a, s), |(i, k, j)| {
            (0..d).map(|m| phi[[m, i, k, j]] * theta[m]).sum::<f64>()
        });
        let model = TabularMdp::dense(p, rewards.clone()).map_err(|e| match e {
            ModelError::Invalid { field, value, reason, allowed } => ModelError::Invalid {
                field: format!("⟨phi, theta⟩ at {field}"),
                value,
                reason,
                allowed: format!("{allowed} (tolerance {ROW_SUM_TOL:e})"),
            },
            other => other,
        })?;
        Ok(LinearMixtureMdp { phi, theta, rewards, model })
    }

    /// d base kernels P_i ~ Dirichlet(α) per row as features, θ* ~ Dirichlet(1) on the simplex
    /// (so every mixture is a distribution), rewards U(0,1).
    pub fn random(
        states: usize,
        actions: usize,
        d: usize,
        alpha: f64,
        seed: u64,
    ) -> Result<LinearMixtureMdp, ModelError> {
        if d == 0 || d > 256 {
            return Err(bad("d", d, "the feature dimension", "1 ..= 256"));
        }
        let mut kernels = Vec::with_capacity(d);
        for i in 0..d {
            kernels.push(
                super::generate::dirichlet(states, actions, alpha, mix64(seed.wrapping_add(i as u64 + 1)))?
                    .dense_transitions(),
            );
        }
        let phi = Array4::from_shape_fn((d, states, actions, states), |(i, s, a, j)| kernels[i][[s, a, j]]);
        let mut rng = StreamId::new(crate::rng::seed_key(seed, 0x7e7a), 1, Role::Instance).stream();
        let g = Gamma::new(1.0, 1.0).expect("valid");
        let raw: Vec<f64> = (0..d).map(|_| g.sample(&mut rng)).collect();
        let sum: f64 = raw.iter().sum();
        let theta = raw.iter().map(|x| x / sum).collect();
        let rewards = Array2::from_shape_fn((states, actions), |_| rng.open01());
        LinearMixtureMdp::new(phi, theta, rewards)
    }

    /// The hard instance of the reward-free lower bound Ω(d²ε⁻²) (see `../shared/papers/
    /// reward_free.md`): states x1 = 0, x2 = 1, x3 = 2; actions a ∈ {−1, 1}^{d−1} (action index
    /// bits, bit i set ⇔ a_i = +1); P(x3|x1,a) = δ + ⟨μ, a⟩, P(x2|x1,a) = 1 − that, with δ = 1/6 and
    /// μ ∈ {±Δ}^{d−1}, Δ = √(δ/K)/(4√2) for K episodes; x2 and x3 absorbing; r(x3, ·) = 1/H.
    /// As a linear mixture: θ* = (1, μ/Δ) ∈ ℝ^d and φ(x3|x1,a) = (δ, Δ·a), φ(x2|x1,a) = (1−δ, −Δ·a),
    /// φ(x|x,a) = (1, 0) for the absorbing states. The signs of μ come from `seed`.
    pub fn reward_free_hard(
        d: usize,
        episodes: u64,
        horizon: usize,
        seed: u64,
    ) -> Result<LinearMixtureMdp, ModelError> {
        if !(2..=12).contains(&d) {
            return Err(bad("d", d, "the dimension (the instance has 2^(d−1) actions)", "2 ..= 12"));
        }
        if episodes == 0 {
            return Err(bad("episodes", episodes, "K, which sets the gap Δ = √(δ/K)/(4√2)", ">= 1"));
        }
        super::check_horizon(horizon)?;
        // P(x3|x1,a) = δ + ⟨μ, a⟩ ≥ δ − (d−1)Δ ≥ 0 needs K ≥ 3(d−1)²/16.
        let min_k = (3.0 * ((d - 1) * (d - 1)) as f64 / 16.0).ceil() as u64;
        if episodes < min_k {
            return Err(bad(
                "episodes",
                episodes,
                format!("K sets Δ = √(δ/K)/(4√2), and P(x3|x1,a) = δ + ⟨μ,a⟩ ≥ 0 needs K ≥ 3(d−1)²/16 for d = {d}"),
                format!(">= {min_k}"),
            ));
        }
        let delta = 1.0 / 6.0;
        let gap = (delta / episodes as f64).sqrt() / (4.0 * 2f64.sqrt());
        let k = mix64(seed ^ 0x4a7d);
        let signs: Vec<f64> =
            (0..d - 1).map(|i| if (mix64(k.wrapping_add(i as u64)) >> 63) == 1 { 1.0 } else { -1.0 }).collect();
        let actions = 1usize << (d - 1);
        let mut phi = Array4::zeros((d, 3, actions, 3));
        for a in 0..actions {
            phi[[0, 0, a, 2]] = delta;
            phi[[0, 0, a, 1]] = 1.0 - delta;
            for i in 0..d - 1 {
                let ai = if (a >> i) & 1 == 1 { 1.0 } else { -1.0 };
                phi[[i + 1, 0, a, 2]] = gap * ai;
                phi[[i + 1, 0, a, 1]] = -gap * ai;
            }
            phi[[0, 1, a, 1]] = 1.0;
            phi[[0, 2, a, 2]] = 1.0;
        }
        let mut theta = vec![1.0];
        theta.extend(signs);
        let mut rewards = Array2::zeros((3, actions));
        for a in 0..actions {
            rewards[[2, a]] = 1.0 / horizon as f64;
        }
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
    fn hard_instance_has_the_stated_transitions() {
        let m = LinearMixtureMdp::reward_free_hard(4, 100, 5, 3).unwrap();
        let gap = (1.0f64 / 6.0 / 100.0).sqrt() / (4.0 * 2f64.sqrt());
        let p = m.model().dense_transitions();
        let mu: Vec<f64> = m.theta()[1..].iter().map(|s| s * gap).collect();
        for a in 0..8 {
            let dot: f64 = (0..3).map(|i| if (a >> i) & 1 == 1 { mu[i] } else { -mu[i] }).sum();
            assert!((p[[0, a, 2]] - (1.0 / 6.0 + dot)).abs() < 1e-15);
            assert!((p[[0, a, 1]] + p[[0, a, 2]] - 1.0).abs() < 1e-15);
        }
        assert_eq!(p[[1, 0, 1]], 1.0);
        assert_eq!(p[[2, 7, 2]], 1.0);
        assert!(LinearMixtureMdp::reward_free_hard(13, 100, 5, 3).unwrap_err().to_string().contains("d = 13"));
        assert!(LinearMixtureMdp::reward_free_hard(12, 22, 5, 3).unwrap_err().to_string().contains("episodes = 22"));
        LinearMixtureMdp::reward_free_hard(12, 23, 5, 3).unwrap();
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
