//! Finite tabular MDPs: S states, A actions, transitions P(s'|s,a) (dense or sparse), mean
//! rewards r(s,a) in [0, 1]. A model is validated when it is built, so planners and simulators
//! never see a row that is not a distribution.

use ndarray::{Array2, Array3};

use super::{ModelError, bad};

/// A transition row may differ from 1 by this much (rounding of normalised data).
pub const ROW_SUM_TOL: f64 = 1e-9;

/// Transitions P(s'|s,a).
#[derive(Clone, Debug, PartialEq)]
pub enum Transitions {
    /// `p[[s, a, s']]`: one contiguous row per (s, a), rows of a state adjacent.
    Dense(Array3<f64>),
    /// Compressed rows: row (s, a) is `next[offsets[i]..offsets[i+1]]` with `prob` alongside,
    /// `i = s·A + a`.
    Sparse { offsets: Vec<usize>, next: Vec<u32>, prob: Vec<f64> },
}

/// One transition row.
#[derive(Clone, Copy, Debug)]
pub enum Row<'a> {
    Dense(&'a [f64]),
    Sparse(&'a [u32], &'a [f64]),
}

impl<'a> Row<'a> {
    /// Σ_{s'} P(s'|s,a)·v(s').
    #[inline]
    pub fn dot(&self, v: &[f64]) -> f64 {
        match *self {
            Row::Dense(p) => dot_dense(p, v),
            Row::Sparse(idx, p) => idx.iter().zip(p).map(|(&j, &q)| q * v[j as usize]).sum(),
        }
    }

    /// The (s', probability) pairs with positive probability, in increasing s'.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (usize, f64)> + 'a> {
        match *self {
            Row::Dense(p) => Box::new(p.iter().enumerate().filter(|(_, q)| **q > 0.0).map(|(j, &q)| (j, q))),
            Row::Sparse(idx, p) => Box::new(idx.iter().zip(p).map(|(&j, &q)| (j as usize, q))),
        }
    }
}

/// A dot product with sixteen fixed partial sums (partial sum k takes elements 16i + k), added
/// pairwise in a fixed order: the same bits on every instruction set (Rust never contracts to
/// FMA), with an AVX2 form that keeps four 256-bit add chains in flight.
#[inline]
pub fn dot_dense(p: &[f64], v: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { dot_dense_avx2(p, v) };
        }
    }
    dot_dense_portable(p, v)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot_dense_avx2(p: &[f64], v: &[f64]) -> f64 {
    use std::arch::x86_64::*;
    let n = p.len().min(v.len());
    let chunks = n / 16;
    let mut acc = [0.0f64; 16];
    // SAFETY: every load reads 4 f64 inside p[..16·chunks] and v[..16·chunks] (16·chunks ≤ n);
    // loads and stores are the unaligned forms.
    unsafe {
        let (mut a0, mut a1, mut a2, mut a3) =
            (_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd());
        let (pp, vp) = (p.as_ptr(), v.as_ptr());
        for i in 0..chunks {
            let o = 16 * i;
            a0 = _mm256_add_pd(a0, _mm256_mul_pd(_mm256_loadu_pd(pp.add(o)), _mm256_loadu_pd(vp.add(o))));
            a1 = _mm256_add_pd(a1, _mm256_mul_pd(_mm256_loadu_pd(pp.add(o + 4)), _mm256_loadu_pd(vp.add(o + 4))));
            a2 = _mm256_add_pd(a2, _mm256_mul_pd(_mm256_loadu_pd(pp.add(o + 8)), _mm256_loadu_pd(vp.add(o + 8))));
            a3 = _mm256_add_pd(a3, _mm256_mul_pd(_mm256_loadu_pd(pp.add(o + 12)), _mm256_loadu_pd(vp.add(o + 12))));
        }
        let ap = acc.as_mut_ptr();
        _mm256_storeu_pd(ap, a0);
        _mm256_storeu_pd(ap.add(4), a1);
        _mm256_storeu_pd(ap.add(8), a2);
        _mm256_storeu_pd(ap.add(12), a3);
    }
    finish_dense(acc, &p[16 * chunks..n], &v[16 * chunks..n])
}

#[inline(always)]
fn finish_dense(mut acc: [f64; 16], p: &[f64], v: &[f64]) -> f64 {
    let mut tail = 0.0;
    for (a, b) in p.iter().zip(v) {
        tail += a * b;
    }
    let mut width = 8;
    while width > 0 {
        for k in 0..width {
            acc[k] += acc[k + width];
        }
        width /= 2;
    }
    acc[0] + tail
}

