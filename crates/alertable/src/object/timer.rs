//! Waitable timers: manual-reset or synchronization, relative or absolute due times, an
//! optional period, and an optional completion routine delivered as an APC.
//!
//! The timer's own lock (`arm`) guards its arming state; the service (`timers.rs`) holds
//! a weak reference keyed by deadline. Firing happens on the service thread: under the
//! timer's lock it checks that the fired key is still the armed one (a cancel or re-arm in
//! between wins, S3), re-arms a periodic timer, signals the object through the dispatcher,
//! and queues the routine to the setting thread unless a call is already undelivered.
//!
//! # The routine call
//!
//! A setting with a routine goes through these states, each read and changed only under
//! the timer's lock:
//!
//! | state       | `pending` | `routine` | next                                           |
//! |-------------|-----------|-----------|------------------------------------------------|
//! | idle        | `None`    | `Some`    | an expiry stores its time, queues the APC      |
//! | undelivered | `Some(t)` | `Some`    | the APC *claims* the call: takes both, runs it |
//! | running     | any       | `None`    | the call returns: the routine is put back, and an expiry meanwhile queues the APC again |
//!
//! `cancel`, re-arming, dropping the last handle and the setting thread's exit all end
//! the setting the same way: they bump `generation`, clear `pending`, take the routine and
//! its thread out, and take the timer out of the service.
//!
//! - (T1) At most one undelivered call per timer: an expiry finding `pending` set changes
//!   nothing, so the call carries the fire time of the first undelivered expiry (M141, as
//!   on Windows, where the timer's one APC object cannot be queued twice).
//! - (T2) Every `set`, `set_with_routine` and cancellation bumps `generation`; a routine APC
//!   of an older generation does nothing and does not count as a delivered APC (M142).
//! - (T3) A call is delivered when the APC claims it: the claim checks the generation and
//!   takes `pending` and the routine in one hold of the lock. A cancellation whose lock
//!   hold comes first voids the call, so after `cancel` returns no call of the cancelled
//!   setting is claimed. One claimed before it still runs, on its thread, possibly after
//!   `cancel` has returned on another thread: the claim is the point of no return, as the
//!   dequeue of the APC is on Windows (its kernel routine checks the timer under the
//!   timer's lock, and the user routine runs afterwards, unlocked).
//! - (T4) Only the claiming APC runs the routine, and it puts it back only into the same
//!   generation; a cancellation while it runs leaves the routine with that call, which
//!   drops it on its thread when it returns.
//! - (T5) A timer armed with a routine is cancelled when its setting thread exits (M145):
//!   the thread's context lists the timers it armed with a routine ([`SetTimers`]) and its
//!   exit cancels those whose routine is still its own. A firing that finds the setting
//!   thread exited cancels instead of signaling — for a thread whose exit has not reached
//!   the timer yet, or one that set it during its thread-local teardown.
//! - (T6) `handles` counts the `WaitableTimer` values; the last one dropped cancels the
//!   timer, as closing its last handle does on Windows. The service's and the routine
//!   APC's references do not count, so a firing under way when the last handle goes
//!   cannot deliver a call afterwards.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex as StdMutex, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime};

use crate::dispatch::{Acquired, Dispatcher, Locked, WaitList, Waitable};
use crate::queue::Apc;
#[cfg(not(loom))]
use crate::shared::{self, Init, Kind, NameError, Opened, Proxy};
use crate::sync::{AtomicUsize, Ordering};
use crate::thread::{ThreadHandle, with_current};
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
/// Dropping the last clone cancels the timer, as closing its last handle does; clones are
/// duplicated handles.
pub struct WaitableTimer {
    inner: Arc<TimerInner>,
}

