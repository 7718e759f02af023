//! The `[causal]` section of a spec: instance families (the generator, or a JSON file with a
//! list of instances), and either bandit algorithms (with optional change points) or graph
//! learners run alone on growing samples. Checked into [`CausalConfig`].

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::baselines::LinSemRule;
use super::csl_ucb::{Bound, Coefficient, CslParams, SigmaMode};
use super::generate::Generator;
use super::golem::GolemParams;
use super::model::LinearSem;
use super::sim::{Algorithm, CausalSim, Changes, Family, GRAPH_METRICS, GraphLearner, GraphSim, METRICS};
use crate::engine::Job;
use crate::error::{ModelError, Result, bad, invalid};
use crate::rng::content_hash;
use crate::spec::CellInfo;
use crate::spec::common::check_labels;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CausalSpec {
    pub instances: Vec<FamilySpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub algorithms: Vec<AlgorithmSpec>,
    /// Graph learning alone (instead of algorithms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph: Option<GraphSpec>,
    /// σ in CSL-UCB's bound and detector and in GOLEM-MAB's detector: "true" (the code's) or
    /// "estimated".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma: Option<SigmaMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<ChangeSpec>,
    /// Rounds of the optimal-intervention window (default 100, the paper's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<i64>,
    /// Rounds between checkpoints (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<i64>,
}

