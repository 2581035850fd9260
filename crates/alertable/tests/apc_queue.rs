//! Spec section A, queuing APCs: deferral (A1, A16), `test_alert` (A3), exited targets
//! (A4), parameters passed through unchanged (A14) and FIFO order (A15).
#![allow(clippy::disallowed_types)]

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread::ThreadId;
use std::time::Duration;

use alertable::{Alertable, QueueApcError, SleepStatus, queue_apc, queue_user_apc, sleep_ex};

mod common;

use common::{CALLS, bump, count_call, counter};

thread_local! {
    /// Parameters seen by `record_param`, on the thread that ran it.
    static SEEN: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

fn record_param(param: usize) {
    SEEN.with_borrow_mut(|seen| seen.push(param));
}

fn take_seen() -> Vec<usize> {
    SEEN.take()
}

/// Records, when dropped, the thread it was dropped on.
struct DropProbe {
    dropped_on: Arc<std::sync::Mutex<Option<ThreadId>>>,
}

impl Drop for DropProbe {
    fn drop(&mut self) {
        *self.dropped_on.lock().unwrap() = Some(std::thread::current().id());
    }
}

/// A1: an APC queued to the calling thread has not run when `queue_apc` returns; the next
/// alertable sleep runs it exactly once and returns `Alerted` (Win32 192).
#[test]
fn a1_apc_to_self_is_deferred_until_an_alertable_sleep() {
    let ran = counter();
    alertable::current().queue_apc(bump(&ran)).unwrap();
    assert_eq!(
        ran.load(Ordering::SeqCst),
        0,
        "A1: the APC ran inside queue_apc"
    );

    let status = sleep_ex(Some(Duration::from_millis(100)), Alertable::Yes);
    assert_eq!(status, SleepStatus::Alerted);
    assert_eq!(status.as_win32(), 192);
    assert_eq!(ran.load(Ordering::SeqCst), 1);

    // Nothing is left: a second alertable sleep runs nothing and times out.
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Elapsed
    );
    assert_eq!(ran.load(Ordering::SeqCst), 1, "A1: the APC ran twice");
}

/// A1 through the free functions `queue_apc` and `queue_user_apc`.
#[test]
fn a1_free_functions_defer_as_well() {
    let me = alertable::current();
    let ran = counter();
    queue_apc(&me, bump(&ran)).unwrap();
    queue_user_apc(&me, count_call, 0).unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    assert_eq!(CALLS.get(), 0);

    assert_eq!(
        sleep_ex(Some(Duration::from_millis(100)), Alertable::Yes),
        SleepStatus::Alerted
    );
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert_eq!(CALLS.get(), 1);
}

/// A16: queueing never runs the APC synchronously, not even when an APC queues another APC
/// to its own thread while it is being delivered.
#[test]
fn a16_queueing_from_inside_an_apc_does_not_run_it_in_place() {
    let inner_ran = counter();
    let seen_during_queue = Arc::new(AtomicUsize::new(usize::MAX));
    let (inner, seen) = (inner_ran.clone(), seen_during_queue.clone());
    alertable::current()
        .queue_apc(move || {
            alertable::current().queue_apc(bump(&inner)).unwrap();
            // Still inside the outer APC: the inner one must not have run yet.
            seen.store(inner.load(Ordering::SeqCst), Ordering::SeqCst);
        })
        .unwrap();

    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Alerted
    );
    assert_eq!(
        seen_during_queue.load(Ordering::SeqCst),
        0,
        "A16: the inner APC ran inside queue_apc"
    );
    assert_eq!(inner_ran.load(Ordering::SeqCst), 1);
}

