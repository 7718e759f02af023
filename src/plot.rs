//! Figures: mean curves with confidence bands, optional log axes, and theory overlays, as SVG
//! and PNG. Drawn only from the CSV rows of a run, so `regretlab plot <dir>` redraws without
//! simulating. The font is bundled (DejaVu Sans, see `assets/DejaVuSans-LICENSE.txt`): no
//! system font libraries are needed.

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::results::{CurveRow, Overlay};

static FONT: &[u8] = include_bytes!("assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        // The bytes are a valid TrueType font compiled into the binary; a failure here would
        // only turn labels blank, which the figure test would catch.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// What one figure shows.
pub struct Figure<'a> {
    pub title: String,
    pub metric: &'a str,
    pub curves: Vec<&'a CurveRow>,
    pub overlays: Vec<&'a Overlay>,
    pub log_x: bool,
    pub log_y: bool,
    /// What the x axis counts ("t", "episode k", "iteration k", "N", …).
    pub x_label: String,
    /// Points are drawn at t / x_scale (1 but for settings whose checkpoints encode a real
    /// parameter as an integer, e.g. 1000 ε).
    pub x_scale: f64,
    /// Provenance printed under the plot (version, seed, replications): figures travel alone.
    pub footer: String,
    /// Small multiples: one panel per value of this parameter, read from series labels of the
    /// form `… name=value …` (series without it are drawn in every panel).
    pub panels: Option<String>,
    /// A y range the spec asks for (on a log axis, in the data's units); otherwise the axes fit
    /// the data, and theory overlays are clipped to them.
    pub y_range: Option<(f64, f64)>,
}

const COLORS: [RGBColor; 14] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(0, 0, 128),
    RGBColor(128, 128, 0),
    RGBColor(0, 128, 128),
    RGBColor(128, 0, 64),
];

/// A value's position on an axis: log10 on a log axis; None where it cannot be drawn
/// (non-finite, or not positive on a log axis).
fn axis(v: f64, log: bool) -> Option<f64> {
    let a = if log { if v > 0.0 { v.log10() } else { return None } } else { v };
    a.is_finite().then_some(a)
}

fn tick(v: f64, log: bool) -> String {
    if log {
        if (v - v.round()).abs() > 1e-6 {
            return String::new();
        }
        // 10 with a superscript exponent (DejaVu Sans has the glyphs)
        const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
        let e = v.round() as i64;
        let digits: String = e.unsigned_abs().to_string().chars().map(|c| SUP[c as usize - '0' as usize]).collect();
        return format!("10{}{digits}", if e < 0 { "⁻" } else { "" });
    }
    if v.abs() >= 1e5 || (v != 0.0 && v.abs() < 1e-2) {
        format!("{v:.1e}")
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The value of `name=…` in a series label (up to the next space, comma or bracket).
pub fn label_parameter<'s>(label: &'s str, name: &str) -> Option<&'s str> {
    let key = format!("{name}=");
    let start = label.find(&key)? + key.len();
    let rest = &label[start..];
    let end = rest.find(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '-' | '+' | '∞'))).unwrap_or(rest.len());
    let v = rest[..end].trim_end_matches('.');
    (!v.is_empty()).then_some(v)
}

/// A point in axis units (log10 on log axes).
type Point = (f64, f64);
/// A line drawn without a break.
type Polyline = Vec<Point>;

/// What one panel draws.
struct Panel<'a> {
    caption: Option<String>,
    curves: Vec<&'a CurveRow>,
    overlays: Vec<&'a Overlay>,
}

/// The figure's panels: one, or one per value of `fig.panels` in first-seen order.
fn panels<'a>(fig: &Figure<'a>) -> Vec<Panel<'a>> {
    let one = || vec![Panel { caption: None, curves: fig.curves.clone(), overlays: fig.overlays.clone() }];
    let Some(name) = &fig.panels else { return one() };
    let mut values: Vec<&str> = Vec::new();
    for r in &fig.curves {
        if let Some(v) = label_parameter(&r.policy, name)
            && !values.contains(&v)
        {
            values.push(v);
        }
    }
    if values.len() < 2 {
        return one();
    }
    values
        .iter()
        .map(|v| Panel {
            caption: Some(format!("{name}={v}")),
            curves: fig
                .curves
                .iter()
                .copied()
                .filter(|r| label_parameter(&r.policy, name).is_none_or(|x| x == *v))
                .collect(),
            overlays: fig
                .overlays
                .iter()
                .copied()
                .filter(|o| label_parameter(&o.label, name).is_none_or(|x| x == *v))
                .collect(),
        })
        .collect()
}

/// A panel's axis ranges (in axis units: log10 on log axes), always finite and of positive
/// width, and what had to be left out to get them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    pub x: (f64, f64),
    pub y: (f64, f64),
}

