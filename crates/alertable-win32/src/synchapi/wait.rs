//! Sleeping and waiting: `Sleep`, `SleepEx`, `WaitForSingleObject(Ex)`,
//! `WaitForMultipleObjects(Ex)`, `SignalObjectAndWait`.
//!
//! Successful waits and sleeps never change the last error (B18, D44). The functions that
//! can run APCs are `extern "C-unwind"` and end with [`Completion::finish`]
//! (`thread.rs`, X1, X3).
//!
//! [`Completion::finish`]: crate::ffi::Completion::finish

use std::time::{Duration, Instant};

use alertable::{Alertable, SleepStatus, WaitError, WaitStatus, Waitable};

use crate::consts::{
    ERROR_INVALID_PARAMETER, INFINITE, MAXIMUM_WAIT_OBJECTS, SYNCHRONIZE, WAIT_FAILED,
};
use crate::error::{Error, Result};
use crate::ffi::{call, call_alertable};
use crate::handle;
use crate::types::{BOOL, DWORD, HANDLE};

/// A Win32 timeout: `INFINITE` or milliseconds.
pub(crate) fn timeout(ms: DWORD) -> Option<Duration> {
    (ms != INFINITE).then(|| Duration::from_millis(u64::from(ms)))
}

/// A Win32 alertable flag.
pub(crate) fn alertable(flag: BOOL) -> Alertable {
    if flag != 0 {
        Alertable::Yes
    } else {
        Alertable::No
    }
}

/// Runs `wait` with `timeout`, and again with what is left of it each time a thread
/// alert ends it: Win32's waits never report an alert (`STATUS_ALERTED`, which only the
/// NT functions return), they wait on (B41). The alert is taken by the wait it ended.
pub(crate) fn past_alerts<T>(
    timeout: Option<Duration>,
    alerted: impl Fn(&T) -> bool,
    mut wait: impl FnMut(Option<Duration>) -> T,
) -> T {
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    let mut left = timeout;
    loop {
        let outcome = wait(left);
        if !alerted(&outcome) {
            return outcome;
        }
        left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
    }
}

/// Whether a wait's result is a thread alert (for [`past_alerts`]).
pub(crate) fn is_alert<E>(result: &std::result::Result<WaitStatus, E>) -> bool {
    matches!(result, Ok(WaitStatus::ThreadAlerted))
}

/// The Win32 error of a wait that could not start.
pub(crate) fn wait_error(error: WaitError) -> Error {
    Error(error.win32_error())
}

/// Suspends the calling thread for `dwMilliseconds` (`INFINITE`: for ever; 0: gives up
/// the time slice). Never runs APCs (B19); never changes the last error (B18).
///
/// # Win32
///
/// `Sleep`.
#[unsafe(no_mangle)]
pub extern "C" fn Sleep(dwMilliseconds: DWORD) {
    call((), || {
        alertable::sleep_ex(timeout(dwMilliseconds), Alertable::No);
        Ok(())
    });
}

/// Suspends the calling thread for `dwMilliseconds`; if `bAlertable`, runs the APCs queued
/// to it and returns early once any ran.
///
/// Returns 0 when the time elapsed, or `WAIT_IO_COMPLETION` (192) when APCs ran — all that
/// were pending, including any they queued, FIFO (B17, B23, B24). With APCs pending,
/// `SleepEx(0, TRUE)` runs them (B32). Never changes the last error (B18).
///
/// # Win32
///
/// `SleepEx`.
#[unsafe(no_mangle)]
pub extern "C-unwind" fn SleepEx(dwMilliseconds: DWORD, bAlertable: BOOL) -> DWORD {
    call_alertable(0, || {
        let status = past_alerts(
            timeout(dwMilliseconds),
            |s| *s == SleepStatus::ThreadAlerted,
            |t| alertable::sleep_ex(t, alertable(bAlertable)),
        );
        Ok(match status {
            SleepStatus::Alerted => SleepStatus::Alerted.as_win32(),
            SleepStatus::Elapsed | SleepStatus::ThreadAlerted => 0,
        })
    })
    .finish()
}

