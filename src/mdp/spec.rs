//! Spec types shared by MDP settings: how an instance is given (generated from a seed, or read
//! from a file), and the checks on it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::linear_mixture::LinearMixtureMdp;
use super::model::TabularMdp;
use super::{ModelError, generate, io};
use crate::error::{Result, invalid};
use crate::rng::content_hash;

/// An MDP instance in a spec.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum InstanceSpec {
    /// Dirichlet(α) transition rows, U(0,1) rewards.
    Dirichlet {
        label: Option<String>,
        states: i64,
        actions: i64,
        alpha: f64,
        seed: u64,
    },
    /// Uniform entries normalised per row (the construction of workload B2).
    UniformDense {
        label: Option<String>,
        states: i64,
        actions: i64,
        seed: u64,
    },
    RiverSwim {
        label: Option<String>,
        states: i64,
    },
    Gridworld {
        label: Option<String>,
        width: i64,
        height: i64,
        slip: f64,
    },
    /// A linear-mixture MDP with d Dirichlet base kernels (used through its tabular model).
    LinearMixture {
        label: Option<String>,
        states: i64,
        actions: i64,
        d: i64,
        alpha: f64,
        seed: u64,
    },
    /// The hard instance of the reward-free lower bound (3 states, 2^(d−1) actions).
    RewardFreeHard {
        label: Option<String>,
        d: i64,
        episodes: i64,
        horizon: i64,
        seed: u64,
    },
    /// A JSON model file (see `mdp::io`).
    Json {
        label: Option<String>,
        path: String,
    },
    /// numpy arrays in pymdptoolbox's layout: P (A, S, S), R (S, A).
    Npy {
        label: Option<String>,
        p: String,
        r: String,
    },
}

pub fn size(field: &str, x: i64, lo: i64, hi: i64) -> Result<usize> {
    if x < lo || x > hi {
        return Err(invalid(field, x, "a size of the instance", format!("{lo} ..= {hi}")));
    }
    Ok(x as usize)
}

impl InstanceSpec {
    pub fn label(&self) -> String {
        match self {
            InstanceSpec::Dirichlet { label, states, actions, alpha, .. } => {
                label.clone().unwrap_or(format!("Dirichlet S={states} A={actions} alpha={alpha}"))
            }
            InstanceSpec::UniformDense { label, states, actions, .. } => {
                label.clone().unwrap_or(format!("uniform S={states} A={actions}"))
            }
            InstanceSpec::RiverSwim { label, states } => label.clone().unwrap_or(format!("RiverSwim-{states}")),
            InstanceSpec::Gridworld { label, width, height, slip } => {
                label.clone().unwrap_or(format!("grid {width}x{height} slip={slip}"))
            }
            InstanceSpec::LinearMixture { label, states, actions, d, .. } => {
                label.clone().unwrap_or(format!("linear mixture S={states} A={actions} d={d}"))
            }
            InstanceSpec::RewardFreeHard { label, d, episodes, .. } => {
                label.clone().unwrap_or(format!("reward-free hard d={d} K={episodes}"))
            }
            InstanceSpec::Json { label, path } => label.clone().unwrap_or(path.clone()),
            InstanceSpec::Npy { label, p, .. } => label.clone().unwrap_or(p.clone()),
        }
    }

    /// Makes a relative model-file path relative to `base` (the spec's folder), so that a spec
    /// reads the same files from any working directory.
    pub fn resolve_paths(&mut self, base: &Path) -> bool {
        let fix = |p: &mut String| {
            if Path::new(p.as_str()).is_relative() {
                *p = base.join(p.as_str()).display().to_string();
                true
            } else {
                false
            }
        };
        // the label stays the path as written
        match self {
            InstanceSpec::Json { path, label } => {
                label.get_or_insert_with(|| path.clone());
                fix(path)
            }
            InstanceSpec::Npy { p, r, label } => {
                label.get_or_insert_with(|| p.clone());
                fix(p) | fix(r)
            }
            _ => false,
        }
    }

