//! The dispatcher: the lock that makes multi-object waits atomic, wait lists, wait blocks,
//! and the one wait algorithm behind `wait_one`, `wait_any`, `wait_all` and
//! `signal_and_wait`.
//!
//! # The dispatcher lock
//!
//! One process-wide lock, [`Dispatcher`], guards every object's synchronised state
//! ([`Locked`]) and every wait list. Holding it is what makes a wait-all atomic: the waiter
//! sees all its objects in one consistent state and consumes them together, and no signal
//! can slip between the check and the consumption. It is held only for short, bounded
//! bookkeeping; user code (APCs, destructors of user values) never runs under it, so it
//! can neither be poisoned by user panics nor re-entered. The one lock-free path is
//! `Event::set` on an event nobody waits on (see `object/event.rs`).
//!
//! # Wait blocks
//!
//! A waiting thread puts a [`WaitBlock`] on its stack and links it into the wait list of
//! every object it waits on.
//!
//! | status          | meaning                                   | set by (under the lock)    |
//! |-----------------|-------------------------------------------|----------------------------|
//! | `Waiting`       | linked on its objects, parked or parking  | waiter                     |
//! | `Satisfied(s)`  | the objects were acquired for the waiter  | a signaler, or the waiter  |
//! | `Alerted`       | withdrawn: APCs arrived (alertable waits) | waiter                     |
//! | `ThreadAlerted` | withdrawn: the thread was alerted (alertable waits, B41) | waiter      |
//! | `TimedOut`      | withdrawn: the deadline passed, or a registered wait was cancelled | waiter, or the canceller |
//!
//! - (W1) A block leaves `Waiting` exactly once, under the lock; whoever moves it to
//!   `Satisfied` has already acquired (consumed) its objects for it.
//! - (W2) A block is linked only while its owner is inside the wait call; the owner
//!   unlinks it, under the lock, before returning. Unwinding while linked aborts the
//!   process rather than leave dangling pointers in wait lists.
//! - (W3) After linking, the waiter checks its objects once more under the same lock
//!   hold, and every object reports "has waiters" from the moment it is linked; so a
//!   signal cannot fall between the check and the sleep.
//! - (W4) Objects beat APCs: the objects are checked before the APC queue, and a block
//!   already `Satisfied` stays satisfied even if an APC arrived meanwhile (B31).
//! - (W5) An alert ranks between the two: checked after the objects and before the APC
//!   queue, and taken (cleared) only by the wait it ends. `alert` sets its flag before it
//!   unparks the thread, and the waiter checks the flag before it links and after every
//!   wake-up, so an alert is never slept through (P2).
//! - (W6) A *registered* block (`registered.rs`: a wait no thread performs) lives on the
//!   heap, inside its registration, and is linked from registration until it leaves
//!   `Waiting`; it is unlinked in that same lock hold, by the signaler that satisfies it or
//!   by its cancellation, so it is never linked while not `Waiting`, and its registration
//!   (which its handle cancels before letting go of it) outlives every link. Instead of
//!   unparking a thread, the signaler adds the registration to its [`Dispatcher`] token,
//!   which tells it when the token is dropped, after the lock is released: the
//!   notification may then take any lock, the dispatcher lock included.
//!
//! - (W7) A signaler unparks the threads whose blocks it satisfied after it releases the
//!   lock (up to [`WOKEN_INLINE`] per hold; any beyond, at once): each woken thread takes
//!   the lock to unlink its block (W2), and one woken while the signaler still held it
//!   would wake only to block on it. The block is already `Satisfied` (W1), so a waiter
//!   that finds its status before the token arrives returns, and the token left behind is
//!   a stale one, which every parker caller tolerates (P3).
//!
//! - (W8) An object may offer a lock-free claim ([`Waitable::try_claim`]) to a wait on it
//!   alone: one atomic step that finds it ready with no waiters and takes it. Every other
//!   acquisition happens under the lock and stays correct beside claims: a wait-any
//!   checks and takes each object in one step (`acquire_if_ready`), a wait-all holds off
//!   claims on its objects for the span of its check and acquisition (`hold_claims`), and
//!   a linked block's objects have waiters, which no claim takes from. A claim is thus
//!   ordered before or after each locked acquisition, never between its check and take.
//!
//! # Wait-all
//!
//! A wait-all block is satisfied only when *every* object is ready for it at one instant
//! under the lock, and then all are consumed in that same hold; otherwise nothing is
//! consumed. Whenever one of its objects changes state, the signaler re-evaluates the whole
//! block under the lock. There is no second lock to order, so it cannot deadlock, and no
//! partial acquisition to undo, so no other waiter ever sees an object transiently taken.
//! A signal that cannot complete a wait-all stays on its object for other waiters.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::{Arc, Weak};
use std::time::Instant;

use crate::MAXIMUM_WAIT_OBJECTS;
use crate::parker::Parker;
use crate::suspend::NoStop;
use crate::sync::{Mutex, MutexGuard, UnsafeCell};
use crate::thread::{Context, ThreadHandle};

/// Proof that the dispatcher lock is held. Obtained with [`Dispatcher::lock`].
///
/// Object implementations outside this crate (completion ports, message queues) use it to
/// read and change their [`Locked`] state and to wake waiters with
/// [`WaitList::wake_waiters`].
#[doc(hidden)]
pub struct Dispatcher {
    /// The namespace's robust lock, taken on demand the first time this hold touches a
    /// shared object (shared/mod.rs X5); released before the dispatcher lock (see the
    /// `Drop` impl).
    #[cfg(not(loom))]
    shared: std::cell::RefCell<Option<crate::shared::Guard>>,
    /// Released first when the token is dropped (see the `Drop` impl).
    guard: ManuallyDrop<MutexGuard<'static, ()>>,
    /// Registered waits satisfied during this hold, told once the lock is released (W6).
    satisfied: Vec<(Arc<dyn Registered>, Outcome)>,
    /// The parkers of the threads whose waits this hold satisfied, unparked once the lock
    /// is released (W7).
    woken: [Option<Arc<Parker>>; WOKEN_INLINE],
    /// Declared after the guard, so dropped after the lock is released: a suspension that
    /// arrived meanwhile stops the thread only then (suspend.rs, H6).
    _no_stop: NoStop,
    _not_send: PhantomData<*const ()>,
}

