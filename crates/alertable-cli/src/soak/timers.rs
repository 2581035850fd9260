//! The `timers` workload: waitable timers armed, re-armed, cancelled and dropped while they
//! fire, with their routines running on the setter's thread.
//!
//! Each timer thread owns a few timers and, at random, arms one with a routine (one-shot or
//! periodic, relative or absolute), arms one without, cancels one, drops one (its last
//! handle), or waits alertably so that routines run. A canceller thread cancels the same
//! timers from outside. Every arming has a number; each cancel, re-arm or drop records,
//! once it has returned, that the armings up to the one it ended are void. A routine of a
//! void arming that starts after that is the race M142 forbids: cancelling (or setting
//! anew, or closing) a timer drops its undelivered routine call. A one-shot arming's
//! routine runs at most once, a periodic one's at most once per period elapsed (and one).
//!
//! A cancel from another thread cannot stop a routine call its thread has already taken
//! from its queue (nor can Windows': `CancelWaitableTimer` removes the APC only while it is
//! queued). So for those the routine counts as late only if it runs in an alertable wait
//! that *began* after the cancel returned — its call was then certainly still queued when
//! the cancel voided it. Each timer thread numbers its waits for this.
//!
//! Setters that exit are exercised too: a short-lived thread arms a timer with a routine
//! and exits, the timer fires afterwards, and the routine — which could only run on the
//! dead thread — never runs (M145).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use alertable::{Alertable, DueTime, TimerReset, WaitStatus, Waitable, WaitableTimer};

use super::{Counter, Rng, Soak};

const WORKLOAD: &str = "timers";

/// Timer threads, and timers per thread.
const THREADS: usize = 2;
const TIMERS: usize = 4;

