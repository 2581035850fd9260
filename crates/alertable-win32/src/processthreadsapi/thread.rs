//! Threads: `CreateThread`, `ResumeThread`, `SuspendThread`, `GetCurrentThread(Id)`,
//! `OpenThread`, `GetExitCodeThread`, `ExitThread`, `SwitchToThread`.
//!
//! # Threads made by `CreateThread`
//!
//! They are plain pthreads (detached; Win32 threads need no joining), not `std::thread`s,
//! so that [`ExitThread`] can end them with `pthread_exit`. Their state exists before the
//! pthread does ([`alertable::PreparedThread`]), so APCs can be queued and the thread resumed
//! as soon as `CreateThread` returns. The pthread's start routine is a small trampoline:
//!
//! 1. `begin_thread` takes the start block, registers the thread for `OpenThread`, and
//!    enters the prepared state: wait at the start gate while suspended (C33), then run
//!    the APCs queued so far (C34);
//! 2. the C entry point runs;
//! 3. `end_thread` records its return value as the exit code (C36);
//! 4. `run_down` cancels the thread's overlapped requests that end with it and waits until
//!    each is reported (K121; `overlapped.rs`, O6), as `ExitThread` does too.
//!
//! The thread counts as exited when its thread-local storage is torn down: its APC queue
//! closes (C35), its mutexes are abandoned (G72) and its handle is signaled.
//!
//! # `ExitThread` and unwinding
//!
//! `pthread_exit` unwinds the thread's stack with a *forced unwind*. That is sound for C
//! frames and for Rust frames without landing pads, and undefined for Rust frames that
//! have any (destructors to run, `catch_unwind`). So:
//!
//! - (X1) the trampoline, the exported functions that can run callbacks, and the steps
//!   between them and `pthread_exit` keep no value with a destructor alive across a call
//!   and call only functions that cannot unwind into them: they have no landing pads;
//! - (X2) `ExitThread` called outside any callback calls `pthread_exit` directly: above it
//!   are only C frames and (X1) frames. It first marks the thread exited
//!   (`alertable::exit_current`), because glibc runs no thread-local destructors when the
//!   main thread ends this way;
//! - (X3) `ExitThread` called inside a callback the library runs (an APC, a timer routine)
//!   cannot do that, since the library's own wait frames are on the stack. It records the
//!   exit code and unwinds with an `ExitRequest` payload (a Rust unwind, which those frames
//!   are built for) through the callback back to the exported wait function that ran it,
//!   which catches it and then exits as in (X2) — or, if that wait itself ran inside an
//!   outer callback, unwinds again, to the next wait out.
//!
//! The C frames a callback unwinds through need unwind tables, which GCC and Clang emit by
//! default on x86-64 and AArch64 Linux.
//!
//! On a thread the library did not create, `ExitThread` also calls `pthread_exit`: right for
//! the main thread or a pthread of a C program, whose frames are C frames. On a thread whose
//! stack holds Rust frames that catch unwinds — any `std::thread`, or a Rust `main` — the
//! forced unwind reaches them and the process aborts; Rust documents that case as
//! undefined behaviour, so it must not be done.

use core::ffi::c_void;
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, Weak};

use alertable::{PreparedThread, ResumeError, ThreadHandle};

use crate::callback::{self, ExitRequest};
use crate::consts::{
    CREATE_SUSPENDED, ERROR_ACCESS_DENIED, ERROR_INVALID_PARAMETER, ERROR_NOT_ENOUGH_MEMORY,
    ERROR_NOT_SUPPORTED, ERROR_SIGNAL_REFUSED, FALSE, STILL_ACTIVE,
    THREAD_QUERY_LIMITED_INFORMATION, THREAD_SUSPEND_RESUME, TRUE,
};
use crate::error::Error;
use crate::ffi::call;
use crate::handle::{self, CURRENT_THREAD, Entry, Object};
use crate::processthreadsapi::remote;
use crate::sys;
use crate::types::{
    BOOL, DWORD, HANDLE, LPDWORD, LPSECURITY_ATTRIBUTES, LPTHREAD_START_ROUTINE, LPVOID, SIZE_T,
};

