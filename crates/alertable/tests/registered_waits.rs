//! Registered waits: a wait on dispatcher objects that no thread performs. The dispatcher
//! satisfies it like a thread's wait (consuming what it takes) and then calls its
//! notification, after releasing its lock; this is what thread-pool waits are made of.

#![allow(clippy::disallowed_types)]

use std::sync::mpsc;
use std::time::Duration;

use alertable::{
    Alertable, DueTime, Event, EventReset, Mutex, RegisteredWait, Semaphore, TimerReset, WaitError,
    WaitStatus, Waitable, WaitableTimer, wait_one,
};

const LONG: Duration = Duration::from_secs(60);

fn channel_wait(objects: Vec<Box<dyn Waitable>>) -> (RegisteredWait, mpsc::Receiver<WaitStatus>) {
    let (tx, rx) = mpsc::channel();
    let wait = RegisteredWait::new(objects, move |status| tx.send(status).unwrap()).unwrap();
    (wait, rx)
}

/// A signal satisfies the registered wait once: the notification runs once, with the
/// index of the object, and an auto-reset event's signal is consumed by it.
#[test]
fn a_signal_notifies_once_and_is_consumed() {
    let event = Event::new(EventReset::Auto, false);
    let (wait, rx) = channel_wait(vec![Box::new(event.clone())]);
    assert!(rx.try_recv().is_err(), "nothing signaled yet");
    event.set();
    assert_eq!(rx.recv_timeout(LONG), Ok(WaitStatus::Signaled(0)));
    assert!(!event.is_set(), "the registered wait consumed the signal");
    // Satisfied once: a second signal stays on the event.
    event.set();
    assert!(event.is_set());
    assert!(!wait.cancel(), "already satisfied: nothing to withdraw");
    assert!(
        rx.recv().is_err(),
        "the notification ran once and was dropped"
    );
}

/// An object already signaled satisfies the registration at once, on the registering
/// thread; the second object of a wait-any reports its index.
#[test]
fn an_object_signaled_at_registration_notifies_at_once() {
    let idle = Event::new(EventReset::Manual, false);
    let ready = Semaphore::new(1, 1).unwrap();
    let me = std::thread::current().id();
    let (tx, rx) = mpsc::channel();
    let _wait = RegisteredWait::new(
        vec![Box::new(idle.clone()), Box::new(ready.clone())],
        move |status| tx.send((status, std::thread::current().id())).unwrap(),
    )
    .unwrap();
    assert_eq!(rx.try_recv(), Ok((WaitStatus::Signaled(1), me)));
    assert_eq!(ready.count(), 0, "the registered wait took the count");
}

/// A cancelled registration never notifies, and the object's signal stays for others; a
/// dropped one is cancelled likewise.
#[test]
fn cancelling_withdraws_the_wait() {
    let event = Event::new(EventReset::Auto, false);
    let (wait, rx) = channel_wait(vec![Box::new(event.clone())]);
    assert!(wait.cancel());
    assert!(!wait.cancel(), "withdrawn once");
    event.set();
    assert!(event.is_set(), "nobody took the signal");
    assert!(
        rx.recv().is_err(),
        "the notification was dropped without running"
    );

    event.reset();
    let (dropped, rx) = channel_wait(vec![Box::new(event.clone())]);
    drop(dropped);
    event.set();
    assert!(event.is_set());
    assert!(rx.recv().is_err());
}

/// Threads and registered waits queue FIFO on one object: an auto-reset event set once
/// goes to whichever began waiting first.
#[test]
fn threads_and_registered_waits_share_one_fifo() {
    let event = Event::new(EventReset::Auto, false);
    let (_wait, rx) = channel_wait(vec![Box::new(event.clone())]);
    let e = event.clone();
    let (linked_tx, linked_rx) = mpsc::channel();
    let thread = alertable::spawn(move || {
        linked_tx.send(()).unwrap();
        wait_one(&e, Some(LONG), Alertable::No)
    })
    .unwrap();
    linked_rx.recv().unwrap();
    event.set();
    assert_eq!(rx.recv_timeout(LONG), Ok(WaitStatus::Signaled(0)));
    event.set();
    assert_eq!(thread.join().unwrap(), Ok(WaitStatus::Signaled(0)));
}

/// The notification runs with no lock held: it may signal objects other threads wait on,
/// and register a new wait (which is how a pool re-arms a periodic timer).
#[test]
fn the_notification_may_signal_and_register() {
    let first = Event::new(EventReset::Auto, false);
    let second = Event::new(EventReset::Auto, false);
    let done = Event::new(EventReset::Manual, false);
    let (tx, rx) = mpsc::channel();
    let (s, d) = (second.clone(), done.clone());
    let _wait = RegisteredWait::new(vec![Box::new(first.clone())], move |_| {
        let again = RegisteredWait::new(vec![Box::new(s)], move |_| d.set()).unwrap();
        tx.send(again).unwrap();
    })
    .unwrap();
    let d = done.clone();
    let waiter = alertable::spawn(move || wait_one(&d, Some(LONG), Alertable::No)).unwrap();
    first.set();
    let _again = rx.recv_timeout(LONG).unwrap();
    second.set();
    assert_eq!(waiter.join().unwrap(), Ok(WaitStatus::Signaled(0)));
}

