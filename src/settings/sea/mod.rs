//! Optimistic online mirror descent in the stochastically extended adversarial (SEA) model
//! (Chen, Zhang, Tu, Zhao & Zhang, ICML 2023 / JMLR 2024; the model is Sachs et al. 2022).
//!
//! - [`model`]: SEA sequences of quadratic losses f_t(x) = ½‖x − ξ_t‖², ξ_t = c_t + noise, with
//!   centres c_t that are fixed, switching, alternating or drifting; the exact σ²_{1:T} and
//!   Σ²_{1:T}; the best fixed point in hindsight in closed form; expected regret;
//! - [`algorithms`]: optimistic OMD (M_t = ∇f_{t−1}(x_{t−1})) in its convex-smooth and strongly
//!   convex tunings, with perfect hints, and OGD baselines;
//! - [`spec`]: the `[sea]` section and the engine simulation.
//!
#![doc = include_str!("README.md")]

pub mod algorithms;
pub mod model;
pub mod spec;

pub use spec::{SeaConfig, SeaSpec};

use crate::engine::Job;
use crate::error::Result;
use crate::kernels::bandit::KernelChoice;
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
