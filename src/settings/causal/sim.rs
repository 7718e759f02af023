//! The engine simulations of the causal setting.
//!
//! [`CausalSim`]: one algorithm on one family of instances; replication r plays instance r of
//! the family (the generator's draw r, or entry r mod the count of a file's list), so a cell's
//! mean over replications is the paper's mean over random instances. Noise is counter-addressed
//! by (replication, round), so every algorithm of a cell faces the same ε_t. With change points,
//! segment k's instance is the code's `change_graph` of segment k − 1's, from a stream of the
//! replication and k (the same for every algorithm).
//!
//! Metrics (at each checkpoint t): `regret` = Σ_s (μ*_s − X_{s,N}) with realised rewards (the
//! code's), `pseudo_regret` = Σ_s (μ*_s − μ_{a_s}), `reward` = Σ_s X_{s,N}, `optimal_window` =
//! the fraction of the last `window` rounds whose action's mean is within 0.01 of μ* (the
//! paper's second plot), `optimal_fraction` = the same over all rounds so far.
//!
//! [`GraphSim`]: graph learning alone — observational (or fully intervened) samples of instance r,
//! and at each sample size of the grid the learner's graph against the truth: false-positive and
//! false-negative edge counts and rates.

use std::sync::Arc;

use rand_distr::{Distribution, StandardNormal};

use super::baselines::{LinSem, LinSemRule, VanillaUcb};
use super::csl_ucb::{CslParams, CslUcb, FitMemo, SigmaMode, learn_subgraph};
use super::generate::{Generator, change_graph};
use super::golem::{GolemMab, GolemParams, fit};
use super::history::History;
use super::learner::{Known, Learner};
use super::model::LinearSem;
use crate::engine::{Simulation, Trace, record_steps};
use crate::rng::{Role, StreamId};

/// Where a cell's instances come from.
#[derive(Clone, Debug)]
pub enum Family {
    Generated { generator: Generator, seed: u64 },
    List(Arc<Vec<LinearSem>>),
}

impl Family {
    /// Instance r of the family.
    pub fn instance(&self, r: u64) -> LinearSem {
        match self {
            Family::Generated { generator, seed } => {
                generator.draw(*seed, r).expect("the generator's parameters were checked")
            }
            Family::List(v) => v[(r % v.len() as u64) as usize].clone(),
        }
    }
}

/// A resolved algorithm.
#[derive(Clone, Debug, PartialEq)]
pub enum Algorithm {
    CslUcb(CslParams),
    GolemMab(GolemParams),
    LinSem(LinSemRule),
    VanillaUcb { coef: f64, window: Option<usize> },
}

/// Change points: at each round of `at`, `columns` columns are redrawn (the code's
/// `change_graph`).
#[derive(Clone, Debug, PartialEq)]
pub struct Changes {
    pub at: Vec<u64>,
    pub columns: usize,
}

/// Metrics of bandit runs, in trace order.
pub const METRICS: [&str; 5] = ["regret", "pseudo_regret", "reward", "optimal_window", "optimal_fraction"];

/// Metrics of graph learning, in trace order.
pub const GRAPH_METRICS: [&str; 4] =
    ["false_positives", "false_negatives", "false_positive_rate", "false_negative_rate"];

/// The instances of one replication's segments (the first, then one per change point).
pub fn segments(family: &Family, changes: Option<&Changes>, key: [u32; 2], rep: u64) -> Vec<LinearSem> {
    let mut v = vec![family.instance(rep)];
    if let Some(c) = changes {
        let (w_min, w_max) = match family {
            Family::Generated { generator, .. } => (generator.w_min, generator.w_max),
            // a file's instances come with no generator: the code's own magnitudes
            Family::List(_) => (0.5, 2.0),
        };
        for k in 0..c.at.len() {
            let mut rng = StreamId::new(key, rep as u32, Role::Instance).fold_in(k as u64 + 1).stream();
            let prev = v.last().expect("one segment at least");
            let next = change_graph(prev, c.columns, w_min, w_max, &mut rng).unwrap_or_else(|| prev.clone());
            v.push(next);
        }
    }
    v
}

