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
//! (A read it would submit alone is first tried without the ring, U10.)
//! Requests the kernel finishes later (a read that needs the disk) are reaped by a reaper
//! thread, which sleeps on an eventfd the ring signals for every completion only while such
//! requests exist, and on a condition variable otherwise.
//!
//! The completion queue has a slot for everything in the kernel: what is in flight is
//! bounded by its size (U3), and requests beyond wait in user space for room. The kernel
//! would otherwise keep the completions that do not fit in an overflow list that signals
//! nobody; a reap flushes that list before anyone sleeps (U6).
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
//!      one hold of it, retrying a failed submission (`EBUSY`, `EAGAIN`) after copying
//!      completions out, so an `io_uring_enter` submits only its caller's entries (a
//!      submission the kernel refuses a thousand times in a row is the one exception: what
//!      it leaves is submitted by the next caller). A submitter then reaps, waiting for
//!      `cq` if another thread holds it, so that what finished inside its `io_uring_enter`
//!      completes before its call returns (J102). `cq` serialises access to the completion queue; completions are
//!      copied out under it and delivered after it is released, since delivering runs
//!      destructors and may issue more I/O.
//! (U3) `in_flight` counts entries handed to the kernel and not yet reaped. A submitter
//!      reserves its entries' places in it (`reserve`) before pushing them, and it never
//!      exceeds the completion queue's size: every entry the kernel holds has a completion
//!      slot waiting for it, so the kernel never needs its overflow list. Requests take
//!      at most half of the places (`request_limit`); cancel entries may take the rest,
//!      and a request is cancelled once (K116), so a ring full of requests that only a
//!      cancel can end (pipe reads nobody feeds) still takes their cancels. Requests
//!      beyond the limit wait in `handoff` (U4) until completions make room; a cancel
//!      entry that finds none waits there too, for other cancels, which complete by
//!      themselves, to make room. The reaper waits on the ring's eventfd only
//!      while `in_flight` is non-zero or work is handed to it; a submitter that leaves it
//!      non-zero wakes an idle reaper (a store-load handshake on `in_flight` and
//!      `reaper_idle`, both `SeqCst`). The eventfd counts every completion posted, so a
//!      completion posted after the reaper last looked makes its next wait return at once.
//! (U4) Work handed to the reaper is submitted by it under the `handoff` lock, after a last
//!      look at the request's cancel flag; a cancel looks for its request in `handoff`, and
//!      pushes its cancel entry, under the same lock. So a cancel either finds the request
//!      still waiting (and completes it aborted) or follows it into the kernel. Whoever
//!      hands work over, after pushing it, reads `reaper_idle` under `idle_lock` and wakes
//!      the reaper where it sleeps: the condition variable if the flag is set (the reaper
//!      holds `idle_lock` from setting the flag to its wait, and from its wake to clearing
//!      it, so the flag read says it waits there), the eventfd otherwise (a reaper not
//!      idle either looks at `handoff` again before it sleeps on the condition variable,
//!      or sleeps on the eventfd, or is about to).
//! (U5) A request issued while its thread runs APCs (a completion routine starting the
//!      next read: the usual chain) is kept in a thread-local list; the thread hands the
//!      batch to the kernel when its APC drain ends or before it next blocks in a library
//!      wait, whichever comes first (`alertable::defer_until_drained`). One system call
//!      then starts every request the drain issued, and the routines of those that
//!      finished inside it run in the same drain, with no return from the wait between.
//!      A listed request borrows the reference of the handle its issuing call returned,
//!      which that handle gives to the list if it is dropped first (the usual chain), so
//!      the entry takes a reference of its own (U1) only at the flush, and only if a handle
//!      is still there (L1–L5 of `lend.rs`). A routine that spins on a request it
//!      issued, without blocking or returning, would wait for it forever; waiting for it
//!      (`Operation::wait`, an event) is fine.

