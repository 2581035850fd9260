//! One I/O request: its shared state, how it completes, and [`Operation`], the handle the
//! issuer keeps.
//!
//! # Life of a request
//!
//! | state       | buffer held by                         | who may touch it        |
//! |-------------|----------------------------------------|-------------------------|
//! | in flight   | the request (the kernel writes into it) | the backend only        |
//! | complete    | the request, until handed on           | whoever takes it        |
//! | handed on   | the completion routine, the packet, or [`Operation::take_buffer`] | its new owner |
//!
//! (R1) A backend keeps a strong reference to the request from submission until it calls
//!      [`OpShared::complete`], exactly once (as does the issuing thread's list while that
//!      thread holds a pipe read to complete itself, `held.rs`); so the buffer, the file
//!      descriptor (the request holds its file) and the request itself outlive the
//!      kernel's use of them, also when the request is cancelled or its thread exits.
//!      (Before the kernel has it, a request deferred to the end of an APC drain may be
//!      named by a handle's reference, lent: L1–L5 of `lend.rs`.)
//! (R2) The buffer is not read or written by anyone but the backend before completion.
//! (R3) `complete` publishes the result before it signals anything: an event, a waiter, a
//!      routine or a packet never sees an incomplete request.
//! (R4) A request's memory is reused for a later request of the same thread only once
//!      nothing else can reach it: it is complete, its routine is out of it (run, or
//!      about to run, O4), and that thread holds the only strong reference (R5 proves it,
//!      so no backend, cancel entry (U1), [`Operation`] or other thread still names it).
//!      It is emptied then — its file and port are released at once, as if it had been
//!      freed, and so is its thread handle unless that names this very thread (which
//!      outlives its own pool) — and kept in a small per-thread pool that
//!      [`OpShared::new`] takes from first, so a
//!      thread that keeps reads in flight with completion routines allocates nothing per
//!      request, and makes no new handle to itself for each; the same goes for a request
//!      waited for through its [`Operation`], whose last handle, dropped on the issuing
//!      thread once the request is complete, gives it back (a wait that has to sleep
//!      still makes the request an event to sleep on). A pooled request keeps its
//!      slot in the thread's list of issued requests (the weak reference there names it
//!      still, and its `recorded` flag says so until pruning takes the slot), so that its
//!      next use is recorded without a new one or a look at the list; the list's readers
//!      skip it (it has no file: not in flight). A request the thread completed itself is
//!      not emptied while its routine runs but kept whole, file and all, in the thread's
//!      warm slot (`WARM`, O4), and reused as it is for the request that routine issues on
//!      the same file with its routine on this thread (the usual chain); if the routine
//!      issues none, it is emptied as it returns or unwinds. The list's readers skip it
//!      too (complete: not in flight).
//! (R5) Weak references to a request exist only in its issuing thread's list of issued
//!      requests, which only that thread reads, upgrades and changes. So, on the issuing
//!      thread, a strong reference whose count is 1 (a load, then an `Acquire` fence that
//!      pairs with the `Release` decrement of every reference dropped before) is the only
//!      way to the request for as long as the thread makes no other one — and so runs no
//!      code of the caller's meanwhile (a routine's destructor could reach the list): it
//!      may change the request as its owner (`sole`), without the lock or a
//!      read-modify-write — publishing a result it completed itself (O3), emptying it for
//!      the pool or filling it from there (R4). (Its thread's list of deferred requests
//!      may name a request by a handle's reference before it is submitted; `sole` is never
//!      used on a request then, L5 of `lend.rs`.)

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::mem::ManuallyDrop;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use alertable::{Alertable, Event, EventReset, ThreadHandle, WaitError, WaitStatus};

use crate::file::FileInner;
use crate::lock;
use crate::routine::Routine;
use crate::{CompletionPacket, IoError};

/// What a request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Read,
    Write,
    /// A pipe server waits for a client (`pipe.rs`).
    Connect,
    /// A pipe writes a message, then reads the reply into the buffer (`pipe.rs`).
    Transact,
}

impl Kind {
    /// The queue of a stream the request waits in (`FileInner::streams`): reads and
    /// transactions share one, as both take what the stream delivers.
    pub(crate) fn queue(self) -> usize {
        match self {
            Self::Read | Self::Transact => 0,
            Self::Write => 1,
            Self::Connect => 2,
        }
    }

    /// Whether the request fills its buffer (and the buffer is cut to what came).
    pub(crate) fn reads(self) -> bool {
        matches!(self, Self::Read | Self::Transact)
    }
}

/// How a request tells its issuer it is done, besides [`Operation`] (which always works).
pub(crate) enum Notify {
    /// Nothing more (poll style, or already notified).
    None,
    /// Signal this event (the event style).
    Event(Event),
    /// Queue the routine as an APC to the issuing thread (the completion-routine style).
    /// The routine stays here until that APC runs and takes it.
    Routine(Routine),
}

/// The thread a request's completion routine runs on.
pub(crate) enum RoutineThread {
    /// None: the request has no routine.
    None,
    /// The issuing thread, the caller (`ReadFileEx`): a request from the thread's pool
    /// keeps its handle to it (R4), so none is made per request.
    Current,
    /// The thread given: the caller's handle to itself, from code that made one. It must
    /// be the calling thread, which the own-routine path (O1) takes it for.
    Given(ThreadHandle),
}

/// The mutable part of a request, behind its lock.
struct State {
    /// Some until handed on (R2: untouched by others while in flight).
    buffer: Option<Vec<u8>>,
    /// Some once complete.
    result: Option<Result<usize, IoError>>,
    notify: Notify,
    /// Set on completion for threads blocked in [`Operation::wait`].
    waiter: Option<Event>,
    /// The worker-thread backend's way to interrupt a request blocked on a stream.
    pub(crate) interrupt: Option<Arc<dyn Fn() + Send + Sync>>,
}

/// The state of one request, shared by its issuer, the backend and the completion.
pub(crate) struct OpShared {
    token: usize,
    /// `None` only while the request waits in its thread's pool for reuse (R4).
    file: Option<Arc<FileInner>>,
    pub(crate) kind: Kind,
    pub(crate) offset: u64,
    /// The length asked for (the buffer's length at submission).
    pub(crate) len: usize,
    /// The address of the buffer's bytes, fixed while the request owns it (a `Vec` keeps
    /// its heap block where it is when the `Vec` itself moves).
    buf_addr: usize,
    /// Where the completion goes besides the issuer: the file's port binding, if any.
    port: Option<(crate::CompletionPort, usize)>,
    /// The message a transaction writes before it reads ([`Kind::Transact`]); empty
    /// otherwise. Read by the backend only, never changed.
    pub(crate) payload: Vec<u8>,
    complete: AtomicBool,
    cancel_requested: AtomicBool,
    /// Bytes moved so far by a write to a stream or a read of a regular file, which the
    /// kernel may do in parts.
    written: AtomicUsize,
    /// Completes to a port and nowhere else that needs its thread: it outlives the thread
    /// that issued it (K121).
    outlives_thread: bool,
    /// Complete when the call that issued it returned (J102).
    completed_at_issue: AtomicBool,
    /// Its completion was copied out of the ring by a thread that is delivering it
    /// (`uring.rs`): the issuer waits for that instead of reporting it pending.
    taken: AtomicBool,
    /// Recorded in its thread's list of requests, so that the thread's exit cancels it
    /// (K121); false for one issued during the thread's teardown. Stays set while the
    /// request waits in its thread's pool, as long as its slot names it (R4).
    recorded: AtomicBool,
    /// Its slot in its thread's list of issued requests, if `recorded`.
    issued_at: AtomicUsize,
    /// Whether its issuing thread holds it, to complete it itself (`held.rs`, H1–H5).
    pub(crate) hold: crate::held::Hold,
    /// Whether its thread's list of deferred requests borrows a handle's reference
    /// (`lend.rs`, L1–L5).
    pub(crate) lend: crate::lend::Lend,
    /// The issuing thread, for a request with a completion routine: its APC goes there.
    routine_thread: Option<ThreadHandle>,
    state: Mutex<State>,
}

/// Request tokens: unique for the life of the process (`Operation::token`). A thread takes
/// them from here [`TOKEN_BLOCK`] at a time, so that issuing a request costs no
/// read-modify-write of a word every thread shares.
static NEXT_TOKEN: AtomicUsize = AtomicUsize::new(1);

