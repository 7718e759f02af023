//! Gaussian arms on the fixed-point kernel: an integer standard normal from one Philox word,
//! fixed-point rewards and signed means, the scalar reference and the lane kernel.
//!
//! **Normal deviate.** The Env word w of a step gives Z(w) in Q8.24 by integer operations on a
//! host table (so a GPU twin computes the same bits):
//! - fold: v = w if w < 2^31, else 2^32 − 1 − w; G(v) ≈ −Φ⁻¹((v + ½) / 2^32) ≥ 0 and
//!   Z = −G(v) below 2^31, +G(v) above: Z(w) = −Z(2^32 − 1 − w) exactly, so the deviate is
//!   symmetric and has mean exactly 0 over the 2^32 words;
//! - v < 2^10: G(v) = D\[v\], the correctly placed quantile of that word, rounded to 2^-24;
//! - otherwise, with e = ⌊log₂ v⌋ (a leading-zero count) and sh = e − 10, v lies between the
//!   nodes (v >> sh) << sh and the next one; G is the node value plus ⌊Δ · frac / 2^sh⌋, a linear
//!   interpolation in i64 between nodes 2^-10 apart *relative to v*. Relative spacing keeps the
//!   interpolation error uniform in the tails: about (2^-10)² / (8 G) < 1e-6 (tested against
//!   Φ⁻¹ at 2^20 words, max error reported there).
//!
//! The deviate is therefore N(0, 1) quantised to 2^-24 and truncated at |Z| ≤ G(0) = 6.338 (the
//! extreme word's cell, of probability 2^-32, takes its midpoint's quantile; the mass beyond
//! 6.338 is Φ(−6.338) = 1.2e-10 a side), with quantile errors below 1e-6.
//!
//! **Rewards and means.** Arm k pays r = MU_k + ⌊SD_k Z / 2^24⌋ in Q12.20 (MU, SD =
//! round(μ 2^20), round(σ 2^20)); the sum S of an arm's rewards is an i64, its mean
//! mq = ⌊S / n⌋ (Q12.20, signed). Indices are signed Q12.20 stored with the sign bit flipped
//! (x ⊕ 2^31), so the unsigned comparisons and wrapping additions of the Bernoulli rules order
//! them correctly as long as mean + bonus < 2048 (validated by [`gaussian_support`]); UCB1's
//! bonus is mulhi(round(sqrt(α ln m) 2^20), B\[n\]) and MOSS's C\[n\] is scaled by 2^20.
//! ⌊S / n⌋ from one f64 division is exact while |S| < 2^53, which n max|r| < 2^33 guarantees.
//! Explore-then-commit commits to the largest mean (equal n, so the largest sum up to the floor;
//! exact ties of the floored means go to the lowest arm).

// Lane loops index several arrays with one counter on purpose: that is the shape LLVM vectorises.
#![allow(clippy::needless_range_loop)]

use std::sync::OnceLock;

use super::{FixedKernel, FixedRule, IndexRule, Trace, V, philox_lanes};
use crate::engine::Checkpoints;
use crate::rng::{Role, StreamId};
use crate::settings::bandit::arms::{Arm, std_normal_quantile};

/// Fraction bits of Gaussian rewards, sums, means and indices.
pub const GQ: u32 = 20;
/// Fraction bits of the normal deviate.
const ZQ: u32 = 24;
/// Mantissa bits of the quantile table's nodes.
const MB: u32 = 10;
/// An upper bound on the largest |Z| the deviate takes, −Φ⁻¹(2^-33) = 6.33796 (checked
/// against the table in the tests).
pub const Z_MAX: f64 = 6.338;
pub(super) const SIGN: u32 = 1 << 31;

/// The quantile table: D\[v\] for v < 2^10, then the nodes v = i 2^(e−10), i ∈ [2^10, 2^11),
/// e = 10 … 30, in order, then the node v = 2^31. Values are round(G(v) 2^24).
pub(super) fn table() -> &'static [i32] {
    static T: OnceLock<Vec<i32>> = OnceLock::new();
    T.get_or_init(|| {
        let g =
            |v: u64| (-std_normal_quantile((v as f64 + 0.5) / 4_294_967_296.0) * (1u64 << ZQ) as f64).round() as i32;
        let mut t: Vec<i32> = (0..1u64 << MB).map(g).collect();
        for e in MB..31 {
            for i in 1u64 << MB..1 << (MB + 1) {
                t.push(g(i << (e - MB)));
            }
        }
        t.push(g(1 << 31));
        t
    })
}

/// Z(w) in Q8.24: the reference definition.
#[inline(always)]
pub fn normal_q24(w: u32) -> i32 {
    normal_in(table(), w)
}

