//! Spec section F, semaphores: creation limits (F63), over-release leaving the count
//! unchanged (F64) and its Win32 error (F65), a count of N satisfying exactly N waits,
//! wait-any and wait-all on semaphores (F66), and no abandonment: a count taken by a thread
//! that exits stays taken (F67).
//!
//! Tests that need a thread to be *inside* its wait use a probe object (see [`Probe`]): a
//! wait links itself onto its objects in order, under one hold of the dispatcher lock, so
//! once the probe at the end of the list reports that it was linked, the waiter is linked
//! on every object before it.

use std::sync::mpsc;
use std::time::Duration;

use alertable::{
    Alertable, Semaphore, SyncError, WaitStatus, Waitable, wait_all, wait_any, wait_one,
};

mod common;

use common::{LONG, POLL, Probe, recv};

/// Takes counts with zero-timeout waits until one times out; returns how many it took.
fn drain(s: &Semaphore) -> u32 {
    let mut taken = 0;
    while wait_one(s, POLL, Alertable::No) == Ok(WaitStatus::Signaled(0)) {
        taken += 1;
    }
    taken
}

// ---------------------------------------------------------------------------------------
// F63–F65: limits.

/// F63: an initial count above the maximum, or a maximum of 0, is `InvalidParameter`
/// (`ERROR_INVALID_PARAMETER`, 87).
#[test]
fn f63_creation_limits() {
    assert_eq!(
        Semaphore::new(2, 1).err(),
        Some(SyncError::InvalidParameter)
    );
    assert_eq!(
        Semaphore::new(0, 0).err(),
        Some(SyncError::InvalidParameter)
    );
    assert_eq!(
        Semaphore::new(1, 0).err(),
        Some(SyncError::InvalidParameter)
    );
    assert_eq!(
        Semaphore::new(u32::MAX, u32::MAX - 1).err(),
        Some(SyncError::InvalidParameter)
    );
    assert_eq!(SyncError::InvalidParameter.win32_error(), 87);

    let s = Semaphore::new(1, 1).unwrap();
    assert_eq!((s.count(), s.maximum()), (1, 1));
    let s = Semaphore::new(0, u32::MAX).unwrap();
    assert_eq!((s.count(), s.maximum()), (0, u32::MAX));
    let s = Semaphore::new(u32::MAX, u32::MAX).unwrap();
    assert_eq!(s.count(), u32::MAX);
}

/// F64: count 0, max 2: releasing 3 fails and changes nothing; 1 → previous 0; 1 →
/// previous 1; one more fails; the count is 2.
#[test]
fn f64_over_release_leaves_the_count_unchanged() {
    let s = Semaphore::new(0, 2).unwrap();
    assert_eq!(s.release(3), Err(SyncError::TooManyPosts));
    assert_eq!(s.count(), 0);
    assert_eq!(s.release(1), Ok(0));
    assert_eq!(s.release(1), Ok(1));
    assert_eq!(s.release(1), Err(SyncError::TooManyPosts));
    assert_eq!((s.count(), s.maximum()), (2, 2));
    assert_eq!(drain(&s), 2, "the failed releases added nothing");
}

/// F64: a release that would overflow `u32` is over the maximum too, not a wrap-around.
#[test]
fn f64_release_past_u32_is_too_many_posts() {
    let s = Semaphore::new(1, u32::MAX).unwrap();
    assert_eq!(s.release(u32::MAX), Err(SyncError::TooManyPosts));
    assert_eq!(s.count(), 1);
    assert_eq!(s.release(u32::MAX - 1), Ok(1));
    assert_eq!(s.count(), u32::MAX);
    assert_eq!(s.release(1), Err(SyncError::TooManyPosts));
    assert_eq!(s.count(), u32::MAX);
}

/// F64: a release of 0 is an invalid parameter and changes nothing.
#[test]
fn f64_release_of_zero_is_invalid() {
    let s = Semaphore::new(1, 3).unwrap();
    assert_eq!(s.release(0), Err(SyncError::InvalidParameter));
    assert_eq!(s.count(), 1);
}

/// F65: the Win32 error of an over-release is `ERROR_TOO_MANY_POSTS` (298).
#[test]
fn f65_win32_error_of_an_over_release() {
    let s = Semaphore::new(1, 1).unwrap();
    let e = s.release(1).unwrap_err();
    assert_eq!(e, SyncError::TooManyPosts);
    assert_eq!(e.win32_error(), 298);
}

