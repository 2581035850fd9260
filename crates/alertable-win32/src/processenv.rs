//! The standard handles (`processenv.h`): `GetStdHandle`.
//!
//! A standard handle is a fixed pseudo-handle standing for file descriptor 0, 1 or 2,
//! outside the handle table (`CloseHandle` refuses it): `WriteConsole` and `ReadConsole`
//! (`consoleapi.rs`) take them, and so do `ReadFile` and `WriteFile` (`fileapi/file.rs`),
//! synchronously: blocking reads and writes of the descriptor, without an `OVERLAPPED`.

use crate::consts::{ERROR_INVALID_HANDLE, STD_ERROR_HANDLE, STD_INPUT_HANDLE, STD_OUTPUT_HANDLE};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::sys;
use crate::types::{DWORD, HANDLE};

/// The handle values of descriptors 0, 1 and 2: above 2^31, where no handle of the table
/// lies (`handle.rs`, H1), and unlike the pseudo-handles of the current thread and process.
const STD_HANDLES: [usize; 3] = [0x5354_4400_0010, 0x5354_4400_0020, 0x5354_4400_0030];

/// Which standard stream a standard handle stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    /// Descriptor 0.
    Input,
    /// Descriptor 1.
    Output,
    /// Descriptor 2.
    Error,
}

impl Stream {
    /// The file descriptor.
    pub(crate) fn fd(self) -> libc::c_int {
        match self {
            Self::Input => 0,
            Self::Output => 1,
            Self::Error => 2,
        }
    }
}

/// The stream `h` stands for, if it is a standard handle.
pub(crate) fn std_stream(h: HANDLE) -> Option<Stream> {
    match STD_HANDLES.iter().position(|&v| v == h.addr())? {
        0 => Some(Stream::Input),
        1 => Some(Stream::Output),
        _ => Some(Stream::Error),
    }
}

fn std_handle(which: DWORD) -> Result<HANDLE> {
    let stream = match which {
        STD_INPUT_HANDLE => Stream::Input,
        STD_OUTPUT_HANDLE => Stream::Output,
        STD_ERROR_HANDLE => Stream::Error,
        _ => return Err(Error(ERROR_INVALID_HANDLE)),
    };
    if !sys::is_open(stream.fd()) {
        // The process has no such stream: `NULL`, as Windows returns without one.
        return Ok(std::ptr::null_mut());
    }
    Ok(std::ptr::without_provenance_mut(
        STD_HANDLES[stream.fd() as usize],
    ))
}

/// Returns the handle of standard input, output or error (`STD_INPUT_HANDLE`,
/// `STD_OUTPUT_HANDLE`, `STD_ERROR_HANDLE`): a pseudo-handle for descriptor 0, 1 or 2 that
/// `WriteConsole`, `ReadConsole`, `WriteFile` and `ReadFile` accept (see the module
/// documentation), or `NULL` if
/// that descriptor is closed.
///
/// # Errors
///
/// `INVALID_HANDLE_VALUE` with `ERROR_INVALID_HANDLE` (6) for another `nStdHandle`.
///
/// # Win32
///
/// `GetStdHandle`.
#[unsafe(no_mangle)]
pub extern "C" fn GetStdHandle(nStdHandle: DWORD) -> HANDLE {
    call(crate::consts::INVALID_HANDLE_VALUE, || {
        std_handle(nStdHandle)
    })
}
