//! The process-wide handle table: what a `HANDLE` names, `CloseHandle`, `DuplicateHandle`.
//!
//! A handle is an index into one table of slots, each holding an [`Object`] (a clone of
//! the library object: clones are the same object, so duplicated handles share it) and,
//! for named timers, the name's registration (`names.rs`).
//!
//! | handle value                                  | names                                    |
//! |-----------------------------------------------|------------------------------------------|
//! | `NULL`, and every value `< 4`                 | nothing                                  |
//! | `(HANDLE)-1`                                  | the current process (`GetCurrentProcess`, also `INVALID_HANDLE_VALUE`) |
//! | `(HANDLE)-2`                                  | the calling thread (`GetCurrentThread`)  |
//! | bits 2–21: slot index + 1, bits 22–30: generation | the object in that slot, if the generation matches |
//!
//! - (H1) A value names an object only if its slot holds one and the slot's generation
//!   equals the value's generation bits; anything else — never handed out, closed, or made up —
//!   is refused with `ERROR_INVALID_HANDLE`, never dereferenced: a handle is a number, not
//!   a pointer.
//! - (H2) Closing a handle bumps its slot's generation, and freed slots are reused
//!   oldest-first, so a closed value does not name a new object until its slot has been
//!   reused 512 times — and then it names a live object, as a stale handle may on Windows;
//!   it is still never undefined behaviour.
//! - (H3) The two low bits of a value are ignored, as Windows ignores them (D43). Values stay
//!   below 2³¹, so handles survive a round trip through 32 bits, as Win32 promises.
//! - (H4) The table lock is held only to look up, insert and remove entries. Objects are
//!   cloned out under it and used — waited on, signaled, dropped — after it is released, so
//!   no wait, no callback and no object destructor runs under it. Closing a handle
//!   therefore does not disturb a thread already waiting on the object (D54).
//! - (H5) Objects whose last handle matters — a completion port closes, a file cancels what
//!   is still in flight on it — give their entries a *guard*: a value every handle-table
//!   entry of the object holds (duplicates share it) and nothing else does, so its
//!   destructor runs exactly when the last handle is closed, after the table lock is
//!   released (H4). Clones of the object taken out for a call do not hold it, so a thread
//!   waiting on the object never keeps it from closing.
//!
//! Pseudo-handles are accepted where Win32 accepts them (single waits, `QueueUserAPC`,
//! thread functions, `DuplicateHandle`: C38) and refused where it refuses them
//! (multi-object waits: D47). Closing one has no effect and fails with
//! `ERROR_INVALID_HANDLE`, as it does on Windows.
//!
//! # Access rights
//!
//! Every entry carries the access mask it was granted, and every function asks the table
//! for the right Windows requires ([`with_access`]); a handle without it fails with
//! `ERROR_ACCESS_DENIED` (5) and the function has no effect.
//!
//! - (R1) Creating functions grant every right of the object type (`EVENT_ALL_ACCESS`,
//!   `THREAD_ALL_ACCESS`, …), and so does a `Create…` call that opens an existing named
//!   object; `CreateFile` grants the rights it was asked for ([`grant`], with
//!   `SYNCHRONIZE | FILE_READ_ATTRIBUTES` added, as Windows adds them), and the `Create…Ex`
//!   functions of events, semaphores, mutexes and timers grant their `dwDesiredAccess`
//!   (R2), whether they made the object or opened it. The pseudo-handles carry every
//!   right of a thread and of a process.
//! - (R2) An access mask asked for (`OpenThread`, `OpenEvent` and the other `Open…`
//!   functions of named objects, the `Create…Ex` functions, `DuplicateHandle`, `CreateFile`) is
//!   granted as Windows grants it to the owner of an object: `GENERIC_READ`, `_WRITE`,
//!   `_EXECUTE` and `_ALL` become the object type's specific rights by its generic mapping,
//!   `MAXIMUM_ALLOWED` becomes every right, `THREAD_QUERY_INFORMATION` brings
//!   `THREAD_QUERY_LIMITED_INFORMATION` (and the same for threads' set rights and processes'
//!   query and set rights); `ACCESS_SYSTEM_SECURITY` fails with `ERROR_PRIVILEGE_NOT_HELD`
//!   (1314), a bit that is no right of the type with `ERROR_ACCESS_DENIED`.
//! - (R3) `DuplicateHandle` grants what it is asked for (R2), which may be more than the
//!   source handle has, as Windows does within a process; with `DUPLICATE_SAME_ACCESS`, the
//!   source handle's mask.
//! - (R4) The object's kind is checked before its access, so a handle of the wrong kind
//!   fails with `ERROR_INVALID_HANDLE` whatever its rights, as on Windows.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use alertable::{Event, EventReset, Mutex, Semaphore, Signal, Waitable, WaitableTimer};
use alertable_io::CompletionPort;

