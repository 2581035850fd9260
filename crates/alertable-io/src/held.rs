//! Pipe requests their issuing thread completes itself: a read that finds nothing waiting
//! stays with the thread that issued it, whose waits sleep on the pipe's descriptor
//! (`alertable::WaitHook`) and which makes the next attempt itself when the kernel reports
//! the descriptor ready — no backend thread in between, one wake-up per message as for a
//! thread blocked in `recv`. A request the thread does not get to goes to the backend as
//! before.
//!
//! # Which requests
//!
//! A pipe request (not a connect) that waits after its attempt at issue (P4, P7 of
//! `pipe.rs`), whose completion only its issuing thread, or its [`Operation`], can see: a
//! completion routine (run on that thread anyway) or the poll style without a port. An
//! event may be waited for by any thread and a port serves any thread, so those go to the
//! backend at once.
//!
//! # Protocol
//!
//! Each request has a hold word (`OpShared::hold`):
//!
//! | state        | meaning                                                    | set by |
//! |--------------|------------------------------------------------------------|--------|
//! | `NOT_HELD`   | with the backend, complete, or never held                  | anyone who takes it (H2) |
//! | `HELD`       | in its thread's list; nobody attempts it                   | the issuing thread |
//! | `ATTEMPTING` | its thread attempts it now                                 | the issuing thread |
//! | `WANTED`     | its thread attempts it, and someone else asked for it      | a taker (H3) |
//!
//! - (H1) Only the issuing thread moves a request into `HELD` (at issue, or back from
//!   `ATTEMPTING`) and `HELD → ATTEMPTING`, and only it attempts the request while it is
//!   not `NOT_HELD` (P4 of `pipe.rs`: one holder attempts).
//! - (H2) Anyone may take a `HELD` request, by a compare-and-swap to `NOT_HELD`; the taker
//!   whose swap succeeds holds it alone, and hands it to the backend, or completes it with
//!   `ERROR_OPERATION_ABORTED` if a cancel was asked for.
//! - (H3) A taker that finds `ATTEMPTING` marks it `WANTED`. The attempting thread then
//!   completes the request if its attempt did, and otherwise takes it (H2) instead of
//!   holding it again.
//! - (H4) A cancel sets the request's cancel flag, then takes it (H2, H3). The issuing
//!   thread stores `HELD`, then reads the flag, and takes the request back if it is set.
//!   Both sides are `SeqCst`: either the canceller's take finds `HELD`, or the issuing
//!   thread's read finds the flag.
//! - (H5) So exactly one party completes or submits a held request: the thread whose
//!   attempt finished it, or the one taker; the backend's contract (R1 of `op.rs`: one
//!   completion) holds for what it is given.
//!
//! The issuing thread gives its held requests up (H2) before it blocks anywhere its
//! descriptors are not watched (the hook's `release`: a non-alertable `sleep_ex`, a
//! completion port's wait, a parker relocated for waits across processes), and when
//! [`submit_deferred`](crate::submit_deferred) is called, which is how code that waits
//! outside the library says so. Other threads take one when they wait for it, or poll it
//! and find it incomplete ([`Operation`]); a thread exit cancels it (K121).
//!
//! [`Operation`]: crate::Operation

use std::cell::{Cell, RefCell};
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use alertable::{FdInterest, WaitHook, WatchedFd};

use crate::IoError;
use crate::op::{Notify, OpShared};
use crate::pipe::{Attempt, Readiness};

const NOT_HELD: u8 = 0;
const HELD: u8 = 1;
const ATTEMPTING: u8 = 2;
const WANTED: u8 = 3;

/// A request's hold word (see the module's protocol).
#[derive(Debug, Default)]
pub(crate) struct Hold(AtomicU8);

impl Hold {
    /// Whether the request is held by its issuing thread (in any of its states).
    pub(crate) fn is_held(&self) -> bool {
        self.0.load(Ordering::SeqCst) != NOT_HELD
    }

