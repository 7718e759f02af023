//! The run folder on disk: checked and staged before any simulation, filled in a hidden
//! staging sibling, and swapped into place in one atomic step.
//!
//! - Before simulating, [`begin`] creates the staging folder next to `--out` and creates (then
//!   removes) every file the run will write there, so a read-only folder or a file name that is
//!   too long fails at once, not after hours of computing.
//! - A folder is replaced only when it is empty or a previous run's, and only when it holds no
//!   file that regretlab did not write (a user's `NOTES.md`): those are never deleted.
//! - [`Staging::commit`] exchanges the staging folder and the old run folder with
//!   `renameat2(RENAME_EXCHANGE)` on Linux: `--out` always names a complete run, old or new.
//!   Where the exchange is not supported, two renames with a rollback of the first.
//! - Staging and old folders left by processes that died are removed by the next run into the
//!   same place.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// Files of every run folder (figures and heatmap files vary with the spec).
pub const RUN_FILES: [&str; 9] = [
    "curves.csv",
    "final.csv",
    "overlays.csv",
    "summary.csv",
    "paired.csv",
    "table.md",
    "manifest.json",
    "heatmap.csv",
    "histogram.csv",
];

/// `--out` as an absolute path without `.` or `..`, so that `--out .` inside a run folder names
/// that folder (renaming "." fails) and messages show where the run goes.
pub fn resolve(dir: &Path) -> Result<PathBuf> {
    let abs = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir().map_err(|e| Error::Io { path: dir.to_path_buf(), error: e })?.join(dir)
    };
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.file_name().is_none() {
        return Err(Error::InvalidOption {
            option: "--out".into(),
            value: dir.display().to_string(),
            allowed: "a folder below the file-system root".into(),
        });
    }
    Ok(out)
}

/// This machine's name, in leftover folders' names: on a shared file system a process id means
/// nothing on another host.
fn host() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer outlives the call, which writes at most its length.
    #[cfg(unix)]
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    #[cfg(not(unix))]
    let ok = false;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(0);
    let name: String = if ok {
        String::from_utf8_lossy(&buf[..end])
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
            .collect()
    } else {
        String::new()
    };
    if name.is_empty() { "host".into() } else { name }
}

/// The hidden sibling of `dir` where process `pid` of this host stages a run (`staging`) or
/// moves the previous one aside (`old`).
pub fn leftover(dir: &Path, what: &str, pid: u32) -> PathBuf {
    let name = dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    dir.with_file_name(format!(".{name}.{what}-{}-{pid}", host()))
}

/// A visible sibling (`NAME.unsaved-PID`, `NAME.previous-PID`) for what must not be lost.
fn visible(dir: &Path, what: &str) -> PathBuf {
    let name = dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    dir.with_file_name(format!("{name}.{what}-{}", std::process::id()))
}

/// Refuses to replace `dir` unless it is absent, empty, or a previous run folder holding only
/// files a run writes (those its manifest lists, or for older manifests the run's own names
/// and figures); names the foreign files otherwise.
pub fn check_replaceable(dir: &Path, will_write: &[String]) -> Result<()> {
    let meta = match fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::Io { path: dir.to_path_buf(), error: e }),
    };
    if !meta.is_dir() {
        return Err(Error::BadResults {
            path: dir.to_path_buf(),
            message: "exists and is not a folder; refusing to replace it".into(),
        });
    }
    let names: Vec<String> = fs::read_dir(dir)
        .map_err(|e| Error::Io { path: dir.to_path_buf(), error: e })?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    let manifest = dir.join("manifest.json");
    if !manifest.is_file() {
        return Err(Error::BadResults {
            path: dir.to_path_buf(),
            message: "exists and is not a regretlab run folder (no manifest.json); refusing to replace it".into(),
        });
    }
    let mut foreign = foreign_files(dir, names, will_write);
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    let shown: Vec<String> = foreign.iter().take(5).map(|n| crate::text::escape_controls(n)).collect();
    Err(Error::BadResults {
        path: dir.to_path_buf(),
        message: format!(
            "holds {} file(s) that regretlab did not write ({}{}); a rerun would delete them: move them elsewhere or choose another --out",
            foreign.len(),
            shown.join(", "),
            if foreign.len() > 5 { ", …" } else { "" }
        ),
    })
}

