//! Spec section C, threads and APCs: suspended start (C33), APCs queued before the entry
//! function (C34), APCs dying with their thread (C35), suspending an exited thread (C37);
//! also names, ids, `is_finished`, and `current()` on threads this crate did not create.
#![allow(clippy::disallowed_types)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use alertable::{Alertable, Builder, QueueApcError, ResumeError, SleepStatus, sleep_ex};

mod common;

use common::{CALLS, count_call, log, take_log};

fn log_param(param: usize) {
    log(format!("user apc {param}"));
}

/// The calling thread's kernel thread id, read from `/proc/thread-self` (`<pid>/task/<tid>`).
fn kernel_tid() -> u64 {
    let link = std::fs::read_link("/proc/thread-self").expect("procfs is mounted");
    link.file_name()
        .and_then(|name| name.to_str())
        .and_then(|name| name.parse().ok())
        .expect("thread-self names a task")
}

/// How long to watch for something that must not happen (a suspended thread starting).
/// Only ever used as a window in which nothing may occur, never as a bound on how long
/// something may take.
const QUIET: Duration = Duration::from_millis(100);

/// A value whose clones live inside closures: `others` counts those not yet dropped.
#[derive(Clone)]
struct Token(Arc<()>);

impl Token {
    fn new() -> Self {
        Self(Arc::new(()))
    }

    /// Clones alive besides this one.
    fn others(&self) -> usize {
        Arc::strong_count(&self.0) - 1
    }
}

// ---------------------------------------------------------------------------------------
// C33, C37: suspend counts.

/// C33: a suspended thread: `suspend` → 1, `resume` → 2 and the thread still has not run;
/// `resume` → 1 starts it; after it has exited `suspend` fails with `ThreadExited` (C37,
/// Win32 `ERROR_ACCESS_DENIED`, 5) and `resume` returns 0.
#[test]
fn c33_suspended_start_and_counts() {
    let (entered_tx, entered_rx) = mpsc::channel();
    let worker = Builder::new()
        .suspended(true)
        .spawn(move || entered_tx.send(alertable::current().id()).unwrap())
        .unwrap();
    let handle = worker.thread().clone();

    assert_eq!(handle.suspend(), Ok(1));
    assert_eq!(handle.resume(), Ok(2));
    assert_eq!(
        entered_rx.recv_timeout(QUIET),
        Err(mpsc::RecvTimeoutError::Timeout),
        "C33: the thread ran while its suspend count was 1"
    );
    assert!(!handle.is_finished());

    assert_eq!(handle.resume(), Ok(1));
    let reported = entered_rx.recv().unwrap();
    assert_eq!(reported, handle.id());
    worker.join().unwrap();
    assert!(handle.is_finished());

    // C37.
    let err = handle.suspend().unwrap_err();
    assert_eq!(err, ResumeError::ThreadExited);
    assert_eq!(err.win32_error(), 5);
    assert!(!err.to_string().is_empty());
    assert_eq!(handle.resume(), Ok(0));
    assert_eq!(handle.resume(), Ok(0));
}

/// C33: the count saturates at 127 (`MAXIMUM_SUSPEND_COUNT`, Win32 error 156 beyond), and
/// the thread starts only when the last `resume` brings it back to 0.
#[test]
fn c33_suspend_count_limit_and_unwinding_it() {
    let (entered_tx, entered_rx) = mpsc::channel();
    let worker = Builder::new()
        .suspended(true)
        .spawn(move || entered_tx.send(()).unwrap())
        .unwrap();
    let handle = worker.thread();
    for expected in 1..127 {
        assert_eq!(handle.suspend(), Ok(expected));
    }
    let err = handle.suspend().unwrap_err();
    assert_eq!(err, ResumeError::CountExceeded);
    assert_eq!(err.win32_error(), 156);

    for expected in (2..=127).rev() {
        assert_eq!(handle.resume(), Ok(expected));
    }
    assert_eq!(
        entered_rx.recv_timeout(QUIET),
        Err(mpsc::RecvTimeoutError::Timeout),
        "C33: started before the count reached 0"
    );
    assert_eq!(handle.resume(), Ok(1));
    entered_rx.recv().unwrap();
    worker.join().unwrap();
}

