//! `threadpoolapiset.h`: the thread pool — pools, cleanup groups, work, timer, wait and
//! I/O objects, and what a running callback may ask for — over [`alertable_pool`].
//!
//! The objects are not handles: C holds pointers to them (`PTP_WORK`, …), as on Windows,
//! where using one after closing it is undefined. Each is a heap `Holder` of the Rust
//! object; its address is what the callbacks are given back. A member of a cleanup group is
//! recorded in the group, which frees it when `CloseThreadpoolCleanupGroupMembers` closes
//! it; closing it by hand first takes it out of the group (G1 of `alertable_pool`).
//!
//! Callbacks get a `PTP_CALLBACK_INSTANCE` that points to the running callback's
//! [`CallbackInstance`], valid until the callback returns, as on Windows.
//!
//! Due times and timeouts are `FILETIME`s: negative for a relative time in 100 ns units,
//! positive for an absolute UTC time, zero for "now".

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime};

use alertable::DueTime;
use alertable_pool::{
    CallbackInstance, CleanupGroup, Environment, Io, ThreadPool, Timer, Wait, WaitResult, Work,
    try_submit,
};

use crate::consts::{
    ERROR_INVALID_PARAMETER, EVENT_MODIFY_STATE, FALSE, MUTEX_MODIFY_STATE, SEMAPHORE_MODIFY_STATE,
    SYNCHRONIZE, TRUE, WAIT_ABANDONED_0, WAIT_OBJECT_0, WAIT_TIMEOUT,
};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::filetime::system_time_from_filetime;
use crate::handle::{self, Object};
use crate::synchapi::lock::LeaveCriticalSection;
use crate::types::{
    BOOL, DWORD, HANDLE, HMODULE, LPCRITICAL_SECTION, PFILETIME, PTP_CALLBACK_ENVIRON,
    PTP_CALLBACK_INSTANCE, PTP_CLEANUP_GROUP, PTP_CLEANUP_GROUP_CANCEL_CALLBACK, PTP_IO, PTP_POOL,
    PTP_SIMPLE_CALLBACK, PTP_TIMER, PTP_TIMER_CALLBACK, PTP_WAIT, PTP_WAIT_CALLBACK,
    PTP_WIN32_IO_CALLBACK, PTP_WORK, PTP_WORK_CALLBACK, PVOID, ULONG, ULONG_PTR,
};

// ---------------------------------------------------------------------------------------
// The objects behind the pointers.

/// A C context pointer, handed back unread to the C callbacks.
#[derive(Clone, Copy)]
struct Context(PVOID);

// SAFETY: the pointer is only passed back, unread, to the caller's callbacks, on pool
// threads, which is what the C caller arranged for by giving it to the pool.
unsafe impl Send for Context {}
// SAFETY: as above; it is never dereferenced here.
unsafe impl Sync for Context {}

/// What a `PTP_POOL` points to.
struct PoolObject {
    pool: ThreadPool,
}

/// What a `PTP_CLEANUP_GROUP` points to (an `Arc`, shared with its members' holders).
struct GroupObject {
    group: CleanupGroup,
    members: Mutex<Vec<MemberRecord>>,
}

/// A C object created in a cleanup group, freed by the group.
struct MemberRecord {
    address: usize,
    context: Context,
    cancel: PTP_CLEANUP_GROUP_CANCEL_CALLBACK,
    cancel_pending: unsafe fn(usize) -> usize,
    free: unsafe fn(usize),
}

/// A pool object whose pending callbacks a cleanup group can drop.
trait CancelPending {
    /// Drops the pending callbacks; how many there were.
    fn cancel_pending(&self) -> usize;
}

impl CancelPending for Work {
    fn cancel_pending(&self) -> usize {
        Work::cancel_pending(self)
    }
}

impl CancelPending for Timer {
    fn cancel_pending(&self) -> usize {
        Timer::cancel_pending(self)
    }
}

impl CancelPending for Wait {
    fn cancel_pending(&self) -> usize {
        Wait::cancel_pending(self)
    }
}

impl CancelPending for Io {
    fn cancel_pending(&self) -> usize {
        Io::cancel_pending(self)
    }
}

/// Drops the pending callbacks of the holder at `address`.
///
/// # Safety
///
/// `address` is a live `Holder<T>` from `create`.
unsafe fn cancel_holder<T: CancelPending>(address: usize) -> usize {
    // SAFETY: the caller's guarantee.
    let holder = unsafe { &*core::ptr::with_exposed_provenance::<Holder<T>>(address) };
    holder.get().cancel_pending()
}

impl GroupObject {
    /// Takes the member at `address` out of the group; false if it is not in it.
    fn forget(&self, address: usize) -> bool {
        let mut members = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        match members.iter().position(|m| m.address == address) {
            Some(at) => {
                members.swap_remove(at);
                true
            }
            None => false,
        }
    }
}

/// What a `PTP_WORK`, `PTP_TIMER`, `PTP_WAIT` or `PTP_IO` points to.
struct Holder<T> {
    object: OnceLock<T>,
    group: Option<Arc<GroupObject>>,
}

