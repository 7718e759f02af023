//! SEA sequences: losses f_t(x) = φ(x) + ⟨θ_t, x⟩ on a convex domain, with a fixed convex part φ
//! and a random linear part θ_t = θ̄_t + n_t whose mean θ̄_t the adversary moves.
//!
//! Every family below has this form, which is what makes the SEA quantities exact:
//! - ∇f_t(x) − ∇F_t(x) = n_t does not depend on x, so σ²_t = E‖n_t‖², in closed form;
//! - ∇F_t(x) − ∇F_{t−1}(x) = θ̄_t − θ̄_{t−1} for t ≥ 2, so those terms of Σ²_{1:T} are exact.
//!   The first term, sup_x ‖∇F_1(x)‖² (∇F_0 = 0), is exact for the quadratic and linear
//!   families (and random features on the simplex); elsewhere it is replaced by an upper bound,
//!   a constant that does not change any rate ([`SeaInstance::first_round_exact`]);
//! - Σ_{s≤t} F_s(x) = tφ(x) + ⟨Σθ̄_s, x⟩ + const, so the best fixed point in hindsight is one
//!   convex minimisation: in closed form for the quadratic (a projection) and linear (the linear
//!   minimisation oracle) families, by a certified solve (FISTA stopped on a Frank–Wolfe gap,
//!   [`crate::oco::minimise`]) for the others;
//! - E\[f_t(x_t) | past\] = F_t(x_t) whenever x_t is chosen before θ_t is drawn, so
//!   Σ F_s(x_s) − Σ F_s(u) is an unbiased estimate of the expected regret with the noise's own
//!   variance removed.
//!
//! Families ([`Loss`]):
//! - quadratic ½‖x − ξ_t‖², ξ_t = c_t + σz_t (φ = ½‖x‖², θ_t = −ξ_t);
//! - linear ⟨ξ_t, x⟩ (φ = 0, θ_t = ξ_t): on the simplex, the experts problem;
//! - logistic: the mean cross-entropy of a fixed design a_1 … a_n with labels
//!   y_{t,i} ~ Bernoulli(s(⟨a_i, c_t⟩)) (a well-specified logistic model whose parameter c_t the
//!   adversary moves): φ(x) = (1/n)Σ log(1 + e^{⟨a_i,x⟩}), θ_t = −(1/n)Σ y_{t,i} a_i. Its noise is
//!   the labels', σ²_t = (1/n²)Σ‖a_i‖²π_{t,i}(1 − π_{t,i});
//! - squared loss on random Fourier features φ_i of fixed inputs z_i ∈ [−1, 1]^p (Rahimi & Recht
//!   2007), targets y_{t,i} = ⟨φ_i, c_t⟩ + σε_{t,i}: φ(x) = ½xᵀQx, Q = (1/n)Σφ_iφ_iᵀ,
//!   θ_t = −(1/n)Σ y_{t,i}φ_i, σ²_t = (σ²/n²)Σ‖φ_i‖².
//!
//! z_t is uniform on {±1/√d}^d and ε_{t,i} on {±1}, so the noise is bounded and ‖σz_t‖ = σ.
//! Centres: c_t = c₀·e₁ + a·s_t·e₂ + b·(cos 2πt/P_d, sin 2πt/P_d, 0, …) — a fixed part, a switching
//! part (s_t = ±1, flipping every `period` rounds; 0 = never) and a drifting part (radius `drift`,
//! one turn every `drift_period` rounds).

use std::sync::Arc;

use crate::engine::Checkpoints;
use crate::error::{ModelError, bad};
use crate::oco::{Domain, norm2};
use crate::rng::{Role, StreamId};

/// Which losses the adversary draws.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Loss {
    Quadratic,
    Linear,
    /// `examples` fixed feature vectors uniform on the sphere of radius `scale`, drawn from `seed`.
    Logistic {
        examples: usize,
        scale: f64,
        seed: u64,
    },
    /// `examples` inputs uniform in [−1, 1]^`inputs`, d features cos(⟨w_j, z⟩ + b_j)·√(2/d) with
    /// w_j ~ N(0, I/bandwidth²) and b_j uniform in [0, 2π), all drawn from `seed`.
    RandomFeatures {
        examples: usize,
        inputs: usize,
        bandwidth: f64,
        seed: u64,
    },
}

/// How the centres c_t move and how loud the noise is.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Sequence {
    /// Noise scale: ‖σz_t‖ = σ (quadratic, linear), target noise ±σ (random features); the
    /// logistic family's noise is its labels' and needs σ = 0.
    pub sigma: f64,
    pub centre: f64,
    pub amplitude: f64,
    /// Rounds between flips of the switching part (0: never flips).
    pub period: u64,
    pub drift: f64,
    pub drift_period: u64,
}

/// The fixed design of the logistic and random-feature families.
#[derive(Debug, Default)]
struct Design {
    /// n rows of length d, row-major.
    rows: Vec<f64>,
    n: usize,
    /// λ_max((1/n)Σ r_i r_iᵀ).
    lambda_max: f64,
}

/// One SEA sequence: dimension, domain, loss family and centres.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SeaInstance {
    pub dim: usize,
    pub domain: Domain,
    pub loss: Loss,
    #[serde(flatten)]
    pub seq: Sequence,
    #[serde(skip)]
    design: Arc<Design>,
}

/// The largest n·d a design may hold.
pub const MAX_DESIGN: usize = 10_000_000;

