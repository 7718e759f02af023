//! The run folder: `manifest.json`, `curves.csv`, `final.csv`, `overlays.csv`, `summary.csv`,
//! `paired.csv`, `table.md`; atomic writes; reading a run back for `regretlab plot`.
//!
//! Everything that is compared byte for byte across thread counts (`curves.csv`, `final.csv`)
//! holds only numbers that the engine's ordered fold produced; timings live in the manifest.

pub mod cells;
pub mod run_dir;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::JobResult;
use crate::error::{Error, Result, io};
use crate::spec::CellInfo;
use crate::stats::{Welford, quantile_sorted};

/// A theory curve to draw on a figure (a bound's rate with its constant).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Overlay {
    pub cell: String,
    pub metric: String,
    pub label: String,
    /// "upper" or "lower".
    pub kind: String,
    pub points: Vec<(u64, f64)>,
}

/// One row of `curves.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurveRow {
    pub cell: String,
    pub policy: String,
    pub metric: String,
    pub t: u64,
    pub n: u64,
    pub mean: f64,
    pub sd: f64,
    pub ci_lo: f64,
    pub ci_hi: f64,
}

/// What the manifest records about how a run was made.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub experiment: String,
    pub title: String,
    pub claim: Option<String>,
    pub regretlab_version: String,
    pub git_commit: Option<String>,
    pub rng: String,
    pub seed: u64,
    pub reps: u64,
    pub confidence: f64,
    pub engine: String,
    pub threads: usize,
    /// What computed the numbers beyond the engine (e.g. the lane kernel's instruction set).
    pub backend: String,
    pub spec: serde_json::Value,
    pub cells: Vec<CellInfo>,
    pub plot: crate::spec::PlotSpec,
    pub timings: Timings,
    /// Every file the run wrote into its folder: what a rerun may replace (anything else in
    /// the folder is the user's, and stops the rerun).
    #[serde(default)]
    pub files: Vec<String>,
    /// How a run with a precision target grew (absent for a fixed number of replications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<PrecisionRecord>,
}

