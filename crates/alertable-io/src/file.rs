//! [`AsyncFile`]: a file opened for asynchronous I/O, and the calls that issue requests.

use std::collections::VecDeque;
use std::fmt;
use std::fs;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use alertable::Event;

use crate::op::{self, Kind, Notify, OpShared, Operation, RoutineThread};
use crate::routine::Routine;
use crate::{CompletionPort, IoError, PortError, sys};

/// The state a file shares with its requests: a request keeps its file open until the
/// kernel is done with it (R1).
pub(crate) struct FileInner {
    fd: OwnedFd,
    /// Not seekable (a pipe, a socket, a character device): requests use the current
    /// position and ignore their offset.
    pub(crate) stream: bool,
    readable: bool,
    writable: bool,
    /// The completion port this file is bound to, and its key.
    pub(crate) port: OnceLock<(CompletionPort, usize)>,
    /// On a stream, the requests of each direction (reads, writes; a pipe server's
    /// connects) in the order issued: only the first is with the backend, so data goes to
    /// reads, and comes from writes, in that order, as Windows serves a pipe.
    streams: Mutex<[VecDeque<Arc<OpShared>>; 3]>,
    /// A pipe of [`crate::pipe`]: its requests wait for readiness and move data in user
    /// space, to keep message boundaries and the pipe's states.
    pub(crate) pipe: Option<crate::pipe::PipeState>,
    /// The file's slot in the io_uring backend's table of registered files, once a
    /// request asked for one: `None` inside if it got none (F1–F3 of `uring.rs`).
    pub(crate) fixed: OnceLock<Option<u32>>,
    /// Requests submitted before it was registered, counted up to the backend's threshold
    /// (F1 of `uring.rs`).
    pub(crate) submitted: AtomicU32,
}

impl Drop for FileInner {
    fn drop(&mut self) {
        // F2: the ring lets go of the file before the descriptor closes.
        if let Some(&Some(slot)) = self.fixed.get() {
            crate::uring::release_fixed(slot);
        }
    }
}

impl FileInner {
    /// Neither a pipe nor another stream: a file whose requests take none of their steps.
    fn is_regular(&self) -> bool {
        self.pipe.is_none() && !self.stream
    }

    fn streams(&self) -> MutexGuard<'_, [VecDeque<Arc<OpShared>>; 3]> {
        crate::lock(&self.streams)
    }

    /// Queues a stream request behind those of its direction; true if it is the first,
    /// to be started now.
    fn enqueue_stream(&self, op: &Arc<OpShared>) -> bool {
        let mut streams = self.streams();
        let queue = &mut streams[op.kind.queue()];
        queue.push_back(op.clone());
        queue.len() == 1
    }

    /// Takes a stream request that has not started (it waits behind another) off its
    /// queue; false if it is not waiting there.
    pub(crate) fn unqueue_stream(&self, op: &Arc<OpShared>) -> bool {
        if !self.stream {
            return false;
        }
        let mut streams = self.streams();
        let queue = &mut streams[op.kind.queue()];
        match queue.iter().position(|queued| Arc::ptr_eq(queued, op)) {
            Some(at) if at > 0 => queue.remove(at).is_some(),
            _ => false,
        }
    }

    /// After `op` completed: starts the next request of its direction on a stream.
    pub(crate) fn next_on_stream(&self, op: &Arc<OpShared>) {
        if !self.stream {
            return;
        }
        let next = {
            let mut streams = self.streams();
            let queue = &mut streams[op.kind.queue()];
            if !queue.front().is_some_and(|head| Arc::ptr_eq(head, op)) {
                return;
            }
            queue.pop_front();
            queue.front().cloned()
        };
        if let Some(next) = next {
            // A pipe read may find its data already in user space (the rest of a message,
            // P5 of `pipe.rs`), which no poll would report: it is tried first.
            if self.pipe.is_none() || !crate::pipe::complete_at_once(&next) {
                crate::backend::get().submit(&next);
            }
        }
    }

    pub(crate) fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// A file opened for asynchronous (overlapped) I/O.
