//! Named objects through the C ABI, shared between processes (spec D, E, F, G entries;
//! `names.rs`). Each cross-process test starts a copy of this test binary as the peer: the
//! `peer` test below runs the role named in `ALERTABLE_TEST_ROLE` and does nothing
//! otherwise. The processes order each other with named events, never with sleeps.

use std::ffi::CString;
use std::process::{Child, Command, ExitStatus};
use std::ptr::null_mut;

use alertable_win32::*;

/// Generous: a loaded 2-core machine starts a process in well under this.
const LONG: DWORD = 30_000;

/// A name no other process of the user (other tests, other runs) uses.
fn unique(what: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "c-abi-{what}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn c(name: &str) -> CString {
    CString::new(name).expect("no NUL")
}

fn wide(name: &str) -> Vec<WCHAR> {
    name.chars().map(|ch| ch as WCHAR).chain([0]).collect()
}

fn command(role: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("the test binary"));
    cmd.args(["--exact", "peer", "--nocapture", "--test-threads=1"])
        .env("ALERTABLE_TEST_ROLE", role)
        .env("ALERTABLE_TEST_ARGS", args.join("\u{1f}"))
        .stdout(std::process::Stdio::null());
    cmd
}

fn spawn(role: &str, args: &[&str]) -> Child {
    command(role, args).spawn().expect("the peer starts")
}

fn run(role: &str, args: &[&str]) -> ExitStatus {
    command(role, args).status().expect("the peer runs")
}

fn create_event(manual: bool, initial: bool, name: &str) -> HANDLE {
    let name = c(name);
    // SAFETY: `name` is NUL-terminated.
    unsafe {
        CreateEventA(
            null_mut(),
            BOOL::from(manual),
            BOOL::from(initial),
            name.as_ptr(),
        )
    }
}

fn create_mutex(owned: bool, name: &str) -> HANDLE {
    let name = c(name);
    // SAFETY: `name` is NUL-terminated.
    unsafe { CreateMutexA(null_mut(), BOOL::from(owned), name.as_ptr()) }
}

fn create_semaphore(initial: LONG, maximum: LONG, name: &str) -> HANDLE {
    let name = c(name);
    // SAFETY: `name` is NUL-terminated.
    unsafe { CreateSemaphoreA(null_mut(), initial, maximum, name.as_ptr()) }
}

fn create_timer(name: &str) -> HANDLE {
    let name = c(name);
    // SAFETY: `name` is NUL-terminated.
    unsafe { CreateWaitableTimerA(null_mut(), TRUE, name.as_ptr()) }
}

/// The handle, asserting it is one and that the last error is `error`.
#[track_caller]
fn made(h: HANDLE, error: DWORD) -> HANDLE {
    assert!(!h.is_null(), "failed with {}", GetLastError());
    assert_eq!(GetLastError(), error);
    h
}

/// Asserts that a call returned `NULL` with `error`.
#[track_caller]
fn refused(h: HANDLE, error: DWORD) {
    assert!(h.is_null(), "succeeded, expected error {error}");
    assert_eq!(GetLastError(), error);
}

fn close(h: HANDLE) {
    assert_ne!(CloseHandle(h), FALSE, "CloseHandle: {}", GetLastError());
}

#[track_caller]
fn wait(h: HANDLE) -> DWORD {
    WaitForSingleObject(h, LONG)
}

/// The peer side: runs the role given in the environment, if any.
#[test]
fn peer() {
    let Ok(role) = std::env::var("ALERTABLE_TEST_ROLE") else {
        return;
    };
    let args = std::env::var("ALERTABLE_TEST_ARGS").unwrap_or_default();
    let args: Vec<&str> = args.split('\u{1f}').collect();
    let code = match role.as_str() {
        // Creates the named event with CreateEventA (so it exists before anyone opens it in
        // the "open" roles), reports whether it existed, and sets it.
        "create-and-set" => {
            let h = create_event(true, false, args[0]);
            let existed = GetLastError() == ERROR_ALREADY_EXISTS;
            assert!(!h.is_null());
            assert_ne!(SetEvent(h), FALSE);
            i32::from(existed)
        }
        "release-semaphore" => {
            let h = create_semaphore(0, 10, args[0]);
            assert!(!h.is_null());
            let mut previous = -1;
            // SAFETY: `previous` is writable.
            assert_ne!(unsafe { ReleaseSemaphore(h, 2, &raw mut previous) }, FALSE);
            previous
        }
        // Takes the mutex, says so on the event, then waits for the second event or its
        // death; with "exit" it exits holding the mutex instead.
        "hold-mutex" => {
            let mutex = create_mutex(false, args[0]);
            assert_eq!(wait(mutex), WAIT_OBJECT_0);
            assert_ne!(SetEvent(create_event(true, false, args[1])), FALSE);
            if args.get(3) == Some(&"exit") {
                std::process::exit(0);
            }
            assert_eq!(wait(create_event(true, false, args[2])), WAIT_OBJECT_0);
            0
        }
        // What CreateEvent with the name finds: the Win32 last error as the exit code.
        "probe-event" => {
            let h = create_event(true, false, args[0]);
            i32::try_from(GetLastError()).unwrap_or(-1) + if h.is_null() { 1000 } else { 0 }
        }
        other => panic!("unknown role {other}"),
    };
    std::process::exit(code);
}

