//! `cross-process`: a second copy of the tour queues APCs to a thread of this one and is
//! killed while it owns a named mutex; the mutex comes back abandoned (A14, B20, G72, G73).
//!
//! The child is this binary run again as `alertable __peer tour cross-process …`
//! ([`child`]); the two processes share a named mutex and two named events, and
//! synchronise only through them.

use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use alertable::{
    Alertable, Event, EventReset, Mutex, RemoteThread, SleepStatus, WaitStatus, Waitable, sleep_ex,
    wait_one,
};

use super::Scenario;
use super::journal::{self, Event as Line, INFINITE_ALERTABLE};
use super::verdict::{Mismatch, Outcome, ensure, expect, finish};

/// The scenario's entry in the tour.
pub(super) const SCENARIO: Scenario = Scenario {
    name: "cross-process",
    summary: "a second process queues APCs to a thread here, then dies owning a named mutex: 128",
    spec: "A14, B20, G72, G73",
    description: "The tour starts a second copy of itself. A worker thread here makes \
        itself reachable from other processes and blocks, not alertably, on a named event. \
        The child opens that thread (OpenThread(THREAD_SET_CONTEXT) on Windows) and queues \
        it three APCs with the parameters 1, 2 and 3, then sets the event. The worker's \
        SleepEx(INFINITE, TRUE) runs all three, in order, and returns 192 \
        (WAIT_IO_COMPLETION), as for APCs queued from its own process. The child then takes \
        a named mutex and sets a second named event; a thread here blocks on the mutex, and \
        main kills the child (SIGKILL, TerminateProcess on Windows) while it owns it. On \
        Windows the mutex is abandoned by the dead process: the blocked wait returns 128 \
        (WAIT_ABANDONED_0) and makes its caller the owner.",
    run,
};

/// The parameters of the child's APCs.
const PARAMS: std::ops::Range<usize> = 1..4;

/// The name of the remote-APC handler: the tour's APC callback, with its parameter as
/// eight little-endian bytes.
const HANDLER: &str = "tour.apc";

/// How long a wait here lasts before the scenario gives up on the other process.
const PATIENCE: Option<Duration> = Some(Duration::from_secs(20));

fn remote_apc(message: &[u8]) {
    let param = message.try_into().map_or(usize::MAX, |bytes: [u8; 8]| {
        u64::from_le_bytes(bytes) as usize
    });
    journal::apc_callback(param);
}

/// Names unique to this run.
struct Names {
    thread: String,
    queued: String,
    holding: String,
    mutex: String,
}

impl Names {
    fn new() -> Self {
        let base = format!("alertable-tour-{}", std::process::id());
        Self {
            thread: format!("{base}-worker"),
            queued: format!("{base}-queued"),
            holding: format!("{base}-holding"),
            mutex: format!("{base}-mutex"),
        }
    }
}

/// A child that is killed when dropped, should the scenario end early.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spells a `wait_one` call the Win32 way.
fn wait_call(handle: &str) -> String {
    format!("WaitForSingleObject({handle}, INFINITE)")
}

/// Waits on `object` (not alertably) and records `{who}{call} returned {status}`.
fn wait(who: &str, handle: &str, object: &dyn Waitable) -> Result<WaitStatus, Mismatch> {
    let call = wait_call(handle);
    let status = wait_one(object, PATIENCE, Alertable::No)
        .map_err(|error| Mismatch::new(format!("{who}{call} failed: {error}")))?;
    journal::note(format!("{who}{call} returned {}", status.as_win32()));
    Ok(status)
}

fn named_event(name: &str) -> Result<Event, Mismatch> {
    Event::create_named(name, EventReset::Manual, false)
        .map(alertable::Opened::into_inner)
        .map_err(|e| Mismatch::new(format!("CreateEvent({name:?}) failed: {e}")))
}