/// How many tokens a thread takes from [`NEXT_TOKEN`] at once.
const TOKEN_BLOCK: usize = 256;

thread_local! {
    /// The rest of this thread's block of tokens: the next one, and the end of the block.
    static TOKENS: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// A token no other request of the process has or will have.
fn next_token() -> usize {
    TOKENS
        .try_with(|tokens| {
            let (mut next, mut end) = tokens.get();
            if next == end {
                next = NEXT_TOKEN.fetch_add(TOKEN_BLOCK, Ordering::Relaxed);
                end = next + TOKEN_BLOCK;
            }
            tokens.set((next + 1, end));
            next
        })
        // During thread-local teardown: one token alone, still from the shared counter.
        .unwrap_or_else(|_| NEXT_TOKEN.fetch_add(1, Ordering::Relaxed))
}

/// The most emptied requests a thread keeps for reuse (R4).
const SPARES: usize = 64;

thread_local! {
    /// Emptied requests of this thread, each referred to by nothing else, for reuse (R4).
    static SPARE: RefCell<Vec<Arc<OpShared>>> = const { RefCell::new(Vec::new()) };
}

impl OpShared {
    /// A new request of `file`: the one the running routine's APC keeps warm, if it is of
    /// the same file and the new one's routine runs on this thread too (R4, O4); else an
    /// emptied one of this thread's pool, or a fresh empty one, filled in (R4). It
    /// completes to the file's port, if the file has one, unless it has a routine.
    /// Inlined into its callers, which build its parts in place; a fresh allocation is a
    /// call of its own.
    #[inline(always)]
    pub(crate) fn new(
        file: &Arc<FileInner>,
        kind: Kind,
        offset: u64,
        buffer: Vec<u8>,
        notify: Notify,
        routine_thread: RoutineThread,
    ) -> Arc<Self> {
        let mut buffer = buffer;
        let buf_addr = buffer.as_mut_ptr() as usize;
        debug_assert_eq!(
            !matches!(routine_thread, RoutineThread::None),
            matches!(notify, Notify::Routine(_))
        );
        let port = match notify {
            Notify::Routine(_) => None,
            _ => file.port.get().cloned(),
        };
        if matches!(routine_thread, RoutineThread::Current)
            && port.is_none()
            && let Some(mut op) = take_warm(file)
        {
            // SAFETY: the warm request is this thread's own (O1), referred to by nothing
            // else (kept only so, R4); nothing of the caller's runs while it is filled in.
            if let Some(slot) = unsafe { sole(&mut op) } {
                // Its file, its routine thread (this one) and its port (none) stay as
                // they are.
                slot.outlives_thread = false;
                slot.refill(kind, offset, buffer, buf_addr, notify);
                return op;
            }
            // Not so after all: left to its other holders, as `retire` leaves one.
            debug_assert!(false, "R4: only an unshared request is kept warm");
            unlist(&op);
        }
        // During thread-local teardown there is no pool: a fresh one then.
        let mut op = SPARE
            .try_with(|spare| spare.try_borrow_mut().ok()?.pop())
            .ok()
            .flatten()
            .unwrap_or_else(Self::empty);
        // R4: only unreferenced requests enter the pool, and nothing refers to one there
        // (R5: this thread holds it, on no list, so the check is a load, not a
        // read-modify-write); nor to a fresh one. Filled in field by field: its emptied
        // contents need no dropping.
        // SAFETY: taken from this thread's own pool, so this is its issuing thread (R4), or
        // just made; nothing of the caller's runs while the fields are filled in.
        let slot = unsafe { sole(&mut op) }.expect("R4: a pooled or fresh request is unshared");
        slot.routine_thread = match routine_thread {
            // R4: a request in the pool keeps only this thread's own handle.
            RoutineThread::Current => slot.routine_thread.take().or_else(|| {
                let me = alertable::current();
                remember_me(&me);
                Some(me)
            }),
            RoutineThread::Given(thread) => {
                debug_assert!(thread == alertable::current(), "O1: the issuing thread");
                remember_me(&thread);
                Some(thread)
            }
            RoutineThread::None => None,
        };
        slot.outlives_thread = port.is_some() && matches!(notify, Notify::None);
        slot.file = Some(file.clone());
        slot.port = port;
        slot.refill(kind, offset, buffer, buf_addr, notify);
        op
    }

    /// A request with nothing in it, as the pool keeps them (R4), for [`new`](Self::new)
    /// to fill in where the pool has none.
    #[cold]
    #[inline(never)]
    fn empty() -> Arc<Self> {
        Arc::new(Self {
            outlives_thread: false,
            routine_thread: None,
            buf_addr: 0,
            token: 0,
            file: None,
            kind: Kind::Read,
            offset: 0,
            len: 0,
            port: None,
            payload: Vec::new(),
            complete: AtomicBool::new(false),
            cancel_requested: AtomicBool::new(false),
            recorded: AtomicBool::new(false),
            issued_at: AtomicUsize::new(usize::MAX),
            hold: crate::held::Hold::new(),
            lend: crate::lend::Lend::new(),
            completed_at_issue: AtomicBool::new(false),
            taken: AtomicBool::new(false),
            written: AtomicUsize::new(0),
            state: Mutex::new(State {
                buffer: None,
                result: None,
                notify: Notify::None,
                waiter: None,
                interrupt: None,
            }),
        })
    }

    /// Fills in a request of this thread's that nothing else refers to (R4, R5) for its
    /// next use: all but its file, port, routine thread and `outlives_thread`, which the
    /// caller sees to. `issued_at` and `recorded` stay: the slot of the thread's list that
    /// still names it, if pruning did not take it.
    #[inline(always)]
    fn refill(
        &mut self,
        kind: Kind,
        offset: u64,
        buffer: Vec<u8>,
        buf_addr: usize,
        notify: Notify,
    ) {
        self.buf_addr = buf_addr;
        self.token = next_token();
        self.kind = kind;
        self.offset = offset;
        self.len = buffer.len();
        if !self.payload.is_empty() {
            self.payload = Vec::new();
        }
        *self.complete.get_mut() = false;
        *self.cancel_requested.get_mut() = false;
        self.hold = crate::held::Hold::new();
        *self.completed_at_issue.get_mut() = false;
        *self.taken.get_mut() = false;
        *self.written.get_mut() = 0;
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        state.buffer = Some(buffer);
        state.result = None;
        state.notify = notify;
        state.waiter = None;
        state.interrupt = None;
    }

    /// The file the request reads or writes.
    #[inline]
    pub(crate) fn file(&self) -> &Arc<FileInner> {
        self.file
            .as_ref()
            .expect("only a request waiting in the pool has no file (R4)")
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.complete.load(Ordering::Acquire)
    }

    /// Issued and not complete: neither complete nor waiting in its thread's pool (R4).
    /// Read on the issuing thread only, for a request of its list: the pool's requests
    /// are changed by that thread alone (R5).
    fn is_in_flight(&self) -> bool {
        self.file.is_some() && !self.is_complete()
    }

    pub(crate) fn cancel_requested(&self) -> bool {
        // SeqCst: one side of H4 (`held.rs`).
        self.cancel_requested.load(Ordering::SeqCst)
    }

    /// Whether the completion goes to no port.
    pub(crate) fn has_no_port(&self) -> bool {
        self.port.is_none()
    }

    /// How the request notifies its issuer.
    pub(crate) fn notify_kind(&self) -> crate::held::NotifyKind {
        crate::held::NotifyKind::from(&self.state().notify)
    }

    /// The buffer's address and length, for a backend that hands it to the kernel.
    ///
    /// (R2): nobody else touches the buffer until `complete`, so the address stays valid
    /// and unaliased for the kernel's use.
    pub(crate) fn buffer_raw(&self) -> (*mut u8, usize) {
        (self.buf_addr as *mut u8, self.len)
    }

    /// For a write to a stream, which completes only when all of it is written (J96), and a
    /// read of a regular file, which completes only at its length or the end of the file:
    /// records `n` more bytes and returns the total moved so far.
    pub(crate) fn add_written(&self, n: usize) -> usize {
        self.written.fetch_add(n, Ordering::Relaxed) + n
    }

    /// The bytes moved so far ([`add_written`](Self::add_written)).
    pub(crate) fn written(&self) -> usize {
        self.written.load(Ordering::Relaxed)
    }

    /// Gives a transaction the message it writes first; only before the request is shared.
    pub(crate) fn with_payload(mut self: Arc<Self>, payload: Vec<u8>) -> Arc<Self> {
        // SAFETY: called by the issuing thread as it makes the request, before anything
        // else refers to it (R5), and only a vector is moved in.
        unsafe { sole(&mut self) }
            .expect("a new request is not shared yet")
            .payload = payload;
        self
    }

    /// Marks the request's completion as copied out of the ring, to be delivered by the
    /// thread that took it; `false` once that thread hands the request on instead (a write
    /// that goes on from where it stopped).
    pub(crate) fn set_taken(&self, taken: bool) {
        self.taken.store(taken, Ordering::Release);
    }

    /// Called by the issuing call once the backend has the request: waits while another
    /// thread is delivering a completion it took (it cannot take long: the deliverer
    /// holds no lock and is between two requests of its batch), then records whether the
    /// request was complete at issue (J102).
    pub(crate) fn settle_issue(&self) {
        while self.taken.load(Ordering::Acquire) && !self.is_complete() {
            std::thread::yield_now();
        }
        self.completed_at_issue
            .store(self.is_complete(), Ordering::Relaxed);
    }

    /// Whether the exit of the issuing thread cancels the request (K121): it was recorded
    /// in the thread's list and does not outlive the thread.
    pub(crate) fn cancelled_at_exit(&self) -> bool {
        !self.outlives_thread && self.recorded.load(Ordering::Relaxed)
    }

    /// Takes the buffer out for a worker thread to do blocking I/O with; it must be put
    /// back with [`put_buffer`](Self::put_buffer) before [`complete`](Self::complete).
    pub(crate) fn take_buffer_for_io(&self) -> Vec<u8> {
        self.state()
            .buffer
            .take()
            .expect("an in-flight request owns its buffer")
    }

    pub(crate) fn put_buffer(&self, buffer: Vec<u8>) {
        self.state().buffer = Some(buffer);
    }

    /// Registers how a worker blocked on this request can be interrupted; returns false
    /// (and registers nothing) if a cancel was already requested.
    pub(crate) fn set_interrupt(&self, interrupt: Option<Arc<dyn Fn() + Send + Sync>>) -> bool {
        let mut st = self.state();
        if interrupt.is_some() && self.cancel_requested() {
            return false;
        }
        st.interrupt = interrupt;
        true
    }

    /// Asks for the request to end with [`IoError::Aborted`]; false if it is already
    /// complete or being cancelled (K116: a request is cancelled once, also where the
    /// backend completes the cancellation later). The backend does the rest.
    pub(crate) fn request_cancel(self: &Arc<Self>) -> bool {
        // SeqCst: one side of H4 (`held.rs`).
        if self.is_complete() || self.cancel_requested.swap(true, Ordering::SeqCst) {
            return false;
        }
        // Still waiting behind an earlier request on its stream: it never started.
        if self.file().unqueue_stream(self) {
            self.complete(Err(IoError::Aborted));
            return true;
        }
        // Held by its issuing thread, or about to be (H4): the hold protocol completes it
        // aborted.
        if crate::held::cancel(self) {
            return true;
        }
        let interrupt = self.state().interrupt.clone();
        if let Some(interrupt) = interrupt {
            interrupt();
        }
        crate::backend::get().cancel(self);
        true
    }

    /// Forgets a routine that must never run (its thread is exiting) and cancels the
    /// request, unless it completes to a port without an event (K121).
    fn orphan(self: &Arc<Self>) {
        if self.outlives_thread {
            return;
        }
        // Dropped outside the lock: the routine's captures may do anything.
        drop(self.forget_routine());
        self.request_cancel();
    }

    /// Takes a routine that must never run out of the request, returning it (to be dropped
    /// by the caller, outside the lock) or `Notify::None`.
    fn forget_routine(&self) -> Notify {
        let mut st = self.state();
        match st.notify {
            Notify::Routine(_) => std::mem::replace(&mut st.notify, Notify::None),
            _ => Notify::None,
        }
    }

    /// Completes the request with the backend's raw result (bytes, or the error) — once
    /// per request (R1). A read of zero bytes where some were asked for is the end of the
    /// file (J100, J101), or a broken pipe on a stream; a pipe of `pipe.rs` reports its
    /// results as they are (a message may be empty).
    pub(crate) fn complete(self: &Arc<Self>, raw: Result<usize, IoError>) {
        let result = self.final_result(raw);
        if let Some(thread) = &self.routine_thread {
            // Queued before the request shows as complete, so that the issuing thread
            // cannot see it done and queue an APC that overtakes the routine (J109). The
            // APC carries the result and publishes it itself if it runs first (R3). Not
            // under the lock: an APC refused because the thread has exited is dropped at
            // once, and drops the routine (K121).
            let _ = thread.queue_apc(RoutineApc::new(self.clone(), result).into_closure());
        }
        let (notify, waiter, packet_buffer) = {
            let mut st = self.state();
            let waiter = settle_in(self.kind, &self.complete, &mut st, result);
            let notify = match st.notify {
                Notify::Routine(_) => Notify::None, // stays until its APC takes it
                _ => std::mem::replace(&mut st.notify, Notify::None),
            };
            // A closed port would drop the packet: the buffer then stays with the request.
            let packet_buffer = match &self.port {
                Some((port, _)) if !port.is_closed() => st.buffer.take(),
                _ => None,
            };
            (notify, waiter, packet_buffer)
        };
        if let Some(waiter) = waiter {
            waiter.set();
        }
        if let Some((port, key)) = &self.port {
            let _ = port.post(CompletionPacket {
                key: *key,
                token: self.token,
                status: result,
                buffer: packet_buffer,
            });
        }
        if let Notify::Event(event) = notify {
            event.set();
        }
        // The next request on the stream may start (streams serve their requests in order).
        self.file().next_on_stream(self);
    }

    /// The result a request completes with, from the backend's raw one (see
    /// [`complete`](Self::complete)).
    fn final_result(&self, raw: Result<usize, IoError>) -> Result<usize, IoError> {
        match raw {
            Ok(0) if self.kind == Kind::Read && self.len > 0 && self.file().pipe.is_none() => {
                Err(if self.file().stream {
                    IoError::Os(rustix::io::Errno::PIPE.raw_os_error())
                } else {
                    IoError::EndOfFile
                })
            }
            other => other,
        }
    }

    /// [`complete`](Self::complete) for a backend that hands over its own reference to the
    /// request (U1 of `uring.rs`) as it completes it. A routine request of a regular file
    /// completed by its issuing thread itself goes the thread's own way (O1–O4): that
    /// reference becomes its APC's, and the result is published without the lock where
    /// that reference is the only one (R5).
    pub(crate) fn complete_owned(self: Arc<Self>, raw: Result<usize, IoError>) {
        let mut op = Some(self);
        if let Some(own) =
            op.take_if(|op| op.routine_thread.is_some() && !op.file().stream && op.port.is_none())
        {
            let mut own = Some(own);
            // During thread-local teardown the request is left to the usual way.
            let _ = OWN.try_with(|list| complete_own(list, &mut own, raw));
            op = own;
        }
        if let Some(op) = op {
            op.complete(raw);
        }
    }

    /// Makes the result visible (R3): once, by the completion or by the routine's APC,
    /// whichever comes first; after a read, the buffer is cut to the bytes read then.
    fn publish(&self, st: &mut State, result: Result<usize, IoError>) {
        publish_in(self.kind, &self.complete, st, result);
    }

    /// Takes the routine out, with the buffer, if it is still there; publishes `result`
    /// first if the completion has not yet (R3).
    fn take_routine(&self, result: Result<usize, IoError>) -> Option<(Routine, Vec<u8>)> {
        let mut st = self.state();
        self.publish(&mut st, result);
        let Notify::Routine(routine) = std::mem::replace(&mut st.notify, Notify::None) else {
            return None;
        };
        Some((routine, st.buffer.take().unwrap_or_default()))
    }
}

/// [`OpShared::publish`] for a request's parts: its kind, its completion flag and its state.
fn publish_in(kind: Kind, complete: &AtomicBool, st: &mut State, result: Result<usize, IoError>) {
    if st.result.is_some() {
        return;
    }
    if let Some(buf) = st.buffer.as_mut() {
        keep_what_was_read(kind, buf, result);
    }
    st.result = Some(result);
    complete.store(true, Ordering::Release);
}

/// A completion's steps on a request's state: publishes `result` (R3), drops what let the
/// worker backend interrupt it, and takes out the waiter to signal.
fn settle_in(
    kind: Kind,
    complete: &AtomicBool,
    st: &mut State,
    result: Result<usize, IoError>,
) -> Option<Event> {
    publish_in(kind, complete, st, result);
    st.interrupt = None;
    st.waiter.take()
}

/// After a read that ended with `result`, cuts `buffer` to the bytes read (a message read
/// in part keeps the part, ERROR_MORE_DATA); a write leaves its buffer as it was.
fn keep_what_was_read(kind: Kind, buffer: &mut Vec<u8>, result: Result<usize, IoError>) {
    if kind.reads() {
        buffer.truncate(match result {
            Ok(n) | Err(IoError::MoreData(n)) => n,
            Err(_) => 0,
        });
    }
}

/// The request behind `op`, to change without its lock, if `op` is the only strong
/// reference to it (R5): nobody else can reach it then.
///
/// # Safety
///
/// The caller is the request's issuing thread, or the request is on no thread's list of
/// issued requests, and runs none of the caller's code (a routine's destructor could reach
/// that list) while the returned borrow lasts (R5).
#[inline]
unsafe fn sole(op: &mut Arc<OpShared>) -> Option<&mut OpShared> {
    if Arc::strong_count(op) != 1 {
        return None;
    }
    // Pairs with the `Release` decrement of every other strong reference dropped before,
    // as `Arc::get_mut` does: what their holders did to the request happens before this.
    fence(Ordering::Acquire);
    debug_assert!(
        Arc::weak_count(op) == 0 || listed_here(op),
        "R5: a listed request is changed alone only on its issuing thread"
    );
    // SAFETY: `op` is the only strong reference, and the caller's: nobody else holds one,
    // or can make one while the returned borrow of `op` lasts (cloning needs a strong
    // reference; upgrading needs a weak one, and weak references live only in the issuing
    // thread's list, which only that thread upgrades: the caller, by this function's
    // contract, which also keeps its code from running under the borrow). So no other
    // reference to the request exists while the borrow lasts. The pointer comes from the
    // `Arc`'s own allocation, valid while `op` is, and the borrow is tied to `op`'s.
    Some(unsafe { &mut *Arc::as_ptr(op).cast_mut() })
}

/// Whether the calling thread's list of issued requests names `op`, which makes it the
/// request's issuing thread (R5); false where the list cannot be looked at.
fn issued_here(op: &Arc<OpShared>) -> bool {
    list_names(op).unwrap_or(false)
}

/// Whether the calling thread's list of issued requests names `op` (for R5's check; true
/// where the list cannot be looked at).
fn listed_here(op: &Arc<OpShared>) -> bool {
    list_names(op).unwrap_or(true)
}

/// Whether the calling thread's list of issued requests names `op`; `None` where the list
/// cannot be looked at (thread-local teardown, or borrowed).
fn list_names(op: &Arc<OpShared>) -> Option<bool> {
    ISSUED
        .try_with(|issued| {
            let ops = issued.ops.try_borrow().ok()?;
            Some(slot_names(&ops, op))
        })
        .ok()
        .flatten()
}

/// Whether `op`'s slot of `ops`, a list of issued requests, names it.
fn slot_names(ops: &[Option<Weak<OpShared>>], op: &Arc<OpShared>) -> bool {
    let at = op.issued_at.load(Ordering::Relaxed);
    ops.get(at).is_some_and(|slot| {
        slot.as_ref()
            .is_some_and(|weak| ptr::eq(weak.as_ptr(), Arc::as_ptr(op)))
    })
}

/// Takes a completed request's routine out of its state (O4), with the buffer and the
/// result its completion published (O3); `None` if the routine is gone (forgotten at the
/// thread's exit).
fn take_own_routine(st: &mut State) -> Option<(Routine, Vec<u8>, Result<usize, IoError>)> {
    let Notify::Routine(routine) = std::mem::replace(&mut st.notify, Notify::None) else {
        return None;
    };
    let result = st.result.expect("O3: published before the APC could run");
    Some((routine, st.buffer.take().unwrap_or_default(), result))
}

/// A request whose completion routine an APC is to run, held by that APC. If the APC is
/// dropped unrun (its thread exited), the routine goes with it, so the routine's captures
/// do not live on in the request (K121).
struct RoutineOf(Option<Arc<OpShared>>);

impl RoutineOf {
    /// The request, as its APC runs.
    fn take(&mut self) -> Arc<OpShared> {
        self.0.take().expect("an APC runs once")
    }
}

impl Drop for RoutineOf {
    fn drop(&mut self) {
        if let Some(op) = &self.0 {
            // Dropped unrun: the routine goes too, outside the lock.
            drop(op.forget_routine());
        }
    }
}

/// The APC that runs a request's completion routine on the issuing thread, with the result
/// it publishes if the completion has not yet (R3). Small enough (32 bytes) to be stored
/// in the APC queue without an allocation. Once the routine has run, the request goes back
/// to its thread's pool if nothing else refers to it (R4).
struct RoutineApc {
    op: RoutineOf,
    result: Result<usize, IoError>,
}

impl RoutineApc {
    fn new(op: Arc<OpShared>, result: Result<usize, IoError>) -> Self {
        Self {
            op: RoutineOf(Some(op)),
            result,
        }
    }

    fn into_closure(self) -> impl FnOnce() + Send + 'static {
        let mut apc = self;
        move || {
            let op = apc.op.take();
            if let Some((routine, buffer)) = op.take_routine(apc.result) {
                routine.call(apc.result, buffer);
            }
            // This runs on the issuing thread, whose pool and list the request belongs to.
            retire(op);
        }
    }
}

