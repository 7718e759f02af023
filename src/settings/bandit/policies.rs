//! Classical stochastic-bandit policies on the scalar f64 path.
//!
//! Conventions shared by every policy: `t` is the number of pulls made so far; an index policy
//! first pulls every arm once in order 0..K−1 (an unpulled arm has index +∞) and breaks ties
//! toward the lowest arm. A policy's own randomness comes only from the `Philox` stream it is
//! handed (role `Policy(tag)`), never from the environment's.

use rand::RngExt;
use rand_distr::{Beta, Distribution, StandardNormal};

use crate::rng::Philox;

/// Sufficient statistics every policy may read; the simulation loop keeps them.
#[derive(Clone, Debug)]
pub struct ArmStats {
    pub n: Vec<u64>,
    pub sum: Vec<f64>,
    pub sumsq: Vec<f64>,
}

impl ArmStats {
    pub fn new(k: usize) -> ArmStats {
        ArmStats { n: vec![0; k], sum: vec![0.0; k], sumsq: vec![0.0; k] }
    }
    #[inline]
    pub fn mean(&self, k: usize) -> f64 {
        self.sum[k] / self.n[k] as f64
    }
    #[inline]
    pub fn record(&mut self, k: usize, x: f64) {
        self.n[k] += 1;
        self.sum[k] += x;
        self.sumsq[k] += x * x;
    }
}

/// A bandit algorithm during one replication.
pub trait Policy {
    /// The arm to pull after `t` pulls.
    fn select(&mut self, t: u64, st: &ArmStats, rng: &mut Philox) -> usize;
    /// Called after the pull, once `st` already includes the reward.
    fn observe(&mut self, _arm: usize, _reward: f64, _st: &ArmStats, _rng: &mut Philox) {}
}

/// argmax of `f(k)` over arms, unpulled arms first, ties to the lowest arm.
#[inline]
fn argmax_index(st: &ArmStats, mut f: impl FnMut(usize) -> f64) -> usize {
    if let Some(k) = st.n.iter().position(|&n| n == 0) {
        return k;
    }
    let mut best = 0;
    let mut bv = f(0);
    for k in 1..st.n.len() {
        let v = f(k);
        if v > bv {
            bv = v;
            best = k;
        }
    }
    best
}

/// UCB1 (Auer, Cesa-Bianchi, Fischer 2002, Fig. 1 with exploration constant α):
/// mean + sqrt(α ln t) / sqrt(n). α = 2 is the paper's index. Each arm's mean and 1/sqrt(n)
/// are cached and refreshed only when it is pulled, so a step costs one multiply-add per arm.
pub struct Ucb1 {
    pub alpha: f64,
    mean: Vec<f64>,
    isq: Vec<f64>,
}

impl Ucb1 {
    pub fn new(k: usize, alpha: f64) -> Ucb1 {
        Ucb1 { alpha, mean: vec![0.0; k], isq: vec![0.0; k] }
    }
}

impl Policy for Ucb1 {
    #[inline]
    fn select(&mut self, t: u64, st: &ArmStats, _: &mut Philox) -> usize {
        let c = (self.alpha * (t as f64).ln()).sqrt();
        argmax_index(st, |k| self.mean[k] + c * self.isq[k])
    }
    #[inline]
    fn observe(&mut self, arm: usize, _reward: f64, st: &ArmStats, _: &mut Philox) {
        self.mean[arm] = st.mean(arm);
        self.isq[arm] = 1.0 / (st.n[arm] as f64).sqrt();
    }
}

/// UCB-V (Audibert, Munos, Szepesvári 2009, eq. (3)): mean + sqrt(2 V ζ ln t / n) + c 3 b ζ ln t / n,
/// with V the empirical variance and rewards in an interval of length `b`.
pub struct UcbV {
    pub zeta: f64,
    pub c: f64,
    pub b: f64,
}

impl Policy for UcbV {
    fn select(&mut self, t: u64, st: &ArmStats, _: &mut Philox) -> usize {
        let e = self.zeta * (t as f64).ln();
        argmax_index(st, |k| {
            let n = st.n[k] as f64;
            let m = st.sum[k] / n;
            let v = (st.sumsq[k] / n - m * m).max(0.0);
            m + (2.0 * v * e / n).sqrt() + self.c * 3.0 * self.b * e / n
        })
    }
}

