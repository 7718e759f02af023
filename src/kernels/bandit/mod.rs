//! The batched fixed-point kernel for bandit policies on Bernoulli arms: the performance core.
//!
//! Every decision is made in integers so that a GPU twin can compute the same bits:
//! - reward: `word < round(p 2^32)` (or always 1 when p = 1), with the Env word of step m
//!   (Gaussian arms: an integer normal deviate from the same word, see [`gaussian`]);
//! - empirical mean in Q4.28: `mq(n, s) = ⌊s 2^28 / n⌋` exactly (Q8.24 for UCB-V);
//! - UCB1 index: `mq + mulhi(A[m], B[n])` with `A[m]` = round(sqrt(α ln m) 2^28) (a host table,
//!   one value per step) and `B[n]` = ⌊min(2^32 ⊘ √n, 4294967040)⌋ evaluated in IEEE f32 (⊘ and
//!   √ correctly rounded, so every platform gets the same integer; relative error < 2^-23,
//!   which is below the Q4.28 mean's resolution for the bonus sizes that matter; f32 instead
//!   of f64 made the AVX-512 kernel 25% faster);
//! - MOSS index: `mq + C[n]`, `C[n]` = round(sqrt(max(ln(T/(K n)), 0) / n) 2^28) (a host table);
//! - UCB-V index (Q8.24): see [`FixedRule::UcbV`];
//! - explore-then-commit: round-robin for m K steps, then the largest reward sum (ties lowest);
//! - ε-greedy: the largest `mq`, or with probability ε_t an arm drawn from the policy's own
//!   counter stream (see [`FixedRule::EpsGreedy`]);
//! - KL-UCB index: a binary search on a 2^-16 grid with exact i64 divergences from host tables
//!   (see [`kl_ucb`]);
//! - argmax by strict `>` from arm 0 (ties to the lowest arm).
//!
//! Implementations that compute exactly the same integers:
//! - [`FixedKernel::run_scalar`], one replication at a time with integer division (the
//!   reference);
//! - the lane kernel, which advances L replications in lock-step over struct-of-arrays state
//!   and evaluates `mq` and `B[n]` in vector float arithmetic instead of gathers. ⌊s 2^28 / n⌋
//!   from an f64 division is exact for n < 2^25: the rounded quotient is within 2^-25 of the
//!   true one, which is at least 1/n away from the next integer. Hence the horizon limit of
//!   2^25. The lane loop's operations are fixed-size array loops that LLVM vectorises; the
//!   kernel is compiled for AVX-512, AVX2 and the baseline target and picked at run time
//!   (function multiversioning), which keeps the default build portable;
//! - `ifma`, hand-written AVX-512 IFMA intrinsics for UCB1 with K ≤ 16 and T < 2^14.
//!
//! All `unsafe` of this kernel family lives in this module and its child `ifma`. Miri cannot
//! run them here: it needs a nightly toolchain, which this build environment cannot fetch;
//! every lane implementation is instead tested bit for bit against the scalar reference.

// Lane loops index several arrays with one counter on purpose: that is the shape LLVM vectorises.
#![allow(clippy::needless_range_loop)]

pub mod gaussian;
#[cfg(feature = "gpu")]
pub mod gpu;
#[cfg(target_arch = "x86_64")]
mod ifma;
pub mod kl_ucb;
pub mod thompson;

use crate::engine::Trace;
use crate::rng::{Role, StreamId};

use crate::settings::bandit::arms::Arm;

const Q: u32 = 28;

/// Which policy the kernel runs. Five rules share the lane kernel through `IndexRule`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FixedRule {
    Ucb1 {
        alpha: f64,
    },
    Moss,
    /// UCB-V on Bernoulli arms (empirical variance p̂(1 − p̂), as the f64 path's
    /// sumsq/n − mean²), in Q8.24 because its 3 c b ζ ln t / n term reaches beyond 16:
    /// index = mq + mulhi(A2[m], R[n]) + mulhi(A1[m], SD[n, s]) with host tables
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
    /// Gaussian Thompson sampling with scale σ, on the fixed-point definition of [`thompson`]
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

/// R[n] = ⌊min(2^32 ⊘ n, 4294967040)⌋ in IEEE f32 (n ≥ 1).
#[inline(always)]
pub fn ucbv_r(n: u32) -> u32 {
    let x = (4_294_967_296.0f32 / n as f32).min(4_294_967_040.0);
    // SAFETY: n >= 1 gives 0 < x <= 4294967040 < 2^32, finite.
    unsafe { x.to_int_unchecked::<u32>() }
}

/// SD[n, s] = ⌊min(2^32 √(s (n − s)) ⊘ (n √n), 4294967040)⌋ in IEEE f32: 2^32 sqrt(V / n) for
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
fn mulhi(a: u32, b: u32) -> u32 {
    (((a as u64) * (b as u64)) >> 32) as u32
}

/// Host tables and instance data of one (instance, horizon, rule).
#[derive(Clone, Debug)]
pub struct FixedKernel {
    pub k: usize,
    pub horizon: u64,
    pub rule: FixedRule,
    key: [u32; 2],
    thr: Vec<u32>,
    full: Vec<u32>,
    a: Vec<u32>,
    /// UCB-V's second per-step table.
    a2: Vec<u32>,
    b: Vec<u32>,
    /// KL-UCB's tables.
    kl: Option<kl_ucb::KlTables>,
    /// Gaussian arms' constants (None: Bernoulli arms).
    gauss: Option<gaussian::GaussArms>,
    gaps: Vec<f64>,
    optimal: Vec<bool>,
    mu_star: f64,
}

/// The largest α the Q4.28 UCB1 index supports at horizon T: mean (≤ 1) plus bonus
/// (≤ sqrt(α ln T)) must stay below 16, so α ln T < 225.
pub fn max_fixed_alpha(horizon: u64) -> f64 {
    225.0 / (horizon.max(2) as f64).ln()
}

/// Why an instance cannot run on the fixed-point kernel (the rule-specific ranges are
/// [`fixed_rule_support`]'s).
pub fn fixed_support(arms: &[Arm], horizon: u64) -> Result<(), String> {
    if !arms.iter().all(|a| matches!(a, Arm::Bernoulli { .. }))
        && !arms.iter().all(|a| matches!(a, Arm::Gaussian { .. }))
    {
        return Err("fixed-point arithmetic needs all-Bernoulli or all-Gaussian arms".into());
    }
    if horizon >= 1 << 25 {
        return Err("fixed-point arithmetic needs horizon < 2^25 (exactness of the lane kernel's mean)".into());
    }
    Ok(())
}