/// The APC of a request its issuing thread completed itself (O2–O4): the request alone, its
/// result published in it. A word: stored in the APC queue without an allocation.
struct OwnRequestApc(RoutineOf);

impl OwnRequestApc {
    fn into_closure(self) -> impl FnOnce() + Send + 'static {
        let mut apc = self;
        move || {
            let mut op = apc.0.take();
            // O4: the routine out without the lock where nobody else can reach the
            // request any more (R5), in one hold of it otherwise.
            // SAFETY: the APC runs on the request's issuing thread (O1, O2); the borrow
            // only moves the routine and buffer out, running none of their code.
            let routine = match unsafe { sole(&mut op) } {
                Some(shared) => {
                    take_own_routine(shared.state.get_mut().unwrap_or_else(|e| e.into_inner()))
                }
                None => take_own_routine(&mut op.state()),
            };
            // This runs on the issuing thread, whose pool and list the request belongs to.
            // Kept warm while the routine runs (O4): the read the routine issues on the
            // same file is this request again, file and all.
            let _warm = keep_warm(op);
            if let Some((routine, buffer, result)) = routine {
                routine.call(result, buffer);
            }
        }
    }
}

/// The completion routines of requests a thread issued and completed itself (O1–O5).
///
/// (O1) Only the thread a routine request was issued on completes it this way: `me` is
///      that thread (set when it first issues a routine request), and a request whose
///      `routine_thread` is `me` is this thread's own.
/// (O2) Such a request goes to its routine in its own APC ([`OwnRequestApc`]), which holds
///      a reference to it (O4) and nothing else, so the APC queue's order
///      is the order of the routines. An APC the queue refuses (it is closed: the thread
///      is exiting) is dropped at once, and with it the routine, unrun (K121).
/// (O3) The APC is queued before anyone can see the request complete (J109): where the
///      completion's reference is the only one (R5: nobody else can look) the result is
///      published first, without the lock, and the APC queued after; otherwise the APC,
///      with a reference of its own, is queued first and the result published after, in
///      one hold of the lock. The APC runs only on this thread, in its alertable waits,
///      so it finds the result published either way.
/// (O4) Where the completion's reference is the only one (O3), the APC's is that
///      reference, the backend's (U1 of `uring.rs`), moved rather than copied; otherwise
///      the APC has one of its own. The APC takes the routine, the buffer and the result
///      out of the request (under its lock only if something else still refers to it,
///      R5) and, where nothing else refers to it, keeps it warm (R4) while the routine
///      runs, in place of a request an enclosing routine kept (which is retired): the
///      read the routine issues on the same file is this request again, its file's
///      reference included, instead of another from the pool and another reference; a
///      request still kept when the routine returns or unwinds is retired then (its file
///      released).
/// (O5) A pipe read or write with a routine that its issuing call finishes at once — the
///      first of its direction, its stream's queue empty, and kept so under the stream
///      lock while the call makes the attempt (`AsyncFile::submit_for`) — is never made a
///      request: its routine, its buffer and its result go into `ready` as one entry,
///      and its handle ([`Operation`]) keeps only its token and result. Each entry has
///      exactly one [`DoneAtIssueApc`] in the thread's APC queue, queued just before the
///      entry was pushed, and entries are pushed in the order their APCs were queued;
///      every such APC, run or dropped, pops exactly one entry, the oldest. Since the
///      queue runs and drops APCs in the order they were queued, each APC pops the entry
///      pushed with it. A refused APC is dropped at once, before its entry would be
///      pushed. The queue refuses only once closed, and closing drops every APC it holds,
///      each popping one entry: so a refused APC's pop finds `ready` empty, or (refused
///      while the close runs, from a routine's destructor) takes an entry whose own APC
///      is being dropped too and will find one fewer. Either way no entry of a closed
///      queue ever runs, and every one is dropped. No backend, list or cancel ever knew
///      such a request, and it is complete before anyone can look at it, as a request
///      completed at issue would be (J102, J104). One of the event or poll style (on a
///      file bound to no port) is not made a request either: its event is signaled, and
///      its handle keeps the buffer too, for `take_buffer`.
struct Own {
    /// This thread, once it issued a routine request (O1).
    me: OnceCell<ThreadHandle>,
    /// Pipe requests finished at issue, waiting for their APCs, oldest first (O5).
    ready: RefCell<VecDeque<DoneAtIssue>>,
}

