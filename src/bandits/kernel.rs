//! The batched fixed-point kernel for index policies on Bernoulli arms: the performance core.
//!
//! Every decision is made in integers so that a GPU twin can compute the same bits:
//! - reward: `word < round(p 2^32)` (or always 1 when p = 1), with the Env word of step m;
//! - empirical mean in Q4.28: `mq(n, s) = (s · RN[n]) >> SH[n]` with RN[n] = ⌊(2^(32+e) − 1)/n⌋,
//!   SH[n] = 4 + e, e = ⌊log₂ n⌋ (a reciprocal multiply, within one unit of ⌊s 2^28 / n⌋);
//! - UCB1 index: `mq + mulhi(A[m], B[n])` with A[m] = round(sqrt(α ln m) 2^28) and
//!   B[n] = min(round(2^32 / sqrt n), 2^32 − 1), both tabulated on the host in f64;
//! - MOSS index: `mq + C[n]`, C[n] = round(sqrt(max(ln(T/(K n)), 0) / n) 2^28);
//! - argmax by strict `>` from arm 0 (ties to the lowest arm).
//!
//! Two implementations compute exactly the same integers: [`FixedKernel::run_scalar`], one
//! replication at a time (the reference), and the lane kernel, which advances L replications
//! in lock-step over struct-of-arrays state. The lane kernel is written as one loop over lanes
//! whose body is the whole step, so LLVM vectorises across replications; it is compiled for
//! AVX-512, AVX2 and the baseline target and picked at run time (function multiversioning),
//! which keeps the default build portable. All `unsafe` of this kernel family lives here.

use crate::engine::Trace;
use crate::rng::{philox4x32_10, StreamId, Role};

use super::arms::Arm;

const Q: u32 = 28;

/// Which index the kernel computes. Two rules share the lane kernel through [`IndexRule`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FixedRule {
    Ucb1 { alpha: f64 },
    Moss,
}

/// How a rule turns (mean, per-n table value, per-m table value) into an index.
pub trait IndexRule {
    fn index(mq: u32, b: u32, a: u32) -> u32;
}

pub struct Ucb1Rule;
pub struct MossRule;

impl IndexRule for Ucb1Rule {
    #[inline(always)]
    fn index(mq: u32, b: u32, a: u32) -> u32 {
        mq.wrapping_add(mulhi(a, b))
    }
}

impl IndexRule for MossRule {
    #[inline(always)]
    fn index(mq: u32, b: u32, _a: u32) -> u32 {
        mq.wrapping_add(b)
    }
}

#[inline(always)]
fn mulhi(a: u32, b: u32) -> u32 {
    (((a as u64) * (b as u64)) >> 32) as u32
}

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
    b: Vec<u32>,
    rn: Vec<u32>,
    sh: Vec<u32>,
    gaps: Vec<f64>,
    optimal: Vec<bool>,
    mu_star: f64,
}

/// Why an instance cannot run on the fixed-point kernel.
pub fn fixed_support(arms: &[Arm], horizon: u64) -> Result<(), String> {
    if !arms.iter().all(|a| matches!(a, Arm::Bernoulli { .. })) {
        return Err("fixed-point arithmetic needs Bernoulli arms".into());
    }
    if horizon >= 1 << 31 {
        return Err("fixed-point arithmetic needs horizon < 2^31".into());
    }
    Ok(())
}

impl FixedKernel {
    /// Builds the tables. The caller has checked [`fixed_support`] and `alpha` ∈ (0, 16].
    pub fn new(arms: &[Arm], horizon: u64, rule: FixedRule, key: [u32; 2]) -> FixedKernel {
        let k = arms.len();
        let means: Vec<f64> = arms.iter().map(Arm::mean).collect();
        let mu_star = means.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let mut thr = Vec::with_capacity(k);
        let mut full = Vec::with_capacity(k);
        for &p in &means {
            let t = Arm::bernoulli_threshold(p);
            thr.push(t.min(u32::MAX as u64) as u32 * (t < 1 << 32) as u32);
            full.push((t >= 1 << 32) as u32);
        }
        let scale = (1u64 << Q) as f64;
        let tn = horizon as usize + 1;
        let a: Vec<u32> = (0..tn)
            .map(|m| match rule {
                FixedRule::Ucb1 { alpha } if m >= 2 => ((alpha * (m as f64).ln()).sqrt() * scale).round() as u32,
                _ => 0,
            })
            .collect();
        let mut b = vec![0u32; tn];
        let mut rn = vec![0u32; tn];
        let mut sh = vec![0u32; tn];
        for n in 1..tn {
            b[n] = match rule {
                FixedRule::Ucb1 { .. } => {
                    let x = (4_294_967_296.0 / (n as f64).sqrt()).round();
                    if x >= 4_294_967_295.0 { u32::MAX } else { x as u32 }
                }
                FixedRule::Moss => {
                    let l = (horizon as f64 / (k as f64 * n as f64)).ln().max(0.0);
                    ((l / n as f64).sqrt() * scale).round() as u32
                }
            };
            let e = 63 - (n as u64).leading_zeros();
            rn[n] = (((1u64 << (32 + e)) - 1) / n as u64) as u32;
            sh[n] = 4 + e;
        }
        FixedKernel {
            k,
            horizon,
            rule,
            key,
            thr,
            full,
            a,
            b,
            rn,
            sh,
            gaps: means.iter().map(|m| mu_star - m).collect(),
            optimal: means.iter().map(|&m| m == mu_star).collect(),
            mu_star,
        }
    }

