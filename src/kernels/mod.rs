//! Batched kernels: many replications of one algorithm advanced together, in lanes on the CPU
//! (and as WGSL on a GPU), computing exactly the integers of a scalar reference. A setting uses
//! them through its `Simulation`; the engine never sees them.
//!
//! - [`bandit`]: the fixed-point index policies on Bernoulli and Gaussian arms (UCB1, UCB-V,
//!   KL-UCB, MOSS, explore-then-commit, ε-greedy, Gaussian Thompson sampling).

pub mod bandit;
mod choice;

pub use choice::{Isa, KernelChoice};
