//! The `[cascading]` section of a spec and the engine simulation. Regret algorithms record
//! `regret` (Σ_k V*₀(s₀) − V^{π_k}₀(s₀), exact per episode); best-policy-identification algorithms
//! record `gap_bound` (their V̄₀(s₀) − V̲₀(s₀)), `samples` (episodes used, frozen at the stop) and
//! `policy_gap` (V*₀(s₀) − V^π₀(s₀) of the current, finally the returned, policy). A spec holds
//! algorithms of one kind.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::algorithms::{Algorithm, Learner, Planner, QBonus};
use super::best_perm::{all_lists, count_lists};
use super::generate::synthetic;
use super::model::CascadingMdp;
use super::movielens;
use crate::engine::{Job, Simulation, Trace, record_steps};
use crate::error::{Result, invalid};
use crate::rng::{Role, StreamId};
use crate::spec::CellInfo;

pub const REGRET_METRICS: [&str; 1] = ["regret"];
pub const BPI_METRICS: [&str; 3] = ["gap_bound", "samples", "policy_gap"];

/// Most lists the exhaustive planners (Oracle, AdaptRM, AdaptBPI) may enumerate.
pub const MAX_LISTS: u64 = 2_000_000;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CascadingSpec {
    pub instances: Vec<InstanceSpec>,
    /// m: lists hold 1..=m distinct items.
    pub list_length: i64,
    /// H: steps per episode.
    pub episode_length: i64,
    #[serde(default)]
    pub start: i64,
    pub algorithms: Vec<AlgorithmSpec>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum InstanceSpec {
    /// q ~ U(0, max_attraction) (default 1), r ~ U(0,1), p rows ~ Dirichlet(1).
    Synthetic { label: Option<String>, states: i64, items: i64, max_attraction: Option<f64>, seed: u64 },
    /// The MovieLens-100K construction (see `movielens`): S = 20 states, the `items` most-rated
    /// movies; `dir` defaults to the cache `regretlab data movielens` fills.
    Movielens { label: Option<String>, items: i64, dir: Option<String> },
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AlgorithmSpec {
    /// `q_bound`: "kl" (default) or "bernstein".
    CascadingVi {
        label: Option<String>,
        c: Option<f64>,
        delta: Option<f64>,
        q_bound: Option<QBound>,
    },
    CascadingViBonus {
        label: Option<String>,
        c: Option<f64>,
        delta: Option<f64>,
    },
    CascadingViOracle {
        label: Option<String>,
        c: Option<f64>,
        delta: Option<f64>,
    },
    AdaptRm {
        label: Option<String>,
        c: Option<f64>,
        delta: Option<f64>,
    },
    CascadeUcb1 {
        label: Option<String>,
    },
    CascadeKlUcb {
        label: Option<String>,
    },
    CascadingBpi {
        label: Option<String>,
        epsilon: f64,
        c: Option<f64>,
        delta: Option<f64>,
    },
    AdaptBpi {
        label: Option<String>,
        epsilon: f64,
        c: Option<f64>,
        delta: Option<f64>,
    },
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum QBound {
    Kl,
    Bernstein,
}

#[derive(Clone, Debug, Serialize)]
pub struct CascadingConfig {
    #[serde(skip)]
    pub models: Vec<(String, Arc<CascadingMdp>)>,
    pub start: usize,
    pub algorithms: Vec<(String, Algorithm)>,
    pub bpi: bool,
    #[serde(skip)]
    contents: Vec<serde_json::Value>,
}

fn size(field: String, x: i64, lo: i64, hi: i64) -> Result<usize> {
    if (lo..=hi).contains(&x) { Ok(x as usize) } else { Err(invalid(field, x, "a size", format!("{lo} ..= {hi}"))) }
}

fn scale(field: String, x: Option<f64>, default: f64) -> Result<f64> {
    let x = x.unwrap_or(default);
    if x > 0.0 && x <= 1.0 {
        Ok(x)
    } else {
        Err(invalid(field, x, "the scale c of the confidence term L (1 = the theory's)", "(0, 1]"))
    }
}

fn prob(field: String, x: Option<f64>) -> Result<f64> {
    let x = x.unwrap_or(0.1);
    if x > 0.0 && x < 1.0 { Ok(x) } else { Err(invalid(field, x, "a failure probability δ", "(0, 1)")) }
}

impl CascadingSpec {
    /// `horizons`: the episode budgets K of the sweep (counts are u32: K·H < 2^32).
    pub fn validate(&self, horizons: &[u64]) -> Result<CascadingConfig> {
        if self.instances.is_empty() {
            return Err(invalid("cascading.instances", "[]", "a sweep needs an instance", "a non-empty list"));
        }
        if self.algorithms.is_empty() {
            return Err(invalid("cascading.algorithms", "[]", "nothing to run", "a non-empty list"));
        }
        let hh = size("cascading.episode_length".into(), self.episode_length, 1, 1000)?;
        let mut models = Vec::new();
        let mut contents = Vec::new();
        for (i, inst) in self.instances.iter().enumerate() {
            let f = |n: &str| format!("cascading.instances[{i}].{n}");
            let (label, model, content) = match inst {
                InstanceSpec::Synthetic { label, states, items, max_attraction, seed } => {
                    let (s, n) = (size(f("states"), *states, 1, 1000)?, size(f("items"), *items, 1, 10_000)?);
                    if (s * s * (n + 1)) as u64 > 100_000_000 {
                        return Err(invalid(
                            format!("cascading.instances[{i}]"),
                            format!("S = {s}, N = {n}"),
                            "the model and the learners keep S·(N+1)·S transition entries",
                            "S²·(N+1) <= 10^8",
                        ));
                    }
                    if self.list_length < 1 || self.list_length as usize > n {
                        return Err(invalid(
                            "cascading.list_length",
                            self.list_length,
                            format!("m must not exceed the N = {n} items of instance {i}"),
                            format!("1 ..= {n}"),
                        ));
                    }
                    let m = synthetic(s, n, self.list_length as usize, hh, max_attraction.unwrap_or(1.0), *seed)
                        .map_err(|e| e.in_spec(&format!("cascading.instances[{i}]")))?;
                    // The id must not depend on whether the default was written out.
                    let mut content = serde_json::to_value(inst).unwrap_or_default();
                    content["max_attraction"] = max_attraction.unwrap_or(1.0).into();
                    (label.clone().unwrap_or(format!("synthetic S={s} N={n}")), m, content)
                }
                InstanceSpec::Movielens { label, items, dir } => {
                    let n = size(f("items"), *items, 1, 1682)?;
                    if self.list_length < 1 || self.list_length as usize > n {
                        return Err(invalid(
                            "cascading.list_length",
                            self.list_length,
                            format!("m must not exceed the N = {n} items of instance {i}"),
                            format!("1 ..= {n}"),
                        ));
                    }
                    let dir = dir.as_ref().map(PathBuf::from).unwrap_or_else(movielens::default_dir);
                    let data = movielens::load(&dir)?;
                    let m = movielens::build(&data, n, self.list_length as usize, hh)
                        .map_err(|e| e.in_spec(&format!("cascading.instances[{i}]")))?;
                    let mut content = serde_json::to_value(inst).unwrap_or_default();
                    if let Some(o) = content.as_object_mut() {
                        o.remove("dir");
                        o.insert("data_hash".into(), format!("{:016x}", data.hash).into());
                    }
                    (label.clone().unwrap_or(format!("MovieLens N={n}")), m, content)
                }
            };
            if self.start < 0 || self.start as usize >= model.states() {
                return Err(invalid(
                    "cascading.start",
                    self.start,
                    format!("the start state of instance {i}"),
                    format!("0 ..= {}", model.states() - 1),
                ));
            }
            let mut content = content;
            if let Some(o) = content.as_object_mut() {
                o.remove("label");
            }
            contents.push(serde_json::json!({ "instance": content, "m": self.list_length, "H": hh }));
            models.push((label, Arc::new(model)));
        }
        crate::spec::common::check_labels(
            "cascading.instances",
            &models.iter().map(|m| m.0.clone()).collect::<Vec<_>>(),
        )?;
        let mut algorithms: Vec<(String, Algorithm)> = Vec::new();
        for (i, a) in self.algorithms.iter().enumerate() {
            let f = |n: &str| format!("cascading.algorithms[{i}].{n}");
            let eps = |e: f64| {
                if e > 0.0 && e.is_finite() {
                    Ok(e)
                } else {
                    Err(invalid(f("epsilon"), e, "the accuracy ε of the returned policy", "> 0 and finite"))
                }
            };
            let (default, algo) = match a {
                AlgorithmSpec::CascadingVi { c, delta, q_bound, .. } => (
                    if *q_bound == Some(QBound::Bernstein) { "CascadingVI(Bernstein q)" } else { "CascadingVI" },
                    Algorithm::CascadingVi {
                        q_bonus: if *q_bound == Some(QBound::Bernstein) { QBonus::Bernstein } else { QBonus::Kl },
                        planner: Planner::BestPerm,
                        c: scale(f("c"), *c, 1.0)?,
                        delta: prob(f("delta"), *delta)?,
                    },
                ),
                AlgorithmSpec::CascadingViBonus { c, delta, .. } => (
                    "CascadingVI-Bonus",
                    Algorithm::CascadingVi {
                        q_bonus: QBonus::Hoeffding,
                        planner: Planner::BestPerm,
                        c: scale(f("c"), *c, 1.0)?,
                        delta: prob(f("delta"), *delta)?,
                    },
                ),
                AlgorithmSpec::CascadingViOracle { c, delta, .. } => (
                    "CascadingVI-Oracle",
                    Algorithm::CascadingVi {
                        q_bonus: QBonus::Kl,
                        planner: Planner::Exhaustive,
                        c: scale(f("c"), *c, 1.0)?,
                        delta: prob(f("delta"), *delta)?,
                    },
                ),
                AlgorithmSpec::AdaptRm { c, delta, .. } => {
                    ("AdaptRM", Algorithm::AdaptRm { c: scale(f("c"), *c, 1.0)?, delta: prob(f("delta"), *delta)? })
                }
                AlgorithmSpec::CascadeUcb1 { .. } => ("CascadeUCB1", Algorithm::CascadeUcb1),
                AlgorithmSpec::CascadeKlUcb { .. } => ("CascadeKL-UCB", Algorithm::CascadeKlUcb),
                AlgorithmSpec::CascadingBpi { epsilon, c, delta, .. } => (
                    "CascadingBPI",
                    Algorithm::CascadingBpi {
                        epsilon: eps(*epsilon)?,
                        c: scale(f("c"), *c, 1.0)?,
                        delta: prob(f("delta"), *delta)?,
                    },
                ),
                AlgorithmSpec::AdaptBpi { epsilon, c, delta, .. } => (
                    "AdaptBPI",
                    Algorithm::AdaptBpi {
                        epsilon: eps(*epsilon)?,
                        c: scale(f("c"), *c, 1.0)?,
                        delta: prob(f("delta"), *delta)?,
                    },
                ),
            };
            let label = match a {
                AlgorithmSpec::CascadingVi { label, .. }
                | AlgorithmSpec::CascadingViBonus { label, .. }
                | AlgorithmSpec::CascadingViOracle { label, .. }
                | AlgorithmSpec::AdaptRm { label, .. }
                | AlgorithmSpec::CascadeUcb1 { label }
                | AlgorithmSpec::CascadeKlUcb { label } => label.clone(),
                AlgorithmSpec::CascadingBpi { label, .. } | AlgorithmSpec::AdaptBpi { label, .. } => label.clone(),
            };
            let label = label.unwrap_or_else(|| match &algo {
                Algorithm::CascadingBpi { epsilon, .. } | Algorithm::AdaptBpi { epsilon, .. } => {
                    format!("{default}(ε={epsilon})")
                }
                _ => default.to_string(),
            });
            if matches!(algo, Algorithm::CascadeUcb1 | Algorithm::CascadeKlUcb)
                && models.iter().any(|(_, m)| m.states() != 1 || m.horizon != 1)
            {
                return Err(invalid(
                    f("kind"),
                    default,
                    "cascading-bandit baselines need S = H = 1",
                    "an instance with states = 1 and episode_length = 1",
                ));
            }
            let needs_lists = matches!(
                algo,
                Algorithm::AdaptRm { .. }
                    | Algorithm::AdaptBpi { .. }
                    | Algorithm::CascadingVi { planner: Planner::Exhaustive, .. }
            );
            if needs_lists {
                for (_, m) in &models {
                    let c = count_lists(m.items(), m.max_list);
                    if c > MAX_LISTS {
                        return Err(invalid(
                            f("kind"),
                            default,
                            format!("it enumerates all {c} lists of N = {} items", m.items()),
                            format!("at most {MAX_LISTS} lists"),
                        ));
                    }
                }
            }
            if algorithms.iter().any(|(l, _)| *l == label) {
                return Err(invalid(f("label"), &label, "two algorithms share a label", "distinct labels"));
            }
            algorithms.push((label, algo));
        }
        if let Some(&k) = horizons.iter().max()
            && k.saturating_mul(hh as u64) >= 1 << 32
        {
            return Err(invalid(
                "horizon",
                k,
                format!("K·H examinations must fit the u32 counters (H = {hh})"),
                format!("K < 2^32/{hh}"),
            ));
        }
        let bpi = algorithms[0].1.is_bpi();
        if let Some((i, _)) = algorithms.iter().enumerate().find(|(_, (_, a))| a.is_bpi() != bpi) {
            return Err(invalid(
                format!("cascading.algorithms[{i}].kind"),
                &algorithms[i].0,
                "regret and best-policy-identification algorithms record different metrics",
                "algorithms of one kind per spec",
            ));
        }
        Ok(CascadingConfig { models, start: self.start as usize, algorithms, bpi, contents })
    }
}

impl CascadingConfig {
    pub fn metrics(&self) -> &'static [&'static str] {
        if self.bpi { &BPI_METRICS } else { &REGRET_METRICS }
    }

    pub fn cells(&self, horizons: &[u64]) -> Vec<CellInfo> {
        let instances = self.models.iter().map(|m| m.0.as_str()).zip(&self.contents);
        crate::spec::instance_cells(
            instances,
            horizons,
            |c, k| serde_json::json!({ "setting": "cascading", "model": c, "start": self.start, "episodes": k }),
        )
    }

    pub fn jobs(&self, cells: &[CellInfo], seed: u64) -> Vec<Job> {
        let per = crate::spec::cells_per_instance(cells.len(), self.models.len());
        let mut jobs = Vec::new();
        for (ci, cell) in cells.iter().enumerate() {
            let mdp = self.models[ci / per].1.clone();
            let (v, _) = mdp.optimum();
            let v_star = v[[0, self.start]];
            let lists = if self.algorithms.iter().any(|(_, a)| {
                matches!(
                    a,
                    Algorithm::AdaptRm { .. }
                        | Algorithm::AdaptBpi { .. }
                        | Algorithm::CascadingVi { planner: Planner::Exhaustive, .. }
                )
            }) {
                Some(Arc::new(all_lists(mdp.items(), mdp.max_list)))
            } else {
                None
            };
            for (label, algo) in &self.algorithms {
                let sim = CascadingSim {
                    mdp: mdp.clone(),
                    algo: algo.clone(),
                    lists: lists.clone(),
                    episodes: cell.horizon,
                    start: self.start,
                    key: cell.key(seed),
                    v_star,
                };
                jobs.push(Job { cell: cell.id.clone(), series: label.clone(), sim: Box::new(sim) });
            }
        }
        jobs
    }
}

/// One learner on one cascading MDP; horizon = episodes (the budget, for BPI).
pub struct CascadingSim {
    pub mdp: Arc<CascadingMdp>,
    pub algo: Algorithm,
    pub lists: Option<Arc<Vec<Vec<u16>>>>,
    pub episodes: u64,
    pub start: usize,
    pub key: [u32; 2],
    pub v_star: f64,
}

impl CascadingSim {
    /// Runs replication `rep`, calling `record(k, values)` after every episode k ≥ 1 with the
    /// metrics' current values.
    pub fn run_rep(&self, rep: u32, mut record: impl FnMut(u64, &[f64])) {
        let env = StreamId::new(self.key, rep, Role::Env);
        let mut learner = Learner::new(&self.mdp, &self.algo, self.lists.clone(), self.episodes);
        let epsilon = match self.algo {
            Algorithm::CascadingBpi { epsilon, .. } | Algorithm::AdaptBpi { epsilon, .. } => Some(epsilon),
            _ => None,
        };
        let mut regret = 0.0;
        let mut stopped: Option<[f64; 3]> = None;
        for k in 0..self.episodes {
            if let Some(vals) = stopped {
                record(k + 1, &vals);
                continue;
            }
            learner.plan();
            let value = self.mdp.evaluate(&learner.policy)[self.start];
            if let Some(eps) = epsilon {
                let bound = learner.upper[self.start] - learner.lower[self.start];
                let vals = [bound, k as f64, self.v_star - value];
                if bound <= eps {
                    stopped = Some(vals);
                    record(k + 1, &vals);
                    continue;
                }
                record(k + 1, &[bound, (k + 1) as f64, self.v_star - value]);
            } else {
                regret += self.v_star - value;
                record(k + 1, &[regret]);
            }
            let mut s = self.start;
            for h in 0..self.mdp.horizon {
                let fb = self.mdp.step(&env, k, h, s, &learner.policy[h][s]);
                learner.observe(s, h, &fb);
                s = fb.next;
            }
            learner.end_episode();
        }
    }
}

impl Simulation for CascadingSim {
    fn metrics(&self) -> Vec<String> {
        let m: &[&str] = if self.algo.is_bpi() { &BPI_METRICS } else { &REGRET_METRICS };
        m.iter().map(|s| s.to_string()).collect()
    }
    fn horizon(&self) -> u64 {
        self.episodes
    }
    fn run_block(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        for (i, tr) in out.iter_mut().enumerate() {
            record_steps(grid, tr, |emit| self.run_rep((first_rep + i as u64) as u32, |k, vals| emit(k, vals)));
        }
    }
}
