//! Last-switch-dependent bandits with monotone payoffs (Foussoul, Goyal, Papadigenopoulos &
//! Zeevi, ICML 2023), with Laforgue et al.'s (AISTATS 2022) instances. Work in progress (issue
//! 19): the model, the exact planning optimum, the LP relaxation and the greedy baseline's exact
//! expected reward; the rounding and
//! scheduling, the online adaptation, Laforgue et al.'s algorithms and the experiments are not
//! built yet, so the setting is not registered.
//!
//! - [`model`]: the Active/Idle model, Laforgue's positive-state convention and instances,
//!   monotonicity reported per instance;
//! - [`optimum`]: the best long-run mean reward per round (Karp's maximum mean cycle of the
//!   reachable joint state graph), and enumeration of periodic schedules as its check;
//! - [`relaxation`]: the higher-dimensional LP relaxation (our reconstruction) by Lagrangian
//!   bisection, cross-checked with Clarabel;
//! - [`greedy`]: the greedy baseline (Laforgue et al.'s Oracle Greedy) and its exact expected
//!   total reward.

#![doc = include_str!("README.md")]

pub mod block;
pub mod greedy;
pub mod model;
pub mod optimum;
pub mod relaxation;
