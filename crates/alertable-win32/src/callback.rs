//! Calling C callbacks from the library's waits, and the one unwind allowed through them.
//!
//! APCs (`QueueUserAPC`) and timer routines (`SetWaitableTimer`) are C functions that the
//! library calls on the target thread from inside an alertable wait. [`run`] counts how
//! deeply such callbacks are nested on the current thread, so that `ExitThread` knows
//! whether it may call `pthread_exit` at once or must first unwind to the wait that runs
//! the callback (`thread.rs`, X2 and X3). That unwind carries an [`ExitRequest`].

use std::cell::Cell;

use crate::types::DWORD;

thread_local! {
    /// How many library-run callbacks are active on this thread.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// The payload of the unwind `ExitThread` starts inside a callback (X3): the thread is
/// ending with this exit code, which is already recorded.
#[derive(Debug)]
pub(crate) struct ExitRequest {
    /// The exit code given to `ExitThread`.
    pub(crate) code: DWORD,
}

/// Leaves the callback on drop, also when it unwinds.
struct Active;

impl Drop for Active {
    fn drop(&mut self) {
        let _ = DEPTH.try_with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Runs `f`, a call into a C callback, counted as one callback level.
pub(crate) fn run<R>(f: impl FnOnce() -> R) -> R {
    let _ = DEPTH.try_with(|d| d.set(d.get() + 1));
    let _active = Active;
    f()
}

/// Whether a library-run callback is active on this thread.
pub(crate) fn in_callback() -> bool {
    DEPTH.try_with(Cell::get).unwrap_or(0) > 0
}
