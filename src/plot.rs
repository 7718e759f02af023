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

fn axis(v: f64, log: bool) -> Option<f64> {
    if log {
        if v > 0.0 { Some(v.log10()) } else { None }
    } else {
        Some(v)
    }
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

/// Upper left for curves that rise (regret), upper right for curves that fall (error
/// probabilities, gaps): the corner the data leaves empty.
fn legend_corner(fig: &Figure) -> SeriesLabelPosition {
    let (mut first, mut last) = (0.0, 0.0);
    let (t0, t1) = fig.curves.iter().fold((u64::MAX, 0), |(a, b), r| (a.min(r.t), b.max(r.t)));
    for r in &fig.curves {
        if r.t == t0 {
            first += r.mean;
        }
        if r.t == t1 {
            last += r.mean;
        }
    }
    if last < first { SeriesLabelPosition::UpperRight } else { SeriesLabelPosition::UpperLeft }
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, fig: &Figure) -> std::result::Result<(), String>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut policies: Vec<&str> = Vec::new();
    for r in &fig.curves {
        if !policies.contains(&r.policy.as_str()) {
            policies.push(&r.policy);
        }
    }
    let pts = |f: &dyn Fn(&CurveRow) -> f64, p: &str| -> Vec<(f64, f64)> {
        fig.curves.iter().filter(|r| r.policy == p).filter_map(|r| Some((axis(r.t as f64 / fig.x_scale, fig.log_x)?, axis(f(r), fig.log_y)?))).collect()
    };
    let mut xs: Vec<f64> = Vec::new();
    let mut ys: Vec<f64> = Vec::new();
    for p in &policies {
        for (x, y) in pts(&|r| r.ci_lo, p).into_iter().chain(pts(&|r| r.ci_hi, p)) {
            xs.push(x);
            ys.push(y);
        }
    }
    for o in &fig.overlays {
        for &(t, v) in &o.points {
            if let (Some(x), Some(y)) = (axis(t as f64 / fig.x_scale, fig.log_x), axis(v, fig.log_y)) {
                xs.push(x);
                ys.push(y);
            }
        }
    }
    // Keep the curves readable: an overlay far above the data (loose upper bounds) is cut at
    // 3x the data's range rather than flattening the curves.
    let data_max = fig.curves.iter().filter_map(|r| axis(r.ci_hi, fig.log_y)).fold(f64::NEG_INFINITY, f64::max);
    let lo = |v: &[f64]| v.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = |v: &[f64]| v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let (x0, x1) = (lo(&xs), hi(&xs));
    let (mut y0, mut y1) = (lo(&ys), hi(&ys));
    if data_max.is_finite() {
        y1 = y1.min(y0 + 3.0 * (data_max - y0).max(1e-9));
    }
    // ... and an overlay far below the data (a rate drawn with constant 1) is cut half the
    // data's range below it: its slope stays visible.
    let data_min = fig.curves.iter().filter_map(|r| axis(r.ci_lo, fig.log_y).or(axis(r.mean, fig.log_y))).fold(f64::INFINITY, f64::min);
    if data_min.is_finite() && data_max.is_finite() {
        y0 = y0.max(data_min - 0.5 * (data_max - data_min).max(1e-9));
    }
    let (x0, x1) = if x0 < x1 { (x0, x1) } else { (x0 - 1.0, x0 + 1.0) };
    let (y0, y1) = if y0 < y1 { (y0, y1 + 0.05 * (y1 - y0)) } else { (y0 - 1.0, y0 + 1.0) };

    let mut chart = ChartBuilder::on(&root)
        .caption(&fig.title, ("sans-serif", 22))
        .margin(12)
        .margin_bottom(26)
        .x_label_area_size(42)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| e.to_string())?;
    let (lx, ly) = (fig.log_x, fig.log_y);
    // On a log axis, ticks at whole decades only.
    let decades = |a: f64, b: f64| ((b.floor() - a.ceil()) as usize + 1).clamp(2, 12);
    chart
        .configure_mesh()
        .x_labels(if lx { decades(x0, x1) } else { 10 })
        .y_labels(if ly { decades(y0, y1) } else { 10 })
        .x_desc(if lx { format!("{} (log scale)", fig.x_label) } else { fig.x_label.clone() })
        .y_desc(if ly { format!("{} (log scale)", fig.metric) } else { fig.metric.to_string() })
        .x_label_formatter(&|v| tick(*v, lx))
        .y_label_formatter(&|v| tick(*v, ly))
        .label_style(("sans-serif", 14))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| e.to_string())?;

    for (i, p) in policies.iter().enumerate() {
        let c = COLORS[i % COLORS.len()];
        let up = pts(&|r| r.ci_hi, p);
        let mut band: Vec<(f64, f64)> = up.clone();
        band.extend(pts(&|r| r.ci_lo, p).into_iter().rev());
        chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.18).filled()))).map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(pts(&|r| r.mean, p), c.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(p.to_string())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
    }
    for o in &fig.overlays {
        let c = if o.kind == "lower" { RGBColor(0, 0, 0) } else { RGBColor(110, 110, 110) };
        let p: Vec<(f64, f64)> = o.points.iter().filter_map(|&(t, v)| Some((axis(t as f64 / fig.x_scale, lx)?, axis(v, ly)?))).filter(|&(_, y)| y <= y1 && y >= y0).collect();
        chart
            .draw_series(DashedLineSeries::new(p, 6, 4, c.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(format!("{} [theory]", o.label))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(1)));
    }
    chart
        .configure_series_labels()
        .position(legend_corner(fig))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(|e| e.to_string())?;
    let (_, h) = root.dim_in_pixel();
    let grey = RGBColor(120, 120, 120);
    root.draw(&Text::new(fig.footer.clone(), (12, h as i32 - 18), ("sans-serif", 12).into_font().color(&grey)))
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// Something drawn to both an SVG and a PNG: a curve figure or a heatmap.
trait Drawing {
    /// Pixel size.
    const SIZE: (u32, u32);
    fn draw_on<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> std::result::Result<(), String>
    where
        DB::ErrorType: 'static;
}