/// A pipe request finished inside its issuing call, never made a request (O5).
struct DoneAtIssue {
    routine: Routine,
    buffer: Vec<u8>,
    result: Result<usize, IoError>,
}

thread_local! {
    static OWN: Own = const {
        Own {
            me: OnceCell::new(),
            ready: RefCell::new(VecDeque::new()),
        }
    };
}

/// Notes the calling thread's handle, the routine thread of a request it issues (O1).
fn remember_me(thread: &ThreadHandle) {
    let _ = OWN.try_with(|own| {
        if own.me.get().is_none() {
            let _ = own.me.set(thread.clone());
        }
    });
}

/// Whether `thread` is the calling thread, as far as routine requests go (O1): false on a
/// thread that never issued one, and during thread-local teardown.
fn is_me(thread: &ThreadHandle) -> bool {
    OWN.try_with(|own| own.me.get() == Some(thread))
        .unwrap_or(false)
}

/// Takes the oldest pipe request finished at issue (O5).
fn pop_done() -> Option<DoneAtIssue> {
    OWN.try_with(|own| own.ready.borrow_mut().pop_front())
        .ok()
        .flatten()
}

/// Completes `op`, a routine request of a regular file, with the backend's raw result, on
/// this thread if its routine thread is this one (O1–O4), taking it out of `op`; leaves it
/// there for the usual way if the request is another thread's.
fn complete_own(own: &Own, op: &mut Option<Arc<OpShared>>, raw: Result<usize, IoError>) {
    let Some(me) = own.me.get() else { return };
    let Some(mut op) = op.take_if(|op| op.routine_thread.as_ref() == Some(me)) else {
        return;
    };
    let result = op.final_result(raw);
    // SAFETY: this is the issuing thread (O1: its routine thread is `me`); the borrow only
    // publishes the result and takes the waiter out, running nothing of the caller's.
    let waiter = if let Some(shared) = unsafe { sole(&mut op) } {
        // O3: nobody else can see it complete before its APC is queued.
        let st = shared.state.get_mut().unwrap_or_else(|e| e.into_inner());
        let waiter = settle_in(shared.kind, &shared.complete, st, result);
        // O2: a refused APC drops the routine unrun (K121).
        let _ = me.queue_apc(OwnRequestApc(RoutineOf(Some(op))).into_closure());
        waiter
    } else {
        // O3: queued first; a refused one drops the routine unrun (O2), and the result is
        // published all the same.
        let _ = me.queue_apc(OwnRequestApc(RoutineOf(Some(op.clone()))).into_closure());
        settle_in(op.kind, &op.complete, &mut op.state(), result)
    };
    if let Some(waiter) = waiter {
        waiter.set();
    }
}

