//! Learners for cascading MDPs, each producing a list policy per episode from its statistics.
//!
//! - **CascadingVI** (Du, Srikant & Chen 2024, Alg. 1): optimistic q̄ from a variance-aware
//!   interval on q — by default the Chernoff (KL) interval {q : n·kl(q̂,q) ≤ L}, whose width is
//!   √(2q̂(1−q̂)L/n) + O(L/n) like the paper's bonus; optionally the empirical-Bernstein bonus
//!   b^q = √(2q̂(1−q̂)L/n) + 3L/n (Audibert et al. 2009), whose lower-order term is large early —,
//!   optimistic weights w̄(a) = r(s,a) + p̂(·|s,a)ᵀV̄_{h+1} + b^{pV} with the Bernstein-type bonus
//!   b^{pV} = √(2·Var_p̂(V̄_{h+1})·L/n) + 3(H−h)L/n, planning V̄_h = min(BestPerm(q̄, w̄), H − h).
//!   The rewards r are known (as in the paper); q̂ counts examinations, p̂ clicks and no-clicks.
//!   (The paper's cross-term correction is omitted; the bonuses keep its two variance terms.)
//! - **CascadingVI-Bonus**: the same with the variance-unaware (Hoeffding) b^q = √(L/(2n)).
//! - **CascadingVI-Oracle**: the same estimates, planned by exhaustive search over all lists.
//! - **AdaptRM**: UCBVI-Hoeffding on the MDP whose actions are whole lists (statistics per list,
//!   rewards observed), b = (H−h)·√(L/n) (c enters through L). Lists are tried in canonical order, so the ones a
//!   state has seen are a prefix of the list order and planning costs O(lists seen), where a naive
//!   implementation pays O(all lists) per state and step.
//! - **CascadeUCB1 / CascadeKL-UCB** (Kveton et al. 2015) for the bandit case S = H = 1: UCB
//!   indices on q (√(1.5 ln t/n); KL bound with ln t + 3 ln ln t), lists by BestPerm.
//! - **CascadingBPI / AdaptBPI** ((ε, δ)-best policy identification): explore with the optimistic
//!   policy, keep a pessimistic value V̲ of that policy (q in [q̲, q̄], w̲ with negative bonuses —
//!   each side's own variance plus EULER's √(E_p̂(V̄ − V̲)²L/n) correction — and the list's worst
//!   case over the box by backward recursion), stop when V̄₀(s₀) − V̲₀(s₀) ≤ ε and return the
//!   policy. With c < 1 the δ guarantee is given up; ε-optimality is then checked empirically.
//!
//! L = c·ln(4·S·(N+1)·H·K/δ) for K episodes: the scale c ≤ 1 shrinks the confidence term the
//! theory needs (c = 1) to what experiments use, the same way for every bonus, so that their
//! shapes (variance-aware or not) and not their constants are compared.

use std::sync::Arc;

use serde::Serialize;

use super::best_perm::{Scratch, best_perm, brute_force, list_value};
use super::model::{CascadingMdp, Feedback, ListPolicy};
use crate::settings::bandit::policies::kl_ucb_bound;

/// The bonus on the attraction probabilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QBonus {
    /// The Chernoff (KL) interval {q : n·kl(q̂, q) ≤ L}: variance-aware, ≈ √(2q̂(1−q̂)L/n) + O(L/n),
    /// and never wider than Hoeffding's (Pinsker), so the constants of the two compare fairly.
    Kl,
    /// Empirical Bernstein (Audibert et al. 2009): variance-aware, with a 3L/n lower-order term.
    Bernstein,
    /// Hoeffding: variance-unaware (the CascadingVI-Bonus baseline).
    Hoeffding,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Planner {
    BestPerm,
    Exhaustive,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Algorithm {
    CascadingVi { q_bonus: QBonus, planner: Planner, c: f64, delta: f64 },
    AdaptRm { c: f64, delta: f64 },
    CascadeUcb1,
    CascadeKlUcb,
    CascadingBpi { epsilon: f64, c: f64, delta: f64 },
    AdaptBpi { epsilon: f64, c: f64, delta: f64 },
}

impl Algorithm {
    pub fn is_bpi(&self) -> bool {
        matches!(self, Algorithm::CascadingBpi { .. } | Algorithm::AdaptBpi { .. })
    }
}

/// Per-item statistics: examinations and attractions per (s, a); visits and next-state counts per
/// (s, a) for clicks and (s, N) for no-clicks.
struct ItemStats {
    exam: Vec<u32>,
    attract: Vec<u32>,
    visits: Vec<u32>,
    trans: Vec<u32>,
}

/// Per-list statistics of AdaptRM for one state: the visited prefix of the list order.
#[derive(Default, Clone)]
struct ListStats {
    n: u32,
    reward: f64,
    next: Vec<(u16, u32)>,
}

/// A learner's state through one replication.
pub struct Learner<'a> {
    mdp: &'a CascadingMdp,
    algo: &'a Algorithm,
    lists: Option<Arc<Vec<Vec<u16>>>>,
    log_term: f64,
    items: ItemStats,
    per_list: Vec<Vec<ListStats>>,
    /// (q̲, q̄) per (s, a), recomputed only for the items whose counts changed.
    q_cache: Vec<(f64, f64)>,
    q_dirty: Vec<bool>,
    scratch: Scratch,
    episodes_seen: u64,
    pub policy: ListPolicy,
    /// Upper and lower values at h = 0 (lower only for BPI).
    pub upper: Vec<f64>,
    pub lower: Vec<f64>,
}

