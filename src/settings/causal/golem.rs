//! GOLEM-EV (Ng, Ghassami & Zhang, NeurIPS 2020), as the causal paper's baseline runs it
//! (`golem` in `utils.py` over the `utils_golem` package), and GOLEM-MAB (`golem_MAB` in
//! `algos.py`).
//!
//! GOLEM-EV minimises, over B with a zero diagonal, on centred data X (n × d),
//! ½·d·ln‖X − XB‖²_F − ln|det(I − B)| + λ₁‖B‖₁ + λ₂(tr e^{B∘B} − d), with λ₁ = 0.02, λ₂ = 5, by
//! Adam (TensorFlow 1's update: lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), β = (0.9, 0.999), ε = 1e-8, lr 1e-3)
//! from B = 0 for 10⁵ steps; then entries with |w| ≤ 0.3 are zeroed and the smallest remaining
//! weights dropped until the graph is acyclic. The gradients are written out here:
//! ∂/∂B of the fit term is −d·S(I − B)/‖X − XB‖² with S = XᵀX (precomputed, so a step costs
//! O(d³) whatever n is), of −ln|det(I − B)| it is (I − B)⁻ᵀ, of λ₁‖B‖₁ it is λ₁·sign(B) (0 at
//! 0, as TensorFlow's), of the acyclicity term 2λ₂·(e^{B∘B})ᵀ∘B. The code trains in float32;
//! we train in f64 (the same iterates up to rounding, fewer of them lost to it).
//!
//! GOLEM-MAB: `samples` (300) rounds of the empty intervention, `samples` of the full one, a
//! GOLEM-EV fit on each block for B̂ and B̂′, then the action maximising the estimated
//! \[μ_a\]_N for the rest of the run; with detection on, a Gaussian likelihood-ratio test on the
//! last 20 samples (threshold 20, per sample and node) restarts the whole procedure.

use super::learner::{Known, Learner, argmax};
use super::linalg::{estimated_mean, mixed};
use super::model::topological_order;
use crate::rng::Philox;

/// GOLEM-EV's and GOLEM-MAB's constants (the code's values by default).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GolemParams {
    pub lambda1: f64,
    pub lambda2: f64,
    pub steps: u64,
    pub learning_rate: f64,
    pub threshold: f64,
    /// Rounds per regime before the fit (GOLEM-MAB).
    pub samples: usize,
    pub detect: bool,
    pub window: usize,
    pub detect_threshold: f64,
}

impl Default for GolemParams {
    fn default() -> GolemParams {
        GolemParams {
            lambda1: 0.02,
            lambda2: 5.0,
            steps: 100_000,
            learning_rate: 1e-3,
            threshold: 0.3,
            samples: 300,
            detect: false,
            window: 20,
            detect_threshold: 20.0,
        }
    }
}

fn matmul(d: usize, a: &[f64], b: &[f64], out: &mut [f64]) {
    // row by row, the inner loop over whole rows of b (bounds-check free, so it vectorises; the
    // first term assigns, so no row is cleared by a call to memset)
    for (orow, arow) in out.chunks_exact_mut(d).zip(a.chunks_exact(d)) {
        let mut rows = arow.iter().zip(b.chunks_exact(d));
        if let Some((&a0, b0)) = rows.next() {
            for (o, &bv) in orow.iter_mut().zip(b0) {
                *o = a0 * bv;
            }
        }
        for (&aik, brow) in rows {
            if aik != 0.0 {
                for (o, &bv) in orow.iter_mut().zip(brow) {
                    *o += aik * bv;
                }
            }
        }
    }
}

/// e^A for a d × d matrix (row-major): scaling to ‖A‖₁ ≤ ½, a degree-12 Taylor polynomial
/// (truncation below 1e-16 relative) by Paterson–Stockmeyer, and squaring back.
pub fn expm(d: usize, a: &[f64]) -> Vec<f64> {
    let mut ws = Workspace::new(d);
    expm_into(d, a, &mut ws);
    ws.e.clone()
}

/// Buffers of one GOLEM-EV fit, reused by every step (a step allocates nothing).
pub struct Workspace {
    m: Vec<f64>,
    sm: Vec<f64>,
    a: Vec<f64>,
    e: Vec<f64>,
    tmp: Vec<f64>,
    inv: Vec<f64>,
    aug: Vec<f64>,
    bb: Vec<f64>,
    inv_scratch: Vec<f64>,
    sm_scratch: Vec<f64>,
}

