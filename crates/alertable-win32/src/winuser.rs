//! Thread messages: `PostThreadMessageA/W`, `GetMessageA/W`, `PeekMessageA/W`,
//! `PostQuitMessage`, `MsgWaitForMultipleObjects(Ex)`; and, for the error reports ported
//! programs make, `MessageBoxA/W` and `MessageBeep` on the console; `CharUpperBuffA/W`.
//!
//! Each thread's message queue is the core's (`alertable::message`): created by the
//! thread's first message call, posted to by id, gone when the thread exits. There are no
//! windows, so only thread messages exist: `hWnd` must be `NULL` (or `(HWND)-1`, "thread
//! messages only"), and every `MSG` has a `NULL` `hwnd`, a zero `pt`, and as `time` the
//! `GetTickCount` value when it was retrieved. The `A` and `W` forms are the same: thread
//! messages carry no text to convert.
//!
//! # Message filters
//!
//! `GetMessage` and `PeekMessage` take a range of message numbers (`wMsgFilterMin` to
//! `wMsgFilterMax`; 0 and 0: all); `WM_QUIT` passes every filter, as on Windows. The core
//! hands out messages in order only, so a filtered call moves the messages it passes over
//! from the core's queue to a per-thread queue of held messages, which every later call
//! looks at first: held messages are older than anything in the core's queue, so the
//! order of the queue as a whole is kept. Moving a message counts as examining it (H78),
//! as looking at it does on Windows. A message wait with `MWMO_INPUTAVAILABLE` counts held
//! messages as queued input.

use std::cell::RefCell;
use std::collections::VecDeque;

use alertable::{Alertable, Message, MsgWaitFlags, PeekRemove, QueueStatus, WaitStatus, Waitable};

use crate::consts::{
    ERROR_INVALID_PARAMETER, ERROR_INVALID_THREAD_ID, ERROR_INVALID_WINDOW_HANDLE, FALSE,
    MAXIMUM_WAIT_OBJECTS, MWMO_ALERTABLE, MWMO_INPUTAVAILABLE, MWMO_WAITALL, PM_REMOVE,
    QS_ALLPOSTMESSAGE, QS_POSTMESSAGE, SYNCHRONIZE, TRUE, WAIT_FAILED, WM_QUIT,
};
use crate::error::{Error, Result};
use crate::ffi::{call, call_alertable};
use crate::handle;
use crate::processthreadsapi::thread::{current_thread, thread_by_id};
use crate::synchapi::wait::{timeout, wait_error};
use crate::sysinfoapi::GetTickCount;
use crate::types::{
    BOOL, DWORD, HANDLE, HWND, INT, LPARAM, LPCSTR, LPCWSTR, LPMSG, LPSTR, LPWSTR, MSG, POINT,
    UINT, WCHAR, WPARAM,
};

thread_local! {
    /// Messages a filtered call passed over, oldest first (see the module documentation).
    static HELD: RefCell<VecDeque<Message>> = const { RefCell::new(VecDeque::new()) };
}

/// A `GetMessage`/`PeekMessage` filter.
#[derive(Debug, Clone, Copy)]
struct Filter {
    min: UINT,
    max: UINT,
}

impl Filter {
    fn all(self) -> bool {
        self.min == 0 && self.max == 0
    }

    fn matches(self, id: UINT) -> bool {
        self.all() || id == WM_QUIT || (self.min..=self.max).contains(&id)
    }
}

/// Whether messages are held back by earlier filtered calls.
fn holding() -> bool {
    HELD.try_with(|held| !held.borrow().is_empty())
        .unwrap_or(false)
}

/// The next message `filter` passes, removed if `remove`.
fn next_message(filter: Filter, remove: bool) -> Option<Message> {
    let held = HELD
        .try_with(|held| {
            let mut held = held.borrow_mut();
            let i = held.iter().position(|m| filter.matches(m.id))?;
            if remove {
                held.remove(i)
            } else {
                held.get(i).copied()
            }
        })
        .ok()
        .flatten();
    if held.is_some() {
        // Looking at the queue examines it, whatever the message came from (H78).
        let _ = alertable::peek_message(PeekRemove::No);
        return held;
    }
    if filter.all() {
        let remove = if remove {
            PeekRemove::Yes
        } else {
            PeekRemove::No
        };
        return alertable::peek_message(remove);
    }
    loop {
        // A message the filter passes over is a posted one (a quit request passes every
        // filter), so the message peeked at is the one taken.
        let message = if remove {
            alertable::peek_message(PeekRemove::Yes)?
        } else {
            let message = alertable::peek_message(PeekRemove::No)?;
            if filter.matches(message.id) {
                return Some(message);
            }
            alertable::peek_message(PeekRemove::Yes)?
        };
        if filter.matches(message.id) {
            return Some(message);
        }
        let _ = HELD.try_with(|held| held.borrow_mut().push_back(message));
    }
}

