//! Learners for the SEA model. Euclidean ones work on every domain (projected updates); the
//! entropic ones need the simplex; optimistic ONS needs the ball.
//!
//! - **Optimistic OMD** (Chen et al. 2023, Alg. 1 with ψ = ½‖·‖²):
//!   x_t = Π(x̂_t − η_t M_t), x̂_{t+1} = Π(x̂_t − η_t ∇f_t(x_t)), M_t = ∇f_{t−1}(x_{t−1}) (M_1 = 0).
//!   Convex-smooth tuning (their Thm 1): η_t = D/√(δ + 4G² + V̄_{t−1}),
//!   V̄_{t−1} = Σ_{s<t} ‖∇f_s(x_s) − ∇f_{s−1}(x_{s−1})‖². Strongly convex tuning: η_t = 1/(λt).
//! - **Optimistic OMD with perfect hints**: M_t = ∇f_t(x_t), which makes the first step implicit:
//!   x_t = argmin_X η f_t(x) + ½‖x − x̂_t‖². For quadratics it is Π((x̂_t + ηξ_t)/(1 + η)), for
//!   linear losses an explicit step, otherwise the fixed point of x ↦ Π(x̂_t − η∇f_t(x)), a
//!   contraction because ηL ≤ 0.9 is required.
//! - **Optimistic OMD for dynamic regret** with a known path length P_T = Σ‖u_t − u_{t−1}‖ of the
//!   per-round minimisers: η_t = √(D² + 2D·P_T)/√(δ + 4G² + V̄_{t−1}), which balances the
//!   (D² + 2D·P_T)/η + η·Σ‖∇f_t − M_t‖² terms of OMD's dynamic-regret bound, capped at 1/(4L).
//! - **The parameter-free meta-learner for dynamic regret** (Chen et al. 2023, §5; the two-layer
//!   structure of Zhao et al. 2020/2024): N base learners, optimistic OMD with fixed steps
//!   η_i = η_min·2^{i−1} covering [D/√(δ + 4G²(1 + T)), min(1/(4L), D√(1 + 2T)/√(δ + 4G²))] — the
//!   range of the tuned step above for every P_T ∈ [0, DT] — all fed the combined decision's
//!   gradient g_t = ∇f_t(x_t) and hint M_t = g_{t−1} (one gradient per round). The meta-learner
//!   is optimistic Hedge on the linearised losses ℓ_{t,i} = ⟨g_t, x_{t,i}⟩ with optimism
//!   m_{t,i} = ⟨M_t, x_{t,i}⟩: p_{t,i} ∝ exp(−ε_t(Σ_{s<t} ℓ_{s,i} + m_{t,i})),
//!   ε_t = √(ln N)/√(4B² + Σ_{s<t} max_i (ℓ_{s,i} − m_{s,i})²), B = G·max‖x‖; x_t = Σ p_{t,i}x_{t,i}.
//!   Our reading: the paper's meta-learner also adds stability corrections to the surrogate
//!   losses, which are left out here; the grid needs T, not P_T.
//! - **Optimistic FTRL** (Sachs et al. 2022, Thm 4 form with ψ = ½‖·‖²):
//!   x_t = argmin_{x∈X} ⟨Σ_{s<t}∇f_s(x_s) + M_t, x⟩ + ‖x‖²/(2η_t) = Π(−η_t(Σ_{s<t}∇f_s + M_t)),
//!   M_t = ∇f_{t−1}(x_{t−1}), with the same adaptive η_t = D/√(δ + 4G² + V̄_{t−1}).
//! - **Optimistic ONS** (exp-concave losses; the time-varying ψ_t = ½‖x‖²_{A_t} of Chen et al.
//!   2023, §4.3; Hazan et al. 2007): A_t = εI + Σ_{s≤t} ∇f_s∇f_sᵀ (ε = 1/(γD)² by default),
//!   x_t = Π^{A_{t−1}}(x̂_t − A_{t−1}⁻¹M_t/γ), x̂_{t+1} = Π^{A_t}(x̂_t − A_t⁻¹∇f_t/γ), with
//!   γ = ½·min(1/(4GD), α) with the family's exp-concavity α ([`SeaInstance::exp_concavity`]:
//!   1/G² for the quadratics), and Π^A the projection in the A-norm (for the ball:
//!   x(μ) = (A + μI)⁻¹A·y with ‖x(μ)‖ = R, found by bisection on μ in A's eigenbasis).
//! - **ONS** (Hazan et al. 2007), the baseline: the same with M_t = 0, so x_t = x̂_t.
//! - **Hedge** on the simplex: x_t ∝ exp(−η_t Σ_{s<t}∇f_s(x_s)), with a fixed η or
//!   η_t = √(ln d)/√(G² + Σ_{s<t}‖∇f_s‖²_∞). With a fixed η this is entropic OMD exactly; with a
//!   decreasing η it is written in this dual-averaging (FTRL) form because entropic OMD with a
//!   decreasing step can have linear regret (Orabona & Pál 2018), and because weights kept as
//!   probabilities underflow to 0 and never recover.
//! - **Optimistic Hedge**: the entropic ψ (D² = ln d, dual norm ℓ∞) with the hint in the same
//!   form, x_t ∝ exp(−η_t(Σ_{s<t}∇f_s + M_t)), η_t = √(ln d)/√(δ + 4G² + Σ_{s<t}‖∇f_s − M_s‖²_∞).
//! - **OGD** (Zinkevich 2003): x_{t+1} = Π(x_t − η_t∇f_t(x_t)), η_t = D/(G√t); strongly convex:
//!   η_t = 1/(λt) (Hazan et al. 2007).

