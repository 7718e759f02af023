//! Running a checked experiment end to end: spec lookup, engine, run folder, figures.
//!
//! The only place that ties `spec`, `engine`, `results` and `plot` together; the CLI calls it.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::engine::{self, EngineConfig, EngineKind};
use crate::error::{io, Error, Result};
use crate::plot::{self, Figure};
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

/// How to run: engine, threads, where to write.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub engine: EngineKind,
    pub threads: usize,
    pub out: Option<PathBuf>,
    pub progress: bool,
}

/// What a finished run wrote.
#[derive(Debug)]
pub struct RunReport {
    pub dir: PathBuf,
    pub table: String,
    pub figures: Vec<PathBuf>,
    pub wall_seconds: f64,
}

/// Validates, runs and writes. Nothing is written unless the spec is valid and the run
/// completed; each file is replaced atomically.
pub fn run(spec: SpecFile, ov: &Overrides, opts: &RunOptions, cancel: Option<&AtomicBool>) -> Result<RunReport> {
    let exp = spec.validate(ov)?;
    let dir = opts.out.clone().unwrap_or_else(|| PathBuf::from("results").join(&exp.name));
    let threads = match opts.engine {
        EngineKind::Serial => 1,
        EngineKind::Rayon if opts.threads == 0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        EngineKind::Rayon => opts.threads,
    };
    let cfg = EngineConfig { kind: opts.engine, threads, reps: exp.reps, progress: opts.progress };
    let jobs = exp.jobs();
    let t0 = Instant::now();
    let out = engine::run(&jobs, &cfg, cancel).ok_or(Error::Cancelled)?;
    let wall = t0.elapsed().as_secs_f64();
    let rows = results::curve_rows(&out, exp.confidence);
    let timings: Vec<JobTiming> = out.iter().map(|r| JobTiming { cell: r.cell.clone(), policy: r.series.clone(), seconds: r.seconds }).collect();
    let manifest = Manifest {
        experiment: exp.name.clone(),
        title: exp.title.clone(),
        claim: exp.claim.clone(),
        regretlab_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: option_env!("REGRETLAB_GIT_COMMIT").filter(|s| !s.is_empty()).map(String::from),
        rng: "philox4x32-10 (key = mix(seed, cell id); counter = [block, rep, role, 0])".into(),
        seed: exp.seed,
        reps: exp.reps,
        confidence: exp.confidence,
        engine: format!("{:?}", opts.engine).to_lowercase(),
        threads,
        kernel_isa: crate::bandits::kernel::FixedKernel::isa().into(),
        spec: serde_json::to_value(&exp.resolved).unwrap_or_default(),
        cells: exp.cells.clone(),
        plot: exp.plot.clone(),
        timings: Timings { wall_seconds: wall, jobs: timings.clone() },
    };
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    let (summary_csv, table) = results::summary(&out, &exp.cells, exp.confidence)?;
    let overlays = exp.overlays();
    results::atomic_write(&dir.join("curves.csv"), &results::curves_csv(&rows)?)?;
    results::atomic_write(&dir.join("final.csv"), &results::final_csv(&out)?)?;
    results::atomic_write(&dir.join("overlays.csv"), &results::overlays_csv(&overlays)?)?;
    results::atomic_write(&dir.join("summary.csv"), &summary_csv)?;
    results::atomic_write(&dir.join("paired.csv"), &results::paired(&out, &exp.cells, exp.confidence)?)?;
    let header = format!("# {}\n\n{}seed {}, {} replications, {:.0}% t-intervals\n\n", exp.title, exp.claim.as_ref().map(|c| format!("Claim: {c}\n\n")).unwrap_or_default(), exp.seed, exp.reps, exp.confidence * 100.0);
    let table = format!("{header}{table}");
    results::atomic_write(&dir.join("table.md"), table.as_bytes())?;
    // The manifest goes last: a folder with a manifest is a complete run.
    results::atomic_write(&dir.join("manifest.json"), &results::manifest_json(&manifest)?)?;
    let figures = draw_figures(&dir, &manifest, &rows, &overlays)?;
    Ok(RunReport { dir, table, figures, wall_seconds: wall })
}

fn draw_figures(dir: &Path, m: &Manifest, rows: &[results::CurveRow], overlays: &[results::Overlay]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for cell in &m.cells {
        for metric in &m.plot.metrics {
            let curves: Vec<&results::CurveRow> = rows.iter().filter(|r| r.cell == cell.id && &r.metric == metric).collect();
            if curves.is_empty() {
                continue;
            }
            let ov = overlays.iter().filter(|o| o.cell == cell.id && &o.metric == metric).collect();
            let footer = format!(
                "regretlab {}{} · seed {} · {} replications · mean with {:.0}% t-interval · {}",
                m.regretlab_version,
                m.git_commit.as_ref().map(|c| format!(" ({})", &c[..c.len().min(10)])).unwrap_or_default(),
                m.seed,
                m.reps,
                m.confidence * 100.0,
                m.experiment
            );
            let fig = Figure { title: format!("{} — {}", m.title, cell.label), metric, curves, overlays: ov, log_x: m.plot.log_x, log_y: m.plot.log_y, footer };
            let stem = plot::slug(&format!("{}_{}", cell.label, metric));
            files.extend(plot::write_figure(dir, &stem, &fig)?);
        }
    }
    Ok(files)
}

/// Redraws a run's figures from its CSVs and manifest, without simulating.
pub fn redraw(dir: &Path) -> Result<Vec<PathBuf>> {
    let m = results::read_manifest(dir)?;
    let rows = results::read_curves(&dir.join("curves.csv"))?;
    let overlays = if m.plot.overlays { results::read_overlays(&dir.join("overlays.csv"))? } else { Vec::new() };
    draw_figures(dir, &m, &rows, &overlays)
}

/// Checks a spec without running it (for `regretlab list` and tests).
pub fn check(spec: SpecFile, ov: &Overrides) -> Result<Experiment> {
    spec.validate(ov)
}
