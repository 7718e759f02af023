//! A finished run read back for claim checking: its manifest, its curves, its paired
//! differences and its overlays, addressed by cell label and series. Only files that are
//! committed with a run are read (not `final.csv`, which is not), so a verdict is the same on
//! every checkout.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::results::{CurveRow, Manifest, Overlay, read_curves, read_manifest, read_overlays};

/// One run folder, read once.
pub struct RunData {
    pub dir: PathBuf,
    pub manifest: Manifest,
    curves: Vec<CurveRow>,
    overlays: Vec<Overlay>,
    paired: Paired,
}

impl RunData {
    pub fn read(dir: &Path) -> Result<RunData> {
        let manifest = read_manifest(dir)?;
        let curves = read_curves(&dir.join("curves.csv"))?;
        let overlays =
            if dir.join("overlays.csv").exists() { read_overlays(&dir.join("overlays.csv"))? } else { vec![] };
        let paired = read_paired(&dir.join("paired.csv"))?;
        Ok(RunData { dir: dir.to_path_buf(), manifest, curves, overlays, paired })
    }

    /// The cells' labels, in the run's order.
    pub fn cell_labels(&self) -> Vec<String> {
        self.manifest.cells.iter().map(|c| c.label.clone()).collect()
    }

    /// The id of the cell labelled `label`.
    pub fn cell_id(&self, label: &str) -> Result<String> {
        let found = self.manifest.cells.iter().find(|c| c.label == label).map(|c| c.id.clone());
        found.ok_or_else(|| self.missing("cell", label, &self.cell_labels()))
    }

    /// The curve of (cell, series, metric), in checkpoint order.
    pub fn curve(&self, cell: &str, series: &str, metric: &str) -> Result<Vec<&CurveRow>> {
        let id = self.cell_id(cell)?;
        let rows: Vec<&CurveRow> =
            self.curves.iter().filter(|r| r.cell == id && r.policy == series && r.metric == metric).collect();
        if rows.is_empty() {
            let mut names: Vec<String> =
                self.curves.iter().filter(|r| r.cell == id).map(|r| format!("{} / {}", r.policy, r.metric)).collect();
            names.dedup();
            return Err(self.missing("series / metric", &format!("{series} / {metric}"), &names));
        }
        Ok(rows)
    }

    /// The last checkpoint of (cell, series, metric).
    pub fn last(&self, cell: &str, series: &str, metric: &str) -> Result<&CurveRow> {
        Ok(*self.curve(cell, series, metric)?.last().expect("curve is not empty"))
    }

    /// The paired difference `series − baseline` of (cell, metric) at the last checkpoint, on
    /// common random numbers, as `paired.csv` holds it (the baseline is the cell's first series):
    /// (replications, mean, ci_lo, ci_hi).
    pub fn paired(
        &self,
        cell: &str,
        series: &str,
        baseline: &str,
        metric: &str,
    ) -> Result<Option<(u64, f64, f64, f64)>> {
        let id = self.cell_id(cell)?;
        Ok(self.paired.get(&(id, series.to_string(), baseline.to_string(), metric.to_string())).copied())
    }

    /// The theory overlay of (cell, metric) with this label.
    pub fn overlay(&self, cell: &str, metric: &str, label: &str) -> Result<&Overlay> {
        let id = self.cell_id(cell)?;
        let found = self.overlays.iter().find(|o| o.cell == id && o.metric == metric && o.label == label);
        found.ok_or_else(|| {
            let names: Vec<String> = self.overlays.iter().filter(|o| o.cell == id).map(|o| o.label.clone()).collect();
            self.missing("overlay", label, &names)
        })
    }

    /// CPU seconds of the job (cell, series), from the manifest.
    pub fn cpu_seconds(&self, cell: &str, series: &str) -> Result<f64> {
        let id = self.cell_id(cell)?;
        let found = self.manifest.timings.jobs.iter().find(|j| j.cell == id && j.policy == series);
        found.map(|j| j.seconds).ok_or_else(|| self.missing("job timing", &format!("{cell} / {series}"), &[]))
    }

    fn missing(&self, what: &str, name: &str, known: &[String]) -> Error {
        let known = if known.is_empty() { String::new() } else { format!(" (it has: {})", known.join(", ")) };
        Error::Claim(format!("{}: no {what} `{name}`{known}", self.dir.display()))
    }
}

/// A paired difference of `paired.csv`: (replications, mean, ci_lo, ci_hi).
pub type PairedDiff = (u64, f64, f64, f64);
/// (cell id, series, baseline, metric) → its paired difference.
type Paired = BTreeMap<(String, String, String, String), PairedDiff>;

/// paired.csv: `cell,cell_label,policy,baseline,metric,n,mean_diff,sd,ci_lo,ci_hi`.
fn read_paired(path: &Path) -> Result<Paired> {
    let mut out = Paired::new();
    if !path.exists() {
        return Ok(out);
    }
    let bad = |e: csv::Error| Error::Claim(format!("{}: {e}", path.display()));
    let mut rd = csv::Reader::from_path(path).map_err(bad)?;
    for rec in rd.records() {
        let rec = rec.map_err(bad)?;
        let num = |i: usize| -> Result<f64> {
            // NaN (one replication) parses as NaN
            rec[i].parse().map_err(|_| Error::Claim(format!("{}: `{}` is not a number", path.display(), &rec[i])))
        };
        let n: u64 =
            rec[5].parse().map_err(|_| Error::Claim(format!("{}: `{}` is not a count", path.display(), &rec[5])))?;
        out.insert(
            (rec[0].to_string(), rec[2].to_string(), rec[3].to_string(), rec[4].to_string()),
            (n, num(6)?, num(8)?, num(9)?),
        );
    }
    Ok(out)
}