impl<'a> Learner<'a> {
    pub fn new(
        mdp: &'a CascadingMdp,
        algo: &'a Algorithm,
        lists: Option<Arc<Vec<Vec<u16>>>>,
        episodes: u64,
    ) -> Learner<'a> {
        let (s, n, hh) = (mdp.states(), mdp.items(), mdp.horizon);
        let delta = match *algo {
            Algorithm::CascadingVi { delta, .. }
            | Algorithm::AdaptRm { delta, .. }
            | Algorithm::CascadingBpi { delta, .. }
            | Algorithm::AdaptBpi { delta, .. } => delta,
            _ => 0.1,
        };
        let c = match *algo {
            Algorithm::CascadingVi { c, .. }
            | Algorithm::AdaptRm { c, .. }
            | Algorithm::CascadingBpi { c, .. }
            | Algorithm::AdaptBpi { c, .. } => c,
            _ => 1.0,
        };
        let log_term = c * (4.0 * s as f64 * (n + 1) as f64 * hh as f64 * episodes.max(2) as f64 / delta).ln();
        Learner {
            mdp,
            algo,
            lists,
            log_term,
            items: ItemStats {
                exam: vec![0; s * n],
                attract: vec![0; s * n],
                visits: vec![0; s * (n + 1)],
                trans: vec![0; s * (n + 1) * s],
            },
            per_list: vec![Vec::new(); s],
            q_cache: vec![(0.0, 1.0); s * n],
            q_dirty: vec![true; s * n],
            scratch: Scratch::default(),
            episodes_seen: 0,
            policy: vec![vec![Vec::new(); s]; hh],
            upper: vec![0.0; s],
            lower: vec![0.0; s],
        }
    }

    /// Computes the policy (and value bounds) for the next episode.
    pub fn plan(&mut self) {
        match self.algo.clone() {
            Algorithm::CascadingVi { q_bonus, planner, .. } => self.plan_items(q_bonus, planner, false),
            Algorithm::CascadingBpi { .. } => self.plan_items(QBonus::Kl, Planner::BestPerm, true),
            Algorithm::AdaptRm { .. } => self.plan_lists(false),
            Algorithm::AdaptBpi { .. } => self.plan_lists(true),
            Algorithm::CascadeUcb1 | Algorithm::CascadeKlUcb => self.plan_bandit(),
        }
    }

    /// (q̲, q̄). q̄ stops at 1 − 1e-6: with q̄ = 1 every list that starts with an item would tie
    /// whatever follows it, and BestPerm and exhaustive search would break the tie differently
    /// (and both arbitrarily); just below 1 the later positions still count and the optimum is
    /// generically unique, so the two planners choose the same lists.
    fn q_bounds(&self, s: usize, a: usize, bonus: QBonus) -> (f64, f64) {
        const TOP: f64 = 1.0 - 1e-6;
        let i = s * self.mdp.items() + a;
        let n = self.items.exam[i] as f64;
        if n == 0.0 {
            return (0.0, TOP);
        }
        let qh = self.items.attract[i] as f64 / n;
        let l = self.log_term;
        let b = match bonus {
            QBonus::Kl => {
                let up = kl_ucb_bound(qh, n, l);
                let lo = 1.0 - kl_ucb_bound(1.0 - qh, n, l);
                return (lo.max(0.0), up.min(TOP));
            }
            QBonus::Bernstein => (2.0 * qh * (1.0 - qh) * l / n).sqrt() + 3.0 * l / n,
            QBonus::Hoeffding => (l / (2.0 * n)).sqrt(),
        };
        ((qh - b).max(0.0), (qh + b).min(TOP))
    }

    /// (optimistic, pessimistic) p̂(·|s,row)ᵀV_{h+1} with Bernstein bonuses; `cap` = H − h − 1. Each
    /// side's variance term uses its own V; with `correction` (BPI, where both sides must be
    /// valid bounds for data-dependent V̄ and V̲) both add EULER's √(E_p̂(V̄ − V̲)²·L/n).
    fn next_value(&self, s: usize, row: usize, v_up: &[f64], v_lo: &[f64], cap: f64, correction: bool) -> (f64, f64) {
        let ns = self.mdp.states();
        let i = s * (self.mdp.items() + 1) + row;
        let n = self.items.visits[i] as f64;
        if n == 0.0 {
            return (cap, 0.0);
        }
        let counts = &self.items.trans[i * ns..(i + 1) * ns];
        let (mut e_up, mut e2, mut e_lo, mut e_lo2, mut gap2) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (j, &x) in counts.iter().enumerate() {
            if x > 0 {
                let w = x as f64 / n;
                e_up += w * v_up[j];
                e2 += w * v_up[j] * v_up[j];
                e_lo += w * v_lo[j];
                e_lo2 += w * v_lo[j] * v_lo[j];
                gap2 += w * (v_up[j] - v_lo[j]).powi(2);
            }
        }
        let l = self.log_term;
        let lower_order = 3.0 * (cap + 1.0) * l / n + if correction { (gap2 * l / n).sqrt() } else { 0.0 };
        let b_up = (2.0 * (e2 - e_up * e_up).max(0.0) * l / n).sqrt() + lower_order;
        let b_lo = (2.0 * (e_lo2 - e_lo * e_lo).max(0.0) * l / n).sqrt() + lower_order;
        ((e_up + b_up).min(cap), (e_lo - b_lo).max(0.0))
    }

    fn plan_items(&mut self, bonus: QBonus, planner: Planner, lower: bool) {
        let mdp = self.mdp;
        let (ns, n, hh) = (mdp.states(), mdp.items(), mdp.horizon);
        for i in 0..ns * n {
            if self.q_dirty[i] {
                self.q_cache[i] = self.q_bounds(i / n, i % n, bonus);
                self.q_dirty[i] = false;
            }
        }
        let mut v_up = vec![0.0; ns];
        let mut v_lo = vec![0.0; ns];
        let (mut q_up, mut q_lo, mut w_up, mut w_lo) = (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        let mut u_opt = vec![0.0; n];
        for h in (0..hh).rev() {
            let cap = (hh - h - 1) as f64;
            let mut nu = vec![0.0; ns];
            let mut nl = vec![0.0; ns];
            for s in 0..ns {
                for a in 0..n {
                    (q_lo[a], q_up[a]) = self.q_cache[s * n + a];
                    let (eu, el) = self.next_value(s, a, &v_up, &v_lo, cap, lower);
                    w_up[a] = mdp.rewards()[[s, a]] + eu;
                    w_lo[a] = mdp.rewards()[[s, a]] + el;
                }
                let (bu, bl) = self.next_value(s, n, &v_up, &v_lo, cap, lower);
                // The optimum over the confidence box: q̄ for items worth more than a_⊥ (f grows
                // with their u), q̲ for the others (it matters only when every item is below a_⊥
                // and one must still be shown, where f falls with its u).
                for a in 0..n {
                    u_opt[a] = if w_up[a] > bu { q_up[a] } else { q_lo[a] };
                }
                let mut list = std::mem::take(&mut self.policy[h][s]);
                let value = match planner {
                    Planner::BestPerm => best_perm(&u_opt, &w_up, bu, mdp.max_list, &mut self.scratch, &mut list),
                    Planner::Exhaustive => {
                        let lists = self.lists.as_ref().expect("exhaustive planning needs the list set");
                        let (v, i) = brute_force(lists, &u_opt, &w_up, bu);
                        list.clear();
                        list.extend_from_slice(&lists[i]);
                        v
                    }
                };
                nu[s] = value.min(cap + 1.0);
                if lower {
                    nl[s] = worst_case(&list, &q_lo, &q_up, &w_lo, bl).max(0.0);
                }
                self.policy[h][s] = list;
            }
            v_up = nu;
            v_lo = nl;
        }
        self.upper = v_up;
        self.lower = v_lo;
    }

    fn plan_lists(&mut self, lower: bool) {
        let lists = self.lists.clone().expect("AdaptRM needs the list set");
        let (ns, hh) = (self.mdp.states(), self.mdp.horizon);
        let mut v_up = vec![0.0; ns];
        let mut v_lo = vec![0.0; ns];
        for h in (0..hh).rev() {
            let cap = (hh - h) as f64;
            let mut nu = vec![0.0; ns];
            let mut nl = vec![0.0; ns];
            for s in 0..ns {
                let seen = &self.per_list[s];
                let mut best = (f64::NEG_INFINITY, 0usize, 0.0);
                for (i, st) in seen.iter().enumerate() {
                    let m = st.n as f64;
                    let b = cap * (self.log_term / m).sqrt();
                    let (mut eu, mut el) = (0.0, 0.0);
                    for &(j, x) in &st.next {
                        eu += x as f64 / m * v_up[j as usize];
                        el += x as f64 / m * v_lo[j as usize];
                    }
                    let r = st.reward / m;
                    let qu = (r + eu + b).min(cap);
                    if qu > best.0 {
                        best = (qu, i, (r + el - b).max(0.0));
                    }
                }
                if seen.len() < lists.len() && cap > best.0 {
                    best = (cap, seen.len(), 0.0);
                }
                nu[s] = best.0;
                if lower {
                    nl[s] = best.2;
                }
                self.policy[h][s].clone_from(&lists[best.1]);
            }
            v_up = nu;
            v_lo = nl;
        }
        self.upper = v_up;
        self.lower = v_lo;
    }

    fn plan_bandit(&mut self) {
        let n = self.mdp.items();
        let t = (self.episodes_seen + 1) as f64;
        let index: Vec<f64> = (0..n)
            .map(|a| {
                let m = self.items.exam[a] as f64;
                if m == 0.0 {
                    return 1.0;
                }
                let qh = self.items.attract[a] as f64 / m;
                match self.algo {
                    Algorithm::CascadeUcb1 => (qh + (1.5 * t.ln() / m).sqrt()).min(1.0),
                    _ => {
                        let budget = t.ln() + 3.0 * t.ln().max(1.0).ln().max(0.0);
                        kl_ucb_bound(qh, m, budget)
                    }
                }
            })
            .collect();
        let w: Vec<f64> = (0..n).map(|a| self.mdp.rewards()[[0, a]]).collect();
        let mut list = std::mem::take(&mut self.policy[0][0]);
        best_perm(&index, &w, 0.0, self.mdp.max_list, &mut self.scratch, &mut list);
        self.policy[0][0] = list;
    }

    /// Records one step's feedback.
    pub fn observe(&mut self, s: usize, h: usize, fb: &Feedback) {
        let (ns, n) = (self.mdp.states(), self.mdp.items());
        for &(a, attr) in &fb.examined {
            let i = s * n + a as usize;
            self.items.exam[i] += 1;
            self.items.attract[i] += attr as u32;
            self.q_dirty[i] = true;
        }
        let row = fb.click.map(|a| a as usize).unwrap_or(n);
        let i = s * (n + 1) + row;
        self.items.visits[i] += 1;
        self.items.trans[i * ns + fb.next] += 1;
        if matches!(self.algo, Algorithm::AdaptRm { .. } | Algorithm::AdaptBpi { .. }) {
            let lists = self.lists.as_ref().expect("AdaptRM needs the list set");
            let shown = &self.policy[h][s];
            // The policy only ever shows a seen list or the first unseen one.
            let seen = &mut self.per_list[s];
            let idx = seen.iter().enumerate().position(|(i, _)| lists[i] == *shown).unwrap_or(seen.len());
            debug_assert!(idx < seen.len() || lists[idx] == *shown, "AdaptRM showed an unseen list out of order");
            if idx == seen.len() {
                seen.push(ListStats::default());
            }
            let st = &mut seen[idx];
            st.n += 1;
            st.reward += fb.reward;
            match st.next.iter_mut().find(|(j, _)| *j as usize == fb.next) {
                Some(e) => e.1 += 1,
                None => st.next.push((fb.next as u16, 1)),
            }
        }
    }

    pub fn end_episode(&mut self) {
        self.episodes_seen += 1;
    }
}

