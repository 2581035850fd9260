//! Allocations per APC in steady state (spec section A, queueing: A14, A15): with a counting
//! global allocator, `queue_user_apc` and closures capturing up to 32 bytes cost no
//! allocation at all once the queue is warm; a closure capturing 64 bytes is boxed.
//!
//! Only allocations made by the two threads taking part in a measurement (the test thread
//! queueing, the consumer running the APCs) are counted, and only while the window is open.
//! The test harness allocates on other threads at any moment: its main thread spawns the
//! next test's thread (thread name, spawn hooks, result packet) and formats and stores the
//! results of finished tests, and each new test thread allocates as it starts (its name
//! for the stack-overflow handler, its output capture). Counted globally, those allocations
//! land in whichever window happens to be open; they are tallied apart and printed instead.
#![allow(clippy::disallowed_types)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, mpsc};

use alertable::{Alertable, JoinHandle, SleepStatus, ThreadHandle, sleep_ex};

/// `System`, counting allocations (`alloc`, `alloc_zeroed`, `realloc`) while a window is
/// open: those of measured threads in `ALLOCATIONS`, the others in `ELSEWHERE`.
struct Counting;

static WINDOW_OPEN: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ELSEWHERE: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Whether this thread takes part in the current measurement. Constant-initialised and
    /// without a destructor, so reading it never allocates, not even during thread exit.
    static MEASURED: Cell<bool> = const { Cell::new(false) };
}

