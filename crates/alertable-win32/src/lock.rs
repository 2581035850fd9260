//! In-place locks of caller memory: `CRITICAL_SECTION`, `SRWLOCK`, `CONDITION_VARIABLE`,
//! and the `Interlocked` functions.
//!
//! None of these is a kernel object or a handle: each lives in the caller's structure
//! and allocates nothing, so `DeleteCriticalSection` has nothing to free and a zeroed
//! structure is a valid, free lock. Waits on them are never alertable, as on Windows.
//!
//! # Critical sections
//!
//! `LockCount` is a futex word: 0 free, 1 held, 2 held with (possible) sleepers.
//! `OwningThread` holds the owner's thread id, `RecursionCount` its depth (touched only
//! by the owner). (L1) Only the owner stores its own id in `OwningThread`, so comparing it
//! with the caller's id needs no ordering: it equals the caller's id exactly when the
//! caller owns the section.
//!
//! # SRW locks
//!
//! The first 32 bits of the pointer-sized `SRWLOCK` are the state: bit 31 a writer holds
//! it, bit 30 threads may be sleeping, bits 0–29 the number of readers.
//! (L2) A thread sleeps only on a state with the sleeping bit set, and every release that
//! leaves the lock free with that bit set clears it and wakes all sleepers, who then
//! compete again; a sleeper that set the bit after the release sees a changed word and
//! does not sleep. Readers are not held back by waiting writers (no fairness is
//! promised, as on Windows).
//!
//! # Condition variables
//!
//! The first 32 bits of the `CONDITION_VARIABLE` are a sequence number. A sleeper reads
//! it, releases its lock, and sleeps while it is unchanged; `Wake…` increments it and
//! wakes one or all sleepers. (L3) A wake between the read and the sleep changes the
//! number, so the sleeper does not sleep through it. Spurious wake-ups are possible, as
//! Windows documents.

use std::sync::atomic::{AtomicI32, AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

use crate::consts::{
    CONDITION_VARIABLE_LOCKMODE_SHARED, ERROR_NOACCESS, ERROR_NOT_OWNER, ERROR_TIMEOUT, FALSE,
    INFINITE, TRUE,
};
use crate::error::set_last_error;
use crate::sys::{self, FutexWait};
use crate::types::{
    BOOL, BOOLEAN, CRITICAL_SECTION, DWORD, LONG, LPCRITICAL_SECTION, PCONDITION_VARIABLE,
    PCRITICAL_SECTION, PSRWLOCK, ULONG,
};

fn timeout(ms: DWORD) -> Option<Duration> {
    (ms != INFINITE).then(|| Duration::from_millis(u64::from(ms)))
}

/// Whether `p` is non-NULL and aligned for `T`.
fn usable<T>(p: *const T) -> bool {
    !p.is_null() && p.is_aligned()
}

// ---------------------------------------------------------------------------------------
// Critical sections.

/// The atomic views of a critical section's fields.
struct Section<'a> {
    word: &'a AtomicU32,
    owner: &'a AtomicUsize,
    depth: *mut LONG,
}

