//! Workload B2 side by side, in one run on one machine: value iteration on the S = 500, A = 10,
//! γ = 0.99 random dense MDP of `../shared/anchors/b2_common.py` (seed 2024), stopping when
//! ‖V_{k+1} − V_k‖∞ < 1e-8, with regretlab's f64 sweeps, its compensated 16-bit sweeps and
//! Gauss–Seidel, then the numpy and pymdptoolbox anchors (single-threaded BLAS).
//!
//! The MDP and numpy's V* are exported by python (`np.save`) and read with `mdp::io`, so every
//! system solves the same numbers; without python3 + numpy the bench falls back to regretlab's
//! own uniform-dense instance and skips the anchors. `cargo bench --bench b2_side_by_side`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use regretlab::mdp::io::{read_npy, read_npy_model};
use regretlab::mdp::planning::{
    CompensatedMdp, Solution, Stop, SweepOrder, ViOptions, value_iteration, value_iteration_compensated,
};
use regretlab::mdp::{TabularMdp, generate};

const GAMMA: f64 = 0.99;
const TOL: f64 = 1e-8;

fn anchors() -> Option<PathBuf> {
    ["../shared/anchors", "../../shared/anchors"].iter().map(PathBuf::from).find(|p| p.join("b2_common.py").is_file())
}

fn python(args: &[&str], dir: &Path) -> Option<String> {
    let out = Command::new("python3")
        .args(args)
        .current_dir(dir)
        .env_remove("OPENBLAS_CORETYPE")
        .env_remove("OPENBLAS_L2_SIZE")
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("OMP_NUM_THREADS", "1")
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("python3 {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).to_string())
}

fn policy_hash(p: &[usize]) -> u64 {
    p.iter().enumerate().map(|(s, &a)| a as u64 * (s as u64 + 1)).sum::<u64>() % 1_000_003
}

fn row(system: &str, sol: &Solution, wall: f64, reference: Option<&[f64]>) {
    let diff = reference.map(|r| sol.v.iter().zip(r).fold(0.0f64, |m, (a, b)| m.max((a - b).abs())));
    println!(
        "| {system} | {} | {:.4} | {:.3} | {:.6} | {} | {} | {:.2e} |",
        sol.iterations,
        1000.0 * wall / sol.iterations as f64,
        wall,
        sol.v[0],
        policy_hash(&sol.policy),
        diff.map(|d| format!("{d:.1e}")).unwrap_or("-".into()),
        sol.certificate.value_error
    );
}

fn main() {
    let tmp = std::env::temp_dir().join(format!("regretlab-b2-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let anchor_dir = anchors();
    let skip_anchors = std::env::var_os("B2_NO_ANCHORS").is_some();
    let exported = anchor_dir.as_ref().and_then(|dir| {
        let script = format!(
            "import numpy as np\nfrom b2_common import make_mdp\nfrom b2_numpy import solve\nP, R = make_mdp(2024)\nnp.save('{0}/P.npy', P)\nnp.save('{0}/R.npy', R)\nV, pol, it = solve(P, R, 'supnorm')\nnp.save('{0}/V.npy', V)\n",
            tmp.display()
        );
        python(&["-c", &script], dir).map(|_| ())
    });
    let (mdp, v_numpy): (TabularMdp, Option<Vec<f64>>) = match exported {
        Some(()) => (
            read_npy_model(&tmp.join("P.npy"), &tmp.join("R.npy")).unwrap(),
            Some(read_npy(&tmp.join("V.npy")).unwrap().1),
        ),
        None => {
            eprintln!(
                "python3 with numpy or the anchors not found: using regretlab's own uniform-dense instance, no anchors"
            );
            (generate::uniform_dense(500, 10, 2024).unwrap(), None)
        }
    };
    println!(
        "| system | sweeps | ms per sweep | total s | V*[0] | policy hash | max abs V diff to numpy | certified error bound |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let reference = v_numpy.as_deref();

    let t0 = Instant::now();
    let cm = CompensatedMdp::new(&mdp).unwrap();
    let build = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let (f32sol, stats) = value_iteration_compensated(&cm, &mdp, GAMMA, Stop::Residual(TOL), 1_000_000).unwrap();
    row(
        &format!("regretlab VI, compensated 16-bit storage ({} f64 rebase sweeps)", stats.rebase_sweeps),
        &f32sol,
        t0.elapsed().as_secs_f64(),
        reference,
    );

    let t0 = Instant::now();
    let sol = value_iteration(
        &mdp,
        GAMMA,
        &ViOptions { stop: Stop::Residual(TOL), max_iter: 1_000_000, sweep: SweepOrder::Jacobi },
    )
    .unwrap();
    row("regretlab VI, f64", &sol, t0.elapsed().as_secs_f64(), reference);

    let t0 = Instant::now();
    let gs = value_iteration(
        &mdp,
        GAMMA,
        &ViOptions { stop: Stop::Residual(TOL), max_iter: 1_000_000, sweep: SweepOrder::GaussSeidel },
    )
    .unwrap();
    row("regretlab Gauss–Seidel VI, f64", &gs, t0.elapsed().as_secs_f64(), reference);
    eprintln!("16-bit storage built in {build:.3} s; certificate: {}", f32sol.certificate.statement);

    if let (Some(dir), Some(_), false) = (&anchor_dir, &v_numpy, skip_anchors) {
        let mut iters = sol.iterations.to_string();
        for (name, args) in [
            ("numpy", vec!["b2_numpy.py", "--crit", "supnorm"]),
            ("pymdptoolbox", vec!["b2_pymdptoolbox.py", "--lib", "sawcordwell", "--crit", "supnorm", "--iters"]),
        ] {
            let mut a = args.clone();
            if name == "pymdptoolbox" {
                a.push(&iters);
            }
            match python(&a, dir) {
                Some(out) => {
                    let j: serde_json::Value =
                        serde_json::from_str(out.lines().last().unwrap_or("{}")).unwrap_or_default();
                    let ms = j
                        .get("run_ms_per_sweep")
                        .or(j.get("ms_per_sweep"))
                        .and_then(|x| x.as_f64())
                        .unwrap_or(f64::NAN);
                    println!(
                        "| {name} ({}) | {} | {ms:.4} | {} | {:.6} | {} | - | none |",
                        j["blas"].as_str().unwrap_or("?"),
                        j["iterations"],
                        j["wall_s"],
                        j["V0"].as_f64().unwrap_or(f64::NAN),
                        j["policy_hash"]
                    );
                    if name == "numpy" {
                        iters = j["iterations"].to_string();
                    }
                }
                None => println!("| {name} | not run (python3 or the package missing) | | | | | | |"),
            }
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