impl Drawing for Figure<'_> {
    const SIZE: (u32, u32) = (900, 600);
    fn draw_on<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> std::result::Result<(), String>
    where
        DB::ErrorType: 'static,
    {
        draw(root, self)
    }
}

impl Drawing for Heatmap {
    const SIZE: (u32, u32) = (900, 680);
    fn draw_on<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> std::result::Result<(), String>
    where
        DB::ErrorType: 'static,
    {
        draw_heatmap(root, self)
    }
}

/// Writes `<stem>.svg` and `<stem>.png` atomically: drawn to temporary names, then renamed.
fn write_both<D: Drawing>(dir: &Path, stem: &str, d: &D) -> Result<Vec<PathBuf>> {
    register_font();
    let svg = dir.join(format!("{stem}.svg"));
    let png = dir.join(format!("{stem}.png"));
    let tmp_svg = dir.join(format!(".{stem}.svg.tmp-{}", std::process::id()));
    let tmp_png = dir.join(format!(".{stem}.tmp-{}.png", std::process::id()));
    let err = |p: &Path, m: String| Error::Plot { path: p.to_path_buf(), message: m };
    d.draw_on(SVGBackend::new(&tmp_svg, D::SIZE).into_drawing_area()).map_err(|m| err(&svg, m))?;
    d.draw_on(BitMapBackend::new(&tmp_png, D::SIZE).into_drawing_area()).map_err(|m| err(&png, m))?;
    std::fs::rename(&tmp_svg, &svg).map_err(crate::error::io(&svg))?;
    std::fs::rename(&tmp_png, &png).map_err(crate::error::io(&png))?;
    Ok(vec![svg, png])
}

/// Writes a curve figure as `<stem>.svg` and `<stem>.png`.
pub fn write_figure(dir: &Path, stem: &str, fig: &Figure) -> Result<Vec<PathBuf>> {
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
    const STOPS: [(f64, f64, f64); 5] = [(68.0, 1.0, 84.0), (59.0, 82.0, 139.0), (33.0, 145.0, 140.0), (94.0, 201.0, 98.0), (253.0, 231.0, 37.0)];
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
    let finite: Vec<f64> = h.values.iter().flatten().flatten().copied().filter(|v| v.is_finite()).collect();
    // Colours on a log scale when every value is positive (ratios, regrets), else linear.
    let log = !finite.is_empty() && finite.iter().all(|&v| v > 0.0);
    let key = |v: f64| if log { v.log10() } else { v };
    let lo = finite.iter().map(|&v| key(v)).fold(f64::INFINITY, f64::min);
    let hi = finite.iter().map(|&v| key(v)).fold(f64::NEG_INFINITY, f64::max);
    let mut chart = ChartBuilder::on(&root)
        .caption(&h.title, ("sans-serif", 20))
        .margin(12)
        .margin_bottom(26)
        .x_label_area_size(42)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)
        .map_err(|e| e.to_string())?;
    let (xs, ys) = (h.xs.clone(), h.ys.clone());
    let label = |vals: &[f64], v: f64| {
        let i = (v - 0.5).round();
        if (v - 0.5 - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < vals.len() { short(vals[i as usize]) } else { String::new() }
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
            chart.draw_series(std::iter::once(Rectangle::new([(x, y), (x + 1.0, y + 1.0)], c.filled()))).map_err(|e| e.to_string())?;
            let ink = if s > 0.6 { BLACK } else { WHITE };
            let style = ("sans-serif", font).into_font().color(&ink).pos(plotters::style::text_anchor::Pos::new(plotters::style::text_anchor::HPos::Center, plotters::style::text_anchor::VPos::Center));
            chart.draw_series(std::iter::once(Text::new(short(v), (x + 0.5, y + 0.5), style))).map_err(|e| e.to_string())?;
        }
    }
    let (_, ph) = root.dim_in_pixel();
    let grey = RGBColor(120, 120, 120);
    let scale = if log { "colour: log scale" } else { "colour: linear scale" };
    root.draw(&Text::new(format!("{} ({scale}) · {}", h.value_label, h.footer), (12, ph as i32 - 18), ("sans-serif", 12).into_font().color(&grey)))
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// Writes a heatmap as `<stem>.svg` and `<stem>.png`.
pub fn write_heatmap(dir: &Path, stem: &str, h: &Heatmap) -> Result<Vec<PathBuf>> {
    write_both(dir, stem, h)
}

/// A file-name-safe form of a label.
pub fn slug(s: &str) -> String {
    let mut out: String = s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c.to_ascii_lowercase() } else { '_' }).collect();
    while out.contains("__") {
        out = out.replace("__", "_");
    }
    out.trim_matches('_').to_string()
}