impl Workspace {
    pub fn new(d: usize) -> Workspace {
        let z = || vec![0.0; d * d];
        Workspace {
            m: z(),
            sm: z(),
            a: z(),
            e: z(),
            tmp: z(),
            inv: z(),
            aug: z(),
            bb: z(),
            inv_scratch: z(),
            sm_scratch: z(),
        }
    }
}

fn expm_into(d: usize, a: &[f64], ws: &mut Workspace) {
    let norm = (0..d).map(|j| (0..d).map(|i| a[i * d + j].abs()).sum::<f64>()).fold(0.0, f64::max);
    let s = if norm > 0.5 { (norm / 0.5).log2().ceil() as i32 } else { 0 };
    let scale = 0.5f64.powi(s);
    for (x, &y) in ws.a.iter_mut().zip(a) {
        *x = y * scale;
    }
    // the degree-12 Taylor polynomial by Paterson–Stockmeyer: with A², A³, A⁴ and
    // B_j = Σ_{i<4} c_{4j+i}A^i (c_k = 1/k!), p = B₀ + A⁴(B₁ + A⁴(B₂ + c₁₂A⁴)): 5 products
    let c: Vec<f64> = (0..=12)
        .scan(1.0f64, |f, k| {
            if k > 0 {
                *f /= k as f64;
            }
            Some(*f)
        })
        .collect();
    let (a1, a2, a3, a4) = (&ws.a, &mut ws.aug, &mut ws.inv_scratch, &mut ws.sm_scratch);
    matmul(d, a1, a1, a2);
    matmul(d, a2, a1, a3);
    matmul(d, a2, a2, a4);
    let block = |j: usize, out: &mut [f64]| {
        for e in 0..d * d {
            out[e] = c[4 * j + 1] * a1[e] + c[4 * j + 2] * a2[e] + c[4 * j + 3] * a3[e];
        }
        (0..d).for_each(|i| out[i * d + i] += c[4 * j]);
    };
    // acc = B₂ + c₁₂A⁴, then acc ← B₁ + A⁴·acc, then e ← B₀ + A⁴·acc
    let (acc, tmp) = (&mut ws.e, &mut ws.tmp);
    block(2, acc);
    for (x, &y) in acc.iter_mut().zip(a4.iter()) {
        *x += c[12] * y;
    }
    for j in [1, 0] {
        matmul(d, a4, acc, tmp);
        block(j, acc);
        for (x, &y) in acc.iter_mut().zip(tmp.iter()) {
            *x += y;
        }
    }
    for _ in 0..s {
        matmul(d, &ws.e, &ws.e, &mut ws.tmp);
        ws.e.copy_from_slice(&ws.tmp);
    }
}

/// M⁻¹ into `ws.inv` and ln|det M| by Gauss–Jordan elimination with partial pivoting (M in
/// `ws.m`); None when M is singular.
fn invert(d: usize, ws: &mut Workspace) -> Option<f64> {
    ws.aug.copy_from_slice(&ws.m);
    ws.inv.iter_mut().for_each(|x| *x = 0.0);
    (0..d).for_each(|i| ws.inv[i * d + i] = 1.0);
    let (a, inv) = (&mut ws.aug, &mut ws.inv);
    let mut logdet = 0.0;
    for k in 0..d {
        let piv = (k..d).max_by(|&x, &y| a[x * d + k].abs().total_cmp(&a[y * d + k].abs())).unwrap_or(k);
        let pv = a[piv * d + k];
        if pv == 0.0 || !pv.is_finite() {
            return None;
        }
        if piv != k {
            for j in 0..d {
                a.swap(k * d + j, piv * d + j);
                inv.swap(k * d + j, piv * d + j);
            }
        }
        logdet += pv.abs().ln();
        let r = 1.0 / pv;
        for j in 0..d {
            a[k * d + j] *= r;
            inv[k * d + j] *= r;
        }
        for i in 0..d {
            if i == k {
                continue;
            }
            let f = a[i * d + k];
            if f != 0.0 {
                for j in 0..d {
                    a[i * d + j] -= f * a[k * d + j];
                    inv[i * d + j] -= f * inv[k * d + j];
                }
            }
        }
    }
    Some(logdet)
}

