//! Semaphores: a count between 0 and a maximum; each successful wait takes one.

use std::fmt;
use std::sync::Arc;

use crate::dispatch::{Acquired, Dispatcher, Locked, Signal, WaitList, Waitable};
#[cfg(not(loom))]
use crate::shared::{self, Init, Kind, NameError, Opened, Proxy};
use crate::{SyncError, ThreadHandle};

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
    count: Locked<u32>,
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
                count: Locked::new(initial),
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
                count: Locked::new(0),
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
        let mut lock = Dispatcher::lock();
        self.release_locked(&mut lock, n)
    }

    fn release_locked(&self, lock: &mut Dispatcher, n: u32) -> Result<u32, SyncError> {
        if n == 0 {
            return Err(SyncError::InvalidParameter);
        }
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            return shared.semaphore_release(lock, n);
        }
        let maximum = self.inner.maximum;
        let previous = self.inner.count.with_mut(lock, |count| {
            let previous = *count;
            match previous.checked_add(n) {
                Some(next) if next <= maximum => {
                    *count = next;
                    Ok(previous)
                }
                _ => Err(SyncError::TooManyPosts),
            }
        })?;
        self.inner.waiters.wake_waiters(lock);
        Ok(previous)
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
        let lock = Dispatcher::lock();
        self.inner.count.with(&lock, |count| *count)
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
        let _ = waiter;
        self.inner.count.with(lock, |count| *count > 0)
    }

    fn acquire(&self, lock: &mut Dispatcher, waiter: &ThreadHandle) -> Acquired {
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            return shared.acquire(lock, waiter).0;
        }
        let _ = waiter;
        self.inner.count.with_mut(lock, |count| *count -= 1);
        Acquired::Normal
    }

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
