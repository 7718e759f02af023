//! Fixed-point KL-UCB (Garivier & Cappé 2011, Algorithm 1) for the batched kernel: an exact
//! integer definition of the index, its scalar reference, and the lane kernel.
//!
//! **Definition.** With B = 16 grid bits and F = 32 fraction bits, host tables
//! `LN[j] = round(ln(j / 2^B) 2^F)` (1 ≤ j ≤ 2^B), `XL[x] = round(x ln x 2^F)` (x ≤ T) and
//! `LEV[m] = round((ln m + c ln ln m) 2^F)` (the c term only once ln m > 1, as on the f64 path),
//! the scaled divergence of an arm with n pulls and s successes at grid point j is
//!
//! `g(j) = XL[s] + XL[n − s] − XL[n] − s LN[j] − (n − s) LN[2^B − j]`  (≈ n kl(s/n, j/2^B) 2^F),
//!
//! evaluated exactly in i64, and the index is
//!
//! `I = 2^B` if s = n, else `max{ j ∈ [j0, 2^B) : j = j0 or g(j) ≤ LEV[m] }`, j0 = ⌊s 2^B / n⌋.
//!
//! **Why the max is well defined and cheap.** For j ≥ j0 + 1 the exact n kl(p̂, q) grows by at
//! least 2n 2^-2B between neighbouring grid points (its derivative is n (q − p̂) / (q (1 − q))
//! ≥ 4n (q − p̂)), and the tables' rounding moves a difference by at most n 2^-F. With
//! F = 2B the computed g is therefore strictly increasing on [j0 + 1, 2^B): the feasible set is
//! an interval, binary search finds its end, and the index as a function of the level is a
//! step function whose steps are g's values. The lane kernel caches, per arm and lane, the
//! interval of levels [g(I), g(I + 1)) on which the index stays I and walks up when the level
//! leaves it; the scalar reference recomputes every index from scratch. Both give the same bits.
//!
//! **Range.** |s LN| + |(n − s) LN| ≤ n · 11.1 · 2^32 and XL\[n\] ≤ 2.5e18 for n < 2^25, so
//! every term fits in i64 for the kernel's horizons (< 2^25, checked by `fixed_support`).
//!
//! **Tolerance against the real-valued bound** (the f64 path's [`kl_ucb_bound`]): the index
//! I / 2^B lies in [bound − 2^-16 − 1e-7, bound + 1e-7] (the grid, plus table rounding below
//! n 2^-32 nats; tested). Arms whose bounds are within one grid step tie, and ties go to the
//! lowest arm.
//!
//! [`kl_ucb_bound`]: crate::settings::bandit::policies::kl_ucb_bound

// Lane loops index several arrays with one counter on purpose: that is the shape LLVM vectorises.
#![allow(clippy::needless_range_loop)]

use super::{FixedKernel, V, mean_f64, philox_lanes};
use crate::engine::{Checkpoints, Trace};
use crate::rng::{Role, StreamId};

/// Grid bits of the index.
pub const B: u32 = 16;
const TOP: u32 = 1 << B;
/// Fraction bits of the divergence, the level and the tables (F = 2B: see the module comment).
const F: i32 = 32;

/// The host tables of one (horizon, c).
#[derive(Clone, Debug)]
pub struct KlTables {
    /// LN\[j\] = round(ln(j / 2^B) 2^F) for 1 ≤ j ≤ 2^B; LN\[0\] is never read in a decision.
    ln: Vec<i64>,
    /// XL\[x\] = round(x ln x 2^F) for 0 ≤ x ≤ T (0 ln 0 = 0).
    xl: Vec<i64>,
    /// LEV\[m\] = round((ln m + c ln ln m) 2^F), 0 for m < 2 (those steps are forced pulls).
    lev: Vec<i64>,
}

impl KlTables {
    pub fn new(horizon: u64, c: f64) -> KlTables {
        let scale = (1u64 << F) as f64;
        let ln = (0..=TOP as usize)
            .map(|j| if j == 0 { 0 } else { ((j as f64 / TOP as f64).ln() * scale).round() as i64 })
            .collect();
        let xl = (0..=horizon as usize)
            .map(|x| if x < 2 { 0 } else { (x as f64 * (x as f64).ln() * scale).round() as i64 })
            .collect();
        let lev = (0..horizon as usize)
            .map(|m| {
                if m < 2 {
                    return 0;
                }
                let lt = (m as f64).ln();
                let level = lt + if lt > 1.0 { c * lt.ln() } else { 0.0 };
                (level * scale).round() as i64
            })
            .collect();
        KlTables { ln, xl, lev }
    }

