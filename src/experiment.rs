//! Running a checked experiment end to end: spec lookup, engine, run folder, figures.
//!
//! The only place that ties `spec`, `engine`, `results` and `plot` together; the CLI calls it.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::claims;
use crate::engine::{self, EngineConfig, EngineKind};
use crate::error::{Error, Result, io};
use crate::kernels::KernelChoice;
use crate::plot::{self, Figure};
use crate::resources;
use crate::results::cells::{CellState, CellStore, array_syntax, store_dir};
use crate::results::run_dir::{self, Staging};
use crate::results::{self, JobTiming, Manifest, Timings};
use crate::spec::{self, Experiment, Overrides, SpecFile};

/// Experiment specs compiled into the binary (from `experiments/*.toml`), so that named
/// experiments run from any working directory.
pub static BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/experiments.rs"));

/// The experiment `cargo run --release` runs with no arguments.
pub const DEFAULT_EXPERIMENT: &str = "b1_quick";

/// A spec path, or the name of a built-in experiment.
pub fn load(spec_or_name: &str) -> Result<SpecFile> {
    let p = Path::new(spec_or_name);
    if p.is_file() {
        return spec::read(p);
    }
    let stem = spec_or_name.trim_end_matches(".toml");
    match BUILTIN.iter().find(|(n, _)| *n == stem) {
        Some((n, text)) => spec::parse(text, &format!("experiments/{n}.toml")),
        None => Err(Error::UnknownExperiment(spec_or_name.to_string())),
    }
}

/// Most worker threads a run may ask for.
pub const MAX_THREADS: usize = 1024;

/// How to run: engine, threads, where to write.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub engine: EngineKind,
    pub threads: usize,
    pub out: Option<PathBuf>,
    pub progress: bool,
    /// Which implementation runs batched kernels: `auto`, `scalar`, `portable`, `avx2`, `avx512`.
    pub kernel: String,
}

/// What a finished run wrote.
#[derive(Debug)]
pub struct RunReport {
    pub dir: PathBuf,
    pub table: String,
    pub figures: Vec<PathBuf>,
    pub wall_seconds: f64,
    /// What the user should know about how it ran (e.g. jobs the GPU engine left to the CPU,
    /// values a log axis could not show).
    pub notes: Vec<String>,
    /// Figures that could not be drawn, with why; the CSVs and the other figures were written.
    pub figure_errors: Vec<String>,
}

/// What `reproduce` wrote for one paper.
#[derive(Debug)]
pub struct ReproduceReport {
    pub paper: String,
    pub markdown: PathBuf,
    pub html: PathBuf,
    /// (claim id, verdict in words) in registry order.
    pub verdicts: Vec<(String, String)>,
}

/// Checks a paper's claims (`all`: every paper of the registry) and writes `<out>/<paper>.md`
/// and `<out>/<paper>.html`. Without `from`, runs the experiments the claims read first, into
/// `<out>/runs/<experiment>/` (with the overrides: `--quick`, `--reps`, `--seed`); with `from`,
/// reads the runs under that folder (`<from>/<experiment>/`, e.g. the committed `results/`).
pub fn reproduce(
    paper: &str,
    from: Option<&Path>,
    out: &Path,
    ov: &Overrides,
    opts: &RunOptions,
    command: &str,
) -> Result<Vec<ReproduceReport>> {
    let papers = if paper == "all" { claims::papers()? } else { vec![claims::paper(paper)?] };
    std::fs::create_dir_all(out).map_err(io(out))?;
    let runs_root = from.map(Path::to_path_buf).unwrap_or_else(|| out.join("runs"));
    let mut reports = Vec::new();
    for p in &papers {
        if from.is_none() {
            for e in p.experiments() {
                let dir = runs_root.join(&e);
                if dir.join("manifest.json").exists() && reproduce_done(&dir, ov)? {
                    continue; // another paper of this call ran it already
                }
                let spec = load(&e)?;
                let o = RunOptions { out: Some(dir), progress: opts.progress, kernel: opts.kernel.clone(), ..*opts };
                // a run that cannot be made (a data set that is not installed) leaves its claims
                // "not checked, no run"; the other experiments still run
                if let Err(err) = run(spec, ov, &o, None) {
                    eprintln!("{e}: not run: {err}");
                }
            }
        }
        let outcomes = p.evaluate(&runs_root);
        let md = claims::markdown(p, &outcomes, &runs_root, out, command)?;
        let html = claims::html(p, &outcomes, &runs_root, command)?;
        let (mp, hp) = (out.join(format!("{}.md", p.name)), out.join(format!("{}.html", p.name)));
        results::atomic_write(&mp, md.as_bytes())?;
        results::atomic_write(&hp, html.as_bytes())?;
        let verdicts = outcomes.iter().map(|(c, o)| (c.id.clone(), o.verdict.text().to_string())).collect();
        reports.push(ReproduceReport { paper: p.name.clone(), markdown: mp, html: hp, verdicts });
    }
    Ok(reports)
}

/// Whether the run in `dir` was made by this `reproduce` call's sizes (same seed and
/// replications as the spec with these overrides would give).
fn reproduce_done(dir: &Path, ov: &Overrides) -> Result<bool> {
    let m = results::read_manifest(dir)?;
    let exp = check(load(&m.experiment)?, ov)?;
    Ok(m.seed == exp.seed && m.reps == exp.reps)
}

/// Where a run goes without `--out`.
pub fn default_out(name: &str) -> PathBuf {
    PathBuf::from("results").join(name)
}

fn parse_kernel(opts: &RunOptions) -> Result<KernelChoice> {
    KernelChoice::parse(&opts.kernel).map_err(|allowed| Error::InvalidOption {
        option: "--kernel".into(),
        value: opts.kernel.clone(),
        allowed,
    })
}

