//! Named objects in the namespace: creating and opening them by name, their state under
//! the robust lock, the proxies that stand for them in this process, and the registration
//! of waits that other processes must be able to wake.

use std::fmt;
use std::io;
use std::sync::Arc;

use super::{
    Guard, IDLE, MAX_WAIT, NAME_BYTES, Namespace, OBJECTS, ObjectSlot, ThreadRecord, WAITING,
    namespace, usable,
};
use crate::dispatch::{Acquired, Dispatcher, WaitList, Waitable};
use crate::sync::{AtomicU32, Ordering};
use crate::sys::shm;
use crate::thread::Context;
use crate::{SyncError, ThreadHandle};

/// What a create call found: a new object, or an existing one of the same name.
///
/// # Win32
///
/// `CreateEvent` and friends return a handle either way and tell the two apart with
/// `GetLastError() == ERROR_ALREADY_EXISTS` (183).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened<T> {
    /// The name was free; the object was created with the arguments given.
    Created(T),
    /// An object of that name and type existed; it was opened and the creation arguments
    /// were ignored. Win32: `ERROR_ALREADY_EXISTS` (183).
    Existing(T),
}

impl<T> Opened<T> {
    /// The object, whichever way it was obtained.
    pub fn into_inner(self) -> T {
        match self {
            Self::Created(t) | Self::Existing(t) => t,
        }
    }

    /// Whether the object existed before the call.
    pub fn is_existing(&self) -> bool {
        matches!(self, Self::Existing(_))
    }

    /// The same outcome for a value made from the object (a handle-table entry, say).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Opened<U> {
        match self {
            Self::Created(t) => Opened::Created(f(t)),
            Self::Existing(t) => Opened::Existing(f(t)),
        }
    }
}

/// Why a named object could not be created or opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NameError {
    /// No object has that name. Win32: `ERROR_FILE_NOT_FOUND` (2).
    NotFound,
    /// The name belongs to an object of another type. Win32: `ERROR_INVALID_HANDLE` (6).
    WrongType,
    /// The namespace belongs to another user, or others may read or write it. Win32:
    /// `ERROR_ACCESS_DENIED` (5).
    AccessDenied,
    /// The name is longer than 256 bytes of UTF-8. Win32: `ERROR_FILENAME_EXCED_RANGE`
    /// (206).
    TooLong,
    /// The name has a backslash other than after a `Local\` or `Global\` prefix. Win32:
    /// `ERROR_PATH_NOT_FOUND` (3).
    BadPath,
    /// The namespace is full (1,024 objects, 1,024 processes), or could not be opened, or
    /// this process is a forked child that has not `exec`ed. Win32:
    /// `ERROR_NO_SYSTEM_RESOURCES` (1450).
    NoResources,
}

impl NameError {
    /// The Win32 error code this corresponds to.
    pub fn win32_error(self) -> u32 {
        match self {
            Self::NotFound => 2,
            Self::WrongType => 6,
            Self::AccessDenied => 5,
            Self::TooLong => 206,
            Self::BadPath => 3,
            Self::NoResources => 1450,
        }
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotFound => "no object has that name",
            Self::WrongType => "the name belongs to an object of another type",
            Self::AccessDenied => "the object namespace belongs to another user",
            Self::TooLong => "the object name is too long",
            Self::BadPath => "the object name has a backslash outside its prefix",
            Self::NoResources => "the object namespace is full or unavailable",
        })
    }
}

impl std::error::Error for NameError {}

impl From<io::ErrorKind> for NameError {
    fn from(kind: io::ErrorKind) -> Self {
        match kind {
            io::ErrorKind::PermissionDenied => Self::AccessDenied,
            _ => Self::NoResources,
        }
    }
}

/// The type of a named object, as stored in its slot (0 is a free slot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Kind {
    ManualEvent = 1,
    AutoEvent = 2,
    Semaphore = 3,
    Mutex = 4,
    ManualTimer = 5,
    AutoTimer = 6,
}

impl Kind {
    fn from_raw(raw: u32) -> Option<Self> {
        Some(match raw {
            1 => Self::ManualEvent,
            2 => Self::AutoEvent,
            3 => Self::Semaphore,
            4 => Self::Mutex,
            5 => Self::ManualTimer,
            6 => Self::AutoTimer,
            _ => return None,
        })
    }

