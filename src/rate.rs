//! `regretlab rate`: how a metric scales with one variable — the horizon T (a horizon sweep, or
//! the checkpoints of one run), or a parameter the cells' or series' labels carry as
//! `name=value` (K, d, H, N, ε, …). It fits the exponent of the law the spec names, with a
//! bootstrap interval over replications and a local exponent per interval, compares it with the
//! theorem's exponent given in the spec's `[rate]` table, and draws the means with the fitted and
//! theoretical lines.
//!
//! Laws (ȳ the mean of the metric at x):
//! - `power`: ȳ ∝ x^b, the slope of ln ȳ on ln x;
//! - `log`: ȳ ∝ ln(x)·x^b, the slope of ln(ȳ/ln x) on ln x (b = 0: logarithmic growth, as UCB1's
//!   regret);
//! - `exponential`: ȳ ∝ exp(−r x), r = minus the slope of ln ȳ on x (an error probability that
//!   decays exponentially in the budget).
//!
//! The bootstrap resamples replications: the same indices at every x where the points share
//! replications (the checkpoints of one run, or series on common random numbers), each point's
//! own where they are independent (cells). With one replication (a deterministic algorithm) the
//! interval is the least-squares slope's t-interval from the fit's residuals instead.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::claims::{Side, Verdict, least_squares};
use crate::engine::{self, BLOCK, EngineConfig, EngineKind, Trace, default_grid};
use crate::error::{Error, Result, invalid};
use crate::kernels::KernelChoice;
use crate::results::{CurveRow, Overlay, atomic_write};
use crate::rng::{Role, StreamId, cell_key};
use crate::spec::{Experiment, Overrides, SpecFile};
use crate::stats::{Welford, t_quantile};
use rand::RngExt as _;

/// The spec's `[rate]` table (every field can also come from the command line).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RateSpec {
    /// "T" (a horizon sweep, or the checkpoints of one run), or a parameter of the cells' or the
    /// series' labels (`name=value`).
    pub over: Option<String>,
    /// Default: the setting's first metric.
    pub metric: Option<String>,
    #[serde(default)]
    pub law: Law,
    /// The theorem's exponent (the rate r for `exponential`).
    pub exponent: Option<f64>,
    /// How far the fitted exponent may be from the theorem's (default 0.1; for `exponential`,
    /// relative to the rate).
    pub tolerance: Option<f64>,
    /// `both` (default): within ± tolerance; `at_most`: an upper bound's exponent, which a faster
    /// decay (or slower growth) satisfies.
    #[serde(default)]
    pub side: Side,
    /// The x range fitted (default: every point).
    pub from: Option<f64>,
    pub to: Option<f64>,
    /// Bootstrap resamples (default 1000).
    pub bootstrap: Option<usize>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Law {
    #[default]
    Power,
    Log,
    Exponential,
}

impl Law {
    fn parse(s: &str) -> Result<Law> {
        match s {
            "power" => Ok(Law::Power),
            "log" => Ok(Law::Log),
            "exponential" => Ok(Law::Exponential),
            _ => Err(Error::InvalidOption {
                option: "--law".into(),
                value: s.into(),
                allowed: "power, log, exponential".into(),
            }),
        }
    }

    /// The point in fit coordinates.
    fn coords(self, x: f64, y: f64) -> (f64, f64) {
        match self {
            Law::Power => (x.ln(), y.ln()),
            Law::Log => (x.ln(), (y / x.ln()).ln()),
            Law::Exponential => (x, y.ln()),
        }
    }

    /// The fitted slope as the law's exponent (the rate r = −slope for `exponential`).
    fn exponent(self, slope: f64) -> f64 {
        if self == Law::Exponential { -slope } else { slope }
    }
}

/// Command-line values that override the spec's `[rate]` table.
#[derive(Clone, Debug, Default)]
pub struct RateOverrides {
    pub over: Option<String>,
    pub metric: Option<String>,
    pub law: Option<String>,
    pub exponent: Option<f64>,
}

/// One line of the analysis: a series (in a cell) followed along x.
#[derive(Clone, Debug)]
pub struct Fit {
    pub name: String,
    pub xs: Vec<f64>,
    pub means: Vec<f64>,
    pub half_widths: Vec<f64>,
    pub n: usize,
    pub exponent: f64,
    pub ci: (f64, f64),
    /// Between consecutive points, in the law's coordinates.
    pub local: Vec<f64>,
    pub verdict: Option<Verdict>,
}

