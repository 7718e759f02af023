//! The paper settings, one folder each: a setting knows its model, its algorithms, its
//! baselines, its oracles and its theory; the engine, output and plots never know which runs.
//!
//! - [`dp_bai`]: fixed-budget differentially private best-arm identification in linear bandits
//!   (Chen, Karthik, Chee & Tan 2024): DP-BAI, DP-OD-LinBAI and non-private baselines;
//! - [`cascading`]: cascading RL (Du, Srikant & Chen 2024): BestPerm, CascadingVI, CascadingBPI
//!   and their baselines;
//! - [`sea`]: optimistic online mirror descent in the SEA model (Chen et al. 2023);
//! - [`mdpo`]: mirror descent policy optimisation (Tomar et al. 2022; tabular origin Shani,
//!   Efroni & Mannor 2020) and its policy-gradient baselines.

pub mod cascading;
pub mod dp_bai;
pub mod mdpo;
pub mod sea;
