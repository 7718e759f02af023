//! Bad `[causal]` tables and instance files are refused before anything runs, with the field
//! and the allowed range.

mod common;
use common::*;

fn spec(instances: &str, algorithms: &str, extra: &str, horizon: u64) -> String {
    format!(
        "name = \"x\"\nseed = 1\nreps = 2\nhorizon = {horizon}\n[causal]\ninstances = [{instances}]\nalgorithms = [{algorithms}]\n{extra}"
    )
}

const GEN: &str = "{ generate = { seed = 1, nodes = 4 } }";
const CSL: &str = "{ kind = \"csl_ucb\" }";

#[test]
fn bad_causal_tables_are_refused_by_name() {
    let graph = |g: &str, h: u64| {
        format!("name = \"x\"\nseed = 1\nreps = 2\nhorizon = {h}\n[causal]\ninstances = [{GEN}]\ngraph = {g}\n")
    };
    assert_messages(vec![
        (spec("", CSL, "", 100), vec!["causal.instances", "at least one"]),
        (spec(GEN, "", "", 100), vec!["causal.algorithms", "at least one"]),
        (
            spec("{ generate = { seed = 1, nodes = 21 } }", CSL, "", 100),
            vec!["causal.instances[0].generate", "nodes", "2 ..= 20"],
        ),
        (spec("{ generate = { seed = 1, edge_prob = 1.5 } }", CSL, "", 100), vec!["edge_prob", "(0, 1]"]),
        (spec("{ generate = { seed = 1, w_min = 3.0 } }", CSL, "", 100), vec!["w_min", "0 < w_min ≤ w_max"]),
        (spec("{ generate = { seed = 1, sigma2 = -1.0 } }", CSL, "", 100), vec!["sigma2", "≥ 0"]),
        (
            spec("{ generate = { seed = 1 }, file = \"x.json\" }", CSL, "", 100),
            vec!["causal.instances[0].source", "exactly one"],
        ),
        (spec("{ paper = \"dynamic\" }", CSL, "", 100), vec!["causal.instances[0].paper", "\"stationary\""]),
        (spec(GEN, "{ kind = \"csl_ucb\", n_es = 2 }", "", 100), vec!["causal.algorithms[0].n_es", "4 ..= 1000000"]),
        (spec(GEN, "{ kind = \"csl_ucb\", n_max = 5 }", "", 100), vec!["causal.algorithms[0].n_max", "20 ..= "]),
        (spec(GEN, "{ kind = \"csl_ucb\", delta = 1.0 }", "", 100), vec!["causal.algorithms[0].delta", "(0, 1)"]),
        (spec(GEN, "{ kind = \"csl_ucb\", f_est = 0 }", "", 100), vec!["causal.algorithms[0].f_est", "1 ..= "]),
        (
            spec(GEN, "{ kind = \"csl_ucb\", coefficient = 1.0, c0_factor = 0.5 }", "", 100),
            vec!["causal.algorithms[0].coefficient", "one of coefficient and c0_factor"],
        ),
        (
            spec(GEN, "{ kind = \"golem_mab\", steps = 0 }", "", 100),
            vec!["causal.algorithms[0].steps", "1 ..= 10000000"],
        ),
        (spec(GEN, "{ kind = \"golem_mab\", learning_rate = 2.0 }", "", 100), vec!["learning_rate", "(0, 1]"]),
        (
            spec(GEN, "{ kind = \"vanilla_ucb\", window = 0 }", "", 100),
            vec!["causal.algorithms[0].window", "1 ..= 1000000"],
        ),
        (spec(GEN, CSL, "changes = { at = [] }", 100), vec!["causal.changes.at", "at least one"]),
        (spec(GEN, CSL, "changes = { at = [50, 40] }", 100), vec!["causal.changes.at[1]", "51 ..= 99"]),
        (spec(GEN, CSL, "changes = { at = [150] }", 100), vec!["causal.changes.at[0]", "1 ..= 99"]),
        (spec(GEN, CSL, "changes = { at = [50], columns = 0 }", 100), vec!["causal.changes.columns", "1 ..= 20"]),
        (spec(GEN, CSL, "window = 0", 100), vec!["causal.window", "1 ..= 1000000"]),
        (spec(GEN, CSL, "sigma = \"guessed\"", 100), vec!["guessed"]),
        (
            graph("{ samples = [50, 40], learners = [{ kind = \"csl\" }] }", 40),
            vec!["causal.graph.samples[1]", "51 ..= 1000000"],
        ),
        (graph("{ samples = [50], learners = [] }", 50), vec!["causal.graph.learners", "at least one"]),
        (
            graph("{ samples = [50], learners = [{ kind = \"csl\" }] }", 60),
            vec!["causal.graph.samples", "equal to the horizon"],
        ),
        (
            graph("{ samples = [50], regime = \"both\", learners = [{ kind = \"csl\" }] }", 50),
            vec!["causal.graph.regime", "\"observational\" or \"interventional\""],
        ),
    ]);
    assert!(validation_error(&spec(GEN, "{ kind = \"thompson\" }", "", 100)).contains("thompson"));
}