/// The entries of run folder `dir` (named `names`) that no run wrote: not in its manifest's
/// file list (for older manifests: not a run file or figure) and not in `will_write`.
fn foreign_files(dir: &Path, names: Vec<String>, will_write: &[String]) -> Vec<String> {
    let manifest = dir.join("manifest.json");
    let listed: Option<Vec<String>> = fs::read_to_string(&manifest)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v.get("files").and_then(|f| serde_json::from_value(f.clone()).ok()));
    let ours = |n: &str| {
        will_write.iter().any(|w| w == n)
            || RUN_FILES.contains(&n)
            || match &listed {
                Some(files) => files.iter().any(|f| f == n),
                // manifests before the file list: the figures a run draws
                None => n.ends_with(".svg") || n.ends_with(".png"),
            }
    };
    names.into_iter().filter(|n| !ours(n)).collect()
}

/// A run folder being written: files go to [`Staging::file`], [`Staging::commit`] puts the
/// folder in place; dropped uncommitted, it removes itself.
#[derive(Debug)]
pub struct Staging {
    pub dir: PathBuf,
    path: PathBuf,
    committed: bool,
}

/// Prepares a run into `dir` (absolute, see [`resolve`]): creates its parent, removes the
/// leftovers of dead runs there, creates the staging folder and probes every name in
/// `will_write`. Errors name `dir` and the file, never the hidden staging folder.
pub fn begin(dir: &Path, will_write: &[String]) -> Result<Staging> {
    let parent = dir.parent().unwrap_or(Path::new("/"));
    fs::create_dir_all(parent).map_err(|e| Error::Io { path: parent.to_path_buf(), error: e })?;
    remove_dead_leftovers(dir);
    let path = leftover(dir, "staging", std::process::id());
    let _ = fs::remove_dir_all(&path);
    let name = dir.file_name().map(|n| n.to_string_lossy().len()).unwrap_or(0);
    fs::create_dir(&path).map_err(|e| {
        let why = if e.raw_os_error() == Some(36) {
            format!("{e} (the folder's name has {name} bytes; with the staging suffix it must stay under 255)")
        } else {
            e.to_string()
        };
        Error::BadResults { path: dir.to_path_buf(), message: format!("cannot be written: {why}; nothing was run") }
    })?;
    let staging = Staging { dir: dir.to_path_buf(), path, committed: false };
    for f in will_write {
        let p = staging.path.join(f);
        fs::File::create(&p).and_then(|_| fs::remove_file(&p)).map_err(|e| Error::BadResults {
            path: dir.join(f),
            message: format!("cannot be written: {e}; nothing was run"),
        })?;
    }
    Ok(staging)
}