#[inline(always)]
fn normal_in(t: &[i32], w: u32) -> i32 {
    let up = w >= SIGN;
    let v = if up { !w } else { w };
    // Branch-free: below 2^10 the exponent is raised to 10, which makes sh = 0, i = v and
    // idx = v (the direct entries) with a zero interpolation term.
    let e = (31 - (v | 1).leading_zeros()).max(MB);
    let sh = e - MB;
    let i = v >> sh;
    let frac = (v & ((1 << sh) - 1)) as i64;
    let idx = ((e - MB) << MB) as usize + i as usize;
    // SAFETY: v < 2^31 gives e ≤ 30, and i < 2^11, so idx + 1 ≤ 20 · 2^10 + 2^11 = 22528, the
    // table's last index (it has 2^10 + 21 · 2^10 + 1 entries).
    let (a, b) = unsafe { (*t.get_unchecked(idx), *t.get_unchecked(idx + 1)) };
    let g = a + (((b - a) as i64 * frac) >> sh) as i32;
    if up { g } else { -g }
}

/// Per-arm reward constants in Q12.20.
#[derive(Clone, Debug)]
pub struct GaussArms {
    pub mu: Vec<i64>,
    pub sd: Vec<i64>,
}

impl GaussArms {
    pub fn new(arms: &[Arm]) -> Option<GaussArms> {
        let s = (1u64 << GQ) as f64;
        let mut g = GaussArms { mu: Vec::new(), sd: Vec::new() };
        for a in arms {
            let Arm::Gaussian { mean, sd } = *a else { return None };
            g.mu.push((mean * s).round() as i64);
            g.sd.push((sd * s).round() as i64);
        }
        Some(g)
    }

    /// The reward of arm k for deviate z (Q12.20).
    #[inline(always)]
    pub fn reward(&self, k: usize, z: i32) -> i64 {
        self.mu[k] + ((self.sd[k] * z as i64) >> ZQ)
    }
}

/// The largest |reward| the fixed-point arms can pay: max |μ| + 6.338 σ over Gaussian arms, 1
/// for Bernoulli ones.
pub fn max_abs_reward(arms: &[Arm]) -> f64 {
    arms.iter()
        .map(|a| match *a {
            Arm::Gaussian { mean, sd } => mean.abs() + Z_MAX * sd,
            _ => 1.0,
        })
        .fold(0.0, f64::max)
}

/// Why Gaussian arms cannot run on the fixed-point kernel at this horizon with this largest
/// index bonus: every index must stay below 2048 in Q12.20 and every sum below 2^53.
pub fn gaussian_support(arms: &[Arm], horizon: u64, bonus: f64) -> Result<(), String> {
    let top = max_abs_reward(arms);
    if top + bonus >= 2047.0 {
        return Err(format!(
            "the Q12.20 index overflows: max |μ| + {Z_MAX} σ + largest bonus = {:.1} must stay below 2047",
            top + bonus
        ));
    }
    if horizon as f64 * top >= (1u64 << 33) as f64 {
        return Err(format!(
            "reward sums could reach 2^53 in Q12.20: horizon × (max |μ| + {Z_MAX} σ) = {:.3e} must stay below 2^33",
            horizon as f64 * top
        ));
    }
    Ok(())
}

/// ⌊S / n⌋ with the sign bit flipped: the reference's integer definition.
#[inline(always)]
fn mean_int(s: i64, n: u32) -> u32 {
    (s.div_euclid(n as i64) as i32 as u32) ^ SIGN
}

/// ⌊S / n⌋ from one f64 division (exact for |S| < 2^53), sign bit flipped.
#[inline(always)]
fn mean_f64(s: i64, n: u32) -> u32 {
    let q = (s as f64 / n.max(1) as f64).floor().clamp(-2_147_483_648.0, 2_147_483_647.0);
    // SAFETY: q is finite (n ≥ 1) and clamped into i32's range.
    (unsafe { q.to_int_unchecked::<i32>() } as u32) ^ SIGN
}

