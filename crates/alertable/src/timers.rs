//! The process's timer service: one ordered queue of deadlines per clock, each served by
//! one thread, shared by every [`WaitableTimer`](crate::WaitableTimer).
//!
//! | clock      | deadlines        | the service thread sleeps with                     |
//! |------------|------------------|----------------------------------------------------|
//! | monotonic  | `DueTime::After` | a relative futex timeout (immune to clock changes) |
//! | wall clock | `DueTime::At`    | an absolute `CLOCK_REALTIME` futex deadline, which the kernel moves when the clock is set |
//!
//! Each queue is a `BTreeMap` keyed by `(deadline, sequence number)`: arming inserts,
//! cancelling removes by key, both O(log n); a cancelled timer leaves nothing behind.
//! Entries hold weak references, so a timer whose last handle is dropped stops (its `Drop`
//! removes its entry). A service thread starts on first use and sleeps in the kernel when
//! it has nothing due, with a timer slack of 1 ns (the kernel's default of 50 µs would let
//! every deadline be served that much late); it never runs user code (completion routines
//! are APCs on the setting thread).
//!
//! - (S1) An entry is in a queue only while its timer's arming `key` holds that entry's
//!   key: arming inserts it and cancelling removes it together with the key, under the
//!   timer's own lock (lock order: timer, then queue); the service removes due entries
//!   (S3).
//! - (S2) The futex word `generation` changes whenever the earliest deadline may have
//!   moved earlier, so the service thread never sleeps past a new first deadline.
//! - (S3) The service takes due entries out without the timer's lock; firing then checks,
//!   under that lock, that the timer's arming `key` is still the fired one. So a cancel or
//!   re-arm that takes the lock between the two wins, and a key fires at most once. What
//!   firing does under the lock — signal, queue the routine — is `object/timer.rs`'s
//!   protocol (T1–T6).

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{LazyLock, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime};

use crate::object::TimerInner;
use crate::sync::{AtomicU32, Ordering};
use crate::sys;

/// A deadline on one of the two clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Deadline {
    Monotonic(Instant),
    Wall(SystemTime),
}

impl Deadline {
    /// The next deadline of a periodic timer: one period after this one — counted from
    /// the previous deadline, not from when it was served, so periods do not drift —
    /// skipping periods that have already passed entirely (they coalesce, as undelivered
    /// routine calls do). `None` past the end of the clock: no further expiry.
    pub(crate) fn next_period(self, period: Duration) -> Option<Self> {
        // The whole periods from this deadline to the first one after now, in u128
        // nanoseconds, so that a deadline far in the past lands after now in one step.
        let step = |behind: Duration| {
            let period = period.as_nanos().max(1);
            let nanos = (behind.as_nanos() / period + 1) * period;
            let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
            // The remainder is below one second.
            Some(Duration::new(secs, (nanos % 1_000_000_000) as u32))
        };
        match self {
            Self::Monotonic(due) => {
                let behind = Instant::now().saturating_duration_since(due);
                due.checked_add(step(behind)?).map(Self::Monotonic)
            }
            Self::Wall(due) => {
                // Only the first due time is on the wall clock; periods are counted on the
                // monotonic clock (M139), so a later clock change does not move them.
                let now = SystemTime::now();
                let behind = now.duration_since(due).unwrap_or_default();
                let next = due.checked_add(step(behind)?)?;
                let left = next.duration_since(now).unwrap_or_default();
                Instant::now().checked_add(left).map(Self::Monotonic)
            }
        }
    }
}

/// Where a timer sits in a service queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    deadline: Deadline,
    sequence: u64,
}

impl Key {
    pub(crate) fn deadline(self) -> Deadline {
        self.deadline
    }
}

struct Service {
    queue: Mutex<BTreeMap<Key, Weak<TimerInner>>>,
    generation: AtomicU32,
    wall: bool,
}

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

static MONOTONIC: LazyLock<&'static Service> = LazyLock::new(|| Service::start(false));
static WALL: LazyLock<&'static Service> = LazyLock::new(|| Service::start(true));

fn service(deadline: Deadline) -> &'static Service {
    match deadline {
        Deadline::Monotonic(_) => &MONOTONIC,
        Deadline::Wall(_) => &WALL,
    }
}

/// Puts `timer` in the queue of its deadline's clock; returns its key (S1: the caller
/// holds the timer's lock and stores the key).
pub(crate) fn arm(deadline: Deadline, timer: Weak<TimerInner>) -> Key {
    let key = Key {
        deadline,
        sequence: SEQUENCE.fetch_add(1, Ordering::Relaxed),
    };
    let service = service(deadline);
    let first = {
        let mut queue = service.lock();
        queue.insert(key, timer);
        queue.keys().next() == Some(&key)
    };
    if first {
        service.poke();
    }
    key
}

/// Takes `key` out of its queue (S1: the caller holds the timer's lock and clears the key).
pub(crate) fn disarm(key: Key) {
    service(key.deadline).lock().remove(&key);
}

