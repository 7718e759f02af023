//! The batched fixed-point kernel for bandit policies on Bernoulli arms: the performance core.
//!
//! Every decision is made in integers so that a GPU twin can compute the same bits:
//! - reward: `word < round(p 2^32)` (or always 1 when p = 1), with the Env word of step m
//!   (Gaussian arms: an integer normal deviate from the same word, see [`gaussian`]);
//! - empirical mean in Q4.28: `mq(n, s) = ⌊s 2^28 / n⌋` exactly (Q8.24 for UCB-V);
//! - UCB1 index: `mq + mulhi(A[m], B[n])` with `A[m]` = round(sqrt(α ln m) 2^28) (a host table,
//!   one value per step) and `B[n]` = ⌊min(2^32 ⊘ √n, 4294967040)⌋ evaluated in IEEE f32 (⊘ and
//!   √ correctly rounded, so every platform gets the same integer; relative error < 2^-23,
//!   which is below the Q4.28 mean's resolution for the bonus sizes that matter; f32 instead
//!   of f64 made the AVX-512 kernel 25% faster);
//! - MOSS index: `mq + C[n]`, `C[n]` = round(sqrt(max(ln(T/(K n)), 0) / n) 2^28) (a host table);
//! - UCB-V index (Q8.24): see [`FixedRule::UcbV`];
//! - explore-then-commit: round-robin for m K steps, then the largest reward sum (ties lowest);
//! - ε-greedy: the largest `mq`, or with probability ε_t an arm drawn from the policy's own
//!   counter stream (see [`FixedRule::EpsGreedy`]);
//! - KL-UCB index: a binary search on a 2^-16 grid with exact i64 divergences from host tables
//!   (see [`kl_ucb`]);
//! - argmax by strict `>` from arm 0 (ties to the lowest arm).
//!
//! Implementations that compute exactly the same integers:
//! - [`FixedKernel::run_scalar`], one replication at a time with integer division (the
//!   reference);
//! - the lane kernel, which advances L replications in lock-step over struct-of-arrays state
//!   and evaluates `mq` and `B[n]` in vector float arithmetic instead of gathers. ⌊s 2^28 / n⌋
//!   from an f64 division is exact for n < 2^25: the rounded quotient is within 2^-25 of the
//!   true one, which is at least 1/n away from the next integer. Hence the horizon limit of
//!   2^25. The lane loop's operations are fixed-size array loops that LLVM vectorises; the
//!   kernel is compiled for AVX-512, AVX2 and the baseline target and picked at run time
//!   (function multiversioning), which keeps the default build portable;
//! - `ifma`, hand-written AVX-512 IFMA intrinsics for UCB1 with K ≤ 16 and T < 2^14.
//!
//! All `unsafe` of this kernel family lives in this module and its child `ifma`. Miri cannot
//! run them here: it needs a nightly toolchain, which this build environment cannot fetch;
//! every lane implementation is instead tested bit for bit against the scalar reference.

// Lane loops index several arrays with one counter on purpose: that is the shape LLVM vectorises.
#![allow(clippy::needless_range_loop)]

pub mod gaussian;
#[cfg(feature = "gpu")]
pub mod gpu;
#[cfg(target_arch = "x86_64")]
mod ifma;
mod isa;
pub mod kl_ucb;
mod lanes;
mod rules;
mod scalar;
pub mod thompson;

pub use rules::{FixedRule, eps_threshold, mean_int, mean_q_int, ucb1_b, ucbv_r, ucbv_sd};

use crate::kernels::{Isa, KernelChoice};
use isa::dispatch;
use lanes::{V, philox_lanes};
use rules::{EpsRule, EtcRule, Gauss, IndexRule, KlUcbRule, MossRule, Q, Ucb1Rule, UcbVRule, mean_f64, mulhi};

use crate::engine::Trace;

use crate::settings::bandit::arms::Arm;

/// Host tables and instance data of one (instance, horizon, rule).
#[derive(Clone, Debug)]
pub struct FixedKernel {
    pub k: usize,
    pub horizon: u64,
    pub rule: FixedRule,
    key: [u32; 2],
    thr: Vec<u32>,
    full: Vec<u32>,
    a: Vec<u32>,
    /// UCB-V's second per-step table.
    a2: Vec<u32>,
    b: Vec<u32>,
    /// KL-UCB's tables.
    kl: Option<kl_ucb::KlTables>,
    /// Gaussian arms' constants (None: Bernoulli arms).
    gauss: Option<gaussian::GaussArms>,
    gaps: Vec<f64>,
    optimal: Vec<bool>,
    mu_star: f64,
}