/// The nearest existing folder at or above `p` (for the free-space check).
fn existing_ancestor(p: &Path) -> PathBuf {
    let mut q = p.to_path_buf();
    while !q.exists() && q.pop() {}
    q
}

/// Validates, runs and writes. Before simulating, the output folder is checked (replaceable,
/// writable, every file name fits) and the memory and disk the run needs are compared with what
/// the machine has; nothing is written unless the run completes, and the run folder is replaced
/// in one atomic step. A figure that fails leaves the CSVs and other figures in place and is
/// reported in [`RunReport::figure_errors`].
pub fn run(spec: SpecFile, ov: &Overrides, opts: &RunOptions, cancel: Option<&AtomicBool>) -> Result<RunReport> {
    if opts.threads > MAX_THREADS {
        return Err(Error::InvalidOption {
            option: "--threads".into(),
            value: opts.threads.to_string(),
            allowed: format!("0 (all cores) ..= {MAX_THREADS}"),
        });
    }
    let kernel = parse_kernel(opts)?;
    let mut exp = spec.validate(ov)?;
    let dir = run_dir::resolve(&opts.out.clone().unwrap_or_else(|| default_out(&exp.name)))?;
    let jobs = exp.jobs(kernel);
    let files = planned_files(&exp.cells, &exp.plot, &jobs.iter().map(|j| j.series.clone()).collect::<Vec<_>>());
    run_dir::check_replaceable(&dir, &files)?;
    let csv =
        results::final_csv_bytes(jobs.iter().map(|j| (j.cell.len(), j.series.len(), j.sim.metrics().len())), exp.reps);
    let need = resources::estimate(&jobs, exp.reps, csv);
    resources::check(
        need,
        resources::memory_available(),
        resources::disk_available(&existing_ancestor(&dir)),
        exp.reps,
        jobs.len(),
        &dir,
    )?;
    let staging = run_dir::begin(&dir, &files)?;
    let (kind, engine, notes) = if opts.engine == EngineKind::Gpu {
        gpu_plan(&jobs)
    } else {
        (opts.engine, format!("{:?}", opts.engine).to_lowercase(), Vec::new())
    };
    let cfg = EngineConfig { kind, threads: opts.threads, reps: exp.reps, progress: opts.progress };
    let threads = cfg.worker_threads();
    let t0 = Instant::now();
    let (out, precision) = match &exp.precision {
        None => (engine::run(&jobs, &cfg, cancel)?, None),
        Some(p) => {
            let (out, record) = run_to_precision(&jobs, &cfg, p, exp.confidence, cancel)?;
            exp.reps = record.reached;
            (out, Some(record))
        }
    };
    let wall = t0.elapsed().as_secs_f64();
    let mut backend = exp.backend(kernel);
    if kind == EngineKind::Gpu {
        backend.push_str("; gpu: WGSL fixed point (integers only: u32, and i64 where a rule needs it), bit-identical to the CPU kernel");
    }
    let mut report = write_run(&exp, &out, staging, &engine, threads, backend, wall, precision)?;
    report.notes.splice(0..0, notes);
    Ok(report)
}

/// Runs the jobs in growing blocks of replications (64, then doubling, up to the spec's `reps`)
/// until every job's final-value interval of the target metric (or of every metric) is at most
/// `p.half_width` wide on each side. The engine folds replications in order, so the result is
/// the same bits as a run with the number reached.
fn run_to_precision(
    jobs: &[engine::Job],
    cfg: &EngineConfig,
    p: &spec::Precision,
    level: f64,
    cancel: Option<&AtomicBool>,
) -> Result<(Vec<engine::JobResult>, results::PrecisionRecord)> {
    let cap = cfg.reps;
    let mut reps = engine::BLOCK.min(cap);
    let mut out = None;
    loop {
        let c = EngineConfig { reps, ..*cfg };
        let res = engine::extend(jobs, &c, out.take(), cancel)?;
        let widest = widest_half_width(&res, p.metric.as_deref(), level);
        let stopped = if widest <= p.half_width {
            Some("half-width reached")
        } else if reps == cap {
            Some("cap reached")
        } else {
            None
        };
        if let Some(why) = stopped {
            let record = results::PrecisionRecord {
                half_width: p.half_width,
                metric: p.metric.clone(),
                cap,
                reached: reps,
                widest,
                stopped: why.into(),
            };
            return Ok((res, record));
        }
        out = Some(res);
        reps = reps.saturating_mul(2).min(cap);
    }
}

/// The widest half-width of the jobs' final-value intervals (t, or Wilson for proportions), of
/// one metric or of all; infinite while a job has fewer than 2 replications.
pub fn widest_half_width(res: &[engine::JobResult], metric: Option<&str>, level: f64) -> f64 {
    let mut widest: f64 = 0.0;
    for r in res {
        for (m, name) in r.metrics.iter().enumerate() {
            if metric.is_some_and(|x| x != name) {
                continue;
            }
            let mut w = crate::stats::Welford::default();
            r.finals[m].iter().for_each(|&v| w.push(v));
            let (lo, hi) = results::interval(&w, r.proportion[m], level);
            let half = (hi - lo) / 2.0;
            widest = widest.max(if half.is_finite() { half } else { f64::INFINITY });
        }
    }
    widest
}

/// A sharded run's cells finish in separate processes, so no process sees every interval: a
/// precision target needs the whole sweep in one run.
fn refuse_precision_in_shards(exp: &Experiment) -> Result<()> {
    match &exp.precision {
        None => Ok(()),
        Some(p) => Err(crate::error::invalid(
            "precision",
            p.half_width,
            "grows the whole sweep until its intervals are narrow; shards finish cells separately",
            "no precision with --shard, --shards, missing or slurm (fix reps instead)",
        )),
    }
}

