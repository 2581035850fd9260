//! Overlapped requests: how a C caller's `OVERLAPPED` and buffer map onto `alertable-io`.
//!
//! `alertable-io` requests own their buffers (so a cancelled request can never leave the
//! kernel writing into freed memory) and identify themselves by a token. A C caller owns
//! its buffer and its `OVERLAPPED`, and must keep both alive until the request completes.
//! This module bridges the two:
//!
//! - (O1) **Buffers are copied.** A write copies the caller's bytes into a buffer of its own
//!   when it is issued; a read is issued with a zeroed buffer of the requested length, and
//!   the bytes read are copied into the caller's buffer when the request completes.
//! - (O2) **Completion is relayed.** Every file opened with `FILE_FLAG_OVERLAPPED` is bound
//!   to one process-wide *relay* port, served by one thread. When a request completes, that
//!   thread copies the bytes read into the caller's buffer, writes the result into the
//!   `OVERLAPPED` (`InternalHigh`: the bytes transferred; `Internal`: the status, an
//!   `NTSTATUS`, as on Windows), and only then tells the caller, in the order Windows does:
//!   the file handle and the request's own waiters, `hEvent`, the completion routine (an APC
//!   queued to the issuing thread), the packet on the caller's completion port. So whatever
//!   the caller learns completion from — its event, its routine, its packet,
//!   `GetOverlappedResult`, `HasOverlappedIoCompleted` — the buffer and the `OVERLAPPED`
//!   already hold the result, and the library never touches either again. That is what the
//!   C contract allows: the caller may not use the buffer or the `OVERLAPPED` until then.
//! - (O3) **Tokens map back to `OVERLAPPED`s.** The relay finds a request by its token in one
//!   table; the packet it posts on the caller's port carries the `OVERLAPPED` pointer
//!   itself, as `PostQueuedCompletionStatus` packets carry the caller's pointer verbatim,
//!   so `GetQueuedCompletionStatus` returns either unchanged.
//! - (O4) **A request is in the table before the relay can look for it.** The table lock is
//!   held from submitting a request to `alertable-io` until its record is in the table
//!   (and the `OVERLAPPED` says `STATUS_PENDING`), so a request that completes at once waits
//!   for its record; `alertable-io` never calls back into this crate while submitting.
//! - (O5) **Thread exit.** `alertable-io` cancels a thread's requests when it exits unless
//!   they complete to a port without an event; the relay port would make every request look
//!   like that, so requests that Windows cancels at thread exit — those with an `hEvent`, a
//!   completion routine, or on a file bound to no port (K121) — are issued with a private
//!   event nobody waits on, and only requests on a file bound to a caller's port without an
//!   `hEvent` outlive their thread.
//! - (O6) **Thread exit waits for those requests.** Windows' thread rundown cancels them and
//!   waits until they are complete, so once the thread's handle is signaled their
//!   `OVERLAPPED`s hold `STATUS_CANCELLED` (or their result, had they finished), their
//!   events are set, and the caller may reuse or free them (the `OVERLAPPED` is often on
//!   the exited thread's stack). [`run_down`] does that: it cancels the calling thread's
//!   requests of that kind and waits until the relay has reported each (O2). A thread made
//!   by `CreateThread` runs it when its entry point returns and before `ExitThread` ends
//!   it; any other thread runs it in a thread-local destructor registered when it issues
//!   its first request (before the core library's, so before its handle is signaled).
//!   Their routines stay queued to the exiting thread, whose queue is then closed: they
//!   never run (K121). A request's record stays in the table until the relay has
//!   finished reporting it, so an exiting thread also waits for one the relay is busy
//!   with. `ExitProcess` skips the wait: the process is ending.
//! - (O7) **Data at hand finishes inside the call.** A request that `alertable-io` finished
//!   before the issuing call returned (a page-cached read, a read at the end of the file:
//!   J102) is recorded so before the relay can see it (O4), and the issuing call waits
//!   until the relay has reported it (O2): so when `ReadFile`/`WriteFile` return `TRUE`
//!   (or `ReadFile` fails with `ERROR_HANDLE_EOF`) and `ReadFileEx`/`WriteFileEx` return,
//!   the buffer and the `OVERLAPPED` hold the result, the event is set, the routine is
//!   queued and the packet posted — except that a request which failed inside the call
//!   posts no packet, as the call itself reports the failure. A `ConnectNamedPipe` is never
//!   finished inside the call: a client that was there already makes the call fail with
//!   `ERROR_PIPE_CONNECTED` before anything is issued, and one that connects during the
//!   call completes the request as pending.
//! - (O8) **A message read in part** (`ERROR_MORE_DATA`, `STATUS_BUFFER_OVERFLOW`) delivers
//!   the part like a success: the bytes go to the caller's buffer and `InternalHigh` holds
//!   their number, which `GetOverlappedResult` and the routine report with the error.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use alertable::{Event, EventReset, ThreadHandle};
use alertable_io::{
    AsyncFile, CompletionPacket, CompletionPort, IoError, IssueStatus, NamedPipe, Operation,
};

