//! Causal bandits on linear SEMs (Peng, Zhang & Mitra, IEEE TSP 2025). Work in progress
//! (issue 20): the model with exact expected rewards of every action and the instance
//! generator; the learners (CSL-UCB, GOLEM-MAB, LinSEM-TS/UCB, Vanilla UCB), the spec table and
//! the experiments are not built yet, so the setting is not registered.
//!
//! - [`model`]: the linear SEM with observational and interventional weights, μ_a by forward
//!   substitution, samples, and a general solve for estimated (possibly cyclic) models;
//! - [`generate`]: random instances in the shape of the authors' generator;
//! - [`estimate`]: least squares of a node on a parent set.

#![doc = include_str!("README.md")]

pub mod estimate;
pub mod generate;
pub mod model;