impl<T> Holder<T> {
    fn get(&self) -> &T {
        self.object
            .get()
            .expect("a holder is filled before it is handed out")
    }
}

/// Frees the holder at `address`.
///
/// # Safety
///
/// `address` came from `Box::into_raw` of a `Holder<T>` and is freed once.
unsafe fn free_holder<T>(address: usize) {
    // SAFETY: the caller's guarantee.
    drop(unsafe { Box::from_raw(core::ptr::with_exposed_provenance_mut::<Holder<T>>(address)) });
}

/// The environment as the pool crate sees it, and the group's C side.
struct Env {
    environment: Environment,
    group: Option<(Arc<GroupObject>, PTP_CLEANUP_GROUP_CANCEL_CALLBACK)>,
}

/// Reads a callback environment (`NULL`: the default pool, no group).
///
/// # Safety
///
/// `env` is `NULL` or an environment `InitializeThreadpoolEnvironment` set up, whose pool
/// and group pointers are live.
unsafe fn read_env(env: PTP_CALLBACK_ENVIRON) -> Env {
    // SAFETY: the caller's guarantee.
    let Some(env) = (unsafe { env.as_ref() }) else {
        return Env {
            environment: Environment::default(),
            group: None,
        };
    };
    // SAFETY: a non-null pool pointer is a live `PoolObject` (the caller's guarantee).
    let pool = match unsafe { env.Pool.cast::<PoolObject>().as_ref() } {
        Some(pool) => pool.pool.clone(),
        None => ThreadPool::process_default().clone(),
    };
    let mut environment = Environment::new(&pool);
    // SAFETY: a non-null group pointer is a live `GroupObject` from `Arc::into_raw`.
    let group = unsafe { group_arc(env.CleanupGroup) };
    if let Some(group) = &group {
        environment = environment.with_cleanup_group(&group.group);
    }
    Env {
        environment,
        group: group.map(|g| (g, env.CleanupGroupCancelCallback)),
    }
}

/// A new reference to the group behind `group`, if not `NULL`.
///
/// # Safety
///
/// `group` is `NULL` or a live pointer from `CreateThreadpoolCleanupGroup`.
unsafe fn group_arc(group: PTP_CLEANUP_GROUP) -> Option<Arc<GroupObject>> {
    if group.is_null() {
        return None;
    }
    let group = group.cast::<GroupObject>().cast_const();
    // SAFETY: the pointer came from `Arc::into_raw` and the caller holds that reference.
    unsafe {
        Arc::increment_strong_count(group);
        Some(Arc::from_raw(group))
    }
}

/// Makes a holder, fills it with what `build` makes for its address, and records it in the
/// environment's group.
///
/// # Safety
///
/// As [`read_env`].
unsafe fn create<T: CancelPending + 'static>(
    env: PTP_CALLBACK_ENVIRON,
    context: PVOID,
    build: impl FnOnce(&Environment, usize) -> Result<T>,
) -> Result<*mut Holder<T>> {
    // SAFETY: the caller's guarantee.
    let env = unsafe { read_env(env) };
    let holder = Box::into_raw(Box::new(Holder {
        object: OnceLock::new(),
        group: env.group.as_ref().map(|(g, _)| g.clone()),
    }));
    let address = holder.expose_provenance();
    match build(&env.environment, address) {
        Ok(object) => {
            // SAFETY: just allocated, not yet shared.
            let _ = unsafe { &*holder }.object.set(object);
        }
        Err(e) => {
            // SAFETY: just allocated, never handed out.
            drop(unsafe { Box::from_raw(holder) });
            return Err(e);
        }
    }
    if let Some((group, cancel)) = env.group {
        group
            .members
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(MemberRecord {
                address,
                context: Context(context),
                cancel,
                cancel_pending: cancel_holder::<T>,
                free: free_holder::<T>,
            });
    }
    Ok(holder)
}

/// Closes a holder: out of its group, then freed. One the group closed already is left
/// alone (using it was undefined).
///
/// # Safety
///
/// `holder` is a live pointer from the matching `CreateThreadpool…`.
unsafe fn close<T>(holder: *mut Holder<T>) {
    // SAFETY: the caller's guarantee.
    let Some(h) = (unsafe { holder.as_ref() }) else {
        return;
    };
    if let Some(group) = &h.group {
        if !group.forget(holder.expose_provenance()) {
            return;
        }
    }
    // SAFETY: from `Box::into_raw` in `create`, freed once (it was still in its group, or
    // had none).
    drop(unsafe { Box::from_raw(holder) });
}

/// The holder behind a C object pointer.
///
/// # Safety
///
/// `object` is a live pointer from the matching `CreateThreadpool…`.
unsafe fn holder<'a, T, P>(object: *mut P) -> Option<&'a Holder<T>> {
    // SAFETY: the caller's guarantee.
    unsafe { object.cast::<Holder<T>>().as_ref() }
}

/// The C view of a running callback's instance.
fn instance_ptr(instance: &CallbackInstance<'_>) -> PTP_CALLBACK_INSTANCE {
    core::ptr::from_ref(instance).cast_mut().cast()
}