use crate::callback;
use crate::consts::{
    ERROR_ACCESS_DENIED, ERROR_BROKEN_PIPE, ERROR_DISK_FULL, ERROR_FILE_NOT_FOUND,
    ERROR_GEN_FAILURE, ERROR_HANDLE_EOF, ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER,
    ERROR_MORE_DATA, ERROR_NOT_ENOUGH_MEMORY, ERROR_NOT_FOUND, ERROR_NOT_SUPPORTED,
    ERROR_OPERATION_ABORTED, ERROR_SUCCESS, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, STATUS_PENDING,
};
use crate::error::{Error, Result};
use crate::fileapi::file::FileObject;
use crate::types::{DWORD, HANDLE, LPOVERLAPPED};

// ---------------------------------------------------------------------------------------
// Statuses.

/// `STATUS_SUCCESS`.
const STATUS_SUCCESS: u32 = 0;
/// `NTSTATUS` values and the Win32 errors `RtlNtStatusToDosError` maps them to, for the
/// results a request can have here.
const STATUSES: [(u32, DWORD); 13] = [
    (0x8000_0005, ERROR_MORE_DATA),         // STATUS_BUFFER_OVERFLOW
    (0xC000_0001, ERROR_GEN_FAILURE),       // STATUS_UNSUCCESSFUL
    (0xC000_0008, ERROR_INVALID_HANDLE),    // STATUS_INVALID_HANDLE
    (0xC000_000D, ERROR_INVALID_PARAMETER), // STATUS_INVALID_PARAMETER
    (0xC000_0011, ERROR_HANDLE_EOF),        // STATUS_END_OF_FILE
    (0xC000_0017, ERROR_NOT_ENOUGH_MEMORY), // STATUS_NO_MEMORY
    (0xC000_0022, ERROR_ACCESS_DENIED),     // STATUS_ACCESS_DENIED
    (0xC000_0034, ERROR_FILE_NOT_FOUND),    // STATUS_OBJECT_NAME_NOT_FOUND
    (0xC000_007F, ERROR_DISK_FULL),         // STATUS_DISK_FULL
    (0xC000_00BB, ERROR_NOT_SUPPORTED),     // STATUS_NOT_SUPPORTED
    (0xC000_0120, ERROR_OPERATION_ABORTED), // STATUS_CANCELLED
    (0xC000_014B, ERROR_BROKEN_PIPE),       // STATUS_PIPE_BROKEN
    (0xC000_0225, ERROR_NOT_FOUND),         // STATUS_NOT_FOUND
];
/// `NTSTATUS` values of the form `0xC007xxxx` (and `0x8007xxxx`) carry a Win32 error in their
/// low 16 bits (`FACILITY_NTWIN32`); used for errors without a status of their own.
const FACILITY_NTWIN32_ERROR: u32 = 0xC007_0000;
/// What `RtlNtStatusToDosError` gives for a status it does not know:
/// `ERROR_MR_MID_NOT_FOUND` (317).
const UNKNOWN_STATUS_ERROR: DWORD = 317;

/// The `NTSTATUS` for a Win32 error code (0 for `ERROR_SUCCESS`).
pub(crate) fn status_of_error(error: DWORD) -> u32 {
    if error == ERROR_SUCCESS {
        return STATUS_SUCCESS;
    }
    STATUSES
        .iter()
        .find(|(_, e)| *e == error)
        .map_or(FACILITY_NTWIN32_ERROR | (error & 0xFFFF), |(s, _)| *s)
}

/// The Win32 error code for an `NTSTATUS`, as `RtlNtStatusToDosError` gives it for the
/// statuses this library produces.
pub(crate) fn error_of_status(status: u32) -> DWORD {
    if status == STATUS_SUCCESS {
        return ERROR_SUCCESS;
    }
    if let Some((_, error)) = STATUSES.iter().find(|(s, _)| *s == status) {
        return *error;
    }
    match status & 0xFFFF_0000 {
        0xC007_0000 | 0x8007_0000 => status & 0xFFFF,
        _ => UNKNOWN_STATUS_ERROR,
    }
}

/// The `NTSTATUS` of a request's result.
pub(crate) fn status_of(result: &core::result::Result<usize, IoError>) -> u32 {
    match result {
        Ok(_) => STATUS_SUCCESS,
        Err(e) => status_of_error(e.win32_error()),
    }
}

// ---------------------------------------------------------------------------------------
// The caller's memory.