//! (U6) Nobody sleeps while the kernel holds completions back. Completions that find the
//!      completion queue full go to the kernel's overflow list (`IORING_FEAT_NODROP`),
//!      which neither moves the queue's tail nor signals the eventfd, and is flushed into
//!      the queue only by an `io_uring_enter` with `GETEVENTS`. So a reap drains the queue
//!      and, while the ring's `IORING_SQ_CQ_OVERFLOW` flag is set, flushes and drains
//!      again; only then may the reaper wait on the eventfd. U3 keeps the list empty;
//!      this is what makes a full queue (a ring sized for tests) cost time, not requests.
//!      Where U3 bounds what is in flight by the completion queue's size (every ring but
//!      one a test sizes otherwise, `may_overflow`), the list can never fill, and a reap
//!      does not look at the flag.
//! (U7) Completions are never dropped: a ring is used only if the kernel keeps what does
//!      not fit (`IORING_FEAT_NODROP`, Linux 5.5, older than the `IORING_OP_READ` this
//!      backend needs); otherwise the worker threads serve. With U3 the list is never
//!      needed anyway.
//! (U8) The kernel ends a request itself when the thread that submitted it has exited
//!      and the request still needs that thread: work it queues to the thread then (a
//!      buffered read's next step once its page arrives, a poll that fires) fails with
//!      `EFAULT` — the buffer is alive (U1), it is the kernel's code for "the submitter
//!      is gone" — or `ECANCELED`, and io-wq work it interrupts with `EINTR`. So only
//!      requests that the thread's exit cancels anyway (K121: recorded in its list, not
//!      bound to outlive it) are submitted by their thread; the others are submitted by
//!      the reaper, which never exits (a request issued during the thread's teardown,
//!      when its list is gone, is one). And a request whose cancel was asked for
//!      completes with `Aborted` when the kernel ends it with one of those codes. Such a
//!      read may also end early with the bytes it had: a read of a regular file that
//!      stopped short of its length and of the end of the file goes on from the reaper
//!      for the rest (or completes `Aborted` if its cancel was asked for), so a file read
//!      never completes short inside the file.
//!
//! (U9) A request on a pipe of `pipe.rs` goes to the kernel as a one-shot poll for the
//!      readiness it needs (`pipe::interest`), with the request's reference as its
//!      `user_data` (U1), so a cancel entry finds it as it finds a read. When the poll
//!      fires, the thread delivering it moves the data in user space (`pipe::attempt`,
//!      non-blocking calls only) and completes the request, or hands it back to the
//!      reaper to poll again (U4: a cancel asked for meanwhile finds it there, or the
//!      reaper sees its flag before submitting it).
//!
//! (U10) A read its own thread would submit alone — one issued outside an APC drain, or
//!      the only one a drain issued (U5) — is first tried on that thread with
//!      `preadv2(RWF_NOWAIT)`: data the page cache holds whole is read there and the
//!      request completes as it would from the ring, in a system call lighter than an
//!      `io_uring_enter` with one entry. A read that would wait, stops short or fails goes
//!      to the ring from its first byte, as if the attempt had not been made (only its
//!      own buffer, which nobody else touches before completion, R2, was written). Two or
//!      more reads of a drain go to the ring together: one `io_uring_enter` for all of
//!      them costs less than a `preadv2` each.
//!
//! (F1) A regular file's requests name it by its slot in the ring's table of registered
//!      files (`IOSQE_FIXED_FILE`), which spares the kernel looking the descriptor up and
//!      counting a reference per request. The slot is taken, and the file registered in
//!      it, when a thread submits the file's `FIXED_AFTER`th request itself (two
//!      system calls, to register and to let go, that a file read a few times would not
//!      earn back); the file keeps it until its last reference goes (`FileInner`'s
//!      drop). Every request holds
//!      a reference to its file (R1), so the slot an entry in flight names holds that
//!      entry's file: a slot is never cleared or reused under a request.
//! (F2) A dropped file's slot is cleared (`-1`) before it returns to the free list, and a
//!      slot whose clearing failed is never reused, so a new file never shares a slot
//!      with an old one and no request reaches a file through another file's slot.
//! (F3) A file that gets no slot (the table full, a kernel without sparse tables, a
//!      failed registration) is named by its descriptor, as is every stream.
//! (F4) Only the process that set the ring up registers or clears slots: a child of
//!      `fork` shares the ring, and so its table, with its parent, so a file it drops or
//!      opens must not clear or take a slot the parent's files use. A child must not
//!      issue requests through the ring at all: its completions would be reaped by the
//!      parent's reaper, and a slot its copy of a file names may hold another file of
//!      the parent's by then. A child that needs this crate's I/O execs first (lib.rs,
//!      "Platform").
//!
//! Lock order: `handoff`, then `cq`, then `sq`; `stash`, `entries` and `idle_lock` are innermost. A
//! submitter that holds `sq` and needs completions reaped only tries `cq`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, Once, PoisonError};

use io_uring::{IoUring, cqueue, opcode, squeue, types};
use rustix::event::{PollFd, PollFlags};

use crate::IoError;
use crate::file::FileInner;
use crate::lock;
use crate::op::{Kind, OpShared};
use crate::sys;

/// The slots of the ring's table of registered files (F1): files beyond are named by
/// descriptor (F3). Fewer than the usual soft limit on open descriptors (1,024), which the
/// kernel holds a table to.
const FIXED_FILES: u32 = 256;

/// How many of a file's requests its threads submit themselves before it is registered
/// (F1): registering and letting go cost a system call each, which saving the kernel's
/// descriptor lookup on each request pays back only over many requests.
const FIXED_AFTER: u32 = 64;

/// Submission queue entries: how many requests one `io_uring_enter` can take.
const SQ_ENTRIES: u32 = 256;
/// Completion queue entries, and so the most requests in flight at once (U3); more wait
/// in user space. 32,768 × 16 bytes: 512 KiB. Halved while the kernel refuses the memory.
const CQ_ENTRIES: u32 = 32 * 1024;

/// Ring sizes a test asked for before the ring was set up (`configure_for_tests`).
static TEST_SIZES: Mutex<Option<Sizes>> = Mutex::new(None);
/// How many times a reap found the kernel holding completions back and flushed them (U6).
static OVERFLOW_FLUSHES: AtomicUsize = AtomicUsize::new(0);

/// The sizes of the ring and the bound on what is in flight.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    pub(crate) submission: u32,
    pub(crate) completion: u32,
    /// The most entries in flight; `None`: the completion queue's size (U3). A test sets
    /// it higher to make the kernel's overflow list fill up (U6).
    pub(crate) in_flight_limit: Option<usize>,
}

/// Sets the sizes of the ring to come; false if it is set up already.
pub(crate) fn configure_for_tests(sizes: Sizes) -> bool {
    *lock(&TEST_SIZES) = Some(sizes);
    crate::backend::peek().is_none()
}

/// How many times the kernel's overflow list was flushed (U6).
pub(crate) fn overflow_flushes() -> usize {
    OVERFLOW_FLUSHES.load(Ordering::SeqCst)
}

/// `IORING_ENTER_GETEVENTS`: an `io_uring_enter` that also flushes the overflow list (U6).
const ENTER_GETEVENTS: u32 = 1;

/// Marks a cancel entry's `user_data` (U1); requests are at least 8-byte aligned.
const CANCEL_TAG: u64 = 1;

thread_local! {
    /// Requests this thread issued during an APC drain, not yet submitted (U5).
    static DEFERRED: RefCell<Vec<Deferred>> = const { RefCell::new(Vec::new()) };
    /// Completions this thread copied out and is delivering; kept to reuse its memory.
    static READY: RefCell<Vec<cqueue::Entry>> = const { RefCell::new(Vec::new()) };
}

