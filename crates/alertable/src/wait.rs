//! Waiting: [`sleep_ex`], [`test_alert`], and waits on objects: [`wait_one`],
//! [`wait_any`], [`wait_all`], [`signal_and_wait`].
//!
//! An *alertable* wait is where APCs run. It first runs every APC already queued — FIFO,
//! including APCs those APCs queue — and returns at once if there were any; otherwise it
//! spins briefly (unless its wait hook has descriptors to sleep on), then sleeps until an
//! APC arrives or the timeout passes. A non-alertable
//! wait never runs APCs; they stay queued for the next alertable one (B19).

use std::cell::Cell;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::SyncError;
use crate::dispatch::{self, Outcome, Signal, WaitKind, Waitable};
use crate::notifier;
use crate::parker::Parker;
use crate::sys;
use crate::thread::{ApcWait, Context, with_current};

/// Whether a wait runs APCs.
///
/// # Win32
///
/// The `bAlertable` argument of `SleepEx` and the `*Ex` wait functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alertable {
    /// Run queued APCs, and return early when one arrives.
    Yes,
    /// Ignore APCs; they stay queued.
    No,
}

/// How [`sleep_ex`] ended.
///
/// # Win32
///
/// The return value of `SleepEx`: see [`as_win32`](Self::as_win32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SleepStatus {
    /// The timeout elapsed and no APC ran. Win32: `0`.
    Elapsed,
    /// One or more APCs ran, and the sleep ended early. Win32: `WAIT_IO_COMPLETION` (192).
    Alerted,
    /// The thread was alerted ([`alert_thread`](crate::alert_thread)): the sleep ended early
    /// and no APC ran. NT: `STATUS_ALERTED` (0x101), what `NtDelayExecution` returns; Win32's
    /// `SleepEx` never reports it (it sleeps on, see [`as_win32`](Self::as_win32)).
    ThreadAlerted,
}

impl SleepStatus {
    /// The value Win32's `SleepEx` returns for this outcome: 0 or 192; for
    /// [`ThreadAlerted`](Self::ThreadAlerted), `STATUS_ALERTED` (0x101), the status of the
    /// NT call beneath (`SleepEx` itself restarts its sleep after an alert).
    pub fn as_win32(self) -> u32 {
        match self {
            Self::Elapsed => 0,
            Self::Alerted => 192,
            Self::ThreadAlerted => 0x101,
        }
    }
}

/// Suspends the calling thread for `timeout` (`None`: forever), running APCs if
/// `alertable` is [`Alertable::Yes`].
///
/// An alertable sleep with APCs pending runs all of them — FIFO, including those queued
/// while they run — and returns [`SleepStatus::Alerted`] without sleeping (B17, B23, B24);
/// `sleep_ex(Some(Duration::ZERO), Alertable::Yes)` is therefore the "run my APCs now"
/// idiom (B32). Otherwise it sleeps until an APC is queued (then runs the pending APCs and
/// returns `Alerted`, B20) or the timeout elapses (`Elapsed`, measured on the monotonic
/// clock, never early). A non-alertable sleep ignores APCs (B19).
///
/// An APC may call `sleep_ex` itself; pending APCs then run in the nested call (B26).
///
/// # Examples
///
/// ```
/// use alertable::{Alertable, SleepStatus, sleep_ex};
/// use std::time::Duration;
///
/// let me = alertable::current();
/// me.queue_apc(|| println!("first")).unwrap();
/// me.queue_apc(|| println!("second")).unwrap();
/// // Not alertable: the APCs stay queued.
/// assert_eq!(sleep_ex(Some(Duration::from_millis(1)), Alertable::No), SleepStatus::Elapsed);
/// // Alertable: both run, in order, and the sleep ends at once.
/// let status = sleep_ex(None, Alertable::Yes);
/// assert_eq!(status.as_win32(), 192);
/// ```
///
/// # Panics
///
/// A panic in an APC unwinds out of `sleep_ex`; the APCs queued behind it stay queued and
/// run at the next alertable wait.
///
/// # Win32
///
/// `SleepEx(dwMilliseconds, bAlertable)`, with `None` for `INFINITE`.
pub fn sleep_ex(timeout: Option<Duration>, alertable: Alertable) -> SleepStatus {
    let deadline = deadline_after(timeout);
    match alertable {
        Alertable::Yes => with_current(|ctx| sleep_alertable(ctx, timeout, deadline)),
        Alertable::No if timeout == Some(Duration::ZERO) => {
            // Win32's Sleep(0): give up the time slice.
            sys::yield_now();
            SleepStatus::Elapsed
        }
        Alertable::No => {
            with_current(|ctx| ctx.blocking(|| sleep_plain(deadline)));
            SleepStatus::Elapsed
        }
    }
}

fn sleep_alertable(
    ctx: &Context,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
) -> SleepStatus {
    // An alert beats APCs (B41): it ends the sleep and leaves them queued.
    if ctx.take_alert() {
        return SleepStatus::ThreadAlerted;
    }
    // `drain` reports only APCs that did something (a cancelled timer routine does not),
    // so the loop goes on waiting after one that did not.
    if ctx.drain() {
        return SleepStatus::Alerted;
    }
    if timeout == Some(Duration::ZERO) {
        return SleepStatus::Elapsed;
    }
    // A thread whose wait hook lists descriptors watches them in its park (wait_hook.rs).
    let mut spin = !crate::wait_hook::watches_descriptors();
    loop {
        let outcome = if std::mem::take(&mut spin) && spin_for_apcs(ctx) {
            ApcWait::Pending
        } else {
            measured(ctx, || ctx.park_for_apcs(deadline))
        };
        if ctx.take_alert() {
            return SleepStatus::ThreadAlerted;
        }
        match outcome {
            ApcWait::Pending => {
                if ctx.drain() {
                    return SleepStatus::Alerted;
                }
            }
            ApcWait::TimedOut => return SleepStatus::Elapsed,
            ApcWait::Closed => {
                // Thread-local teardown: no APC can arrive, so this is a plain sleep.
                sleep_plain(deadline);
                return SleepStatus::Elapsed;
            }
        }
    }
}

