//! `PreparedThread`: a thread whose state exists before its OS thread, for code that creates
//! the OS thread itself (the C ABI's `CreateThread`). Spec section C: suspended start (C33),
//! APCs queued before the start run first (C34), the handle signals on exit (C36), APCs
//! queued to an exited thread are refused (A4).
#![allow(clippy::disallowed_types)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use alertable::{Alertable, PreparedThread, QueueApcError, WaitStatus, wait_one};

/// C33, C34: created suspended, APCs queued before the OS thread even exists run on it,
/// FIFO, before its own code; the handle is signaled once the thread has exited.
#[test]
fn c34_apcs_before_enter_run_first_on_the_new_thread() {
    let prepared = PreparedThread::new(true);
    let handle = prepared.handle().clone();
    let log = Arc::new(Mutex::new(Vec::new()));
    for i in 0..3 {
        let log = log.clone();
        handle
            .queue_apc(move || log.lock().unwrap().push(format!("apc {i}")))
            .unwrap();
    }
    let thread_log = log.clone();
    let os_thread = std::thread::spawn(move || {
        prepared.enter();
        thread_log.lock().unwrap().push("entry".to_owned());
        alertable::current()
    });
    // The id is published before the start gate, so it is known while suspended.
    let id = handle.id();
    assert!(log.lock().unwrap().is_empty(), "suspended: nothing ran");
    assert_eq!(handle.resume(), Ok(1));
    let seen_inside = os_thread.join().unwrap();
    assert_eq!(
        seen_inside, handle,
        "current() on the thread is the prepared handle"
    );
    assert_eq!(seen_inside.id(), id);
    assert_eq!(*log.lock().unwrap(), ["apc 0", "apc 1", "apc 2", "entry"]);
    // Thread-local teardown marked it exited (C36, A4).
    assert!(handle.is_finished());
    assert_eq!(
        wait_one(&handle, Some(Duration::ZERO), Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(handle.queue_apc(|| ()), Err(QueueApcError::ThreadExited));
}

/// Not suspended: `enter` passes the gate at once; the suspend count can no longer be raised.
#[test]
fn c33_not_suspended_enters_at_once() {
    let prepared = PreparedThread::new(false);
    let handle = prepared.handle().clone();
    assert_eq!(handle.resume(), Ok(0));
    let os_thread = std::thread::spawn(move || {
        prepared.enter();
        alertable::current().id()
    });
    assert_eq!(os_thread.join().unwrap(), handle.id());
    assert!(handle.is_finished());
}

/// A thread that already has a context cannot become another one.
#[test]
fn enter_refuses_a_thread_with_a_context() {
    let result = std::thread::spawn(|| {
        let before = alertable::current();
        let prepared = PreparedThread::new(false);
        let entered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| prepared.enter()));
        (entered.is_err(), before == alertable::current())
    })
    .join()
    .unwrap();
    assert_eq!(result, (true, true));
}

/// `exit_current` marks the thread exited at once: the handle is signaled and APCs are
/// refused while the OS thread still runs (C35, C36).
#[test]
fn exit_current_signals_before_the_os_thread_ends() {
    let (tx, rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let os_thread = std::thread::spawn(move || {
        let me = alertable::current();
        me.queue_apc(|| unreachable!("dropped at exit, never run"))
            .unwrap();
        alertable::exit_current();
        tx.send(me).unwrap();
        done_rx.recv().unwrap();
    });
    let handle = rx.recv().unwrap();
    assert!(
        handle.is_finished(),
        "exited while the OS thread still runs"
    );
    assert_eq!(
        wait_one(&handle, Some(Duration::ZERO), Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(handle.queue_apc(|| ()), Err(QueueApcError::ThreadExited));
    done_tx.send(()).unwrap();
    os_thread.join().unwrap();
}
