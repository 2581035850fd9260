//! Work items, simple callbacks, the callback instance, panics, and how the pool's
//! threads grow and shrink.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use alertable::{Alertable, Event, EventReset, Semaphore, WaitStatus};
use alertable_pool::{ThreadPool, Work, try_submit};
use common::{LONG, event, eventually, wait};

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

/// Each submission runs the callback once; waiting for the callbacks waits for all of
/// them.
#[test]
fn every_submission_runs_once() {
    let pool = ThreadPool::new();
    let count = counter();
    let c = count.clone();
    let work = Work::new(&pool.environment(), move |_| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    for _ in 0..1000 {
        work.submit();
    }
    work.wait_for_callbacks(false);
    assert_eq!(count.load(Ordering::SeqCst), 1000);
}

/// Waiting with cancellation drops the submissions that have not started; they never run.
#[test]
fn waiting_with_cancel_drops_pending_submissions() {
    let pool = ThreadPool::with_concurrency(1);
    pool.set_thread_maximum(1);
    let env = pool.environment();
    let (started, release) = (event(), event());
    let (s, r) = (started.clone(), release.clone());
    let blocker = Work::new(&env, move |_| {
        s.set();
        wait(&r);
    });
    blocker.submit();
    wait(&started);
    // The one thread is busy: these stay pending.
    let count = counter();
    let c = count.clone();
    let work = Work::new(&env, move |_| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    for _ in 0..5 {
        work.submit();
    }
    work.wait_for_callbacks(true);
    release.set();
    blocker.wait_for_callbacks(false);
    // What runs after the cancelled tasks on the one thread has run: they were skipped.
    let (tx, rx) = mpsc::channel();
    let marker = Work::new(&env, move |_| tx.send(()).unwrap());
    marker.submit();
    rx.recv_timeout(LONG).unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 0);
    // Submitting again works.
    work.submit();
    work.wait_for_callbacks(false);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

/// A dropped work item still runs what was submitted.
#[test]
fn dropping_a_work_item_keeps_its_submissions() {
    let pool = ThreadPool::new();
    let (tx, rx) = mpsc::channel();
    let work = Work::new(&pool.environment(), move |_| tx.send(()).unwrap());
    work.submit();
    work.submit();
    drop(work);
    rx.recv_timeout(LONG).unwrap();
    rx.recv_timeout(LONG).unwrap();
}

/// A callback that blocks in one of the library's waits lets another run, even with a
/// concurrency of one: here the second callback releases the first.
#[test]
fn a_blocked_callback_lets_the_next_run() {
    let pool = ThreadPool::with_concurrency(1);
    let env = pool.environment();
    let release = event();
    let (tx, rx) = mpsc::channel();
    let r = release.clone();
    let first = Work::new(&env, move |_| {
        wait(&r);
        tx.send("first").unwrap();
    });
    let r = release.clone();
    let second = Work::new(&env, move |_| r.set());
    first.submit();
    second.submit();
    assert_eq!(rx.recv_timeout(LONG), Ok("first"));
    assert!(
        pool.threads() >= 2,
        "the pool grew for the blocked callback"
    );
}

/// Idle threads retire after the idle timeout, down to the minimum.
#[test]
fn idle_threads_retire_down_to_the_minimum() {
    let pool = ThreadPool::new();
    pool.set_idle_timeout(Duration::from_millis(10));
    pool.set_thread_minimum(3).unwrap();
    assert_eq!(pool.threads(), 3);
    pool.set_thread_minimum(1).unwrap();
    eventually(|| pool.threads() == 1);
    // The minimum stays.
    let (tx, rx) = mpsc::channel();
    let work = Work::new(&pool.environment(), move |_| tx.send(()).unwrap());
    work.submit();
    rx.recv_timeout(LONG).unwrap();
    assert!(pool.threads() >= 1);
}

/// A panicking callback is reported to the handler and the pool goes on; waits for it end.
#[test]
fn a_panicking_callback_is_caught_and_reported() {
    let pool = ThreadPool::new();
    let (tx, rx) = mpsc::channel();
    pool.set_panic_handler(move |payload| {
        tx.send(payload.downcast_ref::<&str>().copied().unwrap_or("?"))
            .unwrap();
    });
    let done = event();
    let d = done.clone();
    let work = Work::new(&pool.environment(), move |instance| {
        instance.set_event_when_callback_returns(&d);
        panic!("deliberate");
    });
    work.submit();
    assert_eq!(rx.recv_timeout(LONG), Ok("deliberate"));
    wait(&done);
    work.wait_for_callbacks(false);
    let count = counter();
    let c = count.clone();
    let after = Work::new(&pool.environment(), move |_| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    after.submit();
    after.wait_for_callbacks(false);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

/// The instance's actions run after the callback returns: event set, semaphore released,
/// mutex (acquired in the callback) released.
#[test]
fn instance_actions_run_when_the_callback_returns() {
    let pool = ThreadPool::new();
    let event = Event::new(EventReset::Manual, false);
    let semaphore = Semaphore::new(0, 5).unwrap();
    let mutex = alertable::Mutex::new(false);
    let (e, s, m) = (event.clone(), semaphore.clone(), mutex.clone());
    let (tx, rx) = mpsc::channel();
    let work = Work::new(&pool.environment(), move |instance| {
        assert_eq!(
            alertable::wait_one(&m, None, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        instance.set_event_when_callback_returns(&e);
        instance.release_semaphore_when_callback_returns(&s, 2);
        instance.release_mutex_when_callback_returns(&m);
        // Nothing happened yet.
        tx.send((e.is_set(), s.count())).unwrap();
    });
    work.submit();
    assert_eq!(rx.recv_timeout(LONG), Ok((false, 0)));
    work.wait_for_callbacks(false);
    assert!(event.is_set());
    assert_eq!(semaphore.count(), 2);
    assert_eq!(
        alertable::wait_one(&mutex, Some(Duration::ZERO), Alertable::No),
        Ok(WaitStatus::Signaled(0)),
        "the callback's thread released the mutex"
    );
}

/// A callback that disassociates itself no longer holds up `wait_for_callbacks`.
#[test]
fn a_disassociated_callback_is_not_waited_for() {
    let pool = ThreadPool::new();
    let (go, finished) = (event(), event());
    let (g, f) = (go.clone(), finished.clone());
    let work = Work::new(&pool.environment(), move |instance| {
        instance.disassociate_current_thread();
        wait(&g);
        f.set();
    });
    work.submit();
    work.wait_for_callbacks(false);
    assert!(!finished.is_set(), "returned while the callback still runs");
    go.set();
    wait(&finished);
}

/// `callback_may_run_long` reports whether a thread is available for what follows.
#[test]
fn callback_may_run_long_reports_a_free_thread() {
    let pool = ThreadPool::new();
    pool.set_thread_maximum(1);
    let (tx, rx) = mpsc::channel();
    let work = Work::new(&pool.environment(), move |instance| {
        tx.send(instance.callback_may_run_long()).unwrap();
    });
    work.submit();
    assert_eq!(
        rx.recv_timeout(LONG),
        Ok(false),
        "at the maximum, with no idle thread"
    );
    work.wait_for_callbacks(false);
    pool.set_thread_maximum(2);
    work.submit();
    assert_eq!(rx.recv_timeout(LONG), Ok(true));
}

/// Simple callbacks run once each, on a pool thread.
#[test]
fn simple_callbacks_run_once() {
    let pool = ThreadPool::new();
    let (tx, rx) = mpsc::channel();
    for i in 0..10 {
        let tx = tx.clone();
        try_submit(&pool.environment(), move |_| tx.send(i).unwrap()).unwrap();
    }
    drop(tx);
    let mut got: Vec<i32> = rx.iter().collect();
    got.sort_unstable();
    assert_eq!(got, (0..10).collect::<Vec<_>>());
}

/// APCs queued to a pool thread run there, between callbacks: the workers wait alertably.
#[test]
fn pool_threads_run_apcs() {
    let pool = ThreadPool::with_concurrency(1);
    pool.set_thread_maximum(1);
    let (tx, rx) = mpsc::channel();
    let work = Work::new(&pool.environment(), move |_| {
        tx.send(alertable::current()).unwrap();
    });
    work.submit();
    let worker = rx.recv_timeout(LONG).unwrap();
    let ran = event();
    let r = ran.clone();
    worker.queue_apc(move || r.set()).unwrap();
    wait(&ran);
}

/// The process's default pool runs callbacks too.
#[test]
fn the_default_pool_runs_callbacks() {
    let (tx, rx) = mpsc::channel();
    try_submit(&alertable_pool::Environment::default(), move |_| {
        tx.send(()).unwrap();
    })
    .unwrap();
    rx.recv_timeout(LONG).unwrap();
}

/// No more callbacks run at once than the port's concurrency value, however many threads
/// the pool has: threads between callbacks take the next one only in their turn.
#[test]
fn running_callbacks_never_exceed_the_concurrency_value() {
    let pool = ThreadPool::with_concurrency(1);
    pool.set_thread_minimum(3).unwrap();
    let env = pool.environment();
    let running = counter();
    let most = counter();
    let (tx, rx) = mpsc::channel();
    for _ in 0..200 {
        let (running, most, tx) = (running.clone(), most.clone(), tx.clone());
        try_submit(&env, move |_| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            // Not one of the library's waits: the callback still counts as running.
            for _ in 0..3 {
                std::thread::yield_now();
            }
            running.fetch_sub(1, Ordering::SeqCst);
            tx.send(()).unwrap();
        })
        .unwrap();
    }
    for _ in 0..200 {
        rx.recv_timeout(LONG).unwrap();
    }
    assert_eq!(most.load(Ordering::SeqCst), 1);
}

/// With a concurrency of two, two callbacks run at once: each waits (without one of the
/// library's waits) until the other has started, which only a second thread can do.
#[test]
fn callbacks_run_side_by_side_up_to_the_concurrency_value() {
    let pool = ThreadPool::with_concurrency(2);
    let env = pool.environment();
    for round in 0..20 {
        let started = counter();
        let (tx, rx) = mpsc::channel();
        for _ in 0..2 {
            let (started, tx) = (started.clone(), tx.clone());
            try_submit(&env, move |_| {
                started.fetch_add(1, Ordering::SeqCst);
                let deadline = std::time::Instant::now() + LONG;
                while started.load(Ordering::SeqCst) < 2 {
                    assert!(std::time::Instant::now() < deadline, "hang guard");
                    std::thread::yield_now();
                }
                tx.send(()).unwrap();
            })
            .unwrap();
        }
        for _ in 0..2 {
            rx.recv_timeout(LONG)
                .unwrap_or_else(|_| panic!("round {round}: both callbacks ran"));
        }
    }
}

/// Simple callbacks still queued when the last handle of their pool is dropped run all
/// the same: the pool closes after them.
#[test]
fn simple_callbacks_outlive_the_last_pool_handle() {
    let pool = ThreadPool::with_concurrency(1);
    pool.set_thread_maximum(1);
    let env = pool.environment();
    let gate = event();
    let (tx, rx) = mpsc::channel();
    let (g, t) = (gate.clone(), tx.clone());
    try_submit(&env, move |_| {
        wait(&g);
        t.send(0).unwrap();
    })
    .unwrap();
    for i in 1..=10 {
        let tx = tx.clone();
        try_submit(&env, move |_| tx.send(i).unwrap()).unwrap();
    }
    drop(tx);
    drop(env);
    drop(pool);
    gate.set();
    let got: Vec<i32> = (0..=10).map(|_| rx.recv_timeout(LONG).unwrap()).collect();
    assert_eq!(got, (0..=10).collect::<Vec<_>>(), "in order, every one");
}
