//! The hidden per-thread hooks the I/O crate builds on: the block observer (completion
//! ports count running threads with it) and work deferred to the end of an APC drain
//! (batched I/O submission).

#![allow(clippy::disallowed_types)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use alertable::{
    Alertable, BlockObserver, Event, EventReset, Unparker, WaitStatus, Woken, park_until,
    set_block_observer,
};

#[derive(Default)]
struct Counts {
    blocking: AtomicUsize,
    unblocked: AtomicUsize,
}

impl BlockObserver for Counts {
    fn blocking(&self) {
        self.blocking.fetch_add(1, Ordering::SeqCst);
    }
    fn unblocked(&self) {
        self.unblocked.fetch_add(1, Ordering::SeqCst);
    }
}

/// A wait that blocks is reported once on each side; one satisfied at once, or with a
/// zero timeout, is not reported at all.
#[test]
fn only_real_blocking_is_reported() {
    let counts = Arc::new(Counts::default());
    let event = Event::new(EventReset::Manual, false);
    let (tx, rx) = mpsc::channel();
    let worker = {
        let counts = counts.clone();
        let event = event.clone();
        std::thread::spawn(move || {
            assert!(set_block_observer(Some(counts)).is_none());
            assert_eq!(
                alertable::wait_one(&event, Some(Duration::ZERO), Alertable::No),
                Ok(WaitStatus::TimedOut)
            );
            tx.send(()).unwrap();
            assert_eq!(
                alertable::wait_one(&event, None, Alertable::No),
                Ok(WaitStatus::Signaled(0))
            );
            // Already signaled: no block.
            assert_eq!(
                alertable::wait_one(&event, None, Alertable::No),
                Ok(WaitStatus::Signaled(0))
            );
            set_block_observer(None).is_some()
        })
    };
    rx.recv().unwrap();
    // The worker announces its block before it parks; wait for that, then release it.
    while counts.blocking.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    event.set();
    assert!(worker.join().unwrap(), "the observer was still installed");
    // A spurious wake-up may add a pair; the two sides always match.
    let blocked = counts.blocking.load(Ordering::SeqCst);
    assert!(blocked >= 1);
    assert_eq!(counts.unblocked.load(Ordering::SeqCst), blocked);
}

/// `sleep_ex` blocks through the same park and is reported too.
#[test]
fn alertable_sleep_is_reported() {
    let counts = Arc::new(Counts::default());
    set_block_observer(Some(counts.clone()));
    let me = alertable::current();
    let (tx, rx) = mpsc::channel::<()>();
    let waker = std::thread::spawn(move || {
        rx.recv().unwrap();
        me.queue_apc(|| {}).unwrap();
    });
    tx.send(()).unwrap();
    assert_eq!(
        alertable::sleep_ex(None, Alertable::Yes),
        alertable::SleepStatus::Alerted
    );
    waker.join().unwrap();
    set_block_observer(None);
    // The APC may have been queued before the sleep parked: then nothing blocked.
    assert_eq!(
        counts.blocking.load(Ordering::SeqCst),
        counts.unblocked.load(Ordering::SeqCst)
    );
}

/// A non-alertable `sleep_ex` blocks too, and is reported.
#[test]
fn plain_sleep_is_reported() {
    let counts = Arc::new(Counts::default());
    set_block_observer(Some(counts.clone()));
    assert_eq!(
        alertable::sleep_ex(Some(Duration::from_millis(1)), Alertable::No),
        alertable::SleepStatus::Elapsed
    );
    set_block_observer(None);
    assert_eq!(counts.blocking.load(Ordering::SeqCst), 1);
    assert_eq!(counts.unblocked.load(Ordering::SeqCst), 1);
}

static DEFERRED_RUNS: AtomicUsize = AtomicUsize::new(0);

fn count_deferred() {
    DEFERRED_RUNS.fetch_add(1, Ordering::SeqCst);
}

