//! Bad input for the MDP settings: spec fields and model files out of range stop with a message
//! that names the field (or the file and entry) and the allowed range.

mod common;
use common::*;
use regretlab::spec::{Overrides, parse};

const MDPO: &str = r#"
name = "m"
seed = 1
reps = 1
horizon = 10
[mdpo]
gamma = 0.9
instances = [{ kind = "dirichlet", states = 4, actions = 2, alpha = 0.5, seed = 1 }]
algorithms = [{ kind = "md", step = "constant", t = 1.0 }]
"#;

const SEA: &str = r#"
name = "s"
seed = 1
reps = 1
horizon = 10
[sea]
dim = 3
radius = 1.0
instances = [{ sigma = 0.5 }]
algorithms = [{ kind = "oomd" }]
"#;

const RL: &str = r#"
name = "r"
seed = 1
reps = 1
horizon = 10
[tabular_rl]
episode_length = 5
instances = [{ kind = "river_swim", states = 4 }]
algorithms = [{ kind = "ucbvi", bonus = "hoeffding" }]
"#;

#[test]
fn good_specs_are_accepted() {
    for t in [MDPO, RL, SEA] {
        parse(t, "x").unwrap().validate(&Overrides::default()).unwrap();
    }
}

#[test]
fn every_mdp_validation_error_names_its_field() {
    let m = |from: &str, to: &str| MDPO.replace(from, to);
    let alg = |to: &str| MDPO.replace(r#"{ kind = "md", step = "constant", t = 1.0 }"#, to);
    let inst = |to: &str| MDPO.replace(r#"{ kind = "dirichlet", states = 4, actions = 2, alpha = 0.5, seed = 1 }"#, to);
    let r = |from: &str, to: &str| RL.replace(from, to);
    let cases: Vec<(String, Vec<&str>)> = vec![
        (m("gamma = 0.9", "gamma = 1.0"), vec!["mdpo.gamma = 1", "[0, 1)"]),
        (m("gamma = 0.9", "gamma = -0.5"), vec!["mdpo.gamma = -0.5", "[0, 1)"]),
        (m("gamma = 0.9", "gamma = 0.9\nstart = 9"), vec!["mdpo.start = 9", "0 ..= 3"]),
        (m("gamma = 0.9", "gamma = 0.9\nstart = \"first\""), vec!["mdpo.start", "\"uniform\" or a state index"]),
        (m("horizon = 10", "horizon = 2000000"), vec!["horizon = 2000000", "1 ..= 10^6"]),
        (
            inst(r#"{ kind = "dirichlet", states = 4, actions = 2, alpha = 0.0, seed = 1 }"#),
            vec!["mdpo.instances[0].alpha = 0", "> 0"],
        ),
        (
            inst(r#"{ kind = "dirichlet", states = 0, actions = 2, alpha = 1.0, seed = 1 }"#),
            vec!["mdpo.instances[0].states = 0", "1 ..= 4096"],
        ),
        (
            inst(r#"{ kind = "gridworld", width = 3, height = 3, slip = 1.5 }"#),
            vec!["mdpo.instances[0].slip = 1.5", "[0, 1]"],
        ),
        (inst(r#"{ kind = "river_swim", states = 1 }"#), vec!["mdpo.instances[0].states = 1", "2 ..= "]),
        (
            inst(r#"{ kind = "linear_mixture", states = 4, actions = 2, d = 0, alpha = 1.0, seed = 1 }"#),
            vec!["mdpo.instances[0].d = 0", "1 ..= 64"],
        ),
        (alg(r#"{ kind = "md", step = "constant" }"#), vec!["mdpo.algorithms[0].t = missing"]),
        (alg(r#"{ kind = "md", step = "constant", t = 0.0 }"#), vec!["mdpo.algorithms[0].t = 0", "(0, 1e6]"]),
        (
            alg(r#"{ kind = "md", step = "geometric", t = 1.0, ratio = 0.5 }"#),
            vec!["mdpo.algorithms[0].ratio = 0.5", ">= 1"],
        ),
        (
            alg(r#"{ kind = "md", step = "geometric", t = 1.0, ratio = 1e40 }"#),
            vec!["mdpo.algorithms[0].ratio = 1e40", "overflows"],
        ),
        (
            alg(r#"{ kind = "md", step = "harmonic" }"#),
            vec!["mdpo.algorithms[0].step = harmonic", "only with md_entropy"],
        ),
        (
            alg(r#"{ kind = "md_entropy", lambda = -1.0, step = "harmonic" }"#),
            vec!["mdpo.algorithms[0].lambda = -1", "> 0"],
        ),
        (alg(r#"{ kind = "ppo_clip", lr = 1.0, clip = 1.5 }"#), vec!["mdpo.algorithms[0].clip = 1.5", "(0, 1)"]),
        (alg(r#"{ kind = "trpo", delta = 0.0 }"#), vec!["mdpo.algorithms[0].delta = 0"]),
        (
            alg(r#"{ kind = "md_sampled", step = "constant", t = 1.0, estimator = "monte_carlo", rollouts = 0 }"#),
            vec!["mdpo.algorithms[0].rollouts = 0", "1 ..= 100000"],
        ),
        (
            alg(r#"{ kind = "md_sampled", step = "constant", t = 1.0, estimator = "td", param = "linear" }"#),
            vec!["mdpo.algorithms[0].dim = missing"],
        ),
        (
            alg(r#"{ kind = "md", step = "constant", t = 1.0 }, { kind = "md", step = "constant", t = 1.0 }"#),
            vec!["mdpo.algorithms[1].label", "distinct labels"],
        ),
        (alg(r#"{ kind = "value_iteration" }"#), vec!["value_iteration"]),
        (
            format!("{MDPO}\n[tabular_rl]\nepisode_length = 2\ninstances = []\nalgorithms = []\n"),
            vec!["setting = 2 tables", "exactly one"],
        ),
        (
            alg(r#"{ kind = "md", step = "constant", t = 1.0, ratio = 2.0 }"#),
            vec!["mdpo.algorithms[0].ratio = given", "omit it"],
        ),
        (
            alg(r#"{ kind = "md_entropy", lambda = 0.1, step = "harmonic", t = 1.0 }"#),
            vec!["mdpo.algorithms[0].t = given", "harmonic"],
        ),
        (alg(r#"{ kind = "md", step = "constant", t = 1e9 }"#), vec!["mdpo.algorithms[0].t = 1000000000", "(0, 1e6]"]),
        (
            alg(r#"{ kind = "md_sampled", step = "constant", t = 1.0, estimator = "td", rollouts = 3 }"#),
            vec!["mdpo.algorithms[0].rollouts = given", "td or replay"],
        ),
        (
            alg(r#"{ kind = "md_sampled", step = "constant", t = 1.0, estimator = "td", dim = 3 }"#),
            vec!["mdpo.algorithms[0].dim = given", "tabular"],
        ),
        (
            alg(r#"{ kind = "md_sampled", step = "constant", t = 0.1, estimator = "td", lr = 1.0 }"#),
            vec!["mdpo.algorithms[0].lr = 1", "<= 0.4"],
        ),
        (alg(r#"{ kind = "softmax_pg", lr = 1e300 }"#), vec!["mdpo.algorithms[0].lr = 1e300"]),
        (
            m("gamma = 0.9", "gamma = 0.99999").replace(
                r#"{ kind = "md", step = "constant", t = 1.0 }"#,
                r#"{ kind = "md_entropy", lambda = 0.1, step = "harmonic" }"#,
            ),
            vec!["mdpo.gamma = 0.99999", "<= 0.9999"],
        ),
        (
            inst(r#"{ kind = "dirichlet", states = 3000, actions = 2, alpha = 0.5, seed = 1 }"#),
            vec!["mdpo.instances[0].states = 3000", "<= 2000"],
        ),
        (
            inst(r#"{ kind = "reward_free_hard", d = 12, episodes = 10, horizon = 5, seed = 1 }"#),
            vec!["mdpo.instances[0].episodes = 10", ">= 23"],
        ),
        (r("horizon = 10", "horizon = 1000000000"), vec!["horizon = 1000000000", "u32"]),
        (
            r(r#"{ kind = "river_swim", states = 4 }"#, r#"{ kind = "river_swim", states = 100000 }"#),
            vec!["tabular_rl.instances[0].states = 100000", "<= 4096"],
        ),
        (SEA.replace("dim = 3", "dim = 1"), vec!["sea.dim = 1", "2 ..= 100000"]),
        (SEA.replace("radius = 1.0", "radius = 0.0"), vec!["sea.radius = 0", "positive, finite radius"]),
        (SEA.replace("radius = 1.0", "radius = inf"), vec!["sea.radius = inf"]),
        (
            SEA.replace("radius = 1.0", "domain = { kind = \"box\", lo = 1.0, hi = 0.0 }"),
            vec!["sea.domain.lo/hi = 1/0", "bounded and have an interior"],
        ),
        (
            SEA.replace("radius = 1.0", "domain = { kind = \"box\", lo = 0.5, hi = 0.5 }"),
            vec!["sea.domain.lo/hi = 0.5/0.5", "lo < hi"],
        ),
        (
            SEA.replace("radius = 1.0", "radius = 1.0\nloss = { kind = \"linear\" }")
                .replace("{ sigma = 0.5 }", "{ label = \"flat\" }"),
            vec!["sea.instances = flat", "gradient bound G is 0"],
        ),
        (
            SEA.replace("radius = 1.0", "radius = 200.0\nloss = { kind = \"logistic\", scale = 5.0 }")
                .replace("{ sigma = 0.5 }", "{ centre = 0.5 }")
                .replace(r#"{ kind = "oomd" }"#, r#"{ kind = "optimistic_ons" }"#),
            vec!["sea.algorithms[0].kind = optimistic ONS on", "γ >= 1e-6"],
        ),
        (
            SEA.replace("radius = 1.0", "radius = 1.0\nloss = { kind = \"linear\" }")
                .replace(r#"{ kind = "oomd" }"#, r#"{ kind = "ons" }"#),
            vec!["sea.algorithms[0].kind = ONS", "linear losses are not"],
        ),
        (
            SEA.replace("radius = 1.0", "domain = { kind = \"box\", lo = -inf, hi = 0.0 }"),
            vec!["sea.domain.lo/hi = -inf/0", "bounded"],
        ),
        (
            SEA.replace("radius = 1.0", "radius = 1.0\ndomain = { kind = \"simplex\" }"),
            vec!["sea.radius", "either radius (a ball) or domain"],
        ),
        (SEA.replace("radius = 1.0\n", ""), vec!["sea.domain = missing"]),
        (
            SEA.replace(r#"{ kind = "oomd" }"#, r#"{ kind = "hedge" }"#),
            vec!["sea.algorithms[0].kind = Hedge", "needs the simplex domain"],
        ),
        (
            SEA.replace("radius = 1.0", "domain = { kind = \"simplex\" }")
                .replace(r#"{ kind = "oomd" }"#, r#"{ kind = "optimistic_ons" }"#),
            vec!["sea.algorithms[0].kind = optimistic ONS", "needs the ball domain"],
        ),
        (
            SEA.replace("radius = 1.0", "radius = 1.0\nloss = { kind = \"logistic\" }"),
            vec!["sea.instances[0].sigma = 0.5", "0 with loss = logistic"],
        ),
        (
            SEA.replace("radius = 1.0", "radius = 1.0\nloss = { kind = \"logistic\", examples = 0 }"),
            vec!["sea.loss.examples = 0", "1 ..="],
        ),
        (
            SEA.replace("radius = 1.0", "radius = 1.0\nloss = { kind = \"random_features\", bandwidth = -1.0 }"),
            vec!["sea.loss.bandwidth = -1", "(0, ∞)"],
        ),
        (
            SEA.replace(
                "radius = 1.0",
                "radius = 1.0\nloss = { kind = \"random_features\", examples = 4, inputs = 2 }",
            )
            .replace(r#"{ kind = "oomd" }"#, r#"{ kind = "oomd_perfect_hints", eta = 1000.0 }"#),
            vec!["sea.algorithms[0].eta = 1000", "must be ≤ 0.9"],
        ),
        (
            SEA.replace("instances = [{ sigma = 0.5 }]", "grid = { sigma = [], amplitude = [0.1] }"),
            vec!["sea.grid", "non-empty sigma and amplitude"],
        ),
        (
            SEA.replace("instances = [{ sigma = 0.5 }]", "grid = { sigma = [-0.1], amplitude = [0.1] }"),
            vec!["sea.grid (sigma = -0.1, amplitude = 0.1).sigma = -0.1"],
        ),
        (SEA.replace("sigma = 0.5", "sigma = -0.5"), vec!["sea.instances[0].sigma = -0.5", "[0, ∞)"]),
        (
            SEA.replace(r#"{ kind = "oomd" }"#, r#"{ kind = "oomd", delta = 0.0 }"#),
            vec!["sea.algorithms[0].delta = 0", "> 0"],
        ),
        (
            SEA.replace(r#"{ kind = "oomd" }"#, r#"{ kind = "oomd_perfect_hints", eta = -1.0 }"#),
            vec!["sea.algorithms[0].eta = -1", "> 0"],
        ),
        (
            SEA.replace(r#"{ kind = "oomd" }"#, r#"{ kind = "ogd_strongly_convex", lambda = 0.0 }"#),
            vec!["sea.algorithms[0].lambda = 0", "> 0"],
        ),
        (SEA.replace("sigma = 0.5", "sigma = 0.5, drift = 0.3"), vec!["sea.instances[0].drift_period = 0"]),
        (r("episode_length = 5", "episode_length = 0"), vec!["tabular_rl.episode_length = 0", "1 ..= 10000"]),
        (r("episode_length = 5", "episode_length = 5\nstart = 4"), vec!["tabular_rl.start = 4", "0 ..= 3"]),
        (
            r(r#"bonus = "hoeffding" }"#, r#"bonus = "hoeffding", delta = 1.5 }"#),
            vec!["tabular_rl.algorithms[0].delta = 1.5", "(0, 1)"],
        ),
        (
            r(r#"bonus = "hoeffding" }"#, r#"bonus = "hoeffding", c = -1.0 }"#),
            vec!["tabular_rl.algorithms[0].c = -1", "> 0"],
        ),
        (r(r#"bonus = "hoeffding""#, r#"bonus = "chernoff""#), vec!["chernoff", "hoeffding"]),
    ];
    assert_messages(cases);
}

#[test]
fn model_files_with_bad_rows_or_shapes_name_the_file_and_entry() {
    let dir = common::tmp("mdp-files");
    let write = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p.display().to_string()
    };
    let spec = |path: String| {
        MDPO.replace(
            r#"{ kind = "dirichlet", states = 4, actions = 2, alpha = 0.5, seed = 1 }"#,
            &format!(r#"{{ kind = "json", path = "{path}" }}"#),
        )
    };
    let rows = write(
        "rows.json",
        r#"{"states": 2, "actions": 1, "transitions": [[[0.6, 0.3]], [[0.0, 1.0]]], "rewards": [[0.1], [0.2]]}"#,
    );
    let msg = validation_error(&spec(rows));
    assert!(
        msg.contains("rows.json") && msg.contains("transitions[s=0, a=0]") && msg.contains("sum within 1e-9 of 1"),
        "{msg}"
    );
    let neg = write(
        "neg.json",
        r#"{"states": 2, "actions": 1, "transitions": [[[1.2, -0.2]], [[0.0, 1.0]]], "rewards": [[0.1], [0.2]]}"#,
    );
    let msg = validation_error(&spec(neg));
    assert!(msg.contains("neg.json") && msg.contains("transitions[s=0, a=0, s'=1] = -0.2"), "{msg}");
    let shape = write(
        "shape.json",
        r#"{"states": 2, "actions": 2, "transitions": [[[1.0, 0.0]], [[0.0, 1.0]]], "rewards": [[0.1, 0.1], [0.2, 0.2]]}"#,
    );
    let msg = validation_error(&spec(shape));
    assert!(msg.contains("shape.json") && msg.contains("expected shape [2][2][2]"), "{msg}");
    let rew = write("rew.json", r#"{"states": 1, "actions": 1, "transitions": [[[1.0]]], "rewards": [[2.0]]}"#);
    let msg = validation_error(&spec(rew));
    assert!(msg.contains("rewards[s=0, a=0] = 2"), "{msg}");
    let msg = validation_error(&spec(dir.join("missing.json").display().to_string()));
    assert!(msg.contains("missing.json"), "{msg}");
    let p = dir.join("p.npy");
    let r = dir.join("r.npy");
    std::fs::write(&p, regretlab::mdp::io::npy_bytes(&[1, 2, 2], &[1.0, 0.0, 0.0, 1.0])).unwrap();
    std::fs::write(&r, regretlab::mdp::io::npy_bytes(&[3, 1], &[0.0; 3])).unwrap();
    let npy = MDPO.replace(
        r#"{ kind = "dirichlet", states = 4, actions = 2, alpha = 0.5, seed = 1 }"#,
        &format!(r#"{{ kind = "npy", p = "{}", r = "{}" }}"#, p.display(), r.display()),
    );
    let msg = validation_error(&npy);
    assert!(msg.contains("r.npy") && msg.contains("(2, 1)"), "{msg}");
}
