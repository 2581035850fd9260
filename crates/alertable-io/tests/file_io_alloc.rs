//! Allocations per request in steady state (completion routines, spec J92, J102): with a
//! counting global allocator, a thread that keeps `read_ex` requests of page-cached data in
//! flight — each routine issuing the next read with the buffer it got back, as a program
//! streaming a file does — allocates nothing per request once warm: the request's shared
//! state is reused and a routine capturing up to 32 bytes is stored without a box.
//!
//! Only the issuing thread's allocations are counted, while the window is open: the test
//! harness allocates on its own threads at any moment. A request is reused only when the
//! routine's thread holds its last reference; a completion delivered by the io_uring
//! reaper thread may still be referenced there when its routine runs, so the bound leaves
//! room for a few such requests (a handful in thousands), far below one allocation per
//! request.
//!
//! The test runs on the backend the process picks and again, through
//! `worker_threads_backend_allocates_nothing`, in a child process forced onto the worker
//! threads with `ALERTABLE_IO_BACKEND=threads`.
#![allow(clippy::disallowed_types)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use alertable::{Alertable, SleepStatus, sleep_ex};
use alertable_io::{AsyncFile, IoError};

/// `System`, counting the allocations (`alloc`, `alloc_zeroed`, `realloc`) of the measured
/// thread while the window is open.
struct Counting;

static WINDOW_OPEN: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Whether this thread is the measured one. Constant-initialised and without a
    /// destructor, so reading it never allocates, not even during thread exit.
    static MEASURED: Cell<bool> = const { Cell::new(false) };
}

