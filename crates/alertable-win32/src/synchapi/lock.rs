//! In-place locks of caller memory: `CRITICAL_SECTION`, `SRWLOCK`, `CONDITION_VARIABLE`,
//! and the `Interlocked` functions.
//!
//! None of these is a kernel object or a handle: each lives in the caller's structure
//! and allocates nothing, so `DeleteCriticalSection` has nothing to free and a zeroed
//! structure is a valid, free lock. Waits on them are never alertable, as on Windows. Each
//! works at any address, aligned or not, as on Windows on x86-64: its state words are the
//! aligned 32-bit words `in_place` finds inside its bytes (that module's table says what a
//! program sees in them).
//!
//! # Critical sections
//!
//! The lock word (`LockCount` when aligned) is a futex word: 0 free, 1 held, 2 held with
//! (possible) sleepers. The owner word (the low half of `OwningThread` when aligned) holds
//! the owner's thread id, `RecursionCount` its depth (touched only by the owner).
//! (L1) Only the owner stores its own id in the owner word, so comparing it with the
//! caller's id needs no ordering: it equals the caller's id exactly when the caller owns
//! the section. `DebugInfo` is `(void *)-1` from initialization on, as on Windows 8 and
//! later, which allocate no debug information; the library never reads it.
//!
//! # SRW locks
//!
//! The state word, drawn from bit 31 down to bit 0:
//!
//! ```text
//!   31                     4   3   2   1   0
//!  +------------------------+---+---+---+---+
//!  |   shared holders (n)   | 0 | W | R | L |
//!  +------------------------+---+---+---+---+
//! ```
//!
//! | bits | meaning                                   | set by                | cleared by |
//! |------|-------------------------------------------|-----------------------|------------|
//! | `L`  | held: exclusively if `n` = 0, else shared | an acquirer (CAS)     | the last releaser |
//! | `R`  | readers may be asleep                     | a reader about to sleep | a releaser leaving the lock free, before it wakes all readers |
//! | `W`  | writers may be asleep                     | a writer about to sleep | a releaser leaving the lock free whose wake found no writer asleep |
//! | `n`  | the number of shared holds                | shared acquirers      | shared releasers |
//!
//! Without waiters this is Windows' own layout: a free lock reads 0, an exclusively held
//! one 1, one held shared by `n` threads `n << 4 | 1`. Readers sleep in the futex class
//! `READER`, writers in the class `WRITER`, so that a wake reaches only one of them.
//!
//! - (L2) A thread sleeps only on a word that has its class's bit set; the bit is set with
//!   a CAS on the value it then sleeps on, so any later change of the word (a release, a
//!   clearing) makes the sleep return at once.
//! - (L3) Writers first: a shared acquire succeeds only while `W` is clear and no writer
//!   holds the lock; so while a writer waits, `TryAcquireSRWLockShared` fails and new
//!   readers queue behind it, and writers cannot starve.
//! - (L4) Every release that leaves the lock free with `W` or `R` set wakes waiters
//!   (`wake_waiters`): one writer if any is asleep, keeping `W` set so that readers still
//!   wait (the woken writer takes the lock, and its release wakes the next); otherwise it
//!   clears `W`, then clears `R` and wakes every reader. A release that leaves the lock held
//!   (by other readers, or by a thread that took it meanwhile) wakes nobody: the holder's
//!   own release will. So no sleeper is left asleep on a free lock.
//! - (L5) Releasing a lock that is not held in the released mode changes nothing
//!   (Windows raises an exception there; the library ignores it).
//!
//! Ordering: a successful acquire is an `Acquire` CAS and every release a `Release` CAS of
//! the same word, so a holder sees everything the previous holders wrote; setting and
//! clearing `R` and `W` needs no ordering, as the futex call compares the word itself.
//!
//! # Condition variables
//!
//! The state word of a `CONDITION_VARIABLE` is a sequence number. A sleeper reads it,
//! releases its lock, and sleeps while it is unchanged; `Wake…` increments it and wakes
//! one or all sleepers. (L6) A wake between the read and the sleep changes the number, so
//! the sleeper does not sleep through it. Spurious wake-ups are possible, as Windows
//! documents; a wake that finds no sleeper is not kept for a later one.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::consts::{
    CONDITION_VARIABLE_LOCKMODE_SHARED, ERROR_NOACCESS, ERROR_NOT_OWNER, ERROR_TIMEOUT, FALSE,
    INFINITE, TRUE,
};
use crate::error::set_last_error;
use crate::in_place::{self, Field};
use crate::sys::{self, FutexWait};
use crate::types::{
    BOOL, BOOLEAN, CRITICAL_SECTION, DWORD, LONG, LPCRITICAL_SECTION, PCONDITION_VARIABLE,
    PCRITICAL_SECTION, PSRWLOCK, PVOID, ULONG,
};

