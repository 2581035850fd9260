//! Pipes between processes: `conformance/t_pipe_servers.c` run as a server process — in
//! each of the three shapes of Microsoft's pipe server samples (completion routines,
//! overlapped requests with an event per instance, a thread per client) — and six client
//! processes at once, which open the pipe (waiting with `WaitNamedPipe` while every
//! instance is busy) and ask with `WriteFile`/`ReadFile`, `TransactNamedPipe` and
//! `CallNamedPipe`. Each client prints the reply it got; the server ends after six
//! sessions. On both I/O backends.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use common::{build_program, scratch_dir};

const CLIENTS: usize = 6;

fn program() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/t_pipe_servers.c");
        let exe = scratch_dir("pipes").join("t_pipe_servers");
        build_program(&source, &exe, &[]);
        exe
    })
}

/// Runs the program on `backend`: `"default"` (io_uring where the kernel offers it) or
/// `"threads"`.
fn spawn(args: &[&str], backend: &str) -> Child {
    let mut command = Command::new(program());
    if backend == "default" {
        command.env_remove("ALERTABLE_IO_BACKEND");
    } else {
        command.env("ALERTABLE_IO_BACKEND", backend);
    }
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program runs")
}

/// One server process of `style` and its clients, each a process of its own.
fn server_and_client_processes(style: &str, backend: &str) {
    let name = format!(
        r"\\.\pipe\alertable-processes-{style}-{backend}-{}",
        std::process::id()
    );
    let sessions = CLIENTS.to_string();
    let mut server = spawn(&["server", style, &name, &sessions], backend);
    let mut lines = BufReader::new(server.stdout.take().expect("piped")).lines();
    // The first instance exists once the server says so.
    assert_eq!(lines.next().expect("a line").expect("text"), "ready");
    let clients: Vec<Child> = (1..=CLIENTS)
        .map(|n| spawn(&["client", &name, &n.to_string()], backend))
        .collect();
    for (i, client) in clients.into_iter().enumerate() {
        let n = i + 1;
        let output = client.wait_with_output().expect("the client ends");
        assert!(
            output.status.success(),
            "{style} client {n}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let how = match n % 3 {
            0 => "ReadFile, 3 parts: ",
            1 => "TransactNamedPipe, 3 parts: ",
            _ => "CallNamedPipe 1: ",
        };
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            format!("client {n}: {how}reply to request {n}\n"),
            "{style} on {backend}"
        );
    }
    let rest: Vec<String> = lines.map(|l| l.expect("text")).collect();
    assert_eq!(rest, [format!("{style} server: {CLIENTS} sessions")]);
    assert!(server.wait().expect("the server ends").success());
}

#[test]
fn completion_routine_server_serves_client_processes() {
    server_and_client_processes("routines", "default");
    server_and_client_processes("routines", "threads");
}

#[test]
fn overlapped_server_serves_client_processes() {
    server_and_client_processes("overlapped", "default");
    server_and_client_processes("overlapped", "threads");
}

#[test]
fn thread_per_client_server_serves_client_processes() {
    server_and_client_processes("threads", "default");
    server_and_client_processes("threads", "threads");
}
