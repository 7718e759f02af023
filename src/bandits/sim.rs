//! One policy on one bandit instance, as an engine [`Simulation`]: the scalar f64 path and the
//! fixed-point batched path behind one type.

use crate::engine::{Simulation, Trace};
use crate::rng::{Role, StreamId};

use super::arms::{Arm, Env};
use super::kernel::FixedKernel;
use super::policies::*;

/// The metrics every bandit job records, in trace order.
pub const METRICS: [&str; 3] = ["pseudo_regret", "realised_regret", "optimal_fraction"];

/// A checked policy configuration (what `spec` validated), ready to instantiate per replication.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PolicyConfig {
    Ucb1 { alpha: f64 },
    UcbV { zeta: f64, c: f64, b: f64 },
    KlUcb { c: f64, gaussian_variance: Option<f64> },
    Moss,
    ThompsonBeta,
    ThompsonGaussian { sigma: f64 },
    EpsilonGreedy { epsilon: Option<f64>, c: f64, d: f64 },
    ExploreThenCommit { m: u64 },
    Exp3 { eta: Option<f64> },
}

/// A policy on an instance, on the f64 path or the fixed-point kernel.
pub struct BanditSim {
    pub arms: Vec<Arm>,
    pub horizon: u64,
    pub key: [u32; 2],
    pub policy: PolicyConfig,
    /// Role tag of the policy's own stream (a hash of its resolved spec).
    pub tag: u32,
    pub fixed: Option<FixedKernel>,
    thr: Vec<u64>,
    gaps: Vec<f64>,
    mu_star: f64,
}

impl BanditSim {
    pub fn new(arms: Vec<Arm>, horizon: u64, key: [u32; 2], policy: PolicyConfig, tag: u32, fixed: Option<FixedKernel>) -> BanditSim {
        let means: Vec<f64> = arms.iter().map(Arm::mean).collect();
        let mu_star = means.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let thr = arms
            .iter()
            .map(|a| match a {
                Arm::Bernoulli { p } => Arm::bernoulli_threshold(*p),
                _ => 0,
            })
            .collect();
        BanditSim { gaps: means.iter().map(|m| mu_star - m).collect(), arms, horizon, key, policy, tag, fixed, thr, mu_star }
    }

    fn run_rep<P: Policy>(&self, rep: u64, mut p: P, grid: &[u64], tr: &mut Trace) {
        let k = self.arms.len();
        let mut env = Env::new(&self.arms, &self.thr, self.key, rep as u32);
        let mut rng = StreamId::new(self.key, rep as u32, Role::Policy(self.tag)).stream();
        let mut st = ArmStats::new(k);
        let (mut pseudo, mut reward, mut opt) = (0.0f64, 0.0f64, 0u64);
        let ncp = grid.len();
        let mut c = 0;
        for t in 0..self.horizon {
            let a = p.select(t, &st, &mut rng);
            let x = env.reward(t, a);
            st.record(a, x);
            p.observe(a, x, &st, &mut rng);
            pseudo += self.gaps[a];
            reward += x;
            opt += (self.gaps[a] == 0.0) as u64;
            if c < ncp && grid[c] == t + 1 {
                let tt = (t + 1) as f64;
                tr.values[c] = pseudo;
                tr.values[ncp + c] = tt * self.mu_star - reward;
                tr.values[2 * ncp + c] = opt as f64 / tt;
                c += 1;
            }
        }
        let tt = self.horizon as f64;
        tr.finals.copy_from_slice(&[pseudo, tt * self.mu_star - reward, opt as f64 / tt]);
    }

    /// The scalar f64 path, one replication at a time (monomorphised per policy).
    pub fn run_f64(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        let k = self.arms.len();
        for (i, tr) in out.iter_mut().enumerate() {
            let rep = first_rep + i as u64;
            match self.policy {
                PolicyConfig::Ucb1 { alpha } => self.run_rep(rep, Ucb1 { alpha }, grid, tr),
                PolicyConfig::UcbV { zeta, c, b } => self.run_rep(rep, UcbV { zeta, c, b }, grid, tr),
                PolicyConfig::KlUcb { c, gaussian_variance } => self.run_rep(rep, KlUcb { c, gaussian: gaussian_variance }, grid, tr),
                PolicyConfig::Moss => self.run_rep(rep, Moss { horizon: self.horizon }, grid, tr),
                PolicyConfig::ThompsonBeta => self.run_rep(rep, ThompsonBeta::new(k), grid, tr),
                PolicyConfig::ThompsonGaussian { sigma } => self.run_rep(rep, ThompsonGaussian { sigma }, grid, tr),
                PolicyConfig::EpsilonGreedy { epsilon, c, d } => self.run_rep(rep, EpsilonGreedy { epsilon, c, d }, grid, tr),
                PolicyConfig::ExploreThenCommit { m } => self.run_rep(rep, ExploreThenCommit::new(m), grid, tr),
                PolicyConfig::Exp3 { eta } => self.run_rep(rep, Exp3::new(k, self.horizon, eta), grid, tr),
            }
        }
    }
}

impl Simulation for BanditSim {
    fn metrics(&self) -> Vec<String> {
        METRICS.iter().map(|s| s.to_string()).collect()
    }
    fn horizon(&self) -> u64 {
        self.horizon
    }
    fn run_block(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        match &self.fixed {
            Some(kern) => kern.run_block(first_rep, grid, out),
            None => self.run_f64(first_rep, grid, out),
        }
    }
}
