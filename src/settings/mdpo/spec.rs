//! The `[mdpo]` section of a spec (instances, γ, start distribution, algorithms) and the engine
//! simulation that records, after every update k, the value gap V*(ρ) − V^{π_k}(ρ) and the gap in
//! the algorithm's own objective (the entropy-regularised one for regularised MD).

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use super::algorithms::{Algorithm, Estimator, Param, Run, StepRule};
use super::policy::{at, q_values};
use super::theory::{md_constant_step_bound, md_geometric_step_bound, soft_optimum};
use crate::engine::{Job, Simulation, Trace, default_grid};
use crate::error::{Result, invalid};
use crate::mdp::TabularMdp;
use crate::mdp::planning::policy_iteration;
use crate::mdp::spec::InstanceSpec;
use crate::results::Overlay;
use crate::rng::{Role, StreamId};
use crate::spec::CellInfo;
use crate::spec::common::check_labels;

pub const METRICS: [&str; 2] = ["value_gap", "objective_gap"];

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MdpoSpec {
    pub instances: Vec<InstanceSpec>,
    pub gamma: f64,
    /// "uniform" (default) or a state index.
    pub start: Option<toml::Value>,
    pub algorithms: Vec<AlgorithmSpec>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StepName {
    Constant,
    Geometric,
    InvSqrt,
    Harmonic,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EstimatorName {
    MonteCarlo,
    Td,
    Replay,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ParamName {
    Tabular,
    Linear,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AlgorithmSpec {
    Md {
        label: Option<String>,
        step: StepName,
        t: Option<f64>,
        ratio: Option<f64>,
    },
    MdEntropy {
        label: Option<String>,
        lambda: f64,
        step: StepName,
        t: Option<f64>,
        ratio: Option<f64>,
    },
    SoftmaxPg {
        label: Option<String>,
        lr: f64,
    },
    Npg {
        label: Option<String>,
        lr: f64,
    },
    Trpo {
        label: Option<String>,
        delta: f64,
    },
    PpoClip {
        label: Option<String>,
        clip: Option<f64>,
        lr: f64,
        epochs: Option<i64>,
    },
    MdSampled {
        label: Option<String>,
        step: StepName,
        t: Option<f64>,
        ratio: Option<f64>,
        estimator: EstimatorName,
        rollouts: Option<i64>,
        length: Option<i64>,
        samples: Option<i64>,
        sweeps: Option<i64>,
        batch: Option<i64>,
        capacity: Option<i64>,
        param: Option<ParamName>,
        dim: Option<i64>,
        feature_seed: Option<u64>,
        sgd_steps: Option<i64>,
        lr: Option<f64>,
    },
}

/// The checked `[mdpo]` section.
#[derive(Clone, Debug, Serialize)]
pub struct MdpoConfig {
    #[serde(skip)]
    pub models: Vec<(String, Arc<TabularMdp>)>,
    pub gamma: f64,
    /// None: uniform over states.
    pub start: Option<usize>,
    pub algorithms: Vec<(String, Algorithm)>,
    #[serde(skip)]
    contents: Vec<serde_json::Value>,
}

fn pos(field: String, x: f64, what: &str) -> Result<f64> {
    if x > 0.0 && x.is_finite() { Ok(x) } else { Err(invalid(field, x, what.to_string(), "> 0 and finite")) }
}

fn rate(field: String, x: f64) -> Result<f64> {
    if x > 0.0 && x <= MAX_STEP {
        Ok(x)
    } else {
        Err(invalid(field, x, "a learning rate", format!("(0, {MAX_STEP:e}]")))
    }
}

fn count(field: String, x: i64, lo: i64, hi: i64, what: &str) -> Result<usize> {
    if (lo..=hi).contains(&x) {
        Ok(x as usize)
    } else {
        Err(invalid(field, x, what.to_string(), format!("{lo} ..= {hi}")))
    }
}

fn need<T: Copy>(field: String, x: Option<T>, what: &str) -> Result<T> {
    x.ok_or_else(|| invalid(field, "missing", what.to_string(), "a value"))
}

/// Largest step size or learning rate accepted: with values up to 1/(1−γ) ≤ 10^6·… every logit
/// stays finite over 10^6 iterations.
const MAX_STEP: f64 = 1e6;

fn unused<T>(field: String, x: &Option<T>, why: &str) -> Result<()> {
    match x {
        Some(_) => Err(invalid(field, "given", format!("it is not used {why}"), "omit it")),
        None => Ok(()),
    }
}

fn step_rule(
    f: &dyn Fn(&str) -> String,
    step: StepName,
    t: Option<f64>,
    ratio: Option<f64>,
    lambda: Option<f64>,
    iters: u64,
) -> Result<StepRule> {
    if step != StepName::Geometric {
        unused(f("ratio"), &ratio, "except with step = \"geometric\"")?;
    }
    if step == StepName::Harmonic {
        unused(f("t"), &t, "with step = \"harmonic\" (t_k = 1/(λ(k+1)))")?;
    }
    if let Some(x) = t
        && !(x > 0.0 && x <= MAX_STEP)
    {
        return Err(invalid(f("t"), x, "a step size", format!("(0, {MAX_STEP:e}]")));
    }
    Ok(match step {
        StepName::Constant => {
            StepRule::Constant { t: pos(f("t"), need(f("t"), t, "the constant step size")?, "a step size")? }
        }
        StepName::InvSqrt => {
            StepRule::InvSqrt { t0: pos(f("t"), need(f("t"), t, "the first step size")?, "a step size")? }
        }
        StepName::Geometric => {
            let t0 = pos(f("t"), need(f("t"), t, "the first step size")?, "a step size")?;
            let r = need(f("ratio"), ratio, "the growth factor of the steps")?;
            if !(r >= 1.0 && r.is_finite()) {
                return Err(invalid(f("ratio"), r, "growth factor of geometric steps", ">= 1 and finite"));
            }
            if (t0.ln() + (iters.saturating_sub(1)) as f64 * r.ln()) > 600.0 {
                return Err(invalid(
                    f("ratio"),
                    r,
                    format!("t·ratio^(K−1) overflows at K = {iters} iterations"),
                    "t·ratio^(K−1) <= e^600",
                ));
            }
            StepRule::Geometric { t0, ratio: r }
        }
        StepName::Harmonic => match lambda {
            Some(l) => StepRule::Harmonic { lambda: l },
            None => {
                return Err(invalid(
                    f("step"),
                    "harmonic",
                    "t_k = 1/(λ(k+1)) needs the entropy weight λ",
                    "constant, geometric, inv_sqrt (harmonic only with md_entropy)",
                ));
            }
        },
    })
}

fn step_label(s: &StepRule) -> String {
    match s {
        StepRule::Constant { t } => format!("t={t}"),
        StepRule::Geometric { t0, ratio } => format!("t={t0}·{ratio:.4}^k"),
        StepRule::InvSqrt { t0 } => format!("t={t0}/√k"),
        StepRule::Harmonic { lambda } => format!("t=1/({lambda}(k+1))"),
    }
}

impl MdpoSpec {
    pub fn validate(&self, horizons: &[u64]) -> Result<MdpoConfig> {
        if self.instances.is_empty() {
            return Err(invalid("mdpo.instances", "[]", "a sweep needs an instance", "a non-empty list"));
        }
        if self.algorithms.is_empty() {
            return Err(invalid("mdpo.algorithms", "[]", "nothing to run", "a non-empty list"));
        }
        if !(0.0..1.0).contains(&self.gamma) {
            return Err(invalid("mdpo.gamma", self.gamma, "the discount factor", "[0, 1)"));
        }
        let iters = horizons.iter().copied().max().unwrap_or(1);
        if iters > 1_000_000 {
            return Err(invalid(
                "horizon",
                iters,
                "policy-optimisation iterations (each solves the model)",
                "1 ..= 10^6",
            ));
        }
        let start = match &self.start {
            None => None,
            Some(toml::Value::String(s)) if s == "uniform" => None,
            Some(toml::Value::Integer(i)) => Some(*i),
            Some(other) => {
                return Err(invalid("mdpo.start", other, "the start distribution ρ", "\"uniform\" or a state index"));
            }
        };
        let mut models = Vec::new();
        for (i, inst) in self.instances.iter().enumerate() {
            if let Some(n) = inst.declared_states()
                && n > 2000
            {
                return Err(invalid(
                    format!("mdpo.instances[{i}].states"),
                    n,
                    "every iteration solves a dense linear system in the states",
                    "<= 2000",
                ));
            }
            let m = inst.build(&format!("mdpo.instances[{i}]"))?;
            if let Some(s) = start
                && (s < 0 || s as usize >= m.states())
            {
                return Err(invalid(
                    "mdpo.start",
                    s,
                    format!("a state of instance {i}"),
                    format!("0 ..= {}", m.states() - 1),
                ));
            }
            if m.states() > 2000 {
                return Err(invalid(
                    format!("mdpo.instances[{i}].states"),
                    m.states(),
                    "every iteration solves a dense linear system in the states",
                    "<= 2000",
                ));
            }
            models.push((inst.label(), Arc::new(m)));
        }
        check_labels("mdpo.instances", &models.iter().map(|m| m.0.clone()).collect::<Vec<_>>())?;
        let mut algorithms: Vec<(String, Algorithm)> = Vec::new();
        for (i, a) in self.algorithms.iter().enumerate() {
            let f = |n: &str| format!("mdpo.algorithms[{i}].{n}");
            let (label, algo) = match a {
                AlgorithmSpec::Md { label, step, t, ratio } => {
                    let s = step_rule(&f, *step, *t, *ratio, None, iters)?;
                    (label.clone().unwrap_or(format!("MD {}", step_label(&s))), Algorithm::MdExact { step: s })
                }
                AlgorithmSpec::MdEntropy { label, lambda, step, t, ratio } => {
                    let l = pos(f("lambda"), *lambda, "the entropy weight λ")?;
                    if self.gamma > 0.9999 {
                        return Err(invalid(
                            "mdpo.gamma",
                            self.gamma,
                            "entropy-regularised MD needs the soft optimum, computed by soft value iteration to full precision",
                            "<= 0.9999 with md_entropy",
                        ));
                    }
                    let s = step_rule(&f, *step, *t, *ratio, Some(l), iters)?;
                    (
                        label.clone().unwrap_or(format!("entropy MD λ={l} {}", step_label(&s))),
                        Algorithm::MdEntropy { lambda: l, step: s },
                    )
                }
                AlgorithmSpec::SoftmaxPg { label, lr } => {
                    let lr = rate(f("lr"), *lr)?;
                    (label.clone().unwrap_or(format!("softmax PG η={lr}")), Algorithm::SoftmaxPg { lr })
                }
                AlgorithmSpec::Npg { label, lr } => {
                    let lr = rate(f("lr"), *lr)?;
                    (label.clone().unwrap_or(format!("NPG η={lr}")), Algorithm::Npg { lr })
                }
                AlgorithmSpec::Trpo { label, delta } => {
                    let d = pos(f("delta"), *delta, "the KL budget per step")?.min(f64::MAX);
                    (label.clone().unwrap_or(format!("TRPO δ={d}")), Algorithm::Trpo { delta: d })
                }
                AlgorithmSpec::PpoClip { label, clip, lr, epochs } => {
                    let c = clip.unwrap_or(0.2);
                    if !(c > 0.0 && c < 1.0) {
                        return Err(invalid(f("clip"), c, "the clipping range ε", "(0, 1)"));
                    }
                    let lr = rate(f("lr"), *lr)?;
                    let e = count(f("epochs"), epochs.unwrap_or(10), 1, 10_000, "gradient steps per iteration")?;
                    (label.clone().unwrap_or(format!("PPO-clip ε={c}")), Algorithm::PpoClip { clip: c, lr, epochs: e })
                }
                AlgorithmSpec::MdSampled {
                    label,
                    step,
                    t,
                    ratio,
                    estimator,
                    rollouts,
                    length,
                    samples,
                    sweeps,
                    batch,
                    capacity,
                    param,
                    dim,
                    feature_seed,
                    sgd_steps,
                    lr,
                } => {
                    let s = step_rule(&f, *step, *t, *ratio, None, iters)?;
                    let why = |e: &str| format!("with estimator = \"{e}\"");
                    if *estimator != EstimatorName::MonteCarlo {
                        unused(f("rollouts"), rollouts, &why("td or replay"))?;
                        unused(f("length"), length, &why("td or replay"))?;
                    }
                    if *estimator != EstimatorName::Td {
                        unused(f("samples"), samples, &why("monte_carlo or replay"))?;
                        unused(f("sweeps"), sweeps, &why("monte_carlo or replay"))?;
                    }
                    if *estimator != EstimatorName::Replay {
                        unused(f("batch"), batch, &why("monte_carlo or td"))?;
                        unused(f("capacity"), capacity, &why("monte_carlo or td"))?;
                    }
                    if param.unwrap_or(ParamName::Tabular) == ParamName::Tabular {
                        unused(f("dim"), dim, "with the tabular policy class")?;
                        unused(f("feature_seed"), feature_seed, "with the tabular policy class")?;
                    }
                    let est = match estimator {
                        EstimatorName::MonteCarlo => Estimator::MonteCarlo {
                            rollouts: count(
                                f("rollouts"),
                                rollouts.unwrap_or(4),
                                1,
                                100_000,
                                "Monte Carlo rollouts per (s, a)",
                            )?,
                            length: count(
                                f("length"),
                                length.unwrap_or(((1e-3f64).ln() / self.gamma.max(1e-9).ln()).ceil().max(1.0) as i64),
                                1,
                                100_000,
                                "rollout length",
                            )?,
                        },
                        EstimatorName::Td => Estimator::Td {
                            samples: count(
                                f("samples"),
                                samples.unwrap_or(4),
                                1,
                                100_000,
                                "next-state samples per (s, a)",
                            )?,
                            sweeps: count(f("sweeps"), sweeps.unwrap_or(20), 1, 100_000, "TD sweeps per iteration")?,
                        },
                        EstimatorName::Replay => {
                            let b = count(
                                f("batch"),
                                batch.unwrap_or(256),
                                1,
                                10_000_000,
                                "transitions added per iteration",
                            )?;
                            let c = count(
                                f("capacity"),
                                capacity.unwrap_or(100_000),
                                1,
                                100_000_000,
                                "replay buffer capacity",
                            )?;
                            if c < b {
                                // a buffer smaller than one iteration's batch would drop part of
                                // every batch before it is used
                                return Err(invalid(
                                    f("capacity"),
                                    c,
                                    format!("smaller than batch = {b}: each iteration adds a batch to the buffer"),
                                    format!("{b} ..= 100000000"),
                                ));
                            }
                            Estimator::Replay { batch: b, capacity: c }
                        }
                    };
                    let p = match param.unwrap_or(ParamName::Tabular) {
                        ParamName::Tabular => Param::Tabular,
                        ParamName::Linear => Param::Linear {
                            dim: count(
                                f("dim"),
                                need(f("dim"), *dim, "the feature dimension of the linear softmax")?,
                                1,
                                4096,
                                "feature dimension",
                            )?,
                            seed: feature_seed.unwrap_or(0),
                        },
                    };
                    let m = count(f("sgd_steps"), sgd_steps.unwrap_or(10), 1, 100_000, "gradient steps per iteration")?;
                    let lr = rate(f("lr"), lr.unwrap_or(0.5))?;
                    // The KL term's curvature in the logits is up to 1/(4t) (times E‖f‖² = dim for
                    // the linear class): past lr·dim ≤ 4·t_min the inner ascent can diverge.
                    let t_min = match s {
                        StepRule::Constant { t } => t,
                        StepRule::Geometric { t0, .. } => t0,
                        StepRule::InvSqrt { t0 } => t0 / (iters as f64).sqrt(),
                        StepRule::Harmonic { lambda } => 1.0 / (lambda * (iters as f64 + 1.0)),
                    };
                    let feat = if let Param::Linear { dim, .. } = p { dim as f64 } else { 1.0 };
                    if lr * feat > 4.0 * t_min {
                        return Err(invalid(
                            f("lr"),
                            lr,
                            format!(
                                "the gradient steps on the KL-regularised surrogate are stable for lr·{} ≤ 4·t_min = {}",
                                if feat > 1.0 { "dim" } else { "1" },
                                4.0 * t_min
                            ),
                            format!("<= {}", 4.0 * t_min / feat),
                        ));
                    }
                    let name = match estimator {
                        EstimatorName::MonteCarlo => "MC",
                        EstimatorName::Td => "TD",
                        EstimatorName::Replay => "off-policy",
                    };
                    let pname =
                        if let Param::Linear { dim, .. } = p { format!(", linear d={dim}") } else { String::new() };
                    (
                        label.clone().unwrap_or(format!("sampled MD ({name}{pname}) {}", step_label(&s))),
                        Algorithm::MdSampled { step: s, estimator: est, param: p, sgd_steps: m, lr },
                    )
                }
            };
            if algorithms.iter().any(|(l, _)| *l == label) {
                return Err(invalid(f("label"), &label, "two algorithms share a label", "distinct labels"));
            }
            algorithms.push((label, algo));
        }
        let contents = self.instances.iter().map(|i| i.content()).collect();
        Ok(MdpoConfig { models, gamma: self.gamma, start: start.map(|s| s as usize), algorithms, contents })
    }
}

impl MdpoConfig {
    pub fn cells(&self, horizons: &[u64]) -> Vec<CellInfo> {
        let instances = self.models.iter().map(|m| m.0.as_str()).zip(&self.contents);
        crate::spec::instance_cells(
            instances,
            horizons,
            |c, k| serde_json::json!({ "setting": "mdpo", "instance": c, "gamma": self.gamma, "start": self.start, "iterations": k }),
        )
    }

    fn rho(&self, n: usize) -> Vec<f64> {
        match self.start {
            Some(s) => (0..n).map(|i| if i == s { 1.0 } else { 0.0 }).collect(),
            None => vec![1.0 / n as f64; n],
        }
    }

    pub fn jobs(&self, cells: &[CellInfo], seed: u64) -> Vec<Job> {
        let per = crate::spec::cells_per_instance(cells.len(), self.models.len());
        let mut jobs = Vec::new();
        for (ci, cell) in cells.iter().enumerate() {
            let mdp = self.models[ci / per].1.clone();
            let rho = self.rho(mdp.states());
            let v_star = at(&rho, &policy_iteration(&mdp, self.gamma, 10_000).expect("checked model").v);
            for (label, algo) in &self.algorithms {
                let lambda = algo.lambda();
                let soft_star = if lambda > 0.0 { at(&rho, &soft_optimum(&mdp, self.gamma, lambda).0) } else { v_star };
                let sim = MdpoSim {
                    mdp: mdp.clone(),
                    gamma: self.gamma,
                    rho: rho.clone(),
                    algo: algo.clone(),
                    iterations: cell.horizon,
                    key: cell.key(seed),
                    v_star,
                    soft_star,
                    cache: OnceLock::new(),
                };
                jobs.push(Job { cell: cell.id.clone(), series: label.clone(), sim: Box::new(sim) });
            }
        }
        jobs
    }

    /// Xiao's O(1/k) bound over each constant-step exact MD curve, and a γ^k reference over each
    /// geometric-step one whose ratio is at least 1/γ (see `theory::md_geometric_step_bound`).
    pub fn overlays(&self, cells: &[CellInfo]) -> Vec<Overlay> {
        let per = crate::spec::cells_per_instance(cells.len(), self.models.len());
        let mut out = Vec::new();
        for (ci, cell) in cells.iter().enumerate() {
            let mdp = &self.models[ci / per].1;
            let na = mdp.actions();
            let rho = self.rho(mdp.states());
            let gap0 = || {
                let v_star = at(&rho, &policy_iteration(mdp, self.gamma, 10_000).expect("checked model").v);
                v_star
                    - at(
                        &rho,
                        &q_values(mdp, self.gamma, &crate::mdp::TabularPolicy::uniform(mdp.states(), na))
                            .expect("checked model")
                            .0,
                    )
            };
            for (label, algo) in &self.algorithms {
                if let Algorithm::MdExact { step: StepRule::Geometric { t0, ratio } } = algo
                    && *ratio >= 1.0 / self.gamma - 1e-12
                {
                    let g0 = gap0();
                    out.push(Overlay {
                        cell: cell.id.clone(),
                        metric: "value_gap".into(),
                        label: format!("{label}: γ^k(gap_0 + log A/(t_0(1−γ))), linear-rate reference"),
                        kind: "upper".into(),
                        points: default_grid(cell.horizon)
                            .iter()
                            .map(|&k| (k, md_geometric_step_bound(g0, na, self.gamma, *t0, k)))
                            .collect(),
                    });
                }
                if let Algorithm::MdExact { step: StepRule::Constant { t } } = algo {
                    out.push(Overlay {
                        cell: cell.id.clone(),
                        metric: "value_gap".into(),
                        label: format!("{label}: Xiao 2022 bound (log A/t + 1/(1−γ))/((1−γ)k)"),
                        kind: "upper".into(),
                        points: default_grid(cell.horizon)
                            .iter()
                            .map(|&k| (k, md_constant_step_bound(na, self.gamma, *t, k)))
                            .collect(),
                    });
                }
            }
        }
        out
    }
}

/// One algorithm on one MDP for the engine; horizon = number of updates.
pub struct MdpoSim {
    mdp: Arc<TabularMdp>,
    gamma: f64,
    rho: Vec<f64>,
    algo: Algorithm,
    iterations: u64,
    key: [u32; 2],
    v_star: f64,
    soft_star: f64,
    /// Exact algorithms use no randomness: their curve is computed once and shared by every
    /// replication.
    cache: OnceLock<Vec<(f64, f64)>>,
}

impl MdpoSim {
    fn deterministic(&self) -> bool {
        !matches!(self.algo, Algorithm::MdSampled { .. })
    }

    /// (value gap, objective gap) after each of the K updates of replication `rep`.
    pub fn curve(&self, rep: u32) -> Vec<(f64, f64)> {
        let env = StreamId::new(self.key, rep, Role::Env);
        let mut run = Run::new(&self.mdp, self.gamma, &self.rho, &self.algo, env);
        let lambda = self.algo.lambda();
        (0..self.iterations)
            .map(|_| {
                run.step();
                let (v, _) = q_values(&self.mdp, self.gamma, &run.pi.probs()).expect("checked model");
                let gap = self.v_star - at(&self.rho, &v);
                let obj = if lambda > 0.0 {
                    self.soft_star
                        - at(&self.rho, &super::algorithms::soft_value(&self.mdp, self.gamma, &run.pi, lambda))
                } else {
                    gap
                };
                (gap, obj)
            })
            .collect()
    }
}

impl Simulation for MdpoSim {
    fn metrics(&self) -> Vec<String> {
        METRICS.iter().map(|s| s.to_string()).collect()
    }
    fn horizon(&self) -> u64 {
        self.iterations
    }
    fn run_block(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        for (i, tr) in out.iter_mut().enumerate() {
            let owned;
            let curve = if self.deterministic() {
                self.cache.get_or_init(|| self.curve(0))
            } else {
                owned = self.curve((first_rep + i as u64) as u32);
                &owned
            };
            for (c, &k) in grid.iter().enumerate() {
                let (g, o) = curve[k as usize - 1];
                tr.values[c] = g;
                tr.values[grid.len() + c] = o;
            }
            let (g, o) = *curve.last().expect("at least one iteration");
            tr.finals[0] = g;
            tr.finals[1] = o;
        }
    }
}
