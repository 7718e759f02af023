//! Optima and rates: the entropy-regularised optimum by soft value iteration, and the
//! convergence bounds drawn over the value-gap curves.

use crate::mdp::TabularMdp;

/// V*_λ by soft value iteration, V(s) = λ·log Σ_a exp(Q(s,a)/λ), Q = r + γPV (a γ-contraction).
/// Returns V and the certified sup-norm error γ‖V_k − V_{k−1}‖/(1−γ) (plus rounding).
pub fn soft_optimum(mdp: &TabularMdp, gamma: f64, lambda: f64) -> (Vec<f64>, f64) {
    let n = mdp.states();
    let mut v = vec![0.0; n];
    for _ in 0..1_000_000 {
        let q = mdp.q_table(gamma, &v);
        let mut delta = 0.0f64;
        let next: Vec<f64> = (0..n)
            .map(|s| {
                let row = q.row(s);
                let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                m + lambda * row.iter().map(|x| ((x - m) / lambda).exp()).sum::<f64>().ln()
            })
            .collect();
        for (a, b) in next.iter().zip(&v) {
            delta = delta.max((a - b).abs());
        }
        v = next;
        let scale = v.iter().fold(1.0f64, |m, x| m.max(x.abs()));
        if delta <= 4.0 * f64::EPSILON * scale {
            return (v, (gamma * delta + 8.0 * n as f64 * f64::EPSILON * scale) / (1.0 - gamma));
        }
    }
    (v, f64::INFINITY)
}

/// Xiao (2022), Thm. 8: exact policy mirror descent with KL and a constant step t from the
/// uniform policy satisfies V*(ρ) − V^{π_k}(ρ) ≤ (log A/t + 1/(1−γ)) / ((1−γ)·k), because
/// E_{s∼d*_ρ} KL(π*(·|s) ‖ π_0(·|s)) = log A for a deterministic π* and a uniform π_0.
pub fn md_constant_step_bound(actions: usize, gamma: f64, t: f64, k: u64) -> f64 {
    ((actions as f64).ln() / t + 1.0 / (1.0 - gamma)) / ((1.0 - gamma) * k as f64)
}

/// A γ^k reference for steps growing by 1/γ: γ^k·(V*(ρ) − V^{π_0}(ρ) + log A/(t_0(1−γ))) from the
/// uniform π_0. The γ rate is Johnson, Pike-Burke & Rebeschini's (2023, sup-norm, adaptive steps);
/// Xiao's (2022) linear rate for geometric steps is (1 − 1/ϑ_ρ)^k with the mismatch coefficient
/// ϑ_ρ, which equals γ only for special ρ. With this constant it is not a theorem for uniform ρ:
/// it is drawn as a reference and checked numerically (`tests/mdpo_claims.rs`).
pub fn md_geometric_step_bound(gap0: f64, actions: usize, gamma: f64, t0: f64, k: u64) -> f64 {
    gamma.powf(k as f64) * (gap0 + (actions as f64).ln() / (t0 * (1.0 - gamma)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdp::generate;
    use crate::mdp::planning::policy_iteration;

    #[test]
    fn soft_optimum_tends_to_the_optimum_as_lambda_vanishes() {
        let mdp = generate::dirichlet(6, 3, 0.5, 4).unwrap();
        let exact = policy_iteration(&mdp, 0.9, 100).unwrap().v;
        let (v, err) = soft_optimum(&mdp, 0.9, 1e-4);
        assert!(err < 1e-9);
        // V* ≤ V*_λ ≤ V* + λ log A/(1−γ).
        for s in 0..6 {
            assert!(v[s] >= exact[s] - 1e-9 && v[s] <= exact[s] + 1e-4 * 3f64.ln() / 0.1 + 1e-9);
        }
    }
}
