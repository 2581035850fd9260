//! Cleanup groups and I/O objects.

mod common;

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use alertable::{DueTime, Event, EventReset};
use alertable_io::{AsyncFile, IoError, PortError};
use alertable_pool::{CleanupGroup, Io, ThreadPool, Timer, Wait, Work, try_submit};
use common::{LONG, event, wait};

/// Closing the members with cancellation: pending callbacks are dropped, the running one
/// is waited for, and afterwards no member runs a callback again.
#[test]
fn closing_members_cancels_pending_and_waits_for_running() {
    let pool = ThreadPool::with_concurrency(1);
    pool.set_thread_maximum(1);
    let group = CleanupGroup::new();
    let env = pool.environment().with_cleanup_group(&group);
    let (started, release, finished) = (event(), event(), event());
    let count = Arc::new(AtomicUsize::new(0));
    let (s, r, f) = (started.clone(), release.clone(), finished.clone());
    let running = Work::new(&env, move |_| {
        s.set();
        wait(&r);
        f.set();
    });
    running.submit();
    wait(&started);
    let c = count.clone();
    let pending = Work::new(&env, move |_| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    for _ in 0..3 {
        pending.submit();
    }
    let c = count.clone();
    try_submit(&env, move |_| {
        c.fetch_add(1, Ordering::SeqCst);
    })
    .unwrap();
    let c = count.clone();
    let timer = Timer::new(&env, move |_| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    timer.set(
        Some(DueTime::After(Duration::from_millis(1))),
        Some(Duration::from_millis(1)),
        Duration::ZERO,
    );
    let c = count.clone();
    let object = Event::new(EventReset::Manual, false);
    let wait_object = Wait::new(&env, move |_, _| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    wait_object.set(Box::new(object.clone()), None);

    let r = release.clone();
    let closer = std::thread::spawn(move || {
        group.close_members(true);
        r.is_set()
    });
    // The closer waits for the running callback; release it once the closer is waiting
    // (the pending ones are cancelled before that wait).
    release.set();
    assert!(
        closer.join().unwrap(),
        "close_members returned after the running callback"
    );
    assert!(finished.is_set());
    let at_close = count.load(Ordering::SeqCst);
    // Members are closed: nothing new runs.
    pending.submit();
    object.set();
    assert!(!timer.is_set());
    let (tx, rx) = mpsc::channel();
    let marker = Work::new(&pool.environment(), move |_| tx.send(()).unwrap());
    marker.submit();
    rx.recv_timeout(LONG).unwrap();
    std::thread::sleep(Duration::from_millis(10));
    marker.submit();
    rx.recv_timeout(LONG).unwrap();
    assert_eq!(count.load(Ordering::SeqCst), at_close);
}

/// Closing the members without cancellation runs what is pending first.
#[test]
fn closing_members_without_cancel_runs_pending() {
    let pool = ThreadPool::new();
    let group = CleanupGroup::new();
    let env = pool.environment().with_cleanup_group(&group);
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let work = Work::new(&env, move |_| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    for _ in 0..100 {
        work.submit();
    }
    group.close_members(false);
    assert_eq!(count.load(Ordering::SeqCst), 100);
    work.submit();
    work.wait_for_callbacks(false);
    assert_eq!(
        count.load(Ordering::SeqCst),
        100,
        "closed: the submission is ignored"
    );
}

fn pipe() -> (AsyncFile, OwnedFd) {
    let (read_end, write_end) = rustix::pipe::pipe().unwrap();
    (AsyncFile::from_fd(read_end).unwrap(), write_end)
}

/// A bound file's completions run as callbacks with the request's packet; a cancelled
/// request's callback gets `ERROR_OPERATION_ABORTED` (L136).
#[test]
fn io_completions_run_as_callbacks() {
    let pool = ThreadPool::new();
    let (file, write_end) = pipe();
    let (tx, rx) = mpsc::channel();
    let io = Io::new(&pool.environment(), &file, move |_, packet| {
        tx.send((packet.token, packet.status, packet.buffer))
            .unwrap();
    })
    .unwrap();
    io.start();
    let read = file.read(0, vec![0; 16]).unwrap();
    rustix::io::write(&write_end, b"hello").unwrap();
    let (token, status, buffer) = rx.recv_timeout(LONG).unwrap();
    assert_eq!((token, status), (read.token(), Ok(5)));
    assert_eq!(buffer.as_deref(), Some(&b"hello"[..]));

    io.start();
    let pending = file.read(0, vec![0; 16]).unwrap();
    file.cancel_io().unwrap();
    let (token, status, _) = rx.recv_timeout(LONG).unwrap();
    assert_eq!((token, status), (pending.token(), Err(IoError::Aborted)));
    io.wait_for_callbacks(false);
    // A file is bound once.
    assert_eq!(
        Io::new(&pool.environment(), &file, |_, _| {}).err(),
        Some(PortError::InvalidParameter)
    );
}

/// A completion that was not announced with `start` runs no callback; `cancel` withdraws
/// an announcement.
#[test]
fn unannounced_completions_run_nothing() {
    let pool = ThreadPool::new();
    let (file, write_end) = pipe();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let io = Io::new(&pool.environment(), &file, move |_, _| {
        c.fetch_add(1, Ordering::SeqCst);
    })
    .unwrap();
    io.start();
    io.cancel();
    let _read = file.read(0, vec![0; 4]).unwrap();
    rustix::io::write(&write_end, b"x").unwrap();
    // The completion came (the port had it) and found nothing announced.
    let (tx, rx) = mpsc::channel();
    io.start();
    let done = Work::new(&pool.environment(), move |_| tx.send(()).unwrap());
    let second = file.read(0, vec![0; 4]).unwrap();
    rustix::io::write(&write_end, b"y").unwrap();
    let _ = second;
    io.wait_for_callbacks(false);
    done.submit();
    rx.recv_timeout(LONG).unwrap();
    common::eventually(|| count.load(Ordering::SeqCst) == 1);
}

/// What Microsoft's "Using the Thread Pool Functions" sample shows, written here: a wait
/// object set again before each signal fires once per setting, five times; a persistent
/// one-thread pool with a cleanup group runs a submitted work item and a one-shot timer,
/// and closing the members without cancelling waits for both.
#[test]
fn the_thread_pool_functions_sample_behaves_as_documented() {
    let (tx, rx) = mpsc::channel();
    {
        let tx = tx.clone();
        let event = Event::new(EventReset::Auto, false);
        let wait = Wait::new(&alertable_pool::Environment::default(), move |_, _| {
            tx.send("wait is over").unwrap();
        });
        for _ in 0..5 {
            wait.set(Box::new(event.clone()), None);
            event.set();
            assert_eq!(rx.recv_timeout(LONG), Ok("wait is over"));
            wait.wait_for_callbacks(false);
        }
        wait.unset();
    }
    let pool = ThreadPool::new();
    pool.set_thread_maximum(1);
    pool.set_thread_minimum(1).unwrap();
    let group = CleanupGroup::new();
    let env = pool.environment().with_cleanup_group(&group);
    let t = tx.clone();
    let work = Work::new(&env, move |_| t.send("task performed").unwrap());
    work.submit();
    let t = tx.clone();
    let timer = Timer::new(&env, move |_| t.send("timer has fired").unwrap());
    timer.set(
        Some(DueTime::After(Duration::from_millis(20))),
        None,
        Duration::ZERO,
    );
    assert_eq!(rx.recv_timeout(LONG), Ok("task performed"));
    assert_eq!(rx.recv_timeout(LONG), Ok("timer has fired"));
    group.close_members(false);
    assert_eq!(pool.threads(), 1, "the persistent thread");
    drop((work, timer, tx));
    assert!(rx.recv().is_err(), "nothing else ran");
}
