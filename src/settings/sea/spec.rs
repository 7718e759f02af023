//! The `[sea]` section of a spec and its engine simulation. Metrics: `regret` (expected regret
//! against the best fixed point of the rounds so far) and `dynamic_regret` (against the per-round
//! minimisers).

use serde::{Deserialize, Serialize};

use super::algorithms::{Algorithm, MAX_IMPLICIT_RHO, run};
use std::sync::{Arc, OnceLock};

use super::model::{Loss, SeaInstance, Sequence, Theory};
use crate::engine::{Job, Recorder, Simulation, Trace, default_grid};
use crate::error::{Result, invalid};
use crate::oco::Domain;
use crate::results::Overlay;
use crate::rng::{Role, StreamId};
use crate::spec::CellInfo;

pub const METRICS: [&str; 2] = ["regret", "dynamic_regret"];

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeaSpec {
    /// Dimension d of the decision space.
    pub dim: i64,
    /// Shorthand for `domain = { kind = "ball", radius = … }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radius: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<DomainSpec>,
    /// The loss family (default: quadratic).
    #[serde(default)]
    pub loss: LossSpec,
    #[serde(default)]
    pub instances: Vec<SeaInstanceSpec>,
    /// A σ × amplitude grid of instances (centres switching every `period` rounds), expanded
    /// after `instances`; for heatmaps of regret against the bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid: Option<GridSpec>,
    pub algorithms: Vec<AlgorithmSpec>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DomainSpec {
    Ball { radius: f64 },
    Box { lo: f64, hi: f64 },
    Simplex,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LossSpec {
    #[default]
    Quadratic,
    Linear,
    /// Defaults: 20 examples, feature norm 1, seed 0.
    Logistic {
        examples: Option<i64>,
        scale: Option<f64>,
        seed: Option<u64>,
    },
    /// Defaults: 50 examples, inputs in [−1, 1]², bandwidth 1, seed 0.
    RandomFeatures {
        examples: Option<i64>,
        inputs: Option<i64>,
        bandwidth: Option<f64>,
        seed: Option<u64>,
    },
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GridSpec {
    pub sigma: Vec<f64>,
    pub amplitude: Vec<f64>,
    #[serde(default)]
    pub centre: f64,
    /// Rounds between flips of the switching part (default 1: alternating).
    #[serde(default = "one")]
    pub period: u64,
}

fn one() -> u64 {
    1
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
    /// Switching part (along e₂): amplitude and rounds between flips (1: alternating; at least
    /// 1 when the amplitude is positive).
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
    Oomd {
        label: Option<String>,
        delta: Option<f64>,
    },
    /// Tuned with the cell's path length P_T of the per-round minimisers (known in hindsight).
    OomdDynamic {
        label: Option<String>,
        delta: Option<f64>,
    },
    /// The parameter-free meta-learner over step sizes (no P_T needed).
    OomdMeta {
        label: Option<String>,
        delta: Option<f64>,
    },
    OomdStronglyConvex {
        label: Option<String>,
        lambda: f64,
    },
    OomdPerfectHints {
        label: Option<String>,
        eta: f64,
    },
    OptimisticFtrl {
        label: Option<String>,
        delta: Option<f64>,
    },
    /// Optimistic ONS for exp-concave losses; `epsilon` starts A = εI (default 1/(γD)², Hazan et al.).
    OptimisticOns {
        label: Option<String>,
        epsilon: Option<f64>,
    },
    /// Online Newton step without optimism (the baseline).
    Ons {
        label: Option<String>,
        epsilon: Option<f64>,
    },
    Ogd {
        label: Option<String>,
    },
    OgdStronglyConvex {
        label: Option<String>,
        lambda: f64,
    },
    /// Entropic OMD on the simplex; without `eta`, the adaptive step.
    Hedge {
        label: Option<String>,
        eta: Option<f64>,
    },
    /// Optimistic OMD with the entropic mirror map, on the simplex.
    OptimisticHedge {
        label: Option<String>,
        delta: Option<f64>,
    },
}

#[derive(Clone, Debug, Serialize)]
pub struct SeaConfig {
    pub instances: Vec<(String, SeaInstance)>,
    pub algorithms: Vec<(String, Algorithm)>,
}

fn positive(field: String, x: f64, what: &str) -> Result<f64> {
    if x > 0.0 && x.is_finite() { Ok(x) } else { Err(invalid(field, x, what.to_string(), "> 0 and finite")) }
}

fn count(field: &str, x: Option<i64>, default: i64, what: &str, max: i64) -> Result<usize> {
    let v = x.unwrap_or(default);
    if !(1..=max).contains(&v) {
        return Err(invalid(field, v, what, format!("1 ..= {max}")));
    }
    Ok(v as usize)
}

impl SeaSpec {
    fn domain(&self, dim: usize) -> Result<Domain> {
        let d = match (&self.radius, &self.domain) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "sea.radius",
                    "set with sea.domain",
                    "the domain is given twice",
                    "either radius (a ball) or domain",
                ));
            }
            (None, None) => {
                return Err(invalid(
                    "sea.domain",
                    "missing",
                    "the learner needs a domain",
                    "domain = { kind = \"ball\" | \"box\" | \"simplex\", … } or radius",
                ));
            }
            (Some(r), None) => Domain::Ball { dim, radius: *r },
            (None, Some(DomainSpec::Ball { radius })) => Domain::Ball { dim, radius: *radius },
            (None, Some(DomainSpec::Box { lo, hi })) => Domain::Box { dim, lo: *lo, hi: *hi },
            (None, Some(DomainSpec::Simplex)) => Domain::Simplex { dim },
        };
        let field = if self.radius.is_some() { "sea" } else { "sea.domain" };
        Domain::new(d).map_err(|e| e.in_spec(field))
    }

    fn loss(&self, dim: usize) -> Result<Loss> {
        let max = (crate::settings::sea::model::MAX_DESIGN / dim).min(1_000_000) as i64;
        Ok(match &self.loss {
            LossSpec::Quadratic => Loss::Quadratic,
            LossSpec::Linear => Loss::Linear,
            LossSpec::Logistic { examples, scale, seed } => Loss::Logistic {
                examples: count("sea.loss.examples", *examples, 20, "the number n of examples in the design", max)?,
                scale: scale.unwrap_or(1.0),
                seed: seed.unwrap_or(0),
            },
            LossSpec::RandomFeatures { examples, inputs, bandwidth, seed } => Loss::RandomFeatures {
                examples: count("sea.loss.examples", *examples, 50, "the number n of examples in the design", max)?,
                inputs: count("sea.loss.inputs", *inputs, 2, "the dimension of the inputs", 100)?,
                bandwidth: bandwidth.unwrap_or(1.0),
                seed: seed.unwrap_or(0),
            },
        })
    }

    pub fn validate(&self) -> Result<SeaConfig> {
        if self.instances.is_empty() && self.grid.is_none() {
            return Err(invalid("sea.instances", "[]", "a sweep needs an instance", "a non-empty list, or a grid"));
        }
        if self.algorithms.is_empty() {
            return Err(invalid("sea.algorithms", "[]", "nothing to run", "a non-empty list"));
        }
        if !(2..=100_000).contains(&self.dim) {
            return Err(invalid("sea.dim", self.dim, "the dimension (centres use two coordinates)", "2 ..= 100000"));
        }
        let dim = self.dim as usize;
        let domain = self.domain(dim)?;
        let zero = Sequence { sigma: 0.0, centre: 0.0, amplitude: 0.0, period: 0, drift: 0.0, drift_period: 0 };
        let base = SeaInstance::new(dim, domain.clone(), self.loss(dim)?, zero).map_err(|e| e.in_spec("sea"))?;
        let mut specs: Vec<(String, String, Sequence)> = Vec::new();
        for (i, s) in self.instances.iter().enumerate() {
            let label = s
                .label
                .clone()
                .unwrap_or(format!("σ={} a={} period={} drift={}", s.sigma, s.amplitude, s.period, s.drift));
            specs.push((
                format!("sea.instances[{i}]"),
                label,
                Sequence {
                    sigma: s.sigma,
                    centre: s.centre,
                    amplitude: s.amplitude,
                    period: s.period,
                    drift: s.drift,
                    drift_period: s.drift_period,
                },
            ));
        }
        if let Some(g) = &self.grid {
            if g.sigma.is_empty() || g.amplitude.is_empty() {
                return Err(invalid(
                    "sea.grid",
                    "an empty axis",
                    "a grid needs values on both axes",
                    "non-empty sigma and amplitude lists",
                ));
            }
            for &sigma in &g.sigma {
                for &amplitude in &g.amplitude {
                    specs.push((
                        format!("sea.grid (sigma = {sigma}, amplitude = {amplitude})"),
                        format!("σ={sigma} a={amplitude}"),
                        Sequence { sigma, centre: g.centre, amplitude, period: g.period, drift: 0.0, drift_period: 0 },
                    ));
                }
            }
        }
        let mut instances = Vec::new();
        for (field, label, seq) in specs {
            instances.push((label, base.with_sequence(seq).map_err(|e| e.in_spec(&field))?));
        }
        for (label, inst) in &instances {
            // Every step size divides by G: a zero bound means every loss is constant in x.
            if inst.gradient_bound().is_nan() || inst.gradient_bound() <= 0.0 {
                return Err(invalid(
                    "sea.instances",
                    label,
                    "every loss of this sequence is constant (σ = a = drift = centre = 0 with a linear loss): the gradient bound G is 0 and no step size is defined",
                    "a non-zero centre, amplitude, drift or σ",
                ));
            }
        }
        crate::spec::common::check_labels("sea.instances", &instances.iter().map(|i| i.0.clone()).collect::<Vec<_>>())?;
        let mut algorithms: Vec<(String, Algorithm)> = Vec::new();
        for (i, a) in self.algorithms.iter().enumerate() {
            let f = |n: &str| format!("sea.algorithms[{i}].{n}");
            let delta = |d: &Option<f64>| positive(f("delta"), d.unwrap_or(1.0), "the constant δ of the adaptive step");
            let (label, algo) = match a {
                AlgorithmSpec::Oomd { label, delta: d } => {
                    (label.clone().unwrap_or("optimistic OMD".into()), Algorithm::Oomd { delta: delta(d)? })
                }
                AlgorithmSpec::OomdDynamic { label, delta: d } => (
                    label.clone().unwrap_or("optimistic OMD, dynamic (known P_T)".into()),
                    Algorithm::OomdDynamic { delta: delta(d)?, path_length: 0.0 },
                ),
                AlgorithmSpec::OomdMeta { label, delta: d } => (
                    label.clone().unwrap_or("optimistic OMD, meta-learner (P_T unknown)".into()),
                    Algorithm::OomdMeta { delta: delta(d)? },
                ),
                AlgorithmSpec::OomdStronglyConvex { label, lambda } => {
                    let l = positive(f("lambda"), *lambda, "the strong-convexity modulus λ used by η_t = 1/(λt)")?;
                    (
                        label.clone().unwrap_or(format!("optimistic OMD, strongly convex (λ={l})")),
                        Algorithm::OomdStronglyConvex { lambda: l },
                    )
                }
                AlgorithmSpec::OomdPerfectHints { label, eta } => {
                    let e = positive(f("eta"), *eta, "the constant step size")?;
                    let l = base.smoothness();
                    if !matches!(base.loss, Loss::Quadratic | Loss::Linear) && e * l > MAX_IMPLICIT_RHO {
                        return Err(invalid(
                            f("eta"),
                            e,
                            format!(
                                "the implicit step is the fixed point of a contraction with factor ηL, which must be ≤ {MAX_IMPLICIT_RHO} (L = {l:.4} for this loss)"
                            ),
                            format!("(0, {:.4}]", MAX_IMPLICIT_RHO / l),
                        ));
                    }
                    (
                        label.clone().unwrap_or(format!("optimistic OMD, perfect hints (η={e})")),
                        Algorithm::OomdPerfectHints { eta: e },
                    )
                }
                AlgorithmSpec::OptimisticFtrl { label, delta: d } => {
                    (label.clone().unwrap_or("optimistic FTRL".into()), Algorithm::OptimisticFtrl { delta: delta(d)? })
                }
                AlgorithmSpec::OptimisticOns { label, epsilon } | AlgorithmSpec::Ons { label, epsilon } => {
                    let optimistic = matches!(a, AlgorithmSpec::OptimisticOns { .. });
                    let name = if optimistic { "optimistic ONS" } else { "ONS" };
                    // 0 stands for the default 1/(γD)², resolved where G and D are known.
                    let e = match epsilon {
                        Some(x) => positive(f("epsilon"), *x, "the initial A = εI of ONS")?,
                        None => 0.0,
                    };
                    if matches!(base.loss, Loss::Linear) {
                        return Err(invalid(
                            f("kind"),
                            name,
                            format!("{name} needs exp-concave losses; linear losses are not"),
                            "a quadratic, logistic or random_features loss",
                        ));
                    }
                    for (l, inst) in &instances {
                        let gamma = 0.5
                            * (1.0 / (4.0 * inst.gradient_bound() * inst.domain.diameter())).min(inst.exp_concavity());
                        if gamma.is_nan() || gamma < 1e-6 {
                            return Err(invalid(
                                f("kind"),
                                format!("{name} on '{l}'"),
                                format!(
                                    "ONS's γ = ½·min(1/(4GD), α) is {gamma:.3e}: the losses are barely exp-concave on this domain (for logistic losses α = e^(−‖a‖R); lower sea.loss.scale or the radius)"
                                ),
                                "γ >= 1e-6",
                            ));
                        }
                    }
                    if self.dim > 200 {
                        return Err(invalid(
                            "sea.dim",
                            self.dim,
                            format!("{name} keeps a d × d matrix and eigendecomposes it each round"),
                            "<= 200 with ONS",
                        ));
                    }
                    let algo = if optimistic {
                        Algorithm::OptimisticOns { epsilon: e }
                    } else {
                        Algorithm::Ons { epsilon: e }
                    };
                    (label.clone().unwrap_or(name.into()), algo)
                }
                AlgorithmSpec::Ogd { label } => (label.clone().unwrap_or("OGD".into()), Algorithm::Ogd),
                AlgorithmSpec::OgdStronglyConvex { label, lambda } => {
                    let l = positive(f("lambda"), *lambda, "the strong-convexity modulus λ used by η_t = 1/(λt)")?;
                    (
                        label.clone().unwrap_or(format!("OGD, strongly convex (λ={l})")),
                        Algorithm::OgdStronglyConvex { lambda: l },
                    )
                }
                AlgorithmSpec::Hedge { label, eta } => {
                    let e = match eta {
                        Some(x) => positive(f("eta"), *x, "Hedge's constant step size")?,
                        None => 0.0,
                    };
                    (
                        label.clone().unwrap_or(if e > 0.0 { format!("Hedge (η={e})") } else { "Hedge".into() }),
                        Algorithm::Hedge { eta: e },
                    )
                }
                AlgorithmSpec::OptimisticHedge { label, delta: d } => (
                    label.clone().unwrap_or("optimistic Hedge".into()),
                    Algorithm::OptimisticHedge { delta: delta(d)? },
                ),
            };
            if let Some(need) = algo.needs() {
                let kind = match domain {
                    Domain::Ball { .. } => "ball",
                    Domain::Simplex { .. } => "simplex",
                    _ => "box",
                };
                if kind != need {
                    return Err(invalid(
                        f("kind"),
                        &label,
                        format!("this learner needs the {need} domain; the spec's domain is a {kind}"),
                        format!("a {need} domain"),
                    ));
                }
            }
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
        let contents: Vec<(String, serde_json::Value)> =
            self.instances.iter().map(|(l, i)| (l.clone(), serde_json::to_value(i).unwrap_or_default())).collect();
        crate::spec::instance_cells(
            contents.iter().map(|(l, c)| (l.as_str(), c)),
            horizons,
            |c, k| serde_json::json!({ "setting": "sea", "instance": c, "rounds": k }),
        )
    }

    pub fn jobs(&self, cells: &[CellInfo], seed: u64) -> Vec<Job> {
        let per = crate::spec::cells_per_instance(cells.len(), self.instances.len());
        let mut jobs = Vec::new();
        for (ci, cell) in cells.iter().enumerate() {
            let inst = &self.instances[ci / per].1;
            // Computed once per cell, by whichever of its jobs runs first.
            let theory = Arc::new(OnceLock::new());
            for (label, algo) in &self.algorithms {
                let sim = SeaSim {
                    inst: inst.clone(),
                    algo: algo.clone(),
                    grid: default_grid(cell.horizon),
                    theory: theory.clone(),
                    key: cell.key(seed),
                };
                jobs.push(Job { cell: cell.id.clone(), series: label.clone(), sim: Box::new(sim) });
            }
        }
        jobs
    }

    /// The convex-smooth bound's rate √σ²_{1:t} + √Σ²_{1:t} (constant 1), the strongly convex
    /// rate (σ²_max + Σ²_max)·ln t, and OGD's bound (3/2)·D·G·√t (Zinkevich 2003), on every cell.
    pub fn overlays(&self, cells: &[CellInfo]) -> Vec<Overlay> {
        let per = crate::spec::cells_per_instance(cells.len(), self.instances.len());
        let mut out = Vec::new();
        for (ci, cell) in cells.iter().enumerate() {
            let inst = &self.instances[ci / per].1;
            let grid = default_grid(cell.horizon);
            // One pass gives the sums of the convex rate and the maxima of the strongly convex one.
            let terms = inst.terms_at(&grid);
            let rate = grid.iter().zip(&terms).map(|(&t, v)| (t, v[0].sqrt() + v[1].sqrt())).collect();
            out.push(Overlay {
                cell: cell.id.clone(),
                metric: "regret".into(),
                label: RATE_LABEL.into(),
                kind: "upper".into(),
                points: rate,
            });
            // The strongly convex bound's rate (σ²_max + Σ²_max)/λ · ln t with λ = 1 (Chen et al.
            // 2023, ICML form), from the exact maxima up to each checkpoint.
            let sc = grid.iter().zip(&terms).map(|(&t, v)| (t, (v[2] + v[3]) * (t as f64).ln().max(1.0))).collect();
            out.push(Overlay {
                cell: cell.id.clone(),
                metric: "regret".into(),
                label: "(σ²max + Σ²max)·ln t: the strongly convex rate (λ = 1), constant 1".into(),
                kind: "upper".into(),
                points: sc,
            });
            let dg = inst.domain.diameter() * inst.gradient_bound();
            out.push(Overlay {
                cell: cell.id.clone(),
                metric: "regret".into(),
                label: "OGD bound 1.5·D·G·√t (Zinkevich 2003)".into(),
                kind: "upper".into(),
                points: grid.iter().map(|&t| (t, 1.5 * dg * (t as f64).sqrt())).collect(),
            });
        }
        out
    }
}

