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
use crate::results::cells::{array_syntax, store_dir, CellState, CellStore};
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
    /// What the user should know about how it ran (e.g. jobs the GPU engine left to the CPU).
    pub notes: Vec<String>,
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
    let jobs = exp.jobs(kernel);
    let (kind, engine, notes) = if opts.engine == EngineKind::Gpu { gpu_plan(&jobs) } else { (opts.engine, format!("{:?}", opts.engine).to_lowercase(), Vec::new()) };
    let cfg = EngineConfig { kind, threads: opts.threads, reps: exp.reps, progress: opts.progress };
    let threads = cfg.worker_threads();
    let t0 = Instant::now();
    let out = engine::run(&jobs, &cfg, cancel)?;
    let wall = t0.elapsed().as_secs_f64();
    let mut backend = exp.backend(kernel);
    if kind == EngineKind::Gpu {
        backend.push_str("; gpu: WGSL fixed point (integers only: u32, and i64 where a rule needs it), bit-identical to the CPU kernel");
    }
    let mut report = write_run(&exp, &out, &dir, &engine, threads, backend, wall)?;
    report.notes = notes;
    Ok(report)
}

/// What `--engine gpu` can do here: the engine kind to run, its name for the manifest, and
/// what the user should know (jobs without a GPU kernel, or no GPU at all: the CPU runs them).
#[cfg(feature = "gpu")]
fn gpu_plan(jobs: &[engine::Job]) -> (EngineKind, String, Vec<String>) {
    match crate::gpu::context() {
        Ok(ctx) => {
            let cpu: Vec<String> = jobs.iter().filter(|j| j.sim.gpu_batch().is_none()).map(|j| j.series.clone()).collect();
            let mut notes = Vec::new();
            if !cpu.is_empty() {
                let mut names = cpu.clone();
                names.dedup();
                notes.push(format!("gpu engine: {} of {} jobs have no GPU kernel and run on the CPU ({})", cpu.len(), jobs.len(), names.join(", ")));
            }
            (EngineKind::Gpu, format!("gpu ({})", ctx.adapter), notes)
        }
        Err(e) => (EngineKind::Rayon, "rayon (gpu requested, none available)".into(), vec![format!("gpu engine: {e}; every job runs on the CPU")]),
    }
}

#[cfg(not(feature = "gpu"))]
fn gpu_plan(_jobs: &[engine::Job]) -> (EngineKind, String, Vec<String>) {
    (EngineKind::Rayon, "rayon (gpu requested, not built)".into(), vec!["gpu engine: this build has no GPU engine (built without the `gpu` feature); every job runs on the CPU".into()])
}

/// Writes a run folder from the engine's results (a single process's, or a merge's).
fn write_run(exp: &Experiment, out: &[engine::JobResult], dir: &Path, engine: &str, threads: usize, backend: String, wall: f64) -> Result<RunReport> {
    let dir = dir.to_path_buf();
    let rows = results::curve_rows(out, exp.confidence);
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
        engine: engine.to_string(),
        threads,
        backend,
        spec: serde_json::to_value(&exp.resolved).unwrap_or_default(),
        cells: exp.cells.clone(),
        plot: exp.plot.clone(),
        timings: Timings { wall_seconds: wall, jobs: timings.clone() },
    };
    let (summary_csv, table) = results::summary(out, &exp.cells, exp.confidence)?;
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
        write("final.csv", &results::final_csv(out)?)?;
        write("overlays.csv", &results::overlays_csv(&overlays)?)?;
        write("summary.csv", &summary_csv)?;
        write("paired.csv", &results::paired(out, &exp.cells, exp.confidence)?)?;
        write("table.md", table.as_bytes())?;
        if let Some(h) = &exp.plot.heatmap {
            write("heatmap.csv", &results::heatmap_csv(&results::heatmap_rows(h, &exp.cells, &rows, &overlays))?)?;
        }
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
    Ok(RunReport { dir, table, figures, wall_seconds: wall, notes: Vec::new() })
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
    for cell in m.cells.iter().filter(|_| m.plot.cells) {
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
                footer: format!("regretlab {} · seed {} · {} replications · {}", m.regretlab_version, m.seed, m.reps, m.experiment),
            };
            files.extend(plot::write_heatmap(dir, &plot::slug(&format!("heatmap_{s}")), &map)?);
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

