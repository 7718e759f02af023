//! Criterion benchmarks of workload B1 (K = 10 Bernoulli arms, UCB1, T = 10,000): the batched
//! fixed-point kernel, its scalar reference, and the f64 scalar path, one thread each; and the
//! same for KL-UCB and the other fixed-point policies.
//! Throughput is reported in pulls (elements) per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use regretlab::engine::{Trace, default_grid};
use regretlab::kernels::KernelChoice;
use regretlab::kernels::bandit::{FixedKernel, FixedRule};
use regretlab::rng::cell_key;
use regretlab::settings::bandit::arms::Arm;
use regretlab::settings::bandit::sim::{BanditSim, PolicyConfig};

const B1: [f64; 10] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.85];
const T: u64 = 10_000;

fn b1(c: &mut Criterion) {
    let arms: Vec<Arm> = B1.iter().map(|&p| Arm::Bernoulli { p }).collect();
    let key = cell_key(1, 2);
    let grid = default_grid(T);
    let mut g = c.benchmark_group("b1");
    g.sample_size(10);
    for (name, rule) in [
        ("ucb1", FixedRule::Ucb1 { alpha: 2.0 }),
        ("moss", FixedRule::Moss),
        ("etc", FixedRule::Etc { m: 100 }),
        ("eps_greedy", FixedRule::EpsGreedy { epsilon: Some(0.05), c: 0.0, d: 0.0, tag: 1 }),
        ("kl_ucb", FixedRule::KlUcb { c: 0.0 }),
    ] {
        let kern = FixedKernel::new(&arms, T, rule, key);
        let reps = 256;
        let mut out = vec![Trace::new(3, grid.len()); reps];
        g.throughput(Throughput::Elements(reps as u64 * T));
        g.bench_function(format!("{name}_batched_{}", FixedKernel::isa()), |b| {
            b.iter(|| kern.run_block(KernelChoice::Auto, 0, &grid, &mut out))
        });
        let mut out = vec![Trace::new(3, grid.len()); 32];
        g.throughput(Throughput::Elements(32 * T));
        g.bench_function(format!("{name}_fixed_scalar"), |b| b.iter(|| kern.run_scalar(0, &grid, &mut out)));
    }
    let sim = BanditSim::new(arms.clone(), T, key, PolicyConfig::Ucb1 { alpha: 2.0 }, 0, None);
    let mut out = vec![Trace::new(3, grid.len()); 32];
    g.throughput(Throughput::Elements(32 * T));
    g.bench_function("ucb1_f64_scalar", |b| b.iter(|| sim.run_f64(0, &grid, &mut out)));
    let sim = BanditSim::new(arms.clone(), T, key, PolicyConfig::KlUcb { c: 0.0, gaussian_variance: None }, 0, None);
    g.bench_function("kl_ucb_f64_scalar", |b| b.iter(|| sim.run_f64(0, &grid, &mut out)));
    // B1's means on Gaussian arms (σ = 1): the integer normal deviate and signed Q12.20 means
    let gauss: Vec<Arm> = B1.iter().map(|&mean| Arm::Gaussian { mean, sd: 1.0 }).collect();
    for (name, rule, policy) in [
        ("ucb1", FixedRule::Ucb1 { alpha: 2.0 }, PolicyConfig::Ucb1 { alpha: 2.0 }),
        ("moss", FixedRule::Moss, PolicyConfig::Moss),
    ] {
        let kern = FixedKernel::new(&gauss, T, rule, key);
        let mut out = vec![Trace::new(3, grid.len()); 256];
        g.throughput(Throughput::Elements(256 * T));
        g.bench_function(format!("{name}_gaussian_batched_{}", FixedKernel::isa()), |b| {
            b.iter(|| kern.run_block(KernelChoice::Auto, 0, &grid, &mut out))
        });
        let mut out = vec![Trace::new(3, grid.len()); 32];
        g.throughput(Throughput::Elements(32 * T));
        g.bench_function(format!("{name}_gaussian_fixed_scalar"), |b| b.iter(|| kern.run_scalar(0, &grid, &mut out)));
        let sim = BanditSim::new(gauss.clone(), T, key, policy, 0, None);
        g.bench_function(format!("{name}_gaussian_f64_scalar"), |b| b.iter(|| sim.run_f64(0, &grid, &mut out)));
    }
    g.finish();
}

/// Batched throughput per policy and number of arms (means evenly spaced in [0.1, 0.9], T = 10^4,
/// the automatically chosen implementation).
fn policy_by_k(c: &mut Criterion) {
    let mut g = c.benchmark_group("batched_policy_k");
    g.sample_size(10);
    g.measurement_time(std::time::Duration::from_secs(2));
    g.warm_up_time(std::time::Duration::from_millis(500));
    let grid = default_grid(T);
    for k in [2usize, 10, 32, 64] {
        let arms: Vec<Arm> = (0..k).map(|i| Arm::Bernoulli { p: 0.1 + 0.8 * i as f64 / (k - 1) as f64 }).collect();
        let rules = [
            ("ucb1", FixedRule::Ucb1 { alpha: 2.0 }),
            ("moss", FixedRule::Moss),
            ("ucb_v", FixedRule::UcbV { zeta: 1.2, c: 1.0, b: 1.0 }),
            ("etc", FixedRule::Etc { m: T / k as u64 / 4 }),
            ("eps_greedy", FixedRule::EpsGreedy { epsilon: Some(0.05), c: 0.0, d: 0.0, tag: 1 }),
            ("kl_ucb", FixedRule::KlUcb { c: 0.0 }),
        ];
        for (name, rule) in rules {
            let kern = FixedKernel::new(&arms, T, rule, cell_key(1, 2));
            let reps = 128;
            let mut out = vec![Trace::new(3, grid.len()); reps];
            g.throughput(Throughput::Elements(reps as u64 * T));
            g.bench_function(format!("{name}/K={k}"), |b| {
                b.iter(|| kern.run_block(KernelChoice::Auto, 0, &grid, &mut out))
            });
        }
    }
    g.finish();
}

// Criterion's own plots go through plotters, whose font feature here is the bundled one only:
// its HTML plots are off, the numbers are printed.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = b1, policy_by_k
}
criterion_main!(benches);
