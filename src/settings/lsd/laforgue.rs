//! Laforgue, Clerici, Cesa-Bianchi & Gilad-Bachrach's algorithms (AISTATS 2022), with the
//! conventions of their code (`run_exp.py`, `algo_tools.py` in GiuliaClerici/LSD_bandits at
//! commit 3f3ee76; our own implementation):
//!
//! - **CombUCB1** on blocks of d pulls: base arms are (arm, τ) pairs with τ = rounds since the
//!   arm's last pull, states above d merged into d; each block is planned on the UCB table
//!   ([`super::block`]) with first-pull coefficients U[i, min(τ_i + s, d) − 1];
//! - **ISI-CombUCB1** on blocks of d (= CombUCB1's d + 1): an arm's first pull in a block is
//!   left out of the objective (coefficient 0) and of the estimates;
//! - **CS-best / CS-worst**: each block starts with a calibration sequence that plays all k arms
//!   (k−1..0, resp. 0..k−1), then a CombUCB1 block of d on a table of width d + k;
//! - **Oracle Greedy**: knows the means and plays an arm of the largest current mean, ties
//!   broken uniformly at random.
//!
//! UCB indices start at d·√(1.5 ln(kd)) (`run_exp.py:52`; CS takes its d = the block's) and are
//! refreshed lazily: after each estimated pull, every arm's *current* entry (its state before the
//! transition, clamped to the table width) becomes mean + √(1.5 ln t / n) if it has been played,
//! with t = the block index times the block's length plus the position plus 1 — the global round
//! for CombUCB1 and ISI; for CS the calibration rounds of the current block are left out
//! (`run_exp.py:92-95, 138, 273`). Rewards are Bernoulli with mean M[i, min(τ, C − 1) − 1]
//! (`algo_tools.py:662, 698`), here the environment's Active/Idle state, which maps to it exactly.
//! A horizon that is not a multiple of the block length plays the last block's first positions
//! (the authors' code stops at ⌊T/d⌋ blocks: our extension).

use super::block::{BlockLp, BlockProblem, best_block};
use crate::linear::simplex::LpError;

/// How a block is planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Planner {
    /// The authors' LP and rounding (the faithful reference).
    Lp,
    /// Exact enumeration of the k^d blocks (the fast variant).
    Enumerate,
}

/// The calibration order of CS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Calibration {
    /// Arms k − 1, …, 0 (`run_exp.py:284`).
    Best,
    /// Arms 0, …, k − 1 (`run_exp.py:209`).
    Worst,
}

/// Which of the block algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockKind {
    CombUcb1,
    Isi,
    Cs(Calibration),
}

/// A block-UCB learner of the CombUCB1 family, advanced one pull at a time.
#[derive(Clone, Debug)]
pub struct BlockUcb {
    kind: BlockKind,
    planner: Planner,
    k: usize,
    /// Block length (pulls planned per block).
    d: usize,
    /// UCB table width: d, or d + k for CS.
    w: usize,
    ucb: Vec<f64>,
    mean: Vec<f64>,
    count: Vec<u64>,
    /// Rounds since each arm's last pull (1: pulled in the previous round).
    tau: Vec<u64>,
    lp: BlockLp,
    problem: BlockProblem,
    /// This block's pulls (calibration then plan), and the position reached.
    block: Vec<usize>,
    plan: Vec<usize>,
    pos: usize,
    blocks: u64,
    first_in_block: Vec<bool>,
    /// Blocks where the LP's rounding and enumeration disagree (when `compare` is on).
    pub compare: bool,
    pub disagreements: u64,
    pub planned: u64,
}

impl BlockUcb {
    pub fn new(kind: BlockKind, planner: Planner, k: usize, d: usize) -> BlockUcb {
        let w = if let BlockKind::Cs(_) = kind { d + k } else { d };
        let init = d as f64 * (1.5 * ((k * d) as f64).ln()).sqrt();
        BlockUcb {
            kind,
            planner,
            k,
            d,
            w,
            ucb: vec![init; k * w],
            mean: vec![0.0; k * w],
            count: vec![0; k * w],
            tau: vec![1; k],
            lp: BlockLp::default(),
            problem: BlockProblem { k, d, first: vec![0.0; k * d], later: vec![0.0; k * d] },
            block: Vec::with_capacity(d + k),
            plan: Vec::with_capacity(d),
            pos: 0,
            blocks: 0,
            first_in_block: vec![false; k],
            compare: false,
            disagreements: 0,
            planned: 0,
        }
    }

    /// The UCB table (k × width, row-major).
    pub fn ucb(&self) -> &[f64] {
        &self.ucb
    }

