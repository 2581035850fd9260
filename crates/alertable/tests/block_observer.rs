//! The hidden block-observer hook that completion ports count running threads with.

#![allow(clippy::disallowed_types)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use alertable::{Alertable, BlockObserver, Event, EventReset, WaitStatus, set_block_observer};

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
