//! The exact planning optimum of an LSD instance: the best long-run mean reward per round.
//!
//! Given the schedule the joint state evolves deterministically, so the best long-run average
//! from the start state is the maximum mean cycle of the joint state graph reachable from it
//! (vertices: joint states; an edge per arm, weighted by that pull's mean reward), explored after
//! compressing each arm's counts to where its payoffs still change ([`LsdInstance::caps`]). It is
//! computed by Howard's policy iteration for mean payoff ([`howard`]); Karp's algorithm (1978,
//! O(V·E), graphs of at most [`MAX_STATES`] states) and enumeration of periodic schedules
//! ([`brute_force`], tiny instances) are its independent checks.

use std::collections::HashMap;

use super::model::{ArmState, LsdInstance};
use crate::error::{ModelError, bad};

/// Reachable joint states Karp's algorithm accepts (its table has V·(V+1) entries).
pub const MAX_STATES: usize = 4000;

/// The reachable joint state graph from the start: states, and per state and arm the successor
/// and the mean reward.
#[derive(Debug)]
pub struct StateGraph {
    pub states: Vec<Vec<ArmState>>,
    /// `next[v * k + j]`: the state after pulling arm j in state v.
    pub next: Vec<usize>,
    pub reward: Vec<f64>,
    pub arms: usize,
}

impl StateGraph {
    /// Explores from the start state (counts compressed by `inst.caps()`), refusing graphs of
    /// more than `limit` states.
    pub fn build(inst: &LsdInstance, limit: usize) -> Result<StateGraph, ModelError> {
        let caps = inst.caps();
        let k = inst.arms();
        let clamp = |s: &[ArmState]| -> Vec<ArmState> {
            s.iter()
                .zip(&caps)
                .map(|(a, &(ca, ci))| ArmState { active: a.active, n: a.n.min(if a.active { ca } else { ci }) })
                .collect()
        };
        let start = clamp(&inst.start);
        let mut index: HashMap<Vec<ArmState>, usize> = HashMap::new();
        let mut states = vec![start.clone()];
        index.insert(start, 0);
        let (mut next, mut reward) = (Vec::new(), Vec::new());
        let mut v = 0;
        while v < states.len() {
            for j in 0..k {
                let mut s = states[v].clone();
                reward.push(inst.mean(j, s[j]));
                inst.step(&mut s, j, &caps);
                let id = match index.get(&s) {
                    Some(&id) => id,
                    None => {
                        if states.len() == limit {
                            return Err(bad(
                                "instance",
                                format!("more than {limit} reachable joint states"),
                                "the exact optimum explores the joint state graph",
                                "fewer arms, or payoffs that change over fewer counts",
                            ));
                        }
                        index.insert(s.clone(), states.len());
                        states.push(s);
                        states.len() - 1
                    }
                };
                next.push(id);
            }
            v += 1;
        }
        Ok(StateGraph { states, next, reward, arms: k })
    }
}

/// The best long-run mean reward per round from the start state: the optimal gain of the start
/// vertex by Howard's policy iteration ([`howard`]), on graphs of up to [`MAX_HOWARD_STATES`]
/// reachable states.
pub fn optimum(inst: &LsdInstance) -> Result<f64, ModelError> {
    let g = StateGraph::build(inst, MAX_HOWARD_STATES)?;
    howard(&g)
}

/// OPT_t, the best expected total reward over t rounds from the start state, at each
/// checkpoint t of `grid` (increasing): finite-horizon dynamic programming on the reachable state
/// graph, V_h(v) = max_j r(v, j) + V_{h−1}(next(v, j)), V_0 = 0 (V·k work per round).
pub fn finite_optimum(g: &StateGraph, grid: &[u64]) -> Vec<f64> {
    let (nv, k) = (g.states.len(), g.arms);
    let (mut v, mut w) = (vec![0.0f64; nv], vec![0.0f64; nv]);
    let mut out = Vec::with_capacity(grid.len());
    let mut h = 0u64;
    for &t in grid {
        while h < t {
            for (s, ws) in w.iter_mut().enumerate() {
                let mut best = f64::NEG_INFINITY;
                for j in 0..k {
                    best = best.max(g.reward[s * k + j] + v[g.next[s * k + j]]);
                }
                *ws = best;
            }
            std::mem::swap(&mut v, &mut w);
            h += 1;
        }
        out.push(v[0]);
    }
    out
}

