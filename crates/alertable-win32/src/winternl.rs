//! `winternl.h`: the NT layer beneath the Win32 APC and wait functions, for ported code
//! that calls it — usually through `GetProcAddress(GetModuleHandle("ntdll.dll"), …)`
//! (`libloaderapi.rs`).
//!
//! `NtClose` and `NtWaitForSingleObject` are the ones Microsoft documents in `winternl.h`;
//! `NtQueueApcThread(Ex)`, `NtTestAlert`, `NtAlertThread`, `NtDelayExecution` and
//! `NtWaitForMultipleObjects` are exported by Windows' `ntdll.dll` without an SDK
//! declaration, and are declared in the same header here, in a section of their own.
//!
//! Every function returns an `NTSTATUS` and never changes the last error (B18). Waits map
//! their outcome to `STATUS_WAIT_0 + i`, `STATUS_ABANDONED_WAIT_0 + i`, `STATUS_USER_APC`
//! (APCs ran), `STATUS_ALERTED` (the thread was alerted) or `STATUS_TIMEOUT`; timeouts are
//! `LARGE_INTEGER`s in 100-nanosecond units, negative for relative, positive for an
//! absolute `FILETIME` (converted to a relative one when the wait starts), `NULL` for none.

use std::time::{Duration, SystemTime};

use alertable::{Alertable, SleepStatus, WaitError, WaitStatus, Waitable};

use crate::consts::{
    ERROR_ACCESS_DENIED, ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_NOACCESS,
    ERROR_NOT_SUPPORTED, MAXIMUM_WAIT_OBJECTS, STATUS_ACCESS_DENIED, STATUS_ACCESS_VIOLATION,
    STATUS_ALERTED, STATUS_INTERNAL_ERROR, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER,
    STATUS_INVALID_PARAMETER_1, STATUS_INVALID_PARAMETER_3, STATUS_INVALID_PARAMETER_MIX,
    STATUS_NOT_SUPPORTED, STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS, STATUS_UNSUCCESSFUL,
    STATUS_USER_APC, SYNCHRONIZE, THREAD_ALERT, THREAD_SET_CONTEXT, WaitAll, WaitAny,
};
use crate::error::Error;
use crate::ffi::{Completion, call, call_alertable};
use crate::filetime::system_time_from_filetime;
use crate::handle::{self, Object};
use crate::processthreadsapi::apc::{ApcKind, queue};
use crate::types::{
    BOOLEAN, HANDLE, LARGE_INTEGER, NTSTATUS, PNTAPCFUNC, ULONG, ULONG_PTR, WAIT_TYPE,
};

/// The `NTSTATUS` of a Win32 error left by the helpers shared with the Win32 functions.
fn status_of(Error(code): Error) -> NTSTATUS {
    match code {
        ERROR_INVALID_HANDLE => STATUS_INVALID_HANDLE,
        ERROR_ACCESS_DENIED => STATUS_ACCESS_DENIED,
        ERROR_INVALID_PARAMETER => STATUS_INVALID_PARAMETER,
        ERROR_NOACCESS => STATUS_ACCESS_VIOLATION,
        ERROR_NOT_SUPPORTED => STATUS_NOT_SUPPORTED,
        // A thread that has exited (ERROR_GEN_FAILURE, A4), and anything else.
        _ => STATUS_UNSUCCESSFUL,
    }
}

type NtResult = Result<NTSTATUS, NTSTATUS>;

/// Runs the body of an NT function that runs no C callback. The last error is left alone
/// (only a bug of this library, a caught panic, sets it).
fn nt(body: impl FnOnce() -> NtResult) -> NTSTATUS {
    call(STATUS_INTERNAL_ERROR, || Ok(body().unwrap_or_else(|s| s)))
}

/// Runs the body of an NT function that can run APCs (`ffi.rs`, X1, X3).
fn nt_alertable(body: impl FnOnce() -> NtResult) -> Completion<NTSTATUS> {
    call_alertable(STATUS_INTERNAL_ERROR, || Ok(body().unwrap_or_else(|s| s)))
}

/// An NT timeout: `None` for `NULL` (no timeout).
///
/// # Safety
///
/// `timeout` is `NULL` or valid for reading a `LARGE_INTEGER`.
unsafe fn nt_timeout(timeout: *const LARGE_INTEGER) -> Option<Duration> {
    if timeout.is_null() {
        return None;
    }
    // SAFETY: non-NULL, and the caller guarantees it is readable; every bit pattern of
    // the union is a valid `LONGLONG`.
    let ticks = unsafe { (*timeout).QuadPart };
    let hundreds = |t: u64| Duration::from_nanos(t.saturating_mul(100));
    Some(if ticks <= 0 {
        hundreds(ticks.unsigned_abs())
    } else {
        let due = system_time_from_filetime(ticks.unsigned_abs());
        due.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
    })
}

