//! The futex contract emulated for loom models: one process-wide mutex and condition variable
//! stand in for the kernel's futex hash table. Waking everyone is allowed by the contract
//! (sleepers re-check), and checking the word under the mutex closes the gap between the
//! check and the sleep, exactly as the kernel's hash-bucket lock does.

use std::io;
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

/// Models have no signals: nothing to install.
pub(crate) fn install_suspend_handler(_on_signal: fn()) {}

pub(crate) fn install_special_apc_handler(_on_signal: fn()) {}

/// Models never interrupt a running thread: no thread receives the signal.
pub(crate) fn send_special_apc_signal(_tid: u32) -> bool {
    true
}

/// Models never suspend a running thread: no thread receives the signal.
pub(crate) fn send_suspend_signal(_tid: u32) -> bool {
    false
}

pub(crate) fn sleep(_duration: Duration) {
    loom::thread::yield_now();
}

pub(crate) fn yield_now() {
    loom::thread::yield_now();
}

/// Timer slack: loom has no clock, so nothing to do.
pub(crate) fn precise_timed_sleeps() {}

/// The readiness descriptor, modelled: a word that is non-zero while "readable". Models
/// wait for it with [`wait_readable`](Notifier::wait_readable), which stands for an event
/// loop's `poll`.
#[derive(Debug)]
pub(crate) struct Notifier {
    readable: AtomicU32,
}

impl Notifier {
    pub(crate) fn new() -> io::Result<Self> {
        Ok(Self {
            readable: AtomicU32::new(0),
        })
    }

    pub(crate) fn notify(&self) {
        self.readable.store(1, Ordering::SeqCst);
        futex_wake(&self.readable, u32::MAX);
    }

    pub(crate) fn clear(&self) {
        self.readable.store(0, Ordering::SeqCst);
    }

    /// Sleeps until the descriptor is readable.
    pub(crate) fn wait_readable(&self) {
        while self.readable.load(Ordering::SeqCst) == 0 {
            futex_wait(&self.readable, 0, None);
        }
    }
}

/// `poll_now` modelled: the models watch no descriptors of their own.
pub(crate) fn poll_now(_fds: &mut [crate::wait_hook::WatchedFd]) -> bool {
    false
}

/// `poll` modelled: the models watch no descriptors of their own, so this waits for the
/// notifier alone (a timed wait returns at once: loom has no clock); returns whether the
/// notifier is readable.
pub(crate) fn poll(
    notifier: &Notifier,
    _fds: &mut Vec<crate::wait_hook::WatchedFd>,
    timeout: Option<Duration>,
) -> bool {
    if timeout.is_none() {
        notifier.wait_readable();
    }
    notifier.readable.load(Ordering::SeqCst) != 0
}
