//! The online adaptation (payoffs unknown): estimate μ^act and μ^idle from the pulls, and in
//! epochs of doubling length plan with a known-payoff planner ([`super::planners`]) on the
//! estimates. **Our reconstruction** (the paper states an online adaptation with sublinear
//! α-regret against its full-information counterpart; its algorithm could not be read):
//!
//! - [`Estimates::PlugIn`]: each epoch of L rounds first spends ⌈L^{2/3}⌉ rounds on probes that
//!   force pulls into states — a run of τ_max + 1 pulls of arm i samples μ_i^act(1..τ_max); pull
//!   i, leave it n rounds, pull it again samples μ_i^idle(n) — cycling through every (arm, state)
//!   across epochs, then plans on the empirical means (unvisited entries 1/2). Exploration
//!   costs O(T^{2/3}) and the estimates' error is O(T^{−1/3}) per entry, hence α-regret
//!   O(T^{2/3}) up to logs;
//! - [`Estimates::Ucb`]: no probes; plans on optimistic estimates min(1, mean + √(2 ln t / n))
//!   (unvisited entries 1).
//!
//! α is the planner's ratio to OPT on the true model (measured by the caller), so α-regret
//! α·OPT_T − reward compares the learner with its full-information counterpart.

use super::model::{ArmState, LsdInstance, advance};
use super::planners::{Planner, Schedule, primal};
use super::relaxation::Pattern;
use crate::rng::Philox;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Estimates {
    PlugIn,
    Ucb,
}

/// The learner's state: empirical tables, the epoch's plan, and pending probes.
pub struct Online {
    planner: Planner,
    estimates: Estimates,
    k: usize,
    tau: usize,
    /// Sums and counts per (arm, Active/Idle, n): index (i * 2 + idle) * τ_max + n − 1.
    sum: Vec<f64>,
    count: Vec<u64>,
    /// The learner's own record of the arms' states (the dynamics are known, the payoffs not).
    pub states: Vec<ArmState>,
    caps: Vec<(u16, u16)>,
    t: u64,
    base: u64,
    epoch_end: u64,
    epoch_len: u64,
    probes: std::collections::VecDeque<usize>,
    probe_budget: u64,
    next_target: usize,
    estimated: Option<LsdInstance>,
    schedule: Option<Schedule>,
}

impl Online {
    /// A learner for instances shaped like `inst` (its arms, τ_max and start states; not its
    /// payoffs), with epochs of `base`, 2·`base`, 4·`base`, … rounds.
    pub fn new(planner: Planner, estimates: Estimates, inst: &LsdInstance, base: u64) -> Online {
        let (k, tau) = (inst.arms(), inst.tau_max());
        Online {
            planner,
            estimates,
            k,
            tau,
            sum: vec![0.0; k * 2 * tau],
            count: vec![0; k * 2 * tau],
            states: inst.start.clone(),
            caps: inst.full_caps(),
            t: 0,
            base: base.max(1),
            epoch_end: 0,
            epoch_len: 0,
            probes: Default::default(),
            probe_budget: 0,
            next_target: 0,
            estimated: None,
            schedule: None,
        }
    }

    fn entry(&self, i: usize, s: ArmState) -> usize {
        (i * 2 + (!s.active) as usize) * self.tau + s.n as usize - 1
    }

    /// The probe sequence for target `g` of the 1 + τ_max targets per arm: 0 samples the run
    /// entries, n ≥ 1 the idle entry n.
    fn probe(&self, g: usize) -> Vec<usize> {
        let (i, n) = (g / (self.tau + 1) % self.k, g % (self.tau + 1));
        if n == 0 || self.k == 1 {
            return vec![i; self.tau + 1];
        }
        let other = (i + 1) % self.k;
        let mut p = vec![i];
        p.extend(std::iter::repeat_n(other, n));
        p.push(i);
        p
    }

