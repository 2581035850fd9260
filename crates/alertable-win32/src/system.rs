//! The process and the clocks: `ExitProcess`, `GetCurrentProcess(Id)`, `GetTickCount(64)`,
//! `GetSystemTimeAsFileTime`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::handle::CURRENT_PROCESS;
use crate::sys;
use crate::types::{DWORD, HANDLE, LPFILETIME, UINT, ULONGLONG};

/// 100-nanosecond intervals from 1601-01-01 (the `FILETIME` epoch) to 1970-01-01.
const UNIX_EPOCH_AS_FILETIME: u64 = 116_444_736_000_000_000;

/// A wall-clock time as a `FILETIME` value (100 ns units since 1601-01-01 UTC).
pub(crate) fn filetime_from_system_time(time: SystemTime) -> u64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => UNIX_EPOCH_AS_FILETIME.saturating_add(ticks(after)),
        Err(before) => UNIX_EPOCH_AS_FILETIME.saturating_sub(ticks(before.duration())),
    }
}

/// A `FILETIME` value as a wall-clock time.
pub(crate) fn system_time_from_filetime(filetime: u64) -> SystemTime {
    let to_time = |t: u64| Duration::from_nanos(t.saturating_mul(100));
    if filetime >= UNIX_EPOCH_AS_FILETIME {
        UNIX_EPOCH
            .checked_add(to_time(filetime - UNIX_EPOCH_AS_FILETIME))
            .unwrap_or(UNIX_EPOCH)
    } else {
        UNIX_EPOCH
            .checked_sub(to_time(UNIX_EPOCH_AS_FILETIME - filetime))
            .unwrap_or(UNIX_EPOCH)
    }
}

fn ticks(d: Duration) -> u64 {
    u64::try_from(d.as_nanos() / 100).unwrap_or(u64::MAX)
}

/// Ends the process with exit code `uExitCode` (its low 8 bits are the Linux exit status):
/// `atexit` handlers run and C streams are flushed, as Windows flushes the C runtime's.
///
/// # Win32
///
/// `ExitProcess`.
#[unsafe(no_mangle)]
pub extern "C" fn ExitProcess(uExitCode: UINT) -> ! {
    // The calling thread's thread-local destructors run inside `exit`: they need not wait
    // for its overlapped requests.
    crate::overlapped::process_exiting();
    sys::exit_process(uExitCode)
}

/// Returns the pseudo-handle of the current process, `(HANDLE)-1` (equal to
/// `INVALID_HANDLE_VALUE`). Waiting on it times out (C38).
///
/// # Win32
///
/// `GetCurrentProcess`.
#[unsafe(no_mangle)]
pub extern "C" fn GetCurrentProcess() -> HANDLE {
    CURRENT_PROCESS
}

/// Returns the process id.
///
/// # Win32
///
/// `GetCurrentProcessId`.
#[unsafe(no_mangle)]
pub extern "C" fn GetCurrentProcessId() -> DWORD {
    sys::process_id()
}

/// Returns the milliseconds elapsed on the monotonic clock (since boot), wrapping every
/// 49.7 days.
///
/// # Win32
///
/// `GetTickCount`.
#[unsafe(no_mangle)]
pub extern "C" fn GetTickCount() -> DWORD {
    sys::monotonic_ms() as DWORD
}

/// Returns the milliseconds elapsed on the monotonic clock (since boot).
///
/// # Win32
///
/// `GetTickCount64`.
#[unsafe(no_mangle)]
pub extern "C" fn GetTickCount64() -> ULONGLONG {
    sys::monotonic_ms()
}

/// Writes the current UTC time, as a `FILETIME`, to `*lpSystemTimeAsFileTime`. A `NULL`
/// pointer is ignored.
///
/// # Safety
///
/// `lpSystemTimeAsFileTime` is `NULL` or valid for writing a `FILETIME`.
///
/// # Win32
///
/// `GetSystemTimeAsFileTime`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetSystemTimeAsFileTime(lpSystemTimeAsFileTime: LPFILETIME) {
    let now = filetime_from_system_time(SystemTime::now());
    if !lpSystemTimeAsFileTime.is_null() {
        // SAFETY: non-NULL, and the caller guarantees it is writable.
        unsafe {
            lpSystemTimeAsFileTime.write(crate::types::FILETIME {
                dwLowDateTime: now as DWORD,
                dwHighDateTime: (now >> 32) as DWORD,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetime_round_trips_and_knows_its_epoch() {
        assert_eq!(
            filetime_from_system_time(UNIX_EPOCH),
            UNIX_EPOCH_AS_FILETIME
        );
        let t = UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456);
        assert_eq!(system_time_from_filetime(filetime_from_system_time(t)), t);
        let before = UNIX_EPOCH - Duration::from_secs(86_400);
        assert_eq!(
            system_time_from_filetime(filetime_from_system_time(before)),
            before
        );
    }
}
