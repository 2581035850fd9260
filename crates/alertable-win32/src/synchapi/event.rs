//! Events: `CreateEventA/W`, `CreateEventExA/W`, `OpenEventA/W`, `SetEvent`, `ResetEvent`.

use alertable::{Event, EventReset};

use crate::consts::{
    CREATE_EVENT_INITIAL_SET, CREATE_EVENT_MANUAL_RESET, EVENT_MODIFY_STATE, TRUE,
};
use crate::error::Result;
use crate::ffi::call;
use crate::handle::{self, Object};
use crate::names::{self, Access, Kind};
use crate::strings;
use crate::types::{BOOL, DWORD, HANDLE, LPCSTR, LPCWSTR, LPSECURITY_ATTRIBUTES};

fn create(manual: bool, initial: bool, name: Option<Vec<u8>>, access: Access) -> Result<HANDLE> {
    let reset = if manual {
        EventReset::Manual
    } else {
        EventReset::Auto
    };
    names::create_shared(
        Kind::Event,
        name,
        access,
        || Ok(Object::Event(Event::new(reset, initial))),
        |name| {
            Event::create_named(name, reset, initial)
                .map(|opened| opened.map(Object::Event))
                .map_err(names::name_error)
        },
    )
}

/// `CreateEventEx`'s flags as `(manual, initial)`; other bits are ignored.
fn flags(dwFlags: DWORD) -> (bool, bool) {
    (
        dwFlags & CREATE_EVENT_MANUAL_RESET != 0,
        dwFlags & CREATE_EVENT_INITIAL_SET != 0,
    )
}

fn open(desired: DWORD, name: Option<Vec<u8>>) -> Result<HANDLE> {
    names::open_shared(Kind::Event, desired, name, |name| {
        Event::open(name).map(Object::Event)
    })
}

/// Creates an event, manual-reset if `bManualReset` (it stays signaled until `ResetEvent`)
/// or auto-reset (a successful wait resets it, E59), signaled if `bInitialState`.
///
/// With a name, the event is shared with every process of the user that names it (see
/// `names.rs`): a name that is taken opens the existing event, ignores the other
/// arguments and leaves `ERROR_ALREADY_EXISTS` (183); otherwise the last error is set to
/// 0. An empty name is no name. The handle has `EVENT_ALL_ACCESS`. `lpEventAttributes`
/// is accepted and ignored (no security descriptors, no inherited handles).
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// `NULL` with:
/// - `ERROR_INVALID_HANDLE` (6): the name belongs to an object of another kind;
/// - `ERROR_PATH_NOT_FOUND` (3): a backslash other than after `Local\` or `Global\`;
/// - `ERROR_FILENAME_EXCED_RANGE` (206): a name longer than 256 bytes;
/// - `ERROR_NO_UNICODE_TRANSLATION` (1113): a name that is not UTF-8;
/// - `ERROR_ACCESS_DENIED` (5): the user's namespace directory is not private to the user;
/// - `ERROR_NO_SYSTEM_RESOURCES` (1450): the namespace or the handle table is full.
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
        create(bManualReset != 0, bInitialState != 0, name, Access::All)
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
/// As [`CreateEventA`]; `ERROR_NO_UNICODE_TRANSLATION` (1113) for a name that is not
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
        create(bManualReset != 0, bInitialState != 0, name, Access::All)
    })
}

/// [`CreateEventA`] with flags and an access mask: `CREATE_EVENT_MANUAL_RESET` (0x1) makes
/// a manual-reset event, `CREATE_EVENT_INITIAL_SET` (0x2) a signaled one (other bits are
/// ignored), and the handle gets the rights `dwDesiredAccess` maps to (R2 in `handle.rs`),
/// whether the event is new or existed.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// As [`CreateEventA`]; `ERROR_ACCESS_DENIED` (5) for a bit that is no right of an event,
/// `ERROR_PRIVILEGE_NOT_HELD` (1314) for `ACCESS_SYSTEM_SECURITY`, before anything is
/// made.
///
/// # Win32
///
/// `CreateEventExA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateEventExA(
    lpEventAttributes: LPSECURITY_ATTRIBUTES,
    lpName: LPCSTR,
    dwFlags: DWORD,
    dwDesiredAccess: DWORD,
) -> HANDLE {
    let _ = lpEventAttributes;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::narrow_bytes(lpName) };
        let (manual, initial) = flags(dwFlags);
        create(manual, initial, name, Access::Desired(dwDesiredAccess))
    })
}

/// [`CreateEventExA`] with a wide name.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// As [`CreateEventExA`].
///
/// # Win32
///
/// `CreateEventExW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateEventExW(
    lpEventAttributes: LPSECURITY_ATTRIBUTES,
    lpName: LPCWSTR,
    dwFlags: DWORD,
    dwDesiredAccess: DWORD,
) -> HANDLE {
    let _ = lpEventAttributes;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::wide_bytes(lpName) }?;
        let (manual, initial) = flags(dwFlags);
        create(manual, initial, name, Access::Desired(dwDesiredAccess))
    })
}

/// Opens the event called `lpName`, created by this process or another of the user, with
/// the rights `dwDesiredAccess` maps to (R2 in `handle.rs`): a handle opened with
/// `SYNCHRONIZE` alone can wait but not `SetEvent` (`ERROR_ACCESS_DENIED`).
/// `bInheritHandle` is accepted and ignored: there is no handle inheritance.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// `NULL` with:
/// - `ERROR_INVALID_PARAMETER` (87): `lpName` is `NULL`;
/// - `ERROR_FILE_NOT_FOUND` (2): no object has the name;
/// - `ERROR_INVALID_HANDLE` (6): the name belongs to an object of another kind;
/// - `ERROR_ACCESS_DENIED` (5): a bit that is no right of an event, or a namespace that
///   is not private to the user; `ERROR_PRIVILEGE_NOT_HELD` (1314):
///   `ACCESS_SYSTEM_SECURITY`;
/// - the name errors of [`CreateEventA`].
///
/// # Win32
///
/// `OpenEventA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn OpenEventA(
    dwDesiredAccess: DWORD,
    bInheritHandle: BOOL,
    lpName: LPCSTR,
) -> HANDLE {
    let _ = bInheritHandle;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::narrow_bytes(lpName) };
        open(dwDesiredAccess, name)
    })
}

/// [`OpenEventA`] with a wide name.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// As [`OpenEventA`].
///
/// # Win32
///
/// `OpenEventW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn OpenEventW(
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
