//! Small dense solves for estimated models, on flat row-major N × N arrays (N ≤ 20): one LU
//! with partial pivoting of M = I − B̂_a gives both μ̂_a = M⁻ᵀν and M⁻¹e_N (CSL-UCB's bound reads
//! the last column of (I − B̂_a)⁻¹). Estimated B̂_a can be cyclic, so no triangular shortcut.

/// An LU factorisation P·M = L·U of an N × N matrix (L unit lower, stored below U).
pub struct Lu {
    n: usize,
    lu: Vec<f64>,
    perm: Vec<usize>,
}

impl Lu {
    /// Factorises `m` (row-major); None when a pivot is below `1e-12` times the largest entry
    /// (the model is singular: the code's `inv` would fail or return garbage).
    pub fn new(n: usize, mut m: Vec<f64>) -> Option<Lu> {
        let scale = m.iter().fold(0.0f64, |a, &x| a.max(x.abs())).max(1e-300);
        let mut perm: Vec<usize> = (0..n).collect();
        for k in 0..n {
            let (mut piv, mut best) = (k, m[k * n + k].abs());
            for i in k + 1..n {
                if m[i * n + k].abs() > best {
                    (piv, best) = (i, m[i * n + k].abs());
                }
            }
            if best <= 1e-12 * scale {
                return None;
            }
            if piv != k {
                for j in 0..n {
                    m.swap(k * n + j, piv * n + j);
                }
                perm.swap(k, piv);
            }
            let d = m[k * n + k];
            for i in k + 1..n {
                let f = m[i * n + k] / d;
                m[i * n + k] = f;
                if f != 0.0 {
                    for j in k + 1..n {
                        m[i * n + j] -= f * m[k * n + j];
                    }
                }
            }
        }
        Some(Lu { n, lu: m, perm })
    }

    /// x with M x = b.
    pub fn solve(&self, b: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut x: Vec<f64> = self.perm.iter().map(|&p| b[p]).collect();
        for i in 0..n {
            for j in 0..i {
                x[i] -= self.lu[i * n + j] * x[j];
            }
        }
        for i in (0..n).rev() {
            for j in i + 1..n {
                x[i] -= self.lu[i * n + j] * x[j];
            }
            x[i] /= self.lu[i * n + i];
        }
        x
    }

    /// y with Mᵀ y = b (Mᵀ = Uᵀ Lᵀ P).
    pub fn solve_transposed(&self, b: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut z = b.to_vec();
        for i in 0..n {
            for j in 0..i {
                z[i] -= self.lu[j * n + i] * z[j];
            }
            z[i] /= self.lu[i * n + i];
        }
        for i in (0..n).rev() {
            for j in i + 1..n {
                z[i] -= self.lu[j * n + i] * z[j];
            }
        }
        let mut y = vec![0.0; n];
        for (k, &p) in self.perm.iter().enumerate() {
            y[p] = z[k];
        }
        y
    }
}

/// B̂_a's entries: column q from `b1` where action `a` intervenes on q, else from `b0`.
pub fn mixed(n: usize, a: u32, b0: &[f64], b1: &[f64]) -> Vec<f64> {
    let mut m = b0.to_vec();
    for q in 0..n {
        if (a >> (n - 1 - q)) & 1 == 1 {
            for p in 0..n {
                m[p * n + q] = b1[p * n + q];
            }
        }
    }
    m
}

/// For an estimated model (B̂, B̂′) and action a: μ̂_a = (I − B̂_aᵀ)⁻¹ν and the last column of
/// (I − B̂_a)⁻¹; None when I − B̂_a is singular.
pub fn estimated_mean(n: usize, a: u32, b0: &[f64], b1: &[f64], nu: &[f64]) -> Option<(Vec<f64>, Vec<f64>)> {
    let ba = mixed(n, a, b0, b1);
    let m: Vec<f64> = (0..n * n).map(|e| if e / n == e % n { 1.0 } else { 0.0 } - ba[e]).collect();
    let lu = Lu::new(n, m)?;
    let mut e = vec![0.0; n];
    e[n - 1] = 1.0;
    Some((lu.solve_transposed(nu), lu.solve(&e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::causal::model::solve_mean;

    /// Against nalgebra's LU on a cyclic 3-node model (a mixture of two orders): μ̂ and the last
    /// column of the inverse; the singular 2-cycle of gain 1 is refused.
    #[test]
    fn matches_a_reference_solve() {
        let n = 3;
        let b0 = [0.0, 0.7, 0.0, 0.0, 0.0, 1.2, 0.0, 0.0, 0.0];
        let b1 = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.4, 0.0, 0.0]; // node 0's column: 2 → 0
        let nu = [1.0, 0.5, -2.0];
        // a = 0b100 intervenes on node 0: edges 0 → 1, 1 → 2, 2 → 0 (a cycle)
        let (mu, col) = estimated_mean(n, 0b100, &b0, &b1, &nu).unwrap();
        let ba = mixed(n, 0b100, &b0, &b1);
        let want = solve_mean(n, &ba, &nu).unwrap();
        for (x, y) in mu.iter().zip(&want) {
            assert!((x - y).abs() < 1e-12, "{mu:?} vs {want:?}");
        }
        let m = nalgebra::DMatrix::from_fn(n, n, |i, j| if i == j { 1.0 } else { 0.0 } - ba[i * n + j]);
        let inv = m.try_inverse().unwrap();
        for i in 0..n {
            assert!((col[i] - inv[(i, n - 1)]).abs() < 1e-12);
        }
        assert!(estimated_mean(2, 0b10, &[0.0, 1.0, 0.0, 0.0], &[0.0, 0.0, 1.0, 0.0], &[1.0, 1.0]).is_none());
    }
}