/// Every file a run folder of these cells and series will hold: what [`run_dir::begin`] probes
/// before the simulation and what a rerun may replace.
pub fn planned_files(cells: &[spec::CellInfo], plot: &spec::PlotSpec, series: &[String]) -> Vec<String> {
    let mut files: Vec<String> = run_dir::RUN_FILES
        .iter()
        .filter(|f| **f != "heatmap.csv" || plot.heatmap.is_some())
        .filter(|f| **f != "histogram.csv" || plot.histogram.is_some())
        .map(|f| f.to_string())
        .collect();
    let mut stems = Vec::new();
    if plot.cells {
        for c in cells {
            stems.extend(plot.metrics.iter().map(|m| figure_stem(&c.label, m)));
        }
    }
    if plot.histogram.is_some() {
        stems.extend(cells.iter().map(|c| histogram_stem(&c.label)));
    }
    if plot.heatmap.is_some() {
        let mut seen: Vec<&String> = Vec::new();
        for s in series {
            if !seen.contains(&s) {
                seen.push(s);
                stems.push(heatmap_stem(s));
            }
        }
    }
    for st in stems {
        files.push(format!("{st}.svg"));
        files.push(format!("{st}.png"));
    }
    files
}

fn figure_stem(cell_label: &str, metric: &str) -> String {
    plot::slug(&format!("{cell_label}_{metric}"))
}

fn histogram_stem(cell_label: &str) -> String {
    plot::slug(&format!("histogram_{cell_label}"))
}

fn heatmap_stem(series: &str) -> String {
    plot::slug(&format!("heatmap_{series}"))
}

/// What `--engine gpu` can do here: the engine kind to run, its name for the manifest, and
/// what the user should know (jobs without a GPU kernel, or no GPU at all: the CPU runs them).
#[cfg(feature = "gpu")]
fn gpu_plan(jobs: &[engine::Job]) -> (EngineKind, String, Vec<String>) {
    match crate::gpu::context() {
        Ok(ctx) => {
            let cpu: Vec<String> = jobs
                .iter()
                .filter(|j| j.sim.gpu().and_then(|g| g.batch_key()).is_none())
                .map(|j| j.series.clone())
                .collect();
            let mut notes = Vec::new();
            if !cpu.is_empty() {
                let mut names = cpu.clone();
                names.dedup();
                notes.push(format!(
                    "gpu engine: {} of {} jobs have no GPU kernel and run on the CPU ({})",
                    cpu.len(),
                    jobs.len(),
                    names.join(", ")
                ));
            }
            (EngineKind::Gpu, format!("gpu ({})", ctx.adapter), notes)
        }
        Err(e) => (
            EngineKind::Rayon,
            "rayon (gpu requested, none available)".into(),
            vec![format!("gpu engine: {e}; every job runs on the CPU")],
        ),
    }
}

#[cfg(not(feature = "gpu"))]
fn gpu_plan(_jobs: &[engine::Job]) -> (EngineKind, String, Vec<String>) {
    (
        EngineKind::Rayon,
        "rayon (gpu requested, not built)".into(),
        vec![
            "gpu engine: this build has no GPU engine (built without the `gpu` feature); every job runs on the CPU"
                .into(),
        ],
    )
}

/// Writes a run folder from the engine's results (a single process's, or a merge's) into
/// `staging`, then puts it in place.
#[allow(clippy::too_many_arguments)]
fn write_run(
    exp: &Experiment,
    out: &[engine::JobResult],
    staging: Staging,
    engine: &str,
    threads: usize,
    backend: String,
    wall: f64,
    precision: Option<results::PrecisionRecord>,
) -> Result<RunReport> {
    let dir = staging.dir.clone();
    let rows = results::curve_rows(out, exp.confidence);
    let timings: Vec<JobTiming> =
        out.iter().map(|r| JobTiming { cell: r.cell.clone(), policy: r.series.clone(), seconds: r.seconds }).collect();
    let mut manifest = Manifest {
        experiment: exp.name.clone(),
        title: exp.title.clone(),
        claim: exp.claim.clone(),
        regretlab_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: option_env!("REGRETLAB_GIT_COMMIT").filter(|s| !s.is_empty()).map(String::from),
        rng: "philox4x32-10 (key = mix(seed, cell id); counter = [block mod 2^32, rep, role, block / 2^32])".into(),
        seed: exp.seed,
        reps: exp.reps,
        confidence: exp.confidence,
        engine: engine.to_string(),
        threads,
        backend,
        spec: serde_json::to_value(&exp.resolved).unwrap_or_default(),
        cells: exp.cells.clone(),
        plot: exp.plot.clone(),
        timings: Timings { wall_seconds: wall, jobs: timings.clone() },
        files: Vec::new(),
        precision,
    };
    let (summary_csv, table) = results::summary(out, &exp.cells, exp.confidence)?;
    let overlays = exp.overlays();
    let header = format!(
        "# {}\n\n{}seed {}, {} replications, {:.0}% t-intervals (Wilson score intervals for proportions); regretlab {}{}, {} engine, {} thread(s), {}\n\n",
        crate::text::escape_controls(&exp.title),
        exp.claim.as_ref().map(|c| format!("Claim: {}\n\n", crate::text::escape_controls(c))).unwrap_or_default(),
        exp.seed,
        exp.reps,
        exp.confidence * 100.0,
        manifest.regretlab_version,
        manifest.git_commit.as_ref().map(|c| format!(" ({c})")).unwrap_or_default(),
        manifest.engine,
        manifest.threads,
        manifest.backend
    );
    let table = format!("{header}{table}{}", results::paired_markdown(out, &exp.cells, exp.confidence));

    // Plain writes: the staging folder as a whole is what becomes visible atomically.
    let mut written: Vec<String> = Vec::new();
    let mut write = |name: &str, bytes: &[u8]| -> Result<()> {
        fs::write(staging.file(name), bytes).map_err(staging.io(name))?;
        written.push(name.to_string());
        Ok(())
    };
    write("curves.csv", &results::curves_csv(&rows)?)?;
    write("overlays.csv", &results::overlays_csv(&overlays)?)?;
    write("summary.csv", &summary_csv)?;
    write("paired.csv", &results::paired(out, &exp.cells, exp.confidence)?)?;
    write("table.md", table.as_bytes())?;
    if let Some(h) = &exp.plot.heatmap {
        write("heatmap.csv", &results::heatmap_csv(&results::heatmap_rows(h, &exp.cells, &rows, &overlays))?)?;
    }
    let hist = exp.plot.histogram.as_ref().map(|h| results::histogram_rows(h, out)).unwrap_or_default();
    if exp.plot.histogram.is_some() {
        write("histogram.csv", &results::histogram_csv(&hist)?)?;
    }
    let f = fs::File::create(staging.file("final.csv")).map_err(staging.io("final.csv"))?;
    results::write_final_csv(out, std::io::BufWriter::with_capacity(1 << 20, f))
        .map_err(|e| Error::BadResults { path: dir.join("final.csv"), message: e.to_string() })?;
    written.push("final.csv".into());
    let figures = draw_figures(&staging.file(""), &dir, &manifest, &rows, &overlays, &hist);
    written.extend(figures.files.iter().filter_map(|p| p.file_name().map(|n| n.to_string_lossy().to_string())));
    written.push("manifest.json".into());
    manifest.files = written;
    fs::write(staging.file("manifest.json"), results::manifest_json(&manifest)?)
        .map_err(staging.io("manifest.json"))?;
    let mut notes = figures.notes;
    notes.extend(staging.commit()?);
    let files = figures.files.iter().filter_map(|p| p.file_name().map(|n| dir.join(n))).collect();
    Ok(RunReport { dir, table, figures: files, wall_seconds: wall, notes, figure_errors: figures.failed })
}