use crate::consts::{
    ACCESS_SYSTEM_SECURITY, ERROR_ACCESS_DENIED, ERROR_INVALID_HANDLE, ERROR_NO_SYSTEM_RESOURCES,
    ERROR_NOACCESS, ERROR_PRIVILEGE_NOT_HELD, EVENT_ALL_ACCESS, EVENT_MODIFY_STATE,
    FILE_ALL_ACCESS, FILE_GENERIC_EXECUTE, FILE_GENERIC_READ, FILE_GENERIC_WRITE, GENERIC_ALL,
    GENERIC_EXECUTE, GENERIC_READ, GENERIC_WRITE, IO_COMPLETION_ALL_ACCESS, MAXIMUM_ALLOWED,
    MUTEX_ALL_ACCESS, PROCESS_ALL_ACCESS, PROCESS_DUP_HANDLE, PROCESS_QUERY_INFORMATION,
    PROCESS_QUERY_LIMITED_INFORMATION, SEMAPHORE_ALL_ACCESS, SEMAPHORE_MODIFY_STATE,
    STANDARD_RIGHTS_EXECUTE, STANDARD_RIGHTS_READ, STANDARD_RIGHTS_WRITE, SYNCHRONIZE,
    THREAD_ALERT, THREAD_ALL_ACCESS, THREAD_GET_CONTEXT, THREAD_QUERY_INFORMATION,
    THREAD_QUERY_LIMITED_INFORMATION, THREAD_RESUME, THREAD_SET_CONTEXT, THREAD_SET_INFORMATION,
    THREAD_SET_LIMITED_INFORMATION, THREAD_SUSPEND_RESUME, THREAD_TERMINATE, TIMER_ALL_ACCESS,
};
use crate::error::{Error, Result};
use crate::fileapi::file::FileObject;
use crate::names::Kind;
use crate::processthreadsapi::remote::RemoteThreadObject;
use crate::processthreadsapi::thread::{ThreadObject, current_thread};
use crate::types::{DWORD, HANDLE};

/// The pseudo-handle of the current process, `GetCurrentProcess()`.
pub(crate) const CURRENT_PROCESS: HANDLE = -1isize as HANDLE;
/// The pseudo-handle of the calling thread, `GetCurrentThread()`.
pub(crate) const CURRENT_THREAD: HANDLE = -2isize as HANDLE;

const INDEX_BITS: u32 = 20;
const GENERATION_BITS: u32 = 9;
/// Slot indices run from 0 to `MAX_SLOTS - 1`; index + 1 must fit in `INDEX_BITS`.
const MAX_SLOTS: usize = (1 << INDEX_BITS) - 1;
const GENERATION_MASK: u32 = (1 << GENERATION_BITS) - 1;

/// What a handle refers to.
#[derive(Clone)]
pub(crate) enum Object {
    /// The current process (a real handle made by duplicating `GetCurrentProcess()`).
    Process,
    /// A thread.
    Thread(Arc<ThreadObject>),
    /// A thread of another process (`processthreadsapi/remote.rs`).
    RemoteThread(Arc<RemoteThreadObject>),
    /// An event.
    Event(Event),
    /// A semaphore.
    Semaphore(Semaphore),
    /// A mutex.
    Mutex(Mutex),
    /// A waitable timer.
    Timer(WaitableTimer),
    /// A file from `CreateFile`.
    File(Arc<FileObject>),
    /// An I/O completion port.
    Port(CompletionPort),
}

impl Object {
    /// The object as something to wait on. A process is signaled when it exits, which no
    /// thread of it can observe: it never is, here.
    pub(crate) fn waitable(&self) -> &dyn Waitable {
        match self {
            Self::Process => process_waitable(),
            Self::Thread(t) => t.handle(),
            Self::RemoteThread(t) => t.waitable(),
            Self::Event(e) => e,
            Self::Semaphore(s) => s,
            Self::Mutex(m) => m,
            Self::Timer(t) => t,
            Self::File(f) => f.signal(),
            Self::Port(p) => p,
        }
    }

