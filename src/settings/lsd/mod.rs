//! Last-switch-dependent bandits with monotone payoffs (Foussoul, Goyal, Papadigenopoulos &
//! Zeevi, ICML 2023), with Laforgue et al.'s (AISTATS 2022) instances and algorithms.
//!
//! - [`model`]: the Active/Idle model, Laforgue's positive-state convention and instances,
//!   monotonicity reported per instance;
//! - [`generate`]: random instances by class (monotone, non-monotone, recharging, satiation);
//! - [`optimum`]: the best long-run mean reward per round (Howard's policy iteration on the
//!   reachable joint state graph; Karp and enumeration of periodic schedules as its checks) and
//!   OPT_T by dynamic programming;
//! - [`relaxation`]: the higher-dimensional LP relaxation (our reconstruction) by Lagrangian
//!   bisection, cross-checked with Clarabel;
//! - [`greedy`]: the greedy baseline (Laforgue et al.'s Oracle Greedy) and its exact expected
//!   total reward;
//! - [`block`] and [`laforgue`]: Laforgue et al.'s block planner (their LP and rounding, and
//!   exact enumeration) and CombUCB1, ISI-CombUCB1 and the calibration sequences;
//! - [`spec`] and [`sim`]: the `[lsd]` table and the engine simulation.

#![doc = include_str!("README.md")]

pub mod block;
pub mod generate;
pub mod greedy;
pub mod laforgue;
pub mod model;
pub mod online;
pub mod optimum;
pub mod planners;
pub mod ratios;
pub mod relaxation;
pub mod sim;
pub mod spec;

pub use spec::{LsdConfig, LsdSpec};

use crate::engine::Job;
use crate::error::Result;
use crate::kernels::KernelChoice;
use crate::settings::{Setting, SettingSpec};
use crate::spec::CellInfo;

impl SettingSpec for LsdSpec {
    type Checked = LsdConfig;
    fn check(&self, horizons: &[u64]) -> Result<LsdConfig> {
        self.validate(horizons)
    }
    fn resolve_paths(&mut self, base: &std::path::Path) -> bool {
        LsdSpec::resolve_paths(self, base)
    }
}

impl Setting for LsdConfig {
    fn metrics(&self) -> &'static [&'static str] {
        self.metrics
    }
    fn x_label(&self) -> &'static str {
        "round t"
    }
    fn cells(&self, horizons: &[u64]) -> Vec<CellInfo> {
        LsdConfig::cells(self, horizons)
    }
    fn jobs(&self, cells: &[CellInfo], seed: u64, _kernel: KernelChoice) -> Vec<Job> {
        LsdConfig::jobs(self, cells, seed)
    }
}
