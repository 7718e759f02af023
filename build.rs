//! Embeds `experiments/*.toml` and `claims/*.toml` into the binary and records the git commit
//! when there is one.
use std::{env, fs, path::Path, process::Command};

/// Writes `OUT_DIR/<folder>.rs`: a `&[(stem, text)]` of the folder's TOML files, by name.
fn embed(folder: &str) {
    println!("cargo:rerun-if-changed={folder}");
    let mut entries: Vec<(String, String)> = Vec::new();
    if let Ok(rd) = fs::read_dir(folder) {
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "toml") {
                println!("cargo:rerun-if-changed={}", p.display());
                let stem = p.file_stem().unwrap().to_string_lossy().to_string();
                let abs = fs::canonicalize(&p).unwrap();
                entries.push((stem, abs.display().to_string()));
            }
        }
    }
    entries.sort();
    let body: Vec<String> = entries.iter().map(|(n, p)| format!("({n:?}, include_str!({p:?}))")).collect();
    let out = Path::new(&env::var("OUT_DIR").unwrap()).join(format!("{folder}.rs"));
    fs::write(out, format!("&[{}]", body.join(", "))).unwrap();
}

fn main() {
    embed("experiments");
    embed("claims");

    // The commit changes when HEAD moves to another branch or the branch's ref moves. Nothing
    // under .git that `git status` rewrites (the index) is watched, and the dirty check below
    // never writes it (`--no-optional-locks`): otherwise a `git status` would make the next
    // build recompile the crate. "Dirty" is re-read whenever a watched source changes.
    // .git/logs/HEAD gets a line at every commit and checkout, also when the branch's ref is
    // packed (and so has no file of its own to watch); `git status` never writes it.
    let mut watch = vec![".git/HEAD".to_string(), ".git/packed-refs".to_string(), ".git/logs/HEAD".to_string()];
    if let Ok(head) = fs::read_to_string(".git/HEAD")
        && let Some(r) = head.trim().strip_prefix("ref: ")
    {
        watch.push(format!(".git/{r}"));
    }
    watch.extend(SOURCES.iter().map(|s| s.to_string()));
    for f in watch.iter().filter(|f| Path::new(f.as_str()).exists()) {
        println!("cargo:rerun-if-changed={f}");
    }
    let git = |args: &[&str]| {
        Command::new("git").arg("--no-optional-locks").args(args).output().ok().filter(|o| o.status.success())
    };
    let mut commit =
        git(&["rev-parse", "HEAD"]).map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default();
    let mut status = vec!["status", "--porcelain", "--untracked-files=no", "--"];
    status.extend(SOURCES);
    if !commit.is_empty()
        && let Some(o) = git(&status)
        && !o.stdout.is_empty()
    {
        commit.push_str("-dirty");
    }
    println!("cargo:rustc-env=REGRETLAB_GIT_COMMIT={commit}");
}

/// What decides the binary's numbers: a difference here from the commit marks it dirty
/// (results/ and the docs do not count).
const SOURCES: [&str; 6] = ["src", "Cargo.toml", "Cargo.lock", "build.rs", "experiments", "claims"];