/// A caller's `OVERLAPPED`: the library reads its offset and event and writes its result
/// fields, nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OverlappedRef(LPOVERLAPPED);

// SAFETY: the pointer is only dereferenced under the C caller's guarantee that the
// `OVERLAPPED` lives, unused by it, until its request completes, whichever thread relays
// the completion; the result fields are accessed atomically.
unsafe impl Send for OverlappedRef {}
// SAFETY: as for `Send`: shared references only read the pointer value.
unsafe impl Sync for OverlappedRef {}

impl OverlappedRef {
    /// The `OVERLAPPED` at `ov`, which must not be `NULL`.
    pub(crate) fn new(ov: LPOVERLAPPED) -> Self {
        Self(ov)
    }

    /// Its address: what requests are found by.
    pub(crate) fn addr(self) -> usize {
        self.0.addr()
    }

    /// The pointer, for a completion routine or a completion packet.
    pub(crate) fn as_ptr(self) -> LPOVERLAPPED {
        self.0
    }

    /// The file offset, `Offset` and `OffsetHigh`.
    ///
    /// # Safety
    ///
    /// The `OVERLAPPED` is valid for reading.
    pub(crate) unsafe fn offset(self) -> u64 {
        // SAFETY: the caller guarantees a readable OVERLAPPED; the offset halves are plain
        // integers, valid for every bit pattern.
        let parts = unsafe { (*self.0).DUMMYUNIONNAME.DUMMYSTRUCTNAME };
        u64::from(parts.OffsetHigh) << 32 | u64::from(parts.Offset)
    }

    /// The `hEvent` member.
    ///
    /// # Safety
    ///
    /// The `OVERLAPPED` is valid for reading.
    pub(crate) unsafe fn event(self) -> HANDLE {
        // SAFETY: the caller guarantees a readable OVERLAPPED.
        unsafe { (*self.0).hEvent }
    }

    /// `Internal` and `InternalHigh`: the status and the bytes transferred.
    ///
    /// # Safety
    ///
    /// The `OVERLAPPED` is valid for reading and aligned.
    pub(crate) unsafe fn result(self) -> (usize, usize) {
        // SAFETY: the caller guarantees an aligned, readable OVERLAPPED; the relay thread
        // may write these fields concurrently, so they are read atomically: `Internal`
        // first, with acquire, pairing with the release store in `set_result`.
        unsafe {
            let status = AtomicUsize::from_ptr(&raw mut (*self.0).Internal).load(Ordering::Acquire);
            let bytes =
                AtomicUsize::from_ptr(&raw mut (*self.0).InternalHigh).load(Ordering::Relaxed);
            (status, bytes)
        }
    }

    /// Marks the request in progress: `Internal = STATUS_PENDING`, `InternalHigh = 0`.
    ///
    /// # Safety
    ///
    /// The `OVERLAPPED` is valid for writing and aligned.
    pub(crate) unsafe fn set_pending(self) {
        // SAFETY: as `set_result`.
        unsafe { self.set_result(STATUS_PENDING, 0) };
    }

    /// Records a request's result: `InternalHigh = bytes`, then `Internal = status`, with
    /// release ordering, so a thread that sees the status also sees the bytes and the data.
    ///
    /// # Safety
    ///
    /// The `OVERLAPPED` is valid for writing and aligned.
    pub(crate) unsafe fn set_result(self, status: u32, bytes: usize) {
        // SAFETY: the caller guarantees an aligned, writable OVERLAPPED; other threads may
        // read these fields meanwhile, so they are written atomically.
        unsafe {
            AtomicUsize::from_ptr(&raw mut (*self.0).InternalHigh).store(bytes, Ordering::Relaxed);
            AtomicUsize::from_ptr(&raw mut (*self.0).Internal)
                .store(status as usize, Ordering::Release);
        }
    }
}

/// The caller's buffer a read's bytes go to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Destination {
    buffer: *mut u8,
    len: usize,
}

// SAFETY: the pointer is only written through under the C caller's guarantee that the
// buffer lives, unused by it, until its request completes, whichever thread relays it.
unsafe impl Send for Destination {}
// SAFETY: as for `Send`: shared references only read the pointer value.
unsafe impl Sync for Destination {}

impl Destination {
    /// The caller's buffer at `buffer`, `len` bytes long.
    pub(crate) fn new(buffer: *mut u8, len: usize) -> Self {
        Self { buffer, len }
    }

    /// Copies `bytes` (at most the destination's length) into the caller's buffer.
    ///
    /// # Safety
    ///
    /// The caller's buffer is valid for writing `len` bytes.
    pub(crate) unsafe fn fill(self, bytes: &[u8]) {
        let n = bytes.len().min(self.len);
        if n == 0 {
            return;
        }
        // SAFETY: `n` ≤ `len` bytes are writable per the caller; `bytes` is the request's own
        // buffer, so the two do not overlap.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.buffer, n) };
    }
}