/// How many satisfied threads one hold of the lock unparks after releasing it (W7).
const WOKEN_INLINE: usize = 4;

#[cfg(not(loom))]
static DISPATCHER: Mutex<()> = Mutex::new(());

#[cfg(loom)]
loom::lazy_static! {
    static ref DISPATCHER: Mutex<()> = Mutex::new(());
}

impl Dispatcher {
    /// Takes the dispatcher lock.
    pub fn lock() -> Self {
        // Before the lock is taken: the thread must not be stopped while it holds it.
        let no_stop = NoStop::enter();
        // No user code runs under the lock, so a poisoned lock only means a panic in our
        // own bookkeeping that has already aborted the wait that caused it.
        let guard = DISPATCHER
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        #[cfg(not(loom))]
        HELD.set(true);
        Self {
            #[cfg(not(loom))]
            shared: std::cell::RefCell::new(None),
            guard: ManuallyDrop::new(guard),
            satisfied: Vec::new(),
            woken: [const { None }; WOKEN_INLINE],
            _no_stop: no_stop,
            _not_send: PhantomData,
        }
    }

    /// Whether the calling thread holds the dispatcher lock.
    #[cfg(not(loom))]
    pub(crate) fn held_here() -> bool {
        HELD.get()
    }

    /// Unparks `thread`, whose wait this hold satisfied, once the lock is released (W7).
    fn unpark_later(&mut self, thread: &ThreadHandle) {
        let parker = &thread.inner.parker;
        match self.woken.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => *slot = Some(Arc::clone(parker)),
            None => parker.unpark(),
        }
    }

    /// The namespace's robust lock, taken now if this hold has not taken it yet (X5).
    #[cfg(not(loom))]
    pub(crate) fn shared(
        &self,
        ns: &'static crate::shared::Namespace,
    ) -> std::cell::Ref<'_, crate::shared::Guard> {
        if self.shared.borrow().is_none() {
            *self.shared.borrow_mut() = Some(crate::shared::Guard::lock(ns));
        }
        std::cell::Ref::map(self.shared.borrow(), |g| {
            g.as_ref().expect("taken just above")
        })
    }
}

#[cfg(not(loom))]
thread_local! {
    /// Whether this thread holds the dispatcher lock: a shared object's last handle dropped
    /// under it defers its release (shared/object.rs).
    static HELD: Cell<bool> = const { Cell::new(false) };
}

impl Dispatcher {
    /// Releases the lock now and returns what is still owed: the notifications of the
    /// registered waits satisfied under it, delivered when the result is dropped (W6). For
    /// a signaler that holds a lock of its own, which a notification may need.
    pub(crate) fn into_notifications(mut self) -> Notifications {
        Notifications(std::mem::take(&mut self.satisfied))
    }
}

/// Registered waits' notifications, delivered on drop (W6).
#[must_use = "dropping it delivers the notifications"]
pub(crate) struct Notifications(Vec<(Arc<dyn Registered>, Outcome)>);

impl Drop for Notifications {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            notify_registered(std::mem::take(&mut self.0));
        }
    }
}

impl Drop for Dispatcher {
    /// Releases the shared references dropped under the lock and the namespace's robust
    /// lock (X5), then the dispatcher lock, then unparks the threads whose waits it
    /// satisfied (W7) and tells the registered waits satisfied under it (W6).
    fn drop(&mut self) {
        #[cfg(not(loom))]
        {
            if crate::shared::has_deferred()
                && let Some(ns) = crate::shared::attached()
            {
                crate::shared::release_deferred(&self.shared(ns));
            }
            drop(self.shared.get_mut().take());
            HELD.set(false);
        }
        // SAFETY: the guard is dropped here, once, and never touched again.
        unsafe { ManuallyDrop::drop(&mut self.guard) };
        for parker in self.woken.iter_mut().map_while(Option::take) {
            parker.unpark();
        }
        if !self.satisfied.is_empty() {
            notify_registered(std::mem::take(&mut self.satisfied));
        }
    }
}

/// Tells registered waits their outcome, with no lock held (W6).
#[cold] // only when a registered wait was satisfied
fn notify_registered(satisfied: Vec<(Arc<dyn Registered>, Outcome)>) {
    for (registered, outcome) in satisfied {
        registered.satisfied(outcome);
    }
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Dispatcher(locked)")
    }
}

/// The state word of an object that offers lock-free claims (W8): the object's own bits
/// (a signal, a count, an owner) below bit 62, and the two bits every such object keeps the
/// same way above.
pub(crate) mod claim_word {
    use crate::sync::{AtomicU64, Ordering};

    /// Set, under the dispatcher lock, while the object's wait list is non-empty: no claim
    /// succeeds, and a signal goes through the lock (W3). A named object keeps it set for
    /// good, so that both paths go to the shared state.
    pub(crate) const WAITERS: u64 = 1 << 62;
    /// Set, under the lock, while a wait-all checks and acquires the object: no claim
    /// succeeds meanwhile.
    pub(crate) const HELD: u64 = 1 << 63;

    /// `Waitable::hold_claims`. An object with waiters admits no claim already, and
    /// `WAITERS` changes only under the lock this hold is in: a signaler's re-evaluation of
    /// a linked wait-all then costs a load per object, not two read-modify-writes.
    pub(crate) fn hold(state: &AtomicU64, held: bool) {
        let now = state.load(Ordering::Relaxed);
        if held && now & WAITERS == 0 {
            state.fetch_or(HELD, Ordering::AcqRel);
        } else if !held && now & HELD != 0 {
            state.fetch_and(!HELD, Ordering::AcqRel);
        }
    }