    /// Events of both reset kinds share one Win32 type.
    fn same_type(self, other: Self) -> bool {
        let class = |k: Self| match k {
            Self::ManualEvent | Self::AutoEvent => 0,
            Self::Semaphore => 1,
            Self::Mutex => 2,
            Self::ManualTimer | Self::AutoTimer => 3,
        };
        class(self) == class(other)
    }
}

/// The name as stored: `Local\` dropped (the user's one session namespace), `Global\`
/// kept (a namespace of its own, as on a Windows machine where the program runs in a
/// session other than 0).
fn stored_name(name: &str) -> Result<&str, NameError> {
    let (prefix, rest) = if let Some(rest) = name.strip_prefix("Local\\") {
        ("", rest)
    } else if let Some(rest) = name.strip_prefix("Global\\") {
        ("Global\\", rest)
    } else {
        ("", name)
    };
    if rest.contains('\\') {
        return Err(NameError::BadPath);
    }
    let stored = &name[name.len() - rest.len() - prefix.len()..];
    if stored.len() > NAME_BYTES {
        return Err(NameError::TooLong);
    }
    Ok(stored)
}

fn name_matches(slot: &ObjectSlot, name: &[u8]) -> bool {
    super::holds_name(&slot.name_len, &slot.name_hash, &slot.name, name)
}

/// How a new object starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Init {
    pub(crate) kind: Kind,
    pub(crate) signal: u32,
    pub(crate) maximum: u32,
}

/// One named object as this process sees it: its slot, and the local wait list of this
/// process's waiters (X4). One per object per process; dropping the last one releases the
/// process's reference, unless the last handle released it before (X9).
pub(crate) struct Proxy {
    ns: &'static Namespace,
    index: u32,
    generation: u32,
    kind: Kind,
    waiters: WaitList,
    /// How many times it was handed out by [`create_or_open`], less the
    /// [`close_handle`](Self::close_handle) calls; changed under the dispatcher lock.
    opens: AtomicU32,
    /// 1 once the process's reference is gone (X9); set under the dispatcher lock.
    released: AtomicU32,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("index", &self.index)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Creates (with `init`) or opens (`None`) the object called `name`.
pub(crate) fn create_or_open(
    name: &str,
    kind: Kind,
    init: Option<Init>,
) -> Result<Opened<Arc<Proxy>>, NameError> {
    let stored = stored_name(name)?;
    let ns = namespace()?;
    let lock = Dispatcher::lock();
    let guard = lock.shared(ns);
    let bytes = stored.as_bytes();
    let objects = guard.objects();
    let found = objects
        .iter()
        .position(|slot| slot.kind.load(Ordering::Relaxed) != 0 && name_matches(slot, bytes));
    if let Some(index) = found {
        let slot = &objects[index];
        let existing =
            Kind::from_raw(slot.kind.load(Ordering::Relaxed)).ok_or(NameError::WrongType)?;
        if !existing.same_type(kind) {
            return Err(NameError::WrongType);
        }
        return Ok(Opened::Existing(proxy_for(&guard, index as u32, existing)));
    }
    let Some(init) = init else {
        return Err(NameError::NotFound);
    };
    let index = create_slot(&guard, bytes, init)?;
    Ok(Opened::Created(proxy_for(&guard, index, init.kind)))
}

/// Writes a new object called `name` into a free slot; its index.
pub(super) fn create_slot(guard: &Guard, name: &[u8], init: Init) -> Result<u32, NameError> {
    let objects = guard.objects();
    let index = objects
        .iter()
        .position(|slot| slot.kind.load(Ordering::Relaxed) == 0)
        .ok_or(NameError::NoResources)?;
    let slot = &objects[index];
    super::store_name(guard, &slot.name_len, &slot.name_hash, &slot.name, name);
    guard.set32(&slot.signal, init.signal);
    guard.set32(&slot.maximum, init.maximum);
    guard.set64(&slot.owner, 0);
    guard.set32(&slot.recursion, 0);
    guard.set32(&slot.abandoned, 0);
    guard.set32(&slot.waiters, 0);
    guard.set64(&slot.due, 0);
    guard.set64(&slot.period, 0);
    guard.set32(&slot.kind, init.kind as u32);
    Ok(index as u32)
}

/// Adds a reference of process `proc` to object `index`.
pub(super) fn add_reference(guard: &Guard, proc: u32, index: u32) {
    let slot = &guard.objects()[index as usize];
    if let Some(refs) = guard.refs(proc) {
        let mine = &refs[index as usize];
        guard.set32(mine, mine.load(Ordering::Relaxed).saturating_add(1));
    }
    guard.set32(
        &slot.refs,
        slot.refs.load(Ordering::Relaxed).saturating_add(1),
    );
}

/// This process's proxy for object `index`: the live one, or a new one holding a new
/// reference.
fn proxy_for(guard: &Guard, index: u32, kind: Kind) -> Arc<Proxy> {
    let ns = guard.ns;
    let slot = &guard.objects()[index as usize];
    let generation = slot.generation.load(Ordering::Relaxed);
    // Declared before the registry's guard, so dropped after it: a stale proxy dropped
    // here must not take the registry lock while it is held (X5).
    let _stale;
    let mut proxies = ns.proxies();
    match proxies.get(&index).and_then(std::sync::Weak::upgrade) {
        Some(proxy) if proxy.generation == generation && !proxy.released() => {
            proxy.opens.fetch_add(1, Ordering::Relaxed);
            return proxy;
        }
        other => _stale = other,
    }
    add_reference(guard, ns.slot(), index);
    let proxy = Arc::new(Proxy {
        ns,
        index,
        generation,
        kind,
        waiters: WaitList::new(),
        opens: AtomicU32::new(1),
        released: AtomicU32::new(0),
    });
    proxies.insert(index, Arc::downgrade(&proxy));
    proxy
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if !usable() || self.released() {
            return;
        }
        if Dispatcher::held_here() {
            // The last handle went away inside the library, under the dispatcher lock:
            // the reference goes when that hold ends.
            self.release_reference(None);
        } else {
            self.release_reference(Some(&Dispatcher::lock()));
        }
    }
}