impl SeaInstance {
    /// Checks every parameter and draws the fixed design.
    pub fn new(dim: usize, domain: Domain, loss: Loss, seq: Sequence) -> Result<SeaInstance, ModelError> {
        if !(2..=100_000).contains(&dim) {
            return Err(bad("dim", dim, "the dimension (the centres use two coordinates)", "2 ..= 100000"));
        }
        let domain = Domain::new(domain)?;
        if domain.dim() != dim {
            return Err(bad(
                "domain.dim",
                domain.dim(),
                "the domain's dimension must be the sequence's",
                dim.to_string(),
            ));
        }
        let design = match loss {
            Loss::Quadratic | Loss::Linear => Design::default(),
            Loss::Logistic { examples, scale, seed } => {
                check_examples(examples, dim)?;
                if !(scale > 0.0 && scale.is_finite()) {
                    return Err(bad(
                        "loss.scale",
                        scale,
                        "the norm of the logistic family's feature vectors",
                        "(0, ∞)",
                    ));
                }
                logistic_design(dim, examples, scale, seed)
            }
            Loss::RandomFeatures { examples, inputs, bandwidth, seed } => {
                check_examples(examples, dim)?;
                if !(1..=100).contains(&inputs) {
                    return Err(bad("loss.inputs", inputs, "the dimension p of the inputs z_i", "1 ..= 100"));
                }
                if !(bandwidth > 0.0 && bandwidth.is_finite()) {
                    return Err(bad("loss.bandwidth", bandwidth, "the Gaussian kernel's bandwidth", "(0, ∞)"));
                }
                fourier_design(dim, examples, inputs, bandwidth, seed)
            }
        };
        SeaInstance {
            dim,
            domain,
            loss,
            seq: Sequence { sigma: 0.0, centre: 0.0, amplitude: 0.0, period: 0, drift: 0.0, drift_period: 0 },
            design: Arc::new(design),
        }
        .with_sequence(seq)
    }

    /// The same domain, loss and design (shared, not redrawn) with other centres and noise.
    pub fn with_sequence(&self, seq: Sequence) -> Result<SeaInstance, ModelError> {
        for (name, x) in [("sigma", seq.sigma), ("amplitude", seq.amplitude), ("drift", seq.drift)] {
            if !(x >= 0.0 && x.is_finite()) {
                return Err(bad(name, x, "a scale of the sequence", "[0, ∞)"));
            }
        }
        if !seq.centre.is_finite() {
            return Err(bad("centre", seq.centre, "the fixed part of the centres", "a finite number"));
        }
        if seq.amplitude > 0.0 && seq.period == 0 {
            // period 0 would hold the switching part still: a constant offset, not a switch
            return Err(bad(
                "period",
                0,
                "rounds between flips of the switching part",
                ">= 1 when amplitude > 0 (amplitude = 0 for no switching)",
            ));
        }
        if seq.drift > 0.0 && seq.drift_period == 0 {
            return Err(bad("drift_period", 0, "rounds per turn of the drift", ">= 1 when drift > 0"));
        }
        if matches!(self.loss, Loss::Logistic { .. }) && seq.sigma != 0.0 {
            return Err(bad(
                "sigma",
                seq.sigma,
                "the logistic family's noise is its Bernoulli labels'; σ does not apply",
                "0 with loss = logistic",
            ));
        }
        Ok(SeaInstance { seq, ..self.clone() })
    }

    /// Quadratic losses on the ball of radius `radius` (the paper's running example).
    pub fn quadratic_ball(dim: usize, radius: f64, seq: Sequence) -> Result<SeaInstance, ModelError> {
        SeaInstance::new(dim, Domain::Ball { dim, radius }, Loss::Quadratic, seq)
    }

    /// c_t for t = 1, 2, …
    pub fn centre_at(&self, t: u64, out: &mut [f64]) {
        let s = &self.seq;
        out.iter_mut().for_each(|x| *x = 0.0);
        out[0] = s.centre;
        if s.amplitude > 0.0 {
            let sign = if s.period == 0 || ((t - 1) / s.period).is_multiple_of(2) { 1.0 } else { -1.0 };
            out[1] += s.amplitude * sign;
        }
        if s.drift > 0.0 {
            let a = 2.0 * std::f64::consts::PI * t as f64 / s.drift_period as f64;
            out[0] += s.drift * a.cos();
            out[1] += s.drift * a.sin();
        }
    }

    /// Random words per round: one per coordinate (z_t) or one per example (labels, ε_t).
    fn words(&self) -> usize {
        match self.loss {
            Loss::Quadratic | Loss::Linear => self.dim,
            _ => self.design.n,
        }
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.design.rows[i * self.dim..(i + 1) * self.dim]
    }

    /// The logistic family's label probabilities, rounded to the 2^-32 grid that the draw
    /// `word < threshold` realises exactly, so that θ̄_t is the draws' true mean.
    fn label_threshold(&self, i: usize, c: &[f64]) -> u64 {
        let z: f64 = self.row(i).iter().zip(c).map(|(a, b)| a * b).sum();
        (sigmoid(z) * 4_294_967_296.0).round() as u64
    }