/// The running callback behind `pci`.
///
/// # Safety
///
/// `pci` is `NULL` or the instance of a callback running on the calling thread.
unsafe fn instance<'a>(pci: PTP_CALLBACK_INSTANCE) -> Option<&'a CallbackInstance<'a>> {
    // SAFETY: the caller's guarantee: it points to a live `CallbackInstance`.
    unsafe { pci.cast::<CallbackInstance<'a>>().as_ref() }
}

/// A `FILETIME` due time: negative relative (100 ns units), positive absolute, 0 now.
fn due_of(quad: i64) -> DueTime {
    if quad < 0 {
        DueTime::After(Duration::from_nanos(
            quad.unsigned_abs().saturating_mul(100),
        ))
    } else if quad == 0 {
        DueTime::After(Duration::ZERO)
    } else {
        DueTime::At(system_time_from_filetime(quad.unsigned_abs()))
    }
}

/// Reads a `FILETIME` as a signed 64-bit count.
///
/// # Safety
///
/// `time` is non-null and readable.
unsafe fn quad_of(time: PFILETIME) -> i64 {
    // SAFETY: the caller's guarantee.
    let time = unsafe { time.read() };
    ((u64::from(time.dwHighDateTime) << 32) | u64::from(time.dwLowDateTime)) as i64
}

/// A timeout from a `FILETIME` pointer: `NULL` never, else until the due time.
///
/// # Safety
///
/// `time` is `NULL` or readable.
unsafe fn timeout_of(time: PFILETIME) -> Option<Duration> {
    if time.is_null() {
        return None;
    }
    // SAFETY: the caller's guarantee.
    Some(match due_of(unsafe { quad_of(time) }) {
        DueTime::After(after) => after,
        DueTime::At(at) => at
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    })
}

// ---------------------------------------------------------------------------------------
// Pools.

/// Creates a thread pool: no threads until callbacks come, at most 512.
///
/// # Errors
///
/// None on Linux; `NULL` is never returned.
///
/// # Win32
///
/// `CreateThreadpool`; `reserved` must be `NULL` and is ignored.
#[unsafe(no_mangle)]
pub extern "C" fn CreateThreadpool(reserved: PVOID) -> PTP_POOL {
    let _ = reserved;
    call(core::ptr::null_mut(), || {
        Ok(Box::into_raw(Box::new(PoolObject {
            pool: ThreadPool::new(),
        }))
        .cast())
    })
}

/// Sets the most threads the pool may have (lowering the minimum to match).
///
/// # Safety
///
/// `ptpp` is a live pool from [`CreateThreadpool`].
///
/// # Win32
///
/// `SetThreadpoolThreadMaximum`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetThreadpoolThreadMaximum(ptpp: PTP_POOL, cthrdMost: DWORD) {
    call((), || {
        // SAFETY: the caller's guarantee.
        if let Some(pool) = unsafe { ptpp.cast::<PoolObject>().as_ref() } {
            pool.pool.set_thread_maximum(cthrdMost);
        }
        Ok(())
    });
}

/// Sets the least threads the pool keeps, starting them now.
///
/// # Safety
///
/// `ptpp` is a live pool from [`CreateThreadpool`].
///
/// # Errors
///
/// `FALSE` with `ERROR_NOT_ENOUGH_MEMORY` (8) if a thread could not be started, or
/// `ERROR_INVALID_PARAMETER` (87) for a `NULL` pool.
///
/// # Win32
///
/// `SetThreadpoolThreadMinimum`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetThreadpoolThreadMinimum(ptpp: PTP_POOL, cthrdMic: DWORD) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller's guarantee.
        let pool =
            unsafe { ptpp.cast::<PoolObject>().as_ref() }.ok_or(Error(ERROR_INVALID_PARAMETER))?;
        pool.pool
            .set_thread_minimum(cthrdMic)
            .map_err(|_| Error(crate::consts::ERROR_NOT_ENOUGH_MEMORY))?;
        Ok(TRUE)
    })
}

