//! An empirical privacy audit (beyond the paper): on a tiny instance, estimate the output
//! distribution of the whole transcript (every block of pulls, in order, and the answer) for
//! two neighbouring reward tables, and compare the largest log-ratio with ε.
//!
//! Each table is run `samples` times on independent noise streams; transcripts are counted
//! exactly. For every transcript seen, the privacy loss is ln(p̂_x / p̂_y) in both directions;
//! its conservative lower confidence bound uses Wilson intervals at level 1 − α / (2 × number
//! of transcripts) (Bonferroni over outcomes and directions). ε-DP is violated, at that level,
//! when some lower bound exceeds ε.

use std::collections::BTreeMap;

use super::algorithms::{Noise, TableRewards};
use crate::stats::wilson_interval;

/// What an audit found for one neighbouring pair.
#[derive(Clone, Debug)]
pub struct Audit {
    /// Distinct transcripts observed.
    pub outcomes: usize,
    /// The largest point estimate of the privacy loss over transcripts seen under both tables.
    pub max_loss: f64,
    /// The largest lower confidence bound of the loss (a violation when above ε).
    pub max_loss_lower: f64,
}

/// Audits `mechanism` (a run on a table with a noise stream, returning the answer) on tables
/// `x` and `y`, with `samples` runs each, at simultaneous level 1 − `alpha`.
pub fn audit(
    mechanism: impl Fn(&mut TableRewards, &mut Noise) -> usize,
    x: &[Vec<f64>],
    y: &[Vec<f64>],
    samples: u32,
    key: [u32; 2],
    alpha: f64,
) -> Audit {
    type Outcome = (Vec<(usize, u64)>, usize);
    let mut counts: BTreeMap<Outcome, [u64; 2]> = BTreeMap::new();
    for (which, table) in [x, y].into_iter().enumerate() {
        for s in 0..samples {
            let mut t = TableRewards::new(table);
            // independent noise for the two tables: rep s under x, s + samples under y
            let mut z = Noise::new(key, s + which as u32 * samples, 0x0a0d);
            let answer = mechanism(&mut t, &mut z);
            counts.entry((t.transcript, answer)).or_default()[which] += 1;
        }
    }
    let n = samples as u64;
    let level = 1.0 - alpha / (2.0 * counts.len().max(1) as f64);
    let (mut max_loss, mut max_lower) = (0.0f64, f64::NEG_INFINITY);
    for c in counts.values() {
        for (a, b) in [(c[0], c[1]), (c[1], c[0])] {
            if a > 0 && b > 0 {
                max_loss = max_loss.max((a as f64 / b as f64).ln());
            }
            let (lo_a, _) = wilson_interval(a, n, level);
            let (_, hi_b) = wilson_interval(b, n, level);
            if lo_a > 0.0 {
                max_lower = max_lower.max((lo_a / hi_b).ln());
            }
        }
    }
    Audit { outcomes: counts.len(), max_loss, max_loss_lower: max_lower }
}
