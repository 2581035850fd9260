//! Mutexes: recursive ownership by one thread, abandoned when the owner exits.
//!
//! The state word holds the owner's key (a number its thread has for life and no other
//! thread of the process ever has; 0 when free), `ABANDONED`, and the `WAITERS` and `HELD` bits of
//! `dispatch::claim_word`, as an event's does. The count of acquisitions is a word of its
//! own. The protocol, beside the dispatcher's W-invariants:
//!
//! - (M1) The owner's key is written into a free word by one compare-and-swap: a claim
//!   (W8: a wait on the mutex alone, with neither `WAITERS` nor `HELD`) or an acquisition
//!   under the dispatcher lock. Only the owner clears it, when its last acquisition is
//!   released or when it exits (abandoning), so no thread but the owner ever finds its
//!   own key in the word.
//! - (M2) The count is 0 while the mutex is free, and while it is being taken or given up.
//!   The first acquisition makes it 1 after the key went in; a recursive one adds 1 only to
//!   a count that is not 0, and a release subtracts 1 only from such a count, each one
//!   atomic step. So an acquisition made for the owner by another thread (a registered
//!   wait's, under the lock) while the owner gives the mutex up either comes first, and
//!   the release leaves it held, or finds 0 and waits for the mutex to be free; and a
//!   release on a thread whose key went in but whose count is still 0 (it does not know it
//!   owns the mutex yet) fails as a non-owner's.
//! - (M3) The release that takes the count to 0 leaves the thread's owned list first, then
//!   clears the key with a compare-and-swap while `WAITERS` is clear; with `WAITERS` set
//!   it clears it under the lock and offers the mutex to the waiters (W3: a waiter sets
//!   `WAITERS` under the lock before its last check, so the swap either came before that
//!   check, which then finds the mutex free, or fails).
//! - (M4) Abandonment (the owner exits) happens under the lock, on the owner's thread, or
//!   under the lock right after an acquisition made for a thread that has already exited
//!   (a registered wait's):
//!   the count goes to 0, the key out and `ABANDONED` in, then the waiters are offered the
//!   mutex. The next acquisition, claimed or locked, takes `ABANDONED` out with the key
//!   going in and reports it.
//!
//! A named mutex's word keeps `WAITERS` set for good, so every path goes through the lock
//! and the shared state.

use std::fmt;
use std::sync::Arc;

use crate::dispatch::claim_word::{self, HELD, WAITERS};
use crate::dispatch::{Acquired, Dispatcher, Signal, WaitList, Waitable};
#[cfg(not(loom))]
use crate::shared::{self, Init, Kind, NameError, Opened, Proxy};
use crate::sync::{AtomicU32, AtomicU64, Ordering};
use crate::{SyncError, ThreadHandle};

/// Set while the mutex is free after its owner exited holding it (M4).
const ABANDONED: u64 = 1 << 61;
/// The owner's key, below the flags.
const OWNER: u64 = ABANDONED - 1;

/// The owner key in a state word.
#[inline]
fn owner_of(state: u64) -> u64 {
    state & OWNER
}

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
    /// The owner's key, `ABANDONED`, `WAITERS`, `HELD` (M1–M4). For a named mutex,
    /// `WAITERS` stands for good, so that every path goes to the shared state.
    state: AtomicU64,
    /// Acquisitions by the owner, 0 while free (M2).
    recursion: AtomicU32,
    waiters: WaitList,
    /// The shared state of a named mutex (shared/mod.rs).
    #[cfg(not(loom))]
    shared: Option<Arc<Proxy>>,
}

