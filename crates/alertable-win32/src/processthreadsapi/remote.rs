//! Threads of other processes: `OpenThread` of their ids, and `QueueUserAPC` to them.
//!
//! The core carries remote APCs between processes as calls of a named handler with bytes
//! (`alertable::RemoteThread`). A C APC is a function pointer, which means nothing in
//! another process, so it travels as the loaded object it lies in and its offset there:
//!
//! 1. **Translation.** The sender finds the object whose executable segment holds the
//!    pointer (`dl_iterate_phdr`; the main program has no name, `/proc/self/exe` stands for
//!    it), names it by its file's `(device, inode)`, and sends `(device, inode, offset,
//!    parameter)` to the handler [`HANDLER`]. Before queueing, it checks in
//!    `/proc/<pid>/maps` that the target maps that file executable: if not, the call
//!    fails with `ERROR_INVALID_PARAMETER` and nothing is queued.
//! 2. **Resolution.** The receiver's handler finds the object among its own (the file
//!    identities are cached per loaded object), checks that its base plus the offset lies
//!    in one of its executable segments, and calls the function there with the parameter,
//!    as a library-run callback (so `ExitThread` inside it works). Nothing in the message
//!    is trusted: anything that does not resolve is dropped with a line on standard error.
//! 3. **Adoption.** A thread is reachable once it is published (`alertable::RemoteThread`
//!    finds it by id). A C thread publishes itself when another process opens it: the
//!    opener checks that the id names a thread of the same user whose process catches the
//!    adoption signal (`SIGRTMIN() + 9`; this library installs its handler when loaded and
//!    at the first call of its functions), sends it that signal, and waits up to
//!    [`ADOPTION_PATIENCE`] for it to appear. The handler asks the thread to publish itself
//!    at its next alertable wait and ends the wait it is in
//!    (`alertable::publish_at_next_wait`).
//! 4. **Delivery.** A thread busy elsewhere publishes later: until it has, the handle keeps
//!    the calls, in order, and a small delivery thread of this process (one for all
//!    handles, running only while a handle to another process's thread is open) looks
//!    whether the thread has published — after a millisecond, then at pauses that double
//!    up to 50 ms — and then queues them, before any call queued after them (a later
//!    `QueueUserAPC` also looks, and queues them first). The same thread notices, within [`EXIT_CHECK`], that the
//!    thread has exited (its id gone, or reused by a thread that started later) and then
//!    signals the handle and drops what was never delivered.
//!
//! What is not guaranteed: a thread that never waits alertably never publishes itself,
//! and calls queued to it are kept until it exits (as its local APCs would be); a program
//! that uses `SIGRTMIN() + 9` itself, or blocks it, cannot be reached; an object unloaded
//! from the target between the check and the delivery drops the call there.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Once, PoisonError, Weak};
use std::time::Duration;

use alertable::{Event, EventReset, RemoteError, RemoteThread};

use crate::callback;
use crate::consts::{
    ERROR_ACCESS_DENIED, ERROR_GEN_FAILURE, ERROR_INVALID_PARAMETER, THREAD_SET_CONTEXT,
};
use crate::error::{Error, Result};
use crate::sys::{self, FileId, LoadedObject};
use crate::types::{DWORD, ULONG_PTR};

/// The remote handler C APCs are sent to: a name no Rust program would register.
pub(crate) const HANDLER: &str = "\u{1}win32-apc";
/// How long `OpenThread` waits for a signaled thread to publish itself.
pub(crate) const ADOPTION_PATIENCE: Duration = Duration::from_millis(100);
/// How often the delivery thread looks whether a thread has published itself, while calls
/// wait for it: at first; each look that finds nothing doubles the pause, up to
/// [`EXIT_CHECK`], so a thread that stays busy for long costs little.
const DELIVERY_RETRY: Duration = Duration::from_millis(1);
/// How often the delivery thread looks whether the threads of open handles have exited.
pub(crate) const EXIT_CHECK: Duration = Duration::from_millis(50);

