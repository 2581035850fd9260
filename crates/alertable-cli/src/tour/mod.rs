//! `alertable tour`: the classic console experiments with user-mode APCs, replayed live.
//!
//! Each [`Scenario`] runs real threads through the library, prints what they do in the shape
//! of the Win32 console experiments (`[<tid>] APC callback has fired with param=123`,
//! `SleepEx returned 192`), and ends with one verdict line comparing what happened with what
//! Windows does. Every ordering a verdict depends on is forced with channels or the library's
//! own guarantees; the few sleeps that appear are part of what a scenario demonstrates.
//!
//! The tour is a table: a new feature (objects, timers, I/O, messages, actors) joins it by
//! adding a module with a [`Scenario`] constant and one line in [`SCENARIOS`].

use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::Instant;

use clap::builder::{PossibleValue, PossibleValuesParser};

mod abandoned;
mod actors;
mod basic;
mod before_start;
mod completion_port;
mod cross_process;
mod journal;
mod message_loop;
mod modal_loop;
mod named_pipe;
mod not_alertable;
mod race;
mod read_file_ex;
mod suspended;
mod thousand;
mod thread_pool;
mod timer;
mod verdict;
mod wait_vs_apc;

use verdict::{Mismatch, Outcome};

/// Every scenario, in tour order.
const SCENARIOS: &[Scenario] = &[
    basic::SCENARIO,
    not_alertable::SCENARIO,
    before_start::SCENARIO,
    suspended::SCENARIO,
    thousand::SCENARIO,
    race::SCENARIO,
    wait_vs_apc::SCENARIO,
    abandoned::SCENARIO,
    timer::SCENARIO,
    message_loop::SCENARIO,
    modal_loop::SCENARIO,
    read_file_ex::SCENARIO,
    completion_port::SCENARIO,
    named_pipe::SCENARIO,
    thread_pool::SCENARIO,
    actors::SCENARIO,
    cross_process::SCENARIO,
];

/// The width the tour's headers and descriptions are laid out for.
const WIDTH: usize = 88;

/// One experiment of the tour.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scenario {
    /// The name that selects it on the command line (`alertable tour NAME`).
    pub(crate) name: &'static str,
    /// One line for `alertable tour --list`.
    pub(crate) summary: &'static str,
    /// The entries of the behaviour specification it exercises, such as `"B19"`.
    pub(crate) spec: &'static str,
    /// What it does and what Windows does, printed before it runs.
    pub(crate) description: &'static str,
    /// Runs it, printing as it goes, and tells how the outcome compares with Windows.
    pub(crate) run: fn() -> Outcome,
}

/// Arguments of `alertable tour`.
#[derive(Debug, clap::Args)]
pub(crate) struct TourArgs {
    /// Scenarios to run, in the order given [default: all of them, in tour order].
    #[arg(value_name = "NAME", value_parser = scenario_names())]
    names: Vec<String>,

    /// List the scenarios with a one-line summary each, and run nothing.
    #[arg(long, conflicts_with = "names")]
    list: bool,
}

/// The valid scenario names, with their summaries for `--help` and for the error message
/// that an unknown name produces.
fn scenario_names() -> PossibleValuesParser {
    PossibleValuesParser::new(
        SCENARIOS
            .iter()
            .map(|scenario| PossibleValue::new(scenario.name).help(scenario.summary)),
    )
}

/// Runs `alertable tour`: success when every scenario run matches Windows.
pub(crate) fn run(args: TourArgs) -> ExitCode {
    if args.list {
        list();
        return ExitCode::SUCCESS;
    }
    let chosen: Vec<&Scenario> = if args.names.is_empty() {
        SCENARIOS.iter().collect()
    } else {
        // Clap has already rejected unknown names.
        args.names
            .iter()
            .filter_map(|name| SCENARIOS.iter().find(|s| s.name == name))
            .collect()
    };

    let started = Instant::now();
    let mut differing = Vec::new();
    for (index, scenario) in chosen.iter().enumerate() {
        introduce(scenario, index + 1, chosen.len());
        journal::reset();
        let outcome =
            panic::catch_unwind(AssertUnwindSafe(scenario.run)).unwrap_or_else(|payload| {
                Err(Mismatch::new(format!(
                    "the scenario panicked: {}",
                    verdict::panic_message(&*payload)
                )))
            });
        // Whatever the outcome, print the lines still held back.
        drop(journal::take());
        match outcome {
            Ok(how) => say(&format!("  ✓ matches Windows: {how}")),
            Err(Mismatch(why)) => {
                say(&format!("  ✗ differs from Windows: {why}"));
                differing.push(scenario.name);
            }
        }
        say("");
    }

    let matching = chosen.len() - differing.len();
    let elapsed = started.elapsed().as_secs_f64();
    if differing.is_empty() {
        say(&format!(
            "{matching} of {} scenarios match Windows ({elapsed:.2} s)",
            chosen.len()
        ));
        ExitCode::SUCCESS
    } else {
        say(&format!(
            "{matching} of {} scenarios match Windows ({elapsed:.2} s); differing: {}",
            chosen.len(),
            differing.join(", ")
        ));
        ExitCode::FAILURE
    }
}

/// Runs the other process of a scenario that needs two: `alertable __peer tour NAME …`,
/// started by the scenario itself.
pub(crate) fn peer(role: &[String]) -> ExitCode {
    match role.first().map(String::as_str) {
        Some("cross-process") => cross_process::child(&role[1..]),
        other => {
            eprintln!("error: no tour scenario runs a peer named {other:?}");
            ExitCode::from(2)
        }
    }
}

/// Prints `alertable tour --list`: one line per scenario.
fn list() {
    let width = SCENARIOS.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for scenario in SCENARIOS {
        say(&format!("{:width$}  {}", scenario.name, scenario.summary));
    }
}

/// Prints a scenario's header and description.
fn introduce(scenario: &Scenario, number: usize, total: usize) {
    let title = format!("── {number}/{total} {} · {} ", scenario.name, scenario.spec);
    let rule = WIDTH.saturating_sub(title.chars().count());
    say(&format!("{title}{}", "─".repeat(rule)));
    for line in wrap(scenario.description, WIDTH) {
        say(&line);
    }
    say("");
}

/// Breaks `text` into lines of at most `width` characters (longer words stand alone),
/// treating every run of whitespace as one space.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Prints one line to stdout. A closed stdout (`alertable tour | head`) is not an error:
/// the scenarios still run to their verdicts and the exit code still reports them.
pub(crate) fn say(line: &str) {
    let _ = writeln!(io::stdout().lock(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_descriptions_present() {
        for (i, scenario) in SCENARIOS.iter().enumerate() {
            assert!(
                SCENARIOS[..i].iter().all(|s| s.name != scenario.name),
                "duplicate scenario name {}",
                scenario.name
            );
            assert!(!scenario.summary.is_empty() && !scenario.description.is_empty());
        }
    }

    #[test]
    fn wrap_respects_the_width() {
        let lines = wrap("aaa bbb  ccc\n ddd eeeeeeeeee", 7);
        assert_eq!(lines, ["aaa bbb", "ccc ddd", "eeeeeeeeee"]);
    }
}
