//! The fixed-point bandit kernel on the GPU: UCB1, UCB-V, MOSS, explore-then-commit, ε-greedy,
//! KL-UCB and Gaussian Thompson sampling on Bernoulli arms, and UCB1, MOSS, ETC, ε-greedy and
//! Thompson sampling on Gaussian arms, in WGSL, through [`crate::gpu`]. It computes the integers of
//! [`FixedKernel::run_scalar`]:
//! - the Env word of step m of replication r is Philox4x32-10 of (m >> 2, r, Env, 0) under the
//!   cell's key, word m & 3; the reward is `word < THR[arm] | FULL[arm]` (per-arm data in a
//!   buffer: the shader depends only on K and the rule, so a sweep compiles it once per pair);
//! - UCB1's index is `mq + mulhi(A[m], B[n])` (wrapping u32 add), with A by step and B by pull
//!   count uploaded from the host's own tables (B[n] is [`ucb1_b`], an f32 expression the GPU
//!   does not recompute); MOSS's is `mq + C[n]` (the host's table); ETC's and ε-greedy's `mq`;
//! - round robin while m < the rule's exploration length (K; m·K for ETC; 0 for Thompson), then ETC's committed
//!   arm (kept in a buffer across dispatches), else the argmax, which ε-greedy replaces by
//!   ⌊w₁K/2^32⌋ when word w₀ of block m of its policy stream is below the host's threshold;
//! - mq = ⌊s 2^28 / n⌋ exactly: an estimate from a normalised reciprocal RN[n] =
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

use std::collections::{BTreeMap, BTreeSet};

use super::{FixedKernel, FixedRule, ucb1_b};
use crate::engine::{GpuControl, Trace};
use crate::gpu::{self, GpuError};
use crate::rng::Role;

/// Steps per dispatch at most.
pub const CHUNK: u64 = 10_000;
/// Invocations per workgroup.
const WG: u32 = 64;

/// What both shader layouts share: parameters, the segment record of a cell, the bindings, the
/// exact Q4.28 mean, the segment search and the entry point's first lines. `ARMS` takes the arm family's functions (or the
/// unrolled layout's workgroup counters), `SCELL` the sums' storage type.
const PRELUDE: &str = include_str!("shaders/prelude.wgsl");

/// The step loop's head in both layouts: the rule's set-up (`LOAD`), the Env word of step m
/// (one Philox block per four steps), round robin until the rule's exploration ends, then the
/// rule's choice (`CHOOSE`).
const STEP_HEAD: &str = include_str!("shaders/step_head.wgsl");

/// The per-thread-array layout: every rule; the pulled arm indexes private arrays.
const BODY: &str = include_str!("shaders/body.wgsl");

/// Bernoulli arms: success counts, `word < THR | FULL`, the exact Q4.28 mean.
const BERNOULLI: &str = include_str!("shaders/bernoulli.wgsl");

/// The integer normal deviate of [`super::gaussian`] from the host's quantile table (needs
/// SHADER_INT64): Gaussian arms' rewards and Thompson sampling's draws.
const NORMAL: &str = include_str!("shaders/normal.wgsl");

/// Gaussian arms (needs SHADER_INT64): i64 reward sums in Q12.20 stored as (lo, hi) words, the
/// reward μ + ⌊σ Z / 2^24⌋, and ⌊S / n⌋ with the sign bit flipped.
const GAUSSIAN: &str = include_str!("shaders/gaussian.wgsl");

/// Thompson sampling's draw ([`super::thompson`]): the Q12.20 mean over n + 1 plus
/// ⌊⌊Σ Z / 2^24⌋ W[n] / 2^32⌋, signed, its sign bit flipped. Bernoulli arms' mean.
const TS_BERNOULLI: &str = include_str!("shaders/ts_bernoulli.wgsl");

/// The argmax of the K draws of step m: words of blocks m·⌈K/4⌉ + ⌊k/4⌋ of the policy's stream.
const TS_CHOOSE: &str = include_str!("shaders/ts_choose.wgsl");

/// KL-UCB's fixed-point index ([`super::kl_ucb`]): the binary search of the scalar reference on
/// the 2^-16 grid, with the host's i64 tables LN (2^16 + 1 entries) then XL (T + 1), and the
/// level table in `tab_a` as (lo, hi) word pairs. j0 = ⌊s 2^16 / n⌋ is the exact Q4.28 mean
/// shifted down by 12 (a floor of a floor).
const KL_UCB: &str = include_str!("shaders/kl_ucb.wgsl");

/// UCB-V's SD[n, s] = [`super::ucbv_sd`], an IEEE f32 expression, reproduced exactly in integers
/// (needs SHADER_INT64): a device's own f32 sqrt and division need not be correctly rounded
/// (WGSL allows 2.5 ulp), so each f32 operation is emulated with round-to-nearest-even on
/// positive normal values, a value being (m, e) = m 2^e with m in [2^23, 2^24):
/// u64 → f32, sqrt (integer square root with its remainder as sticky bit), product (48-bit
/// mantissa product) and quotient (mantissa long division with its remainder), then the clamp
/// to 4294967040 and truncation. `tests/gpu.rs` compares it with the CPU's f32 on every
/// n < 2^11 and s ≤ n, near 2^24 and 2^25, and on random pairs up to 2^25.
pub const WGSL_UCBV_SD: &str = include_str!("shaders/ucbv_sd.wgsl");