/// A message: the object's device and inode, the offset, the parameter (little-endian).
const MESSAGE: usize = 32;
type Message = [u8; MESSAGE];

/// Installs what lets other processes queue APCs to this one's threads: the handler of
/// remote C APCs and the adoption signal's handler. Idempotent and cheap after the first
/// call.
#[inline]
pub(crate) fn install() {
    static INSTALL: Once = Once::new();
    if !INSTALL.is_completed() {
        INSTALL.call_once(|| {
            // The name is short: registering it cannot fail.
            let _ = alertable::register_remote_handler(HANDLER, run_message);
            sys::install_adoption_handler(alertable::publish_at_next_wait);
        });
    }
}

/// Installs at library load, so that a C program's threads can be reached before it calls
/// anything (the first call installs it too, where this does not run).
#[used]
#[unsafe(link_section = ".init_array")]
static INSTALL_AT_LOAD: extern "C" fn() = install_at_load;

extern "C" fn install_at_load() {
    // Nothing may unwind out of a loader constructor.
    let _ = std::panic::catch_unwind(install);
}

// ---------------------------------------------------------------------------------------
// Translation and resolution.

/// The file identities of this process's loaded objects, by name and base (`None`: the
/// object's file cannot be found).
type Identities = HashMap<(Vec<u8>, usize), Option<FileId>>;
static IDENTITIES: Mutex<Option<Identities>> = Mutex::new(None);

/// The file a loaded object was loaded from (cached: loaded objects do not change files).
fn identity(object: &LoadedObject) -> Option<FileId> {
    let key = (object.name.clone(), object.base);
    let mut cache = lock(&IDENTITIES);
    let cache = cache.get_or_insert_with(HashMap::new);
    *cache.entry(key).or_insert_with(|| {
        if object.name.is_empty() {
            sys::file_id("/proc/self/exe".as_ref())
        } else {
            use std::os::unix::ffi::OsStrExt;
            sys::file_id(std::ffi::OsStr::from_bytes(&object.name).as_ref())
        }
    })
}

/// Where a function lies: its object's file and its offset from the object's base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Located {
    pub(crate) file: FileId,
    pub(crate) offset: u64,
}

/// Locates `address` in the executable code of an object loaded in this process.
pub(crate) fn locate(address: usize) -> Option<Located> {
    sys::loaded_objects().iter().find_map(|object| {
        if !object.code.iter().any(|range| range.contains(&address)) {
            return None;
        }
        Some(Located {
            file: identity(object)?,
            offset: address.wrapping_sub(object.base) as u64,
        })
    })
}

/// The address `located` names in this process: inside the executable code of an object
/// loaded from the same file (X7: checked, not trusted).
pub(crate) fn resolve(located: Located) -> Option<usize> {
    let offset = usize::try_from(located.offset).ok()?;
    sys::loaded_objects().iter().find_map(|object| {
        let address = object.base.wrapping_add(offset);
        (object.code.iter().any(|range| range.contains(&address))
            && identity(object) == Some(located.file))
        .then_some(address)
    })
}

fn encode(located: Located, param: ULONG_PTR) -> Message {
    let mut message = [0; MESSAGE];
    let words = [
        located.file.dev,
        located.file.ino,
        located.offset,
        param as u64,
    ];
    for (chunk, word) in message.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    message
}

fn decode(message: &[u8]) -> Option<(Located, ULONG_PTR)> {
    let message: &Message = message.try_into().ok()?;
    let word = |i: usize| {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(&message[i * 8..i * 8 + 8]);
        u64::from_le_bytes(bytes)
    };
    let located = Located {
        file: FileId {
            dev: word(0),
            ino: word(1),
        },
        offset: word(2),
    };
    Some((located, usize::try_from(word(3)).ok()?))
}

