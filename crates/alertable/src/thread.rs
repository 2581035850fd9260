//! Threads: the per-thread context, [`ThreadHandle`], [`current`], and [`Builder`] with
//! suspended start.
//!
//! Every thread that touches the library gets a context, created on first use (so `main`
//! and `std::thread` threads work too) or, for threads made by [`Builder`], before the
//! thread starts, so that APCs can be queued to it at once. The context is split the way
//! the model demands (owner and handle are different types):
//!
//! - `Context` lives in the thread's thread-local storage and is `!Send`: it is the only
//!   way to reach the consumer side of the APC queue, so APCs can only ever run on their
//!   own thread (invariant T1).
//! - [`ThreadHandle`] is a cheap `Send + Sync` clone of the shared state whose powers are
//!   "queue an APC", "suspend", "resume", and "is it finished". Suspension, of threads that
//!   have not started and of threads that run, is its own protocol (`suspend.rs`).
//!
//! When the thread exits, its context closes the APC queue: pending APCs are dropped, never
//! run, and later `queue_apc` calls fail (C35, A4).

use std::any::Any;
use std::cell::{Cell, OnceCell};
use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use crate::apc::QueueApcError;
use crate::dispatch::{Acquired, Dispatcher, WaitList, Waitable};
use crate::message::ThreadMessages;
use crate::notifier::Readiness;
use crate::object::{OwnedMutexes, SetTimers, abandon_owned_mutexes};
use crate::parker::Parker;
use crate::queue::{Apc, ApcQueue, Park, Pushed};
use crate::slice::WakeSlice;
use crate::special::{self, SpecialApcs};
use crate::suspend::{Refused, SuspendState};
use crate::sync::{AtomicU32, Ordering};
use crate::sys;
use crate::unwind::discard_panic;

/// The state shared by a thread and all its handles.
pub(crate) struct ThreadInner {
    /// OS thread id; 0 until the thread has run its first instruction.
    tid: AtomicU32,
    /// This thread's key ([`ThreadHandle::key`]).
    key: u64,
    name: Option<String>,
    pub(crate) apcs: ApcQueue,
    /// Shared on its own, so that a signaler can unpark the thread after releasing the
    /// dispatcher lock without keeping the whole thread alive (dispatch.rs W7).
    pub(crate) parker: Arc<Parker>,
    /// The suspend count, the start gate, and stopping the thread (suspend.rs, H1–H6).
    suspension: SuspendState,
    /// Non-zero once the thread has exited: the handle is then signaled (C36).
    exited: AtomicU32,
    /// Threads waiting for this one to exit.
    exit_waiters: WaitList,
    /// Mutexes this thread owns, abandoned when it exits (G72).
    pub(crate) owned_mutexes: OwnedMutexes,
    /// The APC readiness descriptor, if the thread asked for one (notifier.rs).
    pub(crate) readiness: Readiness,
    /// The message queue, once the thread has called a message function (message.rs).
    pub(crate) messages: ThreadMessages,
    /// The thread's record in the cross-process namespace, once it has waited on a shared
    /// object (shared/mod.rs); `u32::MAX` before.
    shared_record: AtomicU32,
    /// 1 while an alert is pending: set by [`ThreadHandle::alert`], taken by the thread's
    /// next alertable wait (B41). Not a count: alerts do not accumulate (C40).
    alerted: AtomicU32,
    /// Special APCs: run wherever the thread is (special.rs).
    pub(crate) special: SpecialApcs,
}

/// A new thread key: a count from 1 (2^61 keys would take centuries of thread creation).
fn next_key() -> u64 {
    // Std's atomic, not the facade's: a process-wide counter outside every model.
    static KEYS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let key = KEYS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    assert!(key < 1 << 61, "thread keys exhausted");
    key
}

impl ThreadInner {
    fn new(name: Option<String>, tid: u32, suspension: SuspendState) -> Self {
        Self {
            tid: AtomicU32::new(tid),
            key: next_key(),
            name,
            apcs: ApcQueue::new(),
            parker: Arc::new(Parker::new()),
            suspension,
            exited: AtomicU32::new(0),
            exit_waiters: WaitList::new(),
            owned_mutexes: OwnedMutexes::new(Vec::new()),
            readiness: Readiness::new(),
            messages: ThreadMessages::new(),
            shared_record: AtomicU32::new(u32::MAX),
            alerted: AtomicU32::new(0),
            special: SpecialApcs::new(),
        }
    }
}

/// A handle to a thread: queue APCs to it, suspend and resume it, ask whether it has
/// finished.
///
/// Cheap to clone and to send anywhere; it stays valid after the thread exits (then
/// queueing fails with [`QueueApcError::ThreadExited`]). Obtain one from [`current`],
/// [`JoinHandle::thread`], or by cloning.
///
/// # Examples
///
/// ```
/// use alertable::{Alertable, SleepStatus, sleep_ex};
/// use std::sync::mpsc;
///
/// let (tx, rx) = mpsc::channel();
/// let worker = alertable::spawn(move || {
///     tx.send(alertable::current()).unwrap();
///     // Wait alertably until one APC has run.
///     assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
///     "done"
/// })
/// .unwrap();
/// let handle = rx.recv().unwrap();
/// assert_eq!(handle.id(), worker.thread().id());
/// handle.queue_apc(|| println!("running on the worker")).unwrap();
/// assert_eq!(worker.join().unwrap(), "done");
/// assert!(handle.is_finished());
/// ```
///
/// # Win32
///
/// A thread `HANDLE` with `THREAD_SET_CONTEXT | THREAD_SUSPEND_RESUME` access.
#[derive(Clone)]
pub struct ThreadHandle {
    pub(crate) inner: Arc<ThreadInner>,
}