/// Lets go of the registered slot of a file that is going (F2).
pub(crate) fn release_fixed(slot: u32) {
    if let Some(crate::backend::Backend::Uring(ring)) = crate::backend::peek() {
        ring.release_fixed(slot);
    }
}

/// The deferred flush (U5): the process has one ring, the backend's.
pub(crate) fn flush_deferred() {
    if let crate::backend::Backend::Uring(ring) = crate::backend::get() {
        ring.flush();
    }
}

/// A request in its thread's list of deferred requests (U5), with a reference of its own
/// or one its issuing call's handle lends (L1–L5 of `lend.rs`).
struct Deferred(NonNull<OpShared>);

impl Deferred {
    /// An entry with a reference of its own.
    fn owned(op: Arc<OpShared>) -> Self {
        // The reference is the entry's until `into_request` takes it back.
        Self::at(Arc::into_raw(op))
    }

    /// An entry that borrows the reference of `op`, the issuing call's (L1).
    fn lent(op: &Arc<OpShared>) -> Self {
        op.lend.lend(crate::lend::here());
        Self::at(Arc::as_ptr(op))
    }

    /// An entry naming the request at `ptr`, a pointer of an `Arc`'s (so that
    /// `Arc::from_raw` may take it back).
    fn at(ptr: *const OpShared) -> Self {
        Self(NonNull::new(ptr.cast_mut()).expect("an Arc's pointer is not null"))
    }

    /// Takes the request off the list, with a reference of the caller's (L1, L3).
    fn into_request(self) -> Arc<OpShared> {
        let ptr = self.0.as_ptr().cast_const();
        std::mem::forget(self);
        // SAFETY: an entry names a live request: with a reference of its own (`owned`, or
        // a handle's gift, L2), or borrowing a handle's, which stays until the lend ends
        // (L2) — and it ends only below, after the entry took a reference of its own (L3).
        let lend = unsafe { &(*ptr).lend };
        match lend.end() {
            crate::lend::Held::Owned => {
                // SAFETY: the entry's own reference (`owned`: `Arc::into_raw`; a gift:
                // a handle's, never released by it, L2), taken over exactly once, here.
                unsafe { Arc::from_raw(ptr) }
            }
            crate::lend::Held::Borrowed => {
                // SAFETY: the request is alive (a handle's reference, L2), so its count
                // is at least one; the new reference is the caller's.
                unsafe { Arc::increment_strong_count(ptr) };
                // SAFETY: the reference just taken.
                let op = unsafe { Arc::from_raw(ptr) };
                if lend.end_borrowed() {
                    // L3: a handle gave its reference meanwhile; `op` holds another, so
                    // this release is not the last.
                    // SAFETY: the gift, a reference never released by its handle (L2).
                    unsafe { Arc::decrement_strong_count(ptr) };
                }
                op
            }
        }
    }
}

impl Drop for Deferred {
    /// An entry dropped unsubmitted (its thread's list going at teardown) lets go of what
    /// it holds and ends its lend (L1).
    fn drop(&mut self) {
        drop(Self(self.0).into_request());
    }
}

/// Work for the reaper (U4).
enum Pending {
    /// A request to submit from this byte of its buffer on.
    Request(Arc<OpShared>, usize),
    /// A cancel entry for a request in the kernel, which found no room (U3).
    Cancel(Arc<OpShared>),
}

pub(crate) struct Ring {
    ring: IoUring,
    /// The most request entries in flight (U3).
    request_limit: usize,
    /// The most entries in flight, requests and cancels (U3).
    entry_limit: usize,
    sq: Mutex<()>,
    cq: Mutex<()>,
    in_flight: AtomicUsize,
    reaper: Once,
    reaper_idle: AtomicBool,
    idle_lock: Mutex<()>,
    idle_wake: Condvar,
    /// The entries the reaper submits from `handoff`, kept for their room (U4).
    entries: Mutex<Vec<squeue::Entry>>,
    /// Signaled by the kernel for every completion posted (U3), and by hand to wake the
    /// reaper for work handed to it.
    completions: OwnedFd,
    /// Work for the reaper to submit, oldest first (U4).
    handoff: Mutex<VecDeque<Pending>>,
    /// Completions copied out of a full completion queue by a submitter that needed room,
    /// for the next reap to deliver (U2).
    stash: Mutex<Vec<cqueue::Entry>>,
    /// Whether `stash` holds completions. Set and cleared only under `cq`, as the stash is
    /// filled and drained only under it, so a reap reads it without the stash's lock.
    stashed: AtomicBool,
    /// Whether more entries may be in flight than the completion queue holds, so that the
    /// kernel may keep completions back (U6): only in a ring a test sized so.
    may_overflow: bool,
    /// The free slots of the table of registered files, if the kernel gave one (F1–F3).
    fixed: Option<Mutex<Vec<u32>>>,
    /// The process that set the ring up, the only one that changes the table (F4).
    pid: u32,
}