/// What a precision-driven run reached: `reps` in the manifest is `reached`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrecisionRecord {
    pub half_width: f64,
    /// The metric whose intervals counted (None: every metric).
    pub metric: Option<String>,
    /// The spec's `reps`: the most replications the run could grow to.
    pub cap: u64,
    pub reached: u64,
    /// The widest half-width at the end.
    pub widest: f64,
    /// "half-width reached" or "cap reached".
    pub stopped: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Timings {
    pub wall_seconds: f64,
    /// CPU-seconds spent inside each job's simulation (summed over threads).
    pub jobs: Vec<JobTiming>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobTiming {
    pub cell: String,
    pub policy: String,
    pub seconds: f64,
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so a
/// reader sees the old file or the new one, never a part.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut f = fs::File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    drop(f);
    fs::rename(&tmp, path).map_err(io(path))
}

fn fmt(x: f64) -> String {
    format!("{x}")
}

/// A t-interval on the mean, or for a binomial proportion the Wilson score interval (its
/// success count is n × mean, an integer up to rounding).
pub fn interval(w: &Welford, proportion: bool, level: f64) -> (f64, f64) {
    if proportion {
        crate::stats::wilson_interval((w.mean * w.n as f64).round() as u64, w.n, level)
    } else {
        w.t_interval(level)
    }
}

/// The summary rows of every job: one per (cell, policy, metric, checkpoint).
pub fn curve_rows(results: &[JobResult], level: f64) -> Vec<CurveRow> {
    let mut rows = Vec::new();
    for r in results {
        let nc = r.grid.len();
        for (m, metric) in r.metrics.iter().enumerate() {
            for (c, &t) in r.grid.iter().enumerate() {
                let w = &r.stats[m * nc + c];
                let (lo, hi) = interval(w, r.proportion.get(m) == Some(&true), level);
                rows.push(CurveRow {
                    cell: r.cell.clone(),
                    policy: r.series.clone(),
                    metric: metric.clone(),
                    t,
                    n: w.n,
                    mean: w.mean,
                    sd: w.sd(),
                    ci_lo: lo,
                    ci_hi: hi,
                });
            }
        }
    }
    rows
}

fn csv_bytes(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| Error::BadResults { path: PathBuf::from("<csv>"), message: e.to_string() };
    w.write_record(header).map_err(err)?;
    for r in rows {
        w.write_record(&r).map_err(err)?;
    }
    w.into_inner().map_err(|e| Error::BadResults { path: PathBuf::from("<csv>"), message: e.to_string() })
}

pub fn curves_csv(rows: &[CurveRow]) -> Result<Vec<u8>> {
    csv_bytes(
        &["cell", "policy", "metric", "t", "n", "mean", "sd", "ci_lo", "ci_hi"],
        rows.iter().map(|r| {
            vec![
                r.cell.clone(),
                r.policy.clone(),
                r.metric.clone(),
                r.t.to_string(),
                r.n.to_string(),
                fmt(r.mean),
                fmt(r.sd),
                fmt(r.ci_lo),
                fmt(r.ci_hi),
            ]
        }),
    )
}

/// `final.csv`: one row per (cell, policy, replication), one column per metric. Streamed to
/// `w` (a run of 10^8 replications writes gigabytes that never sit in memory).
pub fn write_final_csv(results: &[JobResult], w: impl Write) -> std::result::Result<(), csv::Error> {
    let metrics: Vec<String> = results.first().map(|r| r.metrics.clone()).unwrap_or_default();
    let mut out = csv::Writer::from_writer(w);
    let mut header = vec!["cell", "policy", "rep"];
    header.extend(metrics.iter().map(String::as_str));
    out.write_record(&header)?;
    let mut row: Vec<String> = Vec::new();
    for r in results {
        let reps = r.finals.first().map(Vec::len).unwrap_or(0);
        for i in 0..reps {
            row.clear();
            row.extend([r.cell.clone(), r.series.clone(), i.to_string()]);
            row.extend(r.finals.iter().map(|f| fmt(f[i])));
            out.write_record(&row)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Bytes of `final.csv` for these results, estimated before the run (from the widest numbers a
/// value prints as): what the disk check compares with the free space.
pub fn final_csv_bytes(jobs: impl Iterator<Item = (usize, usize, usize)>, reps: u64) -> u64 {
    // cell id (16 hex), series label, rep index, one value per metric (at most 24 characters:
    // "-1.2345678901234567e-300"), separators and newline
    let rep_digits = reps.max(1).to_string().len() as u64;
    jobs.map(|(cell, series, metrics)| reps * (cell as u64 + series as u64 + rep_digits + 25 * metrics as u64 + 3))
        .sum::<u64>()
        + 64
}

pub fn overlays_csv(ov: &[Overlay]) -> Result<Vec<u8>> {
    csv_bytes(
        &["cell", "metric", "label", "kind", "t", "value"],
        ov.iter().flat_map(|o| {
            o.points.iter().map(move |&(t, v)| {
                vec![o.cell.clone(), o.metric.clone(), o.label.clone(), o.kind.clone(), t.to_string(), fmt(v)]
            })
        }),
    )
}

/// One square of a heatmap: a series' mean at a cell's last checkpoint, and its ratio to a
/// reference overlay where one is named.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatRow {
    pub series: String,
    pub cell: String,
    pub x: f64,
    pub y: f64,
    pub t: u64,
    pub mean: f64,
    pub reference: Option<f64>,
}

impl HeatRow {
    /// What the square shows: the ratio where there is a reference, else the mean.
    pub fn value(&self) -> f64 {
        match self.reference {
            Some(r) => self.mean / r,
            None => self.mean,
        }
    }
}

/// The heatmap's squares, from the curve rows of each cell's last checkpoint.
pub fn heatmap_rows(
    h: &crate::spec::HeatmapSpec,
    cells: &[CellInfo],
    rows: &[CurveRow],
    overlays: &[Overlay],
) -> Vec<HeatRow> {
    let mut out = Vec::new();
    for c in cells {
        let (Some(x), Some(y)) = (crate::spec::heatmap_coordinate(c, &h.x), crate::spec::heatmap_coordinate(c, &h.y))
        else {
            continue;
        };
        let mine: Vec<&CurveRow> = rows.iter().filter(|r| r.cell == c.id && r.metric == h.metric).collect();
        let Some(t) = mine.iter().map(|r| r.t).max() else { continue };
        let reference = h
            .ratio_to
            .as_ref()
            .and_then(|p| {
                overlays.iter().find(|o| o.cell == c.id && o.metric == h.metric && o.label.starts_with(p.as_str()))
            })
            .and_then(|o| o.points.iter().find(|pt| pt.0 == t).map(|pt| pt.1));
        for r in mine.iter().filter(|r| r.t == t) {
            out.push(HeatRow { series: r.policy.clone(), cell: c.id.clone(), x, y, t, mean: r.mean, reference });
        }
    }
    out
}

/// One bin of a histogram: a series' count of final values in [lo, hi) (the last bin closed).
#[derive(Clone, Debug, PartialEq)]
pub struct HistRow {
    pub cell: String,
    pub series: String,
    pub lo: f64,
    pub hi: f64,
    pub count: u64,
}

/// The histograms of `h.metric`'s final values, per (cell, series), over common bins; values
/// outside an explicit range are counted in the end bins' neighbours `below`/`above` rows
/// (lo = hi = −inf / +inf) so that nothing is dropped silently; non-finite values likewise.
pub fn histogram_rows(h: &crate::spec::HistogramSpec, results: &[crate::engine::JobResult]) -> Vec<HistRow> {
    let bins = h.bins.unwrap_or(40) as usize;
    fn values<'a>(r: &'a crate::engine::JobResult, metric: &str) -> Option<&'a Vec<f64>> {
        r.metrics.iter().position(|m| m == metric).map(|i| &r.finals[i])
    }
    let [lo, hi] = h.range.unwrap_or_else(|| {
        let all = results.iter().filter_map(|r| values(r, &h.metric)).flatten().copied().filter(|v| v.is_finite());
        let (a, b) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        if a.is_finite() && b > a {
            [a, b]
        } else if a.is_finite() {
            [a - 0.5, a + 0.5]
        } else {
            [0.0, 1.0]
        }
    });
    let width = (hi - lo) / bins as f64;
    let mut out = Vec::new();
    for r in results {
        let Some(v) = values(r, &h.metric) else { continue };
        let mut counts = vec![0u64; bins];
        let (mut below, mut above) = (0u64, 0u64);
        for &x in v {
            if x.is_nan() || x < lo {
                below += 1;
            } else if x > hi {
                above += 1;
            } else {
                counts[(((x - lo) / width) as usize).min(bins - 1)] += 1;
            }
        }
        let row =
            |a: f64, b: f64, n: u64| HistRow { cell: r.cell.clone(), series: r.series.clone(), lo: a, hi: b, count: n };
        if below > 0 {
            out.push(row(f64::NEG_INFINITY, lo, below));
        }
        for (i, &n) in counts.iter().enumerate() {
            out.push(row(lo + i as f64 * width, if i + 1 == bins { hi } else { lo + (i + 1) as f64 * width }, n));
        }
        if above > 0 {
            out.push(row(hi, f64::INFINITY, above));
        }
    }
    out
}

/// `histogram.csv`.
pub fn histogram_csv(rows: &[HistRow]) -> Result<Vec<u8>> {
    csv_bytes(
        &["cell", "series", "lo", "hi", "count"],
        rows.iter().map(|r| vec![r.cell.clone(), r.series.clone(), fmt(r.lo), fmt(r.hi), r.count.to_string()]),
    )
}

/// Reads `histogram.csv`.
pub fn read_histogram(path: &Path) -> Result<Vec<HistRow>> {
    let bad = |m: String| Error::BadResults { path: path.to_path_buf(), message: m };
    let mut rd = csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
    let mut out = Vec::new();
    for rec in rd.records() {
        let rec = rec.map_err(|e| bad(e.to_string()))?;
        let num = |i: usize| -> Result<f64> {
            rec.get(i)
                .and_then(|x| x.parse::<f64>().ok())
                .ok_or_else(|| bad(format!("row {}: column {i} is not a number", out.len() + 1)))
        };
        out.push(HistRow {
            cell: rec.get(0).unwrap_or_default().to_string(),
            series: rec.get(1).unwrap_or_default().to_string(),
            lo: num(2)?,
            hi: num(3)?,
            count: num(4)? as u64,
        });
    }
    Ok(out)
}

/// `heatmap.csv`.
pub fn heatmap_csv(rows: &[HeatRow]) -> Result<Vec<u8>> {
    csv_bytes(
        &["series", "cell", "x", "y", "t", "mean", "reference", "ratio"],
        rows.iter().map(|r| {
            vec![
                r.series.clone(),
                r.cell.clone(),
                fmt(r.x),
                fmt(r.y),
                r.t.to_string(),
                fmt(r.mean),
                r.reference.map(fmt).unwrap_or_default(),
                r.reference.map(|_| fmt(r.value())).unwrap_or_default(),
            ]
        }),
    )
}

/// A number for a table: four decimals, or four significant digits in scientific form when
/// four decimals would hide it (value gaps of 1e-9 are results, not zeros).
fn table_num(x: f64) -> String {
    if x == 0.0 || !x.is_finite() || x.abs() >= 0.01 { format!("{x:.4}") } else { format!("{x:.3e}") }
}

/// Final values per (cell, policy, metric) with t-intervals and quantiles, as `summary.csv`,
/// and as a Markdown table.
pub fn summary(results: &[JobResult], cells: &[CellInfo], level: f64) -> Result<(Vec<u8>, String)> {
    let label = |id: &str| cells.iter().find(|c| c.id == id).map(|c| c.label.clone()).unwrap_or_else(|| id.to_string());
    let mut rows = Vec::new();
    let mut md = String::new();
    let metrics: Vec<String> = results.first().map(|r| r.metrics.clone()).unwrap_or_default();
    md.push_str("| cell | policy |");
    let props: Vec<bool> = results.first().map(|r| r.proportion.clone()).unwrap_or_default();
    for (i, m) in metrics.iter().enumerate() {
        if props.get(i) == Some(&true) {
            md.push_str(&format!(" {m} (proportion [Wilson CI]) |"));
        } else {
            md.push_str(&format!(" {m} (mean ± CI half-width) |"));
        }
    }
    md.push_str(" CPU s |\n|---|---|");
    md.push_str(&"---:|".repeat(metrics.len() + 1));
    md.push('\n');
    for r in results {
        md.push_str(&format!(
            "| {} | {} |",
            crate::text::table_cell(&label(&r.cell)),
            crate::text::table_cell(&r.series)
        ));
        for (m, metric) in r.metrics.iter().enumerate() {
            let mut w = Welford::default();
            r.finals[m].iter().for_each(|&x| w.push(x));
            let prop = r.proportion.get(m) == Some(&true);
            let (lo, hi) = interval(&w, prop, level);
            // one sorted copy for the three quantiles (finals can be 10^8 values)
            let mut sorted = r.finals[m].clone();
            sorted.sort_by(f64::total_cmp);
            let q = |p: f64| fmt(quantile_sorted(&sorted, p));
            rows.push(vec![
                r.cell.clone(),
                label(&r.cell),
                r.series.clone(),
                metric.clone(),
                w.n.to_string(),
                fmt(w.mean),
                fmt(w.sd()),
                fmt(lo),
                fmt(hi),
                q(0.05),
                q(0.5),
                q(0.95),
            ]);
            if prop {
                md.push_str(&format!(" {} [{}, {}] |", table_num(w.mean), table_num(lo), table_num(hi)));
            } else if w.n > 1 {
                md.push_str(&format!(" {} ± {} |", table_num(w.mean), table_num((hi - lo) / 2.0)));
            } else {
                md.push_str(&format!(" {} (one replication: no interval) |", table_num(w.mean)));
            }
        }
        md.push_str(&format!(" {:.3} |\n", r.seconds));
    }
    let csv = csv_bytes(
        &["cell", "cell_label", "policy", "metric", "n", "mean", "sd", "ci_lo", "ci_hi", "q05", "median", "q95"],
        rows.into_iter(),
    )?;
    Ok((csv, md))
}

/// The paired comparisons of the first metric as a Markdown section for `table.md` (empty when
/// no cell has two series or the run has one replication): each policy minus the cell's first,
/// on common random numbers.
pub fn paired_markdown(results: &[JobResult], cells: &[CellInfo], level: f64) -> String {
    let Some(metric) = results.first().and_then(|r| r.metrics.first()) else { return String::new() };
    let mut md = String::new();
    for cell in cells {
        let jobs: Vec<&JobResult> = results.iter().filter(|r| r.cell == cell.id).collect();
        let Some(base) = jobs.first() else { continue };
        for r in jobs.iter().skip(1) {
            let mut w = Welford::default();
            for (x, y) in r.finals[0].iter().zip(&base.finals[0]) {
                w.push(x - y);
            }
            if w.n < 2 {
                return String::new();
            }
            let (lo, hi) = w.t_interval(level);
            md.push_str(&format!(
                "| {} | {} − {} | {} [{}, {}] |\n",
                crate::text::table_cell(&cell.label),
                crate::text::table_cell(&r.series),
                crate::text::table_cell(&base.series),
                table_num(w.mean),
                table_num(lo),
                table_num(hi)
            ));
        }
    }
    if md.is_empty() {
        return md;
    }
    format!(
        "\nPaired differences of the final {metric} on common random numbers (each policy minus the cell's first, replication by replication; {:.0}% t-intervals; every metric in `paired.csv`):\n\n| cell | difference | mean [CI] |\n|---|---|---:|\n{md}",
        level * 100.0
    )
}

/// Paired comparisons on common random numbers: for every cell, each policy's final values
/// minus those of the cell's first policy, replication by replication, with a t-interval on the
/// mean difference (`paired.csv`). Pairing removes the variance the policies share, so these
/// intervals are much narrower than the difference of two unpaired ones.
pub fn paired(results: &[JobResult], cells: &[CellInfo], level: f64) -> Result<Vec<u8>> {
    let label = |id: &str| cells.iter().find(|c| c.id == id).map(|c| c.label.clone()).unwrap_or_else(|| id.to_string());
    let mut rows = Vec::new();
    for cell in cells {
        let jobs: Vec<&JobResult> = results.iter().filter(|r| r.cell == cell.id).collect();
        let Some(base) = jobs.first() else { continue };
        for r in jobs.iter().skip(1) {
            for (m, metric) in r.metrics.iter().enumerate() {
                let mut w = Welford::default();
                for (x, y) in r.finals[m].iter().zip(&base.finals[m]) {
                    w.push(x - y);
                }
                let (lo, hi) = w.t_interval(level);
                rows.push(vec![
                    cell.id.clone(),
                    label(&cell.id),
                    r.series.clone(),
                    base.series.clone(),
                    metric.clone(),
                    w.n.to_string(),
                    fmt(w.mean),
                    fmt(w.sd()),
                    fmt(lo),
                    fmt(hi),
                ]);
            }
        }
    }
    csv_bytes(
        &["cell", "cell_label", "policy", "baseline", "metric", "n", "mean_diff", "sd", "ci_lo", "ci_hi"],
        rows.into_iter(),
    )
}

/// Reads `curves.csv` back.
pub fn read_curves(path: &Path) -> Result<Vec<CurveRow>> {
    let bad = |e: csv::Error| Error::BadResults { path: path.to_path_buf(), message: e.to_string() };
    let mut r = csv::Reader::from_path(path).map_err(bad)?;
    r.deserialize().collect::<std::result::Result<Vec<CurveRow>, _>>().map_err(bad)
}

/// Reads `overlays.csv` back (absent file = no overlays).
pub fn read_overlays(path: &Path) -> Result<Vec<Overlay>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    #[derive(Deserialize)]
    struct Row {
        cell: String,
        metric: String,
        label: String,
        kind: String,
        t: u64,
        value: f64,
    }
    let bad = |e: csv::Error| Error::BadResults { path: path.to_path_buf(), message: e.to_string() };
    let mut r = csv::Reader::from_path(path).map_err(bad)?;
    let mut out: Vec<Overlay> = Vec::new();
    for row in r.deserialize::<Row>() {
        let row = row.map_err(bad)?;
        match out.last_mut() {
            Some(o) if o.cell == row.cell && o.metric == row.metric && o.label == row.label => {
                o.points.push((row.t, row.value))
            }
            _ => out.push(Overlay {
                cell: row.cell,
                metric: row.metric,
                label: row.label,
                kind: row.kind,
                points: vec![(row.t, row.value)],
            }),
        }
    }
    Ok(out)
}

pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let p = dir.join("manifest.json");
    let text = fs::read_to_string(&p).map_err(io(&p))?;
    serde_json::from_str(&text).map_err(|e| Error::BadResults { path: p, message: e.to_string() })
}