/// Checks a message call's window: there are only thread messages.
fn check_window(hwnd: HWND) -> Result<()> {
    if hwnd.is_null() || hwnd == crate::consts::INVALID_HANDLE_VALUE {
        Ok(())
    } else {
        Err(Error(ERROR_INVALID_WINDOW_HANDLE))
    }
}

/// Writes `message` to `*out` as a `MSG`.
///
/// # Safety
///
/// `out` is valid for writing a `MSG`.
unsafe fn write_msg(out: LPMSG, message: Message) {
    let msg = MSG {
        hwnd: core::ptr::null_mut(),
        message: message.id,
        wParam: message.wparam,
        lParam: message.lparam,
        time: GetTickCount(),
        pt: POINT::default(),
    };
    // SAFETY: the caller guarantees `out` is writable.
    unsafe { out.write(msg) };
}

fn post(thread_id: DWORD, msg: UINT, wparam: WPARAM, lparam: LPARAM) -> Result<BOOL> {
    let thread = thread_by_id(thread_id).ok_or(Error(ERROR_INVALID_THREAD_ID))?;
    alertable::post_thread_message(thread.handle(), Message::new(msg, wparam, lparam))
        .map_err(|e| Error(e.win32_error()))?;
    Ok(TRUE)
}

/// Posts a message to the queue of the thread with id `idThread`, to be retrieved there
/// with `GetMessage` or `PeekMessage`; returns at once. Messages are retrieved in the order
/// posted; `WM_QUIT` posted this way is an ordinary message in that order.
///
/// # Errors
///
/// `FALSE` with:
/// - `ERROR_INVALID_THREAD_ID` (1444): no such thread, or it has no message queue — it has
///   not called a message function yet (the start-up race of every program that posts to
///   a thread it has just created), or it has exited;
/// - `ERROR_NOT_ENOUGH_QUOTA` (1816): its queue holds 10,000 messages.
///
/// # Win32
///
/// `PostThreadMessageA`.
#[unsafe(no_mangle)]
pub extern "C" fn PostThreadMessageA(
    idThread: DWORD,
    Msg: UINT,
    wParam: WPARAM,
    lParam: LPARAM,
) -> BOOL {
    call(FALSE, || post(idThread, Msg, wParam, lParam))
}

/// [`PostThreadMessageA`]: thread messages carry no text, so the two are the same.
///
/// # Errors
///
/// As [`PostThreadMessageA`].
///
/// # Win32
///
/// `PostThreadMessageW`.
#[unsafe(no_mangle)]
pub extern "C" fn PostThreadMessageW(
    idThread: DWORD,
    Msg: UINT,
    wParam: WPARAM,
    lParam: LPARAM,
) -> BOOL {
    PostThreadMessageA(idThread, Msg, wParam, lParam)
}

/// # Safety
///
/// `msg` is `NULL` or valid for writing a `MSG`.
unsafe fn get(msg: LPMSG, hwnd: HWND, min: UINT, max: UINT) -> Result<BOOL> {
    let out = handle::required(msg)?.cast_mut();
    check_window(hwnd)?;
    let _ = current_thread(); // known to PostThreadMessage from now on
    let filter = Filter { min, max };
    let message = loop {
        if let Some(message) = next_message(filter, true) {
            break message;
        }
        // Nothing: wait for input new since the look above (which examined the queue).
        // Not alertable, no deadline, no objects: it cannot fail or end otherwise.
        let _ = alertable::msg_wait(
            &[],
            None,
            QueueStatus::POST_MESSAGE | QueueStatus::ALL_POST_MESSAGE,
            MsgWaitFlags::empty(),
        );
    };
    // SAFETY: non-NULL (checked), and the caller guarantees it is writable.
    unsafe { write_msg(out, message) };
    Ok(BOOL::from(message.id != WM_QUIT))
}