    /// The object as something `SignalObjectAndWait` can signal: events, semaphores and
    /// mutexes (I90).
    pub(crate) fn signal(&self) -> Result<&dyn Signal> {
        match self {
            Self::Event(e) => Ok(e),
            Self::Semaphore(s) => Ok(s),
            Self::Mutex(m) => Ok(m),
            Self::Process
            | Self::Thread(_)
            | Self::RemoteThread(_)
            | Self::Timer(_)
            | Self::File(_)
            | Self::Port(_) => Err(Error(ERROR_INVALID_HANDLE)),
        }
    }

    /// The rights an access mask can name for this kind of object (R2).
    fn rights(&self) -> &'static Rights {
        match self {
            Self::Process => &PROCESS_RIGHTS,
            Self::Thread(_) | Self::RemoteThread(_) => &THREAD_RIGHTS,
            Self::Event(_) | Self::Semaphore(_) => &EVENT_RIGHTS,
            Self::Mutex(_) => &MUTEX_RIGHTS,
            Self::Timer(_) => &TIMER_RIGHTS,
            Self::File(_) => &FILE_RIGHTS,
            Self::Port(_) => &PORT_RIGHTS,
        }
    }

    /// Every right of this kind of object: what creating it grants (R1).
    pub(crate) fn all_access(&self) -> DWORD {
        self.rights().all
    }

    /// The thread, or `ERROR_INVALID_HANDLE` for any other kind. A thread of another
    /// process is refused with `ERROR_ACCESS_DENIED`, as Windows refuses a handle without
    /// the right a function needs: only the functions that take it on purpose
    /// (`QueueUserAPC`, `GetThreadId`, waits, `CloseHandle`, `DuplicateHandle`) accept it.
    pub(crate) fn into_thread(self) -> Result<Arc<ThreadObject>> {
        match self {
            Self::Thread(t) => Ok(t),
            Self::RemoteThread(_) => Err(Error(ERROR_ACCESS_DENIED)),
            _ => Err(Error(ERROR_INVALID_HANDLE)),
        }
    }

    /// A thread of this process or of another, or `ERROR_INVALID_HANDLE` for any other
    /// kind.
    pub(crate) fn into_any_thread(self) -> Result<AnyThread> {
        match self {
            Self::Thread(t) => Ok(AnyThread::Local(t)),
            Self::RemoteThread(t) => Ok(AnyThread::Remote(t)),
            _ => Err(Error(ERROR_INVALID_HANDLE)),
        }
    }

    /// The event, or `ERROR_INVALID_HANDLE` for any other kind.
    pub(crate) fn into_event(self) -> Result<Event> {
        match self {
            Self::Event(e) => Ok(e),
            _ => Err(Error(ERROR_INVALID_HANDLE)),
        }
    }

    /// The semaphore, or `ERROR_INVALID_HANDLE` for any other kind.
    pub(crate) fn into_semaphore(self) -> Result<Semaphore> {
        match self {
            Self::Semaphore(s) => Ok(s),
            _ => Err(Error(ERROR_INVALID_HANDLE)),
        }
    }

    /// The mutex, or `ERROR_INVALID_HANDLE` for any other kind.
    pub(crate) fn into_mutex(self) -> Result<Mutex> {
        match self {
            Self::Mutex(m) => Ok(m),
            _ => Err(Error(ERROR_INVALID_HANDLE)),
        }
    }

    /// The timer, or `ERROR_INVALID_HANDLE` for any other kind.
    pub(crate) fn into_timer(self) -> Result<WaitableTimer> {
        match self {
            Self::Timer(t) => Ok(t),
            _ => Err(Error(ERROR_INVALID_HANDLE)),
        }
    }

    /// The file, or `ERROR_INVALID_HANDLE` for any other kind.
    pub(crate) fn into_file(self) -> Result<Arc<FileObject>> {
        match self {
            Self::File(f) => Ok(f),
            _ => Err(Error(ERROR_INVALID_HANDLE)),
        }
    }

    /// The completion port, or `ERROR_INVALID_HANDLE` for any other kind.
    pub(crate) fn into_port(self) -> Result<CompletionPort> {
        match self {
            Self::Port(p) => Ok(p),
            _ => Err(Error(ERROR_INVALID_HANDLE)),
        }
    }
}

/// A thread handle's thread: of this process, or of another.
pub(crate) enum AnyThread {
    /// A thread of this process.
    Local(Arc<ThreadObject>),
    /// A thread of another process.
    Remote(Arc<RemoteThreadObject>),
}

/// The access rights of one kind of object: its generic mapping, every right it has, and
/// the rights that bring others with them (R2).
struct Rights {
    read: DWORD,
    write: DWORD,
    execute: DWORD,
    all: DWORD,
    /// `(right, implied)`: a mask with `right` also gets `implied`.
    implied: &'static [(DWORD, DWORD)],
}

