//! Causal bandits on linear SEMs (Peng, Zhang & Mitra, IEEE TSP 2025): CSL-UCB with asymmetric
//! sub-graph learning and change detection, and the baselines GOLEM-MAB, LinSEM-TS, LinSEM-UCB
//! (our reading) and Vanilla UCB.
//!
//! - [`model`]: the linear SEM with observational and interventional weights, μ_a by forward
//!   substitution, samples; [`linalg`]: solves for estimated (possibly cyclic) models;
//! - [`generate`]: random instances in the shape of the authors' generator, and their
//!   `change_graph` for non-stationary runs;
//! - [`history`], [`estimate`], [`ksg`]: what learners observed, least squares, the KSG
//!   mutual-information score;
//! - [`learner`]: the seam between the simulation and the algorithms; [`csl_ucb`], [`golem`],
//!   [`baselines`]: the algorithms;
//! - [`spec`] and [`sim`]: the `[causal]` table and the engine simulations (bandit runs and
//!   graph learning alone).

#![doc = include_str!("README.md")]

pub mod baselines;
pub mod csl_ucb;
pub mod estimate;
pub mod generate;
pub mod golem;
pub mod history;
pub mod ksg;
pub mod learner;
pub mod linalg;
pub mod model;
pub mod sim;
pub mod spec;

pub use spec::{CausalConfig, CausalSpec};

use crate::engine::Job;
use crate::error::Result;
use crate::kernels::KernelChoice;
use crate::settings::{Setting, SettingSpec};
use crate::spec::CellInfo;

impl SettingSpec for CausalSpec {
    type Checked = CausalConfig;
    fn check(&self, horizons: &[u64]) -> Result<CausalConfig> {
        self.validate(horizons)
    }
    fn resolve_paths(&mut self, base: &std::path::Path) -> bool {
        CausalSpec::resolve_paths(self, base)
    }
}

impl Setting for CausalConfig {
    fn metrics(&self) -> &'static [&'static str] {
        CausalConfig::metrics(self)
    }
    fn x_label(&self) -> &'static str {
        match self.mode {
            spec::Mode::Bandit { .. } => "round t",
            spec::Mode::Graph { .. } => "samples",
        }
    }
    fn cells(&self, horizons: &[u64]) -> Vec<CellInfo> {
        CausalConfig::cells(self, horizons)
    }
    fn jobs(&self, cells: &[CellInfo], seed: u64, _kernel: KernelChoice) -> Vec<Job> {
        CausalConfig::jobs(self, cells, seed)
    }
}