/// What `rate` wrote.
#[derive(Debug)]
pub struct RateReport {
    pub dir: PathBuf,
    pub fits: Vec<Fit>,
    pub table: String,
    pub files: Vec<PathBuf>,
}

/// A group of points: per x, the metric's values by replication.
struct Group {
    name: String,
    xs: Vec<f64>,
    samples: Vec<Vec<f64>>,
    /// The points share replication indices (resample them jointly).
    paired: bool,
}

/// Where x comes from.
enum Axis {
    CellLabels,
    SeriesLabels,
    Horizons,
    Checkpoints { scale: f64 },
}

/// Runs the spec and analyses how `metric` scales along `over`.
pub fn rate(
    spec: SpecFile,
    ov: &Overrides,
    rov: &RateOverrides,
    threads: usize,
    out: Option<PathBuf>,
    command: &str,
) -> Result<RateReport> {
    let mut rs = spec.rate.clone().unwrap_or_default();
    if rov.over.is_some() {
        rs.over = rov.over.clone();
    }
    if rov.metric.is_some() {
        rs.metric = rov.metric.clone();
    }
    if let Some(l) = &rov.law {
        rs.law = Law::parse(l)?;
    }
    if rov.exponent.is_some() {
        rs.exponent = rov.exponent;
    }
    let exp = spec.validate(ov)?;
    let over = rs.over.clone().ok_or_else(|| {
        invalid(
            "rate.over",
            "(none)",
            "the variable to sweep",
            "T, or a parameter of the labels (--over or [rate] over)",
        )
    })?;
    let metric = rs.metric.clone().unwrap_or_else(|| exp.setting.metrics()[0].to_string());
    let m = exp.setting.metrics().iter().position(|x| *x == metric).ok_or_else(|| {
        invalid("rate.metric", &metric, "not a metric this setting records", exp.setting.metrics().join(", "))
    })?;
    let tolerance = rs.tolerance.unwrap_or(0.1);
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        return Err(invalid(
            "rate.tolerance",
            tolerance,
            "how far the fitted exponent may be from the theorem's",
            "[0, ∞)",
        ));
    }
    let resamples = rs.bootstrap.unwrap_or(1000);
    if !(10..=100_000).contains(&resamples) {
        return Err(invalid("rate.bootstrap", resamples, "bootstrap resamples", "10 ..= 100000"));
    }
    let dir = out.unwrap_or_else(|| PathBuf::from("results").join(format!("{}_rate", exp.name)));
    let axis = axis(&exp, &over)?;
    let groups = groups(&exp, &axis, &over, m, threads)?;
    let mut fits = Vec::new();
    for g in groups {
        let keep: Vec<usize> = (0..g.xs.len())
            .filter(|&i| rs.from.is_none_or(|f| g.xs[i] >= f) && rs.to.is_none_or(|t| g.xs[i] <= t))
            .collect();
        let g = Group {
            name: g.name,
            xs: keep.iter().map(|&i| g.xs[i]).collect(),
            samples: keep.iter().map(|&i| g.samples[i].clone()).collect(),
            paired: g.paired,
        };
        fits.push(fit(&g, rs.law, exp.confidence, resamples, exp.seed, rs.exponent, tolerance, rs.side)?);
    }
    let table = table(&exp, &rs, &over, &metric, &fits, command);
    let files = write(&dir, &exp, &rs, &over, &metric, &fits, &axis, &table)?;
    Ok(RateReport { dir, fits, table, files })
}

