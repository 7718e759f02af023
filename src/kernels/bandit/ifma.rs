//! Hand-written AVX-512 IFMA lane kernel for fixed-point UCB1 on horizons below 2^14: the
//! sort-key formulation. It computes exactly the integers of `FixedKernel::run_scalar`.
//!
//! Per arm k and lane, one u64 holds `(15 − k) << 60 | (n << 14 | s) << 32 | mq`. One IFMA
//! instruction adds the bonus mulhi(A\[m\], B\[n\]) to the low half (A << 20 times B, high 52 bits
//! of the product = ⌊A B / 2^32⌋ exactly; the index stays below 2^32, validated), a 32-bit
//! rotation moves the index to the top, and an unsigned max over the K keys yields the largest
//! index, ties to the lowest arm (largest 15 − k), with the winner's arm, n and s carried along:
//! no compare-and-blend chain. 14 bits each for n and s limit this packing to T < 2^14; longer
//! horizons use the auto-vectorised lanes.

use std::arch::x86_64::*;

use super::{FixedKernel, V, philox_lanes};
use crate::engine::{Checkpoints, Trace};
use crate::rng::{Role, StreamId};

/// Horizons this packing supports (n and s in 14 bits).
pub const MAX_T: u64 = 1 << 14;
/// Arms this packing supports (15 − k in 4 bits).
pub const MAX_K: usize = 16;
/// Groups of 8 lanes advanced together, so that one group's latency hides under another's work.
const G: usize = 4;
const L: usize = 8 * G;

/// Runs `out.len()` replications from `first_rep`.
///
/// # Safety
/// The CPU must support AVX-512 F, DQ, VL, BW and IFMA (the caller checks
/// `is_x86_feature_detected!` for each), `kern.rule` must be UCB1, K ≤ `K` ≤ 16, every arm's
/// mean below 1, and `kern.horizon < MAX_T`.
#[target_feature(enable = "avx512f,avx512ifma,avx512dq,avx512vl,avx512bw,avx2,fma")]
pub(super) unsafe fn run<const K: usize>(kern: &FixedKernel, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
    for (g, chunk) in out.chunks_mut(L).enumerate() {
        group::<K>(kern, first_rep + (g * L) as u64, grid, chunk);
    }
}