/// The mutexes a thread owns, so that its exit can abandon them. A lock of its own, not
/// the dispatcher's: a claim adds to it without the dispatcher lock (M1).
pub(crate) type OwnedMutexes = crate::sync::Mutex<Vec<Mutex>>;

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
                state: AtomicU64::new(0),
                recursion: AtomicU32::new(0),
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
        if self.try_claim(&me).is_none() {
            let mut lock = Dispatcher::lock();
            self.acquire(&mut lock, &me);
        }
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
                state: AtomicU64::new(WAITERS),
                recursion: AtomicU32::new(0),
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
        crate::thread::with_current(|ctx| self.release_by(ctx.thread()))
    }

    /// [`release`](Self::release), by `me`, the calling thread.
    pub(crate) fn release_by(&self, me: &ThreadHandle) -> Result<(), SyncError> {
        if self.inner.state.load(Ordering::Acquire) & WAITERS == 0 {
            // Not named, nobody waits: no lock unless a waiter comes meanwhile (M3).
            match self.release_own(me)? {
                Released::Held | Released::Freed => return Ok(()),
                Released::Waited => {}
            }
            let mut lock = Dispatcher::lock();
            self.free_locked(&mut lock);
            return Ok(());
        }
        let mut lock = Dispatcher::lock();
        self.release_locked(&mut lock, me)
    }

    /// The owner's key (0: free) and its count of acquisitions, for the models.
    #[cfg(loom)]
    pub(crate) fn owner_and_count(&self) -> (u64, u32) {
        (
            owner_of(self.inner.state.load(Ordering::Acquire)),
            self.inner.recursion.load(Ordering::Acquire),
        )
    }

    /// Whether `thread`'s list of owned mutexes holds this one, and how many times.
    #[cfg(loom)]
    pub(crate) fn listed_by(&self, thread: &ThreadHandle) -> usize {
        lock_owned(thread).iter().filter(|m| m.same(self)).count()
    }

    /// Gives up one of `me`'s acquisitions without the lock. `Waited`: the count is 0 and
    /// the mutex left `me`'s list, but the key is still in, for the caller to clear under
    /// the lock, since a waiter came (M3).
    fn release_own(&self, me: &ThreadHandle) -> Result<Released, SyncError> {
        let state = &self.inner.state;
        if owner_of(state.load(Ordering::Acquire)) != me.key() {
            return Err(SyncError::NotOwner);
        }
        // M2: a count of 0 is a mutex being taken or given up, not yet this thread's.
        let counted = self
            .inner
            .recursion
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |r| {
                (r > 0).then(|| r - 1)
            });
        match counted {
            Err(_) => return Err(SyncError::NotOwner),
            Ok(r) if r > 1 => return Ok(Released::Held),
            Ok(_) => {}
        }
        self.leave_owned_list(me);
        let mut current = state.load(Ordering::Acquire);
        while current & WAITERS == 0 {
            match state.compare_exchange_weak(
                current,
                current & !OWNER,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(Released::Freed),
                Err(now) => current = now,
            }
        }
        Ok(Released::Waited)
    }

    fn leave_owned_list(&self, me: &ThreadHandle) {
        lock_owned(me).retain(|m| !m.same(self));
    }

    /// Clears the key, the count already 0, and offers the mutex to the waiters.
    fn free_locked(&self, lock: &mut Dispatcher) {
        self.inner.state.fetch_and(!OWNER, Ordering::AcqRel);
        self.inner.waiters.wake_waiters(lock);
    }

    fn release_locked(&self, lock: &mut Dispatcher, me: &ThreadHandle) -> Result<(), SyncError> {
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            if shared.mutex_release(lock, me)? {
                self.leave_owned_list(me);
            }
            return Ok(());
        }
        match self.release_own(me)? {
            Released::Held => {}
            // No waiter to offer it to: W3 orders this swap before any waiter's check.
            Released::Freed => {}
            Released::Waited => self.free_locked(lock),
        }
        Ok(())
    }

    /// Whether `waiter` may take the mutex now (not named): free, or `waiter`'s own with
    /// room for one more acquisition (M2).
    fn ready_for(&self, waiter: &ThreadHandle) -> bool {
        let owner = owner_of(self.inner.state.load(Ordering::Acquire));
        owner == 0
            || (owner == waiter.key()
                && recursion_room(self.inner.recursion.load(Ordering::Acquire)))
    }

    /// Puts `waiter`'s key into the free word or, if it is `waiter`'s own already, counts
    /// one more acquisition; `None` if neither (M1, M2). `claims`: only with neither
    /// `WAITERS` nor `HELD` (a claim, W8).
    fn take_for(&self, waiter: &ThreadHandle, claims: bool) -> Option<Acquired> {
        let state = &self.inner.state;
        if claims && waiter.is_finished() {
            // A thread past its exit (a detached context in thread-local teardown): under
            // the lock, where what it takes is abandoned at once (M4).
            return None;
        }
        let me = waiter.key();
        debug_assert_eq!(me & !OWNER, 0, "M1: a key fits below the flags");
        let mut current = state.load(Ordering::Acquire);
        loop {
            let owner = owner_of(current);
            if owner == me {
                // `waiter`'s own (M1): one more acquisition, unless it is being taken or
                // given up (M2).
                let counted =
                    self.inner
                        .recursion
                        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |r| {
                            recursion_room(r).then_some(r + 1)
                        });
                return counted.ok().map(|_| Acquired::Normal);
            }
            if owner != 0 || (claims && current & (WAITERS | HELD) != 0) {
                return None;
            }
            match state.compare_exchange_weak(
                current,
                (current & !ABANDONED) | me,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(now) => current = now,
            }
        }
        // M2: nobody else changes a count of 0 under a key: a store will do.
        self.inner.recursion.store(1, Ordering::Release);
        lock_owned(waiter).push(self.clone());
        Some(if current & ABANDONED != 0 {
            Acquired::Abandoned
        } else {
            Acquired::Normal
        })
    }
}

