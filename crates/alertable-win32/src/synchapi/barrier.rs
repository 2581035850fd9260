//! Synchronization barriers: `SYNCHRONIZATION_BARRIER` and its three functions.
//!
//! A barrier lives in the caller's 32 bytes and works at any address: it keeps three
//! aligned 32-bit words, found by `in_place` in bytes 0–6, 8–14 and 16–22 (disjoint at
//! every address):
//!
//! - the **phase word**: bit 31 the phase's parity, the bits below it how many threads have
//!   arrived in this phase;
//! - the **total**: how many threads each phase waits for, written once by
//!   `InitializeSynchronizationBarrier`;
//! - the **inside** count: threads between entering and leaving
//!   `EnterSynchronizationBarrier` without `SYNCHRONIZATION_BARRIER_FLAGS_NO_DELETE`.
//!
//! - (B1) The arrival that brings the count to the total adds `PHASE - total` to the phase
//!   word in one atomic step: the parity flips and the count drops by the total (threads
//!   that arrived beyond the total are counted in the next phase). Exactly that thread
//!   returns `TRUE`; it then wakes every sleeper.
//! - (B2) The others wait while the parity is the one they arrived in: they sleep on the
//!   word with the value they last read, so a flip between their read and their sleep makes
//!   the sleep return at once.
//! - (B3) A thread's last access to the barrier is its decrement of the inside count, and
//!   `DeleteSynchronizationBarrier` waits until that count is 0, so the memory may be freed
//!   once it returns (unless threads entered with `…_NO_DELETE`, which Windows also leaves
//!   to the caller).
//!
//! Ordering: the flip is `AcqRel` and the waiters' reads `Acquire`, so every thread leaving
//! a phase sees what every thread wrote before arriving in it.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::consts::{
    ERROR_INVALID_PARAMETER, ERROR_NOACCESS, FALSE, SYNCHRONIZATION_BARRIER_FLAGS_BLOCK_ONLY,
    SYNCHRONIZATION_BARRIER_FLAGS_NO_DELETE, SYNCHRONIZATION_BARRIER_FLAGS_SPIN_ONLY, TRUE,
};
use crate::error::set_last_error;
use crate::in_place::{self, Field};
use crate::sys;
use crate::types::{BOOL, DWORD, LONG, LPSYNCHRONIZATION_BARRIER};

/// The parity bit of the phase word.
const PHASE: u32 = 1 << 31;
/// Where the phase word lives.
const PHASE_WORD: [Field; 1] = [Field { offset: 0, len: 7 }];
/// Where the total lives.
const TOTAL_WORD: [Field; 1] = [Field { offset: 8, len: 7 }];
/// Where the inside count lives.
const INSIDE_WORD: [Field; 1] = [Field { offset: 16, len: 7 }];

/// The words of a barrier.
struct Words<'a> {
    phase: &'a AtomicU32,
    total: &'a AtomicU32,
    inside: &'a AtomicU32,
}

/// The words of the barrier at `barrier`, or `None` for `NULL`.
///
/// # Safety
///
/// `barrier` is `NULL` or points to a live `SYNCHRONIZATION_BARRIER` used only through
/// these functions.
unsafe fn words<'a>(barrier: LPSYNCHRONIZATION_BARRIER) -> Option<Words<'a>> {
    if barrier.is_null() {
        return None;
    }
    // SAFETY: the three fields lie inside the 32 live bytes (caller) and their words are
    // disjoint at every address; each is accessed only atomically, through these fields.
    unsafe {
        Some(Words {
            phase: in_place::word(barrier, &PHASE_WORD),
            total: in_place::word(barrier, &TOTAL_WORD),
            inside: in_place::word(barrier, &INSIDE_WORD),
        })
    }
}