/// What drawing a run's figures gave: the files, what had to be left out, and the figures that
/// failed (each failure is reported; it never throws away the rest of the run).
struct Figures {
    files: Vec<PathBuf>,
    notes: Vec<String>,
    failed: Vec<String>,
}

/// Draws a run's figures into `dir`; failures name the files as they will be in `shown` (the run
/// folder, where a staged run ends up).
fn draw_figures(
    dir: &Path,
    shown: &Path,
    m: &Manifest,
    rows: &[results::CurveRow],
    overlays: &[results::Overlay],
    hist: &[results::HistRow],
) -> Figures {
    let mut out = Figures { files: Vec::new(), notes: Vec::new(), failed: Vec::new() };
    let mut keep = |stem: &str, drawn: Result<plot::Drawn>| match drawn {
        Ok(d) => {
            out.files.extend(d.files);
            out.notes.extend(d.notes.into_iter().map(|n| format!("figure {stem}: {n}")));
        }
        Err(Error::Plot { path, message }) => {
            let name = path.file_name().map(|n| shown.join(n)).unwrap_or_else(|| shown.join(stem));
            out.failed.push(format!("{stem}: plot {}: {message}", name.display()))
        }
        Err(e) => out.failed.push(format!("{stem}: {e}")),
    };
    for cell in m.cells.iter().filter(|_| m.plot.cells) {
        for metric in &m.plot.metrics {
            let curves: Vec<&results::CurveRow> =
                rows.iter().filter(|r| r.cell == cell.id && &r.metric == metric).collect();
            if curves.is_empty() {
                continue;
            }
            let ov = overlays.iter().filter(|o| o.cell == cell.id && &o.metric == metric).collect();
            let footer = format!(
                "regretlab {}{} · seed {} · {} replications · mean with {:.0}% t-interval (Wilson for proportions) · {} · {}",
                m.regretlab_version,
                m.git_commit.as_ref().map(|c| format!(" ({})", &c[..c.len().min(10)])).unwrap_or_default(),
                m.seed,
                m.reps,
                m.confidence * 100.0,
                m.experiment,
                m.backend
            );
            let fig = Figure {
                title: format!("{} — {}", m.title, cell.label),
                metric,
                curves,
                overlays: ov,
                log_x: m.plot.log_x,
                log_y: m.plot.log_y,
                x_label: m.plot.x_label.clone().unwrap_or_else(|| "t".into()),
                x_scale: m.plot.x_scale.unwrap_or(1.0),
                footer,
                panels: m.plot.panels.clone(),
                y_range: m.plot.y_range.map(|[a, b]| (a, b)),
            };
            let stem = figure_stem(&cell.label, metric);
            keep(&stem, plot::write_figure(dir, &stem, &fig));
        }
    }
    if let Some(h) = &m.plot.histogram {
        for cell in &m.cells {
            let mut series: Vec<(String, plot::Bins)> = Vec::new();
            for r in hist.iter().filter(|r| r.cell == cell.id) {
                match series.iter_mut().find(|(s, _)| *s == r.series) {
                    Some((_, bins)) => bins.push((r.lo, r.hi, r.count)),
                    None => series.push((r.series.clone(), vec![(r.lo, r.hi, r.count)])),
                }
            }
            if series.is_empty() {
                continue;
            }
            let fig = plot::Histogram {
                title: format!("{} — {}", m.title, cell.label),
                x_label: h.metric.clone(),
                series,
                marks: h.marks.iter().map(|k| (k.label.clone(), k.value)).collect(),
                footer: format!(
                    "regretlab {}{} · seed {} · {} replications · {} · {}",
                    m.regretlab_version,
                    m.git_commit.as_ref().map(|c| format!(" ({})", &c[..c.len().min(10)])).unwrap_or_default(),
                    m.seed,
                    m.reps,
                    m.experiment,
                    m.backend
                ),
            };
            let stem = histogram_stem(&cell.label);
            keep(&stem, plot::write_histogram(dir, &stem, &fig));
        }
    }
    if let Some(h) = &m.plot.heatmap {
        let squares = results::heatmap_rows(h, &m.cells, rows, overlays);
        let mut series: Vec<&str> = Vec::new();
        for r in &squares {
            if !series.contains(&r.series.as_str()) {
                series.push(&r.series);
            }
        }
        let axis = |f: &dyn Fn(&results::HeatRow) -> f64| {
            let mut v: Vec<f64> = squares.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v.dedup();
            v
        };
        let (xs, ys) = (axis(&|r| r.x), axis(&|r| r.y));
        for s in series {
            let mut values = vec![vec![None; xs.len()]; ys.len()];
            for r in squares.iter().filter(|r| r.series == s) {
                let ix = xs.iter().position(|&v| v == r.x).unwrap_or(0);
                let iy = ys.iter().position(|&v| v == r.y).unwrap_or(0);
                values[iy][ix] = Some(r.value());
            }
            let value_label = match &h.ratio_to {
                Some(p) => format!("{} / ({p})", h.metric),
                None => h.metric.clone(),
            };
            let map = plot::Heatmap {
                title: format!("{} — {s}", m.title),
                x_label: h.x_label.clone().unwrap_or_else(|| h.x.trim_start_matches('/').replace('/', ".")),
                y_label: h.y_label.clone().unwrap_or_else(|| h.y.trim_start_matches('/').replace('/', ".")),
                xs: xs.clone(),
                ys: ys.clone(),
                values,
                value_label,
                footer: format!(
                    "regretlab {} · seed {} · {} replications · {}",
                    m.regretlab_version, m.seed, m.reps, m.experiment
                ),
            };
            let stem = heatmap_stem(s);
            keep(&stem, plot::write_heatmap(dir, &stem, &map));
        }
    }
    out
}

