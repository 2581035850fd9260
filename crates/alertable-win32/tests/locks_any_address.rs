//! `SRWLOCK`, `CONDITION_VARIABLE` and `CRITICAL_SECTION` at every address, and SRW locks'
//! writers-first rule.
//!
//! Windows on x86-64 gives these structures their full behaviour at any address, aligned or
//! not (Wine's kernel32 `sync.c` runs its SRW lock and condition variable tests on an
//! unaligned copy too). Each test here runs at the eight byte offsets 0–7 from an 8-byte
//! boundary. Threads are ordered with flags and by waiting until a thread sleeps in the
//! kernel (`/proc`), never with sleeps; the only timed waits are ones that must time out.

use std::marker::PhantomData;
use std::ptr::null_mut;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use alertable_win32::*;

/// Byte offsets from an 8-byte boundary that every test runs at.
const OFFSETS: [usize; 8] = [0, 1, 2, 3, 4, 5, 6, 7];

/// Zeroed, 8-byte aligned storage for one structure at any of the offsets 0–7.
#[repr(C, align(8))]
struct Storage([u8; 64]);

impl Storage {
    fn new() -> Box<Self> {
        Box::new(Self([0; 64]))
    }

    /// The address `offset` bytes into the storage, with room for a `T` after it.
    fn at<T>(&mut self, offset: usize) -> usize {
        assert!(offset + size_of::<T>() <= self.0.len());
        let at = self.0.as_mut_ptr() as usize + offset;
        assert_eq!(at % 8, offset);
        at
    }
}

/// A structure of type `T` inside a [`Storage`] that outlives `'a`. The storage is only
/// ever used through the library's functions (and the reads below) while borrowed, so
/// every call below gets a pointer to a live, writable structure; that is the safety
/// argument each of them cites.
struct Place<'a, T> {
    at: usize,
    _storage: PhantomData<&'a mut Storage>,
    _kind: PhantomData<*mut T>,
}

impl<T> Clone for Place<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Place<'_, T> {}

// SAFETY: a `Place` is an address; the structure behind it is designed to be used by many
// threads at once through the library's functions.
unsafe impl<T> Send for Place<'_, T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Place<'_, T> {}

impl<'a, T> Place<'a, T> {
    fn new(storage: &'a mut Storage, offset: usize) -> Self {
        Self {
            at: storage.at::<T>(offset),
            _storage: PhantomData,
            _kind: PhantomData,
        }
    }

    fn ptr(self) -> *mut T {
        self.at as *mut T
    }
}

type Srw<'a> = Place<'a, SRWLOCK>;
type Cv<'a> = Place<'a, CONDITION_VARIABLE>;
type Cs<'a> = Place<'a, CRITICAL_SECTION>;

impl Srw<'_> {
    fn init(self) {
        // SAFETY: a live structure (`Place`) that no thread uses yet.
        unsafe { InitializeSRWLock(self.ptr()) }
    }

    fn exclusive(self) {
        // SAFETY: a live structure (`Place`).
        unsafe { AcquireSRWLockExclusive(self.ptr()) }
    }

    fn shared(self) {
        // SAFETY: a live structure (`Place`).
        unsafe { AcquireSRWLockShared(self.ptr()) }
    }

    fn try_exclusive(self) -> BOOLEAN {
        // SAFETY: a live structure (`Place`).
        unsafe { TryAcquireSRWLockExclusive(self.ptr()) }
    }

    fn try_shared(self) -> BOOLEAN {
        // SAFETY: a live structure (`Place`).
        unsafe { TryAcquireSRWLockShared(self.ptr()) }
    }

    fn release_exclusive(self) {
        // SAFETY: a live structure (`Place`).
        unsafe { ReleaseSRWLockExclusive(self.ptr()) }
    }

    fn release_shared(self) {
        // SAFETY: a live structure (`Place`).
        unsafe { ReleaseSRWLockShared(self.ptr()) }
    }

    /// `TryAcquireSRWLockShared`, releasing what it took (so that a try that wrongly
    /// succeeds leaves no thread blocked).
    fn try_shared_undone(self) -> BOOLEAN {
        let got = self.try_shared();
        if got != 0 {
            self.release_shared();
        }
        got
    }

    /// `TryAcquireSRWLockExclusive`, releasing what it took.
    fn try_exclusive_undone(self) -> BOOLEAN {
        let got = self.try_exclusive();
        if got != 0 {
            self.release_exclusive();
        }
        got
    }
}