/// Win32 `InitializeSynchronizationBarrier`: makes `lpBarrier` a barrier that releases its
/// threads each time `lTotalThreads` of them have entered. `lSpinCount` (-1 for the
/// default) is accepted; waiting threads sleep rather than spin.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_PARAMETER` if `lTotalThreads` is below 1 or `lSpinCount`
/// below -1; `ERROR_NOACCESS` for `NULL`.
///
/// # Safety
///
/// `lpBarrier` is `NULL` or valid for writes of a `SYNCHRONIZATION_BARRIER` not in use.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InitializeSynchronizationBarrier(
    lpBarrier: LPSYNCHRONIZATION_BARRIER,
    lTotalThreads: LONG,
    lSpinCount: LONG,
) -> BOOL {
    if lTotalThreads < 1 || lSpinCount < -1 {
        set_last_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if lpBarrier.is_null() {
        set_last_error(ERROR_NOACCESS);
        return FALSE;
    }
    // SAFETY: valid for writes and not in use (caller); unaligned writes are allowed.
    unsafe { lpBarrier.cast::<[u8; 32]>().write_unaligned([0; 32]) };
    // SAFETY: live now (caller), and not NULL.
    if let Some(words) = unsafe { words(lpBarrier) } {
        words
            .total
            .store(lTotalThreads.unsigned_abs(), Ordering::Release);
    }
    TRUE
}

/// Win32 `EnterSynchronizationBarrier`: waits until the barrier's total of threads have
/// entered it in this phase. Returns `TRUE` in exactly one of them (the last to arrive),
/// `FALSE` in the others. `SYNCHRONIZATION_BARRIER_FLAGS_SPIN_ONLY` makes the thread spin
/// (yielding) instead of sleeping, `…_BLOCK_ONLY` sleep at once (the default here), and
/// `…_NO_DELETE` skips the book-keeping `DeleteSynchronizationBarrier` waits on. Never
/// alertable.
///
/// # Safety
///
/// `lpBarrier` is `NULL` (`FALSE`, `ERROR_NOACCESS`) or points to a barrier initialized by
/// `InitializeSynchronizationBarrier` and live until the call returns.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn EnterSynchronizationBarrier(
    lpBarrier: LPSYNCHRONIZATION_BARRIER,
    dwFlags: DWORD,
) -> BOOL {
    // SAFETY: NULL or live (caller).
    let Some(words) = (unsafe { words(lpBarrier) }) else {
        set_last_error(ERROR_NOACCESS);
        return FALSE;
    };
    let counted = dwFlags & SYNCHRONIZATION_BARRIER_FLAGS_NO_DELETE == 0;
    let spin = dwFlags & SYNCHRONIZATION_BARRIER_FLAGS_SPIN_ONLY != 0
        && dwFlags & SYNCHRONIZATION_BARRIER_FLAGS_BLOCK_ONLY == 0;
    if counted {
        words.inside.fetch_add(1, Ordering::Relaxed);
    }
    let total = words.total.load(Ordering::Acquire).max(1);
    let arrived = words.phase.fetch_add(1, Ordering::AcqRel).wrapping_add(1);
    let last = (arrived & !PHASE) == total;
    if last {
        // (B1)
        words
            .phase
            .fetch_add(PHASE.wrapping_sub(total), Ordering::AcqRel);
        sys::futex_wake(words.phase, i32::MAX);
    } else {
        // (B2)
        let parity = arrived & PHASE;
        loop {
            let now = words.phase.load(Ordering::Acquire);
            if now & PHASE != parity {
                break;
            }
            if spin {
                sys::yield_now();
            } else {
                sys::futex_wait(words.phase, now, None);
            }
        }
    }
    if counted && words.inside.fetch_sub(1, Ordering::Release) == 1 {
        // (B3): the address is only a key here; the memory is not accessed.
        sys::futex_wake(words.inside, i32::MAX);
    }
    if last { TRUE } else { FALSE }
}

/// Win32 `DeleteSynchronizationBarrier`: waits until every thread that entered the barrier
/// (without `SYNCHRONIZATION_BARRIER_FLAGS_NO_DELETE`) has left it; the memory may then be
/// freed. Always returns `TRUE`.
///
/// # Safety
///
/// `lpBarrier` is `NULL` (ignored) or points to an initialized barrier.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn DeleteSynchronizationBarrier(
    lpBarrier: LPSYNCHRONIZATION_BARRIER,
) -> BOOL {
    // SAFETY: NULL or live (caller).
    if let Some(words) = unsafe { words(lpBarrier) } {
        loop {
            // (B3)
            let inside = words.inside.load(Ordering::Acquire);
            if inside == 0 {
                break;
            }
            sys::futex_wait(words.inside, inside, None);
        }
    }
    TRUE
}
