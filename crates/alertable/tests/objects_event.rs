//! Spec section E, events: state reporting (E56), `pulse` without and with waiters (E57,
//! E58), auto-reset consumption and manual-reset persistence (E59), wait-any order (E60);
//! and from section D the 64-object wait-any (D45) and all-or-nothing wait-all (D49).
//!
//! Tests that need a thread to be *inside* its wait before the event changes use a probe
//! object (see [`Probe`]) instead of timing: a wait links itself onto its objects in order,
//! under one hold of the dispatcher lock, so once the probe at the end of the list reports
//! that it was linked, the waiter is linked on every object before it.

use std::sync::mpsc;
use std::time::Duration;

use alertable::{Alertable, Event, EventReset, WaitStatus, Waitable, wait_all, wait_any, wait_one};

mod common;

use common::{LONG, POLL, Probe, recv};

// ---------------------------------------------------------------------------------------
// E56, E59: state.

/// E56: `is_set` (NtQueryEvent's EventState) follows `set` and `reset`, for both kinds,
/// and setting a set event or resetting a reset one changes nothing (E59).
#[test]
fn e56_is_set_follows_set_and_reset() {
    for reset in [EventReset::Manual, EventReset::Auto] {
        let e = Event::new(reset, false);
        assert!(!e.is_set(), "{reset:?}: created reset");
        e.set();
        assert!(e.is_set(), "{reset:?}");
        e.set();
        assert!(e.is_set(), "{reset:?}: set twice");
        e.reset();
        assert!(!e.is_set(), "{reset:?}");
        e.reset();
        assert!(!e.is_set(), "{reset:?}: reset twice");
        assert!(Event::new(reset, true).is_set(), "{reset:?}: created set");
    }
}

