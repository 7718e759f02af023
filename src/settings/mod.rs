//! The paper settings, one folder each: a setting knows its model, its algorithms, its
//! baselines, its oracles and its theory; the engine, output and plots never know which runs.
//!
//! - [`mdpo`]: mirror descent policy optimisation (Tomar et al. 2022; tabular origin Shani,
//!   Efroni & Mannor 2020) and its policy-gradient baselines.

pub mod mdpo;