/// Retrieves the next message of the calling thread's queue that passes the filter,
/// waiting until there is one; creates the queue if need be.
///
/// Posted messages come in order, then a quit request of `PostQuitMessage`. Returns a
/// non-zero value for a message, 0 for `WM_QUIT` (its `wParam` holds the exit code): the
/// message loop should end. The wait is not alertable: APCs stay queued
/// (`MsgWaitForMultipleObjectsEx` with `MWMO_ALERTABLE` is the alertable message wait).
///
/// # Safety
///
/// `lpMsg` is `NULL` or valid for writing a `MSG`.
///
/// # Errors
///
/// -1 with `ERROR_INVALID_WINDOW_HANDLE` (1400) for an `hWnd` other than `NULL` or
/// `(HWND)-1` (there are no windows), or `ERROR_NOACCESS` (998) for a `NULL` `lpMsg`.
///
/// # Win32
///
/// `GetMessageA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageA(
    lpMsg: LPMSG,
    hWnd: HWND,
    wMsgFilterMin: UINT,
    wMsgFilterMax: UINT,
) -> BOOL {
    // SAFETY: the caller's guarantee on `lpMsg`, passed on.
    call(-1, || unsafe {
        get(lpMsg, hWnd, wMsgFilterMin, wMsgFilterMax)
    })
}

/// [`GetMessageA`]: thread messages carry no text, so the two are the same.
///
/// # Safety
///
/// As [`GetMessageA`].
///
/// # Errors
///
/// As [`GetMessageA`].
///
/// # Win32
///
/// `GetMessageW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetMessageW(
    lpMsg: LPMSG,
    hWnd: HWND,
    wMsgFilterMin: UINT,
    wMsgFilterMax: UINT,
) -> BOOL {
    // SAFETY: the caller's guarantee on `lpMsg`, passed on.
    unsafe { GetMessageA(lpMsg, hWnd, wMsgFilterMin, wMsgFilterMax) }
}

/// # Safety
///
/// `msg` is `NULL` or valid for writing a `MSG`.
unsafe fn peek(msg: LPMSG, hwnd: HWND, min: UINT, max: UINT, flags: UINT) -> Result<BOOL> {
    let out = handle::required(msg)?.cast_mut();
    check_window(hwnd)?;
    let _ = current_thread(); // known to PostThreadMessage from now on
    let Some(message) = next_message(Filter { min, max }, flags & PM_REMOVE != 0) else {
        return Ok(FALSE);
    };
    // SAFETY: non-NULL (checked), and the caller guarantees it is writable.
    unsafe { write_msg(out, message) };
    Ok(TRUE)
}

/// Looks for a message of the calling thread's queue that passes the filter, without
/// waiting; removes it with `PM_REMOVE`, leaves it with `PM_NOREMOVE`. Returns `TRUE` with
/// the message in `*lpMsg`, or `FALSE` (last error untouched) when there is none. Creates
/// the queue if need be — `PeekMessage(&msg, NULL, WM_USER, WM_USER, PM_NOREMOVE)` is the
/// Windows idiom for that. Looking examines the queue: what is in it no longer wakes a
/// message wait without `MWMO_INPUTAVAILABLE` (H78). `PM_NOYIELD` and the `PM_QS_…` bits
/// are accepted and ignored.
///
/// # Safety
///
/// `lpMsg` is `NULL` or valid for writing a `MSG`.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_WINDOW_HANDLE` (1400) for an `hWnd` other than `NULL` or
/// `(HWND)-1`, or `ERROR_NOACCESS` (998) for a `NULL` `lpMsg`.
///
/// # Win32
///
/// `PeekMessageA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PeekMessageA(
    lpMsg: LPMSG,
    hWnd: HWND,
    wMsgFilterMin: UINT,
    wMsgFilterMax: UINT,
    wRemoveMsg: UINT,
) -> BOOL {
    // SAFETY: the caller's guarantee on `lpMsg`, passed on.
    call(FALSE, || unsafe {
        peek(lpMsg, hWnd, wMsgFilterMin, wMsgFilterMax, wRemoveMsg)
    })
}

/// [`PeekMessageA`]: thread messages carry no text, so the two are the same.
///
/// # Safety
///
/// As [`PeekMessageA`].
///
/// # Errors
///
/// As [`PeekMessageA`].
///
/// # Win32
///
/// `PeekMessageW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PeekMessageW(
    lpMsg: LPMSG,
    hWnd: HWND,
    wMsgFilterMin: UINT,
    wMsgFilterMax: UINT,
    wRemoveMsg: UINT,
) -> BOOL {
    // SAFETY: the caller's guarantee on `lpMsg`, passed on.
    unsafe { PeekMessageA(lpMsg, hWnd, wMsgFilterMin, wMsgFilterMax, wRemoveMsg) }
}

