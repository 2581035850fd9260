//! Results: what each group measured, as tables for the terminal and as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::stats::Summary;

/// What the numbers of a table are, which decides its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Kind {
    /// Nanoseconds per operation, one sample per repetition.
    Time,
    /// Microseconds of latency, one sample per hand-off.
    Latency,
    /// Microseconds of CPU used by an idle thread per window, one sample per repetition.
    IdleCpu,
    /// Allocations per operation, one sample per repetition.
    Allocations,
}

/// One contender's results in one table.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Row {
    /// Stable identifier, for scripts reading the JSON.
    pub(crate) id: &'static str,
    /// Human-readable name.
    pub(crate) contender: &'static str,
    /// The raw samples, in the table's unit.
    pub(crate) samples: Vec<f64>,
    /// Order statistics of `samples`.
    #[serde(flatten)]
    pub(crate) summary: Summary,
    /// Operations per second at the median time (time tables only).
    pub(crate) ops_per_sec: Option<f64>,
    /// This row's median ÷ the first row's median (time and latency tables only): above 1,
    /// this contender takes longer than ours.
    pub(crate) ratio_vs_ours: Option<f64>,
    /// Further numbers, named.
    pub(crate) extra: BTreeMap<&'static str, f64>,
}

/// One table of a group: the first row is ours, the baseline of the ratios.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Table {
    pub(crate) title: String,
    pub(crate) kind: Kind,
    pub(crate) unit: &'static str,
    pub(crate) rows: Vec<Row>,
    /// Whether the rows are compared with the first (the "vs ours" column). Off when the
    /// rows measure different operations rather than rival ways of doing one.
    #[serde(skip)]
    pub(crate) compared: bool,
}

impl Table {
    pub(crate) fn new(title: impl Into<String>, kind: Kind) -> Self {
        let unit = match kind {
            Kind::Time => "ns/op",
            Kind::Latency => "µs",
            Kind::IdleCpu => "µs CPU per window",
            Kind::Allocations => "allocations/op",
        };
        Self {
            title: title.into(),
            kind,
            unit,
            rows: Vec::new(),
            compared: true,
        }
    }

    /// A table whose rows are not compared with one another: no "vs ours" column, and no
    /// `ratio_vs_ours` in the JSON.
    pub(crate) fn uncompared(title: impl Into<String>, kind: Kind) -> Self {
        Self {
            compared: false,
            ..Self::new(title, kind)
        }
    }

    /// Adds a row; ratios are filled in by [`finish`](Self::finish).
    pub(crate) fn push(
        &mut self,
        id: &'static str,
        contender: &'static str,
        samples: Vec<f64>,
        extra: BTreeMap<&'static str, f64>,
    ) {
        let summary = Summary::of(&samples);
        let ops_per_sec =
            (self.kind == Kind::Time && summary.median > 0.0).then(|| 1e9 / summary.median);
        self.rows.push(Row {
            id,
            contender,
            samples,
            summary,
            ops_per_sec,
            ratio_vs_ours: None,
            extra,
        });
    }

    /// Computes every row's ratio against the first row.
    pub(crate) fn finish(mut self) -> Self {
        if self.compared && matches!(self.kind, Kind::Time | Kind::Latency) {
            let base = self.rows.first().map_or(0.0, |r| r.summary.median);
            if base > 0.0 {
                for row in &mut self.rows {
                    row.ratio_vs_ours = Some(row.summary.median / base);
                }
            }
        }
        self
    }