    /// `Waitable::waiters_changed`, for an object that is not named.
    pub(crate) fn set_waiters(state: &AtomicU64, has_waiters: bool) {
        if has_waiters {
            state.fetch_or(WAITERS, Ordering::AcqRel);
        } else {
            state.fetch_and(!WAITERS, Ordering::AcqRel);
        }
    }

    /// `Waitable::hold_claims` and `Waitable::waiters_changed` for an object whose claim
    /// word is `self.inner.state` and whose named form (`self.inner.shared`) keeps
    /// `WAITERS` set for good, so that every path goes to the shared state.
    macro_rules! waitable_methods {
        () => {
            fn hold_claims(&self, _lock: &$crate::dispatch::Dispatcher, held: bool) {
                $crate::dispatch::claim_word::hold(&self.inner.state, held);
            }

            fn waiters_changed(&self, _lock: &$crate::dispatch::Dispatcher, has_waiters: bool) {
                #[cfg(not(loom))]
                if self.inner.shared.is_some() {
                    return; // WAITERS stands
                }
                $crate::dispatch::claim_word::set_waiters(&self.inner.state, has_waiters);
            }
        };
    }
    pub(crate) use waitable_methods;
}

/// State that may be touched only while the dispatcher lock is held.
#[doc(hidden)]
pub struct Locked<T> {
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached only through a `Dispatcher` token, so at most one thread
// touches it at a time; `T: Send` lets it move between those threads.
unsafe impl<T: Send> Sync for Locked<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Locked<T> {}

impl<T> Locked<T> {
    /// Wraps `value`.
    pub fn new(value: T) -> Self {
        Self {
            value: UnsafeCell::new(value),
        }
    }

    /// Reads the value. `&Dispatcher` proves the lock is held and, being shared, that no
    /// `with_mut` runs meanwhile.
    pub fn with<R>(&self, _lock: &Dispatcher, f: impl FnOnce(&T) -> R) -> R {
        // SAFETY: the lock is held (a `Dispatcher` exists only while it is), and writers
        // need `&mut Dispatcher`, which cannot coexist with our `&Dispatcher`.
        self.value.with(|p| f(unsafe { &*p }))
    }

    /// Changes the value. `&mut Dispatcher` proves the lock is held and that nothing else
    /// under it is reading.
    pub fn with_mut<R>(&self, _lock: &mut Dispatcher, f: impl FnOnce(&mut T) -> R) -> R {
        // SAFETY: as for `with`; the exclusive borrow of the token rules out any other
        // access for the duration of `f`.
        self.value.with_mut(|p| f(unsafe { &mut *p }))
    }
}

impl<T: fmt::Debug> fmt::Debug for Locked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Locked(..)")
    }
}

/// How an object was acquired.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acquired {
    /// Normally.
    Normal,
    /// It was a mutex whose owner had exited.
    Abandoned,
}

/// What a waiter may be handed: the wait's outcome, before it becomes a `WaitStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Signaled(usize),
    Abandoned(usize),
    Alerted,
    ThreadAlerted,
    TimedOut,
}

impl Outcome {
    /// A wait-any's outcome for acquiring object `index` as `how`.
    fn of(index: usize, how: Acquired) -> Self {
        match how {
            Acquired::Normal => Self::Signaled(index),
            Acquired::Abandoned => Self::Abandoned(index),
        }
    }
}

/// Whether a wait needs one object or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitKind {
    Any,
    All,
}

/// A waitable object's hooks into the dispatcher.
///
/// Every hook is called with the dispatcher lock held (the `Dispatcher` argument proves
/// it). `is_ready` must not take anything from the object (it may bring the object's own
/// state up to date: a named timer whose due time has passed fires when it is looked at,
/// as it would have at that time); `acquire` is called only right after
/// `is_ready` returned `true` in the same lock hold, and consumes what the waiter takes
/// (an auto-reset event's signal, a semaphore count, mutex ownership).
///
/// Implemented by [`Event`](crate::Event), [`Semaphore`](crate::Semaphore),
/// [`Mutex`](crate::Mutex) and [`ThreadHandle`]; other crates implement it for their own
/// objects (completion ports, message queues). The hooks are hidden from the docs because
/// only such implementations need them.
pub trait Waitable: Send + Sync {
    /// The object's wait list.
    #[doc(hidden)]
    fn wait_list(&self) -> &WaitList;

    /// Whether `waiter` could acquire the object now.
    #[doc(hidden)]
    fn is_ready(&self, lock: &Dispatcher, waiter: &ThreadHandle) -> bool;

    /// Acquires the object for `waiter`.
    #[doc(hidden)]
    fn acquire(&self, lock: &mut Dispatcher, waiter: &ThreadHandle) -> Acquired;

    /// Acquires the object for `waiter` if it is ready now; `None` otherwise. Objects
    /// that a single-object wait may claim without the lock ([`try_claim`](Self::try_claim))
    /// check and take in one step here, since a claim may take the object between a
    /// separate check and take.
    #[doc(hidden)]
    fn acquire_if_ready(&self, lock: &mut Dispatcher, waiter: &ThreadHandle) -> Option<Acquired> {
        check_then_acquire(self, lock, waiter)
    }

    /// Without the lock: acquires the object for `waiter`'s wait on it alone, if that needs
    /// no bookkeeping under the lock (W8); `None` sends the wait down the locked path.
    /// `waiter` is the calling thread.
    #[doc(hidden)]
    fn try_claim(&self, _waiter: &ThreadHandle) -> Option<Acquired> {
        None
    }

    /// Under the lock: while `true`, no [`try_claim`](Self::try_claim) of this object
    /// succeeds, so that a wait-all can check and then acquire it (W8).
    #[doc(hidden)]
    fn hold_claims(&self, _lock: &Dispatcher, _held: bool) {}

    /// Called when the wait list goes from empty to non-empty (`true`) or back (`false`).
    /// Objects with a lock-free signal path use it to send signals through the lock while
    /// anyone waits (W3).
    #[doc(hidden)]
    fn waiters_changed(&self, _lock: &Dispatcher, _has_waiters: bool) {}

