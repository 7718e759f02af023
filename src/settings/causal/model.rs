//! Causal bandits on linear structural equation models (Peng, Zhang & Mitra, IEEE TSP 2025; the
//! model of their ICASSP'24 supplementary and of the public code CalixPeng/Causal_Bandit):
//!
//! - a DAG on N nodes with observational weights B and interventional weights B′ (soft
//!   interventions); `B[p][n]` is the weight of the edge p → n;
//! - an action a ∈ {0, 1}^N takes column n of B′ where a_n = 1, else of B (B_a);
//! - X = B_aᵀX + ε with ε ~ N(ν, Σ), Σ diagonal; the reward is the last node's value;
//! - μ_a = (I − B_aᵀ)⁻¹ν, computed here by forward substitution in a topological order common to
//!   B and B′ (the true model), not by 2^N dense inverses.
//!
//! Action ids follow the code: id i ↦ the bits of i with the most significant bit for node 0.

use crate::error::{ModelError, bad};

/// The largest number of nodes (2^N actions are enumerated).
pub const MAX_NODES: usize = 20;

/// A linear SEM with two regimes per node.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearSem {
    pub n: usize,
    /// Row-major N × N: `b[p * n + q]` is the weight of p → q.
    pub b: Vec<f64>,
    pub b_prime: Vec<f64>,
    /// The noise means ν (known to learners).
    pub nu: Vec<f64>,
    /// The noise variances (Σ's diagonal; unknown to learners unless a mode says otherwise).
    pub sigma2: Vec<f64>,
    /// A topological order of the union of B's and B′'s graphs.
    pub order: Vec<usize>,
}

/// A topological order of the graph with an edge p → q where `w(p, q)`, or a node on a cycle.
#[allow(clippy::needless_range_loop)] // (p, q) index the edge predicate and the in-degrees
pub fn topological_order(n: usize, w: impl Fn(usize, usize) -> bool) -> Result<Vec<usize>, usize> {
    let mut indeg = vec![0usize; n];
    for p in 0..n {
        for q in 0..n {
            if w(p, q) {
                indeg[q] += 1;
            }
        }
    }
    let mut ready: Vec<usize> = (0..n).filter(|&q| indeg[q] == 0).rev().collect();
    let mut order = Vec::with_capacity(n);
    while let Some(p) = ready.pop() {
        order.push(p);
        for q in 0..n {
            if w(p, q) {
                indeg[q] -= 1;
                if indeg[q] == 0 {
                    ready.push(q);
                }
            }
        }
    }
    if order.len() == n { Ok(order) } else { Err((0..n).find(|&q| indeg[q] > 0).unwrap_or(0)) }
}

impl LinearSem {
    /// Checks the instance: N in 1..=20, square N × N weight matrices with finite entries and no
    /// self-loop, B and B′ together acyclic (so every B_a is), ν finite, Σ's diagonal finite and
    /// non-negative (off-diagonal entries are refused where the caller has a full Σ).
    pub fn new(
        b: Vec<Vec<f64>>,
        b_prime: Vec<Vec<f64>>,
        nu: Vec<f64>,
        sigma2: Vec<f64>,
    ) -> Result<LinearSem, ModelError> {
        let n = b.len();
        if !(1..=MAX_NODES).contains(&n) {
            return Err(bad(
                "B",
                format!("{n} rows"),
                "the number of nodes N (2^N actions)",
                format!("1 ..= {MAX_NODES}"),
            ));
        }
        for (name, m) in [("B", &b), ("B_prime", &b_prime)] {
            if m.len() != n || m.iter().any(|r| r.len() != n) {
                return Err(bad(
                    name,
                    format!("{} rows of {:?} entries", m.len(), m.iter().map(Vec::len).collect::<Vec<_>>()),
                    "a square weight matrix",
                    format!("{n} × {n}, as B"),
                ));
            }
            for (p, row) in m.iter().enumerate() {
                for (q, &x) in row.iter().enumerate() {
                    if !x.is_finite() {
                        return Err(bad(format!("{name}[{p}][{q}]"), x, "an edge weight", "a finite number"));
                    }
                    if p == q && x != 0.0 {
                        return Err(bad(format!("{name}[{p}][{p}]"), x, "a self-loop", "0 on the diagonal"));
                    }
                }
            }
        }
        if nu.len() != n || nu.iter().any(|x| !x.is_finite()) {
            return Err(bad("nu", format!("{nu:?}"), "the noise means", format!("{n} finite numbers")));
        }
        if sigma2.len() != n {
            return Err(bad(
                "Sigma",
                format!("{} diagonal entries", sigma2.len()),
                "the noise covariance",
                format!("{n} × {n}, diagonal"),
            ));
        }
        if let Some((i, &x)) = sigma2.iter().enumerate().find(|(_, x)| !(x.is_finite() && **x >= 0.0)) {
            return Err(bad(format!("Sigma[{i}][{i}]"), x, "a noise variance", "a finite number ≥ 0"));
        }
        let flat = |m: &Vec<Vec<f64>>| m.iter().flatten().copied().collect::<Vec<f64>>();
        let (b, b_prime) = (flat(&b), flat(&b_prime));
        let order = topological_order(n, |p, q| b[p * n + q] != 0.0 || b_prime[p * n + q] != 0.0).map_err(|v| {
            bad(
                "B",
                format!("a cycle through node {v}"),
                "B and B′ together must be acyclic (every action's graph then is)",
                "a DAG",
            )
        })?;
        Ok(LinearSem { n, b, b_prime, nu, sigma2, order })
    }