use super::model::{SeaInstance, Theory};
use crate::engine::Checkpoints;
use crate::oco::{Domain, norm2};

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Algorithm {
    Oomd {
        delta: f64,
    },
    OomdDynamic {
        delta: f64,
        path_length: f64,
    },
    OomdMeta {
        delta: f64,
    },
    OomdStronglyConvex {
        lambda: f64,
    },
    OomdPerfectHints {
        eta: f64,
    },
    OptimisticFtrl {
        delta: f64,
    },
    OptimisticOns {
        epsilon: f64,
    },
    /// Online Newton step (Hazan et al. 2007): optimistic ONS without the hint.
    Ons {
        epsilon: f64,
    },
    Ogd,
    OgdStronglyConvex {
        lambda: f64,
    },
    /// `eta` = 0: the adaptive step.
    Hedge {
        eta: f64,
    },
    OptimisticHedge {
        delta: f64,
    },
}

impl Algorithm {
    /// The domain the learner needs, if it cannot run on every one.
    pub fn needs(&self) -> Option<&'static str> {
        match self {
            Algorithm::Hedge { .. } | Algorithm::OptimisticHedge { .. } => Some("simplex"),
            Algorithm::OptimisticOns { .. } | Algorithm::Ons { .. } => Some("ball"),
            _ => None,
        }
    }
}

/// The base learners and the optimistic Hedge of [`Algorithm::OomdMeta`].
struct Meta {
    etas: Vec<f64>,
    hats: Vec<Vec<f64>>,
    xs: Vec<Vec<f64>>,
    cum: Vec<f64>,
    hint_loss: Vec<f64>,
    var: f64,
    scale: f64,
    p: Vec<f64>,
}

impl Meta {
    fn new(inst: &SeaInstance, delta: f64, horizon: u64) -> Meta {
        let (diam, g, l) = (inst.domain.diameter(), inst.gradient_bound(), inst.smoothness());
        let tf = horizon as f64;
        let lo = diam / (delta + 4.0 * g * g * (1.0 + tf)).sqrt();
        let mut hi = diam * (1.0 + 2.0 * tf).sqrt() / (delta + 4.0 * g * g).sqrt();
        if l > 0.0 {
            hi = hi.min(0.25 / l);
        }
        let lo = lo.min(hi);
        let n = if hi > lo { 1 + (hi / lo).log2().ceil() as usize } else { 1 };
        let etas: Vec<f64> = (0..n).map(|i| (lo * 2f64.powi(i as i32)).min(hi.max(lo))).collect();
        let c = inst.domain.centre();
        let b = g * inst.domain.max_norm();
        Meta {
            hats: vec![c.clone(); n],
            xs: vec![c; n],
            cum: vec![0.0; n],
            hint_loss: vec![0.0; n],
            var: 0.0,
            scale: 4.0 * b * b,
            p: vec![1.0 / n as f64; n],
            etas,
        }
    }