/// A16 across threads: `queue_apc` returns before delivery. The target is blocked in a
/// non-alertable wait (a channel receive), so the APC can run only after the target is told
/// to wait alertably, which happens after the check below.
#[test]
fn a16_cross_thread_queue_returns_before_delivery() {
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        sleep_ex(None, Alertable::Yes)
    })
    .unwrap();
    started_rx.recv().unwrap();

    let ran = counter();
    worker.thread().queue_apc(bump(&ran)).unwrap();
    assert_eq!(
        ran.load(Ordering::SeqCst),
        0,
        "A16: the APC ran before its target waited alertably"
    );

    go_tx.send(()).unwrap();
    assert_eq!(worker.join().unwrap(), SleepStatus::Alerted);
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

/// A3: `test_alert` runs every pending APC without waiting; a second call finds nothing.
#[test]
fn a3_test_alert_drains_once() {
    assert!(!alertable::test_alert(), "A3: nothing was queued yet");

    let ran = counter();
    let me = alertable::current();
    me.queue_apc(bump(&ran)).unwrap();
    me.queue_apc(bump(&ran)).unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 0);

    assert!(alertable::test_alert());
    assert_eq!(ran.load(Ordering::SeqCst), 2);

    assert!(!alertable::test_alert());
    assert_eq!(ran.load(Ordering::SeqCst), 2, "A3: an APC ran again");
}

/// A3: `test_alert` also runs the APCs queued by the APCs it runs.
#[test]
fn a3_test_alert_runs_apcs_queued_meanwhile() {
    let ran = counter();
    let inner = bump(&ran);
    alertable::current()
        .queue_apc(move || alertable::current().queue_apc(inner).unwrap())
        .unwrap();
    assert!(alertable::test_alert());
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert!(!alertable::test_alert());
}

/// A4: queueing to a thread that has exited fails with `ThreadExited` (Win32
/// `ERROR_GEN_FAILURE`, 31), and the closure is dropped on the calling thread without running.
#[test]
fn a4_queue_to_an_exited_thread_fails_and_drops_the_closure() {
    let worker = alertable::Builder::new()
        .suspended(true)
        .spawn(|| ())
        .unwrap();
    let handle = worker.thread().clone();
    assert_eq!(handle.resume(), Ok(1));
    worker.join().unwrap();
    assert!(handle.is_finished());

    let token = Arc::new(());
    let ran = counter();
    let dropped_on = Arc::new(std::sync::Mutex::new(None));
    let probe = DropProbe {
        dropped_on: dropped_on.clone(),
    };
    let (t, r) = (token.clone(), ran.clone());
    let err = handle
        .queue_apc(move || {
            let _keep = (&t, &probe);
            r.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap_err();
    assert_eq!(err, QueueApcError::ThreadExited);
    assert_eq!(err.win32_error(), 31);
    assert_eq!(
        Arc::strong_count(&token),
        1,
        "A4: the refused closure leaked"
    );
    assert_eq!(
        *dropped_on.lock().unwrap(),
        Some(std::thread::current().id()),
        "A4: the refused closure was not dropped on the calling thread"
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0);

    // The free functions and the Win32-shaped form fail the same way.
    assert_eq!(
        queue_user_apc(&handle, count_call, 7),
        Err(QueueApcError::ThreadExited)
    );
    assert_eq!(queue_apc(&handle, || ()), Err(QueueApcError::ThreadExited));
    assert_eq!(
        handle.queue_user_apc(count_call, 7),
        Err(QueueApcError::ThreadExited)
    );
    assert_eq!(CALLS.get(), 0);
}

/// A4: a thread that exits before ever waiting alertably; queueing after `join` fails every
/// time, not just once.
#[test]
fn a4_queue_keeps_failing_after_exit() {
    let worker = alertable::spawn(|| ()).unwrap();
    let handle = worker.thread().clone();
    worker.join().unwrap();
    for _ in 0..3 {
        assert_eq!(handle.queue_apc(|| ()), Err(QueueApcError::ThreadExited));
    }
}

/// A4: the error's code and description.
#[test]
fn a4_thread_exited_error_code_is_31() {
    let err = QueueApcError::ThreadExited;
    assert_eq!(err.win32_error(), 31);
    assert!(!err.to_string().is_empty());
    let dynamic: &dyn std::error::Error = &err;
    assert!(dynamic.source().is_none());
}

/// A14: `queue_user_apc` hands its parameter to the function unchanged, including the
/// extreme values of `usize`.
#[test]
fn a14_user_apc_parameter_is_passed_unchanged() {
    let me = alertable::current();
    let params = [
        0x1234,
        0x5678,
        0xdead_beef,
        0,
        1,
        usize::MAX,
        usize::MAX / 3,
    ];
    for p in params {
        me.queue_user_apc(record_param, p).unwrap();
    }
    assert!(
        take_seen().is_empty(),
        "A1: an APC ran inside queue_user_apc"
    );
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Alerted
    );
    assert_eq!(take_seen(), params);
}

/// A14: the three-argument form of `NtQueueApcThread`, as a closure: all three values
/// arrive unchanged on the target thread.
#[test]
fn a14_closure_arguments_are_passed_unchanged_across_threads() {
    let (started_tx, started_rx) = mpsc::channel();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
        take_seen()
    })
    .unwrap();
    started_rx.recv().unwrap();

    let (a1, a2, a3) = (0x1234usize, 0x5678usize, 0xdead_beefusize);
    worker
        .thread()
        .queue_apc(move || {
            record_param(a1);
            record_param(a2);
            record_param(a3);
        })
        .unwrap();
    assert_eq!(worker.join().unwrap(), [0x1234, 0x5678, 0xdead_beef]);
}