/// Closes the pool: its threads end once every object of it is closed and its callbacks
/// have run.
///
/// # Safety
///
/// `ptpp` is a live pool from [`CreateThreadpool`], not used again.
///
/// # Win32
///
/// `CloseThreadpool`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CloseThreadpool(ptpp: PTP_POOL) {
    call((), || {
        if !ptpp.is_null() {
            // SAFETY: from `Box::into_raw` in `CreateThreadpool`, freed once.
            drop(unsafe { Box::from_raw(ptpp.cast::<PoolObject>()) });
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------
// Cleanup groups.

/// Creates a cleanup group.
///
/// # Errors
///
/// None on Linux; `NULL` is never returned.
///
/// # Win32
///
/// `CreateThreadpoolCleanupGroup`.
#[unsafe(no_mangle)]
pub extern "C" fn CreateThreadpoolCleanupGroup() -> PTP_CLEANUP_GROUP {
    call(core::ptr::null_mut(), || {
        let group = Arc::new(GroupObject {
            group: CleanupGroup::new(),
            members: Mutex::new(Vec::new()),
        });
        Ok(Arc::into_raw(group).cast_mut().cast())
    })
}

/// Closes every member of the group: with `fCancelPendingCallbacks`, callbacks that have
/// not started are cancelled (and the environment's cancel callback, if any, is called once
/// for each member that had any, with `(its context, pvCleanupContext)`); then waits for the running ones
/// (and, without cancelling, the pending ones). The members are freed: they must not be
/// used or closed afterwards.
///
/// # Safety
///
/// `ptpcg` is a live group from [`CreateThreadpoolCleanupGroup`]; not called from a
/// member's callback.
///
/// # Win32
///
/// `CloseThreadpoolCleanupGroupMembers`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CloseThreadpoolCleanupGroupMembers(
    ptpcg: PTP_CLEANUP_GROUP,
    fCancelPendingCallbacks: BOOL,
    pvCleanupContext: PVOID,
) {
    call((), || {
        // SAFETY: the caller's guarantee.
        let Some(group) = (unsafe { group_arc(ptpcg) }) else {
            return Ok(());
        };
        let cancel = fCancelPendingCallbacks != 0;
        let members =
            std::mem::take(&mut *group.members.lock().unwrap_or_else(PoisonError::into_inner));
        if cancel {
            // Each member that lost pending callbacks is told, once.
            for member in &members {
                // SAFETY: recorded by `create`, still in the group: alive.
                let cancelled = unsafe { (member.cancel_pending)(member.address) };
                if let (true, Some(callback)) = (cancelled > 0, member.cancel) {
                    // SAFETY: the environment's caller vouched for the callback.
                    unsafe { callback(member.context.0, pvCleanupContext) };
                }
            }
        }
        group.group.close_members(cancel);
        for member in members {
            // SAFETY: recorded by `create` and taken out of the group here: freed once.
            unsafe { (member.free)(member.address) };
        }
        Ok(())
    });
}

/// Frees the group (its members stay as they are).
///
/// # Safety
///
/// `ptpcg` is a live group from [`CreateThreadpoolCleanupGroup`], not used again.
///
/// # Win32
///
/// `CloseThreadpoolCleanupGroup`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CloseThreadpoolCleanupGroup(ptpcg: PTP_CLEANUP_GROUP) {
    call((), || {
        if !ptpcg.is_null() {
            // SAFETY: from `Arc::into_raw` in `CreateThreadpoolCleanupGroup`; this drops
            // the reference it stood for, once.
            drop(unsafe { Arc::from_raw(ptpcg.cast::<GroupObject>().cast_const()) });
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------
// Work.

/// Creates a work object whose callback is `pfnwk(instance, pv, work)`.
///
/// # Safety
///
/// `pcbe` is `NULL` or an initialized environment with live pool and group; `pfnwk` is
/// sound to call on any pool thread with `pv`.
///
/// # Errors
///
/// `NULL` with `ERROR_INVALID_PARAMETER` (87) for a `NULL` callback.
///
/// # Win32
///
/// `CreateThreadpoolWork`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateThreadpoolWork(
    pfnwk: PTP_WORK_CALLBACK,
    pv: PVOID,
    pcbe: PTP_CALLBACK_ENVIRON,
) -> PTP_WORK {
    call(core::ptr::null_mut(), || {
        let callback = pfnwk.ok_or(Error(ERROR_INVALID_PARAMETER))?;
        let context = Context(pv);
        let build = |env: &Environment, address: usize| {
            Ok(Work::new(env, move |instance| {
                let context = context;
                let work = core::ptr::with_exposed_provenance_mut(address);
                // SAFETY: the caller of `CreateThreadpoolWork` vouched for the call.
                unsafe { callback(instance_ptr(instance), context.0, work) };
            }))
        };
        // SAFETY: the caller's guarantee on `pcbe`.
        let holder = unsafe { create(pcbe, pv, build) }?;
        Ok(holder.cast())
    })
}

/// Queues one run of the work object's callback.
///
/// # Safety
///
/// `pwk` is a live work object.
///
/// # Win32
///
/// `SubmitThreadpoolWork`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SubmitThreadpoolWork(pwk: PTP_WORK) {
    call((), || {
        // SAFETY: the caller's guarantee.
        if let Some(holder) = unsafe { holder::<Work, _>(pwk) } {
            holder.get().submit();
        }
        Ok(())
    });
}

/// Waits for the work object's callbacks; with `fCancelPendingCallbacks`, the ones that
/// have not started are cancelled first.
///
/// # Safety
///
/// `pwk` is a live work object; not called from its own callback.
///
/// # Win32
///
/// `WaitForThreadpoolWorkCallbacks`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WaitForThreadpoolWorkCallbacks(
    pwk: PTP_WORK,
    fCancelPendingCallbacks: BOOL,
) {
    call((), || {
        // SAFETY: the caller's guarantee.
        if let Some(holder) = unsafe { holder::<Work, _>(pwk) } {
            holder
                .get()
                .wait_for_callbacks(fCancelPendingCallbacks != 0);
        }
        Ok(())
    });
}

/// Closes the work object; submitted callbacks still run.
///
/// # Safety
///
/// `pwk` is a live work object, not used again.
///
/// # Win32
///
/// `CloseThreadpoolWork`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CloseThreadpoolWork(pwk: PTP_WORK) {
    call((), || {
        // SAFETY: the caller's guarantee.
        unsafe { close(pwk.cast::<Holder<Work>>()) };
        Ok(())
    });
}

/// Runs `pfns(instance, pv)` once on the environment's pool.
///
/// # Safety
///
/// As [`CreateThreadpoolWork`], for `pfns`.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_PARAMETER` (87) for a `NULL` callback.
///
/// # Win32
///
/// `TrySubmitThreadpoolCallback`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn TrySubmitThreadpoolCallback(
    pfns: PTP_SIMPLE_CALLBACK,
    pv: PVOID,
    pcbe: PTP_CALLBACK_ENVIRON,
) -> BOOL {
    call(FALSE, || {
        let callback = pfns.ok_or(Error(ERROR_INVALID_PARAMETER))?;
        let context = Context(pv);
        // SAFETY: the caller's guarantee on `pcbe`.
        let env = unsafe { read_env(pcbe) };
        try_submit(&env.environment, move |instance| {
            let context = context;
            // SAFETY: the caller vouched for the call.
            unsafe { callback(instance_ptr(instance), context.0) };
        })
        .map_err(|()| Error(ERROR_INVALID_PARAMETER))?;
        Ok(TRUE)
    })
}

