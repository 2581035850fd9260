//! Callbacks: what each object counts of its own ([`Tracker`]), and what a running callback
//! is given ([`CallbackInstance`]).
//!
//! A tracker counts an object's callbacks that are *pending* (submitted, or fired, and not
//! started) and *running*, and whether the object is closed:
//!
//! - (K1) A callback runs only after `begin` took one pending count; cancelling sets the
//!   pending count to zero, so the tasks already queued for it find nothing to begin and
//!   do nothing.
//! - (K2) `quiet` — a manual-reset event — is kept for the threads waiting for the
//!   object's callbacks: while `waiters` is not 0 it is set exactly while nothing is
//!   pending or running; with no waiter it is left as it is and nobody looks at it, so a
//!   submission or a callback of an object nobody waits for touches no event (a reset
//!   would take the dispatcher lock on every submission). It changes, and `waiters`
//!   counts, only under the tracker's lock; a waiter brings it up to date as it counts
//!   itself in. Waiting for an object's callbacks is a wait on it, one of the library's
//!   waits, so a pool thread that waits for another object's callbacks lets the pool run
//!   them.
//! - (K3) A closed tracker refuses new submissions; what was pending still runs unless it
//!   is cancelled.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use alertable::{Alertable, Event, EventReset, Semaphore};

use crate::pool::Shared;

/// An object's count of pending and running callbacks (K1–K3).
pub(crate) struct Tracker {
    state: Mutex<Counts>,
    quiet: Event,
    /// Set exactly while nothing runs, for objects that wait for running callbacks only
    /// (I/O: an announced completion may never come). Changes under the lock, as `quiet`.
    still: Option<Event>,
}

#[derive(Debug, Default)]
struct Counts {
    pending: usize,
    running: usize,
    closed: bool,
    /// Threads in [`Tracker::wait`] (K2).
    waiters: usize,
}

impl Counts {
    fn is_quiet(&self) -> bool {
        self.pending == 0 && self.running == 0
    }
}

impl Tracker {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(Counts::default()),
            quiet: Event::new(EventReset::Manual, true),
            still: None,
        })
    }

    /// A tracker that can also wait for its running callbacks alone.
    pub(crate) fn with_running_wait() -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(Counts::default()),
            quiet: Event::new(EventReset::Manual, true),
            still: Some(Event::new(EventReset::Manual, true)),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One more callback is pending; false (and nothing counted) if the object is closed
    /// (K3).
    pub(crate) fn submit(&self) -> bool {
        let mut counts = self.lock();
        if counts.closed {
            return false;
        }
        if counts.waiters > 0 && counts.is_quiet() {
            // (K2) no longer quiet, and someone waits for that to end.
            self.quiet.reset();
        }
        counts.pending += 1;
        true
    }

    /// Takes one pending count to start a callback; false if there is none (K1).
    pub(crate) fn begin(&self) -> bool {
        let mut counts = self.lock();
        if counts.pending == 0 {
            return false;
        }
        counts.pending -= 1;
        counts.running += 1;
        if counts.running == 1 {
            if let Some(still) = &self.still {
                still.reset();
            }
        }
        true
    }

    /// A callback returned (or its thread was disassociated from it).
    pub(crate) fn end(&self) {
        let mut counts = self.lock();
        counts.running -= 1;
        if counts.running == 0 {
            if let Some(still) = &self.still {
                still.set();
            }
        }
        self.settle(&counts);
    }

    /// Withdraws one pending count (an announced completion that will not come); false if
    /// none was pending.
    pub(crate) fn retract(&self) -> bool {
        let mut counts = self.lock();
        let Some(pending) = counts.pending.checked_sub(1) else {
            return false;
        };
        counts.pending = pending;
        self.settle(&counts);
        true
    }

    /// Waits until no callback runs (trackers made `with_running_wait` only).
    pub(crate) fn wait_running(&self) {
        if let Some(still) = &self.still {
            let _ = alertable::wait_one(still, None, Alertable::No);
        }
    }

    /// Sets `quiet` if nothing is pending or running and someone waits for it (K2).
    fn settle(&self, counts: &Counts) {
        if counts.waiters > 0 && counts.is_quiet() {
            self.quiet.set();
        }
    }

    /// Drops every pending callback (K1); returns how many.
    pub(crate) fn cancel_pending(&self) -> usize {
        let mut counts = self.lock();
        let cancelled = std::mem::take(&mut counts.pending);
        self.settle(&counts);
        cancelled
    }

    /// Closes the tracker: no new submissions (K3).
    pub(crate) fn close(&self) {
        self.lock().closed = true;
    }

    /// Whether nothing is pending or running at this moment (a snapshot).
    pub(crate) fn is_quiet(&self) -> bool {
        self.lock().is_quiet()
    }

    /// Whether the tracker is closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Waits until nothing is pending or running, optionally cancelling what is pending
    /// first.
    pub(crate) fn wait(&self, cancel_pending: bool) {
        {
            let mut counts = self.lock();
            if cancel_pending {
                counts.pending = 0;
            }
            if counts.is_quiet() {
                return;
            }
            // (K2) counted in, the event follows the counts: bring it up to date.
            counts.waiters += 1;
            self.quiet.reset();
        }
        // A wait on the event: cannot fail on one object, and waits forever.
        let _ = alertable::wait_one(&self.quiet, None, Alertable::No);
        self.lock().waiters -= 1;
    }
}

impl fmt::Debug for Tracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracker")
            .field("counts", &*self.lock())
            .finish()
    }
}

/// What a callback asked to happen when it returns.
#[derive(Default)]
struct Actions {
    event: Option<Event>,
    semaphore: Option<(Semaphore, u32)>,
    mutex: Option<alertable::Mutex>,
    other: Vec<Box<dyn FnOnce()>>,
}

