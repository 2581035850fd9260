//! A mailbox's ring (X8 in `shared/mod.rs`), apart from the namespace so that its
//! protocol can be model-checked: one consumer, producers that take turns through a lock
//! word naming the holder, and a message's first word as its only commit.
//!
//! - (R1) The holder of the lock word is the only writer of the tail and of the ring's
//!   words. It writes a message at the tail in this order: its words after the first, a
//!   zero in the word just past it (where the next message will start), then its first
//!   word, its length in words (never zero; the low 16 bits) and the caller's 16-bit tag,
//!   with a Release store: the commit. Then it moves the tail past the message and
//!   releases the lock word.
//! - (R2) Hence, while the lock word is free and its last holder finished, the word at
//!   the tail is zero. The consumer reads the first word at its head (Acquire): zero means
//!   nothing more is committed; anything else is the length of a whole message, all of
//!   whose words it may read. The consumer never reads the tail nor the lock word, which
//!   stay on the producers' cache line (a consumer that looked there at every catch-up
//!   took that line away from the next producer's lock, store and unlock).
//! - (R3) The consumer is the only writer of the head. It stores the head past what it has
//!   read (Release), after which producers may reuse those words; it may read ahead of
//!   the head it stored and store it in batches, as a stale head only understates the
//!   room (by less than a sixteenth of the ring, `HEAD_BATCH`), but stores it before it
//!   can sleep in any of the library's waits, a handler's wait mid-take included
//!   (`store_read_position`, from `Context::observed`): a producer waiting for room would
//!   otherwise wait for a consumer that waits for it. A producer appends only
//!   while its message and the zero after it fit between the tail and the head: the words
//!   from the head to the tail's zero never exceed the ring, so the zero never lands on a
//!   word the consumer has yet to read.
//! - (R4) A holder that dies before its commit leaves the word at the tail zero: nothing
//!   is committed, and the next holder writes over what it left. One that dies after its
//!   commit but before it moved the tail leaves a committed message at the tail: the next
//!   holder finds that word non-zero and moves the tail past the message before anything
//!   else. Whoever learns of a death clears the lock word if it still names the dead
//!   holder.

use crate::sync::{AtomicU32, Ordering};

/// A message's first word: its length in words in the low half, the caller's tag above.
const LENGTH: u32 = 0xffff;

/// Set in the lock word while producers sleep on it.
pub(crate) const LOCK_WAITERS: u32 = 1 << 31;

/// A ring's words and its three control words, wherever they live.
pub(crate) struct Ring<'a> {
    pub(crate) lock: &'a AtomicU32,
    pub(crate) head: &'a AtomicU32,
    pub(crate) tail: &'a AtomicU32,
    pub(crate) words: &'a [AtomicU32],
}

/// Stores `bytes` into `to` as little-endian words, the last padded with zeros; `to` holds
/// at least as many words as that takes. Whole words go without a copy each (a `memcpy`
/// call per word showed in profiles).
#[inline]
fn fill(to: &[AtomicU32], bytes: &[u8]) {
    let whole = bytes.chunks_exact(4);
    let rest = whole.remainder();
    for (word, chunk) in to.iter().zip(whole) {
        word.store(
            u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]),
            Ordering::Relaxed,
        );
    }
    if !rest.is_empty() {
        let mut last = [0u8; 4];
        last[..rest.len()].copy_from_slice(rest);
        to[bytes.len() / 4].store(u32::from_le_bytes(last), Ordering::Relaxed);
    }
}

/// The inverse of [`fill`]: `into` takes the bytes of the words of `from`.
#[inline]
fn drain_into(from: &[AtomicU32], into: &mut [u8]) {
    let len = into.len();
    let mut whole = into.chunks_exact_mut(4);
    for (chunk, word) in (&mut whole).zip(from) {
        chunk.copy_from_slice(&word.load(Ordering::Relaxed).to_le_bytes());
    }
    let rest = whole.into_remainder();
    if !rest.is_empty() {
        let last = from[len / 4].load(Ordering::Relaxed).to_le_bytes();
        rest.copy_from_slice(&last[..rest.len()]);
    }
}