    /// (H2, H3): true if the caller now holds the request alone; false if it is not held,
    /// or its thread attempts it and will give it up itself.
    fn take(&self) -> bool {
        let mut state = self.0.load(Ordering::SeqCst);
        loop {
            let next = match state {
                HELD => NOT_HELD,
                ATTEMPTING => WANTED,
                _ => return false,
            };
            match self
                .0
                .compare_exchange(state, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return state == HELD,
                Err(now) => state = now,
            }
        }
    }

    /// Issuing thread (H1): the request is held from now on.
    fn hold(&self) {
        self.0.store(HELD, Ordering::SeqCst);
    }

    /// Issuing thread (H1): `HELD → ATTEMPTING`; false if someone took it.
    fn begin_attempt(&self) -> bool {
        self.0
            .compare_exchange(HELD, ATTEMPTING, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    /// Issuing thread, after an attempt that left the request waiting: held again, or, if
    /// someone asked for it meanwhile (H3), false: the caller takes it (now `NOT_HELD`).
    fn end_attempt_waiting(&self) -> bool {
        match self
            .0
            .compare_exchange(ATTEMPTING, HELD, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => true,
            Err(_) => {
                self.0.store(NOT_HELD, Ordering::SeqCst);
                false
            }
        }
    }

    /// Issuing thread, after an attempt that completed the request.
    fn end_attempt_done(&self) {
        self.0.store(NOT_HELD, Ordering::SeqCst);
    }
}

thread_local! {
    /// The requests this thread holds, in the order issued; entries that others took
    /// are dropped when next seen.
    static HELD_OPS: RefCell<Vec<Arc<OpShared>>> = const { RefCell::new(Vec::new()) };
    /// Whether this thread's waits have the hook installed.
    static HOOKED: Cell<bool> = const { Cell::new(false) };
    /// Requests this thread completed in its own waits.
    static COMPLETED: Cell<usize> = const { Cell::new(0) };
}

/// How many requests the calling thread has completed itself, in its own waits, since it
/// started: pipe requests it held (`held.rs`). For tests that tell this path from the
/// backend's.
///
/// # Win32
///
/// None.
#[doc(hidden)]
pub fn completed_by_own_wait() -> usize {
    COMPLETED.try_with(Cell::get).unwrap_or(0)
}

/// Whether a waiting request may stay with its issuing thread (see "Which requests").
fn eligible(op: &OpShared) -> bool {
    op.kind != crate::op::Kind::Connect
        && op.file().pipe.is_some()
        && op.has_no_port()
        && matches!(op.notify_kind(), NotifyKind::Routine | NotifyKind::Nothing)
}

/// How a request notifies, as far as holding it goes.
pub(crate) enum NotifyKind {
    Routine,
    Event,
    Nothing,
}

impl From<&Notify> for NotifyKind {
    fn from(notify: &Notify) -> Self {
        match notify {
            Notify::Routine(_) => Self::Routine,
            Notify::Event(_) => Self::Event,
            Notify::None => Self::Nothing,
        }
    }
}

/// On the issuing thread, for a pipe request whose attempt at issue found it must wait:
/// keeps it with this thread if it may (H1, H4), or hands it to the backend.
pub(crate) fn submit_waiting(op: &Arc<OpShared>) {
    // A thread that sleeps in an event loop of its own (`ApcNotifier`) is not in the
    // library's waits, which watch held requests.
    if !eligible(op) || alertable::has_apc_notifier() || !hook_installed() {
        return crate::backend::get().submit(op);
    }
    let listed = HELD_OPS.try_with(|ops| {
        ops.try_borrow_mut()
            .map(|mut ops| ops.push(op.clone()))
            .is_ok()
    });
    if listed != Ok(true) {
        return crate::backend::get().submit(op);
    }
    op.hold.hold();
    // (H4) A cancel that came before the hold found nothing to take.
    if op.cancel_requested() {
        give_up(op);
    }
}

/// Installs the hook on this thread's waits, once; false during thread-local teardown.
fn hook_installed() -> bool {
    HOOKED
        .try_with(|hooked| {
            if !hooked.get() {
                alertable::set_wait_hook(Some(Rc::new(HeldHook)));
                hooked.set(true);
            }
        })
        .is_ok()
}

/// Takes a held request away from its thread (H2, H3): to the backend, or completed
/// aborted if it was cancelled. Nothing if it is not held, or its thread is attempting
/// it (that thread gives it up itself). Any thread.
pub(crate) fn give_up(op: &Arc<OpShared>) {
    if op.hold.take() {
        hand_on(op);
    }
}

/// The taker's part (H2): the request is its alone.
fn hand_on(op: &Arc<OpShared>) {
    if op.cancel_requested() {
        op.complete(Err(IoError::Aborted));
    } else {
        crate::backend::get().submit(op);
    }
}

/// Whether the calling thread holds `op`.
pub(crate) fn is_mine(op: &Arc<OpShared>) -> bool {
    op.hold.is_held()
        && HELD_OPS
            .try_with(|ops| {
                ops.try_borrow()
                    .is_ok_and(|ops| ops.iter().any(|held| Arc::ptr_eq(held, op)))
            })
            .unwrap_or(false)
}

/// Gives up every request this thread holds (before it blocks where they are not
/// watched).
pub(crate) fn release_all() {
    let ops = HELD_OPS
        .try_with(|ops| {
            ops.try_borrow_mut()
                .map(|mut ops| std::mem::take(&mut *ops))
        })
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    for op in &ops {
        give_up(op);
    }
    // The emptied list goes back for its room, unless requests were held meanwhile.
    let _ = HELD_OPS.try_with(|held| {
        if let Ok(mut held) = held.try_borrow_mut()
            && held.is_empty()
        {
            let mut ops = ops;
            ops.clear();
            *held = ops;
        }
    });
}

/// The hook of a thread's waits: its held requests' descriptors.
struct HeldHook;

impl WaitHook for HeldHook {
    fn watch(&self, fds: &mut Vec<WatchedFd>) {
        let _ = HELD_OPS.try_with(|ops| {
            let Ok(mut ops) = ops.try_borrow_mut() else {
                return;
            };
            // Those taken by others (H2) are theirs now.
            ops.retain(|op| op.hold.is_held());
            fds.extend(ops.iter().map(|op| {
                let interest = match crate::pipe::interest(op) {
                    Readiness::Input => FdInterest::Readable,
                    Readiness::Output => FdInterest::Writable,
                };
                WatchedFd::new(op.file().fd().as_raw_fd(), interest)
            }));
        });
    }

    fn ready(&self, fds: &[WatchedFd]) {
        // Out of the list while they are attempted: completing one may issue the next
        // request of its stream, which this thread may hold.
        let Ok(Ok(ops)) = HELD_OPS.try_with(|ops| {
            ops.try_borrow_mut()
                .map(|mut ops| std::mem::take(&mut *ops))
        }) else {
            return;
        };
        let mut waiting = Vec::with_capacity(ops.len());
        for (i, op) in ops.into_iter().enumerate() {
            // The list is the one `watch` gave: entry i is request i.
            if !fds.get(i).is_some_and(WatchedFd::is_ready) {
                waiting.push(op);
                continue;
            }
            if !op.hold.begin_attempt() {
                continue; // taken meanwhile (H2)
            }
            let mut buf = op.take_buffer_for_io();
            let attempt = crate::pipe::attempt(&op, &mut buf);
            op.put_buffer(buf);
            match attempt {
                Attempt::Done(result) => {
                    op.hold.end_attempt_done();
                    let _ = COMPLETED.try_with(|n| n.set(n.get() + 1));
                    op.complete(result);
                }
                Attempt::WaitFor(_) if op.hold.end_attempt_waiting() => waiting.push(op),
                Attempt::WaitFor(_) => hand_on(&op),
            }
        }
        let _ = HELD_OPS.try_with(|held| {
            if let Ok(mut held) = held.try_borrow_mut() {
                // Requests held while these were attempted were issued after them.
                waiting.append(&mut held);
                *held = waiting;
            }
        });
    }

    fn release(&self) {
        release_all();
    }
}