    /// θ̄_t and a draw θ_t (`c` is scratch of length d). The draw reads word t·W + i of `env`,
    /// W = `Self::words`, a Philox block at a time.
    pub fn round(&self, env: &StreamId, t: u64, c: &mut [f64], mean: &mut [f64], draw: &mut [f64]) {
        self.mean_theta(t, c, mean);
        draw.copy_from_slice(mean);
        let w = self.words();
        let first = t * w as u64;
        let mut block = [0u32; 4];
        let mut loaded = u64::MAX;
        let mut word = |i: usize| {
            let k = first + i as u64;
            if k >> 2 != loaded {
                loaded = k >> 2;
                block = env.block(loaded);
            }
            block[(k & 3) as usize]
        };
        let n = self.design.n as f64;
        match self.loss {
            Loss::Quadratic | Loss::Linear => {
                if self.seq.sigma > 0.0 {
                    // θ = −ξ for the quadratic, +ξ for the linear family.
                    let scale = self.seq.sigma / (self.dim as f64).sqrt()
                        * if self.loss == Loss::Quadratic { -1.0 } else { 1.0 };
                    for (i, x) in draw.iter_mut().enumerate() {
                        *x += if word(i) & 1 == 1 { scale } else { -scale };
                    }
                }
            }
            Loss::Logistic { .. } => {
                self.centre_at(t, c);
                draw.iter_mut().for_each(|x| *x = 0.0);
                for i in 0..self.design.n {
                    if (word(i) as u64) < self.label_threshold(i, c) {
                        draw.iter_mut().zip(self.row(i)).for_each(|(x, a)| *x -= a / n);
                    }
                }
            }
            Loss::RandomFeatures { .. } => {
                if self.seq.sigma > 0.0 {
                    for i in 0..self.design.n {
                        let e = if word(i) & 1 == 1 { self.seq.sigma } else { -self.seq.sigma };
                        draw.iter_mut().zip(self.row(i)).for_each(|(x, f)| *x -= e * f / n);
                    }
                }
            }
        }
    }

    /// θ̄_t = E θ_t (`c` is scratch of length d).
    pub fn mean_theta(&self, t: u64, c: &mut [f64], out: &mut [f64]) {
        self.centre_at(t, c);
        let n = self.design.n as f64;
        match self.loss {
            Loss::Quadratic => out.iter_mut().zip(c.iter()).for_each(|(o, v)| *o = -v),
            Loss::Linear => out.copy_from_slice(c),
            Loss::Logistic { .. } => {
                out.iter_mut().for_each(|x| *x = 0.0);
                for i in 0..self.design.n {
                    let p = self.label_threshold(i, c) as f64 / 4_294_967_296.0;
                    out.iter_mut().zip(self.row(i)).for_each(|(x, a)| *x -= p * a / n);
                }
            }
            Loss::RandomFeatures { .. } => {
                out.iter_mut().for_each(|x| *x = 0.0);
                for i in 0..self.design.n {
                    let y: f64 = self.row(i).iter().zip(c.iter()).map(|(a, b)| a * b).sum();
                    out.iter_mut().zip(self.row(i)).for_each(|(x, f)| *x -= y * f / n);
                }
            }
        }
    }

    /// φ(x), the loss's fixed part.
    pub fn phi(&self, x: &[f64]) -> f64 {
        let n = self.design.n as f64;
        match self.loss {
            Loss::Quadratic => 0.5 * x.iter().map(|v| v * v).sum::<f64>(),
            Loss::Linear => 0.0,
            Loss::Logistic { .. } => (0..self.design.n).map(|i| softplus(dot(self.row(i), x))).sum::<f64>() / n,
            Loss::RandomFeatures { .. } => {
                (0..self.design.n).map(|i| dot(self.row(i), x).powi(2)).sum::<f64>() / (2.0 * n)
            }
        }
    }

    /// ∇φ(x).
    pub fn grad_phi(&self, x: &[f64], out: &mut [f64]) {
        let n = self.design.n as f64;
        match self.loss {
            Loss::Quadratic => out.copy_from_slice(x),
            Loss::Linear => out.iter_mut().for_each(|o| *o = 0.0),
            Loss::Logistic { .. } | Loss::RandomFeatures { .. } => {
                out.iter_mut().for_each(|o| *o = 0.0);
                let logistic = matches!(self.loss, Loss::Logistic { .. });
                for i in 0..self.design.n {
                    let z = dot(self.row(i), x);
                    let w = if logistic { sigmoid(z) } else { z } / n;
                    out.iter_mut().zip(self.row(i)).for_each(|(o, a)| *o += w * a);
                }
            }
        }
    }

    /// ∇f(x) = ∇φ(x) + θ.
    pub fn gradient(&self, x: &[f64], theta: &[f64], out: &mut [f64]) {
        self.grad_phi(x, out);
        out.iter_mut().zip(theta).for_each(|(o, t)| *o += t);
    }

    /// F(x) up to the round's constant: φ(x) + ⟨θ̄, x⟩.
    pub fn mean_loss(&self, x: &[f64], mean_theta: &[f64]) -> f64 {
        self.phi(x) + dot(mean_theta, x)
    }

    /// The smoothness L of φ (and so of every F_t).
    pub fn smoothness(&self) -> f64 {
        match self.loss {
            Loss::Quadratic => 1.0,
            Loss::Linear => 0.0,
            Loss::Logistic { .. } => 0.25 * self.design.lambda_max,
            Loss::RandomFeatures { .. } => self.design.lambda_max,
        }
    }

    /// An α with ∇²f ⪰ α∇f∇fᵀ on the domain for every draw (α-exp-concavity), 0 where the
    /// family is not exp-concave (linear). Averages keep the worst example's α because
    /// (avg v_i)(avg v_i)ᵀ ⪯ avg v_iv_iᵀ.
    pub fn exp_concavity(&self) -> f64 {
        let rows = || (0..self.design.n).map(|i| norm2(self.row(i)));
        let r = self.domain.max_norm();
        match self.loss {
            Loss::Quadratic => 1.0 / self.gradient_bound().powi(2),
            Loss::Linear => 0.0,
            // s(1 − s) ≥ α(s − y)² for y ∈ {0, 1} and |⟨a, x⟩| ≤ ‖a‖R holds with α = e^{−‖a‖R}.
            Loss::Logistic { .. } => rows().map(|a| (-a * r).exp()).fold(f64::INFINITY, f64::min),
            // The residuals ⟨φ_i, x⟩ − y_i are at most ‖φ_i‖(R + max‖c‖) + σ: α = 1/max r².
            Loss::RandomFeatures { .. } => {
                1.0 / rows().map(|p| p * (r + self.centre_bound()) + self.seq.sigma).fold(0.0, f64::max).powi(2)
            }
        }
    }

