//! Semaphores: a count between 0 and a maximum; each successful wait takes one.
//!
//! The state word holds the count in its low 32 bits, and above it the `WAITERS` and
//! `HELD` bits of `dispatch::claim_word`, as an event's does: `WAITERS` is set, under the
//! dispatcher lock, while the wait list is non-empty; `HELD`, under the lock, while a
//! wait-all checks and acquires the semaphore (dispatch.rs W8). Two paths take no lock:
//!
//! - `release` with no waiters is one compare-and-swap that adds to the count (or finds
//!   that it would pass the maximum); with `WAITERS` set it goes through the lock, so that
//!   waiters are satisfied (W3).
//! - A wait on the semaphore alone that finds a count with neither `WAITERS` nor `HELD`
//!   takes one with a compare-and-swap (W8).
//!
//! Under the lock a wait-any checks and takes a count in one step, and a wait-all holds
//! claims off with `HELD`; a lock-free release in between only adds to what it saw. A
//! named semaphore's word keeps `WAITERS` set for good, so both paths go through the lock
//! and the shared state.

use std::fmt;
use std::sync::Arc;

use crate::dispatch::claim_word::{self, HELD, WAITERS};
use crate::dispatch::{Acquired, Dispatcher, Signal, WaitList, Waitable};
#[cfg(not(loom))]
use crate::shared::{self, Init, Kind, NameError, Opened, Proxy};
use crate::sync::{AtomicU64, Ordering};
use crate::{SyncError, ThreadHandle};

/// The count's bits of the state word, below `WAITERS` and `HELD`.
const COUNT: u64 = 0xffff_ffff;

/// The count in a state word.
#[inline]
fn count_of(state: u64) -> u32 {
    (state & COUNT) as u32
}

/// A counting semaphore.
///
/// # Examples
///
/// ```
/// use alertable::{Alertable, Semaphore, SyncError, WaitStatus, wait_one};
/// use std::time::Duration;
///
/// let slots = Semaphore::new(1, 2).unwrap();
/// assert_eq!(wait_one(&slots, Some(Duration::ZERO), Alertable::No), Ok(WaitStatus::Signaled(0)));
/// assert_eq!(wait_one(&slots, Some(Duration::ZERO), Alertable::No), Ok(WaitStatus::TimedOut));
/// assert_eq!(slots.release(2), Ok(0)); // the previous count
/// assert_eq!(slots.release(1), Err(SyncError::TooManyPosts)); // over the maximum
/// ```
///
/// # Win32
///
/// A semaphore `HANDLE` from `CreateSemaphore`. Semaphores have no owner and are never
/// abandoned (F67).
#[derive(Clone)]
pub struct Semaphore {
    inner: Arc<SemaphoreInner>,
}

struct SemaphoreInner {
    /// The count, `WAITERS` and `HELD` (see the module docs). For a named semaphore,
    /// `WAITERS` stands for good and the count lives in the shared state.
    state: AtomicU64,
    maximum: u32,
    waiters: WaitList,
    /// The shared state of a named semaphore (shared/mod.rs).
    #[cfg(not(loom))]
    shared: Option<Arc<Proxy>>,
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("maximum", &self.inner.maximum)
            .finish_non_exhaustive()
    }
}

impl Semaphore {
    /// Creates a semaphore with `initial` counts available out of `maximum`.
    ///
    /// # Errors
    ///
    /// [`SyncError::InvalidParameter`] if `maximum` is 0 or `initial > maximum` (F63).
    ///
    /// # Win32
    ///
    /// `CreateSemaphore(NULL, initial, maximum, NULL)`.
    pub fn new(initial: u32, maximum: u32) -> Result<Self, SyncError> {
        if maximum == 0 || initial > maximum {
            return Err(SyncError::InvalidParameter);
        }
        Ok(Self {
            inner: Arc::new(SemaphoreInner {
                state: AtomicU64::new(u64::from(initial)),
                maximum,
                waiters: WaitList::new(),
                #[cfg(not(loom))]
                shared: None,
            }),
        })
    }

    /// Creates the semaphore called `name`, shared with every process of the user, or opens
    /// it if it exists (then `initial` and `maximum` are ignored once checked, as on
    /// Windows). Names work as for [`Event::create_named`](crate::Event::create_named).
    ///
    /// # Errors
    ///
    /// [`SyncError::InvalidParameter`] (as [`new`](Self::new)) comes first, as
    /// `Err(Ok(_))`; name and namespace errors as `Err(Err(NameError))`.
    ///
    /// # Win32
    ///
    /// `CreateSemaphore(NULL, initial, maximum, name)`.
    #[cfg(not(loom))]
    pub fn create_named(
        name: &str,
        initial: u32,
        maximum: u32,
    ) -> Result<Opened<Self>, Result<SyncError, NameError>> {
        if maximum == 0 || initial > maximum {
            return Err(Ok(SyncError::InvalidParameter));
        }
        let init = Init {
            kind: Kind::Semaphore,
            signal: initial,
            maximum,
        };
        shared::create_or_open(name, Kind::Semaphore, Some(init))
            .map(|opened| opened.map(Self::from_proxy))
            .map_err(Err)
    }