/// Why a rule cannot run on the fixed-point kernel with these arms and horizon, beyond
/// [`fixed_support`]: on Gaussian arms, the rules that have a Gaussian fixed-point definition
/// and the Q12.20 ranges of [`gaussian::gaussian_support`].
pub fn fixed_rule_support(arms: &[Arm], horizon: u64, rule: FixedRule) -> Result<(), String> {
    if let FixedRule::Thompson { sigma, .. } = rule {
        return thompson::thompson_support(arms, horizon, sigma);
    }
    if !matches!(arms.first(), Some(Arm::Gaussian { .. })) {
        return Ok(());
    }
    let lt = (horizon.max(2) as f64).ln();
    let bonus = match rule {
        FixedRule::Ucb1 { alpha } => (alpha * lt).sqrt(),
        FixedRule::Moss => (horizon as f64 / arms.len() as f64).ln().max(0.0).sqrt(),
        FixedRule::Etc { .. } | FixedRule::EpsGreedy { .. } | FixedRule::Thompson { .. } => 0.0,
        FixedRule::UcbV { .. } | FixedRule::KlUcb { .. } => {
            return Err("on Gaussian arms the fixed-point kernel runs UCB1, MOSS, explore-then-commit and ε-greedy (UCB-V and KL-UCB are defined here for Bernoulli arms)".into());
        }
    };
    gaussian::gaussian_support(arms, horizon, bonus)
}

impl FixedKernel {
    /// Builds the tables. The caller has checked [`fixed_support`] and the rule's overflow bound
    /// (UCB1: α ln T < 225, see [`max_fixed_alpha`]; UCB-V: 1 + sqrt(2ζ ln T)/2 + 3cbζ ln T < 256),
    /// as spec validation does; outside them the index saturates or wraps (the same in every
    /// implementation, but no longer the intended rule).
    pub fn new(arms: &[Arm], horizon: u64, rule: FixedRule, key: [u32; 2]) -> FixedKernel {
        let k = arms.len();
        let means: Vec<f64> = arms.iter().map(Arm::mean).collect();
        let mu_star = means.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let mut thr = Vec::with_capacity(k);
        let mut full = Vec::with_capacity(k);
        let gauss = gaussian::GaussArms::new(arms);
        for &p in &means {
            // thresholds only mean something for Bernoulli arms
            let t = if gauss.is_some() { 0 } else { Arm::bernoulli_threshold(p) };
            thr.push(t.min(u32::MAX as u64) as u32 * (t < 1 << 32) as u32);
            full.push((t >= 1 << 32) as u32);
        }
        let scale = (1u64 << if gauss.is_some() { gaussian::GQ } else { Q }) as f64;
        let tn = horizon as usize + 1;
        // Only the tables a rule reads are built: A[m] for UCB1, C[n] for MOSS (UCB1's B[n] is
        // computed, not looked up).
        let mut a2 = Vec::new();
        let (a, b): (Vec<u32>, Vec<u32>) = match rule {
            FixedRule::Ucb1 { alpha } => {
                let a = (0..tn)
                    .map(|m| if m < 2 { 0 } else { ((alpha * (m as f64).ln()).sqrt() * scale).round() as u32 })
                    .collect();
                (a, Vec::new())
            }
            FixedRule::UcbV { zeta, c, b } => {
                let s24 = (1u64 << 24) as f64;
                let ln = |m: usize| if m < 2 { 0.0 } else { (m as f64).ln() };
                a2 = (0..tn).map(|m| (3.0 * c * b * zeta * ln(m) * s24).round() as u32).collect();
                ((0..tn).map(|m| ((2.0 * zeta * ln(m)).sqrt() * s24).round() as u32).collect(), Vec::new())
            }
            FixedRule::Etc { .. } | FixedRule::EpsGreedy { .. } | FixedRule::KlUcb { .. } => (Vec::new(), Vec::new()),
            // W[n] = ucb1_b(n + 1), n = 0 ..= T
            FixedRule::Thompson { .. } => (Vec::new(), thompson::w_table(horizon)),
            FixedRule::Moss => {
                let b = (0..tn)
                    .map(|n| {
                        if n == 0 {
                            return 0;
                        }
                        let l = (horizon as f64 / (k as f64 * n as f64)).ln().max(0.0);
                        ((l / n as f64).sqrt() * scale).round() as u32
                    })
                    .collect();
                (Vec::new(), b)
            }
        };
        FixedKernel {
            k,
            horizon,
            rule,
            key,
            thr,
            full,
            a,
            a2,
            b,
            kl: match rule {
                FixedRule::KlUcb { c } => Some(kl_ucb::KlTables::new(horizon, c)),
                _ => None,
            },
            gauss,
            gaps: means.iter().map(|m| mu_star - m).collect(),
            optimal: means.iter().map(|&m| m == mu_star).collect(),
            mu_star,
        }
    }

    /// The per-n value of the rule after an arm's n-th pull (1 ≤ n ≤ horizon).
    #[inline(always)]
    fn per_n(&self, n: u32) -> u32 {
        match self.rule {
            FixedRule::Ucb1 { .. } => ucb1_b(n),
            FixedRule::UcbV { .. } => ucbv_r(n),
            FixedRule::Moss => self.b[n as usize],
            FixedRule::Etc { .. }
            | FixedRule::EpsGreedy { .. }
            | FixedRule::KlUcb { .. }
            | FixedRule::Thompson { .. } => 0,
        }
    }

    /// Fraction bits of the rule's mean.
    fn q(&self) -> u32 {
        if matches!(self.rule, FixedRule::UcbV { .. }) { UcbVRule::Q } else { 28 }
    }

    /// The index of an arm (mean, per-n value, second value; n pulls, s successes) at step m.
    #[inline(always)]
    fn index(&self, (mq, b, c2): (u32, u32, u32), n: u32, s: u32, m: u64) -> u32 {
        match self.rule {
            FixedRule::KlUcb { .. } => {
                let t = self.kl.as_ref().expect("the KL-UCB rule builds its tables");
                t.index(n, s, t.level(m))
            }
            FixedRule::Ucb1 { .. } => Ucb1Rule::index(mq, b, self.a[m as usize]),
            FixedRule::UcbV { .. } => {
                mq.wrapping_add(mulhi(self.a2[m as usize], b)).wrapping_add(mulhi(self.a[m as usize], c2))
            }
            FixedRule::Moss => MossRule::index(mq, b, 0),
            FixedRule::Etc { .. } | FixedRule::EpsGreedy { .. } => mq,
            FixedRule::Thompson { .. } => unreachable!("Thompson draws are made by its own reference"),
        }
    }

    /// The three bandit metrics after `t` pulls, from pull counts and success counts.
    pub fn record(&self, t: u64, n: &[u32], s: &[u32], out: &mut [f64; 3]) {
        self.record_total(t, n, s.iter().map(|&x| x as u64).sum::<u64>() as f64, out)
    }