#[inline(always)]
fn dot_dense_portable(p: &[f64], v: &[f64]) -> f64 {
    let n = p.len().min(v.len());
    let chunks = n / 16;
    let mut acc = [0.0f64; 16];
    for (a, b) in p[..16 * chunks].chunks_exact(16).zip(v[..16 * chunks].chunks_exact(16)) {
        for k in 0..16 {
            acc[k] += a[k] * b[k];
        }
    }
    finish_dense(acc, &p[16 * chunks..n], &v[16 * chunks..n])
}

/// A finite MDP. Rewards are mean rewards r(s,a) ∈ [0, 1] (the range the regret bounds assume).
#[derive(Clone, Debug, PartialEq)]
pub struct TabularMdp {
    states: usize,
    actions: usize,
    transitions: Transitions,
    rewards: Array2<f64>,
}

/// A stochastic stationary policy: `probs[[s, a]]` = π(a|s).
#[derive(Clone, Debug, PartialEq)]
pub struct TabularPolicy {
    pub probs: Array2<f64>,
}

impl TabularPolicy {
    /// The uniform policy.
    pub fn uniform(states: usize, actions: usize) -> TabularPolicy {
        TabularPolicy { probs: Array2::from_elem((states, actions), 1.0 / actions as f64) }
    }

    /// The deterministic policy that plays `actions[s]` in state s.
    pub fn deterministic(actions: &[usize], num_actions: usize) -> TabularPolicy {
        let mut probs = Array2::zeros((actions.len(), num_actions));
        for (s, &a) in actions.iter().enumerate() {
            probs[[s, a]] = 1.0;
        }
        TabularPolicy { probs }
    }
}

fn check_prob(field: impl Fn() -> String, p: f64) -> Result<(), ModelError> {
    if !p.is_finite() || p < 0.0 {
        return Err(bad(field(), p, "a transition probability", "[0, 1]"));
    }
    Ok(())
}

fn check_row_sum(s: usize, a: usize, sum: f64) -> Result<(), ModelError> {
    if (sum - 1.0).abs() > ROW_SUM_TOL {
        return Err(bad(
            format!("transitions[s={s}, a={a}]"),
            format!("row sum {sum}"),
            "each row P(.|s,a) must be a distribution",
            format!("sum within {ROW_SUM_TOL:e} of 1"),
        ));
    }
    Ok(())
}

impl TabularMdp {
    /// A model with dense transitions `p[[s, a, s']]` and rewards `r[[s, a]]`.
    pub fn dense(p: Array3<f64>, r: Array2<f64>) -> Result<TabularMdp, ModelError> {
        let (s, a, s2) = p.dim();
        if s == 0 || a == 0 {
            return Err(bad(
                "transitions",
                format!("shape ({s}, {a}, {s2})"),
                "an MDP needs states and actions",
                "S >= 1, A >= 1",
            ));
        }
        if s2 != s {
            return Err(bad(
                "transitions",
                format!("shape ({s}, {a}, {s2})"),
                "the last axis indexes next states",
                format!("({s}, {a}, {s})"),
            ));
        }
        if r.dim() != (s, a) {
            return Err(bad(
                "rewards",
                format!("shape {:?}", r.dim()),
                "one mean reward per (state, action)",
                format!("({s}, {a})"),
            ));
        }
        for i in 0..s {
            for k in 0..a {
                let mut sum = 0.0;
                for j in 0..s {
                    let q = p[[i, k, j]];
                    check_prob(|| format!("transitions[s={i}, a={k}, s'={j}]"), q)?;
                    sum += q;
                }
                check_row_sum(i, k, sum)?;
            }
        }
        Self::check_rewards(&r)?;
        let p = if p.is_standard_layout() { p } else { p.as_standard_layout().to_owned() };
        Ok(TabularMdp { states: s, actions: a, transitions: Transitions::Dense(p), rewards: r })
    }