/// The unrolled layout (the probe's fast kernel, for UCB1, MOSS, ETC and ε-greedy on Bernoulli
/// arms): each arm's index parts are named scalars that the pulled arm updates by `select`, and
/// the pull and success counts live in workgroup memory laid out [K][WG], touched once per pull.
/// No per-thread array is indexed by the chosen arm, which GPU compilers would place in slow
/// local memory. The same prelude (bindings, segments, the exact mean) and integers as [`BODY`].
const BODY_UNROLLED: &str = include_str!("shaders/body_unrolled.wgsl");

/// The argmax of `INDEX(k)` by strict `>` from arm 0, into `arm`.
const ARGMAX: &str = include_str!("shaders/argmax.wgsl");

/// ⌊(2^(32+e) − 1)/n⌋ with e = ⌊log2 n⌋: in [2^31, 2^32).
fn reciprocal(n: u32) -> u32 {
    let e = 31 - n.leading_zeros();
    (((1u64 << (32 + e)) - 1) / n as u64) as u32
}

impl FixedKernel {
    /// Whether [`Self::run_block_gpu`] can run this kernel: UCB1, MOSS, ETC, ε-greedy and
    /// Thompson sampling on Bernoulli or Gaussian arms, UCB-V and KL-UCB on Bernoulli arms;
    /// K ≤ 64, T < 2^25 (the exact mean's range). Some also need SHADER_INT64
    /// ([`Self::gpu_needs_int64`]).
    pub fn gpu_supported(&self) -> bool {
        let rule = match self.rule {
            FixedRule::Ucb1 { .. } | FixedRule::Moss | FixedRule::Etc { .. } | FixedRule::EpsGreedy { .. } => true,
            FixedRule::KlUcb { .. } => self.gauss.is_none() && self.kl.is_some(),
            FixedRule::Thompson { .. } => true,
            FixedRule::UcbV { .. } => self.gauss.is_none(),
        };
        rule && self.k <= 64 && self.horizon < 1 << 25
    }

    /// Whether the kernel needs i64 in shaders (Gaussian arms' sums and deviates, KL-UCB's
    /// divergences, UCB-V's f32 emulation, Thompson's draws): devices without SHADER_INT64 run
    /// such jobs on the CPU.
    pub fn gpu_needs_int64(&self) -> bool {
        self.gauss.is_some()
            || matches!(self.rule, FixedRule::KlUcb { .. } | FixedRule::Thompson { .. } | FixedRule::UcbV { .. })
    }

    /// Steps of round robin before the rule decides (capped at the horizon).
    fn gpu_explore(&self) -> u64 {
        match self.rule {
            FixedRule::Etc { m } => m.saturating_mul(self.k as u64).min(self.horizon),
            FixedRule::Thompson { .. } => 0,
            _ => self.k as u64,
        }
    }

    /// Cells whose kernels share this key run in the same dispatches: the shader depends only
    /// on the rule and K.
    pub fn gpu_batch_key(&self) -> String {
        let rule = match self.rule {
            FixedRule::Ucb1 { .. } => "ucb1",
            FixedRule::Moss => "moss",
            FixedRule::Etc { .. } => "etc",
            FixedRule::EpsGreedy { .. } => "eps_greedy",
            FixedRule::UcbV { .. } => "ucb_v",
            FixedRule::KlUcb { .. } => "kl_ucb",
            FixedRule::Thompson { .. } => "thompson",
        };
        format!(
            "bandit fixed point {rule}, K = {}, {} arms",
            self.k,
            if self.gauss.is_some() { "Gaussian" } else { "Bernoulli" }
        )
    }