    #[inline(always)]
    fn mean_q(&self, s: u32, n: u32) -> u32 {
        ((s as u64 * self.rn[n as usize] as u64) >> self.sh[n as usize]) as u32
    }

    #[inline(always)]
    fn index(&self, mq: u32, b: u32, m: u64) -> u32 {
        match self.rule {
            FixedRule::Ucb1 { .. } => Ucb1Rule::index(mq, b, self.a[m as usize]),
            FixedRule::Moss => MossRule::index(mq, b, 0),
        }
    }

    /// The three bandit metrics after `t` pulls, from pull counts and reward sums.
    pub fn record(&self, t: u64, n: &[u32], s: &[u32], out: &mut [f64; 3]) {
        let mut pseudo = 0.0;
        let mut opt = 0u64;
        let mut sum = 0u64;
        for k in 0..self.k {
            pseudo += self.gaps[k] * n[k] as f64;
            opt += if self.optimal[k] { n[k] as u64 } else { 0 };
            sum += s[k] as u64;
        }
        *out = [pseudo, t as f64 * self.mu_star - sum as f64, opt as f64 / t as f64];
    }

    fn put(&self, tr: &mut Trace, ncp: usize, c: usize, v: &[f64; 3]) {
        for (m, &x) in v.iter().enumerate() {
            tr.values[m * ncp + c] = x;
        }
    }

    /// The scalar reference: one replication at a time, same integers as the lane kernel.
    pub fn run_scalar(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        let k = self.k;
        for (i, tr) in out.iter_mut().enumerate() {
            let env = StreamId::new(self.key, (first_rep + i as u64) as u32, Role::Env);
            let (mut n, mut s, mut mq, mut bb) = (vec![0u32; k], vec![0u32; k], vec![0u32; k], vec![0u32; k]);
            let mut blk = [0u32; 4];
            let mut c = 0;
            let mut v = [0.0; 3];
            for m in 0..self.horizon {
                if m & 3 == 0 {
                    blk = env.block((m >> 2) as u32);
                }
                let arm = if (m as usize) < k {
                    m as usize
                } else {
                    let mut best = 0;
                    let mut bv = self.index(mq[0], bb[0], m);
                    for j in 1..k {
                        let x = self.index(mq[j], bb[j], m);
                        if x > bv {
                            bv = x;
                            best = j;
                        }
                    }
                    best
                };
                n[arm] += 1;
                s[arm] += (blk[(m & 3) as usize] < self.thr[arm]) as u32 | self.full[arm];
                mq[arm] = self.mean_q(s[arm], n[arm]);
                bb[arm] = self.b[n[arm] as usize];
                if c < grid.len() && grid[c] == m + 1 {
                    self.record(m + 1, &n, &s, &mut v);
                    self.put(tr, grid.len(), c, &v);
                    c += 1;
                }
            }
            tr.finals.copy_from_slice(&v);
        }
    }

    /// Runs a block of replications on the fastest lane kernel this CPU supports. Output is
    /// identical to [`run_scalar`](Self::run_scalar) bit for bit.
    pub fn run_block(&self, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
        macro_rules! pad {
            ($($kp:literal),*) => {
                $( if self.k <= $kp { return match self.rule {
                    FixedRule::Ucb1 { .. } => dispatch::<$kp, Ucb1Rule>(self, first_rep, grid, out),
                    FixedRule::Moss => dispatch::<$kp, MossRule>(self, first_rep, grid, out),
                }; } )*
            };
        }
        pad!(2, 4, 8, 10, 16, 32, 64);
        self.run_scalar(first_rep, grid, out)
    }

    /// Which lane kernel `run_block` uses on this CPU.
    pub fn isa() -> &'static str {
        isa_name()
    }
}

fn isa_name() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512bw") {
            return "avx512";
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return "avx2";
        }
    }
    "portable"
}

