//! `--report DIR`: `DIR/index.html`, one page with the environment, the goal verdicts and,
//! for every group that ran, a plot of its samples above its tables.
//!
//! Medians hide what matters for hand-offs (a wait that spins either catches the other
//! thread in a fraction of a microsecond or sleeps for microseconds), so each group gets
//! one SVG, drawn with `plotters`' SVG backend (its text is left to the browser's fonts:
//! no font files are read), with a panel per table. A panel has a row per contender: every
//! sample is a dot, a thick bar spans p10 to p90, a thin line min to max, and a tick marks
//! the median. A panel whose samples span a factor of 10 or more is drawn on a log scale,
//! so that both modes of a bimodal contender show.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::Results;
use super::goals::Status;
use super::report::{GroupReport, Table};

/// The page's file, created before any group runs, so that a directory that cannot be
/// written fails the run at once instead of after minutes of measuring.
#[derive(Debug)]
pub(super) struct Page {
    file: File,
    path: PathBuf,
}

impl Page {
    /// Creates `dir` (with its parents) and an empty `dir/index.html`.
    pub(super) fn create(dir: &Path) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let path = dir.join("index.html");
        let file = File::create(&path)?;
        Ok(Self { file, path })
    }

    /// Where the page is.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the page for `results`.
    pub(super) fn write(mut self, results: &Results) -> io::Result<()> {
        self.file.write_all(render(results).as_bytes())?;
        self.file.flush()
    }
}

