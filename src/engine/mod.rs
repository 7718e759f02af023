//! The Monte Carlo runner: replications in parallel, checkpoints, streaming aggregation, progress.
//!
//! The engine owns the loop over replications, the thread pool and the fold of per-replication
//! traces into summary statistics; a setting owns only its model and algorithms, behind
//! [`Simulation`]. The engine never knows which setting runs.
//!
//! Determinism: work is cut into blocks of replications, blocks are computed in parallel in
//! waves, and every wave is folded in (job, replication) order. The float operations are then the
//! same whatever the thread count, so output is byte-identical for 1, 2 or 64 threads. On the GPU
//! engine, jobs whose kernels share a batch key are packed into shared batches (many cells per
//! launch) that run on their own thread while the pool computes the CPU's jobs; each job's
//! replications are still folded in order, so the GPU's output is the CPU's bytes.

pub mod grid;
pub mod record;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use crate::stats::Welford;
pub use grid::{checkpoint_grid, default_grid};
pub use record::{Checkpoints, Recorder, record_steps};

/// The values one replication recorded: `values[m * grid.len() + c]` is metric `m` at
/// checkpoint `c`; `finals[m]` the metric's final value.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub values: Vec<f64>,
    pub finals: Vec<f64>,
}

impl Trace {
    pub fn new(metrics: usize, checkpoints: usize) -> Trace {
        Trace { values: vec![0.0; metrics * checkpoints], finals: vec![0.0; metrics] }
    }

    /// Writes checkpoint `c`'s metric values (one per metric, in trace order; values are
    /// stored metric-major).
    #[inline]
    pub fn put(&mut self, c: usize, values: &[f64]) {
        let checkpoints = self.values.len() / self.finals.len().max(1);
        for (m, &v) in values.iter().enumerate() {
            self.values[m * checkpoints + c] = v;
        }
    }
}

/// What a setting implements so the engine can run it: one algorithm on one cell.
pub trait Simulation: Sync {
    /// Names of the recorded metrics, in trace order.
    fn metrics(&self) -> Vec<String>;
    /// Number of time steps of one replication (sets the checkpoint grid).
    fn horizon(&self) -> u64;
    /// Runs replications `first_rep .. first_rep + out.len()` and fills their traces at the
    /// checkpoints `grid`. Each replication must depend only on its own index (counter-addressed
    /// randomness), never on the block it was computed in.
    fn run_block(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]);
    /// Which metrics are binomial proportions (0 or 1 per replication, e.g. an error
    /// indicator), in trace order: their intervals are Wilson score intervals, which stay
    /// honest near 0 and 1 where a t-interval collapses. None by default.
    fn proportions(&self) -> Vec<bool> {
        Vec::new()
    }
    /// The checkpoints, when a setting's x axis is not the default grid of the horizon (a
    /// list of budgets, say); sorted, distinct, within 1..=horizon, ending at the horizon.
    fn grid(&self) -> Option<Vec<u64>> {
        None
    }
    /// The GPU capability of a simulation that has a GPU kernel; None: it runs on the CPU.
    fn gpu(&self) -> Option<&dyn GpuBatched> {
        None
    }
    /// Replications per block, for simulations whose replications are so costly (seconds each)
    /// that blocks of [`BLOCK`] would leave cores idle behind one long block; None: [`BLOCK`].
    /// The fold is per replication, in order, so the block size changes no output bit.
    fn block(&self) -> Option<u64> {
        None
    }
}

/// The optional GPU capability beside [`Simulation`]: jobs whose capabilities give the same
/// batch key share dispatches, so one launch serves many cells (instances, parameters) of a
/// sweep, with the output bits of [`Simulation::run_block`].
pub trait GpuBatched: Sync {
    /// The batch key, or None when this device cannot run the kernel (it then runs on the CPU).
    fn batch_key(&self) -> Option<String>;
    /// This capability as `Any`, so that a batch's leader can reach its peers' concrete type.
    fn as_any(&self) -> &dyn std::any::Any;
    /// Runs every part of one batch (each part's capability has this one's key); reports
    /// progress and honours cancellation between dispatches through `ctl`.
    fn run_batch(&self, parts: &mut [GpuPart<'_>], ctl: &GpuControl<'_>) -> Result<(), GpuStop>;
}

/// Replications `first_rep .. first_rep + out.len()` of one job, inside a GPU batch.
pub struct GpuPart<'a> {
    pub gpu: &'a dyn GpuBatched,
    pub first_rep: u64,
    pub grid: &'a [u64],
    pub out: &'a mut [Trace],
}