/// Redraws a run's figures from its CSVs and manifest, without simulating. Fails (and draws
/// nothing) when `curves.csv` has no rows, and names every figure that could not be drawn.
pub fn redraw(dir: &Path) -> Result<(Vec<PathBuf>, Vec<String>)> {
    let m = results::read_manifest(dir)?;
    let rows = results::read_curves(&dir.join("curves.csv"))?;
    if rows.is_empty() {
        return Err(Error::BadResults {
            path: dir.join("curves.csv"),
            message: "holds no rows: nothing to draw (the folder's figures were left as they were)".into(),
        });
    }
    let overlays = if m.plot.overlays { results::read_overlays(&dir.join("overlays.csv"))? } else { Vec::new() };
    let hist =
        if m.plot.histogram.is_some() { results::read_histogram(&dir.join("histogram.csv"))? } else { Vec::new() };
    let f = draw_figures(dir, dir, &m, &rows, &overlays, &hist);
    if !f.failed.is_empty() {
        return Err(Error::Plot {
            path: dir.to_path_buf(),
            message: format!("{} figure(s) could not be drawn: {}", f.failed.len(), f.failed.join("; ")),
        });
    }
    Ok((f.files, f.notes))
}

/// Checks a spec without running it (for `regretlab list` and tests).
pub fn check(spec: SpecFile, ov: &Overrides) -> Result<Experiment> {
    spec.validate(ov)
}

/// Which shard of how many: `i / n`, cells j with j mod n = i.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parses "i/n" (0 ≤ i < n ≤ 100000).
    pub fn parse(s: &str) -> Result<Shard> {
        let bad = || Error::InvalidOption {
            option: "--shard".into(),
            value: s.to_string(),
            allowed: "i/n with 0 ≤ i < n ≤ 100000".into(),
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) =
            (i.trim().parse::<usize>().map_err(|_| bad())?, n.trim().parse::<usize>().map_err(|_| bad())?);
        Shard::new(index, count).ok_or_else(bad)
    }

    pub fn new(index: usize, count: usize) -> Option<Shard> {
        ((1..=100_000).contains(&count) && index < count).then_some(Shard { index, count })
    }

    fn owns(&self, cell_index: usize) -> bool {
        cell_index % self.count == self.index
    }
}

/// What a shard run did.
#[derive(Debug)]
pub struct ShardReport {
    pub store: PathBuf,
    pub computed: Vec<String>,
    /// Cells whose valid result already existed.
    pub skipped: Vec<String>,
    /// Cells whose file was invalid (truncated, corrupted, another spec), recomputed: (label, why).
    pub recomputed: Vec<(String, String)>,
    /// Set when a cancellation (SIGTERM, Ctrl-C) stopped the shard between cells or abandoned
    /// the one in flight; completed cells are kept.
    pub cancelled: bool,
}

/// The store's fingerprint: a hash of the resolved spec without what only changes presentation
/// (name, title, claim, plot).
fn fingerprint(exp: &Experiment) -> u64 {
    let mut v = serde_json::to_value(&exp.resolved).unwrap_or_default();
    if let Some(m) = v.as_object_mut() {
        for k in ["name", "title", "claim", "plot", "quick"] {
            m.remove(k);
        }
    }
    crate::rng::content_hash(v.to_string().as_bytes())
}

fn open_store(exp: &Experiment, out: &Option<PathBuf>) -> CellStore {
    let dir = out.clone().unwrap_or_else(|| default_out(&exp.name));
    CellStore::new(store_dir(&dir), fingerprint(exp))
}