///
/// Each request reads or writes at an explicit offset (ignored on pipes and other streams,
/// which use their current position) with a buffer the request owns until it completes,
/// and completes in one of four styles:
///
/// | style | issue with | completion |
/// |-------|-----------|------------|
/// | poll | [`read`](Self::read), [`write`](Self::write) | ask the [`Operation`] |
/// | event | [`read_with_event`](Self::read_with_event), [`write_with_event`](Self::write_with_event) | the [`Event`] is signaled |
/// | completion routine | [`read_ex`](Self::read_ex), [`write_ex`](Self::write_ex) | an APC on the issuing thread, in its next alertable wait |
/// | completion port | any but `_ex`, once [bound](CompletionPort::associate) | a [`CompletionPacket`](crate::CompletionPacket) on the port |
///
/// A request whose data is at hand — a read of page-cached data or at the end of the file,
/// a write the file system takes without blocking — finishes inside the call that issues it, as Windows finishes
/// cached I/O (J102): when the call returns, the result is there, the event signaled, the
/// packet posted and the routine queued, and [`Operation::issue_status`] says
/// [`Completed`](crate::IssueStatus::Completed). A routine still runs only in a later
/// alertable wait, never inside the call (J92). Requests that must wait (a pipe without
/// data, data that must come from the disk) are pending at return and complete through
/// their style later. A request refused at once (a bad offset, a file not opened for that
/// access) returns the error and its buffer, and queues nothing (J97, J106).
///
/// When a thread exits, the requests it issued that are still in flight are cancelled
/// (K121): their completion routines never run; event and poll requests complete with
/// [`IoError::Aborted`]; requests that complete to a completion port, without an event,
/// outlive the thread.
///
/// # Win32
///
/// A `HANDLE` from `CreateFile(…, FILE_FLAG_OVERLAPPED, …)`, with `ReadFile`/`WriteFile`
/// (given an `OVERLAPPED`), `ReadFileEx`/`WriteFileEx` and `CancelIo`.
///
/// # Example
///
/// A completion routine runs on the issuing thread, in an alertable wait:
///
/// ```
/// use alertable::{Alertable, SleepStatus, sleep_ex};
/// use alertable_io::AsyncFile;
/// use std::sync::mpsc;
///
/// let path = std::env::temp_dir().join(format!("alertable-io-doc-{}", std::process::id()));
/// let file = AsyncFile::create(&path)?;
/// file.write(0, b"one two".to_vec())?.result(true)?;
///
/// let (tx, rx) = mpsc::channel();
/// file.read_ex(4, vec![0; 16], move |result, buffer| {
///     tx.send((result, buffer)).unwrap();
/// })?;
/// assert!(rx.try_recv().is_err(), "the routine never runs inside the call");
/// assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
/// assert_eq!(rx.try_recv()?, (Ok(3), b"two".to_vec()));
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct AsyncFile {
    inner: Arc<FileInner>,
}

/// A request refused before anything was queued; its buffer comes back.
///
/// # Win32
///
/// `ReadFile`/`ReadFileEx`/… returning `FALSE` with an error other than `ERROR_IO_PENDING`:
/// no event is signaled, no routine runs, no packet is posted (J97, J106).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitError {
    /// Why the request was refused.
    pub error: IoError,
    /// The buffer the request was given.
    pub buffer: Vec<u8>,
}

impl SubmitError {
    /// The Win32 error code (`GetLastError()`).
    pub fn win32_error(&self) -> u32 {
        self.error.win32_error()
    }
}

impl fmt::Display for SubmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "I/O request refused: {}", self.error)
    }
}

impl std::error::Error for SubmitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<SubmitError> for IoError {
    fn from(e: SubmitError) -> Self {
        e.error
    }
}

impl From<SubmitError> for io::Error {
    fn from(e: SubmitError) -> Self {
        e.error.into()
    }
}