/// A15: APCs run in the order queued, across many internal blocks, with closures and
/// function-plus-parameter APCs interleaved.
#[test]
fn a15_fifo_order_to_self() {
    let me = alertable::current();
    const N: usize = 1000;
    for i in 0..N {
        if i % 3 == 0 {
            me.queue_user_apc(record_param, i).unwrap();
        } else {
            me.queue_apc(move || record_param(i)).unwrap();
        }
    }
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Alerted
    );
    let seen = take_seen();
    assert_eq!(seen.len(), N, "A15: not every APC ran exactly once");
    assert!(
        seen.iter().copied().eq(0..N),
        "A15: APCs ran out of order: {seen:?}"
    );
}

/// A15: one producer's APCs to another thread run in the order queued.
#[test]
fn a15_fifo_order_across_threads() {
    const N: usize = 5000;
    let (started_tx, started_rx) = mpsc::channel();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        while SEEN.with_borrow(Vec::len) < N {
            assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
        }
        take_seen()
    })
    .unwrap();
    started_rx.recv().unwrap();
    for i in 0..N {
        worker.thread().queue_user_apc(record_param, i).unwrap();
    }
    let seen = worker.join().unwrap();
    assert!(seen.iter().copied().eq(0..N), "A15: out of order");
}

fn chain(param: usize) {
    record_param(param);
    if param < 0x1234 + 9 {
        alertable::current()
            .queue_user_apc(chain, param + 1)
            .unwrap();
    }
}

/// A15: an APC that queues the next one while it is being delivered: the arguments are
/// observed strictly in sequence, 0x1234, 0x1235, ..., all in one alertable wait.
#[test]
fn a15_apcs_queued_during_delivery_keep_their_order() {
    alertable::current().queue_user_apc(chain, 0x1234).unwrap();
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Alerted
    );
    let seen = take_seen();
    assert!(
        seen.iter().copied().eq(0x1234..0x1234 + 10),
        "A15: {seen:x?}"
    );
}

/// A15: an APC queued during delivery goes to the back of the queue, behind APCs that
/// were already pending.
#[test]
fn a15_apc_queued_during_delivery_goes_behind_pending_ones() {
    let me = alertable::current();
    me.queue_apc(|| {
        record_param(1);
        alertable::current()
            .queue_user_apc(record_param, 3)
            .unwrap();
    })
    .unwrap();
    me.queue_user_apc(record_param, 2).unwrap();
    assert!(alertable::test_alert());
    assert_eq!(take_seen(), [1, 2, 3]);
}
