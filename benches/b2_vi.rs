//! Criterion: one value-iteration sweep on the B2-sized dense MDP (S = 500, A = 10), with the
//! f64 table and with the compensated 16-bit storage (mid-range and reference modes cost the same).
//! `cargo bench --bench b2_vi`.

use criterion::{Criterion, criterion_group, criterion_main};
use regretlab::mdp::generate;
use regretlab::mdp::planning::{CompensatedMdp, Stop, bellman, value_iteration_compensated};

fn sweeps(c: &mut Criterion) {
    let mdp = generate::uniform_dense(500, 10, 2024).unwrap();
    let v: Vec<f64> = (0..500).map(|i| 90.0 + (i as f64 * 0.01).sin()).collect();
    let mut g = c.benchmark_group("b2_sweep");
    g.sample_size(30);
    g.bench_function("f64_table", |b| b.iter(|| bellman(&mdp, 0.99, std::hint::black_box(&v))));
    let cm = CompensatedMdp::new(&mdp).unwrap();
    // 50 sweeps from V = 0 (no rebase happens this early), per sweep = time / 50.
    g.bench_function("compensated_u16_50_sweeps", |b| {
        b.iter(|| value_iteration_compensated(&cm, &mdp, 0.99, Stop::Residual(1e-300), 50).unwrap())
    });
    g.finish();
}

// Criterion's own plots go through plotters, whose font feature here is the bundled one only.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = sweeps
}
criterion_main!(benches);