/// E56: clones are the same event (duplicated handles).
#[test]
fn e56_clones_share_the_state() {
    let a = Event::new(EventReset::Auto, false);
    let b = a.clone();
    a.set();
    assert!(b.is_set());
    assert_eq!(
        wait_one(&b, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert!(
        !a.is_set(),
        "the wait through the clone consumed the signal"
    );
}

/// E59: a successful wait clears an auto-reset event; a set on a set auto event is not a
/// second signal.
#[test]
fn e59_auto_reset_event_is_consumed_by_one_wait() {
    let e = Event::new(EventReset::Auto, true);
    e.set(); // already set: nothing changes
    assert_eq!(
        wait_one(&e, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert!(!e.is_set());
    assert_eq!(wait_one(&e, POLL, Alertable::No), Ok(WaitStatus::TimedOut));
    assert_eq!(WaitStatus::TimedOut.as_win32(), 258);
}

/// E59: every kind of wait consumes an auto-reset event: `wait_one`, `wait_any`,
/// `wait_all`, also alertable.
#[test]
fn e59_every_wait_kind_consumes_an_auto_event() {
    for alertable in [Alertable::No, Alertable::Yes] {
        let e = Event::new(EventReset::Auto, true);
        assert_eq!(wait_one(&e, POLL, alertable), Ok(WaitStatus::Signaled(0)));
        assert!(!e.is_set());
        e.set();
        assert_eq!(
            wait_any(&[&e], POLL, alertable),
            Ok(WaitStatus::Signaled(0))
        );
        assert!(!e.is_set());
        e.set();
        assert_eq!(
            wait_all(&[&e], POLL, alertable),
            Ok(WaitStatus::Signaled(0))
        );
        assert!(!e.is_set());
        assert_eq!(wait_one(&e, POLL, alertable), Ok(WaitStatus::TimedOut));
    }
}

/// E59: a manual-reset event stays set through any number of waits until `reset`.
#[test]
fn e59_manual_reset_event_stays_set_until_reset() {
    let e = Event::new(EventReset::Manual, true);
    for _ in 0..10 {
        assert_eq!(
            wait_one(&e, POLL, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        assert_eq!(
            wait_any(&[&e], POLL, Alertable::Yes),
            Ok(WaitStatus::Signaled(0))
        );
        assert_eq!(
            wait_all(&[&e], POLL, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        assert!(e.is_set());
    }
    e.reset();
    assert_eq!(wait_one(&e, POLL, Alertable::No), Ok(WaitStatus::TimedOut));
}

/// E59: `set` on an auto-reset event with several blocked waiters releases exactly one,
/// and the event ends reset; the next `set` releases the next one.
#[test]
fn e59_set_releases_one_waiter_of_an_auto_event() {
    let e = Event::new(EventReset::Auto, false);
    let (tx, rx) = mpsc::channel();
    let mut waiters = Vec::new();
    for i in 0..3 {
        let (probe, linked) = Probe::new(false);
        let (e, tx) = (e.clone(), tx.clone());
        waiters.push(
            alertable::spawn(move || {
                let status = wait_any(&[&e, &probe], LONG, Alertable::No);
                tx.send((i, status)).unwrap();
            })
            .unwrap(),
        );
        linked.wait();
    }
    let mut released = Vec::new();
    for round in 1..=3 {
        e.set();
        let (i, status) = recv(&rx);
        assert_eq!(status, Ok(WaitStatus::Signaled(0)), "waiter {i}");
        assert!(
            !e.is_set(),
            "round {round}: the released waiter consumed the signal"
        );
        released.push(i);
    }
    for w in waiters {
        w.join().unwrap();
    }
    released.sort_unstable();
    assert_eq!(released, [0, 1, 2], "each waiter was released once");
    assert!(rx.try_recv().is_err());
}

/// E59: `set` on a manual-reset event releases every blocked waiter and stays set.
#[test]
fn e59_set_releases_every_waiter_of_a_manual_event() {
    let e = Event::new(EventReset::Manual, false);
    let (tx, rx) = mpsc::channel();
    let mut waiters = Vec::new();
    for _ in 0..4 {
        let (probe, linked) = Probe::new(false);
        let (e, tx) = (e.clone(), tx.clone());
        waiters.push(
            alertable::spawn(move || {
                tx.send(wait_any(&[&e, &probe], LONG, Alertable::No))
                    .unwrap();
            })
            .unwrap(),
        );
        linked.wait();
    }
    e.set();
    for _ in 0..4 {
        assert_eq!(recv(&rx), Ok(WaitStatus::Signaled(0)));
    }
    assert!(e.is_set());
    for w in waiters {
        w.join().unwrap();
    }
}

// ---------------------------------------------------------------------------------------
// E57, E58: pulse.

/// E57: `pulse` with no waiters leaves the event reset, whether it was set or not, for
/// both kinds.
#[test]
fn e57_pulse_without_waiters_leaves_the_event_reset() {
    for reset in [EventReset::Manual, EventReset::Auto] {
        for initially_set in [false, true] {
            let e = Event::new(reset, initially_set);
            e.pulse();
            assert!(!e.is_set(), "{reset:?}, initially set: {initially_set}");
            assert_eq!(
                wait_one(&e, POLL, Alertable::No),
                Ok(WaitStatus::TimedOut),
                "{reset:?}, initially set: {initially_set}: nothing left for a later wait"
            );
        }
    }
}

/// E58: pulsing a manual-reset event releases every thread waiting at that moment, then
/// resets it.
#[test]
fn e58_pulse_of_a_manual_event_releases_every_current_waiter() {
    let e = Event::new(EventReset::Manual, false);
    let (tx, rx) = mpsc::channel();
    let mut waiters = Vec::new();
    for _ in 0..3 {
        let (probe, linked) = Probe::new(false);
        let (e, tx) = (e.clone(), tx.clone());
        waiters.push(
            alertable::spawn(move || {
                tx.send(wait_any(&[&e, &probe], LONG, Alertable::No))
                    .unwrap();
            })
            .unwrap(),
        );
        linked.wait();
    }
    e.pulse();
    assert!(!e.is_set(), "pulse ends with the event reset");
    for _ in 0..3 {
        assert_eq!(recv(&rx), Ok(WaitStatus::Signaled(0)));
    }
    for w in waiters {
        w.join().unwrap();
    }
    assert_eq!(wait_one(&e, POLL, Alertable::No), Ok(WaitStatus::TimedOut));
}

/// E58: pulsing an auto-reset event releases at most one of its waiters per pulse and
/// leaves it reset. Three waiters need three pulses; were a pulse to release two, the
/// third pulse would find no one and the last receive would fail.
#[test]
fn e58_pulse_of_an_auto_event_releases_one_waiter() {
    let e = Event::new(EventReset::Auto, false);
    let (tx, rx) = mpsc::channel();
    let mut waiters = Vec::new();
    for _ in 0..3 {
        let (probe, linked) = Probe::new(false);
        let (e, tx) = (e.clone(), tx.clone());
        waiters.push(
            alertable::spawn(move || {
                tx.send(wait_any(&[&e, &probe], LONG, Alertable::No))
                    .unwrap();
            })
            .unwrap(),
        );
        linked.wait();
    }
    for pulse in 1..=3 {
        e.pulse();
        assert!(!e.is_set(), "pulse {pulse}");
        assert_eq!(recv(&rx), Ok(WaitStatus::Signaled(0)), "pulse {pulse}");
    }
    for w in waiters {
        w.join().unwrap();
    }
    assert!(rx.try_recv().is_err(), "no waiter was released twice");
}

/// E58: a pulse reaches a wait-all only if it completes it: with the other object set the
/// waiter is released (and consumes both); with it reset, the pulse is lost to it.
#[test]
fn e58_pulse_completes_a_wait_all_only_at_that_instant() {
    let pulsed = Event::new(EventReset::Auto, false);
    let other = Event::new(EventReset::Auto, false);
    let (probe, linked) = Probe::new(true);
    let (tx, rx) = mpsc::channel();
    let (p, o) = (pulsed.clone(), other.clone());
    let waiter = alertable::spawn(move || {
        tx.send(wait_all(&[&p, &o, &probe], LONG, Alertable::No))
            .unwrap();
    })
    .unwrap();
    linked.wait();
    // `other` is reset: the pulse cannot complete the wait-all and is gone afterwards.
    pulsed.pulse();
    assert!(!pulsed.is_set());
    other.set();
    assert!(other.is_set(), "half a wait-all consumes nothing (D49)");
    // Now the pulse completes it.
    pulsed.pulse();
    assert_eq!(recv(&rx), Ok(WaitStatus::Signaled(0)));
    assert!(!pulsed.is_set() && !other.is_set(), "both consumed");
    waiter.join().unwrap();
}

/// E58: a waiter that is out of its wait when the pulse comes — running an APC of its
/// alertable wait — misses it: the wait reports the APC, and the event is reset for the
/// next wait.
#[test]
fn e58_waiter_running_an_apc_misses_the_pulse() {
    let e = Event::new(EventReset::Manual, false);
    let (probe, linked) = Probe::new(false);
    let (in_apc_tx, in_apc_rx) = mpsc::channel();
    let (pulsed_tx, pulsed_rx) = mpsc::channel::<()>();
    let e2 = e.clone();
    let waiter = alertable::spawn(move || {
        let first = wait_any(&[&e2, &probe], LONG, Alertable::Yes);
        let second = wait_one(&e2, POLL, Alertable::Yes);
        (first, second)
    })
    .unwrap();
    linked.wait();
    waiter
        .thread()
        .queue_apc(move || {
            in_apc_tx.send(()).unwrap();
            pulsed_rx.recv().unwrap();
        })
        .unwrap();
    recv(&in_apc_rx);
    e.pulse();
    pulsed_tx.send(()).unwrap();
    let (first, second) = waiter.join().unwrap();
    assert_eq!(first, Ok(WaitStatus::Alerted));
    assert_eq!(second, Ok(WaitStatus::TimedOut), "the pulse was missed");
    assert!(!e.is_set());
}

// ---------------------------------------------------------------------------------------
// E60, D45: wait-any order.

/// E60: wait-any on {manual, auto}, both set: index 0 every time (the manual event is
/// never consumed) and the auto event stays set.
#[test]
fn e60_wait_any_manual_first_never_reaches_the_auto_event() {
    let manual = Event::new(EventReset::Manual, true);
    let auto = Event::new(EventReset::Auto, true);
    for _ in 0..5 {
        assert_eq!(
            wait_any(&[&manual, &auto], POLL, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
    }
    assert!(manual.is_set());
    assert!(auto.is_set(), "only the lowest signaled index is acquired");
}

/// E60: reversed, {auto, manual}: index 0 first (consuming the auto event), then 1, 1, ….
#[test]
fn e60_wait_any_auto_first_then_manual() {
    let auto = Event::new(EventReset::Auto, true);
    let manual = Event::new(EventReset::Manual, true);
    assert_eq!(
        wait_any(&[&auto, &manual], POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert!(!auto.is_set());
    for _ in 0..5 {
        let status = wait_any(&[&auto, &manual], POLL, Alertable::No);
        assert_eq!(status, Ok(WaitStatus::Signaled(1)));
        assert_eq!(status.unwrap().as_win32(), 1);
    }
    assert!(manual.is_set());
}

/// D45: 64 events (index 0 manual, 1..=63 auto, all set) are accepted: wait-any returns 0
/// twice; after resetting index 0 it returns 1, 2, …, 63, consuming only that auto event
/// each time; then it times out.
#[test]
fn d45_sixty_four_events_lowest_signaled_index_wins() {
    let events: Vec<Event> = (0..64)
        .map(|i| {
            let reset = if i == 0 {
                EventReset::Manual
            } else {
                EventReset::Auto
            };
            Event::new(reset, true)
        })
        .collect();
    let objects: Vec<&dyn Waitable> = events.iter().map(|e| e as &dyn Waitable).collect();
    assert_eq!(objects.len(), alertable::MAXIMUM_WAIT_OBJECTS);
    for _ in 0..2 {
        assert_eq!(
            wait_any(&objects, POLL, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
    }
    events[0].reset();
    for i in 1..64 {
        let status = wait_any(&objects, POLL, Alertable::No);
        assert_eq!(status, Ok(WaitStatus::Signaled(i)));
        assert_eq!(status.unwrap().as_win32(), i as u32);
        assert!(!events[i].is_set(), "index {i} consumed");
        assert!(
            events[i + 1..].iter().all(Event::is_set),
            "only index {i} consumed"
        );
    }
    assert_eq!(
        wait_any(&objects, POLL, Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
}

/// D45: a blocked wait-any on 64 events is woken by the last one and reports index 63.
#[test]
fn d45_blocked_wait_any_reports_the_index_of_the_signaled_event() {
    let events: Vec<Event> = (0..63)
        .map(|_| Event::new(EventReset::Auto, false))
        .collect();
    let (probe, linked) = Probe::new(false);
    let theirs = events.clone();
    let waiter = alertable::spawn(move || {
        let mut objects: Vec<&dyn Waitable> = theirs.iter().map(|e| e as &dyn Waitable).collect();
        objects.push(&probe);
        wait_any(&objects, LONG, Alertable::No)
    })
    .unwrap();
    linked.wait();
    events[62].set();
    assert_eq!(waiter.join().unwrap(), Ok(WaitStatus::Signaled(62)));
    assert!(!events[62].is_set());
}

// ---------------------------------------------------------------------------------------
// D49: wait-all.

/// D49: manual + auto, both set: wait-all succeeds and consumes the auto event (a second
/// wait-all times out); with only the auto event set, wait-all times out and does not
/// consume it.
#[test]
fn d49_wait_all_is_all_or_nothing() {
    let manual = Event::new(EventReset::Manual, true);
    let auto = Event::new(EventReset::Auto, true);
    let both: [&dyn Waitable; 2] = [&manual, &auto];
    assert_eq!(
        wait_all(&both, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert!(manual.is_set() && !auto.is_set());
    assert_eq!(
        wait_all(&both, POLL, Alertable::No),
        Ok(WaitStatus::TimedOut)
    );

    manual.reset();
    auto.set();
    assert_eq!(
        wait_all(&both, POLL, Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    assert!(auto.is_set(), "not consumed by the failed wait-all");
    assert_eq!(
        wait_one(&auto, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
}

/// D49: a timed wait-all that cannot complete consumes nothing, however long it waits.
#[test]
fn d49_timed_out_wait_all_consumes_nothing() {
    let a = Event::new(EventReset::Auto, true);
    let b = Event::new(EventReset::Auto, false);
    let c = Event::new(EventReset::Auto, true);
    for alertable in [Alertable::No, Alertable::Yes] {
        assert_eq!(
            wait_all(&[&a, &b, &c], Some(Duration::from_millis(10)), alertable),
            Ok(WaitStatus::TimedOut)
        );
        assert!(a.is_set() && !b.is_set() && c.is_set(), "{alertable:?}");
    }
}

/// D49: a blocked wait-all completes only when every object is set at one instant. A
/// signal that cannot complete it stays on its object, where another thread may take it;
/// only the signal that completes it is consumed with the others.
#[test]
fn d49_blocked_wait_all_takes_everything_at_one_instant() {
    let manual = Event::new(EventReset::Manual, false);
    let auto = Event::new(EventReset::Auto, false);
    let (probe, linked) = Probe::new(true);
    let (m, a) = (manual.clone(), auto.clone());
    let (tx, rx) = mpsc::channel();
    let waiter = alertable::spawn(move || {
        tx.send(wait_all(&[&m, &a, &probe], LONG, Alertable::No))
            .unwrap();
    })
    .unwrap();
    linked.wait();

    auto.set();
    assert!(auto.is_set(), "half a wait-all consumes nothing");
    // Another thread (here: this one) can take it meanwhile.
    assert_eq!(
        wait_one(&auto, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    manual.set();
    assert!(manual.is_set());
    assert!(
        rx.try_recv().is_err(),
        "the wait-all needs the auto event too"
    );

    auto.set();
    assert_eq!(recv(&rx), Ok(WaitStatus::Signaled(0)));
    assert!(!auto.is_set(), "consumed by the wait-all");
    assert!(manual.is_set(), "manual events are not consumed");
    waiter.join().unwrap();
}

/// D49: two wait-alls competing for one auto event: each set completes exactly one of
/// them.
#[test]
fn d49_one_signal_completes_one_of_two_wait_alls() {
    let gate = Event::new(EventReset::Manual, true);
    let token = Event::new(EventReset::Auto, false);
    let (tx, rx) = mpsc::channel();
    let mut waiters = Vec::new();
    for i in 0..2 {
        let (probe, linked) = Probe::new(true);
        let (g, t, tx) = (gate.clone(), token.clone(), tx.clone());
        waiters.push(
            alertable::spawn(move || {
                tx.send((i, wait_all(&[&g, &t, &probe], LONG, Alertable::No)))
                    .unwrap();
            })
            .unwrap(),
        );
        linked.wait();
    }
    token.set();
    let (first, status) = recv(&rx);
    assert_eq!(status, Ok(WaitStatus::Signaled(0)));
    assert!(!token.is_set());
    token.set();
    let (second, status) = recv(&rx);
    assert_eq!(status, Ok(WaitStatus::Signaled(0)));
    assert_ne!(first, second);
    assert!(!token.is_set());
    for w in waiters {
        w.join().unwrap();
    }
}

// ---------------------------------------------------------------------------------------
// E59 without the dispatcher lock.

/// E59 on the lock-free path: a wait on one signaled event with no waiters takes it (an
/// auto-reset event, which is then reset) or sees it (a manual one) without the dispatcher
/// lock, so it completes while another thread holds that lock (dispatch.rs W8).
#[test]
fn e59_a_wait_on_one_signaled_event_needs_no_lock() {
    let (done, finished) = mpsc::channel();
    let lock = alertable::Dispatcher::lock();
    std::thread::spawn(move || {
        let auto = Event::new(EventReset::Auto, true);
        let manual = Event::new(EventReset::Manual, true);
        let took = wait_one(&auto, None, Alertable::No);
        let saw = wait_one(&manual, Some(Duration::ZERO), Alertable::Yes);
        done.send((took, saw, auto.is_set(), manual.is_set()))
            .unwrap();
    });
    let result = finished.recv_timeout(LONG.unwrap());
    drop(lock);
    let (took, saw, auto_set, manual_set) = result.expect("the waits needed the lock");
    assert_eq!(took, Ok(WaitStatus::Signaled(0)));
    assert_eq!(saw, Ok(WaitStatus::Signaled(0)));
    assert!(!auto_set, "the auto-reset event was consumed");
    assert!(manual_set, "the manual-reset event stays set");
}