// ---------------------------------------------------------------------------------------
// Timers.

/// Creates a timer object whose callback is `pfnti(instance, pv, timer)`.
///
/// # Safety
///
/// As [`CreateThreadpoolWork`].
///
/// # Errors
///
/// `NULL` with `ERROR_INVALID_PARAMETER` (87) for a `NULL` callback.
///
/// # Win32
///
/// `CreateThreadpoolTimer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateThreadpoolTimer(
    pfnti: PTP_TIMER_CALLBACK,
    pv: PVOID,
    pcbe: PTP_CALLBACK_ENVIRON,
) -> PTP_TIMER {
    call(core::ptr::null_mut(), || {
        let callback = pfnti.ok_or(Error(ERROR_INVALID_PARAMETER))?;
        let context = Context(pv);
        let build = |env: &Environment, address: usize| {
            Ok(Timer::new(env, move |instance| {
                let context = context;
                let timer = core::ptr::with_exposed_provenance_mut(address);
                // SAFETY: the caller of `CreateThreadpoolTimer` vouched for the call.
                unsafe { callback(instance_ptr(instance), context.0, timer) };
            }))
        };
        // SAFETY: the caller's guarantee on `pcbe`.
        let holder = unsafe { create(pcbe, pv, build) }?;
        Ok(holder.cast())
    })
}

/// Sets the timer; returns whether it was set before.
///
/// # Safety
///
/// `pti` is a live timer; `pftDueTime` is `NULL` or readable.
unsafe fn set_timer(pti: PTP_TIMER, due: PFILETIME, period: DWORD) -> bool {
    // SAFETY: the caller's guarantee.
    let Some(holder) = (unsafe { holder::<Timer, _>(pti) }) else {
        return false;
    };
    let due = (!due.is_null()).then(|| {
        // SAFETY: non-null, readable per the caller.
        due_of(unsafe { quad_of(due) })
    });
    let period = (period > 0).then(|| Duration::from_millis(u64::from(period)));
    holder.get().set(due, period, Duration::ZERO)
}

/// Sets the timer to fire at `*pftDueTime` (negative: relative, 100 ns units; positive:
/// absolute UTC; zero: now), then every `msPeriod` milliseconds if non-zero; `NULL` stops
/// it (callbacks already queued still run). `msWindowLength` is accepted and not used.
///
/// # Safety
///
/// `pti` is a live timer; `pftDueTime` is `NULL` or readable.
///
/// # Win32
///
/// `SetThreadpoolTimer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetThreadpoolTimer(
    pti: PTP_TIMER,
    pftDueTime: PFILETIME,
    msPeriod: DWORD,
    msWindowLength: DWORD,
) {
    let _ = msWindowLength;
    call((), || {
        // SAFETY: the caller's guarantee.
        unsafe { set_timer(pti, pftDueTime, msPeriod) };
        Ok(())
    });
}

/// [`SetThreadpoolTimer`], returning whether the timer was set before.
///
/// # Safety
///
/// As [`SetThreadpoolTimer`].
///
/// # Win32
///
/// `SetThreadpoolTimerEx`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetThreadpoolTimerEx(
    pti: PTP_TIMER,
    pftDueTime: PFILETIME,
    msPeriod: DWORD,
    msWindowLength: DWORD,
) -> BOOL {
    let _ = msWindowLength;
    call(FALSE, || {
        // SAFETY: the caller's guarantee.
        Ok(BOOL::from(unsafe { set_timer(pti, pftDueTime, msPeriod) }))
    })
}

