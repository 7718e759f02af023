//! The MDP core that the RL settings stand on: tabular and linear-mixture models, planning that
//! states what it certifies, exact policy evaluation, episode simulation on counter-addressed
//! noise, and the instance kinds MDP settings share (their tabular regret baselines, UCBVI and
//! optimistic Q-learning, are the `tabular_rl` setting's).
//!
//! - [`model`]: finite tabular MDPs (dense or sparse transitions) and their validation;
//! - [`generate`]: instances from a seed (Dirichlet, uniform-dense as in B2, RiverSwim, gridworld);
//! - [`io`]: models from JSON files and numpy `.npy` arrays;
//! - [`planning`]: value iteration (plain, Gauss–Seidel, compensated 16-bit), policy iteration,
//!   modified PI, linear programming, policy evaluation and finite-horizon backward induction,
//!   each returning a [`planning::Certificate`];
//! - [`linear_mixture`]: P(s'|s,a) = ⟨φ(s'|s,a), θ*⟩ with its ψ_V features;
//! - [`episodes`]: sampling transitions and episodes from counter-addressed uniforms;
//! - [`spec`]: how a spec gives an MDP instance (generated or from a file), shared by settings.

pub mod episodes;
pub mod generate;
pub mod io;
pub mod linear_mixture;
pub mod model;
pub mod planning;
pub mod spec;

pub use model::{TabularMdp, TabularPolicy, Transitions};

pub use crate::error::{ModelError, bad};

/// Checks a discount factor: γ ∈ [0, 1), and γ·(1 + ROW_SUM_TOL) < 1 so that the Bellman
/// operator of a model whose rows sum to 1 within the tolerance still contracts.
pub fn check_gamma(gamma: f64) -> Result<(), ModelError> {
    if (0.0..1.0).contains(&gamma) && gamma * (1.0 + model::ROW_SUM_TOL) < 1.0 {
        Ok(())
    } else {
        Err(bad("gamma", gamma, "the discount factor of a discounted MDP", "[0, 1)"))
    }
}

/// Checks an episode length: H ≥ 1.
pub fn check_horizon(h: usize) -> Result<(), ModelError> {
    if h >= 1 { Ok(()) } else { Err(bad("horizon", h, "the number of steps of an episode", ">= 1")) }
}