impl Mutex {
    /// Under the lock, after an acquisition for `waiter`: if `waiter` has exited (a
    /// registered wait's thread; its exit abandoned what it owned then, in an earlier hold
    /// of the lock, M4), the mutex is abandoned now, as it would have been then. Without a
    /// wake-up of its own: this runs while a signaler offers the mutex to its waiters, and
    /// that offer goes on to the blocks after this one.
    fn abandon_if_exited(&self, waiter: &ThreadHandle) {
        if waiter.is_finished() {
            self.leave_owned_list(waiter);
            make_abandoned(self, waiter);
        }
    }
}

/// Whether an owner's count of `r` admits one more acquisition: not 0, which is a mutex
/// being taken or given up (M2), and not at the limit (Windows fails at 0x80000000
/// acquisitions, G76; we stop one short of `u32`).
#[inline]
fn recursion_room(r: u32) -> bool {
    r > 0 && r < u32::MAX
}

/// How [`Mutex::release_own`] left the mutex.
enum Released {
    /// Still owned: other acquisitions remain.
    Held,
    /// Free.
    Freed,
    /// The count is 0, the key still in: a waiter came, so it is freed under the lock.
    Waited,
}

/// `thread`'s list of owned mutexes (a panic while it was held poisons nothing it
/// guards: the list is pushed to and filtered whole).
fn lock_owned(thread: &ThreadHandle) -> crate::sync::MutexGuard<'_, Vec<Mutex>> {
    match thread.inner.owned_mutexes.lock() {
        Ok(list) => list,
        Err(poisoned) => poisoned.into_inner(),
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
        let _ = lock;
        self.ready_for(waiter)
    }

    fn acquire(&self, lock: &mut Dispatcher, waiter: &ThreadHandle) -> Acquired {
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            let (how, first) = shared.acquire(lock, waiter);
            if first {
                if waiter.is_finished() {
                    // Acquired for a thread that has exited: abandoned at once (M4).
                    shared.mutex_abandon_in_offer(lock, waiter);
                } else {
                    lock_owned(waiter).push(self.clone());
                }
            }
            return how;
        }
        let _ = lock;
        // Found ready under this lock hold, with claims held off (W8): only the owner
        // could have changed the word since, and only to free it (M3). (A registered
        // wait, the one acquirer for a thread that runs meanwhile, is a wait-any: it comes
        // through `acquire_if_ready`.)
        let how = self.take_for(waiter, false);
        debug_assert!(how.is_some(), "W8: the mutex was there to take");
        let how = how.unwrap_or(Acquired::Normal);
        self.abandon_if_exited(waiter);
        how
    }

    fn acquire_if_ready(&self, lock: &mut Dispatcher, waiter: &ThreadHandle) -> Option<Acquired> {
        #[cfg(not(loom))]
        if self.inner.shared.is_some() {
            return crate::dispatch::check_then_acquire(self, lock, waiter);
        }
        let _ = lock;
        // (W8) Checked and taken in one step.
        let how = self.take_for(waiter, false)?;
        self.abandon_if_exited(waiter);
        Some(how)
    }

    fn try_claim(&self, waiter: &ThreadHandle) -> Option<Acquired> {
        // A named mutex's word always has WAITERS and no key: this never succeeds there.
        self.take_for(waiter, true)
    }

    claim_word::waitable_methods!();
}

impl Signal for Mutex {
    fn signal(&self, lock: &mut Dispatcher, signaler: &ThreadHandle) -> Result<(), SyncError> {
        self.release_locked(lock, signaler)
    }
}

/// Abandons every mutex `thread` still owns (it is exiting, and this is its thread) and
/// offers each to its waiters (M4).
pub(crate) fn abandon_owned_mutexes(lock: &mut Dispatcher, thread: &ThreadHandle) {
    let owned = std::mem::take(&mut *lock_owned(thread));
    for mutex in owned {
        #[cfg(not(loom))]
        if let Some(shared) = &mutex.inner.shared {
            shared.mutex_abandon(lock, thread);
            continue;
        }
        make_abandoned(&mutex, thread);
        mutex.inner.waiters.wake_waiters(lock);
    }
}

/// Frees `mutex`, which `thread` owns and no longer lists, as abandoned (M4); offering it to
/// the waiters is the caller's.
fn make_abandoned(mutex: &Mutex, thread: &ThreadHandle) {
    mutex.inner.recursion.store(0, Ordering::Release);
    let abandoned = mutex
        .inner
        .state
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
            (owner_of(s) == thread.key()).then_some((s & !OWNER) | ABANDONED)
        });
    debug_assert!(abandoned.is_ok(), "M1: a listed mutex is its owner's");
}
