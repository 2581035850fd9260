//! `INIT_ONCE`, `WaitOnAddress` and synchronization barriers, at every byte offset 0–7 from
//! an 8-byte boundary (Windows on x86-64 gives them their behaviour at any address).
//! Threads are ordered with the functions under test and with atomics, never with sleeps;
//! the only timed waits are ones that must time out.

use std::ptr::null_mut;
use std::sync::atomic::{AtomicUsize, Ordering};

use alertable_win32::*;

/// Byte offsets from an 8-byte boundary that the tests run at.
const OFFSETS: [usize; 8] = [0, 1, 2, 3, 4, 5, 6, 7];

/// Zeroed, 8-byte aligned storage for one structure at any offset 0–7.
#[repr(C, align(8))]
struct Storage([u8; 48]);

impl Storage {
    fn new() -> Box<Self> {
        Box::new(Self([0; 48]))
    }

    /// The address `offset` bytes in, as an integer threads can share.
    fn at(&mut self, offset: usize) -> usize {
        let at = self.0.as_mut_ptr() as usize + offset;
        assert_eq!(at % 8, offset);
        at
    }
}

fn once(at: usize) -> PINIT_ONCE {
    at as PINIT_ONCE
}

static CALLS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn count_and_store(_: PINIT_ONCE, parameter: PVOID, context: *mut PVOID) -> BOOL {
    CALLS.fetch_add(1, Ordering::SeqCst);
    // SAFETY: the tests pass a valid context pointer.
    unsafe { context.write_unaligned(parameter) };
    TRUE
}

unsafe extern "C" fn fail(_: PINIT_ONCE, _: PVOID, _: *mut PVOID) -> BOOL {
    CALLS.fetch_add(1, Ordering::SeqCst);
    FALSE
}

/// `InitOnceExecuteOnce` runs its callback once among racing threads, hands every thread
/// the stored context, and runs it again after a failure.
#[test]
fn execute_once_runs_once_at_every_offset() {
    for offset in OFFSETS {
        let mut storage = Storage::new();
        let at = storage.at(offset);
        CALLS.store(0, Ordering::SeqCst);
        // A failing callback leaves it uninitialized.
        let mut context: PVOID = null_mut();
        // SAFETY: a live INIT_ONCE in `storage`; `context` is a local.
        let failed =
            unsafe { InitOnceExecuteOnce(once(at), Some(fail), null_mut(), &raw mut context) };
        assert_eq!(failed, FALSE);
        assert_eq!(CALLS.load(Ordering::SeqCst), 1);
        let value = 0x1234_5678_9ABC_DEF0_usize;
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(move || {
                    let mut context: PVOID = null_mut();
                    // SAFETY: as above; `storage` outlives the scope.
                    let ok = unsafe {
                        InitOnceExecuteOnce(
                            once(at),
                            Some(count_and_store),
                            value as PVOID,
                            &raw mut context,
                        )
                    };
                    assert_eq!(ok, TRUE);
                    assert_eq!(context as usize, value);
                });
            }
        });
        assert_eq!(CALLS.load(Ordering::SeqCst), 2, "offset {offset}");
        let (mut pending, mut context) = (TRUE, null_mut());
        // SAFETY: as above.
        let done = unsafe {
            InitOnceBeginInitialize(
                once(at),
                INIT_ONCE_CHECK_ONLY,
                &raw mut pending,
                &raw mut context,
            )
        };
        assert_eq!((done, pending, context as usize), (TRUE, FALSE, value));
    }
}