/// Fits the axes to the data: the curves' means and bands (on a log y axis no lower than one
/// decade under the smallest positive mean, so a band reaching 0 does not stretch the axis),
/// 5% headroom above; overlays only where there are no curves. Values that cannot be drawn are
/// counted in `notes`; a degenerate range is widened. Never gives plotters an empty, infinite
/// or zero-width range (its tick search loops forever on those).
fn frame(curves: &[&CurveRow], overlays: &[&Overlay], fig: &Figure, notes: &mut Vec<String>) -> Frame {
    let (lx, ly) = (fig.log_x, fig.log_y);
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    let mut means = Vec::new();
    let (mut nonpositive, mut nonfinite) = (0usize, 0usize);
    for r in curves {
        let Some(x) = axis(r.t as f64 / fig.x_scale, lx) else { continue };
        xs.push(x);
        match axis(r.mean, ly) {
            Some(m) => means.push(m),
            None if !r.mean.is_finite() => nonfinite += 1,
            None => nonpositive += 1,
        }
        ys.extend([r.ci_lo, r.ci_hi].iter().filter_map(|&v| axis(v, ly)));
    }
    if nonfinite > 0 {
        notes.push(format!("{nonfinite} non-finite mean(s) of {} left out", fig.metric));
    }
    if nonpositive > 0 {
        notes.push(format!("{nonpositive} mean(s) of {} ≤ 0 left out on the log axis", fig.metric));
    }
    if ly && let Some(lowest) = means.iter().copied().reduce(f64::min) {
        ys.retain(|&y| y >= lowest - 1.0);
    }
    ys.extend(means.iter().copied());
    if means.is_empty() {
        xs.clear();
        ys.clear();
    }
    if xs.is_empty() || ys.is_empty() {
        for o in overlays {
            for &(t, v) in &o.points {
                if let (Some(x), Some(y)) = (axis(t as f64 / fig.x_scale, lx), axis(v, ly)) {
                    xs.push(x);
                    ys.push(y);
                }
            }
        }
    }
    if xs.is_empty() || ys.is_empty() {
        notes.push(format!("nothing of {} can be drawn{}", fig.metric, if ly { " on a log axis" } else { "" }));
    }
    let span = |v: &[f64]| {
        v.iter().fold(None, |acc: Option<(f64, f64)>, &a| Some(acc.map_or((a, a), |(lo, hi)| (lo.min(a), hi.max(a)))))
    };
    let widen =
        |(a, b): (f64, f64)| if b - a > 1e-12 * a.abs().max(b.abs()).max(1e-300) { (a, b) } else { (a - 1.0, b + 1.0) };
    let x = widen(span(&xs).unwrap_or((0.0, 1.0)));
    let mut y = span(&ys).map(|(a, b)| (a, b + 0.05 * (b - a))).unwrap_or((0.0, 1.0));
    if let Some((a, b)) = fig.y_range {
        y = (axis(a, ly).unwrap_or(y.0), axis(b, ly).unwrap_or(y.1));
    }
    let f = Frame { x, y: widen(y) };
    // values near f64::MAX can overflow the headroom or the widening into ±inf
    let finite = |(a, b): (f64, f64)| a.is_finite() && b.is_finite() && (b - a).is_finite() && b > a;
    if finite(f.x) && finite(f.y) {
        f
    } else {
        notes.push(format!("the values of {} are too large to draw", fig.metric));
        Frame { x: if finite(f.x) { f.x } else { (0.0, 1.0) }, y: if finite(f.y) { f.y } else { (0.0, 1.0) } }
    }
}

