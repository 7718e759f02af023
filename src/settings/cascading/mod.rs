//! Cascading reinforcement learning (Du, Srikant & Chen, ICLR 2024): cascading bandits with
//! user states.
//!
//! - [`model`]: the cascading MDP, its exact values (backward induction with BestPerm) and the
//!   simulated user on counter-addressed attraction and transition uniforms;
//! - [`best_perm`]: the BestPerm oracle and the exhaustive search over lists;
//! - [`algorithms`]: CascadingVI, its -Bonus and -Oracle variants, AdaptRM, CascadeUCB1 /
//!   CascadeKL-UCB, CascadingBPI and AdaptBPI;
//! - [`generate`]: synthetic instances; [`movielens`]: the MovieLens-100K construction;
//! - [`spec`]: the `[cascading]` section and the engine simulation.
//!
#![doc = include_str!("README.md")]

pub mod algorithms;
pub mod best_perm;
pub mod generate;
pub mod model;
pub mod movielens;
pub mod spec;

pub use spec::{CascadingConfig, CascadingSpec};

use crate::engine::Job;
use crate::error::Result;
use crate::kernels::KernelChoice;
use crate::settings::{Setting, SettingSpec};
use crate::spec::CellInfo;

impl SettingSpec for CascadingSpec {
    type Checked = CascadingConfig;
    fn check(&self, horizons: &[u64]) -> Result<CascadingConfig> {
        self.validate(horizons)
    }
}

impl Setting for CascadingConfig {
    fn metrics(&self) -> &'static [&'static str] {
        CascadingConfig::metrics(self)
    }
    fn x_label(&self) -> &'static str {
        "episode k"
    }
    fn cells(&self, horizons: &[u64]) -> Vec<CellInfo> {
        CascadingConfig::cells(self, horizons)
    }
    fn jobs(&self, cells: &[CellInfo], seed: u64, _kernel: KernelChoice) -> Vec<Job> {
        CascadingConfig::jobs(self, cells, seed)
    }
}
