//! Gaussian Thompson sampling (Agrawal & Goyal 2013) in fixed point, on Bernoulli and Gaussian
//! arms: an exact integer definition of the posterior draws, and its scalar reference. The GPU
//! kernel ([`super::gpu`]) computes the same integers.
//!
//! **Definition.** The f64 path draws θ_k ~ N(S_k / (n_k + 1), σ² / (n_k + 1)) for every arm at
//! every step and pulls the largest (no forced pulls). Here, at step m (0-based) of replication r:
//! - Z_k = [`normal_q24`] of word k mod 4 of block m·⌈K/4⌉ + ⌊k/4⌋ of the policy's own stream
//!   `Role::Policy(tag)`: the integer standard normal of the Gaussian arms (Q8.24, |Z| ≤ 6.338);
//! - mean: ⌊S_k 2^20 / (n_k + 1)⌋ (Bernoulli, S = successes) or ⌊S_k / (n_k + 1)⌋ (Gaussian,
//!   S = the Q12.20 reward sum), floored, in Q12.20;
//! - noise: ⌊⌊Σ Z_k / 2^24⌋ · W\[n_k\] / 2^32⌋ with Σ = round(σ 2^20) and W\[n\] = `ucb1_b(n + 1)`
//!   ≈ 2^32 / √(n + 1) (an IEEE f32 expression the host tabulates), floors of i64 products;
//! - θ_k = mean + noise as a signed Q12.20 integer with its sign bit flipped, so that the
//!   kernel's unsigned argmax (strict `>`, ties to the lowest arm) orders it; the range
//!   |θ| < 2048 is validated ([`thompson_support`]).
//!
//! Against the f64 path: the same law up to the deviate's quantisation (2^-24, quantile error
//! < 1e-6, truncation at 6.338) and W's f32 rounding (relative 2^-23); the streams differ
//! (the f64 path draws its normals by rand_distr's ziggurat), so runs agree in distribution, not
//! replication by replication.

use super::gaussian::{GQ, SIGN, Z_MAX, normal_q24};
use super::{FixedKernel, FixedRule, Trace, ucb1_b};
use crate::engine::Checkpoints;
use crate::rng::{Role, StreamId};
use crate::settings::bandit::arms::Arm;

/// Why these arms and σ cannot run the fixed-point Thompson rule: every θ must stay below 2048
/// in Q12.20 (and Gaussian sums below 2^53, [`super::gaussian::gaussian_support`]).
pub fn thompson_support(arms: &[Arm], horizon: u64, sigma: f64) -> Result<(), String> {
    if !(sigma.is_finite() && sigma > 0.0) {
        return Err(format!("σ = {sigma} must be positive and finite"));
    }
    let noise = Z_MAX * sigma;
    match arms.first() {
        Some(Arm::Gaussian { .. }) => super::gaussian::gaussian_support(arms, horizon, noise),
        _ if 1.0 + noise >= 2047.0 => {
            Err(format!("the Q12.20 draw overflows: 1 + {Z_MAX} σ = {:.1} must stay below 2047", 1.0 + noise))
        }
        _ => Ok(()),
    }
}

/// round(σ 2^20), the rule's scale in Q12.20.
pub fn sigma_q20(sigma: f64) -> i64 {
    (sigma * (1u64 << GQ) as f64).round() as i64
}

/// W\[n\] for n = 0 ..= horizon: `ucb1_b(n + 1)`.
pub fn w_table(horizon: u64) -> Vec<u32> {
    (0..=horizon as u32).map(|n| ucb1_b(n + 1)).collect()
}

/// θ as defined above, from the arm's (Q12.20) mean, pull count's W and the deviate.
#[inline(always)]
pub fn theta(mean20: i64, w: u32, sig: i64, z: i32) -> u32 {
    let noise = (((sig * z as i64) >> 24) * w as i64) >> 32;
    ((mean20 + noise) as i32 as u32) ^ SIGN
}