/// Drops one reference of process `proc` to object `index` (of `generation`), freeing the
/// object when none is left (X3).
pub(crate) fn drop_reference(guard: &Guard, proc: u32, index: u32, generation: u32) {
    let Some(slot) = guard.objects().get(index as usize) else {
        return;
    };
    if slot.generation.load(Ordering::Relaxed) != generation {
        return;
    }
    if let Some(refs) = guard.refs(proc) {
        let mine = &refs[index as usize];
        guard.set32(mine, mine.load(Ordering::Relaxed).saturating_sub(1));
    }
    let left = slot.refs.load(Ordering::Relaxed).saturating_sub(1);
    guard.set32(&slot.refs, left);
    if left == 0 {
        free_object(guard, slot);
    }
}

fn free_object(guard: &Guard, slot: &ObjectSlot) {
    guard.set32(&slot.kind, 0);
    guard.set32(
        &slot.generation,
        slot.generation.load(Ordering::Relaxed).wrapping_add(1),
    );
    guard.set32(&slot.name_len, 0);
    guard.set32(&slot.name_hash, 0);
    guard.set32(&slot.refs, 0);
    guard.set32(&slot.signal, 0);
    guard.set64(&slot.owner, 0);
    guard.set32(&slot.recursion, 0);
    guard.set32(&slot.abandoned, 0);
    guard.set64(&slot.due, 0);
    guard.set64(&slot.period, 0);
}

/// Marks a mutex abandoned: no owner, and the next acquisition reports it (G72).
fn abandon(guard: &Guard, slot: &ObjectSlot) {
    guard.set64(&slot.owner, 0);
    guard.set32(&slot.recursion, 0);
    guard.set32(&slot.abandoned, 1);
}

/// The owner word of `thread` in this process.
fn owner_word(ns: &Namespace, thread: &ThreadHandle) -> u64 {
    (u64::from(ns.slot()) + 1) << 32 | u64::from(thread.tid())
}

