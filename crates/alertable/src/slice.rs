//! A short time slice for a thread that sleeps long and runs briefly.
//!
//! Where a waking thread and the thread that woke it share a CPU, Linux's scheduler
//! (EEVDF) lets the woken one run at once only if its virtual deadline comes first; with
//! the default slice (milliseconds), it usually waits until the waker blocks or its slice
//! ends. A thread whose slice is short has an early deadline when it wakes, and runs
//! first. Windows gets the same effect another way: a thread whose wait is satisfied gets a
//! priority boost, and a boosted thread preempts the one that woke it.
//!
//! So a thread whose last sleep in one of the library's waits was long (it is idle, waiting
//! to be woken) and whose last burst of work between waits was short asks for the
//! kernel's shortest slice, 0.1 ms; once it has run for [`LONG_BURST`] or more between
//! waits twice in a row, it gets its own slice back, at the start of its next sleep (a
//! thread that computes for minutes keeps the short slice until then). It also gets it
//! back once [`TRADING_SLEEPS`] sleeps in a row were short: it is trading work with a
//! partner, which its short slice would preempt at every hand-off where the two share a
//! CPU (a reader that preempts its writer for every 4 KiB that arrives, instead of
//! letting the writer fill the pipe). Its share of the CPU
//! does not change (that is its weight, from its nice value); only how soon it runs when it
//! wakes, and how often it may be preempted while it competes for a CPU. Measured by
//! `alertable bench idle-wake` (the woken thread and the waker on one CPU in most samples):
//! see BENCHMARKS.md.
//!
//! Only a thread under the normal policy (`SCHED_OTHER`) with a nice value of 0 or more is
//! changed, and only its slice: one under another policy, one with a negative nice value,
//! one whose slice is already this short, and kernels without a slice per thread (before
//! Linux 6.12) are left alone. Giving the slice back reads the thread's attributes again:
//! if its policy or slice changed meanwhile, someone else has taken charge of them and they
//! are left as they are; otherwise the slice it had goes back (as a slice of its own: a
//! later change of the kernel's default no longer reaches it), with the nice value it has
//! now. Its reset-on-fork flag is never touched (setting it would bar an unprivileged
//! thread from its own later policy changes unless they set it too), so a thread created
//! while its creator's slice is short inherits that slice: a thread the library starts
//! ([`crate::spawn`]) takes the default one at once; another keeps it until it is busy in
//! the library's waits itself, or for good if it never waits in them.

use std::cell::Cell;
use std::time::{Duration, Instant};

#[cfg(not(loom))]
use crate::sys;

/// The slice an idle thread asks for, in nanoseconds: the kernel's shortest.
#[cfg(not(loom))]
const SHORT: u64 = 100_000;

/// A burst of work between two waits this long or longer is a long one.
const LONG_BURST: Duration = Duration::from_millis(1);

/// Long bursts in a row that give a thread its own slice back: one alone may be a short one
/// whose thread was kept off the CPU.
const BUSY_BURSTS: u8 = 2;

/// Short sleeps in a row that give a thread its own slice back: it is trading work with a
/// partner that keeps it busy, not idle. A few, so that an idle thread woken by a burst of
/// work keeps the short slice through it.
const TRADING_SLEEPS: u8 = 4;

/// Where a thread's slice stands.
#[derive(Debug, Clone, Copy)]
enum State {
    /// The thread's own slice.
    Own,
    /// Shortened; the attributes it had before.
    #[cfg(not(loom))]
    Short(sys::SchedAttr),
    /// Never changed again: another policy, a negative nice value, an old kernel, a short
    /// slice of its own, someone else's change, or a refusal (as they were when looked at).
    Off,
}

/// A thread's rhythm of sleeps and bursts, and what it asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Rhythm {
    /// When the thread last woke from a measured sleep (`None`: not yet).
    woke: Option<Instant>,
    /// Long bursts in a row, up to [`BUSY_BURSTS`].
    long_bursts: u8,
    /// Short sleeps in a row, up to [`TRADING_SLEEPS`].
    short_sleeps: u8,
}

