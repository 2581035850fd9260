//! Named and anonymous pipes: [`NamedPipe`] servers, clients from [`open`], and
//! [`anonymous`] pairs, all [`AsyncFile`]s whose requests go through the usual machinery
//! (the four completion styles, cancellation, the thread-exit rules).
//!
//! # Carrier
//!
//! A pipe is a Unix domain socket: `SOCK_STREAM` for a byte pipe, `SOCK_SEQPACKET` for a
//! message pipe, which keeps message boundaries. Names live in a directory of the user's
//! own, mode 0700 (`/tmp/alertable-pipes-<uid>`, or `ALERTABLE_PIPE_DIR`), so processes of
//! the same user find each other's pipes; a directory or socket that belongs to another
//! user is refused with `ERROR_ACCESS_DENIED`, and so is a peer of another user. Each name
//! is a subdirectory (a hash of the name, which is case-insensitive as on Windows) holding,
//! per server instance:
//!
//! | entry          | exists while                          | holds                        |
//! |----------------|---------------------------------------|------------------------------|
//! | `<pid>.<n>`    | the instance exists                   | its type, access, sizes, timeout |
//! | `<pid>.<n>.s`  | the instance listens and no client has taken it | the listening socket |
//! | `.lock`        | while the name has an instance        | an `flock` taken around taking an instance |
//!
//! # States of a server instance
//!
//! | phase          | its descriptor                 | read, write         | connect            |
//! |----------------|--------------------------------|---------------------|--------------------|
//! | `Listening`    | the listening socket           | `ERROR_PIPE_LISTENING` | pending until a client comes |
//! | `Connected`    | the connection (same number)   | move data           | `ERROR_PIPE_CONNECTED` |
//! | `Disconnected` | the connection, shut down      | `ERROR_PIPE_NOT_CONNECTED` | listens again, pending |
//!
//! # Invariants
//!
//! (P1) A listening instance has room for one client that is not yet accepted (backlog 0):
//!      a client connects without waiting for the server's connect, as on Windows
//!      (the server's connect then reports `ERROR_PIPE_CONNECTED`, J113), and a second
//!      client finds the socket full (`EAGAIN`) and counts the instance as busy.
//! (P2) A client that connected removes the instance's socket file before it lets go of
//!      the name's lock; the server accepts and puts the connection in the listener's
//!      place under the same lock. So no client connects to a listener that is about to
//!      be replaced, and a socket file present means an instance free to take (what
//!      `WaitNamedPipe` waits for).
//! (P3) The instance's descriptor number never changes: the listener, then the connection,
//!      is put in its place (`dup3`), so requests and the file's users need no lock to
//!      find it. The listener is shut down first, which wakes a connect waiting on it.
//! (P4) Every transfer is non-blocking (`attempt`): a request that would block reports the
//!      readiness it waits for, and whoever holds it waits for that and attempts again:
//!      its issuing thread, in its own waits, for a request that thread completes itself
//!      (`held.rs`, H1–H5), or else its backend (a poll in the kernel, or in a worker).
//!      Only the request's holder attempts it.
//! (P5) A message longer than a message read's buffer is received whole; what does not fit
//!      waits in the end's `rest`, and is what the next read, or peek, gets first. A
//!      message read receives in one call, into its buffer and a spill behind it as long
//!      as the longest message the other end can send (`largest`): every end this crate
//!      makes asks for a send buffer of `MESSAGE_SEND_BUFFER`, which the kernel doubles
//!      and caps, and no later call changes, so no end of ours can send a message longer
//!      than `LARGEST_MESSAGE`, whatever `net.core.wmem_max` is or becomes; the call
//!      reports the message's length (`MSG_TRUNC`). A longer message can only come from a
//!      program of the same user that connected to the socket itself and forced a larger
//!      buffer: it is told by its length (the kernel dropped its end), the read completes
//!      with `EMSGSIZE`, and the end peeks at each message's length first from then on.
//! (P6) The last instance of a name removes the name's directory, lock file included,
//!      while it holds that lock; a creator that got the lock checks that the lock file it
//!      holds is still the one in place, and starts again with a new directory if not. A
//!      client that finds the directory gone finds no instance, which is the truth.
//! (P7) A request is refused when the other end is gone (J106) without a poll of its own
//!      in the common case: the issuing thread makes the request's first attempt (P4)
//!      itself, before the backend holds it, and an attempt that finds the end of the
//!      stream with nothing left to read, or a send refused because the peer has gone,
//!      with no byte moved, withdraws the request — off its stream's queue and its
//!      thread's list, nothing notified — and returns the error. What is still waiting to
//!      be read is read first, so a read is refused only once nothing is left. Requests
//!      no such attempt can tell — those that move no bytes, and those queued behind
//!      another of their direction — poll the descriptor for a hang-up instead
//!      (`refusal_of_hang_up`).
//! (P8) A read of a byte pipe shorter than `READ_AHEAD` (32 KiB) receives, in the same
//!      call, up to that many bytes more behind its buffer, as the stream holds them; they
//!      wait in the end's `rest` as a message's rest does (P5), and the next reads, and
//!      peeks, take them first (with no system call where they suffice), then what the
//!      stream holds behind them, up to their length: a reader that keeps up with a writer
//!      of 4 KiB pieces makes one call for several of them, where `read` makes one each. A
//!      read of no bytes receives none ahead. An end that reads so keeps that room while it
//!      lives. The
//!      bytes leave the carrier's buffer when they are received, not when a read takes
//!      them: the other end's `flush_pipe` (`FlushFileBuffers`) returns once this end has
//!      received them, and another process that reads the same end (an inherited or
//!      duplicated handle) does not see them.

use std::fmt;
use std::fs;
use std::io::{Read as _, Write as _};
use std::ops::Deref;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alertable::Event;
use rustix::io::Errno;

use crate::file::SubmitError;
use crate::lock;
use crate::op::{Kind, Notify, OpShared, Operation};
use crate::sys::pipe as os;
use crate::{AsyncFile, IoError};

/// Which way data flows, seen from the end that is opened or created.
///
/// # Win32
///
/// `PIPE_ACCESS_INBOUND`, `PIPE_ACCESS_OUTBOUND`, `PIPE_ACCESS_DUPLEX` for a server;
/// `GENERIC_READ`, `GENERIC_WRITE` or both for a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PipeAccess {
    /// This end reads.
    Inbound,
    /// This end writes.
    Outbound,
    /// This end reads and writes.
    Duplex,
}

impl PipeAccess {
    fn reads(self) -> bool {
        self != Self::Outbound
    }

    fn writes(self) -> bool {
        self != Self::Inbound
    }
}

/// How the writer's data is kept.
///
/// # Win32
///
/// `PIPE_TYPE_BYTE`, `PIPE_TYPE_MESSAGE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PipeType {
    /// A stream of bytes.
    Byte,
    /// Each write is a message, and message boundaries are kept.
    Message,
}

/// How reads take the data of a message pipe.
///
/// # Win32
///
/// `PIPE_READMODE_BYTE`, `PIPE_READMODE_MESSAGE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadMode {
    /// A read takes bytes, without regard to messages (one message at most, here).
    Byte,
    /// A read takes one message; a buffer too small gets its first part and
    /// [`IoError::MoreData`], and the next read the rest.
    Message,
}

/// Which end of a pipe a file is.
///
/// # Win32
///
/// `PIPE_SERVER_END`, `PIPE_CLIENT_END` of `GetNamedPipeInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PipeEnd {
    /// The end [`NamedPipe::create`] made (and the reading end of an anonymous pipe).
    Server,
    /// The end [`open`] made (and the writing end of an anonymous pipe).
    Client,
}

/// How long [`wait`] waits for a free instance.
///
/// # Win32
///
/// The `nTimeOut` of `WaitNamedPipe`: `NMPWAIT_USE_DEFAULT_WAIT`, `NMPWAIT_WAIT_FOREVER`, or
/// milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PipeWait {
    /// The default timeout the server gave when it created the pipe.
    Default,
    /// Until an instance is free.
    Forever,
    /// At most this long.
    For(Duration),
}

/// How a server creates a pipe instance ([`NamedPipe::create`]).
///
/// # Win32
///
/// The `dwOpenMode`, `dwPipeMode`, `nMaxInstances`, `nOutBufferSize`, `nInBufferSize` and
/// `nDefaultTimeOut` of `CreateNamedPipe`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipeOptions {
    /// Which way data flows, seen from the server.
    pub access: PipeAccess,
    /// Bytes or messages.
    pub pipe_type: PipeType,
    /// How the server's reads take messages.
    pub read_mode: ReadMode,
    /// The most instances of the name at once (1 to 254), or `None` for no limit
    /// (`PIPE_UNLIMITED_INSTANCES`).
    pub max_instances: Option<u32>,
    /// The size asked for the outbound buffer (advisory).
    pub out_buffer_size: u32,
    /// The size asked for the inbound buffer (advisory).
    pub in_buffer_size: u32,
    /// How long [`wait`] with [`PipeWait::Default`] waits.
    pub default_timeout: Duration,
    /// Refuse (with [`IoError::AccessDenied`]) if the name exists already
    /// (`FILE_FLAG_FIRST_PIPE_INSTANCE`).
    pub first_instance: bool,
}