impl Counting {
    fn count(&self) {
        if WINDOW_OPEN.load(Ordering::Relaxed) {
            if MEASURED.get() {
                ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            } else {
                ELSEWHERE.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

// SAFETY: every call is forwarded unchanged to `System`; counting touches only atomics and
// never allocates.
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

/// APCs per burst (at most 20): fewer than one internal block of the queue.
const BURST: usize = 20;
/// APCs measured per kind.
const MEASURED_APCS: usize = 10_000;
/// APCs run before measuring, so that the queues have all the blocks they will use.
const WARM_UP: usize = 2_000;

thread_local! {
    /// On the consumer: set by the stop request.
    static STOP: Cell<bool> = const { Cell::new(false) };
    /// On the consumer: a checksum of what the APCs carried, so they cannot be optimised out.
    static SUM: Cell<usize> = const { Cell::new(0) };
    /// On the test thread: set by the consumer's acknowledgement.
    static ACKED: Cell<bool> = const { Cell::new(false) };
}

fn add(param: usize) {
    SUM.set(SUM.get().wrapping_add(param));
}

fn acknowledge(_: usize) {
    ACKED.set(true);
}

/// A consumer thread serving APCs until told to stop.
fn start_consumer() -> JoinHandle<usize> {
    let (ready_tx, ready_rx) = mpsc::channel();
    let consumer = alertable::spawn(move || {
        MEASURED.set(true);
        ready_tx.send(()).unwrap();
        while !STOP.get() {
            assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
        }
        SUM.get()
    })
    .unwrap();
    ready_rx.recv().unwrap();
    consumer
}

/// Queues `count` APCs with `queue_one` in bursts of `BURST`, waiting after each burst for
/// the consumer to acknowledge it with an APC back to this thread (no allocation involved
/// in the synchronisation).
fn bursts(consumer: &ThreadHandle, count: usize, queue_one: &dyn Fn(&ThreadHandle, usize)) {
    let me = alertable::current();
    for burst in 0..count / BURST {
        for i in 0..BURST {
            queue_one(consumer, burst * BURST + i);
        }
        let me = me.clone();
        consumer
            .queue_apc(move || me.queue_user_apc(acknowledge, 0).unwrap())
            .unwrap();
        while !ACKED.get() {
            assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
        }
        ACKED.set(false);
    }
}

/// Counts the allocations `queue_one` causes over `MEASURED_APCS` APCs, after `WARM_UP`
/// unmeasured ones; returns (allocations, APCs measured, consumer checksum).
fn measure(kind: &str, queue_one: &dyn Fn(&ThreadHandle, usize)) -> (u64, usize, usize) {
    // One measurement at a time: the counters are global.
    static SERIAL: Mutex<()> = Mutex::new(());
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());

    MEASURED.set(true);
    let consumer = start_consumer();
    let target = consumer.thread().clone();
    bursts(&target, WARM_UP, queue_one);

    ALLOCATIONS.store(0, Ordering::SeqCst);
    ELSEWHERE.store(0, Ordering::SeqCst);
    WINDOW_OPEN.store(true, Ordering::SeqCst);
    bursts(&target, MEASURED_APCS, queue_one);
    WINDOW_OPEN.store(false, Ordering::SeqCst);
    let allocations = ALLOCATIONS.load(Ordering::SeqCst);
    let elsewhere = ELSEWHERE.load(Ordering::SeqCst);
    MEASURED.set(false);

    target.queue_apc(|| STOP.set(true)).unwrap();
    let sum = consumer.join().unwrap();
    println!(
        "{kind}: {allocations} allocations over {MEASURED_APCS} APCs ({:.4} per APC); \
         {elsewhere} by other threads of the test harness, not counted",
        allocations as f64 / MEASURED_APCS as f64
    );
    (allocations, MEASURED_APCS, sum)
}

/// Expected checksum on the consumer: every index of warm-up and measurement, `per` times.
fn expected_sum(per: usize) -> usize {
    let sum = |n: usize| n * (n - 1) / 2;
    (sum(WARM_UP) + sum(MEASURED_APCS)) * per
}

/// `queue_user_apc` allocates nothing per APC in steady state.
#[test]
fn a14_user_apc_allocates_nothing() {
    let (allocations, _, sum) = measure("queue_user_apc", &|consumer, i| {
        consumer.queue_user_apc(add, i).unwrap();
    });
    assert_eq!(sum, expected_sum(1), "not every APC ran");
    assert_eq!(allocations, 0, "queue_user_apc allocated in steady state");
}

/// A closure capturing exactly 32 bytes is stored inline: no allocation per APC.
#[test]
fn closure_of_32_bytes_allocates_nothing() {
    let (allocations, _, sum) = measure("closure, 32 bytes", &|consumer, i| {
        let words = [i, i, i, i];
        let f = move || add(words.iter().sum());
        assert_eq!(size_of_val(&f), 32);
        consumer.queue_apc(f).unwrap();
    });
    assert_eq!(sum, expected_sum(4), "not every APC ran");
    assert_eq!(
        allocations, 0,
        "a 32-byte closure allocated in steady state"
    );
}

/// A closure capturing nothing is stored inline too.
#[test]
fn closure_of_0_bytes_allocates_nothing() {
    let (allocations, _, sum) = measure("closure, 0 bytes", &|consumer, _| {
        let f = || add(1);
        assert_eq!(size_of_val(&f), 0);
        consumer.queue_apc(f).unwrap();
    });
    assert_eq!(sum, WARM_UP + MEASURED_APCS, "not every APC ran");
    assert_eq!(allocations, 0, "an empty closure allocated in steady state");
}

/// A closure capturing 64 bytes does not fit inline and is boxed: at least one
/// allocation per APC.
#[test]
fn closure_of_64_bytes_is_boxed() {
    let (allocations, apcs, sum) = measure("closure, 64 bytes", &|consumer, i| {
        let words = [i, i, i, i, i, i, i, i];
        let f = move || add(words.iter().sum());
        assert_eq!(size_of_val(&f), 64);
        consumer.queue_apc(f).unwrap();
    });
    assert_eq!(sum, expected_sum(8), "not every APC ran");
    assert!(
        allocations >= apcs as u64,
        "a 64-byte closure: {allocations} allocations for {apcs} APCs"
    );
}
