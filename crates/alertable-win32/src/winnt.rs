//! The interlocked functions of `winnt.h`: `…Increment`, `…Decrement`, `…Exchange`,
//! `…CompareExchange`, `…ExchangeAdd`, `…Add`, `…And`, `…Or`, `…Xor`, their 64-bit forms,
//! and the pointer exchanges.
//!
//! Each is one atomic read-modify-write, sequentially consistent — a full barrier, as on
//! Windows. A `NULL` or misaligned target (4 bytes for `LONG`, 8 for `LONG64` and
//! pointers) is not touched and the function returns 0 (`NULL`); Windows would fault.
//! Arithmetic wraps. `MemoryBarrier` and `YieldProcessor` are macros of the header.

use std::sync::atomic::{AtomicI32, AtomicI64, AtomicPtr, Ordering};

use crate::types::{LONG, LONG64, PVOID};

/// The target as an atomic, if it is non-NULL and aligned for `T`.
///
/// # Safety
///
/// A non-NULL, aligned `p` is valid for reads and writes and accessed only atomically
/// while the returned reference lives.
unsafe fn atomic<'a, T, A>(p: *mut T, from_ptr: unsafe fn(*mut T) -> &'a A) -> Option<&'a A> {
    if p.is_null() || !p.is_aligned() {
        return None;
    }
    // SAFETY: non-NULL and aligned (checked); valid and atomically accessed (caller).
    Some(unsafe { from_ptr(p) })
}

/// `*p` as an `AtomicI32`.
///
/// # Safety
///
/// As [`atomic`].
unsafe fn long<'a>(p: *mut LONG) -> Option<&'a AtomicI32> {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { atomic(p, AtomicI32::from_ptr) }
}

/// `*p` as an `AtomicI64`.
///
/// # Safety
///
/// As [`atomic`].
unsafe fn long64<'a>(p: *mut LONG64) -> Option<&'a AtomicI64> {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { atomic(p, AtomicI64::from_ptr) }
}

/// Atomically adds `Value` to `*Addend` and returns the value it had; see the module documentation.
///
/// # Safety
///
/// `Addend` is `NULL` or valid, 4-byte aligned, and accessed only atomically meanwhile.
///
/// # Win32
///
/// `InterlockedExchangeAdd`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedExchangeAdd(Addend: *mut LONG, Value: LONG) -> LONG {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { long(Addend) }.map_or(0, |a| a.fetch_add(Value, Ordering::SeqCst))
}

/// Atomically adds `Value` to `*Addend` and returns the value it had; see the module documentation.
///
/// # Safety
///
/// `Addend` is `NULL` or valid, 8-byte aligned, and accessed only atomically meanwhile.
///
/// # Win32
///
/// `InterlockedExchangeAdd64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedExchangeAdd64(Addend: *mut LONG64, Value: LONG64) -> LONG64 {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { long64(Addend) }.map_or(0, |a| a.fetch_add(Value, Ordering::SeqCst))
}

/// Atomically adds `Value` to `*Addend` and returns the new value; see the module documentation.
///
/// # Safety
///
/// `Addend` is `NULL` or valid, 4-byte aligned, and accessed only atomically meanwhile.
///
/// # Win32
///
/// `InterlockedAdd`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedAdd(Addend: *mut LONG, Value: LONG) -> LONG {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { long(Addend) }.map_or(0, |a| {
        a.fetch_add(Value, Ordering::SeqCst).wrapping_add(Value)
    })
}

/// Atomically adds `Value` to `*Addend` and returns the new value; see the module documentation.
///
/// # Safety
///
/// `Addend` is `NULL` or valid, 8-byte aligned, and accessed only atomically meanwhile.
///
/// # Win32
///
/// `InterlockedAdd64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedAdd64(Addend: *mut LONG64, Value: LONG64) -> LONG64 {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { long64(Addend) }.map_or(0, |a| {
        a.fetch_add(Value, Ordering::SeqCst).wrapping_add(Value)
    })
}

