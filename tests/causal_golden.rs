//! CSL-UCB's learning steps against the authors' code run on the same data: the fixture
//! `tests/golden/causal_csl_authors_code.json` holds 160 samples of a 6-node instance under
//! random actions, and what CalixPeng/Causal_Bandit (HEAD 0430b95; `learn_topo`, `est_wt`,
//! `conf_bound`, `est_MI` with n_max = 40, ν = 1, Σ = I) returned on them, computed once by
//! the anchor script of the setting's README (numpy 1.26, scikit-learn, networkx, outside the
//! project). Our code never reads Python's output except here.

use regretlab::settings::causal::csl_ucb::{CslParams, FitMemo, estimate_weights, estimated_index, learn_subgraph};
use regretlab::settings::causal::history::History;
use regretlab::settings::causal::ksg::mutual_information;
use regretlab::settings::causal::learner::regime;

#[derive(serde::Deserialize)]
struct Golden {
    #[serde(rename = "N")]
    n: usize,
    n_max: usize,
    #[serde(rename = "X")]
    x: Vec<Vec<f64>>,
    actions: Vec<u32>,
    topology: [Vec<Vec<u8>>; 2],
    weights: [Vec<Vec<f64>>; 2],
    bounds: Vec<(u32, f64, f64)>,
    mi_x0_x1_first50: f64,
}

fn golden() -> Golden {
    serde_json::from_str(include_str!("golden/causal_csl_authors_code.json")).unwrap()
}

fn history(g: &Golden) -> History {
    let mut h = History::new(g.n);
    for (x, &a) in g.x.iter().zip(&g.actions) {
        h.push(|q| regime(g.n, a, q) == 1, x);
    }
    h
}

/// Sub-graph learning (OLS on every candidate, KSG score − ln|b̂|, deletion of the highest
/// score until acyclic) gives the code's topologies in both regimes; OLS on them gives the
/// code's weights; the index's mean and bound U(a) equal `conf_bound`'s for four actions.
#[test]
fn learning_steps_equal_the_authors_code() {
    let g = golden();
    let n = g.n;
    let h = history(&g);
    let p = CslParams { n_max: g.n_max, ..CslParams::default() };
    let nu = vec![1.0; n];
    let mut b = [vec![0.0; n * n], vec![0.0; n * n]];
    for (r, br) in b.iter_mut().enumerate() {
        let adj = learn_subgraph(&h, r, &nu, &p, &mut FitMemo::default());
        let want: Vec<bool> = g.topology[r].iter().flatten().map(|&x| x == 1).collect();
        assert_eq!(adj, want, "regime {r}: topology");
        let (w, _) = estimate_weights(&h, r, &adj, &nu, g.n_max);
        let want: Vec<f64> = g.weights[r].iter().flatten().copied().collect();
        for (e, (x, y)) in w.iter().zip(&want).enumerate() {
            assert!((x - y).abs() < 1e-9, "regime {r}, edge {} → {}: {x} vs {y}", e / n, e % n);
        }
        *br = w;
    }
    let (mean, upper, singular) = estimated_index(&h, &b, &nu, &|_, _| 1.0, &p);
    assert_eq!(singular, 0);
    for &(a, u, m) in &g.bounds {
        assert!((mean[a as usize] - m).abs() < 1e-9 * (1.0 + m.abs()), "action {a}: mean {} vs {m}", mean[a as usize]);
        assert!((upper[a as usize] - u).abs() < 1e-9 * u, "action {a}: bound {} vs {u}", upper[a as usize]);
    }
}

/// The KSG score on the first 50 samples of nodes 0 and 1, against the code's `est_MI`: equal
/// up to the one neighbour the code drops arbitrarily (we drop the nearest; see `ksg`): 0.488
/// against 0.516 here, so within 0.05 nats. Dropping the 4th or 5th nearest instead gives 0.603
/// or 0.783 on these samples, and would fail.
#[test]
fn ksg_is_near_the_authors_estimate() {
    let g = golden();
    let x0: Vec<f64> = g.x[..50].iter().map(|r| r[0]).collect();
    let x1: Vec<f64> = g.x[..50].iter().map(|r| r[1]).collect();
    let ours = mutual_information(&x0, &x1, 5);
    assert!((ours - g.mi_x0_x1_first50).abs() < 0.05, "{ours} vs {}", g.mi_x0_x1_first50);
}
