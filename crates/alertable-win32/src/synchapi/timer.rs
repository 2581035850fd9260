//! Waitable timers: `CreateWaitableTimerW`, `CreateWaitableTimerExW`,
//! `OpenWaitableTimerW`, `SetWaitableTimer`, `SetWaitableTimerEx`, `CancelWaitableTimer`
//! (the A forms are in `winbase`, where Windows declares them). A named timer is shared
//! with every process of the user, as the other named objects are (`names.rs`).

use std::time::{Duration, SystemTime};

use alertable::{DueTime, TimerReset, WaitableTimer};

use crate::callback;
use crate::consts::{
    CREATE_WAITABLE_TIMER_MANUAL_RESET, ERROR_INVALID_PARAMETER, ERROR_NOT_SUPPORTED,
    TIMER_MODIFY_STATE, TRUE,
};
use crate::error::{Error, Result, set_last_error};
use crate::ffi::call;
use crate::filetime::{filetime_from_system_time, system_time_from_filetime};
use crate::handle::{self, Object};
use crate::names::{self, Access, Kind};
use crate::strings;
use crate::types::{
    BOOL, DWORD, HANDLE, LARGE_INTEGER, LONG, LPCWSTR, LPSECURITY_ATTRIBUTES, LPVOID,
    PREASON_CONTEXT, PTIMERAPCROUTINE, ULONG,
};

/// The body of `CreateWaitableTimer(Ex)A/W`.
pub(crate) fn create(manual: bool, name: Option<Vec<u8>>, access: Access) -> Result<HANDLE> {
    let reset = if manual {
        TimerReset::Manual
    } else {
        TimerReset::Synchronization
    };
    names::create_shared(
        Kind::Timer,
        name,
        access,
        || Ok(Object::Timer(WaitableTimer::new(reset))),
        |name| {
            WaitableTimer::create_named(name, reset)
                .map(|opened| opened.map(Object::Timer))
                .map_err(names::name_error)
        },
    )
}

/// `CreateWaitableTimerEx`'s flags: whether the timer is manual-reset. Other bits
/// (`CREATE_WAITABLE_TIMER_HIGH_RESOLUTION`: every timer here has the resolution of the
/// system's monotonic clock) are ignored.
pub(crate) fn manual_flag(dwFlags: DWORD) -> bool {
    dwFlags & CREATE_WAITABLE_TIMER_MANUAL_RESET != 0
}

/// The body of `OpenWaitableTimerA/W`.
pub(crate) fn open(desired: DWORD, name: Option<Vec<u8>>) -> Result<HANDLE> {
    names::open_shared(Kind::Timer, desired, name, |name| {
        WaitableTimer::open(name).map(Object::Timer)
    })
}