fn wait_single(handle: HANDLE, ms: DWORD, alertable_flag: BOOL) -> Result<DWORD> {
    let object = handle::with_access(handle, SYNCHRONIZE, Ok)?;
    let status = past_alerts(timeout(ms), is_alert, |t| {
        alertable::wait_one(object.waitable(), t, alertable(alertable_flag))
    })
    .map_err(wait_error)?;
    Ok(status.as_win32())
}

/// Waits until the object is signaled (and acquires it: an auto-reset event is reset, a
/// semaphore decremented, a mutex owned), or the timeout elapses.
///
/// Returns `WAIT_OBJECT_0` (0), `WAIT_ABANDONED` (0x80: a mutex whose owner exited, now
/// owned by the caller, G72), or `WAIT_TIMEOUT` (258). The pseudo-handles of
/// `GetCurrentThread` and `GetCurrentProcess` are accepted and time out (C38). Successful
/// waits leave the last error untouched (D44).
///
/// # Errors
///
/// `WAIT_FAILED` with `ERROR_INVALID_HANDLE` (6) for an invalid or closed handle (D42), or
/// `ERROR_ACCESS_DENIED` (5) for a handle without `SYNCHRONIZE` (D53).
///
/// # Win32
///
/// `WaitForSingleObject`.
#[unsafe(no_mangle)]
pub extern "C" fn WaitForSingleObject(hHandle: HANDLE, dwMilliseconds: DWORD) -> DWORD {
    call(WAIT_FAILED, || wait_single(hHandle, dwMilliseconds, 0))
}

/// [`WaitForSingleObject`], alertable if `bAlertable`: then APCs queued to the calling
/// thread run and end the wait with `WAIT_IO_COMPLETION` (192) (B20), unless the object is
/// signaled already (objects win, B31). A wait ended by APCs is not restarted, even if an
/// APC signaled the object (B21).
///
/// # Errors
///
/// As [`WaitForSingleObject`].
///
/// # Win32
///
/// `WaitForSingleObjectEx`.
#[unsafe(no_mangle)]
pub extern "C-unwind" fn WaitForSingleObjectEx(
    hHandle: HANDLE,
    dwMilliseconds: DWORD,
    bAlertable: BOOL,
) -> DWORD {
    call_alertable(WAIT_FAILED, || {
        wait_single(hHandle, dwMilliseconds, bAlertable)
    })
    .finish()
}

/// # Safety
///
/// `handles` is valid for reading `count` handles when `count` is in range.
unsafe fn wait_multiple(
    count: DWORD,
    handles: *const HANDLE,
    wait_all: BOOL,
    ms: DWORD,
    alertable_flag: BOOL,
) -> Result<DWORD> {
    if count == 0 || count > MAXIMUM_WAIT_OBJECTS {
        return Err(Error(ERROR_INVALID_PARAMETER));
    }
    let handles = handle::required(handles)?;
    // SAFETY: non-NULL (checked), `count` ≤ 64, and the caller guarantees `count` readable
    // handles.
    let handles = unsafe { core::slice::from_raw_parts(handles, count as usize) };
    let objects = handle::real_objects_with(handles, SYNCHRONIZE)?;
    let waitables: Vec<&dyn Waitable> = objects.iter().map(handle::Object::waitable).collect();
    let status = past_alerts(timeout(ms), is_alert, |t| {
        if wait_all != 0 {
            alertable::wait_all(&waitables, t, alertable(alertable_flag))
        } else {
            alertable::wait_any(&waitables, t, alertable(alertable_flag))
        }
    })
    .map_err(wait_error)?;
    Ok(status.as_win32())
}

