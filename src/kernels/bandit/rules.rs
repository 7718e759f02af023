//! The index rules of the fixed-point kernel, shared by the scalar reference, the lanes and the
//! GPU twin.

use super::lanes::{V, etc_group, lane_group, philox_lanes};
use super::{FixedKernel, gaussian, kl_ucb};
use crate::engine::Trace;
use crate::rng::Role;

pub(super) const Q: u32 = 28;

/// Which policy the kernel runs. Five rules share the lane kernel through `IndexRule`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FixedRule {
    Ucb1 {
        alpha: f64,
    },
    Moss,
    /// UCB-V on Bernoulli arms (empirical variance p̂(1 − p̂), as the f64 path's
    /// sumsq/n − mean²), in Q8.24 because its 3 c b ζ ln t / n term reaches beyond 16:
    /// index = mq + mulhi(A2\[m\], R\[n\]) + mulhi(A1\[m\], SD\[n, s\]) with host tables
    /// A1 = round(sqrt(2 ζ ln m) 2^24), A2 = round(3 c b ζ ln m 2^24), and SD = f32
    /// 2^32 sqrt(s (n − s)) / n^1.5, R = f32 2^32 / n. R's f32 relative error (2^-24) on a term
    /// up to ~60 is up to ~4e-6 absolute: coarser than the Q8.24 grid, so near-ties resolve
    /// differently from the f64 path more often than for UCB1 (means still agree; tested).
    UcbV {
        zeta: f64,
        c: f64,
        b: f64,
    },
    /// Explore-then-commit: m pulls of each arm round-robin, then the arm with the largest
    /// reward sum (all arms then have n = m, so that is the largest mean), ties to the lowest.
    /// On Bernoulli arms this takes exactly the f64 path's decisions.
    Etc {
        m: u64,
    },
    /// ε-greedy after one forced pull of each arm: at step m, with the block m of the policy's
    /// stream `Role::Policy(tag)`, explore iff word 0 < round(ε_m 2^32), then pull arm
    /// ⌊word 1 · K / 2^32⌋; otherwise the arm with the largest Q4.28 mean (ties lowest).
    /// ε_m is `epsilon`, or min(1, c K / (d² m)) when `epsilon` is `None`, with m the pulls so
    /// far (as on the f64 path). Differences from the f64 path: ε is quantised to 2^-32 (an
    /// ε below 2^-33 never explores), the arm draw has a bias of at most K/2^32, and means
    /// closer than 2^-28 tie (to the lowest arm).
    EpsGreedy {
        epsilon: Option<f64>,
        c: f64,
        d: f64,
        tag: u32,
    },
    /// KL-UCB with exploration level ln m + c ln ln m, on the fixed-point definition of
    /// [`kl_ucb`]: index on a 2^-16 grid, within one grid step below the real-valued bound.
    KlUcb {
        c: f64,
    },
    /// Gaussian Thompson sampling with scale σ, on the fixed-point definition of [`thompson`](super::thompson)
    /// (draws from the policy's stream `Role::Policy(tag)`; no forced pulls). Scalar reference
    /// only on the CPU, and a GPU kernel.
    Thompson {
        sigma: f64,
        tag: u32,
    },
}

/// round(ε_m 2^32) ∈ [0, 2^32] for ε-greedy at step m (pulls so far), on the host in f64.
#[inline]
pub fn eps_threshold(epsilon: Option<f64>, c: f64, d: f64, k: usize, m: u64) -> u64 {
    let e = match epsilon {
        Some(e) => e,
        None => (c * k as f64 / (d * d * m.max(1) as f64)).min(1.0),
    };
    (e * 4_294_967_296.0).round() as u64
}