    /// A model with sparse transitions: `rows[s·A + a]` lists (s', probability) pairs.
    pub fn sparse(
        states: usize,
        actions: usize,
        rows: Vec<Vec<(usize, f64)>>,
        r: Array2<f64>,
    ) -> Result<TabularMdp, ModelError> {
        if states == 0 || actions == 0 {
            return Err(bad(
                "states/actions",
                format!("{states}/{actions}"),
                "an MDP needs states and actions",
                "S >= 1, A >= 1",
            ));
        }
        if rows.len() != states * actions {
            return Err(bad(
                "transitions",
                format!("{} rows", rows.len()),
                "one row per (state, action)",
                format!("{}", states * actions),
            ));
        }
        if r.dim() != (states, actions) {
            return Err(bad(
                "rewards",
                format!("shape {:?}", r.dim()),
                "one mean reward per (state, action)",
                format!("({states}, {actions})"),
            ));
        }
        let mut offsets = vec![0];
        let (mut next, mut prob) = (Vec::new(), Vec::new());
        for (i, row) in rows.into_iter().enumerate() {
            let (s, a) = (i / actions, i % actions);
            let mut row = row;
            row.sort_by_key(|&(j, _)| j);
            let mut sum = 0.0;
            for (n, &(j, q)) in row.iter().enumerate() {
                if j >= states {
                    return Err(bad(
                        format!("transitions[s={s}, a={a}]"),
                        format!("next state {j}"),
                        "next states index the state space",
                        format!("0 ..= {}", states - 1),
                    ));
                }
                if n > 0 && row[n - 1].0 == j {
                    return Err(bad(
                        format!("transitions[s={s}, a={a}]"),
                        format!("next state {j} twice"),
                        "one entry per next state",
                        "distinct next states",
                    ));
                }
                check_prob(|| format!("transitions[s={s}, a={a}, s'={j}]"), q)?;
                sum += q;
                if q > 0.0 {
                    next.push(j as u32);
                    prob.push(q);
                }
            }
            check_row_sum(s, a, sum)?;
            offsets.push(next.len());
        }
        Self::check_rewards(&r)?;
        Ok(TabularMdp { states, actions, transitions: Transitions::Sparse { offsets, next, prob }, rewards: r })
    }

    fn check_rewards(r: &Array2<f64>) -> Result<(), ModelError> {
        for ((s, a), &x) in r.indexed_iter() {
            if !(0.0..=1.0).contains(&x) {
                return Err(bad(
                    format!("rewards[s={s}, a={a}]"),
                    x,
                    "mean rewards are bounded (the bounds assume [0, 1])",
                    "[0, 1]",
                ));
            }
        }
        Ok(())
    }

    pub fn states(&self) -> usize {
        self.states
    }
    pub fn actions(&self) -> usize {
        self.actions
    }
    pub fn transitions(&self) -> &Transitions {
        &self.transitions
    }
    pub fn rewards(&self) -> &Array2<f64> {
        &self.rewards
    }
    #[inline]
    pub fn reward(&self, s: usize, a: usize) -> f64 {
        self.rewards[[s, a]]
    }

