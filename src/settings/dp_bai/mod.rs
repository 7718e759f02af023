//! Fixed-budget differentially private best-arm identification in linear bandits (Chen,
//! Karthik, Chee & Tan, ICLR 2024): the linear instance and its complexities ([`model`]),
//! Max-Det collections ([`max_det`]), DP-BAI and its baselines on a reward table
//! ([`algorithms`]), an empirical privacy audit ([`audit`]) and the `[dp_bai]` spec ([`spec`]).

pub mod algorithms;
pub mod audit;
pub mod max_det;
pub mod model;
pub mod spec;

pub use spec::{DpBaiConfig, DpBaiSpec};
