//! `abandoned`: a mutex whose owner exits without releasing it goes, abandoned, to the
//! thread blocked on it (G72, G73); the owner's thread handle is signaled by its exit (C36).

use std::sync::mpsc;
use std::time::Duration;

use alertable::{Alertable, Mutex, SyncError, WaitStatus, Waitable, wait_one};

use super::Scenario;
use super::journal::{self, Event};
use super::verdict::{Mismatch, Outcome, ensure, expect, finish};

/// The scenario's entry in the tour.
pub(super) const SCENARIO: Scenario = Scenario {
    name: "abandoned",
    summary: "a mutex whose owner exits unreleased goes to its blocked waiter, with 128",
    spec: "G72, G73, C36",
    description: "The owner thread takes a mutex with WaitForSingleObject(hMutex, INFINITE) \
        and reports that it owns it; a second thread then blocks in the same call. Once the \
        second thread has said it is about to wait, main lets the owner's thread function \
        return with the mutex still owned. On Windows the exit abandons the mutex and hands \
        it to the blocked waiter, whose wait returns 128 (WAIT_ABANDONED_0): it now owns \
        the mutex, so its ReleaseMutex succeeds and a second one fails with ERROR_NOT_OWNER \
        (288). A waiter that began waiting only after the exit would get the same 128. The \
        owner's exit also signaled its thread handle: main's WaitForSingleObject on it \
        returns 0. The abandonment is reported once: main's own wait on the released mutex \
        returns 0.",
    run,
};

/// How long main's wait on the owner's thread handle may last, as in Windows' own test of
/// thread handles (C36).
const HANDLE_WAIT: Duration = Duration::from_millis(5000);

/// Spells a `wait_one` call the Win32 way: `WaitForSingleObject(hMutex, INFINITE)`.
fn wait_call(handle: &str, timeout: Option<Duration>) -> String {
    let millis = timeout.map_or_else(|| "INFINITE".to_owned(), |t| t.as_millis().to_string());
    format!("WaitForSingleObject({handle}, {millis})")
}

/// Waits on `object` (not alertably) and records `{who}{call} returned {status}`, where
/// `who` is `"main: "` on the main thread and empty on the workers.
fn wait(
    who: &str,
    handle: &str,
    object: &dyn Waitable,
    timeout: Option<Duration>,
) -> Result<WaitStatus, Mismatch> {
    let call = wait_call(handle, timeout);
    let status = wait_one(object, timeout, Alertable::No)
        .map_err(|error| Mismatch::new(format!("{call} failed: {error}")))?;
    journal::note(format!("{who}{call} returned {}", status.as_win32()));
    Ok(status)
}

/// What `ReleaseMutex` would have returned: `TRUE`, or `FALSE` and the error code.
fn show_released(result: &Result<(), SyncError>) -> String {
    match result {
        Ok(()) => "TRUE".to_owned(),
        Err(error) => format!("FALSE (error {})", error.win32_error()),
    }
}

/// Calls `release` on `mutex` and records `{who}ReleaseMutex(hMutex) -> {result}`.
fn release(who: &str, mutex: &Mutex) -> Result<(), SyncError> {
    let result = mutex.release();
    journal::note(format!(
        "{who}ReleaseMutex(hMutex) -> {}",
        show_released(&result)
    ));
    result
}

/// What the waiter saw: its wait, then its two releases.
type WaiterResult = (WaitStatus, Result<(), SyncError>, Result<(), SyncError>);