/// The handler of remote C APCs, on the target thread in its alertable wait.
fn run_message(message: &[u8]) {
    let Some((located, param)) = decode(message) else {
        eprintln!(
            "alertable: a remote APC message of {} bytes; dropped",
            message.len()
        );
        return;
    };
    let Some(address) = resolve(located) else {
        eprintln!(
            "alertable: a remote APC names code that is not loaded here \
             (device {}, inode {}, offset {:#x}); dropped",
            located.file.dev, located.file.ino, located.offset
        );
        return;
    };
    // SAFETY: `address` lies in the executable code of an object loaded here from the
    // very file whose function the sender's caller passed to `QueueUserAPC`, at the same
    // offset: the function it named, which that caller vouched may be called with
    // `param` on this thread (`QueueUserAPC`'s contract).
    let func: unsafe extern "C-unwind" fn(ULONG_PTR) =
        unsafe { std::mem::transmute::<usize, unsafe extern "C-unwind" fn(ULONG_PTR)>(address) };
    // SAFETY: as above.
    callback::run(|| unsafe { func(param) });
}

// ---------------------------------------------------------------------------------------
// Handles of threads of other processes.

/// What a handle to a thread of another process refers to.
#[derive(Debug)]
pub(crate) struct RemoteThreadObject {
    tid: u32,
    tgid: u32,
    /// When the thread started: with the id, it names the thread.
    start_time: u64,
    /// Set when the thread has exited: the handle's waitable state.
    exited: Event,
    gone: AtomicBool,
    delivery: Mutex<Delivery>,
}

#[derive(Debug, Default)]
struct Delivery {
    /// The thread, once published.
    target: Option<RemoteThread>,
    /// Calls waiting for it to publish itself, oldest first.
    waiting: VecDeque<Message>,
    /// Files the target was seen to map executable.
    mapped: Vec<FileId>,
    /// The delivery thread's next look for the thread, and the pause after it.
    next_look: Option<std::time::Instant>,
    pause: Duration,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain data under these locks: a poisoned one is still consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn remote_error(error: RemoteError) -> Error {
    Error(error.win32_error())
}

impl RemoteThreadObject {
    /// The thread's id.
    pub(crate) fn id(&self) -> DWORD {
        self.tid
    }

    /// The object a wait on the handle waits on: set when the thread has exited.
    pub(crate) fn waitable(&self) -> &Event {
        &self.exited
    }

    /// Whether the thread is known to have exited.
    pub(crate) fn is_gone(&self) -> bool {
        self.gone.load(Ordering::Acquire)
    }

    /// Queues `func(param)` to the thread (see the module documentation).
    ///
    /// # Errors
    ///
    /// `ERROR_INVALID_PARAMETER` (87): `func` is in no object loaded here, or in one the
    /// target does not map; `ERROR_GEN_FAILURE` (31): the thread has exited; the errors of
    /// [`RemoteThread::queue`].
    pub(crate) fn queue(&self, func: usize, param: ULONG_PTR) -> Result<()> {
        if self.is_gone() {
            return Err(Error(ERROR_GEN_FAILURE));
        }
        let located = locate(func).ok_or(Error(ERROR_INVALID_PARAMETER))?;
        let message = encode(located, param);
        let mut delivery = lock(&self.delivery);
        if !delivery.mapped.contains(&located.file) {
            if !sys::maps_executable(self.tgid, located.file) {
                return Err(Error(ERROR_INVALID_PARAMETER));
            }
            delivery.mapped.push(located.file);
        }
        self.deliver(&mut delivery)?;
        match &delivery.target {
            Some(target) if delivery.waiting.is_empty() => target
                .queue(HANDLER, &message)
                .map_err(|e| self.failed(&mut delivery, e)),
            _ => {
                delivery.waiting.push_back(message);
                drop(delivery);
                service::wake();
                Ok(())
            }
        }
    }

    /// Records a failure to queue; the thread is gone if it exited.
    fn failed(&self, delivery: &mut Delivery, error: RemoteError) -> Error {
        if error == RemoteError::ThreadExited {
            self.mark_gone(delivery);
        }
        remote_error(error)
    }