const THREAD_RIGHTS: Rights = Rights {
    read: STANDARD_RIGHTS_READ | THREAD_GET_CONTEXT | THREAD_QUERY_INFORMATION,
    write: STANDARD_RIGHTS_WRITE
        | THREAD_TERMINATE
        | THREAD_SUSPEND_RESUME
        | THREAD_ALERT
        | THREAD_SET_INFORMATION
        | THREAD_SET_CONTEXT,
    execute: STANDARD_RIGHTS_EXECUTE
        | SYNCHRONIZE
        | THREAD_QUERY_LIMITED_INFORMATION
        | THREAD_RESUME,
    all: THREAD_ALL_ACCESS,
    implied: &[
        (THREAD_QUERY_INFORMATION, THREAD_QUERY_LIMITED_INFORMATION),
        (THREAD_SET_INFORMATION, THREAD_SET_LIMITED_INFORMATION),
    ],
};

/// Process rights `windows.h` does not name, for the mapping below: `PROCESS_CREATE_THREAD` (0x2),
/// `PROCESS_VM_OPERATION` (0x8), `PROCESS_VM_READ` (0x10), `PROCESS_VM_WRITE` (0x20),
/// `PROCESS_CREATE_PROCESS` (0x80), `PROCESS_SET_QUOTA` (0x100), `PROCESS_SET_INFORMATION`
/// (0x200), `PROCESS_SUSPEND_RESUME` (0x800) and `PROCESS_SET_LIMITED_INFORMATION` (0x2000).
const PROCESS_VM_READ: DWORD = 0x10;
const PROCESS_SET_INFORMATION: DWORD = 0x200;
const PROCESS_SET_LIMITED_INFORMATION: DWORD = 0x2000;
const PROCESS_WRITE_RIGHTS: DWORD = 0x2 | 0x8 | 0x20 | 0x80 | 0x100 | 0x200 | 0x800;

const PROCESS_RIGHTS: Rights = Rights {
    read: STANDARD_RIGHTS_READ | PROCESS_VM_READ | PROCESS_QUERY_INFORMATION,
    write: STANDARD_RIGHTS_WRITE | PROCESS_DUP_HANDLE | PROCESS_WRITE_RIGHTS,
    execute: STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION,
    all: PROCESS_ALL_ACCESS,
    implied: &[
        (PROCESS_QUERY_INFORMATION, PROCESS_QUERY_LIMITED_INFORMATION),
        (PROCESS_SET_INFORMATION, PROCESS_SET_LIMITED_INFORMATION),
    ],
};

/// Events, semaphores, timers and ports map alike: read is the query right (0x1), write
/// the modify right (0x2).
const fn state_rights(all: DWORD) -> Rights {
    Rights {
        read: STANDARD_RIGHTS_READ | 0x1,
        write: STANDARD_RIGHTS_WRITE | 0x2,
        execute: STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE,
        all,
        implied: &[],
    }
}

const EVENT_RIGHTS: Rights = state_rights(EVENT_ALL_ACCESS);
const TIMER_RIGHTS: Rights = state_rights(TIMER_ALL_ACCESS);
const PORT_RIGHTS: Rights = state_rights(IO_COMPLETION_ALL_ACCESS);
// Semaphores map exactly as events do (`Object::rights` gives them `EVENT_RIGHTS`).
const _: () = assert!(SEMAPHORE_ALL_ACCESS == EVENT_ALL_ACCESS);

/// A mutex's only specific right is its query right (0x1, `MUTEX_MODIFY_STATE`): generic
/// write gives no specific right, and nothing needs one to release it (G69).
const MUTEX_RIGHTS: Rights = Rights {
    read: STANDARD_RIGHTS_READ | 0x1,
    write: STANDARD_RIGHTS_WRITE,
    execute: STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE,
    all: MUTEX_ALL_ACCESS,
    implied: &[],
};

const FILE_RIGHTS: Rights = Rights {
    read: FILE_GENERIC_READ,
    write: FILE_GENERIC_WRITE,
    execute: FILE_GENERIC_EXECUTE,
    all: FILE_ALL_ACCESS,
    implied: &[],
};

