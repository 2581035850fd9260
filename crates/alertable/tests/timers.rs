//! Spec section M, waitable timers: due-time forms (M137), periodic synchronization timers
//! (M139), completion-routine delivery (M140), at most one undelivered call (M141),
//! cancelling and re-arming (M142), periodic manual-reset timers (M144) and a setting
//! thread that exits (M145); with the signaled-state rules of both timer kinds.
//!
//! M138 (clock changes) needs the right to set the system clock and is not tested here;
//! M143, M146 and M147 have no counterpart in the API (no resume flag, no wake context, and
//! the timer kind is an enum). The clean-up of the process timer service is tested in
//! `timers_cleanup.rs`, a binary of its own, because it counts entries shared by every
//! timer of the process.
//!
//! Timing assertions are lower bounds on elapsed time ("not before"), orders and counts;
//! an upper bound, where there is one, is several seconds. Tests that need threads to be
//! *inside* their waits before a timer fires use a probe object (see [`Probe`]): a wait
//! links itself onto its objects in order, under one hold of the dispatcher lock, so once
//! the probe at the end of the list reports that it was linked, the waiter is linked on
//! the timer before it. A firing timer satisfies its oldest linked waiter under that same
//! lock, so with waiters linked, every expiry is counted by exactly one release.
//!
//! Tests with completion routines run on threads of their own, so that no call is left
//! queued to a thread another test may run on.

use std::panic;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime};

use alertable::{
    Alertable, DueTime, Event, EventReset, SleepStatus, TimerReset, WaitStatus, WaitableTimer,
    signal_and_wait, sleep_ex, wait_all, wait_any, wait_one,
};

mod common;

use common::{LONG, POLL, Probe, recv};

/// "At once", as generously as a loaded machine needs.
const SOON: Option<Duration> = Some(Duration::from_secs(10));
/// A due time no test waits for.
const HOUR: DueTime = DueTime::After(Duration::from_secs(3600));

const BOTH_KINDS: [TimerReset; 2] = [TimerReset::Manual, TimerReset::Synchronization];

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs `f` on a new thread with an APC queue, and returns what it returned (or resumes
/// its panic here).
fn on_worker<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    alertable::spawn(f)
        .expect("the worker thread starts")
        .join()
        .unwrap_or_else(|payload| panic::resume_unwind(payload))
}

/// One call of a completion routine, as the routine saw it.
#[derive(Debug, Clone, Copy)]
struct Call {
    /// The id of the thread it ran on.
    thread: u64,
    /// The fire time it was given.
    fired: SystemTime,
}

/// The calls of a completion routine, shared with the routine.
#[derive(Debug, Clone, Default)]
struct Calls(Arc<Mutex<Vec<Call>>>);

impl Calls {
    /// A routine that records its calls here.
    fn routine(&self) -> impl FnMut(SystemTime) + Send + 'static {
        let calls = self.clone();
        move |fired| {
            let thread = alertable::current().id();
            calls.0.lock().unwrap().push(Call { thread, fired });
        }
    }

    fn all(&self) -> Vec<Call> {
        self.0.lock().unwrap().clone()
    }

    fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// Captured by a routine to tell when the routine is dropped: it holds an `Arc` whose
/// strong count falls back to 1, and then reports on a channel.
struct Token {
    alive: Option<Arc<()>>,
    dropped: mpsc::Sender<()>,
}

impl Token {
    /// Returns the token, the `Arc` it holds a clone of, and the channel its drop reports on.
    fn new() -> (Self, Arc<()>, mpsc::Receiver<()>) {
        let alive = Arc::new(());
        let (dropped, on_drop) = mpsc::channel();
        let token = Self {
            alive: Some(alive.clone()),
            dropped,
        };
        (token, alive, on_drop)
    }

    /// Makes a closure capture the token.
    fn keep(&self) {}
}

impl Drop for Token {
    fn drop(&mut self) {
        // The count falls before the report, so a receiver sees it fallen.
        drop(self.alive.take());
        let _ = self.dropped.send(());
    }
}

/// What a blocked waiter reports: its index, its wait's result, and when the wait returned.
type Released = (usize, WaitStatus, Instant);

/// Starts `n` threads blocked on `timer` (each linked before the next starts); each sends
/// a [`Released`] when its wait returns.
fn blocked_waiters(
    timer: &WaitableTimer,
    n: usize,
) -> (Vec<alertable::JoinHandle<()>>, mpsc::Receiver<Released>) {
    let (tx, rx) = mpsc::channel();
    let waiters = (0..n)
        .map(|i| {
            let (probe, linked) = Probe::new(false);
            let (timer, tx) = (timer.clone(), tx.clone());
            let waiter = alertable::spawn(move || {
                let status = wait_any(&[&timer, &probe], LONG, Alertable::No).unwrap();
                tx.send((i, status, Instant::now())).unwrap();
            })
            .unwrap();
            linked.wait();
            waiter
        })
        .collect();
    (waiters, rx)
}

// ---------------------------------------------------------------------------------------
// The two kinds: signaled state.