/// One family of instances; exactly one of `generate`, `file` and `paper`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FamilySpec {
    pub label: Option<String>,
    /// "stationary": the paper's 100 instances (numpy seed 2025 in the authors' generator,
    /// exported by `scripts/causal_paper_instances.py` and embedded in the binary).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paper: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate: Option<GenerateSpec>,
    /// A JSON file holding a list of `{"B", "B_prime", "nu", "Sigma"}` objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// The authors' generator; every field defaults to their value.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateSpec {
    pub seed: u64,
    pub nodes: Option<i64>,
    pub edge_prob: Option<f64>,
    pub w_min: Option<f64>,
    pub w_max: Option<f64>,
    pub nu: Option<f64>,
    pub sigma2: Option<f64>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeSpec {
    /// Rounds at which the instance changes (the code's T_c without its leading 0).
    pub at: Vec<i64>,
    /// Columns redrawn per change (default 2).
    pub columns: Option<i64>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GraphSpec {
    /// Sample sizes (the checkpoints; the largest must be the horizon).
    pub samples: Vec<i64>,
    /// "observational" (B, the default) or "interventional" (B′).
    pub regime: Option<String>,
    pub learners: Vec<LearnerSpec>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LearnerSpec {
    /// CSL-UCB's sub-graph learner.
    Csl { label: Option<String>, k: Option<i64>, score_weight: Option<f64> },
    /// GOLEM-EV.
    Golem {
        label: Option<String>,
        #[serde(flatten)]
        golem: GolemSpec,
    },
}

/// GOLEM-EV's constants.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GolemSpec {
    pub lambda1: Option<f64>,
    pub lambda2: Option<f64>,
    pub steps: Option<i64>,
    pub learning_rate: Option<f64>,
    pub graph_threshold: Option<f64>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AlgorithmSpec {
    CslUcb {
        label: Option<String>,
        n_es: Option<i64>,
        n_max: Option<i64>,
        k: Option<i64>,
        score_weight: Option<f64>,
        f_graph: Option<i64>,
        f_est: Option<i64>,
        delta: Option<f64>,
        bound: Option<Bound>,
        /// c₀ = c0_factor·max μ̂/max U, cosine-annealed (default 0.5, the code's).
        c0_factor: Option<f64>,
        /// A constant coefficient instead of the cosine schedule.
        coefficient: Option<f64>,
        /// Change detection (default: on when the spec has change points, as the code).
        detect: Option<bool>,
        detect_window: Option<i64>,
        detect_threshold: Option<f64>,
        t_static: Option<i64>,
    },
    GolemMab {
        label: Option<String>,
        samples: Option<i64>,
        detect: Option<bool>,
        detect_threshold: Option<f64>,
        #[serde(flatten)]
        golem: GolemSpec,
    },
    LinsemTs {
        label: Option<String>,
    },
    /// Our reading of Varici et al.'s LinSEM-UCB.
    LinsemUcb {
        label: Option<String>,
    },
    VanillaUcb {
        label: Option<String>,
        coefficient: Option<f64>,
        /// Pulls per action in the sliding mean (default: 10 with change points, else none).
        window: Option<i64>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InstanceFile {
    #[serde(rename = "B")]
    b: Vec<Vec<f64>>,
    #[serde(rename = "B_prime")]
    b_prime: Vec<Vec<f64>>,
    nu: Vec<f64>,
    #[serde(rename = "Sigma")]
    sigma: Vec<Vec<f64>>,
}

/// How a checked table runs.
#[derive(Debug)]
pub enum Mode {
    Bandit {
        algorithms: Vec<(String, Algorithm, u32)>,
        changes: Option<Changes>,
        sigma: SigmaMode,
        window: usize,
        every: u64,
    },
    Graph {
        learners: Vec<(String, GraphLearner)>,
        regime: usize,
        samples: Vec<u64>,
    },
}

/// A checked `[causal]` table.
#[derive(Debug)]
pub struct CausalConfig {
    pub families: Vec<(String, Family, serde_json::Value)>,
    pub mode: Mode,
}

fn int(field: &str, v: Option<i64>, default: i64, lo: i64, hi: i64, what: &str) -> Result<i64> {
    let x = v.unwrap_or(default);
    if !(lo..=hi).contains(&x) {
        return Err(invalid(field, x, what, format!("{lo} ..= {hi}")));
    }
    Ok(x)
}

fn real(field: &str, v: Option<f64>, default: f64, ok: impl Fn(f64) -> bool, what: &str, allowed: &str) -> Result<f64> {
    let x = v.unwrap_or(default);
    if !(x.is_finite() && ok(x)) {
        return Err(invalid(field, x, what, allowed));
    }
    Ok(x)
}

/// The paper's 100 stationary instances, as exported (a JSON list in the file format).
pub const PAPER_INSTANCES: &str = include_str!("paper_instances.json");

/// Reads a file of instances (a JSON list).
pub fn read_instances(path: &str) -> std::result::Result<Vec<LinearSem>, ModelError> {
    let bytes = crate::mdp::io::read_capped(Path::new(path))?;
    parse_instances(path, &bytes)
}

/// Parses and checks a JSON list of instances; errors name `source` and the entry.
pub fn parse_instances(path: &str, bytes: &[u8]) -> std::result::Result<Vec<LinearSem>, ModelError> {
    let file_err = |m: String| ModelError::File { path: path.to_string(), message: m };
    let list: Vec<InstanceFile> = serde_json::from_slice(bytes).map_err(|e| {
        file_err(format!(
            "{e} (expected a list of {{\"B\": [[…]], \"B_prime\": [[…]], \"nu\": […], \"Sigma\": [[…]]}})"
        ))
    })?;
    if list.is_empty() {
        return Err(file_err("the list of instances is empty".into()));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, f) in list.into_iter().enumerate() {
        let n = f.b.len();
        let at = |e: ModelError| match e {
            ModelError::Invalid { field, value, reason, allowed } => {
                file_err(ModelError::Invalid { field: format!("[{i}].{field}"), value, reason, allowed }.to_string())
            }
            e => file_err(format!("[{i}]: {e}")),
        };
        if f.sigma.len() != n || f.sigma.iter().any(|r| r.len() != n) {
            return Err(at(bad(
                "Sigma",
                format!("{} rows", f.sigma.len()),
                "the noise covariance",
                format!("{n} × {n}, as B"),
            )));
        }
        for (p, row) in f.sigma.iter().enumerate() {
            for (q, &x) in row.iter().enumerate() {
                if p != q && x != 0.0 {
                    return Err(at(bad(
                        format!("Sigma[{p}][{q}]"),
                        x,
                        "the noise entries are independent",
                        "0 off the diagonal",
                    )));
                }
            }
        }
        let diag: Vec<f64> = (0..n).map(|q| f.sigma[q][q]).collect();
        out.push(LinearSem::new(f.b, f.b_prime, f.nu, diag).map_err(at)?);
    }
    Ok(out)
}

fn golem_params(field: &str, g: &GolemSpec) -> Result<GolemParams> {
    let d = GolemParams::default();
    Ok(GolemParams {
        lambda1: real(
            &format!("{field}.lambda1"),
            g.lambda1,
            d.lambda1,
            |x| x >= 0.0,
            "the ℓ1 weight",
            "a finite number ≥ 0",
        )?,
        lambda2: real(
            &format!("{field}.lambda2"),
            g.lambda2,
            d.lambda2,
            |x| x >= 0.0,
            "the acyclicity weight",
            "a finite number ≥ 0",
        )?,
        steps: int(&format!("{field}.steps"), g.steps, d.steps as i64, 1, 10_000_000, "Adam steps")? as u64,
        learning_rate: real(
            &format!("{field}.learning_rate"),
            g.learning_rate,
            d.learning_rate,
            |x| x > 0.0 && x <= 1.0,
            "Adam's learning rate",
            "(0, 1]",
        )?,
        threshold: real(
            &format!("{field}.graph_threshold"),
            g.graph_threshold,
            d.threshold,
            |x| x >= 0.0,
            "weights at or below it are dropped",
            "a finite number ≥ 0",
        )?,
        ..d
    })
}

impl CausalSpec {
    pub fn validate(&self, horizons: &[u64]) -> Result<CausalConfig> {
        if self.instances.is_empty() {
            return Err(invalid("causal.instances", "[]", "a sweep needs a family of instances", "at least one"));
        }
        let mut families = Vec::new();
        for (i, f) in self.instances.iter().enumerate() {
            let p = format!("causal.instances[{i}]");
            families.push(f.build(&p)?);
        }
        let n_max_nodes = families
            .iter()
            .map(|(_, f, _)| match f {
                Family::Generated { generator, .. } => generator.nodes,
                Family::List(v) => v.iter().map(|s| s.n).max().unwrap_or(1),
            })
            .max()
            .unwrap_or(1);
        check_labels("causal.instances", &families.iter().map(|(l, _, _)| l.clone()).collect::<Vec<_>>())?;
        if let Some(g) = &self.graph {
            if !self.algorithms.is_empty() || self.changes.is_some() {
                return Err(invalid(
                    "causal.graph",
                    "given with algorithms or changes",
                    "graph learning runs learners alone on stationary samples",
                    "either graph, or algorithms (with changes)",
                ));
            }
            return Ok(CausalConfig { mode: self.graph_mode(g, horizons)?, families });
        }
        if self.algorithms.is_empty() {
            return Err(invalid(
                "causal.algorithms",
                "[]",
                "a sweep needs an algorithm",
                "at least one (or causal.graph)",
            ));
        }
        let shortest = horizons.iter().copied().min().unwrap_or(1);
        let changes = match &self.changes {
            None => None,
            Some(c) => {
                if c.at.is_empty() {
                    return Err(invalid(
                        "causal.changes.at",
                        "[]",
                        "rounds at which the instance changes",
                        "at least one round",
                    ));
                }
                let mut prev = 0;
                for (k, &t) in c.at.iter().enumerate() {
                    if !(t > prev && (t as u64) < shortest) {
                        return Err(invalid(
                            format!("causal.changes.at[{k}]"),
                            t,
                            "change points increase strictly and fall inside the horizon",
                            format!("{} ..= {}", prev + 1, shortest.saturating_sub(1)),
                        ));
                    }
                    prev = t;
                }
                let columns =
                    int("causal.changes.columns", c.columns, 2, 1, 20, "columns redrawn per change")? as usize;
                Some(Changes { at: c.at.iter().map(|&t| t as u64).collect(), columns })
            }
        };
        let window =
            int("causal.window", self.window, 100, 1, 1_000_000, "rounds of the optimal-intervention window")? as usize;
        let every = int("causal.every", self.every, 50, 1, 1_000_000_000, "rounds between checkpoints")? as u64;
        let sigma = self.sigma.unwrap_or_default();
        let mut algorithms = Vec::new();
        for (a, s) in self.algorithms.iter().enumerate() {
            let p = format!("causal.algorithms[{a}]");
            let (label, algo) = self.algorithm(&p, s, changes.is_some(), n_max_nodes)?;
            let tag = content_hash(serde_json::to_string(s).unwrap_or_default().as_bytes()) as u32;
            algorithms.push((label, algo, tag));
        }
        check_labels("causal.algorithms", &algorithms.iter().map(|(l, _, _)| l.clone()).collect::<Vec<_>>())?;
        Ok(CausalConfig { families, mode: Mode::Bandit { algorithms, changes, sigma, window, every } })
    }

    fn graph_mode(&self, g: &GraphSpec, horizons: &[u64]) -> Result<Mode> {
        if g.learners.is_empty() {
            return Err(invalid("causal.graph.learners", "[]", "the series of graph learning", "at least one learner"));
        }
        let regime = match g.regime.as_deref().unwrap_or("observational") {
            "observational" => 0,
            "interventional" => 1,
            other => {
                return Err(invalid(
                    "causal.graph.regime",
                    other,
                    "whose samples are learned",
                    "\"observational\" or \"interventional\"",
                ));
            }
        };
        let mut samples = Vec::new();
        for (i, &m) in g.samples.iter().enumerate() {
            let lo = samples.last().map_or(7, |&x: &u64| x as i64 + 1);
            if !(lo..=1_000_000).contains(&m) {
                return Err(invalid(
                    format!("causal.graph.samples[{i}]"),
                    m,
                    "sample sizes increase strictly (KSG needs more than k + 1 = 6 samples)",
                    format!("{lo} ..= 1000000"),
                ));
            }
            samples.push(m as u64);
        }
        let largest = samples.last().copied().unwrap_or(0);
        if horizons.iter().any(|&h| h != largest) {
            return Err(invalid(
                "causal.graph.samples",
                format!("largest {largest}, horizon {horizons:?}"),
                "the checkpoints are the sample sizes, ending at the horizon",
                "the largest sample size equal to the horizon",
            ));
        }
        let mut learners = Vec::new();
        for (i, l) in g.learners.iter().enumerate() {
            let p = format!("causal.graph.learners[{i}]");
            learners.push(match l {
                LearnerSpec::Csl { label, k, score_weight } => {
                    let d = CslParams::default();
                    let params = CslParams {
                        k: int(&format!("{p}.k"), *k, 5, 2, 50, "KSG's neighbours")? as usize,
                        score_weight: real(
                            &format!("{p}.score_weight"),
                            *score_weight,
                            1.0,
                            |x| x >= 0.0,
                            "the weight of −ln|b̂|",
                            "a finite number ≥ 0",
                        )?,
                        ..d
                    };
                    (label.clone().unwrap_or("CSL sub-graph learner".into()), GraphLearner::Csl(params))
                }
                LearnerSpec::Golem { label, golem } => {
                    (label.clone().unwrap_or("GOLEM-EV".into()), GraphLearner::Golem(golem_params(&p, golem)?))
                }
            });
        }
        check_labels("causal.graph.learners", &learners.iter().map(|(l, _)| l.clone()).collect::<Vec<_>>())?;
        Ok(Mode::Graph { learners, regime, samples })
    }

    fn algorithm(&self, p: &str, s: &AlgorithmSpec, changing: bool, nodes: usize) -> Result<(String, Algorithm)> {
        Ok(match s {
            AlgorithmSpec::CslUcb {
                label,
                n_es,
                n_max,
                k,
                score_weight,
                f_graph,
                f_est,
                delta,
                bound,
                c0_factor,
                coefficient,
                detect,
                detect_window,
                detect_threshold,
                t_static,
            } => {
                let d = CslParams::default();
                // OLS on N − 1 candidates needs at least N samples per pair
                let n_es = int(
                    &format!("{p}.n_es"),
                    *n_es,
                    d.n_es as i64,
                    nodes as i64,
                    1_000_000,
                    &format!(
                        "forced samples per (node, regime), at least N = {nodes} for the first regression on N − 1 candidates"
                    ),
                )? as usize;
                let n_max = int(
                    &format!("{p}.n_max"),
                    *n_max,
                    d.n_max as i64,
                    n_es as i64,
                    1_000_000_000,
                    "samples per (node, regime) used by the regressions, at least n_es",
                )? as usize;
                let coefficient = match (coefficient, c0_factor) {
                    (Some(_), Some(_)) => {
                        return Err(invalid(
                            format!("{p}.coefficient"),
                            "given with c0_factor",
                            "a constant coefficient replaces the cosine schedule",
                            "one of coefficient and c0_factor",
                        ));
                    }
                    (Some(c), None) => Coefficient::Constant(real(
                        &format!("{p}.coefficient"),
                        Some(*c),
                        0.0,
                        |x| x >= 0.0,
                        "the exploration coefficient",
                        "a finite number ≥ 0",
                    )?),
                    (None, f) => Coefficient::Cosine {
                        factor: real(
                            &format!("{p}.c0_factor"),
                            *f,
                            0.5,
                            |x| x >= 0.0,
                            "c₀'s factor",
                            "a finite number ≥ 0",
                        )?,
                    },
                };
                let params = CslParams {
                    n_es,
                    n_max,
                    k: int(&format!("{p}.k"), *k, 5, 2, 50, "KSG's neighbours")? as usize,
                    score_weight: real(
                        &format!("{p}.score_weight"),
                        *score_weight,
                        1.0,
                        |x| x >= 0.0,
                        "the weight of −ln|b̂|",
                        "a finite number ≥ 0",
                    )?,
                    f_graph: int(
                        &format!("{p}.f_graph"),
                        *f_graph,
                        50,
                        1,
                        1_000_000_000,
                        "rounds between topology refreshes",
                    )? as u64,
                    f_est: int(&format!("{p}.f_est"), *f_est, 20, 1, 1_000_000_000, "rounds between weight refreshes")?
                        as u64,
                    delta: real(
                        &format!("{p}.delta"),
                        *delta,
                        0.05,
                        |x| x > 0.0 && x < 1.0,
                        "the bound's error probability",
                        "(0, 1)",
                    )?,
                    bound: bound.unwrap_or_default(),
                    coefficient,
                    sigma: self.sigma.unwrap_or_default(),
                    detect: detect.unwrap_or(changing),
                    window: int(
                        &format!("{p}.detect_window"),
                        *detect_window,
                        20,
                        2,
                        1_000_000,
                        "samples per (node, regime) the detector reads",
                    )? as usize,
                    threshold: real(
                        &format!("{p}.detect_threshold"),
                        *detect_threshold,
                        2.0,
                        |x| x >= 0.0,
                        "the detector's threshold",
                        "a finite number ≥ 0",
                    )?,
                    t_static: int(
                        &format!("{p}.t_static"),
                        *t_static,
                        200,
                        0,
                        1_000_000_000,
                        "rounds before detection starts",
                    )? as u64,
                };
                let mut name = "CSL-UCB".to_string();
                if params.detect != changing {
                    name += if params.detect { " with detection" } else { " without detection" };
                }
                (label.clone().unwrap_or(name), Algorithm::CslUcb(params))
            }
            AlgorithmSpec::GolemMab { label, samples, detect, detect_threshold, golem } => {
                let base = golem_params(p, golem)?;
                let params = GolemParams {
                    samples: int(
                        &format!("{p}.samples"),
                        *samples,
                        300,
                        2,
                        1_000_000,
                        "rounds per regime before the fits",
                    )? as usize,
                    detect: detect.unwrap_or(changing),
                    detect_threshold: real(
                        &format!("{p}.detect_threshold"),
                        *detect_threshold,
                        20.0,
                        |x| x >= 0.0,
                        "the detector's threshold",
                        "a finite number ≥ 0",
                    )?,
                    ..base
                };
                (label.clone().unwrap_or("GOLEM-MAB".into()), Algorithm::GolemMab(params))
            }
            AlgorithmSpec::LinsemTs { label } => {
                (label.clone().unwrap_or("LinSEM-TS (true parents)".into()), Algorithm::LinSem(LinSemRule::Thompson))
            }
            AlgorithmSpec::LinsemUcb { label } => (
                label.clone().unwrap_or("LinSEM-UCB (true parents, our reading)".into()),
                Algorithm::LinSem(LinSemRule::Ucb),
            ),
            AlgorithmSpec::VanillaUcb { label, coefficient, window } => {
                let coef = real(
                    &format!("{p}.coefficient"),
                    *coefficient,
                    1.0,
                    |x| x >= 0.0,
                    "the exploration coefficient",
                    "a finite number ≥ 0",
                )?;
                let window = match window {
                    Some(w) => Some(int(
                        &format!("{p}.window"),
                        Some(*w),
                        10,
                        1,
                        1_000_000,
                        "pulls per action in the sliding mean",
                    )? as usize),
                    None => changing.then_some(10),
                };
                (label.clone().unwrap_or("Vanilla UCB".into()), Algorithm::VanillaUcb { coef, window })
            }
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

impl FamilySpec {
    fn build(&self, p: &str) -> Result<(String, Family, serde_json::Value)> {
        if let Some(name) = &self.paper {
            if self.generate.is_some() || self.file.is_some() {
                return Err(invalid(
                    format!("{p}.source"),
                    "paper with another source",
                    "a family has exactly one source",
                    "one of generate, file, paper",
                ));
            }
            if name != "stationary" {
                return Err(invalid(format!("{p}.paper"), name, "the paper's instance sets", "\"stationary\""));
            }
            let list =
                parse_instances("the paper's instances", PAPER_INSTANCES.as_bytes()).map_err(|e| e.in_spec(p))?;
            let label = self.label.clone().unwrap_or("paper's instances".into());
            let label = format!("{label} ({} instances)", list.len());
            // the content names the set and hashes it, so an edited export changes the cell id
            let content = serde_json::json!({ "paper": name, "hash": format!("{:016x}", content_hash(PAPER_INSTANCES.as_bytes())) });
            return Ok((label, Family::List(Arc::new(list)), content));
        }
        match (&self.generate, &self.file) {
            (Some(g), None) => {
                let d = Generator::default();
                let nodes = g.nodes.unwrap_or(d.nodes as i64);
                let gen_ = Generator {
                    nodes: usize::try_from(nodes).unwrap_or(0),
                    edge_prob: g.edge_prob.unwrap_or(d.edge_prob),
                    w_min: g.w_min.unwrap_or(d.w_min),
                    w_max: g.w_max.unwrap_or(d.w_max),
                    nu: g.nu.unwrap_or(d.nu),
                    sigma2: g.sigma2.unwrap_or(d.sigma2),
                };
                // the first draw checks every parameter
                gen_.draw(g.seed, 0).map_err(|e| e.in_spec(&format!("{p}.generate")))?;
                let label = self.label.clone().unwrap_or(format!("random N={} (seed {})", gen_.nodes, g.seed));
                let content = serde_json::json!({ "generate": { "seed": g.seed, "nodes": gen_.nodes, "edge_prob": gen_.edge_prob, "w_min": gen_.w_min, "w_max": gen_.w_max, "nu": gen_.nu, "sigma2": gen_.sigma2 } });
                Ok((label, Family::Generated { generator: gen_, seed: g.seed }, content))
            }
            (None, Some(f)) => {
                let list = read_instances(f).map_err(|e| e.in_spec(p))?;
                let label = self.label.clone().unwrap_or(f.clone());
                let label = format!("{label} ({} instances)", list.len());
                let content = serde_json::json!({ "file": list.iter().map(|s| serde_json::json!({ "B": s.b, "B_prime": s.b_prime, "nu": s.nu, "Sigma": s.sigma2 })).collect::<Vec<_>>() });
                Ok((label, Family::List(Arc::new(list)), content))
            }
            (g, f) => Err(invalid(
                format!("{p}.source"),
                format!("{} given", g.is_some() as u8 + f.is_some() as u8),
                "a family has exactly one source",
                "one of generate, file, paper",
            )),
        }
    }
}

impl CausalConfig {
    pub fn metrics(&self) -> &'static [&'static str] {
        match self.mode {
            Mode::Bandit { .. } => &METRICS,
            Mode::Graph { .. } => &GRAPH_METRICS,
        }
    }

    pub fn cells(&self, horizons: &[u64]) -> Vec<CellInfo> {
        let extra = match &self.mode {
            Mode::Bandit { changes, sigma, window, every, .. } => serde_json::json!({
                "changes": changes.as_ref().map(|c| serde_json::json!({ "at": c.at, "columns": c.columns })),
                "sigma": sigma, "window": window, "every": every,
            }),
            Mode::Graph { regime, samples, .. } => {
                serde_json::json!({ "graph": { "regime": regime, "samples": samples } })
            }
        };
        let contents: Vec<(String, serde_json::Value)> = self
            .families
            .iter()
            .map(|(l, _, c)| (l.clone(), serde_json::json!({ "family": c, "run": extra })))
            .collect();
        crate::spec::instance_cells(
            contents.iter().map(|(l, c)| (l.as_str(), c)),
            horizons,
            |c, t| serde_json::json!({ "setting": "causal", "cell": c, "rounds": t }),
        )
    }

    pub fn jobs(&self, cells: &[CellInfo], seed: u64) -> Vec<Job> {
        let per = crate::spec::cells_per_instance(cells.len(), self.families.len());
        let mut jobs = Vec::new();
        for (ci, cell) in cells.iter().enumerate() {
            let family = &self.families[ci / per].1;
            match &self.mode {
                Mode::Bandit { algorithms, changes, sigma, window, every } => {
                    let mut grid: Vec<u64> = (1..=cell.horizon / every).map(|k| k * every).collect();
                    if grid.last() != Some(&cell.horizon) {
                        grid.push(cell.horizon);
                    }
                    for (label, algo, tag) in algorithms {
                        let sim = CausalSim {
                            family: family.clone(),
                            algo: algo.clone(),
                            changes: changes.clone(),
                            sigma: *sigma,
                            window: *window,
                            grid: grid.clone(),
                            key: cell.key(seed),
                            tag: *tag,
                        };
                        jobs.push(Job { cell: cell.id.clone(), series: label.clone(), sim: Box::new(sim) });
                    }
                }
                Mode::Graph { learners, regime, samples } => {
                    for (label, learner) in learners {
                        let sim = GraphSim {
                            family: family.clone(),
                            learner: learner.clone(),
                            regime: *regime,
                            grid: samples.clone(),
                            key: cell.key(seed),
                        };
                        jobs.push(Job { cell: cell.id.clone(), series: label.clone(), sim: Box::new(sim) });
                    }
                }
            }
        }
        jobs
    }
}