/// Asks the calling thread's message loop to end: `GetMessage` returns 0 with `WM_QUIT`
/// and `nExitCode` in `wParam` once every message posted before or after this call has
/// been retrieved. A second call replaces the first one's code. Creates the queue if need
/// be.
///
/// # Win32
///
/// `PostQuitMessage`.
#[unsafe(no_mangle)]
pub extern "C" fn PostQuitMessage(nExitCode: core::ffi::c_int) {
    call((), || {
        let _ = current_thread();
        alertable::post_quit_message(nExitCode);
        Ok(())
    });
}

/// # Safety
///
/// `handles` is `NULL` or valid for reading `count` handles.
unsafe fn msg_wait(
    count: DWORD,
    handles: *const HANDLE,
    ms: DWORD,
    mask: DWORD,
    flags: DWORD,
) -> Result<DWORD> {
    if flags & !(MWMO_WAITALL | MWMO_ALERTABLE | MWMO_INPUTAVAILABLE) != 0
        || count >= MAXIMUM_WAIT_OBJECTS
    {
        return Err(Error(ERROR_INVALID_PARAMETER));
    }
    let objects = if count == 0 {
        Vec::new()
    } else {
        let handles = handle::required(handles)?;
        // SAFETY: non-NULL (checked), `count` < 64, and the caller guarantees `count`
        // readable handles.
        let handles = unsafe { core::slice::from_raw_parts(handles, count as usize) };
        handle::real_objects_with(handles, SYNCHRONIZE)?
    };
    let waitables: Vec<&dyn Waitable> = objects.iter().map(handle::Object::waitable).collect();
    let _ = current_thread(); // known to PostThreadMessage from now on
    let posted = mask & (QS_POSTMESSAGE | QS_ALLPOSTMESSAGE) != 0;
    let status = if flags & MWMO_INPUTAVAILABLE != 0 && posted && holding() {
        // Held messages are queued input, which the core does not see: the queue is ready.
        if flags & MWMO_WAITALL != 0 && !waitables.is_empty() {
            crate::synchapi::wait::past_alerts(timeout(ms), crate::synchapi::wait::is_alert, |t| {
                alertable::wait_all(
                    &waitables,
                    t,
                    crate::synchapi::wait::alertable(BOOL::from(flags & MWMO_ALERTABLE != 0)),
                )
            })
        } else if waitables.is_empty() {
            Ok(WaitStatus::Signaled(0))
        } else {
            // A ready object with a lower index wins over the queue.
            match alertable::wait_any(&waitables, Some(std::time::Duration::ZERO), Alertable::No) {
                Ok(WaitStatus::TimedOut) => Ok(WaitStatus::Signaled(waitables.len())),
                other => other,
            }
        }
    } else {
        // Bits of kinds of input that do not exist here are accepted and never satisfied.
        let known = QueueStatus::ALL_INPUT | QueueStatus::ALL_POST_MESSAGE;
        let mask = QueueStatus::from_bits(mask & known.bits()).unwrap_or(QueueStatus::empty());
        let flags = MsgWaitFlags::from_bits(flags).unwrap_or(MsgWaitFlags::empty());
        crate::synchapi::wait::past_alerts(timeout(ms), crate::synchapi::wait::is_alert, |t| {
            alertable::msg_wait(&waitables, t, mask, flags)
        })
    }
    .map_err(wait_error)?;
    Ok(status.as_win32())
}

/// Waits until one (`fWaitAll` false) or all (`fWaitAll` true) of the `nCount` objects are
/// signaled, input of a kind in `dwWakeMask` is in the calling thread's queue, or the
/// timeout elapses; not alertable. The queue counts as object number `nCount`: input
/// returns `WAIT_OBJECT_0 + nCount` (H77), and a signaled object with a lower index wins.
/// With `fWaitAll`, the objects and input are needed at one instant (H82, H83). As the
/// `Ex` form with `MWMO_WAITALL` for `fWaitAll` (H83).
///
/// # Safety
///
/// `pHandles` is `NULL` or valid for reading `nCount` handles.
///
/// # Errors
///
/// As [`MsgWaitForMultipleObjectsEx`].
///
/// # Win32
///
/// `MsgWaitForMultipleObjects`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MsgWaitForMultipleObjects(
    nCount: DWORD,
    pHandles: *const HANDLE,
    fWaitAll: BOOL,
    dwMilliseconds: DWORD,
    dwWakeMask: DWORD,
) -> DWORD {
    let flags = if fWaitAll != 0 { MWMO_WAITALL } else { 0 };
    call(WAIT_FAILED, || {
        // SAFETY: the caller's guarantee on `pHandles`, passed on; not alertable.
        unsafe { msg_wait(nCount, pHandles, dwMilliseconds, dwWakeMask, flags) }
    })
}

