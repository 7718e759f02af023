//! The `[lsd]` section of a spec: instances (Laforgue's by name, a positive-state table, explicit
//! Active/Idle tables, a JSON file, or a generated class) and algorithms. Checked into
//! [`LsdConfig`], whose jobs are [`super::sim::LsdSim`].

use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use super::generate::{Class, generate};
use super::laforgue::{BlockKind, Calibration, Planner};
use super::model::{ArmState, LsdInstance};
use super::online::Estimates;
use super::optimum::{MAX_HOWARD_STATES, StateGraph};
use super::planners::{Planner as PlannerKind, Scheduling};
use super::ratios::{self, Family, RatioSim, Series};
use super::sim::{Algorithm, LsdSim, alpha};
use crate::engine::{Job, default_grid};
use crate::error::{ModelError, Result, bad, invalid};
use crate::rng::content_hash;
use crate::spec::CellInfo;
use crate::spec::common::check_labels;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LsdSpec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<InstanceSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub algorithms: Vec<AlgorithmSpec>,
    /// The approximation-ratio sweep (instead of instances and algorithms): one cell per class
    /// of random instances, one replication per instance, one series per planner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratios: Option<RatioSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub planners: Vec<PlannerSpec>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RatioSpec {
    pub classes: Vec<Class>,
    pub arms: i64,
    pub tau_max: i64,
    pub seed: u64,
    /// Rounds before the measured window (default 1,000); the window is the horizon.
    pub burn: Option<i64>,
    /// Draws of a planner's randomness averaged per instance (default 4).
    pub draws: Option<i64>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PlannerSpec {
    /// The relaxation, rounding and scheduling with virtual states.
    Rounding { label: Option<String>, scheduling: Scheduling },
    /// Papadigenopoulos et al.'s single-pull LP, rounding and random interleaving.
    Recharging { label: Option<String> },
    /// The arm of the largest current mean.
    Greedy { label: Option<String> },
    /// The LP relaxation's value itself.
    LpBound { label: Option<String> },
}

/// One instance; exactly one of `laforgue`, `table`, `act` + `idle`, `file`, `generate`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceSpec {
    pub label: Option<String>,
    /// "main" or "supplementary": Laforgue et al.'s two tables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub laforgue: Option<String>,
    /// A positive-state table M (k rows of C ≥ 2 columns): pulling arm i τ rounds after its
    /// last pull pays M[i][min(τ, C − 1) − 1]; every arm starts as if just pulled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<Vec<Vec<f64>>>,
    /// Explicit μ^act and μ^idle tables (k rows of τ_max entries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub act: Option<Vec<Vec<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle: Option<Vec<Vec<f64>>>,
    /// With explicit tables: "active" (as if just pulled, the default) or "idle" (rested: Idle
    /// with n = τ_max).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// A JSON file holding `{"table": …}` or `{"act": …, "idle": …, "start": …}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate: Option<GenerateSpec>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateSpec {
    pub class: Class,
    pub arms: i64,
    pub tau_max: i64,
    pub seed: u64,
    /// Which draw of the class (default 0).
    #[serde(default)]
    pub index: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InstanceFile {
    table: Option<Vec<Vec<f64>>>,
    act: Option<Vec<Vec<f64>>>,
    idle: Option<Vec<Vec<f64>>>,
    start: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AlgorithmSpec {
    /// Laforgue et al.'s CombUCB1 on blocks of d (their main experiment: d = 3).
    CombUcb1 { label: Option<String>, d: i64, planner: Option<Planner> },
    /// ISI-CombUCB1 on blocks of d (their main experiment: d = 4, CombUCB1's d + 1).
    IsiCombUcb1 { label: Option<String>, d: i64, planner: Option<Planner> },
    /// A calibration sequence k − 1, …, 0, then a CombUCB1 block of d.
    CsBest { label: Option<String>, d: i64, planner: Option<Planner> },
    /// A calibration sequence 0, …, k − 1, then a CombUCB1 block of d.
    CsWorst { label: Option<String>, d: i64, planner: Option<Planner> },
    /// Knows the means; plays an arm of the largest current mean, ties at random.
    OracleGreedy { label: Option<String> },
    /// A known-payoff planner's schedule on the true model.
    Planner { label: Option<String>, planner: PlannerChoice },
    /// The online adaptation: `planner` on estimated payoffs in epochs of `epoch`, 2·`epoch`, …
    /// rounds (default 100).
    Online { label: Option<String>, planner: PlannerChoice, estimates: Estimates, epoch: Option<i64> },
}

/// A known-payoff planner, by name.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PlannerChoice {
    RoundingAtomic,
    RoundingPerRound,
    Recharging,
    Greedy,
}