/// What a thread handle refers to: the thread and, once known, its exit code.
#[derive(Debug)]
pub(crate) struct ThreadObject {
    thread: ThreadHandle,
    /// `EXIT_CODE_SET | code` once the exit code is known, 0 before.
    exit_code: AtomicU64,
}

const EXIT_CODE_SET: u64 = 1 << 32;

impl ThreadObject {
    fn new(thread: ThreadHandle) -> Self {
        Self {
            thread,
            exit_code: AtomicU64::new(0),
        }
    }

    /// The thread, as a waitable object and APC target.
    pub(crate) fn handle(&self) -> &ThreadHandle {
        &self.thread
    }

    /// Records the thread's exit code; the first record wins.
    fn set_exit_code(&self, code: DWORD) {
        let _ = self.exit_code.compare_exchange(
            0,
            EXIT_CODE_SET | u64::from(code),
            Ordering::Release,
            Ordering::Relaxed,
        );
    }

    /// `STILL_ACTIVE` while the thread runs, then its exit code: the entry point's return
    /// value or `ExitThread`'s argument (C36); 0 for a thread the library did not create
    /// that ended without calling `ExitThread`.
    fn exit_code(&self) -> DWORD {
        // Read the finished flag first: the code is recorded before the thread exits.
        let finished = self.thread.is_finished();
        let code = self.exit_code.load(Ordering::Acquire);
        if code & EXIT_CODE_SET != 0 {
            code as DWORD
        } else if finished {
            0
        } else {
            STILL_ACTIVE
        }
    }
}

// ---------------------------------------------------------------------------------------
// The calling thread's object, and the registry OpenThread searches.

/// Threads by id, for `OpenThread`: every thread that has a thread object, for as long as
/// the object exists (while the thread runs or a handle to it is open), as a thread id
/// stays reserved on Windows while its thread object exists. Linux may give an exited
/// thread's id to a new thread; the new thread's registration then replaces the old one.
static REGISTRY: std::sync::Mutex<BTreeMap<u32, Weak<ThreadObject>>> =
    std::sync::Mutex::new(BTreeMap::new());

fn registry() -> std::sync::MutexGuard<'static, BTreeMap<u32, Weak<ThreadObject>>> {
    // Plain map operations only: a poisoned lock leaves a consistent map.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Registers `object` as the calling thread's, and returns it.
fn register(object: Arc<ThreadObject>) -> Arc<ThreadObject> {
    let mut registry = registry();
    // Entries whose object is gone are swept now and then, so the map stays small.
    if registry.len() >= 64 && registry.len().is_power_of_two() {
        registry.retain(|_, object| object.strong_count() > 0);
    }
    registry.insert(sys::current_tid(), Arc::downgrade(&object));
    object
}

/// The object of the thread with id `id`: the calling thread, or a thread known to the
/// registry (see [`REGISTRY`]).
pub(crate) fn thread_by_id(id: DWORD) -> Option<Arc<ThreadObject>> {
    if id == sys::current_tid() {
        Some(current_thread())
    } else {
        registry().get(&id).and_then(Weak::upgrade)
    }
}

thread_local! {
    /// The calling thread's object, once it has one.
    static CURRENT: OnceCell<Arc<ThreadObject>> = const { OnceCell::new() };
}

/// The calling thread's object: made on first use for threads the library did not create
/// (`main`, `std::thread`, pthreads of C code).
pub(crate) fn current_thread() -> Arc<ThreadObject> {
    CURRENT
        .try_with(|cell| {
            cell.get_or_init(|| register(Arc::new(ThreadObject::new(alertable::current()))))
                .clone()
        })
        // Thread-local teardown: an unregistered object for the rest of it.
        .unwrap_or_else(|_| Arc::new(ThreadObject::new(alertable::current())))
}

// ---------------------------------------------------------------------------------------
// Creation and the trampoline.

/// What a new thread needs, handed to it through `pthread_create`'s argument.
struct Start {
    prepared: PreparedThread,
    object: Arc<ThreadObject>,
    routine: unsafe extern "C" fn(LPVOID) -> DWORD,
    param: LPVOID,
}

