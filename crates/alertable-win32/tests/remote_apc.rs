//! `QueueUserAPC` to a thread of another process through the C ABI (spec A1, A4, A6,
//! A15; `processthreadsapi/remote.rs`). Each test starts a copy of this test binary as the
//! peer: the `peer` test below runs the role named in `ALERTABLE_TEST_ROLE` and does
//! nothing otherwise. The peer's lines on standard output start with `peer:`; the
//! processes order each other through the peer's standard input and output, never with
//! sleeps.

use std::io::{BufRead, BufReader, Lines, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::ptr::null_mut;

use alertable_win32::*;

/// Generous: a loaded 2-core machine ends a process in well under this.
const LONG: DWORD = 30_000;

/// Points this process, and the peers it starts, at the test's own namespace directory.
fn setup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("shm-remote-apc");
        // SAFETY: every test calls this before anything else, so the other test threads
        // wait in `call_once` instead of reading the environment meanwhile.
        unsafe { std::env::set_var("ALERTABLE_SHM_DIR", dir) };
    });
}

/// A peer process running `role`, with its standard input and output piped here.
struct Peer {
    child: Child,
    input: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Peer {
    fn start(role: &str) -> Self {
        setup();
        let mut child = Command::new(std::env::current_exe().expect("the test binary"))
            .args(["--exact", "peer", "--nocapture", "--test-threads=1"])
            .env("ALERTABLE_TEST_ROLE", role)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the peer starts");
        let input = child.stdin.take().expect("stdin");
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Self {
            child,
            input,
            lines,
        }
    }

    /// The peer's next line of its own (the harness's lines are skipped).
    fn line(&mut self) -> String {
        loop {
            let line = self
                .lines
                .next()
                .expect("the peer ended early")
                .expect("a line");
            // The harness's "test peer ... " may precede the first one on its line.
            if let Some((_, rest)) = line.split_once("peer: ") {
                return rest.to_owned();
            }
        }
    }

    /// The thread id the peer announces first.
    fn thread_id(&mut self) -> DWORD {
        let line = self.line();
        line.strip_prefix("thread ")
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("a thread id, not {line:?}"))
    }

    fn tell(&mut self, line: &str) {
        writeln!(self.input, "{line}").expect("the peer reads");
        self.input.flush().expect("flushed");
    }

    fn finish(mut self) {
        let status = self.child.wait().expect("the peer ends");
        assert!(status.success(), "the peer failed: {status}");
    }
}