fn alertable(flag: BOOLEAN) -> Alertable {
    if flag != 0 {
        Alertable::Yes
    } else {
        Alertable::No
    }
}

/// The `NTSTATUS` of a wait's outcome.
fn wait_status(status: WaitStatus) -> NTSTATUS {
    // STATUS_WAIT_0 + i, STATUS_ABANDONED_WAIT_0 + i, STATUS_USER_APC, STATUS_TIMEOUT and
    // STATUS_ALERTED have the values of the Win32 wait results, all below 0x200.
    status.as_win32() as NTSTATUS
}

/// The `NTSTATUS` of a wait that could not start.
fn wait_error(error: WaitError) -> NTSTATUS {
    match error {
        WaitError::NoObjects | WaitError::TooManyObjects => STATUS_INVALID_PARAMETER_1,
        WaitError::DuplicateObject => STATUS_INVALID_PARAMETER_MIX,
        other => status_of(Error(other.win32_error())),
    }
}

// ---------------------------------------------------------------------------------------
// Documented in winternl.h.

/// Closes a handle.
///
/// # Errors
///
/// `STATUS_INVALID_HANDLE` (0xC0000008) for a handle that is not open.
///
/// # Win32
///
/// `NtClose` (`winternl.h`), as `CloseHandle`.
#[unsafe(no_mangle)]
pub extern "C" fn NtClose(Handle: HANDLE) -> NTSTATUS {
    nt(|| {
        let entry = handle::remove(Handle).map_err(status_of)?;
        drop(entry); // after the table lock, as `CloseHandle`
        Ok(STATUS_SUCCESS)
    })
}

/// Waits for one object, as `WaitForSingleObjectEx`, with an NT timeout and NT results:
/// `STATUS_WAIT_0` (0), `STATUS_ABANDONED_WAIT_0` (0x80), `STATUS_USER_APC` (0xC0, APCs
/// ran, B22), `STATUS_ALERTED` (0x101, `NtAlertThread`, B41) or `STATUS_TIMEOUT` (0x102).
/// The pseudo-handles time out (C38).
///
/// # Safety
///
/// `Timeout` is `NULL` or valid for reading.
///
/// # Errors
///
/// `STATUS_INVALID_HANDLE` (0xC0000008), `STATUS_ACCESS_DENIED` (0xC0000022) for a handle
/// without `SYNCHRONIZE`.
///
/// # Win32
///
/// `NtWaitForSingleObject` (`winternl.h`).
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn NtWaitForSingleObject(
    Handle: HANDLE,
    Alertable: BOOLEAN,
    Timeout: *const LARGE_INTEGER,
) -> NTSTATUS {
    nt_alertable(|| {
        let object = handle::with_access(Handle, SYNCHRONIZE, Ok).map_err(status_of)?;
        // SAFETY: the caller's guarantee on `Timeout`.
        let timeout = unsafe { nt_timeout(Timeout) };
        let status = alertable::wait_one(object.waitable(), timeout, alertable(Alertable))
            .map_err(wait_error)?;
        Ok(wait_status(status))
    })
    .finish()
}

// ---------------------------------------------------------------------------------------
// Exported by ntdll.dll, not declared by the SDK.