    /// The object's index in the cross-process namespace, if it is a named object shared
    /// with other processes (shared/mod.rs).
    #[doc(hidden)]
    fn shared_index(&self) -> Option<u32> {
        None
    }
}

/// [`Waitable::acquire_if_ready`] as a check, then a take, under the lock: the trait's
/// default, and what objects with a lock-free claim do for their named (cross-process)
/// form, which has no claim.
pub(crate) fn check_then_acquire<W: Waitable + ?Sized>(
    object: &W,
    lock: &mut Dispatcher,
    waiter: &ThreadHandle,
) -> Option<Acquired> {
    object
        .is_ready(lock, waiter)
        .then(|| object.acquire(lock, waiter))
}

/// An object that [`signal_and_wait`](crate::signal_and_wait) can signal: an
/// [`Event`](crate::Event) (set), a [`Semaphore`](crate::Semaphore) (release one) or a
/// [`Mutex`](crate::Mutex) (release).
///
/// # Win32
///
/// The `hObjectToSignal` kinds `SignalObjectAndWait` accepts.
pub trait Signal: Send + Sync {
    /// Signals the object, under the dispatcher lock, on behalf of `signaler` (the calling
    /// thread; passed in because nothing may look it up while the lock is held).
    #[doc(hidden)]
    fn signal(
        &self,
        lock: &mut Dispatcher,
        signaler: &ThreadHandle,
    ) -> Result<(), crate::SyncError>;
}

/// An object's list of linked wait blocks, FIFO.
#[doc(hidden)]
pub struct WaitList {
    links: Locked<Vec<Link>>,
}

#[derive(Clone, Copy)]
struct Link {
    block: NonNull<WaitBlock<'static>>,
}

// SAFETY: a `Link` is only dereferenced under the dispatcher lock while its block is
// linked, and a linked block is alive (W2); the pointer itself is plain data.
unsafe impl Send for Link {}

impl Default for WaitList {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for WaitList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WaitList")
    }
}

impl WaitList {
    /// An empty list.
    pub fn new() -> Self {
        Self {
            links: Locked::new(Vec::new()),
        }
    }

    /// Offers the object to its waiters, oldest first: every waiter whose wait can now be
    /// satisfied is satisfied (its objects acquired, W1) and woken. Call it after anything
    /// that may have made the object ready.
    pub fn wake_waiters(&self, lock: &mut Dispatcher) {
        let mut i = 0;
        loop {
            let Some(link) = self.links.with(lock, |links| links.get(i).copied()) else {
                return;
            };
            i += 1;
            // SAFETY: linked blocks are alive (W2), and we hold the lock.
            let block = unsafe { link.block.as_ref() };
            if block.status.get() == Status::Waiting && block.try_satisfy(lock) {
                match &block.waiter {
                    Waiter::Thread => lock.unpark_later(block.owner),
                    Waiter::Registered(registered) => {
                        // (W6) Unlinked in this hold; its objects are distinct, so this
                        // list lost exactly the entry just visited.
                        block.unlink(lock, link.block);
                        i -= 1;
                        let registered = registered.upgrade();
                        debug_assert!(registered.is_some(), "W6: linked while alive");
                        if let (Some(registered), Status::Satisfied(outcome)) =
                            (registered, block.status.get())
                        {
                            lock.satisfied.push((registered, outcome));
                        }
                    }
                }
            }
        }
    }

    /// Whether no wait block is linked.
    #[cfg(not(loom))] // used by the watcher of shared objects only
    pub(crate) fn is_empty(&self, lock: &Dispatcher) -> bool {
        self.links.with(lock, Vec::is_empty)
    }

    fn push(&self, lock: &mut Dispatcher, link: Link) -> bool {
        self.links.with_mut(lock, |links| {
            links.push(link);
            links.len() == 1
        })
    }