    /// Row P(·|s,a).
    #[inline]
    pub fn row(&self, s: usize, a: usize) -> Row<'_> {
        match &self.transitions {
            Transitions::Dense(p) => {
                let n = self.states;
                let flat = p.as_slice().expect("dense transitions are kept in standard layout");
                let o = (s * self.actions + a) * n;
                Row::Dense(&flat[o..o + n])
            }
            Transitions::Sparse { offsets, next, prob } => {
                let i = s * self.actions + a;
                Row::Sparse(&next[offsets[i]..offsets[i + 1]], &prob[offsets[i]..offsets[i + 1]])
            }
        }
    }

    /// The dense tensor P\[s, a, s'\] (a copy for sparse models).
    pub fn dense_transitions(&self) -> Array3<f64> {
        match &self.transitions {
            Transitions::Dense(p) => p.clone(),
            Transitions::Sparse { .. } => {
                let mut p = Array3::zeros((self.states, self.actions, self.states));
                for s in 0..self.states {
                    for a in 0..self.actions {
                        for (j, q) in self.row(s, a).iter() {
                            p[[s, a, j]] = q;
                        }
                    }
                }
                p
            }
        }
    }

    /// Q(s,a) = r(s,a) + γ Σ P(s'|s,a) v(s').
    #[inline]
    pub fn q_value(&self, s: usize, a: usize, gamma: f64, v: &[f64]) -> f64 {
        self.reward(s, a) + gamma * self.row(s, a).dot(v)
    }

    /// The whole Q table for `v`.
    pub fn q_table(&self, gamma: f64, v: &[f64]) -> Array2<f64> {
        Array2::from_shape_fn((self.states, self.actions), |(s, a)| self.q_value(s, a, gamma, v))
    }

    /// Checks that a policy fits this model and its rows are distributions.
    pub fn check_policy(&self, pi: &TabularPolicy) -> Result<(), ModelError> {
        if pi.probs.dim() != (self.states, self.actions) {
            return Err(bad(
                "policy",
                format!("shape {:?}", pi.probs.dim()),
                "one distribution over actions per state",
                format!("({}, {})", self.states, self.actions),
            ));
        }
        for s in 0..self.states {
            let mut sum = 0.0;
            for a in 0..self.actions {
                let q = pi.probs[[s, a]];
                if !q.is_finite() || q < 0.0 {
                    return Err(bad(format!("policy[s={s}, a={a}]"), q, "a probability", "[0, 1]"));
                }
                sum += q;
            }
            if (sum - 1.0).abs() > ROW_SUM_TOL {
                return Err(bad(
                    format!("policy[s={s}]"),
                    format!("sum {sum}"),
                    "π(.|s) must be a distribution",
                    format!("sum within {ROW_SUM_TOL:e} of 1"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_state() -> (Array3<f64>, Array2<f64>) {
        let p = Array3::from_shape_vec((2, 2, 2), vec![0.9, 0.1, 0.2, 0.8, 0.0, 1.0, 0.5, 0.5]).unwrap();
        let r = Array2::from_shape_vec((2, 2), vec![0.0, 0.5, 1.0, 0.2]).unwrap();
        (p, r)
    }

    #[test]
    fn dense_and_sparse_agree() {
        let (p, r) = two_state();
        let d = TabularMdp::dense(p, r.clone()).unwrap();
        let rows = vec![vec![(0, 0.9), (1, 0.1)], vec![(1, 0.8), (0, 0.2)], vec![(1, 1.0)], vec![(0, 0.5), (1, 0.5)]];
        let s = TabularMdp::sparse(2, 2, rows, r).unwrap();
        assert_eq!(d.dense_transitions(), s.dense_transitions());
        let v = [3.0, -1.0];
        for st in 0..2 {
            for a in 0..2 {
                assert!((d.q_value(st, a, 0.9, &v) - s.q_value(st, a, 0.9, &v)).abs() < 1e-15);
            }
        }
        // Hand-computed: Q(0,1) = 0.5 + 0.9·(0.2·3 − 0.8) = 0.32.
        assert!((d.q_value(0, 1, 0.9, &v) - 0.32).abs() < 1e-15);
    }

    #[test]
    fn bad_rows_name_the_entry() {
        let (mut p, r) = two_state();
        p[[1, 0, 1]] = 0.9;
        let e = TabularMdp::dense(p, r.clone()).unwrap_err().to_string();
        assert!(e.contains("transitions[s=1, a=0]") && e.contains("sum within 1e-9 of 1"), "{e}");
        let (mut p, _) = two_state();
        p[[0, 0, 0]] = 1.2;
        p[[0, 0, 1]] = -0.2;
        let e = TabularMdp::dense(p, r.clone()).unwrap_err().to_string();
        assert!(e.contains("transitions[s=0, a=0, s'=1] = -0.2") && e.contains("[0, 1]"), "{e}");
        let e = TabularMdp::dense(Array3::from_elem((2, 2, 3), 1.0 / 3.0), r.clone()).unwrap_err().to_string();
        assert!(e.contains("transitions = shape (2, 2, 3)"), "{e}");
        let (p, _) = two_state();
        let e = TabularMdp::dense(p, Array2::zeros((2, 3))).unwrap_err().to_string();
        assert!(e.contains("rewards = shape (2, 3)"), "{e}");
        let (p, mut r) = two_state();
        r[[0, 0]] = 1.5;
        let e = TabularMdp::dense(p, r).unwrap_err().to_string();
        assert!(e.contains("rewards[s=0, a=0] = 1.5"), "{e}");
        let e = TabularMdp::sparse(2, 1, vec![vec![(0, 0.5), (0, 0.5)], vec![(1, 1.0)]], Array2::zeros((2, 1)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("twice"), "{e}");
        let e = TabularMdp::sparse(2, 1, vec![vec![(2, 1.0)], vec![(1, 1.0)]], Array2::zeros((2, 1)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("next state 2"), "{e}");
    }

    #[test]
    fn dot_matches_naive_sum() {
        let p: Vec<f64> = (0..37).map(|i| (i as f64 * 0.37).sin()).collect();
        let v: Vec<f64> = (0..37).map(|i| (i as f64 * 1.3).cos()).collect();
        let naive: f64 = p.iter().zip(&v).map(|(a, b)| a * b).sum();
        assert!((dot_dense(&p, &v) - naive).abs() < 1e-12);
        let p: Vec<f64> = (0..600).map(|i| (i as f64 * 0.37).sin()).collect();
        let v: Vec<f64> = (0..600).map(|i| (i as f64 * 1.3).cos() * 90.0).collect();
        for n in [0, 3, 16, 37, 500, 600] {
            assert_eq!(
                dot_dense(&p[..n], &v[..n]).to_bits(),
                dot_dense_portable(&p[..n], &v[..n]).to_bits(),
                "n = {n}"
            );
        }
    }
}