/// The GOLEM-EV score and its gradient at B (row-major, zero diagonal), given S = XᵀX.
pub fn score(d: usize, s: &[f64], b: &[f64], p: &GolemParams, grad: &mut [f64]) -> f64 {
    score_in(d, s, b, p, grad, &mut Workspace::new(d))
}

fn score_in(d: usize, s: &[f64], b: &[f64], p: &GolemParams, grad: &mut [f64], ws: &mut Workspace) -> f64 {
    for (e, (m, &x)) in ws.m.iter_mut().zip(b).enumerate() {
        *m = if e / d == e % d { 1.0 } else { 0.0 } - x;
    }
    matmul(d, s, &ws.m, &mut ws.sm);
    let r: f64 = ws.m.iter().zip(&ws.sm).map(|(x, y)| x * y).sum();
    // ln|det(I − B)| and (I − B)⁻¹ (whose transpose is the log-determinant's gradient)
    let logdet = invert(d, ws);
    let mut bb = std::mem::take(&mut ws.bb);
    for (x, &y) in bb.iter_mut().zip(b) {
        *x = y * y;
    }
    expm_into(d, &bb, ws);
    ws.bb = bb;
    let h: f64 = (0..d).map(|i| ws.e[i * d + i]).sum::<f64>() - d as f64;
    let l1: f64 = b.iter().map(|x| x.abs()).sum();
    for i in 0..d {
        for j in 0..d {
            let e_ = i * d + j;
            if i == j {
                grad[e_] = 0.0;
                continue;
            }
            let inv_t = if logdet.is_some() { ws.inv[j * d + i] } else { 0.0 };
            grad[e_] = -(d as f64) * ws.sm[e_] / r
                + inv_t
                + p.lambda1 * sign(b[e_])
                + p.lambda2 * 2.0 * ws.e[j * d + i] * b[e_];
        }
    }
    0.5 * d as f64 * r.ln() - logdet.unwrap_or(f64::NEG_INFINITY) + p.lambda1 * l1 + p.lambda2 * h
}

fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// GOLEM-EV on samples `x` (rows of d values): the post-processed weights (row-major).
pub fn fit(d: usize, x: &[&[f64]], p: &GolemParams) -> Vec<f64> {
    let n = x.len().max(1) as f64;
    let mean: Vec<f64> = (0..d).map(|j| x.iter().map(|r| r[j]).sum::<f64>() / n).collect();
    let mut s = vec![0.0; d * d];
    for r in x {
        for i in 0..d {
            let ci = r[i] - mean[i];
            for j in 0..d {
                s[i * d + j] += ci * (r[j] - mean[j]);
            }
        }
    }
    let mut b = vec![0.0; d * d];
    let (mut m1, mut m2, mut g) = (vec![0.0; d * d], vec![0.0; d * d], vec![0.0; d * d]);
    let (beta1, beta2, eps) = (0.9f64, 0.999f64, 1e-8);
    let (mut p1, mut p2) = (1.0f64, 1.0f64);
    let mut ws = Workspace::new(d);
    for _ in 0..p.steps {
        score_in(d, &s, &b, p, &mut g, &mut ws);
        p1 *= beta1;
        p2 *= beta2;
        let lr = p.learning_rate * (1.0 - p2).sqrt() / (1.0 - p1);
        for e in 0..d * d {
            m1[e] = beta1 * m1[e] + (1.0 - beta1) * g[e];
            m2[e] = beta2 * m2[e] + (1.0 - beta2) * g[e] * g[e];
            b[e] -= lr * m1[e] / (m2[e].sqrt() + eps);
        }
    }
    postprocess(d, b, p.threshold)
}

/// Zeroes |w| ≤ threshold, then drops the smallest |w| (ties in row-major order) until acyclic —
/// the smallest first whether or not it lies on a cycle, as the code's `threshold_till_dag`.
pub fn postprocess(d: usize, mut b: Vec<f64>, threshold: f64) -> Vec<f64> {
    b.iter_mut().filter(|x| x.abs() <= threshold).for_each(|x| *x = 0.0);
    let mut edges: Vec<usize> = (0..d * d).filter(|&e| b[e] != 0.0).collect();
    edges.sort_by(|&x, &y| b[x].abs().total_cmp(&b[y].abs()));
    for e in edges {
        if topological_order(d, |i, j| b[i * d + j] != 0.0).is_ok() {
            break;
        }
        b[e] = 0.0;
    }
    b
}