/// Splits a polyline (None where a point cannot be drawn) into the pieces inside the frame,
/// cutting each segment at the frame's edges (Liang–Barsky).
fn clip(points: &[Option<(f64, f64)>], f: &Frame) -> Vec<Vec<(f64, f64)>> {
    let inside = |(x, y): (f64, f64)| x >= f.x.0 && x <= f.x.1 && y >= f.y.0 && y <= f.y.1;
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    let flush = |cur: &mut Vec<(f64, f64)>, out: &mut Vec<Vec<(f64, f64)>>| {
        if !cur.is_empty() {
            out.push(std::mem::take(cur));
        }
    };
    if let [Some(p)] = points
        && inside(*p)
    {
        return vec![vec![*p]];
    }
    for w in points.windows(2) {
        let (Some(a), Some(b)) = (w[0], w[1]) else {
            flush(&mut cur, &mut out);
            continue;
        };
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        let mut visible = true;
        for (p, q) in [(-dx, a.0 - f.x.0), (dx, f.x.1 - a.0), (-dy, a.1 - f.y.0), (dy, f.y.1 - a.1)] {
            if p == 0.0 {
                if q < 0.0 {
                    visible = false;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        if !visible || t0 > t1 {
            flush(&mut cur, &mut out);
            continue;
        }
        let (pa, pb) = ((a.0 + t0 * dx, a.1 + t0 * dy), (a.0 + t1 * dx, a.1 + t1 * dy));
        if cur.last() != Some(&pa) {
            flush(&mut cur, &mut out);
            cur.push(pa);
        }
        cur.push(pb);
        if t1 < 1.0 {
            flush(&mut cur, &mut out);
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// One legend line: a series (solid) or a theory overlay (dashed).
struct Entry {
    label: String,
    color: RGBColor,
    dashed: bool,
}

const LEGEND_FONT: u32 = 13;
const LEGEND_ROW: i32 = 18;

/// The legend's size in pixels in `cols` columns (DejaVu Sans at 13 px: about 7.3 px a
/// character).
fn legend_size(entries: &[Entry], cols: usize) -> (i32, i32) {
    let rows = entries.len().div_ceil(cols.max(1)) as i32;
    (legend_column(entries) * cols.max(1) as i32, LEGEND_ROW * rows + 10)
}

fn legend_column(entries: &[Entry]) -> i32 {
    let chars = entries.iter().map(|e| e.label.chars().count()).max().unwrap_or(0) as f64;
    (34.0 + 7.3 * chars) as i32
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    entries: &[Entry],
    cols: usize,
) -> std::result::Result<(), String>
where
    DB::ErrorType: 'static,
{
    let (w, h) = legend_size(entries, cols);
    let col = legend_column(entries);
    let rows = entries.len().div_ceil(cols.max(1));
    let (x, y) = at;
    area.draw(&Rectangle::new([(x, y), (x + w, y + h)], WHITE.mix(0.85).filled())).map_err(|e| e.to_string())?;
    area.draw(&Rectangle::new([(x, y), (x + w, y + h)], BLACK.stroke_width(1))).map_err(|e| e.to_string())?;
    for (i, e) in entries.iter().enumerate() {
        // column-major: a column lists consecutive entries
        let (c, r) = (i / rows, i % rows);
        let xx = x + col * c as i32;
        let yy = y + 5 + LEGEND_ROW * r as i32 + LEGEND_ROW / 2;
        if e.dashed {
            for k in 0..3 {
                area.draw(&PathElement::new(
                    vec![(xx + 6 + 7 * k, yy), (xx + 10 + 7 * k, yy)],
                    e.color.stroke_width(2),
                ))
                .map_err(|e| e.to_string())?;
            }
        } else {
            area.draw(&PathElement::new(vec![(xx + 6, yy), (xx + 26, yy)], e.color.stroke_width(2)))
                .map_err(|e| e.to_string())?;
        }
        let style = ("sans-serif", LEGEND_FONT).into_font().color(&BLACK).pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Left,
            plotters::style::text_anchor::VPos::Center,
        ));
        area.draw(&Text::new(e.label.clone(), (xx + 32, yy), style)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Where the legend goes: the first corner of the plotting area (pixels) whose box covers no
/// drawn point, preferring the corner the curves leave empty; None: outside, on the right.
fn legend_corner(
    plot: ((i32, i32), (i32, i32)),
    size: (i32, i32),
    drawn: &[(i32, i32)],
    rising: bool,
) -> Option<(i32, i32)> {
    let ((l, r), (t, b)) = (plot.0, plot.1);
    let (w, h) = size;
    if w + 16 > r - l || h + 16 > b - t {
        return None;
    }
    // the preferred corner, the other top corner, then along the top edge, then the bottom edge
    // (horizontal, vertical) fractions of the free room: top edge, bottom edge, then between
    let at = |fx: f64, fy: f64| {
        (l + 8 + (fx * (r - l - 16 - w) as f64) as i32, t + 8 + (fy * (b - t - 16 - h) as f64) as i32)
    };
    let (near, far) = if rising { (0.0, 1.0) } else { (1.0, 0.0) };
    let mut order = vec![at(near, 0.0), at(far, 0.0)];
    order.extend([0.25, 0.5, 0.75].map(|f| at(f, 0.0)));
    order.extend([far, near, 0.25, 0.5, 0.75].map(|f| at(f, 1.0)));
    for fy in [0.5, 0.25, 0.75] {
        order.extend([far, near, 0.5, 0.25, 0.75].map(|f| at(f, fy)));
    }
    order
        .into_iter()
        .find(|&(x, y)| !drawn.iter().any(|&(px, py)| px >= x - 4 && px <= x + w + 4 && py >= y - 4 && py <= y + h + 4))
}

/// How [`draw_panel`] runs.
#[derive(Clone, Copy)]
enum Mode {
    /// Only decide where the legend goes; return the height it needs below the plot (0: it
    /// fits inside). Draws nothing.
    Dry,
    /// Draw, with `reserve` pixels at the bottom of the area kept for a legend that does not
    /// fit inside (the figure grew by them).
    Draw { reserve: i32 },
}

/// Draws one panel into `area`. Series keep their colour across panels: `order` is the
/// figure's series order.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    fig: &Figure,
    panel: &Panel,
    f: Frame,
    order: &[&str],
    mode: Mode,
) -> std::result::Result<i32, String>
where
    DB::ErrorType: 'static,
{
    let reserve = match mode {
        Mode::Dry => 0,
        Mode::Draw { reserve } => reserve,
    };
    let (area, strip) = if reserve > 0 {
        let (_, h) = area.dim_in_pixel();
        let (top, bottom) = area.split_vertically(h as i32 - reserve);
        (top, Some(bottom))
    } else {
        (area.clone(), None)
    };
    let area = &area;
    let (lx, ly) = (fig.log_x, fig.log_y);
    let mut policies: Vec<&str> = Vec::new();
    for r in &panel.curves {
        if !policies.contains(&r.policy.as_str()) {
            policies.push(&r.policy);
        }
    }
    let x_of = |t: u64| axis(t as f64 / fig.x_scale, lx);
    let rows = |p: &str| panel.curves.iter().filter(|r| r.policy == p).copied().collect::<Vec<&CurveRow>>();
    let clamp_y = |y: f64| y.clamp(f.y.0, f.y.1);
    let mut entries: Vec<Entry> = Vec::new();
    // (clipped pieces, colour, dashed)
    let mut lines: Vec<(Vec<Polyline>, RGBColor, bool)> = Vec::new();
    let mut bands: Vec<(Vec<(f64, f64)>, RGBColor)> = Vec::new();
    let mut dots: Vec<((f64, f64), RGBColor)> = Vec::new();
    let mut rising = 0.0;
    for (i, p) in policies.iter().enumerate() {
        let c = COLORS[order.iter().position(|o| o == p).unwrap_or(i) % COLORS.len()];
        let rs = rows(p);
        // The band, kept inside the frame, drawn over each run of checkpoints whose mean is
        // drawn: past a mean of 0 on a log axis a band alone would fill the panel's floor. A
        // lower end that cannot be drawn (0 on a log axis) sits on the frame's floor.
        // (upper, lower) ends of the band at each checkpoint of the current run
        let mut run: Vec<(Point, Point)> = Vec::new();
        let mut close = |run: &mut Vec<(Point, Point)>| {
            if run.len() > 1 {
                let mut poly: Vec<(f64, f64)> = run.iter().map(|p| p.0).collect();
                poly.extend(run.iter().rev().map(|p| p.1));
                bands.push((poly, c));
            }
            run.clear();
        };
        for r in &rs {
            match (x_of(r.t), axis(r.ci_hi, ly), axis(r.mean, ly)) {
                (Some(x), Some(hi), Some(_)) if x >= f.x.0 && x <= f.x.1 => {
                    run.push(((x, clamp_y(hi)), (x, clamp_y(axis(r.ci_lo, ly).unwrap_or(f.y.0)))))
                }
                _ => close(&mut run),
            }
        }
        close(&mut run);
        let pts: Vec<Option<(f64, f64)>> = rs.iter().map(|r| Some((x_of(r.t)?, axis(r.mean, ly)?))).collect();
        if let (Some(Some(a)), Some(Some(b))) = (pts.first(), pts.last()) {
            rising += b.1 - a.1;
        }
        // a mean between two that cannot be drawn is a dot
        for (i, p) in pts.iter().enumerate() {
            if let Some(p) = p
                && (i == 0 || pts[i - 1].is_none())
                && pts.get(i + 1).is_none_or(Option::is_none)
                && p.0 >= f.x.0
                && p.0 <= f.x.1
                && p.1 >= f.y.0
                && p.1 <= f.y.1
            {
                dots.push((*p, c));
            }
        }
        lines.push((clip(&pts, &f), c, false));
        entries.push(Entry { label: crate::text::escape_controls(p), color: c, dashed: false });
    }
    for o in &panel.overlays {
        let c = if o.kind == "lower" { RGBColor(0, 0, 0) } else { RGBColor(110, 110, 110) };
        let pts: Vec<Option<(f64, f64)>> = o.points.iter().map(|&(t, v)| Some((x_of(t)?, axis(v, ly)?))).collect();
        lines.push((clip(&pts, &f), c, true));
        // a fitted line ("fit") is a statistic of the data, not a theory curve
        let suffix = if o.kind == "fit" { "" } else { " [theory]" };
        entries.push(Entry {
            label: format!("{}{suffix}", crate::text::escape_controls(&o.label)),
            color: c,
            dashed: true,
        });
    }
    let build = |a: &DrawingArea<DB, Shift>| {
        let mut b = ChartBuilder::on(a);
        b.margin(12).x_label_area_size(42).y_label_area_size(64);
        if let Some(c) = &panel.caption {
            b.caption(c, ("sans-serif", 17));
        }
        b.build_cartesian_2d(f.x.0..f.x.1, f.y.0..f.y.1).map_err(|e| e.to_string())
    };
    // Where the legend fits without covering a drawn point; else outside, right of the plot.
    let trial = build(area)?;
    // every drawn line, sampled every few pixels (a line can cross the legend between points)
    let mut drawn: Vec<(i32, i32)> = Vec::new();
    let polylines = lines
        .iter()
        .flat_map(|(segs, _, _)| segs.iter().map(|s| s.as_slice()))
        .chain(bands.iter().map(|(b, _)| b.as_slice()));
    for pl in polylines {
        let px: Vec<(i32, i32)> = pl.iter().map(|p| trial.backend_coord(p)).collect();
        drawn.extend(px.first());
        for w in px.windows(2) {
            let steps = ((w[1].0 - w[0].0).abs().max((w[1].1 - w[0].1).abs()) / 4).max(1);
            drawn.extend(
                (1..=steps).map(|k| (w[0].0 + (w[1].0 - w[0].0) * k / steps, w[0].1 + (w[1].1 - w[0].1) * k / steps)),
            );
        }
    }
    let size = legend_size(&entries, 1);
    let base = area.get_base_pixel();
    let (px, py) = trial.plotting_area().get_pixel_range();
    let spot = legend_corner(((px.start, px.end), (py.start, py.end)), size, &drawn, rising >= 0.0);
    drop(trial);
    let below_cols = || {
        ((area.dim_in_pixel().0 as i32 - 24) / legend_column(&entries).max(1)).clamp(1, entries.len().max(1) as i32)
            as usize
    };
    if matches!(mode, Mode::Dry) {
        return Ok(if spot.is_some() { 0 } else { legend_size(&entries, below_cols()).1 + 8 });
    }
    // inside where it covers nothing; else below the plot, in as many columns as fit (in the
    // strip kept for it)
    let (plot_area, legend_area, legend_at, cols) = match (spot, strip) {
        (Some((x, y)), _) => (area.clone(), area.clone(), (x - base.0, y - base.1), 1),
        (None, Some(strip)) => (area.clone(), strip, (12, 0), below_cols()),
        (None, None) => {
            let (_, h) = area.dim_in_pixel();
            let cols = below_cols();
            let (_, lh) = legend_size(&entries, cols);
            let (top, bottom) = area.split_vertically((h as i32 - lh - 8).max(h as i32 / 2));
            (top, bottom, (12, 0), cols)
        }
    };
    let mut chart = build(&plot_area)?;
    let decades = |a: f64, b: f64| ((b.floor() - a.ceil()) as usize + 1).clamp(2, 12);
    // A log axis that holds fewer than two powers of ten gets plain values instead (none of its
    // ticks would otherwise be labelled).
    let narrow = |a: f64, b: f64| b.floor() - a.ceil() < 1.0;
    let (nx, ny) = (lx && narrow(f.x.0, f.x.1), ly && narrow(f.y.0, f.y.1));
    let labels = |log: bool, narrow: bool, a: f64, b: f64| {
        if narrow {
            5
        } else if log {
            decades(a, b)
        } else {
            10
        }
    };
    chart
        .configure_mesh()
        .x_labels(labels(lx, nx, f.x.0, f.x.1))
        .y_labels(labels(ly, ny, f.y.0, f.y.1))
        .x_desc(if lx { format!("{} (log scale)", fig.x_label) } else { fig.x_label.clone() })
        .y_desc(if ly { format!("{} (log scale)", fig.metric) } else { fig.metric.to_string() })
        .x_label_formatter(&|v| if nx { tick(10f64.powf(*v), false) } else { tick(*v, lx) })
        .y_label_formatter(&|v| if ny { tick(10f64.powf(*v), false) } else { tick(*v, ly) })
        .label_style(("sans-serif", 14))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| e.to_string())?;
    for (band, c) in bands {
        chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.18).filled()))).map_err(|e| e.to_string())?;
    }
    for (p, c) in dots {
        chart.draw_series(std::iter::once(Circle::new(p, 3, c.filled()))).map_err(|e| e.to_string())?;
    }
    for (segs, c, dashed) in lines {
        for seg in segs {
            if dashed {
                chart.draw_series(DashedLineSeries::new(seg, 6, 4, c.stroke_width(2))).map_err(|e| e.to_string())?;
            } else {
                chart.draw_series(LineSeries::new(seg, c.stroke_width(2))).map_err(|e| e.to_string())?;
            }
        }
    }
    draw_legend(&legend_area, legend_at, &entries, cols)?;
    Ok(0)
}

/// Draws the figure; `reserves` are the legend strips of [`row_reserves`], one per row.
fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    fig: &Figure,
    reserves: &[i32],
) -> std::result::Result<Vec<String>, String>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (body, footer) = body_of(&root, fig)?;
    let ps = panels(fig);
    let (rows, cols) = grid(ps.len());
    // small multiples share their axes, so that panels compare at a glance
    let mut notes = Vec::new();
    let f = frame(&fig.curves, &fig.overlays, fig, &mut notes);
    let order = series_order(fig);
    // each row is as tall as in the base layout plus the legend strip it needs
    let (_, body_h) = body.dim_in_pixel();
    let base_row = (body_h as i32 - reserves.iter().sum::<i32>()) / rows as i32;
    let mut rest = body;
    for (r, &res) in reserves.iter().enumerate() {
        let (row, below) =
            if r + 1 < rows { rest.split_vertically(base_row + res) } else { (rest.clone(), rest.clone()) };
        for (c, area) in row.split_evenly((1, cols)).iter().enumerate() {
            if let Some(panel) = ps.get(r * cols + c) {
                draw_panel(area, fig, panel, f, &order, Mode::Draw { reserve: res })?;
            }
        }
        rest = below;
    }
    let (_, h) = root.dim_in_pixel();
    let grey = RGBColor(120, 120, 120);
    for (i, line) in footer.iter().enumerate() {
        let y = h as i32 - 18 - 16 * (footer.len() - 1 - i) as i32;
        root.draw(&Text::new(line.clone(), (12, y), ("sans-serif", 12).into_font().color(&grey)))
            .map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())?;
    Ok(notes)
}

