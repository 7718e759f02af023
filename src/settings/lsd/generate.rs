//! Random LSD instances by class, for the approximation-ratio experiments. Each class is our
//! choice (the paper states no experiments); every draw comes from a seeded Philox stream, so an
//! instance is fixed by (class, arms, τ_max, seed, index).
//!
//! - `monotone`: μ^act non-increasing (satiating runs), μ^idle non-decreasing (recharging
//!   idle time), uniform values sorted;
//! - `non_monotone`: every entry uniform;
//! - `recharging_concave` / `recharging`: Laforgue's positive-state special case (the payoff
//!   depends only on the rounds since the last pull, f(τ), τ = 1..τ_max + 1) with f
//!   non-decreasing and concave (f(τ) = a(1 − e^{−τ/θ})), or non-decreasing and not concave
//!   (a step at a random τ, as in Laforgue's spikes);
//! - `satiation`: a constant switch-in payoff b and runs decaying geometrically, μ^act(n) = b·γ^n.

use serde::{Deserialize, Serialize};

use super::model::{ArmState, LsdInstance};
use crate::error::{ModelError, bad};
use crate::rng::{Philox, Role, StreamId, seed_key};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Monotone,
    NonMonotone,
    RechargingConcave,
    Recharging,
    Satiation,
}

impl Class {
    /// Whether the class is a recharging instance (Papadigenopoulos et al.'s setting).
    pub fn is_recharging(self) -> bool {
        matches!(self, Class::RechargingConcave | Class::Recharging)
    }
}

/// Instance `index` of a class (k arms, counts up to τ_max; every arm starts Idle with n = τ_max:
/// rested).
pub fn generate(class: Class, k: usize, tau_max: usize, seed: u64, index: u64) -> Result<LsdInstance, ModelError> {
    if !(1..=64).contains(&k) {
        return Err(bad("arms", k, "the number of arms", "1 ..= 64"));
    }
    if !(1..=1000).contains(&tau_max) {
        return Err(bad("tau_max", tau_max, "the largest count a state tells apart", "1 ..= 1000"));
    }
    let mut rng = StreamId::new(seed_key(seed, 0x15D_6E4E), index as u32, Role::Instance).fold_in(index >> 32).stream();
    let sorted = |rng: &mut Philox, up: bool| -> Vec<f64> {
        let mut v: Vec<f64> = (0..tau_max).map(|_| rng.open01()).collect();
        v.sort_by(|a, b| if up { a.total_cmp(b) } else { b.total_cmp(a) });
        v
    };
    let (mut act, mut idle) = (Vec::with_capacity(k), Vec::with_capacity(k));
    for _ in 0..k {
        match class {
            Class::Monotone => {
                act.push(sorted(&mut rng, false));
                idle.push(sorted(&mut rng, true));
            }
            Class::NonMonotone => {
                act.push((0..tau_max).map(|_| rng.open01()).collect());
                idle.push((0..tau_max).map(|_| rng.open01()).collect());
            }
            Class::RechargingConcave | Class::Recharging => {
                // f(τ) for τ = 1 ..= τ_max + 1; pulled again: τ = 1; after n idle rounds τ = n + 1
                let a = rng.open01();
                let f: Vec<f64> = if class == Class::RechargingConcave {
                    let theta = 0.5 + rng.open01() * tau_max as f64;
                    (1..=tau_max + 1).map(|t| a * (1.0 - (-(t as f64) / theta).exp())).collect()
                } else {
                    let step = 1 + (rng.open01() * (tau_max + 1) as f64) as usize;
                    let low = a * rng.open01() * 0.3;
                    (1..=tau_max + 1).map(|t| if t >= step { a } else { low }).collect()
                };
                act.push(vec![f[0]; tau_max]);
                idle.push(f[1..].to_vec());
            }
            Class::Satiation => {
                let (b, gamma) = (rng.open01(), 0.5 + 0.5 * rng.open01());
                act.push((1..=tau_max).map(|n| b * gamma.powi(n as i32)).collect());
                idle.push(vec![b; tau_max]);
            }
        }
    }
    let start = vec![ArmState { active: false, n: tau_max as u16 }; k];
    LsdInstance::new(act, idle, start)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each class has the monotonicity it claims, and seeds and indices give different draws.
    #[test]
    fn classes_have_their_shape() {
        for index in 0..20 {
            let m = generate(Class::Monotone, 3, 4, 1, index).unwrap().monotonicity();
            assert!(m.act_non_increasing && m.idle_non_decreasing);
            for class in [Class::RechargingConcave, Class::Recharging] {
                let inst = generate(class, 3, 4, 1, index).unwrap();
                let m = inst.monotonicity();
                assert!(m.act_non_increasing && m.idle_non_decreasing);
                // recharging: a pull after a run pays what a pull after no idle round pays,
                // f(1), and f(1) ≤ f(2) = μ^idle(1)
                assert!(inst.act.iter().zip(&inst.idle).all(|(a, d)| a.iter().all(|&x| x == a[0]) && a[0] <= d[0]));
            }
            let m = generate(Class::Satiation, 3, 4, 1, index).unwrap().monotonicity();
            assert!(m.act_non_increasing && m.idle_non_decreasing && m.switch_in_at_least_run);
        }
        let non: usize = (0..50)
            .filter(|&i| {
                let m = generate(Class::NonMonotone, 3, 4, 1, i).unwrap().monotonicity();
                !(m.act_non_increasing && m.idle_non_decreasing)
            })
            .count();
        assert!(non >= 45, "{non} of 50 non-monotone draws are not monotone");
        assert_ne!(generate(Class::Monotone, 3, 4, 1, 0).unwrap(), generate(Class::Monotone, 3, 4, 2, 0).unwrap());
        assert_ne!(generate(Class::Monotone, 3, 4, 1, 0).unwrap(), generate(Class::Monotone, 3, 4, 1, 1).unwrap());
        assert!(generate(Class::Monotone, 0, 4, 1, 0).is_err() && generate(Class::Monotone, 2, 0, 1, 0).is_err());
    }
}
