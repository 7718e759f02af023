//! The episodic cascading MDP (Du, Srikant & Chen 2024, §2): S states, N items, lists of at
//! most m distinct items, horizon H. In state s the user scans the list; item a is attractive
//! with probability q(s,a), independently; the first attractive item a is clicked, paying r(s,a)
//! and moving to s' ~ p(·|s,a); with no click the default a_⊥ pays 0 and moves to s' ~ p(·|s,a_⊥).
//! Exact optimal values come from backward induction with BestPerm; any policy is evaluated
//! exactly by the same recursion.

use ndarray::{Array2, Array3};

use super::best_perm::{Scratch, best_perm, list_value};
use crate::error::{ModelError, bad};
use crate::mdp::episodes::{sample_next, uniforms};
use crate::mdp::model::Row;
use crate::rng::StreamId;

/// A row may differ from 1 by this much.
pub const ROW_SUM_TOL: f64 = 1e-9;

#[derive(Clone, Debug, PartialEq)]
pub struct CascadingMdp {
    states: usize,
    items: usize,
    /// Lists hold at most this many items.
    pub max_list: usize,
    /// Steps per episode.
    pub horizon: usize,
    /// `q[[s, a]]`: attraction probability.
    q: Array2<f64>,
    /// `r[[s, a]]`: reward of a click, in [0, 1].
    r: Array2<f64>,
    /// `p[[s, a, s']]` for items a < N, and a = N for a_⊥.
    p: Array3<f64>,
}

/// A deterministic non-stationary list policy: `lists[h][s]`.
pub type ListPolicy = Vec<Vec<Vec<u16>>>;

/// What the user did with one list.
#[derive(Clone, Debug, PartialEq)]
pub struct Feedback {
    /// Items examined, in order, with their attraction outcome (the last one is the click, if any).
    pub examined: Vec<(u16, bool)>,
    /// The clicked item, if any.
    pub click: Option<u16>,
    pub reward: f64,
    pub next: usize,
}

impl CascadingMdp {
    pub fn new(
        q: Array2<f64>,
        r: Array2<f64>,
        p: Array3<f64>,
        max_list: usize,
        horizon: usize,
    ) -> Result<CascadingMdp, ModelError> {
        let (s, n) = q.dim();
        if s == 0 || n == 0 {
            return Err(bad(
                "attraction",
                format!("shape ({s}, {n})"),
                "a cascading MDP needs states and items",
                "S >= 1, N >= 1",
            ));
        }
        if r.dim() != (s, n) {
            return Err(bad(
                "rewards",
                format!("shape {:?}", r.dim()),
                "one reward per (state, item)",
                format!("({s}, {n})"),
            ));
        }
        if p.dim() != (s, n + 1, s) {
            return Err(bad(
                "transitions",
                format!("shape {:?}", p.dim()),
                "rows for every item and for a_⊥ (last)",
                format!("({s}, {}, {s})", n + 1),
            ));
        }
        if max_list == 0 || max_list > n {
            return Err(bad("list_length", max_list, "the longest list m (distinct items)", format!("1 ..= N = {n}")));
        }
        crate::mdp::check_horizon(horizon)?;
        for ((i, a), &x) in q.indexed_iter() {
            if !(0.0..=1.0).contains(&x) {
                return Err(bad(format!("attraction[s={i}, a={a}]"), x, "a probability", "[0, 1]"));
            }
        }
        for ((i, a), &x) in r.indexed_iter() {
            if !(0.0..=1.0).contains(&x) {
                return Err(bad(format!("rewards[s={i}, a={a}]"), x, "a click reward", "[0, 1]"));
            }
        }
        for i in 0..s {
            for a in 0..=n {
                let mut sum = 0.0;
                for j in 0..s {
                    let x = p[[i, a, j]];
                    if !(x.is_finite() && x >= 0.0) {
                        return Err(bad(
                            format!("transitions[s={i}, a={a}, s'={j}]"),
                            x,
                            "a transition probability",
                            "[0, 1]",
                        ));
                    }
                    sum += x;
                }
                if (sum - 1.0).abs() > ROW_SUM_TOL {
                    return Err(bad(
                        format!("transitions[s={i}, a={a}]"),
                        format!("row sum {sum}"),
                        "each row must be a distribution (a = N is a_⊥)",
                        format!("sum within {ROW_SUM_TOL:e} of 1"),
                    ));
                }
            }
        }
        let p = p.as_standard_layout().to_owned();
        Ok(CascadingMdp { states: s, items: n, max_list, horizon, q, r, p })
    }

