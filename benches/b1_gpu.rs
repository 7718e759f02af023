//! B1 (UCB1, K = 10, T = 10,000) on the GPU engine's kernel (both shader layouts) beside the
//! CPU's fastest exact lane kernel, in pulls per second (criterion's elements = pulls). On a machine without a GPU the
//! adapter is lavapipe, Mesa's Vulkan on the same CPU cores: that row measures the path, not a
//! GPU. `cargo bench --bench b1_gpu` (WGPU_BACKEND=vulkan picks lavapipe over GL).

use criterion::{Criterion, Throughput};
use regretlab::engine::Trace;
use regretlab::kernels::KernelChoice;
use regretlab::kernels::bandit::gpu::GpuLayout;
use regretlab::kernels::bandit::{FixedKernel, FixedRule};
use regretlab::rng::cell_key;
use regretlab::settings::bandit::arms::Arm;

const B1: [f64; 10] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.85];
const T: u64 = 10_000;

fn benches(c: &mut Criterion) {
    let arms: Vec<Arm> = B1.iter().map(|&p| Arm::Bernoulli { p }).collect();
    let kern = FixedKernel::new(&arms, T, FixedRule::Ucb1 { alpha: 2.0 }, cell_key(1, 1));
    // One checkpoint at the horizon: the kernel's speed, not the readback of curves.
    let grid = [T];
    let mut g = c.benchmark_group("b1_gpu");
    g.sample_size(10);
    for reps in [4096usize, 16_384] {
        g.throughput(Throughput::Elements(reps as u64 * T));
        g.bench_function(format!("cpu_lanes/R={reps}"), |b| {
            b.iter(|| {
                let mut out = vec![Trace::new(3, 1); reps];
                kern.run_block(KernelChoice::Auto, 0, &grid, &mut out);
                out
            })
        });
        match regretlab::gpu::context() {
            Ok(ctx) => {
                let name = ctx.adapter.clone();
                for (label, layout) in [("arrays", GpuLayout::Arrays), ("unrolled", GpuLayout::Unrolled)] {
                    g.bench_function(format!("gpu_{label}/R={reps}"), |b| {
                        b.iter(|| {
                            let mut out = vec![Trace::new(3, 1); reps];
                            kern.run_block_gpu_layout(ctx.int64, layout, 0, &grid, &mut out).expect("GPU run");
                            out
                        })
                    });
                }
                eprintln!("GPU adapter: {name}");
            }
            Err(e) => eprintln!("no GPU adapter, GPU rows skipped: {e}"),
        }
    }
    g.finish();
}

fn main() {
    let mut c = Criterion::default().without_plots().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