    /// The three bandit metrics after `t` pulls, from pull counts and the total reward.
    pub fn record_total(&self, t: u64, n: &[u32], total: f64, out: &mut [f64; 3]) {
        let mut pseudo = 0.0;
        let mut opt = 0u64;
        for k in 0..self.k {
            pseudo += self.gaps[k] * n[k] as f64;
            opt += if self.optimal[k] { n[k] as u64 } else { 0 };
        }
        *out = [pseudo, t as f64 * self.mu_star - total, opt as f64 / t as f64];
    }

    fn put(&self, tr: &mut Trace, ncp: usize, c: usize, v: &[f64; 3]) {
        for (m, &x) in v.iter().enumerate() {
            tr.values[m * ncp + c] = x;
        }
    }

    /// A scalar reference's arm at step m: round robin while m < `explore`, then ETC's committed
    /// arm, else the largest `index(j)` (strict `>`, ties to the lowest arm) with ε-greedy's
    /// exploration override from the policy's stream. Shared by the Bernoulli and Gaussian
    /// references, so both decide exactly as the lanes do.
    fn scalar_choice(
        &self,
        m: u64,
        rep: u32,
        explore: u64,
        committed: &mut Option<usize>,
        index: impl Fn(usize) -> u32,
    ) -> usize {
        let k = self.k;
        if m < explore {
            return (m % k as u64) as usize;
        }
        if let Some(a) = *committed {
            return a;
        }
        let mut best = 0;
        let mut bv = index(0);
        for j in 1..k {
            let x = index(j);
            if x > bv {
                bv = x;
                best = j;
            }
        }
        match self.rule {
            FixedRule::Etc { .. } => *committed = Some(best),
            FixedRule::EpsGreedy { epsilon, c, d, tag } => {
                let w = StreamId::new(self.key, rep, Role::Policy(tag)).block(m);
                if (w[0] as u64) < eps_threshold(epsilon, c, d, k, m) {
                    best = ((w[1] as u64 * k as u64) >> 32) as usize;
                }
            }
            _ => {}
        }
        best
    }

    /// The scalar reference: one replication at a time, same integers as the lane kernel.
    pub fn run_scalar(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        if matches!(self.rule, FixedRule::Thompson { .. }) {
            return thompson::run_scalar(self, first_rep, grid, out);
        }
        if self.gauss.is_some() {
            return gaussian::run_scalar(self, first_rep, grid, out);
        }
        self.scalar_bernoulli(first_rep, grid, out, |_, _| {});
    }

    /// Σ over replications of every arm's pull and success counts at the horizon, by the scalar
    /// reference (Bernoulli arms, index rules): what the GPU's aggregate readback must equal.
    pub fn totals_scalar(&self, first_rep: u64, reps: usize) -> (Vec<u64>, Vec<u64>) {
        assert!(
            self.gauss.is_none() && !matches!(self.rule, FixedRule::Thompson { .. }),
            "totals_scalar sums Bernoulli counts of index rules"
        );
        let (mut pulls, mut succ) = (vec![0u64; self.k], vec![0u64; self.k]);
        let mut out = vec![Trace::new(3, 0); reps];
        self.scalar_bernoulli(first_rep, &[], &mut out, |n, s| {
            for j in 0..n.len() {
                pulls[j] += n[j] as u64;
                succ[j] += s[j] as u64;
            }
        });
        (pulls, succ)
    }

    /// The Bernoulli reference's loop; `at_end` sees each replication's final counts.
    fn scalar_bernoulli(
        &self,
        first_rep: u64,
        grid: &[u64],
        out: &mut [Trace],
        mut at_end: impl FnMut(&[u32], &[u32]),
    ) {
        let k = self.k;
        for (i, tr) in out.iter_mut().enumerate() {
            let env = StreamId::new(self.key, (first_rep + i as u64) as u32, Role::Env);
            let (mut n, mut s, mut mq, mut bb, mut cc) =
                (vec![0u32; k], vec![0u32; k], vec![0u32; k], vec![0u32; k], vec![0u32; k]);
            let q = self.q();
            let mut blk = [0u32; 4];
            let mut c = 0;
            let mut v = [0.0; 3];
            let explore = match self.rule {
                FixedRule::Etc { m } => m * k as u64,
                _ => k as u64,
            };
            let mut committed = None;
            for m in 0..self.horizon {
                if m & 3 == 0 {
                    blk = env.block(m >> 2);
                }
                let arm = self.scalar_choice(m, (first_rep + i as u64) as u32, explore, &mut committed, |j| {
                    self.index((mq[j], bb[j], cc[j]), n[j], s[j], m)
                });
                n[arm] += 1;
                s[arm] += (blk[(m & 3) as usize] < self.thr[arm]) as u32 | self.full[arm];
                mq[arm] = mean_int(q, s[arm], n[arm]);
                bb[arm] = self.per_n(n[arm]);
                cc[arm] = ucbv_sd(n[arm], s[arm]) * matches!(self.rule, FixedRule::UcbV { .. }) as u32;
                if c < grid.len() && grid[c] == m + 1 {
                    self.record(m + 1, &n, &s, &mut v);
                    self.put(tr, grid.len(), c, &v);
                    c += 1;
                }
            }
            // Final values at the horizon, whatever the grid (the other paths do the same).
            self.record(self.horizon, &n, &s, &mut v);
            tr.finals.copy_from_slice(&v);
            at_end(&n, &s);
        }
    }

    /// Runs a block of replications on the path `choice` names (`Auto`: the fastest lane kernel
    /// this CPU supports). Every path gives the same bits as [`run_scalar`](Self::run_scalar).
    pub fn run_block(&self, choice: KernelChoice, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        match choice {
            KernelChoice::Auto => self.run_block_on(Isa::selected(), first_rep, grid, out),
            KernelChoice::Lanes(isa) => self.run_block_on(isa, first_rep, grid, out),
            KernelChoice::Scalar => self.run_scalar(first_rep, grid, out),
        }
    }