/// The entry point and its argument, or `routine: None` if the thread must end at once
/// (`ExitThread` in an APC run before the entry point). `repr(C)`: it crosses an
/// `extern "C"` boundary (X1).
#[repr(C)]
#[derive(Clone, Copy)]
struct Begun {
    routine: LPTHREAD_START_ROUTINE,
    param: LPVOID,
}

/// The pthread start routine. (X1): it calls only `extern "C"` functions and holds nothing
/// with a destructor, so `pthread_exit` may unwind through it.
extern "C" fn thread_start(arg: *mut c_void) -> *mut c_void {
    let begun = begin_thread(arg);
    if let Some(routine) = begun.routine {
        // SAFETY: `CreateThread`'s caller guaranteed that the entry point may be called
        // with its parameter on a new thread.
        let code = unsafe { routine(begun.param) };
        end_thread(code);
    }
    run_down();
    core::ptr::null_mut()
}

/// Step 1 of a new thread: take the start block, register, enter the prepared state.
extern "C" fn begin_thread(arg: *mut c_void) -> Begun {
    let stop = Begun {
        routine: None,
        param: core::ptr::null_mut(),
    };
    catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `arg` is the `Box<Start>` that `CreateThread` leaked for this thread
        // alone; it is taken back exactly once, here.
        let start = unsafe { Box::from_raw(arg.cast::<Start>()) };
        let Start {
            prepared,
            object,
            routine,
            param,
        } = *start;
        let registered = CURRENT.with(|cell| cell.set(register(object)).is_ok());
        debug_assert!(registered, "a new thread has no thread object yet");
        // Runs the APCs queued before the start (C34); one of them may call ExitThread.
        prepared.enter();
        Begun {
            routine: Some(routine),
            param,
        }
    }))
    .unwrap_or_else(|payload| {
        // An `ExitRequest` (X3: its code is recorded) or a bug of ours: either way the
        // thread ends without running its entry point.
        let _ = payload.downcast::<ExitRequest>();
        stop
    })
}

/// Step 3 of a new thread: the entry point returned `code`.
extern "C" fn end_thread(code: DWORD) {
    let _ = catch_unwind(|| current_thread().set_exit_code(code));
}

/// Ends the calling thread with exit code `code`, as [`ExitThread`] does: (X2) directly,
/// or (X3) by unwinding to the library wait that runs the current callback.
#[inline(never)]
pub(crate) fn exit_thread_now(code: DWORD) -> ! {
    if record_exit(code) {
        std::panic::resume_unwind(Box::new(ExitRequest { code }));
    }
    mark_exited();
    // SAFETY: (X2) no callback of the library is running on this thread, so the frames
    // above are C frames and (X1) frames, which a forced unwind may pass.
    unsafe { sys::exit_thread() }
}

/// Marks the calling thread exited before `pthread_exit`, after its overlapped requests
/// are run down: glibc skips thread-local destructors when the main thread ends that way,
/// so the handle would never be signaled.
#[inline(never)]
extern "C" fn mark_exited() {
    run_down();
    let _ = catch_unwind(alertable::exit_current);
}

/// Cancels the calling thread's overlapped requests that end with it, and waits until
/// their `OVERLAPPED`s and events say so (`overlapped.rs`, O6): before the thread's handle
/// is signaled.
#[inline(never)]
extern "C" fn run_down() {
    let _ = catch_unwind(crate::overlapped::run_down);
}

/// Records the exit code; returns whether a callback of the library is running.
#[inline(never)]
extern "C" fn record_exit(code: DWORD) -> bool {
    catch_unwind(|| {
        current_thread().set_exit_code(code);
        callback::in_callback()
    })
    .unwrap_or(false)
}

