//! End to end on a real Slurm (single node, started by `.ci/run` with `.ci/slurm/start-slurm.sh`):
//! a sweep submitted as a job array with `regretlab slurm`, one task killed and requeued,
//! another killed and resubmitted from what `regretlab missing` reports, the merge job, and the
//! merged files compared byte for byte with a single-process run. Only result files are
//! trusted, never exit codes alone (Slurm can report COMPLETED for a script that never ran).
//!
//! Without Slurm on this machine the test is skipped, unless REGRETLAB_REQUIRE_SLURM=1 (set by
//! `.ci/run` once Slurm is up), which makes a missing Slurm a failure.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use regretlab::engine::EngineKind;

fn sh(cmd: &str) -> (bool, String) {
    let o = Command::new("bash").args(["-c", cmd]).output().unwrap();
    (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

fn slurm_up() -> bool {
    sh("command -v sbatch && sinfo -h -o %T").0
}

/// Waits until `cond` holds, polling every 250 ms, for at most `secs`.
fn wait(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !cond() {
        assert!(t0.elapsed() < Duration::from_secs(secs), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn state(task: &str) -> String {
    sh(&format!("squeue -h -j {task} -o %T")).1.trim().to_string()
}

/// The pid of the regretlab process of array task (job, task).
fn task_pid(job: &str, task: u32) -> Option<u32> {
    for e in std::fs::read_dir("/proc").ok()? {
        let p = e.ok()?.path();
        let Ok(pid) = p.file_name()?.to_string_lossy().parse::<u32>() else { continue };
        let (Ok(cmd), Ok(env)) = (std::fs::read(p.join("cmdline")), std::fs::read(p.join("environ"))) else { continue };
        let (cmd, env) = (String::from_utf8_lossy(&cmd), String::from_utf8_lossy(&env));
        if cmd.contains("regretlab")
            && cmd.contains("--shards")
            && env.split('\0').any(|v| v == format!("SLURM_ARRAY_JOB_ID={job}"))
            && env.split('\0').any(|v| v == format!("SLURM_ARRAY_TASK_ID={task}"))
        {
            return Some(pid);
        }
    }
    None
}

fn kill_task(job: &str, task: u32) {
    let id = format!("{job}_{task}");
    wait(120, &format!("task {id} to run"), || task_pid(job, task).is_some() || state(&id).is_empty());
    if let Some(pid) = task_pid(job, task) {
        sh(&format!("kill -9 {pid}"));
    }
}

#[test]
fn slurm_array_sweep_survives_killed_tasks() {
    if !slurm_up() {
        assert!(
            std::env::var("REGRETLAB_REQUIRE_SLURM").is_err(),
            "REGRETLAB_REQUIRE_SLURM is set but Slurm is not running"
        );
        // on the real stderr: the harness captures eprintln! of passing tests
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "tests/slurm.rs: skipped: no Slurm on this machine (.ci/run starts one)"
        );
        return;
    }
    let dir = tmp("slurm-e2e");
    let spec = dir.join("spec.toml");
    std::fs::create_dir_all(&dir).unwrap();
    let text = nine_cell_spec("slurm_e2e", 33, 20000);
    std::fs::write(&spec, &text).unwrap();
    let out = dir.join("run");
    let store: PathBuf = regretlab::results::cells::store_dir(&out);
    let _ = std::fs::remove_dir_all(&store);
    let _ = std::fs::remove_dir_all(&out);
    let bin = env!("CARGO_BIN_EXE_regretlab");
    let (ok, msg) = sh(&format!("{bin} slurm {} --shards 3 --out {} --time 00:10:00", spec.display(), out.display()));
    assert!(ok, "{msg}");
    let scripts = store.join("slurm");
    let array_script = std::fs::read_to_string(scripts.join("array.sbatch")).unwrap();
    assert!(array_script.contains("--shards 3") && array_script.contains("#SBATCH --requeue"));

    // submit the array; kill task 1 (FAILED) and requeue it; kill task 2 and let it end
    let (ok, job) = sh(&format!("sbatch --parsable --array=0-2 {}", scripts.join("array.sbatch").display()));
    assert!(ok, "{job}");
    let job = job.trim().split(';').next().unwrap().to_string();
    kill_task(&job, 1);
    wait(120, "task 1 to end", || state(&format!("{job}_1")).is_empty() || state(&format!("{job}_1")) == "PENDING");
    let (ok, msg) = sh(&format!("scontrol requeue {job}_1"));
    assert!(ok, "requeue: {msg}");
    kill_task(&job, 2);
    wait(300, "the array to finish", || state(&job).is_empty());

    // resubmit what `missing` reports (task 2's unfinished cells, if any)
    let (ok, left) = sh(&format!("{bin} missing {} --shards 3 --out {}", spec.display(), out.display()));
    assert!(ok, "{left}");
    let left = left.trim().to_string();
    let cells = |st: &Path| {
        std::fs::read_dir(st)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "cell"))
            .count()
    };
    if !left.is_empty() {
        assert!(cells(&store) < 9, "missing reports '{left}' but 9 cells are there");
        let (ok, msg) =
            sh(&format!("sbatch --parsable --wait --array={left} {}", scripts.join("array.sbatch").display()));
        assert!(ok, "resubmission: {msg}");
    }
    assert_eq!(cells(&store), 9, "cells after the resubmission");

    // the merge job, then the bytes
    let (ok, msg) = sh(&format!("sbatch --parsable --wait {}", scripts.join("merge.sbatch").display()));
    assert!(ok, "merge job: {msg}");
    let one = tmp("slurm-e2e-single");
    run_text(&text, one.clone(), EngineKind::Rayon, 2);
    for f in ["curves.csv", "final.csv", "summary.csv", "paired.csv", "overlays.csv"] {
        let (a, b) = (std::fs::read(one.join(f)).unwrap(), std::fs::read(out.join(f)).unwrap_or_default());
        assert!(a == b, "{f} differs from the single-process run");
    }
    // the logs show the requeue (restart count 1) and the kills
    let logs: String = std::fs::read_dir(scripts.join("logs"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
        .collect();
    assert!(logs.contains("restart=1"), "no requeued attempt in the logs:\n{logs}");
}
