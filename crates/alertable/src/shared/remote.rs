//! Process-to-process APCs: a thread publishes itself, with a mailbox in the namespace;
//! a thread of another process (or of this one) opens it by name or id and queues a call
//! of a named handler with a byte message; the call runs on the published thread in its
//! alertable waits, after the local APCs queued before it was taken from the mailbox.
//!
//! A mailbox is a ring of words. A message is `[words, name bytes, payload bytes]`, then
//! the handler's name and the payload, each padded to a word. Producers write the words
//! past the committed tail and then advance the tail under the robust lock (X1: the
//! advance is logged, so a producer that dies before releasing the lock leaves no half
//! message); the owner takes every committed message under the lock and advances the
//! head. A producer wakes the owner through its parker word (P4), with one wake-up.

use std::collections::HashMap;
use std::fmt;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use super::{
    Guard, MailboxSlot, Namespace, RING_WORDS, THREAD_NAME_BYTES, ThreadRecord, namespace,
    object::record_of,
};
use crate::dispatch::Dispatcher;
use crate::queue::Apc;
use crate::sync::{AtomicU64, Ordering};
use crate::thread::{Context, with_current};

/// A handler's name is at most this many bytes.
const HANDLER_NAME_BYTES: usize = 64;
const HEADER_WORDS: usize = 3;

/// The largest message a remote APC carries, in bytes: a quarter of a mailbox.
pub const MAX_REMOTE_MESSAGE: usize = RING_WORDS * 4 / 4;

/// A published thread's mailbox, as its owner holds it.
pub(crate) type Mailbox = &'static MailboxSlot;

/// Why a remote APC could not be queued, or a thread not published or opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RemoteError {
    /// No published thread has that name or id. Win32: `ERROR_INVALID_PARAMETER` (87), as
    /// `OpenThread` of an id that names no thread.
    NotFound,
    /// The thread has exited, or its process has died. Win32: `ERROR_GEN_FAILURE` (31),
    /// as [`QueueApcError::ThreadExited`](crate::QueueApcError::ThreadExited).
    ThreadExited,
    /// The thread's mailbox is full: it has not taken its messages for a while. Win32:
    /// `ERROR_NOT_ENOUGH_QUOTA` (1816).
    Full,
    /// The message, or a handler or thread name, is too long. Win32:
    /// `ERROR_INVALID_PARAMETER` (87).
    TooLarge,
    /// Another published thread has that name. Win32: `ERROR_ALREADY_EXISTS` (183).
    NameTaken,
    /// The namespace is full or unavailable. Win32: `ERROR_NO_SYSTEM_RESOURCES` (1450).
    NoResources,
    /// The namespace belongs to another user. Win32: `ERROR_ACCESS_DENIED` (5).
    AccessDenied,
}

impl RemoteError {
    /// The Win32 error code this corresponds to.
    pub fn win32_error(self) -> u32 {
        match self {
            Self::NotFound | Self::TooLarge => 87,
            Self::ThreadExited => 31,
            Self::Full => 1816,
            Self::NameTaken => 183,
            Self::NoResources => 1450,
            Self::AccessDenied => 5,
        }
    }
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotFound => "no published thread has that name or id",
            Self::ThreadExited => "the thread has exited",
            Self::Full => "the thread's mailbox is full",
            Self::TooLarge => "the message or a name is too long",
            Self::NameTaken => "another published thread has that name",
            Self::NoResources => "the object namespace is full or unavailable",
            Self::AccessDenied => "the object namespace belongs to another user",
        })
    }
}

impl std::error::Error for RemoteError {}

impl From<std::io::ErrorKind> for RemoteError {
    fn from(kind: std::io::ErrorKind) -> Self {
        match kind {
            std::io::ErrorKind::PermissionDenied => Self::AccessDenied,
            _ => Self::NoResources,
        }
    }
}

/// A handler of remote APCs.
type Handler = fn(&[u8]);

static HANDLERS: RwLock<Option<HashMap<String, Handler>>> = RwLock::new(None);

/// Registers `handler` under `name` for this process: a remote APC that names it runs
/// `handler(message)` on the published thread it was queued to. Registering a name again
/// replaces its handler.
///
/// A message naming a handler the receiving process has not registered is dropped when
/// it is taken from the mailbox, with a line on standard error.
///
/// # Errors
///
/// [`RemoteError::TooLarge`] if `name` is longer than 64 bytes.
pub fn register_remote_handler(name: &str, handler: fn(&[u8])) -> Result<(), RemoteError> {
    if name.len() > HANDLER_NAME_BYTES {
        return Err(RemoteError::TooLarge);
    }
    HANDLERS
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get_or_insert_with(HashMap::new)
        .insert(name.to_owned(), handler);
    Ok(())
}