/// What a GPU kernel consults between dispatches.
pub struct GpuControl<'a> {
    pub cancel: Option<&'a AtomicBool>,
    /// Called with the replication-steps of each dispatch as it is submitted.
    pub progress: &'a (dyn Fn(u64) + Sync),
}

impl GpuControl<'_> {
    /// No cancellation, no progress.
    pub fn none() -> GpuControl<'static> {
        GpuControl { cancel: None, progress: &|_| {} }
    }
    pub fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// Why a GPU batch stopped without results.
#[derive(Debug, Clone, PartialEq)]
pub enum GpuStop {
    Cancelled,
    Failed(String),
}

/// One unit of output: an algorithm (`series`) on a cell.
pub struct Job {
    pub cell: String,
    pub series: String,
    pub sim: Box<dyn Simulation>,
}

/// How replications are scheduled. Neither choice changes any output byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    Serial,
    Rayon,
    /// Jobs with a GPU kernel run on the GPU, in batches shared by jobs with the same batch key;
    /// the others on the rayon pool.
    Gpu,
}

#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub kind: EngineKind,
    /// Worker threads for `Rayon` (0 = all cores).
    pub threads: usize,
    pub reps: u64,
    /// Show a progress bar on stderr (hidden anyway when stderr is not a terminal).
    pub progress: bool,
}

impl EngineConfig {
    /// The number of worker threads this configuration runs on (`threads = 0`: all cores).
    pub fn worker_threads(&self) -> usize {
        match (self.kind, self.threads) {
            (EngineKind::Serial, _) => 1,
            (EngineKind::Rayon | EngineKind::Gpu, 0) => {
                std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
            }
            (EngineKind::Rayon | EngineKind::Gpu, n) => n,
        }
    }
}

/// Aggregated output of one job.
#[derive(Clone, Debug)]
pub struct JobResult {
    pub cell: String,
    pub series: String,
    pub metrics: Vec<String>,
    pub grid: Vec<u64>,
    /// `stats[m * grid.len() + c]`
    pub stats: Vec<Welford>,
    /// `finals[m][rep]`: one value per replication.
    pub finals: Vec<Vec<f64>>,
    /// Per metric: a binomial proportion (see [`Simulation::proportions`]).
    pub proportion: Vec<bool>,
    pub seconds: f64,
}

/// Replications per block: small enough to spread few replications over cores, large enough
/// to amortise a batched kernel's set-up.
pub const BLOCK: u64 = 64;

/// Replications per GPU batch at most (all of its cells together): enough invocations to fill a
/// device. The fold is per replication, in order, so batch sizes change no output bit.
pub const GPU_BLOCK: u64 = 1 << 16;

/// Why a run produced no results.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("run cancelled")]
    Cancelled,
    #[error("cannot start {threads} worker threads: {message}")]
    ThreadPool { threads: usize, message: String },
    #[error("GPU engine, job '{series}' on cell {cell}: {message}")]
    Gpu { cell: String, series: String, message: String },
}

/// Runs every job for `cfg.reps` replications. `cancel` is polled between waves (and between GPU
/// batches and dispatches); a cancelled run
/// returns `EngineError::Cancelled`.
pub fn run(jobs: &[Job], cfg: &EngineConfig, cancel: Option<&AtomicBool>) -> Result<Vec<JobResult>, EngineError> {
    extend(jobs, cfg, None, cancel)
}

/// Continues `prior` — the results of these jobs over replications 0..r, as [`run`] or an
/// earlier `extend` left them — up to `cfg.reps` replications. Replications are folded in order,
/// so the result has the same bits as [`run`] with `cfg.reps` replications: a run can grow in
/// blocks until its intervals are narrow enough (`--precision`) without changing a number.
pub fn extend(
    jobs: &[Job],
    cfg: &EngineConfig,
    prior: Option<Vec<JobResult>>,
    cancel: Option<&AtomicBool>,
) -> Result<Vec<JobResult>, EngineError> {
    let threads = cfg.worker_threads();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| EngineError::ThreadPool { threads, message: e.to_string() })?;
    pool.install(|| run_in_pool(jobs, cfg, prior, threads, cancel))
}

/// Replications already folded into `results` (every job has the same number).
pub fn replications(results: &[JobResult]) -> u64 {
    results.first().and_then(|r| r.finals.first()).map_or(0, |f| f.len() as u64)
}

