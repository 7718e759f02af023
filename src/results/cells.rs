//! The cell store of a sharded run: one result file per cell, so that shards, reruns and a
//! merge assemble exactly what a single process computes.
//!
//! A cell file holds every job of one cell: the engine's folded statistics (Welford n, mean,
//! M2) and every replication's final values, floats as their IEEE bit patterns so that nothing
//! is lost in text. Line 1 is the JSON body, line 2 the hex content hash of line 1: a truncated
//! or corrupted file fails the check and is recomputed. The body names the cell and the run's
//! fingerprint (a hash of everything in the spec that changes numbers), so a file from another
//! spec is never taken for this one. Files are written atomically (temp file + rename).

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::atomic_write;
use crate::engine::JobResult;
use crate::error::{Error, Result, io};
use crate::rng::content_hash;
use crate::stats::Welford;

#[derive(Serialize, Deserialize)]
struct JobRecord {
    series: String,
    metrics: Vec<String>,
    grid: Vec<u64>,
    proportion: Vec<bool>,
    /// (n, mean bits, M2 bits) per (metric, checkpoint).
    stats: Vec<(u64, u64, u64)>,
    /// finals\[m\]\[rep\] bits.
    finals: Vec<Vec<u64>>,
    seconds: f64,
}

#[derive(Serialize, Deserialize)]
struct CellRecord {
    format: u32,
    fingerprint: String,
    cell: String,
    jobs: Vec<JobRecord>,
}

/// What the store holds for one cell.
pub enum CellState {
    Valid(Vec<JobResult>),
    Missing,
    /// A file that fails its check (truncated, corrupted, or from another spec), and why.
    Invalid(String),
}

/// A folder of cell files.
pub struct CellStore {
    pub dir: PathBuf,
    fingerprint: String,
}

impl CellStore {
    pub fn new(dir: PathBuf, fingerprint: u64) -> CellStore {
        CellStore { dir, fingerprint: format!("{fingerprint:016x}") }
    }

    pub fn path(&self, cell: &str) -> PathBuf {
        self.dir.join(format!("{cell}.cell"))
    }

    /// Writes the jobs of one cell (in job order) atomically.
    pub fn write(&self, cell: &str, jobs: &[JobResult]) -> Result<()> {
        fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let rec = CellRecord {
            format: 1,
            fingerprint: self.fingerprint.clone(),
            cell: cell.to_string(),
            jobs: jobs
                .iter()
                .map(|j| JobRecord {
                    series: j.series.clone(),
                    metrics: j.metrics.clone(),
                    grid: j.grid.clone(),
                    proportion: j.proportion.clone(),
                    stats: j
                        .stats
                        .iter()
                        .map(|w| {
                            let (n, m, v) = w.parts();
                            (n, m.to_bits(), v.to_bits())
                        })
                        .collect(),
                    finals: j.finals.iter().map(|f| f.iter().map(|x| x.to_bits()).collect()).collect(),
                    seconds: j.seconds,
                })
                .collect(),
        };
        let body = serde_json::to_string(&rec)
            .map_err(|e| Error::BadResults { path: self.path(cell), message: e.to_string() })?;
        let text = format!("{body}\n{:016x}\n", content_hash(body.as_bytes()));
        atomic_write(&self.path(cell), text.as_bytes())
    }

    /// Reads and checks one cell's file.
    pub fn read(&self, cell: &str) -> CellState {
        let path = self.path(cell);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return CellState::Missing,
            Err(e) => return CellState::Invalid(e.to_string()),
        };
        let mut lines = text.split('\n');
        let (Some(body), Some(hash)) = (lines.next(), lines.next()) else {
            return CellState::Invalid("truncated (no hash line)".into());
        };
        if format!("{:016x}", content_hash(body.as_bytes())) != hash {
            return CellState::Invalid("content hash mismatch (truncated or corrupted)".into());
        }
        let rec: CellRecord = match serde_json::from_str(body) {
            Ok(r) => r,
            Err(e) => return CellState::Invalid(format!("unreadable: {e}")),
        };
        if rec.fingerprint != self.fingerprint || rec.cell != cell || rec.format != 1 {
            return CellState::Invalid("written for another spec (fingerprint or cell differs)".into());
        }
        CellState::Valid(
            rec.jobs
                .into_iter()
                .map(|j| JobResult {
                    cell: cell.to_string(),
                    series: j.series,
                    metrics: j.metrics,
                    grid: j.grid,
                    proportion: j.proportion,
                    stats: j
                        .stats
                        .into_iter()
                        .map(|(n, m, v)| Welford::from_parts(n, f64::from_bits(m), f64::from_bits(v)))
                        .collect(),
                    finals: j.finals.into_iter().map(|f| f.into_iter().map(f64::from_bits).collect()).collect(),
                    seconds: j.seconds,
                })
                .collect(),
        )
    }
}

/// Shard numbers in Slurm's `--array` syntax: "0,2-4,7".
pub fn array_syntax(shards: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < shards.len() {
        let mut j = i;
        while j + 1 < shards.len() && shards[j + 1] == shards[j] + 1 {
            j += 1;
        }
        out.push(if j > i { format!("{}-{}", shards[i], shards[j]) } else { shards[i].to_string() });
        i = j + 1;
    }
    out.join(",")
}

/// The store folder of a run folder: `results/<name>` → `results/<name>.cells`.
pub fn store_dir(run_dir: &Path) -> PathBuf {
    let name = run_dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "run".into());
    run_dir.with_file_name(format!("{name}.cells"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_syntax_hand_computed() {
        assert_eq!(array_syntax(&[0, 2, 3, 4, 7]), "0,2-4,7");
        assert_eq!(array_syntax(&[5]), "5");
        assert_eq!(array_syntax(&[]), "");
    }

    #[test]
    fn cells_round_trip_bit_for_bit_and_damage_is_detected() {
        let dir = std::env::temp_dir().join(format!("regretlab-cells-{}", std::process::id()));
        let store = CellStore::new(dir.clone(), 42);
        let mut w = Welford::default();
        [0.1, f64::NAN, -3.0].iter().for_each(|&x| w.push(x));
        let job = JobResult {
            cell: "c".into(),
            series: "s".into(),
            metrics: vec!["m".into()],
            grid: vec![5],
            stats: vec![w],
            finals: vec![vec![0.1 + 0.2, f64::INFINITY, -0.0]],
            proportion: vec![false],
            seconds: 1.5,
        };
        store.write("c", std::slice::from_ref(&job)).unwrap();
        let CellState::Valid(back) = store.read("c") else { panic!("not valid") };
        assert_eq!(
            back[0].finals[0].iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            job.finals[0].iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        assert_eq!(back[0].stats[0].parts().0, 3);
        assert!(matches!(CellStore::new(dir.clone(), 43).read("c"), CellState::Invalid(_)));
        assert!(matches!(store.read("other"), CellState::Missing));
        let p = store.path("c");
        let text = fs::read(&p).unwrap();
        fs::write(&p, &text[..text.len() / 2]).unwrap();
        assert!(matches!(store.read("c"), CellState::Invalid(_)));
        let mut bad = text.clone();
        bad[20] ^= 1;
        fs::write(&p, &bad).unwrap();
        assert!(matches!(store.read("c"), CellState::Invalid(_)));
        let _ = fs::remove_dir_all(&dir);
    }
}
