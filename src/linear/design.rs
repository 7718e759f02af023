//! Optimal designs over the columns of a feature matrix.

use nalgebra::DMatrix;

/// A G-optimal design on the columns of `x` (r × s, rank r) by Frank–Wolfe with exact line
/// search on log det (Kiefer–Wolfowitz: the same optimum), until max_a ‖a‖²_{V(π)⁻¹} ≤ r (1 + 10⁻³).
pub fn g_optimal(x: &DMatrix<f64>) -> Vec<f64> {
    let (r, s) = (x.nrows(), x.ncols());
    let mut pi = vec![1.0 / s as f64; s];
    for _ in 0..10_000 {
        let mut v = DMatrix::zeros(r, r);
        for (a, &w) in pi.iter().enumerate() {
            v += x.column(a) * x.column(a).transpose() * w;
        }
        let Some(vinv) = v.try_inverse() else { break };
        let (mut best, mut g) = (0, f64::NEG_INFINITY);
        for a in 0..s {
            let ga = (x.column(a).transpose() * &vinv * x.column(a))[(0, 0)];
            if ga > g {
                (best, g) = (a, ga);
            }
        }
        if g <= r as f64 * (1.0 + 1e-3) || g <= 1.0 {
            break;
        }
        let gamma = (g / r as f64 - 1.0) / (g - 1.0);
        for w in pi.iter_mut() {
            *w *= 1.0 - gamma;
        }
        pi[best] += gamma;
    }
    pi
}

/// n_a = ⌊π_a m⌋ plus one for the largest remainders (ties to the lower arm): Σ n_a = m.
pub fn round_allocation(pi: &[f64], m: u64) -> Vec<u64> {
    let mut n: Vec<u64> = pi.iter().map(|&w| (w * m as f64).floor() as u64).collect();
    let left = m.saturating_sub(n.iter().sum());
    let mut order: Vec<usize> = (0..pi.len()).collect();
    let frac = |a: usize| pi[a] * m as f64 - n[a] as f64;
    order.sort_by(|&a, &b| frac(b).total_cmp(&frac(a)).then(a.cmp(&b)));
    for &a in order.iter().take(left as usize) {
        n[a] += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_rounds_to_the_budget() {
        assert_eq!(round_allocation(&[0.5, 0.25, 0.25], 10), vec![5, 3, 2]);
        assert_eq!(round_allocation(&[1.0 / 3.0; 3], 10).iter().sum::<u64>(), 10);
    }

    #[test]
    fn g_optimal_design_of_the_standard_basis_is_uniform() {
        let x = DMatrix::<f64>::identity(3, 3);
        let pi = g_optimal(&x);
        assert!(pi.iter().all(|&w| (w - 1.0 / 3.0).abs() < 1e-12));
        // Kiefer–Wolfowitz: the optimum's max leverage is r
        let x = DMatrix::from_row_slice(2, 4, &[1.0, 0.0, 0.7, -0.7, 0.0, 1.0, 0.7, 0.7]);
        let pi = g_optimal(&x);
        let v = (0..4).fold(DMatrix::zeros(2, 2), |v, a| v + x.column(a) * x.column(a).transpose() * pi[a]);
        let vinv = v.try_inverse().unwrap();
        let g = (0..4).map(|a| (x.column(a).transpose() * &vinv * x.column(a))[(0, 0)]).fold(0.0, f64::max);
        assert!(g <= 2.0 * 1.001 + 1e-9, "{g}");
    }
}