fn run_in_pool(
    jobs: &[Job],
    cfg: &EngineConfig,
    prior: Option<Vec<JobResult>>,
    threads: usize,
    cancel: Option<&AtomicBool>,
) -> Result<Vec<JobResult>, EngineError> {
    let grids: Vec<Vec<u64>> =
        jobs.iter().map(|j| j.sim.grid().unwrap_or_else(|| default_grid(j.sim.horizon()))).collect();
    let first = prior.as_deref().map_or(0, replications);
    assert!(
        prior.as_ref().is_none_or(
            |p| p.len() == jobs.len() && p.iter().zip(jobs).all(|(r, j)| r.cell == j.cell && r.series == j.series)
        ),
        "extend: the prior results are of other jobs"
    );
    assert!(first <= cfg.reps, "extend: {first} replications done, {} asked", cfg.reps);
    let mut results: Vec<JobResult> = prior.unwrap_or_else(|| fresh(jobs, &grids, cfg.reps));
    let reps = first..cfg.reps;

    let work: u64 =
        jobs.iter().fold(0u64, |w, j| w.saturating_add(j.sim.horizon().saturating_mul(reps.end - reps.start)));
    let bar = progress_bar(cfg.progress && work > 200_000_000, work);
    let gpu_keys: Vec<Option<String>> = jobs
        .iter()
        .map(|j| if cfg.kind == EngineKind::Gpu { j.sim.gpu().and_then(|g| g.batch_key()) } else { None })
        .collect();
    // The GPU's jobs and the CPU's are disjoint: each side folds into its own results, so the
    // GPU batches run on their own thread while the pool computes the CPU's jobs.
    let (mut on_gpu, mut on_cpu): (Vec<Option<&mut JobResult>>, Vec<Option<&mut JobResult>>) = results
        .iter_mut()
        .zip(&gpu_keys)
        .map(|(r, k)| if k.is_some() { (Some(r), None) } else { (None, Some(r)) })
        .unzip();
    let gpu_failed = AtomicBool::new(false);
    let (gpu, cpu) = std::thread::scope(|scope| {
        let gpu = gpu_keys.iter().any(Option::is_some).then(|| {
            let (grids, keys, bar, failed, reps) = (&grids, &gpu_keys, &bar, &gpu_failed, reps.clone());
            scope.spawn(move || {
                let r = run_gpu_batches(jobs, grids, keys, reps, cancel, bar, &mut on_gpu);
                if r.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                r
            })
        });
        let cpu = run_cpu_jobs(jobs, &grids, &gpu_keys, reps.clone(), threads, cancel, &gpu_failed, &bar, &mut on_cpu);
        (gpu.map(|h| h.join()), cpu)
    });
    match gpu {
        Some(Ok(Err(e))) => {
            bar.abandon();
            return Err(e);
        }
        // a panic on the GPU thread is the engine's panic, as it would be on the caller's thread
        Some(Err(panic)) => std::panic::resume_unwind(panic),
        Some(Ok(Ok(()))) | None => {}
    }
    if let Err(e) = cpu {
        bar.abandon();
        return Err(e);
    }
    bar.finish_and_clear();
    Ok(results)
}

/// Empty results for the jobs, with room for `reps` replications.
fn fresh(jobs: &[Job], grids: &[Vec<u64>], reps: u64) -> Vec<JobResult> {
    jobs.iter()
        .zip(grids)
        .map(|(j, g)| {
            let metrics = j.sim.metrics();
            let mut proportion = j.sim.proportions();
            proportion.resize(metrics.len(), false);
            JobResult {
                proportion,
                cell: j.cell.clone(),
                series: j.series.clone(),
                stats: vec![Welford::default(); metrics.len() * g.len()],
                finals: vec![Vec::with_capacity(reps as usize); metrics.len()],
                metrics,
                grid: g.clone(),
                seconds: 0.0,
            }
        })
        .collect()
}