/// [`CreateWaitableTimerA`](crate::CreateWaitableTimerA) with a wide name.
///
/// # Safety
///
/// `lpTimerName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// As [`CreateWaitableTimerA`](crate::CreateWaitableTimerA), and
/// `ERROR_NO_UNICODE_TRANSLATION` (1113) for a name that is not valid UTF-32.
///
/// # Win32
///
/// `CreateWaitableTimerW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateWaitableTimerW(
    lpTimerAttributes: LPSECURITY_ATTRIBUTES,
    bManualReset: BOOL,
    lpTimerName: LPCWSTR,
) -> HANDLE {
    let _ = lpTimerAttributes;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpTimerName`.
        let name = unsafe { strings::wide_bytes(lpTimerName) }?;
        create(bManualReset != 0, name, Access::All)
    })
}

/// [`CreateWaitableTimerW`] with flags and an access mask: `CREATE_WAITABLE_TIMER_MANUAL_RESET`
/// (0x1) makes a manual-reset timer (other bits are ignored), and the handle gets the
/// rights `dwDesiredAccess` maps to (R2 in `handle.rs`), whether the timer is new or
/// existed.
///
/// # Safety
///
/// `lpTimerName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// As [`CreateWaitableTimerW`]; `ERROR_ACCESS_DENIED` (5) for a bit that is no right of a
/// timer, `ERROR_PRIVILEGE_NOT_HELD` (1314) for `ACCESS_SYSTEM_SECURITY`.
///
/// # Win32
///
/// `CreateWaitableTimerExW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateWaitableTimerExW(
    lpTimerAttributes: LPSECURITY_ATTRIBUTES,
    lpTimerName: LPCWSTR,
    dwFlags: DWORD,
    dwDesiredAccess: DWORD,
) -> HANDLE {
    let _ = lpTimerAttributes;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpTimerName`.
        let name = unsafe { strings::wide_bytes(lpTimerName) }?;
        create(manual_flag(dwFlags), name, Access::Desired(dwDesiredAccess))
    })
}

/// Opens the timer called `lpTimerName`, made by this process or another of the user, with
/// the rights `dwDesiredAccess` maps to (R2 in `handle.rs`). `bInheritHandle` is accepted
/// and ignored.
///
/// # Safety
///
/// `lpTimerName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// `NULL` with `ERROR_INVALID_PARAMETER` (87) for a `NULL` name, `ERROR_FILE_NOT_FOUND`
/// (2) if nothing has the name, `ERROR_INVALID_HANDLE` (6) if an event, semaphore or
/// mutex has it, `ERROR_ACCESS_DENIED` (5) for a bit that is no right of a timer, and the
/// name errors of `CreateEventA`.
///
/// # Win32
///
/// `OpenWaitableTimerW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn OpenWaitableTimerW(
    dwDesiredAccess: DWORD,
    bInheritHandle: BOOL,
    lpTimerName: LPCWSTR,
) -> HANDLE {
    let _ = bInheritHandle;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpTimerName`.
        let name = unsafe { strings::wide_bytes(lpTimerName) }?;
        open(dwDesiredAccess, name)
    })
}

/// The routine's argument, carried to the setting thread. The library never dereferences
/// it; it only hands it back to the routine.
#[derive(Clone, Copy)]
struct Argument(LPVOID);

// SAFETY: the pointer is passed, unread, to the routine on the thread that set the timer,
// which is what the C caller arranged for; this crate never dereferences it.
unsafe impl Send for Argument {}

/// Arms `timer`; the body of `SetWaitableTimer` and `SetWaitableTimerEx`.
///
/// # Safety
///
/// `due` is `NULL` or readable; `routine(argument, low, high)` is sound to call on the
/// calling thread.
unsafe fn set(
    timer: HANDLE,
    due: *const LARGE_INTEGER,
    period: LONG,
    routine: PTIMERAPCROUTINE,
    argument: LPVOID,
) -> Result<()> {
    let timer = handle::with_access(timer, TIMER_MODIFY_STATE, Object::into_timer)?;
    let due = handle::required(due)?;
    // SAFETY: non-NULL (checked) and readable per the caller; every bit pattern of the
    // union is a valid `QuadPart`.
    let quad = unsafe { due.read().QuadPart };
    let period = u64::try_from(period).map_err(|_| Error(ERROR_INVALID_PARAMETER))?;
    let period = (period > 0).then(|| Duration::from_millis(period));
    // Negative: relative, in 100 ns units; otherwise an absolute UTC FILETIME (M137).
    let due = if quad < 0 {
        DueTime::After(Duration::from_nanos(
            quad.unsigned_abs().saturating_mul(100),
        ))
    } else {
        DueTime::At(system_time_from_filetime(quad.unsigned_abs()))
    };
    match routine {
        None => timer.set(due, period),
        Some(routine) => {
            let argument = Argument(argument);
            timer.set_with_routine(due, period, move |fired: SystemTime| {
                let argument = argument;
                let filetime = filetime_from_system_time(fired);
                let (low, high) = (filetime as DWORD, (filetime >> 32) as DWORD);
                callback::run(|| {
                    // SAFETY: `SetWaitableTimer`'s caller vouched for this call; the core
                    // runs the routine as an APC on the thread that set the timer (M140).
                    unsafe { routine(argument.0, low, high) }
                });
            });
        }
    }
    Ok(())
}

/// Arms the timer: it becomes signaled at `*lpDueTime` — negative: relative, in 100 ns
/// units, on the monotonic clock; positive: an absolute UTC `FILETIME`, which follows
/// changes of the system clock (M137, M138) — and then every `lPeriod` milliseconds if
/// `lPeriod` is positive (M139).
///
/// Each time it fires, `pfnCompletionRoutine` (if not `NULL`) is queued as an APC to the
/// **calling** thread, and runs during its alertable waits with
/// `(lpArgToCompletionRoutine, low, high)`, where low/high are the UTC `FILETIME` at which
/// it fired (M140). At most one call is pending at a time, with the fire time of the first
/// expiry it stands for (M141). When the calling thread exits, a timer it set with a
/// routine is cancelled and its signaled state left as it is: if it has not fired yet, this
/// setting never signals it (M145). Setting an armed timer cancels it first, drops its
/// undelivered call and resets it to non-signaled (M142). With `fResume` the call succeeds
/// and leaves `ERROR_NOT_SUPPORTED` (50), as on systems without wake support (M143).
///
/// # Safety
///
/// `lpDueTime` is `NULL` or readable; `pfnCompletionRoutine(lpArgToCompletionRoutine, …)`
/// is sound to call on the calling thread.
///
/// # Errors
///
/// `FALSE` with:
/// - `ERROR_INVALID_HANDLE` (6): `hTimer` is not a timer;
/// - `ERROR_ACCESS_DENIED` (5): the handle lacks `TIMER_MODIFY_STATE`;
/// - `ERROR_INVALID_PARAMETER` (87): a negative `lPeriod`;
/// - `ERROR_NOACCESS` (998): `lpDueTime` is `NULL`.
///
/// # Win32
///
/// `SetWaitableTimer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetWaitableTimer(
    hTimer: HANDLE,
    lpDueTime: *const LARGE_INTEGER,
    lPeriod: LONG,
    pfnCompletionRoutine: PTIMERAPCROUTINE,
    lpArgToCompletionRoutine: LPVOID,
    fResume: BOOL,
) -> BOOL {
    call(0, || {
        // SAFETY: the caller's guarantees, passed on.
        unsafe {
            set(
                hTimer,
                lpDueTime,
                lPeriod,
                pfnCompletionRoutine,
                lpArgToCompletionRoutine,
            )
        }?;
        if fResume != 0 {
            set_last_error(ERROR_NOT_SUPPORTED);
        }
        Ok(TRUE)
    })
}

/// [`SetWaitableTimer`] with a wake context and a tolerable delay, both accepted and
/// ignored: it behaves as `SetWaitableTimer(…, FALSE)` (M146).
///
/// # Safety
///
/// As [`SetWaitableTimer`]; `WakeContext` is not read.
///
/// # Errors
///
/// As [`SetWaitableTimer`].
///
/// # Win32
///
/// `SetWaitableTimerEx`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetWaitableTimerEx(
    hTimer: HANDLE,
    lpDueTime: *const LARGE_INTEGER,
    lPeriod: LONG,
    pfnCompletionRoutine: PTIMERAPCROUTINE,
    lpArgToCompletionRoutine: LPVOID,
    WakeContext: PREASON_CONTEXT,
    TolerableDelay: ULONG,
) -> BOOL {
    let _ = (WakeContext, TolerableDelay);
    call(0, || {
        // SAFETY: the caller's guarantees, passed on.
        unsafe {
            set(
                hTimer,
                lpDueTime,
                lPeriod,
                pfnCompletionRoutine,
                lpArgToCompletionRoutine,
            )
        }?;
        Ok(TRUE)
    })
}

/// Stops the timer and drops its undelivered completion-routine call; its signaled state
/// stays as it is (M142).
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) if `hTimer` is not a timer, or
/// `ERROR_ACCESS_DENIED` (5) if the handle lacks `TIMER_MODIFY_STATE`.
///
/// # Win32
///
/// `CancelWaitableTimer`.
#[unsafe(no_mangle)]
pub extern "C" fn CancelWaitableTimer(hTimer: HANDLE) -> BOOL {
    call(0, || {
        handle::with_access(hTimer, TIMER_MODIFY_STATE, Object::into_timer)?.cancel();
        Ok(TRUE)
    })
}
