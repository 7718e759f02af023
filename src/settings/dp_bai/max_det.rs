//! Max-Det collections (Chen et al. 2024, Definition 3.1): among s vectors spanning ℝ^r, the r
//! whose matrix has the largest |det|.
//!
//! Why DP-BAI wants them: with B such a collection, every other vector v = B c has
//! |c_b| = |det(B with column b replaced by v)| / |det B| ≤ 1 (Cramer's rule), so a mean
//! estimated as Σ_b c_b μ̃_b carries at most r times the Laplace noise of one basis arm.
//!
//! - [`exact`]: all C(s, r) subsets (used while C(s, r) ≤ [`EXACT_LIMIT`]).
//! - [`local_search`]: greedy volume (pivoted Gram–Schmidt: each step takes the vector with the
//!   largest residual; within r! of the maximum, Çivril & Magdon-Ismail 2009), then single swaps
//!   while one raises |det| by more than a factor 1 + δ. Swapping basis vector b for v multiplies
//!   |det| by |c_b(v)|, so the result satisfies |c_b(v)| ≤ 1 + δ for every v and b: the
//!   property the privacy-noise analysis uses, up to 1 + δ.

use nalgebra::DMatrix;

/// Largest number of subsets the exact search enumerates.
pub const EXACT_LIMIT: u64 = 20_000;
/// The local search's swap threshold.
pub const DELTA: f64 = 1e-6;

/// C(s, r), saturating.
pub fn binomial(s: usize, r: usize) -> u64 {
    if r > s {
        return 0;
    }
    let r = r.min(s - r);
    let mut c: u128 = 1;
    for i in 0..r {
        c = c * (s - i) as u128 / (i + 1) as u128;
        if c > u64::MAX as u128 {
            return u64::MAX;
        }
    }
    c as u64
}

fn abs_det(v: &DMatrix<f64>, cols: &[usize]) -> f64 {
    v.select_columns(cols).determinant().abs()
}

/// The exact Max-Det collection of the columns of `v` (r × s, rank r): the subset with the
/// largest |det|, the lexicographically first among equals (up to a relative 1e-12).
pub fn exact(v: &DMatrix<f64>) -> Vec<usize> {
    let (r, s) = (v.nrows(), v.ncols());
    let mut cur: Vec<usize> = (0..r).collect();
    let mut best = cur.clone();
    let mut best_det = abs_det(v, &cur);
    loop {
        // next combination in lexicographic order
        let mut i = r;
        while i > 0 && cur[i - 1] == s - r + i - 1 {
            i -= 1;
        }
        if i == 0 {
            return best;
        }
        cur[i - 1] += 1;
        for j in i..r {
            cur[j] = cur[j - 1] + 1;
        }
        let d = abs_det(v, &cur);
        if d > best_det * (1.0 + 1e-12) {
            best_det = d;
            best = cur.clone();
        }
    }
}

/// The coefficients C = B⁻¹ V of every column on the basis `basis` (r × s).
pub fn coefficients(v: &DMatrix<f64>, basis: &[usize]) -> DMatrix<f64> {
    let b = v.select_columns(basis);
    match b.lu().solve(v) {
        Some(c) => c,
        None => DMatrix::from_element(v.nrows(), v.ncols(), f64::INFINITY),
    }
}

/// Greedy volume plus swaps (see the module comment); the basis is returned sorted. The swaps
/// stop after 1000 r of them even if some |c| still exceeds 1 + δ (never seen; each swap multiplies
/// |det| by more than 1 + δ, so this only bounds pathological inputs' running time).
pub fn local_search(v: &DMatrix<f64>) -> Vec<usize> {
    let (r, s) = (v.nrows(), v.ncols());
    let mut resid = v.clone();
    let mut basis = Vec::with_capacity(r);
    for _ in 0..r {
        let j = (0..s).filter(|j| !basis.contains(j)).fold(None, |b: Option<usize>, j| match b {
            Some(b) if resid.column(b).norm() >= resid.column(j).norm() => Some(b),
            _ => Some(j),
        });
        let Some(j) = j else { break };
        let q = resid.column(j).normalize();
        for c in 0..s {
            let p = q.dot(&resid.column(c));
            let col = resid.column(c) - &q * p;
            resid.set_column(c, &col);
        }
        basis.push(j);
    }
    for _ in 0..1000 * r.max(1) {
        let c = coefficients(v, &basis);
        let (mut bi, mut bj, mut big) = (0, 0, 1.0 + DELTA);
        for i in 0..r {
            for j in 0..s {
                if c[(i, j)].abs() > big {
                    (bi, bj, big) = (i, j, c[(i, j)].abs());
                }
            }
        }
        if big <= 1.0 + DELTA {
            break;
        }
        basis[bi] = bj;
    }
    basis.sort_unstable();
    basis
}

/// The Max-Det collection: exact while C(s, r) ≤ [`EXACT_LIMIT`], local search beyond.
pub fn max_det(v: &DMatrix<f64>) -> Vec<usize> {
    if binomial(v.ncols(), v.nrows()) <= EXACT_LIMIT { exact(v) } else { local_search(v) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn brute(v: &DMatrix<f64>) -> f64 {
        // every subset via bitmasks, independently of `exact`'s enumeration
        let (r, s) = (v.nrows(), v.ncols());
        let mut best = 0.0f64;
        for mask in 0u32..1 << s {
            if mask.count_ones() as usize == r {
                let cols: Vec<usize> = (0..s).filter(|&j| mask >> j & 1 == 1).collect();
                best = best.max(abs_det(v, &cols));
            }
        }
        best
    }

    #[test]
    fn binomial_values() {
        assert_eq!(binomial(10, 3), 120);
        assert_eq!(binomial(5, 0), 1);
        assert_eq!(binomial(64, 32), 1_832_624_140_942_590_534);
        assert_eq!(binomial(3, 5), 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn exact_equals_brute_force_and_bounds_coefficients(r in 1usize..4, extra in 0usize..6, xs in proptest::collection::vec(-1.0f64..1.0, 40)) {
            let s = r + extra;
            let v = DMatrix::from_fn(r, s, |i, j| xs[(i * 9 + j * 4) % 40] + if i == j { 1.5 } else { 0.0 });
            let e = exact(&v);
            let d = abs_det(&v, &e);
            prop_assert!((d - brute(&v)).abs() <= 1e-12 * d.max(1.0));
            let c = coefficients(&v, &e);
            prop_assert!(c.iter().all(|x| x.abs() <= 1.0 + 1e-9), "{}", c);
            // the local search reaches a basis with the same coefficient property
            let l = local_search(&v);
            let c = coefficients(&v, &l);
            prop_assert!(c.iter().all(|x| x.abs() <= 1.0 + DELTA + 1e-9));
            prop_assert!(abs_det(&v, &l) <= d * (1.0 + 1e-9));
        }
    }
}
