//! Waitable timers: manual-reset or synchronization, relative or absolute due times, an
//! optional period, and an optional completion routine delivered as an APC.
//!
//! The timer's own lock (`arm`) guards its arming state; the service (`timers.rs`) holds
//! a weak reference keyed by deadline. Firing happens on the service thread: under the
//! timer's lock it checks that the fired key is still the armed one (a cancel or re-arm in
//! between wins), re-arms a periodic timer, signals the object through the dispatcher, and
//! queues the routine to the setting thread unless a call is already undelivered.
//!
//! - (T1) At most one undelivered routine call per timer: `pending` holds the fire time of
//!   the undelivered call; a later expiry replaces the time instead of queueing again (M141).
//! - (T2) Every `set`, `set_with_routine` and `cancel` bumps `generation`; a routine APC from
//!   an older generation does nothing and does not count as a delivered APC (M142).

use std::fmt;
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use crate::dispatch::{Acquired, Dispatcher, Locked, WaitList, Waitable};
use crate::queue::Apc;
use crate::thread::ThreadHandle;
use crate::timers::{self, Deadline, Key};

/// What a waitable timer does to its signaled state when a wait succeeds.
///
/// # Win32
///
/// The `bManualReset` argument of `CreateWaitableTimer` (`NotificationTimer` /
/// `SynchronizationTimer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerReset {
    /// Stays signaled until it is set again; releases every waiter.
    Manual,
    /// Releases one waiter, then resets.
    Synchronization,
}

/// When a timer first fires.
///
/// # Win32
///
/// The `pDueTime` argument of `SetWaitableTimer`: negative (relative) or positive
/// (absolute UTC) (M137).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DueTime {
    /// After this long, on the monotonic clock: changes of the system clock do not move
    /// it (M138). `Duration::ZERO` fires at once.
    After(Duration),
    /// At this wall-clock time: a change of the system clock moves it (M138). A time in the
    /// past fires at once. A period that follows is counted on the monotonic clock (M139).
    At(SystemTime),
}

/// A waitable timer object.
///
/// # Examples
///
/// ```
/// use alertable::{Alertable, DueTime, SleepStatus, TimerReset, WaitStatus, WaitableTimer, sleep_ex, wait_one};
/// use std::time::{Duration, SystemTime};
///
/// let timer = WaitableTimer::new(TimerReset::Manual);
/// timer.set_with_routine(DueTime::After(Duration::from_millis(5)), None, |fired: SystemTime| {
///     println!("fired at {fired:?}");
/// });
/// // The timer is signaled when it fires, whatever this thread is doing...
/// assert_eq!(wait_one(&timer, None, Alertable::No), Ok(WaitStatus::Signaled(0)));
/// // ...but its routine runs only in an alertable wait of the thread that set it.
/// assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
/// ```
///
/// # Win32
///
/// A timer `HANDLE` from `CreateWaitableTimer`; `SetWaitableTimer`, `CancelWaitableTimer`.
/// Dropping the last clone cancels the timer, as closing its last handle does.
#[derive(Clone)]
pub struct WaitableTimer {
    inner: Arc<TimerInner>,
}

/// The shared state of a timer.
pub(crate) struct TimerInner {
    reset: TimerReset,
    signaled: Locked<bool>,
    waiters: WaitList,
    arm: StdMutex<Arming>,
}

type Routine = Box<dyn FnMut(SystemTime) + Send>;

#[derive(Default)]
struct Arming {
    /// The service entry, while armed (timers.rs S1).
    key: Option<Key>,
    period: Option<Duration>,
    /// (T2).
    generation: u64,
    /// The thread the routine runs on, while a routine is set.
    thread: Option<ThreadHandle>,
    /// The routine; `None` while it is running (on `thread`).
    routine: Option<Routine>,
    /// (T1): the fire time of the undelivered routine call.
    pending: Option<SystemTime>,
}

impl fmt::Debug for WaitableTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitableTimer")
            .field("reset", &self.inner.reset)
            .finish_non_exhaustive()
    }
}