/// The experiment a store was made for (its `spec.toml`), or None for a store not begun.
fn store_experiment(store: &Path) -> Result<Option<Experiment>> {
    let spec_path = store.join("spec.toml");
    if !spec_path.exists() {
        return Ok(None);
    }
    let text = fs::read_to_string(&spec_path).map_err(io(&spec_path))?;
    let spec = spec::parse(&text, &spec_path.display().to_string())?;
    spec.validate(&Overrides::default()).map(Some)
}

/// The fields (dotted paths) in which two resolved specs differ, with both values; at most
/// eight, presentation fields left out.
fn spec_differences(store: &Experiment, this: &Experiment) -> Vec<String> {
    fn walk(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
        use serde_json::Value::{Array, Object};
        match (a, b) {
            (Object(x), Object(y)) => {
                let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
                keys.sort();
                keys.dedup();
                for k in keys {
                    let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    let null = serde_json::Value::Null;
                    walk(&p, x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null), out);
                }
            }
            (Array(x), Array(y)) if x.len() == y.len() => {
                for (i, (u, v)) in x.iter().zip(y).enumerate() {
                    walk(&format!("{path}[{i}]"), u, v, out);
                }
            }
            _ if a != b => out.push(format!("{path}: the store has {a}, this run {b}")),
            _ => {}
        }
    }
    let strip = |e: &Experiment| {
        let mut v = serde_json::to_value(&e.resolved).unwrap_or_default();
        if let Some(m) = v.as_object_mut() {
            for k in ["name", "title", "claim", "plot", "quick"] {
                m.remove(k);
            }
        }
        v
    };
    let mut out = Vec::new();
    walk("", &strip(store), &strip(this), &mut out);
    out.truncate(8);
    out
}

/// Refuses to add cells to a store made with other settings: its other shards' cells would no
/// longer merge with these.
fn check_same_store(store_dir: &Path, store: &Experiment, this: &Experiment) -> Result<()> {
    if fingerprint(store) == fingerprint(this) {
        return Ok(());
    }
    Err(Error::BadResults {
        path: store_dir.to_path_buf(),
        message: format!(
            "this cell store was made with other settings ({}); its cells would not merge with this run's. Run with the store's settings (its spec.toml), choose another --out, or delete the store to start over",
            spec_differences(store, this).join("; ")
        ),
    })
}

/// Runs the cells of one shard into the cell store (`<out>.cells/`, default
/// `results/<name>.cells/`), one cell at a time, skipping cells whose valid file exists and
/// recomputing invalid ones. Seeds depend on (master seed, cell content) only, so any shard
/// layout computes the same numbers. The resolved spec is saved beside the cells (`spec.toml`)
/// for `merge` and `missing`; a store made with other settings (another `--reps`, say) is
/// refused, naming what differs.
pub fn run_shard(
    spec: SpecFile,
    ov: &Overrides,
    opts: &RunOptions,
    shard: Shard,
    cancel: Option<&AtomicBool>,
) -> Result<ShardReport> {
    let kernel = parse_kernel(opts)?;
    let exp = spec.validate(ov)?;
    refuse_precision_in_shards(&exp)?;
    let store = open_store(&exp, &opts.out);
    let begun = store_experiment(&store.dir)?;
    if let Some(old) = &begun {
        check_same_store(&store.dir, old, &exp)?;
    }
    let cfg = EngineConfig { kind: opts.engine, threads: opts.threads, reps: exp.reps, progress: opts.progress };
    let mut jobs = exp.jobs(kernel);
    // memory for the largest cell at a time, disk for this shard's cell files (their finals
    // take about as much room as final.csv's)
    let owned: Vec<&engine::Job> =
        jobs.iter().filter(|j| exp.cells.iter().position(|c| c.id == j.cell).is_some_and(|i| shard.owns(i))).collect();
    let csv =
        results::final_csv_bytes(owned.iter().map(|j| (j.cell.len(), j.series.len(), j.sim.metrics().len())), exp.reps);
    let biggest = exp
        .cells
        .iter()
        .map(|c| jobs.iter().filter(|j| j.cell == c.id).map(|j| j.sim.metrics().len() as u64).sum::<u64>())
        .max()
        .unwrap_or(0);
    let need = resources::Need { memory: biggest * exp.reps * 16 + (64 << 20), disk: csv };
    resources::check(
        need,
        resources::memory_available(),
        resources::disk_available(&existing_ancestor(&store.dir)),
        exp.reps,
        owned.len(),
        &store.dir,
    )?;
    // the store's spec is written only once the run is known to fit: a refused run leaves no
    // store that a corrected rerun would then be refused by
    if begun.is_none() {
        fs::create_dir_all(&store.dir).map_err(io(&store.dir))?;
        // TOML, not JSON: it keeps ±inf (ε = ∞) and NaN-free floats exactly
        let spec_toml = toml::to_string(&exp.resolved)
            .map_err(|e| Error::BadResults { path: store.dir.clone(), message: e.to_string() })?;
        results::atomic_write(&store.dir.join("spec.toml"), spec_toml.as_bytes())?;
    }
    let mut rep = ShardReport {
        store: store.dir.clone(),
        computed: Vec::new(),
        skipped: Vec::new(),
        recomputed: Vec::new(),
        cancelled: false,
    };
    for (ci, cell) in exp.cells.iter().enumerate() {
        if !shard.owns(ci) {
            continue;
        }
        match store.read(&cell.id) {
            CellState::Valid(_) => {
                rep.skipped.push(cell.label.clone());
                continue;
            }
            CellState::Invalid(why) => rep.recomputed.push((cell.label.clone(), why)),
            CellState::Missing => {}
        }
        if cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed)) {
            rep.cancelled = true;
            break;
        }
        // this cell's jobs, in job order (the order a single process folds them in)
        let (mine, rest): (Vec<engine::Job>, Vec<engine::Job>) =
            std::mem::take(&mut jobs).into_iter().partition(|j| j.cell == cell.id);
        jobs = rest;
        match engine::run(&mine, &cfg, cancel) {
            Ok(out) => store.write(&cell.id, &out)?,
            Err(engine::EngineError::Cancelled) => {
                rep.cancelled = true;
                break;
            }
            Err(e) => return Err(e.into()),
        }
        rep.computed.push(cell.label.clone());
    }
    Ok(rep)
}