impl Default for PipeOptions {
    /// A duplex byte pipe, unlimited instances, 4 KiB buffers, 50 ms default timeout.
    fn default() -> Self {
        Self {
            access: PipeAccess::Duplex,
            pipe_type: PipeType::Byte,
            read_mode: ReadMode::Byte,
            max_instances: None,
            out_buffer_size: 4096,
            in_buffer_size: 4096,
            default_timeout: Duration::from_millis(50),
            first_instance: false,
        }
    }
}

/// What [`AsyncFile::pipe_info`] reports.
///
/// # Win32
///
/// The outputs of `GetNamedPipeInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipeInfo {
    /// Which end the file is.
    pub end: PipeEnd,
    /// Bytes or messages.
    pub pipe_type: PipeType,
    /// The server's outbound buffer size.
    pub out_buffer_size: u32,
    /// The server's inbound buffer size.
    pub in_buffer_size: u32,
    /// The most instances, `None` for no limit.
    pub max_instances: Option<u32>,
}

/// What [`AsyncFile::peek_pipe`] saw, without taking it.
///
/// # Win32
///
/// The outputs of `PeekNamedPipe`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peeked {
    /// The first bytes waiting (of the current message, on a message pipe).
    pub data: Vec<u8>,
    /// All the bytes waiting to be read (`lpTotalBytesAvail`).
    pub available: usize,
    /// The bytes of the current message beyond `data` (`lpBytesLeftThisMessage`); 0 on a
    /// byte pipe.
    pub left_in_message: usize,
}

/// The readiness a pipe request waits for (P4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Readiness {
    Input,
    Output,
}

/// What one non-blocking try at a pipe request came to (P4).
pub(crate) enum Attempt {
    Done(Result<usize, IoError>),
    WaitFor(Readiness),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Listening,
    Connected,
    Disconnected,
}

/// A server instance's own state.
struct Server {
    /// The instance's record and socket paths, and the name's directory and lock.
    marker: PathBuf,
    socket: PathBuf,
    dir: PathBuf,
    phase: Mutex<Phase>,
    /// Whether `phase` is `Connected`, to be read without its lock; changed only with
    /// `phase`, under that lock, after the descriptor is in place.
    connected: AtomicBool,
}

impl Server {
    /// Whether the instance is connected, looked at without the phase's lock: what
    /// requests that move data check first, most of which find it so.
    fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// Moves the instance to `next`, under the phase's lock.
    fn enter(&self, phase: &mut Phase, next: Phase) {
        *phase = next;
        self.connected
            .store(next == Phase::Connected, Ordering::Release);
    }
}

/// The state a pipe end keeps beside its descriptor (`FileInner::pipe`).
pub(crate) struct PipeState {
    info: PipeInfo,
    read_message: AtomicBool,
    /// The unread part of a message read in part (P5), or of what a byte read received
    /// ahead (P8).
    rest: Mutex<Rest>,
    /// Where a message read receives what does not fit its buffer (P5): mapped on first
    /// use, up to `largest` bytes long, its pages untouched (and taking no memory) beyond
    /// the longest message that spilled into it. Taken before `rest` where both are.
    spill: Mutex<Option<os::Spill>>,
    /// The longest message the other end can send, as far as this end knows (P5); 0 when
    /// unknown, and every message read then peeks at the message's length first.
    largest: AtomicUsize,
    server: Option<Server>,
}

/// The error of a failed receive: the other end gone is `ERROR_BROKEN_PIPE` (109).
/// A message's length as a receive or a peek on `fd` reported it, or how the read attempt
/// ends: not ready yet, failed, or at the end of the stream (an empty receive with the
/// other end gone and nothing left, not an empty message).
fn message_length(fd: BorrowedFd<'_>, received: Result<usize, Errno>) -> Result<usize, Attempt> {
    let length = match received {
        Ok(length) => length,
        Err(Errno::AGAIN) => return Err(Attempt::WaitFor(Readiness::Input)),
        Err(e) => return Err(Attempt::Done(Err(read_error(e)))),
    };
    if length == 0 && os::hung_up(fd) && os::bytes_waiting(fd) == 0 {
        return Err(Attempt::Done(Err(broken_pipe())));
    }
    Ok(length)
}

fn read_error(e: Errno) -> IoError {
    match e {
        Errno::PIPE | Errno::CONNRESET | Errno::NOTCONN => broken_pipe(),
        e => IoError::from_errno(e.raw_os_error()),
    }
}

/// The error of a failed send: the other end gone is `ERROR_NO_DATA` (232).
fn write_error(e: Errno) -> IoError {
    match e {
        Errno::PIPE | Errno::CONNRESET | Errno::NOTCONN => IoError::NoData,
        e => IoError::from_errno(e.raw_os_error()),
    }
}

fn broken_pipe() -> IoError {
    IoError::Os(Errno::PIPE.raw_os_error())
}

impl PipeState {
    fn new(info: PipeInfo, read_mode: ReadMode, server: Option<Server>) -> Self {
        let largest = if info.pipe_type == PipeType::Message {
            LARGEST_MESSAGE
        } else {
            0
        };
        Self {
            info,
            read_message: AtomicBool::new(read_mode == ReadMode::Message),
            rest: Mutex::new(Rest::default()),
            spill: Mutex::new(None),
            largest: AtomicUsize::new(largest),
            server,
        }
    }

    fn carries_messages(&self) -> bool {
        self.info.pipe_type == PipeType::Message
    }

    fn reads_messages(&self) -> bool {
        self.read_message.load(Ordering::Relaxed)
    }

    /// A listening instance with a client waiting takes it (P2, P3); true if it did.
    fn take_waiting_client(&self, fd: BorrowedFd<'_>, server: &Server, phase: &mut Phase) -> bool {
        if *phase != Phase::Listening {
            return false;
        }
        let _name = os_lock(&server.dir);
        let Ok(connection) = os::accept(fd) else {
            return false;
        };
        if self.carries_messages() {
            os::size_send_buffer(connection.as_fd(), MESSAGE_SEND_BUFFER);
        }
        if os::peer_uid(connection.as_fd()).ok() != Some(os::effective_uid()) {
            return false; // a stranger: dropped, and the instance listens on
        }
        // P3: the connect waiting on the listener wakes, and finds the instance connected.
        os::hang_up(fd);
        if os::replace(fd, connection).is_err() {
            return false;
        }
        let _ = fs::remove_file(&server.socket);
        server.enter(phase, Phase::Connected);
        true
    }

    /// Why a request of `kind` is refused at once (nothing queued: J106, J113), if it is.
    #[inline]
    pub(crate) fn refusal(&self, fd: BorrowedFd<'_>, kind: Kind) -> Option<IoError> {
        if let Some(server) = &self.server
            && (kind == Kind::Connect || !server.is_connected())
        {
            let mut phase = lock(&server.phase);
            self.take_waiting_client(fd, server, &mut phase);
            match (*phase, kind) {
                (Phase::Connected, Kind::Connect) => return Some(IoError::PipeConnected),
                (Phase::Listening, Kind::Connect) => return None,
                (Phase::Disconnected, Kind::Connect) => {
                    let _ = fs::remove_file(&server.socket);
                    return match os::listen_at(&server.socket, self.carries_messages())
                        .and_then(|listener| os::replace(fd, listener))
                    {
                        Ok(()) => {
                            server.enter(&mut phase, Phase::Listening);
                            None
                        }
                        Err(e) => Some(IoError::from_errno(e.raw_os_error())),
                    };
                }
                (Phase::Listening, _) => return Some(IoError::PipeListening),
                (Phase::Disconnected, _) => return Some(IoError::PipeNotConnected),
                (Phase::Connected, _) => {}
            }
        } else if kind == Kind::Connect {
            return Some(IoError::InvalidParameter);
        }
        if kind == Kind::Transact && !self.reads_messages() {
            return Some(IoError::BadPipe);
        }
        None
    }

