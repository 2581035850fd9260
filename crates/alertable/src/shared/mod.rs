//! Objects shared between processes: the per-user namespace, its crash-safe lock, and the
//! records of named objects and of the threads that wait on them.
//!
//! # Layout
//!
//! Every process of a user that uses a named object maps one file, the *namespace*
//! (`/dev/shm/alertable-<uid>/namespace-<layout>`, mode 0600 in a 0700 directory; see
//! `sys/shm.rs`). It holds, at fixed offsets:
//!
//! | part | what |
//! |------|------|
//! | header | magic and layout size, the robust lock, the undo log's length |
//! | undo log | `(offset, width, old value)` of every word written under the current lock hold |
//! | process slots | one per attached process: its pid; its liveness is a lock on one byte of the file |
//! | object slots | kind, generation, name, reference count, waiter count, and the state (signal, count, owner) |
//! | thread records | one per thread that waits on a shared object: its parker word, and while it waits the objects it waits on |
//! | references | `refs[process][object]`: the handles each process holds, so a dead process's can be dropped |
//! | mailboxes | one ring of 64 KiB per thread published for remote APCs (`remote.rs`) |
//!
//! Every word is an atomic; everything except the parker words and the mailboxes' rings,
//! tails, heads and producer locks (X8) is written only under the robust lock, through
//! [`Guard`], which logs the old value first.
//!
//! # Invariants
//!
//! - (X1) Every write to the namespace other than a parker word, the sweep hint of X6 and
//!   the words X8 lists happens under the robust lock, after its old value is appended to the undo log (entry first, then the log's
//!   length, then the word). Releasing the lock empties the log first. So when a process
//!   dies holding the lock, the next owner (who learns it from the robust mutex) rolls the
//!   log back, newest first, and finds the namespace exactly as it was before the dead
//!   hold began. Recovery is itself idempotent: it empties the log only when done.
//! - (X2) A process slot is in use only while the process holds its liveness byte (an
//!   open-file-description lock, which the kernel drops when the process dies). A slot in
//!   use whose byte is free belongs to a dead process and is *reclaimed*, under the lock:
//!   mutexes its threads own are abandoned, its thread records freed (their waits removed
//!   from the waiter counts), its references dropped (objects left without any freed), and
//!   every waiting thread is woken to look again.
//! - (X3) An object slot is in use (`kind != 0`) exactly while the sum of its references is
//!   non-zero; freeing it bumps its generation, so a process that still caches the index
//!   cannot mistake a new object for the old one.
//! - (X4) An object's waiter count equals the number of waiting thread records that list
//!   it. A signal that may make an object ready wakes every waiting record of another
//!   process that lists it, just after the robust lock is released (a waiter that is
//!   watching rather than asleep would otherwise wake only to block on the lock); waiters
//!   of the signaling process are in its local wait lists and are satisfied there, under
//!   the local dispatcher lock taken before the robust one.
//! - (X5) Lock order: the process's dispatcher lock, then the robust lock, then the
//!   process's proxy registry. Nothing waits for anything while holding the robust lock.
//! - (X6) A thread waiting on a shared object sleeps at most [`SLICE`] at a time: a wake-up
//!   lost because a signaler died between changing an object and waking its waiters, or a
//!   mutex owner that died without anyone noticing, is found within one slice, when the
//!   waiter reclaims dead processes (X2) — unless another waiter of the user did so less
//!   than a slice ago, so the sweeps do not grow with the number of waiters — and checks
//!   its objects again.
//! - (X7) Nothing read from the namespace is trusted: indices and offsets are bounds-checked
//!   before use, so a corrupt or hostile namespace can stop the protocol but not make this
//!   process touch memory outside the mapping.
//! - (X8) A mailbox is a ring with one consumer, its owner thread, and producers that take
//!   turns through the mailbox's own lock word, never the robust lock: a producer holds it
//!   (the word names its process slot) while it checks the mailbox's generation, writes a
//!   message at the tail, a zero past it, and last the message's first word, its length,
//!   which is its only commit; then it moves the tail. The owner reads messages while their
//!   first word is non-zero and then stores the head, without any lock and without reading
//!   the producers' words (`ring.rs`, R1–R4). So a producer that dies at any instruction
//!   leaves either no message or a whole one (which the next producer moves the tail past),
//!   and only its lock word behind, which reclaiming its process (X2) clears — before its
//!   slot can be reused, so a lock word never names a live process that does not hold it. A producer that
//!   waits for the lock sleeps on it at most a millisecond at a time, and then looks
//!   whether the holder's process is alive. Every message carries the generation of the
//!   owner it was queued for, which freeing a mailbox bumps (under the robust lock), so a
//!   new owner skips what was queued for the old one.
//! - (X9) A name lives as long as its handles, not as long as the library's own holds: a
//!   process's reference to a timer is released when its last handle of the timer closes,
//!   even while the timer service or a routine still holds the object for a moment (as
//!   Windows drops a name with the last handle, whatever pointer references remain). The
//!   proxy is then marked released, under the dispatcher lock, and every operation on it
//!   leaves the namespace alone, so a late hold cannot touch a slot that may belong to
//!   another object by then; an open finds a released proxy stale and makes a new one.
//! - (X10) A registered wait (no thread of its own) on a shared object is reached by other
//!   processes' signals through the process's watcher thread (`watcher.rs`): started by the
//!   first such registration, it lists in its own record every shared object with local
//!   waiters (up to a record's 64) and, woken or at the end of a slice, satisfies under the
//!   dispatcher lock what their state allows in their local wait lists, waking nobody in
//!   other processes. It holds no proxy while asleep (X9), and sleeps without a deadline
//!   while there is nothing to watch.
//!
//! What is not guaranteed: a process that stops (SIGSTOP, a debugger) while holding the
//! robust lock stops every process of the user at their next shared operation, as a
//! stopped thread inside the Windows kernel's dispatcher would; a process of the same user
//! that writes garbage into the namespace can corrupt its objects (not other users', and
//! not this process's memory, X7).