/// Reachable joint states [`howard`] accepts (its work per iteration is V·k).
pub const MAX_HOWARD_STATES: usize = 2_000_000;

/// Howard's policy iteration for the maximum mean payoff of a deterministic graph (multichain:
/// first improve the gain, then, where no gain improves, the bias). Returns the start vertex's
/// optimal gain, the best mean of a cycle reachable from it. Checked against [`karp`] and
/// [`brute_force`] on small graphs.
pub fn howard(g: &StateGraph) -> Result<f64, ModelError> {
    let (nv, k) = (g.states.len(), g.arms);
    let r = |v: usize, j: usize| g.reward[v * k + j];
    let nx = |v: usize, j: usize| g.next[v * k + j];
    let mut pol: Vec<usize> =
        (0..nv).map(|v| (0..k).max_by(|&a, &b| r(v, a).total_cmp(&r(v, b)).then(b.cmp(&a))).unwrap_or(0)).collect();
    let (mut gain, mut bias) = (vec![0.0; nv], vec![0.0; nv]);
    const EPS: f64 = 1e-12;
    let mut prev = vec![0.0; nv];
    for _ in 0..100_000 {
        // Value determination: the policy's graph is functional; each walk ends on a new cycle
        // (its mean is the gain of every vertex that reaches it) or on a vertex already valued.
        // A cycle's representative keeps its bias of the previous iteration (Cochet-Terrasson,
        // Cohen, Gaubert, McGettrick & Quadrat 1998): with a fresh 0, two cycles of equal gain
        // would be normalised independently and the bias step could switch between their
        // basins forever.
        prev.copy_from_slice(&bias);
        let mut seen = vec![0u8; nv]; // 0 new, 1 on the current walk, 2 valued
        let mut path = Vec::new();
        for s in 0..nv {
            if seen[s] != 0 {
                continue;
            }
            path.clear();
            let mut v = s;
            while seen[v] == 0 {
                seen[v] = 1;
                path.push(v);
                v = nx(v, pol[v]);
            }
            if seen[v] == 1 {
                let at = path.iter().position(|&u| u == v).expect("v is on the walk");
                let cycle = &path[at..];
                let mean = cycle.iter().map(|&u| r(u, pol[u])).sum::<f64>() / cycle.len() as f64;
                gain[cycle[0]] = mean;
                bias[cycle[0]] = prev[cycle[0]];
                for &u in cycle[1..].iter().rev() {
                    let w = nx(u, pol[u]);
                    gain[u] = mean;
                    bias[u] = r(u, pol[u]) - mean + bias[w];
                }
                for &u in cycle {
                    seen[u] = 2;
                }
                path.truncate(at);
            }
            for &u in path.iter().rev() {
                let w = nx(u, pol[u]);
                gain[u] = gain[w];
                bias[u] = r(u, pol[u]) - gain[w] + bias[w];
                seen[u] = 2;
            }
        }
        // Improvement: a successor of larger gain; else, among equal gains, a larger bias.
        let mut changed = false;
        for v in 0..nv {
            let (mut best, mut pick) = (gain[nx(v, pol[v])], pol[v]);
            for j in 0..k {
                if gain[nx(v, j)] > best + EPS {
                    best = gain[nx(v, j)];
                    pick = j;
                }
            }
            if pick != pol[v] {
                pol[v] = pick;
                changed = true;
            }
        }
        if !changed {
            for v in 0..nv {
                let (mut best, mut pick) = (bias[v], pol[v]);
                for j in 0..k {
                    let w = nx(v, j);
                    if (gain[w] - gain[v]).abs() <= EPS {
                        let x = r(v, j) - gain[v] + bias[w];
                        if x > best + EPS {
                            best = x;
                            pick = j;
                        }
                    }
                }
                if pick != pol[v] {
                    pol[v] = pick;
                    changed = true;
                }
            }
        }
        if !changed {
            return Ok(gain[0]);
        }
    }
    Err(bad("instance", format!("{nv} states"), "Howard's policy iteration did not converge", "a smaller instance"))
}

