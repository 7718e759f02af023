//! The policy-optimisation algorithms, each advancing a softmax policy one iteration at a time.
//!
//! Exact updates (Shani et al. 2020 §4; Tomar et al. 2022 Eq. 2 in the tabular case):
//! - MD: π_{k+1}(·|s) ∝ π_k(·|s)·exp(t_k·Q^{π_k}(s,·)).
//! - Entropy-regularised MD (λ > 0): π_{k+1} ∝ π_k^{1/(1+λt_k)}·exp(t_k·Q_λ^{π_k}/(1+λt_k)), with
//!   Q_λ the soft Q-function of rewards r − λ·log π.
//! - Softmax policy gradient: θ ← θ + η·∇V^{π_θ}(ρ), ∇_{θ_{s,a}} = d^π_ρ(s)π(a|s)A^π(s,a)/(1−γ)
//!   (Agarwal et al. 2021, Lemma C.1).
//! - Natural PG: θ ← θ + η·A^π/(1−γ) (Kakade 2001; the tabular-softmax closed form of Agarwal et
//!   al. 2021, Lemma 15), i.e. MD with t = η/(1−γ).
//! - TRPO-style: the MD direction with the largest t whose mean KL(π_k ‖ π_new) under d^{π_k}_ρ
//!   (TRPO's direction, Schulman et al. 2015) is δ.
//! - PPO-clip: `epochs` gradient steps on Σ_s d^{π_k}(s) Σ_a π_k·min(ρ_a A, clip(ρ_a, 1±ε) A).
//!
//! Sample-based MD (the on-policy and off-policy MDPO of Tomar et al., tabular): Q̂ from Monte
//! Carlo rollouts, from TD(0) with sampled next states, or from a replay buffer filled by a
//! uniform behaviour policy; then `sgd_steps` gradient steps on the KL-regularised surrogate
//! Σ_s [Σ_a π_θ(a|s)Â(s,a) − KL(π_θ(·|s)‖π_k(·|s))/t_k] for a tabular or linear softmax π_θ.
//! Rewards are the model's deterministic r(s,a); transitions and actions are drawn from the
//! replication's environment stream by counter, so runs are reproducible on any thread count.

use nalgebra::{DMatrix, DVector};
use ndarray::Array2;
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;

use super::policy::{LogPolicy, occupancy, q_values};
use crate::mdp::episodes::{sample_action, sample_next, uniforms};
use crate::mdp::planning::policy_system;
use crate::mdp::{TabularMdp, TabularPolicy};
use crate::rng::{Role, StreamId};

/// Step sizes t_k, k = 1, 2, … (the k-th update).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum StepRule {
    Constant {
        t: f64,
    },
    /// t_k = t0·ratio^(k−1) (ratio ≥ 1/γ gives the linear rate of Xiao 2022 / Johnson et al. 2023).
    Geometric {
        t0: f64,
        ratio: f64,
    },
    /// t_k = t0/√k (Shani et al. 2020, unregularised).
    InvSqrt {
        t0: f64,
    },
    /// t_k = 1/(λ(k+1)) (Shani et al. 2020, regularised; their 1/(λ(k+2)) counted from k = 0).
    Harmonic {
        lambda: f64,
    },
}

impl StepRule {
    pub fn at(&self, k: usize) -> f64 {
        let k = k.max(1) as f64;
        match *self {
            StepRule::Constant { t } => t,
            StepRule::Geometric { t0, ratio } => t0 * ratio.powf(k - 1.0),
            StepRule::InvSqrt { t0 } => t0 / k.sqrt(),
            StepRule::Harmonic { lambda } => 1.0 / (lambda * (k + 1.0)),
        }
    }
}

/// How sample-based MD estimates Q^{π_k}.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "estimator", rename_all = "snake_case")]
pub enum Estimator {
    /// From every (s, a): `rollouts` returns truncated at `length` steps, following π_k.
    MonteCarlo { rollouts: usize, length: usize },
    /// From every (s, a): `samples` next states; Q̂ is the fixed point of the sampled Bellman
    /// equation of π_k, reached by `sweeps` TD(0) sweeps warm-started from the previous Q̂.
    Td { samples: usize, sweeps: usize },
    /// Off-policy: `batch` transitions per iteration from a uniform behaviour policy into a FIFO
    /// buffer of `capacity`; Q̂ evaluates π_k exactly on the buffer's empirical model (unvisited
    /// pairs stay in place).
    Replay { batch: usize, capacity: usize },
}

