//! A small dense two-phase simplex for LPs of a few dozen rows and columns solved many times in
//! a loop (the LSD block LP: about 35,000 solves per seed), where a general sparse or
//! interior-point solver spends more time setting up than solving. Good_lp with Clarabel stays
//! the cross-check in the tests.
//!
//! Problem: maximise c·x subject to rows `a_r·x (≤ | =) b_r` and x ≥ 0. The tableau is one
//! reusable buffer; pivots follow Dantzig's rule and switch to Bland's (which cannot cycle)
//! after a run of degenerate pivots, since the LSD block LP is highly degenerate.

/// A row's relation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    AtMost,
    Equal,
}

/// Why an LP has no optimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LpError {
    #[error("the LP is infeasible")]
    Infeasible,
    #[error("the LP is unbounded")]
    Unbounded,
    #[error("the simplex did not converge within its pivot limit")]
    PivotLimit,
}

/// Entries below this are zero.
const EPS: f64 = 1e-10;
/// Degenerate pivots in a row before Bland's rule takes over.
const DEGENERATE_RUN: usize = 20;

/// A dense LP and the workspace that solves it; rows are added, then [`DenseLp::solve`] runs.
#[derive(Clone, Debug, Default)]
pub struct DenseLp {
    n: usize,
    c: Vec<f64>,
    /// Row coefficients, row-major (rows × n).
    a: Vec<f64>,
    rel: Vec<Relation>,
    b: Vec<f64>,
    // workspace
    tab: Vec<f64>,
    basis: Vec<usize>,
}

impl DenseLp {
    /// An LP over `n` non-negative variables maximising `c·x` (no rows yet).
    pub fn new(c: &[f64]) -> DenseLp {
        let mut lp = DenseLp::default();
        lp.reset(c);
        lp
    }

    /// Clears the rows and sets a new objective (keeps the buffers).
    pub fn reset(&mut self, c: &[f64]) {
        self.n = c.len();
        self.c.clear();
        self.c.extend_from_slice(c);
        self.a.clear();
        self.rel.clear();
        self.b.clear();
    }

    /// Adds the row `a·x rel b` (`a` has one entry per variable).
    pub fn row(&mut self, a: &[f64], rel: Relation, b: f64) {
        debug_assert_eq!(a.len(), self.n);
        self.a.extend_from_slice(a);
        self.rel.push(rel);
        self.b.push(b);
    }

    /// Adds the row `a·x rel b` from its non-zero entries (variable, coefficient).
    pub fn sparse_row(&mut self, entries: &[(usize, f64)], rel: Relation, b: f64) {
        let start = self.a.len();
        self.a.resize(start + self.n, 0.0);
        for &(j, v) in entries {
            self.a[start + j] += v;
        }
        self.rel.push(rel);
        self.b.push(b);
    }

