//! Named objects through the C ABI, shared between processes (spec D, E, F, G entries;
//! `names.rs`). Each cross-process test starts a copy of this test binary as the peer: the
//! `peer` test below runs the role named in `ALERTABLE_TEST_ROLE` and does nothing
//! otherwise. The processes order each other with named events, never with sleeps.
//!
//! The processes use a namespace directory of this test's own (`ALERTABLE_SHM_DIR`, set by
//! [`setup`] before anything touches the namespace): another build of the library running
//! at the same time on the machine, with another namespace layout, cannot get in the way.

mod common;

use std::ffi::CString;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::ptr::null_mut;

use alertable_win32::*;

/// Generous: a loaded 2-core machine starts a process in well under this.
const LONG: DWORD = 30_000;

/// Points this process, and the peers it starts, at the test's own namespace directory.
/// Every test calls it first.
fn setup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("shm-named");
        // SAFETY: every test calls this before anything else, so the other test threads
        // wait in `call_once` instead of reading the environment meanwhile; the harness's
        // own thread reads it only before the tests start.
        unsafe { std::env::set_var("ALERTABLE_SHM_DIR", dir) };
    });
}

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

/// The handle an `Open…` call returned, asserting it is one (`Open…` leaves the last
/// error alone on success).
#[track_caller]
fn opened(h: HANDLE) -> HANDLE {
    assert!(!h.is_null(), "failed with {}", GetLastError());
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

/// Three results of `Open…` calls (0, 2, 6 or anything else) as one exit code below 256.
fn probe_code(errors: [DWORD; 3]) -> i32 {
    errors.iter().fold(0, |code, &e| {
        code * 4
            + match e {
                0 => 0,
                ERROR_FILE_NOT_FOUND => 1,
                ERROR_INVALID_HANDLE => 2,
                _ => 3,
            }
    })
}

/// The peer side: runs the role given in the environment, if any.
#[test]
fn peer() {
    setup();
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
        // Holds a semaphore of the name until told to go.
        "hold-semaphore" => {
            let _semaphore = create_semaphore(0, 1, args[0]);
            assert_ne!(SetEvent(create_event(true, false, args[1])), FALSE);
            assert_eq!(wait(create_event(true, false, args[2])), WAIT_OBJECT_0);
            0
        }
        // What CreateEvent with the name finds: the Win32 last error as the exit code.
        // Opens the timer and waits for it (SYNCHRONIZE is enough), exiting with the result.
        "wait-timer" => {
            let name = c(args[0]);
            // SAFETY: `name` is NUL-terminated.
            let h = unsafe { OpenWaitableTimerA(SYNCHRONIZE, FALSE, name.as_ptr()) };
            assert!(!h.is_null(), "OpenWaitableTimerA: {}", GetLastError());
            let ready = c(args[1]);
            // SAFETY: `ready` is NUL-terminated.
            let event = unsafe { OpenEventA(EVENT_MODIFY_STATE, FALSE, ready.as_ptr()) };
            assert_ne!(SetEvent(event), FALSE);
            i32::try_from(WaitForSingleObject(h, LONG)).unwrap_or(-1)
        }
        "probe-event" => {
            let h = create_event(true, false, args[0]);
            i32::try_from(GetLastError()).unwrap_or(-1) + if h.is_null() { 1000 } else { 0 }
        }
        // Opens the event with SYNCHRONIZE only: it may wait, not set (5); then with
        // EVENT_MODIFY_STATE, and sets it.
        "open-and-set" => {
            let name = c(args[0]);
            // SAFETY: `name` is NUL-terminated.
            let weak = unsafe { OpenEventA(SYNCHRONIZE, FALSE, name.as_ptr()) };
            assert!(!weak.is_null(), "OpenEventA: {}", GetLastError());
            assert_eq!(SetEvent(weak), FALSE);
            assert_eq!(GetLastError(), ERROR_ACCESS_DENIED);
            // SAFETY: `name` is NUL-terminated.
            let strong = unsafe { OpenEventA(EVENT_MODIFY_STATE, FALSE, name.as_ptr()) };
            assert!(!strong.is_null(), "OpenEventA: {}", GetLastError());
            assert_ne!(SetEvent(strong), FALSE);
            0
        }
        // What OpenMutexW, OpenSemaphoreA and OpenWaitableTimerA find under the name: the
        // three last errors (0 when opened), as one exit code.
        "probe-open" => {
            let w = wide(args[0]);
            let name = c(args[0]);
            // SAFETY: both names are NUL-terminated.
            let handles = unsafe {
                [
                    OpenMutexW(SYNCHRONIZE, FALSE, w.as_ptr()),
                    OpenSemaphoreA(SYNCHRONIZE, FALSE, name.as_ptr()),
                    OpenWaitableTimerA(SYNCHRONIZE, FALSE, name.as_ptr()),
                ]
            };
            let errors = handles.map(|h| if h.is_null() { GetLastError() } else { 0 });
            probe_code(errors)
        }
        other => panic!("unknown role {other}"),
    };
    std::process::exit(code);
}

