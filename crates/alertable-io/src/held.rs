//! Pipe requests their issuing thread completes itself: a read that finds nothing waiting
//! stays with the thread that issued it, whose waits sleep on the pipe's descriptor
//! (`alertable::WaitHook`) and which makes the next attempt itself when the kernel reports
//! the descriptor ready — no backend thread in between, one wake-up per message as for a
//! thread blocked in `recv`. A request the thread does not get to goes to the backend as
//! before.
//!
//! # Which requests
//!
//! A pipe read (or a transaction whose message is sent) that waits for data after its
//! attempt at issue (P4, P7 of `pipe.rs`), whose completion only its issuing thread, or its
//! [`Operation`], can see: a completion routine (run on that thread anyway) or the poll
//! style without a port. An event may be waited for by any thread and a port serves any
//! thread, so those go to the backend at once. So do writes that wait for room: a writer
//! expects its data to keep flowing while its thread works, and the reader at the other end
//! may wait for it.
//!
//! A read stays unattempted while its thread blocks outside the library (on a lock of its
//! own, in `read(2)`) or computes: its data waits in the pipe meanwhile, where Windows
//! would have moved it into the read's buffer. Nothing is lost and the read completes at
//! the thread's next wait in the library (or when another thread looks at it); what shows
//! is the other end's `flush_pipe` (`FlushFileBuffers`), which waits until the data is
//! read, waiting that much longer.
//!
//! # Protocol
//!
//! Each request has a hold word (`OpShared::hold`):
//!
//! | state        | meaning                                                    | set by |
//! |--------------|------------------------------------------------------------|--------|
//! | `NEW`        | being issued; not held yet                                 | `OpShared::new` |
//! | `HELD`       | in its thread's list; nobody attempts it                   | the issuing thread |
//! | `ATTEMPTING` | its thread attempts it now                                 | the issuing thread |
//! | `WANTED`     | its thread attempts it, and someone else asked for it      | a taker (H3) |
//! | `NOT_HELD`   | with the backend, complete, or never to be held            | a taker (H2, H4), the issuing thread |
//!
//! - (H1) Only the issuing thread moves a request into `HELD` (`NEW → HELD` at issue, or
//!   back from `ATTEMPTING`) and `HELD → ATTEMPTING`, and only it attempts the request
//!   while it is held (P4 of `pipe.rs`: one holder attempts).
//! - (H2) Anyone may take a `HELD` request, by a compare-and-swap to `NOT_HELD`; the taker
//!   whose swap succeeds holds it alone, and hands it to the backend, or completes it with
//!   `ERROR_OPERATION_ABORTED` if a cancel was asked for.
//! - (H3) A taker that finds `ATTEMPTING` marks it `WANTED`. The attempting thread then
//!   completes the request if its attempt did, and otherwise takes it (H2) instead of
//!   holding it again.
//! - (H4) A cancel sets the request's cancel flag, then takes it (H2, H3); one that finds
//!   it `NEW` moves it to `NOT_HELD`, so that the issuing thread's `NEW → HELD` fails and
//!   that thread completes it aborted itself. Every step is a read-modify-write of the one
//!   word, so the step that comes second reads (and acquires) the first: the issuing
//!   thread sees the flag, or the canceller sees the hold. (A store of `HELD` and a read
//!   of the flag, each side writing one location and reading the other, would need the
//!   two sides' `SeqCst` accesses to be ordered across locations; the loom model failed
//!   on that form.)
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
use std::sync::atomic::Ordering;

// The hold word is what the loom models check (`--cfg loom`).
#[cfg(loom)]
use loom::sync::atomic::AtomicU8;
#[cfg(not(loom))]
use std::sync::atomic::AtomicU8;

use alertable::{FdInterest, WaitHook, WatchedFd};

use crate::IoError;
use crate::op::{Notify, OpShared};
use crate::pipe::{Attempt, Readiness};

const NEW: u8 = 0;
const HELD: u8 = 1;
const ATTEMPTING: u8 = 2;
const WANTED: u8 = 3;
const NOT_HELD: u8 = 4;

/// A request's hold word (see the module's protocol).
#[derive(Debug)]
pub(crate) struct Hold(AtomicU8);

/// What [`Hold::take`] came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Taken {
    /// The caller holds the request alone now (H2).
    Took,
    /// Its thread is attempting it and will give it up, or complete it, itself (H3).
    Wanted,
    /// Nobody holds it: it is with the backend or complete, or (from `NEW`) it will not
    /// be held (H4).
    NotHeld,
}

impl Hold {
    /// A new request's word.
    pub(crate) fn new() -> Self {
        Self(AtomicU8::new(NEW))
    }

    /// Whether the request is held by its issuing thread (in any of its states).
    pub(crate) fn is_held(&self) -> bool {
        matches!(self.0.load(Ordering::SeqCst), HELD | ATTEMPTING | WANTED)
    }

