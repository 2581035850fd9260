//! `alertable bench`, run as a user runs it. Only that the benchmarks work is checked
//! here, never their speed.

use std::ffi::OsStr;
use std::process::Command;

/// Runs `alertable` with `args`, asserts that it succeeded (showing what it printed if not),
/// and returns its standard output.
fn bench_ok<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_alertable"))
        .args(args)
        .output()
        .expect("the alertable binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    stdout
}

/// The `cross-process` group starts its peer processes itself, gets every message counted
/// back by each of them (a lost or duplicated one fails the run), and reports every table
/// and its goals.
#[test]
fn cross_process_group_runs_with_its_own_peers() {
    let stdout = bench_ok(["bench", "--quick", "cross-process"]);
    for title in [
        "throughput, 8-byte messages",
        "throughput, 64-byte messages",
        "round trip, 8-byte messages",
        "named events:",
        "idle peers:",
    ] {
        assert!(stdout.contains(title), "no {title:?} table:\n{stdout}");
    }
    for row in [
        "ours: RemoteThread::queue",
        "Unix socket (SOCK_SEQPACKET)",
        "pipe (a pair)",
        "iceoryx2 0.10",
        "named events, two processes",
        "ours: published thread in sleep_ex",
    ] {
        assert!(stdout.contains(row), "no {row:?} row:\n{stdout}");
    }
    // Every cross-process goal was evaluated (met or missed, not "not run").
    let goals: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("cross-process") || l.contains("named event set"))
        .filter(|l| l.trim_start().starts_with('['))
        .collect();
    assert_eq!(goals.len(), 4, "{stdout}");
    assert!(goals.iter().all(|g| !g.contains("not run")), "{stdout}");
    assert!(
        stdout.contains("an idle published thread uses no measurable CPU"),
        "{stdout}"
    );
}

/// `--list` names the group.
#[test]
fn list_names_the_cross_process_group() {
    let stdout = bench_ok(["bench", "--list"]);
    assert!(
        stdout.lines().any(|l| l.starts_with("cross-process ")),
        "{stdout}"
    );
}

/// The `pipe` group starts its named-pipe and socket peers itself (each echoed message is
/// checked, each throughput run answered only when the peer has counted every byte),
/// reports both tables with every contender, and evaluates both of its goals.
#[test]
fn pipe_group_runs_with_its_own_peers() {
    let stdout = bench_ok(["bench", "--quick", "pipe"]);
    for title in ["round trip, 8-byte messages", "throughput, 4 KiB writes"] {
        assert!(stdout.contains(title), "no {title:?} table:\n{stdout}");
    }
    for row in [
        "ours: NamedPipe, client transact",
        "ours: NamedPipe, client write + read",
        "raw Unix socket (SOCK_SEQPACKET)",
        "ours: NamedPipe, byte mode",
        "raw Unix socket (SOCK_STREAM)",
    ] {
        assert!(stdout.contains(row), "no {row:?} row:\n{stdout}");
    }
    let goals: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("named-pipe"))
        .filter(|l| l.trim_start().starts_with('['))
        .collect();
    assert_eq!(goals.len(), 2, "{stdout}");
    assert!(goals.iter().all(|g| !g.contains("not run")), "{stdout}");
}

/// `--list` names the `pipe` group.
#[test]
fn list_names_the_pipe_group() {
    let stdout = bench_ok(["bench", "--list"]);
    assert!(stdout.lines().any(|l| l.starts_with("pipe ")), "{stdout}");
}

/// The `objects` group runs set + wait pairs on independent objects on one thread and on
/// two, reports that table with its scaling note, and evaluates its goal.
#[test]
fn objects_group_reports_independent_objects_on_two_threads() {
    let stdout = bench_ok(["bench", "--quick", "objects"]);
    assert!(
        stdout.contains("independent objects: set + wait on one thread"),
        "no independent-objects table:\n{stdout}"
    );
    for row in [
        "ours: 1 thread, Event::set + wait_one(None)",
        "ours: 2 threads, an event each",
        "std Mutex<bool> + Condvar, 1 thread",
        "std Mutex<bool> + Condvar, 2 threads, a pair each",
    ] {
        assert!(stdout.contains(row), "no {row:?} row:\n{stdout}");
    }
    assert!(
        stdout.contains("rate with 2 threads ÷ rate with 1"),
        "no scaling note:\n{stdout}"
    );
    let goal = stdout
        .lines()
        .find(|l| l.contains("independent objects: 2 threads") && l.trim_start().starts_with('['))
        .unwrap_or_else(|| panic!("no independent-objects goal:\n{stdout}"));
    assert!(!goal.contains("not run"), "{stdout}");
}

