//! Suspension: a thread's suspend count, its start gate, and stopping it while it runs.
//!
//! One word per thread holds the suspend count and three flags:
//!
//! ```text
//!  31          11   10        9            8         7       0
//! +--------------+---------+-------------+---------+----------+
//! |   (unused)   | EXITING | NOT_STARTED | STOPPED |  count   |
//! +--------------+---------+-------------+---------+----------+
//! ```
//!
//! | part          | meaning                                           | set by / cleared by           |
//! |---------------|---------------------------------------------------|-------------------------------|
//! | count         | the suspend count, 0..=127                        | `suspend` (+1) / `resume` (−1) |
//! | `STOPPED`     | the thread is held in `stop_here`, running nothing else | the thread itself, both ways |
//! | `NOT_STARTED` | the thread has not passed its start gate          | creation / the thread at its gate |
//! | `EXITING`     | the thread has begun to exit; it can no longer be suspended | the thread itself, once   |
//!
//! A thread that has started is stopped by a signal (`sys::send_suspend_signal`): its
//! handler, [`on_signal`], finds the thread's own word through a thread-local pointer and
//! calls [`SuspendState::stop_here`], which sets `STOPPED` (the acknowledgement a suspender
//! waits for), sleeps on the word while the count is non-zero, and clears `STOPPED` as it
//! leaves. A thread suspending itself calls `stop_here` directly.
//!
//! Invariants:
//! - (H1) The count changes only by compare-and-swap, by one, within 0..=127, and never
//!   once `EXITING` is set; `NOT_STARTED` and `EXITING` are each cleared or set at most once.
//! - (H2) A thread passes its start gate only by clearing `NOT_STARTED` with a CAS that
//!   expects the count to be 0: while the count is non-zero it stays at the gate, so a
//!   suspension before the start adds to the start count (one count, as on Windows), and
//!   no signal is needed for it.
//! - (H3) `STOPPED` is set only while the count is non-zero and cleared only by a CAS that
//!   sees the count at 0. So a suspender that sees `STOPPED` after its own increment knows
//!   the thread is held and stays held until the count returns to 0; a suspender that
//!   sees the count at 0 knows its suspension has been undone by resumes.
//! - (H4) `EXITING` is set only by a CAS that sees the count at 0: a suspension that won
//!   the race with the thread's exit is honoured (the exiting thread stops) before it
//!   exits. After `EXITING`, no suspender sends a signal for this thread.
//! - (H5) The thread-local target pointer is set, on the thread itself, before the thread's
//!   handle can see it started (before `NOT_STARTED` is cleared, or before an adopted
//!   thread's handle exists), and cleared, on the thread itself, after `EXITING` is set and
//!   before the thread's shared state can be freed. So the handler dereferences it only
//!   while the thread's own reference keeps the word alive. A signal that arrives when the
//!   pointer is null (a late signal, or a thread id reused by another thread of this
//!   process) does nothing.
//! - (H6) Inside a no-stop region (the dispatcher lock), the handler only records that a
//!   stop is pending; the thread stops when it leaves the outermost region. No thread is
//!   ever stopped holding the library's own lock.
//!
//! Ordering: the count changes are `AcqRel`, and the thread's loads in `stop_here` are
//! `Acquire`, so what a resumer wrote before `resume` is visible to the resumed thread;
//! setting `STOPPED` is a `Release` CAS and the suspender's load `Acquire`, so what the
//! thread wrote before it stopped (a counter it was incrementing) is visible, and final,
//! to the suspender once `suspend` returns.
//!
//! The signal handler uses only atomics and raw futex calls (async-signal-safe): no
//! allocation, no lock, no thread-local with a destructor.

use crate::sync::{AtomicU32, Ordering};
use crate::sys;

/// The largest suspend count, as Windows' `MAXIMUM_SUSPEND_COUNT`.
pub(crate) const MAX_SUSPEND_COUNT: u32 = 127;

