//! The futex contract emulated for loom models: one process-wide mutex and condition variable
//! stand in for the kernel's futex hash table. Waking everyone is allowed by the contract
//! (sleepers re-check), and checking the word under the mutex closes the gap between the
//! check and the sleep, exactly as the kernel's hash-bucket lock does.

use std::time::{Duration, SystemTime};

use loom::sync::{Condvar, Mutex};

use crate::sync::{AtomicU32, Ordering};

loom::lazy_static! {
    static ref TABLE: (Mutex<()>, Condvar) = (Mutex::new(()), Condvar::new());
}

pub(crate) fn futex_wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>) {
    let (lock, sleepers) = &*TABLE;
    let guard = lock.lock().unwrap();
    if word.load(Ordering::SeqCst) != expected || timeout.is_some() {
        // Loom has no clock: a timed wait times out at once.
        return;
    }
    drop(sleepers.wait(guard).unwrap());
}

pub(crate) fn futex_wait_until_wall(word: &AtomicU32, expected: u32, _deadline: SystemTime) {
    futex_wait(word, expected, Some(Duration::ZERO));
}

pub(crate) fn futex_wake(_word: &AtomicU32, _count: u32) {
    let (lock, sleepers) = &*TABLE;
    let _guard = lock.lock().unwrap();
    sleepers.notify_all();
}

pub(crate) fn current_tid() -> u32 {
    1
}

pub(crate) fn sleep(_duration: Duration) {
    loom::thread::yield_now();
}

pub(crate) fn yield_now() {
    loom::thread::yield_now();
}
