//! Value iteration on compensated 16-bit storage of a dense model, for speed, with a certificate
//! that accounts for the storage and summation errors.

use super::*;

/// The compensated 16-bit storage for fast value iteration on dense models: each row of P is kept
/// as u16 fixed point, P(s'|s,a) ≈ q(s')·scale(s,a) with scale = max_s' P/65535 (a quarter of the
/// bytes a sweep streams in f64), plus, per row, the exact f64 row sum and E = Σ|P − q·scale|.
///
/// A sweep computes (P V)(s,a) as `base + scale·Σ q(s')·(V(s') − W(s'))`, the sum in f32 (exact
/// u16 → f32 conversion, 32 partial sums, no FMA) and everything else in f64, with one of two
/// references W:
/// - `Midrange`: W ≡ c, the mid-range of V, and base = c·Σ P, so the storage error is at most
///   E·(max V − min V)/2 per row;
/// - `Reference`: W = V_ref, a recent iterate, and base = (P V_ref)(s,a) computed once from the f64
///   model (a "rebase" sweep that streams the f64 table), so the error is E·‖V − V_ref‖∞, which
///   vanishes as the iterates settle.
///
/// Because the summand V − W is small in either mode, the f32 sum's error is a multiple of
/// ‖V − W‖∞ too: (m + 3)·2⁻²⁴·Σ P per row for m = ⌈S/32⌉ terms per partial sum (Higham, Thm 3.1),
/// which is added to E. On B2 both together are about 1e-5·‖V − W‖∞.
///
/// The certificate of value iteration only needs the error η of the last sweep:
/// ‖V_k − V*‖ ≤ (γ‖V_k − V_{k−1}‖ + η_k)/(1−γ) (see [`value_iteration_compensated`]). What is certified is
/// the distance to V* of the f64 model, not of its quantised copy.
#[derive(Clone, Debug)]
pub struct CompensatedMdp {
    states: usize,
    actions: usize,
    q16: Vec<u16>,
    scale: Vec<f64>,
    row_sum: Vec<f64>,
    row_err: Vec<f64>,
    /// r laid out like the rows: `r[s·A + a]`.
    r: Vec<f64>,
    /// Hash of the f64 model it was built from.
    fingerprint: u64,
}

/// A hash of a dense model's transitions and rewards (bit patterns).
fn fingerprint(mdp: &TabularMdp) -> u64 {
    let mut bytes = Vec::new();
    if let Transitions::Dense(p) = mdp.transitions() {
        for x in p.iter() {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
    }
    for x in mdp.rewards().iter() {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    crate::rng::content_hash(&bytes)
}

impl CompensatedMdp {
    pub fn new(mdp: &TabularMdp) -> Result<CompensatedMdp, ModelError> {
        let Transitions::Dense(p) = mdp.transitions() else {
            return Err(bad(
                "transitions",
                "sparse",
                "the compensated f32 storage is for dense models",
                "dense transitions",
            ));
        };
        let flat = p.as_slice().expect("standard layout");
        let n = mdp.states();
        let rows = n * mdp.actions();
        let mut q16 = Vec::with_capacity(flat.len());
        let mut scale = Vec::with_capacity(rows);
        let mut row_sum = Vec::with_capacity(rows);
        let mut row_err = Vec::with_capacity(rows);
        for row in flat.chunks_exact(n) {
            let max = row.iter().cloned().fold(0.0, f64::max);
            let sc = max / 65535.0;
            let mut e = 0.0;
            for &x in row {
                let q = (x / sc).round().clamp(0.0, 65535.0) as u16;
                e += (x - q as f64 * sc).abs();
                q16.push(q);
            }
            scale.push(sc);
            let sum: f64 = row.iter().sum();
            row_sum.push(sum);
            let terms = n.div_ceil(32) as f64;
            let f32_sum = (terms + 3.0) * (f32::EPSILON as f64 / 2.0) * (sum + e);
            // Slack for the rounding of q·scale and of the f64 steps around the sum.
            row_err.push((e + f32_sum) * 1.01 + 4.0 * (n as f64 + 2.0) * U64 * sum);
        }
        let r = mdp.rewards().iter().copied().collect();
        Ok(CompensatedMdp {
            states: n,
            actions: mdp.actions(),
            q16,
            scale,
            row_sum,
            row_err,
            r,
            fingerprint: fingerprint(mdp),
        })
    }

    /// The largest per-row storage error E = Σ_{s'}|P − q·scale| (plus rounding slack).
    pub fn max_row_error(&self) -> f64 {
        self.row_err.iter().cloned().fold(0.0, f64::max)
    }

    /// One Jacobi sweep from `v` against the reference `w` with row bases `base`:
    /// `out[s] = max_a r(s,a) + γ·(base(s,a) + scale·Σ q·(v − w))`.
    fn sweep_with(&self, gamma: f64, v: &[f64], w: &[f64], base: &[f64], d: &mut [f32], out: &mut [f64]) {
        for ((x, &a), &b) in d.iter_mut().zip(v).zip(w) {
            *x = (a - b) as f32;
        }
        let n = self.states;
        for (s, o) in out.iter_mut().enumerate() {
            let mut b = f64::NEG_INFINITY;
            for a in 0..self.actions {
                let i = s * self.actions + a;
                let q = self.r[i] + gamma * (base[i] + self.scale[i] * dot_u16(&self.q16[i * n..(i + 1) * n], d));
                if q > b {
                    b = q;
                }
            }
            *o = b;
        }
    }
}

/// Σ q_j·d_j with q in u16 and d in f32, summed in f32 into 32 fixed partial sums (partial sum k
/// takes elements 32i + k), which are then added in f64 in a fixed order: the same bits on every
/// instruction set.
#[inline]
pub(super) fn dot_u16(q: &[u16], d: &[f32]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { dot_u16_avx2(q, d) };
        }
    }
    dot_u16_portable(q, d)
}

