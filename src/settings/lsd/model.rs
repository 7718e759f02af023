//! The last-switch-dependent (LSD) bandit model (Foussoul, Goyal, Papadigenopoulos & Zeevi, ICML
//! 2023; the model of Laforgue et al., AISTATS 2022), in the workbench's convention (our reading:
//! the paper's body could not be read, see `../shared/papers/lsd_bandits.md`):
//!
//! - arm i's state is (mode ∈ {Active, Idle}, n ∈ 1..=τ_max), n saturating at τ_max;
//! - pulling an Active arm pays Bern(μ_i^act(n)) and its n grows; pulling an Idle arm (a switch-in
//!   after n idle rounds) pays Bern(μ_i^idle(n)) and it becomes Active with n = 1;
//! - every other arm: an Active one becomes Idle with n = 1, an Idle one's n grows.
//!
//! Laforgue et al.'s positive-state instances (τ = rounds since the last pull, every arm starting
//! at τ = 1, reward M[i, min(τ, C−1) − 1] for a table with C columns) are the special case
//! μ^act(n) = M[i, 0], μ^idle(n) = M[i, min(n, C−2)] (0-based), τ_max = C − 2, every arm starting
//! Active with n = 1 (as if just pulled).

use crate::error::{ModelError, bad};

/// One arm's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArmState {
    pub active: bool,
    /// Run length (Active) or idle time (Idle), 1 ..= τ_max.
    pub n: u16,
}

/// A planning instance: the payoff tables, and the state every arm starts in.
#[derive(Clone, Debug, PartialEq)]
pub struct LsdInstance {
    /// μ_i^act(n) for n = 1 ..= τ_max, per arm.
    pub act: Vec<Vec<f64>>,
    /// μ_i^idle(n) for n = 1 ..= τ_max, per arm.
    pub idle: Vec<Vec<f64>>,
    pub start: Vec<ArmState>,
}

/// Whether an instance's payoffs are monotone: runs satiate (μ^act non-increasing in n) and idle
/// time recharges (μ^idle non-decreasing in n); reported per instance, never assumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Monotonicity {
    pub act_non_increasing: bool,
    pub idle_non_decreasing: bool,
    /// μ^act(1) ≤ μ^idle(1) for every arm (a switch-in pays at least a continued run); the
    /// paper's monotone class may or may not require it.
    pub switch_in_at_least_run: bool,
}

impl LsdInstance {
    /// Checks the tables: k ≥ 1 arms, τ_max ≥ 1 entries per table, every entry in [0, 1], one
    /// start state per arm within 1 ..= τ_max.
    pub fn new(act: Vec<Vec<f64>>, idle: Vec<Vec<f64>>, start: Vec<ArmState>) -> Result<LsdInstance, ModelError> {
        let k = act.len();
        if k == 0 {
            return Err(bad("arms", 0, "the number of arms", "1 ..= 64"));
        }
        if k > 64 {
            return Err(bad("arms", k, "the number of arms", "1 ..= 64"));
        }
        if idle.len() != k || start.len() != k {
            return Err(bad(
                "idle",
                format!("{} tables and {} start states for {k} arms", idle.len(), start.len()),
                "one idle table and one start state per arm",
                "as many as act tables",
            ));
        }
        let tau_max = act[0].len();
        if tau_max == 0 || tau_max > 1000 {
            return Err(bad(
                "tau_max",
                tau_max,
                "the largest run length and idle time a state tells apart",
                "1 ..= 1000",
            ));
        }
        for (i, (a, d)) in act.iter().zip(&idle).enumerate() {
            if a.len() != tau_max || d.len() != tau_max {
                return Err(bad(
                    format!("act[{i}] / idle[{i}]"),
                    format!("{} and {} entries", a.len(), d.len()),
                    "every table has τ_max entries",
                    format!("{tau_max} each"),
                ));
            }
            for (n, &x) in a.iter().chain(d).enumerate() {
                if !(0.0..=1.0).contains(&x) {
                    return Err(bad(format!("arm {i}, entry {}", n % tau_max + 1), x, "a Bernoulli mean", "[0, 1]"));
                }
            }
            let s = start[i];
            if s.n == 0 || s.n as usize > tau_max {
                return Err(bad(format!("start[{i}].n"), s.n, "a state's count", format!("1 ..= {tau_max}")));
            }
        }
        Ok(LsdInstance { act, idle, start })
    }

