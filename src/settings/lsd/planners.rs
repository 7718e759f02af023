//! Planners with known payoffs and their long-run reward: the relaxation-based planner of
//! Foussoul et al. (ICML 2023) — LP relaxation, randomised rounding into per-arm cycle patterns,
//! scheduling of the arms' virtual requests — Papadigenopoulos et al.'s (NeurIPS 2022) planner
//! for recharging instances, and the greedy baseline.
//!
//! **Our reconstruction** (the paper's body could not be read; see
//! `../shared/papers/lsd_bandits.md`, "Rounding and scheduling with virtual states"):
//! 1. the LP relaxation's primal solution x ([`primal`]): each arm's pattern probabilities;
//! 2. each arm independently draws a pattern (ℓ, τ) with probability x (or none) and a uniform
//!    phase in its period ℓ + τ; its *virtual* state requests a pull in the first ℓ rounds of
//!    each period ("pull forever" requests every round);
//! 3. each round one request is served ("mirroring": under monotone payoffs a dropped request
//!    only lengthens an idle gap or shortens a run, so a served pull earns at least its virtual
//!    counterpart). [`Scheduling::Atomic`] keeps serving the arm served last round while it still
//!    requests (runs stay whole) and otherwise serves by a fixed random priority;
//!    [`Scheduling::PerRound`] serves the highest-priority request every round (runs can be cut
//!    by a higher-priority arm's request). When nothing is requested, the round goes to an arm
//!    that drew no pattern, else to the arm whose next request is furthest away (our choice:
//!    the pull that disturbs the plan least).
//!
//! Papadigenopoulos et al.'s planner ([`Planner::Recharging`]) is the same LP restricted to
//! runs of one pull (each arm pulled every τ rounds: x_{iτ}), the same rounding, and
//! interleaving that serves one requesting arm uniformly at random each round (our reading of
//! their scheduling).

use super::model::LsdInstance;
use super::relaxation::Pattern;
pub use super::relaxation::primal;
use crate::rng::Philox;

/// How requests are served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheduling {
    Atomic,
    PerRound,
}

/// A planner with known payoffs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Planner {
    /// The relaxation, rounding and scheduling with virtual states.
    Rounding(Scheduling),
    /// Papadigenopoulos et al.'s LP of single-pull patterns, rounding and random interleaving.
    Recharging,
    /// The arm of the largest current mean (lowest index on ties).
    Greedy,
}

/// One arm's drawn plan: its pattern (run ℓ, period) and phase.
#[derive(Clone, Copy, Debug)]
struct Plan {
    run: u64,
    period: u64,
    phase: u64,
}

impl Plan {
    fn requests(&self, t: u64) -> bool {
        (t + self.phase) % self.period < self.run
    }
    /// Rounds until the next request (0 if requesting now).
    fn wait(&self, t: u64) -> u64 {
        let pos = (t + self.phase) % self.period;
        if pos < self.run { 0 } else { self.period - pos }
    }
}

/// A planner's schedule for one draw of its randomness, as a sequence of pulls.
pub struct Schedule {
    planner: Planner,
    plans: Vec<Option<Plan>>,
    priority: Vec<usize>,
    last: Option<usize>,
    t: u64,
}

impl Schedule {
    /// Draws the rounding (patterns, phases, priorities) from `rng`; `x` is [`primal`]'s
    /// solution (ignored by greedy).
    pub fn draw(planner: Planner, x: &[Vec<(Pattern, f64)>], rng: &mut Philox) -> Schedule {
        let k = x.len();
        let plans = x
            .iter()
            .map(|ps| {
                let u = rng.open01();
                let mut acc = 0.0;
                let mut chosen = None;
                for (p, w) in ps {
                    acc += w;
                    if u < acc {
                        chosen = Some(*p);
                        break;
                    }
                }
                let phase_u = rng.open01();
                chosen.map(|p| {
                    let (run, period) =
                        if p.run == usize::MAX { (1, 1) } else { (p.run as u64, (p.run + p.idle) as u64) };
                    Plan { run, period, phase: ((phase_u * period as f64) as u64).min(period - 1) }
                })
            })
            .collect();
        // a uniform random priority order (Fisher–Yates)
        let mut priority: Vec<usize> = (0..k).collect();
        for i in (1..k).rev() {
            let j = ((rng.open01() * (i + 1) as f64) as usize).min(i);
            priority.swap(i, j);
        }
        Schedule { planner, plans, priority, last: None, t: 0 }
    }

    /// The next pull; `inst` and `states` serve the greedy planner, `rng` the random interleaving.
    pub fn next(&mut self, inst: &LsdInstance, states: &[super::model::ArmState], rng: &mut Philox) -> usize {
        let t = self.t;
        self.t += 1;
        let k = self.plans.len();
        let requesting = |i: usize| self.plans[i].is_some_and(|p| p.requests(t));
        let arm = match self.planner {
            Planner::Greedy => {
                let mut best = 0;
                for j in 1..k {
                    if inst.mean(j, states[j]) > inst.mean(best, states[best]) {
                        best = j;
                    }
                }
                best
            }
            Planner::Recharging => {
                let n = (0..k).filter(|&i| requesting(i)).count();
                if n > 0 {
                    let pick = ((rng.open01() * n as f64) as usize).min(n - 1);
                    (0..k).filter(|&i| requesting(i)).nth(pick).expect("pick < n")
                } else {
                    self.filler(t)
                }
            }
            Planner::Rounding(s) => match self.last {
                Some(l) if s == Scheduling::Atomic && requesting(l) => l,
                _ => self.priority.iter().copied().find(|&i| requesting(i)).unwrap_or_else(|| self.filler(t)),
            },
        };
        self.last = Some(arm);
        arm
    }