    fn calibration(&self) -> usize {
        if let BlockKind::Cs(_) = self.kind { self.k } else { 0 }
    }

    /// The arm to pull now.
    pub fn choose(&mut self) -> Result<usize, LpError> {
        if self.pos == self.block.len() {
            self.start_block()?;
        }
        Ok(self.block[self.pos])
    }

    #[allow(clippy::needless_range_loop)] // (arm, position) indices address several tables
    fn start_block(&mut self) -> Result<(), LpError> {
        let (k, d, w) = (self.k, self.d, self.w);
        self.block.clear();
        self.pos = 0;
        self.first_in_block.iter_mut().for_each(|f| *f = true);
        // the calibration sequence's pulls set the states the plan starts from
        let mut tau = self.tau.clone();
        if let BlockKind::Cs(order) = self.kind {
            for p in 0..k {
                let arm = if order == Calibration::Best { k - 1 - p } else { p };
                self.block.push(arm);
                for (i, t) in tau.iter_mut().enumerate() {
                    *t = if i == arm { 1 } else { t.saturating_add(1) };
                }
            }
        }
        for i in 0..k {
            for s in 0..d {
                self.problem.first[i * d + s] = match self.kind {
                    BlockKind::Isi => 0.0,
                    _ => self.ucb[i * w + ((tau[i] + s as u64).min(w as u64) - 1) as usize],
                };
                self.problem.later[i * d + s] = self.ucb[i * w + s];
            }
        }
        match self.planner {
            Planner::Lp => self.lp.plan(&self.problem, &mut self.plan)?,
            Planner::Enumerate => best_block(&self.problem, &mut self.plan),
        }
        if self.compare {
            let mut other = Vec::new();
            match self.planner {
                Planner::Lp => best_block(&self.problem, &mut other),
                Planner::Enumerate => self.lp.plan(&self.problem, &mut other)?,
            }
            self.disagreements += (other != self.plan) as u64;
        }
        self.planned += 1;
        self.block.extend_from_slice(&self.plan);
        Ok(())
    }