mod object;
mod remote;
mod ring;
mod watcher;

use std::collections::HashMap;
use std::io;
use std::sync::{OnceLock, Weak};
use std::time::Duration;

use crate::sync::{AtomicU32, AtomicU64, Ordering};
use crate::sys::shm::{self, Locked, NamespaceFile, RobustMutex};

pub(crate) use object::{
    Init, Kind, Proxy, create_or_open, earliest_due, register_wait, release_thread,
    sweep_and_recheck, unregister_wait,
};
pub use object::{NameError, Opened};
pub use remote::{
    MAX_REMOTE_MESSAGE, RemoteError, RemoteThread, publish_current, register_remote_handler,
};
pub(crate) use remote::{Mailbox, mailbox_pending, publish, store_read_position, take_remote};
pub(crate) use watcher::registered_on_shared;

/// Longest sleep of a thread waiting on a shared object before it looks for dead
/// processes and checks its objects again (X6).
pub(crate) const SLICE: Duration = Duration::from_millis(50);

const MAGIC: u64 = 0x616c_6572_7401_0008; // "alert", layout 1.8
/// The file's name carries the layout, so that programs built with different layouts
/// keep to namespaces of their own instead of failing to share one.
pub(crate) const FILE_NAME: &str = "namespace-1.8";
/// Processes attached at once. Each costs a row of `refs` (4 KiB, touched only as it opens
/// objects) and nothing else until it attaches.
pub(crate) const PROCS: usize = 1024;
pub(crate) const OBJECTS: usize = 1024;
pub(crate) const THREADS: usize = 1024;
const UNDO_CAP: usize = 4096;
/// Object names are at most this many bytes of UTF-8.
pub(crate) const NAME_BYTES: usize = 256;
/// The liveness byte of process slot `p` is at `LIVENESS + p`, far past the end of the file.
const LIVENESS: u64 = 1 << 40;

#[repr(C)]
struct Header {
    magic: AtomicU64,
    size: AtomicU64,
    lock: RobustMutex,
    undo_len: AtomicU32,
    /// Set when the last process removed the file: a process that opened it before the
    /// removal sees this and opens the new one.
    dead: AtomicU32,
    /// When a waiter last looked for dead processes (`CLOCK_MONOTONIC` ns): a hint, written
    /// without the log, so that one sweep per slice serves every waiter of the user (X6).
    last_sweep: AtomicU64,
}

#[repr(C)]
struct Undo {
    offset: AtomicU32,
    wide: AtomicU32,
    old: AtomicU64,
}

#[repr(C)]
pub(crate) struct ProcSlot {
    pub(crate) used: AtomicU32,
    pub(crate) pid: AtomicU32,
}

#[repr(C)]
pub(crate) struct ObjectSlot {
    pub(crate) kind: AtomicU32,
    pub(crate) generation: AtomicU32,
    pub(crate) refs: AtomicU32,
    pub(crate) waiters: AtomicU32,
    /// Event and timer: 0 or 1. Semaphore: the count.
    pub(crate) signal: AtomicU32,
    /// Semaphore: the maximum count.
    pub(crate) maximum: AtomicU32,
    /// Mutex: `(process slot + 1) << 32 | tid`, or 0 when free.
    pub(crate) owner: AtomicU64,
    pub(crate) recursion: AtomicU32,
    pub(crate) abandoned: AtomicU32,
    /// Timer: the next due time on `CLOCK_MONOTONIC` (system-wide), in ns; 0 when unarmed.
    pub(crate) due: AtomicU64,
    /// Timer: the period in ns; 0 for none.
    pub(crate) period: AtomicU64,
    pub(crate) name_len: AtomicU32,
    pub(crate) name_hash: AtomicU32,
    pub(crate) name: [AtomicU32; NAME_BYTES / 4],
}

