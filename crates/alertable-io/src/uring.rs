//! The io_uring backend: one ring for the process, reaped by whichever thread gets there
//! first.
//!
//! # Design
//!
//! A thread that submits a request enters the kernel (`io_uring_enter`) and, right after,
//! reaps whatever completions are ready. Reads and writes of page-cached file data finish
//! inside that very `io_uring_enter`, so in the common case the submitter completes its own
//! request — signals the event, posts the packet, or queues the routine's APC to itself —
//! with no other thread involved and no wake-up. Requests the kernel finishes later (a
//! read that needs the disk, a pipe with no data) are reaped by a reaper thread, which
//! sleeps on an eventfd the ring signals for every completion only while such requests
//! exist, and on a condition variable otherwise. The alternative, a ring per thread reaped in that thread's
//! alertable waits, would deliver routine completions without a hop but cannot complete
//! event, poll and port requests while their thread is busy or never waits alertably, so
//! it needs the reaper anyway.
//!
//! # Invariants
//!
//! (U1) Every submission queue entry's `user_data` is a strong reference to its request
//!      (`Arc::into_raw`), or, with the low bit set, a strong reference to the request a
//!      cancel entry targets. The reference is released when the entry's completion is
//!      reaped, and not before: so the buffer and file of a request outlive the kernel's
//!      use of them (R1), and the address a cancel entry names cannot be reused by another
//!      request while the cancel is in the kernel.
//! (U2) `sq` serialises access to the submission queue; `cq` to the completion queue.
//! (U3) `in_flight` counts entries handed to the kernel and not yet reaped (entries queued
//!      but not yet submitted do not count: nothing can complete them). The reaper waits on the
//!      ring's eventfd only while it is non-zero or requests wait to migrate; a submitter
//!      that leaves it non-zero wakes an idle reaper (a store-load handshake on `in_flight`
//!      and `reaper_idle`, both `SeqCst`). The eventfd counts every completion posted, so a
//!      completion posted after the reaper last looked makes its next wait return at once.
//! (U4) The kernel cancels a thread's requests when the thread exits. A request that must
//!      outlive its thread (bound to a port, without an event: K121) is marked to migrate;
//!      if the kernel cancels it, the reaper — which never exits — submits it again, from
//!      where it stopped. A cancelled read or write has transferred nothing, so nothing is
//!      lost or repeated.
//! (U5) A request issued while its thread runs APCs (a completion routine starting the
//!      next read: the usual chain) is queued without entering the kernel; the thread
//!      hands the batch over when its APC drain ends or before it next blocks in a library
//!      wait, whichever comes first (`alertable::defer_until_drained`). One system call
//!      then starts every request the drain issued. A routine that spins on a request it
//!      issued, without blocking or returning, would wait for it forever; waiting for it
//!      (`Operation::wait`, an event) is fine.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, Once, PoisonError};

use io_uring::{IoUring, opcode, squeue, types};
use rustix::event::{PollFd, PollFlags};

use crate::IoError;
use crate::op::{Kind, OpShared};

/// The deferred flush (U5): the process has one ring, the backend's.
fn flush_deferred() {
    if let crate::backend::Backend::Uring(ring) = crate::backend::get() {
        ring.flush();
    }
}

/// Submission queue entries; completions get twice as many slots, and the kernel keeps
/// any overflow until it is reaped.
const ENTRIES: u32 = 256;

