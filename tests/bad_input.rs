//! Bad input: every validation error names the field, the value and the allowed range; the CLI
//! exits non-zero and writes nothing.

use regretlab::spec::{parse, Overrides};

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
    has(&err(&GOOD.replace("horizon = 100", "horizon = 0")), &["horizon = 0", "1 ..= 2^40"]);
    has(&err(&GOOD.replace("horizon = 100", "horizon = -5")), &["horizon = -5"]);
    has(&err(&GOOD.replace("reps = 10", "reps = 0")), &["reps = 0", "1 ..= 4294967295"]);
    has(&err(&GOOD.replace("horizon = 100", "horizon = []")), &["horizon", "non-empty"]);
}

#[test]
fn empty_policy_and_instance_lists() {
    has(&err(&GOOD.replace("policies = [{ kind = \"ucb1\" }]", "policies = []")), &["bandit.policies", "at least one policy"]);
    has(&err(&GOOD.replace("instances = [{ arms = \"bernoulli\", means = [0.2, 0.5] }]", "instances = []")), &["bandit.instances", "at least one instance"]);
}

#[test]
fn parameter_ranges() {
    has(&err(&GOOD.replace("kind = \"ucb1\"", "kind = \"ucb1\", alpha = -1")), &["bandit.policies[0].alpha = -1", "(0, 16]"]);
    has(&err(&GOOD.replace("kind = \"ucb1\"", "kind = \"epsilon_greedy\", epsilon = 1.2")), &["epsilon = 1.2", "[0, 1]"]);
    has(&err(&GOOD.replace("kind = \"ucb1\"", "kind = \"explore_then_commit\", m = 80")), &["bandit.policies[0].m = 80", "1 ..= 50"]);
    has(&err(&GOOD.replace("kind = \"ucb1\"", "kind = \"exp3\", eta = 0")), &["eta = 0", "(0, ∞)"]);
    has(&err(&GOOD.replace("seed = 1", "seed = 1\nconfidence = 1.5")), &["confidence = 1.5", "(0, 1)"]);
    has(&err(&GOOD.replace("means = [0.2, 0.5]", "means = [0.2]")), &["bandit.instances[0]", "at least two arms"]);
}

#[test]
fn family_mismatches() {
    let g = GOOD.replace("arms = \"bernoulli\"", "arms = \"gaussian\"");
    has(&err(&g.replace("kind = \"ucb1\"", "kind = \"ucb1\", arithmetic = \"fixed\"")), &["bandit.policies[0].arithmetic = fixed", "Bernoulli"]);
    has(&err(&g.replace("kind = \"ucb1\"", "kind = \"kl_ucb\"")), &["bandit.policies[0].kind", "[0, 1]"]);
    has(&err(&g.replace("means = [0.2, 0.5]", "means = [0.2, 0.5], sd = [1.0, -2.0]")), &["bandit.instances[0].sd[1] = -2"]);
    has(&err(&GOOD.replace("means = [0.2, 0.5]", "means = [0.2, 0.5], sd = 1.0")), &["bandit.instances[0].sd", "omit it"]);
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
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_regretlab")).args(["run", "no_such_experiment"]).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown experiment 'no_such_experiment'"));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_regretlab")).args(["run", "b1_quick", "--reps", "0", "--out", out.to_str().unwrap()]).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("reps = 0"));
    assert!(!out.exists());
}

#[test]
fn kl_ucb_divergence_options() {
    let g = GOOD.replace("arms = \"bernoulli\"", "arms = \"gaussian\"");
    parse(&g.replace("kind = \"ucb1\"", "kind = \"kl_ucb\", divergence = \"gaussian\", variance = 2.0"), "x").unwrap().validate(&Overrides::default()).unwrap();
    has(&err(&g.replace("kind = \"ucb1\"", "kind = \"kl_ucb\", divergence = \"gaussian\", variance = -1.0")), &["bandit.policies[0].variance = -1"]);
    has(&err(&GOOD.replace("kind = \"ucb1\"", "kind = \"kl_ucb\", variance = 1.0")), &["bandit.policies[0].variance", "omit it"]);
    has(&err(&GOOD.replace("kind = \"ucb1\"", "kind = \"kl_ucb\", divergence = \"poisson\"")), &["poisson"]);
}
