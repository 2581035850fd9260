//! The results of overlapped requests: `GetOverlappedResult(Ex)`.

use crate::consts::{
    ERROR_IO_INCOMPLETE, FALSE, STATUS_PENDING, SYNCHRONIZE, TRUE, WAIT_IO_COMPLETION, WAIT_TIMEOUT,
};
use crate::error::{Error, Result};
use crate::ffi::{call, call_alertable};
use crate::handle::{self, Object};
use crate::overlapped::{OverlappedRef, error_of_status};
use crate::synchapi::wait::{alertable, is_alert, past_alerts, timeout, wait_error};
use crate::types::{BOOL, DWORD, HANDLE, LPDWORD, LPOVERLAPPED};
use alertable::WaitStatus;

/// Reports the result of the request `lpOverlapped` describes, from its `Internal` (the
/// status) and `InternalHigh` (the bytes transferred, written to
/// `*lpNumberOfBytesTransferred`).
///
/// While `Internal` is `STATUS_PENDING`: without `bWait`, fails with `ERROR_IO_INCOMPLETE`
/// (996) and leaves `*lpNumberOfBytesTransferred` alone; with it, waits — on `hEvent` if
/// set, else on the request — then reports; an `hEvent` signaled while `Internal` still
/// says pending reports success (J114). The wait is not alertable. `hFile` is used only
/// for that wait, as on Windows (a finished `OVERLAPPED` is reported whatever `hFile` is).
///
/// # Safety
///
/// `lpOverlapped` is `NULL` or a valid, aligned `OVERLAPPED`; `lpNumberOfBytesTransferred`
/// is `NULL` or writable.
///
/// # Errors
///
/// `FALSE` with:
/// - the request's error: `ERROR_HANDLE_EOF` (38), `ERROR_OPERATION_ABORTED` (995), … —
///   `Internal`'s `NTSTATUS` as Win32 names it (J100, J114, K116);
/// - `ERROR_IO_INCOMPLETE` (996): still in progress and `bWait` is `FALSE`;
/// - `ERROR_INVALID_HANDLE` (6): it had to wait, and `hEvent` (or, without one, `hFile`)
///   is not a handle to wait on;
/// - `ERROR_ACCESS_DENIED` (5): it had to wait, and that handle lacks `SYNCHRONIZE`;
/// - `ERROR_NOACCESS` (998): a `NULL` pointer argument (Windows crashes).
///
/// # Win32
///
/// `GetOverlappedResult`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetOverlappedResult(
    hFile: HANDLE,
    lpOverlapped: LPOVERLAPPED,
    lpNumberOfBytesTransferred: LPDWORD,
    bWait: BOOL,
) -> BOOL {
    let ms = if bWait != 0 {
        crate::consts::INFINITE
    } else {
        0
    };
    call(FALSE, || {
        // SAFETY: the caller's guarantees, passed on.
        unsafe { overlapped_result(hFile, lpOverlapped, lpNumberOfBytesTransferred, ms, 0) }
    })
}

/// [`GetOverlappedResult`] with a timeout, alertable if `bAlertable`: waits up to
/// `dwMilliseconds` (0: not at all, as `bWait` `FALSE`), and APCs — completion routines
/// among them — end the wait.
///
/// # Safety
///
/// As [`GetOverlappedResult`].
///
/// # Errors
///
/// As [`GetOverlappedResult`], and `FALSE` with `WAIT_TIMEOUT` (258) when the time ran out,
/// or `WAIT_IO_COMPLETION` (192) when APCs ran.
///
/// # Win32
///
/// `GetOverlappedResultEx`.
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn GetOverlappedResultEx(
    hFile: HANDLE,
    lpOverlapped: LPOVERLAPPED,
    lpNumberOfBytesTransferred: LPDWORD,
    dwMilliseconds: DWORD,
    bAlertable: BOOL,
) -> BOOL {
    call_alertable(FALSE, || {
        // SAFETY: the caller's guarantees, passed on.
        unsafe {
            overlapped_result(
                hFile,
                lpOverlapped,
                lpNumberOfBytesTransferred,
                dwMilliseconds,
                bAlertable,
            )
        }
    })
    .finish()
}

/// The body of `GetOverlappedResult(Ex)`.
///
/// # Safety
///
/// `ov` is `NULL` or a valid, aligned `OVERLAPPED`; `done` is `NULL` or writable.
unsafe fn overlapped_result(
    file: HANDLE,
    ov: LPOVERLAPPED,
    done: LPDWORD,
    ms: DWORD,
    alertable_flag: BOOL,
) -> Result<BOOL> {
    let ov = OverlappedRef::new(handle::required(ov)?.cast_mut());
    let done = handle::required(done)?.cast_mut();
    // SAFETY: the caller guarantees a readable, aligned OVERLAPPED.
    let (status, _) = unsafe { ov.result() };
    if status == STATUS_PENDING as usize {
        if ms == 0 {
            return Err(Error(ERROR_IO_INCOMPLETE));
        }
        // As Windows: wait on hEvent if there is one, else on the file — here on the
        // request itself when it is still in flight, which the file's state follows.
        // SAFETY: as above.
        let event = unsafe { ov.event() };
        let outcome = if event.is_null() {
            let file = handle::with_access(file, SYNCHRONIZE, Object::into_file)?;
            match file.request_for(ov.addr()) {
                Some(request) => past_alerts(timeout(ms), is_alert, |t| {
                    alertable::wait_one(request.done(), t, alertable(alertable_flag))
                }),
                None => past_alerts(timeout(ms), is_alert, |t| {
                    alertable::wait_one(file.signal(), t, alertable(alertable_flag))
                }),
            }
        } else {
            let object = handle::with_access(event, SYNCHRONIZE, Ok)?;
            past_alerts(timeout(ms), is_alert, |t| {
                alertable::wait_one(object.waitable(), t, alertable(alertable_flag))
            })
        }
        .map_err(wait_error)?;
        match outcome {
            // `past_alerts` waits on after an alert: it never returns one.
            WaitStatus::TimedOut | WaitStatus::ThreadAlerted => return Err(Error(WAIT_TIMEOUT)),
            WaitStatus::Alerted => return Err(Error(WAIT_IO_COMPLETION)),
            WaitStatus::Signaled(_) | WaitStatus::Abandoned(_) => {}
        }
    }
    // SAFETY: as above.
    let (status, bytes) = unsafe { ov.result() };
    // SAFETY: non-NULL (checked), and the caller guarantees it is writable.
    unsafe { done.write(bytes as DWORD) };
    // Still pending after the wait (an event signaled by someone else): a success (J114).
    match status as u32 {
        0 | STATUS_PENDING => Ok(TRUE),
        status => Err(Error(error_of_status(status))),
    }
}