/// Watches the queue for a short, bounded while before the thread goes to sleep (see
/// [`watch_before_sleeping`]).
#[inline]
fn spin_for_apcs(ctx: &Context) -> bool {
    if cfg!(loom) {
        return false;
    }
    // The head slot only: polling the tail word would drag the producers' line over to
    // this core on every push. A published thread also watches its mailbox's tail, which
    // only remote producers write.
    watch(ctx, &|| ctx.head_written() || ctx.remote_pending()) || ctx.has_pending()
}

/// Runs `sleep`, a wait of `ctx`'s thread, and records whether its sleep was long (see
/// [`watch_before_sleeping`]; slice.rs). What counts is the time from the first sleep in
/// one of the library's parks inside `sleep` to its end; a wait that never parked counts
/// as a short sleep and leaves the slice's record alone.
pub(crate) fn measured<R>(ctx: &Context, sleep: impl FnOnce() -> R) -> R {
    let (result, slept_at) = ctx.measuring(sleep);
    let yielded_long = ctx.take_yielded_long();
    match slept_at {
        // It never slept: it ended in a watch, or found what it waited for. Short —
        // unless a yield of its watch lost the CPU to others for as long as a long sleep:
        // yielding again before the next sleep would only do the same.
        None => ctx.set_yields_before_sleeping(!yielded_long),
        Some(asleep) => {
            let woke = Instant::now();
            let long = woke.saturating_duration_since(asleep) >= SHORT_SLEEP;
            // A park after a long yield may end at once (its deadline passed meanwhile).
            ctx.set_yields_before_sleeping(!long && !yielded_long);
            ctx.slice().after_sleep(woke, long);
        }
    }
    result
}

/// A sleep shorter than this counts as short: the thread is trading work with a busy
/// partner, not idle (see [`watch_before_sleeping`]).
const SHORT_SLEEP: Duration = Duration::from_micros(100);

/// Watches `ready` for a short, bounded while before the calling thread goes to sleep
/// waiting for it; returns whether it became true. A hand-off between running threads
/// costs well under a microsecond, a futex wake-up several microseconds (tens on virtual
/// machines), so an alertable wait, and a completion port's getter, look for a moment
/// first: a spin of at most 10 µs; then, unless the thread's last sleep was long, up to
/// four yields (a few microseconds more).
///
/// Where a look is a load (the futex waits), the spin looks after every four pauses for
/// its first 128: measured by `alertable bench ping-pong`, three alternating pairs, 237–247
/// ns per round trip against 267–283 ns with the looks after 1, 2, 4, … 64 pauses
/// (crossbeam-channel 362–396 ns in the same runs); a hand-off caught at the look after
/// 32 pauses instead of 15 waited the difference.
///
/// The spin must outlast a wake-up. On a virtual machine whose CPUs are otherwise idle, a
/// futex wake-up of a thread whose virtual CPU halted takes 15–40 µs (the host has to run
/// that CPU again). A watch shorter than that never sees the answer of a partner that was
/// asleep, both sides then always sleep, and every hand-off pays the slow wake-up: measured
/// by `alertable bench ping-pong` on an idle 2-vCPU machine, 26.6 µs per round trip with a
/// spin of about a microsecond, 0.49 µs with 10 µs (kanal 0.65, crossbeam-channel 3.6, the
/// raw futex 7.9 in the same runs). Once one side catches the answer while spinning, it
/// answers at once, the other side is still watching, and both stay in the fast regime.
///
/// Watching pays only while the awaited thread runs at the same time. Where it does not —
/// more runnable threads than CPUs, two threads the scheduler keeps on one CPU, or two
/// virtual CPUs the host does not run together — the spin only delays the sleep or the
/// yield that lets the other thread run: measured by `alertable bench ping-pong` on a
/// loaded machine, the watch caught 99.9% of the hand-offs and yet doubled the round
/// trip, because all but a few in a thousand were caught by a yield, after a spin that
/// could not succeed, and a hand-off through the kernel without a watch costs about what
/// the raw futex costs. So each thread keeps a record of how often its recent watches
/// caught what they watched for while spinning (a moving average that weighs the last
/// eight or so most; a catch after a yield counts as a miss): while that rate is low it
/// does not spin — it looks, yields (as below) and sleeps — and every sixteenth wait still
/// watches in full, so it notices when spinning pays again. That probe yields first and
/// spins only if the yield came straight back: one that ran another thread says this CPU
/// is shared, where the spin would only delay the answer (measured by `taskset -c 0
/// alertable bench ping-pong`: 4.1 µs per round trip with probes that spin their whole
/// budget first, 2.4 µs with probes that yield first; the raw futex 3.4). A catch after the thread lost
/// its CPU meanwhile (where a look is a system call, `wait_hook.rs`, the scheduler may run
/// the other thread in its place at the call's return) counts as a miss. The yields are
/// what a thread that cannot spin has left: where both threads share one CPU, a yield
/// hands the CPU to the other one, which answers before this one sleeps (measured by
/// `taskset -c 0 alertable bench ping-pong`, both threads on one CPU: 4.1 µs per round
/// trip against 4.5–4.6 µs without the yields). A yield that keeps the thread off its
/// CPU for a long sleep's worth ends them (the CPU went to threads that do not answer).
///
/// Where the first look finds the answer, that counts as a catch while spinning. On one
/// CPU that is often the scheduler's doing (the woken peer ran at the return of this
/// thread's last system call); not counting it made a thread on a shared CPU stop spinning
/// sooner (ping-pong 2.7 µs on one CPU), but on two CPUs it let two threads that bounce
/// pipe messages both stop watching and sleep, each hand-off then waking a halted virtual
/// CPU (a named-pipe round trip of 15–20 µs instead of 5), so it counts.
///
/// Yielding is adaptive because it has a price. `sched_yield` tells the scheduler that the
/// thread has had its share, so if it then sleeps, the wake-up does not let it preempt the
/// thread that woke it: it waits for that thread to block or for the next tick (measured by
/// `alertable bench idle-wake`: 11 µs instead of 2 µs to a thread idle for a millisecond,
/// and milliseconds when the waker keeps running on the same CPU). Between two threads
/// bouncing work back and forth (`bench ping-pong`) the longer watch pays: the reply often
/// comes while the thread yields, saving a sleep and a wake-up. So a thread stops yielding
/// once a sleep lasted [`SHORT_SLEEP`] or more, and yields again after a shorter one, as
/// the alertable waits and [`sleep_measured`] record them (a new thread yields).
#[doc(hidden)]
pub fn watch_before_sleeping(ready: impl Fn() -> bool) -> bool {
    with_current(|ctx| watch(ctx, &ready))
}