    /// Finds the thread if it has published itself meanwhile, and queues the calls that
    /// waited for it, in order; stops at a full mailbox, keeping the rest.
    fn deliver(&self, delivery: &mut Delivery) -> Result<()> {
        if delivery.target.is_none() {
            delivery.target = self.published();
        }
        let Some(target) = delivery.target.clone() else {
            return Ok(());
        };
        while let Some(message) = delivery.waiting.front() {
            match target.queue(HANDLER, message) {
                Ok(()) => {
                    delivery.waiting.pop_front();
                }
                Err(RemoteError::Full) => break,
                Err(error) => return Err(self.failed(delivery, error)),
            }
        }
        Ok(())
    }

    /// The thread, if it is published now (and is still the thread this handle names).
    fn published(&self) -> Option<RemoteThread> {
        let target = RemoteThread::open_id(self.tid).ok()?;
        (sys::thread_start_time(self.tgid, self.tid) == Some(self.start_time)).then_some(target)
    }

    fn mark_gone(&self, delivery: &mut Delivery) {
        delivery.waiting.clear();
        delivery.target = None;
        if !self.gone.swap(true, Ordering::AcqRel) {
            self.exited.set();
        }
    }

    /// The delivery thread's look at this handle: queue what waits, notice an exit.
    /// Returns when to look again for calls that still wait.
    fn tend(&self, check_exit: bool) -> Option<std::time::Instant> {
        let mut delivery = lock(&self.delivery);
        if check_exit && sys::thread_start_time(self.tgid, self.tid) != Some(self.start_time) {
            self.mark_gone(&mut delivery);
            return None;
        }
        if delivery.waiting.is_empty() {
            delivery.next_look = None;
            return None;
        }
        let now = std::time::Instant::now();
        if let Some(at) = delivery.next_look
            && now < at
        {
            return Some(at);
        }
        // A failure marked the thread gone, or left calls for the next look.
        let _ = self.deliver(&mut delivery);
        if delivery.waiting.is_empty() {
            delivery.next_look = None;
        } else {
            delivery.pause = if delivery.next_look.is_none() {
                DELIVERY_RETRY
            } else {
                (delivery.pause * 2).min(EXIT_CHECK)
            };
            delivery.next_look = Some(now + delivery.pause);
        }
        delivery.next_look
    }
}

/// Opens thread `tid` of another process (`OpenThread`, after the thread was not found
/// in this one). `adopt`: the handle may queue APCs, so a thread that is not published
/// is asked to publish itself.
///
/// # Errors
///
/// `ERROR_INVALID_PARAMETER` (87): no thread has that id, it is a thread of this process
/// (which the caller did not find), or it must be adopted and its process does not catch
/// the adoption signal (it cannot run C APCs); `ERROR_ACCESS_DENIED` (5): the thread
/// belongs to another user.
pub(crate) fn open(tid: DWORD, adopt: bool) -> Result<Arc<RemoteThreadObject>> {
    install();
    let status = sys::thread_status(tid).ok_or(Error(ERROR_INVALID_PARAMETER))?;
    if status.tgid == sys::process_id() {
        return Err(Error(ERROR_INVALID_PARAMETER));
    }
    let me = sys::effective_uid();
    if status.uids.iter().any(|&uid| uid != me) {
        return Err(Error(ERROR_ACCESS_DENIED));
    }
    let start_time =
        sys::thread_start_time(status.tgid, tid).ok_or(Error(ERROR_INVALID_PARAMETER))?;
    let object = Arc::new(RemoteThreadObject {
        tid,
        tgid: status.tgid,
        start_time,
        exited: Event::new(EventReset::Manual, false),
        gone: AtomicBool::new(false),
        delivery: Mutex::new(Delivery::default()),
    });
    if adopt {
        let target = match object.published() {
            Some(target) => Some(target),
            None if !status.catches(sys::adoption_signal()) => {
                return Err(Error(ERROR_INVALID_PARAMETER));
            }
            None => {
                sys::send_adoption_signal(status.tgid, tid);
                // Bounded: a thread busy elsewhere is found later by the delivery thread.
                let deadline = std::time::Instant::now() + ADOPTION_PATIENCE;
                loop {
                    if let Some(target) = object.published() {
                        break Some(target);
                    }
                    if std::time::Instant::now() >= deadline {
                        break None;
                    }
                    std::thread::sleep(DELIVERY_RETRY);
                }
            }
        };
        lock(&object.delivery).target = target;
    }
    service::watch(&object);
    Ok(object)
}

/// The handle needs the adoption: it may queue APCs.
pub(crate) fn wants_apcs(access: DWORD) -> bool {
    access & THREAD_SET_CONTEXT != 0
}

/// The delivery thread: one per process, running while handles to threads of other
/// processes are open.
mod service {
    use super::*;

