//! Mutexes: recursive ownership by one thread, abandoned when the owner exits.

use std::fmt;
use std::sync::Arc;

use crate::dispatch::{Acquired, Dispatcher, Locked, Signal, WaitList, Waitable};
#[cfg(not(loom))]
use crate::shared::{self, Init, Kind, NameError, Opened, Proxy};
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
    /// The shared state of a named mutex (shared/mod.rs).
    #[cfg(not(loom))]
    shared: Option<Arc<Proxy>>,
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
                #[cfg(not(loom))]
                shared: None,
            }),
        };
        if initially_owned {
            mutex.take_initial_ownership();
        }
        mutex
    }

    fn take_initial_ownership(&self) {
        let me = crate::current();
        let mut lock = Dispatcher::lock();
        self.acquire(&mut lock, &me);
    }

    /// Creates the mutex called `name`, shared with every process of the user, or opens it
    /// if it exists (then `initially_owned` is ignored, as on Windows). Names work as for
    /// [`Event::create_named`](crate::Event::create_named).
    ///
    /// If the owning thread exits, or its whole process dies (an `exit`, a crash, SIGKILL),
    /// the mutex is abandoned: the next thread to acquire it, in any process, gets
    /// [`WaitStatus::Abandoned`](crate::WaitStatus::Abandoned). A waiter in another
    /// process learns of a dead owner within 50 ms.
    ///
    /// # Errors
    ///
    /// The name and namespace errors of `Event::create_named`.
    ///
    /// # Examples
    ///
    /// One instance per user (see also `examples/single_instance.rs`):
    ///
    /// ```
    /// use alertable::{Mutex, Opened};
    ///
    /// let name = format!("doc-single-instance-{}", std::process::id());
    /// let Opened::Created(_guard) = Mutex::create_named(&name, true).unwrap() else {
    ///     panic!("another instance is running");
    /// };
    /// // A second instance finds the name taken.
    /// assert!(Mutex::create_named(&name, true).unwrap().is_existing());
    /// ```
    ///
    /// # Win32
    ///
    /// `CreateMutex(NULL, initially_owned, name)`.
    #[cfg(not(loom))]
    pub fn create_named(name: &str, initially_owned: bool) -> Result<Opened<Self>, NameError> {
        let init = Init {
            kind: Kind::Mutex,
            signal: 0,
            maximum: 1,
        };
        let opened = shared::create_or_open(name, Kind::Mutex, Some(init))?.map(Self::from_proxy);
        if let Opened::Created(mutex) = &opened
            && initially_owned
        {
            mutex.take_initial_ownership();
        }
        Ok(opened)
    }

    /// Opens the existing mutex called `name`.
    ///
    /// # Errors
    ///
    /// [`NameError::NotFound`] (2), [`NameError::WrongType`] (6), and the name errors of
    /// [`Event::create_named`](crate::Event::create_named).
    ///
    /// # Win32
    ///
    /// `OpenMutex(MUTEX_ALL_ACCESS, FALSE, name)`.
    #[cfg(not(loom))]
    pub fn open(name: &str) -> Result<Self, NameError> {
        Ok(Self::from_proxy(
            shared::create_or_open(name, Kind::Mutex, None)?.into_inner(),
        ))
    }

    #[cfg(not(loom))]
    fn from_proxy(proxy: Arc<Proxy>) -> Self {
        Self {
            inner: Arc::new(MutexInner {
                state: Locked::new(MutexState::default()),
                waiters: WaitList::new(),
                shared: Some(proxy),
            }),
        }
    }

    /// Whether `self` and `other` are handles of the same mutex.
    fn same(&self, other: &Self) -> bool {
        if Arc::ptr_eq(&self.inner, &other.inner) {
            return true;
        }
        #[cfg(not(loom))]
        if let (Some(a), Some(b)) = (&self.inner.shared, &other.inner.shared) {
            return Arc::ptr_eq(a, b);
        }
        false
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
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            if shared.mutex_release(lock, me)? {
                me.inner
                    .owned_mutexes
                    .with_mut(lock, |owned| owned.retain(|m| !m.same(self)));
            }
            return Ok(());
        }
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
            me.inner
                .owned_mutexes
                .with_mut(lock, |owned| owned.retain(|m| !m.same(self)));
            self.inner.waiters.wake_waiters(lock);
        }
        Ok(())
    }
}

impl Waitable for Mutex {
    fn wait_list(&self) -> &WaitList {
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            return shared.wait_list();
        }
        &self.inner.waiters
    }

    #[cfg(not(loom))]
    fn shared_index(&self) -> Option<u32> {
        self.inner.shared.as_ref().map(|s| s.index())
    }

    fn is_ready(&self, lock: &Dispatcher, waiter: &ThreadHandle) -> bool {
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            return shared.is_ready(lock, waiter);
        }
        self.inner.state.with(lock, |state| match &state.owner {
            None => true,
            // Windows fails at 0x80000000 acquisitions (G76); we stop one short of u32.
            Some(owner) => owner == waiter && state.recursion < u32::MAX,
        })
    }

    fn acquire(&self, lock: &mut Dispatcher, waiter: &ThreadHandle) -> Acquired {
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            let (how, first) = shared.acquire(lock, waiter);
            if first {
                let me = self.clone();
                waiter
                    .inner
                    .owned_mutexes
                    .with_mut(lock, |owned| owned.push(me));
            }
            return how;
        }
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
        #[cfg(not(loom))]
        if let Some(shared) = &mutex.inner.shared {
            shared.mutex_abandon(lock, thread);
            continue;
        }
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
