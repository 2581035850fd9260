//! Mutexes: `CreateMutexA/W`, `ReleaseMutex`.

use alertable::Mutex;

use crate::consts::TRUE;
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::handle::{self, Object};
use crate::names;
use crate::strings;
use crate::types::{BOOL, HANDLE, LPCSTR, LPCWSTR, LPSECURITY_ATTRIBUTES};

fn create(initial_owner: BOOL, name: Option<Vec<u8>>) -> Result<HANDLE> {
    names::create_or_open(
        name,
        |o| matches!(o, Object::Mutex(_)),
        || Ok(Object::Mutex(Mutex::new(initial_owner != 0))),
    )
}

/// Creates a mutex, owned by the calling thread if `bInitialOwner` (G70).
///
/// The owner may acquire it again by waiting on it and must release it once per
/// acquisition (G69). If the owner exits while holding it, the next wait that acquires it
/// returns `WAIT_ABANDONED` (G72, G73). Names work as for `CreateEventA`; opening an
/// existing mutex by name ignores `bInitialOwner`.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// `NULL` with `ERROR_INVALID_HANDLE` (6) if the name belongs to an object of another
/// kind, or `ERROR_NO_SYSTEM_RESOURCES` (1450).
///
/// # Win32
///
/// `CreateMutexA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateMutexA(
    lpMutexAttributes: LPSECURITY_ATTRIBUTES,
    bInitialOwner: BOOL,
    lpName: LPCSTR,
) -> HANDLE {
    let _ = lpMutexAttributes;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::narrow_bytes(lpName) };
        create(bInitialOwner, name)
    })
}

/// [`CreateMutexA`] with a wide name.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// As [`CreateMutexA`], and `ERROR_NO_UNICODE_TRANSLATION` (1113) for a name that is not
/// valid UTF-32.
///
/// # Win32
///
/// `CreateMutexW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateMutexW(
    lpMutexAttributes: LPSECURITY_ATTRIBUTES,
    bInitialOwner: BOOL,
    lpName: LPCWSTR,
) -> HANDLE {
    let _ = lpMutexAttributes;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::wide_bytes(lpName) }?;
        create(bInitialOwner, name)
    })
}

/// Gives up one acquisition of the mutex by the calling thread; it is free once every
/// acquisition is released. Any handle to the mutex will do, whatever its access rights,
/// as on Windows (G69).
///
/// # Errors
///
/// `FALSE` with `ERROR_NOT_OWNER` (288) if the calling thread does not own it (G68, G69),
/// or `ERROR_INVALID_HANDLE` (6) if `hMutex` is not a mutex.
///
/// # Win32
///
/// `ReleaseMutex`.
#[unsafe(no_mangle)]
pub extern "C" fn ReleaseMutex(hMutex: HANDLE) -> BOOL {
    call(0, || {
        let mutex = handle::object(hMutex)?.into_mutex()?;
        mutex.release().map_err(|e| Error(e.win32_error()))?;
        Ok(TRUE)
    })
}