/// Queues the routine of a pipe request that its issuing call finished at once, and
/// returns the request's handle (O5): the routine gets `buffer` (after a read, cut to the
/// bytes read) and `result` in a later alertable wait of this thread, as if the request
/// had completed at issue (J104). A thread that can no longer run APCs (it is exiting)
/// drops the routine unrun (K121).
pub(crate) fn done_at_issue(
    kind: Kind,
    offset: u64,
    routine: Routine,
    mut buffer: Vec<u8>,
    result: Result<usize, IoError>,
) -> Operation {
    let len = buffer.len();
    keep_what_was_read(kind, &mut buffer, result);
    let _ = OWN.try_with(|own| {
        let me = own.me.get_or_init(alertable::current);
        // O5: queued first; on a refusal the routine is dropped here, unrun.
        if me.queue_apc(DoneAtIssueApc.into_closure()).is_ok() {
            own.ready.borrow_mut().push_back(DoneAtIssue {
                routine,
                buffer,
                result,
            });
        }
    });
    Operation::done(kind, offset, len, result, None)
}

/// The handle of a pipe request of the event or poll style that its issuing call finished
/// at once (O5): `event`, if any, is signaled, and the handle keeps `buffer` (after a read,
/// cut to the bytes read) for [`Operation::take_buffer`].
pub(crate) fn done_with_buffer(
    kind: Kind,
    offset: u64,
    mut buffer: Vec<u8>,
    result: Result<usize, IoError>,
    event: Option<Event>,
) -> Operation {
    let len = buffer.len();
    keep_what_was_read(kind, &mut buffer, result);
    if let Some(event) = event {
        event.set();
    }
    Operation::done(kind, offset, len, result, Some(buffer))
}

/// The APC of a pipe request finished at issue: runs the routine of the oldest entry of
/// the thread's list (O5). Dropped unrun (its thread exited), it drops that routine unrun
/// (K121). A unit: stored in the APC queue without an allocation.
struct DoneAtIssueApc;

impl DoneAtIssueApc {
    fn into_closure(self) -> impl FnOnce() + Send + 'static {
        move || {
            // Run, not dropped: its pop is this one (O5).
            std::mem::forget(self);
            if let Some(done) = pop_done() {
                done.routine.call(done.result, done.buffer);
            }
        }
    }
}

impl Drop for DoneAtIssueApc {
    fn drop(&mut self) {
        // Dropped unrun: its entry goes, and the routine's captures with it (O5).
        drop(pop_done());
    }
}

/// On the issuing thread, for a request refused after it was made (a pipe whose other end
/// turned out to be gone, P7 of `pipe.rs`): takes it off the thread's list and back into
/// the thread's pool (R4), dropping its routine unrun and notifying nothing, and returns
/// its buffer. The caller holds the only reference besides the list's weak one: the
/// request was never handed to a backend or completed.
pub(crate) fn withdraw(op: Arc<OpShared>) -> Vec<u8> {
    let buffer = op.take_buffer_for_io();
    retire(op);
    buffer
}

/// On the issuing thread, once the request is complete and its routine out of it: if
/// nothing else refers to it, empties it and keeps it for reuse, still named by its slot
/// of the thread's list of issued requests (R4); otherwise takes it off that list.
fn retire(mut op: Arc<OpShared>) {
    // R5: on the issuing thread, the only strong reference is all it takes (and a load
    // tells, where `Arc::get_mut` would take a read-modify-write).
    // SAFETY: `retire`'s callers run on the request's issuing thread (its routine's APC,
    // or `withdraw` as the thread refuses a request it made); the routine it may drop is
    // dropped only after the borrow ends.
    let Some(shared) = (unsafe { sole(&mut op) }) else {
        // Still referred to elsewhere: freed by its last holder.
        return unlist(&op);
    };
    // Emptied now, so the file closes, and the thread's handle and the port go, as soon
    // as they would if the request were freed.
    let file = shared.file.take();
    // R4: the thread's own handle stays, for its next routine request.
    if shared
        .routine_thread
        .as_ref()
        .is_some_and(|thread| !is_me(thread))
    {
        shared.routine_thread = None;
    }
    shared.port = None;
    let state = shared.state.get_mut().unwrap_or_else(|e| e.into_inner());
    state.buffer = None;
    // Moved out, and dropped once the request is no longer borrowed as its owner's: a
    // routine that never ran (a withdrawn request's) drops its captures, code of the
    // caller's that may reach the thread's list, and through it this request (R5).
    let notify = std::mem::replace(&mut state.notify, Notify::None);
    state.waiter = None;
    state.interrupt = None;
    let mut op = Some(op);
    let _ = SPARE.try_with(|spare| {
        if let Ok(mut spare) = spare.try_borrow_mut()
            && spare.len() < SPARES
        {
            spare.extend(op.take());
        }
    });
    drop(file);
    drop(notify);
    // Not kept (the pool is full, or gone during thread-local teardown): freed, and off
    // the list.
    if let Some(op) = op {
        unlist(&op);
    }
}

