//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use regretlab::engine::EngineKind;
use regretlab::experiment::{self, RunOptions, RunReport};
use regretlab::spec::{self, Overrides};

/// A fresh, empty folder under the system temp dir.
pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("regretlab-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn run_text(text: &str, out: PathBuf, engine: EngineKind, threads: usize) -> RunReport {
    let s = spec::parse(text, "test").unwrap();
    let opts = RunOptions { engine, threads, out: Some(out), progress: false, kernel: "auto".into() };
    experiment::run(s, &Overrides::default(), &opts, None).unwrap()
}

pub const B1: [f64; 10] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.85];

/// A spec with the B1 instance (plus `extra` instances) and the given policies (TOML inline tables).
pub fn b1_spec(name: &str, seed: u64, reps: u64, horizon: u64, extra: &str, policies: &str) -> String {
    format!(
        "name = \"{name}\"\nseed = {seed}\nreps = {reps}\nhorizon = {horizon}\n[bandit]\n\
         instances = [{{ arms = \"bernoulli\", means = {B1:?} }}{extra}]\npolicies = [{policies}]\n"
    )
}

/// Final pseudo-regret per (cell, policy), replication by replication, from a run's final.csv.
pub fn final_pseudo_regret(dir: &std::path::Path) -> std::collections::BTreeMap<(String, String), Vec<f64>> {
    let mut out: std::collections::BTreeMap<(String, String), Vec<f64>> = Default::default();
    for row in csv::Reader::from_path(dir.join("final.csv")).unwrap().records() {
        let row = row.unwrap();
        out.entry((row[0].to_string(), row[1].to_string())).or_default().push(row[3].parse().unwrap());
    }
    out
}

/// Final values of `metric` per policy, replication by replication (cells pooled), from a run's
/// final.csv.
pub fn finals(dir: &std::path::Path, metric: &str) -> std::collections::BTreeMap<String, Vec<f64>> {
    let mut rd = csv::Reader::from_path(dir.join("final.csv")).unwrap();
    let col = rd.headers().unwrap().iter().position(|h| h == metric).unwrap();
    let mut out: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    for row in rd.records() {
        let row = row.unwrap();
        out.entry(row[1].to_string()).or_default().push(row[col].parse().unwrap());
    }
    out
}

/// The message of the validation error a spec text must produce (panics if it is accepted).
pub fn validation_error(text: &str) -> String {
    match spec::parse(text, "spec.toml").and_then(|s| s.validate(&Overrides::default())) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// Checks that every (spec text, fragments) case fails with a message holding all fragments.
pub fn assert_messages(cases: Vec<(String, Vec<&str>)>) {
    for (text, parts) in cases {
        let msg = validation_error(&text);
        for p in parts {
            assert!(msg.contains(p), "message {msg:?} lacks {p:?}");
        }
    }
}

/// A 9-cell sweep (3 instances × 3 horizons, three policies incl. the fixed-point kernel) for the
/// sharding and Slurm tests; `reps` sets its cost.
pub fn nine_cell_spec(name: &str, seed: u64, reps: u64) -> String {
    format!(
        r#"
name = "{name}"
seed = {seed}
reps = {reps}
horizon = [200, 500, 900]
[bandit]
instances = [
  {{ label = "a", arms = "bernoulli", means = [0.5, 0.4, 0.3] }},
  {{ label = "b", arms = "gaussian", means = [0.2, 0.0] }},
  {{ label = "c", arms = "bernoulli", means = [0.9, 0.85, 0.8, 0.1] }},
]
policies = [{{ kind = "ucb1" }}, {{ kind = "ucb1", arithmetic = "fixed", label = "fixed" }}, {{ kind = "moss" }}]
"#
    )
}