/// Karp's theorem for the maximum: with D_m(v) the largest weight of a walk of exactly m edges
/// from the source to v, the maximum cycle mean reachable from the source is
/// max_v min_{m < V, D_m(v) finite} (D_V(v) − D_m(v)) / (V − m).
pub fn karp(g: &StateGraph) -> f64 {
    let (nv, k) = (g.states.len(), g.arms);
    let neg = f64::NEG_INFINITY;
    let mut d = vec![neg; (nv + 1) * nv];
    d[0] = 0.0;
    for m in 0..nv {
        let (cur, rest) = d.split_at_mut((m + 1) * nv);
        let (cur, nxt) = (&cur[m * nv..], &mut rest[..nv]);
        for (v, &dv) in cur.iter().enumerate() {
            if dv == neg {
                continue;
            }
            for j in 0..k {
                let w = g.next[v * k + j];
                let x = dv + g.reward[v * k + j];
                if x > nxt[w] {
                    nxt[w] = x;
                }
            }
        }
    }
    let mut best = neg;
    for v in 0..nv {
        let dn = d[nv * nv + v];
        if dn == neg {
            continue;
        }
        let mut worst = f64::INFINITY;
        for m in 0..nv {
            let dm = d[m * nv + v];
            if dm != neg {
                worst = worst.min((dn - dm) / (nv - m) as f64);
            }
        }
        best = best.max(worst);
    }
    best
}

/// The best long-run mean reward over every periodic schedule of period at most `max_period`,
/// by enumeration (k^p schedules of each period p): the independent check of [`optimum`] on tiny
/// instances. Each schedule is repeated from the start until its state at the period boundary
/// repeats; its long-run mean is the mean over that loop.
pub fn brute_force(inst: &LsdInstance, max_period: usize) -> f64 {
    let k = inst.arms();
    let caps = inst.full_caps();
    let mut best = f64::NEG_INFINITY;
    for p in 1..=max_period {
        let mut seq = vec![0usize; p];
        loop {
            best = best.max(periodic_mean(inst, &seq, &caps));
            // next sequence in base k
            let mut i = 0;
            while i < p {
                seq[i] += 1;
                if seq[i] < k {
                    break;
                }
                seq[i] = 0;
                i += 1;
            }
            if i == p {
                break;
            }
        }
    }
    best
}

