//! One-time initialization: `INIT_ONCE` and the `InitOnce…` functions.
//!
//! An `INIT_ONCE` lives in the caller's memory, is zero when new (`INIT_ONCE_STATIC_INIT`)
//! and works at any address: its state is the aligned 32-bit word `in_place` finds among its
//! 8 bytes. The word's low two bits are the state, the bits above them the context:
//!
//! | low bits | state                                   | above them                     |
//! |----------|-----------------------------------------|--------------------------------|
//! | `0`      | not initialized                         | 0                              |
//! | `1`      | one thread initializes (synchronously)  | 0                              |
//! | `3`      | threads initialize asynchronously       | 0                              |
//! | `2`      | initialized                             | the context's slot (0: `NULL`) |
//!
//! A context is a pointer, wider than the word, so a non-`NULL` context is kept in a
//! process-wide table that only grows, and the word holds its index; a completed `INIT_ONCE`
//! therefore costs one pointer of memory for the life of the process, whatever happens to
//! the structure (a zeroed structure reads "not initialized" again, as it must).
//!
//! - (I1) Only a thread that moved the word from 0 to 1 (`InitOnceBeginInitialize` with
//!   pending) moves it away from 1; it stores 2 with the context (success) or 0 (failure)
//!   with a `Release` store, then wakes every sleeper.
//! - (I2) A synchronous beginner that finds 1 sleeps while the word is 1, so a completion
//!   between its read and its sleep makes the sleep return at once; it then reads again.
//! - (I3) Asynchronous completion is a CAS from 3 to 2: exactly one completer wins; the
//!   others fail with `ERROR_GEN_FAILURE` and must use the winner's context.
//! - (I4) Synchronous and asynchronous use of one `INIT_ONCE` while it is pending fails with
//!   `ERROR_INVALID_PARAMETER`, as on Windows.
//!
//! Ordering: a reader that sees 2 with an `Acquire` load sees everything the completer
//! wrote before its `Release` store or CAS.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::consts::{
    ERROR_GEN_FAILURE, ERROR_INVALID_PARAMETER, ERROR_NOACCESS, FALSE, INIT_ONCE_ASYNC,
    INIT_ONCE_CHECK_ONLY, INIT_ONCE_CTX_RESERVED_BITS, INIT_ONCE_INIT_FAILED, TRUE,
};
use crate::error::set_last_error;
use crate::in_place::{self, Field};
use crate::sys;
use crate::types::{BOOL, DWORD, LPINIT_ONCE, PBOOL, PINIT_ONCE, PINIT_ONCE_FN, PVOID};

/// Not initialized.
const FREE: u32 = 0;
/// One thread initializes.
const SYNC: u32 = 1;
/// Initialized; the context's slot is above the state bits.
const DONE: u32 = 2;
/// Threads initialize asynchronously.
const ASYNC: u32 = 3;
/// The state bits.
const STATE: u32 = 3;
/// The context's low bits that must be zero.
const RESERVED: usize = (1 << INIT_ONCE_CTX_RESERVED_BITS) - 1;

/// The contexts of completed `INIT_ONCE`s; slot 0 is `NULL` and is never stored.
static CONTEXTS: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// The word for `context`: its slot shifted above the state bits, with `DONE`.
fn done_word(context: PVOID) -> Option<u32> {
    if context.is_null() {
        return Some(DONE);
    }
    let mut table = CONTEXTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if table.is_empty() {
        table.push(0);
    }
    let slot = u32::try_from(table.len()).ok().filter(|&s| s < 1 << 30)?;
    table.push(context as usize);
    Some(slot << 2 | DONE)
}

/// The context a `DONE` word holds.
fn context_of(word: u32) -> PVOID {
    let slot = (word >> 2) as usize;
    if slot == 0 {
        return core::ptr::null_mut();
    }
    let table = CONTEXTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    table[slot] as PVOID
}

/// The state word of the `INIT_ONCE` at `once`, or `None` for `NULL`.
///
/// # Safety
///
/// `once` is `NULL` or points to a live `INIT_ONCE` used only through these functions.
unsafe fn state<'a>(once: PINIT_ONCE) -> Option<&'a AtomicU32> {
    if once.is_null() {
        return None;
    }
    // SAFETY: a live INIT_ONCE of 8 bytes (caller), accessed only atomically through the
    // word `in_place` picks for it, the same every time.
    Some(unsafe { in_place::word(once, &[Field::POINTER]) })
}