/// The access mask an object with `rights` gets when `desired` is asked for (R2).
fn grant_for(rights: &Rights, desired: DWORD) -> Result<DWORD> {
    if desired & ACCESS_SYSTEM_SECURITY != 0 {
        return Err(Error(ERROR_PRIVILEGE_NOT_HELD));
    }
    let generic = [
        (GENERIC_READ, rights.read),
        (GENERIC_WRITE, rights.write),
        (GENERIC_EXECUTE, rights.execute),
        (GENERIC_ALL, rights.all),
        (MAXIMUM_ALLOWED, rights.all),
    ];
    let mut granted = 0;
    let mut rest = desired;
    for (bit, mapped) in generic {
        if desired & bit != 0 {
            granted |= mapped;
            rest &= !bit;
        }
    }
    if rest & !rights.all != 0 {
        return Err(Error(ERROR_ACCESS_DENIED));
    }
    granted |= rest;
    for &(right, implied) in rights.implied {
        if granted & right != 0 {
            granted |= implied;
        }
    }
    Ok(granted)
}

/// The access mask `object` gets when `desired` is asked for (R2).
///
/// # Errors
///
/// `ERROR_PRIVILEGE_NOT_HELD` (1314) for `ACCESS_SYSTEM_SECURITY`; `ERROR_ACCESS_DENIED`
/// (5) for a bit that is no right of the object's type.
pub(crate) fn grant(object: &Object, desired: DWORD) -> Result<DWORD> {
    grant_for(object.rights(), desired)
}

/// The access mask a thread handle gets when `desired` is asked for (R2), before the
/// thread is looked up.
///
/// # Errors
///
/// As [`grant`].
pub(crate) fn grant_thread(desired: DWORD) -> Result<DWORD> {
    grant_for(&THREAD_RIGHTS, desired)
}

/// The rights table of a kind of object that can have a name.
fn named_rights(kind: Kind) -> &'static Rights {
    match kind {
        Kind::Event | Kind::Semaphore => &EVENT_RIGHTS,
        Kind::Mutex => &MUTEX_RIGHTS,
        Kind::Timer => &TIMER_RIGHTS,
    }
}

/// Every right of `kind`: what `Create…` grants (R1).
pub(crate) fn all_access_of(kind: Kind) -> DWORD {
    named_rights(kind).all
}

/// The access mask an object of `kind` gets when `desired` is asked for (R2): `Open…`
/// and `Create…Ex`, checked before the object is looked up or made.
///
/// # Errors
///
/// As [`grant`].
pub(crate) fn grant_of(kind: Kind, desired: DWORD) -> Result<DWORD> {
    grant_for(named_rights(kind), desired)
}

/// The access mask a file handle gets when `desired` is asked for (R1, R2).
///
/// # Errors
///
/// As [`grant`].
pub(crate) fn grant_file(desired: DWORD) -> Result<DWORD> {
    grant_for(&FILE_RIGHTS, desired)
}

/// Fails with `ERROR_ACCESS_DENIED` unless `granted` holds every right of `rights`.
fn require(granted: DWORD, rights: DWORD) -> Result<()> {
    if granted & rights == rights {
        Ok(())
    } else {
        Err(Error(ERROR_ACCESS_DENIED))
    }
}

/// What the entries of one object share so that its destructor runs when the last handle
/// is closed (H5).
pub(crate) type Guard = Arc<dyn Any + Send + Sync>;

/// The never-signaled object a process handle waits on.
fn process_waitable() -> &'static Event {
    static PROCESS: OnceLock<Event> = OnceLock::new();
    PROCESS.get_or_init(|| Event::new(EventReset::Manual, false))
}

/// What one slot of the table holds.
#[derive(Clone)]
pub(crate) struct Entry {
    object: Object,
    /// The rights this handle was granted (R1–R3).
    access: DWORD,
    /// The object's guard, if it has one (H5): held, never read.
    #[allow(dead_code)]
    guard: Option<Guard>,
}

impl Entry {
    /// An entry for an unnamed object, with every right of its type (R1).
    pub(crate) fn new(object: Object) -> Self {
        Self {
            access: object.all_access(),
            object,
            guard: None,
        }
    }

    /// An entry for an object whose last handle is guarded (H5), with every right of its
    /// type (R1).
    pub(crate) fn guarded(object: Object, guard: Guard) -> Self {
        Self {
            guard: Some(guard),
            ..Self::new(object)
        }
    }

    /// The same entry with the rights `access` instead (R1–R3).
    pub(crate) fn granted(self, access: DWORD) -> Self {
        Self { access, ..self }
    }

    /// The rights this handle was granted.
    pub(crate) fn access(&self) -> DWORD {
        self.access
    }

    /// The object this handle refers to.
    pub(crate) fn object(&self) -> &Object {
        &self.object
    }
}