    /// The number of states a generated instance declares (None for files), so that sizes can be
    /// checked before anything is allocated.
    pub fn declared_states(&self) -> Option<i64> {
        match self {
            InstanceSpec::Dirichlet { states, .. }
            | InstanceSpec::UniformDense { states, .. }
            | InstanceSpec::RiverSwim { states, .. }
            | InstanceSpec::LinearMixture { states, .. } => Some(*states),
            InstanceSpec::Gridworld { width, height, .. } => Some(width.saturating_mul(*height)),
            InstanceSpec::RewardFreeHard { .. } => Some(3),
            InstanceSpec::Json { .. } | InstanceSpec::Npy { .. } => None,
        }
    }

    /// Builds the model; errors name `prefix` (e.g. `mdpo.instances[1]`) and the field.
    pub fn build(&self, prefix: &str) -> Result<TabularMdp> {
        let f = |name: &str| format!("{prefix}.{name}");
        let err = |e: ModelError| e.in_spec(prefix);
        match self {
            InstanceSpec::Dirichlet { states, actions, alpha, seed, .. } => generate::dirichlet(
                size(&f("states"), *states, 1, 4096)?,
                size(&f("actions"), *actions, 1, 256)?,
                *alpha,
                *seed,
            )
            .map_err(err),
            InstanceSpec::UniformDense { states, actions, seed, .. } => generate::uniform_dense(
                size(&f("states"), *states, 1, 4096)?,
                size(&f("actions"), *actions, 1, 256)?,
                *seed,
            )
            .map_err(err),
            InstanceSpec::RiverSwim { states, .. } => {
                generate::river_swim(size(&f("states"), *states, 2, 1 << 20)?).map_err(err)
            }
            InstanceSpec::Gridworld { width, height, slip, .. } => {
                generate::gridworld(size(&f("width"), *width, 1, 1024)?, size(&f("height"), *height, 1, 1024)?, *slip)
                    .map_err(err)
            }
            InstanceSpec::LinearMixture { states, actions, d, alpha, seed, .. } => {
                let m = LinearMixtureMdp::random(
                    size(&f("states"), *states, 1, 512)?,
                    size(&f("actions"), *actions, 1, 64)?,
                    size(&f("d"), *d, 1, 64)?,
                    *alpha,
                    *seed,
                )
                .map_err(err)?;
                Ok(m.model().clone())
            }
            InstanceSpec::RewardFreeHard { d, episodes, horizon, seed, .. } => {
                let m = LinearMixtureMdp::reward_free_hard(
                    size(&f("d"), *d, 2, 12)?,
                    size(&f("episodes"), *episodes, 1, i64::MAX)? as u64,
                    size(&f("horizon"), *horizon, 1, 1 << 20)?,
                    *seed,
                )
                .map_err(err)?;
                Ok(m.model().clone())
            }
            InstanceSpec::Json { path, .. } => io::read_json(Path::new(path)).map_err(err),
            InstanceSpec::Npy { p, r, .. } => io::read_npy_model(Path::new(p), Path::new(r)).map_err(err),
        }
    }

    /// What identifies the instance's content: the spec, plus the bytes of any file it reads.
    pub fn content(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.remove("label");
            let files: Vec<&String> = match self {
                InstanceSpec::Json { path, .. } => vec![path],
                InstanceSpec::Npy { p, r, .. } => vec![p, r],
                _ => vec![],
            };
            // a model file is identified by its bytes, not by where it lies: the same spec run
            // from another folder (or by an absolute path) keeps its cells and seeds
            for k in ["path", "p", "r"] {
                o.remove(k);
            }
            for (i, path) in files.iter().enumerate() {
                let h = io::read_capped(Path::new(path.as_str()))
                    .map(|b| format!("{:016x}", content_hash(&b)))
                    .unwrap_or_default();
                o.insert(format!("file_hash_{i}"), h.into());
            }
        }
        v
    }
}