/// The figure's area between its title and its footer, and the footer's lines.
fn body_of<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    fig: &Figure,
) -> std::result::Result<(DrawingArea<DB, Shift>, Vec<String>), String>
where
    DB::ErrorType: 'static,
{
    let title = crate::text::escape_controls(&fig.title);
    let (w, _) = root.dim_in_pixel();
    let body = root.titled(&title, ("sans-serif", title_size(&title, w, 22))).map_err(|e| e.to_string())?;
    let (w, h) = body.dim_in_pixel();
    let footer = footer_lines(&fig.footer, w);
    let (body, _) = body.split_vertically(h.saturating_sub(8 + 16 * footer.len() as u32));
    Ok((body, footer))
}

/// Rows × columns of a figure of `n` panels.
fn grid(n: usize) -> (usize, usize) {
    let cols = (n.max(1) as f64).sqrt().ceil() as usize;
    (n.max(1).div_ceil(cols), cols)
}

/// A figure's size before its legends: 900 × 600 for one panel, wider and taller for more.
fn base_size(panels: usize) -> (u32, u32) {
    match panels {
        0 | 1 => (900, 600),
        2 => (1400, 600),
        _ => (1400, 1000),
    }
}

/// The figure's series in first-seen order (colours follow it in every panel).
fn series_order<'a>(fig: &'a Figure) -> Vec<&'a str> {
    let mut order: Vec<&str> = Vec::new();
    for r in &fig.curves {
        if !order.contains(&r.policy.as_str()) {
            order.push(&r.policy);
        }
    }
    order
}