/// Atomically ANDs `Value` into `*Destination` and returns the value it had; see the module documentation.
///
/// # Safety
///
/// `Destination` is `NULL` or valid, 4-byte aligned, and accessed only atomically meanwhile.
///
/// # Win32
///
/// `InterlockedAnd`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedAnd(Destination: *mut LONG, Value: LONG) -> LONG {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { long(Destination) }.map_or(0, |a| a.fetch_and(Value, Ordering::SeqCst))
}

/// Atomically ANDs `Value` into `*Destination` and returns the value it had; see the module documentation.
///
/// # Safety
///
/// `Destination` is `NULL` or valid, 8-byte aligned, and accessed only atomically meanwhile.
///
/// # Win32
///
/// `InterlockedAnd64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedAnd64(Destination: *mut LONG64, Value: LONG64) -> LONG64 {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { long64(Destination) }.map_or(0, |a| a.fetch_and(Value, Ordering::SeqCst))
}

/// Atomically ORs `Value` into `*Destination` and returns the value it had; see the module documentation.
///
/// # Safety
///
/// `Destination` is `NULL` or valid, 4-byte aligned, and accessed only atomically meanwhile.
///
/// # Win32
///
/// `InterlockedOr`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedOr(Destination: *mut LONG, Value: LONG) -> LONG {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { long(Destination) }.map_or(0, |a| a.fetch_or(Value, Ordering::SeqCst))
}

/// Atomically ORs `Value` into `*Destination` and returns the value it had; see the module documentation.
///
/// # Safety
///
/// `Destination` is `NULL` or valid, 8-byte aligned, and accessed only atomically meanwhile.
///
/// # Win32
///
/// `InterlockedOr64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedOr64(Destination: *mut LONG64, Value: LONG64) -> LONG64 {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { long64(Destination) }.map_or(0, |a| a.fetch_or(Value, Ordering::SeqCst))
}

/// Atomically XORs `Value` into `*Destination` and returns the value it had; see the module documentation.
///
/// # Safety
///
/// `Destination` is `NULL` or valid, 4-byte aligned, and accessed only atomically meanwhile.
///
/// # Win32
///
/// `InterlockedXor`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedXor(Destination: *mut LONG, Value: LONG) -> LONG {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { long(Destination) }.map_or(0, |a| a.fetch_xor(Value, Ordering::SeqCst))
}

/// Atomically XORs `Value` into `*Destination` and returns the value it had; see the module documentation.
///
/// # Safety
///
/// `Destination` is `NULL` or valid, 8-byte aligned, and accessed only atomically meanwhile.
///
/// # Win32
///
/// `InterlockedXor64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedXor64(Destination: *mut LONG64, Value: LONG64) -> LONG64 {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { long64(Destination) }.map_or(0, |a| a.fetch_xor(Value, Ordering::SeqCst))
}

/// Atomically stores `Value` in `*Target` and returns the value it had; see the module documentation.
///
/// # Safety
///
/// `Target` is `NULL` or valid, 8-byte aligned, and accessed only atomically meanwhile.
///
/// # Win32
///
/// `InterlockedExchange64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedExchange64(Target: *mut LONG64, Value: LONG64) -> LONG64 {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { long64(Target) }.map_or(0, |a| a.swap(Value, Ordering::SeqCst))
}

/// Atomically adds 1 to `*Addend` and returns the new value; see the module documentation.
///
/// # Safety
///
/// `Addend` is `NULL` or valid, 8-byte aligned, and accessed only atomically meanwhile.
///
/// # Win32
///
/// `InterlockedIncrement64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedIncrement64(Addend: *mut LONG64) -> LONG64 {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { long64(Addend) }.map_or(0, |a| a.fetch_add(1, Ordering::SeqCst).wrapping_add(1))
}

/// Atomically subtracts 1 from `*Addend` and returns the new value; see the module
/// documentation.
///
/// # Safety
///
/// As [`InterlockedIncrement64`].
///
/// # Win32
///
/// `InterlockedDecrement64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedDecrement64(Addend: *mut LONG64) -> LONG64 {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { long64(Addend) }.map_or(0, |a| a.fetch_sub(1, Ordering::SeqCst).wrapping_sub(1))
}