    /// Runs a block on a given lane kernel (one the CPU supports; see [`Isa::available`]).
    /// Instances with more than 64 arms, or with an arm of mean exactly 1 (whose threshold 2^32
    /// does not fit the lanes' 32-bit compare), run on the scalar reference: same bits, slower.
    pub fn run_block_on(&self, isa: Isa, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        // Thompson sampling has no lane kernel: its K draws per step are the cost.
        if self.full.iter().any(|&f| f != 0) || matches!(self.rule, FixedRule::Thompson { .. }) {
            return self.run_scalar(first_rep, grid, out);
        }
        // The IFMA kernel covers UCB1 at short horizons; elsewhere its ISA means the AVX-512 lanes.
        let lane_isa = if isa == Isa::Avx512Ifma { Isa::Avx512 } else { isa };
        macro_rules! pad {
            ($($kp:literal),*) => {
                $( if self.k <= $kp { return match self.rule {
                    FixedRule::Ucb1 { .. } => dispatch::<$kp, Ucb1Rule>(lane_isa, self, first_rep, grid, out),
                    FixedRule::Moss => dispatch::<$kp, MossRule>(lane_isa, self, first_rep, grid, out),
                    FixedRule::UcbV { .. } => dispatch::<$kp, UcbVRule>(lane_isa, self, first_rep, grid, out),
                    FixedRule::Etc { .. } => dispatch::<$kp, EtcRule>(lane_isa, self, first_rep, grid, out),
                    FixedRule::EpsGreedy { .. } => dispatch::<$kp, EpsRule>(lane_isa, self, first_rep, grid, out),
                    FixedRule::KlUcb { .. } => dispatch::<$kp, KlUcbRule>(lane_isa, self, first_rep, grid, out),
                    FixedRule::Thompson { .. } => self.run_scalar(first_rep, grid, out),
                }; } )*
            };
        }
        if self.gauss.is_some() {
            macro_rules! gauss_pad {
                ($($kp:literal),*) => {
                    $( if self.k <= $kp { return match self.rule {
                        FixedRule::Ucb1 { .. } => dispatch::<$kp, Gauss<Ucb1Rule>>(lane_isa, self, first_rep, grid, out),
                        FixedRule::Moss => dispatch::<$kp, Gauss<MossRule>>(lane_isa, self, first_rep, grid, out),
                        FixedRule::Etc { .. } => dispatch::<$kp, Gauss<EtcRule>>(lane_isa, self, first_rep, grid, out),
                        FixedRule::EpsGreedy { .. } => dispatch::<$kp, Gauss<EpsRule>>(lane_isa, self, first_rep, grid, out),
                        // no Gaussian definition (refused by `fixed_rule_support`)
                        FixedRule::UcbV { .. } | FixedRule::KlUcb { .. } | FixedRule::Thompson { .. } => self.run_scalar(first_rep, grid, out),
                    }; } )*
                };
            }
            gauss_pad!(2, 4, 8, 10, 16, 32, 64);
            return self.run_scalar(first_rep, grid, out);
        }
        #[cfg(target_arch = "x86_64")]
        if isa == Isa::Avx512Ifma
            && matches!(self.rule, FixedRule::Ucb1 { .. })
            && self.horizon < ifma::MAX_T
            && self.k <= ifma::MAX_K
        {
            assert!(Isa::available().contains(&isa), "lane kernel {isa:?} is not supported by this CPU");
            macro_rules! ifma_pad {
                ($($kp:literal),*) => {
                    // SAFETY: the CPU has every feature `ifma::run` needs (asserted above), the
                    // rule is UCB1, K ≤ the padded K ≤ 16, T < 2^14, and no arm has mean 1
                    // (checked at the top of this function).
                    $( if self.k <= $kp { return unsafe { ifma::run::<$kp>(self, first_rep, grid, out) }; } )*
                };
            }
            ifma_pad!(2, 4, 8, 10, 16);
        }
        pad!(2, 4, 8, 10, 16, 32, 64);
        self.run_scalar(first_rep, grid, out)
    }

    /// Which lane kernel `run_block` uses on this CPU.
    pub fn isa() -> &'static str {
        Isa::selected().name()
    }
}

/// Which implementation of the fixed-point kernel runs: a choice of speed only, never of results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KernelChoice {
    /// The fastest lane kernel this CPU supports.
    #[default]
    Auto,
    /// The scalar reference, one replication at a time.
    Scalar,
    /// A given lane kernel.
    Lanes(Isa),
}

impl KernelChoice {
    /// Parses `auto`, `scalar`, `portable`, `avx2` or `avx512`; a lane kernel this CPU cannot run
    /// is an error that lists the ones it can.
    pub fn parse(s: &str) -> Result<KernelChoice, String> {
        Self::parse_on(s, &Isa::available())
    }

    /// [`Self::parse`] on a CPU with the lane kernels `avail`.
    pub fn parse_on(s: &str, avail: &[Isa]) -> Result<KernelChoice, String> {
        let names: Vec<&str> = ["auto", "scalar"].into_iter().chain(avail.iter().map(|i| i.name())).collect();
        match s {
            "auto" => Ok(KernelChoice::Auto),
            "scalar" => Ok(KernelChoice::Scalar),
            _ => match avail.iter().find(|i| i.name() == s) {
                Some(&isa) => Ok(KernelChoice::Lanes(isa)),
                None if Isa::ALL.iter().any(|i| i.name() == s) => {
                    Err(format!("{} (this CPU lacks {s})", names.join(", ")))
                }
                None => Err(names.join(", ")),
            },
        }
    }

    /// The path that actually runs on this CPU.
    pub fn describe(self) -> String {
        match self {
            KernelChoice::Auto => format!("{} lanes (auto)", Isa::selected().name()),
            KernelChoice::Scalar => "scalar reference".into(),
            KernelChoice::Lanes(isa) => format!("{} lanes", isa.name()),
        }
    }
}

/// The instruction sets the lane kernel is compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// The hand-written AVX-512 IFMA kernel where it applies (UCB1, K ≤ 16, T < 2^14), the
    /// AVX-512 lanes elsewhere.
    Avx512Ifma,
    /// AVX-512 (F, BW, VL, DQ), 32 lanes.
    Avx512,
    /// AVX2, 16 lanes.
    Avx2,
    /// The build's baseline target (SSE2 on x86-64), 8 lanes.
    Portable,
}

impl Isa {
    /// Every lane kernel of the build, on any CPU.
    pub const ALL: [Isa; 4] = [Isa::Avx512Ifma, Isa::Avx512, Isa::Avx2, Isa::Portable];

    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512Ifma => "avx512ifma",
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
            Isa::Portable => "portable",
        }
    }

    /// Every lane kernel this CPU can run, fastest first.
    pub fn available() -> Vec<Isa> {
        let mut v = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            // Exactly the features the two functions below are compiled with.
            let avx2 = has!("avx2") && has!("fma");
            if avx2 && has!("avx512f") && has!("avx512bw") && has!("avx512vl") && has!("avx512dq") {
                if has!("avx512ifma") {
                    v.push(Isa::Avx512Ifma);
                }
                v.push(Isa::Avx512);
            }
            if avx2 {
                v.push(Isa::Avx2);
            }
        }
        v.push(Isa::Portable);
        v
    }

    /// The fastest available, unless `REGRETLAB_ISA` names another available one (for
    /// benchmarking the portable paths on a machine that has AVX-512). Results never depend on it.
    pub fn selected() -> Isa {
        static SEL: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
        *SEL.get_or_init(|| {
            let avail = Isa::available();
            let want = std::env::var("REGRETLAB_ISA").unwrap_or_default();
            avail.iter().copied().find(|i| i.name() == want).unwrap_or(avail[0])
        })
    }
}

