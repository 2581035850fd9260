//! The pool itself: [`ThreadPool`], its worker threads, and how callbacks reach them.
//!
//! # Shape
//!
//! A pool is a [`CompletionPort`] and the worker threads that serve it. Every callback
//! reaches a worker as one packet on the port:
//!
//! - key [`TASK_KEY`]: "run one task" — the task itself (a work item's submission, a timer's
//!   or a wait's firing, a simple callback) is pushed on the pool's task queue *before*
//!   its packet is posted;
//! - any other key: a completion of a file bound by an [`Io`](crate::Io) object, whose
//!   key identifies it.
//!
//! So the port's rules are the pool's: FIFO, the most recently idle worker first, and no
//! more callbacks running at once than the port's concurrency value — a callback that
//! blocks in one of the library's waits stops counting, as on Windows.
//!
//! Workers wait on the port alertably (APCs queued to a pool thread run between callbacks)
//! with an idle timeout. The pool grows when a task arrives and no worker is idle, or when
//! a callback blocks in one of the library's waits while packets are queued (a
//! [`BlockObserver`] on each worker), as long as fewer than the concurrency value of its
//! threads are unblocked and it is under its maximum; a worker idle for the idle timeout
//! retires, down to the minimum.
//!
//! # Invariants
//!
//! - (P1) A task is pushed before its `TASK_KEY` packet is posted, and a worker pops exactly
//!   one task per such packet: a worker holding one always finds a task.
//! - (P2) No task is stranded: a submitter that finds no idle worker spawns one (if the
//!   limits allow it), and a worker retires only after leaving the idle count and finding
//!   the port's queue empty — both sides use sequentially consistent operations, so one of
//!   them sees the other.
//! - (P3) The port closes when the last [`ThreadPool`] handle is gone; every object holds
//!   one, and every queued task holds its object, so nothing queued is dropped unrun by the
//!   close.
//! - (P4) Lock order: an object's `setting` lock, then the core's (a timer's own lock, the
//!   dispatcher lock), then an object's `state` lock, then the port lock and the pool's
//!   `threads` lock. Notifications of registered waits (dispatch.rs W6) take only the last
//!   three.

use std::any::Any;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use alertable::{Alertable, BlockObserver};
use alertable_io::{CompletionPacket, CompletionPort, PortError};
use crossbeam_queue::SegQueue;

use crate::callback::{CallbackInstance, Tracker};
use crate::group::CleanupGroup;
use crate::io::IoInner;
use crate::timer::TimerInner;
use crate::wait::{WaitInner, WaitResult};
use crate::work::WorkInner;

/// The key of packets that stand for one task on the task queue (P1).
pub(crate) const TASK_KEY: usize = 0;

/// The largest number of threads a pool starts with as its maximum, as on Windows.
pub const DEFAULT_MAXIMUM_THREADS: u32 = 512;