impl fmt::Debug for ThreadHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadHandle")
            .field("id", &self.inner.tid.load(Ordering::Relaxed))
            .field("name", &self.inner.name)
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl PartialEq for ThreadHandle {
    /// Two handles are equal when they refer to the same thread.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for ThreadHandle {}

impl ThreadHandle {
    /// A key for this thread, never 0 and never reused in the process, below bit 61 (a
    /// mutex's owner word holds it, object/mutex.rs M1).
    #[inline]
    pub(crate) fn key(&self) -> u64 {
        self.inner.key
    }

    /// The OS thread id of a thread that has started (0 before).
    pub(crate) fn tid(&self) -> u32 {
        self.inner.tid.load(Ordering::Acquire)
    }

    /// The thread's record in the cross-process namespace, if it has one.
    pub(crate) fn shared_record(&self) -> Option<u32> {
        match self.inner.shared_record.load(Ordering::Acquire) {
            u32::MAX => None,
            index => Some(index),
        }
    }

    /// Remembers the thread's record (its own thread, once).
    pub(crate) fn set_shared_record(&self, index: u32) {
        self.inner.shared_record.store(index, Ordering::Release);
    }

    /// The thread's OS thread id (its Linux tid).
    ///
    /// For a thread made by [`Builder`] that has not been scheduled yet, this waits the
    /// moment it takes the new thread to report its id (also when it was created
    /// suspended: it reports its id before stopping at the start gate).
    ///
    /// # Win32
    ///
    /// `GetThreadId`.
    pub fn id(&self) -> u64 {
        loop {
            let tid = self.inner.tid.load(Ordering::Acquire);
            if tid != 0 {
                return u64::from(tid);
            }
            sys::futex_wait(&self.inner.tid, 0, None);
        }
    }

    /// The thread's name, if it has one.
    ///
    /// # Win32
    ///
    /// `GetThreadDescription`.
    pub fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    /// The thread's OS id if it has published it, else 0 (never waits).
    pub(crate) fn published_tid(&self) -> u32 {
        self.inner.tid.load(Ordering::SeqCst)
    }

    /// Queues `f` to run on this thread during its next alertable wait. Same as the free
    /// function [`queue_apc`](crate::queue_apc).
    ///
    /// # Errors
    ///
    /// [`QueueApcError::ThreadExited`] if the thread has exited; `f` is dropped.
    ///
    /// # Win32
    ///
    /// `QueueUserAPC` with a closure.
    #[inline]
    pub fn queue_apc<F>(&self, f: F) -> Result<(), QueueApcError>
    where
        F: FnOnce() + Send + 'static,
    {
        self.push_apc(Apc::new(f))
    }

    /// Queues `func(param)` to run on this thread during its next alertable wait. Never
    /// allocates in steady state.
    ///
    /// # Errors
    ///
    /// [`QueueApcError::ThreadExited`] if the thread has exited.
    ///
    /// # Win32
    ///
    /// `QueueUserAPC(func, thread, param)`.
    #[inline]
    pub fn queue_user_apc(&self, func: fn(usize), param: usize) -> Result<(), QueueApcError> {
        self.push_apc(Apc::new(move || func(param)))
    }

    #[inline]
    pub(crate) fn push_apc(&self, apc: Apc) -> Result<(), QueueApcError> {
        match self.inner.apcs.push(apc) {
            Ok(Pushed::Running) => Ok(()),
            Ok(Pushed::WakeConsumer) => {
                self.inner.parker.unpark();
                // A thread out in its event loop learns of the APC from its descriptor.
                self.inner.readiness.notify();
                Ok(())
            }
            Err(apc) => {
                drop(apc);
                Err(QueueApcError::ThreadExited)
            }
        }
    }

    /// Alerts the thread: its current alertable wait, or its next one, ends with
    /// [`WaitStatus::ThreadAlerted`](crate::WaitStatus::ThreadAlerted). Same as the free
    /// function [`alert_thread`](crate::alert_thread).
    ///
    /// # Win32
    ///
    /// `NtAlertThread` (B41).
    pub fn alert(&self) {
        // The flag before the token: a wait that the token wakes, or that parks after it,
        // takes the parker's `Acquire` and so sees the flag (P2).
        self.inner.alerted.store(1, Ordering::Release);
        self.inner.parker.unpark();
    }

    /// Decrements the suspend count, if it is not 0, and returns its previous value; the
    /// thread runs again (or, if it was created suspended, starts) when the count reaches 0.
    ///
    /// Returns `Ok(0)` for a thread that is not suspended, running or exited (nothing
    /// changes), `Ok(1)` for a thread that this call lets run, and `Ok(n)` with `n > 1` for
    /// a thread that stays suspended. Any thread may resume any other.
    ///
    /// # Errors
    ///
    /// None today: every thread can be resumed. The `Result` matches [`suspend`](Self::suspend).
    ///
    /// # Win32
    ///
    /// `ResumeThread` (C33).
    pub fn resume(&self) -> Result<u32, ResumeError> {
        Ok(self.inner.suspension.resume())
    }

    /// Increments the suspend count and returns its previous value; the thread stops, and
    /// runs again only when [`resume`](Self::resume) brings the count back to 0.
    ///
    /// When the call returns, the thread runs none of its own code: a thread that was
    /// running has been stopped where it was (it acknowledged the stop), one that was
    /// blocked stays blocked even when what it waits for arrives, and one that has not
    /// started yet (created [suspended](Builder::suspended), or not yet scheduled) stays at
    /// its start gate — there the count adds to the start count, as on Windows. A thread
    /// that suspends itself stops inside this call and returns from it (with `Ok(0)`) once
    /// another thread has resumed it.
    ///
    /// A suspended thread's APCs stay queued (APCs can still be queued to it), and waits on
    /// it work as usual: its handle is not signaled until it has been resumed and has
    /// exited.
    ///
    /// # The hazard
    ///
    /// As on Windows, this is a tool for debuggers and runtimes, not for synchronisation.
    /// The thread stops at an arbitrary instruction and keeps every lock it holds — a
    /// `std::sync::Mutex`, a C library's lock, and the memory allocator's lock, which it
    /// takes inside any allocation. The suspending thread (or any other) that then needs
    /// such a lock blocks until the thread is resumed, which may be never. Use an event or
    /// a condition variable to make a thread stop at a known point instead. The library
    /// itself never stops a thread inside its own lock (the stop is delayed until the lock
    /// is released), and `suspend` and `resume` neither allocate nor take a lock.
    ///
    /// # How
    ///
    /// A running thread is stopped by a signal, `SIGRTMIN() + 7`, whose handler the library
    /// installs on the first suspension of a running thread (replacing any handler the
    /// program had for it). The thread must not block that signal; while it does, it is
    /// not stopped and `suspend` waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    ///
    /// let counter = Arc::new(AtomicU64::new(0));
    /// let c = counter.clone();
    /// let worker = alertable::spawn(move || {
    ///     while c.fetch_add(1, Ordering::Relaxed) != u64::MAX / 2 {}
    /// })
    /// .unwrap();
    /// let thread = worker.thread().clone();
    ///
    /// assert_eq!(thread.suspend(), Ok(0));
    /// let stopped_at = counter.load(Ordering::Relaxed);
    /// assert_eq!(counter.load(Ordering::Relaxed), stopped_at); // it no longer counts
    /// assert_eq!(thread.suspend(), Ok(1)); // counts nest
    /// assert_eq!(thread.resume(), Ok(2)); // still suspended
    /// assert_eq!(thread.resume(), Ok(1)); // runs again
    /// while counter.load(Ordering::Relaxed) == stopped_at {}
    /// # counter.store(u64::MAX / 2, Ordering::Relaxed);
    /// # worker.join().unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// - [`ResumeError::ThreadExited`] if the thread has exited or has begun to (C37);
    /// - [`ResumeError::CountExceeded`] if the count is already 127
    ///   (`MAXIMUM_SUSPEND_COUNT`).
    ///
    /// # Win32
    ///
    /// `SuspendThread` (C33, C37).
    pub fn suspend(&self) -> Result<u32, ResumeError> {
        let inner = &self.inner;
        inner
            .suspension
            .suspend(|| inner.tid.load(Ordering::Acquire))
            .map_err(|refused| match refused {
                Refused::Exiting => ResumeError::ThreadExited,
                Refused::CountExceeded => ResumeError::CountExceeded,
            })
    }

    /// Whether the thread has exited. Once true, it stays true, every APC that was still
    /// queued has been dropped, its mutexes are abandoned, and the handle is signaled.
    ///
    /// # Win32
    ///
    /// `WaitForSingleObject(thread, 0) == WAIT_OBJECT_0`, or `GetExitCodeThread` returning
    /// something other than `STILL_ACTIVE`.
    pub fn is_finished(&self) -> bool {
        // Stored after the queue is closed and drained, with the handle signaled.
        self.inner.exited.load(Ordering::Acquire) != 0
    }
}

/// A thread handle is signaled once the thread has exited (C36); waiting consumes nothing.
impl Waitable for ThreadHandle {
    fn wait_list(&self) -> &WaitList {
        &self.inner.exit_waiters
    }

    fn is_ready(&self, _lock: &Dispatcher, _waiter: &ThreadHandle) -> bool {
        self.inner.exited.load(Ordering::Acquire) != 0
    }

    fn acquire(&self, _lock: &mut Dispatcher, _waiter: &ThreadHandle) -> Acquired {
        Acquired::Normal
    }
}

/// Why [`ThreadHandle::suspend`] (or [`ThreadHandle::resume`]) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResumeError {
    /// No longer returned: running threads can be suspended. Kept so that code matching
    /// on it still compiles; there is no Win32 error for it.
    ThreadRunning,
    /// The thread has exited, or has begun to exit. Win32: `SuspendThread` returns
    /// `(DWORD)-1` with `ERROR_ACCESS_DENIED` (5) (C37).
    ThreadExited,
    /// The suspend count is already `MAXIMUM_SUSPEND_COUNT` (127). Win32:
    /// `ERROR_SIGNAL_REFUSED` (156).
    CountExceeded,
}

