//! The statistics a claim can be checked with, each turned into a verdict with its tolerance.
//!
//! Intervals are at the run's confidence level. Where a statistic combines several estimates
//! from the same replications (a slope over checkpoints, a ratio of two series on common random
//! numbers) their correlation is unknown from the stored summaries, so the half-width is the
//! worst case over correlations, Σ|w_i|·h_i for a linear combination Σ w_i x_i of estimates with
//! half-widths h_i: conservative, never too narrow. A run with one replication (a deterministic
//! algorithm) has zero-width intervals.

use serde::{Deserialize, Serialize};

use super::run_data::RunData;
use crate::error::{Error, Result};
use crate::results::CurveRow;

/// What the evidence says of a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Holds,
    DoesNotHold,
    /// The interval straddles the claim's boundary at this size.
    Inconclusive,
    /// Nothing to measure (the claim holds by construction, or its evidence is elsewhere).
    NotChecked,
}

impl Verdict {
    pub fn text(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::DoesNotHold => "does not hold",
            Verdict::Inconclusive => "inconclusive at this size",
            Verdict::NotChecked => "not checked",
        }
    }

    /// Several cells' verdicts as one: holds only if every cell holds.
    fn all(vs: &[Verdict]) -> Verdict {
        if vs.contains(&Verdict::DoesNotHold) {
            Verdict::DoesNotHold
        } else if vs.iter().all(|&v| v == Verdict::Holds) {
            Verdict::Holds
        } else {
            Verdict::Inconclusive
        }
    }
}

/// Which side of a target an exponent must lie on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Within ± tolerance of the target.
    #[default]
    Both,
    /// At most target + tolerance (an upper bound's rate: faster decay or slower growth is fine).
    AtMost,
}

/// A claim's statistic (the `check` table of a registry entry; `kind` names the variant).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    /// `lower`'s metric is below `higher`'s at the last checkpoint, in every listed cell (all
    /// cells by default): the paired difference over replications (common random numbers, from
    /// `paired.csv`) where one of the two is the cell's first series, otherwise disjoint
    /// intervals. With `every_checkpoint`, at every checkpoint (disjoint intervals).
    Ordering {
        metric: String,
        lower: String,
        higher: String,
        cells: Option<Vec<String>>,
        #[serde(default)]
        every_checkpoint: bool,
    },
    /// mean(numerator) / mean(denominator) at the last checkpoint lies in [min, max].
    Ratio { metric: String, numerator: String, denominator: String, cell: String, min: f64, max: f64 },
    /// As `Ratio`, on common random numbers (one of the two must be the cell's first series, so
    /// that `paired.csv` holds their difference D): the ratio is 1 + D/mean(denominator), its
    /// interval the paired difference's interval over the denominator's — far narrower than
    /// `Ratio`'s where replications differ much (random instances) but move together.
    PairedRatio { metric: String, numerator: String, denominator: String, cell: String, min: f64, max: f64 },
    /// The least-squares slope of ln(mean) against ln(t) over the checkpoints in [from, to] is
    /// `expected` ± `tolerance` (or at most `expected` + `tolerance`).
    Exponent {
        metric: String,
        series: String,
        cell: String,
        from: u64,
        to: u64,
        expected: f64,
        tolerance: f64,
        #[serde(default)]
        side: Side,
    },
    /// As `Exponent`, across series that differ in one parameter x: the slope of ln(final mean)
    /// against ln(x), points given as [x, series].
    SeriesExponent { metric: String, cell: String, points: Vec<(f64, String)>, expected: f64, tolerance: f64 },
    /// ln(mean) is linear in t, not in ln t, over [from, to]: the residual sum of squares of the
    /// fit against ln t is at least `min_ratio` times that of the fit against t (holds), or at
    /// most that of the fit against t (does not hold).
    LogLinear { metric: String, series: String, cell: String, from: u64, to: u64, min_ratio: f64 },
    /// The metric falls (or, with `decreasing = false`, rises) along the checkpoints: the last
    /// interval lies beyond the first and no step goes the other way with disjoint intervals.
    Monotone { metric: String, series: String, cell: String, decreasing: bool },
    /// CPU seconds of `numerator` over `denominator`, per cell in the run's order: increasing
    /// from cell to cell and at least `min_last` in the last.
    CpuRatio { numerator: String, denominator: String, min_last: f64 },
    /// Asserted by a test that is not a run of an experiment (an exact oracle, a unit property):
    /// `file` and the test's function `name`.
    Test { file: String, name: String },
    /// Holds by the construction of the code; nothing to measure.
    ByConstruction { reason: String },
}