/// The scalar reference: one replication at a time.
pub(super) fn run_scalar(kern: &FixedKernel, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
    let FixedRule::Thompson { sigma, tag } = kern.rule else {
        unreachable!("the Thompson reference runs the Thompson rule")
    };
    let sig = sigma_q20(sigma);
    let k = kern.k;
    let nb = k.div_ceil(4) as u64;
    for (i, tr) in out.iter_mut().enumerate() {
        let rep = (first_rep + i as u64) as u32;
        let env = StreamId::new(kern.key, rep, Role::Env);
        let pol = StreamId::new(kern.key, rep, Role::Policy(tag));
        let (mut n, mut s, mut sum) = (vec![0u32; k], vec![0u32; k], vec![0i64; k]);
        let (mut blk, mut pw) = ([0u32; 4], [0u32; 4]);
        let (mut cps, mut v) = (Checkpoints::new(grid), [0.0; 3]);
        for m in 0..kern.horizon {
            if m & 3 == 0 {
                blk = env.block(m >> 2);
            }
            let mut best = 0;
            let mut bv = 0;
            for j in 0..k {
                if j % 4 == 0 {
                    pw = pol.block(m * nb + (j / 4) as u64);
                }
                let mean = match &kern.gauss {
                    Some(_) => sum[j].div_euclid(n[j] as i64 + 1),
                    None => ((s[j] as i64) << GQ) / (n[j] as i64 + 1),
                };
                let x = theta(mean, kern.b[n[j] as usize], sig, normal_q24(pw[j % 4]));
                if j == 0 || x > bv {
                    bv = x;
                    best = j;
                }
            }
            let u = blk[(m & 3) as usize];
            n[best] += 1;
            match &kern.gauss {
                Some(g) => sum[best] += g.reward(best, normal_q24(u)),
                None => s[best] += (u < kern.thr[best]) as u32 | kern.full[best],
            }
            if let Some(c) = cps.hit(m + 1) {
                record(kern, m + 1, &n, &s, &sum, &mut v);
                tr.put(c, &v);
            }
        }
        record(kern, kern.horizon, &n, &s, &sum, &mut v);
        tr.finals.copy_from_slice(&v);
    }
}

fn record(kern: &FixedKernel, t: u64, n: &[u32], s: &[u32], sum: &[i64], v: &mut [f64; 3]) {
    match kern.gauss {
        Some(_) => kern.record_total(t, n, super::gaussian::real(sum.iter().sum()), v),
        None => kern.record(t, n, s, v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::default_grid;
    use crate::rng::cell_key;
    use crate::settings::bandit::sim::{BanditSim, PolicyConfig};

    #[test]
    fn theta_hand_computed() {
        // mean 0.5, n = 3 (W = 2^31, 1/√4), σ = 1, Z = 2: 0.5 + 2/2 = 1.5 in Q12.20
        let w = ucb1_b(4);
        assert_eq!(w, 1 << 31);
        let x = theta(1 << 19, w, sigma_q20(1.0), 2 << 24);
        assert_eq!((x ^ SIGN) as i32, 3 << 19);
        // a negative mean and draw: −1.5 − 0.5 = −2, still ordered below 0 once flipped
        let y = theta(-(3 << 19), w, sigma_q20(1.0), -(1 << 24));
        assert_eq!((y ^ SIGN) as i32, -(2 << 20));
        assert!(y < SIGN && x > SIGN, "0 flips to SIGN");
    }

    #[test]
    fn support_refuses_overflowing_sigma() {
        let b = [Arm::Bernoulli { p: 0.5 }];
        assert!(thompson_support(&b, 1000, 100.0).is_ok());
        assert!(thompson_support(&b, 1000, 400.0).unwrap_err().contains("2047"));
        assert!(thompson_support(&b, 1000, 0.0).is_err());
        let g = [Arm::Gaussian { mean: 0.0, sd: 1.0 }];
        assert!(thompson_support(&g, 1000, 330.0).unwrap_err().contains("2047"));
    }

    /// The fixed-point rule and the f64 path agree in distribution: final pseudo-regret means
    /// within 4 combined standard errors (Bernoulli B1-like and Gaussian arms, 2,000 runs each,
    /// fixed seeds).
    #[test]
    fn fixed_point_thompson_matches_the_f64_path_in_mean() {
        for arms in [
            vec![Arm::Bernoulli { p: 0.3 }, Arm::Bernoulli { p: 0.5 }, Arm::Bernoulli { p: 0.45 }],
            vec![
                Arm::Gaussian { mean: 0.0, sd: 1.0 },
                Arm::Gaussian { mean: 0.4, sd: 1.0 },
                Arm::Gaussian { mean: 0.2, sd: 0.5 },
            ],
        ] {
            let t = 500;
            let grid = default_grid(t);
            let reps = 2000;
            let key = cell_key(77, 1);
            let kern = FixedKernel::new(&arms, t, FixedRule::Thompson { sigma: 1.0, tag: 4 }, key);
            let mut a = vec![Trace::new(3, grid.len()); reps];
            kern.run_scalar(0, &grid, &mut a);
            let sim = BanditSim::new(arms.clone(), t, key, PolicyConfig::ThompsonGaussian { sigma: 1.0 }, 4, None);
            let mut b = vec![Trace::new(3, grid.len()); reps];
            sim.run_f64(0, &grid, &mut b);
            let stats = |x: &[Trace]| {
                let v: Vec<f64> = x.iter().map(|t| t.finals[0]).collect();
                let m = v.iter().sum::<f64>() / v.len() as f64;
                let var = v.iter().map(|y| (y - m) * (y - m)).sum::<f64>() / (v.len() - 1) as f64;
                (m, var / v.len() as f64)
            };
            let ((ma, va), (mb, vb)) = (stats(&a), stats(&b));
            assert!((ma - mb).abs() < 4.0 * (va + vb).sqrt(), "{arms:?}: fixed {ma:.3} vs f64 {mb:.3}");
            assert!(ma > 0.0);
        }
    }
}