/// Per row of panels, the height added below it for legends that cannot go inside any panel
/// of the row without covering a line: laid out once at the base size on an in-memory bitmap.
fn row_reserves(fig: &Figure) -> Vec<i32> {
    let ps = panels(fig);
    let (rows, cols) = grid(ps.len());
    let (w, h) = base_size(ps.len());
    let mut buf = vec![0u8; (w * h * 3) as usize];
    let mut out = vec![0; rows];
    let _ = (|| -> std::result::Result<(), String> {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        let (body, _) = body_of(&root, fig)?;
        let mut notes = Vec::new();
        let f = frame(&fig.curves, &fig.overlays, fig, &mut notes);
        let order = series_order(fig);
        for (i, area) in body.split_evenly((rows, cols)).iter().enumerate() {
            if let Some(p) = ps.get(i) {
                out[i / cols] = out[i / cols].max(draw_panel(area, fig, p, f, &order, Mode::Dry)?);
            }
        }
        Ok(())
    })();
    out
}

/// The largest font size up to `max` at which `title` fits `width` pixels (DejaVu Sans: about
/// 0.5 em a character on average), 12 at least.
fn title_size(title: &str, width: u32, max: u32) -> u32 {
    let chars = title.chars().count().max(1) as f64;
    ((width.saturating_sub(24)) as f64 / (0.5 * chars)).floor().clamp(12.0, max as f64) as u32
}