impl WaitableTimer {
    /// Creates an unarmed, non-signaled timer.
    ///
    /// # Win32
    ///
    /// `CreateWaitableTimer(NULL, manual, NULL)`.
    pub fn new(reset: TimerReset) -> Self {
        Self {
            inner: Arc::new(TimerInner {
                reset,
                signaled: Locked::new(false),
                waiters: WaitList::new(),
                arm: StdMutex::new(Arming::default()),
            }),
        }
    }

    /// Arms the timer: it becomes signaled at `due`, then every `period` if one is given
    /// (counted from each due time, so it does not drift). Re-arming cancels the previous
    /// setting — its undelivered routine call too — and resets the signaled state
    /// (M142, as Windows does for both kinds). A zero period means no period.
    ///
    /// # Win32
    ///
    /// `SetWaitableTimer(h, due, period_ms, NULL, NULL, FALSE)`.
    pub fn set(&self, due: DueTime, period: Option<Duration>) {
        self.arm(due, period, None);
    }

    /// Like [`set`](Self::set), and each time the timer fires, `routine` is called with the
    /// wall-clock time at which it fired — as an APC on **the calling thread**, so only
    /// during that thread's alertable waits (any of them, not only waits on this timer,
    /// M140). At most one call is pending at a time: expiries while one is undelivered
    /// update its time instead of queueing more (M141). If the thread has exited, the
    /// timer still signals and the call is dropped (M145).
    ///
    /// # Win32
    ///
    /// `SetWaitableTimer(h, due, period_ms, routine, arg, FALSE)`; the routine's
    /// `dwTimerLowValue`/`dwTimerHighValue` become a `SystemTime`.
    pub fn set_with_routine<F>(&self, due: DueTime, period: Option<Duration>, routine: F)
    where
        F: FnMut(SystemTime) + Send + 'static,
    {
        self.arm(due, period, Some((crate::current(), Box::new(routine))));
    }

    fn arm(
        &self,
        due: DueTime,
        period: Option<Duration>,
        routine: Option<(ThreadHandle, Routine)>,
    ) {
        let deadline = match due {
            // Past the end of the clock: never.
            DueTime::After(after) => Instant::now().checked_add(after).map(Deadline::Monotonic),
            DueTime::At(at) => Some(Deadline::Wall(at)),
        };
        let mut arming = self.inner.lock_arming();
        arming.withdraw();
        let old = arming.forget_routine();
        (arming.thread, arming.routine) =
            routine.map(|(t, r)| (Some(t), Some(r))).unwrap_or_default();
        arming.period = period.filter(|p| !p.is_zero());
        {
            let mut lock = Dispatcher::lock();
            self.inner.signaled.with_mut(&mut lock, |s| *s = false);
        }
        arming.key = deadline.map(|d| timers::arm(d, Arc::downgrade(&self.inner)));
        drop(arming);
        // The old routine's captures may run any code when dropped: not under our lock.
        drop(old);
    }

    /// Stops the timer and drops its undelivered routine call; the signaled state stays as
    /// it is (M142).
    ///
    /// # Win32
    ///
    /// `CancelWaitableTimer`.
    pub fn cancel(&self) {
        let mut arming = self.inner.lock_arming();
        arming.withdraw();
        let old = arming.forget_routine();
        drop(arming);
        drop(old);
    }

    /// Whether the timer is signaled at this moment (a snapshot).
    pub fn is_signaled(&self) -> bool {
        let lock = Dispatcher::lock();
        self.inner.signaled.with(&lock, |s| *s)
    }
}

/// A routine taken out of a timer, to be dropped once the timer's lock is released.
type Forgotten = (Option<ThreadHandle>, Option<Routine>);

impl Arming {
    /// Forgets the routine, its thread and its undelivered call; the caller drops what
    /// this returns after releasing the lock, since dropping runs the routine's captures'
    /// destructors, which may use the timer.
    fn forget_routine(&mut self) -> Forgotten {
        self.pending = None;
        (self.thread.take(), self.routine.take())
    }

    /// Takes the timer out of the service and voids its undelivered call (T2).
    fn withdraw(&mut self) {
        if let Some(key) = self.key.take() {
            timers::disarm(key);
        }
        self.generation += 1;
        self.pending = None;
    }
}