const COUNT: u32 = 0xff;
const STOPPED: u32 = 1 << 8;
const NOT_STARTED: u32 = 1 << 9;
const EXITING: u32 = 1 << 10;

/// Why a suspension was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The thread has begun to exit.
    Exiting,
    /// The count is already [`MAX_SUSPEND_COUNT`].
    CountExceeded,
}

/// One thread's suspend count and flags (see the module documentation).
#[derive(Debug)]
pub(crate) struct SuspendState {
    word: AtomicU32,
}

impl SuspendState {
    /// The state of a thread that has not started, with suspend count `count` (0 or 1).
    pub(crate) fn not_started(count: u32) -> Self {
        Self {
            word: AtomicU32::new(NOT_STARTED | count),
        }
    }

    /// The state of a thread that is already running (adopted by the library).
    pub(crate) fn running() -> Self {
        Self {
            word: AtomicU32::new(0),
        }
    }

    /// Raises the suspend count and returns its previous value; once the call returns, the
    /// thread runs nothing but its stop (or has not started yet).
    ///
    /// `tid` is the thread's OS id, read only if a signal is to be sent. On the calling
    /// thread's own state, this stops the caller until another thread resumes it.
    pub(crate) fn suspend(&self, tid: impl FnOnce() -> u32) -> Result<u32, Refused> {
        let mut seen = self.word.load(Ordering::Acquire);
        loop {
            if seen & EXITING != 0 {
                return Err(Refused::Exiting);
            }
            if seen & COUNT >= MAX_SUSPEND_COUNT {
                return Err(Refused::CountExceeded);
            }
            // (H1)
            match self.word.compare_exchange_weak(
                seen,
                seen + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(now) => seen = now,
            }
        }
        let previous = seen & COUNT;
        if seen & NOT_STARTED != 0 {
            // (H2): the gate holds it.
            return Ok(previous);
        }
        if target::is_current(self) {
            self.stop_here();
            return Ok(previous);
        }
        if previous == 0 {
            sys::install_suspend_handler(on_signal);
            // If the thread is gone, it exited after a resume undid this suspension (H4):
            // the wait below then sees the count at 0.
            let _ = sys::send_suspend_signal(tid());
        }
        // Wait for the acknowledgement (H3), also when another suspender sent the signal.
        loop {
            let now = self.word.load(Ordering::Acquire);
            if now & STOPPED != 0 || now & COUNT == 0 {
                return Ok(previous);
            }
            sys::futex_wait(&self.word, now, None);
        }
    }

    /// Lowers the suspend count, if it is not 0, and returns its previous value; the thread
    /// runs again (or starts) when the count reaches 0.
    pub(crate) fn resume(&self) -> u32 {
        let mut seen = self.word.load(Ordering::Acquire);
        loop {
            if seen & COUNT == 0 {
                return 0;
            }
            // (H1)
            match self.word.compare_exchange_weak(
                seen,
                seen - 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(now) => seen = now,
            }
        }
        if seen & COUNT == 1 {
            // The gate, the stopped thread, and suspenders waiting for an acknowledgement.
            sys::futex_wake(&self.word, u32::MAX);
        }
        seen & COUNT
    }