    /// The WGSL source of this kernel's (rule, K) for a device with (`int64`) or without u64.
    pub fn gpu_source(&self, int64: bool) -> String {
        let (index, bindings, load, store, after) = match self.rule {
            FixedRule::Ucb1 { .. } => ("mq[K_] + mul_wide(a, b[K_]).x", "", "", "", ""),
            FixedRule::Moss => ("mq[K_] + b[K_]", "", "", "", ""),
            FixedRule::Etc { .. } => (
                "mq[K_]",
                "@group(0) @binding(7) var<storage, read_write> commit: array<u32>;",
                "var committed = commit[i];",
                "commit[i] = committed;",
                "",
            ),
            FixedRule::KlUcb { .. } => ("kidx[K_]", KL_UCB, "", "", ""),
            FixedRule::UcbV { .. } => (
                "(mq[K_] >> 4u) + mul_wide(a2, b[K_]).x + mul_wide(a1, sd[K_]).x",
                WGSL_UCBV_SD,
                "var sd: array<u32, K>;
    for (var k = 0u; k < K; k++) {
        sd[k] = select(0u, ucbv_sd(n[k], s[k]), n[k] > 0u);
    }",
                "",
                "",
            ),
            FixedRule::Thompson { .. } => ("", "", "", "", ""),
            FixedRule::EpsGreedy { .. } => (
                "mq[K_]",
                "@group(0) @binding(7) var<storage, read> tab_eps: array<vec2<u32>>;",
                "",
                "",
                "let w = philox(vec4<u32>(m, rep, sg.prole, 0u), key);
            let th = tab_eps[sg.e_off + m];
            if (w.x < th.x || th.y == 1u) {
                arm = mul_wide(w.y, K).x;
            }",
            ),
        };
        let argmax = ARGMAX.replace("INDEX0", &index.replace("K_", "0")).replace("INDEXK", &index.replace("K_", "k"));
        let choose = match self.rule {
            FixedRule::Etc { .. } => format!(
                "if (committed == 0xffffffffu) {{\n            {argmax}\n            committed = arm;\n            }}\n            arm = committed;"
            ),
            FixedRule::Ucb1 { .. } => format!("let a = tab_a[sg.a_off + m];\n            {argmax}"),
            FixedRule::Thompson { .. } => TS_CHOOSE.to_string(),
            FixedRule::UcbV { .. } => format!(
                "let a1 = tab_a[2u * (sg.a_off + m)];\n            let a2 = tab_a[2u * (sg.a_off + m) + 1u];\n            {argmax}"
            ),
            FixedRule::KlUcb { .. } => format!(
                "let lev = ld64(vec2<u32>(tab_a[2u * (sg.a_off + m)], tab_a[2u * (sg.a_off + m) + 1u]));
            var kidx: array<u32, K>;
            for (var k = 0u; k < K; k++) {{
                kidx[k] = kl_index(n[k], s[k], mq[k], lev);
            }}
            {argmax}"
            ),
            _ => format!("{argmax}\n            {after}"),
        };
        let gauss = self.gauss.is_some();
        let ts = matches!(self.rule, FixedRule::Thompson { .. });
        let mut arms = String::from(if gauss { GAUSSIAN } else { BERNOULLI });
        if gauss || ts {
            arms.push_str(NORMAL);
        }
        if ts && !gauss {
            arms.push_str(TS_BERNOULLI);
        }
        let body = format!("{PRELUDE}{BODY}")
            .replace("STEP_HEAD", STEP_HEAD)
            .replace("BINDINGS", bindings)
            .replace("LOAD", load)
            .replace("STORE", store)
            .replace("CHOOSE", &choose)
            .replace(
                "UPDATE",
                if matches!(self.rule, FixedRule::UcbV { .. }) { "sd[arm] = ucbv_sd(nk, sk);" } else { "" },
            )
            .replace("SCELL", if gauss { "vec2<u32>" } else { "u32" })
            .replace("STYPE", if gauss { "i64" } else { "u32" })
            .replace("ARMS", &arms);
        format!(
            "const K: u32 = {k}u;\nconst NB: u32 = {nb}u;\nconst WG: u32 = {WG}u;\n{}{}{body}",
            gpu::wgsl_mul_wide(int64),
            gpu::WGSL_PHILOX,
            k = self.k,
            nb = self.k.div_ceil(4)
        )
    }

    /// Whether this kernel has the unrolled layout ([`BODY_UNROLLED`]): UCB1, MOSS, ETC and
    /// ε-greedy on Bernoulli arms.
    pub fn gpu_unrolled(&self) -> bool {
        self.gauss.is_none()
            && matches!(
                self.rule,
                FixedRule::Ucb1 { .. } | FixedRule::Moss | FixedRule::Etc { .. } | FixedRule::EpsGreedy { .. }
            )
    }

