//! Linear bandit instances for fixed-budget best-arm identification: K arms with features
//! a_i ∈ ℝ^d, a parameter θ*, Bernoulli rewards of mean μ_i = ⟨a_i, θ*⟩ ∈ [0, 1], the gaps and
//! the problem complexities of Chen, Karthik, Chee & Tan (2024).

use nalgebra::{DMatrix, DVector};
use rand_distr::{Distribution, Normal};
use serde::Serialize;

use crate::error::{ModelError, bad};
use crate::linear::span_basis;
use crate::rng::{Role, StreamId};

/// A checked instance.
#[derive(Clone, Debug, Serialize)]
pub struct LinearBai {
    /// a_i, one row per arm.
    pub features: Vec<Vec<f64>>,
    pub theta: Vec<f64>,
    /// μ_i = ⟨a_i, θ*⟩.
    pub means: Vec<f64>,
}

impl LinearBai {
    /// Checks and builds an instance: K ≥ 2 arms of one dimension d ≥ 1, finite entries,
    /// features spanning ℝ^d, means in [0, 1], and a unique best arm (otherwise "the best arm"
    /// and the error probability are not defined).
    pub fn new(features: Vec<Vec<f64>>, theta: Vec<f64>) -> Result<LinearBai, ModelError> {
        let k = features.len();
        if k < 2 {
            return Err(bad(
                "features",
                format!("{k} arm(s)"),
                "best-arm identification needs two arms or more",
                "2 ..= 10000 arms",
            ));
        }
        if k > 10_000 {
            return Err(bad("features", format!("{k} arms"), "too many arms", "2 ..= 10000 arms"));
        }
        let d = theta.len();
        if !(1..=64).contains(&d) {
            return Err(bad("theta", format!("{d} coordinates"), "the dimension d", "1 ..= 64"));
        }
        for (j, x) in theta.iter().enumerate() {
            if !x.is_finite() {
                return Err(bad(format!("theta[{j}]"), x, "not a finite number", "finite"));
            }
        }
        for (i, a) in features.iter().enumerate() {
            if a.len() != d {
                return Err(bad(
                    format!("features[{i}]"),
                    format!("{} coordinates", a.len()),
                    "every arm needs one coordinate per entry of theta",
                    format!("{d} coordinates"),
                ));
            }
            if let Some(j) = a.iter().position(|x| !x.is_finite()) {
                return Err(bad(format!("features[{i}][{j}]"), a[j], "not a finite number", "finite"));
            }
            if a.iter().all(|&x| x == 0.0) {
                return Err(bad(
                    format!("features[{i}]"),
                    "the zero vector",
                    "an arm without features carries no information and spans nothing",
                    "a non-zero vector",
                ));
            }
        }
        let m = DMatrix::from_fn(d, k, |r, c| features[c][r]);
        let (rank, _) = span_basis(&m);
        if rank < d {
            return Err(bad(
                "features",
                format!("rank {rank}"),
                format!("the arms must span ℝ^{d} (θ* is not identifiable otherwise)"),
                format!("rank {d}"),
            ));
        }
        let means: Vec<f64> = features.iter().map(|a| a.iter().zip(&theta).map(|(x, t)| x * t).sum()).collect();
        for (i, &mu) in means.iter().enumerate() {
            // Bernoulli rewards: a mean outside [0, 1] is no distribution. Rounding of the dot
            // product is not forgiven: a mean of 1 + 1e-16 is refused, not clamped.
            if !(0.0..=1.0).contains(&mu) {
                return Err(bad(format!("means[{i}]"), mu, "⟨a_i, θ*⟩ is the Bernoulli mean of arm i", "[0, 1]"));
            }
        }
        let best = means.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let ties = means.iter().filter(|&&m| m == best).count();
        if ties > 1 {
            return Err(bad(
                "means",
                format!("{ties} arms with the largest mean {best}"),
                "the best arm must be unique",
                "one arm with the largest mean",
            ));
        }
        Ok(LinearBai { features, theta, means })
    }

    /// The K-armed bandit as a linear one: a_i = e_i, θ* = μ (d = K).
    pub fn unstructured(means: &[f64]) -> Result<LinearBai, ModelError> {
        let k = means.len();
        if !(2..=64).contains(&k) {
            return Err(bad(
                "means",
                format!("{k} arm(s)"),
                "the K-armed bandit as a linear one has d = K",
                "2 ..= 64 arms",
            ));
        }
        if let Some(i) = means.iter().position(|m| !m.is_finite()) {
            return Err(bad(format!("means[{i}]"), means[i], "not a finite number", "[0, 1]"));
        }
        let features = (0..k).map(|i| (0..k).map(|j| (i == j) as u8 as f64).collect()).collect();
        LinearBai::new(features, means.to_vec())
    }