/// min over u ∈ [lo, hi] (coordinatewise) of f(list, u, w): f is linear in each u_i given the
/// tail, so the minimum is reached by the backward recursion G_i = min_{u_i} u_i w_i + (1−u_i)G_{i+1}.
pub fn worst_case(list: &[u16], lo: &[f64], hi: &[f64], w: &[f64], w_bot: f64) -> f64 {
    let mut g = w_bot;
    for &a in list.iter().rev() {
        let a = a as usize;
        let slope = w[a] - g;
        g += if slope >= 0.0 { lo[a] * slope } else { hi[a] * slope };
    }
    g
}

/// f of a list under given u and w (re-exported for tests and callers).
pub fn value_of(list: &[u16], u: &[f64], w: &[f64], w_bot: f64) -> f64 {
    list_value(list, u, w, w_bot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_case_is_the_minimum_over_the_box_corners() {
        let lo = [0.1, 0.3, 0.0];
        let hi = [0.6, 0.9, 0.5];
        let w = [2.0, 0.5, 1.0];
        let list = [0u16, 2, 1];
        let mut best = f64::INFINITY;
        for corner in 0..8 {
            let u: Vec<f64> = (0..3).map(|i| if (corner >> i) & 1 == 1 { hi[i] } else { lo[i] }).collect();
            best = best.min(list_value(&list, &u, &w, 0.7));
        }
        assert!((worst_case(&list, &lo, &hi, &w, 0.7) - best).abs() < 1e-12);
    }
}