/// What the learners of a run are told about instance `sem`.
pub fn known(sem: &LinearSem, sigma: SigmaMode, horizon: u64) -> Known {
    let n = sem.n;
    let parents = |m: &[f64]| (0..n).map(|q| (0..n).filter(|&p| m[p * n + q] != 0.0).collect()).collect();
    Known {
        n,
        nu: sem.nu.clone(),
        sigma2: (sigma == SigmaMode::True).then(|| sem.sigma2.clone()),
        parents: [parents(&sem.b), parents(&sem.b_prime)],
        horizon,
    }
}

/// A learner for `algo` on instance `sem`.
pub fn learner(algo: &Algorithm, sem: &LinearSem, sigma: SigmaMode, horizon: u64) -> Box<dyn Learner> {
    let k = known(sem, sigma, horizon);
    match algo {
        Algorithm::CslUcb(p) => Box::new(CslUcb::new(CslParams { sigma, ..*p }, k)),
        Algorithm::GolemMab(p) => Box::new(GolemMab::new(*p, k)),
        Algorithm::LinSem(rule) => Box::new(LinSem::new(*rule, k, sem.order.clone())),
        Algorithm::VanillaUcb { coef, window } => Box::new(VanillaUcb::new(sem.n, *coef, *window)),
    }
}

pub struct CausalSim {
    pub family: Family,
    pub algo: Algorithm,
    pub changes: Option<Changes>,
    pub sigma: SigmaMode,
    pub window: usize,
    pub grid: Vec<u64>,
    pub key: [u32; 2],
    pub tag: u32,
}

impl CausalSim {
    /// One replication; `round(t, values)` after every round t = 1..=T with the metrics' values.
    pub fn replicate(&self, rep: u64, mut round: impl FnMut(u64, &[f64; 5])) {
        let horizon = self.horizon();
        let segs = segments(&self.family, self.changes.as_ref(), self.key, rep);
        let n = segs[0].n;
        let tables: Vec<(Vec<f64>, f64)> = segs
            .iter()
            .map(|s| {
                let r = s.rewards();
                let best = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                (r, best)
            })
            .collect();
        let mut learner = learner(&self.algo, &segs[0], self.sigma, horizon);
        let env = StreamId::new(self.key, rep as u32, Role::Env);
        let mut coins = StreamId::new(self.key, rep as u32, Role::Policy(self.tag)).stream();
        let (mut z, mut x) = (vec![0.0; n], vec![0.0; n]);
        let mut recent = std::collections::VecDeque::with_capacity(self.window);
        let (mut regret, mut pseudo, mut reward, mut hits, mut in_window) = (0.0, 0.0, 0.0, 0u64, 0usize);
        let mut seg = 0;
        for t in 0..horizon {
            while self.changes.as_ref().is_some_and(|c| seg < c.at.len() && c.at[seg] <= t) {
                seg += 1;
            }
            let (table, best) = &tables[seg];
            let sem = &segs[seg];
            let a = learner.choose(t, &mut coins);
            let mut g = env.fold_in(t).stream();
            z.iter_mut().for_each(|v| *v = StandardNormal.sample(&mut g));
            sem.sample(a, &z, &mut x);
            learner.observe(a, &x);
            let y = x[n - 1];
            regret += best - y;
            pseudo += best - table[a as usize];
            reward += y;
            let hit = (best - table[a as usize]).abs() < 1e-2;
            hits += hit as u64;
            recent.push_back(hit);
            in_window += hit as usize;
            if recent.len() > self.window {
                in_window -= recent.pop_front().unwrap_or(false) as usize;
            }
            let values = [regret, pseudo, reward, in_window as f64 / recent.len() as f64, hits as f64 / (t + 1) as f64];
            round(t + 1, &values);
        }
    }
}