/// The shared state of a timer.
pub(crate) struct TimerInner {
    reset: TimerReset,
    signaled: Locked<bool>,
    waiters: WaitList,
    arm: StdMutex<Arming>,
    /// How many `WaitableTimer` values exist (T6).
    handles: AtomicUsize,
    /// The shared state of a named timer (shared/mod.rs): its signal and due time live
    /// there, so waiters in any process see it fire; the setting (service entry, routine)
    /// stays with the setting process.
    #[cfg(not(loom))]
    shared: Option<Arc<Proxy>>,
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

impl Clone for WaitableTimer {
    fn clone(&self) -> Self {
        // A new handle is made from an existing one, which keeps the count above zero.
        self.inner.handles.fetch_add(1, Ordering::Relaxed);
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl Drop for WaitableTimer {
    fn drop(&mut self) {
        // (T6) The last handle cancels. AcqRel: the handle that sees 1 comes after every
        // other handle's last use.
        if self.inner.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            // A named timer lives on while other processes hold handles: only this
            // process's setting ends, and its reference with this handle, even if the
            // timer service still holds the timer for a moment (X9).
            #[cfg(not(loom))]
            if let Some(shared) = &self.inner.shared {
                self.inner.end_setting(|_| true);
                return shared.close_handle();
            }
            self.cancel();
        }
    }
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
                handles: AtomicUsize::new(1),
                #[cfg(not(loom))]
                shared: None,
            }),
        }
    }

    /// Creates the waitable timer called `name`, shared with every process of the user, or
    /// opens it if it exists (then `reset` is ignored). Names work as for
    /// [`Event::create_named`](crate::Event::create_named).
    ///
    /// A setting made in one process signals waiters in all of them at its due time, even
    /// if the setting process has exited meanwhile; due times are on the monotonic clock
    /// (a [`DueTime::At`] is converted when the timer is set). A completion routine runs on
    /// the setting thread, as for an unnamed timer.
    ///
    /// # Errors
    ///
    /// The name and namespace errors of `Event::create_named`.
    ///
    /// # Win32
    ///
    /// `CreateWaitableTimer(NULL, manual, name)`.
    #[cfg(not(loom))]
    pub fn create_named(name: &str, reset: TimerReset) -> Result<Opened<Self>, NameError> {
        let kind = match reset {
            TimerReset::Manual => Kind::ManualTimer,
            TimerReset::Synchronization => Kind::AutoTimer,
        };
        let init = Init {
            kind,
            signal: 0,
            maximum: 1,
        };
        Ok(shared::create_or_open(name, kind, Some(init))?.map(Self::from_proxy))
    }

    /// Opens the existing waitable timer called `name`.
    ///
    /// # Errors
    ///
    /// [`NameError::NotFound`] (2), [`NameError::WrongType`] (6), and the name errors of
    /// [`Event::create_named`](crate::Event::create_named).
    ///
    /// # Win32
    ///
    /// `OpenWaitableTimer(TIMER_ALL_ACCESS, FALSE, name)`.
    #[cfg(not(loom))]
    pub fn open(name: &str) -> Result<Self, NameError> {
        Ok(Self::from_proxy(
            shared::create_or_open(name, Kind::ManualTimer, None)?.into_inner(),
        ))
    }

    #[cfg(not(loom))]
    fn from_proxy(proxy: Arc<Proxy>) -> Self {
        let reset = match proxy.kind() {
            Kind::AutoTimer => TimerReset::Synchronization,
            _ => TimerReset::Manual,
        };
        Self {
            inner: Arc::new(TimerInner {
                reset,
                signaled: Locked::new(false),
                waiters: WaitList::new(),
                arm: StdMutex::new(Arming::default()),
                handles: AtomicUsize::new(1),
                shared: Some(proxy),
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
    /// change nothing, so the call gets the fire time of the first of them (M141).
    ///
    /// When the calling thread exits, the timer is cancelled as by [`cancel`](Self::cancel),
    /// unless it was set again meanwhile: an undelivered call is dropped with the routine,
    /// a timer that has not fired yet never becomes signaled by this setting, and one that
    /// has keeps its signaled state (M145).
    ///
    /// # Win32
    ///
    /// `SetWaitableTimer(h, due, period_ms, routine, arg, FALSE)`; the routine's
    /// `dwTimerLowValue`/`dwTimerHighValue` become a `SystemTime`.
    pub fn set_with_routine<F>(&self, due: DueTime, period: Option<Duration>, routine: F)
    where
        F: FnMut(SystemTime) + Send + 'static,
    {
        // (T5) The thread remembers the timer, so that its exit can cancel it.
        let thread = with_current(|cx| {
            cx.set_timers().add(&self.inner);
            cx.handle()
        });
        self.arm(due, period, Some((thread, Box::new(routine))));
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
        let old = arming.cancel();
        {
            let mut lock = Dispatcher::lock();
            #[cfg(not(loom))]
            if let Some(shared) = &self.inner.shared {
                let now = crate::sys::shm::monotonic_ns();
                let after = match due {
                    DueTime::After(after) => Some(after),
                    DueTime::At(at) => {
                        Some(at.duration_since(SystemTime::now()).unwrap_or_default())
                    }
                };
                let due_ns = after
                    .and_then(|a| u64::try_from(a.as_nanos()).ok())
                    .and_then(|a| now.checked_add(a))
                    .unwrap_or(u64::MAX);
                let period_ns = period
                    .and_then(|p| u64::try_from(p.as_nanos()).ok())
                    .unwrap_or(0);
                shared.timer_set(&mut lock, due_ns, period_ns);
            }
            self.inner.signaled.with_mut(&mut lock, |s| *s = false);
        }
        let mut refused = None;
        if routine
            .as_ref()
            .is_some_and(|(thread, _)| thread.is_finished())
        {
            // Set during the thread's thread-local teardown, after its exit: the setting
            // ends at once (T5).
            refused = routine;
        } else {
            (arming.thread, arming.routine) =
                routine.map(|(t, r)| (Some(t), Some(r))).unwrap_or_default();
            arming.period = period.filter(|p| !p.is_zero());
            arming.key = deadline.map(|d| timers::arm(d, Arc::downgrade(&self.inner)));
        }
        drop(arming);
        // The old routine's captures may run any code when dropped: not under our lock.
        drop(old);
        drop(refused);
    }

    /// Stops the timer and drops its undelivered routine call; the signaled state stays as
    /// it is (M142).
    ///
    /// # Win32
    ///
    /// `CancelWaitableTimer`.
    pub fn cancel(&self) {
        self.inner.cancel_if(|_| true);
    }

    /// Whether the timer is signaled at this moment (a snapshot).
    pub fn is_signaled(&self) -> bool {
        let lock = Dispatcher::lock();
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            return shared.is_ready(&lock, &crate::current());
        }
        self.inner.signaled.with(&lock, |s| *s)
    }
}

/// A routine taken out of a timer, to be dropped once the timer's lock is released.
type Forgotten = (Option<ThreadHandle>, Option<Routine>);

impl Arming {
    /// Ends the setting: takes the timer out of the service, voids its undelivered call
    /// (T2) and forgets the routine and its thread. The caller drops what this returns
    /// after releasing the lock, since dropping runs the routine's captures' destructors,
    /// which may use the timer.
    fn cancel(&mut self) -> Forgotten {
        if let Some(key) = self.key.take() {
            timers::disarm(key);
        }
        self.generation += 1;
        self.pending = None;
        self.period = None;
        (self.thread.take(), self.routine.take())
    }
}

/// The timers a thread has armed with a completion routine, which its exit cancels (T5).
///
/// Kept in the thread's context and touched only on that thread. An entry stays until
/// the thread exits, even if the timer was cancelled or set by another thread since (the
/// exit then leaves it alone), but only once per timer: a weak reference keeps its
/// allocation, so the address is a unique key while the entry exists. Entries of dropped
/// timers are pruned whenever the list has doubled since the last pruning.
#[derive(Default)]
pub(crate) struct SetTimers {
    timers: RefCell<HashMap<usize, Weak<TimerInner>>>,
    /// How many entries the last pruning left.
    pruned: Cell<usize>,
}

impl SetTimers {
    /// Remembers `timer`.
    fn add(&self, timer: &Arc<TimerInner>) {
        let mut timers = self.timers.borrow_mut();
        let address = Arc::as_ptr(timer) as usize;
        timers
            .entry(address)
            .or_insert_with(|| Arc::downgrade(timer));
        if timers.len() >= 2 * self.pruned.get().max(8) {
            timers.retain(|_, timer| timer.strong_count() > 0);
            self.pruned.set(timers.len());
        }
    }

    /// Cancels every listed timer whose routine runs on `thread`, the exiting owner of
    /// this list, and empties the list. Dropping the routines runs their captures'
    /// destructors, which may arm timers again: those are listed anew and cancelled too.
    pub(crate) fn cancel_all(&self, thread: &ThreadHandle) {
        loop {
            let timers = std::mem::take(&mut *self.timers.borrow_mut());
            if timers.is_empty() {
                return;
            }
            self.pruned.set(0);
            for timer in timers.into_values().filter_map(|timer| timer.upgrade()) {
                timer.cancel_if(|arming| arming.thread.as_ref() == Some(thread));
            }
        }
    }
}

impl TimerInner {
    fn lock_arming(&self) -> std::sync::MutexGuard<'_, Arming> {
        // Arming holds plain data; no user code runs under the lock.
        self.arm.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Cancels the timer if `which` says so of its current setting, and drops the routine
    /// after releasing the lock. A named timer stops in every process.
    fn cancel_if(&self, which: impl FnOnce(&Arming) -> bool) {
        let mut arming = self.lock_arming();
        if !which(&arming) {
            return;
        }
        let old = arming.cancel();
        #[cfg(not(loom))]
        if let Some(shared) = &self.shared {
            shared.timer_cancel(&Dispatcher::lock());
        }
        drop(arming);
        drop(old);
    }

    /// Ends this process's setting of the timer (its service entry and routine), leaving
    /// a named timer's shared due time to the other processes.
    #[cfg(not(loom))]
    fn end_setting(&self, which: impl FnOnce(&Arming) -> bool) {
        let mut arming = self.lock_arming();
        if !which(&arming) {
            return;
        }
        let old = arming.cancel();
        drop(arming);
        drop(old);
    }

    /// Called by the service thread when `key` is due.
    pub(crate) fn fire(self: Arc<Self>, key: Key) {
        let fired_at = SystemTime::now();
        let mut arming = self.lock_arming();
        if arming.key != Some(key) {
            return; // cancelled or re-armed since (timers.rs S3)
        }
        if arming
            .thread
            .as_ref()
            .is_some_and(ThreadHandle::is_finished)
        {
            // (T5) The setting thread has exited and its exit has not reached this timer
            // yet: the setting ends here, without signaling.
            let old = arming.cancel();
            drop(arming);
            drop(old);
            return;
        }
        arming.key = arming
            .period
            .and_then(|period| key.deadline().next_period(period))
            .map(|next| timers::arm(next, Arc::downgrade(&self)));
        // Registered waits this satisfies are told once the timer's lock is released too,
        // so that they may set the timer again (dispatch.rs W6).
        let mut lock = Dispatcher::lock();
        #[cfg(not(loom))]
        if let Some(shared) = &self.shared {
            shared.timer_fire(&mut lock);
        }
        self.signaled.with_mut(&mut lock, |s| *s = true);
        self.waiters.wake_waiters(&mut lock);
        let routine = arming.thread.clone().filter(|_| arming.pending.is_none());
        let Some(thread) = routine else {
            // No routine to queue (none, or a call is undelivered: it keeps its time, T1).
            // This thread's hold on the timer ends before the dispatcher lock does, so a
            // waiter it released cannot close the last handle and still find the timer
            // (a named one by its name) alive: were this the last hold, the timer is
            // dropped under the lock, which defers what must not run there.
            drop(arming);
            drop(self);
            drop(lock.into_notifications());
            return;
        };
        let lock = lock.into_notifications();
        arming.pending = Some(fired_at);
        let generation = arming.generation;
        drop(arming);
        drop(lock);
        self.queue_routine(&thread, generation);
    }

    /// Queues the routine APC of `generation` to `thread`; if the thread is exiting (its
    /// queue is closed), the setting ends as its exit would end it (T5).
    fn queue_routine(self: &Arc<Self>, thread: &ThreadHandle, generation: u64) {
        let timer = Arc::downgrade(self);
        let call = Apc::new_reporting(move || match timer.upgrade() {
            Some(timer) => timer.run_routine(generation),
            None => false,
        });
        if thread.push_apc(call).is_err() {
            self.cancel_if(|arming| arming.generation == generation);
        }
    }

    /// The routine APC, on the setting thread: claims the call and runs the routine with
    /// its fire time, unless the call was voided (T2, T3). Returns whether it called
    /// anything.
    fn run_routine(self: Arc<Self>, generation: u64) -> bool {
        // (T3) The claim: one hold of the lock.
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
        #[cfg(all(test, not(loom)))]
        tests::claimed();
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
        // The last reference is gone; the last handle cancelled the timer already (T6),
        // and this keeps the service clean whatever the path.
        let arming = self.arm.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(key) = arming.key.take() {
            timers::disarm(key);
        }
    }
}

impl Waitable for WaitableTimer {
    fn wait_list(&self) -> &WaitList {
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            return shared.wait_list();
        }
        &self.inner.waiters
    }

    #[cfg(not(loom))]
    fn shared_index(&self) -> Option<u32> {
        self.inner
            .shared
            .as_ref()
            .filter(|s| !s.released())
            .map(|s| s.index())
    }

    fn is_ready(&self, lock: &Dispatcher, waiter: &ThreadHandle) -> bool {
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            return shared.is_ready(lock, waiter);
        }
        let _ = waiter;
        self.inner.signaled.with(lock, |s| *s)
    }

    fn acquire(&self, lock: &mut Dispatcher, waiter: &ThreadHandle) -> Acquired {
        #[cfg(not(loom))]
        if let Some(shared) = &self.inner.shared {
            return shared.acquire(lock, waiter).0;
        }
        let _ = waiter;
        if self.inner.reset == TimerReset::Synchronization {
            self.inner.signaled.with_mut(lock, |s| *s = false);
        }
        Acquired::Normal
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::mpsc;

    use super::*;
    use crate::{Alertable, SleepStatus, sleep_ex};

    thread_local! {
        /// Run by the routine APC between its claim and the routine call (T3).
        static CLAIMED: Cell<Option<Box<dyn FnOnce()>>> = const { Cell::new(None) };
    }

    pub(super) fn claimed() {
        if let Some(hook) = CLAIMED.take() {
            hook();
        }
    }

    /// Arms `timer` with a routine that logs its calls and reports when it is dropped;
    /// takes its entry out of the service again and returns the key, as the service does
    /// when the deadline comes; the test then plays the service thread with `fire`.
    fn armed(
        timer: &WaitableTimer,
        log: &Arc<StdMutex<Vec<&'static str>>>,
    ) -> (Key, mpsc::Receiver<()>) {
        struct Dropped(mpsc::Sender<()>);
        impl Drop for Dropped {
            fn drop(&mut self) {
                let _ = self.0.send(());
            }
        }
        let (tx, dropped) = mpsc::channel();
        let guard = Dropped(tx);
        let log = log.clone();
        let _counts = timers::tests::counts_serial();
        timer.set_with_routine(DueTime::After(Duration::from_secs(3600)), None, move |_| {
            let _ = &guard;
            log.lock().unwrap().push("call");
        });
        let key = timer.inner.lock_arming().key.expect("armed");
        timers::disarm(key);
        (key, dropped)
    }

    /// (T6) The last handle dropped while the service thread is firing the timer — it
    /// holds a reference meanwhile — cancels the timer: the call that firing queued is
    /// void, the routine is dropped with the handle, and the next alertable wait runs
    /// nothing.
    #[test]
    fn last_handle_dropped_during_a_firing_voids_its_call() {
        let log = Arc::default();
        let timer = WaitableTimer::new(TimerReset::Manual);
        let (key, dropped) = armed(&timer, &log);
        let service = timer.inner.clone();
        service.clone().fire(key); // queues the call to this thread
        drop(timer);
        assert!(
            dropped.try_recv().is_ok(),
            "the routine outlived the last handle"
        );
        assert_eq!(
            sleep_ex(Some(Duration::ZERO), Alertable::Yes),
            SleepStatus::Elapsed
        );
        assert!(log.lock().unwrap().is_empty(), "the routine ran");
        drop(service);
    }

    /// (T3) A call claimed before `cancel` runs, even if `cancel` returns on another
    /// thread before the routine is entered: `cancel` does not wait for it. The routine is
    /// dropped when that call returns, and no other call comes.
    #[test]
    fn a_call_claimed_before_cancel_runs_once_and_cancel_does_not_wait() {
        let log: Arc<StdMutex<Vec<&'static str>>> = Arc::default();
        let timer = WaitableTimer::new(TimerReset::Manual);
        let (key, dropped) = armed(&timer, &log);
        timer.inner.clone().fire(key);
        let hook = {
            let (timer, log) = (timer.clone(), log.clone());
            move || {
                let canceller = std::thread::spawn(move || {
                    timer.cancel();
                    log.lock().unwrap().push("cancel returned");
                });
                canceller.join().unwrap();
            }
        };
        CLAIMED.set(Some(Box::new(hook)));
        assert_eq!(
            sleep_ex(Some(Duration::ZERO), Alertable::Yes),
            SleepStatus::Alerted
        );
        assert_eq!(*log.lock().unwrap(), ["cancel returned", "call"]);
        assert!(dropped.try_recv().is_ok(), "the cancelled routine was kept");
        timer.inner.clone().fire(key); // a stale key: nothing
        assert_eq!(
            sleep_ex(Some(Duration::ZERO), Alertable::Yes),
            SleepStatus::Elapsed
        );
        assert_eq!(log.lock().unwrap().len(), 2);
    }

    /// (T3) A call queued but not yet claimed when another thread cancels never runs.
    #[test]
    fn a_call_cancelled_by_another_thread_before_its_claim_never_runs() {
        let log = Arc::default();
        let timer = WaitableTimer::new(TimerReset::Manual);
        let (key, dropped) = armed(&timer, &log);
        timer.inner.clone().fire(key);
        let other = timer.clone();
        std::thread::spawn(move || other.cancel()).join().unwrap();
        assert!(dropped.try_recv().is_ok());
        assert_eq!(
            sleep_ex(Some(Duration::ZERO), Alertable::Yes),
            SleepStatus::Elapsed
        );
        assert!(log.lock().unwrap().is_empty());
    }
}