/// A set in another process releases a waiter here; the event is the same one, created
/// here and found there (E-entries on named events; D: waits across processes).
#[test]
fn e_a_set_in_another_process_releases_a_waiter_here() {
    let name = unique("event");
    let event = made(create_event(true, false, &name), 0);
    assert_eq!(WaitForSingleObject(event, 0), WAIT_TIMEOUT);
    let status = run("create-and-set", &[&name]);
    assert_eq!(status.code(), Some(1), "the peer found the event: 183");
    assert_eq!(wait(event), WAIT_OBJECT_0);
    close(event);
}

/// A semaphore released in another process counts here, once (F66).
#[test]
fn f_a_semaphore_released_elsewhere_counts_here() {
    let name = unique("semaphore");
    let semaphore = made(create_semaphore(1, 10, &name), 0);
    let status = run("release-semaphore", &[&name]);
    assert_eq!(status.code(), Some(1), "the peer saw the count 1");
    for _ in 0..3 {
        assert_eq!(WaitForSingleObject(semaphore, 0), WAIT_OBJECT_0);
    }
    assert_eq!(WaitForSingleObject(semaphore, 0), WAIT_TIMEOUT);
    close(semaphore);
}

/// The mutex of a process that is killed while it holds it is abandoned: the next wait,
/// here, returns `WAIT_ABANDONED` (G72, G73).
#[test]
fn g_a_mutex_held_by_a_killed_process_is_abandoned() {
    let name = unique("mutex");
    let (held, go) = (unique("held"), unique("go"));
    let mutex = made(create_mutex(false, &name), 0);
    let held_event = made(create_event(true, false, &held), 0);
    let mut peer = spawn("hold-mutex", &[&name, &held, &go]);
    assert_eq!(wait(held_event), WAIT_OBJECT_0);
    assert_eq!(
        WaitForSingleObject(mutex, 0),
        WAIT_TIMEOUT,
        "the peer owns it"
    );
    peer.kill().expect("SIGKILL");
    peer.wait().expect("reaped");
    assert_eq!(wait(mutex), WAIT_ABANDONED);
    assert_ne!(ReleaseMutex(mutex), FALSE);
    close(held_event);
    close(mutex);
}

/// A process that exits holding the mutex abandons it too (G72).
#[test]
fn g_a_mutex_held_at_exit_is_abandoned() {
    let name = unique("mutex-exit");
    let (held, go) = (unique("held"), unique("go"));
    let mutex = made(create_mutex(false, &name), 0);
    let status = run("hold-mutex", &[&name, &held, &go, "exit"]);
    assert!(status.success());
    assert_eq!(wait(mutex), WAIT_ABANDONED);
    assert_ne!(ReleaseMutex(mutex), FALSE);
    close(mutex);
}

/// Timers stay per process (`names.rs`), but their names live in the one namespace of
/// the shared objects: a timer cannot take an event's name, and an event, mutex or
/// semaphore cannot take a timer's (ERROR_INVALID_HANDLE, as on Windows).
#[test]
fn timer_names_collide_with_shared_names_in_this_process() {
    let name = unique("timer-vs-event");
    let event = made(create_event(true, false, &name), 0);
    refused(create_timer(&name), ERROR_INVALID_HANDLE);
    close(event);

    let name = unique("timer-first");
    let timer = made(create_timer(&name), 0);
    refused(create_event(true, false, &name), ERROR_INVALID_HANDLE);
    refused(create_mutex(false, &name), ERROR_INVALID_HANDLE);
    refused(create_semaphore(0, 1, &name), ERROR_INVALID_HANDLE);
    let again = made(create_timer(&name), ERROR_ALREADY_EXISTS);
    close(again);
    close(timer);
    // Closed: the name is free again.
    close(made(create_event(true, false, &name), 0));
}

/// The peer sees an event of this process under `Local\` and without a prefix, and not
/// under `Global\`.
#[test]
fn local_and_global_prefixes() {
    let name = unique("prefix");
    let event = made(create_event(true, false, &format!("Local\\{name}")), 0);
    assert_eq!(
        run("probe-event", &[&name]).code(),
        Some(183),
        "Local\\x is x"
    );
    assert_eq!(
        run("probe-event", &[&format!("Global\\{name}")]).code(),
        Some(0),
        "Global\\x is another name"
    );
    close(event);
}

#[test]
fn wide_and_narrow_names_are_the_same_name() {
    let name = unique("wide-é");
    let narrow = made(create_event(true, false, &name), 0);
    let w = wide(&name);
    // SAFETY: `w` is NUL-terminated.
    let h = unsafe { CreateEventW(null_mut(), TRUE, FALSE, w.as_ptr()) };
    let other = made(h, ERROR_ALREADY_EXISTS);
    assert_ne!(SetEvent(other), FALSE);
    assert_eq!(WaitForSingleObject(narrow, 0), WAIT_OBJECT_0);
    close(other);
    close(narrow);
}
