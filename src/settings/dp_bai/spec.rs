//! The `[dp_bai]` section of a spec and its engine simulation. Metrics: `error` (1 when the
//! recommended arm is not the best: its mean over replications is the error probability, with
//! Wilson intervals) and `simple_regret` (μ* − μ of the recommendation).
//!
//! Two sweeps: `sweep = "budget"` (default) draws every algorithm at the budgets of `budgets`
//! (the x axis is T; each point is an independent run with that budget on the same reward
//! table); `sweep = "epsilon"` runs at the spec's horizon T and draws the private algorithms at
//! every ε of `epsilons` (the checkpoints hold 1000 ε; figures divide by 1000).

use serde::{Deserialize, Serialize};

use super::algorithms::{Algorithm, Noise, Prepared, SampledRewards, run};
use super::model::LinearBai;
use crate::engine::{Job, Simulation, Trace};
use crate::error::{Result, invalid};
use crate::results::Overlay;
use crate::rng::{content_hash, mix64};
use crate::spec::CellInfo;
use crate::spec::OneOrMany;
use crate::spec::common::check_labels;

pub const METRICS: [&str; 2] = ["error", "simple_regret"];

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SweepAxis {
    #[default]
    Budget,
    Epsilon,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DpBaiSpec {
    #[serde(default)]
    pub sweep: SweepAxis,
    /// Budgets of the budget sweep, strictly increasing, the last one the horizon (default: 20
    /// evenly spaced from the largest minimum budget of the algorithms to the horizon).
    pub budgets: Option<Vec<i64>>,
    /// ε values of the epsilon sweep: strictly increasing multiples of 0.001 in [0.001, 10^6].
    pub epsilons: Option<Vec<f64>>,
    /// The ε values whose bound rates are drawn (default: every finite ε of a DP-BAI series).
    pub overlay_epsilons: Option<Vec<f64>>,
    pub instances: Vec<InstanceSpec>,
    pub algorithms: Vec<AlgorithmSpec>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum InstanceSpec {
    /// OD-LinBAI's family (see `LinearBai::od_linbai`).
    OdLinbai {
        label: Option<String>,
        arms: i64,
        angle_sd: Option<f64>,
        scale: Option<f64>,
        seed: u64,
    },
    /// K-armed Bernoulli bandit as a linear one (d = K).
    Unstructured {
        label: Option<String>,
        means: Vec<f64>,
    },
    Explicit {
        label: Option<String>,
        features: Vec<Vec<f64>>,
        theta: Vec<f64>,
    },
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AlgorithmSpec {
    DpBai {
        label: Option<String>,
        epsilon: Option<OneOrMany<f64>>,
    },
    DpOdLinbai {
        label: Option<String>,
        epsilon: Option<OneOrMany<f64>>,
    },
    OdLinbai {
        label: Option<String>,
    },
    SequentialHalving {
        label: Option<String>,
    },
    /// Uniform allocation; private when `epsilon` is given.
    Uniform {
        label: Option<String>,
        epsilon: Option<OneOrMany<f64>>,
    },
    DpSuccessiveRejects {
        label: Option<String>,
        epsilon: Option<OneOrMany<f64>>,
    },
}

#[derive(Clone, Debug, Serialize)]
pub struct DpBaiConfig {
    pub sweep: SweepAxis,
    pub instances: Vec<(String, LinearBai)>,
    /// (label, algorithm); in the epsilon sweep private algorithms carry ε = 0, set per point.
    pub algorithms: Vec<(String, Algorithm)>,
    /// Checkpoints: budgets, or 1000 ε.
    pub grid: Vec<u64>,
    /// The ε values of the bound overlays.
    pub overlay_epsilons: Vec<f64>,
}

/// An algorithm entry taken apart: its label, its constructor from ε, its base name, and the ε
/// field when it is a private algorithm.
type Parsed<'a> = (&'a Option<String>, fn(f64) -> Algorithm, &'a str, Option<&'a Option<OneOrMany<f64>>>);

fn fmt_eps(e: f64) -> String {
    if e.is_infinite() { "∞".into() } else { format!("{e}") }
}

impl DpBaiSpec {
    pub fn validate(&self, horizons: &[u64]) -> Result<DpBaiConfig> {
        if self.instances.is_empty() {
            return Err(invalid("dp_bai.instances", "[]", "a sweep needs an instance", "a non-empty list"));
        }
        if self.algorithms.is_empty() {
            return Err(invalid("dp_bai.algorithms", "[]", "nothing to run", "a non-empty list"));
        }
        let mut instances = Vec::new();
        for (i, s) in self.instances.iter().enumerate() {
            let p = format!("dp_bai.instances[{i}]");
            let (label, inst) = match s {
                InstanceSpec::OdLinbai { label, arms, angle_sd, scale, seed } => {
                    if !(3..=10_000).contains(arms) {
                        return Err(invalid(
                            format!("{p}.arms"),
                            arms,
                            "the family has the best arm, K − 2 arms near π/4 and one at 3π/4",
                            "3 ..= 10000",
                        ));
                    }
                    let sd = angle_sd.unwrap_or(0.3);
                    let sc = scale.unwrap_or(1.0);
                    (
                        label.clone().unwrap_or(format!("OD-LinBAI K={arms} s={sc}")),
                        LinearBai::od_linbai(*arms as usize, sd, sc, *seed),
                    )
                }
                InstanceSpec::Unstructured { label, means } => {
                    (label.clone().unwrap_or(format!("K={} unstructured", means.len())), LinearBai::unstructured(means))
                }
                InstanceSpec::Explicit { label, features, theta } => (
                    label.clone().unwrap_or(format!("K={} d={}", features.len(), theta.len())),
                    LinearBai::new(features.clone(), theta.clone()),
                ),
            };
            instances.push((label, inst.map_err(|e| e.in_spec(&p))?));
        }
        check_labels("dp_bai.instances", &instances.iter().map(|i| i.0.clone()).collect::<Vec<_>>())?;

        let eps_sweep = self.sweep == SweepAxis::Epsilon;
        let mut algorithms: Vec<(String, Algorithm)> = Vec::new();
        for (i, a) in self.algorithms.iter().enumerate() {
            let f = |n: &str| format!("dp_bai.algorithms[{i}].{n}");
            // (label, constructor, base name, the ε field of a private algorithm)
            let (label, make, base, private): Parsed = match a {
                AlgorithmSpec::DpBai { label, epsilon } => {
                    (label, |e| Algorithm::DpBai { epsilon: e }, "DP-BAI", Some(epsilon))
                }
                AlgorithmSpec::DpOdLinbai { label, epsilon } => {
                    (label, |e| Algorithm::OdLinBai { epsilon: e }, "DP-OD-LinBAI", Some(epsilon))
                }
                AlgorithmSpec::OdLinbai { label } => {
                    (label, |_| Algorithm::OdLinBai { epsilon: f64::INFINITY }, "OD-LinBAI", None)
                }
                AlgorithmSpec::SequentialHalving { label } => {
                    (label, |_| Algorithm::SequentialHalving { epsilon: f64::INFINITY }, "Sequential Halving", None)
                }
                AlgorithmSpec::Uniform { label, epsilon } => (
                    label,
                    |e| Algorithm::Uniform { epsilon: e },
                    "uniform",
                    if epsilon.is_some() || eps_sweep { Some(epsilon) } else { None },
                ),
                AlgorithmSpec::DpSuccessiveRejects { label, epsilon } => {
                    (label, |e| Algorithm::SuccessiveRejects { epsilon: e }, "DP Successive Rejects", Some(epsilon))
                }
            };
            let mut out = Vec::new();
            match private {
                None => out.push((label.clone().unwrap_or(base.into()), make(f64::INFINITY))),
                Some(eps) if eps_sweep => {
                    if eps.is_some() {
                        return Err(invalid(
                            f("epsilon"),
                            "given",
                            "in an epsilon sweep ε comes from dp_bai.epsilons",
                            "omit it",
                        ));
                    }
                    out.push((
                        label.clone().unwrap_or(if base == "uniform" {
                            "uniform (private)".into()
                        } else {
                            base.into()
                        }),
                        make(0.0),
                    ));
                }
                Some(eps) => {
                    let Some(eps) = eps else {
                        return Err(invalid(
                            f("epsilon"),
                            "missing",
                            "a private algorithm needs its privacy level",
                            "one value or a list in (0, ∞] (inf for non-private)",
                        ));
                    };
                    let vals = eps.values();
                    if vals.is_empty() {
                        return Err(invalid(f("epsilon"), "[]", "no privacy level", "one value or a non-empty list"));
                    }
                    for &e in &vals {
                        // NaN fails this comparison too; below 1e-6 the Laplace scale 1/(εn) is
                        // pure noise, and for subnormal ε it overflows
                        if e.partial_cmp(&1e-6) == Some(std::cmp::Ordering::Less) || e.is_nan() {
                            return Err(invalid(
                                f("epsilon"),
                                e,
                                "the privacy level ε of ε-DP",
                                "[1e-6, ∞] (inf for non-private)",
                            ));
                        }
                        let name = format!("{base} ε={}", fmt_eps(e));
                        let l = match label {
                            Some(l) if vals.len() == 1 => l.clone(),
                            Some(l) => format!("{l} ε={}", fmt_eps(e)),
                            None => name,
                        };
                        out.push((l, make(e)));
                    }
                }
            }
            for (l, algo) in out {
                if algorithms.iter().any(|(x, _)| *x == l) {
                    return Err(invalid(f("label"), &l, "two algorithms share a label", "distinct labels"));
                }
                algorithms.push((l, algo));
            }
        }

        // the largest minimum budget over instances and algorithms
        let need = instances
            .iter()
            .flat_map(|(_, inst)| algorithms.iter().map(move |(_, a)| a.min_budget(inst)))
            .max()
            .unwrap_or(1);
        let grid: Vec<u64> = match self.sweep {
            SweepAxis::Budget => {
                if self.epsilons.is_some() {
                    return Err(invalid(
                        "dp_bai.epsilons",
                        "given",
                        "ε values belong to an epsilon sweep",
                        "omit it, or sweep = \"epsilon\"",
                    ));
                }
                if horizons.len() != 1 {
                    return Err(invalid(
                        "horizon",
                        format!("{} values", horizons.len()),
                        "the budget sweep draws budgets up to one horizon",
                        "one horizon (the largest budget)",
                    ));
                }
                let h = horizons[0];
                let g: Vec<u64> = match &self.budgets {
                    Some(b) => {
                        for (i, &x) in b.iter().enumerate() {
                            if x < 1 || (i > 0 && x <= b[i - 1]) {
                                return Err(invalid(
                                    format!("dp_bai.budgets[{i}]"),
                                    x,
                                    "budgets must be positive and strictly increasing",
                                    "an increasing list ending at the horizon",
                                ));
                            }
                        }
                        if b.last().map(|&x| x as u64) != Some(h) {
                            return Err(invalid(
                                "dp_bai.budgets",
                                format!("last {}", b.last().copied().unwrap_or(0)),
                                format!("the last budget is the horizon ({h}), the cell's final value"),
                                format!("a list ending at {h}"),
                            ));
                        }
                        b.iter().map(|&x| x as u64).collect()
                    }
                    None => {
                        if h < need {
                            return Err(invalid(
                                "horizon",
                                h,
                                format!(
                                    "the largest budget must let every algorithm pull every sampled arm (needs {need})"
                                ),
                                format!("{need} or more"),
                            ));
                        }
                        let mut g: Vec<u64> = (1..=20u64).map(|i| need + (h - need) * i / 20).collect();
                        g.dedup();
                        g
                    }
                };
                for (i, &t) in g.iter().enumerate() {
                    for (j, (il, inst)) in instances.iter().enumerate() {
                        for (l, a) in &algorithms {
                            let m = a.min_budget(inst);
                            if t < m {
                                return Err(invalid(
                                    format!("dp_bai.budgets[{i}]"),
                                    t,
                                    format!(
                                        "{l} on dp_bai.instances[{j}] ('{il}') needs a budget of at least {m} (K = {} arms, and one pull of every sampled arm in every phase)",
                                        inst.k()
                                    ),
                                    format!("{m} or more"),
                                ));
                            }
                        }
                    }
                }
                g
            }
            SweepAxis::Epsilon => {
                if self.budgets.is_some() {
                    return Err(invalid(
                        "dp_bai.budgets",
                        "given",
                        "an epsilon sweep runs at the horizon's budget",
                        "omit it, or sweep = \"budget\"",
                    ));
                }
                let Some(eps) = &self.epsilons else {
                    return Err(invalid(
                        "dp_bai.epsilons",
                        "missing",
                        "an epsilon sweep needs its ε values",
                        "a strictly increasing list of multiples of 0.001 in [0.001, 1e6]",
                    ));
                };
                if eps.is_empty() {
                    return Err(invalid(
                        "dp_bai.epsilons",
                        "[]",
                        "an epsilon sweep needs its ε values",
                        "a non-empty list",
                    ));
                }
                for &t in horizons {
                    if t < need {
                        return Err(invalid(
                            "horizon",
                            t,
                            format!("every algorithm needs a budget of at least {need} here"),
                            format!("{need} or more"),
                        ));
                    }
                }
                let mut g = Vec::new();
                for (i, &e) in eps.iter().enumerate() {
                    let k = (e * 1000.0).round();
                    if !(0.001..=1e6).contains(&e) || (e * 1000.0 - k).abs() > 1e-6 || (i > 0 && e <= eps[i - 1]) {
                        return Err(invalid(
                            format!("dp_bai.epsilons[{i}]"),
                            e,
                            "the sweep's ε values are strictly increasing multiples of 0.001 (checkpoints hold 1000 ε)",
                            "[0.001, 1e6], multiples of 0.001, increasing",
                        ));
                    }
                    g.push(k as u64);
                }
                g
            }
        };
        let overlay_epsilons = match &self.overlay_epsilons {
            Some(v) => {
                for (i, &e) in v.iter().enumerate() {
                    if !(e > 0.0 && e.is_finite()) {
                        return Err(invalid(
                            format!("dp_bai.overlay_epsilons[{i}]"),
                            e,
                            "an ε whose bound rates are drawn",
                            "(0, ∞)",
                        ));
                    }
                }
                v.clone()
            }
            None => {
                let mut eps: Vec<f64> = algorithms
                    .iter()
                    .filter(|(_, a)| matches!(a, Algorithm::DpBai { .. }))
                    .map(|(_, a)| a.epsilon())
                    .filter(|e| e.is_finite())
                    .collect();
                eps.sort_by(f64::total_cmp);
                eps.dedup();
                eps
            }
        };
        Ok(DpBaiConfig { sweep: self.sweep, instances, algorithms, grid, overlay_epsilons })
    }
}

impl DpBaiConfig {
    pub fn x_label(&self) -> &'static str {
        match self.sweep {
            SweepAxis::Budget => "budget T",
            SweepAxis::Epsilon => "privacy level ε",
        }
    }

    pub fn x_scale(&self) -> Option<f64> {
        (self.sweep == SweepAxis::Epsilon).then_some(1000.0)
    }

    pub fn cells(&self, horizons: &[u64]) -> Vec<CellInfo> {
        let contents: Vec<(String, serde_json::Value)> =
            self.instances.iter().map(|(l, i)| (l.clone(), serde_json::to_value(i).unwrap_or_default())).collect();
        let sweep = self.sweep;
        let grid = self.grid.clone();
        crate::spec::instance_cells(
            contents.iter().map(|(l, c)| (l.as_str(), c)),
            horizons,
            |c, t| serde_json::json!({ "setting": "dp_bai", "instance": c, "budget": t, "sweep": sweep, "grid": grid }),
        )
    }

    pub fn jobs(&self, cells: &[CellInfo], seed: u64) -> Vec<Job> {
        let per = crate::spec::cells_per_instance(cells.len(), self.instances.len());
        let mut jobs = Vec::new();
        for (ci, cell) in cells.iter().enumerate() {
            let prep = Prepared::new(self.instances[ci / per].1.clone());
            for (label, algo) in &self.algorithms {
                let tag = content_hash(serde_json::to_string(algo).unwrap_or_default().as_bytes()) as u32;
                let sim = DpBaiSim {
                    prep: prep.clone(),
                    algo: algo.clone(),
                    sweep: self.sweep,
                    budget: cell.horizon,
                    grid: self.grid.clone(),
                    key: cell.key(seed),
                    tag,
                };
                jobs.push(Job { cell: cell.id.clone(), series: label.clone(), sim: Box::new(sim) });
            }
        }
        jobs
    }

    /// The bounds' exponents as slope references on the error probability (budget sweep),
    /// for each ε of `overlay_epsilons`: exp(−T / (H_BAI + H_pri/ε)) (the minimax
    /// lower bound's rate) and exp(−T / (⌈log₂ d⌉ (H_BAI + H_pri/ε))) (the upper bound's, with its
    /// log d), both with constant 1: the paper's constants are not reproduced, so these compare
    /// slopes, not levels.
    pub fn overlays(&self, cells: &[CellInfo]) -> Vec<Overlay> {
        if self.sweep != SweepAxis::Budget {
            return Vec::new();
        }
        let eps = &self.overlay_epsilons;
        let per = crate::spec::cells_per_instance(cells.len(), self.instances.len());
        let mut out = Vec::new();
        for (ci, cell) in cells.iter().enumerate() {
            let inst = &self.instances[ci / per].1;
            let (hb, hp) = inst.complexities();
            let logd = super::algorithms::phases(inst.dim()) as f64;
            for &e in eps {
                let h = hb + hp / e;
                let pts = |c: f64| self.grid.iter().map(|&t| (t, (-(t as f64) / (c * h)).exp())).collect();
                out.push(Overlay {
                    cell: cell.id.clone(),
                    metric: "error".into(),
                    label: format!("exp(−T/(H_BAI + H_pri/ε)), ε={e}: lower bound's rate, constant 1"),
                    kind: "lower".into(),
                    points: pts(1.0),
                });
                out.push(Overlay {
                    cell: cell.id.clone(),
                    metric: "error".into(),
                    label: format!("exp(−T/(⌈log₂d⌉(H_BAI + H_pri/ε))), ε={e}: upper bound's rate, constant 1"),
                    kind: "upper".into(),
                    points: pts(logd),
                });
            }
        }
        out
    }
}

/// One algorithm on one instance over the sweep's grid.
pub struct DpBaiSim {
    pub prep: Prepared,
    pub algo: Algorithm,
    pub sweep: SweepAxis,
    /// The budget of the epsilon sweep.
    pub budget: u64,
    pub grid: Vec<u64>,
    pub key: [u32; 2],
    pub tag: u32,
}

impl DpBaiSim {
    /// The algorithm and budget of checkpoint `g`.
    fn point(&self, g: u64) -> (Algorithm, u64) {
        match self.sweep {
            SweepAxis::Budget => (self.algo.clone(), g),
            SweepAxis::Epsilon => {
                let e = g as f64 / 1000.0;
                let a = match self.algo {
                    Algorithm::DpBai { .. } => Algorithm::DpBai { epsilon: e },
                    Algorithm::OdLinBai { epsilon } if epsilon.is_finite() => Algorithm::OdLinBai { epsilon: e },
                    Algorithm::SequentialHalving { epsilon } if epsilon.is_finite() => {
                        Algorithm::SequentialHalving { epsilon: e }
                    }
                    Algorithm::Uniform { epsilon } if epsilon.is_finite() => Algorithm::Uniform { epsilon: e },
                    Algorithm::SuccessiveRejects { .. } => Algorithm::SuccessiveRejects { epsilon: e },
                    ref a => a.clone(),
                };
                (a, self.budget)
            }
        }
    }
}

impl Simulation for DpBaiSim {
    fn metrics(&self) -> Vec<String> {
        METRICS.iter().map(|s| s.to_string()).collect()
    }
    fn horizon(&self) -> u64 {
        *self.grid.last().unwrap_or(&1)
    }
    fn grid(&self) -> Option<Vec<u64>> {
        Some(self.grid.clone())
    }
    fn proportions(&self) -> Vec<bool> {
        vec![true, false]
    }
    fn run_block(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        let inst = &self.prep.inst;
        let best = inst.best();
        let top = inst.means[best];
        for (i, tr) in out.iter_mut().enumerate() {
            let rep = (first_rep + i as u64) as u32;
            for (c, &g) in grid.iter().enumerate() {
                let (algo, budget) = self.point(g);
                // One reward table per replication, shared by every point and algorithm
                // (common random numbers); noise of its own per point.
                let mut rw = SampledRewards::new(&inst.means, self.key, rep);
                let h = mix64(g);
                let mut z = Noise::new(crate::rng::fold_in(self.key, h), rep, self.tag);
                let a = run(&self.prep, &algo, budget, &mut rw, &mut z);
                let values = [(a != best) as u8 as f64, top - inst.means[a]];
                tr.put(c, &values);
                // the largest budget is the last checkpoint
                tr.finals.copy_from_slice(&values);
            }
        }
    }
}
