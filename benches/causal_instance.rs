//! One instance of the causal paper's stationary experiment per algorithm: instance 0 of the
//! paper's 100 (N = 10, 1,024 actions), T = 1,500, exactly as the engine runs one replication
//! (the instance's reward table, noise and the learner), and one GOLEM-EV fit (300 samples,
//! 10⁵ Adam steps) alone.
//!
//! The authors' Python code is the named reference: `benches/causal_side_by_side.sh` runs their
//! CSL-UCB, LinSEM-TS and Vanilla UCB on the same instance beside this benchmark.
//! `cargo bench --bench causal_instance`.

use std::time::Duration;

use criterion::Criterion;
use regretlab::engine::{Simulation, Trace};
use regretlab::settings::causal::baselines::LinSemRule;
use regretlab::settings::causal::csl_ucb::{CslParams, SigmaMode};
use regretlab::settings::causal::golem::{GolemParams, fit};
use regretlab::settings::causal::sim::{Algorithm, CausalSim, Family};
use regretlab::settings::causal::spec::{PAPER_INSTANCES, parse_instances};

fn benches(c: &mut Criterion) {
    let list = std::sync::Arc::new(parse_instances("paper", PAPER_INSTANCES.as_bytes()).unwrap());
    let grid: Vec<u64> = (1..=30).map(|k| k * 50).collect();
    let mut g = c.benchmark_group("causal_instance");
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(5));
    let algos = [
        ("csl_ucb", Algorithm::CslUcb(CslParams::default())),
        ("linsem_ts", Algorithm::LinSem(LinSemRule::Thompson)),
        ("linsem_ucb", Algorithm::LinSem(LinSemRule::Ucb)),
        ("vanilla_ucb", Algorithm::VanillaUcb { coef: 1.0, window: None }),
        ("golem_mab", Algorithm::GolemMab(GolemParams::default())),
    ];
    for (name, algo) in algos {
        let sim = CausalSim {
            family: Family::List(list.clone()),
            algo,
            changes: None,
            sigma: SigmaMode::True,
            window: 100,
            grid: grid.clone(),
            key: [20, 25],
            tag: 1,
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut out = vec![Trace::new(5, grid.len())];
                sim.run_block(0, &grid, &mut out);
                out[0].finals[0]
            })
        });
    }
    let s = &list[0];
    let mut rng = regretlab::rng::StreamId::new([1, 2], 0, regretlab::rng::Role::Env).stream();
    let rows: Vec<Vec<f64>> = (0..300)
        .map(|_| {
            let z: Vec<f64> =
                (0..10).map(|_| rand_distr::Distribution::sample(&rand_distr::StandardNormal, &mut rng)).collect();
            let mut x = vec![0.0; 10];
            s.sample(0, &z, &mut x);
            x
        })
        .collect();
    let data: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
    g.bench_function("golem_ev_fit_300", |b| b.iter(|| fit(10, &data, &GolemParams::default())[1]));
    g.finish();
}

fn main() {
    // Criterion's own plots go through plotters, whose font feature here is the bundled one only.
    let mut c = Criterion::default().without_plots().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