    fn remove(&self, lock: &mut Dispatcher, block: NonNull<WaitBlock<'static>>) -> bool {
        self.links.with_mut(lock, |links| {
            links.retain(|l| l.block != block);
            links.is_empty()
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Waiting,
    Satisfied(Outcome),
    /// Withdrawn because APCs are pending (alertable waits only).
    Alerted,
    /// Withdrawn because the thread was alerted (alertable waits only, W5).
    ThreadAlerted,
    /// Withdrawn because the deadline passed.
    TimedOut,
}

/// Whom a wait block belongs to, and so how it is told that it was satisfied.
pub(crate) enum Waiter {
    /// A thread inside a wait call: its parker is unparked.
    Thread,
    /// A registered wait: told after the lock is released (W6).
    Registered(Weak<dyn Registered>),
}

/// A registered wait, as the dispatcher sees it (W6).
pub(crate) trait Registered: Send + Sync {
    /// The wait was satisfied with `outcome`. Called once, with no lock held, on the thread
    /// that satisfied it.
    fn satisfied(self: Arc<Self>, outcome: Outcome);
}

/// One wait — a thread's, or a registered one — linked into the wait lists of its objects.
pub(crate) struct WaitBlock<'a> {
    owner: &'a ThreadHandle,
    kind: WaitKind,
    objects: &'a [&'a dyn Waitable],
    /// The lists the block was linked into, in `objects` order: unlinking uses these, not
    /// a second call to `wait_list()`, so W2 holds even for an implementation that does
    /// not return the same list every time.
    linked: [Option<&'a WaitList>; MAXIMUM_WAIT_OBJECTS],
    /// Read and written only under the dispatcher lock (W1).
    status: Cell<Status>,
    waiter: Waiter,
}

impl<'a> WaitBlock<'a> {
    /// A registered wait-any block for `objects`, acquired on behalf of `owner` (W6). The
    /// caller has checked the list as `wait_any` does, and that no object appears twice.
    pub(crate) fn registered(
        owner: &'a ThreadHandle,
        objects: &'a [&'a dyn Waitable],
        registration: Weak<dyn Registered>,
    ) -> Self {
        let mut linked = [None; MAXIMUM_WAIT_OBJECTS];
        for (slot, object) in linked.iter_mut().zip(objects) {
            *slot = Some(object.wait_list());
        }
        Self {
            owner,
            kind: WaitKind::Any,
            objects,
            linked,
            status: Cell::new(Status::Waiting),
            waiter: Waiter::Registered(registration),
        }
    }

    /// Starts a registered block's wait (W6): satisfies it at once if it can be, otherwise
    /// links it and checks once more (W3). A block satisfied here is told when `lock` is
    /// dropped.
    ///
    /// # Safety
    ///
    /// `self` is a registered block that has never been started, and it stays at its
    /// address and alive until it has left `Waiting` (W6).
    pub(crate) unsafe fn start_registered(&self, lock: &mut Dispatcher) {
        let Waiter::Registered(registration) = &self.waiter else {
            unreachable!("only registered blocks start this way");
        };
        let registration = registration.clone();
        let ptr = NonNull::from(self).cast::<WaitBlock<'static>>();
        if !self.try_satisfy(lock) {
            for (object, list) in self.objects.iter().zip(self.linked.iter().flatten()) {
                if list.push(lock, Link { block: ptr }) {
                    object.waiters_changed(lock, true);
                }
            }
            if !self.try_satisfy(lock) {
                return;
            }
            self.unlink(lock, ptr);
        }
        if let (Some(registered), Status::Satisfied(outcome)) =
            (registration.upgrade(), self.status.get())
        {
            lock.satisfied.push((registered, outcome));
        }
    }

    /// Withdraws a registered block that is still waiting: unlinks it and marks it
    /// `TimedOut` (W6). Returns false if it had been satisfied (or withdrawn) already.
    pub(crate) fn cancel_registered(&self, lock: &mut Dispatcher) -> bool {
        if self.status.get() != Status::Waiting {
            return false;
        }
        self.status.set(Status::TimedOut);
        self.unlink(lock, NonNull::from(self).cast::<WaitBlock<'static>>());
        true
    }

    /// Removes the block from every list it is linked into.
    fn unlink(&self, lock: &mut Dispatcher, ptr: NonNull<WaitBlock<'static>>) {
        for (object, list) in self.objects.iter().zip(self.linked.iter().flatten()) {
            if list.remove(lock, ptr) {
                object.waiters_changed(lock, false);
            }
        }
    }

    /// Acquires the block's objects if the wait can be satisfied now; records the outcome.
    fn try_satisfy(&self, lock: &mut Dispatcher) -> bool {
        match try_acquire(lock, self.owner, self.objects, self.kind) {
            Some(outcome) => {
                self.status.set(Status::Satisfied(outcome));
                true
            }
            None => false,
        }
    }
}

/// Checks `objects` for `waiter` and, if the wait can be satisfied, acquires them.
fn try_acquire(
    lock: &mut Dispatcher,
    waiter: &ThreadHandle,
    objects: &[&dyn Waitable],
    kind: WaitKind,
) -> Option<Outcome> {
    match kind {
        WaitKind::Any => {
            let (index, how) = objects
                .iter()
                .enumerate()
                .find_map(|(i, o)| o.acquire_if_ready(lock, waiter).map(|how| (i, how)))?;
            Some(Outcome::of(index, how))
        }
        WaitKind::All => {
            // (W8) No lock-free claim between the check and the acquisitions.
            for object in objects {
                object.hold_claims(lock, true);
            }
            let outcome = acquire_all(lock, waiter, objects);
            for object in objects {
                object.hold_claims(lock, false);
            }
            outcome
        }
    }
}

/// A wait-all's check and acquisition, with lock-free claims held off (W8).
fn acquire_all(
    lock: &mut Dispatcher,
    waiter: &ThreadHandle,
    objects: &[&dyn Waitable],
) -> Option<Outcome> {
    if !objects.iter().all(|o| o.is_ready(lock, waiter)) {
        return None;
    }
    let mut abandoned = false;
    for object in objects {
        abandoned |= object.acquire(lock, waiter) == Acquired::Abandoned;
    }
    // Wait-all reports abandonment without an index (G74).
    Some(if abandoned {
        Outcome::Abandoned(0)
    } else {
        Outcome::Signaled(0)
    })
}

/// Aborts if dropped while armed: unwinding with a block linked would leave dangling
/// pointers in wait lists (W2).
struct AbortOnUnwind;

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        eprintln!("alertable: a wait unwound with its wait block linked; aborting");
        std::process::abort();
    }
}

/// The wait algorithm. `signal`, if given, is performed under the same lock hold as the
/// first check (signal_and_wait); a failed signal returns its error before any waiting.
pub(crate) fn wait(
    ctx: &Context,
    objects: &[&dyn Waitable],
    kind: WaitKind,
    deadline: Option<Instant>,
    zero_timeout: bool,
    alertable: bool,
    signal: Option<&dyn Signal>,
) -> Result<Outcome, crate::SyncError> {
    let me = ctx.thread();
    // (W8) A wait on one object that it can take without the lock takes no lock.
    if signal.is_none()
        && kind == WaitKind::Any
        && let [object] = objects
        && let Some(how) = object.try_claim(me)
    {
        return Ok(Outcome::of(0, how));
    }
    let mut signal = signal;
    loop {
        let mut lock = Dispatcher::lock();
        if let Some(signal) = signal.take() {
            signal.signal(&mut lock, me)?;
        }
        match wait_once(
            ctx,
            me,
            lock,
            objects,
            kind,
            deadline,
            zero_timeout,
            alertable,
        ) {
            // Only cancelled timer routines ran: not a delivered APC, so wait on.
            Outcome::Alerted if !ctx.drain() => continue,
            outcome => return Ok(outcome),
        }
    }
}

