//! The per-thread parker: one futex word with a wake-up token.
//!
//! | state      | meaning                                        | set by              |
//! |------------|------------------------------------------------|---------------------|
//! | `EMPTY`    | no token; the owner is running                 | owner (consumes)    |
//! | `PARKED`   | the owner is asleep, or about to sleep         | owner (`park`)      |
//! | `NOTIFIED` | a token is waiting to be consumed              | anyone (`unpark`)   |
//!
//! Transitions: `park` moves `EMPTY → PARKED` (then sleeps) or consumes `NOTIFIED → EMPTY`
//! and returns at once; `unpark` swaps in `NOTIFIED` and issues a futex wake only if it
//! replaced `PARKED`.
//!
//! Invariants:
//! - (P1) Only the owning thread parks; any thread may unpark.
//! - (P2) A token is never lost: an `unpark` that happens before `park` makes that `park`
//!   return at once, and an `unpark` during `park` wakes it. Tokens do not accumulate.
//! - (P3) `park` may return spuriously (a token left over from an earlier wake-up, a
//!   timeout); every caller re-checks the condition it waits for.
//!
//! - (P4) Relocation: a thread that waits on objects shared with other processes moves its
//!   word into shared memory once, on its own thread, while it is not parked (`relocate`;
//!   shared/mod.rs). From then on it parks on the shared word with a shared futex, so a
//!   waker in another process reaches it with the same protocol. An unparker that read "not
//!   relocated" swaps the local word and then reads the relocation pointer again; the owner
//!   stores the pointer, then takes any token from the local word into the shared one. All
//!   four operations are `SeqCst`, so either the owner's take follows the unparker's swap
//!   (the token moves) or the unparker's second read follows the owner's store (it unparks
//!   the shared word): no token is lost (P2). A thread that never waits on a shared object
//!   pays one extra load per unpark.
//!
//! Ordering: `unpark`'s swap is `Release` (`SeqCst`, for P4) and `park`'s consuming
//! operations are `Acquire`, so whatever the unparker wrote before unparking is visible to
//! the woken owner.

use std::time::Instant;

use crate::sync::{AtomicPtr, AtomicU32, Ordering};
use crate::sys;

const EMPTY: u32 = 0;
const NOTIFIED: u32 = 1;
const PARKED: u32 = u32::MAX;

/// A one-token parker for one owning thread.
#[derive(Debug)]
pub(crate) struct Parker {
    state: AtomicU32,
    /// The shared word the owner parks on once relocated (P4); null before.
    remote: AtomicPtr<AtomicU32>,
}

/// Why [`Parker::park`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unparked {
    /// A token was consumed.
    Notified,
    /// The deadline passed without a token.
    TimedOut,
}

