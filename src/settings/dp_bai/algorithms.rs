//! Fixed-budget best-arm identification algorithms, private and not, on a reward table.
//!
//! **Reward table.** Arm i's j-th pull returns entry x\[i\]\[j\] of a table of independent
//! Bernoulli(μ_i) entries; ε-DP is with respect to that table (neighbours differ in one entry).
//! Every algorithm here consumes each arm's entries in order and never reuses one, and only ever
//! needs block sums. [`SampledRewards`] draws the sum of a block of n fresh entries as one
//! Binomial(n, μ_i) from a stream addressed by (arm, first entry, n): exactly the table's law,
//! at O(1) a block; [`TableRewards`] reads an explicit table (the privacy audit).
//!
//! **Privacy.** Every released statistic is the mean of n fresh entries (sensitivity 1/n for one
//! entry in [0, 1]) plus Laplace noise of scale 1/(ε n) ([`privatise`]): ε-DP for that mean, and
//! since different means use disjoint entries, ε-DP for all of them together (parallel
//! composition); the pulls and the answer are functions of released means only
//! (post-processing). ε = ∞ adds no noise and gives the non-private algorithm.
//!
//! Our readings, where the paper text was not available (documented here and in the README):
//! DP-BAI runs M = max(1, ⌈log₂ d⌉) phases of ⌊T/M⌋ pulls and keeps ⌈d/2^p⌉ arms after phase p
//! (one after the last), as OD-LinBAI does; OD-LinBAI rounds its design by largest remainders
//! to exactly ⌊T/R⌋ pulls a phase instead of the ceilings and the slack of its budget formula.

use nalgebra::{DMatrix, DVector};
use rand_distr::{Binomial, Distribution};

use super::max_det::{coefficients, max_det};
use super::model::LinearBai;
use crate::linear::{g_optimal, round_allocation, span_basis};
use crate::rng::{Philox, Role, StreamId, mix64};

/// An algorithm with its privacy level (ε = ∞: non-private).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Algorithm {
    /// DP-BAI (Chen, Karthik, Chee & Tan 2024, Algorithm 1): phased elimination that samples a
    /// Max-Det collection and infers the other arms' means from it.
    DpBai { epsilon: f64 },
    /// OD-LinBAI (Yang & Tan 2022) with G-optimal designs; with a finite ε, each pulled arm's
    /// mean is privatised before least squares (the paper's DP-OD-LinBAI baseline).
    OdLinBai { epsilon: f64 },
    /// Sequential Halving (Karnin, Koren & Somekh 2013), fresh samples every round.
    SequentialHalving { epsilon: f64 },
    /// ⌊T/K⌋ pulls of every arm, then the best (privatised) mean.
    Uniform { epsilon: f64 },
    /// Successive Rejects (Audibert & Bubeck 2010) whose phase k estimates from that phase's
    /// fresh samples only, so that every released mean has its own entries (DP successive
    /// elimination).
    SuccessiveRejects { epsilon: f64 },
}

impl Algorithm {
    pub fn epsilon(&self) -> f64 {
        match *self {
            Algorithm::DpBai { epsilon }
            | Algorithm::OdLinBai { epsilon }
            | Algorithm::SequentialHalving { epsilon }
            | Algorithm::Uniform { epsilon }
            | Algorithm::SuccessiveRejects { epsilon } => epsilon,
        }
    }

    /// A budget from which on (every larger one included) every sampled arm gets a pull in
    /// every phase.
    pub fn min_budget(&self, inst: &LinearBai) -> u64 {
        let (k, d) = (inst.k() as u64, inst.dim() as u64);
        match self {
            Algorithm::DpBai { .. } | Algorithm::OdLinBai { .. } => k.max(phases(d as usize) as u64 * d),
            Algorithm::SequentialHalving { .. } => k * (k as f64).log2().ceil().max(1.0) as u64,
            Algorithm::Uniform { .. } => k,
            // n_k − n_{k−1} ≥ a/((K+1−k)(K+2−k)) rounded, a = (T − K)/loḡK, is ≥ 1 for every
            // k ≥ 2 once a ≥ K(K − 1) (and n_1 ≥ 1 once a > 0). The ceilings make the smallest
            // working T non-monotone, so this sufficient, monotone bound is the minimum.
            Algorithm::SuccessiveRejects { .. } => k + (logbar(k as usize) * (k * (k - 1)) as f64).ceil() as u64,
        }
    }
}