    /// The arm for a round nobody requests: one without a plan, else the one whose next
    /// request is furthest away.
    fn filler(&self, t: u64) -> usize {
        if let Some(i) = self.plans.iter().position(Option::is_none) {
            return i;
        }
        (0..self.plans.len())
            .max_by_key(|&i| (self.plans[i].map_or(u64::MAX, |p| p.wait(t)), std::cmp::Reverse(i)))
            .unwrap_or(0)
    }
}

/// A planner's long-run mean reward per round: the mean payoff of rounds `burn .. burn + rounds`
/// of its schedule (expected rewards, no noise), averaged over `draws` draws of its randomness.
pub fn long_run(
    inst: &LsdInstance,
    planner: Planner,
    x: &[Vec<(Pattern, f64)>],
    burn: u64,
    rounds: u64,
    draws: u32,
    rng: &mut Philox,
) -> f64 {
    let caps = inst.caps();
    let mut total = 0.0;
    for _ in 0..draws {
        let mut sched = Schedule::draw(planner, x, rng);
        let mut states = inst.start.clone();
        let mut sum = 0.0;
        for t in 0..burn + rounds {
            let j = sched.next(inst, &states, rng);
            if t >= burn {
                sum += inst.mean(j, states[j]);
            }
            inst.step(&mut states, j, &caps);
        }
        total += sum / rounds as f64;
    }
    total / draws as f64
}

#[cfg(test)]
mod tests {
    use super::super::generate::{Class, generate};
    use super::super::optimum::optimum;
    use super::super::relaxation::relaxation_lp;
    use super::*;
    use crate::rng::{Role, StreamId};

    /// The primal solution's value is the LP's (Clarabel's solution of the same LP), it uses at
    /// most one unit per arm and at most the pull budget; its objective at x equals its value.
    #[test]
    fn the_primal_solution_is_optimal_and_feasible() {
        for index in 0..60 {
            let class = [Class::Monotone, Class::NonMonotone, Class::Recharging, Class::Satiation][index as usize % 4];
            let inst = generate(class, 3, 3, 5, index).unwrap();
            let (v, x) = primal(&inst, false);
            let clarabel = relaxation_lp(&inst).unwrap();
            assert!((v - clarabel).abs() < 1e-6, "{index}: {v} vs Clarabel {clarabel}");
            let at_x: f64 = x.iter().flatten().map(|(p, w)| p.rate * w).sum();
            assert!((v - at_x).abs() < 1e-12);
            let budget: f64 = x.iter().flatten().map(|(p, w)| p.share * w).sum();
            assert!(budget <= 1.0 + 1e-9, "{index}: {budget}");
            assert!(x.iter().all(|a| a.iter().map(|e| e.1).sum::<f64>() <= 1.0 + 1e-12));
        }
        let (v, _) = primal(&LsdInstance::laforgue_main(), false);
        assert!((v - 4.56 / 9.0).abs() < 1e-9);
    }

    /// No planner beats the optimum: over 40 random instances (monotone or not) each planner's
    /// long-run reward is at most OPT, up to 1e-3: a 2,000-round window of a periodic schedule
    /// can exceed its cycle mean by a partial period's surplus over 2,000 rounds (greedy's
    /// reaches 6e-5 here). A planner that earned a payoff its state does not pay would exceed it.
    #[test]
    fn no_planner_beats_the_optimum() {
        let mut rng = StreamId::new([19, 3], 0, Role::Policy(0)).stream();
        for index in 0..40 {
            let class =
                [Class::Monotone, Class::NonMonotone, Class::RechargingConcave, Class::Satiation][index as usize % 4];
            let inst = generate(class, 3, 3, 9, index).unwrap();
            let opt = optimum(&inst).unwrap();
            let (_, x) = primal(&inst, false);
            let (_, xr) = primal(&inst, true);
            for (planner, x) in [
                (Planner::Rounding(Scheduling::Atomic), &x),
                (Planner::Rounding(Scheduling::PerRound), &x),
                (Planner::Recharging, &xr),
                (Planner::Greedy, &x),
            ] {
                let v = long_run(&inst, planner, x, 2000, 2000, 4, &mut rng);
                assert!(v <= opt + 1e-3, "{index} {planner:?}: {v} > OPT {opt}");
            }
        }
    }

    /// Papadigenopoulos et al.'s guarantee on recharging instances: the rounded schedule earns
    /// at least (1 − 1/e) of the LP bound in expectation. Over 60 concave and 60 step recharging
    /// instances we assert the mean ratio to the LP is at least 1 − 1/e − 0.02 (the tolerance
    /// covers the finite window and the 8 draws per instance); a scheduler that dropped every
    /// conflicting request to an idle filler instead would fall well below.
    #[test]
    fn recharging_planner_reaches_one_minus_one_over_e() {
        let mut rng = StreamId::new([19, 4], 0, Role::Policy(0)).stream();
        for class in [Class::RechargingConcave, Class::Recharging] {
            let mut ratios = Vec::new();
            for index in 0..60 {
                let inst = generate(class, 4, 6, 11, index).unwrap();
                let (lp, xr) = primal(&inst, true);
                let v = long_run(&inst, Planner::Recharging, &xr, 500, 4000, 8, &mut rng);
                ratios.push(v / lp);
            }
            let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
            eprintln!(
                "{class:?}: mean ratio to the LP {mean:.4}, min {:.4}",
                ratios.iter().cloned().fold(1.0, f64::min)
            );
            assert!(mean >= 1.0 - (-1.0f64).exp() - 0.02, "{class:?}: {mean}");
        }
    }
}
