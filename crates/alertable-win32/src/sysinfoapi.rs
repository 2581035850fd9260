//! The system and the clock in fields (`sysinfoapi.h`, the functions beyond those of
//! `system.rs`): `GetSystemInfo`, `GetSystemTime`, `GetLocalTime`.

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
    DWORD, DWORD_PTR, LPFILETIME, LPSYSTEM_INFO, LPSYSTEMTIME, SYSTEM_INFO,
    SYSTEM_INFO_ARCHITECTURE, SYSTEM_INFO_OEM, ULONGLONG, WORD,
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

/// `sysconf(name)`, or `fallback` if the system does not say.
fn sysconf(name: libc::c_int, fallback: u64) -> u64 {
    // SAFETY: `sysconf` has no preconditions; an unknown name returns -1.
    let value = unsafe { libc::sysconf(name) };
    u64::try_from(value)
        .ok()
        .filter(|&v| v > 0)
        .unwrap_or(fallback)
}

/// One bit per processor the calling thread may run on, of the first 64.
fn affinity_mask() -> DWORD_PTR {
    // SAFETY: an all-zero `cpu_set_t` is a valid empty set.
    let mut set: libc::cpu_set_t = unsafe { core::mem::zeroed() };
    // SAFETY: `set` is a valid `cpu_set_t` of the size passed; pid 0 is the caller.
    let r = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &raw mut set) };
    if r != 0 {
        return 1;
    }
    (0..usize::BITS as usize)
        // SAFETY: `set` is initialized and `cpu` is below CPU_SETSIZE.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .fold(0, |mask, cpu| mask | 1 << cpu)
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
    let page = sysconf(libc::_SC_PAGESIZE, 4096);
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
        dwActiveProcessorMask: affinity_mask(),
        dwNumberOfProcessors: sysconf(libc::_SC_NPROCESSORS_ONLN, 1) as DWORD,
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

/// The local time zone's offset from UTC at `unix_seconds`, in seconds (the C library's
/// `localtime_r`, which reads `TZ` and the system's zone).
fn local_offset(unix_seconds: i64) -> i64 {
    let t = libc::time_t::try_from(unix_seconds).unwrap_or(0);
    // SAFETY: an all-zero `tm` is valid to be written.
    let mut tm: libc::tm = unsafe { core::mem::zeroed() };
    // SAFETY: both pointers are valid; `localtime_r` is thread-safe.
    let r = unsafe { libc::localtime_r(&raw const t, &raw mut tm) };
    if r.is_null() { 0 } else { tm.tm_gmtoff }
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
    let local = now.saturating_add_signed(local_offset(unix) * 10_000_000);
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