impl Ring {
    /// Sets up the ring; fails where io_uring is unavailable or forbidden.
    pub(crate) fn new() -> io::Result<Self> {
        let sizes = lock(&TEST_SIZES).unwrap_or(Sizes {
            submission: SQ_ENTRIES,
            completion: CQ_ENTRIES,
            in_flight_limit: None,
        });
        let mut completion = sizes.completion;
        let ring = loop {
            match IoUring::builder()
                .setup_cqsize(completion)
                .build(sizes.submission)
            {
                Err(e)
                    if e.raw_os_error() == Some(libc::ENOMEM)
                        && completion / 2 >= sizes.submission.max(SQ_ENTRIES) =>
                {
                    completion /= 2;
                }
                other => break other?,
            }
        };
        if !ring.params().is_feature_nodrop() {
            // U7: a kernel that may drop completions is not used.
            return Err(io::ErrorKind::Unsupported.into());
        }
        let request_limit = sizes
            .in_flight_limit
            .unwrap_or(ring.params().cq_entries() as usize / 2);
        let completions = rustix::event::eventfd(
            0,
            rustix::event::EventfdFlags::CLOEXEC | rustix::event::EventfdFlags::NONBLOCK,
        )?;
        ring.submitter().register_eventfd(completions.as_raw_fd())?;
        let may_overflow = request_limit * 2 > ring.params().cq_entries() as usize;
        // F3: without a table (before Linux 5.19, or a descriptor limit under its size)
        // every file is named by descriptor.
        let fixed = ring
            .submitter()
            .register_files_sparse(FIXED_FILES)
            .is_ok()
            .then(|| Mutex::new((0..FIXED_FILES).rev().collect()));
        Ok(Self {
            ring,
            request_limit,
            entry_limit: request_limit * 2,
            sq: Mutex::new(()),
            cq: Mutex::new(()),
            in_flight: AtomicUsize::new(0),
            reaper: Once::new(),
            reaper_idle: AtomicBool::new(false),
            idle_lock: Mutex::new(()),
            idle_wake: Condvar::new(),
            entries: Mutex::new(Vec::new()),
            completions,
            handoff: Mutex::new(VecDeque::new()),
            stash: Mutex::new(Vec::new()),
            stashed: AtomicBool::new(false),
            may_overflow,
            fixed,
            pid: std::process::id(),
        })
    }

    /// The slot of `file`, registering it in a free one once it has had `FIXED_AFTER`
    /// requests (F1); `None` if it has none (F3).
    fn fixed_slot(&self, file: &FileInner) -> Option<u32> {
        if let Some(&slot) = file.fixed.get() {
            return slot;
        }
        // A count, not a precise one: threads racing here may lose an increment, which
        // only delays the registration.
        let submitted = file.submitted.load(Ordering::Relaxed);
        if submitted < FIXED_AFTER {
            file.submitted.store(submitted + 1, Ordering::Relaxed);
            return None;
        }
        *file.fixed.get_or_init(|| {
            let table = self.fixed.as_ref()?;
            if std::process::id() != self.pid {
                return None; // F4
            }
            let slot = lock(table).pop()?;
            match self
                .ring
                .submitter()
                .register_files_update(slot, &[file.raw_fd()])
            {
                Ok(1) => Some(slot),
                _ => {
                    lock(table).push(slot);
                    None
                }
            }
        })
    }

    /// Clears the slot of a file that is going, and frees it (F2).
    fn release_fixed(&self, slot: u32) {
        let Some(table) = &self.fixed else { return };
        if std::process::id() != self.pid {
            return; // F4: the slot is the parent's
        }
        if let Ok(1) = self.ring.submitter().register_files_update(slot, &[-1]) {
            lock(table).push(slot);
        }
    }

    /// Starts `op`; `lendable` if the caller's reference becomes the request's first
    /// handle before any code of the caller's runs, so that a deferred request may borrow
    /// it (L1 of `lend.rs`).
    pub(crate) fn submit(&'static self, op: &Arc<OpShared>, lendable: bool) {
        self.reaper.call_once(|| {
            // Without a reaper, requests the kernel finishes later would be reaped by the
            // next submitter only; the thread is as essential as the ring.
            std::thread::Builder::new()
                .name("alertable-io".into())
                .spawn(|| self.reap_forever())
                .expect("cannot start the io_uring reaper thread");
        });
        if op.file().stream || !op.cancelled_at_exit() {
            // A regular-file request whose data is at hand still finishes inside the
            // issuing call (J102), done on this thread without the ring.
            if op.file().stream || !crate::sys::complete_at_once(op) {
                self.hand_off(Pending::Request(op.clone(), 0));
            }
            return;
        }
        // F1: registered now, by its own thread, once the file has had enough requests.
        self.fixed_slot(op.file());
        #[cfg(test)]
        if let Some(fd) = tests::LINK_BEHIND_POLL.with(std::cell::Cell::take) {
            return self.submit_behind_poll(op, fd);
        }
        let entry = || {
            if lendable {
                Deferred::lent(op)
            } else {
                Deferred::owned(op.clone())
            }
        };
        // A list that holds requests already has its flush deferred to the drain's end (U5):
        // it is emptied whenever the flush runs.
        let listed = DEFERRED.try_with(|deferred| {
            let mut deferred = deferred.borrow_mut();
            !deferred.is_empty() && {
                deferred.push(entry());
                true
            }
        });
        // Not under the list's borrow: deferring may run other deferred work now.
        let listed = listed == Ok(true)
            || (listed.is_ok()
                && alertable::defer_until_drained(flush_deferred)
                && DEFERRED
                    .try_with(|deferred| deferred.borrow_mut().push(entry()))
                    .is_ok());
        // During thread-local teardown there is no list: submitted at once.
        if !listed {
            self.submit_one(op.clone());
        }
    }

    /// Asks the kernel to cancel `op`, or completes it aborted if the reaper has not
    /// submitted it yet (U4).
    pub(crate) fn cancel(&'static self, op: &Arc<OpShared>) {
        let mut handoff = lock(&self.handoff);
        let waiting = handoff.iter().position(
            |pending| matches!(pending, Pending::Request(queued, _) if Arc::ptr_eq(queued, op)),
        );
        if let Some(at) = waiting {
            let waiting = handoff.remove(at);
            drop(handoff);
            if let Some(Pending::Request(op, _)) = waiting {
                op.complete(Err(IoError::Aborted));
            }
            return;
        }
        if self.reserve(1, self.entry_limit) == 0 {
            // No room (U3): the reaper submits the cancel once there is.
            handoff.push_back(Pending::Cancel(op.clone()));
            drop(handoff);
            return self.wake_reaper_for_handoff();
        }
        self.push_and_submit([cancel_entry(op)]);
        drop(handoff);
        self.reap(false);
        self.wake_reaper();
    }