/// C33: `resume` on a running thread (not created suspended) changes nothing and returns
/// 0; the same holds for adopted threads. (Suspending running threads: `thread_suspend.rs`.)
#[test]
fn c33_resume_of_a_running_thread_changes_nothing() {
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        go_rx.recv().unwrap();
    })
    .unwrap();
    started_rx.recv().unwrap();
    assert_eq!(worker.thread().resume(), Ok(0));
    go_tx.send(()).unwrap();
    worker.join().unwrap();

    let me = alertable::current();
    assert_eq!(me.resume(), Ok(0));
}

/// C37: `suspend` on an exited thread that was never suspended.
#[test]
fn c37_suspend_after_exit_fails() {
    let worker = alertable::spawn(|| 5).unwrap();
    let handle = worker.thread().clone();
    assert_eq!(worker.join().unwrap(), 5);
    assert_eq!(handle.suspend(), Err(ResumeError::ThreadExited));
    assert_eq!(handle.resume(), Ok(0));
}

// ---------------------------------------------------------------------------------------
// C34: APCs queued before the entry function.

/// C34: APCs queued to a suspended thread run on it when it starts, in order, before its
/// entry function; APCs they queue run before the entry function too.
#[test]
fn c34_apcs_queued_before_a_suspended_start_run_before_entry() {
    let worker = Builder::new()
        .suspended(true)
        .spawn(|| {
            log("entry");
            take_log()
        })
        .unwrap();
    let handle = worker.thread().clone();
    let me_seen = Arc::new(Mutex::new(None));
    let seen = me_seen.clone();
    handle
        .queue_apc(move || {
            *seen.lock().unwrap() = Some(alertable::current());
            log("apc 1");
            alertable::current()
                .queue_apc(|| log("queued by apc 1"))
                .unwrap();
        })
        .unwrap();
    handle.queue_user_apc(log_param, 2).unwrap();
    assert_eq!(handle.resume(), Ok(1));

    let log = worker.join().unwrap();
    assert_eq!(log, ["apc 1", "user apc 2", "queued by apc 1", "entry"]);
    assert_eq!(
        me_seen.lock().unwrap().as_ref(),
        Some(&handle),
        "C34: the APC did not run on the new thread"
    );
}

/// C34: APCs from several threads queued while the target is suspended all run before
/// its entry function, each producer's in its order.
#[test]
fn c34_apcs_from_several_threads_before_start() {
    const PRODUCERS: usize = 4;
    const EACH: usize = 50;
    let worker = Builder::new()
        .suspended(true)
        .spawn(|| {
            log("entry");
            take_log()
        })
        .unwrap();
    let handle = worker.thread().clone();
    std::thread::scope(|s| {
        for p in 0..PRODUCERS {
            let handle = &handle;
            s.spawn(move || {
                for i in 0..EACH {
                    handle.queue_apc(move || log(format!("{p}:{i}"))).unwrap();
                }
            });
        }
    });
    assert_eq!(handle.resume(), Ok(1));
    let log = worker.join().unwrap();
    assert_eq!(log.len(), PRODUCERS * EACH + 1);
    assert_eq!(log.last().map(String::as_str), Some("entry"));
    for p in 0..PRODUCERS {
        let mine: Vec<&String> = log
            .iter()
            .filter(|e| e.starts_with(&format!("{p}:")))
            .collect();
        let expected: Vec<String> = (0..EACH).map(|i| format!("{p}:{i}")).collect();
        assert!(mine.iter().copied().eq(expected.iter()), "producer {p}");
    }
}

