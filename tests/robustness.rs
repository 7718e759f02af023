//! What a new user meets on a fresh machine (issue 16): nothing hangs, nothing finished is lost,
//! bad input is refused by name. Commands run as child processes under a time limit, so a
//! regression to an endless loop fails the test instead of stalling the suite.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `regretlab args…` in `cwd` with `env`, killing it after `secs` (a failure: it hung).
fn cli(args: &[&str], cwd: Option<&Path>, env: &[(&str, &str)], secs: u64) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_regretlab"));
    c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).stdin(Stdio::null());
    if let Some(d) = cwd {
        c.current_dir(d);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    let t0 = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if t0.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!(
                "regretlab {args:?} did not finish in {secs} s (hung?); stderr: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "failed: {}", text(o));
    text(o)
}

fn failed(o: &Output) -> String {
    assert!(!o.status.success(), "accepted: {}", text(o));
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn write_spec(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.display().to_string()
}

const TIED: &str = r#"
name = "tied"
seed = 1
reps = 20
horizon = 300
[plot]
log_y = true
[bandit]
instances = [{ label = "tied", arms = "bernoulli", means = [0.5, 0.5] }]
policies = [{ kind = "ucb1" }]
"#;

/// Item 1: `--engine gpu` with the adapter choice forced to one that does not exist: every job runs
/// on the CPU, the run says so once, and its numbers are the rayon engine's.
#[cfg(feature = "gpu")]
#[test]
fn gpu_engine_without_an_adapter_falls_back_to_the_cpu_with_a_note() {
    let d = tmp("gpu-fallback");
    let spec = write_spec(&d, "tied.toml", &TIED.replace("log_y = true", "log_y = false"));
    let (a, b) = (d.join("gpu"), d.join("cpu"));
    let o = cli(
        &["run", &spec, "--engine", "gpu", "--out", a.to_str().unwrap()],
        None,
        &[("WGPU_ADAPTER_NAME", "no-such-adapter-anywhere")],
        120,
    );
    let out = ok(&o);
    assert_eq!(out.matches("note: gpu engine:").count(), 1, "{out}");
    assert!(out.contains("every job runs on the CPU"), "{out}");
    ok(&cli(&["run", &spec, "--out", b.to_str().unwrap()], None, &[], 120));
    assert_eq!(std::fs::read(a.join("curves.csv")).unwrap(), std::fs::read(b.join("curves.csv")).unwrap());
    let m = std::fs::read_to_string(a.join("manifest.json")).unwrap();
    assert!(m.contains("gpu requested, none available"), "{m}");
}

/// Item 3: Plots that used to send plotters' tick search into an endless loop: a series that is 0
/// everywhere on a log axis (tied arms), an MDP with one action (every gap 0), and curves with
/// ±inf and NaN redrawn by `regretlab plot`.
#[test]
fn degenerate_plots_finish() {
    let d = tmp("plots");
    let spec = write_spec(&d, "tied.toml", TIED);
    let out = d.join("tied");
    let o = cli(&["run", &spec, "--out", out.to_str().unwrap()], None, &[], 120);
    let msg = ok(&o);
    assert!(msg.contains("≤ 0 left out on the log axis"), "{msg}");
    assert!(out.join("tied_pseudo_regret.png").is_file());

    let mdp = r#"
name = "one_action"
seed = 1
reps = 1
horizon = 30
[plot]
metrics = ["value_gap", "objective_gap"]
log_x = true
log_y = true
[mdpo]
gamma = 0.9
instances = [{ kind = "dirichlet", label = "one action", states = 4, actions = 1, alpha = 0.5, seed = 1 }]
algorithms = [{ kind = "md", step = "constant", t = 1.0 }]
"#;
    let spec = write_spec(&d, "one_action.toml", mdp);
    ok(&cli(&["run", &spec, "--out", d.join("one_action").to_str().unwrap()], None, &[], 120));

    // curves with ±inf and NaN
    let curves = out.join("curves.csv");
    let body = std::fs::read_to_string(&curves).unwrap();
    let mut lines: Vec<String> = body.lines().map(String::from).collect();
    for (i, v) in [(2, "inf"), (3, "-inf"), (4, "NaN")] {
        let mut f: Vec<String> = lines[i].split(',').map(String::from).collect();
        f[5] = v.into();
        f[8] = v.into();
        lines[i] = f.join(",");
    }
    std::fs::write(&curves, lines.join("\n") + "\n").unwrap();
    let msg = ok(&cli(&["plot", out.to_str().unwrap()], None, &[], 60));
    assert!(msg.contains("non-finite"), "{msg}");
    // and on a linear axis
    let m = std::fs::read_to_string(out.join("manifest.json")).unwrap().replace("\"log_y\": true", "\"log_y\": false");
    std::fs::write(out.join("manifest.json"), m).unwrap();
    ok(&cli(&["plot", out.to_str().unwrap()], None, &[], 60));
}

/// Item 4: The output location is checked before the simulation: a long run into a folder that
/// cannot be created fails at once; a 240-character label is written; `--out .` inside a run
/// folder replaces it; a figure that fails leaves the CSVs and the other figures.
#[test]
fn output_problems_are_found_before_simulating_and_figures_fail_alone() {
    let d = tmp("late");
    // 10^6 replications of 10^5 steps would take hours: only a check before the run returns in time
    let long = TIED.replace("reps = 20", "reps = 1000000").replace("horizon = 300", "horizon = 100000");
    let spec = write_spec(&d, "long.toml", &long);
    std::fs::write(d.join("a_file"), "").unwrap();
    let bad = d.join("a_file").join("run");
    let e = failed(&cli(&["run", &spec, "--out", bad.to_str().unwrap()], None, &[], 60));
    assert!(e.contains("Not a directory") && e.matches("Not a directory").count() == 1, "{e}");
    if unsafe_is_root() {
        eprintln!("running as root: a read-only folder is writable, so only the file-as-parent case is checked");
    } else {
        let ro = d.join("ro");
        std::fs::create_dir(&ro).unwrap();
        set_mode(&ro, 0o555);
        let e = failed(&cli(&["run", &spec, "--out", ro.join("run").to_str().unwrap()], None, &[], 60));
        assert!(e.contains("nothing was run") && !e.contains("staging"), "{e}");
        set_mode(&ro, 0o755);
    }

    let label = "L".repeat(240);
    let spec = write_spec(
        &d,
        "label.toml",
        &TIED.replace("label = \"tied\"", &format!("label = \"{label}\"")).replace("reps = 20", "reps = 3"),
    );
    let out = d.join("label");
    ok(&cli(&["run", &spec, "--out", out.to_str().unwrap()], None, &[], 120));
    let names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    assert!(names.iter().any(|n| n.ends_with(".png") && n.starts_with("lll")), "{names:?}");

    // --out . from inside the run folder
    ok(&cli(&["run", &spec, "--out", "."], Some(&out), &[], 120));
    assert!(out.join("manifest.json").is_file() && out.join("curves.csv").is_file());

    // a figure that cannot be written (its name is taken by a folder): the other figure is
    // drawn, the failure names the figure, nothing else is lost
    let spec = write_spec(
        &d,
        "two.toml",
        &TIED
            .replace("log_y = true", "metrics = [\"pseudo_regret\", \"realised_regret\"]")
            .replace("reps = 20", "reps = 3"),
    );
    let two = d.join("two");
    ok(&cli(&["run", &spec, "--out", two.to_str().unwrap()], None, &[], 120));
    std::fs::remove_file(two.join("tied_pseudo_regret.png")).unwrap();
    std::fs::create_dir(two.join("tied_pseudo_regret.png")).unwrap();
    std::fs::remove_file(two.join("tied_realised_regret.svg")).unwrap();
    let e = failed(&cli(&["plot", two.to_str().unwrap()], None, &[], 60));
    assert!(e.contains("tied_pseudo_regret") && e.contains("could not be drawn"), "{e}");
    assert!(e.contains(two.join("tied_pseudo_regret.png").to_str().unwrap()), "the failure names the file: {e}");
    assert!(two.join("tied_realised_regret.svg").is_file() && two.join("curves.csv").is_file());
}

fn unsafe_is_root() -> bool {
    std::env::var("USER").as_deref() == Ok("root")
        || Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false)
}

fn set_mode(p: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// Item 5: A rerun never deletes a file the run did not write, and the leftovers of a killed run
/// beside the folder are removed by the next run there.
#[test]
fn reruns_keep_foreign_files_and_clean_dead_leftovers() {
    let d = tmp("rerun");
    let spec = write_spec(&d, "t.toml", &TIED.replace("reps = 20", "reps = 3"));
    let out = d.join("run");
    ok(&cli(&["run", &spec, "--out", out.to_str().unwrap()], None, &[], 120));
    std::fs::write(out.join("NOTES.md"), "mine").unwrap();
    let e = failed(&cli(&["run", &spec, "--out", out.to_str().unwrap()], None, &[], 120));
    assert!(e.contains("NOTES.md") && e.contains("did not write"), "{e}");
    assert_eq!(std::fs::read_to_string(out.join("NOTES.md")).unwrap(), "mine");
    std::fs::remove_file(out.join("NOTES.md")).unwrap();
    // a killed run's staging and old folders (no process has pid 4194309 > pid_max)
    for what in ["staging", "old"] {
        std::fs::create_dir_all(regretlab::results::run_dir::leftover(&out, what, 4_194_309)).unwrap();
    }
    ok(&cli(&["run", &spec, "--out", out.to_str().unwrap()], None, &[], 120));
    let left: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".run."))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Item 6: A cell store refuses a shard run with other settings, naming what differs; `missing`
/// reads the store's own spec; shard counts out of range are refused.
#[test]
fn cell_stores_are_not_spoiled_by_other_flags() {
    let d = tmp("store");
    let spec = write_spec(&d, "nine.toml", &nine_cell_spec("nine", 3, 100));
    let out = d.join("nine");
    let o = out.to_str().unwrap();
    ok(&cli(&["run", &spec, "--shard", "0/3", "--quick", "--reps", "10", "--out", o], None, &[], 120));
    let e = failed(&cli(&["run", &spec, "--shard", "1/3", "--reps", "5", "--out", o], None, &[], 120));
    assert!(e.contains("reps: the store has 10, this run 5"), "{e}");
    let stored = std::fs::read_to_string(d.join("nine.cells/spec.toml")).unwrap();
    assert!(stored.contains("reps = 10"), "{stored}");
    // without repeating --reps: the store's spec says which cells exist and how many are done
    let m = ok(&cli(&["missing", &spec, "--shards", "3", "--out", o], None, &[], 60));
    assert_eq!(m.trim(), "1-2");
    for s in ["1/3", "2/3"] {
        ok(&cli(&["run", &spec, "--shard", s, "--reps", "10", "--out", o], None, &[], 120));
    }
    assert_eq!(ok(&cli(&["missing", &spec, "--shards", "3", "--out", o], None, &[], 60)).trim(), "");
    let e = failed(&cli(&["missing", &spec, "--shards", "0", "--out", o], None, &[], 60));
    assert!(e.contains("--shards = 0"), "{e}");
    let e = failed(&cli(&["slurm", &spec, "--shards", "1000", "--out", o], None, &[], 60));
    assert!(e.contains("--shards = 1000") && e.contains("9 cells"), "{e}");
    let e = failed(&cli(&["merge", d.to_str().unwrap()], None, &[], 60));
    assert!(e.contains("is not a cell store"), "{e}");
}

/// Item 7: A run that would not fit in memory is refused at once with the numbers and the field.
#[test]
fn runs_too_large_for_the_machine_are_refused_before_they_start() {
    let d = tmp("huge");
    let instances: Vec<String> = (0..10)
        .map(|i| format!("{{ label = \"i{i}\", arms = \"bernoulli\", means = [0.5, {}] }}", 0.1 + 0.01 * i as f64))
        .collect();
    let spec = format!(
        "name = \"huge\"\nseed = 1\nreps = 100000000\nhorizon = 1000\n[bandit]\ninstances = [{}]\npolicies = [{{ kind = \"ucb1\", alpha = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0] }}]\n",
        instances.join(", ")
    );
    let spec = write_spec(&d, "huge.toml", &spec);
    let e = failed(&cli(&["run", &spec, "--out", d.join("huge").to_str().unwrap()], None, &[], 60));
    assert!(e.contains("reps = 100000000") && e.contains("GiB") && e.contains("at most about"), "{e}");
    assert!(!d.join("huge").exists());
}

/// Item 8: Smaller defects: one replication, Slurm quoting, nonsense refused, labels, messages,
/// model paths.
#[test]
fn one_replication_has_no_interval() {
    let d = tmp("one-rep");
    let spec = write_spec(&d, "t.toml", &TIED.replace("reps = 20", "reps = 1"));
    let out = d.join("run");
    ok(&cli(&["run", &spec, "--out", out.to_str().unwrap()], None, &[], 120));
    let rows = regretlab::results::read_curves(&out.join("curves.csv")).unwrap();
    assert!(rows.iter().all(|r| r.sd.is_nan() && r.ci_lo.is_nan() && r.ci_hi.is_nan()));
    let table = std::fs::read_to_string(out.join("table.md")).unwrap();
    assert!(table.contains("one replication: no interval"), "{table}");
}

#[test]
fn slurm_scripts_quote_every_path() {
    let d = tmp("slurm quoting");
    let evil = d.join("out $(touch PWNED) dir");
    let spec = write_spec(&d, "nine.toml", &nine_cell_spec("nine", 3, 5));
    ok(&cli(&["slurm", &spec, "--shards", "3", "--out", evil.to_str().unwrap()], None, &[], 60));
    let slurm = d.join("out $(touch PWNED) dir.cells/slurm");
    // a fake sbatch that records its arguments one per line
    let fake = d.join("bin");
    std::fs::create_dir_all(&fake).unwrap();
    std::fs::write(
        fake.join("sbatch"),
        format!("#!/bin/bash\nprintf '%s\\n' \"$@\" >> '{}'\necho 42\n", d.join("args").display()),
    )
    .unwrap();
    set_mode(&fake.join("sbatch"), 0o755);
    for f in ["array.sbatch", "merge.sbatch", "submit.sh"] {
        let o = Command::new("bash").args(["-n"]).arg(slurm.join(f)).output().unwrap();
        assert!(o.status.success(), "{f}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let path = format!("{}:{}", fake.display(), std::env::var("PATH").unwrap_or_default());
    let o = Command::new("bash").arg(slurm.join("submit.sh")).current_dir(&d).env("PATH", path).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let args = std::fs::read_to_string(d.join("args")).unwrap();
    assert!(args.lines().any(|l| l == slurm.join("array.sbatch").display().to_string()), "{args}");
    assert!(args.lines().any(|l| l == slurm.join("merge.sbatch").display().to_string()), "{args}");
    assert!(!d.join("PWNED").exists() && !Path::new("PWNED").exists());
    let array = std::fs::read_to_string(slurm.join("array.sbatch")).unwrap();
    assert!(array.contains(&format!("#SBATCH --output=\"{}/logs/", slurm.display())), "{array}");
}

#[test]
fn nonsense_is_refused_by_name() {
    let sea = "name = \"s\"\nseed = 1\nreps = 1\nhorizon = 10\n[sea]\ndim = 3\nradius = 1.0\ninstances = [{ sigma = 0.1, amplitude = 0.5, period = 0 }]\nalgorithms = [{ kind = \"oomd\" }]\n";
    let e = validation_error(sea);
    assert!(e.contains("period = 0") && e.contains("amplitude > 0"), "{e}");
    let mdpo = "name = \"m\"\nseed = 1\nreps = 1\nhorizon = 10\n[mdpo]\ngamma = 0.9\ninstances = [{ kind = \"dirichlet\", states = 4, actions = 2, alpha = 0.5, seed = 1 }]\nalgorithms = [{ kind = \"md_sampled\", step = \"constant\", t = 1.0, estimator = \"replay\", batch = 100, capacity = 50 }]\n";
    let e = validation_error(mdpo);
    assert!(e.contains("mdpo.algorithms[0].capacity = 50") && e.contains("batch = 100"), "{e}");
    let e = regretlab::spec::parse(&TIED.replace("log_y = true", "metrics = []"), "t.toml").unwrap_err().to_string();
    assert!(e.contains("plot.metrics = []"), "{e}");
    let e = regretlab::spec::parse(&TIED.replace("horizon = 300", "horizon = 1e4"), "t.toml").unwrap_err().to_string();
    assert!(e.contains("integer"), "{e}");
    let e = failed(&cli(
        &["run", "b1_quick", "--reps", "-1", "--out", tmp("neg").join("x").to_str().unwrap()],
        None,
        &[],
        60,
    ));
    assert!(e.contains("reps = -1") && !e.contains("-- -1"), "{e}");
    // an empty curves.csv: an error, not a silent success
    let d = tmp("empty-curves");
    let spec = write_spec(&d, "t.toml", &TIED.replace("reps = 20", "reps = 2"));
    let out = d.join("run");
    ok(&cli(&["run", &spec, "--out", out.to_str().unwrap()], None, &[], 120));
    std::fs::write(out.join("curves.csv"), "cell,policy,metric,t,n,mean,sd,ci_lo,ci_hi\n").unwrap();
    let e = failed(&cli(&["plot", out.to_str().unwrap()], None, &[], 60));
    assert!(e.contains("holds no rows"), "{e}");
    let e = failed(&cli(&["merge", out.to_str().unwrap()], None, &[], 60));
    assert!(e.contains("not a cell store"), "{e}");
    // a lane kernel this CPU lacks is named as such
    let avail = [regretlab::kernels::Isa::Avx2, regretlab::kernels::Isa::Portable];
    let e = regretlab::kernels::KernelChoice::parse_on("avx512ifma", &avail).unwrap_err();
    assert!(e.contains("this CPU lacks avx512ifma"), "{e}");
    assert!(!regretlab::kernels::KernelChoice::parse_on("sse9", &avail).unwrap_err().contains("lacks"));
}

#[test]
fn labels_in_any_script_name_files_and_cannot_break_tables_or_terminals() {
    let d = tmp("labels");
    let two = TIED
        .replace("reps = 20", "reps = 2")
        .replace("instances = [{ label = \"tied\", arms = \"bernoulli\", means = [0.5, 0.5] }]", "instances = [{ label = \"二臂\", arms = \"bernoulli\", means = [0.5, 0.5] }, { label = \"三臂\", arms = \"bernoulli\", means = [0.5, 0.5, 0.4] }]")
        .replace("policies = [{ kind = \"ucb1\" }]", "policies = [{ kind = \"ucb1\", label = \"bad\\nlabel \\u001b[31mred\" }]");
    let spec = write_spec(&d, "cjk.toml", &two);
    let out = d.join("run");
    let o = cli(&["run", &spec, "--out", out.to_str().unwrap()], None, &[], 120);
    let msg = ok(&o);
    assert!(!msg.contains('\u{1b}'), "a control character reached the terminal: {msg:?}");
    assert!(out.join("二臂_pseudo_regret.png").is_file() && out.join("三臂_pseudo_regret.png").is_file());
    let table = std::fs::read_to_string(out.join("table.md")).unwrap();
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("| 二臂") || l.starts_with("| 三臂")).collect();
    assert_eq!(rows.len(), 2, "{table}");
    assert!(rows[0].contains("bad\\nlabel \\u{1b}[31mred"), "{table}");
}

#[test]
fn model_files_are_found_from_the_specs_folder() {
    let d = tmp("model-path");
    let models = d.join("specs");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::write(
        models.join("two.json"),
        r#"{"states": 2, "actions": 1, "transitions": [[[0.5, 0.5]], [[0.0, 1.0]]], "rewards": [[0.1], [0.2]]}"#,
    )
    .unwrap();
    // tabular RL: random episodes, so the numbers depend on the cell's seed
    let spec = write_spec(
        &models,
        "m.toml",
        "name = \"m\"\nseed = 1\nreps = 3\nhorizon = 20\n[tabular_rl]\nepisode_length = 5\ninstances = [{ kind = \"json\", path = \"two.json\" }]\nalgorithms = [{ kind = \"ucbvi\", bonus = \"hoeffding\" }]\n",
    );
    // run from another folder: the relative path is the spec's
    let elsewhere = d.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let out: PathBuf = d.join("run");
    ok(&cli(&["run", &spec, "--out", out.to_str().unwrap()], Some(&elsewhere), &[], 120));
    let table = std::fs::read_to_string(out.join("table.md")).unwrap();
    assert!(table.contains("| two.json |"), "{table}");
    // the same spec by a relative path from its own folder: the same cells, the same bytes (a
    // model file is identified by its content, not by the path it was reached by)
    let again = d.join("again");
    ok(&cli(&["run", "m.toml", "--out", again.to_str().unwrap()], Some(&models), &[], 120));
    assert_eq!(std::fs::read(out.join("curves.csv")).unwrap(), std::fs::read(again.join("curves.csv")).unwrap());
}