    /// Why a request of `kind` is refused because the other end is gone (J106), looked at
    /// with a poll of the descriptor (P7): for the requests that no attempt at issue tells
    /// it of, those that move no bytes and those queued behind another.
    pub(crate) fn refusal_of_hang_up(&self, fd: BorrowedFd<'_>, kind: Kind) -> Option<IoError> {
        let gone = os::hung_up(fd);
        match kind {
            Kind::Write | Kind::Transact if gone => Some(IoError::NoData),
            Kind::Read if gone && lock(&self.rest).is_empty() && os::bytes_waiting(fd) == 0 => {
                Some(broken_pipe())
            }
            _ => None,
        }
    }

    /// Moves the waiting client's data into `buf` (P4, P5).
    fn read_attempt(&self, fd: BorrowedFd<'_>, buf: &mut [u8]) -> Attempt {
        if !self.carries_messages() {
            return Self::read_bytes(&mut lock(&self.rest), fd, buf);
        }
        {
            let mut rest = lock(&self.rest);
            if !rest.is_empty() {
                let n = rest.take_into(buf);
                return Attempt::Done(if !rest.is_empty() && self.reads_messages() {
                    Err(IoError::MoreData(n))
                } else {
                    Ok(n)
                });
            }
        }
        let largest = self.largest.load(Ordering::Relaxed);
        if largest == 0 {
            return self.read_message_peeking(fd, buf);
        }
        let mut spill = lock(&self.spill);
        let room = largest.saturating_sub(buf.len());
        if spill.as_ref().is_none_or(|spill| spill.len() < room) {
            *spill = None;
            *spill = os::Spill::new(room);
        }
        let Some(room_bytes) = spill.as_mut().map(|spill| &mut spill.bytes()[..room]) else {
            return self.read_message_peeking(fd, buf);
        };
        let length = match message_length(fd, os::receive_message(fd, buf, room_bytes)) {
            Ok(length) => length,
            Err(attempt) => return attempt,
        };
        if length <= buf.len() {
            return Attempt::Done(Ok(length));
        }
        if length > buf.len() + room {
            // A sender beyond the bound (privileged, or the limit raised since): the kernel
            // dropped what did not fit. Reported, and this end peeks from now on.
            self.largest.store(0, Ordering::Relaxed);
            return Attempt::Done(Err(IoError::from_errno(Errno::MSGSIZE.raw_os_error())));
        }
        let spilled = length - buf.len();
        if let Some(kept) = spill.as_mut() {
            lock(&self.rest).keep(&kept.bytes()[..spilled]);
        }
        if spilled > SPILL_KEPT {
            // Its touched pages go back; a later spill maps untouched ones again.
            *spill = None;
        }
        let n = buf.len();
        Attempt::Done(if self.reads_messages() {
            Err(IoError::MoreData(n))
        } else {
            Ok(n)
        })
    }

    /// A byte read: what was received ahead first, then, up to the read's length, what
    /// the stream holds, receiving ahead into `rest` where the read is short (P8). Bytes
    /// taken from `rest` complete the read whatever the stream then says: a hang-up or an
    /// error shows at the next read, after them.
    fn read_bytes(rest: &mut Rest, fd: BorrowedFd<'_>, buf: &mut [u8]) -> Attempt {
        if buf.is_empty() {
            return match os::receive(fd, buf) {
                Ok(_) => Attempt::Done(Ok(0)),
                Err(Errno::AGAIN) => Attempt::WaitFor(Readiness::Input),
                Err(e) => Attempt::Done(Err(read_error(e))),
            };
        }
        let taken = rest.take_into(buf);
        let left = &mut buf[taken..];
        if left.is_empty() {
            return Attempt::Done(Ok(taken));
        }
        // `rest` is empty now: it gave all it had.
        let received = if left.len() < READ_AHEAD {
            os::receive_two(fd, left, rest.room(READ_AHEAD))
        } else {
            os::receive(fd, left)
        };
        match received {
            Ok(n) if n > left.len() => {
                rest.received(n - left.len());
                Attempt::Done(Ok(buf.len()))
            }
            Ok(0) if taken == 0 => Attempt::Done(Err(broken_pipe())),
            Ok(n) => Attempt::Done(Ok(taken + n)),
            Err(_) if taken > 0 => Attempt::Done(Ok(taken)),
            Err(Errno::AGAIN) => Attempt::WaitFor(Readiness::Input),
            Err(e) => Attempt::Done(Err(read_error(e))),
        }
    }

    /// A message read that peeks at the message's length first, then receives it (P5):
    /// where the longest message the other end can send is not known.
    fn read_message_peeking(&self, fd: BorrowedFd<'_>, buf: &mut [u8]) -> Attempt {
        let length = match message_length(fd, os::peek_message(fd, &mut [])) {
            Ok(length) => length,
            Err(attempt) => return attempt,
        };
        if length <= buf.len() {
            return Attempt::Done(os::receive(fd, buf).map_err(read_error));
        }
        let mut whole = vec![0; length];
        match os::receive(fd, &mut whole) {
            Ok(n) => whole.truncate(n),
            Err(e) => return Attempt::Done(Err(read_error(e))),
        }
        let n = buf.len();
        buf.copy_from_slice(&whole[..n]);
        lock(&self.rest).keep(&whole[n..]);
        Attempt::Done(if self.reads_messages() {
            Err(IoError::MoreData(n))
        } else {
            Ok(n)
        })
    }

    /// Sends what `op` has not sent yet of `buf`; a message goes whole or not at all.
    fn write_attempt(op: &OpShared, fd: BorrowedFd<'_>, buf: &[u8]) -> Attempt {
        let (attempt, sent) = send_rest(fd, buf, op.written());
        op.add_written(sent);
        attempt
    }

    /// Takes a client for a pending connect.
    fn connect_attempt(&self, fd: BorrowedFd<'_>) -> Attempt {
        let Some(server) = &self.server else {
            return Attempt::Done(Err(IoError::InvalidParameter));
        };
        let mut phase = lock(&server.phase);
        if self.take_waiting_client(fd, server, &mut phase) {
            return Attempt::Done(Ok(0));
        }
        match *phase {
            Phase::Connected => Attempt::Done(Ok(0)),
            Phase::Disconnected => Attempt::Done(Err(IoError::PipeNotConnected)),
            Phase::Listening => Attempt::WaitFor(Readiness::Input),
        }
    }
}

/// Takes the name's lock (P2); without it (the file cannot be made) goes on unlocked.
fn os_lock(dir: &Path) -> Option<OwnedFd> {
    crate::sys::lock_file(&dir.join(".lock")).ok()
}

/// Takes the name's lock to create an instance: makes the name's directory if missing,
/// and starts again if the last instance of the name removed it meanwhile (P6).
fn lock_to_create(dir: &Path) -> Result<Option<OwnedFd>, IoError> {
    let gone = IoError::Os(Errno::NOENT.raw_os_error());
    // Every retry means another instance's drop removed the directory since we looked,
    // which it does only after an instance was made: the creators as a whole progress.
    // Two threads making and dropping instances of one name in a loop need dozens of
    // retries now and then; the bound only turns a directory that keeps vanishing for
    // another reason into an error instead of a hang.
    for _ in 0..10_000 {
        // The directory may vanish between any two steps here: then again from the top.
        match make_private_dir(dir) {
            Err(e) if e == gone => continue,
            other => other?,
        }
        let lock = match crate::sys::lock_file(&dir.join(".lock")) {
            Ok(lock) => lock,
            Err(Errno::NOENT) => continue,
            Err(_) => return Ok(None), // goes on unlocked, as `os_lock`
        };
        let held = fs::File::from(lock.try_clone()?).metadata()?.ino();
        if fs::symlink_metadata(dir.join(".lock")).is_ok_and(|m| m.ino() == held) {
            return Ok(Some(lock));
        }
    }
    Err(IoError::Os(Errno::AGAIN.raw_os_error()))
}

/// The readiness a pipe request waits for before its next attempt.
pub(crate) fn interest(op: &OpShared) -> Readiness {
    match op.kind {
        Kind::Read | Kind::Connect => Readiness::Input,
        Kind::Write => Readiness::Output,
        Kind::Transact if op.written() < op.payload.len() => Readiness::Output,
        Kind::Transact => Readiness::Input,
    }
}

/// Sends `buf` from byte `done` on; returns the attempt and the bytes it sent. A write is
/// done once all of `buf` is sent; a message goes whole or not at all.
#[inline]
fn send_rest(fd: BorrowedFd<'_>, buf: &[u8], done: usize) -> (Attempt, usize) {
    match os::send(fd, &buf[done..]) {
        Ok(n) if done + n >= buf.len() => (Attempt::Done(Ok(done + n)), n),
        Ok(n) => (Attempt::WaitFor(Readiness::Output), n),
        Err(Errno::AGAIN) => (Attempt::WaitFor(Readiness::Output), 0),
        Err(e) => (Attempt::Done(Err(write_error(e))), 0),
    }
}