/// Waits until any (`bWaitAll` false) or all (`bWaitAll` true) of the `nCount` objects are
/// signaled, or the timeout elapses.
///
/// Wait-any acquires only the signaled object with the lowest index and returns
/// `WAIT_OBJECT_0 + i` or `WAIT_ABANDONED_0 + i` (D45, G74). Wait-all acquires all objects
/// at one instant or none (D49) and returns `WAIT_OBJECT_0`, or `WAIT_ABANDONED_0` if a
/// mutex among them was abandoned (G74). Otherwise `WAIT_TIMEOUT` (258). Successful waits
/// leave the last error untouched (D44).
///
/// # Safety
///
/// `lpHandles` is `NULL` or valid for reading `nCount` handles.
///
/// # Errors
///
/// `WAIT_FAILED` with:
/// - `ERROR_INVALID_PARAMETER` (87): `nCount` is 0 or above 64 (D46), or an object
///   appears twice in a wait-all (D50);
/// - `ERROR_INVALID_HANDLE` (6): a handle is invalid, closed, or a pseudo-handle (D47);
/// - `ERROR_ACCESS_DENIED` (5): a handle lacks `SYNCHRONIZE` (D53); nothing is acquired;
/// - `ERROR_NOACCESS` (998): `lpHandles` is `NULL`.
///
/// # Win32
///
/// `WaitForMultipleObjects`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WaitForMultipleObjects(
    nCount: DWORD,
    lpHandles: *const HANDLE,
    bWaitAll: BOOL,
    dwMilliseconds: DWORD,
) -> DWORD {
    call(WAIT_FAILED, || {
        // SAFETY: the caller's guarantee on `lpHandles`, passed on.
        unsafe { wait_multiple(nCount, lpHandles, bWaitAll, dwMilliseconds, 0) }
    })
}

/// [`WaitForMultipleObjects`], alertable if `bAlertable`: APCs end the wait with
/// `WAIT_IO_COMPLETION` (192) unless the objects are ready already (B20, B21, B31).
///
/// # Safety
///
/// As [`WaitForMultipleObjects`].
///
/// # Errors
///
/// As [`WaitForMultipleObjects`].
///
/// # Win32
///
/// `WaitForMultipleObjectsEx`.
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn WaitForMultipleObjectsEx(
    nCount: DWORD,
    lpHandles: *const HANDLE,
    bWaitAll: BOOL,
    dwMilliseconds: DWORD,
    bAlertable: BOOL,
) -> DWORD {
    call_alertable(WAIT_FAILED, || {
        // SAFETY: the caller's guarantee on `lpHandles`, passed on.
        unsafe { wait_multiple(nCount, lpHandles, bWaitAll, dwMilliseconds, bAlertable) }
    })
    .finish()
}

/// Signals one object and waits on another as one step: nobody sees the signal before the
/// caller waits (I87). Signaling sets an event, releases a semaphore by one, or releases a
/// mutex. If the signal fails, nothing is waited on (I89). With `bAlertable`, APCs end the
/// wait with `WAIT_IO_COMPLETION` (192) (I91). The object to wait on may be a pseudo-handle.
///
/// # Errors
///
/// `WAIT_FAILED` with:
/// - `ERROR_INVALID_HANDLE` (6): either handle is invalid, or the object to signal is not
///   an event, semaphore or mutex (I85, I90);
/// - `ERROR_ACCESS_DENIED` (5): the handle to signal lacks `EVENT_MODIFY_STATE` (an event)
///   or `SEMAPHORE_MODIFY_STATE` (a semaphore) — a mutex needs no right (G69) — or the
///   handle to wait on lacks `SYNCHRONIZE` (D53); nothing is signaled;
/// - `ERROR_TOO_MANY_POSTS` (298): the semaphore is at its maximum (I89);
/// - `ERROR_NOT_OWNER` (288): the caller does not own the mutex.
///
/// # Win32
///
/// `SignalObjectAndWait`.
#[unsafe(no_mangle)]
pub extern "C-unwind" fn SignalObjectAndWait(
    hObjectToSignal: HANDLE,
    hObjectToWaitOn: HANDLE,
    dwMilliseconds: DWORD,
    bAlertable: BOOL,
) -> DWORD {
    call_alertable(WAIT_FAILED, || {
        let (signal, wait) = handle::signal_and_wait_objects(hObjectToSignal, hObjectToWaitOn)?;
        let left = timeout(dwMilliseconds);
        let started = Instant::now();
        let mut status = alertable::signal_and_wait(
            signal.signal()?,
            wait.waitable(),
            left,
            alertable(bAlertable),
        )
        .map_err(wait_error)?;
        if status == WaitStatus::ThreadAlerted {
            // Signaled once only: the restart is a plain wait (B41).
            let left = left.map(|t| t.saturating_sub(started.elapsed()));
            status = past_alerts(left, is_alert, |t| {
                alertable::wait_one(wait.waitable(), t, alertable(bAlertable))
            })
            .map_err(wait_error)?;
        }
        Ok(status.as_win32())
    })
    .finish()
}
