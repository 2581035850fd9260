//! Events: manual-reset and auto-reset (synchronization) events.
//!
//! The state word holds `SIGNALED`, and the `WAITERS` and `HELD` bits of
//! `dispatch::claim_word`: `WAITERS` is set, under the dispatcher lock, while the wait list
//! is non-empty; `HELD`, under the lock, while a wait-all checks and acquires the event
//! (dispatch.rs W8). Two paths take no lock:
//!
//! - `set` on an event with no waiters is one compare-and-swap that turns it signaled and
//!   nothing else; when `WAITERS` is set, `set` goes through the lock so that waiters are
//!   satisfied (W3).
//! - A wait on the event alone that finds it signaled with neither `WAITERS` nor `HELD`
//!   takes it with one compare-and-swap (an auto-reset event) or one load (a manual one):
//!   it could be satisfied at once, and there is nobody it could overtake (W8).
//!
//! Every other change (`reset`, `pulse`, consumption by a wait under the lock) happens
//! under the lock, where a wait-any takes the signal with a compare-and-swap too, and a
//! wait-all holds claims off with `HELD`, so it sees the word change only in ways it can
//! account for. A named event's word keeps `WAITERS` set for good, so both paths go through
//! the lock and the shared state.

use std::fmt;
use std::sync::Arc;

use crate::dispatch::claim_word::{self, WAITERS};
use crate::dispatch::{Acquired, Dispatcher, Signal, WaitList, Waitable};
#[cfg(not(loom))]
use crate::shared::{self, Init, Kind, NameError, Opened, Proxy};
use crate::sync::{AtomicU64, Ordering};
use crate::{SyncError, ThreadHandle};

const SIGNALED: u64 = 0b1;

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
    /// For a named event, `WAITERS` stands for good, so that `set` always takes the slow
    /// path, which goes to the shared state.
    state: AtomicU64,
    waiters: WaitList,
    /// The shared state of a named event (shared/mod.rs).
    #[cfg(not(loom))]
    shared: Option<Arc<Proxy>>,
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
                state: AtomicU64::new(if initially_set { SIGNALED } else { 0 }),
                waiters: WaitList::new(),
                #[cfg(not(loom))]
                shared: None,
            }),
        }
    }

    /// Creates the event called `name`, shared with every process of the user, or opens it
    /// if it exists (then `reset` and `initially_set` are ignored, as on Windows).
    ///
    /// Names are case-sensitive. `Local\` names the same object as no prefix; `Global\`
    /// names form a namespace of their own (one per user either way: processes of other
    /// users never see these objects). The event lives while any process holds a handle
    /// to it; a set made in one process releases waiters in all of them.
    ///
    /// # Errors
    ///
    /// [`NameError::WrongType`] if the name belongs to a semaphore or mutex (6);
    /// [`NameError::TooLong`], [`NameError::BadPath`] for a bad name;
    /// [`NameError::AccessDenied`] if the namespace directory is not the user's own;
    /// [`NameError::NoResources`] if the namespace is full.
    ///
    /// # Examples
    ///
    /// ```
    /// use alertable::{Event, EventReset, Opened};
    ///
    /// let name = format!("doc-event-{}", std::process::id());
    /// let first = Event::create_named(&name, EventReset::Manual, false).unwrap();
    /// assert!(matches!(first, Opened::Created(_)));
    /// // A second create (in this process or another) opens the same event.
    /// let second = Event::create_named(&name, EventReset::Auto, true).unwrap();
    /// assert!(second.is_existing());
    /// second.into_inner().set();
    /// assert!(first.into_inner().is_set());
    /// ```
    ///
    /// # Win32
    ///
    /// `CreateEvent(NULL, manual, initial, name)`; `Existing` is `ERROR_ALREADY_EXISTS`.
    #[cfg(not(loom))]
    pub fn create_named(
        name: &str,
        reset: EventReset,
        initially_set: bool,
    ) -> Result<Opened<Self>, NameError> {
        let kind = match reset {
            EventReset::Manual => Kind::ManualEvent,
            EventReset::Auto => Kind::AutoEvent,
        };
        let init = Init {
            kind,
            signal: u32::from(initially_set),
            maximum: 1,
        };
        Ok(shared::create_or_open(name, kind, Some(init))?.map(Self::from_proxy))
    }

    /// Opens the existing event called `name` (see [`create_named`](Self::create_named)).
    ///
    /// # Errors
    ///
    /// [`NameError::NotFound`] if no object has the name (2); [`NameError::WrongType`] if
    /// it is not an event (6); the name and namespace errors of `create_named`.
    ///
    /// # Win32
    ///
    /// `OpenEvent(EVENT_ALL_ACCESS, FALSE, name)`.
    #[cfg(not(loom))]
    pub fn open(name: &str) -> Result<Self, NameError> {
        Ok(Self::from_proxy(
            shared::create_or_open(name, Kind::ManualEvent, None)?.into_inner(),
        ))
    }

    #[cfg(not(loom))]
    fn from_proxy(proxy: Arc<Proxy>) -> Self {
        let reset = match proxy.kind() {
            Kind::AutoEvent => EventReset::Auto,
            _ => EventReset::Manual,
        };
        Self {
            inner: Arc::new(EventInner {
                reset,
                state: AtomicU64::new(WAITERS),
                waiters: WaitList::new(),
                shared: Some(proxy),
            }),
        }
    }

    /// Whether the event is shared with other processes (created or opened by name).
    #[cfg(not(loom))]
    pub fn is_named(&self) -> bool {
        self.inner.shared.is_some()
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
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            return shared.event_set(lock);
        }
        self.inner.state.fetch_or(SIGNALED, Ordering::AcqRel);
        self.inner.waiters.wake_waiters(lock);
    }

    /// Makes the event non-signaled.
    ///
    /// # Win32
    ///
    /// `ResetEvent`.
    pub fn reset(&self) {
        let lock = Dispatcher::lock();
        self.reset_locked(&lock);
    }

    fn reset_locked(&self, lock: &Dispatcher) {
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            return shared.event_reset(lock);
        }
        let _ = lock;
        self.inner.state.fetch_and(!SIGNALED, Ordering::AcqRel);
    }

    /// Signals the event for the threads waiting on it right now, then resets it: a
    /// manual-reset event releases every current waiter, an auto-reset event at most one.
    /// Either way the event ends non-signaled, and a thread that is not inside a wait at
    /// this moment (running an APC, say) misses the pulse (E57, E58).
    ///
    /// On a named event, the pulse releases the waiters of the calling process only:
    /// waiters in other processes are woken after it has ended and find the event reset
    /// (Microsoft documents `PulseEvent` as unreliable and not to be used).
    ///
    /// # Win32
    ///
    /// `PulseEvent`.
    pub fn pulse(&self) {
        let mut lock = Dispatcher::lock();
        self.set_locked(&mut lock);
        self.reset_locked(&lock);
    }

    /// Whether the event is signaled at this moment (a snapshot).
    ///
    /// # Win32
    ///
    /// `NtQueryEvent`'s `EventState`.
    pub fn is_set(&self) -> bool {
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            return shared.signal_snapshot() != 0;
        }
        self.inner.state.load(Ordering::Acquire) & SIGNALED != 0
    }
}