/// The label of the rate overlay (heatmaps divide by it).
pub const RATE_LABEL: &str = "√σ²(1:t) + √Σ²(1:t): optimistic OMD's rate (Chen et al. 2023, Thm 1), constant 1";

/// One learner on one SEA sequence; horizon = rounds.
pub struct SeaSim {
    pub inst: SeaInstance,
    pub algo: Algorithm,
    pub grid: Vec<u64>,
    /// The cell's comparators, shared by its jobs and computed on first use (a pure function
    /// of the instance and grid, so no number depends on which job computes it; its time, and
    /// the time sibling jobs wait for it, count in the CPU seconds of the jobs that ran then).
    pub theory: Arc<OnceLock<Theory>>,
    pub key: [u32; 2],
}

impl Simulation for SeaSim {
    fn metrics(&self) -> Vec<String> {
        METRICS.iter().map(|s| s.to_string()).collect()
    }
    fn horizon(&self) -> u64 {
        self.grid.last().copied().unwrap_or(0)
    }
    fn grid(&self) -> Option<Vec<u64>> {
        Some(self.grid.clone())
    }
    fn run_block(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        let th = self.theory.get_or_init(|| self.inst.theory(&self.grid));
        debug_assert_eq!(grid, &th.grid[..]);
        let algo = match self.algo {
            Algorithm::OomdDynamic { delta, .. } => Algorithm::OomdDynamic { delta, path_length: th.path_length },
            ref a => a.clone(),
        };
        for (i, tr) in out.iter_mut().enumerate() {
            let env = StreamId::new(self.key, (first_rep + i as u64) as u32, Role::Env);
            // `run` reports at the checkpoints only
            let mut last = [0.0; 2];
            let mut rec = Recorder::new(grid, tr);
            run(&self.inst, th, &algo, &env, |_, r| {
                last = r;
                rec.record(&r);
            });
            rec.finish(&last);
        }
    }
}
