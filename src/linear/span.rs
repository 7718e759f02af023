//! The numerical span of a set of feature vectors.

use nalgebra::DMatrix;

/// Numerical rank of the columns of `m` (singular values above 1e-9 of the largest, scaled by
/// the larger side), with an orthonormal basis of their span (d × rank).
pub fn span_basis(m: &DMatrix<f64>) -> (usize, DMatrix<f64>) {
    let svd = m.clone().svd(true, false);
    let u = svd.u.expect("u requested");
    let smax = svd.singular_values.iter().cloned().fold(0.0, f64::max);
    let tol = smax * 1e-9 * m.nrows().max(m.ncols()) as f64;
    let keep: Vec<usize> = (0..svd.singular_values.len()).filter(|&i| svd.singular_values[i] > tol).collect();
    let mut b = DMatrix::zeros(m.nrows(), keep.len());
    for (j, &i) in keep.iter().enumerate() {
        b.set_column(j, &u.column(i));
    }
    (keep.len(), b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_and_basis_of_hand_made_columns() {
        // columns e1, 2 e1, e1 + e2 in R^3: rank 2, the basis spans {x3 = 0}
        let m = DMatrix::from_column_slice(3, 3, &[1.0, 0.0, 0.0, 2.0, 0.0, 0.0, 1.0, 1.0, 0.0]);
        let (r, b) = span_basis(&m);
        assert_eq!(r, 2);
        assert!((b.transpose() * &b - DMatrix::<f64>::identity(2, 2)).abs().max() < 1e-12);
        assert!(b.row(2).abs().max() < 1e-12);
        // a column 1e-12 off the span does not raise the rank
        let m = DMatrix::from_column_slice(2, 2, &[1.0, 0.0, 1.0, 1e-12]);
        assert_eq!(span_basis(&m).0, 1);
    }
}
