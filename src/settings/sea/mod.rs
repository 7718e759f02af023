//! Optimistic online mirror descent in the stochastically extended adversarial (SEA) model
//! (Chen, Zhang, Tu, Zhao & Zhang, ICML 2023 / JMLR 2024; the model is Sachs et al. 2022).
//!
//! - [`model`]: SEA sequences of quadratic, linear, logistic and random-feature losses over a
//!   ball, box, simplex or ℓ1 ball, with centres that are fixed, switching, alternating or drifting; the
//!   exact σ²_{1:T} and Σ²_{1:T}; certified comparators (best fixed point, dynamic); expected regret;
//! - [`algorithms`]: optimistic OMD in its convex-smooth, strongly convex, perfect-hint, dynamic
//!   and parameter-free (meta) tunings, optimistic FTRL, (optimistic) Hedge, (optimistic) ONS,
//!   and OGD baselines;
//! - [`spec`]: the `[sea]` section and the engine simulation.
//!
#![doc = include_str!("README.md")]

pub mod algorithms;
pub mod model;
pub mod spec;

pub use spec::{SeaConfig, SeaSpec};

use crate::engine::Job;
use crate::error::Result;
use crate::kernels::KernelChoice;
use crate::results::Overlay;
use crate::settings::{Setting, SettingSpec};
use crate::spec::CellInfo;

impl SettingSpec for SeaSpec {
    type Checked = SeaConfig;
    /// The SEA setting's horizons are the rounds; nothing in its table depends on them.
    fn check(&self, _horizons: &[u64]) -> Result<SeaConfig> {
        self.validate()
    }
}

impl Setting for SeaConfig {
    fn metrics(&self) -> &'static [&'static str] {
        &spec::METRICS
    }
    fn x_label(&self) -> &'static str {
        "round t"
    }
    fn cells(&self, horizons: &[u64]) -> Vec<CellInfo> {
        SeaConfig::cells(self, horizons)
    }
    fn jobs(&self, cells: &[CellInfo], seed: u64, _kernel: KernelChoice) -> Vec<Job> {
        SeaConfig::jobs(self, cells, seed)
    }
    fn overlays(&self, cells: &[CellInfo]) -> Vec<Overlay> {
        SeaConfig::overlays(self, cells)
    }
}
