//! The thread pool functions `winbase.h` declares: the callback environment functions
//! (inline functions in the SDK) — `InitializeThreadpoolEnvironment`,
//! `SetThreadpoolCallbackPool`, `SetThreadpoolCallbackCleanupGroup`,
//! `SetThreadpoolCallbackRunsLong`, `DestroyThreadpoolEnvironment` — which only fill in the
//! caller's structure that `threadpoolapiset.rs` reads when an object is created with it;
//! and the legacy `RegisterWaitForSingleObject`, `UnregisterWait` and
//! `BindIoCompletionCallback`, whose registered waits live in `threadpoollegacyapiset.rs`.

use std::sync::{Mutex, PoisonError};

use alertable_pool::{Environment, Io, ThreadPool};

use crate::consts::{ERROR_INVALID_PARAMETER, FALSE, TRUE};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::handle;
use crate::threadpoollegacyapiset::{DeleteTimerQueueEx, register_wait, unregister_wait};
use crate::types::{
    BOOL, DWORD, HANDLE, LPOVERLAPPED_COMPLETION_ROUTINE, PHANDLE, PVOID, ULONG,
    WAITORTIMERCALLBACK,
};
use crate::types::{
    PTP_CALLBACK_ENVIRON, PTP_CLEANUP_GROUP, PTP_CLEANUP_GROUP_CANCEL_CALLBACK, PTP_POOL,
    TP_CALLBACK_ENVIRON_V3, TP_CALLBACK_ENVIRON_V3_FLAGS,
};

/// Bit 0 of the environment's flags: the callbacks may run long.
const LONG_FUNCTION: u32 = 0x1;

/// Fills in `pcbe` with the defaults: the process's default pool, no cleanup group.
///
/// # Safety
///
/// `pcbe` is `NULL` (nothing happens) or writable.
///
/// # Win32
///
/// `InitializeThreadpoolEnvironment`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn InitializeThreadpoolEnvironment(pcbe: PTP_CALLBACK_ENVIRON) {
    if pcbe.is_null() {
        return;
    }
    let environment = TP_CALLBACK_ENVIRON_V3 {
        Version: 3,
        Pool: core::ptr::null_mut(),
        CleanupGroup: core::ptr::null_mut(),
        CleanupGroupCancelCallback: None,
        RaceDll: core::ptr::null_mut(),
        ActivationContext: core::ptr::null_mut(),
        FinalizationCallback: None,
        u: TP_CALLBACK_ENVIRON_V3_FLAGS { Flags: 0 },
        // TP_CALLBACK_PRIORITY_NORMAL.
        CallbackPriority: 1,
        Size: size_of::<TP_CALLBACK_ENVIRON_V3>() as u32,
    };
    // SAFETY: non-null and writable per the caller.
    unsafe { pcbe.write(environment) };
}

/// Makes objects created with `pcbe` run their callbacks on `ptpp`.
///
/// # Safety
///
/// `pcbe` is `NULL` (nothing happens) or an initialized environment.
///
/// # Win32
///
/// `SetThreadpoolCallbackPool`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetThreadpoolCallbackPool(pcbe: PTP_CALLBACK_ENVIRON, ptpp: PTP_POOL) {
    // SAFETY: the caller's guarantee.
    if let Some(env) = unsafe { pcbe.as_mut() } {
        env.Pool = ptpp;
    }
}

/// Makes objects created with `pcbe` members of `ptpcg`; `pfng`, if not `NULL`, is called
/// for each of them whose pending callbacks a cleanup cancels.
///
/// # Safety
///
/// `pcbe` is `NULL` (nothing happens) or an initialized environment.
///
/// # Win32
///
/// `SetThreadpoolCallbackCleanupGroup`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetThreadpoolCallbackCleanupGroup(
    pcbe: PTP_CALLBACK_ENVIRON,
    ptpcg: PTP_CLEANUP_GROUP,
    pfng: PTP_CLEANUP_GROUP_CANCEL_CALLBACK,
) {
    // SAFETY: the caller's guarantee.
    if let Some(env) = unsafe { pcbe.as_mut() } {
        env.CleanupGroup = ptpcg;
        env.CleanupGroupCancelCallback = pfng;
    }
}

/// Marks the environment's callbacks as long-running (a hint; not used).
///
/// # Safety
///
/// `pcbe` is `NULL` (nothing happens) or an initialized environment.
///
/// # Win32
///
/// `SetThreadpoolCallbackRunsLong`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetThreadpoolCallbackRunsLong(pcbe: PTP_CALLBACK_ENVIRON) {
    // SAFETY: the caller's guarantee.
    if let Some(env) = unsafe { pcbe.as_mut() } {
        // SAFETY: the union's one member covers it.
        env.u.Flags = unsafe { env.u.Flags } | LONG_FUNCTION;
    }
}

/// Does nothing: an environment holds nothing to free.
///
/// # Safety
///
/// None beyond the C signature: `pcbe` is not used.
///
/// # Win32
///
/// `DestroyThreadpoolEnvironment`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn DestroyThreadpoolEnvironment(pcbe: PTP_CALLBACK_ENVIRON) {
    let _ = pcbe;
}

