//! The pool itself: [`ThreadPool`], its worker threads, and how callbacks reach them.
//!
//! # Shape
//!
//! A pool is a [`CompletionPort`], a lock-free queue of tasks (a work item's submission, a
//! timer's firing, a simple callback), and the worker threads that serve them.
//! A worker is let in by the port, with one of three kinds of packet:
//!
//! - key [`TASK_KEY`]: a *ticket* — "tasks are queued; come and run them";
//! - key [`WAIT_KEY`]: a [`Wait`](crate::Wait) that fired, carried by the packet itself
//!   (P5), so that the notification of its registered wait — on the thread that signaled
//!   the object — hands it straight to a worker asleep on the port (the port's hand-off),
//!   and the worker runs its callback without a second queue;
//! - any other key: a completion of a file bound by an [`Io`](crate::Io) object, whose
//!   key identifies it.
//!
//! A worker that takes a ticket runs tasks from the queue, one after the other, for as
//! long as it finds them (up to [`BATCH`] in a row, then it goes back to the port so that
//! completions queued there get their turn). Between two tasks it takes the next one
//! straight from the queue — the port's own fast lane, where a thread running on the port
//! takes the next packet without giving up its place — and when the queue is empty it
//! watches it for a moment before it goes back to the port. A submission is then one push
//! on the queue: a packet is posted only when no ticket is outstanding and no worker is
//! looking for a task (the *hunters*, H1), so a stream of tasks to busy workers touches
//! neither the port's lock nor a second queue, and wakes nobody.
//!
//! The port's rules stay the pool's: a worker runs tasks only while it counts as running
//! on the port, so no more callbacks run at once than the port's concurrency value; a
//! callback that blocks in one of the library's waits stops counting, as on Windows, and a
//! ticket queued on the port then lets another worker in. Tasks run in the order they
//! were queued; completions keep their own order on the port.
//!
//! Workers wait on the port alertably (APCs queued to a pool thread run between callbacks)
//! with an idle timeout. The pool grows when a ticket is posted and no worker is idle (for
//! the first task of a burst, and for the rest of it when the worker that took the first
//! posts a ticket behind it, H2), or when a callback blocks in one of the library's waits
//! while packets are queued (a [`BlockObserver`] on each worker), as long as fewer than the
//! concurrency value of its threads are unblocked and it is under its maximum; a worker
//! idle for the idle timeout retires, down to the minimum.
//!
//! # Invariants
//!
//! - (H1) `hunters` counts the tickets posted and not yet taken, plus the workers looking
//!   for a task: between tickets and callbacks, never while running a callback. A worker
//!   that takes a ticket keeps its count as its own while it looks; it gives the count up
//!   when it finds a task (before running it) or stops looking.
//! - (H2) No queued task is left without a hunter: a submitter pushes its task, then (after
//!   a sequentially consistent fence) posts a ticket if `hunters` is 0; a worker that stops
//!   looking gives its count up, then (after the same fence) looks at the queue once more
//!   and hunts again if it is not empty. By the fence, one of the two sees the other. A
//!   worker that finds a task and leaves `hunters` at 0 while tasks remain posts a ticket
//!   for them, so a burst spreads over as many workers as the port lets run; so does a
//!   worker whose callback blocks in one of the library's waits, since it will not take
//!   the next task for a while.
//! - (H3) Every ticket reaches a worker: the port hands it to a waiting worker when the
//!   concurrency value allows, or a running worker takes it when it comes back to the port,
//!   or a blocked callback frees the port's room for it; whoever posts a ticket when no
//!   worker is idle starts one if the limits allow (P2).
//! - (P2) No ticket is stranded: a poster that finds no idle worker spawns one (if the
//!   limits allow it), and a worker retires only after leaving the idle count and finding
//!   the port's queue and the task queue empty — both sides use sequentially consistent
//!   operations, so one of them sees the other.
//! - (P3) The port closes when the last [`ThreadPool`] handle is gone and the task queue
//!   has run dry: every object holds a handle, and every queued task of an object holds the
//!   object; simple callbacks hold none, so the last handle queues a [`Task::Close`] behind
//!   them instead of closing the port, and the worker that takes it closes it. Nothing
//!   queued is dropped unrun by the close.
//! - (P5) A packet with key [`WAIT_KEY`] owns one strong reference to a wait's
//!   `WaitInner`, made by `Arc::into_raw` into its token by [`Shared::post_wait`] and
//!   taken back exactly once, by the worker that takes the packet (the port hands each
//!   packet to one thread, C2). Such a packet is never dropped unread: the reference holds
//!   the wait, which holds a handle of the pool, so the port stays open (P3) and keeps a
//!   worker (P2) while it is queued.
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
use crossbeam_utils::CachePadded;

