//! One policy on one bandit instance, as an engine [`Simulation`]: the scalar f64 path and the
//! fixed-point batched path behind one type.

use crate::engine::{Recorder, Simulation, Trace};
use crate::rng::{Role, StreamId};

use super::arms::{Arm, Env};
use super::policies::*;
use crate::kernels::KernelChoice;
use crate::kernels::bandit::FixedKernel;

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
    /// Which implementation runs the fixed-point kernel (never changes a number).
    pub kernel: KernelChoice,
    thr: Vec<u64>,
    gaps: Vec<f64>,
    mu_star: f64,
}

impl BanditSim {
    pub fn new(
        arms: Vec<Arm>,
        horizon: u64,
        key: [u32; 2],
        policy: PolicyConfig,
        tag: u32,
        fixed: Option<FixedKernel>,
    ) -> BanditSim {
        let means: Vec<f64> = arms.iter().map(Arm::mean).collect();
        let mu_star = means.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let thr = arms
            .iter()
            .map(|a| match a {
                Arm::Bernoulli { p } => Arm::bernoulli_threshold(*p),
                _ => 0,
            })
            .collect();
        BanditSim {
            gaps: means.iter().map(|m| mu_star - m).collect(),
            arms,
            horizon,
            key,
            policy,
            tag,
            fixed,
            kernel: KernelChoice::Auto,
            thr,
            mu_star,
        }
    }

    fn run_rep<P: Policy>(&self, rep: u64, mut p: P, grid: &[u64], tr: &mut Trace) {
        let k = self.arms.len();
        let mut env = Env::new(&self.arms, &self.thr, self.key, rep as u32);
        let mut rng = StreamId::new(self.key, rep as u32, Role::Policy(self.tag)).stream();
        let mut st = ArmStats::new(k);
        let (mut pseudo, mut reward, mut opt) = (0.0f64, 0.0f64, 0u64);
        let mut rec = Recorder::new(grid, tr);
        for t in 0..self.horizon {
            let a = p.select(t, &st, &mut rng);
            let x = env.reward(t, a);
            st.record(a, x);
            p.observe(a, x, &st, &mut rng);
            pseudo += self.gaps[a];
            reward += x;
            opt += (self.gaps[a] == 0.0) as u64;
            let tt = (t + 1) as f64;
            rec.step(t + 1, || [pseudo, tt * self.mu_star - reward, opt as f64 / tt]);
        }
        let tt = self.horizon as f64;
        rec.finish(&[pseudo, tt * self.mu_star - reward, opt as f64 / tt]);
    }

    /// The scalar f64 path, one replication at a time (monomorphised per policy).
    pub fn run_f64(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        let k = self.arms.len();
        for (i, tr) in out.iter_mut().enumerate() {
            let rep = first_rep + i as u64;
            match self.policy {
                PolicyConfig::Ucb1 { alpha } => self.run_rep(rep, Ucb1::new(k, alpha), grid, tr),
                PolicyConfig::UcbV { zeta, c, b } => self.run_rep(rep, UcbV { zeta, c, b }, grid, tr),
                PolicyConfig::KlUcb { c, gaussian_variance } => {
                    self.run_rep(rep, KlUcb { c, gaussian: gaussian_variance }, grid, tr)
                }
                PolicyConfig::Moss => self.run_rep(rep, Moss::new(k, self.horizon), grid, tr),
                PolicyConfig::ThompsonBeta => self.run_rep(rep, ThompsonBeta::new(k), grid, tr),
                PolicyConfig::ThompsonGaussian { sigma } => self.run_rep(rep, ThompsonGaussian { sigma }, grid, tr),
                PolicyConfig::EpsilonGreedy { epsilon, c, d } => {
                    self.run_rep(rep, EpsilonGreedy { epsilon, c, d }, grid, tr)
                }
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
            Some(kern) => kern.run_block(self.kernel, first_rep, grid, out),
            None => self.run_f64(first_rep, grid, out),
        }
    }
    #[cfg(feature = "gpu")]
    fn gpu(&self) -> Option<&dyn crate::engine::GpuBatched> {
        self.fixed.as_ref().filter(|k| k.gpu_supported()).map(|k| k as &dyn crate::engine::GpuBatched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::default_grid;
    use proptest::prelude::*;

    fn configs(k: usize) -> Vec<PolicyConfig> {
        vec![
            PolicyConfig::Ucb1 { alpha: 2.0 },
            PolicyConfig::UcbV { zeta: 1.2, c: 1.0, b: 1.0 },
            PolicyConfig::KlUcb { c: 0.0, gaussian_variance: None },
            PolicyConfig::Moss,
            PolicyConfig::ThompsonBeta,
            PolicyConfig::ThompsonGaussian { sigma: 1.0 },
            PolicyConfig::EpsilonGreedy { epsilon: Some(0.1), c: 0.0, d: 0.0 },
            PolicyConfig::EpsilonGreedy { epsilon: None, c: 2.0, d: 0.5 },
            PolicyConfig::ExploreThenCommit { m: (3 / k as u64).max(1) },
            PolicyConfig::Exp3 { eta: None },
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Per replication: pseudo-regret is ≥ 0 and non-decreasing, the optimal fraction is in
        /// [0, 1], and pulls on the best arm make the pseudo-regret exactly t·0 + Σ gaps.
        #[test]
        fn per_replication_invariants(means in proptest::collection::vec(0.0f64..=1.0, 2..7), rep in 0u64..1000, t in 5u64..300) {
            let arms: Vec<Arm> = means.iter().map(|&p| Arm::Bernoulli { p }).collect();
            let grid = default_grid(t);
            for cfg in configs(arms.len()) {
                let sim = BanditSim::new(arms.clone(), t, [1, 2], cfg.clone(), 7, None);
                let mut tr = vec![Trace::new(3, grid.len())];
                sim.run_block(rep, &grid, &mut tr);
                let n = grid.len();
                let pseudo = &tr[0].values[..n];
                prop_assert!(pseudo.iter().all(|&x| x >= 0.0), "{:?}", cfg);
                prop_assert!(pseudo.windows(2).all(|w| w[1] >= w[0]), "{:?}", cfg);
                prop_assert!(tr[0].values[2 * n..].iter().all(|&x| (0.0..=1.0).contains(&x)));
                prop_assert_eq!(tr[0].finals[0], pseudo[n - 1]);
            }
        }
    }

    #[test]
    fn policies_see_common_random_numbers() {
        // ETC with m = T/K explores round-robin for the whole horizon, like a fixed schedule;
        // two labels of the same policy (different stream tags) get identical rewards.
        let arms = vec![Arm::Bernoulli { p: 0.3 }, Arm::Bernoulli { p: 0.6 }];
        let grid = default_grid(100);
        let run = |tag| {
            let sim = BanditSim::new(arms.clone(), 100, [3, 4], PolicyConfig::ExploreThenCommit { m: 50 }, tag, None);
            let mut tr = vec![Trace::new(3, grid.len())];
            sim.run_block(0, &grid, &mut tr);
            tr[0].finals.clone()
        };
        assert_eq!(run(1), run(2));
    }
}