/// Waits for any (`WaitAny`, 1) or all (`WaitAll`, 0) of `Count` objects, as
/// `WaitForMultipleObjectsEx`, with NT results: `STATUS_WAIT_0 + i`,
/// `STATUS_ABANDONED_WAIT_0 + i`, `STATUS_USER_APC` (B22, B23), `STATUS_ALERTED` or
/// `STATUS_TIMEOUT` (D45).
///
/// # Safety
///
/// `Handles` is `NULL` or valid for reading `Count` handles; `Timeout` is `NULL` or valid
/// for reading.
///
/// # Errors
///
/// - `STATUS_INVALID_PARAMETER_1` (0xC00000EF): `Count` is 0 or above 64 (D46);
/// - `STATUS_INVALID_PARAMETER_3` (0xC00000F1): another wait type;
/// - `STATUS_INVALID_HANDLE` (0xC0000008): a handle is not open, or is a pseudo-handle
///   (D47); `STATUS_ACCESS_DENIED` (0xC0000022): it lacks `SYNCHRONIZE`;
/// - `STATUS_INVALID_PARAMETER_MIX` (0xC0000030): an object twice in a wait-all (D50);
/// - `STATUS_ACCESS_VIOLATION` (0xC0000005): `Handles` is `NULL`.
///
/// # Win32
///
/// `NtWaitForMultipleObjects` (`ntdll.dll`).
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn NtWaitForMultipleObjects(
    Count: ULONG,
    Handles: *const HANDLE,
    WaitType: WAIT_TYPE,
    Alertable: BOOLEAN,
    Timeout: *const LARGE_INTEGER,
) -> NTSTATUS {
    nt_alertable(|| {
        if Count == 0 || Count > MAXIMUM_WAIT_OBJECTS {
            return Err(STATUS_INVALID_PARAMETER_1);
        }
        if WaitType != WaitAll && WaitType != WaitAny {
            return Err(STATUS_INVALID_PARAMETER_3);
        }
        let handles = handle::required(Handles).map_err(status_of)?;
        // SAFETY: non-NULL (checked), `Count` ≤ 64, and the caller guarantees `Count`
        // readable handles.
        let handles = unsafe { core::slice::from_raw_parts(handles, Count as usize) };
        let objects = handle::real_objects_with(handles, SYNCHRONIZE).map_err(status_of)?;
        let waitables: Vec<&dyn Waitable> = objects.iter().map(Object::waitable).collect();
        // SAFETY: the caller's guarantee on `Timeout`.
        let timeout = unsafe { nt_timeout(Timeout) };
        let status = if WaitType == WaitAll {
            alertable::wait_all(&waitables, timeout, alertable(Alertable))
        } else {
            alertable::wait_any(&waitables, timeout, alertable(Alertable))
        }
        .map_err(wait_error)?;
        Ok(wait_status(status))
    })
    .finish()
}

/// Sleeps for the interval `DelayInterval` points to, running APCs if `Alertable`:
/// `STATUS_SUCCESS` (0) when it elapsed, `STATUS_USER_APC` (0xC0) when APCs ran (B17),
/// `STATUS_ALERTED` (0x101) when the thread was alerted (B41). A zero interval gives up
/// the time slice. Never changes the last error (B18).
///
/// # Safety
///
/// `DelayInterval` is `NULL` or valid for reading.
///
/// # Errors
///
/// `STATUS_ACCESS_VIOLATION` (0xC0000005) for a `NULL` interval (Windows reads it
/// unchecked).
///
/// # Win32
///
/// `NtDelayExecution` (`ntdll.dll`), beneath `SleepEx`.
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn NtDelayExecution(
    Alertable: BOOLEAN,
    DelayInterval: *const LARGE_INTEGER,
) -> NTSTATUS {
    nt_alertable(|| {
        if DelayInterval.is_null() {
            return Err(STATUS_ACCESS_VIOLATION);
        }
        // SAFETY: the caller's guarantee on `DelayInterval`.
        let interval = unsafe { nt_timeout(DelayInterval) };
        Ok(match alertable::sleep_ex(interval, alertable(Alertable)) {
            SleepStatus::Elapsed => STATUS_SUCCESS,
            SleepStatus::Alerted => STATUS_USER_APC as NTSTATUS,
            SleepStatus::ThreadAlerted => STATUS_ALERTED,
        })
    })
    .finish()
}

/// Runs the calling thread's pending APCs now, without waiting, and returns
/// `STATUS_SUCCESS` (0) whether any ran or not (A3). If the thread was alerted
/// (`NtAlertThread`), takes the alert instead and returns `STATUS_ALERTED` (0x101),
/// leaving the APCs queued (B41).
///
/// # Win32
///
/// `NtTestAlert` (`ntdll.dll`).
#[unsafe(no_mangle)]
pub extern "C-unwind" fn NtTestAlert() -> NTSTATUS {
    nt_alertable(|| {
        if alertable::take_alert() {
            return Ok(STATUS_ALERTED);
        }
        alertable::test_alert();
        Ok(STATUS_SUCCESS)
    })
    .finish()
}

/// Alerts the thread: its current alertable wait, or its next one (`SleepEx`,
/// `WaitFor…Ex`, `NtDelayExecution`, `NtWaitFor…` with `Alertable`), ends. The NT waits
/// return `STATUS_ALERTED` (0x101); the Win32 waits, as on Windows, wait on for the rest of
/// their timeout. Alerts do not accumulate; non-alertable waits leave them pending; an
/// object already signaled wins over a pending alert, and a pending alert over pending
/// APCs (B41). Alerting a thread that has exited succeeds and does nothing.
///
/// # Errors
///
/// `STATUS_INVALID_HANDLE` (0xC0000008) for a handle that is not a thread's;
/// `STATUS_ACCESS_DENIED` (0xC0000022) for one without `THREAD_ALERT`.
///
/// # Win32
///
/// `NtAlertThread` (`ntdll.dll`).
#[unsafe(no_mangle)]
pub extern "C" fn NtAlertThread(ThreadHandle: HANDLE) -> NTSTATUS {
    nt(|| {
        let thread = handle::with_access(ThreadHandle, THREAD_ALERT, Object::into_thread)
            .map_err(status_of)?;
        alertable::alert_thread(thread.handle());
        Ok(STATUS_SUCCESS)
    })
}

