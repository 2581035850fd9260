//! Waits: [`Wait`], a callback when an object is signaled or a timeout passes — with no
//! thread waiting.
//!
//! Setting a wait registers it in the object's wait list (a core
//! [`RegisteredWait`](alertable::RegisteredWait)), with a private
//! [`WaitableTimer`] as a second object for the timeout. Whoever signals the object — or
//! the timer service, for the timeout — satisfies it, and its notification posts the wait
//! to the pool's port as a packet of its own (`pool.rs`, P5): a worker asleep on the port
//! is handed it at once and runs the callback, with no task queue in between. Each
//! setting fires once; it is re-armed only by setting it again.
//!
//! - (V1) Every setting has a generation number, and a notification queues the callback
//!   only if its generation is still the current one and the wait is still set; so a wait
//!   that was set again, unset or closed never runs the callback for an older setting.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use alertable::{DueTime, RegisteredWait, TimerReset, WaitStatus, Waitable, WaitableTimer};

use crate::callback::{CallbackInstance, Tracker};
use crate::group::Member;
use crate::pool::{Environment, Shared, ThreadPool, run_callback};

/// Why a wait's callback runs.
///
/// # Win32
///
/// The `TP_WAIT_RESULT` a wait callback receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaitResult {
    /// The object was signaled (and acquired, as a wait acquires it): `WAIT_OBJECT_0`.
    Signaled,
    /// The object was a mutex whose owner had exited: `WAIT_ABANDONED_0`.
    Abandoned,
    /// The timeout passed first: `WAIT_TIMEOUT`.
    TimedOut,
}

impl WaitResult {
    /// The result as a packet's byte count (P5).
    pub(crate) fn code(self) -> usize {
        match self {
            Self::Signaled => 0,
            Self::Abandoned => 1,
            Self::TimedOut => 2,
        }
    }

    /// The result a packet's byte count stands for.
    pub(crate) fn from_code(code: usize) -> Self {
        match code {
            0 => Self::Signaled,
            1 => Self::Abandoned,
            _ => Self::TimedOut,
        }
    }
}

type WaitCallback = Box<dyn Fn(&CallbackInstance<'_>, WaitResult) + Send + Sync>;

/// A wait object: runs its callback on the pool when the object it is set on is signaled,
/// or its timeout passes — once per [`set`](Self::set).
///
/// Setting a wait costs no thread: it is linked into the object's wait list like a waiting
/// thread, and the signal that satisfies it queues the callback. The object is acquired as
/// a thread's wait would acquire it (an auto-reset event is reset, a semaphore count
/// taken; a mutex is acquired for the thread that set the wait).
///
/// Dropping the handle unsets and closes the wait; callbacks already queued still run.
///
/// # Examples
///
/// ```
/// use alertable::{Event, EventReset};
/// use alertable_pool::{ThreadPool, Wait, WaitResult};
/// use std::sync::mpsc;
/// use std::time::Duration;
///
/// let pool = ThreadPool::new();
/// let (tx, rx) = mpsc::channel();
/// let wait = Wait::new(&pool.environment(), move |_, result| tx.send(result).unwrap());
/// let event = Event::new(EventReset::Auto, false);
/// wait.set(Box::new(event.clone()), None);
/// event.set();
/// assert_eq!(rx.recv().unwrap(), WaitResult::Signaled);
/// // Once per setting: set it again for the next signal, here with a timeout.
/// wait.set(Box::new(event.clone()), Some(Duration::from_millis(1)));
/// assert_eq!(rx.recv().unwrap(), WaitResult::TimedOut);
/// ```
///
/// # Win32
///
/// A `PTP_WAIT`: `CreateThreadpoolWait`, `SetThreadpoolWait(Ex)`,
/// `WaitForThreadpoolWaitCallbacks`; dropping it is `CloseThreadpoolWait`.
pub struct Wait {
    inner: Arc<WaitInner>,
}

pub(crate) struct WaitInner {
    pool: ThreadPool,
    tracker: Arc<Tracker>,
    callback: WaitCallback,
    /// Serialises `set` and `unset` (P4: taken before the core's locks).
    setting: Mutex<()>,
    state: Mutex<WaitState>,
}

#[derive(Default)]
struct WaitState {
    /// (V1)
    generation: u64,
    set: bool,
    registration: Option<RegisteredWait>,
    timeout: Option<WaitableTimer>,
}

impl Wait {
    /// Creates an unset wait that runs `callback` on `environment`'s pool.
    ///
    /// # Win32
    ///
    /// `CreateThreadpoolWait(callback, context, environment)`.
    pub fn new(
        environment: &Environment,
        callback: impl Fn(&CallbackInstance<'_>, WaitResult) + Send + Sync + 'static,
    ) -> Self {
        let inner = Arc::new(WaitInner {
            pool: environment.pool.clone(),
            tracker: Tracker::new(),
            callback: Box::new(callback),
            setting: Mutex::new(()),
            state: Mutex::new(WaitState::default()),
        });
        if let Some(group) = &environment.group {
            group.add(Arc::downgrade(&inner) as Weak<dyn Member>);
        }
        Self { inner }
    }

    /// Waits for `object`: the callback runs once, with [`WaitResult::Signaled`] (or
    /// `Abandoned`) when it is signaled, or with [`WaitResult::TimedOut`] when `timeout`
    /// (`None`: never) passes first. A zero timeout checks the object once. Replaces the
    /// previous setting; a callback that setting already queued still runs.
    ///
    /// # Win32
    ///
    /// `SetThreadpoolWait(wait, object, timeout)`.
    pub fn set(&self, object: Box<dyn Waitable>, timeout: Option<Duration>) {
        self.inner.set(Some(object), timeout);
    }

    /// Stops waiting: no new callback is queued; one already queued still runs.
    ///
    /// # Win32
    ///
    /// `SetThreadpoolWait(wait, NULL, NULL)`.
    pub fn unset(&self) {
        self.inner.set(None, None);
    }

    /// Like [`unset`](Self::unset), and says whether the wait was set (and had not fired).
    ///
    /// # Win32
    ///
    /// `SetThreadpoolWaitEx(wait, NULL, NULL, NULL)`'s result.
    pub fn unset_was_set(&self) -> bool {
        self.inner.set(None, None)
    }

    /// Waits until no callback of this wait is pending or running; with `cancel_pending`,
    /// queued callbacks that have not started are dropped first.
    ///
    /// # Win32
    ///
    /// `WaitForThreadpoolWaitCallbacks(wait, fCancelPendingCallbacks)`.
    pub fn wait_for_callbacks(&self, cancel_pending: bool) {
        self.inner.tracker.wait(cancel_pending);
    }

    /// Drops the callbacks that are pending and not started; returns how many. For the C
    /// ABI's cleanup groups, which tell each member that lost callbacks.
    #[doc(hidden)]
    pub fn cancel_pending(&self) -> usize {
        self.inner.tracker.cancel_pending()
    }

    /// Whether no callback of this object is pending or running at this moment (a
    /// snapshot): for the C ABI's `ERROR_IO_PENDING` of the legacy functions.
    #[doc(hidden)]
    pub fn callbacks_done(&self) -> bool {
        self.inner.tracker.is_quiet()
    }
}

impl Drop for Wait {
    /// Unsets and closes the wait; queued callbacks still run.
    fn drop(&mut self) {
        self.inner.set(None, None);
        self.inner.tracker.close();
    }
}

impl fmt::Debug for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("set", &self.inner.lock().set)
            .field("tracker", &self.inner.tracker)
            .finish_non_exhaustive()
    }
}

