//! `QueueUserAPC` and `QueueUserAPC2`, and the queueing they share with the NT layer
//! (`winternl.rs`).

use alertable::ThreadHandle;

use crate::callback;
use crate::consts::{
    ERROR_GEN_FAILURE, ERROR_INVALID_PARAMETER, ERROR_NOT_SUPPORTED, FALSE,
    QUEUE_USER_APC_CALLBACK_DATA_CONTEXT, QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC,
    THREAD_SET_CONTEXT, TRUE,
};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::handle::{self, AnyThread, Object};
use crate::processthreadsapi::remote::RemoteThreadObject;
use crate::types::{BOOL, DWORD, HANDLE, PAPCFUNC, QUEUE_USER_APC_FLAGS, ULONG_PTR};

/// Queues `pfnAPC(dwData)` to run on the thread `hThread` during its next alertable wait
/// (`SleepEx`, `WaitFor…Ex`, `SignalObjectAndWait` with `bAlertable` set).
///
/// The APC never runs inside this call, not even when queued to the calling thread (A1,
/// A16); APCs run FIFO (A15), each with its `ULONG_PTR` passed unchanged (A14); one
/// alertable wait runs all that are pending, then returns `WAIT_IO_COMPLETION` (B23). APCs
/// queued to a thread created suspended run before its entry point (C34). A `NULL`
/// `pfnAPC` queues nothing and succeeds (A2). `hThread` may be `GetCurrentThread()`.
///
/// # Safety
///
/// `pfnAPC(dwData)` must be sound to call on the target thread.
///
/// # Errors
///
/// Returns 0 with:
/// - `ERROR_INVALID_HANDLE` (6): `hThread` is not a thread handle (A5);
/// - `ERROR_ACCESS_DENIED` (5): the handle lacks `THREAD_SET_CONTEXT` (A6);
/// - `ERROR_GEN_FAILURE` (31): the thread has exited, also with a `NULL` `pfnAPC` (A4);
/// - `ERROR_INVALID_PARAMETER` (87): a thread of another process, and `pfnAPC` lies in no
///   file the other process has loaded (nothing is queued);
/// - `ERROR_NOT_ENOUGH_QUOTA` (1816): a thread of another process whose queue of remote
///   calls is full.
///
/// # Win32
///
/// `QueueUserAPC`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn QueueUserAPC(
    pfnAPC: PAPCFUNC,
    hThread: HANDLE,
    dwData: ULONG_PTR,
) -> DWORD {
    call(0, || {
        let target =
            match handle::with_access(hThread, THREAD_SET_CONTEXT, Object::into_any_thread)? {
                AnyThread::Local(thread) => thread,
                AnyThread::Remote(thread) => {
                    return queue_remote(&thread, pfnAPC, dwData).map(|()| 1);
                }
            };
        let target = target.handle();
        match pfnAPC {
            None if target.is_finished() => Err(Error(ERROR_GEN_FAILURE)),
            None => Ok(1),
            // SAFETY: the caller vouched for `func(dwData)` on the target thread.
            Some(func) => unsafe { queue_c(target, func, dwData) }.map(|()| 1),
        }
    })
}

