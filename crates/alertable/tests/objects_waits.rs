//! Spec sections D, B, C and I as they apply to waits on objects: count limits (D46),
//! duplicates (D50), timed and zero-timeout waits (D51); APCs and object waits — an APC
//! ends an alertable wait even when it signaled the object (B20, B21, B22), a signaled
//! object beats a pending APC (B31), non-alertable waits run no APCs (B19), cross-thread
//! wake-ups; thread handles as waitable objects (C36, C38); and `signal_and_wait` (I85–I91).
//!
//! Tests that need a thread to be *inside* its wait use a probe object (see [`Probe`]): a
//! wait links itself onto its objects in order, under one hold of the dispatcher lock, so
//! once the probe at the end of the list reports that it was linked, the waiter is linked
//! on every object before it.
#![allow(clippy::disallowed_types)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use alertable::{
    Acquired, Alertable, Dispatcher, Event, EventReset, MAXIMUM_WAIT_OBJECTS, Mutex, Semaphore,
    SleepStatus, SyncError, ThreadHandle, WaitError, WaitList, WaitStatus, Waitable,
    signal_and_wait, sleep_ex, wait_all, wait_any, wait_one,
};

mod common;

use common::{LONG, POLL, Probe, bump, counter};

fn events(n: usize, reset: EventReset, set: bool) -> Vec<Event> {
    (0..n).map(|_| Event::new(reset, set)).collect()
}

fn refs(events: &[Event]) -> Vec<&dyn Waitable> {
    events.iter().map(|e| e as &dyn Waitable).collect()
}

// ---------------------------------------------------------------------------------------
// D46: count limits.

