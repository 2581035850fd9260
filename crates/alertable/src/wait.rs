//! Waiting: [`sleep_ex`] and [`test_alert`].
//!
//! An *alertable* wait is where APCs run. It first runs every APC already queued — FIFO,
//! including APCs those APCs queue — and returns at once if there were any; otherwise it
//! spins briefly, then sleeps until an APC arrives or the timeout passes. A non-alertable
//! wait never runs APCs; they stay queued for the next alertable one (B19).

use std::time::{Duration, Instant};

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
}

impl SleepStatus {
    /// The value Win32's `SleepEx` returns for this outcome: 0 or 192.
    pub fn as_win32(self) -> u32 {
        match self {
            Self::Elapsed => 0,
            Self::Alerted => 192,
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
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    // `deadline` is `None` for INFINITE and for timeouts past the end of the clock.
    match alertable {
        Alertable::Yes => with_current(|ctx| sleep_alertable(ctx, timeout, deadline)),
        Alertable::No if timeout == Some(Duration::ZERO) => {
            // Win32's Sleep(0): give up the time slice.
            sys::yield_now();
            SleepStatus::Elapsed
        }
        Alertable::No => {
            sleep_plain(deadline);
            SleepStatus::Elapsed
        }
    }
}

fn sleep_alertable(
    ctx: &Context,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
) -> SleepStatus {
    if ctx.drain() {
        return SleepStatus::Alerted;
    }
    if timeout == Some(Duration::ZERO) {
        return SleepStatus::Elapsed;
    }
    let outcome = if spin_for_apcs(ctx) {
        ApcWait::Pending
    } else {
        ctx.park_for_apcs(deadline)
    };
    match outcome {
        ApcWait::Pending => {
            ctx.drain();
            SleepStatus::Alerted
        }
        ApcWait::TimedOut => SleepStatus::Elapsed,
        ApcWait::Closed => {
            // Thread-local teardown: no APC can arrive, so this is a plain sleep.
            sleep_plain(deadline);
            SleepStatus::Elapsed
        }
    }
}

/// Watches the queue for a short, bounded while before the thread goes to sleep: a
/// hand-off between running threads costs well under a microsecond, a futex wake-up tens
/// of microseconds on virtual machines. Gives up after ~130 pause instructions and four
/// yields (a few microseconds).
#[inline]
fn spin_for_apcs(ctx: &Context) -> bool {
    if cfg!(loom) {
        return false;
    }
    let backoff = crossbeam_utils::Backoff::new();
    while !backoff.is_completed() {
        if ctx.has_pending() {
            return true;
        }
        backoff.snooze();
    }
    ctx.has_pending()
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
/// event loop that learned APCs are pending, for instance.
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
    with_current(Context::drain)
}
