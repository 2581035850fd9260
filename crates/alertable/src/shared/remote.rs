//! Process-to-process APCs: a thread publishes itself, with a mailbox in the namespace;
//! a thread of another process (or of this one) opens it by name or id and queues a call
//! of a named handler with a byte message; the call runs on the published thread in its
//! alertable waits, after the local APCs queued before it was taken from the mailbox.
//!
//! A mailbox is a ring of words with one consumer, its owner, and producers that take
//! turns through the mailbox's lock word (X8). A message is `[words | (name bytes, payload
//! padding) << 16, generation]`, then the handler's name and the payload, each padded to a
//! word.
//! A producer writes the message at the tail, its first word last, which commits it
//! (`ring.rs`, R1); the owner takes every committed message and stores the head, without
//! any lock and without reading the producers' words, and skips messages queued for an
//! earlier owner of the mailbox (their generation is not its own).
//! A producer wakes the owner through its parker word (P4), with one wake-up, after it has
//! released the lock.

use std::fmt;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use super::ring::LOCK_WAITERS;
use super::{
    Guard, MailboxSlot, Namespace, RING_WORDS, THREAD_NAME_BYTES, ThreadRecord, namespace,
    object::record_of,
};
use crate::dispatch::Dispatcher;
use crate::queue::Apc;
use crate::suspend::NoStop;
use crate::sync::{AtomicU32, AtomicU64, Ordering};
use crate::sys::shm;
use crate::thread::{Context, with_current};

/// A handler's name is at most this many bytes.
const HANDLER_NAME_BYTES: usize = 64;
/// A message's header: its first word (its length and tag, ring.rs R1) and the
/// generation of the owner it is for; the tag holds the handler name's length and the
/// payload's padding (0–3 bytes) in its last word.
const HEADER_WORDS: usize = 2;

/// How long a producer sleeps on a held mailbox lock before it looks whether the holder's
/// process is alive (X8).
const LOCK_PATIENCE: Duration = Duration::from_millis(1);
/// How many such sleeps a producer waits for the lock at most before it reports the
/// mailbox full: the holder is alive but does not run.
const LOCK_SLEEPS: u32 = 100;

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
    /// The thread's mailbox is full: it has not taken its messages for a while (or a
    /// producer in a stopped process has kept the mailbox for 100 ms). Win32:
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

/// The registered handlers: a few, looked up by a scan that compares bytes (cheaper than
/// hashing a name per message).
static HANDLERS: RwLock<Vec<(Box<[u8]>, Handler)>> = RwLock::new(Vec::new());

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
    let mut handlers = HANDLERS
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match handlers.iter_mut().find(|(n, _)| **n == *name.as_bytes()) {
        Some(entry) => entry.1 = handler,
        None => handlers.push((name.as_bytes().into(), handler)),
    }
    // Under the write lock: a cache that saw the old registry misses from now on.
    HANDLERS_CHANGED.fetch_add(1, Ordering::Release);
    Ok(())
}

/// Bumped by every registration: the version of the registry a cached lookup saw.
static HANDLERS_CHANGED: AtomicU64 = AtomicU64::new(0);

/// A thread's last lookup: the registry version, the name's length and its words as a
/// mailbox holds them (the last padded with zeros, ring.rs), and what it named. Messages in
/// a row mostly name the same handler: this spares each of them the registry's lock, and
/// the copy of the name out of the mailbox.
#[derive(Clone, Copy)]
struct LastLookup {
    version: u64,
    len: usize,
    words: [u32; HANDLER_NAME_BYTES / 4],
    found: Option<Handler>,
}

thread_local! {
    static LAST_LOOKUP: std::cell::Cell<Option<LastLookup>> = const { std::cell::Cell::new(None) };
}

