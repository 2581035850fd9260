//! A request's reference lent by its issuing call to its thread's list of deferred
//! requests (U5 of `uring.rs`), so that a chain of completion routines hands each request
//! to the kernel without touching its reference count.
//!
//! An issuing call makes a request with one reference, which becomes the caller's
//! [`Operation`]; the backend needs one of its own from submission to completion (U1 of
//! `uring.rs`). A request deferred to the end of the APC drain would take that reference
//! as it is deferred, and the caller would release its own a moment later (a routine that
//! issues the next read drops the handle and returns): two read-modify-writes of a shared
//! count per request, for a reference that changes hands on one thread. Instead the list
//! borrows the handle's reference, and a handle dropped before the flush gives its
//! reference to the list rather than releasing it.
//!
//! # Protocol
//!
//! Each request has a lend word (`OpShared::lend`):
//!
//! | state     | meaning                                                      |
//! |-----------|--------------------------------------------------------------|
//! | `NONE`    | no lend: a listed request's entry holds a reference of its own |
//! | `LENT`    | the list names the request with a handle's reference          |
//! | `DONATED` | a handle dropped while `LENT` gave its reference to the list  |
//!
//! - (L1) Only the issuing thread lends (`NONE → LENT`, as it lists the request) and
//!   ends a lend (`LENT → NONE` or `DONATED → NONE`, as it takes the request off the
//!   list: its flush, or the list's teardown). It lends only in the issuing call, whose
//!   reference becomes the request's first handle before anything of the caller's runs
//!   (`AsyncFile::issue_to_file`), and a request is lent once: the list is flushed before
//!   the request is submitted, so before it can complete, be pooled (or kept warm, R4
//!   of `op.rs`) and be reused.
//! - (L2) While the state is `LENT` some handle holds a reference, so the list's pointer
//!   is valid: a handle dropped then gives its reference to the list (`LENT → DONATED`)
//!   instead of releasing it. References are alike, so whichever handle moves the state
//!   first gives, and only that one: elsewhere by a compare-and-swap; on the issuing
//!   thread by a store, where the handle is the request's only reference (no other handle
//!   that another thread could drop meanwhile, and the thread that ends lends is this
//!   one, busy dropping it).
//! - (L3) The thread ending a lend still `LENT` takes a reference of its own first, then
//!   ends it with a compare-and-swap `LENT → NONE`, so the request is alive throughout;
//!   if a handle gave its reference meanwhile (the swap finds `DONATED`), the list holds
//!   two and releases one, which is never the last.
//! - (L4) A gift happens before the list's use of the reference: the swap that makes it
//!   is `Release` and the state is read with `Acquire` as the lend ends, as an `Arc`'s
//!   decrement and the fence before its free are.
//! - (L5) R5 of `op.rs` (on the issuing thread, a count of 1 means nobody else can reach
//!   the request) holds for every request it is used on: a lent request is listed, not
//!   yet submitted, so neither complete nor in the pool, and its count is looked at only
//!   here (L2).
//!
//! [`Operation`]: crate::Operation

use std::ptr;

#[cfg(loom)]
use loom::sync::atomic::{AtomicU8, AtomicUsize};
use std::sync::atomic::Ordering;
#[cfg(not(loom))]
use std::sync::atomic::{AtomicU8, AtomicUsize};

const NONE: u8 = 0;
const LENT: u8 = 1;
const DONATED: u8 = 2;

thread_local! {
    /// Its address names the thread (a `u8` without a destructor: always reachable).
    static HERE: u8 = const { 0 };
}

/// The calling thread, as a lend names its lender: unique among live threads (a thread's
/// lends are all ended by its list's teardown, before another thread may reuse it).
pub(crate) fn here() -> usize {
    HERE.with(|here| ptr::from_ref(here) as usize)
}

/// A request's lend word (see the module's protocol).
#[derive(Debug)]
pub(crate) struct Lend {
    state: AtomicU8,
    /// The lending thread (`here`), while `LENT`.
    by: AtomicUsize,
}

/// What the list holds as a lend ends ([`Lend::end`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Held {
    /// A reference of its own: the entry's, or a handle's gift (L2).
    Owned,
    /// A handle's reference, borrowed: the list must take one of its own, then call
    /// [`Lend::end_borrowed`] (L3).
    Borrowed,
}

