//! Arm distributions and the counter-addressed reward table of a classical bandit instance.
//!
//! Common random numbers: the reward of arm `k` at step `t` of replication `r` is a fixed
//! function of Philox words addressed by (r, t), so every policy of a cell faces the same
//! virtual reward table. For Bernoulli, Gaussian and uniform arms one uniform `u(r, t)` drives
//! every arm through its quantile function (a comonotone coupling). A policy observes one arm
//! per step and `u(r, t)` is fresh at each step, so the law of every policy's trajectory is
//! exactly that of independent arms; only cross-arm comparisons within a step would see the
//! coupling, and no reported metric makes one. Beta arms use an independent stream per (t, arm).

use rand_distr::Distribution;
use serde::Serialize;

use crate::rng::{Role, StreamId, philox4x32_10, u64_to_open01};

/// One arm's reward distribution.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "family", rename_all = "lowercase")]
pub enum Arm {
    Bernoulli { p: f64 },
    Gaussian { mean: f64, sd: f64 },
    Uniform { low: f64, high: f64 },
    Beta { a: f64, b: f64 },
}

impl Arm {
    pub fn mean(&self) -> f64 {
        match *self {
            Arm::Bernoulli { p } => p,
            Arm::Gaussian { mean, .. } => mean,
            Arm::Uniform { low, high } => 0.5 * (low + high),
            Arm::Beta { a, b } => a / (a + b),
        }
    }

    /// Whether every reward lies in [0, 1] (needed by KL-UCB, Beta-Thompson and EXP3).
    pub fn in_unit_interval(&self) -> bool {
        match *self {
            Arm::Bernoulli { .. } | Arm::Beta { .. } => true,
            Arm::Gaussian { .. } => false,
            Arm::Uniform { low, high } => low >= 0.0 && high <= 1.0,
        }
    }

    /// The Bernoulli threshold round(p 2^32) in [0, 2^32]: reward = 1 iff word < threshold.
    pub fn bernoulli_threshold(p: f64) -> u64 {
        (p * 4_294_967_296.0).round() as u64
    }
}

/// The reward table of one replication of one instance.
#[derive(Clone, Debug)]
pub struct Env<'a> {
    arms: &'a [Arm],
    thr: &'a [u64],
    env: StreamId,
    aux: StreamId,
    block: u64,
    words: [u32; 4],
}

impl<'a> Env<'a> {
    /// `thr` holds each arm's Bernoulli threshold (ignored for other families).
    pub fn new(arms: &'a [Arm], thr: &'a [u64], key: [u32; 2], rep: u32) -> Env<'a> {
        Env {
            arms,
            thr,
            env: StreamId::new(key, rep, Role::Env),
            aux: StreamId::new(key, rep, Role::EnvAux),
            block: u64::MAX,
            words: [0; 4],
        }
    }

    /// The environment word of step `t` (word `t` of the Env stream; blocks are cached
    /// because steps are visited in order).
    #[inline]
    pub fn word(&mut self, t: u64) -> u32 {
        let b = t >> 2;
        if b != self.block {
            self.block = b;
            self.words = self.env.block(b);
        }
        self.words[(t & 3) as usize]
    }

    /// Reward of arm `k` at step `t` (0-based).
    #[inline]
    pub fn reward(&mut self, t: u64, k: usize) -> f64 {
        let w = self.word(t);
        match self.arms[k] {
            Arm::Bernoulli { .. } => ((w as u64) < self.thr[k]) as u32 as f64,
            Arm::Gaussian { mean, sd } => mean + sd * std_normal_quantile(self.u53(w, t)),
            Arm::Uniform { low, high } => low + (high - low) * self.u53(w, t),
            Arm::Beta { a, b } => {
                // The arm goes into the key (a bijective mix, so no two arms share a stream) and
                // the step into the counter's last word; the spec caps the horizon at 2^32.
                let m = crate::rng::mix64(k as u64 + 1);
                let id = StreamId { role: self.aux.role ^ crate::rng::AUX_ROLE_BIT, ..self.aux.fold_in(m) };
                let mut s = BetaStream { id, t: t as u32, i: 0, buf: [0; 4] };
                match rand_distr::Beta::new(a, b) {
                    Ok(d) => d.sample(&mut s),
                    Err(_) => f64::NAN,
                }
            }
        }
    }

    /// A 53-bit uniform in (0, 1) from the step's Env word and its EnvAux word.
    #[inline]
    fn u53(&self, w: u32, t: u64) -> f64 {
        u64_to_open01(((w as u64) << 32) | self.aux.word(t) as u64)
    }
}

/// Φ⁻¹(u) through the inverse complementary error function.
#[inline]
pub fn std_normal_quantile(u: f64) -> f64 {
    -std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * u)
}

/// The independent stream of one Beta arm at step `t`: counter [i, rep, role, t] under a key
/// that mixes in the arm.
struct BetaStream {
    id: StreamId,
    t: u32,
    i: u32,
    buf: [u32; 4],
}

impl rand_core::TryRng for BetaStream {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        if self.i & 3 == 0 {
            self.buf = philox4x32_10([self.i >> 2, self.id.rep, self.id.role, self.t], self.id.key);
        }
        let w = self.buf[(self.i & 3) as usize];
        self.i += 1;
        Ok(w)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let lo = self.try_next_u32()? as u64;
        let hi = self.try_next_u32()? as u64;
        Ok(lo | hi << 32)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for c in dst.chunks_mut(4) {
            let w = self.try_next_u32()?.to_le_bytes();
            c.copy_from_slice(&w[..c.len()]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::cell_key;
    use crate::stats::Welford;

    fn moments(arm: Arm, n: u64) -> Welford {
        let arms = [arm];
        let thr = [match arms[0] {
            Arm::Bernoulli { p } => Arm::bernoulli_threshold(p),
            _ => 0,
        }];
        let mut env = Env::new(&arms, &thr, cell_key(9, 9), 0);
        let mut w = Welford::default();
        for t in 0..n {
            w.push(env.reward(t, 0));
        }
        w
    }

    #[test]
    fn arm_means_match_within_5_se() {
        let n = 1 << 16;
        for arm in [
            Arm::Bernoulli { p: 0.3 },
            Arm::Gaussian { mean: -1.0, sd: 2.0 },
            Arm::Uniform { low: 0.2, high: 0.6 },
            Arm::Beta { a: 2.0, b: 5.0 },
        ] {
            let w = moments(arm.clone(), n);
            assert!((w.mean - arm.mean()).abs() < 5.0 * w.std_err(), "{arm:?}: {}", w.mean);
        }
    }

    #[test]
    fn gaussian_sd_matches() {
        let w = moments(Arm::Gaussian { mean: 0.0, sd: 2.0 }, 1 << 16);
        // sd of the sample sd ~ sd / sqrt(2n) = 0.0055; tolerance 0.03
        assert!((w.sd() - 2.0).abs() < 0.03, "{}", w.sd());
    }

    #[test]
    fn degenerate_bernoulli_arms_are_exact() {
        assert_eq!(moments(Arm::Bernoulli { p: 1.0 }, 1000).mean, 1.0);
        assert_eq!(moments(Arm::Bernoulli { p: 0.0 }, 1000).mean, 0.0);
    }

    #[test]
    fn normal_quantile_known_values() {
        assert!((std_normal_quantile(0.975) - 1.959963984540054).abs() < 1e-12);
        assert!(std_normal_quantile(0.5).abs() < 1e-15);
    }
}