/// The handler a message names: `name_len` bytes from word [`HEADER_WORDS`] of the message
/// at `at` (at most [`HANDLER_NAME_BYTES`]); the name, if no handler has it.
fn handler_of(
    ring: &super::ring::Ring<'_>,
    at: u32,
    name_len: usize,
) -> Result<Handler, ([u8; HANDLER_NAME_BYTES], usize)> {
    let version = HANDLERS_CHANGED.load(Ordering::Acquire);
    let words = name_len.div_ceil(4);
    let mut name = [0u8; HANDLER_NAME_BYTES];
    if let Some(last) = LAST_LOOKUP.get()
        && last.version == version
        && last.len == name_len
        && (0..words).all(|i| last.words[i] == ring.word(at, HEADER_WORDS + i))
    {
        return last.found.ok_or_else(|| {
            ring.read_bytes(at, HEADER_WORDS, &mut name[..name_len]);
            (name, name_len)
        });
    }
    ring.read_bytes(at, HEADER_WORDS, &mut name[..name_len]);
    let found = HANDLERS
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .find(|(n, _)| **n == name[..name_len])
        .map(|&(_, handler)| handler);
    let mut cached = [0u32; HANDLER_NAME_BYTES / 4];
    for (word, value) in cached.iter_mut().zip(super::words_of(&name[..name_len])) {
        *word = value;
    }
    LAST_LOOKUP.set(Some(LastLookup {
        version,
        len: name_len,
        words: cached,
        found,
    }));
    found.ok_or((name, name_len))
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
/// is not published pays nothing for this feature. (A thread can also be asked to publish
/// itself by id at its next alertable wait, from a signal handler: this is how the C ABI's
/// `OpenThread` reaches a thread of another process.)
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
    with_current(|ctx| publish(ctx, name))
}

/// [`publish_current`] for the thread whose context is `ctx` (its own thread): also when
/// another process asked it to publish itself (thread.rs, Y1).
pub(crate) fn publish(ctx: &Context, name: Option<&str>) -> Result<(), RemoteError> {
    let name = name.unwrap_or("").as_bytes();
    if name.len() > THREAD_NAME_BYTES {
        return Err(RemoteError::TooLarge);
    }
    let ns = namespace()?;
    {
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
            // What an earlier owner left is skipped at once (X8: its generation is old).
            guard.set32(&mailbox.consumer.head, mailbox.ring().tail());
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
    }
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
    /// The target's mailbox, and its generation when the target was opened (X8).
    mailbox: u32,
    generation: u32,
    /// When the target's process was last found alive (`CLOCK_MONOTONIC` ns).
    checked: AtomicU64,
    /// The mailbox's head as last read under its lock (ring.rs `append`); read again at
    /// every liveness check, long before the words could wrap around to it.
    head_seen: AtomicU32,
}

/// How often a queue looks whether the target's process is still alive, at most.
const LIVENESS_CHECK: u64 = 10_000_000; // 10 ms
/// How long [`RemoteThread::queue_timeout`] watches a full mailbox empty before it sleeps:
/// an owner that is running takes half of it in far less.
const ROOM_WATCH: Duration = Duration::from_micros(200);