struct Slot {
    generation: u32,
    entry: Option<Entry>,
}

struct Table {
    slots: Vec<Slot>,
    /// Free slot indices, reused oldest-first (H2).
    free: VecDeque<usize>,
}

static TABLE: RwLock<Table> = RwLock::new(Table {
    slots: Vec::new(),
    free: VecDeque::new(),
});

/// The table, for reading. No user code runs under the lock (H4), so a poisoned lock only
/// means a bug of ours that already failed its call; the table itself is always consistent.
fn read() -> std::sync::RwLockReadGuard<'static, Table> {
    TABLE.read().unwrap_or_else(PoisonError::into_inner)
}

fn write() -> std::sync::RwLockWriteGuard<'static, Table> {
    TABLE.write().unwrap_or_else(PoisonError::into_inner)
}

fn encode(index: usize, generation: u32) -> HANDLE {
    let value = ((generation as usize) << INDEX_BITS | (index + 1)) << 2;
    core::ptr::without_provenance_mut(value)
}

/// The slot index and generation a value names, if it can name one at all (H1, H3).
fn decode(handle: HANDLE) -> Option<(usize, u32)> {
    let value = handle.addr();
    if value >> 31 != 0 {
        return None;
    }
    let value = value >> 2;
    let index = value & ((1 << INDEX_BITS) - 1);
    let generation = u32::try_from(value >> INDEX_BITS).ok()?;
    Some((index.checked_sub(1)?, generation))
}

impl Table {
    fn get(&self, handle: HANDLE) -> Result<&Entry> {
        decode(handle)
            .and_then(|(index, generation)| {
                let slot = self.slots.get(index)?;
                (slot.generation == generation)
                    .then_some(slot.entry.as_ref())
                    .flatten()
            })
            .ok_or(Error(ERROR_INVALID_HANDLE))
    }
}

/// Puts `entry` in the table and returns its new handle. On failure the entry is handed
/// back, so that the caller drops it where it is safe to.
pub(crate) fn insert(entry: Entry) -> core::result::Result<HANDLE, (Error, Entry)> {
    let mut table = write();
    let index = match table.free.pop_front() {
        Some(index) => index,
        None if table.slots.len() < MAX_SLOTS => {
            table.slots.push(Slot {
                generation: 0,
                entry: None,
            });
            table.slots.len() - 1
        }
        None => return Err((Error(ERROR_NO_SYSTEM_RESOURCES), entry)),
    };
    let slot = &mut table.slots[index];
    slot.entry = Some(entry);
    Ok(encode(index, slot.generation))
}

/// Like [`insert`], dropping the entry on failure (for entries whose drop takes no lock).
pub(crate) fn insert_object(object: Object) -> Result<HANDLE> {
    insert(Entry::new(object)).map_err(|(error, _entry)| error)
}

/// The object a real handle names; pseudo-handles are refused (D47). For functions that
/// need no access right.
pub(crate) fn real_object(handle: HANDLE) -> Result<Object> {
    Ok(read().get(handle)?.object.clone())
}

/// The objects of `handles`, all looked up under one lock hold, each handle holding
/// `rights`, checked in order; pseudo-handles are refused (D47).
///
/// # Errors
///
/// `ERROR_INVALID_HANDLE` (6) or `ERROR_ACCESS_DENIED` (5) for the first handle that is
/// not open or lacks a right.
pub(crate) fn real_objects_with(handles: &[HANDLE], rights: DWORD) -> Result<Vec<Object>> {
    let table = read();
    handles
        .iter()
        .map(|&h| {
            let entry = table.get(h)?;
            require(entry.access, rights)?;
            Ok(entry.object.clone())
        })
        .collect()
}

/// The object a handle names, the pseudo-handles of the current thread and process
/// included (C38). For functions that need no access right.
pub(crate) fn object(handle: HANDLE) -> Result<Object> {
    Ok(lookup(handle)?.object)
}

/// The entry a handle names, the pseudo-handles included (C38), cloned out of the table.
pub(crate) fn lookup(handle: HANDLE) -> Result<Entry> {
    pseudo_entry(handle).map_or_else(|| Ok(read().get(handle)?.clone()), Ok)
}

/// What a pseudo-handle stands for, with every right (R1), if `handle` is one.
fn pseudo_entry(handle: HANDLE) -> Option<Entry> {
    if handle == CURRENT_PROCESS {
        Some(Entry::new(Object::Process))
    } else if handle == CURRENT_THREAD {
        Some(Entry::new(Object::Thread(current_thread())))
    } else {
        None
    }
}