/// How long a worker stays idle before it retires, unless set otherwise.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// One unit of work for a worker (P1).
pub(crate) enum Task {
    Work(Arc<WorkInner>),
    Timer(Arc<TimerInner>),
    Wait(Arc<WaitInner>, WaitResult),
    /// A simple callback; tracked only when it belongs to a cleanup group.
    Simple(
        Box<dyn FnOnce(&CallbackInstance<'_>) + Send>,
        Option<Arc<Tracker>>,
    ),
}

type PanicHandler = Arc<dyn Fn(Box<dyn Any + Send>) + Send + Sync>;

/// A pool of alertable worker threads that runs callbacks: work items, timers, waits and
/// I/O completions.
///
/// A cheap handle: clones refer to the same pool. The pool's threads end when the last
/// handle is dropped — every object of the pool ([`Work`](crate::Work),
/// [`Timer`](crate::Timer), [`Wait`](crate::Wait), [`Io`](crate::Io)) holds one, and so
/// does every callback waiting to run, so nothing pending is lost.
///
/// # Examples
///
/// ```
/// use alertable_pool::{ThreadPool, Work};
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let pool = ThreadPool::new();
/// let count = Arc::new(AtomicUsize::new(0));
/// let c = count.clone();
/// let work = Work::new(&pool.environment(), move |_| {
///     c.fetch_add(1, Ordering::Relaxed);
/// });
/// for _ in 0..10 {
///     work.submit();
/// }
/// work.wait_for_callbacks(false);
/// assert_eq!(count.load(Ordering::Relaxed), 10);
/// ```
///
/// # Win32
///
/// A `PTP_POOL` from `CreateThreadpool`; dropping the last handle is `CloseThreadpool`.
/// [`ThreadPool::process_default`] is the process's default pool.
pub struct ThreadPool {
    pub(crate) shared: Arc<Shared>,
}

/// The state the workers share with the handles.
pub(crate) struct Shared {
    pub(crate) port: CompletionPort,
    tasks: SegQueue<Task>,
    threads: Mutex<Threads>,
    /// Copies of `Threads`' numbers, written whenever its lock is released, for the hot
    /// paths' first look without the lock.
    mirror: Mirror,
    /// Workers inside `get` on the port (P2).
    idle: AtomicUsize,
    /// Workers inside a callback's body.
    busy: AtomicUsize,
    /// How many `ThreadPool` handles exist (P3).
    handles: AtomicUsize,
    /// The bound `Io` objects, by completion key.
    ios: Mutex<Vec<(usize, Weak<IoInner>)>>,
    next_io_key: AtomicUsize,
    /// I/O requests announced with `Io::start` whose completion has not arrived: while
    /// there are any, the last worker does not retire (P2 for completions).
    io_announced: AtomicUsize,
    panic_handler: Mutex<Option<PanicHandler>>,
}

/// Copies of the numbers behind the `threads` lock.
#[derive(Debug, Default)]
struct Mirror {
    unblocked: AtomicUsize,
    total: AtomicUsize,
    maximum: AtomicUsize,
    idle_timeout_ns: std::sync::atomic::AtomicU64,
}

/// The `threads` lock, held; releasing it updates the mirror.
struct ThreadsGuard<'a> {
    guard: MutexGuard<'a, Threads>,
    mirror: &'a Mirror,
}

impl std::ops::Deref for ThreadsGuard<'_> {
    type Target = Threads;
    fn deref(&self) -> &Threads {
        &self.guard
    }
}

impl std::ops::DerefMut for ThreadsGuard<'_> {
    fn deref_mut(&mut self) -> &mut Threads {
        &mut self.guard
    }
}

