//! Episodic tabular RL regret (`[tabular_rl]`): UCBVI with Hoeffding and Bernstein bonuses and
//! Q-learning with UCB-Hoeffding bonuses on tabular MDPs from the shared MDP core
//! ([`crate::mdp`]), recording the exact expected regret per episode.
//!
//! - [`rl`]: the algorithms and the regret simulation;
//! - [`spec`]: the `[tabular_rl]` table and its validation.
//!
#![doc = include_str!("README.md")]

pub mod rl;
pub mod spec;

pub use spec::{TabularRlConfig, TabularRlSpec};

use crate::engine::Job;
use crate::error::Result;
use crate::kernels::KernelChoice;
use crate::settings::{Setting, SettingSpec};
use crate::spec::CellInfo;

impl SettingSpec for TabularRlSpec {
    type Checked = TabularRlConfig;
    fn check(&self, horizons: &[u64]) -> Result<TabularRlConfig> {
        self.validate(horizons)
    }
    fn resolve_paths(&mut self, base: &std::path::Path) -> bool {
        self.instances.iter_mut().fold(false, |any, i| i.resolve_paths(base) | any)
    }
}

impl Setting for TabularRlConfig {
    fn metrics(&self) -> &'static [&'static str] {
        &rl::METRICS
    }
    fn x_label(&self) -> &'static str {
        "episode k"
    }
    fn cells(&self, horizons: &[u64]) -> Vec<CellInfo> {
        TabularRlConfig::cells(self, horizons)
    }
    fn jobs(&self, cells: &[CellInfo], seed: u64, _kernel: KernelChoice) -> Vec<Job> {
        TabularRlConfig::jobs(self, cells, seed)
    }
}