/// A server end that is not connected moves no data (its refusal at issue said so
/// already, unless a disconnect came since).
#[inline]
fn not_connected(pipe: &PipeState) -> bool {
    pipe.server
        .as_ref()
        .is_some_and(|server| !server.is_connected())
}

/// The first try at a read or a write by the call that issues it, before a request is made
/// (O5 of `op.rs`): the caller keeps its direction's queue empty meanwhile. Returns the
/// attempt and, for a write, the bytes it sent (the request that waits goes on from
/// there).
#[inline]
pub(crate) fn attempt_at_issue(
    pipe: &PipeState,
    fd: BorrowedFd<'_>,
    kind: Kind,
    buf: &mut [u8],
) -> (Attempt, usize) {
    if not_connected(pipe) {
        return (Attempt::Done(Err(IoError::PipeNotConnected)), 0);
    }
    match kind {
        Kind::Read => (pipe.read_attempt(fd, buf), 0),
        Kind::Write => send_rest(fd, buf, 0),
        Kind::Connect | Kind::Transact => unreachable!("only reads and writes come here"),
    }
}

/// One non-blocking try at a pipe request, by the backend that holds it (P4).
pub(crate) fn attempt(op: &OpShared, buf: &mut [u8]) -> Attempt {
    let pipe = op
        .file()
        .pipe
        .as_ref()
        .expect("a pipe request is on a pipe");
    let fd = op.file().fd();
    if op.kind == Kind::Connect {
        return pipe.connect_attempt(fd);
    }
    if not_connected(pipe) {
        return Attempt::Done(Err(IoError::PipeNotConnected));
    }
    match op.kind {
        Kind::Read => pipe.read_attempt(fd, buf),
        Kind::Write => PipeState::write_attempt(op, fd, buf),
        Kind::Transact => {
            if op.written() < op.payload.len() {
                match os::send(fd, &op.payload) {
                    Ok(n) => {
                        op.add_written(n);
                    }
                    Err(Errno::AGAIN) => return Attempt::WaitFor(Readiness::Output),
                    Err(e) => return Attempt::Done(Err(write_error(e))),
                }
            }
            pipe.read_attempt(fd, buf)
        }
        Kind::Connect => unreachable!("handled above"),
    }
}

/// Tries a pipe request on the issuing thread and completes it there if it needs no
/// waiting (J104: its routine is still only queued); false if it must wait. For a request
/// that starts after the one ahead of it completed: its issue has returned, so a peer
/// found gone completes it with the error. A connect is never completed here: a client
/// already there was reported by the refusal (`ERROR_PIPE_CONNECTED`, J113), and one that
/// comes later completes it as pending.
pub(crate) fn complete_at_once(op: &Arc<OpShared>) -> bool {
    match try_at_issue(op) {
        AtIssue::Done(result) => {
            op.complete(result);
            true
        }
        AtIssue::Waits => false,
    }
}

/// What a pipe request's attempt inside the call that issues it came to.
pub(crate) enum AtIssue {
    /// The request is done with this result; nothing is notified yet. A result that says
    /// the other end is gone with no byte moved ([`hang_up_refusal`]) refuses the request
    /// instead (J106, P7).
    Done(Result<usize, IoError>),
    /// It waits for readiness: the backend takes it (P4).
    Waits,
}

/// One attempt at a pipe request by the thread that issues it, first in its direction
/// (P4: the backend does not hold it yet).
pub(crate) fn try_at_issue(op: &Arc<OpShared>) -> AtIssue {
    if op.kind == Kind::Connect {
        return AtIssue::Waits;
    }
    let mut buf = op.take_buffer_for_io();
    let attempt = attempt(op, &mut buf);
    op.put_buffer(buf);
    match attempt {
        Attempt::Done(result) => AtIssue::Done(result),
        Attempt::WaitFor(_) => AtIssue::Waits,
    }
}

/// The error a request is refused with if `result`, of its attempt at issue, says that
/// the other end is gone and nothing moved: a read that found the end of the stream with
/// nothing left to read (`ERROR_BROKEN_PIPE`), a write or transaction whose message the
/// socket refused (`ERROR_NO_DATA`). It is refused then, as it would have been had the
/// hang-up been known before (J106, P7).
pub(crate) fn hang_up_refusal(op: &OpShared, result: Result<usize, IoError>) -> Option<IoError> {
    hang_up_refusal_of(op.kind, op.written(), result)
}

/// [`hang_up_refusal`] of a request of `kind` that has sent `written` bytes.
#[inline]
pub(crate) fn hang_up_refusal_of(
    kind: Kind,
    written: usize,
    result: Result<usize, IoError>,
) -> Option<IoError> {
    match (kind, result) {
        (Kind::Read, Err(e)) if e == broken_pipe() => Some(e),
        (Kind::Write | Kind::Transact, Err(IoError::NoData)) if written == 0 => {
            Some(IoError::NoData)
        }
        _ => None,
    }
}

impl Drop for PipeState {
    fn drop(&mut self) {
        if let Some(server) = &self.server {
            let name = os_lock(&server.dir);
            if *lock(&server.phase) == Phase::Listening {
                let _ = fs::remove_file(&server.socket);
            }
            let _ = fs::remove_file(&server.marker);
            // The name's last instance takes its directory along (P6), still holding the
            // lock it removes.
            let only_the_lock = fs::read_dir(&server.dir)
                .is_ok_and(|entries| entries.flatten().all(|e| e.file_name() == ".lock"));
            if name.is_some() && only_the_lock {
                let _ = fs::remove_file(server.dir.join(".lock"));
                let _ = fs::remove_dir(&server.dir);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Names

/// The directory of the user's pipes: made mode 0700 if missing, refused if it is not the
/// user's own and private.
fn user_dir() -> Result<PathBuf, IoError> {
    let dir = match std::env::var_os("ALERTABLE_PIPE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(format!("/tmp/alertable-pipes-{}", os::effective_uid())),
    };
    make_private_dir(&dir)?;
    Ok(dir)
}

fn make_private_dir(dir: &Path) -> Result<(), IoError> {
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e.into()),
    }
    check_private(dir)
}

/// A directory that is the user's own and nobody else's, or `ERROR_ACCESS_DENIED`.
fn check_private(dir: &Path) -> Result<(), IoError> {
    let meta = fs::symlink_metadata(dir)?;
    if !meta.is_dir() || meta.uid() != os::effective_uid() || meta.mode() & 0o077 != 0 {
        return Err(IoError::AccessDenied);
    }
    Ok(())
}

/// The part of `\\.\pipe\<name>` after the prefix, lower-cased (names are
/// case-insensitive).
fn pipe_name(name: &str) -> Result<String, IoError> {
    const PREFIX: &str = r"\\.\pipe\";
    let rest = name
        .get(..PREFIX.len())
        .filter(|prefix| prefix.eq_ignore_ascii_case(PREFIX))
        .map(|_| &name[PREFIX.len()..])
        .filter(|rest| !rest.is_empty())
        .ok_or(IoError::InvalidName)?;
    Ok(rest.to_lowercase())
}

/// The directory of a name: a hash of it, so that any name fits a socket address.
fn name_dir(name: &str) -> Result<PathBuf, IoError> {
    let name = pipe_name(name)?;
    // FNV-1a, 64 bits.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    Ok(user_dir()?.join(format!("{hash:016x}")))
}

/// What an instance's record says.
#[derive(Debug, Clone, Copy)]
struct Record {
    pipe_type: PipeType,
    access: PipeAccess,
    max_instances: Option<u32>,
    out_buffer_size: u32,
    in_buffer_size: u32,
    default_timeout: Duration,
}

impl Record {
    fn encode(&self) -> String {
        format!(
            "{} {} {} {} {} {}\n",
            match self.pipe_type {
                PipeType::Byte => "byte",
                PipeType::Message => "message",
            },
            match self.access {
                PipeAccess::Inbound => "in",
                PipeAccess::Outbound => "out",
                PipeAccess::Duplex => "duplex",
            },
            self.max_instances.unwrap_or(0),
            self.out_buffer_size,
            self.in_buffer_size,
            self.default_timeout.as_millis(),
        )
    }

    fn decode(text: &str) -> Option<Self> {
        let mut words = text.split_whitespace();
        let pipe_type = match words.next()? {
            "byte" => PipeType::Byte,
            "message" => PipeType::Message,
            _ => return None,
        };
        let access = match words.next()? {
            "in" => PipeAccess::Inbound,
            "out" => PipeAccess::Outbound,
            "duplex" => PipeAccess::Duplex,
            _ => return None,
        };
        let max: u32 = words.next()?.parse().ok()?;
        Some(Self {
            pipe_type,
            access,
            max_instances: (max != 0).then_some(max),
            out_buffer_size: words.next()?.parse().ok()?,
            in_buffer_size: words.next()?.parse().ok()?,
            default_timeout: Duration::from_millis(words.next()?.parse().ok()?),
        })
    }
}

/// An instance found in a name's directory.
struct Instance {
    socket: PathBuf,
    record: Option<Record>,
}

/// The live instances of the name in `dir`; records of processes that are gone are
/// removed on the way.
fn instances(dir: &Path) -> Vec<Instance> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let Some((pid, seq)) = file_name.split_once('.') else {
            continue;
        };
        if pid.parse::<u32>().is_err() || seq.parse::<u64>().is_err() {
            continue; // a socket, or the lock
        }
        let marker = entry.path();
        let socket = dir.join(format!("{file_name}.s"));
        if !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_file(&socket);
            let _ = fs::remove_file(&marker);
            continue;
        }
        let mut text = String::new();
        let record = fs::File::open(&marker)
            .and_then(|mut f| f.read_to_string(&mut text))
            .ok()
            .and_then(|_| Record::decode(&text));
        found.push(Instance { socket, record });
    }
    found
}