    /// On the new thread: registers the thread as the target of its suspend signal (H5),
    /// then blocks at the start gate until the suspend count is 0 and passes it (H2).
    pub(crate) fn start(&self) {
        target::register(self);
        loop {
            let seen = self.word.load(Ordering::Acquire);
            if seen & NOT_STARTED == 0 {
                return;
            }
            if seen & COUNT != 0 {
                sys::futex_wait(&self.word, seen, None);
                continue;
            }
            if self
                .word
                .compare_exchange(
                    seen,
                    seen & !NOT_STARTED,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
            {
                return;
            }
        }
    }

    /// On an adopted thread, right after its state is made: registers it as the target of
    /// its suspend signal (H5).
    pub(crate) fn adopt(&self) {
        target::register(self);
    }

    /// On the exiting thread itself: waits out a suspension under way, then marks the
    /// thread exiting (H4) and withdraws it as a signal target (H5). Idempotent.
    pub(crate) fn exit(&self) {
        loop {
            let seen = self.word.load(Ordering::Acquire);
            if seen & EXITING != 0 {
                break;
            }
            if seen & COUNT != 0 {
                self.stop_here();
                continue;
            }
            if self
                .word
                .compare_exchange(seen, seen | EXITING, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                break;
            }
        }
        target::unregister(self);
    }

    /// On the thread itself (in the signal handler, or a thread suspending itself): holds
    /// the thread while the suspend count is non-zero, with `STOPPED` set (H3).
    ///
    /// Async-signal-safe: atomics and futex calls only.
    fn stop_here(&self) {
        loop {
            let seen = self.word.load(Ordering::Acquire);
            if seen & COUNT == 0 {
                if seen & STOPPED == 0 {
                    return;
                }
                // (H3): cleared only with the count seen at 0. Nobody waits for this.
                let cleared = seen & !STOPPED;
                if self
                    .word
                    .compare_exchange(seen, cleared, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    return;
                }
                continue;
            }
            let stopped = seen | STOPPED;
            if seen & STOPPED == 0 {
                if self
                    .word
                    .compare_exchange(seen, stopped, Ordering::AcqRel, Ordering::Acquire)
                    .is_err()
                {
                    continue;
                }
                // The acknowledgement suspenders wait for.
                sys::futex_wake(&self.word, u32::MAX);
            }
            sys::futex_wait(&self.word, stopped, None);
        }
    }
}

/// The suspend signal's handler (see `sys::install_suspend_handler`): stops the thread it
/// interrupts, if that thread is a registered target with a non-zero count, or records the
/// stop for the end of a no-stop region (H6).
fn on_signal() {
    target::on_signal();
}

pub(crate) use target::in_no_stop;

/// A region in which the thread must not be stopped: it holds a lock other threads need
/// (H6). Regions nest; leaving the outermost one performs a stop the signal asked for
/// meanwhile.
#[derive(Debug)]
pub(crate) struct NoStop {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl NoStop {
    /// Enters a no-stop region on the calling thread.
    #[inline]
    pub(crate) fn enter() -> Self {
        target::enter_no_stop();
        Self {
            _not_send: std::marker::PhantomData,
        }
    }
}

impl Drop for NoStop {
    #[inline]
    fn drop(&mut self) {
        target::leave_no_stop();
    }
}

/// The per-thread part: which state the suspend signal stops on this thread, and the
/// no-stop regions. Thread-locals without destructors, reached with atomics, so that the
/// signal handler may read them.
#[cfg(not(loom))]
mod target {
    use std::sync::atomic::compiler_fence;

    use super::SuspendState;
    use crate::sync::{AtomicPtr, AtomicU32, Ordering};

    thread_local! {
        /// This thread's suspend state while it is a signal target (H5), else null.
        static TARGET: AtomicPtr<SuspendState> = const { AtomicPtr::new(std::ptr::null_mut()) };
        /// How deep in no-stop regions this thread is (H6).
        static NO_STOP: AtomicU32 = const { AtomicU32::new(0) };
        /// Non-zero if a signal arrived inside a no-stop region (H6).
        static STOP_PENDING: AtomicU32 = const { AtomicU32::new(0) };
    }

    pub(super) fn register(state: &SuspendState) {
        TARGET.with(|t| t.store(std::ptr::from_ref(state).cast_mut(), Ordering::Relaxed));
    }