impl Cv<'_> {
    fn init(self) {
        // SAFETY: a live structure (`Place`) that no thread uses yet.
        unsafe { InitializeConditionVariable(self.ptr()) }
    }

    fn wake(self) {
        // SAFETY: a live structure (`Place`).
        unsafe { WakeConditionVariable(self.ptr()) }
    }

    fn wake_all(self) {
        // SAFETY: a live structure (`Place`).
        unsafe { WakeAllConditionVariable(self.ptr()) }
    }

    /// `SleepConditionVariableSRW`'s result and the last error after it.
    fn sleep_srw(self, lock: Srw<'_>, ms: DWORD, flags: ULONG) -> (BOOL, DWORD) {
        SetLastError(0);
        // SAFETY: live structures (`Place`).
        let r = unsafe { SleepConditionVariableSRW(self.ptr(), lock.ptr(), ms, flags) };
        (r, GetLastError())
    }

    /// `SleepConditionVariableCS`'s result and the last error after it.
    fn sleep_cs(self, section: Cs<'_>, ms: DWORD) -> (BOOL, DWORD) {
        SetLastError(0);
        // SAFETY: live structures (`Place`).
        let r = unsafe { SleepConditionVariableCS(self.ptr(), section.ptr(), ms) };
        (r, GetLastError())
    }
}

impl Cs<'_> {
    fn init(self) {
        // SAFETY: a live structure (`Place`) that no thread uses yet.
        unsafe { InitializeCriticalSection(self.ptr()) }
    }

    fn init_spin(self, spin: DWORD) -> BOOL {
        // SAFETY: a live structure (`Place`) that no thread uses yet.
        unsafe { InitializeCriticalSectionAndSpinCount(self.ptr(), spin) }
    }

    fn enter(self) {
        // SAFETY: a live structure (`Place`).
        unsafe { EnterCriticalSection(self.ptr()) }
    }

    fn try_enter(self) -> BOOL {
        // SAFETY: a live structure (`Place`).
        unsafe { TryEnterCriticalSection(self.ptr()) }
    }

    fn leave(self) {
        // SAFETY: a live structure (`Place`).
        unsafe { LeaveCriticalSection(self.ptr()) }
    }

    fn delete(self) {
        // SAFETY: a live structure (`Place`) that no thread uses any more.
        unsafe { DeleteCriticalSection(self.ptr()) }
    }

    fn debug_info(self) -> PVOID {
        // SAFETY: a live structure (`Place`); the library writes `DebugInfo` only in the
        // initializing and deleting calls, which this thread makes.
        unsafe { core::ptr::addr_of!((*self.ptr()).DebugInfo).read_unaligned() }
    }

    fn set_debug_info(self, value: PVOID) {
        // SAFETY: as in `debug_info`.
        unsafe { core::ptr::addr_of_mut!((*self.ptr()).DebugInfo).write_unaligned(value) }
    }
}

/// The calling thread's kernel id.
fn tid() -> i32 {
    // SAFETY: `gettid` has no preconditions.
    unsafe { libc::gettid() }
}

/// Whether thread `tid` of this process is asleep in the kernel (state `S`).
fn asleep(tid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat"))
        .expect("the thread is alive");
    // The state follows the parenthesised command name, which may contain spaces.
    let (_, rest) = stat.rsplit_once(')').expect("stat format");
    rest.trim_start().starts_with('S')
}

/// A thread that announces when it is about to block in a lock call and when it is past it.
#[derive(Default)]
struct Step {
    tid: AtomicI32,
    started: AtomicBool,
    done: AtomicBool,
}

impl Step {
    /// Called by the thread right before the call that must block.
    fn start(&self) {
        self.tid.store(tid(), Ordering::SeqCst);
        self.started.store(true, Ordering::SeqCst);
    }

    /// Called by the thread right after that call returned.
    fn finish(&self) {
        self.done.store(true, Ordering::SeqCst);
    }