impl Rhythm {
    /// A sleep begins at `now`, ending a burst; whether the thread has been busy long
    /// enough to get its own slice back. The burst before a thread's first measured sleep
    /// counts as long: nobody measured it.
    fn sleeps(&mut self, now: Instant) -> bool {
        let long = self
            .woke
            .is_none_or(|woke| now.saturating_duration_since(woke) >= LONG_BURST);
        self.long_bursts = if long {
            self.long_bursts.saturating_add(1).min(BUSY_BURSTS)
        } else {
            0
        };
        self.long_bursts >= BUSY_BURSTS
    }

    /// The thread woke at `now` from a sleep that was `long` or not; whether it is idle
    /// (a long sleep after a short burst), and so should have the short slice.
    fn wakes(&mut self, now: Instant, long: bool) -> bool {
        self.woke = Some(now);
        self.short_sleeps = if long {
            0
        } else {
            self.short_sleeps.saturating_add(1).min(TRADING_SLEEPS)
        };
        long && self.long_bursts == 0
    }

    /// Whether the thread's last sleeps were all short: it trades work with a partner.
    fn trading(&self) -> bool {
        self.short_sleeps >= TRADING_SLEEPS
    }
}

/// One thread's slice, and what it needs to decide (owner only: a field of the thread's
/// context).
#[derive(Debug)]
pub(crate) struct WakeSlice {
    state: Cell<State>,
    rhythm: Cell<Rhythm>,
}

impl WakeSlice {
    pub(crate) const fn new() -> Self {
        Self {
            state: Cell::new(State::Own),
            rhythm: Cell::new(Rhythm {
                woke: None,
                long_bursts: 0,
                short_sleeps: 0,
            }),
        }
    }

    /// The thread is about to sleep, at `now`: a busy thread gets its own slice back.
    #[inline]
    pub(crate) fn before_sleep(&self, now: Instant) {
        let mut rhythm = self.rhythm.get();
        let busy = rhythm.sleeps(now);
        self.rhythm.set(rhythm);
        #[cfg(not(loom))]
        if busy && let State::Short(own) = self.state.get() {
            self.restore(&own);
        }
        #[cfg(loom)]
        let _ = busy;
    }

    /// The thread woke at `now` from a sleep; `long` says whether the sleep was long. An
    /// idle thread gets the short slice; one trading work with a partner gets its own back.
    #[inline]
    pub(crate) fn after_sleep(&self, now: Instant, long: bool) {
        let mut rhythm = self.rhythm.get();
        let idle = rhythm.wakes(now, long);
        self.rhythm.set(rhythm);
        match self.state.get() {
            State::Own if idle => self.shorten(),
            #[cfg(not(loom))]
            State::Short(own) if rhythm.trading() => self.restore(&own),
            _ => {}
        }
    }

    #[cold] // once per idle stretch of a thread
    fn shorten(&self) {
        #[cfg(not(loom))]
        {
            let next = match sys::normal_slice() {
                // A negative nice value (a thread someone favoured already) is left alone.
                Some(own)
                    if own.slice() > SHORT && own.nice() >= 0 && sys::set_slice(&own, SHORT) =>
                {
                    State::Short(own)
                }
                _ => State::Off,
            };
            self.state.set(next);
        }
        #[cfg(loom)]
        self.state.set(State::Off);
    }

