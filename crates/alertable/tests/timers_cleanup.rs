//! The process timer service leaves nothing behind: a timer whose last handle is dropped
//! leaves its queue (as closing the last handle of a Win32 timer cancels it), and armed
//! then cancelled, re-armed or fired timers leave no entries.
//!
//! [`armed_timers`] counts the entries of the whole process, so this binary holds only
//! these tests, run one at a time (see [`serial`]), and no other test can arm a timer
//! meanwhile.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use alertable::{
    Alertable, DueTime, TimerReset, WaitStatus, WaitableTimer, armed_timers, sleep_ex, wait_one,
};

const LONG: Option<Duration> = Some(Duration::from_secs(60));

/// Holds the tests of this binary to one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    // A failed test fails on its own; the others may still run.
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits, polling, until the service holds `expected` entries; fails after a minute.
fn until_armed(expected: usize) {
    let start = Instant::now();
    while armed_timers() != expected {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} entries armed, expected {expected}",
            armed_timers()
        );
        sleep_ex(Some(Duration::from_millis(1)), Alertable::No);
    }
}

/// Dropping the last handle of an armed timer takes it out of the service at once, for
/// every kind, both clocks, with and without a period and a routine; a remaining clone
/// keeps it armed. A periodic timer whose last handle goes while it is firing leaves too.
#[test]
fn dropping_the_last_handle_of_an_armed_timer_removes_it() {
    let _serial = serial();
    let before = armed_timers();
    let hour = Duration::from_secs(3600);
    for reset in [TimerReset::Manual, TimerReset::Synchronization] {
        for due in [DueTime::After(hour), DueTime::At(SystemTime::now() + hour)] {
            for period in [None, Some(Duration::from_secs(1))] {
                for routine in [false, true] {
                    let what = format!("{reset:?}, {due:?}, {period:?}, routine: {routine}");
                    let timer = WaitableTimer::new(reset);
                    if routine {
                        timer.set_with_routine(due, period, |_| {});
                    } else {
                        timer.set(due, period);
                    }
                    assert_eq!(armed_timers(), before + 1, "{what}: armed");
                    let clone = timer.clone();
                    drop(timer);
                    assert_eq!(armed_timers(), before + 1, "{what}: a clone is left");
                    drop(clone);
                    assert_eq!(armed_timers(), before, "{what}: the last handle is gone");
                }
            }
        }
    }

    // The service may be firing the timer as its last handle goes; then the service's
    // own reference is the last, and its drop takes the entry out.
    let timer = WaitableTimer::new(TimerReset::Synchronization);
    timer.set(
        DueTime::After(Duration::ZERO),
        Some(Duration::from_millis(1)),
    );
    for _ in 0..3 {
        assert_eq!(
            wait_one(&timer, LONG, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
    }
    drop(timer);
    until_armed(before);
}

/// Arming 100 000 timers adds 100 000 entries; cancelling them leaves none. Re-arming one
/// timer 100 000 times keeps one entry. One-shot timers that fired leave none.
#[test]
fn arming_then_cancelling_100_000_timers_leaves_nothing_behind() {
    const N: usize = 100_000;
    let _serial = serial();
    let before = armed_timers();
    let hour = Duration::from_secs(3600);
    let later = SystemTime::now() + hour;
    let timers: Vec<WaitableTimer> = (0..N)
        .map(|i| {
            let nanos = Duration::from_nanos(i as u64);
            let (reset, due) = if i % 2 == 0 {
                (TimerReset::Manual, DueTime::After(hour + nanos))
            } else {
                (TimerReset::Synchronization, DueTime::At(later + nanos))
            };
            let timer = WaitableTimer::new(reset);
            timer.set(due, None);
            timer
        })
        .collect();
    assert_eq!(armed_timers(), before + N);
    for timer in &timers {
        timer.cancel();
    }
    assert_eq!(armed_timers(), before, "cancelled timers left entries");
    drop(timers);
    assert_eq!(armed_timers(), before);

    let timer = WaitableTimer::new(TimerReset::Manual);
    for i in 0..N {
        let nanos = Duration::from_nanos(i as u64);
        if i % 2 == 0 {
            timer.set(DueTime::After(hour - nanos), None);
        } else {
            timer.set(DueTime::At(later - nanos), None);
        }
    }
    assert_eq!(armed_timers(), before + 1, "re-arming left entries");
    timer.cancel();
    assert_eq!(armed_timers(), before);

    // A one-shot timer leaves the queue when it fires, before it is signaled.
    let fired: Vec<WaitableTimer> = (0..1000)
        .map(|i| {
            let timer = WaitableTimer::new(TimerReset::Manual);
            let due = if i % 2 == 0 {
                DueTime::After(Duration::ZERO)
            } else {
                DueTime::At(SystemTime::UNIX_EPOCH)
            };
            timer.set(due, None);
            timer
        })
        .collect();
    for timer in &fired {
        assert_eq!(
            wait_one(timer, LONG, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
    }
    assert_eq!(armed_timers(), before, "fired timers left entries");
}

/// M145: a thread's exit takes the timers it armed with a routine out of the service at
/// once — all of them, whichever clock — and leaves those it armed without one, and one
/// that another thread re-armed since, where they are.
#[test]
fn a_setters_exit_disarms_the_timers_it_set_with_a_routine() {
    let _serial = serial();
    let before = armed_timers();
    let hour = Duration::from_secs(3600);
    let with: Vec<WaitableTimer> = (0..10)
        .map(|_| WaitableTimer::new(TimerReset::Manual))
        .collect();
    let without = WaitableTimer::new(TimerReset::Manual);
    let taken_over = WaitableTimer::new(TimerReset::Manual);
    let (armed, all_armed) = std::sync::mpsc::channel();
    let (go_on, may_exit) = std::sync::mpsc::channel::<()>();
    let setter = {
        let (with, without, taken_over) = (with.clone(), without.clone(), taken_over.clone());
        alertable::spawn(move || {
            for (i, timer) in with.iter().enumerate() {
                let due = if i % 2 == 0 {
                    DueTime::After(hour)
                } else {
                    DueTime::At(SystemTime::now() + hour)
                };
                // Armed twice: the second setting replaces the first.
                timer.set_with_routine(due, None, |_| {});
                timer.set_with_routine(due, Some(hour), |_| {});
            }
            without.set(DueTime::After(hour), None);
            taken_over.set_with_routine(DueTime::After(hour), None, |_| {});
            armed.send(()).unwrap();
            may_exit.recv().unwrap();
        })
        .unwrap()
    };
    all_armed.recv().unwrap();
    assert_eq!(armed_timers(), before + 12);
    // Re-armed here, with a routine for this thread: the setter's exit leaves it alone.
    taken_over.set_with_routine(DueTime::After(hour), None, |_| {});
    go_on.send(()).unwrap();
    setter.join().unwrap();
    assert_eq!(
        armed_timers(),
        before + 2,
        "the exit left timers armed with its routines, or took others"
    );
    drop(with);
    without.cancel();
    taken_over.cancel();
    assert_eq!(armed_timers(), before);
}