/// One timer and the record of its armings.
struct Slot {
    name: String,
    /// The only handle of the timer, so that dropping it cancels the timer. Locked for
    /// every arm, cancel and drop, and never across a wait.
    timer: Mutex<WaitableTimer>,
    /// The number of the latest arming (under the lock).
    armed: AtomicU64,
    /// Armings up to this number are void: their routines must not start any more.
    void: AtomicU64,
    /// The latest voids, `(up to, by what)`, for the report.
    voids: Mutex<VecDeque<(u64, &'static str)>>,
    /// Void by a cancel on another thread: the arming it voided, and the number of
    /// alertable waits the timer's thread had begun when the cancel had returned.
    void_outside: Mutex<(u64, u64)>,
    /// The alertable waits its timer thread has begun (shared by its slots).
    waits: Arc<AtomicU64>,
    /// Counts the timers this slot has held: a drop replaces the timer.
    instance: AtomicU64,
}

impl Slot {
    fn new(name: String, waits: &Arc<AtomicU64>, rng: &mut Rng) -> Self {
        Self {
            name,
            timer: Mutex::new(new_timer(rng)),
            armed: AtomicU64::new(0),
            void: AtomicU64::new(0),
            voids: Mutex::new(VecDeque::new()),
            void_outside: Mutex::new((0, 0)),
            waits: Arc::clone(waits),
            instance: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, WaitableTimer> {
        self.timer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records, after `how` returned, that armings up to `upto` are void.
    fn void_upto(&self, upto: u64, how: &'static str) {
        {
            let mut voids = self.voids.lock().unwrap_or_else(PoisonError::into_inner);
            if voids.back().is_none_or(|&(last, _)| upto > last) {
                if voids.len() == 16 {
                    voids.pop_front();
                }
                voids.push_back((upto, how));
            }
        }
        self.void.fetch_max(upto, Ordering::Release);
    }

    /// What voided arming `epoch`, as far as the recent history tells.
    fn voided_by(&self, epoch: u64) -> &'static str {
        let voids = self.voids.lock().unwrap_or_else(PoisonError::into_inner);
        voids
            .iter()
            .find(|&&(upto, _)| upto >= epoch)
            .map_or("an earlier void", |&(_, how)| how)
    }
}

fn new_timer(rng: &mut Rng) -> WaitableTimer {
    WaitableTimer::new(if rng.percent(50) {
        TimerReset::Manual
    } else {
        TimerReset::Synchronization
    })
}

#[derive(Debug, Clone)]
struct Counters {
    routines: Counter,
    armed: Counter,
    cancels: Counter,
    drops: Counter,
    setters: Counter,
    /// Routines of armings that a cancel on another thread voided, run in the alertable
    /// wait during which that cancel returned: allowed (their call may have been taken
    /// from the queue before the cancel), and counted.
    overtaken: Counter,
}

pub(super) fn run(soak: &Arc<Soak>) {
    let counters = Counters {
        routines: soak.headline(WORKLOAD, "routines run"),
        armed: soak.counter(WORKLOAD, "armed"),
        cancels: soak.counter(WORKLOAD, "cancels"),
        drops: soak.counter(WORKLOAD, "drops"),
        setters: soak.counter(WORKLOAD, "setters exited"),
        overtaken: soak.counter(WORKLOAD, "routines already taken when a cancel returned"),
    };
    let mut rng = soak.rng(WORKLOAD, 0);
    let slots: Vec<Vec<Arc<Slot>>> = (0..THREADS)
        .map(|t| {
            let waits = Arc::new(AtomicU64::new(0));
            (0..TIMERS)
                .map(|i| Arc::new(Slot::new(format!("timer {t}.{i}"), &waits, &mut rng)))
                .collect()
        })
        .collect();
    let mut threads = Vec::new();
    for (t, own) in slots.iter().enumerate() {
        let (soak2, own, counters) = (Arc::clone(soak), own.clone(), counters.clone());
        threads.push(super::spawn(soak, WORKLOAD, move || {
            let mut rng = soak2.rng(WORKLOAD, 1 + t as u64);
            set_and_wait(&soak2, &own, &counters, &mut rng);
        }));
    }
    {
        let (soak2, all, counters) = (
            Arc::clone(soak),
            slots.iter().flatten().cloned().collect::<Vec<_>>(),
            counters.clone(),
        );
        threads.push(super::spawn(soak, WORKLOAD, move || {
            let mut rng = soak2.rng(WORKLOAD, 100);
            cancel_from_outside(&soak2, &all, &counters, &mut rng);
        }));
    }
    {
        let (soak2, counters) = (Arc::clone(soak), counters.clone());
        threads.push(super::spawn(soak, WORKLOAD, move || {
            let mut rng = soak2.rng(WORKLOAD, 200);
            setters_exit(&soak2, &counters, &mut rng);
        }));
    }
    for thread in threads {
        super::join_worker(soak, WORKLOAD, "a timer thread", thread);
    }
}

/// A random due time: relative or absolute, from now to 3 ms.
fn due(rng: &mut Rng) -> (DueTime, Duration) {
    let after = Duration::from_micros(rng.below(3000));
    if rng.percent(20) {
        (DueTime::At(SystemTime::now() + after), after)
    } else {
        (DueTime::After(after), after)
    }
}

/// A timer thread: arms, cancels, drops and waits, at random.
fn set_and_wait(soak: &Arc<Soak>, slots: &[Arc<Slot>], counters: &Counters, rng: &mut Rng) {
    let mut next_epoch = vec![0_u64; slots.len()];
    while soak.running() {
        let i = rng.index(slots.len());
        let slot = &slots[i];
        match rng.below(100) {
            0..=29 => {
                next_epoch[i] += 1;
                let epoch = next_epoch[i];
                let (due, after) = due(rng);
                let period = rng
                    .percent(30)
                    .then(|| Duration::from_micros(rng.between(500, 3000)));
                let relative = matches!(due, DueTime::After(_)).then_some(after);
                let routine = routine(soak, slot, epoch, relative, period, counters);
                let timer = slot.lock();
                timer.set_with_routine(due, period, routine);
                slot.armed.store(epoch, Ordering::Relaxed);
                drop(timer);
                // The new arming voids every earlier one (M142).
                slot.void_upto(epoch - 1, "set_with_routine on its setter's thread");
                counters.armed.inc();
            }
            30..=39 => {
                next_epoch[i] += 1;
                let epoch = next_epoch[i];
                let (due, _) = due(rng);
                let timer = slot.lock();
                timer.set(due, None);
                slot.armed.store(epoch, Ordering::Relaxed);
                drop(timer);
                slot.void_upto(epoch - 1, "set (without a routine) on its setter's thread");
                counters.armed.inc();
            }
            40..=54 => {
                let timer = slot.lock();
                let epoch = slot.armed.load(Ordering::Relaxed);
                timer.cancel();
                drop(timer);
                slot.void_upto(epoch, "cancel on its setter's thread");
                counters.cancels.inc();
            }
            55..=59 => {
                let mut timer = slot.lock();
                let epoch = slot.armed.load(Ordering::Relaxed);
                // The last handle: dropping it cancels the timer.
                drop(std::mem::replace(&mut *timer, new_timer(rng)));
                slot.instance.fetch_add(1, Ordering::Relaxed);
                drop(timer);
                slot.void_upto(epoch, "dropping the timer's last handle");
                counters.drops.inc();
            }
            60..=89 => {
                slots[0].waits.fetch_add(1, Ordering::SeqCst);
                let _ = alertable::sleep_ex(
                    Some(Duration::from_micros(rng.below(3000))),
                    Alertable::Yes,
                );
            }
            _ => {
                let timers: Vec<WaitableTimer> = slots.iter().map(|s| s.lock().clone()).collect();
                let objects: Vec<&dyn Waitable> =
                    timers.iter().map(|t| t as &dyn Waitable).collect();
                let timeout = Some(Duration::from_micros(rng.below(3000)));
                slots[0].waits.fetch_add(1, Ordering::SeqCst);
                match alertable::wait_any(&objects, timeout, Alertable::Yes) {
                    Ok(WaitStatus::Signaled(_) | WaitStatus::Alerted | WaitStatus::TimedOut) => {}
                    other => soak.violation(
                        WORKLOAD,
                        format_args!("an alertable wait on timers returned {other:?}"),
                    ),
                }
            }
        }
    }
    // Leave nothing armed: the routines would outlive the run.
    for slot in slots {
        let timer = slot.lock();
        let epoch = slot.armed.load(Ordering::Relaxed);
        timer.cancel();
        drop(timer);
        slot.void_upto(epoch, "the final cancel");
    }
    // A routine that slipped past the last cancel would run here.
    slots[0].waits.fetch_add(1, Ordering::SeqCst);
    let _ = alertable::sleep_ex(Some(Duration::from_millis(5)), Alertable::Yes);
}

/// The routine of arming `epoch` of `slot`: checks that the arming is not void, that it
/// does not run before the timer's relative due time (`after`), and that it does not run
/// more often than the timer fires.
fn routine(
    soak: &Arc<Soak>,
    slot: &Arc<Slot>,
    epoch: u64,
    after: Option<Duration>,
    period: Option<Duration>,
    counters: &Counters,
) -> impl FnMut(SystemTime) + Send + 'static {
    let (soak, slot, counter, overtaken) = (
        Arc::clone(soak),
        Arc::clone(slot),
        counters.routines.clone(),
        counters.overtaken.clone(),
    );
    let armed_at = Instant::now();
    let instance = slot.instance.load(Ordering::Relaxed);
    let mut runs = 0_u64;
    move |_fired: SystemTime| {
        let wait = slot.waits.load(Ordering::SeqCst);
        let (outside, outside_wait) = *slot
            .void_outside
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if epoch <= outside && wait == outside_wait {
            overtaken.inc();
        }
        if epoch <= outside && wait > outside_wait {
            soak.violation(
                WORKLOAD,
                format_args!(
                    "{}: the routine of arming #{epoch} ran in alertable wait #{wait} of its \
                     thread, which began after a cancel on another thread had returned \
                     (voiding armings up to #{outside} during wait #{outside_wait}) — cancel \
                     drops the undelivered routine call (M142)",
                    slot.name
                ),
            );
        }
        let void = slot.void.load(Ordering::Acquire);
        if epoch <= void {
            let how = if slot.instance.load(Ordering::Relaxed) != instance {
                "dropping the timer's last handle"
            } else {
                slot.voided_by(epoch)
            };
            soak.violation(
                WORKLOAD,
                format_args!(
                    "{}: the routine of arming #{epoch} ran after it was voided (armings up \
                     to #{void} void; this one by {how}, on the timer's thread) — cancel, a \
                     new set and the last drop drop the undelivered routine call (M142)",
                    slot.name
                ),
            );
        }
        if let Some(after) = after {
            if armed_at.elapsed() < after {
                soak.violation(
                    WORKLOAD,
                    format_args!(
                        "{}: the routine of arming #{epoch} ran {:?} after the set, before its \
                         due time of {after:?} (M140)",
                        slot.name,
                        armed_at.elapsed()
                    ),
                );
            }
        }
        runs += 1;
        let most = match period {
            None => 1,
            Some(period) => (armed_at.elapsed().as_nanos() / period.as_nanos().max(1)) as u64 + 2,
        };
        if runs > most {
            soak.violation(
                WORKLOAD,
                format_args!(
                    "{}: the routine of arming #{epoch} (period {period:?}) ran {runs} times in \
                     {:?}, more than the timer can have fired (M141)",
                    slot.name,
                    armed_at.elapsed()
                ),
            );
        }
        counter.inc();
    }
}

/// Cancels the timer threads' timers from another thread.
fn cancel_from_outside(soak: &Soak, slots: &[Arc<Slot>], counters: &Counters, rng: &mut Rng) {
    while soak.running() {
        let slot = &slots[rng.index(slots.len())];
        let timer = slot.lock();
        let epoch = slot.armed.load(Ordering::Relaxed);
        timer.cancel();
        drop(timer);
        // The cancel has returned: every wait that begins from now on finds the call void.
        let wait = slot.waits.load(Ordering::SeqCst);
        {
            let mut outside = slot
                .void_outside
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if epoch > outside.0 {
                *outside = (epoch, wait);
            }
        }
        counters.cancels.inc();
        std::thread::sleep(Duration::from_micros(rng.below(2000)));
    }
}

/// Threads that arm a timer with a routine and exit; the timer fires after they are gone.
fn setters_exit(soak: &Arc<Soak>, counters: &Counters, rng: &mut Rng) {
    while soak.running() {
        let timer = new_timer(rng);
        let exited = Arc::new(AtomicBool::new(false));
        let (due, after) = due(rng);
        let period = rng.percent(30).then(|| Duration::from_millis(1));
        let wait_first = rng.percent(30);
        let setter = {
            let (soak, timer, exited) = (Arc::clone(soak), timer.clone(), Arc::clone(&exited));
            alertable::spawn(move || {
                let exited2 = Arc::clone(&exited);
                let soak2 = Arc::clone(&soak);
                timer.set_with_routine(due, period, move |_| {
                    if exited2.load(Ordering::Relaxed) {
                        soak2.violation(
                            WORKLOAD,
                            "a timer routine ran after its setter exited (M145)",
                        );
                    }
                });
                if wait_first {
                    // The routine may run here, on its thread, before it exits.
                    let _ = alertable::sleep_ex(Some(Duration::from_millis(1)), Alertable::Yes);
                }
                exited.store(true, Ordering::Relaxed);
            })
        };
        match setter {
            Ok(setter) => {
                super::join(soak, WORKLOAD, "a timer's setter", setter);
            }
            Err(error) => {
                soak.violation(WORKLOAD, format_args!("cannot spawn a setter: {error}"));
                return;
            }
        }
        counters.setters.inc();
        // Let the timer fire (or not) with its setter gone, then drop it.
        let _ = alertable::wait_one(
            &timer,
            Some(after + Duration::from_millis(2)),
            Alertable::No,
        );
        drop(timer);
    }
}
