//! SEA sequences of quadratic losses on a Euclidean ball.
//!
//! Round t: nature's distribution D_t has mean loss F_t(x) = ½‖x − c_t‖² + ½σ², and the learner
//! pays f_t(x) = ½‖x − ξ_t‖² with ξ_t = c_t + σ·z_t, z_t uniform on {±1/√d}^d (Rademacher, so
//! ‖σz_t‖ = σ exactly and gradients stay bounded). Then, exactly:
//! - ∇f_t(x) − ∇F_t(x) = −σz_t, so σ²_t = σ² and σ²_{1:T} = Tσ²;
//! - ∇F_t(x) − ∇F_{t−1}(x) = c_{t−1} − c_t for t ≥ 2 and ∇F_1(x) − ∇F_0 = x − c_1 (∇F_0 = 0), so
//!   Σ²_{1:T} = (R + ‖c_1‖)² + Σ_{t≥2} ‖c_t − c_{t−1}‖²;
//! - Σ_t F_t(x) = (T/2)‖x − c̄‖² + const, so the best fixed point is Π_X(c̄), exactly;
//! - E[f_t(x_t) | past] = F_t(x_t), so Σ_t F_t(x_t) − F_t(u*) is an unbiased estimate of the
//!   expected regret E[Σ f_t(x_t) − Σ f_t(u*)] with the noise's own variance removed.
//!
//! Centres: c_t = c₀·e₁ + a·s_t·e₂ + b·(cos(2πt/P_d), sin(2πt/P_d), 0, …)·… — a fixed part, a
//! switching part (s_t = ±1, flipping every `period` rounds; 0 = never) and a drifting part
//! (radius `drift`, one turn every `drift_period` rounds).

use crate::mdp::{bad, MdpError};
use crate::oco::{norm2, Domain};
use crate::rng::StreamId;

/// The parameters of one SEA sequence.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SeaInstance {
    pub dim: usize,
    pub radius: f64,
    pub sigma: f64,
    pub centre: f64,
    pub amplitude: f64,
    /// Rounds between flips of the switching part (0: never flips).
    pub period: u64,
    pub drift: f64,
    pub drift_period: u64,
}

impl SeaInstance {
    pub fn new(i: SeaInstance) -> Result<SeaInstance, MdpError> {
        if i.dim < 2 || i.dim > 100_000 {
            return Err(bad("dim", i.dim, "the dimension (the centres use two coordinates)", "2 ..= 100000"));
        }
        if !(i.radius > 0.0 && i.radius.is_finite()) {
            return Err(bad("radius", i.radius, "the domain is the ball of this radius (it must be bounded and non-empty)", "(0, ∞)"));
        }
        for (name, x) in [("sigma", i.sigma), ("amplitude", i.amplitude), ("drift", i.drift)] {
            if !(x >= 0.0 && x.is_finite()) {
                return Err(bad(name, x, "a scale of the sequence", "[0, ∞)"));
            }
        }
        if !i.centre.is_finite() {
            return Err(bad("centre", i.centre, "the fixed part of the centres", "a finite number"));
        }
        if i.drift > 0.0 && i.drift_period == 0 {
            return Err(bad("drift_period", 0, "rounds per turn of the drift", ">= 1 when drift > 0"));
        }
        Ok(i)
    }

    pub fn domain(&self) -> Domain {
        Domain::Ball { dim: self.dim, radius: self.radius }
    }

    /// c_t for t = 1, 2, …
    pub fn centre_at(&self, t: u64, out: &mut [f64]) {
        out.iter_mut().for_each(|x| *x = 0.0);
        out[0] = self.centre;
        if self.amplitude > 0.0 {
            let s = if self.period == 0 || ((t - 1) / self.period).is_multiple_of(2) { 1.0 } else { -1.0 };
            out[1] += self.amplitude * s;
        }
        if self.drift > 0.0 {
            let a = 2.0 * std::f64::consts::PI * t as f64 / self.drift_period as f64;
            out[0] += self.drift * a.cos();
            out[1] += self.drift * a.sin();
        }
    }

    /// ξ_t = c_t + σ z_t, z_t from the environment stream (one word per coordinate).
    pub fn draw(&self, env: &StreamId, t: u64, out: &mut [f64]) {
        self.centre_at(t, out);
        if self.sigma > 0.0 {
            // Word t·d + i of the stream, read a Philox block (four words) at a time.
            let scale = self.sigma / (self.dim as f64).sqrt();
            let first = t * self.dim as u64;
            let mut block = [0u32; 4];
            let mut loaded = u64::MAX;
            for (i, x) in out.iter_mut().enumerate() {
                let w = first + i as u64;
                if w >> 2 != loaded {
                    loaded = w >> 2;
                    block = env.block(loaded);
                }
                *x += if block[(w & 3) as usize] & 1 == 1 { scale } else { -scale };
            }
        }
    }

    /// A bound G on ‖∇f_t(x)‖ = ‖x − ξ_t‖ over the ball: R + max‖c_t‖ + σ.
    pub fn gradient_bound(&self) -> f64 {
        self.radius + self.centre.abs() + self.amplitude + self.drift + self.sigma
    }