/// Runs `sleep`, in which the calling thread sleeps after [`watch_before_sleeping`] gave up,
/// and records whether the sleep was short. Only sleeps in the library's own parks inside
/// `sleep` ([`park_until`] and the waits) are measured: a `sleep` that blocks in any other
/// way counts as a short one.
#[doc(hidden)]
pub fn sleep_measured<R>(sleep: impl FnOnce() -> R) -> R {
    with_current(|ctx| measured(ctx, sleep))
}

/// Wakes one thread from [`park_until`]: a handle to that thread's parker, the one its
/// waits sleep on. An unpark of a thread that is not parked leaves a token, which ends its
/// next park at once; every wait of the library tolerates such a spurious wake-up (it
/// checks what it waits for again), so an unpark that comes late is harmless.
///
/// # Win32
///
/// None: this is the wait inside `GetQueuedCompletionStatus` (the kernel's queue wait,
/// `KeRemoveQueue`), which Windows does not expose on its own.
#[doc(hidden)]
#[derive(Clone)]
pub struct Unparker {
    parker: Arc<Parker>,
    /// Made during thread-local teardown, with a private parker of its own.
    detached: bool,
}

impl Unparker {
    /// The calling thread's unparker. During thread-local teardown, once the thread's
    /// context is gone, each call makes a private parker that only [`park_until`] with
    /// this unparker sleeps on.
    pub fn current() -> Self {
        let detached = !crate::thread::has_context();
        with_current(|ctx| Self {
            parker: ctx.parker().clone(),
            detached,
        })
    }

    /// Whether this is the calling thread's unparker of the moment (false for one made
    /// during thread-local teardown).
    pub fn is_current(&self) -> bool {
        with_current(|ctx| Arc::ptr_eq(ctx.parker(), &self.parker))
    }

    /// Wakes the thread if it is parked, or leaves it a token.
    #[inline]
    pub fn unpark(&self) {
        self.parker.unpark();
    }
}

impl fmt::Debug for Unparker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unparker").finish_non_exhaustive()
    }
}

/// How [`park_until`] ended.
///
/// # Win32
///
/// None (see [`Unparker`]): `Ready`, `Alerted` and `TimedOut` are what a
/// `GetQueuedCompletionStatusEx` wait ends with (a packet, `WAIT_IO_COMPLETION`,
/// `WAIT_TIMEOUT`).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woken {
    /// `ready` returned true.
    Ready,
    /// APCs ran (an alertable park only).
    Alerted,
    /// The deadline passed first.
    TimedOut,
}

/// Sleeps on the calling thread's parker until `ready` returns true, or (if `alertable`)
/// APCs run, or `deadline` passes; `unparker` is the calling thread's ([`Unparker::current`]),
/// and whoever makes `ready` true unparks it afterwards. This is an object wait without
/// the object: the same order (`ready` first, then APCs, then the clock, as W4), the same
/// block reports, but no dispatcher lock on either side — the hand-off of a completion
/// port's packet to its sleeping getter.
///
/// A thread alert is left pending for the thread's next alertable wait: it is not this
/// park's business.
///
/// # Panics
///
/// If `unparker` is another thread's.
///
/// # Win32
///
/// None (see [`Unparker`]).
#[doc(hidden)]
pub fn park_until(
    unparker: &Unparker,
    ready: &dyn Fn() -> bool,
    deadline: Option<Instant>,
    alertable: Alertable,
) -> Woken {
    with_current(|ctx| {
        if !Arc::ptr_eq(ctx.parker(), &unparker.parker) {
            // Another thread's parker is not this thread's to sleep on (P1).
            assert!(
                unparker.detached,
                "park_until needs the calling thread's unparker"
            );
            // Thread-local teardown: `ctx` is a detached context of its own, not the one
            // `unparker` was made with, whose private parker only this thread parks on
            // (P1). Nothing is alertable there any more.
            return park_detached(&unparker.parker, ready, deadline);
        }
        let alertable = alertable == Alertable::Yes;
        loop {
            if ready() {
                return Woken::Ready;
            }
            if alertable && ctx.has_pending() {
                // Only cancelled timer routines ran: not a delivered APC, so wait on.
                if ctx.drain() {
                    return Woken::Alerted;
                }
                continue;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Woken::TimedOut;
            }
            if alertable {
                ctx.park_for_objects_or_apcs(deadline);
            } else {
                ctx.park_for_objects(deadline);
            }
        }
    })
}

