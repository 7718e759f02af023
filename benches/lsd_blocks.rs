//! Laforgue et al.'s block planners and one seed of their main experiment (k = 5, T = 3,600).
//!
//! - `lsd_block/{lp,enumerate}/{combucb1_d3,isi_d4}`: planning one block from a fixed UCB table
//!   (the LP planner solves 1 + (d − 1)·k LPs per block: 11 for d = 3, 16 for d = 4; criterion's
//!   elements are LP solves for the LP planner, so its throughput is solves per second);
//! - `lsd_seed/{planner}/{algorithm}`: one seed (3,600 rounds) of each of the five algorithms,
//!   the OPT_T table computed once outside the timed loop, as in the engine.
//!
//! The authors' Python code (cvxopt) is the named reference: `benches/lsd_side_by_side.sh` runs
//! one of its seeds beside this benchmark. `cargo bench --bench lsd_blocks`.

use criterion::{Criterion, Throughput};
use regretlab::engine::Trace;
use regretlab::settings::SettingSpec;
use regretlab::settings::lsd::LsdSpec;
use regretlab::settings::lsd::block::{BlockLp, BlockProblem, best_block};

fn problem(k: usize, d: usize, isi: bool) -> BlockProblem {
    // a UCB table of the kind a run holds after a few hundred rounds: means + bonuses
    let v = |i: usize, j: usize| 0.4 + 0.05 * ((i * 7 + j * 3) % 11) as f64 / 11.0 + 0.3 / (1.0 + (i + j) as f64);
    let first = (0..k * d).map(|e| if isi { 0.0 } else { v(e / d, (e % d + 2).min(d - 1)) }).collect();
    let later = (0..k * d).map(|e| v(e / d, e % d)).collect();
    BlockProblem { k, d, first, later }
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("lsd_block");
    for (name, k, d, isi) in [("combucb1_d3", 5, 3, false), ("isi_d4", 5, 4, true)] {
        let p = problem(k, d, isi);
        let mut lp = BlockLp::default();
        let mut out = Vec::new();
        g.throughput(Throughput::Elements((1 + (d - 1) * k) as u64));
        g.bench_function(format!("lp/{name}"), |b| {
            b.iter(|| {
                lp.plan(&p, &mut out).unwrap();
                out.len()
            })
        });
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("enumerate/{name}"), |b| {
            b.iter(|| {
                best_block(&p, &mut out);
                out.len()
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("lsd_seed");
    g.sample_size(10);
    g.throughput(Throughput::Elements(3600));
    for planner in ["lp", "enumerate"] {
        let spec: LsdSpec = toml::from_str(&format!(
            "instances = [{{ laforgue = \"main\" }}]\nalgorithms = [\
             {{ kind = \"isi_comb_ucb1\", d = 4, planner = \"{planner}\" }}, {{ kind = \"cs_best\", d = 3, planner = \"{planner}\" }}, \
             {{ kind = \"oracle_greedy\" }}, {{ kind = \"comb_ucb1\", d = 3, planner = \"{planner}\" }}, \
             {{ kind = \"cs_worst\", d = 3, planner = \"{planner}\" }}]"
        ))
        .unwrap();
        let cfg = spec.check(&[3600]).unwrap();
        let cells = cfg.cells(&[3600]);
        for job in cfg.jobs(&cells, 2022) {
            let grid = job.sim.grid().unwrap();
            let mut out = vec![Trace::new(job.sim.metrics().len(), grid.len())];
            job.sim.run_block(0, &grid, &mut out); // OPT_T, once
            if planner == "enumerate" && job.series == "Oracle Greedy" {
                continue;
            }
            let label = if job.series == "Oracle Greedy" {
                "oracle_greedy".to_string()
            } else {
                regretlab::plot::slug(&job.series)
            };
            let mut rep = 0;
            g.bench_function(format!("{planner}/{label}"), |b| {
                b.iter(|| {
                    rep += 1;
                    job.sim.run_block(rep, &grid, &mut out);
                    out[0].finals[0]
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
