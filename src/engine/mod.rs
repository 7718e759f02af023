//! The Monte Carlo runner: replications in parallel, checkpoints, streaming aggregation, progress.
//!
//! The engine owns the loop over replications, the thread pool and the fold of per-replication
//! traces into summary statistics; a setting owns only its model and algorithms, behind
//! [`Simulation`]. The engine never knows which setting runs.
//!
//! Determinism: work is cut into blocks of replications, blocks are computed in parallel in
//! waves, and every wave is folded in (job, replication) order. The float operations are then the
//! same whatever the thread count, so output is byte-identical for 1, 2 or 64 threads.

pub mod grid;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use crate::stats::Welford;
pub use grid::{checkpoint_grid, default_grid};

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
    /// Whether [`Self::run_block_gpu`] runs this simulation on the GPU.
    fn has_gpu(&self) -> bool {
        false
    }
    /// The GPU twin of [`Self::run_block`], with the same output bits; an error message when the
    /// device fails or a result breaks its invariants.
    fn run_block_gpu(&self, _first_rep: u64, _grid: &[u64], _out: &mut [Trace]) -> Result<(), String> {
        Err("no GPU kernel".into())
    }
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
    /// Jobs with a GPU kernel run on the GPU in large blocks; the others on the rayon pool.
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
            (EngineKind::Rayon | EngineKind::Gpu, 0) => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
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

/// Replications per block of a job that runs on the GPU: enough invocations to fill a device.
/// The fold is per replication, in order, so block sizes change no output bit.
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

/// Runs every job for `cfg.reps` replications. `cancel` is polled between waves; a cancelled run
/// returns `EngineError::Cancelled`.
pub fn run(jobs: &[Job], cfg: &EngineConfig, cancel: Option<&AtomicBool>) -> Result<Vec<JobResult>, EngineError> {
    let threads = cfg.worker_threads();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| EngineError::ThreadPool { threads, message: e.to_string() })?;
    pool.install(|| run_in_pool(jobs, cfg, threads, cancel))
}

fn run_in_pool(jobs: &[Job], cfg: &EngineConfig, threads: usize, cancel: Option<&AtomicBool>) -> Result<Vec<JobResult>, EngineError> {
    let grids: Vec<Vec<u64>> = jobs.iter().map(|j| j.sim.grid().unwrap_or_else(|| default_grid(j.sim.horizon()))).collect();
    let mut results: Vec<JobResult> = jobs
        .iter()
        .zip(&grids)
        .map(|(j, g)| {
            let metrics = j.sim.metrics();
            let mut proportion = j.sim.proportions();
            proportion.resize(metrics.len(), false);
            JobResult {
                proportion,
                cell: j.cell.clone(),
                series: j.series.clone(),
                stats: vec![Welford::default(); metrics.len() * g.len()],
                finals: vec![Vec::with_capacity(cfg.reps as usize); metrics.len()],
                metrics,
                grid: g.clone(),
                seconds: 0.0,
            }
        })
        .collect();

    // (job, first replication, count), in fold order.
    let mut items = Vec::new();
    for (j, job) in jobs.iter().enumerate() {
        let mut r = 0;
        let on_gpu = cfg.kind == EngineKind::Gpu && job.sim.has_gpu();
        let block = if on_gpu { GPU_BLOCK } else { BLOCK };
        while r < cfg.reps {
            let n = block.min(cfg.reps - r);
            items.push((j, r, n));
            r += n;
        }
    }
    let work: u64 = jobs.iter().fold(0u64, |w, j| w.saturating_add(j.sim.horizon().saturating_mul(cfg.reps)));
    let bar = progress_bar(cfg.progress && work > 200_000_000, items.len() as u64);

    let wave = (threads * 4).max(1);
    for chunk in items.chunks(wave) {
        if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            bar.abandon();
            return Err(EngineError::Cancelled);
        }
        let compute = |&(j, r0, n): &(usize, u64, u64)| -> Result<(Vec<Trace>, f64), EngineError> {
            let t0 = Instant::now();
            let (m, c) = (results[j].metrics.len(), grids[j].len());
            let mut traces = vec![Trace::new(m, c); n as usize];
            if cfg.kind == EngineKind::Gpu && jobs[j].sim.has_gpu() {
                jobs[j].sim.run_block_gpu(r0, &grids[j], &mut traces).map_err(|message| EngineError::Gpu { cell: jobs[j].cell.clone(), series: jobs[j].series.clone(), message })?;
            } else {
                jobs[j].sim.run_block(r0, &grids[j], &mut traces);
            }
            Ok((traces, t0.elapsed().as_secs_f64()))
        };
        let done: Vec<Result<(Vec<Trace>, f64), EngineError>> = if threads == 1 {
            chunk.iter().map(compute).collect()
        } else {
            chunk.par_iter().map(compute).collect()
        };
        for (&(j, _, _), item) in chunk.iter().zip(done) {
            let (traces, secs) = item?;
            let res = &mut results[j];
            res.seconds += secs;
            for tr in &traces {
                for (w, &v) in res.stats.iter_mut().zip(&tr.values) {
                    w.push(v);
                }
                for (f, &v) in res.finals.iter_mut().zip(&tr.finals) {
                    f.push(v);
                }
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    Ok(results)
}

fn progress_bar(show: bool, len: u64) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(Some(len), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} blocks, eta {eta}") {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{StreamId, cell_key, Role, u32_to_open01};

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
                let mut x = 0.0;
                let mut c = 0;
                for t in 1..=1000u64 {
                    x += u32_to_open01(id.word(t)) - 0.5;
                    if grid[c] == t {
                        tr.values[c] = x;
                        c += 1;
                    }
                }
                tr.finals[0] = x;
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
    fn cancelled_run_returns_none() {
        let jobs = vec![Job { cell: "c".into(), series: "walk".into(), sim: Box::new(Walk) }];
        let cfg = EngineConfig { kind: EngineKind::Serial, threads: 1, reps: 10, progress: false };
        let flag = AtomicBool::new(true);
        assert!(matches!(run(&jobs, &cfg, Some(&flag)), Err(EngineError::Cancelled)));
    }
}
