//! The current process: `ExitProcess`, `GetCurrentProcess`, `GetCurrentProcessId`.

use crate::handle::CURRENT_PROCESS;
use crate::sys;
use crate::types::{DWORD, HANDLE, UINT};

/// Ends the process with exit code `uExitCode` (its low 8 bits are the Linux exit status):
/// `atexit` handlers run and C streams are flushed, as Windows flushes the C runtime's.
///
/// # Win32
///
/// `ExitProcess`.
#[unsafe(no_mangle)]
pub extern "C" fn ExitProcess(uExitCode: UINT) -> ! {
    // The calling thread's thread-local destructors run inside `exit`: they need not wait
    // for its overlapped requests.
    crate::overlapped::process_exiting();
    sys::exit_process(uExitCode)
}

/// Returns the pseudo-handle of the current process, `(HANDLE)-1` (equal to
/// `INVALID_HANDLE_VALUE`). Waiting on it times out (C38).
///
/// # Win32
///
/// `GetCurrentProcess`.
#[unsafe(no_mangle)]
pub extern "C" fn GetCurrentProcess() -> HANDLE {
    CURRENT_PROCESS
}

/// Returns the process id.
///
/// # Win32
///
/// `GetCurrentProcessId`.
#[unsafe(no_mangle)]
pub extern "C" fn GetCurrentProcessId() -> DWORD {
    sys::process_id()
}
