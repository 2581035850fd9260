//! Thread alerts (`NtAlertThread`, spec B41 and C40): an alert ends the target's current
//! or next alertable wait with `ThreadAlerted` (NT: `STATUS_ALERTED`, 0x101), is separate
//! from APCs, does not accumulate, and is left alone by non-alertable waits.
#![allow(clippy::disallowed_types)]

use std::sync::mpsc;
use std::time::Duration;

use alertable::{
    Alertable, Event, EventReset, SleepStatus, WaitStatus, alert_thread, sleep_ex, take_alert,
    wait_any, wait_one,
};

mod common;

use common::{LONG, POLL, Probe, bump, counter, recv, wait_until_blocked};
use std::sync::atomic::Ordering;

/// B41: an alert queued to self ends the next alertable sleep at once with
/// `ThreadAlerted` (0x101); alerts do not accumulate (C40), so the sleep after it times out.
#[test]
fn b41_alert_to_self_ends_the_next_alertable_sleep_once() {
    let me = alertable::current();
    alert_thread(&me);
    alert_thread(&me);
    let status = sleep_ex(LONG, Alertable::Yes);
    assert_eq!(status, SleepStatus::ThreadAlerted);
    assert_eq!(status.as_win32(), 0x101);
    assert_eq!(
        sleep_ex(Some(Duration::from_millis(1)), Alertable::Yes),
        SleepStatus::Elapsed
    );
}

/// B41: a non-alertable wait leaves the alert pending; the next alertable one takes it.
#[test]
fn b41_non_alertable_waits_leave_the_alert_pending() {
    let me = alertable::current();
    alert_thread(&me);
    assert_eq!(
        sleep_ex(Some(Duration::from_millis(1)), Alertable::No),
        SleepStatus::Elapsed
    );
    let event = Event::new(EventReset::Manual, false);
    assert_eq!(
        wait_one(&event, POLL, Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    assert_eq!(
        wait_one(&event, LONG, Alertable::Yes),
        Ok(WaitStatus::ThreadAlerted)
    );
    assert_eq!(WaitStatus::ThreadAlerted.as_win32(), 0x101);
    assert_eq!(
        wait_one(&event, POLL, Alertable::Yes),
        Ok(WaitStatus::TimedOut)
    );
}

/// B31, B41: a signaled object beats a pending alert, and the alert stays pending.
#[test]
fn b41_objects_beat_alerts() {
    let me = alertable::current();
    let event = Event::new(EventReset::Manual, true);
    alert_thread(&me);
    assert_eq!(
        wait_one(&event, LONG, Alertable::Yes),
        Ok(WaitStatus::Signaled(0))
    );
    assert!(take_alert(), "the alert is still pending");
    assert!(!take_alert(), "and taken once");
}

/// B41: an alert beats pending APCs, which stay queued for the next alertable wait.
#[test]
fn b41_alerts_beat_apcs() {
    let me = alertable::current();
    let ran = counter();
    me.queue_apc(bump(&ran)).unwrap();
    alert_thread(&me);
    assert_eq!(sleep_ex(POLL, Alertable::Yes), SleepStatus::ThreadAlerted);
    assert_eq!(ran.load(Ordering::SeqCst), 0, "the APC stays queued");
    assert_eq!(sleep_ex(POLL, Alertable::Yes), SleepStatus::Alerted);
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

/// C40: a cross-thread alert wakes a thread blocked in an alertable sleep.
#[test]
fn c40_cross_thread_alert_wakes_a_blocked_sleep() {
    let (tx, rx) = mpsc::channel();
    let worker = alertable::spawn(move || {
        tx.send(alertable::current()).unwrap();
        sleep_ex(LONG, Alertable::Yes)
    })
    .unwrap();
    let thread = recv(&rx);
    wait_until_blocked(thread.id());
    alert_thread(&thread);
    assert_eq!(worker.join().unwrap(), SleepStatus::ThreadAlerted);
}

/// C40: a cross-thread alert wakes a thread blocked in an alertable wait on objects, which
/// acquires nothing.
#[test]
fn c40_cross_thread_alert_wakes_a_blocked_object_wait() {
    let event = Event::new(EventReset::Auto, false);
    let (probe, linked) = Probe::new(false);
    let e = event.clone();
    let worker = alertable::spawn(move || wait_any(&[&e, &probe], LONG, Alertable::Yes)).unwrap();
    linked.wait();
    alert_thread(worker.thread());
    assert_eq!(worker.join().unwrap(), Ok(WaitStatus::ThreadAlerted));
    event.set();
    assert!(event.is_set(), "the wait consumed nothing");
}

/// Alerting a thread that has exited does nothing.
#[test]
fn alerting_an_exited_thread_does_nothing() {
    let worker = alertable::spawn(|| ()).unwrap();
    let thread = worker.thread().clone();
    worker.join().unwrap();
    alert_thread(&thread);
    assert!(thread.is_finished());
}
