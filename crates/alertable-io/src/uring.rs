//! The io_uring backend: one ring for the process, reaped by whichever thread gets there
//! first.
//!
//! # Design
//!
//! A thread that issues a request on a regular file enters the kernel (`io_uring_enter`)
//! with that request alone and, right after, reaps whatever completions are ready. Reads and
//! writes of page-cached file data finish inside that very `io_uring_enter`, so in the
//! common case the issuer completes its own request — signals the event, posts the packet,
//! or queues the routine's APC to itself — with no other thread involved and no wake-up.
//! Requests the kernel finishes later (a read that needs the disk) are reaped by a reaper
//! thread, which sleeps on an eventfd the ring signals for every completion only while such
//! requests exist, and on a condition variable otherwise.
//!
//! The kernel ties each request to the thread whose `io_uring_enter` submitted it: it
//! cancels the thread's requests when the thread exits, and a request driven by readiness
//! (a pipe) completes in that thread's context. So a thread submits only its own requests,
//! and requests that must not depend on their issuer — those on streams (pipes, sockets),
//! those that complete to a port without an event (they outlive their thread, K121), and the
//! remainder of a short write — are handed to the reaper, which never exits, to submit.
//!
//! A ring per thread, reaped in that thread's alertable waits, would deliver routine
//! completions without a hop but could not complete event, poll and port requests while
//! their thread is busy or never waits alertably, so it would need the reaper anyway.
//!
//! # Invariants
//!
//! (U1) Every submission queue entry's `user_data` is a strong reference to its request
//!      (`Arc::into_raw`), or, with the low bit set, a strong reference to the request a
//!      cancel entry targets. The reference is released when the entry's completion is
//!      reaped, and not before: so the buffer and file of a request outlive the kernel's
//!      use of them (R1), and the address a cancel entry names cannot be reused by another
//!      request while the cancel is in the kernel.
//! (U2) `sq` serialises access to the submission queue, and a thread pushes and submits in
//!      one hold of it, so an `io_uring_enter` submits only its caller's entries (a failed
//!      submission, `EBUSY` or `EAGAIN`, is the one exception: what it leaves is submitted
//!      by the next caller). `cq` serialises access to the completion queue; completions are
//!      copied out under it and delivered after it is released, since delivering runs
//!      destructors and may issue more I/O.
//! (U3) `in_flight` counts entries handed to the kernel and not yet reaped. The reaper waits
//!      on the ring's eventfd only while it is non-zero or work is handed to it; a submitter
//!      that leaves it non-zero wakes an idle reaper (a store-load handshake on `in_flight`
//!      and `reaper_idle`, both `SeqCst`). The eventfd counts every completion posted, so a
//!      completion posted after the reaper last looked makes its next wait return at once.
//! (U4) Work handed to the reaper is submitted by it under the `handoff` lock, after a last
//!      look at the request's cancel flag; a cancel looks for its request in `handoff`, and
//!      pushes its cancel entry, under the same lock. So a cancel either finds the request
//!      still waiting (and completes it aborted) or follows it into the kernel.
//! (U5) A request issued while its thread runs APCs (a completion routine starting the
//!      next read: the usual chain) is kept in a thread-local list; the thread hands the
//!      batch to the kernel when its APC drain ends or before it next blocks in a library
//!      wait, whichever comes first (`alertable::defer_until_drained`). One system call
//!      then starts every request the drain issued. A routine that spins on a request it
//!      issued, without blocking or returning, would wait for it forever; waiting for it
//!      (`Operation::wait`, an event) is fine.

use std::cell::RefCell;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Once, PoisonError};

use io_uring::{IoUring, cqueue, opcode, squeue, types};
use rustix::event::{PollFd, PollFlags};

use crate::IoError;
use crate::op::{Kind, OpShared};

/// Submission queue entries; completions get twice as many slots, and the kernel keeps
/// any overflow until it is reaped.
const ENTRIES: u32 = 256;

/// Marks a cancel entry's `user_data` (U1); requests are at least 8-byte aligned.
const CANCEL_TAG: u64 = 1;

thread_local! {
    /// Entries this thread issued during an APC drain, not yet submitted (U5).
    static DEFERRED: RefCell<Vec<squeue::Entry>> = const { RefCell::new(Vec::new()) };
    /// Completions this thread copied out and is delivering; kept to reuse its memory.
    static READY: RefCell<Vec<cqueue::Entry>> = const { RefCell::new(Vec::new()) };
}

