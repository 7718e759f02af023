//! Learners for the SEA model on the ball, each a projected (Euclidean mirror map) update.
//!
//! - **Optimistic OMD** (Chen et al. 2023, Alg. 1 with ψ = ½‖·‖²):
//!   x_t = Π(x̂_t − η_t M_t), x̂_{t+1} = Π(x̂_t − η_t ∇f_t(x_t)), M_t = ∇f_{t−1}(x_{t−1}) (M_1 = 0).
//!   Convex-smooth tuning (their Thm 1): η_t = D/√(δ + 4G² + V̄_{t−1}),
//!   V̄_{t−1} = Σ_{s<t} ‖∇f_s(x_s) − ∇f_{s−1}(x_{s−1})‖². Strongly convex tuning: η_t = 1/(λt).
//! - **Optimistic OMD with perfect hints**: M_t = ∇f_t(x_t), which makes the first step implicit;
//!   for these quadratics it is the proximal step x_t = Π((x̂_t + ηξ_t)/(1 + η)), constant η.
//! - **Optimistic OMD for dynamic regret** with a known path length P_T = Σ‖u_t − u_{t−1}‖ of the
//!   per-round minimisers u_t = Π(c_t): η_t = √(D² + 2D·P_T)/√(δ + 4G² + V̄_{t−1}), which balances
//!   the (D² + 2D·P_T)/η + η·Σ‖∇f_t − M_t‖² terms of OMD's dynamic-regret bound, capped at 1/(4L)
//!   for these 1-smooth losses (Chen et al. 2023,
//!   §5, obtain the same rate without knowing P_T by running a meta-learner over step sizes; that
//!   meta-learner is not built here).
//! - **Optimistic FTRL** (Sachs et al. 2022, Thm 4 form with ψ = ½‖·‖² centred at the ball's
//!   centre): x_t = argmin_{x∈X} ⟨Σ_{s<t}∇f_s(x_s) + M_t, x⟩ + ‖x‖²/(2η_t) = Π(−η_t(Σ_{s<t}∇f_s + M_t)),
//!   M_t = ∇f_{t−1}(x_{t−1}), with the same adaptive η_t = D/√(δ + 4G² + V̄_{t−1}).
//! - **Optimistic ONS** (exp-concave losses; the time-varying ψ_t = ½‖x‖²_{A_t} of Chen et al.
//!   2023, §4.3; Hazan et al. 2007): A_t = εI + Σ_{s≤t} ∇f_s∇f_sᵀ (ε = 1/(γD)² by default), x_t = Π^{A_{t−1}}(x̂_t − A_{t−1}⁻¹M_t/γ),
//!   x̂_{t+1} = Π^{A_t}(x̂_t − A_t⁻¹∇f_t/γ), with γ = ½·min(1/(4GD), α) and Π^A the projection in
//!   the A-norm (for the ball: x(μ) = (A + μI)⁻¹A·y with ‖x(μ)‖ = R, found by bisection on μ in
//!   A's eigenbasis). ½‖x − ξ‖² is α-exp-concave on the ball with α = 1/G².
//! - **OGD** (Zinkevich 2003): x_{t+1} = Π(x_t − η_t∇f_t(x_t)), η_t = D/(G√t); strongly convex:
//!   η_t = 1/(λt) (Hazan et al. 2007).

use super::model::SeaInstance;
use crate::oco::Domain;

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Algorithm {
    Oomd { delta: f64 },
    OomdDynamic { delta: f64, path_length: f64 },
    OomdStronglyConvex { lambda: f64 },
    OomdPerfectHints { eta: f64 },
    OptimisticFtrl { delta: f64 },
    OptimisticOns { epsilon: f64 },
    Ogd,
    OgdStronglyConvex { lambda: f64 },
}

