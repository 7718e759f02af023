//! Experiment specs: the TOML schema shared by every setting, validation into a checked
//! [`Experiment`], and the expansion of sweeps into cells with content-derived ids.
//!
//! A spec has a common header (name, seed, replications, horizons, plot options) and exactly
//! one setting table, found in the settings' registry ([`crate::settings::REGISTRY`]); this module
//! names no setting. Unknown fields are rejected; every range error names
//! the field, the value and the allowed range. Nothing downstream sees an unchecked value.

use std::path::Path;

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::Job;
use crate::error::{Error, Result, invalid, io};
use crate::kernels::KernelChoice;
use crate::results::Overlay;
use crate::rng::{cell_key, content_hash};
use crate::settings::Setting;

pub mod common;
pub use common::OneOrMany;

/// A spec file as written. Unknown header fields are caught with the setting tables (serde
/// cannot deny unknown fields beside a flattened map): [`parse`] refuses any table the registry
/// does not know.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SpecFile {
    /// Folder name under results/: lowercase letters, digits, '-' and '_'.
    pub name: String,
    pub title: Option<String>,
    /// Which claim of which paper this experiment checks.
    pub claim: Option<String>,
    pub seed: u64,
    pub reps: i64,
    /// One horizon, or a list (a sweep: one cell per value).
    #[serde(deserialize_with = "integers")]
    pub horizon: OneOrMany<i64>,
    /// Level of the t-intervals (default 0.95).
    pub confidence: Option<f64>,
    /// Reduced sizes for `--quick`.
    pub quick: Option<QuickSpec>,
    /// Add replications in blocks until the interval of every reported final value (of
    /// `precision_metric`, or of every metric) has at most this half-width; `reps` is the cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision_metric: Option<String>,
    /// What `regretlab rate` sweeps and fits (ignored by `run`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<crate::rate::RateSpec>,
    #[serde(default)]
    pub plot: PlotSpec,
    /// The setting's table (exactly one), by its registered name.
    #[serde(flatten)]
    pub tables: BTreeMap<String, toml::Value>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QuickSpec {
    pub reps: Option<i64>,
    #[serde(default, deserialize_with = "some_integers")]
    pub horizon: Option<OneOrMany<i64>>,
}

/// An integer or a list of integers, with a message that says so (TOML's `1e4` is a float).
fn integers<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<OneOrMany<i64>, D::Error> {
    OneOrMany::<i64>::deserialize(d).map_err(|_| {
        serde::de::Error::custom(
            "expected an integer or a list of integers (TOML reads 1e4 as a float: write 10000 or 10_000)",
        )
    })
}

fn some_integers<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<OneOrMany<i64>>, D::Error> {
    integers(d).map(Some)
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PlotSpec {
    /// Metrics to draw, one figure per (cell, metric); left out: the setting's first metric.
    #[serde(default, deserialize_with = "non_empty_metrics")]
    pub metrics: Vec<String>,
    #[serde(default)]
    pub log_x: bool,
    #[serde(default)]
    pub log_y: bool,
    /// Draw theory overlays (bounds) where the setting provides them.
    #[serde(default = "yes")]
    pub overlays: bool,
    /// The x axis's label; by default what the setting's horizon counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_label: Option<String>,
    /// Draw checkpoint t at t / x_scale; set by settings whose checkpoints encode a real
    /// parameter as an integer (DP-BAI's ε sweep: t = 1000 ε).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_scale: Option<f64>,
    /// Draw one figure per cell and metric (off for sweeps of hundreds of cells, which a
    /// heatmap shows better).
    #[serde(default = "yes")]
    pub cells: bool,
    /// A heatmap of each series' final mean over two numeric parameters of the cells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heatmap: Option<HeatmapSpec>,
    /// A histogram per cell of one metric's final values over the replications, one outline
    /// per series, with marked reference values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<HistogramSpec>,
    /// Small multiples: one panel per value of this parameter of the series labels (`ε` splits
    /// "DP-BAI ε=0.01", "DP-BAI ε=0.1", …); series without it appear in every panel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panels: Option<String>,
    /// The y axis's range; by default it fits the data, and theory overlays are clipped to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y_range: Option<[f64; 2]>,
}

fn non_empty_metrics<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Vec<String>, D::Error> {
    let v = Vec::<String>::deserialize(d)?;
    if v.is_empty() {
        return Err(serde::de::Error::custom(
            "plot.metrics = [] draws nothing: list at least one metric, or leave the field out for the setting's first",
        ));
    }
    Ok(v)
}

/// `[plot.heatmap]`: the final mean of `metric` for every cell, placed by two numbers read from
/// the cell's content (JSON pointers, e.g. "/instance/sigma"), optionally divided by the value
/// at the same t of the theory overlay whose label starts with `ratio_to`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HeatmapSpec {
    pub metric: String,
    pub x: String,
    pub y: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio_to: Option<String>,
}