/// A new timer is not signaled, and a due time past the end of the monotonic clock never
/// comes.
#[test]
fn unarmed_and_never_due_timers_are_not_signaled() {
    for reset in BOTH_KINDS {
        let timer = WaitableTimer::new(reset);
        assert!(!timer.is_signaled(), "{reset:?}: created non-signaled");
        assert_eq!(
            wait_one(&timer, POLL, Alertable::No),
            Ok(WaitStatus::TimedOut)
        );
        timer.set(DueTime::After(Duration::MAX), None);
        assert_eq!(
            wait_one(&timer, Some(ms(20)), Alertable::No),
            Ok(WaitStatus::TimedOut),
            "{reset:?}: a due time past the end of the clock fired"
        );
        assert!(!timer.is_signaled());
        timer.cancel();
    }
}

/// A manual-reset (notification) timer stays signaled through any number of waits, and
/// for every clone, until it is set again (M142: setting resets the state).
#[test]
fn manual_timer_stays_signaled_until_set_again() {
    let timer = WaitableTimer::new(TimerReset::Manual);
    timer.set(DueTime::After(ms(5)), None);
    assert_eq!(
        wait_one(&timer, LONG, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    let clone = timer.clone();
    for _ in 0..5 {
        assert_eq!(
            wait_one(&clone, POLL, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        assert_eq!(
            wait_any(&[&timer], POLL, Alertable::Yes),
            Ok(WaitStatus::Signaled(0))
        );
        assert_eq!(
            wait_all(&[&timer], POLL, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        assert!(timer.is_signaled());
    }
    timer.set(HOUR, None);
    assert!(!timer.is_signaled(), "setting the timer again resets it");
    assert_eq!(
        wait_one(&timer, POLL, Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
    timer.cancel();
}

/// A manual-reset timer's expiry releases every blocked waiter, and stays signaled.
#[test]
fn manual_timer_releases_every_waiter() {
    let timer = WaitableTimer::new(TimerReset::Manual);
    let (waiters, rx) = blocked_waiters(&timer, 3);
    timer.set(DueTime::After(ms(1)), None);
    for _ in 0..3 {
        assert_eq!(recv(&rx).1, WaitStatus::Signaled(0));
    }
    assert!(timer.is_signaled());
    for w in waiters {
        w.join().unwrap();
    }
}

/// A synchronization timer's expiry releases one blocked waiter and leaves the timer
/// non-signaled; the next expiry releases the next waiter.
#[test]
fn synchronization_timer_releases_one_waiter_per_expiry() {
    let timer = WaitableTimer::new(TimerReset::Synchronization);
    let (waiters, rx) = blocked_waiters(&timer, 2);
    let mut released = Vec::new();
    for round in 1..=2 {
        timer.set(DueTime::After(ms(1)), None);
        let (i, status, _) = recv(&rx);
        assert_eq!(status, WaitStatus::Signaled(0), "round {round}");
        assert!(
            !timer.is_signaled(),
            "round {round}: the released waiter consumed the signal"
        );
        if round == 1 {
            // Can only miss a second release on a slow machine, never invent one.
            assert!(
                rx.recv_timeout(ms(50)).is_err(),
                "one expiry released two waiters"
            );
        }
        released.push(i);
    }
    for w in waiters {
        w.join().unwrap();
    }
    released.sort_unstable();
    assert_eq!(released, [0, 1], "each waiter was released once");
    assert!(rx.try_recv().is_err());
}

/// A synchronization timer that fired with nobody waiting stays signaled until one wait
/// takes the signal.
#[test]
fn synchronization_timer_signal_is_taken_by_one_wait() {
    let timer = WaitableTimer::new(TimerReset::Synchronization);
    timer.set(DueTime::After(ms(1)), None);
    assert_eq!(
        wait_one(&timer, LONG, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert!(!timer.is_signaled());
    assert_eq!(
        wait_one(&timer, POLL, Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
}

// ---------------------------------------------------------------------------------------
// M137: due-time forms.

/// M137: a relative due time fires, and not before it is due (on the monotonic clock).
#[test]
fn m137_relative_due_time_fires_not_before_it() {
    for reset in BOTH_KINDS {
        let due = ms(50);
        let timer = WaitableTimer::new(reset);
        let armed = Instant::now();
        timer.set(DueTime::After(due), None);
        assert_eq!(
            wait_one(&timer, LONG, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        let waited = armed.elapsed();
        assert!(
            waited >= due,
            "{reset:?}: fired after {waited:?} of {due:?}"
        );
    }
}

/// M137: an absolute due time (`DueTime::At`, positive in Win32) fires, and not before the
/// wall clock reads it.
#[test]
fn m137_absolute_due_time_fires_not_before_it() {
    for reset in BOTH_KINDS {
        let timer = WaitableTimer::new(reset);
        let due = SystemTime::now() + ms(50);
        timer.set(DueTime::At(due), None);
        assert_eq!(
            wait_one(&timer, LONG, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        let now = SystemTime::now();
        assert!(
            now >= due,
            "{reset:?}: fired {:?} early",
            due.duration_since(now)
        );
    }
}

/// M137: an absolute due time in the past, a zero relative one, and "now", fire at once.
#[test]
fn m137_due_times_in_the_past_fire_at_once() {
    let now = SystemTime::now();
    let dues = [
        DueTime::At(now - Duration::from_secs(3600)),
        DueTime::At(SystemTime::UNIX_EPOCH),
        DueTime::At(now),
        DueTime::After(Duration::ZERO),
    ];
    for due in dues {
        for reset in BOTH_KINDS {
            let timer = WaitableTimer::new(reset);
            timer.set(due, None);
            assert_eq!(
                wait_one(&timer, SOON, Alertable::No),
                Ok(WaitStatus::Signaled(0)),
                "{reset:?}, {due:?}"
            );
        }
    }
}

/// M137: both forms are accepted with a period.
#[test]
fn m137_both_due_time_forms_accept_a_period() {
    let dues = [
        DueTime::At(SystemTime::now() - Duration::from_secs(1)),
        DueTime::At(SystemTime::now() + ms(5)),
        DueTime::After(Duration::ZERO),
        DueTime::After(ms(5)),
    ];
    for due in dues {
        let timer = WaitableTimer::new(TimerReset::Synchronization);
        timer.set(due, Some(ms(5)));
        for n in 0..3 {
            assert_eq!(
                wait_one(&timer, LONG, Alertable::No),
                Ok(WaitStatus::Signaled(0)),
                "{due:?}, expiry {n}"
            );
        }
        timer.cancel();
    }
}

// ---------------------------------------------------------------------------------------
// M139: periodic synchronization timers.

/// M139: a periodic synchronization timer due at once: the first wait returns at once, and
/// the n-th wait after it returns no earlier than n periods after arming.
#[test]
fn m139_periodic_synchronization_timer_nth_wait_not_before_n_periods() {
    let period = ms(30);
    let timer = WaitableTimer::new(TimerReset::Synchronization);
    let armed = Instant::now();
    timer.set(DueTime::After(Duration::ZERO), Some(period));
    assert_eq!(
        wait_one(&timer, SOON, Alertable::No),
        Ok(WaitStatus::Signaled(0)),
        "the first expiry is immediate"
    );
    for n in 1..=5u32 {
        assert_eq!(
            wait_one(&timer, LONG, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        let waited = armed.elapsed();
        assert!(
            waited >= period * n,
            "wait {n} returned after {waited:?}, before {n} periods"
        );
    }
    timer.cancel();
}

/// M139: with waiters already blocked, each expiry releases exactly one of them, and the
/// k-th release comes no earlier than k periods after arming.
#[test]
fn m139_each_period_releases_one_blocked_waiter() {
    let period = ms(25);
    let timer = WaitableTimer::new(TimerReset::Synchronization);
    let (waiters, rx) = blocked_waiters(&timer, 4);
    let armed = Instant::now();
    timer.set(DueTime::After(period), Some(period));
    let mut returned: Vec<Instant> = (0..4)
        .map(|_| {
            let (i, status, at) = recv(&rx);
            assert_eq!(status, WaitStatus::Signaled(0), "waiter {i}");
            at
        })
        .collect();
    timer.cancel();
    for w in waiters {
        w.join().unwrap();
    }
    returned.sort_unstable();
    for (k, at) in (1..).zip(&returned) {
        let after = at.duration_since(armed);
        assert!(
            after >= period * k,
            "release {k} came {after:?} after arming, before {k} periods"
        );
    }
}

/// M139: a periodic timer does not drift. Each due time is counted from the previous due
/// time, not from when the previous expiry was served, so the k-th expiry is never before
/// k periods after arming, and 2000 expiries of a 1 ms timer take about 2 s. A waiter that
/// falls behind loses expiries (they coalesce into one signal), which only makes each
/// wait later; so the upper bound is a generous one, which catches a period that is
/// ignored or badly scaled rather than small drift.
#[test]
fn m139_periodic_timer_keeps_to_its_period() {
    const N: u32 = 2000;
    let period = ms(1);
    let timer = WaitableTimer::new(TimerReset::Synchronization);
    let mut returned = Vec::with_capacity(N as usize);
    let armed = Instant::now();
    timer.set(DueTime::After(period), Some(period));
    for _ in 0..N {
        assert_eq!(
            wait_one(&timer, LONG, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        returned.push(Instant::now());
    }
    timer.cancel();
    for (k, at) in (1..).zip(&returned) {
        let after = at.duration_since(armed);
        assert!(
            after >= period * k,
            "wait {k} returned {after:?} after arming, before {k} periods"
        );
    }
    let total = returned[returned.len() - 1].duration_since(armed);
    assert!(
        total <= period * N + Duration::from_secs(20),
        "{N} periods of {period:?} took {total:?}"
    );
}

/// M137, M139: an absolute due time far in the past with a period fires once at once,
/// then once per period: the periods that passed before arming coalesce into that one
/// expiry. With three waiters blocked on a synchronization timer (each expiry releases
/// one), the third release comes no earlier than one period after arming.
#[test]
fn m139_absolute_due_time_far_in_the_past_fires_once_then_per_period() {
    let period = ms(100);
    let timer = WaitableTimer::new(TimerReset::Synchronization);
    let (waiters, rx) = blocked_waiters(&timer, 3);
    let armed = Instant::now();
    timer.set(DueTime::At(SystemTime::UNIX_EPOCH), Some(period));
    let mut returned: Vec<Instant> = (0..3).map(|_| recv(&rx).2).collect();
    timer.cancel();
    for w in waiters {
        w.join().unwrap();
    }
    returned.sort_unstable();
    // The periods are on the wall clock and the measure on the monotonic one: allow for
    // a rate adjustment of the wall clock.
    let third = returned[2].duration_since(armed);
    assert!(
        third >= period - ms(5),
        "three expiries within {third:?} of arming, with a {period:?} period"
    );
}

// ---------------------------------------------------------------------------------------
// M140: completion routines.

/// M140: the routine is queued to the thread that set the timer and runs only in its
/// alertable wait. The timer is signaled independently: a non-alertable wait on it
/// returns 0 with the routine not run, and so does an alertable wait on it while it is
/// signaled (a signaled object beats a pending APC, B31); the next alertable wait runs the
/// routine, once, and returns `Alerted` (192). The routine gets the wall-clock time the
/// timer fired.
#[test]
fn m140_routine_runs_only_in_an_alertable_wait_of_the_setting_thread() {
    on_worker(|| {
        let me = alertable::current().id();
        let calls = Calls::default();
        let timer = WaitableTimer::new(TimerReset::Manual);
        let armed = SystemTime::now();
        timer.set_with_routine(DueTime::After(ms(10)), None, calls.routine());
        assert_eq!(
            wait_one(&timer, LONG, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        assert_eq!(calls.count(), 0, "the routine ran in a non-alertable wait");
        assert_eq!(
            wait_one(&timer, POLL, Alertable::Yes),
            Ok(WaitStatus::Signaled(0)),
            "the signaled timer beats its routine"
        );
        assert_eq!(calls.count(), 0);
        let status = sleep_ex(None, Alertable::Yes);
        let now = SystemTime::now();
        assert_eq!(status, SleepStatus::Alerted);
        assert_eq!(status.as_win32(), 192);
        let all = calls.all();
        assert_eq!(all.len(), 1, "the routine ran once");
        assert_eq!(all[0].thread, me, "the routine ran on the setting thread");
        let fired = all[0].fired;
        assert!(
            fired >= armed - Duration::from_secs(1) && fired <= now,
            "fire time {fired:?}, armed at {armed:?}, routine done by {now:?}"
        );
        assert_eq!(
            sleep_ex(POLL, Alertable::Yes),
            SleepStatus::Elapsed,
            "nothing else was queued"
        );
    });
}

/// M140: the routine goes to the setting thread only: another thread's alertable waits,
/// on the timer or not, never run it; the setting thread's next alertable wait does.
#[test]
fn m140_routine_is_delivered_to_the_setting_thread_only() {
    let calls = Calls::default();
    let timer = WaitableTimer::new(TimerReset::Manual);
    let (armed, is_armed) = mpsc::channel();
    let (go, may_go) = mpsc::channel::<()>();
    let setter = {
        let (calls, timer) = (calls.clone(), timer.clone());
        alertable::spawn(move || {
            timer.set_with_routine(DueTime::After(ms(5)), None, calls.routine());
            armed.send(()).unwrap();
            // Not alertable while the other thread waits.
            may_go.recv().unwrap();
            sleep_ex(None, Alertable::Yes)
        })
        .unwrap()
    };
    let setter_id = setter.thread().id();
    recv(&is_armed);
    let observer = {
        let timer = timer.clone();
        alertable::spawn(move || {
            let on_timer = wait_one(&timer, LONG, Alertable::Yes);
            let after = sleep_ex(POLL, Alertable::Yes);
            (on_timer, after)
        })
        .unwrap()
    };
    let (on_timer, after) = observer.join().unwrap();
    assert_eq!(on_timer, Ok(WaitStatus::Signaled(0)));
    assert_eq!(
        after,
        SleepStatus::Elapsed,
        "another thread got the routine"
    );
    assert_eq!(calls.count(), 0);
    go.send(()).unwrap();
    assert_eq!(setter.join().unwrap(), SleepStatus::Alerted);
    let all = calls.all();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].thread, setter_id);
}

/// M140: any alertable wait of the setting thread runs the routine, not only waits on the
/// timer: `sleep_ex`, and `wait_one`, `wait_any`, `wait_all` and `signal_and_wait` on
/// unrelated events that never become signaled; each returns `Alerted`.
#[test]
fn m140_routine_runs_in_any_alertable_wait() {
    on_worker(|| {
        let calls = Calls::default();
        let timer = WaitableTimer::new(TimerReset::Synchronization);
        let arm = || timer.set_with_routine(DueTime::After(ms(1)), None, calls.routine());
        let (a, b) = (
            Event::new(EventReset::Manual, false),
            Event::new(EventReset::Manual, false),
        );
        let other = Event::new(EventReset::Manual, false);

        arm();
        assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
        assert_eq!(calls.count(), 1, "sleep_ex");
        arm();
        assert_eq!(wait_one(&a, LONG, Alertable::Yes), Ok(WaitStatus::Alerted));
        assert_eq!(calls.count(), 2, "wait_one");
        arm();
        assert_eq!(
            wait_any(&[&a, &b], LONG, Alertable::Yes),
            Ok(WaitStatus::Alerted)
        );
        assert_eq!(calls.count(), 3, "wait_any");
        arm();
        assert_eq!(
            wait_all(&[&a, &b], LONG, Alertable::Yes),
            Ok(WaitStatus::Alerted)
        );
        assert_eq!(calls.count(), 4, "wait_all");
        arm();
        assert_eq!(
            signal_and_wait(&other, &a, LONG, Alertable::Yes),
            Ok(WaitStatus::Alerted)
        );
        assert_eq!(calls.count(), 5, "signal_and_wait");
        assert!(other.is_set());
        assert!(!a.is_set() && !b.is_set());
    });
}

/// M140: for an absolute due time the routine's fire time is not before the due time, and
/// not after the routine ran.
#[test]
fn m140_routine_gets_the_wall_clock_fire_time() {
    on_worker(|| {
        let calls = Calls::default();
        let timer = WaitableTimer::new(TimerReset::Manual);
        let due = SystemTime::now() + ms(20);
        timer.set_with_routine(DueTime::At(due), None, calls.routine());
        assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
        let now = SystemTime::now();
        let fired = calls.all()[0].fired;
        assert!(
            fired >= due && fired <= now,
            "due {due:?}, fired {fired:?}, routine done by {now:?}"
        );
    });
}

/// M140: re-arming from another thread moves the routine to that thread.
#[test]
fn m140_the_latest_setter_gets_the_routine() {
    let calls = Calls::default();
    let timer = WaitableTimer::new(TimerReset::Manual);
    let first = {
        let (calls, timer) = (calls.clone(), timer.clone());
        on_worker(move || {
            timer.set_with_routine(HOUR, None, calls.routine());
            alertable::current()
        })
    };
    let second = {
        let (calls, timer) = (calls.clone(), timer.clone());
        on_worker(move || {
            timer.set_with_routine(DueTime::After(ms(1)), None, calls.routine());
            assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
            alertable::current().id()
        })
    };
    let all = calls.all();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].thread, second);
    assert_ne!(all[0].thread, first.id());
}

// ---------------------------------------------------------------------------------------
// M141: at most one undelivered call.

/// M141: a 1 ms periodic timer whose setting thread is not alertable for a while (five
/// non-alertable waits on the timer, so at least five expiries, then a 50 ms
/// non-alertable sleep) has one call pending, not one per expiry: one alertable wait runs
/// the routine exactly once, with the fire time of the first undelivered expiry — later
/// expiries change nothing, as on Windows (Wine passes the latest). The routine cancels
/// the timer as it starts, so that no expiry during the call can queue another.
#[test]
fn m141_at_most_one_undelivered_call() {
    on_worker(|| {
        let period = ms(1);
        let calls = Calls::default();
        let timer = WaitableTimer::new(TimerReset::Synchronization);
        let routine = {
            let timer = timer.clone();
            let mut record = calls.routine();
            // Holding a handle to its own timer makes a cycle, which the cancel breaks:
            // the cancelled routine is dropped when this call returns.
            move |fired| {
                timer.cancel();
                record(fired);
            }
        };
        timer.set_with_routine(DueTime::After(period), Some(period), routine);
        assert_eq!(
            wait_one(&timer, LONG, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        // The first expiry was served before this wait returned; each later wait takes
        // an expiry signaled after the previous wait took its own.
        let first_seen = SystemTime::now();
        for _ in 0..5 {
            assert_eq!(
                wait_one(&timer, LONG, Alertable::No),
                Ok(WaitStatus::Signaled(0))
            );
        }
        assert_eq!(sleep_ex(Some(ms(50)), Alertable::No), SleepStatus::Elapsed);
        assert_eq!(calls.count(), 0);

        assert_eq!(sleep_ex(POLL, Alertable::Yes), SleepStatus::Alerted);
        let all = calls.all();
        assert_eq!(all.len(), 1, "{} calls were pending", all.len());
        assert!(
            all[0].fired <= first_seen,
            "the pending call took a later expiry's time ({:?}), not the first one's",
            all[0].fired
        );
        assert_eq!(sleep_ex(POLL, Alertable::Yes), SleepStatus::Elapsed);
        assert_eq!(calls.count(), 1);
    });
}

/// M141, M144: a periodic manual-reset timer (periodic on Windows, as documented; Wine
/// forces its period to 0) calls its routine again after each delivery, with fire times in
/// order, and stays signaled.
#[test]
fn m144_periodic_manual_timer_calls_its_routine_every_period() {
    on_worker(|| {
        let period = ms(5);
        let calls = Calls::default();
        let timer = WaitableTimer::new(TimerReset::Manual);
        timer.set_with_routine(DueTime::After(period), Some(period), calls.routine());
        for n in 1..=3 {
            assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
            assert!(calls.count() >= n, "call {n}");
        }
        timer.cancel();
        assert!(timer.is_signaled());
        assert_eq!(sleep_ex(POLL, Alertable::Yes), SleepStatus::Elapsed);
        let fired: Vec<SystemTime> = calls.all().iter().map(|c| c.fired).collect();
        assert!(
            fired.windows(2).all(|w| w[0] < w[1]),
            "fire times out of order: {fired:?}"
        );
    });
}

// ---------------------------------------------------------------------------------------
// M142: cancel and re-arm.

/// M142: cancelling drops the undelivered call (the next alertable wait runs nothing and
/// returns `Elapsed`, not `Alerted`) and the routine itself, and leaves the signaled state
/// alone.
#[test]
fn m142_cancel_drops_the_undelivered_call() {
    on_worker(|| {
        let calls = Calls::default();
        let (token, alive, dropped) = Token::new();
        let timer = WaitableTimer::new(TimerReset::Manual);
        let mut record = calls.routine();
        timer.set_with_routine(DueTime::After(ms(1)), None, move |fired| {
            token.keep();
            record(fired);
        });
        assert_eq!(
            wait_one(&timer, LONG, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
        timer.cancel();
        assert_eq!(Arc::strong_count(&alive), 1, "cancel keeps the routine");
        assert!(dropped.try_recv().is_ok());
        assert_eq!(sleep_ex(POLL, Alertable::Yes), SleepStatus::Elapsed);
        assert_eq!(calls.count(), 0, "the cancelled call ran");
        assert!(timer.is_signaled(), "cancel reset the timer");
        assert_eq!(
            wait_one(&timer, POLL, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
    });
}

/// M142: cancelling a timer that has fired leaves it signaled, for both kinds: a
/// synchronization timer until one wait takes the signal, a manual one for good.
#[test]
fn m142_cancel_leaves_the_signaled_state_of_both_kinds() {
    for reset in BOTH_KINDS {
        on_worker(move || {
            let timer = WaitableTimer::new(reset);
            timer.set_with_routine(DueTime::After(ms(1)), None, |_| {});
            // The routine ran, so the timer has fired; nobody has waited on it.
            assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
            timer.cancel();
            assert!(timer.is_signaled(), "{reset:?}: cancel reset the timer");
            assert_eq!(
                wait_one(&timer, POLL, Alertable::No),
                Ok(WaitStatus::Signaled(0))
            );
            let next = match reset {
                TimerReset::Manual => WaitStatus::Signaled(0),
                TimerReset::Synchronization => WaitStatus::TimedOut,
            };
            assert_eq!(wait_one(&timer, POLL, Alertable::No), Ok(next), "{reset:?}");
        });
    }
}

/// M142: cancel stops a periodic timer: once the signal it may have left is taken, no
/// expiry comes.
#[test]
fn m142_cancel_stops_a_periodic_timer() {
    let timer = WaitableTimer::new(TimerReset::Synchronization);
    timer.set(DueTime::After(Duration::ZERO), Some(ms(1)));
    for _ in 0..3 {
        assert_eq!(
            wait_one(&timer, LONG, Alertable::No),
            Ok(WaitStatus::Signaled(0))
        );
    }
    timer.cancel();
    let _ = wait_one(&timer, POLL, Alertable::No);
    assert_eq!(
        wait_one(&timer, Some(ms(50)), Alertable::No),
        Ok(WaitStatus::TimedOut),
        "a cancelled 1 ms timer fired again"
    );
}

/// M142: setting a timer that has fired resets it to non-signaled, for both kinds (as
/// Windows does; Wine resets only manual-reset timers).
#[test]
fn m142_rearming_resets_the_signaled_state_of_both_kinds() {
    for reset in BOTH_KINDS {
        on_worker(move || {
            let timer = WaitableTimer::new(reset);
            timer.set_with_routine(DueTime::After(ms(1)), None, |_| {});
            assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
            assert!(timer.is_signaled(), "{reset:?}");
            timer.set(HOUR, None);
            assert!(!timer.is_signaled(), "{reset:?}: re-arming kept the signal");
            assert_eq!(
                wait_one(&timer, POLL, Alertable::No),
                Ok(WaitStatus::TimedOut)
            );
            timer.cancel();
        });
    }
}

/// M142: re-arming drops the undelivered call of the previous setting, and its routine,
/// whether the new setting has a routine or not.
#[test]
fn m142_rearming_drops_the_undelivered_call() {
    for reset in BOTH_KINDS {
        for with_routine in [false, true] {
            on_worker(move || {
                let what = format!("{reset:?}, re-armed with a routine: {with_routine}");
                let (old, new) = (Calls::default(), Calls::default());
                let (token, alive, _dropped) = Token::new();
                let timer = WaitableTimer::new(reset);
                let mut record = old.routine();
                timer.set_with_routine(DueTime::After(ms(1)), None, move |fired| {
                    token.keep();
                    record(fired);
                });
                // It fired; the call is undelivered.
                assert_eq!(
                    wait_one(&timer, LONG, Alertable::No),
                    Ok(WaitStatus::Signaled(0))
                );
                if with_routine {
                    timer.set_with_routine(HOUR, None, new.routine());
                } else {
                    timer.set(HOUR, None);
                }
                assert_eq!(Arc::strong_count(&alive), 1, "{what}: old routine kept");
                assert_eq!(
                    sleep_ex(POLL, Alertable::Yes),
                    SleepStatus::Elapsed,
                    "{what}"
                );
                assert_eq!(old.count() + new.count(), 0, "{what}");
                assert!(!timer.is_signaled(), "{what}");
                timer.cancel();
            });
        }
    }
}

/// M142: the routine may set its own timer again, with a new routine. The new setting
/// takes over at once: the old routine is dropped when its call returns, and the next
/// expiry calls the new one, once.
#[test]
fn m142_rearming_from_inside_the_routine() {
    on_worker(|| {
        let (old, new) = (Calls::default(), Calls::default());
        let (token, alive, dropped) = Token::new();
        let timer = WaitableTimer::new(TimerReset::Synchronization);
        let routine = {
            let (timer, new) = (timer.clone(), new.clone());
            let mut record = old.routine();
            move |fired| {
                token.keep();
                record(fired);
                timer.set_with_routine(DueTime::After(ms(1)), None, new.routine());
                assert_eq!(Arc::strong_count(&alive), 2, "dropped while it runs");
            }
        };
        timer.set_with_routine(DueTime::After(ms(1)), Some(ms(1)), routine);
        assert_eq!(sleep_ex(LONG, Alertable::Yes), SleepStatus::Alerted);
        assert_eq!((old.count(), new.count()), (1, 0));
        assert!(dropped.try_recv().is_ok(), "the old routine was kept");
        assert_eq!(sleep_ex(LONG, Alertable::Yes), SleepStatus::Alerted);
        assert_eq!((old.count(), new.count()), (1, 1));
        // One-shot: nothing more.
        assert_eq!(sleep_ex(Some(ms(20)), Alertable::Yes), SleepStatus::Elapsed);
        timer.cancel();
    });
}

/// How another thread ends a timer's setting while the routine is running.
#[derive(Debug, Clone, Copy)]
enum EndedBy {
    Cancel,
    SetAgain,
    DroppingTheLastHandle,
}

/// M142: another thread cancels the timer, sets it again, or drops its last handle while
/// the routine is running. It does not wait for the routine, which finishes its call;
/// the routine is then dropped on its thread and never called again, though the periodic
/// timer was due every millisecond meanwhile.
#[test]
fn m142_ending_a_setting_while_its_routine_runs() {
    for how in [
        EndedBy::Cancel,
        EndedBy::SetAgain,
        EndedBy::DroppingTheLastHandle,
    ] {
        let (in_routine, routine_entered) = mpsc::channel();
        let (ended, setting_ended) = mpsc::channel::<()>();
        let (handle_tx, handle) = mpsc::channel();
        let calls = Calls::default();
        let worker = {
            let calls = calls.clone();
            alertable::spawn(move || {
                let (token, alive, dropped) = Token::new();
                let timer = WaitableTimer::new(TimerReset::Synchronization);
                let mut record = calls.routine();
                timer.set_with_routine(DueTime::After(ms(1)), Some(ms(1)), move |fired| {
                    token.keep();
                    record(fired);
                    in_routine.send(()).unwrap();
                    // Blocked outside the library until the other thread is done.
                    setting_ended.recv().unwrap();
                });
                handle_tx.send(timer).unwrap();
                assert_eq!(sleep_ex(LONG, Alertable::Yes), SleepStatus::Alerted);
                assert!(
                    dropped.try_recv().is_ok() && Arc::strong_count(&alive) == 1,
                    "{how:?}: the routine outlived its setting"
                );
                assert_eq!(
                    sleep_ex(Some(ms(20)), Alertable::Yes),
                    SleepStatus::Elapsed,
                    "{how:?}: called again"
                );
            })
            .unwrap()
        };
        let timer: WaitableTimer = handle.recv().unwrap();
        routine_entered.recv().unwrap();
        // The worker holds no handle: this one is the last.
        let kept = match how {
            EndedBy::Cancel => {
                timer.cancel();
                Some(timer)
            }
            EndedBy::SetAgain => {
                timer.set(HOUR, None);
                Some(timer)
            }
            EndedBy::DroppingTheLastHandle => {
                drop(timer);
                None
            }
        };
        ended.send(()).unwrap();
        worker.join().unwrap();
        drop(kept);
        assert_eq!(calls.count(), 1, "{how:?}");
    }
}

// ---------------------------------------------------------------------------------------
// M145: the setting thread exits.

/// M145 (Windows): the thread that set the timer with a routine exits before the first
/// expiry. Its exit cancels the timer: the timer lets go of the routine by the time the
/// thread is seen to have exited, never becomes signaled, and the routine never runs,
/// anywhere. (The due time doubles until the exit is seen to come first.)
#[test]
fn m145_setter_exits_before_the_expiry() {
    let period = ms(5);
    let mut due = ms(100);
    loop {
        let calls = Calls::default();
        let (token, alive, dropped) = Token::new();
        let timer = WaitableTimer::new(TimerReset::Synchronization);
        let setter = {
            let timer = timer.clone();
            let mut record = calls.routine();
            alertable::spawn(move || {
                let armed = Instant::now();
                timer.set_with_routine(DueTime::After(due), Some(period), move |fired| {
                    token.keep();
                    record(fired);
                });
                armed
            })
            .unwrap()
        };
        let thread = setter.thread().clone();
        let armed = setter.join().unwrap();
        if armed.elapsed() >= due {
            // The exit may have come after the expiry: try again with more time.
            timer.cancel();
            due *= 2;
            assert!(
                due < Duration::from_secs(60),
                "the setter never exited in time"
            );
            continue;
        }
        assert!(thread.is_finished());
        assert!(
            dropped.try_recv().is_ok() && Arc::strong_count(&alive) == 1,
            "the timer kept the routine of its exited setter"
        );
        // Well past the due time and a few periods: nothing.
        assert_eq!(
            wait_one(&timer, Some(due * 2 + period * 4), Alertable::No),
            Ok(WaitStatus::TimedOut),
            "the setter's exit did not cancel the timer"
        );
        assert_eq!(calls.count(), 0, "the routine ran");
        assert_eq!(sleep_ex(POLL, Alertable::Yes), SleepStatus::Elapsed);
        return;
    }
}

/// M145: a timer set *without* a routine is not cancelled by its setter's exit: it
/// signals at its due time, and every period after.
#[test]
fn m145_a_timer_set_without_a_routine_outlives_its_setter() {
    let timer = WaitableTimer::new(TimerReset::Synchronization);
    {
        let timer = timer.clone();
        on_worker(move || timer.set(DueTime::After(ms(1)), Some(ms(1))));
    }
    for n in 0..3 {
        assert_eq!(
            wait_one(&timer, LONG, Alertable::No),
            Ok(WaitStatus::Signaled(0)),
            "expiry {n} after the exit"
        );
    }
    timer.cancel();
}

/// M145: the setting thread exits with a call undelivered (the timer fired while it was
/// not alertable). The exit cancels the timer as `cancel` would: the call dies with the
/// thread, the timer lets go of the routine, a signal it already had stays, and no
/// expiry comes after it.
#[test]
fn m145_setter_exits_with_a_call_undelivered() {
    let period = ms(1);
    let calls = Calls::default();
    let (token, alive, dropped) = Token::new();
    let timer = WaitableTimer::new(TimerReset::Synchronization);
    {
        let timer = timer.clone();
        let mut record = calls.routine();
        on_worker(move || {
            timer.set_with_routine(DueTime::After(period), Some(period), move |fired| {
                token.keep();
                record(fired);
            });
            // Two expiries taken: the first one's call is surely queued.
            for _ in 0..2 {
                assert_eq!(
                    wait_one(&timer, LONG, Alertable::No),
                    Ok(WaitStatus::Signaled(0))
                );
            }
        });
    }
    assert!(
        dropped.try_recv().is_ok() && Arc::strong_count(&alive) == 1,
        "the timer still holds the routine of its exited setter"
    );
    // Take the signal an expiry between the setter's last wait and its exit may have
    // left; after that, nothing.
    let _ = wait_one(&timer, POLL, Alertable::No);
    assert_eq!(
        wait_one(&timer, Some(ms(50)), Alertable::No),
        Ok(WaitStatus::TimedOut),
        "a 1 ms timer fired after its setter's exit"
    );
    assert_eq!(calls.count(), 0, "the routine ran");
}

/// M145: a manual-reset timer that fired before its setter exited stays signaled: the
/// exit cancels the timer but leaves its signaled state alone, as `cancel` does (M142).
#[test]
fn m145_a_timer_that_fired_before_the_exit_stays_signaled() {
    let timer = WaitableTimer::new(TimerReset::Manual);
    {
        let timer = timer.clone();
        on_worker(move || {
            timer.set_with_routine(DueTime::After(ms(1)), Some(ms(1)), |_| {});
            assert_eq!(
                wait_one(&timer, LONG, Alertable::No),
                Ok(WaitStatus::Signaled(0))
            );
        });
    }
    assert!(timer.is_signaled(), "the setter's exit reset the timer");
    assert_eq!(
        wait_one(&timer, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
}

// ---------------------------------------------------------------------------------------
// The routine's captures.

/// Dropping a routine runs its captures' `Drop`, which is code of the program's own: it
/// may use the timer. Cancelling a timer whose routine holds a guard that cancels the
/// timer when dropped must return, not deadlock.
#[test]
fn dropping_a_routine_may_use_its_timer() {
    struct CancelOnDrop(WaitableTimer);
    impl CancelOnDrop {
        /// Makes a closure capture the guard.
        fn keep(&self) {}
    }
    impl Drop for CancelOnDrop {
        fn drop(&mut self) {
            self.0.cancel();
        }
    }
    let (done, is_done) = mpsc::channel();
    // On a thread of its own, so that a deadlock fails the test instead of hanging it.
    let _worker = alertable::spawn(move || {
        let timer = WaitableTimer::new(TimerReset::Manual);
        let guard = CancelOnDrop(timer.clone());
        timer.set_with_routine(HOUR, None, move |_| guard.keep());
        timer.cancel();
        done.send(()).unwrap();
    })
    .unwrap();
    assert!(
        is_done.recv_timeout(Duration::from_secs(10)).is_ok(),
        "cancel deadlocked while dropping the routine"
    );
}

/// The timer service threads sleep to their deadlines without the kernel's default timer
/// slack (50 µs for a normal thread), which would make every timer up to that much later
/// than its deadline: their slack is 1 ns.
#[test]
fn the_timer_service_sleeps_without_timer_slack() {
    let timer = WaitableTimer::new(TimerReset::Manual);
    timer.set(DueTime::After(ms(1)), None);
    assert_eq!(
        wait_one(&timer, Some(Duration::from_secs(10)), Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    // Thread names are cut to 15 bytes: "alertable-timers" (and "-wall") read as this.
    let slacks: Vec<u64> = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let comm = std::fs::read_to_string(path.join("comm")).ok()?;
            if comm.trim_end() != "alertable-timer" {
                return None;
            }
            let tid = path.file_name()?.to_str()?.to_owned();
            let slack = std::fs::read_to_string(format!("/proc/{tid}/timerslack_ns")).ok()?;
            slack.trim().parse().ok()
        })
        .collect();
    assert!(!slacks.is_empty(), "the monotonic service thread runs");
    assert!(slacks.iter().all(|&s| s == 1), "timer slack {slacks:?}");
}