    /// Hands the entries this thread deferred to the kernel, and completes what finished
    /// (U5).
    fn flush(&'static self) {
        let mut ops = DEFERRED
            .try_with(|deferred| std::mem::take(&mut *deferred.borrow_mut()))
            .unwrap_or_default();
        // U10: a drain that issued one read tries it without the ring first.
        if ops.len() == 1
            && let Some(op) = ops.pop()
            && let Err(op) = read_at_once(op.into_request())
        {
            ops.push(Deferred::owned(op));
        }
        if !ops.is_empty() {
            self.submit_now(&mut ops);
        }
        // The emptied list goes back, so that the next drain's requests reuse its room.
        let _ = DEFERRED.try_with(|deferred| {
            let mut deferred = deferred.borrow_mut();
            if deferred.is_empty() {
                *deferred = ops;
            }
        });
    }

    /// Submits `ops` (the caller's own) as far as the bound allows and hands the rest to
    /// the reaper (U3), reaps what is ready, and makes sure the reaper watches what is not.
    /// Empties `ops`, keeping its room for reuse.
    fn submit_now(&'static self, ops: &mut Vec<Deferred>) {
        let room = self.reserve(ops.len(), self.request_limit);
        if room > 0 {
            self.push_and_submit(ops.drain(..room).map(|op| entry_from(op.into_request(), 0)));
        }
        if !ops.is_empty() {
            lock(&self.handoff).extend(
                ops.drain(..)
                    .map(|op| Pending::Request(op.into_request(), 0)),
            );
            self.wake_reaper_for_handoff();
        }
        self.settle_submission();
    }

    /// [`submit_now`](Self::submit_now) for the one request of an issuing call, without
    /// gathering it into a list first: nothing is allocated on the way to the kernel.
    fn submit_one(&'static self, op: Arc<OpShared>) {
        let Err(op) = read_at_once(op) else {
            return; // U10: done without the ring
        };
        if self.reserve(1, self.request_limit) == 1 {
            self.push_and_submit([entry_from(op, 0)]);
        } else {
            lock(&self.handoff).push_back(Pending::Request(op, 0));
            self.wake_reaper_for_handoff();
        }
        self.settle_submission();
    }

    /// After a submission: waits for a reaper already at work rather than leaving to it,
    /// so that what finished inside the `io_uring_enter` (page-cached data) completes
    /// before the issuing call returns (J102), here or, if another thread took it, there
    /// (`settle_issue`); then makes sure the reaper watches what is not done.
    fn settle_submission(&'static self) {
        self.reap(true);
        self.wake_reaper();
    }

    /// Reserves places in flight for up to `want` entries, keeping the count at or under
    /// `limit` (U3); returns how many it got.
    fn reserve(&self, want: usize, limit: usize) -> usize {
        let mut current = self.in_flight.load(Ordering::SeqCst);
        loop {
            let n = want.min(limit.saturating_sub(current));
            if n == 0 {
                return 0;
            }
            match self.in_flight.compare_exchange_weak(
                current,
                current + n,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return n,
                Err(now) => current = now,
            }
        }
    }

    /// Pushes `entries`, whose places in flight are reserved (U3), and submits them in one
    /// hold of the submission lock (U2). The entries are made as they are pushed, so a
    /// batch needs no list of its own.
    fn push_and_submit(&self, entries: impl IntoIterator<Item = squeue::Entry>) {
        let _sq = lock(&self.sq);
        let mut entries = entries.into_iter().peekable();
        while entries.peek().is_some() {
            // SAFETY: `_sq` is held (U2), so this is the only submission queue view.
            let mut sq = unsafe { self.ring.submission_shared() };
            let room = sq.capacity() - sq.len();
            for entry in entries.by_ref().take(room) {
                // SAFETY: every entry was built by `entry_from` (whose reference keeps the
                // buffer and file it points at alive and untouched until it is reaped: U1,
                // R1, R2) or by `cancel_entry` (which points at no memory).
                unsafe { sq.push(&entry) }.expect("room was counted");
            }
            drop(sq);
            self.submit_queued();
        }
    }

    /// Has the kernel take every entry in the submission queue; `sq` is held (U2).
    fn submit_queued(&self) {
        // SAFETY: the caller holds `sq` (U2), so this is the only submission queue view.
        if unsafe { self.ring.submission_shared() }.is_empty() {
            return;
        }
        for _ in 0..1000 {
            let result = self.ring.submit();
            // SAFETY: the caller holds `sq` (U2), so this is the only submission queue view.
            let left = unsafe { self.ring.submission_shared() }.len();
            if left == 0 {
                return;
            }
            match result {
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
                // The kernel wants completions reaped (`EBUSY`) or memory (`EAGAIN`):
                // make room by copying them out (they are delivered later, outside every
                // lock) and try again.
                _ => self.make_room(),
            }
        }
        // What the kernel refuses this long is left for the next submitter's `enter`.
    }

    /// Gives work to the reaper (U4).
    fn hand_off(&self, pending: Pending) {
        lock(&self.handoff).push_back(pending);
        self.wake_reaper_for_handoff();
    }

