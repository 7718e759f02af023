//! Time per episode of CascadingVI (BestPerm planning), CascadingVI-Oracle (exhaustive search
//! over all lists) and AdaptRM (lists as atomic actions) as the number of items N grows, on the
//! synthetic S = 20, H = 3, m = 3 instances of the paper's experiment.
//!
//! `cargo bench --bench cascading_episode` first measures mean CPU time per episode over a fixed
//! run (300 episodes, one thread) for N = 5 … 25, prints the table with the Oracle/CascadingVI
//! ratio, and writes `results/cascading_time/` (CSV and a log-log figure); those times include
//! simulating the user and the exact evaluation of each episode's policy that the regret needs.
//! Then criterion times planning alone, per algorithm and N, after 500 episodes of data.

use std::sync::Arc;
use std::time::Instant;

use criterion::Criterion;
use regretlab::results::CurveRow;
use regretlab::rng::{Role, StreamId};
use regretlab::settings::cascading::algorithms::{Algorithm, Learner, Planner, QBonus};
use regretlab::settings::cascading::best_perm::all_lists;
use regretlab::settings::cascading::generate::synthetic;
use regretlab::settings::cascading::model::CascadingMdp;
use regretlab::settings::cascading::spec::CascadingSim;

const NS: [usize; 5] = [5, 10, 15, 20, 25];
const EPISODES: u64 = 300;

fn algorithms() -> [(&'static str, Algorithm); 3] {
    [
        ("CascadingVI", Algorithm::CascadingVi { q_bonus: QBonus::Kl, planner: Planner::BestPerm, c: 0.1, delta: 0.1 }),
        (
            "CascadingVI-Oracle",
            Algorithm::CascadingVi { q_bonus: QBonus::Kl, planner: Planner::Exhaustive, c: 0.1, delta: 0.1 },
        ),
        ("AdaptRM", Algorithm::AdaptRm { c: 0.1, delta: 0.1 }),
    ]
}

fn instance(n: usize) -> Arc<CascadingMdp> {
    Arc::new(synthetic(20, n, 3, 3, 1.0, n as u64).unwrap())
}

fn sim(mdp: &Arc<CascadingMdp>, algo: &Algorithm, lists: &Arc<Vec<Vec<u16>>>) -> CascadingSim {
    let (v, _) = mdp.optimum();
    CascadingSim {
        mdp: mdp.clone(),
        algo: algo.clone(),
        lists: Some(lists.clone()),
        episodes: EPISODES,
        start: 0,
        key: [1, 2],
        v_star: v[[0, 0]],
    }
}

fn table_and_figure() {
    let mut rows = Vec::new();
    println!(
        "| N | lists | CascadingVI ms/episode | CascadingVI-Oracle ms/episode | AdaptRM ms/episode | Oracle / CascadingVI |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for n in NS {
        let mdp = instance(n);
        let lists = Arc::new(all_lists(n, 3));
        let mut ms = Vec::new();
        for (name, algo) in algorithms() {
            let s = sim(&mdp, &algo, &lists);
            let t0 = Instant::now();
            s.run_rep(0, |_, _| {});
            let per = t0.elapsed().as_secs_f64() * 1000.0 / EPISODES as f64;
            ms.push(per);
            rows.push(CurveRow {
                cell: "time".into(),
                policy: name.into(),
                metric: "ms_per_episode".into(),
                t: n as u64,
                n: 1,
                mean: per,
                sd: 0.0,
                ci_lo: per,
                ci_hi: per,
            });
        }
        println!("| {n} | {} | {:.4} | {:.3} | {:.4} | {:.0}× |", lists.len(), ms[0], ms[1], ms[2], ms[1] / ms[0]);
    }
    let dir = std::path::Path::new("results/cascading_time");
    std::fs::create_dir_all(dir).unwrap();
    let mut csv = String::from("algorithm,N,ms_per_episode\n");
    for r in &rows {
        csv.push_str(&format!("{},{},{}\n", r.policy, r.t, r.mean));
    }
    std::fs::write(dir.join("time_per_episode.csv"), csv).unwrap();
    let fig = regretlab::plot::Figure {
        title: "Cascading RL: time per episode vs N (S=20, H=3, m=3)".into(),
        metric: "ms_per_episode",
        curves: rows.iter().collect(),
        overlays: Vec::new(),
        log_x: true,
        log_y: true,
        x_label: "number of items N".into(),
        x_scale: 1.0,
        footer: format!(
            "regretlab {} · cargo bench --bench cascading_episode · one thread, {EPISODES} episodes per point",
            env!("CARGO_PKG_VERSION")
        ),
        panels: None,
        y_range: None,
    };
    regretlab::plot::write_figure(dir, "time_per_episode", &fig).unwrap();
}

fn criterion_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("cascading_plan");
    g.sample_size(10);
    for n in [5usize, 10, 15, 20] {
        let mdp = instance(n);
        let lists = Arc::new(all_lists(n, 3));
        for (name, algo) in algorithms() {
            g.bench_function(format!("{name}/N={n}"), |b| {
                // Plan after 500 episodes of data, so that AdaptRM has lists to score.
                let mut learner = Learner::new(&mdp, &algo, Some(lists.clone()), 1000);
                let env = StreamId::new([3, 3], 0, Role::Env);
                for k in 0..500 {
                    learner.plan();
                    let mut s = 0;
                    for h in 0..mdp.horizon {
                        let fb = mdp.step(&env, k, h, s, &learner.policy[h][s]);
                        learner.observe(s, h, &fb);
                        s = fb.next;
                    }
                    learner.end_episode();
                }
                b.iter(|| learner.plan())
            });
        }
    }
    g.finish();
}

fn main() {
    table_and_figure();
    // Criterion's own plots go through plotters, whose font feature here is the bundled one only.
    let mut c = Criterion::default().without_plots().configure_from_args();
    criterion_benches(&mut c);
    c.final_summary();
}