impl WaitInner {
    fn lock(&self) -> MutexGuard<'_, WaitState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the setting; returns whether the wait was set before.
    fn set(self: &Arc<Self>, object: Option<Box<dyn Waitable>>, timeout: Option<Duration>) -> bool {
        let _setting = self.setting.lock().unwrap_or_else(PoisonError::into_inner);
        let (old, generation, was_set) = {
            let mut state = self.lock();
            state.generation += 1;
            let was_set = std::mem::replace(&mut state.set, object.is_some());
            (
                (state.registration.take(), state.timeout.take()),
                state.generation,
                was_set,
            )
        };
        // Cancelling takes the core's locks: not under ours (P4).
        drop(old);
        let Some(object) = object else {
            return was_set;
        };
        if self.tracker.is_closed() {
            self.lock().set = false;
            return was_set;
        }
        let mut objects = vec![object];
        let timer = timeout.map(|timeout| {
            let timer = WaitableTimer::new(TimerReset::Synchronization);
            timer.set(DueTime::After(timeout), None);
            timer
        });
        if let Some(timer) = &timer {
            objects.push(Box::new(timer.clone()));
        }
        let weak = Arc::downgrade(self);
        let registration = RegisteredWait::new(objects, move |status| {
            if let Some(wait) = weak.upgrade() {
                wait.fired(generation, status);
            }
        })
        .expect("an object and a private timer are a valid wait");
        let stale = {
            let mut state = self.lock();
            if state.generation == generation {
                state.registration = Some(registration);
                state.timeout = timer;
                None
            } else {
                Some((registration, timer))
            }
        };
        drop(stale);
        was_set
    }

    /// The registered wait of `generation` was satisfied (V1).
    fn fired(self: Arc<Self>, generation: u64, status: WaitStatus) {
        let timer = {
            let mut state = self.lock();
            if state.generation != generation || !state.set {
                return;
            }
            state.set = false;
            state.timeout.take()
        };
        // A timer left armed after a signal would fire for nobody: stop it.
        drop(timer);
        let result = match status {
            WaitStatus::Signaled(0) => WaitResult::Signaled,
            WaitStatus::Abandoned(0) => WaitResult::Abandoned,
            _ => WaitResult::TimedOut,
        };
        if self.tracker.submit() {
            // Straight to a worker, as a packet of the port (P5): no task queue, no ticket.
            let shared = self.pool.shared.clone();
            shared.post_wait(self, result);
        }
    }

    pub(crate) fn run(&self, shared: &Arc<Shared>, result: WaitResult) {
        run_callback(shared, Some(&self.tracker), |instance| {
            (self.callback)(instance, result);
        });
    }
}

impl Member for WaitInner {
    fn close_member(&self, cancel_pending: bool) {
        self.tracker.close();
        // Unset, as `set(None)` does, without an `Arc` to self.
        let old = {
            let _setting = self.setting.lock().unwrap_or_else(PoisonError::into_inner);
            let mut state = self.lock();
            state.generation += 1;
            state.set = false;
            (state.registration.take(), state.timeout.take())
        };
        drop(old);
        self.tracker.wait(cancel_pending);
    }
}