/// C34 for a thread spawned without `suspended`: an APC queued right after `spawn` returns
/// either arrives before the entry function started (then it runs before it) or after
/// (then it stays queued, since the entry function never waits alertably, and is dropped
/// at exit, C35). It never runs in the middle of the entry function, and never twice.
///
/// Which case happens depends on scheduling; both are checked in every round.
#[test]
fn c34_apc_queued_right_after_a_normal_spawn() {
    const ROUNDS: usize = 200;
    let mut before_entry = 0;
    for _ in 0..ROUNDS {
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let worker = alertable::spawn(move || {
            let at_entry = CALLS.get();
            // A non-alertable wait: no APC may run here.
            go_rx.recv().unwrap();
            (at_entry, CALLS.get())
        })
        .unwrap();
        let token = Token::new();
        let t = token.clone();
        worker
            .thread()
            .queue_apc(move || {
                let _keep = &t;
                count_call(0);
            })
            .unwrap();
        go_tx.send(()).unwrap();
        let (at_entry, at_exit) = worker.join().unwrap();
        assert!(at_entry <= 1, "C34: the APC ran more than once");
        assert_eq!(
            at_entry, at_exit,
            "the APC ran inside the entry function without an alertable wait"
        );
        assert_eq!(token.others(), 0, "C35: the APC leaked");
        before_entry += at_entry;
    }
    // Not asserted (it depends on the scheduler), but visible with --nocapture.
    println!("{before_entry} of {ROUNDS} APCs arrived before the entry function");
}

/// C34: APCs queued to a thread whose entry function then waits alertably run exactly once
/// on it, whether they arrived before the entry function or during the wait.
#[test]
fn c34_normal_spawn_apc_runs_exactly_once() {
    let worker = alertable::spawn(|| {
        while CALLS.get() < 2 {
            assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
        }
        CALLS.get()
    })
    .unwrap();
    worker.thread().queue_user_apc(count_call, 0).unwrap();
    worker.thread().queue_user_apc(count_call, 0).unwrap();
    assert_eq!(worker.join().unwrap(), 2);
}

// ---------------------------------------------------------------------------------------
// C35: pending APCs die with the thread.

/// C35: APCs still queued when their thread exits never run, anywhere; their closures are
/// dropped (no leak); later queueing fails.
#[test]
fn c35_pending_apcs_are_dropped_at_exit() {
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        // Exits without an alertable wait.
    })
    .unwrap();
    started_rx.recv().unwrap();

    let handle = worker.thread().clone();
    let token = Token::new();
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..100 {
        let (t, r) = (token.clone(), ran.clone());
        handle
            .queue_apc(move || {
                let _keep = &t;
                r.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
    }
    assert_eq!(token.others(), 100);
    go_tx.send(()).unwrap();
    worker.join().unwrap();

    assert!(handle.is_finished());
    assert_eq!(token.others(), 0, "C35: pending APCs leaked at exit");
    assert_eq!(ran.load(Ordering::SeqCst), 0, "C35: a pending APC ran");
    // Not moved elsewhere: this thread's alertable wait finds nothing.
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Elapsed
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    assert_eq!(
        handle.queue_apc(|| ()),
        Err(QueueApcError::ThreadExited),
        "A4"
    );
}

/// C35: a thread whose entry function panics drops its pending APCs too.
#[test]
fn c35_pending_apcs_are_dropped_when_the_entry_function_panics() {
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        panic!("entry function failed");
    })
    .unwrap();
    started_rx.recv().unwrap();
    let handle = worker.thread().clone();
    let token = Token::new();
    let ran = Arc::new(AtomicBool::new(false));
    let (t, r) = (token.clone(), ran.clone());
    handle
        .queue_apc(move || {
            let _keep = &t;
            r.store(true, Ordering::SeqCst);
        })
        .unwrap();
    go_tx.send(()).unwrap();
    assert!(worker.join().is_err());
    assert!(handle.is_finished());
    assert_eq!(token.others(), 0);
    assert!(!ran.load(Ordering::SeqCst));
}

/// Holds a probe whose destructor performs an alertable wait (`test_alert`) and records
/// whether that ran anything.
struct AlertsOnDrop(Arc<AtomicBool>);

impl Drop for AlertsOnDrop {
    fn drop(&mut self) {
        let ran_something = alertable::test_alert();
        self.0.store(ran_something, Ordering::SeqCst);
    }
}

