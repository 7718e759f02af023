//! Workload B1 side by side, in one run on one machine: regretlab's batched kernel, its scalar
//! fixed-point reference and the f64 path, on 1 and 2 threads, and the numpy anchor
//! (`../shared/anchors/b1_numpy.py`, when python3 with numpy and the anchors are present).
//!
//! Reports pulls per wall-second and per CPU-second (process CPU time from getrusage), as the
//! README's benchmark table does. `cargo bench --bench b1_side_by_side -- [reps]`.

use std::time::Instant;

use regretlab::engine::{self, EngineConfig, EngineKind, Job, Simulation};
use regretlab::kernels::Isa;
use regretlab::kernels::bandit::{FixedKernel, FixedRule};
use regretlab::rng::cell_key;
use regretlab::settings::bandit::arms::Arm;
use regretlab::settings::bandit::sim::{BanditSim, PolicyConfig};

const B1: [f64; 10] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.85];
const T: u64 = 10_000;

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut ru: libc_rusage = unsafe { std::mem::zeroed() };
    unsafe { getrusage(0, &mut ru) };
    let tv = |s: i64, us: i64| s as f64 + us as f64 * 1e-6;
    tv(ru.utime_s, ru.utime_us) + tv(ru.stime_s, ru.stime_us)
}

#[repr(C)]
struct libc_rusage {
    utime_s: i64,
    utime_us: i64,
    stime_s: i64,
    stime_us: i64,
    rest: [i64; 14],
}

unsafe extern "C" {
    fn getrusage(who: i32, usage: *mut libc_rusage) -> i32;
}

/// The fixed-point kernel on a chosen path: one lane ISA, or the scalar reference (`None`).
struct OnPath(FixedKernel, Option<Isa>);
impl Simulation for OnPath {
    fn metrics(&self) -> Vec<String> {
        vec!["pseudo_regret".into(), "realised_regret".into(), "optimal_fraction".into()]
    }
    fn horizon(&self) -> u64 {
        self.0.horizon
    }
    fn run_block(&self, r0: u64, grid: &[u64], out: &mut [engine::Trace]) {
        match self.1 {
            Some(isa) => self.0.run_block_on(isa, r0, grid, out),
            None => self.0.run_scalar(r0, grid, out),
        }
    }
}

fn measure(name: &str, sim: Box<dyn Simulation>, reps: u64, threads: usize) {
    measure_t(name, sim, reps, threads, T)
}

fn measure_t(name: &str, sim: Box<dyn Simulation>, reps: u64, threads: usize, horizon: u64) {
    let jobs = vec![Job { cell: "b1".into(), series: name.into(), sim }];
    let cfg = EngineConfig { kind: EngineKind::Rayon, threads, reps, progress: false };
    let (c0, w0) = (cpu_seconds(), Instant::now());
    let res = engine::run(&jobs, &cfg, None).unwrap();
    let (cpu, wall) = (cpu_seconds() - c0, w0.elapsed().as_secs_f64());
    let pulls = (reps * horizon) as f64;
    let f = &res[0].finals[0];
    let mean = f.iter().sum::<f64>() / f.len() as f64;
    println!("| regretlab {name} | {threads} | {reps} | {:.2e} | {:.2e} | {mean:.2} |", pulls / wall, pulls / cpu);
}

fn main() {
    let reps: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(65_536);
    let arms: Vec<Arm> = B1.iter().map(|&p| Arm::Bernoulli { p }).collect();
    let key = cell_key(12345, 0);
    let kern = || FixedKernel::new(&arms, T, FixedRule::Ucb1 { alpha: 2.0 }, key);
    println!("B1 (K = 10, UCB1, T = {T}); lane kernel ISA: {}", FixedKernel::isa());
    println!("| system | threads | R | pulls/s (wall) | pulls/CPU-s | mean final pseudo-regret |");
    println!("|---|---:|---:|---:|---:|---:|");
    for threads in [1, 2] {
        measure(
            &format!("batched fixed-point, {}", FixedKernel::isa()),
            Box::new(BanditSim::new(arms.clone(), T, key, PolicyConfig::Ucb1 { alpha: 2.0 }, 0, Some(kern()))),
            reps,
            threads,
        );
    }
    for isa in Isa::available().into_iter().skip(1) {
        measure(&format!("batched fixed-point, {}", isa.name()), Box::new(OnPath(kern(), Some(isa))), reps / 4, 1);
    }
    for threads in [1, 2] {
        measure("scalar fixed-point", Box::new(OnPath(kern(), None)), reps / 8, threads);
    }
    for threads in [1, 2] {
        measure(
            "scalar f64",
            Box::new(BanditSim::new(arms.clone(), T, key, PolicyConfig::Ucb1 { alpha: 2.0 }, 0, None)),
            reps / 8,
            threads,
        );
    }
    // Long horizons on the batched kernel (exact up to T < 2^25), one thread.
    println!();
    println!(
        "| batched fixed-point, long horizons | threads | R | pulls/s (wall) | pulls/CPU-s | mean final pseudo-regret |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (horizon, r) in [(100_000u64, 1024u64), (1_000_000, 256), (10_000_000, 32)] {
        let k = FixedKernel::new(&arms, horizon, FixedRule::Ucb1 { alpha: 2.0 }, key);
        measure_t(&format!("T = {horizon}"), Box::new(OnPath(k, Some(Isa::selected()))), r, 1, horizon);
    }
    println!();
    for (script, label, args) in [
        ("b1_numpy.py", "numpy, vectorised (b1_numpy.py)", ["--reps", "20000", "--batch", "2000"]),
        ("b1_jax.py", "JAX on CPU, float32 (b1_jax.py)", ["--reps", "40000", "--batch", "2000"]),
    ] {
        anchor(script, label, &args);
    }
}

/// Runs one of `../shared/anchors/` single-threaded and prints its row (or why it did not run).
fn anchor(script: &str, label: &str, args: &[&str]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/anchors").join(script);
    if !path.exists() {
        println!("| {label} | - | - | not run: {} not found | | |", path.display());
        return;
    }
    let out = std::process::Command::new("python3")
        .arg(&path)
        .args(args)
        .env_remove("OPENBLAS_CORETYPE")
        .env_remove("OPENBLAS_L2_SIZE")
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
        .env("JAX_PLATFORMS", "cpu")
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let s = String::from_utf8_lossy(&o.stdout);
            let v: serde_json::Value = serde_json::from_str(s.lines().last().unwrap_or("{}")).unwrap_or_default();
            println!(
                "| {label} | 1 | {} | {:.2e} | {:.2e} | {} |",
                v["R"],
                v["pulls_per_s"].as_f64().unwrap_or(0.0),
                v["pulls_per_cpu_s"].as_f64().unwrap_or(0.0),
                v["regret_mean"]
            );
        }
        Ok(o) => println!(
            "| {label} | - | - | not run: {} | | |",
            String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("failed")
        ),
        Err(e) => println!("| {label} | - | - | not run: {e} | | |"),
    }
}