    /// The WGSL of the unrolled layout for this (rule, K), or None (see [`Self::gpu_unrolled`]).
    /// Per arm k the shader keeps `q{k}` (the Q4.28 mean) and, for UCB1 and MOSS, `b{k}` (B[n]
    /// or C[n]); the pulled arm's new values replace them through `select`.
    pub fn gpu_source_unrolled(&self, int64: bool) -> Option<String> {
        if !self.gpu_unrolled() {
            return None;
        }
        let k = self.k;
        let with_b = matches!(self.rule, FixedRule::Ucb1 { .. } | FixedRule::Moss);
        let mut declare = String::new();
        for j in 0..k {
            declare.push_str(&format!(
                "    let n{j} = cnt[{j}u * R + i];
    let s{j} = suc[{j}u * R + i];
    wn[{j}u * WG + lid] = n{j};
    ws[{j}u * WG + lid] = s{j};
    let t{j} = tab_n[sg.n_off + n{j}];
    var q{j} = select(0u, mean_q(s{j}, n{j}, t{j}.y), n{j} > 0u);
"
            ));
            if with_b {
                declare.push_str(&format!(
                    "    var b{j} = select(0u, t{j}.x, n{j} > 0u);
"
                ));
            }
        }
        let index = |j: usize| match self.rule {
            FixedRule::Ucb1 { .. } => format!("q{j} + mul_wide(a, b{j}).x"),
            FixedRule::Moss => format!("q{j} + b{j}"),
            _ => format!("q{j}"),
        };
        let mut argmax = format!(
            "arm = 0u;
            var best = {};",
            index(0)
        );
        for j in 1..k {
            argmax.push_str(&format!(
                "
            {{
                let v = {};
                if (v > best) {{
                    best = v;
                    arm = {j}u;
                }}
            }}",
                index(j)
            ));
        }
        let (bindings, load, store, choose) = match self.rule {
            FixedRule::Ucb1 { .. } => (
                "",
                "",
                "",
                format!(
                    "let a = tab_a[sg.a_off + m];
            {argmax}"
                ),
            ),
            FixedRule::Moss => ("", "", "", argmax),
            FixedRule::Etc { .. } => (
                "@group(0) @binding(7) var<storage, read_write> commit: array<u32>;",
                "var committed = commit[i];",
                "commit[i] = committed;",
                format!(
                    "if (committed == 0xffffffffu) {{
            {argmax}
            committed = arm;
            }}
            arm = committed;"
                ),
            ),
            _ => (
                "@group(0) @binding(7) var<storage, read> tab_eps: array<vec2<u32>>;",
                "",
                "",
                format!(
                    "{argmax}
            let w = philox(vec4<u32>(m, rep, sg.prole, 0u), key);
            let th = tab_eps[sg.e_off + m];
            if (w.x < th.x || th.y == 1u) {{
                arm = mul_wide(w.y, K).x;
            }}"
                ),
            ),
        };
        let mut selects = String::new();
        for j in 0..k {
            selects.push_str(&format!(
                "        q{j} = select(q{j}, mqn, arm == {j}u);
"
            ));
            if with_b {
                selects.push_str(&format!(
                    "        b{j} = select(b{j}, t.x, arm == {j}u);
"
                ));
            }
        }
        let body = format!("{PRELUDE}{BODY_UNROLLED}")
            .replace("STEP_HEAD", STEP_HEAD)
            .replace("BINDINGS", bindings)
            .replace("SCELL", "u32")
            .replace("ARMS", "var<workgroup> wn: array<u32, K * WG>;\nvar<workgroup> ws: array<u32, K * WG>;")
            .replace("DECLARE", &declare)
            .replace("LOAD", load)
            .replace("STORE", store)
            .replace("CHOOSE", &choose)
            .replace("SELECTS", &selects);
        Some(format!(
            "const K: u32 = {k}u;\nconst WG: u32 = {WG}u;\n{}{}{body}",
            gpu::wgsl_mul_wide(int64),
            gpu::WGSL_PHILOX
        ))
    }

    /// Runs `out.len()` replications from `first_rep` on the GPU; the same bits as
    /// [`Self::run_scalar`].
    pub fn run_block_gpu(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]) -> Result<(), GpuError> {
        self.run_block_gpu_with(gpu::context()?.int64, first_rep, grid, out)
    }

    /// [`Self::run_block_gpu`] with the 64-bit products in u64 (`int64`, needs the device's
    /// SHADER_INT64) or in 16-bit limbs (every device): the same results either way.
    pub fn run_block_gpu_with(
        &self,
        int64: bool,
        first_rep: u64,
        grid: &[u64],
        out: &mut [Trace],
    ) -> Result<(), GpuError> {
        self.run_block_gpu_layout(int64, GpuLayout::Auto, first_rep, grid, out)
    }

    /// [`Self::run_block_gpu_with`] on a chosen shader layout (tests compare both).
    pub fn run_block_gpu_layout(
        &self,
        int64: bool,
        layout: GpuLayout,
        first_rep: u64,
        grid: &[u64],
        out: &mut [Trace],
    ) -> Result<(), GpuError> {
        run_batch_gpu_layout(
            &mut [GpuBatchPart { kern: self, first_rep, grid, out }],
            int64,
            layout,
            &GpuControl::none(),
        )
    }
}

/// Which shader layout runs a batch: a choice of speed only, never of results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GpuLayout {
    /// Unrolled on a GPU where the rule has it and its workgroup memory fits the adapter; arrays
    /// otherwise, and on CPU adapters (lavapipe), where arrays measure faster.
    Auto,
    /// Per-thread arrays indexed by the pulled arm ([`BODY`]): every rule.
    Arrays,
    /// Named per-arm scalars and counters in workgroup memory ([`BODY_UNROLLED`]).
    Unrolled,
}

/// Replications summed per thread by the aggregate readback: 64 counts below 2^25 stay below 2^31.
const PER_THREAD: u32 = 64;

/// Sums per arm over the replications, on the device, then on the host in u64: thread (k, g)
/// adds the 64 counts of replications 64g .. 64g + 63 of arm k (pulls, then successes), and the
/// host reads 2K⌈R/64⌉ words instead of 2KR.
fn sum_over_replications(
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

/// One cell's replications in a GPU batch.
pub struct GpuBatchPart<'a> {
    pub kern: &'a FixedKernel,
    pub first_rep: u64,
    pub grid: &'a [u64],
    pub out: &'a mut [Trace],
}

/// One buffer of per-cell tables. A table's entries depend only on its key (the rule's
/// parameters) and its index, so cells with the same key share one table, built by `build` for
/// the cell with the longest horizon among them: the others read a prefix. Returns the words and
/// each cell's offset in units of `width` words (0 for cells without a table).
fn pooled<Key: Ord + Clone>(
    kerns: &[&FixedKernel],
    key: impl Fn(&FixedKernel) -> Option<Key>,
    build: impl Fn(&FixedKernel) -> Vec<u32>,
    width: usize,
) -> (Vec<u32>, Vec<u32>) {
    let mut longest: BTreeMap<Key, usize> = BTreeMap::new();
    for (i, k) in kerns.iter().enumerate() {
        if let Some(key) = key(k) {
            let e = longest.entry(key).or_insert(i);
            if kerns[*e].horizon < k.horizon {
                *e = i;
            }
        }
    }
    let (mut data, mut at) = (Vec::new(), BTreeMap::new());
    for (key, &i) in &longest {
        at.insert(key.clone(), (data.len() / width) as u32);
        data.extend(build(kerns[i]));
    }
    let offsets = kerns.iter().map(|k| key(k).map_or(0, |key| at[&key])).collect();
    (data, offsets)
}