impl Drop for ThreadsGuard<'_> {
    fn drop(&mut self) {
        let t = &*self.guard;
        let m = self.mirror;
        m.unblocked.store(
            t.total.saturating_sub(t.blocked) as usize,
            Ordering::Relaxed,
        );
        m.total.store(t.total as usize, Ordering::Relaxed);
        m.maximum.store(t.maximum as usize, Ordering::Relaxed);
        m.idle_timeout_ns.store(
            u64::try_from(t.idle_timeout.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }
}

/// Thread accounting, behind the `threads` lock.
#[derive(Debug)]
struct Threads {
    total: u32,
    /// Workers blocked in one of the library's waits inside a callback.
    blocked: u32,
    minimum: u32,
    maximum: u32,
    idle_timeout: Duration,
}

impl ThreadPool {
    /// Creates a pool with no threads yet, a maximum of [`DEFAULT_MAXIMUM_THREADS`], and a
    /// concurrency value of the number of CPUs.
    ///
    /// # Win32
    ///
    /// `CreateThreadpool(NULL)`.
    pub fn new() -> Self {
        Self::with_concurrency(0)
    }

    /// Creates a pool whose port lets at most `concurrency` callbacks run at once (0: the
    /// number of CPUs); callbacks blocked in the library's waits do not count.
    ///
    /// # Win32
    ///
    /// None: Windows sizes its pools' ports by the number of CPUs.
    pub fn with_concurrency(concurrency: u32) -> Self {
        Self {
            shared: Arc::new(Shared {
                port: CompletionPort::new(concurrency),
                tasks: SegQueue::new(),
                threads: Mutex::new(Threads {
                    total: 0,
                    blocked: 0,
                    minimum: 0,
                    maximum: DEFAULT_MAXIMUM_THREADS,
                    idle_timeout: DEFAULT_IDLE_TIMEOUT,
                }),
                mirror: Mirror {
                    maximum: AtomicUsize::new(DEFAULT_MAXIMUM_THREADS as usize),
                    idle_timeout_ns: std::sync::atomic::AtomicU64::new(
                        DEFAULT_IDLE_TIMEOUT.as_nanos() as u64,
                    ),
                    ..Mirror::default()
                },
                idle: AtomicUsize::new(0),
                busy: AtomicUsize::new(0),
                handles: AtomicUsize::new(1),
                ios: Mutex::new(Vec::new()),
                next_io_key: AtomicUsize::new(TASK_KEY + 1),
                io_announced: AtomicUsize::new(0),
                panic_handler: Mutex::new(None),
            }),
        }
    }

    /// The process's default pool, made on first use and never closed.
    ///
    /// # Win32
    ///
    /// The pool a callback environment without `SetThreadpoolCallbackPool` uses, and the
    /// one `QueueUserWorkItem` and `RegisterWaitForSingleObject` use.
    pub fn process_default() -> &'static Self {
        static DEFAULT: LazyLock<ThreadPool> = LazyLock::new(ThreadPool::new);
        &DEFAULT
    }

    /// A callback environment for this pool, without a cleanup group.
    ///
    /// # Win32
    ///
    /// `InitializeThreadpoolEnvironment` and `SetThreadpoolCallbackPool`.
    pub fn environment(&self) -> Environment {
        Environment::new(self)
    }

    /// Sets the least number of threads the pool keeps, starting threads now until it has
    /// them. Raises the maximum to match if it is lower.
    ///
    /// # Errors
    ///
    /// The error of the operating system if a thread could not be started; the threads
    /// started before it stay.
    ///
    /// # Win32
    ///
    /// `SetThreadpoolThreadMinimum`, whose `FALSE` is the error.
    pub fn set_thread_minimum(&self, minimum: u32) -> std::io::Result<()> {
        let mut threads = self.shared.lock_threads();
        threads.minimum = minimum;
        threads.maximum = threads.maximum.max(minimum);
        while threads.total < minimum {
            threads.total += 1;
            if let Err(e) = spawn_worker(&self.shared) {
                threads.total -= 1;
                return Err(e);
            }
        }
        Ok(())
    }

    /// Sets the largest number of threads the pool may have; lowers the minimum to match if
    /// it is higher (at least one thread is always allowed). Threads above it retire when
    /// they next finish a callback or go idle.
    ///
    /// # Win32
    ///
    /// `SetThreadpoolThreadMaximum`.
    pub fn set_thread_maximum(&self, maximum: u32) {
        let mut threads = self.shared.lock_threads();
        threads.maximum = maximum.max(1);
        threads.minimum = threads.minimum.min(threads.maximum);
    }

    /// How long a worker waits idle before it retires (down to the minimum).
    ///
    /// # Win32
    ///
    /// None: Windows chooses the idle timeout itself.
    pub fn set_idle_timeout(&self, timeout: Duration) {
        self.shared.lock_threads().idle_timeout = timeout;
    }

    /// How many worker threads the pool has at this moment (a snapshot).
    pub fn threads(&self) -> u32 {
        self.shared.lock_threads().total
    }

    /// The concurrency value of the pool's port.
    pub fn concurrency(&self) -> u32 {
        self.shared.port.concurrency()
    }

    /// Replaces what happens to a callback's panic: by default the panic hook reports it
    /// and the pool goes on; `handler` is then given the payload too. The panicking
    /// callback counts as returned: its instance actions run, and waits for it end.
    ///
    /// # Win32
    ///
    /// None: an unhandled exception in a pool callback ends the process on Windows.
    pub fn set_panic_handler(&self, handler: impl Fn(Box<dyn Any + Send>) + Send + Sync + 'static) {
        *self
            .shared
            .panic_handler
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(handler));
    }
}

