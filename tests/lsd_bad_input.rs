//! Bad `[lsd]` tables are refused before anything runs, with the field and the allowed range.

mod common;
use common::*;

fn spec(instances: &str, algorithms: &str, horizon: u64) -> String {
    format!(
        "name = \"x\"\nseed = 1\nreps = 2\nhorizon = {horizon}\n[lsd]\ninstances = [{instances}]\nalgorithms = [{algorithms}]\n"
    )
}

const GREEDY: &str = "{ kind = \"oracle_greedy\" }";

#[test]
fn bad_lsd_tables_are_refused_by_name() {
    let ratios = |r: &str, planners: &str| {
        format!("name = \"x\"\nseed = 1\nreps = 2\nhorizon = 100\n[lsd]\nratios = {r}\nplanners = [{planners}]\n")
    };
    assert_messages(vec![
        (
            spec("{ table = [[0.1, 1.5, 0.2], [0.1, 0.1, 0.1]] }", GREEDY, 100),
            vec!["lsd.instances[0]", "1.5", "[0, 1]"],
        ),
        (spec("{ table = [[0.1, 0.2], [0.1]] }", GREEDY, 100), vec!["lsd.instances[0].M", "C ≥ 2"]),
        (spec("{ act = [[]], idle = [[]] }", GREEDY, 100), vec!["lsd.instances[0].tau_max", "1 ..= 1000"]),
        (
            spec("{ act = [[0.5]], idle = [[0.5]], start = \"sideways\" }", GREEDY, 100),
            vec!["start", "\"active\" or \"idle\""],
        ),
        (spec("{ act = [[0.5]] }", GREEDY, 100), vec!["idle", "both act and idle"]),
        (
            spec("{ laforgue = \"third\" }", GREEDY, 100),
            vec!["lsd.instances[0].laforgue", "\"main\" or \"supplementary\""],
        ),
        (
            spec("{ laforgue = \"main\", table = [[0.1, 0.2]] }", GREEDY, 100),
            vec!["lsd.instances[0].source", "exactly one source"],
        ),
        (
            spec("{ generate = { class = \"monotone\", arms = 0, tau_max = 3, seed = 1 } }", GREEDY, 100),
            vec!["lsd.instances[0].generate.arms", "1 ..= 64"],
        ),
        (spec("{ file = \"/nonexistent/lsd.json\" }", GREEDY, 100), vec!["/nonexistent/lsd.json"]),
        (
            spec("{ laforgue = \"main\" }", "{ kind = \"comb_ucb1\", d = 0 }", 100),
            vec!["lsd.algorithms[0].d", "1 ..= 12"],
        ),
        (
            spec("{ laforgue = \"main\" }", "{ kind = \"isi_comb_ucb1\", d = 11 }", 10),
            vec!["lsd.algorithms[0].d", "shortest horizon"],
        ),
        (
            spec(
                "{ laforgue = \"main\" }",
                "{ kind = \"online\", planner = \"greedy\", estimates = \"ucb\", epoch = 0 }",
                100,
            ),
            vec!["lsd.algorithms[0].epoch", "1 ..= 1000000000"],
        ),
        (spec("", GREEDY, 100), vec!["lsd.instances", "at least one"]),
        (spec("{ laforgue = \"main\" }", "", 100), vec!["lsd.algorithms", "at least one"]),
        (
            ratios("{ classes = [\"monotone\"], arms = 3, tau_max = 0, seed = 1 }", "{ kind = \"greedy\" }"),
            vec!["lsd.ratios.tau_max", "1 ..= 20"],
        ),
        (
            ratios("{ classes = [\"monotone\"], arms = 8, tau_max = 20, seed = 1 }", "{ kind = \"greedy\" }"),
            vec!["lsd.ratios.arms", "joint states"],
        ),
        (
            ratios("{ classes = [], arms = 3, tau_max = 3, seed = 1 }", "{ kind = \"greedy\" }"),
            vec!["lsd.ratios.classes"],
        ),
        (
            ratios("{ classes = [\"monotone\"], arms = 3, tau_max = 3, seed = 1 }", ""),
            vec!["lsd.planners", "at least one"],
        ),
        (
            ratios("{ classes = [\"monotone\"], arms = 3, tau_max = 3, seed = 1, draws = 0 }", "{ kind = \"greedy\" }"),
            vec!["lsd.ratios.draws", "1 ..= 1000"],
        ),
        (
            spec("{ laforgue = \"main\" }", GREEDY, 100)
                .replace("[lsd]", "[plot]\nhistogram = { metric = \"nope\" }\n[lsd]"),
            vec!["plot.histogram.metric", "reward"],
        ),
        (
            spec("{ laforgue = \"main\" }", GREEDY, 100)
                .replace("[lsd]", "[plot]\nhistogram = { metric = \"reward\", bins = 1 }\n[lsd]"),
            vec!["plot.histogram.bins", "2 ..= 400"],
        ),
    ]);
    // both modes at once
    let both = spec("{ laforgue = \"main\" }", GREEDY, 100)
        + "ratios = { classes = [\"monotone\"], arms = 3, tau_max = 3, seed = 1 }\nplanners = [{ kind = \"greedy\" }]\n";
    assert!(validation_error(&both).contains("lsd.ratios"));
    // unknown fields and kinds are malformed specs
    assert!(validation_error(&spec("{ laforgue = \"main\", colour = 1 }", GREEDY, 100)).contains("colour"));
    assert!(validation_error(&spec("{ laforgue = \"main\" }", "{ kind = \"thompson\" }", 100)).contains("thompson"));
}

/// Every instance's monotonicity is reported in its cell's label: Laforgue's main instance is
/// not monotone (arm 1 pays only three rounds after its last pull), the supplementary one is.
#[test]
fn monotonicity_is_reported_per_instance() {
    let text = spec(
        "{ laforgue = \"main\" }, { laforgue = \"supplementary\" }, { act = [[0.9, 0.5]], idle = [[0.2, 0.8]] }",
        GREEDY,
        50,
    );
    let exp = regretlab::spec::parse(&text, "t").unwrap().validate(&Default::default()).unwrap();
    let labels: Vec<&str> = exp.cells.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["Laforgue main (non-monotone)", "Laforgue supplementary (monotone)", "instance 2 (monotone)"]);
}

/// Instance files: a positive-state table or explicit tables, read relative to the spec's
/// folder; a malformed file names itself.
#[test]
fn instance_files() {
    let dir = tmp("lsd-files");
    std::fs::write(dir.join("m.json"), r#"{"table": [[0.1, 0.9, 0.9], [0.5, 0.5, 0.5]]}"#).unwrap();
    std::fs::write(dir.join("bad.json"), r#"{"table": [[0.1, 0.9, 0.9]], "act": [[0.1]]}"#).unwrap();
    let text = spec("{ file = \"m.json\" }", GREEDY, 50);
    let path = dir.join("spec.toml");
    std::fs::write(&path, &text).unwrap();
    let s = regretlab::spec::read(&path).unwrap();
    let exp = s.validate(&Default::default()).unwrap();
    // the label keeps the path as written and reports the instance's monotonicity
    assert_eq!(exp.cells[0].label, "m.json (monotone)");
    std::fs::write(&path, spec("{ file = \"bad.json\" }", GREEDY, 50)).unwrap();
    let e = regretlab::spec::read(&path).unwrap().validate(&Default::default()).unwrap_err().to_string();
    assert!(e.contains("bad.json") && e.contains("expected"), "{e}");
}
