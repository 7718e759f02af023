//! Sharded runs: a cell store filled by any number of shards, in any order, killed and rerun,
//! merges into the bytes of a single-process run; damaged cell files are found and recomputed;
//! `missing` names the shards to resubmit.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;

use regretlab::engine::EngineKind;
use regretlab::experiment::{RunOptions, Shard, merge, missing, run_shard};
use regretlab::spec::{Overrides, parse};

/// 3 instances × 3 horizons = 9 cells.
fn spec_text() -> String {
    nine_cell_spec("shards", 21, 300)
}

const FILES: [&str; 5] = ["curves.csv", "final.csv", "summary.csv", "paired.csv", "overlays.csv"];

fn opts(out: &Path) -> RunOptions {
    RunOptions {
        engine: EngineKind::Rayon,
        threads: 2,
        out: Some(out.to_path_buf()),
        progress: false,
        kernel: "auto".into(),
    }
}

fn store(out: &Path) -> PathBuf {
    regretlab::results::cells::store_dir(out)
}

fn same(a: &Path, b: &Path) {
    for f in FILES {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}: {} vs {}",
            a.display(),
            b.display()
        );
    }
}

fn single(name: &str, text: &str) -> PathBuf {
    let d = tmp(name);
    run_text(text, d.clone(), EngineKind::Serial, 1);
    d
}

#[test]
fn merged_shards_equal_a_single_process_run() {
    let one = single("shards-single", &spec_text());
    for n in [1usize, 3, 7] {
        let out = tmp(&format!("shards-{n}"));
        let _ = std::fs::remove_dir_all(store(&out));
        // shards in reverse order: the layout and order never change a number
        for i in (0..n).rev() {
            let rep = run_shard(
                parse(&spec_text(), "t").unwrap(),
                &Overrides::default(),
                &opts(&out),
                Shard::new(i, n).unwrap(),
                None,
            )
            .unwrap();
            assert!(rep.skipped.is_empty() && !rep.cancelled);
        }
        merge(&store(&out), Some(out.clone())).unwrap();
        same(&one, &out);
    }
}

#[test]
fn damaged_cells_are_recomputed_and_missing_shards_are_named() {
    let one = single("shards-single-2", &spec_text());
    let out = tmp("shards-damage");
    let st = store(&out);
    let _ = std::fs::remove_dir_all(&st);
    let run = |i: usize, n: usize| {
        run_shard(
            parse(&spec_text(), "t").unwrap(),
            &Overrides::default(),
            &opts(&out),
            Shard::new(i, n).unwrap(),
            None,
        )
        .unwrap()
    };
    // only shards 0 and 2 of 4: missing names 1 and 3, and merge refuses, naming the gaps
    run(0, 4);
    run(2, 4);
    let (shards, array) =
        missing(parse(&spec_text(), "t").unwrap(), &Overrides::default(), &Some(out.clone()), 4).unwrap();
    assert_eq!((shards, array.as_str()), (vec![1, 3], "1,3"));
    let err = merge(&st, Some(out.clone())).unwrap_err().to_string();
    assert!(err.contains("4 of 9 cells cannot be merged") && err.contains("missing"), "{err}");
    run(1, 4);
    run(3, 4);
    assert_eq!(missing(parse(&spec_text(), "t").unwrap(), &Overrides::default(), &Some(out.clone()), 4).unwrap().1, "");
    // truncate one cell file and flip a byte in another: both are found and recomputed
    let mut files: Vec<PathBuf> = std::fs::read_dir(&st)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cell"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 9);
    let t = std::fs::read(&files[0]).unwrap();
    std::fs::write(&files[0], &t[..t.len() - 30]).unwrap();
    let mut c = std::fs::read(&files[1]).unwrap();
    c[100] = if c[100] == b'1' { b'2' } else { b'1' };
    std::fs::write(&files[1], &c).unwrap();
    let rep = run(0, 1);
    assert_eq!((rep.computed.len(), rep.skipped.len(), rep.recomputed.len()), (2, 7, 2), "{rep:?}");
    merge(&st, Some(out.clone())).unwrap();
    same(&one, &out);
    // a rerun of a complete store computes nothing
    let rep = run(0, 1);
    assert_eq!((rep.computed.len(), rep.skipped.len()), (0, 9));
}

/// A spec whose cells each take a noticeable time (for killing a process mid-run).
fn slow_spec(dir: &Path) -> PathBuf {
    let text = nine_cell_spec("slow", 21, 20000);
    let p = dir.join("slow.toml");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

fn cell_files(st: &Path) -> usize {
    std::fs::read_dir(st)
        .map(|r| r.filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "cell")).count())
        .unwrap_or(0)
}

fn spawn(spec: &Path, out: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_regretlab"))
        .args(["run", spec.to_str().unwrap(), "--shard", "0/1", "--threads", "1", "--out", out.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the store has at least `k` cell files (or the process ends).
fn wait_for(st: &Path, k: usize, child: &mut std::process::Child) {
    for _ in 0..6000 {
        if cell_files(st) >= k || child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn killed_runs_resume_without_losing_or_redoing_cells() {
    let dir = tmp("shards-kill");
    let spec = slow_spec(&dir);
    let out = dir.join("run");
    let st = store(&out);
    let _ = std::fs::remove_dir_all(&st);
    // SIGKILL after two cells: the files present are valid and are not recomputed
    let mut child = spawn(&spec, &out);
    wait_for(&st, 2, &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    let done = cell_files(&st);
    assert!((2..9).contains(&done), "{done} cells before the kill");
    // SIGTERM (Slurm's warning before its time limit): exits with an error, keeps what it finished
    let mut child = spawn(&spec, &out);
    wait_for(&st, done + 1, &mut child);
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let res = child.wait_with_output().unwrap();
    let after_term = cell_files(&st);
    let stdout = String::from_utf8_lossy(&res.stdout);
    if after_term < 9 {
        assert!(!res.status.success(), "a cancelled shard must fail: {stdout}");
        assert!(String::from_utf8_lossy(&res.stderr).contains("stopped by a signal"));
    }
    assert!(stdout.contains(&format!("{done} skipped")) || after_term == 9, "{stdout}");
    // the rerun completes: it skips every file already there and computes only the rest
    let res = Command::new(env!("CARGO_BIN_EXE_regretlab"))
        .args(["run", spec.to_str().unwrap(), "--shard", "0/1", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(res.status.success());
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(stdout.contains(&format!("{} cell(s) computed, {after_term} skipped", 9 - after_term)), "{stdout}");
    let res = Command::new(env!("CARGO_BIN_EXE_regretlab"))
        .args(["merge", st.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let one = single("shards-kill-single", &std::fs::read_to_string(&spec).unwrap());
    same(&one, &out);
}
