//! Replications per second of a DP-BAI sweep: one replication runs an algorithm at every budget
//! of the `dp_bai_budget` experiment's grid (20 budgets up to T = 20,000) on the OD-LinBAI-style
//! instance (K = 10, d = 3), one thread. `cargo bench --bench dp_bai_sweep`.
//!
//! The reference is the same DP-BAI on a reward table drawn entry by entry (one Bernoulli per
//! pull, as a simulation that materialises the table does): the block-sum Binomial draws of
//! `SampledRewards` are what the simulation saves.

/// One Bernoulli entry per pull, from arm i's own stream, word j for entry j.
struct PerPull<'a> {
    means: &'a [f64],
    key: [u32; 2],
    rep: u32,
    used: Vec<u64>,
}

impl Rewards for PerPull<'_> {
    fn pull(&mut self, arm: usize, n: u64) -> f64 {
        let h = mix64(arm as u64 + 1);
        let id = StreamId::new([self.key[0] ^ h as u32, self.key[1] ^ (h >> 32) as u32], self.rep, Role::Env);
        let thr = (self.means[arm] * 4_294_967_296.0) as u64;
        let j0 = self.used[arm];
        self.used[arm] += n;
        (j0..j0 + n).filter(|&j| (id.word(j) as u64) < thr).count() as f64
    }
}

use criterion::{Criterion, Throughput};
use regretlab::engine::{Simulation, Trace};
use regretlab::rng::{Role, StreamId, mix64};
use regretlab::settings::dp_bai::algorithms::{Algorithm, Noise, Prepared, Rewards, run};
use regretlab::settings::dp_bai::model::LinearBai;
use regretlab::settings::dp_bai::spec::{DpBaiSim, SweepAxis};

fn benches(c: &mut Criterion) {
    let prep = Prepared::new(LinearBai::od_linbai(10, 0.3, 0.8, 2).unwrap());
    let grid: Vec<u64> = (1..=20u64).map(|i| 6 + (20_000 - 6) * i / 20).collect();
    let mut g = c.benchmark_group("dp_bai_sweep");
    g.sample_size(10);
    let reps = 256;
    g.throughput(Throughput::Elements(reps));
    for (name, algo) in [
        ("dp_bai", Algorithm::DpBai { epsilon: 0.03 }),
        ("dp_od_linbai", Algorithm::OdLinBai { epsilon: 0.03 }),
        ("sequential_halving", Algorithm::SequentialHalving { epsilon: f64::INFINITY }),
        ("dp_successive_rejects", Algorithm::SuccessiveRejects { epsilon: 0.03 }),
    ] {
        let sim = DpBaiSim {
            prep: prep.clone(),
            algo,
            sweep: SweepAxis::Budget,
            budget: 20_000,
            grid: grid.clone(),
            key: [1, 2],
            tag: 3,
        };
        let mut out = vec![Trace::new(2, grid.len()); reps as usize];
        g.bench_function(name, |b| b.iter(|| sim.run_block(0, &grid, &mut out)));
    }
    // the reference: DP-BAI on an entry-by-entry table, same grid
    let algo = Algorithm::DpBai { epsilon: 0.03 };
    g.bench_function("dp_bai_per_pull_table", |b| {
        b.iter(|| {
            let mut wrong = 0;
            for rep in 0..reps as u32 {
                for &t in &grid {
                    let mut rw = PerPull { means: &prep.inst.means, key: [1, 2], rep, used: vec![0; 10] };
                    let mut z = Noise::new([1, 2], rep, 3);
                    wrong += (run(&prep, &algo, t, &mut rw, &mut z) != 0) as u32;
                }
            }
            wrong
        })
    });
    g.finish();
}

criterion::criterion_group! {
    name = group;
    config = Criterion::default().without_plots();
    targets = benches
}
criterion::criterion_main!(group);
