//! `threadpoollegacyapiset.h`: the thread pool's older functions — `QueueUserWorkItem`,
//! `UnregisterWaitEx`, timer queues — over the process's default pool of
//! [`alertable_pool`]. `RegisterWaitForSingleObject`, `UnregisterWait` and
//! `BindIoCompletionCallback` are in `winbase/threadpool.rs`, where Windows declares them;
//! the registered waits they share live here.
//!
//! Wait handles and timer queues are not kernel handles on Windows either: they are
//! pointers to this module's objects, given only to these functions.
//!
//! - A registered wait is a pool [`Wait`] set again before each callback unless
//!   `WT_EXECUTEONLYONCE` was given, so it fires for every signal, as Windows' wait thread
//!   does — with no thread waiting.
//! - A timer-queue timer is a pool [`Timer`]; its queue keeps a list of its timers, so
//!   deleting the queue deletes them.
//! - Deleting (unregistering) while a callback is pending or running fails with
//!   `ERROR_IO_PENDING` — the deletion has still happened — unless the completion event is
//!   `INVALID_HANDLE_VALUE`, which waits for the callbacks; an event given is set once they
//!   are done (at once if none is outstanding, and the call succeeds).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use alertable::DueTime;
use alertable_pool::{Environment, Timer, Wait, WaitResult, try_submit};

use crate::consts::{
    ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_IO_PENDING, EVENT_MODIFY_STATE, FALSE,
    INFINITE, INVALID_HANDLE_VALUE, SYNCHRONIZE, TRUE, WT_EXECUTEONLYONCE,
};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::handle::{self, Object};
use crate::types::{
    BOOL, DWORD, HANDLE, LPTHREAD_START_ROUTINE, PHANDLE, PVOID, ULONG, WAITORTIMERCALLBACK,
};

/// A C parameter pointer, handed back unread to the C callbacks.
#[derive(Clone, Copy)]
struct Passed(PVOID);

// SAFETY: the pointer is only passed back, unread, to the caller's callback on pool threads,
// which is what the C caller arranged for.
unsafe impl Send for Passed {}
// SAFETY: as above.
unsafe impl Sync for Passed {}

/// What a completion event argument asks for.
enum Completion {
    /// `NULL`: return at once (`ERROR_IO_PENDING` if callbacks are outstanding).
    Return,
    /// `INVALID_HANDLE_VALUE`: wait for the callbacks.
    Wait,
    /// An event: set it once the callbacks are done.
    Signal(alertable::Event),
}

fn completion(event: HANDLE) -> Result<Completion> {
    if event.is_null() {
        Ok(Completion::Return)
    } else if event == INVALID_HANDLE_VALUE {
        Ok(Completion::Wait)
    } else {
        let event = handle::with_access(event, EVENT_MODIFY_STATE, Object::into_event)?;
        Ok(Completion::Signal(event))
    }
}

/// Finishes a deletion whose object is already stopped: as `completion` asks, given how to
/// tell whether its callbacks are done and how to wait for them.
fn finish_deletion(
    completion: Completion,
    done: impl Fn() -> bool,
    wait: impl FnOnce() + Send + 'static,
) -> Result<BOOL> {
    match completion {
        Completion::Return if done() => Ok(TRUE),
        Completion::Return => Err(Error(ERROR_IO_PENDING)),
        Completion::Wait => {
            wait();
            Ok(TRUE)
        }
        Completion::Signal(event) if done() => {
            event.set();
            Ok(TRUE)
        }
        Completion::Signal(event) => {
            // A pool thread waits for the callbacks (in one of the library's waits, so the
            // pool grows meanwhile) and then sets the event; the caller learns that it
            // must wait for it.
            try_submit(&Environment::default(), move |_| {
                wait();
                event.set();
            })
            .map_err(|()| Error(ERROR_INVALID_PARAMETER))?;
            Err(Error(ERROR_IO_PENDING))
        }
    }
}

/// A `Duration` from milliseconds, `INFINITE` being `None`.
fn millis(ms: ULONG) -> Option<Duration> {
    (ms != INFINITE).then(|| Duration::from_millis(u64::from(ms)))
}

// ---------------------------------------------------------------------------------------
// Registered waits (used by winbase.h's functions).

/// A wait registered with `RegisterWaitForSingleObject`.
pub(crate) struct RegisteredWait {
    wait: Arc<Wait>,
    /// Whether the wait is still registered. A callback re-arms the wait only under this
    /// lock and while it is `true`, and unregistering clears it and unsets the wait under
    /// the same lock, so no callback re-arms a wait after it was unregistered.
    active: Arc<Mutex<bool>>,
}

