//! The fixed-point bandit kernel on the GPU: UCB1, UCB-V, MOSS, explore-then-commit, ε-greedy,
//! KL-UCB and Gaussian Thompson sampling on Bernoulli arms, and UCB1, MOSS, ETC, ε-greedy and
//! Thompson sampling on Gaussian arms, in WGSL, through [`crate::gpu`]. It computes the integers of
//! [`FixedKernel::run_scalar`]:
//! - the Env word of step m of replication r is Philox4x32-10 of (m >> 2, r, Env, 0) under the
//!   cell's key, word m & 3; the reward is `word < THR[arm] | FULL[arm]` (per-arm data in a
//!   buffer: the shader depends only on K and the rule, so a sweep compiles it once per pair);
//! - UCB1's index is `mq + mulhi(A[m], B[n])` (wrapping u32 add), with A by step and B by pull
//!   count uploaded from the host's own tables (B\[n\] is [`ucb1_b`](crate::kernels::bandit::ucb1_b), an f32 expression the GPU
//!   does not recompute); MOSS's is `mq + C[n]` (the host's table); ETC's and ε-greedy's `mq`;
//! - round robin while m < the rule's exploration length (K; m·K for ETC; 0 for Thompson), then ETC's committed
//!   arm (kept in a buffer across dispatches), else the argmax, which ε-greedy replaces by
//!   ⌊w₁K/2^32⌋ when word w₀ of block m of its policy stream is below the host's threshold;
//! - mq = ⌊s 2^28 / n⌋ exactly: an estimate from a normalised reciprocal RN\[n\] =
//!   ⌊(2^(32+e) − 1)/n⌋, e = ⌊log2 n⌋, which is at most one below, then corrected by comparing
//!   (q + 1)·n with s·2^28 in 64 bits (two checks, so the result never depends on the estimate);
//! - the argmax by strict `>` from arm 0, rounds 0..K round robin;
//! - Gaussian arms (devices with SHADER_INT64 only): the deviate of [`super::gaussian`] from the
//!   host's quantile table (fold, leading-bit exponent, i64 interpolation), the reward
//!   μ + ⌊σ Z / 2^24⌋ and its sum in i64 Q12.20, and the mean ⌊S / n⌋ by i64 division with a
//!   floor correction, its sign bit flipped: the same integers as the CPU's, so the same bits.
//!
//! Replications are invocations; state lives between dispatches in struct-of-arrays buffers
//! (`cnt[k·R + i]`, `suc[k·R + i]`); each dispatch runs at most [`CHUNK`] steps (lavapipe stops
//! any shader loop after 65,535 iterations) and ends at every checkpoint, where the counts are
//! read back, checked (Σ_k n_k = t for every replication: a failure is an error) and turned into
//! the metrics by the same host code as the CPU paths ([`FixedKernel::record`]).
//!
//! One launch serves many cells: the shader depends only on (K, rule), and everything a cell
//! owns (key, replication range, horizon, exploration length, ε-greedy's stream, arms, and the
//! offsets of its tables, which are shared when equal) is a segment record that each invocation
//! finds by binary search on its index. A sweep of 120 cells × 200 replications therefore runs
//! as one batch per (K, rule) instead of one per cell.

use super::FixedKernel;
use crate::gpu::GpuError;

/// Steps per dispatch at most.
pub const CHUNK: u64 = 10_000;
/// Invocations per workgroup.
const WG: u32 = 64;

/// What both shader layouts share: parameters, the segment record of a cell, the bindings, the
/// exact Q4.28 mean, the segment search and the entry point's first lines. `ARMS` takes the arm family's functions (or the
/// unrolled layout's workgroup counters), `SCELL` the sums' storage type.
const PRELUDE: &str = include_str!("../shaders/prelude.wgsl");

/// The step loop's head in both layouts: the rule's set-up (`LOAD`), the Env word of step m
/// (one Philox block per four steps), round robin until the rule's exploration ends, then the
/// rule's choice (`CHOOSE`).
const STEP_HEAD: &str = include_str!("../shaders/step_head.wgsl");

/// The per-thread-array layout: every rule; the pulled arm indexes private arrays.
const BODY: &str = include_str!("../shaders/body.wgsl");

/// Bernoulli arms: success counts, `word < THR | FULL`, the exact Q4.28 mean.
const BERNOULLI: &str = include_str!("../shaders/bernoulli.wgsl");

/// The integer normal deviate of [`super::gaussian`] from the host's quantile table (needs
/// SHADER_INT64): Gaussian arms' rewards and Thompson sampling's draws.
const NORMAL: &str = include_str!("../shaders/normal.wgsl");

/// Gaussian arms (needs SHADER_INT64): i64 reward sums in Q12.20 stored as (lo, hi) words, the
/// reward μ + ⌊σ Z / 2^24⌋, and ⌊S / n⌋ with the sign bit flipped.
const GAUSSIAN: &str = include_str!("../shaders/gaussian.wgsl");

