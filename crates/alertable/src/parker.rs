//! The per-thread parker: one futex word with a wake-up token.
//!
//! | state      | meaning                                        | set by              |
//! |------------|------------------------------------------------|---------------------|
//! | `EMPTY`    | no token; the owner is running                 | owner (consumes)    |
//! | `PARKED`   | the owner is asleep, or about to sleep         | owner (`park`)      |
//! | `NOTIFIED` | a token is waiting to be consumed              | anyone (`unpark`)   |
//! | `POLLING`  | the owner sleeps in `poll`, on descriptors of its own and the parker's wake descriptor | owner (`park_polling`) |
//!
//! Transitions: `park` moves `EMPTY → PARKED` (then sleeps) or consumes `NOTIFIED → EMPTY`
//! and returns at once; `park_polling` moves `EMPTY → POLLING` (then polls) or consumes
//! the token likewise; `unpark` swaps in `NOTIFIED` and issues a futex wake only if it
//! replaced `PARKED`, a write of the wake descriptor only if it replaced `POLLING`, and no
//! system call otherwise.
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
//! - (P5) Polling: the owner announces `POLLING` with a compare-and-swap from `EMPTY`,
//!   then polls its wake descriptor with the ones the thread's wait hook gave
//!   (`wait_hook.rs`), then swaps back to `EMPTY`, consuming a token that arrived. An
//!   unpark that swaps before the announcement leaves `NOTIFIED`, so the announcement
//!   fails and the token is consumed at once; one that swaps after it finds `POLLING` and
//!   writes the descriptor, which the poll watches: no token is lost (P2). The owner
//!   clears the descriptor when a poll reports it readable, and only then (a read that
//!   finds nothing would be a system call per sleep). A write may land after the owner
//!   has left (it woke for one of its own descriptors, and took the token): the next poll
//!   then returns at once, a spurious return (P3), and clears it; one write is one
//!   spurious return at most, never a poll that keeps returning. A relocated parker (P4)
//!   never polls, since a waker in another process cannot write the descriptor. The
//!   descriptor is made by the owner on its first polling park and stays until the
//!   parker goes; a parker that never polls has none, and its unparks are as before.
//!
//! Ordering: `unpark`'s swap is `Release` (`SeqCst`, for P4) and `park`'s consuming
//! operations are `Acquire`, so whatever the unparker wrote before unparking is visible to
//! the woken owner.

use std::time::Instant;

use crate::sync::{AtomicPtr, AtomicU32, OnceLock, Ordering};
use crate::sys::{self, Notifier};
use crate::wait_hook::WatchedFd;

const EMPTY: u32 = 0;
const NOTIFIED: u32 = 1;
const POLLING: u32 = 2;
const PARKED: u32 = u32::MAX;

/// A one-token parker for one owning thread.
#[derive(Debug)]
pub(crate) struct Parker {
    state: AtomicU32,
    /// The shared word the owner parks on once relocated (P4); null before.
    remote: AtomicPtr<AtomicU32>,
    /// Written by an unpark that finds the owner `POLLING` (P5); made on the owner's
    /// first polling park.
    poll_wake: OnceLock<Notifier>,
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
            poll_wake: OnceLock::new(),
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

