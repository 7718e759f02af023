//! Instances from a seed: random Dirichlet MDPs, the uniform-dense MDP of workload B2, RiverSwim
//! and a slippery gridworld. Random draws come from the project's Philox streams (role
//! `Instance`), so an instance depends only on its parameters and seed.

use ndarray::{Array2, Array3};
use rand_distr::{Distribution, Gamma};

use super::model::TabularMdp;
use super::{ModelError, bad};
use crate::rng::{Role, StreamId, mix64};

fn stream(seed: u64, tag: u64) -> crate::rng::Philox {
    let k = mix64(seed ^ mix64(tag));
    StreamId::new([k as u32, (k >> 32) as u32], 0, Role::Instance).stream()
}

fn check_size(states: usize, actions: usize) -> Result<(), ModelError> {
    if states == 0 || states > 1 << 20 {
        return Err(bad("states", states, "the number of states", "1 ..= 2^20"));
    }
    if actions == 0 || actions > 1 << 12 {
        return Err(bad("actions", actions, "the number of actions", "1 ..= 4096"));
    }
    Ok(())
}

/// Transitions P(·|s,a) ~ Dirichlet(α, …, α) over all S next states, rewards r(s,a) ~ U(0,1).
/// Small α gives peaked rows (near-deterministic MDPs), large α near-uniform ones.
pub fn dirichlet(states: usize, actions: usize, alpha: f64, seed: u64) -> Result<TabularMdp, ModelError> {
    check_size(states, actions)?;
    if !(alpha > 0.0 && alpha.is_finite()) {
        return Err(bad("alpha", alpha, "the Dirichlet concentration", "> 0 and finite"));
    }
    let gamma = Gamma::new(alpha, 1.0).map_err(|e| bad("alpha", alpha, e.to_string(), "> 0"))?;
    let mut rng = stream(seed, 0xd1);
    let mut p = Array3::zeros((states, actions, states));
    for s in 0..states {
        for a in 0..actions {
            let mut sum = 0.0;
            for j in 0..states {
                // Gamma draws can underflow to 0 for tiny α; a floor keeps rows normalisable.
                let g: f64 = gamma.sample(&mut rng).max(1e-300);
                p[[s, a, j]] = g;
                sum += g;
            }
            for j in 0..states {
                p[[s, a, j]] /= sum;
            }
        }
    }
    let r = Array2::from_shape_fn((states, actions), |_| rng.open01());
    TabularMdp::dense(p, r)
}

/// The construction of workload B2: entries U(0,1) normalised per row, rewards U(0,1) (from
/// Philox, so not numpy's numbers: load the anchors' arrays with [`super::io`] for those).
pub fn uniform_dense(states: usize, actions: usize, seed: u64) -> Result<TabularMdp, ModelError> {
    check_size(states, actions)?;
    let mut rng = stream(seed, 0xb2);
    let mut p = Array3::zeros((states, actions, states));
    for s in 0..states {
        for a in 0..actions {
            let mut sum = 0.0;
            for j in 0..states {
                let u = rng.open01();
                p[[s, a, j]] = u;
                sum += u;
            }
            for j in 0..states {
                p[[s, a, j]] /= sum;
            }
        }
    }
    let r = Array2::from_shape_fn((states, actions), |_| rng.open01());
    TabularMdp::dense(p, r)
}

/// RiverSwim with n ≥ 2 states (Strehl & Littman 2008, as in Osband et al. 2013): action 0
/// (left) moves left surely; action 1 (right) against the current: at the left bank stay 0.4 /
/// right 0.6, in the middle left 0.05 / stay 0.6 / right 0.35, at the right bank left 0.4 /
/// stay 0.6. Rewards scaled to [0, 1]: 0.005 for left at state 0, 1 for right at state n−1.
pub fn river_swim(n: usize) -> Result<TabularMdp, ModelError> {
    if n < 2 {
        return Err(bad("states", n, "RiverSwim needs two banks", ">= 2"));
    }
    let mut rows = Vec::with_capacity(2 * n);
    for s in 0..n {
        rows.push(vec![(s.saturating_sub(1), 1.0)]);
        rows.push(if s == 0 {
            vec![(0, 0.4), (1, 0.6)]
        } else if s == n - 1 {
            vec![(s - 1, 0.4), (s, 0.6)]
        } else {
            vec![(s - 1, 0.05), (s, 0.6), (s + 1, 0.35)]
        });
    }
    let mut r = Array2::zeros((n, 2));
    r[[0, 0]] = 0.005;
    r[[n - 1, 1]] = 1.0;
    TabularMdp::sparse(n, 2, rows, r)
}

