//! `SetFileCompletionNotificationModes`, which `winbase.h` declares itself.

use crate::consts::{
    ERROR_INVALID_PARAMETER, FALSE, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS,
    FILE_SKIP_SET_EVENT_ON_HANDLE, TRUE,
};
use crate::error::Error;
use crate::ffi::call;
use crate::handle;
use crate::types::{BOOL, HANDLE, UCHAR};
use std::sync::atomic::Ordering;

/// Sets what a request on `FileHandle` that succeeds inside the issuing call (cached data,
/// J102) skips: with `FILE_SKIP_COMPLETION_PORT_ON_SUCCESS` (1) it posts no packet to the
/// file's completion port — the caller handles the `TRUE` of `ReadFile`/`WriteFile` itself
/// — and with `FILE_SKIP_SET_EVENT_ON_HANDLE` (2) it does not signal the file handle. The
/// `OVERLAPPED`'s `hEvent` is set as ever. Requests that are pending at return, or fail,
/// are not affected. Flags add to those set before; none can be cleared.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) if `FileHandle` is not a file, or
/// `ERROR_INVALID_PARAMETER` (87) for a flag other than those two.
///
/// # Win32
///
/// `SetFileCompletionNotificationModes`.
#[unsafe(no_mangle)]
pub extern "C" fn SetFileCompletionNotificationModes(FileHandle: HANDLE, Flags: UCHAR) -> BOOL {
    call(FALSE, || {
        let object = handle::real_object(FileHandle)?.into_file()?;
        if Flags & !(FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | FILE_SKIP_SET_EVENT_ON_HANDLE) != 0 {
            return Err(Error(ERROR_INVALID_PARAMETER));
        }
        object.modes.fetch_or(Flags, Ordering::AcqRel);
        Ok(TRUE)
    })
}
