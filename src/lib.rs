//! regretlab: reproducible, parallel Monte Carlo for bandit, RL-theory and online-optimisation
//! experiments.
//!
//! The crate's map:
//! - [`rng`]: Philox4x32-10 and the seed plan (master seed, cell, replication, role);
//! - [`spec`]: experiment specs (TOML) and their validation into checked configs and cells;
//! - [`engine`]: the Monte Carlo runner (replications in parallel, checkpoints, ordered fold);
//! - [`stats`]: Welford accumulators, t- and Wilson intervals, quantiles;
//! - [`results`]: the run folder (manifest, CSVs, summary table), atomic writes, the staged
//!   and atomically swapped folder ([`results::run_dir`]);
//! - [`resources`]: the memory and disk a run needs, checked before it starts;
//! - [`plot`]: figures with CI bands and theory overlays;
//! - [`text`]: labels escaped for terminals and Markdown tables;
//! - [`experiment`]: runs a spec end to end (what the CLI calls);
//! - [`rate`]: `regretlab rate`, the fitted exponent of a metric along one variable;
//! - [`claims`]: each paper's checkable claims as data, their statistics and verdicts, and the
//!   claims report of `regretlab reproduce`;
//! - `gpu` (feature `gpu`): the wgpu device, buffers and dispatch that GPU kernels run on;
//! - [`linear`]: linear-model tools shared by settings (G-optimal design, span basis);
//! - [`kernels`]: batched kernels (the bandit index policies in fixed point, CPU lanes and WGSL);
//! - [`mdp`]: the tabular and linear-mixture MDP core (certified planning, episode simulation,
//!   UCBVI and optimistic Q-learning baselines);
//! - [`oco`]: online convex optimisation primitives (domains, projections, mirror maps);
//! - [`settings`]: one folder per setting and the registry that lists them (bandits, tabular RL,
//!   MDPO, cascading RL, SEA, DP-BAI).
//!
//! Reproducibility contract: the same spec and seed give byte-identical `curves.csv` and
//! `final.csv` on any thread count.

pub mod claims;
pub mod engine;
pub mod error;
pub mod experiment;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod kernels;
pub mod linear;
pub mod mdp;
pub mod oco;
pub mod plot;
pub mod rate;
pub mod resources;
pub mod results;
pub mod rng;
pub mod settings;
pub mod spec;
pub mod stats;
pub mod text;

pub use error::{Error, Result};