/// Phases of the halving schedules: max(1, ⌈log₂ d⌉).
pub fn phases(d: usize) -> usize {
    (d as f64).log2().ceil().max(1.0) as usize
}

/// Access to the reward table: the sum of arm i's next n entries.
pub trait Rewards {
    fn pull(&mut self, arm: usize, n: u64) -> f64;
}

/// The table drawn block by block (see the module comment).
pub struct SampledRewards<'a> {
    means: &'a [f64],
    id: StreamId,
    used: Vec<u64>,
}

impl<'a> SampledRewards<'a> {
    pub fn new(means: &'a [f64], key: [u32; 2], rep: u32) -> SampledRewards<'a> {
        SampledRewards { means, id: StreamId::new(key, rep, Role::Env), used: vec![0; means.len()] }
    }
}

impl Rewards for SampledRewards<'_> {
    fn pull(&mut self, arm: usize, n: u64) -> f64 {
        let h = mix64(arm as u64 ^ mix64(self.used[arm] ^ mix64(n)));
        self.used[arm] += n;
        let id = self.id.fold_in(h);
        match Binomial::new(n, self.means[arm]) {
            Ok(b) => b.sample(&mut id.stream()) as f64,
            Err(_) => f64::NAN,
        }
    }
}

/// An explicit table; records the transcript of pulls (arm, n) in order.
pub struct TableRewards<'a> {
    rows: &'a [Vec<f64>],
    used: Vec<usize>,
    pub transcript: Vec<(usize, u64)>,
}

impl<'a> TableRewards<'a> {
    pub fn new(rows: &'a [Vec<f64>]) -> TableRewards<'a> {
        TableRewards { rows, used: vec![0; rows.len()], transcript: Vec::new() }
    }
}

impl Rewards for TableRewards<'_> {
    fn pull(&mut self, arm: usize, n: u64) -> f64 {
        let j = self.used[arm];
        self.used[arm] += n as usize;
        self.transcript.push((arm, n));
        self.rows[arm][j..j + n as usize].iter().sum()
    }
}

/// Laplace noise from a stream of its own (`Role::Privacy`).
pub struct Noise {
    rng: Philox,
}

impl Noise {
    pub fn new(key: [u32; 2], rep: u32, tag: u32) -> Noise {
        Noise { rng: StreamId::new(key, rep, Role::Privacy(tag)).stream() }
    }

    /// Lap(b) by inversion; b = 0 draws nothing and returns 0.
    pub fn laplace(&mut self, b: f64) -> f64 {
        if b == 0.0 {
            return 0.0;
        }
        let u = self.rng.open01() - 0.5;
        -b * u.signum() * (1.0 - 2.0 * u.abs()).ln()
    }
}

/// The Laplace scale that makes the mean of n entries in [0, 1] ε-DP: sensitivity 1/n over ε.
pub fn noise_scale(epsilon: f64, n: u64) -> f64 {
    if epsilon.is_infinite() { 0.0 } else { 1.0 / (epsilon * n as f64) }
}

/// The privatised mean of a block: sum / n + Lap(1/(ε n)).
pub fn privatise(sum: f64, n: u64, epsilon: f64, noise: &mut Noise) -> f64 {
    // validated budgets give every block a pull (`Algorithm::min_budget`)
    debug_assert!(n > 0, "a block of 0 pulls");
    sum / n as f64 + noise.laplace(noise_scale(epsilon, n))
}

/// The `keep` arms of `active` with the largest estimates, ties to the lower arm.
fn top(active: &[usize], est: &[f64], keep: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..active.len()).collect();
    order.sort_by(|&a, &b| est[b].total_cmp(&est[a]).then(active[a].cmp(&active[b])));
    let mut out: Vec<usize> = order[..keep.min(active.len())].iter().map(|&i| active[i]).collect();
    out.sort_unstable();
    out
}