impl Default for ThreadPool {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for ThreadPool {
    /// Another handle to the same pool.
    fn clone(&self) -> Self {
        self.shared.handles.fetch_add(1, Ordering::Relaxed);
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl Drop for ThreadPool {
    /// The last handle closes the pool: its idle workers end at once, busy ones after their
    /// callback (P3).
    fn drop(&mut self) {
        if self.shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.port.close();
        }
    }
}

impl PartialEq for ThreadPool {
    /// Two handles are equal when they refer to the same pool.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl Eq for ThreadPool {}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPool")
            .field("threads", &*self.shared.lock_threads())
            .field("idle", &self.shared.idle.load(Ordering::Relaxed))
            .field("port", &self.shared.port)
            .finish()
    }
}

impl Shared {
    fn lock_threads(&self) -> ThreadsGuard<'_> {
        ThreadsGuard {
            guard: self.threads.lock().unwrap_or_else(PoisonError::into_inner),
            mirror: &self.mirror,
        }
    }

    /// Whether the limits, as last published, let the pool grow: a first look without the
    /// lock, which `grow` confirms under it.
    fn may_grow(&self) -> bool {
        let m = &self.mirror;
        m.unblocked.load(Ordering::Relaxed) < self.port.concurrency() as usize
            && m.total.load(Ordering::Relaxed) < m.maximum.load(Ordering::Relaxed)
    }

    /// Queues `task` for a worker (P1) and makes sure one will come (P2). Returns false if
    /// the pool is closed (the task is dropped).
    pub(crate) fn queue(self: &Arc<Self>, task: Task) -> bool {
        self.tasks.push(task);
        if self
            .port
            .post(CompletionPacket::new(TASK_KEY, 0, Ok(0)))
            .is_err()
        {
            // Closed: nobody will pop it; drop what is queued.
            while self.tasks.pop().is_some() {}
            return false;
        }
        if self.idle.load(Ordering::SeqCst) == 0 {
            self.grow(false);
        }
        true
    }

    /// Starts a worker if the limits allow: fewer than the concurrency value of the threads
    /// are unblocked, and the pool is under its maximum. `blocked_now`: called as a
    /// callback blocks, which needs packets queued to be worth it.
    fn grow(self: &Arc<Self>, blocked_now: bool) {
        if blocked_now && self.port.queued() == 0 {
            return;
        }
        if !blocked_now && !self.may_grow() {
            return;
        }
        let mut threads = self.lock_threads();
        let unblocked = threads.total - threads.blocked.min(threads.total);
        if unblocked < self.port.concurrency() && threads.total < threads.maximum {
            threads.total += 1;
            if spawn_worker(self).is_err() {
                threads.total -= 1;
            }
        }
    }

    /// Starts one more worker if none is idle and the maximum allows; whether a worker is
    /// idle or was started.
    pub(crate) fn grow_for_long_callback(self: &Arc<Self>) -> bool {
        let mut threads = self.lock_threads();
        // A worker that runs no callback is idle, or on its way back to the port.
        if (threads.total as usize) > self.busy.load(Ordering::SeqCst) {
            return true;
        }
        if threads.total < threads.maximum {
            threads.total += 1;
            if spawn_worker(self).is_ok() {
                return true;
            }
            threads.total -= 1;
        }
        false
    }

    /// An I/O request was announced: its completion needs a worker (P2).
    pub(crate) fn announce_io(self: &Arc<Self>) {
        self.io_announced.fetch_add(1, Ordering::SeqCst);
        if self.idle.load(Ordering::SeqCst) == 0 {
            self.grow(false);
        }
    }

    /// An announced request completed, or its announcement was withdrawn.
    pub(crate) fn settle_io(&self) {
        let _ = self
            .io_announced
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
    }