impl Ring<'_> {
    /// Where position `at` lies in the words: their count is a power of two, so a mask
    /// (a division per word showed in profiles).
    #[inline]
    fn index(&self, at: u32) -> usize {
        debug_assert!(self.words.len().is_power_of_two());
        at as usize & (self.words.len() - 1)
    }

    /// The `n` words from position `at` (at most the ring's), as the two runs they lie in:
    /// the second is empty unless they wrap around the end.
    #[inline]
    fn runs(&self, at: u32, n: usize) -> (&[AtomicU32], &[AtomicU32]) {
        let start = self.index(at);
        let first = n.min(self.words.len() - start);
        (
            &self.words[start..start + first],
            &self.words[..(n - first).min(start)],
        )
    }

    /// Stores `bytes` as words from position `at` on.
    fn store_bytes(&self, at: u32, bytes: &[u8]) {
        let (a, b) = self.runs(at, bytes.len().div_ceil(4));
        let cut = bytes.len().min(a.len() * 4);
        fill(a, &bytes[..cut]);
        fill(b, &bytes[cut..]);
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

    /// With the lock held: appends a message made of its first word (its length and
    /// `tag`), the words of `header`, then each of `parts` as little-endian words (the
    /// last of each padded with zeros), committing it with the store of its first word
    /// (R1); false (nothing committed) if there is no room.
    ///
    /// `seen_head` is a head this producer loaded before, under the lock (or the lock's
    /// previous holders, through it): while it leaves room, the head is not read again, so
    /// the producers do not pull the owner's line over on every message. The head only
    /// moves forward, so an old one only understates the room.
    pub(crate) fn append(
        &self,
        tag: u16,
        header: &[u32],
        parts: &[&[u8]],
        seen_head: &mut u32,
    ) -> bool {
        let size = self.words.len();
        debug_assert!(size <= LENGTH as usize + 1);
        let len = 1 + header.len() + parts.iter().map(|p| p.len().div_ceil(4)).sum::<usize>();
        let mut tail = self.tail.load(Ordering::Relaxed);
        // R4: a holder that died between its commit and its tail store.
        let left = self.words[self.index(tail)].load(Ordering::Relaxed);
        if left != 0 {
            let left = (left & LENGTH) as usize;
            if left == 0 || left >= size {
                // X7: not a length any producer writes; nothing can be appended safely.
                return false;
            }
            tail = tail.wrapping_add(left as u32);
            self.tail.store(tail, Ordering::Release);
        }
        // Room for the message and the zero after it (R3).
        let fits = |head: u32| {
            let used = tail.wrapping_sub(head) as usize;
            used <= size && size - used > len
        };
        if !fits(*seen_head) {
            *seen_head = self.head.load(Ordering::Acquire);
            if !fits(*seen_head) {
                return false;
            }
        }
        // Past the committed messages: the consumer reads nothing there until the commit.
        let mut at = tail.wrapping_add(1);
        let (a, b) = self.runs(at, header.len());
        for (word, &value) in a.iter().chain(b).zip(header) {
            word.store(value, Ordering::Relaxed);
        }
        at = at.wrapping_add(header.len() as u32);
        for part in parts {
            self.store_bytes(at, part);
            at = at.wrapping_add(part.len().div_ceil(4) as u32);
        }
        // Where the next message starts: zero until it is committed (R2).
        self.words[self.index(at)].store(0, Ordering::Relaxed);
        // The commit: everything above happens before the consumer's read of this word.
        self.words[self.index(tail)].store(len as u32 | u32::from(tag) << 16, Ordering::Release);
        self.tail.store(at, Ordering::Release);
        true
    }

    /// The producers' tail as committed: for a new owner, which starts there, and for a
    /// consumer that gives up on what it finds (X7).
    pub(crate) fn tail(&self) -> u32 {
        self.tail.load(Ordering::Acquire)
    }

    /// The consumer: where it stopped reading.
    pub(crate) fn head(&self) -> u32 {
        self.head.load(Ordering::Relaxed)
    }

    /// The consumer: the length in words and the tag of the message committed at `at`;
    /// a length of 0 if none is (R2).
    #[inline]
    pub(crate) fn committed_at(&self, at: u32) -> (usize, u16) {
        let first = self.words[self.index(at)].load(Ordering::Acquire);
        ((first & LENGTH) as usize, (first >> 16) as u16)
    }

    /// The consumer: word `i` of the message at `at`.
    #[inline]
    pub(crate) fn word(&self, at: u32, i: usize) -> u32 {
        self.words[self.index(at.wrapping_add(i as u32))].load(Ordering::Relaxed)
    }

    /// The consumer: `into` takes the bytes of the words from word `i` of the message at
    /// `at` on.
    pub(crate) fn read_bytes(&self, at: u32, i: usize, into: &mut [u8]) {
        let (a, b) = self.runs(at.wrapping_add(i as u32), into.len().div_ceil(4));
        let cut = into.len().min(a.len() * 4);
        let (first, second) = into.split_at_mut(cut);
        drain_into(a, first);
        drain_into(b, second);
    }

    /// The consumer: everything before `at` has been read; producers may reuse it.
    pub(crate) fn consumed(&self, at: u32) {
        self.head.store(at, Ordering::Release);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// Messages of bytes that wrap around the ring's end come out as they went in, and
    /// each leaves a zero after it.
    #[test]
    fn messages_wrap_around_whole() {
        let (lock, head, tail) = (AtomicU32::new(0), AtomicU32::new(0), AtomicU32::new(0));
        let words: Vec<AtomicU32> = (0..16).map(|_| AtomicU32::new(u32::MAX)).collect();
        words[0].store(0, Ordering::Relaxed);
        let ring = Ring {
            lock: &lock,
            head: &head,
            tail: &tail,
            words: &words,
        };
        let mut seen = 0;
        for round in 0..40u8 {
            let body: Vec<u8> = (0..usize::from(round % 13))
                .map(|b| round ^ b as u8)
                .collect();
            ring.try_lock(1).unwrap();
            assert!(ring.append(7, &[u32::from(round)], &[b"ab", &body], &mut seen));
            ring.unlock();
            let at = ring.head();
            let (len, tag) = ring.committed_at(at);
            assert_eq!((len, tag), (3 + body.len().div_ceil(4), 7));
            assert_eq!(ring.word(at, 1), u32::from(round));
            let mut got = vec![0; body.len()];
            ring.read_bytes(at, 3, &mut got);
            assert_eq!(got, body);
            ring.consumed(at.wrapping_add(len as u32));
            assert_eq!(ring.committed_at(ring.head()).0, 0);
        }
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    /// Room for two messages of three words and the zero after them (R3).
    const WORDS: usize = 8;

    struct Words {
        lock: AtomicU32,
        head: AtomicU32,
        tail: AtomicU32,
        words: [AtomicU32; WORDS],
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

    fn lock(ring: &Ring<'_>, holder: u32) {
        while ring.try_lock(holder).is_err() {
            thread::yield_now();
        }
    }

    /// Queues `[3, who, who * 10 + 1]`.
    fn produce(ring: &Ring<'_>, who: u32) {
        lock(ring, who);
        let mut seen = ring.head.load(Ordering::Acquire);
        assert!(
            ring.append(0, &[who, who * 10 + 1], &[], &mut seen),
            "room for both"
        );
        ring.unlock();
    }

    /// Takes what is committed; every message must be whole: `[3, who, who * 10 + 1]`
    /// (never the zeros of words not yet written).
    /// A consumer takes what it finds while `dying` runs to its death; then producer 1's
    /// lock is released as a dead process's, producer 2 queues, and the consumer takes the
    /// rest. What it took, in order.
    fn take_across_a_death(words: &Arc<Words>, dying: thread::JoinHandle<()>) -> Vec<u32> {
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
        produce(&words.ring(), 2);
        let mut got = consumer.join().unwrap();
        take(&words.ring(), &mut got);
        got
    }

    fn take(ring: &Ring<'_>, got: &mut Vec<u32>) {
        let mut at = ring.head();
        loop {
            let (len, _) = ring.committed_at(at);
            if len == 0 {
                break;
            }
            assert_eq!(len, 3, "a length no producer wrote");
            let (who, check) = (ring.word(at, 1), ring.word(at, 2));
            assert_eq!(check, who * 10 + 1, "a torn message");
            got.push(who);
            at = at.wrapping_add(3);
            ring.consumed(at);
        }
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
                    thread::spawn(move || produce(&words.ring(), who))
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

    /// A producer dies holding the lock halfway through a message, before its commit (R4):
    /// once its death is known (the join) and its lock cleared, another producer gets
    /// through and the consumer sees only that producer's whole message.
    #[test]
    fn a_producer_dies_holding_the_lock() {
        loom::model(|| {
            let words = Words::new();
            let dying = {
                let words = words.clone();
                thread::spawn(move || {
                    let ring = words.ring();
                    lock(&ring, 1);
                    // Its body and the zero past it, then death: no commit, no unlock.
                    let tail = ring.tail.load(Ordering::Relaxed) as usize;
                    ring.words[(tail + 1) % WORDS].store(1, Ordering::Relaxed);
                    ring.words[(tail + 2) % WORDS].store(11, Ordering::Relaxed);
                    ring.words[(tail + 3) % WORDS].store(0, Ordering::Relaxed);
                })
            };
            let got = take_across_a_death(&words, dying);
            assert_eq!(got, [2]);
        });
    }

    /// A producer dies after its commit but before it moved the tail (R4): the consumer
    /// takes its message once, whenever it looks, and the next producer's message lands
    /// after it rather than over it.
    #[test]
    fn a_producer_dies_between_its_commit_and_the_tail() {
        loom::model(|| {
            let words = Words::new();
            let dying = {
                let words = words.clone();
                thread::spawn(move || {
                    let ring = words.ring();
                    lock(&ring, 1);
                    let mut seen = ring.head.load(Ordering::Acquire);
                    assert!(ring.append(0, &[1, 11], &[], &mut seen));
                    // Death before the tail store: put the tail back, as it was.
                    ring.tail.store(0, Ordering::Relaxed);
                })
            };
            let got = take_across_a_death(&words, dying);
            assert_eq!(got, [1, 2]);
        });
    }
}