fn axis(exp: &Experiment, over: &str) -> Result<Axis> {
    let name = if over == "epsilon" { "ε" } else { over };
    let label = |l: &str| crate::plot::label_parameter(l, name).and_then(|v| v.parse::<f64>().ok());
    if exp.cells.iter().all(|c| label(&c.label).is_some()) {
        return Ok(Axis::CellLabels);
    }
    let series: Vec<String> = exp.jobs(KernelChoice::Auto).iter().map(|j| j.series.clone()).collect();
    if series.iter().any(|s| label(s).is_some()) {
        return Ok(Axis::SeriesLabels);
    }
    let x_label = exp.plot.x_label.clone().unwrap_or_default();
    if matches!(over, "T" | "t" | "k" | "K") || (!x_label.is_empty() && x_label.contains(name)) {
        if exp.horizons.len() > 1 {
            return Ok(Axis::Horizons);
        }
        return Ok(Axis::Checkpoints { scale: exp.plot.x_scale.unwrap_or(1.0) });
    }
    let cells: Vec<&str> = exp.cells.iter().map(|c| c.label.as_str()).collect();
    Err(invalid(
        "rate.over",
        over,
        "found in no cell or series label as name=value, and not the x axis",
        format!(
            "T, the x axis ({x_label}), or a parameter of the cells ({}) or series ({})",
            cells.join("; "),
            series.join("; ")
        ),
    ))
}

fn groups(exp: &Experiment, axis: &Axis, over: &str, m: usize, threads: usize) -> Result<Vec<Group>> {
    let name = if over == "epsilon" { "ε" } else { over };
    let jobs = exp.jobs(KernelChoice::Auto);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Engine(engine::EngineError::ThreadPool { threads, message: e.to_string() }))?;
    let value = |l: &str| crate::plot::label_parameter(l, name).and_then(|v| v.parse::<f64>().ok());
    let label_of = |cell: &str| exp.cells.iter().find(|c| c.id == cell).map(|c| c.label.clone()).unwrap_or_default();
    let mut groups: Vec<Group> = Vec::new();
    let mut add = |key: String, x: f64, s: Vec<f64>, paired: bool| match groups.iter_mut().find(|g| g.name == key) {
        Some(g) => {
            g.xs.push(x);
            g.samples.push(s);
        }
        None => groups.push(Group { name: key, xs: vec![x], samples: vec![s], paired }),
    };
    match axis {
        Axis::Checkpoints { scale } => {
            for j in &jobs {
                let grid = j.sim.grid().unwrap_or_else(|| default_grid(j.sim.horizon()));
                let traces = pool.install(|| per_replication(j.sim.as_ref(), &grid, exp.reps));
                for (c, &t) in grid.iter().enumerate() {
                    let s = traces.iter().map(|tr| tr.values[m * grid.len() + c]).collect();
                    add(format!("{} / {}", label_of(&j.cell), j.series), t as f64 / scale, s, true);
                }
            }
        }
        _ => {
            let cfg = EngineConfig { kind: EngineKind::Rayon, threads, reps: exp.reps, progress: false };
            let res = engine::run(&jobs, &cfg, None)?;
            for r in &res {
                let cell = label_of(&r.cell);
                let s = r.finals[m].clone();
                match axis {
                    Axis::CellLabels => add(r.series.clone(), value(&cell).expect("every cell label has it"), s, false),
                    Axis::Horizons => {
                        let h = exp.cells.iter().find(|c| c.id == r.cell).map_or(0, |c| c.horizon);
                        add(r.series.clone(), h as f64, s, false)
                    }
                    Axis::SeriesLabels => {
                        let Some(x) = value(&r.series) else { continue };
                        let family = r.series.replace(
                            &format!("{name}={}", crate::plot::label_parameter(&r.series, name).unwrap_or("")),
                            "",
                        );
                        add(format!("{cell} / {}", family.trim()), x, s, true)
                    }
                    Axis::Checkpoints { .. } => unreachable!("handled above"),
                }
            }
        }
    }
    for g in &mut groups {
        // in increasing x
        let mut order: Vec<usize> = (0..g.xs.len()).collect();
        order.sort_by(|&a, &b| g.xs[a].total_cmp(&g.xs[b]));
        g.xs = order.iter().map(|&i| g.xs[i]).collect();
        g.samples = order.iter().map(|&i| g.samples[i].clone()).collect();
        if g.xs.windows(2).any(|w| w[0] == w[1]) {
            return Err(invalid(
                "rate.over",
                over,
                format!("`{}` has several points at one x: the sweep varies more than {over}", g.name),
                "a sweep over one variable (or restrict it with from/to)",
            ));
        }
    }
    Ok(groups)
}