#[cold] // thread-local teardown only
fn park_detached(parker: &Parker, ready: &dyn Fn() -> bool, deadline: Option<Instant>) -> Woken {
    loop {
        if ready() {
            return Woken::Ready;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Woken::TimedOut;
        }
        parker.park(deadline);
    }
}

pub(crate) fn watch(ctx: &Context, ready: &dyn Fn() -> bool) -> bool {
    watch_counting(ctx, ready, &|| true, Sleep::Futex)
}

/// Where the thread sleeps if its watch misses, which decides how the watch looks and what
/// it does where the thread's record says spinning does not pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sleep {
    /// On the futex, whose wake-up costs the waker a system call and the sleeper more.
    /// A look is a load: the watch looks every few pauses at first (a hand-off between
    /// running threads comes within a few hundred nanoseconds, and a look that comes
    /// late adds to every one). Untrusted, it looks, then yields (see
    /// `watch_before_sleeping`).
    Futex,
    /// In `ppoll` on descriptors, which the other end's own write wakes (as a blocking
    /// `read` is woken). A look is a system call: the watch spaces them out, doubling its
    /// pauses between them. Untrusted, the thread goes to sleep at once: looks and yields
    /// would only add system calls.
    Poll,
}

/// [`watch`], where `kept_cpu`, asked after a catch while spinning, tells whether the
/// thread kept its CPU all along; a catch after it lost it (the other thread ran in its
/// place) counts as a miss in the record, as a catch after a yield does; and `sleep`
/// says where the thread sleeps if the watch misses.
pub(crate) fn watch_counting(
    ctx: &Context,
    ready: &dyn Fn() -> bool,
    kept_cpu: &dyn Fn() -> bool,
    sleep: Sleep,
) -> bool {
    if cfg!(loom) {
        return ready();
    }
    // During thread-local teardown there is no record: the watch runs in full.
    let watch = WATCH_RECORD
        .try_with(|record| {
            let mut r = record.get();
            let watch = r.should_watch();
            record.set(r);
            watch
        })
        .unwrap_or(Watch::Full);
    let (caught, cut_short) = match watch {
        // No spin, which would only keep the other thread off this CPU; a yield lets it
        // run and answer (see `watch_before_sleeping`).
        Watch::Skip => return sleep == Sleep::Futex && (ready() || yields(ctx, ready)),
        Watch::Full => (watch_in_full(ctx, ready, sleep), false),
        Watch::Probe => probe(ctx, ready, sleep),
    };
    let _ = WATCH_RECORD.try_with(|record| {
        let mut r = record.get();
        r.record(caught == Watched::CaughtSpinning && kept_cpu());
        if watch == Watch::Probe {
            r.note_probe(cut_short);
        }
        record.set(r);
    });
    caught != Watched::Missed
}

/// How a full watch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Watched {
    /// Caught while spinning: the other thread ran at the same time.
    CaughtSpinning,
    /// Caught after yielding: the other thread needed this CPU to run.
    CaughtYielding,
    Missed,
}

/// How long a full watch spins, at most (see [`watch_before_sleeping`]).
const SPIN_BUDGET: Duration = Duration::from_micros(10);

/// A yield that takes longer than this ran another thread on this CPU: one with nothing
/// else to run returns in well under a microsecond (0.4 µs on the 2-vCPU machine of
/// BENCHMARKS.md), one that runs another thread costs two context switches and that
/// thread's turn (2.2 µs there for a partner that only yields back).
const YIELD_LOST_CPU: Duration = Duration::from_micros(1);

/// A probe: the full watch of a wait whose record does not trust spinning. It yields
/// first. Where the thread shares its CPU with the one that would answer, that yield runs
/// the other thread, takes longer than [`YIELD_LOST_CPU`], and ends the probe without a
/// spin, which could not succeed and would only keep the other thread waiting (the probe
/// then goes on as an untrusted wait, and counts as a miss). A yield that comes straight
/// back says the CPU is the thread's own: the watch goes on in full and learns whether
/// spinning pays again. A thread whose last sleep was long does not yield (see
/// `watch_before_sleeping`: a yield before a long sleep makes its wake-up late); its probe
/// is the full watch. Also returns whether the yield cut the probe short (no spin).
///
/// The threshold is a guess about the machine: where even a yield with nothing else to
/// run took longer, every probe would be cut short and the thread would never learn that
/// spinning pays again. So a record lets at most [`WatchRecord::CUT_SHORT_AT_MOST`]
/// probes in a row be cut short; the next one is the full watch.
fn probe(ctx: &Context, ready: &dyn Fn() -> bool, sleep: Sleep) -> (Watched, bool) {
    if ready() {
        return (Watched::CaughtSpinning, false);
    }
    if !ctx.yields_before_sleeping() {
        return (watch_in_full(ctx, ready, sleep), false);
    }
    let took = timed_yield();
    if took < YIELD_LOST_CPU {
        return (watch_in_full(ctx, ready, sleep), false);
    }
    if took >= SHORT_SLEEP {
        yielded_long(ctx);
    }
    let caught = ready() || (sleep == Sleep::Futex && yields(ctx, ready));
    (
        if caught {
            Watched::CaughtYielding
        } else {
            Watched::Missed
        },
        true,
    )
}

