//! Special APCs (`QueueUserAPC2` with `QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC`, spec A8,
//! A10): they run on their thread wherever it is, without an alertable wait.
//!
//! Every closure here obeys `queue_special_apc`'s rules: it touches atomics only and drops
//! nothing that frees memory (each captures a `&'static` atomic).
#![allow(clippy::disallowed_types)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use alertable::{
    Alertable, Builder, Event, EventReset, QueueApcError, SleepStatus, WaitStatus,
    queue_special_apc, sleep_ex, wait_one,
};

mod common;

use common::{LONG, wait_until_blocked};

/// Spins (yielding) until `done` holds; fails instead of hanging. The special APCs that set
/// what it watches may not use a channel or an event (they run in a signal handler).
fn until(done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the special APC never ran"
        );
        std::thread::yield_now();
    }
}

/// A8: a special APC queued to the calling thread has run when the call returns; the next
/// alertable wait finds nothing to run.
#[test]
fn a8_special_apc_to_self_runs_before_the_call_returns() {
    static RAN: AtomicUsize = AtomicUsize::new(0);
    // SAFETY: the closure only updates a static atomic.
    unsafe {
        queue_special_apc(&alertable::current(), || {
            RAN.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
    }
    assert_eq!(RAN.load(Ordering::Relaxed), 1);
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Elapsed
    );
    assert_eq!(RAN.load(Ordering::Relaxed), 1, "not run again");
}

/// A8: a special APC interrupts a thread that runs and never waits.
#[test]
fn a8_special_apc_interrupts_a_running_thread() {
    static STOP: AtomicBool = AtomicBool::new(false);
    static STARTED: AtomicBool = AtomicBool::new(false);
    let worker = alertable::spawn(|| {
        STARTED.store(true, Ordering::Relaxed);
        let mut turns = 0u64;
        while !STOP.load(Ordering::Relaxed) {
            turns += 1;
            std::hint::spin_loop();
        }
        turns
    })
    .unwrap();
    until(|| STARTED.load(Ordering::Relaxed));
    // SAFETY: the closure only stores to a static atomic.
    unsafe { queue_special_apc(worker.thread(), || STOP.store(true, Ordering::Relaxed)) }.unwrap();
    worker.join().unwrap();
}

/// A8: a special APC runs on a thread blocked in a non-alertable wait, which then goes on
/// waiting: the APC does not end it.
#[test]
fn a8_special_apc_runs_inside_a_non_alertable_wait_which_goes_on() {
    static RAN_ON: AtomicUsize = AtomicUsize::new(0);
    let event = Event::new(EventReset::Auto, false);
    let e = event.clone();
    let worker = alertable::spawn(move || {
        let status = wait_one(&e, LONG, Alertable::No);
        (status, alertable::current().id())
    })
    .unwrap();
    let tid = worker.thread().id();
    wait_until_blocked(tid);
    let record = || {
        // SAFETY: `gettid` reads no memory.
        let me = unsafe { libc::gettid() };
        RAN_ON.store(me as usize, Ordering::Relaxed);
    };
    // SAFETY: the closure only reads the thread id (`gettid`, async-signal-safe) and
    // stores to a static atomic.
    unsafe { queue_special_apc(worker.thread(), record) }.unwrap();
    until(|| RAN_ON.load(Ordering::Relaxed) != 0);
    assert_eq!(
        RAN_ON.load(Ordering::Relaxed) as u64,
        tid,
        "ran on the target"
    );
    assert!(!worker.thread().is_finished(), "the wait goes on");
    event.set();
    let (status, id) = worker.join().unwrap();
    assert_eq!(status, Ok(WaitStatus::Signaled(0)));
    assert_eq!(id, tid);
}

/// A8, C34: special APCs queued to a thread created suspended run, in the order queued,
/// when it starts: before its ordinary APCs and before its entry function.
#[test]
fn a8_special_apcs_queued_before_the_start_run_first_in_order() {
    static ORDER: AtomicUsize = AtomicUsize::new(0);
    let worker = Builder::new()
        .suspended(true)
        .spawn(|| ORDER.load(Ordering::Relaxed))
        .unwrap();
    worker
        .thread()
        .queue_apc(|| {
            // An ordinary APC: after the three special ones.
            assert_eq!(ORDER.swap(100, Ordering::Relaxed), 321);
        })
        .unwrap();
    for digit in 1..=3 {
        // SAFETY: the closure only updates a static atomic.
        unsafe {
            queue_special_apc(worker.thread(), move || {
                let seen = ORDER.load(Ordering::Relaxed);
                ORDER.store(
                    seen + digit * 10usize.pow(digit as u32 - 1),
                    Ordering::Relaxed,
                );
            })
            .unwrap();
        }
    }
    assert_eq!(
        ORDER.load(Ordering::Relaxed),
        0,
        "nothing runs while suspended"
    );
    worker.thread().resume().unwrap();
    assert_eq!(worker.join().unwrap(), 100);
}

/// A4: a special APC to an exited thread fails with `ThreadExited` (31) and the closure
/// is dropped, not run.
#[test]
fn a4_special_apc_to_an_exited_thread_fails() {
    static RAN: AtomicBool = AtomicBool::new(false);
    let worker = alertable::spawn(|| ()).unwrap();
    let thread = worker.thread().clone();
    worker.join().unwrap();
    // SAFETY: the closure only stores to a static atomic.
    let queued = unsafe { queue_special_apc(&thread, || RAN.store(true, Ordering::Relaxed)) };
    assert_eq!(queued, Err(QueueApcError::ThreadExited));
    assert_eq!(queued.unwrap_err().win32_error(), 31);
    assert!(!RAN.load(Ordering::Relaxed));
}