/// The largest α the Q4.28 UCB1 index supports at horizon T: mean (≤ 1) plus bonus
/// (≤ sqrt(α ln T)) must stay below 16, so α ln T < 225.
pub fn max_fixed_alpha(horizon: u64) -> f64 {
    225.0 / (horizon.max(2) as f64).ln()
}

/// Why an instance cannot run on the fixed-point kernel (the rule-specific ranges are
/// [`fixed_rule_support`]'s).
pub fn fixed_support(arms: &[Arm], horizon: u64) -> Result<(), String> {
    if !arms.iter().all(|a| matches!(a, Arm::Bernoulli { .. }))
        && !arms.iter().all(|a| matches!(a, Arm::Gaussian { .. }))
    {
        return Err("fixed-point arithmetic needs all-Bernoulli or all-Gaussian arms".into());
    }
    if horizon >= 1 << 25 {
        return Err("fixed-point arithmetic needs horizon < 2^25 (exactness of the lane kernel's mean)".into());
    }
    Ok(())
}

/// Why a rule cannot run on the fixed-point kernel with these arms and horizon, beyond
/// [`fixed_support`]: on Gaussian arms, the rules that have a Gaussian fixed-point definition
/// and the Q12.20 ranges of [`gaussian::gaussian_support`].
pub fn fixed_rule_support(arms: &[Arm], horizon: u64, rule: FixedRule) -> Result<(), String> {
    if let FixedRule::Thompson { sigma, .. } = rule {
        return thompson::thompson_support(arms, horizon, sigma);
    }
    if !matches!(arms.first(), Some(Arm::Gaussian { .. })) {
        return Ok(());
    }
    let lt = (horizon.max(2) as f64).ln();
    let bonus = match rule {
        FixedRule::Ucb1 { alpha } => (alpha * lt).sqrt(),
        FixedRule::Moss => (horizon as f64 / arms.len() as f64).ln().max(0.0).sqrt(),
        FixedRule::Etc { .. } | FixedRule::EpsGreedy { .. } | FixedRule::Thompson { .. } => 0.0,
        FixedRule::UcbV { .. } | FixedRule::KlUcb { .. } => {
            return Err("on Gaussian arms the fixed-point kernel runs UCB1, MOSS, explore-then-commit and ε-greedy (UCB-V and KL-UCB are defined here for Bernoulli arms)".into());
        }
    };
    gaussian::gaussian_support(arms, horizon, bonus)
}

impl FixedKernel {
    /// Builds the tables. The caller has checked [`fixed_support`] and the rule's overflow bound
    /// (UCB1: α ln T < 225, see [`max_fixed_alpha`]; UCB-V: 1 + sqrt(2ζ ln T)/2 + 3cbζ ln T < 256),
    /// as spec validation does; outside them the index saturates or wraps (the same in every
    /// implementation, but no longer the intended rule).
    pub fn new(arms: &[Arm], horizon: u64, rule: FixedRule, key: [u32; 2]) -> FixedKernel {
        let k = arms.len();
        let means: Vec<f64> = arms.iter().map(Arm::mean).collect();
        let mu_star = means.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let mut thr = Vec::with_capacity(k);
        let mut full = Vec::with_capacity(k);
        let gauss = gaussian::GaussArms::new(arms);
        for &p in &means {
            // thresholds only mean something for Bernoulli arms
            let t = if gauss.is_some() { 0 } else { Arm::bernoulli_threshold(p) };
            thr.push(t.min(u32::MAX as u64) as u32 * (t < 1 << 32) as u32);
            full.push((t >= 1 << 32) as u32);
        }
        let scale = (1u64 << if gauss.is_some() { gaussian::GQ } else { Q }) as f64;
        let tn = horizon as usize + 1;
        // Only the tables a rule reads are built: A[m] for UCB1, C[n] for MOSS (UCB1's B[n] is
        // computed, not looked up).
        let mut a2 = Vec::new();
        let (a, b): (Vec<u32>, Vec<u32>) = match rule {
            FixedRule::Ucb1 { alpha } => {
                let a = (0..tn)
                    .map(|m| if m < 2 { 0 } else { ((alpha * (m as f64).ln()).sqrt() * scale).round() as u32 })
                    .collect();
                (a, Vec::new())
            }
            FixedRule::UcbV { zeta, c, b } => {
                let s24 = (1u64 << 24) as f64;
                let ln = |m: usize| if m < 2 { 0.0 } else { (m as f64).ln() };
                a2 = (0..tn).map(|m| (3.0 * c * b * zeta * ln(m) * s24).round() as u32).collect();
                ((0..tn).map(|m| ((2.0 * zeta * ln(m)).sqrt() * s24).round() as u32).collect(), Vec::new())
            }
            FixedRule::Etc { .. } | FixedRule::EpsGreedy { .. } | FixedRule::KlUcb { .. } => (Vec::new(), Vec::new()),
            // W[n] = ucb1_b(n + 1), n = 0 ..= T
            FixedRule::Thompson { .. } => (Vec::new(), thompson::w_table(horizon)),
            FixedRule::Moss => {
                let b = (0..tn)
                    .map(|n| {
                        if n == 0 {
                            return 0;
                        }
                        let l = (horizon as f64 / (k as f64 * n as f64)).ln().max(0.0);
                        ((l / n as f64).sqrt() * scale).round() as u32
                    })
                    .collect();
                (Vec::new(), b)
            }
        };
        FixedKernel {
            k,
            horizon,
            rule,
            key,
            thr,
            full,
            a,
            a2,
            b,
            kl: match rule {
                FixedRule::KlUcb { c } => Some(kl_ucb::KlTables::new(horizon, c)),
                _ => None,
            },
            gauss,
            gaps: means.iter().map(|m| mu_star - m).collect(),
            optimal: means.iter().map(|&m| m == mu_star).collect(),
            mu_star,
        }
    }