/// The shards (of `count`) that still own a cell without a valid file, in canonical order. A
/// begun store is read with its own spec (`spec.toml`), so `--quick`/`--reps` need not be
/// repeated; overrides given anyway must match it.
pub fn missing(spec: SpecFile, ov: &Overrides, out: &Option<PathBuf>, count: usize) -> Result<(Vec<usize>, String)> {
    if !(1..=100_000).contains(&count) {
        return Err(Error::InvalidOption {
            option: "--shards".into(),
            value: count.to_string(),
            allowed: "1 ..= 100000".into(),
        });
    }
    let exp = spec.validate(ov)?;
    refuse_precision_in_shards(&exp)?;
    let dir = store_dir(&out.clone().unwrap_or_else(|| default_out(&exp.name)));
    let exp = match store_experiment(&dir)? {
        Some(stored) => {
            if ov.reps.is_some() || ov.seed.is_some() || ov.quick {
                check_same_store(&dir, &stored, &exp)?;
            }
            stored
        }
        None => exp,
    };
    let store = CellStore::new(dir, fingerprint(&exp));
    let mut shards: Vec<usize> = exp
        .cells
        .iter()
        .enumerate()
        .filter(|(_, c)| !matches!(store.read(&c.id), CellState::Valid(_)))
        .map(|(i, _)| i % count)
        .collect();
    shards.sort_unstable();
    shards.dedup();
    let s = array_syntax(&shards);
    Ok((shards, s))
}

/// Joins a store's cells, in canonical order, into the run folder a single process would have
/// written (the store folder minus `.cells`, or `out`). Fails, naming them, when cells are
/// missing or invalid.
pub fn merge(store_path: &Path, out: Option<PathBuf>) -> Result<RunReport> {
    let not_store = || Error::BadResults {
        path: store_path.to_path_buf(),
        message: "is not a cell store (no spec.toml): give the folder `run --shard` wrote, <out>.cells".into(),
    };
    if !store_path.join("spec.toml").is_file() {
        return Err(not_store());
    }
    let exp = store_experiment(store_path)?.ok_or_else(not_store)?;
    let store = CellStore::new(store_path.to_path_buf(), fingerprint(&exp));
    let mut all = Vec::new();
    let mut gaps = Vec::new();
    for cell in &exp.cells {
        match store.read(&cell.id) {
            CellState::Valid(jobs) => all.extend(jobs),
            CellState::Missing => gaps.push(format!("'{}' ({}): missing", cell.label, cell.id)),
            CellState::Invalid(why) => gaps.push(format!("'{}' ({}): {why}", cell.label, cell.id)),
        }
    }
    if !gaps.is_empty() {
        return Err(Error::BadResults {
            path: store_path.to_path_buf(),
            message: format!("{} of {} cells cannot be merged: {}", gaps.len(), exp.cells.len(), gaps.join("; ")),
        });
    }
    let name = store_path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let dir = run_dir::resolve(
        &out.unwrap_or_else(|| store_path.with_file_name(name.strip_suffix(".cells").unwrap_or(&exp.name))),
    )?;
    let series: Vec<String> = all.iter().map(|j| j.series.clone()).collect();
    let files = planned_files(&exp.cells, &exp.plot, &series);
    run_dir::check_replaceable(&dir, &files)?;
    let staging = run_dir::begin(&dir, &files)?;
    let wall = all.iter().map(|j| j.seconds).sum();
    write_run(&exp, &all, staging, "merged cell store", 0, format!("merged from {}", store_path.display()), wall, None)
}

/// Resources of the generated Slurm scripts.
#[derive(Clone, Debug, Default)]
pub struct SlurmOptions {
    pub partition: Option<String>,
    pub time: String,
    pub mem: Option<String>,
    pub cpus: usize,
    /// At most this many array tasks at once (`%K`).
    pub max_parallel: Option<usize>,
    /// Extra flags for `regretlab run` (--reps, --seed, --quick, --kernel).
    pub run_flags: Vec<String>,
}

