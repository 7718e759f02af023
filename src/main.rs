//! The `regretlab` command line: argument parsing and reporting only; the work is in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use regretlab::engine::EngineKind;
use regretlab::experiment::{self, BUILTIN, DEFAULT_EXPERIMENT, RunOptions};
use regretlab::spec::Overrides;
use regretlab::text::{escape_controls, escape_controls_but_newlines};

#[derive(Parser)]
#[command(name = "regretlab", version, about = "Reproducible Monte Carlo for bandit and RL-theory experiments")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Args, Clone, Debug)]
struct RunArgs {
    /// Replications per cell (overrides the spec).
    #[arg(long, global = true, allow_negative_numbers = true)]
    reps: Option<i64>,
    /// Master seed (overrides the spec).
    #[arg(long, global = true)]
    seed: Option<u64>,
    /// Worker threads (0 = all cores). Output does not depend on it.
    #[arg(long, global = true, default_value_t = 0)]
    threads: usize,
    /// serial, rayon or gpu (jobs with a GPU kernel on the GPU, the rest on the CPU). Output
    /// does not depend on it.
    #[arg(long, global = true, value_enum, default_value_t = Engine::Rayon)]
    engine: Engine,
    /// Output folder (default results/<experiment>; runs/b1_quick for the default command, so
    /// that it never rewrites the committed results).
    #[arg(long, global = true)]
    out: Option<PathBuf>,
    /// Use the spec's reduced [quick] sizes.
    #[arg(long, global = true)]
    quick: bool,
    /// Add replications (64, then doubling, up to the spec's reps) until every final value's
    /// interval half-width is at most this (the spec's `precision`); the result equals a run
    /// with the number reached, which the manifest records.
    #[arg(long, global = true, allow_negative_numbers = true)]
    precision: Option<f64>,
    /// Implementation of batched kernels: auto, scalar, portable, avx2, avx512, avx512ifma. Output does
    /// not depend on it; the manifest records which ran.
    #[arg(long, global = true, default_value = "auto")]
    kernel: String,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Engine {
    Serial,
    Rayon,
    Gpu,
}

#[derive(Subcommand)]
enum Command {
    /// Run an experiment: a spec file, or the name of one in experiments/.
    Run {
        spec: String,
        /// Run only shard i of n (cells j with j mod n = i) into the cell store
        /// `<out>.cells/`; `merge` then writes the run folder. Reruns skip finished cells.
        #[arg(long, conflicts_with = "shards")]
        shard: Option<String>,
        /// As --shard, with i from SLURM_ARRAY_TASK_ID (n is never read from Slurm: it changes
        /// when only some tasks are resubmitted).
        #[arg(long)]
        shards: Option<usize>,
    },
    /// Join a cell store (results/<name>.cells) into the run folder; fails, naming them, when
    /// cells are missing.
    Merge { store: PathBuf },
    /// Write a Slurm job array for the sweep (array.sbatch, merge.sbatch chained with afterany,
    /// submit.sh) into <out>.cells/slurm/, and with --submit submit it.
    Slurm {
        spec: String,
        #[arg(long)]
        shards: usize,
        #[arg(long)]
        partition: Option<String>,
        /// Wall-clock limit per task (Slurm's syntax).
        #[arg(long, default_value = "01:00:00")]
        time: String,
        /// Memory per task (Slurm's syntax, e.g. 4G).
        #[arg(long)]
        mem: Option<String>,
        /// CPUs per task (also the run's --threads).
        #[arg(long, default_value_t = 1)]
        cpus: usize,
        /// At most this many tasks at once.
        #[arg(long)]
        max_parallel: Option<usize>,
        /// Submit with sbatch after writing.
        #[arg(long)]
        submit: bool,
    },
    /// Print the shards (of n) that still have cells without a valid result, in Slurm's
    /// --array syntax (empty when the sweep is complete).
    Missing {
        spec: String,
        #[arg(long)]
        shards: usize,
    },
    /// List the built-in experiments.
    List,
    /// The GPU check for a device machine (B1: K = 10 Bernoulli arms, UCB1, T = 10,000):
    /// every one of --check replications bit-identical on the GPU and the CPU, then B1 pulls/s
    /// at --gpu-reps with aggregate readback (both shader layouts), and the CPU lanes on all
    /// cores, with their ratio. Builds nothing; `benches/gpu_device.sh` runs it on the device.
    GpuBench {
        #[arg(long, default_value_t = 65_536)]
        check: usize,
        #[arg(long, default_value_t = 1 << 20)]
        gpu_reps: usize,
        #[arg(long, default_value_t = 65_536)]
        cpu_reps: usize,
    },
    /// Check a paper's claims (claims/<paper>.toml) and write its claims report, Markdown and
    /// self-contained HTML, into --out. Runs the experiments the claims read (full size, or
    /// --quick) into <out>/runs/ (default out: runs/reproduce), unless --from names a folder of
    /// finished runs (default out: reports, where the committed reports live).
    Reproduce {
        /// A paper of the registry (cascading_rl, dp_bai, mdpo, sea_oomd, …) or `all`.
        paper: String,
        /// Read the runs under this folder (<from>/<experiment>/, e.g. results) instead of
        /// running the experiments.
        #[arg(long)]
        from: Option<PathBuf>,
    },
    /// How a metric scales with one variable: run the spec, fit the exponent of the spec's
    /// [rate] law along --over (T, or a name=value parameter of the cells' or series' labels)
    /// with a bootstrap interval over replications, compare it with the theorem's, and write
    /// rate.md, rate.csv, rate.json and a figure into --out (default results/<name>_rate).
    Rate {
        spec: String,
        /// The variable: T, or a parameter of the labels (K, d, H, N, epsilon, …).
        #[arg(long)]
        over: Option<String>,
        /// The metric (default: the setting's first).
        #[arg(long)]
        metric: Option<String>,
        /// power, log or exponential.
        #[arg(long)]
        law: Option<String>,
        /// The theorem's exponent (the rate for `exponential`).
        #[arg(long, allow_negative_numbers = true)]
        exponent: Option<f64>,
    },
    /// Redraw a run's figures from its CSVs.
    Plot { dir: PathBuf },
    /// Obtain a data set that may not be redistributed: `movielens` downloads the recbole 1.2.1
    /// wheel with pip and extracts MovieLens-100K into the cache (or --dir).
    Data {
        #[arg(value_parser = ["movielens"])]
        name: String,
        /// Folder to put the files in (default: $REGRETLAB_DATA/ml-100k, else ~/.cache/regretlab/ml-100k).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

fn run_options(a: &RunArgs, progress: bool) -> RunOptions {
    RunOptions {
        engine: match a.engine {
            Engine::Serial => EngineKind::Serial,
            Engine::Rayon => EngineKind::Rayon,
            Engine::Gpu => EngineKind::Gpu,
        },
        threads: a.threads,
        out: a.out.clone(),
        progress,
        kernel: a.kernel.clone(),
    }
}

fn run(spec: &str, a: &RunArgs) -> anyhow::Result<()> {
    let file = experiment::load(spec).with_context(|| format!("loading experiment '{spec}'"))?;
    let ov = Overrides { reps: a.reps, seed: a.seed, quick: a.quick, precision: a.precision };
    let opts = run_options(a, true);
    let rep = experiment::run(file, &ov, &opts, None).with_context(|| format!("running experiment '{spec}'"))?;
    for n in &rep.notes {
        eprintln!("note: {}", escape_controls(n));
    }
    println!("{}", rep.table);
    println!("wall time {:.2} s", rep.wall_seconds);
    println!("table:   {}", rep.dir.join("table.md").display());
    println!("curves:  {}", rep.dir.join("curves.csv").display());
    for f in &rep.figures {
        println!("figure:  {}", f.display());
    }
    figure_errors(&rep)
}

fn rate(spec: &str, rov: &regretlab::rate::RateOverrides, a: &RunArgs) -> anyhow::Result<()> {
    let file = experiment::load(spec).with_context(|| format!("loading experiment '{spec}'"))?;
    let ov = Overrides { reps: a.reps, seed: a.seed, quick: a.quick, precision: None };
    let mut command = format!("regretlab rate {spec}");
    for (flag, v) in [("--over", &rov.over), ("--metric", &rov.metric), ("--law", &rov.law)] {
        if let Some(v) = v {
            command += &format!(" {flag} {v}");
        }
    }
    if let Some(e) = rov.exponent {
        command += &format!(" --exponent {e}");
    }
    if a.quick {
        command += " --quick";
    }
    let r = regretlab::rate::rate(file, &ov, rov, a.threads, a.out.clone(), &command)
        .with_context(|| format!("fitting the rate of '{spec}'"))?;
    println!("{}", r.table);
    for f in &r.files {
        println!("wrote:   {}", f.display());
    }
    Ok(())
}

fn reproduce(paper: &str, from: Option<&std::path::Path>, a: &RunArgs) -> anyhow::Result<()> {
    let ov = Overrides { reps: a.reps, seed: a.seed, quick: a.quick, precision: a.precision };
    // The committed reports come from the committed runs; a fresh reproduction goes where runs go.
    let out = a.out.clone().unwrap_or_else(|| PathBuf::from(if from.is_some() { "reports" } else { "runs/reproduce" }));
    let mut command = format!("regretlab reproduce {paper}");
    if let Some(f) = from {
        command += &format!(" --from {}", f.display());
    }
    if a.quick {
        command += " --quick";
    }
    command += &format!(" --out {}", out.display());
    let reports = experiment::reproduce(paper, from, &out, &ov, &run_options(a, true), &command)
        .with_context(|| format!("reproducing the claims of '{paper}'"))?;
    for r in &reports {
        println!("{}:", r.paper);
        for (id, v) in &r.verdicts {
            println!("  {id}: {v}");
        }
        println!("  report: {} and {}", r.markdown.display(), r.html.display());
    }
    Ok(())
}

/// A run whose figures failed still wrote its CSVs: say so, and fail.
fn figure_errors(rep: &experiment::RunReport) -> anyhow::Result<()> {
    if rep.figure_errors.is_empty() {
        return Ok(());
    }
    for e in &rep.figure_errors {
        eprintln!("figure failed: {}", escape_controls(e));
    }
    anyhow::bail!(
        "{} figure(s) could not be drawn; the CSVs, the table and the other figures are in {}",
        rep.figure_errors.len(),
        rep.dir.display()
    )
}

#[cfg(feature = "gpu")]
fn gpu_bench(check: usize, gpu_reps: usize, cpu_reps: usize) -> anyhow::Result<()> {
    use rayon::prelude::*;
    use regretlab::engine::Trace;
    use regretlab::kernels::KernelChoice;
    use regretlab::kernels::bandit::gpu::GpuLayout;
    use regretlab::kernels::bandit::{FixedKernel, FixedRule};
    use regretlab::settings::bandit::arms::Arm;
    use std::time::Instant;
    const T: u64 = 10_000;
    let ctx = regretlab::gpu::context().context("gpu-bench needs a GPU adapter")?;
    println!(
        "adapter: {} (SHADER_INT64: {}, workgroup memory {} B, storage binding {} B)",
        ctx.adapter,
        ctx.int64,
        ctx.limits.max_compute_workgroup_storage_size,
        ctx.max_binding()
    );
    let arms: Vec<Arm> =
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.85].iter().map(|&p| Arm::Bernoulli { p }).collect();
    let kern = FixedKernel::new(&arms, T, FixedRule::Ucb1 { alpha: 2.0 }, regretlab::rng::cell_key(1, 1));
    let threads = rayon::current_num_threads();
    let cpu = |reps: usize, grid: &[u64]| {
        let mut out = vec![Trace::new(3, grid.len()); reps];
        out.par_chunks_mut(64)
            .enumerate()
            .for_each(|(c, o)| kern.run_block(KernelChoice::Auto, (c * 64) as u64, grid, o));
        out
    };
    // 1. identity, replication by replication, on the default checkpoint grid
    let grid = regretlab::engine::default_grid(T);
    let want = cpu(check, &grid);
    for layout in [GpuLayout::Arrays, GpuLayout::Unrolled] {
        let mut got = vec![Trace::new(3, grid.len()); check];
        kern.run_block_gpu_layout(ctx.int64, layout, 0, &grid, &mut got)?;
        let same = want.iter().zip(&got).filter(|(a, b)| a.values == b.values && a.finals == b.finals).count();
        println!("identity ({layout:?}): {same} of {check} replications bit-identical to the CPU");
        anyhow::ensure!(same == check, "the GPU differs from the CPU");
    }
    // 2. B1 pulls/s end to end with aggregate readback (a warm-up compiles the pipelines)
    let pulls = (gpu_reps as u64 * T) as f64;
    let mut best = 0.0f64;
    for layout in [GpuLayout::Arrays, GpuLayout::Unrolled] {
        kern.run_totals_gpu(ctx.int64, layout, 0, 4096)?;
        let t0 = Instant::now();
        let tot = kern.run_totals_gpu(ctx.int64, layout, 0, gpu_reps)?;
        let secs = t0.elapsed().as_secs_f64();
        best = best.max(pulls / secs);
        let regret: f64 = tot
            .pulls
            .iter()
            .zip([0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0, 0.05])
            .map(|(&n, d)| n as f64 * d)
            .sum::<f64>()
            / gpu_reps as f64;
        println!(
            "gpu ({layout:?}, aggregate readback): R = {gpu_reps}, {secs:.3} s, {:.3e} pulls/s end to end, {:.3e} pulls/s until the device was idle, mean pseudo-regret {regret:.3}",
            pulls / secs,
            pulls / tot.compute_seconds
        );
    }
    // 3. the CPU lanes on every core, one checkpoint
    let t0 = Instant::now();
    cpu(cpu_reps, &[T]);
    let cpu_rate = (cpu_reps as u64 * T) as f64 / t0.elapsed().as_secs_f64();
    println!("cpu lanes ({}, {threads} threads): R = {cpu_reps}, {cpu_rate:.3e} pulls/s", FixedKernel::isa());
    println!("ratio gpu / cpu: {:.1}", best / cpu_rate);
    Ok(())
}

#[cfg(not(feature = "gpu"))]
fn gpu_bench(_check: usize, _gpu_reps: usize, _cpu_reps: usize) -> anyhow::Result<()> {
    anyhow::bail!("this build has no GPU engine (built without the `gpu` feature)")
}

fn run_shard(spec: &str, shard: Option<&str>, shards: Option<usize>, a: &RunArgs) -> anyhow::Result<()> {
    let shard = match (shard, shards) {
        (Some(s), _) => experiment::Shard::parse(s)?,
        (None, Some(n)) => {
            let id = std::env::var("SLURM_ARRAY_TASK_ID")
                .context("--shards needs SLURM_ARRAY_TASK_ID (or use --shard i/n)")?;
            let i: usize =
                id.trim().parse().with_context(|| format!("SLURM_ARRAY_TASK_ID = {id:?} is not a shard number"))?;
            experiment::Shard::new(i, n)
                .with_context(|| format!("SLURM_ARRAY_TASK_ID = {i} is not below --shards {n}"))?
        }
        (None, None) => unreachable!("called for sharded runs only"),
    };
    let file = experiment::load(spec).with_context(|| format!("loading experiment '{spec}'"))?;
    let ov = Overrides { reps: a.reps, seed: a.seed, quick: a.quick, precision: a.precision };
    let opts = run_options(a, false);
    // SIGTERM (what Slurm sends before its time limit) and Ctrl-C: abandon the cell in flight
    // at the engine's next wave and keep every completed cell.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, std::sync::atomic::Ordering::Relaxed))
        .context("installing the SIGTERM handler")?;
    let rep = experiment::run_shard(file, &ov, &opts, shard, Some(&stop))
        .with_context(|| format!("running shard {}/{} of '{spec}'", shard.index, shard.count))?;
    println!(
        "shard {}/{}: {} cell(s) computed, {} skipped (valid result present), {} recomputed",
        shard.index,
        shard.count,
        rep.computed.len(),
        rep.skipped.len(),
        rep.recomputed.len()
    );
    for (label, why) in &rep.recomputed {
        println!("recomputed '{label}': {why}");
    }
    println!("store:   {}", rep.store.display());
    if rep.cancelled {
        anyhow::bail!("stopped by a signal; completed cells are kept in {}", rep.store.display());
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn slurm(
    spec: &str,
    shards: usize,
    partition: &Option<String>,
    time: &str,
    mem: &Option<String>,
    cpus: usize,
    max_parallel: Option<usize>,
    submit: bool,
    a: &RunArgs,
) -> anyhow::Result<()> {
    if !(1..=100_000).contains(&shards) {
        anyhow::bail!("--shards = {shards}; allowed: 1 ..= 100000");
    }
    let file = experiment::load(spec).with_context(|| format!("loading experiment '{spec}'"))?;
    let ov = Overrides { reps: a.reps, seed: a.seed, quick: a.quick, precision: a.precision };
    let mut run_flags = Vec::new();
    if let Some(r) = a.reps {
        run_flags.extend(["--reps".to_string(), r.to_string()]);
    }
    if let Some(s) = a.seed {
        run_flags.extend(["--seed".to_string(), s.to_string()]);
    }
    if a.quick {
        run_flags.push("--quick".into());
    }
    let so = experiment::SlurmOptions {
        partition: partition.clone(),
        time: time.to_string(),
        mem: mem.clone(),
        cpus,
        max_parallel,
        run_flags,
    };
    let dir = experiment::slurm_scripts(spec, file, &ov, &a.out, shards, &so)
        .with_context(|| format!("writing the Slurm scripts of '{spec}'"))?;
    println!("array:   {}", dir.join("array.sbatch").display());
    println!("merge:   {}", dir.join("merge.sbatch").display());
    println!("submit:  bash {}", dir.join("submit.sh").display());
    if submit {
        let st = std::process::Command::new("bash")
            .arg(dir.join("submit.sh"))
            .status()
            .context("running submit.sh (is sbatch on PATH?)")?;
        if !st.success() {
            anyhow::bail!("submit.sh failed: {st}");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match &cli.command {
        None => {
            let mut a = cli.run.clone();
            a.out.get_or_insert_with(|| PathBuf::from("runs").join(DEFAULT_EXPERIMENT));
            run(DEFAULT_EXPERIMENT, &a)
        }
        Some(Command::Run { spec, shard: None, shards: None }) => run(spec, &cli.run),
        Some(Command::Run { spec, shard, shards }) => run_shard(spec, shard.as_deref(), *shards, &cli.run),
        Some(Command::Merge { store }) => experiment::merge(store, cli.run.out.clone())
            .with_context(|| format!("merging {}", store.display()))
            .and_then(|rep| {
                println!("{}", rep.table);
                println!("table:   {}", rep.dir.join("table.md").display());
                for f in &rep.figures {
                    println!("figure:  {}", f.display());
                }
                figure_errors(&rep)
            }),
        Some(Command::Slurm { spec, shards, partition, time, mem, cpus, max_parallel, submit }) => {
            slurm(spec, *shards, partition, time, mem, *cpus, *max_parallel, *submit, &cli.run)
        }
        Some(Command::Missing { spec, shards }) => experiment::load(spec)
            .and_then(|file| {
                experiment::missing(
                    file,
                    &Overrides {
                        reps: cli.run.reps,
                        seed: cli.run.seed,
                        quick: cli.run.quick,
                        precision: cli.run.precision,
                    },
                    &cli.run.out,
                    *shards,
                )
            })
            .with_context(|| format!("checking the cells of '{spec}'"))
            .map(|(_, array)| println!("{array}")),
        Some(Command::List) => {
            for (name, text) in BUILTIN {
                let title = regretlab::spec::parse(text, name).ok().and_then(|s| s.title).unwrap_or_default();
                println!("{name:<20} {title}");
            }
            Ok(())
        }
        Some(Command::GpuBench { check, gpu_reps, cpu_reps }) => gpu_bench(*check, *gpu_reps, *cpu_reps),
        Some(Command::Data { name: _, dir }) => {
            let dir = dir.clone().unwrap_or_else(regretlab::settings::cascading::movielens::default_dir);
            regretlab::settings::cascading::movielens::fetch(&dir)
                .and_then(|()| {
                    regretlab::settings::cascading::movielens::load(&dir).map(|d| {
                        println!(
                            "MovieLens-100K: {} ratings, {} movies in {}",
                            d.ratings.len(),
                            d.genres.len(),
                            dir.display()
                        )
                    })
                })
                .with_context(|| format!("fetching MovieLens-100K into {}", dir.display()))
        }
        Some(Command::Reproduce { paper, from }) => reproduce(paper, from.as_deref(), &cli.run),
        Some(Command::Rate { spec, over, metric, law, exponent }) => {
            let rov = regretlab::rate::RateOverrides {
                over: over.clone(),
                metric: metric.clone(),
                law: law.clone(),
                exponent: *exponent,
            };
            rate(spec, &rov, &cli.run)
        }
        Some(Command::Plot { dir }) => {
            experiment::redraw(dir).with_context(|| format!("redrawing {}", dir.display())).map(|(files, notes)| {
                for n in notes {
                    eprintln!("note: {}", escape_controls(&n));
                }
                for f in files {
                    println!("figure:  {}", f.display());
                }
            })
        }
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", escape_controls_but_newlines(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}