/// Every replication's trace of one job, in replication order (blocks in parallel).
fn per_replication(sim: &dyn engine::Simulation, grid: &[u64], reps: u64) -> Vec<Trace> {
    let blocks: Vec<(u64, u64)> = (0..reps).step_by(BLOCK as usize).map(|r| (r, BLOCK.min(reps - r))).collect();
    let m = sim.metrics().len();
    blocks
        .par_iter()
        .flat_map_iter(|&(r0, n)| {
            let mut t = vec![Trace::new(m, grid.len()); n as usize];
            sim.run_block(r0, grid, &mut t);
            t
        })
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

#[allow(clippy::too_many_arguments)]
fn fit(
    g: &Group,
    law: Law,
    level: f64,
    resamples: usize,
    seed: u64,
    theory: Option<f64>,
    tol: f64,
    side: Side,
) -> Result<Fit> {
    let means: Vec<f64> = g.samples.iter().map(|s| mean(s)).collect();
    if g.xs.len() < 2 {
        return Err(invalid(
            "rate.from/to",
            g.xs.len(),
            format!("`{}` has fewer than 2 points to fit", g.name),
            "a range with 2 points or more",
        ));
    }
    let positive =
        |ms: &[f64]| ms.iter().zip(&g.xs).all(|(&m, &x)| m > 0.0 && m.is_finite() && (law != Law::Log || x > 1.0));
    if !positive(&means) {
        return Err(invalid(
            "rate.from/to",
            &g.name,
            "a log-log fit needs positive means (and x > 1 for the log law)",
            "a range where the metric is positive",
        ));
    }
    let slope = |ms: &[f64]| {
        let pts: Vec<(f64, f64)> = g.xs.iter().zip(ms).map(|(&x, &y)| law.coords(x, y)).collect();
        least_squares(&pts)
    };
    let (b, sse) = slope(&means);
    let n = g.samples.iter().map(Vec::len).min().unwrap_or(0);
    let ci = if n >= 2 {
        // bootstrap over replications, on a stream of its own
        let mut rng = StreamId::new(cell_key(seed, 0x7a7e), 0, Role::Policy(0x7a7e)).stream();
        let mut draws = Vec::with_capacity(resamples);
        for _ in 0..resamples {
            let joint: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
            let ms: Vec<f64> = g
                .samples
                .iter()
                .map(|s| {
                    if g.paired {
                        joint.iter().map(|&i| s[i]).sum::<f64>() / n as f64
                    } else {
                        (0..s.len()).map(|_| s[rng.random_range(0..s.len())]).sum::<f64>() / s.len() as f64
                    }
                })
                .collect();
            if positive(&ms) {
                draws.push(slope(&ms).0);
            }
        }
        draws.sort_by(f64::total_cmp);
        if draws.len() < resamples / 2 {
            (f64::NAN, f64::NAN)
        } else {
            let q = |p: f64| crate::stats::quantile_sorted(&draws, p);
            (q((1.0 - level) / 2.0), q((1.0 + level) / 2.0))
        }
    } else {
        // one replication: the slope's t-interval from the residuals
        let k = g.xs.len() as f64;
        let xs: Vec<f64> = g.xs.iter().map(|&x| law.coords(x, 1.0).0).collect();
        let mx = xs.iter().sum::<f64>() / k;
        let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
        let se = if k > 2.0 { (sse / (k - 2.0) / sxx).sqrt() } else { f64::NAN };
        let h = t_quantile(level, (k - 1.0).max(1.0) as u64) * se;
        (b - h, b + h)
    };
    let (lo, hi) = if law == Law::Exponential { (-ci.1, -ci.0) } else { ci };
    let exponent = law.exponent(b);
    let local: Vec<f64> = (1..g.xs.len())
        .map(|i| {
            let (a, c) = (law.coords(g.xs[i - 1], means[i - 1]), law.coords(g.xs[i], means[i]));
            law.exponent((c.1 - a.1) / (c.0 - a.0))
        })
        .collect();
    let verdict = theory.map(|th| {
        let t = if law == Law::Exponential { tol * th.abs() } else { tol };
        if !(lo.is_finite() && hi.is_finite()) {
            Verdict::Inconclusive
        } else if side == Side::AtMost {
            if hi <= th + t {
                Verdict::Holds
            } else if lo > th + t {
                Verdict::DoesNotHold
            } else {
                Verdict::Inconclusive
            }
        } else if lo >= th - t && hi <= th + t {
            Verdict::Holds
        } else if hi < th - t || lo > th + t {
            Verdict::DoesNotHold
        } else {
            Verdict::Inconclusive
        }
    });
    let half_widths = g
        .samples
        .iter()
        .map(|s| {
            let mut w = Welford::default();
            s.iter().for_each(|&v| w.push(v));
            let (a, c) = w.t_interval(level);
            (c - a) / 2.0
        })
        .collect();
    Ok(Fit { name: g.name.clone(), xs: g.xs.clone(), means, half_widths, n, exponent, ci: (lo, hi), local, verdict })
}

fn law_text(law: Law) -> &'static str {
    match law {
        Law::Power => "power law ȳ ∝ x^b",
        Law::Log => "ȳ ∝ ln(x)·x^b (b = 0: logarithmic)",
        Law::Exponential => "ȳ ∝ exp(−r x)",
    }
}

