//! One LSD algorithm on one instance, as the engine runs it. Rewards come from common random
//! numbers: pulling arm j in round t pays 1 when the environment's uniform u(rep, t, j) is below
//! the pulled (arm, state) pair's mean, so every algorithm of a cell faces the same draws.
//!
//! Metrics (cumulative, at each checkpoint t): `reward` (realised), `expected_reward` (the
//! means of the pulled pairs), `regret` = OPT_t − expected reward with OPT_t the exact
//! finite-horizon optimum ([`super::optimum::finite_optimum`]), `alpha_regret` = α·OPT_t −
//! expected reward (α = 1 for algorithms that target OPT itself), and `pulls_arm_i`.

use std::sync::{Arc, OnceLock};

use super::laforgue::{BlockKind, BlockUcb, Planner};
use super::model::LsdInstance;
use super::online::{Estimates, Online};
use super::optimum::{StateGraph, finite_optimum};
use super::planners::{Planner as KnownPlanner, Schedule, long_run, primal};
use crate::engine::{Recorder, Simulation, Trace};
use crate::rng::{Role, StreamId, seed_key, u32_to_open01};

/// A resolved algorithm.
#[derive(Clone, Debug, PartialEq)]
pub enum Algorithm {
    /// CombUCB1, ISI-CombUCB1 or CS on blocks of d.
    Block {
        kind: BlockKind,
        planner: Planner,
        d: usize,
    },
    OracleGreedy,
    /// A known-payoff planner's schedule on the true model (the full-information counterpart).
    Known {
        planner: KnownPlanner,
    },
    /// The online adaptation with epochs of `base`, 2·`base`, … rounds.
    Online {
        planner: KnownPlanner,
        estimates: Estimates,
        base: u64,
    },
}

impl Algorithm {
    /// The known-payoff planner whose ratio to OPT is this algorithm's α (None: α = 1).
    pub fn alpha_planner(&self) -> Option<KnownPlanner> {
        match self {
            Algorithm::Known { planner } | Algorithm::Online { planner, .. } => Some(*planner),
            _ => None,
        }
    }
}

/// α: a known-payoff planner's long-run reward on the true model over OPT (rounds 1,000..21,000
/// of its schedule, 16 draws of its randomness from a fixed stream).
pub fn alpha(inst: &LsdInstance, planner: KnownPlanner, opt: f64) -> f64 {
    let x = primal(inst, planner == KnownPlanner::Recharging).1;
    let mut rng = StreamId::new(seed_key(19, 0xA1FA), 0, Role::Policy(0)).stream();
    long_run(inst, planner, &x, 1000, 20_000, 16, &mut rng) / opt
}

pub struct LsdSim {
    pub inst: Arc<LsdInstance>,
    pub graph: Arc<StateGraph>,
    pub algo: Algorithm,
    pub grid: Vec<u64>,
    /// OPT_t at the grid's checkpoints, shared by the cell's jobs and computed on first use.
    pub opt: Arc<OnceLock<Vec<f64>>>,
    pub key: [u32; 2],
    pub tag: u32,
    pub metrics: &'static [&'static str],
    /// α of `alpha_regret` (1 for algorithms that target OPT).
    pub alpha: f64,
}

/// The learner behind a job.
enum Learner {
    Block(Box<BlockUcb>),
    Greedy,
    Known(Schedule),
    Online(Box<Online>),
}

/// What one replication did, summed as it goes.
struct Totals {
    reward: f64,
    expected: f64,
    pulls: Vec<f64>,
}

impl LsdSim {
    /// One replication: calls `round(t, totals)` after every round t = 1..=T.
    fn replicate(&self, rep: u64, mut round: impl FnMut(u64, &Totals)) {
        let inst = &*self.inst;
        let k = inst.arms();
        let caps = inst.caps();
        let mut states = inst.start.clone();
        let env = StreamId::new(self.key, rep as u32, Role::Env);
        let mut coins = StreamId::new(self.key, rep as u32, Role::Policy(self.tag)).stream();
        let mut tot = Totals { reward: 0.0, expected: 0.0, pulls: vec![0.0; k] };
        let horizon = self.horizon();
        let mut learner = match &self.algo {
            Algorithm::Block { kind, planner, d } => Learner::Block(Box::new(BlockUcb::new(*kind, *planner, k, *d))),
            Algorithm::OracleGreedy => Learner::Greedy,
            Algorithm::Known { planner } => {
                let x = primal(inst, *planner == KnownPlanner::Recharging).1;
                Learner::Known(Schedule::draw(*planner, &x, &mut coins))
            }
            Algorithm::Online { planner, estimates, base } => {
                Learner::Online(Box::new(Online::new(*planner, *estimates, inst, *base)))
            }
        };
        let mut ties = Vec::with_capacity(k);
        for t in 0..horizon {
            let arm = match &mut learner {
                Learner::Block(b) => {
                    b.choose().expect("the block LP is feasible and bounded (every position can be filled)")
                }
                Learner::Known(s) => s.next(inst, &states, &mut coins),
                Learner::Online(o) => o.choose(&mut coins),
                Learner::Greedy => {
                    let best = (0..k).map(|j| inst.mean(j, states[j])).fold(f64::NEG_INFINITY, f64::max);
                    ties.clear();
                    ties.extend((0..k).filter(|&j| inst.mean(j, states[j]) == best));
                    if ties.len() == 1 {
                        ties[0]
                    } else {
                        ties[((coins.open01() * ties.len() as f64) as usize).min(ties.len() - 1)]
                    }
                }
            };
            let mean = inst.mean(arm, states[arm]);
            let u = u32_to_open01(env.word(t * k as u64 + arm as u64));
            let r = if u < mean { 1.0 } else { 0.0 };
            match &mut learner {
                Learner::Block(b) => b.observe(arm, r),
                Learner::Online(o) => o.observe(arm, r),
                Learner::Known(_) | Learner::Greedy => {}
            }
            inst.step(&mut states, arm, &caps);
            tot.reward += r;
            tot.expected += mean;
            tot.pulls[arm] += 1.0;
            round(t + 1, &tot);
        }
    }
}

impl Simulation for LsdSim {
    fn metrics(&self) -> Vec<String> {
        self.metrics.iter().map(|s| s.to_string()).collect()
    }
    fn horizon(&self) -> u64 {
        self.grid.last().copied().unwrap_or(0)
    }
    fn grid(&self) -> Option<Vec<u64>> {
        Some(self.grid.clone())
    }
    fn run_block(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        let opt = self.opt.get_or_init(|| finite_optimum(&self.graph, &self.grid));
        let nm = self.metrics.len();
        let mut values = vec![0.0; nm];
        for (i, tr) in out.iter_mut().enumerate() {
            let mut rec = Recorder::new(grid, tr);
            let mut c = 0;
            self.replicate(first_rep + i as u64, |t, tot| {
                if rec.due(t) {
                    values[0] = tot.reward;
                    values[1] = tot.expected;
                    values[2] = opt[c] - tot.expected;
                    values[3] = self.alpha * opt[c] - tot.expected;
                    for (v, &p) in values[4..].iter_mut().zip(&tot.pulls) {
                        *v = p;
                    }
                    rec.step(t, || &values[..]);
                    c += 1;
                }
            });
            rec.finish(&values);
        }
    }
}