    pub(super) fn unregister(state: &SuspendState) {
        TARGET.with(|t| {
            let _ = t.compare_exchange(
                std::ptr::from_ref(state).cast_mut(),
                std::ptr::null_mut(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        });
    }

    pub(super) fn is_current(state: &SuspendState) -> bool {
        TARGET.with(|t| std::ptr::eq(t.load(Ordering::Relaxed), state))
    }

    /// The handler's work, on the interrupted thread. Relaxed is enough: the thread-locals
    /// are written and read by this one thread, the handler included.
    pub(super) fn on_signal() {
        if NO_STOP.with(|n| n.load(Ordering::Relaxed)) != 0 {
            STOP_PENDING.with(|p| p.store(1, Ordering::Relaxed));
            return;
        }
        stop_if_target();
    }

    fn stop_if_target() {
        let target = TARGET.with(|t| t.load(Ordering::Relaxed));
        if !target.is_null() {
            // SAFETY: (H5) a non-null target is this thread's own state, kept alive by this
            // thread's own reference until after the pointer is cleared, on this thread.
            unsafe { &*target }.stop_here();
        }
    }

    // The depth is written only by this thread outside the handler (which only reads it),
    // so a plain load and store suffice. The handler runs on this same thread, so the
    // processor keeps program order for it; the compiler fences keep the compiler from
    // moving the region's bounds across what the region guards (the dispatcher lock's
    // acquire and release, which do not order relaxed accesses to other places), and the
    // depth's store across the read of a pending stop.
    #[inline]
    pub(super) fn enter_no_stop() {
        NO_STOP.with(|n| n.store(n.load(Ordering::Relaxed) + 1, Ordering::Relaxed));
        compiler_fence(Ordering::SeqCst);
    }

    #[inline]
    pub(super) fn leave_no_stop() {
        compiler_fence(Ordering::SeqCst);
        let depth = NO_STOP.with(|n| {
            let depth = n.load(Ordering::Relaxed) - 1;
            n.store(depth, Ordering::Relaxed);
            depth
        });
        compiler_fence(Ordering::SeqCst);
        // A signal after the store finds the depth at 0 and stops the thread itself; one
        // before it left the stop pending here.
        if depth == 0 && STOP_PENDING.with(|p| p.load(Ordering::Relaxed)) != 0 {
            STOP_PENDING.with(|p| p.store(0, Ordering::Relaxed));
            stop_if_target();
        }
        if depth == 0 {
            // Special APCs wait for the region's end too (special.rs S4).
            crate::special::after_no_stop();
        }
    }

    /// Whether the thread is inside a no-stop region (for the special-APC handler, S4).
    pub(crate) fn in_no_stop() -> bool {
        NO_STOP.with(|n| n.load(Ordering::Relaxed)) != 0
    }
}

/// Loom models never suspend a running thread: no targets, no regions.
#[cfg(loom)]
mod target {
    use super::SuspendState;

    pub(super) fn register(_state: &SuspendState) {}
    pub(super) fn unregister(_state: &SuspendState) {}
    pub(super) fn is_current(_state: &SuspendState) -> bool {
        false
    }
    pub(super) fn on_signal() {}
    pub(super) fn enter_no_stop() {}
    pub(super) fn leave_no_stop() {}
    pub(crate) fn in_no_stop() -> bool {
        false
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicBool;

    /// The start gate against suspensions and resumes from another thread (H1, H2): a
    /// suspension before the start adds to the start count, the thread passes the gate only
    /// once the count is back at 0, and it then sees what was written before the last
    /// resume. (Stopping a running thread needs a signal, which loom has not.)
    #[test]
    fn gate_holds_until_the_last_resume() {
        loom::model(|| {
            let state = Arc::new(SuspendState::not_started(1));
            let released = Arc::new(AtomicBool::new(false));
            let thread = {
                let state = state.clone();
                let released = released.clone();
                loom::thread::spawn(move || {
                    state.start();
                    assert!(
                        released.load(Ordering::Relaxed),
                        "passed the gate before the last resume"
                    );
                })
            };
            assert_eq!(state.suspend(|| 0), Ok(1));
            assert_eq!(state.resume(), 2);
            released.store(true, Ordering::Relaxed);
            assert_eq!(state.resume(), 1);
            thread.join().unwrap();
            assert_eq!(state.resume(), 0);
        });
    }
}