/// Waits until one or all of the `nCount` objects are signaled, input of a kind in
/// `dwWakeMask` is in the calling thread's queue, an APC runs (with `MWMO_ALERTABLE`), or
/// the timeout elapses.
///
/// - The queue counts as object number `nCount`: input returns `WAIT_OBJECT_0 + nCount`
///   (H77); a signaled object with a lower index wins over it. Nothing is removed.
/// - Only input that arrived since the queue was last examined (by `GetMessage`,
///   `PeekMessage`, or a message wait that reported input) counts (H78), unless
///   `MWMO_INPUTAVAILABLE` is given: then any queued input does (H79).
/// - Without `MWMO_ALERTABLE`, pending APCs are left alone (H80); with it they run and end
///   the wait with `WAIT_IO_COMPLETION` (192) — unless input or an object is ready, which
///   wins, and the APCs stay queued (H81).
/// - With `MWMO_WAITALL`, the objects and input are needed at one instant (H82).
///
/// Only posted messages exist, so of `dwWakeMask` only `QS_POSTMESSAGE` and
/// `QS_ALLPOSTMESSAGE` (and masks holding them, such as `QS_ALLINPUT`) are ever satisfied;
/// other bits are accepted (H83). Creates the queue if need be.
///
/// # Safety
///
/// `pHandles` is `NULL` or valid for reading `nCount` handles.
///
/// # Errors
///
/// `WAIT_FAILED` with:
/// - `ERROR_INVALID_PARAMETER` (87): `nCount` above 63 (the queue takes the 64th slot,
///   H82), an unknown `dwFlags` bit, or an object twice in a wait-all;
/// - `ERROR_INVALID_HANDLE` (6): a handle is invalid, closed, or a pseudo-handle;
/// - `ERROR_ACCESS_DENIED` (5): a handle lacks `SYNCHRONIZE` (D53);
/// - `ERROR_NOACCESS` (998): `pHandles` is `NULL` with a non-zero `nCount`.
///
/// # Win32
///
/// `MsgWaitForMultipleObjectsEx`.
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn MsgWaitForMultipleObjectsEx(
    nCount: DWORD,
    pHandles: *const HANDLE,
    dwMilliseconds: DWORD,
    dwWakeMask: DWORD,
    dwFlags: DWORD,
) -> DWORD {
    call_alertable(WAIT_FAILED, || {
        // SAFETY: the caller's guarantee on `pHandles`, passed on.
        unsafe { msg_wait(nCount, pHandles, dwMilliseconds, dwWakeMask, dwFlags) }
    })
    .finish()
}

/// The button a message box of `style` answers with: its default (`MB_DEFBUTTON2`,
/// `MB_DEFBUTTON3`), else its first.
fn default_button(style: UINT) -> INT {
    use crate::consts::{
        IDABORT, IDCANCEL, IDCONTINUE, IDIGNORE, IDNO, IDOK, IDRETRY, IDTRYAGAIN, IDYES,
        MB_DEFBUTTON2, MB_DEFBUTTON3,
    };
    let buttons: &[INT] = match style & 0xF {
        1 => &[IDOK, IDCANCEL],
        2 => &[IDABORT, IDRETRY, IDIGNORE],
        3 => &[IDYES, IDNO, IDCANCEL],
        4 => &[IDYES, IDNO],
        5 => &[IDRETRY, IDCANCEL],
        6 => &[IDCANCEL, IDTRYAGAIN, IDCONTINUE],
        _ => &[IDOK],
    };
    let index = match style & 0xF00 {
        MB_DEFBUTTON2 => 1,
        MB_DEFBUTTON3 => 2,
        _ => 0,
    };
    buttons.get(index).copied().unwrap_or(buttons[0])
}