impl Section<'_> {
    /// # Safety
    ///
    /// `cs` is non-NULL, aligned, and points to a critical section that stays valid, and is
    /// accessed only through these functions, while it is in use.
    unsafe fn of(cs: *mut CRITICAL_SECTION) -> Self {
        // SAFETY: `cs` is valid and aligned (caller), so its `LONG` and `HANDLE` fields are
        // aligned for 32-bit and pointer-sized atomics; they are accessed only atomically
        // by these functions.
        unsafe {
            Self {
                word: AtomicU32::from_ptr(core::ptr::addr_of_mut!((*cs).LockCount).cast()),
                owner: AtomicUsize::from_ptr(core::ptr::addr_of_mut!((*cs).OwningThread).cast()),
                depth: core::ptr::addr_of_mut!((*cs).RecursionCount),
            }
        }
    }

    fn owned_by(&self, me: usize) -> bool {
        // (L1)
        self.owner.load(Ordering::Relaxed) == me
    }

    fn lock(&self) {
        if self
            .word
            .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
    }

    #[cold] // only when another thread holds the section
    fn lock_contended(&self) {
        while self.word.swap(2, Ordering::Acquire) != 0 {
            sys::futex_wait(self.word, 2, None);
        }
    }

    fn unlock(&self) {
        if self.word.swap(0, Ordering::Release) == 2 {
            sys::futex_wake(self.word, 1);
        }
    }

    /// Takes ownership after locking, with recursion `depth`.
    fn take(&self, me: usize, depth: LONG) {
        self.owner.store(me, Ordering::Relaxed);
        // SAFETY: the caller holds the lock, so it alone touches the depth.
        unsafe { self.depth.write(depth) };
    }

    /// Gives up ownership entirely and unlocks; returns the depth it had.
    fn release_all(&self) -> LONG {
        // SAFETY: the caller owns the section, so it alone touches the depth.
        let depth = unsafe { self.depth.read() };
        // SAFETY: as above.
        unsafe { self.depth.write(0) };
        self.owner.store(0, Ordering::Relaxed);
        self.unlock();
        depth
    }
}

fn me() -> usize {
    sys::current_tid() as usize
}

/// Makes `*lpCriticalSection` a free critical section.
///
/// # Safety
///
/// `lpCriticalSection` is `NULL` (ignored) or valid for writing a `CRITICAL_SECTION`
/// that no thread is using.
///
/// # Win32
///
/// `InitializeCriticalSection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InitializeCriticalSection(lpCriticalSection: LPCRITICAL_SECTION) {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { InitializeCriticalSectionAndSpinCount(lpCriticalSection, 0) };
}

/// [`InitializeCriticalSection`], recording a spin count (which is not used). Returns
/// `TRUE`, or `FALSE` with `ERROR_NOACCESS` (998) for a `NULL` or misaligned pointer.
///
/// # Safety
///
/// As [`InitializeCriticalSection`].
///
/// # Win32
///
/// `InitializeCriticalSectionAndSpinCount`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InitializeCriticalSectionAndSpinCount(
    lpCriticalSection: LPCRITICAL_SECTION,
    dwSpinCount: DWORD,
) -> BOOL {
    if !usable(lpCriticalSection) {
        set_last_error(ERROR_NOACCESS);
        return FALSE;
    }
    // SAFETY: valid for writing (caller) and aligned (checked); nobody uses it yet.
    unsafe {
        lpCriticalSection.write(CRITICAL_SECTION {
            DebugInfo: core::ptr::null_mut(),
            LockCount: 0,
            RecursionCount: 0,
            OwningThread: core::ptr::null_mut(),
            LockSemaphore: core::ptr::null_mut(),
            SpinCount: dwSpinCount as usize,
        });
    }
    TRUE
}

/// Enters the critical section, waiting while another thread owns it. The owner may enter
/// again; it must leave once per entry. Not alertable.
///
/// # Safety
///
/// `lpCriticalSection` is `NULL` (ignored) or points to an initialized (or zeroed)
/// critical section that stays valid and in place while in use.
///
/// # Win32
///
/// `EnterCriticalSection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn EnterCriticalSection(lpCriticalSection: LPCRITICAL_SECTION) {
    if !usable(lpCriticalSection) {
        return;
    }
    // SAFETY: non-NULL and aligned (checked); valid per the caller.
    let cs = unsafe { Section::of(lpCriticalSection) };
    let me = me();
    if cs.owned_by(me) {
        // SAFETY: the caller owns the section, so it alone touches the depth.
        unsafe { *cs.depth += 1 };
        return;
    }
    cs.lock();
    cs.take(me, 1);
}

/// Enters the critical section if that needs no waiting: returns `TRUE` if the caller
/// now owns it (again), `FALSE` if another thread does.
///
/// # Safety
///
/// As [`EnterCriticalSection`].
///
/// # Win32
///
/// `TryEnterCriticalSection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn TryEnterCriticalSection(lpCriticalSection: LPCRITICAL_SECTION) -> BOOL {
    if !usable(lpCriticalSection) {
        return FALSE;
    }
    // SAFETY: non-NULL and aligned (checked); valid per the caller.
    let cs = unsafe { Section::of(lpCriticalSection) };
    let me = me();
    if cs.owned_by(me) {
        // SAFETY: the caller owns the section.
        unsafe { *cs.depth += 1 };
        return TRUE;
    }
    if cs
        .word
        .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        return FALSE;
    }
    cs.take(me, 1);
    TRUE
}