impl PlannerChoice {
    fn planner(self) -> PlannerKind {
        match self {
            PlannerChoice::RoundingAtomic => PlannerKind::Rounding(Scheduling::Atomic),
            PlannerChoice::RoundingPerRound => PlannerKind::Rounding(Scheduling::PerRound),
            PlannerChoice::Recharging => PlannerKind::Recharging,
            PlannerChoice::Greedy => PlannerKind::Greedy,
        }
    }
    fn name(self) -> &'static str {
        match self {
            PlannerChoice::RoundingAtomic => "rounding, atomic runs",
            PlannerChoice::RoundingPerRound => "rounding, per-round service",
            PlannerChoice::Recharging => "recharging planner",
            PlannerChoice::Greedy => "greedy",
        }
    }
}

/// Metrics every job records, before the per-arm pull counts.
pub const BASE_METRICS: [&str; 4] = ["reward", "expected_reward", "regret", "alpha_regret"];

/// The checked ratio sweep: classes, the family, and the series.
#[derive(Debug)]
pub struct RatioConfig {
    pub classes: Vec<Class>,
    pub family: Family,
    pub series: Vec<(String, Series, u32)>,
}

/// A checked `[lsd]` table.
#[derive(Debug)]
pub struct LsdConfig {
    pub instances: Vec<(String, Arc<LsdInstance>, Arc<StateGraph>)>,
    pub algorithms: Vec<(String, Algorithm, u32)>,
    pub ratios: Option<RatioConfig>,
    /// The base metrics, then `pulls_arm_i` for the largest instance's arms.
    pub metrics: &'static [&'static str],
}

fn start_of(s: Option<&str>, tau_max: usize, k: usize, field: &str) -> std::result::Result<Vec<ArmState>, ModelError> {
    match s.unwrap_or("active") {
        "active" => Ok(vec![ArmState { active: true, n: 1 }; k]),
        "idle" => Ok(vec![ArmState { active: false, n: tau_max as u16 }; k]),
        other => Err(bad(field, other, "the state every arm starts in", "\"active\" or \"idle\"")),
    }
}

fn explicit(
    act: Vec<Vec<f64>>,
    idle: Vec<Vec<f64>>,
    start: Option<&str>,
) -> std::result::Result<LsdInstance, ModelError> {
    let tau = act.first().map_or(0, Vec::len);
    let k = act.len();
    LsdInstance::new(act, idle, start_of(start, tau.max(1), k, "start")?)
}