/// Registers a wait on `object`; the body of `RegisterWaitForSingleObject`.
///
/// # Safety
///
/// `callback(parameter, fired)` is sound to call on any pool thread.
pub(crate) unsafe fn register_wait(
    object: HANDLE,
    callback: WAITORTIMERCALLBACK,
    parameter: PVOID,
    milliseconds: ULONG,
    flags: ULONG,
) -> Result<HANDLE> {
    let callback = callback.ok_or(Error(ERROR_INVALID_PARAMETER))?;
    let target = handle::with_access(object, SYNCHRONIZE, Ok)?;
    let timeout = millis(milliseconds);
    let once = flags & WT_EXECUTEONLYONCE != 0;
    let parameter = Passed(parameter);
    let active = Arc::new(Mutex::new(true));
    let still = active.clone();
    let wait = Arc::new_cyclic(|me: &std::sync::Weak<Wait>| {
        let me = me.clone();
        let rearm_target = target.clone();
        Wait::new(&Environment::default(), move |_, result| {
            let parameter = parameter;
            if !once {
                // Re-armed before the callback runs, as Windows' wait thread waits again at
                // once: a signal during the callback is not missed.
                let active = still.lock().unwrap_or_else(PoisonError::into_inner);
                if let (true, Some(wait)) = (*active, me.upgrade()) {
                    wait.set(Box::new(rearm_target.clone()), timeout);
                }
            }
            let fired = u8::from(result == WaitResult::TimedOut);
            // SAFETY: `RegisterWaitForSingleObject`'s caller vouched for the call.
            unsafe { callback(parameter.0, fired) };
        })
    });
    wait.set(Box::new(target), timeout);
    Ok(Box::into_raw(Box::new(RegisteredWait { wait, active })).cast())
}

/// Unregisters a wait; the body of `UnregisterWait(Ex)`.
///
/// # Safety
///
/// `wait` came from [`register_wait`] and is not used again.
pub(crate) unsafe fn unregister_wait(wait: HANDLE, completion_event: HANDLE) -> Result<BOOL> {
    if wait.is_null() || wait == INVALID_HANDLE_VALUE {
        return Err(Error(ERROR_INVALID_HANDLE));
    }
    let completion = completion(completion_event)?;
    // SAFETY: from `Box::into_raw` in `register_wait`, freed once (the caller's guarantee).
    let registered = unsafe { Box::from_raw(wait.cast::<RegisteredWait>()) };
    let wait = registered.wait;
    {
        let mut active = registered
            .active
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *active = false;
        wait.unset();
    }
    let waited = wait.clone();
    finish_deletion(
        completion,
        || wait.callbacks_done(),
        move || waited.wait_for_callbacks(false),
    )
}

// ---------------------------------------------------------------------------------------
// Work items.

/// Queues `Function(Context)` to the process's default pool; its return value is
/// ignored. `Flags` (`WT_EXECUTE…`) are accepted: every pool thread waits alertably, and
/// the pool grows for callbacks that block.
///
/// # Safety
///
/// `Function(Context)` is sound to call on any pool thread.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_PARAMETER` (87) for a `NULL` function.
///
/// # Win32
///
/// `QueueUserWorkItem`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn QueueUserWorkItem(
    Function: LPTHREAD_START_ROUTINE,
    Context: PVOID,
    Flags: ULONG,
) -> BOOL {
    let _ = Flags;
    call(FALSE, || {
        let function = Function.ok_or(Error(ERROR_INVALID_PARAMETER))?;
        let context = Passed(Context);
        try_submit(&Environment::default(), move |_| {
            let context = context;
            // SAFETY: the caller vouched for the call.
            unsafe { function(context.0) };
        })
        .map_err(|()| Error(ERROR_INVALID_PARAMETER))?;
        Ok(TRUE)
    })
}

/// Unregisters a wait made by `RegisterWaitForSingleObject`. `CompletionEvent`:
/// `INVALID_HANDLE_VALUE` waits for its callbacks; an event is set once they are done;
/// `NULL` returns at once.
///
/// # Safety
///
/// `WaitHandle` came from `RegisterWaitForSingleObject` and is not used again.
///
/// # Errors
///
/// `FALSE` with `ERROR_IO_PENDING` (997) if `CompletionEvent` is not
/// `INVALID_HANDLE_VALUE` and callbacks are pending or running (the wait is unregistered
/// all the same); `ERROR_INVALID_HANDLE` (6)
/// for a `NULL` wait handle or a bad event.
///
/// # Win32
///
/// `UnregisterWaitEx`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn UnregisterWaitEx(WaitHandle: HANDLE, CompletionEvent: HANDLE) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller's guarantee.
        unsafe { unregister_wait(WaitHandle, CompletionEvent) }
    })
}

