//! Bad input: every validation error names the field, the value and the allowed range; the CLI
//! exits non-zero and writes nothing.

use regretlab::spec::{Overrides, parse};

const GOOD: &str = r#"
name = "ok"
seed = 1
reps = 10
horizon = 100
[bandit]
instances = [{ arms = "bernoulli", means = [0.2, 0.5] }]
policies = [{ kind = "ucb1" }]
"#;

fn err(text: &str) -> String {
    match parse(text, "spec.toml").and_then(|s| s.validate(&Overrides::default())) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn has(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} lacks {p:?}");
    }
}

#[test]
fn good_spec_is_accepted() {
    parse(GOOD, "ok").unwrap().validate(&Overrides::default()).unwrap();
}

#[test]
fn malformed_toml() {
    has(&err("name = \"x\"\nseed = "), &["malformed spec spec.toml"]);
}

#[test]
fn unknown_field_is_rejected_with_its_name() {
    has(&err(&GOOD.replace("seed = 1", "seed = 1\nsede = 2")), &["unknown field `sede`"]);
    has(&err(&GOOD.replace("kind = \"ucb1\"", "kind = \"ucb1\", alpah = 2")), &["alpah"]);
    has(&err(&GOOD.replace("means = [0.2, 0.5]", "means = [0.2, 0.5], mean = 1")), &["unknown field `mean`"]);
}

#[test]
fn unknown_policy_kind() {
    has(&err(&GOOD.replace("kind = \"ucb1\"", "kind = \"ucb9\"")), &["ucb9"]);
}

#[test]
fn bernoulli_mean_outside_unit_interval() {
    has(&err(&GOOD.replace("[0.2, 0.5]", "[0.2, 1.5]")), &["bandit.instances[0].means[1] = 1.5", "[0, 1]"]);
    has(&err(&GOOD.replace("[0.2, 0.5]", "[-0.1, 0.5]")), &["means[0] = -0.1", "[0, 1]"]);
}

#[test]
fn non_positive_horizon_and_reps() {
    has(&err(&GOOD.replace("horizon = 100", "horizon = 0")), &["horizon = 0", "1 ..= 2^32"]);
    has(&err(&GOOD.replace("horizon = 100", "horizon = -5")), &["horizon = -5"]);
    has(&err(&GOOD.replace("reps = 10", "reps = 0")), &["reps = 0", "1 ..= 100000000"]);
    has(&err(&GOOD.replace("horizon = 100", "horizon = []")), &["horizon", "non-empty"]);
}

#[test]
fn empty_policy_and_instance_lists() {
    has(
        &err(&GOOD.replace("policies = [{ kind = \"ucb1\" }]", "policies = []")),
        &["bandit.policies", "at least one policy"],
    );
    has(
        &err(&GOOD.replace("instances = [{ arms = \"bernoulli\", means = [0.2, 0.5] }]", "instances = []")),
        &["bandit.instances", "at least one instance"],
    );
}

#[test]
fn parameter_ranges() {
    has(
        &err(&GOOD.replace("kind = \"ucb1\"", "kind = \"ucb1\", alpha = -1")),
        &["bandit.policies[0].alpha = -1", "(0, 16]"],
    );
    has(
        &err(&GOOD.replace("kind = \"ucb1\"", "kind = \"epsilon_greedy\", epsilon = 1.2")),
        &["epsilon = 1.2", "[0, 1]"],
    );
    has(
        &err(&GOOD.replace("kind = \"ucb1\"", "kind = \"explore_then_commit\", m = 80")),
        &["bandit.policies[0].m = 80", "1 ..= 50"],
    );
    has(&err(&GOOD.replace("kind = \"ucb1\"", "kind = \"exp3\", eta = 0")), &["eta = 0", "(0, ∞)"]);
    has(&err(&GOOD.replace("seed = 1", "seed = 1\nconfidence = 1.5")), &["confidence = 1.5", "(0, 1)"]);
    has(
        &err(&GOOD.replace("means = [0.2, 0.5]", "means = [0.2]")),
        &["bandit.instances[0] = 1 arm(s)", "2 ..= 100000"],
    );
}

