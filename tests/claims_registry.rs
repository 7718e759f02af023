//! The claim registry (`claims/*.toml`) against the committed full-size runs (`results/`): every
//! claim's verdict is the one the registry states, every claim that rests on a test names a test
//! that exists, and the committed claims reports (`reports/`) are what the registry and the runs
//! give today. `scripts/check-committed-results.sh` shows that the runs themselves reproduce, so
//! a README that quotes a report quotes numbers a test stands behind.

use std::path::Path;

use regretlab::claims::{self, Check, Verdict};

const COMMAND: &str = "regretlab reproduce all --from results --out reports";

#[test]
fn every_claim_has_its_registered_verdict_on_the_committed_runs() {
    let mut wrong = Vec::new();
    for p in claims::papers().unwrap() {
        for (c, o) in p.evaluate(Path::new("results")) {
            if o.verdict != c.expected {
                wrong
                    .push(format!("{}/{}: {:?}, registry says {:?} ({})", p.name, c.id, o.verdict, c.expected, o.ours));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The reduced-size reproduction: every paper's experiments at their `[quick]` sizes, checked
/// against the registry's `quick` verdicts (the same definitions as the full-size report). An
/// experiment that cannot run here (a data set that is not installed) leaves its claims out.
/// CPU-time claims are left out too: at the quick size their cells take milliseconds, and the
/// order of two nearly equal timing ratios is the machine's noise (the full-size verdicts above
/// still assert them, on the committed runs' recorded times).
#[test]
fn every_claim_has_its_registered_verdict_at_the_quick_size() {
    use regretlab::experiment::{RunOptions, reproduce};
    let out = std::env::temp_dir().join(format!("regretlab-test-{}-claims-quick", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let ov = regretlab::spec::Overrides { quick: true, ..Default::default() };
    let opts = RunOptions {
        engine: regretlab::engine::EngineKind::Rayon,
        threads: 2,
        out: None,
        progress: false,
        kernel: "auto".into(),
    };
    reproduce("all", None, &out, &ov, &opts, "regretlab reproduce all --quick").unwrap();
    let mut wrong = Vec::new();
    for p in claims::papers().unwrap() {
        for (c, o) in p.evaluate(&out.join("runs")) {
            let Some(quick) = c.quick else { continue };
            if matches!(c.check, Check::CpuRatio { .. }) {
                eprintln!("{}/{}: a CPU-time claim, not compared at the quick size ({})", p.name, c.id, o.ours);
                continue;
            }
            if o.ours.starts_with("no run:") {
                eprintln!("{}/{}: not run here ({})", p.name, c.id, o.ours);
                continue;
            }
            if o.verdict != quick {
                wrong.push(format!(
                    "{}/{}: {:?} at the quick size, registry says {quick:?} ({})",
                    p.name, c.id, o.verdict, o.ours
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn claims_resting_on_a_test_name_one_that_exists() {
    for p in claims::papers().unwrap() {
        for c in &p.claim {
            if let Check::Test { file, name } = &c.check {
                let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}/{}: {file}: {e}", p.name, c.id));
                assert!(text.contains(&format!("fn {name}(")), "{}/{}: no test `{name}` in {file}", p.name, c.id);
            }
        }
    }
}

#[test]
fn committed_reports_are_current() {
    for p in claims::papers().unwrap() {
        let outcomes = p.evaluate(Path::new("results"));
        let md = claims::markdown(&p, &outcomes, Path::new("results"), Path::new("reports"), COMMAND).unwrap();
        let path = format!("reports/{}.md", p.name);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(committed == md, "{path} is stale: run `{COMMAND}`");
        let html = claims::html(&p, &outcomes, Path::new("results"), COMMAND).unwrap();
        let committed = std::fs::read_to_string(format!("reports/{}.html", p.name)).unwrap_or_default();
        assert!(committed == html, "reports/{}.html is stale: run `{COMMAND}`", p.name);
    }
}

/// The statistics can say no: the registry's own claims turned around fail on the same runs.
#[test]
fn reversed_claims_do_not_hold() {
    let run = claims::RunData::read(Path::new("results/cascading_synthetic")).unwrap();
    // AdaptRM below CascadingVI: the paired differences are > 1,000 the other way
    let reversed = Check::Ordering {
        metric: "regret".into(),
        lower: "AdaptRM".into(),
        higher: "CascadingVI".into(),
        cells: None,
        every_checkpoint: false,
    };
    assert_eq!(reversed.evaluate(Some(&run)).unwrap().verdict, Verdict::DoesNotHold);
    // SEA's stochastic regime grows like √T, so "linear in T" and "constant" are refused
    let sea = claims::RunData::read(Path::new("results/sea_regimes")).unwrap();
    for expected in [1.0, 0.0] {
        let c = Check::Exponent {
            metric: "regret".into(),
            series: "optimistic OMD".into(),
            cell: "stochastic sigma=0.5".into(),
            from: 2000,
            to: 20000,
            expected,
            tolerance: 0.15,
            side: claims::Side::Both,
        };
        assert_eq!(c.evaluate(Some(&sea)).unwrap().verdict, Verdict::DoesNotHold, "exponent {expected}");
    }
    // CascadingVI's regret is a power of K, not exponential in K: "ln regret linear in K" fails
    let c = Check::LogLinear {
        metric: "regret".into(),
        series: "CascadingVI".into(),
        cell: "N=10".into(),
        from: 500,
        to: 2000,
        min_ratio: 10.0,
    };
    let o = c.evaluate(Some(&run)).unwrap();
    assert_eq!(o.verdict, Verdict::DoesNotHold, "{}", o.ours);
}

#[test]
fn unknown_names_are_errors_that_list_what_the_run_has() {
    let run = claims::RunData::read(Path::new("results/cascading_synthetic")).unwrap();
    let c = Check::Ordering {
        metric: "regret".into(),
        lower: "CascadingVI".into(),
        higher: "AdaptRm".into(),
        cells: Some(vec!["N=10".into()]),
        every_checkpoint: false,
    };
    let e = c.evaluate(Some(&run)).unwrap_err().to_string();
    assert!(e.contains("AdaptRm") && e.contains("AdaptRM / regret"), "{e}");
    let c = Check::Ordering {
        metric: "regret".into(),
        lower: "CascadingVI".into(),
        higher: "AdaptRM".into(),
        cells: Some(vec!["N=11".into()]),
        every_checkpoint: false,
    };
    let e = c.evaluate(Some(&run)).unwrap_err().to_string();
    assert!(e.contains("no cell `N=11`") && e.contains("N=10"), "{e}");
}