    /// Registers an `Io` object; returns its completion key.
    pub(crate) fn add_io(&self, io: Weak<IoInner>) -> usize {
        let key = self.next_io_key.fetch_add(1, Ordering::Relaxed);
        let mut ios = self.ios.lock().unwrap_or_else(PoisonError::into_inner);
        ios.retain(|(_, io)| io.strong_count() > 0);
        ios.push((key, io));
        key
    }

    fn io(&self, key: usize) -> Option<Arc<IoInner>> {
        let ios = self.ios.lock().unwrap_or_else(PoisonError::into_inner);
        ios.iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, io)| io.upgrade())
    }

    /// Runs what one packet stands for.
    fn dispatch(self: &Arc<Self>, packet: CompletionPacket) {
        if packet.key != TASK_KEY {
            self.settle_io();
            if let Some(io) = self.io(packet.key) {
                io.complete(self, packet);
            }
            return;
        }
        // (P1) a task was pushed before its packet was posted.
        let Some(task) = self.tasks.pop() else {
            debug_assert!(false, "P1: a task packet without a task");
            return;
        };
        match task {
            Task::Work(work) => work.run(self),
            Task::Timer(timer) => timer.run(self),
            Task::Wait(wait, result) => wait.run(self, result),
            Task::Simple(callback, tracker) => {
                run_callback(self, tracker.as_ref(), |instance| callback(instance));
            }
        }
    }

    /// Hands a callback's panic to the handler, if any; the panic hook has reported it.
    fn report_panic(&self, payload: Box<dyn Any + Send>) {
        let handler = self
            .panic_handler
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match handler {
            Some(handler) => handler(payload),
            None => alertable::discard_panic(payload),
        }
    }

    /// A worker timed out idle: whether it retires (P2).
    fn retire_idle(&self) -> bool {
        let mut threads = self.lock_threads();
        if threads.total <= threads.minimum
            || (threads.total == 1 && self.io_announced.load(Ordering::SeqCst) > 0)
        {
            return false;
        }
        // (P2) out of the idle count already; a task queued meanwhile keeps it.
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.port.queued() > 0 {
            return false;
        }
        threads.total -= 1;
        true
    }

    /// A worker finished a callback: whether it retires because the pool is over its
    /// maximum.
    fn retire_over_maximum(&self) -> bool {
        let m = &self.mirror;
        if m.total.load(Ordering::Relaxed) <= m.maximum.load(Ordering::Relaxed) {
            return false;
        }
        let mut threads = self.lock_threads();
        if threads.total > threads.maximum {
            threads.total -= 1;
            return true;
        }
        false
    }

    fn idle_timeout(&self) -> Duration {
        Duration::from_nanos(self.mirror.idle_timeout_ns.load(Ordering::Relaxed))
    }
}

/// Begins a callback tracked by `tracker` (if any) and runs `body` with its instance; catches a
/// panic, runs the instance's actions, ends the callback. Does nothing if nothing is
/// pending on the tracker (cancelled).
pub(crate) fn run_callback(
    shared: &Arc<Shared>,
    tracker: Option<&Arc<Tracker>>,
    body: impl FnOnce(&CallbackInstance<'_>),
) {
    if tracker.is_some_and(|t| !t.begin()) {
        return;
    }
    let instance = CallbackInstance::new(shared, tracker);
    shared.busy.fetch_add(1, Ordering::SeqCst);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&instance)));
    shared.busy.fetch_sub(1, Ordering::SeqCst);
    instance.finish();
    if let Err(payload) = result {
        shared.report_panic(payload);
    }
}

/// Starts a worker thread for `shared`; the caller has counted it. The new worker counts
/// as idle from now: it is on its way to the port.
fn spawn_worker(shared: &Arc<Shared>) -> std::io::Result<()> {
    shared.idle.fetch_add(1, Ordering::SeqCst);
    let worker_shared = shared.clone();
    let spawned = std::thread::Builder::new()
        .name("alertable-pool".into())
        .spawn(move || worker(worker_shared))
        .map(drop);
    if spawned.is_err() {
        shared.idle.fetch_sub(1, Ordering::SeqCst);
    }
    spawned
}

