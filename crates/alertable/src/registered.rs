//! Registered waits: [`RegisteredWait`], a wait on dispatcher objects that no thread
//! performs.
//!
//! A thread's wait puts its wait block on its stack and parks; a registered wait puts the
//! same kind of block on the heap, inside a `Registration`, and links it into its objects'
//! wait lists just the same (`dispatch.rs`, W6). The objects see one more waiter, FIFO
//! among the threads; a signaler satisfies it under the dispatcher lock as it would a
//! thread's wait — acquiring the objects for it (W1) — and, in place of unparking a thread,
//! hands the registration to its lock token, which calls the notification once the lock
//! is released. So a thread pool can watch any number of objects with no thread waiting:
//! the notification posts the callback to the pool's completion port.
//!
//! | state of the block | meaning                               | left by                        |
//! |--------------------|---------------------------------------|--------------------------------|
//! | `Waiting`          | linked on its objects                 | a signaler or the canceller    |
//! | `Satisfied(s)`     | unlinked; the notification is owed    | — (final)                      |
//! | `TimedOut`         | unlinked by [`RegisteredWait::cancel`] | — (final)                     |
//!
//! - (R1) The notification runs at most once: it is taken out of its slot by the one call
//!   of `satisfied` that W1 allows, and a cancelled registration never gets that call.
//! - (R2) The memory the block refers to (the owner's handle, the object list) is owned by
//!   the registration and freed only when the registration is dropped, which happens only
//!   after its block has left `Waiting` and so is no longer linked (W6): the handle
//!   cancels before it lets go, and the lock token holds its own reference until the
//!   notification has run.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;
use std::sync::{Arc, Weak};

use crate::dispatch::{Dispatcher, Outcome, Registered, WaitBlock, Waitable};
use crate::sync::Mutex;
use crate::thread::ThreadHandle;
use crate::unwind::discard_panic;
use crate::wait::{WaitError, WaitStatus, check_count, check_distinct, status_of};

type Notify = Box<dyn FnOnce(WaitStatus) + Send>;

/// A wait on up to [`MAXIMUM_WAIT_OBJECTS`](crate::MAXIMUM_WAIT_OBJECTS) objects that no
/// thread performs: when one of them can satisfy it, it is acquired — exactly as a thread's
/// [`wait_any`](crate::wait_any) would acquire it — and the notification runs once, with
/// the outcome.
///
/// Registered waits cost no thread, and a signaled object treats them like waiting
/// threads: they queue on it FIFO with the threads, an auto-reset event's signal or a
/// semaphore's count goes to one of them, and a mutex is acquired on behalf of the thread
/// that registered the wait. For a timeout, add a [`WaitableTimer`](crate::WaitableTimer)
/// to the objects: the timer service fires it.
///
/// The notification runs on whichever thread satisfied the wait — the one that set the
/// event, the timer service, or the registering thread itself if an object was ready at
/// once — after the dispatcher's lock is released: it may signal objects and register
/// waits, but it should be short and must not block, since it delays that thread. A panic
/// in it is caught, reported by the panic hook, and goes no further.
///
/// # Examples
///
/// ```
/// use alertable::{Event, EventReset, RegisteredWait, WaitStatus};
/// use std::sync::mpsc;
///
/// let event = Event::new(EventReset::Auto, false);
/// let (tx, rx) = mpsc::channel();
/// let _wait = RegisteredWait::new(vec![Box::new(event.clone())], move |status| {
///     tx.send(status).unwrap();
/// })?;
/// event.set();
/// assert_eq!(rx.recv()?, WaitStatus::Signaled(0));
/// assert!(!event.is_set(), "the registered wait took the signal");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Win32
///
/// The wait half of `RegisterWaitForSingleObject` and `SetThreadpoolWait`, without the
/// wait thread Windows dedicates to each 63 of them; the callback half is the thread
/// pool's. Dropping the handle is `UnregisterWait`.
pub struct RegisteredWait {
    inner: Arc<Registration>,
}

