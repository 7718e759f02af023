//! Linear-model tools that several settings share (DP-BAI now; causal bandits on linear SEMs and
//! reward-free exploration in linear mixture MDPs next): optimal designs over arm features and the
//! numerical span of a set of features.
//!
//! - [`design`]: G-optimal designs (Frank–Wolfe on log det) and rounding an allocation to a
//!   budget;
//! - [`span`]: numerical rank and an orthonormal basis of a column span.

pub mod design;
pub mod simplex;
pub mod span;

pub use design::{g_optimal, round_allocation};
pub use span::span_basis;