impl ResumeError {
    /// The Win32 error code this corresponds to (0 where Win32 has none).
    pub fn win32_error(self) -> u32 {
        match self {
            Self::ThreadRunning => 0,
            Self::ThreadExited => 5,
            Self::CountExceeded => 156,
        }
    }
}

impl fmt::Display for ResumeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ThreadRunning => "the thread is running and cannot be suspended",
            Self::ThreadExited => "the thread has exited",
            Self::CountExceeded => "the suspend count is at its maximum (127)",
        })
    }
}

impl std::error::Error for ResumeError {}

// ---------------------------------------------------------------------------------------
// The owner side.

/// The owning side of a thread's state, reachable only from that thread (T1).
pub(crate) struct Context {
    this: ThreadHandle,
    /// Told when this thread blocks in, and returns from, a park (see [`BlockObserver`]).
    observer: Cell<Option<Arc<dyn BlockObserver>>>,
    /// How many APC drains are under way on this thread (they nest).
    draining: Cell<u32>,
    /// Work deferred to the end of the outermost drain, or to the next block if that
    /// comes first (see [`defer_until_drained`]).
    deferred: Cell<Option<fn()>>,
    /// Whether a wait yields the processor while it watches for work before it sleeps:
    /// unless this thread's last sleep was long (see `watch_before_sleeping` in `wait.rs`).
    yields_before_sleeping: Cell<bool>,
    /// Set when a yield of a wait's watch kept the thread off its CPU for a long sleep's
    /// worth (others had the CPU): the wait counts as a long sleep for yielding.
    yielded_long: Cell<bool>,
    /// This thread's time slice, short while it is idle (slice.rs).
    slice: WakeSlice,
    /// When the first sleep of the innermost measured wait under way began.
    slept_at: Cell<Option<Instant>>,
    /// Measured waits under way (they nest).
    measuring: Cell<u32>,
    /// The waitable timers this thread armed with a completion routine, cancelled when it
    /// exits (M145).
    set_timers: SetTimers,
    /// The mailbox of remote APCs, once the thread is published (shared/remote.rs).
    #[cfg(not(loom))]
    mailbox: Cell<Option<crate::shared::Mailbox>>,
    /// `!Send + !Sync`: the owner side never leaves its thread.
    _not_send: PhantomData<*const ()>,
}

impl Context {
    fn new(inner: Arc<ThreadInner>) -> Self {
        Self {
            this: ThreadHandle { inner },
            observer: Cell::new(None),
            draining: Cell::new(0),
            deferred: Cell::new(None),
            yields_before_sleeping: Cell::new(true),
            yielded_long: Cell::new(false),
            slice: WakeSlice::new(),
            slept_at: Cell::new(None),
            measuring: Cell::new(0),
            set_timers: SetTimers::default(),
            #[cfg(not(loom))]
            mailbox: Cell::new(None),
            _not_send: PhantomData,
        }
    }

    /// A context for a thread the library did not create: `main`, `std::thread`.
    fn adopt() -> Self {
        let name = std::thread::current().name().map(str::to_owned);
        let inner = Arc::new(ThreadInner::new(
            name,
            sys::current_tid(),
            SuspendState::running(),
        ));
        inner.suspension.adopt();
        let cx = Self::new(inner);
        special::register(&cx.this.inner.special);
        #[cfg(not(loom))]
        publication::register(&cx.this.inner.parker);
        cx
    }

    pub(crate) fn handle(&self) -> ThreadHandle {
        self.this.clone()
    }

    /// This thread's handle, borrowed (no reference count traffic).
    pub(crate) fn thread(&self) -> &ThreadHandle {
        &self.this
    }

    /// The waitable timers this thread armed with a completion routine.
    pub(crate) fn set_timers(&self) -> &SetTimers {
        &self.set_timers
    }

    /// Runs every pending APC, FIFO, including those queued meanwhile; true if any ran.
    /// A panicking APC unwinds from here and leaves the rest queued.
    ///
    /// The outermost drain runs the deferred work once the queue is empty and, if that
    /// queued APCs to this thread (I/O that completed at once), runs them too: they were
    /// queued while the drain was under way.
    pub(crate) fn drain(&self) -> bool {
        let mut ran = false;
        let _drain = DrainScope::enter(self);
        #[cfg(not(loom))]
        self.publish_if_asked();
        loop {
            let mut ran_now = false;
            // Remote APCs join the queue here, behind what is queued already.
            #[cfg(not(loom))]
            if let Some(mailbox) = self.mailbox.get()
                && crate::shared::mailbox_pending(mailbox)
            {
                ran_now |= crate::shared::take_remote(self, mailbox);
            }
            // SAFETY: (T1) a `Context` is reached only on its own thread, which makes this
            // thread the queue's owner (Q1); `pop` holds no borrow while the APC runs, so
            // an APC may drain re-entrantly.
            while let Some(apc) = unsafe { self.this.inner.apcs.pop() } {
                ran_now |= apc.run();
            }
            // The outermost drain: the deferred work, then what it queued, until the APCs
            // run defer nothing more.
            while self.draining.get() == 1 && self.deferred.get().is_some() {
                self.run_deferred();
                // SAFETY: as for the loop above.
                while let Some(apc) = unsafe { self.this.inner.apcs.pop() } {
                    ran_now |= apc.run();
                }
            }
            ran |= ran_now;
            // Remote APCs queued while these ran are delivered by this drain too (B24).
            // A round that ran nothing ends it: the wait re-checks what is pending anyway.
            if !ran_now || !self.remote_pending() {
                break ran;
            }
        }
    }

    /// Whether an APC is pending (local, or remote in the mailbox).
    pub(crate) fn has_pending(&self) -> bool {
        // SAFETY: (T1) ⇒ (Q1).
        unsafe { self.this.inner.apcs.has_pending() || self.remote_pending() }
    }