impl TimerInner {
    fn lock_arming(&self) -> std::sync::MutexGuard<'_, Arming> {
        // Arming holds plain data; no user code runs under the lock.
        self.arm.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Called by the service thread when `key` is due.
    pub(crate) fn fire(self: Arc<Self>, key: Key) {
        let fired_at = SystemTime::now();
        let mut arming = self.lock_arming();
        if arming.key != Some(key) {
            return; // cancelled or re-armed since (timers.rs S1)
        }
        arming.key = arming
            .period
            .and_then(|period| key.deadline().next_period(period))
            .map(|next| timers::arm(next, Arc::downgrade(&self)));
        {
            let mut lock = Dispatcher::lock();
            self.signaled.with_mut(&mut lock, |s| *s = true);
            self.waiters.wake_waiters(&mut lock);
        }
        let Some(thread) = arming.thread.clone() else {
            return; // no routine
        };
        if thread.is_finished() {
            // The setting thread has exited, with or without a call undelivered: the
            // routine is dropped for good (M145).
            let old = arming.forget_routine();
            drop(arming);
            drop(old);
            return;
        }
        if arming.pending.replace(fired_at).is_some() {
            return; // a call is undelivered: it takes the new time (T1)
        }
        let generation = arming.generation;
        drop(arming);
        self.queue_routine(&thread, generation);
    }

    /// Queues the routine APC of `generation` to `thread`; if the thread has exited, the
    /// routine is dropped for good (M145).
    fn queue_routine(self: &Arc<Self>, thread: &ThreadHandle, generation: u64) {
        let timer = Arc::downgrade(self);
        let call = Apc::new_reporting(move || match timer.upgrade() {
            Some(timer) => timer.run_routine(generation),
            None => false,
        });
        if thread.push_apc(call).is_err() {
            let mut arming = self.lock_arming();
            if arming.generation == generation {
                let old = arming.forget_routine();
                drop(arming);
                drop(old);
            }
        }
    }

    /// The routine APC, on the setting thread: calls the routine with the latest fire time
    /// unless the call was voided (T2). Returns whether it called anything.
    fn run_routine(self: Arc<Self>, generation: u64) -> bool {
        let (fired_at, routine) = {
            let mut arming = self.lock_arming();
            if arming.generation != generation {
                return false;
            }
            // `None`: the routine is running further up this thread's stack (it waited
            // alertably); its return queues the call again (below).
            let Some(routine) = arming.routine.take() else {
                return false;
            };
            let Some(fired_at) = arming.pending.take() else {
                arming.routine = Some(routine);
                return false;
            };
            (fired_at, routine)
        };
        // Put the routine back even if it panics (unless the timer was set anew), and queue
        // the call again if the timer fired while it ran.
        struct Restore {
            timer: Arc<TimerInner>,
            generation: u64,
            routine: Option<Routine>,
        }
        impl Drop for Restore {
            fn drop(&mut self) {
                let mut arming = self.timer.lock_arming();
                if arming.generation != self.generation {
                    return;
                }
                arming.routine = self.routine.take();
                if arming.pending.is_some() {
                    if let Some(thread) = arming.thread.clone() {
                        drop(arming);
                        self.timer.queue_routine(&thread, self.generation);
                    }
                }
            }
        }
        let mut restore = Restore {
            timer: self,
            generation,
            routine: Some(routine),
        };
        if let Some(routine) = restore.routine.as_mut() {
            routine(fired_at);
        }
        true
    }
}

impl Drop for TimerInner {
    fn drop(&mut self) {
        // The last handle is gone: leave nothing behind in the service.
        let arming = self.arm.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(key) = arming.key.take() {
            timers::disarm(key);
        }
    }
}

impl Waitable for WaitableTimer {
    fn wait_list(&self) -> &WaitList {
        &self.inner.waiters
    }

    fn is_ready(&self, lock: &Dispatcher, _waiter: &ThreadHandle) -> bool {
        self.inner.signaled.with(lock, |s| *s)
    }

    fn acquire(&self, lock: &mut Dispatcher, _waiter: &ThreadHandle) -> Acquired {
        if self.inner.reset == TimerReset::Synchronization {
            self.inner.signaled.with_mut(lock, |s| *s = false);
        }
        Acquired::Normal
    }
}