impl RegisteredWait {
    /// Registers a wait on `objects` (any one of them satisfies it) for the calling
    /// thread; `notify` runs once with [`WaitStatus::Signaled(i)`](WaitStatus::Signaled)
    /// or [`WaitStatus::Abandoned(i)`](WaitStatus::Abandoned), `i` the index of the object
    /// that satisfied it — possibly before this function returns, if one is ready now.
    ///
    /// # Errors
    ///
    /// [`WaitError::NoObjects`], [`WaitError::TooManyObjects`] (more than
    /// [`MAXIMUM_WAIT_OBJECTS`](crate::MAXIMUM_WAIT_OBJECTS)), or
    /// [`WaitError::DuplicateObject`] if an object appears twice; `notify` is dropped.
    ///
    /// # Win32
    ///
    /// `RegisterWaitForSingleObject(…, WT_EXECUTEONLYONCE)`, generalised to a wait-any.
    pub fn new(
        objects: Vec<Box<dyn Waitable>>,
        notify: impl FnOnce(WaitStatus) + Send + 'static,
    ) -> Result<Self, WaitError> {
        Self::with_owner(crate::current(), objects, Box::new(notify))
    }

    fn with_owner(
        owner: ThreadHandle,
        objects: Vec<Box<dyn Waitable>>,
        notify: Notify,
    ) -> Result<Self, WaitError> {
        {
            let list: Vec<&dyn Waitable> = objects.iter().map(|o| &**o).collect();
            check_count(&list)?;
            check_distinct(&list)?;
        }
        #[cfg(not(loom))]
        let shared = objects.iter().any(|o| o.shared_index().is_some());
        let inner = Registration::new(owner, objects, notify);
        let mut lock = Dispatcher::lock();
        // SAFETY: the block is new and lives inside the `Arc` we keep (its address is
        // fixed); it is freed only after leaving `Waiting` (R2, W6).
        unsafe { inner.block.start_registered(&mut lock) };
        // Dropping the token runs the notification if the wait was satisfied at once.
        drop(lock);
        // Signals of other processes reach a shared object's registered waits through the
        // process's watcher (shared/watcher.rs, X10).
        #[cfg(not(loom))]
        if shared {
            crate::shared::registered_on_shared();
        }
        Ok(Self { inner })
    }

    /// Withdraws the wait if it has not been satisfied yet: returns `true` if it was
    /// withdrawn (the notification will never run and is dropped), `false` if it had been
    /// satisfied (its notification has run or is running) or withdrawn before.
    ///
    /// # Win32
    ///
    /// `UnregisterWaitEx(wait, NULL)`, as far as the wait goes.
    pub fn cancel(&self) -> bool {
        let withdrawn = {
            let mut lock = Dispatcher::lock();
            self.inner.block.cancel_registered(&mut lock)
        };
        if withdrawn {
            // Its captures may run any code when dropped: not under the lock.
            drop(self.inner.take_notify());
        }
        withdrawn
    }
}

impl Drop for RegisteredWait {
    /// Cancels the wait (see [`cancel`](RegisteredWait::cancel)).
    fn drop(&mut self) {
        self.cancel();
    }
}

impl fmt::Debug for RegisteredWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisteredWait").finish_non_exhaustive()
    }
}