/// Computes the jobs without a GPU batch key on the pool, in waves of blocks, each wave folded in
/// (job, replication) order. Stops when `cancel` is raised or the GPU side failed.
#[allow(clippy::too_many_arguments)]
fn run_cpu_jobs(
    jobs: &[Job],
    grids: &[Vec<u64>],
    keys: &[Option<String>],
    reps: std::ops::Range<u64>,
    threads: usize,
    cancel: Option<&AtomicBool>,
    gpu_failed: &AtomicBool,
    bar: &indicatif::ProgressBar,
    results: &mut [Option<&mut JobResult>],
) -> Result<(), EngineError> {
    // (job, first replication, count), in fold order.
    let mut items = Vec::new();
    for (j, _) in jobs.iter().enumerate().filter(|(j, _)| keys[*j].is_none()) {
        let mut r = reps.start;
        let block = jobs[j].sim.block().unwrap_or(BLOCK).max(1);
        while r < reps.end {
            let n = block.min(reps.end - r);
            items.push((j, r, n));
            r += n;
        }
    }
    let wave = (threads * 4).max(1);
    for chunk in items.chunks(wave) {
        if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) || gpu_failed.load(Ordering::Relaxed) {
            return Err(EngineError::Cancelled);
        }
        let metrics: Vec<usize> =
            chunk.iter().map(|&(j, _, _)| results[j].as_ref().map_or(0, |r| r.metrics.len())).collect();
        let compute = |(&(j, r0, n), &m): (&(usize, u64, u64), &usize)| -> (Vec<Trace>, f64) {
            let t0 = Instant::now();
            let mut traces = vec![Trace::new(m, grids[j].len()); n as usize];
            jobs[j].sim.run_block(r0, &grids[j], &mut traces);
            (traces, t0.elapsed().as_secs_f64())
        };
        let done: Vec<(Vec<Trace>, f64)> = if threads == 1 {
            chunk.iter().zip(&metrics).map(compute).collect()
        } else {
            chunk.par_iter().zip(&metrics).map(compute).collect()
        };
        for (&(j, _, n), (traces, secs)) in chunk.iter().zip(done) {
            fold(results[j].as_deref_mut().expect("a CPU job's result"), &traces, secs);
            bar.inc(n * jobs[j].sim.horizon());
        }
    }
    Ok(())
}

fn fold(res: &mut JobResult, traces: &[Trace], secs: f64) {
    res.seconds += secs;
    for tr in traces {
        for (w, &v) in res.stats.iter_mut().zip(&tr.values) {
            w.push(v);
        }
        for (f, &v) in res.finals.iter_mut().zip(&tr.finals) {
            f.push(v);
        }
    }
}

/// Runs the jobs that have a GPU kernel: jobs with the same batch key share batches of at most
/// [`GPU_BLOCK`] replications (a job larger than that spans several), so a sweep of many small
/// cells fills the device in few launches. Each job's replications are folded in order, so the
/// output is the same bits as on the CPU. A batch's time is shared among its jobs by their
/// replication-steps.
fn run_gpu_batches(
    jobs: &[Job],
    grids: &[Vec<u64>],
    keys: &[Option<String>],
    reps: std::ops::Range<u64>,
    cancel: Option<&AtomicBool>,
    bar: &indicatif::ProgressBar,
    results: &mut [Option<&mut JobResult>],
) -> Result<(), EngineError> {
    let mut order: Vec<&str> = Vec::new();
    for k in keys.iter().flatten() {
        if !order.contains(&k.as_str()) {
            order.push(k);
        }
    }
    let progress = |d: u64| bar.inc(d);
    let ctl = GpuControl { cancel, progress: &progress };
    for key in order {
        // (job, first replication, count) pieces in job order, packed into batches
        let mut batches: Vec<Vec<(usize, u64, u64)>> = vec![Vec::new()];
        let mut filled = 0;
        // Shorter horizons first: a batch's dispatches stop at the union of its cells' checkpoints,
        // so cells of one horizon together mean fewer readbacks. Fold order is per job, so the
        // order of jobs changes no output bit.
        let mut members: Vec<usize> = (0..jobs.len()).filter(|&j| keys[j].as_deref() == Some(key)).collect();
        members.sort_by_key(|&j| jobs[j].sim.horizon());
        for j in members {
            let mut r = reps.start;
            while r < reps.end {
                if filled == GPU_BLOCK {
                    batches.push(Vec::new());
                    filled = 0;
                }
                let n = (GPU_BLOCK - filled).min(reps.end - r);
                batches.last_mut().expect("one batch").push((j, r, n));
                filled += n;
                r += n;
            }
        }
        for batch in batches.iter().filter(|b| !b.is_empty()) {
            if ctl.cancelled() {
                return Err(EngineError::Cancelled);
            }
            let t0 = Instant::now();
            let mut traces: Vec<Vec<Trace>> = batch
                .iter()
                .map(|&(j, _, n)| {
                    vec![Trace::new(results[j].as_ref().map_or(0, |r| r.metrics.len()), grids[j].len()); n as usize]
                })
                .collect();
            // a batch holds only jobs whose capability gave its key
            let no_kernel = |j: usize| EngineError::Gpu {
                cell: jobs[j].cell.clone(),
                series: jobs[j].series.clone(),
                message: "in a GPU batch without a GPU kernel".into(),
            };
            let mut parts: Vec<GpuPart> = Vec::with_capacity(batch.len());
            for (&(j, r0, _), out) in batch.iter().zip(traces.iter_mut()) {
                parts.push(GpuPart {
                    gpu: jobs[j].sim.gpu().ok_or_else(|| no_kernel(j))?,
                    first_rep: r0,
                    grid: &grids[j],
                    out,
                });
            }
            let (lead, _, _) = batch[0];
            let lead_gpu = jobs[lead].sim.gpu().ok_or_else(|| no_kernel(lead))?;
            lead_gpu.run_batch(&mut parts, &ctl).map_err(|e| match e {
                GpuStop::Cancelled => EngineError::Cancelled,
                GpuStop::Failed(message) => {
                    let others = batch
                        .iter()
                        .map(|p| p.0)
                        .filter(|&j| j != lead)
                        .collect::<std::collections::BTreeSet<_>>()
                        .len();
                    let message = match others {
                        0 => message,
                        1 => format!("{message} (in a batch with 1 other job)"),
                        n => format!("{message} (in a batch with {n} other jobs)"),
                    };
                    EngineError::Gpu { cell: jobs[lead].cell.clone(), series: jobs[lead].series.clone(), message }
                }
            })?;
            let secs = t0.elapsed().as_secs_f64();
            let total: f64 = batch.iter().map(|&(j, _, n)| (n * jobs[j].sim.horizon()) as f64).sum::<f64>().max(1.0);
            for (&(j, _, n), tr) in batch.iter().zip(&traces) {
                fold(
                    results[j].as_deref_mut().expect("a GPU job's result"),
                    tr,
                    secs * (n * jobs[j].sim.horizon()) as f64 / total,
                );
            }
        }
    }
    Ok(())
}

