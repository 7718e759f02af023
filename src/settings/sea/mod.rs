//! Optimistic online mirror descent in the stochastically extended adversarial (SEA) model
//! (Chen, Zhang, Tu, Zhao & Zhang, ICML 2023 / JMLR 2024; the model is Sachs et al. 2022).
//!
//! - [`model`]: SEA sequences of quadratic losses f_t(x) = ½‖x − ξ_t‖², ξ_t = c_t + noise, with
//!   centres c_t that are fixed, switching, alternating or drifting; the exact σ²_{1:T} and
//!   Σ²_{1:T}; the best fixed point in hindsight in closed form; expected regret;
//! - [`algorithms`]: optimistic OMD (M_t = ∇f_{t−1}(x_{t−1})) in its convex-smooth and strongly
//!   convex tunings, with perfect hints, and OGD baselines;
//! - [`spec`]: the `[sea]` section and the engine simulation.

pub mod algorithms;
pub mod model;
pub mod spec;

pub use spec::{SeaConfig, SeaSpec};
