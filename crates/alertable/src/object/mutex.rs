//! Mutexes: recursive ownership by one thread, abandoned when the owner exits.

use std::fmt;
use std::sync::Arc;

use crate::dispatch::{Acquired, Dispatcher, Locked, Signal, WaitList, Waitable};
use crate::{SyncError, ThreadHandle};

/// A mutex object: owned by one thread at a time, recursively.
///
/// A thread acquires it by waiting on it (any wait function); the owner may acquire it
/// again without blocking and must then [`release`](Mutex::release) it once per
/// acquisition (G69). If the owner exits while holding it, the mutex is *abandoned*: the
/// next wait that acquires it — also one already blocked — reports
/// [`WaitStatus::Abandoned`](crate::WaitStatus::Abandoned) and becomes the owner (G72, G73).
///
/// Unlike `std::sync::Mutex`, it guards no data: it is a waitable object with an owner.
///
/// # Examples
///
/// ```
/// use alertable::{Alertable, Mutex, SyncError, WaitStatus, wait_one};
///
/// let m = Mutex::new(false);
/// assert_eq!(wait_one(&m, None, Alertable::No), Ok(WaitStatus::Signaled(0)));
/// assert_eq!(wait_one(&m, None, Alertable::No), Ok(WaitStatus::Signaled(0))); // recursive
/// assert_eq!(m.release(), Ok(()));
/// assert_eq!(m.release(), Ok(()));
/// assert_eq!(m.release(), Err(SyncError::NotOwner)); // one release per acquisition
/// ```
///
/// # Win32
///
/// A mutex `HANDLE` from `CreateMutex` (a mutant).
#[derive(Clone)]
pub struct Mutex {
    inner: Arc<MutexInner>,
}

struct MutexInner {
    state: Locked<MutexState>,
    waiters: WaitList,
}

#[derive(Default)]
struct MutexState {
    owner: Option<ThreadHandle>,
    recursion: u32,
    abandoned: bool,
}

/// The mutexes a thread owns, so that its exit can abandon them.
pub(crate) type OwnedMutexes = Locked<Vec<Mutex>>;

impl fmt::Debug for Mutex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex").finish_non_exhaustive()
    }
}

impl Mutex {
    /// Creates a mutex, owned by the calling thread if `initially_owned` (G70).
    ///
    /// # Win32
    ///
    /// `CreateMutex(NULL, initially_owned, NULL)`.
    pub fn new(initially_owned: bool) -> Self {
        let mutex = Self {
            inner: Arc::new(MutexInner {
                state: Locked::new(MutexState::default()),
                waiters: WaitList::new(),
            }),
        };
        if initially_owned {
            let me = crate::current();
            let mut lock = Dispatcher::lock();
            mutex.acquire(&mut lock, &me);
        }
        mutex
    }

    /// Gives up one acquisition; the mutex is free once every acquisition is released, and
    /// then goes to the longest-waiting thread that can take it.
    ///
    /// # Errors
    ///
    /// [`SyncError::NotOwner`] if the calling thread does not own the mutex (G68, G69).
    ///
    /// # Win32
    ///
    /// `ReleaseMutex`.
    pub fn release(&self) -> Result<(), SyncError> {
        let me = crate::current();
        let mut lock = Dispatcher::lock();
        self.release_locked(&mut lock, &me)
    }

    fn release_locked(&self, lock: &mut Dispatcher, me: &ThreadHandle) -> Result<(), SyncError> {
        let freed = self.inner.state.with_mut(lock, |state| {
            if state.owner.as_ref() != Some(me) {
                return Err(SyncError::NotOwner);
            }
            state.recursion -= 1;
            if state.recursion == 0 {
                state.owner = None;
            }
            Ok(state.recursion == 0)
        })?;
        if freed {
            me.inner.owned_mutexes.with_mut(lock, |owned| {
                owned.retain(|m| !Arc::ptr_eq(&m.inner, &self.inner))
            });
            self.inner.waiters.wake_waiters(lock);
        }
        Ok(())
    }
}

impl Waitable for Mutex {
    fn wait_list(&self) -> &WaitList {
        &self.inner.waiters
    }

    fn is_ready(&self, lock: &Dispatcher, waiter: &ThreadHandle) -> bool {
        self.inner.state.with(lock, |state| match &state.owner {
            None => true,
            // Windows fails at 0x80000000 acquisitions (G76); we stop one short of u32.
            Some(owner) => owner == waiter && state.recursion < u32::MAX,
        })
    }

    fn acquire(&self, lock: &mut Dispatcher, waiter: &ThreadHandle) -> Acquired {
        let first = self.inner.state.with_mut(lock, |state| {
            state.recursion += 1;
            if state.owner.is_some() {
                return None;
            }
            state.owner = Some(waiter.clone());
            Some(std::mem::take(&mut state.abandoned))
        });
        match first {
            None => Acquired::Normal,
            Some(abandoned) => {
                let me = self.clone();
                waiter
                    .inner
                    .owned_mutexes
                    .with_mut(lock, |owned| owned.push(me));
                if abandoned {
                    Acquired::Abandoned
                } else {
                    Acquired::Normal
                }
            }
        }
    }
}

impl Signal for Mutex {
    fn signal(&self, lock: &mut Dispatcher, signaler: &ThreadHandle) -> Result<(), SyncError> {
        self.release_locked(lock, signaler)
    }
}

/// Abandons every mutex `thread` still owns (it is exiting) and offers each to its waiters.
pub(crate) fn abandon_owned_mutexes(lock: &mut Dispatcher, thread: &ThreadHandle) {
    let owned = thread.inner.owned_mutexes.with_mut(lock, std::mem::take);
    for mutex in owned {
        mutex.inner.state.with_mut(lock, |state| {
            *state = MutexState {
                owner: None,
                recursion: 0,
                abandoned: true,
            };
        });
        mutex.inner.waiters.wake_waiters(lock);
    }
}