/// A checked claim: the verdict, our value in words, and per-cell details.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub verdict: Verdict,
    pub ours: String,
    pub details: Vec<String>,
}

impl Check {
    /// Whether the check reads a run (and so needs the claim's experiment).
    pub fn needs_run(&self) -> bool {
        !matches!(self, Check::Test { .. } | Check::ByConstruction { .. })
    }

    /// The one cell and the metric the check reads, where it reads one cell (to pick its figure).
    pub fn cell_metric(&self) -> Option<(&str, &str)> {
        match self {
            Check::Ordering { metric, cells: Some(c), .. } if c.len() == 1 => Some((&c[0], metric)),
            Check::Ratio { metric, cell, .. }
            | Check::PairedRatio { metric, cell, .. }
            | Check::Exponent { metric, cell, .. }
            | Check::SeriesExponent { metric, cell, .. }
            | Check::LogLinear { metric, cell, .. }
            | Check::Monotone { metric, cell, .. } => Some((cell, metric)),
            _ => None,
        }
    }

    pub fn evaluate(&self, run: Option<&RunData>) -> Result<Outcome> {
        let run = || run.ok_or_else(|| Error::Claim("this check needs the claim's `experiment`".into()));
        match self {
            Check::Ordering { metric, lower, higher, cells, every_checkpoint } => {
                let run = run()?;
                let cells = cells.clone().unwrap_or_else(|| run.cell_labels());
                let mut verdicts = Vec::new();
                let mut details = Vec::new();
                for cell in &cells {
                    let (v, d) = if *every_checkpoint {
                        ordering_every(run, cell, metric, lower, higher)?
                    } else {
                        ordering_final(run, cell, metric, lower, higher)?
                    };
                    verdicts.push(v);
                    details.push(format!("{cell}: {d} — {}", v.text()));
                }
                let v = Verdict::all(&verdicts);
                let held = verdicts.iter().filter(|&&x| x == Verdict::Holds).count();
                Ok(Outcome {
                    verdict: v,
                    ours: format!("{lower} < {higher} in {held} of {} cells", cells.len()),
                    details,
                })
            }
            Check::Ratio { metric, numerator, denominator, cell, min, max } => {
                let run = run()?;
                let (a, b) = (run.last(cell, numerator, metric)?, run.last(cell, denominator, metric)?);
                let r = a.mean / b.mean;
                // ln r = ln a − ln b: worst-case half-width of the difference
                let h = rel_half(a) + rel_half(b);
                let (lo, hi) = (r * (-h).exp(), r * h.exp());
                let v = window(lo, hi, *min, *max);
                Ok(Outcome {
                    verdict: v,
                    ours: format!("{r:.3} [{lo:.3}, {hi:.3}] (claim: [{min}, {max}])"),
                    details: vec![format!("{numerator} {:.4}, {denominator} {:.4}", a.mean, b.mean)],
                })
            }
            Check::PairedRatio { metric, numerator, denominator, cell, min, max } => {
                let run = run()?;
                let d = match run.paired(cell, numerator, denominator, metric)? {
                    Some(p) => p,
                    None => run
                        .paired(cell, denominator, numerator, metric)?
                        .map(|(n, m, lo, hi)| (n, -m, -hi, -lo))
                        .ok_or_else(|| {
                            Error::Claim(format!(
                                "paired_ratio: neither '{numerator}' nor '{denominator}' is the first series of cell '{cell}'"
                            ))
                        })?,
                };
                let b = run.last(cell, denominator, metric)?;
                let (blo, bhi) = interval(b);
                let (_, dm, dlo, dhi) = d;
                if blo.is_nan() || blo <= 0.0 {
                    // the denominator's interval reaches 0: the ratio's interval is unbounded
                    return Ok(Outcome {
                        verdict: Verdict::Inconclusive,
                        ours: format!("unbounded: {denominator}'s interval [{blo:.4}, {bhi:.4}] reaches 0"),
                        details: vec![format!("{numerator} − {denominator} = {dm:.4} [{dlo:.4}, {dhi:.4}] (paired)")],
                    });
                }
                let r = 1.0 + dm / b.mean;
                // the extremes of 1 + D/B over the two intervals (B > 0)
                let ends = [dlo / blo, dlo / bhi, dhi / blo, dhi / bhi];
                let lo = 1.0 + ends.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = 1.0 + ends.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                Ok(Outcome {
                    verdict: window(lo, hi, *min, *max),
                    ours: format!("{r:.3} [{lo:.3}, {hi:.3}] (paired; claim: [{min}, {max}])"),
                    details: vec![format!(
                        "{numerator} − {denominator} = {dm:.4} [{dlo:.4}, {dhi:.4}] (paired, n = {}); {denominator} {:.4} [{blo:.4}, {bhi:.4}]",
                        d.0, b.mean
                    )],
                })
            }
            Check::Exponent { metric, series, cell, from, to, expected, tolerance, side } => {
                let run = run()?;
                let rows: Vec<&CurveRow> =
                    run.curve(cell, series, metric)?.into_iter().filter(|r| r.t >= *from && r.t <= *to).collect();
                let pts: Vec<(f64, &CurveRow)> = rows.iter().map(|r| ((r.t as f64).ln(), *r)).collect();
                let (b, h) = log_slope(&pts)?;
                Ok(exponent_outcome(
                    b,
                    h,
                    *expected,
                    *tolerance,
                    *side,
                    format!("t in [{from}, {to}], {} checkpoints", pts.len()),
                ))
            }
            Check::SeriesExponent { metric, cell, points, expected, tolerance } => {
                let run = run()?;
                let mut pts = Vec::new();
                for (x, s) in points {
                    pts.push((x.ln(), run.last(cell, s, metric)?));
                }
                let (b, h) = log_slope(&pts)?;
                Ok(exponent_outcome(b, h, *expected, *tolerance, Side::Both, format!("{} series", pts.len())))
            }
            Check::LogLinear { metric, series, cell, from, to, min_ratio } => {
                let run = run()?;
                let rows: Vec<&CurveRow> =
                    run.curve(cell, series, metric)?.into_iter().filter(|r| r.t >= *from && r.t <= *to).collect();
                if rows.len() < 3 || rows.iter().any(|r| r.mean <= 0.0) {
                    return Err(Error::Claim(format!(
                        "log-linear check of {series}: needs 3 positive means in [{from}, {to}]"
                    )));
                }
                let lin: Vec<(f64, f64)> = rows.iter().map(|r| (r.t as f64, r.mean.ln())).collect();
                let pow: Vec<(f64, f64)> = rows.iter().map(|r| ((r.t as f64).ln(), r.mean.ln())).collect();
                let ((slope, sse_lin), (_, sse_pow)) = (least_squares(&lin), least_squares(&pow));
                let ratio = sse_pow / sse_lin;
                let v = if ratio >= *min_ratio {
                    Verdict::Holds
                } else if ratio <= 1.0 {
                    Verdict::DoesNotHold
                } else {
                    Verdict::Inconclusive
                };
                Ok(Outcome {
                    verdict: v,
                    ours: format!(
                        "ln P linear in T: residuals {sse_lin:.2e} vs {sse_pow:.2e} against ln T (ratio {ratio:.0}, needs ≥ {min_ratio}); slope {slope:.3e} per unit of T"
                    ),
                    details: vec![],
                })
            }
            Check::Monotone { metric, series, cell, decreasing } => {
                let run = run()?;
                let rows = run.curve(cell, series, metric)?;
                // orient so that "falls" is the claim
                let s = if *decreasing { 1.0 } else { -1.0 };
                let iv = |r: &CurveRow| {
                    let (a, b) = interval(r);
                    if s > 0.0 { (a, b) } else { (-b, -a) }
                };
                let (lo, hi) = (|r: &CurveRow| iv(r).0, |r: &CurveRow| iv(r).1);
                let (first, last) = (rows[0], rows[rows.len() - 1]);
                let wrong = rows.windows(2).filter(|w| lo(w[1]) > hi(w[0])).count();
                let v = if wrong > 0 {
                    Verdict::DoesNotHold
                } else if hi(last) < lo(first) {
                    Verdict::Holds
                } else {
                    Verdict::Inconclusive
                };
                Ok(Outcome {
                    verdict: v,
                    ours: format!(
                        "{:.4} at t = {} → {:.4} at t = {}; {wrong} steps the other way",
                        first.mean, first.t, last.mean, last.t
                    ),
                    details: vec![],
                })
            }
            Check::CpuRatio { numerator, denominator, min_last } => {
                let run = run()?;
                let mut ratios = Vec::new();
                for cell in run.cell_labels() {
                    ratios.push((
                        cell.clone(),
                        run.cpu_seconds(&cell, numerator)? / run.cpu_seconds(&cell, denominator)?,
                    ));
                }
                let increasing = ratios.windows(2).all(|w| w[1].1 > w[0].1);
                let last = ratios.last().map_or(f64::NAN, |r| r.1);
                let v = if increasing && last >= *min_last { Verdict::Holds } else { Verdict::DoesNotHold };
                let list: Vec<String> = ratios.iter().map(|(c, r)| format!("{c}: {r:.1}×")).collect();
                Ok(Outcome { verdict: v, ours: format!("CPU-time ratio {}", list.join(", ")), details: vec![] })
            }
            Check::Test { file, name } => {
                Ok(Outcome { verdict: Verdict::Holds, ours: format!("asserted by `{name}` ({file})"), details: vec![] })
            }
            Check::ByConstruction { reason } => Ok(Outcome {
                verdict: Verdict::NotChecked,
                ours: format!("by construction: {reason}"),
                details: vec![],
            }),
        }
    }
}

