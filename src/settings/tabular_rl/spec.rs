//! The `[tabular_rl]` table: instances (shared MDP instance kinds), episode length, start state
//! and the algorithms, checked into [`TabularRlConfig`].

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::rl::{Bonus, RegretSim, RlAlgorithm};
use crate::engine::Job;
use crate::error::{Result, invalid};
use crate::mdp::TabularMdp;
use crate::mdp::spec::{InstanceSpec, size};
use crate::spec::CellInfo;
use crate::spec::common::check_labels;

/// `[tabular_rl]`: regret of UCBVI and optimistic Q-learning on episodic MDPs; the spec's
/// `horizon` is the number of episodes.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TabularRlSpec {
    pub instances: Vec<InstanceSpec>,
    /// Steps per episode H.
    pub episode_length: i64,
    /// Start state s₀ (default 0).
    #[serde(default)]
    pub start: i64,
    pub algorithms: Vec<RlAlgorithmSpec>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RlAlgorithmSpec {
    Ucbvi { label: Option<String>, bonus: Bonus, c: Option<f64>, delta: Option<f64> },
    QLearningUcb { label: Option<String>, c: Option<f64>, delta: Option<f64> },
}

/// The checked `[tabular_rl]` section.
#[derive(Clone, Debug, Serialize)]
pub struct TabularRlConfig {
    #[serde(skip)]
    pub models: Vec<(String, Arc<TabularMdp>)>,
    pub steps: usize,
    pub start: usize,
    pub algorithms: Vec<(String, RlAlgorithm)>,
    #[serde(skip)]
    contents: Vec<serde_json::Value>,
}

fn positive(field: String, x: f64) -> Result<f64> {
    if x > 0.0 && x.is_finite() { Ok(x) } else { Err(invalid(field, x, "a bonus scale", "> 0 and finite")) }
}

fn confidence(field: String, x: f64) -> Result<f64> {
    if x > 0.0 && x < 1.0 { Ok(x) } else { Err(invalid(field, x, "a failure probability", "(0, 1)")) }
}

impl TabularRlSpec {
    /// `horizons`: the numbers of episodes K of the sweep (visit counts are u32: K·H < 2^32).
    pub fn validate(&self, horizons: &[u64]) -> Result<TabularRlConfig> {
        if self.instances.is_empty() {
            return Err(invalid("tabular_rl.instances", "[]", "a sweep needs an instance", "a non-empty list"));
        }
        if self.algorithms.is_empty() {
            return Err(invalid("tabular_rl.algorithms", "[]", "nothing to run", "a non-empty list"));
        }
        let steps = size("tabular_rl.episode_length", self.episode_length, 1, 10_000)?;
        let mut models = Vec::new();
        for (i, inst) in self.instances.iter().enumerate() {
            if let Some(n) = inst.declared_states()
                && n > 4096
            {
                return Err(invalid(
                    format!("tabular_rl.instances[{i}].states"),
                    n,
                    "the learners keep S·A·S transition counts",
                    "<= 4096",
                ));
            }
            let m = inst.build(&format!("tabular_rl.instances[{i}]"))?;
            if self.start < 0 || self.start as usize >= m.states() {
                return Err(invalid(
                    "tabular_rl.start",
                    self.start,
                    format!("the start state of instance {i}"),
                    format!("0 ..= {}", m.states() - 1),
                ));
            }
            if (m.states() as u64).pow(2) * m.actions() as u64 > 100_000_000 {
                return Err(invalid(
                    format!("tabular_rl.instances[{i}]"),
                    format!("S = {}, A = {}", m.states(), m.actions()),
                    "the learners keep S·A·S transition counts",
                    "S²·A <= 10^8",
                ));
            }
            models.push((inst.label(), Arc::new(m)));
        }
        if let Some(&k) = horizons.iter().max()
            && k.saturating_mul(steps as u64) >= 1 << 32
        {
            return Err(invalid(
                "horizon",
                k,
                format!("K·H visits must fit the u32 counters (H = {steps})"),
                format!("K < 2^32/{steps}"),
            ));
        }
        check_labels("tabular_rl.instances", &models.iter().map(|m| m.0.clone()).collect::<Vec<_>>())?;
        let mut algorithms = Vec::new();
        for (i, a) in self.algorithms.iter().enumerate() {
            let f = |n: &str| format!("tabular_rl.algorithms[{i}].{n}");
            let (label, algo) = match a {
                RlAlgorithmSpec::Ucbvi { label, bonus, c, delta } => {
                    let c = positive(f("c"), c.unwrap_or(1.0))?;
                    let d = confidence(f("delta"), delta.unwrap_or(0.1))?;
                    let name = match bonus {
                        Bonus::Hoeffding => "UCBVI-H",
                        Bonus::Bernstein => "UCBVI-B",
                    };
                    (
                        label.clone().unwrap_or(format!("{name}(c={c})")),
                        RlAlgorithm::Ucbvi { bonus: *bonus, c, delta: d },
                    )
                }
                RlAlgorithmSpec::QLearningUcb { label, c, delta } => {
                    let c = positive(f("c"), c.unwrap_or(1.0))?;
                    let d = confidence(f("delta"), delta.unwrap_or(0.1))?;
                    (
                        label.clone().unwrap_or(format!("Q-learning UCB-H(c={c})")),
                        RlAlgorithm::QLearningUcb { c, delta: d },
                    )
                }
            };
            if algorithms.iter().any(|(l, _): &(String, RlAlgorithm)| *l == label) {
                return Err(invalid(f("label"), &label, "two algorithms share a label", "distinct labels"));
            }
            algorithms.push((label, algo));
        }
        let contents = self.instances.iter().map(|i| i.content()).collect();
        Ok(TabularRlConfig { models, steps, start: self.start as usize, algorithms, contents })
    }
}

impl TabularRlConfig {
    pub fn cells(&self, horizons: &[u64]) -> Vec<CellInfo> {
        let instances = self.models.iter().map(|m| m.0.as_str()).zip(&self.contents);
        crate::spec::instance_cells(
            instances,
            horizons,
            |c, k| serde_json::json!({ "setting": "tabular_rl", "instance": c, "H": self.steps, "start": self.start, "episodes": k }),
        )
    }

    pub fn jobs(&self, cells: &[CellInfo], seed: u64) -> Vec<Job> {
        let per = crate::spec::cells_per_instance(cells.len(), self.models.len());
        let mut jobs = Vec::new();
        for (ci, cell) in cells.iter().enumerate() {
            let mdp = self.models[ci / per].1.clone();
            for (label, algo) in &self.algorithms {
                let sim =
                    RegretSim::new(mdp.clone(), self.steps, cell.horizon, self.start, cell.key(seed), algo.clone());
                jobs.push(Job { cell: cell.id.clone(), series: label.clone(), sim: Box::new(sim) });
            }
        }
        jobs
    }
}