/// The whole watch: pauses, then yields unless the last sleep was long.
fn watch_in_full(ctx: &Context, ready: &dyn Fn() -> bool, sleep: Sleep) -> Watched {
    // First 128 pauses (3 µs on the machine of BENCHMARKS.md), with a look after every
    // four where a look is a load, or after 1, 2, 4, … 64 where it is a system call.
    match sleep {
        Sleep::Futex => {
            for _ in 0..32 {
                if ready() {
                    return Watched::CaughtSpinning;
                }
                pause(4);
            }
        }
        Sleep::Poll => {
            for step in 0..7 {
                if ready() {
                    return Watched::CaughtSpinning;
                }
                pause(1 << step);
            }
        }
    }
    // Then in rounds of 64 pauses until the budget is spent: a clock read per round.
    let until = Instant::now() + SPIN_BUDGET;
    while Instant::now() < until {
        pause(64);
        if ready() {
            return Watched::CaughtSpinning;
        }
    }
    if yields(ctx, ready) {
        return Watched::CaughtYielding;
    }
    if ready() {
        Watched::CaughtYielding
    } else {
        Watched::Missed
    }
}

/// `n` pause instructions (`std::hint::spin_loop`).
#[inline]
fn pause(n: u32) {
    for _ in 0..n {
        std::hint::spin_loop();
    }
}

/// Up to four yields, each followed by a look, unless the thread's last sleep was long;
/// whether a look found `ready` true. A yield that kept the thread off its CPU for
/// [`SHORT_SLEEP`] or more ends them: the CPU went to threads that do not answer (a
/// partner's answer comes within microseconds), so the thread sleeps, and counts the wait
/// as a long sleep.
fn yields(ctx: &Context, ready: &dyn Fn() -> bool) -> bool {
    if !ctx.yields_before_sleeping() {
        return false;
    }
    for _ in 0..4 {
        let took = timed_yield();
        if ready() {
            return true;
        }
        if took >= SHORT_SLEEP {
            yielded_long(ctx);
            return false;
        }
    }
    false
}

/// Yields the CPU; returns how long the thread was away from it.
fn timed_yield() -> Duration {
    let yielded = Instant::now();
    sys::yield_now();
    yielded.elapsed()
}

/// After a yield that kept the thread off its CPU for [`SHORT_SLEEP`] or more: the thread
/// stops yielding before it sleeps, and its wait counts as a long sleep.
fn yielded_long(ctx: &Context) {
    ctx.note_yielded_long();
    ctx.set_yields_before_sleeping(false);
}

thread_local! {
    /// How often this thread's recent watches caught what they watched for.
    static WATCH_RECORD: Cell<WatchRecord> = const { Cell::new(WatchRecord::NEW) };
}

/// How a wait watches, as its thread's [`WatchRecord`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Watch {
    /// Spinning pays: the whole watch.
    Full,
    /// Spinning has not paid of late, and this is the wait that checks whether it does
    /// again ([`probe`]).
    Probe,
    /// Spinning has not paid of late: no spin.
    Skip,
}

/// A thread's record of its watches (see [`watch_before_sleeping`]): a moving average of
/// how often they caught what they watched for while spinning, and the count of waits
/// that skipped the watch since the last full one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WatchRecord {
    /// Success of recent full watches, from 0 (none caught while spinning) to `FULL` (all
    /// did); each watch moves it an eighth of the way towards its own outcome.
    score: u16,
    /// Waits that skipped the watch since the last full one.
    skipped: u8,
    /// Probes in a row that a yield cut short ([`probe`]).
    cut_short: u8,
}

impl WatchRecord {
    /// The score of a record of nothing but successes.
    const FULL: u16 = 256;
    /// Watch in full while the score is at least this (recent watches caught about one
    /// hand-off in eight or more).
    const TRUSTED: u16 = 32;
    /// While the score is low, one wait in this many still watches in full. Each such
    /// probe spins for the whole budget where spinning cannot pay (two thirds of a
    /// microsecond per wait); rarer probes would also be slower to notice that spinning
    /// pays again.
    const PROBE_EVERY: u8 = 16;
    /// At most this many probes in a row are cut short by their yield; the next one spins
    /// whatever its yield took: on a shared CPU one wait in 528 spins in vain (with 8, one
    /// in 144 made the pinned `bench ping-pong` 10 % slower: 2.64–2.75 µs against 2.39).
    const CUT_SHORT_AT_MOST: u8 = 32;
    /// A new thread watches: spinning is right on an unloaded machine.
    const NEW: Self = Self {
        score: Self::FULL,
        skipped: 0,
        cut_short: 0,
    };

    /// How this wait watches.
    fn should_watch(&mut self) -> Watch {
        if self.score >= Self::TRUSTED {
            return Watch::Full;
        }
        self.skipped += 1;
        if self.skipped >= Self::PROBE_EVERY {
            self.skipped = 0;
            if self.cut_short >= Self::CUT_SHORT_AT_MOST {
                self.cut_short = 0;
                return Watch::Full;
            }
            return Watch::Probe;
        }
        Watch::Skip
    }

    /// Records how a probe went: whether its yield cut it short.
    fn note_probe(&mut self, cut_short: bool) {
        self.cut_short = if cut_short { self.cut_short + 1 } else { 0 };
    }

    /// Records the outcome of a full watch: whether it caught while spinning.
    fn record(&mut self, caught: bool) {
        if caught {
            self.score += (Self::FULL - self.score).div_ceil(8);
        } else {
            self.score -= self.score.div_ceil(8);
        }
    }
}

/// Sleeps until `deadline` (`None`: forever), waking for nothing.
fn sleep_plain(deadline: Option<Instant>) {
    let Some(deadline) = deadline else {
        loop {
            sys::sleep(Duration::from_secs(u64::from(u32::MAX)));
        }
    };
    loop {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        sys::sleep(deadline - now);
    }
}

