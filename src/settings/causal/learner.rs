//! The seam between the simulation and the five algorithms: each chooses an action id per round
//! and observes the whole sample X_t. What a learner may know of the instance is in [`Known`].

use crate::rng::Philox;

/// An algorithm, as the simulation drives it.
pub trait Learner {
    /// The action of round t (0-based); `coins` is the learner's own stream.
    fn choose(&mut self, t: u64, coins: &mut Philox) -> u32;
    /// The sample X_t observed under action `a`.
    fn observe(&mut self, a: u32, x: &[f64]);
}

/// What the learners are told: ν (known to all), the true noise variances (used only in the
/// code's "true σ" mode), the true parent sets of both regimes at round 0 (only LinSEM's oracle
/// baselines read them) and the horizon (CSL-UCB's cosine schedule).
#[derive(Clone, Debug)]
pub struct Known {
    pub n: usize,
    pub nu: Vec<f64>,
    pub sigma2: Option<Vec<f64>>,
    /// `parents[r][q]`: the parents of node q in regime r.
    pub parents: [Vec<Vec<usize>>; 2],
    pub horizon: u64,
}

/// Whether action `a` intervenes on node q of n (the code's bit order: node 0 most significant).
#[inline]
pub fn regime(n: usize, a: u32, q: usize) -> usize {
    ((a >> (n - 1 - q)) & 1) as usize
}

/// The lowest index of the largest finite value (numpy's `argmax` on finite arrays).
pub fn argmax(v: &[f64]) -> usize {
    let mut best = usize::MAX;
    for (i, &x) in v.iter().enumerate() {
        if !x.is_nan() && (best == usize::MAX || x > v[best]) {
            best = i;
        }
    }
    if best == usize::MAX { 0 } else { best }
}