/// Queues `pfnAPC(dwData)` to the thread `hThread`, as an ordinary APC
/// (`QUEUE_USER_APC_FLAGS_NONE`, exactly [`QueueUserAPC`], A7) or as a *special* one
/// (`QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC`, A8).
///
/// A special APC runs at once, wherever the thread is — running, or blocked in any wait,
/// alertable or not — not at its next alertable wait: queued to the calling thread, it has
/// run when `QueueUserAPC2` returns (A8), and the next `SleepEx(0, TRUE)` does not run it
/// again. The thread is interrupted with a signal (`SIGRTMIN() + 8`, which the program must
/// neither use nor block) and the routine runs inside its handler; a thread suspended, or
/// created suspended, runs it when resumed, and one that exits first drops it.
///
/// # Safety
///
/// `pfnAPC(dwData)` must be sound to call on the target thread. A special routine
/// interrupts the thread at an arbitrary instruction, possibly holding locks (the memory
/// allocator's, stdio's, its own), as Windows documents for special APCs; here it runs in a
/// signal handler, so it may call only async-signal-safe functions: no `malloc`/`free`, no
/// `printf`, no function of this library, no lock; it must not return by `longjmp`, throw,
/// or call `ExitThread`.
///
/// # Errors
///
/// Returns `FALSE` with:
/// - `ERROR_INVALID_HANDLE` (6), `ERROR_ACCESS_DENIED` (5), `ERROR_GEN_FAILURE` (31): as
///   [`QueueUserAPC`];
/// - `ERROR_NOT_SUPPORTED` (50): `QUEUE_USER_APC_CALLBACK_DATA_CONTEXT`, which is not
///   supported here, or a special APC to a thread of another process;
/// - `ERROR_INVALID_PARAMETER` (87): any other unknown flag.
///
/// # Win32
///
/// `QueueUserAPC2` (Windows 11), as a 64-bit process has it (A7, A8).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn QueueUserAPC2(
    ApcRoutine: PAPCFUNC,
    Thread: HANDLE,
    Data: ULONG_PTR,
    Flags: QUEUE_USER_APC_FLAGS,
) -> BOOL {
    call(FALSE, || {
        let thread = handle::with_access(Thread, THREAD_SET_CONTEXT, Object::into_any_thread)?;
        let kind = apc_kind(Flags)?;
        let thread = match (thread, kind) {
            (AnyThread::Local(thread), _) => thread,
            (AnyThread::Remote(thread), ApcKind::Normal) => {
                return queue_remote(&thread, ApcRoutine, Data).map(|()| TRUE);
            }
            (AnyThread::Remote(_), ApcKind::Special) => return Err(Error(ERROR_NOT_SUPPORTED)),
        };
        let target = thread.handle();
        match ApcRoutine {
            None if target.is_finished() => Err(Error(ERROR_GEN_FAILURE)),
            None => Ok(TRUE),
            // SAFETY: the caller vouched for `func(Data)` on the target thread, also as a
            // special APC.
            Some(func) => {
                // SAFETY: the caller vouched for this call on the target thread, where
                // the APC runs.
                let apc = move || unsafe { func(Data) };
                // SAFETY: as above, also as a special APC.
                unsafe { queue(target, kind, apc) }.map(|()| TRUE)
            }
        }
    })
}

/// Queues `func(param)` to a thread of another process (`remote.rs`): a `NULL` `func`
/// queues nothing, as for a thread of this process.
fn queue_remote(target: &RemoteThreadObject, func: PAPCFUNC, param: ULONG_PTR) -> Result<()> {
    match func {
        None if target.is_gone() => Err(Error(ERROR_GEN_FAILURE)),
        None => Ok(()),
        Some(func) => target.queue(func as usize, param),
    }
}

/// The kind of APC `QueueUserAPC2`'s flags ask for.
fn apc_kind(flags: QUEUE_USER_APC_FLAGS) -> Result<ApcKind> {
    match flags {
        0 => Ok(ApcKind::Normal),
        QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC => Ok(ApcKind::Special),
        f if f & QUEUE_USER_APC_CALLBACK_DATA_CONTEXT != 0 => Err(Error(ERROR_NOT_SUPPORTED)),
        _ => Err(Error(ERROR_INVALID_PARAMETER)),
    }
}

/// Whether an APC waits for an alertable wait or interrupts its thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApcKind {
    /// Runs in the thread's next alertable wait.
    Normal,
    /// Runs at once, wherever the thread is (`queue_special_apc`).
    Special,
}

/// Queues `func(param)`, a C call, as an ordinary APC to `target`.
///
/// # Safety
///
/// `func(param)` must be sound to call on the target thread.
unsafe fn queue_c(
    target: &ThreadHandle,
    func: unsafe extern "C-unwind" fn(ULONG_PTR),
    param: ULONG_PTR,
) -> Result<()> {
    // SAFETY: the caller of `queue_c` vouched for this call on the target thread, where
    // the APC runs.
    let apc = move || unsafe { func(param) };
    // SAFETY: as above.
    unsafe { queue(target, ApcKind::Normal, apc) }
}

/// Queues `call`, a call into C, as an APC of `kind` to `target`. An ordinary APC runs as a
/// library-run callback (so that `ExitThread` inside it works, `callback.rs`).
///
/// # Safety
///
/// `call()` must be sound to run on the target thread — for a special APC, inside a signal
/// handler at an arbitrary point of that thread (see [`QueueUserAPC2`]).
pub(crate) unsafe fn queue(
    target: &ThreadHandle,
    kind: ApcKind,
    call: impl FnOnce() + Send + 'static,
) -> Result<()> {
    match kind {
        ApcKind::Normal => target.queue_apc(move || callback::run(call)),
        // SAFETY: the caller vouched for `call` in a signal handler on the target thread;
        // the closure captures plain words (a function pointer and its arguments), so
        // dropping it frees nothing.
        ApcKind::Special => unsafe { alertable::queue_special_apc(target, call) },
    }
    .map_err(|e| Error(e.win32_error()))
}
