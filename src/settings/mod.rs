//! The paper settings, one folder each: a setting knows its model, its algorithms, its
//! baselines, its oracles and its theory; the engine, output and plots never know which runs.
//!
//! A setting is a spec table (`[bandit]`, `[dp_bai]`, …) whose type implements
//! [`SettingSpec`] (unchecked → checked, as linfa's param guards do) and whose checked config
//! implements [`Setting`]: cells, jobs, metrics, overlays, axis labels. [`REGISTRY`] lists them,
//! one line each; `spec` finds a spec's table there and names no setting itself.
//!
//! - [`crate::settings::bandit`]: classical stochastic bandits (the reference setting, `[bandit]`);
//! - [`tabular_rl`]: episodic tabular RL regret (UCBVI, optimistic Q-learning, `[tabular_rl]`);
//! - [`mdpo`]: mirror descent policy optimisation (Tomar et al. 2022; tabular origin Shani,
//!   Efroni & Mannor 2020) and its policy-gradient baselines;
//! - [`cascading`]: cascading RL (Du, Srikant & Chen 2024): BestPerm, CascadingVI, CascadingBPI
//!   and their baselines;
//! - [`sea`]: optimistic online mirror descent in the SEA model (Chen et al. 2023);
//! - [`dp_bai`]: fixed-budget differentially private best-arm identification in linear bandits
//!   (Chen, Karthik, Chee & Tan 2024): DP-BAI, DP-OD-LinBAI and non-private baselines;
//! - [`lsd`]: last-switch-dependent bandits (Foussoul, Goyal, Papadigenopoulos & Zeevi 2023) with
//!   Laforgue et al.'s (2022) instances and algorithms.

pub mod bandit;
pub mod cascading;
pub mod causal;
pub mod dp_bai;
pub mod lsd;
pub mod mdpo;
pub mod sea;
pub mod tabular_rl;

use std::path::Path;
use std::sync::Arc;

use crate::engine::Job;
use crate::error::{Error, Result};
use crate::kernels::KernelChoice;
use crate::results::Overlay;
use crate::spec::CellInfo;

/// A checked setting: what the rest of the house needs to run and report it.
pub trait Setting: std::fmt::Debug + Send + Sync {
    /// The metrics every job records, in trace order (the first is plotted by default).
    fn metrics(&self) -> &'static [&'static str];
    /// What the horizon counts, for the x axis of figures.
    fn x_label(&self) -> &'static str;
    /// Checkpoint t is drawn at t / x_scale (settings whose checkpoints encode a real
    /// parameter as an integer); None: 1.
    fn x_scale(&self) -> Option<f64> {
        None
    }
    /// Every cell of the sweep for these horizons; ids come from content, never position.
    fn cells(&self, horizons: &[u64]) -> Vec<CellInfo>;
    /// One job per (cell, series), in cell order then series order. `kernel` picks the
    /// implementation of batched kernels (speed only; settings without one ignore it).
    fn jobs(&self, cells: &[CellInfo], seed: u64, kernel: KernelChoice) -> Vec<Job>;
    /// Theory overlays per cell and metric.
    fn overlays(&self, _cells: &[CellInfo]) -> Vec<Overlay> {
        Vec::new()
    }
    /// What computes the numbers, for the manifest.
    fn backend(&self, _kernel: KernelChoice) -> String {
        "cpu: f64".into()
    }
}

/// A setting's spec table: deserialised from the spec, checked into its [`Setting`].
pub trait SettingSpec: serde::de::DeserializeOwned + serde::Serialize {
    type Checked: Setting + 'static;
    /// Checks every field (errors name the field and its allowed range).
    fn check(&self, horizons: &[u64]) -> Result<Self::Checked>;
    /// Makes relative file paths relative to `base` (the spec's folder); true if any changed.
    fn resolve_paths(&mut self, _base: &Path) -> bool {
        false
    }
}

/// Checks a raw table (named by the first argument) for these horizons.
type Check = fn(&str, &toml::Value, &[u64]) -> Result<Arc<dyn Setting>>;
/// Resolves a raw table's relative file paths against a folder.
type Resolve = fn(&str, &mut toml::Value, &Path) -> Result<()>;

/// One registered setting: its table's name and the two operations on the raw table.
pub struct Registered {
    pub table: &'static str,
    check: Check,
    resolve: Resolve,
}

impl Registered {
    /// The table checked into its setting.
    pub fn check(&self, value: &toml::Value, horizons: &[u64]) -> Result<Arc<dyn Setting>> {
        (self.check)(self.table, value, horizons)
    }

    /// Relative file paths in the table made relative to `base`.
    pub fn resolve_paths(&self, value: &mut toml::Value, base: &Path) -> Result<()> {
        (self.resolve)(self.table, value, base)
    }
}

fn typed<S: SettingSpec>(table: &str, value: &toml::Value) -> Result<S> {
    value.clone().try_into().map_err(|e: toml::de::Error| Error::Malformed {
        path: format!("[{table}]"),
        message: e.message().trim_end().to_string(),
    })
}

const fn entry<S: SettingSpec>(table: &'static str) -> Registered {
    Registered {
        table,
        check: |t, v, h| Ok(Arc::new(typed::<S>(t, v)?.check(h)?)),
        resolve: |t, v, base| {
            let mut s = typed::<S>(t, v)?;
            if s.resolve_paths(base) {
                *v = toml::Value::try_from(&s)
                    .map_err(|e| Error::Malformed { path: format!("[{t}]"), message: e.to_string() })?;
            }
            Ok(())
        },
    }
}

/// Every setting, one line each: the spec table's name and its spec type.
pub static REGISTRY: &[Registered] = &[
    entry::<bandit::BanditSpec>("bandit"),
    entry::<tabular_rl::TabularRlSpec>("tabular_rl"),
    entry::<mdpo::MdpoSpec>("mdpo"),
    entry::<cascading::CascadingSpec>("cascading"),
    entry::<sea::SeaSpec>("sea"),
    entry::<dp_bai::DpBaiSpec>("dp_bai"),
    entry::<lsd::LsdSpec>("lsd"),
    entry::<causal::CausalSpec>("causal"),
];

/// The registered setting of a table name.
pub fn find(table: &str) -> Option<&'static Registered> {
    REGISTRY.iter().find(|r| r.table == table)
}

/// The registered tables' names, for messages.
pub fn tables() -> Vec<&'static str> {
    REGISTRY.iter().map(|r| r.table).collect()
}