/// F64: a failed release with blocked waiters releases none of them; a good one does.
#[test]
fn f64_failed_release_wakes_no_waiter() {
    let s = Semaphore::new(0, 1).unwrap();
    let (probe, linked) = Probe::new(false);
    let theirs = s.clone();
    let (tx, rx) = mpsc::channel();
    let waiter = alertable::spawn(move || {
        tx.send(wait_any(&[&theirs, &probe], LONG, Alertable::No))
            .unwrap();
    })
    .unwrap();
    linked.wait();
    assert_eq!(s.release(2), Err(SyncError::TooManyPosts));
    assert_eq!(s.count(), 0);
    assert!(rx.try_recv().is_err());
    assert_eq!(s.release(1), Ok(0));
    assert_eq!(recv(&rx), Ok(WaitStatus::Signaled(0)));
    assert_eq!(s.count(), 0, "the waiter took the count");
    waiter.join().unwrap();
}

// ---------------------------------------------------------------------------------------
// F66: counting.

/// F66: a semaphore with count N satisfies exactly N zero-timeout waits, then times out.
#[test]
fn f66_count_n_satisfies_exactly_n_waits() {
    for n in [0, 1, 3, 10] {
        let s = Semaphore::new(n, 10).unwrap();
        for i in 0..n {
            assert_eq!(
                wait_one(&s, POLL, Alertable::No),
                Ok(WaitStatus::Signaled(0)),
                "count {n}, wait {i}"
            );
            assert_eq!(s.count(), n - i - 1);
        }
        assert_eq!(wait_one(&s, POLL, Alertable::No), Ok(WaitStatus::TimedOut));
        assert_eq!(s.count(), 0);
    }
}