/// The AVX2 form of [`dot_u16_portable`]: four 256-bit accumulators hold the 32 partial sums in
/// order (register j, lane l = partial sum 8j + l), with separate multiplies and adds (no FMA),
/// so the result has the same bits. LLVM's own vectorisation of the portable loop shuffled
/// 128-bit halves and ran at about one element per cycle.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot_u16_avx2(q: &[u16], d: &[f32]) -> f64 {
    use std::arch::x86_64::*;
    let n = q.len().min(d.len());
    let chunks = n / 32;
    let mut acc = [0.0f32; 32];
    // SAFETY: every load reads 16 u16 or 8 f32 inside q[..32·chunks] and d[..32·chunks], both
    // within the slices since 32·chunks ≤ n; all loads and stores are unaligned forms.
    unsafe {
        let (mut a0, mut a1, mut a2, mut a3) =
            (_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps());
        let (qp, dp) = (q.as_ptr(), d.as_ptr());
        for i in 0..chunks {
            let r0 = _mm256_loadu_si256(qp.add(32 * i) as *const __m256i);
            let r1 = _mm256_loadu_si256(qp.add(32 * i + 16) as *const __m256i);
            let f0 = _mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(r0)));
            let f1 = _mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(_mm256_extracti128_si256::<1>(r0)));
            let f2 = _mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(r1)));
            let f3 = _mm256_cvtepi32_ps(_mm256_cvtepu16_epi32(_mm256_extracti128_si256::<1>(r1)));
            a0 = _mm256_add_ps(a0, _mm256_mul_ps(f0, _mm256_loadu_ps(dp.add(32 * i))));
            a1 = _mm256_add_ps(a1, _mm256_mul_ps(f1, _mm256_loadu_ps(dp.add(32 * i + 8))));
            a2 = _mm256_add_ps(a2, _mm256_mul_ps(f2, _mm256_loadu_ps(dp.add(32 * i + 16))));
            a3 = _mm256_add_ps(a3, _mm256_mul_ps(f3, _mm256_loadu_ps(dp.add(32 * i + 24))));
        }
        let ap = acc.as_mut_ptr();
        _mm256_storeu_ps(ap, a0);
        _mm256_storeu_ps(ap.add(8), a1);
        _mm256_storeu_ps(ap.add(16), a2);
        _mm256_storeu_ps(ap.add(24), a3);
    }
    finish_u16(&acc, &q[32 * chunks..n], &d[32 * chunks..n])
}

/// Adds the partial sums (in f64, pairwise in a fixed order) and the tail (in f64).
#[inline(always)]
fn finish_u16(acc: &[f32; 32], q: &[u16], d: &[f32]) -> f64 {
    let mut tail = 0.0f64;
    for (a, b) in q.iter().zip(d) {
        tail += *a as f64 * *b as f64;
    }
    let mut h: [f64; 32] = std::array::from_fn(|k| acc[k] as f64);
    let mut width = 16;
    while width > 0 {
        for k in 0..width {
            h[k] += h[k + width];
        }
        width /= 2;
    }
    h[0] + tail
}

/// The reference association: partial sum k takes elements 32i + k.
#[inline(always)]
pub(super) fn dot_u16_portable(q: &[u16], d: &[f32]) -> f64 {
    let n = q.len().min(d.len());
    let chunks = n / 32;
    let mut acc = [0.0f32; 32];
    for (a, b) in q[..32 * chunks].chunks_exact(32).zip(d[..32 * chunks].chunks_exact(32)) {
        for k in 0..32 {
            acc[k] += a[k] as f32 * b[k];
        }
    }
    finish_u16(&acc, &q[32 * chunks..n], &d[32 * chunks..n])
}