/// Half-width of ln(mean) from a curve row's interval (delta method), 0 with one replication.
fn rel_half(r: &CurveRow) -> f64 {
    if r.n < 2 || !r.ci_hi.is_finite() { 0.0 } else { (r.ci_hi - r.mean) / r.mean }
}

/// Least squares of y on x: (slope, residual sum of squares).
pub fn least_squares(pts: &[(f64, f64)]) -> (f64, f64) {
    let n = pts.len() as f64;
    let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / n, pts.iter().map(|p| p.1).sum::<f64>() / n);
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let b = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / sxx;
    (b, pts.iter().map(|p| (p.1 - my - b * (p.0 - mx)).powi(2)).sum())
}

/// Slope of ln(mean) on the given abscissae, with its worst-case half-width Σ|w_i|·h_i.
fn log_slope(pts: &[(f64, &CurveRow)]) -> Result<(f64, f64)> {
    if pts.len() < 2 || pts.iter().any(|(_, r)| r.mean <= 0.0) {
        return Err(Error::Claim("an exponent needs at least 2 checkpoints with positive means".into()));
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let w = |x: f64| (x - mx) / sxx;
    let b = pts.iter().map(|(x, r)| w(*x) * r.mean.ln()).sum();
    let h = pts.iter().map(|(x, r)| w(*x).abs() * rel_half(r)).sum();
    Ok((b, h))
}

fn exponent_outcome(b: f64, h: f64, expected: f64, tol: f64, side: Side, over: String) -> Outcome {
    let (lo, hi) = (b - h, b + h);
    let (v, claim) = match side {
        Side::Both => (window(lo, hi, expected - tol, expected + tol), format!("{expected} ± {tol}")),
        Side::AtMost => {
            let top = expected + tol;
            let v = if hi <= top {
                Verdict::Holds
            } else if lo > top {
                Verdict::DoesNotHold
            } else {
                Verdict::Inconclusive
            };
            (v, format!("≤ {top}"))
        }
    };
    Outcome { verdict: v, ours: format!("exponent {b:.3} [{lo:.3}, {hi:.3}] (claim: {claim})"), details: vec![over] }
}

/// [lo, hi] inside [min, max]: holds; disjoint: does not hold; else inconclusive.
fn window(lo: f64, hi: f64, min: f64, max: f64) -> Verdict {
    if lo >= min && hi <= max {
        Verdict::Holds
    } else if hi < min || lo > max {
        Verdict::DoesNotHold
    } else {
        Verdict::Inconclusive
    }
}

/// `lower` < `higher` at the last checkpoint of one cell: the paired difference on common random
/// numbers where `paired.csv` has it (one of the two is the cell's first series), otherwise
/// disjoint intervals.
fn ordering_final(run: &RunData, cell: &str, metric: &str, lower: &str, higher: &str) -> Result<(Verdict, String)> {
    let pair = match run.paired(cell, higher, lower, metric)? {
        Some(p) => Some(p),
        None => run.paired(cell, lower, higher, metric)?.map(|(n, m, lo, hi)| (n, -m, -hi, -lo)),
    };
    if let Some((n, m, lo, hi)) = pair
        && n >= 2
    {
        let v = if lo > 0.0 {
            Verdict::Holds
        } else if hi < 0.0 {
            Verdict::DoesNotHold
        } else {
            Verdict::Inconclusive
        };
        return Ok((v, format!("{higher} − {lower} = {m:.4} [{lo:.4}, {hi:.4}] (paired, n = {n})")));
    }
    let (a, b) = (run.last(cell, lower, metric)?, run.last(cell, higher, metric)?);
    Ok((
        intervals(a, b),
        format!(
            "{lower} {:.4} [{:.4}, {:.4}] vs {higher} {:.4} [{:.4}, {:.4}]",
            a.mean, a.ci_lo, a.ci_hi, b.mean, b.ci_lo, b.ci_hi
        ),
    ))
}

/// A row's interval; with one replication (a deterministic algorithm) the value itself.
fn interval(r: &CurveRow) -> (f64, f64) {
    if r.n < 2 || !r.ci_lo.is_finite() || !r.ci_hi.is_finite() { (r.mean, r.mean) } else { (r.ci_lo, r.ci_hi) }
}

/// Disjoint intervals: a below b holds.
fn intervals(a: &CurveRow, b: &CurveRow) -> Verdict {
    let ((alo, ahi), (blo, bhi)) = (interval(a), interval(b));
    if ahi < blo {
        Verdict::Holds
    } else if alo > bhi {
        Verdict::DoesNotHold
    } else {
        Verdict::Inconclusive
    }
}

fn ordering_every(run: &RunData, cell: &str, metric: &str, lower: &str, higher: &str) -> Result<(Verdict, String)> {
    let (a, b) = (run.curve(cell, lower, metric)?, run.curve(cell, higher, metric)?);
    let vs: Vec<Verdict> = a.iter().zip(&b).map(|(x, y)| intervals(x, y)).collect();
    let held = vs.iter().filter(|&&v| v == Verdict::Holds).count();
    Ok((Verdict::all(&vs), format!("below at {held} of {} checkpoints", vs.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: u64, mean: f64, half: f64, n: u64) -> CurveRow {
        CurveRow {
            cell: "c".into(),
            policy: "p".into(),
            metric: "m".into(),
            t,
            n,
            mean,
            sd: 0.0,
            ci_lo: mean - half,
            ci_hi: mean + half,
        }
    }

    #[test]
    fn slope_of_an_exact_power_law_and_its_worst_case_half_width() {
        // y = 3 t^0.5 at t = 1, 4, 16: ln t = 0, 2 ln 2, 4 ln 2; slope 0.5 exactly
        let rows: Vec<CurveRow> = [1u64, 4, 16].iter().map(|&t| row(t, 3.0 * (t as f64).sqrt(), 0.0, 10)).collect();
        let pts: Vec<(f64, &CurveRow)> = rows.iter().map(|r| ((r.t as f64).ln(), r)).collect();
        let (b, h) = log_slope(&pts).unwrap();
        assert!((b - 0.5).abs() < 1e-12 && h == 0.0, "{b} {h}");
        // relative half-widths 0.1 at both ends, none in the middle: w = ∓1/(4 ln 2), so
        // h = 2 · 0.1 / (4 ln 2) = 0.0721
        let rows = [row(1, 3.0, 0.3, 10), row(4, 6.0, 0.0, 10), row(16, 12.0, 1.2, 10)];
        let pts: Vec<(f64, &CurveRow)> = rows.iter().map(|r| ((r.t as f64).ln(), r)).collect();
        let (_, h) = log_slope(&pts).unwrap();
        assert!((h - 0.2 / (4.0 * 2f64.ln())).abs() < 1e-12, "{h}");
    }

    #[test]
    fn windows_and_one_sided_exponents() {
        assert_eq!(window(0.45, 0.55, 0.35, 0.65), Verdict::Holds);
        assert_eq!(window(0.30, 0.55, 0.35, 0.65), Verdict::Inconclusive);
        assert_eq!(window(0.70, 0.80, 0.35, 0.65), Verdict::DoesNotHold);
        assert_eq!(exponent_outcome(-1.9, 0.0, -1.0, 0.0, Side::AtMost, String::new()).verdict, Verdict::Holds);
        assert_eq!(exponent_outcome(-0.5, 0.1, -1.0, 0.0, Side::AtMost, String::new()).verdict, Verdict::DoesNotHold);
        assert_eq!(exponent_outcome(-0.95, 0.1, -1.0, 0.0, Side::AtMost, String::new()).verdict, Verdict::Inconclusive);
    }

    #[test]
    fn one_replication_compares_values() {
        // NaN intervals (one replication) fall back to the values themselves
        let (a, b) = (row(1, 1.0, f64::NAN, 1), row(1, 2.0, f64::NAN, 1));
        assert_eq!(intervals(&a, &b), Verdict::Holds);
        assert_eq!(intervals(&b, &a), Verdict::DoesNotHold);
        assert_eq!(intervals(&a, &a), Verdict::Inconclusive);
    }

    #[test]
    fn least_squares_hand_computed() {
        // y = 1 + 2x exactly, then one point off by 1: slope (Σ dx dy)/(Σ dx²)
        assert_eq!(least_squares(&[(0.0, 1.0), (1.0, 3.0), (2.0, 5.0)]), (2.0, 0.0));
        let (b, sse) = least_squares(&[(0.0, 1.0), (1.0, 4.0), (2.0, 5.0)]);
        assert!((b - 2.0).abs() < 1e-12 && (sse - 2.0 / 3.0).abs() < 1e-12, "{b} {sse}");
    }
}