/// Leaves the critical section once; it is free when the owner has left as often as it
/// entered. Leaving a section the caller does not own does nothing (on Windows it is
/// undefined).
///
/// # Safety
///
/// As [`EnterCriticalSection`].
///
/// # Win32
///
/// `LeaveCriticalSection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn LeaveCriticalSection(lpCriticalSection: LPCRITICAL_SECTION) {
    if !usable(lpCriticalSection) {
        return;
    }
    // SAFETY: non-NULL and aligned (checked); valid per the caller.
    let cs = unsafe { Section::of(lpCriticalSection) };
    if !cs.owned_by(me()) {
        return;
    }
    // SAFETY: the caller owns the section, so it alone touches the depth.
    let depth = unsafe { cs.depth.read() };
    if depth > 1 {
        // SAFETY: as above.
        unsafe { cs.depth.write(depth - 1) };
    } else {
        cs.release_all();
    }
}

/// Retires a critical section. It holds no resources, so this only marks it free.
///
/// # Safety
///
/// `lpCriticalSection` is `NULL` (ignored) or points to a critical section no thread is
/// using.
///
/// # Win32
///
/// `DeleteCriticalSection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn DeleteCriticalSection(lpCriticalSection: LPCRITICAL_SECTION) {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { InitializeCriticalSectionAndSpinCount(lpCriticalSection, 0) };
}

// ---------------------------------------------------------------------------------------
// SRW locks.

const WRITER: u32 = 1 << 31;
const SLEEPERS: u32 = 1 << 30;
const READERS: u32 = SLEEPERS - 1;

/// The state word of an SRW lock or condition variable (the first 32 bits of its pointer).
///
/// # Safety
///
/// `p` is non-NULL, aligned, and valid while the returned reference is used; its first 32
/// bits are accessed only atomically.
unsafe fn word<'a, T>(p: *mut T) -> &'a AtomicU32 {
    // SAFETY: `T` is pointer-sized and pointer-aligned (`SRWLOCK`, `CONDITION_VARIABLE`),
    // so its first 32 bits are an aligned 32-bit atomic (caller's guarantees).
    unsafe { AtomicU32::from_ptr(p.cast()) }
}

/// Sleeps on `state`, which was seen held, after marking it as having sleepers (L2).
fn sleep_on(state: &AtomicU32, seen: u32) {
    if seen & SLEEPERS == 0
        && state
            .compare_exchange(seen, seen | SLEEPERS, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return; // changed meanwhile: look again
    }
    sys::futex_wait(state, seen | SLEEPERS, None);
}

fn try_shared(state: &AtomicU32) -> Result<(), u32> {
    let seen = state.load(Ordering::Relaxed);
    if seen & WRITER != 0 || seen & READERS == READERS {
        return Err(seen);
    }
    state
        .compare_exchange(seen, seen + 1, Ordering::Acquire, Ordering::Relaxed)
        .map(drop)
        .map_err(|_| 0) // changed: retry, never sleep on it
}

fn try_exclusive(state: &AtomicU32) -> Result<(), u32> {
    let seen = state.load(Ordering::Relaxed);
    if seen & (WRITER | READERS) != 0 {
        return Err(seen);
    }
    state
        .compare_exchange(seen, seen | WRITER, Ordering::Acquire, Ordering::Relaxed)
        .map(drop)
        .map_err(|_| 0) // changed: retry, never sleep on it
}

fn acquire(state: &AtomicU32, attempt: fn(&AtomicU32) -> Result<(), u32>) {
    loop {
        match attempt(state) {
            Ok(()) => return,
            Err(seen) if seen & (WRITER | READERS) != 0 => sleep_on(state, seen),
            Err(_) => {}
        }
    }
}

