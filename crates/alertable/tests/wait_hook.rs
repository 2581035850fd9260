//! A thread's wait hook (`set_wait_hook`): while it lists descriptors, the thread's waits
//! sleep in `ppoll` on them and on the parker's wake descriptor (parker.rs P5), so that an
//! APC (B20), an object's signal, or one of the descriptors ends the sleep; the hook's
//! `ready` runs on the waiting thread; a block that does not watch them releases them
//! first.

#![allow(clippy::disallowed_types)]

use std::cell::Cell;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use alertable::{
    Alertable, Event, EventReset, FdInterest, SleepStatus, WaitHook, WaitStatus, WatchedFd,
    set_wait_hook, sleep_ex, wait_one,
};

/// A hang guard: never reached in a passing run.
const LONG: Duration = Duration::from_secs(20);

/// Watches one descriptor for reading and counts its calls; `ready` reads a byte and
/// queues an APC to its own thread, as an I/O completion would.
struct Hook {
    fd: RawFd,
    stream: UnixStream,
    watched: Cell<usize>,
    readied: Cell<usize>,
    released: Cell<usize>,
    ready_on: Cell<Option<std::thread::ThreadId>>,
}

impl WaitHook for Hook {
    fn watch(&self, fds: &mut Vec<WatchedFd>) {
        self.watched.set(self.watched.get() + 1);
        fds.push(WatchedFd::new(self.fd, FdInterest::Readable));
    }

    fn ready(&self, fds: &[WatchedFd]) {
        assert_eq!(fds.len(), 1);
        assert!(fds[0].is_ready());
        assert_eq!(fds[0].fd(), self.fd);
        self.readied.set(self.readied.get() + 1);
        self.ready_on.set(Some(std::thread::current().id()));
        let mut byte = [0u8; 1];
        (&self.stream).read_exact(&mut byte).unwrap();
        alertable::current().queue_apc(|| {}).unwrap();
    }

    fn release(&self) {
        self.released.set(self.released.get() + 1);
    }
}

/// Installs a hook on this thread watching one end of a fresh socket pair; returns it
/// and the other end.
fn install() -> (Rc<Hook>, UnixStream) {
    let (watched, other) = UnixStream::pair().unwrap();
    let hook = Rc::new(Hook {
        fd: watched.as_raw_fd(),
        stream: watched,
        watched: Cell::new(0),
        readied: Cell::new(0),
        released: Cell::new(0),
        ready_on: Cell::new(None),
    });
    set_wait_hook(Some(hook.clone()));
    (hook, other)
}

/// Removes the hook when the test ends, also when it fails.
struct Uninstall;

impl Drop for Uninstall {
    fn drop(&mut self) {
        set_wait_hook(None);
    }
}

fn gettid() -> i32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}

/// Waits until thread `tid` of this process is blocked in `ppoll` (its `/proc` entry
/// shows the system call it sleeps in).
fn wait_until_in_ppoll(tid: i32) {
    let path = format!("/proc/self/task/{tid}/syscall");
    let ppoll = libc::SYS_ppoll.to_string();
    let deadline = Instant::now() + LONG;
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.split_whitespace().next() == Some(ppoll.as_str()) {
            return;
        }
        assert!(Instant::now() < deadline, "never slept in ppoll: {text}");
        std::thread::yield_now();
    }
}

/// B20 with a hook: an APC queued by another thread wakes a thread asleep in its poll
/// (the unpark writes the parker's wake descriptor, P5), before the sleep's timeout.
#[test]
fn apc_wakes_a_thread_asleep_in_its_poll() {
    let (hook, _other) = install();
    let _uninstall = Uninstall;
    let me = alertable::current();
    let tid = gettid();
    let (ran_tx, ran_rx) = mpsc::channel();
    let queuer = std::thread::spawn(move || {
        wait_until_in_ppoll(tid);
        me.queue_apc(move || ran_tx.send(()).unwrap()).unwrap();
    });
    let start = Instant::now();
    assert_eq!(sleep_ex(Some(LONG), Alertable::Yes), SleepStatus::Alerted);
    assert!(start.elapsed() < LONG, "woken only by the timeout");
    ran_rx.try_recv().unwrap();
    queuer.join().unwrap();
    assert!(hook.watched.get() >= 1);
    assert_eq!(hook.readied.get(), 0);
}

/// A non-alertable object wait polls too, and the event's signal (an unpark) ends it.
#[test]
fn signal_wakes_an_object_wait_asleep_in_its_poll() {
    let (hook, _other) = install();
    let _uninstall = Uninstall;
    let event = Event::new(EventReset::Auto, false);
    let e = event.clone();
    let tid = gettid();
    let setter = std::thread::spawn(move || {
        wait_until_in_ppoll(tid);
        e.set();
    });
    let start = Instant::now();
    assert_eq!(
        wait_one(&event, Some(LONG), Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert!(start.elapsed() < LONG, "woken only by the timeout");
    setter.join().unwrap();
    assert!(hook.watched.get() >= 1);
    assert_eq!(hook.released.get(), 0, "the wait watched the descriptor");
}

/// A watched descriptor that becomes readable ends the sleep and runs the hook's `ready`
/// on the waiting thread, before the wait looks again: the APC it queues ends the
/// alertable sleep.
#[test]
fn ready_descriptor_runs_the_hook_on_the_waiting_thread() {
    let (hook, other) = install();
    let _uninstall = Uninstall;
    let tid = gettid();
    let writer = std::thread::spawn(move || {
        wait_until_in_ppoll(tid);
        (&other).write_all(b"x").unwrap();
        other
    });
    assert_eq!(sleep_ex(Some(LONG), Alertable::Yes), SleepStatus::Alerted);
    let _other = writer.join().unwrap();
    assert_eq!(hook.readied.get(), 1);
    assert_eq!(hook.ready_on.get(), Some(std::thread::current().id()));
}

/// A non-alertable `sleep_ex` does not watch the descriptors: it releases them first.
#[test]
fn a_block_that_does_not_watch_releases_first() {
    let (hook, _other) = install();
    let _uninstall = Uninstall;
    assert_eq!(
        sleep_ex(Some(Duration::from_millis(1)), Alertable::No),
        SleepStatus::Elapsed
    );
    assert_eq!(hook.released.get(), 1);
    assert_eq!(hook.watched.get(), 0);
}

/// Counts the blocks its thread reports.
#[derive(Default)]
struct Blocks(std::sync::atomic::AtomicUsize);

impl alertable::BlockObserver for Blocks {
    fn blocking(&self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
    fn unblocked(&self) {}
}

/// The watch before a park looks at the hook's descriptors too (`poll` without sleeping):
/// one that is ready already, as a peer's answer that came while the thread watched would
/// be, ends the wait with the hook's `ready`, and the thread never blocks.
#[test]
fn a_descriptor_ready_before_the_park_ends_the_wait_without_a_block() {
    let (hook, other) = install();
    let _uninstall = Uninstall;
    let blocks = std::sync::Arc::new(Blocks::default());
    alertable::set_block_observer(Some(blocks.clone()));
    (&other).write_all(b"x").unwrap();
    assert_eq!(sleep_ex(Some(LONG), Alertable::Yes), SleepStatus::Alerted);
    alertable::set_block_observer(None);
    assert_eq!(hook.readied.get(), 1);
    assert_eq!(
        blocks.0.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "caught while watching, not in a sleep"
    );
}