fn timeout(ms: DWORD) -> Option<Duration> {
    (ms != INFINITE).then(|| Duration::from_millis(u64::from(ms)))
}

// ---------------------------------------------------------------------------------------
// Critical sections.

/// A field of `CRITICAL_SECTION`.
macro_rules! section_field {
    ($name:ident) => {
        Field {
            offset: core::mem::offset_of!(CRITICAL_SECTION, $name),
            len: size_of_val(&CRITICAL_SECTION::ZEROED.$name),
        }
    };
}

/// Where a critical section's lock word lives: `LockCount`, or inside `LockSemaphore`
/// where `LockCount` is not 4-byte aligned.
const LOCK_WORD: [Field; 2] = [section_field!(LockCount), section_field!(LockSemaphore)];

/// Where a critical section's owner word lives: inside `OwningThread`.
const OWNER_WORD: [Field; 1] = [section_field!(OwningThread)];

impl CRITICAL_SECTION {
    /// A critical section with every field zero (used for the field sizes above).
    const ZEROED: Self = Self {
        DebugInfo: core::ptr::null_mut(),
        LockCount: 0,
        RecursionCount: 0,
        OwningThread: core::ptr::null_mut(),
        LockSemaphore: core::ptr::null_mut(),
        SpinCount: 0,
    };
}

/// `DebugInfo` of an initialized critical section: `(void *)-1`, as Windows 8 and later
/// store when they allocate no debug information.
const NO_DEBUG_INFO: PVOID = usize::MAX as PVOID;

/// The state words of a critical section.
struct Section<'a> {
    word: &'a AtomicU32,
    owner: &'a AtomicU32,
    depth: *mut LONG,
}

impl Section<'_> {
    /// # Safety
    ///
    /// `cs` is non-NULL and points to a critical section (at any address) that stays valid,
    /// and whose state is accessed only through these functions, while it is in use.
    unsafe fn of(cs: *mut CRITICAL_SECTION) -> Self {
        // SAFETY: `cs` is a live critical section whose state words are accessed only
        // atomically, by these functions, which name the same fields every time (caller);
        // `RecursionCount` lies inside it.
        unsafe {
            Self {
                word: in_place::word(cs, &LOCK_WORD),
                owner: in_place::word(cs, &OWNER_WORD),
                depth: cs
                    .byte_add(core::mem::offset_of!(CRITICAL_SECTION, RecursionCount))
                    .cast(),
            }
        }
    }

    fn owned_by(&self, me: u32) -> bool {
        // (L1)
        self.owner.load(Ordering::Relaxed) == me
    }

    #[inline] // the uncontended path: one CAS
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

    /// The owner's recursion depth. Only the owner calls this.
    fn depth(&self) -> LONG {
        // SAFETY: the field lies in the live section (`of`); the caller owns the section,
        // so no other thread touches the depth (L1), and the lock's Acquire/Release orders
        // it after the previous owner's writes. It may be unaligned.
        unsafe { self.depth.read_unaligned() }
    }

    /// Sets the owner's recursion depth. Only the owner calls this.
    fn set_depth(&self, depth: LONG) {
        // SAFETY: as in `depth`.
        unsafe { self.depth.write_unaligned(depth) };
    }

    /// Takes ownership after locking, with recursion `depth`.
    fn take(&self, me: u32, depth: LONG) {
        self.owner.store(me, Ordering::Relaxed);
        self.set_depth(depth);
    }

    /// Gives up ownership entirely and unlocks; returns the depth it had.
    fn release_all(&self) -> LONG {
        let depth = self.depth();
        self.set_depth(0);
        self.owner.store(0, Ordering::Relaxed);
        self.unlock();
        depth
    }
}

