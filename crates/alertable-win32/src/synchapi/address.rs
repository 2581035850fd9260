//! `WaitOnAddress`, `WakeByAddressSingle`, `WakeByAddressAll`.
//!
//! The watched value may be 1, 2, 4 or 8 bytes at any address, so the futex cannot watch it
//! directly. Sleepers queue instead in a process-wide table of `STRIPES` lists keyed by
//! address (the stripe is a hash of the address), each behind its own lock, and sleep on a
//! word of their own.
//!
//! - (A1) A sleeper compares the value with the caller's copy **while holding its stripe's
//!   lock**, and queues itself before releasing it. A waker takes the same lock after the
//!   value changed, so either the sleeper saw the new value and did not sleep, or the waker
//!   finds it queued.
//! - (A2) A waker removes the sleepers it wakes from the list, then sets their word to 1
//!   and wakes it; a sleeper sleeps while its word is 0, so a wake between its queuing and
//!   its sleep is not lost.
//! - (A3) A sleeper whose time runs out removes itself under the lock; if a waker removed
//!   it first, it was woken and returns `TRUE`.
//!
//! Wake-ups that find no sleeper are not kept, and a woken sleeper returns `TRUE` whether
//! or not the value changed: Windows allows such spurious returns, and callers re-check.

use core::ffi::c_void;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::consts::{
    ERROR_INVALID_PARAMETER, ERROR_NOACCESS, ERROR_TIMEOUT, FALSE, INFINITE, TRUE,
};
use crate::error::set_last_error;
use crate::sys::{self, FutexWait};
use crate::types::{BOOL, DWORD, PVOID, SIZE_T};

/// The number of stripes of the table.
const STRIPES: usize = 64;

/// A queued sleeper.
struct Sleeper {
    /// The address it watches.
    address: usize,
    /// 0 while it should sleep, 1 once woken (A2).
    woken: Arc<AtomicU32>,
}

/// The sleepers, by stripe.
static TABLE: [Mutex<Vec<Sleeper>>; STRIPES] = [const { Mutex::new(Vec::new()) }; STRIPES];

/// The locked stripe of `address`.
fn stripe(address: usize) -> MutexGuard<'static, Vec<Sleeper>> {
    let hash = (address >> 3).wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as usize);
    TABLE[hash >> (usize::BITS - STRIPES.trailing_zeros())]
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether the `size` bytes at `a` and `b` are equal, read byte by byte.
///
/// # Safety
///
/// Both are valid for reads of `size` bytes.
unsafe fn same(a: *const u8, b: *const u8, size: usize) -> bool {
    // SAFETY: in bounds (caller); bytes need no alignment. The volatile read keeps the
    // compiler from caching the watched value, which other threads write.
    (0..size).all(|i| unsafe { a.add(i).read_volatile() == b.add(i).read() })
}

/// Win32 `WaitOnAddress`: sleeps while the `AddressSize` bytes at `Address` equal those at
/// `CompareAddress`, until `WakeByAddressSingle`/`WakeByAddressAll` on `Address` or the
/// timeout. Returns `TRUE` at once if they differ. A return of `TRUE` may be spurious, as on
/// Windows: the caller re-checks the value. Never alertable.
///
/// # Errors
///
/// `FALSE` with `ERROR_TIMEOUT` when `dwMilliseconds` elapse; `ERROR_INVALID_PARAMETER`
/// if `AddressSize` is not 1, 2, 4 or 8; `ERROR_NOACCESS` for a `NULL` pointer.
///
/// # Safety
///
/// `Address` and `CompareAddress` are `NULL` or valid for reads of `AddressSize` bytes,
/// `Address` for the whole wait.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WaitOnAddress(
    Address: *mut c_void,
    CompareAddress: PVOID,
    AddressSize: SIZE_T,
    dwMilliseconds: DWORD,
) -> BOOL {
    if !matches!(AddressSize, 1 | 2 | 4 | 8) {
        set_last_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if Address.is_null() || CompareAddress.is_null() {
        set_last_error(ERROR_NOACCESS);
        return FALSE;
    }
    let deadline = (dwMilliseconds != INFINITE)
        .then(|| Instant::now() + Duration::from_millis(u64::from(dwMilliseconds)));
    let address = Address as usize;
    let woken = Arc::new(AtomicU32::new(0));
    {
        let mut list = stripe(address);
        // SAFETY: both valid for reads of AddressSize bytes (caller). (A1)
        if !unsafe { same(Address.cast(), CompareAddress.cast(), AddressSize) } {
            return TRUE;
        }
        if dwMilliseconds == 0 {
            set_last_error(ERROR_TIMEOUT);
            return FALSE;
        }
        list.push(Sleeper {
            address,
            woken: Arc::clone(&woken),
        });
    }
    loop {
        if woken.load(Ordering::Acquire) != 0 {
            return TRUE;
        }
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let timed_out =
            left == Some(Duration::ZERO) || sys::futex_wait(&woken, 0, left) == FutexWait::TimedOut;
        if timed_out {
            // (A3)
            let mut list = stripe(address);
            if let Some(i) = list.iter().position(|s| Arc::ptr_eq(&s.woken, &woken)) {
                list.remove(i);
                set_last_error(ERROR_TIMEOUT);
                return FALSE;
            }
            return TRUE;
        }
    }
}

/// Wakes the sleepers on `address`, the first one only if `all` is false (A2).
fn wake(address: usize, all: bool) {
    let mut woken = Vec::new();
    {
        let mut list = stripe(address);
        let mut i = 0;
        while i < list.len() {
            if list[i].address == address {
                // `remove`, not `swap_remove`: the sleepers stay in arrival order.
                woken.push(list.remove(i).woken);
                if !all {
                    break;
                }
            } else {
                i += 1;
            }
        }
    }
    for word in woken {
        word.store(1, Ordering::Release);
        sys::futex_wake(&word, 1);
    }
}

/// Win32 `WakeByAddressSingle`: wakes one thread sleeping in `WaitOnAddress` on `Address`
/// (the one that has slept longest), if any.
#[unsafe(no_mangle)]
pub extern "C" fn WakeByAddressSingle(Address: PVOID) {
    wake(Address as usize, false);
}

/// Win32 `WakeByAddressAll`: wakes every thread sleeping in `WaitOnAddress` on `Address`.
#[unsafe(no_mangle)]
pub extern "C" fn WakeByAddressAll(Address: PVOID) {
    wake(Address as usize, true);
}