/// Whether the timer is set.
///
/// # Safety
///
/// `pti` is a live timer.
///
/// # Win32
///
/// `IsThreadpoolTimerSet`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn IsThreadpoolTimerSet(pti: PTP_TIMER) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller's guarantee.
        let set = unsafe { holder::<Timer, _>(pti) }.is_some_and(|h| h.get().is_set());
        Ok(BOOL::from(set))
    })
}

/// Waits for the timer's callbacks; with `fCancelPendingCallbacks`, queued ones that have
/// not started are cancelled first.
///
/// # Safety
///
/// `pti` is a live timer; not called from its own callback.
///
/// # Win32
///
/// `WaitForThreadpoolTimerCallbacks`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WaitForThreadpoolTimerCallbacks(
    pti: PTP_TIMER,
    fCancelPendingCallbacks: BOOL,
) {
    call((), || {
        // SAFETY: the caller's guarantee.
        if let Some(holder) = unsafe { holder::<Timer, _>(pti) } {
            holder
                .get()
                .wait_for_callbacks(fCancelPendingCallbacks != 0);
        }
        Ok(())
    });
}

/// Cancels and closes the timer; queued callbacks still run.
///
/// # Safety
///
/// `pti` is a live timer, not used again.
///
/// # Win32
///
/// `CloseThreadpoolTimer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CloseThreadpoolTimer(pti: PTP_TIMER) {
    call((), || {
        // SAFETY: the caller's guarantee.
        unsafe { close(pti.cast::<Holder<Timer>>()) };
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------
// Waits.

/// Creates a wait object whose callback is `pfnwa(instance, pv, wait, result)`.
///
/// # Safety
///
/// As [`CreateThreadpoolWork`].
///
/// # Errors
///
/// `NULL` with `ERROR_INVALID_PARAMETER` (87) for a `NULL` callback.
///
/// # Win32
///
/// `CreateThreadpoolWait`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateThreadpoolWait(
    pfnwa: PTP_WAIT_CALLBACK,
    pv: PVOID,
    pcbe: PTP_CALLBACK_ENVIRON,
) -> PTP_WAIT {
    call(core::ptr::null_mut(), || {
        let callback = pfnwa.ok_or(Error(ERROR_INVALID_PARAMETER))?;
        let context = Context(pv);
        let build = |env: &Environment, address: usize| {
            Ok(Wait::new(env, move |instance, result| {
                let context = context;
                let wait = core::ptr::with_exposed_provenance_mut(address);
                let result = match result {
                    WaitResult::Signaled => WAIT_OBJECT_0,
                    WaitResult::Abandoned => WAIT_ABANDONED_0,
                    WaitResult::TimedOut => WAIT_TIMEOUT,
                };
                // SAFETY: the caller of `CreateThreadpoolWait` vouched for the call.
                unsafe { callback(instance_ptr(instance), context.0, wait, result) };
            }))
        };
        // SAFETY: the caller's guarantee on `pcbe`.
        let holder = unsafe { create(pcbe, pv, build) }?;
        Ok(holder.cast())
    })
}

/// Sets the wait; returns whether it was set (and had not fired) before.
///
/// # Safety
///
/// `pwa` is a live wait; `timeout` is `NULL` or readable.
unsafe fn set_wait(pwa: PTP_WAIT, h: HANDLE, timeout: PFILETIME) -> bool {
    // SAFETY: the caller's guarantee.
    let Some(holder) = (unsafe { holder::<Wait, _>(pwa) }) else {
        return false;
    };
    let wait = holder.get();
    if h.is_null() {
        return wait.unset_was_set();
    }
    let Ok(object) = handle::with_access(h, SYNCHRONIZE, Ok) else {
        return wait.unset_was_set();
    };
    // SAFETY: the caller's guarantee.
    let timeout = unsafe { timeout_of(timeout) };
    let was_set = wait.unset_was_set();
    wait.set(Box::new(object), timeout);
    was_set
}

/// Sets the wait on `h`: the callback runs once, with `WAIT_OBJECT_0` (or
/// `WAIT_ABANDONED_0`) when `h` is signaled — acquiring it as a wait does — or with
/// `WAIT_TIMEOUT` when `*pftTimeout` passes (`NULL`: never; negative: relative, 100 ns
/// units; zero: check once). `h` `NULL` stops the wait. No thread waits meanwhile: the wait
/// is linked into the object's wait list.
///
/// # Safety
///
/// `pwa` is a live wait; `pftTimeout` is `NULL` or readable.
///
/// # Win32
///
/// `SetThreadpoolWait`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetThreadpoolWait(pwa: PTP_WAIT, h: HANDLE, pftTimeout: PFILETIME) {
    call((), || {
        // SAFETY: the caller's guarantee.
        unsafe { set_wait(pwa, h, pftTimeout) };
        Ok(())
    });
}

/// [`SetThreadpoolWait`], returning whether the wait was set before and had not fired.
///
/// # Safety
///
/// As [`SetThreadpoolWait`].
///
/// # Win32
///
/// `SetThreadpoolWaitEx`; `Reserved` is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetThreadpoolWaitEx(
    pwa: PTP_WAIT,
    h: HANDLE,
    pftTimeout: PFILETIME,
    Reserved: PVOID,
) -> BOOL {
    let _ = Reserved;
    call(FALSE, || {
        // SAFETY: the caller's guarantee.
        Ok(BOOL::from(unsafe { set_wait(pwa, h, pftTimeout) }))
    })
}

