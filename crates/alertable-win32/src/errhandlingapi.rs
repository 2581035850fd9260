//! `errhandlingapi.h`: the calling thread's last-error code.

use crate::error::{last_error, set_last_error};
use crate::types::DWORD;

/// Returns the calling thread's last-error code.
///
/// # Win32
///
/// `GetLastError`.
#[unsafe(no_mangle)]
pub extern "C" fn GetLastError() -> DWORD {
    last_error()
}

/// Sets the calling thread's last-error code.
///
/// # Win32
///
/// `SetLastError`.
#[unsafe(no_mangle)]
pub extern "C" fn SetLastError(dwErrCode: DWORD) {
    set_last_error(dwErrCode);
}
