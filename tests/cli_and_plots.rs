//! The commands a person types: `list`, `run --quick`, `plot <dir>`; the figures they get.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_regretlab"))
}

#[test]
fn list_names_the_default_experiment() {
    let o = bin().arg("list").output().unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("b1_quick"));
}

#[test]
fn quick_run_writes_table_csvs_and_figures_and_plot_redraws_them() {
    let out = std::env::temp_dir().join(format!("regretlab-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let o =
        bin().args(["run", "b1_quick", "--quick", "--threads", "2", "--out", out.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("table:") && stdout.contains("figure:"), "{stdout}");
    for f in [
        "manifest.json",
        "curves.csv",
        "final.csv",
        "summary.csv",
        "table.md",
        "overlays.csv",
        "b1_pseudo_regret.svg",
        "b1_pseudo_regret.png",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let png = std::fs::read(out.join("b1_pseudo_regret.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = std::fs::read_to_string(out.join("b1_pseudo_regret.svg")).unwrap();
    // labels are drawn as text: the legend names every policy and the overlays
    for label in ["UCB1-fixed", "KL-UCB", "TS-Beta", "Lai-Robbins", "[theory]"] {
        assert!(svg.contains(label), "{label} missing from the SVG");
    }
    std::fs::remove_file(out.join("b1_pseudo_regret.svg")).unwrap();
    let o = bin().args(["plot", out.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("b1_pseudo_regret.svg").is_file());
    // no temporary files are left behind
    assert!(std::fs::read_dir(&out).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().contains("tmp")));
    // a rerun replaces the folder as a whole: files of the previous run (those its manifest
    // lists) that the new one does not write (a stale figure) are gone, and no staging folder
    // is left beside it
    std::fs::write(out.join("stale_figure.png"), b"old").unwrap();
    let m = std::fs::read_to_string(out.join("manifest.json"))
        .unwrap()
        .replace("\"files\": [", "\"files\": [\n    \"stale_figure.png\",");
    std::fs::write(out.join("manifest.json"), m).unwrap();
    let o = bin().args(["run", "b1_quick", "--quick", "--reps", "5", "--out", out.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!out.join("stale_figure.png").exists());
    assert!(out.join("manifest.json").is_file());
    let parent = out.parent().unwrap();
    let name = out.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        std::fs::read_dir(parent).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(&format!(".{name}.")))
    );
}

/// Every built-in experiment parses, and every one that needs no external data validates.
#[test]
fn every_builtin_experiment_is_valid() {
    for (name, text) in regretlab::experiment::BUILTIN {
        let spec = regretlab::spec::parse(text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        if text.contains("\"movielens\"") {
            continue;
        }
        spec.validate(&regretlab::spec::Overrides::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// A spec with `[plot.histogram]` writes `histogram.csv`: per cell and series, bins whose counts
/// add up to the replications (values outside the range in rows with an infinite end), the
/// counts equal to a count of final.csv's values by hand; one figure per cell; `plot` redraws
/// them from the CSV.
#[test]
fn histograms_are_written_and_redrawn() {
    let out = std::env::temp_dir().join(format!("regretlab-hist-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let o = bin().args(["run", "lsd_ratios", "--quick", "--out", out.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.join("histogram.csv")).unwrap();
    let rows = regretlab::results::read_histogram(&out.join("histogram.csv")).unwrap();
    let mut fin = csv::Reader::from_path(out.join("final.csv")).unwrap();
    let col = fin.headers().unwrap().iter().position(|h| h == "ratio_to_opt").unwrap();
    let finals: Vec<(String, String, f64)> = fin
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].to_string(), r[col].parse().unwrap())
        })
        .collect();
    let mut checked = 0;
    for r in &rows {
        let here = finals.iter().filter(|f| f.0 == r.cell && f.1 == r.series);
        // the spec's range is [0.4, 1.1]; its last bin is closed
        let n = here
            .filter(|f| match (r.lo.is_infinite(), r.hi.is_infinite()) {
                (true, _) => f.2 < 0.4,
                (_, true) => f.2 > 1.1,
                _ if r.hi == 1.1 => f.2 >= r.lo && f.2 <= r.hi,
                _ => f.2 >= r.lo && f.2 < r.hi,
            })
            .count();
        assert_eq!(n as u64, r.count, "{csv}: row {r:?}");
        checked += 1;
    }
    // 5 classes × 5 series × 60 bins, plus the out-of-range rows
    assert!(checked >= 5 * 5 * 60, "{checked}");
    for c in ["monotone", "satiation"] {
        let png = out.join(format!("histogram_{c}.png"));
        assert_eq!(&std::fs::read(&png).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
        std::fs::remove_file(&png).unwrap();
    }
    let o = bin().args(["plot", out.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("histogram_monotone.png").is_file() && out.join("histogram_satiation.svg").is_file());
    let _ = std::fs::remove_dir_all(&out);
}

/// A spec with `[plot.heatmap]` writes `heatmap.csv` (one row per series and cell, with the
/// ratio to the named overlay) and one heatmap figure per series; `plot` redraws them; a pointer
/// that reads no number is refused before anything runs.
#[test]
fn heatmaps_are_written_and_redrawn() {
    let out = std::env::temp_dir().join(format!("regretlab-heat-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let o =
        bin().args(["run", "sea_heatmap", "--quick", "--reps", "2", "--out", out.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.join("heatmap.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 36 * 3, "{csv}");
    // Each square's reference is the rate overlay of its cell at the last checkpoint, and its
    // mean is that cell's final mean in curves.csv.
    let overlays = regretlab::results::read_overlays(&out.join("overlays.csv")).unwrap();
    let curves = regretlab::results::read_curves(&out.join("curves.csv")).unwrap();
    for r in &rows {
        let f: Vec<&str> = r.split(',').collect();
        let (cell, t): (&str, u64) = (f[1], f[4].parse().unwrap());
        let (mean, reference, ratio): (f64, f64, f64) =
            (f[5].parse().unwrap(), f[6].parse().unwrap(), f[7].parse().unwrap());
        let rate = overlays
            .iter()
            .find(|o| o.cell == cell && o.label.starts_with("√σ²(1:t)"))
            .and_then(|o| o.points.iter().find(|p| p.0 == t))
            .unwrap()
            .1;
        assert_eq!(rate, reference, "{r}");
        let m = curves
            .iter()
            .find(|c| c.cell == cell && c.policy == f[0] && c.metric == "regret" && c.t == t)
            .unwrap()
            .mean;
        assert_eq!(m, mean, "{r}");
        assert!((mean / reference - ratio).abs() <= 1e-12 * ratio.abs().max(1.0), "{r}");
    }
    for s in ["optimistic_omd", "optimistic_ftrl", "ogd"] {
        let png = out.join(format!("heatmap_{s}.png"));
        assert_eq!(&std::fs::read(&png).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
        std::fs::remove_file(&png).unwrap();
    }
    let o = bin().args(["plot", out.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("heatmap_ogd.png").is_file() && out.join("heatmap_ogd.svg").is_file());
    let _ = std::fs::remove_dir_all(&out);

    let text = regretlab::experiment::BUILTIN.iter().find(|(n, _)| *n == "sea_heatmap").unwrap().1;
    for (bad, field) in [
        (text.replace("/instance/sigma", "/instance/nope"), "plot.heatmap.x = /instance/nope"),
        (text.replace("ratio_to = \"√σ²(1:t)", "ratio_to = \"OGD rate"), "plot.heatmap.ratio_to = OGD rate"),
        (text.replace("metric = \"regret\", x", "metric = \"pulls\", x"), "plot.heatmap.metric = pulls"),
    ] {
        let e = regretlab::spec::parse(&bad, "h")
            .unwrap()
            .validate(&regretlab::spec::Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains(field), "{e}");
    }
}