fn table(exp: &Experiment, rs: &RateSpec, over: &str, metric: &str, fits: &[Fit], command: &str) -> String {
    let what = if rs.law == Law::Exponential { "rate r" } else { "exponent b" };
    let tol = rs.tolerance.unwrap_or(0.1);
    let theory = rs.exponent.map_or("—".to_string(), |e| match rs.side {
        Side::Both => format!("{e} ± {tol}"),
        Side::AtMost => format!("≤ {}", e + tol),
    });
    let mut s = format!(
        "# Rate of `{metric}` over {over}: {}\n\n{}; {}; seed {}, {} replications, {:.0}% bootstrap intervals ({} resamples; one replication: the fit's t-interval); regretlab {}.\n\nRegenerate: `{command}`.\n\n",
        exp.title,
        law_text(rs.law),
        exp.name,
        exp.seed,
        exp.reps,
        exp.confidence * 100.0,
        rs.bootstrap.unwrap_or(1000),
        env!("CARGO_PKG_VERSION"),
    );
    s += &format!(
        "| series | points | {what} | interval | theory | verdict | local {what} (x range) |\n|---|---:|---:|---|---:|---|---|\n"
    );
    for f in fits {
        // every interval's where they are few, else five spread over the range
        let idx: Vec<usize> = if f.local.len() <= 8 {
            (0..f.local.len()).collect()
        } else {
            (0..5).map(|i| i * (f.local.len() - 1) / 4).collect()
        };
        let local: Vec<String> =
            idx.iter().map(|&i| format!("{:.3} ({}–{})", f.local[i], f.xs[i], f.xs[i + 1])).collect();
        s += &format!(
            "| {} | {} | {:.4} | [{:.4}, {:.4}] | {theory} | {} | {} |\n",
            crate::text::table_cell(&f.name),
            f.xs.len(),
            f.exponent,
            f.ci.0,
            f.ci.1,
            f.verdict.map_or("—", Verdict::text),
            local.join(", ")
        );
    }
    s
}

