//! Peer processes for the cross-process tests: each test binary re-runs itself with
//! `ALERTABLE_TEST_ROLE` set, and its `peer` test runs that role. Processes synchronise
//! with named events.

use std::process::{Child, Command, ExitStatus};

use std::time::Duration;

use alertable::{Alertable, Event, EventReset, WaitError, WaitStatus, wait_one};

/// A name no other test or run uses.
pub(crate) fn unique(what: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "t-{what}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// This test binary, to run `role` with `args`.
pub(crate) fn command(role: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "peer", "--nocapture", "--test-threads=1"])
        .env("ALERTABLE_TEST_ROLE", role)
        .env("ALERTABLE_TEST_ARGS", args.join("\u{1f}"))
        .stdout(std::process::Stdio::null());
    cmd
}

pub(crate) fn spawn(role: &str, args: &[&str]) -> Child {
    command(role, args).spawn().unwrap()
}

pub(crate) fn run(role: &str, args: &[&str]) -> ExitStatus {
    command(role, args).status().unwrap()
}

/// In a peer: its role and arguments; `None` in the test run itself.
pub(crate) fn role() -> Option<(String, Vec<String>)> {
    let role = std::env::var("ALERTABLE_TEST_ROLE").ok()?;
    let args = std::env::var("ALERTABLE_TEST_ARGS").unwrap_or_default();
    Some((role, args.split('\u{1f}').map(str::to_owned).collect()))
}

/// A new manual-reset named event.
pub(crate) fn manual(name: &str) -> Event {
    Event::create_named(name, EventReset::Manual, false)
        .unwrap()
        .into_inner()
}

pub(crate) fn signaled(status: Result<WaitStatus, WaitError>) {
    assert_eq!(status, Ok(WaitStatus::Signaled(0)));
}

/// In a peer: says it is ready on the named event `ready`, then waits for the named event
/// `go` (at most 30 s, a hang guard) — or to be killed meanwhile.
pub(crate) fn ready_then_wait(ready: &str, go: &str) {
    Event::open(ready).unwrap().set();
    signaled(wait_one(
        &Event::open(go).unwrap(),
        Some(Duration::from_secs(30)),
        Alertable::No,
    ));
}