/// Runs every part in the same dispatches (all parts must share [`FixedKernel::gpu_batch_key`]);
/// each part gets the bits [`FixedKernel::run_scalar`] would give it. Dispatches end at every
/// part's checkpoints. `ctl` is consulted before each dispatch is submitted: progress counts
/// submitted replication-steps, and a cancel stops submitting (work already queued finishes).
pub fn run_batch_gpu(parts: &mut [GpuBatchPart<'_>], int64: bool, ctl: &GpuControl<'_>) -> Result<(), GpuError> {
    run_batch_gpu_layout(parts, int64, GpuLayout::Auto, ctl)
}

/// [`run_batch_gpu`] on a chosen shader layout.
pub fn run_batch_gpu_layout(
    parts: &mut [GpuBatchPart<'_>],
    int64: bool,
    layout: GpuLayout,
    ctl: &GpuControl<'_>,
) -> Result<(), GpuError> {
    let ctx = gpu::context()?;
    let Some(lead) = parts.first().map(|p| p.kern) else { return Ok(()) };
    // Replications per launch from the adapter's limits: the per-replication state buffers (K
    // counts, K sums of one or two words) within the storage binding size, the invocations
    // within the 2-D grid. Larger batches run as several launches of whole sub-ranges, which
    // changes no bit (each replication depends only on its index).
    run_capped(parts, int64, layout, ctl, launch_cap(ctx, lead))
}

/// Replications one launch of `kern`'s batch can hold: its state buffers (K counts and K sums of
/// one or two words per replication) within the storage binding, its invocations within the
/// 2-D grid and u32.
fn launch_cap(ctx: &gpu::Context, kern: &FixedKernel) -> usize {
    let words = kern.k as u64 * if kern.gauss.is_some() { 2 } else { 1 };
    let by_grid = ctx.limits.max_compute_workgroups_per_dimension as u64
        * ctx.limits.max_compute_workgroups_per_dimension as u64
        * WG as u64;
    (ctx.max_binding() / (4 * words)).min(by_grid).min(u32::MAX as u64).max(1) as usize
}

/// [`run_batch_gpu`] with at most `cap` replications per launch.
fn run_capped(
    parts: &mut [GpuBatchPart<'_>],
    int64: bool,
    layout: GpuLayout,
    ctl: &GpuControl<'_>,
    cap: usize,
) -> Result<(), GpuError> {
    let total: usize = parts.iter().map(|p| p.out.len()).sum();
    if total <= cap {
        return launch(parts, int64, layout, ctl);
    }
    let mut batch: Vec<GpuBatchPart> = Vec::new();
    let mut filled = 0;
    for p in parts.iter_mut() {
        let mut rest: &mut [Trace] = std::mem::take(&mut p.out);
        let mut first = p.first_rep;
        while !rest.is_empty() {
            let take = rest.len().min(cap - filled);
            let (head, tail) = rest.split_at_mut(take);
            batch.push(GpuBatchPart { kern: p.kern, first_rep: first, grid: p.grid, out: head });
            (rest, first, filled) = (tail, first + take as u64, filled + take);
            if filled == cap {
                launch(&mut batch, int64, layout, ctl)?;
                batch.clear();
                filled = 0;
            }
        }
    }
    launch(&mut batch, int64, layout, ctl)
}

/// One launch sequence (dispatches and readbacks) of parts whose state fits the device.
fn launch(
    parts: &mut [GpuBatchPart<'_>],
    int64: bool,
    layout: GpuLayout,
    ctl: &GpuControl<'_>,
) -> Result<(), GpuError> {
    launch_with(parts, int64, layout, ctl, None)
}

/// The aggregate readback's accumulator: 2K sums (pulls per arm, then successes) and the
/// seconds from the first dispatch until the device was idle.
struct Sums {
    sums: Vec<u64>,
    compute_seconds: f64,
}

/// [`launch`]; with `totals` (Bernoulli arms, no checkpoints), the horizon's state is summed over
/// replications on the device and only those sums are read back, instead of every
/// replication's counts.
fn launch_with(
    parts: &mut [GpuBatchPart<'_>],
    int64: bool,
    layout: GpuLayout,
    ctl: &GpuControl<'_>,
    mut totals: Option<&mut Sums>,
) -> Result<(), GpuError> {
    let ctx = gpu::context()?;
    if int64 && !ctx.int64 {
        return Err(GpuError::Device {
            adapter: ctx.adapter.clone(),
            message: "u64 products requested, but the device has no SHADER_INT64".into(),
        });
    }
    let Some(lead) = parts.first().map(|p| p.kern) else { return Ok(()) };
    let key = lead.gpu_batch_key();
    if let Some(p) = parts.iter().find(|p| !p.kern.gpu_supported() || p.kern.gpu_batch_key() != key) {
        let why = if p.kern.gpu_supported() {
            format!("a part of '{}'", p.kern.gpu_batch_key())
        } else {
            "a part without a GPU kernel".into()
        };
        return Err(GpuError::Unsupported(format!("a GPU batch of '{key}' was given {why}")));
    }
    if lead.gpu_needs_int64() && !int64 {
        return Err(GpuError::Unsupported(
            "Gaussian arms, UCB-V, KL-UCB and Thompson sampling need i64 in shaders (SHADER_INT64)".into(),
        ));
    }
    let gauss = lead.gauss.is_some();
    let k = lead.k;
    let r: usize = parts.iter().map(|p| p.out.len()).sum();
    if r == 0 {
        return Ok(());
    }
    let state = (k * r * 4) as u64;
    if state > ctx.max_binding() || r > u32::MAX as usize {
        return Err(GpuError::TooLarge {
            what: format!("pull counts of {r} replications × {k} arms"),
            bytes: state,
            limit: ctx.max_binding(),
        });
    }
    if let Some(p) = parts.iter().find(|p| p.first_rep + p.out.len() as u64 > 1 << 32) {
        return Err(GpuError::Unsupported(format!(
            "replications up to {} (the counter's replication word holds 2^32)",
            p.first_rep + p.out.len() as u64
        )));
    }
    let wg_bytes = (2 * k * WG as usize * 4) as u64;
    let fits = wg_bytes <= ctx.limits.max_compute_workgroup_storage_size as u64;
    let src = match layout {
        GpuLayout::Arrays => lead.gpu_source(int64),
        // On a CPU adapter the per-thread arrays are faster (measured on lavapipe: 8.7e7 against
        // 6.6e7 pulls/s for B1); on an H200 the probe's unrolled kernel was 6.6× its arrays kernel
        // (1.25e11 against 1.9e10 pulls/s, ../shared/gpu/README.md; ours is not measured there).
        GpuLayout::Auto if !(fits && lead.gpu_unrolled() && !ctx.cpu) => lead.gpu_source(int64),
        _ if !fits => {
            return Err(GpuError::TooLarge {
                what: format!("workgroup counters of {k} arms"),
                bytes: wg_bytes,
                limit: ctx.limits.max_compute_workgroup_storage_size as u64,
            });
        }
        _ => lead
            .gpu_source_unrolled(int64)
            .ok_or_else(|| GpuError::Unsupported(format!("no unrolled layout for '{key}'")))?,
    };
    let pipe = ctx.pipeline(&src, "bandit")?;
    let kerns: Vec<&FixedKernel> = parts.iter().map(|p| p.kern).collect();
    // UCB1's A[m] (by α), or KL-UCB's levels as (lo, hi) word pairs (by c)
    let (ta, a_off) = match lead.rule {
        FixedRule::KlUcb { .. } => pooled(
            &kerns,
            |kn| if let FixedRule::KlUcb { c } = kn.rule { Some([c.to_bits(), 0, 0]) } else { None },
            |kn| {
                kn.kl
                    .as_ref()
                    .map_or(Vec::new(), |t| t.tables().2.iter().flat_map(|&x| [x as u32, (x >> 32) as u32]).collect())
            },
            2,
        ),
        // UCB-V's (A1[m], A2[m]) pairs, by (ζ, c, b)
        FixedRule::UcbV { .. } => pooled(
            &kerns,
            |kn| {
                if let FixedRule::UcbV { zeta, c, b } = kn.rule {
                    Some([zeta.to_bits(), c.to_bits(), b.to_bits()])
                } else {
                    None
                }
            },
            |kn| kn.a.iter().zip(&kn.a2).flat_map(|(&x, &y)| [x, y]).collect(),
            2,
        ),
        _ => pooled(
            &kerns,
            |kn| if let FixedRule::Ucb1 { alpha } = kn.rule { Some([alpha.to_bits(), 0, 0]) } else { None },
            |kn| kn.a.clone(),
            1,
        ),
    };
    // B[n] and the reciprocal depend on n alone, except MOSS's C[n], which depends on T too.
    let per_n = |kn: &FixedKernel| {
        let t = kn.horizon as usize;
        let mut tab = vec![0u32; 2 * (t + 1)];
        for n in 0..=t as u32 {
            tab[2 * n as usize] = match kn.rule {
                FixedRule::Ucb1 { .. } if n > 0 => ucb1_b(n),
                FixedRule::Moss if n > 0 => kn.b[n as usize],
                FixedRule::UcbV { .. } if n > 0 => super::ucbv_r(n),
                // W[n] = ucb1_b(n + 1), from n = 0 (Thompson has no forced pulls)
                FixedRule::Thompson { .. } => kn.b[n as usize],
                _ => 0,
            };
            if n > 0 {
                tab[2 * n as usize + 1] = reciprocal(n);
            }
        }
        tab
    };
    let (tn, n_off) = pooled(&kerns, |kn| Some(if kn.rule == FixedRule::Moss { kn.horizon } else { 0 }), per_n, 2);
    let eps_key = |kn: &FixedKernel| {
        if let FixedRule::EpsGreedy { epsilon, c, d, .. } = kn.rule {
            Some((epsilon.map(f64::to_bits), c.to_bits(), d.to_bits()))
        } else {
            None
        }
    };
    let eps = |kn: &FixedKernel| {
        let FixedRule::EpsGreedy { epsilon, c, d, .. } = kn.rule else { return Vec::new() };
        (0..=kn.horizon)
            .flat_map(|m| {
                let th = super::eps_threshold(epsilon, c, d, k, m);
                [th.min(u32::MAX as u64) as u32, (th >= 1 << 32) as u32]
            })
            .collect()
    };
    let (te, e_off) = pooled(&kerns, eps_key, eps, 2);
    let (mut segs, mut arm_words) = (Vec::with_capacity(12 * parts.len()), Vec::with_capacity(4 * k * parts.len()));
    let mut start = 0u32;
    for (i, p) in parts.iter().enumerate() {
        let kern = p.kern;
        let prole = match kern.rule {
            FixedRule::EpsGreedy { tag, .. } | FixedRule::Thompson { tag, .. } => Role::Policy(tag).word(),
            _ => 0,
        };
        let arm_off = (arm_words.len() / 4) as u32;
        match &kern.gauss {
            Some(g) => arm_words.extend(
                g.mu.iter()
                    .zip(&g.sd)
                    .flat_map(|(&mu, &sd)| [mu as u32, (mu >> 32) as u32, sd as u32, (sd >> 32) as u32]),
            ),
            None => arm_words.extend(kern.thr.iter().zip(&kern.full).flat_map(|(&t, &f)| [t, f, 0, 0])),
        }
        // the last word: Thompson's round(σ 2^20) (below 2^31: validated by `thompson_support`)
        let sig = if let FixedRule::Thompson { sigma, .. } = kern.rule {
            super::thompson::sigma_q20(sigma) as u32
        } else {
            0
        };
        segs.extend([
            kern.key[0],
            kern.key[1],
            p.first_rep as u32,
            start,
            kern.horizon as u32,
            kern.gpu_explore() as u32,
            prole,
            a_off[i],
            n_off[i],
            e_off[i],
            arm_off,
            sig,
        ]);
        start += p.out.len() as u32;
    }
    let cnt = ctx.storage("pull counts", &vec![0; k * r])?;
    // Success counts (Bernoulli) or i64 reward sums as (lo, hi) words (Gaussian).
    let sum_words = if gauss { 2 * k * r } else { k * r };
    let suc = ctx.storage("success counts or reward sums", &vec![0; sum_words])?;
    let ztab = if gauss || matches!(lead.rule, FixedRule::Thompson { .. }) {
        Some(ctx.storage("normal quantile table", bytemuck::cast_slice(super::gaussian::table()))?)
    } else {
        None
    };
    // UCB1 reads A[m]; the others bind a placeholder the shader never reads.
    let ta = ctx.storage("A[m] tables", &ta)?;
    let tn = ctx.storage("per-n tables", &tn)?;
    let arms = ctx.storage("arm thresholds", &arm_words)?;
    let sg = ctx.storage("cell segments", &segs)?;
    let extra = match lead.rule {
        FixedRule::Etc { .. } => Some(ctx.storage("committed arms", &vec![u32::MAX; r])?),
        FixedRule::EpsGreedy { .. } => Some(ctx.storage("ε thresholds", &te)?),
        FixedRule::KlUcb { .. } => {
            // LN, then XL up to the longest horizon (both depend on their index alone)
            let longest = kerns.iter().max_by_key(|kn| kn.horizon).and_then(|kn| kn.kl.as_ref());
            let words: Vec<u32> = longest.map_or(Vec::new(), |t| {
                t.tables().0.iter().chain(t.tables().1).flat_map(|&x| [x as u32, (x >> 32) as u32]).collect()
            });
            Some(ctx.storage("KL-UCB tables", &words)?)
        }
        _ => None,
    };
    let params = ctx.uniform(4);
    let layout = pipe.get_bind_group_layout(0);
    // The layout is the shader's own: a buffer it never reads (A[m] outside UCB1) is not in it.
    let mut bufs = vec![(0, &params), (1, &cnt), (2, &suc), (4, &tn), (5, &arms), (6, &sg)];
    if matches!(lead.rule, FixedRule::Ucb1 { .. } | FixedRule::KlUcb { .. } | FixedRule::UcbV { .. }) {
        bufs.push((3, &ta));
    }
    bufs.extend(extra.as_ref().map(|b| (7, b)));
    bufs.extend(ztab.as_ref().map(|b| (8, b)));
    let entries = bufs
        .iter()
        .map(|&(i, b)| wgpu::BindGroupEntry { binding: i, resource: b.as_entire_binding() })
        .collect::<Vec<_>>();
    let bind = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("bandit"),
        layout: &layout,
        entries: &entries,
    });
    let groups = ctx.grid(r as u32, WG)?;
    // Every step at which some part records (its checkpoints and its horizon).
    let stops: BTreeSet<u64> = parts.iter().flat_map(|p| p.grid.iter().copied().chain([p.kern.horizon])).collect();
    let end = parts.iter().map(|p| p.kern.horizon).max().unwrap_or(0);
    let mut next_cp = vec![0usize; parts.len()];
    let (mut n, mut s, mut v) = (vec![0u32; k], vec![0u32; k], [0.0; 3]);
    let mut m = 0u64;
    let t_start = std::time::Instant::now();
    while m < end {
        if ctl.cancelled() {
            return Err(GpuError::Cancelled);
        }
        let next = stops.range(m + 1..).next().copied().unwrap_or(end);
        let stop = (m + CHUNK).min(next);
        ctx.dispatch(&pipe, &bind, &params, &[r as u32, m as u32, stop as u32, Role::Env.word()], groups);
        let done: u64 = parts.iter().map(|p| p.out.len() as u64 * (stop.min(p.kern.horizon).saturating_sub(m))).sum();
        (ctl.progress)(done);
        m = stop;
        if !stops.contains(&m) {
            continue;
        }
        if let Some(tot) = totals.as_deref_mut() {
            if m == end {
                // the simulation's own time: until the device is idle, before the sums
                ctx.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| GpuError::Readback(e.to_string()))?;
                tot.compute_seconds += t_start.elapsed().as_secs_f64();
                sum_over_replications(ctx, &cnt, &suc, k, r, &mut tot.sums)?;
            }
            continue;
        }
        let counts = ctx.read(&[&cnt], k * r)?.remove(0);
        let sums = ctx.read(&[&suc], sum_words)?.remove(0);
        let mut base = 0;
        for (pi, p) in parts.iter_mut().enumerate() {
            let (kern, ncp) = (p.kern, p.grid.len());
            let at_cp = next_cp[pi] < ncp && p.grid[next_cp[pi]] == m;
            let last = m == kern.horizon;
            if at_cp || last {
                for (i, tr) in p.out.iter_mut().enumerate() {
                    let mut total = 0i64;
                    for j in 0..k {
                        let at = j * r + base + i;
                        n[j] = counts[at];
                        if gauss {
                            total += (sums[2 * at] as u64 | (sums[2 * at + 1] as u64) << 32) as i64;
                        } else {
                            s[j] = sums[at];
                        }
                    }
                    let pulls: u64 = n.iter().map(|&x| x as u64).sum();
                    if pulls != m {
                        return Err(GpuError::Invariant(format!(
                            "replication {} made {pulls} pulls by step {m} (Σ_k n_k must equal t)",
                            p.first_rep + i as u64
                        )));
                    }
                    if gauss {
                        // Σ S_k as the reference's total (exact: |Σ| < 2^53)
                        kern.record_total(m, &n, super::gaussian::real(total), &mut v);
                    } else {
                        kern.record(m, &n, &s, &mut v);
                    }
                    if at_cp {
                        kern.put(tr, ncp, next_cp[pi], &v);
                    }
                    if last {
                        tr.finals.copy_from_slice(&v);
                    }
                }
                if at_cp {
                    next_cp[pi] += 1;
                }
            }
            base += p.out.len();
        }
    }
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_over_the_cap_split_into_launches_with_the_same_bits() {
        let Ok(ctx) = gpu::context() else {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true and no GPU adapter");
            return;
        };
        let arms: Vec<crate::settings::bandit::arms::Arm> =
            [0.2, 0.5, 0.45].iter().map(|&p| crate::settings::bandit::arms::Arm::Bernoulli { p }).collect();
        let kerns: Vec<FixedKernel> = (0..3)
            .map(|c| FixedKernel::new(&arms, 300 + 100 * c, FixedRule::Moss, crate::rng::cell_key(5, c)))
            .collect();
        let grids: Vec<Vec<u64>> = kerns.iter().map(|k| crate::engine::default_grid(k.horizon)).collect();
        let sizes = [50usize, 7, 31];
        let mut want: Vec<Vec<Trace>> = Vec::new();
        for ((k, g), &n) in kerns.iter().zip(&grids).zip(&sizes) {
            let mut a = vec![Trace::new(3, g.len()); n];
            k.run_scalar(9, g, &mut a);
            want.push(a);
        }
        // caps that cut inside parts, at part boundaries, and one replication per launch
        for cap in [1, 7, 20, 57, 1000] {
            let mut got: Vec<Vec<Trace>> =
                grids.iter().zip(&sizes).map(|(g, &n)| vec![Trace::new(3, g.len()); n]).collect();
            let mut parts: Vec<GpuBatchPart> = kerns
                .iter()
                .zip(&grids)
                .zip(got.iter_mut())
                .map(|((kern, grid), out)| GpuBatchPart { kern, first_rep: 9, grid, out })
                .collect();
            run_capped(&mut parts, ctx.int64, GpuLayout::Auto, &GpuControl::none(), cap).unwrap();
            for (a, b) in want.iter().zip(&got) {
                for (x, y) in a.iter().zip(b) {
                    assert!(x.values == y.values && x.finals == y.finals, "cap {cap}");
                }
            }
        }
    }

    #[test]
    fn reciprocal_estimate_is_at_most_one_below() {
        for n in (1u32..5000).chain([1 << 20, (1 << 25) - 1, 33_554_431, 9_999_991]) {
            let rn = reciprocal(n);
            let e = 31 - n.leading_zeros();
            for s in [0, 1, n / 3, n / 2, n - 1, n] {
                let q0 = ((s as u64 * rn as u64) >> (4 + e)) as u32;
                let q = (((s as u64) << 28) / n as u64) as u32;
                assert!(q0 == q || q0 + 1 == q, "n {n} s {s}: {q0} vs {q}");
            }
        }
    }
}
