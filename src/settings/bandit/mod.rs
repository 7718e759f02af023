//! Classical stochastic bandits: the engine's first setting and its reference workload.
//!
//! - [`arms`]: arm distributions and the counter-addressed reward table (common random numbers);
//! - [`policies`]: UCB1, UCB-V, KL-UCB, MOSS, Thompson sampling (Beta, Gaussian), ε-greedy,
//!   explore-then-commit, EXP3 on the f64 path;
//! - the batched fixed-point kernels it runs live in [`crate::kernels::bandit`];
//! - [`sim`]: a policy on an instance as an engine `Simulation`;
//! - [`spec`]: the `[bandit]` section of a spec and its validation;
//! - [`theory`]: Lai–Robbins and UCB1 overlays.
//!
#![doc = include_str!("README.md")]

pub mod arms;
pub mod policies;
pub mod sim;
pub mod spec;
pub mod theory;

use crate::engine::{Job, default_grid};
use crate::results::Overlay;
use crate::spec::CellInfo;

use crate::kernels::KernelChoice;
use crate::kernels::bandit::FixedKernel;
use sim::BanditSim;
pub use spec::{BanditConfig, BanditSpec};

impl BanditConfig {
    /// The cells: every instance at every horizon. The content (arms and horizon) fixes the id.
    pub fn cells(&self, horizons: &[u64]) -> Vec<CellInfo> {
        let mut out = Vec::new();
        for inst in &self.instances {
            for &t in horizons {
                let label = if horizons.len() > 1 { format!("{} T={t}", inst.label) } else { inst.label.clone() };
                let content = serde_json::json!({ "setting": "bandit", "arms": inst.arms, "horizon": t });
                out.push(CellInfo::new(label, t, content));
            }
        }
        out
    }

    /// One job per (cell, policy), in cell order then policy order.
    pub fn jobs(&self, cells: &[CellInfo], seed: u64, kernel: KernelChoice) -> Vec<Job> {
        let mut jobs = Vec::new();
        let per_t = crate::spec::cells_per_instance(cells.len(), self.instances.len());
        for (ci, cell) in cells.iter().enumerate() {
            let inst = &self.instances[ci / per_t];
            let key = cell.key(seed);
            for p in &self.policies {
                let fixed = p.fixed_rule().map(|r| FixedKernel::new(&inst.arms, cell.horizon, r, key));
                let mut sim = BanditSim::new(inst.arms.clone(), cell.horizon, key, p.config.clone(), p.tag, fixed);
                sim.kernel = kernel;
                jobs.push(Job { cell: cell.id.clone(), series: p.label.clone(), sim: Box::new(sim) });
            }
        }
        jobs
    }

    /// The manifest's `backend`: the f64 path, plus the lane kernel's ISA when a policy uses it.
    pub fn backend(&self, kernel: KernelChoice) -> String {
        if self.policies.iter().any(|p| p.fixed_rule().is_some()) {
            format!("cpu: f64 scalar path; fixed-point kernel: {}", kernel.describe())
        } else {
            "cpu: f64 scalar path".into()
        }
    }

    /// Theory overlays on the pseudo-regret plot of each cell, on its checkpoint grid.
    pub fn overlays(&self, cells: &[CellInfo]) -> Vec<Overlay> {
        let mut out = Vec::new();
        let per_t = crate::spec::cells_per_instance(cells.len(), self.instances.len());
        let has_ucb1 =
            self.policies.iter().any(|p| matches!(p.config, sim::PolicyConfig::Ucb1 { alpha } if alpha == 2.0));
        for (ci, cell) in cells.iter().enumerate() {
            let arms = &self.instances[ci / per_t].arms;
            let grid = default_grid(cell.horizon);
            if let Some(c) = theory::lai_robbins_constant(arms) {
                out.push(Overlay {
                    cell: cell.id.clone(),
                    metric: "pseudo_regret".into(),
                    label: format!("Lai-Robbins lower bound ({c:.2} ln t)"),
                    kind: "lower".into(),
                    points: grid.iter().map(|&t| (t, c * (t as f64).ln())).collect(),
                });
            }
            if has_ucb1 {
                let pts: Option<Vec<(u64, f64)>> =
                    grid.iter().map(|&t| theory::ucb1_upper_bound(arms, t).map(|v| (t, v))).collect();
                if let Some(points) = pts {
                    out.push(Overlay {
                        cell: cell.id.clone(),
                        metric: "pseudo_regret".into(),
                        label: "UCB1 upper bound (Auer et al. 2002, Thm 1)".into(),
                        kind: "upper".into(),
                        points,
                    });
                }
            }
        }
        out
    }
}

impl crate::settings::SettingSpec for BanditSpec {
    type Checked = BanditConfig;
    fn check(&self, horizons: &[u64]) -> crate::error::Result<BanditConfig> {
        self.validate(horizons)
    }
}

impl crate::settings::Setting for BanditConfig {
    fn metrics(&self) -> &'static [&'static str] {
        &sim::METRICS
    }
    fn x_label(&self) -> &'static str {
        "t"
    }
    fn cells(&self, horizons: &[u64]) -> Vec<CellInfo> {
        BanditConfig::cells(self, horizons)
    }
    fn jobs(&self, cells: &[CellInfo], seed: u64, kernel: KernelChoice) -> Vec<Job> {
        BanditConfig::jobs(self, cells, seed, kernel)
    }
    fn overlays(&self, cells: &[CellInfo]) -> Vec<Overlay> {
        BanditConfig::overlays(self, cells)
    }
    fn backend(&self, kernel: KernelChoice) -> String {
        BanditConfig::backend(self, kernel)
    }
}