    /// OD-LinBAI's instance family (Yang & Tan 2022, Sec. 5.1), lifted to rewards in [0, 1]:
    /// in ℝ² with θ = (1, 0), arm 0 = (1, 0), arms 1 … K−2 at angle π/4 + φ_i with
    /// φ_i ~ N(0, angle_sd²) from the instance stream of `seed`, and arm K−1 at 3π/4. The
    /// Bernoulli mean of a planar arm x is (1 + s ⟨x, θ⟩)/2 for a scale s ∈ (0, 1] (s = 1: the
    /// best arm has mean 1; smaller s centres the means on ½ and shrinks the gaps by s), which is
    /// linear in the lifted features (x, 1) ∈ ℝ³ with θ* = (s/2, 0, ½): d = 3.
    pub fn od_linbai(k: usize, angle_sd: f64, scale: f64, seed: u64) -> Result<LinearBai, ModelError> {
        if !(scale > 0.0 && scale <= 1.0) {
            return Err(bad("scale", scale, "the scale s of the means (1 + s⟨x, θ⟩)/2", "(0, 1]"));
        }
        if k < 3 {
            return Err(bad(
                "arms",
                k,
                "the family has the best arm, K − 2 arms near π/4 and one at 3π/4",
                "3 ..= 10000",
            ));
        }
        if !(angle_sd >= 0.0 && angle_sd.is_finite()) {
            return Err(bad("angle_sd", angle_sd, "the standard deviation of the angles' perturbation", "[0, ∞)"));
        }
        let mut rng = StreamId::new(crate::rng::cell_key(seed, 0x0d1b), 0, Role::Instance).stream();
        let normal = Normal::new(0.0, angle_sd).map_err(|e| bad("angle_sd", angle_sd, e.to_string(), "[0, ∞)"))?;
        let mut planar = vec![[1.0, 0.0]];
        for _ in 1..k - 1 {
            let phi: f64 = std::f64::consts::FRAC_PI_4 + normal.sample(&mut rng);
            planar.push([phi.cos(), phi.sin()]);
        }
        let w = 3.0 * std::f64::consts::FRAC_PI_4;
        planar.push([w.cos(), w.sin()]);
        LinearBai::new(planar.iter().map(|x| vec![x[0], x[1], 1.0]).collect(), vec![0.5 * scale, 0.0, 0.5])
    }

    pub fn k(&self) -> usize {
        self.features.len()
    }

    pub fn dim(&self) -> usize {
        self.theta.len()
    }

    pub fn best(&self) -> usize {
        (0..self.k()).fold(0, |b, i| if self.means[i] > self.means[b] { i } else { b })
    }

    /// The gaps sorted increasingly, Δ_(1) = 0 for the best arm first.
    pub fn sorted_gaps(&self) -> Vec<f64> {
        let best = self.means[self.best()];
        let mut g: Vec<f64> = self.means.iter().map(|m| best - m).collect();
        g.sort_by(f64::total_cmp);
        g
    }

    /// The problem complexities (our reading of Chen et al. 2024; the paper names them H_BAI and
    /// H_pri): H_BAI = max_{2 ≤ i ≤ min(d, K)} i / Δ_(i)², H_pri = max_{2 ≤ i ≤ min(d, K)} i / Δ_(i),
    /// to be divided by ε. Only the min(d, K) smallest gaps matter: a phased elimination keeps
    /// at most d arms after its first phase.
    pub fn complexities(&self) -> (f64, f64) {
        let g = self.sorted_gaps();
        let top = self.dim().min(self.k()).max(2);
        let (mut h_bai, mut h_pri) = (0.0f64, 0.0f64);
        for i in 2..=top {
            let delta = g[i - 1];
            h_bai = h_bai.max(i as f64 / (delta * delta));
            h_pri = h_pri.max(i as f64 / delta);
        }
        (h_bai, h_pri)
    }

    /// The columns a_i of the arms in `set` (d × |set|).
    pub fn matrix(&self, set: &[usize]) -> DMatrix<f64> {
        DMatrix::from_fn(self.dim(), set.len(), |r, c| self.features[set[c]][r])
    }

    pub fn feature(&self, i: usize) -> DVector<f64> {
        DVector::from_column_slice(&self.features[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn od_linbai_family_has_the_stated_geometry() {
        let inst = LinearBai::od_linbai(10, 0.3, 1.0, 1).unwrap();
        assert_eq!(inst.dim(), 3);
        assert_eq!(inst.best(), 0);
        assert!((inst.means[0] - 1.0).abs() < 1e-15);
        // the arm at 3π/4 has mean (1 − √2/2)/2
        assert!((inst.means[9] - (1.0 - 0.5f64.sqrt()) / 2.0).abs() < 1e-12);
        // the others near (1 + cos π/4)/2 = 0.854
        assert!(inst.means[1..9].iter().all(|&m| (0.5..1.0).contains(&m)));
    }

    #[test]
    fn complexities_hand_computed() {
        // gaps 0, 0.1, 0.2, 0.4: H_BAI = max(2/0.01, 3/0.04, 4/0.16) = 200, H_pri = max(20, 15, 10) = 20
        let inst = LinearBai::unstructured(&[0.9, 0.8, 0.7, 0.5]).unwrap();
        let (hb, hp) = inst.complexities();
        assert!((hb - 200.0).abs() < 1e-9 && (hp - 20.0).abs() < 1e-9, "{hb} {hp}");
    }

    #[test]
    fn bad_instances_are_refused() {
        let e = |r: Result<LinearBai, ModelError>| r.unwrap_err().to_string();
        assert!(e(LinearBai::new(vec![vec![1.0, 0.0], vec![2.0, 0.0]], vec![0.3, 0.1])).contains("span ℝ^2"));
        assert!(e(LinearBai::unstructured(&[0.5, 1.2])).contains("means[1] = 1.2"));
        assert!(e(LinearBai::unstructured(&[0.5, 0.5])).contains("unique"));
        assert!(e(LinearBai::new(vec![vec![1.0], vec![0.5, 0.1]], vec![0.3])).contains("features[1]"));
    }
}