/// `[plot.histogram]`: the distribution of `metric`'s final values over the replications, per
/// cell and series, in `bins` equal bins over `range` (default: the values' range over every
/// cell), with vertical marks at reference values.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HistogramSpec {
    pub metric: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bins: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<[f64; 2]>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<Mark>,
}

/// A labelled reference value on a histogram's axis.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Mark {
    pub label: String,
    pub value: f64,
}

fn yes() -> bool {
    true
}

impl Default for PlotSpec {
    fn default() -> Self {
        PlotSpec {
            metrics: Vec::new(),
            log_x: false,
            log_y: false,
            overlays: true,
            x_label: None,
            x_scale: None,
            cells: true,
            heatmap: None,
            histogram: None,
            panels: None,
            y_range: None,
        }
    }
}

/// Most replications per cell.
pub const MAX_REPS: i64 = 100_000_000;
/// Longest horizon: step indices address counters and per-step streams in 32 bits.
pub const MAX_HORIZON: i64 = 1 << 32;

/// Command-line overrides, applied before validation so they are checked like the spec.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub reps: Option<i64>,
    pub seed: Option<u64>,
    pub quick: bool,
    /// `--precision h`: the spec's `precision`.
    pub precision: Option<f64>,
}

/// A run that grows until its intervals are narrow enough (the spec's `precision`).
#[derive(Clone, Debug, PartialEq)]
pub struct Precision {
    /// The widest half-width allowed.
    pub half_width: f64,
    /// The metric whose intervals count (None: every metric).
    pub metric: Option<String>,
}

/// One point of a sweep. Its id is a hash of its content, never of its position.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CellInfo {
    pub id: String,
    pub label: String,
    pub horizon: u64,
    pub content: serde_json::Value,
}

impl CellInfo {
    pub fn new(label: String, horizon: u64, content: serde_json::Value) -> CellInfo {
        let bytes = serde_json::to_vec(&content).unwrap_or_default();
        CellInfo { id: format!("{:016x}", content_hash(&bytes)), label, horizon, content }
    }

    /// The Philox key of this cell's streams.
    pub fn key(&self, seed: u64) -> [u32; 2] {
        cell_key(seed, u64::from_str_radix(&self.id, 16).unwrap_or(0))
    }
}

/// Cells per instance under the instance-major order of [`instance_cells`] (and of every
/// setting's `cells()`): cell `i` belongs to instance `i / cells_per_instance(…)`. The one
/// statement of that rule, which settings' `jobs()` and `overlays()` rely on.
pub fn cells_per_instance(cells: usize, instances: usize) -> usize {
    debug_assert!(instances > 0 && cells.is_multiple_of(instances), "{cells} cells for {instances} instances");
    cells / instances.max(1)
}

/// Every instance at every horizon, instance-major (the order settings' `jobs()` rely on: cell
/// i is instance i / horizons.len()). A label gets " K=…" when the sweep has several horizons;
/// `content(instance content, horizon)` is what fixes the cell's id.
pub fn instance_cells<'a>(
    instances: impl IntoIterator<Item = (&'a str, &'a serde_json::Value)>,
    horizons: &[u64],
    content: impl Fn(&serde_json::Value, u64) -> serde_json::Value,
) -> Vec<CellInfo> {
    let mut out = Vec::new();
    for (label, c) in instances {
        for &k in horizons {
            let l = if horizons.len() > 1 { format!("{label} K={k}") } else { label.to_string() };
            out.push(CellInfo::new(l, k, content(c, k)));
        }
    }
    out
}