#[allow(clippy::too_many_arguments)]
fn write(
    dir: &Path,
    exp: &Experiment,
    rs: &RateSpec,
    over: &str,
    metric: &str,
    fits: &[Fit],
    axis: &Axis,
    table: &str,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(crate::error::io(dir))?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let path = dir.join("rate.csv");
    let bad = |e: csv::Error| Error::BadResults { path: path.clone(), message: e.to_string() };
    w.write_record(["series", "x", "n", "mean", "ci_lo", "ci_hi", "local_exponent"]).map_err(bad)?;
    for f in fits {
        for i in 0..f.xs.len() {
            let local = if i == 0 { String::new() } else { f.local[i - 1].to_string() };
            let (m, h) = (f.means[i], f.half_widths[i]);
            let rec = [
                f.name.clone(),
                f.xs[i].to_string(),
                f.n.to_string(),
                m.to_string(),
                (m - h).to_string(),
                (m + h).to_string(),
                local,
            ];
            w.write_record(&rec).map_err(bad)?;
        }
    }
    let csv = w.into_inner().map_err(|e| Error::BadResults { path: path.clone(), message: e.to_string() })?;
    let mut files = Vec::new();
    let p = dir.join("rate.csv");
    atomic_write(&p, &csv)?;
    files.push(p);
    let p = dir.join("rate.md");
    atomic_write(&p, table.as_bytes())?;
    files.push(p);
    let record = serde_json::json!({
        "experiment": exp.name, "seed": exp.seed, "reps": exp.reps, "confidence": exp.confidence,
        "regretlab_version": env!("CARGO_PKG_VERSION"),
        "git_commit": option_env!("REGRETLAB_GIT_COMMIT"),
        "backend": exp.backend(KernelChoice::Auto), "spec": exp.resolved, "rate": rs, "over": over, "metric": metric,
        "fits": fits.iter().map(|f| serde_json::json!({"series": f.name, "exponent": f.exponent, "ci": [f.ci.0, f.ci.1],
            "local": f.local, "verdict": f.verdict.map(Verdict::text)})).collect::<Vec<_>>(),
    });
    let p = dir.join("rate.json");
    atomic_write(&p, serde_json::to_string_pretty(&record).unwrap_or_default().as_bytes())?;
    files.push(p);
    // The figure: means with intervals, the fitted line and the theory's (through the fit's
    // centre), on log axes (log-linear for the exponential law).
    let scale = if fits.iter().flat_map(|f| &f.xs).all(|x| x.fract() == 0.0 && *x >= 1.0) { 1.0 } else { 1e6 };
    let t = |x: f64| (x * scale).round() as u64;
    let mut rows = Vec::new();
    let mut overlays = Vec::new();
    for f in fits {
        for i in 0..f.xs.len() {
            rows.push(CurveRow {
                cell: "rate".into(),
                policy: f.name.clone(),
                metric: metric.into(),
                t: t(f.xs[i]),
                n: f.n as u64,
                mean: f.means[i],
                sd: 0.0,
                ci_lo: f.means[i] - f.half_widths[i],
                ci_hi: f.means[i] + f.half_widths[i],
            });
        }
        let line = |b: f64| -> Vec<(u64, f64)> {
            let pts: Vec<(f64, f64)> = f.xs.iter().zip(&f.means).map(|(&x, &y)| rs.law.coords(x, y)).collect();
            let k = pts.len() as f64;
            let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / k, pts.iter().map(|p| p.1).sum::<f64>() / k);
            let slope = if rs.law == Law::Exponential { -b } else { b };
            f.xs.iter()
                .map(|&x| {
                    let cx = rs.law.coords(x, 1.0).0;
                    let ly = my + slope * (cx - mx);
                    let y = match rs.law {
                        Law::Log => ly.exp() * x.ln(),
                        _ => ly.exp(),
                    };
                    (t(x), y)
                })
                .collect()
        };
        overlays.push(Overlay {
            cell: "rate".into(),
            metric: metric.into(),
            label: format!(
                "{}: fitted, {} = {:.3}",
                f.name,
                if rs.law == Law::Exponential { "r" } else { "b" },
                f.exponent
            ),
            kind: "fit".into(),
            points: line(f.exponent),
        });
        if let Some(th) = rs.exponent {
            overlays.push(Overlay {
                cell: "rate".into(),
                metric: metric.into(),
                label: format!("{}: {} = {th}", f.name, if rs.law == Law::Exponential { "r" } else { "b" }),
                kind: "lower".into(),
                points: line(th),
            });
        }
    }
    let x_label = match axis {
        Axis::Checkpoints { .. } => exp.plot.x_label.clone().unwrap_or_else(|| over.to_string()),
        _ => over.to_string(),
    };
    let fig = crate::plot::Figure {
        title: format!("{}: {metric} over {over}", exp.title),
        metric,
        curves: rows.iter().collect(),
        overlays: overlays.iter().collect(),
        log_x: rs.law != Law::Exponential,
        log_y: true,
        x_label,
        x_scale: scale,
        footer: format!(
            "{}; seed {}, {} replications; regretlab {}",
            law_text(rs.law),
            exp.seed,
            exp.reps,
            env!("CARGO_PKG_VERSION")
        ),
        panels: None,
        y_range: None,
    };
    let drawn = crate::plot::write_figure(dir, &crate::plot::slug(&format!("rate_{metric}")), &fig)?;
    files.extend(drawn.files);
    Ok(files)
}