/// A registered wait's block and everything it refers to (R2).
struct Registration {
    /// Refers to `owner` and, through `list`, to `objects`: memory this registration owns.
    block: WaitBlock<'static>,
    notify: Mutex<Option<Notify>>,
    /// From `Box::into_raw`, freed in `Drop`.
    owner: NonNull<ThreadHandle>,
    /// The objects as the block sees them; from `Box::into_raw`, freed in `Drop`.
    list: NonNull<[&'static dyn Waitable]>,
    /// The objects themselves; from `Box::into_raw`, freed in `Drop`.
    objects: NonNull<[Box<dyn Waitable>]>,
}

// SAFETY: the block's cells are touched only under the dispatcher lock (W1); everything
// else is either behind a mutex or read-only and itself `Send + Sync` (`ThreadHandle`,
// `dyn Waitable: Send + Sync`), and the raw pointers are owned allocations (R2).
unsafe impl Send for Registration {}
// SAFETY: as above.
unsafe impl Sync for Registration {}

impl Registration {
    fn new(owner: ThreadHandle, objects: Vec<Box<dyn Waitable>>, notify: Notify) -> Arc<Self> {
        let owner = NonNull::from(Box::leak(Box::new(owner)));
        let objects = NonNull::from(Box::leak(objects.into_boxed_slice()));
        // SAFETY: `objects` was just leaked and is freed only when the registration drops
        // (R2), after the last use of the references made here.
        let list: Box<[&'static dyn Waitable]> =
            unsafe { objects.as_ref() }.iter().map(|o| &**o).collect();
        let list = NonNull::from(Box::leak(list));
        Arc::new_cyclic(|weak: &Weak<Self>| {
            let weak: Weak<dyn Registered> = weak.clone();
            // SAFETY: both allocations were just leaked and are freed only when the
            // registration drops, and the block is part of the registration (R2).
            let (owner_ref, list_ref) = unsafe { (owner.as_ref(), list.as_ref()) };
            Self {
                block: WaitBlock::registered(owner_ref, list_ref, weak),
                notify: Mutex::new(Some(notify)),
                owner,
                list,
                objects,
            }
        })
    }

    fn take_notify(&self) -> Option<Notify> {
        self.notify
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}

impl Registered for Registration {
    fn satisfied(self: Arc<Self>, outcome: Outcome) {
        // (R1) Only one `satisfied` call per registration (W1), and a cancelled one gets
        // none; taking the slot makes the "at most once" local as well.
        if let Some(notify) = self.take_notify() {
            let status = status_of(outcome);
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| notify(status))) {
                discard_panic(payload);
            }
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: each pointer came from `Box::into_raw` (via `Box::leak`) in `new` and is
        // freed once, here; the block that referred to them is no longer linked (R2), and
        // it is not used again (its own drop does nothing with them).
        unsafe {
            drop(Box::from_raw(self.list.as_ptr()));
            drop(Box::from_raw(self.objects.as_ptr()));
            drop(Box::from_raw(self.owner.as_ptr()));
        }
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::thread::loom_support::owner;
    use crate::{Event, EventReset};
    use loom::sync::atomic::{AtomicUsize, Ordering};

    fn model(f: impl Fn() + Sync + Send + 'static) {
        let mut model = loom::model::Builder::new();
        if model.preemption_bound.is_none() {
            model.preemption_bound = Some(3);
        }
        model.check(f);
    }

    /// A registered wait racing a signal and its cancellation: the notification runs
    /// exactly when the cancellation fails, and then once, and the signal is consumed
    /// exactly when it runs (W1, W6, R1).
    #[test]
    fn registered_wait_races_signal_and_cancel() {
        model(|| {
            let ctx = owner();
            let event = Event::new(EventReset::Auto, false);
            let ran = Arc::new(AtomicUsize::new(0));
            let r = ran.clone();
            let wait = RegisteredWait::with_owner(
                ctx.handle(),
                vec![Box::new(event.clone())],
                Box::new(move |status| {
                    assert_eq!(status, WaitStatus::Signaled(0));
                    r.fetch_add(1, Ordering::Relaxed);
                }),
            )
            .unwrap();
            let e = event.clone();
            let setter = loom::thread::spawn(move || e.set());
            let withdrawn = wait.cancel();
            setter.join().unwrap();
            let ran = ran.load(Ordering::Relaxed);
            assert_eq!(
                ran,
                usize::from(!withdrawn),
                "notified exactly when not withdrawn"
            );
            assert_eq!(
                event.is_set(),
                withdrawn,
                "the signal was taken exactly once"
            );
        });
    }

    /// A registered wait and a thread waiting on one auto-reset event set once: exactly
    /// one of them gets it, and the other stays waiting (W1, W6).
    #[test]
    fn registered_wait_and_thread_share_a_signal() {
        model(|| {
            let event = Event::new(EventReset::Auto, false);
            let ran = Arc::new(AtomicUsize::new(0));
            let r = ran.clone();
            let ctx = owner();
            let wait = RegisteredWait::with_owner(
                ctx.handle(),
                vec![Box::new(event.clone())],
                Box::new(move |_| {
                    r.fetch_add(1, Ordering::Relaxed);
                }),
            )
            .unwrap();
            let e = event.clone();
            let setter = loom::thread::spawn(move || e.set());
            let objects: [&dyn Waitable; 1] = [&event];
            let outcome = crate::dispatch::wait(
                &ctx,
                &objects,
                crate::dispatch::WaitKind::Any,
                None,
                true,
                false,
                None,
            )
            .unwrap();
            setter.join().unwrap();
            let took = usize::from(outcome == Outcome::Signaled(0));
            assert_eq!(took + ran.load(Ordering::Relaxed), 1);
            assert_eq!(wait.cancel(), took == 1);
        });
    }
}