/// Bernoulli relative entropy kl(p, q), with the 0 ln 0 = 0 convention.
pub fn kl_bernoulli(p: f64, q: f64) -> f64 {
    let eps = 1e-15;
    let p = p.clamp(0.0, 1.0);
    let q = q.clamp(eps, 1.0 - eps);
    let a = if p > 0.0 { p * (p / q).ln() } else { 0.0 };
    let b = if p < 1.0 { (1.0 - p) * ((1.0 - p) / (1.0 - q)).ln() } else { 0.0 };
    a + b
}

/// The KL-UCB upper confidence bound max{q ≥ p : n kl(p, q) ≤ level}.
///
/// Newton's method from the right (kl(p, ·) is convex and increasing on [p, 1), so the iterates
/// decrease monotonically to the root; Pinsker's inequality gives a start above it), then a
/// step just below the root that is checked to be feasible. The result is therefore always
/// feasible, i.e. never above the exact bound, and within about 1e-13 of it; bisection is the
/// fallback if the check fails.
pub fn kl_ucb_bound(p: f64, n: f64, level: f64) -> f64 {
    let d = level / n;
    if d <= 0.0 || p >= 1.0 {
        return p.min(1.0);
    }
    let mut q = (p + (0.5 * d).sqrt()).min(1.0 - 1e-15);
    if kl_bernoulli(p, q) <= d {
        return q;
    }
    for _ in 0..60 {
        let f = kl_bernoulli(p, q) - d;
        let step = f * q * (1.0 - q) / (q - p);
        q -= step;
        if step <= 1e-15 * q {
            break;
        }
    }
    let lo = q - 4e-15;
    if lo >= p && n * kl_bernoulli(p, lo) <= level {
        return lo;
    }
    let (mut lo, mut hi) = (p, q.min(1.0));
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if n * kl_bernoulli(p, mid) <= level { lo = mid } else { hi = mid }
    }
    lo
}

/// KL-UCB (Garivier & Cappé 2011, Algorithm 1) with exploration ln t + c ln ln t.
/// `gaussian = Some(σ²)` uses the Gaussian divergence instead, whose bound is closed form:
/// mean + sqrt(2 σ² level / n).
pub struct KlUcb {
    pub c: f64,
    pub gaussian: Option<f64>,
}

impl Policy for KlUcb {
    fn select(&mut self, t: u64, st: &ArmStats, _: &mut Philox) -> usize {
        let lt = (t as f64).ln();
        let level = lt + if lt > 1.0 { self.c * lt.ln() } else { 0.0 };
        match self.gaussian {
            Some(var) => argmax_index(st, |k| st.mean(k) + (2.0 * var * level / st.n[k] as f64).sqrt()),
            None => kl_ucb_argmax(st, level),
        }
    }
}

/// argmax_k of the KL-UCB bound, ties to the lowest arm, without solving for every arm.
///
/// The arm with the largest mean is solved first; any other arm with p_k ≤ bv and
/// n_k kl(p_k, bv) ≥ level has exact bound ≤ bv, and bisection never returns more than the exact
/// bound, so skipping it changes nothing: the choice equals the full computation's.
fn kl_ucb_argmax(st: &ArmStats, level: f64) -> usize {
    if let Some(k) = st.n.iter().position(|&n| n == 0) {
        return k;
    }
    let k = st.n.len();
    let lead = (1..k).fold(0, |b, j| if st.mean(j) > st.mean(b) { j } else { b });
    let mut best = lead;
    let mut bv = kl_ucb_bound(st.mean(lead), st.n[lead] as f64, level);
    for j in 0..k {
        if j == lead {
            continue;
        }
        let (p, n) = (st.mean(j), st.n[j] as f64);
        if p <= bv && n * kl_bernoulli(p, bv) >= level {
            // its bound is at most bv; it wins only a tie, and only if it is a lower arm
            if j < best && n * kl_bernoulli(p, bv) == level {
                let v = kl_ucb_bound(p, n, level);
                if v == bv {
                    best = j;
                }
            }
            continue;
        }
        let v = kl_ucb_bound(p, n, level);
        if v > bv || (v == bv && j < best) {
            bv = v;
            best = j;
        }
    }
    best
}

/// MOSS (Audibert & Bubeck 2009): mean + sqrt(max(ln(T / (K n)), 0) / n). The index depends
/// on the arm's own statistics only, so it is cached and recomputed when the arm is pulled.
pub struct Moss {
    pub horizon: u64,
    index: Vec<f64>,
}

impl Moss {
    pub fn new(k: usize, horizon: u64) -> Moss {
        Moss { horizon, index: vec![0.0; k] }
    }
}