/// Arms kept after phase p of M by the halving schedules on dimension d.
fn kept(d: usize, p: usize, m: usize) -> usize {
    if p == m { 1 } else { d.div_ceil(1 << p) }
}

/// The active arms' features in an orthonormal basis of their span (rank × s).
fn projected(inst: &LinearBai, active: &[usize]) -> DMatrix<f64> {
    let v = inst.matrix(active);
    let (_, u) = span_basis(&v);
    u.transpose() * v
}

/// An instance with what its first phase needs precomputed: the first phase always sees every
/// arm, so its projection, Max-Det collection, coefficients and G-optimal design are the same
/// in every replication.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub inst: LinearBai,
    x_all: DMatrix<f64>,
    basis_all: Vec<usize>,
    coef_all: DMatrix<f64>,
    design_all: Vec<f64>,
}

impl Prepared {
    pub fn new(inst: LinearBai) -> Prepared {
        let all: Vec<usize> = (0..inst.k()).collect();
        let x_all = projected(&inst, &all);
        let basis_all = if x_all.ncols() > x_all.nrows() { max_det(&x_all) } else { (0..x_all.ncols()).collect() };
        let coef_all = coefficients(&x_all, &basis_all);
        let design_all = g_optimal(&x_all);
        Prepared { inst, x_all, basis_all, coef_all, design_all }
    }

    fn first(&self, active: &[usize]) -> bool {
        active.len() == self.inst.k()
    }
}

/// Runs `algo` with budget T; returns the recommended arm.
pub fn run(prep: &Prepared, algo: &Algorithm, budget: u64, rw: &mut dyn Rewards, noise: &mut Noise) -> usize {
    let inst = &prep.inst;
    match *algo {
        Algorithm::DpBai { epsilon } => dp_bai(prep, epsilon, budget, rw, noise),
        Algorithm::OdLinBai { epsilon } => od_linbai(prep, epsilon, budget, rw, noise),
        Algorithm::SequentialHalving { epsilon } => sequential_halving(inst.k(), epsilon, budget, rw, noise),
        Algorithm::Uniform { epsilon } => {
            let k = inst.k();
            let n = budget / k as u64;
            let est: Vec<f64> = (0..k).map(|i| privatise(rw.pull(i, n), n, epsilon, noise)).collect();
            top(&(0..k).collect::<Vec<_>>(), &est, 1)[0]
        }
        Algorithm::SuccessiveRejects { epsilon } => successive_rejects(inst.k(), epsilon, budget, rw, noise),
    }
}

/// DP-BAI (Algorithm 1 of Chen et al. 2024, our reading of its schedule; see the module
/// comment). Phase p: if the s_p active arms span a d_p < s_p dimensional space, pull each arm
/// of their Max-Det collection ⌊T/(M d_p)⌋ times, privatise those means and give every active
/// arm the combination Σ_b c_b μ̃_b of its coordinates on the collection (|c_b| ≤ 1); otherwise
/// pull every active arm ⌊T/(M s_p)⌋ times and privatise each mean. Keep the best ⌈d/2^p⌉.
pub fn dp_bai(prep: &Prepared, epsilon: f64, budget: u64, rw: &mut dyn Rewards, noise: &mut Noise) -> usize {
    let inst = &prep.inst;
    let d = inst.dim();
    let m = phases(d);
    let per_phase = budget / m as u64;
    let mut active: Vec<usize> = (0..inst.k()).collect();
    for p in 1..=m {
        if active.len() == 1 {
            break;
        }
        let first = prep.first(&active);
        // the first phase borrows the precomputed pieces; later phases compute their own
        let later;
        let x = if first {
            &prep.x_all
        } else {
            later = projected(inst, &active);
            &later
        };
        let (dp, s) = (x.nrows(), x.ncols());
        let est: Vec<f64> = if s > dp {
            let later_basis;
            let basis = if first {
                &prep.basis_all
            } else {
                later_basis = max_det(x);
                &later_basis
            };
            let n = per_phase / dp as u64;
            let tilde: Vec<f64> = basis.iter().map(|&j| privatise(rw.pull(active[j], n), n, epsilon, noise)).collect();
            let later_c;
            let c = if first {
                &prep.coef_all
            } else {
                later_c = coefficients(x, basis);
                &later_c
            };
            (0..s).map(|j| (0..dp).map(|b| c[(b, j)] * tilde[b]).sum()).collect()
        } else {
            let n = per_phase / s as u64;
            active.iter().map(|&i| privatise(rw.pull(i, n), n, epsilon, noise)).collect()
        };
        active = top(&active, &est, kept(d, p, m));
    }
    active[0]
}