    fn play(&mut self, dom: &Domain, hint: &[f64], x: &mut [f64]) {
        let n = self.etas.len();
        for i in 0..n {
            let eta = self.etas[i];
            for ((xv, &h), &m) in self.xs[i].iter_mut().zip(&self.hats[i]).zip(hint) {
                *xv = h - eta * m;
            }
            dom.project(&mut self.xs[i]);
            self.hint_loss[i] = dot(hint, &self.xs[i]);
        }
        let eps = (n as f64).ln().sqrt() / (self.scale + self.var).sqrt();
        let score: Vec<f64> = (0..n).map(|i| -eps * (self.cum[i] + self.hint_loss[i])).collect();
        let top = score.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = score.iter().map(|s| (s - top).exp()).sum();
        for (p, s) in self.p.iter_mut().zip(&score) {
            *p = (s - top).exp() / z;
        }
        x.iter_mut().for_each(|v| *v = 0.0);
        for i in 0..n {
            x.iter_mut().zip(&self.xs[i]).for_each(|(v, b)| *v += self.p[i] * b);
        }
    }

    fn update(&mut self, dom: &Domain, g: &[f64]) {
        let mut worst: f64 = 0.0;
        for i in 0..self.etas.len() {
            let l = dot(g, &self.xs[i]);
            worst = worst.max((l - self.hint_loss[i]).abs());
            self.cum[i] += l;
            let eta = self.etas[i];
            self.hats[i].iter_mut().zip(g).for_each(|(h, gv)| *h -= eta * gv);
            dom.project(&mut self.hats[i]);
        }
        self.var += worst * worst;
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn sup_norm_sq(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max).powi(2)
}

/// Runs `algo` on the sequence drawn from `env` up to the theory's last checkpoint, calling
/// `record(t, [static regret, dynamic regret])` at each checkpoint t of `th`.
///
/// Regret is measured against the best fixed point u_t of the first t rounds' mean losses, and
/// the dynamic regret against the per-round minimisers. With n_s = θ_s − θ̄_s, the realised
/// regret is Σ[F_s(x_s) − F_s(u)] + Σ⟨n_s, x_s⟩ − ⟨Σn_s, u⟩. When x_s is chosen before θ_s is
/// drawn the noise terms have mean zero and are left out (a lower-variance unbiased estimate of
/// the expected regret); with perfect hints x_s depends on θ_s and Σ⟨n_s, x_s⟩ is kept (with
/// −⟨Σn_s, u_t⟩ for the static regret, mean zero but correlated with it).
pub fn run(
    inst: &SeaInstance,
    th: &Theory,
    algo: &Algorithm,
    env: &crate::rng::StreamId,
    mut record: impl FnMut(u64, [f64; 2]),
) {
    let d = inst.dim;
    let dom: &Domain = &inst.domain;
    let horizon = th.grid.last().copied().unwrap_or(0);
    let (diam, g_max, l_smooth) = (dom.diameter(), inst.gradient_bound(), inst.smoothness());
    let mut hat = dom.centre();
    let mut x = dom.centre();
    let mut hint = vec![0.0; d];
    let (mut g, mut gp) = (vec![0.0; d], vec![0.0; d]);
    let (mut c, mut theta, mut mean) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
    let mut v_bar = 0.0;
    let mut grad_sum = vec![0.0; d];
    let mut ons = match *algo {
        Algorithm::OptimisticOns { epsilon } | Algorithm::Ons { epsilon } => {
            let gamma = 0.5 * (1.0 / (4.0 * g_max * diam)).min(inst.exp_concavity());
            let eps = if epsilon > 0.0 { epsilon } else { 1.0 / (gamma * diam).powi(2) };
            Some(Ons::new(d, eps, gamma))
        }
        _ => None,
    };
    let mut meta = match *algo {
        Algorithm::OomdMeta { delta } => Some(Meta::new(inst, delta, horizon)),
        _ => None,
    };
    let radius = match *dom {
        Domain::Ball { radius, .. } => radius,
        _ => 0.0,
    };
    let ln_d = (d as f64).ln();
    let mut loss = 0.0;
    let implicit = matches!(algo, Algorithm::OomdPerfectHints { .. });
    let (mut noise_sum, mut noise_x) = (vec![0.0; d], 0.0);
    let mut cps = Checkpoints::new(&th.grid);
    let mut step = vec![0.0; d];
    for t in 1..=horizon {
        let tf = t as f64;
        inst.round(env, t, &mut c, &mut mean, &mut theta);
        let eta = match *algo {
            Algorithm::Oomd { delta } | Algorithm::OptimisticFtrl { delta } => {
                diam / (delta + 4.0 * g_max * g_max + v_bar).sqrt()
            }
            Algorithm::OomdDynamic { delta, path_length } => {
                let e = (diam * diam + 2.0 * diam * path_length).sqrt() / (delta + 4.0 * g_max * g_max + v_bar).sqrt();
                if l_smooth > 0.0 { e.min(0.25 / l_smooth) } else { e }
            }
            Algorithm::OomdStronglyConvex { lambda } | Algorithm::OgdStronglyConvex { lambda } => 1.0 / (lambda * tf),
            Algorithm::OomdPerfectHints { eta } => eta,
            Algorithm::Ogd => diam / (g_max * tf.sqrt()),
            Algorithm::Hedge { eta } => {
                if eta > 0.0 {
                    eta
                } else {
                    ln_d.sqrt() / (g_max * g_max + v_bar).sqrt()
                }
            }
            Algorithm::OptimisticHedge { delta } => ln_d.sqrt() / (delta + 4.0 * g_max * g_max + v_bar).sqrt(),
            Algorithm::OptimisticOns { .. } | Algorithm::Ons { .. } | Algorithm::OomdMeta { .. } => 0.0,
        };
        match algo {
            Algorithm::Oomd { .. } | Algorithm::OomdDynamic { .. } | Algorithm::OomdStronglyConvex { .. } => {
                for ((xv, &h), &m) in x.iter_mut().zip(&hat).zip(&hint) {
                    *xv = h - eta * m;
                }
                dom.project(&mut x);
            }
            Algorithm::OomdPerfectHints { .. } => implicit_step(inst, &hat, &theta, eta, &mut x, &mut gp),
            Algorithm::OptimisticFtrl { .. } => {
                for ((xv, &gs), &m) in x.iter_mut().zip(&grad_sum).zip(&hint) {
                    *xv = -eta * (gs + m);
                }
                dom.project(&mut x);
            }
            Algorithm::OptimisticOns { .. } => {
                let o = ons.as_ref().expect("ONS state exists for optimistic_ons");
                o.solve(&hint, &mut step);
                for ((xv, &h), &v) in x.iter_mut().zip(&hat).zip(&step) {
                    *xv = h - v / o.gamma;
                }
                o.project(&mut x, radius);
            }
            // Without a hint the play is x̂_t itself, already in the ball.
            Algorithm::Ons { .. } => x.copy_from_slice(&hat),
            Algorithm::OomdMeta { .. } => {
                meta.as_mut().expect("meta state exists for oomd_meta").play(dom, &hint, &mut x)
            }
            Algorithm::OptimisticHedge { .. } => exp_weights(&grad_sum, Some(&hint), eta, &mut x),
            Algorithm::Hedge { .. } => exp_weights(&grad_sum, None, eta, &mut x),
            Algorithm::Ogd | Algorithm::OgdStronglyConvex { .. } => {}
        }
        inst.gradient(&x, &theta, &mut g);
        loss += inst.mean_loss(&x, &mean);
        if implicit {
            for i in 0..d {
                let n = theta[i] - mean[i];
                noise_sum[i] += n;
                noise_x += n * x[i];
            }
        }
        if let Some(k) = cps.hit(t) {
            let mut regret = loss - th.best[k];
            let mut dynamic = loss - th.dyn_best[k];
            if implicit {
                regret += noise_x - dot(&noise_sum, &th.comparators[k]);
                dynamic += noise_x;
            }
            record(t, [regret, dynamic]);
        }
        match algo {
            Algorithm::Oomd { .. }
            | Algorithm::OomdDynamic { .. }
            | Algorithm::OomdStronglyConvex { .. }
            | Algorithm::OomdPerfectHints { .. } => {
                for (h, &gv) in hat.iter_mut().zip(&g) {
                    *h -= eta * gv;
                }
                dom.project(&mut hat);
                v_bar += g.iter().zip(&hint).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
            }
            Algorithm::OptimisticFtrl { .. } => {
                grad_sum.iter_mut().zip(&g).for_each(|(s, v)| *s += v);
                v_bar += g.iter().zip(&hint).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
            }
            Algorithm::OptimisticOns { .. } | Algorithm::Ons { .. } => {
                let o = ons.as_mut().expect("ONS state exists for optimistic_ons");
                o.add(&g);
                o.solve(&g, &mut step);
                for (h, &v) in hat.iter_mut().zip(&step) {
                    *h -= v / o.gamma;
                }
                o.project(&mut hat, radius);
            }
            Algorithm::OomdMeta { .. } => meta.as_mut().expect("meta state exists for oomd_meta").update(dom, &g),
            Algorithm::Ogd | Algorithm::OgdStronglyConvex { .. } => {
                for (xv, &gv) in x.iter_mut().zip(&g) {
                    *xv -= eta * gv;
                }
                dom.project(&mut x);
            }
            Algorithm::Hedge { .. } => {
                grad_sum.iter_mut().zip(&g).for_each(|(s, v)| *s += v);
                v_bar += g.iter().fold(0.0f64, |m, v| m.max(v.abs())).powi(2);
            }
            Algorithm::OptimisticHedge { .. } => {
                grad_sum.iter_mut().zip(&g).for_each(|(s, v)| *s += v);
                v_bar += sup_norm_sq(&g, &hint);
            }
        }
        hint.copy_from_slice(&g);
    }
}

/// x_i ∝ exp(−η(L_i + M_i)) on the simplex, by log-sum-exp (no weight is ever stored).
fn exp_weights(cum: &[f64], hint: Option<&[f64]>, eta: f64, out: &mut [f64]) {
    for (i, (o, &l)) in out.iter_mut().zip(cum).enumerate() {
        *o = -eta * (l + hint.map_or(0.0, |h| h[i]));
    }
    let top = out.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut z = 0.0;
    for o in out.iter_mut() {
        *o = (*o - top).exp();
        z += *o;
    }
    out.iter_mut().for_each(|o| *o /= z);
}

/// x = argmin_X η(φ(x) + ⟨θ, x⟩) + ½‖x − x̂‖² (`scratch` of length d).
fn implicit_step(inst: &SeaInstance, hat: &[f64], theta: &[f64], eta: f64, x: &mut [f64], scratch: &mut [f64]) {
    use super::model::Loss;
    match inst.loss {
        Loss::Quadratic => {
            for ((xv, &h), &th) in x.iter_mut().zip(hat).zip(theta) {
                *xv = (h - eta * th) / (1.0 + eta);
            }
            inst.domain.project(x);
        }
        Loss::Linear => {
            for ((xv, &h), &th) in x.iter_mut().zip(hat).zip(theta) {
                *xv = h - eta * th;
            }
            inst.domain.project(x);
        }
        // Projected gradient with step 1 on the ηL-smooth part plus the ½‖x − x̂‖² term: a
        // contraction with factor ηL < 1 (the spec requires it).
        Loss::Logistic { .. } | Loss::RandomFeatures { .. } => {
            // After a step that moved x by δ the fixed point is within δ·ρ/(1 − ρ), ρ = ηL.
            let rho = eta * inst.smoothness();
            let factor = rho / (1.0 - rho).max(1e-300);
            x.copy_from_slice(hat);
            for _ in 0..IMPLICIT_MAX_ITER {
                inst.gradient(x, theta, scratch);
                for (s, &h) in scratch.iter_mut().zip(hat) {
                    *s = h - eta * *s;
                }
                inst.domain.project(scratch);
                let mut change: f64 = 0.0;
                for (xv, &s) in x.iter_mut().zip(scratch.iter()) {
                    change = change.max((s - *xv).abs());
                    *xv = s;
                }
                if change * factor <= 1e-13 * (1.0 + norm2(x)) {
                    break;
                }
            }
        }
    }
}

/// With ηL ≤ [`MAX_IMPLICIT_RHO`] = 0.9 the implicit step's error shrinks by 0.9 per
/// iteration, so 1e-13 (relative) is reached within 400 iterations from any start in a domain
/// of diameter up to 10^4.
pub const IMPLICIT_MAX_ITER: usize = 400;
/// The largest ηL the spec accepts for perfect hints on a design family.
pub const MAX_IMPLICIT_RHO: f64 = 0.9;

/// The ONS matrix A = εI + Σ g gᵀ with solves and A-norm projections onto the ball.
struct Ons {
    a: nalgebra::DMatrix<f64>,
    gamma: f64,
}

impl Ons {
    fn new(d: usize, epsilon: f64, gamma: f64) -> Ons {
        Ons { a: nalgebra::DMatrix::identity(d, d) * epsilon, gamma }
    }

