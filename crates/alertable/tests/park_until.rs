//! The parker-level wait that a completion port's getter sleeps in (`park_until`, with an
//! `Unparker`): an object wait without the object. It keeps the order of an object wait
//! (what it waits for first, then APCs, then the clock: spec D W4, B19, B20), leaves
//! thread alerts to the next alertable wait (B41), and tolerates an unpark that comes with
//! nothing to see. Its block reports are tested with the other observer tests
//! (`block_observer.rs`).

#![allow(clippy::disallowed_types)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use alertable::{
    Alertable, SleepStatus, Unparker, Woken, alert_thread, park_until, sleep_ex, take_alert,
};

mod common;

use common::{bump, counter, wait_until_blocked};

/// A deadline no test reaches unless the park is lost.
fn far() -> Option<Instant> {
    Some(Instant::now() + Duration::from_secs(60))
}

/// A deadline a test waits out on purpose.
fn soon() -> Option<Instant> {
    Some(Instant::now() + Duration::from_millis(20))
}

/// Another thread that, once this thread is asleep, runs `then`.
fn once_asleep(then: impl FnOnce() + Send + 'static) -> std::thread::JoinHandle<()> {
    let tid = alertable::current().id();
    std::thread::spawn(move || {
        wait_until_blocked(tid);
        then();
    })
}

/// A flag raised and unparked by another thread while this one sleeps ends the park.
#[test]
fn a_flag_raised_then_unparked_ends_the_park() {
    let flag = Arc::new(AtomicBool::new(false));
    let unparker = Unparker::current();
    let helper = {
        let (flag, unparker) = (flag.clone(), unparker.clone());
        once_asleep(move || {
            flag.store(true, Ordering::Release);
            unparker.unpark();
        })
    };
    let ready = || flag.load(Ordering::Acquire);
    assert_eq!(
        park_until(&unparker, &ready, far(), Alertable::No),
        Woken::Ready
    );
    helper.join().unwrap();
}

/// An unpark with nothing to see leaves a token that ends one park at once; the park
/// checks again and sleeps on until its deadline.
#[test]
fn an_unpark_with_nothing_to_see_is_tolerated() {
    let unparker = Unparker::current();
    unparker.unpark();
    unparker.unpark();
    let start = Instant::now();
    assert_eq!(
        park_until(&unparker, &|| false, soon(), Alertable::No),
        Woken::TimedOut
    );
    assert!(start.elapsed() >= Duration::from_millis(20), "never early");
}

/// The APC counted by `ran` has not run yet, and runs at the next alertable wait.
fn runs_at_the_next_alertable_wait(ran: &AtomicUsize) {
    assert_eq!(ran.load(Ordering::SeqCst), 0, "not run by the park");
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Alerted
    );
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

/// W4: what the park waits for comes before APCs; the APCs stay queued for the next
/// alertable wait.
#[test]
fn w4_what_is_ready_comes_before_pending_apcs() {
    let ran = counter();
    alertable::current().queue_apc(bump(&ran)).unwrap();
    let unparker = Unparker::current();
    assert_eq!(
        park_until(&unparker, &|| true, far(), Alertable::Yes),
        Woken::Ready
    );
    runs_at_the_next_alertable_wait(&ran);
}

/// B20: an APC queued while an alertable park sleeps runs, and ends the park with
/// `Alerted`.
#[test]
fn b20_an_apc_ends_an_alertable_park() {
    let ran = counter();
    let me = alertable::current();
    let helper = {
        let apc = bump(&ran);
        once_asleep(move || me.queue_apc(apc).unwrap())
    };
    let unparker = Unparker::current();
    assert_eq!(
        park_until(&unparker, &|| false, far(), Alertable::Yes),
        Woken::Alerted
    );
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    helper.join().unwrap();
}

/// B19: a park that is not alertable sleeps through an APC, which stays queued, also when
/// it wakes for nothing meanwhile and looks again.
#[test]
fn b19_a_park_that_is_not_alertable_sleeps_through_an_apc() {
    let ran = counter();
    let flag = Arc::new(AtomicBool::new(false));
    let me = alertable::current();
    let unparker = Unparker::current();
    let helper = {
        let (apc, flag, unparker) = (bump(&ran), flag.clone(), unparker.clone());
        let tid = me.id();
        once_asleep(move || {
            me.queue_apc(apc).unwrap();
            // A wake-up with nothing to see: the park looks again, and must leave the APC.
            unparker.unpark();
            wait_until_blocked(tid);
            flag.store(true, Ordering::Release);
            unparker.unpark();
        })
    };
    let ready = || flag.load(Ordering::Acquire);
    assert_eq!(
        park_until(&unparker, &ready, far(), Alertable::No),
        Woken::Ready
    );
    helper.join().unwrap();
    runs_at_the_next_alertable_wait(&ran);
}

/// Counts the blocking parks of its thread.
struct Blocks(AtomicUsize);

impl alertable::BlockObserver for Blocks {
    fn blocking(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn unblocked(&self) {}
}

/// B41: a thread alert is not the park's business: it waits on — asleep, not looping on
/// the alert — and the alert stays pending for the thread's next alertable wait.
#[test]
fn b41_a_thread_alert_stays_pending() {
    alert_thread(&alertable::current());
    let blocks = Arc::new(Blocks(AtomicUsize::new(0)));
    let previous = alertable::set_block_observer(Some(blocks.clone()));
    let unparker = Unparker::current();
    assert_eq!(
        park_until(&unparker, &|| false, soon(), Alertable::Yes),
        Woken::TimedOut
    );
    alertable::set_block_observer(previous);
    // The alert's own wake-up ends one sleep; the rest of the time is one more.
    let parks = blocks.0.load(Ordering::SeqCst);
    assert!((1..=3).contains(&parks), "parked {parks} times");
    assert!(take_alert(), "the alert is still pending");
}

/// An unparker is its thread's: another thread's is not current there.
#[test]
fn an_unparker_is_current_only_on_its_thread() {
    let mine = Unparker::current();
    assert!(mine.is_current());
    let theirs = std::thread::spawn(Unparker::current).join().unwrap();
    assert!(!theirs.is_current());
}

/// P1: a thread parks only on its own parker; another thread's unparker is refused.
#[test]
#[should_panic(expected = "park_until needs the calling thread's unparker")]
fn another_threads_unparker_is_refused() {
    let theirs = std::thread::spawn(Unparker::current).join().unwrap();
    park_until(&theirs, &|| false, soon(), Alertable::No);
}