fn me() -> u32 {
    sys::current_tid()
}

/// Writes a free critical section with `debug_info` to `cs`.
///
/// # Safety
///
/// `cs` is non-NULL and valid for writing a `CRITICAL_SECTION` (at any address) that no
/// thread is using.
unsafe fn write_section(cs: LPCRITICAL_SECTION, debug_info: PVOID, spin_count: DWORD) {
    // SAFETY: valid for writing, possibly unaligned (caller); nobody uses it meanwhile.
    unsafe {
        cs.write_unaligned(CRITICAL_SECTION {
            DebugInfo: debug_info,
            SpinCount: spin_count as usize,
            ..CRITICAL_SECTION::ZEROED
        });
    }
}

/// Makes `*lpCriticalSection` a free critical section, at any address. `DebugInfo`
/// becomes `(void *)-1`, as on Windows 8 and later.
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
/// `TRUE`, or `FALSE` with `ERROR_NOACCESS` (998) for a `NULL` pointer.
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
    if lpCriticalSection.is_null() {
        set_last_error(ERROR_NOACCESS);
        return FALSE;
    }
    // SAFETY: non-NULL (checked) and writable, unused (caller).
    unsafe { write_section(lpCriticalSection, NO_DEBUG_INFO, dwSpinCount) };
    TRUE
}

/// [`InitializeCriticalSectionAndSpinCount`] with flags, which are accepted and not used:
/// like Windows 8 and later, the library keeps no debug information whatever they say
/// (`CRITICAL_SECTION_NO_DEBUG_INFO`), and `DebugInfo` becomes `(void *)-1`.
///
/// # Safety
///
/// As [`InitializeCriticalSection`].
///
/// # Errors
///
/// `FALSE` with `ERROR_NOACCESS` (998) for a `NULL` pointer.
///
/// # Win32
///
/// `InitializeCriticalSectionEx`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InitializeCriticalSectionEx(
    lpCriticalSection: LPCRITICAL_SECTION,
    dwSpinCount: DWORD,
    Flags: DWORD,
) -> BOOL {
    let _ = Flags;
    // SAFETY: the caller's guarantee, passed on.
    unsafe { InitializeCriticalSectionAndSpinCount(lpCriticalSection, dwSpinCount) }
}

/// Enters the critical section, waiting while another thread owns it. The owner may enter
/// again; it must leave once per entry. Not alertable.
///
/// # Safety
///
/// `lpCriticalSection` is `NULL` (ignored) or points to an initialized (or zeroed)
/// critical section, at any address, that stays valid and in place while in use.
///
/// # Win32
///
/// `EnterCriticalSection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn EnterCriticalSection(lpCriticalSection: LPCRITICAL_SECTION) {
    if lpCriticalSection.is_null() {
        return;
    }
    // SAFETY: non-NULL (checked); valid per the caller.
    let cs = unsafe { Section::of(lpCriticalSection) };
    let me = me();
    if cs.owned_by(me) {
        cs.set_depth(cs.depth() + 1);
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
    if lpCriticalSection.is_null() {
        return FALSE;
    }
    // SAFETY: non-NULL (checked); valid per the caller.
    let cs = unsafe { Section::of(lpCriticalSection) };
    let me = me();
    if cs.owned_by(me) {
        cs.set_depth(cs.depth() + 1);
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
    if lpCriticalSection.is_null() {
        return;
    }
    // SAFETY: non-NULL (checked); valid per the caller.
    let cs = unsafe { Section::of(lpCriticalSection) };
    if !cs.owned_by(me()) {
        return;
    }
    let depth = cs.depth();
    if depth > 1 {
        cs.set_depth(depth - 1);
    } else {
        cs.release_all();
    }
}

/// Retires a critical section. It holds no resources, so this only marks it free;
/// `DebugInfo` becomes `NULL`, as on Windows.
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
    if !lpCriticalSection.is_null() {
        // SAFETY: non-NULL (checked) and unused (caller).
        unsafe { write_section(lpCriticalSection, core::ptr::null_mut(), 0) };
    }
}