    /// The pull just made earned `reward`; updates the estimates and the states.
    pub fn observe(&mut self, arm: usize, reward: f64) {
        let (k, w) = (self.k, self.w);
        let cal = self.calibration();
        let in_plan = self.pos >= cal;
        let estimate = in_plan
            && match self.kind {
                BlockKind::Isi => !self.first_in_block[arm],
                _ => true,
            };
        if in_plan {
            self.first_in_block[arm] = false;
        }
        if estimate {
            let s = match self.kind {
                BlockKind::CombUcb1 => self.tau[arm].min(w as u64) as usize - 1,
                // ISI and CS index without a clamp: within a block the state stays below w
                _ => (self.tau[arm] as usize - 1).min(w - 1),
            };
            let e = arm * w + s;
            self.count[e] += 1;
            let n = self.count[e] as f64;
            self.mean[e] = if self.count[e] > 1 { ((n - 1.0) * self.mean[e] + reward) / n } else { reward };
            let block_len = (cal + self.d) as u64;
            let t = self.blocks * block_len + (self.pos - cal) as u64 + 1;
            let lt = 1.5 * (t as f64).ln();
            for i in 0..k {
                let e = i * w + (self.tau[i].min(w as u64) as usize - 1);
                if self.count[e] > 0 {
                    self.ucb[e] = self.mean[e] + (lt / self.count[e] as f64).sqrt();
                }
            }
        }
        for (i, t) in self.tau.iter_mut().enumerate() {
            *t = if i == arm { 1 } else { t.saturating_add(1) };
        }
        self.pos += 1;
        if self.pos == self.block.len() {
            self.blocks += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first block of CombUCB1 on k = 5, d = 3: every index is d·√(1.5 ln 15) (≈ 4.035), so
    /// every block ties and the lowest arms win: [0, 0, 0]. CS-best's first block calibrates with
    /// 4, 3, 2, 1, 0 and then ties too.
    #[test]
    fn first_blocks_tie_to_the_lowest_arm() {
        for planner in [Planner::Lp, Planner::Enumerate] {
            let mut a = BlockUcb::new(BlockKind::CombUcb1, planner, 5, 3);
            assert!((a.ucb()[0] - 3.0 * (1.5f64 * 15f64.ln()).sqrt()).abs() < 1e-12);
            assert_eq!(a.choose().unwrap(), 0);
            assert_eq!(a.block, [0, 0, 0]);
            let mut cs = BlockUcb::new(BlockKind::Cs(Calibration::Best), planner, 5, 3);
            cs.choose().unwrap();
            assert_eq!(cs.block, [4, 3, 2, 1, 0, 0, 0, 0]);
        }
    }

    /// Lazy refreshes by hand. CombUCB1, k = 2, d = 2, all arms at τ = 1 (index 0). Round 1 pulls
    /// arm 0 at τ = 1 and earns 1: its entry (0, τ=1) becomes 1 + √(1.5 ln 1 / 1) = 1; arm 1's
    /// current entry (1, τ=1) is unplayed and keeps its initial value. Round 2 pulls arm 1 (now
    /// τ = 2 → entry (1, 2)) and earns 0: (1, 2) = 0 + √(1.5 ln 2); arm 0's current entry is
    /// (0, τ = 1) again, refreshed to 1 + √(1.5 ln 2) with t = 2; (1, 1) is no longer current
    /// and keeps its initial value.
    #[test]
    fn lazy_refresh_by_hand() {
        let mut a = BlockUcb::new(BlockKind::CombUcb1, Planner::Enumerate, 2, 2);
        let init = 2.0 * (1.5f64 * 4f64.ln()).sqrt();
        a.block = vec![0, 1];
        a.pos = 0;
        a.observe(0, 1.0);
        assert_eq!(a.ucb(), &[1.0, init, init, init]);
        a.observe(1, 0.0);
        let b = (1.5f64 * 2f64.ln()).sqrt();
        assert_eq!(a.ucb(), &[1.0 + b, init, init, b]);
        assert_eq!(a.tau, [2, 1]);
        // ISI leaves first pulls out: the same two pulls in a new block change nothing
        let mut isi = BlockUcb::new(BlockKind::Isi, Planner::Enumerate, 2, 2);
        isi.block = vec![0, 1];
        isi.first_in_block = vec![true, true];
        isi.observe(0, 1.0);
        isi.observe(1, 0.0);
        assert!(isi.ucb().iter().all(|&u| u == 2.0 * (1.5f64 * 4f64.ln()).sqrt()));
    }

    /// Plays one seed of Laforgue's main experiment with `kind`, planning every block with both
    /// planners; returns (blocks where they differ, blocks, the learner's total reward).
    pub(crate) fn both_planners(kind: BlockKind, d: usize, rep: u32) -> (u64, u64, f64) {
        use crate::rng::{Role, StreamId, u32_to_open01};
        let inst = super::super::model::LsdInstance::laforgue_main();
        let (k, caps) = (inst.arms(), inst.caps());
        let mut states = inst.start.clone();
        let env = StreamId::new([2022, 19], rep, Role::Env);
        let mut a = BlockUcb::new(kind, Planner::Lp, k, d);
        a.compare = true;
        let mut total = 0.0;
        for t in 0..3600u64 {
            let arm = a.choose().unwrap();
            let r = (u32_to_open01(env.word(t * k as u64 + arm as u64)) < inst.mean(arm, states[arm])) as u8 as f64;
            a.observe(arm, r);
            inst.step(&mut states, arm, &caps);
            total += r;
        }
        (a.disagreements, a.planned, total)
    }

    /// How often the LP's rounding and exact enumeration choose different blocks, over four
    /// seeds of the main experiment. CombUCB1 and ISI: rarely (the notes: 3 of 1,200 and 1 of
    /// 900 blocks in one run of the authors' code; we measure 17 of 4,800 and 22 of 3,600 and
    /// assert at most 1%), and CS-worst (3 of 1,800). CS-best: in 1,044 of 1,800 blocks, the
    /// rounding choosing a worse block (`a_calibration_block_where_the_rounding_loses` shows
    /// Clarabel's LP does the same); we assert 40–70%, so that a change of either planner on
    /// CS blocks shows.
    #[test]
    fn how_often_the_two_planners_disagree() {
        for (kind, d, lo, hi) in [
            (BlockKind::CombUcb1, 3, 0.0, 0.01),
            (BlockKind::Isi, 4, 0.0, 0.01),
            (BlockKind::Cs(Calibration::Best), 3, 0.4, 0.7),
            (BlockKind::Cs(Calibration::Worst), 3, 0.0, 0.01),
        ] {
            let (mut diff, mut blocks) = (0, 0);
            for rep in 0..4 {
                let (x, b, _) = both_planners(kind, d, rep);
                diff += x;
                blocks += b;
            }
            eprintln!("{kind:?}: the planners differ in {diff} of {blocks} blocks");
            let f = diff as f64 / blocks as f64;
            assert!((lo..=hi).contains(&f), "{kind:?}: {diff} of {blocks}");
        }
    }
}