/// Writes `<store>/slurm/{array.sbatch, merge.sbatch, submit.sh}` for a sweep in `shards`
/// array tasks: each task runs its shard into the cell store (finished cells are skipped, so
/// requeued or resubmitted tasks redo nothing), and a merge job chained with `afterany`
/// checks completeness itself (an `afterok` dependency dies for good when a task fails once,
/// even after a successful requeue) and writes the run folder. Returns the folder.
pub fn slurm_scripts(
    spec_arg: &str,
    spec: SpecFile,
    ov: &Overrides,
    out: &Option<PathBuf>,
    shards: usize,
    so: &SlurmOptions,
) -> Result<PathBuf> {
    let exp = spec.validate(ov)?;
    refuse_precision_in_shards(&exp)?;
    if !(1..=exp.cells.len()).contains(&shards) {
        return Err(Error::InvalidOption {
            option: "--shards".into(),
            value: shards.to_string(),
            allowed: format!(
                "1 ..= {} (the sweep has {} cells; more shards would run nothing)",
                exp.cells.len(),
                exp.cells.len()
            ),
        });
    }
    let run_dir = run_dir::resolve(&out.clone().unwrap_or_else(|| default_out(&exp.name)))?;
    let store = store_dir(&run_dir);
    let dir = store.join("slurm");
    fs::create_dir_all(dir.join("logs")).map_err(io(&dir))?;
    let bin =
        std::env::var("REGRETLAB_BIN").map(PathBuf::from).or_else(|_| std::env::current_exe()).map_err(io(&dir))?;
    // a spec file by absolute path; a built-in experiment by name (compiled into the binary)
    let spec_ref = if Path::new(spec_arg).is_file() {
        run_dir::resolve(Path::new(spec_arg))?.display().to_string()
    } else {
        spec_arg.to_string()
    };
    // Every path and flag in single quotes, so that spaces, `$(…)` and backquotes in them are
    // only characters; #SBATCH lines take double quotes (sbatch's own parser, no shell), and a
    // path with a double quote or newline cannot be said there at all.
    let q = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let dq = |s: &str| -> Result<String> {
        if s.contains(['"', '\n', '\r']) {
            return Err(Error::InvalidOption {
                option: "--out".into(),
                value: s.to_string(),
                allowed: "a path without double quotes or line breaks (Slurm's #SBATCH lines cannot hold them)".into(),
            });
        }
        Ok(format!("\"{s}\""))
    };
    let flags = so.run_flags.iter().map(|f| q(f)).collect::<Vec<_>>().join(" ");
    let mut head =
        format!("#SBATCH --ntasks=1\n#SBATCH --cpus-per-task={}\n#SBATCH --time={}\n", so.cpus.max(1), so.time);
    if let Some(p) = &so.partition {
        head.push_str(&format!("#SBATCH --partition={p}\n"));
    }
    if let Some(m) = &so.mem {
        head.push_str(&format!("#SBATCH --mem={m}\n"));
    }
    let dir_s = dir.display().to_string();
    let array_path = q(&format!("{dir_s}/array.sbatch"));
    let array = format!(
        "#!/bin/bash\n\
         # One array task = one shard of '{name}' ({cells} cells in {shards} shards, cells j with j mod {shards} = task id).\n\
         # Finished cells are skipped, so a requeued or resubmitted task redoes nothing; resubmit only\n\
         # the shards that still miss cells with:\n\
         #   sbatch --array=\"$({bin} missing {spec} --shards {shards} --out {out} {flags})\" {array_path}\n\
         #SBATCH --job-name=regretlab-{name}\n\
         {head}#SBATCH --output={log}\n\
         #SBATCH --open-mode=append\n\
         #SBATCH --requeue\n\
         set -euo pipefail\n\
         echo \"== $(date -Is) job=$SLURM_JOB_ID task=$SLURM_ARRAY_TASK_ID/{shards} restart=${{SLURM_RESTART_COUNT:-0}}\"\n\
         # The shard count is explicit: SLURM_ARRAY_TASK_COUNT changes when only some tasks are resubmitted.\n\
         exec {bin} run {spec} --shards {shards} --threads {cpus} --out {out} {flags}\n",
        name = exp.name,
        cells = exp.cells.len(),
        bin = q(&bin.display().to_string()),
        spec = q(&spec_ref),
        out = q(&run_dir.display().to_string()),
        log = dq(&format!("{dir_s}/logs/%x_%A_%a.log"))?,
        cpus = so.cpus.max(1),
    );
    let merge = format!(
        "#!/bin/bash\n\
         # Joins the cell store into the run folder once every shard is done (chained with afterany: it\n\
         # checks completeness itself and fails, naming the shards to resubmit, when cells are missing).\n\
         #SBATCH --job-name=regretlab-{name}-merge\n\
         {head}#SBATCH --output={log}\n\
         set -euo pipefail\n\
         left=$({bin} missing {spec} --shards {shards} --out {outq} {flags})\n\
         if [ -n \"$left\" ]; then echo \"shards still missing cells: $left; resubmit them with: sbatch --array=$left\" {array_path} >&2; exit 1; fi\n\
         exec {bin} merge {store} --out {outq}\n",
        name = exp.name,
        outq = q(&run_dir.display().to_string()),
        bin = q(&bin.display().to_string()),
        spec = q(&spec_ref),
        store = q(&store.display().to_string()),
        log = dq(&format!("{dir_s}/logs/%x_%j.log"))?,
    );
    let submit = format!(
        "#!/bin/bash\n\
         # Submits the array ({shards} tasks) and the merge job that waits for it.\n\
         set -euo pipefail\n\
         array=$(sbatch --parsable --array=0-{last}{pct} {array_path})\n\
         array=${{array%%;*}}\n\
         merge=$(sbatch --parsable --dependency=afterany:$array {merge_path})\n\
         echo \"array job $array ({shards} tasks), merge job ${{merge%%;*}}\"\n",
        last = shards - 1,
        pct = so.max_parallel.map(|k| format!("%{k}")).unwrap_or_default(),
        merge_path = q(&format!("{dir_s}/merge.sbatch")),
    );
    results::atomic_write(&dir.join("array.sbatch"), array.as_bytes())?;
    results::atomic_write(&dir.join("merge.sbatch"), merge.as_bytes())?;
    results::atomic_write(&dir.join("submit.sh"), submit.as_bytes())?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The planned files name each file once: a sweep's series repeat in every cell, and a
    /// heatmap is one figure per series, not per (cell, series).
    #[test]
    fn planned_files_are_distinct_with_one_heatmap_per_series() {
        let (_, text) = BUILTIN.iter().find(|(n, _)| *n == "sea_heatmap").expect("sea_heatmap is built in");
        let exp = spec::parse(text, "sea_heatmap").unwrap().validate(&Overrides::default()).unwrap();
        let series: Vec<String> = exp.jobs(KernelChoice::Auto).iter().map(|j| j.series.clone()).collect();
        let files = planned_files(&exp.cells, &exp.plot, &series);
        let mut sorted = files.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), files.len(), "a file planned twice");
        assert_eq!(files.iter().filter(|f| f.starts_with("heatmap_") && f.ends_with(".png")).count(), 3);
    }
}