impl Lend {
    /// A new request's word: nothing lent.
    pub(crate) fn new() -> Self {
        Self {
            state: AtomicU8::new(NONE),
            by: AtomicUsize::new(0),
        }
    }

    /// Issuing thread (L1): the list borrows the issuing call's reference.
    pub(crate) fn lend(&self, here: usize) {
        debug_assert_eq!(self.state.load(Ordering::Relaxed), NONE, "L1: lent once");
        self.by.store(here, Ordering::Relaxed);
        self.state.store(LENT, Ordering::Relaxed);
    }

    /// A handle lets go of its reference on thread `here`, `only` if it is the request's
    /// only one: true if the list takes the reference over (L2), which the caller must then
    /// not release.
    #[inline]
    pub(crate) fn give(&self, here: usize, only: bool) -> bool {
        if self.state.load(Ordering::Relaxed) != LENT {
            return false;
        }
        if only && self.by.load(Ordering::Relaxed) == here {
            // L2: nothing else moves the state meanwhile.
            self.state.store(DONATED, Ordering::Relaxed);
            return true;
        }
        self.state
            .compare_exchange(LENT, DONATED, Ordering::Release, Ordering::Relaxed)
            .is_ok()
    }

    /// Issuing thread (L1): the list takes the request off; says what it holds.
    pub(crate) fn end(&self) -> Held {
        match self.state.load(Ordering::Acquire) {
            LENT => Held::Borrowed,
            DONATED => {
                self.state.store(NONE, Ordering::Relaxed);
                Held::Owned
            }
            _ => Held::Owned,
        }
    }

    /// Issuing thread (L3), after [`end`](Self::end) said `Borrowed` and the list took a
    /// reference of its own: ends the lend; true if a handle gave its reference meanwhile,
    /// so that the list holds two and must release one.
    pub(crate) fn end_borrowed(&self) -> bool {
        match self
            .state
            .compare_exchange(LENT, NONE, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => false,
            Err(_) => {
                self.state.store(NONE, Ordering::Relaxed);
                true
            }
        }
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicUsize;

    /// The request: its lend word and a reference count with what each side adds and
    /// releases, checked to end at zero with no release past it (L2, L3).
    struct Request {
        lend: Lend,
        count: AtomicUsize,
    }

    impl Request {
        fn release(&self) {
            let before = self.count.fetch_sub(1, Ordering::AcqRel);
            assert!(before >= 1, "a reference released twice");
        }
    }

    /// The issuing thread (1) lends, then flushes while another thread (2) drops a handle
    /// it was sent (and, with `clone`, the issuing thread drops a second handle too):
    /// every reference is released exactly once, and the list's is alive while it is used.
    fn flush_against_a_handle_dropped_elsewhere(clone: bool) {
        loom::model(move || {
            let handles = if clone { 2 } else { 1 };
            let request = Arc::new(Request {
                lend: Lend::new(),
                count: AtomicUsize::new(handles),
            });
            request.lend.lend(1);
            let elsewhere = {
                let request = request.clone();
                loom::thread::spawn(move || {
                    let only = request.count.load(Ordering::Relaxed) == 1;
                    if !request.lend.give(2, only) {
                        request.release();
                    }
                })
            };
            if clone {
                let only = request.count.load(Ordering::Relaxed) == 1;
                if !request.lend.give(1, only) {
                    request.release();
                }
            }
            // The flush.
            match request.lend.end() {
                Held::Owned => {}
                Held::Borrowed => {
                    let before = request.count.fetch_add(1, Ordering::Relaxed);
                    assert!(before >= 1, "L3: a reference taken from a freed request");
                    if request.lend.end_borrowed() {
                        request.release();
                    }
                }
            }
            // The list's reference, used by the kernel and released at completion.
            assert!(
                request.count.load(Ordering::Acquire) >= 1,
                "the list's reference"
            );
            request.release();
            elsewhere.join().unwrap();
            assert_eq!(
                request.count.load(Ordering::Relaxed),
                0,
                "a reference leaked"
            );
        });
    }

    #[test]
    fn a_handle_dropped_on_another_thread() {
        flush_against_a_handle_dropped_elsewhere(false);
    }

    #[test]
    fn two_handles_dropped_on_two_threads() {
        flush_against_a_handle_dropped_elsewhere(true);
    }
}
