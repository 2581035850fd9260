//! Cancelling the calling thread's, or one, overlapped request: `CancelIo`, `CancelIoEx`;
//! and another thread's synchronous I/O: `CancelSynchronousIo` (`sync_io.rs`).

use crate::consts::{ERROR_NOT_FOUND, FALSE, THREAD_TERMINATE, TRUE};
use crate::error::Error;
use crate::ffi::call;
use crate::handle::{self, Object};
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

/// Cancels the synchronous I/O the thread `hThread` is blocked in: a `ReadFile` or
/// `WriteFile` on a handle opened without `FILE_FLAG_OVERLAPPED` or a standard handle, or a
/// `ReadConsole`, waiting for a pipe, FIFO, terminal or socket. That call fails with
/// `ERROR_OPERATION_ABORTED` (995); this one returns `TRUE` and leaves the last error
/// alone (K120). Overlapped requests are not synchronous I/O (use `CancelIoEx`).
///
/// # Errors
///
/// `FALSE` with:
/// - `ERROR_NOT_FOUND` (1168): the thread is not blocked in synchronous I/O — it runs,
///   waits for something else (overlapped I/O included), or is the calling thread (K120);
/// - `ERROR_INVALID_HANDLE` (6): not a thread handle;
/// - `ERROR_ACCESS_DENIED` (5): the handle lacks `THREAD_TERMINATE`.
///
/// # Win32
///
/// `CancelSynchronousIo`. Windows also cancels synchronous `ConnectNamedPipe` and other
/// device requests; here, the reads and writes above.
#[unsafe(no_mangle)]
pub extern "C" fn CancelSynchronousIo(hThread: HANDLE) -> BOOL {
    call(FALSE, || {
        let thread = handle::with_access(hThread, THREAD_TERMINATE, Object::into_thread)?;
        if crate::sync_io::cancel(thread.handle().id()) {
            Ok(TRUE)
        } else {
            Err(Error(ERROR_NOT_FOUND))
        }
    })
}