    struct Watched {
        objects: Vec<Weak<RemoteThreadObject>>,
        running: bool,
    }

    static WATCHED: Mutex<Watched> = Mutex::new(Watched {
        objects: Vec::new(),
        running: false,
    });
    static WAKE: Condvar = Condvar::new();

    /// Watches `object` until its last handle is closed or its thread exits.
    pub(super) fn watch(object: &Arc<RemoteThreadObject>) {
        let mut watched = lock(&WATCHED);
        watched.objects.push(Arc::downgrade(object));
        if !watched.running {
            let started = std::thread::Builder::new()
                .name("alertable-remote".into())
                .spawn(run);
            // Without the thread, handles are still signaled by no one: report it.
            match started {
                Ok(_) => watched.running = true,
                Err(e) => eprintln!("alertable: cannot start the remote delivery thread: {e}"),
            }
        }
    }

    /// Calls wait for a thread: look sooner.
    pub(super) fn wake() {
        WAKE.notify_all();
    }

    fn run() {
        let mut last_exit_check = std::time::Instant::now();
        loop {
            let objects: Vec<Arc<RemoteThreadObject>> = {
                let mut watched = lock(&WATCHED);
                watched
                    .objects
                    .retain(|o| o.upgrade().is_some_and(|o| !o.is_gone()));
                if watched.objects.is_empty() {
                    watched.running = false;
                    return;
                }
                watched.objects.iter().filter_map(Weak::upgrade).collect()
            };
            let check_exit = last_exit_check.elapsed() >= EXIT_CHECK;
            if check_exit {
                last_exit_check = std::time::Instant::now();
            }
            let mut wake_at = last_exit_check + EXIT_CHECK;
            for object in &objects {
                if let Some(at) = object.tend(check_exit) {
                    wake_at = wake_at.min(at);
                }
            }
            // Dropped here, not under the lock: the last handle may be among them.
            drop(objects);
            let pause = wake_at.saturating_duration_since(std::time::Instant::now());
            let watched = lock(&WATCHED);
            let _ = WAKE
                .wait_timeout(watched, pause)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "C-unwind" fn sample(_: ULONG_PTR) {}

    /// A14 across processes: the function and its parameter arrive unchanged, here
    /// translated and resolved in one process.
    #[test]
    fn a14_a_function_of_the_program_or_of_a_library_round_trips_through_file_and_offset() {
        let address = sample as *const () as usize;
        let located = locate(address).expect("in the program's code");
        assert_eq!(resolve(located), Some(address));
        let (back, param) = decode(&encode(located, 77)).unwrap();
        assert_eq!((back, param), (located, 77));
        // A function of a shared library (libc), named by that library's file.
        let getpid = libc::getpid as *const () as usize;
        let in_libc = locate(getpid).expect("in libc's code");
        assert_ne!(in_libc.file, located.file);
        assert_eq!(resolve(in_libc), Some(getpid));
    }

    #[test]
    fn a14_data_unknown_files_and_offsets_outside_code_do_not_resolve() {
        static DATA: u8 = 0;
        assert_eq!(locate(std::ptr::from_ref(&DATA) as usize), None);
        let located = locate(sample as *const () as usize).unwrap();
        let other = Located {
            file: FileId {
                dev: located.file.dev,
                ino: located.file.ino ^ 1,
            },
            ..located
        };
        assert_eq!(resolve(other), None);
        let outside = Located {
            offset: u64::MAX / 2,
            ..located
        };
        assert_eq!(resolve(outside), None);
        assert_eq!(decode(&[0; 31]), None);
    }
}