    /// max_t ‖c_t‖ ≤ |c₀| + a + b.
    fn centre_bound(&self) -> f64 {
        self.seq.centre.abs() + self.seq.amplitude + self.seq.drift
    }

    /// A bound G on ‖∇f_t(x)‖ over the domain and every draw.
    pub fn gradient_bound(&self) -> f64 {
        let n = self.design.n as f64;
        let row_norms = || (0..self.design.n).map(|i| norm2(self.row(i)));
        match self.loss {
            Loss::Quadratic => self.domain.max_norm() + self.centre_bound() + self.seq.sigma,
            Loss::Linear => self.centre_bound() + self.seq.sigma,
            Loss::Logistic { .. } => row_norms().sum::<f64>() / n,
            Loss::RandomFeatures { .. } => {
                self.design.lambda_max * self.domain.max_norm()
                    + row_norms().map(|r| r * (r * self.centre_bound() + self.seq.sigma)).sum::<f64>() / n
            }
        }
    }

    /// σ²_t = E‖n_t‖², exactly (`c` is scratch).
    pub fn sigma2_at(&self, t: u64, c: &mut [f64]) -> f64 {
        let n = self.design.n as f64;
        match self.loss {
            Loss::Quadratic | Loss::Linear => self.seq.sigma * self.seq.sigma,
            Loss::Logistic { .. } => {
                self.centre_at(t, c);
                (0..self.design.n)
                    .map(|i| {
                        let p = self.label_threshold(i, c) as f64 / 4_294_967_296.0;
                        self.row(i).iter().map(|a| a * a).sum::<f64>() * p * (1.0 - p)
                    })
                    .sum::<f64>()
                    / (n * n)
            }
            Loss::RandomFeatures { .. } => {
                self.seq.sigma
                    * self.seq.sigma
                    * (0..self.design.n).map(|i| self.row(i).iter().map(|a| a * a).sum::<f64>()).sum::<f64>()
                    / (n * n)
            }
        }
    }

    /// Whether [`Self::variations`] computes the first round's sup_x ‖∇F_1(x)‖² exactly (true)
    /// or bounds it from above (false).
    pub fn first_round_exact(&self) -> bool {
        match self.loss {
            Loss::Quadratic | Loss::Linear => true,
            Loss::Logistic { .. } => false,
            Loss::RandomFeatures { .. } => matches!(self.domain, Domain::Simplex { .. }),
        }
    }

    /// sup_x ‖∇φ(x) + θ̄_1‖², or an upper bound where [`Self::first_round_exact`] is false.
    fn first_round(&self, theta1: &[f64], c1: &[f64]) -> f64 {
        let d = self.dim;
        match self.loss {
            // ∇F_1(x) = x − c_1.
            Loss::Quadratic => self.domain.max_dist_sq(c1),
            Loss::Linear => theta1.iter().map(|v| v * v).sum(),
            Loss::RandomFeatures { .. } => match self.domain {
                // ‖Q(x − c_1)‖² is convex: its maximum over the simplex is at a vertex.
                Domain::Simplex { .. } => (0..d)
                    .map(|j| {
                        let mut e = vec![0.0; d];
                        e[j] = 1.0;
                        let mut g = vec![0.0; d];
                        self.gradient(&e, theta1, &mut g);
                        g.iter().map(|v| v * v).sum::<f64>()
                    })
                    .fold(0.0, f64::max),
                _ => (self.design.lambda_max * self.domain.max_dist_sq(c1).sqrt()).powi(2),
            },
            // ∇F_1(x) = (1/n)Σ a_i (s(⟨a_i, x⟩) − π_i), each coefficient within (−π_i, 1 − π_i).
            Loss::Logistic { .. } => {
                let n = self.design.n as f64;
                let b: f64 = (0..self.design.n)
                    .map(|i| {
                        let p = self.label_threshold(i, c1) as f64 / 4_294_967_296.0;
                        norm2(self.row(i)) * p.max(1.0 - p)
                    })
                    .sum::<f64>()
                    / n;
                b * b
            }
        }
    }

    /// (σ²_{1:T}, Σ²_{1:T}), exact but for the first round's term where
    /// [`Self::first_round_exact`] is false.
    pub fn variations(&self, horizon: u64) -> (f64, f64) {
        self.variations_at(&[horizon])[0]
    }

    /// (σ²_max, Σ²_max) = (max_t σ²_t, max_t sup_x ‖∇F_t(x) − ∇F_{t−1}(x)‖²) over the first
    /// `horizon` rounds, the quantities of the strongly convex bound; the t = 1 term is the
    /// same as in [`Self::variations`].
    pub fn maxima(&self, horizon: u64) -> (f64, f64) {
        self.maxima_at(&[horizon])[0]
    }

    /// [`Self::maxima`] at each checkpoint of an increasing grid, in one pass.
    pub fn maxima_at(&self, grid: &[u64]) -> Vec<(f64, f64)> {
        self.terms_at(grid).into_iter().map(|t| (t[2], t[3])).collect()
    }