/// The body of `MessageBoxA/W`: writes `caption: text` to standard error.
fn message_box(
    hwnd: HWND,
    text: Option<String>,
    caption: Option<String>,
    style: UINT,
) -> Result<INT> {
    check_window(hwnd)?;
    let line = format!(
        "{}: {}\n",
        caption.as_deref().unwrap_or("Error"),
        text.as_deref().unwrap_or("")
    );
    // Standard error may be closed: the box is "shown" either way.
    let _ = crate::sys::write_all(2, line.as_bytes());
    Ok(default_button(style))
}

/// Shows a message box: writes `lpCaption: lpText` (`Error` for a `NULL` caption) to
/// standard error and returns at once with the box's default button — `IDOK` for `MB_OK`,
/// the first button of the style unless `MB_DEFBUTTON2` or `MB_DEFBUTTON3` names another.
/// Icons and other flags are accepted and not shown.
///
/// # Safety
///
/// `lpText` and `lpCaption` are `NULL` or NUL-terminated strings.
///
/// # Errors
///
/// 0 with `ERROR_INVALID_WINDOW_HANDLE` (1400) for an owner window (there are none).
///
/// # Win32
///
/// `MessageBoxA`, which waits for the user instead.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MessageBoxA(
    hWnd: HWND,
    lpText: LPCSTR,
    lpCaption: LPCSTR,
    uType: UINT,
) -> INT {
    call(0, || {
        let text = |s| {
            // SAFETY: the caller's guarantee on the strings.
            unsafe { crate::strings::narrow_bytes(s) }
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        };
        message_box(hWnd, text(lpText), text(lpCaption), uType)
    })
}

/// [`MessageBoxA`] with wide strings.
///
/// # Safety
///
/// `lpText` and `lpCaption` are `NULL` or NUL-terminated wide strings.
///
/// # Errors
///
/// As [`MessageBoxA`], and `ERROR_NO_UNICODE_TRANSLATION` (1113) for a string that is not
/// Unicode.
///
/// # Win32
///
/// `MessageBoxW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MessageBoxW(
    hWnd: HWND,
    lpText: LPCWSTR,
    lpCaption: LPCWSTR,
    uType: UINT,
) -> INT {
    call(0, || {
        // SAFETY: the caller's guarantee on the strings.
        let text = unsafe { crate::strings::wide_string(lpText) }?;
        // SAFETY: as above.
        let caption = unsafe { crate::strings::wide_string(lpCaption) }?;
        message_box(hWnd, text, caption, uType)
    })
}

/// Plays a sound: here, nothing, and succeeds.
///
/// # Win32
///
/// `MessageBeep`.
#[unsafe(no_mangle)]
pub extern "C" fn MessageBeep(uType: UINT) -> BOOL {
    let _ = uType;
    TRUE
}

/// Upper-cases the first `cchLength` characters of `lpsz` in place: the ASCII letters (the
/// bytes of other characters are left as they are); returns `cchLength`.
///
/// # Safety
///
/// `lpsz` is valid for reading and writing `cchLength` bytes (or `cchLength` is 0).
///
/// # Win32
///
/// `CharUpperBuffA`, which converts by the thread's ANSI code page; here the bytes are
/// taken as ASCII.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CharUpperBuffA(lpsz: LPSTR, cchLength: DWORD) -> DWORD {
    if lpsz.is_null() || cchLength == 0 {
        return 0;
    }
    // SAFETY: non-NULL, and the caller guarantees `cchLength` writable bytes.
    let bytes = unsafe { core::slice::from_raw_parts_mut(lpsz.cast::<u8>(), cchLength as usize) };
    bytes.make_ascii_uppercase();
    cchLength
}

/// Upper-cases the first `cchLength` wide characters of `lpsz` in place: each character
/// whose Unicode upper case is one character becomes it; returns `cchLength`.
///
/// # Safety
///
/// `lpsz` is valid for reading and writing `cchLength` `WCHAR`s (or `cchLength` is 0).
///
/// # Win32
///
/// `CharUpperBuffW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CharUpperBuffW(lpsz: LPWSTR, cchLength: DWORD) -> DWORD {
    if lpsz.is_null() || cchLength == 0 {
        return 0;
    }
    // SAFETY: non-NULL, and the caller guarantees `cchLength` writable `WCHAR`s.
    let chars = unsafe { core::slice::from_raw_parts_mut(lpsz, cchLength as usize) };
    for c in chars {
        let Some(ch) = u32::try_from(*c).ok().and_then(char::from_u32) else {
            continue;
        };
        let mut upper = ch.to_uppercase();
        if let (Some(one), None) = (upper.next(), upper.next()) {
            *c = one as WCHAR;
        }
    }
    cchLength
}