/// A worker: takes packets from the port alertably and runs them until the pool closes or
/// it retires.
fn worker(shared: Arc<Shared>) {
    let observer = Arc::new(Observer {
        shared: Arc::downgrade(&shared),
        in_callback: std::sync::atomic::AtomicBool::new(false),
        next: alertable::set_block_observer(None),
    });
    alertable::set_block_observer(Some(observer.clone()));
    let mut batch = Vec::with_capacity(1);
    // Counted as idle by `spawn_worker` for the first round.
    let mut counted = true;
    loop {
        let timeout = shared.idle_timeout();
        if !std::mem::take(&mut counted) {
            shared.idle.fetch_add(1, Ordering::SeqCst);
        }
        let got = shared
            .port
            .get_many(&mut batch, 1, Some(timeout), Alertable::Yes);
        shared.idle.fetch_sub(1, Ordering::SeqCst);
        match got {
            Ok(_) => {
                observer.in_callback.store(true, Ordering::Relaxed);
                for packet in batch.drain(..) {
                    shared.dispatch(packet);
                }
                observer.in_callback.store(false, Ordering::Relaxed);
                if shared.retire_over_maximum() {
                    return;
                }
            }
            Err(PortError::Alerted) => {}
            Err(PortError::TimedOut) => {
                if shared.retire_idle() {
                    return;
                }
            }
            Err(_) => {
                // Closed: the pool is gone.
                shared.lock_threads().total -= 1;
                return;
            }
        }
    }
}

/// A worker's block observer: a callback blocking in one of the library's waits may let
/// the pool grow (the port's own observer, installed after it, releases an idle worker).
struct Observer {
    shared: Weak<Shared>,
    in_callback: std::sync::atomic::AtomicBool,
    next: Option<Arc<dyn BlockObserver>>,
}

impl BlockObserver for Observer {
    fn blocking(&self) {
        if self.in_callback.load(Ordering::Relaxed) {
            if let Some(shared) = self.shared.upgrade() {
                shared.lock_threads().blocked += 1;
                shared.grow(true);
            }
        }
        if let Some(next) = &self.next {
            next.blocking();
        }
    }

    fn unblocked(&self) {
        if let Some(next) = &self.next {
            next.unblocked();
        }
        if self.in_callback.load(Ordering::Relaxed) {
            if let Some(shared) = self.shared.upgrade() {
                let mut threads = shared.lock_threads();
                threads.blocked = threads.blocked.saturating_sub(1);
            }
        }
    }
}

/// Where an object's callbacks run: a pool, and optionally a cleanup group that closes the
/// object with its other members.
///
/// # Win32
///
/// A `TP_CALLBACK_ENVIRON`: `InitializeThreadpoolEnvironment`, `SetThreadpoolCallbackPool`,
/// `SetThreadpoolCallbackCleanupGroup`; dropping it is `DestroyThreadpoolEnvironment`.
#[derive(Clone, Debug)]
pub struct Environment {
    pub(crate) pool: ThreadPool,
    pub(crate) group: Option<CleanupGroup>,
}

impl Environment {
    /// An environment for `pool`, without a cleanup group.
    ///
    /// # Win32
    ///
    /// `InitializeThreadpoolEnvironment` then `SetThreadpoolCallbackPool(env, pool)`.
    pub fn new(pool: &ThreadPool) -> Self {
        Self {
            pool: pool.clone(),
            group: None,
        }
    }

    /// Makes objects created with this environment members of `group`.
    ///
    /// # Win32
    ///
    /// `SetThreadpoolCallbackCleanupGroup(env, group, NULL)`.
    #[must_use]
    pub fn with_cleanup_group(mut self, group: &CleanupGroup) -> Self {
        self.group = Some(group.clone());
        self
    }

    /// The environment's pool.
    pub fn pool(&self) -> &ThreadPool {
        &self.pool
    }
}

impl Default for Environment {
    /// The process's default pool, without a cleanup group.
    fn default() -> Self {
        Self::new(ThreadPool::process_default())
    }
}
