//! The claims report of one paper: a Markdown table (claim, the paper's value, ours, verdict,
//! figure, the command that regenerates it) and the same as a self-contained HTML page with the
//! figures inlined. No dates or timings: a report of the same runs is the same bytes.

use std::path::{Component, Path, PathBuf};

use base64::Engine as _;

use super::{Claim, Outcome, Paper};
use crate::error::{Result, io};
use crate::plot::slug;
use crate::results::read_manifest;
use crate::text::table_cell as cell;

/// The Markdown report; figure links are relative to `report_dir`.
pub fn markdown(
    paper: &Paper,
    outcomes: &[(Claim, Outcome)],
    root: &Path,
    report_dir: &Path,
    command: &str,
) -> Result<String> {
    let mut s = format!("# Claims: {}\n\n", paper.title);
    s += &format!("Regenerate: `{command}`. {}\n\n", provenance(paper, root)?);
    s += "| claim | statement | paper | ours | verdict | figure |\n|---|---|---|---|---|---|\n";
    for (c, o) in outcomes {
        let fig = match &c.experiment {
            Some(e) if c.check.needs_run() => figure(c, root)?
                .map(|f| format!("[{e}]({})", relative(report_dir, &f).display()))
                .unwrap_or_else(|| e.clone()),
            _ => "—".into(),
        };
        s += &format!(
            "| {} | {} | {} | {} | **{}** | {} |\n",
            cell(&c.id),
            cell(&c.statement),
            cell(&c.paper_value),
            cell(&o.ours),
            o.verdict.text(),
            fig
        );
    }
    s += "\n## Details\n\n";
    for (c, o) in outcomes {
        if o.details.is_empty() && c.note.is_none() {
            continue;
        }
        s += &format!("- **{}**", c.id);
        if let Some(n) = &c.note {
            s += &format!(": {n}");
        }
        s += "\n";
        for d in &o.details {
            s += &format!("  - {d}\n");
        }
    }
    s += "\nVerdicts: *holds* — the interval of the statistic lies inside the claim's tolerance; \
          *does not hold* — it lies outside; *inconclusive at this size* — it straddles the \
          boundary; *not checked* — nothing to measure. Intervals are at each run's confidence \
          level; where a statistic combines estimates from the same replications, its \
          half-width is the worst case over their correlation.\n";
    Ok(s)
}

/// The HTML page: the Markdown table's content plus each claim's figure, inlined once.
pub fn html(paper: &Paper, outcomes: &[(Claim, Outcome)], root: &Path, command: &str) -> Result<String> {
    let e = html_escape;
    let mut s = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Claims: {0}</title>\n<style>\
         body{{font-family:sans-serif;max-width:1200px;margin:auto}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:4px;vertical-align:top}}.holds{{color:#070}}\
         .does_not_hold{{color:#b00}}.inconclusive{{color:#a60}}img{{max-width:560px}}</style></head><body>\n\
         <h1>Claims: {0}</h1>\n<p>Regenerate: <code>{1}</code>. {2}</p>\n",
        e(&paper.title),
        e(command),
        e(&provenance(paper, root)?)
    );
    s += "<table><tr><th>claim</th><th>statement</th><th>paper</th><th>ours</th><th>verdict</th><th>figure</th></tr>\n";
    let mut figures: Vec<PathBuf> = Vec::new();
    for (c, o) in outcomes {
        let fig = match figure(c, root)? {
            Some(f) => {
                let i = figures.iter().position(|g| *g == f).unwrap_or_else(|| {
                    figures.push(f.clone());
                    figures.len() - 1
                });
                format!("<a href=\"#fig{}\">figure {}</a>", i + 1, i + 1)
            }
            None => "—".into(),
        };
        let class =
            serde_json::to_value(o.verdict).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let mut ours = e(&o.ours);
        for d in &o.details {
            ours += &format!("<br><small>{}</small>", e(d));
        }
        if let Some(n) = &c.note {
            ours += &format!("<br><em>{}</em>", e(n));
        }
        s += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{ours}</td><td class=\"{class}\"><b>{}</b></td><td>{fig}</td></tr>\n",
            e(&c.id),
            e(&c.statement),
            e(&c.paper_value),
            o.verdict.text()
        );
    }
    s += "</table>\n<h2>Figures</h2>\n";
    for (i, f) in figures.iter().enumerate() {
        let bytes = std::fs::read(f).map_err(io(f))?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        let run = f.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let name = f.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        s += &format!(
            "<figure id=\"fig{0}\"><img alt=\"{1}\" src=\"data:image/png;base64,{b64}\"><figcaption>figure {0}: {1}</figcaption></figure>\n",
            i + 1,
            e(&format!("{run}/{name}"))
        );
    }
    s += "</body></html>\n";
    Ok(s)
}

/// The figure of a claim: its cell's and metric's where the check reads one cell, else the first
/// of its run.
fn figure(c: &Claim, root: &Path) -> Result<Option<PathBuf>> {
    let Some(e) = c.experiment.as_ref().filter(|_| c.check.needs_run()) else { return Ok(None) };
    // the manifest lists the figures: no need to parse the run's CSVs again for each claim
    let dir = root.join(e);
    let Ok(m) = read_manifest(&dir) else { return Ok(None) };
    let figs: Vec<PathBuf> = m.files.iter().filter(|f| f.ends_with(".png")).map(|f| dir.join(f)).collect();
    let name = |f: &PathBuf| f.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let own = c.check.cell_metric().and_then(|(cell, metric)| {
        figs.iter().find(|f| name(f).starts_with(&slug(cell)) && name(f).contains(&slug(metric)))
    });
    Ok(own.or(figs.first()).cloned())
}

/// Which runs the verdicts come from: per experiment, its seed, replications, engine and commit.
fn provenance(paper: &Paper, root: &Path) -> Result<String> {
    let mut parts = Vec::new();
    for exp in paper.experiments() {
        let Ok(m) = read_manifest(&root.join(&exp)) else {
            parts.push(format!("{exp}: no run"));
            continue;
        };
        let commit = m.git_commit.as_deref().map(|c| &c[..c.len().min(12)]).unwrap_or("no commit");
        parts.push(format!(
            "{exp}: seed {}, replications {}, {} engine, regretlab {} ({commit})",
            m.seed, m.reps, m.engine, m.regretlab_version
        ));
    }
    Ok(if parts.is_empty() {
        "No runs: every claim rests on a test.".into()
    } else {
        format!("Runs — {}.", parts.join("; "))
    })
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `to` relative to the folder `from` (both made absolute first).
fn relative(from: &Path, to: &Path) -> PathBuf {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (from, to) = (abs(from), abs(to));
    let (fc, tc): (Vec<Component>, Vec<Component>) = (from.components().collect(), to.components().collect());
    let common = fc.iter().zip(&tc).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..fc.len() {
        out.push("..");
    }
    for c in &tc[common..] {
        out.push(c);
    }
    out
}