/// A checked experiment: everything a run needs, nothing unvalidated.
#[derive(Clone, Debug)]
pub struct Experiment {
    pub name: String,
    pub title: String,
    pub claim: Option<String>,
    pub seed: u64,
    pub reps: u64,
    pub confidence: f64,
    pub horizons: Vec<u64>,
    pub plot: PlotSpec,
    /// The setting's table name (`bandit`, …).
    pub table: &'static str,
    pub setting: Arc<dyn Setting>,
    /// The spec as resolved (after overrides): recorded in the manifest.
    pub resolved: SpecFile,
    pub cells: Vec<CellInfo>,
    /// Grow the run until its intervals are this narrow, up to `reps` replications.
    pub precision: Option<Precision>,
}

impl Experiment {
    /// The jobs of every cell. `kernel` picks the implementation of batched kernels (speed only).
    pub fn jobs(&self, kernel: KernelChoice) -> Vec<Job> {
        self.setting.jobs(&self.cells, self.seed, kernel)
    }

    /// What computes the numbers (recorded in the manifest).
    pub fn backend(&self, kernel: KernelChoice) -> String {
        self.setting.backend(kernel)
    }

    pub fn overlays(&self) -> Vec<Overlay> {
        if !self.plot.overlays {
            return Vec::new();
        }
        self.setting.overlays(&self.cells)
    }
}

/// Parses TOML text; `origin` names it in messages. Every table beside the header must be a
/// registered setting.
pub fn parse(text: &str, origin: &str) -> Result<SpecFile> {
    let spec: SpecFile = toml::from_str(text)
        .map_err(|e| Error::Malformed { path: origin.to_string(), message: e.to_string().trim_end().to_string() })?;
    for key in spec.tables.keys() {
        if crate::settings::find(key).is_none() {
            let tables: Vec<String> = crate::settings::tables().iter().map(|t| format!("[{t}]")).collect();
            return Err(Error::Malformed {
                path: origin.to_string(),
                message: format!(
                    "unknown field `{key}`, expected one of `name`, `title`, `claim`, `seed`, `reps`, `horizon`, `confidence`, `quick`, `precision`, `precision_metric`, `rate`, `plot`, or a setting table: {}",
                    tables.join(", ")
                ),
            });
        }
    }
    Ok(spec)
}

/// Largest spec file read.
const MAX_SPEC_FILE: u64 = 16 << 20;

/// Reads a spec file from disk. Model files it names by relative paths are found relative to
/// the spec's own folder, whatever the working directory.
pub fn read(path: &Path) -> Result<SpecFile> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path).and_then(|f| f.take(MAX_SPEC_FILE + 1).read_to_string(&mut text)).map_err(io(path))?;
    if text.len() as u64 > MAX_SPEC_FILE {
        return Err(Error::Malformed {
            path: path.display().to_string(),
            message: format!("larger than {MAX_SPEC_FILE} bytes, the most a spec may have"),
        });
    }
    let mut spec = parse(&text, &path.display().to_string())?;
    // absolute, so that a store's spec.toml names the same files from any working directory
    let base = std::fs::canonicalize(path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    for (table, value) in spec.tables.iter_mut() {
        if let Some(r) = crate::settings::find(table) {
            r.resolve_paths(value, &base)?;
        }
    }
    Ok(spec)
}