    /// Sleeps as [`park`](Self::park) does, but in `poll`, until a token arrives, one of
    /// `fds` is ready (its entry then says so), or `deadline` passes; `None` if this parker
    /// cannot poll (it is relocated, P4, or its wake descriptor cannot be made), and then
    /// it has not slept. Owner only (P1). `TimedOut` also means "woken by a descriptor";
    /// callers re-check (P3).
    pub(crate) fn park_polling(
        &self,
        fds: &mut Vec<WatchedFd>,
        deadline: Option<Instant>,
    ) -> Option<Unparked> {
        if self.remote(Ordering::Acquire).is_some() {
            return None;
        }
        let wake = match self.poll_wake.get() {
            Some(wake) => wake,
            None => {
                let made = Notifier::new().ok()?;
                // Only the owner sets it, so it is still empty.
                self.poll_wake.get_or_init(|| made)
            }
        };
        if let Err(state) =
            self.state
                .compare_exchange(EMPTY, POLLING, Ordering::SeqCst, Ordering::Acquire)
        {
            debug_assert_eq!(state, NOTIFIED, "only the owner parks (P1)");
            // A swap, not a store: it also takes (and acquires) a token that another
            // unpark left since the compare-and-swap read this one (P2).
            self.state.swap(EMPTY, Ordering::Acquire);
            return Some(Unparked::Notified);
        }
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if timeout.is_none_or(|t| !t.is_zero()) && sys::poll(wake, fds, timeout) {
            // (P5) Read now, so that it does not end the next poll too.
            wake.clear();
        }
        // Leave POLLING, taking a token that came meanwhile (P2).
        Some(match self.state.swap(EMPTY, Ordering::Acquire) {
            NOTIFIED => Unparked::Notified,
            _ => Unparked::TimedOut,
        })
    }

    /// Leaves a token and wakes the owner if it sleeps.
    #[inline]
    pub(crate) fn unpark(&self) {
        if let Some(word) = self.remote(Ordering::Acquire) {
            return unpark_word(word);
        }
        match self.state.swap(NOTIFIED, Ordering::SeqCst) {
            PARKED => self.wake(),
            POLLING => self.wake_poll(),
            _ => {}
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

    #[cold] // only when the owner is really asleep, in `poll`
    fn wake_poll(&self) {
        // (P5) The owner made the descriptor before it announced POLLING.
        if let Some(wake) = self.poll_wake.get() {
            wake.notify();
        }
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

    /// Starts a thread that sets the returned flag, then unparks `parker`.
    fn set_and_unpark(parker: &Arc<Parker>) -> (Arc<AtomicBool>, loom::thread::JoinHandle<()>) {
        let flag = Arc::new(AtomicBool::new(false));
        let (p, f) = (parker.clone(), flag.clone());
        let th = loom::thread::spawn(move || {
            f.store(true, Ordering::Relaxed);
            p.unpark();
        });
        (flag, th)
    }

    /// (P2): a flag set before `unpark` is seen by the owner, whatever the interleaving.
    #[test]
    fn unpark_is_never_lost() {
        loom::model(|| {
            let parker = Arc::new(Parker::new());
            let (flag, th) = set_and_unpark(&parker);
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
            let (flag, th) = set_and_unpark(&parker);
            parker.relocate(word);
            while !flag.load(Ordering::Relaxed) {
                parker.park(None);
            }
            th.join().unwrap();
        });
    }

    /// (P5): an unpark racing a polling park is never lost: it leaves the token that the
    /// announcement finds, or writes the wake descriptor that the poll watches.
    #[test]
    fn polling_park_never_loses_an_unpark() {
        loom::model(|| {
            let parker = Arc::new(Parker::new());
            let (flag, th) = set_and_unpark(&parker);
            let mut fds = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                parker.park_polling(&mut fds, None).unwrap();
            }
            th.join().unwrap();
        });
    }

    /// (P5, P2): polling and futex parks in turn, with two unparkers: a descriptor write
    /// left over from one poll, or a token left by either, never makes a later park
    /// sleep through the other unpark.
    #[test]
    fn polling_and_plain_parks_in_turn_lose_nothing() {
        loom::model(|| {
            let parker = Arc::new(Parker::new());
            let flags = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
            let threads: Vec<_> = (0..2)
                .map(|i| {
                    let (p, f) = (parker.clone(), flags.clone());
                    loom::thread::spawn(move || {
                        f[i].store(true, Ordering::Relaxed);
                        p.unpark();
                    })
                })
                .collect();
            let mut fds = Vec::new();
            let mut polling = false;
            while !flags.iter().all(|f| f.load(Ordering::Relaxed)) {
                polling = !polling;
                if polling {
                    parker.park_polling(&mut fds, None).unwrap();
                } else {
                    parker.park(None);
                }
            }
            for th in threads {
                th.join().unwrap();
            }
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
