//! The calling thread's last-error code: `GetLastError`, `SetLastError`.
//!
//! Functions set it only when they fail (and where Win32 documents a value on success, as
//! `Create…` does); successful waits and sleeps never touch it (B18, D44).

use std::cell::Cell;

use crate::types::DWORD;

thread_local! {
    static LAST_ERROR: Cell<DWORD> = const { Cell::new(0) };
}

/// A Win32 error code, as a failing function leaves it for `GetLastError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Error(pub(crate) DWORD);

/// The result of a function body: the value to return, or the error to leave.
pub(crate) type Result<T> = core::result::Result<T, Error>;

/// Sets the calling thread's last-error code. During thread teardown, after the
/// thread-local is gone, the code is dropped.
pub(crate) fn set_last_error(code: DWORD) {
    let _ = LAST_ERROR.try_with(|e| e.set(code));
}

/// The calling thread's last-error code (0 during thread teardown).
pub(crate) fn last_error() -> DWORD {
    LAST_ERROR.try_with(Cell::get).unwrap_or(0)
}
