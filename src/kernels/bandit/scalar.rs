//! The scalar reference of the fixed-point kernel: one replication at a time, with integer
//! division. Every other path is tested bit for bit against it.

use super::{FixedKernel, FixedRule, eps_threshold, gaussian, mean_int, thompson, ucbv_sd};
use crate::engine::{Checkpoints, Trace};
use crate::rng::{Role, StreamId};

impl FixedKernel {
    /// A scalar reference's arm at step m: round robin while m < `explore`, then ETC's committed
    /// arm, else the largest `index(j)` (strict `>`, ties to the lowest arm) with ε-greedy's
    /// exploration override from the policy's stream. Shared by the Bernoulli and Gaussian
    /// references, so both decide exactly as the lanes do.
    pub(super) fn scalar_choice(
        &self,
        m: u64,
        rep: u32,
        explore: u64,
        committed: &mut Option<usize>,
        index: impl Fn(usize) -> u32,
    ) -> usize {
        let k = self.k;
        if m < explore {
            return (m % k as u64) as usize;
        }
        if let Some(a) = *committed {
            return a;
        }
        let mut best = 0;
        let mut bv = index(0);
        for j in 1..k {
            let x = index(j);
            if x > bv {
                bv = x;
                best = j;
            }
        }
        match self.rule {
            FixedRule::Etc { .. } => *committed = Some(best),
            FixedRule::EpsGreedy { epsilon, c, d, tag } => {
                let w = StreamId::new(self.key, rep, Role::Policy(tag)).block(m);
                if (w[0] as u64) < eps_threshold(epsilon, c, d, k, m) {
                    best = ((w[1] as u64 * k as u64) >> 32) as usize;
                }
            }
            _ => {}
        }
        best
    }

    /// The scalar reference: one replication at a time, same integers as the lane kernel.
    pub fn run_scalar(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        if matches!(self.rule, FixedRule::Thompson { .. }) {
            return thompson::run_scalar(self, first_rep, grid, out);
        }
        if self.gauss.is_some() {
            return gaussian::run_scalar(self, first_rep, grid, out);
        }
        self.scalar_bernoulli(first_rep, grid, out, |_, _| {});
    }

    /// Σ over replications of every arm's pull and success counts at the horizon, by the scalar
    /// reference (Bernoulli arms, index rules): what the GPU's aggregate readback must equal.
    pub fn totals_scalar(&self, first_rep: u64, reps: usize) -> (Vec<u64>, Vec<u64>) {
        assert!(
            self.gauss.is_none() && !matches!(self.rule, FixedRule::Thompson { .. }),
            "totals_scalar sums Bernoulli counts of index rules"
        );
        let (mut pulls, mut succ) = (vec![0u64; self.k], vec![0u64; self.k]);
        let mut out = vec![Trace::new(3, 0); reps];
        self.scalar_bernoulli(first_rep, &[], &mut out, |n, s| {
            for j in 0..n.len() {
                pulls[j] += n[j] as u64;
                succ[j] += s[j] as u64;
            }
        });
        (pulls, succ)
    }

    /// The Bernoulli reference's loop; `at_end` sees each replication's final counts.
    pub(super) fn scalar_bernoulli(
        &self,
        first_rep: u64,
        grid: &[u64],
        out: &mut [Trace],
        mut at_end: impl FnMut(&[u32], &[u32]),
    ) {
        let k = self.k;
        for (i, tr) in out.iter_mut().enumerate() {
            let env = StreamId::new(self.key, (first_rep + i as u64) as u32, Role::Env);
            let (mut n, mut s, mut mq, mut bb, mut cc) =
                (vec![0u32; k], vec![0u32; k], vec![0u32; k], vec![0u32; k], vec![0u32; k]);
            let q = self.q();
            let mut blk = [0u32; 4];
            let mut cps = Checkpoints::new(grid);
            let mut v = [0.0; 3];
            let explore = match self.rule {
                FixedRule::Etc { m } => m * k as u64,
                _ => k as u64,
            };
            let mut committed = None;
            for m in 0..self.horizon {
                if m & 3 == 0 {
                    blk = env.block(m >> 2);
                }
                let arm = self.scalar_choice(m, (first_rep + i as u64) as u32, explore, &mut committed, |j| {
                    self.index((mq[j], bb[j], cc[j]), n[j], s[j], m)
                });
                n[arm] += 1;
                s[arm] += (blk[(m & 3) as usize] < self.thr[arm]) as u32 | self.full[arm];
                mq[arm] = mean_int(q, s[arm], n[arm]);
                bb[arm] = self.per_n(n[arm]);
                cc[arm] = ucbv_sd(n[arm], s[arm]) * matches!(self.rule, FixedRule::UcbV { .. }) as u32;
                if let Some(c) = cps.hit(m + 1) {
                    self.record(m + 1, &n, &s, &mut v);
                    tr.put(c, &v);
                }
            }
            // Final values at the horizon, whatever the grid (the other paths do the same).
            self.record(self.horizon, &n, &s, &mut v);
            tr.finals.copy_from_slice(&v);
            at_end(&n, &s);
        }
    }
}