/// Waits for the wait object's callbacks; with `fCancelPendingCallbacks`, queued ones
/// that have not started are cancelled first.
///
/// # Safety
///
/// `pwa` is a live wait; not called from its own callback.
///
/// # Win32
///
/// `WaitForThreadpoolWaitCallbacks`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WaitForThreadpoolWaitCallbacks(
    pwa: PTP_WAIT,
    fCancelPendingCallbacks: BOOL,
) {
    call((), || {
        // SAFETY: the caller's guarantee.
        if let Some(holder) = unsafe { holder::<Wait, _>(pwa) } {
            holder
                .get()
                .wait_for_callbacks(fCancelPendingCallbacks != 0);
        }
        Ok(())
    });
}

/// Stops and closes the wait; queued callbacks still run.
///
/// # Safety
///
/// `pwa` is a live wait, not used again.
///
/// # Win32
///
/// `CloseThreadpoolWait`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CloseThreadpoolWait(pwa: PTP_WAIT) {
    call((), || {
        // SAFETY: the caller's guarantee.
        unsafe { close(pwa.cast::<Holder<Wait>>()) };
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------
// I/O.

/// Binds the overlapped file `fl` to the environment's pool: each request on it that was
/// announced with [`StartThreadpoolIo`] completes by running
/// `pfnio(instance, pv, overlapped, error, bytes, io)` on the pool (a cancelled one with
/// `ERROR_OPERATION_ABORTED`, L136).
///
/// # Safety
///
/// As [`CreateThreadpoolWork`].
///
/// # Errors
///
/// `NULL` with `ERROR_INVALID_HANDLE` (6) if `fl` is not a file, `ERROR_INVALID_PARAMETER`
/// (87) for a `NULL` callback, a synchronous file or one already bound.
///
/// # Win32
///
/// `CreateThreadpoolIo`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateThreadpoolIo(
    fl: HANDLE,
    pfnio: PTP_WIN32_IO_CALLBACK,
    pv: PVOID,
    pcbe: PTP_CALLBACK_ENVIRON,
) -> PTP_IO {
    call(core::ptr::null_mut(), || {
        let callback = pfnio.ok_or(Error(ERROR_INVALID_PARAMETER))?;
        let file = handle::object(fl)?.into_file()?;
        let context = Context(pv);
        let build = |env: &Environment, address: usize| {
            Io::with_binding(
                env,
                |port, key| file.bind(port, key),
                move |instance, packet| {
                    let context = context;
                    let io = core::ptr::with_exposed_provenance_mut(address);
                    let overlapped = core::ptr::with_exposed_provenance_mut(packet.token);
                    let (error, bytes) = match packet.status {
                        Ok(bytes) => (0, bytes),
                        Err(error) => (error.win32_error(), 0),
                    };
                    // SAFETY: the caller of `CreateThreadpoolIo` vouched for the call.
                    unsafe {
                        callback(
                            instance_ptr(instance),
                            context.0,
                            overlapped,
                            error as ULONG,
                            bytes as ULONG_PTR,
                            io,
                        );
                    }
                },
            )
        };
        // SAFETY: the caller's guarantee on `pcbe`.
        let holder = unsafe { create(pcbe, pv, build) }?;
        Ok(holder.cast())
    })
}

/// Announces one request about to be issued on the file.
///
/// # Safety
///
/// `pio` is a live I/O object.
///
/// # Win32
///
/// `StartThreadpoolIo`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn StartThreadpoolIo(pio: PTP_IO) {
    call((), || {
        // SAFETY: the caller's guarantee.
        if let Some(holder) = unsafe { holder::<Io, _>(pio) } {
            holder.get().start();
        }
        Ok(())
    });
}

/// Withdraws the announcement of a request whose issue failed.
///
/// # Safety
///
/// `pio` is a live I/O object.
///
/// # Win32
///
/// `CancelThreadpoolIo`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CancelThreadpoolIo(pio: PTP_IO) {
    call((), || {
        // SAFETY: the caller's guarantee.
        if let Some(holder) = unsafe { holder::<Io, _>(pio) } {
            holder.get().cancel();
        }
        Ok(())
    });
}

/// Waits for the running completion callbacks; with `fCancelPendingCallbacks`, announced
/// completions that have not run are dropped first.
///
/// # Safety
///
/// `pio` is a live I/O object; not called from its own callback.
///
/// # Win32
///
/// `WaitForThreadpoolIoCallbacks`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WaitForThreadpoolIoCallbacks(pio: PTP_IO, fCancelPendingCallbacks: BOOL) {
    call((), || {
        // SAFETY: the caller's guarantee.
        if let Some(holder) = unsafe { holder::<Io, _>(pio) } {
            holder
                .get()
                .wait_for_callbacks(fCancelPendingCallbacks != 0);
        }
        Ok(())
    });
}