impl AsyncFile {
    /// Opens an existing file for reading.
    ///
    /// # Errors
    ///
    /// As [`std::fs::File::open`]; a directory is refused with `ERROR_ACCESS_DENIED`'s
    /// `EISDIR`.
    ///
    /// # Win32
    ///
    /// `CreateFile(path, GENERIC_READ, …, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, …)`.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        Self::try_from(fs::File::open(path)?)
    }

    /// Creates (or truncates) a file for reading and writing.
    ///
    /// # Errors
    ///
    /// As [`std::fs::File::create`].
    ///
    /// # Win32
    ///
    /// `CreateFile(path, GENERIC_READ | GENERIC_WRITE, …, CREATE_ALWAYS,
    /// FILE_FLAG_OVERLAPPED, …)`.
    pub fn create(path: impl AsRef<Path>) -> io::Result<Self> {
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        Self::try_from(file)
    }

    /// Wraps an open file descriptor: a regular file, or a stream (pipe, socket, character
    /// device) whose requests use the current position. Other [`std::fs::OpenOptions`]
    /// combinations are reached this way.
    ///
    /// # Errors
    ///
    /// `EISDIR` for a directory; `EBADF` for a descriptor opened with `O_PATH`.
    pub fn from_fd(fd: OwnedFd) -> io::Result<Self> {
        let described = sys::describe(fd.as_fd())?;
        Ok(Self::from_parts(
            fd,
            described.stream,
            [described.readable, described.writable],
            None,
        ))
    }

    /// A file of a pipe end (`pipe.rs`), allowed to read and write as `access` says.
    pub(crate) fn from_pipe(fd: OwnedFd, access: [bool; 2], pipe: crate::pipe::PipeState) -> Self {
        Self::from_parts(fd, true, access, Some(pipe))
    }

    fn from_parts(
        fd: OwnedFd,
        stream: bool,
        [readable, writable]: [bool; 2],
        pipe: Option<crate::pipe::PipeState>,
    ) -> Self {
        Self {
            inner: Arc::new(FileInner {
                fd,
                stream,
                readable,
                writable,
                port: OnceLock::new(),
                streams: Mutex::new([VecDeque::new(), VecDeque::new(), VecDeque::new()]),
                pipe,
                fixed: OnceLock::new(),
                submitted: AtomicU32::new(0),
            }),
        }
    }

    /// Reads up to `buffer.len()` bytes at `offset`; the [`Operation`] reports the result
    /// and hands the buffer back, holding exactly the bytes read. On a file bound to a
    /// completion port the request also completes there.
    ///
    /// # Errors
    ///
    /// Refused at once ([`SubmitError`], nothing queued) for an offset beyond `i64::MAX` or
    /// a buffer over 4 GiB ([`IoError::InvalidParameter`]), a file not opened for reading
    /// ([`IoError::AccessDenied`]), or a pipe whose writing end is closed with nothing left
    /// in it (`EPIPE`, `ERROR_BROKEN_PIPE` 109). Failures found later, such as the end of the file
    /// ([`IoError::EndOfFile`]), complete the request with that error (J100).
    ///
    /// # Win32
    ///
    /// `ReadFile(file, buffer, len, NULL, &overlapped)` with `overlapped.hEvent == NULL`.
    pub fn read(&self, offset: u64, buffer: Vec<u8>) -> Result<Operation, SubmitError> {
        self.submit(Kind::Read, offset, buffer, Notify::None, None)
    }

    /// Writes `buffer` at `offset`; as [`read`](Self::read) otherwise (the buffer comes
    /// back unchanged).
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read), with [`IoError::AccessDenied`] for a file not opened for
    /// writing.
    ///
    /// # Win32
    ///
    /// `WriteFile(file, buffer, len, NULL, &overlapped)`.
    pub fn write(&self, offset: u64, buffer: Vec<u8>) -> Result<Operation, SubmitError> {
        self.submit(Kind::Write, offset, buffer, Notify::None, None)
    }

    /// [`read`](Self::read), and `event` is signaled when the request completes.
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read); a refused request leaves `event` as it was.
    ///
    /// # Win32
    ///
    /// `ReadFile` with `overlapped.hEvent = event`.
    pub fn read_with_event(
        &self,
        offset: u64,
        buffer: Vec<u8>,
        event: &Event,
    ) -> Result<Operation, SubmitError> {
        self.submit(
            Kind::Read,
            offset,
            buffer,
            Notify::Event(event.clone()),
            None,
        )
    }

    /// [`write`](Self::write), and `event` is signaled when the request completes.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write).
    ///
    /// # Win32
    ///
    /// `WriteFile` with `overlapped.hEvent = event`.
    pub fn write_with_event(
        &self,
        offset: u64,
        buffer: Vec<u8>,
        event: &Event,
    ) -> Result<Operation, SubmitError> {
        self.submit(
            Kind::Write,
            offset,
            buffer,
            Notify::Event(event.clone()),
            None,
        )
    }

    /// Reads at `offset` and, when done, queues `routine` as an APC to the calling thread:
    /// it runs only in that thread's alertable waits — never inside this call, even when
    /// the read finished at once (J92, J102) — and receives the result (bytes read, or the
    /// error: [`IoError::EndOfFile`] at the end of the file, [`IoError::Aborted`] when
    /// cancelled — J99, J101) and the buffer, holding exactly the bytes read. If the thread
    /// exits first, the routine never runs (K121).
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read), and [`IoError::InvalidParameter`] on a file bound to a
    /// completion port (J108). A refused request never runs its routine (J97).
    ///
    /// # Win32
    ///
    /// `ReadFileEx(file, buffer, len, &overlapped, routine)`.
    pub fn read_ex<F>(
        &self,
        offset: u64,
        buffer: Vec<u8>,
        routine: F,
    ) -> Result<Operation, SubmitError>
    where
        F: FnOnce(Result<usize, IoError>, Vec<u8>) + Send + 'static,
    {
        self.submit_ex(Kind::Read, offset, buffer, Routine::new(routine))
    }

    /// Writes `buffer` at `offset` and, when done, queues `routine` as an APC to the calling
    /// thread, as [`read_ex`](Self::read_ex) does; the routine gets the bytes written and
    /// the buffer back.
    ///
    /// # Errors
    ///
    /// As [`read_ex`](Self::read_ex).
    ///
    /// # Win32
    ///
    /// `WriteFileEx(file, buffer, len, &overlapped, routine)`.
    pub fn write_ex<F>(
        &self,
        offset: u64,
        buffer: Vec<u8>,
        routine: F,
    ) -> Result<Operation, SubmitError>
    where
        F: FnOnce(Result<usize, IoError>, Vec<u8>) + Send + 'static,
    {
        self.submit_ex(Kind::Write, offset, buffer, Routine::new(routine))
    }

    /// Cancels every request the calling thread issued on this file that is still in
    /// flight: each completes through its style with [`IoError::Aborted`] (K115). Requests
    /// of other threads are left alone.
    ///
    /// # Errors
    ///
    /// None: succeeds also with nothing to cancel (K115). The `Result` is Win32's.
    ///
    /// # Win32
    ///
    /// `CancelIo(file)`.
    pub fn cancel_io(&self) -> Result<(), IoError> {
        op::cancel_issued_on(&self.inner);
        Ok(())
    }

    /// The completion port this file is bound to, and the key, if any.
    pub fn completion_port(&self) -> Option<(&CompletionPort, usize)> {
        self.inner.port.get().map(|(port, key)| (port, *key))
    }

    pub(crate) fn inner(&self) -> &Arc<FileInner> {
        &self.inner
    }

    // Inlined into `read_ex` and `write_ex`: the routine is built where it is passed on,
    // not copied through one more frame (a store-to-load stall per request).
    #[inline]
    pub(crate) fn submit_ex(
        &self,
        kind: Kind,
        offset: u64,
        buffer: Vec<u8>,
        routine: Routine,
    ) -> Result<Operation, SubmitError> {
        if self.inner.port.get().is_some() {
            return Err(SubmitError {
                error: IoError::InvalidParameter,
                buffer,
            });
        }
        // A regular file's request, the usual chain of routines: none of a pipe's or a
        // stream's steps apply, and its parts go straight into the request.
        if self.inner.is_regular() {
            if let Some(error) = self.refusal(kind, offset, buffer.len()) {
                return Err(SubmitError { error, buffer });
            }
            let notify = Notify::Routine(routine);
            return Ok(self.issue_to_file(kind, offset, buffer, notify, RoutineThread::Current));
        }
        self.submit_for(Asked {
            kind,
            offset,
            buffer,
            payload: Vec::new(),
            notify: Notify::Routine(routine),
            routine_thread: RoutineThread::Current,
        })
    }

    pub(crate) fn submit(
        &self,
        kind: Kind,
        offset: u64,
        buffer: Vec<u8>,
        notify: Notify,
        routine_thread: Option<alertable::ThreadHandle>,
    ) -> Result<Operation, SubmitError> {
        self.submit_with(kind, offset, buffer, Vec::new(), notify, routine_thread)
    }

    /// Issues a request; `payload` is what a transaction writes first.
    pub(crate) fn submit_with(
        &self,
        kind: Kind,
        offset: u64,
        buffer: Vec<u8>,
        payload: Vec<u8>,
        notify: Notify,
        routine_thread: Option<alertable::ThreadHandle>,
    ) -> Result<Operation, SubmitError> {
        self.submit_for(Asked {
            kind,
            offset,
            buffer,
            payload,
            notify,
            routine_thread: routine_thread.map_or(RoutineThread::None, RoutineThread::Given),
        })
    }

    /// Why any file refuses a request of `kind` at `offset` for `len` bytes at once, if it
    /// does: access, or a position or length Win32 cannot express.
    #[inline]
    fn refusal(&self, kind: Kind, offset: u64, len: usize) -> Option<IoError> {
        let allowed = match kind {
            Kind::Read => self.inner.readable,
            Kind::Write => self.inner.writable,
            Kind::Connect => true,
            Kind::Transact => self.inner.readable && self.inner.writable,
        };
        if !allowed {
            Some(IoError::AccessDenied)
        } else if offset > i64::MAX as u64 || u32::try_from(len).is_err() {
            Some(IoError::InvalidParameter)
        } else {
            None
        }
    }

    /// Makes a request of a regular file (neither pipe nor stream) that nothing refused,
    /// lists it, starts it and returns its handle.
    #[inline(always)]
    fn issue_to_file(
        &self,
        kind: Kind,
        offset: u64,
        buffer: Vec<u8>,
        notify: Notify,
        routine_thread: RoutineThread,
    ) -> Operation {
        self.issue_made_to_file(OpShared::new(
            &self.inner,
            kind,
            offset,
            buffer,
            notify,
            routine_thread,
        ))
    }

    /// Lists `op`, a request just made of a regular file, starts it and returns its handle.
    #[inline(always)]
    fn issue_made_to_file(&self, op: Arc<OpShared>) -> Operation {
        op::record_issued(&op);
        // L1 of `lend.rs`: `op` is the handle's reference from here on.
        crate::backend::get().submit_issued(&op);
        let issued = Operation::new(op);
        issued.settle_issue();
        issued
    }

    /// [`submit_with`](Self::submit_with), the routine's thread named as
    /// [`RoutineThread`] says.
    fn submit_for(&self, asked: Asked) -> Result<Operation, SubmitError> {
        let Asked {
            kind,
            offset,
            ref buffer,
            ref payload,
            ref notify,
            ..
        } = asked;
        let refusal = if let Some(error) = self.refusal(kind, offset, buffer.len()) {
            Some(error)
        } else if let Some(pipe) = &self.inner.pipe {
            // The pipe's state decides (J106, J113): nothing is queued on a refusal. A
            // request that moves no bytes learns of a hang-up from no attempt (P7).
            let moves_nothing = match kind {
                Kind::Read | Kind::Write => buffer.is_empty(),
                Kind::Transact => payload.is_empty(),
                Kind::Connect => false,
            };
            pipe.refusal(self.inner.fd(), kind).or_else(|| {
                moves_nothing
                    .then(|| pipe.refusal_of_hang_up(self.inner.fd(), kind))
                    .flatten()
            })
        } else if self.inner.stream && sys::peer_closed(self.inner.fd(), kind == Kind::Write) {
            // A pipe whose other end is gone refuses at once (J106): ERROR_BROKEN_PIPE.
            Some(IoError::Os(rustix::io::Errno::PIPE.raw_os_error()))
        } else {
            None
        };
        if let Some(error) = refusal {
            return Err(SubmitError {
                error,
                buffer: asked.buffer,
            });
        }
        if self.inner.is_regular() {
            debug_assert!(
                asked.payload.is_empty(),
                "only a pipe's transaction writes first"
            );
            return Ok(self.issue_made_to_file(self.new_request(asked)));
        }
        if let Some(pipe) = &self.inner.pipe
            && matches!(kind, Kind::Read | Kind::Write)
            && !buffer.is_empty()
            && (matches!(notify, Notify::Routine(_)) || self.inner.port.get().is_none())
        {
            // First of its direction: tried before it is made a request (O5 of `op.rs`).
            let streams = self.inner.streams();
            if streams[kind.queue()].is_empty() {
                return self.issue_first_on_pipe(pipe, streams, asked);
            }
        }
        let op = self.new_request(asked);
        op::record_issued(&op);
        if let Some(pipe) = &self.inner.pipe {
            if let Err(error) = self.issue_on_pipe(pipe, &op) {
                let buffer = op::withdraw(op);
                return Err(SubmitError { error, buffer });
            }
        } else if self.inner.enqueue_stream(&op) {
            crate::backend::get().submit(&op);
        }
        op.settle_issue();
        Ok(Operation::new(op))
    }

    /// Makes a request (not yet in the calling thread's list: `op::record_issued`).
    /// Always inlined: as a call of its own, moving `asked` into it cost 19 instructions
    /// per read (`callgrind` of a `read_ex` chain at depth 32); inlined, 39 fewer than with
    /// the six parts passed one by one.
    #[inline(always)]
    fn new_request(&self, asked: Asked) -> Arc<OpShared> {
        let Asked {
            kind,
            offset,
            buffer,
            payload,
            notify,
            routine_thread,
        } = asked;
        let op = OpShared::new(&self.inner, kind, offset, buffer, notify, routine_thread);
        if payload.is_empty() {
            op
        } else {
            op.with_payload(payload)
        }
    }

    /// Issues a pipe read or write that moves bytes and is the first of its direction,
    /// whose queue `streams` keeps empty meanwhile: it is tried at once, before a request
    /// is made. Done, it is never made one (O5 of `op.rs`): its routine is queued (J104),
    /// or its event signaled and its buffer kept by its handle; refused if it
    /// found the other end gone with nothing moved (P7 of `pipe.rs`); otherwise it becomes
    /// the request at the head of its queue, for its thread or the backend to finish from
    /// where the attempt left off.
    #[inline]
    fn issue_first_on_pipe(
        &self,
        pipe: &crate::pipe::PipeState,
        mut streams: MutexGuard<'_, [VecDeque<Arc<OpShared>>; 3]>,
        mut asked: Asked,
    ) -> Result<Operation, SubmitError> {
        let kind = asked.kind;
        let (attempt, sent) =
            crate::pipe::attempt_at_issue(pipe, self.inner.fd(), kind, &mut asked.buffer);
        if let crate::pipe::Attempt::Done(result) = attempt {
            drop(streams);
            let Asked {
                offset,
                buffer,
                notify,
                ..
            } = asked;
            if let Some(error) = crate::pipe::hang_up_refusal_of(kind, sent, result) {
                return Err(SubmitError { error, buffer });
            }
            return Ok(match notify {
                Notify::Routine(routine) => {
                    op::done_at_issue(kind, offset, routine, buffer, result)
                }
                Notify::Event(event) => {
                    op::done_with_buffer(kind, offset, buffer, result, Some(event))
                }
                Notify::None => op::done_with_buffer(kind, offset, buffer, result, None),
            });
        }
        // Made and queued in the same hold of the lock, so nothing of its direction
        // overtakes what it started; making one runs none of the caller's code.
        let op = self.new_request(asked);
        op.add_written(sent);
        streams[kind.queue()].push_back(op.clone());
        drop(streams);
        // Listed once the lock is let go: the list may drop the caller's old requests.
        op::record_issued(&op);
        // Kept by this thread if it may complete it itself (`held.rs`).
        crate::held::submit_waiting(&op);
        op.settle_issue();
        Ok(Operation::new(op))
    }

    /// Starts a pipe request, or refuses it because the other end is gone (P7 of
    /// `pipe.rs`): the first of its direction is tried at once and completes inside the
    /// call if its data (or room) is at hand, its routine still only queued (J104), or
    /// goes to the backend to wait. On a refusal the request is off the stream's queue,
    /// and nothing was notified.
    fn issue_on_pipe(
        &self,
        pipe: &crate::pipe::PipeState,
        op: &Arc<OpShared>,
    ) -> Result<(), IoError> {
        if !self.inner.enqueue_stream(op) {
            // Behind another request: it starts when that one completes, and meanwhile only
            // a poll tells whether the other end has gone. Taken off the queue only if it
            // has not started in between.
            return match pipe.refusal_of_hang_up(self.inner.fd(), op.kind) {
                Some(error) if self.inner.unqueue_stream(op) => Err(error),
                _ => Ok(()),
            };
        }
        match crate::pipe::try_at_issue(op) {
            crate::pipe::AtIssue::Done(result) => {
                if let Some(error) = crate::pipe::hang_up_refusal(op, result) {
                    // First in its queue and not complete, so still its head: taken off,
                    // and whatever was queued behind it meanwhile starts.
                    self.inner.next_on_stream(op);
                    return Err(error);
                }
                op.complete(result);
                Ok(())
            }
            crate::pipe::AtIssue::Waits => {
                // Kept by this thread if it may complete it itself (`held.rs`).
                crate::held::submit_waiting(op);
                Ok(())
            }
        }
    }
}