/// The footer in lines that fit `width` pixels (DejaVu Sans at 12 px: about 6.2 px a
/// character), broken after its " · " separators.
fn footer_lines(footer: &str, width: u32) -> Vec<String> {
    let fits = ((width.saturating_sub(24)) as f64 / 6.2) as usize;
    let mut lines: Vec<String> = vec![String::new()];
    for (i, part) in footer.split(" · ").enumerate() {
        let last = lines.last_mut().expect("one line at least");
        if i == 0 {
            last.push_str(part);
        } else if last.chars().count() + 3 + part.chars().count() <= fits {
            last.push_str(" · ");
            last.push_str(part);
        } else {
            lines.push(part.to_string());
        }
    }
    lines
}

/// Something drawn to both an SVG and a PNG: a curve figure or a heatmap. Drawing returns what
/// had to be left out (values a log axis cannot show, say).
trait Drawing {
    /// What drawing needs that is worked out once for both files (a figure's legend strips).
    type Layout;
    /// The layout and the pixel size it gives.
    fn layout(&self) -> (Self::Layout, (u32, u32));
    fn draw_on<DB: DrawingBackend>(
        &self,
        root: DrawingArea<DB, Shift>,
        layout: &Self::Layout,
    ) -> std::result::Result<Vec<String>, String>
    where
        DB::ErrorType: 'static;
}

impl Drawing for Figure<'_> {
    /// The legend strip below each row of panels.
    type Layout = Vec<i32>;
    fn layout(&self) -> (Vec<i32>, (u32, u32)) {
        let (w, h) = base_size(panels(self).len());
        let reserves = row_reserves(self);
        let extra = reserves.iter().sum::<i32>() as u32;
        (reserves, (w, h + extra))
    }
    fn draw_on<DB: DrawingBackend>(
        &self,
        root: DrawingArea<DB, Shift>,
        reserves: &Vec<i32>,
    ) -> std::result::Result<Vec<String>, String>
    where
        DB::ErrorType: 'static,
    {
        draw(root, self, reserves)
    }
}

impl Drawing for Heatmap {
    type Layout = ();
    fn layout(&self) -> ((), (u32, u32)) {
        ((), (900, 680))
    }
    fn draw_on<DB: DrawingBackend>(
        &self,
        root: DrawingArea<DB, Shift>,
        _: &(),
    ) -> std::result::Result<Vec<String>, String>
    where
        DB::ErrorType: 'static,
    {
        draw_heatmap(root, self).map(|()| Vec::new())
    }
}

/// Files written and what had to be left out of them.
pub struct Drawn {
    pub files: Vec<PathBuf>,
    pub notes: Vec<String>,
}

/// Writes `<stem>.svg` and `<stem>.png` atomically: drawn to temporary names, then renamed.
fn write_both<D: Drawing>(dir: &Path, stem: &str, d: &D) -> Result<Drawn> {
    register_font();
    let svg = dir.join(format!("{stem}.svg"));
    let png = dir.join(format!("{stem}.png"));
    let tmp_svg = dir.join(format!(".{stem}.svg.tmp-{}", std::process::id()));
    let tmp_png = dir.join(format!(".{stem}.tmp-{}.png", std::process::id()));
    let err = |p: &Path, m: String| Error::Plot { path: p.to_path_buf(), message: m };
    let cleanup = || {
        let _ = std::fs::remove_file(&tmp_svg);
        let _ = std::fs::remove_file(&tmp_png);
    };
    let drawn = (|| {
        let (layout, size) = d.layout();
        let notes =
            d.draw_on(SVGBackend::new(&tmp_svg, size).into_drawing_area(), &layout).map_err(|m| err(&svg, m))?;
        d.draw_on(BitMapBackend::new(&tmp_png, size).into_drawing_area(), &layout).map_err(|m| err(&png, m))?;
        std::fs::rename(&tmp_svg, &svg).map_err(crate::error::io(&svg))?;
        std::fs::rename(&tmp_png, &png).map_err(crate::error::io(&png))?;
        Ok(notes)
    })();
    match drawn {
        Ok(notes) => Ok(Drawn { files: vec![svg, png], notes }),
        Err(e) => {
            cleanup();
            Err(e)
        }
    }
}

/// Writes a curve figure as `<stem>.svg` and `<stem>.png`.
pub fn write_figure(dir: &Path, stem: &str, fig: &Figure) -> Result<Drawn> {
    write_both(dir, stem, fig)
}

/// A grid of final values over two sweep parameters (one figure per series).
pub struct Heatmap {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Distinct parameter values, increasing.
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    /// `values[iy][ix]`; `None` where no cell has those parameters.
    pub values: Vec<Vec<Option<f64>>>,
    /// What the colours show ("regret / rate", …).
    pub value_label: String,
    pub footer: String,
}

/// A perceptually ordered colour for s ∈ [0, 1] (viridis' end points and three stops between,
/// linearly interpolated).
fn ramp(s: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 5] =
        [(68.0, 1.0, 84.0), (59.0, 82.0, 139.0), (33.0, 145.0, 140.0), (94.0, 201.0, 98.0), (253.0, 231.0, 37.0)];
    let s = s.clamp(0.0, 1.0) * 4.0;
    let i = (s.floor() as usize).min(3);
    let f = s - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |p: f64, q: f64| (p + f * (q - p)).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn short(v: f64) -> String {
    let plain = format!("{v}");
    if plain.len() <= 6 {
        plain
    } else if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1e4 || v.abs() < 1e-2 {
        format!("{v:.2e}")
    } else {
        let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
        format!("{v:.digits$}")
    }
}