/// Closes the I/O object; the file stays bound to the pool's port.
///
/// # Safety
///
/// `pio` is a live I/O object, not used again.
///
/// # Win32
///
/// `CloseThreadpoolIo`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CloseThreadpoolIo(pio: PTP_IO) {
    call((), || {
        // SAFETY: the caller's guarantee.
        unsafe { close(pio.cast::<Holder<Io>>()) };
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------
// The running callback.

/// Sets the event `evt` when the callback returns.
///
/// # Safety
///
/// `pci` is the instance of the callback running on the calling thread.
///
/// # Win32
///
/// `SetEventWhenCallbackReturns`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetEventWhenCallbackReturns(pci: PTP_CALLBACK_INSTANCE, evt: HANDLE) {
    call((), || {
        let event = handle::with_access(evt, EVENT_MODIFY_STATE, Object::into_event)?;
        // SAFETY: the caller's guarantee.
        if let Some(instance) = unsafe { instance(pci) } {
            instance.set_event_when_callback_returns(&event);
        }
        Ok(())
    });
}

/// Releases the semaphore `sem` by `crel` when the callback returns.
///
/// # Safety
///
/// As [`SetEventWhenCallbackReturns`].
///
/// # Win32
///
/// `ReleaseSemaphoreWhenCallbackReturns`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ReleaseSemaphoreWhenCallbackReturns(
    pci: PTP_CALLBACK_INSTANCE,
    sem: HANDLE,
    crel: DWORD,
) {
    call((), || {
        let semaphore = handle::with_access(sem, SEMAPHORE_MODIFY_STATE, Object::into_semaphore)?;
        // SAFETY: the caller's guarantee.
        if let Some(instance) = unsafe { instance(pci) } {
            instance.release_semaphore_when_callback_returns(&semaphore, crel);
        }
        Ok(())
    });
}

/// Releases the mutex `mut_` (owned by the callback's thread) when the callback returns.
///
/// # Safety
///
/// As [`SetEventWhenCallbackReturns`].
///
/// # Win32
///
/// `ReleaseMutexWhenCallbackReturns`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ReleaseMutexWhenCallbackReturns(
    pci: PTP_CALLBACK_INSTANCE,
    r#mut: HANDLE,
) {
    call((), || {
        let mutex = handle::with_access(r#mut, MUTEX_MODIFY_STATE, Object::into_mutex)?;
        // SAFETY: the caller's guarantee.
        if let Some(instance) = unsafe { instance(pci) } {
            instance.release_mutex_when_callback_returns(&mutex);
        }
        Ok(())
    });
}

/// Leaves the critical section `pcs` (entered by the callback's thread) when the callback
/// returns.
///
/// # Safety
///
/// As [`SetEventWhenCallbackReturns`]; `pcs` is a critical section the callback's thread
/// has entered, alive until the callback returns.
///
/// # Win32
///
/// `LeaveCriticalSectionWhenCallbackReturns`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn LeaveCriticalSectionWhenCallbackReturns(
    pci: PTP_CALLBACK_INSTANCE,
    pcs: LPCRITICAL_SECTION,
) {
    call((), || {
        // SAFETY: the caller's guarantee.
        if let Some(instance) = unsafe { instance(pci) } {
            instance.when_callback_returns(move || {
                // SAFETY: the caller vouched that `pcs` is entered by this thread and
                // alive until the callback returns, which is now.
                unsafe { LeaveCriticalSection(pcs) };
            });
        }
        Ok(())
    });
}

/// Accepted and ignored: libraries are not unloaded here.
///
/// # Safety
///
/// As [`SetEventWhenCallbackReturns`].
///
/// # Win32
///
/// `FreeLibraryWhenCallbackReturns`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn FreeLibraryWhenCallbackReturns(
    pci: PTP_CALLBACK_INSTANCE,
    r#mod: HMODULE,
) {
    let _ = (pci, r#mod);
}

/// Tells the pool the callback may run long; `TRUE` if a thread is available for the
/// callbacks behind it (one is started if none is idle), `FALSE` at the pool's maximum.
///
/// # Safety
///
/// As [`SetEventWhenCallbackReturns`].
///
/// # Win32
///
/// `CallbackMayRunLong`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CallbackMayRunLong(pci: PTP_CALLBACK_INSTANCE) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller's guarantee.
        let available =
            unsafe { instance(pci) }.is_some_and(CallbackInstance::callback_may_run_long);
        Ok(BOOL::from(available))
    })
}

/// Ends the callback's association with its object: waits for the object's callbacks and
/// its cleanup group no longer wait for it.
///
/// # Safety
///
/// As [`SetEventWhenCallbackReturns`].
///
/// # Win32
///
/// `DisassociateCurrentThreadFromCallback`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn DisassociateCurrentThreadFromCallback(pci: PTP_CALLBACK_INSTANCE) {
    call((), || {
        // SAFETY: the caller's guarantee.
        if let Some(instance) = unsafe { instance(pci) } {
            instance.disassociate_current_thread();
        }
        Ok(())
    });
}