    pub fn states(&self) -> usize {
        self.states
    }
    pub fn items(&self) -> usize {
        self.items
    }
    pub fn attraction(&self) -> &Array2<f64> {
        &self.q
    }
    pub fn rewards(&self) -> &Array2<f64> {
        &self.r
    }
    /// Row p(·|s, a), a = N for a_⊥.
    pub fn row(&self, s: usize, a: usize) -> &[f64] {
        let n = self.states;
        let o = (s * (self.items + 1) + a) * n;
        &self.p.as_slice().expect("standard layout")[o..o + n]
    }

    /// Item weights w(a) = r(s,a) + p(·|s,a)ᵀV and w_⊥ = p(·|s,a_⊥)ᵀV.
    pub fn weights(&self, s: usize, v_next: &[f64], w: &mut Vec<f64>) -> f64 {
        w.clear();
        for a in 0..self.items {
            w.push(self.r[[s, a]] + dot(self.row(s, a), v_next));
        }
        dot(self.row(s, self.items), v_next)
    }

    /// V*_h for h = 0..=H (`v[[h, s]]`) and an optimal list policy, by backward induction with
    /// BestPerm.
    pub fn optimum(&self) -> (Array2<f64>, ListPolicy) {
        let (n, hh) = (self.states, self.horizon);
        let mut v = Array2::zeros((hh + 1, n));
        let mut pol = vec![vec![Vec::new(); n]; hh];
        let mut scratch = Scratch::default();
        let mut w = Vec::new();
        for h in (0..hh).rev() {
            let next: Vec<f64> = v.row(h + 1).to_vec();
            for s in 0..n {
                let wb = self.weights(s, &next, &mut w);
                let mut list = Vec::new();
                v[[h, s]] = best_perm(
                    self.q.row(s).as_slice().expect("standard layout"),
                    &w,
                    wb,
                    self.max_list,
                    &mut scratch,
                    &mut list,
                );
                pol[h][s] = list;
            }
        }
        (v, pol)
    }

    /// V^π_0(s) for every s: the exact value of a list policy.
    pub fn evaluate(&self, pol: &ListPolicy) -> Vec<f64> {
        let n = self.states;
        let mut next = vec![0.0; n];
        let mut cur = vec![0.0; n];
        let mut w = Vec::new();
        for h in (0..self.horizon).rev() {
            for s in 0..n {
                let wb = self.weights(s, &next, &mut w);
                cur[s] = list_value(&pol[h][s], self.q.row(s).as_slice().expect("standard layout"), &w, wb);
            }
            std::mem::swap(&mut cur, &mut next);
        }
        next
    }

    /// Shows `list` in state s at (episode, step): item a is attractive iff the uniform addressed
    /// by (episode, step, a) is below q(s,a) — a virtual attraction table shared by every
    /// algorithm of a cell — and the next state uses the uniform addressed by (episode, step, N).
    pub fn step(&self, env: &StreamId, episode: u64, step: usize, s: usize, list: &[u16]) -> Feedback {
        let base = (episode * self.horizon as u64 + step as u64) * (self.items as u64 + 1);
        let mut examined = Vec::with_capacity(list.len());
        let mut click = None;
        for &a in list {
            let attractive = uniforms(env, base + a as u64).0 < self.q[[s, a as usize]];
            examined.push((a, attractive));
            if attractive {
                click = Some(a);
                break;
            }
        }
        let (reward, row) = match click {
            Some(a) => (self.r[[s, a as usize]], a as usize),
            None => (0.0, self.items),
        };
        let next = sample_next(Row::Dense(self.row(s, row)), uniforms(env, base + self.items as u64).0);
        Feedback { examined, click, reward, next }
    }
}

