//! Semaphores: `CreateSemaphoreA/W`, `ReleaseSemaphore`.

use alertable::Semaphore;

use crate::consts::{ERROR_INVALID_PARAMETER, SEMAPHORE_MODIFY_STATE, TRUE};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::handle::{self, Object};
use crate::names;
use crate::strings;
use crate::types::{BOOL, HANDLE, LONG, LPCWSTR, LPLONG, LPSECURITY_ATTRIBUTES};

pub(crate) fn create(initial: LONG, maximum: LONG, name: Option<Vec<u8>>) -> Result<HANDLE> {
    // Checked before the name is looked up, as Windows does (F63).
    let (Ok(initial), Ok(maximum)) = (u32::try_from(initial), u32::try_from(maximum)) else {
        return Err(Error(ERROR_INVALID_PARAMETER));
    };
    let semaphore = Semaphore::new(initial, maximum).map_err(|e| Error(e.win32_error()))?;
    names::create_or_open(
        name,
        |o| matches!(o, Object::Semaphore(_)),
        || Ok(Object::Semaphore(semaphore)),
    )
}

/// [`CreateSemaphoreA`](crate::CreateSemaphoreA) with a wide name.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// As [`CreateSemaphoreA`](crate::CreateSemaphoreA), and `ERROR_NO_UNICODE_TRANSLATION` (1113) for a name that is
/// not valid UTF-32.
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
        create(lInitialCount, lMaximumCount, name)
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