pub(crate) const MAX_WAIT: usize = crate::MAXIMUM_WAIT_OBJECTS;

#[repr(C)]
pub(crate) struct ThreadRecord {
    /// 0 free, [`IDLE`], [`WAITING`].
    pub(crate) state: AtomicU32,
    pub(crate) proc: AtomicU32,
    pub(crate) tid: AtomicU32,
    /// The owner's parker word (parker.rs); written without the lock.
    pub(crate) word: AtomicU32,
    pub(crate) count: AtomicU32,
    pub(crate) objects: [AtomicU32; MAX_WAIT],
    /// Non-zero while the thread is published for remote APCs: its mailbox index + 1.
    pub(crate) mailbox: AtomicU32,
    /// The name it was published under (`name_len` 0: by id only).
    pub(crate) name_len: AtomicU32,
    pub(crate) name_hash: AtomicU32,
    pub(crate) name: [AtomicU32; THREAD_NAME_BYTES / 4],
}

/// Published thread names are at most this many bytes.
pub(crate) const THREAD_NAME_BYTES: usize = 64;
pub(crate) const MAILBOXES: usize = 64;
/// Words in a mailbox's ring (a power of two: ring.rs masks positions).
pub(crate) const RING_WORDS: usize = 16 * 1024;
const _: () = assert!(RING_WORDS.is_power_of_two());

/// The words of a mailbox that the producers write, on a cache line of their own (the
/// owner writes the head on another, so neither side's stores take the other's line, and
/// never reads these, ring.rs R2).
#[repr(C, align(64))]
pub(crate) struct ProducerLine {
    /// The producers' lock (X8): 0, or the holder's process slot + 1, with
    /// [`ring::LOCK_WAITERS`] set while producers sleep on it.
    pub(crate) lock: AtomicU32,
    /// Where the next message goes: written by the holder of `lock` only (X8).
    pub(crate) tail: AtomicU32,
}

/// The word of a mailbox that its owner writes, on a cache line of its own.
#[repr(C, align(64))]
pub(crate) struct ConsumerLine {
    /// Words consumed: written by the owner only (X8).
    pub(crate) head: AtomicU32,
}

#[repr(C, align(64))]
pub(crate) struct MailboxSlot {
    /// Under the robust lock: whether a published thread owns the mailbox.
    pub(crate) used: AtomicU32,
    /// Under the robust lock: bumped whenever the mailbox is freed (X8).
    pub(crate) generation: AtomicU32,
    pub(crate) producers: ProducerLine,
    pub(crate) consumer: ConsumerLine,
    pub(crate) ring: [AtomicU32; RING_WORDS],
}

impl MailboxSlot {
    /// The ring and its control words (ring.rs).
    pub(crate) fn ring(&self) -> ring::Ring<'_> {
        ring::Ring {
            lock: &self.producers.lock,
            head: &self.consumer.head,
            tail: &self.producers.tail,
            words: &self.ring,
        }
    }
}

pub(crate) const IDLE: u32 = 1;
pub(crate) const WAITING: u32 = 2;

#[repr(C)]
struct Segment {
    header: Header,
    undo: [Undo; UNDO_CAP],
    procs: [ProcSlot; PROCS],
    objects: [ObjectSlot; OBJECTS],
    threads: [ThreadRecord; THREADS],
    refs: [[AtomicU32; OBJECTS]; PROCS],
    mailboxes: [MailboxSlot; MAILBOXES],
}

const SIZE: usize = std::mem::size_of::<Segment>().next_multiple_of(4096);

/// This process's view of the namespace.
pub(crate) struct Namespace {
    file: NamespaceFile,
    seg: &'static Segment,
    /// This process's slot; `u32::MAX` until claimed, then fixed.
    slot: AtomicU32,
    /// One proxy per open object in this process, by object index (X5: taken last).
    proxies: std::sync::Mutex<HashMap<u32, Weak<Proxy>>>,
}

impl Namespace {
    /// This process's slot.
    pub(crate) fn slot(&self) -> u32 {
        self.slot.load(Ordering::Acquire)
    }