    fn add(&mut self, g: &[f64]) {
        let v = nalgebra::DVector::from_column_slice(g);
        self.a += &v * v.transpose();
    }

    /// A⁻¹v into `out` (A is symmetric positive definite: Cholesky).
    fn solve(&self, v: &[f64], out: &mut [f64]) {
        let b = nalgebra::DVector::from_column_slice(v);
        match self.a.clone().cholesky() {
            Some(c) => out.iter_mut().zip(c.solve(&b).iter()).for_each(|(o, s)| *o = *s),
            None => out.copy_from_slice(v),
        }
    }

    /// argmin_{‖x‖ ≤ R} (x − y)ᵀA(x − y), in place.
    fn project(&self, y: &mut [f64], radius: f64) {
        if norm2(y) <= radius {
            return;
        }
        let eig = self.a.clone().symmetric_eigen();
        let z = eig.eigenvectors.transpose() * nalgebra::DVector::from_column_slice(y);
        let norm = |mu: f64| {
            z.iter().zip(eig.eigenvalues.iter()).map(|(zi, l)| (l / (l + mu) * zi).powi(2)).sum::<f64>().sqrt()
        };
        let (mut lo, mut hi) = (0.0, 1.0);
        while norm(hi) > radius {
            hi *= 2.0;
        }
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if norm(mid) > radius { lo = mid } else { hi = mid }
        }
        let w: nalgebra::DVector<f64> = nalgebra::DVector::from_iterator(
            z.len(),
            z.iter().zip(eig.eigenvalues.iter()).map(|(zi, l)| l / (l + hi) * zi),
        );
        let x = &eig.eigenvectors * w;
        y.iter_mut().zip(x.iter()).for_each(|(a, b)| *a = *b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Role, StreamId};
    use crate::settings::sea::model::{Loss, Sequence};