/// A waitable timer as the second object gives the registration a timeout without a
/// thread of its own: the timer service fires it.
#[test]
fn a_timer_object_times_the_wait_out() {
    let event = Event::new(EventReset::Auto, false);
    let timeout = WaitableTimer::new(TimerReset::Synchronization);
    timeout.set(DueTime::After(Duration::from_millis(5)), None);
    let (_wait, rx) = channel_wait(vec![Box::new(event.clone()), Box::new(timeout.clone())]);
    assert_eq!(rx.recv_timeout(LONG), Ok(WaitStatus::Signaled(1)));
}

/// A mutex is acquired for the registering thread; an abandoned one reports it.
#[test]
fn a_mutex_is_acquired_for_the_registering_thread() {
    let mutex = Mutex::new(false);
    let m = mutex.clone();
    let (owned_tx, owned_rx) = mpsc::channel();
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    let owner = alertable::spawn(move || {
        assert_eq!(
            wait_one(&m, None, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        owned_tx.send(()).unwrap();
        let _ = exit_rx.recv(); // until the test lets go
    })
    .unwrap();
    owned_rx.recv().unwrap();
    let (_wait, rx) = channel_wait(vec![Box::new(mutex.clone())]);
    drop(exit_tx);
    owner.join().unwrap();
    assert_eq!(rx.recv_timeout(LONG), Ok(WaitStatus::Abandoned(0)));
    assert_eq!(
        mutex.release(),
        Ok(()),
        "the registering thread owns it now"
    );
}

/// G72 and M4: a mutex acquired for a registering thread that has already exited is
/// abandoned at once — it never stays owned by a thread that is gone, and no later thread
/// can pass for its owner.
#[test]
fn g72_a_mutex_acquired_for_an_exited_thread_is_abandoned() {
    let mutex = Mutex::new(true);
    let m = mutex.clone();
    let registrant = alertable::spawn(move || channel_wait(vec![Box::new(m)])).unwrap();
    let (wait, rx) = registrant.join().unwrap();
    assert_eq!(mutex.release(), Ok(()));
    // Acquired for the exited registrant, which the notification reports...
    assert_eq!(rx.recv_timeout(LONG), Ok(WaitStatus::Signaled(0)));
    drop(wait);
    // ...and abandoned, so the next owner learns it.
    let m = mutex.clone();
    let other = alertable::spawn(move || {
        let first = wait_one(&m, Some(Duration::ZERO), Alertable::No);
        let released = m.release();
        (first, released)
    })
    .unwrap();
    assert_eq!(
        other.join().unwrap(),
        (Ok(WaitStatus::Abandoned(0)), Ok(()))
    );
    assert_eq!(
        wait_one(&mutex, Some(Duration::ZERO), Alertable::No),
        Ok(WaitStatus::Signaled(0)),
        "free again, the abandonment reported once"
    );
    assert_eq!(mutex.release(), Ok(()));
}

/// Bad object lists are refused as a thread's wait-any refuses them.
#[test]
fn bad_object_lists_are_refused() {
    let refused = |objects: Vec<Box<dyn Waitable>>| RegisteredWait::new(objects, |_| {}).err();
    assert_eq!(refused(Vec::new()), Some(WaitError::NoObjects));
    let many: Vec<Box<dyn Waitable>> = (0..=alertable::MAXIMUM_WAIT_OBJECTS)
        .map(|_| Box::new(Event::new(EventReset::Auto, false)) as Box<dyn Waitable>)
        .collect();
    assert_eq!(refused(many), Some(WaitError::TooManyObjects));
    let event = Event::new(EventReset::Auto, false);
    assert_eq!(
        refused(vec![Box::new(event.clone()), Box::new(event)]),
        Some(WaitError::DuplicateObject)
    );
}

/// Many registrations on many objects, signaled from several threads: each notifies
/// exactly once.
#[test]
fn many_registrations_each_notify_once() {
    const N: usize = 2_000;
    let events: Vec<Event> = (0..N)
        .map(|_| Event::new(EventReset::Auto, false))
        .collect();
    let (tx, rx) = mpsc::channel();
    let waits: Vec<RegisteredWait> = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let tx = tx.clone();
            RegisteredWait::new(vec![Box::new(e.clone())], move |s| tx.send((i, s)).unwrap())
                .unwrap()
        })
        .collect();
    drop(tx);
    let setters: Vec<_> = events
        .chunks(N / 4)
        .map(|chunk| {
            let chunk = chunk.to_vec();
            std::thread::spawn(move || chunk.iter().for_each(Event::set))
        })
        .collect();
    for s in setters {
        s.join().unwrap();
    }
    let mut seen = vec![0; N];
    for _ in 0..N {
        let (i, s) = rx.recv_timeout(LONG).unwrap();
        assert_eq!(s, WaitStatus::Signaled(0));
        seen[i] += 1;
    }
    assert!(seen.iter().all(|&n| n == 1));
    drop(waits);
    assert!(rx.recv().is_err(), "no notification after the last one");
}

/// A notification from a timer runs after the timer's own lock is released: it may set
/// that timer again, which is how a periodic pool timer can be re-armed.
#[test]
fn a_timer_notification_may_set_the_timer_again() {
    let timer = WaitableTimer::new(TimerReset::Synchronization);
    let (tx, rx) = mpsc::channel();
    let t = timer.clone();
    let _wait = RegisteredWait::new(vec![Box::new(timer.clone())], move |status| {
        t.set(DueTime::After(Duration::from_secs(3600)), None);
        tx.send(status).unwrap();
    })
    .unwrap();
    timer.set(DueTime::After(Duration::ZERO), None);
    assert_eq!(rx.recv_timeout(LONG), Ok(WaitStatus::Signaled(0)));
}
