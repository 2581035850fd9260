//! `sysinfoapi.h`: the system and the clocks — `GetSystemInfo`, `GetTickCount(64)`,
//! `GetSystemTimeAsFileTime`, `GetSystemTime`, `GetLocalTime`.

use std::time::SystemTime;

use crate::consts::{
    PROCESSOR_AMD_X8664, PROCESSOR_ARCHITECTURE_AMD64, PROCESSOR_ARCHITECTURE_ARM,
    PROCESSOR_ARCHITECTURE_ARM64, PROCESSOR_ARCHITECTURE_INTEL, PROCESSOR_ARCHITECTURE_UNKNOWN,
    PROCESSOR_INTEL_386,
};
use crate::filetime::filetime_from_system_time;
use crate::sys;
use crate::timezoneapi::system_time_from_ticks;
use crate::types::{
    DWORD, LPFILETIME, LPSYSTEM_INFO, LPSYSTEMTIME, SYSTEM_INFO, SYSTEM_INFO_ARCHITECTURE,
    SYSTEM_INFO_OEM, ULONGLONG, WORD,
};

/// The granularity Windows reserves address space in, which ported code aligns file
/// mapping offsets to; a multiple of every Linux page size up to 64 KiB.
const ALLOCATION_GRANULARITY: DWORD = 0x1_0000;

/// The architecture, as `GetSystemInfo` names it, and the obsolete processor type.
fn architecture() -> (WORD, DWORD) {
    if cfg!(target_arch = "x86_64") {
        (PROCESSOR_ARCHITECTURE_AMD64, PROCESSOR_AMD_X8664)
    } else if cfg!(target_arch = "x86") {
        (PROCESSOR_ARCHITECTURE_INTEL, PROCESSOR_INTEL_386)
    } else if cfg!(target_arch = "aarch64") {
        (PROCESSOR_ARCHITECTURE_ARM64, 0)
    } else if cfg!(target_arch = "arm") {
        (PROCESSOR_ARCHITECTURE_ARM, 0)
    } else {
        (PROCESSOR_ARCHITECTURE_UNKNOWN, 0)
    }
}

/// Fills `*lpSystemInfo`: the architecture (`PROCESSOR_ARCHITECTURE_AMD64` on x86-64,
/// `…_ARM64` on AArch64), the page size, the address range a program can map, the
/// processors online and the calling thread's affinity mask (first 64), and an allocation
/// granularity of 64 KiB as on Windows. `wProcessorLevel` and `wProcessorRevision` are 0
/// (not read from the processor here). A `NULL` pointer is ignored.
///
/// # Safety
///
/// `lpSystemInfo` is `NULL` or valid for writing a `SYSTEM_INFO`.
///
/// # Win32
///
/// `GetSystemInfo`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetSystemInfo(lpSystemInfo: LPSYSTEM_INFO) {
    let (arch, processor_type) = architecture();
    let page = sys::sysconf(libc::_SC_PAGESIZE, 4096);
    // The top of user space, less the 64 KiB guard Windows keeps too.
    let top: usize = if cfg!(target_pointer_width = "64") {
        (1 << 47) - 0x1_0001
    } else {
        0xBFFE_FFFF
    };
    let info = SYSTEM_INFO {
        DUMMYUNIONNAME: SYSTEM_INFO_OEM {
            DUMMYSTRUCTNAME: SYSTEM_INFO_ARCHITECTURE {
                wProcessorArchitecture: arch,
                wReserved: 0,
            },
        },
        dwPageSize: page as DWORD,
        lpMinimumApplicationAddress: std::ptr::without_provenance_mut(0x1_0000),
        lpMaximumApplicationAddress: std::ptr::without_provenance_mut(top),
        dwActiveProcessorMask: sys::affinity_mask(),
        dwNumberOfProcessors: sys::sysconf(libc::_SC_NPROCESSORS_ONLN, 1) as DWORD,
        dwProcessorType: processor_type,
        dwAllocationGranularity: ALLOCATION_GRANULARITY.max(page as DWORD),
        wProcessorLevel: 0,
        wProcessorRevision: 0,
    };
    if !lpSystemInfo.is_null() {
        // SAFETY: non-NULL, and the caller guarantees it is writable.
        unsafe { lpSystemInfo.write_unaligned(info) };
    }
}

/// Writes the current UTC date and time, to the millisecond, to `*lpSystemTime`. A `NULL`
/// pointer is ignored.
///
/// # Safety
///
/// `lpSystemTime` is `NULL` or valid for writing a `SYSTEMTIME`.
///
/// # Win32
///
/// `GetSystemTime`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetSystemTime(lpSystemTime: LPSYSTEMTIME) {
    let now = filetime_from_system_time(SystemTime::now());
    if !lpSystemTime.is_null() {
        // SAFETY: non-NULL, and the caller guarantees it is writable.
        unsafe { lpSystemTime.write_unaligned(system_time_from_ticks(now)) };
    }
}

/// Writes the current local date and time (the time zone of `TZ` or the system), to the
/// millisecond, to `*lpSystemTime`. A `NULL` pointer is ignored.
///
/// # Safety
///
/// `lpSystemTime` is `NULL` or valid for writing a `SYSTEMTIME`.
///
/// # Win32
///
/// `GetLocalTime`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetLocalTime(lpSystemTime: LPSYSTEMTIME) {
    let now = filetime_from_system_time(SystemTime::now());
    let unix = (now / 10_000_000) as i64 - 11_644_473_600;
    let local = now.saturating_add_signed(sys::local_offset(unix) * 10_000_000);
    if !lpSystemTime.is_null() {
        // SAFETY: non-NULL, and the caller guarantees it is writable.
        unsafe { lpSystemTime.write_unaligned(system_time_from_ticks(local)) };
    }
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
