//! Causal bandits at reduced size: the paper's orderings and reward gain, change detection, with
//! fixed seeds and stated tolerances. The full-size runs are committed under `results/causal_*`
//! and checked by the claim registry (`claims/causal_bandits.toml`).

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::Path;

use regretlab::engine::EngineKind;

/// Mean of `metric` at checkpoint t per series (curves.csv).
fn at(dir: &Path, metric: &str, t: u64) -> BTreeMap<String, f64> {
    let mut rd = csv::ReaderBuilder::new().comment(Some(b'#')).from_path(dir.join("curves.csv")).unwrap();
    let h = rd.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (cp, cm, ct, cv) = (col("policy"), col("metric"), col("t"), col("mean"));
    let mut out = BTreeMap::new();
    for row in rd.records() {
        let row = row.unwrap();
        if &row[cm] == metric && row[ct].parse::<u64>().unwrap() == t {
            out.insert(row[cp].to_string(), row[cv].parse().unwrap());
        }
    }
    out
}

/// Claim (c)'s orderings on the paper's first 30 instances at T = 1,500 (the committed run has
/// all 100, and 100 fresh ones; the reward ratio is checked there, on common random numbers, by
/// the claim registry): LinSEM-TS (true parents) < CSL-UCB < GOLEM-MAB < Vanilla UCB in mean
/// regret. A CSL-UCB that never left forced exploration, or a GOLEM-MAB that committed to its
/// exploration actions, would break the chain.
#[test]
fn the_papers_orderings_at_reduced_size() {
    let dir = tmp("causal-stationary");
    let text = "name = \"causal-c\"\nseed = 2025\nreps = 30\nhorizon = 1500\n[causal]\ninstances = [{ paper = \"stationary\" }]\n\
         algorithms = [{ kind = \"csl_ucb\" }, { kind = \"golem_mab\" }, { kind = \"linsem_ts\" }, { kind = \"vanilla_ucb\" }]\n";
    run_text(text, dir.clone(), EngineKind::Rayon, 2);
    let regret = finals(&dir, "regret");
    let mean = |s: &str| regret[s].iter().sum::<f64>() / regret[s].len() as f64;
    let (ts, csl, golem, vanilla) =
        (mean("LinSEM-TS (true parents)"), mean("CSL-UCB"), mean("GOLEM-MAB"), mean("Vanilla UCB"));
    assert!(ts < csl && csl < golem && golem < vanilla, "regret: TS {ts}, CSL {csl}, GOLEM {golem}, Vanilla {vanilla}");
}

/// Claim (d) at reduced size: 12 generated instances (N = 8), one change at round 500 redrawing
/// two columns of the optimal regime, T = 1,500. With detection CSL-UCB's pseudo-regret over
/// rounds 1,000–1,500 grows at under half the rate of CSL-UCB without detection; without it,
/// the late rate is at least 0.8 of the rate just after the change (no recovery: linear growth).
#[test]
fn detection_recovers_after_a_change() {
    let dir = tmp("causal-change");
    let text = "name = \"causal-d\"\nseed = 9\nreps = 12\nhorizon = 1500\n[causal]\n\
         instances = [{ generate = { seed = 9, nodes = 8 } }]\nchanges = { at = [500], columns = 2 }\n\
         algorithms = [{ kind = \"csl_ucb\", label = \"with\" }, { kind = \"csl_ucb\", detect = false, label = \"without\" }]\n";
    run_text(text, dir.clone(), EngineKind::Rayon, 2);
    let (r6, r10, r15) =
        (at(&dir, "pseudo_regret", 600), at(&dir, "pseudo_regret", 1000), at(&dir, "pseudo_regret", 1500));
    let late = |s: &str| (r15[s] - r10[s]) / 500.0;
    let early = |s: &str| (r10[s] - r6[s]) / 400.0;
    assert!(late("with") < 0.5 * late("without"), "late rates: with {} vs without {}", late("with"), late("without"));
    assert!(late("without") >= 0.8 * early("without"), "without: early {} late {}", early("without"), late("without"));
}