fn progress_bar(show: bool, len: u64) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(Some(len), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:40} {percent}% of the replication-steps, eta {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Role, StreamId, cell_key, u32_to_open01};

    /// A random walk whose steps come from the counter stream: enough to test scheduling.
    struct Walk;
    impl Simulation for Walk {
        fn metrics(&self) -> Vec<String> {
            vec!["pos".into()]
        }
        fn horizon(&self) -> u64 {
            1000
        }
        fn run_block(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
            for (i, tr) in out.iter_mut().enumerate() {
                let id = StreamId::new(cell_key(3, 4), (first_rep + i as u64) as u32, Role::Env);
                record_steps(grid, tr, |emit| {
                    let mut x = 0.0;
                    for t in 1..=1000u64 {
                        x += u32_to_open01(id.word(t)) - 0.5;
                        emit(t, &[x]);
                    }
                });
            }
        }
    }

    fn run_with(kind: EngineKind, threads: usize) -> Vec<JobResult> {
        let jobs = vec![Job { cell: "c".into(), series: "walk".into(), sim: Box::new(Walk) }];
        let cfg = EngineConfig { kind, threads, reps: 300, progress: false };
        run(&jobs, &cfg, None).unwrap()
    }

    #[test]
    fn thread_count_does_not_change_a_bit() {
        let a = run_with(EngineKind::Serial, 1);
        for t in [2, 4] {
            let b = run_with(EngineKind::Rayon, t);
            assert_eq!(a[0].finals, b[0].finals);
            assert_eq!(a[0].stats, b[0].stats);
        }
        assert_eq!(a[0].finals[0].len(), 300);
    }

    #[test]
    fn extending_a_run_gives_the_bits_of_one_run() {
        let full = run_with(EngineKind::Rayon, 2);
        let jobs = vec![Job { cell: "c".into(), series: "walk".into(), sim: Box::new(Walk) }];
        // 100 (not a multiple of the block), then 300
        let mut part = None;
        for reps in [100, 300] {
            let cfg = EngineConfig { kind: EngineKind::Rayon, threads: 2, reps, progress: false };
            part = Some(extend(&jobs, &cfg, part, None).unwrap());
            assert_eq!(replications(part.as_ref().unwrap()), reps);
        }
        let part = part.unwrap();
        assert_eq!(part[0].finals, full[0].finals);
        assert_eq!(part[0].stats, full[0].stats);
    }

    #[test]
    fn cancelled_run_returns_none() {
        let jobs = vec![Job { cell: "c".into(), series: "walk".into(), sim: Box::new(Walk) }];
        let cfg = EngineConfig { kind: EngineKind::Serial, threads: 1, reps: 10, progress: false };
        let flag = AtomicBool::new(true);
        assert!(matches!(run(&jobs, &cfg, Some(&flag)), Err(EngineError::Cancelled)));
    }
}
