//! The process-wide handle table: what a `HANDLE` names, `CloseHandle`, `DuplicateHandle`.
//!
//! A handle is an index into one table of slots, each holding an [`Object`] (a clone of
//! the library object: clones are the same object, so duplicated handles share it) and,
//! for named objects, the name's registration.
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

use std::any::Any;
use std::collections::VecDeque;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use alertable::{Event, EventReset, Mutex, Semaphore, Signal, Waitable, WaitableTimer};
use alertable_io::CompletionPort;

use crate::consts::{
    DUPLICATE_CLOSE_SOURCE, ERROR_INVALID_HANDLE, ERROR_NO_SYSTEM_RESOURCES, ERROR_NOACCESS, FALSE,
    TRUE,
};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::file::FileObject;
use crate::names::NameEntry;
use crate::thread::{ThreadObject, current_thread};
use crate::types::{BOOL, DWORD, HANDLE, LPHANDLE};

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
            Self::Process | Self::Thread(_) | Self::Timer(_) | Self::File(_) | Self::Port(_) => {
                Err(Error(ERROR_INVALID_HANDLE))
            }
        }
    }

    /// The thread, or `ERROR_INVALID_HANDLE` for any other kind.
    pub(crate) fn into_thread(self) -> Result<Arc<ThreadObject>> {
        match self {
            Self::Thread(t) => Ok(t),
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
    /// The name's registration, for named objects: held, never read, so that the name
    /// lives while a handle does.
    #[allow(dead_code)]
    name: Option<Arc<NameEntry>>,
    /// The object's guard, if it has one (H5): held, never read.
    #[allow(dead_code)]
    guard: Option<Guard>,
}

impl Entry {
    /// An entry for an unnamed object.
    pub(crate) fn new(object: Object) -> Self {
        Self {
            object,
            name: None,
            guard: None,
        }
    }

    /// An entry for a named object.
    pub(crate) fn named(object: Object, name: Arc<NameEntry>) -> Self {
        Self {
            object,
            name: Some(name),
            guard: None,
        }
    }

    /// An entry for an object whose last handle is guarded (H5).
    pub(crate) fn guarded(object: Object, guard: Guard) -> Self {
        Self {
            object,
            name: None,
            guard: Some(guard),
        }
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

/// The object a real handle names; pseudo-handles are refused (D47).
pub(crate) fn real_object(handle: HANDLE) -> Result<Object> {
    Ok(read().get(handle)?.object.clone())
}

/// The objects of `handles`, all looked up under one lock hold; pseudo-handles are refused
/// (D47).
pub(crate) fn real_objects(handles: &[HANDLE]) -> Result<Vec<Object>> {
    let table = read();
    handles
        .iter()
        .map(|&h| Ok(table.get(h)?.object.clone()))
        .collect()
}

/// The object a handle names, the pseudo-handles of the current thread and process
/// included (C38).
pub(crate) fn object(handle: HANDLE) -> Result<Object> {
    pseudo_object(handle).map_or_else(|| real_object(handle), Ok)
}

/// The object a pseudo-handle stands for, if `handle` is one.
fn pseudo_object(handle: HANDLE) -> Option<Object> {
    if handle == CURRENT_PROCESS {
        Some(Object::Process)
    } else if handle == CURRENT_THREAD {
        Some(Object::Thread(current_thread()))
    } else {
        None
    }
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

/// Closes a handle. The object lives on while other handles (or waiting threads) hold it;
/// closing does not wake anyone waiting on it (D54). Closing the last handle of a
/// completion port closes the port (L131), and closing the last handle of a file cancels
/// the requests still in flight on it; closing one of several handles does neither (K118).
///
/// # Errors
///
/// `ERROR_INVALID_HANDLE` (6) for a handle that is not open, including `NULL` and the
/// pseudo-handles (closing those has no effect).
///
/// # Win32
///
/// `CloseHandle`.
#[unsafe(no_mangle)]
pub extern "C" fn CloseHandle(hObject: HANDLE) -> BOOL {
    call(FALSE, || {
        let entry = remove(hObject)?;
        drop(entry); // the table lock is released: object destructors may take locks
        Ok(TRUE)
    })
}

/// Makes a new handle to the object `hSourceHandle` names, within the current process.
///
/// Both process handles must name the current process (`GetCurrentProcess()`, or a real
/// handle duplicated from it). `hSourceHandle` may be a pseudo-handle: duplicating
/// `GetCurrentThread()` gives a real handle to the calling thread that works on every
/// thread. With `DUPLICATE_CLOSE_SOURCE` the source handle is closed, also when the
/// duplication fails. `dwDesiredAccess` and `bInheritHandle` are accepted and ignored
/// (access is not enforced). A `NULL` `lpTargetHandle` duplicates nothing and succeeds, as
/// Win32 does for compatibility.
///
/// # Safety
///
/// `lpTargetHandle` is `NULL` or valid for writing one `HANDLE`.
///
/// # Errors
///
/// - `ERROR_INVALID_HANDLE` (6): a process handle that is not the current process, or a
///   source handle that is not open;
/// - `ERROR_NO_SYSTEM_RESOURCES` (1450): the handle table is full.
///
/// # Win32
///
/// `DuplicateHandle`; only same-process duplication exists here.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn DuplicateHandle(
    hSourceProcessHandle: HANDLE,
    hSourceHandle: HANDLE,
    hTargetProcessHandle: HANDLE,
    lpTargetHandle: LPHANDLE,
    dwDesiredAccess: DWORD,
    bInheritHandle: BOOL,
    dwOptions: DWORD,
) -> BOOL {
    let _ = (dwDesiredAccess, bInheritHandle);
    call(FALSE, || {
        for process in [hSourceProcessHandle, hTargetProcessHandle] {
            if !matches!(object(process)?, Object::Process) {
                return Err(Error(ERROR_INVALID_HANDLE));
            }
        }
        let source = match pseudo_object(hSourceHandle) {
            Some(object) => Entry::new(object),
            None => read().get(hSourceHandle)?.clone(),
        };
        let closed = if dwOptions & DUPLICATE_CLOSE_SOURCE != 0 {
            remove(hSourceHandle).ok()
        } else {
            None
        };
        drop(closed);
        if lpTargetHandle.is_null() {
            return Ok(TRUE);
        }
        let handle = insert(source).map_err(|(error, _source)| error)?;
        // SAFETY: the caller guarantees a non-NULL `lpTargetHandle` is writable.
        unsafe { lpTargetHandle.write(handle) };
        Ok(TRUE)
    })
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
    fn pseudo_handles_only_where_allowed() {
        assert!(matches!(object(CURRENT_PROCESS), Ok(Object::Process)));
        assert!(matches!(object(CURRENT_THREAD), Ok(Object::Thread(_))));
        assert!(real_object(CURRENT_PROCESS).is_err());
        assert!(real_object(CURRENT_THREAD).is_err());
    }
}