/// C35: APCs pending at exit never run, even when dropping one of them runs user code that
/// waits alertably on the exiting thread.
#[test]
fn c35_alertable_wait_in_a_destructor_at_exit_runs_nothing() {
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        go_rx.recv().unwrap();
    })
    .unwrap();
    started_rx.recv().unwrap();
    let drained = Arc::new(AtomicBool::new(false));
    let probe = AlertsOnDrop(drained.clone());
    worker
        .thread()
        .queue_apc(move || {
            let _keep = &probe;
        })
        .unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    worker
        .thread()
        .queue_apc(move || r.store(true, Ordering::SeqCst))
        .unwrap();
    go_tx.send(()).unwrap();
    worker.join().unwrap();
    assert!(
        !ran.load(Ordering::SeqCst),
        "C35: an APC pending at exit ran (test_alert in a destructor returned {})",
        drained.load(Ordering::SeqCst)
    );
}

// ---------------------------------------------------------------------------------------
// Names, ids, is_finished, handles.

/// `Builder::name` names the thread for this crate and for `std::thread`; `spawn` leaves
/// it unnamed.
#[test]
fn names() {
    let worker = Builder::new()
        .name("apc-worker".to_owned())
        .spawn(|| {
            (
                alertable::current().name().map(str::to_owned),
                std::thread::current().name().map(str::to_owned),
            )
        })
        .unwrap();
    assert_eq!(worker.thread().name(), Some("apc-worker"));
    let (mine, std_name) = worker.join().unwrap();
    assert_eq!(mine.as_deref(), Some("apc-worker"));
    assert_eq!(std_name.as_deref(), Some("apc-worker"));

    let unnamed = alertable::spawn(|| alertable::current().name().map(str::to_owned)).unwrap();
    assert_eq!(unnamed.thread().name(), None);
    assert_eq!(unnamed.join().unwrap(), None);

    // Adopted threads take their `std::thread` name.
    let named_std = std::thread::Builder::new()
        .name("plain-std".to_owned())
        .spawn(|| alertable::current().name().map(str::to_owned))
        .unwrap();
    assert_eq!(named_std.join().unwrap().as_deref(), Some("plain-std"));
    assert_eq!(
        alertable::current().name(),
        std::thread::current().name(),
        "the test thread"
    );
}

/// `id()` is the kernel tid: the same as the thread reports for itself through
/// `current()`, and as `/proc/thread-self` shows; distinct threads have distinct ids.
#[test]
fn ids_match_the_kernel_tid() {
    let worker = alertable::spawn(|| (alertable::current().id(), kernel_tid())).unwrap();
    let id = worker.thread().id();
    let (reported, kernel) = worker.join().unwrap();
    assert_ne!(id, 0, "a tid is never 0");
    assert_eq!(id, reported);
    assert_eq!(id, kernel);
    assert_eq!(alertable::current().id(), kernel_tid());
    assert_ne!(alertable::current().id(), id);
}

/// A suspended thread's id is available before it starts, and is the one it reports.
#[test]
fn id_of_a_suspended_thread() {
    let worker = Builder::new()
        .suspended(true)
        .spawn(|| (alertable::current().id(), kernel_tid()))
        .unwrap();
    let before = worker.thread().id();
    assert_ne!(before, 0);
    assert_ne!(before, alertable::current().id());
    assert_eq!(worker.thread().resume(), Ok(1));
    let (reported, kernel) = worker.join().unwrap();
    assert_eq!(before, reported);
    assert_eq!(before, kernel);
}

/// `is_finished` is false while the thread runs (or waits to start) and true after it has
/// exited.
#[test]
fn is_finished_tracks_exit() {
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let worker = alertable::spawn(move || go_rx.recv().unwrap()).unwrap();
    let handle = worker.thread().clone();
    assert!(!handle.is_finished());
    go_tx.send(()).unwrap();
    worker.join().unwrap();
    assert!(handle.is_finished());

    let suspended = Builder::new().suspended(true).spawn(|| ()).unwrap();
    assert!(!suspended.thread().is_finished());
    suspended.thread().resume().unwrap();
    let handle = suspended.thread().clone();
    suspended.join().unwrap();
    assert!(handle.is_finished());

    assert!(!alertable::current().is_finished());
}