// ---------------------------------------------------------------------------------------
// SRW locks.

/// `L`: the lock is held (exclusively when no shared holds are counted).
const LOCKED: u32 = 1;
/// `R`: readers may be asleep.
const READERS_WAITING: u32 = 1 << 1;
/// `W`: writers may be asleep.
const WRITERS_WAITING: u32 = 1 << 2;
/// One shared hold, in the count `n` (bits 4–31).
const ONE_SHARED: u32 = 1 << 4;
/// The bits of the count `n`.
const SHARED: u32 = !(ONE_SHARED - 1);

/// The futex class of sleeping readers.
const READER: u32 = 1;
/// The futex class of sleeping writers.
const WRITER: u32 = 2;

/// The state word of an SRW lock or a condition variable, at any address.
///
/// # Safety
///
/// `p` is `NULL` or points to a live `SRWLOCK` or `CONDITION_VARIABLE` whose state is
/// accessed only through this module's functions while the reference is in use.
unsafe fn state<'a, T>(p: *mut T) -> Option<&'a AtomicU32> {
    // SAFETY: a pointer-sized structure (caller) holds its whole `POINTER` field, and its
    // state word is accessed only atomically, through this function (caller).
    (!p.is_null()).then(|| unsafe { in_place::word(p, &[Field::POINTER]) })
}

fn held_exclusively(seen: u32) -> bool {
    seen & LOCKED != 0 && seen & SHARED == 0
}

/// Whether a shared acquire may take the lock in state `seen` (L3).
fn readable(seen: u32) -> bool {
    !held_exclusively(seen) && seen & WRITERS_WAITING == 0 && seen & SHARED != SHARED
}

/// One attempt at a shared hold; `Err` with the state seen if the lock is not readable.
fn try_shared(state: &AtomicU32) -> Result<(), u32> {
    let mut seen = state.load(Ordering::Relaxed);
    while readable(seen) {
        match state.compare_exchange_weak(
            seen,
            (seen | LOCKED) + ONE_SHARED,
            Ordering::Acquire,
            Ordering::Relaxed,
        ) {
            Ok(_) => return Ok(()),
            Err(now) => seen = now,
        }
    }
    Err(seen)
}

/// One attempt at the exclusive hold; `Err` with the state seen if the lock is held.
fn try_exclusive(state: &AtomicU32) -> Result<(), u32> {
    let mut seen = state.load(Ordering::Relaxed);
    while seen & LOCKED == 0 {
        // Free, so no shared holds are counted; the waiting bits stay as they are.
        match state.compare_exchange_weak(seen, seen | LOCKED, Ordering::Acquire, Ordering::Relaxed)
        {
            Ok(_) => return Ok(()),
            Err(now) => seen = now,
        }
    }
    Err(seen)
}

/// Marks `class_bit` in `state`, seen as `seen`, and sleeps in `class` while the word is
/// unchanged (L2). Returns at once if the word changed meanwhile.
fn sleep_as(state: &AtomicU32, seen: u32, class_bit: u32, class: u32) {
    if seen & class_bit == 0
        && state
            .compare_exchange(seen, seen | class_bit, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return; // changed meanwhile: look again
    }
    sys::futex_wait_bitset(state, seen | class_bit, class);
}

#[inline] // the uncontended path: one CAS
fn acquire_shared(state: &AtomicU32) {
    if state
        .compare_exchange(0, LOCKED | ONE_SHARED, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        acquire_shared_contended(state);
    }
}

#[cold] // a writer holds the lock or waits for it, or the first CAS lost a race
fn acquire_shared_contended(state: &AtomicU32) {
    loop {
        match try_shared(state) {
            Ok(()) => return,
            Err(seen) if seen & SHARED == SHARED => sys::yield_now(), // 2^28 holders
            Err(seen) => sleep_as(state, seen, READERS_WAITING, READER),
        }
    }
}