    /// The per-n value of the rule after an arm's n-th pull (1 ≤ n ≤ horizon).
    #[inline(always)]
    fn per_n(&self, n: u32) -> u32 {
        match self.rule {
            FixedRule::Ucb1 { .. } => ucb1_b(n),
            FixedRule::UcbV { .. } => ucbv_r(n),
            FixedRule::Moss => self.b[n as usize],
            FixedRule::Etc { .. }
            | FixedRule::EpsGreedy { .. }
            | FixedRule::KlUcb { .. }
            | FixedRule::Thompson { .. } => 0,
        }
    }

    /// Fraction bits of the rule's mean.
    fn q(&self) -> u32 {
        if matches!(self.rule, FixedRule::UcbV { .. }) { UcbVRule::Q } else { 28 }
    }

    /// The index of an arm (mean, per-n value, second value; n pulls, s successes) at step m.
    #[inline(always)]
    fn index(&self, (mq, b, c2): (u32, u32, u32), n: u32, s: u32, m: u64) -> u32 {
        match self.rule {
            FixedRule::KlUcb { .. } => {
                let t = self.kl.as_ref().expect("the KL-UCB rule builds its tables");
                t.index(n, s, t.level(m))
            }
            FixedRule::Ucb1 { .. } => Ucb1Rule::index(mq, b, self.a[m as usize]),
            FixedRule::UcbV { .. } => {
                mq.wrapping_add(mulhi(self.a2[m as usize], b)).wrapping_add(mulhi(self.a[m as usize], c2))
            }
            FixedRule::Moss => MossRule::index(mq, b, 0),
            FixedRule::Etc { .. } | FixedRule::EpsGreedy { .. } => mq,
            FixedRule::Thompson { .. } => unreachable!("Thompson draws are made by its own reference"),
        }
    }

    /// The three bandit metrics after `t` pulls, from pull counts and success counts.
    pub fn record(&self, t: u64, n: &[u32], s: &[u32], out: &mut [f64; 3]) {
        self.record_total(t, n, s.iter().map(|&x| x as u64).sum::<u64>() as f64, out)
    }

    /// The three bandit metrics after `t` pulls, from pull counts and the total reward.
    pub fn record_total(&self, t: u64, n: &[u32], total: f64, out: &mut [f64; 3]) {
        let mut pseudo = 0.0;
        let mut opt = 0u64;
        for k in 0..self.k {
            pseudo += self.gaps[k] * n[k] as f64;
            opt += if self.optimal[k] { n[k] as u64 } else { 0 };
        }
        *out = [pseudo, t as f64 * self.mu_star - total, opt as f64 / t as f64];
    }

    /// Runs a block of replications on the path `choice` names (`Auto`: the fastest lane kernel
    /// this CPU supports). Every path gives the same bits as [`run_scalar`](Self::run_scalar).
    pub fn run_block(&self, choice: KernelChoice, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        match choice {
            KernelChoice::Auto => self.run_block_on(Isa::selected(), first_rep, grid, out),
            KernelChoice::Lanes(isa) => self.run_block_on(isa, first_rep, grid, out),
            KernelChoice::Scalar => self.run_scalar(first_rep, grid, out),
        }
    }