    /// Waits until the thread is asleep inside the call and returns `true`; returns
    /// `false` if the call returns instead (it did not block). A test records a `false` and
    /// goes on releasing what it holds, so that a failure never leaves a thread blocked.
    fn blocked(&self) -> bool {
        let start = Instant::now();
        loop {
            if self.done.load(Ordering::SeqCst) {
                return false;
            }
            if self.started.load(Ordering::SeqCst) && asleep(self.tid.load(Ordering::SeqCst)) {
                // Asleep, and not merely on the way out of the call: check once more.
                return !self.done.load(Ordering::SeqCst);
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the thread never blocked nor returned"
            );
            std::thread::yield_now();
        }
    }

    /// Waits until the call has returned.
    fn wait_done(&self) {
        while !self.done.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
    }
}

/// Failures found while other threads still run, reported once they have all finished.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }

    fn assert_none(self) {
        assert!(self.0.is_empty(), "{}", self.0.join("\n"));
    }
}

/// Runs `f` on another thread and returns its result.
fn elsewhere<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|s| s.spawn(f).join().expect("thread"))
}

// ---------------------------------------------------------------------------------------
// SRW locks.

/// A held SRW lock excludes every other acquirer, at any address: an exclusive hold blocks
/// exclusive and shared acquirers and makes both try-acquires fail; a free lock can be
/// taken by either try-acquire. (`AcquireSRWLockExclusive`, `TryAcquireSRWLockExclusive`.)
#[test]
fn srw_exclusive_hold_excludes_everyone_at_every_offset() {
    let mut problems = Problems::default();
    for offset in OFFSETS {
        let mut storage = Storage::new();
        let lock = Srw::new(&mut storage, offset);
        lock.init();
        assert_eq!(lock.try_exclusive(), 1, "free, offset {offset}");
        let tries = elsewhere(|| (lock.try_exclusive_undone(), lock.try_shared_undone()));
        assert_eq!(tries, (0, 0), "held exclusively, offset {offset}");
        for shared in [false, true] {
            let step = Step::default();
            std::thread::scope(|s| {
                s.spawn(|| {
                    step.start();
                    if shared {
                        lock.shared();
                    } else {
                        lock.exclusive();
                    }
                    step.finish();
                    if shared {
                        lock.release_shared();
                    } else {
                        lock.release_exclusive();
                    }
                });
                problems.check(step.blocked(), || {
                    format!("shared {shared}, offset {offset}")
                });
                lock.release_exclusive();
                step.wait_done();
            });
            assert_eq!(lock.try_exclusive(), 1, "free again, offset {offset}");
        }
        lock.release_exclusive();
        assert_eq!(lock.try_shared(), 1, "offset {offset}");
        lock.release_shared();
    }
    problems.assert_none();
}

/// Shared holders admit more shared holders but no exclusive one; the exclusive acquirer
/// gets the lock once the last shared holder has left, whichever thread releases it.
/// (`AcquireSRWLockShared`, `TryAcquireSRWLockShared`.)
#[test]
fn srw_shared_holds_admit_readers_not_writers_at_every_offset() {
    let mut problems = Problems::default();
    for offset in OFFSETS {
        let mut storage = Storage::new();
        let lock = Srw::new(&mut storage, offset);
        lock.shared();
        lock.shared(); // the same thread, again
        let tries = elsewhere(|| (lock.try_shared_undone(), lock.try_exclusive_undone()));
        assert_eq!(tries, (1, 0), "held shared twice, offset {offset}");
        let step = Step::default();
        std::thread::scope(|s| {
            s.spawn(|| {
                step.start();
                lock.exclusive();
                step.finish();
                lock.release_exclusive();
            });
            problems.check(step.blocked(), || {
                format!("behind two shared, offset {offset}")
            });
            lock.release_shared();
            // One shared hold left: the writer still waits.
            problems.check(step.blocked(), || {
                format!("behind one shared, offset {offset}")
            });
            // Released by another thread: SRW locks have no owner.
            elsewhere(|| lock.release_shared());
            step.wait_done();
        });
        assert_eq!(lock.try_exclusive_undone(), 1, "free, offset {offset}");
    }
    problems.assert_none();
}