// ---------------------------------------------------------------------------------------
// Timer queues.

/// A timer queue: the timers made in it.
struct TimerQueue {
    timers: Mutex<Vec<usize>>,
}

/// A timer-queue timer.
struct QueueTimer {
    timer: Arc<Timer>,
    queue: Option<usize>,
}

/// The default timer queue (a `NULL` queue handle).
fn default_queue() -> &'static TimerQueue {
    static DEFAULT: TimerQueue = TimerQueue {
        timers: Mutex::new(Vec::new()),
    };
    &DEFAULT
}

/// The queue behind a handle (`NULL`: the default queue).
///
/// # Safety
///
/// `queue` is `NULL` or a live queue from `CreateTimerQueue`.
unsafe fn queue_of<'a>(queue: HANDLE) -> &'a TimerQueue {
    // SAFETY: the caller's guarantee.
    unsafe { queue.cast::<TimerQueue>().as_ref() }.unwrap_or_else(default_queue)
}

/// Creates a timer queue.
///
/// # Errors
///
/// None on Linux; `NULL` is never returned.
///
/// # Win32
///
/// `CreateTimerQueue`.
#[unsafe(no_mangle)]
pub extern "C" fn CreateTimerQueue() -> HANDLE {
    call(core::ptr::null_mut(), || {
        Ok(Box::into_raw(Box::new(TimerQueue {
            timers: Mutex::new(Vec::new()),
        }))
        .cast())
    })
}

/// Sets a timer: due in `due` ms, then every `period` ms if non-zero.
fn set_queue_timer(timer: &Timer, due: DWORD, period: DWORD) {
    let period = (period > 0).then(|| Duration::from_millis(u64::from(period)));
    timer.set(
        Some(DueTime::After(Duration::from_millis(u64::from(due)))),
        period,
        Duration::ZERO,
    );
}

/// Creates a timer in `TimerQueue` (`NULL`: the default queue) that calls
/// `Callback(Parameter, TRUE)` on a pool thread after `DueTime` milliseconds, then every
/// `Period` milliseconds if non-zero. `Flags` (`WT_EXECUTE…`) are accepted; callbacks run
/// on pool threads.
///
/// # Safety
///
/// `phNewTimer` is writable; `TimerQueue` is `NULL` or a live queue; `Callback(Parameter,
/// TRUE)` is sound to call on any pool thread.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_PARAMETER` (87) for a `NULL` callback or `phNewTimer`.
///
/// # Win32
///
/// `CreateTimerQueueTimer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateTimerQueueTimer(
    phNewTimer: PHANDLE,
    TimerQueue: HANDLE,
    Callback: WAITORTIMERCALLBACK,
    Parameter: PVOID,
    DueTime: DWORD,
    Period: DWORD,
    Flags: ULONG,
) -> BOOL {
    let _ = Flags;
    call(FALSE, || {
        let callback = Callback.ok_or(Error(ERROR_INVALID_PARAMETER))?;
        if phNewTimer.is_null() {
            return Err(Error(ERROR_INVALID_PARAMETER));
        }
        let parameter = Passed(Parameter);
        let timer = Arc::new(Timer::new(&Environment::default(), move |_| {
            let parameter = parameter;
            // SAFETY: `CreateTimerQueueTimer`'s caller vouched for the call.
            unsafe { callback(parameter.0, 1) };
        }));
        set_queue_timer(&timer, DueTime, Period);
        let queue_address = (!TimerQueue.is_null()).then(|| TimerQueue.expose_provenance());
        let handle = Box::into_raw(Box::new(QueueTimer {
            timer,
            queue: queue_address,
        }));
        // SAFETY: the caller's guarantee on `TimerQueue`.
        let queue = unsafe { queue_of(TimerQueue) };
        queue
            .timers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(handle.expose_provenance());
        // SAFETY: non-null (checked) and writable per the caller.
        unsafe { phNewTimer.write(handle.cast()) };
        Ok(TRUE)
    })
}

/// Sets the timer again: due in `DueTime` ms, then every `Period` ms if non-zero.
///
/// # Safety
///
/// `Timer` is a live timer from `CreateTimerQueueTimer`.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) for a `NULL` timer.
///
/// # Win32
///
/// `ChangeTimerQueueTimer`; `TimerQueue` is not needed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ChangeTimerQueueTimer(
    TimerQueue: HANDLE,
    Timer: HANDLE,
    DueTime: ULONG,
    Period: ULONG,
) -> BOOL {
    let _ = TimerQueue;
    call(FALSE, || {
        // SAFETY: the caller's guarantee.
        let timer =
            unsafe { Timer.cast::<QueueTimer>().as_ref() }.ok_or(Error(ERROR_INVALID_HANDLE))?;
        set_queue_timer(&timer.timer, DueTime, Period);
        Ok(TRUE)
    })
}