/// The documented results of `InitOnceBeginInitialize` and `InitOnceComplete`, synchronous.
#[test]
fn begin_and_complete_synchronously_at_every_offset() {
    for offset in OFFSETS {
        let mut storage = Storage::new();
        let at = storage.at(offset);
        let p = once(at);
        let (mut pending, mut context) = (FALSE, null_mut());
        // SAFETY: for every call below, a live INIT_ONCE in `storage`; the out pointers are
        // locals.
        unsafe {
            InitOnceInitialize(p);
            assert_eq!(
                InitOnceBeginInitialize(
                    p,
                    INIT_ONCE_CHECK_ONLY,
                    &raw mut pending,
                    &raw mut context
                ),
                FALSE
            );
            assert_eq!(GetLastError(), ERROR_GEN_FAILURE);
            assert_eq!(InitOnceComplete(p, 0, null_mut()), FALSE, "nothing pending");
            assert_eq!(GetLastError(), ERROR_GEN_FAILURE);
            assert_eq!(
                InitOnceBeginInitialize(
                    p,
                    INIT_ONCE_CHECK_ONLY | INIT_ONCE_ASYNC,
                    &raw mut pending,
                    &raw mut context
                ),
                FALSE
            );
            assert_eq!(GetLastError(), ERROR_INVALID_PARAMETER);
            assert_eq!(
                InitOnceBeginInitialize(p, 0, &raw mut pending, &raw mut context),
                TRUE
            );
            assert_eq!(pending, TRUE);
            assert_eq!(
                InitOnceBeginInitialize(p, INIT_ONCE_ASYNC, &raw mut pending, &raw mut context),
                FALSE
            );
            assert_eq!(GetLastError(), ERROR_INVALID_PARAMETER);
            assert_eq!(
                InitOnceBeginInitialize(
                    p,
                    INIT_ONCE_CHECK_ONLY,
                    &raw mut pending,
                    &raw mut context
                ),
                FALSE
            );
            assert_eq!(GetLastError(), ERROR_GEN_FAILURE);
            // The reserved low bits of the context must be zero.
            assert_eq!(InitOnceComplete(p, 0, 0x1001 as PVOID), FALSE);
            assert_eq!(GetLastError(), ERROR_INVALID_PARAMETER);
            assert_eq!(
                InitOnceComplete(p, INIT_ONCE_ASYNC | INIT_ONCE_INIT_FAILED, null_mut()),
                FALSE
            );
            assert_eq!(GetLastError(), ERROR_INVALID_PARAMETER);
            // A failure lets the next caller initialize.
            assert_eq!(InitOnceComplete(p, INIT_ONCE_INIT_FAILED, null_mut()), TRUE);
            assert_eq!(
                InitOnceBeginInitialize(p, 0, &raw mut pending, &raw mut context),
                TRUE
            );
            assert_eq!(pending, TRUE);
            // A thread beginning meanwhile waits for the completion and sees its context.
            std::thread::scope(|s| {
                let waiter = s.spawn(move || {
                    let (mut pending, mut context) = (TRUE, null_mut());
                    let ok =
                        InitOnceBeginInitialize(once(at), 0, &raw mut pending, &raw mut context);
                    (ok, pending, context as usize)
                });
                assert_eq!(InitOnceComplete(p, 0, 0x1000 as PVOID), TRUE);
                assert_eq!(waiter.join().unwrap(), (TRUE, FALSE, 0x1000));
            });
            assert_eq!(
                InitOnceComplete(p, 0, 0x2000 as PVOID),
                FALSE,
                "already complete"
            );
            assert_eq!(GetLastError(), ERROR_GEN_FAILURE);
            assert_eq!(
                InitOnceBeginInitialize(p, INIT_ONCE_ASYNC, &raw mut pending, &raw mut context),
                TRUE
            );
            assert_eq!((pending, context as usize), (FALSE, 0x1000));
        }
    }
}

/// With `INIT_ONCE_ASYNC` several threads initialize; the first to complete wins.
#[test]
fn asynchronous_initializers_race_and_one_wins_at_every_offset() {
    for offset in OFFSETS {
        let mut storage = Storage::new();
        let p = once(storage.at(offset));
        let (mut first, mut second, mut context) = (FALSE, FALSE, null_mut());
        // SAFETY: for every call, a live INIT_ONCE in `storage`; the out pointers are locals.
        unsafe {
            assert_eq!(
                InitOnceBeginInitialize(p, INIT_ONCE_ASYNC, &raw mut first, &raw mut context),
                TRUE
            );
            assert_eq!(
                InitOnceBeginInitialize(p, INIT_ONCE_ASYNC, &raw mut second, &raw mut context),
                TRUE
            );
            assert_eq!((first, second), (TRUE, TRUE));
            assert_eq!(
                InitOnceBeginInitialize(p, 0, &raw mut first, &raw mut context),
                FALSE
            );
            assert_eq!(GetLastError(), ERROR_INVALID_PARAMETER);
            assert_eq!(InitOnceComplete(p, INIT_ONCE_ASYNC, 0x4000 as PVOID), TRUE);
            assert_eq!(InitOnceComplete(p, INIT_ONCE_ASYNC, 0x8000 as PVOID), FALSE);
            assert_eq!(GetLastError(), ERROR_GEN_FAILURE);
            assert_eq!(
                InitOnceBeginInitialize(p, INIT_ONCE_CHECK_ONLY, &raw mut first, &raw mut context),
                TRUE
            );
            assert_eq!((first, context as usize), (FALSE, 0x4000));
        }
    }
}

/// Writes `value`'s low `size` bytes at `at`, byte by byte (any alignment).
fn store(at: usize, value: u64, size: usize) {
    for i in 0..size {
        // SAFETY: inside a live Storage; bytes need no alignment. Volatile: another thread
        // reads these bytes in WaitOnAddress.
        unsafe { ((at + i) as *mut u8).write_volatile((value >> (8 * i)) as u8) };
    }
}