#[test]
fn family_mismatches() {
    let g = GOOD.replace("arms = \"bernoulli\"", "arms = \"gaussian\"");
    // Gaussian arms run on the fixed-point kernel for UCB1, MOSS, ETC and ε-greedy only, and in range
    has(
        &err(&g.replace("kind = \"ucb1\"", "kind = \"ucb_v\", arithmetic = \"fixed\"")),
        &["bandit.policies[0].arithmetic = fixed", "UCB-V and KL-UCB are defined here for Bernoulli arms"],
    );
    has(
        &err(&g
            .replace("means = [0.2, 0.5]", "means = [0.2, 2050.0]")
            .replace("kind = \"ucb1\"", "kind = \"moss\", arithmetic = \"fixed\"")),
        &["bandit.policies[0].arithmetic = fixed", "Q12.20 index overflows", "below 2047"],
    );
    // fixed-point Thompson draws must stay in Q12.20: 1 + 6.338 σ < 2047 on Bernoulli arms,
    // max |μ| + 6.338 (σ_arm + σ) < 2047 on Gaussian ones
    has(
        &err(&GOOD.replace("kind = \"ucb1\"", "kind = \"thompson_gaussian\", sigma = 400.0, arithmetic = \"fixed\"")),
        &["bandit.policies[0].sigma = 400", "[0.0009765625, 322.815)"],
    );
    has(
        &err(&g.replace("kind = \"ucb1\"", "kind = \"thompson_gaussian\", sigma = 330.0, arithmetic = \"fixed\"")),
        &["bandit.policies[0].sigma = 330", "6.338 σ + max(|μ| + 6.338 σ_arm) < 2047"],
    );
    has(
        &err(&GOOD.replace("kind = \"ucb1\"", "kind = \"thompson_gaussian\", sigma = 1e-7, arithmetic = \"fixed\"")),
        &["bandit.policies[0].sigma = 0.0000001", "σ 2^20 ≥ 1024"],
    );
    let mixed = GOOD.replace(
        "{ arms = \"bernoulli\", means = [0.2, 0.5] }",
        "{ arms = \"bernoulli\", means = [0.2, 0.5] }, { arms = \"uniform\", low = [0.0, 0.1], high = [0.5, 0.6] }",
    );
    has(
        &err(&mixed.replace("kind = \"ucb1\"", "kind = \"ucb1\", arithmetic = \"fixed\"")),
        &["bandit.policies[0].arithmetic = fixed", "all-Bernoulli or all-Gaussian"],
    );
    has(&err(&g.replace("kind = \"ucb1\"", "kind = \"kl_ucb\"")), &["bandit.policies[0].kind", "[0, 1]"]);
    has(
        &err(&g.replace("means = [0.2, 0.5]", "means = [0.2, 0.5], sd = [1.0, -2.0]")),
        &["bandit.instances[0].sd[1] = -2"],
    );
    has(
        &err(&GOOD.replace("means = [0.2, 0.5]", "means = [0.2, 0.5], sd = 1.0")),
        &["bandit.instances[0].sd", "omit it"],
    );
}

#[test]
fn bad_name() {
    has(&err(&GOOD.replace("name = \"ok\"", "name = \"../etc\"")), &["name = \"../etc\""]);
}

