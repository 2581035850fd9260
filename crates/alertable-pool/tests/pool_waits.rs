//! Waits and timers: callbacks when objects are signaled or time passes, with no thread
//! of the pool's waiting.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use alertable::{DueTime, Event, EventReset, Semaphore};
use alertable_pool::{ThreadPool, Timer, Wait, WaitResult};
use common::{LONG, event, wait};

/// A wait's callback runs once per setting: a second signal does nothing until the wait
/// is set again, and then the still-signaled object fires it at once.
#[test]
fn a_wait_fires_once_per_setting() {
    let pool = ThreadPool::new();
    let (tx, rx) = mpsc::channel();
    let wait = Wait::new(&pool.environment(), move |_, result| {
        tx.send(result).unwrap()
    });
    let object = Event::new(EventReset::Manual, false);
    wait.set(Box::new(object.clone()), None);
    object.set();
    assert_eq!(rx.recv_timeout(LONG), Ok(WaitResult::Signaled));
    object.reset();
    object.set();
    wait.wait_for_callbacks(false);
    assert!(rx.try_recv().is_err(), "not set again: no second callback");
    wait.set(Box::new(object.clone()), None);
    assert_eq!(rx.recv_timeout(LONG), Ok(WaitResult::Signaled));
}

/// The wait acquires its object as a thread's wait does: a semaphore count is taken per
/// callback.
#[test]
fn a_wait_acquires_its_object() {
    let pool = ThreadPool::new();
    let (tx, rx) = mpsc::channel();
    let wait = Wait::new(&pool.environment(), move |_, result| {
        tx.send(result).unwrap()
    });
    let semaphore = Semaphore::new(0, 10).unwrap();
    wait.set(Box::new(semaphore.clone()), None);
    semaphore.release(3).unwrap();
    assert_eq!(rx.recv_timeout(LONG), Ok(WaitResult::Signaled));
    assert_eq!(semaphore.count(), 2);
}

/// A timeout ends the wait with `TimedOut`; a zero timeout checks the object once.
#[test]
fn a_wait_times_out() {
    let pool = ThreadPool::new();
    let (tx, rx) = mpsc::channel();
    let wait = Wait::new(&pool.environment(), move |_, result| {
        tx.send(result).unwrap()
    });
    let object = Event::new(EventReset::Auto, false);
    wait.set(Box::new(object.clone()), Some(Duration::from_millis(5)));
    assert_eq!(rx.recv_timeout(LONG), Ok(WaitResult::TimedOut));
    wait.set(Box::new(object.clone()), Some(Duration::ZERO));
    assert_eq!(rx.recv_timeout(LONG), Ok(WaitResult::TimedOut));
    object.set();
    wait.set(Box::new(object.clone()), Some(Duration::ZERO));
    assert_eq!(rx.recv_timeout(LONG), Ok(WaitResult::Signaled));
    assert!(!object.is_set());
}