/// Runs the scenario: the owner takes the mutex, the waiter blocks, the owner exits.
fn run() -> Outcome {
    let mutex = Mutex::new(false);
    let exit_note = "returning from the thread function without ReleaseMutex";

    let (owns, has_acquired) = mpsc::channel();
    let (open_gate, gate) = mpsc::channel::<()>();
    let owner = {
        let mutex = mutex.clone();
        alertable::spawn(move || {
            journal::record(Event::Started);
            let acquired = wait("", "hMutex", &mutex, None);
            let _ = owns.send(acquired.as_ref().ok().copied());
            // Held here, owning the mutex, until main lets the thread end.
            let _ = gate.recv();
            journal::note(exit_note);
            acquired
        })
        .map_err(Mismatch::spawn)?
    };
    let owner_tid = owner.thread().id();
    let acquired = expect(&has_acquired, "that it owns the mutex")?;
    ensure(acquired == Some(WaitStatus::Signaled(0)), || {
        format!(
            "the first WaitForSingleObject on the free mutex returned {}, not 0",
            acquired.map_or_else(|| "an error".to_owned(), |s| s.as_win32().to_string())
        )
    })?;

    let (about_to_wait, is_about_to_wait) = mpsc::channel();
    let waiter = {
        let mutex = mutex.clone();
        alertable::spawn(move || {
            journal::record(Event::Started);
            journal::note(format!(
                "about to call {} on the mutex thread {owner_tid} owns",
                wait_call("hMutex", None)
            ));
            let _ = about_to_wait.send(());
            let status = wait("", "hMutex", &mutex, None)?;
            let first = release("", &mutex);
            let second = release("", &mutex);
            Ok::<WaiterResult, Mismatch>((status, first, second))
        })
        .map_err(Mismatch::spawn)?
    };
    let waiter_tid = waiter.thread().id();

    expect(&is_about_to_wait, "that it is about to wait")?;
    journal::note(format!(
        "main: letting thread {owner_tid} return while it owns the mutex"
    ));
    open_gate
        .send(())
        .map_err(|_| Mismatch::new("the owner left before main let it"))?;
    let (status, first, second) = finish(waiter)??;
    let handle = wait("main: ", "hOwnerThread", owner.thread(), Some(HANDLE_WAIT))?;
    finish(owner)??;
    let again = wait("main: ", "hMutex", &mutex, Some(Duration::ZERO))?;
    let released = release("main: ", &mutex);

    let record = journal::take();
    let waited = Event::Note(format!(
        "{} returned {}",
        wait_call("hMutex", None),
        status.as_win32()
    ));
    let exited_at = record.position(owner_tid, &Event::Note(exit_note.to_owned()));
    ensure(
        matches!(
            (exited_at, record.position(waiter_tid, &waited)),
            (Some(exit), Some(wait)) if exit < wait
        ),
        || "the waiter's wait ended before the owner's thread function returned".to_owned(),
    )?;
    ensure(status == WaitStatus::Abandoned(0), || {
        format!(
            "the blocked waiter's wait returned {} when the owner exited, not 128 \
             (WAIT_ABANDONED_0)",
            status.as_win32()
        )
    })?;
    ensure(first.is_ok(), || {
        format!(
            "the waiter's ReleaseMutex after WAIT_ABANDONED_0 returned {}, not TRUE: the \
             wait did not make it the owner",
            show_released(&first)
        )
    })?;
    ensure(second == Err(SyncError::NotOwner), || {
        format!(
            "the waiter's second ReleaseMutex returned {}, not FALSE (error 288)",
            show_released(&second)
        )
    })?;
    ensure(handle == WaitStatus::Signaled(0), || {
        format!(
            "{} on the exited owner returned {}, not 0",
            wait_call("hOwnerThread", Some(HANDLE_WAIT)),
            handle.as_win32()
        )
    })?;
    ensure(again == WaitStatus::Signaled(0) && released.is_ok(), || {
        format!(
            "main's wait on the released mutex returned {} and its ReleaseMutex {}; \
             expected 0 and TRUE",
            again.as_win32(),
            show_released(&released)
        )
    })?;
    Ok(format!(
        "the owner's exit handed the mutex to the blocked waiter with {} \
         (WAIT_ABANDONED_0); the waiter owned it (ReleaseMutex TRUE, then FALSE with error \
         {}); the owner's thread handle was signaled ({}); the next wait got a plain {}",
        status.as_win32(),
        second.err().map_or(0, SyncError::win32_error),
        handle.as_win32(),
        again.as_win32()
    ))
}