/// Writers first: while a writer waits, `TryAcquireSRWLockShared` fails and a new shared
/// acquirer queues behind it, so the writer gets the lock before that reader when the
/// shared holder leaves. This is the 4-thread order Wine's `test_srwlock_base` scripts
/// (a shared holder, a waiting writer, a reader arriving after it), and its later step
/// where a shared holder itself asks for the lock exclusively.
#[test]
fn srw_waiting_writer_goes_before_new_readers_at_every_offset() {
    let mut problems = Problems::default();
    for offset in OFFSETS {
        let mut storage = Storage::new();
        let lock = Srw::new(&mut storage, offset);
        let order = Mutex::new(Vec::new());
        let writer = Step::default();
        let reader = Step::default();
        lock.shared();
        std::thread::scope(|s| {
            s.spawn(|| {
                writer.start();
                lock.exclusive();
                writer.finish();
                order.lock().unwrap().push("writer");
                lock.release_exclusive();
            });
            problems.check(writer.blocked(), || format!("writer, offset {offset}"));
            let other = elsewhere(|| lock.try_shared_undone());
            problems.check(other == 0, || format!("another's try, offset {offset}"));
            let mine = lock.try_shared_undone();
            problems.check(mine == 0, || format!("the holder's try, offset {offset}"));
            s.spawn(|| {
                reader.start();
                lock.shared();
                reader.finish();
                order.lock().unwrap().push("reader");
                lock.release_shared();
            });
            problems.check(reader.blocked(), || format!("reader, offset {offset}"));
            lock.release_shared();
        });
        let order = order.into_inner().unwrap();
        problems.check(order == ["writer", "reader"], || {
            format!("order {order:?}, offset {offset}")
        });

        // A shared holder asks for the lock exclusively: it waits (for itself), a
        // try-acquire of either kind fails meanwhile, and the exclusive acquire completes
        // when another thread releases the shared hold.
        let upgrader = Step::default();
        std::thread::scope(|s| {
            s.spawn(|| {
                lock.shared();
                upgrader.start();
                lock.exclusive();
                upgrader.finish();
                lock.release_exclusive();
            });
            problems.check(upgrader.blocked(), || format!("upgrade, offset {offset}"));
            let tries = (lock.try_shared_undone(), lock.try_exclusive_undone());
            problems.check(tries == (0, 0), || {
                format!("tries {tries:?}, offset {offset}")
            });
            lock.release_shared();
            upgrader.wait_done();
        });
        assert_eq!(lock.try_exclusive_undone(), 1, "free, offset {offset}");
    }
    problems.assert_none();
}

/// A thread holding the lock exclusively blocks on its own second exclusive or shared
/// acquire (SRW locks are not recursive) until another thread releases the hold.
#[test]
fn srw_is_not_recursive_at_every_offset() {
    let mut problems = Problems::default();
    for offset in OFFSETS {
        let mut storage = Storage::new();
        let lock = Srw::new(&mut storage, offset);
        for shared in [false, true] {
            let step = Step::default();
            std::thread::scope(|s| {
                s.spawn(|| {
                    lock.exclusive();
                    step.start();
                    if shared {
                        lock.shared();
                        step.finish();
                        lock.release_shared();
                    } else {
                        lock.exclusive();
                        step.finish();
                        lock.release_exclusive();
                    }
                });
                problems.check(step.blocked(), || {
                    format!("shared {shared}, offset {offset}")
                });
                lock.release_exclusive();
                step.wait_done();
            });
            assert_eq!(lock.try_exclusive_undone(), 1, "free, offset {offset}");
        }
    }
    problems.assert_none();
}

/// The value an aligned `SRWLOCK` shows, as on Windows (Wine's `test_srwlock_quirk`): 0
/// when free, 1 when held exclusively without contention; held shared without contention,
/// bit 0 is set and the number of holders counts from bit 4.
#[test]
fn srw_aligned_value_is_what_windows_shows() {
    let mut storage = Storage::new();
    storage.0[..8].fill(0xa5);
    let lock = Srw::new(&mut storage, 0);
    let value = || {
        // SAFETY: a live, aligned structure (`Place`) that no other thread uses.
        unsafe { lock.ptr().read().Ptr as usize }
    };
    lock.init();
    assert_eq!(value(), 0);
    lock.exclusive();
    assert_eq!(value(), 1);
    lock.release_exclusive();
    assert_eq!(value(), 0);
    assert_eq!(lock.try_exclusive(), 1);
    assert_eq!(value(), 1);
    lock.release_exclusive();
    lock.shared();
    assert_eq!(value(), 0x11);
    assert_eq!(lock.try_shared(), 1);
    assert_eq!(value(), 0x21);
    lock.release_shared();
    assert_eq!(value(), 0x11);
    lock.release_shared();
    assert_eq!(value(), 0);
}