impl Simulation for CausalSim {
    fn metrics(&self) -> Vec<String> {
        METRICS.iter().map(|s| s.to_string()).collect()
    }
    fn horizon(&self) -> u64 {
        self.grid.last().copied().unwrap_or(0)
    }
    fn grid(&self) -> Option<Vec<u64>> {
        Some(self.grid.clone())
    }
    /// One replication is a whole bandit run on one instance (a GOLEM-MAB run fits twice, about
    /// 2.6 s): blocks of one keep both cores busy to the end.
    fn block(&self) -> Option<u64> {
        Some(1)
    }
    fn run_block(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        for (i, tr) in out.iter_mut().enumerate() {
            record_steps(grid, tr, |emit| self.replicate(first_rep + i as u64, |t, v| emit(t, v)));
        }
    }
}

/// A graph learner run alone.
#[derive(Clone, Debug, PartialEq)]
pub enum GraphLearner {
    /// CSL-UCB's sub-graph learner on all samples so far (n_max = the sample size).
    Csl(CslParams),
    Golem(GolemParams),
}

pub struct GraphSim {
    pub family: Family,
    pub learner: GraphLearner,
    /// 0: samples under the empty intervention, learning B; 1: under the full one, learning B′.
    pub regime: usize,
    pub grid: Vec<u64>,
    pub key: [u32; 2],
}

impl GraphSim {
    /// False positives and negatives (counts and rates) of the learner at each sample size.
    pub fn replicate(&self, rep: u64) -> Vec<[f64; 4]> {
        let sem = self.family.instance(rep);
        let n = sem.n;
        let a = if self.regime == 1 { (1u32 << n) - 1 } else { 0 };
        let truth: Vec<bool> =
            (0..n * n).map(|e| if self.regime == 1 { sem.b_prime[e] } else { sem.b[e] } != 0.0).collect();
        let edges = truth.iter().filter(|&&x| x).count();
        let slots = n * (n - 1);
        let env = StreamId::new(self.key, rep as u32, Role::Env);
        let m_max = self.grid.last().copied().unwrap_or(0);
        let mut h = History::new(n);
        let mut rows: Vec<Vec<f64>> = Vec::new();
        let (mut z, mut x) = (vec![0.0; n], vec![0.0; n]);
        for t in 0..m_max {
            let mut g = env.fold_in(t).stream();
            z.iter_mut().for_each(|v| *v = StandardNormal.sample(&mut g));
            sem.sample(a, &z, &mut x);
            h.push(|_| self.regime == 1, &x);
            rows.push(x.clone());
        }
        // every sample is in one regime, so the first m of each node's window are the first m
        // samples; the memo serves fits repeated across sample sizes
        let mut memo = FitMemo::default();
        self.grid
            .iter()
            .map(|&m| {
                let est: Vec<bool> = match &self.learner {
                    GraphLearner::Csl(p) => {
                        let p = CslParams { n_max: m as usize, ..*p };
                        learn_subgraph(&h, self.regime, &sem.nu, &p, &mut memo)
                    }
                    GraphLearner::Golem(p) => {
                        let data: Vec<&[f64]> = rows[..m as usize].iter().map(Vec::as_slice).collect();
                        fit(n, &data, p).iter().map(|&w| w != 0.0).collect()
                    }
                };
                let fp = est.iter().zip(&truth).filter(|&(&e, &t)| e && !t).count();
                let fneg = est.iter().zip(&truth).filter(|&(&e, &t)| !e && t).count();
                let rate = |k: usize, of: usize| if of == 0 { 0.0 } else { k as f64 / of as f64 };
                [fp as f64, fneg as f64, rate(fp, slots - edges), rate(fneg, edges)]
            })
            .collect()
    }
}

