//! Rounds per second of optimistic OMD and OGD in the SEA model on the unit ball, and of an
//! entropic (Hedge) mirror step plus a simplex projection on the simplex, for d ∈ {10, 100, 1000}.
//! `cargo bench --bench sea_rounds`.

use criterion::{Criterion, Throughput};
use regretlab::oco::{Domain, MirrorMap};
use regretlab::rng::{Role, StreamId};
use regretlab::settings::sea::algorithms::{run, Algorithm};
use regretlab::settings::sea::model::{SeaInstance, Sequence};

const ROUNDS: u64 = 2000;

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("sea_rounds");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ROUNDS));
    for d in [10usize, 100, 1000] {
        let inst = SeaInstance::quadratic_ball(d, 1.0, Sequence { sigma: 0.5, centre: 0.6, amplitude: 0.2, period: 5, drift: 0.0, drift_period: 0 }).unwrap();
        let th = inst.theory(&regretlab::engine::default_grid(ROUNDS));
        let env = StreamId::new([1, 1], 0, Role::Env);
        for (name, algo) in [("oomd_ball", Algorithm::Oomd { delta: 1.0 }), ("ogd_ball", Algorithm::Ogd)] {
            g.bench_function(format!("{name}/d={d}"), |b| b.iter(|| run(&inst, &th, &algo, &env, |_, r| { std::hint::black_box(r); })));
        }
        // One round on the simplex: an entropic mirror step and, for the Euclidean map, a
        // sorting projection, on gradients from the environment stream.
        let simplex = Domain::Simplex { dim: d };
        for (name, map) in [("entropic_simplex", MirrorMap::Entropic), ("euclidean_simplex", MirrorMap::Euclidean)] {
            g.bench_function(format!("{name}/d={d}"), |b| {
                b.iter(|| {
                    let mut x = simplex.centre();
                    let mut out = vec![0.0; d];
                    let mut grad = vec![0.0; d];
                    for t in 0..ROUNDS {
                        for (i, v) in grad.iter_mut().enumerate() {
                            *v = env.word(t * d as u64 + i as u64) as f64 / 4294967296.0;
                        }
                        map.step(&simplex, &x, &grad, 0.1, &mut out);
                        std::mem::swap(&mut x, &mut out);
                    }
                    x
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
