//! Events: manual-reset and auto-reset (synchronization) events.
//!
//! The state word holds `SIGNALED` and `WAITERS`. `WAITERS` is set, under the dispatcher
//! lock, while the wait list is non-empty. `set` on an event with no waiters is one
//! compare-and-swap on that word and nothing else; when `WAITERS` is set, `set` goes
//! through the lock so that waiters are satisfied (dispatch.rs W3). Every other change
//! (`reset`, `pulse`, consumption by a wait) happens under the lock, so a wait-all sees the
//! word change only in ways it can account for: the lock-free path only ever turns a
//! non-signaled event with no waiters into a signaled one.

use std::fmt;
use std::sync::Arc;

use crate::dispatch::{Acquired, Dispatcher, Signal, WaitList, Waitable};
use crate::sync::{AtomicU32, Ordering};
use crate::{SyncError, ThreadHandle};

const SIGNALED: u32 = 0b01;
const WAITERS: u32 = 0b10;

/// Whether a successful wait resets the event.
///
/// # Win32
///
/// The `bManualReset` argument of `CreateEvent` (`NotificationEvent` / `SynchronizationEvent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventReset {
    /// Stays signaled until [`Event::reset`]; releases every waiter.
    Manual,
    /// A successful wait resets it; each `set` releases at most one waiter.
    Auto,
}

/// An event object: signaled by [`set`](Event::set), waited on with
/// [`wait_one`](crate::wait_one) and friends.
///
/// # Examples
///
/// ```
/// use alertable::{Alertable, Event, EventReset, WaitStatus, wait_one};
/// use std::time::Duration;
///
/// let ready = Event::new(EventReset::Auto, false);
/// let r = ready.clone();
/// let t = alertable::spawn(move || r.set()).unwrap();
/// assert_eq!(wait_one(&ready, None, Alertable::No), Ok(WaitStatus::Signaled(0)));
/// // The wait consumed the signal of the auto-reset event.
/// assert_eq!(wait_one(&ready, Some(Duration::ZERO), Alertable::No), Ok(WaitStatus::TimedOut));
/// t.join().unwrap();
/// ```
///
/// # Win32
///
/// An event `HANDLE` from `CreateEvent`; clones are duplicated handles.
#[derive(Clone)]
pub struct Event {
    inner: Arc<EventInner>,
}

struct EventInner {
    reset: EventReset,
    state: AtomicU32,
    waiters: WaitList,
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.state.load(Ordering::Relaxed);
        f.debug_struct("Event")
            .field("reset", &self.inner.reset)
            .field("signaled", &(state & SIGNALED != 0))
            .finish()
    }
}

impl Event {
    /// Creates an event, signaled if `initially_set`.
    ///
    /// # Win32
    ///
    /// `CreateEvent(NULL, manual, initial, NULL)`.
    pub fn new(reset: EventReset, initially_set: bool) -> Self {
        Self {
            inner: Arc::new(EventInner {
                reset,
                state: AtomicU32::new(if initially_set { SIGNALED } else { 0 }),
                waiters: WaitList::new(),
            }),
        }
    }

    /// Signals the event. A manual-reset event releases every waiter and stays signaled;
    /// an auto-reset event releases one waiter (and is reset by that wait), or stays
    /// signaled until a wait takes it (E59). Setting a set event changes nothing.
    ///
    /// With nobody waiting this is one atomic operation: no lock, no system call.
    ///
    /// # Win32
    ///
    /// `SetEvent`.
    #[inline]
    pub fn set(&self) {
        let state = &self.inner.state;
        let mut current = state.load(Ordering::Acquire);
        while current & WAITERS == 0 {
            if current & SIGNALED != 0 {
                return;
            }
            match state.compare_exchange_weak(
                current,
                current | SIGNALED,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(now) => current = now,
            }
        }
        self.set_contended();
    }

    #[cold] // only when threads wait on the event
    fn set_contended(&self) {
        let mut lock = Dispatcher::lock();
        self.set_locked(&mut lock);
    }

    fn set_locked(&self, lock: &mut Dispatcher) {
        self.inner.state.fetch_or(SIGNALED, Ordering::AcqRel);
        self.inner.waiters.wake_waiters(lock);
    }

    /// Makes the event non-signaled.
    ///
    /// # Win32
    ///
    /// `ResetEvent`.
    pub fn reset(&self) {
        let _lock = Dispatcher::lock();
        self.inner.state.fetch_and(!SIGNALED, Ordering::AcqRel);
    }

    /// Signals the event for the threads waiting on it right now, then resets it: a
    /// manual-reset event releases every current waiter, an auto-reset event at most one.
    /// Either way the event ends non-signaled, and a thread that is not inside a wait at
    /// this moment (running an APC, say) misses the pulse (E57, E58).
    ///
    /// # Win32
    ///
    /// `PulseEvent`.
    pub fn pulse(&self) {
        let mut lock = Dispatcher::lock();
        self.set_locked(&mut lock);
        self.inner.state.fetch_and(!SIGNALED, Ordering::AcqRel);
    }

    /// Whether the event is signaled at this moment (a snapshot).
    ///
    /// # Win32
    ///
    /// `NtQueryEvent`'s `EventState`.
    pub fn is_set(&self) -> bool {
        self.inner.state.load(Ordering::Acquire) & SIGNALED != 0
    }
}

impl Waitable for Event {
    fn wait_list(&self) -> &WaitList {
        &self.inner.waiters
    }

    fn is_ready(&self, _lock: &Dispatcher, _waiter: &ThreadHandle) -> bool {
        self.is_set()
    }

    fn acquire(&self, _lock: &mut Dispatcher, _waiter: &ThreadHandle) -> Acquired {
        if self.inner.reset == EventReset::Auto {
            self.inner.state.fetch_and(!SIGNALED, Ordering::AcqRel);
        }
        Acquired::Normal
    }

    fn waiters_changed(&self, _lock: &Dispatcher, has_waiters: bool) {
        if has_waiters {
            self.inner.state.fetch_or(WAITERS, Ordering::AcqRel);
        } else {
            self.inner.state.fetch_and(!WAITERS, Ordering::AcqRel);
        }
    }
}

impl Signal for Event {
    fn signal(&self, lock: &mut Dispatcher, _signaler: &ThreadHandle) -> Result<(), SyncError> {
        self.set_locked(lock);
        Ok(())
    }
}
