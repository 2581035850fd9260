//! `QueueUserAPC`.

use alertable::ThreadHandle;

use crate::callback;
use crate::consts::{ERROR_GEN_FAILURE, THREAD_SET_CONTEXT};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::handle::{self, Object};
use crate::types::{DWORD, HANDLE, PAPCFUNC, ULONG_PTR};

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
/// - `ERROR_GEN_FAILURE` (31): the thread has exited, also with a `NULL` `pfnAPC` (A4).
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
        let thread = handle::with_access(hThread, THREAD_SET_CONTEXT, Object::into_thread)?;
        let target = thread.handle();
        match pfnAPC {
            None if target.is_finished() => Err(Error(ERROR_GEN_FAILURE)),
            None => Ok(1),
            // SAFETY: the caller vouched for `func(dwData)` on the target thread.
            Some(func) => unsafe { queue(target, func, dwData) }.map(|()| 1),
        }
    })
}

/// Queues the C function `func(param)` as an APC to `target`.
///
/// # Safety
///
/// `func(param)` must be sound to call on the target thread.
unsafe fn queue(
    target: &ThreadHandle,
    func: unsafe extern "C-unwind" fn(ULONG_PTR),
    param: ULONG_PTR,
) -> Result<()> {
    target
        .queue_apc(move || {
            callback::run(|| {
                // SAFETY: the caller of `queue` vouched for this call on this thread, and
                // the APC runs only on the target thread.
                unsafe { func(param) }
            });
        })
        .map_err(|e| Error(e.win32_error()))
}
