//! Timers: [`Timer`], a callback at a due time and then periodically, fired by the core's
//! timer service with no thread of the pool's waiting.
//!
//! A pool timer is a synchronization [`WaitableTimer`] and a registered wait on it
//! ([`RegisteredWait`]): the timer service signals the timer, which satisfies the wait,
//! whose notification queues the callback and, for a periodic timer, registers the wait
//! again.
//!
//! - (T1) Every setting has a generation number; a notification of an older generation
//!   does nothing, so a timer set again, cancelled or closed never runs the callback for
//!   an older setting.
//! - (T2) Re-registrations of one generation are numbered, and only a newer one replaces
//!   the stored registration: one made by a notification that ran inside the registration
//!   call of the one before it (the next period was already due) is not overwritten by
//!   that older, already satisfied, one.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use alertable::{DueTime, RegisteredWait, TimerReset, WaitableTimer};

use crate::callback::{CallbackInstance, Tracker};
use crate::group::Member;
use crate::pool::{Environment, Shared, Task, ThreadPool, run_callback};

type TimerCallback = Box<dyn Fn(&CallbackInstance<'_>) + Send + Sync>;

/// A timer object: runs its callback on the pool at a due time, then every period if it
/// has one.
///
/// Dropping the handle cancels and closes the timer; callbacks already queued still run.
///
/// # Examples
///
/// ```
/// use alertable::DueTime;
/// use alertable_pool::{ThreadPool, Timer};
/// use std::sync::mpsc;
/// use std::time::Duration;
///
/// let pool = ThreadPool::new();
/// let (tx, rx) = mpsc::channel();
/// let timer = Timer::new(&pool.environment(), move |_| tx.send(()).unwrap());
/// timer.set(Some(DueTime::After(Duration::from_millis(1))), Some(Duration::from_millis(1)), Duration::ZERO);
/// for _ in 0..3 {
///     rx.recv().unwrap();
/// }
/// timer.set(None, None, Duration::ZERO);
/// assert!(!timer.is_set());
/// ```
///
/// # Win32
///
/// A `PTP_TIMER`: `CreateThreadpoolTimer`, `SetThreadpoolTimer(Ex)`, `IsThreadpoolTimerSet`,
/// `WaitForThreadpoolTimerCallbacks`; dropping it is `CloseThreadpoolTimer`.
pub struct Timer {
    inner: Arc<TimerInner>,
}

pub(crate) struct TimerInner {
    pool: ThreadPool,
    tracker: Arc<Tracker>,
    callback: TimerCallback,
    timer: WaitableTimer,
    /// Serialises settings (P4: taken before the core's locks).
    setting: Mutex<()>,
    state: Mutex<TimerState>,
}

#[derive(Default)]
struct TimerState {
    /// (T1)
    generation: u64,
    set: bool,
    periodic: bool,
    registration: Option<RegisteredWait>,
    /// (T2) the number of the last registration made, and of the one stored.
    made: u64,
    stored: u64,
}

impl Timer {
    /// Creates an unset timer that runs `callback` on `environment`'s pool.
    ///
    /// # Win32
    ///
    /// `CreateThreadpoolTimer(callback, context, environment)`.
    pub fn new(
        environment: &Environment,
        callback: impl Fn(&CallbackInstance<'_>) + Send + Sync + 'static,
    ) -> Self {
        let inner = Arc::new(TimerInner {
            pool: environment.pool.clone(),
            tracker: Tracker::new(),
            callback: Box::new(callback),
            timer: WaitableTimer::new(TimerReset::Synchronization),
            setting: Mutex::new(()),
            state: Mutex::new(TimerState::default()),
        });
        if let Some(group) = &environment.group {
            group.add(Arc::downgrade(&inner) as Weak<dyn Member>);
        }
        Self { inner }
    }

    /// Sets the timer to fire at `due`, then every `period` (`None` or zero: once);
    /// `due` `None` cancels it. `window` is how late the callback may be to let the system
    /// coalesce timers: accepted, and not used (every timer fires at its time). Replaces
    /// the previous setting; callbacks it already queued still run. Returns whether the
    /// timer was set before.
    ///
    /// # Win32
    ///
    /// `SetThreadpoolTimerEx(timer, due, period_ms, window_ms)` (`SetThreadpoolTimer`
    /// without the result); a `NULL` due time is `None`.
    pub fn set(&self, due: Option<DueTime>, period: Option<Duration>, window: Duration) -> bool {
        let _ = window;
        self.inner.set(due, period)
    }

    /// Whether the timer is set: it has a due time or a period ahead of it.
    ///
    /// # Win32
    ///
    /// `IsThreadpoolTimerSet`.
    pub fn is_set(&self) -> bool {
        self.inner.lock().set
    }

    /// Waits until no callback of this timer is pending or running; with
    /// `cancel_pending`, queued callbacks that have not started are dropped first.
    ///
    /// # Win32
    ///
    /// `WaitForThreadpoolTimerCallbacks(timer, fCancelPendingCallbacks)`.
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

impl Drop for Timer {
    /// Cancels and closes the timer; queued callbacks still run.
    fn drop(&mut self) {
        self.inner.set(None, None);
        self.inner.tracker.close();
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer")
            .field("set", &self.is_set())
            .field("tracker", &self.inner.tracker)
            .finish_non_exhaustive()
    }
}

impl TimerInner {
    fn lock(&self) -> MutexGuard<'_, TimerState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(self: &Arc<Self>, due: Option<DueTime>, period: Option<Duration>) -> bool {
        let _setting = self.setting.lock().unwrap_or_else(PoisonError::into_inner);
        let due = due.filter(|_| !self.tracker.is_closed());
        let (old, generation, was_set) = {
            let mut state = self.lock();
            state.generation += 1;
            let was_set = std::mem::replace(&mut state.set, due.is_some());
            state.periodic = period.is_some_and(|p| !p.is_zero());
            (state.registration.take(), state.generation, was_set)
        };
        // Cancelling takes the core's locks: not under ours (P4).
        drop(old);
        match due {
            None => self.timer.cancel(),
            Some(due) => {
                self.timer.set(due, period);
                self.arm(generation);
            }
        }
        was_set
    }

    /// Registers the wait on the timer for `generation` (T1, T2).
    fn arm(self: &Arc<Self>, generation: u64) {
        let number = {
            let mut state = self.lock();
            if state.generation != generation {
                return;
            }
            state.made += 1;
            state.made
        };
        let weak = Arc::downgrade(self);
        let registration = RegisteredWait::new(vec![Box::new(self.timer.clone())], move |_| {
            if let Some(timer) = weak.upgrade() {
                timer.fired(generation);
            }
        })
        .expect("one timer is a valid wait");
        let stale = {
            let mut state = self.lock();
            if state.generation == generation && number > state.stored {
                state.stored = number;
                state.registration.replace(registration)
            } else {
                Some(registration)
            }
        };
        drop(stale);
    }

    /// The timer fired for `generation` (T1).
    fn fired(self: Arc<Self>, generation: u64) {
        let periodic = {
            let mut state = self.lock();
            if state.generation != generation {
                return;
            }
            if !state.periodic {
                state.set = false;
            }
            state.periodic
        };
        if self.tracker.submit() {
            self.pool.shared.queue(Task::Timer(self.clone()));
        }
        if periodic {
            self.arm(generation);
        }
    }

    pub(crate) fn run(&self, shared: &Arc<Shared>) {
        run_callback(shared, Some(&self.tracker), |instance| {
            (self.callback)(instance)
        });
    }
}

impl Member for TimerInner {
    fn close_member(&self, cancel_pending: bool) {
        self.tracker.close();
        let old = {
            let _setting = self.setting.lock().unwrap_or_else(PoisonError::into_inner);
            let old = {
                let mut state = self.lock();
                state.generation += 1;
                state.set = false;
                state.registration.take()
            };
            self.timer.cancel();
            old
        };
        drop(old);
        self.tracker.wait(cancel_pending);
    }
}
