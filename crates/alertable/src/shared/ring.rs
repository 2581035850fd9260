//! A mailbox's ring (X8 in `shared/mod.rs`), apart from the namespace so that its
//! protocol can be model-checked: one consumer, producers that take turns through a lock
//! word naming the holder, and the tail as a message's only commit.
//!
//! - The holder of the lock word is the only writer of the tail and of the words past it;
//!   it writes a message there, then stores the tail (Release), then releases the word.
//! - The consumer is the only writer of the head; it reads words up to the tail it loaded
//!   (Acquire), then stores the head (Release), after which producers may reuse them.
//! - A holder that dies leaves the tail as it was before or after its message, never in
//!   between; whoever learns of the death (reclaiming its process) clears the lock word if
//!   it still names the dead holder.

use crate::sync::{AtomicU32, Ordering};

/// Set in the lock word while producers sleep on it.
pub(crate) const LOCK_WAITERS: u32 = 1 << 31;

/// A ring's words and its three control words, wherever they live.
pub(crate) struct Ring<'a> {
    pub(crate) lock: &'a AtomicU32,
    pub(crate) head: &'a AtomicU32,
    pub(crate) tail: &'a AtomicU32,
    pub(crate) words: &'a [AtomicU32],
}

impl Ring<'_> {
    /// Where position `at` lies in the words: their count is a power of two, so a mask
    /// (a division per word showed in profiles).
    #[inline]
    fn index(&self, at: usize) -> usize {
        debug_assert!(self.words.len().is_power_of_two());
        at & (self.words.len() - 1)
    }

    /// One attempt to take the producers' lock for `holder` (non-zero, without
    /// [`LOCK_WAITERS`]); on failure, the word as it was.
    pub(crate) fn try_lock(&self, holder: u32) -> Result<(), u32> {
        self.lock
            .compare_exchange(0, holder, Ordering::Acquire, Ordering::Relaxed)
            .map(drop)
    }

    /// Marks the word, seen as `held`, as slept on; false if it changed meanwhile.
    pub(crate) fn announce_sleeper(&self, held: u32) -> bool {
        held & LOCK_WAITERS != 0
            || self
                .lock
                .compare_exchange(
                    held,
                    held | LOCK_WAITERS,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
    }

    /// Releases the lock; true if producers sleep on it and must be woken.
    pub(crate) fn unlock(&self) -> bool {
        self.lock.swap(0, Ordering::Release) & LOCK_WAITERS != 0
    }

    /// Clears the lock if `holder` holds it (its process died); true if it did.
    pub(crate) fn release_dead(&self, holder: u32) -> bool {
        self.lock
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |v| {
                (v & !LOCK_WAITERS == holder).then_some(0)
            })
            .is_ok()
    }

    /// With the lock held: appends a message of `len` words taken from `body`, committing
    /// it with one store of the tail; false (nothing written) if there is no room.
    ///
    /// `seen_head` is a head this producer loaded before, under the lock (or the lock's
    /// previous holders, through it): while it leaves room, the head is not read again, so
    /// the producers do not pull the owner's line over on every message. The head only
    /// moves forward, so an old one only understates the room.
    pub(crate) fn append(
        &self,
        len: usize,
        body: impl Iterator<Item = u32>,
        seen_head: &mut u32,
    ) -> bool {
        let size = self.words.len();
        let tail = self.tail.load(Ordering::Relaxed);
        let fits = |head: u32| {
            let used = tail.wrapping_sub(head) as usize;
            used <= size && size - used >= len
        };
        if !fits(*seen_head) {
            *seen_head = self.head.load(Ordering::Acquire);
            if !fits(*seen_head) {
                return false;
            }
        }
        for (i, word) in body.take(len).enumerate() {
            // Past the committed tail: the consumer reads nothing there until it moves.
            self.words[self.index(tail as usize + i)].store(word, Ordering::Relaxed);
        }
        // The commit: the words above happen before the consumer's read of the tail.
        self.tail
            .store(tail.wrapping_add(len as u32), Ordering::Release);
        true
    }

    /// The consumer: where it stopped reading.
    pub(crate) fn head(&self) -> u32 {
        self.head.load(Ordering::Relaxed)
    }

    /// The consumer: the end of what is committed.
    pub(crate) fn committed(&self) -> u32 {
        self.tail.load(Ordering::Acquire)
    }

    /// The consumer: word `i` of the message at `at`.
    pub(crate) fn word(&self, at: u32, i: usize) -> u32 {
        self.words[self.index((at as usize).wrapping_add(i))].load(Ordering::Relaxed)
    }

    /// The consumer: everything before `at` has been read; producers may reuse it.
    pub(crate) fn consumed(&self, at: u32) {
        self.head.store(at, Ordering::Release);
    }

    /// Whether a message is committed and unread (a snapshot).
    pub(crate) fn pending(&self) -> bool {
        self.head.load(Ordering::Relaxed) != self.tail.load(Ordering::Acquire)
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    struct Words {
        lock: AtomicU32,
        head: AtomicU32,
        tail: AtomicU32,
        words: [AtomicU32; 4],
    }

    impl Words {
        fn new() -> Arc<Self> {
            Arc::new(Self {
                lock: AtomicU32::new(0),
                head: AtomicU32::new(0),
                tail: AtomicU32::new(0),
                words: std::array::from_fn(|_| AtomicU32::new(0)),
            })
        }

        fn ring(&self) -> Ring<'_> {
            Ring {
                lock: &self.lock,
                head: &self.head,
                tail: &self.tail,
                words: &self.words,
            }
        }
    }

    fn produce(ring: &Ring<'_>, holder: u32, message: [u32; 2]) {
        while ring.try_lock(holder).is_err() {
            thread::yield_now();
        }
        let mut seen = ring.head.load(Ordering::Acquire);
        assert!(
            ring.append(2, message.into_iter(), &mut seen),
            "room for both"
        );
        ring.unlock();
    }

    /// Takes what is committed; every message must be whole: `[producer, producer * 10 + 1]`
    /// (never the zeros of words not yet written).
    fn take(ring: &Ring<'_>, got: &mut Vec<u32>) {
        let end = ring.committed();
        let mut at = ring.head();
        while at != end {
            let (who, check) = (ring.word(at, 0), ring.word(at, 1));
            assert_eq!(check, who * 10 + 1, "a torn message");
            got.push(who);
            at = at.wrapping_add(2);
        }
        ring.consumed(at);
    }

    /// Two producers and the consumer: every message arrives once and whole, whenever the
    /// consumer looks.
    #[test]
    fn two_producers_one_consumer() {
        loom::model(|| {
            let words = Words::new();
            let producers: Vec<_> = [1u32, 2]
                .into_iter()
                .map(|who| {
                    let words = words.clone();
                    thread::spawn(move || produce(&words.ring(), who, [who, who * 10 + 1]))
                })
                .collect();
            // One look while the producers run, and one after.
            let mut got = Vec::new();
            take(&words.ring(), &mut got);
            for p in producers {
                p.join().unwrap();
            }
            take(&words.ring(), &mut got);
            got.sort_unstable();
            assert_eq!(got, [1, 2]);
        });
    }

    /// A producer dies holding the lock halfway through a message: once its death is
    /// known (the join) and its lock cleared, another producer gets through and the
    /// consumer sees only that producer's whole message.
    #[test]
    fn a_producer_dies_holding_the_lock() {
        loom::model(|| {
            let words = Words::new();
            let dying = {
                let words = words.clone();
                thread::spawn(move || {
                    let ring = words.ring();
                    while ring.try_lock(1).is_err() {
                        thread::yield_now();
                    }
                    // Half a message past the tail, then death: no commit, no unlock.
                    let tail = ring.tail.load(Ordering::Relaxed);
                    ring.words[tail as usize % 4].store(1, Ordering::Relaxed);
                })
            };
            let consumer = {
                let words = words.clone();
                thread::spawn(move || {
                    let mut got = Vec::new();
                    take(&words.ring(), &mut got);
                    got
                })
            };
            dying.join().unwrap();
            assert!(words.ring().release_dead(1));
            produce(&words.ring(), 2, [2, 21]);
            let mut got = consumer.join().unwrap();
            take(&words.ring(), &mut got);
            assert_eq!(got, [2]);
        });
    }
}