    /// Wakes the reaper for work handed to it, where it sleeps (U4): on the condition
    /// variable if it is idle, else through the eventfd. One system call, not both.
    fn wake_reaper_for_handoff(&self) {
        // Read under `idle_lock`, which the reaper holds from setting the flag until its
        // wait releases it, and from waking until it clears the flag: true means it waits
        // on the condition variable, or will find this hand-off when it looks again.
        let idle = {
            let _idle = lock(&self.idle_lock);
            self.reaper_idle.load(Ordering::SeqCst)
        };
        if idle {
            // After the lock is released, so the reaper does not wake into a held lock; the
            // condition variable keeps a wake that comes before its wait has slept.
            self.idle_wake.notify_one();
        } else {
            self.signal_completions();
        }
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
            // `_cq` is held, so the flag is current (see `stashed`).
            if self.stashed.load(Ordering::Relaxed) {
                ready.extend(lock(&self.stash).drain(..));
                self.stashed.store(false, Ordering::Relaxed);
            }
            let taken = ready.len();
            // SAFETY: `_cq` is held (U2), so this is the only completion queue view.
            let mut cq = unsafe { self.ring.completion_shared() };
            loop {
                cq.sync();
                if cq.is_empty() {
                    // U6: what the kernel holds back comes next, once there is room.
                    if !self.may_overflow || !self.overflowing() {
                        break;
                    }
                    OVERFLOW_FLUSHES.fetch_add(1, Ordering::SeqCst);
                    self.flush_overflow();
                    continue;
                }
                ready.extend(&mut cq);
            }
            for cqe in &ready[taken..] {
                mark_taken(cqe);
            }
        }
        // Reaped: their places in flight are free (U3), all in one step.
        if !ready.is_empty() {
            self.in_flight.fetch_sub(ready.len(), Ordering::SeqCst);
        }
        for cqe in ready.drain(..) {
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
        if op.file().pipe.is_some() && result >= 0 {
            // A pipe's poll fired (U9): the request moves its data now, or waits again.
            if op.cancel_requested() {
                return op.complete(Err(IoError::Aborted));
            }
            let mut buf = op.take_buffer_for_io();
            let attempt = crate::pipe::attempt(&op, &mut buf);
            op.put_buffer(buf);
            match attempt {
                crate::pipe::Attempt::Done(result) => op.complete(result),
                crate::pipe::Attempt::WaitFor(_) => {
                    op.set_taken(false);
                    self.hand_off(Pending::Request(op, 0));
                }
            }
        } else if result < 0 {
            let error = error_of(&op, result);
            op.complete_owned(Err(error));
        } else if op.kind == Kind::Write && result > 0 {
            // A write completes only once all of it is written (J96): the rest goes on
            // from the reaper.
            let written = op.add_written(result as usize);
            if written == op.len {
                op.complete_owned(Ok(written));
            } else if op.cancel_requested() {
                // Cancelled between two pieces: aborted, as the worker threads report it.
                op.complete_owned(Err(IoError::Aborted));
            } else {
                op.set_taken(false);
                self.hand_off(Pending::Request(op, written));
            }
        } else if op.kind == Kind::Read && !op.file().stream {
            // A read of a regular file returns what lies in the file up to its length:
            // the kernel may stop short before the end of the file (a buffered read whose
            // submitter exited while it waited for a page ends with what it had), so the
            // rest goes on from the reaper until the length or the end of the file is
            // reached. A read that stopped at the end of the file is complete as it is.
            // Only the thread delivering a request's completion counts its bytes, so the
            // count is stored only when the read goes on (no read-modify-write when it
            // completes whole, the usual case).
            let read = op.written() + result as usize;
            if result == 0
                || read == op.len
                || !sys::holds_bytes_at(op.file().fd(), op.offset + read as u64)
            {
                op.complete_owned(Ok(read));
            } else if op.cancel_requested() {
                op.complete_owned(Err(IoError::Aborted));
            } else {
                op.add_written(result as usize);
                op.set_taken(false);
                self.hand_off(Pending::Request(op, read));
            }
        } else {
            op.complete_owned(Ok(result as usize));
        }
    }

    fn wake_reaper(&self) {
        if self.in_flight.load(Ordering::SeqCst) > 0 && self.reaper_idle.load(Ordering::SeqCst) {
            let _idle = lock(&self.idle_lock);
            self.idle_wake.notify_one();
        }
    }

    /// Whether the kernel holds completions back in its overflow list (U6).
    fn overflowing(&self) -> bool {
        let _sq = lock(&self.sq);
        // SAFETY: `_sq` is held (U2), so this is the only submission queue view.
        unsafe { self.ring.submission_shared() }.cq_overflow()
    }

    /// Moves completions the kernel holds back into the completion queue, as far as it has
    /// room (U6): an `io_uring_enter` with `GETEVENTS` that submits nothing and waits for
    /// nothing.
    fn flush_overflow(&self) {
        // SAFETY: no submission (`to_submit` 0), no argument; the call only flushes the
        // kernel's overflow list and runs this thread's pending io_uring work.
        let _ = unsafe {
            self.ring
                .submitter()
                .enter::<libc::sigset_t>(0, 0, ENTER_GETEVENTS, None)
        };
    }

    /// Copies the completion queue out into the stash, for a submitter that needs the
    /// kernel to take more entries (U2); the reaper delivers them.
    fn make_room(&self) {
        if let Ok(_cq) = self.cq.try_lock() {
            // SAFETY: `_cq` is held (U2), so this is the only completion queue view.
            let mut cq = unsafe { self.ring.completion_shared() };
            cq.sync();
            let mut stash = lock(&self.stash);
            for cqe in &mut cq {
                mark_taken(&cqe);
                stash.push(cqe);
            }
            self.stashed.store(!stash.is_empty(), Ordering::Relaxed);
        }
        // Flushes completions the kernel kept back, now that there is room.
        self.flush_overflow();
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
        // An error (EINTR) only means "look again". The last reap left neither completions
        // nor an overflow behind (U6), so whatever comes next signals the eventfd.
        let _ = rustix::event::poll(&mut fds, None);
        // Cleared before reaping: a completion posted after this signals again.
        let _ = rustix::io::read(&self.completions, &mut [0u8; 8]);
        // Also hands over entries a failed submission left queued.
        {
            let _sq = lock(&self.sq);
            self.submit_queued();
        }
        self.reap(true);
    }