    /// Opens the existing semaphore called `name`.
    ///
    /// # Errors
    ///
    /// [`NameError::NotFound`] (2), [`NameError::WrongType`] (6), and the name errors of
    /// [`Event::create_named`](crate::Event::create_named).
    ///
    /// # Win32
    ///
    /// `OpenSemaphore(SEMAPHORE_ALL_ACCESS, FALSE, name)`.
    #[cfg(not(loom))]
    pub fn open(name: &str) -> Result<Self, NameError> {
        Ok(Self::from_proxy(
            shared::create_or_open(name, Kind::Semaphore, None)?.into_inner(),
        ))
    }

    #[cfg(not(loom))]
    fn from_proxy(proxy: Arc<Proxy>) -> Self {
        Self {
            inner: Arc::new(SemaphoreInner {
                state: AtomicU64::new(WAITERS),
                maximum: proxy.semaphore_maximum(),
                waiters: WaitList::new(),
                shared: Some(proxy),
            }),
        }
    }

    /// Adds `n` to the count, releasing up to `n` waiters, and returns the previous count.
    ///
    /// # Errors
    ///
    /// - [`SyncError::TooManyPosts`] if the count would exceed the maximum; the count is
    ///   unchanged (F64, F65);
    /// - [`SyncError::InvalidParameter`] if `n` is 0.
    ///
    /// # Win32
    ///
    /// `ReleaseSemaphore(h, n, &previous)`.
    pub fn release(&self, n: u32) -> Result<u32, SyncError> {
        if n == 0 {
            return Err(SyncError::InvalidParameter);
        }
        let state = &self.inner.state;
        let mut current = state.load(Ordering::Acquire);
        while current & WAITERS == 0 {
            let previous = count_of(current);
            let next = self.added(previous, n)?;
            match state.compare_exchange_weak(
                current,
                current - u64::from(previous) + u64::from(next),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(previous),
                Err(now) => current = now,
            }
        }
        self.release_contended(n)
    }

    #[cold] // only when threads wait on the semaphore, or it is named
    fn release_contended(&self, n: u32) -> Result<u32, SyncError> {
        let mut lock = Dispatcher::lock();
        self.release_locked(&mut lock, n)
    }

    /// `count + n`, unless that passes the maximum (F64, F65).
    fn added(&self, count: u32, n: u32) -> Result<u32, SyncError> {
        count
            .checked_add(n)
            .filter(|&next| next <= self.inner.maximum)
            .ok_or(SyncError::TooManyPosts)
    }

    /// `n` is not 0: `release` refused that, and a signal releases 1.
    fn release_locked(&self, lock: &mut Dispatcher, n: u32) -> Result<u32, SyncError> {
        debug_assert!(n > 0);
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            return shared.semaphore_release(lock, n);
        }
        let previous = self
            .inner
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                let next = self.added(count_of(s), n).ok()?;
                Some(s - (s & COUNT) + u64::from(next))
            })
            .map_err(|_| SyncError::TooManyPosts)?;
        self.inner.waiters.wake_waiters(lock);
        Ok(count_of(previous))
    }

    /// The count at this moment (a snapshot).
    ///
    /// # Win32
    ///
    /// `NtQuerySemaphore`'s `CurrentCount`.
    pub fn count(&self) -> u32 {
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            return shared.signal_snapshot();
        }
        count_of(self.inner.state.load(Ordering::Acquire))
    }

    /// The maximum count.
    pub fn maximum(&self) -> u32 {
        self.inner.maximum
    }
}

impl Waitable for Semaphore {
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
        count_of(self.inner.state.load(Ordering::Acquire)) > 0
    }

    fn acquire(&self, lock: &mut Dispatcher, waiter: &ThreadHandle) -> Acquired {
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            return shared.acquire(lock, waiter).0;
        }
        let _ = (lock, waiter);
        // Checked ready under this lock hold, with claims held off (W8): a count is there.
        // Taken only if so all the same, so that a broken W8 could never borrow from the
        // flag bits.
        let took = self
            .inner
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                (count_of(s) > 0).then(|| s - 1)
            });
        debug_assert!(took.is_ok(), "W8: a count was there to take");
        Acquired::Normal
    }

    fn acquire_if_ready(&self, lock: &mut Dispatcher, waiter: &ThreadHandle) -> Option<Acquired> {
        #[cfg(not(loom))]
        if self.inner.shared.is_some() {
            return crate::dispatch::check_then_acquire(self, lock, waiter);
        }
        let _ = (lock, waiter);
        // (W8) Checked and taken in one step: a claim may take it in between otherwise.
        self.inner
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                (count_of(s) > 0).then(|| s - 1)
            })
            .ok()
            .map(|_| Acquired::Normal)
    }

    fn try_claim(&self, _waiter: &ThreadHandle) -> Option<Acquired> {
        // A named semaphore's word always has WAITERS: this never succeeds there.
        self.inner
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                (s & (WAITERS | HELD) == 0 && count_of(s) > 0).then(|| s - 1)
            })
            .ok()
            .map(|_| Acquired::Normal)
    }

    claim_word::waitable_methods!();

    #[cfg(not(loom))]
    fn shared_index(&self) -> Option<u32> {
        self.inner.shared.as_ref().map(|s| s.index())
    }
}

impl Signal for Semaphore {
    fn signal(&self, lock: &mut Dispatcher, _signaler: &ThreadHandle) -> Result<(), SyncError> {
        self.release_locked(lock, 1).map(drop)
    }
}