/// The policy class of sample-based MD.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum Param {
    /// One logit per (s, a).
    Tabular,
    /// logits = ⟨θ, f(s,a)⟩ with `dim` standard-normal features drawn from `seed`.
    Linear { dim: usize, seed: u64 },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Algorithm {
    MdExact { step: StepRule },
    MdEntropy { lambda: f64, step: StepRule },
    SoftmaxPg { lr: f64 },
    Npg { lr: f64 },
    Trpo { delta: f64 },
    PpoClip { clip: f64, lr: f64, epochs: usize },
    MdSampled { step: StepRule, estimator: Estimator, param: Param, sgd_steps: usize, lr: f64 },
}

impl Algorithm {
    /// The entropy weight of the objective this algorithm optimises (0: the plain value).
    pub fn lambda(&self) -> f64 {
        match self {
            Algorithm::MdEntropy { lambda, .. } => *lambda,
            _ => 0.0,
        }
    }
}

/// A run of one algorithm: the current policy and whatever the algorithm carries.
pub struct Run<'a> {
    mdp: &'a TabularMdp,
    gamma: f64,
    rho: &'a [f64],
    algo: &'a Algorithm,
    env: StreamId,
    pub pi: LogPolicy,
    /// Linear-softmax parameters and features (`features[(s·A + a)·dim + i]`).
    theta: Vec<f64>,
    features: Vec<f64>,
    q_hat: Array2<f64>,
    buffer: std::collections::VecDeque<(u32, u32, u32)>,
    behaviour_state: usize,
    transitions_drawn: u64,
    k: usize,
}