impl InstanceSpec {
    fn build(&self) -> std::result::Result<LsdInstance, ModelError> {
        let sources = [
            self.laforgue.is_some(),
            self.table.is_some(),
            self.act.is_some() || self.idle.is_some(),
            self.file.is_some(),
            self.generate.is_some(),
        ];
        if sources.iter().filter(|&&s| s).count() != 1 {
            return Err(bad(
                "source",
                format!("{} given", sources.iter().filter(|&&s| s).count()),
                "an instance has exactly one source",
                "one of laforgue, table, act + idle, file, generate",
            ));
        }
        if self.start.is_some() && self.act.is_none() {
            return Err(bad(
                "start",
                self.start.as_deref().unwrap_or(""),
                "applies to explicit act/idle tables",
                "omit it",
            ));
        }
        if let Some(name) = &self.laforgue {
            return match name.as_str() {
                "main" => Ok(LsdInstance::laforgue_main()),
                "supplementary" => Ok(LsdInstance::laforgue_supplementary()),
                other => {
                    Err(bad("laforgue", other, "one of Laforgue et al.'s tables", "\"main\" or \"supplementary\""))
                }
            };
        }
        if let Some(m) = &self.table {
            return LsdInstance::positive_state(m);
        }
        if let (Some(a), Some(i)) = (&self.act, &self.idle) {
            return explicit(a.clone(), i.clone(), self.start.as_deref());
        }
        if self.act.is_some() || self.idle.is_some() {
            return Err(bad("idle", "missing", "explicit tables come in pairs", "both act and idle"));
        }
        if let Some(path) = &self.file {
            let p = Path::new(path);
            let file_err = |m: String| ModelError::File { path: path.clone(), message: m };
            let bytes = crate::mdp::io::read_capped(p)?;
            let f: InstanceFile = serde_json::from_slice(&bytes).map_err(|e| file_err(e.to_string()))?;
            let inst = match (f.table, f.act, f.idle) {
                (Some(m), None, None) if f.start.is_none() => LsdInstance::positive_state(&m),
                (None, Some(a), Some(i)) => explicit(a, i, f.start.as_deref()),
                _ => {
                    return Err(file_err(
                        "expected {\"table\": [[…]]} or {\"act\": [[…]], \"idle\": [[…]], \"start\": …}".into(),
                    ));
                }
            };
            return inst.map_err(|e| file_err(e.to_string()));
        }
        let g = self.generate.as_ref().expect("one source");
        let arms =
            usize::try_from(g.arms).map_err(|_| bad("generate.arms", g.arms, "the number of arms", "1 ..= 64"))?;
        let tau = usize::try_from(g.tau_max)
            .map_err(|_| bad("generate.tau_max", g.tau_max, "the largest count a state tells apart", "1 ..= 1000"))?;
        generate(g.class, arms, tau, g.seed, g.index).map_err(|e| match e {
            ModelError::Invalid { field, value, reason, allowed } => {
                ModelError::Invalid { field: format!("generate.{field}"), value, reason, allowed }
            }
            e => e,
        })
    }

    fn label(&self, i: usize) -> String {
        if let Some(l) = &self.label {
            return l.clone();
        }
        if let Some(n) = &self.laforgue {
            return format!("Laforgue {n}");
        }
        if let Some(g) = &self.generate {
            return format!("{:?} k={} tau={} #{}", g.class, g.arms, g.tau_max, g.index);
        }
        self.file.clone().unwrap_or_else(|| format!("instance {i}"))
    }
}

fn block_d(field: &str, d: i64, horizons: &[u64]) -> Result<usize> {
    let shortest = horizons.iter().copied().min().unwrap_or(1);
    if !(1..=12).contains(&d) {
        return Err(invalid(field, d, "the block length (k^d blocks are planned)", "1 ..= 12"));
    }
    if d as u64 > shortest {
        return Err(invalid(
            field,
            d,
            "a block must fit in the horizon",
            format!("1 ..= {shortest} (the shortest horizon)"),
        ));
    }
    Ok(d as usize)
}