    /// Submits the work handed to the reaper, as the reaper's own (U4), as far as there is
    /// room in flight (U3); the rest stays, oldest first.
    fn submit_handoff(&'static self) {
        let mut aborted = Vec::new();
        {
            let mut handoff = lock(&self.handoff);
            if handoff.is_empty() {
                return;
            }
            let (mut blocked_requests, mut blocked_cancels) = (false, false);
            // Requests cancelled while they waited need no room.
            handoff.retain(|pending| match pending {
                Pending::Request(op, _) if op.cancel_requested() => {
                    aborted.push(op.clone());
                    false
                }
                _ => true,
            });
            // Oldest first: each takes a place if its kind has one left (U3); the rest stay
            // in order. The queue keeps its room, and the entries go out through a list
            // the reaper keeps, so a hand-off allocates nothing in steady state.
            let mut entries = std::mem::take(&mut *lock(&self.entries));
            handoff.retain(|pending| {
                let (limit, blocked) = match pending {
                    Pending::Request(..) => (self.request_limit, &mut blocked_requests),
                    Pending::Cancel(_) => (self.entry_limit, &mut blocked_cancels),
                };
                if *blocked || self.reserve(1, limit) == 0 {
                    *blocked = true;
                    return true;
                }
                entries.push(match pending {
                    Pending::Request(op, start) => entry_from(op.clone(), *start),
                    Pending::Cancel(op) => cancel_entry(op),
                });
                false
            });
            if !entries.is_empty() {
                self.push_and_submit(entries.drain(..));
            }
            *lock(&self.entries) = entries;
        }
        for op in aborted {
            op.complete(Err(IoError::Aborted));
        }
    }
}

/// Reads `op`'s data on this thread if the page cache holds all of it, and completes it
/// (U10); hands the request back, untouched but for bytes of its buffer the ring will
/// write again, if it would have to wait, stops short, or fails, or is not a read.
fn read_at_once(op: Arc<OpShared>) -> Result<(), Arc<OpShared>> {
    if op.kind != Kind::Read || op.cancel_requested() {
        return Err(op);
    }
    let (buf, len) = op.buffer_raw();
    let iov = libc::iovec {
        iov_base: buf.cast(),
        iov_len: len,
    };
    let Ok(offset) = libc::off_t::try_from(op.offset) else {
        return Err(op);
    };
    // SAFETY: `iov` names the request's buffer, `len` bytes at `buf`, which the request
    // owns and nobody else touches before it completes (R2), and which no entry in the
    // kernel names either: the request is not submitted (U10). The call writes at most
    // `len` bytes there, and `op` keeps the buffer and the descriptor alive across it.
    let read = unsafe { libc::preadv2(op.file().raw_fd(), &iov, 1, offset, libc::RWF_NOWAIT) };
    if usize::try_from(read) != Ok(len) {
        return Err(op);
    }
    op.complete_owned(Ok(len));
    Ok(())
}

/// Marks the request of a completion just copied out of the ring as taken (`settle_issue`).
fn mark_taken(cqe: &cqueue::Entry) {
    let user_data = cqe.user_data();
    if user_data & CANCEL_TAG == 0 {
        // SAFETY: (U1) the entry's reference keeps the request alive until the completion
        // is delivered, which has not happened yet: it was only copied out.
        unsafe { &*(user_data as *const OpShared) }.set_taken(true);
    }
}

/// The error a request the kernel failed with `-result` completes with: `Aborted` for the
/// codes the kernel ends a request with when it cancels it, also on its own when the
/// thread that submitted it exits, if its cancel was asked for (U8).
fn error_of(op: &OpShared, result: i32) -> IoError {
    let errno = rustix::io::Errno::from_raw_os_error(-result);
    let cancelled = [
        rustix::io::Errno::CANCELED,
        rustix::io::Errno::INTR,
        rustix::io::Errno::FAULT,
    ];
    if op.cancel_requested() && cancelled.contains(&errno) {
        IoError::Aborted
    } else {
        IoError::from_errno(result)
    }
}

/// The entry that asks the kernel to cancel `op`, carrying a reference to it (U1).
fn cancel_entry(op: &Arc<OpShared>) -> squeue::Entry {
    let target = Arc::as_ptr(op) as u64;
    let user_data = Arc::into_raw(op.clone()) as u64 | CANCEL_TAG;
    // A cancel entry points at no memory; its tagged reference keeps the target's address
    // from being reused until the cancel is reaped (U1).
    opcode::AsyncCancel::new(target)
        .build()
        .user_data(user_data)
}