// ---------------------------------------------------------------------------------------
// Requests.

/// A completion routine and the thread it runs on.
pub(crate) struct Routine {
    /// The C routine.
    pub(crate) routine: unsafe extern "C-unwind" fn(DWORD, DWORD, LPOVERLAPPED),
    /// The thread that issued the request.
    pub(crate) thread: ThreadHandle,
}

/// How a request reports completion besides its `OVERLAPPED`.
pub(crate) struct Notify {
    /// The caller's `hEvent`.
    pub(crate) event: Option<Event>,
    /// The completion routine of `ReadFileEx`/`WriteFileEx`.
    pub(crate) routine: Option<Routine>,
    /// The caller's completion port and key.
    pub(crate) port: Option<(CompletionPort, usize)>,
}

/// One request issued through the C ABI and not yet relayed.
pub(crate) struct Request {
    token: usize,
    overlapped: OverlappedRef,
    destination: Option<Destination>,
    notify: Notify,
    file: Arc<FileObject>,
    /// The thread that issued it ([`thread_key`]), for `CancelIo`.
    thread: u64,
    /// Whether it outlives that thread (O5); if not, the thread's exit waits for it (O6).
    outlives_thread: bool,
    operation: Operation,
    /// Finished before the call that issued it returned (J102): set before the record is
    /// in the table, so the relay sees it (O4, O7).
    completed_at_issue: bool,
    /// Set once the request is relayed: the `OVERLAPPED` holds its result, and its event,
    /// routine and packet are on their way (O2, O6).
    done: Event,
}

impl Request {
    /// The `OVERLAPPED` it was issued with.
    pub(crate) fn overlapped(&self) -> OverlappedRef {
        self.overlapped
    }

    /// Its token.
    pub(crate) fn token(&self) -> usize {
        self.token
    }

    /// The thread that issued it ([`thread_key`]).
    pub(crate) fn thread(&self) -> u64 {
        self.thread
    }

    /// Signaled once the `OVERLAPPED` holds the result and the request's event is set.
    pub(crate) fn done(&self) -> &Event {
        &self.done
    }

    /// Whether it finished before the call that issued it returned (O7).
    pub(crate) fn completed_at_issue(&self) -> bool {
        self.completed_at_issue
    }

    /// For a request that finished at issue: waits (not alertably) until the relay has
    /// reported it (O2, O7), and returns its result as the `OVERLAPPED` holds it: the bytes
    /// transferred, or the Win32 error.
    pub(crate) fn wait_relayed(&self) -> (core::result::Result<usize, DWORD>, usize) {
        // Cannot fail: one object, no timeout, not alertable.
        let _ = alertable::wait_one(&self.done, None, alertable::Alertable::No);
        // SAFETY: the caller keeps the `OVERLAPPED` alive until the request completes, and
        // it is complete; the relay has written it.
        let (status, bytes) = unsafe { self.overlapped.result() };
        let result = match error_of_status(status as u32) {
            ERROR_SUCCESS => Ok(bytes),
            error => Err(error),
        };
        (result, bytes)
    }

    /// Asks for the request to end with `ERROR_OPERATION_ABORTED`; false if it was asked
    /// before or has completed already.
    pub(crate) fn cancel(&self) -> bool {
        // `alertable-io` cancels a request once (K116).
        self.operation.cancel().is_ok()
    }

