//! Planning one block of d pulls in Laforgue et al.'s CombUCB1 family (AISTATS 2022): choose
//! the sequence of arms that maximises the block's estimated reward, where an arm's first pull
//! in the block at position s earns `first[i][s]` and a later pull earns `later[i][g − 1]` for
//! a gap of g rounds since its previous pull in the block.
//!
//! Two planners:
//! - [`BlockLp`]: the authors' planner, rebuilt from `algo_tools.py` (lines 23–605 at commit
//!   3f3ee76): the LP over first-pull variables X\[i,s\] and later-pull variables Y\[i,δ,s\], rounded
//!   position by position — each arm is scored by the exact reward of the prefix it extends
//!   plus the LP optimum of the rest, the first best arm is kept, and the last position is
//!   chosen by exact evaluation. Their code solves each LP with cvxopt's interior-point method;
//!   ours with a dense simplex ([`crate::linear::simplex`]) on the LP after fixing the prefix and
//!   dropping the variables it forces to zero (same optimum). Scores within 1e-9 count as tied
//!   and go to the lowest arm, where the authors' argmax sees cvxopt's ~1e-8 noise: our reading.
//! - [`best_block`]: exact enumeration of the k^d blocks, the first best in lexicographic
//!   order; the fast variant.

use crate::linear::simplex::{DenseLp, LpError, Relation};

/// Scores closer than this count as tied (lowest arm wins).
pub const TIE: f64 = 1e-9;

/// One block's coefficients: k arms, d positions, `first[i * d + s]` and `later[i * d + δ]`.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockProblem {
    pub k: usize,
    pub d: usize,
    pub first: Vec<f64>,
    pub later: Vec<f64>,
}

impl BlockProblem {
    /// The estimated reward of a (partial) block.
    pub fn value(&self, seq: &[usize]) -> f64 {
        let d = self.d;
        let mut last = [usize::MAX; 64];
        let mut v = 0.0;
        for (s, &a) in seq.iter().enumerate() {
            v += if last[a] == usize::MAX { self.first[a * d + s] } else { self.later[a * d + (s - last[a] - 1)] };
            last[a] = s;
        }
        v
    }
}

/// The best block by enumeration of all k^d blocks (ties: the first in lexicographic order).
pub fn best_block(p: &BlockProblem, out: &mut Vec<usize>) {
    let d = p.d;
    let mut seq = vec![0usize; d];
    let mut last = vec![usize::MAX; p.k];
    let mut best = f64::NEG_INFINITY;
    out.clear();
    out.resize(d, 0);
    // depth-first over positions, the partial value carried down
    fn go(
        p: &BlockProblem,
        s: usize,
        v: f64,
        seq: &mut [usize],
        last: &mut [usize],
        best: &mut f64,
        out: &mut [usize],
    ) {
        let d = p.d;
        if s == d {
            if v > *best + 1e-12 {
                *best = v;
                out.copy_from_slice(seq);
            }
            return;
        }
        for a in 0..p.k {
            let prev = last[a];
            let gain = if prev == usize::MAX { p.first[a * d + s] } else { p.later[a * d + (s - prev - 1)] };
            seq[s] = a;
            last[a] = s;
            go(p, s + 1, v + gain, seq, last, best, out);
            last[a] = prev;
        }
    }
    go(p, 0, 0.0, &mut seq, &mut last, &mut best, out);
}

/// The authors' LP-and-rounding planner, with its workspace.
#[derive(Clone, Debug, Default)]
pub struct BlockLp {
    lp: DenseLp,
    /// LP solves so far (for the benchmarks' per-solve figures).
    pub solves: u64,
    // scratch
    var_of: Vec<usize>,
    c: Vec<f64>,
    entries: Vec<(usize, f64)>,
}

const NONE: usize = usize::MAX;

impl BlockLp {
    /// Plans a block by LP rounding into `out`.
    pub fn plan(&mut self, p: &BlockProblem, out: &mut Vec<usize>) -> Result<(), LpError> {
        let (k, d) = (p.k, p.d);
        out.clear();
        for _ in 0..d.saturating_sub(1) {
            let (mut best, mut arm) = (f64::NEG_INFINITY, 0);
            for a in 0..k {
                out.push(a);
                let score = p.value(out) + self.rest(p, out)?;
                out.pop();
                if score > best + TIE {
                    best = score;
                    arm = a;
                }
            }
            out.push(arm);
        }
        if d > 0 {
            let (mut best, mut arm) = (f64::NEG_INFINITY, 0);
            for a in 0..k {
                out.push(a);
                let v = p.value(out);
                out.pop();
                if v > best {
                    best = v;
                    arm = a;
                }
            }
            out.push(arm);
        }
        Ok(())
    }