impl Policy for Moss {
    fn select(&mut self, _t: u64, st: &ArmStats, _: &mut Philox) -> usize {
        argmax_index(st, |k| self.index[k])
    }
    fn observe(&mut self, arm: usize, _reward: f64, st: &ArmStats, _: &mut Philox) {
        let tk = self.horizon as f64 / st.n.len() as f64;
        let n = st.n[arm] as f64;
        self.index[arm] = st.mean(arm) + ((tk / n).ln().max(0.0) / n).sqrt();
    }
}

/// Thompson sampling with Beta(1, 1) priors (Agrawal & Goyal 2012). Rewards in [0, 1] that are
/// not binary are binarised by a Bernoulli(reward) coin from the policy's stream.
pub struct ThompsonBeta {
    successes: Vec<f64>,
    failures: Vec<f64>,
}

impl ThompsonBeta {
    pub fn new(k: usize) -> ThompsonBeta {
        ThompsonBeta { successes: vec![0.0; k], failures: vec![0.0; k] }
    }
}

impl Policy for ThompsonBeta {
    fn select(&mut self, _t: u64, _st: &ArmStats, rng: &mut Philox) -> usize {
        let mut best = 0;
        let mut bv = f64::NEG_INFINITY;
        for k in 0..self.successes.len() {
            let theta = match Beta::new(1.0 + self.successes[k], 1.0 + self.failures[k]) {
                Ok(d) => d.sample(rng),
                Err(_) => 0.0,
            };
            if theta > bv {
                bv = theta;
                best = k;
            }
        }
        best
    }
    fn observe(&mut self, arm: usize, reward: f64, _st: &ArmStats, rng: &mut Philox) {
        let success = if reward == 0.0 || reward == 1.0 { reward == 1.0 } else { rng.random::<f64>() < reward };
        if success { self.successes[arm] += 1.0 } else { self.failures[arm] += 1.0 }
    }
}

/// Gaussian Thompson sampling (Agrawal & Goyal 2013): θ_k ~ N(S_k / (n_k + 1), σ² / (n_k + 1)).
pub struct ThompsonGaussian {
    pub sigma: f64,
}

impl Policy for ThompsonGaussian {
    fn select(&mut self, _t: u64, st: &ArmStats, rng: &mut Philox) -> usize {
        let mut best = 0;
        let mut bv = f64::NEG_INFINITY;
        for k in 0..st.n.len() {
            let n1 = st.n[k] as f64 + 1.0;
            let z: f64 = StandardNormal.sample(rng);
            let theta = st.sum[k] / n1 + self.sigma * z / n1.sqrt();
            if theta > bv {
                bv = theta;
                best = k;
            }
        }
        best
    }
}

/// ε-greedy: explore uniformly with probability ε_t, else the greedy arm (ties lowest).
/// ε_t is either constant or min(1, c K / (d² t)) (Auer et al. 2002, ε_n-GREEDY), with t the
/// pulls so far: one step earlier than the paper's round index n = t + 1.
pub struct EpsilonGreedy {
    pub epsilon: Option<f64>,
    pub c: f64,
    pub d: f64,
}

impl Policy for EpsilonGreedy {
    fn select(&mut self, t: u64, st: &ArmStats, rng: &mut Philox) -> usize {
        let k = st.n.len();
        if let Some(j) = st.n.iter().position(|&n| n == 0) {
            return j;
        }
        let eps = match self.epsilon {
            Some(e) => e,
            None => (self.c * k as f64 / (self.d * self.d * t as f64)).min(1.0),
        };
        // Both draws are always made, so the stream's position does not depend on the branch.
        let u: f64 = rng.random();
        let j = rng.random_range(0..k);
        if u < eps { j } else { argmax_index(st, |a| st.mean(a)) }
    }
}

/// Explore-then-commit: `m` pulls of every arm round-robin, then the empirical best forever.
pub struct ExploreThenCommit {
    pub m: u64,
    committed: Option<usize>,
}

impl ExploreThenCommit {
    pub fn new(m: u64) -> ExploreThenCommit {
        ExploreThenCommit { m, committed: None }
    }
}

impl Policy for ExploreThenCommit {
    fn select(&mut self, t: u64, st: &ArmStats, _: &mut Philox) -> usize {
        let k = st.n.len() as u64;
        if t < self.m * k {
            return (t % k) as usize;
        }
        *self.committed.get_or_insert_with(|| argmax_index(st, |a| st.mean(a)))
    }
}

/// EXP3 with loss-based importance-weighted estimates (Lattimore & Szepesvári 2020, Alg. 9 /
/// Thm 11.2): P_t(i) ∝ exp(η Ŝ_i), η = sqrt(2 ln K / (T K)) unless given. Rewards in [0, 1].
pub struct Exp3 {
    pub eta: f64,
    s_hat: Vec<f64>,
    p: Vec<f64>,
}