impl Proxy {
    /// The object's slot, unless this proxy was released (X9).
    fn slot<'g>(&self, guard: &'g Guard) -> Option<&'g ObjectSlot> {
        if self.released() {
            return None;
        }
        guard.objects().get(self.index as usize)
    }

    /// Whether the process's reference went with the last handle (X9).
    pub(crate) fn released(&self) -> bool {
        self.released.load(Ordering::Relaxed) != 0
    }

    /// One handle-holding owner of this proxy, handed it by [`create_or_open`], is done with
    /// it: after the last, the process's reference goes at once, whoever still holds the
    /// proxy (X9). Used by timers, which the library itself holds for a moment when they
    /// fire.
    pub(crate) fn close_handle(&self) {
        if !usable() {
            return;
        }
        let held = Dispatcher::held_here();
        let lock = (!held).then(Dispatcher::lock);
        if self.released() || self.opens.fetch_sub(1, Ordering::Relaxed) != 1 {
            return;
        }
        self.released.store(1, Ordering::Relaxed);
        self.release_reference(lock.as_ref());
    }

    /// Leaves the registry, unless a new proxy of the object took the place already, and
    /// gives up the process's reference: under `lock`, or, with `None` (this thread holds
    /// the dispatcher lock further up), when that hold ends. The registry comes after the
    /// dispatcher lock (X5).
    fn release_reference(&self, lock: Option<&Dispatcher>) {
        {
            let mut proxies = self.ns.proxies();
            if proxies
                .get(&self.index)
                .is_some_and(|w| std::ptr::eq(w.as_ptr(), self))
            {
                proxies.remove(&self.index);
            }
        }
        match lock {
            Some(lock) => drop_reference(
                &lock.shared(self.ns),
                self.ns.slot(),
                self.index,
                self.generation,
            ),
            None => super::defer_release(self.index, self.generation),
        }
    }

    /// The object's index in the namespace.
    pub(crate) fn index(&self) -> u32 {
        self.index
    }

    /// The type the object was created as.
    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }

    /// This process's waiters on the object.
    pub(crate) fn wait_list(&self) -> &WaitList {
        &self.waiters
    }

    /// The signal word at this moment, without the lock (a snapshot).
    pub(crate) fn signal_snapshot(&self) -> u32 {
        self.ns.seg.objects[self.index as usize]
            .signal
            .load(Ordering::Acquire)
    }

    /// Whether `waiter` could acquire the object now.
    pub(crate) fn is_ready(&self, lock: &Dispatcher, waiter: &ThreadHandle) -> bool {
        let guard = lock.shared(self.ns);
        let Some(slot) = self.slot(&guard) else {
            return false;
        };
        match self.kind {
            Kind::ManualEvent | Kind::AutoEvent | Kind::Semaphore => {
                slot.signal.load(Ordering::Relaxed) != 0
            }
            Kind::ManualTimer | Kind::AutoTimer => {
                // A due timer fires when anyone looks: its setter may be gone.
                fire_if_due(&guard, slot, shm::monotonic_ns());
                slot.signal.load(Ordering::Relaxed) != 0
            }
            Kind::Mutex => {
                let owner = slot.owner.load(Ordering::Relaxed);
                owner == 0
                    || (owner == owner_word(self.ns, waiter)
                        && slot.recursion.load(Ordering::Relaxed) < u32::MAX)
            }
        }
    }

    /// Acquires the object for `waiter`; for a mutex, also whether this made `waiter` its
    /// owner (rather than a recursive acquisition).
    pub(crate) fn acquire(&self, lock: &Dispatcher, waiter: &ThreadHandle) -> (Acquired, bool) {
        let guard = lock.shared(self.ns);
        let Some(slot) = self.slot(&guard) else {
            return (Acquired::Normal, false);
        };
        match self.kind {
            Kind::ManualEvent | Kind::ManualTimer => (Acquired::Normal, false),
            Kind::AutoEvent | Kind::AutoTimer => {
                guard.set32(&slot.signal, 0);
                (Acquired::Normal, false)
            }
            Kind::Semaphore => {
                guard.set32(
                    &slot.signal,
                    slot.signal.load(Ordering::Relaxed).saturating_sub(1),
                );
                (Acquired::Normal, false)
            }
            Kind::Mutex => {
                guard.set32(&slot.recursion, slot.recursion.load(Ordering::Relaxed) + 1);
                if slot.owner.load(Ordering::Relaxed) != 0 {
                    return (Acquired::Normal, false);
                }
                guard.set64(&slot.owner, owner_word(self.ns, waiter));
                let abandoned = slot.abandoned.load(Ordering::Relaxed) != 0;
                guard.set32(&slot.abandoned, 0);
                let how = if abandoned {
                    Acquired::Abandoned
                } else {
                    Acquired::Normal
                };
                (how, true)
            }
        }
    }

    /// The object may have become ready: satisfies this process's waiters and wakes those
    /// of other processes (X4).
    pub(crate) fn changed(&self, lock: &mut Dispatcher) {
        self.waiters.wake_waiters(lock);
        if !self.released() {
            notify_waiters(&lock.shared(self.ns), self.index);
        }
    }

    /// Signals an event (SetEvent).
    pub(crate) fn event_set(&self, lock: &mut Dispatcher) {
        {
            let guard = lock.shared(self.ns);
            if let Some(slot) = self.slot(&guard) {
                guard.set32(&slot.signal, 1);
            }
        }
        self.changed(lock);
    }

    /// Arms a timer (SetWaitableTimer): non-signaled, due at `due_ns`, then every
    /// `period_ns` (0: once).
    pub(crate) fn timer_set(&self, lock: &mut Dispatcher, due_ns: u64, period_ns: u64) {
        {
            let guard = lock.shared(self.ns);
            let Some(slot) = self.slot(&guard) else {
                return;
            };
            guard.set32(&slot.signal, 0);
            guard.set64(&slot.due, due_ns.max(1));
            guard.set64(&slot.period, period_ns);
        }
        // Waiters elsewhere sleep until the old due time: they look again.
        self.changed(lock);
    }

    /// Stops a timer (CancelWaitableTimer); the signal stays.
    pub(crate) fn timer_cancel(&self, lock: &Dispatcher) {
        let guard = lock.shared(self.ns);
        let Some(slot) = self.slot(&guard) else {
            return;
        };
        guard.set64(&slot.due, 0);
        guard.set64(&slot.period, 0);
    }

    /// The setter's timer service fired the timer: signal it now, and move its due time.
    pub(crate) fn timer_fire(&self, lock: &mut Dispatcher) {
        {
            let guard = lock.shared(self.ns);
            let Some(slot) = self.slot(&guard) else {
                return;
            };
            let now = shm::monotonic_ns();
            let due = slot.due.load(Ordering::Relaxed);
            if due == 0 {
                return; // cancelled or set anew elsewhere
            }
            fire_if_due(&guard, slot, now.max(due));
        }
        self.changed(lock);
    }

    /// Resets an event (ResetEvent).
    pub(crate) fn event_reset(&self, lock: &Dispatcher) {
        let guard = lock.shared(self.ns);
        if let Some(slot) = self.slot(&guard) {
            guard.set32(&slot.signal, 0);
        }
    }

    /// Releases `count` to a semaphore; the previous count.
    pub(crate) fn semaphore_release(
        &self,
        lock: &mut Dispatcher,
        count: u32,
    ) -> Result<u32, SyncError> {
        let previous = {
            let guard = lock.shared(self.ns);
            let slot = self.slot(&guard).ok_or(SyncError::TooManyPosts)?;
            let previous = slot.signal.load(Ordering::Relaxed);
            let maximum = slot.maximum.load(Ordering::Relaxed);
            match previous.checked_add(count) {
                Some(next) if next <= maximum => guard.set32(&slot.signal, next),
                _ => return Err(SyncError::TooManyPosts),
            }
            previous
        };
        self.changed(lock);
        Ok(previous)
    }

    /// The semaphore's maximum count.
    pub(crate) fn semaphore_maximum(&self) -> u32 {
        self.ns.seg.objects[self.index as usize]
            .maximum
            .load(Ordering::Relaxed)
    }

    /// Releases one acquisition of a mutex by `me`; true if that freed it.
    pub(crate) fn mutex_release(
        &self,
        lock: &mut Dispatcher,
        me: &ThreadHandle,
    ) -> Result<bool, SyncError> {
        let freed = {
            let guard = lock.shared(self.ns);
            let slot = self.slot(&guard).ok_or(SyncError::NotOwner)?;
            if slot.owner.load(Ordering::Relaxed) != owner_word(self.ns, me) {
                return Err(SyncError::NotOwner);
            }
            let left = slot.recursion.load(Ordering::Relaxed).saturating_sub(1);
            guard.set32(&slot.recursion, left);
            if left == 0 {
                guard.set64(&slot.owner, 0);
            }
            left == 0
        };
        if freed {
            self.changed(lock);
        }
        Ok(freed)
    }

    /// Abandons a mutex whose owner, `owner`, is exiting.
    pub(crate) fn mutex_abandon(&self, lock: &mut Dispatcher, owner: &ThreadHandle) {
        if self.mutex_abandon_slot(lock, owner) {
            self.changed(lock);
        }
    }

    /// [`mutex_abandon`](Self::mutex_abandon) while this process offers the mutex to its
    /// local waiters (an acquisition for a thread that has exited, made in that offer):
    /// the other processes' waiters are told, and the offer goes on to the local ones.
    pub(crate) fn mutex_abandon_in_offer(&self, lock: &mut Dispatcher, owner: &ThreadHandle) {
        if self.mutex_abandon_slot(lock, owner) && !self.released() {
            notify_waiters(&lock.shared(self.ns), self.index);
        }
    }

    /// Abandons the slot if `owner` owns it; whether it did.
    fn mutex_abandon_slot(&self, lock: &mut Dispatcher, owner: &ThreadHandle) -> bool {
        let guard = lock.shared(self.ns);
        let Some(slot) = self.slot(&guard) else {
            return false;
        };
        if slot.owner.load(Ordering::Relaxed) != owner_word(self.ns, owner) {
            return false;
        }
        abandon(&guard, slot);
        true
    }
}