impl Simulation for GraphSim {
    fn metrics(&self) -> Vec<String> {
        GRAPH_METRICS.iter().map(|s| s.to_string()).collect()
    }
    fn horizon(&self) -> u64 {
        self.grid.last().copied().unwrap_or(0)
    }
    fn grid(&self) -> Option<Vec<u64>> {
        Some(self.grid.clone())
    }
    fn block(&self) -> Option<u64> {
        Some(1)
    }
    fn run_block(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        for (i, tr) in out.iter_mut().enumerate() {
            let v = self.replicate(first_rep + i as u64);
            record_steps(grid, tr, |emit| self.grid.iter().zip(&v).for_each(|(&m, row)| emit(m, row)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family() -> Family {
        Family::Generated { generator: Generator::default(), seed: 31 }
    }

    /// The asymmetry the paper claims for CSL's sub-graph learner (claim (b): false negatives
    /// rarer than false positives) does not hold for the code's algorithm on observational
    /// samples: over 20 instances (N = 10) its false negatives outnumber its false positives at
    /// every sample size tried (20 to 400), and do not vanish with samples (a rate near 0.3).
    /// The authors' own `learn_topo`, run on 10 instances of their generator (numpy seed 2025),
    /// gave the same picture: FP/FN totals 56/77, 24/72, 19/74, 17/69 at 20, 50, 100, 200
    /// samples. The learner keeps the direction with the larger |b̂| of each pair and deletes
    /// globally, so it drops true edges rather than keeping spurious ones.
    #[test]
    fn subgraph_false_negatives_outnumber_false_positives() {
        let grid = vec![20, 50, 100, 200, 400];
        let sim = GraphSim {
            family: family(),
            learner: GraphLearner::Csl(CslParams::default()),
            regime: 0,
            grid: grid.clone(),
            key: [7, 7],
        };
        let mut tot = vec![[0.0; 4]; grid.len()];
        for r in 0..20 {
            for (c, v) in sim.replicate(r).iter().enumerate() {
                for k in 0..4 {
                    tot[c][k] += v[k] / 20.0;
                }
            }
        }
        for (c, m) in grid.iter().enumerate() {
            assert!(tot[c][1] > tot[c][0], "{m} samples: {} false negatives, {} false positives", tot[c][1], tot[c][0]);
        }
        // the false-negative rate stays near 0.3 at 400 samples, the false-positive rate near 0.03
        let last = tot[grid.len() - 1];
        assert!((0.2..=0.4).contains(&last[3]) && last[2] < 0.06, "rates at 400 samples: {last:?}");
    }

    /// GOLEM-EV with the code's settings recovers most edges of 10-node instances from 300
    /// observational samples: over 3 instances, at least 70 % of the true edges found (false
    /// negative rate ≤ 0.3) and at most 15 % of the absent ones claimed.
    #[test]
    fn golem_recovers_most_edges_from_300_samples() {
        let sim = GraphSim {
            family: family(),
            learner: GraphLearner::Golem(GolemParams::default()),
            regime: 0,
            grid: vec![300],
            key: [8, 8],
        };
        let (mut fnr, mut fpr) = (0.0, 0.0);
        for r in 0..3 {
            let v = sim.replicate(r)[0];
            fpr += v[2] / 3.0;
            fnr += v[3] / 3.0;
        }
        assert!(fnr <= 0.3 && fpr <= 0.15, "false negative rate {fnr}, false positive rate {fpr}");
    }

    /// μ_a by forward substitution equals a dense solve for every action of 10 generated
    /// 8-node instances (256 actions each), and the true best action is the enumeration's.
    #[test]
    fn forward_substitution_equals_dense_solves_on_random_instances() {
        let g = Generator { nodes: 8, ..Generator::default() };
        for i in 0..10 {
            let s = g.draw(5, i).unwrap();
            let r = s.rewards();
            for a in 0..256u32 {
                let b_a: Vec<f64> = (0..64).map(|e| s.weight(a, e / 8, e % 8)).collect();
                let dense = super::super::model::solve_mean(8, &b_a, &s.nu).unwrap();
                let fwd = s.mean_vector(a);
                for (x, y) in fwd.iter().zip(&dense) {
                    assert!((x - y).abs() <= 1e-9 * (1.0 + y.abs()), "instance {i}, action {a}: {x} vs {y}");
                }
                assert_eq!(r[a as usize], fwd[7]);
            }
            let (best, m) = s.best();
            assert!(r.iter().all(|&x| x <= m) && r[best as usize] == m);
        }
    }
}