    /// Whether a local APC is pending.
    #[cfg(not(loom))]
    pub(crate) fn local_pending(&self) -> bool {
        // SAFETY: (T1) ⇒ (Q1).
        unsafe { self.this.inner.apcs.has_pending() }
    }

    /// Whether the mailbox of remote APCs holds messages.
    #[inline]
    pub(crate) fn remote_pending(&self) -> bool {
        #[cfg(not(loom))]
        if let Some(mailbox) = self.mailbox.get() {
            return crate::shared::mailbox_pending(mailbox);
        }
        false
    }

    /// Gives the thread its mailbox of remote APCs (shared/remote.rs).
    #[cfg(not(loom))]
    pub(crate) fn set_mailbox(&self, mailbox: crate::shared::Mailbox) {
        self.mailbox.set(Some(mailbox));
    }

    /// Publishes the thread by id if [`publish_at_next_wait`] asked it to (Y1); a thread
    /// that has exited, or whose publication fails, says so on standard error and stays
    /// unpublished.
    #[cfg(not(loom))]
    #[inline]
    fn publish_if_asked(&self) {
        if publication::take_request() {
            self.publish_on_request();
        }
    }

    #[cfg(not(loom))]
    #[cold] // once per thread, when another process first opens it
    fn publish_on_request(&self) {
        if self.this.is_finished() || self.mailbox.get().is_some() {
            return;
        }
        if let Err(error) = crate::shared::publish(self, None) {
            eprintln!(
                "alertable: thread {} cannot be published for remote APCs: {error}",
                self.this.inner.tid.load(Ordering::Relaxed)
            );
        }
    }

    /// Whether an alert is pending (B41).
    #[inline]
    pub(crate) fn has_alert(&self) -> bool {
        self.this.inner.alerted.load(Ordering::Acquire) != 0
    }

    /// Takes the pending alert, if there is one (B41).
    #[inline]
    pub(crate) fn take_alert(&self) -> bool {
        let alerted = &self.this.inner.alerted;
        // A plain load first: the common case, no alert, writes nothing.
        alerted.load(Ordering::Relaxed) != 0 && alerted.swap(0, Ordering::Acquire) != 0
    }

    /// The thread's parker, which its waits sleep on.
    pub(crate) fn parker(&self) -> &Arc<Parker> {
        &self.this.inner.parker
    }

    /// Whether a wait should yield while it watches for work (see `watch_before_sleeping`).
    pub(crate) fn yields_before_sleeping(&self) -> bool {
        self.yields_before_sleeping.get()
    }

    /// Records whether this thread's last sleep was short.
    pub(crate) fn set_yields_before_sleeping(&self, yes: bool) {
        self.yields_before_sleeping.set(yes);
    }

    /// Notes that a yield kept this thread off its CPU for a long sleep's worth.
    pub(crate) fn note_yielded_long(&self) {
        self.yielded_long.set(true);
    }

    /// Whether a yield did so since this was last asked.
    pub(crate) fn take_yielded_long(&self) -> bool {
        self.yielded_long.replace(false)
    }

    /// This thread's time slice (slice.rs).
    pub(crate) fn slice(&self) -> &WakeSlice {
        &self.slice
    }

    /// Whether the APC at the head of the queue is written (see `ApcQueue::head_written`).
    #[inline]
    pub(crate) fn head_written(&self) -> bool {
        // SAFETY: (T1) ⇒ (Q1).
        unsafe { self.this.inner.apcs.head_written() }
    }

    /// Sleeps until an APC is queued, the thread is alerted (then `TimedOut` before the
    /// deadline), or `deadline` passes. An alert sets its flag before it unparks (W5), so
    /// one that comes after the check below leaves a token that ends the park at once.
    pub(crate) fn park_for_apcs(&self, deadline: Option<Instant>) -> ApcWait {
        loop {
            match self.park_alertably(deadline) {
                // Woken for something else (a stale token): the APCs are what we wait for.
                ApcWait::TimedOut
                    if deadline.is_none_or(|d| Instant::now() < d) && !self.has_alert() => {}
                outcome => return outcome,
            }
        }
    }

    /// The alertable park, once: announce the sleep to the APC queue (Q5), sleep on the
    /// parker (woken by an APC producer, an object signaling this thread's wait, or the
    /// deadline), withdraw the announcement. `TimedOut` means "woken without APCs";
    /// the caller decides whether the deadline really passed.
    fn park_alertably(&self, deadline: Option<Instant>) -> ApcWait {
        // Before announcing: the deferred work may queue APCs to this very thread (I/O
        // completions), and no user code may run between the announcement and the sleep.
        self.run_deferred();
        // A request that interrupted the sleep before this one ended it (Y1).
        #[cfg(not(loom))]
        self.publish_if_asked();
        // SAFETY: (T1) ⇒ (Q1).
        match unsafe { self.this.inner.apcs.try_park() } {
            Park::Pending => return ApcWait::Pending,
            Park::Closed => return ApcWait::Closed,
            Park::Parked => {}
        }
        // A remote producer does not touch the queue; it wakes the parker (P4), so a
        // message that arrives after this check still ends the sleep.
        if self.remote_pending() {
            // SAFETY: (T1) ⇒ (Q1); `try_park` returned `Parked`.
            unsafe { self.this.inner.apcs.cancel_park() };
            return ApcWait::Pending;
        }
        self.park(deadline);
        if self.this.inner.readiness.is_armed() {
            // The announcement stays up for the thread's descriptor (notifier.rs N2).
            return if self.has_pending() {
                ApcWait::Pending
            } else {
                ApcWait::TimedOut
            };
        }
        // SAFETY: (T1) ⇒ (Q1); `try_park` returned `Parked`.
        if unsafe { self.this.inner.apcs.cancel_park() } {
            if self.remote_pending() {
                return ApcWait::Pending;
            }
            ApcWait::TimedOut
        } else {
            // A producer claimed a slot and cleared the flag (Q5); its wake-up token may
            // arrive later and will cost one spurious loop then.
            ApcWait::Pending
        }
    }

    /// Announces the thread as parked without sleeping (Q7), for a thread that watches its
    /// readiness descriptor (notifier.rs N2).
    pub(crate) fn announce_park(&self) -> Park {
        // SAFETY: (T1) ⇒ (Q1).
        unsafe { self.this.inner.apcs.try_park() }
    }

    /// Withdraws a standing announcement; false if a producer cleared it first.
    pub(crate) fn withdraw_park(&self) -> bool {
        // SAFETY: (T1) ⇒ (Q1); a failed withdrawal changes nothing.
        unsafe { self.this.inner.apcs.cancel_park() }
    }

