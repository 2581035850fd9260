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
//! kernel's shortest slice, 0.1 ms; once it runs for [`LONG_BURST`] or more between two
//! waits it gets its own slice back. Its share of the CPU does not change (that is its
//! weight, from its nice value); only how soon it runs when it wakes, and how often it may
//! be preempted while it competes for a CPU. Measured by `alertable bench idle-wake` (the
//! woken thread and the waker on one CPU in most samples): see BENCHMARKS.md.
//!
//! Only a thread under the normal policy (`SCHED_OTHER`) with a nice value of 0 or more is
//! changed, keeping its nice value; one under another policy, one with a negative nice
//! value, one whose slice is already this short, and kernels without a slice per thread
//! (before Linux 6.12) are left alone. The short slice is the thread's own: threads and
//! processes it creates meanwhile start with the default one (`SCHED_FLAG_RESET_ON_FORK`,
//! cleared again when the thread gets its own slice back unless it had it before).

use std::cell::Cell;
use std::time::{Duration, Instant};

#[cfg(not(loom))]
use crate::sys;

/// The slice an idle thread asks for, in nanoseconds: the kernel's shortest.
#[cfg(not(loom))]
const SHORT: u64 = 100_000;

/// A thread that runs this long between two waits is busy: it gets its own slice back.
pub(crate) const LONG_BURST: Duration = Duration::from_millis(1);

/// Where a thread's slice stands.
#[derive(Debug, Clone, Copy)]
enum State {
    /// The thread's own slice.
    Own,
    /// Shortened; the attributes it had before, to put back.
    #[cfg(not(loom))]
    Short(sys::SchedAttr),
    /// Never changed: another policy, an old kernel, a short slice of its own, or a
    /// refusal.
    Off,
}

/// One thread's slice, and what it needs to decide (owner only: a field of the thread's
/// context).
#[derive(Debug)]
pub(crate) struct WakeSlice {
    state: Cell<State>,
    /// When the thread last woke from a measured sleep.
    woke: Cell<Option<Instant>>,
    /// Whether the burst before the current sleep was long.
    busy: Cell<bool>,
}

impl WakeSlice {
    pub(crate) const fn new() -> Self {
        Self {
            state: Cell::new(State::Own),
            woke: Cell::new(None),
            busy: Cell::new(false),
        }
    }

    /// The thread is about to sleep, at `now`: a long burst since it last woke gives it
    /// its own slice back.
    #[inline]
    pub(crate) fn before_sleep(&self, now: Instant) {
        let busy = self
            .woke
            .get()
            .is_some_and(|woke| now.saturating_duration_since(woke) >= LONG_BURST);
        self.busy.set(busy);
        #[cfg(not(loom))]
        if busy && let State::Short(own) = self.state.get() {
            self.restore(&own);
        }
    }

    /// The thread woke at `now` from a sleep; `long` says whether the sleep was long. A
    /// long sleep after a short burst shortens the slice.
    #[inline]
    pub(crate) fn after_sleep(&self, now: Instant, long: bool) {
        self.woke.set(Some(now));
        if long && !self.busy.get() && matches!(self.state.get(), State::Own) {
            self.shorten();
        }
    }

    #[cold] // once per idle stretch of a thread
    fn shorten(&self) {
        #[cfg(not(loom))]
        {
            let next = match sys::normal_slice() {
                // Reset on fork: the threads it creates start with the default slice, not
                // this one, which is for its own wake-ups only. A negative nice value (which
                // the reset would not pass on) is left alone.
                Some(own)
                    if own.slice() > SHORT
                        && own.nice() >= 0
                        && sys::set_slice(&own, SHORT, true) =>
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

    #[cfg(not(loom))]
    #[cold] // once per busy stretch of a thread that was idle
    fn restore(&self, own: &sys::SchedAttr) {
        let next = if sys::set_slice(own, own.slice(), false) {
            State::Own
        } else {
            State::Off
        };
        self.state.set(next);
    }
}