fn handler(name: &str) -> Option<Handler> {
    HANDLERS
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_ref()?
        .get(name)
        .copied()
}

fn record_name_is(record: &ThreadRecord, name: &[u8]) -> bool {
    super::holds_name(&record.name_len, &record.name_hash, &record.name, name)
}

/// Makes the calling thread reachable from other processes (and this one) for remote
/// APCs: by its id ([`ThreadHandle::id`](crate::ThreadHandle::id), the Linux tid, unique
/// on the machine) and, if given, by `name`. Publishing again changes nothing but the
/// name. The thread stays published until it exits; its pending messages are then
/// dropped, as its local APCs are (C35).
///
/// Remote APCs run only in the thread's alertable waits, like local ones. A thread that
/// is not published pays nothing for this feature.
///
/// # Errors
///
/// [`RemoteError::NameTaken`] if another published thread has `name`;
/// [`RemoteError::TooLarge`] for a name longer than 64 bytes; the namespace errors.
///
/// # Examples
///
/// ```
/// use alertable::{Alertable, RemoteThread, SleepStatus, sleep_ex};
///
/// fn greet(message: &[u8]) {
///     println!("hello, {}", String::from_utf8_lossy(message));
/// }
///
/// alertable::register_remote_handler("greet", greet).unwrap();
/// let name = format!("doc-remote-{}", std::process::id());
/// alertable::publish_current(Some(&name)).unwrap();
/// // Another process would do this; this one can too.
/// let me = RemoteThread::open(&name).unwrap();
/// me.queue("greet", b"world").unwrap();
/// assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
/// ```
pub fn publish_current(name: Option<&str>) -> Result<(), RemoteError> {
    let name = name.unwrap_or("").as_bytes();
    if name.len() > THREAD_NAME_BYTES {
        return Err(RemoteError::TooLarge);
    }
    let ns = namespace()?;
    with_current(|ctx| {
        let lock = Dispatcher::lock();
        let guard = lock.shared(ns);
        let record = record_of(&guard, ctx).ok_or(RemoteError::NoResources)?;
        if !name.is_empty()
            && guard.threads().iter().any(|r| {
                !std::ptr::eq(r, record)
                    && r.mailbox.load(Ordering::Relaxed) != 0
                    && record_name_is(r, name)
            })
        {
            return Err(RemoteError::NameTaken);
        }
        if record.mailbox.load(Ordering::Relaxed) == 0 {
            let index = guard
                .mailboxes()
                .iter()
                .position(|m| m.used.load(Ordering::Relaxed) == 0)
                .ok_or(RemoteError::NoResources)?;
            let mailbox = &guard.mailboxes()[index];
            guard.set32(&mailbox.used, 1);
            guard.set32(&mailbox.head, 0);
            guard.set32(&mailbox.tail, 0);
            guard.set32(&record.mailbox, index as u32 + 1);
            ctx.set_mailbox(mailbox);
        }
        super::store_name(
            &guard,
            &record.name_len,
            &record.name_hash,
            &record.name,
            name,
        );
        Ok(())
    })
}

/// A thread published with [`publish_current`], possibly in another process: queue remote
/// APCs to it.
///
/// # Win32
///
/// A thread `HANDLE` of another process opened with `THREAD_SET_CONTEXT`, as
/// `QueueUserAPC` uses it; a closure cannot cross processes, so the call names a handler
/// the target registered ([`register_remote_handler`]) and carries bytes.
pub struct RemoteThread {
    ns: &'static Namespace,
    record: u32,
    tid: u32,
    proc: u32,
    /// When the target's process was last found alive (`CLOCK_MONOTONIC` ns).
    checked: AtomicU64,
}

/// How often a queue looks whether the target's process is still alive, at most.
const LIVENESS_CHECK: u64 = 10_000_000; // 10 ms

impl Clone for RemoteThread {
    fn clone(&self) -> Self {
        Self {
            ns: self.ns,
            record: self.record,
            tid: self.tid,
            proc: self.proc,
            checked: AtomicU64::new(self.checked.load(Ordering::Relaxed)),
        }
    }
}

impl fmt::Debug for RemoteThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteThread")
            .field("id", &self.tid)
            .finish_non_exhaustive()
    }
}