    /// Marks the thread exited: closes the APC queue, dropping what is pending (C35),
    /// cancels the waitable timers it armed with a routine (M145), abandons the mutexes it
    /// owns (G72), destroys its message queue, and signals its handle (C36). Idempotent.
    ///
    /// A suspension that arrives before the exit holds the thread here until it is resumed;
    /// after this, the thread can no longer be suspended (H4).
    ///
    /// A pending APC whose destructor panics does not stop the exit: the rest are dropped,
    /// the steps above still happen, and the first panic's payload is returned for the
    /// caller to report (later ones are discarded).
    #[must_use = "a panic from a dropped APC is to be reported or discarded"]
    fn exit(&self) -> Option<Box<dyn Any + Send>> {
        // (Y2) before anything that keeps the parker alive goes.
        #[cfg(not(loom))]
        publication::unregister(&self.this.inner.parker);
        self.this.inner.suspension.exit();
        let mut first_panic = None;
        // Special APCs first: from here on none interrupts the exit (C35).
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| {
            special::close(&self.this.inner.special)
        })) {
            first_panic = Some(payload);
        }
        loop {
            // SAFETY: (T1) ⇒ (Q1). Closing again after a panic goes on with the APCs that
            // are left: each is out of the queue before its destructor runs.
            let closing =
                catch_unwind(AssertUnwindSafe(|| unsafe { self.this.inner.apcs.close() }));
            match closing {
                Ok(()) => break,
                Err(payload) if first_panic.is_none() => first_panic = Some(payload),
                Err(payload) => discard_panic(payload),
            }
        }
        // Every time, as for mutexes below; user destructors run here, so before the
        // dispatcher lock is taken.
        self.set_timers.cancel_all(&self.this);
        let me = &self.this;
        let mut lock = Dispatcher::lock();
        // Every time, not only the first: thread-local destructors that run after the
        // first exit may still acquire mutexes.
        abandon_owned_mutexes(&mut lock, me);
        #[cfg(not(loom))]
        crate::shared::release_thread(&lock, me);
        self.this.inner.messages.destroy(&mut lock);
        if self.this.inner.exited.swap(1, Ordering::AcqRel) == 0 {
            self.this.inner.exit_waiters.wake_waiters(&mut lock);
        }
        first_panic
    }

    /// Sleeps until the parker is unparked (an object signaled this thread's wait) or
    /// `deadline` passes. APC producers do not wake this sleep, except on a thread whose
    /// readiness descriptor is armed: there the announcement stands, and the producer that
    /// clears it unparks the thread too — a spurious wake-up, which the waits tolerate.
    pub(crate) fn park_for_objects(&self, deadline: Option<Instant>) {
        self.park(deadline);
    }

    /// Every blocking park of the library's waits goes through here, so that a
    /// [`BlockObserver`] sees each one, and the thread's wait hook's descriptors are
    /// watched (wait_hook.rs).
    fn park(&self, deadline: Option<Instant>) {
        // The deferred work first: it may be what makes a descriptor ready (I/O it submits),
        // and the hook's watch comes before the sleep.
        self.run_deferred();
        crate::wait_hook::park(self, deadline);
    }

    /// Runs `sleep`, the sleep of one of this thread's parks, between the
    /// [`BlockObserver`]'s two calls; inside a measured wait, notes when its first sleep
    /// began, which ends the thread's burst of work (slice.rs).
    pub(crate) fn observed_sleep<R>(&self, sleep: impl FnOnce() -> R) -> R {
        if self.measuring.get() > 0 && self.slept_at.get().is_none() {
            let now = Instant::now();
            self.slept_at.set(Some(now));
            self.slice.before_sleep(now);
        }
        self.observed(sleep)
    }

    /// Runs `wait`, a wait of this thread whose sleeps are measured (`measured` in wait.rs),
    /// and returns its result with when its first sleep began, if it slept. Measured waits
    /// nest (an APC run inside one may wait too): each sees its own sleeps only.
    pub(crate) fn measuring<R>(&self, wait: impl FnOnce() -> R) -> (R, Option<Instant>) {
        let outer = self.slept_at.take();
        self.measuring.set(self.measuring.get() + 1);
        struct Done<'a>(&'a Context, Option<Instant>);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                self.0.measuring.set(self.0.measuring.get() - 1);
                self.0.slept_at.set(self.1);
            }
        }
        let done = Done(self, outer);
        let result = wait();
        let slept_at = self.slept_at.take();
        drop(done);
        (result, slept_at)
    }

    /// Runs `block` — something that blocks the thread, not watching the wait hook's
    /// descriptors, which it releases first — between the [`BlockObserver`]'s two calls.
    pub(crate) fn blocking<R>(&self, block: impl FnOnce() -> R) -> R {
        crate::wait_hook::release();
        self.observed(block)
    }

    /// Runs `block` between the [`BlockObserver`]'s two calls.
    fn observed<R>(&self, block: impl FnOnce() -> R) -> R {
        self.run_deferred();
        // A remote APC's handler may block mid-take: the words it has read go back to the
        // producers first (shared/ring.rs R3).
        #[cfg(not(loom))]
        if let Some(mailbox) = self.mailbox.get() {
            crate::shared::store_read_position(mailbox);
        }
        // Taken out for the duration: an observer never sees itself re-entered.
        let observer = self.observer.take();
        if let Some(observer) = &observer {
            observer.blocking();
        }
        let result = block();
        if let Some(observer) = &observer {
            observer.unblocked();
        }
        self.observer.set(observer);
        result
    }

    /// Runs the work deferred to the end of the drain, if any.
    fn run_deferred(&self) {
        if let Some(deferred) = self.deferred.take() {
            deferred();
        }
    }

    /// Defers `work` as [`defer_until_drained`] says; false if no drain is under way.
    fn defer(&self, work: fn()) -> bool {
        if self.draining.get() == 0 {
            return false;
        }
        if let Some(earlier) = self.deferred.replace(Some(work))
            && !std::ptr::fn_addr_eq(earlier, work)
        {
            earlier();
        }
        true
    }

    /// Installs `observer` for this thread, returning the previous one.
    pub(crate) fn set_observer(
        &self,
        observer: Option<Arc<dyn BlockObserver>>,
    ) -> Option<Arc<dyn BlockObserver>> {
        self.observer.replace(observer)
    }

    /// Watches for a moment before an object wait first parks (see
    /// [`watch_before_sleeping`](crate::wait::watch_before_sleeping)): for the token a
    /// signal leaves, and in an alertable wait for APCs too. The park that follows takes a
    /// token at once.
    pub(crate) fn watch_before_parking(&self, alertable: bool) -> bool {
        crate::wait::watch(self, &|| {
            self.this.inner.parker.has_token()
                || (alertable && (self.head_written() || self.remote_pending()))
        })
    }

    /// Sleeps until an object signals this thread's wait, an APC is queued, or `deadline`
    /// passes. Returns whether APCs are pending.
    pub(crate) fn park_for_objects_or_apcs(&self, deadline: Option<Instant>) -> bool {
        match self.park_alertably(deadline) {
            ApcWait::Pending => true,
            ApcWait::TimedOut => false,
            ApcWait::Closed => {
                // Thread-local teardown: no APC will come; objects still can.
                self.park_for_objects(deadline);
                false
            }
        }
    }
}

impl Drop for Context {
    /// The exit of a thread whose thread-local storage is torn down (`main`, `std::thread`
    /// and C ABI threads): a panic from a dropped APC cannot unwind out of a thread-local
    /// destructor (the process would abort), so it is contained here; the panic hook has
    /// reported it already.
    fn drop(&mut self) {
        if let Some(payload) = self.exit() {
            discard_panic(payload);
        }
    }
}

