//! The approximation-ratio sweep: a cell is a class of random instances, replication r is the
//! class's instance r, and each series is a planner with known payoffs whose long-run reward is
//! divided by the exact optimum (Howard) and by the LP relaxation. The "LP bound" series records
//! LP / OPT itself.

use super::generate::{Class, generate};
use super::optimum::optimum;
use super::planners::{Planner, long_run, primal};
use crate::engine::{Recorder, Simulation, Trace};
use crate::rng::{Role, StreamId};

pub const METRICS: [&str; 3] = ["ratio_to_opt", "ratio_to_lp", "long_run"];

/// A planner, or the LP bound itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Series {
    Planner(Planner),
    LpBound,
}

/// The sweep's instance family and measurement window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Family {
    pub arms: usize,
    pub tau_max: usize,
    pub seed: u64,
    /// Rounds before the window.
    pub burn: u64,
    /// Draws of a planner's randomness averaged per instance.
    pub draws: u32,
}

pub struct RatioSim {
    pub class: Class,
    pub family: Family,
    pub series: Series,
    /// The window's length (the cell's horizon).
    pub rounds: u64,
    pub key: [u32; 2],
    pub tag: u32,
}

impl RatioSim {
    /// (ratio to OPT, ratio to the LP, long-run reward) on instance `rep`.
    pub fn measure(&self, rep: u64) -> [f64; 3] {
        let f = &self.family;
        let inst = generate(self.class, f.arms, f.tau_max, f.seed, rep).expect("the family was checked");
        let opt = optimum(&inst).expect("the family's state graphs were checked small");
        let (lp, x) = primal(&inst, false);
        let v = match self.series {
            Series::LpBound => lp,
            Series::Planner(p) => {
                let x = if p == Planner::Recharging { primal(&inst, true).1 } else { x };
                let mut rng = StreamId::new(self.key, rep as u32, Role::Policy(self.tag)).fold_in(rep >> 32).stream();
                long_run(&inst, p, &x, f.burn, self.rounds, f.draws, &mut rng)
            }
        };
        [v / opt, v / lp, v]
    }
}

impl Simulation for RatioSim {
    fn metrics(&self) -> Vec<String> {
        METRICS.iter().map(|s| s.to_string()).collect()
    }
    fn horizon(&self) -> u64 {
        self.rounds
    }
    fn grid(&self) -> Option<Vec<u64>> {
        Some(vec![self.rounds])
    }
    fn run_block(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        for (i, tr) in out.iter_mut().enumerate() {
            let v = self.measure(first_rep + i as u64);
            let mut rec = Recorder::new(grid, tr);
            rec.step(self.rounds, || v);
            rec.finish(&v);
        }
    }
}