/// The entry that reads or writes `op` from byte `start` of its buffer on, carrying the
/// request's reference (U1).
fn entry_from(op: Arc<OpShared>, start: usize) -> squeue::Entry {
    let (buf, len) = op.buffer_raw();
    let fd = types::Fd(op.file().raw_fd());
    if op.file().pipe.is_some() {
        // A pipe's request waits for readiness in the kernel, then moves its data in user
        // space (U9). The entry points at no memory; `user_data` is its reference (U1).
        let events = match crate::pipe::interest(&op) {
            crate::pipe::Readiness::Input => libc::POLLIN,
            crate::pipe::Readiness::Output => libc::POLLOUT,
        };
        return opcode::PollAdd::new(fd, events as u32)
            .build()
            .user_data(Arc::into_raw(op) as u64);
    }
    // Streams take no offset (the kernel wants 0 there).
    let offset = if op.file().stream {
        0
    } else {
        op.offset + start as u64
    };
    // `len` fits: the file refused buffers over 4 GiB before submitting.
    let len = (len - start) as u32;
    // SAFETY: `start <= len` of the buffer, so the pointer stays inside it.
    let buf = unsafe { buf.add(start) };
    // F1: a registered file by its slot, which holds it while this entry is in flight.
    let entry = match (op.kind, op.file().fixed.get()) {
        (Kind::Read, Some(&Some(slot))) => opcode::Read::new(types::Fixed(slot), buf, len)
            .offset(offset)
            .build(),
        (Kind::Read, _) => opcode::Read::new(fd, buf, len).offset(offset).build(),
        (Kind::Write, Some(&Some(slot))) => opcode::Write::new(types::Fixed(slot), buf, len)
            .offset(offset)
            .build(),
        (Kind::Write, _) => opcode::Write::new(fd, buf, len).offset(offset).build(),
        (Kind::Connect | Kind::Transact, _) => unreachable!("only pipes connect or transact"),
    };
    // `user_data` is the request's strong reference (U1), released only when this
    // entry's completion is reaped; it keeps the buffer (whose address and length are
    // `buf`, `len`, untouched by anyone else until completion: R2) and the file descriptor
    // alive for as long as the kernel may use them. That is what makes pushing the entry
    // sound.
    entry.user_data(Arc::into_raw(op) as u64)
}

#[cfg(test)]
impl Ring {
    /// Submits `op` from the calling thread hard-linked behind a poll for input on `fd`:
    /// the kernel starts the request only once the poll ends, from work it queues to the
    /// submitting thread. The poll entry's `user_data` is a tagged reference to `op`, as a
    /// cancel entry's is (U1); it points at no memory.
    fn submit_behind_poll(&'static self, op: &Arc<OpShared>, fd: std::os::fd::RawFd) {
        assert_eq!(self.reserve(2, self.request_limit), 2);
        let poll = opcode::PollAdd::new(types::Fd(fd), libc::POLLIN as u32)
            .build()
            .flags(squeue::Flags::IO_HARDLINK)
            .user_data(Arc::into_raw(op.clone()) as u64 | CANCEL_TAG);
        self.push_and_submit([poll, entry_from(op.clone(), 0)]);
        self.wake_reaper();
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::os::fd::{AsRawFd, RawFd};

    use alertable::{Event, EventReset};

    use super::lock;
    use crate::{AsyncFile, IoError};

    thread_local! {
        /// Set by a test: the next request this thread submits waits behind a poll on this
        /// descriptor (`Ring::submit_behind_poll`).
        pub(super) static LINK_BEHIND_POLL: Cell<Option<RawFd>> = const { Cell::new(None) };
    }

    /// K121, U8: a request still in the kernel when its thread exits is cancelled by the
    /// exit, and completes with `Aborted` whatever code the kernel ends it with. A request
    /// whose next step the kernel queues to its submitting thread after that thread is
    /// gone (a buffered read waiting for a page to arrive; here, a read linked behind a
    /// poll that ends after the exit) is ended by the kernel with `EFAULT`, although its
    /// buffer is alive and untouched.
    #[test]
    fn k121_a_request_the_kernel_ends_at_its_threads_exit_completes_aborted() {
        if crate::backend::backend_name() != "io_uring" {
            return;
        }
        let dir = tempfile_dir();
        let path = dir.join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        let file = AsyncFile::open(&path).unwrap();
        let (read_end, write_end) = rustix::pipe::pipe().unwrap();
        let event = Event::new(EventReset::Manual, false);
        let op = {
            let event = event.clone();
            std::thread::spawn(move || {
                LINK_BEHIND_POLL.with(|fd| fd.set(Some(read_end.as_raw_fd())));
                let op = file.read_with_event(0, vec![0; 10], &event).unwrap();
                // The poll waits for a writer that never writes; the thread leaves.
                drop(read_end);
                op
            })
            .join()
            .unwrap()
        };
        // The thread is gone: now the poll ends, and the kernel queues the read's start to
        // a thread that no longer runs.
        assert_eq!(rustix::io::write(&write_end, b"x").unwrap(), 1);
        assert_eq!(
            alertable::wait_one(
                &event,
                Some(std::time::Duration::from_secs(20)),
                alertable::Alertable::No
            ),
            Ok(alertable::WaitStatus::Signaled(0))
        );
        assert_eq!(op.result(false), Err(IoError::Aborted));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// U4: the reaper submits what is handed to it and leaves the hand-off queue's room in
    /// place, so the next pending request's hand-off allocates nothing. A pipe read waits
    /// for data (handed to the reaper, whose poll then fires: with an event, which any
    /// thread may wait for, so its issuing thread does not keep it, `held.rs`); after it
    /// completes the queue still has room, as every hand-off since has left it.
    #[test]
    fn u4_handing_a_pipe_request_over_leaves_the_queue_its_room() {
        let crate::backend::Backend::Uring(ring) = crate::backend::get() else {
            return;
        };
        let (read, write) = crate::pipe::anonymous(0).unwrap();
        let event = Event::new(EventReset::Manual, false);
        for round in 0..3_u8 {
            let op = read.read_with_event(0, vec![0; 4], &event).unwrap();
            let written = write.write(0, vec![round; 4]).unwrap();
            assert_eq!(written.result(true), Ok(4));
            assert_eq!(op.result(true), Ok(4));
        }
        assert!(
            lock(&ring.handoff).capacity() > 0,
            "the reaper replaced the hand-off queue with a new, empty one"
        );
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("alertable-io-uring-exit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