/// An unset wait queues nothing, and leaves the object's signal alone; `unset_was_set`
/// tells whether it was still set.
#[test]
fn unsetting_a_wait_stops_it() {
    let pool = ThreadPool::new();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let wait = Wait::new(&pool.environment(), move |_, _| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    let object = Event::new(EventReset::Auto, false);
    wait.set(Box::new(object.clone()), None);
    assert!(wait.unset_was_set());
    assert!(!wait.unset_was_set());
    object.set();
    wait.wait_for_callbacks(false);
    assert!(object.is_set(), "nobody took the signal");
    assert_eq!(count.load(Ordering::SeqCst), 0);
}

/// Closing a wait while its callback runs: the running callback finishes, and no other
/// runs afterwards, whatever is signaled.
#[test]
fn closing_a_wait_while_its_callback_runs() {
    let pool = ThreadPool::new();
    let (started, release, finished) = (event(), event(), event());
    let count = Arc::new(AtomicUsize::new(0));
    let (s, r, f, c) = (
        started.clone(),
        release.clone(),
        finished.clone(),
        count.clone(),
    );
    let wait = Wait::new(&pool.environment(), move |_, _| {
        c.fetch_add(1, Ordering::SeqCst);
        s.set();
        common::wait(&r);
        f.set();
    });
    let object = Event::new(EventReset::Manual, false);
    wait.set(Box::new(object.clone()), None);
    object.set();
    common::wait(&started);
    drop(wait);
    release.set();
    common::wait(&finished);
    // The manual event stays signaled: a wait still set would fire again at once.
    let (tx, rx) = mpsc::channel();
    let marker = alertable_pool::Work::new(&pool.environment(), move |_| tx.send(()).unwrap());
    marker.submit();
    rx.recv_timeout(LONG).unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

/// A wait that fired while every thread the port lets run is busy: its callback waits on
/// the port, still runs after the wait and the last pool handle are dropped, and the wait
/// is freed once it has (the fired wait's packet owns it, P5).
#[test]
fn a_fired_wait_outlives_its_handles_until_its_callback_ran() {
    let pool = ThreadPool::with_concurrency(1);
    let env = pool.environment();
    // Busy without blocking in one of the library's waits, so it keeps counting as running
    // and the port lets no other callback in.
    let (busy, release) = (
        Arc::new(std::sync::atomic::AtomicBool::new(false)),
        Arc::new(std::sync::atomic::AtomicBool::new(false)),
    );
    let (b, r) = (busy.clone(), release.clone());
    let blocker = alertable_pool::Work::new(&env, move |_| {
        b.store(true, Ordering::SeqCst);
        while !r.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
    });
    blocker.submit();
    while !busy.load(Ordering::SeqCst) {
        std::thread::yield_now();
    }
    let (tx, rx) = mpsc::channel();
    let captured = Arc::new(());
    let c = captured.clone();
    let wait = Wait::new(&env, move |_, result| {
        let _ = &c;
        tx.send(result).unwrap();
    });
    let object = Event::new(EventReset::Auto, false);
    wait.set(Box::new(object.clone()), None);
    // The notification runs on this thread: the fired wait is on the port when `set`
    // returns, behind the running callback.
    object.set();
    assert!(!object.is_set(), "the wait took the signal");
    drop((wait, blocker, env, pool));
    assert!(rx.try_recv().is_err(), "the port let no second callback in");
    release.store(true, Ordering::SeqCst);
    assert_eq!(rx.recv_timeout(LONG), Ok(WaitResult::Signaled));
    // The worker drops the wait, and with it the callback's captures, after the callback.
    let deadline = Instant::now() + LONG;
    while Arc::strong_count(&captured) > 1 {
        assert!(Instant::now() < deadline, "the fired wait was never freed");
        std::thread::yield_now();
    }
}

/// A one-shot timer fires once and is then no longer set.
#[test]
fn a_one_shot_timer_fires_once() {
    let pool = ThreadPool::new();
    let (tx, rx) = mpsc::channel();
    let timer = Timer::new(&pool.environment(), move |_| {
        tx.send(Instant::now()).unwrap()
    });
    let start = Instant::now();
    assert!(!timer.set(
        Some(DueTime::After(Duration::from_millis(20))),
        None,
        Duration::ZERO
    ));
    assert!(timer.is_set());
    let fired = rx.recv_timeout(LONG).unwrap();
    assert!(fired - start >= Duration::from_millis(20), "not early");
    timer.wait_for_callbacks(false);
    assert!(!timer.is_set());
    assert!(rx.try_recv().is_err());
}

/// A periodic timer fires again and again until it is cancelled; then no more.
#[test]
fn a_periodic_timer_fires_until_cancelled() {
    let pool = ThreadPool::new();
    let count = Arc::new(AtomicUsize::new(0));
    let fifth = event();
    let (c, f) = (count.clone(), fifth.clone());
    let timer = Timer::new(&pool.environment(), move |_| {
        if c.fetch_add(1, Ordering::SeqCst) + 1 == 5 {
            f.set();
        }
    });
    timer.set(
        Some(DueTime::After(Duration::from_millis(1))),
        Some(Duration::from_millis(1)),
        Duration::from_millis(1),
    );
    wait(&fifth);
    assert!(timer.is_set());
    assert!(timer.set(None, None, Duration::ZERO), "it was set");
    timer.wait_for_callbacks(false);
    let after = count.load(Ordering::SeqCst);
    assert!(!timer.is_set());
    // The timer service has had its chance to fire again: it would have by now.
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(count.load(Ordering::SeqCst), after);
}

/// Waiting with cancellation drops timer callbacks that are queued and not started.
#[test]
fn waiting_with_cancel_drops_queued_timer_callbacks() {
    let pool = ThreadPool::with_concurrency(1);
    pool.set_thread_maximum(1);
    let env = pool.environment();
    let (started, release) = (event(), event());
    let (s, r) = (started.clone(), release.clone());
    let blocker = alertable_pool::Work::new(&env, move |_| {
        s.set();
        wait(&r);
    });
    blocker.submit();
    wait(&started);
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let timer = Timer::new(&env, move |_| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    // A zero-delay one-shot timer queues its callback; the one thread is busy.
    timer.set(Some(DueTime::After(Duration::ZERO)), None, Duration::ZERO);
    // Wait until it has fired (it is no longer set), then cancel.
    common::eventually(|| !timer.is_set());
    timer.wait_for_callbacks(true);
    release.set();
    blocker.wait_for_callbacks(false);
    let (tx, rx) = mpsc::channel();
    let last = alertable_pool::Work::new(&env, move |_| tx.send(()).unwrap());
    last.submit();
    rx.recv_timeout(LONG).unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 0);
}

/// Closing a timer while its callback runs: the callback finishes, callbacks queued
/// before the close still run (as on Windows), and none is queued after it.
#[test]
fn closing_a_timer_while_its_callback_runs() {
    let pool = ThreadPool::with_concurrency(1);
    pool.set_thread_maximum(1);
    let env = pool.environment();
    let (started, release) = (event(), event());
    let count = Arc::new(AtomicUsize::new(0));
    let (s, r, c) = (started.clone(), release.clone(), count.clone());
    let timer = Timer::new(&env, move |_| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            s.set();
            wait(&r);
        }
    });
    timer.set(
        Some(DueTime::After(Duration::ZERO)),
        Some(Duration::from_millis(1)),
        Duration::ZERO,
    );
    wait(&started);
    drop(timer);
    release.set();
    // On the one thread, this runs after everything queued before it.
    let (tx, rx) = mpsc::channel();
    let marker = alertable_pool::Work::new(&env, move |_| tx.send(()).unwrap());
    marker.submit();
    rx.recv_timeout(LONG).unwrap();
    let after_close = count.load(Ordering::SeqCst);
    // Periods keep passing; a timer that still fired would have queued by now.
    std::thread::sleep(Duration::from_millis(20));
    marker.submit();
    rx.recv_timeout(LONG).unwrap();
    assert_eq!(count.load(Ordering::SeqCst), after_close);
}