fn periodic_mean(inst: &LsdInstance, seq: &[usize], caps: &[(u16, u16)]) -> f64 {
    let mut s = inst.start.clone();
    let mut seen: HashMap<Vec<ArmState>, (usize, f64)> = HashMap::new();
    let mut total = 0.0;
    for period in 0.. {
        if let Some(&(p0, t0)) = seen.get(&s) {
            return (total - t0) / ((period - p0) * seq.len()) as f64;
        }
        seen.insert(s.clone(), (period, total));
        for &j in seq {
            total += inst.mean(j, s[j]);
            inst.step(&mut s, j, caps);
        }
    }
    unreachable!("the joint state space is finite")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Role, StreamId};

    #[test]
    fn laforgues_instances_have_their_stated_optima() {
        // main: arm 1 every 3 rounds (0.95), arm 2 every 9 (0.96), a 0.15 arm otherwise:
        // (3 · 0.95 + 0.96 + 5 · 0.15) / 9 = 4.56 / 9
        let main = optimum(&LsdInstance::laforgue_main()).unwrap();
        assert!((main - 4.56 / 9.0).abs() < 1e-12, "{main}");
        // supplementary: alternate, (0.95 + 0.05) / 2
        let sup = optimum(&LsdInstance::laforgue_supplementary()).unwrap();
        assert!((sup - 0.5).abs() < 1e-12, "{sup}");
    }

    /// OPT_T by dynamic programming: the notes' totals on Laforgue's instances (1,823.2 over
    /// 3,600 rounds, 1,650 over 3,300), and enumeration of all k^t schedules on tiny instances.
    #[test]
    fn finite_horizon_optimum() {
        let g = StateGraph::build(&LsdInstance::laforgue_main(), MAX_HOWARD_STATES).unwrap();
        let v = finite_optimum(&g, &[1800, 3600]);
        assert!((v[1] - 1823.2).abs() < 0.05, "{v:?}");
        let g = StateGraph::build(&LsdInstance::laforgue_supplementary(), MAX_HOWARD_STATES).unwrap();
        let v = finite_optimum(&g, &[3300]);
        assert!((v[0] - 1650.0).abs() < 1e-6, "{v:?}");
        let mut rng = StreamId::new([8, 10], 0, Role::Instance).stream();
        for case in 0..20 {
            let (k, tau) = (2 + case % 2, 2 + case % 3);
            let mut table = || -> Vec<Vec<f64>> { (0..k).map(|_| (0..tau).map(|_| rng.open01()).collect()).collect() };
            let (act, idle) = (table(), table());
            let inst = LsdInstance::new(act, idle, vec![ArmState { active: false, n: 1 }; k]).unwrap();
            let g = StateGraph::build(&inst, MAX_STATES).unwrap();
            let dp = finite_optimum(&g, &[1, 3, 6]);
            for (c, &t) in [1usize, 3, 6].iter().enumerate() {
                let mut best = f64::NEG_INFINITY;
                for code in 0..k.pow(t as u32) {
                    let mut s = inst.start.clone();
                    let caps = inst.full_caps();
                    let mut total = 0.0;
                    for p in 0..t {
                        let j = code / k.pow(p as u32) % k;
                        total += inst.mean(j, s[j]);
                        inst.step(&mut s, j, &caps);
                    }
                    best = best.max(total);
                }
                assert!((dp[c] - best).abs() < 1e-12, "case {case}, t = {t}: {} vs {best}", dp[c]);
            }
        }
    }

    /// Karp and Howard on the compressed graph equal enumeration of periodic schedules on the full
    /// one, on random tiny instances (k = 2 or 3, τ_max = 2 or 3, any payoffs, any start).
    #[test]
    fn karp_and_howard_equal_brute_force_on_tiny_instances() {
        let mut rng = StreamId::new([5, 6], 0, Role::Instance).stream();
        for case in 0..60 {
            let k = 2 + case % 2;
            let tau: usize = 2 + (case / 2) % 2;
            let table = |rng: &mut crate::rng::Philox| -> Vec<Vec<f64>> {
                (0..k).map(|_| (0..tau).map(|_| (rng.open01() * 10.0).floor() / 10.0).collect()).collect()
            };
            let (act, idle) = (table(&mut rng), table(&mut rng));
            let start = (0..k)
                .map(|i| ArmState { active: (case + i) % 3 == 0, n: 1 + ((case * 7 + i) % tau) as u16 })
                .collect();
            let inst = LsdInstance::new(act, idle, start).unwrap();
            let g = StateGraph::build(&inst, MAX_STATES).unwrap();
            let exact = karp(&g);
            let h = howard(&g).unwrap();
            assert!((h - exact).abs() < 1e-12, "case {case}: Howard {h}, Karp {exact}");
            // a maximum mean cycle is simple, so a period up to the full graph's size suffices
            let full = (2 * tau).pow(k as u32);
            let brute = brute_force(&inst, full.min(if k == 2 { 12 } else { 7 }));
            assert!(brute <= exact + 1e-12, "case {case}: a periodic schedule beats the optimum: {brute} > {exact}");
            assert!(
                (brute - exact).abs() < 1e-12,
                "case {case}: brute force {brute}, Karp {exact} ({} states)",
                g.states.len()
            );
        }
    }

    #[test]
    fn caps_hand_computed_and_the_main_graph_is_small() {
        let inst = LsdInstance::laforgue_supplementary();
        let caps = inst.caps();
        assert_eq!(caps, vec![(1, 1), (1, 1)]);
        let main = LsdInstance::laforgue_main();
        // arm 1 changes up to idle n = 3 (τ = 4), arm 2 up to idle n = 8 (τ = 9)
        assert_eq!(main.caps(), vec![(1, 1), (1, 3), (1, 8), (1, 1), (1, 1)]);
        assert!(StateGraph::build(&main, MAX_STATES).unwrap().states.len() < 200);
    }

    #[test]
    fn bad_tables_are_refused_by_name() {
        let s = vec![ArmState { active: true, n: 1 }];
        let e = LsdInstance::new(vec![vec![0.5, 1.5]], vec![vec![0.5, 0.5]], s.clone()).unwrap_err().to_string();
        assert!(e.contains("arm 0, entry 2") && e.contains("[0, 1]"), "{e}");
        let e = LsdInstance::new(vec![vec![]], vec![vec![]], s.clone()).unwrap_err().to_string();
        assert!(e.contains("tau_max") && e.contains("1 ..= 1000"), "{e}");
        let e = LsdInstance::new(vec![vec![0.5]], vec![vec![0.5]], vec![ArmState { active: false, n: 3 }])
            .unwrap_err()
            .to_string();
        assert!(e.contains("start[0].n"), "{e}");
        let e = LsdInstance::positive_state(&[vec![0.5]]).unwrap_err().to_string();
        assert!(e.contains("C ≥ 2"), "{e}");
    }
}