/// Wakes every sleeper if the lock is now free with sleepers (L2).
fn wake_if_free(state: &AtomicU32) {
    if state
        .compare_exchange(SLEEPERS, 0, Ordering::Relaxed, Ordering::Relaxed)
        .is_ok()
    {
        sys::futex_wake(state, i32::MAX);
    }
}

fn release_shared(state: &AtomicU32) {
    let mut seen = state.load(Ordering::Relaxed);
    loop {
        if seen & READERS == 0 {
            return; // not held shared: nothing to release
        }
        match state.compare_exchange_weak(seen, seen - 1, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => break,
            Err(now) => seen = now,
        }
    }
    wake_if_free(state);
}

fn release_exclusive(state: &AtomicU32) {
    let mut seen = state.load(Ordering::Relaxed);
    loop {
        if seen & WRITER == 0 {
            return; // not held exclusively: nothing to release
        }
        match state.compare_exchange_weak(
            seen,
            seen & !WRITER,
            Ordering::Release,
            Ordering::Relaxed,
        ) {
            Ok(_) => break,
            Err(now) => seen = now,
        }
    }
    wake_if_free(state);
}

/// Makes `*SRWLock` a free lock (the same as `SRWLOCK_INIT`).
///
/// # Safety
///
/// `SRWLock` is `NULL` (ignored) or valid for writing an `SRWLOCK` no thread is using.
///
/// # Win32
///
/// `InitializeSRWLock`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InitializeSRWLock(SRWLock: PSRWLOCK) {
    if usable(SRWLock) {
        // SAFETY: non-NULL, aligned (checked) and writable (caller).
        unsafe {
            SRWLock.write(crate::types::SRWLOCK {
                Ptr: core::ptr::null_mut(),
            })
        };
    }
}

/// Takes the lock exclusively, waiting while anyone holds it. Not recursive.
///
/// # Safety
///
/// `SRWLock` is `NULL` (ignored) or points to an initialized (or zeroed) `SRWLOCK` that
/// stays valid and in place while in use.
///
/// # Win32
///
/// `AcquireSRWLockExclusive`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn AcquireSRWLockExclusive(SRWLock: PSRWLOCK) {
    if usable(SRWLock) {
        // SAFETY: non-NULL and aligned (checked); valid per the caller.
        acquire(unsafe { word(SRWLock) }, try_exclusive);
    }
}

/// Takes the lock shared, waiting while a writer holds it.
///
/// # Safety
///
/// As [`AcquireSRWLockExclusive`].
///
/// # Win32
///
/// `AcquireSRWLockShared`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn AcquireSRWLockShared(SRWLock: PSRWLOCK) {
    if usable(SRWLock) {
        // SAFETY: non-NULL and aligned (checked); valid per the caller.
        acquire(unsafe { word(SRWLock) }, try_shared);
    }
}

/// Takes the lock exclusively if nobody holds it; returns whether it did.
///
/// # Safety
///
/// As [`AcquireSRWLockExclusive`].
///
/// # Win32
///
/// `TryAcquireSRWLockExclusive`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn TryAcquireSRWLockExclusive(SRWLock: PSRWLOCK) -> BOOLEAN {
    if !usable(SRWLock) {
        return 0;
    }
    // SAFETY: non-NULL and aligned (checked); valid per the caller.
    let state = unsafe { word(SRWLock) };
    loop {
        match try_exclusive(state) {
            Ok(()) => return 1,
            Err(seen) if seen & (WRITER | READERS) != 0 => return 0,
            Err(_) => {}
        }
    }
}

/// Takes the lock shared if no writer holds it; returns whether it did.
///
/// # Safety
///
/// As [`AcquireSRWLockExclusive`].
///
/// # Win32
///
/// `TryAcquireSRWLockShared`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn TryAcquireSRWLockShared(SRWLock: PSRWLOCK) -> BOOLEAN {
    if !usable(SRWLock) {
        return 0;
    }
    // SAFETY: non-NULL and aligned (checked); valid per the caller.
    let state = unsafe { word(SRWLock) };
    loop {
        match try_shared(state) {
            Ok(()) => return 1,
            Err(seen) if seen & (WRITER | READERS) != 0 => return 0,
            Err(_) => {}
        }
    }
}

