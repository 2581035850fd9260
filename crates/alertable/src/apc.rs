//! Queueing APCs: [`queue_apc`] and [`queue_user_apc`].
//!
//! An APC is a closure that runs on one particular thread, during that thread's next
//! alertable wait ([`sleep_ex`](crate::sleep_ex) with [`Alertable::Yes`](crate::Alertable),
//! or [`test_alert`](crate::test_alert)), in the order it was queued. Queueing never blocks,
//! never runs the APC itself (A1, A16), takes no lock, and wakes the target only if it is
//! asleep in an alertable wait; closures of up to 32 bytes are stored without allocating.

use std::fmt;

use crate::thread::ThreadHandle;

/// Queues `f` to run on `thread` during its next alertable wait.
///
/// APCs run on the target thread only, FIFO, each exactly once; never inside this call,
/// even when `thread` is the caller (A1, A16). Closures up to 32 bytes (four machine words)
/// are stored inline and cost no allocation in steady state; larger ones are boxed.
///
/// # Examples
///
/// ```
/// use alertable::{Alertable, SleepStatus, queue_apc, sleep_ex};
/// use std::sync::mpsc;
///
/// let (started, has_started) = mpsc::channel();
/// let worker = alertable::spawn(move || {
///     started.send(()).unwrap();
///     // An alertable wait returns `Alerted` once it has run the APCs (B20).
///     sleep_ex(None, Alertable::Yes)
/// })
/// .unwrap();
/// // Queue only once the entry function runs: an APC queued earlier would run before it
/// // (C34), and the sleep below would then wait for another.
/// has_started.recv().unwrap();
/// queue_apc(worker.thread(), || println!("hello from the worker")).unwrap();
/// assert_eq!(worker.join().unwrap(), SleepStatus::Alerted);
/// ```
///
/// # Errors
///
/// [`QueueApcError::ThreadExited`] if `thread` has exited; `f` is dropped on the calling
/// thread without running (A4).
///
/// # Win32
///
/// `QueueUserAPC`, with a closure instead of a function pointer and a `ULONG_PTR`.
#[inline]
pub fn queue_apc<F>(thread: &ThreadHandle, f: F) -> Result<(), QueueApcError>
where
    F: FnOnce() + Send + 'static,
{
    thread.queue_apc(f)
}

/// Queues `func(param)` to run on `thread` during its next alertable wait.
///
/// The Win32 shape of [`queue_apc`]: a plain function and one word-sized parameter, passed
/// through unchanged (A14). It never allocates in steady state.
///
/// # Examples
///
/// ```
/// use alertable::{Alertable, queue_user_apc, sleep_ex};
/// use std::time::Duration;
///
/// fn report(param: usize) {
///     println!("APC callback has fired with param={param}");
/// }
///
/// queue_user_apc(&alertable::current(), report, 123).unwrap();
/// sleep_ex(Some(Duration::ZERO), Alertable::Yes); // prints param=123
/// ```
///
/// # Errors
///
/// [`QueueApcError::ThreadExited`] if `thread` has exited (A4).
///
/// # Win32
///
/// `QueueUserAPC(func, thread, param)`.
#[inline]
pub fn queue_user_apc(
    thread: &ThreadHandle,
    func: fn(usize),
    param: usize,
) -> Result<(), QueueApcError> {
    thread.queue_user_apc(func, param)
}

/// Alerts `thread`: its current alertable wait, or its next one, ends with
/// [`SleepStatus::ThreadAlerted`](crate::SleepStatus::ThreadAlerted) or
/// [`WaitStatus::ThreadAlerted`](crate::WaitStatus::ThreadAlerted), without running APCs.
///
/// An alert is a flag, not a queue: alerting twice before the thread waits ends one wait
/// (C40). Only alertable waits take it — [`sleep_ex`](crate::sleep_ex), the object waits and
/// [`msg_wait`](crate::msg_wait) with [`Alertable::Yes`](crate::Alertable::Yes) — and it
/// ranks between the objects and the APCs: an object that is already signaled wins (and
/// the alert stays pending), while APCs that are pending stay queued behind it. Other
/// blocking calls (a completion port's `get_many`, `get_message`) leave it pending.
/// Alerting a thread that has exited does nothing.
///
/// # Examples
///
/// ```
/// use alertable::{Alertable, SleepStatus, alert_thread, sleep_ex};
///
/// let worker = alertable::spawn(|| sleep_ex(None, Alertable::Yes)).unwrap();
/// alert_thread(worker.thread());
/// assert_eq!(worker.join().unwrap(), SleepStatus::ThreadAlerted);
/// ```
///
/// # Win32
///
/// `NtAlertThread` (B41): the alerted wait returns `STATUS_ALERTED` (0x101). Win32's own
/// waits (`SleepEx`, `WaitForSingleObjectEx`) restart after an alert instead of reporting
/// it; the C ABI does the same.
pub fn alert_thread(thread: &ThreadHandle) {
    thread.alert();
}

/// Why an APC could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QueueApcError {
    /// The target thread has exited; the APC was dropped without running.
    ///
    /// Win32: `QueueUserAPC` returns `FALSE` with `ERROR_GEN_FAILURE` (31) (A4).
    ThreadExited,
}

impl QueueApcError {
    /// The Win32 error code this corresponds to.
    pub fn win32_error(self) -> u32 {
        match self {
            Self::ThreadExited => 31,
        }
    }
}

impl fmt::Display for QueueApcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ThreadExited => f.write_str("cannot queue an APC: the thread has exited"),
        }
    }
}

impl std::error::Error for QueueApcError {}