/// Creates a thread that runs `lpStartAddress(lpParameter)`, suspended if
/// `dwCreationFlags` has `CREATE_SUSPENDED`.
///
/// APCs queued to the thread before it starts run on it before the entry point, in order
/// (C34). Its handle is signaled when it exits, and `GetExitCodeThread` then gives the
/// entry point's return value or `ExitThread`'s argument (C36). The thread is a plain
/// pthread; `dwStackSize` (0: the default) is rounded up to at least `PTHREAD_STACK_MIN`
/// and a whole page, whether or not `STACK_SIZE_PARAM_IS_A_RESERVATION` is given.
/// `lpThreadAttributes` and other flags are accepted and ignored.
///
/// # Safety
///
/// `lpStartAddress(lpParameter)` must be sound to call on a new thread; `lpThreadId` is
/// `NULL` or valid for writing a `DWORD`.
///
/// # Errors
///
/// Returns `NULL` with:
/// - `ERROR_INVALID_PARAMETER` (87): `lpStartAddress` is `NULL` (Windows would start the
///   thread and crash it);
/// - `ERROR_NOT_ENOUGH_MEMORY` (8): the OS refused to create the thread;
/// - `ERROR_NO_SYSTEM_RESOURCES` (1450): the handle table is full.
///
/// # Win32
///
/// `CreateThread`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateThread(
    lpThreadAttributes: LPSECURITY_ATTRIBUTES,
    dwStackSize: SIZE_T,
    lpStartAddress: LPTHREAD_START_ROUTINE,
    lpParameter: LPVOID,
    dwCreationFlags: DWORD,
    lpThreadId: LPDWORD,
) -> HANDLE {
    let _ = lpThreadAttributes;
    call(core::ptr::null_mut(), || {
        let routine = lpStartAddress.ok_or(Error(ERROR_INVALID_PARAMETER))?;
        let prepared = PreparedThread::new(dwCreationFlags & CREATE_SUSPENDED != 0);
        let object = Arc::new(ThreadObject::new(prepared.handle().clone()));
        let handle = handle::insert_object(Object::Thread(object.clone()))?;
        let start = Box::into_raw(Box::new(Start {
            prepared,
            object: object.clone(),
            routine,
            param: lpParameter,
        }));
        // SAFETY: `thread_start` takes ownership of the `Start` block, and the caller
        // vouched for the entry point and its parameter.
        if let Err(_errno) = unsafe { sys::spawn_detached(dwStackSize, thread_start, start.cast()) }
        {
            // SAFETY: the thread was not created, so the block is still ours alone.
            drop(unsafe { Box::from_raw(start) });
            drop(handle::remove(handle));
            return Err(Error(ERROR_NOT_ENOUGH_MEMORY));
        }
        if !lpThreadId.is_null() {
            // The new thread publishes its id before its start gate, so this does not
            // wait for a suspended thread to be resumed.
            let tid = DWORD::try_from(object.handle().id()).unwrap_or(0);
            // SAFETY: the caller guarantees a non-NULL `lpThreadId` is writable.
            unsafe { lpThreadId.write(tid) };
        }
        Ok(handle)
    })
}

/// Ends the calling thread with exit code `dwExitCode`: its handle is signaled and
/// `GetExitCodeThread` returns the code (C36). APCs still queued are dropped (C35), and
/// mutexes it owns are abandoned (G72).
///
/// Inside an APC or a timer routine that the library runs, the thread ends too: the exit
/// unwinds through the callback to the library's wait that ran it, and the thread ends from
/// there (a Rust program that calls the `alertable` wait functions itself sees that unwind
/// as a panic carrying the exit request). See the module documentation for how the thread
/// is ended.
///
/// # Safety
///
/// On a thread the library did not create, every frame on the stack must let
/// `pthread_exit`'s forced unwind pass: C frames do; Rust frames that catch unwinds (any
/// `std::thread`, a Rust `main`) do not, and there the process aborts. On threads made
/// by `CreateThread`, and on a C program's own threads, it is always sound. C frames
/// between a library callback and this call need unwind tables (the default of GCC and
/// Clang on x86-64 and AArch64 Linux).
///
/// # Win32
///
/// `ExitThread`.
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn ExitThread(dwExitCode: DWORD) -> ! {
    exit_thread_now(dwExitCode)
}