    /// Laforgue et al.'s positive-state convention from a k × C table M (C ≥ 2 columns).
    pub fn positive_state(m: &[Vec<f64>]) -> Result<LsdInstance, ModelError> {
        let c = m.first().map_or(0, Vec::len);
        if c < 2 || m.iter().any(|r| r.len() != c) {
            return Err(bad("M", format!("{c} columns"), "a table with the same number C of columns per arm", "C ≥ 2"));
        }
        let tau_max = (c - 2).max(1);
        let act = m.iter().map(|r| vec![r[0]; tau_max]).collect();
        let idle = m.iter().map(|r| (1..=tau_max).map(|n| r[n.min(c - 2)]).collect()).collect();
        LsdInstance::new(act, idle, vec![ArmState { active: true, n: 1 }; m.len()])
    }

    /// Laforgue et al.'s main instance (`gen_M_trickCSBOG(k = 5, d = 10, pos = 3)`): arms 0, 3, 4
    /// pay 0.15; arm 1 pays 0.95 at τ = 3 only, else 0; arm 2 pays 0.16 at τ = 6, 0.96 from τ = 9,
    /// else 0.14.
    pub fn laforgue_main() -> LsdInstance {
        let (k, d, pos) = (5, 10, 3);
        let m: Vec<Vec<f64>> = (0..k)
            .map(|i| {
                (0..d)
                    .map(|j| match i {
                        1 => {
                            if j == pos - 1 {
                                0.95
                            } else {
                                0.0
                            }
                        }
                        2 => {
                            if j >= 3 * pos - 1 {
                                0.96
                            } else if j == 2 * pos - 1 {
                                0.16
                            } else {
                                0.14
                            }
                        }
                        _ => 0.15,
                    })
                    .collect()
            })
            .collect();
        LsdInstance::positive_state(&m).expect("a valid table")
    }

    /// Laforgue et al.'s supplementary instance (`gen_M_trickOG(k = 2, d = 11, pos = 2)`): arm 0
    /// pays 0.05; arm 1 pays 0.06 at τ = 1 and 0.95 from τ = 2.
    pub fn laforgue_supplementary() -> LsdInstance {
        let m = vec![vec![0.05; 11], (0..11).map(|j| if j == 0 { 0.06 } else { 0.95 }).collect()];
        LsdInstance::positive_state(&m).expect("a valid table")
    }

    pub fn arms(&self) -> usize {
        self.act.len()
    }

    pub fn tau_max(&self) -> usize {
        self.act[0].len()
    }

    /// The mean reward of pulling arm j in state s.
    #[inline]
    pub fn mean(&self, j: usize, s: ArmState) -> f64 {
        let t = if s.active { &self.act[j] } else { &self.idle[j] };
        t[s.n as usize - 1]
    }

    /// The next states after pulling arm j (in place), with counts saturating at `caps` (per arm,
    /// (Active cap, Idle cap)).
    #[inline]
    pub fn step(&self, states: &mut [ArmState], j: usize, caps: &[(u16, u16)]) {
        advance(states, j, caps)
    }

    /// Per arm, the smallest counts beyond which its payoffs no longer change: tracking
    /// min(n, cap) instead of n changes no reward, and shrinks the joint state space.
    pub fn caps(&self) -> Vec<(u16, u16)> {
        let cap = |t: &[f64]| {
            let last = t[t.len() - 1];
            (t.iter().rposition(|&x| x != last).map_or(1, |p| p + 2)) as u16
        };
        self.act.iter().zip(&self.idle).map(|(a, d)| (cap(a), cap(d))).collect()
    }

    /// Full counts (no compression): τ_max for every arm.
    pub fn full_caps(&self) -> Vec<(u16, u16)> {
        vec![(self.tau_max() as u16, self.tau_max() as u16); self.arms()]
    }

    pub fn monotonicity(&self) -> Monotonicity {
        Monotonicity {
            act_non_increasing: self.act.iter().all(|t| t.windows(2).all(|w| w[1] <= w[0])),
            idle_non_decreasing: self.idle.iter().all(|t| t.windows(2).all(|w| w[1] >= w[0])),
            switch_in_at_least_run: self.act.iter().zip(&self.idle).all(|(a, d)| a[0] <= d[0]),
        }
    }
}

/// The dynamics, which need no payoffs (a learner that does not know them tracks states with
/// it): pulling arm j makes it Active (a run grows, an Idle arm starts a run); every other arm
/// goes or stays Idle; counts saturate at `caps` (per arm, (Active cap, Idle cap)).
#[inline]
pub fn advance(states: &mut [ArmState], j: usize, caps: &[(u16, u16)]) {
    for (i, s) in states.iter_mut().enumerate() {
        let (ca, ci) = caps[i];
        *s = match (i == j, s.active) {
            (true, true) => ArmState { active: true, n: (s.n + 1).min(ca) },
            (true, false) => ArmState { active: true, n: 1 },
            (false, true) => ArmState { active: false, n: 1 },
            (false, false) => ArmState { active: false, n: (s.n + 1).min(ci) },
        };
    }
}