fn draw_heatmap<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, h: &Heatmap) -> std::result::Result<(), String>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (nx, ny) = (h.xs.len(), h.ys.len());
    if nx == 0 || ny == 0 {
        // an empty range would send plotters' tick search into an endless loop
        root.draw(&Text::new(format!("{}: no cell to draw", h.title), (20, 40), ("sans-serif", 18).into_font()))
            .map_err(|e| e.to_string())?;
        return root.present().map_err(|e| e.to_string());
    }
    let finite: Vec<f64> = h.values.iter().flatten().flatten().copied().filter(|v| v.is_finite()).collect();
    // Colours on a log scale when every value is positive (ratios, regrets), else linear.
    let log = !finite.is_empty() && finite.iter().all(|&v| v > 0.0);
    let key = |v: f64| if log { v.log10() } else { v };
    let lo = finite.iter().map(|&v| key(v)).fold(f64::INFINITY, f64::min);
    let hi = finite.iter().map(|&v| key(v)).fold(f64::NEG_INFINITY, f64::max);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            crate::text::escape_controls(&h.title),
            ("sans-serif", title_size(&h.title, root.dim_in_pixel().0, 20)),
        )
        .margin(12)
        .margin_bottom(26)
        .x_label_area_size(42)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)
        .map_err(|e| e.to_string())?;
    let (xs, ys) = (h.xs.clone(), h.ys.clone());
    let label = |vals: &[f64], v: f64| {
        let i = (v - 0.5).round();
        if (v - 0.5 - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < vals.len() {
            short(vals[i as usize])
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(2 * nx + 1)
        .y_labels(2 * ny + 1)
        .x_desc(h.x_label.clone())
        .y_desc(h.y_label.clone())
        .x_label_formatter(&|v| label(&xs, *v))
        .y_label_formatter(&|v| label(&ys, *v))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|e| e.to_string())?;
    // Values must fit their tile: six characters of a font of px/4 are about 0.9 of its width.
    let (pw, _) = root.dim_in_pixel();
    let font = ((pw.saturating_sub(100) / nx.max(1) as u32) as f64 / 4.0).clamp(8.0, 15.0);
    for (iy, row) in h.values.iter().enumerate() {
        for (ix, v) in row.iter().enumerate() {
            let Some(v) = *v else { continue };
            let s = if hi > lo && v.is_finite() { (key(v) - lo) / (hi - lo) } else { 0.5 };
            let c = ramp(s);
            let (x, y) = (ix as f64, iy as f64);
            chart
                .draw_series(std::iter::once(Rectangle::new([(x, y), (x + 1.0, y + 1.0)], c.filled())))
                .map_err(|e| e.to_string())?;
            let ink = if s > 0.6 { BLACK } else { WHITE };
            let style = ("sans-serif", font).into_font().color(&ink).pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Center,
            ));
            chart
                .draw_series(std::iter::once(Text::new(short(v), (x + 0.5, y + 0.5), style)))
                .map_err(|e| e.to_string())?;
        }
    }
    let (_, ph) = root.dim_in_pixel();
    let grey = RGBColor(120, 120, 120);
    let scale = if log { "colour: log scale" } else { "colour: linear scale" };
    root.draw(&Text::new(
        format!("{} ({scale}) · {}", h.value_label, h.footer),
        (12, ph as i32 - 18),
        ("sans-serif", 12).into_font().color(&grey),
    ))
    .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// Writes a heatmap as `<stem>.svg` and `<stem>.png`.
pub fn write_heatmap(dir: &Path, stem: &str, h: &Heatmap) -> Result<Drawn> {
    write_both(dir, stem, h)
}

/// A histogram's bins: (lo, hi, count).
pub type Bins = Vec<(f64, f64, u64)>;

/// Histograms of one metric's final values, one outline per series, with marked values.
pub struct Histogram {
    pub title: String,
    pub x_label: String,
    /// Per series: bins (lo, hi, count); bins with an infinite end count values outside the
    /// binned range and are reported in the legend rather than drawn.
    pub series: Vec<(String, Bins)>,
    pub marks: Vec<(String, f64)>,
    pub footer: String,
}

impl Drawing for Histogram {
    type Layout = ();
    fn layout(&self) -> ((), (u32, u32)) {
        ((), (900, 600))
    }
    fn draw_on<DB: DrawingBackend>(
        &self,
        root: DrawingArea<DB, Shift>,
        _: &(),
    ) -> std::result::Result<Vec<String>, String>
    where
        DB::ErrorType: 'static,
    {
        draw_histogram(root, self).map(|()| Vec::new())
    }
}

