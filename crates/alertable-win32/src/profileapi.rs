//! The performance counter (`profileapi.h`): `QueryPerformanceCounter`,
//! `QueryPerformanceFrequency`.
//!
//! The counter is Linux's monotonic clock (`CLOCK_MONOTONIC`, which does not jump when the
//! system time is set and is the same in every process) in units of 100 ns, so the
//! frequency is 10 MHz — the value Windows 10 and later report on most machines.

use crate::consts::{ERROR_NOACCESS, FALSE, TRUE};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::sys;
use crate::types::{BOOL, LARGE_INTEGER};

/// Counter ticks per second.
const FREQUENCY: i64 = 10_000_000;

fn store(target: *mut LARGE_INTEGER, value: i64) -> Result<BOOL> {
    if target.is_null() {
        return Err(Error(ERROR_NOACCESS));
    }
    // SAFETY: non-NULL, and the caller guarantees it is writable.
    unsafe { target.write(LARGE_INTEGER { QuadPart: value }) };
    Ok(TRUE)
}

/// Stores the performance counter, a monotonic count of 100 ns ticks, in
/// `*lpPerformanceCount`.
///
/// # Errors
///
/// `FALSE` with `ERROR_NOACCESS` (998) if `lpPerformanceCount` is `NULL`.
///
/// # Safety
///
/// `lpPerformanceCount` is `NULL` or valid for writing a `LARGE_INTEGER`.
///
/// # Win32
///
/// `QueryPerformanceCounter`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn QueryPerformanceCounter(lpPerformanceCount: *mut LARGE_INTEGER) -> BOOL {
    call(FALSE, || store(lpPerformanceCount, sys::monotonic_100ns()))
}

/// Stores the performance counter's frequency, 10 000 000 ticks a second, in
/// `*lpFrequency`.
///
/// # Errors
///
/// `FALSE` with `ERROR_NOACCESS` (998) if `lpFrequency` is `NULL`.
///
/// # Safety
///
/// `lpFrequency` is `NULL` or valid for writing a `LARGE_INTEGER`.
///
/// # Win32
///
/// `QueryPerformanceFrequency`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn QueryPerformanceFrequency(lpFrequency: *mut LARGE_INTEGER) -> BOOL {
    call(FALSE, || store(lpFrequency, FREQUENCY))
}