/// Queues `ApcRoutine(ApcArgument1, ApcArgument2, ApcArgument3)` to the thread as a user
/// APC, run at its next alertable wait with the three arguments unchanged (A14), FIFO
/// (A15). A `NULL` routine queues nothing and succeeds (A2).
///
/// # Safety
///
/// The call must be sound on the target thread.
///
/// # Errors
///
/// - `STATUS_INVALID_HANDLE` (0xC0000008): not a thread handle (A5);
/// - `STATUS_ACCESS_DENIED` (0xC0000022): no `THREAD_SET_CONTEXT` (A6);
/// - `STATUS_UNSUCCESSFUL` (0xC0000001): the thread has exited, also with a `NULL` routine
///   (A4).
///
/// # Win32
///
/// `NtQueueApcThread` (`ntdll.dll`), beneath `QueueUserAPC`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NtQueueApcThread(
    ThreadHandle: HANDLE,
    ApcRoutine: PNTAPCFUNC,
    ApcArgument1: ULONG_PTR,
    ApcArgument2: ULONG_PTR,
    ApcArgument3: ULONG_PTR,
) -> NTSTATUS {
    nt(|| {
        // SAFETY: the caller's guarantee, passed on.
        unsafe {
            queue_nt(
                ThreadHandle,
                ApcKind::Normal,
                ApcRoutine,
                [ApcArgument1, ApcArgument2, ApcArgument3],
            )
        }
    })
}

/// [`NtQueueApcThread`] with a reserve handle, whose value 1
/// (`QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC`) asks for a special APC, run at once wherever
/// the thread is (A10; see `QueueUserAPC2` for what such a routine may do).
///
/// # Safety
///
/// As [`NtQueueApcThread`]; for a special APC, the routine must be async-signal-safe (see
/// `QueueUserAPC2`).
///
/// # Errors
///
/// As [`NtQueueApcThread`], and for `ReserveHandle`: `STATUS_OBJECT_TYPE_MISMATCH`
/// (0xC0000024) for a handle of an object (A11; reserve objects do not exist here), and
/// `STATUS_INVALID_HANDLE` (0xC0000008) for any other value but `NULL` and 1, such as
/// `QUEUE_USER_APC_CALLBACK_DATA_CONTEXT` (A10).
///
/// # Win32
///
/// `NtQueueApcThreadEx` (`ntdll.dll`), as 64-bit Windows 10 1809 and later have it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn NtQueueApcThreadEx(
    ThreadHandle: HANDLE,
    ReserveHandle: HANDLE,
    ApcRoutine: PNTAPCFUNC,
    ApcArgument1: ULONG_PTR,
    ApcArgument2: ULONG_PTR,
    ApcArgument3: ULONG_PTR,
) -> NTSTATUS {
    nt(|| {
        let kind = match ReserveHandle as usize {
            0 => ApcKind::Normal,
            1 => ApcKind::Special,
            _ if handle::object(ReserveHandle).is_ok() => {
                return Err(STATUS_OBJECT_TYPE_MISMATCH);
            }
            _ => return Err(STATUS_INVALID_HANDLE),
        };
        // SAFETY: the caller's guarantee, passed on.
        unsafe {
            queue_nt(
                ThreadHandle,
                kind,
                ApcRoutine,
                [ApcArgument1, ApcArgument2, ApcArgument3],
            )
        }
    })
}

/// The queueing of [`NtQueueApcThread`] and [`NtQueueApcThreadEx`].
///
/// # Safety
///
/// `routine(args…)` must be sound on the target thread, as an APC of `kind`.
unsafe fn queue_nt(
    thread: HANDLE,
    kind: ApcKind,
    routine: PNTAPCFUNC,
    [a1, a2, a3]: [ULONG_PTR; 3],
) -> NtResult {
    let thread =
        handle::with_access(thread, THREAD_SET_CONTEXT, Object::into_thread).map_err(status_of)?;
    let target = thread.handle();
    let Some(routine) = routine else {
        // A2, A4: nothing to queue, but a thread that has exited still refuses it.
        return if target.is_finished() {
            Err(STATUS_UNSUCCESSFUL)
        } else {
            Ok(STATUS_SUCCESS)
        };
    };
    // SAFETY: the caller vouched for this call on the target thread, where the APC runs.
    let apc = move || unsafe { routine(a1, a2, a3) };
    // SAFETY: as above, as an APC of `kind`.
    unsafe { queue(target, kind, apc) }.map_err(status_of)?;
    Ok(STATUS_SUCCESS)
}
