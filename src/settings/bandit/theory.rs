//! Theory overlays for the classical bandit: the Lai–Robbins lower bound and UCB1's
//! gap-dependent upper bound, as functions of t.

use super::arms::Arm;
use super::policies::kl_bernoulli;

/// The Lai–Robbins constant Σ_{k: Δ_k > 0} Δ_k / KL(ν_k, ν*) (Lai & Robbins 1985), so that
/// every consistent policy has liminf E\[R_t\] / ln t ≥ constant. Defined for Bernoulli arms (KL =
/// kl(μ_k, μ*)) and Gaussian arms with a common variance σ² (KL = Δ²/(2σ²)); `None` otherwise,
/// since for other families the constant needs K_inf, which the overlay does not compute.
pub fn lai_robbins_constant(arms: &[Arm]) -> Option<f64> {
    let mu_star = arms.iter().map(Arm::mean).fold(f64::NEG_INFINITY, f64::max);
    let mut c = 0.0;
    for a in arms {
        let gap = mu_star - a.mean();
        if gap <= 0.0 {
            continue;
        }
        let kl = match *a {
            // kl(p, 1) = ∞ for p < 1: an arm against a sure best arm costs O(1), not O(ln t).
            Arm::Bernoulli { .. } if mu_star >= 1.0 => continue,
            Arm::Bernoulli { p } => kl_bernoulli(p, mu_star),
            Arm::Gaussian { sd, .. } => {
                let common = arms.iter().all(|b| matches!(b, Arm::Gaussian { sd: s, .. } if *s == sd));
                if !common {
                    return None;
                }
                gap * gap / (2.0 * sd * sd)
            }
            _ => return None,
        };
        if !kl.is_finite() || kl <= 0.0 {
            return None;
        }
        c += gap / kl;
    }
    Some(c)
}

/// Auer, Cesa-Bianchi & Fischer (2002), Theorem 1: for rewards in [0, 1], UCB1's expected
/// regret after t pulls is at most Σ_{Δ_k>0} 8 ln t / Δ_k + (1 + π²/3) Σ_k Δ_k.
pub fn ucb1_upper_bound(arms: &[Arm], t: u64) -> Option<f64> {
    if !arms.iter().all(Arm::in_unit_interval) {
        return None;
    }
    let mu_star = arms.iter().map(Arm::mean).fold(f64::NEG_INFINITY, f64::max);
    let lt = (t.max(1) as f64).ln();
    let (mut a, mut b) = (0.0, 0.0);
    for arm in arms {
        let gap = mu_star - arm.mean();
        if gap > 0.0 {
            a += 8.0 * lt / gap;
            b += gap;
        }
    }
    Some(a + (1.0 + std::f64::consts::PI.powi(2) / 3.0) * b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lai_robbins_two_gaussian_arms() {
        // gap 0.5, σ = 1: Δ / (Δ²/2) = 2/Δ = 4
        let arms = [Arm::Gaussian { mean: 1.0, sd: 1.0 }, Arm::Gaussian { mean: 0.5, sd: 1.0 }];
        assert!((lai_robbins_constant(&arms).unwrap() - 4.0).abs() < 1e-12);
    }

    #[test]
    fn lai_robbins_bernoulli_hand_computed() {
        // kl(0.5, 0.6) = 0.5 ln(0.5/0.6) + 0.5 ln(0.5/0.4) = 0.0204110; 0.1 / that = 4.89932
        let arms = [Arm::Bernoulli { p: 0.6 }, Arm::Bernoulli { p: 0.5 }];
        assert!((lai_robbins_constant(&arms).unwrap() - 4.89932).abs() < 1e-4);
        assert!(lai_robbins_constant(&[Arm::Bernoulli { p: 0.9 }, Arm::Uniform { low: 0.0, high: 1.0 }]).is_none());
    }

    #[test]
    fn lai_robbins_with_a_sure_best_arm_is_zero() {
        let arms = [Arm::Bernoulli { p: 1.0 }, Arm::Bernoulli { p: 0.5 }, Arm::Bernoulli { p: 0.2 }];
        assert_eq!(lai_robbins_constant(&arms), Some(0.0));
    }

    #[test]
    fn ucb1_bound_hand_computed() {
        // one gap 0.5 at t = e^2: 8 * 2 / 0.5 + (1 + π²/3) * 0.5
        let arms = [Arm::Bernoulli { p: 0.9 }, Arm::Bernoulli { p: 0.4 }];
        let t = (2.0f64).exp().round() as u64; // 7
        let want = 8.0 * (7f64).ln() / 0.5 + (1.0 + std::f64::consts::PI.powi(2) / 3.0) * 0.5;
        assert!((ucb1_upper_bound(&arms, t).unwrap() - want).abs() < 1e-9);
    }
}