/// `multi-producer` runs its tables in rounds (each round runs every producer count once)
/// and reports the regime of each round, so that its scaling ratios compare tables that
/// drew on the same regimes; it evaluates its goal against crossbeam-channel.
#[test]
fn multi_producer_reports_the_regime_of_each_round() {
    let stdout = bench_ok(["bench", "--quick", "multi-producer"]);
    let regimes = stdout
        .lines()
        .find(|l| l.contains("regime of each round"))
        .unwrap_or_else(|| panic!("no per-round regime:\n{stdout}"));
    // Five rounds in a quick run, and one probe after the last.
    let probes = regimes.matches("parallel (").count() + regimes.matches("shared (").count();
    assert_eq!(probes, 6, "{regimes}");
    assert!(
        stdout.contains("the tables ran in the same rounds"),
        "{stdout}"
    );
    let goal = stdout
        .lines()
        .find(|l| l.contains("4 producers ≥ 1.0×") && l.trim_start().starts_with('['))
        .unwrap_or_else(|| panic!("no multi-producer goal:\n{stdout}"));
    assert!(!goal.contains("not run"), "{stdout}");
}

/// A directory of its own under the system's temporary directory, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("alertable-bench-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `--report DIR` writes `DIR/index.html`: the environment with its spin-probe lines, one
/// SVG plot of the samples per group run, and the goal verdicts; the terminal tables show
/// p10 and p90, and kanal runs beside crossbeam-channel.
#[test]
fn report_writes_a_page_with_a_plot_per_group_and_the_verdicts() {
    let tmp = TempDir::new("report");
    let dir = tmp.0.join("out");
    let stdout = bench_ok([
        OsStr::new("bench"),
        OsStr::new("--quick"),
        OsStr::new("--report"),
        dir.as_os_str(),
        OsStr::new("ping-pong"),
        OsStr::new("allocations"),
    ]);
    for column in ["p10 ns/op", "p90 ns/op"] {
        assert!(stdout.contains(column), "no {column:?} column:\n{stdout}");
    }
    assert!(stdout.contains("kanal"), "no kanal row:\n{stdout}");

    let page = std::fs::read_to_string(dir.join("index.html")).expect("DIR/index.html written");
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert_eq!(
        page.matches("<svg").count(),
        2,
        "one plot per group:\n{page}"
    );
    assert_eq!(page.matches("</svg>").count(), 2, "{page}");
    for text in [
        "ping-pong",
        "allocations",
        "kanal",
        "spin probe:",
        "regime before the group",
    ] {
        assert!(page.contains(text), "no {text:?} in the page:\n{page}");
    }
    // The verdicts: the goal of each group that ran, with whether it was met.
    for goal in [
        "ping-pong round trip ≤ 1.0× the better of crossbeam-channel",
        "0 allocations per APC for queue_user_apc and small closures",
    ] {
        let at = page
            .find(goal)
            .unwrap_or_else(|| panic!("no {goal:?}:\n{page}"));
        let line = &page[page[..at].rfind("<tr").expect("a goal is a table row")..at];
        assert!(line.contains("met") || line.contains("MISSED"), "{line}");
    }
}

/// A report directory that cannot be created is an error named on stderr, with a nonzero
/// exit status, before any group runs.
#[test]
fn report_to_an_unwritable_directory_fails_at_once() {
    let tmp = TempDir::new("report-unwritable");
    // A directory under a regular file cannot be created, whoever runs the test.
    let file = tmp.0.join("a-file");
    std::fs::write(&file, "").expect("create a file");
    let dir = file.join("report");
    let out = Command::new(env!("CARGO_BIN_EXE_alertable"))
        .args(["bench", "--quick", "--report"])
        .arg(&dir)
        .arg("ping-pong")
        .output()
        .expect("the alertable binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("error: cannot write the report")
            && stderr.contains(&*dir.to_string_lossy()),
        "{stderr}"
    );
    assert!(!stdout.contains("== ping-pong"), "no group runs: {stdout}");
}

/// The `io` group checks every read of every contender (a contender that reads nothing, or
/// the wrong block, fails the run); where io_uring can be set up, the raw ring is measured
/// plain and with one APC per completion, the least a completion routine costs.
#[test]
fn io_group_runs_every_contender_and_checks_its_reads() {
    let stdout = bench_ok(["bench", "--quick", "io"]);
    for row in ["ours: read_ex + sleep_ex", "blocking pread"] {
        assert!(stdout.contains(row), "no {row:?} row:\n{stdout}");
    }
    if stdout.contains("raw io_uring (io-uring crate") {
        assert!(
            stdout.contains("raw io_uring, registered file, 1 APC per completion"),
            "no APC floor beside the raw ring:\n{stdout}"
        );
    }
}