/// Handles compare equal when they refer to the same thread, however obtained.
#[test]
fn handle_equality() {
    let (tx, rx) = mpsc::channel();
    let worker = alertable::spawn(move || {
        tx.send(alertable::current()).unwrap();
    })
    .unwrap();
    let from_inside = rx.recv().unwrap();
    assert_eq!(&from_inside, worker.thread());
    assert_eq!(from_inside.clone(), from_inside);
    assert_ne!(from_inside, alertable::current());
    assert_eq!(alertable::current(), alertable::current());
    let kept = worker.thread().clone();
    worker.join().unwrap();
    // Still equal after the thread has gone.
    assert!(from_inside.is_finished());
    assert_eq!(from_inside, kept);
}

/// `current()` on a plain `std::thread` thread gives it an APC queue: APCs queued to it run
/// on it in its alertable waits; after it exits, queueing fails and drops the closure.
#[test]
fn current_on_a_std_thread_receives_apcs() {
    let (tx, rx) = mpsc::channel();
    let std_thread = std::thread::spawn(move || {
        tx.send(alertable::current()).unwrap();
        let status = sleep_ex(None, Alertable::Yes);
        (status, take_log(), std::thread::current().id())
    });
    let handle = rx.recv().unwrap();
    let ran_on = Arc::new(Mutex::new(None));
    let r = ran_on.clone();
    handle
        .queue_apc(move || {
            *r.lock().unwrap() = Some(std::thread::current().id());
            log("ran");
        })
        .unwrap();
    let (status, log, id) = std_thread.join().unwrap();
    assert_eq!(status, SleepStatus::Alerted);
    assert_eq!(log, ["ran"]);
    assert_eq!(*ran_on.lock().unwrap(), Some(id));

    // The std thread's queue closed with its thread-local storage.
    assert!(handle.is_finished());
    let token = Token::new();
    let t = token.clone();
    assert_eq!(
        handle.queue_apc(move || drop(t)),
        Err(QueueApcError::ThreadExited)
    );
    assert_eq!(token.others(), 0);
}

/// APCs pending on a `std::thread` thread when it exits are dropped, not run (C35).
#[test]
fn c35_std_thread_drops_pending_apcs_at_exit() {
    let (tx, rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let std_thread = std::thread::spawn(move || {
        tx.send(alertable::current()).unwrap();
        go_rx.recv().unwrap();
    });
    let handle = rx.recv().unwrap();
    let token = Token::new();
    let ran = Arc::new(AtomicBool::new(false));
    let (t, r) = (token.clone(), ran.clone());
    handle
        .queue_apc(move || {
            let _keep = &t;
            r.store(true, Ordering::SeqCst);
        })
        .unwrap();
    go_tx.send(()).unwrap();
    std_thread.join().unwrap();
    assert!(handle.is_finished());
    assert_eq!(token.others(), 0);
    assert!(!ran.load(Ordering::SeqCst));
}

/// A custom stack size works and the thread serves APCs.
#[test]
fn stack_size_is_accepted() {
    let (started_tx, started_rx) = mpsc::channel();
    let worker = Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            started_tx.send(()).unwrap();
            sleep_ex(None, Alertable::Yes);
            CALLS.get()
        })
        .unwrap();
    started_rx.recv().unwrap();
    worker.thread().queue_user_apc(count_call, 0).unwrap();
    assert_eq!(worker.join().unwrap(), 1);
}

/// `JoinHandle::join` returns the entry function's value, and `thread()` hands out a
/// handle that outlives the join.
#[test]
fn join_returns_the_value() {
    let worker = Builder::new()
        .name("value".to_owned())
        .spawn(|| vec![1, 2, 3])
        .unwrap();
    let handle = worker.thread().clone();
    assert_eq!(worker.join().unwrap(), [1, 2, 3]);
    assert_eq!(handle.name(), Some("value"));
    assert!(handle.is_finished());
}

/// A name with a NUL byte cannot be an OS thread name: `spawn` returns an `InvalidInput`
/// error (its documented `io::Result`) instead of panicking, and creates no thread.
#[test]
fn a_name_with_a_nul_byte_is_refused() {
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let err = Builder::new()
        .name("a\0b".into())
        .spawn(move || r.store(true, Ordering::SeqCst))
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(!ran.load(Ordering::SeqCst));
}