    /// Runs a block on a given lane kernel (one the CPU supports; see [`Isa::available`]).
    /// Instances with more than 64 arms, or with an arm of mean exactly 1 (whose threshold 2^32
    /// does not fit the lanes' 32-bit compare), run on the scalar reference: same bits, slower.
    pub fn run_block_on(&self, isa: Isa, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        // Thompson sampling has no lane kernel: its K draws per step are the cost.
        if self.full.iter().any(|&f| f != 0) || matches!(self.rule, FixedRule::Thompson { .. }) {
            return self.run_scalar(first_rep, grid, out);
        }
        // The IFMA kernel covers UCB1 at short horizons; elsewhere its ISA means the AVX-512 lanes.
        let lane_isa = if isa == Isa::Avx512Ifma { Isa::Avx512 } else { isa };
        macro_rules! pad {
            ($($kp:literal),*) => {
                $( if self.k <= $kp { return match self.rule {
                    FixedRule::Ucb1 { .. } => dispatch::<$kp, Ucb1Rule>(lane_isa, self, first_rep, grid, out),
                    FixedRule::Moss => dispatch::<$kp, MossRule>(lane_isa, self, first_rep, grid, out),
                    FixedRule::UcbV { .. } => dispatch::<$kp, UcbVRule>(lane_isa, self, first_rep, grid, out),
                    FixedRule::Etc { .. } => dispatch::<$kp, EtcRule>(lane_isa, self, first_rep, grid, out),
                    FixedRule::EpsGreedy { .. } => dispatch::<$kp, EpsRule>(lane_isa, self, first_rep, grid, out),
                    FixedRule::KlUcb { .. } => dispatch::<$kp, KlUcbRule>(lane_isa, self, first_rep, grid, out),
                    FixedRule::Thompson { .. } => self.run_scalar(first_rep, grid, out),
                }; } )*
            };
        }
        if self.gauss.is_some() {
            macro_rules! gauss_pad {
                ($($kp:literal),*) => {
                    $( if self.k <= $kp { return match self.rule {
                        FixedRule::Ucb1 { .. } => dispatch::<$kp, Gauss<Ucb1Rule>>(lane_isa, self, first_rep, grid, out),
                        FixedRule::Moss => dispatch::<$kp, Gauss<MossRule>>(lane_isa, self, first_rep, grid, out),
                        FixedRule::Etc { .. } => dispatch::<$kp, Gauss<EtcRule>>(lane_isa, self, first_rep, grid, out),
                        FixedRule::EpsGreedy { .. } => dispatch::<$kp, Gauss<EpsRule>>(lane_isa, self, first_rep, grid, out),
                        // no Gaussian definition (refused by `fixed_rule_support`)
                        FixedRule::UcbV { .. } | FixedRule::KlUcb { .. } | FixedRule::Thompson { .. } => self.run_scalar(first_rep, grid, out),
                    }; } )*
                };
            }
            gauss_pad!(2, 4, 8, 10, 16, 32, 64);
            return self.run_scalar(first_rep, grid, out);
        }
        #[cfg(target_arch = "x86_64")]
        if isa == Isa::Avx512Ifma
            && matches!(self.rule, FixedRule::Ucb1 { .. })
            && self.horizon < ifma::MAX_T
            && self.k <= ifma::MAX_K
        {
            assert!(Isa::available().contains(&isa), "lane kernel {isa:?} is not supported by this CPU");
            macro_rules! ifma_pad {
                ($($kp:literal),*) => {
                    // SAFETY: the CPU has every feature `ifma::run` needs (asserted above), the
                    // rule is UCB1, K ≤ the padded K ≤ 16, T < 2^14, and no arm has mean 1
                    // (checked at the top of this function).
                    $( if self.k <= $kp { return unsafe { ifma::run::<$kp>(self, first_rep, grid, out) }; } )*
                };
            }
            ifma_pad!(2, 4, 8, 10, 16);
        }
        pad!(2, 4, 8, 10, 16, 32, 64);
        self.run_scalar(first_rep, grid, out)
    }

    /// Which lane kernel `run_block` uses on this CPU.
    pub fn isa() -> &'static str {
        Isa::selected().name()
    }
}

#[cfg(test)]
mod tests;