pub fn manifest_json(m: &Manifest) -> Result<Vec<u8>> {
    let mut v = serde_json::to_vec_pretty(m)
        .map_err(|e| Error::BadResults { path: PathBuf::from("manifest.json"), message: e.to_string() })?;
    v.push(b'\n');
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file() {
        let dir = std::env::temp_dir().join(format!("regretlab-aw-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("x.csv");
        atomic_write(&p, b"old").unwrap();
        atomic_write(&p, b"new contents").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new contents");
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
            .collect();
        assert!(leftovers.is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn overlays_round_trip_through_csv() {
        let ov = vec![Overlay {
            cell: "c".into(),
            metric: "m".into(),
            label: "L, with comma".into(),
            kind: "lower".into(),
            points: vec![(1, 0.5), (10, 2.25)],
        }];
        let dir = std::env::temp_dir().join(format!("regretlab-ov-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("overlays.csv");
        atomic_write(&p, &overlays_csv(&ov).unwrap()).unwrap();
        assert_eq!(read_overlays(&p).unwrap(), ov);
        fs::remove_dir_all(&dir).unwrap();
    }
}

#[cfg(test)]
mod summary_tests {
    use super::*;
    use crate::stats::Welford;

    fn job(series: &str, xs: &[f64]) -> JobResult {
        JobResult {
            cell: "c".into(),
            series: series.into(),
            metrics: vec!["m".into()],
            grid: vec![1],
            stats: vec![Welford::default()],
            finals: vec![xs.to_vec()],
            proportion: vec![false],
            seconds: 0.0,
        }
    }

    #[test]
    fn paired_differences_hand_computed() {
        let cells =
            vec![CellInfo { id: "c".into(), label: "cell".into(), horizon: 1, content: serde_json::Value::Null }];
        let res = vec![job("base", &[1.0, 2.0, 3.0]), job("other", &[2.0, 4.0, 3.0])];
        let text = String::from_utf8(paired(&res, &cells, 0.95).unwrap()).unwrap();
        let row: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
        // differences 1, 2, 0: mean 1, sd 1; t_{0.975, 2} = 4.302653 -> half-width 4.302653 / sqrt(3)
        assert_eq!(&row[..6], ["c", "cell", "other", "base", "m", "3"]);
        assert_eq!(row[6].parse::<f64>().unwrap(), 1.0);
        assert_eq!(row[7].parse::<f64>().unwrap(), 1.0);
        let half = 4.302653 / 3f64.sqrt();
        assert!((row[9].parse::<f64>().unwrap() - (1.0 + half)).abs() < 1e-5);
        let (csv, md) = summary(&res, &cells, 0.95).unwrap();
        let s = String::from_utf8(csv).unwrap();
        // base: mean 2, median 2, q05 = 1.1, q95 = 2.9
        assert!(s.lines().nth(1).unwrap().ends_with(",1.1,2,2.9"), "{s}");
        assert!(md.contains("| cell | other |"));
    }
}