/// The running callback, as the callback sees it: actions for the pool to take when it
/// returns, and hints to the pool.
///
/// Every callback is given one. The actions run on the callback's thread, after it
/// returned (also when it panicked), in the order: event, semaphore, mutex, then the others
/// in the order they were asked for; then the callback counts as finished for
/// `wait_for_callbacks` and cleanup groups.
///
/// # Win32
///
/// A `PTP_CALLBACK_INSTANCE`.
pub struct CallbackInstance<'a> {
    shared: &'a Arc<Shared>,
    tracker: Option<&'a Tracker>,
    actions: RefCell<Actions>,
    /// Whether an action was asked for.
    asked: Cell<bool>,
    finished: Cell<bool>,
    may_run_long: Cell<bool>,
}

impl<'a> CallbackInstance<'a> {
    pub(crate) fn new(shared: &'a Arc<Shared>, tracker: Option<&'a Arc<Tracker>>) -> Self {
        Self {
            shared,
            tracker: tracker.map(|t| &**t),
            actions: RefCell::new(Actions::default()),
            asked: Cell::new(false),
            finished: Cell::new(false),
            may_run_long: Cell::new(false),
        }
    }

    /// Sets `event` when the callback returns (one event per callback: a second call
    /// replaces the first).
    ///
    /// # Win32
    ///
    /// `SetEventWhenCallbackReturns`.
    pub fn set_event_when_callback_returns(&self, event: &Event) {
        self.asked.set(true);
        self.actions.borrow_mut().event = Some(event.clone());
    }

    /// Releases `semaphore` by `count` when the callback returns (one per callback).
    ///
    /// # Win32
    ///
    /// `ReleaseSemaphoreWhenCallbackReturns`.
    pub fn release_semaphore_when_callback_returns(&self, semaphore: &Semaphore, count: u32) {
        self.asked.set(true);
        self.actions.borrow_mut().semaphore = Some((semaphore.clone(), count));
    }

    /// Releases `mutex`, which the callback's thread owns, when the callback returns (one
    /// per callback).
    ///
    /// # Win32
    ///
    /// `ReleaseMutexWhenCallbackReturns`.
    pub fn release_mutex_when_callback_returns(&self, mutex: &alertable::Mutex) {
        self.asked.set(true);
        self.actions.borrow_mut().mutex = Some(mutex.clone());
    }

    /// Runs `action` on the callback's thread when the callback returns, after the
    /// actions above. The C ABI's `LeaveCriticalSectionWhenCallbackReturns` and
    /// `FreeLibraryWhenCallbackReturns` are made of it.
    #[doc(hidden)]
    pub fn when_callback_returns(&self, action: impl FnOnce() + 'static) {
        self.asked.set(true);
        self.actions.borrow_mut().other.push(Box::new(action));
    }

    /// Tells the pool that this callback may run long: the pool starts another thread for
    /// the callbacks behind it if every thread runs a callback. Returns whether a thread is
    /// available (one running no callback, or one started now); `false` means the pool is
    /// at its maximum.
    ///
    /// # Win32
    ///
    /// `CallbackMayRunLong`.
    pub fn callback_may_run_long(&self) -> bool {
        self.may_run_long.set(true);
        self.shared.grow_for_long_callback()
    }

    /// Ends the callback's association with its object now: the object's
    /// `wait_for_callbacks` and its cleanup group stop waiting for it, although it goes on
    /// running. The actions still run when it returns.
    ///
    /// # Win32
    ///
    /// `DisassociateCurrentThreadFromCallback`.
    pub fn disassociate_current_thread(&self) {
        if !self.finished.replace(true) {
            if let Some(tracker) = self.tracker {
                tracker.end();
            }
        }
    }

    /// Runs the actions and ends the callback (after it returned or panicked).
    pub(crate) fn finish(self) {
        // Most callbacks ask for nothing: leave the (empty) actions alone.
        let actions = if self.asked.get() {
            self.actions.take()
        } else {
            Actions::default()
        };
        if let Some(event) = actions.event {
            event.set();
        }
        if let Some((semaphore, count)) = actions.semaphore {
            // Over the maximum: Windows ignores the failure too.
            let _ = semaphore.release(count);
        }
        if let Some(mutex) = actions.mutex {
            let _ = mutex.release();
        }
        for action in actions.other {
            action();
        }
        if !self.finished.get() {
            if let Some(tracker) = self.tracker {
                tracker.end();
            }
        }
    }
}

impl fmt::Debug for CallbackInstance<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackInstance")
            .field("may_run_long", &self.may_run_long.get())
            .field("disassociated", &self.finished.get())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (K2) Submissions nobody waits for leave `quiet` alone, stale; a thread that comes
    /// to wait while a callback runs brings it up to date, so it waits for the callback's
    /// end and is released by it.
    #[test]
    fn a_waiter_brings_the_stale_quiet_event_up_to_date() {
        let tracker = Tracker::new();
        assert!(tracker.submit());
        assert!(tracker.begin());
        assert!(
            tracker.quiet.is_set(),
            "no waiter: the event was left alone"
        );
        let waiter = {
            let tracker = tracker.clone();
            std::thread::spawn(move || tracker.wait(false))
        };
        while tracker.lock().waiters == 0 {
            std::thread::yield_now();
        }
        assert!(
            !tracker.quiet.is_set(),
            "a callback runs: the waiter must wait"
        );
        tracker.end();
        waiter.join().unwrap();
        assert_eq!(tracker.lock().waiters, 0);
        assert!(tracker.is_quiet());
    }
}
