//! The aggregate readback: per-arm sums over the replications, summed on the device.

use super::WG;
use super::run::{GpuBatchPart, GpuLayout, Sums, launch_cap, launch_with};
use crate::engine::{GpuControl, Trace};
use crate::gpu::{self, GpuError};
use crate::kernels::bandit::FixedKernel;

/// Replications summed per thread by the aggregate readback: 64 counts below 2^25 stay below 2^31.
const PER_THREAD: u32 = 64;

/// Sums per arm over the replications, on the device, then on the host in u64: thread (k, g)
/// adds the 64 counts of replications 64g .. 64g + 63 of arm k (pulls, then successes), and the
/// host reads 2K⌈R/64⌉ words instead of 2KR.
pub(super) fn sum_over_replications(
    ctx: &gpu::Context,
    cnt: &wgpu::Buffer,
    suc: &wgpu::Buffer,
    k: usize,
    r: usize,
    totals: &mut [u64],
) -> Result<(), GpuError> {
    let src = format!(
        "const WG: u32 = {WG}u;
struct Params {{ reps: u32, groups: u32, arms: u32, pad: u32 }}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> cnt: array<u32>;
@group(0) @binding(2) var<storage, read> suc: array<u32>;
@group(0) @binding(3) var<storage, read_write> part: array<u32>;
@compute @workgroup_size(WG)
fn sums(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    let t = (wid.y * nwg.x + wid.x) * WG + lid;
    if (t >= P.arms * P.groups) {{
        return;
    }}
    let k = t / P.groups;
    let g = t % P.groups;
    let lo = g * {PER_THREAD}u;
    let hi = min(lo + {PER_THREAD}u, P.reps);
    var a = 0u;
    var b = 0u;
    for (var i = lo; i < hi; i++) {{
        a = a + cnt[k * P.reps + i];
        b = b + suc[k * P.reps + i];
    }}
    part[t] = a;
    part[P.arms * P.groups + t] = b;
}}"
    );
    let pipe = ctx.pipeline(&src, "sums")?;
    let groups = r.div_ceil(PER_THREAD as usize);
    let part = ctx.storage("per-arm partial sums", &vec![0; 2 * k * groups])?;
    let params = ctx.uniform(4);
    let layout = pipe.get_bind_group_layout(0);
    let entries = [(0, &params), (1, cnt), (2, suc), (3, &part)]
        .map(|(i, b)| wgpu::BindGroupEntry { binding: i, resource: b.as_entire_binding() });
    let bind = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("sums"),
        layout: &layout,
        entries: &entries,
    });
    ctx.dispatch(&pipe, &bind, &params, &[r as u32, groups as u32, k as u32, 0], ctx.grid((k * groups) as u32, WG)?);
    let back = ctx.read(&[&part], 2 * k * groups)?.remove(0);
    for (j, chunk) in back.chunks(groups).enumerate() {
        totals[j] += chunk.iter().map(|&x| x as u64).sum::<u64>();
    }
    Ok(())
}

/// What the aggregate readback returns: per arm, Σ over replications of the pull and success
/// counts at the horizon (exact integers), and the seconds from the first dispatch until the
/// device was idle (the simulation without set-up and readback; wall clock, not GPU timestamps).
#[derive(Clone, Debug)]
pub struct GpuTotals {
    pub pulls: Vec<u64>,
    pub successes: Vec<u64>,
    pub compute_seconds: f64,
}

impl FixedKernel {
    /// Runs replications `first_rep .. first_rep + reps` on the GPU and reads back only the
    /// per-arm sums of their final counts (Bernoulli arms; no curves): the end-to-end path for
    /// large benchmarks, where reading every replication's state costs as much as simulating it.
    /// Σ_k pulls = reps · T is checked. Equal to [`FixedKernel::totals_scalar`].
    pub fn run_totals_gpu(
        &self,
        int64: bool,
        layout: GpuLayout,
        first_rep: u64,
        reps: usize,
    ) -> Result<GpuTotals, GpuError> {
        if self.gauss.is_some() {
            return Err(GpuError::Unsupported(
                "aggregate readback sums Bernoulli counts; Gaussian arms read every replication".into(),
            ));
        }
        let cap = launch_cap(gpu::context()?, self);
        let mut tot = Sums { sums: vec![0u64; 2 * self.k], compute_seconds: 0.0 };
        // Traces without values (no allocation): this path records nothing per replication.
        let mut out = vec![Trace::default(); reps.min(cap)];
        let mut done = 0;
        while done < reps {
            let n = (reps - done).min(cap);
            let mut parts =
                [GpuBatchPart { kern: self, first_rep: first_rep + done as u64, grid: &[], out: &mut out[..n] }];
            launch_with(&mut parts, int64, layout, &GpuControl::none(), Some(&mut tot))?;
            done += n;
        }
        let pulls = tot.sums[..self.k].to_vec();
        let all: u64 = pulls.iter().sum();
        if all != reps as u64 * self.horizon {
            return Err(GpuError::Invariant(format!(
                "{reps} replications made {all} pulls in all (Σ must be R·T = {})",
                reps as u64 * self.horizon
            )));
        }
        Ok(GpuTotals { pulls, successes: tot.sums[self.k..].to_vec(), compute_seconds: tot.compute_seconds })
    }
}