    /// (H2, H3, H4): takes the request from its issuing thread, or asks for it.
    pub(crate) fn take(&self) -> Taken {
        let mut state = self.0.load(Ordering::SeqCst);
        loop {
            let next = match state {
                HELD | NEW => NOT_HELD,
                ATTEMPTING => WANTED,
                _ => return Taken::NotHeld,
            };
            match self
                .0
                .compare_exchange(state, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) if state == HELD => return Taken::Took,
                Ok(_) if state == ATTEMPTING => return Taken::Wanted,
                Ok(_) => return Taken::NotHeld,
                Err(now) => state = now,
            }
        }
    }

    /// Issuing thread (H1): `NEW → HELD`; false if a cancel took the request first (H4).
    fn hold(&self) -> bool {
        self.0
            .compare_exchange(NEW, HELD, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
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
                self.0.swap(NOT_HELD, Ordering::SeqCst);
                false
            }
        }
    }

    /// Issuing thread, after an attempt that completed the request.
    fn end_attempt_done(&self) {
        self.0.swap(NOT_HELD, Ordering::SeqCst);
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
        && crate::pipe::interest(op) == Readiness::Input
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
    if !op.hold.hold() {
        // (H4) A cancel came first: it is this thread's to complete, aborted.
        hand_on(op);
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
    if op.hold.take() == Taken::Took {
        hand_on(op);
    }
}

/// For a cancel, after the request's cancel flag is set (H4): true if the hold protocol
/// sees to the request (it completes aborted: here, or by the thread attempting it, or by
/// its issuing thread, which has not held it yet); false if it is the backend's.
pub(crate) fn cancel(op: &Arc<OpShared>) -> bool {
    match op.hold.take() {
        Taken::Took => {
            hand_on(op);
            true
        }
        Taken::Wanted => true,
        Taken::NotHeld => false,
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

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::atomic::{AtomicBool, AtomicUsize};

    /// H1–H5: the issuing thread holds a request and attempts it (an attempt that
    /// completes it, or one that finds it must wait again) while another thread cancels
    /// it: a cancel never leaves it held (H4), and exactly one party ends up with it —
    /// the attempt that completed it, or one taker (H5), counting the thread's own
    /// release of what it still holds at the end. A taker that ends up with it sees the
    /// cancel flag (it completes the request aborted).
    fn cancel_races_an_attempt(attempt_completes: bool) {
        loom::model(move || {
            let hold = Arc::new(Hold::new());
            let cancel = Arc::new(AtomicBool::new(false));
            let owners = Arc::new(AtomicUsize::new(0));
            let (h, c, o) = (hold.clone(), cancel.clone(), owners.clone());
            let canceller = loom::thread::spawn(move || {
                c.store(true, Ordering::SeqCst);
                if h.take() == Taken::Took {
                    o.fetch_add(1, Ordering::Relaxed);
                }
            });
            // The issuing thread (`submit_waiting`, then its hook's `ready`).
            if !hold.hold() {
                assert!(
                    cancel.load(Ordering::SeqCst),
                    "only a cancel takes a new request"
                );
                owners.fetch_add(1, Ordering::Relaxed);
            } else if hold.begin_attempt() {
                if attempt_completes {
                    hold.end_attempt_done();
                    owners.fetch_add(1, Ordering::Relaxed);
                } else if !hold.end_attempt_waiting() {
                    assert!(cancel.load(Ordering::SeqCst), "wanted by the cancel (H3)");
                    owners.fetch_add(1, Ordering::Relaxed);
                }
            }
            canceller.join().unwrap();
            assert!(!hold.is_held(), "a cancelled request was left held (H4)");
            // What the thread still holds, it releases (`release_all`).
            if hold.take() == Taken::Took {
                owners.fetch_add(1, Ordering::Relaxed);
            }
            assert_eq!(owners.load(Ordering::Relaxed), 1, "one owner (H5)");
        });
    }

    #[test]
    fn cancel_races_an_attempt_that_completes() {
        cancel_races_an_attempt(true);
    }

    #[test]
    fn cancel_races_an_attempt_that_waits_again() {
        cancel_races_an_attempt(false);
    }

    /// Two takers (a cancel and another thread's wait) race the issuing thread's attempt:
    /// still one owner, and the request is not left held.
    #[test]
    fn two_takers_race_an_attempt() {
        loom::model(|| {
            let hold = Arc::new(Hold::new());
            let owners = Arc::new(AtomicUsize::new(0));
            assert!(hold.hold());
            let takers: Vec<_> = (0..2)
                .map(|_| {
                    let (h, o) = (hold.clone(), owners.clone());
                    loom::thread::spawn(move || {
                        if h.take() == Taken::Took {
                            o.fetch_add(1, Ordering::Relaxed);
                        }
                    })
                })
                .collect();
            if hold.begin_attempt() && !hold.end_attempt_waiting() {
                owners.fetch_add(1, Ordering::Relaxed);
            }
            for t in takers {
                t.join().unwrap();
            }
            assert!(!hold.is_held(), "a wanted request was left held (H3)");
            assert_eq!(owners.load(Ordering::Relaxed), 1, "one owner (H5)");
        });
    }
}