#[cfg(test)]
mod larger {
    use super::*;
    use crate::rng::{Role, StreamId};

    /// Howard equals Karp on random instances of up to a few thousand reachable states
    /// (k = 3, τ_max = 4 to 6, payoffs changing at every count).
    #[test]
    fn howard_equals_karp_on_larger_graphs() {
        let mut rng = StreamId::new([11, 12], 0, Role::Instance).stream();
        for case in 0..6 {
            let (k, tau) = (3, 4 + case % 3);
            let mut table = || -> Vec<Vec<f64>> { (0..k).map(|_| (0..tau).map(|_| rng.open01()).collect()).collect() };
            let (act, idle) = (table(), table());
            let inst = LsdInstance::new(act, idle, vec![ArmState { active: true, n: 1 }; k]).unwrap();
            let g = StateGraph::build(&inst, MAX_STATES).unwrap();
            let (a, b) = (karp(&g), howard(&g).unwrap());
            assert!((a - b).abs() < 1e-12, "case {case} ({} states): Karp {a}, Howard {b}", g.states.len());
        }
    }
}

#[cfg(test)]
mod equal_gains {
    use super::*;
    use crate::settings::lsd::generate::{Class, generate};

    /// Instances with several optimal cycles of equal mean (random tables with few distinct
    /// values) once sent the bias step into an endless switch between their basins: Howard
    /// converges on every one of the 5,000 instances of `lsd_ratios` and equals Karp (on graphs of
    /// up to 600 states).
    #[test]
    fn howard_converges_with_equal_gain_cycles() {
        for class in
            [Class::Monotone, Class::NonMonotone, Class::RechargingConcave, Class::Recharging, Class::Satiation]
        {
            for index in 0..1000 {
                let inst = generate(class, 3, 4, 7, index).unwrap();
                let g = StateGraph::build(&inst, MAX_STATES).unwrap();
                let h = howard(&g).unwrap_or_else(|e| panic!("{class:?} #{index}: {e}"));
                if g.states.len() <= 600 {
                    let kp = karp(&g);
                    assert!((h - kp).abs() < 1e-9, "{class:?} #{index}: Howard {h}, Karp {kp}");
                }
            }
        }
    }
}
