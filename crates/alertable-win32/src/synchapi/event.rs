//! Events: `CreateEventA/W`, `SetEvent`, `ResetEvent`, `PulseEvent`.

use alertable::{Event, EventReset};

use crate::consts::{EVENT_MODIFY_STATE, TRUE};
use crate::error::Result;
use crate::ffi::call;
use crate::handle::{self, Object};
use crate::names;
use crate::strings;
use crate::types::{BOOL, HANDLE, LPCSTR, LPCWSTR, LPSECURITY_ATTRIBUTES};

fn create(manual: BOOL, initial: BOOL, name: Option<Vec<u8>>) -> Result<HANDLE> {
    names::create_or_open(
        name,
        |o| matches!(o, Object::Event(_)),
        || {
            let reset = if manual != 0 {
                EventReset::Manual
            } else {
                EventReset::Auto
            };
            Ok(Object::Event(Event::new(reset, initial != 0)))
        },
    )
}

/// Creates an event, manual-reset if `bManualReset` (it stays signaled until `ResetEvent`)
/// or auto-reset (a successful wait resets it, E59), signaled if `bInitialState`.
///
/// A name that is taken opens the existing event and leaves `ERROR_ALREADY_EXISTS` (183);
/// otherwise the last error is set to 0 (see `names.rs`: names are per process).
/// `lpEventAttributes` is accepted and ignored.
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
/// `CreateEventA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateEventA(
    lpEventAttributes: LPSECURITY_ATTRIBUTES,
    bManualReset: BOOL,
    bInitialState: BOOL,
    lpName: LPCSTR,
) -> HANDLE {
    let _ = lpEventAttributes;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::narrow_bytes(lpName) };
        create(bManualReset, bInitialState, name)
    })
}

/// [`CreateEventA`] with a wide name.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// As [`CreateEventA`], and `ERROR_NO_UNICODE_TRANSLATION` (1113) for a name that is not
/// valid UTF-32.
///
/// # Win32
///
/// `CreateEventW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateEventW(
    lpEventAttributes: LPSECURITY_ATTRIBUTES,
    bManualReset: BOOL,
    bInitialState: BOOL,
    lpName: LPCWSTR,
) -> HANDLE {
    let _ = lpEventAttributes;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::wide_bytes(lpName) }?;
        create(bManualReset, bInitialState, name)
    })
}

/// Signals the event: a manual-reset event releases every waiter and stays signaled; an
/// auto-reset event releases one waiter, or stays signaled until a wait takes it (E59).
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) if `hEvent` is not an event, or
/// `ERROR_ACCESS_DENIED` (5) if the handle lacks `EVENT_MODIFY_STATE`.
///
/// # Win32
///
/// `SetEvent`.
#[unsafe(no_mangle)]
pub extern "C" fn SetEvent(hEvent: HANDLE) -> BOOL {
    call(0, || {
        handle::with_access(hEvent, EVENT_MODIFY_STATE, Object::into_event)?.set();
        Ok(TRUE)
    })
}

/// Makes the event non-signaled.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) if `hEvent` is not an event, or
/// `ERROR_ACCESS_DENIED` (5) if the handle lacks `EVENT_MODIFY_STATE`.
///
/// # Win32
///
/// `ResetEvent`.
#[unsafe(no_mangle)]
pub extern "C" fn ResetEvent(hEvent: HANDLE) -> BOOL {
    call(0, || {
        handle::with_access(hEvent, EVENT_MODIFY_STATE, Object::into_event)?.reset();
        Ok(TRUE)
    })
}
