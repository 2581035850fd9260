//! Spec section G, mutexes: release by a non-owner (G68), recursion across handles (G69),
//! ownership blocking other threads (G70), abandonment at thread exit (G72) also of a
//! waiter already blocked (G73), the abandoned index in multi-object waits (G74), and
//! wait-any versus wait-all on two mutexes (G75).
//!
//! Tests that need a thread to be *inside* its wait use a probe object (see [`Probe`]): a
//! wait links itself onto its objects in order, under one hold of the dispatcher lock, so
//! once the probe at the end of the list reports that it was linked, the waiter is linked
//! on every object before it.

use std::sync::mpsc;
use std::time::Duration;

use alertable::{
    Alertable, Event, EventReset, Mutex, Semaphore, SyncError, WaitStatus, Waitable,
    signal_and_wait, wait_all, wait_any, wait_one,
};

mod common;

use common::{LONG, POLL, Probe, recv};

/// Runs `f` on a fresh thread and returns its result.
fn on_other_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    alertable::spawn(f).unwrap().join().unwrap()
}

/// A zero-timeout wait on `m` from another thread, which releases what it acquired.
fn try_from_other_thread(m: &Mutex) -> Result<WaitStatus, alertable::WaitError> {
    let m = m.clone();
    on_other_thread(move || {
        let status = wait_one(&m, POLL, Alertable::No);
        if let Ok(WaitStatus::Signaled(_) | WaitStatus::Abandoned(_)) = status {
            m.release().unwrap();
        }
        status
    })
}

/// A mutex abandoned by a thread that acquired it `times` times and exited.
fn abandoned(times: usize) -> Mutex {
    let m = Mutex::new(false);
    let theirs = m.clone();
    on_other_thread(move || {
        for _ in 0..times {
            assert_eq!(
                wait_one(&theirs, POLL, Alertable::No),
                Ok(WaitStatus::Signaled(0))
            );
        }
    });
    m
}

/// Releases `m` exactly `times` times, then checks that one more release fails.
fn release_exactly(m: &Mutex, times: usize) {
    for i in 0..times {
        assert_eq!(m.release(), Ok(()), "release {i} of {times}");
    }
    assert_eq!(
        m.release(),
        Err(SyncError::NotOwner),
        "release {times} of {times}"
    );
}

// ---------------------------------------------------------------------------------------
// G68: release by a non-owner.