/// The scalar reference for Gaussian arms: one replication at a time, integer division.
pub(super) fn run_scalar(kern: &FixedKernel, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
    let ga = kern.gauss.as_ref().expect("Gaussian arms");
    let k = kern.k;
    for (i, tr) in out.iter_mut().enumerate() {
        let rep = (first_rep + i as u64) as u32;
        let env = StreamId::new(kern.key, rep, Role::Env);
        let (mut n, mut s, mut mq, mut bb) = (vec![0u32; k], vec![0i64; k], vec![0u32; k], vec![0u32; k]);
        let mut blk = [0u32; 4];
        let mut cps = Checkpoints::new(grid);
        let mut v = [0.0; 3];
        let explore = match kern.rule {
            FixedRule::Etc { m } => m * k as u64,
            _ => k as u64,
        };
        let mut committed = None;
        for m in 0..kern.horizon {
            if m & 3 == 0 {
                blk = env.block(m >> 2);
            }
            let arm =
                kern.scalar_choice(m, rep, explore, &mut committed, |j| kern.index((mq[j], bb[j], 0), n[j], 0, m));
            n[arm] += 1;
            s[arm] += ga.reward(arm, normal_q24(blk[(m & 3) as usize]));
            mq[arm] = mean_int(s[arm], n[arm]);
            bb[arm] = kern.per_n(n[arm]);
            if let Some(c) = cps.hit(m + 1) {
                kern.record_total(m + 1, &n, total(&s), &mut v);
                tr.put(c, &v);
            }
        }
        kern.record_total(kern.horizon, &n, total(&s), &mut v);
        tr.finals.copy_from_slice(&v);
    }
}

/// Σ S_k as a real number (exact: |Σ| < 2^53).
fn total(s: &[i64]) -> f64 {
    real(s.iter().sum::<i64>())
}

/// A Q12.20 sum as a real number (exact below 2^53).
pub(super) fn real(sum: i64) -> f64 {
    sum as f64 / (1u64 << GQ) as f64
}

/// Z per lane (the same integers as [`normal_q24`]).
#[inline(always)]
fn normal_lanes<const L: usize>(t: &[i32], w: &V<L>) -> [i32; L] {
    let mut z = [0i32; L];
    for l in 0..L {
        z[l] = normal_in(t, w.0[l]);
    }
    z
}

/// Advances L replications of a Gaussian instance under rule R (an index rule, ε-greedy or
/// explore-then-commit).
#[inline(always)]
pub(super) fn group<const K: usize, const L: usize, R: IndexRule>(
    kern: &FixedKernel,
    r0: u64,
    grid: &[u64],
    out: &mut [Trace],
) {
    let ga = kern.gauss.as_ref().expect("Gaussian arms");
    let tz = table();
    let k = kern.k;
    let t_end = kern.horizon;
    let (mut mu, mut sd) = ([0i64; K], [0i64; K]);
    mu[..k].copy_from_slice(&ga.mu);
    sd[..k].copy_from_slice(&ga.sd);
    let zero = [V::<L>::splat(0); K];
    // Padded arms keep index 0 (the most negative value once the sign bit is flipped) and lose
    // every strict comparison against arm 0.
    let (mut nn, mut mq, mut bb) = (zero, zero, zero);
    let mut ss = [[0i64; L]; K];
    let explore_end = match kern.rule {
        FixedRule::Etc { m } => (m * k as u64).min(t_end),
        _ => (k as u64).min(t_end),
    };
    let etc = matches!(kern.rule, FixedRule::Etc { .. });
    let mut committed = V::<L>::splat(0);
    let mut cps = Checkpoints::new(grid);
    let mut v = [0.0; 3];
    let mut n = vec![0u32; k];
    let mut s = vec![0i64; k];
    let role = Role::Env.word();
    let tb = &kern.b[..];
    let mut m = 0;
    while m < t_end {
        let blk = (m >> 2) as u32;
        let w = philox_lanes::<L>(blk, r0 as u32, role, kern.key);
        let stop = ((blk as u64 + 1) * 4).min(t_end);
        while m < stop {
            let bk = if m < explore_end {
                V::splat((m % k as u64) as u32)
            } else if etc && m > explore_end {
                committed
            } else {
                let a = if R::USES_A { kern.a[m as usize] } else { 0 };
                let index = |j: usize| {
                    if R::USES_A {
                        mq[j].zip(bb[j].mulhi_by(a), |x, h| x.wrapping_add(h))
                    } else {
                        mq[j].zip(bb[j], |x, b| R::index(x, b, a))
                    }
                };
                let mut bv = index(0);
                let mut bk = V::<L>::splat(0);
                for j in 1..K {
                    let x = index(j);
                    let gt = x.zip(bv, |x, b| if x > b { u32::MAX } else { 0 });
                    bv = V::select(gt, x, bv);
                    bk = V::select(gt, V::splat(j as u32), bk);
                }
                if etc {
                    committed = bk;
                }
                match R::explore::<L>(kern, m, r0) {
                    Some((explore, arm)) => V::select(explore, arm, bk),
                    None => bk,
                }
            };
            let z = normal_lanes(tz, &w[(m & 3) as usize]);
            // the pulled arm's state (gathered), its new values (vector), and the write-back
            // (one store per lane and array: cheaper than K masked blends of i64 lanes)
            let (mut nk, mut sk, mut muk, mut sdk) = (V::<L>::splat(0), [0i64; L], [0i64; L], [0i64; L]);
            for l in 0..L {
                let a = bk.0[l] as usize;
                nk.0[l] = nn[a].0[l] + 1;
                sk[l] = ss[a][l];
                muk[l] = mu[a];
                sdk[l] = sd[a];
            }
            let (mut mn, mut bn) = (V::<L>::splat(0), V::<L>::splat(0));
            for l in 0..L {
                sk[l] += muk[l] + ((sdk[l] * z[l] as i64) >> ZQ);
                mn.0[l] = mean_f64(sk[l], nk.0[l]);
                bn.0[l] = R::per_n(nk.0[l], tb);
            }
            for l in 0..L {
                let a = bk.0[l] as usize;
                nn[a].0[l] = nk.0[l];
                ss[a][l] = sk[l];
                mq[a].0[l] = mn.0[l];
                bb[a].0[l] = bn.0[l];
            }
            m += 1;
            if let Some(c) = cps.hit(m) {
                for (l, tr) in out.iter_mut().enumerate() {
                    snapshot(&nn, &ss, l, &mut n, &mut s);
                    kern.record_total(m, &n, total(&s), &mut v);
                    tr.put(c, &v);
                }
            }
        }
    }
    for (l, tr) in out.iter_mut().enumerate() {
        snapshot(&nn, &ss, l, &mut n, &mut s);
        kern.record_total(t_end, &n, total(&s), &mut v);
        tr.finals.copy_from_slice(&v);
    }
}