/// Runs the scenario.
fn run() -> Outcome {
    let names = Names::new();
    let queued = named_event(&names.queued)?;
    let holding = named_event(&names.holding)?;
    let mutex = Mutex::create_named(&names.mutex, false)
        .map(alertable::Opened::into_inner)
        .map_err(|e| Mismatch::new(format!("CreateMutex failed: {e}")))?;
    alertable::register_remote_handler(HANDLER, remote_apc)
        .map_err(|e| Mismatch::new(format!("cannot register the APC handler: {e}")))?;

    let (started, has_started) = mpsc::channel();
    let worker = {
        let (name, queued) = (names.thread.clone(), queued.clone());
        alertable::spawn(move || {
            journal::record(Line::Started);
            let published = alertable::publish_current(Some(&name));
            let _ = started.send(published);
            wait("", "hQueued", &queued)?;
            Ok::<SleepStatus, Mismatch>(journal::sleep(None, Alertable::Yes))
        })
        .map_err(Mismatch::spawn)?
    };
    let tid = worker.thread().id();
    expect(&has_started, "that it started")?
        .map_err(|e| Mismatch::new(format!("the worker could not publish itself: {e}")))?;

    let exe = std::env::current_exe()
        .map_err(|e| Mismatch::new(format!("the tour cannot find itself: {e}")))?;
    let child = Command::new(exe)
        .args([
            "__peer",
            "tour",
            "cross-process",
            &std::process::id().to_string(),
        ])
        .args([&names.thread, &names.queued, &names.mutex, &names.holding])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| Mismatch::new(format!("cannot start the second process: {e}")))?;
    let mut child = Peer(child);
    let pid = child.0.id();
    journal::note(format!(
        "main: started process {pid}, which opens thread {tid} and queues it APCs"
    ));

    let slept = finish(worker)??;
    wait("main: ", "hHolding", &holding)?;
    journal::note(format!("main: process {pid} owns the mutex"));

    let (about_to_wait, is_about_to_wait) = mpsc::channel();
    let waiter = {
        let mutex = mutex.clone();
        alertable::spawn(move || {
            journal::note(format!("about to call {}", wait_call("hMutex")));
            let _ = about_to_wait.send(());
            let status = wait("", "hMutex", &mutex)?;
            let released = mutex.release();
            journal::note(format!(
                "ReleaseMutex(hMutex) -> {}",
                if released.is_ok() { "TRUE" } else { "FALSE" }
            ));
            Ok::<_, Mismatch>((status, released.is_ok()))
        })
        .map_err(Mismatch::spawn)?
    };
    let waiter_tid = waiter.thread().id();
    expect(&is_about_to_wait, "that it is about to wait")?;
    journal::note(format!(
        "main: TerminateProcess: kill({pid}, SIGKILL) while it owns the mutex"
    ));
    child
        .0
        .kill()
        .map_err(|e| Mismatch::new(format!("cannot kill process {pid}: {e}")))?;
    let _ = child.0.wait();
    let (status, released) = finish(waiter)??;

    let record = journal::take();
    record.check_apcs(tid, PARAMS, Some(INFINITE_ALERTABLE))?;
    ensure(slept == SleepStatus::Alerted, || {
        format!(
            "the worker's SleepEx returned {} instead of 192 (WAIT_IO_COMPLETION)",
            slept.as_win32()
        )
    })?;
    ensure(record.sleeps(tid).len() == 1, || {
        "the three APCs did not all run in the worker's one alertable wait".to_owned()
    })?;
    let killed = Line::Note(format!(
        "main: TerminateProcess: kill({pid}, SIGKILL) while it owns the mutex"
    ));
    let waited = Line::Note(format!(
        "{} returned {}",
        wait_call("hMutex"),
        status.as_win32()
    ));
    ensure(
        matches!(
            (record.position(alertable::current().id(), &killed), record.position(waiter_tid, &waited)),
            (Some(kill), Some(wait)) if kill < wait
        ),
        || "the waiter's wait ended before the child was killed".to_owned(),
    )?;
    ensure(status == WaitStatus::Abandoned(0), || {
        format!(
            "the wait on the mutex the killed process owned returned {}, not 128 \
             (WAIT_ABANDONED_0)",
            status.as_win32()
        )
    })?;
    ensure(released, || {
        "ReleaseMutex after WAIT_ABANDONED_0 failed: the wait did not make the waiter the owner"
            .to_owned()
    })?;
    Ok(format!(
        "the other process's three APCs ran in order inside the worker's SleepEx, which \
         returned {}; its death while owning the named mutex made the blocked wait return \
         {} (WAIT_ABANDONED_0), and the waiter owned the mutex",
        slept.as_win32(),
        status.as_win32()
    ))
}

/// The child: `cross-process PARENT_PID THREAD QUEUED MUTEX HOLDING`. Queues the APCs,
/// sets QUEUED, takes the mutex, sets HOLDING, and waits to be killed. Its failures go to
/// standard error and its exit status; the parent then finds an event never set.
pub(super) fn child(args: &[String]) -> ExitCode {
    match child_steps(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("tour cross-process child: {why}");
            ExitCode::FAILURE
        }
    }
}

fn child_steps(args: &[String]) -> Result<(), String> {
    let [parent, thread, queued, mutex, holding] = args else {
        return Err(format!("expected 5 arguments, got {args:?}"));
    };
    die_with(parent.parse().map_err(|_| "a parent pid".to_owned())?)?;
    let target = RemoteThread::open(thread).map_err(|e| format!("OpenThread: {e}"))?;
    for param in PARAMS {
        target
            .queue(HANDLER, &(param as u64).to_le_bytes())
            .map_err(|e| format!("QueueUserAPC(param={param}): {e}"))?;
    }
    let open_event = |name: &str| Event::open(name).map_err(|e| format!("OpenEvent: {e}"));
    open_event(queued)?.set();
    let mutex = Mutex::open(mutex).map_err(|e| format!("OpenMutex: {e}"))?;
    let status = wait_one(&mutex, PATIENCE, Alertable::No);
    if status != Ok(WaitStatus::Signaled(0)) {
        return Err(format!("WaitForSingleObject(hMutex) returned {status:?}"));
    }
    open_event(holding)?.set();
    // Owns the mutex until killed; exits (abandoning it all the same) if that never comes.
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        sleep_ex(Some(Duration::from_secs(1)), Alertable::No);
    }
    Err("never killed".to_owned())
}

/// Makes this process die when the tour does, and fails if it already has.
fn die_with(parent: u32) -> Result<(), String> {
    use rustix::process::{Signal, getppid, set_parent_process_death_signal};
    set_parent_process_death_signal(Some(Signal::KILL)).map_err(|e| e.to_string())?;
    if getppid().map(|p| p.as_raw_nonzero().get()) == i32::try_from(parent).ok() {
        Ok(())
    } else {
        Err("the tour has already exited".to_owned())
    }
}