/// Takes the request off its thread's list of issued requests, if its slot names it.
fn unlist(op: &Arc<OpShared>) {
    let at = op.issued_at.load(Ordering::Relaxed);
    // During thread-local teardown the list is gone; nothing to do.
    let _ = ISSUED.try_with(|issued| {
        let (Ok(mut ops), Ok(mut free)) =
            (issued.ops.try_borrow_mut(), issued.free.try_borrow_mut())
        else {
            return;
        };
        // The slot may hold another request by now (pruning frees finished ones); this
        // request is alive, so its address names it alone.
        if slot_names(&ops, op) {
            ops[at] = None;
            free.push(at);
        }
    });
}

thread_local! {
    /// A request this thread completed itself, kept whole — its file included — from its
    /// routine's APC until the routine returns (O4): the request that routine issues on the
    /// same file, the usual chain, is this one again, refilled (R4). Empty outside such a
    /// routine; a nested routine's request takes the place of its enclosing one's.
    static WARM: Cell<Option<Arc<OpShared>>> = const { Cell::new(None) };
}

/// Keeps `op`, complete and out of its routine, warm for the routine about to run (O4), if
/// nothing else refers to it, retiring (R4) the request an enclosing routine kept there;
/// otherwise leaves it to its other holders. Returns what takes it back when the routine
/// is done. On the issuing thread only.
fn keep_warm(mut op: Arc<OpShared>) -> WarmGuard {
    // SAFETY: on the request's issuing thread (its own APC, O1); the borrow only tells.
    if unsafe { sole(&mut op) }.is_none() {
        // Still referred to elsewhere: freed by its last holder.
        unlist(&op);
        return WarmGuard(ptr::null());
    }
    let kept = Arc::as_ptr(&op);
    // An enclosing routine's request, kept before this nested one, is retired (its file
    // released as soon as it would have been), and this one kept instead: the file of the
    // routine about to run is the one its next read most likely names.
    let mut op = Some(op);
    if let Ok(Some(earlier)) = WARM.try_with(|warm| warm.replace(op.take())) {
        retire(earlier);
    }
    // The slot is gone (thread-local teardown): the usual way.
    if let Some(op) = op {
        retire(op);
    }
    WarmGuard(kept)
}

/// The warm request of this thread (O4), if it is one of `file`: taken out for reuse.
#[inline]
fn take_warm(file: &Arc<FileInner>) -> Option<Arc<OpShared>> {
    WARM.try_with(|warm| {
        let op = warm.take()?;
        if op.file.as_ref().is_some_and(|kept| Arc::ptr_eq(kept, file)) {
            Some(op)
        } else {
            warm.set(Some(op));
            None
        }
    })
    .ok()
    .flatten()
}

/// As a routine returns or unwinds: retires its request if it is still kept warm (the
/// routine issued nothing on that file), so that the file is released as soon as it would
/// have been (R4). Names the request it kept, if any.
struct WarmGuard(*const OpShared);

impl Drop for WarmGuard {
    fn drop(&mut self) {
        if self.0.is_null() {
            return;
        }
        let kept = WARM.try_with(|warm| {
            let op = warm.take();
            match op {
                Some(op) if ptr::eq(Arc::as_ptr(&op), self.0) => Some(op),
                other => {
                    warm.set(other);
                    None
                }
            }
        });
        if let Ok(Some(op)) = kept {
            retire(op);
        }
    }
}

impl fmt::Debug for OpShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            token,
            kind,
            offset,
            len,
            ..
        } = self;
        debug_request(f, (*token, *kind, *offset, *len), self.is_complete())
    }
}

/// How a request shows in `Debug` (as `Operation`): its token, kind, offset and length
/// asked for, and whether it is complete.
fn debug_request(
    f: &mut fmt::Formatter<'_>,
    (token, kind, offset, len): (usize, Kind, u64, usize),
    complete: bool,
) -> fmt::Result {
    f.debug_struct("Operation")
        .field("token", &token)
        .field("kind", &kind)
        .field("offset", &offset)
        .field("len", &len)
        .field("complete", &complete)
        .finish()
}

/// How a request stood when the call that issued it returned.
///
/// # Win32
///
/// Whether `ReadFile`/`WriteFile` returned `TRUE` (or, at the end of the file,
/// `ERROR_HANDLE_EOF`) — the request finished inside the call — or `FALSE` with
/// `ERROR_IO_PENDING`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueStatus {
    /// The request finished inside the call: its result was there, its event signaled,
    /// its packet posted and its routine queued (to run in a later alertable wait, J92)
    /// before the call returned. Reads of page-cached data of regular files (and at their
    /// end) finish so (J102), and writes where the file system takes a buffered write
    /// without blocking (XFS, btrfs; not ext4).
    Completed,
    /// The request was still in progress when the call returned: it completes later,
    /// through its style. Reads of pipes without data or of data that must come from the
    /// disk, most writes, and requests issued inside an APC (submitted together when the
    /// APCs are done, U5 of the io_uring backend) are.
    Pending,
}

/// An I/O request in flight or done: the handle its issuer keeps.
///
/// Every request gets one, whatever its completion style: it reports the result
/// ([`result`](Self::result)), can be waited for ([`wait`](Self::wait)) and cancelled
/// ([`cancel`](Self::cancel)). Dropping it neither waits for nor cancels the request.
///
/// # Win32
///
/// The `OVERLAPPED` structure of a request, with `GetOverlappedResult(Ex)`, `HasOverlappedIoCompleted`
/// and `CancelIoEx(file, &overlapped)`.
///
/// # Example
///
/// ```
/// use alertable_io::AsyncFile;
///
/// let path = std::env::temp_dir().join(format!("alertable-io-op-{}", std::process::id()));
/// std::fs::write(&path, b"hello")?;
/// let file = AsyncFile::open(&path)?;
/// let op = file.read(0, vec![0; 16])?;
/// assert_eq!(op.result(true), Ok(5));
/// assert_eq!(op.take_buffer().unwrap(), b"hello");
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Operation {
    handle: Handle,
}

/// What an [`Operation`] refers to.
enum Handle {
    /// A request. Dropped by hand (`Drop`), so that the last handle of a finished request
    /// gives it back to its thread's pool (R4).
    Request(ManuallyDrop<Arc<OpShared>>),
    /// A pipe request finished inside the call that issued it, never made a request (O5):
    /// all there is to know of it, and its buffer until taken back.
    Done {
        token: usize,
        kind: Kind,
        offset: u64,
        len: usize,
        result: Result<usize, IoError>,
        buffer: Mutex<Kept>,
    },
}

/// The buffer of a request finished inside its issuing call (O5), until taken back.
enum Kept {
    /// In this handle alone; `None` once taken, or where it went to a routine.
    Here(Option<Vec<u8>>),
    /// Shared with the handle's clones, since the first clone was made.
    Shared(Arc<Mutex<Option<Vec<u8>>>>),
}

impl Clone for Operation {
    /// Another handle to the same request. A clone of a handle that keeps its request's
    /// buffer (O5) moves the buffer where both can take it, once.
    fn clone(&self) -> Self {
        let handle = match &self.handle {
            Handle::Request(op) => Handle::Request(op.clone()),
            Handle::Done {
                token,
                kind,
                offset,
                len,
                result,
                buffer,
            } => {
                let mut kept = lock(buffer);
                let shared = match &mut *kept {
                    Kept::Shared(shared) => shared.clone(),
                    Kept::Here(here) => {
                        let shared = Arc::new(Mutex::new(here.take()));
                        *kept = Kept::Shared(shared.clone());
                        shared
                    }
                };
                Handle::Done {
                    token: *token,
                    kind: *kind,
                    offset: *offset,
                    len: *len,
                    result: *result,
                    buffer: Mutex::new(Kept::Shared(shared)),
                }
            }
        };
        Self { handle }
    }
}