/// How many timers are armed on both clocks (for tests and benchmarks of clean-up).
#[doc(hidden)]
pub fn armed_timers() -> usize {
    [&*MONOTONIC, &*WALL]
        .iter()
        .map(|service| service.lock().len())
        .sum()
}

impl Service {
    fn start(wall: bool) -> &'static Self {
        let service: &'static Self = Box::leak(Box::new(Self {
            queue: Mutex::new(BTreeMap::new()),
            generation: AtomicU32::new(0),
            wall,
        }));
        let name = if wall {
            "alertable-timers-wall"
        } else {
            "alertable-timers"
        };
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || service.run())
            .expect("cannot start the timer service thread");
        service
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Key, Weak<TimerInner>>> {
        // The queue holds plain data and no user code runs under the lock.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Tells the service thread that the first deadline may have moved (S2).
    fn poke(&self) {
        self.generation.fetch_add(1, Ordering::Release);
        sys::futex_wake(&self.generation, 1);
    }

    fn run(&self) {
        // Without it, every deadline would be served up to 50 µs late.
        sys::precise_timed_sleeps();
        loop {
            let generation = self.generation.load(Ordering::Acquire);
            let (due, next) = self.take_due();
            if !due.is_empty() {
                for (key, timer) in due {
                    // Firing may drop the last handle, or a routine whose thread has
                    // exited: user destructors, on this thread. A panic there must not
                    // stop every timer on this clock.
                    let fire = std::panic::AssertUnwindSafe(move || {
                        if let Some(timer) = timer.upgrade() {
                            timer.fire(key);
                        }
                    });
                    let _ = std::panic::catch_unwind(fire);
                }
                continue;
            }
            match next {
                None => sys::futex_wait(&self.generation, generation, None),
                Some(Deadline::Monotonic(at)) => {
                    let left = at.saturating_duration_since(Instant::now());
                    sys::futex_wait(&self.generation, generation, Some(left));
                }
                Some(Deadline::Wall(at)) => {
                    sys::futex_wait_until_wall(&self.generation, generation, at);
                }
            }
        }
    }

    /// Removes and returns the entries that are due, and the first deadline left.
    fn take_due(&self) -> (Vec<(Key, Weak<TimerInner>)>, Option<Deadline>) {
        let now = if self.wall {
            Deadline::Wall(SystemTime::now())
        } else {
            Deadline::Monotonic(Instant::now())
        };
        let mut queue = self.lock();
        let mut due = Vec::new();
        while let Some(entry) = queue.first_entry() {
            if entry.key().deadline > now {
                break;
            }
            due.push(entry.remove_entry());
        }
        (due, queue.keys().next().map(|k| k.deadline))
    }
}

#[cfg(all(test, not(loom)))]
pub(crate) mod tests {
    use super::*;
    use crate::{DueTime, TimerReset, WaitableTimer};

    /// Held by the unit tests that arm timers, so that the one counting entries is not
    /// disturbed by the others.
    pub(crate) fn counts_serial() -> std::sync::MutexGuard<'static, ()> {
        static SERIAL: Mutex<()> = Mutex::new(());
        SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn armed_on(service: &Service) -> usize {
        service.lock().len()
    }

    /// M138 without moving the system clock: a relative due time is queued on the
    /// monotonic clock's service, an absolute one on the wall clock's, so a change of the
    /// system clock moves only the latter. (The other unit tests that arm timers hold
    /// [`counts_serial`] while they do.)
    #[test]
    fn relative_timers_use_the_monotonic_clock_absolute_ones_the_wall_clock() {
        let _serial = counts_serial();
        let (mono, wall) = (armed_on(&MONOTONIC), armed_on(&WALL));
        let relative = WaitableTimer::new(TimerReset::Manual);
        relative.set(DueTime::After(Duration::from_secs(3600)), None);
        assert_eq!((armed_on(&MONOTONIC), armed_on(&WALL)), (mono + 1, wall));
        let absolute = WaitableTimer::new(TimerReset::Manual);
        let in_an_hour = SystemTime::now() + Duration::from_secs(3600);
        absolute.set(DueTime::At(in_an_hour), None);
        assert_eq!(
            (armed_on(&MONOTONIC), armed_on(&WALL)),
            (mono + 1, wall + 1)
        );
        relative.cancel();
        drop(absolute);
        assert_eq!((armed_on(&MONOTONIC), armed_on(&WALL)), (mono, wall));
    }

    #[test]
    fn next_period_counts_from_the_previous_due_time() {
        let due = Instant::now() + Duration::from_secs(60);
        let next = Deadline::Monotonic(due).next_period(Duration::from_millis(7));
        assert_eq!(
            next,
            Some(Deadline::Monotonic(due + Duration::from_millis(7)))
        );
        // Far behind on the wall clock: lands after now in one step, on the monotonic clock.
        let before = Instant::now();
        let epoch = Deadline::Wall(SystemTime::UNIX_EPOCH);
        let Some(Deadline::Monotonic(next)) = epoch.next_period(Duration::from_millis(1)) else {
            panic!("periods after the first due time count on the monotonic clock");
        };
        assert!(next >= before && next <= Instant::now() + Duration::from_millis(1));
    }
}