/// Which shard of how many: `i / n`, cells j with j mod n = i.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parses "i/n" (0 ≤ i < n ≤ 100000).
    pub fn parse(s: &str) -> Result<Shard> {
        let bad = || Error::InvalidOption { option: "--shard".into(), value: s.to_string(), allowed: "i/n with 0 ≤ i < n ≤ 100000".into() };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse::<usize>().map_err(|_| bad())?, n.trim().parse::<usize>().map_err(|_| bad())?);
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
    let dir = out.clone().unwrap_or_else(|| PathBuf::from("results").join(&exp.name));
    CellStore::new(store_dir(&dir), fingerprint(exp))
}

/// Runs the cells of one shard into the cell store (`<out>.cells/`, default
/// `results/<name>.cells/`), one cell at a time, skipping cells whose valid file exists and
/// recomputing invalid ones. Seeds depend on (master seed, cell content) only, so any shard
/// layout computes the same numbers. The resolved spec is saved beside the cells (`spec.toml`)
/// for `merge`.
pub fn run_shard(spec: SpecFile, ov: &Overrides, opts: &RunOptions, shard: Shard, cancel: Option<&AtomicBool>) -> Result<ShardReport> {
    let kernel = KernelChoice::parse(&opts.kernel).map_err(|allowed| Error::InvalidOption { option: "--kernel".into(), value: opts.kernel.clone(), allowed })?;
    let exp = spec.validate(ov)?;
    let store = open_store(&exp, &opts.out);
    fs::create_dir_all(&store.dir).map_err(io(&store.dir))?;
    // TOML, not JSON: it keeps ±inf (ε = ∞) and NaN-free floats exactly
    let spec_toml = toml::to_string(&exp.resolved).map_err(|e| Error::BadResults { path: store.dir.clone(), message: e.to_string() })?;
    results::atomic_write(&store.dir.join("spec.toml"), spec_toml.as_bytes())?;
    let cfg = EngineConfig { kind: opts.engine, threads: opts.threads, reps: exp.reps, progress: opts.progress };
    let mut jobs = exp.jobs(kernel);
    let mut rep = ShardReport { store: store.dir.clone(), computed: Vec::new(), skipped: Vec::new(), recomputed: Vec::new(), cancelled: false };
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
        let (mine, rest): (Vec<engine::Job>, Vec<engine::Job>) = std::mem::take(&mut jobs).into_iter().partition(|j| j.cell == cell.id);
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

/// The shards (of `count`) that still own a cell without a valid file, in canonical order.
pub fn missing(spec: SpecFile, ov: &Overrides, out: &Option<PathBuf>, count: usize) -> Result<(Vec<usize>, String)> {
    let exp = spec.validate(ov)?;
    let store = open_store(&exp, out);
    let mut shards: Vec<usize> = exp.cells.iter().enumerate().filter(|(_, c)| !matches!(store.read(&c.id), CellState::Valid(_))).map(|(i, _)| i % count.max(1)).collect();
    shards.sort_unstable();
    shards.dedup();
    let s = array_syntax(&shards);
    Ok((shards, s))
}

/// Joins a store's cells, in canonical order, into the run folder a single process would have
/// written (the store folder minus `.cells`, or `out`). Fails, naming them, when cells are
/// missing or invalid.
pub fn merge(store_path: &Path, out: Option<PathBuf>) -> Result<RunReport> {
    let spec_path = store_path.join("spec.toml");
    let text = fs::read_to_string(&spec_path).map_err(io(&spec_path))?;
    let spec = spec::parse(&text, &spec_path.display().to_string())?;
    let exp = spec.validate(&Overrides::default())?;
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
        return Err(Error::BadResults { path: store_path.to_path_buf(), message: format!("{} of {} cells cannot be merged: {}", gaps.len(), exp.cells.len(), gaps.join("; ")) });
    }
    let name = store_path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let dir = out.unwrap_or_else(|| store_path.with_file_name(name.strip_suffix(".cells").unwrap_or(&exp.name)));
    check_writable_run_dir(&dir)?;
    let wall = all.iter().map(|j| j.seconds).sum();
    write_run(&exp, &all, &dir, "merged cell store", 0, format!("merged from {}", store_path.display()), wall)
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
pub fn slurm_scripts(spec_arg: &str, spec: SpecFile, ov: &Overrides, out: &Option<PathBuf>, shards: usize, so: &SlurmOptions) -> Result<PathBuf> {
    let exp = spec.validate(ov)?;
    let run_dir = out.clone().unwrap_or_else(|| PathBuf::from("results").join(&exp.name));
    let abs = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir().map(|d| d.join(p)).unwrap_or_else(|_| p.to_path_buf()) };
    let run_dir = abs(&run_dir);
    let store = store_dir(&run_dir);
    let dir = store.join("slurm");
    fs::create_dir_all(dir.join("logs")).map_err(io(&dir))?;
    let bin = std::env::var("REGRETLAB_BIN").map(PathBuf::from).or_else(|_| std::env::current_exe()).map_err(io(&dir))?;
    // a spec file by absolute path; a built-in experiment by name (compiled into the binary)
    let spec_ref = if Path::new(spec_arg).is_file() { abs(Path::new(spec_arg)).display().to_string() } else { spec_arg.to_string() };
    let q = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let flags = so.run_flags.iter().map(|f| q(f)).collect::<Vec<_>>().join(" ");
    let mut head = format!("#SBATCH --ntasks=1\n#SBATCH --cpus-per-task={}\n#SBATCH --time={}\n", so.cpus.max(1), so.time);
    if let Some(p) = &so.partition {
        head.push_str(&format!("#SBATCH --partition={p}\n"));
    }
    if let Some(m) = &so.mem {
        head.push_str(&format!("#SBATCH --mem={m}\n"));
    }
    let array = format!(
        "#!/bin/bash\n\
         # One array task = one shard of '{name}' ({cells} cells in {shards} shards, cells j with j mod {shards} = task id).\n\
         # Finished cells are skipped, so a requeued or resubmitted task redoes nothing; resubmit only\n\
         # the shards that still miss cells with:\n\
         #   sbatch --array=\"$({bin} missing {spec} --shards {shards} --out {out} {flags})\" {dir}/array.sbatch\n\
         #SBATCH --job-name=regretlab-{name}\n\
         {head}#SBATCH --output={dir}/logs/%x_%A_%a.log\n\
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
        dir = dir.display(),
        cpus = so.cpus.max(1),
    );
    let merge = format!(
        "#!/bin/bash\n\
         # Joins the cell store into {out} once every shard is done (chained with afterany: it checks\n\
         # completeness itself and fails, naming the shards to resubmit, when cells are missing).\n\
         #SBATCH --job-name=regretlab-{name}-merge\n\
         {head}#SBATCH --output={dir}/logs/%x_%j.log\n\
         set -euo pipefail\n\
         left=$({bin} missing {spec} --shards {shards} --out {outq} {flags})\n\
         if [ -n \"$left\" ]; then echo \"shards still missing cells: $left (resubmit: sbatch --array=$left {dir}/array.sbatch)\" >&2; exit 1; fi\n\
         exec {bin} merge {store} --out {outq}\n",
        name = exp.name,
        out = run_dir.display(),
        outq = q(&run_dir.display().to_string()),
        bin = q(&bin.display().to_string()),
        spec = q(&spec_ref),
        store = q(&store.display().to_string()),
        dir = dir.display(),
    );
    let submit = format!(
        "#!/bin/bash\n\
         # Submits the array ({shards} tasks) and the merge job that waits for it.\n\
         set -euo pipefail\n\
         array=$(sbatch --parsable --array=0-{last}{pct} {dir}/array.sbatch)\n\
         array=${{array%%;*}}\n\
         merge=$(sbatch --parsable --dependency=afterany:$array {dir}/merge.sbatch)\n\
         echo \"array job $array ({shards} tasks), merge job ${{merge%%;*}}\"\n",
        last = shards - 1,
        pct = so.max_parallel.map(|k| format!("%{k}")).unwrap_or_default(),
        dir = dir.display(),
    );
    results::atomic_write(&dir.join("array.sbatch"), array.as_bytes())?;
    results::atomic_write(&dir.join("merge.sbatch"), merge.as_bytes())?;
    results::atomic_write(&dir.join("submit.sh"), submit.as_bytes())?;
    Ok(dir)
}