impl Operation {
    pub(crate) fn new(op: Arc<OpShared>) -> Self {
        Self {
            handle: Handle::Request(ManuallyDrop::new(op)),
        }
    }

    /// The handle of a request finished inside its issuing call (O5), keeping `buffer`.
    fn done(
        kind: Kind,
        offset: u64,
        len: usize,
        result: Result<usize, IoError>,
        buffer: Option<Vec<u8>>,
    ) -> Self {
        Self {
            handle: Handle::Done {
                token: next_token(),
                kind,
                offset,
                len,
                result,
                buffer: Mutex::new(Kept::Here(buffer)),
            },
        }
    }

    /// The request, unless it finished inside its issuing call as O5 says.
    fn request(&self) -> Option<&Arc<OpShared>> {
        match &self.handle {
            Handle::Request(op) => Some(op),
            Handle::Done { .. } => None,
        }
    }

    /// [`OpShared::settle_issue`], by the issuing call, for the handle it returns.
    pub(crate) fn settle_issue(&self) {
        if let Some(op) = self.request() {
            op.settle_issue();
        }
    }
}

impl fmt::Debug for Operation {
    /// As its request's (which names itself `Operation`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.handle {
            Handle::Request(op) => fmt::Debug::fmt(&***op, f),
            Handle::Done {
                token,
                kind,
                offset,
                len,
                ..
            } => debug_request(f, (*token, *kind, *offset, *len), true),
        }
    }
}

impl Drop for Operation {
    /// A handle dropped while its request waits for the end of an APC drain gives its
    /// reference to the thread's list of deferred requests (L2 of `lend.rs`). The last
    /// handle of a complete request, dropped on the thread that issued it, gives
    /// the request back to that thread's pool (R4), as a routine request's completion does:
    /// a thread that issues requests, waits for each and drops its handle allocates no
    /// request (a wait that has to sleep makes an event to sleep on). Anywhere else the
    /// request is freed by its last holder.
    fn drop(&mut self) {
        let Handle::Request(op) = &mut self.handle else {
            return;
        };
        // SAFETY: the request is taken once, here, and `self` is not used after.
        let op = unsafe { ManuallyDrop::take(op) };
        // L2 of `lend.rs`: the thread's list of deferred requests takes this reference over.
        if op
            .lend
            .give(crate::lend::here(), Arc::strong_count(&op) == 1)
        {
            std::mem::forget(op);
            return;
        }
        if Arc::strong_count(&op) == 1 && op.is_complete() && issued_here(&op) {
            retire(op);
        }
    }
}

impl Operation {
    /// The request's token: unique in this process, and the `token` of its completion
    /// packet.
    ///
    /// # Win32
    ///
    /// The `LPOVERLAPPED` a completion packet carries.
    pub fn token(&self) -> usize {
        match &self.handle {
            Handle::Request(op) => op.token,
            Handle::Done { token, .. } => *token,
        }
    }

    /// Whether the request finished inside the call that issued it ([`IssueStatus`]); the
    /// answer never changes.
    ///
    /// # Win32
    ///
    /// `ReadFile`/`WriteFile` returning `TRUE` rather than `ERROR_IO_PENDING`.
    pub fn issue_status(&self) -> IssueStatus {
        if self
            .request()
            .is_none_or(|op| op.completed_at_issue.load(Ordering::Relaxed))
        {
            IssueStatus::Completed
        } else {
            IssueStatus::Pending
        }
    }

    /// Whether the request is complete.
    ///
    /// # Win32
    ///
    /// `HasOverlappedIoCompleted`.
    pub fn is_complete(&self) -> bool {
        self.incomplete_needs_backend();
        self.request().is_none_or(|op| op.is_complete())
    }

    /// A request held by its issuing thread (`held.rs`) completes only while that thread
    /// waits in the library; whoever looks at it from outside such a wait — polling it,
    /// or waiting for it on another thread — needs the backend to complete it.
    fn incomplete_needs_backend(&self) {
        if let Some(op) = self.request()
            && op.hold.is_held()
            && !op.is_complete()
        {
            crate::held::give_up(op);
        }
    }

    /// The number of bytes transferred, once the request is complete; with `wait`, blocks
    /// (not alertably) until it is.
    ///
    /// # Errors
    ///
    /// The error the request failed with ([`IoError::EndOfFile`] for a read at or beyond
    /// the end of the file, [`IoError::Aborted`] if cancelled, …), or
    /// [`IoError::Incomplete`] if it is still in progress and `wait` is false (J114).
    ///
    /// # Win32
    ///
    /// `GetOverlappedResult(file, &overlapped, &bytes, wait)`.
    pub fn result(&self, wait: bool) -> Result<usize, IoError> {
        let op = match &self.handle {
            Handle::Request(op) => op,
            Handle::Done { result, .. } => return *result,
        };
        if !wait {
            self.incomplete_needs_backend();
        } else if !op.is_complete() {
            // Cannot fail: one object, no timeout, not alertable.
            let _ = self.wait(None, Alertable::No);
        }
        op.state().result.unwrap_or(Err(IoError::Incomplete))
    }

    /// Waits until the request is complete, `timeout` passes, or (if `alertable`) APCs
    /// run — an alertable wait like [`alertable::wait_one`], and with its outcomes:
    /// `Signaled(0)` once complete.
    ///
    /// # Errors
    ///
    /// None in practice; the type is [`alertable::wait_one`]'s.
    ///
    /// # Win32
    ///
    /// The wait of `GetOverlappedResultEx(file, &overlapped, &bytes, timeout, alertable)`.
    pub fn wait(
        &self,
        timeout: Option<Duration>,
        alertable: Alertable,
    ) -> Result<WaitStatus, WaitError> {
        let Some(op) = self.request() else {
            return Ok(WaitStatus::Signaled(0));
        };
        // Its own thread's wait watches a request it holds, if it sleeps; another
        // thread's does not, nor a wait that only looks.
        if timeout == Some(Duration::ZERO) || !crate::held::is_mine(op) {
            self.incomplete_needs_backend();
        }
        let event = {
            let mut st = op.state();
            if st.result.is_some() {
                return Ok(WaitStatus::Signaled(0));
            }
            st.waiter
                .get_or_insert_with(|| Event::new(EventReset::Manual, false))
                .clone()
        };
        alertable::wait_one(&event, timeout, alertable)
    }

    /// Takes the request's buffer back once it is complete: after a read it holds exactly
    /// the bytes read. `None` while the request is in flight, and when the buffer went to a
    /// completion routine, into a completion packet, or was taken before.
    pub fn take_buffer(&self) -> Option<Vec<u8>> {
        let op = match &self.handle {
            Handle::Request(op) => op,
            Handle::Done { buffer, .. } => {
                let mut kept = lock(buffer);
                return match &mut *kept {
                    Kept::Here(here) => here.take(),
                    Kept::Shared(shared) => lock(shared).take(),
                };
            }
        };
        let mut st = op.state();
        if st.result.is_none() || matches!(st.notify, Notify::Routine(_)) {
            return None;
        }
        st.buffer.take()
    }

    /// Cancels this request: it completes (through its completion style, as ever) with
    /// [`IoError::Aborted`], unless it completes normally first.
    ///
    /// # Errors
    ///
    /// [`IoError::NotFound`] if the request is already complete, or was cancelled before
    /// (K116: a request is cancelled once).
    ///
    /// # Win32
    ///
    /// `CancelIoEx(file, &overlapped)`.
    pub fn cancel(&self) -> Result<(), IoError> {
        if self.request().is_some_and(|op| op.request_cancel()) {
            Ok(())
        } else {
            Err(IoError::NotFound)
        }
    }
}

/// The requests the calling thread issued, so that `cancel_io` finds them and thread exit
/// cancels them (K121). Weak references: a finished request is not kept alive by this.
/// A slot is emptied when the request's routine has run (`retire`), or by pruning once
/// the request is finished; emptied slots are reused.
struct Issued {
    ops: RefCell<Vec<Option<Weak<OpShared>>>>,
    /// The empty slots of `ops`.
    free: RefCell<Vec<usize>>,
    /// Prune finished entries when this many slots are in use and none is free.
    prune_at: Cell<usize>,
}

impl Drop for Issued {
    fn drop(&mut self) {
        for op in self.ops.take().iter().flatten().filter_map(Weak::upgrade) {
            // R4: no slot names it any more, pooled or kept warm ones included: a request
            // reused later in the thread's teardown is not taken for a recorded one.
            op.recorded.store(false, Ordering::Relaxed);
            if op.is_in_flight() {
                op.orphan();
            }
        }
    }
}

