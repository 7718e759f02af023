//! Rounds per second of SEA learners for d ∈ {10, 100, 1000}: optimistic OMD and OGD on the
//! ball (quadratic losses), optimistic Hedge and the Euclidean optimistic OMD (sorting
//! projection) on the simplex (linear losses), and the meta-learner on the ball. A round draws
//! θ_t, plays, pays the mean loss and updates; the comparators are computed once per cell
//! (outside the timed loop, as in the engine). `cargo bench --bench sea_rounds`.

use criterion::{Criterion, Throughput};
use regretlab::oco::Domain;
use regretlab::rng::{Role, StreamId};
use regretlab::settings::sea::algorithms::{Algorithm, run};
use regretlab::settings::sea::model::{Loss, SeaInstance, Sequence};

const ROUNDS: u64 = 2000;

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("sea_rounds");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ROUNDS));
    let seq = Sequence { sigma: 0.5, centre: 0.6, amplitude: 0.2, period: 5, drift: 0.0, drift_period: 0 };
    let grid = regretlab::engine::default_grid(ROUNDS);
    for d in [10usize, 100, 1000] {
        let env = StreamId::new([1, 1], 0, Role::Env);
        let ball = SeaInstance::quadratic_ball(d, 1.0, seq.clone()).unwrap();
        let simplex = SeaInstance::new(d, Domain::Simplex { dim: d }, Loss::Linear, seq.clone()).unwrap();
        let (tb, ts) = (ball.theory(&grid), simplex.theory(&grid));
        let cases = [
            ("oomd_ball", &ball, &tb, Algorithm::Oomd { delta: 1.0 }),
            ("ogd_ball", &ball, &tb, Algorithm::Ogd),
            ("meta_ball", &ball, &tb, Algorithm::OomdMeta { delta: 1.0 }),
            ("optimistic_hedge_simplex", &simplex, &ts, Algorithm::OptimisticHedge { delta: 1.0 }),
            ("oomd_simplex", &simplex, &ts, Algorithm::Oomd { delta: 1.0 }),
        ];
        for (name, inst, th, algo) in cases {
            g.bench_function(format!("{name}/d={d}"), |b| {
                b.iter(|| {
                    run(inst, th, &algo, &env, |_, r| {
                        std::hint::black_box(r);
                    })
                })
            });
        }
    }
    g.finish();
}

fn main() {
    // Criterion's own plots go through plotters, whose font feature here is the bundled one only.
    let mut c = Criterion::default().without_plots().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