/// Runs the calling thread's pending APCs now, without waiting; returns whether any ran.
///
/// Like an alertable wait with a zero timeout, but for code that is not about to wait: an
/// event loop that learned APCs are pending, for instance. On a thread with an
/// [`ApcNotifier`](crate::ApcNotifier) it also clears the readiness descriptor before it
/// runs the APCs, and re-arms it after.
///
/// # Examples
///
/// ```
/// let me = alertable::current();
/// me.queue_apc(|| println!("ran")).unwrap();
/// assert!(alertable::test_alert());
/// assert!(!alertable::test_alert()); // nothing left (A3)
/// ```
///
/// # Panics
///
/// A panic in an APC unwinds out of `test_alert`; the rest stay queued.
///
/// # Win32
///
/// `NtTestAlert` (A3), which returns `STATUS_SUCCESS` either way; here the result tells
/// whether APCs ran.
pub fn test_alert() -> bool {
    with_current(notifier::test_alert)
}

/// Takes the calling thread's pending alert: returns whether [`alert_thread`] had alerted
/// it since its last alertable wait, and clears the alert.
///
/// Alerts are separate from APCs: this runs none.
///
/// # Examples
///
/// ```
/// let me = alertable::current();
/// alertable::alert_thread(&me);
/// alertable::alert_thread(&me); // alerts do not accumulate (C40)
/// assert!(alertable::take_alert());
/// assert!(!alertable::take_alert());
/// ```
///
/// # Win32
///
/// The alert half of `NtTestAlert`, which returns `STATUS_ALERTED` (and runs no APC) when
/// the thread was alerted (B41).
///
/// [`alert_thread`]: crate::alert_thread
pub fn take_alert() -> bool {
    with_current(Context::take_alert)
}

/// The most objects one wait accepts.
///
/// # Win32
///
/// `MAXIMUM_WAIT_OBJECTS` (64) (D45, D46).
pub const MAXIMUM_WAIT_OBJECTS: usize = 64;

/// How a wait on objects ended.
///
/// # Win32
///
/// The return value of `WaitForMultipleObjectsEx` and friends: see
/// [`as_win32`](Self::as_win32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaitStatus {
    /// The object at this index was signaled and acquired (for `wait_all`: all were, and
    /// the index is 0). Win32: `WAIT_OBJECT_0 + i`.
    Signaled(usize),
    /// The object at this index was a mutex abandoned by its exited owner; the caller now
    /// owns it (for `wait_all`: at least one was, and the index is 0, G74). Win32:
    /// `WAIT_ABANDONED_0 + i` (0x80 + i).
    Abandoned(usize),
    /// APCs ran during the alertable wait, which ended without acquiring anything. Win32:
    /// `WAIT_IO_COMPLETION` (192).
    Alerted,
    /// The timeout elapsed. Win32: `WAIT_TIMEOUT` (258).
    TimedOut,
    /// The thread was alerted ([`alert_thread`](crate::alert_thread)) during the alertable
    /// wait, which ended without acquiring anything or running APCs. NT: `STATUS_ALERTED`
    /// (0x101 = 257), what `NtWaitForSingleObject` returns; Win32's `WaitFor…Ex` functions
    /// never report it (they wait on).
    ThreadAlerted,
}

impl WaitStatus {
    /// The value Win32's wait functions return for this outcome.
    pub fn as_win32(self) -> u32 {
        // Indices are below MAXIMUM_WAIT_OBJECTS, so they fit.
        match self {
            Self::Signaled(i) => i as u32,
            Self::Abandoned(i) => 0x80 + i as u32,
            Self::Alerted => 192,
            Self::TimedOut => 258,
            Self::ThreadAlerted => 0x101,
        }
    }
}

/// Why a wait could not start. Nothing was waited on or consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WaitError {
    /// The object list is empty. Win32: `ERROR_INVALID_PARAMETER` (87) (D46).
    NoObjects,
    /// More than [`MAXIMUM_WAIT_OBJECTS`] objects; for [`msg_wait`](crate::msg_wait), whose
    /// message queue takes the last slot, more than 63. Win32: `ERROR_INVALID_PARAMETER`
    /// (87) (D46, H82).
    TooManyObjects,
    /// The same object appears twice in a `wait_all`. Win32: `ERROR_INVALID_PARAMETER`
    /// (87), from `STATUS_INVALID_PARAMETER_MIX` (D50).
    DuplicateObject,
    /// `signal_and_wait` could not signal its object, so it did not wait (I89): the
    /// object's own error (`ERROR_TOO_MANY_POSTS`, `ERROR_NOT_OWNER`).
    SignalFailed(SyncError),
}

impl WaitError {
    /// The Win32 error code this corresponds to.
    pub fn win32_error(self) -> u32 {
        match self {
            Self::NoObjects | Self::TooManyObjects | Self::DuplicateObject => 87,
            Self::SignalFailed(e) => e.win32_error(),
        }
    }
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoObjects => f.write_str("no objects to wait on"),
            Self::TooManyObjects => write!(
                f,
                "too many objects (a wait takes at most {MAXIMUM_WAIT_OBJECTS}, a message wait {})",
                MAXIMUM_WAIT_OBJECTS - 1
            ),
            Self::DuplicateObject => f.write_str("the same object appears twice in a wait-all"),
            Self::SignalFailed(e) => write!(f, "could not signal the object: {e}"),
        }
    }
}

impl std::error::Error for WaitError {}