/// Signals a timer whose due time has come, and moves the due time past `now` (by whole
/// periods, as a periodic timer does not drift) or clears it.
fn fire_if_due(guard: &Guard, slot: &ObjectSlot, now: u64) -> bool {
    let due = slot.due.load(Ordering::Relaxed);
    if due == 0 || now < due {
        return false;
    }
    guard.set32(&slot.signal, 1);
    let period = slot.period.load(Ordering::Relaxed);
    let next = match period {
        0 => 0,
        p => due + p * ((now - due) / p + 1),
    };
    guard.set64(&slot.due, next);
    true
}

/// The earliest due time among the shared timers in `objects`, as an `Instant` (a
/// snapshot: a wait sleeps no longer than this, X6).
pub(crate) fn earliest_due(objects: &[&dyn Waitable]) -> Option<std::time::Instant> {
    let ns = super::attached()?;
    let due = objects
        .iter()
        .filter_map(|o| o.shared_index())
        .filter_map(|i| ns.seg.objects.get(i as usize))
        .filter(|slot| {
            matches!(
                Kind::from_raw(slot.kind.load(Ordering::Relaxed)),
                Some(Kind::ManualTimer | Kind::AutoTimer)
            )
        })
        .map(|slot| slot.due.load(Ordering::Relaxed))
        .filter(|&due| due != 0)
        .min()?;
    let now = shm::monotonic_ns();
    Some(std::time::Instant::now() + std::time::Duration::from_nanos(due.saturating_sub(now)))
}