/// Decrements the suspend count of a thread and returns the previous count; the thread
/// runs again (or starts, if created suspended) when it reaches zero (C33). A thread that
/// is not suspended, running or exited, has count 0, and stays so.
///
/// # Errors
///
/// `(DWORD)-1` with `ERROR_INVALID_HANDLE` (6) for a handle that is not a thread, or
/// `ERROR_ACCESS_DENIED` (5) for one without `THREAD_SUSPEND_RESUME` (the count is
/// unchanged).
///
/// # Win32
///
/// `ResumeThread`.
#[unsafe(no_mangle)]
pub extern "C" fn ResumeThread(hThread: HANDLE) -> DWORD {
    call(DWORD::MAX, || {
        let thread = handle::with_access(hThread, THREAD_SUSPEND_RESUME, Object::into_thread)?;
        thread.handle().resume().map_err(resume_error)
    })
}

/// Increments the suspend count of a thread and returns the previous count (C33): a thread
/// that runs stops before this returns, one created suspended stays at its start, and a
/// thread that suspends itself (`SuspendThread(GetCurrentThread())`) stops inside the call
/// until another thread resumes it. Its APCs stay queued and its handle unsignaled until it
/// runs again ([`alertable::ThreadHandle::suspend`]).
///
/// As on Windows, the thread stops wherever it is, holding whatever lock it holds — the
/// memory allocator's too: a thread that then needs that lock waits until the suspended
/// thread is resumed. The library's own lock is never held by a suspended thread. A
/// running thread is stopped with the signal `SIGRTMIN() + 7`, which the program must
/// neither use nor block in that thread.
///
/// # Errors
///
/// `(DWORD)-1` with:
/// - `ERROR_ACCESS_DENIED` (5): the thread has exited or is exiting (C37);
/// - `ERROR_SIGNAL_REFUSED` (156): the count is already `MAXIMUM_SUSPEND_COUNT` (127);
/// - `ERROR_INVALID_HANDLE` (6): the handle is not a thread;
/// - `ERROR_ACCESS_DENIED` (5): the handle lacks `THREAD_SUSPEND_RESUME` (the count is
///   unchanged).
///
/// # Win32
///
/// `SuspendThread`.
#[unsafe(no_mangle)]
pub extern "C" fn SuspendThread(hThread: HANDLE) -> DWORD {
    call(DWORD::MAX, || {
        let thread = handle::with_access(hThread, THREAD_SUSPEND_RESUME, Object::into_thread)?;
        thread.handle().suspend().map_err(resume_error)
    })
}

fn resume_error(error: ResumeError) -> Error {
    Error(match error {
        ResumeError::ThreadRunning => ERROR_NOT_SUPPORTED,
        ResumeError::ThreadExited => ERROR_ACCESS_DENIED,
        ResumeError::CountExceeded => ERROR_SIGNAL_REFUSED,
        _ => ERROR_NOT_SUPPORTED,
    })
}

/// Returns the pseudo-handle of the calling thread, `(HANDLE)-2`: it names whichever thread
/// uses it. `DuplicateHandle` turns it into a real handle.
///
/// # Win32
///
/// `GetCurrentThread`.
#[unsafe(no_mangle)]
pub extern "C" fn GetCurrentThread() -> HANDLE {
    CURRENT_THREAD
}

/// Returns the calling thread's id (its Linux thread id).
///
/// # Win32
///
/// `GetCurrentThreadId`.
#[unsafe(no_mangle)]
pub extern "C" fn GetCurrentThreadId() -> DWORD {
    // A program that hands its thread id to another process expects it to be usable
    // there: the adoption handler is installed by now (remote.rs).
    remote::install();
    sys::current_tid()
}