/// Waits until `object` is signaled (and acquires it), an APC runs (if `alertable`), or
/// the timeout passes (`None`: forever).
///
/// An object that is already signaled is acquired at once, even with APCs pending and a
/// zero timeout: objects beat APCs (B31). During an alertable wait, an APC ends the wait
/// with [`WaitStatus::Alerted`] once it has run — even if the APC signaled the object, which
/// then stays signaled for the next wait (B21).
///
/// # Examples
///
/// ```
/// use alertable::{Alertable, Event, EventReset, WaitStatus, wait_one};
/// use std::time::Duration;
///
/// let e = Event::new(EventReset::Manual, false);
/// let e2 = e.clone();
/// alertable::current().queue_apc(move || e2.set()).unwrap();
/// // The APC sets the event, but the alertable wait still reports the APC (B21)...
/// assert_eq!(wait_one(&e, None, Alertable::Yes), Ok(WaitStatus::Alerted));
/// // ...and the next wait finds the event signaled.
/// assert_eq!(wait_one(&e, Some(Duration::ZERO), Alertable::Yes), Ok(WaitStatus::Signaled(0)));
/// ```
///
/// # Errors
///
/// None for a single object today; the `Result` matches the other wait functions.
///
/// # Panics
///
/// A panic in an APC run by an alertable wait unwinds out of the wait; the rest stay
/// queued.
///
/// # Win32
///
/// `WaitForSingleObjectEx(h, ms, alertable)`.
pub fn wait_one(
    object: &dyn Waitable,
    timeout: Option<Duration>,
    alertable: Alertable,
) -> Result<WaitStatus, WaitError> {
    wait_objects(&[object], WaitKind::Any, timeout, alertable, None)
}

/// Waits until any of `objects` is signaled and acquires the one with the lowest index
/// (only that one, D45, E60); or until an APC runs (if `alertable`), or the timeout passes.
///
/// The same object may appear more than once; the lowest index is reported.
///
/// # Examples
///
/// ```
/// use alertable::{Alertable, Event, EventReset, Semaphore, WaitStatus, wait_any};
/// use std::time::Duration;
///
/// let stop = Event::new(EventReset::Manual, false);
/// let work = Semaphore::new(2, 10).unwrap();
/// let objects: [&dyn alertable::Waitable; 2] = [&stop, &work];
/// let poll = Some(Duration::ZERO);
/// assert_eq!(wait_any(&objects, poll, Alertable::No), Ok(WaitStatus::Signaled(1)));
/// stop.set();
/// assert_eq!(wait_any(&objects, poll, Alertable::No), Ok(WaitStatus::Signaled(0)));
/// ```
///
/// # Errors
///
/// [`WaitError::NoObjects`] or [`WaitError::TooManyObjects`] (D46).
///
/// # Panics
///
/// A panic in an APC unwinds out of the wait; the rest stay queued.
///
/// # Win32
///
/// `WaitForMultipleObjectsEx(n, handles, FALSE, ms, alertable)`.
pub fn wait_any(
    objects: &[&dyn Waitable],
    timeout: Option<Duration>,
    alertable: Alertable,
) -> Result<WaitStatus, WaitError> {
    check_count(objects)?;
    wait_objects(objects, WaitKind::Any, timeout, alertable, None)
}

/// Waits until all of `objects` are signaled at one instant, and acquires them all
/// together; until then nothing is consumed (D49, F66, G75). Or until an APC runs (if
/// `alertable`), or the timeout passes. Returns `WaitStatus::Signaled(0)`, or
/// `WaitStatus::Abandoned(0)` if any acquired mutex was abandoned (G74).
///
/// # Examples
///
/// ```
/// use alertable::{Alertable, Event, EventReset, WaitStatus, wait_all};
/// use std::time::Duration;
///
/// let a = Event::new(EventReset::Auto, true);
/// let b = Event::new(EventReset::Auto, false);
/// let both: [&dyn alertable::Waitable; 2] = [&a, &b];
/// let poll = Some(Duration::ZERO);
/// assert_eq!(wait_all(&both, poll, Alertable::No), Ok(WaitStatus::TimedOut));
/// assert!(a.is_set()); // not consumed: all or nothing
/// b.set();
/// assert_eq!(wait_all(&both, poll, Alertable::No), Ok(WaitStatus::Signaled(0)));
/// assert!(!a.is_set() && !b.is_set());
/// ```
///
/// # Errors
///
/// [`WaitError::NoObjects`], [`WaitError::TooManyObjects`] (D46), or
/// [`WaitError::DuplicateObject`] if an object appears twice (D50).
///
/// # Panics
///
/// A panic in an APC unwinds out of the wait; the rest stay queued.
///
/// # Win32
///
/// `WaitForMultipleObjectsEx(n, handles, TRUE, ms, alertable)`.
pub fn wait_all(
    objects: &[&dyn Waitable],
    timeout: Option<Duration>,
    alertable: Alertable,
) -> Result<WaitStatus, WaitError> {
    check_count(objects)?;
    check_distinct(objects)?;
    wait_objects(objects, WaitKind::All, timeout, alertable, None)
}

/// Signals `signal` and waits on `wait` as one atomic step: no other thread can observe
/// the signal before this thread is waiting (I87). Signaling an event sets it, a
/// semaphore is released by one, a mutex released.
///
/// # Examples
///
/// ```
/// use alertable::{Alertable, Event, EventReset, WaitStatus, signal_and_wait};
/// use std::time::Duration;
///
/// // Signal and wait on the same auto-reset event: the wait takes the signal (I87).
/// let e = Event::new(EventReset::Auto, false);
/// assert_eq!(signal_and_wait(&e, &e, Some(Duration::ZERO), Alertable::No), Ok(WaitStatus::Signaled(0)));
/// assert!(!e.is_set());
/// ```
///
/// # Errors
///
/// [`WaitError::SignalFailed`] if the signal fails (a semaphore at its maximum, a mutex the
/// caller does not own); then nothing is waited on (I89).
///
/// # Panics
///
/// A panic in an APC unwinds out of the wait; the rest stay queued.
///
/// # Win32
///
/// `SignalObjectAndWait(signal, wait, ms, alertable)`.
pub fn signal_and_wait(
    signal: &dyn Signal,
    wait: &dyn Waitable,
    timeout: Option<Duration>,
    alertable: Alertable,
) -> Result<WaitStatus, WaitError> {
    wait_objects(&[wait], WaitKind::Any, timeout, alertable, Some(signal))
}