static NEXT_INSTANCE: AtomicUsize = AtomicUsize::new(0);

/// The send buffer a message socket asks for: a message must fit in it whole (the kernel
/// caps it at `net.core.wmem_max`, 208 KiB by default). The buffer sizes of
/// [`PipeOptions`] are advisory, as on Windows, and never make it smaller.
const MESSAGE_SEND_BUFFER: usize = 4 << 20;

/// The longest message an end of ours can send (P5): the kernel doubles the send buffer
/// asked for (after capping it at `net.core.wmem_max`), and refuses a message longer than
/// the buffer less 32 bytes. A message read keeps room for this much beyond its buffer:
/// address space only, but for the pages a spilled message touched (`os::Spill`).
const LARGEST_MESSAGE: usize = 2 * MESSAGE_SEND_BUFFER - 32;

/// A spill that took more than this gives its pages back (P5).
const SPILL_KEPT: usize = 64 << 10;

/// How far a short read of a byte pipe receives ahead (P8): eight 4 KiB pieces.
const READ_AHEAD: usize = 32 << 10;

/// Bytes an end received and no read has taken yet (P5, P8): `bytes[at..end]`. Its room
/// stays between uses, so a byte pipe that receives ahead allocates it once.
#[derive(Debug, Default)]
pub(crate) struct Rest {
    bytes: Vec<u8>,
    at: usize,
    end: usize,
}

impl Rest {
    fn is_empty(&self) -> bool {
        self.at == self.end
    }

    /// What is kept.
    fn bytes(&self) -> &[u8] {
        &self.bytes[self.at..self.end]
    }

    /// Moves the first kept bytes into `buf`, as many as fit; how many. Room beyond
    /// `READ_AHEAD` (a long message's rest) goes once it is all taken.
    fn take_into(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.end - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        if self.is_empty() && self.bytes.len() > READ_AHEAD {
            self.clear();
        }
        n
    }

    /// Keeps a copy of `bytes`, in place of what was kept (P5).
    fn keep(&mut self, bytes: &[u8]) {
        self.bytes.clear();
        self.bytes.extend_from_slice(bytes);
        (self.at, self.end) = (0, bytes.len());
    }

    /// Room for `len` bytes to be received into, at the start (nothing is kept).
    fn room(&mut self, len: usize) -> &mut [u8] {
        debug_assert!(
            self.is_empty(),
            "P8: received ahead only when nothing is kept"
        );
        if self.bytes.len() < len {
            self.bytes.resize(len, 0);
        }
        &mut self.bytes[..len]
    }

    /// The first `len` bytes of the room are kept: they were received into it.
    fn received(&mut self, len: usize) {
        (self.at, self.end) = (0, len);
    }

    /// Forgets what is kept, and lets its room go.
    fn clear(&mut self) {
        *self = Self::default();
    }
}

/// A named pipe's server end: an instance of the name, which a client can open while it
/// listens. Dereferences to its [`AsyncFile`], through which it reads and writes once
/// connected.
///
/// # Win32
///
/// A `HANDLE` from `CreateNamedPipe`, with `ConnectNamedPipe` and `DisconnectNamedPipe`.
///
/// # Example
///
/// ```
/// use alertable_io::pipe::{self, NamedPipe, PipeAccess, PipeOptions};
///
/// let name = format!(r"\\.\pipe\doc-{}", std::process::id());
/// let server = NamedPipe::create(&name, &PipeOptions::default())?;
/// let client = pipe::open(&name, PipeAccess::Duplex)?;
/// // The client came first: the connect has nothing to wait for (ERROR_PIPE_CONNECTED).
/// assert_eq!(server.connect().err(), Some(alertable_io::IoError::PipeConnected));
/// client.write(0, b"ping".to_vec())?.result(true)?;
/// let read = server.read(0, vec![0; 16])?;
/// assert_eq!(read.result(true), Ok(4));
/// assert_eq!(read.take_buffer().unwrap(), b"ping");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct NamedPipe {
    file: AsyncFile,
}