    /// Whether action `a` intervenes on node `q` (the code's bit order: node 0 is the most
    /// significant of N bits).
    #[inline]
    pub fn intervened(&self, a: u32, q: usize) -> bool {
        (a >> (self.n - 1 - q)) & 1 == 1
    }

    /// The weight of p → q under action a.
    #[inline]
    pub fn weight(&self, a: u32, p: usize, q: usize) -> f64 {
        if self.intervened(a, q) { self.b_prime[p * self.n + q] } else { self.b[p * self.n + q] }
    }

    /// μ_a = (I − B_aᵀ)⁻¹ν, by forward substitution in the topological order.
    pub fn mean_vector(&self, a: u32) -> Vec<f64> {
        let n = self.n;
        let mut mu = vec![0.0; n];
        for &q in &self.order {
            let mut v = self.nu[q];
            for (p, &m) in mu.iter().enumerate() {
                let w = self.weight(a, p, q);
                if w != 0.0 {
                    v += w * m;
                }
            }
            mu[q] = v;
        }
        mu
    }

    /// The expected reward (the last node's mean) of every action, by id.
    pub fn rewards(&self) -> Vec<f64> {
        (0..1u32 << self.n).map(|a| self.mean_vector(a)[self.n - 1]).collect()
    }

    /// The best action (lowest id among ties) and its expected reward.
    pub fn best(&self) -> (u32, f64) {
        let r = self.rewards();
        let mut best = 0;
        for (a, &x) in r.iter().enumerate() {
            if x > r[best] {
                best = a;
            }
        }
        (best as u32, r[best])
    }

    /// One sample X under action a, given standard normal draws `z` (one per node): X_q = ν_q +
    /// σ_q z_q + Σ_p B_a\[p\]\[q\] X_p in topological order.
    pub fn sample(&self, a: u32, z: &[f64], x: &mut [f64]) {
        for &q in &self.order {
            let mut v = self.nu[q] + self.sigma2[q].sqrt() * z[q];
            for (p, &xp) in x.iter().enumerate() {
                let w = self.weight(a, p, q);
                if w != 0.0 {
                    v += w * xp;
                }
            }
            x[q] = v;
        }
    }
}