    pub(crate) fn proxies(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Weak<Proxy>>> {
        self.proxies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

static NAMESPACE: OnceLock<Result<&'static Namespace, io::ErrorKind>> = OnceLock::new();
/// Set in a forked child, and at exit: the namespace is no longer this process's to use.
static DETACHED: AtomicU32 = AtomicU32::new(0);

/// A name's bytes as the namespace stores them: little-endian words, the last padded with
/// zeros.
pub(crate) fn words_of(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    // Whole words without a copy each (a `memcpy` call per word showed in profiles), then
    // the tail, if any, padded with zeros.
    let whole = bytes.chunks_exact(4);
    let rest = whole.remainder();
    whole
        .map(|chunk| u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
        .chain((!rest.is_empty()).then(|| {
            let mut word = [0u8; 4];
            word[..rest.len()].copy_from_slice(rest);
            u32::from_le_bytes(word)
        }))
}

/// A name's hash (FNV-1a), stored beside it only to skip most slots quickly: names are
/// always compared in full.
pub(crate) fn name_hash(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Whether the stored name (`len`, `hash`, `words`) is `name`.
pub(crate) fn holds_name(
    len: &AtomicU32,
    hash: &AtomicU32,
    words: &[AtomicU32],
    name: &[u8],
) -> bool {
    len.load(Ordering::Relaxed) as usize == name.len()
        && hash.load(Ordering::Relaxed) == name_hash(name)
        && words_of(name)
            .zip(words)
            .all(|(w, stored)| stored.load(Ordering::Relaxed) == w)
}

/// Stores `name` (`len`, `hash`, `words`) under the lock.
pub(crate) fn store_name(
    guard: &Guard,
    len: &AtomicU32,
    hash: &AtomicU32,
    words: &[AtomicU32],
    name: &[u8],
) {
    for (stored, word) in words.iter().zip(words_of(name)) {
        guard.set32(stored, word);
    }
    guard.set32(len, name.len() as u32);
    guard.set32(hash, name_hash(name));
}

/// The namespace, attached on first use.
pub(crate) fn namespace() -> Result<&'static Namespace, io::ErrorKind> {
    if DETACHED.load(Ordering::Acquire) != 0 {
        return Err(io::ErrorKind::Unsupported);
    }
    *NAMESPACE.get_or_init(|| attach().map_err(|e| e.kind()))
}

/// The namespace if this process has attached it already (for exit-time cleanup).
pub(crate) fn attached() -> Option<&'static Namespace> {
    if DETACHED.load(Ordering::Acquire) != 0 {
        return None;
    }
    NAMESPACE.get().and_then(|r| r.ok())
}

fn attach() -> io::Result<&'static Namespace> {
    let dir = shm::namespace_dir();
    loop {
        let file = shm::open_namespace(&dir, FILE_NAME)?;
        file.lock_exclusive()?;
        match attach_locked(file) {
            Ok(Some(ns)) => {
                ns.file.unlock();
                shm::at_exit(detach_at_exit);
                shm::on_fork_child(forget_in_child)?;
                return Ok(ns);
            }
            // Removed by the last process meanwhile: open the new one.
            Ok(None) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// With the file lock held: maps and initialises the file, claims a process slot. `None`:
/// the file was removed meanwhile.
fn attach_locked(file: NamespaceFile) -> io::Result<Option<&'static Namespace>> {
    let unlock_on_error = |e: io::Error| {
        file.unlock();
        e
    };
    if file.is_unlinked().map_err(&unlock_on_error)? {
        file.unlock();
        return Ok(None);
    }
    match file.size().map_err(&unlock_on_error)? {
        0 => file.grow(SIZE as u64).map_err(&unlock_on_error)?,
        n if n == SIZE as u64 => {}
        _ => {
            file.unlock();
            return Err(io::Error::other("the namespace file has the wrong size"));
        }
    }
    let ptr = file.map(SIZE).map_err(&unlock_on_error)?;
    // SAFETY: the mapping is SIZE bytes, page-aligned, never unmapped, and every field of
    // `Segment` is an atomic or the robust mutex (interior mutability), valid for any bit
    // pattern other processes may leave (X7 covers the values).
    let seg: &'static Segment = unsafe { ptr.cast::<Segment>().as_ref() };
    if seg.header.magic.load(Ordering::Acquire) != MAGIC {
        // First user, or a first user that died initialising (the file lock serialises
        // this): initialise the lock, then publish.
        // SAFETY: we hold the file lock, so no process uses the lock word yet.
        unsafe { RobustMutex::init(&seg.header.lock) }.map_err(&unlock_on_error)?;
        seg.header.size.store(SIZE as u64, Ordering::Relaxed);
        seg.header.magic.store(MAGIC, Ordering::Release);
    }
    let ns: &'static Namespace = Box::leak(Box::new(Namespace {
        file,
        seg,
        slot: AtomicU32::new(u32::MAX),
        proxies: std::sync::Mutex::new(HashMap::new()),
    }));
    let slot = {
        // Not stopped by a suspension while the lock is held (suspend.rs H6).
        let _no_stop = crate::suspend::NoStop::enter();
        let guard = Guard::lock(ns);
        reclaim_dead(&guard);
        claim_slot(&guard)
    };
    match slot {
        Ok(slot) => {
            ns.slot.store(slot, Ordering::Release);
            Ok(Some(ns))
        }
        Err(e) => {
            ns.file.unlock();
            Err(e)
        }
    }
}

fn claim_slot(guard: &Guard) -> io::Result<u32> {
    let ns = guard.ns;
    for (i, slot) in ns.seg.procs.iter().enumerate() {
        if slot.used.load(Ordering::Relaxed) != 0 {
            continue;
        }
        if ns.file.try_hold_byte(LIVENESS + i as u64)? {
            guard.set32(&slot.used, 1);
            guard.set32(&slot.pid, shm::current_pid());
            return Ok(i as u32);
        }
    }
    Err(io::Error::other(
        "too many processes use named objects at once",
    ))
}

/// Whether the process in slot `proc` is alive (X2): one system call.
pub(crate) fn process_alive(ns: &Namespace, proc: u32) -> bool {
    proc == ns.slot()
        || (ns
            .seg
            .procs
            .get(proc as usize)
            .is_some_and(|p| p.used.load(Ordering::Relaxed) != 0)
            && ns.file.byte_held_elsewhere(LIVENESS + u64::from(proc)))
}

/// After a waiter's slice (X6): reclaims dead processes, unless some waiter did less than
/// a slice ago.
pub(crate) fn sweep_if_due(guard: &Guard) {
    let hint = &guard.ns.seg.header.last_sweep;
    let now = shm::monotonic_ns();
    let slice = u64::try_from(SLICE.as_nanos()).unwrap_or(u64::MAX);
    if now.saturating_sub(hint.load(Ordering::Relaxed)) < slice {
        return;
    }
    hint.store(now, Ordering::Relaxed);
    reclaim_dead(guard);
}

/// Reclaims every process slot whose process is dead (X2); true if any was.
pub(crate) fn reclaim_dead(guard: &Guard) -> bool {
    let ns = guard.ns;
    let mut any = false;
    for (i, slot) in ns.seg.procs.iter().enumerate() {
        if i as u32 == ns.slot() || slot.used.load(Ordering::Relaxed) == 0 {
            continue;
        }
        if !ns.file.byte_held_elsewhere(LIVENESS + i as u64) {
            object::reclaim_process(guard, i as u32);
            any = true;
        }
    }
    if any {
        object::wake_all_waiting(guard, None);
    }
    any
}

extern "C" fn forget_in_child() {
    DETACHED.store(1, Ordering::Release);
    crate::thread::forget_namespace_in_child();
    if let Some(Ok(ns)) = NAMESPACE.get() {
        // The child must not keep the parent's liveness byte alive (X2).
        shm::close_raw(ns.file.raw());
    }
}

extern "C" fn detach_at_exit() {
    let Some(ns) = attached() else { return };
    if ns.file.lock_exclusive().is_err() {
        return;
    }
    {
        let _no_stop = crate::suspend::NoStop::enter();
        let guard = Guard::lock(ns);
        reclaim_dead(&guard);
        let others = ns
            .seg
            .procs
            .iter()
            .enumerate()
            .any(|(i, p)| i as u32 != ns.slot() && p.used.load(Ordering::Relaxed) != 0);
        DETACHED.store(1, Ordering::Release);
        if others {
            object::reclaim_process(&guard, ns.slot());
            object::wake_all_waiting(&guard, None);
        } else {
            // The last user: nothing is left for anyone (X3), so the file goes.
            guard.set32(&ns.seg.header.dead, 1);
            ns.file.unlink();
        }
    }
    ns.file.unlock();
}

static RECOVERIES: AtomicU64 = AtomicU64::new(0);

/// How many times this process found the namespace lock's owner dead and rolled its
/// writes back (X1): for tests and the soak command.
#[doc(hidden)]
pub fn namespace_recoveries() -> u64 {
    RECOVERIES.load(Ordering::Relaxed)
}

/// How many wakes a hold of the robust lock defers to its release (X4).
const DEFERRED_WAKES: usize = 16;

/// The robust lock, held. Writes through it are undo-logged (X1).
pub(crate) struct Guard {
    pub(crate) ns: &'static Namespace,
    /// Parker words to wake once the lock is released (X4): a thread woken while the lock
    /// is held, and watching rather than asleep, would only block on the lock. Held inline,
    /// so that a signal allocates nothing; past [`DEFERRED_WAKES`] a wake is immediate.
    wakes: std::cell::Cell<([Option<&'static AtomicU32>; DEFERRED_WAKES], usize)>,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Guard {
    /// Takes the robust lock; if its last owner died holding it, rolls its writes back
    /// (X1) and reclaims dead processes (X2).
    pub(crate) fn lock(ns: &'static Namespace) -> Self {
        let guard = Self {
            ns,
            wakes: std::cell::Cell::new(([None; DEFERRED_WAKES], 0)),
            _not_send: std::marker::PhantomData,
        };
        if ns.seg.header.lock.lock() == Locked::OwnerDied {
            RECOVERIES.fetch_add(1, Ordering::Relaxed);
            guard.roll_back();
            ns.seg.header.lock.mark_consistent();
            if ns.slot() != u32::MAX {
                reclaim_dead(&guard);
            }
        }
        guard
    }

    fn roll_back(&self) {
        let header = &self.ns.seg.header;
        let len = (header.undo_len.load(Ordering::Acquire) as usize).min(UNDO_CAP);
        let base = std::ptr::from_ref(self.ns.seg).cast::<u8>();
        for entry in self.ns.seg.undo[..len].iter().rev() {
            let offset = entry.offset.load(Ordering::Relaxed) as usize;
            let wide = entry.wide.load(Ordering::Relaxed) != 0;
            let width = if wide { 8 } else { 4 };
            // X7: only aligned words inside the segment, and never the header (the lock
            // and the log itself).
            let first = std::mem::size_of::<Header>() + std::mem::size_of::<[Undo; UNDO_CAP]>();
            if offset < first || offset % width != 0 || offset + width > SIZE {
                continue;
            }
            let old = entry.old.load(Ordering::Relaxed);
            // SAFETY: the offset is inside the mapping and aligned for the width (checked
            // above), and every word of the segment is an atomic of that width.
            unsafe {
                let p = base.add(offset);
                if wide {
                    (*p.cast::<AtomicU64>()).store(old, Ordering::Relaxed);
                } else {
                    (*p.cast::<AtomicU32>()).store(old as u32, Ordering::Relaxed);
                }
            }
        }
        header.undo_len.store(0, Ordering::Release);
    }

    fn log(&self, field: *const u8, wide: bool, old: u64) {
        crash_model::step();
        let header = &self.ns.seg.header;
        let mut len = header.undo_len.load(Ordering::Relaxed) as usize;
        if len >= UNDO_CAP {
            // A hold this large commits what it has done so far and goes on.
            header.undo_len.store(0, Ordering::Release);
            len = 0;
        }
        let base = std::ptr::from_ref(self.ns.seg).cast::<u8>();
        let offset = field as usize - base as usize;
        let entry = &self.ns.seg.undo[len];
        entry.offset.store(offset as u32, Ordering::Relaxed);
        entry.wide.store(u32::from(wide), Ordering::Relaxed);
        entry.old.store(old, Ordering::Relaxed);
        crash_model::step();
        header.undo_len.store(len as u32 + 1, Ordering::Release);
        crash_model::step();
    }

    /// Writes a 32-bit word of the namespace (X1).
    pub(crate) fn set32(&self, field: &AtomicU32, value: u32) {
        let old = field.load(Ordering::Relaxed);
        if old == value {
            return;
        }
        self.log(std::ptr::from_ref(field).cast(), false, u64::from(old));
        field.store(value, Ordering::Release);
    }

    /// Writes a 64-bit word of the namespace (X1).
    pub(crate) fn set64(&self, field: &AtomicU64, value: u64) {
        let old = field.load(Ordering::Relaxed);
        if old == value {
            return;
        }
        self.log(std::ptr::from_ref(field).cast(), true, old);
        field.store(value, Ordering::Release);
    }

    /// Wakes the thread parked on `word` (a waiting record's, X4) once the lock is
    /// released. A record freed and reused meanwhile costs its new thread a spurious
    /// wake-up, which every parker tolerates.
    pub(crate) fn wake_later(&self, word: &'static AtomicU32) {
        let (mut words, count) = self.wakes.get();
        match words.get_mut(count) {
            Some(slot) => {
                *slot = Some(word);
                self.wakes.set((words, count + 1));
            }
            None => crate::parker::unpark_word(word),
        }
    }

    pub(crate) fn objects(&self) -> &'static [ObjectSlot; OBJECTS] {
        &self.ns.seg.objects
    }

    pub(crate) fn threads(&self) -> &'static [ThreadRecord; THREADS] {
        &self.ns.seg.threads
    }