/// OD-LinBAI (Yang & Tan 2022, Algorithm 1) with the deviation stated in the module comment;
/// a finite ε privatises each pulled arm's mean before least squares (DP-OD-LinBAI).
pub fn od_linbai(prep: &Prepared, epsilon: f64, budget: u64, rw: &mut dyn Rewards, noise: &mut Noise) -> usize {
    let inst = &prep.inst;
    let d = inst.dim();
    let r_max = phases(d);
    let m = budget / r_max as u64;
    let mut active: Vec<usize> = (0..inst.k()).collect();
    for r in 1..=r_max {
        if active.len() == 1 {
            break;
        }
        let first = prep.first(&active);
        let later;
        let x = if first {
            &prep.x_all
        } else {
            later = projected(inst, &active);
            &later
        };
        let (dr, s) = (x.nrows(), x.ncols());
        let later_design;
        let design = if first {
            &prep.design_all
        } else {
            later_design = g_optimal(x);
            &later_design
        };
        let alloc = round_allocation(design, m);
        let mut v = DMatrix::zeros(dr, dr);
        let mut rhs = DVector::zeros(dr);
        for (j, &n) in alloc.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let mean = privatise(rw.pull(active[j], n), n, epsilon, noise);
            v += x.column(j) * x.column(j).transpose() * n as f64;
            rhs += x.column(j) * (mean * n as f64);
        }
        let theta = v.pseudo_inverse(1e-12).map(|p| p * rhs).unwrap_or_else(|_| DVector::zeros(dr));
        let est: Vec<f64> = (0..s).map(|j| x.column(j).dot(&theta)).collect();
        active = top(&active, &est, kept(d, r, r_max));
    }
    active[0]
}

/// Sequential Halving: ⌈log₂ K⌉ rounds of ⌊T/(|S| ⌈log₂ K⌉)⌋ fresh pulls per surviving arm.
pub fn sequential_halving(k: usize, epsilon: f64, budget: u64, rw: &mut dyn Rewards, noise: &mut Noise) -> usize {
    let rounds = phases(k);
    let mut active: Vec<usize> = (0..k).collect();
    for _ in 0..rounds {
        if active.len() == 1 {
            break;
        }
        let n = budget / (active.len() * rounds) as u64;
        let est: Vec<f64> = active.iter().map(|&i| privatise(rw.pull(i, n), n, epsilon, noise)).collect();
        active = top(&active, &est, active.len().div_ceil(2));
    }
    active[0]
}

/// loḡK = ½ + Σ_{i=2}^K 1/i.
fn logbar(k: usize) -> f64 {
    0.5 + (2..=k).map(|i| 1.0 / i as f64).sum::<f64>()
}

/// Successive Rejects' fresh pulls per arm in phases 1 … K−1: n_k − n_{k−1} with
/// n_k = ⌈(T − K) / (loḡK (K + 1 − k))⌉ and loḡK = ½ + Σ_{i=2}^K 1/i.
pub fn sr_increments(k: usize, budget: u64) -> Vec<u64> {
    let logbar = logbar(k);
    let nk = |j: usize| {
        if j == 0 {
            0
        } else {
            ((budget.saturating_sub(k as u64)) as f64 / (logbar * (k + 1 - j) as f64)).ceil() as u64
        }
    };
    (1..k).map(|j| nk(j) - nk(j - 1)).collect()
}