/// The whole page.
fn render(results: &Results) -> String {
    let title = format!("alertable bench ({})", results.mode);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n\
         <pre class=\"environment\">{}</pre>\n",
        escape(&results.environment.to_string())
    );
    if results.environment.profile == "debug" {
        out.push_str("<p><strong>debug build: these numbers mean little.</strong></p>\n");
    }
    let _ = writeln!(
        out,
        "<p>Times are medians over {} runs; “vs ours” = the contender's median ÷ ours (the \
         first row). Each group ends with the spin probe taken just before and just after it \
         ran: the regime the machine was in.</p>",
        results.settings.reps
    );
    out.push_str(
        "<p>In the plots, each row is a contender: a dot per sample (per run for times, per \
         hand-off for latencies), a thick bar from p10 to p90, a thin line from min to max, a \
         black tick at the median.</p>\n",
    );

    out.push_str("<h2>Goals</h2>\n");
    if results.mode == "quick" {
        out.push_str(
            "<p>A quick run: the workloads are too small for these verdicts to mean much.</p>\n",
        );
    }
    out.push_str(
        "<table class=\"goals\">\n<tr><th>verdict</th><th>goal</th><th>measured</th></tr>\n",
    );
    for goal in &results.goals {
        let class = match goal.status {
            Status::Met => "met",
            Status::Missed => "missed",
            Status::NotRun => "not-run",
        };
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td>{}</td><td>{}</td><td>{}</td></tr>",
            goal.status,
            escape(goal.goal),
            escape(&goal.measured)
        );
    }
    out.push_str("</table>\n");

    out.push_str("<h2>Groups</h2>\n<ul>\n");
    for group in &results.groups {
        let _ = writeln!(
            out,
            "<li><a href=\"#{0}\">{0}</a> — {1}</li>",
            escape(group.name),
            escape(group.description)
        );
    }
    out.push_str("</ul>\n");
    for group in &results.groups {
        let _ = writeln!(
            out,
            "<section id=\"{0}\">\n<h2>{0} — {1}</h2>",
            escape(group.name),
            escape(group.description)
        );
        match plot(group) {
            Ok(svg) => {
                out.push_str("<div class=\"plot\">");
                out.push_str(&svg);
                out.push_str("</div>\n");
            }
            Err(e) => {
                let _ = writeln!(out, "<p>no plot: {}</p>", escape(&e));
            }
        }
        let _ = writeln!(out, "<pre>{}</pre>\n</section>", escape(&group.render()));
    }
    let _ = writeln!(
        out,
        "<p>total time: {:.1} s</p>\n</body>\n</html>",
        results.wall_time_s
    );
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;max-width:80em}\
pre{font-size:12px;overflow-x:auto}\
table.goals{border-collapse:collapse}\
table.goals td,table.goals th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}\
tr.met td:first-child{color:#176b1b;font-weight:bold}\
tr.missed td:first-child{color:#b00020;font-weight:bold}\
tr.not-run td{color:#777}";

/// `text` with the characters that mean something in HTML replaced.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Width of a group's SVG, in pixels.
const WIDTH: u32 = 1000;
/// Height of one contender's row.
const ROW: u32 = 26;
/// Height of a panel beyond its rows: caption, margins, the x axis and its labels.
const PANEL: u32 = 90;
/// Width of the contenders' names, left of a panel.
const NAMES: u32 = 270;
/// A panel goes to a log scale when its largest sample is at least this many times its
/// smallest.
const LOG_SPAN: f64 = 10.0;

/// The colours of the rows, in turn.
const COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// One SVG for `group`: a panel per table, one above the other.
fn plot(group: &GroupReport) -> Result<String, String> {
    let heights: Vec<u32> = group
        .tables
        .iter()
        .map(|t| PANEL + ROW * u32::try_from(t.rows.len().max(1)).unwrap_or(u32::MAX / 2 / ROW))
        .collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, heights.iter().sum::<u32>().max(1)))
            .into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut rest = root.clone();
        for (table, height) in group.tables.iter().zip(&heights) {
            let (area, below) = rest.split_vertically(*height);
            panel(&area, table)?;
            rest = below;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// One table's panel: a log scale when its samples span a wide range, linear from zero
/// otherwise.
fn panel(area: &DrawingArea<SVGBackend<'_>, Shift>, table: &Table) -> Result<(), String> {
    let finite = || {
        table
            .rows
            .iter()
            .flat_map(|r| &r.samples)
            .copied()
            .filter(|v| v.is_finite())
    };
    let lo = finite().fold(f64::INFINITY, f64::min);
    let hi = finite().fold(f64::NEG_INFINITY, f64::max);
    if lo > hi {
        // No samples at all.
        return draw(area, table, RangedCoordf64::from(0.0..1.0), false);
    }
    if lo > 0.0 && hi / lo >= LOG_SPAN {
        let (from, to) = (lo / 1.25, hi * 1.25);
        let x = (from..to)
            .log_scale()
            .with_key_points(log_ticks(from, to, &[1.0, 2.0, 5.0]))
            .with_light_points(log_ticks(
                from,
                to,
                &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
            ));
        draw(area, table, x, true)
    } else {
        let from = lo.min(0.0) * 1.05;
        let to = if hi > from { hi * 1.05 } else { from + 1.0 };
        draw(area, table, RangedCoordf64::from(from..to), false)
    }
}

/// Draws `table` into `area` along `x`.
fn draw<X>(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    table: &Table,
    x: X,
    log: bool,
) -> Result<(), String>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let n = table.rows.len();
    let last = i32::try_from(n.max(1) - 1).map_err(|e| e.to_string())?;
    // Row `i` (ours first) is drawn at the top: segment `last - i` counts from the bottom.
    let at = |i: usize| SegmentValue::CenterOf(last - i32::try_from(i).unwrap_or(last));
    let caption = format!(
        "{} — {}{}",
        short_title(&table.title),
        table.unit,
        if log { " (log scale)" } else { "" }
    );
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 14))
        .margin(8)
        .margin_right(24)
        .x_label_area_size(28)
        .y_label_area_size(NAMES)
        .build_cartesian_2d(x, (0..last).into_segmented())
        .map_err(|e| e.to_string())?;
    let name_of = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(k) | SegmentValue::Exact(k) => usize::try_from(last - k)
            .ok()
            .and_then(|i| table.rows.get(i))
            .map_or_else(String::new, |r| r.contender.to_owned()),
        SegmentValue::Last => String::new(),
    };
    let value = |v: &f64| format_value(*v);
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n.max(1))
        .y_label_formatter(&name_of)
        .x_labels(10)
        .x_label_formatter(&value)
        .label_style(("sans-serif", 12))
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(|e| e.to_string())?;

    for (i, row) in table.rows.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let y = at(i);
        let s = row.summary;
        if row.samples.is_empty() {
            continue;
        }
        chart
            .draw_series([
                PathElement::new(
                    vec![(s.min, y.clone()), (s.max, y.clone())],
                    colour.stroke_width(1),
                ),
                PathElement::new(
                    vec![(s.p10, y.clone()), (s.p90, y.clone())],
                    colour.mix(0.35).stroke_width(10),
                ),
            ])
            .map_err(|e| e.to_string())?;
        // The dots are spread over a few pixels up and down, in a fixed pattern, so that
        // equal samples do not hide one another.
        chart
            .draw_series(
                row.samples
                    .iter()
                    .filter(|v| v.is_finite())
                    .enumerate()
                    .map(|(k, &v)| {
                        let jitter = i32::try_from(k * 7 % 11).unwrap_or(0) - 5;
                        EmptyElement::at((v, y.clone()))
                            + Circle::new((0, jitter), 2, colour.mix(0.6).filled())
                    }),
            )
            .map_err(|e| e.to_string())?;
        chart
            .draw_series([EmptyElement::at((s.median, y.clone()))
                + PathElement::new(vec![(0, -9), (0, 9)], BLACK.stroke_width(2))])
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The most characters of a table's title that fit above its panel (the text is laid out
/// by the browser, so this is an estimate for common sans-serif fonts).
const TITLE_CHARS: usize = 110;

