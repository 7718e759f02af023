//! The `[sea]` section of a spec and its engine simulation. Metrics: `regret` (expected regret
//! against the best fixed point of the rounds so far) and `dynamic_regret` (against the per-round
//! minimisers).

use serde::{Deserialize, Serialize};

use super::algorithms::{run, Algorithm};
use super::model::SeaInstance;
use crate::engine::{default_grid, Job, Simulation, Trace};
use crate::error::{invalid, Result};
use crate::mdp::spec::spec_error;
use crate::results::Overlay;
use crate::rng::{Role, StreamId};
use crate::spec::CellInfo;

pub const METRICS: [&str; 2] = ["regret", "dynamic_regret"];

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeaSpec {
    /// Dimension d of the decision space.
    pub dim: i64,
    /// The domain is the Euclidean ball of this radius.
    pub radius: f64,
    pub instances: Vec<SeaInstanceSpec>,
    pub algorithms: Vec<AlgorithmSpec>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeaInstanceSpec {
    pub label: Option<String>,
    /// Noise scale σ: ‖ξ_t − c_t‖ = σ.
    #[serde(default)]
    pub sigma: f64,
    /// Fixed part of the centres (along e₁).
    #[serde(default)]
    pub centre: f64,
    /// Switching part (along e₂): amplitude and rounds between flips (0: never; 1: alternating).
    #[serde(default)]
    pub amplitude: f64,
    #[serde(default)]
    pub period: u64,
    /// Drifting part: radius and rounds per turn.
    #[serde(default)]
    pub drift: f64,
    #[serde(default)]
    pub drift_period: u64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AlgorithmSpec {
    Oomd { label: Option<String>, delta: Option<f64> },
    /// Tuned with the cell's path length P_T of the per-round minimisers (known in hindsight).
    OomdDynamic { label: Option<String>, delta: Option<f64> },
    OomdStronglyConvex { label: Option<String>, lambda: f64 },
    OomdPerfectHints { label: Option<String>, eta: f64 },
    OptimisticFtrl { label: Option<String>, delta: Option<f64> },
    /// Optimistic ONS for exp-concave losses; `epsilon` starts A = εI (default 1/(γD)², Hazan et al.).
    OptimisticOns { label: Option<String>, epsilon: Option<f64> },
    Ogd { label: Option<String> },
    OgdStronglyConvex { label: Option<String>, lambda: f64 },
}

#[derive(Clone, Debug, Serialize)]
pub struct SeaConfig {
    pub instances: Vec<(String, SeaInstance)>,
    pub algorithms: Vec<(String, Algorithm)>,
}

fn positive(field: String, x: f64, what: &str) -> Result<f64> {
    if x > 0.0 && x.is_finite() { Ok(x) } else { Err(invalid(field, x, what.to_string(), "> 0 and finite")) }
}

impl SeaSpec {
    pub fn validate(&self) -> Result<SeaConfig> {
        if self.instances.is_empty() {
            return Err(invalid("sea.instances", "[]", "a sweep needs an instance", "a non-empty list"));
        }
        if self.algorithms.is_empty() {
            return Err(invalid("sea.algorithms", "[]", "nothing to run", "a non-empty list"));
        }
        if !(2..=100_000).contains(&self.dim) {
            return Err(invalid("sea.dim", self.dim, "the dimension (centres use two coordinates)", "2 ..= 100000"));
        }
        let mut instances = Vec::new();
        for (i, s) in self.instances.iter().enumerate() {
            let inst = SeaInstance::new(SeaInstance { dim: self.dim as usize, radius: self.radius, sigma: s.sigma, centre: s.centre, amplitude: s.amplitude, period: s.period, drift: s.drift, drift_period: s.drift_period })
                .map_err(|e| spec_error(&format!("sea.instances[{i}]"), e))?;
            let label = s.label.clone().unwrap_or(format!("σ={} a={} period={} drift={}", s.sigma, s.amplitude, s.period, s.drift));
            instances.push((label, inst));
        }
        crate::mdp::spec::check_labels("sea.instances", &instances.iter().map(|i| i.0.clone()).collect::<Vec<_>>())?;
        let mut algorithms: Vec<(String, Algorithm)> = Vec::new();
        for (i, a) in self.algorithms.iter().enumerate() {
            let f = |n: &str| format!("sea.algorithms[{i}].{n}");
            let (label, algo) = match a {
                AlgorithmSpec::Oomd { label, delta } => {
                    let d = positive(f("delta"), delta.unwrap_or(1.0), "the constant δ of the adaptive step")?;
                    (label.clone().unwrap_or("optimistic OMD".into()), Algorithm::Oomd { delta: d })
                }
                AlgorithmSpec::OomdDynamic { label, delta } => {
                    let d = positive(f("delta"), delta.unwrap_or(1.0), "the constant δ of the adaptive step")?;
                    (label.clone().unwrap_or("optimistic OMD, dynamic (known P_T)".into()), Algorithm::OomdDynamic { delta: d, path_length: 0.0 })
                }
                AlgorithmSpec::OomdStronglyConvex { label, lambda } => {
                    let l = positive(f("lambda"), *lambda, "the strong-convexity modulus λ used by η_t = 1/(λt)")?;
                    (label.clone().unwrap_or(format!("optimistic OMD, strongly convex (λ={l})")), Algorithm::OomdStronglyConvex { lambda: l })
                }
                AlgorithmSpec::OomdPerfectHints { label, eta } => {
                    let e = positive(f("eta"), *eta, "the constant step size")?;
                    (label.clone().unwrap_or(format!("optimistic OMD, perfect hints (η={e})")), Algorithm::OomdPerfectHints { eta: e })
                }
                AlgorithmSpec::OptimisticFtrl { label, delta } => {
                    let d = positive(f("delta"), delta.unwrap_or(1.0), "the constant δ of the adaptive step")?;
                    (label.clone().unwrap_or("optimistic FTRL".into()), Algorithm::OptimisticFtrl { delta: d })
                }
                AlgorithmSpec::OptimisticOns { label, epsilon } => {
                    // 0 stands for the default 1/(γD)², resolved where G and D are known.
                    let e = match epsilon { Some(x) => positive(f("epsilon"), *x, "the initial A = εI of ONS")?, None => 0.0 };
                    if self.dim > 200 {
                        return Err(invalid("sea.dim", self.dim, "optimistic ONS keeps a d × d matrix and eigendecomposes it each round", "<= 200 with optimistic_ons"));
                    }
                    (label.clone().unwrap_or("optimistic ONS".into()), Algorithm::OptimisticOns { epsilon: e })
                }
                AlgorithmSpec::Ogd { label } => (label.clone().unwrap_or("OGD".into()), Algorithm::Ogd),
                AlgorithmSpec::OgdStronglyConvex { label, lambda } => {
                    let l = positive(f("lambda"), *lambda, "the strong-convexity modulus λ used by η_t = 1/(λt)")?;
                    (label.clone().unwrap_or(format!("OGD, strongly convex (λ={l})")), Algorithm::OgdStronglyConvex { lambda: l })
                }
            };
            if algorithms.iter().any(|(l, _)| *l == label) {
                return Err(invalid(f("label"), &label, "two algorithms share a label", "distinct labels"));
            }
            algorithms.push((label, algo));
        }
        Ok(SeaConfig { instances, algorithms })
    }
}

impl SeaConfig {
    pub fn cells(&self, horizons: &[u64]) -> Vec<CellInfo> {
        let contents: Vec<(String, serde_json::Value)> = self.instances.iter().map(|(l, i)| (l.clone(), serde_json::to_value(i).unwrap_or_default())).collect();
        crate::spec::instance_cells(contents.iter().map(|(l, c)| (l.as_str(), c)), horizons, |c, k| serde_json::json!({ "setting": "sea", "instance": c, "rounds": k }))
    }

    pub fn jobs(&self, cells: &[CellInfo], seed: u64) -> Vec<Job> {
        let per = cells.len() / self.instances.len();
        let mut jobs = Vec::new();
        for (ci, cell) in cells.iter().enumerate() {
            let inst = &self.instances[ci / per].1;
            for (label, algo) in &self.algorithms {
                let algo = match *algo {
                    Algorithm::OomdDynamic { delta, .. } => Algorithm::OomdDynamic { delta, path_length: inst.path_length(cell.horizon) },
                    ref a => a.clone(),
                };
                let sim = SeaSim { inst: inst.clone(), algo, horizon: cell.horizon, key: cell.key(seed) };
                jobs.push(Job { cell: cell.id.clone(), series: label.clone(), sim: Box::new(sim) });
            }
        }
        jobs
    }

    /// The convex-smooth bound's rate √σ²_{1:t} + √Σ²_{1:t} (constant 1) and OGD's bound
    /// (3/2)·D·G·√t (Zinkevich 2003), on every cell.
    pub fn overlays(&self, cells: &[CellInfo]) -> Vec<Overlay> {
        let per = cells.len() / self.instances.len();
        let mut out = Vec::new();
        for (ci, cell) in cells.iter().enumerate() {
            let inst = &self.instances[ci / per].1;
            let grid = default_grid(cell.horizon);
            let rate = grid.iter().map(|&t| { let (s, b) = inst.variations(t); (t, s.sqrt() + b.sqrt()) }).collect();
            out.push(Overlay { cell: cell.id.clone(), metric: "regret".into(), label: "√σ²(1:t) + √Σ²(1:t): optimistic OMD's rate (Chen et al. 2023, Thm 1), constant 1".into(), kind: "upper".into(), points: rate });
            let dg = inst.domain().diameter() * inst.gradient_bound();
            out.push(Overlay { cell: cell.id.clone(), metric: "regret".into(), label: "OGD bound 1.5·D·G·√t (Zinkevich 2003)".into(), kind: "upper".into(), points: grid.iter().map(|&t| (t, 1.5 * dg * (t as f64).sqrt())).collect() });
        }
        out
    }
}

/// One learner on one SEA sequence; horizon = rounds.
pub struct SeaSim {
    pub inst: SeaInstance,
    pub algo: Algorithm,
    pub horizon: u64,
    pub key: [u32; 2],
}

impl Simulation for SeaSim {
    fn metrics(&self) -> Vec<String> {
        METRICS.iter().map(|s| s.to_string()).collect()
    }
    fn horizon(&self) -> u64 {
        self.horizon
    }
    fn run_block(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        for (i, tr) in out.iter_mut().enumerate() {
            let env = StreamId::new(self.key, (first_rep + i as u64) as u32, Role::Env);
            let mut c = 0;
            let mut last = [0.0; 2];
            run(&self.inst, &self.algo, self.horizon, &env, |t, r| {
                last = r;
                if c < grid.len() && grid[c] == t {
                    tr.values[c] = r[0];
                    tr.values[grid.len() + c] = r[1];
                    c += 1;
                }
            });
            tr.finals.copy_from_slice(&last);
        }
    }
}