/// Releases the lock held exclusively. Does nothing if it is not held exclusively.
///
/// # Safety
///
/// As [`AcquireSRWLockExclusive`].
///
/// # Win32
///
/// `ReleaseSRWLockExclusive`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ReleaseSRWLockExclusive(SRWLock: PSRWLOCK) {
    if usable(SRWLock) {
        // SAFETY: non-NULL and aligned (checked); valid per the caller.
        release_exclusive(unsafe { word(SRWLock) });
    }
}

/// Releases one shared hold of the lock. Does nothing if it is not held shared.
///
/// # Safety
///
/// As [`AcquireSRWLockExclusive`].
///
/// # Win32
///
/// `ReleaseSRWLockShared`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ReleaseSRWLockShared(SRWLock: PSRWLOCK) {
    if usable(SRWLock) {
        // SAFETY: non-NULL and aligned (checked); valid per the caller.
        release_shared(unsafe { word(SRWLock) });
    }
}

// ---------------------------------------------------------------------------------------
// Condition variables.

/// Makes `*ConditionVariable` a new condition variable (the same as
/// `CONDITION_VARIABLE_INIT`).
///
/// # Safety
///
/// `ConditionVariable` is `NULL` (ignored) or valid for writing a `CONDITION_VARIABLE` no
/// thread is using.
///
/// # Win32
///
/// `InitializeConditionVariable`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InitializeConditionVariable(ConditionVariable: PCONDITION_VARIABLE) {
    if usable(ConditionVariable) {
        // SAFETY: non-NULL, aligned (checked) and writable (caller).
        unsafe {
            ConditionVariable.write(crate::types::CONDITION_VARIABLE {
                Ptr: core::ptr::null_mut(),
            });
        }
    }
}

/// Wakes one thread sleeping on the condition variable.
///
/// # Safety
///
/// `ConditionVariable` is `NULL` (ignored) or points to an initialized (or zeroed)
/// condition variable that stays valid and in place while in use.
///
/// # Win32
///
/// `WakeConditionVariable`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WakeConditionVariable(ConditionVariable: PCONDITION_VARIABLE) {
    if usable(ConditionVariable) {
        // SAFETY: non-NULL and aligned (checked); valid per the caller.
        let sequence = unsafe { word(ConditionVariable) };
        sequence.fetch_add(1, Ordering::Release);
        sys::futex_wake(sequence, 1);
    }
}

/// Wakes every thread sleeping on the condition variable.
///
/// # Safety
///
/// As [`WakeConditionVariable`].
///
/// # Win32
///
/// `WakeAllConditionVariable`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WakeAllConditionVariable(ConditionVariable: PCONDITION_VARIABLE) {
    if usable(ConditionVariable) {
        // SAFETY: non-NULL and aligned (checked); valid per the caller.
        let sequence = unsafe { word(ConditionVariable) };
        sequence.fetch_add(1, Ordering::Release);
        sys::futex_wake(sequence, i32::MAX);
    }
}

/// Sleeps on `sequence` as seen before the lock was released; `true` unless timed out.
fn sleep_on_sequence(sequence: &AtomicU32, seen: u32, ms: DWORD) -> bool {
    sys::futex_wait(sequence, seen, timeout(ms)) != FutexWait::TimedOut
}