/// One attempt of [`wait`]: check, link, sleep, unlink. `Alerted` means APCs are pending
/// and nothing is linked any more; the caller runs them.
#[allow(clippy::too_many_arguments)] // the wait's parameters, passed through once
fn wait_once(
    ctx: &Context,
    me: &ThreadHandle,
    mut lock: Dispatcher,
    objects: &[&dyn Waitable],
    kind: WaitKind,
    deadline: Option<Instant>,
    zero_timeout: bool,
    alertable: bool,
) -> Outcome {
    // Objects first (W4), then APCs, then the clock.
    if let Some(outcome) = try_acquire(&mut lock, me, objects, kind) {
        return outcome;
    }
    if alertable && ctx.take_alert() {
        return Outcome::ThreadAlerted;
    }
    if alertable && ctx.has_pending() {
        return Outcome::Alerted;
    }
    if zero_timeout || deadline.is_some_and(|d| Instant::now() >= d) {
        return Outcome::TimedOut;
    }

    let mut linked = [None; MAXIMUM_WAIT_OBJECTS];
    for (slot, object) in linked.iter_mut().zip(objects) {
        *slot = Some(object.wait_list());
    }
    let block = WaitBlock {
        owner: me,
        kind,
        objects,
        linked,
        status: Cell::new(Status::Waiting),
        waiter: Waiter::Thread,
    };
    let ptr = NonNull::from(&block).cast::<WaitBlock<'static>>();
    let armed = AbortOnUnwind;
    for (object, list) in objects.iter().zip(block.linked.iter().flatten()) {
        if list.push(&mut lock, Link { block: ptr }) {
            object.waiters_changed(&lock, true);
        }
    }
    // Objects of other processes: signals there wake this thread through its record (X4),
    // and it sleeps in slices (X6).
    let shared = objects.iter().any(|o| o.shared_index().is_some());
    #[cfg(not(loom))]
    if shared {
        crate::shared::register_wait(&lock, ctx, objects);
    }
    // (W3): a signal that came through a lock-free path before we were linked is seen
    // here; from now on every signal comes through the lock.
    if block.try_satisfy(&mut lock) {
        return finish(lock, &block, ptr, armed);
    }
    drop(lock);

    // The first sleep is watched for: a signaler running at the same time answers well
    // within the watch, a wake-up takes longer. Where the thread's wait hook lists
    // descriptors, the park's own watch looks at them too (wait_hook.rs).
    let mut watch = !crate::wait_hook::watches_descriptors();
    loop {
        let slice = shared_slice(shared, objects, deadline);
        if std::mem::take(&mut watch) {
            ctx.watch_before_parking(alertable);
        }
        // Measured: a long sleep stops the next watch's yields, which would make the
        // scheduler wake this thread late (wait.rs, `watch_before_sleeping`).
        let apcs = crate::wait::measured(ctx, || {
            if alertable {
                ctx.park_for_objects_or_apcs(slice)
            } else {
                ctx.park_for_objects(slice);
                false
            }
        });
        let mut lock = Dispatcher::lock();
        if let Status::Satisfied(_) = block.status.get() {
            return finish(lock, &block, ptr, armed);
        }
        if shared {
            // Another process may have signaled (X4), or died (X6): look again.
            #[cfg(not(loom))]
            if slice.is_some_and(|s| Instant::now() >= s) {
                crate::shared::sweep_and_recheck(&lock);
            }
            if block.try_satisfy(&mut lock) {
                return finish(lock, &block, ptr, armed);
            }
        }
        if alertable && ctx.take_alert() {
            block.status.set(Status::ThreadAlerted);
            return finish(lock, &block, ptr, armed);
        }
        if apcs || (alertable && ctx.has_pending()) {
            block.status.set(Status::Alerted);
            return finish(lock, &block, ptr, armed);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            block.status.set(Status::TimedOut);
            return finish(lock, &block, ptr, armed);
        }
    }
}

/// The deadline of one sleep: `deadline`, or sooner for a wait on shared objects: a
/// slice (X6), or the next due time of a shared timer among them.
fn shared_slice(
    shared: bool,
    objects: &[&dyn Waitable],
    deadline: Option<Instant>,
) -> Option<Instant> {
    #[cfg(not(loom))]
    if shared {
        let mut slice = Instant::now() + crate::shared::SLICE;
        if let Some(due) = crate::shared::earliest_due(objects) {
            slice = slice.min(due);
        }
        return Some(deadline.map_or(slice, |d| d.min(slice)));
    }
    let _ = (shared, objects);
    deadline
}