/// Atomically stores `ExChange` in `*Destination` if it equals `Comperand`, and returns
/// the value it had; see the module documentation.
///
/// # Safety
///
/// As [`InterlockedIncrement64`], for `Destination`.
///
/// # Win32
///
/// `InterlockedCompareExchange64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedCompareExchange64(
    Destination: *mut LONG64,
    ExChange: LONG64,
    Comperand: LONG64,
) -> LONG64 {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { long64(Destination) }.map_or(0, |a| {
        match a.compare_exchange(Comperand, ExChange, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(v) | Err(v) => v,
        }
    })
}

/// Atomically stores the pointer `Value` in `*Target` and returns the pointer it held;
/// see the module documentation.
///
/// # Safety
///
/// `Target` is `NULL` or valid, pointer-aligned, and accessed only atomically meanwhile.
///
/// # Win32
///
/// `InterlockedExchangePointer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedExchangePointer(Target: *mut PVOID, Value: PVOID) -> PVOID {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { atomic(Target, AtomicPtr::from_ptr) }
        .map_or(std::ptr::null_mut(), |a| a.swap(Value, Ordering::SeqCst))
}

/// Atomically stores the pointer `Exchange` in `*Destination` if it holds `Comperand`,
/// and returns the pointer it held; see the module documentation.
///
/// # Safety
///
/// As [`InterlockedExchangePointer`], for `Destination`.
///
/// # Win32
///
/// `InterlockedCompareExchangePointer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedCompareExchangePointer(
    Destination: *mut PVOID,
    Exchange: PVOID,
    Comperand: PVOID,
) -> PVOID {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { atomic(Destination, AtomicPtr::from_ptr) }.map_or(std::ptr::null_mut(), |a| {
        match a.compare_exchange(Comperand, Exchange, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(v) | Err(v) => v,
        }
    })
}

/// Atomically adds 1 to `*Addend` and returns the new value (sequentially consistent, a
/// full barrier as on Windows). A `NULL` or misaligned `Addend` returns 0 and changes
/// nothing.
///
/// # Safety
///
/// `Addend` is `NULL` or valid, 4-byte aligned, and accessed only atomically meanwhile.
///
/// # Win32
///
/// `InterlockedIncrement`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedIncrement(Addend: *mut LONG) -> LONG {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { long(Addend) }.map_or(0, |a| a.fetch_add(1, Ordering::SeqCst).wrapping_add(1))
}

/// Atomically subtracts 1 from `*Addend` and returns the new value; as
/// [`InterlockedIncrement`].
///
/// # Safety
///
/// As [`InterlockedIncrement`].
///
/// # Win32
///
/// `InterlockedDecrement`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedDecrement(Addend: *mut LONG) -> LONG {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { long(Addend) }.map_or(0, |a| a.fetch_sub(1, Ordering::SeqCst).wrapping_sub(1))
}

/// Atomically stores `Value` in `*Target` and returns the previous value; as
/// [`InterlockedIncrement`].
///
/// # Safety
///
/// As [`InterlockedIncrement`], for `Target`.
///
/// # Win32
///
/// `InterlockedExchange`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedExchange(Target: *mut LONG, Value: LONG) -> LONG {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { long(Target) }.map_or(0, |a| a.swap(Value, Ordering::SeqCst))
}

/// Atomically stores `ExChange` in `*Destination` if it equals `Comperand`, and returns
/// the value it had; as [`InterlockedIncrement`].
///
/// # Safety
///
/// As [`InterlockedIncrement`], for `Destination`.
///
/// # Win32
///
/// `InterlockedCompareExchange`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InterlockedCompareExchange(
    Destination: *mut LONG,
    ExChange: LONG,
    Comperand: LONG,
) -> LONG {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { long(Destination) }.map_or(0, |a| {
        match a.compare_exchange(Comperand, ExChange, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(v) | Err(v) => v,
        }
    })
}