/// One group of L replications. Compiled with the same features as `run`, so the compiler
/// checks that it is only called where they are available.
#[target_feature(enable = "avx512f,avx512ifma,avx512dq,avx512vl,avx512bw,avx2,fma")]
fn group<const K: usize>(kern: &FixedKernel, r0: u64, grid: &[u64], out: &mut [Trace]) {
    let k = kern.k;
    let t_end = kern.horizon;
    // The forced first pulls, per lane and in scalar, as in the other kernels.
    let init = (k as u64).min(t_end);
    let mut acc0 = [[0u64; L]; K];
    let mut bb0 = [[0u64; L]; K];
    let (mut n, mut s) = (vec![0u32; k], vec![0u32; k]);
    let mut v = [0.0; 3];
    let mut cps = Checkpoints::new(grid);
    for l in 0..out.len() {
        let env = StreamId::new(kern.key, (r0 + l as u64) as u32, Role::Env);
        let mut cl = Checkpoints::new(grid);
        n.iter_mut().for_each(|x| *x = 0);
        s.iter_mut().for_each(|x| *x = 0);
        for m in 0..init {
            let a = m as usize;
            n[a] = 1;
            s[a] = (env.word(m) < kern.thr[a]) as u32;
            if let Some(c) = cl.hit(m + 1) {
                kern.record(m + 1, &n, &s, &mut v);
                out[l].put(c, &v);
            }
        }
        for j in 0..k {
            acc0[j][l] =
                pack(j, n[j] as u64, s[j] as u64, super::mean_q_int(s[j], n[j].max(1)) as u64 * (n[j] > 0) as u64);
            bb0[j][l] = if n[j] > 0 { super::ucb1_b(n[j]) as u64 } else { 0 };
        }
        cps = cl;
    }
    // SAFETY (all intrinsics below): this function is compiled with every feature they need and
    // is only called from `run`, whose caller checked the CPU for them. Each load reads 8 u64
    // (or 8 u32) from a slice that starts at 8g in an array of L = 8G elements, so at least 8
    // remain; each store writes 8 u64 into an array of 8.
    unsafe {
        let mut acc = [[_mm512_setzero_si512(); K]; G];
        let mut bb = [[_mm512_setzero_si512(); K]; G];
        for g in 0..G {
            for j in 0..K {
                acc[g][j] = _mm512_loadu_si512(acc0[j][8 * g..].as_ptr() as *const _);
                bb[g][j] = _mm512_loadu_si512(bb0[j][8 * g..].as_ptr() as *const _);
            }
        }
        let mut thr = [u32::MAX as u64; 16];
        for j in 0..k {
            thr[j] = kern.thr[j] as u64;
        }
        let thr_lo = _mm512_loadu_si512(thr[..8].as_ptr() as *const _);
        let thr_hi = _mm512_loadu_si512(thr[8..].as_ptr() as *const _);
        let f15 = _mm512_set1_epi64(15);
        let m14 = _mm512_set1_epi64(0x3fff);
        let one = _mm512_set1_epi64(1);
        let q28 = _mm512_set1_pd(268_435_456.0);
        let two32 = _mm256_set1_ps(4_294_967_296.0);
        let bmax = _mm256_set1_ps(4_294_967_040.0);
        let role = Role::Env.word();
        let mut m = init;
        let mut words: [V<L>; 4] = [V([0; L]); 4];
        while m < t_end {
            if m == init || m & 3 == 0 {
                words = philox_lanes::<L>((m >> 2) as u32, r0 as u32, role, kern.key);
            }
            let a = _mm512_set1_epi64(((kern.a[m as usize] as u64) << 20) as i64);
            let w = &words[(m & 3) as usize];
            for g in 0..G {
                let u = _mm512_cvtepu32_epi64(_mm256_loadu_si256(w.0[8 * g..].as_ptr() as *const _));
                let mut kmax = _mm512_setzero_si512();
                for j in 0..K {
                    let t = _mm512_madd52hi_epu64(acc[g][j], a, bb[g][j]);
                    kmax = _mm512_max_epu64(kmax, _mm512_shuffle_epi32::<0xB1>(t));
                }
                let code = _mm512_and_si512(_mm512_srli_epi64::<28>(kmax), f15);
                let arm = _mm512_sub_epi64(f15, code);
                let nn = _mm512_add_epi64(_mm512_and_si512(_mm512_srli_epi64::<14>(kmax), m14), one);
                let th = _mm512_permutex2var_epi64(thr_lo, arm, thr_hi);
                let hit = _mm512_cmplt_epu64_mask(u, th);
                let ss = _mm512_mask_add_epi64(_mm512_and_si512(kmax, m14), hit, _mm512_and_si512(kmax, m14), one);
                let mq = _mm512_cvttpd_epu64(_mm512_div_pd(
                    _mm512_mul_pd(_mm512_cvtepu64_pd(ss), q28),
                    _mm512_cvtepu64_pd(nn),
                ));
                let bq = _mm256_min_ps(_mm256_div_ps(two32, _mm256_sqrt_ps(_mm512_cvtepu64_ps(nn))), bmax);
                let bn = _mm512_cvtepu32_epi64(_mm256_cvttps_epu32(bq));
                let meta =
                    _mm512_or_si512(_mm512_slli_epi64::<28>(code), _mm512_or_si512(_mm512_slli_epi64::<14>(nn), ss));
                let newacc = _mm512_or_si512(_mm512_slli_epi64::<32>(meta), mq);
                for j in 0..K {
                    let mine = _mm512_cmpeq_epi64_mask(arm, _mm512_set1_epi64(j as i64));
                    acc[g][j] = _mm512_mask_mov_epi64(acc[g][j], mine, newacc);
                    bb[g][j] = _mm512_mask_mov_epi64(bb[g][j], mine, bn);
                }
            }
            m += 1;
            if let Some(c) = cps.hit(m) {
                record_all::<K>(kern, &acc, m, Some(c), out);
            }
        }
        record_all::<K>(kern, &acc, t_end, None, out);
    }
}

#[inline(always)]
fn pack(j: usize, n: u64, s: u64, mq: u64) -> u64 {
    ((15 - j as u64) << 60) | (((n << 14) | s) << 32) | mq
}

/// Writes the metrics of every lane after `m` pulls: at checkpoint `c`, or as the final values
/// when `c` is `None`.
#[target_feature(enable = "avx512f")]
fn record_all<const K: usize>(
    kern: &FixedKernel,
    acc: &[[__m512i; K]; G],
    m: u64,
    c: Option<usize>,
    out: &mut [Trace],
) {
    let k = kern.k;
    let mut n = vec![0u32; k];
    let mut s = vec![0u32; k];
    let mut v = [0.0; 3];
    let mut lanes_acc = [[0u64; 8]; K];
    for g in 0..G {
        for j in 0..K {
            // SAFETY: the destination holds 8 u64.
            unsafe { _mm512_storeu_si512(lanes_acc[j].as_mut_ptr() as *mut _, acc[g][j]) };
        }
        for i in 0..8 {
            let l = 8 * g + i;
            if l >= out.len() {
                return;
            }
            for j in 0..k {
                n[j] = ((lanes_acc[j][i] >> 46) & 0x3fff) as u32;
                s[j] = ((lanes_acc[j][i] >> 32) & 0x3fff) as u32;
            }
            kern.record(m, &n, &s, &mut v);
            match c {
                Some(c) => out[l].put(c, &v),
                None => out[l].finals.copy_from_slice(&v),
            }
        }
    }
}
