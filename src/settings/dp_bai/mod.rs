//! Fixed-budget differentially private best-arm identification in linear bandits (Chen,
//! Karthik, Chee & Tan, ICLR 2024): the linear instance and its complexities ([`model`]),
//! Max-Det collections ([`max_det`]), DP-BAI and its baselines on a reward table
//! ([`algorithms`]), an empirical privacy audit ([`audit`]) and the `[dp_bai]` spec ([`spec`]).
//!
#![doc = include_str!("README.md")]

pub mod algorithms;
pub mod audit;
pub mod max_det;
pub mod model;
pub mod spec;

pub use spec::{DpBaiConfig, DpBaiSpec};

use crate::engine::Job;
use crate::error::Result;
use crate::kernels::KernelChoice;
use crate::results::Overlay;
use crate::settings::{Setting, SettingSpec};
use crate::spec::CellInfo;

impl SettingSpec for DpBaiSpec {
    type Checked = DpBaiConfig;
    fn check(&self, horizons: &[u64]) -> Result<DpBaiConfig> {
        self.validate(horizons)
    }
}

impl Setting for DpBaiConfig {
    fn metrics(&self) -> &'static [&'static str] {
        &spec::METRICS
    }
    fn x_label(&self) -> &'static str {
        DpBaiConfig::x_label(self)
    }
    fn x_scale(&self) -> Option<f64> {
        DpBaiConfig::x_scale(self)
    }
    fn cells(&self, horizons: &[u64]) -> Vec<CellInfo> {
        DpBaiConfig::cells(self, horizons)
    }
    fn jobs(&self, cells: &[CellInfo], seed: u64, _kernel: KernelChoice) -> Vec<Job> {
        DpBaiConfig::jobs(self, cells, seed)
    }
    fn overlays(&self, cells: &[CellInfo]) -> Vec<Overlay> {
        DpBaiConfig::overlays(self, cells)
    }
}