    /// LN, XL and LEV, for the GPU kernel's upload.
    #[cfg_attr(not(feature = "gpu"), allow(dead_code))]
    pub(super) fn tables(&self) -> (&[i64], &[i64], &[i64]) {
        (&self.ln, &self.xl, &self.lev)
    }

    /// The level of step m (0-based).
    #[inline(always)]
    pub fn level(&self, m: u64) -> i64 {
        self.lev[m as usize]
    }

    /// XL\[s\] + XL\[n − s\] − XL\[n\]: the j-free part of g.
    #[inline(always)]
    fn constant(&self, n: u32, s: u32) -> i64 {
        self.xl[s as usize] + self.xl[(n - s) as usize] - self.xl[n as usize]
    }

    /// g(j) for 1 ≤ j < 2^B (see the module comment).
    #[inline(always)]
    fn g(&self, cst: i64, n: u32, s: u32, j: u32) -> i64 {
        cst - s as i64 * self.ln[j as usize] - (n - s) as i64 * self.ln[(TOP - j) as usize]
    }

    /// The index I of an arm with n ≥ 1 pulls and s successes at level `lev`: the reference,
    /// by binary search from scratch.
    pub fn index(&self, n: u32, s: u32, lev: i64) -> u32 {
        if s == n {
            return TOP;
        }
        let cst = self.constant(n, s);
        let mut lo = (((s as u64) << B) / n as u64) as u32;
        for b in (0..B).rev() {
            let c = lo + (1 << b);
            if c < TOP && self.g(cst, n, s, c) <= lev {
                lo = c;
            }
        }
        lo
    }
}

/// i64 lanes.
type W<const L: usize> = [i64; L];

/// Per-lane search state of one arm: index, the constant of g, and the level interval on
/// which the index holds.
#[derive(Clone, Copy)]
struct Cache<const L: usize> {
    idx: V<L>,
    cst: W<L>,
    lo: W<L>,
    hi: W<L>,
}

/// g at grid point j per lane, j clamped into [1, 2^B − 1] for the table reads (lanes whose
/// j is outside are masked by the caller).
#[inline(always)]
fn g_lanes<const L: usize>(t: &KlTables, cst: &W<L>, n: &V<L>, s: &V<L>, j: &V<L>) -> W<L> {
    let mut r = [0i64; L];
    let top = (TOP - 1) as usize;
    for l in 0..L {
        let jj = (j.0[l] as usize).clamp(1, top);
        // SAFETY: 1 ≤ jj ≤ 2^B − 1, so jj and 2^B − jj are within LN's 2^B + 1 entries.
        let (a, b) = unsafe { (*t.ln.get_unchecked(jj), *t.ln.get_unchecked(TOP as usize - jj)) };
        r[l] = cst[l] - s.0[l] as i64 * a - n.0[l].wrapping_sub(s.0[l]) as i64 * b;
    }
    r
}

/// The index of every lane by binary search (the reference's procedure), with its cache.
#[inline(always)]
fn search<const L: usize>(t: &KlTables, n: &V<L>, s: &V<L>, lev: i64) -> Cache<L> {
    let mut cst = [0i64; L];
    let mut lo = V::<L>([0; L]);
    for l in 0..L {
        let (nl, sl) = (n.0[l] as usize, s.0[l] as usize);
        // SAFETY: s ≤ n ≤ horizon, and XL has horizon + 1 entries.
        cst[l] = unsafe { *t.xl.get_unchecked(sl) + *t.xl.get_unchecked(nl - sl) - *t.xl.get_unchecked(nl) };
        lo.0[l] = mean_f64::<B>(s.0[l], n.0[l]);
    }
    let j0 = lo;
    for b in (0..B).rev() {
        let c = lo.zip(V::splat(1 << b), |x, y| x + y);
        let gc = g_lanes(t, &cst, n, s, &c);
        for l in 0..L {
            if c.0[l] < TOP && gc[l] <= lev {
                lo.0[l] = c.0[l];
            }
        }
    }
    let below = g_lanes(t, &cst, n, s, &lo);
    let next = g_lanes(t, &cst, n, s, &lo.zip(V::splat(1), |x, y| x + y));
    let mut out = Cache { idx: lo, cst, lo: [i64::MIN; L], hi: [i64::MAX; L] };
    for l in 0..L {
        if s.0[l] == n.0[l] {
            out.idx.0[l] = TOP;
            continue;
        }
        if lo.0[l] != j0.0[l] {
            out.lo[l] = below[l];
        }
        if lo.0[l] + 1 < TOP {
            out.hi[l] = next[l];
        }
    }
    out
}