/// `title`, or when it is too long to fit above a panel, its head: the part before the
/// first colon or semicolon that ends a clause, or else its first `TITLE_CHARS` characters. The whole title
/// heads the table under the plot.
fn short_title(title: &str) -> String {
    if title.chars().count() <= TITLE_CHARS {
        return title.to_owned();
    }
    // A colon or semicolon that ends a clause: `Alertable::Yes` is not one.
    let head = [": ", "; "]
        .iter()
        .filter_map(|sep| title.find(sep))
        .min()
        .map(|end| &title[..end]);
    match head {
        Some(head) if head.chars().count() <= TITLE_CHARS => format!("{head} …"),
        _ => title.chars().take(TITLE_CHARS).chain(['…']).collect(),
    }
}

/// The values `m × 10^k` in `from..=to` for each `m` of `mantissas`, ascending: the
/// labelled (1, 2, 5) and the light (1 to 9) lines of a log axis.
fn log_ticks(from: f64, to: f64, mantissas: &[f64]) -> Vec<f64> {
    let mut ticks = Vec::new();
    let mut decade = 10f64.powf(from.log10().floor());
    while decade <= to {
        for m in mantissas {
            let v = m * decade;
            if (from..=to).contains(&v) {
                ticks.push(v);
            }
        }
        decade *= 10.0;
    }
    ticks
}

/// An axis label: a few significant digits, no trailing zeros.
fn format_value(v: f64) -> String {
    let magnitude = v.abs();
    let text = if magnitude == 0.0 {
        return "0".to_owned();
    } else if magnitude >= 100.0 {
        format!("{v:.0}")
    } else if magnitude >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    };
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{TITLE_CHARS, escape, format_value, log_ticks, plot, short_title};
    use crate::bench::report::{GroupReport, Kind, Table};

    fn group(samples: [Vec<f64>; 2]) -> GroupReport {
        let mut table = Table::new("t", Kind::Time);
        let [ours, theirs] = samples;
        table.push("ours", "ours", ours, BTreeMap::new());
        table.push("theirs", "theirs <b>", theirs, BTreeMap::new());
        GroupReport {
            name: "g",
            description: "d",
            tables: vec![table.finish(), Table::new("empty", Kind::Latency)],
            notes: Vec::new(),
        }
    }

    #[test]
    fn a_group_is_one_svg_with_a_dot_per_sample() {
        let svg = plot(&group([vec![1.0, 2.0, 3.0], vec![4.0, 5.0]])).expect("plots");
        assert_eq!(svg.matches("<svg").count(), 1, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 5, "{svg}");
        assert!(
            svg.contains("theirs &lt;b&gt;") || svg.contains("theirs &lt;b>"),
            "{svg}"
        );
        assert!(!svg.contains("log scale"), "{svg}");
    }

    #[test]
    fn a_wide_span_is_drawn_on_a_log_scale_and_zeros_linearly() {
        let svg = plot(&group([vec![250.0, 260.0, 9000.0], vec![400.0]])).expect("plots");
        assert!(svg.contains("log scale"), "{svg}");
        let svg = plot(&group([vec![0.0, 0.0], vec![0.0, 1.0]])).expect("plots");
        assert!(!svg.contains("log scale"), "{svg}");
    }

    #[test]
    fn escapes_and_labels() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(format_value(1500.0), "1500");
        assert_eq!(format_value(2.50), "2.5");
        assert_eq!(format_value(0.0320), "0.032");
        assert_eq!(format_value(0.0), "0");
        assert_eq!(short_title("short: kept"), "short: kept");
        let long = format!("head: {}", "x".repeat(TITLE_CHARS));
        assert_eq!(short_title(&long), "head …");
        let long = format!(
            "in sleep_ex(None, Alertable::Yes); {}",
            "x".repeat(TITLE_CHARS)
        );
        assert_eq!(short_title(&long), "in sleep_ex(None, Alertable::Yes) …");
        let long = "y".repeat(TITLE_CHARS + 5);
        assert_eq!(short_title(&long).chars().count(), TITLE_CHARS + 1);
        assert_eq!(
            log_ticks(150.0, 12_000.0, &[1.0, 2.0, 5.0]),
            [200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0]
        );
    }
}