use crate::callback::{CallbackInstance, Tracker};
use crate::group::CleanupGroup;
use crate::io::IoInner;
use crate::simple::SimpleCallback;
use crate::timer::TimerInner;
use crate::wait::{WaitInner, WaitResult};
use crate::work::WorkInner;

/// The key of tickets: packets that let a worker in to run queued tasks (H1).
pub(crate) const TASK_KEY: usize = 0;

/// The key of a fired wait's packet, whose token is the wait (P5). `Io` keys count up
/// from 1 and never reach it.
pub(crate) const WAIT_KEY: usize = usize::MAX;

/// How many tasks a worker runs in a row before it goes back to the port, where I/O
/// completions may be queued behind its ticket.
const BATCH: usize = 64;

/// The largest number of threads a pool starts with as its maximum, as on Windows.
pub const DEFAULT_MAXIMUM_THREADS: u32 = 512;

/// How long a worker stays idle before it retires, unless set otherwise.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// One unit of work for a worker (H1).
pub(crate) enum Task {
    Work(Arc<WorkInner>),
    Timer(Arc<TimerInner>),
    /// A simple callback; tracked only when it belongs to a cleanup group.
    Simple(SimpleCallback, Option<Arc<Tracker>>),
    /// The last handle is gone and everything queued before this has been taken: close
    /// the port (P3).
    Close,
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
    /// Tickets not yet taken, plus workers looking for a task (H1).
    hunters: CachePadded<AtomicUsize>,
    threads: Mutex<Threads>,
    /// Copies of `Threads`' numbers, written whenever its lock is released, for the hot
    /// paths' first look without the lock.
    mirror: Mirror,
    /// Workers inside `get` on the port (P2).
    idle: CachePadded<AtomicUsize>,
    /// Workers inside a callback's body; counted down before a callback's actions and the
    /// end of its count (K2), so a thread that finished one is free by the time anyone
    /// can see that it finished.
    busy: CachePadded<AtomicUsize>,
    /// How many `ThreadPool` handles exist (P3).
    handles: CachePadded<AtomicUsize>,
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
                hunters: CachePadded::new(AtomicUsize::new(0)),
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
                idle: CachePadded::new(AtomicUsize::new(0)),
                busy: CachePadded::new(AtomicUsize::new(0)),
                handles: CachePadded::new(AtomicUsize::new(1)),
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
    /// The last handle closes the pool once the callbacks queued have been taken: its idle
    /// workers end then, busy ones after their callback (P3).
    fn drop(&mut self) {
        if self.shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.close_when_drained();
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

    /// Queues `task` for a worker and makes sure one will come (H2). Returns false if the
    /// pool is closed (the task is dropped).
    pub(crate) fn queue(self: &Arc<Self>, task: Task) -> bool {
        if self.port.is_closed() {
            return false;
        }
        self.tasks.push(task);
        // (H2) the push, then the look at the hunters; a hunter that gives up does the
        // opposite.
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.hunters.load(Ordering::Relaxed) == 0 {
            return self.post_ticket();
        }
        true
    }

    /// Posts a ticket unless one is outstanding or a worker looks for tasks already (H1),
    /// and starts a worker if none is idle (P2). False if the port is closed: the queued
    /// tasks are dropped then.
    fn post_ticket(self: &Arc<Self>) -> bool {
        if self
            .hunters
            .compare_exchange(0, 1, Ordering::SeqCst, Ordering::Relaxed)
            .is_err()
        {
            // Another poster, or a worker, came first: it serves this task too.
            return true;
        }
        if self
            .port
            .post(CompletionPacket::new(TASK_KEY, 0, Ok(0)))
            .is_err()
        {
            // Closed: nobody will pop them; drop what is queued.
            self.hunters.fetch_sub(1, Ordering::SeqCst);
            while self.tasks.pop().is_some() {}
            return false;
        }
        if self.idle.load(Ordering::SeqCst) == 0 {
            self.grow(false);
        }
        true
    }

    /// The last handle is gone (P3): close the port now if nothing is queued, or after
    /// what is queued has been taken.
    fn close_when_drained(self: &Arc<Self>) {
        // Nobody can queue a task any more (every object holds a handle), so an empty
        // queue stays empty.
        if self.tasks.is_empty() || !self.queue(Task::Close) {
            self.port.close();
        }
    }

    /// Runs queued tasks after taking a ticket, whose count in `hunters` is now this
    /// worker's (H1): until the queue stays empty, or [`BATCH`] of them.
    fn serve(self: &Arc<Self>) {
        let mut budget = BATCH;
        // Each round begins with this worker counted as a hunter.
        loop {
            let mut task = match self.tasks.pop() {
                Some(task) => task,
                None => {
                    if !alertable::watch_before_sleeping(|| !self.tasks.is_empty()) {
                        // (H2) give the count up, then look once more.
                        self.hunters.fetch_sub(1, Ordering::SeqCst);
                        std::sync::atomic::fence(Ordering::SeqCst);
                        if self.tasks.is_empty() {
                            return;
                        }
                        self.hunters.fetch_add(1, Ordering::SeqCst);
                    }
                    continue;
                }
            };
            // (H1) found one: no longer hunting. The last hunter leaves a ticket for what
            // remains, so that another worker may join (H2): a submitter that counted on
            // this hunter is seen here, by the fence.
            if self.hunters.fetch_sub(1, Ordering::SeqCst) == 1 {
                std::sync::atomic::fence(Ordering::SeqCst);
                if !self.tasks.is_empty() {
                    self.post_ticket();
                }
            }
            loop {
                if self.run_task(task) {
                    return;
                }
                budget -= 1;
                if budget == 0 {
                    // Back to the port, behind a ticket for what remains (H2).
                    std::sync::atomic::fence(Ordering::SeqCst);
                    if !self.tasks.is_empty() && self.hunters.load(Ordering::Relaxed) == 0 {
                        self.post_ticket();
                    }
                    return;
                }
                // The next task straight from the queue: this worker still runs on the
                // port, as in its fast lane.
                match self.tasks.pop() {
                    Some(next) => task = next,
                    None => break,
                }
            }
            self.hunters.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Runs one task; true if it was [`Task::Close`].
    fn run_task(self: &Arc<Self>, task: Task) -> bool {
        match task {
            Task::Work(work) => work.run(self),
            Task::Timer(timer) => timer.run(self),
            Task::Simple(callback, tracker) => {
                run_callback(self, tracker.as_ref(), |instance| callback.call(instance));
            }
            Task::Close => {
                self.port.close();
                return true;
            }
        }
        false
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
        // A worker that runs no callback is idle, looking for a task, or on its way back
        // to the port.
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
        match packet.key {
            TASK_KEY => self.serve(),
            WAIT_KEY => {
                let result = WaitResult::from_code(packet.status.unwrap_or_default());
                // SAFETY: a `WAIT_KEY` packet's token is a reference made by
                // `Arc::into_raw` in `post_wait`, and this worker took the packet, so it
                // is the one owner of that reference (P5).
                let wait = unsafe { Arc::from_raw(packet.token as *const WaitInner) };
                wait.run(self, result);
            }
            key => {
                self.settle_io();
                if let Some(io) = self.io(key) {
                    io.complete(self, packet);
                }
            }
        }
    }

    /// Posts a fired wait to the port (P5): a worker asleep on the port gets it at once,
    /// as the port's hand-off, or the next worker allowed to run takes it; starts a worker
    /// if none is idle (P2). The caller counted the callback as pending.
    pub(crate) fn post_wait(self: &Arc<Self>, wait: Arc<WaitInner>, result: WaitResult) {
        let token = Arc::into_raw(wait) as usize;
        let packet = CompletionPacket::new(WAIT_KEY, token, Ok(result.code()));
        if self.port.post(packet).is_err() {
            // Unreachable while the wait holds a handle (P3); give the reference back.
            // SAFETY: the token was made by `Arc::into_raw` just above, and the packet
            // that carried it was dropped unread by the closed port (P5).
            drop(unsafe { Arc::from_raw(token as *const WaitInner) });
            return;
        }
        if self.idle.load(Ordering::SeqCst) == 0 {
            self.grow(false);
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
        // (P2) out of the idle count already; a ticket or a task queued meanwhile keeps it.
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.port.queued() > 0 || !self.tasks.is_empty() {
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
                // This worker will not take the next task for a while: if tasks wait and
                // nobody looks for them, a ticket lets another worker in (H2).
                std::sync::atomic::fence(Ordering::SeqCst);
                if !shared.tasks.is_empty() && shared.hunters.load(Ordering::Relaxed) == 0 {
                    shared.post_ticket();
                }
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