    /// Gives the thread the slice it had before `shorten`, unless someone changed its
    /// policy or slice meanwhile.
    #[cfg(not(loom))]
    #[cold] // once per busy stretch of a thread that was idle
    fn restore(&self, own: &sys::SchedAttr) {
        let next = match sys::normal_slice() {
            // As `shorten` left it: its slice back, keeping the nice value it has now. (Read
            // and set are two calls: a change another thread makes between them is lost,
            // as with any two writers of a thread's attributes.)
            Some(now) if now.slice() == SHORT => {
                if sys::set_slice(&now, own.slice()) {
                    State::Own
                } else {
                    State::Off
                }
            }
            // Changed by someone else: theirs now.
            _ => State::Off,
        };
        self.state.set(next);
    }
}

/// At the start of a thread the library creates: the default slice, if the thread
/// inherited the short one from its creator (see the module's documentation).
#[cfg(not(loom))]
pub(crate) fn at_thread_start() {
    if let Some(inherited) = sys::normal_slice()
        && inherited.slice() == SHORT
    {
        // 0: the kernel's default slice.
        let _ = sys::set_slice(&inherited, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(base: Instant, micros: u64) -> Instant {
        base + Duration::from_micros(micros)
    }

    /// A rhythm whose first sleep (after a burst nobody measured) ended at 1 ms, with the
    /// time it counts from.
    fn after_a_first_sleep() -> (Instant, Rhythm) {
        let t = Instant::now();
        let mut r = Rhythm::default();
        r.sleeps(at(t, 0));
        r.wakes(at(t, 1_000), true);
        (t, r)
    }

    #[test]
    fn a_long_sleep_after_a_short_burst_is_idle() {
        let t = Instant::now();
        let mut r = Rhythm::default();
        // The first sleep follows a burst nobody measured: not idle yet.
        assert!(!r.sleeps(at(t, 0)));
        assert!(!r.wakes(at(t, 2_000), true));
        // A short burst, then a long sleep: idle.
        assert!(!r.sleeps(at(t, 2_100)));
        assert!(r.wakes(at(t, 4_000), true));
        // A short sleep is not idle, whatever the burst.
        assert!(!r.sleeps(at(t, 4_050)));
        assert!(!r.wakes(at(t, 4_060), false));
    }

    #[test]
    fn short_sleeps_in_a_row_are_trading() {
        let (t, mut r) = after_a_first_sleep();
        // Idle: a long sleep after a short burst.
        r.sleeps(at(t, 1_100));
        assert!(r.wakes(at(t, 4_000), true));
        assert!(!r.trading());
        // Woken for a burst of work: short sleeps, but not enough in a row yet.
        let mut now = 4_000;
        for _ in 1..TRADING_SLEEPS {
            r.sleeps(at(t, now + 10));
            now += 20;
            assert!(!r.wakes(at(t, now), false));
            assert!(!r.trading(), "a few short sleeps are a burst of work");
        }
        r.sleeps(at(t, now + 10));
        assert!(!r.wakes(at(t, now + 20), false));
        assert!(r.trading(), "short sleeps in a row: trading with a partner");
        // A long sleep ends it: idle again.
        r.sleeps(at(t, now + 30));
        assert!(r.wakes(at(t, now + 2_000), true));
        assert!(!r.trading());
    }

    #[test]
    fn two_long_bursts_in_a_row_are_busy() {
        let (t, mut r) = after_a_first_sleep();
        assert!(!r.sleeps(at(t, 1_100)), "a short burst");
        r.wakes(at(t, 3_000), true);
        // One long burst: not yet (it may have been a short one kept off the CPU).
        assert!(!r.sleeps(at(t, 5_000)));
        assert!(!r.wakes(at(t, 7_000), true), "not idle after a long burst");
        // A second in a row: busy, and still so after a third.
        assert!(r.sleeps(at(t, 9_000)));
        r.wakes(at(t, 11_000), true);
        assert!(r.sleeps(at(t, 13_000)));
        r.wakes(at(t, 15_000), true);
        // A short burst ends the streak.
        assert!(!r.sleeps(at(t, 15_100)));
        assert!(r.wakes(at(t, 17_000), true));
        assert!(!r.sleeps(at(t, 19_000)));
    }
}
