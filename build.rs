//! Embeds `experiments/*.toml` into the binary and records the git commit when there is one.
use std::{env, fs, path::Path, process::Command};

fn main() {
    println!("cargo:rerun-if-changed=experiments");
    let mut entries: Vec<(String, String)> = Vec::new();
    if let Ok(rd) = fs::read_dir("experiments") {
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
    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("experiments.rs");
    fs::write(out, format!("&[{}]", body.join(", "))).unwrap();

    for f in [".git/HEAD", ".git/index"] {
        if Path::new(f).exists() {
            println!("cargo:rerun-if-changed={f}");
        }
    }
    let commit = Command::new("git").args(["rev-parse", "HEAD"]).output().ok().filter(|o| o.status.success()).map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default();
    println!("cargo:rustc-env=REGRETLAB_GIT_COMMIT={commit}");
}