/// `WaitOnAddress` of every size at every offset: returns at once when the value differs,
/// times out with `ERROR_TIMEOUT` while it is equal, and is woken by `WakeByAddressAll`
/// and `WakeByAddressSingle` after a change.
#[test]
fn wait_on_address_every_size_at_every_offset() {
    for size in [1_usize, 2, 4, 8] {
        for offset in OFFSETS {
            let mut storage = Storage::new();
            let at = storage.at(offset);
            store(at, 0x0102_0304_0506_0708, size);
            let mut same = 0x0102_0304_0506_0708_u64;
            let mut other = 0x0102_0304_0506_0709_u64;
            // SAFETY: for both, `at` and the locals are valid for `size` bytes.
            unsafe {
                assert_eq!(
                    WaitOnAddress(at as *mut _, (&raw mut other).cast(), size, INFINITE),
                    TRUE
                );
                assert_eq!(
                    WaitOnAddress(at as *mut _, (&raw mut same).cast(), size, 0),
                    FALSE
                );
                assert_eq!(GetLastError(), ERROR_TIMEOUT);
                assert_eq!(
                    WaitOnAddress(at as *mut _, (&raw mut same).cast(), size, 5),
                    FALSE
                );
                assert_eq!(GetLastError(), ERROR_TIMEOUT);
            }
            for all in [true, false] {
                store(at, 0, size);
                let arrived = AtomicUsize::new(0);
                std::thread::scope(|s| {
                    for _ in 0..3 {
                        s.spawn(|| {
                            arrived.fetch_add(1, Ordering::SeqCst);
                            let mut zero = 0_u64;
                            // The documented pattern: wait while the value is unchanged;
                            // returns may be spurious.
                            // SAFETY: as above.
                            while unsafe { ((at) as *const u8).read_volatile() } == 0 {
                                // SAFETY: as above.
                                unsafe {
                                    WaitOnAddress(
                                        at as *mut _,
                                        (&raw mut zero).cast(),
                                        size,
                                        INFINITE,
                                    )
                                };
                            }
                        });
                    }
                    while arrived.load(Ordering::SeqCst) < 3 {
                        std::thread::yield_now();
                    }
                    store(at, 1, size);
                    if all {
                        WakeByAddressAll(at as PVOID);
                    } else {
                        for _ in 0..3 {
                            WakeByAddressSingle(at as PVOID);
                        }
                    }
                });
            }
        }
    }
}

#[test]
fn wait_on_address_refuses_other_sizes() {
    let mut value = 0_u64;
    for size in [0_usize, 3, 5, 16] {
        // SAFETY: refused before any access.
        let r = unsafe { WaitOnAddress((&raw mut value).cast(), (&raw mut value).cast(), size, 0) };
        assert_eq!((r, GetLastError()), (FALSE, ERROR_INVALID_PARAMETER));
    }
}

/// Each phase of a barrier releases its threads only once all have entered, and exactly
/// one of them gets `TRUE`; with every flag, at every offset.
#[test]
fn barrier_phases_have_one_true_at_every_offset() {
    const THREADS: usize = 4;
    const PHASES: usize = 20;
    for flags in [
        0,
        SYNCHRONIZATION_BARRIER_FLAGS_BLOCK_ONLY,
        SYNCHRONIZATION_BARRIER_FLAGS_SPIN_ONLY,
        SYNCHRONIZATION_BARRIER_FLAGS_NO_DELETE,
    ] {
        for offset in OFFSETS {
            let mut storage = Storage::new();
            let at = storage.at(offset);
            let barrier = at as LPSYNCHRONIZATION_BARRIER;
            assert_eq!(
                // SAFETY: 32 writable bytes in `storage`.
                unsafe { InitializeSynchronizationBarrier(barrier, THREADS as LONG, -1) },
                TRUE
            );
            let arrived: Vec<AtomicUsize> = (0..PHASES).map(|_| AtomicUsize::new(0)).collect();
            let winners: Vec<AtomicUsize> = (0..PHASES).map(|_| AtomicUsize::new(0)).collect();
            std::thread::scope(|s| {
                for _ in 0..THREADS {
                    s.spawn(|| {
                        for phase in 0..PHASES {
                            arrived[phase].fetch_add(1, Ordering::SeqCst);
                            // SAFETY: an initialized barrier in `storage`.
                            let last = unsafe {
                                EnterSynchronizationBarrier(at as LPSYNCHRONIZATION_BARRIER, flags)
                            };
                            assert_eq!(arrived[phase].load(Ordering::SeqCst), THREADS);
                            if last == TRUE {
                                winners[phase].fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    });
                }
            });
            for w in &winners {
                assert_eq!(w.load(Ordering::SeqCst), 1, "flags {flags} offset {offset}");
            }
            // SAFETY: as above; no thread is inside any more.
            assert_eq!(unsafe { DeleteSynchronizationBarrier(barrier) }, TRUE);
        }
    }
}

#[test]
fn barrier_refuses_bad_counts() {
    let mut storage = Storage::new();
    let barrier = storage.at(0) as LPSYNCHRONIZATION_BARRIER;
    for (total, spin) in [(0, -1), (-3, 0), (2, -2)] {
        // SAFETY: 32 writable bytes in `storage`.
        let r = unsafe { InitializeSynchronizationBarrier(barrier, total, spin) };
        assert_eq!((r, GetLastError()), (FALSE, ERROR_INVALID_PARAMETER));
    }
    // A barrier of one thread never waits.
    // SAFETY: as above.
    unsafe {
        assert_eq!(InitializeSynchronizationBarrier(barrier, 1, 0), TRUE);
        assert_eq!(EnterSynchronizationBarrier(barrier, 0), TRUE);
        assert_eq!(EnterSynchronizationBarrier(barrier, 0), TRUE);
        assert_eq!(DeleteSynchronizationBarrier(barrier), TRUE);
    }
}