    /// [`Self::variations`] at each checkpoint of an increasing grid, in one pass.
    pub fn variations_at(&self, grid: &[u64]) -> Vec<(f64, f64)> {
        self.terms_at(grid).into_iter().map(|t| (t[0], t[1])).collect()
    }

    /// [σ²_{1:t}, Σ²_{1:t}, σ²_max, Σ²_max] at each checkpoint t of an increasing grid: the
    /// per-round terms σ²_t and ‖θ̄_t − θ̄_{t−1}‖² (the first round's from
    /// `Self::first_round`), summed and maximised in one pass.
    pub fn terms_at(&self, grid: &[u64]) -> Vec<[f64; 4]> {
        let d = self.dim;
        let (mut c, mut prev, mut cur) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
        self.mean_theta(1, &mut c, &mut prev);
        let first = self.first_round(&prev, &c);
        let mut acc = [0.0, first, 0.0, first];
        let mut out = Vec::with_capacity(grid.len());
        let mut cps = Checkpoints::new(grid);
        for t in 1..=grid.last().copied().unwrap_or(0) {
            let s2 = self.sigma2_at(t, &mut c);
            acc[0] += s2;
            acc[2] = acc[2].max(s2);
            if t >= 2 {
                self.mean_theta(t, &mut c, &mut cur);
                let b2 = cur.iter().zip(&prev).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
                acc[1] += b2;
                acc[3] = acc[3].max(b2);
                std::mem::swap(&mut cur, &mut prev);
            }
            if cps.hit(t).is_some() {
                out.push(acc);
            }
        }
        out
    }

    /// argmin_{x ∈ X} φ(x) + ⟨v, x⟩ into `x` (which is also the warm start). Returns the
    /// certified optimality gap: 0 where the minimiser is in closed form.
    pub fn minimise(&self, v: &[f64], x: &mut [f64]) -> f64 {
        match self.loss {
            Loss::Quadratic => {
                x.iter_mut().zip(v).for_each(|(o, g)| *o = -g);
                self.domain.project(x);
                0.0
            }
            Loss::Linear => {
                self.domain.lmo(v, x);
                0.0
            }
            Loss::Logistic { .. } | Loss::RandomFeatures { .. } => crate::oco::minimise(
                &self.domain,
                self.smoothness(),
                x,
                |y, g| self.gradient(y, v, g),
                SOLVE_TOL,
                500_000,
            ),
        }
    }

    /// The comparators over a checkpoint grid, computed once per cell and shared by every
    /// replication and learner.
    pub fn theory(&self, grid: &[u64]) -> Theory {
        let d = self.dim;
        let horizon = grid.last().copied().unwrap_or(0);
        let (mut c, mut mean, mut sum, mut c_sum) = (vec![0.0; d], vec![0.0; d], vec![0.0; d], vec![0.0; d]);
        let (mut u_round, mut u_prev, mut u_best) = (self.domain.centre(), self.domain.centre(), self.domain.centre());
        // (θ̄, minimiser, value, certified gap)
        let mut cache: Vec<(Vec<f64>, Vec<f64>, f64, f64)> = Vec::with_capacity(2);
        let mut out = Theory {
            grid: grid.to_vec(),
            best: Vec::new(),
            dyn_best: Vec::new(),
            comparators: Vec::new(),
            path_length: 0.0,
            error_bound: 0.0,
        };
        let (mut dyn_sum, mut dyn_err) = (0.0, 0.0);
        let mut cps = Checkpoints::new(grid);
        for t in 1..=horizon {
            self.mean_theta(t, &mut c, &mut mean);
            sum.iter_mut().zip(&mean).for_each(|(s, m)| *s += m);
            c_sum.iter_mut().zip(&c).for_each(|(s, v)| *s += v);
            // Per-round minimiser; switching sequences revisit the same θ̄, so the last two
            // distinct ones are cached.
            let value = match cache.iter().find(|(m, _, _, _)| *m == mean) {
                Some((_, u, v, gap)) => {
                    u_round.copy_from_slice(u);
                    dyn_err += gap;
                    *v
                }
                None => {
                    // In the design families c_t minimises F_t over ℝ^d (the model is well
                    // specified), so Π(c_t) is the best warm start: exact when c_t ∈ X.
                    if self.design.n > 0 {
                        u_round.copy_from_slice(&c);
                        self.domain.project(&mut u_round);
                    }
                    let gap = self.minimise(&mean, &mut u_round);
                    dyn_err += gap;
                    let v = self.mean_loss(&u_round, &mean);
                    if cache.len() == 2 {
                        cache.remove(0);
                    }
                    cache.push((mean.clone(), u_round.clone(), v, gap));
                    v
                }
            };
            dyn_sum += value;
            if t >= 2 {
                out.path_length += norm2(&u_round.iter().zip(&u_prev).map(|(a, b)| a - b).collect::<Vec<_>>());
            }
            u_prev.copy_from_slice(&u_round);
            if cps.hit(t).is_some() {
                let tf = t as f64;
                let avg: Vec<f64> = sum.iter().map(|s| s / tf).collect();
                // For random features Σ_s F_s is minimised over ℝ^d at the mean centre.
                if matches!(self.loss, Loss::RandomFeatures { .. }) {
                    u_best.iter_mut().zip(&c_sum).for_each(|(u, s)| *u = s / tf);
                    self.domain.project(&mut u_best);
                }
                let gap = self.minimise(&avg, &mut u_best);
                out.best.push(tf * self.mean_loss(&u_best, &avg));
                out.comparators.push(u_best.clone());
                out.dyn_best.push(dyn_sum);
                out.error_bound = out.error_bound.max(tf * gap).max(dyn_err);
            }
        }
        out
    }