impl<'a> Run<'a> {
    pub fn new(mdp: &'a TabularMdp, gamma: f64, rho: &'a [f64], algo: &'a Algorithm, env: StreamId) -> Run<'a> {
        let (n, na) = (mdp.states(), mdp.actions());
        let (mut theta, mut features) = (Vec::new(), Vec::new());
        let mut pi = LogPolicy::uniform(n, na);
        if let Algorithm::MdSampled { param: Param::Linear { dim, seed }, .. } = algo {
            let mut rng = StreamId::new(crate::rng::seed_key(*seed, 0xfea7), 0, Role::Instance).stream();
            features = (0..n * na * dim).map(|_| StandardNormal.sample(&mut rng)).collect();
            theta = vec![0.0; *dim];
            pi = linear_policy(&theta, &features, n, na);
        }
        Run {
            mdp,
            gamma,
            rho,
            algo,
            env,
            pi,
            theta,
            features,
            q_hat: Array2::zeros((n, na)),
            buffer: Default::default(),
            behaviour_state: 0,
            transitions_drawn: 0,
            k: 0,
        }
    }

    /// Performs update k+1.
    pub fn step(&mut self) {
        self.k += 1;
        let k = self.k;
        let (mdp, gamma) = (self.mdp, self.gamma);
        let probs = self.pi.probs();
        match self.algo {
            Algorithm::MdExact { step } => {
                let (_, q) = q_values(mdp, gamma, &probs).expect("checked model");
                self.pi = md_update(&self.pi, &q, step.at(k), 0.0);
            }
            Algorithm::MdEntropy { lambda, step } => {
                let q = soft_q(mdp, gamma, &self.pi, *lambda);
                self.pi = md_update(&self.pi, &q, step.at(k), *lambda);
            }
            Algorithm::Npg { lr } => {
                let (_, q) = q_values(mdp, gamma, &probs).expect("checked model");
                self.pi = md_update(&self.pi, &q, lr / (1.0 - gamma), 0.0);
            }
            Algorithm::SoftmaxPg { lr } => {
                let (v, q) = q_values(mdp, gamma, &probs).expect("checked model");
                let d = occupancy(mdp, gamma, &probs, self.rho);
                let mut logits = self.pi.logp.clone();
                for s in 0..mdp.states() {
                    for a in 0..mdp.actions() {
                        logits[[s, a]] += lr * d[s] * probs.probs[[s, a]] * (q[[s, a]] - v[s]) / (1.0 - gamma);
                    }
                }
                self.pi = LogPolicy::from_logits(logits);
            }
            Algorithm::Trpo { delta } => {
                let (_, q) = q_values(mdp, gamma, &probs).expect("checked model");
                let d = occupancy(mdp, gamma, &probs, self.rho);
                let mean_kl = |t: f64| {
                    let cand = md_update(&self.pi, &q, t, 0.0);
                    (0..mdp.states()).map(|s| d[s] * self.pi.kl(&cand, s)).sum::<f64>()
                };
                let mut hi = 1.0;
                while mean_kl(hi) < *delta && hi < 1e12 {
                    hi *= 2.0;
                }
                let mut lo = 0.0;
                if mean_kl(hi) > *delta {
                    for _ in 0..60 {
                        let mid = 0.5 * (lo + hi);
                        if mean_kl(mid) > *delta { hi = mid } else { lo = mid }
                    }
                } else {
                    lo = hi;
                }
                self.pi = md_update(&self.pi, &q, lo, 0.0);
            }
            Algorithm::PpoClip { clip, lr, epochs } => {
                let (v, q) = q_values(mdp, gamma, &probs).expect("checked model");
                let d = occupancy(mdp, gamma, &probs, self.rho);
                let old = self.pi.clone();
                let mut logits = self.pi.logp.clone();
                for _ in 0..*epochs {
                    let cur = LogPolicy::from_logits(logits.clone());
                    for s in 0..mdp.states() {
                        let mut g = vec![0.0; mdp.actions()];
                        for a in 0..mdp.actions() {
                            let adv = q[[s, a]] - v[s];
                            let ratio = (cur.logp[[s, a]] - old.logp[[s, a]]).exp();
                            let active = (adv >= 0.0 && ratio < 1.0 + clip) || (adv < 0.0 && ratio > 1.0 - clip);
                            if !active {
                                continue;
                            }
                            // ∂/∂z_b of π_θ(a)·A = A·π(a)(1{a=b} − π(b)).
                            let pa = cur.logp[[s, a]].exp();
                            for (b, gb) in g.iter_mut().enumerate() {
                                let pb = cur.logp[[s, b]].exp();
                                *gb += adv * pa * (if a == b { 1.0 } else { 0.0 } - pb);
                            }
                        }
                        for (b, gb) in g.iter().enumerate() {
                            logits[[s, b]] += lr * d[s] * gb;
                        }
                    }
                }
                self.pi = LogPolicy::from_logits(logits);
            }
            Algorithm::MdSampled { step, estimator, param, sgd_steps, lr } => {
                self.estimate(estimator, &probs);
                let adv = advantages(&self.q_hat, &probs);
                let t = step.at(k);
                let old = self.pi.clone();
                match param {
                    Param::Tabular => {
                        let mut logits = self.pi.logp.clone();
                        for _ in 0..*sgd_steps {
                            let cur = LogPolicy::from_logits(logits.clone());
                            let g = surrogate_logit_grad(&cur, &old, &adv, t);
                            logits.zip_mut_with(&g, |x, y| *x += lr * y);
                        }
                        self.pi = LogPolicy::from_logits(logits);
                    }
                    Param::Linear { dim, .. } => {
                        let (n, na) = (mdp.states(), mdp.actions());
                        for _ in 0..*sgd_steps {
                            let cur = linear_policy(&self.theta, &self.features, n, na);
                            let g = surrogate_logit_grad(&cur, &old, &adv, t);
                            for s in 0..n {
                                for a in 0..na {
                                    let f = &self.features[(s * na + a) * dim..(s * na + a + 1) * dim];
                                    for (th, x) in self.theta.iter_mut().zip(f) {
                                        *th += lr * g[[s, a]] * x;
                                    }
                                }
                            }
                        }
                        self.pi = linear_policy(&self.theta, &self.features, n, na);
                    }
                }
            }
        }
    }

    /// Fills `q_hat` with an estimate of Q^{π_k}.
    fn estimate(&mut self, est: &Estimator, pi: &TabularPolicy) {
        let (mdp, gamma) = (self.mdp, self.gamma);
        let (n, na) = (mdp.states(), mdp.actions());
        let k = self.k as u64;
        match *est {
            Estimator::MonteCarlo { rollouts, length } => {
                for s0 in 0..n {
                    for a0 in 0..na {
                        let mut total = 0.0;
                        for m in 0..rollouts {
                            let base = ((((k * n as u64 + s0 as u64) * na as u64 + a0 as u64) * rollouts as u64)
                                + m as u64)
                                * length as u64;
                            let (mut s, mut a, mut disc, mut g) = (s0, a0, 1.0, 0.0);
                            for l in 0..length {
                                g += disc * mdp.reward(s, a);
                                disc *= gamma;
                                let (us, ua) = uniforms(&self.env, base + l as u64);
                                s = sample_next(mdp.row(s, a), us);
                                a = sample_action(pi.probs.row(s).as_slice().expect("standard layout"), ua);
                            }
                            total += g;
                        }
                        self.q_hat[[s0, a0]] = total / rollouts as f64;
                    }
                }
            }
            Estimator::Td { samples, sweeps } => {
                let mut next = vec![0u32; n * na * samples];
                for s in 0..n {
                    for a in 0..na {
                        for i in 0..samples {
                            let idx = ((k * n as u64 + s as u64) * na as u64 + a as u64) * samples as u64 + i as u64;
                            next[(s * na + a) * samples + i] =
                                sample_next(mdp.row(s, a), uniforms(&self.env, idx).0) as u32;
                        }
                    }
                }
                for _ in 0..sweeps {
                    let v: Vec<f64> =
                        (0..n).map(|s| (0..na).map(|a| pi.probs[[s, a]] * self.q_hat[[s, a]]).sum()).collect();
                    for s in 0..n {
                        for a in 0..na {
                            let row = &next[(s * na + a) * samples..(s * na + a + 1) * samples];
                            let ev: f64 = row.iter().map(|&j| v[j as usize]).sum::<f64>() / samples as f64;
                            self.q_hat[[s, a]] = mdp.reward(s, a) + gamma * ev;
                        }
                    }
                }
            }
            Estimator::Replay { batch, capacity } => {
                for _ in 0..batch {
                    let (us, ua) = uniforms(&self.env, self.transitions_drawn);
                    self.transitions_drawn += 1;
                    let s = self.behaviour_state;
                    let a = ((ua * na as f64) as usize).min(na - 1);
                    let s2 = sample_next(mdp.row(s, a), us);
                    if self.buffer.len() == capacity {
                        self.buffer.pop_front();
                    }
                    self.buffer.push_back((s as u32, a as u32, s2 as u32));
                    self.behaviour_state = s2;
                }
                // Exact evaluation of π_k on the buffer's empirical model.
                let mut counts = vec![0u32; n * na * n];
                let mut visits = vec![0u32; n * na];
                for &(s, a, s2) in &self.buffer {
                    let i = s as usize * na + a as usize;
                    visits[i] += 1;
                    counts[i * n + s2 as usize] += 1;
                }
                let mut m = DMatrix::<f64>::identity(n, n);
                let mut r = DVector::<f64>::zeros(n);
                let phat = |i: usize, j: usize, s: usize| {
                    if visits[i] == 0 {
                        if j == s { 1.0 } else { 0.0 }
                    } else {
                        counts[i * n + j] as f64 / visits[i] as f64
                    }
                };
                for s in 0..n {
                    for a in 0..na {
                        let w = pi.probs[[s, a]];
                        r[s] += w * mdp.reward(s, a);
                        for j in 0..n {
                            m[(s, j)] -= gamma * w * phat(s * na + a, j, s);
                        }
                    }
                }
                let v = m.lu().solve(&r).map(|x| x.iter().copied().collect::<Vec<f64>>()).unwrap_or(vec![0.0; n]);
                for s in 0..n {
                    for a in 0..na {
                        let i = s * na + a;
                        self.q_hat[[s, a]] =
                            mdp.reward(s, a) + gamma * (0..n).map(|j| phat(i, j, s) * v[j]).sum::<f64>();
                    }
                }
            }
        }
    }
}

/// The closed-form (regularised) MD step in log space:
/// log π_{k+1} = (log π_k + t·Q)/(1 + λt), normalised.
pub fn md_update(pi: &LogPolicy, q: &Array2<f64>, t: f64, lambda: f64) -> LogPolicy {
    let scale = 1.0 / (1.0 + lambda * t);
    let mut logits = pi.logp.clone();
    logits.zip_mut_with(q, |l, &qv| *l = (*l + t * qv) * scale);
    LogPolicy::from_logits(logits)
}

/// Soft Q-function of the entropy-regularised objective: Q_λ = r + γP V_λ with
/// V_λ(s) = Σ_a π(a|s)(Q_λ(s,a) − λ log π(a|s)), by an exact linear solve.
pub fn soft_q(mdp: &TabularMdp, gamma: f64, pi: &LogPolicy, lambda: f64) -> Array2<f64> {
    let v = soft_value(mdp, gamma, pi, lambda);
    mdp.q_table(gamma, &v)
}

/// V_λ^π: the value of rewards r(s,a) − λ·log π(a|s).
pub fn soft_value(mdp: &TabularMdp, gamma: f64, pi: &LogPolicy, lambda: f64) -> Vec<f64> {
    let (m, r) = policy_system(mdp, gamma, &pi.probs(), |s, a| mdp.reward(s, a) - lambda * pi.logp[[s, a]]);
    m.lu().solve(&r).map(|x| x.iter().copied().collect()).expect("I − γP_π is invertible for γ < 1")
}

fn advantages(q: &Array2<f64>, pi: &TabularPolicy) -> Array2<f64> {
    let mut adv = q.clone();
    for (s, mut row) in adv.rows_mut().into_iter().enumerate() {
        let v: f64 = (0..row.len()).map(|a| pi.probs[[s, a]] * q[[s, a]]).sum();
        row.iter_mut().for_each(|x| *x -= v);
    }
    adv
}

/// ∂/∂z_{s,a} of Σ_b π_z(b|s)Â(s,b) − KL(π_z(·|s)‖π_old(·|s))/t for softmax logits z.
fn surrogate_logit_grad(cur: &LogPolicy, old: &LogPolicy, adv: &Array2<f64>, t: f64) -> Array2<f64> {
    let (n, na) = cur.logp.dim();
    let mut g = Array2::zeros((n, na));
    for s in 0..n {
        let p: Vec<f64> = (0..na).map(|a| cur.logp[[s, a]].exp()).collect();
        let mean_adv: f64 = (0..na).map(|a| p[a] * adv[[s, a]]).sum();
        let kl = cur.kl(old, s);
        for a in 0..na {
            let log_ratio = cur.logp[[s, a]] - old.logp[[s, a]];
            g[[s, a]] = p[a] * (adv[[s, a]] - mean_adv) - p[a] * (log_ratio - kl) / t;
        }
    }
    g
}

fn linear_policy(theta: &[f64], features: &[f64], n: usize, na: usize) -> LogPolicy {
    let d = theta.len();
    LogPolicy::from_logits(Array2::from_shape_fn((n, na), |(s, a)| {
        let f = &features[(s * na + a) * d..(s * na + a + 1) * d];
        f.iter().zip(theta).map(|(x, y)| x * y).sum()
    }))
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;
    use crate::mdp::generate;
    use crate::settings::mdpo::policy::at;

    fn values(algo: &Algorithm, mdp: &TabularMdp, gamma: f64, iters: usize) -> Vec<Vec<f64>> {
        let rho = vec![1.0 / mdp.states() as f64; mdp.states()];
        let mut run = Run::new(mdp, gamma, &rho, algo, StreamId::new([1, 1], 0, Role::Env));
        (0..iters)
            .map(|_| {
                run.step();
                q_values(mdp, gamma, &run.pi.probs()).unwrap().0
            })
            .collect()
    }

    #[test]
    fn exact_md_is_monotone_for_any_constant_step() {
        for seed in 0..3 {
            let mdp = generate::dirichlet(8, 3, 0.4, seed).unwrap();
            for t in [0.01, 0.5, 3.0, 50.0] {
                let vs = values(&Algorithm::MdExact { step: StepRule::Constant { t } }, &mdp, 0.9, 30);
                for w in vs.windows(2) {
                    for s in 0..8 {
                        assert!(w[1][s] >= w[0][s] - 1e-10, "seed {seed}, t {t}, state {s}: {} < {}", w[1][s], w[0][s]);
                    }
                }
            }
        }
    }

    #[test]
    fn md_on_one_state_is_hedge() {
        // One state, self-loop: Q(a) = r(a) + γV, and the γV shift cancels in the softmax, so
        // π_k ∝ exp(t·k·r): Hedge with learning rate t on gains r.
        let r = ndarray::Array2::from_shape_vec((1, 3), vec![0.2, 0.5, 0.45]).unwrap();
        let p = ndarray::Array3::from_elem((1, 3, 1), 1.0);
        let mdp = TabularMdp::dense(p, r.clone()).unwrap();
        let rho = [1.0];
        let algo = Algorithm::MdExact { step: StepRule::Constant { t: 0.7 } };
        let mut run = Run::new(&mdp, 0.5, &rho, &algo, StreamId::new([0, 0], 0, Role::Env));
        for k in 1..=20 {
            run.step();
            let w: Vec<f64> = (0..3).map(|a| (0.7 * k as f64 * r[[0, a]]).exp()).collect();
            let z: f64 = w.iter().sum();
            for a in 0..3 {
                assert!((run.pi.logp[[0, a]].exp() - w[a] / z).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn npg_is_md_with_step_eta_over_one_minus_gamma() {
        let mdp = generate::dirichlet(6, 3, 1.0, 5).unwrap();
        let a = values(&Algorithm::Npg { lr: 0.3 }, &mdp, 0.8, 10);
        let b = values(&Algorithm::MdExact { step: StepRule::Constant { t: 0.3 / 0.2 } }, &mdp, 0.8, 10);
        for (x, y) in a.iter().zip(&b) {
            for (p, q) in x.iter().zip(y) {
                assert!((p - q).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn every_algorithm_improves_on_the_uniform_policy() {
        let mdp = generate::dirichlet(6, 3, 0.5, 1).unwrap();
        let gamma = 0.9;
        let rho = vec![1.0 / 6.0; 6];
        let v0 = at(&rho, &q_values(&mdp, gamma, &TabularPolicy::uniform(6, 3)).unwrap().0);
        let algos = [
            Algorithm::SoftmaxPg { lr: 5.0 },
            Algorithm::Trpo { delta: 0.05 },
            Algorithm::PpoClip { clip: 0.2, lr: 5.0, epochs: 10 },
            Algorithm::MdEntropy { lambda: 0.01, step: StepRule::Constant { t: 1.0 } },
            Algorithm::MdSampled {
                step: StepRule::Constant { t: 1.0 },
                estimator: Estimator::MonteCarlo { rollouts: 4, length: 40 },
                param: Param::Tabular,
                sgd_steps: 10,
                lr: 0.5,
            },
            Algorithm::MdSampled {
                step: StepRule::Constant { t: 1.0 },
                estimator: Estimator::Td { samples: 4, sweeps: 20 },
                param: Param::Tabular,
                sgd_steps: 10,
                lr: 0.5,
            },
            Algorithm::MdSampled {
                step: StepRule::Constant { t: 1.0 },
                estimator: Estimator::Replay { batch: 200, capacity: 5000 },
                param: Param::Tabular,
                sgd_steps: 10,
                lr: 0.5,
            },
            Algorithm::MdSampled {
                step: StepRule::Constant { t: 1.0 },
                estimator: Estimator::MonteCarlo { rollouts: 4, length: 40 },
                param: Param::Linear { dim: 12, seed: 3 },
                sgd_steps: 10,
                lr: 0.05,
            },
        ];
        for algo in &algos {
            let vs = values(algo, &mdp, gamma, 15);
            let v = at(&rho, vs.last().unwrap());
            assert!(v > v0 + 0.05, "{algo:?}: {v} vs uniform {v0}");
        }
    }

    #[test]
    fn trpo_step_meets_its_kl_budget() {
        let mdp = generate::dirichlet(5, 4, 0.5, 2).unwrap();
        let rho = vec![0.2; 5];
        let algo = Algorithm::Trpo { delta: 0.02 };
        let mut run = Run::new(&mdp, 0.9, &rho, &algo, StreamId::new([0, 0], 0, Role::Env));
        let before = run.pi.clone();
        let d = occupancy(&mdp, 0.9, &before.probs(), &rho);
        run.step();
        let kl: f64 = (0..5).map(|s| d[s] * before.kl(&run.pi, s)).sum();
        assert!((kl - 0.02).abs() < 1e-6, "{kl}");
    }
}