fn dispatch<const K: usize, R: IndexRule>(
    isa: Isa,
    kern: &FixedKernel,
    first_rep: u64,
    grid: &[u64],
    out: &mut [Trace],
) {
    assert!(Isa::available().contains(&isa), "lane kernel {isa:?} is not supported by this CPU");
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa` is in `Isa::available()` (asserted above), which checked with
        // `is_x86_feature_detected!` every feature this function was compiled for.
        Isa::Avx512 | Isa::Avx512Ifma => unsafe { lanes_avx512::<K, R>(kern, first_rep, grid, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, AVX2 was detected.
        Isa::Avx2 => unsafe { lanes_avx2::<K, R>(kern, first_rep, grid, out) },
        _ => lanes::<K, 8, R>(kern, first_rep, grid, out),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
fn lanes_avx512<const K: usize, R: IndexRule>(kern: &FixedKernel, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
    lanes::<K, 32, R>(kern, first_rep, grid, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn lanes_avx2<const K: usize, R: IndexRule>(kern: &FixedKernel, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
    lanes::<K, 16, R>(kern, first_rep, grid, out)
}

/// L lanes of u32: one value per replication. Every operation is a loop over a fixed-size
/// array with a branch-free body, which LLVM's SLP vectoriser turns into whole-register
/// instructions for the width the enclosing function was compiled for. (A single lane loop
/// around the whole step is not vectorised once AVX-512 is enabled: the cost model declines.)
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(crate) struct V<const L: usize>(pub(crate) [u32; L]);

impl<const L: usize> V<L> {
    #[inline(always)]
    fn splat(x: u32) -> Self {
        V([x; L])
    }
    #[inline(always)]
    fn zip(self, o: Self, f: impl Fn(u32, u32) -> u32) -> Self {
        let mut r = [0; L];
        for l in 0..L {
            r[l] = f(self.0[l], o.0[l]);
        }
        V(r)
    }
    /// mulhi(a, self) per lane, written on u64 pairs of lanes so that it compiles to one
    /// 32x32->64 multiply per lane pair and no widening shuffles: lane 2i's high word comes
    /// from (w mod 2^32) a >> 32, lane 2i+1's from the high half of (w >> 32) a.
    #[inline(always)]
    fn mulhi_by(self, a: u32) -> Self {
        let mut r = [0u32; L];
        let a = a as u64;
        for i in 0..L / 2 {
            let w = self.0[2 * i] as u64 | (self.0[2 * i + 1] as u64) << 32;
            let x = (((w & 0xFFFF_FFFF) * a) >> 32) | (((w >> 32) * a) & 0xFFFF_FFFF_0000_0000);
            r[2 * i] = x as u32;
            r[2 * i + 1] = (x >> 32) as u32;
        }
        V(r)
    }
    /// All-ones where `self == x`.
    #[inline(always)]
    fn eq_mask(self, x: u32) -> Self {
        self.zip(Self::splat(x), |a, b| if a == b { u32::MAX } else { 0 })
    }
    /// `a` where the mask is set, else `b`.
    #[inline(always)]
    fn select(m: Self, a: Self, b: Self) -> Self {
        let mut r = [0; L];
        for l in 0..L {
            r[l] = (a.0[l] & m.0[l]) | (b.0[l] & !m.0[l]);
        }
        V(r)
    }
}

/// Struct-of-arrays state of L replications, arms padded to K (padded arms have index 0 and
/// lose every strict comparison against arm 0, so they are never pulled).
struct Lanes<const K: usize, const L: usize> {
    mq: [V<L>; K],
    bb: [V<L>; K],
    /// Second per-arm value (UCB-V only).
    cc: [V<L>; K],
    nn: [V<L>; K],
    ss: [V<L>; K],
}

/// Philox4x32-10 of counters [blk, r0 + l, role, 0] for the L lanes (same words as
/// `rng::philox4x32_10`, one lane per replication). Only the second counter word differs
/// between lanes, so the first three rounds are partly uniform: they are computed on scalars
/// where they can be, which saves about two rounds of vector work.
#[inline(always)]
fn philox_lanes<const L: usize>(blk: u32, r0: u32, role: u32, key: [u32; 2]) -> [V<L>; 4] {
    const M0: u64 = 0xD251_1F53;
    const M1: u64 = 0xCD9E_8D57;
    let hi = |p: u64| (p >> 32) as u32;
    let kr =
        |r: u32| [key[0].wrapping_add(r.wrapping_mul(0x9E37_79B9)), key[1].wrapping_add(r.wrapping_mul(0xBB67_AE85))];
    let mut c1 = V::<L>([0; L]);
    for l in 0..L {
        c1.0[l] = r0.wrapping_add(l as u32);
    }
    // round 0 on [blk, c1, role, 0]: only word 0 depends on the lane
    let (k, p0, p1) = (kr(0), M0 * blk as u64, M1 * role as u64);
    let x0 = c1.zip(V::splat(hi(p1) ^ k[0]), |a, b| a ^ b);
    let (x1, x2, x3) = (p1 as u32, hi(p0) ^ k[1], p0 as u32);
    // round 1 on [x0, x1, x2, x3]: words 2 and 3 depend on the lane
    let (k, q1) = (kr(1), M1 * x2 as u64);
    let (y0, y1) = (hi(q1) ^ x1 ^ k[0], q1 as u32);
    let (mut y2, mut y3) = (V::<L>([0; L]), V::<L>([0; L]));
    for l in 0..L {
        y2.0[l] = hi(M0 * x0.0[l] as u64) ^ x3 ^ k[1];
        y3.0[l] = x0.0[l].wrapping_mul(M0 as u32);
    }
    // round 2 on [y0, y1, y2, y3]: word 3 is uniform
    let (k, q0) = (kr(2), M0 * y0 as u64);
    let (mut c0, mut c2, mut c3) = (V::<L>([0; L]), V::<L>([0; L]), V::<L>::splat(q0 as u32));
    for l in 0..L {
        c0.0[l] = hi(M1 * y2.0[l] as u64) ^ y1 ^ k[0];
        c1.0[l] = y2.0[l].wrapping_mul(M1 as u32);
        c2.0[l] = hi(q0) ^ y3.0[l] ^ k[1];
    }
    for round in 3..10 {
        let k = kr(round);
        let (mut n0, mut n1, mut n2, mut n3) = ([0u32; L], [0u32; L], [0u32; L], [0u32; L]);
        // Low halves as 32-bit multiplies: written as the low half of the 64-bit product, LLVM
        // widens every lane and computes each product twice.
        for l in 0..L {
            n0[l] = hi(M1 * c2.0[l] as u64) ^ c1.0[l] ^ k[0];
            n1[l] = c2.0[l].wrapping_mul(M1 as u32);
            n2[l] = hi(M0 * c0.0[l] as u64) ^ c3.0[l] ^ k[1];
            n3[l] = c0.0[l].wrapping_mul(M0 as u32);
        }
        (c0, c1, c2, c3) = (V(n0), V(n1), V(n2), V(n3));
    }
    [c0, c1, c2, c3]
}

#[inline(always)]
fn lanes<const K: usize, const L: usize, R: IndexRule>(
    kern: &FixedKernel,
    first_rep: u64,
    grid: &[u64],
    out: &mut [Trace],
) {
    for (g, chunk) in out.chunks_mut(L).enumerate() {
        R::group::<K, L>(kern, first_rep + (g * L) as u64, grid, chunk);
    }
}

/// Arm j's index in every lane. A function, not a closure: an `#[inline(always)]` function is
/// always inlined into the caller's target-feature context; a closure this size was not, and
/// then ran without vector instructions.
#[inline(always)]
fn lane_index<const K: usize, const L: usize, R: IndexRule>(st: &Lanes<K, L>, j: usize, a: u32, a2: u32) -> V<L> {
    if R::TWO {
        // UCB-V: mq + mulhi(A2, R[n]) + mulhi(A1, SD[n, s]), in the scalar reference's order
        let t = st.mq[j].zip(st.bb[j].mulhi_by(a2), |m, h| m.wrapping_add(h));
        t.zip(st.cc[j].mulhi_by(a), |m, h| m.wrapping_add(h))
    } else if R::USES_A {
        st.mq[j].zip(st.bb[j].mulhi_by(a), |m, h| m.wrapping_add(h))
    } else {
        st.mq[j].zip(st.bb[j], |m, b| R::index(m, b, a))
    }
}

/// One step of L replications: argmax of the index, pull, update of the pulled arm.
#[inline(always)]
fn lane_step<const K: usize, const L: usize, R: IndexRule>(
    st: &mut Lanes<K, L>,
    a: u32,
    a2: u32,
    u: V<L>,
    thr: &[u32; K],
    tb: &[u32],
    over: Option<(V<L>, V<L>)>,
) {
    let index = |j: usize| lane_index::<K, L, R>(st, j, a, a2);
    // The winner's n, s and threshold ride along with the running maximum.
    let mut bv = index(0);
    let mut bk = V::<L>::splat(0);
    let (mut nk, mut sk, mut th) = (st.nn[0], st.ss[0], V::<L>::splat(thr[0]));
    for j in 1..K {
        let x = index(j);
        let gt = x.zip(bv, |x, b| if x > b { u32::MAX } else { 0 });
        bv = V::select(gt, x, bv);
        bk = V::select(gt, V::splat(j as u32), bk);
        nk = V::select(gt, st.nn[j], nk);
        sk = V::select(gt, st.ss[j], sk);
        th = V::select(gt, V::splat(thr[j]), th);
    }
    if let Some((explore, arm)) = over {
        // exploring lanes pull `arm` instead: fetch its state
        for j in 0..K {
            let hit = arm.eq_mask(j as u32).zip(explore, |h, e| h & e);
            nk = V::select(hit, st.nn[j], nk);
            sk = V::select(hit, st.ss[j], sk);
            th = V::select(hit, V::splat(thr[j]), th);
        }
        bk = V::select(explore, arm, bk);
    }
    let (mut bn, mut mn, mut cn) = (V::<L>::splat(0), V::<L>::splat(0), V::<L>::splat(0));
    for l in 0..L {
        nk.0[l] += 1;
        sk.0[l] += (u.0[l] < th.0[l]) as u32;
        bn.0[l] = R::per_n(nk.0[l], tb);
        mn.0[l] = if R::Q == 28 { mean_f64::<28>(sk.0[l], nk.0[l]) } else { mean_f64::<24>(sk.0[l], nk.0[l]) };
        if R::TWO {
            cn.0[l] = R::per_arm2(nk.0[l], sk.0[l]);
        }
    }
    for j in 0..K {
        let hit = bk.eq_mask(j as u32);
        st.nn[j] = V::select(hit, nk, st.nn[j]);
        st.ss[j] = V::select(hit, sk, st.ss[j]);
        st.mq[j] = V::select(hit, mn, st.mq[j]);
        st.bb[j] = V::select(hit, bn, st.bb[j]);
        if R::TWO {
            st.cc[j] = V::select(hit, cn, st.cc[j]);
        }
    }
}

#[inline(always)]
fn lane_group<const K: usize, const L: usize, R: IndexRule>(
    kern: &FixedKernel,
    r0: u64,
    grid: &[u64],
    out: &mut [Trace],
) {
    let k = kern.k;
    let t_end = kern.horizon;
    let zero = [V::<L>::splat(0); K];
    let mut st = Lanes::<K, L> { mq: zero, bb: zero, cc: zero, nn: zero, ss: zero };
    let mut thr = [0u32; K];
    let mut full = [0u32; K];
    thr[..k].copy_from_slice(&kern.thr);
    full[..k].copy_from_slice(&kern.full);
    let ncp = grid.len();
    let mut c = 0;
    let mut v = [0.0; 3];
    let mut n = vec![0u32; k];
    let mut s = vec![0u32; k];
    let snapshot = |st: &Lanes<K, L>, l: usize, n: &mut [u32], s: &mut [u32]| {
        for j in 0..k {
            n[j] = st.nn[j].0[l];
            s[j] = st.ss[j].0[l];
        }
    };

    // The first K pulls are forced (arm m at step m): done per lane, with any checkpoints in them.
    let init = (k as u64).min(t_end);
    for l in 0..out.len() {
        let env = StreamId::new(kern.key, (r0 + l as u64) as u32, Role::Env);
        let mut cl = 0;
        for m in 0..init {
            let a = m as usize;
            st.nn[a].0[l] = 1;
            st.ss[a].0[l] = (env.word(m) < thr[a]) as u32 | full[a];
            st.mq[a].0[l] = mean_int(R::Q, st.ss[a].0[l], 1);
            st.bb[a].0[l] = kern.per_n(1);
            st.cc[a].0[l] = if R::TWO { R::per_arm2(1, st.ss[a].0[l]) } else { 0 };
            if cl < ncp && grid[cl] == m + 1 {
                snapshot(&st, l, &mut n, &mut s);
                kern.record(m + 1, &n, &s, &mut v);
                kern.put(&mut out[l], ncp, cl, &v);
                cl += 1;
            }
        }
        c = cl;
    }

    let (ta, tb) = (&kern.a[..], &kern.b[..]);
    let role = Role::Env.word();
    let mut m = init;
    while m < t_end {
        let blk = (m >> 2) as u32;
        let w = philox_lanes::<L>(blk, r0 as u32, role, kern.key);
        let stop = ((blk as u64 + 1) * 4).min(t_end);
        while m < stop {
            let a = if R::USES_A { ta[m as usize] } else { 0 };
            let a2 = if R::TWO { kern.a2[m as usize] } else { 0 };
            lane_step::<K, L, R>(&mut st, a, a2, w[(m & 3) as usize], &thr, tb, R::explore::<L>(kern, m, r0));
            m += 1;
            if c < ncp && grid[c] == m {
                for (l, tr) in out.iter_mut().enumerate() {
                    snapshot(&st, l, &mut n, &mut s);
                    kern.record(m, &n, &s, &mut v);
                    kern.put(tr, ncp, c, &v);
                }
                c += 1;
            }
        }
    }
    for (l, tr) in out.iter_mut().enumerate() {
        snapshot(&st, l, &mut n, &mut s);
        kern.record(t_end, &n, &s, &mut v);
        tr.finals.copy_from_slice(&v);
    }
}

/// Explore-then-commit for L replications. The exploration phase pulls the same arm in every
/// lane, so it is one vector update a step; after the commitment each lane adds to its own arm.
#[inline(always)]
fn etc_group<const K: usize, const L: usize>(kern: &FixedKernel, r0: u64, grid: &[u64], out: &mut [Trace]) {
    let FixedRule::Etc { m: m_each } = kern.rule else { unreachable!("etc_group runs only the Etc rule") };
    let k = kern.k;
    let t_end = kern.horizon;
    let explore = (m_each * k as u64).min(t_end);
    let mut thr = [0u32; K];
    thr[..k].copy_from_slice(&kern.thr);
    let zero = [V::<L>::splat(0); K];
    let (mut nn, mut ss) = (zero, zero);
    // after the commitment: each lane's arm, its threshold, and the pulls and rewards since
    let (mut arm, mut th, mut en, mut es) = (V::<L>::splat(0), V::<L>::splat(0), V::<L>::splat(0), V::<L>::splat(0));
    let ncp = grid.len();
    let mut c = 0;
    let mut v = [0.0; 3];
    let (mut n, mut s) = (vec![0u32; k], vec![0u32; k]);
    let role = Role::Env.word();
    let mut w = philox_lanes::<L>(0, r0 as u32, role, kern.key);
    for m in 0..t_end {
        if m & 3 == 0 && m > 0 {
            w = philox_lanes::<L>((m >> 2) as u32, r0 as u32, role, kern.key);
        }
        let u = w[(m & 3) as usize];
        if m < explore {
            let a = (m % k as u64) as usize;
            let t = thr[a];
            nn[a] = nn[a].zip(V::splat(1), |x, y| x + y);
            ss[a] = ss[a].zip(u, |x, w| x + (w < t) as u32);
        } else {
            if m == explore {
                // all arms have n = m_each: the largest sum is the largest mean; ties lowest
                let mut best = ss[0];
                for j in 1..k {
                    let gt = ss[j].zip(best, |x, b| if x > b { u32::MAX } else { 0 });
                    best = V::select(gt, ss[j], best);
                    arm = V::select(gt, V::splat(j as u32), arm);
                    th = V::select(gt, V::splat(thr[j]), th);
                }
                th = V::select(arm.eq_mask(0), V::splat(thr[0]), th);
            }
            en = en.zip(V::splat(1), |x, y| x + y);
            es = es.zip(u.zip(th, |w, t| (w < t) as u32), |x, r| x + r);
        }
        if c < ncp && grid[c] == m + 1 {
            for (l, tr) in out.iter_mut().enumerate() {
                for j in 0..k {
                    let mine = m >= explore && arm.0[l] == j as u32;
                    n[j] = nn[j].0[l] + if mine { en.0[l] } else { 0 };
                    s[j] = ss[j].0[l] + if mine { es.0[l] } else { 0 };
                }
                kern.record(m + 1, &n, &s, &mut v);
                kern.put(tr, ncp, c, &v);
            }
            c += 1;
        }
    }
    for (l, tr) in out.iter_mut().enumerate() {
        for j in 0..k {
            let mine = t_end > explore && arm.0[l] == j as u32;
            n[j] = nn[j].0[l] + if mine { en.0[l] } else { 0 };
            s[j] = ss[j].0[l] + if mine { es.0[l] } else { 0 };
        }
        kern.record(t_end, &n, &s, &mut v);
        tr.finals.copy_from_slice(&v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::default_grid;
    use crate::rng::cell_key;

    fn run_both(means: &[f64], t: u64, rule: FixedRule, reps: usize, seed: u64) {
        let arms: Vec<Arm> = means.iter().map(|&p| Arm::Bernoulli { p }).collect();
        let kern = FixedKernel::new(&arms, t, rule, cell_key(seed, 1));
        let grid = default_grid(t);
        let mut a = vec![Trace::new(3, grid.len()); reps];
        let mut b = a.clone();
        kern.run_scalar(5, &grid, &mut a);
        kern.run_block(KernelChoice::Auto, 5, &grid, &mut b);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.values, y.values);
            assert_eq!(x.finals, y.finals);
        }
        // and a lane width no dispatch uses (4) agrees too (lanes take no arm of mean 1)
        if kern.full.iter().any(|&f| f != 0) {
            return;
        }
        let mut c = vec![Trace::new(3, grid.len()); reps];
        match rule {
            FixedRule::Ucb1 { .. } => lanes::<64, 4, Ucb1Rule>(&kern, 5, &grid, &mut c),
            FixedRule::Moss => lanes::<64, 4, MossRule>(&kern, 5, &grid, &mut c),
            FixedRule::UcbV { .. } => lanes::<64, 4, UcbVRule>(&kern, 5, &grid, &mut c),
            FixedRule::Etc { .. } => lanes::<64, 4, EtcRule>(&kern, 5, &grid, &mut c),
            FixedRule::EpsGreedy { .. } => lanes::<64, 4, EpsRule>(&kern, 5, &grid, &mut c),
            FixedRule::KlUcb { .. } => lanes::<64, 4, KlUcbRule>(&kern, 5, &grid, &mut c),
            FixedRule::Thompson { .. } => return,
        }
        for (x, y) in a.iter().zip(&c) {
            assert_eq!(x.values, y.values);
            assert_eq!(x.finals, y.finals);
        }
    }

    #[test]
    fn lanes_equal_scalar_b1() {
        let b1 = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.85];
        run_both(&b1, 2000, FixedRule::Ucb1 { alpha: 2.0 }, 67, 1);
        run_both(&b1, 2000, FixedRule::Moss, 67, 2);
        run_both(&b1, 2000, FixedRule::UcbV { zeta: 1.2, c: 1.0, b: 1.0 }, 67, 2);
        run_both(&b1, 2000, FixedRule::Etc { m: 30 }, 67, 3);
        run_both(&b1, 300, FixedRule::Etc { m: 30 }, 67, 3); // commits at the horizon
        run_both(&b1, 2000, FixedRule::EpsGreedy { epsilon: Some(0.1), c: 0.0, d: 0.0, tag: 9 }, 67, 4);
        run_both(&b1, 2000, FixedRule::EpsGreedy { epsilon: None, c: 5.0, d: 0.1, tag: 9 }, 67, 5);
        run_both(&b1, 500, FixedRule::EpsGreedy { epsilon: Some(1.0), c: 0.0, d: 0.0, tag: 1 }, 35, 6);
        run_both(&b1, 2000, FixedRule::KlUcb { c: 0.0 }, 67, 7);
        run_both(&b1, 3000, FixedRule::KlUcb { c: 3.0 }, 40, 8);
    }

    #[test]
    fn lanes_equal_scalar_odd_shapes() {
        // ties, degenerate arms, K = 2 and K = 37, horizons shorter than K
        run_both(&[0.5, 0.5], 500, FixedRule::Ucb1 { alpha: 2.0 }, 40, 3);
        run_both(&[1.0, 0.0, 0.7], 300, FixedRule::Ucb1 { alpha: 0.5 }, 19, 4);
        let many: Vec<f64> = (0..37).map(|i| (i as f64 * 0.37) % 1.0).collect();
        run_both(&many, 700, FixedRule::Moss, 33, 5);
        run_both(&many, 20, FixedRule::Ucb1 { alpha: 2.0 }, 9, 6);
        run_both(&many, 700, FixedRule::Etc { m: 3 }, 33, 7);
        run_both(&[0.5, 0.5, 0.5], 90, FixedRule::Etc { m: 10 }, 41, 8); // all tied
        run_both(&[0.5, 0.5], 500, FixedRule::KlUcb { c: 0.0 }, 40, 9);
        run_both(&[0.0, 0.0, 0.01], 800, FixedRule::KlUcb { c: 0.0 }, 40, 10); // s = 0 almost always
        run_both(&[0.999, 0.99, 1.0], 800, FixedRule::KlUcb { c: 0.0 }, 40, 11); // s = n, and an arm of mean 1
        run_both(&many, 700, FixedRule::KlUcb { c: 3.0 }, 33, 12);
        run_both(&many, 20, FixedRule::KlUcb { c: 0.0 }, 9, 13);
    }

    #[test]
    fn every_path_records_finals_at_the_horizon_whatever_the_grid() {
        let arms: Vec<Arm> = [0.2, 0.6, 0.5].iter().map(|&p| Arm::Bernoulli { p }).collect();
        let grid = [5u64, 50]; // ends before the horizon
        for rule in [
            FixedRule::Ucb1 { alpha: 2.0 },
            FixedRule::UcbV { zeta: 1.2, c: 1.0, b: 1.0 },
            FixedRule::Etc { m: 10 },
            FixedRule::EpsGreedy { epsilon: Some(0.1), c: 0.0, d: 0.0, tag: 2 },
            FixedRule::KlUcb { c: 0.0 },
        ] {
            let kern = FixedKernel::new(&arms, 200, rule, [4, 5]);
            let mut a = vec![Trace::new(3, grid.len()); 40];
            kern.run_scalar(0, &grid, &mut a);
            for isa in Isa::available() {
                let mut b = vec![Trace::new(3, grid.len()); 40];
                kern.run_block_on(isa, 0, &grid, &mut b);
                for (x, y) in a.iter().zip(&b) {
                    assert_eq!(x.values, y.values, "{rule:?} {isa:?}");
                    assert_eq!(x.finals, y.finals, "{rule:?} {isa:?}");
                }
            }
            // and the finals are the horizon's: 200 pulls in total
            let opt = a[0].finals[2] * 200.0;
            assert!((opt - opt.round()).abs() < 1e-9);
        }
    }

    #[test]
    fn lane_philox_equals_scalar_philox() {
        for (blk, r0, role, key) in [
            (0u32, 0u32, 0u32, [0u32, 0u32]),
            (7, 1000, 0, [0xDEAD_BEEF, 12]),
            (u32::MAX, u32::MAX - 3, 5, [u32::MAX; 2]),
        ] {
            let w = philox_lanes::<8>(blk, r0, role, key);
            for l in 0..8 {
                let want = crate::rng::philox4x32_10([blk, r0.wrapping_add(l as u32), role, 0], key);
                assert_eq!([w[0].0[l], w[1].0[l], w[2].0[l], w[3].0[l]], want);
            }
        }
    }

    #[test]
    fn f64_mean_equals_integer_mean() {
        for n in (1..=20_000u32).chain((1u32 << 25) - 3000..(1 << 25)) {
            for s in [0, 1, n / 3, n / 2, n - 1, n, (n as u64 * 2 / 3) as u32, (n as u64 * 9 / 10) as u32] {
                assert_eq!(mean_f64::<28>(s, n), mean_q_int(s, n), "s={s} n={n}");
                assert_eq!(mean_f64::<24>(s, n), mean_int(24, s, n), "s={s} n={n}");
            }
        }
    }

    #[test]
    fn ucb1_b_hand_values() {
        // 2^32 / 1 = 2^32 is capped at the largest f32 below 2^32
        assert_eq!(ucb1_b(1), 4_294_967_040);
        assert_eq!(ucb1_b(4), 1 << 31);
        assert_eq!(ucb1_b(16), 1 << 30);
        // sqrt_f32(2) = 1.41421354 (f32 0x3FB504F3); 2^32 / it = 3037000448 after f32 rounding
        assert_eq!(ucb1_b(2), 3_037_000_448);
        // within 2^-23 relative of the exact value for every n
        for n in 1..100_000u32 {
            let exact = 4_294_967_296.0 / (n as f64).sqrt();
            assert!(((ucb1_b(n) as f64 - exact) / exact).abs() < 2.5e-7, "n={n}");
        }
    }
}