/// Stores through an optional out pointer.
///
/// # Safety
///
/// `out` is `NULL` or valid for a write of `T`.
unsafe fn put<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: valid for writes (caller); `write_unaligned` needs no alignment.
        unsafe { out.write_unaligned(value) };
    }
}

/// Win32 `InitOnceInitialize`: makes `InitOnce` a new, not initialized one-time
/// initialization (the same as `INIT_ONCE_STATIC_INIT`, all zero).
///
/// # Safety
///
/// `InitOnce` is `NULL` (ignored) or valid for writes of an `INIT_ONCE`, not in use.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InitOnceInitialize(InitOnce: PINIT_ONCE) {
    if !InitOnce.is_null() {
        // SAFETY: valid for writes and not in use (caller); unaligned writes are allowed.
        unsafe { InitOnce.cast::<[u8; 8]>().write_unaligned([0; 8]) };
    }
}

/// Win32 `InitOnceBeginInitialize`: starts a one-time initialization, or finds it done.
///
/// Returns `TRUE` with `*fPending` `FALSE` and `*lpContext` the stored context when the
/// initialization is complete; `TRUE` with `*fPending` `TRUE` when the caller must now
/// initialize (synchronously: other synchronous callers wait until it completes; with
/// `INIT_ONCE_ASYNC`: other callers may initialize at the same time). With
/// `INIT_ONCE_CHECK_ONLY` it never starts an initialization nor waits.
///
/// # Errors
///
/// `FALSE` with `ERROR_GEN_FAILURE` if `INIT_ONCE_CHECK_ONLY` finds it not complete;
/// `ERROR_INVALID_PARAMETER` for unknown or conflicting flags, or for synchronous and
/// asynchronous initialization of one `INIT_ONCE` at once; `ERROR_NOACCESS` for `NULL`.
///
/// # Safety
///
/// `lpInitOnce` is `NULL` or points to a live `INIT_ONCE`; `fPending` and `lpContext` are
/// `NULL` or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InitOnceBeginInitialize(
    lpInitOnce: LPINIT_ONCE,
    dwFlags: DWORD,
    fPending: PBOOL,
    lpContext: *mut PVOID,
) -> BOOL {
    let check_only = dwFlags & INIT_ONCE_CHECK_ONLY != 0;
    let asynchronous = dwFlags & INIT_ONCE_ASYNC != 0;
    if dwFlags & !(INIT_ONCE_CHECK_ONLY | INIT_ONCE_ASYNC) != 0 || (check_only && asynchronous) {
        set_last_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    // SAFETY: NULL or live (caller).
    let Some(word) = (unsafe { state(lpInitOnce) }) else {
        set_last_error(ERROR_NOACCESS);
        return FALSE;
    };
    loop {
        let seen = word.load(Ordering::Acquire);
        let pending = match seen & STATE {
            DONE => {
                // SAFETY: NULL or valid for writes (caller), both.
                unsafe {
                    put(fPending, FALSE);
                    put(lpContext, context_of(seen));
                }
                return TRUE;
            }
            _ if check_only => {
                set_last_error(ERROR_GEN_FAILURE);
                return FALSE;
            }
            FREE => {
                let new = if asynchronous { ASYNC } else { SYNC };
                // (I1): this thread now owns a synchronous initialization.
                word.compare_exchange(FREE, new, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            }
            ASYNC if asynchronous => true,
            SYNC if !asynchronous => {
                // (I2): a completion changes the word, ending the sleep.
                sys::futex_wait(word, SYNC, None);
                false
            }
            _ => {
                // (I4)
                set_last_error(ERROR_INVALID_PARAMETER);
                return FALSE;
            }
        };
        if pending {
            // SAFETY: NULL or valid for writes (caller).
            unsafe { put(fPending, TRUE) };
            return TRUE;
        }
    }
}

/// Win32 `InitOnceComplete`: ends an initialization begun with `InitOnceBeginInitialize`,
/// storing `lpContext`, or (`INIT_ONCE_INIT_FAILED`, synchronous only) reporting that it
/// failed, so that the next caller initializes again.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_PARAMETER` for unknown flags, `INIT_ONCE_ASYNC` with
/// `INIT_ONCE_INIT_FAILED`, or a context whose low `INIT_ONCE_CTX_RESERVED_BITS` bits are
/// not zero; `ERROR_GEN_FAILURE` if no initialization of that kind is pending (with
/// `INIT_ONCE_ASYNC`: another thread completed first, and its context counts);
/// `ERROR_NOACCESS` for `NULL`.
///
/// # Safety
///
/// `lpInitOnce` is `NULL` or points to a live `INIT_ONCE`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InitOnceComplete(
    lpInitOnce: LPINIT_ONCE,
    dwFlags: DWORD,
    lpContext: PVOID,
) -> BOOL {
    let asynchronous = dwFlags & INIT_ONCE_ASYNC != 0;
    let failed = dwFlags & INIT_ONCE_INIT_FAILED != 0;
    if dwFlags & !(INIT_ONCE_ASYNC | INIT_ONCE_INIT_FAILED) != 0
        || (asynchronous && failed)
        || (!failed && lpContext as usize & RESERVED != 0)
    {
        set_last_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    // SAFETY: NULL or live (caller).
    let Some(word) = (unsafe { state(lpInitOnce) }) else {
        set_last_error(ERROR_NOACCESS);
        return FALSE;
    };
    let from = if asynchronous { ASYNC } else { SYNC };
    if word.load(Ordering::Relaxed) != from {
        set_last_error(ERROR_GEN_FAILURE);
        return FALSE;
    }
    let to = if failed {
        Some(FREE)
    } else {
        done_word(lpContext)
    };
    let Some(to) = to else {
        set_last_error(ERROR_GEN_FAILURE);
        return FALSE;
    };
    // (I1) synchronous: only the owner leaves SYNC; (I3) asynchronous: one CAS wins.
    if word
        .compare_exchange(from, to, Ordering::Release, Ordering::Relaxed)
        .is_err()
    {
        set_last_error(ERROR_GEN_FAILURE);
        return FALSE;
    }
    if !asynchronous {
        sys::futex_wake(word, i32::MAX);
    }
    TRUE
}

/// Win32 `InitOnceExecuteOnce`: runs `InitFn(InitOnce, Parameter, Context)` once for
/// `InitOnce`; other callers wait until it has run, and get its context in `*Context`.
///
/// # Errors
///
/// `FALSE` if `InitFn` returns `FALSE` (the next caller runs it again; the last error is
/// what `InitFn` left), if it stores a context whose low `INIT_ONCE_CTX_RESERVED_BITS`
/// bits are not zero (`ERROR_INVALID_PARAMETER`; the next caller runs it again), or if
/// `InitOnce` is `NULL` (`ERROR_NOACCESS`).
///
/// # Safety
///
/// `InitOnce` is `NULL` or points to a live `INIT_ONCE`; `Context` is `NULL` or valid for
/// reads and writes; `InitFn` is safe to call with these arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InitOnceExecuteOnce(
    InitOnce: PINIT_ONCE,
    InitFn: PINIT_ONCE_FN,
    Parameter: PVOID,
    Context: *mut PVOID,
) -> BOOL {
    let mut pending = FALSE;
    // SAFETY: forwarded from the caller; `pending` is a local.
    if unsafe { InitOnceBeginInitialize(InitOnce, 0, &raw mut pending, Context) } == FALSE {
        return FALSE;
    }
    if pending == FALSE {
        return TRUE;
    }
    // SAFETY: callable with these arguments (caller).
    let ok = InitFn.is_some_and(|f| unsafe { f(InitOnce, Parameter, Context) } != FALSE);
    let context = if Context.is_null() {
        core::ptr::null_mut()
    } else {
        // SAFETY: valid for reads (caller).
        unsafe { Context.read_unaligned() }
    };
    // SAFETY: this thread's pending initialization of a live INIT_ONCE (I1).
    if ok && unsafe { InitOnceComplete(InitOnce, 0, context) } != FALSE {
        return TRUE;
    }
    let error = crate::error::last_error();
    // SAFETY: as above; failing always succeeds for the owner.
    unsafe { InitOnceComplete(InitOnce, INIT_ONCE_INIT_FAILED, core::ptr::null_mut()) };
    set_last_error(error);
    FALSE
}
