//! `alertable tour`, run as a user runs it: every scenario must match Windows.

use std::process::{Command, Output};

/// Runs the `alertable` binary with `args`.
fn alertable(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_alertable"))
        .args(args)
        .output()
        .expect("the alertable binary runs")
}

/// The scenario names, as `alertable tour --list` prints them.
fn scenario_names() -> Vec<String> {
    let out = alertable(&["tour", "--list"]);
    assert!(out.status.success(), "tour --list failed: {out:?}");
    String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// The verdict lines of a tour's output, keyed by the scenario whose header precedes them.
fn verdicts(stdout: &str) -> Vec<(String, String)> {
    let mut current = None;
    let mut found = Vec::new();
    for line in stdout.lines() {
        if let Some(header) = line.strip_prefix("── ") {
            // "── 1/6 basic · A14, B17, B20 ────"
            current = header.split_whitespace().nth(1).map(str::to_owned);
        } else if line.starts_with("  ✓") || line.starts_with("  ✗") {
            let scenario = current.clone().expect("a verdict follows a header");
            found.push((scenario, line.trim().to_owned()));
        }
    }
    found
}

#[test]
fn every_scenario_matches_windows() {
    let names = scenario_names();
    for expected in [
        "basic",
        "not-alertable",
        "before-start",
        "suspended",
        "thousand",
        "race",
        "wait-vs-apc",
        "abandoned",
        "timer",
        "message-loop",
        "modal-loop",
        "read-file-ex",
        "completion-port",
        "named-pipe",
        "thread-pool",
        "actors",
        "cross-process",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} is not listed"
        );
    }

    let out = alertable(&["tour"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tour failed:\n{stdout}\n{stderr}");
    assert!(
        !stdout.contains('✗'),
        "a scenario differs from Windows:\n{stdout}"
    );

    let verdicts = verdicts(&stdout);
    let ran: Vec<&str> = verdicts.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        ran, names,
        "one verdict per scenario, in tour order:\n{stdout}"
    );
    for (name, verdict) in &verdicts {
        assert!(
            verdict.starts_with("✓ matches Windows: "),
            "{name}: {verdict}"
        );
    }
    let total = names.len();
    assert!(
        stdout.contains(&format!("{total} of {total} scenarios match Windows")),
        "no summary line:\n{stdout}"
    );
}

#[test]
fn blog_shaped_lines_carry_real_thread_ids() {
    let out = alertable(&["tour", "basic"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let tid_of = |suffix: &str| {
        stdout
            .lines()
            .find(|line| line.ends_with(suffix))
            .and_then(|line| line.strip_prefix('['))
            .and_then(|line| line.split(']').next())
            .and_then(|tid| tid.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no `[<tid>] {suffix}` line:\n{stdout}"))
    };
    // The APC ran on the thread that started, which is not the main thread.
    let worker = tid_of("Thread has started");
    assert_eq!(tid_of("APC callback has fired with param=123"), worker);
    assert_ne!(tid_of("-> TRUE"), worker);
    assert!(stdout.lines().any(|line| line == "SleepEx returned 192"));
}

#[test]
fn named_scenarios_run_in_the_order_given() {
    let out = alertable(&["tour", "race", "basic"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let ran: Vec<String> = verdicts(&stdout)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(ran, ["race", "basic"]);
    assert!(stdout.contains("2 of 2 scenarios match Windows"));
}

/// Spec A14, B20, G72, G73 across processes: the second copy of the tour queues three
/// APCs to a thread here, which runs them in one alertable wait; killed while it owns the
/// named mutex, it leaves it abandoned to the thread blocked on it.
#[test]
fn a14_g73_cross_process_apcs_then_an_abandoned_named_mutex() {
    let out = alertable(&["tour", "cross-process"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let apcs: Vec<&str> = stdout
        .lines()
        .filter(|line| line.contains("APC callback has fired"))
        .collect();
    assert_eq!(apcs.len(), 3, "three remote APCs:\n{stdout}");
    for (line, param) in apcs.iter().zip(1..) {
        assert!(
            line.ends_with(&format!("param={param}")),
            "in order: {line}"
        );
    }
    assert_eq!(
        stdout
            .lines()
            .filter(|l| *l == "SleepEx returned 192")
            .count(),
        1,
        "one alertable wait ran all three:\n{stdout}"
    );
    let killed = stdout
        .lines()
        .position(|l| l.contains("SIGKILL"))
        .expect("the child is killed");
    let abandoned = stdout
        .lines()
        .position(|l| l.ends_with("WaitForSingleObject(hMutex, INFINITE) returned 128"))
        .expect("the waiter reports WAIT_ABANDONED_0");
    assert!(killed < abandoned, "{stdout}");
    assert!(
        stdout.contains("1 of 1 scenarios match Windows"),
        "{stdout}"
    );
}

#[test]
fn list_names_every_scenario_with_a_summary() {
    let out = alertable(&["tour", "--list"]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    for line in stdout.lines() {
        let mut parts = line.splitn(2, char::is_whitespace);
        let (name, summary) = (parts.next().unwrap(), parts.next().unwrap_or(""));
        assert!(
            !name.is_empty() && !summary.trim().is_empty(),
            "bad line: {line:?}"
        );
    }
    assert!(stdout.lines().count() >= 14);
}

#[test]
fn unknown_name_is_a_usage_error_listing_the_valid_ones() {
    let out = alertable(&["tour", "no-such-scenario"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no-such-scenario"), "{stderr}");
    for name in scenario_names() {
        assert!(stderr.contains(&name), "{name} missing from:\n{stderr}");
    }
    assert!(out.stdout.is_empty(), "nothing runs");
}