fn snapshot<const K: usize, const L: usize>(
    nn: &[V<L>; K],
    ss: &[[i64; L]; K],
    l: usize,
    n: &mut [u32],
    s: &mut [i64],
) {
    for j in 0..n.len() {
        n[j] = nn[j].0[l];
        s[j] = ss[j][l];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_shape_and_extremes() {
        let t = table();
        assert_eq!(t.len(), (1 << MB) + 21 * (1 << MB) + 1);
        // the most extreme words give ±G(0) = Φ⁻¹(2^-33) = −6.337958, and the fold is exact
        let g0 = normal_q24(0) as f64 / (1u64 << ZQ) as f64;
        assert!((g0 + 6.337958).abs() < 1e-6 && -g0 < Z_MAX, "{g0}");
        for w in [0u32, 1, 1023, 1024, 1025, 123_456_789, 1 << 30, (1 << 31) - 1] {
            assert_eq!(normal_q24(w), -normal_q24(!w), "word {w}");
        }
        // monotone in the word
        let mut prev = normal_q24(0);
        for w in (0..=u32::MAX).step_by(4099) {
            let z = normal_q24(w);
            assert!(z >= prev, "{w}");
            prev = z;
        }
    }

    #[test]
    fn deviate_is_within_1e6_of_the_exact_quantile() {
        let mut worst = 0.0f64;
        for i in 0..1u64 << 20 {
            // every 4096th word, plus the first 2^12 words (the far tail) exactly
            let w = if i < 4096 { i as u32 } else { (i << 12) as u32 };
            let exact = std_normal_quantile((w as f64 + 0.5) / 4_294_967_296.0);
            let got = normal_q24(w) as f64 / (1u64 << ZQ) as f64;
            worst = worst.max((got - exact).abs());
        }
        assert!(worst < 1e-6, "max |Z − Φ⁻¹| = {worst:e}");
    }

    #[test]
    fn rewards_and_means_hand_computed() {
        let ga = GaussArms::new(&[Arm::Gaussian { mean: 0.5, sd: 2.0 }]).unwrap();
        // z = 1 (2^24): 0.5 + 2 = 2.5 in Q20
        assert_eq!(ga.reward(0, 1 << 24), (5 << 20) / 2);
        // floor of negative means, sign bit flipped
        assert_eq!(mean_int(-7, 2), (-4i32 as u32) ^ SIGN);
        assert_eq!(mean_f64(-7, 2), mean_int(-7, 2));
        assert_eq!(mean_f64(-6, 3), mean_int(-6, 3));
        assert_eq!(mean_f64(7, 2), 3 ^ SIGN);
    }

    #[test]
    fn support_is_refused_outside_the_ranges() {
        let arms = [Arm::Gaussian { mean: 0.0, sd: 1.0 }, Arm::Gaussian { mean: 2040.0, sd: 1.0 }];
        assert!(gaussian_support(&arms, 1000, 5.0).unwrap_err().contains("2047"));
        let arms = [Arm::Gaussian { mean: 1000.0, sd: 10.0 }];
        assert!(gaussian_support(&arms, 1 << 24, 5.0).unwrap_err().contains("2^33"));
        assert!(gaussian_support(&arms, 1 << 20, 5.0).is_ok());
    }
}
