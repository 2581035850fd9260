//! The A forms of the pipe functions, which `winbase.h` declares itself: `CreateNamedPipeA`,
//! `WaitNamedPipeA`, `CallNamedPipeA` (the rest are in `namedpipeapi.rs`). Names are
//! UTF-8.

use crate::consts::{ERROR_INVALID_NAME, FALSE, INVALID_HANDLE_VALUE};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::namedpipeapi;
use crate::strings;
use crate::types::{BOOL, DWORD, HANDLE, LPCSTR, LPDWORD, LPSECURITY_ATTRIBUTES, LPVOID};

/// A narrow pipe name (`NULL`: `None`).
///
/// # Errors
///
/// `ERROR_INVALID_NAME` (123) for a name that is not UTF-8.
///
/// # Safety
///
/// `name` is `NULL` or a valid NUL-terminated string.
unsafe fn narrow_name(name: LPCSTR) -> Result<Option<String>> {
    // SAFETY: the caller guarantees `name`.
    match unsafe { strings::narrow_bytes(name) } {
        None => Ok(None),
        Some(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| Error(ERROR_INVALID_NAME)),
    }
}

/// [`CreateNamedPipeW`](crate::namedpipeapi::CreateNamedPipeW) with a narrow name.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// As `CreateNamedPipeW`, and `ERROR_INVALID_NAME` (123) for a name that is not UTF-8.
///
/// # Win32
///
/// `CreateNamedPipeA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateNamedPipeA(
    lpName: LPCSTR,
    dwOpenMode: DWORD,
    dwPipeMode: DWORD,
    nMaxInstances: DWORD,
    nOutBufferSize: DWORD,
    nInBufferSize: DWORD,
    nDefaultTimeOut: DWORD,
    lpSecurityAttributes: LPSECURITY_ATTRIBUTES,
) -> HANDLE {
    let _ = lpSecurityAttributes;
    call(INVALID_HANDLE_VALUE, || {
        // SAFETY: the caller guarantees `lpName`.
        let name = unsafe { narrow_name(lpName) }?;
        namedpipeapi::create_named_pipe(
            name,
            dwOpenMode,
            dwPipeMode,
            nMaxInstances,
            nOutBufferSize,
            nInBufferSize,
            nDefaultTimeOut,
        )
    })
}

/// [`WaitNamedPipeW`](crate::namedpipeapi::WaitNamedPipeW) with a narrow name.
///
/// # Safety
///
/// `lpNamedPipeName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// As `WaitNamedPipeW`.
///
/// # Win32
///
/// `WaitNamedPipeA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WaitNamedPipeA(lpNamedPipeName: LPCSTR, nTimeOut: DWORD) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller guarantees `lpNamedPipeName`.
        let name = unsafe { narrow_name(lpNamedPipeName) }?;
        namedpipeapi::wait_named_pipe(name, nTimeOut)
    })
}

/// [`CallNamedPipeW`](crate::namedpipeapi::CallNamedPipeW) with a narrow name.
///
/// # Safety
///
/// As `CallNamedPipeW`, with `lpNamedPipeName` a narrow string.
///
/// # Errors
///
/// As `CallNamedPipeW`.
///
/// # Win32
///
/// `CallNamedPipeA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CallNamedPipeA(
    lpNamedPipeName: LPCSTR,
    lpInBuffer: LPVOID,
    nInBufferSize: DWORD,
    lpOutBuffer: LPVOID,
    nOutBufferSize: DWORD,
    lpBytesRead: LPDWORD,
    nTimeOut: DWORD,
) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller guarantees the name and the buffers.
        unsafe {
            let name = narrow_name(lpNamedPipeName)?;
            namedpipeapi::call_named_pipe(
                name,
                lpInBuffer,
                nInBufferSize,
                lpOutBuffer,
                nOutBufferSize,
                lpBytesRead,
                nTimeOut,
            )
        }
    })
}