#[inline]
fn dot(p: &[f64], v: &[f64]) -> f64 {
    crate::mdp::model::dot_dense(p, v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::cascading::best_perm::all_lists;
    use crate::settings::cascading::generate::synthetic;

    /// Backward induction with BestPerm equals backward induction with exhaustive search over
    /// every list (the optimal value of a small cascading MDP by enumeration).
    #[test]
    fn optimum_equals_enumeration() {
        for seed in 0..20 {
            let m = synthetic(3, 5, 2, 3, 1.0, seed).unwrap();
            let (v, pol) = m.optimum();
            let lists = all_lists(5, 2);
            let mut next = vec![0.0; 3];
            let mut w = Vec::new();
            for h in (0..3).rev() {
                let cur: Vec<f64> = (0..3)
                    .map(|s| {
                        let wb = m.weights(s, &next, &mut w);
                        lists
                            .iter()
                            .map(|l| list_value(l, m.attraction().row(s).as_slice().unwrap(), &w, wb))
                            .fold(f64::NEG_INFINITY, f64::max)
                    })
                    .collect();
                for s in 0..3 {
                    assert!((cur[s] - v[[h, s]]).abs() < 1e-12, "seed {seed}, h {h}, s {s}");
                }
                next = cur;
            }
            let ev = m.evaluate(&pol);
            for s in 0..3 {
                assert!((ev[s] - v[[0, s]]).abs() < 1e-12);
            }
        }
    }

    /// The simulated step has the model's law: the click-through rate of a list over 40,000
    /// episodes is within 4 s.e. of 1 − Π(1 − q).
    #[test]
    fn simulated_clicks_match_the_model() {
        let m = synthetic(2, 4, 3, 1, 1.0, 3).unwrap();
        let env = StreamId::new([3, 4], 0, crate::rng::Role::Env);
        let list = [2u16, 0, 3];
        let mut clicks = 0.0;
        let n = 40_000;
        for k in 0..n {
            if m.step(&env, k, 0, 1, &list).click.is_some() {
                clicks += 1.0;
            }
        }
        let p = 1.0 - list.iter().map(|&a| 1.0 - m.attraction()[[1, a as usize]]).product::<f64>();
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!((clicks / n as f64 - p).abs() < 4.0 * se, "{} vs {p}", clicks / n as f64);
    }

    #[test]
    fn bad_models_name_the_field() {
        let m = synthetic(2, 3, 2, 2, 1.0, 1).unwrap();
        let (q, r, p) = (m.q.clone(), m.r.clone(), m.p.clone());
        let e = CascadingMdp::new(q.clone(), r.clone(), p.clone(), 4, 2).unwrap_err().to_string();
        assert!(e.contains("list_length = 4") && e.contains("1 ..= N = 3"), "{e}");
        let e = CascadingMdp::new(q.clone(), r.clone(), p.clone(), 2, 0).unwrap_err().to_string();
        assert!(e.contains("horizon = 0"), "{e}");
        let mut q2 = q.clone();
        q2[[1, 2]] = 1.5;
        let e = CascadingMdp::new(q2, r.clone(), p.clone(), 2, 2).unwrap_err().to_string();
        assert!(e.contains("attraction[s=1, a=2] = 1.5") && e.contains("[0, 1]"), "{e}");
        let mut p2 = p.clone();
        p2[[0, 3, 0]] += 0.1;
        let e = CascadingMdp::new(q, r, p2, 2, 2).unwrap_err().to_string();
        assert!(e.contains("transitions[s=0, a=3]"), "{e}");
    }
}