/// Thompson sampling's draw ([`super::thompson`]): the Q12.20 mean over n + 1 plus
/// ⌊⌊Σ Z / 2^24⌋ W\[n\] / 2^32⌋, signed, its sign bit flipped. Bernoulli arms' mean.
const TS_BERNOULLI: &str = include_str!("../shaders/ts_bernoulli.wgsl");

/// The argmax of the K draws of step m: words of blocks m·⌈K/4⌉ + ⌊k/4⌋ of the policy's stream.
const TS_CHOOSE: &str = include_str!("../shaders/ts_choose.wgsl");

/// KL-UCB's fixed-point index ([`super::kl_ucb`]): the binary search of the scalar reference on
/// the 2^-16 grid, with the host's i64 tables LN (2^16 + 1 entries) then XL (T + 1), and the
/// level table in `tab_a` as (lo, hi) word pairs. j0 = ⌊s 2^16 / n⌋ is the exact Q4.28 mean
/// shifted down by 12 (a floor of a floor).
const KL_UCB: &str = include_str!("../shaders/kl_ucb.wgsl");

/// UCB-V's SD\[n, s\] = [`super::ucbv_sd`], an IEEE f32 expression, reproduced exactly in integers
/// (needs SHADER_INT64): a device's own f32 sqrt and division need not be correctly rounded
/// (WGSL allows 2.5 ulp), so each f32 operation is emulated with round-to-nearest-even on
/// positive normal values, a value being (m, e) = m 2^e with m in [2^23, 2^24):
/// u64 → f32, sqrt (integer square root with its remainder as sticky bit), product (48-bit
/// mantissa product) and quotient (mantissa long division with its remainder), then the clamp
/// to 4294967040 and truncation. `tests/gpu.rs` compares it with the CPU's f32 on every
/// n < 2^11 and s ≤ n, near 2^24 and 2^25, and on random pairs up to 2^25.
pub const WGSL_UCBV_SD: &str = include_str!("../shaders/ucbv_sd.wgsl");

/// The unrolled layout (the probe's fast kernel, for UCB1, MOSS, ETC and ε-greedy on Bernoulli
/// arms): each arm's index parts are named scalars that the pulled arm updates by `select`, and
/// the pull and success counts live in workgroup memory laid out \[K\]\[WG\], touched once per pull.
/// No per-thread array is indexed by the chosen arm, which GPU compilers would place in slow
/// local memory. The same prelude (bindings, segments, the exact mean) and integers as [`BODY`].
const BODY_UNROLLED: &str = include_str!("../shaders/body_unrolled.wgsl");

/// The argmax of `INDEX(k)` by strict `>` from arm 0, into `arm`.
const ARGMAX: &str = include_str!("../shaders/argmax.wgsl");

/// ⌊(2^(32+e) − 1)/n⌋ with e = ⌊log2 n⌋: in [2^31, 2^32).
fn reciprocal(n: u32) -> u32 {
    let e = 31 - n.leading_zeros();
    (((1u64 << (32 + e)) - 1) / n as u64) as u32
}

mod run;
mod source;
#[cfg(test)]
mod tests;
mod totals;

pub use run::{GpuBatchPart, GpuLayout, run_batch_gpu, run_batch_gpu_layout};
pub use totals::GpuTotals;

/// The bandit kernels' GPU capability: the engine batches jobs by [`FixedKernel::gpu_batch_key`]
/// and runs each batch through [`run_batch_gpu`].
impl crate::engine::GpuBatched for FixedKernel {
    fn batch_key(&self) -> Option<String> {
        // a kernel that needs i64 runs on the CPU when the device has no SHADER_INT64
        let int64 = || crate::gpu::context().is_ok_and(|c| c.int64);
        (self.gpu_supported() && (!self.gpu_needs_int64() || int64())).then(|| self.gpu_batch_key())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn run_batch(
        &self,
        parts: &mut [crate::engine::GpuPart<'_>],
        ctl: &crate::engine::GpuControl<'_>,
    ) -> Result<(), crate::engine::GpuStop> {
        use crate::engine::GpuStop;
        let mut kparts = Vec::with_capacity(parts.len());
        for p in parts.iter_mut() {
            let kern = p.gpu.as_any().downcast_ref::<FixedKernel>().filter(|k| k.gpu_supported());
            let kern =
                kern.ok_or_else(|| GpuStop::Failed("a GPU batch holds a job without a bandit GPU kernel".into()))?;
            kparts.push(GpuBatchPart { kern, first_rep: p.first_rep, grid: p.grid, out: &mut *p.out });
        }
        let stop = |e: GpuError| match e {
            GpuError::Cancelled => GpuStop::Cancelled,
            e => GpuStop::Failed(e.to_string()),
        };
        let int64 = crate::gpu::context().map_err(stop)?.int64;
        run_batch_gpu(&mut kparts, int64, ctl).map_err(stop)
    }
}