fn dispatch<const K: usize, R: IndexRule>(kern: &FixedKernel, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
    #[cfg(target_arch = "x86_64")]
    {
        match isa_name() {
            // SAFETY: the CPU supports the features these functions were compiled for
            // (checked by `is_x86_feature_detected!` in `isa_name`).
            "avx512" => return unsafe { lanes_avx512::<K, R>(kern, first_rep, grid, out) },
            // SAFETY: as above, AVX2 was detected.
            "avx2" => return unsafe { lanes_avx2::<K, R>(kern, first_rep, grid, out) },
            _ => {}
        }
    }
    lanes::<K, 8, R>(kern, first_rep, grid, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512cd,avx2,bmi2,lzcnt,popcnt")]
fn lanes_avx512<const K: usize, R: IndexRule>(kern: &FixedKernel, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
    lanes::<K, 16, R>(kern, first_rep, grid, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,bmi2,lzcnt,popcnt")]
fn lanes_avx2<const K: usize, R: IndexRule>(kern: &FixedKernel, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
    lanes::<K, 8, R>(kern, first_rep, grid, out)
}

/// Struct-of-arrays state of L replications, arms padded to K (padded arms have index 0 and
/// lose every strict comparison against arm 0, so they are never pulled).
struct Lanes<const K: usize, const L: usize> {
    mq: [[u32; L]; K],
    bb: [[u32; L]; K],
    nn: [[u32; L]; K],
    ss: [[u32; L]; K],
}

#[inline(always)]
fn lanes<const K: usize, const L: usize, R: IndexRule>(kern: &FixedKernel, first_rep: u64, grid: &[u64], out: &mut [Trace]) {
    for (g, chunk) in out.chunks_mut(L).enumerate() {
        lane_group::<K, L, R>(kern, first_rep + (g * L) as u64, grid, chunk);
    }
}

#[inline(always)]
fn lane_group<const K: usize, const L: usize, R: IndexRule>(kern: &FixedKernel, r0: u64, grid: &[u64], out: &mut [Trace]) {
    let k = kern.k;
    let t_end = kern.horizon;
    let mut st = Lanes::<K, L> { mq: [[0; L]; K], bb: [[0; L]; K], nn: [[0; L]; K], ss: [[0; L]; K] };
    let mut thr = [0u32; K];
    let mut full = [0u32; K];
    thr[..k].copy_from_slice(&kern.thr);
    full[..k].copy_from_slice(&kern.full);
    let ncp = grid.len();
    let mut c = 0;
    let mut v = [0.0; 3];
    let mut n = vec![0u32; k];
    let mut s = vec![0u32; k];

    // The first K pulls are forced (arm m at step m): done per lane, with any checkpoints in them.
    let init = (k as u64).min(t_end);
    for l in 0..out.len() {
        let env = StreamId::new(kern.key, (r0 + l as u64) as u32, Role::Env);
        let mut cl = 0;
        for m in 0..init {
            let w = env.word(m);
            let a = m as usize;
            st.nn[a][l] = 1;
            st.ss[a][l] = (w < thr[a]) as u32 | full[a];
            st.mq[a][l] = kern.mean_q(st.ss[a][l], 1);
            st.bb[a][l] = kern.b[1];
            if cl < ncp && grid[cl] == m + 1 {
                for j in 0..k {
                    n[j] = st.nn[j][l];
                    s[j] = st.ss[j][l];
                }
                kern.record(m + 1, &n, &s, &mut v);
                kern.put(&mut out[l], ncp, cl, &v);
                cl += 1;
            }
        }
        c = cl;
    }

    let (ta, tb, trn, tsh) = (&kern.a[..], &kern.b[..], &kern.rn[..], &kern.sh[..]);
    let key = kern.key;
    let role = Role::Env.word();
    let mut w = [[0u32; L]; 4];
    let mut m = init;
    while m < t_end {
        let blk = (m >> 2) as u32;
        for l in 0..L {
            let o = philox4x32_10([blk, (r0 + l as u64) as u32, role, 0], key);
            w[0][l] = o[0];
            w[1][l] = o[1];
            w[2][l] = o[2];
            w[3][l] = o[3];
        }
        let stop = ((blk as u64 + 1) * 4).min(t_end);
        while m < stop {
            let a = ta[m as usize];
            let u = &w[(m & 3) as usize];
            for l in 0..L {
                let mut bv = R::index(st.mq[0][l], st.bb[0][l], a);
                let mut bk = 0u32;
                for j in 1..K {
                    let x = R::index(st.mq[j][l], st.bb[j][l], a);
                    let gt = x > bv;
                    bv = if gt { x } else { bv };
                    bk = if gt { j as u32 } else { bk };
                }
                let (mut nk, mut sk, mut th, mut fu) = (0u32, 0u32, 0u32, 0u32);
                for j in 0..K {
                    let hit = bk == j as u32;
                    nk = if hit { st.nn[j][l] } else { nk };
                    sk = if hit { st.ss[j][l] } else { sk };
                    th = if hit { thr[j] } else { th };
                    fu = if hit { full[j] } else { fu };
                }
                let nk = nk + 1;
                let sk = sk + ((u[l] < th) as u32 | fu);
                // SAFETY: nk counts this lane's pulls, so 1 <= nk <= horizon, and every
                // per-n table has horizon + 1 entries (built in `FixedKernel::new`).
                let (bn, rnn, shn) = unsafe {
                    (*tb.get_unchecked(nk as usize), *trn.get_unchecked(nk as usize), *tsh.get_unchecked(nk as usize))
                };
                let mn = ((sk as u64 * rnn as u64) >> shn) as u32;
                for j in 0..K {
                    let hit = bk == j as u32;
                    st.nn[j][l] = if hit { nk } else { st.nn[j][l] };
                    st.ss[j][l] = if hit { sk } else { st.ss[j][l] };
                    st.mq[j][l] = if hit { mn } else { st.mq[j][l] };
                    st.bb[j][l] = if hit { bn } else { st.bb[j][l] };
                }
            }
            m += 1;
            if c < ncp && grid[c] == m {
                for (l, tr) in out.iter_mut().enumerate() {
                    for j in 0..k {
                        n[j] = st.nn[j][l];
                        s[j] = st.ss[j][l];
                    }
                    kern.record(m, &n, &s, &mut v);
                    kern.put(tr, ncp, c, &v);
                }
                c += 1;
            }
        }
    }
    for (l, tr) in out.iter_mut().enumerate() {
        for j in 0..k {
            n[j] = st.nn[j][l];
            s[j] = st.ss[j][l];
        }
        kern.record(t_end, &n, &s, &mut v);
        tr.finals.copy_from_slice(&v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::default_grid;
    use crate::rng::cell_key;

    fn run_both(means: &[f64], t: u64, rule: FixedRule, reps: usize, seed: u64) {
        let arms: Vec<Arm> = means.iter().map(|&p| Arm::Bernoulli { p }).collect();
        let kern = FixedKernel::new(&arms, t, rule, cell_key(seed, 1));
        let grid = default_grid(t);
        let mut a = vec![Trace::new(3, grid.len()); reps];
        let mut b = a.clone();
        kern.run_scalar(5, &grid, &mut a);
        kern.run_block(5, &grid, &mut b);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.values, y.values);
            assert_eq!(x.finals, y.finals);
        }
        // and every portable lane width agrees too
        let mut c = a.clone();
        lanes::<64, 4, Ucb1Rule>(&kern, 5, &grid, &mut c[..0]);
        match rule {
            FixedRule::Ucb1 { .. } => lanes::<64, 4, Ucb1Rule>(&kern, 5, &grid, &mut c),
            FixedRule::Moss => lanes::<64, 4, MossRule>(&kern, 5, &grid, &mut c),
        }
        for (x, y) in a.iter().zip(&c) {
            assert_eq!(x.finals, y.finals);
        }
    }

    #[test]
    fn lanes_equal_scalar_b1() {
        let b1 = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.85];
        run_both(&b1, 2000, FixedRule::Ucb1 { alpha: 2.0 }, 67, 1);
        run_both(&b1, 2000, FixedRule::Moss, 67, 2);
    }

    #[test]
    fn lanes_equal_scalar_odd_shapes() {
        // ties, degenerate arms, K = 2 and K = 37, horizons shorter than K
        run_both(&[0.5, 0.5], 500, FixedRule::Ucb1 { alpha: 2.0 }, 40, 3);
        run_both(&[1.0, 0.0, 0.7], 300, FixedRule::Ucb1 { alpha: 0.5 }, 19, 4);
        let many: Vec<f64> = (0..37).map(|i| (i as f64 * 0.37) % 1.0).collect();
        run_both(&many, 700, FixedRule::Moss, 33, 5);
        run_both(&many, 20, FixedRule::Ucb1 { alpha: 2.0 }, 9, 6);
    }

    #[test]
    fn mean_q_is_within_one_unit_of_exact() {
        let arms = vec![Arm::Bernoulli { p: 0.5 }; 2];
        let kern = FixedKernel::new(&arms, 5000, FixedRule::Ucb1 { alpha: 2.0 }, [0, 0]);
        for n in 1..=5000u32 {
            for s in [0, 1, n / 3, n / 2, n - 1, n] {
                let exact = ((s as u64) << 28) / n as u64;
                let got = kern.mean_q(s, n) as u64;
                assert!(got <= exact && exact - got <= 1, "s={s} n={n}");
            }
        }
    }
}
