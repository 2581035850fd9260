//! Cancelling the calling thread's, or one, overlapped request: `CancelIo`, `CancelIoEx`.

use crate::consts::{ERROR_NOT_FOUND, FALSE, TRUE};
use crate::error::Error;
use crate::ffi::call;
use crate::handle;
use crate::types::{BOOL, HANDLE, LPOVERLAPPED};

/// Cancels the requests the calling thread issued on the file, through any of its handles
/// (K118), that are still in flight: each completes with `ERROR_OPERATION_ABORTED` (995) —
/// `Internal` becomes `STATUS_CANCELLED`, its event is signaled, its routine runs in a later
/// alertable wait, its packet is posted (K115). Cancellation completes as the requests'
/// completions do, shortly after this call returns: wait for them as for any completion.
/// Succeeds also with nothing to cancel.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) for a handle that is not a file (K118: a closed
/// one included).
///
/// # Win32
///
/// `CancelIo`.
#[unsafe(no_mangle)]
pub extern "C" fn CancelIo(hFile: HANDLE) -> BOOL {
    call(FALSE, || {
        let file = handle::real_object(hFile)?.into_file()?;
        let me = crate::overlapped::thread_key();
        for request in file.pending() {
            if request.thread() == me {
                request.cancel();
            }
        }
        Ok(TRUE)
    })
}

/// Cancels the request issued with `lpOverlapped` on the file, by any thread — or, with
/// `NULL`, every request in flight on the file (K116, K117); they complete as
/// [`CancelIo`]'s do.
///
/// # Errors
///
/// `FALSE` with:
/// - `ERROR_NOT_FOUND` (1168): nothing to cancel — no such request, or it completed or was
///   cancelled already (K116);
/// - `ERROR_INVALID_HANDLE` (6): not a file.
///
/// # Win32
///
/// `CancelIoEx`.
#[unsafe(no_mangle)]
pub extern "C" fn CancelIoEx(hFile: HANDLE, lpOverlapped: LPOVERLAPPED) -> BOOL {
    call(FALSE, || {
        let file = handle::real_object(hFile)?.into_file()?;
        let cancelled = file
            .pending()
            .iter()
            .filter(|r| lpOverlapped.is_null() || r.overlapped().addr() == lpOverlapped.addr())
            .filter(|r| r.cancel())
            .count();
        if cancelled == 0 {
            return Err(Error(ERROR_NOT_FOUND));
        }
        Ok(TRUE)
    })
}
