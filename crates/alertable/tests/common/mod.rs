//! Fixtures shared by the integration tests: hang-guard timeouts, a probe object that
//! reports when a wait has linked itself onto it, per-thread APC records, a shared counter
//! with APCs that bump it, and a wait for a thread to block in the kernel.
//!
//! Every test binary compiles its own copy of this module and uses only part of it.
#![allow(dead_code, clippy::disallowed_types)]

pub(crate) mod peers;

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use alertable::{Acquired, Dispatcher, ThreadHandle, WaitList, Waitable};

/// A hang guard: long enough never to expire in a passing run, short enough to turn a lost
/// wake-up into a failure instead of a stuck test.
pub(crate) const LONG: Option<Duration> = Some(Duration::from_secs(60));
/// A zero timeout: the wait only tests the objects.
pub(crate) const POLL: Option<Duration> = Some(Duration::ZERO);

/// An object that reports, through a channel, when a wait links onto it (`true`) and when
/// it unlinks (`false`). `ready` decides what it contributes to a wait: a never-ready
/// probe goes last in a wait-any (it can never be the object that satisfies it); an
/// always-ready one can join a wait-all without changing when it is satisfied.
pub(crate) struct Probe {
    list: WaitList,
    ready: bool,
    tx: mpsc::Sender<bool>,
}

impl Probe {
    pub(crate) fn new(ready: bool) -> (Self, Linked) {
        let (tx, rx) = mpsc::channel();
        let probe = Self {
            list: WaitList::new(),
            ready,
            tx,
        };
        (probe, Linked(rx))
    }
}

impl Waitable for Probe {
    fn wait_list(&self) -> &WaitList {
        &self.list
    }

    fn is_ready(&self, _lock: &Dispatcher, _waiter: &ThreadHandle) -> bool {
        self.ready
    }

    fn acquire(&self, _lock: &mut Dispatcher, _waiter: &ThreadHandle) -> Acquired {
        Acquired::Normal
    }

    fn waiters_changed(&self, _lock: &Dispatcher, has_waiters: bool) {
        // The receiver may be gone once the test has what it needs.
        let _ = self.tx.send(has_waiters);
    }
}

/// The receiving end of a [`Probe`].
pub(crate) struct Linked(mpsc::Receiver<bool>);

impl Linked {
    /// Returns once the probed wait has linked itself onto its objects.
    pub(crate) fn wait(&self) {
        loop {
            match self.0.recv_timeout(Duration::from_secs(60)) {
                Ok(true) => return,
                Ok(false) => {}
                Err(e) => panic!("the waiter never started waiting: {e}"),
            }
        }
    }
}

/// Receives one message, failing instead of hanging if none comes.
pub(crate) fn recv<T>(rx: &mpsc::Receiver<T>) -> T {
    rx.recv_timeout(Duration::from_secs(60))
        .expect("a waiter should have been released")
}

thread_local! {
    /// Events recorded by APCs (or the thread's entry), on the thread that ran them.
    pub(crate) static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// How many APCs ran on this thread through `count_call`.
    pub(crate) static CALLS: Cell<usize> = const { Cell::new(0) };
}

/// Appends `event` to this thread's [`LOG`].
pub(crate) fn log(event: impl Into<String>) {
    LOG.with_borrow_mut(|log| log.push(event.into()));
}

/// Takes this thread's [`LOG`], leaving it empty.
pub(crate) fn take_log() -> Vec<String> {
    LOG.take()
}

/// A user APC that counts its calls in this thread's [`CALLS`].
pub(crate) fn count_call(_: usize) {
    CALLS.set(CALLS.get() + 1);
}

/// A counter shared between a test and its APCs.
pub(crate) fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

/// An APC that adds one to `counter`.
pub(crate) fn bump(counter: &Arc<AtomicUsize>) -> impl FnOnce() + Send + 'static {
    let counter = counter.clone();
    move || {
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

/// Returns once thread `tid` of this process is blocked in the kernel (state `S`).
///
/// Used to make sure a thread has really gone to sleep before an APC is queued to it. This
/// polls `/proc`; the limit only turns a thread that never blocks into a failure instead
/// of a hang.
pub(crate) fn wait_until_blocked(tid: u64) {
    let path = format!("/proc/self/task/{tid}/stat");
    let start = Instant::now();
    loop {
        let stat = std::fs::read_to_string(&path).expect("thread is alive");
        // The state follows the parenthesised command name, which may contain spaces.
        let (_, rest) = stat.rsplit_once(')').expect("stat format");
        if rest.trim_start().starts_with('S') {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "thread {tid} never blocked"
        );
        std::thread::yield_now();
    }
}