/// Wakes every waiting record of another process that lists object `index` (X4).
fn notify_waiters(guard: &Guard, index: u32) {
    let me = guard.ns.slot();
    let slot = &guard.objects()[index as usize];
    if slot.waiters.load(Ordering::Relaxed) == 0 {
        return;
    }
    for record in guard.threads() {
        if record.state.load(Ordering::Relaxed) == WAITING
            && record.proc.load(Ordering::Relaxed) != me
            && listed(record).any(|o| o == index)
        {
            guard.wake_later(&record.word);
        }
    }
}

/// The objects a record lists (X7: the count is clamped).
fn listed(record: &ThreadRecord) -> impl Iterator<Item = u32> + '_ {
    let count = (record.count.load(Ordering::Relaxed) as usize).min(MAX_WAIT);
    record.objects[..count]
        .iter()
        .map(|o| o.load(Ordering::Relaxed))
}

/// Wakes every waiting record (after dead processes were reclaimed), or those of `proc`.
pub(crate) fn wake_all_waiting(guard: &Guard, proc: Option<u32>) {
    for record in guard.threads() {
        if record.state.load(Ordering::Relaxed) == WAITING
            && proc.is_none_or(|p| record.proc.load(Ordering::Relaxed) == p)
        {
            guard.wake_later(&record.word);
        }
    }
}

/// Reclaims process slot `proc` (X2).
pub(crate) fn reclaim_process(guard: &Guard, proc: u32) {
    if proc != guard.ns.slot() {
        super::remote::release_locks_of(guard, proc);
    }
    let objects = guard.objects();
    for slot in objects {
        let owner = slot.owner.load(Ordering::Relaxed);
        if owner != 0 && owner >> 32 == u64::from(proc) + 1 {
            abandon(guard, slot);
        }
    }
    for record in guard.threads() {
        if record.state.load(Ordering::Relaxed) != 0 && record.proc.load(Ordering::Relaxed) == proc
        {
            free_record(guard, record);
        }
    }
    if let Some(refs) = guard.refs(proc) {
        for (index, mine) in refs.iter().enumerate() {
            let held = mine.load(Ordering::Relaxed);
            if held == 0 {
                continue;
            }
            guard.set32(mine, 0);
            let slot = &objects[index];
            let left = slot.refs.load(Ordering::Relaxed).saturating_sub(held);
            guard.set32(&slot.refs, left);
            if left == 0 && slot.kind.load(Ordering::Relaxed) != 0 {
                free_object(guard, slot);
            }
        }
    }
    if let Some(p) = guard.procs().get(proc as usize) {
        guard.set32(&p.used, 0);
        guard.set32(&p.pid, 0);
    }
}

