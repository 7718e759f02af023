//! Mirror descent policy optimisation on tabular MDPs (Tomar, Shani, Efroni & Ghavamzadeh 2022;
//! the tabular analysis of Shani, Efroni & Mannor 2020).
//!
//! - [`policy`]: log-space softmax policies, exact Q/advantage and discounted occupancies;
//! - [`algorithms`]: exact MD with constant, geometric and 1/√k steps, entropy-regularised MD,
//!   sample-based MD (on-policy Monte Carlo or TD estimates with m gradient steps on the
//!   KL-regularised surrogate, tabular or linear softmax; off-policy from a replay buffer), and
//!   the baselines softmax PG, natural PG, a KL-constrained (TRPO-style) step and PPO-clip;
//! - [`theory`]: the regularised optimum (soft value iteration) and the rate overlays;
//! - [`spec`]: the `[mdpo]` section of a spec and the engine simulation.

pub mod algorithms;
pub mod policy;
pub mod spec;
pub mod theory;

pub use spec::{METRICS, MdpoConfig, MdpoSpec};