fn draw_histogram<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, h: &Histogram) -> std::result::Result<(), String>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let finite = |b: &&(f64, f64, u64)| b.0.is_finite() && b.1.is_finite();
    let bins = h.series.iter().flat_map(|(_, b)| b.iter().filter(finite));
    let (mut lo, mut hi, mut top) = (f64::INFINITY, f64::NEG_INFINITY, 0u64);
    for &(a, b, n) in bins {
        lo = lo.min(a);
        hi = hi.max(b);
        top = top.max(n);
    }
    for (_, v) in &h.marks {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    if !(lo.is_finite() && hi > lo) {
        root.draw(&Text::new(format!("{}: nothing to draw", h.title), (20, 40), ("sans-serif", 18).into_font()))
            .map_err(|e| e.to_string())?;
        return root.present().map_err(|e| e.to_string());
    }
    let pad = 0.03 * (hi - lo);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            crate::text::escape_controls(&h.title),
            ("sans-serif", title_size(&h.title, root.dim_in_pixel().0, 20)),
        )
        .margin(12)
        .margin_bottom(30)
        .x_label_area_size(42)
        .y_label_area_size(60)
        .build_cartesian_2d((lo - pad)..(hi + pad), 0.0..(top.max(1) as f64 * 1.15))
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(h.x_label.clone())
        .y_desc("instances (replications)")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, (name, bins)) in h.series.iter().enumerate() {
        let c = Palette99::pick(i).to_rgba();
        // one step outline: up at the first bin's left edge, along the tops, down at the end
        let inside: Vec<&(f64, f64, u64)> = bins.iter().filter(|b| b.0.is_finite() && b.1.is_finite()).collect();
        let mut pts = Vec::with_capacity(2 * inside.len() + 2);
        if let Some(first) = inside.first() {
            pts.push((first.0, 0.0));
        }
        for &&(a, b, n) in &inside {
            pts.push((a, n as f64));
            pts.push((b, n as f64));
        }
        if let Some(last) = inside.last() {
            pts.push((last.1, 0.0));
        }
        let outside: u64 = bins.iter().filter(|b| !(b.0.is_finite() && b.1.is_finite())).map(|b| b.2).sum();
        let label = if outside > 0 { format!("{name} ({outside} outside the range)") } else { name.clone() };
        chart
            .draw_series(std::iter::once(PathElement::new(pts, c.stroke_width(2))))
            .map_err(|e| e.to_string())?
            .label(crate::text::escape_controls(&label))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
    }
    let ymax = top.max(1) as f64 * 1.15;
    for (j, (label, v)) in h.marks.iter().enumerate() {
        let grey = RGBColor(60, 60, 60);
        let mut y = 0.0;
        while y < ymax {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(*v, y), (*v, (y + ymax / 60.0).min(ymax))],
                    grey.stroke_width(1),
                )))
                .map_err(|e| e.to_string())?;
            y += ymax / 30.0;
        }
        chart
            .draw_series(std::iter::once(Text::new(
                crate::text::escape_controls(label),
                (*v + 0.005 * (hi - lo), ymax * (0.97 - 0.05 * j as f64)),
                ("sans-serif", 13).into_font().color(&grey),
            )))
            .map_err(|e| e.to_string())?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(|e| e.to_string())?;
    let (_, ph) = root.dim_in_pixel();
    root.draw(&Text::new(
        h.footer.clone(),
        (12, ph as i32 - 18),
        ("sans-serif", 12).into_font().color(&RGBColor(120, 120, 120)),
    ))
    .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// Writes a histogram as `<stem>.svg` and `<stem>.png`.
pub fn write_histogram(dir: &Path, stem: &str, h: &Histogram) -> Result<Drawn> {
    write_both(dir, stem, h)
}

/// Longest slug in bytes: a figure's temporary name adds about 20 bytes, and file names stop
/// at 255.
const SLUG_MAX: usize = 120;

/// A file-name-safe form of a label: letters (any script) and digits lowercased, '-' and '_'
/// kept, runs of anything else one '_'. A slug that would be too long is cut and ends in a
/// hash of the whole label, so distinct labels keep distinct slugs.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.contains("__") {
        out = out.replace("__", "_");
    }
    let out = out.trim_matches('_').to_string();
    if out.len() <= SLUG_MAX {
        return out;
    }
    let mut cut = SLUG_MAX - 17;
    while !out.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{:016x}", &out[..cut], crate::rng::content_hash(s.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_keep_letters_of_any_script_and_stay_short() {
        assert_eq!(slug("B1 K=10, s=0.8"), "b1_k_10_s_0_8");
        assert_eq!(slug("UCB1 (fixed)"), "ucb1_fixed");
        assert_eq!(slug("二臂 实例"), "二臂_实例");
        assert_ne!(slug("二臂"), slug("三臂"));
        assert_eq!(slug("Ärger"), "ärger");
        let long = "x".repeat(240);
        let (a, b) = (slug(&format!("{long}1")), slug(&format!("{long}2")));
        assert!(a.len() <= SLUG_MAX && b.len() <= SLUG_MAX && a != b, "{a} {b}");
        let long_cjk = "实".repeat(100);
        assert!(slug(&long_cjk).len() <= SLUG_MAX);
    }

    #[test]
    fn label_parameters() {
        assert_eq!(label_parameter("DP-BAI ε=0.01", "ε"), Some("0.01"));
        assert_eq!(label_parameter("UCB1(alpha=2)", "alpha"), Some("2"));
        assert_eq!(label_parameter("OD-LinBAI", "ε"), None);
        assert_eq!(label_parameter("uniform ε=∞", "ε"), Some("∞"));
        assert_eq!(label_parameter("exp(−T/H), ε=0.03: lower bound", "ε"), Some("0.03"));
        assert_eq!(label_parameter("a ε=1e-3.", "ε"), Some("1e-3"));
    }

    #[test]
    fn clipping_cuts_segments_at_the_frame() {
        let f = Frame { x: (0.0, 10.0), y: (0.0, 1.0) };
        // a segment from inside to far above is cut where it leaves (y = 1 at x = 1)
        let segs = clip(&[Some((0.0, 0.0)), Some((10.0, 10.0))], &f);
        assert_eq!(segs, vec![vec![(0.0, 0.0), (1.0, 1.0)]]);
        // a missing point breaks the line; a point alone outside draws nothing
        let segs = clip(&[Some((0.0, 0.5)), Some((1.0, 0.5)), None, Some((2.0, 0.5)), Some((3.0, 0.5))], &f);
        assert_eq!(segs.len(), 2);
        assert!(clip(&[Some((0.0, 5.0))], &f).is_empty());
        // re-entering after leaving gives two pieces
        let segs = clip(&[Some((0.0, 0.5)), Some((1.0, 2.0)), Some((2.0, 0.5))], &f);
        assert_eq!(segs.len(), 2);
    }
}