/// Marks a cancel entry's `user_data` (U1); requests are at least 8-byte aligned.
const CANCEL_TAG: u64 = 1;

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
    /// reaper for migrations (U4).
    completions: OwnedFd,
    /// Requests cancelled by their thread's exit, for the reaper to submit again (U4).
    migrations: Mutex<Vec<Arc<OpShared>>>,
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
            completions,
            migrations: Mutex::new(Vec::new()),
            sq: Mutex::new(()),
            cq: Mutex::new(()),
            in_flight: AtomicUsize::new(0),
            reaper: Once::new(),
            reaper_idle: AtomicBool::new(false),
            idle_lock: Mutex::new(()),
            idle_wake: Condvar::new(),
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
        self.submit_from(op.clone(), 0);
    }

    /// Submits `op` from byte `start` of its buffer on (a stream write resumes there).
    fn submit_from(&'static self, op: Arc<OpShared>, start: usize) {
        let (buf, len) = op.buffer_raw();
        let fd = types::Fd(op.file.raw_fd());
        // Streams take no offset (the kernel wants 0 there).
        let offset = if op.file.stream { 0 } else { op.offset };
        // `len` fits: the file refused buffers over 4 GiB before submitting.
        let len = (len - start) as u32;
        // SAFETY: `start <= len` of the buffer, so the pointer stays inside it.
        let buf = unsafe { buf.add(start) };
        let entry = match op.kind {
            Kind::Read => opcode::Read::new(fd, buf, len).offset(offset).build(),
            Kind::Write => opcode::Write::new(fd, buf, len).offset(offset).build(),
        };
        let user_data = Arc::into_raw(op) as u64;
        // SAFETY: `user_data` is the request's strong reference (U1), released only when
        // this entry's completion is reaped; it keeps the buffer (whose address and
        // length are `buf`, `len`, untouched by anyone else until completion: R2) and the
        // file descriptor alive for as long as the kernel may use them.
        unsafe { self.push(&entry.user_data(user_data)) };
    }

    /// Hands queued entries to the kernel and completes what finished (U5).
    fn flush(&'static self) {
        self.submit_queued();
        self.reap(false);
        self.wake_reaper();
    }

    pub(crate) fn cancel(&'static self, op: &Arc<OpShared>) {
        let target = Arc::as_ptr(op) as u64;
        let user_data = Arc::into_raw(op.clone()) as u64 | CANCEL_TAG;
        let entry = opcode::AsyncCancel::new(target)
            .build()
            .user_data(user_data);
        // SAFETY: a cancel entry points at no memory; its tagged reference keeps the
        // target's address from being reused until the cancel is reaped (U1).
        unsafe { self.push(&entry) };
    }

    /// Queues `entry`, hands it to the kernel, reaps what is ready, and makes sure the
    /// reaper watches what is not.
    ///
    /// # Safety
    ///
    /// Whatever `entry` points at stays valid until its completion is reaped, and its
    /// `user_data` follows (U1).
    unsafe fn push(&'static self, entry: &squeue::Entry) {
        loop {
            let sq_lock = self.sq.lock().unwrap_or_else(PoisonError::into_inner);
            // SAFETY: `sq_lock` is held (U2), so this is the only submission queue view.
            let mut sq = unsafe { self.ring.submission_shared() };
            // SAFETY: the caller's promise.
            let pushed = unsafe { sq.push(entry) }.is_ok();
            drop(sq);
            drop(sq_lock);
            // Issued from an APC: leave the entry queued for the flush at the end of the
            // drain (U5).
            if pushed && alertable::defer_until_drained(flush_deferred) {
                return;
            }
            // A failure here (EBUSY, EAGAIN) leaves the entries queued; the next
            // submitter or the reaper hands them over.
            let submitted = self.submit_queued();
            if pushed {
                break;
            }
            // Full: if the kernel would not take more, make room in the completion
            // queue — outside the submission lock, since completing runs destructors.
            if !submitted {
                self.reap(false);
            }
        }
        self.reap(false);
        self.wake_reaper();
    }

    /// Hands every queued entry to the kernel, counting them in flight (U3) before the
    /// kernel can complete them; false if the kernel refused (the entries stay queued).
    fn submit_queued(&self) -> bool {
        let _sq = self.sq.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: `_sq` is held (U2), so this is the only submission queue view.
        let queued = unsafe { self.ring.submission_shared() }.len();
        self.in_flight.fetch_add(queued, Ordering::SeqCst);
        match self.ring.submit() {
            Ok(submitted) => {
                self.in_flight
                    .fetch_sub(queued - submitted.min(queued), Ordering::SeqCst);
                true
            }
            Err(_) => {
                self.in_flight.fetch_sub(queued, Ordering::SeqCst);
                false
            }
        }
    }

    /// Completes the requests whose completions are ready. A submitter (`wait == false`)
    /// leaves the work to whoever is already reaping.
    fn reap(&'static self, wait: bool) {
        let _cq = if wait {
            self.cq.lock().unwrap_or_else(PoisonError::into_inner)
        } else {
            match self.cq.try_lock() {
                Ok(guard) => guard,
                // Someone else is reaping; our completion may land just after it looked,
                // so make sure the reaper looks again.
                Err(_) => return self.signal_completions(),
            }
        };
        // SAFETY: `_cq` is held (U2), so this is the only completion queue view.
        let mut cq = unsafe { self.ring.completion_shared() };
        loop {
            cq.sync();
            if cq.is_empty() {
                break;
            }
            for cqe in &mut cq {
                let user_data = cqe.user_data();
                self.in_flight.fetch_sub(1, Ordering::SeqCst);
                if user_data & CANCEL_TAG != 0 {
                    // SAFETY: (U1) a cancel entry's tagged `into_raw` reference, released
                    // exactly once, here.
                    drop(unsafe { Arc::from_raw((user_data & !CANCEL_TAG) as *const OpShared) });
                    continue;
                }
                // SAFETY: (U1) the request's `into_raw` reference, released exactly once,
                // here, now that the kernel is done with it.
                let op = unsafe { Arc::from_raw(user_data as *const OpShared) };
                let result = cqe.result();
                if result == -rustix::io::Errno::CANCELED.raw_os_error() && op.should_migrate() {
                    self.migrate(op);
                } else if result < 0 {
                    op.complete(Err(IoError::from_errno(result)));
                } else if op.kind == Kind::Write && op.file.stream && result > 0 {
                    // A stream write completes only once all of it is written (J96).
                    let written = op.add_written(result as usize);
                    if written < op.len && !op.cancel_requested() {
                        self.submit_from(op, written);
                    } else {
                        op.complete(Ok(written));
                    }
                } else {
                    op.complete(Ok(result as usize));
                }
            }
        }
    }

    fn wake_reaper(&self) {
        if self.in_flight.load(Ordering::SeqCst) > 0 && self.reaper_idle.load(Ordering::SeqCst) {
            let _idle = self
                .idle_lock
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            self.idle_wake.notify_one();
        }
    }

    /// Hands a request its thread's exit cancelled to the reaper, to submit again (U4).
    fn migrate(&self, op: Arc<OpShared>) {
        self.migrations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(op);
        {
            let _idle = self
                .idle_lock
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            self.idle_wake.notify_one();
        }
        self.signal_completions();
    }

    fn signal_completions(&self) {
        let _ = rustix::io::write(&self.completions, &1u64.to_ne_bytes());
    }

    fn has_migrations(&self) -> bool {
        !self
            .migrations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    /// The reaper thread: waits for completions while requests are in flight, and on the
    /// condition variable while none are (U3); submits migrating requests (U4).
    fn reap_forever(&'static self) {
        loop {
            if self.in_flight.load(Ordering::SeqCst) == 0 && !self.has_migrations() {
                let mut idle = self
                    .idle_lock
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                self.reaper_idle.store(true, Ordering::SeqCst);
                while self.in_flight.load(Ordering::SeqCst) == 0 && !self.has_migrations() {
                    idle = self
                        .idle_wake
                        .wait(idle)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                self.reaper_idle.store(false, Ordering::SeqCst);
            }
            let migrations = std::mem::take(
                &mut *self
                    .migrations
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner),
            );
            for op in migrations {
                let written = op.written();
                self.submit_from(op, written);
            }
            // Hands over entries a failed submit left queued, and flushes completions the
            // kernel kept back while the completion queue was full.
            self.submit_queued();
            let mut fds = [PollFd::new(&self.completions, PollFlags::IN)];
            // An error (EINTR) only means "look again".
            let _ = rustix::event::poll(&mut fds, None);
            // Cleared before reaping: a completion posted after this signals again.
            let _ = rustix::io::read(&self.completions, &mut [0u8; 8]);
            self.reap(true);
        }
    }
}
