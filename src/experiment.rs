//! Running a checked experiment end to end: spec lookup, engine, run folder, figures.
//!
//! The only place that ties `spec`, `engine`, `results` and `plot` together; the CLI calls it.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::bandits::kernel::KernelChoice;
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
}

/// Validates, runs and writes. Nothing is written unless the spec is valid and the run
/// completed; each file is replaced atomically.
pub fn run(spec: SpecFile, ov: &Overrides, opts: &RunOptions, cancel: Option<&AtomicBool>) -> Result<RunReport> {
    if opts.threads > MAX_THREADS {
        return Err(Error::InvalidOption { option: "--threads".into(), value: opts.threads.to_string(), allowed: format!("0 (all cores) ..= {MAX_THREADS}") });
    }
    let kernel = KernelChoice::parse(&opts.kernel).map_err(|allowed| Error::InvalidOption { option: "--kernel".into(), value: opts.kernel.clone(), allowed })?;
    let exp = spec.validate(ov)?;
    let dir = opts.out.clone().unwrap_or_else(|| PathBuf::from("results").join(&exp.name));
    check_writable_run_dir(&dir)?;
    let cfg = EngineConfig { kind: opts.engine, threads: opts.threads, reps: exp.reps, progress: opts.progress };
    let threads = cfg.worker_threads();
    let jobs = exp.jobs(kernel);
    let t0 = Instant::now();
    let out = engine::run(&jobs, &cfg, cancel)?;
    let wall = t0.elapsed().as_secs_f64();
    let rows = results::curve_rows(&out, exp.confidence);
    let timings: Vec<JobTiming> = out.iter().map(|r| JobTiming { cell: r.cell.clone(), policy: r.series.clone(), seconds: r.seconds }).collect();
    let manifest = Manifest {
        experiment: exp.name.clone(),
        title: exp.title.clone(),
        claim: exp.claim.clone(),
        regretlab_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: option_env!("REGRETLAB_GIT_COMMIT").filter(|s| !s.is_empty()).map(String::from),
        rng: "philox4x32-10 (key = mix(seed, cell id); counter = [block mod 2^32, rep, role, block / 2^32])".into(),
        seed: exp.seed,
        reps: exp.reps,
        confidence: exp.confidence,
        engine: format!("{:?}", opts.engine).to_lowercase(),
        threads,
        backend: exp.backend(kernel),
        spec: serde_json::to_value(&exp.resolved).unwrap_or_default(),
        cells: exp.cells.clone(),
        plot: exp.plot.clone(),
        timings: Timings { wall_seconds: wall, jobs: timings.clone() },
    };
    let (summary_csv, table) = results::summary(&out, &exp.cells, exp.confidence)?;
    let overlays = exp.overlays();
    let header = format!(
        "# {}\n\n{}seed {}, {} replications, {:.0}% t-intervals (Wilson score intervals for proportions); regretlab {}{}, {} engine, {} thread(s), {}\n\n",
        exp.title,
        exp.claim.as_ref().map(|c| format!("Claim: {c}\n\n")).unwrap_or_default(),
        exp.seed,
        exp.reps,
        exp.confidence * 100.0,
        manifest.regretlab_version,
        manifest.git_commit.as_ref().map(|c| format!(" ({c})")).unwrap_or_default(),
        manifest.engine,
        manifest.threads,
        manifest.backend
    );
    let table = format!("{header}{table}");

    // Everything goes into a fresh staging folder first, which then replaces the run folder in
    // one rename: a reader (or a crash) never sees a mix of old and new files.
    let staging = sibling(&dir, "staging");
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging).map_err(io(&staging))?;
    // Plain writes: the staging folder as a whole is what becomes visible atomically.
    let write = |name: &str, bytes: &[u8]| fs::write(staging.join(name), bytes).map_err(io(staging.join(name)));
    let staged = (|| -> Result<Vec<PathBuf>> {
        write("curves.csv", &results::curves_csv(&rows)?)?;
        write("final.csv", &results::final_csv(&out)?)?;
        write("overlays.csv", &results::overlays_csv(&overlays)?)?;
        write("summary.csv", &summary_csv)?;
        write("paired.csv", &results::paired(&out, &exp.cells, exp.confidence)?)?;
        write("table.md", table.as_bytes())?;
        write("manifest.json", &results::manifest_json(&manifest)?)?;
        draw_figures(&staging, &manifest, &rows, &overlays)
    })();
    let staged = match staged {
        Ok(f) => f,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    swap_into_place(&staging, &dir)?;
    let figures = staged.iter().filter_map(|p| p.file_name().map(|n| dir.join(n))).collect();
    Ok(RunReport { dir, table, figures, wall_seconds: wall })
}

/// A hidden sibling of `dir` for staging or for the previous run during a swap.
fn sibling(dir: &Path, what: &str) -> PathBuf {
    let name = dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "run".into());
    dir.with_file_name(format!(".{name}.{what}-{}", std::process::id()))
}

/// A run may replace an existing folder only if that folder is a previous run (has a
/// manifest) or is empty: `--out` pointing at a folder of other files is refused.
fn check_writable_run_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    let empty = fs::read_dir(dir).map_err(io(dir))?.next().is_none();
    if empty || dir.join("manifest.json").is_file() {
        Ok(())
    } else {
        Err(Error::BadResults { path: dir.to_path_buf(), message: "exists and is not a regretlab run folder (no manifest.json); refusing to replace it".into() })
    }
}

fn swap_into_place(staging: &Path, dir: &Path) -> Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(io(parent))?;
    }
    if dir.exists() {
        let old = sibling(dir, "old");
        let _ = fs::remove_dir_all(&old);
        fs::rename(dir, &old).map_err(io(dir))?;
        fs::rename(staging, dir).map_err(io(dir))?;
        fs::remove_dir_all(&old).map_err(io(&old))?;
    } else {
        fs::rename(staging, dir).map_err(io(dir))?;
    }
    Ok(())
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
                "regretlab {}{} · seed {} · {} replications · mean with {:.0}% t-interval (Wilson for proportions) · {} · {}",
                m.regretlab_version,
                m.git_commit.as_ref().map(|c| format!(" ({})", &c[..c.len().min(10)])).unwrap_or_default(),
                m.seed,
                m.reps,
                m.confidence * 100.0,
                m.experiment,
                m.backend
            );
            let fig = Figure { title: format!("{} — {}", m.title, cell.label), metric, curves, overlays: ov, log_x: m.plot.log_x, log_y: m.plot.log_y, x_label: m.plot.x_label.clone().unwrap_or_else(|| "t".into()), x_scale: m.plot.x_scale.unwrap_or(1.0), footer };
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