/// How a rule turns (mean, per-n value, per-m value) into an index, and where its per-n
/// value comes from.
pub(crate) trait IndexRule {
    /// Whether the index is `mq + mulhi(a, b)` (lets the lane kernel use its paired multiply).
    const USES_A: bool = false;
    /// Whether the index has a second term `mulhi(A2[m], per-arm value 2)` (UCB-V).
    const TWO: bool = false;
    /// Fraction bits of the mean: 28 (Q4.28), or 24 for UCB-V's wider range.
    const Q: u32 = 28;
    /// The second per-arm value after a pull (n pulls, s successes).
    #[inline(always)]
    fn per_arm2(_n: u32, _s: u32) -> u32 {
        0
    }
    /// The index; by default the mean alone (greedy rules).
    #[inline(always)]
    fn index(mq: u32, _b: u32, _a: u32) -> u32 {
        mq
    }
    /// The per-n value after the n-th pull of an arm (1 ≤ n ≤ horizon); none by default.
    #[inline(always)]
    fn per_n(_n: u32, _table: &[u32]) -> u32 {
        0
    }
    /// An exploration override for step m: (lanes that explore, all-ones there; the arm they pull).
    #[inline(always)]
    fn explore<const L: usize>(_kern: &FixedKernel, _m: u64, _r0: u64) -> Option<(V<L>, V<L>)> {
        None
    }
    /// Advances a group of L replications over the whole horizon. Index rules use the shared
    /// index kernel; a rule that is not an index rule replaces it.
    #[inline(always)]
    fn group<const K: usize, const L: usize>(kern: &FixedKernel, r0: u64, grid: &[u64], out: &mut [Trace])
    where
        Self: Sized,
    {
        lane_group::<K, L, Self>(kern, r0, grid, out)
    }
}

pub(crate) struct Ucb1Rule;
pub(crate) struct MossRule;
pub(crate) struct UcbVRule;

impl IndexRule for UcbVRule {
    const USES_A: bool = true;
    const TWO: bool = true;
    const Q: u32 = 24;
    #[inline(always)]
    fn per_n(n: u32, _table: &[u32]) -> u32 {
        ucbv_r(n)
    }
    #[inline(always)]
    fn per_arm2(n: u32, s: u32) -> u32 {
        ucbv_sd(n, s)
    }
}

/// R\[n\] = ⌊min(2^32 ⊘ n, 4294967040)⌋ in IEEE f32 (n ≥ 1).
#[inline(always)]
pub fn ucbv_r(n: u32) -> u32 {
    let x = (4_294_967_296.0f32 / n as f32).min(4_294_967_040.0);
    // SAFETY: n >= 1 gives 0 < x <= 4294967040 < 2^32, finite.
    unsafe { x.to_int_unchecked::<u32>() }
}

/// SD\[n, s\] = ⌊min(2^32 √(s (n − s)) ⊘ (n √n), 4294967040)⌋ in IEEE f32: 2^32 sqrt(V / n) for
/// the Bernoulli empirical variance V = (s/n)(1 − s/n).
#[inline(always)]
pub fn ucbv_sd(n: u32, s: u32) -> u32 {
    let nf = n as f32;
    let v = ((s as u64 * n.saturating_sub(s) as u64) as f32).sqrt();
    let x = (4_294_967_296.0f32 * v / (nf * nf.sqrt())).min(4_294_967_040.0);
    // SAFETY: x ≥ 0 (v ≥ 0), and `min` returns the bound for +∞ and for NaN (n = 0 gives 0/0),
    // so 0 <= x <= 4294967040 < 2^32: in range for u32.
    unsafe { x.to_int_unchecked::<u32>() }
}
pub(crate) struct EtcRule;
pub(crate) struct EpsRule;
pub(crate) struct KlUcbRule;
/// Rule R on Gaussian arms: the lane kernel of [`gaussian`].
pub(crate) struct Gauss<R>(std::marker::PhantomData<R>);

impl<R: IndexRule> IndexRule for Gauss<R> {
    #[inline(always)]
    fn group<const K: usize, const L: usize>(kern: &FixedKernel, r0: u64, grid: &[u64], out: &mut [Trace]) {
        gaussian::group::<K, L, R>(kern, r0, grid, out)
    }
}

impl IndexRule for KlUcbRule {
    #[inline(always)]
    fn group<const K: usize, const L: usize>(kern: &FixedKernel, r0: u64, grid: &[u64], out: &mut [Trace]) {
        kl_ucb::group::<K, L>(kern, r0, grid, out)
    }
}