/// The deferred flush (U5): the process has one ring, the backend's.
pub(crate) fn flush_deferred() {
    if let crate::backend::Backend::Uring(ring) = crate::backend::get() {
        ring.flush();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) struct Ring {
    ring: IoUring,
    sq: Mutex<()>,
    cq: Mutex<()>,
    in_flight: AtomicUsize,
    reaper: Once,
    reaper_idle: AtomicBool,
    idle_lock: Mutex<()>,
    idle_wake: Condvar,
    /// Signaled by the kernel for every completion posted (U3), and by hand to wake the
    /// reaper for work handed to it.
    completions: OwnedFd,
    /// Requests for the reaper to submit, each from the byte it is to start at (U4).
    handoff: Mutex<Vec<(Arc<OpShared>, usize)>>,
    /// Completions copied out of a full completion queue by a submitter that needed room,
    /// for the next reap to deliver (U2).
    stash: Mutex<Vec<cqueue::Entry>>,
}

impl Ring {
    /// Sets up the ring; fails where io_uring is unavailable or forbidden.
    pub(crate) fn new() -> io::Result<Self> {
        let ring = IoUring::new(ENTRIES)?;
        let completions = rustix::event::eventfd(
            0,
            rustix::event::EventfdFlags::CLOEXEC | rustix::event::EventfdFlags::NONBLOCK,
        )?;
        ring.submitter().register_eventfd(completions.as_raw_fd())?;
        Ok(Self {
            ring,
            sq: Mutex::new(()),
            cq: Mutex::new(()),
            in_flight: AtomicUsize::new(0),
            reaper: Once::new(),
            reaper_idle: AtomicBool::new(false),
            idle_lock: Mutex::new(()),
            idle_wake: Condvar::new(),
            completions,
            handoff: Mutex::new(Vec::new()),
            stash: Mutex::new(Vec::new()),
        })
    }

    pub(crate) fn submit(&'static self, op: &Arc<OpShared>) {
        self.reaper.call_once(|| {
            // Without a reaper, requests the kernel finishes later would be reaped by the
            // next submitter only; the thread is as essential as the ring.
            std::thread::Builder::new()
                .name("alertable-io".into())
                .spawn(|| self.reap_forever())
                .expect("cannot start the io_uring reaper thread");
        });
        if op.file.stream || op.outlives_thread() {
            return self.hand_off(op.clone(), 0);
        }
        let mut entry = Some(entry_from(op.clone(), 0));
        if alertable::defer_until_drained(flush_deferred) {
            // During thread-local teardown there is no list: submitted at once below.
            let _ = DEFERRED.try_with(|deferred| deferred.borrow_mut().extend(entry.take()));
        }
        if let Some(entry) = entry {
            self.submit_now(&[entry]);
        }
    }

    /// Asks the kernel to cancel `op`, or completes it aborted if the reaper has not
    /// submitted it yet (U4).
    pub(crate) fn cancel(&'static self, op: &Arc<OpShared>) {
        let handoff = lock(&self.handoff);
        if let Some(at) = handoff
            .iter()
            .position(|(queued, _)| Arc::ptr_eq(queued, op))
        {
            let mut handoff = handoff;
            let (op, _) = handoff.swap_remove(at);
            drop(handoff);
            return op.complete(Err(IoError::Aborted));
        }
        let target = Arc::as_ptr(op) as u64;
        let user_data = Arc::into_raw(op.clone()) as u64 | CANCEL_TAG;
        // A cancel entry points at no memory; its tagged reference keeps the target's
        // address from being reused until the cancel is reaped (U1).
        let entry = opcode::AsyncCancel::new(target)
            .build()
            .user_data(user_data);
        self.push_and_submit(&[entry]);
        drop(handoff);
        self.reap(false);
        self.wake_reaper();
    }

    /// Hands the entries this thread deferred to the kernel, and completes what finished
    /// (U5).
    fn flush(&'static self) {
        let entries = DEFERRED
            .try_with(|deferred| std::mem::take(&mut *deferred.borrow_mut()))
            .unwrap_or_default();
        if !entries.is_empty() {
            self.submit_now(&entries);
        }
    }

    /// Submits `entries` (the caller's own), reaps what is ready, and makes sure the reaper
    /// watches what is not.
    fn submit_now(&'static self, entries: &[squeue::Entry]) {
        self.push_and_submit(entries);
        self.reap(false);
        self.wake_reaper();
    }

    /// Pushes `entries` and submits them in one hold of the submission lock (U2), counting
    /// them in flight before the kernel can complete them (U3).
    fn push_and_submit(&self, entries: &[squeue::Entry]) {
        let _sq = lock(&self.sq);
        let mut rest = entries;
        loop {
            // SAFETY: `_sq` is held (U2), so this is the only submission queue view.
            let mut sq = unsafe { self.ring.submission_shared() };
            let room = sq.capacity() - sq.len();
            let (now, later) = rest.split_at(rest.len().min(room));
            for entry in now {
                // SAFETY: every entry was built by `entry_from` (whose reference keeps the
                // buffer and file it points at alive and untouched until it is reaped: U1,
                // R1, R2) or by `cancel` (which points at no memory).
                unsafe { sq.push(entry) }.expect("room was counted");
            }
            let queued = sq.len();
            drop(sq);
            self.in_flight.fetch_add(queued, Ordering::SeqCst);
            let submitted = self.ring.submit().unwrap_or(0).min(queued);
            self.in_flight
                .fetch_sub(queued - submitted, Ordering::SeqCst);
            if later.is_empty() {
                return;
            }
            rest = later;
            if submitted == 0 {
                // The kernel takes nothing until completions are reaped: make room by
                // copying them out (they are delivered later, outside every lock).
                self.make_room();
            }
        }
    }

    /// Gives `op` to the reaper to submit from byte `start` (U4).
    fn hand_off(&self, op: Arc<OpShared>, start: usize) {
        lock(&self.handoff).push((op, start));
        {
            let _idle = lock(&self.idle_lock);
            self.idle_wake.notify_one();
        }
        self.signal_completions();
    }

    /// Completes the requests whose completions are ready. A submitter (`wait == false`)
    /// leaves the work to whoever is already reaping.
    fn reap(&'static self, wait: bool) {
        // Taken out while delivering: a nested reap (from a destructor) gets a fresh one, as
        // does a reap during thread-local teardown (a thread's exit cancels its requests).
        let mut ready = READY
            .try_with(|ready| std::mem::take(&mut *ready.borrow_mut()))
            .unwrap_or_default();
        {
            let _cq = if wait {
                lock(&self.cq)
            } else {
                match self.cq.try_lock() {
                    Ok(guard) => guard,
                    // Someone else is reaping; our completion may land just after it
                    // looked, so make sure the reaper looks again.
                    Err(_) => return self.signal_completions(),
                }
            };
            ready.append(&mut lock(&self.stash));
            // SAFETY: `_cq` is held (U2), so this is the only completion queue view.
            let mut cq = unsafe { self.ring.completion_shared() };
            loop {
                cq.sync();
                if cq.is_empty() {
                    break;
                }
                ready.extend(&mut cq);
            }
        }
        for cqe in ready.drain(..) {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            // A destructor that panics while one request completes must not strand the
            // completions behind it.
            let _ = catch_unwind(AssertUnwindSafe(|| self.deliver(&cqe)));
        }
        // During thread-local teardown there is nowhere to keep it: it is freed.
        let _ = READY.try_with(|slot| *slot.borrow_mut() = ready);
    }

    /// Completes the request of one completion (outside every lock of the ring: U2).
    fn deliver(&self, cqe: &cqueue::Entry) {
        let user_data = cqe.user_data();
        if user_data & CANCEL_TAG != 0 {
            // SAFETY: (U1) a cancel entry's tagged `into_raw` reference, released exactly
            // once, here.
            drop(unsafe { Arc::from_raw((user_data & !CANCEL_TAG) as *const OpShared) });
            return;
        }
        // SAFETY: (U1) the request's `into_raw` reference, released exactly once, here, now
        // that the kernel is done with it.
        let op = unsafe { Arc::from_raw(user_data as *const OpShared) };
        let result = cqe.result();
        if result < 0 {
            op.complete(Err(IoError::from_errno(result)));
        } else if op.kind == Kind::Write && result > 0 {
            // A write completes only once all of it is written (J96): the rest goes on
            // from the reaper.
            let written = op.add_written(result as usize);
            if written < op.len && !op.cancel_requested() {
                self.hand_off(op, written);
            } else {
                op.complete(Ok(written));
            }
        } else {
            op.complete(Ok(result as usize));
        }
    }

    fn wake_reaper(&self) {
        if self.in_flight.load(Ordering::SeqCst) > 0 && self.reaper_idle.load(Ordering::SeqCst) {
            let _idle = lock(&self.idle_lock);
            self.idle_wake.notify_one();
        }
    }

    /// Copies the completion queue out into the stash, for a submitter that needs the
    /// kernel to take more entries (U2); the reaper delivers them.
    fn make_room(&self) {
        if let Ok(_cq) = self.cq.try_lock() {
            // SAFETY: `_cq` is held (U2), so this is the only completion queue view.
            let mut cq = unsafe { self.ring.completion_shared() };
            cq.sync();
            lock(&self.stash).extend(&mut cq);
        }
        // Flushes completions the kernel kept back, now that there is room.
        let _ = self.ring.submitter().submit_and_wait(0);
        {
            let _idle = lock(&self.idle_lock);
            self.idle_wake.notify_one();
        }
        self.signal_completions();
        std::thread::yield_now();
    }

    fn signal_completions(&self) {
        let _ = rustix::io::write(&self.completions, &1u64.to_ne_bytes());
    }

    fn has_handoff(&self) -> bool {
        !lock(&self.handoff).is_empty() || !lock(&self.stash).is_empty()
    }

    /// The reaper thread: waits for completions while requests are in flight, and on the
    /// condition variable while none are (U3); submits the work handed to it (U4). A
    /// panicking destructor run by a completion does not end it.
    fn reap_forever(&'static self) {
        loop {
            let _ = catch_unwind(AssertUnwindSafe(|| self.reap_once()));
        }
    }

    fn reap_once(&'static self) {
        if self.in_flight.load(Ordering::SeqCst) == 0 && !self.has_handoff() {
            let mut idle = lock(&self.idle_lock);
            self.reaper_idle.store(true, Ordering::SeqCst);
            while self.in_flight.load(Ordering::SeqCst) == 0 && !self.has_handoff() {
                idle = self
                    .idle_wake
                    .wait(idle)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            self.reaper_idle.store(false, Ordering::SeqCst);
        }
        self.submit_handoff();
        let mut fds = [PollFd::new(&self.completions, PollFlags::IN)];
        // An error (EINTR) only means "look again".
        let _ = rustix::event::poll(&mut fds, None);
        // Cleared before reaping: a completion posted after this signals again.
        let _ = rustix::io::read(&self.completions, &mut [0u8; 8]);
        // Also hands over entries a failed submission left queued, and flushes
        // completions the kernel kept back while the completion queue was full.
        self.push_and_submit(&[]);
        self.reap(true);
    }

    /// Submits the work handed to the reaper, as the reaper's own (U4).
    fn submit_handoff(&'static self) {
        let mut aborted = Vec::new();
        {
            let mut handoff = lock(&self.handoff);
            if handoff.is_empty() {
                return;
            }
            let entries: Vec<_> = handoff
                .drain(..)
                .filter_map(|(op, start)| {
                    if op.cancel_requested() {
                        aborted.push(op);
                        None
                    } else {
                        Some(entry_from(op, start))
                    }
                })
                .collect();
            self.push_and_submit(&entries);
        }
        for op in aborted {
            op.complete(Err(IoError::Aborted));
        }
    }
}

/// The entry that reads or writes `op` from byte `start` of its buffer on, carrying the
/// request's reference (U1).
fn entry_from(op: Arc<OpShared>, start: usize) -> squeue::Entry {
    let (buf, len) = op.buffer_raw();
    let fd = types::Fd(op.file.raw_fd());
    // Streams take no offset (the kernel wants 0 there).
    let offset = if op.file.stream {
        0
    } else {
        op.offset + start as u64
    };
    // `len` fits: the file refused buffers over 4 GiB before submitting.
    let len = (len - start) as u32;
    // SAFETY: `start <= len` of the buffer, so the pointer stays inside it.
    let buf = unsafe { buf.add(start) };
    let entry = match op.kind {
        Kind::Read => opcode::Read::new(fd, buf, len).offset(offset).build(),
        Kind::Write => opcode::Write::new(fd, buf, len).offset(offset).build(),
    };
    // `user_data` is the request's strong reference (U1), released only when this
    // entry's completion is reaped; it keeps the buffer (whose address and length are
    // `buf`, `len`, untouched by anyone else until completion: R2) and the file descriptor
    // alive for as long as the kernel may use them. That is what makes pushing the entry
    // sound.
    entry.user_data(Arc::into_raw(op) as u64)
}