/// A set in another process releases a waiter here; the event is the same one, created
/// here and found there (E-entries on named events; D: waits across processes).
#[test]
fn e_a_set_in_another_process_releases_a_waiter_here() {
    setup();
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
    setup();
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
    setup();
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
    setup();
    let name = unique("mutex-exit");
    let (held, go) = (unique("held"), unique("go"));
    let mutex = made(create_mutex(false, &name), 0);
    let status = run("hold-mutex", &[&name, &held, &go, "exit"]);
    assert!(status.success());
    assert_eq!(wait(mutex), WAIT_ABANDONED);
    assert_ne!(ReleaseMutex(mutex), FALSE);
    close(mutex);
}

/// Timers live in the one namespace of the named objects: a timer cannot take an event's
/// name, and an event, mutex or semaphore cannot take a timer's (ERROR_INVALID_HANDLE, as
/// on Windows).
#[test]
fn timer_names_collide_with_shared_names_in_this_process() {
    setup();
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
    setup();
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
    setup();
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

/// Another process opens the event with `SYNCHRONIZE` only and is refused `SetEvent` (5),
/// then with `EVENT_MODIFY_STATE` and sets it, which releases the wait here.
#[test]
fn d_open_event_in_another_process_with_its_access_mask() {
    setup();
    let name = unique("open");
    let event = made(create_event(false, false, &name), 0);
    let status = run("open-and-set", &[&name]);
    assert!(status.success(), "{status}");
    assert_eq!(wait(event), WAIT_OBJECT_0);
    assert_eq!(WaitForSingleObject(event, 0), WAIT_TIMEOUT, "auto-reset");
    close(event);
}

/// Open… of another process: a semaphore's name is the wrong type for a mutex and a timer
/// (6) and opens as a semaphore; an absent name is 2 for each.
#[test]
fn open_in_another_process_finds_the_type_or_nothing() {
    setup();
    let name = unique("probe");
    let absent = Some(probe_code([ERROR_FILE_NOT_FOUND; 3]));
    assert_eq!(run("probe-open", &[&name]).code(), absent);
    let semaphore = made(create_semaphore(0, 1, &name), 0);
    let semaphore_found = probe_code([ERROR_INVALID_HANDLE, 0, ERROR_INVALID_HANDLE]);
    assert_eq!(run("probe-open", &[&name]).code(), Some(semaphore_found));
    close(semaphore);
    assert_eq!(
        run("probe-open", &[&name]).code(),
        absent,
        "gone with its last handle"
    );
}

fn open_event(access: DWORD, name: &str) -> HANDLE {
    let name = c(name);
    // SAFETY: `name` is NUL-terminated.
    unsafe { OpenEventA(access, FALSE, name.as_ptr()) }
}

/// The Open… functions in one process: absent (2), another kind (6), `NULL` (87), and the
/// access mask as R1–R4 grant it.
#[test]
fn open_functions_check_names_kinds_and_access() {
    setup();
    let name = unique("opens");
    refused(open_event(EVENT_ALL_ACCESS, &name), ERROR_FILE_NOT_FOUND);
    // SAFETY: a NULL name is allowed, and refused.
    unsafe {
        refused(
            OpenEventA(EVENT_ALL_ACCESS, FALSE, std::ptr::null()),
            ERROR_INVALID_PARAMETER,
        );
        refused(
            OpenEventW(EVENT_ALL_ACCESS, FALSE, std::ptr::null()),
            ERROR_INVALID_PARAMETER,
        );
        refused(
            OpenMutexA(SYNCHRONIZE, FALSE, std::ptr::null()),
            ERROR_INVALID_PARAMETER,
        );
        refused(
            OpenSemaphoreW(SYNCHRONIZE, FALSE, std::ptr::null()),
            ERROR_INVALID_PARAMETER,
        );
        refused(
            OpenWaitableTimerW(SYNCHRONIZE, FALSE, std::ptr::null()),
            ERROR_INVALID_PARAMETER,
        );
    }
    let mutex = made(create_mutex(true, &name), 0);
    refused(open_event(EVENT_ALL_ACCESS, &name), ERROR_INVALID_HANDLE);
    let n = c(&name);
    // SAFETY: `n` is NUL-terminated.
    let by_name = opened(unsafe { OpenMutexA(SYNCHRONIZE, TRUE, n.as_ptr()) });
    // The owner may release through a handle with SYNCHRONIZE only (G69).
    assert_ne!(ReleaseMutex(by_name), FALSE);
    // A bit that is no right of a mutex (EVENT_MODIFY_STATE = 0x2) is refused (R2).
    // SAFETY: `n` is NUL-terminated.
    refused(
        unsafe { OpenMutexA(0x2, FALSE, n.as_ptr()) },
        ERROR_ACCESS_DENIED,
    );
    // SAFETY: `n` is NUL-terminated.
    refused(
        unsafe { OpenMutexA(ACCESS_SYSTEM_SECURITY, FALSE, n.as_ptr()) },
        ERROR_PRIVILEGE_NOT_HELD,
    );
    close(by_name);
    close(mutex);

    // A handle without SYNCHRONIZE cannot wait (D53).
    let event = made(create_event(true, true, &name), 0);
    let modify = opened(open_event(EVENT_MODIFY_STATE, &name));
    assert_eq!(WaitForSingleObject(modify, 0), WAIT_FAILED);
    assert_eq!(GetLastError(), ERROR_ACCESS_DENIED);
    assert_ne!(ResetEvent(modify), FALSE);
    assert_eq!(WaitForSingleObject(event, 0), WAIT_TIMEOUT);
    close(modify);
    close(event);
}

/// Names the core refuses: a backslash outside the prefix (3), more than 256 bytes (206),
/// narrow bytes that are not UTF-8 (1113); an empty name is no name.
#[test]
fn bad_names_are_refused_and_an_empty_name_is_none() {
    setup();
    refused(create_event(true, false, "a\\b"), ERROR_PATH_NOT_FOUND);
    refused(create_timer("Local\\a\\b"), ERROR_PATH_NOT_FOUND);
    refused(open_event(SYNCHRONIZE, "x\\y"), ERROR_PATH_NOT_FOUND);
    let long = "n".repeat(257);
    refused(create_mutex(false, &long), ERROR_FILENAME_EXCED_RANGE);
    refused(create_timer(&long), ERROR_FILENAME_EXCED_RANGE);
    let bytes = [0x66u8, 0xff, 0];
    // SAFETY: `bytes` is NUL-terminated.
    let h = unsafe { CreateEventA(null_mut(), TRUE, FALSE, bytes.as_ptr().cast()) };
    refused(h, ERROR_NO_UNICODE_TRANSLATION);
    let a = made(create_event(true, false, ""), 0);
    let b = made(create_event(true, false, ""), 0);
    assert_ne!(SetEvent(a), FALSE);
    assert_eq!(
        WaitForSingleObject(b, 0),
        WAIT_TIMEOUT,
        "two unnamed events"
    );
    close(a);
    close(b);
}

/// The Ex forms: flags, and the access mask granted whether the object is new or existed.
#[test]
fn ex_forms_take_flags_and_grant_the_access_asked_for() {
    setup();
    let name = c(&unique("ex"));
    // SAFETY: `name` is NUL-terminated.
    let h = unsafe {
        CreateEventExA(
            null_mut(),
            name.as_ptr(),
            CREATE_EVENT_MANUAL_RESET | CREATE_EVENT_INITIAL_SET,
            SYNCHRONIZE,
        )
    };
    let event = made(h, 0);
    assert_eq!(WaitForSingleObject(event, 0), WAIT_OBJECT_0);
    assert_eq!(WaitForSingleObject(event, 0), WAIT_OBJECT_0, "manual-reset");
    assert_eq!(ResetEvent(event), FALSE);
    assert_eq!(GetLastError(), ERROR_ACCESS_DENIED);
    // SAFETY: `name` is NUL-terminated.
    let h = unsafe { CreateEventExA(null_mut(), name.as_ptr(), 0, EVENT_MODIFY_STATE) };
    let second = made(h, ERROR_ALREADY_EXISTS);
    assert_ne!(ResetEvent(second), FALSE);
    assert_eq!(WaitForSingleObject(event, 0), WAIT_TIMEOUT);
    // SAFETY: `name` is NUL-terminated.
    refused(
        unsafe { CreateEventExA(null_mut(), name.as_ptr(), 0, 0x8) },
        ERROR_ACCESS_DENIED,
    );
    close(second);
    close(event);

    let w = wide(&unique("ex-mutex"));
    // SAFETY: `w` is NUL-terminated.
    let h = unsafe {
        CreateMutexExW(
            null_mut(),
            w.as_ptr(),
            CREATE_MUTEX_INITIAL_OWNER,
            MUTEX_ALL_ACCESS,
        )
    };
    let mutex = made(h, 0);
    assert_ne!(ReleaseMutex(mutex), FALSE, "owned by its creator");
    assert_eq!(ReleaseMutex(mutex), FALSE);
    assert_eq!(GetLastError(), ERROR_NOT_OWNER);
    // SAFETY: `w` is NUL-terminated.
    let h = unsafe {
        CreateMutexExW(
            null_mut(),
            w.as_ptr(),
            CREATE_MUTEX_INITIAL_OWNER,
            SYNCHRONIZE,
        )
    };
    let again = made(h, ERROR_ALREADY_EXISTS);
    assert_eq!(
        ReleaseMutex(again),
        FALSE,
        "the existing mutex is not taken"
    );
    close(again);
    close(mutex);

    let name = c(&unique("ex-semaphore"));
    // SAFETY: `name` is NUL-terminated.
    let h = unsafe { CreateSemaphoreExA(null_mut(), 1, 2, name.as_ptr(), 0, SYNCHRONIZE) };
    let semaphore = made(h, 0);
    // SAFETY: no previous count asked for.
    assert_eq!(unsafe { ReleaseSemaphore(semaphore, 1, null_mut()) }, FALSE);
    assert_eq!(GetLastError(), ERROR_ACCESS_DENIED);
    // SAFETY: `name` is NUL-terminated.
    let modify = opened(unsafe { OpenSemaphoreA(SEMAPHORE_MODIFY_STATE, FALSE, name.as_ptr()) });
    // SAFETY: no previous count asked for.
    assert_ne!(unsafe { ReleaseSemaphore(modify, 1, null_mut()) }, FALSE);
    let w = wide(&unique("ex-semaphore-w"));
    // SAFETY: `w` is NUL-terminated.
    let h = unsafe { CreateSemaphoreExW(null_mut(), 3, 2, w.as_ptr(), 0, SEMAPHORE_ALL_ACCESS) };
    refused(h, ERROR_INVALID_PARAMETER);
    assert_eq!(WaitForSingleObject(semaphore, 0), WAIT_OBJECT_0);
    assert_eq!(WaitForSingleObject(semaphore, 0), WAIT_OBJECT_0);
    assert_eq!(WaitForSingleObject(semaphore, 0), WAIT_TIMEOUT);
    close(modify);
    close(semaphore);
}

/// A pool wait (`RegisterWaitForSingleObject`) on a named event fires when another process
/// sets the event, as a thread's wait would return (shared/mod.rs X10).
#[test]
fn a_registered_wait_fires_when_another_process_sets_the_event() {
    setup();
    unsafe extern "C" fn fired(context: PVOID, timed_out: BOOLEAN) {
        assert_eq!(timed_out, 0, "the wait has no timeout");
        // `context` is the event handle the test passed, open until it unregisters.
        assert_ne!(SetEvent(context.cast()), FALSE);
    }
    let name = unique("registered");
    let event = made(create_event(false, false, &name), 0);
    let done = made(create_event(true, false, &unique("registered-done")), 0);
    let mut wait: HANDLE = null_mut();
    // SAFETY: `wait` is writable; `fired` is sound with `done` as its context.
    let registered = unsafe {
        RegisterWaitForSingleObject(
            &raw mut wait,
            event,
            Some(fired),
            done.cast(),
            INFINITE,
            WT_EXECUTEONLYONCE,
        )
    };
    assert_ne!(
        registered,
        FALSE,
        "RegisterWaitForSingleObject: {}",
        GetLastError()
    );
    // Its exit code: 1, the event existed.
    assert_eq!(run("create-and-set", &[&name]).code(), Some(1));
    assert_eq!(
        WaitForSingleObject(done, LONG),
        WAIT_OBJECT_0,
        "the callback ran"
    );
    // SAFETY: `wait` came from RegisterWaitForSingleObject; INVALID_HANDLE_VALUE waits for
    // the callback to finish.
    let unregistered = unsafe { UnregisterWaitEx(wait, INVALID_HANDLE_VALUE) };
    assert_ne!(unregistered, FALSE);
    close(done);
    close(event);
}

/// Timers by name: the Ex forms, `OpenWaitableTimer` with its mask, and the shared names
/// they must not take (N1, N2).
#[test]
fn timers_open_by_name_in_this_process() {
    setup();
    let name = unique("timer");
    let n = c(&name);
    // SAFETY: `n` is NUL-terminated.
    let timer = made(
        unsafe {
            CreateWaitableTimerExA(
                null_mut(),
                n.as_ptr(),
                CREATE_WAITABLE_TIMER_MANUAL_RESET,
                TIMER_ALL_ACCESS,
            )
        },
        0,
    );
    let w = wide(&name);
    // SAFETY: `w` is NUL-terminated.
    let again = unsafe { CreateWaitableTimerExW(null_mut(), w.as_ptr(), 0, SYNCHRONIZE) };
    let again = made(again, ERROR_ALREADY_EXISTS);
    let due: LARGE_INTEGER = LARGE_INTEGER { QuadPart: -1 };
    // SAFETY: `due` is readable; no routine.
    let set = unsafe { SetWaitableTimer(again, &raw const due, 0, None, null_mut(), FALSE) };
    assert_eq!(set, FALSE);
    assert_eq!(GetLastError(), ERROR_ACCESS_DENIED);
    // SAFETY: `w` is NUL-terminated.
    let modify =
        opened(unsafe { OpenWaitableTimerW(TIMER_MODIFY_STATE | SYNCHRONIZE, FALSE, w.as_ptr()) });
    // SAFETY: `due` is readable; no routine.
    let set = unsafe { SetWaitableTimer(modify, &raw const due, 0, None, null_mut(), FALSE) };
    assert_ne!(set, FALSE);
    assert_eq!(WaitForSingleObject(timer, LONG), WAIT_OBJECT_0);
    assert_eq!(
        WaitForSingleObject(again, 0),
        WAIT_OBJECT_0,
        "manual-reset, same timer"
    );
    refused(open_event(SYNCHRONIZE, &name), ERROR_INVALID_HANDLE);
    for h in [modify, again, timer] {
        close(h);
    }
    // SAFETY: `n` is NUL-terminated.
    refused(
        unsafe { OpenWaitableTimerA(SYNCHRONIZE, FALSE, n.as_ptr()) },
        ERROR_FILE_NOT_FOUND,
    );
    let event = made(create_event(true, false, &name), 0);
    // SAFETY: `n` is NUL-terminated.
    refused(
        unsafe { OpenWaitableTimerA(SYNCHRONIZE, FALSE, n.as_ptr()) },
        ERROR_INVALID_HANDLE,
    );
    close(event);
}

/// `examples/single_instance.c`: while one copy runs, a second exits with 1; once the first
/// has exited, the next copy is the only instance again.
#[test]
fn the_single_instance_example_lets_one_copy_run() {
    setup();
    let source =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/single_instance.c");
    // This process's own build, so that test runs at the same time do not rebuild it
    // under each other's feet.
    let exe =
        common::scratch_dir("examples").join(format!("single_instance-{}", std::process::id()));
    common::build_program(&source, &exe, &[]);
    let name = unique("single-instance");
    let mut first = Command::new(&exe)
        .arg(&name)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the first copy starts");
    let mut line = String::new();
    BufReader::new(first.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("its first line");
    assert_eq!(line, "the only instance; press Enter to exit\n");

    let second = Command::new(&exe)
        .arg(&name)
        .output()
        .expect("the second copy runs");
    assert_eq!(second.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&second.stdout),
        "another instance is running; exiting\n"
    );

    let mut stdin = first.stdin.take().expect("piped");
    stdin.write_all(b"\n").expect("Enter");
    drop(stdin);
    assert_eq!(first.wait().expect("the first copy ends").code(), Some(0));

    let third = Command::new(&exe)
        .arg(&name)
        .stdin(Stdio::null())
        .output()
        .expect("the third copy runs");
    assert_eq!(third.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&third.stdout).starts_with("the only instance"));
    let _ = std::fs::remove_file(&exe);
}