/// Unlinks `block` (W2), disarms the abort guard, releases the lock, and returns the
/// block's final status as the outcome.
fn finish(
    mut lock: Dispatcher,
    block: &WaitBlock<'_>,
    ptr: NonNull<WaitBlock<'static>>,
    armed: AbortOnUnwind,
) -> Outcome {
    #[cfg(not(loom))]
    if block.objects.iter().any(|o| o.shared_index().is_some()) {
        crate::shared::unregister_wait(&lock, block.owner);
    }
    block.unlink(&mut lock, ptr);
    std::mem::forget(armed);
    drop(lock);
    match block.status.get() {
        Status::Satisfied(outcome) => outcome,
        // The caller runs the APCs, with nothing linked and no lock held, so a panicking
        // APC unwinds safely.
        Status::Alerted => Outcome::Alerted,
        Status::ThreadAlerted => Outcome::ThreadAlerted,
        Status::TimedOut => Outcome::TimedOut,
        Status::Waiting => unreachable!("W1: a finished block has left Waiting"),
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::thread::loom_support::owner;
    use crate::{Event, EventReset, Mutex, Semaphore};
    use loom::sync::Arc;
    use loom::sync::atomic::{AtomicUsize, Ordering};

    fn model(f: impl Fn() + Sync + Send + 'static) {
        let mut model = loom::model::Builder::new();
        if model.preemption_bound.is_none() {
            model.preemption_bound = Some(3);
        }
        model.check(f);
    }

    /// A wait-any racing two signals takes exactly one of them and leaves the other set;
    /// the waiter is never left asleep with a signal available (W1, W3).
    #[test]
    fn wait_any_races_two_signals() {
        model(|| {
            let a = Event::new(EventReset::Auto, false);
            let b = Event::new(EventReset::Auto, false);
            let setters: Vec<_> = [a.clone(), b.clone()]
                .into_iter()
                .map(|e| loom::thread::spawn(move || e.set()))
                .collect();
            let ctx = owner();
            let objects: [&dyn Waitable; 2] = [&a, &b];
            let outcome = wait(&ctx, &objects, WaitKind::Any, None, false, false, None).unwrap();
            assert!(matches!(outcome, Outcome::Signaled(0 | 1)));
            for s in setters {
                s.join().unwrap();
            }
            assert_eq!(usize::from(a.is_set()) + usize::from(b.is_set()), 1);
        });
    }

    /// (W8, D49) A lock-free claim of an auto-reset event races a wait-all that needs it
    /// and another signaled event: exactly one of them gets the event, and the wait-all
    /// takes both of its objects or neither. Without the wait-all's hold on claims, the claim
    /// can land between its check and its acquisition, and both get the event.
    #[test]
    fn a_claim_races_a_wait_all_check() {
        model(|| {
            let a = Event::new(EventReset::Auto, true);
            let b = Event::new(EventReset::Auto, true);
            let (a1, b1) = (a.clone(), b.clone());
            let all = loom::thread::spawn(move || {
                let ctx = owner();
                let objects: [&dyn Waitable; 2] = [&a1, &b1];
                wait(&ctx, &objects, WaitKind::All, None, true, false, None).unwrap()
            });
            let a2 = a.clone();
            let one = loom::thread::spawn(move || {
                let ctx = owner();
                wait(&ctx, &[&a2], WaitKind::Any, None, true, false, None).unwrap()
            });
            match (all.join().unwrap(), one.join().unwrap()) {
                (Outcome::Signaled(0), Outcome::TimedOut) => assert!(!b.is_set()),
                (Outcome::TimedOut, Outcome::Signaled(0)) => assert!(b.is_set()),
                other => panic!("the event went to both or neither: {other:?}"),
            }
            assert!(!a.is_set());
        });
    }

    /// (W8) A lock-free claim races a wait-any that checks the same event under the lock:
    /// one of them gets the one signal.
    #[test]
    fn a_claim_races_a_locked_wait_any() {
        model(|| {
            let a = Event::new(EventReset::Auto, true);
            let c = Event::new(EventReset::Auto, false);
            let (a1, c1) = (a.clone(), c.clone());
            let any = loom::thread::spawn(move || {
                let ctx = owner();
                let objects: [&dyn Waitable; 2] = [&c1, &a1];
                wait(&ctx, &objects, WaitKind::Any, None, true, false, None).unwrap()
            });
            let ctx = owner();
            let mine = wait(&ctx, &[&a], WaitKind::Any, None, true, false, None).unwrap();
            let theirs = any.join().unwrap();
            let got = [mine, theirs]
                .iter()
                .filter(|o| **o != Outcome::TimedOut)
                .count();
            assert_eq!(got, 1, "one signal, taken once: {mine:?} {theirs:?}");
            assert!(!a.is_set());
        });
    }

    /// (W8, D49) A lock-free claim of a semaphore's last count races a wait-all that needs
    /// it and a signaled event: the count goes to exactly one of them, and the wait-all
    /// takes both of its objects or neither.
    #[test]
    fn a_semaphore_claim_races_a_wait_all_check() {
        model(|| {
            let sem = Semaphore::new(1, 1).unwrap();
            let event = Event::new(EventReset::Auto, true);
            let (s1, e1) = (sem.clone(), event.clone());
            let all = loom::thread::spawn(move || {
                let ctx = owner();
                let objects: [&dyn Waitable; 2] = [&s1, &e1];
                wait(&ctx, &objects, WaitKind::All, None, true, false, None).unwrap()
            });
            let ctx = owner();
            let one = wait(&ctx, &[&sem], WaitKind::Any, None, true, false, None).unwrap();
            match (all.join().unwrap(), one) {
                (Outcome::Signaled(0), Outcome::TimedOut) => assert!(!event.is_set()),
                (Outcome::TimedOut, Outcome::Signaled(0)) => assert!(event.is_set()),
                other => panic!("the count went to both or neither: {other:?}"),
            }
            assert_eq!(sem.count(), 0);
        });
    }

    /// (W3, W8) A release that takes no lock races a thread that is about to sleep on the
    /// semaphore: the waiter is never left asleep with a count available.
    #[test]
    fn a_lock_free_release_wakes_a_waiter() {
        model(|| {
            let sem = Semaphore::new(0, 1).unwrap();
            let s = sem.clone();
            let releaser = loom::thread::spawn(move || s.release(1));
            let ctx = owner();
            let outcome = wait(&ctx, &[&sem], WaitKind::Any, None, false, false, None).unwrap();
            assert_eq!(outcome, Outcome::Signaled(0));
            assert_eq!(releaser.join().unwrap(), Ok(0));
            assert_eq!(sem.count(), 0);
        });
    }

    /// A new mutex, acquired by a wait of this model thread; the thread's context (its
    /// drop would abandon the mutex) and handle.
    fn owned_mutex() -> (Mutex, Context, ThreadHandle) {
        let mutex = Mutex::new(false);
        let ctx = owner();
        let taken = wait(&ctx, &[&mutex], WaitKind::Any, None, false, false, None);
        assert_eq!(taken, Ok(Outcome::Signaled(0)));
        let me = ctx.thread().clone();
        (mutex, ctx, me)
    }

    /// (M3, W3, W8) A mutex's owner gives it up without the lock while another thread is
    /// about to sleep on it: the waiter is never left asleep with the mutex free, and then
    /// owns it once.
    #[test]
    fn a_lock_free_mutex_release_wakes_a_waiter() {
        model(|| {
            let (mutex, _ctx, me) = owned_mutex();
            let m = mutex.clone();
            let waiter = loom::thread::spawn(move || {
                let ctx = owner();
                let outcome = wait(&ctx, &[&m], WaitKind::Any, None, false, false, None);
                let listed = m.listed_by(ctx.thread());
                let released = m.release_by(ctx.thread());
                (outcome, listed, released)
            });
            assert_eq!(mutex.release_by(&me), Ok(()));
            let (outcome, listed, released) = waiter.join().unwrap();
            assert_eq!(outcome, Ok(Outcome::Signaled(0)));
            assert_eq!(listed, 1, "the new owner lists it once");
            assert_eq!(released, Ok(()));
            assert_eq!(mutex.owner_and_count(), (0, 0));
            assert_eq!(mutex.listed_by(&me), 0);
        });
    }

    /// (M2) An acquisition made under the lock for the owner by another thread (a
    /// registered wait's) races the owner giving the mutex up: it either counts before
    /// the release, which then leaves the mutex held once, or finds it free and takes it
    /// first-hand, or finds it half given up and takes nothing; the count, the key and
    /// the owner's list agree in every case.
    #[test]
    fn an_acquisition_for_the_owner_races_its_release() {
        model(|| {
            let (mutex, _ctx, me) = owned_mutex();
            let (m, owner_handle) = (mutex.clone(), me.clone());
            let for_owner = loom::thread::spawn(move || {
                let mut lock = Dispatcher::lock();
                m.acquire_if_ready(&mut lock, &owner_handle)
            });
            let released = mutex.release_by(&me);
            let acquired = for_owner.join().unwrap();
            assert_eq!(released, Ok(()));
            let (key, count) = mutex.owner_and_count();
            match acquired {
                Some(how) => {
                    assert_eq!(how, Acquired::Normal);
                    assert_eq!((key, count), (me.key(), 1), "held once for the owner");
                    assert_eq!(mutex.listed_by(&me), 1);
                    assert_eq!(mutex.release_by(&me), Ok(()));
                }
                None => {
                    assert_eq!((key, count), (0, 0), "given up, and not taken");
                    assert_eq!(mutex.listed_by(&me), 0);
                }
            }
            assert_eq!(mutex.release_by(&me), Err(crate::SyncError::NotOwner));
        });
    }

    /// (F64) Two releases race at one below the maximum: one adds its count, the other
    /// fails and changes nothing.
    #[test]
    fn releases_race_at_the_maximum() {
        model(|| {
            let sem = Semaphore::new(1, 2).unwrap();
            let s = sem.clone();
            let other = loom::thread::spawn(move || s.release(1));
            let mine = sem.release(1);
            let theirs = other.join().unwrap();
            let ok = [mine, theirs].iter().filter(|r| r.is_ok()).count();
            assert_eq!(ok, 1, "{mine:?} {theirs:?}");
            assert!([mine, theirs].contains(&Ok(1)));
            assert!([mine, theirs].contains(&Err(crate::SyncError::TooManyPosts)));
            assert_eq!(sem.count(), 2);
        });
    }

    /// A wait-all racing a wait-one for the same semaphore: both complete, each count is
    /// consumed once, and the wait-all takes its two objects together (wait-all design).
    #[test]
    fn wait_all_races_a_competing_wait_one() {
        model(|| {
            let sem = Semaphore::new(0, 2).unwrap();
            let event = Event::new(EventReset::Auto, false);
            let (s, e) = (sem.clone(), event.clone());
            let all = loom::thread::spawn(move || {
                let ctx = owner();
                let objects: [&dyn Waitable; 2] = [&s, &e];
                wait(&ctx, &objects, WaitKind::All, None, false, false, None).unwrap()
            });
            let s = sem.clone();
            let one = loom::thread::spawn(move || {
                let ctx = owner();
                wait(&ctx, &[&s], WaitKind::Any, None, false, false, None).unwrap()
            });
            sem.release(2).unwrap();
            event.set();
            assert_eq!(all.join().unwrap(), Outcome::Signaled(0));
            assert_eq!(one.join().unwrap(), Outcome::Signaled(0));
            assert_eq!(sem.count(), 0);
            assert!(!event.is_set());
        });
    }

    /// An alertable wait racing a signal and an alert ends with one of them and consumes
    /// only that one: the other stays (the manual event set, or the alert pending); the
    /// waiter never sleeps through either (W4, W5, B41).
    #[test]
    fn alertable_wait_races_signal_and_alert() {
        model(|| {
            let event = Event::new(EventReset::Manual, false);
            let ctx = owner();
            let me = ctx.handle();
            let e = event.clone();
            let setter = loom::thread::spawn(move || e.set());
            let alerter = loom::thread::spawn(move || me.alert());
            let outcome = wait(&ctx, &[&event], WaitKind::Any, None, false, true, None).unwrap();
            setter.join().unwrap();
            alerter.join().unwrap();
            match outcome {
                Outcome::Signaled(0) => assert!(ctx.take_alert(), "the alert stays pending"),
                Outcome::ThreadAlerted => assert!(!ctx.take_alert(), "the alert was taken"),
                other => panic!("unexpected {other:?}"),
            }
            assert!(event.is_set(), "a manual event stays set");
        });
    }

    /// An alertable wait racing a signal and an APC ends with one of them; the APC runs
    /// exactly once (in the wait, or at the next drain) and the signal is never lost
    /// (W4, B20, B31).
    #[test]
    fn alertable_wait_races_signal_and_apc() {
        model(|| {
            let event = Event::new(EventReset::Manual, false);
            let ran = Arc::new(AtomicUsize::new(0));
            let ctx = owner();
            let me = ctx.handle();
            let e = event.clone();
            let setter = loom::thread::spawn(move || e.set());
            let r = ran.clone();
            let producer = loom::thread::spawn(move || {
                me.queue_apc(move || {
                    r.fetch_add(1, Ordering::Relaxed);
                })
                .unwrap();
            });
            let outcome = wait(&ctx, &[&event], WaitKind::Any, None, false, true, None).unwrap();
            match outcome {
                Outcome::Signaled(0) => {}
                Outcome::Alerted => assert_eq!(ran.load(Ordering::Relaxed), 1),
                other => panic!("unexpected {other:?}"),
            }
            setter.join().unwrap();
            producer.join().unwrap();
            ctx.drain();
            assert_eq!(ran.load(Ordering::Relaxed), 1, "the APC ran exactly once");
            assert!(event.is_set(), "a manual event stays set");
        });
    }
}