/// Releases the critical section (which the caller has entered), sleeps until woken or
/// `dwMilliseconds` pass, and enters the section again as deeply as before. Returns `TRUE`
/// when woken (possibly spuriously). Not alertable.
///
/// # Safety
///
/// Both pointers are `NULL` or point to initialized objects that stay valid and in place.
///
/// # Errors
///
/// `FALSE` with `ERROR_TIMEOUT` (1460) when the time passed, `ERROR_NOT_OWNER` (288) if
/// the caller has not entered the section, or `ERROR_NOACCESS` (998) for a `NULL` pointer.
///
/// # Win32
///
/// `SleepConditionVariableCS`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SleepConditionVariableCS(
    ConditionVariable: PCONDITION_VARIABLE,
    CriticalSection: PCRITICAL_SECTION,
    dwMilliseconds: DWORD,
) -> BOOL {
    if !usable(ConditionVariable) || !usable(CriticalSection) {
        set_last_error(ERROR_NOACCESS);
        return FALSE;
    }
    // SAFETY: non-NULL and aligned (checked); valid per the caller.
    let (sequence, cs) = unsafe { (word(ConditionVariable), Section::of(CriticalSection)) };
    let me = me();
    if !cs.owned_by(me) {
        set_last_error(ERROR_NOT_OWNER);
        return FALSE;
    }
    let seen = sequence.load(Ordering::Acquire);
    let depth = cs.release_all();
    let woken = sleep_on_sequence(sequence, seen, dwMilliseconds);
    cs.lock();
    cs.take(me, depth);
    if woken {
        TRUE
    } else {
        set_last_error(ERROR_TIMEOUT);
        FALSE
    }
}

/// Releases the SRW lock (held exclusively, or shared with
/// `CONDITION_VARIABLE_LOCKMODE_SHARED` in `Flags`), sleeps until woken or
/// `dwMilliseconds` pass, and takes the lock again the same way. Returns `TRUE` when woken
/// (possibly spuriously). Not alertable.
///
/// # Safety
///
/// Both pointers are `NULL` or point to initialized objects that stay valid and in place;
/// the caller holds the lock in the mode `Flags` says.
///
/// # Errors
///
/// `FALSE` with `ERROR_TIMEOUT` (1460) when the time passed, or `ERROR_NOACCESS` (998) for
/// a `NULL` pointer.
///
/// # Win32
///
/// `SleepConditionVariableSRW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SleepConditionVariableSRW(
    ConditionVariable: PCONDITION_VARIABLE,
    SRWLock: PSRWLOCK,
    dwMilliseconds: DWORD,
    Flags: ULONG,
) -> BOOL {
    if !usable(ConditionVariable) || !usable(SRWLock) {
        set_last_error(ERROR_NOACCESS);
        return FALSE;
    }
    // SAFETY: non-NULL and aligned (checked); valid per the caller.
    let (sequence, lock) = unsafe { (word(ConditionVariable), word(SRWLock)) };
    let shared = Flags & CONDITION_VARIABLE_LOCKMODE_SHARED != 0;
    let seen = sequence.load(Ordering::Acquire);
    if shared {
        release_shared(lock);
    } else {
        release_exclusive(lock);
    }
    let woken = sleep_on_sequence(sequence, seen, dwMilliseconds);
    acquire(lock, if shared { try_shared } else { try_exclusive });
    if woken {
        TRUE
    } else {
        set_last_error(ERROR_TIMEOUT);
        FALSE
    }
}

// ---------------------------------------------------------------------------------------
// Interlocked.

/// The `LONG` at `p` as an atomic, if `p` is usable (non-NULL and 4-byte aligned).
///
/// # Safety
///
/// A non-NULL `p` is valid for reads and writes and accessed only atomically meanwhile.
unsafe fn atomic<'a>(p: *mut LONG) -> Option<&'a AtomicI32> {
    // SAFETY: non-NULL and aligned (checked); valid and atomically accessed (caller).
    usable(p).then(|| unsafe { AtomicI32::from_ptr(p) })
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
    unsafe { atomic(Addend) }.map_or(0, |a| a.fetch_add(1, Ordering::SeqCst).wrapping_add(1))
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
    unsafe { atomic(Addend) }.map_or(0, |a| a.fetch_sub(1, Ordering::SeqCst).wrapping_sub(1))
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
    unsafe { atomic(Target) }.map_or(0, |a| a.swap(Value, Ordering::SeqCst))
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
    unsafe { atomic(Destination) }.map_or(0, |a| {
        match a.compare_exchange(Comperand, ExChange, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(v) | Err(v) => v,
        }
    })
}