thread_local! {
    static ISSUED: Issued = const {
        Issued {
            ops: RefCell::new(Vec::new()),
            free: RefCell::new(Vec::new()),
            prune_at: Cell::new(64),
        }
    };
}

/// Records a request the calling thread issued.
#[inline]
pub(crate) fn record_issued(op: &Arc<OpShared>) {
    // A request from the thread's pool whose slot still names it (R4): nothing to do.
    if op.recorded.load(Ordering::Relaxed) {
        debug_assert!(listed_here(op), "R4: recorded only while its slot names it");
        return;
    }
    record_in_list(op);
}

/// [`record_issued`] for a request its thread's list does not name yet.
#[inline(never)]
fn record_in_list(op: &Arc<OpShared>) {
    // During thread-local teardown there is no list: the request then simply is not
    // cancelled by `cancel_io` or exit.
    let _ = ISSUED.try_with(|issued| {
        let mut ops = issued.ops.borrow_mut();
        // A request from the thread's pool is still named by its slot (R4): no new weak
        // reference to make.
        if slot_names(&ops, op) {
            op.recorded.store(true, Ordering::Relaxed);
            return;
        }
        let mut free = issued.free.borrow_mut();
        if free.is_empty() && ops.len() >= issued.prune_at.get() {
            for (at, slot) in ops.iter_mut().enumerate() {
                let finished = slot.as_ref().is_some_and(|op| {
                    op.upgrade().is_none_or(|op| {
                        // A request waiting in the pool, no longer named (R4).
                        let finished = !op.is_in_flight();
                        if finished {
                            op.recorded.store(false, Ordering::Relaxed);
                        }
                        finished
                    })
                });
                if finished {
                    *slot = None;
                    free.push(at);
                }
            }
            issued.prune_at.set(((ops.len() - free.len()) * 2).max(64));
        }
        let at = free.pop().unwrap_or_else(|| {
            ops.push(None);
            ops.len() - 1
        });
        ops[at] = Some(Arc::downgrade(op));
        op.issued_at.store(at, Ordering::Relaxed);
        op.recorded.store(true, Ordering::Relaxed);
    });
}

/// Cancels the calling thread's requests on `file` that are still in flight.
pub(crate) fn cancel_issued_on(file: &Arc<FileInner>) {
    let pending: Vec<_> = ISSUED
        .try_with(|issued| {
            issued
                .ops
                .borrow()
                .iter()
                .flatten()
                .filter_map(Weak::upgrade)
                .filter(|op| {
                    op.is_in_flight() && op.file.as_ref().is_some_and(|f| Arc::ptr_eq(f, file))
                })
                .collect()
        })
        .unwrap_or_default();
    for op in pending {
        op.request_cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small file, open, with the directory that holds it (gone when dropped).
    fn a_file() -> (tempfile::TempDir, Arc<FileInner>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"abcd").unwrap();
        let file = crate::AsyncFile::open(&path).unwrap().inner().clone();
        (dir, file)
    }

    /// R4, O4: a nested routine's request takes the place of the one its enclosing routine
    /// kept, which is retired at once (its file released, as it was before requests were
    /// kept); each routine's guard takes back only its own request.
    #[test]
    fn a_nested_routines_request_takes_the_kept_ones_place() {
        let (_dir, file) = a_file();
        let request = || {
            OpShared::new(
                &file,
                Kind::Read,
                0,
                vec![0; 4],
                Notify::None,
                RoutineThread::None,
            )
        };
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let (outer, inner) = (request(), request());
                let inner_at = Arc::as_ptr(&inner);
                assert_eq!(Arc::strong_count(&file), 3, "the test's and each request's");
                let outer_guard = keep_warm(outer);
                let inner_guard = keep_warm(inner);
                assert_eq!(Arc::strong_count(&file), 2, "the enclosing request let go");
                let kept = WARM.with(Cell::take).expect("the nested request is kept");
                assert!(ptr::eq(Arc::as_ptr(&kept), inner_at));
                WARM.with(|warm| warm.set(Some(kept)));
                drop(outer_guard);
                assert_eq!(
                    Arc::strong_count(&file),
                    2,
                    "not the enclosing guard's to take"
                );
                drop(inner_guard);
                assert_eq!(
                    Arc::strong_count(&file),
                    1,
                    "nothing kept once both are done"
                );
            });
        });
    }

    /// R4: a kept request whose slot in the thread's list was pruned meanwhile (pruning
    /// takes the slots of requests not in flight) stops counting as recorded, and is
    /// listed again, in a slot of its own, when it is reused.
    #[test]
    fn a_kept_request_pruned_from_the_list_is_listed_again_when_reused() {
        let (_dir, file) = a_file();
        let routine = || Notify::Routine(Routine::new(|_, _| {}));
        let request = |notify, routine_thread| {
            let op = OpShared::new(&file, Kind::Read, 0, vec![0; 4], notify, routine_thread);
            record_issued(&op);
            op
        };
        std::thread::scope(|scope| {
            scope.spawn(|| {
                // A complete routine request, kept for its running routine (O4).
                let kept = request(routine(), RoutineThread::Current);
                kept.complete.store(true, Ordering::Release);
                let kept_at = Arc::as_ptr(&kept);
                let guard = keep_warm(kept);
                // Enough requests in flight that one of them prunes the list.
                let in_flight: Vec<_> = (0..70)
                    .map(|_| request(Notify::None, RoutineThread::None))
                    .collect();
                let kept = WARM.with(Cell::take).expect("still kept");
                assert!(ptr::eq(Arc::as_ptr(&kept), kept_at));
                assert!(
                    !kept.recorded.load(Ordering::Relaxed) && !issued_here(&kept),
                    "pruned: no slot names it"
                );
                WARM.with(|warm| warm.set(Some(kept)));
                // Reused: listed again.
                let reused = request(routine(), RoutineThread::Current);
                assert!(
                    ptr::eq(Arc::as_ptr(&reused), kept_at),
                    "the kept one, reused"
                );
                assert!(reused.recorded.load(Ordering::Relaxed));
                assert!(issued_here(&reused), "listed again");
                drop((guard, in_flight, reused));
            });
        });
    }

    /// R4, K121: the thread's list of issued requests goes before its pool in the thread's
    /// teardown (it was first used after it). A pooled request reused after the list has
    /// gone — by a destructor that issues I/O — is on no list, and is not taken for a
    /// recorded one: the thread's exit does not cancel it, and the backend submits it as
    /// one that outlives the thread.
    #[test]
    fn a_request_reused_after_the_list_is_gone_counts_as_unrecorded() {
        struct Probe {
            file: Arc<FileInner>,
            told: std::sync::mpsc::Sender<(bool, bool)>,
        }
        impl Drop for Probe {
            fn drop(&mut self) {
                let op = OpShared::new(
                    &self.file,
                    Kind::Read,
                    0,
                    vec![0; 4],
                    Notify::None,
                    RoutineThread::None,
                );
                record_issued(&op);
                let pooled = op.issued_at.load(Ordering::Relaxed) != usize::MAX;
                let _ = self.told.send((pooled, op.cancelled_at_exit()));
            }
        }
        thread_local! {
            static PROBE: RefCell<Option<Probe>> = const { RefCell::new(None) };
        }
        let (_dir, file) = a_file();
        let (told, heard) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // First uses, in this order: the pool, the probe, the list. Teardown runs
            // their destructors the other way round: the list, the probe, the pool.
            let _ = SPARE.with(|spare| spare.borrow().len());
            PROBE.with(|probe| {
                *probe.borrow_mut() = Some(Probe {
                    file: file.clone(),
                    told,
                });
            });
            // A recorded request, back in the pool with its slot (R4).
            let op = OpShared::new(
                &file,
                Kind::Read,
                0,
                vec![0; 4],
                Notify::None,
                RoutineThread::None,
            );
            record_issued(&op);
            assert!(op.recorded.load(Ordering::Relaxed));
            retire(op);
            assert_eq!(SPARE.with(|spare| spare.borrow().len()), 1);
        })
        .join()
        .unwrap();
        let (pooled, cancelled_at_exit) = heard.recv().unwrap();
        assert!(pooled, "the probe reused the pooled request");
        assert!(
            !cancelled_at_exit,
            "a request on no list was taken for a recorded one"
        );
    }
}