impl LsdSpec {
    pub fn validate(&self, horizons: &[u64]) -> Result<LsdConfig> {
        if let Some(r) = &self.ratios {
            return self.validate_ratios(r);
        }
        if !self.planners.is_empty() {
            return Err(invalid(
                "lsd.planners",
                self.planners.len(),
                "planners run in the ratio sweep",
                "omit them, or give lsd.ratios",
            ));
        }
        if self.instances.is_empty() {
            return Err(invalid("lsd.instances", "[]", "a sweep needs an instance", "at least one"));
        }
        if self.algorithms.is_empty() {
            return Err(invalid("lsd.algorithms", "[]", "a sweep needs an algorithm", "at least one"));
        }
        let mut instances = Vec::new();
        for (i, s) in self.instances.iter().enumerate() {
            let p = format!("lsd.instances[{i}]");
            let inst = s.build().map_err(|e| e.in_spec(&p))?;
            // OPT_T needs the reachable joint state graph
            let g = StateGraph::build(&inst, MAX_HOWARD_STATES).map_err(|e| e.in_spec(&p))?;
            // monotonicity is reported in the cell's label, never assumed
            let m = inst.monotonicity();
            let shape = if m.act_non_increasing && m.idle_non_decreasing { "monotone" } else { "non-monotone" };
            instances.push((format!("{} ({shape})", s.label(i)), Arc::new(inst), Arc::new(g)));
        }
        let max_k = instances.iter().map(|(_, i, _)| i.arms()).max().unwrap_or(1);
        let mut algorithms = Vec::new();
        for (a, s) in self.algorithms.iter().enumerate() {
            let p = format!("lsd.algorithms[{a}]");
            let block = |kind: BlockKind, d: i64, planner: &Option<Planner>| -> Result<Algorithm> {
                let planner = planner.unwrap_or(Planner::Lp);
                Ok(Algorithm::Block { kind, planner, d: block_d(&format!("{p}.d"), d, horizons)? })
            };
            let (label, algo) = match s {
                AlgorithmSpec::CombUcb1 { label, d, planner } => {
                    (label.clone().unwrap_or(format!("CombUCB1 (d={d})")), block(BlockKind::CombUcb1, *d, planner)?)
                }
                AlgorithmSpec::IsiCombUcb1 { label, d, planner } => {
                    (label.clone().unwrap_or(format!("ISI-CombUCB1 (d={d})")), block(BlockKind::Isi, *d, planner)?)
                }
                AlgorithmSpec::CsBest { label, d, planner } => (
                    label.clone().unwrap_or(format!("CS-best (d={d})")),
                    block(BlockKind::Cs(Calibration::Best), *d, planner)?,
                ),
                AlgorithmSpec::CsWorst { label, d, planner } => (
                    label.clone().unwrap_or(format!("CS-worst (d={d})")),
                    block(BlockKind::Cs(Calibration::Worst), *d, planner)?,
                ),
                AlgorithmSpec::OracleGreedy { label } => {
                    (label.clone().unwrap_or("Oracle Greedy".into()), Algorithm::OracleGreedy)
                }
                AlgorithmSpec::Planner { label, planner } => (
                    label.clone().unwrap_or(format!("known payoffs: {}", planner.name())),
                    Algorithm::Known { planner: planner.planner() },
                ),
                AlgorithmSpec::Online { label, planner, estimates, epoch } => {
                    let base = epoch.unwrap_or(100);
                    if !(1..=1_000_000_000).contains(&base) {
                        return Err(invalid(
                            format!("{p}.epoch"),
                            base,
                            "the first epoch's length in rounds",
                            "1 ..= 1000000000",
                        ));
                    }
                    let e = match estimates {
                        Estimates::PlugIn => "plug-in",
                        Estimates::Ucb => "UCB",
                    };
                    (
                        label.clone().unwrap_or(format!("online ({e}): {}", planner.name())),
                        Algorithm::Online { planner: planner.planner(), estimates: *estimates, base: base as u64 },
                    )
                }
            };
            let tag = content_hash(serde_json::to_string(s).unwrap_or_default().as_bytes()) as u32;
            algorithms.push((label, algo, tag));
        }
        check_labels("lsd.algorithms", &algorithms.iter().map(|(l, _, _)| l.clone()).collect::<Vec<_>>())?;
        check_labels("lsd.instances", &instances.iter().map(|(l, _, _)| l.clone()).collect::<Vec<_>>())?;
        Ok(LsdConfig { instances, algorithms, ratios: None, metrics: metric_names(max_k) })
    }