/// The Gaussian likelihood-ratio statistic of the code's `det_change_all` on the window `x`
/// (rows), for the model X ~ N(Cᵀν, CᵀΣC), C = (I − B_a)⁻¹; None when a covariance is singular.
pub fn global_change_statistic(d: usize, x: &[&[f64]], b_a: &[f64], nu: &[f64], sigma2: &[f64]) -> Option<f64> {
    let m: Vec<f64> = (0..d * d).map(|e| if e / d == e % d { 1.0 } else { 0.0 } - b_a[e]).collect();
    let mn = nalgebra::DMatrix::from_row_slice(d, d, &m);
    let c = mn.try_inverse()?;
    let mu = c.transpose() * nalgebra::DVector::from_column_slice(nu);
    let cov = c.transpose() * nalgebra::DMatrix::from_diagonal(&nalgebra::DVector::from_column_slice(sigma2)) * &c;
    let k = x.len();
    if k < 2 {
        return None;
    }
    let xs = nalgebra::DMatrix::from_fn(d, k, |i, j| x[j][i]);
    let mu_hat = xs.column_mean();
    let centred = &xs - &mu_hat * nalgebra::RowDVector::from_element(k, 1.0);
    let cov_hat = &centred * centred.transpose() / (k as f64 - 1.0);
    let ch = cov.clone().cholesky()?;
    let ch_hat = cov_hat.cholesky()?;
    let logdet = |l: &nalgebra::DMatrix<f64>| 2.0 * l.diagonal().iter().map(|x| x.ln()).sum::<f64>();
    let mut diff = k as f64 * (logdet(&ch.l()) - logdet(&ch_hat.l())) / 2.0;
    for j in 0..k {
        let col = xs.column(j).into_owned();
        let a = &col - &mu;
        let b = &col - &mu_hat;
        diff += a.dot(&ch.solve(&a)) / 2.0 - b.dot(&ch_hat.solve(&b)) / 2.0;
    }
    Some(diff / (k * d) as f64)
}

/// GOLEM-MAB on one run.
pub struct GolemMab {
    p: GolemParams,
    known: Known,
    rows: Vec<Vec<f64>>,
    /// The round the current procedure started.
    start: u64,
    fitted: Option<[Vec<f64>; 2]>,
    action: u32,
    /// Residual variances of the fits (estimated-σ mode of the detector).
    sigma2_hat: Vec<f64>,
}

impl GolemMab {
    pub fn new(p: GolemParams, known: Known) -> GolemMab {
        GolemMab { p, rows: Vec::new(), start: 0, fitted: None, action: 0, sigma2_hat: vec![1.0; known.n], known }
    }
}

impl Learner for GolemMab {
    fn choose(&mut self, t: u64, _coins: &mut Philox) -> u32 {
        let n = self.known.n;
        let l = self.p.samples as u64;
        if self.p.detect
            && t >= self.start + 2 * l + self.p.window as u64
            && let Some(f) = &self.fitted
        {
            let ba = mixed(n, self.action, &f[0], &f[1]);
            let from = (t as usize).saturating_sub(self.p.window).max((self.start + 2 * l) as usize);
            let w: Vec<&[f64]> = self.rows[from..t as usize].iter().map(Vec::as_slice).collect();
            let s2 = self.known.sigma2.clone().unwrap_or_else(|| self.sigma2_hat.clone());
            if global_change_statistic(n, &w, &ba, &self.known.nu, &s2).is_some_and(|d| d > self.p.detect_threshold) {
                self.start = t;
                self.fitted = None;
            }
        }
        if t < self.start + l {
            return 0;
        }
        if t < self.start + 2 * l {
            return (1u32 << n) - 1;
        }
        if t == self.start + 2 * l {
            let s = self.start as usize;
            let block = |a: usize| self.rows[a..a + l as usize].iter().map(Vec::as_slice).collect::<Vec<_>>();
            let b0 = fit(n, &block(s), &self.p);
            let b1 = fit(n, &block(s + l as usize), &self.p);
            // per-node residual variances of the fits, for the estimated-σ detector
            for q in 0..n {
                let res = |a: usize, b: &[f64]| -> Vec<f64> {
                    block(a).iter().map(|r| r[q] - (0..n).map(|pp| b[pp * n + q] * r[pp]).sum::<f64>()).collect()
                };
                let mut all = res(s, &b0);
                all.extend(res(s + l as usize, &b1));
                let m = all.iter().sum::<f64>() / all.len() as f64;
                self.sigma2_hat[q] = all.iter().map(|e| (e - m).powi(2)).sum::<f64>() / all.len() as f64;
            }
            let value: Vec<f64> = (0..1u32 << n)
                .map(|a| estimated_mean(n, a, &b0, &b1, &self.known.nu).map_or(f64::NEG_INFINITY, |(mu, _)| mu[n - 1]))
                .collect();
            self.action = argmax(&value) as u32;
            self.fitted = Some([b0, b1]);
        }
        self.action
    }