impl Exp3 {
    pub fn new(k: usize, horizon: u64, eta: Option<f64>) -> Exp3 {
        let eta = eta.unwrap_or_else(|| (2.0 * (k as f64).ln() / (horizon as f64 * k as f64)).sqrt());
        Exp3 { eta, s_hat: vec![0.0; k], p: vec![1.0 / k as f64; k] }
    }
}

impl Policy for Exp3 {
    fn select(&mut self, _t: u64, _st: &ArmStats, rng: &mut Philox) -> usize {
        let mx = self.s_hat.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let mut z = 0.0;
        for (p, &s) in self.p.iter_mut().zip(&self.s_hat) {
            *p = (self.eta * (s - mx)).exp();
            z += *p;
        }
        let u: f64 = rng.random::<f64>() * z;
        let mut acc = 0.0;
        for (k, &p) in self.p.iter().enumerate() {
            acc += p;
            if u < acc {
                return k;
            }
        }
        self.p.len() - 1
    }
    fn observe(&mut self, arm: usize, reward: f64, _st: &ArmStats, _rng: &mut Philox) {
        let z: f64 = self.p.iter().sum();
        let pa = self.p[arm] / z;
        for (k, s) in self.s_hat.iter_mut().enumerate() {
            *s += 1.0;
            if k == arm {
                *s -= (1.0 - reward) / pa;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Role, StreamId};
    use proptest::prelude::*;

    fn rng() -> Philox {
        StreamId::new([1, 2], 0, Role::Policy(0)).stream()
    }

    /// A UCB1 that has observed the pulls summarised in `st`.
    fn ucb1_after(alpha: f64, st: &ArmStats) -> Ucb1 {
        let mut u = Ucb1::new(st.n.len(), alpha);
        for k in 0..st.n.len() {
            if st.n[k] > 0 {
                u.observe(k, 0.0, st, &mut rng());
            }
        }
        u
    }

    #[test]
    fn ucb1_index_hand_computed() {
        // arms: (n=2, mean 0.5) and (n=8, mean 0.75); t = 10, α = 2:
        // 0.5 + sqrt(2 ln 10 / 2) = 2.0174; 0.75 + sqrt(2 ln 10 / 8) = 1.5087 -> arm 0
        let st = ArmStats { n: vec![2, 8], sum: vec![1.0, 6.0], sumsq: vec![1.0, 6.0] };
        assert_eq!(ucb1_after(2.0, &st).select(10, &st, &mut rng()), 0);
        // with α = 0.01 the greedy arm wins
        assert_eq!(ucb1_after(0.01, &st).select(10, &st, &mut rng()), 1);
    }

    #[test]
    fn unpulled_arms_come_first_in_order() {
        let st = ArmStats { n: vec![1, 0, 0], sum: vec![1.0, 0.0, 0.0], sumsq: vec![1.0, 0.0, 0.0] };
        assert_eq!(ucb1_after(2.0, &st).select(1, &st, &mut rng()), 1);
        assert_eq!(Moss::new(3, 100).select(1, &st, &mut rng()), 1);
    }

    #[test]
    fn kl_ucb_bound_is_feasible_and_tight_against_bisection() {
        let bisect = |p: f64, n: f64, level: f64| {
            let (mut lo, mut hi) = (p, 1.0);
            for _ in 0..200 {
                let mid = 0.5 * (lo + hi);
                if n * kl_bernoulli(p, mid) <= level { lo = mid } else { hi = mid }
            }
            lo
        };
        for &p in &[0.0, 1e-9, 0.01, 0.3, 0.5, 0.9, 0.999, 1.0] {
            for &n in &[1.0, 3.0, 100.0, 1e5] {
                for &level in &[0.0, 0.01, 1.0, 9.2] {
                    let q = kl_ucb_bound(p, n, level);
                    let b = bisect(p, n, level);
                    assert!(q >= p && q <= 1.0);
                    assert!(q == p || n * kl_bernoulli(p, q) <= level + 1e-12, "infeasible p={p} n={n} level={level}");
                    if level == 0.0 {
                        // bisection drifts above p through rounding in kl near p; the bound is p
                        assert_eq!(q, p);
                    } else {
                        assert!((q - b).abs() < 1e-12, "p={p} n={n} level={level}: {q} vs {b}");
                    }
                }
            }
        }
    }

    #[test]
    fn kl_ucb_bound_solves_its_equation() {
        // n kl(p, q) = level at the returned q
        let (p, n, level) = (0.3, 20.0, 2.0f64.ln() * 3.0);
        let q = kl_ucb_bound(p, n, level);
        assert!((n * kl_bernoulli(p, q) - level).abs() < 1e-9);
        assert!(q > p && q < 1.0);
        assert_eq!(kl_ucb_bound(1.0, 5.0, 1.0), 1.0);
    }

    #[test]
    fn etc_commits_to_empirical_best() {
        let mut etc = ExploreThenCommit::new(2);
        let st = ArmStats { n: vec![2, 2, 2], sum: vec![0.0, 2.0, 1.0], sumsq: vec![0.0; 3] };
        assert_eq!(etc.select(4, &st, &mut rng()), 1); // still exploring: 4 % 3
        assert_eq!(etc.select(6, &st, &mut rng()), 1);
        let st2 = ArmStats { n: vec![2, 3, 2], sum: vec![2.0, 0.0, 1.0], sumsq: vec![0.0; 3] };
        assert_eq!(etc.select(7, &st2, &mut rng()), 1, "commitment is final");
    }

    #[test]
    fn exp3_weights_hand_computed() {
        // K = 2, η = ln 2. Arm 0 pulled with reward 1 at P = (1/2, 1/2): Ŝ = (1, 1). Arm 0 pulled
        // with reward 0 at P = (1/2, 1/2): Ŝ_0 = 1 + 1 − 1/(1/2) = 0, Ŝ_1 = 2, so
        // P ∝ (2^0, 2^2) = (0.2, 0.8).
        let mut e = Exp3::new(2, 100, Some(2f64.ln()));
        let st = ArmStats::new(2);
        let mut r = rng();
        e.select(0, &st, &mut r);
        e.observe(0, 1.0, &st, &mut r);
        e.select(1, &st, &mut r);
        e.observe(0, 0.0, &st, &mut r);
        e.select(2, &st, &mut r);
        let z: f64 = e.p.iter().sum();
        assert!((e.p[0] / z - 0.2).abs() < 1e-12 && (e.p[1] / z - 0.8).abs() < 1e-12, "{:?}", e.p);
        // the default rate is sqrt(2 ln K / (T K))
        assert!((Exp3::new(10, 1000, None).eta - (2.0 * 10f64.ln() / 10_000.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn exp3_sampling_follows_its_probabilities() {
        // with fixed weights P = (0.2, 0.8), 20,000 draws: sd of the count of arm 1 is 56.6
        let mut e = Exp3::new(2, 100, Some(2f64.ln()));
        e.s_hat = vec![0.0, 2.0];
        let st = ArmStats::new(2);
        let mut r = rng();
        let ones = (0..20_000).filter(|&t| e.select(t, &st, &mut r) == 1).count() as f64;
        assert!((ones - 16_000.0).abs() < 5.0 * 56.6, "{ones}");
    }

    proptest! {
        #[test]
        fn pruned_kl_ucb_equals_full_argmax(ns in proptest::collection::vec(1u64..50, 2..9), fr in proptest::collection::vec(0.0f64..=1.0, 9), t in 2u64..10_000) {
            let k = ns.len();
            let sum: Vec<f64> = (0..k).map(|j| (fr[j] * ns[j] as f64).round()).collect();
            let st = ArmStats { n: ns.clone(), sum, sumsq: vec![0.0; k] };
            let level = (t as f64).ln();
            let full = argmax_index(&st, |j| kl_ucb_bound(st.mean(j), st.n[j] as f64, level));
            prop_assert_eq!(kl_ucb_argmax(&st, level), full);
        }

        #[test]
        fn exp3_weights_stay_normalisable(rewards in proptest::collection::vec(0.0f64..=1.0, 1..200), k in 2usize..12) {
            let mut e = Exp3::new(k, 1000, None);
            let st = ArmStats::new(k);
            let mut r = rng();
            for x in rewards {
                let a = e.select(0, &st, &mut r);
                prop_assert!(a < k);
                // unnormalised weights: finite, positive, the largest exactly 1 (no overflow)
                prop_assert!(e.p.iter().all(|&p| p.is_finite() && p > 0.0 && p <= 1.0));
                prop_assert!(e.p.contains(&1.0));
                e.observe(a, x, &st, &mut r);
            }
        }

        #[test]
        fn kl_is_nonnegative_and_zero_on_diagonal(p in 0.0f64..=1.0, q in 0.001f64..0.999) {
            prop_assert!(kl_bernoulli(p, q) >= -1e-15);
            prop_assert!(kl_bernoulli(q, q).abs() < 1e-12);
        }
    }
}