pub(super) fn withdraw(guard: &Guard, record: &ThreadRecord) {
    if record.state.load(Ordering::Relaxed) != WAITING {
        return;
    }
    for index in listed(record) {
        if let Some(slot) = guard.objects().get(index as usize) {
            guard.set32(
                &slot.waiters,
                slot.waiters.load(Ordering::Relaxed).saturating_sub(1),
            );
        }
    }
    guard.set32(&record.count, 0);
    guard.set32(&record.state, IDLE);
}

fn free_record(guard: &Guard, record: &ThreadRecord) {
    withdraw(guard, record);
    super::remote::free_mailbox(guard, record);
    guard.set32(&record.state, 0);
    guard.set32(&record.proc, 0);
    guard.set32(&record.tid, 0);
}

/// The calling thread's record, allocated (and its parker relocated into it, P4) on first
/// use; `None` if every record is taken (the thread then finds signals by its slices, X6).
pub(super) fn record_of<'g>(guard: &'g Guard, ctx: &Context) -> Option<&'g ThreadRecord> {
    let thread = ctx.thread();
    let records = guard.threads();
    if let Some(index) = thread.shared_record() {
        return records.get(index as usize);
    }
    let index = records
        .iter()
        .position(|r| r.state.load(Ordering::Relaxed) == 0)?;
    let record = &records[index];
    guard.set32(&record.state, IDLE);
    guard.set32(&record.proc, guard.ns.slot());
    guard.set32(&record.tid, thread.tid());
    guard.set32(&record.count, 0);
    thread.set_shared_record(index as u32);
    thread.inner.parker.relocate(&record.word);
    Some(record)
}

/// Lists the calling thread's shared objects among `objects` in its record, so that other
/// processes' signals wake it (X4).
pub(crate) fn register_wait(lock: &Dispatcher, ctx: &Context, objects: &[&dyn Waitable]) {
    let Ok(ns) = namespace() else { return };
    let guard = lock.shared(ns);
    let Some(record) = record_of(&guard, ctx) else {
        return;
    };
    list_wait(
        &guard,
        record,
        objects.iter().filter_map(|o| o.shared_index()),
    );
}

/// Marks `record` waiting on `indices` (X4).
pub(super) fn list_wait(guard: &Guard, record: &ThreadRecord, indices: impl Iterator<Item = u32>) {
    let mut count = 0;
    for index in indices {
        if index as usize >= OBJECTS || count == MAX_WAIT {
            continue;
        }
        guard.set32(&record.objects[count], index);
        let slot = &guard.objects()[index as usize];
        guard.set32(&slot.waiters, slot.waiters.load(Ordering::Relaxed) + 1);
        count += 1;
    }
    guard.set32(&record.count, count as u32);
    guard.set32(&record.state, WAITING);
}

/// Withdraws the calling thread's registration.
pub(crate) fn unregister_wait(lock: &Dispatcher, thread: &ThreadHandle) {
    let Ok(ns) = namespace() else { return };
    let Some(index) = thread.shared_record() else {
        return;
    };
    let guard = lock.shared(ns);
    if let Some(record) = guard.threads().get(index as usize) {
        withdraw(&guard, record);
    }
}

/// Frees an exiting thread's record.
pub(crate) fn release_thread(lock: &Dispatcher, thread: &ThreadHandle) {
    let Some(index) = thread.shared_record() else {
        return;
    };
    let Some(ns) = super::attached() else { return };
    let guard = lock.shared(ns);
    if let Some(record) = guard.threads().get(index as usize)
        && record.proc.load(Ordering::Relaxed) == ns.slot()
        && record.tid.load(Ordering::Relaxed) == thread.tid()
    {
        free_record(&guard, record);
    }
}

/// After a slice without a wake-up: reclaims dead processes (X6).
pub(crate) fn sweep_and_recheck(lock: &Dispatcher) {
    if let Some(ns) = super::attached() {
        super::sweep_if_due(&lock.shared(ns));
    }
}