    /// The optimal value and a primal solution.
    pub fn solve(&mut self) -> Result<(f64, Vec<f64>), LpError> {
        let (n, m) = (self.n, self.b.len());
        // columns: n variables, one slack per ≤ row, one artificial per row that needs one
        // (an equality, or a ≤ row with a negative right-hand side, negated into ≥)
        let slacks: Vec<Option<usize>> = {
            let mut next = n;
            self.rel
                .iter()
                .map(|rel| {
                    (*rel == Relation::AtMost).then(|| {
                        next += 1;
                        next - 1
                    })
                })
                .collect()
        };
        let ns = slacks.iter().flatten().count();
        let needs_art: Vec<bool> =
            self.rel.iter().zip(&self.b).map(|(rel, b)| *rel == Relation::Equal || *b < 0.0).collect();
        let na = needs_art.iter().filter(|&&x| x).count();
        let cols = n + ns + na;
        let w = cols + 1;
        self.tab.clear();
        self.tab.resize((m + 1) * w, 0.0);
        self.basis.clear();
        let mut art = n + ns;
        for r in 0..m {
            let (a, b) = (&self.a[r * n..(r + 1) * n], self.b[r]);
            let sign = if b < 0.0 { -1.0 } else { 1.0 };
            let row = &mut self.tab[r * w..(r + 1) * w];
            for (x, &v) in row.iter_mut().zip(a) {
                *x = sign * v;
            }
            if let Some(s) = slacks[r] {
                row[s] = sign;
            }
            row[cols] = sign * b;
            if needs_art[r] {
                row[art] = 1.0;
                self.basis.push(art);
                art += 1;
            } else {
                self.basis.push(slacks[r].expect("a ≤ row has a slack"));
            }
        }
        let first_art = n + ns;
        // phase 1: maximise −Σ artificials; reduced costs of the non-basic columns are the sums
        // of the artificial rows
        if na > 0 {
            let obj = m * w;
            for r in 0..m {
                if self.basis[r] >= first_art {
                    for j in 0..=cols {
                        if j < first_art || j == cols {
                            self.tab[obj + j] += self.tab[r * w + j];
                        }
                    }
                }
            }
            self.iterate(m, w, cols, cols)?;
            if self.tab[obj + cols] > 1e-8 {
                return Err(LpError::Infeasible);
            }
            // drive artificials at level zero out of the basis, so phase 2 cannot move them
            for r in 0..m {
                if self.basis[r] >= first_art
                    && let Some(j) = (0..first_art).find(|&j| self.tab[r * w + j].abs() > 1e-8)
                {
                    self.pivot(w, r, j);
                }
            }
        }
        // phase 2: the true objective's reduced costs over the basis
        let obj = m * w;
        for j in 0..=cols {
            self.tab[obj + j] = if j < n { self.c[j] } else { 0.0 };
        }
        for r in 0..m {
            let b = self.basis[r];
            let cb = if b < n { self.c[b] } else { 0.0 };
            if cb != 0.0 {
                for j in 0..=cols {
                    self.tab[obj + j] -= cb * self.tab[r * w + j];
                }
            }
        }
        self.iterate(m, w, cols, first_art)?;
        let mut x = vec![0.0; n];
        for r in 0..m {
            if self.basis[r] < n {
                x[self.basis[r]] = self.tab[r * w + cols];
            }
        }
        let value = x.iter().zip(&self.c).map(|(a, b)| a * b).sum();
        Ok((value, x))
    }

    /// Pivots until no column below `enter_limit` has a positive reduced cost.
    fn iterate(&mut self, m: usize, w: usize, cols: usize, enter_limit: usize) -> Result<(), LpError> {
        let obj = m * w;
        let mut degenerate = 0;
        for _ in 0..50 * (m + cols) + 100 {
            let bland = degenerate >= DEGENERATE_RUN;
            let mut enter = None;
            let mut best = EPS;
            for j in 0..enter_limit {
                let d = self.tab[obj + j];
                if d > best {
                    enter = Some(j);
                    if bland {
                        break;
                    }
                    best = d;
                }
            }
            let Some(j) = enter else { return Ok(()) };
            // ratio test; ties to the smallest basic index (Bland)
            let mut leave: Option<(usize, f64)> = None;
            for r in 0..m {
                let a = self.tab[r * w + j];
                if a > EPS {
                    let ratio = self.tab[r * w + cols] / a;
                    let better = match leave {
                        None => true,
                        Some((lr, lv)) => ratio < lv - 1e-12 || (ratio <= lv + 1e-12 && self.basis[r] < self.basis[lr]),
                    };
                    if better {
                        leave = Some((r, ratio));
                    }
                }
            }
            let Some((r, ratio)) = leave else { return Err(LpError::Unbounded) };
            degenerate = if ratio <= 1e-12 { degenerate + 1 } else { 0 };
            self.pivot(w, r, j);
        }
        Err(LpError::PivotLimit)
    }

