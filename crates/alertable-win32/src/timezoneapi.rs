//! Dates in fields (`timezoneapi.h`): `FileTimeToSystemTime`, `SystemTimeToFileTime`, and
//! the calendar arithmetic `sysinfoapi.rs` shares.
//!
//! A `FILETIME` counts 100 ns intervals from 1601-01-01 00:00 UTC; a `SYSTEMTIME` spells
//! a moment in the proleptic Gregorian calendar, 1601 to 30827, as Windows does.

use crate::consts::{ERROR_INVALID_PARAMETER, ERROR_NOACCESS, FALSE, TRUE};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::types::{BOOL, DWORD, FILETIME, LPFILETIME, LPSYSTEMTIME, SYSTEMTIME, WORD};

/// Days from 0000-03-01 to 1970-01-01 in the civil-date algorithm below.
const DAYS_TO_UNIX_EPOCH: i64 = 719_468;
/// Days from 1601-01-01 to 1970-01-01.
const FILETIME_EPOCH_DAYS: i64 = 134_774;
const TICKS_PER_MS: u64 = 10_000;
const TICKS_PER_DAY: u64 = 86_400 * 1000 * TICKS_PER_MS;
/// The first `FILETIME` `FileTimeToSystemTime` refuses, as Windows documents.
const FILETIME_LIMIT: u64 = 0x8000_0000_0000_0000;

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let shifted = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * shifted + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - DAYS_TO_UNIX_EPOCH
}

/// The civil date (year, month, day) of a day since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + DAYS_TO_UNIX_EPOCH;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    days_from_civil(year + i64::from(month == 12), month % 12 + 1, 1)
        - days_from_civil(year, month, 1)
}

/// The fields of the `FILETIME` value `ticks` (which must be below 2^63).
pub(crate) fn system_time_from_ticks(ticks: u64) -> SYSTEMTIME {
    let days = (ticks / TICKS_PER_DAY) as i64 - FILETIME_EPOCH_DAYS;
    let in_day = ticks % TICKS_PER_DAY;
    let ms = in_day / TICKS_PER_MS;
    let (year, month, day) = civil_from_days(days);
    SYSTEMTIME {
        wYear: year as WORD,
        wMonth: month as WORD,
        wDayOfWeek: (days + 4).rem_euclid(7) as WORD,
        wDay: day as WORD,
        wHour: (ms / 3_600_000) as WORD,
        wMinute: (ms / 60_000 % 60) as WORD,
        wSecond: (ms / 1000 % 60) as WORD,
        wMilliseconds: (ms % 1000) as WORD,
    }
}

/// The `FILETIME` value of valid fields (`wDayOfWeek` is ignored), or `None`.
pub(crate) fn ticks_from_system_time(t: &SYSTEMTIME) -> Option<u64> {
    let (year, month, day) = (i64::from(t.wYear), i64::from(t.wMonth), i64::from(t.wDay));
    let valid = (1601..=30827).contains(&year)
        && (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
        && t.wHour < 24
        && t.wMinute < 60
        && t.wSecond < 60
        && t.wMilliseconds < 1000;
    if !valid {
        return None;
    }
    let days = u64::try_from(days_from_civil(year, month, day) + FILETIME_EPOCH_DAYS).ok()?;
    let ms = ((u64::from(t.wHour) * 60 + u64::from(t.wMinute)) * 60 + u64::from(t.wSecond)) * 1000
        + u64::from(t.wMilliseconds);
    Some(days * TICKS_PER_DAY + ms * TICKS_PER_MS)
}

/// Converts the `FILETIME` at `lpFileTime` to fields in `*lpSystemTime` (the same time
/// zone: UTC in, UTC out), with the day of the week, to the millisecond.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_PARAMETER` (87) for a value of 0x8000000000000000 or more,
/// as Windows documents, or `ERROR_NOACCESS` (998) for a `NULL` pointer.
///
/// # Safety
///
/// Both pointers are `NULL` or valid for their structure.
///
/// # Win32
///
/// `FileTimeToSystemTime`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn FileTimeToSystemTime(
    lpFileTime: *const FILETIME,
    lpSystemTime: LPSYSTEMTIME,
) -> BOOL {
    call(FALSE, || -> Result<BOOL> {
        if lpFileTime.is_null() || lpSystemTime.is_null() {
            return Err(Error(ERROR_NOACCESS));
        }
        // SAFETY: non-NULL, and the caller guarantees it is readable.
        let ft = unsafe { lpFileTime.read_unaligned() };
        let ticks = u64::from(ft.dwHighDateTime) << 32 | u64::from(ft.dwLowDateTime);
        if ticks >= FILETIME_LIMIT {
            return Err(Error(ERROR_INVALID_PARAMETER));
        }
        // SAFETY: non-NULL, and the caller guarantees it is writable.
        unsafe { lpSystemTime.write_unaligned(system_time_from_ticks(ticks)) };
        Ok(TRUE)
    })
}

/// Converts the fields at `lpSystemTime` to a `FILETIME` in `*lpFileTime`. `wDayOfWeek`
/// is ignored.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_PARAMETER` (87) if a field is out of range (a year outside
/// 1601–30827, a month outside 1–12, a day the month does not have, an hour, minute,
/// second or millisecond too large), or `ERROR_NOACCESS` (998) for a `NULL` pointer.
///
/// # Safety
///
/// Both pointers are `NULL` or valid for their structure.
///
/// # Win32
///
/// `SystemTimeToFileTime`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SystemTimeToFileTime(
    lpSystemTime: *const SYSTEMTIME,
    lpFileTime: LPFILETIME,
) -> BOOL {
    call(FALSE, || -> Result<BOOL> {
        if lpFileTime.is_null() || lpSystemTime.is_null() {
            return Err(Error(ERROR_NOACCESS));
        }
        // SAFETY: non-NULL, and the caller guarantees it is readable.
        let st = unsafe { lpSystemTime.read_unaligned() };
        let ticks = ticks_from_system_time(&st).ok_or(Error(ERROR_INVALID_PARAMETER))?;
        // SAFETY: non-NULL, and the caller guarantees it is writable.
        unsafe {
            lpFileTime.write_unaligned(FILETIME {
                dwLowDateTime: ticks as DWORD,
                dwHighDateTime: (ticks >> 32) as DWORD,
            });
        }
        Ok(TRUE)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epochs_and_a_leap_day_convert_both_ways() {
        let epoch = system_time_from_ticks(0);
        assert_eq!(
            (epoch.wYear, epoch.wMonth, epoch.wDay, epoch.wDayOfWeek),
            (1601, 1, 1, 1)
        );
        let unix = system_time_from_ticks(116_444_736_000_000_000);
        assert_eq!(
            (unix.wYear, unix.wMonth, unix.wDay, unix.wDayOfWeek),
            (1970, 1, 1, 4)
        );
        let leap = SYSTEMTIME {
            wYear: 2024,
            wMonth: 2,
            wDay: 29,
            wHour: 23,
            wMinute: 59,
            wSecond: 58,
            wMilliseconds: 999,
            wDayOfWeek: 0,
        };
        let ticks = ticks_from_system_time(&leap).expect("valid");
        let back = system_time_from_ticks(ticks);
        assert_eq!(
            back,
            SYSTEMTIME {
                wDayOfWeek: 4,
                ..leap
            }
        );
        assert!(
            ticks_from_system_time(&SYSTEMTIME {
                wYear: 2023,
                ..leap
            })
            .is_none()
        );
        let last = system_time_from_ticks(FILETIME_LIMIT - 1);
        assert_eq!(last.wYear, 30828);
    }
}