    /// Relays the completion (O2). Runs on the relay thread.
    fn finish(&self, result: core::result::Result<usize, IoError>, buffer: Option<Vec<u8>>) {
        // A message read in part (ERROR_MORE_DATA) delivers its part.
        let bytes = match result {
            Ok(n) | Err(IoError::MoreData(n)) => n,
            Err(_) => 0,
        };
        if let (true, Some(destination), Some(buffer)) = (bytes > 0, self.destination, &buffer) {
            // SAFETY: the C caller keeps its buffer alive and unused until the request
            // completes, which it cannot see before the `OVERLAPPED` is written below.
            unsafe { destination.fill(buffer) };
        }
        drop(buffer);
        // SAFETY: the C caller keeps its `OVERLAPPED` alive and aligned until completion.
        unsafe { self.overlapped.set_result(status_of(&result), bytes) };
        let succeeded_at_issue = self.completed_at_issue && result.is_ok();
        self.file.relayed(self, succeeded_at_issue);
        if let Some(event) = &self.notify.event {
            event.set();
        }
        if let Some(Routine { routine, thread }) = &self.notify.routine {
            let routine = *routine;
            let error = match result {
                Ok(_) => ERROR_SUCCESS,
                Err(e) => e.win32_error(),
            };
            let bytes = DWORD::try_from(bytes).unwrap_or(DWORD::MAX);
            let overlapped = self.overlapped;
            // A thread that has exited refuses the APC: its routine never runs (K121).
            let _ = thread.queue_apc(move || {
                callback::run(|| {
                    // SAFETY: `ReadFileEx`/`WriteFileEx`'s caller vouched for the routine
                    // on the issuing thread, where this APC runs; the pointer is theirs.
                    unsafe { routine(error, bytes, overlapped.as_ptr()) }
                });
            });
        }
        // A request that failed inside the issuing call failed that call (`ReadFile` at the
        // end of the file): Windows posts no packet for it (O7).
        let failed_at_issue = self.completed_at_issue && result.is_err();
        let skipped = succeeded_at_issue && self.file.skips(FILE_SKIP_COMPLETION_PORT_ON_SUCCESS);
        let posted = !failed_at_issue && !skipped;
        if let Some((port, key)) = self.notify.port.as_ref().filter(|_| posted) {
            // A closed port drops the packet, as a port whose handles are all closed does.
            let token = self.overlapped.as_ptr().expose_provenance();
            let _ = port.post(CompletionPacket::new(*key, token, result));
        }
        // Last: a thread's exit waits for this (O6), and its waiters expect all of the above.
        self.done.set();
    }
}

/// Requests by token (O3, O4).
static REQUESTS: Mutex<BTreeMap<usize, Arc<Request>>> = Mutex::new(BTreeMap::new());

fn requests() -> MutexGuard<'static, BTreeMap<usize, Arc<Request>>> {
    // Plain map operations only: a poisoned lock leaves a consistent map.
    REQUESTS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a request does.
pub(crate) enum Action<'a> {
    /// A read (with a destination) or a write.
    Transfer,
    /// A pipe server waits for a client (`ConnectNamedPipe`).
    Connect(&'a NamedPipe),
    /// A pipe writes this message and reads the reply (`TransactNamedPipe`).
    Transact(Vec<u8>),
}

/// Whether a request is a connect, once its [`Action`] has been used.
enum ActionKind {
    Connect,
    Other,
}

/// What a request is, before it is issued.
pub(crate) struct Submission<'a> {
    /// The file's `alertable-io` side, bound to the relay port.
    pub(crate) file: &'a AsyncFile,
    /// The file object, for the record.
    pub(crate) object: &'a Arc<FileObject>,
    /// The file offset (ignored on streams).
    pub(crate) offset: u64,
    /// The bytes to write, or a zeroed buffer of the length to read.
    pub(crate) buffer: Vec<u8>,
    /// Where the bytes read go; `None` for writes.
    pub(crate) destination: Option<Destination>,
    /// The caller's `OVERLAPPED`.
    pub(crate) overlapped: OverlappedRef,
    /// How it reports completion.
    pub(crate) notify: Notify,
    /// What it does.
    pub(crate) action: Action<'a>,
}

impl Submission<'_> {
    /// Issues the request and records it; returns the record.
    ///
    /// # Errors
    ///
    /// The error `alertable-io` refused the request with: nothing was queued, and the
    /// `OVERLAPPED` and the event are untouched (J106).
    ///
    /// # Safety
    ///
    /// The `OVERLAPPED` stays valid, aligned and otherwise unused, and for a read the
    /// destination stays valid for writing, until the request completes.
    pub(crate) unsafe fn issue(self) -> Result<Arc<Request>> {
        let Self {
            file,
            object,
            offset,
            buffer,
            destination,
            overlapped,
            notify,
            action,
        } = self;
        let exit_event = thread_exit_event();
        // O5: only a request on a caller's port without an event outlives its thread.
        let outlives_thread =
            notify.event.is_none() && notify.routine.is_none() && notify.port.is_some();
        if !outlives_thread {
            RundownAtExit::register();
        }
        let mut table = requests();
        let action_kind = match action {
            Action::Connect(_) => ActionKind::Connect,
            _ => ActionKind::Other,
        };
        let issued = match (action, destination.is_some(), outlives_thread) {
            (Action::Transfer, true, true) => file.read(offset, buffer),
            (Action::Transfer, true, false) => file.read_with_event(offset, buffer, exit_event),
            (Action::Transfer, false, true) => file.write(offset, buffer),
            (Action::Transfer, false, false) => file.write_with_event(offset, buffer, exit_event),
            (Action::Connect(server), _, outlives) => {
                let connect = if outlives {
                    server.connect()
                } else {
                    server.connect_with_event(exit_event)
                };
                connect.map_err(|error| alertable_io::SubmitError {
                    error,
                    buffer: Vec::new(),
                })
            }
            (Action::Transact(message), _, true) => file.transact(message, buffer),
            (Action::Transact(message), _, false) => {
                file.transact_with_event(message, buffer, exit_event)
            }
        };
        let operation = issued.map_err(|e| Error(e.win32_error()))?;
        // A request issued inside a callback would wait for the callback to return (U5 of
        // alertable-io); C code may wait for it by spinning or outside the library. Handed
        // to the kernel now, it may finish inside this call too (O7). `alertable-io` does
        // not call back into this crate while submitting (O4).
        alertable_io::submit_deferred();
        // A connect is never complete at issue (a client already there was refused with
        // ERROR_PIPE_CONNECTED): one that a client completed meanwhile is reported as
        // pending, and completes through its styles.
        let completed_at_issue = !matches!(action_kind, ActionKind::Connect)
            && (operation.issue_status() == IssueStatus::Completed || operation.is_complete());
        // SAFETY: the caller guarantees the OVERLAPPED; the relay cannot write it before
        // the table lock is released (O4).
        unsafe { overlapped.set_pending() };
        if let Some(event) = &notify.event {
            // Windows resets the event when the request starts.
            event.reset();
        }
        let request = Arc::new(Request {
            token: operation.token(),
            overlapped,
            destination,
            notify,
            file: object.clone(),
            thread: thread_key(),
            outlives_thread,
            operation,
            completed_at_issue,
            done: Event::new(EventReset::Manual, false),
        });
        object.issued(&request);
        table.insert(request.token, request.clone());
        drop(table);
        Ok(request)
    }
}