/// Runs `algo` for `horizon` rounds on the sequence drawn from `env`, calling
/// `record(t, [static regret, dynamic regret])`
/// after each round with the regret against the best fixed point u_t = Π(c̄_t) of the first t
/// rounds' mean losses. With n_s = ξ_s − c_s, the realised regret is
/// Σ[F̃_s(x_s) − F̃_s(u_t)] − Σ⟨n_s, x_s⟩ + ⟨Σn_s, u_t⟩ (F̃_s = ½‖· − c_s‖²). When x_s is chosen
/// before ξ_s is drawn the noise terms have mean zero and are left out (a lower-variance unbiased
/// estimate of the expected regret); with perfect hints x_s depends on ξ_s and they are kept.
/// The dynamic regret compares with the per-round minimisers Π(c_s) in the same way.
pub fn run(inst: &SeaInstance, algo: &Algorithm, horizon: u64, env: &crate::rng::StreamId, mut record: impl FnMut(u64, [f64; 2])) {
    let d = inst.dim;
    let dom: Domain = inst.domain();
    let (diam, g_max) = (dom.diameter(), inst.gradient_bound());
    let mut hat = dom.centre();
    let mut x = dom.centre();
    let mut hint = vec![0.0; d];
    let mut g = vec![0.0; d];
    let (mut xi, mut c) = (vec![0.0; d], vec![0.0; d]);
    let mut v_bar = 0.0;
    let mut grad_sum = vec![0.0; d];
    let ons_gamma = 0.5 * (1.0 / (4.0 * g_max * diam)).min(1.0 / (g_max * g_max));
    let ons_eps = match *algo {
        Algorithm::OptimisticOns { epsilon } if epsilon > 0.0 => epsilon,
        _ => 1.0 / (ons_gamma * diam).powi(2),
    };
    let mut ons = Ons::new(d, ons_eps, ons_gamma);
    // Running sums for the comparator of the first t rounds.
    let (mut c_sum, mut c_sq, mut loss) = (vec![0.0; d], 0.0, 0.0);
    let implicit = matches!(algo, Algorithm::OomdPerfectHints { .. });
    let (mut noise_sum, mut noise_x) = (vec![0.0; d], 0.0);
    let (mut dyn_best, mut noise_u) = (0.0, 0.0);
    let (mut u, mut mean, mut ut) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
    for t in 1..=horizon {
        let tf = t as f64;
        inst.draw(env, t, &mut xi);
        inst.centre_at(t, &mut c);
        let eta = match *algo {
            Algorithm::Oomd { delta } | Algorithm::OptimisticFtrl { delta } => diam / (delta + 4.0 * g_max * g_max + v_bar).sqrt(),
            // Capped at 1/(4L) (L = 1 here), the largest step the optimistic analysis for smooth losses allows.
            Algorithm::OomdDynamic { delta, path_length } => ((diam * diam + 2.0 * diam * path_length).sqrt() / (delta + 4.0 * g_max * g_max + v_bar).sqrt()).min(0.25),
            Algorithm::OomdStronglyConvex { lambda } | Algorithm::OgdStronglyConvex { lambda } => 1.0 / (lambda * tf),
            Algorithm::OomdPerfectHints { eta } => eta,
            Algorithm::OptimisticOns { .. } => 0.0,
            Algorithm::Ogd => diam / (g_max * tf.sqrt()),
        };
        match algo {
            Algorithm::Oomd { .. } | Algorithm::OomdDynamic { .. } | Algorithm::OomdStronglyConvex { .. } => {
                for ((xv, &h), &m) in x.iter_mut().zip(&hat).zip(&hint) {
                    *xv = h - eta * m;
                }
                dom.project(&mut x);
            }
            Algorithm::OomdPerfectHints { .. } => {
                for ((xv, &h), &z) in x.iter_mut().zip(&hat).zip(&xi) {
                    *xv = (h + eta * z) / (1.0 + eta);
                }
                dom.project(&mut x);
            }
            Algorithm::OptimisticFtrl { .. } => {
                for ((xv, &gs), &m) in x.iter_mut().zip(&grad_sum).zip(&hint) {
                    *xv = -eta * (gs + m);
                }
                dom.project(&mut x);
            }
            Algorithm::OptimisticOns { .. } => {
                let step = ons.solve(&hint);
                for ((xv, &h), &v) in x.iter_mut().zip(&hat).zip(&step) {
                    *xv = h - v / ons.gamma;
                }
                ons.project(&mut x, inst.radius);
            }
            Algorithm::Ogd | Algorithm::OgdStronglyConvex { .. } => {}
        }
        for ((gv, &xv), &z) in g.iter_mut().zip(&x).zip(&xi) {
            *gv = xv - z;
        }
        loss += SeaInstance::mean_loss(&x, &c);
        ut.copy_from_slice(&c);
        dom.project(&mut ut);
        dyn_best += SeaInstance::mean_loss(&ut, &c);
        c_sum.iter_mut().zip(&c).for_each(|(s, v)| *s += v);
        c_sq += c.iter().map(|v| v * v).sum::<f64>();
        for ((uv, mv), &cs) in u.iter_mut().zip(mean.iter_mut()).zip(&c_sum) {
            *mv = cs / tf;
            *uv = *mv;
        }
        let mean_sq: f64 = mean.iter().map(|v| v * v).sum();
        dom.project(&mut u);
        let gap: f64 = u.iter().zip(&mean).map(|(a, b)| (a - b) * (a - b)).sum();
        let best = 0.5 * tf * gap + 0.5 * c_sq - 0.5 * tf * mean_sq;
        let mut regret = loss - best;
        let mut dynamic = loss - dyn_best;
        if implicit {
            for k in 0..d {
                let n = xi[k] - c[k];
                noise_sum[k] += n;
                noise_x += n * x[k];
                noise_u += n * ut[k];
            }
            regret += -noise_x + noise_sum.iter().zip(&u).map(|(a, b)| a * b).sum::<f64>();
            dynamic += -noise_x + noise_u;
        }
        record(t, [regret, dynamic]);
        match algo {
            Algorithm::Oomd { .. } | Algorithm::OomdDynamic { .. } | Algorithm::OomdStronglyConvex { .. } | Algorithm::OomdPerfectHints { .. } => {
                for (h, &gv) in hat.iter_mut().zip(&g) {
                    *h -= eta * gv;
                }
                dom.project(&mut hat);
                v_bar += g.iter().zip(&hint).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
                hint.copy_from_slice(&g);
            }
            Algorithm::OptimisticFtrl { .. } => {
                grad_sum.iter_mut().zip(&g).for_each(|(s, v)| *s += v);
                v_bar += g.iter().zip(&hint).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
                hint.copy_from_slice(&g);
            }
            Algorithm::OptimisticOns { .. } => {
                ons.add(&g);
                let step = ons.solve(&g);
                for (h, &v) in hat.iter_mut().zip(&step) {
                    *h -= v / ons.gamma;
                }
                ons.project(&mut hat, inst.radius);
                hint.copy_from_slice(&g);
            }
            Algorithm::Ogd | Algorithm::OgdStronglyConvex { .. } => {
                for (xv, &gv) in x.iter_mut().zip(&g) {
                    *xv -= eta * gv;
                }
                dom.project(&mut x);
            }
        }
    }
}

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

    /// A⁻¹v (A is symmetric positive definite: Cholesky).
    fn solve(&self, v: &[f64]) -> Vec<f64> {
        let b = nalgebra::DVector::from_column_slice(v);
        match self.a.clone().cholesky() {
            Some(c) => c.solve(&b).iter().copied().collect(),
            None => v.to_vec(),
        }
    }

    /// argmin_{‖x‖ ≤ R} (x − y)ᵀA(x − y), in place.
    fn project(&self, y: &mut [f64], radius: f64) {
        if crate::oco::norm2(y) <= radius {
            return;
        }
        let eig = self.a.clone().symmetric_eigen();
        let z = eig.eigenvectors.transpose() * nalgebra::DVector::from_column_slice(y);
        let norm = |mu: f64| z.iter().zip(eig.eigenvalues.iter()).map(|(zi, l)| (l / (l + mu) * zi).powi(2)).sum::<f64>().sqrt();
        let (mut lo, mut hi) = (0.0, 1.0);
        while norm(hi) > radius {
            hi *= 2.0;
        }
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if norm(mid) > radius { lo = mid } else { hi = mid }
        }
        let w: nalgebra::DVector<f64> = nalgebra::DVector::from_iterator(z.len(), z.iter().zip(eig.eigenvalues.iter()).map(|(zi, l)| l / (l + hi) * zi));
        let x = &eig.eigenvectors * w;
        y.iter_mut().zip(x.iter()).for_each(|(a, b)| *a = *b);
    }
}