/// Told when a thread blocks in one of the library's waits and when it wakes again.
///
/// This is the hook an I/O completion port uses to keep its count of running threads:
/// a thread that took a packet stops counting as running while it is blocked in a wait,
/// so that another waiter may be released, and counts again when it wakes (Windows'
/// `NumberOfConcurrentThreads` rule). Only real blocking is reported: a wait satisfied at
/// once, or ended during its spin, is not.
///
/// Both methods run on the blocking thread, `blocking` after an alertable wait has
/// announced its sleep to the APC queue: they must not wait, run APCs, or create or drop
/// an [`ApcNotifier`](crate::ApcNotifier) — any of these would withdraw the announcement
/// and let the wait sleep through an APC.
#[doc(hidden)]
pub trait BlockObserver: Send + Sync {
    /// The calling thread is about to block.
    fn blocking(&self);
    /// The calling thread has woken from the block announced by [`blocking`](Self::blocking).
    fn unblocked(&self);
}

/// Installs the calling thread's [`BlockObserver`] (or removes it with `None`) and returns
/// the previous one.
#[doc(hidden)]
pub fn set_block_observer(
    observer: Option<Arc<dyn BlockObserver>>,
) -> Option<Arc<dyn BlockObserver>> {
    with_current(|cx| cx.set_observer(observer))
}

/// Marks a drain under way; the outermost one runs the deferred work when it ends, also
/// when an APC panics out of it.
struct DrainScope<'a>(&'a Context);

impl<'a> DrainScope<'a> {
    fn enter(cx: &'a Context) -> Self {
        cx.draining.set(cx.draining.get() + 1);
        Self(cx)
    }
}

impl Drop for DrainScope<'_> {
    fn drop(&mut self) {
        let depth = self.0.draining.get() - 1;
        self.0.draining.set(depth);
        if depth == 0 {
            self.0.run_deferred();
        }
    }
}

/// Defers `work` until the APC drain under way on the calling thread ends, or until the
/// thread next blocks in one of the library's waits, whichever comes first; returns false
/// (deferring nothing) if the thread is not running APCs.
///
/// This is how the I/O crate batches the requests that completion routines issue — the
/// routine of one read starting the next, many per drain — into one system call. APCs the
/// work queues to this thread when it runs at the end of a drain run in that drain. A slot
/// holds one function; deferring a different one runs the earlier one now (the same
/// function is recognised by address, so at worst it runs early: deferred work must be
/// harmless to run at any time).
#[doc(hidden)]
pub fn defer_until_drained(work: fn()) -> bool {
    with_current(|cx| cx.defer(work))
}

/// How [`Context::park_for_apcs`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApcWait {
    /// APCs are pending.
    Pending,
    /// The deadline passed with nothing queued.
    TimedOut,
    /// The queue is closed (the thread is tearing down): no APC will ever come.
    Closed,
}

thread_local! {
    static CONTEXT: OnceCell<Context> = const { OnceCell::new() };
}

/// In the child of a `fork`, on the one thread that survives: forgets the namespace
/// record and mailbox this thread had in the parent, which the parent's copy of the
/// thread goes on using (shared/mod.rs).
#[cfg(not(loom))]
pub(crate) fn forget_namespace_in_child() {
    let _ = CONTEXT.try_with(|cell| {
        if let Some(ctx) = cell.get() {
            ctx.mailbox.set(None);
            ctx.this.inner.parker.forget_relocation();
            ctx.this
                .inner
                .shared_record
                .store(u32::MAX, Ordering::Release);
        }
    });
}

/// Whether the calling thread's context can still be reached (false during thread-local
/// teardown, once it is gone).
pub(crate) fn has_context() -> bool {
    CONTEXT.try_with(|_| ()).is_ok()
}

/// Runs `f` with the calling thread's context, creating it on first use.
///
/// During thread-local teardown, after the context is gone, `f` gets a detached context
/// whose queue is already closed: waits there are simply not alertable.
pub(crate) fn with_current<R>(f: impl FnOnce(&Context) -> R) -> R {
    let mut f = Some(f);
    if let Ok(r) = CONTEXT.try_with(|cell| (f.take().unwrap())(cell.get_or_init(Context::adopt))) {
        return r;
    }
    let detached = Context::adopt();
    // A new context has no APCs to drop, so no panic to report.
    let _ = detached.exit();
    (f.take().unwrap())(&detached)
}

/// A handle to the calling thread.
///
/// Works on every thread: `main`, threads made with `std::thread`, and threads made by this
/// crate. The first call on a thread creates its APC queue.
///
/// # Examples
///
/// ```
/// use alertable::{Alertable, SleepStatus, sleep_ex};
///
/// let me = alertable::current();
/// me.queue_apc(|| println!("an APC to myself")).unwrap();
/// // Not run yet: APCs run only in alertable waits (A1).
/// assert_eq!(sleep_ex(Some(std::time::Duration::ZERO), Alertable::Yes), SleepStatus::Alerted);
/// ```
///
/// # Win32
///
/// `GetCurrentThread` followed by `DuplicateHandle`: a real handle, valid on any thread.
pub fn current() -> ThreadHandle {
    with_current(Context::handle)
}

// ---------------------------------------------------------------------------------------
// Spawning.

/// Configures and creates a thread with an APC queue, optionally suspended.
///
/// # Examples
///
/// ```
/// use alertable::Builder;
/// use std::sync::{Arc, Mutex};
///
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let l = log.clone();
/// let t = Builder::new()
///     .name("worker".into())
///     .suspended(true)
///     .spawn(move || l.lock().unwrap().push("entry"))
///     .unwrap();
/// let l = log.clone();
/// t.thread().queue_apc(move || l.lock().unwrap().push("apc")).unwrap();
/// assert_eq!(t.thread().resume(), Ok(1)); // starts it
/// t.join().unwrap();
/// // APCs queued before the start run before the entry function (C34).
/// assert_eq!(*log.lock().unwrap(), ["apc", "entry"]);
/// ```
///
/// # Win32
///
/// `CreateThread` with `dwStackSize` and `CREATE_SUSPENDED`.
#[derive(Debug, Default)]
#[must_use = "a Builder does nothing until `spawn` is called"]
pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
    suspended: bool,
}

impl Builder {
    /// A builder for a thread with the default name (none), stack size and start.
    pub fn new() -> Self {
        Self::default()
    }

    /// Names the thread (shown by debuggers and in panic messages). A name with a NUL byte
    /// makes [`spawn`](Self::spawn) fail.
    pub fn name(mut self, name: String) -> Self {
        self.name = Some(name);
        self
    }

    /// Sets the stack size in bytes.
    pub fn stack_size(mut self, size: usize) -> Self {
        self.stack_size = Some(size);
        self
    }

    /// Creates the thread suspended: it runs nothing, not even its APCs, until
    /// [`ThreadHandle::resume`] brings the suspend count to zero.
    pub fn suspended(mut self, suspended: bool) -> Self {
        self.suspended = suspended;
        self
    }