/// Instance files: every malformed entry names the file, the entry and the field.
#[test]
fn bad_instance_files_are_refused_by_name() {
    let dir = tmp("causal-files");
    std::fs::create_dir_all(&dir).unwrap();
    let eye = "[[1.0, 0.0], [0.0, 1.0]]";
    let entry = |b: &str, bp: &str, nu: &str, sigma: &str| {
        format!("{{\"B\": {b}, \"B_prime\": {bp}, \"nu\": {nu}, \"Sigma\": {sigma}}}")
    };
    let good = entry("[[0.0, 1.0], [0.0, 0.0]]", "[[0.0, -1.0], [0.0, 0.0]]", "[1.0, 1.0]", eye);
    let cases: Vec<(String, Vec<&str>)> = vec![
        // a cycle through the two regimes
        (
            format!("[{}]", entry("[[0.0, 1.0], [0.0, 0.0]]", "[[0.0, 0.0], [1.0, 0.0]]", "[1.0, 1.0]", eye)),
            vec!["[0].B", "cycle"],
        ),
        (
            format!("[{good}, {}]", entry("[[0.0, 1.0], [0.0, 0.0]]", "[[0.0, 1.0]]", "[1.0, 1.0]", eye)),
            vec!["[1].B_prime", "2 × 2"],
        ),
        (
            format!(
                "[{}]",
                entry("[[0.0, 1.0], [0.0, 0.0]]", "[[0.0, 1.0], [0.0, 0.0]]", "[1.0, 1.0]", "[[1.0, 0.5], [0.5, 1.0]]")
            ),
            vec!["[0].Sigma[0][1]", "0 off the diagonal"],
        ),
        (
            format!(
                "[{}]",
                entry(
                    "[[0.0, 1.0], [0.0, 0.0]]",
                    "[[0.0, 1.0], [0.0, 0.0]]",
                    "[1.0, 1.0]",
                    "[[1.0, 0.0], [0.0, -2.0]]"
                )
            ),
            vec!["[0].Sigma[1][1]", "≥ 0"],
        ),
        (
            format!("[{}]", entry("[[0.0, 1.0], [0.0, 0.0]]", "[[0.0, 1.0], [0.0, 0.0]]", "[1.0]", eye)),
            vec!["[0].nu", "2 finite numbers"],
        ),
        (
            format!("[{}]", entry("[[0.0, 1e999], [0.0, 0.0]]", "[[0.0, 1.0], [0.0, 0.0]]", "[1.0, 1.0]", eye)),
            vec!["x.json"],
        ),
        ("[]".to_string(), vec!["empty"]),
        ("{\"B\": []}".to_string(), vec!["expected a list"]),
    ];
    for (i, (body, want)) in cases.into_iter().enumerate() {
        let f = dir.join(format!("c{i}.json"));
        std::fs::write(&f, body).unwrap();
        let msg = validation_error(&spec(&format!("{{ file = \"{}\" }}", f.display()), CSL, "", 100));
        for w in want.iter().filter(|w| **w != "x.json") {
            assert!(msg.contains(w), "case {i}: '{w}' not in: {msg}");
        }
        assert!(msg.contains(&format!("c{i}.json")), "case {i}: the file is not named: {msg}");
    }
    // N > 20 is refused by name
    let zeros = format!("[{}]", vec![format!("[{}]", vec!["0.0"; 21].join(",")); 21].join(","));
    let ones = format!("[{}]", vec!["1.0"; 21].join(","));
    let big = format!("[{}]", entry(&zeros, &zeros, &ones, &zeros));
    let f = dir.join("big.json");
    std::fs::write(&f, big).unwrap();
    let msg = validation_error(&spec(&format!("{{ file = \"{}\" }}", f.display()), CSL, "", 100));
    assert!(msg.contains("1 ..= 20"), "{msg}");
    // a good file runs: its label counts the instances
    let f = dir.join("good.json");
    std::fs::write(&f, format!("[{good}, {good}]")).unwrap();
    let exp = regretlab::spec::parse(&spec(&format!("{{ file = \"{}\" }}", f.display()), CSL, "", 100), "t")
        .unwrap()
        .validate(&Default::default())
        .unwrap();
    assert!(exp.cells[0].label.ends_with("(2 instances)"), "{}", exp.cells[0].label);
}