/// G68: releasing an unowned mutex is `NotOwner` (`ERROR_NOT_OWNER`, 288).
#[test]
fn g68_release_of_an_unowned_mutex_fails() {
    let m = Mutex::new(false);
    let e = m.release().unwrap_err();
    assert_eq!(e, SyncError::NotOwner);
    assert_eq!(e.win32_error(), 288);
    // Nothing changed: it can still be acquired normally.
    assert_eq!(
        wait_one(&m, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    release_exactly(&m, 1);
}

/// G68: a thread that does not own the mutex cannot release it, and its attempt leaves the
/// owner's count intact.
#[test]
fn g68_release_by_another_thread_fails() {
    let m = Mutex::new(true);
    let theirs = m.clone();
    assert_eq!(
        on_other_thread(move || theirs.release()),
        Err(SyncError::NotOwner)
    );
    assert_eq!(try_from_other_thread(&m), Ok(WaitStatus::TimedOut));
    release_exactly(&m, 1);
}

/// G68: the owner being another thread, this thread's release fails.
#[test]
fn g68_release_of_a_mutex_owned_by_another_live_thread_fails() {
    let m = Mutex::new(false);
    let (owned_tx, owned_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let theirs = m.clone();
    let owner = alertable::spawn(move || {
        owned_tx
            .send(wait_one(&theirs, POLL, Alertable::No))
            .unwrap();
        done_rx.recv().unwrap();
        theirs.release()
    })
    .unwrap();
    assert_eq!(recv(&owned_rx), Ok(WaitStatus::Signaled(0)));
    assert_eq!(m.release(), Err(SyncError::NotOwner));
    assert_eq!(wait_one(&m, POLL, Alertable::No), Ok(WaitStatus::TimedOut));
    done_tx.send(()).unwrap();
    assert_eq!(
        owner.join().unwrap(),
        Ok(()),
        "the owner's count was intact"
    );
}

// ---------------------------------------------------------------------------------------
// G69, G70: recursion and ownership.

/// G69: the owner re-acquires without blocking, through any clone (even one dropped
/// since); it needs one release per acquisition, through any clone; the extra release
/// fails. While any acquisition is outstanding, other threads cannot acquire it.
#[test]
fn g69_recursion_counts_across_clones() {
    let m = Mutex::new(false);
    for i in 0..32 {
        let clone = m.clone();
        assert_eq!(
            wait_one(&clone, POLL, Alertable::No),
            Ok(WaitStatus::Signaled(0)),
            "acquisition {i}"
        );
        drop(clone);
    }
    let clones: Vec<Mutex> = (0..4).map(|_| m.clone()).collect();
    for i in 0..31 {
        assert_eq!(clones[i % 4].release(), Ok(()), "release {i}");
        assert_eq!(
            try_from_other_thread(&m),
            Ok(WaitStatus::TimedOut),
            "after release {i}"
        );
    }
    assert_eq!(clones[3].release(), Ok(()));
    assert_eq!(clones[0].release(), Err(SyncError::NotOwner));
    assert_eq!(try_from_other_thread(&m), Ok(WaitStatus::Signaled(0)));
}

/// G69: 100 waits then 100 releases, with every wait function acquiring.
#[test]
fn g69_every_wait_function_counts_an_acquisition() {
    let m = Mutex::new(false);
    let set = Event::new(EventReset::Manual, true);
    let unrelated = Semaphore::new(0, 100).unwrap();
    for i in 0..25 {
        assert_eq!(
            wait_one(&m, POLL, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        assert_eq!(
            wait_any(&[&m, &set], POLL, Alertable::Yes),
            Ok(WaitStatus::Signaled(0))
        );
        assert_eq!(
            wait_all(&[&set, &m], POLL, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        assert_eq!(
            signal_and_wait(&unrelated, &m, POLL, Alertable::No),
            Ok(WaitStatus::Signaled(0)),
            "round {i}"
        );
    }
    assert_eq!(unrelated.count(), 25);
    release_exactly(&m, 100);
}

/// G70: a mutex created owned belongs to its creator: other threads time out on it; one
/// release frees it (the next fails), and then another thread gets index 0.
#[test]
fn g70_created_owned_blocks_other_threads() {
    let m = Mutex::new(true);
    assert_eq!(try_from_other_thread(&m), Ok(WaitStatus::TimedOut));
    let theirs = m.clone();
    assert_eq!(
        on_other_thread(move || wait_one(&theirs, Some(Duration::from_millis(20)), Alertable::No)),
        Ok(WaitStatus::TimedOut)
    );
    release_exactly(&m, 1);
    assert_eq!(try_from_other_thread(&m), Ok(WaitStatus::Signaled(0)));
}

/// G70: the last release hands the mutex to a blocked waiter, which then owns it: its
/// release succeeds, the old owner's fails.
#[test]
fn g70_release_hands_the_mutex_to_a_blocked_waiter() {
    let m = Mutex::new(true);
    let (probe, linked) = Probe::new(false);
    let (tx, rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let theirs = m.clone();
    let waiter = alertable::spawn(move || {
        tx.send(wait_any(&[&theirs, &probe], LONG, Alertable::No))
            .unwrap();
        release_rx.recv().unwrap();
        theirs.release()
    })
    .unwrap();
    linked.wait();
    assert_eq!(
        wait_one(&m, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(m.release(), Ok(()), "still owned once: no hand-off yet");
    assert!(rx.try_recv().is_err());
    assert_eq!(m.release(), Ok(()));
    assert_eq!(recv(&rx), Ok(WaitStatus::Signaled(0)));
    assert_eq!(
        m.release(),
        Err(SyncError::NotOwner),
        "the waiter owns it now"
    );
    assert_eq!(wait_one(&m, POLL, Alertable::No), Ok(WaitStatus::TimedOut));
    release_tx.send(()).unwrap();
    assert_eq!(waiter.join().unwrap(), Ok(()));
    assert_eq!(
        wait_one(&m, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    release_exactly(&m, 1);
}

// ---------------------------------------------------------------------------------------
// G72, G73: abandonment.

/// G72: a thread acquires and exits without releasing: the next wait returns `Abandoned(0)`
/// (0x80) and the caller owns it (once: one release succeeds); the abandonment is reported
/// once, the following acquisition is normal.
#[test]
fn g72_exit_abandons_an_owned_mutex() {
    let m = abandoned(1);
    let status = wait_one(&m, POLL, Alertable::No);
    assert_eq!(status, Ok(WaitStatus::Abandoned(0)));
    assert_eq!(status.unwrap().as_win32(), 0x80);
    assert_eq!(
        try_from_other_thread(&m),
        Ok(WaitStatus::TimedOut),
        "owned now"
    );
    release_exactly(&m, 1);
    assert_eq!(
        wait_one(&m, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    release_exactly(&m, 1);
}

/// G72: the exiting owner's recursion count is discarded: the new owner holds it once.
#[test]
fn g72_abandonment_discards_the_recursion_count() {
    let m = abandoned(5);
    assert_eq!(
        wait_one(&m, POLL, Alertable::No),
        Ok(WaitStatus::Abandoned(0))
    );
    release_exactly(&m, 1);
}

/// G72: the next acquirer gets the abandonment, not every thread after it.
#[test]
fn g72_abandonment_is_reported_to_one_acquirer() {
    let m = abandoned(1);
    assert_eq!(try_from_other_thread(&m), Ok(WaitStatus::Abandoned(0)));
    assert_eq!(try_from_other_thread(&m), Ok(WaitStatus::Signaled(0)));
    assert_eq!(
        wait_one(&m, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    release_exactly(&m, 1);
}

/// G72: a mutex created owned by a thread that exits is abandoned too.
#[test]
fn g72_mutex_created_owned_by_an_exiting_thread_is_abandoned() {
    let m = on_other_thread(|| Mutex::new(true));
    assert_eq!(
        wait_one(&m, POLL, Alertable::Yes),
        Ok(WaitStatus::Abandoned(0))
    );
    release_exactly(&m, 1);
}

/// G72: a thread that panics while owning the mutex abandons it.
#[test]
fn g72_panicking_owner_abandons_the_mutex() {
    let m = Mutex::new(false);
    let theirs = m.clone();
    let t = alertable::spawn(move || {
        assert_eq!(
            wait_one(&theirs, POLL, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        panic!("owner panics while holding the mutex");
    })
    .unwrap();
    assert!(t.join().is_err());
    assert_eq!(
        wait_one(&m, POLL, Alertable::No),
        Ok(WaitStatus::Abandoned(0))
    );
    release_exactly(&m, 1);
}

/// G72: a thread made with `std::thread` abandons its mutexes when it exits too.
#[test]
fn g72_std_thread_exit_abandons_the_mutex() {
    let m = Mutex::new(false);
    let theirs = m.clone();
    std::thread::spawn(move || {
        assert_eq!(
            wait_one(&theirs, POLL, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
    })
    .join()
    .unwrap();
    assert_eq!(
        wait_one(&m, POLL, Alertable::No),
        Ok(WaitStatus::Abandoned(0))
    );
    release_exactly(&m, 1);
}

/// G72: a mutex released before exit is not abandoned; releasing one of two leaves only
/// the other abandoned.
#[test]
fn g72_only_mutexes_still_owned_at_exit_are_abandoned() {
    let kept = Mutex::new(false);
    let released = Mutex::new(false);
    let (k, r) = (kept.clone(), released.clone());
    on_other_thread(move || {
        assert_eq!(
            wait_all(&[&k, &r], POLL, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        assert_eq!(
            wait_one(&r, POLL, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        r.release().unwrap();
        r.release().unwrap();
    });
    assert_eq!(
        wait_one(&released, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(
        wait_one(&kept, POLL, Alertable::No),
        Ok(WaitStatus::Abandoned(0))
    );
    release_exactly(&released, 1);
    release_exactly(&kept, 1);
}

/// Spawns a thread that acquires `m`, reports it, and exits (abandoning it) when told.
fn owner_until_told(m: &Mutex) -> (alertable::JoinHandle<()>, mpsc::Sender<()>) {
    let (owned_tx, owned_rx) = mpsc::channel();
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    let theirs = m.clone();
    let owner = alertable::spawn(move || {
        owned_tx
            .send(wait_one(&theirs, POLL, Alertable::No))
            .unwrap();
        exit_rx.recv().unwrap();
    })
    .unwrap();
    assert_eq!(recv(&owned_rx), Ok(WaitStatus::Signaled(0)));
    (owner, exit_tx)
}

/// G73: a waiter blocked on the mutex when its owner exits is woken with `Abandoned(0)`
/// and owns the mutex.
#[test]
fn g73_exit_wakes_a_blocked_waiter_with_abandoned() {
    let m = Mutex::new(false);
    let (owner, exit) = owner_until_told(&m);
    let (probe, linked) = Probe::new(false);
    let (tx, rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let theirs = m.clone();
    let waiter = alertable::spawn(move || {
        tx.send(wait_any(&[&theirs, &probe], LONG, Alertable::Yes))
            .unwrap();
        release_rx.recv().unwrap();
        theirs.release()
    })
    .unwrap();
    linked.wait();
    exit.send(()).unwrap();
    owner.join().unwrap();
    assert_eq!(recv(&rx), Ok(WaitStatus::Abandoned(0)));
    assert_eq!(wait_one(&m, POLL, Alertable::No), Ok(WaitStatus::TimedOut));
    release_tx.send(()).unwrap();
    assert_eq!(waiter.join().unwrap(), Ok(()));
    assert_eq!(
        wait_one(&m, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    release_exactly(&m, 1);
}

/// G73: with two blocked waiters, the owner's exit releases one of them (`Abandoned(0)`);
/// when that one releases, the other gets a normal `Signaled(0)`.
#[test]
fn g73_exit_releases_one_of_two_waiters() {
    let m = Mutex::new(false);
    let (owner, exit) = owner_until_told(&m);
    let (tx, rx) = mpsc::channel();
    let mut waiters = Vec::new();
    let mut release_txs = Vec::new();
    for i in 0..2 {
        let (probe, linked) = Probe::new(false);
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (theirs, tx) = (m.clone(), tx.clone());
        waiters.push(
            alertable::spawn(move || {
                tx.send((i, wait_any(&[&theirs, &probe], LONG, Alertable::No)))
                    .unwrap();
                release_rx.recv().unwrap();
                theirs.release()
            })
            .unwrap(),
        );
        release_txs.push(release_tx);
        linked.wait();
    }
    exit.send(()).unwrap();
    owner.join().unwrap();
    let (first, status) = recv(&rx);
    assert_eq!(status, Ok(WaitStatus::Abandoned(0)));
    assert!(rx.try_recv().is_err(), "the mutex went to one waiter");
    release_txs[first].send(()).unwrap();
    let (second, status) = recv(&rx);
    assert_ne!(first, second);
    assert_eq!(
        status,
        Ok(WaitStatus::Signaled(0)),
        "abandonment is reported once"
    );
    release_txs[second].send(()).unwrap();
    for w in waiters {
        assert_eq!(w.join().unwrap(), Ok(()));
    }
}

/// G73: a blocked wait-all on the mutex and an event is completed by the owner's exit
/// once the event is set, and reports `Abandoned(0)`.
#[test]
fn g73_exit_completes_a_blocked_wait_all() {
    let m = Mutex::new(false);
    let e = Event::new(EventReset::Auto, true);
    let (owner, exit) = owner_until_told(&m);
    let (probe, linked) = Probe::new(true);
    let (tm, te) = (m.clone(), e.clone());
    let waiter = alertable::spawn(move || {
        let status = wait_all(&[&te, &tm, &probe], LONG, Alertable::No);
        (status, tm.release())
    })
    .unwrap();
    linked.wait();
    assert!(e.is_set(), "half a wait-all consumes nothing");
    exit.send(()).unwrap();
    owner.join().unwrap();
    let (status, release) = waiter.join().unwrap();
    assert_eq!(status, Ok(WaitStatus::Abandoned(0)));
    assert_eq!(release, Ok(()), "the waiter owned the mutex");
    assert!(!e.is_set(), "the event was consumed with the mutex");
}

// ---------------------------------------------------------------------------------------
// G74: the abandoned index.

/// G74: a wait-any satisfied by an abandoned mutex at index n returns `Abandoned(n)`
/// (0x80 + n).
#[test]
fn g74_wait_any_reports_the_abandoned_index() {
    let unset = [
        Event::new(EventReset::Auto, false),
        Event::new(EventReset::Manual, false),
    ];
    let m = abandoned(1);
    let status = wait_any(&[&unset[0], &unset[1], &m], POLL, Alertable::No);
    assert_eq!(status, Ok(WaitStatus::Abandoned(2)));
    assert_eq!(status.unwrap().as_win32(), 0x82);
    release_exactly(&m, 1);
}

/// G74: a wait-any satisfied by a lower index leaves the abandoned mutex alone: it is
/// neither acquired nor cleared of its abandonment.
#[test]
fn g74_wait_any_satisfied_earlier_leaves_the_abandonment() {
    let set = Event::new(EventReset::Manual, true);
    let m = abandoned(1);
    assert_eq!(
        wait_any(&[&set, &m], POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(m.release(), Err(SyncError::NotOwner), "not acquired");
    assert_eq!(
        wait_any(&[&m, &set], POLL, Alertable::No),
        Ok(WaitStatus::Abandoned(0))
    );
    release_exactly(&m, 1);
}

/// G74: a wait-all in which an abandoned mutex was acquired returns `Abandoned(0)`
/// (0x80), wherever the mutex is in the list, and acquires everything.
#[test]
fn g74_wait_all_reports_abandoned_without_an_index() {
    for position in 0..3 {
        let a = Event::new(EventReset::Auto, true);
        let b = Semaphore::new(1, 1).unwrap();
        let m = abandoned(1);
        let mut objects: Vec<&dyn Waitable> = vec![&a, &b];
        objects.insert(position, &m);
        let status = wait_all(&objects, POLL, Alertable::No);
        assert_eq!(status, Ok(WaitStatus::Abandoned(0)), "mutex at {position}");
        assert_eq!(status.unwrap().as_win32(), 0x80);
        assert!(!a.is_set() && b.count() == 0, "everything acquired");
        release_exactly(&m, 1);
    }
}

/// G74: a wait-all with two abandoned mutexes still reports plain `Abandoned(0)`, and owns
/// both.
#[test]
fn g74_wait_all_with_two_abandoned_mutexes() {
    let m1 = abandoned(1);
    let m2 = abandoned(2);
    assert_eq!(
        wait_all(&[&m1, &m2], POLL, Alertable::No),
        Ok(WaitStatus::Abandoned(0))
    );
    release_exactly(&m1, 1);
    release_exactly(&m2, 1);
}

/// G74: a wait-all that cannot complete does not acquire the abandoned mutex nor clear its
/// abandonment (D49).
#[test]
fn g74_failed_wait_all_keeps_the_abandonment() {
    let unset = Event::new(EventReset::Auto, false);
    let m = abandoned(1);
    assert_eq!(
        wait_all(
            &[&m, &unset],
            Some(Duration::from_millis(10)),
            Alertable::No
        ),
        Ok(WaitStatus::TimedOut)
    );
    assert_eq!(m.release(), Err(SyncError::NotOwner));
    assert_eq!(try_from_other_thread(&m), Ok(WaitStatus::Abandoned(0)));
}

/// G74: `signal_and_wait` acquiring an abandoned mutex reports `Abandoned(0)`.
#[test]
fn g74_signal_and_wait_reports_abandoned() {
    let e = Event::new(EventReset::Auto, false);
    let m = abandoned(1);
    assert_eq!(
        signal_and_wait(&e, &m, POLL, Alertable::No),
        Ok(WaitStatus::Abandoned(0))
    );
    assert!(e.is_set());
    release_exactly(&m, 1);
}

// ---------------------------------------------------------------------------------------
// G75: wait-any versus wait-all.

/// G75: on two free mutexes, wait-any acquires only index 0 (releasing the second fails);
/// wait-all acquires both (both releases succeed).
#[test]
fn g75_wait_any_acquires_one_wait_all_acquires_both() {
    let m1 = Mutex::new(false);
    let m2 = Mutex::new(false);
    assert_eq!(
        wait_any(&[&m1, &m2], POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(m2.release(), Err(SyncError::NotOwner));
    assert_eq!(try_from_other_thread(&m2), Ok(WaitStatus::Signaled(0)));
    assert_eq!(try_from_other_thread(&m1), Ok(WaitStatus::TimedOut));
    release_exactly(&m1, 1);

    assert_eq!(
        wait_all(&[&m1, &m2], POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(try_from_other_thread(&m1), Ok(WaitStatus::TimedOut));
    assert_eq!(try_from_other_thread(&m2), Ok(WaitStatus::TimedOut));
    release_exactly(&m2, 1);
    release_exactly(&m1, 1);
}

/// G75: with one of two mutexes owned by another thread, wait-any takes the free one and
/// wait-all takes neither.
#[test]
fn g75_wait_all_takes_nothing_while_one_mutex_is_owned_elsewhere() {
    let free = Mutex::new(false);
    let busy = Mutex::new(false);
    let (owner, exit) = owner_until_told(&busy);
    assert_eq!(
        wait_all(&[&free, &busy], POLL, Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    assert_eq!(free.release(), Err(SyncError::NotOwner), "nothing acquired");
    assert_eq!(
        wait_any(&[&busy, &free], POLL, Alertable::No),
        Ok(WaitStatus::Signaled(1))
    );
    release_exactly(&free, 1);
    exit.send(()).unwrap();
    owner.join().unwrap();
    assert_eq!(
        wait_all(&[&free, &busy], POLL, Alertable::No),
        Ok(WaitStatus::Abandoned(0))
    );
    release_exactly(&free, 1);
    release_exactly(&busy, 1);
}

/// G68–G70 and W8: with nobody waiting, taking a mutex, taking it again, giving both up, a
/// release by a non-owner and an initially owned mutex take no lock: they all finish while
/// another thread holds the dispatcher lock, with the results of the locked paths.
#[test]
fn g69_a_mutex_nobody_waits_on_needs_no_lock() {
    let (done, finished) = mpsc::channel();
    let lock = alertable::Dispatcher::lock();
    std::thread::spawn(move || {
        let m = Mutex::new(false);
        let first = wait_one(&m, None, Alertable::No);
        let again = wait_one(&m, Some(Duration::ZERO), Alertable::No);
        let releases = [m.release(), m.release(), m.release()];
        let owned = Mutex::new(true);
        let initial = owned.release();
        done.send((first, again, releases, initial)).unwrap();
    });
    let result = finished.recv_timeout(LONG.unwrap());
    drop(lock);
    let (first, again, releases, initial) = result.expect("the mutex needed the lock");
    assert_eq!(first, Ok(WaitStatus::Signaled(0)));
    assert_eq!(again, Ok(WaitStatus::Signaled(0)), "G69: recursive");
    assert_eq!(
        releases,
        [Ok(()), Ok(()), Err(SyncError::NotOwner)],
        "G69: one release per acquisition, then G68"
    );
    assert_eq!(initial, Ok(()), "G70: owned from the start");
}