impl Counting {
    fn count(&self) {
        if WINDOW_OPEN.load(Ordering::Relaxed) && MEASURED.get() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

// SAFETY: every call is forwarded unchanged to `System`; counting touches only atomics and
// a constant thread-local, and never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The variable that forces a backend.
const BACKEND_VAR: &str = "ALERTABLE_IO_BACKEND";
/// Bytes per read.
const BLOCK: usize = 4096;
/// Blocks in the file.
const BLOCKS: u64 = 64;
/// Reads before the window opens, so that every list and pool has the room it will use.
const WARM_UP: usize = 2_000;
/// Reads measured.
const MEASURED_READS: usize = 5_000;

/// The reads of one run, on the issuing thread.
struct Chain {
    file: AsyncFile,
    /// Reads issued so far.
    issued: usize,
    /// Reads whose routine ran so far.
    done: usize,
    /// Reads that failed or returned something else than the block asked for.
    bad: usize,
    /// Issue no more than this many reads.
    limit: usize,
}

thread_local! {
    static CHAIN: RefCell<Option<Chain>> = const { RefCell::new(None) };
}

/// Issues the next read of the chain with `buffer`, if the limit allows; the routine
/// captures the offset (8 bytes).
fn issue_next(chain: &mut Chain, mut buffer: Vec<u8>) {
    if chain.issued == chain.limit {
        return;
    }
    let offset = (chain.issued as u64 * 7 % BLOCKS) * BLOCK as u64;
    chain.issued += 1;
    buffer.resize(BLOCK, 0);
    let routine = move |result: Result<usize, IoError>, buffer: Vec<u8>| {
        CHAIN.with_borrow_mut(|chain| {
            let chain = chain.as_mut().expect("a chain in progress");
            chain.done += 1;
            if result != Ok(BLOCK) || buffer[..8] != offset.to_le_bytes() {
                chain.bad += 1;
            }
            issue_next(chain, buffer);
        });
    };
    if chain.file.read_ex(offset, buffer, routine).is_err() {
        chain.bad += 1;
        chain.done += 1;
    }
}

/// Runs alertable waits until `reads` more routines have run, keeping `depth` reads in
/// flight.
fn run_reads(depth: usize, reads: usize) {
    CHAIN.with_borrow_mut(|chain| {
        let chain = chain.as_mut().expect("a chain");
        chain.limit = chain.issued + reads;
        for _ in 0..depth {
            issue_next(chain, vec![0; BLOCK]);
        }
    });
    while CHAIN.with_borrow(|chain| {
        let chain = chain.as_ref().expect("a chain");
        chain.done < chain.limit
    }) {
        assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
    }
}

/// Writes the file (each block starts with its offset) and reads it once, so it is cached.
fn write_file(path: &Path) {
    let mut contents = vec![0u8; BLOCKS as usize * BLOCK];
    for (b, block) in contents.chunks_mut(BLOCK).enumerate() {
        block[..8].copy_from_slice(&(b as u64 * BLOCK as u64).to_le_bytes());
    }
    std::fs::write(path, &contents).unwrap();
    assert_eq!(std::fs::read(path).unwrap().len(), contents.len());
}

/// Measures the allocations of `MEASURED_READS` reads at `depth` in flight on a fresh
/// alertable thread; returns them.
fn measure(depth: usize) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    write_file(&path);
    let file = AsyncFile::open(&path).unwrap();
    let (allocations, bad, done) = alertable::spawn(move || {
        CHAIN.set(Some(Chain {
            file,
            issued: 0,
            done: 0,
            bad: 0,
            limit: 0,
        }));
        run_reads(depth, WARM_UP);
        // The buffers are allocated before the window opens: the chain's own, not the
        // library's.
        let buffers: Vec<Vec<u8>> = (0..depth).map(|_| vec![0; BLOCK]).collect();
        MEASURED.set(true);
        ALLOCATIONS.store(0, Ordering::SeqCst);
        WINDOW_OPEN.store(true, Ordering::SeqCst);
        CHAIN.with_borrow_mut(|chain| {
            let chain = chain.as_mut().expect("a chain");
            chain.limit = chain.issued + MEASURED_READS;
            for buffer in buffers {
                issue_next(chain, buffer);
            }
        });
        while CHAIN.with_borrow(|chain| {
            let chain = chain.as_ref().expect("a chain");
            chain.done < chain.limit
        }) {
            assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
        }
        WINDOW_OPEN.store(false, Ordering::SeqCst);
        MEASURED.set(false);
        let chain = CHAIN.take().expect("a chain");
        (ALLOCATIONS.load(Ordering::SeqCst), chain.bad, chain.done)
    })
    .unwrap()
    .join()
    .unwrap();
    assert_eq!(bad, 0, "a read failed or returned the wrong block");
    assert_eq!(done, WARM_UP + MEASURED_READS);
    println!(
        "{}: depth {depth}: {allocations} allocations over {MEASURED_READS} reads",
        alertable_io::backend_name()
    );
    allocations
}

/// One test at a time: the counters are global.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// J92, J102: a chain of `read_ex` requests, one in flight at a time, allocates nothing per
/// request in steady state.
#[test]
fn j102_read_ex_chain_at_depth_1_allocates_nothing_per_request() {
    let _serial = serial();
    let allocations = measure(1);
    assert!(
        allocations <= MEASURED_READS as u64 / 100,
        "{allocations} allocations over {MEASURED_READS} reads at depth 1"
    );
}

/// J92, J102: the same with 16 requests in flight, which the io_uring backend submits
/// together when the thread's APC drain ends (U5).
#[test]
fn j102_read_ex_chain_at_depth_16_allocates_nothing_per_request() {
    let _serial = serial();
    let allocations = measure(16);
    assert!(
        allocations <= MEASURED_READS as u64 / 100,
        "{allocations} allocations over {MEASURED_READS} reads at depth 16"
    );
}

/// J102: requests waited for one at a time through their [`Operation`] — `read`, then
/// `result(true)`, the buffer taken back, the handle dropped — allocate nothing per request
/// in steady state either: the last handle of a finished request, dropped on its issuing
/// thread, gives it back to that thread's pool (R4). (Page-cached reads complete before the
/// wait would sleep; one that sleeps makes the request an event to sleep on.)
///
/// [`Operation`]: alertable_io::Operation
#[test]
fn j102_requests_waited_for_through_their_handles_allocate_nothing_per_request() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    write_file(&path);
    let file = AsyncFile::open(&path).unwrap();
    let (allocations, bad) = alertable::spawn(move || {
        let mut buffer = vec![0u8; BLOCK];
        let mut bad = 0;
        let mut read = |n: usize, mut buffer: Vec<u8>| {
            let offset = (n as u64 * 7 % BLOCKS) * BLOCK as u64;
            buffer.resize(BLOCK, 0);
            let op = file.read(offset, buffer).expect("issued");
            if op.result(true) != Ok(BLOCK) {
                bad += 1;
            }
            let buffer = op.take_buffer().expect("the buffer comes back");
            if buffer[..8] != offset.to_le_bytes() {
                bad += 1;
            }
            buffer
        };
        for n in 0..WARM_UP {
            buffer = read(n, buffer);
        }
        MEASURED.set(true);
        ALLOCATIONS.store(0, Ordering::SeqCst);
        WINDOW_OPEN.store(true, Ordering::SeqCst);
        for n in 0..MEASURED_READS {
            buffer = read(n, buffer);
        }
        WINDOW_OPEN.store(false, Ordering::SeqCst);
        MEASURED.set(false);
        (ALLOCATIONS.load(Ordering::SeqCst), bad)
    })
    .unwrap()
    .join()
    .unwrap();
    assert_eq!(bad, 0, "a read failed or returned the wrong block");
    println!(
        "{}: {allocations} allocations over {MEASURED_READS} waited reads",
        alertable_io::backend_name()
    );
    assert!(
        allocations <= MEASURED_READS as u64 / 100,
        "{allocations} allocations over {MEASURED_READS} waited reads"
    );
}

/// The tests above, on the worker-thread backend, in a child process (the backend is
/// chosen once per process).
#[test]
fn worker_threads_backend_allocates_nothing() {
    if std::env::var_os(BACKEND_VAR).is_some() {
        return; // this is the child, or the whole run is forced already
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .env(BACKEND_VAR, "threads")
        .args(["--test-threads=1", "j102_"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the worker-thread run failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