    /// (σ²_{1:T}, Σ²_{1:T}) exactly.
    pub fn variations(&self, horizon: u64) -> (f64, f64) {
        let sigma2 = horizon as f64 * self.sigma * self.sigma;
        let mut prev = vec![0.0; self.dim];
        let mut cur = vec![0.0; self.dim];
        self.centre_at(1, &mut prev);
        let mut big = (self.radius + norm2(&prev)).powi(2);
        for t in 2..=horizon {
            self.centre_at(t, &mut cur);
            big += cur.iter().zip(&prev).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
            std::mem::swap(&mut cur, &mut prev);
        }
        (sigma2, big)
    }

    /// The best fixed point in hindsight for the first `horizon` rounds: Π_X(c̄).
    pub fn comparator(&self, horizon: u64) -> Vec<f64> {
        let mut mean = vec![0.0; self.dim];
        let mut c = vec![0.0; self.dim];
        for t in 1..=horizon {
            self.centre_at(t, &mut c);
            mean.iter_mut().zip(&c).for_each(|(m, x)| *m += x);
        }
        mean.iter_mut().for_each(|m| *m /= horizon as f64);
        self.domain().project(&mut mean);
        mean
    }

    /// P_T = Σ_{t≥2} ‖u_t − u_{t−1}‖ of the per-round minimisers u_t = Π(c_t).
    pub fn path_length(&self, horizon: u64) -> f64 {
        let dom = self.domain();
        let (mut prev, mut cur) = (vec![0.0; self.dim], vec![0.0; self.dim]);
        self.centre_at(1, &mut prev);
        dom.project(&mut prev);
        let mut p = 0.0;
        for t in 2..=horizon {
            self.centre_at(t, &mut cur);
            dom.project(&mut cur);
            p += norm2(&cur.iter().zip(&prev).map(|(a, b)| a - b).collect::<Vec<_>>());
            std::mem::swap(&mut cur, &mut prev);
        }
        p
    }

    /// F_t(x) − ½σ² = ½‖x − c_t‖², given c_t.
    pub fn mean_loss(x: &[f64], c: &[f64]) -> f64 {
        0.5 * x.iter().zip(c).map(|(a, b)| (a - b) * (a - b)).sum::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(sigma: f64, amplitude: f64, period: u64) -> SeaInstance {
        SeaInstance::new(SeaInstance { dim: 3, radius: 1.0, sigma, centre: 0.3, amplitude, period, drift: 0.0, drift_period: 0 }).unwrap()
    }

    #[test]
    fn variations_hand_computed() {
        // Alternating ±0.2 on e₂ every round: each flip moves c by 0.4.
        let (s2, big) = inst(0.5, 0.2, 1).variations(10);
        assert!((s2 - 2.5).abs() < 1e-12);
        let c1 = (0.3f64 * 0.3 + 0.2 * 0.2).sqrt();
        assert!((big - ((1.0 + c1).powi(2) + 9.0 * 0.16)).abs() < 1e-12, "{big}");
        // A fixed centre varies only in the first round.
        assert!((inst(0.0, 0.0, 0).variations(100).1 - 1.3f64.powi(2)).abs() < 1e-12);
    }

    #[test]
    fn noise_has_norm_sigma_and_mean_zero() {
        let i = inst(0.7, 0.0, 0);
        let env = StreamId::new([1, 2], 0, crate::rng::Role::Env);
        let mut xi = vec![0.0; 3];
        let mut sum = [0.0; 3];
        for t in 1..=20_000 {
            i.draw(&env, t, &mut xi);
            let noise: Vec<f64> = xi.iter().zip([0.3, 0.0, 0.0]).map(|(a, b)| a - b).collect();
            assert!((norm2(&noise) - 0.7).abs() < 1e-12);
            for k in 0..3 {
                sum[k] += noise[k];
            }
        }
        // Each coordinate's mean is within 4 s.e. (0.7/√3/√20000) of 0.
        for s in sum {
            assert!((s / 20_000.0).abs() < 4.0 * 0.7 / 3f64.sqrt() / 20_000f64.sqrt());
        }
    }

    #[test]
    fn comparator_minimises_the_mean_loss() {
        let i = inst(0.0, 0.8, 3);
        let u = i.comparator(50);
        let total = |x: &[f64]| (1..=50).map(|t| { let mut c = vec![0.0; 3]; i.centre_at(t, &mut c); SeaInstance::mean_loss(x, &c) }).sum::<f64>();
        let best = total(&u);
        for d in [[0.01, 0.0, 0.0], [-0.01, 0.0, 0.0], [0.0, 0.01, 0.0], [0.0, -0.01, 0.0]] {
            let mut x: Vec<f64> = u.iter().zip(d).map(|(a, b)| a + b).collect();
            i.domain().project(&mut x);
            assert!(total(&x) >= best - 1e-12);
        }
    }

    #[test]
    fn bad_parameters_name_the_field() {
        let base = SeaInstance { dim: 3, radius: 1.0, sigma: 0.1, centre: 0.0, amplitude: 0.0, period: 0, drift: 0.0, drift_period: 0 };
        assert!(SeaInstance::new(SeaInstance { radius: 0.0, ..base.clone() }).unwrap_err().to_string().contains("radius = 0"));
        assert!(SeaInstance::new(SeaInstance { sigma: -1.0, ..base.clone() }).unwrap_err().to_string().contains("sigma = -1"));
        assert!(SeaInstance::new(SeaInstance { drift: 0.5, ..base.clone() }).unwrap_err().to_string().contains("drift_period = 0"));
        assert!(SeaInstance::new(SeaInstance { dim: 1, ..base }).unwrap_err().to_string().contains("dim = 1"));
    }
}
