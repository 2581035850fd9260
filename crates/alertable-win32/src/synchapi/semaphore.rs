//! Semaphores: `CreateSemaphoreW`, `CreateSemaphoreExW`, `OpenSemaphoreW`,
//! `ReleaseSemaphore` (the A forms are in `winbase`, where Windows declares them).

use alertable::Semaphore;

use crate::consts::{ERROR_INVALID_PARAMETER, SEMAPHORE_MODIFY_STATE, TRUE};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::handle::{self, Object};
use crate::names::{self, Access, Kind};
use crate::strings;
use crate::types::{BOOL, DWORD, HANDLE, LONG, LPCWSTR, LPLONG, LPSECURITY_ATTRIBUTES};

/// The body of `CreateSemaphore(Ex)A/W`.
pub(crate) fn create(
    initial: LONG,
    maximum: LONG,
    name: Option<Vec<u8>>,
    access: Access,
) -> Result<HANDLE> {
    // Checked before the name is looked up, as Windows does (F63).
    let (Ok(initial), Ok(maximum)) = (u32::try_from(initial), u32::try_from(maximum)) else {
        return Err(Error(ERROR_INVALID_PARAMETER));
    };
    let semaphore = Semaphore::new(initial, maximum).map_err(|e| Error(e.win32_error()))?;
    names::create_shared(
        Kind::Semaphore,
        name,
        access,
        || Ok(Object::Semaphore(semaphore)),
        |name| match Semaphore::create_named(name, initial, maximum) {
            Ok(opened) => Ok(opened.map(Object::Semaphore)),
            Err(Ok(e)) => Err(Error(e.win32_error())),
            Err(Err(e)) => Err(names::name_error(e)),
        },
    )
}

/// The body of `OpenSemaphoreA/W`.
pub(crate) fn open(desired: DWORD, name: Option<Vec<u8>>) -> Result<HANDLE> {
    names::open_shared(Kind::Semaphore, desired, name, |name| {
        Semaphore::open(name).map(Object::Semaphore)
    })
}

/// [`CreateSemaphoreA`](crate::CreateSemaphoreA) with a wide name.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// As [`CreateSemaphoreA`](crate::CreateSemaphoreA), and `ERROR_NO_UNICODE_TRANSLATION`
/// (1113) for a name that is not valid UTF-32.
///
/// # Win32
///
/// `CreateSemaphoreW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateSemaphoreW(
    lpSemaphoreAttributes: LPSECURITY_ATTRIBUTES,
    lInitialCount: LONG,
    lMaximumCount: LONG,
    lpName: LPCWSTR,
) -> HANDLE {
    let _ = lpSemaphoreAttributes;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::wide_bytes(lpName) }?;
        create(lInitialCount, lMaximumCount, name, Access::All)
    })
}

/// [`CreateSemaphoreW`] with an access mask: the handle gets the rights `dwDesiredAccess`
/// maps to (R2 in `handle.rs`), whether the semaphore is new or existed. `dwFlags` is
/// reserved; it is ignored.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// As [`CreateSemaphoreW`]; `ERROR_ACCESS_DENIED` (5) for a bit that is no right of a
/// semaphore, `ERROR_PRIVILEGE_NOT_HELD` (1314) for `ACCESS_SYSTEM_SECURITY`, before
/// anything is made.
///
/// # Win32
///
/// `CreateSemaphoreExW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateSemaphoreExW(
    lpSemaphoreAttributes: LPSECURITY_ATTRIBUTES,
    lInitialCount: LONG,
    lMaximumCount: LONG,
    lpName: LPCWSTR,
    dwFlags: DWORD,
    dwDesiredAccess: DWORD,
) -> HANDLE {
    let _ = (lpSemaphoreAttributes, dwFlags);
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::wide_bytes(lpName) }?;
        let access = Access::Desired(dwDesiredAccess);
        create(lInitialCount, lMaximumCount, name, access)
    })
}

/// Opens the semaphore called `lpName`, created by this process or another of the user,
/// with the rights `dwDesiredAccess` maps to (R2 in `handle.rs`). `bInheritHandle` is
/// accepted and ignored: there is no handle inheritance.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// As `OpenEventA`: `ERROR_INVALID_PARAMETER` (87) for a `NULL` name,
/// `ERROR_FILE_NOT_FOUND` (2), `ERROR_INVALID_HANDLE` (6) for another kind's name,
/// `ERROR_ACCESS_DENIED` (5), and the name errors.
///
/// # Win32
///
/// `OpenSemaphoreW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn OpenSemaphoreW(
    dwDesiredAccess: DWORD,
    bInheritHandle: BOOL,
    lpName: LPCWSTR,
) -> HANDLE {
    let _ = bInheritHandle;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::wide_bytes(lpName) }?;
        open(dwDesiredAccess, name)
    })
}

/// Adds `lReleaseCount` to the semaphore's count, releasing that many waiters, and writes
/// the previous count to `*lpPreviousCount` (if not `NULL`).
///
/// # Safety
///
/// `lpPreviousCount` is `NULL` or valid for writing a `LONG`.
///
/// # Errors
///
/// `FALSE` with `*lpPreviousCount` untouched and:
/// - `ERROR_TOO_MANY_POSTS` (298): the count would exceed the maximum; it is unchanged
///   (F64, F65);
/// - `ERROR_INVALID_PARAMETER` (87): `lReleaseCount` is below 1;
/// - `ERROR_INVALID_HANDLE` (6): `hSemaphore` is not a semaphore;
/// - `ERROR_ACCESS_DENIED` (5): the handle lacks `SEMAPHORE_MODIFY_STATE`.
///
/// # Win32
///
/// `ReleaseSemaphore`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ReleaseSemaphore(
    hSemaphore: HANDLE,
    lReleaseCount: LONG,
    lpPreviousCount: LPLONG,
) -> BOOL {
    call(0, || {
        let semaphore =
            handle::with_access(hSemaphore, SEMAPHORE_MODIFY_STATE, Object::into_semaphore)?;
        let n = u32::try_from(lReleaseCount).map_err(|_| Error(ERROR_INVALID_PARAMETER))?;
        let previous = semaphore.release(n).map_err(|e| Error(e.win32_error()))?;
        if !lpPreviousCount.is_null() {
            // The count never exceeds the maximum, which came from a LONG.
            let previous = LONG::try_from(previous).unwrap_or(LONG::MAX);
            // SAFETY: non-NULL, and the caller guarantees it is writable.
            unsafe { lpPreviousCount.write(previous) };
        }
        Ok(TRUE)
    })
}
