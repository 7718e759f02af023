//! Reproducibility: byte-identical CSVs for 1, 2 and 4 threads and both engines, and a golden
//! snapshot of a small run (regenerate with `REGRETLAB_UPDATE_GOLDEN=1` and list the change
//! under "Reproducibility-breaking changes" in CHANGELOG.md).

mod common;
use common::*;
use regretlab::engine::EngineKind;

/// Every policy kind, both arithmetics, two horizons, Bernoulli and Gaussian instances.
const SMALL: &str = r#"
name = "small"
seed = 7
reps = 70
horizon = [150, 300]
[bandit]
instances = [
  { label = "bern", arms = "bernoulli", means = [0.3, 0.5, 0.45] },
  { label = "beta", arms = "beta", a = [2.0, 3.0], b = [3.0, 2.0] },
]
policies = [
  { kind = "ucb1" }, { kind = "ucb1", arithmetic = "fixed", alpha = 1.5, label = "u-fixed" },
  { kind = "ucb_v" }, { kind = "kl_ucb" }, { kind = "moss" },
  { kind = "thompson_beta" }, { kind = "thompson_gaussian", sigma = 0.5 },
  { kind = "epsilon_greedy", epsilon = 0.1 }, { kind = "epsilon_greedy", c = 5.0, d = 0.1 },
  { kind = "explore_then_commit", m = 10 }, { kind = "exp3" },
]
"#;

fn read(dir: &std::path::Path, f: &str) -> Vec<u8> {
    std::fs::read(dir.join(f)).unwrap()
}

#[test]
fn csvs_are_byte_identical_for_1_2_4_threads_and_both_engines() {
    // Fixed-arithmetic policies only run on Bernoulli arms: once without them (with the Beta
    // instance), once with them (without it).
    let no_fixed = SMALL.replace(r#"{ kind = "ucb1", arithmetic = "fixed", alpha = 1.5, label = "u-fixed" },"#, "");
    let no_beta = SMALL.replace(r#"{ label = "beta", arms = "beta", a = [2.0, 3.0], b = [3.0, 2.0] },"#, "");
    for (name, spec) in [("a", no_fixed), ("b", no_beta)] {
        thread_invariance(name, &spec);
    }
}

fn thread_invariance(name: &str, spec: &str) {
    let spec = spec.to_string();
    let base = tmp(&format!("threads-1{name}"));
    run_text(&spec, base.clone(), EngineKind::Serial, 1);
    for t in [2, 4] {
        let d = tmp(&format!("threads-{t}{name}"));
        run_text(&spec, d.clone(), EngineKind::Rayon, t);
        for f in ["curves.csv", "final.csv", "summary.csv", "paired.csv", "overlays.csv"] {
            assert!(read(&base, f) == read(&d, f), "{f} differs between 1 and {t} threads");
        }
    }
}

#[test]
fn golden_snapshot_of_a_small_run() {
    let spec = SMALL.replace(r#"{ label = "beta", arms = "beta", a = [2.0, 3.0], b = [3.0, 2.0] },"#, "");
    let d = tmp("golden");
    run_text(&spec, d.clone(), EngineKind::Rayon, 2);
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    for f in ["curves.csv", "final.csv"] {
        let got = read(&d, f);
        let path = golden.join(format!("small_{f}"));
        if std::env::var("REGRETLAB_UPDATE_GOLDEN").is_ok() {
            std::fs::write(&path, &got).unwrap();
        }
        let want = std::fs::read(&path).expect("golden file missing: run with REGRETLAB_UPDATE_GOLDEN=1");
        assert!(got == want, "{f} differs from tests/golden/small_{f}");
    }
}

#[test]
fn manifest_records_how_the_run_was_made() {
    let spec = SMALL.replace(r#"{ label = "beta", arms = "beta", a = [2.0, 3.0], b = [3.0, 2.0] },"#, "");
    let d = tmp("manifest");
    run_text(&spec, d.clone(), EngineKind::Rayon, 2);
    let m: serde_json::Value = serde_json::from_slice(&read(&d, "manifest.json")).unwrap();
    assert_eq!(m["seed"], 7);
    assert_eq!(m["reps"], 70);
    assert_eq!(m["threads"], 2);
    assert_eq!(m["engine"], "rayon");
    assert_eq!(m["regretlab_version"], env!("CARGO_PKG_VERSION"));
    assert!(m["rng"].as_str().unwrap().starts_with("philox4x32-10"));
    assert_eq!(m["spec"]["bandit"]["policies"].as_array().unwrap().len(), 11);
    assert_eq!(m["cells"].as_array().unwrap().len(), 2);
    // final.csv: one row per (cell, policy, replication)
    let rows = String::from_utf8(read(&d, "final.csv")).unwrap().lines().count();
    assert_eq!(rows, 1 + 2 * 11 * 70);
}

#[test]
fn seed_changes_the_numbers_and_only_the_seed() {
    let a = tmp("seed-a");
    let b = tmp("seed-b");
    let spec = SMALL.replace(r#"{ label = "beta", arms = "beta", a = [2.0, 3.0], b = [3.0, 2.0] },"#, "");
    run_text(&spec, a.clone(), EngineKind::Rayon, 2);
    run_text(&spec.replace("seed = 7", "seed = 8"), b.clone(), EngineKind::Rayon, 2);
    assert!(read(&a, "final.csv") != read(&b, "final.csv"));
}

#[test]
fn every_kernel_choice_gives_the_same_bytes_and_the_manifest_says_which_ran() {
    use regretlab::experiment::{self, RunOptions};
    use regretlab::kernels::Isa;
    let spec = SMALL.replace(r#"{ label = "beta", arms = "beta", a = [2.0, 3.0], b = [3.0, 2.0] },"#, "");
    let mut choices = vec!["auto".to_string(), "scalar".to_string()];
    choices.extend(Isa::available().iter().map(|i| i.name().to_string()));
    let mut first: Option<Vec<u8>> = None;
    for k in choices {
        let d = tmp(&format!("kernel-{k}"));
        let opts = RunOptions {
            engine: EngineKind::Rayon,
            threads: 2,
            out: Some(d.clone()),
            progress: false,
            kernel: k.clone(),
        };
        experiment::run(regretlab::spec::parse(&spec, "t").unwrap(), &Default::default(), &opts, None).unwrap();
        let bytes = read(&d, "final.csv");
        match &first {
            None => first = Some(bytes),
            Some(f) => assert!(*f == bytes, "--kernel {k} changed final.csv"),
        }
        let m: serde_json::Value = serde_json::from_slice(&read(&d, "manifest.json")).unwrap();
        let backend = m["backend"].as_str().unwrap();
        let want = if k == "scalar" {
            "scalar reference".to_string()
        } else if k == "auto" {
            "(auto)".into()
        } else {
            format!("{k} lanes")
        };
        assert!(backend.contains(&want), "{k}: {backend}");
    }
    // a kernel this CPU cannot run, or a typo, is refused with the list of valid ones
    let opts = RunOptions {
        engine: EngineKind::Rayon,
        threads: 1,
        out: Some(tmp("kernel-bad")),
        progress: false,
        kernel: "avx1024".into(),
    };
    let e = experiment::run(regretlab::spec::parse(&spec, "t").unwrap(), &Default::default(), &opts, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("--kernel = avx1024") && e.contains("scalar"), "{e}");
}