    pub(crate) fn refs(&self, proc: u32) -> Option<&'static [AtomicU32; OBJECTS]> {
        self.ns.seg.refs.get(proc as usize)
    }

    pub(crate) fn procs(&self) -> &'static [ProcSlot; PROCS] {
        &self.ns.seg.procs
    }

    pub(crate) fn mailboxes(&self) -> &'static [MailboxSlot; MAILBOXES] {
        &self.ns.seg.mailboxes
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if crash_model::crashed() {
            // The model's "process" died here: nothing is committed or released.
            return;
        }
        // Commit (X1), then release, then wake (X4).
        self.ns.seg.header.undo_len.store(0, Ordering::Release);
        self.ns.seg.header.lock.unlock();
        let (words, count) = self.wakes.get();
        for word in words.into_iter().take(count).flatten() {
            crate::parker::unpark_word(word);
        }
    }
}

/// References whose proxies were dropped under the dispatcher lock, released when that
/// hold ends.
static DEFERRED: std::sync::Mutex<Vec<(u32, u32)>> = std::sync::Mutex::new(Vec::new());
static ANY_DEFERRED: AtomicU32 = AtomicU32::new(0);

pub(crate) fn defer_release(index: u32, generation: u32) {
    DEFERRED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push((index, generation));
    ANY_DEFERRED.store(1, Ordering::Release);
}

