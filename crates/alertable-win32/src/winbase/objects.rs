//! The object functions `winbase.h` declares itself: `PulseEvent` and the A forms of
//! `CreateSemaphore` and `CreateWaitableTimer` (their W forms and the rest of the objects'
//! functions are in `synchapi.h`).

use crate::consts::{EVENT_MODIFY_STATE, TRUE};
use crate::ffi::call;
use crate::handle::{self, Object};
use crate::strings;
use crate::synchapi::{semaphore, timer};
use crate::types::{BOOL, HANDLE, LONG, LPCSTR, LPSECURITY_ATTRIBUTES};

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
/// Names work as for `CreateEventA` (`ERROR_ALREADY_EXISTS` when taken).
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
/// - `ERROR_NO_SYSTEM_RESOURCES` (1450).
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
        semaphore::create(lInitialCount, lMaximumCount, name)
    })
}

/// Creates an unarmed, non-signaled waitable timer: a manual-reset (notification) timer if
/// `bManualReset`, else a synchronization timer, which a successful wait resets.
///
/// Names work as for `CreateEventA`.
///
/// # Safety
///
/// `lpTimerName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// `NULL` with `ERROR_INVALID_HANDLE` (6) if the name belongs to an object of another
/// kind, or `ERROR_NO_SYSTEM_RESOURCES` (1450).
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
        timer::create(bManualReset, name)
    })
}