impl SpecFile {
    /// Applies overrides and checks every field.
    pub fn validate(mut self, ov: &Overrides) -> Result<Experiment> {
        if self.name.is_empty()
            || !self.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(invalid(
                "name",
                format!("{:?}", self.name),
                "it names the results folder",
                "lowercase letters, digits, '-' and '_'",
            ));
        }
        if ov.quick {
            // Without a [quick] table, --quick keeps the horizons and caps replications at 100.
            let q = self.quick.clone().unwrap_or(QuickSpec { reps: Some(self.reps.min(100)), horizon: None });
            if let Some(r) = q.reps {
                self.reps = r;
            }
            if let Some(h) = q.horizon {
                self.horizon = h;
            }
        }
        if let Some(r) = ov.reps {
            self.reps = r;
        }
        if let Some(s) = ov.seed {
            self.seed = s;
        }
        if let Some(p) = ov.precision {
            self.precision = Some(p);
        }
        if self.reps < 1 || self.reps > MAX_REPS {
            return Err(invalid(
                "reps",
                self.reps,
                "the number of replications (one final value per replication and series is kept in memory)",
                format!("1 ..= {MAX_REPS}"),
            ));
        }
        let hs = self.horizon.values();
        if hs.is_empty() {
            return Err(invalid(
                "horizon",
                "[]",
                "a sweep needs at least one value",
                "a positive integer or a non-empty list",
            ));
        }
        let mut horizons = Vec::new();
        for &h in &hs {
            if !(1..=MAX_HORIZON).contains(&h) {
                return Err(invalid("horizon", h, "the number of time steps", "1 ..= 2^32"));
            }
            if horizons.contains(&(h as u64)) {
                return Err(invalid("horizon", h, "listed twice", "distinct values"));
            }
            horizons.push(h as u64);
        }
        let confidence = self.confidence.unwrap_or(0.95);
        if !(confidence > 0.0 && confidence < 1.0) {
            return Err(invalid("confidence", confidence, "the level of the t-intervals", "(0, 1)"));
        }
        if self.tables.len() != 1 {
            let tables: Vec<String> = crate::settings::tables().iter().map(|t| format!("[{t}]")).collect();
            return Err(invalid(
                "setting",
                format!("{} tables", self.tables.len()),
                "a spec needs exactly one setting table",
                format!("one of {}", tables.join(", ")),
            ));
        }
        let (table, value) =
            self.tables.iter().next().map(|(k, v)| (k.clone(), v.clone())).expect("one table, checked above");
        let registered = crate::settings::find(&table).ok_or_else(|| {
            invalid("setting", format!("[{table}]"), "not a registered setting", crate::settings::tables().join(", "))
        })?;
        let setting = registered.check(&value, &horizons)?;
        let table = registered.table;
        let cells = setting.cells(&horizons);
        if self.plot.x_scale.is_none() {
            self.plot.x_scale = setting.x_scale();
        }
        if self.plot.metrics.is_empty() {
            self.plot.metrics = vec![setting.metrics()[0].to_string()];
        }
        if let Some(x) = self.plot.x_scale
            && !(x.is_finite() && x > 0.0)
        {
            return Err(invalid("plot.x_scale", x, "checkpoints are drawn at t / x_scale", "(0, ∞), finite"));
        }
        if let Some(p) = &self.plot.panels
            && (p.is_empty() || p.contains(['=', ' ']))
        {
            return Err(invalid(
                "plot.panels",
                format!("{p:?}"),
                "the parameter whose values split the figure (series labels hold it as name=value)",
                "a parameter name such as \"ε\", without '=' or spaces",
            ));
        }
        if let Some([lo, hi]) = self.plot.y_range
            && !(lo.is_finite() && hi.is_finite() && lo < hi && (!self.plot.log_y || lo > 0.0))
        {
            return Err(invalid(
                "plot.y_range",
                format!("[{lo}, {hi}]"),
                "the y axis's range",
                if self.plot.log_y { "[lo, hi] with 0 < lo < hi (log_y)" } else { "[lo, hi] with lo < hi, finite" },
            ));
        }
        if self.plot.x_label.is_none() {
            self.plot.x_label = Some(setting.x_label().to_string());
        }
        for (i, m) in self.plot.metrics.iter().enumerate() {
            if !setting.metrics().contains(&m.as_str()) {
                return Err(invalid(
                    format!("plot.metrics[{i}]"),
                    m,
                    "not a metric this setting records",
                    setting.metrics().join(", "),
                ));
            }
        }
        for (i, a) in cells.iter().enumerate() {
            for b in &cells[..i] {
                if a.id == b.id {
                    return Err(invalid(
                        format!("{}.instances", table),
                        format!("'{}' and '{}'", b.label, a.label),
                        "two cells have the same content (same instance and horizon)",
                        "distinct instances",
                    ));
                }
                if crate::plot::slug(&a.label) == crate::plot::slug(&b.label) {
                    return Err(invalid(
                        format!("{}.instances.label", table),
                        format!("'{}' and '{}'", b.label, a.label),
                        "labels that differ only in case or punctuation would share figure files",
                        "labels that differ in letters or digits",
                    ));
                }
            }
        }
        if let Some(h) = &self.plot.histogram {
            check_histogram(h, setting.as_ref())?;
        }
        if let Some(h) = &self.plot.heatmap {
            check_heatmap(h, setting.as_ref(), &cells)?;
        }
        let precision = match (self.precision, &self.precision_metric) {
            (None, None) => None,
            (None, Some(m)) => {
                return Err(invalid(
                    "precision_metric",
                    m,
                    "names the metric of a precision target",
                    "a `precision` too",
                ));
            }
            (Some(h), m) => {
                if !(h.is_finite() && h > 0.0) {
                    return Err(invalid(
                        "precision",
                        h,
                        "the widest half-width of the final values' intervals",
                        "(0, ∞), finite",
                    ));
                }
                if let Some(m) = m
                    && !setting.metrics().contains(&m.as_str())
                {
                    return Err(invalid(
                        "precision_metric",
                        m,
                        "not a metric this setting records",
                        setting.metrics().join(", "),
                    ));
                }
                Some(Precision { half_width: h, metric: m.clone() })
            }
        };
        let exp = Experiment {
            name: self.name.clone(),
            title: self.title.clone().unwrap_or_else(|| self.name.clone()),
            claim: self.claim.clone(),
            seed: self.seed,
            reps: self.reps as u64,
            confidence,
            horizons,
            plot: self.plot.clone(),
            table,
            setting,
            resolved: self,
            cells,
            precision,
        };
        if let Some(prefix) = exp.plot.heatmap.as_ref().and_then(|h| h.ratio_to.clone()) {
            if !exp.plot.overlays {
                return Err(invalid(
                    "plot.heatmap.ratio_to",
                    &prefix,
                    "divides by a theory overlay, and plot.overlays = false turns them off",
                    "overlays = true, or no ratio_to",
                ));
            }
            let metric = &exp.plot.heatmap.as_ref().map(|h| h.metric.clone()).unwrap_or_default();
            let ov = exp.overlays();
            for c in &exp.cells {
                if !ov.iter().any(|o| o.cell == c.id && &o.metric == metric && o.label.starts_with(&prefix)) {
                    let labels: Vec<String> = ov
                        .iter()
                        .filter(|o| o.cell == c.id && &o.metric == metric)
                        .map(|o| format!("'{}'", o.label))
                        .collect();
                    return Err(invalid(
                        "plot.heatmap.ratio_to",
                        &prefix,
                        format!("no theory overlay of {metric} on cell '{}' starts with it", c.label),
                        if labels.is_empty() {
                            "none: this setting draws no overlay on that metric".to_string()
                        } else {
                            labels.join(", ")
                        },
                    ));
                }
            }
        }
        Ok(exp)
    }
}