    pub(crate) fn row(&self, id: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.id == id)
    }

    /// The table as aligned text.
    pub(crate) fn render(&self) -> String {
        let (header, cells): (Vec<&str>, Vec<Vec<String>>) = match self.kind {
            Kind::Time => {
                let sending = self
                    .rows
                    .iter()
                    .any(|r| r.extra.contains_key("sending_ns_per_op"));
                let mut header = vec![
                    "contender",
                    "median ns/op",
                    "p10 ns/op",
                    "p90 ns/op",
                    "min ns/op",
                    "max ns/op",
                    "ops/s (median)",
                ];
                if self.compared {
                    header.push("vs ours");
                }
                if sending {
                    header.push("sends done at (ns/op)");
                }
                let cells = self
                    .rows
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let mut cells = vec![
                            r.contender.to_owned(),
                            fmt_ns(r.summary.median),
                            fmt_ns(r.summary.p10),
                            fmt_ns(r.summary.p90),
                            fmt_ns(r.summary.min),
                            fmt_ns(r.summary.max),
                            r.ops_per_sec.map_or_else(String::new, fmt_rate),
                        ];
                        if self.compared {
                            cells.push(fmt_ratio(i, r.ratio_vs_ours));
                        }
                        if sending {
                            cells.push(
                                r.extra
                                    .get("sending_ns_per_op")
                                    .map_or_else(String::new, |&ns| fmt_ns(ns)),
                            );
                        }
                        cells
                    })
                    .collect();
                (header, cells)
            }
            Kind::Latency => {
                let mut header = vec![
                    "contender",
                    "median µs",
                    "p10 µs",
                    "p90 µs",
                    "p99 µs",
                    "min µs",
                    "max µs",
                ];
                if self.compared {
                    header.push("vs ours (median)");
                }
                let cells = self
                    .rows
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let mut cells = vec![
                            r.contender.to_owned(),
                            format!("{:.1}", r.summary.median),
                            format!("{:.1}", r.summary.p10),
                            format!("{:.1}", r.summary.p90),
                            format!("{:.1}", r.summary.p99),
                            format!("{:.1}", r.summary.min),
                            format!("{:.1}", r.summary.max),
                        ];
                        if self.compared {
                            cells.push(fmt_ratio(i, r.ratio_vs_ours));
                        }
                        cells
                    })
                    .collect();
                (header, cells)
            }
            Kind::IdleCpu => (
                vec![
                    "contender",
                    "median CPU µs",
                    "p10",
                    "p90",
                    "max CPU µs",
                    "% of a core",
                    "context switches",
                ],
                self.rows
                    .iter()
                    .map(|r| {
                        let window_us = r.extra.get("window_us").copied().unwrap_or(0.0);
                        vec![
                            r.contender.to_owned(),
                            format!("{:.1}", r.summary.median),
                            format!("{:.1}", r.summary.p10),
                            format!("{:.1}", r.summary.p90),
                            format!("{:.1}", r.summary.max),
                            if window_us > 0.0 {
                                format!("{:.4} %", 100.0 * r.summary.median / window_us)
                            } else {
                                String::new()
                            },
                            r.extra
                                .get("context_switches")
                                .map_or_else(String::new, |c| format!("{c:.0}")),
                        ]
                    })
                    .collect(),
            ),
            Kind::Allocations => (
                vec![
                    "contender",
                    "allocations/op (median)",
                    "p10",
                    "p90",
                    "max",
                    "allocations in the run",
                ],
                self.rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.contender.to_owned(),
                            format!("{:.4}", r.summary.median),
                            format!("{:.4}", r.summary.p10),
                            format!("{:.4}", r.summary.p90),
                            format!("{:.4}", r.summary.max),
                            r.extra
                                .get("allocations")
                                .map_or_else(String::new, |a| format!("{a:.0}")),
                        ]
                    })
                    .collect(),
            ),
        };
        let mut out = String::new();
        let _ = writeln!(out, "  {}", self.title);
        render_grid(&mut out, &header, &cells);
        out
    }
}

/// The results of one group.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct GroupReport {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    pub(crate) tables: Vec<Table>,
    pub(crate) notes: Vec<String>,
}

impl GroupReport {
    pub(crate) fn render(&self) -> String {
        let mut out = format!("\n== {} — {}\n", self.name, self.description);
        for table in &self.tables {
            out.push('\n');
            out.push_str(&table.render());
        }
        if !self.notes.is_empty() {
            out.push('\n');
        }
        for note in &self.notes {
            let _ = writeln!(out, "  {note}");
        }
        out
    }
}

fn render_grid(out: &mut String, header: &[&str], cells: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, row: &[String]| {
        out.push_str("  ");
        for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
            if i == 0 {
                let _ = write!(out, "{cell:<w$}");
            } else {
                let _ = write!(out, "  {cell:>w$}");
            }
        }
        out.push('\n');
    };
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    line(out, &header);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(out, &rule);
    for row in cells {
        line(out, row);
    }
}

fn fmt_ns(ns: f64) -> String {
    if ns < 100.0 {
        format!("{ns:.1}")
    } else {
        format!("{ns:.0}")
    }
}

fn fmt_rate(per_sec: f64) -> String {
    if per_sec >= 1e6 {
        format!("{:.2} M/s", per_sec / 1e6)
    } else if per_sec >= 1e3 {
        format!("{:.1} k/s", per_sec / 1e3)
    } else {
        format!("{per_sec:.0} /s")
    }
}

/// "baseline" for the first row; otherwise how this contender compares with ours.
fn fmt_ratio(index: usize, ratio: Option<f64>) -> String {
    match ratio {
        _ if index == 0 => "baseline".to_owned(),
        Some(r) if r >= 1.0 => format!("{r:.2}× slower"),
        Some(r) if r > 0.0 => format!("{:.2}× faster", 1.0 / r),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{Kind, Table};

    fn table(compared: bool) -> Table {
        let mut t = if compared {
            Table::new("t", Kind::Latency)
        } else {
            Table::uncompared("t", Kind::Latency)
        };
        t.push("a", "a", vec![1.0, 2.0, 3.0], BTreeMap::new());
        t.push("b", "b", vec![4.0], BTreeMap::new());
        t.finish()
    }

    #[test]
    fn compared_tables_have_ratios_and_uncompared_ones_none() {
        let compared = table(true);
        assert_eq!(compared.rows[1].ratio_vs_ours, Some(2.0));
        assert!(compared.render().contains("vs ours"));
        let uncompared = table(false);
        assert!(uncompared.rows.iter().all(|r| r.ratio_vs_ours.is_none()));
        assert!(!uncompared.render().contains("vs ours"));
    }
}
