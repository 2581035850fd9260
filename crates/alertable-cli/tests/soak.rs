//! `alertable soak`, briefly, on each I/O backend: every workload runs for a few seconds and
//! no invariant may break. The long runs (30 minutes per backend) are documented in the
//! README; this keeps the soak itself working.

use std::process::{Command, Output};

/// Runs a short soak with a fixed seed (so that a failure can be replayed) on `backend`
/// (`None`: the library's choice).
fn soak(backend: Option<&str>, seed: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_alertable"));
    command.args(["soak", "--duration", "4s", "--seed", seed]);
    match backend {
        Some(backend) => command.env("ALERTABLE_IO_BACKEND", backend),
        None => command.env_remove("ALERTABLE_IO_BACKEND"),
    };
    command.output().expect("the alertable binary runs")
}

/// Asserts a clean run that did some of everything.
fn assert_clean(out: &Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the soak failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("no violations"), "{stdout}");
    for workload in [
        "apcs", "churn", "timers", "files", "ports", "mutexes", "actors",
    ] {
        let line = stdout
            .lines()
            .find(|line| line.trim_start().starts_with(workload))
            .unwrap_or_else(|| panic!("no summary line for {workload}:\n{stdout}"));
        // The first count of each line is the workload's headline: it did something.
        let first = line
            .split(',')
            .next()
            .and_then(|item| item.split_whitespace().last())
            .and_then(|n| n.parse::<u64>().ok());
        assert!(
            first.is_some_and(|n| n > 0),
            "{workload} did nothing: {line}"
        );
    }
}

#[test]
fn a_short_soak_is_clean_on_io_uring() {
    // Falls back to the worker threads where io_uring is unavailable, as the library does.
    let out = soak(None, "1");
    assert_clean(&out);
}

#[test]
fn a_short_soak_is_clean_on_worker_threads() {
    let out = soak(Some("threads"), "2");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("I/O backend threads"), "{stdout}");
    assert_clean(&out);
}