impl Waitable for Event {
    fn wait_list(&self) -> &WaitList {
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            return shared.wait_list();
        }
        &self.inner.waiters
    }

    fn is_ready(&self, lock: &Dispatcher, waiter: &ThreadHandle) -> bool {
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            return shared.is_ready(lock, waiter);
        }
        let _ = (lock, waiter);
        self.is_set()
    }

    fn acquire(&self, lock: &mut Dispatcher, waiter: &ThreadHandle) -> Acquired {
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            return shared.acquire(lock, waiter).0;
        }
        let _ = (lock, waiter);
        if self.inner.reset == EventReset::Auto {
            self.inner.state.fetch_and(!SIGNALED, Ordering::AcqRel);
        }
        Acquired::Normal
    }

    fn acquire_if_ready(&self, lock: &mut Dispatcher, waiter: &ThreadHandle) -> Option<Acquired> {
        #[cfg(not(loom))]
        if self.inner.shared.is_some() {
            return crate::dispatch::check_then_acquire(self, lock, waiter);
        }
        let _ = (lock, waiter);
        let state = &self.inner.state;
        if self.inner.reset == EventReset::Manual {
            return (state.load(Ordering::Acquire) & SIGNALED != 0).then_some(Acquired::Normal);
        }
        // (W8) Checked and taken in one step: a claim may take it in between otherwise.
        state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                (s & SIGNALED != 0).then_some(s & !SIGNALED)
            })
            .ok()
            .map(|_| Acquired::Normal)
    }

    fn try_claim(&self, _waiter: &ThreadHandle) -> Option<Acquired> {
        // A named event's word always has WAITERS: neither form succeeds.
        let state = &self.inner.state;
        let claimed = match self.inner.reset {
            EventReset::Auto => state
                .compare_exchange(SIGNALED, 0, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok(),
            EventReset::Manual => state.load(Ordering::Acquire) == SIGNALED,
        };
        claimed.then_some(Acquired::Normal)
    }

    claim_word::waitable_methods!();

    #[cfg(not(loom))]
    fn shared_index(&self) -> Option<u32> {
        self.inner.shared.as_ref().map(|s| s.index())
    }
}

impl Signal for Event {
    fn signal(&self, lock: &mut Dispatcher, _signaler: &ThreadHandle) -> Result<(), SyncError> {
        self.set_locked(lock);
        Ok(())
    }
}