    /// The LP optimum of the positions after `prefix`, with the prefix's pulls fixed.
    #[allow(clippy::needless_range_loop)] // (arm, position) indices address several tables
    pub fn rest(&mut self, p: &BlockProblem, prefix: &[usize]) -> Result<f64, LpError> {
        let (k, d, t) = (p.k, p.d, prefix.len());
        if t >= d {
            return Ok(0.0);
        }
        // the prefix's pulls: first positions and previous positions of each pull
        let mut first_at = [NONE; 64];
        let mut prev_of = vec![NONE; t]; // previous pull of the same arm, per prefix position
        {
            let mut last = [NONE; 64];
            for (s, &a) in prefix.iter().enumerate() {
                if first_at[a] == NONE {
                    first_at[a] = s;
                }
                prev_of[s] = last[a];
                last[a] = s;
            }
        }
        // variables: X[i,s] for s ≥ t and arms not yet pulled; Y[i,δ,s] for s ≥ t whose
        // previous pull q = s − δ − 1 is a future position or a prefix pull of arm i
        let nx = k * d;
        self.var_of.clear();
        self.var_of.resize(nx + k * d * d, NONE);
        self.c.clear();
        let mut n = 0;
        for i in 0..k {
            if first_at[i] != NONE {
                continue;
            }
            for s in t..d {
                self.var_of[i * d + s] = n;
                self.c.push(p.first[i * d + s]);
                n += 1;
            }
        }
        let y = |i: usize, delta: usize, s: usize| nx + (i * d + delta) * d + s;
        for i in 0..k {
            for s in t..d {
                for delta in 0..s {
                    let q = s - delta - 1;
                    if q < t && prefix[q] != i {
                        continue;
                    }
                    self.var_of[y(i, delta, s)] = n;
                    self.c.push(p.later[i * d + delta]);
                    n += 1;
                }
            }
        }
        let c = std::mem::take(&mut self.c);
        self.lp.reset(&c);
        self.c = c;
        let var_of = std::mem::take(&mut self.var_of);
        let entries = &mut self.entries;
        // one pull per position
        for s in t..d {
            entries.clear();
            for i in 0..k {
                let vx = var_of[i * d + s];
                if vx != NONE {
                    entries.push((vx, 1.0));
                }
                for delta in 0..s {
                    let v = var_of[y(i, delta, s)];
                    if v != NONE {
                        entries.push((v, 1.0));
                    }
                }
            }
            self.lp.sparse_row(entries, Relation::Equal, 1.0);
        }
        for i in 0..k {
            // at most one first pull (only binding with two or more positions left)
            if first_at[i] == NONE && d - t >= 2 {
                entries.clear();
                entries.extend((t..d).map(|s| (var_of[i * d + s], 1.0)));
                self.lp.sparse_row(entries, Relation::AtMost, 1.0);
            }
            // a later pull at s needs a first pull before s
            for s in t..d {
                entries.clear();
                for delta in 0..s {
                    let v = var_of[y(i, delta, s)];
                    if v != NONE {
                        entries.push((v, 1.0));
                    }
                }
                if entries.is_empty() {
                    continue;
                }
                for s2 in t..s {
                    let vx = var_of[i * d + s2];
                    if vx != NONE {
                        entries.push((vx, -1.0));
                    }
                }
                let rhs = if first_at[i] != NONE { 1.0 } else { 0.0 };
                self.lp.sparse_row(entries, Relation::AtMost, rhs);
            }
            // a later pull at s with gap δ + 1, plus the later pulls between that also follow the
            // pull at q = s − δ − 1, use up at most the pull at q
            for s in t..d {
                for delta in 0..s {
                    if var_of[y(i, delta, s)] == NONE {
                        continue;
                    }
                    let q = s - delta - 1;
                    entries.clear();
                    let mut rhs = 0.0;
                    entries.push((var_of[y(i, delta, s)], 1.0));
                    for pstep in 1..=delta {
                        let s2 = s - pstep;
                        if s2 >= t {
                            let v = var_of[y(i, delta - pstep, s2)];
                            if v != NONE {
                                entries.push((v, 1.0));
                            }
                        } else if prefix[s2] == i && prev_of[s2] == q {
                            rhs -= 1.0;
                        }
                    }
                    if q >= t {
                        let vx = var_of[i * d + q];
                        if vx != NONE {
                            entries.push((vx, -1.0));
                        }
                        for d2 in 0..q {
                            let v = var_of[y(i, d2, q)];
                            if v != NONE {
                                entries.push((v, -1.0));
                            }
                        }
                    } else if prefix[q] == i {
                        rhs += 1.0;
                    }
                    self.lp.sparse_row(entries, Relation::AtMost, rhs);
                }
            }
        }
        self.var_of = var_of;
        self.solves += 1;
        Ok(self.lp.solve()?.0)
    }
}

#[cfg(test)]
mod tests;