/// A width × height gridworld, state = x + width·y, start (0,0), goal (width−1, height−1).
/// Actions up, down, left, right; with probability `slip` the move is uniform over the four
/// directions instead. Moves into a wall stay. The goal is absorbing and pays 1 per step;
/// every other step pays 0.
pub fn gridworld(width: usize, height: usize, slip: f64) -> Result<TabularMdp, ModelError> {
    if width == 0 || height == 0 || width * height < 2 {
        return Err(bad(
            "width x height",
            format!("{width} x {height}"),
            "a grid with a start and a goal",
            "at least 2 cells",
        ));
    }
    if !(0.0..=1.0).contains(&slip) {
        return Err(bad("slip", slip, "a probability", "[0, 1]"));
    }
    let n = width * height;
    let goal = n - 1;
    let moves: [(i64, i64); 4] = [(0, 1), (0, -1), (-1, 0), (1, 0)];
    let target = |s: usize, d: usize| -> usize {
        let (x, y) = ((s % width) as i64, (s / width) as i64);
        let (nx, ny) = (x + moves[d].0, y + moves[d].1);
        if nx < 0 || ny < 0 || nx >= width as i64 || ny >= height as i64 {
            s
        } else {
            nx as usize + width * ny as usize
        }
    };
    let mut rows = Vec::with_capacity(4 * n);
    for s in 0..n {
        for a in 0..4 {
            if s == goal {
                rows.push(vec![(goal, 1.0)]);
                continue;
            }
            let mut acc: Vec<(usize, f64)> = Vec::new();
            for d in 0..4 {
                let q = if d == a { 1.0 - slip + slip / 4.0 } else { slip / 4.0 };
                if q == 0.0 {
                    continue;
                }
                let t = target(s, d);
                match acc.iter_mut().find(|(j, _)| *j == t) {
                    Some(e) => e.1 += q,
                    None => acc.push((t, q)),
                }
            }
            rows.push(acc);
        }
    }
    let mut r = Array2::zeros((n, 4));
    for a in 0..4 {
        r[[goal, a]] = 1.0;
    }
    TabularMdp::sparse(n, 4, rows, r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdp::TabularPolicy;
    use crate::mdp::planning::{evaluate, policy_iteration};

    #[test]
    fn same_seed_same_instance() {
        assert_eq!(dirichlet(5, 2, 0.3, 7).unwrap(), dirichlet(5, 2, 0.3, 7).unwrap());
        assert_ne!(dirichlet(5, 2, 0.3, 7).unwrap(), dirichlet(5, 2, 0.3, 8).unwrap());
        assert_eq!(uniform_dense(4, 2, 1).unwrap(), uniform_dense(4, 2, 1).unwrap());
    }

    #[test]
    fn river_swim_optimal_policy_swims_right() {
        let m = river_swim(6).unwrap();
        let sol = policy_iteration(&m, 0.95, 100).unwrap();
        assert!(sol.policy.iter().all(|&a| a == 1), "{:?}", sol.policy);
    }

    #[test]
    fn gridworld_values() {
        // No slip: the goal is 3 moves away from the start in a 2x3 grid; V(start) = γ^3/(1−γ).
        let g = gridworld(2, 3, 0.0).unwrap();
        let sol = policy_iteration(&g, 0.9, 100).unwrap();
        assert!((sol.v[0] - 0.9f64.powi(3) / 0.1).abs() < 1e-9, "{}", sol.v[0]);
        let (v, _) = evaluate(&g, 0.9, &TabularPolicy::uniform(6, 4)).unwrap();
        assert!(v[0] < sol.v[0]);
    }

    #[test]
    fn bad_generator_parameters() {
        assert!(dirichlet(3, 2, 0.0, 1).unwrap_err().to_string().contains("alpha = 0"));
        assert!(dirichlet(0, 2, 1.0, 1).unwrap_err().to_string().contains("states = 0"));
        assert!(gridworld(2, 2, 1.5).unwrap_err().to_string().contains("slip = 1.5"));
        assert!(river_swim(1).unwrap_err().to_string().contains("states = 1"));
    }
}