#[inline] // the uncontended path: one CAS
fn acquire_exclusive(state: &AtomicU32) {
    if state
        .compare_exchange(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        acquire_exclusive_contended(state);
    }
}

#[cold] // the lock is held, or the first CAS lost a race
fn acquire_exclusive_contended(state: &AtomicU32) {
    loop {
        match try_exclusive(state) {
            Ok(()) => return,
            Err(seen) => sleep_as(state, seen, WRITERS_WAITING, WRITER),
        }
    }
}

/// Wakes the waiters of a lock that a release has left free (L4).
#[cold] // only when threads wait
fn wake_waiters(state: &AtomicU32) {
    let mut seen = state.load(Ordering::Relaxed);
    loop {
        if seen & LOCKED != 0 {
            return; // taken meanwhile: its holder's release wakes the waiters
        }
        let clear = if seen & WRITERS_WAITING != 0 {
            if sys::futex_wake_bitset(state, 1, WRITER) > 0 {
                return; // `W` stays set: readers go on waiting behind the writers
            }
            WRITERS_WAITING
        } else if seen & READERS_WAITING != 0 {
            READERS_WAITING
        } else {
            return;
        };
        match state.compare_exchange(seen, seen & !clear, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) if clear == READERS_WAITING => {
                sys::futex_wake_bitset(state, i32::MAX, READER);
                return;
            }
            Ok(_) => seen &= !clear,
            Err(now) => seen = now,
        }
    }
}

fn release_shared(state: &AtomicU32) {
    let mut seen = state.load(Ordering::Relaxed);
    loop {
        if seen & SHARED == 0 {
            return; // not held shared: nothing to release (L5)
        }
        let mut next = seen - ONE_SHARED;
        if next & SHARED == 0 {
            next &= !LOCKED; // the last shared hold
        }
        match state.compare_exchange_weak(seen, next, Ordering::Release, Ordering::Relaxed) {
            Ok(_) if next & LOCKED == 0 && next & (READERS_WAITING | WRITERS_WAITING) != 0 => {
                return wake_waiters(state);
            }
            Ok(_) => return,
            Err(now) => seen = now,
        }
    }
}

fn release_exclusive(state: &AtomicU32) {
    if state
        .compare_exchange(LOCKED, 0, Ordering::Release, Ordering::Relaxed)
        .is_ok()
    {
        return; // nobody waits
    }
    let mut seen = state.load(Ordering::Relaxed);
    loop {
        if !held_exclusively(seen) {
            return; // not held exclusively: nothing to release (L5)
        }
        match state.compare_exchange_weak(
            seen,
            seen & !LOCKED,
            Ordering::Release,
            Ordering::Relaxed,
        ) {
            Ok(_) if seen & (READERS_WAITING | WRITERS_WAITING) != 0 => {
                return wake_waiters(state);
            }
            Ok(_) => return,
            Err(now) => seen = now,
        }
    }
}

/// Makes `*SRWLock` a free lock (the same as `SRWLOCK_INIT`), at any address.
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
    if !SRWLock.is_null() {
        // SAFETY: non-NULL (checked), writable and unused (caller), possibly unaligned.
        unsafe {
            SRWLock.write_unaligned(crate::types::SRWLOCK {
                Ptr: core::ptr::null_mut(),
            });
        }
    }
}

/// Takes the lock exclusively, waiting while anyone holds it. Not recursive: a thread that
/// holds the lock and asks for it again waits for itself. A writer that waits goes before
/// readers that arrive after it.
///
/// # Safety
///
/// `SRWLock` is `NULL` (ignored) or points to an initialized (or zeroed) `SRWLOCK`, at any
/// address, that stays valid and in place while in use.
///
/// # Win32
///
/// `AcquireSRWLockExclusive`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn AcquireSRWLockExclusive(SRWLock: PSRWLOCK) {
    // SAFETY: NULL or valid per the caller.
    if let Some(state) = unsafe { state(SRWLock) } {
        acquire_exclusive(state);
    }
}