/// The object `handle` names, as `kind` takes it, if the handle holds every right of
/// `rights` — the one check every function that needs a right makes (R4: the kind is
/// checked first). Pseudo-handles are accepted (C38).
///
/// # Errors
///
/// `ERROR_INVALID_HANDLE` (6) for a handle that is not open or (from `kind`) of the wrong
/// kind; `ERROR_ACCESS_DENIED` (5) for a handle without the rights.
pub(crate) fn with_access<T>(
    handle: HANDLE,
    rights: DWORD,
    kind: impl FnOnce(Object) -> Result<T>,
) -> Result<T> {
    let entry = lookup(handle)?;
    let value = kind(entry.object)?;
    require(entry.access, rights)?;
    Ok(value)
}

/// The two objects of `SignalObjectAndWait`, checked in the order Windows checks them: the
/// handle to signal is open, the handle to wait on is open and holds `SYNCHRONIZE`, then
/// the object to signal is of a kind that can be signaled and its handle holds the right
/// to: `EVENT_MODIFY_STATE` for an event, `SEMAPHORE_MODIFY_STATE` for a semaphore, none
/// for a mutex (G69).
///
/// # Errors
///
/// `ERROR_INVALID_HANDLE` (6) for a handle that is not open or an object to signal of
/// another kind (I85, I90); `ERROR_ACCESS_DENIED` (5) for a handle without its right.
pub(crate) fn signal_and_wait_objects(signal: HANDLE, wait: HANDLE) -> Result<(Object, Object)> {
    let signal = lookup(signal)?;
    let wait = with_access(wait, SYNCHRONIZE, Ok)?;
    let right = match signal.object {
        Object::Event(_) => EVENT_MODIFY_STATE,
        Object::Semaphore(_) => SEMAPHORE_MODIFY_STATE,
        Object::Mutex(_) => 0,
        _ => return Err(Error(ERROR_INVALID_HANDLE)),
    };
    require(signal.access, right)?;
    Ok((signal.object, wait))
}

/// [`with_access`] for a handle that needs at least one right of `rights`.
///
/// # Errors
///
/// As [`with_access`].
pub(crate) fn with_any_access<T>(
    handle: HANDLE,
    rights: DWORD,
    kind: impl FnOnce(Object) -> Result<T>,
) -> Result<T> {
    let entry = lookup(handle)?;
    let value = kind(entry.object)?;
    if entry.access & rights == 0 {
        return Err(Error(ERROR_ACCESS_DENIED));
    }
    Ok(value)
}

/// [`with_access`] where pseudo-handles are refused (D47).
///
/// # Errors
///
/// As [`with_access`].
pub(crate) fn real_with_access<T>(
    handle: HANDLE,
    rights: DWORD,
    kind: impl FnOnce(Object) -> Result<T>,
) -> Result<T> {
    let entry = read().get(handle)?.clone();
    let value = kind(entry.object)?;
    require(entry.access, rights)?;
    Ok(value)
}

/// Removes a real handle from the table and returns its entry, which the caller drops
/// after the lock is released (H4).
pub(crate) fn remove(handle: HANDLE) -> Result<Entry> {
    let mut table = write();
    let (index, _) = decode(handle).ok_or(Error(ERROR_INVALID_HANDLE))?;
    table.get(handle)?;
    let slot = &mut table.slots[index];
    let entry = slot.entry.take().ok_or(Error(ERROR_INVALID_HANDLE))?;
    slot.generation = (slot.generation + 1) & GENERATION_MASK;
    table.free.push_back(index);
    Ok(entry)
}

/// Reads a required pointer argument: `ERROR_NOACCESS` (998) for `NULL`, as Windows
/// reports a bad pointer it probes.
pub(crate) fn required<T>(pointer: *const T) -> Result<*const T> {
    if pointer.is_null() {
        Err(Error(ERROR_NOACCESS))
    } else {
        Ok(pointer)
    }
}