    fn estimated_instance(&self) -> LsdInstance {
        let lt = (2.0 * (self.t.max(2) as f64).ln()).max(0.0);
        let value = |e: usize| -> f64 {
            let n = self.count[e];
            match (self.estimates, n) {
                (Estimates::PlugIn, 0) => 0.5,
                (Estimates::Ucb, 0) => 1.0,
                (Estimates::PlugIn, _) => self.sum[e] / n as f64,
                (Estimates::Ucb, _) => (self.sum[e] / n as f64 + (lt / n as f64).sqrt()).min(1.0),
            }
        };
        let table = |idle: usize| -> Vec<Vec<f64>> {
            (0..self.k).map(|i| (0..self.tau).map(|n| value((i * 2 + idle) * self.tau + n)).collect()).collect()
        };
        LsdInstance { act: table(0), idle: table(1), start: self.states.clone() }
    }

    fn start_epoch(&mut self, rng: &mut Philox) {
        self.epoch_len = if self.epoch_len == 0 { self.base } else { self.epoch_len * 2 };
        self.epoch_end = self.t + self.epoch_len;
        if self.estimates == Estimates::PlugIn {
            self.probe_budget = (self.epoch_len as f64).powf(2.0 / 3.0).ceil() as u64;
        }
        let est = self.estimated_instance();
        let x: Vec<Vec<(Pattern, f64)>> = primal(&est, self.planner == Planner::Recharging).1;
        self.schedule = Some(Schedule::draw(self.planner, &x, rng));
        self.estimated = Some(est);
    }

    /// The arm to pull this round.
    pub fn choose(&mut self, rng: &mut Philox) -> usize {
        if self.t == self.epoch_end {
            self.start_epoch(rng);
        }
        if self.probes.is_empty() && self.probe_budget > 0 {
            let p = self.probe(self.next_target);
            self.next_target = (self.next_target + 1) % (self.k * (self.tau + 1));
            self.probe_budget = self.probe_budget.saturating_sub(p.len() as u64);
            self.probes.extend(p);
        }
        if let Some(a) = self.probes.pop_front() {
            return a;
        }
        let est = self.estimated.as_ref().expect("an epoch has started");
        self.schedule.as_mut().expect("an epoch has started").next(est, &self.states, rng)
    }

    /// The pull of `arm` earned `reward`.
    pub fn observe(&mut self, arm: usize, reward: f64) {
        let e = self.entry(arm, self.states[arm]);
        self.sum[e] += reward;
        self.count[e] += 1;
        advance(&mut self.states, arm, &self.caps);
        self.t += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Role, StreamId};

    /// The probes sample what they claim: a run of τ_max + 1 pulls visits the Active states
    /// 1..τ_max; "pull, leave n rounds, pull" ends in Idle n.
    #[test]
    fn probes_reach_their_states() {
        let inst =
            LsdInstance::new(vec![vec![0.5; 3]; 2], vec![vec![0.5; 3]; 2], vec![ArmState { active: false, n: 3 }; 2])
                .unwrap();
        let mut o = Online::new(Planner::Greedy, Estimates::PlugIn, &inst, 100);
        let caps = inst.full_caps();
        for g in 0..8 {
            let p = o.probe(g);
            let mut s = inst.start.clone();
            let (i, n) = (g / 4 % 2, g % 4);
            let mut seen = Vec::new();
            for &a in &p {
                if a == i {
                    seen.push(s[a]);
                }
                inst.step(&mut s, a, &caps);
            }
            if n == 0 {
                assert_eq!(&seen[1..], &[1, 2, 3].map(|n| ArmState { active: true, n }));
            } else {
                assert_eq!(*seen.last().unwrap(), ArmState { active: false, n: n as u16 });
            }
        }
        // the learner tracks the states as the model moves them
        let mut rng = StreamId::new([1, 2], 0, Role::Policy(0)).stream();
        let mut s = inst.start.clone();
        for _ in 0..50 {
            let a = o.choose(&mut rng);
            o.observe(a, 0.0);
            inst.step(&mut s, a, &caps);
            assert_eq!(o.states, s);
        }
    }
}