    /// Creates the thread. Before `f` runs, the thread runs every APC queued to it so far
    /// (C34); when it exits, APCs still queued are dropped (C35).
    ///
    /// # Errors
    ///
    /// - [`io::ErrorKind::InvalidInput`] if the [name](Self::name) contains a NUL byte
    ///   (an OS thread name cannot);
    /// - the OS error if the thread cannot be created (as `std::thread::Builder::spawn`).
    pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let inner = Arc::new(ThreadInner::new(
            self.name.clone(),
            0,
            SuspendState::not_started(u32::from(self.suspended)),
        ));
        if self.name.as_deref().is_some_and(|name| name.contains('\0')) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a thread name cannot contain a NUL byte",
            ));
        }
        let mut builder = std::thread::Builder::new();
        if let Some(name) = self.name {
            builder = builder.name(name);
        }
        if let Some(size) = self.stack_size {
            builder = builder.stack_size(size);
        }
        let theirs = inner.clone();
        let native = builder.spawn(move || {
            start(theirs);
            // Exit (close the queue) when `f` returns or unwinds, before the OS thread
            // goes, so `is_finished` and `queue_apc` see it at once.
            // A panic from a dropped APC becomes the thread's result, once the exit is
            // complete; while `f` is already unwinding it is discarded instead, since a
            // second panic would abort the process.
            struct ExitGuard;
            impl Drop for ExitGuard {
                fn drop(&mut self) {
                    if let Some(payload) = with_current(Context::exit) {
                        if std::thread::panicking() {
                            discard_panic(payload);
                        } else {
                            std::panic::resume_unwind(payload);
                        }
                    }
                }
            }
            let _exit = ExitGuard;
            with_current(Context::drain);
            f()
        })?;
        Ok(JoinHandle {
            thread: ThreadHandle { inner },
            native,
        })
    }
}

/// What a new thread does before anything else: publish its id, wait at the start gate
/// while suspended, and install its context. The caller then runs the APCs queued so far.
fn start(inner: Arc<ThreadInner>) {
    #[cfg(not(loom))]
    crate::slice::at_thread_start();
    // SeqCst, as the load in `published_tid`: a special APC pushed before that load saw 0
    // is run by `register` below (special.rs S5).
    inner.tid.store(sys::current_tid(), Ordering::SeqCst);
    sys::futex_wake(&inner.tid, u32::MAX);
    inner.suspension.start();
    let special = std::ptr::from_ref(&inner.special);
    CONTEXT.with(|cell| {
        if cell.set(Context::new(inner)).is_err() {
            unreachable!("a new thread has no context yet");
        }
    });
    // SAFETY: the context just stored keeps `inner`, and so `special`, alive until the
    // thread exits.
    special::register(unsafe { &*special });
    #[cfg(not(loom))]
    with_current(|ctx| publication::register(&ctx.this.inner.parker));
}

/// Creates a thread with default settings; see [`Builder::spawn`].
///
/// # Errors
///
/// The OS error if the thread cannot be created.
///
/// # Win32
///
/// `CreateThread` without flags.
pub fn spawn<F, T>(f: F) -> io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Builder::new().spawn(f)
}

/// An owned permission to join a thread made by [`Builder`] or [`spawn`].
///
/// # Win32
///
/// The `HANDLE` returned by `CreateThread`, waited on and read with `GetExitCodeThread`.
#[derive(Debug)]
pub struct JoinHandle<T> {
    thread: ThreadHandle,
    native: std::thread::JoinHandle<T>,
}

impl<T> JoinHandle<T> {
    /// The handle of the thread, for queueing APCs and resuming it.
    pub fn thread(&self) -> &ThreadHandle {
        &self.thread
    }

    /// Waits for the thread to finish and returns what its function returned.
    ///
    /// A thread created suspended and never resumed never finishes: resume it first.
    ///
    /// # Errors
    ///
    /// The panic payload if the thread panicked (in its function or in an APC).
    pub fn join(self) -> std::thread::Result<T> {
        self.native.join()
    }
}

// ---------------------------------------------------------------------------------------
// Threads whose OS thread is created elsewhere.

/// A thread's state made before its OS thread exists, for code that creates the OS thread
/// itself rather than through [`Builder`] — the C ABI's `CreateThread`, whose threads must be
/// plain pthreads so that `ExitThread` can end them with `pthread_exit`.
///
/// [`new`](Self::new) makes the state: the [`handle`](Self::handle) can queue APCs and
/// [`resume`](ThreadHandle::resume) at once, before the OS thread runs. The new OS thread
/// then calls [`enter`](Self::enter) before anything else, which does what a [`Builder`]
/// thread does before its entry function: publish its id, wait at the start gate while
/// suspended, install the context, and run the APCs queued so far (C34).
///
/// Such a thread counts as exited when its thread-local storage is torn down, which closes
/// its APC queue, abandons its mutexes and signals its handle (C35, G72, C36), the same
/// steps as for `main` and `std::thread` threads.
#[doc(hidden)]
#[derive(Debug)]
pub struct PreparedThread {
    thread: ThreadHandle,
}

impl PreparedThread {
    /// Makes the state of a thread that does not run yet; with `suspended`, the thread
    /// waits in [`enter`](Self::enter) until [`ThreadHandle::resume`] brings its suspend
    /// count to zero.
    pub fn new(suspended: bool) -> Self {
        Self {
            thread: ThreadHandle {
                inner: Arc::new(ThreadInner::new(
                    None,
                    0,
                    SuspendState::not_started(u32::from(suspended)),
                )),
            },
        }
    }

    /// The handle of the thread to be.
    pub fn handle(&self) -> &ThreadHandle {
        &self.thread
    }

    /// Becomes this thread, on the new OS thread: publishes the thread id, waits while the
    /// thread is suspended, installs the context, and runs every APC queued so far.
    ///
    /// # Panics
    ///
    /// If the calling thread already has a context (it has used the library before); then
    /// nothing has changed. And with the panic of an APC that panics: the context stays
    /// installed and the APCs behind it stay queued.
    pub fn enter(self) {
        assert!(
            CONTEXT.with(|cell| cell.get().is_none()),
            "PreparedThread::enter on a thread that already has a context"
        );
        start(self.thread.inner);
        with_current(Context::drain);
    }
}

/// Marks the calling thread exited now: closes its APC queue (dropping what is pending,
/// C35), abandons the mutexes it owns (G72) and signals its handle (C36) — what otherwise
/// happens when its thread-local storage is torn down.
///
/// For code that ends a thread in a way that skips those destructors: glibc does not run
/// them when the main thread ends with `pthread_exit` (the C ABI's `ExitThread`). The
/// thread must not use the library afterwards except to end; its waits are then no longer
/// alertable.
#[doc(hidden)]
pub fn exit_current() {
    // The thread is about to end without unwinding: a panic from a dropped APC has been
    // reported by the panic hook and goes no further.
    if let Some(payload) = with_current(Context::exit) {
        discard_panic(payload);
    }
}

/// Owner contexts for loom models, which run on loom's threads where std thread-locals
/// do not apply: each model thread makes its own.
#[cfg(all(test, loom))]
pub(crate) mod loom_support {
    use super::*;