impl IndexRule for EpsRule {
    #[inline(always)]
    fn explore<const L: usize>(kern: &FixedKernel, m: u64, r0: u64) -> Option<(V<L>, V<L>)> {
        let FixedRule::EpsGreedy { epsilon, c, d, tag } = kern.rule else { return None };
        let e = eps_threshold(epsilon, c, d, kern.k, m);
        let w = philox_lanes::<L>(m as u32, r0 as u32, Role::Policy(tag).word(), kern.key);
        let k = kern.k as u64;
        let mask = if e >= 1 << 32 {
            V::splat(u32::MAX)
        } else {
            w[0].zip(V::splat(e as u32), |x, t| if x < t { u32::MAX } else { 0 })
        };
        Some((mask, w[1].zip(V::splat(0), |x, _| ((x as u64 * k) >> 32) as u32)))
    }
}

impl IndexRule for EtcRule {
    #[inline(always)]
    fn group<const K: usize, const L: usize>(kern: &FixedKernel, r0: u64, grid: &[u64], out: &mut [Trace]) {
        etc_group::<K, L>(kern, r0, grid, out)
    }
}

impl IndexRule for Ucb1Rule {
    const USES_A: bool = true;
    #[inline(always)]
    fn index(mq: u32, b: u32, a: u32) -> u32 {
        mq.wrapping_add(mulhi(a, b))
    }
    #[inline(always)]
    fn per_n(n: u32, _table: &[u32]) -> u32 {
        ucb1_b(n)
    }
}

impl IndexRule for MossRule {
    #[inline(always)]
    fn index(mq: u32, b: u32, _a: u32) -> u32 {
        mq.wrapping_add(b)
    }
    #[inline(always)]
    fn per_n(n: u32, table: &[u32]) -> u32 {
        // SAFETY: n counts one arm's pulls, so 1 <= n <= horizon, and the MOSS table has
        // horizon + 1 entries (built in `FixedKernel::new`).
        unsafe { *table.get_unchecked(n as usize) }
    }
}

/// `B[n]` = ⌊min(2^32 ⊘ √n, 4294967040)⌋ in IEEE f32 (n ≥ 1; 4294967040 is the largest f32
/// below 2^32).
#[inline(always)]
pub fn ucb1_b(n: u32) -> u32 {
    let x = (4_294_967_296.0f32 / (n as f32).sqrt()).min(4_294_967_040.0);
    // SAFETY: n >= 1 gives 0 < x <= 4294967040 < 2^32, finite: in range for u32. (The unchecked
    // conversion vectorises; `as u32` saturates, which LLVM scalarises.)
    unsafe { x.to_int_unchecked::<u32>() }
}

/// ⌊s 2^Q / n⌋ through one f64 division (Q ≤ 28): exact for s ≤ n < 2^25.
#[inline(always)]
pub(crate) fn mean_f64<const Q: u32>(s: u32, n: u32) -> u32 {
    // The clamp costs one vector min and makes the conversion below sound for any input; for
    // s ≤ n it never binds.
    let q = ((s as f64 * (1u64 << Q) as f64) / n.max(1) as f64).min((1u64 << Q) as f64);
    // SAFETY: q is finite and 0 <= q <= 2^Q <= 2^28 (clamped above): in range for u32.
    unsafe { q.to_int_unchecked::<u32>() }
}

/// ⌊s 2^28 / n⌋ in integers: the reference's definition.
#[inline(always)]
pub fn mean_q_int(s: u32, n: u32) -> u32 {
    mean_int(28, s, n)
}

/// ⌊s 2^q / n⌋ in integers.
#[inline(always)]
pub fn mean_int(q: u32, s: u32, n: u32) -> u32 {
    (((s as u64) << q) / n as u64) as u32
}

#[inline(always)]
pub(super) fn mulhi(a: u32, b: u32) -> u32 {
    (((a as u64) * (b as u64)) >> 32) as u32
}
