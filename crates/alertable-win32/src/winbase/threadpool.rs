//! The callback environment functions `winbase.h` declares (inline functions in the SDK):
//! `InitializeThreadpoolEnvironment`, `SetThreadpoolCallbackPool`,
//! `SetThreadpoolCallbackCleanupGroup`, `SetThreadpoolCallbackRunsLong`,
//! `DestroyThreadpoolEnvironment`. They only fill in the caller's structure, which
//! `threadpoolapiset.rs` reads when an object is created with it.

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
