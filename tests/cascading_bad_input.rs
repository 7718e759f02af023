//! Bad input for `[cascading]`: each error names the field and the allowed range.

mod common;
use common::*;
use regretlab::spec::{Overrides, parse};

const GOOD: &str = r#"
name = "c"
seed = 1
reps = 1
horizon = 10
[cascading]
list_length = 2
episode_length = 2
instances = [{ kind = "synthetic", states = 3, items = 4, seed = 1 }]
algorithms = [{ kind = "cascading_vi" }]
"#;

#[test]
fn good_spec_is_accepted() {
    parse(GOOD, "x").unwrap().validate(&Overrides::default()).unwrap();
}

#[test]
fn every_cascading_validation_error_names_its_field() {
    let g = |from: &str, to: &str| GOOD.replace(from, to);
    let alg = |to: &str| GOOD.replace(r#"{ kind = "cascading_vi" }"#, to);
    let inst = |to: &str| GOOD.replace(r#"{ kind = "synthetic", states = 3, items = 4, seed = 1 }"#, to);
    let cases: Vec<(String, Vec<&str>)> = vec![
        (g("list_length = 2", "list_length = 5"), vec!["cascading.list_length = 5", "1 ..= 4"]),
        (g("list_length = 2", "list_length = 0"), vec!["cascading.list_length = 0"]),
        (g("episode_length = 2", "episode_length = 0"), vec!["cascading.episode_length = 0", "1 ..= 1000"]),
        (g("episode_length = 2", "episode_length = 2\nstart = 3"), vec!["cascading.start = 3", "0 ..= 2"]),
        (
            inst(r#"{ kind = "synthetic", states = 3, items = 4, max_attraction = 1.5, seed = 1 }"#),
            vec!["cascading.instances[0].max_attraction = 1.5", "(0, 1]"],
        ),
        (inst(r#"{ kind = "synthetic", states = 0, items = 4, seed = 1 }"#), vec!["cascading.instances[0].states = 0"]),
        (
            inst(r#"{ kind = "synthetic", states = 1000, items = 200, seed = 1 }"#),
            vec!["cascading.instances[0] = S = 1000, N = 200", "S²·(N+1) <= 10^8"],
        ),
        (g("horizon = 10", "horizon = 3000000000"), vec!["horizon = 3000000000", "u32"]),
        (
            inst(r#"{ kind = "movielens", items = 5, dir = "/nonexistent/ml" }"#),
            vec!["/nonexistent/ml/ml-100k.inter", "regretlab data movielens"],
        ),
        (alg(r#"{ kind = "cascading_vi", c = 2.0 }"#), vec!["cascading.algorithms[0].c = 2", "(0, 1]"]),
        (alg(r#"{ kind = "cascading_vi", delta = 0.0 }"#), vec!["cascading.algorithms[0].delta = 0", "(0, 1)"]),
        (alg(r#"{ kind = "cascading_vi", q_bound = "chernoff" }"#), vec!["chernoff"]),
        (alg(r#"{ kind = "cascading_bpi", epsilon = 0.0 }"#), vec!["cascading.algorithms[0].epsilon = 0", "> 0"]),
        (
            alg(r#"{ kind = "cascading_vi" }, { kind = "cascading_bpi", epsilon = 0.1 }"#),
            vec!["cascading.algorithms[1].kind", "one kind"],
        ),
        (alg(r#"{ kind = "cascade_ucb1" }"#), vec!["cascading.algorithms[0].kind", "S = H = 1"]),
        (
            alg(r#"{ kind = "cascading_vi" }, { kind = "cascading_vi" }"#),
            vec!["cascading.algorithms[1].label", "distinct"],
        ),
        (
            GOOD.replace(
                r#"{ kind = "synthetic", states = 3, items = 4, seed = 1 }"#,
                r#"{ kind = "synthetic", states = 1, items = 300, seed = 1 }"#,
            )
            .replace("list_length = 2", "list_length = 3")
            .replace(r#"{ kind = "cascading_vi" }"#, r#"{ kind = "adapt_rm" }"#),
            vec!["cascading.algorithms[0].kind", "26820600 lists", "at most 2000000"],
        ),
    ];
    assert_messages(cases);
}