/// A handle's object is waitable as the object it refers to, so a pool wait can own the
/// object itself: every method goes to [`Object::waitable`].
impl Waitable for Object {
    fn wait_list(&self) -> &alertable::WaitList {
        self.waitable().wait_list()
    }
    fn is_ready(&self, lock: &alertable::Dispatcher, waiter: &alertable::ThreadHandle) -> bool {
        self.waitable().is_ready(lock, waiter)
    }
    fn acquire(
        &self,
        lock: &mut alertable::Dispatcher,
        waiter: &alertable::ThreadHandle,
    ) -> alertable::Acquired {
        self.waitable().acquire(lock, waiter)
    }
    fn acquire_if_ready(
        &self,
        lock: &mut alertable::Dispatcher,
        waiter: &alertable::ThreadHandle,
    ) -> Option<alertable::Acquired> {
        self.waitable().acquire_if_ready(lock, waiter)
    }
    fn try_claim(&self, waiter: &alertable::ThreadHandle) -> Option<alertable::Acquired> {
        self.waitable().try_claim(waiter)
    }
    fn hold_claims(&self, lock: &alertable::Dispatcher, held: bool) {
        self.waitable().hold_claims(lock, held);
    }
    fn waiters_changed(&self, lock: &alertable::Dispatcher, has_waiters: bool) {
        self.waitable().waiters_changed(lock, has_waiters);
    }
    fn shared_index(&self) -> Option<u32> {
        self.waitable().shared_index()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_ignore_the_low_bits() {
        for (index, generation) in [(0, 0), (5, 3), (MAX_SLOTS - 1, GENERATION_MASK)] {
            let h = encode(index, generation);
            assert!(h.addr() < 1 << 31, "fits in 31 bits");
            assert_eq!(h.addr() & 3, 0);
            for low in 0..4 {
                let tagged = core::ptr::without_provenance_mut(h.addr() | low);
                assert_eq!(decode(tagged), Some((index, generation)));
            }
        }
    }

    #[test]
    fn special_values_name_no_slot() {
        for value in [
            0usize,
            1,
            2,
            3,
            usize::MAX,
            usize::MAX - 1,
            0xdead_beef,
            1 << 31,
        ] {
            assert_eq!(
                decode(core::ptr::without_provenance_mut(value)),
                None,
                "{value:#x}"
            );
        }
    }

    #[test]
    fn closed_handles_are_refused_and_slots_are_reused_oldest_first() {
        let a = insert_object(Object::Process).unwrap();
        let b = insert_object(Object::Process).unwrap();
        assert!(real_object(a).is_ok());
        drop(remove(a).unwrap());
        assert_eq!(real_object(a).err(), Some(Error(ERROR_INVALID_HANDLE)));
        assert!(remove(a).is_err(), "closing twice fails");
        let c = insert_object(Object::Process).unwrap();
        assert_ne!(
            c, a,
            "a new handle never equals a closed one in the same slot"
        );
        assert_eq!(real_object(a).err(), Some(Error(ERROR_INVALID_HANDLE)));
        drop(remove(b).unwrap());
        drop(remove(c).unwrap());
    }

    #[test]
    fn generic_rights_map_by_type_and_bring_implied_rights() {
        let thread = Object::Thread(current_thread());
        assert_eq!(grant(&thread, GENERIC_READ), Ok(0x2_0848));
        assert_eq!(grant(&thread, GENERIC_WRITE), Ok(0x2_0437));
        assert_eq!(grant(&thread, GENERIC_EXECUTE), Ok(0x12_1800));
        assert_eq!(grant(&thread, MAXIMUM_ALLOWED), Ok(THREAD_ALL_ACCESS));
        assert_eq!(grant(&thread, 0), Ok(0));
        assert_eq!(
            grant(&thread, THREAD_QUERY_INFORMATION),
            Ok(THREAD_QUERY_INFORMATION | THREAD_QUERY_LIMITED_INFORMATION)
        );
        assert_eq!(grant(&thread, 1 << 21), Err(Error(ERROR_ACCESS_DENIED)));
        assert_eq!(
            grant(&thread, ACCESS_SYSTEM_SECURITY),
            Err(Error(ERROR_PRIVILEGE_NOT_HELD))
        );
        let mutex = Object::Mutex(Mutex::new(false));
        assert_eq!(grant(&mutex, GENERIC_READ | GENERIC_WRITE), Ok(0x2_0001));
        assert_eq!(grant(&mutex, 0x2), Err(Error(ERROR_ACCESS_DENIED)));
        let event = Object::Event(Event::new(EventReset::Auto, false));
        assert_eq!(grant(&event, GENERIC_ALL), Ok(EVENT_ALL_ACCESS));
        assert_eq!(grant(&event, GENERIC_EXECUTE), Ok(0x12_0000));
    }

    #[test]
    fn pseudo_handles_only_where_allowed() {
        assert!(matches!(object(CURRENT_PROCESS), Ok(Object::Process)));
        assert!(matches!(object(CURRENT_THREAD), Ok(Object::Thread(_))));
        assert!(real_object(CURRENT_PROCESS).is_err());
        assert!(real_object(CURRENT_THREAD).is_err());
    }
}
