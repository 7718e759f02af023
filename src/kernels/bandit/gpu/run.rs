//! Running replications on the GPU: one cell, or a batch of cells that share a shader, in
//! dispatches that stop at every checkpoint.

use std::collections::{BTreeMap, BTreeSet};

use super::totals::sum_over_replications;
use super::{CHUNK, WG, reciprocal};
use crate::engine::{Checkpoints, GpuControl, Trace};
use crate::gpu::{self, GpuError};
use crate::kernels::bandit::{FixedKernel, FixedRule, ucb1_b};
use crate::rng::Role;

impl FixedKernel {
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
    /// Per-thread arrays indexed by the pulled arm (`BODY`): every rule.
    Arrays,
    /// Named per-arm scalars and counters in workgroup memory (`BODY_UNROLLED`).
    Unrolled,
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
pub(super) fn pooled<Key: Ord + Clone>(
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
pub(super) fn launch_cap(ctx: &gpu::Context, kern: &FixedKernel) -> usize {
    let words = kern.k as u64 * if kern.gauss.is_some() { 2 } else { 1 };
    let by_grid = ctx.limits.max_compute_workgroups_per_dimension as u64
        * ctx.limits.max_compute_workgroups_per_dimension as u64
        * WG as u64;
    (ctx.max_binding() / (4 * words)).min(by_grid).min(u32::MAX as u64).max(1) as usize
}

/// [`run_batch_gpu`] with at most `cap` replications per launch.
pub(super) fn run_capped(
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
pub(super) fn launch(
    parts: &mut [GpuBatchPart<'_>],
    int64: bool,
    layout: GpuLayout,
    ctl: &GpuControl<'_>,
) -> Result<(), GpuError> {
    launch_with(parts, int64, layout, ctl, None)
}

/// The aggregate readback's accumulator: 2K sums (pulls per arm, then successes) and the
/// seconds from the first dispatch until the device was idle.
pub(super) struct Sums {
    pub(super) sums: Vec<u64>,
    pub(super) compute_seconds: f64,
}

/// [`launch`]; with `totals` (Bernoulli arms, no checkpoints), the horizon's state is summed over
/// replications on the device and only those sums are read back, instead of every
/// replication's counts.
pub(super) fn launch_with(
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
                FixedRule::UcbV { .. } if n > 0 => crate::kernels::bandit::ucbv_r(n),
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
                let th = crate::kernels::bandit::eps_threshold(epsilon, c, d, k, m);
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
            crate::kernels::bandit::thompson::sigma_q20(sigma) as u32
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
        Some(ctx.storage("normal quantile table", bytemuck::cast_slice(crate::kernels::bandit::gaussian::table()))?)
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
    let mut cps: Vec<Checkpoints> = parts.iter().map(|p| Checkpoints::new(p.grid)).collect();
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
            let kern = p.kern;
            let at_cp = cps[pi].hit(m);
            let last = m == kern.horizon;
            if at_cp.is_some() || last {
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
                        kern.record_total(m, &n, crate::kernels::bandit::gaussian::real(total), &mut v);
                    } else {
                        kern.record(m, &n, &s, &mut v);
                    }
                    if let Some(c) = at_cp {
                        tr.put(c, &v);
                    }
                    if last {
                        tr.finals.copy_from_slice(&v);
                    }
                }
            }
            base += p.out.len();
        }
    }
    Ok(())
}