    fn pivot(&mut self, w: usize, r: usize, j: usize) {
        let p = self.tab[r * w + j];
        let inv = 1.0 / p;
        for x in &mut self.tab[r * w..(r + 1) * w] {
            *x *= inv;
        }
        self.tab[r * w + j] = 1.0;
        let (before, rest) = self.tab.split_at_mut(r * w);
        let (prow, after) = rest.split_at_mut(w);
        for other in before.chunks_exact_mut(w).chain(after.chunks_exact_mut(w)) {
            let f = other[j];
            if f != 0.0 {
                for (x, &y) in other.iter_mut().zip(prow.iter()) {
                    *x -= f * y;
                }
                other[j] = 0.0;
            }
        }
        self.basis[r] = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_textbook_lp() {
        // max 3x + 5y s.t. x ≤ 4, 2y ≤ 12, 3x + 2y ≤ 18: optimum 36 at (2, 6)
        let mut lp = DenseLp::new(&[3.0, 5.0]);
        lp.row(&[1.0, 0.0], Relation::AtMost, 4.0);
        lp.row(&[0.0, 2.0], Relation::AtMost, 12.0);
        lp.row(&[3.0, 2.0], Relation::AtMost, 18.0);
        let (v, x) = lp.solve().unwrap();
        assert!((v - 36.0).abs() < 1e-12 && (x[0] - 2.0).abs() < 1e-12 && (x[1] - 6.0).abs() < 1e-12);
    }

    #[test]
    fn equalities_and_negative_right_hand_sides() {
        // max x + y s.t. x + y = 1, −x ≤ −0.25 (x ≥ 0.25), y ≤ 0.5: value 1, x in [0.5, 1]
        let mut lp = DenseLp::new(&[1.0, 1.0]);
        lp.row(&[1.0, 1.0], Relation::Equal, 1.0);
        lp.row(&[-1.0, 0.0], Relation::AtMost, -0.25);
        lp.row(&[0.0, 1.0], Relation::AtMost, 0.5);
        let (v, x) = lp.solve().unwrap();
        assert!((v - 1.0).abs() < 1e-12 && x[0] >= 0.25 - 1e-12 && x[1] <= 0.5 + 1e-12);
        // min x (max −x) over the same set: x = 0.5
        lp.reset(&[-1.0, 0.0]);
        lp.row(&[1.0, 1.0], Relation::Equal, 1.0);
        lp.row(&[-1.0, 0.0], Relation::AtMost, -0.25);
        lp.row(&[0.0, 1.0], Relation::AtMost, 0.5);
        let (v, _) = lp.solve().unwrap();
        assert!((v + 0.5).abs() < 1e-12, "{v}");
    }

    #[test]
    fn infeasible_and_unbounded_are_reported() {
        let mut lp = DenseLp::new(&[1.0]);
        lp.row(&[1.0], Relation::Equal, 2.0);
        lp.row(&[1.0], Relation::AtMost, 1.0);
        assert_eq!(lp.solve(), Err(LpError::Infeasible));
        let mut lp = DenseLp::new(&[1.0, 0.0]);
        lp.row(&[0.0, 1.0], Relation::AtMost, 1.0);
        assert_eq!(lp.solve(), Err(LpError::Unbounded));
    }

    /// Random feasible bounded LPs: the same value as Clarabel through good_lp.
    #[test]
    fn equals_clarabel_on_random_lps() {
        use crate::rng::{Role, StreamId};
        use good_lp::{Expression, ProblemVariables, Solution as _, SolverModel, clarabel, constraint, variable};
        let mut rng = StreamId::new([3, 4], 0, Role::Instance).stream();
        for case in 0..60 {
            let (n, m) = (2 + case % 7, 1 + case % 5);
            let c: Vec<f64> = (0..n).map(|_| rng.open01() - 0.3).collect();
            let mut lp = DenseLp::new(&c);
            let mut vars = ProblemVariables::new();
            let xs: Vec<_> = (0..n).map(|_| vars.add(variable().min(0.0))).collect();
            let obj: Expression = xs.iter().zip(&c).map(|(&x, &ci)| ci * x).sum();
            let mut model = vars.maximise(obj.clone()).using(clarabel);
            // a box keeps it bounded; an equality through an interior point keeps it feasible
            let total: Expression = xs.iter().copied().sum();
            lp.row(&vec![1.0; n], Relation::AtMost, 3.0);
            model = model.with(constraint!(total <= 3.0));
            for _ in 0..m {
                let a: Vec<f64> = (0..n).map(|_| rng.open01() * 2.0 - 0.5).collect();
                let b = a.iter().sum::<f64>() * 0.2 + 0.1 * rng.open01();
                let e: Expression = xs.iter().zip(&a).map(|(&x, &ai)| ai * x).sum();
                lp.row(&a, Relation::AtMost, b);
                model = model.with(constraint!(e <= b));
            }
            let a: Vec<f64> = (0..n).map(|_| rng.open01()).collect();
            let b = a.iter().sum::<f64>() * 0.2;
            let e: Expression = xs.iter().zip(&a).map(|(&x, &ai)| ai * x).sum();
            lp.row(&a, Relation::Equal, b);
            model = model.with(constraint!(e == b));
            let (v, _) = lp.solve().unwrap_or_else(|e| panic!("case {case}: {e}"));
            let sol = model.solve().unwrap();
            let cv = sol.eval(&obj);
            assert!((v - cv).abs() < 1e-6, "case {case}: simplex {v}, Clarabel {cv}");
        }
    }
}