    fn validate_ratios(&self, r: &RatioSpec) -> Result<LsdConfig> {
        if !self.instances.is_empty() || !self.algorithms.is_empty() {
            return Err(invalid(
                "lsd.ratios",
                "given with instances or algorithms",
                "the ratio sweep draws its own instances and runs planners",
                "either ratios + planners, or instances + algorithms",
            ));
        }
        if r.classes.is_empty() {
            return Err(invalid("lsd.ratios.classes", "[]", "one cell per class", "at least one class"));
        }
        if self.planners.is_empty() {
            return Err(invalid("lsd.planners", "[]", "the series of the ratio sweep", "at least one planner"));
        }
        if !(1..=8).contains(&r.arms) {
            return Err(invalid("lsd.ratios.arms", r.arms, "arms per random instance", "1 ..= 8"));
        }
        if !(1..=20).contains(&r.tau_max) {
            return Err(invalid("lsd.ratios.tau_max", r.tau_max, "counts per state", "1 ..= 20"));
        }
        // the exact optimum explores at most (2 τ_max)^k joint states
        if (2.0 * r.tau_max as f64).powi(r.arms as i32) > MAX_HOWARD_STATES as f64 {
            return Err(invalid(
                "lsd.ratios.arms",
                r.arms,
                format!("(2 τ_max)^arms joint states must stay within {MAX_HOWARD_STATES} for the exact optimum"),
                "fewer arms or a smaller tau_max",
            ));
        }
        let burn = r.burn.unwrap_or(1000);
        if !(0..=1_000_000).contains(&burn) {
            return Err(invalid("lsd.ratios.burn", burn, "rounds before the measured window", "0 ..= 1000000"));
        }
        let draws = r.draws.unwrap_or(4);
        if !(1..=1000).contains(&draws) {
            return Err(invalid(
                "lsd.ratios.draws",
                draws,
                "draws of a planner's randomness per instance",
                "1 ..= 1000",
            ));
        }
        let family = Family {
            arms: r.arms as usize,
            tau_max: r.tau_max as usize,
            seed: r.seed,
            burn: burn as u64,
            draws: draws as u32,
        };
        let series: Vec<(String, Series, u32)> = self
            .planners
            .iter()
            .map(|p| {
                let (label, s) = match p {
                    PlannerSpec::Rounding { label, scheduling } => (
                        label.clone().unwrap_or(match scheduling {
                            Scheduling::Atomic => "rounding, atomic runs".into(),
                            Scheduling::PerRound => "rounding, per-round service".into(),
                        }),
                        Series::Planner(PlannerKind::Rounding(*scheduling)),
                    ),
                    PlannerSpec::Recharging { label } => {
                        (label.clone().unwrap_or("recharging planner".into()), Series::Planner(PlannerKind::Recharging))
                    }
                    PlannerSpec::Greedy { label } => {
                        (label.clone().unwrap_or("greedy".into()), Series::Planner(PlannerKind::Greedy))
                    }
                    PlannerSpec::LpBound { label } => (label.clone().unwrap_or("LP bound".into()), Series::LpBound),
                };
                (label, s, content_hash(serde_json::to_string(p).unwrap_or_default().as_bytes()) as u32)
            })
            .collect();
        check_labels("lsd.planners", &series.iter().map(|(l, _, _)| l.clone()).collect::<Vec<_>>())?;
        let mut classes = r.classes.clone();
        classes.dedup();
        Ok(LsdConfig {
            instances: Vec::new(),
            algorithms: Vec::new(),
            ratios: Some(RatioConfig { classes, family, series }),
            metrics: &ratios::METRICS,
        })
    }

    /// Makes relative instance-file paths relative to `base` (the spec's folder).
    pub fn resolve_paths(&mut self, base: &Path) -> bool {
        let mut any = false;
        for s in &mut self.instances {
            any |= crate::spec::common::resolve_file(&mut s.file, &mut s.label, base);
        }
        any
    }
}