/// M: a named timer set here signals a waiter in another process (a timer is one object
/// for every process of the user).
#[test]
fn m_a_timer_set_here_releases_a_waiter_in_another_process() {
    setup();
    let (name, ready) = (unique("shared-timer"), unique("ready"));
    let ready_event = made(create_event(true, false, &ready), 0);
    let timer = made(create_timer(&name), 0);
    let mut peer = spawn("wait-timer", &[&name, &ready]);
    assert_eq!(wait(ready_event), WAIT_OBJECT_0);
    let due = LARGE_INTEGER {
        QuadPart: -200_000, // 20 ms, relative
    };
    // SAFETY: `due` lives across the call; no routine.
    let set = unsafe { SetWaitableTimer(timer, &raw const due, 0, None, null_mut(), FALSE) };
    assert_ne!(set, FALSE);
    let status = peer.wait().expect("the peer ends");
    assert_eq!(status.code(), Some(WAIT_OBJECT_0 as i32), "{status}");
    close(timer);
    close(ready_event);
}

/// A semaphore held by another process keeps a timer here from taking its name:
/// `CreateWaitableTimer` and `OpenWaitableTimer` fail with `ERROR_INVALID_HANDLE`.
#[test]
fn a_shared_name_held_elsewhere_is_refused_to_a_timer_here() {
    setup();
    let (name, ready, go) = (unique("held-name"), unique("ready"), unique("go"));
    let ready_event = made(create_event(true, false, &ready), 0);
    let go_event = made(create_event(true, false, &go), 0);
    let mut peer = spawn("hold-semaphore", &[&name, &ready, &go]);
    assert_eq!(wait(ready_event), WAIT_OBJECT_0);
    refused(create_timer(&name), ERROR_INVALID_HANDLE);
    let n = c(&name);
    // SAFETY: `n` is NUL-terminated.
    refused(
        unsafe { OpenWaitableTimerA(SYNCHRONIZE, FALSE, n.as_ptr()) },
        ERROR_INVALID_HANDLE,
    );
    assert_ne!(SetEvent(go_event), FALSE);
    assert!(peer.wait().expect("the peer ends").success());
    // Gone with the peer: the name is free for a timer.
    close(made(create_timer(&name), 0));
    close(go_event);
    close(ready_event);
}