/// The histogram's metric exists, its bins, range and marks are usable.
fn check_histogram(h: &HistogramSpec, setting: &dyn Setting) -> Result<()> {
    if !setting.metrics().contains(&h.metric.as_str()) {
        return Err(invalid(
            "plot.histogram.metric",
            &h.metric,
            "a metric the setting records",
            setting.metrics().join(", "),
        ));
    }
    if let Some(b) = h.bins
        && !(2..=400).contains(&b)
    {
        return Err(invalid("plot.histogram.bins", b, "the number of equal bins", "2 ..= 400"));
    }
    if let Some([lo, hi]) = h.range
        && !(lo.is_finite() && hi.is_finite() && lo < hi)
    {
        return Err(invalid("plot.histogram.range", format!("[{lo}, {hi}]"), "the binned interval", "finite lo < hi"));
    }
    if let Some(m) = h.marks.iter().find(|m| !m.value.is_finite()) {
        return Err(invalid("plot.histogram.marks.value", m.value, "a mark's position", "a finite number"));
    }
    Ok(())
}

/// The heatmap's metric exists and both pointers give a number on every cell, with no two cells
/// at the same place.
fn check_heatmap(h: &HeatmapSpec, setting: &dyn Setting, cells: &[CellInfo]) -> Result<()> {
    if !setting.metrics().contains(&h.metric.as_str()) {
        return Err(invalid(
            "plot.heatmap.metric",
            &h.metric,
            "not a metric this setting records",
            setting.metrics().join(", "),
        ));
    }
    let mut seen: Vec<(f64, f64, &str)> = Vec::new();
    for c in cells {
        let mut at = [0.0; 2];
        for (k, (field, ptr)) in [("plot.heatmap.x", &h.x), ("plot.heatmap.y", &h.y)].into_iter().enumerate() {
            at[k] = heatmap_coordinate(c, ptr).ok_or_else(|| invalid(field, ptr, format!("not a number in cell '{}' (content {})", c.label, c.content), "a JSON pointer to a number in every cell's content, e.g. \"/instance/sigma\", or to an array with \"#len\""))?;
        }
        if let Some((_, _, other)) = seen.iter().find(|(x, y, _)| *x == at[0] && *y == at[1]) {
            return Err(invalid(
                "plot.heatmap",
                format!("x = {}, y = {}", at[0], at[1]),
                format!("cells '{other}' and '{}' fall on the same square", c.label),
                "one cell per (x, y)",
            ));
        }
        seen.push((at[0], at[1], &c.label));
    }
    Ok(())
}