// ---------------------------------------------------------------------------------------
// Thread exit (O6).

/// Set by `ExitProcess`: the process is ending, and nothing will look at an `OVERLAPPED`
/// again, so exiting threads need not wait for their requests (O6).
static PROCESS_EXITING: AtomicBool = AtomicBool::new(false);

/// Marks the process as ending (`ExitProcess`): [`run_down`] no longer waits.
pub(crate) fn process_exiting() {
    PROCESS_EXITING.store(true, Ordering::Release);
}

/// Cancels the calling thread's requests that do not outlive it (O5) and waits until each
/// is reported complete (O6), unless the process is ending. Blocks without running APCs.
pub(crate) fn run_down() {
    if PROCESS_EXITING.load(Ordering::Acquire) {
        return;
    }
    let me = thread_key();
    let mine: Vec<Arc<Request>> = requests()
        .values()
        .filter(|request| request.thread == me && !request.outlives_thread)
        .cloned()
        .collect();
    #[cfg(test)]
    test_hooks::run(&test_hooks::RUN_DOWN_FOUND, mine.len());
    for request in &mine {
        request.cancel();
    }
    for request in &mine {
        let _ = alertable::wait_one(&request.done, None, alertable::Alertable::No);
    }
}

/// Runs [`run_down`] when a thread's thread-local storage is torn down: the exit path of
/// threads the library did not create (O6).
struct RundownAtExit;

impl RundownAtExit {
    /// Makes sure the calling thread runs [`run_down`] at exit. Registered at a thread's
    /// first such request, after the core library's thread state exists, so it is torn down
    /// before that state (destructors run in reverse order of registration) and the
    /// thread's handle is signaled after it.
    fn register() {
        thread_local! {
            static AT_EXIT: RundownAtExit = {
                // The core library's thread state first, so that it is torn down after.
                drop(alertable::current());
                RundownAtExit
            };
        }
        // During thread-local teardown it is gone, and the exit path runs it anyway.
        let _ = AT_EXIT.try_with(|_| ());
    }
}

impl Drop for RundownAtExit {
    fn drop(&mut self) {
        // A destructor must not unwind; a bug of ours here costs only the wait.
        let _ = catch_unwind(run_down);
    }
}

// ---------------------------------------------------------------------------------------
// The relay.

/// The relay port, once its thread runs.
static RELAY: OnceLock<CompletionPort> = OnceLock::new();
/// Serializes starting the relay thread.
static STARTING: Mutex<()> = Mutex::new(());

/// The relay port, starting its thread on first use.
///
/// # Errors
///
/// `ERROR_NOT_ENOUGH_MEMORY` (8) if the thread could not be started.
pub(crate) fn relay_port() -> Result<&'static CompletionPort> {
    if let Some(port) = RELAY.get() {
        return Ok(port);
    }
    let _starting = STARTING.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(port) = RELAY.get() {
        return Ok(port);
    }
    let port = CompletionPort::new(1);
    let served = port.clone();
    std::thread::Builder::new()
        .name("win32-io-relay".to_owned())
        .spawn(move || serve(&served))
        .map_err(|_| Error(ERROR_NOT_ENOUGH_MEMORY))?;
    Ok(RELAY.get_or_init(|| port))
}