/// The instant `timeout` from now: `None` for INFINITE, for timeouts past the end of the
/// clock, and for a zero timeout, which never sleeps and so needs no clock read.
pub(crate) fn deadline_after(timeout: Option<Duration>) -> Option<Instant> {
    timeout
        .filter(|t| !t.is_zero())
        .and_then(|t| Instant::now().checked_add(t))
}

/// A wait-all takes each object once (D50).
pub(crate) fn check_distinct(objects: &[&dyn Waitable]) -> Result<(), WaitError> {
    for (i, a) in objects.iter().enumerate() {
        let a = std::ptr::from_ref(a.wait_list());
        if objects[..i].iter().any(|b| std::ptr::eq(a, b.wait_list())) {
            return Err(WaitError::DuplicateObject);
        }
    }
    Ok(())
}

pub(crate) fn check_count(objects: &[&dyn Waitable]) -> Result<(), WaitError> {
    match objects.len() {
        0 => Err(WaitError::NoObjects),
        n if n > MAXIMUM_WAIT_OBJECTS => Err(WaitError::TooManyObjects),
        _ => Ok(()),
    }
}

fn wait_objects(
    objects: &[&dyn Waitable],
    kind: WaitKind,
    timeout: Option<Duration>,
    alertable: Alertable,
    signal: Option<&dyn Signal>,
) -> Result<WaitStatus, WaitError> {
    let zero = timeout == Some(Duration::ZERO);
    let deadline = deadline_after(timeout);
    let outcome = with_current(|ctx| {
        dispatch::wait(
            ctx,
            objects,
            kind,
            deadline,
            zero,
            alertable == Alertable::Yes,
            signal,
        )
    })
    .map_err(WaitError::SignalFailed)?;
    Ok(status_of(outcome))
}

/// The public form of a wait's outcome.
pub(crate) fn status_of(outcome: Outcome) -> WaitStatus {
    match outcome {
        Outcome::Signaled(i) => WaitStatus::Signaled(i),
        Outcome::Abandoned(i) => WaitStatus::Abandoned(i),
        Outcome::Alerted => WaitStatus::Alerted,
        Outcome::TimedOut => WaitStatus::TimedOut,
        Outcome::ThreadAlerted => WaitStatus::ThreadAlerted,
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{Watch, WatchRecord};

    /// Runs `n` waits whose full watches all end `caught`; returns how many watched.
    fn waits(record: &mut WatchRecord, n: usize, caught: bool) -> usize {
        let mut watched = 0;
        for _ in 0..n {
            if record.should_watch() != Watch::Skip {
                watched += 1;
                record.record(caught);
            }
        }
        watched
    }

    /// Runs untrusted waits until the next one that watches; returns how it watches.
    fn next_watch(record: &mut WatchRecord) -> Watch {
        loop {
            match record.should_watch() {
                Watch::Skip => {}
                watch => return watch,
            }
        }
    }

    /// Probes that their yield cut short come at most `CUT_SHORT_AT_MOST` in a row: the
    /// next spins in full, so that a machine whose yields are all slow still learns when
    /// spinning pays. One that spun starts the count again.
    #[test]
    fn probes_cut_short_by_their_yield_give_way_to_a_full_watch() {
        let mut record = WatchRecord::NEW;
        while record.score >= WatchRecord::TRUSTED {
            record.record(false);
        }
        for _ in 0..WatchRecord::CUT_SHORT_AT_MOST {
            assert_eq!(next_watch(&mut record), Watch::Probe);
            record.record(false);
            record.note_probe(true);
        }
        assert_eq!(
            next_watch(&mut record),
            Watch::Full,
            "the next one spins in full"
        );
        record.record(false);
        assert_eq!(next_watch(&mut record), Watch::Probe);
        record.record(false);
        record.note_probe(true);
        assert_eq!(next_watch(&mut record), Watch::Probe);
        record.record(false);
        record.note_probe(false);
        for _ in 0..WatchRecord::CUT_SHORT_AT_MOST {
            assert_eq!(
                next_watch(&mut record),
                Watch::Probe,
                "the count starts again"
            );
            record.record(false);
            record.note_probe(true);
        }
        assert_eq!(next_watch(&mut record), Watch::Full);
    }

    /// A new thread watches; a run of misses makes it stop, except for one wait in
    /// sixteen; one caught hand-off in such a probe makes it watch again.
    #[test]
    fn the_watch_follows_its_recent_success() {
        let mut record = WatchRecord::NEW;
        assert_eq!(waits(&mut record, 100, true), 100, "watching pays: always");
        assert_eq!(record.score, WatchRecord::FULL);

        let first = waits(&mut record, 100, false);
        assert!(
            (16..=24).contains(&first),
            "watching stops after a run of misses: {first} of 100 watched"
        );
        assert!(record.score < WatchRecord::TRUSTED);
        assert_eq!(
            waits(&mut record, 160, false),
            10,
            "one wait in sixteen still watches"
        );
        let watches: Vec<Watch> = (0..16).map(|_| record.should_watch()).collect();
        assert_eq!(
            watches
                .iter()
                .filter(|w| **w != Watch::Skip)
                .collect::<Vec<_>>(),
            [&Watch::Probe],
            "an untrusted record's full watch is a probe (it yields first)"
        );
        record.record(false);

        // The next probe catches the hand-off: watching resumes at once.
        while record.should_watch() == Watch::Skip {}
        record.record(true);
        assert!(record.score >= WatchRecord::TRUSTED);
        assert_eq!(waits(&mut record, 5, true), 5);
    }
}