    fn observe(&mut self, _a: u32, x: &[f64]) {
        self.rows.push(x.to_vec());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// e^A against closed forms: a nilpotent A (e^A = I + A), a diagonal one, and a rotation
    /// generator scaled beyond ½ (forcing the squaring phase): e^{θJ} = [[cos θ, sin θ], [−sin θ,
    /// cos θ]] with θ = 3.
    #[test]
    fn expm_against_closed_forms() {
        let e = expm(2, &[0.0, 2.5, 0.0, 0.0]);
        assert!(e.iter().zip([1.0, 2.5, 0.0, 1.0]).all(|(x, y)| (x - y).abs() < 1e-14), "{e:?}");
        let e = expm(2, &[1.0, 0.0, 0.0, -2.0]);
        assert!((e[0] / 1f64.exp() - 1.0).abs() < 1e-12 && (e[3] / (-2f64).exp() - 1.0).abs() < 1e-12, "{e:?}");
        let th = 3.0f64;
        let e = expm(2, &[0.0, th, -th, 0.0]);
        let want = [th.cos(), th.sin(), -th.sin(), th.cos()];
        assert!(e.iter().zip(want).all(|(x, y)| (x - y).abs() < 1e-12), "{e:?}");
    }

    /// The analytic gradient against central differences of the score on a random 4-node B.
    #[test]
    fn gradient_matches_finite_differences() {
        let d = 4;
        let mut rng = crate::rng::StreamId::new([3, 4], 0, crate::rng::Role::Env).stream();
        let x: Vec<Vec<f64>> = (0..30).map(|_| (0..d).map(|_| rng.open01() * 2.0 - 1.0).collect()).collect();
        let mut s = vec![0.0; d * d];
        for r in &x {
            for i in 0..d {
                for j in 0..d {
                    s[i * d + j] += r[i] * r[j];
                }
            }
        }
        let b: Vec<f64> = (0..d * d).map(|e| if e / d == e % d { 0.0 } else { rng.open01() - 0.5 }).collect();
        let p = GolemParams::default();
        let mut g = vec![0.0; d * d];
        score(d, &s, &b, &p, &mut g);
        let mut scratch = vec![0.0; d * d];
        for e in (0..d * d).filter(|e| e / d != e % d) {
            let h = 1e-6;
            let (mut up, mut down) = (b.clone(), b.clone());
            up[e] += h;
            down[e] -= h;
            let fd = (score(d, &s, &up, &p, &mut scratch) - score(d, &s, &down, &p, &mut scratch)) / (2.0 * h);
            assert!((fd - g[e]).abs() < 1e-5 * (1.0 + fd.abs()), "entry {e}: {fd} vs {}", g[e]);
        }
    }

    /// Post-processing by hand, as the code does it: 0.2 is thresholded away; then the
    /// smallest weights go first whether or not they lie on a cycle — 1 → 2 (0.4), not on the
    /// 2-cycle 0 ⇄ 1, is dropped before 0 → 1 (0.5) breaks the cycle; −1.5 stays. An
    /// implementation that removed only cycle edges would keep 0.4. Already acyclic input is
    /// only thresholded.
    #[test]
    fn postprocess_by_hand() {
        let b = vec![0.0, 0.5, 0.2, -1.5, 0.0, 0.4, 0.0, 0.0, 0.0];
        assert_eq!(postprocess(3, b, 0.3), vec![0.0, 0.0, 0.0, -1.5, 0.0, 0.0, 0.0, 0.0, 0.0]);
        let b = vec![0.0, 0.5, 0.2, 0.0, 0.0, 0.4, 0.0, 0.0, 0.0];
        assert_eq!(postprocess(3, b, 0.3), vec![0.0, 0.5, 0.0, 0.0, 0.0, 0.4, 0.0, 0.0, 0.0]);
    }
}
