//! `alertable bench`, run as a user runs it. Only that the benchmarks work is checked
//! here, never their speed.

use std::process::Command;

/// The `cross-process` group starts its peer processes itself, gets every message counted
/// back by each of them (a lost or duplicated one fails the run), and reports every table
/// and its goals.
#[test]
fn cross_process_group_runs_with_its_own_peers() {
    let out = Command::new(env!("CARGO_BIN_EXE_alertable"))
        .args(["bench", "--quick", "cross-process"])
        .output()
        .expect("the alertable binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
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
    let out = Command::new(env!("CARGO_BIN_EXE_alertable"))
        .args(["bench", "--list"])
        .output()
        .expect("the alertable binary runs");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
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
    let out = Command::new(env!("CARGO_BIN_EXE_alertable"))
        .args(["bench", "--quick", "pipe"])
        .output()
        .expect("the alertable binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
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
    let out = Command::new(env!("CARGO_BIN_EXE_alertable"))
        .args(["bench", "--list"])
        .output()
        .expect("the alertable binary runs");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().any(|l| l.starts_with("pipe ")), "{stdout}");
}
