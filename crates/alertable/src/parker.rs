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
//! Ordering: `unpark`'s swap is `Release` and `park`'s consuming operations are `Acquire`,
//! so whatever the unparker wrote before unparking is visible to the woken owner.

use std::time::Instant;

use crate::sync::{AtomicU32, Ordering};
use crate::sys;

const EMPTY: u32 = 0;
const NOTIFIED: u32 = 1;
const PARKED: u32 = u32::MAX;

/// A one-token parker for one owning thread.
#[derive(Debug)]
pub(crate) struct Parker {
    state: AtomicU32,
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
        }
    }

    /// Sleeps until a token arrives or `deadline` passes (`None`: no deadline). Owner only
    /// (P1); may return `Notified` for a stale token (P3).
    pub(crate) fn park(&self, deadline: Option<Instant>) -> Unparked {
        // EMPTY → PARKED, or NOTIFIED → EMPTY (token consumed).
        if self.state.fetch_sub(1, Ordering::Acquire) == NOTIFIED {
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
            sys::futex_wait(&self.state, PARKED, timeout);
            if self
                .state
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
        match self.state.swap(EMPTY, Ordering::Acquire) {
            NOTIFIED => Unparked::Notified,
            _ => Unparked::TimedOut,
        }
    }

    /// Leaves a token and wakes the owner if it sleeps.
    #[inline]
    pub(crate) fn unpark(&self) {
        if self.state.swap(NOTIFIED, Ordering::Release) == PARKED {
            self.wake();
        }
    }

    #[cold] // only when the owner is really asleep
    fn wake(&self) {
        sys::futex_wake(&self.state, 1);
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