impl RemoteThread {
    /// Opens the thread published under `name`.
    ///
    /// # Errors
    ///
    /// [`RemoteError::NotFound`] if no published thread has the name; the namespace
    /// errors.
    pub fn open(name: &str) -> Result<Self, RemoteError> {
        let name = name.as_bytes();
        Self::find(|r| !name.is_empty() && record_name_is(r, name))
    }

    /// Opens the published thread whose Linux thread id is `tid`.
    ///
    /// # Errors
    ///
    /// [`RemoteError::NotFound`] if no published thread has the id.
    pub fn open_id(tid: u32) -> Result<Self, RemoteError> {
        Self::find(|r| r.tid.load(Ordering::Relaxed) == tid)
    }

    fn find(matches: impl Fn(&ThreadRecord) -> bool) -> Result<Self, RemoteError> {
        let ns = namespace()?;
        let lock = Dispatcher::lock();
        let guard = lock.shared(ns);
        super::reclaim_dead(&guard);
        let (index, record) = guard
            .threads()
            .iter()
            .enumerate()
            .find(|(_, r)| {
                r.state.load(Ordering::Relaxed) != 0
                    && r.mailbox.load(Ordering::Relaxed) != 0
                    && matches(r)
            })
            .ok_or(RemoteError::NotFound)?;
        Ok(Self {
            ns,
            record: index as u32,
            tid: record.tid.load(Ordering::Relaxed),
            proc: record.proc.load(Ordering::Relaxed),
            checked: AtomicU64::new(crate::sys::shm::monotonic_ns()),
        })
    }

    /// The thread's Linux thread id.
    pub fn id(&self) -> u32 {
        self.tid
    }

    /// Queues a call of the handler registered as `handler` in the thread's process, with
    /// `message`; it runs in the thread's next alertable wait, after what is queued before
    /// it, and a wait that runs it returns as for a local APC (192, B20). Never blocks for
    /// long: a full mailbox is [`RemoteError::Full`] (see
    /// [`queue_timeout`](Self::queue_timeout) to wait for room).
    ///
    /// # Errors
    ///
    /// [`RemoteError::ThreadExited`] if the thread has exited or its process died (then
    /// every later call fails the same way; a death is noticed within 10 ms, or at once
    /// when the mailbox is full); [`RemoteError::Full`];
    /// [`RemoteError::TooLarge`] for a message over [`MAX_REMOTE_MESSAGE`] bytes or a
    /// handler name over 64.
    pub fn queue(&self, handler: &str, message: &[u8]) -> Result<(), RemoteError> {
        let name = handler.as_bytes();
        if name.len() > HANDLER_NAME_BYTES || message.len() > MAX_REMOTE_MESSAGE {
            return Err(RemoteError::TooLarge);
        }
        let lock = Dispatcher::lock();
        let guard = lock.shared(self.ns);
        self.push(&guard, name, message)
    }

    /// As [`queue`](Self::queue), but waits up to `timeout` for room in a full mailbox.
    ///
    /// # Errors
    ///
    /// As `queue`; [`RemoteError::Full`] if there was no room within `timeout`.
    pub fn queue_timeout(
        &self,
        handler: &str,
        message: &[u8],
        timeout: Duration,
    ) -> Result<(), RemoteError> {
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_micros(50);
        loop {
            match self.queue(handler, message) {
                Err(RemoteError::Full) if Instant::now() < deadline => {
                    crate::sys::sleep(
                        pause.min(deadline.saturating_duration_since(Instant::now())),
                    );
                    pause = (pause * 2).min(Duration::from_millis(2));
                }
                other => return other,
            }
        }
    }