impl NamedPipe {
    /// Creates an instance of the pipe `name` (`\\.\pipe\<name>`, case-insensitive),
    /// listening: a client may open it from now on, before [`connect`](Self::connect).
    ///
    /// # Errors
    ///
    /// [`IoError::InvalidName`] for a name without the prefix; [`IoError::InvalidParameter`]
    /// for `max_instances` of 0 or above 254, or message read mode on a byte pipe;
    /// [`IoError::PipeBusy`] when the name has its most instances already;
    /// [`IoError::AccessDenied`] with `first_instance` when the name exists, or when the
    /// user's pipe directory is not the user's own; an operating-system error otherwise.
    ///
    /// # Win32
    ///
    /// `CreateNamedPipe(name, access | FILE_FLAG_OVERLAPPED, type | read mode,
    /// max_instances, out_buffer_size, in_buffer_size, default_timeout, NULL)`.
    pub fn create(name: &str, options: &PipeOptions) -> Result<Self, IoError> {
        if options
            .max_instances
            .is_some_and(|max| max == 0 || max > 254)
            || (options.pipe_type == PipeType::Byte && options.read_mode == ReadMode::Message)
        {
            return Err(IoError::InvalidParameter);
        }
        let dir = name_dir(name)?;
        let _name = lock_to_create(&dir)?;
        let existing = instances(&dir);
        if options.first_instance && !existing.is_empty() {
            return Err(IoError::AccessDenied);
        }
        let max = existing
            .iter()
            .find_map(|instance| instance.record)
            .map_or(options.max_instances, |record| record.max_instances);
        if max.is_some_and(|max| existing.len() >= max as usize) {
            return Err(IoError::PipeBusy);
        }
        let record = Record {
            pipe_type: options.pipe_type,
            access: options.access,
            max_instances: options.max_instances,
            out_buffer_size: options.out_buffer_size,
            in_buffer_size: options.in_buffer_size,
            default_timeout: options.default_timeout,
        };
        let id = format!(
            "{}.{}",
            std::process::id(),
            NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed)
        );
        let marker = dir.join(&id);
        let socket = dir.join(format!("{id}.s"));
        let _ = fs::remove_file(&socket);
        // The socket first, the record after, complete: a client that finds the record
        // finds the instance listening (or taken), never half made.
        let message = options.pipe_type == PipeType::Message;
        let listener =
            os::listen_at(&socket, message).map_err(|e| IoError::from_errno(e.raw_os_error()))?;
        let partial = dir.join(format!("{id}.new"));
        let recorded = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&partial)
            .and_then(|mut f| f.write_all(record.encode().as_bytes()))
            .and_then(|()| fs::rename(&partial, &marker));
        if let Err(e) = recorded {
            let _ = fs::remove_file(&partial);
            let _ = fs::remove_file(&socket);
            return Err(e.into());
        }
        let state = PipeState::new(
            PipeInfo {
                end: PipeEnd::Server,
                pipe_type: options.pipe_type,
                out_buffer_size: options.out_buffer_size,
                in_buffer_size: options.in_buffer_size,
                max_instances: options.max_instances,
            },
            options.read_mode,
            Some(Server {
                marker,
                socket,
                dir,
                phase: Mutex::new(Phase::Listening),
                connected: AtomicBool::new(false),
            }),
        );
        let access = [options.access.reads(), options.access.writes()];
        Ok(Self {
            file: AsyncFile::from_pipe(listener, access, state),
        })
    }

    /// The instance as a file: reads, writes, peeks and transactions go through it.
    ///
    /// # Win32
    ///
    /// The pipe `HANDLE` given to `ReadFile`, `WriteFile`, `PeekNamedPipe`, ….
    pub fn file(&self) -> &AsyncFile {
        &self.file
    }

    fn submit_connect(
        &self,
        notify: Notify,
        thread: Option<alertable::ThreadHandle>,
    ) -> Result<Operation, IoError> {
        self.file
            .submit(Kind::Connect, 0, Vec::new(), notify, thread)
            .map_err(|e| e.error)
    }

    /// Waits for a client, asynchronously: the [`Operation`] completes (with `Ok(0)`) when
    /// one connects, or with [`IoError::Aborted`] when cancelled. On an instance bound to a
    /// completion port, it completes there too.
    ///
    /// # Errors
    ///
    /// [`IoError::PipeConnected`] when a client is connected already (it came before this
    /// call): the pipe is ready, and nothing is queued (J113). An instance that was
    /// [disconnected](Self::disconnect) listens again first.
    ///
    /// # Win32
    ///
    /// `ConnectNamedPipe(pipe, &overlapped)` with `overlapped.hEvent == NULL`.
    pub fn connect(&self) -> Result<Operation, IoError> {
        self.submit_connect(Notify::None, None)
    }

    /// [`connect`](Self::connect), and `event` is signaled when a client connects.
    ///
    /// # Errors
    ///
    /// As [`connect`](Self::connect); on [`IoError::PipeConnected`] the event is left alone
    /// (a caller resets it first, as the documentation samples do).
    ///
    /// # Win32
    ///
    /// `ConnectNamedPipe(pipe, &overlapped)` with `overlapped.hEvent = event`.
    pub fn connect_with_event(&self, event: &Event) -> Result<Operation, IoError> {
        self.submit_connect(Notify::Event(event.clone()), None)
    }

    /// [`connect`](Self::connect), and `routine` runs as an APC on the calling thread, in
    /// its next alertable wait, with the result, once a client connects (J113). If the
    /// thread exits first, it never runs (K121).
    ///
    /// # Errors
    ///
    /// As [`connect`](Self::connect), and [`IoError::InvalidParameter`] on an instance bound
    /// to a completion port (J108). A refused connect never runs its routine.
    ///
    /// # Win32
    ///
    /// `NtFsControlFile(pipe, NULL, routine, …, FSCTL_PIPE_LISTEN, …)`: the listen with an
    /// APC, which `ConnectNamedPipe` does not expose.
    pub fn connect_ex<F>(&self, routine: F) -> Result<Operation, IoError>
    where
        F: FnOnce(Result<usize, IoError>) + Send + 'static,
    {
        self.file
            .submit_ex(
                Kind::Connect,
                0,
                Vec::new(),
                crate::routine::Routine::new(move |result, _| routine(result)),
            )
            .map_err(|e| e.error)
    }

    /// Waits (not alertably) until a client connects.
    ///
    /// # Errors
    ///
    /// None for a client that came first ([`IoError::PipeConnected`] is success here);
    /// otherwise as [`connect`](Self::connect).
    ///
    /// # Win32
    ///
    /// `ConnectNamedPipe(pipe, NULL)` on a pipe created without `FILE_FLAG_OVERLAPPED`.
    pub fn connect_blocking(&self) -> Result<(), IoError> {
        match self.connect() {
            Ok(op) => op.result(true).map(drop),
            Err(IoError::PipeConnected) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Ends the connection with the client: the client's reads find the pipe broken, the
    /// instance's own pending reads and writes complete with
    /// [`IoError::PipeNotConnected`], and data not yet read is dropped. The instance
    /// takes a new client after the next [`connect`](Self::connect).
    ///
    /// # Errors
    ///
    /// [`IoError::PipeListening`] when no client ever came; [`IoError::PipeNotConnected`]
    /// when already disconnected.
    ///
    /// # Win32
    ///
    /// `DisconnectNamedPipe`; a client then reads what was already sent to it and then
    /// `ERROR_BROKEN_PIPE`, where Windows reports `ERROR_PIPE_NOT_CONNECTED` at once (the
    /// carrier cannot tell a disconnect from a close).
    pub fn disconnect(&self) -> Result<(), IoError> {
        let inner = self.file.inner();
        // Always there: `create` makes a server's file.
        let Some((pipe, server)) = inner
            .pipe
            .as_ref()
            .and_then(|pipe| Some((pipe, pipe.server.as_ref()?)))
        else {
            return Err(IoError::BadPipe);
        };
        let mut phase = lock(&server.phase);
        pipe.take_waiting_client(inner.fd(), server, &mut phase);
        match *phase {
            Phase::Listening => Err(IoError::PipeListening),
            Phase::Disconnected => Err(IoError::PipeNotConnected),
            Phase::Connected => {
                server.enter(&mut phase, Phase::Disconnected);
                os::hang_up(inner.fd());
                lock(&pipe.rest).clear();
                Ok(())
            }
        }
    }
}

impl Deref for NamedPipe {
    type Target = AsyncFile;

    fn deref(&self) -> &AsyncFile {
        &self.file
    }
}

impl fmt::Debug for NamedPipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamedPipe")
            .field("file", &self.file)
            .finish()
    }
}

/// Opens the client end of the pipe `name`, taking a free (listening) instance.
///
/// # Errors
///
/// [`IoError::InvalidName`] for a name without the `\\.\pipe\` prefix; `ERROR_FILE_NOT_FOUND`
/// (an [`IoError::Os`] of `ENOENT`) when no server has an instance of the name;
/// [`IoError::PipeBusy`] when every instance has a client; [`IoError::AccessDenied`] when
/// `access` asks for a direction the server does not offer, or the pipe belongs to
/// another user.
///
/// # Win32
///
/// `CreateFile(r"\\.\pipe\<name>", access, 0, NULL, OPEN_EXISTING, FILE_FLAG_OVERLAPPED,
/// NULL)`. The client starts in byte read mode ([`AsyncFile::set_read_mode`]).
pub fn open(name: &str, access: PipeAccess) -> Result<AsyncFile, IoError> {
    let dir = name_dir(name)?;
    if !dir.exists() {
        return Err(IoError::Os(Errno::NOENT.raw_os_error()));
    }
    check_private(&dir)?;
    let live = instances(&dir);
    if live.is_empty() {
        return Err(IoError::Os(Errno::NOENT.raw_os_error()));
    }
    for instance in &live {
        let Some(record) = instance.record else {
            continue;
        };
        // The client reads what the server writes, and the other way round.
        if (access.reads() && !record.access.writes())
            || (access.writes() && !record.access.reads())
        {
            return Err(IoError::AccessDenied);
        }
        let Ok(meta) = fs::symlink_metadata(&instance.socket) else {
            continue; // taken
        };
        if meta.uid() != os::effective_uid() {
            return Err(IoError::AccessDenied);
        }
        let message = record.pipe_type == PipeType::Message;
        let connection = {
            let _name = os_lock(&dir);
            match os::connect_to(&instance.socket, message) {
                Ok(fd) => {
                    // P2: taken; no other client may find it.
                    let _ = fs::remove_file(&instance.socket);
                    fd
                }
                Err(Errno::AGAIN | Errno::CONNREFUSED | Errno::NOENT) => continue,
                Err(e) => return Err(IoError::from_errno(e.raw_os_error())),
            }
        };
        if os::peer_uid(connection.as_fd()).ok() != Some(os::effective_uid()) {
            return Err(IoError::AccessDenied);
        }
        if message {
            os::size_send_buffer(connection.as_fd(), MESSAGE_SEND_BUFFER);
        }
        let state = PipeState::new(
            PipeInfo {
                end: PipeEnd::Client,
                pipe_type: record.pipe_type,
                out_buffer_size: record.out_buffer_size,
                in_buffer_size: record.in_buffer_size,
                max_instances: record.max_instances,
            },
            ReadMode::Byte,
            None,
        );
        return Ok(AsyncFile::from_pipe(
            connection,
            [access.reads(), access.writes()],
            state,
        ));
    }
    Err(IoError::PipeBusy)
}

