//! The mailbox: a lock-free queue of envelopes, one state word that counts them, and the
//! rule for when a sender must wake the actor's thread with an APC.
//!
//! # Shape
//!
//! Senders push [`Envelope`]s onto a multi-producer queue (crossbeam's `SegQueue`, which
//! stores them inline, 31 to a block, so no message size costs an allocation per send).
//! The actor's thread is the only consumer. It sleeps in `sleep_ex(idle, Alertable::Yes)`;
//! a sender wakes it by queueing one empty APC, and only when the actor has announced that
//! it is going to sleep — not once per message, and never while a handler runs, so an
//! alertable wait inside a handler is not cut short by the arrival of messages.
//!
//! # The state word
//!
//! ```text
//!   state = count << SHIFT | IDLE | CLOSED
//! ```
//!
//! | part     | meaning                                                   | set by                         | cleared by |
//! |----------|-----------------------------------------------------------|--------------------------------|------------|
//! | `count`  | envelopes accepted and not yet accounted for by the actor | a sender's reservation         | the actor (`release`) |
//! | `IDLE`   | the actor found nothing to do and is going to sleep       | the actor (`try_idle`)         | the first sender that sees it (it must wake the actor), or the actor when it wakes |
//! | `CLOSED` | no more envelopes are accepted                            | `close` (a stop request)       | never |
//!
//! # Invariants
//!
//! - (M1) A sender reserves (adds one to `count`) before it pushes, and only if `CLOSED` is
//!   clear (and, for a bounded mailbox, `count` is below the capacity). So the queue never
//!   holds more envelopes than `count`, and every reserved envelope is pushed soon after.
//! - (M2) After `CLOSED` is set no reservation succeeds, so `count` only falls (but for
//!   the momentary one that a refused sender of an unbounded mailbox adds and at once
//!   takes back). An actor
//!   that takes envelopes until `count` is zero has taken every envelope ever accepted:
//!   each is handled or dropped by the actor exactly once, and a refused one goes back to
//!   its sender inside the error.
//! - (M3) `IDLE` is set only by a compare-and-swap from exactly zero (nothing accepted and
//!   unaccounted, not closed). A reservation that finds `IDLE` clears it in the same atomic
//!   operation (bounded mailbox) or in a following `fetch_and` (unbounded); either way
//!   exactly one sender sees it go from set to clear, and that sender queues one wake APC
//!   after pushing: one wake per batch, and none lost, because the flag and the count are
//!   one word.
//! - (M4) `close` sets `CLOSED` and clears `IDLE` in one operation, and wakes the actor if
//!   `IDLE` was set. The requested stop mode is stored before that, so an actor that sees
//!   `CLOSED` also sees why.
//! - (M5) Only the actor's thread calls `pop`, `release`, `try_idle` and `end_idle`.
//!
//! # Accounting
//!
//! A bounded mailbox is released one envelope at a time, as each is popped, so that
//! "full" means `capacity` envelopes waiting, not counting the one being handled. An
//! unbounded one is released in batches, when the queue looks empty, which keeps the
//! actor's side of a busy stream off the state word.
//!
//! # Ordering
//!
//! Reservations and releases are `AcqRel`. The queue's own push/pop pair publishes the
//! envelope. The stop mode is a `Release` store read with `Acquire`; `CLOSED` is set with
//! `AcqRel` after it.

use std::fmt;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use alertable::ThreadHandle;
use crossbeam_queue::SegQueue;
use crossbeam_utils::CachePadded;

use crate::envelope::Envelope;
use crate::stop::StopMode;

const CLOSED: usize = 0b01;
const IDLE: usize = 0b10;
const SHIFT: u32 = 2;
const ONE: usize = 1 << SHIFT;

/// No stop requested (the stop byte).
const RUN: u8 = 0;
const DRAIN: u8 = 1;
const NOW: u8 = 2;

/// How many envelopes a mailbox may hold.
///
/// # Examples
///
/// ```
/// use alertable_actor::{Mailbox, Options};
///
/// let options = Options { mailbox: Mailbox::Bounded(64), ..Options::default() };
/// assert_eq!(options.mailbox, Mailbox::Bounded(64));
/// assert_eq!(Options::default().mailbox, Mailbox::Unbounded);
/// ```
///
/// # Win32
///
/// A thread's message queue is bounded (10,000 posted messages by default); an APC queue
/// is not. `Bounded` makes [`ActorRef::send`](crate::ActorRef::send) fail like
/// `PostThreadMessage` at the limit, with the message handed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mailbox {
    /// No limit: `send` fails only once the actor stops.
    #[default]
    Unbounded,
    /// At most this many envelopes wait (the one being handled does not count); `send`
    /// returns [`SendError::Full`](crate::SendError::Full) beyond it. `Bounded(0)` accepts
    /// nothing.
    Bounded(usize),
}