/// μ for an *estimated* model, whose B̂_a may be cyclic (a mixture of two learned orders): a
/// general LU solve of (I − B̂_aᵀ)μ = ν; None when the system is singular.
pub fn solve_mean(n: usize, b_a: &[f64], nu: &[f64]) -> Option<Vec<f64>> {
    let m = nalgebra::DMatrix::from_fn(n, n, |i, j| if i == j { 1.0 } else { 0.0 } - b_a[j * n + i]);
    let lu = m.lu();
    lu.solve(&nalgebra::DVector::from_column_slice(nu)).map(|v| v.iter().copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> LinearSem {
        // 0 → 1 (0.5 / B′ 2.0), 1 → 2 (1.5 / B′ -1.0), 0 → 2 (-1.0 / B′ 0.0); ν = 1
        LinearSem::new(
            vec![vec![0.0, 0.5, -1.0], vec![0.0, 0.0, 1.5], vec![0.0; 3]],
            vec![vec![0.0, 2.0, 0.0], vec![0.0, 0.0, -1.0], vec![0.0; 3]],
            vec![1.0; 3],
            vec![1.0; 3],
        )
        .unwrap()
    }

    /// Hand-computed: under a = 0 (no intervention) μ0 = 1, μ1 = 1 + 0.5 = 1.5, μ2 = 1 + 1.5·1.5
    /// − 1 = 2.25; intervening on node 1 only (bits 010: id 2): μ1 = 1 + 2 = 3, μ2 = 1 + 4.5 −
    /// 1 = 4.5; on node 2 only (id 1): μ2 = 1 − 1.5 = −0.5; on all (id 7): μ1 = 3, μ2 = 1 − 3 = −2.
    #[test]
    fn means_by_hand() {
        let s = tiny();
        assert_eq!(s.mean_vector(0), vec![1.0, 1.5, 2.25]);
        assert_eq!(s.mean_vector(2), vec![1.0, 3.0, 4.5]);
        assert_eq!(s.mean_vector(1)[2], -0.5);
        assert_eq!(s.mean_vector(7)[2], -2.0);
        assert_eq!(s.best(), (2, 4.5));
    }

    /// With zero noise draws a sample is the mean vector; a unit draw at the root moves every
    /// descendant by its total effect (node 2 under a = 0: −1 + 0.5·1.5 = −0.25).
    #[test]
    fn samples_follow_the_equations() {
        let s = tiny();
        let mut x = vec![f64::NAN; 3];
        for a in 0..8u32 {
            s.sample(a, &[0.0; 3], &mut x);
            assert_eq!(x, s.mean_vector(a));
        }
        s.sample(0, &[1.0, 0.0, 0.0], &mut x);
        assert_eq!(x, vec![2.0, 2.0, 2.0]);
    }

    /// Forward substitution equals the general solve for every action.
    #[test]
    fn forward_substitution_equals_a_dense_solve() {
        let s = tiny();
        for a in 0..8u32 {
            let b_a: Vec<f64> = (0..9).map(|e| s.weight(a, e / 3, e % 3)).collect();
            let dense = solve_mean(3, &b_a, &s.nu).unwrap();
            for (x, y) in s.mean_vector(a).iter().zip(&dense) {
                assert!((x - y).abs() < 1e-12);
            }
        }
        // a 2-cycle with gain 1 is singular
        assert!(solve_mean(2, &[0.0, 1.0, 1.0, 0.0], &[1.0, 1.0]).is_none());
    }

    #[test]
    fn bad_instances_are_refused_by_name() {
        let z = || vec![vec![0.0; 2]; 2];
        let msg = |r: Result<LinearSem, ModelError>| r.unwrap_err().to_string();
        assert!(
            msg(LinearSem::new(
                vec![vec![0.0, 1.0], vec![0.0, 0.0]],
                vec![vec![0.0, 0.0], vec![1.0, 0.0]],
                vec![1.0; 2],
                vec![1.0; 2]
            ))
            .contains("cycle")
        );
        assert!(msg(LinearSem::new(z(), vec![vec![0.0; 3]; 2], vec![1.0; 2], vec![1.0; 2])).contains("B_prime"));
        assert!(
            msg(LinearSem::new(vec![vec![0.0, f64::NAN], vec![0.0, 0.0]], z(), vec![1.0; 2], vec![1.0; 2]))
                .contains("B[0][1]")
        );
        assert!(msg(LinearSem::new(z(), z(), vec![1.0; 2], vec![1.0, -0.5])).contains("Sigma[1][1]"));
        assert!(
            msg(LinearSem::new(vec![vec![0.0; 21]; 21], vec![vec![0.0; 21]; 21], vec![1.0; 21], vec![1.0; 21]))
                .contains("1 ..= 20")
        );
        assert!(
            msg(LinearSem::new(vec![vec![0.5, 0.0], vec![0.0, 0.0]], z(), vec![1.0; 2], vec![1.0; 2]))
                .contains("self-loop")
        );
    }
}
