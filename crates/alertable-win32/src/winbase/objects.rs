//! The object functions `winbase.h` declares itself: `PulseEvent`, `OpenMutexA`, and the
//! A forms of `CreateSemaphore(Ex)`, `OpenSemaphore`, `CreateWaitableTimer(Ex)` and
//! `OpenWaitableTimer` (their W forms and the rest of the objects' functions are in
//! `synchapi.h`).

use crate::consts::{EVENT_MODIFY_STATE, TRUE};
use crate::ffi::call;
use crate::handle::{self, Object};
use crate::names::Access;
use crate::strings;
use crate::synchapi::{mutex, semaphore, timer};
use crate::types::{BOOL, DWORD, HANDLE, LONG, LPCSTR, LPSECURITY_ATTRIBUTES};

/// Releases the threads waiting on the event at this moment — all of them for a
/// manual-reset event, at most one for an auto-reset event — and leaves the event
/// non-signaled (E57, E58). A thread not inside its wait at this moment misses the pulse.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) if `hEvent` is not an event, or
/// `ERROR_ACCESS_DENIED` (5) if the handle lacks `EVENT_MODIFY_STATE`.
///
/// # Win32
///
/// `PulseEvent`.
#[unsafe(no_mangle)]
pub extern "C" fn PulseEvent(hEvent: HANDLE) -> BOOL {
    call(0, || {
        handle::with_access(hEvent, EVENT_MODIFY_STATE, Object::into_event)?.pulse();
        Ok(TRUE)
    })
}

/// Creates a semaphore with `lInitialCount` of `lMaximumCount` counts available. Each
/// successful wait takes one count (F66); semaphores are never abandoned (F67).
///
/// Names work as for `CreateEventA`: the semaphore is shared with every process of the
/// user that names it (`ERROR_ALREADY_EXISTS` when taken, and then the counts are ignored
/// once checked). The handle has `SEMAPHORE_ALL_ACCESS`.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// `NULL` with:
/// - `ERROR_INVALID_PARAMETER` (87): a negative initial count, a maximum below 1, or an
///   initial count above the maximum (F63);
/// - `ERROR_INVALID_HANDLE` (6): the name belongs to an object of another kind;
/// - the other name errors of `CreateEventA`.
///
/// # Win32
///
/// `CreateSemaphoreA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateSemaphoreA(
    lpSemaphoreAttributes: LPSECURITY_ATTRIBUTES,
    lInitialCount: LONG,
    lMaximumCount: LONG,
    lpName: LPCSTR,
) -> HANDLE {
    let _ = lpSemaphoreAttributes;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::narrow_bytes(lpName) };
        semaphore::create(lInitialCount, lMaximumCount, name, Access::All)
    })
}

/// Creates an unarmed, non-signaled waitable timer: a manual-reset (notification) timer if
/// `bManualReset`, else a synchronization timer, which a successful wait resets.
///
/// A named timer is shared with every process of the user (`names.rs`): a name an event,
/// semaphore or mutex holds fails with `ERROR_INVALID_HANDLE` (6); a name a timer holds
/// opens it and leaves `ERROR_ALREADY_EXISTS` (183). The handle has `TIMER_ALL_ACCESS`.
///
/// # Safety
///
/// `lpTimerName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// `NULL` with `ERROR_INVALID_HANDLE` (6) if the name belongs to an object of another
/// kind, or the other name errors of `CreateEventA`.
///
/// # Win32
///
/// `CreateWaitableTimerA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateWaitableTimerA(
    lpTimerAttributes: LPSECURITY_ATTRIBUTES,
    bManualReset: BOOL,
    lpTimerName: LPCSTR,
) -> HANDLE {
    let _ = lpTimerAttributes;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpTimerName`.
        let name = unsafe { strings::narrow_bytes(lpTimerName) };
        timer::create(bManualReset != 0, name, Access::All)
    })
}

/// [`CreateSemaphoreA`] with an access mask: the handle gets the rights `dwDesiredAccess`
/// maps to (R2 in `handle.rs`), whether the semaphore is new or existed. `dwFlags` is
/// reserved; it is ignored.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// As [`CreateSemaphoreA`]; `ERROR_ACCESS_DENIED` (5) for a bit that is no right of a
/// semaphore, `ERROR_PRIVILEGE_NOT_HELD` (1314) for `ACCESS_SYSTEM_SECURITY`, before
/// anything is made.
///
/// # Win32
///
/// `CreateSemaphoreExA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateSemaphoreExA(
    lpSemaphoreAttributes: LPSECURITY_ATTRIBUTES,
    lInitialCount: LONG,
    lMaximumCount: LONG,
    lpName: LPCSTR,
    dwFlags: DWORD,
    dwDesiredAccess: DWORD,
) -> HANDLE {
    let _ = (lpSemaphoreAttributes, dwFlags);
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::narrow_bytes(lpName) };
        let access = Access::Desired(dwDesiredAccess);
        semaphore::create(lInitialCount, lMaximumCount, name, access)
    })
}

/// [`OpenSemaphoreW`](crate::OpenSemaphoreW) with a narrow name.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// As [`OpenSemaphoreW`](crate::OpenSemaphoreW).
///
/// # Win32
///
/// `OpenSemaphoreA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn OpenSemaphoreA(
    dwDesiredAccess: DWORD,
    bInheritHandle: BOOL,
    lpName: LPCSTR,
) -> HANDLE {
    let _ = bInheritHandle;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::narrow_bytes(lpName) };
        semaphore::open(dwDesiredAccess, name)
    })
}

/// [`OpenMutexW`](crate::OpenMutexW) with a narrow name.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// As [`OpenMutexW`](crate::OpenMutexW).
///
/// # Win32
///
/// `OpenMutexA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn OpenMutexA(
    dwDesiredAccess: DWORD,
    bInheritHandle: BOOL,
    lpName: LPCSTR,
) -> HANDLE {
    let _ = bInheritHandle;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::narrow_bytes(lpName) };
        mutex::open(dwDesiredAccess, name)
    })
}

/// [`CreateWaitableTimerExW`](crate::CreateWaitableTimerExW) with a narrow name.
///
/// # Safety
///
/// `lpTimerName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// As [`CreateWaitableTimerExW`](crate::CreateWaitableTimerExW).
///
/// # Win32
///
/// `CreateWaitableTimerExA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateWaitableTimerExA(
    lpTimerAttributes: LPSECURITY_ATTRIBUTES,
    lpTimerName: LPCSTR,
    dwFlags: DWORD,
    dwDesiredAccess: DWORD,
) -> HANDLE {
    let _ = lpTimerAttributes;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpTimerName`.
        let name = unsafe { strings::narrow_bytes(lpTimerName) };
        let access = Access::Desired(dwDesiredAccess);
        timer::create(timer::manual_flag(dwFlags), name, access)
    })
}

/// [`OpenWaitableTimerW`](crate::OpenWaitableTimerW) with a narrow name.
///
/// # Safety
///
/// `lpTimerName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// As [`OpenWaitableTimerW`](crate::OpenWaitableTimerW).
///
/// # Win32
///
/// `OpenWaitableTimerA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn OpenWaitableTimerA(
    dwDesiredAccess: DWORD,
    bInheritHandle: BOOL,
    lpTimerName: LPCSTR,
) -> HANDLE {
    let _ = bInheritHandle;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpTimerName`.
        let name = unsafe { strings::narrow_bytes(lpTimerName) };
        timer::open(dwDesiredAccess, name)
    })
}