impl Drop for Peer {
    /// A test that fails leaves no peer waiting forever.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The APC the peers run: reports its parameter; 0 asks the peer to stop.
extern "C-unwind" fn report(param: ULONG_PTR) {
    println!("peer: APC {param}");
    APCS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if param == 0 {
        STOP.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

static APCS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn last_error() -> DWORD {
    GetLastError()
}

/// Waits until thread `tid` of process `pid` sleeps (state `S` in its `/proc` entry): for
/// a peer that has announced its id, asleep in the alertable wait that follows.
fn wait_until_asleep(pid: u32, tid: DWORD) {
    let path = format!("/proc/{pid}/task/{tid}/stat");
    let started = std::time::Instant::now();
    loop {
        let stat = std::fs::read_to_string(&path).expect("the peer's thread exists");
        let state = stat[stat.rfind(')').expect("a stat line") + 1..]
            .split_whitespace()
            .next()
            .map(str::to_owned);
        if state.as_deref() == Some("S") {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the peer never went to sleep"
        );
        std::thread::yield_now();
    }
}

/// Runs the peer role named in `ALERTABLE_TEST_ROLE`; a plain test run does nothing.
#[test]
fn peer() {
    let Ok(role) = std::env::var("ALERTABLE_TEST_ROLE") else {
        return;
    };
    println!("peer: thread {}", GetCurrentThreadId());
    match role.as_str() {
        // Busy (blocked in a read, not in an alertable wait) until told to go on; then
        // waits alertably until three APCs have run.
        "busy" => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).expect("stdin");
            let mut every = true;
            while APCS.load(std::sync::atomic::Ordering::Relaxed) < 3 {
                every &= SleepEx(INFINITE, TRUE) == WAIT_IO_COMPLETION;
            }
            println!("peer: every SleepEx returned WAIT_IO_COMPLETION: {every}");
        }
        // Waits alertably until an APC with parameter 0 arrives.
        "waiting" => {
            while !STOP.load(std::sync::atomic::Ordering::Relaxed) {
                SleepEx(INFINITE, TRUE);
            }
        }
        other => panic!("unknown role {other}"),
    }
}

/// A busy thread of another process, not yet reachable when it is opened, is adopted:
/// `OpenThread` returns after a bounded wait, the APCs queued meanwhile are kept in order,
/// and they run, in order, once the thread waits alertably; the handle is signaled when
/// the thread exits, and later APCs fail as for an exited thread (A1, A4, A15).
#[test]
fn a1_a15_apcs_to_a_busy_thread_of_another_process_run_in_order_when_it_waits() {
    let mut peer = Peer::start("busy");
    let tid = peer.thread_id();
    let opened = std::time::Instant::now();
    let h = OpenThread(THREAD_SET_CONTEXT | SYNCHRONIZE, FALSE, tid);
    assert!(!h.is_null(), "OpenThread failed with {}", last_error());
    assert!(
        opened.elapsed() < std::time::Duration::from_secs(10),
        "the adoption wait is bounded"
    );
    for i in 1..=3 {
        // SAFETY: `report` may be called with any parameter on the peer's thread.
        assert_eq!(unsafe { QueueUserAPC(Some(report), h, i) }, 1, "APC {i}");
    }
    assert_eq!(WaitForSingleObject(h, 0), WAIT_TIMEOUT, "the thread runs");
    peer.tell("go");
    assert_eq!(peer.line(), "APC 1");
    assert_eq!(peer.line(), "APC 2");
    assert_eq!(peer.line(), "APC 3");
    assert_eq!(
        peer.line(),
        "every SleepEx returned WAIT_IO_COMPLETION: true"
    );
    peer.finish();
    assert_eq!(WaitForSingleObject(h, LONG), WAIT_OBJECT_0);
    SetLastError(0);
    // SAFETY: as above.
    assert_eq!(unsafe { QueueUserAPC(Some(report), h, 4) }, 0);
    assert_eq!(last_error(), ERROR_GEN_FAILURE);
    assert_eq!(CloseHandle(h), TRUE);
}

/// A handle to a thread of another process queues APCs only with `THREAD_SET_CONTEXT`
/// (A6), tells its id, and refuses the thread functions that cannot reach another process
/// as a handle without their right is refused.
#[test]
fn a6_a_remote_thread_handle_needs_thread_set_context_and_refuses_the_rest() {
    let mut peer = Peer::start("waiting");
    let tid = peer.thread_id();
    let weak = OpenThread(SYNCHRONIZE | THREAD_QUERY_LIMITED_INFORMATION, FALSE, tid);
    assert!(!weak.is_null(), "OpenThread failed with {}", last_error());
    SetLastError(0);
    // SAFETY: as in the test above.
    assert_eq!(unsafe { QueueUserAPC(Some(report), weak, 7) }, 0);
    assert_eq!(last_error(), ERROR_ACCESS_DENIED);
    assert_eq!(GetThreadId(weak), tid);

    // The peer is asleep in its SleepEx before it is asked to publish itself, so only the
    // signal's interruption of that wait can make it reachable (thread.rs Y1).
    wait_until_asleep(peer.child.id(), tid);
    let all = OpenThread(THREAD_ALL_ACCESS, FALSE, tid);
    assert!(!all.is_null(), "OpenThread failed with {}", last_error());
    let opened = std::time::Instant::now();
    while alertable::RemoteThread::open_id(tid).is_err() {
        assert!(
            opened.elapsed() < std::time::Duration::from_secs(30),
            "the sleeping peer never published itself"
        );
        std::thread::yield_now();
    }
    SetLastError(0);
    assert_eq!(SuspendThread(all), DWORD::MAX);
    assert_eq!(last_error(), ERROR_ACCESS_DENIED);
    let mut code = 0;
    SetLastError(0);
    // SAFETY: `code` is writable.
    assert_eq!(unsafe { GetExitCodeThread(all, &mut code) }, FALSE);
    assert_eq!(last_error(), ERROR_ACCESS_DENIED);
    SetLastError(0);
    // SAFETY: as above.
    let special =
        unsafe { QueueUserAPC2(Some(report), all, 7, QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC) };
    assert_eq!((special, last_error()), (FALSE, ERROR_NOT_SUPPORTED));
    // A duplicate is the same thread, with the rights asked for.
    let mut dup = null_mut();
    // SAFETY: `dup` is writable.
    let duplicated = unsafe {
        DuplicateHandle(
            GetCurrentProcess(),
            all,
            GetCurrentProcess(),
            &mut dup,
            THREAD_SET_CONTEXT,
            FALSE,
            0,
        )
    };
    assert_eq!(duplicated, TRUE);
    // SAFETY: as above.
    assert_eq!(unsafe { QueueUserAPC(Some(report), dup, 0) }, 1);
    assert_eq!(peer.line(), "APC 0");
    peer.finish();
    let handles = [weak, all];
    // SAFETY: `handles` holds two handles.
    let all_done = unsafe { WaitForMultipleObjects(2, handles.as_ptr(), TRUE, LONG) };
    assert_eq!(all_done, WAIT_OBJECT_0);
    for h in [weak, all, dup] {
        assert_eq!(CloseHandle(h), TRUE);
    }
}

/// `OpenThread` of an id that names no thread fails with `ERROR_INVALID_PARAMETER`; of a
/// thread of a process that does not use this library, asked for `THREAD_SET_CONTEXT`,
/// likewise (it cannot run C APCs), while `SYNCHRONIZE` alone opens it and the handle is
/// signaled when it exits (before its parent reaps it); a thread of another user cannot be opened at all (A6:
/// `ERROR_ACCESS_DENIED`), checked where this test may start a process as another user.
#[test]
fn a6_ids_of_no_thread_of_foreign_programs_and_of_other_users() {
    setup();
    SetLastError(0);
    assert!(OpenThread(THREAD_SET_CONTEXT, FALSE, 0x7fff_fff0).is_null());
    assert_eq!(last_error(), ERROR_INVALID_PARAMETER);

    let mut foreign = Command::new("sleep")
        .arg("60")
        .spawn()
        .expect("sleep starts");
    let id = foreign.id();
    SetLastError(0);
    let refused = OpenThread(THREAD_SET_CONTEXT, FALSE, id);
    let refused_error = last_error();
    let h = OpenThread(SYNCHRONIZE, FALSE, id);
    let opened_error = last_error();
    let before_exit = WaitForSingleObject(h, 0);
    foreign.kill().expect("killed");
    // Before it is reaped: a zombie has exited too.
    let after_exit = WaitForSingleObject(h, 10_000);
    foreign.wait().expect("reaped");
    assert!(refused.is_null());
    assert_eq!(refused_error, ERROR_INVALID_PARAMETER);
    assert!(!h.is_null(), "OpenThread failed with {opened_error}");
    assert_eq!(before_exit, WAIT_TIMEOUT);
    assert_eq!(
        after_exit, WAIT_OBJECT_0,
        "the exit is noticed before the reaping"
    );
    assert_eq!(CloseHandle(h), TRUE);

    // SAFETY: `geteuid` has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: the other-user case needs a process of another user; skipped");
        return;
    }
    use std::os::unix::process::CommandExt;
    let mut other = Command::new("sleep")
        .arg("60")
        .uid(65534)
        .gid(65534)
        .spawn()
        .expect("sleep starts as nobody");
    SetLastError(0);
    let opened = OpenThread(SYNCHRONIZE, FALSE, other.id());
    let error = last_error();
    other.kill().expect("killed");
    other.wait().expect("reaped");
    assert!(opened.is_null());
    assert_eq!(error, ERROR_ACCESS_DENIED);
}
