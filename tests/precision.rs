//! `precision = h` / `--precision h`: a run grows in blocks of replications (64, then doubling,
//! up to the spec's `reps`) until every final value's interval is at most h wide on each side.
//! Blocks are addressed by replication index and folded in order, so the result is the same
//! bytes as a run with the number reached, and the manifest says how far it got and why.

mod common;
use common::*;

use regretlab::engine::EngineKind;
use regretlab::results::read_manifest;

fn spec(name: &str, reps: u64, precision: &str) -> String {
    b1_spec(name, 11, reps, 3000, "", r#"{ kind = "ucb1", arithmetic = "fixed" }, { kind = "thompson_beta" }"#)
        .replace("[bandit]", &format!("{precision}\n[bandit]"))
}

fn same_files(a: &std::path::Path, b: &std::path::Path) {
    for f in ["curves.csv", "final.csv", "summary.csv", "paired.csv"] {
        assert_eq!(std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap(), "{f} differs");
    }
}

#[test]
fn a_precision_run_equals_a_fixed_run_with_the_replications_it_reached() {
    let d = tmp("precision");
    // pseudo-regret sd ≈ 20 here: a half-width of 3 needs about (1.96·20/3)² ≈ 170 replications,
    // so the run stops at 256 (64, 128, 256), below the cap
    for (engine, threads) in [(EngineKind::Serial, 1), (EngineKind::Rayon, 2)] {
        let out = d.join(format!("p-{threads}"));
        run_text(
            &spec("p", 5000, "precision = 3.0\nprecision_metric = \"pseudo_regret\""),
            out.clone(),
            engine,
            threads,
        );
        let m = read_manifest(&out).unwrap();
        let p = m.precision.clone().expect("the manifest records the precision run");
        assert_eq!((p.cap, p.stopped.as_str()), (5000, "half-width reached"));
        assert!(p.widest <= 3.0 && [64, 128, 256, 512].contains(&p.reached), "{p:?}");
        assert_eq!(m.reps, p.reached);
        let fixed = d.join(format!("f-{threads}"));
        run_text(&spec("p", p.reached, ""), fixed.clone(), EngineKind::Rayon, 2);
        same_files(&out, &fixed);
        // one block fewer would not have been narrow enough
        let smaller = d.join(format!("s-{threads}"));
        run_text(&spec("p", p.reached / 2, ""), smaller.clone(), EngineKind::Rayon, 2);
        let res: Vec<f64> = csv::Reader::from_path(smaller.join("summary.csv"))
            .unwrap()
            .records()
            .map(|r| r.unwrap())
            .filter(|r| &r[3] == "pseudo_regret")
            .map(|r| (r[8].parse::<f64>().unwrap() - r[7].parse::<f64>().unwrap()) / 2.0)
            .collect();
        assert!(res.iter().any(|&h| h > 3.0), "half of {} replications was already enough: {res:?}", p.reached);
    }
}

#[test]
fn a_precision_run_stops_at_the_cap_and_says_so() {
    let d = tmp("precision-cap");
    run_text(&spec("c", 200, "precision = 0.01"), d.clone(), EngineKind::Rayon, 2);
    let m = read_manifest(&d).unwrap();
    let p = m.precision.unwrap();
    assert_eq!((p.reached, p.cap, p.stopped.as_str(), m.reps), (200, 200, "cap reached", 200));
    assert!(p.widest > 0.01);
    // without a metric every metric counts; 64 → 128 → 200
    let fixed = tmp("precision-cap-fixed");
    run_text(&spec("c", 200, ""), fixed.clone(), EngineKind::Rayon, 1);
    same_files(&d, &fixed);
}

#[test]
fn bad_precision_fields_are_refused() {
    assert_messages(vec![
        (spec("b", 100, "precision = 0.0"), vec!["precision = 0", "(0, ∞)"]),
        (spec("b", 100, "precision = -2.0"), vec!["precision = -2"]),
        (spec("b", 100, "precision = nan"), vec!["precision = NaN"]),
        (
            spec("b", 100, "precision = 1.0\nprecision_metric = \"regret\""),
            vec!["precision_metric = regret", "pseudo_regret"],
        ),
        (spec("b", 100, "precision_metric = \"pseudo_regret\""), vec!["precision_metric", "a `precision` too"]),
    ]);
    // shards finish cells separately: refused
    let s = regretlab::spec::parse(&spec("b", 100, "precision = 1.0"), "t").unwrap();
    let opts = regretlab::experiment::RunOptions {
        engine: EngineKind::Rayon,
        threads: 1,
        out: Some(tmp("precision-shard")),
        progress: false,
        kernel: "auto".into(),
    };
    let shard = regretlab::experiment::Shard::parse("0/2").unwrap();
    let e = regretlab::experiment::run_shard(s, &Default::default(), &opts, shard, None).unwrap_err().to_string();
    assert!(e.contains("precision") && e.contains("shards"), "{e}");
}