    /// Entropic OMD with a fixed step is Hedge: on deterministic linear losses its cumulative
    /// loss equals Σ_t ⟨c_t, x_t⟩ with x_t ∝ exp(−η Σ_{s<t} c_s), at every round.
    #[test]
    fn entropic_omd_is_hedge() {
        let s = Sequence { sigma: 0.0, centre: -0.1, amplitude: 0.5, period: 3, drift: 0.3, drift_period: 7 };
        let i = SeaInstance::new(4, Domain::Simplex { dim: 4 }, Loss::Linear, s).unwrap();
        let th = i.theory(&(1..=60).collect::<Vec<_>>());
        let env = StreamId::new([1, 2], 0, Role::Env);
        let eta = 0.7;
        let mut got = Vec::new();
        run(&i, &th, &Algorithm::Hedge { eta }, &env, |t, r| got.push((t, r[0])));
        let (mut cum, mut loss, mut c) = ([0.0; 4], 0.0, [0.0; 4]);
        for (k, &(t, regret)) in got.iter().enumerate() {
            i.centre_at(t, &mut c);
            let w: Vec<f64> = cum.iter().map(|v: &f64| (-eta * v).exp()).collect();
            let z: f64 = w.iter().sum();
            loss += w.iter().zip(&c).map(|(a, b)| a / z * b).sum::<f64>();
            cum.iter_mut().zip(&c).for_each(|(a, b)| *a += b);
            assert!((regret - (loss - th.best[k])).abs() < 1e-12, "round {t}: {regret} vs {}", loss - th.best[k]);
        }
    }
}