impl Clone for RemoteThread {
    fn clone(&self) -> Self {
        Self {
            ns: self.ns,
            record: self.record,
            tid: self.tid,
            proc: self.proc,
            mailbox: self.mailbox,
            generation: self.generation,
            checked: AtomicU64::new(self.checked.load(Ordering::Relaxed)),
            head_seen: AtomicU32::new(self.head_seen.load(Ordering::Relaxed)),
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
        let mailbox = record.mailbox.load(Ordering::Relaxed) - 1;
        let slot = guard
            .mailboxes()
            .get(mailbox as usize)
            .ok_or(RemoteError::NotFound)?;
        let generation = slot.generation.load(Ordering::Relaxed);
        let head_seen = slot.consumer.head.load(Ordering::Acquire);
        Ok(Self {
            ns,
            record: index as u32,
            tid: record.tid.load(Ordering::Relaxed),
            proc: record.proc.load(Ordering::Relaxed),
            mailbox,
            generation,
            checked: AtomicU64::new(shm::monotonic_coarse_ns()),
            head_seen: AtomicU32::new(head_seen),
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
    /// [`queue_timeout`](Self::queue_timeout) to wait for room). Queueing takes no lock
    /// that other threads or processes wait for but the mailbox's own, for the time it
    /// takes to copy the message, and makes no system call unless the thread is asleep
    /// (one wake-up), and one every 10 ms to look whether its process is alive.
    ///
    /// # Errors
    ///
    /// [`RemoteError::ThreadExited`] if the thread has exited or its process died (then
    /// every later call fails the same way; a death is noticed within 10 ms and a
    /// scheduler tick, as a coarse clock tells, or at once when the mailbox is full);
    /// [`RemoteError::Full`];
    /// [`RemoteError::TooLarge`] for a message over [`MAX_REMOTE_MESSAGE`] bytes or a
    /// handler name over 64.
    pub fn queue(&self, handler: &str, message: &[u8]) -> Result<(), RemoteError> {
        let name = handler.as_bytes();
        if name.len() > HANDLER_NAME_BYTES || message.len() > MAX_REMOTE_MESSAGE {
            return Err(RemoteError::TooLarge);
        }
        self.push(name, message)
    }

    /// As [`queue`](Self::queue), but waits up to `timeout` for room in a full mailbox
    /// (first watching for up to 200 µs, while its owner takes half of it, then asleep,
    /// looking again after 50 µs, then after twice as long each time, up to 2 ms).
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
        // The clock is read only once the mailbox is found full.
        match self.queue(handler, message) {
            Err(RemoteError::Full) => {}
            other => return other,
        }
        let deadline = Instant::now() + timeout;
        // Polled, not woken: a producer that sleeps a while lets the owner take a whole
        // batch undisturbed and then refills the ring in one go, which measured faster than
        // being woken as soon as there is room (`bench cross-process`, 64-byte messages).
        // First, though, it watches the owner take messages for a moment, as an owner that
        // is running empties half the ring sooner than a sleep ends.
        let mut pause = Duration::from_micros(50);
        let mut watch = true;
        loop {
            if std::mem::take(&mut watch) {
                self.watch_for_room(deadline);
            }
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

    /// Watches the full mailbox for up to [`ROOM_WATCH`] (and not past `deadline`), until
    /// its owner has taken half of it: refilling as soon as one message leaves would make
    /// producer and owner take turns message by message, each pulling the other's cache
    /// lines. Yields now and then, so an owner that shares this CPU runs.
    fn watch_for_room(&self, deadline: Instant) {
        let Some(mailbox) = self.ns.seg.mailboxes.get(self.mailbox as usize) else {
            return;
        };
        let ring = mailbox.ring();
        let until = deadline.min(Instant::now() + ROOM_WATCH);
        let mut looks = 0u32;
        loop {
            let head = ring.head.load(Ordering::Acquire);
            let used = ring.tail.load(Ordering::Relaxed).wrapping_sub(head) as usize;
            if used <= RING_WORDS / 2 {
                self.head_seen.store(head, Ordering::Relaxed);
                return;
            }
            looks += 1;
            if looks % 64 == 0 {
                if Instant::now() >= until {
                    return;
                }
                crate::sys::yield_now();
            }
            std::hint::spin_loop();
        }
    }

    fn push(&self, name: &[u8], message: &[u8]) -> Result<(), RemoteError> {
        let mailbox = self
            .ns
            .seg
            .mailboxes
            .get(self.mailbox as usize)
            .ok_or(RemoteError::ThreadExited)?;
        // The target's process may have died: looked at (one system call) at most every
        // LIVENESS_CHECK per handle, and whenever the mailbox is full, so a dead target's
        // mailbox neither fills up unnoticed nor costs a check per message.
        let now = shm::monotonic_coarse_ns();
        let mut refresh = false;
        if now.saturating_sub(self.checked.load(Ordering::Relaxed)) >= LIVENESS_CHECK {
            self.checked.store(now, Ordering::Relaxed);
            self.check_alive()?;
            refresh = true;
        }
        {
            // A holder stopped (SIGSTOP, a debugger) would keep it: a full mailbox, then.
            let hold = MailboxHold::take(self.ns, mailbox).ok_or(RemoteError::Full)?;
            if mailbox.used.load(Ordering::Acquire) == 0
                || mailbox.generation.load(Ordering::Acquire) != self.generation
            {
                return Err(RemoteError::ThreadExited);
            }
            // Word 0 is the ring's to write: it commits the message.
            let pad = message.len().next_multiple_of(4) - message.len();
            let tag = name.len() as u16 | (pad as u16) << 8;
            let ring = mailbox.ring();
            let mut seen = if refresh {
                ring.head.load(Ordering::Acquire)
            } else {
                self.head_seen.load(Ordering::Relaxed)
            };
            let appended = ring.append(tag, &[self.generation], &[name, message], &mut seen);
            self.head_seen.store(seen, Ordering::Relaxed);
            if !appended {
                drop(hold);
                self.check_alive()?;
                return Err(RemoteError::Full);
            }
        }
        // After the lock is released, so that the woken owner does not find it held. A
        // record reused meanwhile costs its new thread a spurious wake-up, which every
        // parker tolerates.
        if let Some(record) = self.ns.seg.threads.get(self.record as usize)
            && record.tid.load(Ordering::Relaxed) == self.tid
        {
            crate::parker::unpark_word(&record.word);
        }
        Ok(())
    }

    /// Takes the producers' lock of the thread's mailbox and never releases it: for tests
    /// of what happens when a producer dies holding it (X8).
    #[doc(hidden)]
    pub fn hold_mailbox_lock_forever(&self) {
        if let Some(mailbox) = self.ns.seg.mailboxes.get(self.mailbox as usize) {
            std::mem::forget(MailboxHold::take(self.ns, mailbox));
            // (`None` only if a live holder kept it: then it is held anyway.)
        }
    }

    /// [`RemoteError::ThreadExited`] if the target's process has died (reclaiming it, X2).
    fn check_alive(&self) -> Result<(), RemoteError> {
        if self.proc == self.ns.slot() || super::process_alive(self.ns, self.proc) {
            return Ok(());
        }
        let lock = Dispatcher::lock();
        super::reclaim_dead(&lock.shared(self.ns));
        Err(RemoteError::ThreadExited)
    }
}

/// A mailbox's producer lock, held (X8).
struct MailboxHold<'a> {
    mailbox: &'a MailboxSlot,
    /// A suspension waits until the lock is released (suspend.rs H6).
    _no_stop: NoStop,
}

impl<'a> MailboxHold<'a> {
    /// Takes the lock: spins briefly, then sleeps on it a millisecond at a time, looking
    /// after each sleep whether the holder's process died (then reclaiming it releases the
    /// lock, X8). `None` if a live holder kept it for [`LOCK_SLEEPS`] sleeps.
    fn take(ns: &'static Namespace, mailbox: &'a MailboxSlot) -> Option<Self> {
        let ring = mailbox.ring();
        let me = ns.slot().wrapping_add(1);
        let mut spins = 0;
        let mut sleeps = 0;
        loop {
            let no_stop = NoStop::enter();
            let held = match ring.try_lock(me) {
                Ok(()) => {
                    return Some(Self {
                        mailbox,
                        _no_stop: no_stop,
                    });
                }
                Err(held) => held,
            };
            drop(no_stop);
            if held == 0 {
                continue;
            }
            if spins < 64 {
                spins += 1;
                std::hint::spin_loop();
                continue;
            }
            if !ring.announce_sleeper(held) {
                continue;
            }
            if sleeps == LOCK_SLEEPS {
                return None;
            }
            sleeps += 1;
            shm::futex_wait_shared(ring.lock, held | LOCK_WAITERS, Some(LOCK_PATIENCE));
            if ring.lock.load(Ordering::Relaxed) == held | LOCK_WAITERS {
                let holder = (held & !LOCK_WAITERS).wrapping_sub(1);
                if !super::process_alive(ns, holder) {
                    let dispatcher = Dispatcher::lock();
                    super::reclaim_dead(&dispatcher.shared(ns));
                }
            }
        }
    }
}

impl Drop for MailboxHold<'_> {
    fn drop(&mut self) {
        let ring = self.mailbox.ring();
        if ring.unlock() {
            shm::futex_wake_shared(ring.lock, u32::MAX);
        }
    }
}

/// Releases the mailbox locks that the dead process in slot `proc` held (X8), under the
/// robust lock, before its slot can be reused.
pub(crate) fn release_locks_of(guard: &Guard, proc: u32) {
    for mailbox in guard.mailboxes() {
        let ring = mailbox.ring();
        if ring.release_dead(proc.wrapping_add(1)) {
            shm::futex_wake_shared(ring.lock, u32::MAX);
        }
    }
}

thread_local! {
    /// The buffer a message's payload is copied into when its handler runs straight from
    /// the mailbox; taken out while a handler runs, so a nested wait gets one of its own.
    static PAYLOAD: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
    /// The owner's read position in its mailbox, as `(mailbox address, position)`: ahead
    /// of the head it stored by less than [`HEAD_BATCH`] words between takes, equal to it
    /// after each (R3). Another address: nothing read yet, the stored head is the position.
    static READ: std::cell::Cell<(usize, u32)> = const { std::cell::Cell::new((0, 0)) };
}

/// How far the owner reads ahead of the head it has stored before it stores it again
/// (R3). Storing it at every message cost a cache-line trip per message whenever a producer
/// watched a full mailbox (`watch_for_room` polls the head, and each store had to take
/// the line back); producers now see the room a little late, by at most this much. The
/// head is stored at the end of every take, and before the owner blocks in any of the
/// library's waits ([`store_read_position`]) — a handler that waits mid-take holds no
/// words it has copied out — so never while the owner sleeps there.
const HEAD_BATCH: u32 = (RING_WORDS / 16) as u32;

/// The calling thread's read position in its own mailbox.
fn read_position(mailbox: Mailbox) -> u32 {
    match READ.get() {
        (of, at) if of == std::ptr::from_ref(mailbox) as usize => at,
        _ => mailbox.ring().head(),
    }
}

/// The owner's reading of its mailbox: it moves the read position, stores the head in
/// batches, and stores it once more when the take ends, also by a handler's panic.
struct Reading {
    mailbox: Mailbox,
}

impl Reading {
    /// Everything before `to` has been read (copied out); producers may have it back.
    fn advance(&self, to: u32) {
        READ.set((std::ptr::from_ref(self.mailbox) as usize, to));
        let ring = self.mailbox.ring();
        if to.wrapping_sub(ring.head()) >= HEAD_BATCH {
            ring.consumed(to);
        }
    }

    /// Gives up on what is committed (X7): the producers' tail becomes the position.
    fn skip_all(&self) {
        let ring = self.mailbox.ring();
        let tail = ring.tail();
        READ.set((std::ptr::from_ref(self.mailbox) as usize, tail));
        ring.consumed(tail);
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        store_read_position(self.mailbox);
    }
}

/// Stores the head at the owner's read position if it has read past it (R3): at the end
/// of a take, and before the owner blocks, so that producers get back every word it has
/// copied out before it sleeps — also in a handler that waits mid-take.
pub(crate) fn store_read_position(mailbox: Mailbox) {
    let at = read_position(mailbox);
    let ring = mailbox.ring();
    if ring.head() != at {
        ring.consumed(at);
    }
}

/// Takes the messages committed to the calling thread's mailbox, oldest first; true if a
/// handler ran. Only the owner calls this, and it takes no lock (X8).
///
/// The messages join the thread's APC FIFO now, behind what is queued already. When
/// nothing is, their handlers run here, straight from the mailbox (which is the same
/// order, without queueing each one): the head moves past each message before its
/// handler runs, so a handler that panics leaves the rest in the mailbox, as a panicking
/// APC leaves the rest queued, and a handler that waits alertably takes the next ones
/// itself.
pub(crate) fn take_remote(ctx: &Context, mailbox: Mailbox) -> bool {
    if super::attached().is_none() {
        return false;
    }
    let generation = mailbox.generation.load(Ordering::Acquire);
    let ring = mailbox.ring();
    let reading = Reading { mailbox };
    // What is committed now is what is taken now: found by walking the messages' lengths
    // (R2), whose lines are read next anyway, rather than by reading the producers' tail.
    let mut at = read_position(mailbox);
    let mut end = at;
    loop {
        let (words, _) = ring.committed_at(end);
        if words == 0 {
            break;
        }
        // X7: no producer writes such a length, nor lets messages outgrow the ring; what
        // is committed is dropped.
        if !(HEADER_WORDS..RING_WORDS).contains(&words)
            || end.wrapping_sub(at) as usize + words >= RING_WORDS
        {
            reading.skip_all();
            return false;
        }
        end = end.wrapping_add(words as u32);
    }
    let direct = !ctx.local_pending();
    let mut ran = false;
    // Also stops when a nested wait has taken messages past `end`.
    while at != end && (end.wrapping_sub(at) as usize) < RING_WORDS {
        let (words, tag) = ring.committed_at(at);
        let queued_for = ring.word(at, 1);
        let (name_len, pad) = (usize::from(tag & 0xff), usize::from(tag >> 8));
        // X7: a message must fit what is committed and its own header; anything else
        // drops the rest.
        let payload_words = words.wrapping_sub(HEADER_WORDS + name_len.div_ceil(4));
        let len = payload_words.wrapping_mul(4).wrapping_sub(pad);
        let fits = words >= HEADER_WORDS + name_len.div_ceil(4)
            && words <= end.wrapping_sub(at) as usize
            && name_len <= HANDLER_NAME_BYTES
            && pad < 4
            && len <= MAX_REMOTE_MESSAGE
            && len.div_ceil(4) == payload_words;
        if !fits {
            reading.advance(end);
            return ran;
        }
        let next = at.wrapping_add(words as u32);
        if queued_for != generation {
            reading.advance(next);
            at = next;
            continue;
        }
        let mut payload = if direct { PAYLOAD.take() } else { Vec::new() };
        payload.clear();
        payload.resize(len, 0);
        ring.read_bytes(at, HEADER_WORDS + name_len.div_ceil(4), &mut payload);
        // The name is read where the mailbox holds it, so before the words go back.
        let handler = handler_of(&ring, at, name_len);
        // The words were copied: the producers may have them back (X8), and a handler
        // that panics or waits alertably leaves the next messages where they are.
        reading.advance(next);
        let handler = match handler {
            Ok(handler) => handler,
            Err((name, len)) => {
                eprintln!(
                    "alertable: a remote APC names no registered handler ({:?}); dropped",
                    String::from_utf8_lossy(&name[..len])
                );
                at = next;
                continue;
            }
        };
        if direct {
            handler(&payload);
            PAYLOAD.set(payload);
            ran = true;
            // A nested alertable wait in the handler may have taken more.
            at = read_position(mailbox);
        } else {
            let _ = ctx.thread().push_apc(Apc::new(move || handler(&payload)));
            at = next;
        }
    }
    ran
}

/// Whether the mailbox holds messages (a snapshot, without the lock).
pub(crate) fn mailbox_pending(mailbox: Mailbox) -> bool {
    mailbox.ring().committed_at(read_position(mailbox)).0 != 0
}

/// Frees the mailbox of `record` (its thread exited or its process died).
pub(crate) fn free_mailbox(guard: &Guard, record: &ThreadRecord) {
    let index = record.mailbox.load(Ordering::Relaxed);
    if let Some(mailbox) = index
        .checked_sub(1)
        .and_then(|i| guard.mailboxes().get(i as usize))
    {
        // X8: what is still queued, or being queued, for this owner is skipped by the next.
        guard.set32(&mailbox.used, 0);
        guard.set32(
            &mailbox.generation,
            mailbox.generation.load(Ordering::Relaxed).wrapping_add(1),
        );
    }
    guard.set32(&record.mailbox, 0);
    guard.set32(&record.name_len, 0);
    guard.set32(&record.name_hash, 0);
}