/// The private event of requests that must not outlive their thread (O5). Nothing waits
/// on it.
fn thread_exit_event() -> &'static Event {
    static EVENT: OnceLock<Event> = OnceLock::new();
    EVENT.get_or_init(|| Event::new(EventReset::Manual, false))
}

/// A number for the calling thread that no other thread of the process ever gets (Linux
/// thread ids are reused once a thread has exited, and a request bound to a port can
/// outlive its thread). Readable during thread-local teardown: it has no destructor.
pub(crate) fn thread_key() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    thread_local!(static KEY: std::cell::Cell<u64> = const { std::cell::Cell::new(0) });
    KEY.with(|key| {
        if key.get() == 0 {
            key.set(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        }
        key.get()
    })
}

/// The relay thread: relays every completion, for the life of the process.
fn serve(port: &CompletionPort) {
    while let Ok(packet) = port.get(None) {
        // A bug of ours in one relay must not stop the others; nothing here runs user code.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // The record leaves the table only once it is finished: a thread's exit finds
            // its requests there, and must wait for one the relay is still reporting (O6).
            let request = requests().get(&packet.token).cloned();
            if let Some(request) = request {
                #[cfg(test)]
                test_hooks::run(&test_hooks::RELAY_BEFORE_FINISH, request.overlapped.addr());
                request.finish(packet.status, packet.buffer);
                requests().remove(&packet.token);
            }
        }));
    }
}

/// Points where unit tests hold the relay or watch a thread's exit, to make a window
/// between two threads deterministic.
#[cfg(test)]
mod test_hooks {
    use std::sync::Mutex;

    /// Called with a number: an `OVERLAPPED` address, or a count of requests.
    pub(super) type Hook = Box<dyn Fn(usize) + Send + Sync>;

    /// Called by the relay for each request it is about to report, with its `OVERLAPPED`.
    pub(super) static RELAY_BEFORE_FINISH: Mutex<Option<Hook>> = Mutex::new(None);
    /// Called by `run_down` with the number of requests it found to wait for.
    pub(super) static RUN_DOWN_FOUND: Mutex<Option<Hook>> = Mutex::new(None);

    pub(super) fn run(hook: &Mutex<Option<Hook>>, n: usize) {
        let hook = hook
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(hook) = &*hook {
            hook(n);
        }
    }
}

#[cfg(test)]
mod run_down_tests {
    use std::sync::mpsc;

    use super::test_hooks::{Hook, RELAY_BEFORE_FINISH, RUN_DOWN_FOUND};
    use super::*;
    use crate::consts::{GENERIC_READ, GENERIC_WRITE, OPEN_EXISTING, TRUE};
    use crate::types::OVERLAPPED;

    fn set(hook: &Mutex<Option<Hook>>, f: Option<Hook>) {
        *hook.lock().unwrap() = f;
    }