#[test]
fn cli_exits_nonzero_and_writes_nothing() {
    let dir = std::env::temp_dir().join(format!("regretlab-bad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("bad.toml");
    std::fs::write(&spec, GOOD.replace("[0.2, 0.5]", "[0.2, 1.5]")).unwrap();
    let out = dir.join("out");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_regretlab"))
        .args(["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("bandit.instances[0].means[1] = 1.5"), "{stderr}");
    assert!(!out.exists(), "a failed run wrote {}", out.display());
    // an unknown experiment name, and --reps 0 from the command line
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_regretlab"))
        .args(["run", "no_such_experiment"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown experiment 'no_such_experiment'"));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_regretlab"))
        .args(["run", "b1_quick", "--reps", "0", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("reps = 0"));
    assert!(!out.exists());
}

#[test]
fn kl_ucb_divergence_options() {
    let g = GOOD.replace("arms = \"bernoulli\"", "arms = \"gaussian\"");
    parse(&g.replace("kind = \"ucb1\"", "kind = \"kl_ucb\", divergence = \"gaussian\", variance = 2.0"), "x")
        .unwrap()
        .validate(&Overrides::default())
        .unwrap();
    has(
        &err(&g.replace("kind = \"ucb1\"", "kind = \"kl_ucb\", divergence = \"gaussian\", variance = -1.0")),
        &["bandit.policies[0].variance = -1"],
    );
    has(
        &err(&GOOD.replace("kind = \"ucb1\"", "kind = \"kl_ucb\", variance = 1.0")),
        &["bandit.policies[0].variance", "omit it"],
    );
    has(&err(&GOOD.replace("kind = \"ucb1\"", "kind = \"kl_ucb\", divergence = \"poisson\"")), &["poisson"]);
}

/// Every other validation error: (replacement applied to GOOD, fragments the message must hold).
#[test]
fn every_other_validation_error_names_its_field() {
    let g = |from: &str, to: &str| GOOD.replace(from, to);
    let inst = |to: &str| GOOD.replace(r#"{ arms = "bernoulli", means = [0.2, 0.5] }"#, to);
    let pol = |to: &str| GOOD.replace(r#"{ kind = "ucb1" }"#, to);
    let cases: Vec<(String, Vec<&str>)> = vec![
        (g("horizon = 100", "horizon = 4294967297"), vec!["horizon = 4294967297", "1 ..= 2^32"]),
        (g("horizon = 100", "horizon = [100, 100]"), vec!["horizon = 100", "listed twice"]),
        (g("reps = 10", "reps = 100000001"), vec!["reps = 100000001"]),
        (g("[bandit]", "[plot]\nmetrics = [\"regret\"]\n[bandit]"), vec!["plot.metrics[0] = regret", "pseudo_regret"]),
        (g("[bandit]", "[other]"), vec!["other"]),
        (
            inst(r#"{ arms = "bernoulli", means = [0.2, 0.5], generate = { count = 3, seed = 1 } }"#),
            vec!["bandit.instances[0].generate", "exactly one"],
        ),
        (
            inst(r#"{ arms = "bernoulli", generate = { count = 1, seed = 1 } }"#),
            vec!["bandit.instances[0].generate.count = 1", "2 ..= 100000"],
        ),
        (
            inst(r#"{ arms = "bernoulli", generate = { count = 5, seed = 1, low = -0.5 } }"#),
            vec!["bandit.instances[0].generate.low = -0.5", "[0, 1]"],
        ),
        (
            inst(r#"{ arms = "bernoulli", generate = { count = 5, seed = 1, low = 0.5, high = 0.2 } }"#),
            vec!["bandit.instances[0].generate.high = 0.2", "generate.low = 0.5"],
        ),
        (
            inst(r#"{ arms = "uniform", generate = { count = 5, seed = 1 } }"#),
            vec!["bandit.instances[0].generate", "only Bernoulli and Gaussian"],
        ),
        (
            inst(r#"{ arms = "gaussian", means = [0.2, 0.5], sd = [1.0] }"#),
            vec!["bandit.instances[0].sd = 1 values", "2 values or one"],
        ),
        (inst(r#"{ arms = "gaussian", means = [0.2, 1e300] }"#), vec!["bandit.instances[0].means[1] = 1e300"]),
        (inst(r#"{ arms = "gaussian" }"#), vec!["bandit.instances[0].means = missing"]),
        (
            inst(r#"{ arms = "uniform", low = [0.0, 0.5], high = [0.4, 0.5] }"#),
            vec!["bandit.instances[0].high[1] = 0.5", "(0.5,"],
        ),
        (
            inst(r#"{ arms = "uniform", low = [0.0, nan], high = [0.4, 0.5] }"#),
            vec!["bandit.instances[0].low[1] = NaN"],
        ),
        (
            inst(r#"{ arms = "uniform", low = [0.0], high = [0.4, 0.5] }"#),
            vec!["bandit.instances[0].high = 2 values", "1 values"],
        ),
        (inst(r#"{ arms = "beta", a = [1.0, 0.0], b = [1.0, 1.0] }"#), vec!["bandit.instances[0].a[1] = 0", "(0, ∞)"]),
        (inst(r#"{ arms = "beta", a = [1.0, 2.0] }"#), vec!["bandit.instances[0].b = missing"]),
        (
            inst(r#"{ arms = "beta", a = [1.0, 2.0], b = [1.0, 1.0], means = [0.5, 0.5] }"#),
            vec!["bandit.instances[0].means", "omit it"],
        ),
        (
            inst(
                r#"{ label = "x", arms = "bernoulli", means = [0.2, 0.5] }, { label = "x", arms = "bernoulli", means = [0.3, 0.5] }"#,
            ),
            vec!["bandit.instances[1].label = x", "bandit.instances[0]"],
        ),
        (
            inst(
                r#"{ label = "A", arms = "bernoulli", means = [0.2, 0.5] }, { label = "B", arms = "bernoulli", means = [0.2, 0.5] }"#,
            ),
            vec!["bandit.instances", "'A' and 'B'", "same content"],
        ),
        (
            inst(
                r#"{ label = "Ab", arms = "bernoulli", means = [0.2, 0.5] }, { label = "ab", arms = "bernoulli", means = [0.3, 0.5] }"#,
            ),
            vec!["bandit.instances.label", "'Ab' and 'ab'"],
        ),
        (pol(r#"{ kind = "ucb1", alpha = [] }"#), vec!["bandit.policies[0].alpha = []", "non-empty"]),
        (pol(r#"{ kind = "ucb1", alpha = "x" }"#), vec!["a value or a list of values"]),
        (
            pol(r#"{ kind = "ucb1", label = "u" }, { kind = "moss", label = "u" }"#),
            vec!["bandit.policies[1].label = u", "same label"],
        ),
        (pol(r#"{ kind = "ucb_v", zeta = 0 }"#), vec!["bandit.policies[0].zeta = 0"]),
        (pol(r#"{ kind = "ucb_v", b = -1 }"#), vec!["bandit.policies[0].b = -1"]),
        (pol(r#"{ kind = "kl_ucb", c = -1 }"#), vec!["bandit.policies[0].c = -1", "[0, ∞)"]),
        (pol(r#"{ kind = "thompson_gaussian", sigma = 0 }"#), vec!["bandit.policies[0].sigma = 0"]),
        (pol(r#"{ kind = "epsilon_greedy", c = 1.0, d = 2.0 }"#), vec!["bandit.policies[0].d = 2", "(0, 1]"]),
        (pol(r#"{ kind = "epsilon_greedy", c = 1.0 }"#), vec!["bandit.policies[0].epsilon", "c and d"]),
        (pol(r#"{ kind = "explore_then_commit", m = 0 }"#), vec!["bandit.policies[0].m = 0", "1 or more"]),
        (
            g("horizon = 100", "horizon = 1")
                .replace(r#"{ kind = "ucb1" }"#, r#"{ kind = "explore_then_commit", m = 1 }"#),
            vec!["bandit.policies[0].m = 1", "shorter than K = 2"],
        ),
        (
            g("horizon = 100", "horizon = 10000000")
                .replace(r#"{ kind = "ucb1" }"#, r#"{ kind = "ucb1", arithmetic = "fixed", alpha = 15 }"#),
            vec!["bandit.policies[0].alpha = 15", "α ln T", "(0, 13.95"],
        ),
        (
            pol(r#"{ kind = "ucb_v", arithmetic = "fixed", zeta = 10, c = 2 }"#),
            vec!["bandit.policies[0].zeta = 10", "Q8.24", "< 256"],
        ),
        (
            pol(r#"{ kind = "kl_ucb", arithmetic = "fixed", divergence = "gaussian" }"#),
            vec!["bandit.policies[0].arithmetic = fixed", "Bernoulli divergence only"],
        ),
        (
            pol(r#"{ kind = "kl_ucb", arithmetic = "fixed", c = 1e7 }"#),
            vec!["bandit.policies[0].c = 10000000", "[0, 1e6]"],
        ),
        (
            g("horizon = 100", "horizon = 40000000")
                .replace(r#"{ kind = "ucb1" }"#, r#"{ kind = "moss", arithmetic = "fixed" }"#),
            vec!["bandit.policies[0].arithmetic = fixed", "2^25", "horizon 40000000"],
        ),
        (
            inst(r#"{ arms = "uniform", low = [-1.0, 0.0], high = [2.0, 1.0] }"#)
                .replace(r#"{ kind = "ucb1" }"#, r#"{ kind = "thompson_beta" }"#),
            vec!["bandit.policies[0].kind", "[0, 1]"],
        ),
        (
            inst(r#"{ arms = "gaussian", means = [0.0, 1.0] }"#)
                .replace(r#"{ kind = "ucb1" }"#, r#"{ kind = "exp3" }"#),
            vec!["bandit.policies[0].kind", "[0, 1]"],
        ),
    ];
    for (text, parts) in cases {
        has(&err(&text), &parts);
    }
}

#[test]
fn cli_refuses_to_replace_a_folder_that_is_not_a_run() {
    let dir = std::env::temp_dir().join(format!("regretlab-notrun-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("thesis.tex"), "precious").unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_regretlab"))
        .args(["run", "b1_quick", "--quick", "--reps", "2", "--out", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a regretlab run folder"));
    assert_eq!(std::fs::read_to_string(dir.join("thesis.tex")).unwrap(), "precious");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_regretlab"))
        .args(["run", "b1_quick", "--threads", "1000000000", "--reps", "2"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--threads = 1000000000"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