    fn push(&self, guard: &Guard, name: &[u8], message: &[u8]) -> Result<(), RemoteError> {
        let record = guard
            .threads()
            .get(self.record as usize)
            .ok_or(RemoteError::ThreadExited)?;
        let live = |r: &ThreadRecord| {
            r.state.load(Ordering::Relaxed) != 0
                && r.tid.load(Ordering::Relaxed) == self.tid
                && r.proc.load(Ordering::Relaxed) == self.proc
        };
        if !live(record) {
            return Err(RemoteError::ThreadExited);
        }
        let mailbox_of = |r: &ThreadRecord| {
            r.mailbox
                .load(Ordering::Relaxed)
                .checked_sub(1)
                .and_then(|i| guard.mailboxes().get(i as usize))
        };
        let mut mailbox = mailbox_of(record).ok_or(RemoteError::ThreadExited)?;
        let words = HEADER_WORDS + name.len().div_ceil(4) + message.len().div_ceil(4);
        let room = |m: &MailboxSlot| {
            let used = m
                .tail
                .load(Ordering::Relaxed)
                .wrapping_sub(m.head.load(Ordering::Relaxed)) as usize;
            used <= RING_WORDS && RING_WORDS - used >= words
        };
        // The target's process may have died: looked at (one system call) at most every
        // LIVENESS_CHECK per handle, and whenever the mailbox is full, so a dead target's
        // mailbox neither fills up unnoticed nor costs a check per message.
        let now = crate::sys::shm::monotonic_ns();
        let due = now.saturating_sub(self.checked.load(Ordering::Relaxed)) >= LIVENESS_CHECK;
        if self.proc != guard.ns.slot() && (due || !room(mailbox)) {
            self.checked.store(now, Ordering::Relaxed);
            if !super::process_alive(guard, self.proc) {
                super::reclaim_dead(guard);
                return Err(RemoteError::ThreadExited);
            }
            mailbox = mailbox_of(record).ok_or(RemoteError::ThreadExited)?;
        }
        if !room(mailbox) {
            return Err(RemoteError::Full);
        }
        let tail = mailbox.tail.load(Ordering::Relaxed);
        let header = [words as u32, name.len() as u32, message.len() as u32];
        let body = header
            .into_iter()
            .chain(super::words_of(name))
            .chain(super::words_of(message));
        for (i, word) in body.enumerate() {
            let at = (tail as usize + i) % RING_WORDS;
            // Past the committed tail: nobody reads it until the tail moves (X1 covers
            // the tail, not these words).
            mailbox.ring[at].store(word, Ordering::Relaxed);
        }
        guard.set32(&mailbox.tail, tail.wrapping_add(words as u32));
        crate::parker::unpark_word(&record.word);
        Ok(())
    }
}

/// Moves the messages of the calling thread's mailbox into its APC queue, oldest first.
pub(crate) fn take_remote(ctx: &Context, mailbox: Mailbox) {
    let Some(ns) = super::attached() else { return };
    let mut messages = Vec::new();
    {
        let lock = Dispatcher::lock();
        let guard = lock.shared(ns);
        let head = mailbox.head.load(Ordering::Relaxed);
        let tail = mailbox.tail.load(Ordering::Relaxed);
        let mut at = head;
        while at != tail {
            let read = |i: u32| {
                mailbox.ring[(at.wrapping_add(i) as usize) % RING_WORDS].load(Ordering::Relaxed)
            };
            let (words, name_len, len) = (read(0) as usize, read(1) as usize, read(2) as usize);
            // X7: a message must fit what is committed and its own header.
            let fits = words >= HEADER_WORDS
                && words <= tail.wrapping_sub(at) as usize
                && name_len <= HANDLER_NAME_BYTES
                && HEADER_WORDS + name_len.div_ceil(4) + len.div_ceil(4) == words;
            if !fits {
                break;
            }
            let bytes = |first: usize, n: usize| -> Vec<u8> {
                (0..n.div_ceil(4))
                    .flat_map(|w| read((first + w) as u32).to_le_bytes())
                    .take(n)
                    .collect()
            };
            let name = bytes(HEADER_WORDS, name_len);
            let payload = bytes(HEADER_WORDS + name_len.div_ceil(4), len);
            messages.push((name, payload));
            at = at.wrapping_add(words as u32);
        }
        guard.set32(&mailbox.head, tail);
    }
    for (name, payload) in messages {
        // A name that is not UTF-8 names no handler (register_remote_handler takes &str).
        let name = std::str::from_utf8(&name).unwrap_or_default();
        match handler(name) {
            Some(handler) => {
                let _ = ctx.thread().push_apc(Apc::new(move || handler(&payload)));
            }
            None => {
                eprintln!("alertable: a remote APC names no registered handler ({name:?}); dropped")
            }
        }
    }
}

/// Whether the mailbox holds messages (a snapshot, without the lock).
pub(crate) fn mailbox_pending(mailbox: Mailbox) -> bool {
    mailbox.head.load(Ordering::Relaxed) != mailbox.tail.load(Ordering::Acquire)
}

/// Frees the mailbox of `record` (its thread exited or its process died).
pub(crate) fn free_mailbox(guard: &Guard, record: &ThreadRecord) {
    let index = record.mailbox.load(Ordering::Relaxed);
    if let Some(mailbox) = index
        .checked_sub(1)
        .and_then(|i| guard.mailboxes().get(i as usize))
    {
        guard.set32(&mailbox.used, 0);
        guard.set32(&mailbox.head, 0);
        guard.set32(&mailbox.tail, 0);
    }
    guard.set32(&record.mailbox, 0);
    guard.set32(&record.name_len, 0);
    guard.set32(&record.name_hash, 0);
}