/// Registers a wait on `hObject` without a thread: `Callback(Context, fired)` runs on a
/// pool thread each time the object is signaled (`fired` `FALSE`; the object is acquired as
/// a wait acquires it) or `dwMilliseconds` pass first (`TRUE`; `INFINITE`: never). The wait
/// is registered again after each callback unless `dwFlags` has `WT_EXECUTEONLYONCE`;
/// the other `WT_EXECUTE…` flags are accepted.
///
/// # Safety
///
/// `phNewWaitObject` is writable; `Callback(Context, fired)` is sound to call on any pool
/// thread.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) for a bad object handle,
/// `ERROR_ACCESS_DENIED` (5) without `SYNCHRONIZE`, `ERROR_INVALID_PARAMETER` (87) for a
/// `NULL` callback or `phNewWaitObject`.
///
/// # Win32
///
/// `RegisterWaitForSingleObject`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn RegisterWaitForSingleObject(
    phNewWaitObject: PHANDLE,
    hObject: HANDLE,
    Callback: WAITORTIMERCALLBACK,
    Context: PVOID,
    dwMilliseconds: ULONG,
    dwFlags: ULONG,
) -> BOOL {
    call(FALSE, || {
        if phNewWaitObject.is_null() {
            return Err(Error(ERROR_INVALID_PARAMETER));
        }
        // SAFETY: the caller's guarantee on the callback.
        let wait = unsafe { register_wait(hObject, Callback, Context, dwMilliseconds, dwFlags) }?;
        // SAFETY: non-null (checked) and writable per the caller.
        unsafe { phNewWaitObject.write(wait) };
        Ok(TRUE)
    })
}

/// Unregisters a wait made by [`RegisterWaitForSingleObject`], returning at once.
///
/// # Safety
///
/// `WaitHandle` came from `RegisterWaitForSingleObject` and is not used again.
///
/// # Errors
///
/// `FALSE` with `ERROR_IO_PENDING` (997) if callbacks are pending or running (the wait is
/// unregistered all the same); `ERROR_INVALID_HANDLE` (6) for a `NULL` handle.
///
/// # Win32
///
/// `UnregisterWait`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn UnregisterWait(WaitHandle: HANDLE) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller's guarantee.
        unsafe { unregister_wait(WaitHandle, core::ptr::null_mut()) }
    })
}

/// The `Io` objects of `BindIoCompletionCallback`: they last as long as the process.
static BOUND: Mutex<Vec<Io>> = Mutex::new(Vec::new());

/// Binds the overlapped file `FileHandle` to the process's default pool: every request on
/// it completes by calling `Function(error, bytes, overlapped)` on a pool thread (L134).
/// `Flags` must be 0.
///
/// # Safety
///
/// `Function` is sound to call on any pool thread with the requests' `OVERLAPPED`s.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_PARAMETER` (87) for a `NULL` handle or function, a
/// synchronous file, or a file already bound (L134); `ERROR_INVALID_HANDLE` (6) for a handle
/// that is not a file.
///
/// # Win32
///
/// `BindIoCompletionCallback`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn BindIoCompletionCallback(
    FileHandle: HANDLE,
    Function: LPOVERLAPPED_COMPLETION_ROUTINE,
    Flags: ULONG,
) -> BOOL {
    call(FALSE, || bind_io(FileHandle, Function, Flags))
}

fn bind_io(file: HANDLE, function: LPOVERLAPPED_COMPLETION_ROUTINE, flags: ULONG) -> Result<BOOL> {
    if file.is_null() {
        return Err(Error(ERROR_INVALID_PARAMETER));
    }
    let function = function.ok_or(Error(ERROR_INVALID_PARAMETER))?;
    let _ = flags;
    let file = handle::object(file)?.into_file()?;
    let io = Io::with_binding(
        &Environment::default(),
        |port, key| file.bind(port, key),
        move |_, packet| {
            let overlapped = core::ptr::with_exposed_provenance_mut(packet.token);
            let (error, bytes) = match packet.status {
                Ok(bytes) => (0, bytes),
                Err(error) => (error.win32_error(), 0),
            };
            // SAFETY: `BindIoCompletionCallback`'s caller vouched for the call.
            unsafe { function(error as DWORD, bytes as DWORD, overlapped) };
        },
    )?;
    io.run_every_completion();
    // Completions may come at any time: the default pool keeps a thread for them.
    ThreadPool::process_default()
        .set_thread_minimum(1)
        .map_err(|_| Error(crate::consts::ERROR_NOT_ENOUGH_MEMORY))?;
    BOUND
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(io);
    Ok(TRUE)
}

/// Deletes a timer queue and its timers, returning at once: [`DeleteTimerQueueEx`] with no
/// completion event.
///
/// # Safety
///
/// As [`DeleteTimerQueueEx`].
///
/// # Errors
///
/// As [`DeleteTimerQueueEx`]: `FALSE` with `ERROR_IO_PENDING` (997) if callbacks are
/// pending or running (the queue is deleted all the same).
///
/// # Win32
///
/// `DeleteTimerQueue`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn DeleteTimerQueue(TimerQueue: HANDLE) -> BOOL {
    // SAFETY: the caller's guarantee.
    unsafe { DeleteTimerQueueEx(TimerQueue, core::ptr::null_mut()) }
}