/// F66: wait-any on two semaphores of count 1: 0, then 1, then a timeout.
#[test]
fn f66_wait_any_on_two_semaphores() {
    let a = Semaphore::new(1, 1).unwrap();
    let b = Semaphore::new(1, 1).unwrap();
    let objects: [&dyn Waitable; 2] = [&a, &b];
    assert_eq!(
        wait_any(&objects, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!((a.count(), b.count()), (0, 1));
    assert_eq!(
        wait_any(&objects, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(1))
    );
    assert_eq!(
        wait_any(&objects, POLL, Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
}

/// F66: wait-all with both available consumes one from each; with one available it times
/// out and consumes nothing.
#[test]
fn f66_wait_all_on_two_semaphores() {
    let a = Semaphore::new(2, 2).unwrap();
    let b = Semaphore::new(1, 1).unwrap();
    let objects: [&dyn Waitable; 2] = [&a, &b];
    assert_eq!(
        wait_all(&objects, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!((a.count(), b.count()), (1, 0));
    assert_eq!(
        wait_all(&objects, POLL, Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    assert_eq!((a.count(), b.count()), (1, 0), "nothing consumed");
    assert_eq!(
        wait_all(&objects, Some(Duration::from_millis(10)), Alertable::Yes),
        Ok(WaitStatus::TimedOut)
    );
    assert_eq!((a.count(), b.count()), (1, 0), "nothing consumed");
}

/// F66: `release(n)` releases up to n blocked waiters, returns the previous count (0), and
/// leaves what the waiters did not take.
#[test]
fn f66_release_n_wakes_up_to_n_waiters() {
    let s = Semaphore::new(0, 10).unwrap();
    let (tx, rx) = mpsc::channel();
    let mut waiters = Vec::new();
    for _ in 0..3 {
        let (probe, linked) = Probe::new(false);
        let (s, tx) = (s.clone(), tx.clone());
        waiters.push(
            alertable::spawn(move || {
                tx.send(wait_any(&[&s, &probe], LONG, Alertable::No))
                    .unwrap();
            })
            .unwrap(),
        );
        linked.wait();
    }
    assert_eq!(s.release(2), Ok(0));
    assert_eq!(
        s.count(),
        0,
        "both counts went to waiters, under the release"
    );
    assert_eq!(recv(&rx), Ok(WaitStatus::Signaled(0)));
    assert_eq!(recv(&rx), Ok(WaitStatus::Signaled(0)));
    assert_eq!(s.release(4), Ok(0));
    assert_eq!(recv(&rx), Ok(WaitStatus::Signaled(0)));
    assert_eq!(s.count(), 3, "one waiter was left to take one of four");
    for w in waiters {
        w.join().unwrap();
    }
}

/// F66: a blocked wait-all on two semaphores completes only when both have a count, and
/// takes one from each; a count on one alone stays there.
#[test]
fn f66_blocked_wait_all_takes_from_both() {
    let a = Semaphore::new(0, 5).unwrap();
    let b = Semaphore::new(0, 5).unwrap();
    let (probe, linked) = Probe::new(true);
    let (ta, tb) = (a.clone(), b.clone());
    let (tx, rx) = mpsc::channel();
    let waiter = alertable::spawn(move || {
        tx.send(wait_all(&[&ta, &tb, &probe], LONG, Alertable::No))
            .unwrap();
    })
    .unwrap();
    linked.wait();
    assert_eq!(a.release(2), Ok(0));
    assert_eq!(a.count(), 2, "half a wait-all consumes nothing");
    assert!(rx.try_recv().is_err());
    assert_eq!(b.release(1), Ok(0));
    assert_eq!(recv(&rx), Ok(WaitStatus::Signaled(0)));
    assert_eq!((a.count(), b.count()), (1, 0));
    waiter.join().unwrap();
}

// ---------------------------------------------------------------------------------------
// F67: no abandonment.

/// F67: a count taken by a thread that then exits is not given back: a later wait still
/// times out.
#[test]
fn f67_count_taken_by_an_exited_thread_stays_taken() {
    let s = Semaphore::new(1, 1).unwrap();
    let theirs = s.clone();
    let t = alertable::spawn(move || wait_one(&theirs, POLL, Alertable::No)).unwrap();
    let handle = t.thread().clone();
    assert_eq!(t.join().unwrap(), Ok(WaitStatus::Signaled(0)));
    assert_eq!(
        wait_one(&handle, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0)),
        "the thread has exited"
    );
    assert_eq!(
        wait_one(&s, Some(Duration::from_millis(20)), Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    assert_eq!(s.count(), 0);
}

/// F67: a waiter blocked on the semaphore while the thread holding its count exits stays
/// blocked until its timeout.
#[test]
fn f67_exit_of_a_taker_wakes_no_waiter() {
    let s = Semaphore::new(1, 1).unwrap();
    let (took_tx, took_rx) = mpsc::channel();
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    let theirs = s.clone();
    let taker = alertable::spawn(move || {
        took_tx
            .send(wait_one(&theirs, POLL, Alertable::No))
            .unwrap();
        exit_rx.recv().unwrap();
    })
    .unwrap();
    assert_eq!(recv(&took_rx), Ok(WaitStatus::Signaled(0)));

    let (probe, linked) = Probe::new(false);
    let theirs = s.clone();
    let waiter = alertable::spawn(move || {
        wait_any(
            &[&theirs, &probe],
            Some(Duration::from_millis(200)),
            Alertable::No,
        )
    })
    .unwrap();
    linked.wait();
    exit_tx.send(()).unwrap();
    taker.join().unwrap();
    assert_eq!(waiter.join().unwrap(), Ok(WaitStatus::TimedOut));
    assert_eq!(s.count(), 0);
}

/// F67: the same for a thread made with `std::thread`.
#[test]
fn f67_std_thread_exit_gives_nothing_back() {
    let s = Semaphore::new(2, 2).unwrap();
    let theirs = s.clone();
    let status = std::thread::spawn(move || wait_one(&theirs, POLL, Alertable::No))
        .join()
        .unwrap();
    assert_eq!(status, Ok(WaitStatus::Signaled(0)));
    assert_eq!(s.count(), 1);
    assert_eq!(drain(&s), 1);
}

/// F64 and W8: with nobody waiting, a release, an over-release, a wait that finds a count
/// and the count's snapshot take no lock: they all finish while another thread holds the
/// dispatcher lock, with the results of the locked paths.
#[test]
fn f64_a_semaphore_nobody_waits_on_needs_no_lock() {
    let (done, finished) = mpsc::channel();
    let lock = alertable::Dispatcher::lock();
    std::thread::spawn(move || {
        let s = Semaphore::new(0, 3).unwrap();
        let released = s.release(2);
        let took = wait_one(&s, None, Alertable::No);
        let over = s.release(3);
        done.send((released, took, over, s.count())).unwrap();
    });
    let result = finished.recv_timeout(LONG.unwrap());
    drop(lock);
    let (released, took, over, count) = result.expect("the semaphore needed the lock");
    assert_eq!(released, Ok(0));
    assert_eq!(took, Ok(WaitStatus::Signaled(0)));
    assert_eq!(
        over,
        Err(SyncError::TooManyPosts),
        "1 + 3 passes the maximum"
    );
    assert_eq!(count, 1, "F64: the failed release changed nothing");
}
