//! Mirror descent policy optimisation on tabular MDPs (Tomar, Shani, Efroni & Ghavamzadeh 2022;
//! the tabular analysis of Shani, Efroni & Mannor 2020).
//!
//! - [`policy`]: log-space softmax policies, exact Q/advantage and discounted occupancies;
//! - [`algorithms`]: exact MD with constant, geometric and 1/√k steps, entropy-regularised MD,
//!   sample-based MD (on-policy Monte Carlo or TD estimates with m gradient steps on the
//!   KL-regularised surrogate, tabular or linear softmax; off-policy from a replay buffer), and
//!   the baselines softmax PG, natural PG, a KL-constrained (TRPO-style) step and PPO-clip;
//! - [`theory`]: the regularised optimum (soft value iteration) and the rate overlays;
//! - [`spec`]: the `[mdpo]` section of a spec and the engine simulation.
//!
#![doc = include_str!("README.md")]

pub mod algorithms;
pub mod policy;
pub mod spec;
pub mod theory;

pub use spec::{METRICS, MdpoConfig, MdpoSpec};

use crate::engine::Job;
use crate::error::Result;
use crate::kernels::KernelChoice;
use crate::results::Overlay;
use crate::settings::{Setting, SettingSpec};
use crate::spec::CellInfo;

impl SettingSpec for MdpoSpec {
    type Checked = MdpoConfig;
    fn check(&self, horizons: &[u64]) -> Result<MdpoConfig> {
        self.validate(horizons)
    }
    fn resolve_paths(&mut self, base: &std::path::Path) -> bool {
        self.instances.iter_mut().fold(false, |any, i| i.resolve_paths(base) | any)
    }
}

impl Setting for MdpoConfig {
    fn metrics(&self) -> &'static [&'static str] {
        &METRICS
    }
    fn x_label(&self) -> &'static str {
        "iteration k"
    }
    fn cells(&self, horizons: &[u64]) -> Vec<CellInfo> {
        MdpoConfig::cells(self, horizons)
    }
    fn jobs(&self, cells: &[CellInfo], seed: u64, _kernel: KernelChoice) -> Vec<Job> {
        MdpoConfig::jobs(self, cells, seed)
    }
    fn overlays(&self, cells: &[CellInfo]) -> Vec<Overlay> {
        MdpoConfig::overlays(self, cells)
    }
}
