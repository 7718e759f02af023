//! What a run will need, checked against what the machine has before anything is simulated:
//! memory for every replication's final values (the engine keeps them for quantiles, paired
//! comparisons and `final.csv`) and disk for `final.csv`. A run that cannot finish is refused at
//! once with the numbers and the field to change, instead of aborting on allocation hours in.

use std::path::Path;

use crate::engine::{GPU_BLOCK, Job, default_grid};
use crate::error::{Error, Result};

/// Bytes a run needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Need {
    pub memory: u64,
    pub disk: u64,
}

/// The memory and disk of `reps` replications of `jobs` (disk: `final.csv` as `final_csv`
/// estimates it, plus figures and the small CSVs).
pub fn estimate(jobs: &[Job], reps: u64, final_csv: u64) -> Need {
    let mut memory: u64 = 64 << 20; // the process, tables, plots
    let mut widest = 0u64;
    for j in jobs {
        let m = j.sim.metrics().len() as u64;
        let g = j.sim.grid().map(|g| g.len()).unwrap_or_else(|| default_grid(j.sim.horizon()).len()) as u64;
        // finals (8 bytes a value) and the summary's sorted copy of one metric at a time;
        // Welford accumulators per checkpoint; a work item per block of 64 replications
        memory += m * reps * 8 + reps * 8 + m * g * 24 + reps.div_ceil(64) * 24;
        widest = widest.max(m * (g + 1) * 8);
    }
    // the largest GPU batch's traces (the CPU's waves are far smaller)
    memory += widest * GPU_BLOCK.min(reps.max(1));
    Need { memory, disk: final_csv + (16 << 20) }
}

/// Memory the kernel says is available (Linux's `MemAvailable`); None where unknown.
pub fn memory_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Free bytes for an unprivileged writer on the file system holding `path`; None where unknown.
pub fn disk_available(path: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        // SAFETY: a NUL-terminated path and a statvfs the call fills.
        let r = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
        // file systems that report "unlimited" would overflow the product
        (r == 0).then(|| (st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

fn gib(b: u64) -> String {
    format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64)
}

/// Refuses a run whose need exceeds what is available (`memory`, `disk` as measured; None:
/// not checked). `reps` and `jobs` go into the message, with the largest `reps` that fits.
pub fn check(need: Need, memory: Option<u64>, disk: Option<u64>, reps: u64, jobs: usize, out: &Path) -> Result<()> {
    let fits = |need: u64, have: u64| need as f64 <= 0.9 * have as f64;
    let mut problems = Vec::new();
    let mut max_reps = reps;
    if let Some(have) = memory
        && !fits(need.memory, have)
    {
        problems.push(format!("about {} of memory, {} available", gib(need.memory), gib(have)));
        max_reps = max_reps.min((reps as f64 * 0.9 * have as f64 / need.memory as f64) as u64);
    }
    if let Some(have) = disk
        && !fits(need.disk, have)
    {
        problems.push(format!(
            "about {} of disk for final.csv in {}, {} free",
            gib(need.disk),
            out.display(),
            gib(have)
        ));
        max_reps = max_reps.min((reps as f64 * 0.9 * have as f64 / need.disk as f64) as u64);
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(Error::Invalid {
        field: "reps".into(),
        value: reps.to_string(),
        reason: format!("{reps} replications of {jobs} job(s) need {}; nothing was run", problems.join(" and ")),
        allowed: format!("at most about {} on this machine (or a sharded run over several machines)", max_reps.max(1)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_much_is_refused_with_numbers_and_the_field() {
        let need = Need { memory: 15 << 30, disk: 1 << 30 };
        let e = check(need, Some(8 << 30), Some(100 << 30), 100_000_000, 3, Path::new("/r")).unwrap_err().to_string();
        assert!(e.contains("reps = 100000000") && e.contains("15.0 GiB of memory, 8.0 GiB available"), "{e}");
        // 0.9 · 8 / 15 of 10^8
        let most: f64 = e.split("at most about ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
        assert!((most - 4.8e7).abs() <= 1.0, "{e}");
        let e =
            check(Need { memory: 1 << 20, disk: 20 << 30 }, Some(8 << 30), Some(10 << 30), 1000, 1, Path::new("/r"))
                .unwrap_err()
                .to_string();
        assert!(e.contains("disk") && e.contains("10.0 GiB free"), "{e}");
        check(Need { memory: 1 << 20, disk: 1 << 20 }, Some(8 << 30), Some(10 << 30), 1000, 1, Path::new("/r"))
            .unwrap();
        check(Need { memory: u64::MAX, disk: u64::MAX }, None, None, 1000, 1, Path::new("/r")).unwrap();
    }

    #[test]
    fn this_machine_reports_memory_and_disk() {
        if cfg!(target_os = "linux") {
            assert!(memory_available().is_some_and(|m| m > 0));
            assert!(disk_available(Path::new("/")).is_some());
        }
    }
}