/// Brings one arm's cached indices to level `lev`: lanes above their interval walk up one grid
/// point at a time (the level grows slowly, so this is rarely more than one step); a level
/// below the interval (never for c ≥ 0, whose levels do not decrease) recomputes the arm.
#[inline(always)]
fn refresh<const L: usize>(t: &KlTables, c: &mut Cache<L>, n: &V<L>, s: &V<L>, lev: i64) {
    if c.lo.iter().any(|&x| lev < x) {
        *c = search(t, n, s, lev);
        return;
    }
    while c.hi.iter().any(|&x| lev >= x) {
        let up = c.idx.zip(V::splat(1), |x, y| x + y);
        let next = g_lanes(t, &c.cst, n, s, &up.zip(V::splat(1), |x, y| x + y));
        for l in 0..L {
            if lev >= c.hi[l] {
                c.idx.0[l] = up.0[l];
                c.lo[l] = c.hi[l];
                c.hi[l] = if up.0[l] + 1 < TOP { next[l] } else { i64::MAX };
            }
        }
    }
}

/// Advances a group of L replications over the horizon: the `IndexRule::group` of KL-UCB.
#[inline(always)]
pub(super) fn group<const K: usize, const L: usize>(kern: &FixedKernel, r0: u64, grid: &[u64], out: &mut [Trace]) {
    let t = kern.kl.as_ref().expect("the KL-UCB rule builds its tables");
    let k = kern.k;
    let t_end = kern.horizon;
    let mut thr = [0u32; K];
    thr[..k].copy_from_slice(&kern.thr);
    let zero = [V::<L>::splat(0); K];
    let (mut nn, mut ss) = (zero, zero);
    // Padded arms: index 0 and an interval that never needs a walk, so they never win.
    let idle = Cache { idx: V::splat(0), cst: [0; L], lo: [i64::MIN; L], hi: [i64::MAX; L] };
    let mut cache = [idle; K];
    let mut cps = Checkpoints::new(grid);
    let mut v = [0.0; 3];
    let (mut n, mut s) = (vec![0u32; k], vec![0u32; k]);
    let snapshot = |nn: &[V<L>; K], ss: &[V<L>; K], l: usize, n: &mut [u32], s: &mut [u32]| {
        for j in 0..k {
            n[j] = nn[j].0[l];
            s[j] = ss[j].0[l];
        }
    };
    // The forced first pulls, per lane, with any checkpoints in them.
    let init = (k as u64).min(t_end);
    for l in 0..out.len() {
        let env = StreamId::new(kern.key, (r0 + l as u64) as u32, Role::Env);
        let mut cl = Checkpoints::new(grid);
        for m in 0..init {
            let a = m as usize;
            nn[a].0[l] = 1;
            ss[a].0[l] = (env.word(m) < thr[a]) as u32 | kern.full[a];
            if let Some(c) = cl.hit(m + 1) {
                snapshot(&nn, &ss, l, &mut n, &mut s);
                kern.record(m + 1, &n, &s, &mut v);
                out[l].put(c, &v);
            }
        }
        cps = cl;
    }
    if init < t_end {
        for a in 0..k {
            cache[a] = search(t, &nn[a], &ss[a], t.level(init));
        }
    }
    let role = Role::Env.word();
    let mut m = init;
    while m < t_end {
        let blk = (m >> 2) as u32;
        let w = philox_lanes::<L>(blk, r0 as u32, role, kern.key);
        let stop = ((blk as u64 + 1) * 4).min(t_end);
        while m < stop {
            let lev = t.level(m);
            for a in 0..k {
                refresh(t, &mut cache[a], &nn[a], &ss[a], lev);
            }
            // argmax, ties to the lowest arm; the winner's n, s and threshold ride along
            let mut bv = cache[0].idx;
            let mut bk = V::<L>::splat(0);
            let (mut nk, mut sk, mut th) = (nn[0], ss[0], V::<L>::splat(thr[0]));
            for j in 1..K {
                let x = cache[j].idx;
                let gt = x.zip(bv, |x, b| if x > b { u32::MAX } else { 0 });
                bv = V::select(gt, x, bv);
                bk = V::select(gt, V::splat(j as u32), bk);
                nk = V::select(gt, nn[j], nk);
                sk = V::select(gt, ss[j], sk);
                th = V::select(gt, V::splat(thr[j]), th);
            }
            let u = w[(m & 3) as usize];
            for l in 0..L {
                nk.0[l] += 1;
                sk.0[l] += (u.0[l] < th.0[l]) as u32;
            }
            // the pulled arm's new index, at the next step's level (fewer walks)
            let fresh = search(t, &nk, &sk, t.level((m + 1).min(t_end - 1)));
            for j in 0..K {
                let hit = bk.eq_mask(j as u32);
                nn[j] = V::select(hit, nk, nn[j]);
                ss[j] = V::select(hit, sk, ss[j]);
                cache[j].idx = V::select(hit, fresh.idx, cache[j].idx);
                for l in 0..L {
                    if hit.0[l] != 0 {
                        cache[j].cst[l] = fresh.cst[l];
                        cache[j].lo[l] = fresh.lo[l];
                        cache[j].hi[l] = fresh.hi[l];
                    }
                }
            }
            m += 1;
            if let Some(c) = cps.hit(m) {
                for (l, tr) in out.iter_mut().enumerate() {
                    snapshot(&nn, &ss, l, &mut n, &mut s);
                    kern.record(m, &n, &s, &mut v);
                    tr.put(c, &v);
                }
            }
        }
    }
    for (l, tr) in out.iter_mut().enumerate() {
        snapshot(&nn, &ss, l, &mut n, &mut s);
        kern.record(t_end, &n, &s, &mut v);
        tr.finals.copy_from_slice(&v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::bandit::policies::kl_ucb_bound;
    use proptest::prelude::*;

    fn level(m: u64, c: f64) -> f64 {
        let lt = (m as f64).ln();
        lt + if lt > 1.0 { c * lt.ln() } else { 0.0 }
    }

    #[test]
    fn hand_computed_index() {
        // n = 4, s = 2 at m = 100, c = 0: 4 kl(1/2, q) = ln 100 ⇔ −ln 2 − ½ ln(q(1 − q)) = ¼ ln 100
        // ⇔ q(1 − q) = 1/40, so the bound is (1 + √0.9) / 2 = 0.974341…
        let t = KlTables::new(200, 0.0);
        let i = t.index(4, 2, t.level(100));
        let exact = (1.0 + 0.9f64.sqrt()) / 2.0;
        assert!((kl_ucb_bound(0.5, 4.0, (100f64).ln()) - exact).abs() < 1e-12);
        assert!(i as f64 / 65536.0 <= exact && i as f64 / 65536.0 > exact - 1.0 / 65536.0, "{i}");
        // all successes: the index is 1
        assert_eq!(t.index(7, 7, t.level(50)), 1 << B);
    }

    #[test]
    fn g_is_strictly_increasing_above_j0() {
        // the property the lane cache rests on, at the extremes of n and p̂
        let t = KlTables::new(1 << 22, 0.0);
        for (n, s) in [
            (1u32, 0u32),
            (2, 1),
            (1000, 1),
            (1000, 999),
            (1 << 22, 3),
            (1 << 22, 1 << 21),
            ((1 << 22) - 1, (1 << 22) - 2),
        ] {
            let cst = t.constant(n, s);
            let j0 = (((s as u64) << B) / n as u64) as u32;
            let mut prev = t.g(cst, n, s, j0 + 1);
            for j in j0 + 2..TOP {
                let x = t.g(cst, n, s, j);
                assert!(x > prev, "n {n} s {s} j {j}");
                prev = x;
            }
        }
    }

    /// Tables for n up to 2·10^6, built once (the level is set per case).
    fn big() -> &'static KlTables {
        static T: std::sync::OnceLock<KlTables> = std::sync::OnceLock::new();
        T.get_or_init(|| KlTables::new(2_000_000, 0.0))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn index_is_within_one_grid_step_below_the_exact_bound(n in 1u32..2_000_000, frac in 0.0f64..1.0, m in 2u64..4_000_000, c in prop_oneof![Just(0.0), Just(3.0)]) {
            let s = ((n as f64 * frac) as u32).min(n);
            let lev = (level(m, c) * (1u64 << F) as f64).round() as i64;
            let i = big().index(n, s, lev) as f64 / TOP as f64;
            let exact = kl_ucb_bound(s as f64 / n as f64, n as f64, level(m, c));
            prop_assert!(i <= exact + 1e-7 && i >= exact - 1.0 / TOP as f64 - 1e-7, "n {} s {} m {}: {} vs {}", n, s, m, i, exact);
        }

        #[test]
        fn cached_walk_equals_search_from_scratch(n in 1u32..5000, frac in 0.0f64..1.0, m in 2u64..100_000, steps in 1u64..5000) {
            let s = ((n as f64 * frac) as u32).min(n);
            let t = KlTables::new(200_000, 3.0);
            let (nv, sv) = (V::<4>::splat(n), V::<4>::splat(s));
            let mut c = search(&t, &nv, &sv, t.level(m));
            for mm in [m + steps / 3, m + steps, m + 2 * steps] {
                refresh(&t, &mut c, &nv, &sv, t.level(mm));
                prop_assert_eq!(c.idx.0[0], t.index(n, s, t.level(mm)));
            }
        }
    }
}