/// Waits until an instance of the pipe `name` is free for a client to [`open`], or the
/// timeout passes. It does not take the instance: another client may come first.
///
/// # Errors
///
/// `ERROR_FILE_NOT_FOUND` (an [`IoError::Os`] of `ENOENT`) when the name has no instance;
/// [`IoError::Timeout`] (`ERROR_SEM_TIMEOUT`) when none became free in time;
/// [`IoError::InvalidName`], [`IoError::AccessDenied`] as [`open`].
///
/// # Win32
///
/// `WaitNamedPipe(name, timeout)`.
pub fn wait(name: &str, timeout: PipeWait) -> Result<(), IoError> {
    let dir = name_dir(name)?;
    if !dir.exists() {
        return Err(IoError::Os(Errno::NOENT.raw_os_error()));
    }
    check_private(&dir)?;
    // Watched before the first look, so that an instance freed in between is not missed.
    let watch = os::watch_creations(&dir).map_err(|e| IoError::from_errno(e.raw_os_error()))?;
    let start = Instant::now();
    loop {
        let live = instances(&dir);
        if live.is_empty() {
            return Err(IoError::Os(Errno::NOENT.raw_os_error()));
        }
        if live.iter().any(|instance| instance.socket.exists()) {
            return Ok(());
        }
        let limit = match timeout {
            PipeWait::Forever => None,
            PipeWait::For(limit) => Some(limit),
            PipeWait::Default => Some(
                live.iter()
                    .find_map(|instance| instance.record)
                    .map_or(Duration::from_millis(50), |record| record.default_timeout),
            ),
        };
        let left = match limit {
            None => None,
            Some(limit) => match limit.checked_sub(start.elapsed()) {
                Some(left) if !left.is_zero() => Some(left),
                _ => return Err(IoError::Timeout),
            },
        };
        os::wait_readable(watch.as_fd(), left);
        os::drain(&watch);
    }
}

/// Creates an anonymous pipe: a byte stream from the second file (which writes) to the
/// first (which reads). `size` is the buffer size asked for (0 for the default, reported
/// as 4096). The reading end reports itself as the server end, as on Windows.
///
/// # Errors
///
/// An operating-system error when the carrier cannot be made (`ERROR_TOO_MANY_OPEN_FILES`).
///
/// # Win32
///
/// `CreatePipe(&read, &write, NULL, size)`; the ends here are overlapped-capable, and
/// [`NamedPipe`]'s byte semantics apply to them.
pub fn anonymous(size: u32) -> Result<(AsyncFile, AsyncFile), IoError> {
    let (read, write) = os::pair().map_err(|e| IoError::from_errno(e.raw_os_error()))?;
    if size > 0 {
        os::size_send_buffer(write.as_fd(), size as usize);
    }
    // 0 asks for the default, which Windows reports as 4096.
    let size = if size == 0 { 4096 } else { size };
    let info = |end| PipeInfo {
        end,
        pipe_type: PipeType::Byte,
        out_buffer_size: size,
        in_buffer_size: size,
        max_instances: Some(1),
    };
    let state = |end| PipeState::new(info(end), ReadMode::Byte, None);
    Ok((
        AsyncFile::from_pipe(read, [true, false], state(PipeEnd::Server)),
        AsyncFile::from_pipe(write, [false, true], state(PipeEnd::Client)),
    ))
}

impl AsyncFile {
    fn pipe_state(&self) -> Result<&PipeState, IoError> {
        self.inner().pipe.as_ref().ok_or(IoError::InvalidParameter)
    }

    /// Whether this file is an end of a pipe made by this module.
    ///
    /// # Win32
    ///
    /// `GetFileType(file) == FILE_TYPE_PIPE`, for pipes of [`crate::pipe`] (a descriptor
    /// wrapped with [`AsyncFile::from_fd`] is not one, whatever it is).
    pub fn is_pipe(&self) -> bool {
        self.inner().pipe.is_some()
    }

    /// The pipe's end, type, buffer sizes and instance limit.
    ///
    /// # Errors
    ///
    /// [`IoError::InvalidParameter`] if the file is not a pipe.
    ///
    /// # Win32
    ///
    /// `GetNamedPipeInfo`.
    pub fn pipe_info(&self) -> Result<PipeInfo, IoError> {
        Ok(self.pipe_state()?.info)
    }

    /// The read mode of this end of a pipe.
    ///
    /// # Errors
    ///
    /// [`IoError::InvalidParameter`] if the file is not a pipe.
    ///
    /// # Win32
    ///
    /// `GetNamedPipeHandleState(pipe, &mode, …)`.
    pub fn read_mode(&self) -> Result<ReadMode, IoError> {
        Ok(if self.pipe_state()?.reads_messages() {
            ReadMode::Message
        } else {
            ReadMode::Byte
        })
    }

    /// Sets how this end's reads take messages.
    ///
    /// # Errors
    ///
    /// [`IoError::InvalidParameter`] for message read mode on a byte pipe, or a file that
    /// is not a pipe.
    ///
    /// # Win32
    ///
    /// `SetNamedPipeHandleState(pipe, &mode, NULL, NULL)`.
    pub fn set_read_mode(&self, mode: ReadMode) -> Result<(), IoError> {
        let pipe = self.pipe_state()?;
        if mode == ReadMode::Message && !pipe.carries_messages() {
            return Err(IoError::InvalidParameter);
        }
        pipe.read_message
            .store(mode == ReadMode::Message, Ordering::Relaxed);
        Ok(())
    }

    /// Looks at up to `max` bytes waiting in the pipe without taking them, and says how
    /// much waits in all and how much of the current message is beyond what was seen.
    ///
    /// # Errors
    ///
    /// `ERROR_BROKEN_PIPE` (109) when nothing is left and the other end is gone;
    /// [`IoError::PipeListening`], [`IoError::PipeNotConnected`] on a server without a
    /// client; [`IoError::InvalidParameter`] if the file is not a pipe.
    ///
    /// # Win32
    ///
    /// `PeekNamedPipe(pipe, buffer, max, &read, &available, &left_in_message)`.
    pub fn peek_pipe(&self, max: usize) -> Result<Peeked, IoError> {
        let pipe = self.pipe_state()?;
        let fd = self.inner().fd();
        if let Some(server) = &pipe.server {
            let mut phase = lock(&server.phase);
            pipe.take_waiting_client(fd, server, &mut phase);
            match *phase {
                Phase::Listening => return Err(IoError::PipeListening),
                Phase::Disconnected => return Err(IoError::PipeNotConnected),
                Phase::Connected => {}
            }
        }
        let rest = lock(&pipe.rest);
        let waiting = os::bytes_waiting(fd);
        if !rest.is_empty() {
            let kept = rest.bytes();
            let n = max.min(kept.len());
            let mut data = kept[..n].to_vec();
            if pipe.carries_messages() {
                return Ok(Peeked {
                    data,
                    available: kept.len() + waiting,
                    left_in_message: kept.len() - n,
                });
            }
            // Bytes received ahead (P8) come first, then what the stream holds behind
            // them, up to `max`; they belong to no message.
            if n < max && waiting > 0 {
                let mut behind = vec![0; max - n];
                let got = os::peek_bytes(fd, &mut behind).unwrap_or(0);
                data.extend_from_slice(&behind[..got]);
            }
            return Ok(Peeked {
                data,
                available: kept.len() + waiting,
                left_in_message: 0,
            });
        }
        if waiting == 0 {
            if os::hung_up(fd) {
                return Err(broken_pipe());
            }
            return Ok(Peeked {
                data: Vec::new(),
                available: 0,
                left_in_message: 0,
            });
        }
        let mut data = vec![0; max];
        if pipe.carries_messages() {
            let full = os::peek_message(fd, &mut data).map_err(read_error)?;
            data.truncate(full.min(max));
            Ok(Peeked {
                left_in_message: full - data.len(),
                data,
                available: waiting,
            })
        } else {
            let n = os::peek_bytes(fd, &mut data).map_err(read_error)?;
            data.truncate(n);
            Ok(Peeked {
                data,
                available: waiting,
                left_in_message: 0,
            })
        }
    }