/// D46: no objects, or more than 64, is an error (`ERROR_INVALID_PARAMETER`, 87) for
/// wait-any and wait-all, alertable or not; nothing is consumed and no APC runs.
#[test]
fn d46_count_limits() {
    let many = events(MAXIMUM_WAIT_OBJECTS + 1, EventReset::Auto, true);
    let too_many = refs(&many);
    assert_eq!(too_many.len(), 65);
    let ran = counter();
    alertable::current().queue_apc(bump(&ran)).unwrap();
    for alertable in [Alertable::No, Alertable::Yes] {
        for timeout in [POLL, None] {
            assert_eq!(wait_any(&[], timeout, alertable), Err(WaitError::NoObjects));
            assert_eq!(wait_all(&[], timeout, alertable), Err(WaitError::NoObjects));
            assert_eq!(
                wait_any(&too_many, timeout, alertable),
                Err(WaitError::TooManyObjects)
            );
            assert_eq!(
                wait_all(&too_many, timeout, alertable),
                Err(WaitError::TooManyObjects)
            );
        }
    }
    assert_eq!(WaitError::NoObjects.win32_error(), 87);
    assert_eq!(WaitError::TooManyObjects.win32_error(), 87);
    assert!(many.iter().all(Event::is_set), "nothing consumed");
    assert_eq!(ran.load(Ordering::SeqCst), 0, "no wait happened");
    assert_eq!(sleep_ex(POLL, Alertable::Yes), SleepStatus::Alerted);
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

/// D46: exactly 64 objects are accepted by wait-all, which then consumes all of them.
#[test]
fn d46_sixty_four_objects_in_a_wait_all() {
    let all = events(MAXIMUM_WAIT_OBJECTS, EventReset::Auto, true);
    assert_eq!(
        wait_all(&refs(&all), POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert!(all.iter().all(|e| !e.is_set()));
    assert_eq!(
        wait_all(&refs(&all), POLL, Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
}

// ---------------------------------------------------------------------------------------
// D50: duplicates.

/// D50: the same object twice in a wait-all — through one handle or two clones — is
/// `DuplicateObject` (87), before anything is consumed.
#[test]
fn d50_duplicates_in_a_wait_all_are_rejected() {
    let e = Event::new(EventReset::Auto, true);
    let clone = e.clone();
    let other = Event::new(EventReset::Auto, true);
    let s = Semaphore::new(2, 2).unwrap();
    let m = Mutex::new(false);
    let m_clone = m.clone();
    let me = alertable::current();
    let me_clone = me.clone();
    let cases: [Vec<&dyn Waitable>; 5] = [
        vec![&e, &e],
        vec![&e, &other, &clone],
        vec![&s, &other, &s],
        vec![&m, &m_clone],
        vec![&me, &other, &me_clone],
    ];
    for (i, objects) in cases.iter().enumerate() {
        let result = wait_all(objects, POLL, Alertable::No);
        assert_eq!(result, Err(WaitError::DuplicateObject), "case {i}");
        assert_eq!(result.unwrap_err().win32_error(), 87);
    }
    assert!(e.is_set() && other.is_set(), "nothing consumed");
    assert_eq!(s.count(), 2);
    assert_eq!(m.release(), Err(SyncError::NotOwner), "not acquired");
}

/// D50: duplicates are allowed in a wait-any, which acquires one object, reported at its
/// lowest index.
#[test]
fn d50_duplicates_are_allowed_in_a_wait_any() {
    let e = Event::new(EventReset::Auto, true);
    let unset = Event::new(EventReset::Auto, false);
    assert_eq!(
        wait_any(&[&unset, &e, &e.clone()], POLL, Alertable::No),
        Ok(WaitStatus::Signaled(1))
    );
    assert!(!e.is_set());
    assert_eq!(
        wait_any(&[&e, &unset, &e], POLL, Alertable::No),
        Ok(WaitStatus::TimedOut)
    );

    let s = Semaphore::new(2, 2).unwrap();
    assert_eq!(
        wait_any(&[&s, &s], POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(s.count(), 1, "one count taken, not one per occurrence");
}

/// D50: a blocked wait-any with a duplicated object is woken once by a signal and
/// consumes one count.
#[test]
fn d50_blocked_wait_any_with_duplicates() {
    let s = Semaphore::new(0, 5).unwrap();
    let (probe, linked) = Probe::new(false);
    let theirs = s.clone();
    let waiter = alertable::spawn(move || {
        let status = wait_any(&[&theirs, &theirs.clone(), &probe], LONG, Alertable::No);
        // Once unlinked, a release goes nowhere but the count.
        (status, theirs.release(1))
    })
    .unwrap();
    linked.wait();
    assert_eq!(s.release(2), Ok(0));
    let (status, release) = waiter.join().unwrap();
    assert_eq!(status, Ok(WaitStatus::Signaled(0)));
    assert_eq!(release, Ok(1));
    assert_eq!(s.count(), 2);
}

// ---------------------------------------------------------------------------------------
// D51: timed waits.

/// D51: a timed wait on unsignaled objects returns `TimedOut` (258), never before the
/// timeout, for every wait function, alertable or not.
#[test]
fn d51_timed_waits_time_out_no_earlier_than_asked() {
    let timeout = Duration::from_millis(30);
    let e = Event::new(EventReset::Manual, false);
    let s = Semaphore::new(0, 1).unwrap();
    let other = Semaphore::new(0, 2).unwrap();
    for alertable in [Alertable::No, Alertable::Yes] {
        let waits: [&dyn Fn() -> Result<WaitStatus, WaitError>; 4] = [
            &|| wait_one(&e, Some(timeout), alertable),
            &|| wait_any(&[&e, &s], Some(timeout), alertable),
            &|| wait_all(&[&e, &s], Some(timeout), alertable),
            &|| signal_and_wait(&other, &e, Some(timeout), alertable),
        ];
        for (i, wait) in waits.iter().enumerate() {
            let start = Instant::now();
            let status = wait();
            let elapsed = start.elapsed();
            assert_eq!(status, Ok(WaitStatus::TimedOut), "{alertable:?}, wait {i}");
            assert_eq!(status.unwrap().as_win32(), 258);
            assert!(elapsed >= timeout, "{alertable:?}, wait {i}: {elapsed:?}");
        }
    }
    assert_eq!(other.count(), 2, "signal_and_wait signaled once per call");
}

/// D51: a wait-all that has all but one object through the whole timeout still times out
/// no earlier than asked.
#[test]
fn d51_partially_ready_wait_all_times_out_no_earlier() {
    let timeout = Duration::from_millis(30);
    let set = Event::new(EventReset::Auto, true);
    let unset = Event::new(EventReset::Auto, false);
    let start = Instant::now();
    assert_eq!(
        wait_all(&[&set, &unset], Some(timeout), Alertable::Yes),
        Ok(WaitStatus::TimedOut)
    );
    assert!(start.elapsed() >= timeout);
    assert!(set.is_set());
}

/// D51: a zero timeout never blocks: on unsignaled objects it returns `TimedOut` at once,
/// on signaled ones it acquires. Run on another thread so that a wait that blocked fails
/// the test instead of hanging it.
#[test]
fn d51_zero_timeout_never_blocks() {
    let (tx, rx) = mpsc::channel();
    let worker = alertable::spawn(move || {
        let unset = Event::new(EventReset::Auto, false);
        let s = Semaphore::new(0, 1).unwrap();
        let m = Mutex::new(false);
        let theirs = m.clone();
        // A mutex owned by a live thread is never ready here.
        let (owned_tx, owned_rx) = mpsc::channel();
        let (exit_tx, exit_rx) = mpsc::channel::<()>();
        let owner = alertable::spawn(move || {
            owned_tx
                .send(wait_one(&theirs, POLL, Alertable::No))
                .unwrap();
            exit_rx.recv().unwrap();
            theirs.release().unwrap();
        })
        .unwrap();
        assert_eq!(owned_rx.recv().unwrap(), Ok(WaitStatus::Signaled(0)));
        let running = owner.thread().clone();
        for alertable in [Alertable::No, Alertable::Yes] {
            for _ in 0..1000 {
                assert_eq!(wait_one(&unset, POLL, alertable), Ok(WaitStatus::TimedOut));
                assert_eq!(wait_one(&m, POLL, alertable), Ok(WaitStatus::TimedOut));
                assert_eq!(
                    wait_one(&running, POLL, alertable),
                    Ok(WaitStatus::TimedOut)
                );
                assert_eq!(
                    wait_any(&[&unset, &s, &m, &running], POLL, alertable),
                    Ok(WaitStatus::TimedOut)
                );
                assert_eq!(
                    wait_all(&[&unset, &s], POLL, alertable),
                    Ok(WaitStatus::TimedOut)
                );
            }
        }
        exit_tx.send(()).unwrap();
        owner.join().unwrap();
        tx.send(()).unwrap();
    })
    .unwrap();
    rx.recv_timeout(Duration::from_secs(60))
        .expect("a zero-timeout wait blocked");
    worker.join().unwrap();
}

/// D51: a timed wait signaled before its timeout returns the object, not `TimedOut`; an
/// infinite wait (`None`) ends when the object is signaled.
#[test]
fn d51_signal_before_the_timeout_wins() {
    for timeout in [LONG, None] {
        let e = Event::new(EventReset::Auto, false);
        let (probe, linked) = Probe::new(false);
        let theirs = e.clone();
        let waiter =
            alertable::spawn(move || wait_any(&[&theirs, &probe], timeout, Alertable::No)).unwrap();
        linked.wait();
        e.set();
        assert_eq!(
            waiter.join().unwrap(),
            Ok(WaitStatus::Signaled(0)),
            "{timeout:?}"
        );
        assert!(!e.is_set());
    }
}

// ---------------------------------------------------------------------------------------
// B20–B22, B31, B19: APCs and object waits.

/// B20: an APC queued to a thread blocked in an alertable wait-any (or wait-all, as in
/// the Win32 test) ends the wait with `Alerted` (192), after running on that thread.
#[test]
fn b20_apc_ends_a_blocked_alertable_object_wait() {
    for all in [false, true] {
        let s = Semaphore::new(0, 1).unwrap();
        let (probe, linked) = Probe::new(all);
        let theirs = s.clone();
        let waiter = alertable::spawn(move || {
            let objects: [&dyn Waitable; 2] = [&theirs, &probe];
            if all {
                wait_all(&objects, LONG, Alertable::Yes)
            } else {
                wait_any(&objects, LONG, Alertable::Yes)
            }
        })
        .unwrap();
        let target = waiter.thread().clone();
        linked.wait();
        let (tx, rx) = mpsc::channel();
        target
            .queue_apc(move || tx.send(alertable::current()).unwrap())
            .unwrap();
        let status = waiter.join().unwrap();
        assert_eq!(status, Ok(WaitStatus::Alerted), "wait-all: {all}");
        assert_eq!(status.unwrap().as_win32(), 192);
        assert_eq!(rx.try_recv().unwrap(), target, "the APC ran on the waiter");
        assert_eq!(s.count(), 0);
    }
}

/// B21: an APC that releases the very semaphore the thread waits on still ends the wait
/// with `Alerted`; the count stays, and the next wait takes it at once.
#[test]
fn b21_apc_that_signals_the_object_still_ends_the_wait_with_alerted() {
    let s = Semaphore::new(0, 1).unwrap();
    let (probe, linked) = Probe::new(false);
    let theirs = s.clone();
    let waiter = alertable::spawn(move || {
        let first = wait_any(&[&theirs, &probe], LONG, Alertable::Yes);
        let count_after_apc = theirs.count();
        let second = wait_any(&[&theirs], Some(Duration::from_millis(200)), Alertable::Yes);
        (first, count_after_apc, second)
    })
    .unwrap();
    linked.wait();
    let theirs = s.clone();
    waiter
        .thread()
        .queue_apc(move || assert_eq!(theirs.release(1), Ok(0)))
        .unwrap();
    let (first, count_after_apc, second) = waiter.join().unwrap();
    assert_eq!(first, Ok(WaitStatus::Alerted));
    assert_eq!(
        count_after_apc, 1,
        "the wait was not restarted to take the count"
    );
    assert_eq!(second, Ok(WaitStatus::Signaled(0)));
    assert_eq!(s.count(), 0);
}

/// B21: the same with the APC queued to the waiting thread itself, before the wait, for an
/// auto-reset event that the APC sets.
#[test]
fn b21_self_queued_apc_that_sets_the_event() {
    let e = Event::new(EventReset::Auto, false);
    let theirs = e.clone();
    alertable::current()
        .queue_apc(move || theirs.set())
        .unwrap();
    assert_eq!(wait_one(&e, LONG, Alertable::Yes), Ok(WaitStatus::Alerted));
    assert!(e.is_set(), "still signaled after the wait");
    assert_eq!(
        wait_one(&e, POLL, Alertable::Yes),
        Ok(WaitStatus::Signaled(0))
    );
}

/// B22: the NT-level variant waits with wait-all on the semaphore; the APC releasing it
/// still ends the wait with `Alerted`, and a follow-up wait-all takes the count.
#[test]
fn b22_apc_ends_a_wait_all_even_if_it_completes_it() {
    let s = Semaphore::new(0, 1).unwrap();
    let (probe, linked) = Probe::new(true);
    let theirs = s.clone();
    let waiter = alertable::spawn(move || {
        let first = wait_all(&[&theirs, &probe], LONG, Alertable::Yes);
        let second = wait_all(&[&theirs], Some(Duration::from_millis(200)), Alertable::Yes);
        (first, second)
    })
    .unwrap();
    linked.wait();
    let theirs = s.clone();
    waiter
        .thread()
        .queue_apc(move || {
            theirs.release(1).unwrap();
        })
        .unwrap();
    let (first, second) = waiter.join().unwrap();
    assert_eq!(first, Ok(WaitStatus::Alerted));
    assert_eq!(second, Ok(WaitStatus::Signaled(0)));
    assert_eq!(s.count(), 0);
}

/// B31: with an object already signaled and an APC pending, an alertable wait returns the
/// object — for every wait function, with a zero or a long timeout — and the APC stays
/// queued until the next alertable wait with nothing signaled.
#[test]
fn b31_signaled_object_beats_a_pending_apc() {
    let ran = counter();
    alertable::current().queue_apc(bump(&ran)).unwrap();
    let manual = Event::new(EventReset::Manual, true);
    let unset = Event::new(EventReset::Auto, false);
    for timeout in [POLL, LONG, None] {
        let auto = Event::new(EventReset::Auto, true);
        assert_eq!(
            wait_one(&manual, timeout, Alertable::Yes),
            Ok(WaitStatus::Signaled(0))
        );
        assert_eq!(
            wait_any(&[&unset, &auto], timeout, Alertable::Yes),
            Ok(WaitStatus::Signaled(1))
        );
        assert!(!auto.is_set(), "acquired");
        auto.set();
        assert_eq!(
            wait_all(&[&manual, &auto], timeout, Alertable::Yes),
            Ok(WaitStatus::Signaled(0))
        );
        let s = Semaphore::new(0, 1).unwrap();
        assert_eq!(
            signal_and_wait(&s, &s, timeout, Alertable::Yes),
            Ok(WaitStatus::Signaled(0))
        );
        assert_eq!(ran.load(Ordering::SeqCst), 0, "{timeout:?}: the APC waits");
    }
    assert_eq!(
        wait_one(&unset, LONG, Alertable::Yes),
        Ok(WaitStatus::Alerted)
    );
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

/// An object whose acquisition queues an APC to the acquiring thread. Acquisition happens
/// under the dispatcher lock, in the thread that offers the object to its waiters, so a
/// blocked waiter is satisfied *and* has an APC pending before it gets to run again.
struct ApcOnAcquire {
    list: WaitList,
    ready: AtomicBool,
    ran: Arc<AtomicUsize>,
}

impl Waitable for ApcOnAcquire {
    fn wait_list(&self) -> &WaitList {
        &self.list
    }

    fn is_ready(&self, _lock: &Dispatcher, _waiter: &ThreadHandle) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    fn acquire(&self, _lock: &mut Dispatcher, waiter: &ThreadHandle) -> Acquired {
        self.ready.store(false, Ordering::SeqCst);
        waiter.queue_apc(bump(&self.ran)).unwrap();
        Acquired::Normal
    }
}

/// B31 (dispatch.rs W4): a blocked alertable wait that was satisfied stays satisfied even
/// if an APC arrived before the waiter woke up: it returns the object, and the APC waits
/// for the next alertable wait.
#[test]
fn b31_satisfied_wait_stays_satisfied_when_an_apc_follows() {
    let ran = counter();
    let gate = Arc::new(ApcOnAcquire {
        list: WaitList::new(),
        ready: AtomicBool::new(false),
        ran: ran.clone(),
    });
    let (probe, linked) = Probe::new(false);
    let (theirs, r) = (gate.clone(), ran.clone());
    let waiter = alertable::spawn(move || {
        let status = wait_any(&[&*theirs, &probe], LONG, Alertable::Yes);
        let ran_in_wait = r.load(Ordering::SeqCst);
        (status, ran_in_wait, sleep_ex(POLL, Alertable::Yes))
    })
    .unwrap();
    linked.wait();
    gate.ready.store(true, Ordering::SeqCst);
    {
        let mut lock = Dispatcher::lock();
        gate.list.wake_waiters(&mut lock);
    }
    let (status, ran_in_wait, sleep) = waiter.join().unwrap();
    assert_eq!(status, Ok(WaitStatus::Signaled(0)));
    assert_eq!(ran_in_wait, 0, "the APC did not run in the satisfied wait");
    assert_eq!(sleep, SleepStatus::Alerted);
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

/// B31: a mutex the thread can acquire (free, or owned by itself) also beats a pending APC.
#[test]
fn b31_acquirable_mutex_beats_a_pending_apc() {
    let ran = counter();
    alertable::current().queue_apc(bump(&ran)).unwrap();
    let m = Mutex::new(false);
    for _ in 0..3 {
        assert_eq!(
            wait_one(&m, POLL, Alertable::Yes),
            Ok(WaitStatus::Signaled(0))
        );
    }
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    for _ in 0..3 {
        m.release().unwrap();
    }
    assert_eq!(sleep_ex(POLL, Alertable::Yes), SleepStatus::Alerted);
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

/// B19: a non-alertable object wait with an APC pending does not run it, whether it times
/// out or acquires; the next alertable wait does.
#[test]
fn b19_non_alertable_object_wait_runs_no_apcs() {
    let ran = counter();
    alertable::current().queue_apc(bump(&ran)).unwrap();
    let unset = Event::new(EventReset::Auto, false);
    let set = Event::new(EventReset::Manual, true);
    assert_eq!(
        wait_one(&unset, Some(Duration::from_millis(10)), Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    assert_eq!(
        wait_any(&[&unset], POLL, Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    assert_eq!(
        wait_all(
            &[&unset, &set],
            Some(Duration::from_millis(10)),
            Alertable::No
        ),
        Ok(WaitStatus::TimedOut)
    );
    assert_eq!(
        wait_any(&[&unset, &set], POLL, Alertable::No),
        Ok(WaitStatus::Signaled(1))
    );
    assert_eq!(
        signal_and_wait(&unset, &unset, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    assert_eq!(
        wait_one(&unset, POLL, Alertable::Yes),
        Ok(WaitStatus::Alerted)
    );
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

/// B19: an APC queued to a thread blocked in a non-alertable object wait neither runs nor
/// ends the wait; the object's signal does, and the APC runs at the next alertable wait.
#[test]
fn b19_apc_does_not_end_a_blocked_non_alertable_wait() {
    let e = Event::new(EventReset::Auto, false);
    let ran = counter();
    let (probe, linked) = Probe::new(false);
    let (theirs, r) = (e.clone(), ran.clone());
    let waiter = alertable::spawn(move || {
        let status = wait_any(&[&theirs, &probe], LONG, Alertable::No);
        let ran_during_wait = r.load(Ordering::SeqCst);
        let sleep = sleep_ex(POLL, Alertable::Yes);
        (status, ran_during_wait, sleep)
    })
    .unwrap();
    linked.wait();
    waiter.thread().queue_apc(bump(&ran)).unwrap();
    e.set();
    let (status, ran_during_wait, sleep) = waiter.join().unwrap();
    assert_eq!(status, Ok(WaitStatus::Signaled(0)));
    assert_eq!(ran_during_wait, 0);
    assert_eq!(sleep, SleepStatus::Alerted);
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

/// A blocked wait-any is woken by a signal from another thread and reports that object's
/// index, for events, semaphores and mutexes.
#[test]
fn cross_thread_signal_wakes_a_blocked_wait_any() {
    let e = Event::new(EventReset::Auto, false);
    let s = Semaphore::new(0, 1).unwrap();
    let m = Mutex::new(true);
    type Action = Box<dyn FnOnce()>;
    let cases: [(usize, Action); 3] = [
        (
            2,
            Box::new({
                let e = e.clone();
                move || e.set()
            }),
        ),
        (
            1,
            Box::new({
                let s = s.clone();
                move || {
                    s.release(1).unwrap();
                }
            }),
        ),
        (
            0,
            Box::new({
                let m = m.clone();
                move || m.release().unwrap()
            }),
        ),
    ];
    for (index, signal) in cases {
        let (probe, linked) = Probe::new(false);
        let (te, ts, tm) = (e.clone(), s.clone(), m.clone());
        let waiter = alertable::spawn(move || {
            let status = wait_any(&[&tm, &ts, &te, &probe], LONG, Alertable::Yes);
            if status == Ok(WaitStatus::Signaled(0)) {
                tm.release().unwrap();
            }
            status
        })
        .unwrap();
        linked.wait();
        signal();
        assert_eq!(waiter.join().unwrap(), Ok(WaitStatus::Signaled(index)));
    }
    assert!(!e.is_set());
    assert_eq!(s.count(), 0);
}

// ---------------------------------------------------------------------------------------
// C36, C38: thread handles.

/// C36: a thread handle is signaled once the thread has exited, and a wait on it consumes
/// nothing; before that, zero-timeout waits time out.
#[test]
fn c36_thread_handle_is_signaled_on_exit() {
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    let t = alertable::spawn(move || exit_rx.recv().unwrap()).unwrap();
    let h = t.thread().clone();
    assert_eq!(wait_one(&h, POLL, Alertable::No), Ok(WaitStatus::TimedOut));
    exit_tx.send(()).unwrap();
    t.join().unwrap();
    for _ in 0..3 {
        assert_eq!(
            wait_one(&h, POLL, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
    }
    let unset = Event::new(EventReset::Auto, false);
    assert_eq!(
        wait_any(&[&unset, &h], POLL, Alertable::Yes),
        Ok(WaitStatus::Signaled(1))
    );
    let twin = h.clone();
    assert_eq!(
        wait_all(&[&h, &twin], POLL, Alertable::No),
        Err(WaitError::DuplicateObject),
        "a clone of a thread handle is the same object"
    );
}

/// C36: a thread blocked on another thread's handle wakes when that thread exits.
#[test]
fn c36_exit_wakes_a_blocked_waiter() {
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    let t = alertable::spawn(move || exit_rx.recv().unwrap()).unwrap();
    let h = t.thread().clone();
    let (probe, linked) = Probe::new(false);
    let unset = Event::new(EventReset::Manual, false);
    let waiter =
        alertable::spawn(move || wait_any(&[&unset, &h, &probe], LONG, Alertable::Yes)).unwrap();
    linked.wait();
    exit_tx.send(()).unwrap();
    assert_eq!(waiter.join().unwrap(), Ok(WaitStatus::Signaled(1)));
    t.join().unwrap();
}

/// C36: a wait-all on several thread handles completes when the last of them exits.
#[test]
fn c36_wait_all_on_thread_handles() {
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    let first = alertable::spawn(|| ()).unwrap();
    let second = alertable::spawn(move || exit_rx.recv().unwrap()).unwrap();
    let (h1, h2) = (first.thread().clone(), second.thread().clone());
    first.join().unwrap();
    assert_eq!(
        wait_all(&[&h1, &h2], POLL, Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    exit_tx.send(()).unwrap();
    assert_eq!(
        wait_all(&[&h1, &h2], LONG, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    second.join().unwrap();
}

/// C36: the handle of a thread made with `std::thread` is signaled when it exits.
#[test]
fn c36_std_thread_handle_is_signaled_on_exit() {
    let (tx, rx) = mpsc::channel();
    let t = std::thread::spawn(move || tx.send(alertable::current()).unwrap());
    let h = rx.recv().unwrap();
    t.join().unwrap();
    assert_eq!(
        wait_one(&h, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
}

/// C38: a thread waiting on its own handle times out (it cannot exit while waiting).
#[test]
fn c38_waiting_on_the_current_thread_times_out() {
    let me = alertable::current();
    let timeout = Duration::from_millis(20);
    let start = Instant::now();
    assert_eq!(
        wait_one(&me, Some(timeout), Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    assert!(start.elapsed() >= timeout);
}

// ---------------------------------------------------------------------------------------
// I85–I91: signal_and_wait.

/// I85: the Rust signature cannot express a missing handle; the objects it can signal are
/// events, semaphores and mutexes, and any waitable can be waited on.
#[test]
fn i85_signalable_and_waitable_kinds() {
    let e = Event::new(EventReset::Auto, false);
    let s = Semaphore::new(0, 1).unwrap();
    let m = Mutex::new(true);
    let done = alertable::spawn(|| ()).unwrap();
    let h = done.thread().clone();
    done.join().unwrap();
    assert_eq!(
        signal_and_wait(&e, &h, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(
        signal_and_wait(&s, &e, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(
        signal_and_wait(&m, &s, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(
        m.release(),
        Err(SyncError::NotOwner),
        "the signal released it"
    );
}

/// I86: auto E0 reset, manual E1 set: signaling E0 and waiting on E1 returns 0 and leaves
/// E0 set.
#[test]
fn i86_basic_signal_and_wait() {
    let e0 = Event::new(EventReset::Auto, false);
    let e1 = Event::new(EventReset::Manual, true);
    let status = signal_and_wait(&e0, &e1, POLL, Alertable::No);
    assert_eq!(status, Ok(WaitStatus::Signaled(0)));
    assert_eq!(status.unwrap().as_win32(), 0);
    assert!(e0.is_set());
    assert!(e1.is_set());
}

/// I87: signal and wait on the same auto-reset event 10,000 times: each call returns 0
/// (the wait takes the signal it just made), and the event ends reset.
#[test]
fn i87_signal_and_wait_on_the_same_auto_event() {
    let e = Event::new(EventReset::Auto, false);
    for i in 0..10_000 {
        assert_eq!(
            signal_and_wait(&e, &e, POLL, Alertable::No),
            Ok(WaitStatus::Signaled(0)),
            "call {i}"
        );
    }
    assert!(!e.is_set());
    assert_eq!(wait_one(&e, POLL, Alertable::No), Ok(WaitStatus::TimedOut));
}

/// I87: the signal and the start of the wait are one step: a thread that sees the signal
/// and pulses the awaited event always finds the signaler waiting. With a separate signal
/// and wait, the pulse could fall between them and be lost.
#[test]
fn i87_no_one_sees_the_signal_before_the_signaler_waits() {
    const ROUNDS: usize = 1000;
    let ready = Semaphore::new(0, 1).unwrap();
    let go = Event::new(EventReset::Manual, false);
    let (r, g) = (ready.clone(), go.clone());
    let worker = alertable::spawn(move || {
        for i in 0..ROUNDS {
            assert_eq!(
                signal_and_wait(&r, &g, LONG, Alertable::No),
                Ok(WaitStatus::Signaled(0)),
                "round {i}: the pulse was missed"
            );
        }
    })
    .unwrap();
    for _ in 0..ROUNDS {
        assert_eq!(
            wait_one(&ready, LONG, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        go.pulse();
    }
    worker.join().unwrap();
    assert!(!go.is_set());
}

/// I87: two threads passing a turn back and forth with `signal_and_wait` on two auto
/// events never lose a turn.
#[test]
fn i87_ping_pong() {
    const ROUNDS: usize = 2000;
    let ping = Event::new(EventReset::Auto, false);
    let pong = Event::new(EventReset::Auto, false);
    let (p, q) = (ping.clone(), pong.clone());
    let other = alertable::spawn(move || {
        assert_eq!(
            wait_one(&p, LONG, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        for _ in 1..ROUNDS {
            assert_eq!(
                signal_and_wait(&q, &p, LONG, Alertable::No),
                Ok(WaitStatus::Signaled(0))
            );
        }
        q.set();
    })
    .unwrap();
    for _ in 0..ROUNDS {
        assert_eq!(
            signal_and_wait(&ping, &pong, LONG, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
    }
    other.join().unwrap();
    assert!(!ping.is_set() && !pong.is_set());
}

/// I88: after the awaited event is reset, signal-and-wait with a zero timeout times out —
/// and the signal was still made.
#[test]
fn i88_timeout_path() {
    let e0 = Event::new(EventReset::Auto, false);
    let e1 = Event::new(EventReset::Manual, true);
    e1.reset();
    assert_eq!(
        signal_and_wait(&e0, &e1, POLL, Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    assert!(e0.is_set());
}

/// I89: S0 (0 of 1), S1 (1 of 1): the first call returns 0 (S0 → 1, S1 → 0); the second
/// fails with `TooManyPosts` (298) and does not wait on S1: releasing S1 then succeeds and
/// releasing S0 fails.
#[test]
fn i89_failed_signal_means_no_wait() {
    let s0 = Semaphore::new(0, 1).unwrap();
    let s1 = Semaphore::new(1, 1).unwrap();
    assert_eq!(
        signal_and_wait(&s0, &s1, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!((s0.count(), s1.count()), (1, 0));
    s1.release(1).unwrap();
    let err = signal_and_wait(&s0, &s1, POLL, Alertable::No).unwrap_err();
    assert_eq!(err, WaitError::SignalFailed(SyncError::TooManyPosts));
    assert_eq!(err.win32_error(), 298);
    assert_eq!((s0.count(), s1.count()), (1, 1), "S1 was not waited on");
    assert_eq!(s1.release(1), Err(SyncError::TooManyPosts));
    assert_eq!(s0.release(1), Err(SyncError::TooManyPosts));
}

/// I89: signaling a mutex the caller does not own fails with `NotOwner` (288) and does not
/// wait — not even with an infinite timeout on an unsignaled object, or with APCs pending
/// in an alertable call.
#[test]
fn i89_unowned_mutex_signal_fails_without_waiting() {
    let m = Mutex::new(false);
    let set = Event::new(EventReset::Auto, true);
    let unset = Event::new(EventReset::Auto, false);
    let err = signal_and_wait(&m, &set, POLL, Alertable::No).unwrap_err();
    assert_eq!(err, WaitError::SignalFailed(SyncError::NotOwner));
    assert_eq!(err.win32_error(), 288);
    assert!(set.is_set(), "not waited on");
    assert_eq!(
        signal_and_wait(&m, &unset, LONG, Alertable::No),
        Err(WaitError::SignalFailed(SyncError::NotOwner))
    );
    let ran = counter();
    alertable::current().queue_apc(bump(&ran)).unwrap();
    assert_eq!(
        signal_and_wait(&m, &unset, LONG, Alertable::Yes),
        Err(WaitError::SignalFailed(SyncError::NotOwner))
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0, "no wait, so no APC ran");
    assert_eq!(sleep_ex(POLL, Alertable::Yes), SleepStatus::Alerted);
}

/// I89: a mutex owned by another thread cannot be signaled by this one either.
#[test]
fn i89_mutex_owned_by_another_thread() {
    let m = Mutex::new(false);
    let theirs = m.clone();
    let set = Event::new(EventReset::Manual, true);
    let (owned_tx, owned_rx) = mpsc::channel();
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    let owner = alertable::spawn(move || {
        owned_tx
            .send(wait_one(&theirs, POLL, Alertable::No))
            .unwrap();
        exit_rx.recv().unwrap();
        theirs.release()
    })
    .unwrap();
    assert_eq!(owned_rx.recv().unwrap(), Ok(WaitStatus::Signaled(0)));
    assert_eq!(
        signal_and_wait(&m, &set, POLL, Alertable::No),
        Err(WaitError::SignalFailed(SyncError::NotOwner))
    );
    exit_tx.send(()).unwrap();
    assert_eq!(owner.join().unwrap(), Ok(()));
}

/// I89: releasing an owned mutex and waiting on it reacquires it (the release completed
/// first); recursion is counted correctly.
#[test]
fn i89_signal_and_wait_on_the_same_mutex() {
    let m = Mutex::new(true);
    assert_eq!(
        signal_and_wait(&m, &m, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(m.release(), Ok(()));
    assert_eq!(m.release(), Err(SyncError::NotOwner));
}

/// I89: releasing a mutex with signal_and_wait hands it to a blocked waiter.
#[test]
fn i89_signal_hands_a_mutex_to_a_blocked_waiter() {
    let m = Mutex::new(true);
    let (probe, linked) = Probe::new(false);
    let theirs = m.clone();
    let waiter = alertable::spawn(move || {
        let status = wait_any(&[&theirs, &probe], LONG, Alertable::No);
        (status, theirs.release())
    })
    .unwrap();
    linked.wait();
    let unset = Event::new(EventReset::Auto, false);
    assert_eq!(
        signal_and_wait(&m, &unset, Some(Duration::from_millis(1)), Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    assert_eq!(
        waiter.join().unwrap(),
        (Ok(WaitStatus::Signaled(0)), Ok(()))
    );
}

/// I91: an alertable signal-and-wait with an APC pending signals exactly once, runs the
/// APC and returns `Alerted`.
#[test]
fn i91_alertable_signal_and_wait_with_a_pending_apc() {
    let s = Semaphore::new(0, 5).unwrap();
    let unset = Event::new(EventReset::Auto, false);
    let ran = counter();
    alertable::current().queue_apc(bump(&ran)).unwrap();
    assert_eq!(
        signal_and_wait(&s, &unset, LONG, Alertable::Yes),
        Ok(WaitStatus::Alerted)
    );
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert_eq!(s.count(), 1, "signaled exactly once");
}

/// I91: a blocked alertable signal-and-wait is ended by an APC from another thread with
/// `Alerted`, and its signal was made exactly once. The signal itself tells that the
/// thread has started waiting: it is made under the same lock hold as the wait's first
/// check, so an APC queued after it is seen is delivered by that wait.
#[test]
fn i91_apc_ends_a_blocked_alertable_signal_and_wait() {
    let s = Semaphore::new(0, 5).unwrap();
    let unset = Event::new(EventReset::Auto, false);
    let ran = counter();
    let (ts, tu, r) = (s.clone(), unset.clone(), ran.clone());
    let waiter = alertable::spawn(move || {
        let status = signal_and_wait(&ts, &tu, LONG, Alertable::Yes);
        (status, r.load(Ordering::SeqCst))
    })
    .unwrap();
    assert_eq!(
        wait_one(&s, LONG, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    waiter.thread().queue_apc(bump(&ran)).unwrap();
    let (status, ran_in_wait) = waiter.join().unwrap();
    assert_eq!(status, Ok(WaitStatus::Alerted));
    assert_eq!(ran_in_wait, 1);
    assert_eq!(s.count(), 0, "signaled exactly once");
}

/// I91: a non-alertable signal-and-wait is not ended by APCs; the awaited object ends it.
#[test]
fn i91_non_alertable_signal_and_wait_ignores_apcs() {
    let s = Semaphore::new(0, 5).unwrap();
    let e = Event::new(EventReset::Auto, false);
    let ran = counter();
    let (ts, te, r) = (s.clone(), e.clone(), ran.clone());
    let waiter = alertable::spawn(move || {
        let status = signal_and_wait(&ts, &te, LONG, Alertable::No);
        (status, r.load(Ordering::SeqCst))
    })
    .unwrap();
    assert_eq!(
        wait_one(&s, LONG, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    waiter.thread().queue_apc(bump(&ran)).unwrap();
    e.set();
    let (status, ran_in_wait) = waiter.join().unwrap();
    assert_eq!(status, Ok(WaitStatus::Signaled(0)));
    assert_eq!(ran_in_wait, 0);
    assert_eq!(
        ran.load(Ordering::SeqCst),
        0,
        "dropped with the exited thread"
    );
}