/// Work deferred from an APC runs once when the drain ends, not while the APCs behind it
/// run; outside a drain nothing is deferred.
#[test]
fn deferred_work_runs_at_the_end_of_the_drain() {
    let before = DEFERRED_RUNS.load(Ordering::SeqCst);
    assert!(!alertable::defer_until_drained(count_deferred));
    let me = alertable::current();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    for _ in 0..3 {
        let seen = seen.clone();
        me.queue_apc(move || {
            assert!(alertable::defer_until_drained(count_deferred));
            seen.lock()
                .unwrap()
                .push(DEFERRED_RUNS.load(Ordering::SeqCst) - before);
        })
        .unwrap();
    }
    assert_eq!(
        alertable::sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        alertable::SleepStatus::Alerted
    );
    assert_eq!(
        *seen.lock().unwrap(),
        [0, 0, 0],
        "nothing ran during the drain"
    );
    assert_eq!(
        DEFERRED_RUNS.load(Ordering::SeqCst) - before,
        1,
        "once, at its end"
    );
}

/// An APC that blocks runs the deferred work first: what it waits for may depend on it.
#[test]
fn deferred_work_runs_before_an_apc_blocks() {
    let event = Event::new(EventReset::Manual, false);
    let me = alertable::current();
    let (tx, rx) = mpsc::channel();
    {
        let event = event.clone();
        me.queue_apc(move || {
            assert!(alertable::defer_until_drained(signal_deferred));
            // Blocks until the deferred work sets the event.
            let status = alertable::wait_one(&event, Some(Duration::from_secs(20)), Alertable::No);
            tx.send(status).unwrap();
        })
        .unwrap();
    }
    DEFERRED_EVENT.with(|slot| *slot.borrow_mut() = Some(event));
    alertable::sleep_ex(Some(Duration::ZERO), Alertable::Yes);
    assert_eq!(rx.recv().unwrap(), Ok(WaitStatus::Signaled(0)));
}

thread_local!(static DEFERRED_EVENT: std::cell::RefCell<Option<Event>> =
    const { std::cell::RefCell::new(None) });

fn signal_deferred() {
    DEFERRED_EVENT.with(|slot| slot.borrow().as_ref().unwrap().set());
}

thread_local!(static QUEUED_BY_DEFERRED: std::cell::Cell<usize> =
    const { std::cell::Cell::new(0) });

/// Deferred work that queues an APC to its own thread, as the I/O crate's does when a
/// request it submits completes at once.
fn queue_from_deferred() {
    alertable::current()
        .queue_apc(|| QUEUED_BY_DEFERRED.set(QUEUED_BY_DEFERRED.get() + 1))
        .unwrap();
}

/// B23: an APC queued by the work deferred to the end of a drain runs in that same drain,
/// like any APC queued while the drain is under way: one alertable wait runs both, and the
/// next finds nothing.
#[test]
fn apcs_the_deferred_work_queues_run_in_the_same_drain() {
    alertable::current()
        .queue_apc(|| assert!(alertable::defer_until_drained(queue_from_deferred)))
        .unwrap();
    assert_eq!(
        alertable::sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        alertable::SleepStatus::Alerted
    );
    assert_eq!(QUEUED_BY_DEFERRED.get(), 1, "ran in the same wait");
    assert_eq!(
        alertable::sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        alertable::SleepStatus::Elapsed
    );
}

/// A park that sleeps is reported to the thread's block observer, as an object wait is
/// (a completion port counts its running threads with it); one that finds its flag
/// raised is not.
#[test]
fn a_park_that_sleeps_is_reported_to_the_block_observer() {
    let counts = Arc::new(Counts::default());
    let previous = set_block_observer(Some(counts.clone()));
    let unparker = Unparker::current();
    let after = |d: Duration| Some(std::time::Instant::now() + d);
    assert_eq!(
        park_until(
            &unparker,
            &|| true,
            after(Duration::from_secs(60)),
            Alertable::No
        ),
        Woken::Ready
    );
    assert_eq!(counts.blocking.load(Ordering::SeqCst), 0);
    assert_eq!(
        park_until(
            &unparker,
            &|| false,
            after(Duration::from_millis(20)),
            Alertable::No
        ),
        Woken::TimedOut
    );
    set_block_observer(previous);
    assert!(counts.blocking.load(Ordering::SeqCst) >= 1);
    assert_eq!(
        counts.blocking.load(Ordering::SeqCst),
        counts.unblocked.load(Ordering::SeqCst)
    );
}