/// What [`value_iteration_compensated`] did besides the answer.
#[derive(Clone, Debug, Default)]
pub struct CompensatedStats {
    /// Sweeps that streamed the f64 table to take a new reference.
    pub rebase_sweeps: usize,
}

/// Value iteration on the compensated 16-bit storage (Jacobi sweeps from V = 0). Sweeps use the
/// mid-range reference until its storage error would dominate the contraction term, then take
/// the current iterate as reference (one f64 sweep) and again whenever the drift from it would
/// dominate. The certificate bounds the distance to V* of the original f64 model.
pub fn value_iteration_compensated(
    cm: &CompensatedMdp,
    mdp: &TabularMdp,
    gamma: f64,
    stop: Stop,
    max_iter: usize,
) -> Result<(Solution, CompensatedStats), ModelError> {
    check_gamma(gamma)?;
    stop.check()?;
    check_iters(max_iter)?;
    if cm.fingerprint != fingerprint(mdp) {
        return Err(bad(
            "compensated model",
            format!("{:016x}", cm.fingerprint),
            "must be built from the model it is certified against",
            format!("{:016x}", fingerprint(mdp)),
        ));
    }
    let Transitions::Dense(p) = mdp.transitions() else {
        return Err(bad(
            "transitions",
            "sparse",
            "the compensated f32 storage is for dense models",
            "dense transitions",
        ));
    };
    let flat = p.as_slice().expect("standard layout");
    let (n, rows) = (cm.states, cm.states * cm.actions);
    let e_max = cm.max_row_error();
    let (mut v, mut next, mut d) = (vec![0.0; n], vec![0.0; n], vec![0.0f32; n]);
    let mut w = vec![0.0; n];
    let mut base = vec![0.0; rows];
    let mut referenced = false;
    let mut rebase_next = false;
    let mut stats = CompensatedStats::default();
    let (mut it, mut delta, mut eta) = (0, f64::INFINITY, 0.0);
    let mut converged = false;
    while it < max_iter {
        it += 1;
        let storage = if rebase_next {
            // Exact f64 sweep; its output's reference is the iterate it started from.
            w.copy_from_slice(&v);
            for (i, b) in base.iter_mut().enumerate() {
                *b = dot_dense(&flat[i * n..(i + 1) * n], &w);
            }
            d.iter_mut().for_each(|x| *x = 0.0f32);
            for (s, o) in next.iter_mut().enumerate() {
                *o = (0..cm.actions)
                    .map(|a| cm.r[s * cm.actions + a] + gamma * base[s * cm.actions + a])
                    .fold(f64::NEG_INFINITY, f64::max);
            }
            referenced = true;
            rebase_next = false;
            stats.rebase_sweeps += 1;
            0.0
        } else if referenced {
            cm.sweep_with(gamma, &v, &w, &base, &mut d, &mut next);
            e_max * sup_diff(&v, &w)
        } else {
            let (lo, hi) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
            let c = 0.5 * (lo + hi);
            w.iter_mut().for_each(|x| *x = c);
            for (b, &sum) in base.iter_mut().zip(&cm.row_sum) {
                *b = c * sum;
            }
            cm.sweep_with(gamma, &v, &w, &base, &mut d, &mut next);
            e_max * 0.5 * (hi - lo)
        };
        delta = sup_diff(&next, &v);
        std::mem::swap(&mut v, &mut next);
        eta = gamma * storage + backup_rounding(n, gamma, sup(&v));
        if stop.done(delta, gamma, eta) {
            converged = true;
            break;
        }
        // The next sweep's storage error, if it keeps the current reference:
        let upcoming = if referenced { e_max * (sup_diff(&v, &w) + delta) } else { storage };
        if gamma * upcoming > 0.25 * gamma * delta {
            rebase_next = true;
        }
    }
    let value_error = (lip(gamma) * delta + eta) / (1.0 - lip(gamma));
    let policy = greedy(mdp, gamma, &v);
    let sol = Solution {
        v,
        policy,
        iterations: it,
        converged,
        certificate: Certificate {
            value_error,
            policy_loss: 2.0 * value_error,
            statement: format!(
                "value iteration on compensated 16-bit storage, {it} sweeps ({} on the f64 table): ‖V_k − V_(k−1)‖∞ = {delta:.3e}, last sweep's storage+rounding error η ≤ {eta:.1e}, so ‖V − V*‖∞ ≤ (γ·Δ + η)/(1−γ) = {value_error:.3e}",
                stats.rebase_sweeps
            ),
        },
    };
    Ok((sol, stats))
}