    /// P_T of the per-round minimisers.
    pub fn path_length(&self, horizon: u64) -> f64 {
        self.theory(&[horizon]).path_length
    }
}

/// The Frank–Wolfe gap, relative to max(1, ‖∇h‖·D), at which a certified solve stops.
pub const SOLVE_TOL: f64 = 1e-12;

/// The comparators of one cell at its checkpoints.
#[derive(Clone, Debug)]
pub struct Theory {
    pub grid: Vec<u64>,
    /// min_x Σ_{s≤t} F_s(x) (without the rounds' constants), at each checkpoint t.
    pub best: Vec<f64>,
    /// Σ_{s≤t} min_x F_s(x).
    pub dyn_best: Vec<f64>,
    /// The best fixed point of the first t rounds.
    pub comparators: Vec<Vec<f64>>,
    /// P_T = Σ_{t≥2} ‖u_t − u_{t−1}‖ of the per-round minimisers.
    pub path_length: f64,
    /// A certified bound on how far `best` and `dyn_best` can lie above the true minima (the
    /// solver's Frank–Wolfe gaps, summed over rounds for `dyn_best`; 0 for closed forms).
    pub error_bound: f64,
}

fn check_examples(n: usize, d: usize) -> Result<(), ModelError> {
    if n == 0 || n.saturating_mul(d) > MAX_DESIGN {
        return Err(bad("loss.examples", n, "the design's size n·d", format!("1 ..= {MAX_DESIGN} / dim")));
    }
    if n.min(d) > 1000 {
        return Err(bad(
            "loss.examples",
            n,
            "the smoothness constant needs an eigendecomposition of size min(n, d)",
            "min(examples, dim) <= 1000",
        ));
    }
    Ok(())
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// log(1 + e^z) without overflow.
fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// λ_max((1/n)Σ r_i r_iᵀ) through the smaller of the d × d and n × n Gram matrices (same nonzero
/// spectrum), raised by a relative 1e-9 so that it stays an upper bound after rounding.
fn lambda_max(rows: &[f64], n: usize, d: usize) -> f64 {
    let m = if d <= n {
        nalgebra::DMatrix::from_fn(d, d, |a, b| {
            (0..n).map(|i| rows[i * d + a] * rows[i * d + b]).sum::<f64>() / n as f64
        })
    } else {
        nalgebra::DMatrix::from_fn(n, n, |a, b| {
            (0..d).map(|j| rows[a * d + j] * rows[b * d + j]).sum::<f64>() / n as f64
        })
    };
    m.symmetric_eigen().eigenvalues.iter().copied().fold(0.0, f64::max) * (1.0 + 1e-9)
}

fn gaussian(s: &mut crate::rng::Philox) -> f64 {
    use rand_distr::Distribution;
    rand_distr::StandardNormal.sample(s)
}

fn logistic_design(d: usize, n: usize, scale: f64, seed: u64) -> Design {
    let mut s = StreamId::new(crate::rng::cell_key(seed, 0x5ea_1061), 0, Role::Instance).stream();
    let mut rows = Vec::with_capacity(n * d);
    for _ in 0..n {
        let v: Vec<f64> = (0..d).map(|_| gaussian(&mut s)).collect();
        let r = norm2(&v);
        rows.extend(v.iter().map(|x| scale * x / r));
    }
    let lambda_max = lambda_max(&rows, n, d);
    Design { rows, n, lambda_max }
}

fn fourier_design(d: usize, n: usize, p: usize, bandwidth: f64, seed: u64) -> Design {
    let mut s = StreamId::new(crate::rng::cell_key(seed, 0x5ea_f0f0), 0, Role::Instance).stream();
    let w: Vec<f64> = (0..d * p).map(|_| gaussian(&mut s) / bandwidth).collect();
    let b: Vec<f64> = (0..d).map(|_| 2.0 * std::f64::consts::PI * s.open01()).collect();
    let scale = (2.0 / d as f64).sqrt();
    let mut rows = Vec::with_capacity(n * d);
    for _ in 0..n {
        let z: Vec<f64> = (0..p).map(|_| 2.0 * s.open01() - 1.0).collect();
        for j in 0..d {
            rows.push(scale * (dot(&w[j * p..(j + 1) * p], &z) + b[j]).cos());
        }
    }
    let lambda_max = lambda_max(&rows, n, d);
    Design { rows, n, lambda_max }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(sigma: f64, amplitude: f64, period: u64) -> Sequence {
        Sequence { sigma, centre: 0.3, amplitude, period, drift: 0.0, drift_period: 0 }
    }

    fn inst(sigma: f64, amplitude: f64, period: u64) -> SeaInstance {
        SeaInstance::quadratic_ball(3, 1.0, seq(sigma, amplitude, period)).unwrap()
    }

    #[test]
    fn variations_hand_computed() {
        // Alternating ±0.2 on e₂ every round: each flip moves c by 0.4.
        let (s2, big) = inst(0.5, 0.2, 1).variations(10);
        assert!((s2 - 2.5).abs() < 1e-12);
        let c1 = (0.3f64 * 0.3 + 0.2 * 0.2).sqrt();
        assert!((big - ((1.0 + c1).powi(2) + 9.0 * 0.16)).abs() < 1e-12, "{big}");
        // A fixed centre varies only in the first round.
        assert!((inst(0.0, 0.0, 0).variations(100).1 - 1.3f64.powi(2)).abs() < 1e-12);
        // Maxima: σ² every round; the first round's (1 + ‖c_1‖)² beats each flip's 0.16.
        let (s_max, b_max) = inst(0.5, 0.2, 1).maxima(10);
        assert!((s_max - 0.25).abs() < 1e-15 && (b_max - (1.0 + c1).powi(2)).abs() < 1e-12, "{s_max} {b_max}");
        // Linear losses on the simplex: Σ²_1 = ‖c_1‖², then the flips.
        let lin = SeaInstance::new(3, Domain::Simplex { dim: 3 }, Loss::Linear, seq(0.5, 0.2, 1)).unwrap();
        let (s2, big) = lin.variations(10);
        assert!((s2 - 2.5).abs() < 1e-12 && (big - (c1 * c1 + 9.0 * 0.16)).abs() < 1e-12, "{s2} {big}");
    }

    #[test]
    fn noise_has_norm_sigma_and_mean_zero() {
        let i = inst(0.7, 0.0, 0);
        let env = StreamId::new([1, 2], 0, Role::Env);
        let (mut c, mut mean, mut th) = (vec![0.0; 3], vec![0.0; 3], vec![0.0; 3]);
        let mut sum = [0.0; 3];
        for t in 1..=20_000 {
            i.round(&env, t, &mut c, &mut mean, &mut th);
            let noise: Vec<f64> = th.iter().zip(&mean).map(|(a, b)| a - b).collect();
            assert!((norm2(&noise) - 0.7).abs() < 1e-12);
            assert_eq!(mean, vec![-0.3, 0.0, 0.0]);
            for k in 0..3 {
                sum[k] += noise[k];
            }
        }
        // Each coordinate's mean is within 4 s.e. (0.7/√3/√20000) of 0.
        for s in sum {
            assert!((s / 20_000.0).abs() < 4.0 * 0.7 / 3f64.sqrt() / 20_000f64.sqrt());
        }
    }

    /// The logistic and random-feature draws average to θ̄_t (to 4 standard errors per
    /// coordinate), and their empirical E‖n_t‖² matches σ²_t within 3%.
    #[test]
    fn design_families_are_unbiased_with_exact_sigma2() {
        let s = Sequence { sigma: 0.0, centre: 0.8, amplitude: 0.5, period: 1, drift: 0.0, drift_period: 0 };
        let log = SeaInstance::new(
            4,
            Domain::Ball { dim: 4, radius: 1.0 },
            Loss::Logistic { examples: 6, scale: 2.0, seed: 3 },
            s.clone(),
        )
        .unwrap();
        let rf = SeaInstance::new(
            4,
            Domain::Box { dim: 4, lo: -1.0, hi: 1.0 },
            Loss::RandomFeatures { examples: 6, inputs: 2, bandwidth: 1.0, seed: 3 },
            Sequence { sigma: 0.5, ..s },
        )
        .unwrap();
        for i in [log, rf] {
            let env = StreamId::new([5, 6], 0, Role::Env);
            let (mut c, mut mean, mut th) = (vec![0.0; 4], vec![0.0; 4], vec![0.0; 4]);
            let reps = 40_000u64;
            let (mut sum, mut sq, mut sumsq) = (vec![0.0; 4], 0.0, vec![0.0; 4]);
            for r in 0..reps {
                // Round 3 every time (the same θ̄), from different words of the stream.
                let env = StreamId::new([5, 6], r as u32, Role::Env);
                i.round(&env, 3, &mut c, &mut mean, &mut th);
                let n: Vec<f64> = th.iter().zip(&mean).map(|(a, b)| a - b).collect();
                sq += n.iter().map(|v| v * v).sum::<f64>();
                for k in 0..4 {
                    sum[k] += n[k];
                    sumsq[k] += n[k] * n[k];
                }
            }
            let _ = env;
            let s2 = i.sigma2_at(3, &mut c);
            assert!((sq / reps as f64 / s2 - 1.0).abs() < 0.03, "{:?}: {} vs {s2}", i.loss, sq / reps as f64);
            for k in 0..4 {
                let se = (sumsq[k] / reps as f64).sqrt() / (reps as f64).sqrt();
                assert!((sum[k] / reps as f64).abs() < 4.0 * se + 1e-15, "{:?} coordinate {k}", i.loss);
            }
        }
    }

    /// The gradient is the derivative of φ + ⟨θ, ·⟩ (central differences), for every family.
    #[test]
    fn gradients_match_finite_differences() {
        let s = Sequence { sigma: 0.0, centre: 0.4, amplitude: 0.0, period: 0, drift: 0.0, drift_period: 0 };
        let dom = Domain::Ball { dim: 3, radius: 2.0 };
        for loss in [
            Loss::Quadratic,
            Loss::Linear,
            Loss::Logistic { examples: 5, scale: 1.5, seed: 1 },
            Loss::RandomFeatures { examples: 7, inputs: 3, bandwidth: 0.7, seed: 2 },
        ] {
            let i = SeaInstance::new(3, dom.clone(), loss, s.clone()).unwrap();
            let x = [0.3, -0.7, 0.2];
            let theta = [0.1, 0.2, -0.3];
            let mut g = [0.0; 3];
            i.gradient(&x, &theta, &mut g);
            for k in 0..3 {
                let (mut a, mut b) = (x, x);
                a[k] += 1e-6;
                b[k] -= 1e-6;
                let fd = (i.mean_loss(&a, &theta) - i.mean_loss(&b, &theta)) / 2e-6;
                assert!((fd - g[k]).abs() < 1e-7, "{:?}: {fd} vs {}", i.loss, g[k]);
            }
        }
    }

    /// The certified comparator of a design family is no worse than any of 2,000 random points
    /// of the domain, and its certificate is within the tolerance.
    #[test]
    fn certified_comparators_beat_random_points() {
        let s = Sequence { sigma: 0.0, centre: 1.5, amplitude: 0.8, period: 3, drift: 0.0, drift_period: 0 };
        for (loss, dom) in [
            (Loss::Logistic { examples: 8, scale: 2.0, seed: 4 }, Domain::Ball { dim: 3, radius: 1.0 }),
            (Loss::RandomFeatures { examples: 9, inputs: 2, bandwidth: 0.5, seed: 4 }, Domain::Simplex { dim: 3 }),
            (
                Loss::RandomFeatures { examples: 9, inputs: 2, bandwidth: 0.5, seed: 4 },
                Domain::Box { dim: 3, lo: -0.5, hi: 0.5 },
            ),
        ] {
            let i = SeaInstance::new(3, dom.clone(), loss, s.clone()).unwrap();
            let th = i.theory(&[10, 50]);
            assert!(th.error_bound <= 50.0 * SOLVE_TOL, "{}", th.error_bound);
            let mut mean = vec![0.0; 3];
            let mut c = vec![0.0; 3];
            let total = |x: &[f64], c: &mut Vec<f64>, mean: &mut Vec<f64>| {
                (1..=50)
                    .map(|t| {
                        i.mean_theta(t, c, mean);
                        i.mean_loss(x, mean)
                    })
                    .sum::<f64>()
            };
            let best = total(&th.comparators[1], &mut c, &mut mean);
            assert!((best - th.best[1]).abs() < 1e-9, "{best} vs {}", th.best[1]);
            // An independent certificate: the Frank–Wolfe gap of Σ_t F_t at the comparator,
            // from the summed gradients and the domain's LMO, bounds its suboptimality.
            let u = &th.comparators[1];
            let mut grad = vec![0.0; 3];
            for t in 1..=50 {
                i.mean_theta(t, &mut c, &mut mean);
                let mut g = vec![0.0; 3];
                i.gradient(u, &mean, &mut g);
                grad.iter_mut().zip(&g).for_each(|(a, b)| *a += b);
            }
            let mut s_lmo = vec![0.0; 3];
            dom.lmo(&grad, &mut s_lmo);
            let gap: f64 = grad.iter().zip(u).zip(&s_lmo).map(|((g, x), y)| g * (x - y)).sum();
            assert!(gap <= 1e-8, "{:?} on {:?}: gap {gap}", i.loss, dom);
            let mut s = StreamId::new([9, 9], 0, Role::Env).stream();
            for _ in 0..2000 {
                let mut x: Vec<f64> = (0..3).map(|_| 2.0 * s.open01() - 1.0).collect();
                dom.project(&mut x);
                assert!(total(&x, &mut c, &mut mean) >= best - 1e-9);
            }
        }
    }

    #[test]
    fn comparator_minimises_the_mean_loss() {
        let i = inst(0.0, 0.8, 3);
        let th = i.theory(&[50]);
        let u = &th.comparators[0];
        let (mut c, mut mean) = (vec![0.0; 3], vec![0.0; 3]);
        let total = |x: &[f64], c: &mut Vec<f64>, mean: &mut Vec<f64>| {
            (1..=50)
                .map(|t| {
                    i.mean_theta(t, c, mean);
                    i.mean_loss(x, mean)
                })
                .sum::<f64>()
        };
        let best = total(u, &mut c, &mut mean);
        assert!((best - th.best[0]).abs() < 1e-12);
        for d in [[0.01, 0.0, 0.0], [-0.01, 0.0, 0.0], [0.0, 0.01, 0.0], [0.0, -0.01, 0.0]] {
            let mut x: Vec<f64> = u.iter().zip(d).map(|(a, b)| a + b).collect();
            i.domain.project(&mut x);
            assert!(total(&x, &mut c, &mut mean) >= best - 1e-12);
        }
    }

    #[test]
    fn bad_parameters_name_the_field() {
        let base = Sequence { sigma: 0.1, centre: 0.0, amplitude: 0.0, period: 0, drift: 0.0, drift_period: 0 };
        let q = |r: f64, s: Sequence| SeaInstance::quadratic_ball(3, r, s).unwrap_err().to_string();
        assert!(q(0.0, base.clone()).contains("radius"));
        assert!(q(1.0, Sequence { sigma: -1.0, ..base.clone() }).contains("sigma = -1"));
        assert!(q(1.0, Sequence { drift: 0.5, ..base.clone() }).contains("drift_period = 0"));
        assert!(SeaInstance::quadratic_ball(1, 1.0, base.clone()).unwrap_err().to_string().contains("dim = 1"));
        let log = |l: Loss, s: Sequence| {
            SeaInstance::new(3, Domain::Ball { dim: 3, radius: 1.0 }, l, s).unwrap_err().to_string()
        };
        assert!(log(Loss::Logistic { examples: 4, scale: 1.0, seed: 0 }, base.clone()).contains("sigma = 0.1"));
        assert!(
            log(Loss::Logistic { examples: 0, scale: 1.0, seed: 0 }, Sequence { sigma: 0.0, ..base.clone() })
                .contains("loss.examples = 0")
        );
        assert!(
            log(Loss::RandomFeatures { examples: 4, inputs: 2, bandwidth: 0.0, seed: 0 }, base.clone())
                .contains("loss.bandwidth = 0")
        );
        assert!(
            log(Loss::RandomFeatures { examples: 4, inputs: 0, bandwidth: 1.0, seed: 0 }, base)
                .contains("loss.inputs = 0")
        );
    }
}