/// Opens a new handle to the thread with id `dwThreadId`: a thread made by `CreateThread`,
/// or any other thread that has used a thread function of this library — while it runs, or
/// after it exited while a handle to it is still open (as on Windows) — or a thread of
/// another process of the same user (thread ids are Linux thread ids, unique on the
/// machine). The handle is granted
/// `dwDesiredAccess`, generic rights mapped as Windows maps them for a thread
/// (`GENERIC_EXECUTE`: `SYNCHRONIZE`, `THREAD_QUERY_LIMITED_INFORMATION`, …;
/// `GENERIC_WRITE`: `THREAD_SET_CONTEXT`, `THREAD_SUSPEND_RESUME`, …), `MAXIMUM_ALLOWED` as
/// every right (`handle.rs`, R2). The inheritance flag is accepted and ignored.
///
/// A handle to a thread of another process serves `QueueUserAPC` (with
/// `THREAD_SET_CONTEXT`: the function must lie in a file the other process has loaded
/// too), `GetThreadId`, waits (signaled when the thread has exited, noticed within 50 ms),
/// `DuplicateHandle` and `CloseHandle`; other thread functions refuse it with
/// `ERROR_ACCESS_DENIED`. Opened with `THREAD_SET_CONTEXT`, a thread that is not yet
/// reachable is signaled (`SIGRTMIN() + 9`) to make itself so at its next alertable wait;
/// this waits for that at most 100 ms, and APCs queued before it keep their order
/// (`processthreadsapi/remote.rs`).
///
/// # Errors
///
/// `NULL` with:
/// - `ERROR_INVALID_PARAMETER` (87): no thread has that id (as Windows reports an unknown
///   thread id), or it is a thread of this process that has never used this library, or,
///   with `THREAD_SET_CONTEXT`, a thread of a process that does not use this library (it
///   cannot run C APCs);
/// - `ERROR_ACCESS_DENIED` (5): the thread belongs to another user;
/// - `ERROR_ACCESS_DENIED` (5): a `dwDesiredAccess` bit that is no thread right;
/// - `ERROR_PRIVILEGE_NOT_HELD` (1314): `dwDesiredAccess` asks for
///   `ACCESS_SYSTEM_SECURITY`;
/// - `ERROR_NO_SYSTEM_RESOURCES` (1450).
///
/// # Win32
///
/// `OpenThread`.
#[unsafe(no_mangle)]
pub extern "C" fn OpenThread(
    dwDesiredAccess: DWORD,
    bInheritHandle: BOOL,
    dwThreadId: DWORD,
) -> HANDLE {
    let _ = bInheritHandle;
    call(core::ptr::null_mut(), || {
        let object = match thread_by_id(dwThreadId) {
            Some(thread) => Object::Thread(thread),
            None => {
                // A thread of another process: the rights first, as they decide whether
                // it must be able to run APCs (remote.rs).
                let access = handle::grant_thread(dwDesiredAccess)?;
                Object::RemoteThread(remote::open(dwThreadId, remote::wants_apcs(access))?)
            }
        };
        let access = handle::grant(&object, dwDesiredAccess)?;
        handle::insert(Entry::new(object).granted(access)).map_err(|(error, _entry)| error)
    })
}

/// Writes the thread's exit code to `*lpExitCode`: `STILL_ACTIVE` (259) while it runs,
/// then the entry point's return value or `ExitThread`'s argument (C36). A thread the
/// library did not create that ended without `ExitThread` reports 0.
///
/// # Safety
///
/// `lpExitCode` is `NULL` or valid for writing a `DWORD`.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) for a handle that is not a thread,
/// `ERROR_ACCESS_DENIED` (5) for one with neither `THREAD_QUERY_INFORMATION` nor
/// `THREAD_QUERY_LIMITED_INFORMATION`, or `ERROR_NOACCESS` (998) for a `NULL` `lpExitCode`.
///
/// # Win32
///
/// `GetExitCodeThread`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetExitCodeThread(hThread: HANDLE, lpExitCode: LPDWORD) -> BOOL {
    call(FALSE, || {
        // THREAD_QUERY_INFORMATION brings the limited right with it (R2).
        let thread = handle::with_access(
            hThread,
            THREAD_QUERY_LIMITED_INFORMATION,
            Object::into_thread,
        )?;
        let out = handle::required(lpExitCode)?.cast_mut();
        // SAFETY: non-NULL (checked), and the caller guarantees it is writable.
        unsafe { out.write(thread.exit_code()) };
        Ok(TRUE)
    })
}

/// Gives up the rest of the calling thread's time slice. Returns `TRUE` (Linux does not
/// tell whether another thread ran).
///
/// # Win32
///
/// `SwitchToThread`.
#[unsafe(no_mangle)]
pub extern "C" fn SwitchToThread() -> BOOL {
    sys::yield_now();
    TRUE
}
