//! Synthetic cascading MDPs: q(s,a) ~ U(0, q_max), r(s,a) ~ U(0,1), every row of p (items and
//! a_⊥) ~ Dirichlet(1), from the project's Philox streams (role `Instance`). Real attraction
//! probabilities are small (click-through rates), which is where variance-aware bonuses matter;
//! q_max = 1 gives the U(0,1) of the paper notes.

use ndarray::{Array2, Array3};
use rand_distr::{Distribution, Gamma};

use super::model::CascadingMdp;
use crate::error::ModelError;
use crate::rng::{Role, StreamId};

pub fn synthetic(
    states: usize,
    items: usize,
    max_list: usize,
    horizon: usize,
    q_max: f64,
    seed: u64,
) -> Result<CascadingMdp, ModelError> {
    if !(q_max > 0.0 && q_max <= 1.0) {
        return Err(crate::error::bad("max_attraction", q_max, "the largest attraction probability drawn", "(0, 1]"));
    }
    let mut rng = StreamId::new(crate::rng::seed_key(seed, 0xca5c), 0, Role::Instance).stream();
    let q = Array2::from_shape_fn((states, items), |_| q_max * rng.open01());
    let r = Array2::from_shape_fn((states, items), |_| rng.open01());
    let g = Gamma::new(1.0, 1.0).expect("valid");
    let mut p = Array3::zeros((states, items + 1, states));
    for s in 0..states {
        for a in 0..=items {
            let mut sum = 0.0;
            for j in 0..states {
                let x: f64 = g.sample(&mut rng);
                p[[s, a, j]] = x;
                sum += x;
            }
            for j in 0..states {
                p[[s, a, j]] /= sum;
            }
        }
    }
    CascadingMdp::new(q, r, p, max_list, horizon)
}