    /// Waits until the other end has read everything this end wrote, or is gone. It looks
    /// every millisecond: the carrier does not signal the moment. An end of a byte pipe
    /// receives ahead of its reads (P8): what it received counts as read.
    ///
    /// # Errors
    ///
    /// [`IoError::InvalidParameter`] if the file is not a pipe.
    ///
    /// # Win32
    ///
    /// `FlushFileBuffers` on a pipe handle.
    pub fn flush_pipe(&self) -> Result<(), IoError> {
        self.pipe_state()?;
        let fd = self.inner().fd();
        while os::unread_by_peer(fd) > 0 && !os::hung_up(fd) {
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    }

    /// Writes `message` and reads the reply into `reply`, as one request: it completes
    /// when the reply has come (with [`IoError::MoreData`] if it did not fit; the rest
    /// comes with the next read).
    ///
    /// # Errors
    ///
    /// [`IoError::BadPipe`] unless this end reads in message mode; the refusals of
    /// [`write`](Self::write) otherwise.
    ///
    /// # Win32
    ///
    /// `TransactNamedPipe(pipe, message, len, reply, size, &read, &overlapped)`.
    pub fn transact(&self, message: Vec<u8>, reply: Vec<u8>) -> Result<Operation, SubmitError> {
        self.submit_with(Kind::Transact, 0, reply, message, Notify::None, None)
    }

    /// [`transact`](Self::transact), and `event` is signaled when the reply has come.
    ///
    /// # Errors
    ///
    /// As [`transact`](Self::transact).
    ///
    /// # Win32
    ///
    /// `TransactNamedPipe` with `overlapped.hEvent = event`.
    pub fn transact_with_event(
        &self,
        message: Vec<u8>,
        reply: Vec<u8>,
        event: &Event,
    ) -> Result<Operation, SubmitError> {
        self.submit_with(
            Kind::Transact,
            0,
            reply,
            message,
            Notify::Event(event.clone()),
            None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connected message pipe: the server (reading messages) and its client.
    fn message_pair() -> (NamedPipe, AsyncFile) {
        pair(PipeType::Message, ReadMode::Message)
    }

    fn pair(pipe_type: PipeType, read_mode: ReadMode) -> (NamedPipe, AsyncFile) {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            r"\\.\pipe\alertable-unit-spill-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let options = PipeOptions {
            pipe_type,
            read_mode,
            ..PipeOptions::default()
        };
        let server = NamedPipe::create(&name, &options).unwrap();
        let client = open(&name, PipeAccess::Duplex).unwrap();
        server.connect_blocking().unwrap();
        (server, client)
    }

    /// P8: a short read of a byte pipe receives what else the stream holds, up to
    /// `READ_AHEAD`, in the same call; the next reads take it, in order, and a peek sees
    /// it as available bytes of no message.
    #[test]
    fn a_short_byte_read_receives_ahead_and_the_next_reads_take_it() {
        let (server, client) = pair(PipeType::Byte, ReadMode::Byte);
        let data: Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
        for piece in data.chunks(100) {
            send(&client, piece);
        }
        assert_eq!(receive(&server, 100), (Ok(100), data[..100].to_vec()));
        assert_eq!(lock(&state(&server).rest).bytes(), &data[100..]);
        let peeked = server.peek_pipe(10).unwrap();
        assert_eq!(
            (peeked.data, peeked.available, peeked.left_in_message),
            (data[100..110].to_vec(), 200, 0)
        );
        assert_eq!(receive(&server, 150), (Ok(150), data[100..250].to_vec()));
        assert_eq!(receive(&server, 100), (Ok(50), data[250..].to_vec()));
        assert!(lock(&state(&server).rest).is_empty());
    }

    /// P8, P7, J107: what was received ahead is read before the other end's hang-up shows;
    /// then a read fails with `ERROR_BROKEN_PIPE`.
    #[test]
    fn bytes_received_ahead_are_read_before_a_hang_up_shows() {
        let (server, client) = pair(PipeType::Byte, ReadMode::Byte);
        send(&client, b"abcdef");
        drop(client);
        assert_eq!(receive(&server, 2), (Ok(2), b"ab".to_vec()));
        assert_eq!(receive(&server, 2), (Ok(2), b"cd".to_vec()));
        assert_eq!(receive(&server, 8), (Ok(2), b"ef".to_vec()));
        let refused = server.read(0, vec![0; 8]).unwrap_err();
        assert_eq!(refused.error, broken_pipe());
    }

    /// P8: with bytes received ahead and more in the stream behind them, a read or a peek
    /// gets as many as it asks for and the pipe holds, the kept ones first, as a Windows
    /// byte pipe gives what it holds up to the read's length; a read of no bytes takes
    /// none.
    #[test]
    fn reads_and_peeks_after_a_read_ahead_take_what_the_stream_holds_too() {
        let (server, client) = pair(PipeType::Byte, ReadMode::Byte);
        let data: Vec<u8> = (0..110u32).map(|i| (i % 251) as u8).collect();
        send(&client, &data[..10]);
        assert_eq!(receive(&server, 5), (Ok(5), data[..5].to_vec()));
        assert_eq!(lock(&state(&server).rest).bytes(), &data[5..10]);
        send(&client, &data[10..]);
        let peeked = server.peek_pipe(50).unwrap();
        assert_eq!(
            (peeked.data, peeked.available, peeked.left_in_message),
            (data[5..55].to_vec(), 105, 0)
        );
        assert_eq!(receive(&server, 0), (Ok(0), Vec::new()));
        assert_eq!(receive(&server, 50), (Ok(50), data[5..55].to_vec()));
        assert_eq!(receive(&server, 100), (Ok(55), data[55..].to_vec()));
        // A read of no bytes receives nothing ahead: the bytes stay in the stream.
        send(&client, &data[..10]);
        assert_eq!(receive(&server, 0), (Ok(0), Vec::new()));
        assert!(lock(&state(&server).rest).is_empty());
        assert_eq!(server.peek_pipe(20).unwrap().available, 10);
    }

    /// P8: a read as long as `READ_AHEAD` or longer receives into its own buffer alone, and
    /// a disconnect forgets what was received ahead.
    #[test]
    fn long_byte_reads_receive_no_more_and_a_disconnect_forgets_the_rest() {
        let (server, client) = pair(PipeType::Byte, ReadMode::Byte);
        let data = vec![7u8; READ_AHEAD + 100];
        send(&client, &data);
        assert_eq!(
            receive(&server, READ_AHEAD),
            (Ok(READ_AHEAD), data[..READ_AHEAD].to_vec())
        );
        assert!(lock(&state(&server).rest).is_empty());
        assert_eq!(receive(&server, 10), (Ok(10), vec![7; 10]));
        assert_eq!(lock(&state(&server).rest).bytes().len(), 90);
        server.disconnect().unwrap();
        assert!(lock(&state(&server).rest).is_empty());
    }

    fn state(file: &AsyncFile) -> &PipeState {
        file.inner().pipe.as_ref().unwrap()
    }

    fn send(file: &AsyncFile, data: &[u8]) {
        let op = file.write(0, data.to_vec()).unwrap();
        assert_eq!(op.result(true), Ok(data.len()));
    }

    fn receive(file: &AsyncFile, len: usize) -> (Result<usize, IoError>, Vec<u8>) {
        let op = file.read(0, vec![0; len]).unwrap();
        let result = op.result(true);
        (result, op.take_buffer().unwrap())
    }

    /// P5: a message end knows the bound of what its other end can send, and a message
    /// read keeps the part beyond its buffer, spilled, for the next read.
    #[test]
    fn a_message_read_spills_what_does_not_fit_and_the_next_read_gets_it() {
        let (server, client) = message_pair();
        assert_eq!(
            state(&server).largest.load(Ordering::Relaxed),
            LARGEST_MESSAGE
        );
        let message: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        send(&client, &message);
        assert_eq!(
            receive(&server, 8),
            (Err(IoError::MoreData(8)), message[..8].to_vec())
        );
        assert_eq!(lock(&state(&server).rest).bytes(), &message[8..]);
        assert_eq!(receive(&server, 2000), (Ok(992), message[8..].to_vec()));
    }

    /// P5: a message longer than the bound the reading end assumed (here made small; on a
    /// machine, one from a program that connected to the socket itself and forced a larger
    /// send buffer) is told by its length and reported with
    /// `EMSGSIZE`, not passed on cut short; the end peeks from then on, and a later message
    /// longer than its read's buffer loses nothing.
    #[test]
    fn a_message_beyond_the_spill_is_reported_and_the_end_peeks_from_then_on() {
        let (server, client) = message_pair();
        state(&server).largest.store(64, Ordering::Relaxed);
        send(&client, &[7; 100]);
        send(&client, b"0123456789");
        let (result, _) = receive(&server, 8);
        assert_eq!(
            result,
            Err(IoError::from_errno(Errno::MSGSIZE.raw_os_error()))
        );
        assert_eq!(state(&server).largest.load(Ordering::Relaxed), 0);
        assert_eq!(
            receive(&server, 4),
            (Err(IoError::MoreData(4)), b"0123".to_vec())
        );
        assert_eq!(receive(&server, 100), (Ok(6), b"456789".to_vec()));
    }

    /// P5: with no bound known, a message read peeks at the length first and loses
    /// nothing of a message longer than its buffer.
    #[test]
    fn without_a_bound_a_message_read_peeks_and_keeps_the_rest() {
        let (server, client) = message_pair();
        state(&server).largest.store(0, Ordering::Relaxed);
        let message = vec![3u8; 100_000];
        send(&client, &message);
        assert_eq!(receive(&server, 8), (Err(IoError::MoreData(8)), vec![3; 8]));
        assert_eq!(receive(&server, 200_000), (Ok(99_992), vec![3; 99_992]));
    }
}