/// The metric names for up to k arms, interned once per k (the setting's names are `'static`).
fn metric_names(k: usize) -> &'static [&'static str] {
    static NAMES: OnceLock<std::sync::Mutex<Vec<Option<&'static [&'static str]>>>> = OnceLock::new();
    let mut table =
        NAMES.get_or_init(|| std::sync::Mutex::new(vec![None; 65])).lock().unwrap_or_else(|e| e.into_inner());
    table[k].get_or_insert_with(|| {
        let mut v: Vec<&'static str> = BASE_METRICS.to_vec();
        v.extend((0..k).map(|i| &*Box::leak(format!("pulls_arm_{i}").into_boxed_str())));
        Box::leak(v.into_boxed_slice())
    })
}

impl LsdConfig {
    pub fn cells(&self, horizons: &[u64]) -> Vec<CellInfo> {
        if let Some(r) = &self.ratios {
            let f = &r.family;
            let contents: Vec<(String, serde_json::Value)> = r
                .classes
                .iter()
                .map(|c| {
                    let v = serde_json::to_value(c).unwrap_or_default();
                    (v.as_str().unwrap_or("class").to_string(), serde_json::json!({ "class": v, "arms": f.arms, "tau_max": f.tau_max, "seed": f.seed, "burn": f.burn, "draws": f.draws }))
                })
                .collect();
            return crate::spec::instance_cells(
                contents.iter().map(|(l, c)| (l.as_str(), c)),
                horizons,
                |c, t| serde_json::json!({ "setting": "lsd", "ratios": c, "rounds": t }),
            );
        }
        let contents: Vec<(String, serde_json::Value)> = self
            .instances
            .iter()
            .map(|(l, i, _)| (l.clone(), serde_json::json!({ "act": i.act, "idle": i.idle, "start": i.start.iter().map(|s| (s.active, s.n)).collect::<Vec<_>>() })))
            .collect();
        crate::spec::instance_cells(
            contents.iter().map(|(l, c)| (l.as_str(), c)),
            horizons,
            |c, t| serde_json::json!({ "setting": "lsd", "instance": c, "rounds": t }),
        )
    }

    pub fn jobs(&self, cells: &[CellInfo], seed: u64) -> Vec<Job> {
        if let Some(r) = &self.ratios {
            let per = crate::spec::cells_per_instance(cells.len(), r.classes.len());
            let mut jobs = Vec::new();
            for (ci, cell) in cells.iter().enumerate() {
                for (label, series, tag) in &r.series {
                    let sim = RatioSim {
                        class: r.classes[ci / per],
                        family: r.family,
                        series: *series,
                        rounds: cell.horizon,
                        key: cell.key(seed),
                        tag: *tag,
                    };
                    jobs.push(Job { cell: cell.id.clone(), series: label.clone(), sim: Box::new(sim) });
                }
            }
            return jobs;
        }
        let per = crate::spec::cells_per_instance(cells.len(), self.instances.len());
        let mut jobs = Vec::new();
        for (ci, cell) in cells.iter().enumerate() {
            let (_, inst, graph) = &self.instances[ci / per];
            let opt = Arc::new(OnceLock::new());
            // the long-run optimum, once per cell, for the algorithms whose α needs it
            let gain = self
                .algorithms
                .iter()
                .any(|(_, a, _)| a.alpha_planner().is_some())
                .then(|| super::optimum::howard(graph).expect("the state graph was checked"));
            for (label, algo, tag) in &self.algorithms {
                let a = match (algo.alpha_planner(), gain) {
                    (Some(p), Some(o)) => alpha(inst, p, o),
                    _ => 1.0,
                };
                let sim = LsdSim {
                    inst: inst.clone(),
                    graph: graph.clone(),
                    algo: algo.clone(),
                    grid: default_grid(cell.horizon),
                    opt: opt.clone(),
                    key: cell.key(seed),
                    tag: *tag,
                    metrics: self.metrics,
                    alpha: a,
                };
                jobs.push(Job { cell: cell.id.clone(), series: label.clone(), sim: Box::new(sim) });
            }
        }
        jobs
    }
}