/// Threads incrementing a counter with a separate load and store under the exclusive
/// lock lose no increment, at any address, with shared readers mixed in.
#[test]
fn srw_counts_exactly_under_contention_at_every_offset() {
    const THREADS: usize = 4;
    const ROUNDS: usize = 1_000;
    for offset in OFFSETS {
        let mut storage = Storage::new();
        let lock = Srw::new(&mut storage, offset);
        let counter = AtomicI32::new(0);
        let torn = AtomicBool::new(false);
        std::thread::scope(|s| {
            for _ in 0..THREADS {
                s.spawn(|| {
                    for round in 0..ROUNDS {
                        lock.exclusive();
                        let v = counter.load(Ordering::Relaxed);
                        std::thread::yield_now(); // invites a lost update, if unlocked
                        counter.store(v + 1, Ordering::Relaxed);
                        lock.release_exclusive();
                        if round % 8 == 0 {
                            lock.shared();
                            let a = counter.load(Ordering::Relaxed);
                            std::hint::spin_loop();
                            if a != counter.load(Ordering::Relaxed) {
                                torn.store(true, Ordering::Relaxed);
                            }
                            lock.release_shared();
                        }
                    }
                });
            }
        });
        assert_eq!(
            counter.load(Ordering::Relaxed),
            i32::try_from(THREADS * ROUNDS).unwrap(),
            "offset {offset}"
        );
        assert!(
            !torn.load(Ordering::Relaxed),
            "a write under a shared hold, offset {offset}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Condition variables.

/// A sleep nobody wakes times out with `ERROR_TIMEOUT` (1460) and holds its lock again,
/// and a wake sent while nobody sleeps is not kept for a later sleeper, with either lock
/// kind and mode, the condition variable at every offset and the lock at the same or
/// another one (Wine's `test_condvars_base`).
#[test]
fn cv_untriggered_sleep_times_out_at_every_offset() {
    for cv_offset in OFFSETS {
        for lock_offset in [cv_offset, (cv_offset + 3) % 8] {
            let at = format!("condition variable at {cv_offset}, lock at {lock_offset}");
            let (mut a, mut b, mut d) = (Storage::new(), Storage::new(), Storage::new());
            let cv = Cv::new(&mut a, cv_offset);
            let lock = Srw::new(&mut b, lock_offset);
            let section = Cs::new(&mut d, lock_offset);
            cv.init();
            lock.init();
            assert_ne!(section.init_spin(0), 0, "{at}");
            cv.wake();
            cv.wake_all();

            lock.exclusive();
            let r = cv.sleep_srw(lock, 10, 0);
            let held = lock.try_shared_undone() == 0;
            lock.release_exclusive();
            assert_eq!(
                (r, held),
                ((FALSE, ERROR_TIMEOUT), true),
                "SRW exclusive, {at}"
            );

            lock.shared();
            let r = cv.sleep_srw(lock, 10, CONDITION_VARIABLE_LOCKMODE_SHARED);
            let held = lock.try_exclusive_undone() == 0;
            lock.release_shared();
            assert_eq!(
                (r, held),
                ((FALSE, ERROR_TIMEOUT), true),
                "SRW shared, {at}"
            );

            section.enter();
            let r = cv.sleep_cs(section, 10);
            let held = elsewhere(|| section.try_enter()) == FALSE;
            section.leave();
            assert_eq!((r, held), ((FALSE, ERROR_TIMEOUT), true), "section, {at}");
            assert_eq!(lock.try_exclusive_undone(), 1, "{at}");
            section.delete();
        }
    }
}

/// How a sleeper holds its lock.
#[derive(Clone, Copy, Debug)]
enum Hold {
    Exclusive,
    Shared,
    Section,
}

/// `WakeConditionVariable` wakes a sleeper, which returns `TRUE` holding its lock again;
/// `WakeAllConditionVariable` wakes every sleeper; at every offset, with SRW locks in both
/// modes and critical sections.
#[test]
fn cv_wakes_reach_sleepers_at_every_offset() {
    let mut problems = Problems::default();
    for offset in OFFSETS {
        for hold in [Hold::Exclusive, Hold::Shared, Hold::Section] {
            for wake_all in [false, true] {
                let (mut a, mut b, mut d) = (Storage::new(), Storage::new(), Storage::new());
                let cv = Cv::new(&mut a, offset);
                let lock = Srw::new(&mut b, (offset + 3) % 8);
                let section = Cs::new(&mut d, (offset + 5) % 8);
                assert_ne!(section.init_spin(0), 0, "offset {offset}");
                let sleepers = if wake_all { 2 } else { 1 };
                let steps: Vec<Step> = (0..sleepers).map(|_| Step::default()).collect();
                let results = Mutex::new(Vec::new());
                std::thread::scope(|s| {
                    for step in &steps {
                        let results = &results;
                        s.spawn(move || {
                            let woken = match hold {
                                Hold::Exclusive => {
                                    lock.exclusive();
                                    step.start();
                                    let r = cv.sleep_srw(lock, INFINITE, 0);
                                    step.finish();
                                    let held = lock.try_shared_undone() == 0;
                                    lock.release_exclusive();
                                    (r.0, held)
                                }
                                Hold::Shared => {
                                    lock.shared();
                                    step.start();
                                    let flags = CONDITION_VARIABLE_LOCKMODE_SHARED;
                                    let r = cv.sleep_srw(lock, INFINITE, flags);
                                    step.finish();
                                    let held = lock.try_exclusive_undone() == 0;
                                    lock.release_shared();
                                    (r.0, held)
                                }
                                Hold::Section => {
                                    section.enter();
                                    step.start();
                                    let r = cv.sleep_cs(section, INFINITE);
                                    step.finish();
                                    let held = elsewhere(|| section.try_enter()) == FALSE;
                                    section.leave();
                                    (r.0, held)
                                }
                            };
                            results.lock().unwrap().push(woken);
                        });
                    }
                    for step in &steps {
                        problems.check(step.blocked(), || format!("{hold:?}, offset {offset}"));
                    }
                    if wake_all {
                        cv.wake_all();
                    } else {
                        cv.wake();
                    }
                });
                let results = results.into_inner().unwrap();
                problems.check(results == vec![(TRUE, true); sleepers], || {
                    format!("{hold:?}, wake all {wake_all}, offset {offset}: {results:?}")
                });
                section.delete();
            }
        }
    }
    problems.assert_none();
}

// ---------------------------------------------------------------------------------------
// Critical sections.

/// A critical section works at any address: it initializes, excludes other threads (who
/// wait, or fail `TryEnterCriticalSection`), lets its owner enter again, and is free when
/// the owner has left as often as it entered.
#[test]
fn cs_excludes_and_recurses_at_every_offset() {
    let mut problems = Problems::default();
    for offset in OFFSETS {
        let mut storage = Storage::new();
        let section = Cs::new(&mut storage, offset);
        assert_ne!(section.init_spin(100), 0, "offset {offset}");
        section.enter();
        assert_eq!(
            section.try_enter(),
            TRUE,
            "the owner enters again, offset {offset}"
        );
        assert_eq!(
            elsewhere(|| section.try_enter()),
            FALSE,
            "held, offset {offset}"
        );
        let step = Step::default();
        std::thread::scope(|s| {
            s.spawn(|| {
                step.start();
                section.enter();
                step.finish();
                section.leave();
            });
            problems.check(step.blocked(), || format!("enter, offset {offset}"));
            section.leave();
            // Entered twice: still held after one leave.
            problems.check(step.blocked(), || {
                format!("after one leave, offset {offset}")
            });
            section.leave();
            step.wait_done();
        });
        let free = elsewhere(|| {
            let got = section.try_enter();
            if got != FALSE {
                section.leave();
            }
            got
        });
        assert_eq!(free, TRUE, "free, offset {offset}");
        section.delete();
    }
    problems.assert_none();
}

/// Threads incrementing a counter with a separate load and store inside the section lose
/// no increment, at any address.
#[test]
fn cs_counts_exactly_under_contention_at_every_offset() {
    const THREADS: usize = 4;
    const ROUNDS: usize = 1_000;
    for offset in OFFSETS {
        let mut storage = Storage::new();
        let section = Cs::new(&mut storage, offset);
        section.init();
        let counter = AtomicI32::new(0);
        std::thread::scope(|s| {
            for _ in 0..THREADS {
                s.spawn(|| {
                    for _ in 0..ROUNDS {
                        section.enter();
                        let v = counter.load(Ordering::Relaxed);
                        std::thread::yield_now(); // invites a lost update, if unlocked
                        counter.store(v + 1, Ordering::Relaxed);
                        section.leave();
                    }
                });
            }
        });
        assert_eq!(
            counter.load(Ordering::Relaxed),
            i32::try_from(THREADS * ROUNDS).unwrap(),
            "offset {offset}"
        );
        section.delete();
    }
}

/// `InitializeCriticalSection` and `InitializeCriticalSectionAndSpinCount` set `DebugInfo`
/// to `(void *)-1`, as Windows 8 and later do (they allocate no debug information);
/// `DeleteCriticalSection` sets it to `NULL` (Wine's `test_crit_section`). A program that
/// then clears `DebugInfo` still has a working section.
#[test]
fn cs_debug_info_is_minus_one_after_initialize_and_null_after_delete() {
    for offset in OFFSETS {
        let mut storage = Storage::new();
        let section = Cs::new(&mut storage, offset);
        section.init();
        assert_eq!(section.debug_info() as usize, usize::MAX, "offset {offset}");
        section.delete();
        assert_eq!(section.debug_info(), null_mut(), "offset {offset}");
        assert_ne!(section.init_spin(0), 0, "offset {offset}");
        assert_eq!(section.debug_info() as usize, usize::MAX, "offset {offset}");
        assert_eq!(section.try_enter(), TRUE, "offset {offset}");
        section.leave();
        section.set_debug_info(null_mut());
        assert_eq!(section.try_enter(), TRUE, "offset {offset}");
        section.leave();
        section.delete();
        assert_eq!(section.debug_info(), null_mut(), "offset {offset}");
    }
}

// ---------------------------------------------------------------------------------------
// A mixed load.

/// Threads taking one SRW lock in every way at once — exclusive, shared, both
/// try-acquires, and shared holds released by another thread than the one that took them
/// — never find a writer beside anyone else, and all finish (no sleeper is left behind on a
/// free lock), aligned and not.
#[test]
fn srw_mixed_load_keeps_writers_alone_and_loses_no_wake_up() {
    const THREADS: u32 = 4;
    const ROUNDS: u32 = 3_000;
    for offset in [0, 3] {
        let mut storage = Storage::new();
        let lock = Srw::new(&mut storage, offset);
        let writers = AtomicI32::new(0);
        let readers = AtomicI32::new(0);
        let clash = AtomicBool::new(false);
        let write = || {
            if writers.fetch_add(1, Ordering::SeqCst) != 0 || readers.load(Ordering::SeqCst) != 0 {
                clash.store(true, Ordering::SeqCst);
            }
            std::thread::yield_now();
            writers.fetch_sub(1, Ordering::SeqCst);
        };
        let read = || {
            readers.fetch_add(1, Ordering::SeqCst);
            if writers.load(Ordering::SeqCst) != 0 {
                clash.store(true, Ordering::SeqCst);
            }
            std::thread::yield_now();
            readers.fetch_sub(1, Ordering::SeqCst);
        };
        std::thread::scope(|s| {
            for seed in 0..THREADS {
                let (write, read) = (&write, &read);
                s.spawn(move || {
                    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
                    for _ in 0..ROUNDS {
                        x ^= x << 13;
                        x ^= x >> 17;
                        x ^= x << 5;
                        match x % 6 {
                            0 | 1 => {
                                lock.exclusive();
                                write();
                                lock.release_exclusive();
                            }
                            2 => {
                                lock.shared();
                                read();
                                lock.release_shared();
                            }
                            3 => {
                                if lock.try_exclusive() != 0 {
                                    write();
                                    lock.release_exclusive();
                                }
                            }
                            4 => {
                                if lock.try_shared() != 0 {
                                    read();
                                    lock.release_shared();
                                }
                            }
                            _ => {
                                // A shared hold released by another thread.
                                lock.shared();
                                read();
                                elsewhere(|| lock.release_shared());
                            }
                        }
                    }
                });
            }
        });
        assert!(
            !clash.load(Ordering::SeqCst),
            "a writer beside others, offset {offset}"
        );
        assert_eq!(
            lock.try_exclusive_undone(),
            1,
            "free at the end, offset {offset}"
        );
    }
}