/// Takes the lock shared, waiting while a writer holds it or waits for it (writers first,
/// as on Windows, so that writers cannot starve).
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
    // SAFETY: NULL or valid per the caller.
    if let Some(state) = unsafe { state(SRWLock) } {
        acquire_shared(state);
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
    // SAFETY: NULL or valid per the caller.
    let taken = unsafe { state(SRWLock) }.is_some_and(|state| try_exclusive(state).is_ok());
    BOOLEAN::from(taken)
}

/// Takes the lock shared if no writer holds it or waits for it; returns whether it did.
/// While a writer waits it returns 0, as on Windows (writers first).
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
    // SAFETY: NULL or valid per the caller.
    let taken = unsafe { state(SRWLock) }.is_some_and(|state| try_shared(state).is_ok());
    BOOLEAN::from(taken)
}

/// Releases the lock held exclusively. Does nothing if it is not held exclusively. Any
/// thread may release it.
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
    // SAFETY: NULL or valid per the caller.
    if let Some(state) = unsafe { state(SRWLock) } {
        release_exclusive(state);
    }
}

/// Releases one shared hold of the lock. Does nothing if it is not held shared. Any thread
/// may release a shared hold.
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
    // SAFETY: NULL or valid per the caller.
    if let Some(state) = unsafe { state(SRWLock) } {
        release_shared(state);
    }
}

// ---------------------------------------------------------------------------------------
// Condition variables.

/// Makes `*ConditionVariable` a new condition variable (the same as
/// `CONDITION_VARIABLE_INIT`), at any address.
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
    if !ConditionVariable.is_null() {
        // SAFETY: non-NULL (checked), writable and unused (caller), possibly unaligned.
        unsafe {
            ConditionVariable.write_unaligned(crate::types::CONDITION_VARIABLE {
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
/// condition variable, at any address, that stays valid and in place while in use.
///
/// # Win32
///
/// `WakeConditionVariable`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WakeConditionVariable(ConditionVariable: PCONDITION_VARIABLE) {
    // SAFETY: NULL or valid per the caller.
    if let Some(sequence) = unsafe { state(ConditionVariable) } {
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
    // SAFETY: NULL or valid per the caller.
    if let Some(sequence) = unsafe { state(ConditionVariable) } {
        sequence.fetch_add(1, Ordering::Release);
        sys::futex_wake(sequence, i32::MAX);
    }
}

/// Sleeps on `sequence` as seen before the lock was released (L6); `true` unless timed
/// out.
fn sleep_on_sequence(sequence: &AtomicU32, seen: u32, ms: DWORD) -> bool {
    sys::futex_wait(sequence, seen, timeout(ms)) != FutexWait::TimedOut
}

/// Releases the critical section (which the caller has entered), sleeps until woken or
/// `dwMilliseconds` pass, and enters the section again as deeply as before. Returns `TRUE`
/// when woken (possibly spuriously). Not alertable. Both structures may be at any address.
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
    // SAFETY: NULL or valid per the caller.
    let sequence = unsafe { state(ConditionVariable) };
    let (Some(sequence), false) = (sequence, CriticalSection.is_null()) else {
        set_last_error(ERROR_NOACCESS);
        return FALSE;
    };
    // SAFETY: non-NULL (checked); valid per the caller.
    let cs = unsafe { Section::of(CriticalSection) };
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
/// (possibly spuriously). Not alertable. Both structures may be at any address.
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
    // SAFETY: each NULL or valid per the caller.
    let (Some(sequence), Some(lock)) = (unsafe { state(ConditionVariable) }, unsafe {
        state(SRWLock)
    }) else {
        set_last_error(ERROR_NOACCESS);
        return FALSE;
    };
    let shared = Flags & CONDITION_VARIABLE_LOCKMODE_SHARED != 0;
    let seen = sequence.load(Ordering::Acquire);
    if shared {
        release_shared(lock);
    } else {
        release_exclusive(lock);
    }
    let woken = sleep_on_sequence(sequence, seen, dwMilliseconds);
    if shared {
        acquire_shared(lock);
    } else {
        acquire_exclusive(lock);
    }
    if woken {
        TRUE
    } else {
        set_last_error(ERROR_TIMEOUT);
        FALSE
    }
}