/// The number a heatmap pointer reads from a cell's content: the horizon as "/horizon", and an
/// array's length with a "#len" suffix (e.g. "/arms#len", the number of arms).
pub fn heatmap_coordinate(c: &CellInfo, pointer: &str) -> Option<f64> {
    if pointer == "/horizon" {
        return Some(c.horizon as f64);
    }
    match pointer.strip_suffix("#len") {
        Some(p) => Some(c.content.pointer(p)?.as_array()?.len() as f64),
        None => c.content.pointer(pointer)?.as_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
name = "t"
seed = 1
reps = 10
horizon = [100, 200]
[bandit]
instances = [{ arms = "bernoulli", means = [0.2, 0.5] }]
policies = [{ kind = "ucb1", alpha = [1.0, 2.0] }, { kind = "moss", arithmetic = "fixed" }]
"#;

    #[test]
    fn sweeps_expand_into_cells_and_variants() {
        let e = parse(OK, "ok").unwrap().validate(&Overrides::default()).unwrap();
        assert_eq!(e.cells.len(), 2);
        assert_eq!(e.jobs(KernelChoice::Auto).len(), 2 * 3);
        assert_eq!(e.table, "bandit");
        let jobs = e.jobs(KernelChoice::Auto);
        let labels: Vec<&str> = jobs.iter().take(3).map(|j| j.series.as_str()).collect();
        assert_eq!(labels, ["UCB1(alpha=1)", "UCB1(alpha=2)", "MOSS-fixed"]);
    }

    #[test]
    fn cell_ids_come_from_content_not_position() {
        let e1 = parse(OK, "ok").unwrap().validate(&Overrides::default()).unwrap();
        let e2 = parse(&OK.replace("[100, 200]", "[200, 100]"), "ok").unwrap().validate(&Overrides::default()).unwrap();
        assert_eq!(e1.cells[0].id, e2.cells[1].id);
        assert_eq!(e1.cells[1].id, e2.cells[0].id);
    }

    #[test]
    fn overrides_apply_before_validation() {
        let ov = Overrides { reps: Some(0), ..Default::default() };
        let err = parse(OK, "ok").unwrap().validate(&ov).unwrap_err().to_string();
        assert!(err.contains("reps = 0"), "{err}");
    }
}