/// Why a reservation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    Full,
    Closed,
}

/// What `release` found after accounting for the envelopes taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Remaining {
    /// Nothing accepted is left unaccounted.
    Empty,
    /// Some envelopes are accepted but not popped yet (pushes under way).
    InFlight,
}

/// The mailbox shared by an actor's thread and every [`ActorRef`](crate::ActorRef).
pub(crate) struct Queue<M> {
    state: CachePadded<AtomicUsize>,
    /// The requested stop mode: `RUN`, `DRAIN` or `NOW`; it only ever grows.
    stop: AtomicU8,
    envelopes: SegQueue<Envelope<M>>,
    capacity: Option<usize>,
    /// The actor's thread, woken with an empty APC.
    thread: ThreadHandle,
}

impl<M> fmt::Debug for Queue<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.load(Ordering::Relaxed);
        f.debug_struct("Queue")
            .field("accepted", &(state >> SHIFT))
            .field("idle", &(state & IDLE != 0))
            .field("closed", &(state & CLOSED != 0))
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl<M> Queue<M> {
    pub(crate) fn new(mailbox: Mailbox, thread: ThreadHandle) -> Self {
        Self {
            state: CachePadded::new(AtomicUsize::new(0)),
            stop: AtomicU8::new(RUN),
            envelopes: SegQueue::new(),
            capacity: match mailbox {
                Mailbox::Unbounded => None,
                Mailbox::Bounded(n) => Some(n),
            },
            thread,
        }
    }

    /// Accepts `envelope` (M1), waking the actor if it announced it was going to sleep
    /// (M3); gives it back if the mailbox is closed or full.
    #[inline]
    pub(crate) fn push(&self, envelope: Envelope<M>) -> Result<(), (Refused, Envelope<M>)> {
        let wake = match self.reserve() {
            Ok(wake) => wake,
            Err(why) => return Err((why, envelope)),
        };
        self.envelopes.push(envelope);
        if wake {
            self.wake();
        }
        Ok(())
    }

    /// Adds one to the count; returns whether this sender cleared `IDLE` and must wake.
    #[inline]
    fn reserve(&self) -> Result<bool, Refused> {
        match self.capacity {
            None => {
                // One `lock xadd`, which never retries however many senders contend.
                let before = self.state.fetch_add(ONE, Ordering::AcqRel);
                if before & CLOSED != 0 {
                    self.state.fetch_sub(ONE, Ordering::AcqRel);
                    return Err(Refused::Closed);
                }
                Ok(before & IDLE != 0 && self.clear_idle())
            }
            Some(capacity) => {
                let mut current = self.state.load(Ordering::Acquire);
                loop {
                    if current & CLOSED != 0 {
                        return Err(Refused::Closed);
                    }
                    if current >> SHIFT >= capacity {
                        return Err(Refused::Full);
                    }
                    match self.state.compare_exchange_weak(
                        current,
                        (current + ONE) & !IDLE,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    ) {
                        Ok(_) => return Ok(current & IDLE != 0),
                        Err(now) => current = now,
                    }
                }
            }
        }
    }

    /// Clears `IDLE`; true if this call is the one that cleared it (M3).
    #[cold] // only when the actor is going to sleep or asleep
    fn clear_idle(&self) -> bool {
        self.state.fetch_and(!IDLE, Ordering::AcqRel) & IDLE != 0
    }

    /// Queues the empty APC that ends the actor's alertable sleep.
    #[cold] // once per batch at most
    fn wake(&self) {
        // The thread exits only after the mailbox is closed and emptied (M2), so a wake
        // that finds it gone has nothing left to wake it for.
        let _ = self.thread.queue_apc(|| {});
    }

    /// Asks the actor to stop: records the mode (a stronger one wins), then closes the
    /// mailbox (M4). Returns whether this call closed it.
    pub(crate) fn close(&self, mode: StopMode) -> bool {
        let wanted = match mode {
            StopMode::Drain => DRAIN,
            StopMode::Now => NOW,
        };
        self.stop.fetch_max(wanted, Ordering::AcqRel);
        let before = self.state.fetch_or(CLOSED, Ordering::AcqRel);
        if before & IDLE != 0 && self.clear_idle() {
            self.wake();
        }
        before & CLOSED == 0
    }

    /// The stop mode requested so far, if any.
    #[inline]
    pub(crate) fn stop_requested(&self) -> Option<StopMode> {
        match self.stop.load(Ordering::Acquire) {
            RUN => None,
            DRAIN => Some(StopMode::Drain),
            _ => Some(StopMode::Now),
        }
    }

    /// The actor's thread.
    pub(crate) fn thread(&self) -> &ThreadHandle {
        &self.thread
    }

    /// Whether the mailbox refuses new envelopes.
    pub(crate) fn is_closed(&self) -> bool {
        self.state.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Envelopes accepted and not yet taken (approximately, for an unbounded mailbox,
    /// whose actor accounts in batches).
    pub(crate) fn accepted(&self) -> usize {
        self.state.load(Ordering::Acquire) >> SHIFT
    }

    /// The actor's side (M5): the next envelope, if one has been pushed. A bounded
    /// mailbox accounts for it at once; an unbounded one leaves that to `release`.
    #[inline]
    pub(crate) fn pop(&self) -> Option<Envelope<M>> {
        let envelope = self.envelopes.pop()?;
        if self.capacity.is_some() {
            self.state.fetch_sub(ONE, Ordering::AcqRel);
        }
        Some(envelope)
    }

    /// The actor's side (M5): accounts for `taken` envelopes popped from an unbounded
    /// mailbox (a bounded one has already done so), and tells whether any accepted
    /// envelope is still to come.
    pub(crate) fn release(&self, taken: usize) -> Remaining {
        let taken = if self.capacity.is_some() { 0 } else { taken };
        let after = if taken == 0 {
            self.state.load(Ordering::Acquire)
        } else {
            self.state.fetch_sub(taken * ONE, Ordering::AcqRel) - taken * ONE
        };
        if after >> SHIFT == 0 {
            Remaining::Empty
        } else {
            Remaining::InFlight
        }
    }

    /// The actor's side (M5), after a `release` that found nothing: whether anything has
    /// been accepted, or a stop requested, since.
    #[inline]
    pub(crate) fn has_news(&self) -> bool {
        self.state.load(Ordering::Acquire) != 0
    }

    /// The actor's side (M5): announces that it is going to sleep (M3). Fails if anything
    /// is accepted and unaccounted, or the mailbox is closed.
    pub(crate) fn try_idle(&self) -> bool {
        self.state
            .compare_exchange(0, IDLE, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// The actor's side (M5): withdraws the announcement after waking.
    pub(crate) fn end_idle(&self) {
        self.state.fetch_and(!IDLE, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::Envelope;

    fn queue(mailbox: Mailbox) -> Queue<u32> {
        Queue::new(mailbox, alertable::current())
    }

    #[test]
    fn bounded_refuses_beyond_capacity_and_frees_on_pop() {
        let q = queue(Mailbox::Bounded(2));
        assert!(q.push(Envelope::new(1, None, None)).is_ok());
        assert!(q.push(Envelope::new(2, None, None)).is_ok());
        let (why, back) = q.push(Envelope::new(3, None, None)).unwrap_err();
        assert_eq!((why, back.message), (Refused::Full, 3));
        assert_eq!(q.pop().map(|e| e.message), Some(1));
        assert!(q.push(Envelope::new(3, None, None)).is_ok());
        assert_eq!(q.accepted(), 2);
    }

    #[test]
    fn closed_refuses_and_keeps_what_was_accepted() {
        let q = queue(Mailbox::Unbounded);
        assert!(q.push(Envelope::new(1, None, None)).is_ok());
        assert!(q.close(StopMode::Drain));
        assert!(!q.close(StopMode::Now), "closed once");
        assert_eq!(
            q.stop_requested(),
            Some(StopMode::Now),
            "the stronger mode wins"
        );
        let (why, back) = q.push(Envelope::new(2, None, None)).unwrap_err();
        assert_eq!((why, back.message), (Refused::Closed, 2));
        assert_eq!(q.accepted(), 1, "a refused send leaves the count as it was");
        assert_eq!(q.pop().map(|e| e.message), Some(1));
        assert_eq!(q.release(1), Remaining::Empty);
    }

    #[test]
    fn idle_only_from_empty_and_one_sender_wakes() {
        let q = queue(Mailbox::Unbounded);
        assert!(q.try_idle());
        assert!(
            q.reserve().unwrap(),
            "the first sender clears IDLE and wakes"
        );
        assert!(!q.reserve().unwrap(), "the second one does not");
        assert!(!q.try_idle(), "not empty");
        assert_eq!(q.release(2), Remaining::Empty);
        assert!(q.try_idle());
        q.end_idle();
        q.close(StopMode::Drain);
        assert!(!q.try_idle(), "closed");
    }
}
