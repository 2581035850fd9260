//! Spec section C: suspending threads that run (C33), on threads made by this crate and on
//! adopted ones, by another thread and by the thread itself; the suspend count's limit; a
//! suspended thread's APCs, waits on it, and its exit.
#![allow(clippy::disallowed_types)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use alertable::{
    Alertable, Builder, ResumeError, SleepStatus, ThreadHandle, WaitStatus, sleep_ex, wait_one,
};

mod common;

use common::{LONG, recv, wait_until_blocked};

/// How long to watch for something that must not happen (a suspended thread making
/// progress). Only ever a window in which nothing may occur, never a bound on how long
/// something may take.
const QUIET: Duration = Duration::from_millis(100);

/// A thread that counts as fast as it can until told to stop.
struct Spinner {
    count: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Spinner {
    fn new() -> Self {
        Self {
            count: Arc::new(AtomicU64::new(0)),
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The loop the thread runs.
    fn body(&self) -> impl FnOnce() + Send + 'static {
        let count = self.count.clone();
        let stop = self.stop.clone();
        move || {
            while !stop.load(Ordering::Relaxed) {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Returns once the count has moved past `from`.
    fn wait_for_progress(&self, from: u64) {
        let start = Instant::now();
        while self.count() == from {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the spinner never ran"
            );
            std::thread::yield_now();
        }
    }

    /// Asserts that the count stays at `at` for a while.
    fn assert_still(&self, at: u64, why: &str) {
        let start = Instant::now();
        while start.elapsed() < QUIET {
            assert_eq!(self.count(), at, "{why}");
            std::thread::yield_now();
        }
    }

    fn finish(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Suspends a spinning `thread`, checks it stops, nests a second suspension, and resumes it.
fn stop_and_restart(spinner: &Spinner, thread: &ThreadHandle) {
    spinner.wait_for_progress(0);
    assert_eq!(
        thread.suspend(),
        Ok(0),
        "C33: the previous count of a running thread"
    );
    let stopped_at = spinner.count();
    spinner.assert_still(stopped_at, "C33: a suspended thread kept counting");
    assert_eq!(thread.suspend(), Ok(1));
    assert_eq!(thread.resume(), Ok(2));
    spinner.assert_still(stopped_at, "C33: ran again with its count at 1");
    assert_eq!(thread.resume(), Ok(1));
    spinner.wait_for_progress(stopped_at);
    assert_eq!(
        thread.resume(),
        Ok(0),
        "C33: resuming a running thread changes nothing"
    );
}

/// C33: a thread made by this crate that spins stops when suspended and counts again when
/// resumed; counts nest and `resume` returns the previous count.
#[test]
fn c33_suspend_stops_a_running_thread_and_resume_restarts_it() {
    let spinner = Spinner::new();
    let worker = alertable::spawn(spinner.body()).unwrap();
    stop_and_restart(&spinner, worker.thread());
    spinner.finish();
    worker.join().unwrap();
}

/// C33 on a thread the crate did not create: a `std::thread` that called `current()`.
#[test]
fn c33_suspend_stops_an_adopted_thread() {
    let spinner = Spinner::new();
    let body = spinner.body();
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        tx.send(alertable::current()).unwrap();
        body();
    });
    let thread = recv(&rx);
    stop_and_restart(&spinner, &thread);
    spinner.finish();
    worker.join().unwrap();
}

/// C33: the count of a running thread goes up to 127 (`MAXIMUM_SUSPEND_COUNT`); the next
/// `suspend` fails with `CountExceeded` (Win32 `ERROR_SIGNAL_REFUSED`, 156) and changes
/// nothing; the thread runs again only when the last `resume` brings the count to 0.
#[test]
fn c33_running_thread_suspend_count_limit() {
    let spinner = Spinner::new();
    let worker = alertable::spawn(spinner.body()).unwrap();
    let thread = worker.thread();
    spinner.wait_for_progress(0);
    for expected in 0..127 {
        assert_eq!(thread.suspend(), Ok(expected));
    }
    let err = thread.suspend().unwrap_err();
    assert_eq!(err, ResumeError::CountExceeded);
    assert_eq!(err.win32_error(), 156);
    let stopped_at = spinner.count();
    for expected in (2..=127).rev() {
        assert_eq!(thread.resume(), Ok(expected));
    }
    spinner.assert_still(stopped_at, "C33: ran again before the count reached 0");
    assert_eq!(thread.resume(), Ok(1));
    spinner.wait_for_progress(stopped_at);
    spinner.finish();
    worker.join().unwrap();
}

/// C33: a thread that suspends itself stops inside `suspend` until another thread resumes
/// it; its `suspend` then returns the previous count. Another thread sees its count at
/// 1 meanwhile (the way Wine's `test_SuspendThread` finds out that it has stopped).
#[test]
fn c33_a_thread_suspends_itself_until_another_resumes_it() {
    let (back_tx, back_rx) = mpsc::channel();
    let worker = alertable::spawn(move || {
        let me = alertable::current();
        let previous = me.suspend();
        back_tx.send(previous).unwrap();
    })
    .unwrap();
    let thread = worker.thread();
    // Until the worker has suspended itself, our own suspension finds the count at 0. (The
    // worker may also raise the count between our suspend and resume: it was still
    // running, in its own `suspend`, when ours began.)
    let start = Instant::now();
    loop {
        let seen = thread.suspend().unwrap();
        let resumed = thread.resume().unwrap();
        assert!(
            resumed == seen + 1 || resumed == seen + 2,
            "{seen} then {resumed}"
        );
        if seen == 1 {
            break;
        }
        assert_eq!(seen, 0);
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "never suspended itself"
        );
        std::thread::yield_now();
    }
    assert_eq!(
        back_rx.recv_timeout(QUIET),
        Err(mpsc::RecvTimeoutError::Timeout),
        "C33: a thread that suspended itself went on by itself"
    );
    assert!(!thread.is_finished());
    assert_eq!(thread.resume(), Ok(1));
    // 0, or 1 if one of our probing suspensions was under way when it suspended itself.
    let previous = recv(&back_rx).unwrap();
    assert!(previous <= 1, "{previous}");
    worker.join().unwrap();
}

/// C33 with APCs: a thread suspended while it sleeps alertably runs no APC until it is
/// resumed (they stay queued; queueing still works), a wait on its handle times out, and
/// once resumed it runs them in order.
#[test]
fn c33_apcs_stay_queued_while_suspended_and_run_after_resume() {
    let (ran_tx, ran_rx) = mpsc::channel();
    let (id_tx, id_rx) = mpsc::channel();
    let worker = alertable::spawn(move || {
        id_tx.send(alertable::current().id()).unwrap();
        // All three are queued before the resume, so one wait runs them all.
        assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
    })
    .unwrap();
    let thread = worker.thread().clone();
    wait_until_blocked(recv(&id_rx));
    assert_eq!(thread.suspend(), Ok(0));
    for i in 0..3 {
        let ran_tx = ran_tx.clone();
        thread.queue_apc(move || ran_tx.send(i).unwrap()).unwrap();
    }
    assert_eq!(
        ran_rx.recv_timeout(QUIET),
        Err(mpsc::RecvTimeoutError::Timeout),
        "C33: an APC ran on a suspended thread"
    );
    assert_eq!(
        wait_one(&thread, Some(Duration::ZERO), Alertable::No),
        Ok(WaitStatus::TimedOut),
        "C36: a suspended thread's handle is not signaled"
    );
    assert_eq!(thread.resume(), Ok(1));
    let order: Vec<i32> = (0..3).map(|_| recv(&ran_rx)).collect();
    assert_eq!(order, [0, 1, 2]);
    worker.join().unwrap();
    assert_eq!(
        wait_one(&thread, LONG, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
}

/// C33, C36, C37: a suspended thread that has been told to finish does not exit (its handle
/// stays unsignaled) until it is resumed; after it has exited, `suspend` fails with
/// `ThreadExited` (Win32 `ERROR_ACCESS_DENIED`, 5) and `resume` returns 0.
#[test]
fn c33_a_suspended_thread_exits_only_after_resume() {
    let spinner = Spinner::new();
    let worker = alertable::spawn(spinner.body()).unwrap();
    let thread = worker.thread().clone();
    spinner.wait_for_progress(0);
    assert_eq!(thread.suspend(), Ok(0));
    spinner.finish();
    assert_eq!(
        wait_one(&thread, Some(QUIET), Alertable::No),
        Ok(WaitStatus::TimedOut),
        "C33: a suspended thread went on to exit"
    );
    assert_eq!(thread.resume(), Ok(1));
    worker.join().unwrap();
    assert!(thread.is_finished());
    let err = thread.suspend().unwrap_err();
    assert_eq!(err, ResumeError::ThreadExited);
    assert_eq!(err.win32_error(), 5);
    assert_eq!(thread.resume(), Ok(0));
}

/// C33: suspensions of a thread created suspended add to its start count (one count); once
/// it runs, it can be suspended again like any running thread.
#[test]
fn c33_start_count_and_later_suspension_are_one_count() {
    let spinner = Spinner::new();
    let worker = Builder::new()
        .suspended(true)
        .spawn(spinner.body())
        .unwrap();
    let thread = worker.thread();
    assert_eq!(thread.suspend(), Ok(1));
    assert_eq!(thread.resume(), Ok(2));
    spinner.assert_still(0, "C33: started while its count was 1");
    assert_eq!(thread.resume(), Ok(1));
    stop_and_restart(&spinner, thread);
    spinner.finish();
    worker.join().unwrap();
}

/// C33: two threads suspend and resume one spinning thread at once, many times; every
/// `suspend` that returns has stopped it, and the count ends at 0 with the thread running.
#[test]
fn c33_concurrent_suspenders_keep_one_count() {
    let spinner = Spinner::new();
    let worker = alertable::spawn(spinner.body()).unwrap();
    let thread = worker.thread().clone();
    spinner.wait_for_progress(0);
    let count = spinner.count.clone();
    let suspenders: Vec<_> = (0..2)
        .map(|_| {
            let thread = thread.clone();
            let count = count.clone();
            std::thread::spawn(move || {
                for _ in 0..200 {
                    thread.suspend().unwrap();
                    let at = count.load(Ordering::Relaxed);
                    std::thread::yield_now();
                    assert_eq!(count.load(Ordering::Relaxed), at, "ran while suspended");
                    thread.resume().unwrap();
                }
            })
        })
        .collect();
    for s in suspenders {
        s.join().unwrap();
    }
    assert_eq!(thread.resume(), Ok(0), "the count is back at 0");
    let at = spinner.count();
    spinner.wait_for_progress(at);
    spinner.finish();
    worker.join().unwrap();
}

/// A suspension interrupts the library's own blocking calls (the signal's handler runs in
/// the middle of them); they go on afterwards as if nothing happened: a timed sleep still
/// lasts its full time, and an infinite alertable sleep does not return until an APC comes.
#[test]
fn c33_suspending_a_sleeping_thread_changes_nothing_for_its_sleep() {
    const NAP: Duration = Duration::from_millis(300);
    let (id_tx, id_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    let worker = alertable::spawn(move || {
        id_tx.send(alertable::current().id()).unwrap();
        let start = Instant::now();
        let timed = sleep_ex(Some(NAP), Alertable::No);
        done_tx.send((timed, start.elapsed())).unwrap();
        sleep_ex(None, Alertable::Yes)
    })
    .unwrap();
    let thread = worker.thread().clone();
    let tid = recv(&id_rx);
    wait_until_blocked(tid);
    assert_eq!(thread.suspend(), Ok(0));
    assert_eq!(thread.resume(), Ok(1));
    let (timed, took) = recv(&done_rx);
    assert_eq!(timed, SleepStatus::Elapsed);
    assert!(took >= NAP, "the timed sleep was cut short: {took:?}");

    wait_until_blocked(tid);
    assert_eq!(thread.suspend(), Ok(0));
    assert_eq!(thread.resume(), Ok(1));
    assert_eq!(
        wait_one(&thread, Some(QUIET), Alertable::No),
        Ok(WaitStatus::TimedOut),
        "the infinite sleep returned without an APC"
    );
    thread.queue_apc(|| ()).unwrap();
    assert_eq!(worker.join().unwrap(), SleepStatus::Alerted);
}