/// Successive Rejects on phase-fresh samples: phase k pulls each surviving arm n_k − n_{k−1}
/// times, privatises those means, and rejects the lowest (ties: the higher arm).
pub fn successive_rejects(k: usize, epsilon: f64, budget: u64, rw: &mut dyn Rewards, noise: &mut Noise) -> usize {
    let mut active: Vec<usize> = (0..k).collect();
    for n in sr_increments(k, budget) {
        let est: Vec<f64> = active.iter().map(|&i| privatise(rw.pull(i, n), n, epsilon, noise)).collect();
        active = top(&active, &est, active.len() - 1);
    }
    active[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laplace_has_the_calibrated_scale() {
        // Lap(b): mean 0, E|X| = b, Var = 2b²; b = 1/(ε n) = 0.05 for ε = 2, n = 10
        let mut z = Noise::new([1, 2], 3, 4);
        let b = noise_scale(2.0, 10);
        assert_eq!(b, 0.05);
        let n = 400_000;
        let xs: Vec<f64> = (0..n).map(|_| privatise(7.0, 10, 2.0, &mut z) - 0.7).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let abs = xs.iter().map(|x| x.abs()).sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| x * x).sum::<f64>() / n as f64;
        // standard errors: b/√n = 7.9e-5 for the mean, b/√n for E|X|, 2b²·√(5/n) = 1.8e-5 for Var
        assert!(mean.abs() < 5.0 * b / (n as f64).sqrt(), "{mean}");
        assert!((abs - b).abs() < 5.0 * b / (n as f64).sqrt(), "{abs}");
        assert!((var - 2.0 * b * b).abs() < 5.0 * 2.0 * b * b * (5.0 / n as f64).sqrt(), "{var}");
        assert_eq!(noise_scale(f64::INFINITY, 10), 0.0);
    }

    #[test]
    fn budgets_are_respected() {
        let inst = LinearBai::od_linbai(12, 0.3, 1.0, 2).unwrap();
        let prep = Prepared::new(inst.clone());
        for algo in [
            Algorithm::DpBai { epsilon: 1.0 },
            Algorithm::OdLinBai { epsilon: 1.0 },
            Algorithm::SequentialHalving { epsilon: 1.0 },
            Algorithm::Uniform { epsilon: f64::INFINITY },
            Algorithm::SuccessiveRejects { epsilon: 2.0 },
        ] {
            let lo = algo.min_budget(&inst);
            for budget in (lo..lo + 300).chain([1234, 5000]) {
                let rows = vec![vec![1.0; 6000]; 12];
                let mut t = TableRewards::new(&rows);
                let mut z = Noise::new([5, 6], 1, 1);
                let i = run(&prep, &algo, budget, &mut t, &mut z);
                let used: u64 = t.transcript.iter().map(|x| x.1).sum();
                assert!(used <= budget && i < 12, "{algo:?} T={budget}: {used}");
                assert!(t.transcript.iter().all(|x| x.1 >= 1), "{algo:?} T={budget}: a block of 0 pulls");
            }
        }
    }

    #[test]
    fn sampled_blocks_are_binomial_with_the_arm_mean() {
        let means = [0.3, 0.3];
        let (mut w, mut v) = (crate::stats::Welford::default(), crate::stats::Welford::default());
        let (mut cross, mut next) = (0.0, 0.0);
        let n = 20_000;
        for rep in 0..n {
            let mut r = SampledRewards::new(&means, [9, 9], rep);
            let (a, b, c) = (r.pull(0, 50) / 50.0, r.pull(0, 50) / 50.0, r.pull(1, 50) / 50.0);
            w.push(a);
            v.push(b);
            next += (a - 0.3) * (b - 0.3);
            cross += (a - 0.3) * (c - 0.3);
        }
        // mean 0.3, sd of a block mean √(0.21/50) = 0.0648
        assert!((w.mean - 0.3).abs() < 5.0 * w.std_err() && (v.mean - 0.3).abs() < 5.0 * v.std_err());
        assert!((w.sd() - (0.21f64 / 50.0).sqrt()).abs() < 0.003, "{}", w.sd());
        // the next block of the same arm, and another arm's block, are uncorrelated: the
        // correlation estimate has sd 1/√n = 0.007
        let var = 0.21 / 50.0;
        assert!((next / n as f64 / var).abs() < 0.035 && (cross / n as f64 / var).abs() < 0.035, "{next} {cross}");
    }
}