    /// A fresh owner context for the calling model thread.
    pub(crate) fn owner() -> Context {
        Context::new(Arc::new(ThreadInner::new(None, 1, SuspendState::running())))
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::atomic::AtomicUsize;

    /// An alert racing an APC producer and the owner's alertable park is never slept
    /// through (W5 with P2): the owner parks until it takes the alert, and the APC runs
    /// exactly once, in the loop or at the final drain.
    #[test]
    fn alert_always_wakes_an_alertably_parked_owner() {
        loom::model(|| {
            let inner = Arc::new(ThreadInner::new(None, 1, SuspendState::running()));
            let owner = Context::new(inner.clone());
            let alerter = {
                let handle = ThreadHandle {
                    inner: inner.clone(),
                };
                loom::thread::spawn(move || handle.alert())
            };
            let ran = Arc::new(AtomicUsize::new(0));
            let producer = {
                let handle = ThreadHandle {
                    inner: inner.clone(),
                };
                let ran = ran.clone();
                loom::thread::spawn(move || {
                    handle
                        .queue_apc(move || {
                            ran.fetch_add(1, Ordering::Relaxed);
                        })
                        .unwrap();
                })
            };
            // As an alertable sleep does: park, and run the APCs a park reports.
            while !owner.take_alert() {
                if owner.park_for_apcs(None) == ApcWait::Pending {
                    owner.drain();
                }
            }
            alerter.join().unwrap();
            producer.join().unwrap();
            assert!(!owner.take_alert(), "alerts do not accumulate");
            owner.drain();
            assert_eq!(ran.load(Ordering::Relaxed), 1);
        });
    }

    /// The queue-then-wake handshake: an owner that parks whenever its queue looks empty
    /// never sleeps through an APC (Q5 with P2). A lost wake-up would leave the owner
    /// parked with work queued, which loom reports as a deadlock.
    #[test]
    fn queued_apc_always_wakes_a_parking_owner() {
        loom::model(|| {
            let inner = Arc::new(ThreadInner::new(None, 1, SuspendState::running()));
            let owner = Context::new(inner.clone());
            let ran = Arc::new(AtomicUsize::new(0));
            let producers: Vec<_> = (0..2)
                .map(|_| {
                    let handle = ThreadHandle {
                        inner: inner.clone(),
                    };
                    let ran = ran.clone();
                    loom::thread::spawn(move || {
                        handle
                            .queue_apc(move || {
                                ran.fetch_add(1, Ordering::Relaxed);
                            })
                            .unwrap();
                    })
                })
                .collect();
            while ran.load(Ordering::Relaxed) < 2 {
                if owner.park_for_apcs(None) == ApcWait::Pending {
                    assert!(owner.drain(), "woken for APCs, so some must run");
                }
            }
            for p in producers {
                p.join().unwrap();
            }
        });
    }

    /// An APC queued to an exiting thread either runs before the exit or is refused or
    /// dropped; it never runs after `exit`, and nothing leaks (C35, A4).
    #[test]
    fn queue_races_exit() {
        loom::model(|| {
            let inner = Arc::new(ThreadInner::new(None, 1, SuspendState::running()));
            let owner = Context::new(inner.clone());
            let handle = ThreadHandle {
                inner: inner.clone(),
            };
            let token = Arc::new(());
            let t = token.clone();
            let producer = loom::thread::spawn(move || {
                let result = handle.queue_apc(move || drop(t));
                (result, handle.is_finished())
            });
            assert!(owner.exit().is_none());
            let (result, _) = producer.join().unwrap();
            assert!(result.is_ok() || result == Err(QueueApcError::ThreadExited));
            assert!(!owner.drain(), "nothing runs after exit");
            assert_eq!(
                Arc::strong_count(&token),
                1,
                "the APC was dropped, not kept"
            );
        });
    }
}

/// Publication on request: another process asks a thread that never published itself to
/// do so, so that it can queue it remote APCs (`shared/remote.rs`). The C ABI sends such
/// a thread a signal whose handler calls
/// [`publish_at_next_wait`](crate::publish_at_next_wait); Rust programs publish with
/// [`publish_current`](crate::publish_current) instead.
///
/// - (Y1) The request is a per-thread flag, set by the handler and taken by the thread at
///   the start of each drain and of each alertable park; the handler also leaves a token
///   in the thread's own parker, so that a park the signal interrupted ends (P3 lets any
///   park end spuriously) and the next alertable park takes the flag before it sleeps.
/// - (Y2) The parker pointer the handler follows is set on the thread once its context
///   exists and cleared on the thread when it starts to exit, before anything that keeps
///   the parker alive is dropped; a handler that finds it null only sets the flag.
///   Thread-local storage without destructors, read and written by the one thread (the
///   handler included), so `Relaxed` suffices.
///
/// A thread busy outside the library's waits publishes at its next alertable wait; one
/// that never waits alertably is never published (and could not run remote APCs anyway).
#[cfg(not(loom))]
mod publication {
    use crate::parker::Parker;
    use crate::sync::{AtomicPtr, AtomicU32, Ordering};

    thread_local! {
        static ASKED: AtomicU32 = const { AtomicU32::new(0) };
        static PARKER: AtomicPtr<Parker> = const { AtomicPtr::new(std::ptr::null_mut()) };
    }

    pub(super) fn register(parker: &Parker) {
        let _ =
            PARKER.try_with(|p| p.store(std::ptr::from_ref(parker).cast_mut(), Ordering::Relaxed));
    }

    pub(super) fn unregister(parker: &Parker) {
        let _ = PARKER.try_with(|p| {
            let _ = p.compare_exchange(
                std::ptr::from_ref(parker).cast_mut(),
                std::ptr::null_mut(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        });
    }

    /// Takes the request, if there is one (Y1). A plain load first: the common case writes
    /// nothing.
    #[inline]
    pub(super) fn take_request() -> bool {
        ASKED
            .try_with(|a| a.load(Ordering::Relaxed) != 0 && a.swap(0, Ordering::Relaxed) != 0)
            .unwrap_or(false)
    }

    pub(super) fn ask() {
        let _ = ASKED.try_with(|a| a.store(1, Ordering::Relaxed));
        let parker = PARKER.try_with(|p| p.load(Ordering::Relaxed));
        if let Ok(parker) = parker
            && !parker.is_null()
        {
            // SAFETY: (Y2) a non-null pointer is this thread's own parker, kept alive by
            // this thread's context until after the pointer is cleared, on this thread.
            unsafe { &*parker }.unpark();
        }
    }
}

/// Asks the calling thread to publish itself by id for remote APCs
/// ([`publish_current`](crate::publish_current)) at its next alertable wait, and ends the
/// wait it may be in now, which then publishes it and goes on waiting.
///
/// Async-signal-safe: it sets a thread-local flag and may make one `futex` call, and
/// allocates, frees and locks nothing. It is meant for a signal handler: the C ABI's
/// handler of `SIGRTMIN() + 9`, which a process sends to a thread of another process that
/// it opens by id.
///
/// # Win32
///
/// None: on Windows every thread can be opened by id. This makes a Linux thread reachable
/// when another process opens it with `OpenThread`.
#[cfg(not(loom))]
#[doc(hidden)]
pub fn publish_at_next_wait() {
    publication::ask();
}
