//! The library's typed errors. Binaries add context with `anyhow`.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field of a spec holds a value outside its allowed range.
    #[error("invalid spec: {field} = {value}: {reason}; allowed: {allowed}")]
    Invalid { field: String, value: String, reason: String, allowed: String },

    /// A command-line option outside its range.
    #[error("invalid option: {option} = {value}; allowed: {allowed}")]
    InvalidOption { option: String, value: String, allowed: String },

    /// The spec file is not valid TOML or does not match the schema (unknown field, wrong type).
    #[error("malformed spec {path}: {message}")]
    Malformed { path: String, message: String },

    #[error("unknown experiment '{0}': not a file, and not a name in experiments/ (see `regretlab list`)")]
    UnknownExperiment(String),

    /// The OS error is part of the message, not a `source`: reporters that print the chain
    /// would show it twice.
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },

    #[error("{path}: {message}")]
    BadResults { path: PathBuf, message: String },

    #[error("plot {path}: {message}")]
    Plot { path: PathBuf, message: String },

    #[error("{0}; nothing was written")]
    Engine(#[from] crate::engine::EngineError),
    /// A claim registry entry or the run it reads does not fit together (an unknown series,
    /// cell or metric, a malformed registry file).
    #[error("claims: {0}")]
    Claim(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Shorthand for a range error.
pub fn invalid(
    field: impl Into<String>,
    value: impl std::fmt::Display,
    reason: impl Into<String>,
    allowed: impl Into<String>,
) -> Error {
    let mut value = value.to_string();
    // Huge or tiny numbers print hundreds of digits with `{}`: show them in scientific form.
    if value.len() > 16
        && let Ok(x) = value.parse::<f64>()
    {
        value = format!("{x:e}");
    }
    Error::Invalid { field: field.into(), value, reason: reason.into(), allowed: allowed.into() }
}

pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |error| Error::Io { path, error }
}

/// Why a model (an MDP, a bandit instance, a loss sequence, …), a planner's input or a model
/// file was refused: the general error of model code in every setting. Every message names the
/// field; [`ModelError::in_spec`] places it in a spec.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{field} = {value}: {reason}; allowed: {allowed}")]
    Invalid { field: String, value: String, reason: String, allowed: String },
    #[error("{path}: {message}")]
    File { path: String, message: String },
}

/// Shorthand for [`ModelError::Invalid`].
pub fn bad(
    field: impl Into<String>,
    value: impl std::fmt::Display,
    reason: impl Into<String>,
    allowed: impl Into<String>,
) -> ModelError {
    ModelError::Invalid {
        field: field.into(),
        value: value.to_string(),
        reason: reason.into(),
        allowed: allowed.into(),
    }
}

impl ModelError {
    /// This error as a spec error whose field is prefixed with the instance's place in the spec
    /// (e.g. `mdpo.instances[1]`).
    pub fn in_spec(self, prefix: &str) -> Error {
        match self {
            ModelError::Invalid { field, value, reason, allowed } => {
                Error::Invalid { field: format!("{prefix}.{field}"), value, reason, allowed }
            }
            ModelError::File { path, message } => {
                Error::BadResults { path: path.into(), message: format!("{prefix}: {message}") }
            }
        }
    }
}