/// Releases the deferred references, under `guard`.
pub(crate) fn release_deferred(guard: &Guard) {
    if ANY_DEFERRED.swap(0, Ordering::AcqRel) == 0 {
        return;
    }
    let pending = std::mem::take(
        &mut *DEFERRED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    for (index, generation) in pending {
        object::drop_reference(guard, guard.ns.slot(), index, generation);
    }
}

/// Whether references wait to be released.
pub(crate) fn has_deferred() -> bool {
    ANY_DEFERRED.load(Ordering::Acquire) != 0
}

/// Whether this process may still use the namespace (not a forked child, not exiting).
pub(crate) fn usable() -> bool {
    DETACHED.load(Ordering::Acquire) == 0
}

/// The model of X1: an operation on the namespace is cut short after each of its steps in
/// turn (every write is three: the log entry, the log's length, the word), as if its
/// process died there; the next owner's roll-back must then give back exactly the state
/// before the operation. Outside tests the hooks compile to nothing.
mod crash_model {
    #[cfg(test)]
    thread_local! {
        static BUDGET: std::cell::Cell<Option<u32>> = const { std::cell::Cell::new(None) };
        static CRASHED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// One step of a write; the model dies here when its budget runs out.
    #[inline(always)]
    pub(super) fn step() {
        #[cfg(test)]
        if let Some(left) = BUDGET.get() {
            if left == 0 {
                CRASHED.set(true);
                BUDGET.set(None);
                std::panic::panic_any(Died);
            }
            BUDGET.set(Some(left - 1));
        }
    }

    /// Whether the model's process has died (its guard must not commit).
    #[inline(always)]
    pub(super) fn crashed() -> bool {
        #[cfg(test)]
        return CRASHED.get();
        #[cfg(not(test))]
        false
    }

    #[cfg(test)]
    pub(super) struct Died;

    #[cfg(test)]
    pub(super) fn arm(steps: u32) {
        CRASHED.set(false);
        BUDGET.set(Some(steps));
    }

    #[cfg(test)]
    pub(super) fn disarm() -> bool {
        BUDGET.set(None);
        CRASHED.replace(false)
    }
}

#[cfg(test)]
mod tests {
    use super::object::{Init, Kind, add_reference, create_slot, list_wait, withdraw};
    use super::*;

    /// Bytes become little-endian words, the last padded with zeros, for every length
    /// around a word's.
    #[test]
    fn words_of_pads_only_the_last_word() {
        let bytes: Vec<u8> = (1..=9).collect();
        for len in 0..=bytes.len() {
            let words: Vec<u32> = words_of(&bytes[..len]).collect();
            assert_eq!(words.len(), len.div_ceil(4), "{len} bytes");
            let back: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            assert_eq!(&back[..len], &bytes[..len]);
            assert!(back[len..].iter().all(|&b| b == 0), "{len} bytes: padding");
        }
    }

    /// A namespace of its own, in a private temporary directory (not the process's).
    fn private_namespace() -> &'static Namespace {
        let dir = std::env::temp_dir().join(format!(
            "alertable-model-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let file = shm::open_namespace(&dir, FILE_NAME).unwrap();
        file.lock_exclusive().unwrap();
        let ns = attach_locked(file).unwrap().unwrap();
        ns.file.unlock();
        // The mapping stays; nothing is left on disk.
        ns.file.unlink();
        ns
    }

    /// The bytes of everything the robust lock guards (all but the header and the log).
    fn snapshot(ns: &Namespace) -> Vec<u8> {
        let first = std::mem::size_of::<Header>() + std::mem::size_of::<[Undo; UNDO_CAP]>();
        let last = std::mem::offset_of!(Segment, mailboxes);
        let base = std::ptr::from_ref(ns.seg).cast::<u8>();
        // SAFETY: the range is inside the mapping, and no other thread or process uses
        // this private namespace, so nothing changes the bytes while they are copied.
        unsafe { std::slice::from_raw_parts(base.add(first), last - first) }.to_vec()
    }

    /// Runs `op` cut short after every step in turn; after each cut, the roll-back must
    /// give back the state before `op` (X1). Returns the number of steps `op` takes.
    fn crash_everywhere(ns: &'static Namespace, op: impl Fn(&Guard)) -> u32 {
        for steps in 0.. {
            let before = snapshot(ns);
            crash_model::arm(steps);
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let guard = Guard::lock(ns);
                op(&guard);
            }));
            let died = crash_model::disarm();
            match outcome {
                Ok(()) => {
                    assert!(!died);
                    return steps;
                }
                Err(payload) => {
                    assert!(payload.is::<crash_model::Died>(), "op panicked by itself");
                    // The next owner: roll back (the lock is still held: this thread
                    // plays both the dead owner and its successor), then release.
                    let successor = Guard {
                        ns,
                        wakes: std::cell::Cell::new(([None; DEFERRED_WAKES], 0)),
                        _not_send: std::marker::PhantomData,
                    };
                    successor.roll_back();
                    drop(successor);
                    assert!(
                        snapshot(ns) == before,
                        "a death after step {steps} left the namespace changed"
                    );
                }
            }
        }
        unreachable!()
    }

    #[test]
    fn x1_a_death_at_any_step_of_a_create_changes_nothing() {
        let ns = private_namespace();
        let init = Init {
            kind: Kind::Semaphore,
            signal: 1,
            maximum: 5,
        };
        let steps = crash_everywhere(ns, |g| {
            let index = create_slot(g, b"a name of some length", init).unwrap();
            add_reference(g, ns.slot(), index);
        });
        assert!(steps > 30, "{steps}");
    }

    #[test]
    fn x1_a_death_at_any_step_of_a_wait_registration_or_withdrawal_changes_nothing() {
        let ns = private_namespace();
        let init = Init {
            kind: Kind::AutoEvent,
            signal: 0,
            maximum: 1,
        };
        let indices: Vec<u32> = {
            let g = Guard::lock(ns);
            (0..3)
                .map(|i| {
                    let index = create_slot(&g, format!("e{i}").as_bytes(), init).unwrap();
                    add_reference(&g, ns.slot(), index);
                    index
                })
                .collect()
        };
        let record = &ns.seg.threads[7];
        {
            let g = Guard::lock(ns);
            g.set32(&record.state, IDLE);
            g.set32(&record.proc, ns.slot());
            g.set32(&record.tid, 4242);
        }
        crash_everywhere(ns, |g| list_wait(g, record, indices.iter().copied()));
        crash_everywhere(ns, |g| withdraw(g, record));
    }

    #[test]
    fn x1_x2_a_death_at_any_step_of_reclaiming_a_dead_process_changes_nothing() {
        let ns = private_namespace();
        let dead = ns.slot() + 1;
        let mutex = Init {
            kind: Kind::Mutex,
            signal: 0,
            maximum: 1,
        };
        let event = Init {
            kind: Kind::ManualEvent,
            signal: 0,
            maximum: 1,
        };
        let (owned, shared) = {
            let g = Guard::lock(ns);
            g.set32(&ns.seg.procs[dead as usize].used, 1);
            let owned = create_slot(&g, b"owned", mutex).unwrap();
            add_reference(&g, dead, owned);
            add_reference(&g, ns.slot(), owned);
            g.set64(
                &ns.seg.objects[owned as usize].owner,
                (u64::from(dead) + 1) << 32 | 99,
            );
            g.set32(&ns.seg.objects[owned as usize].recursion, 2);
            let shared = create_slot(&g, b"only the dead", event).unwrap();
            add_reference(&g, dead, shared);
            let record = &ns.seg.threads[3];
            g.set32(&record.state, IDLE);
            g.set32(&record.proc, dead);
            g.set32(&record.tid, 99);
            list_wait(&g, record, [owned, shared].into_iter());
            (owned, shared)
        };
        crash_everywhere(ns, |g| object::reclaim_process(g, dead));
        // And when it completes: abandoned, freed, withdrawn.
        let slot = &ns.seg.objects[owned as usize];
        assert_eq!(slot.abandoned.load(Ordering::Relaxed), 1);
        assert_eq!(slot.owner.load(Ordering::Relaxed), 0);
        assert_eq!(slot.waiters.load(Ordering::Relaxed), 0);
        assert_eq!(slot.refs.load(Ordering::Relaxed), 1);
        assert_eq!(
            ns.seg.objects[shared as usize].kind.load(Ordering::Relaxed),
            0
        );
        assert_eq!(ns.seg.threads[3].state.load(Ordering::Relaxed), 0);
        assert_eq!(ns.seg.procs[dead as usize].used.load(Ordering::Relaxed), 0);
    }
}