impl Parker {
    pub(crate) fn new() -> Self {
        Self {
            state: AtomicU32::new(EMPTY),
            remote: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// Moves the owner's word to `word`, in memory shared with other processes (P4). Owner
    /// only, never while parked, at most once.
    pub(crate) fn relocate(&self, word: &'static AtomicU32) {
        word.store(EMPTY, Ordering::SeqCst);
        self.remote
            .store(std::ptr::from_ref(word).cast_mut(), Ordering::SeqCst);
        if self.state.swap(EMPTY, Ordering::SeqCst) == NOTIFIED {
            word.store(NOTIFIED, Ordering::SeqCst);
        }
    }

    /// Parks on the thread's own word again: in a forked child, whose copy of the shared
    /// word still belongs to the parent's thread. The child has no other thread that could
    /// be unparking meanwhile.
    #[cfg(not(loom))]
    pub(crate) fn forget_relocation(&self) {
        self.remote.store(std::ptr::null_mut(), Ordering::SeqCst);
        self.state.store(EMPTY, Ordering::SeqCst);
    }

    fn remote(&self, order: Ordering) -> Option<&AtomicU32> {
        // SAFETY: a non-null pointer was stored by `relocate` from a `&'static AtomicU32`.
        unsafe { self.remote.load(order).as_ref() }
    }

    /// Sleeps until a token arrives or `deadline` passes (`None`: no deadline). Owner only
    /// (P1); may return `Notified` for a stale token (P3).
    pub(crate) fn park(&self, deadline: Option<Instant>) -> Unparked {
        if let Some(word) = self.remote(Ordering::Acquire) {
            return park_on(word, deadline, true);
        }
        park_on(&self.state, deadline, false)
    }

    /// Whether a token waits (owner only): a snapshot for watching before [`park`](Self::park),
    /// which then takes it without sleeping. May see a stale token (P3), as `park` may.
    #[inline]
    pub(crate) fn has_token(&self) -> bool {
        let word = self.remote(Ordering::Acquire).unwrap_or(&self.state);
        word.load(Ordering::Acquire) == NOTIFIED
    }

    /// Leaves a token and wakes the owner if it sleeps.
    #[inline]
    pub(crate) fn unpark(&self) {
        if let Some(word) = self.remote(Ordering::Acquire) {
            return unpark_word(word);
        }
        if self.state.swap(NOTIFIED, Ordering::SeqCst) == PARKED {
            self.wake();
        }
        // (P4): the owner may have relocated meanwhile.
        if let Some(word) = self.remote(Ordering::SeqCst) {
            unpark_word(word);
        }
    }

    #[cold] // only when the owner is really asleep
    fn wake(&self) {
        sys::futex_wake(&self.state, 1);
    }
}

/// Leaves a token in a relocated parker word, possibly another process's (P4), and wakes
/// its owner if it sleeps.
pub(crate) fn unpark_word(word: &AtomicU32) {
    if word.swap(NOTIFIED, Ordering::SeqCst) == PARKED {
        sys::futex_wake_shared(word, 1);
    }
}

fn park_on(word: &AtomicU32, deadline: Option<Instant>, shared: bool) -> Unparked {
    {
        // EMPTY → PARKED, or NOTIFIED → EMPTY (token consumed).
        if word.fetch_sub(1, Ordering::Acquire) == NOTIFIED {
            return Unparked::Notified;
        }
        loop {
            let timeout = match deadline {
                None => None,
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => break,
                },
            };
            if shared {
                sys::futex_wait_shared(word, PARKED, timeout);
            } else {
                sys::futex_wait(word, PARKED, timeout);
            }
            if word
                .compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return Unparked::Notified;
            }
            #[cfg(loom)]
            if deadline.is_some() {
                // Loom has no clock: the timed futex wait above already "timed out".
                break;
            }
        }
        // Timed out: leave PARKED, taking a token that raced with the deadline (P2).
        match word.swap(EMPTY, Ordering::Acquire) {
            NOTIFIED => Unparked::Notified,
            _ => Unparked::TimedOut,
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn token_before_park_returns_at_once() {
        let parker = Parker::new();
        parker.unpark();
        parker.unpark(); // tokens do not accumulate (P2)
        assert_eq!(parker.park(None), Unparked::Notified);
        let soon = Instant::now() + Duration::from_millis(1);
        assert_eq!(parker.park(Some(soon)), Unparked::TimedOut);
    }

    #[test]
    fn deadline_in_the_past_times_out() {
        let parker = Parker::new();
        assert_eq!(parker.park(Some(Instant::now())), Unparked::TimedOut);
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicBool;

    /// (P2): a flag set before `unpark` is seen by the owner, whatever the interleaving.
    #[test]
    fn unpark_is_never_lost() {
        loom::model(|| {
            let parker = Arc::new(Parker::new());
            let flag = Arc::new(AtomicBool::new(false));
            let (p, f) = (parker.clone(), flag.clone());
            let th = loom::thread::spawn(move || {
                f.store(true, Ordering::Relaxed);
                p.unpark();
            });
            while !flag.load(Ordering::Relaxed) {
                parker.park(None);
            }
            th.join().unwrap();
        });
    }

    /// (P4): an unpark racing the owner's relocation is never lost, whether it lands on
    /// the old word or the new one.
    #[test]
    fn relocation_never_loses_a_token() {
        loom::model(|| {
            let parker = Arc::new(Parker::new());
            let word: &'static AtomicU32 = Box::leak(Box::new(AtomicU32::new(PARKED)));
            let flag = Arc::new(AtomicBool::new(false));
            let (p, f) = (parker.clone(), flag.clone());
            let th = loom::thread::spawn(move || {
                f.store(true, Ordering::Relaxed);
                p.unpark();
            });
            parker.relocate(word);
            while !flag.load(Ordering::Relaxed) {
                parker.park(None);
            }
            th.join().unwrap();
        });
    }

    /// A timed park that races an unpark keeps the token or reports it.
    #[test]
    fn timed_park_keeps_racing_token() {
        loom::model(|| {
            let parker = Arc::new(Parker::new());
            let p = parker.clone();
            let th = loom::thread::spawn(move || p.unpark());
            let first = parker.park(Some(Instant::now()));
            th.join().unwrap();
            if first == Unparked::TimedOut {
                // The token arrived after the deadline: it is still there.
                assert_eq!(parker.park(None), Unparked::Notified);
            }
        });
    }
}