/// What an issuing call asks for: the parts a request is made of.
struct Asked {
    kind: Kind,
    offset: u64,
    buffer: Vec<u8>,
    /// What a transaction writes first; empty for every other kind.
    payload: Vec<u8>,
    notify: Notify,
    routine_thread: RoutineThread,
}

impl TryFrom<fs::File> for AsyncFile {
    type Error = io::Error;

    fn try_from(file: fs::File) -> io::Result<Self> {
        Self::from_fd(file.into())
    }
}

impl TryFrom<OwnedFd> for AsyncFile {
    type Error = io::Error;

    fn try_from(fd: OwnedFd) -> io::Result<Self> {
        Self::from_fd(fd)
    }
}

impl AsFd for AsyncFile {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.fd.as_fd()
    }
}

impl AsRawFd for AsyncFile {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.fd.as_raw_fd()
    }
}

impl fmt::Debug for AsyncFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFile")
            .field("fd", &self.inner.fd.as_raw_fd())
            .field("stream", &self.inner.stream)
            .field("port", &self.inner.port.get().map(|(_, key)| key))
            .finish()
    }
}

impl CompletionPort {
    /// Binds `file` to this port with completion key `key`: from now on every request on
    /// the file, except those with a completion routine (which the file then refuses, J108),
    /// also completes as a [`CompletionPacket`](crate::CompletionPacket) on this port,
    /// carrying `key`, the request's [`token`](Operation::token), its result and its buffer.
    /// Requests issued before the binding complete as they were issued, without a packet.
    /// The file keeps the port open.
    ///
    /// # Errors
    ///
    /// [`PortError::InvalidParameter`] if the file is already bound (to any port, as on
    /// Windows a file handle is bound once); [`PortError::Closed`] if the port is closed.
    ///
    /// # Win32
    ///
    /// `CreateIoCompletionPort(file, port, key, 0)`.
    ///
    /// # Example
    ///
    /// ```
    /// use alertable_io::{AsyncFile, CompletionPort};
    ///
    /// let path = std::env::temp_dir().join(format!("alertable-io-port-{}", std::process::id()));
    /// let file = AsyncFile::create(&path)?;
    /// let port = CompletionPort::new(0);
    /// port.associate(&file, 7)?;
    /// let write = file.write(0, b"packet".to_vec())?;
    /// let packet = port.get(None)?;
    /// assert_eq!((packet.key, packet.token, packet.status), (7, write.token(), Ok(6)));
    /// assert_eq!(packet.buffer.as_deref(), Some(&b"packet"[..]));
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn associate(&self, file: &AsyncFile, key: usize) -> Result<(), PortError> {
        if self.is_closed() {
            return Err(PortError::Closed);
        }
        file.inner()
            .port
            .set((self.clone(), key))
            .map_err(|_| PortError::InvalidParameter)
    }
}