/// Deletes one timer (its queue entry already removed); see [`DeleteTimerQueueTimer`].
///
/// # Safety
///
/// `timer` is a live timer from `CreateTimerQueueTimer`, freed here.
unsafe fn delete_timer(timer: usize, completion: Completion) -> Result<BOOL> {
    // SAFETY: from `Box::into_raw` in `CreateTimerQueueTimer`, freed once.
    let timer =
        unsafe { Box::from_raw(core::ptr::with_exposed_provenance_mut::<QueueTimer>(timer)) };
    let timer = timer.timer;
    timer.set(None, None, Duration::ZERO);
    let waited = timer.clone();
    finish_deletion(
        completion,
        || timer.callbacks_done(),
        move || waited.wait_for_callbacks(false),
    )
}

/// Stops and deletes a timer. `CompletionEvent`: `INVALID_HANDLE_VALUE` waits for its
/// callbacks; an event is set once they are done; `NULL` returns at once.
///
/// # Safety
///
/// `TimerQueue` is `NULL` or the timer's live queue; `Timer` is a live timer, not used
/// again.
///
/// # Errors
///
/// `FALSE` with `ERROR_IO_PENDING` (997) if `CompletionEvent` is not `INVALID_HANDLE_VALUE`
/// and a callback is pending or running (the timer is deleted all the same); `ERROR_INVALID_PARAMETER` (87)
/// for a `NULL` timer; `ERROR_INVALID_HANDLE` (6) for a bad event.
///
/// # Win32
///
/// `DeleteTimerQueueTimer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn DeleteTimerQueueTimer(
    TimerQueue: HANDLE,
    Timer: HANDLE,
    CompletionEvent: HANDLE,
) -> BOOL {
    call(FALSE, || {
        if Timer.is_null() {
            return Err(Error(ERROR_INVALID_PARAMETER));
        }
        let completion = completion(CompletionEvent)?;
        let address = Timer.expose_provenance();
        // SAFETY: the caller's guarantee: a live timer.
        let queue = unsafe { Timer.cast::<QueueTimer>().as_ref() }
            .and_then(|t| t.queue)
            .map_or(TimerQueue, core::ptr::with_exposed_provenance_mut);
        // SAFETY: the timer's own queue (or the caller's), live per the caller.
        let queue = unsafe { queue_of(queue) };
        queue
            .timers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|&t| t != address);
        // SAFETY: live (the caller's guarantee) and out of its queue: freed once.
        unsafe { delete_timer(address, completion) }
    })
}

/// Deletes a timer queue and every timer in it. `CompletionEvent`: `INVALID_HANDLE_VALUE`
/// waits for their callbacks; an event is set once they are done; `NULL` returns at once.
///
/// # Safety
///
/// `TimerQueue` is a live queue from [`CreateTimerQueue`], not used again, nor its timers.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) for a `NULL` queue or a bad event;
/// `ERROR_IO_PENDING` (997) if `CompletionEvent` is not `INVALID_HANDLE_VALUE` and
/// callbacks are pending or running (the queue is deleted all the same).
///
/// # Win32
///
/// `DeleteTimerQueueEx`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn DeleteTimerQueueEx(TimerQueue: HANDLE, CompletionEvent: HANDLE) -> BOOL {
    call(FALSE, || {
        if TimerQueue.is_null() {
            return Err(Error(ERROR_INVALID_HANDLE));
        }
        let completion = completion(CompletionEvent)?;
        // SAFETY: from `Box::into_raw` in `CreateTimerQueue`, freed once.
        let queue = unsafe { Box::from_raw(TimerQueue.cast::<self::TimerQueue>()) };
        let timers =
            std::mem::take(&mut *queue.timers.lock().unwrap_or_else(PoisonError::into_inner));
        let mut stopped = Vec::new();
        for timer in timers {
            // SAFETY: each is a live timer of this queue, freed once here.
            let timer = unsafe {
                Box::from_raw(core::ptr::with_exposed_provenance_mut::<QueueTimer>(timer))
            };
            timer.timer.set(None, None, Duration::ZERO);
            stopped.push(timer.timer);
        }
        let waited = stopped.clone();
        finish_deletion(
            completion,
            || stopped.iter().all(|t| t.callbacks_done()),
            move || waited.iter().for_each(|t| t.wait_for_callbacks(false)),
        )
    })
}