impl Staging {
    /// Where the run's file `name` is written until the commit.
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// The error for a failed write of `name`, naming the run folder, not the staging one.
    pub fn io(&self, name: &str) -> impl FnOnce(io::Error) -> Error + '_ {
        let path = self.dir.join(name);
        move |error| Error::Io { path, error }
    }

    /// Puts the staged folder at `dir`, replacing the previous run in one step, and returns
    /// what the user should know. Nothing finished is lost on the way:
    /// - if the swap fails, the new run is kept beside `dir` as `NAME.unsaved-PID` and the
    ///   error names it;
    /// - if files that no run wrote appeared in the previous run folder while this run was
    ///   computing, the previous folder is kept as `NAME.previous-PID` instead of deleted.
    pub fn commit(mut self) -> Result<Vec<String>> {
        self.committed = true;
        let previous = match swap(&self.path, &self.dir, exchange, |a, b| fs::rename(a, b)) {
            Ok(p) => p,
            Err(e) => {
                let keep = visible(&self.dir, "unsaved");
                let kept = if fs::rename(&self.path, &keep).is_ok() { keep } else { self.path.clone() };
                return Err(Error::BadResults {
                    path: self.dir.clone(),
                    message: format!("{e}; the finished run is kept in {}", kept.display()),
                });
            }
        };
        let mut notes = Vec::new();
        if let Some(old) = previous {
            let names: Vec<String> = fs::read_dir(&old)
                .map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect())
                .unwrap_or_default();
            let foreign = foreign_files(&old, names, &[]);
            if foreign.is_empty() {
                // a failure leaves a leftover the next run removes, never a missing run folder
                let _ = fs::remove_dir_all(&old);
            } else {
                let keep = visible(&self.dir, "previous");
                let kept = if fs::rename(&old, &keep).is_ok() { keep } else { old };
                notes.push(format!(
                    "the previous run folder held files that regretlab did not write ({}); it is kept in {}",
                    foreign.join(", "),
                    kept.display()
                ));
            }
        }
        Ok(notes)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Swaps `staging` into `dir` and returns where the previous run now lies (None when there was
/// none): with an existing `dir`, `exchange` swaps the two atomically (the staging path then
/// holds the previous run); where it is unsupported, `dir` moves aside, `staging` takes its
/// place, and a failure of that second `rename` moves `dir` back. The functions are parameters
/// so that tests can make any step fail.
pub fn swap(
    staging: &Path,
    dir: &Path,
    exchange: impl Fn(&Path, &Path) -> io::Result<()>,
    rename: impl Fn(&Path, &Path) -> io::Result<()>,
) -> Result<Option<PathBuf>> {
    let err = |e: io::Error| Error::BadResults { path: dir.to_path_buf(), message: format!("cannot be replaced: {e}") };
    if fs::symlink_metadata(dir).is_err() {
        return rename(staging, dir).map(|()| None).map_err(err);
    }
    match exchange(staging, dir) {
        Ok(()) => Ok(Some(staging.to_path_buf())),
        Err(e) if matches!(e.raw_os_error(), Some(22 | 38 | 95)) || e.kind() == io::ErrorKind::Unsupported => {
            let old = leftover(dir, "old", std::process::id());
            let _ = fs::remove_dir_all(&old);
            rename(dir, &old).map_err(err)?;
            if let Err(e) = rename(staging, dir) {
                return match rename(&old, dir) {
                    Ok(()) => Err(err(e)),
                    Err(back) => {
                        // the previous run must not look like a dead process's leftover
                        let keep = visible(dir, "previous");
                        let at = if fs::rename(&old, &keep).is_ok() { keep } else { old };
                        Err(Error::BadResults {
                            path: dir.to_path_buf(),
                            message: format!(
                                "cannot be replaced: {e}; and moving the previous run back failed ({back}): it is at {}",
                                at.display()
                            ),
                        })
                    }
                };
            }
            Ok(Some(old))
        }
        Err(e) => Err(err(e)),
    }
}

/// `renameat2(a, b, RENAME_EXCHANGE)`: both paths stay occupied throughout.
#[cfg(target_os = "linux")]
pub fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let cb = CString::new(b.as_os_str().as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: two NUL-terminated paths that outlive the call; the syscall reads them only.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

#[cfg(not(target_os = "linux"))]
pub fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Whether process `pid` still runs (unknown: assume it does).
fn alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        // SAFETY: signal 0 only checks that the process exists.
        let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
        r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Removes `.NAME.staging-PID` and `.NAME.old-PID` beside `dir` whose process is gone.
pub fn remove_dead_leftovers(dir: &Path) {
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else { return };
    let name = name.to_string_lossy();
    let Ok(rd) = fs::read_dir(parent) else { return };
    let here = host();
    for e in rd.flatten() {
        let f = e.file_name().to_string_lossy().to_string();
        for what in ["staging", "old"] {
            // only this host's, only real process ids (kill(0) or kill(-1) would signal groups)
            let Some(pid) = f
                .strip_prefix(&format!(".{name}.{what}-{here}-"))
                .and_then(|p| p.parse::<u32>().ok())
                .filter(|&p| (1..=i32::MAX as u32).contains(&p))
            else {
                continue;
            };
            // an old folder is the previous run until the run folder is back in place
            if what == "old" && !dir.exists() {
                continue;
            }
            if pid != std::process::id() && !alive(pid) {
                let _ = fs::remove_dir_all(e.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("regretlab-rundir-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn run_folder(dir: &Path, marker: &str) {
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join("manifest.json"), "{}").unwrap();
        fs::write(dir.join("curves.csv"), marker).unwrap();
    }

    #[test]
    fn exchange_swaps_and_a_failing_second_rename_rolls_back() {
        let root = tmp("swap");
        let dir = root.join("run");
        run_folder(&dir, "old");
        let staged = root.join(".run.staging-1");
        run_folder(&staged, "new");
        // the fallback, second rename failing: the previous run is back in place
        let unsupported = |_: &Path, _: &Path| Err(io::Error::from_raw_os_error(22));
        let calls = std::cell::Cell::new(0);
        let failing = |a: &Path, b: &Path| {
            calls.set(calls.get() + 1);
            if calls.get() == 2 { Err(io::Error::other("injected")) } else { fs::rename(a, b) }
        };
        let e = swap(&staged, &dir, unsupported, failing).unwrap_err().to_string();
        assert!(e.contains("injected"), "{e}");
        assert_eq!(fs::read_to_string(dir.join("curves.csv")).unwrap(), "old");
        // the fallback succeeding: the previous run is handed back, not deleted
        let old = swap(&staged, &dir, unsupported, |a: &Path, b: &Path| fs::rename(a, b)).unwrap().unwrap();
        assert_eq!(fs::read_to_string(dir.join("curves.csv")).unwrap(), "new");
        assert_eq!(fs::read_to_string(old.join("curves.csv")).unwrap(), "old");
        assert!(!staged.exists());
        fs::remove_dir_all(&old).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn renameat2_exchanges_two_folders() {
        let root = tmp("exchange");
        let (a, b) = (root.join("a"), root.join("b"));
        run_folder(&a, "A");
        run_folder(&b, "B");
        exchange(&a, &b).unwrap();
        assert_eq!(fs::read_to_string(a.join("curves.csv")).unwrap(), "B");
        assert_eq!(fs::read_to_string(b.join("curves.csv")).unwrap(), "A");
        assert!(exchange(&a, &root.join("missing")).is_err());
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn commit_replaces_the_run_and_keeps_what_a_user_added_meanwhile() {
        let root = tmp("commit");
        let dir = root.join("run");
        run_folder(&dir, "old");
        fs::write(dir.join("manifest.json"), r#"{"files": ["curves.csv", "manifest.json"]}"#).unwrap();
        let st = begin(&dir, &["curves.csv".into()]).unwrap();
        run_folder(&st.file(""), "new");
        // written by the user while the run computed, after the check before it
        fs::write(dir.join("NOTES.md"), "mine").unwrap();
        let notes = st.commit().unwrap();
        assert_eq!(fs::read_to_string(dir.join("curves.csv")).unwrap(), "new");
        assert!(notes.len() == 1 && notes[0].contains("NOTES.md"), "{notes:?}");
        let kept = visible(&dir, "previous");
        assert_eq!(fs::read_to_string(kept.join("NOTES.md")).unwrap(), "mine");
        // a plain rerun leaves nothing beside the run folder
        fs::remove_dir_all(&kept).unwrap();
        let st = begin(&dir, &["curves.csv".into()]).unwrap();
        run_folder(&st.file(""), "newer");
        assert!(st.commit().unwrap().is_empty());
        let names: Vec<String> =
            fs::read_dir(&root).unwrap().flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect();
        assert_eq!(names, ["run"]);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn leftovers_of_dead_processes_are_removed_and_live_ones_kept() {
        let root = tmp("leftovers");
        let dir = root.join("run");
        // a pid that no process has (above the kernel's pid_max of 2^22)
        let dead = 4_194_309u32;
        for what in ["staging", "old"] {
            fs::create_dir_all(leftover(&dir, what, dead)).unwrap();
        }
        let live = leftover(&dir, "staging", 1); // init runs as long as the machine does
        fs::create_dir_all(&live).unwrap();
        let other = root.join(".other.staging-4194309");
        fs::create_dir_all(&other).unwrap();
        let elsewhere = root.join(".run.staging-another-host-4194309");
        fs::create_dir_all(&elsewhere).unwrap();
        // while the run folder is missing, an old folder may be the only copy of the last run
        remove_dead_leftovers(&dir);
        assert!(!leftover(&dir, "staging", dead).exists() && leftover(&dir, "old", dead).exists());
        fs::create_dir_all(&dir).unwrap();
        remove_dead_leftovers(&dir);
        assert!(!leftover(&dir, "old", dead).exists());
        assert!(live.exists() && other.exists() && elsewhere.exists());
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn foreign_files_are_never_replaced() {
        let root = tmp("foreign");
        let dir = root.join("run");
        run_folder(&dir, "x");
        fs::write(dir.join("b1_pseudo_regret.png"), "").unwrap();
        check_replaceable(&dir, &[]).unwrap();
        fs::write(dir.join("NOTES.md"), "mine").unwrap();
        let e = check_replaceable(&dir, &[]).unwrap_err().to_string();
        assert!(e.contains("NOTES.md") && e.contains("did not write"), "{e}");
        // a manifest with a file list: only those files are the run's
        fs::remove_file(dir.join("NOTES.md")).unwrap();
        fs::write(dir.join("manifest.json"), r#"{"files": ["curves.csv", "manifest.json"]}"#).unwrap();
        let e = check_replaceable(&dir, &[]).unwrap_err().to_string();
        assert!(e.contains("b1_pseudo_regret.png"), "{e}");
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn begin_probes_every_name_and_names_the_run_folder() {
        let root = tmp("probe");
        let dir = root.join("run");
        let long = format!("{}.csv", "x".repeat(300));
        let e = begin(&dir, &["curves.csv".into(), long]).unwrap_err().to_string();
        assert!(
            e.contains("cannot be written") && e.contains(&dir.display().to_string()) && !e.contains("staging"),
            "{e}"
        );
        // the staging folder went away with the failure
        assert_eq!(fs::read_dir(&root).unwrap().count(), 0);
        assert_eq!(resolve(Path::new("/a/./b/../c")).unwrap(), PathBuf::from("/a/c"));
        fs::remove_dir_all(&root).unwrap();
    }
}
