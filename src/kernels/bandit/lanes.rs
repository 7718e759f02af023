//! The lane kernel: L replications in lock-step over struct-of-arrays state.

use super::{FixedKernel, FixedRule, IndexRule, mean_f64, mean_int};
use crate::engine::{Checkpoints, Trace};
use crate::rng::{Role, StreamId};

/// L lanes of u32: one value per replication. Every operation is a loop over a fixed-size
/// array with a branch-free body, which LLVM's SLP vectoriser turns into whole-register
/// instructions for the width the enclosing function was compiled for. (A single lane loop
/// around the whole step is not vectorised once AVX-512 is enabled: the cost model declines.)
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(crate) struct V<const L: usize>(pub(crate) [u32; L]);

impl<const L: usize> V<L> {
    #[inline(always)]
    pub(super) fn splat(x: u32) -> Self {
        V([x; L])
    }
    #[inline(always)]
    pub(super) fn zip(self, o: Self, f: impl Fn(u32, u32) -> u32) -> Self {
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
    pub(super) fn mulhi_by(self, a: u32) -> Self {
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
    pub(super) fn eq_mask(self, x: u32) -> Self {
        self.zip(Self::splat(x), |a, b| if a == b { u32::MAX } else { 0 })
    }
    /// `a` where the mask is set, else `b`.
    #[inline(always)]
    pub(super) fn select(m: Self, a: Self, b: Self) -> Self {
        let mut r = [0; L];
        for l in 0..L {
            r[l] = (a.0[l] & m.0[l]) | (b.0[l] & !m.0[l]);
        }
        V(r)
    }
}

/// Struct-of-arrays state of L replications, arms padded to K (padded arms have index 0 and
/// lose every strict comparison against arm 0, so they are never pulled).
pub(super) struct Lanes<const K: usize, const L: usize> {
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
pub(super) fn philox_lanes<const L: usize>(blk: u32, r0: u32, role: u32, key: [u32; 2]) -> [V<L>; 4] {
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
pub(super) fn lanes<const K: usize, const L: usize, R: IndexRule>(
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
pub(super) fn lane_index<const K: usize, const L: usize, R: IndexRule>(
    st: &Lanes<K, L>,
    j: usize,
    a: u32,
    a2: u32,
) -> V<L> {
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
pub(super) fn lane_step<const K: usize, const L: usize, R: IndexRule>(
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
pub(super) fn lane_group<const K: usize, const L: usize, R: IndexRule>(
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
    let mut cps = Checkpoints::new(grid);
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
        let mut cl = Checkpoints::new(grid);
        for m in 0..init {
            let a = m as usize;
            st.nn[a].0[l] = 1;
            st.ss[a].0[l] = (env.word(m) < thr[a]) as u32 | full[a];
            st.mq[a].0[l] = mean_int(R::Q, st.ss[a].0[l], 1);
            st.bb[a].0[l] = kern.per_n(1);
            st.cc[a].0[l] = if R::TWO { R::per_arm2(1, st.ss[a].0[l]) } else { 0 };
            if let Some(c) = cl.hit(m + 1) {
                snapshot(&st, l, &mut n, &mut s);
                kern.record(m + 1, &n, &s, &mut v);
                out[l].put(c, &v);
            }
        }
        cps = cl;
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
            if let Some(c) = cps.hit(m) {
                for (l, tr) in out.iter_mut().enumerate() {
                    snapshot(&st, l, &mut n, &mut s);
                    kern.record(m, &n, &s, &mut v);
                    tr.put(c, &v);
                }
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
pub(super) fn etc_group<const K: usize, const L: usize>(kern: &FixedKernel, r0: u64, grid: &[u64], out: &mut [Trace]) {
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
    let mut cps = Checkpoints::new(grid);
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
        if let Some(c) = cps.hit(m + 1) {
            for (l, tr) in out.iter_mut().enumerate() {
                for j in 0..k {
                    let mine = m >= explore && arm.0[l] == j as u32;
                    n[j] = nn[j].0[l] + if mine { en.0[l] } else { 0 };
                    s[j] = ss[j].0[l] + if mine { es.0[l] } else { 0 };
                }
                kern.record(m + 1, &n, &s, &mut v);
                tr.put(c, &v);
            }
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