    /// O6: a thread that ends while the relay is reporting one of its requests (the record
    /// taken, the `OVERLAPPED` not yet written) waits for it: the request is still found,
    /// and when the thread is gone its `OVERLAPPED` and event are final. The read is of a
    /// FIFO, so that it is pending when `ReadFile` returns (a read of cached file data
    /// finishes inside the call, O7) and completes once the test writes.
    #[test]
    fn exit_waits_for_a_request_the_relay_is_reporting() {
        let path = std::env::temp_dir().join(format!(
            "alertable-win32-run-down-{}.fifo",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        let name = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        // SAFETY: a NUL-terminated path; the other pointers are NULL.
        let file = unsafe {
            crate::fileapi::file::CreateFileA(
                name.as_ptr(),
                GENERIC_READ | GENERIC_WRITE,
                7,
                core::ptr::null_mut(),
                OPEN_EXISTING,
                crate::consts::FILE_FLAG_OVERLAPPED,
                core::ptr::null_mut(),
            )
        };
        // SAFETY: no attributes, no name.
        let event = unsafe {
            crate::synchapi::event::CreateEventA(core::ptr::null_mut(), TRUE, 0, core::ptr::null())
        };
        let mut ov = Box::new(OVERLAPPED::new(0, event));
        let mut buffer = Box::new([0u8; 10]);
        let ov_addr = std::ptr::from_mut(&mut *ov).expose_provenance();
        let buffer_addr = std::ptr::from_mut(&mut *buffer).expose_provenance();

        // The relay stops before reporting this request, until released.
        let (reached_tx, reached_rx) = mpsc::sync_channel::<()>(1);
        let (release_tx, release_rx) = mpsc::sync_channel::<()>(1);
        let release_rx = Mutex::new(release_rx);
        set(
            &RELAY_BEFORE_FINISH,
            Some(Box::new(move |addr| {
                if addr == ov_addr {
                    reached_tx.send(()).unwrap();
                    release_rx.lock().unwrap().recv().unwrap();
                }
            })),
        );
        let (found_tx, found_rx) = mpsc::channel::<(u64, usize)>();
        let found_tx = Mutex::new(found_tx);
        set(
            &RUN_DOWN_FOUND,
            Some(Box::new(move |n| {
                let _ = found_tx.lock().unwrap().send((thread_key(), n));
            })),
        );

        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (key_tx, key_rx) = mpsc::channel::<u64>();
        let (file_addr, ov_ptr) = (file.expose_provenance(), ov_addr);
        let thread = std::thread::spawn(move || {
            // SAFETY: the OVERLAPPED and the buffer are boxed by the test and outlive the
            // request, which the test waits for.
            let ok = unsafe {
                crate::fileapi::file::ReadFile(
                    core::ptr::with_exposed_provenance_mut(file_addr),
                    core::ptr::with_exposed_provenance_mut(buffer_addr),
                    10,
                    core::ptr::null_mut(),
                    core::ptr::with_exposed_provenance_mut(ov_ptr),
                )
            };
            assert_eq!(ok, 0);
            // The read is pending: the test may feed it.
            key_tx.send(thread_key()).unwrap();
            // End only once the relay holds the request.
            go_rx.recv().unwrap();
        });
        let key = key_rx.recv().unwrap();
        // The read is pending: feed it (the library holds the FIFO open for reading and
        // writing, so this open does not wait).
        std::io::Write::write_all(
            &mut std::fs::OpenOptions::new().write(true).open(&path).unwrap(),
            b"0123456789",
        )
        .unwrap();
        reached_rx.recv().unwrap();
        go_tx.send(()).unwrap();
        // The exiting thread's run-down still finds the request the relay holds.
        let found = loop {
            let (k, n) = found_rx.recv().unwrap();
            if k == key {
                break n;
            }
        };
        assert_eq!(found, 1);
        release_tx.send(()).unwrap();
        thread.join().unwrap();
        // SAFETY: the request is reported: the relay no longer writes the OVERLAPPED.
        let (status, bytes) = unsafe { OverlappedRef::new(&raw mut *ov).result() };
        assert_eq!((status, bytes), (0, 10));
        assert_eq!(&*buffer, b"0123456789");
        assert_eq!(
            crate::synchapi::wait::WaitForSingleObject(event, 0),
            crate::consts::WAIT_OBJECT_0
        );
        set(&RELAY_BEFORE_FINISH, None);
        set(&RUN_DOWN_FOUND, None);
        crate::handleapi::CloseHandle(event);
        crate::handleapi::CloseHandle(file);
        std::fs::remove_file(&path).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::OVERLAPPED;

    #[test]
    fn statuses_round_trip() {
        for error in [0, 2, 3, 5, 6, 8, 38, 50, 87, 109, 112, 995, 1168, 19, 206] {
            assert_eq!(error_of_status(status_of_error(error)), error, "{error}");
        }
        assert_eq!(status_of_error(ERROR_HANDLE_EOF), 0xC000_0011);
        assert_eq!(status_of_error(ERROR_OPERATION_ABORTED), 0xC000_0120);
        assert_eq!(error_of_status(0xC000_0008), ERROR_INVALID_HANDLE);
        assert_eq!(error_of_status(0x1234_5678), UNKNOWN_STATUS_ERROR);
        assert_eq!(status_of(&Err(IoError::EndOfFile)), 0xC000_0011);
        assert_eq!(status_of(&Ok(5)), 0);
    }

    #[test]
    fn results_are_written_and_read_back() {
        let mut ov = OVERLAPPED {
            Internal: 7,
            InternalHigh: 7,
            ..OVERLAPPED::new(2 << 32 | 1, core::ptr::null_mut())
        };
        let r = OverlappedRef::new(&raw mut ov);
        // SAFETY: `ov` is a live, aligned OVERLAPPED.
        unsafe {
            assert_eq!(r.offset(), 2 << 32 | 1);
            r.set_pending();
            assert_eq!(r.result(), (STATUS_PENDING as usize, 0));
            r.set_result(0xC000_0011, 3);
            assert_eq!(r.result(), (0xC000_0011, 3));
        }
        assert_eq!((ov.Internal, ov.InternalHigh), (0xC000_0011, 3));
    }
}

#[cfg(test)]
mod thread_key_tests {
    use super::thread_key;

    /// Keys are stable on a thread and never shared, also between threads that ran one
    /// after the other (where Linux may reuse the thread id).
    #[test]
    fn keys_are_never_reused() {
        let mine = thread_key();
        assert_eq!(thread_key(), mine);
        let mut seen = vec![mine];
        for _ in 0..8 {
            seen.push(std::thread::spawn(thread_key).join().unwrap());
        }
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 9);
    }
}
