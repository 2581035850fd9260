//! The per-thread APC queue: lock-free multi-producer, single-consumer, FIFO, with the
//! consumer's "I am going to sleep" flag folded into the producers' tail word.
//!
//! # Shape
//!
//! APCs live in a linked list of blocks of `BLOCK_CAP` slots. Producers claim a slot by
//! advancing the tail index with one compare-and-swap, write the APC into it inline, and mark
//! it written. The owning thread (the consumer) keeps a private head and takes slots in index
//! order. Blocks the consumer has finished go to a few spare slots that producers take before
//! allocating, so a queue in steady use allocates nothing.
//!
//! # The tail word
//!
//! ```text
//!   tail = index << SHIFT | PARKED | CLOSED
//!   index = lap * LAP + offset,   offset in 0..=BLOCK_CAP  (BLOCK_CAP: "next block being installed")
//! ```
//!
//! | bit      | meaning                                              | set by              | cleared by                 |
//! |----------|------------------------------------------------------|---------------------|----------------------------|
//! | `PARKED` | the consumer found the queue empty and may sleep, or watches a readiness descriptor (Q7) | consumer (`try_park`) | the first producer to claim (it must wake), or the consumer (`cancel_park`) |
//! | `CLOSED` | the owning thread has exited; pushes fail            | consumer (`close`)  | never                      |
//!
//! # Invariants
//!
//! - (Q1) Only the owning thread calls the consumer operations (`pop`, `has_pending`,
//!   `try_park`, `cancel_park`, `close`), and never two at once; the head is touched only
//!   by them and never across a call into user code.
//! - (Q2) A slot is written by exactly the producer whose CAS claimed its index, and read by
//!   the consumer only after it sees the slot's `WRITTEN` state (`Release`/`Acquire`).
//! - (Q3) The producer that claims the last slot of a block installs the next block
//!   (`tail.block`, then the index past the `BLOCK_CAP` offset, then `block.next`) before it
//!   writes its slot; so a consumer that has read the last slot finds `next` set.
//! - (Q4) A block is recycled or freed only by the consumer, after it has read every slot;
//!   no producer touches a block after marking its slot written, and a producer dereferences
//!   a block only after its CAS proved the block current.
//! - (Q5) `PARKED` is set only when the tail index equals the head (nothing claimed and
//!   unread); a producer's claiming CAS clears it atomically, so exactly one producer learns
//!   that the consumer may be asleep: one wake per batch, and no lost wake-up, because the
//!   flag and the claim are the same word.
//! - (Q6) Once `CLOSED` is set no claim succeeds; the consumer then drops every claimed APC
//!   (waiting for writes in progress), so none runs and none leaks.
//! - (Q7) The consumer may leave `PARKED` standing while it runs: a thread that watches a
//!   readiness descriptor keeps its announcement up while it is out in its event loop, and
//!   `try_park` on a standing announcement reports `Parked` again. Nothing else changes:
//!   Q5 still holds (a standing announcement still means "nothing claimed and unread"),
//!   and the claim that clears it still tells exactly one producer to wake the consumer,
//!   which then also notifies the descriptor (see `notifier.rs`).
//!
//! # Ordering
//!
//! The claim is `AcqRel`; publishing a slot is a `Release` store of `WRITTEN` read with
//! `Acquire`; installing a block is `Release` stores read with `Acquire` loads. The parked
//! hand-off needs no fence: the flag and the claim are one atomic word (Q5), so coherence
//! alone orders them; the wake-up itself is the parker's business.

use std::mem::{ManuallyDrop, MaybeUninit};
use std::ptr;

use crate::sync::{AtomicPtr, AtomicUsize, CachePadded, Ordering, Snooze, UnsafeCell};

/// Slots per block. Small under loom so models cross block boundaries.
const BLOCK_CAP: usize = if cfg!(loom) { 2 } else { 31 };
/// Indices per lap: one more than the slots, for the "installing the next block" offset.
const LAP: usize = BLOCK_CAP + 1;
/// Low bits of the tail word that are flags, not index.
const SHIFT: usize = 2;
const CLOSED: usize = 0b01;
const PARKED: usize = 0b10;
/// Finished blocks kept for reuse.
const SPARES: usize = if cfg!(loom) { 1 } else { 3 };

const EMPTY: usize = 0;
const WRITTEN: usize = 1;

/// Inline storage for a closure: 32 bytes, word-aligned.
type Inline = [usize; 4];

/// How to run or drop the closure stored in an [`Apc`].
struct VTable {
    /// Runs the closure; `false` means it turned out to have nothing to do (a cancelled
    /// timer routine), which an alertable wait does not count as a delivered APC.
    run: unsafe fn(*mut Inline) -> bool,
    drop: unsafe fn(*mut Inline),
}

/// A type-erased `FnOnce() + Send` stored inline (closures up to 32 bytes) or boxed.
pub(crate) struct Apc {
    vtable: &'static VTable,
    data: MaybeUninit<Inline>,
}

// SAFETY: `Apc::new` only accepts `Send` closures, and the storage holds nothing else.
unsafe impl Send for Apc {}

impl std::fmt::Debug for Apc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Apc").finish_non_exhaustive()
    }
}

/// Runs the `F` stored at `data`, consuming it.
///
/// # Safety
/// `data` holds a valid `F` that is never used again.
unsafe fn run_stored<F: FnOnce() -> bool>(data: *mut Inline) -> bool {
    // SAFETY: the caller hands over the only copy of a valid `F`; `fits::<F>()` was checked
    // when it was stored, so size and alignment are right.
    let f = unsafe { data.cast::<F>().read() };
    f()
}

/// Drops the `F` stored at `data`.
///
/// # Safety
/// `data` holds a valid `F` that is never used again.
unsafe fn drop_stored<F>(data: *mut Inline) {
    // SAFETY: as for `run_stored`.
    unsafe { data.cast::<F>().drop_in_place() };
}

/// Whether an `F` can live in the inline storage.
const fn fits<F>() -> bool {
    size_of::<F>() <= size_of::<Inline>() && align_of::<F>() <= align_of::<Inline>()
}

impl Apc {
    /// Stores `f`, inline when it fits, otherwise in a box whose pointer is stored inline.
    #[inline]
    pub(crate) fn new<F: FnOnce() + Send + 'static>(f: F) -> Self {
        // The wrapper captures exactly `f`, so it is the same size.
        Self::new_reporting(move || {
            f();
            true
        })
    }

    /// Like [`new`](Self::new), for a closure that reports whether it did anything: one
    /// that returns `false` does not count as a delivered APC.
    #[inline]
    pub(crate) fn new_reporting<F: FnOnce() -> bool + Send + 'static>(f: F) -> Self {
        if fits::<F>() {
            Self::new_inline(f)
        } else {
            let boxed = Box::new(f);
            Self::new_inline(boxed)
        }
    }

    #[inline]
    fn new_inline<F: FnOnce() -> bool + Send + 'static>(f: F) -> Self {
        // Constant-folded: `new` calls this only for closures that fit.
        assert!(fits::<F>(), "closure too large for inline storage");
        let mut data = MaybeUninit::<Inline>::uninit();
        // SAFETY: `F` fits the storage (asserted above); the storage is ours and empty.
        unsafe { data.as_mut_ptr().cast::<F>().write(f) };
        let vtable = const {
            &VTable {
                run: run_stored::<F>,
                drop: drop_stored::<F>,
            }
        };
        Self { vtable, data }
    }

    /// Runs the closure, consuming it; returns whether it counts as a delivered APC. A
    /// panic in the closure unwinds from here, after the closure's captures were dropped.
    #[inline]
    pub(crate) fn run(self) -> bool {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `data` holds the closure this vtable was made for; `ManuallyDrop` makes
        // sure it is not dropped again after `run` consumed it.
        unsafe { (this.vtable.run)(this.data.as_mut_ptr()) }
    }
}

impl Drop for Apc {
    fn drop(&mut self) {
        // SAFETY: `data` holds the closure this vtable was made for, never run (`run`
        // forgets `self`).
        unsafe { (self.vtable.drop)(self.data.as_mut_ptr()) }
    }
}

/// One cache line per slot: the producer writing slot i+1 does not take the line the
/// consumer is reading slot i from.
#[repr(align(64))]
struct Slot {
    state: AtomicUsize,
    apc: UnsafeCell<MaybeUninit<Apc>>,
}

struct Block {
    next: AtomicPtr<Block>,
    slots: [Slot; BLOCK_CAP],
}

impl Block {
    fn new() -> Box<Self> {
        Box::new(Self {
            next: AtomicPtr::new(ptr::null_mut()),
            slots: std::array::from_fn(|_| Slot {
                state: AtomicUsize::new(EMPTY),
                apc: UnsafeCell::new(MaybeUninit::uninit()),
            }),
        })
    }
}

struct Tail {
    index: AtomicUsize,
    block: AtomicPtr<Block>,
}

struct Head {
    index: usize,
    block: *mut Block,
    /// Set by `close` before it discards anything: from then on `pop` hands out nothing,
    /// even to code that a discarded APC's destructor runs on this thread (Q6).
    closed: bool,
}

/// What a successful push tells the producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// The consumer was not waiting: nothing more to do.
    Running,
    /// This push cleared `PARKED`: the producer must wake the consumer (Q5).
    WakeConsumer,
}

/// What [`ApcQueue::try_park`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Park {
    /// `PARKED` is set: producers will wake the consumer.
    Parked,
    /// APCs are claimed and unread: do not sleep.
    Pending,
    /// The queue is closed: no APC will ever arrive.
    Closed,
}

/// The lock-free APC queue of one thread.
pub(crate) struct ApcQueue {
    tail: CachePadded<Tail>,
    head: CachePadded<UnsafeCell<Head>>,
    spares: [AtomicPtr<Block>; SPARES],
}

// SAFETY: producers share only atomics and slots handed over by the claim protocol (Q2); the
// head is touched by the owning thread alone (Q1); APCs are `Send`.
unsafe impl Send for ApcQueue {}
// SAFETY: as above: every shared access goes through atomics or is ordered by them.
unsafe impl Sync for ApcQueue {}

impl std::fmt::Debug for ApcQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tail = self.tail.index.load(Ordering::Relaxed);
        f.debug_struct("ApcQueue")
            .field("tail", &(tail >> SHIFT))
            .field("parked", &(tail & PARKED != 0))
            .field("closed", &(tail & CLOSED != 0))
            .finish_non_exhaustive()
    }
}

impl ApcQueue {
    pub(crate) fn new() -> Self {
        let first = Box::into_raw(Block::new());
        Self {
            tail: CachePadded::new(Tail {
                index: AtomicUsize::new(0),
                block: AtomicPtr::new(first),
            }),
            head: CachePadded::new(UnsafeCell::new(Head {
                index: 0,
                block: first,
                closed: false,
            })),
            spares: std::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
        }
    }

    /// Appends `apc`; fails, handing it back, once the queue is closed (Q6).
    #[inline]
    pub(crate) fn push(&self, apc: Apc) -> Result<Pushed, Apc> {
        let snooze = Snooze::new();
        let mut tail = self.tail.index.load(Ordering::Acquire);
        let mut spare: Option<*mut Block> = None;
        let claimed = loop {
            if tail & CLOSED != 0 {
                if let Some(block) = spare {
                    self.recycle(block);
                }
                return Err(apc);
            }
            let offset = (tail >> SHIFT) % LAP;
            if offset == BLOCK_CAP {
                // Another producer is installing the next block (Q3): a few instructions.
                snooze.snooze();
                tail = self.tail.index.load(Ordering::Acquire);
                continue;
            }
            if offset + 1 == BLOCK_CAP && spare.is_none() {
                // This claim would take the last slot: have the next block ready first, so
                // the window in which others wait for it stays short.
                spare = Some(self.fresh_block());
            }
            let block = self.tail.block.load(Ordering::Acquire);
            let next = (tail & !PARKED) + (1 << SHIFT);
            match self.tail.index.compare_exchange_weak(
                tail,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break (block, offset, tail & PARKED != 0),
                Err(now) => tail = now,
            }
        };
        let (block, offset, was_parked) = claimed;
        if offset + 1 == BLOCK_CAP {
            let next = spare
                .take()
                .expect("allocated before claiming the last slot");
            self.tail.block.store(next, Ordering::Release);
            self.tail.index.fetch_add(1 << SHIFT, Ordering::Release);
            // SAFETY: our CAS claimed a slot of `block`, so the consumer cannot have
            // finished it (Q4).
            unsafe { (*block).next.store(next, Ordering::Release) };
        }
        if let Some(unused) = spare {
            self.recycle(unused);
        }
        // SAFETY: our CAS claimed `offset` of `block` (Q2), which stays alive until the
        // consumer has read this slot (Q4).
        let slot = unsafe { &(*block).slots[offset] };
        // SAFETY: the claim gives this producer sole access to the slot's storage (Q2).
        slot.apc.with_mut(|p| unsafe { (*p).write(apc) });
        slot.state.store(WRITTEN, Ordering::Release);
        Ok(if was_parked {
            Pushed::WakeConsumer
        } else {
            Pushed::Running
        })
    }

    /// Whether an APC is claimed and not yet taken.
    ///
    /// # Safety
    /// Owner only (Q1).
    #[inline]
    pub(crate) unsafe fn has_pending(&self) -> bool {
        // SAFETY: (Q1), forwarded.
        if unsafe { self.head_written() } {
            return true;
        }
        // SAFETY: (Q1) the owner alone touches the head.
        let head = self.head.with(|h| unsafe { (*h).index });
        self.tail.index.load(Ordering::Acquire) >> SHIFT != head
    }

    /// Whether the slot at the head is written: the cheap check for a consumer that waits
    /// for work. It reads only the line the next producer writes anyway, never the tail
    /// word every push claims with a CAS, so a spinning consumer does not pull that line
    /// away from the producers. It misses a slot claimed but not yet written, which
    /// `has_pending` and `try_park` see.
    ///
    /// # Safety
    /// Owner only (Q1).
    #[inline]
    pub(crate) unsafe fn head_written(&self) -> bool {
        // SAFETY: (Q1) the owner alone touches the head; `head.block` is live (Q4).
        self.head.with(|h| unsafe {
            let head = &*h;
            (*head.block).slots[head.index % LAP]
                .state
                .load(Ordering::Acquire)
                == WRITTEN
        })
    }

    /// Takes the oldest APC to run it, waiting out a producer that has claimed it but not
    /// yet written it. Returns `None` once the queue is closed.
    ///
    /// # Safety
    /// Owner only (Q1).
    #[inline]
    pub(crate) unsafe fn pop(&self) -> Option<Apc> {
        // SAFETY: (Q1), forwarded.
        unsafe { self.take(false) }
    }

    /// Takes the oldest APC; `discarding` lets `close` take them after `closed` is set.
    ///
    /// # Safety
    /// Owner only (Q1).
    #[inline]
    unsafe fn take(&self, discarding: bool) -> Option<Apc> {
        // SAFETY: (Q1) the owner alone touches the head, and not across user code.
        self.head.with_mut(|h| unsafe {
            let head = &mut *h;
            if head.closed && !discarding {
                return None;
            }
            let offset = head.index % LAP;
            let block = head.block;
            // SAFETY: `head.block` is live until we recycle it below (Q4).
            let slot = &(*block).slots[offset];
            // A written slot needs no look at the producers' tail line; only an unwritten
            // one does, to tell "empty" from "claimed, being written".
            if slot.state.load(Ordering::Acquire) != WRITTEN {
                if self.tail.index.load(Ordering::Acquire) >> SHIFT == head.index {
                    return None;
                }
                let snooze = Snooze::new();
                while slot.state.load(Ordering::Acquire) != WRITTEN {
                    snooze.snooze();
                }
            }
            // SAFETY: the slot is written (Q2) and read exactly once: the head moves past it.
            let apc = slot.apc.with(|p| (*p).assume_init_read());
            if offset + 1 == BLOCK_CAP {
                let next = (*block).next.load(Ordering::Acquire);
                debug_assert!(
                    !next.is_null(),
                    "Q3: next block installed before last write"
                );
                head.block = next;
                head.index += 2; // past the last slot and the "installing" offset
                self.recycle(block);
            } else {
                head.index += 1;
            }
            Some(apc)
        })
    }

    /// Announces that the consumer is about to sleep, unless something is pending (Q5). An
    /// announcement still standing from before counts as made (Q7).
    ///
    /// # Safety
    /// Owner only (Q1).
    pub(crate) unsafe fn try_park(&self) -> Park {
        // SAFETY: (Q1).
        let head = self.head.with(|h| unsafe { (*h).index });
        match self.tail.index.compare_exchange(
            head << SHIFT,
            head << SHIFT | PARKED,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => Park::Parked,
            Err(now) if now & CLOSED != 0 => Park::Closed,
            // Still announced, and nothing claimed since (Q7).
            Err(now) if now == head << SHIFT | PARKED => Park::Parked,
            Err(_) => Park::Pending,
        }
    }

    /// Withdraws the announcement of [`try_park`](Self::try_park). Returns `false` when a
    /// producer cleared it first: an APC has arrived and that producer is waking the owner.
    /// Without a standing announcement it also returns `false` and changes nothing.
    ///
    /// # Safety
    /// Owner only (Q1).
    pub(crate) unsafe fn cancel_park(&self) -> bool {
        // SAFETY: (Q1).
        let head = self.head.with(|h| unsafe { (*h).index });
        self.tail
            .index
            .compare_exchange(
                head << SHIFT | PARKED,
                head << SHIFT,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// Closes the queue for good and drops every APC in it (Q6). Idempotent.
    ///
    /// # Safety
    /// Owner only (Q1).
    pub(crate) unsafe fn close(&self) {
        // SAFETY: (Q1).
        self.head.with_mut(|h| unsafe { (*h).closed = true });
        self.tail.index.fetch_or(CLOSED, Ordering::AcqRel);
        // SAFETY: (Q1), forwarded. Each APC is out of the queue before its destructor runs,
        // so a destructor that reaches this queue again finds it consistent.
        while let Some(apc) = unsafe { self.take(true) } {
            drop(apc);
        }
    }

    /// A block for the producer about to install one: a spare if there is one.
    #[cold] // once per BLOCK_CAP pushes
    fn fresh_block(&self) -> *mut Block {
        for spare in &self.spares {
            if !spare.load(Ordering::Relaxed).is_null() {
                let block = spare.swap(ptr::null_mut(), Ordering::Acquire);
                if !block.is_null() {
                    return block;
                }
            }
        }
        Box::into_raw(Block::new())
    }

    /// Resets a block nobody uses any more and keeps it as a spare, or frees it.
    #[cold] // once per BLOCK_CAP pops
    fn recycle(&self, block: *mut Block) {
        // SAFETY: the caller owns `block` exclusively (Q4, or it was never published).
        let b = unsafe { &*block };
        b.next.store(ptr::null_mut(), Ordering::Relaxed);
        for slot in &b.slots {
            slot.state.store(EMPTY, Ordering::Relaxed);
        }
        for spare in &self.spares {
            if spare
                .compare_exchange(ptr::null_mut(), block, Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
        // SAFETY: `block` came from `Box::into_raw` and nobody else holds it.
        drop(unsafe { Box::from_raw(block) });
    }
}

impl Drop for ApcQueue {
    fn drop(&mut self) {
        // `&mut self`: no producer is inside `push`, so every claimed slot is written.
        // SAFETY: exclusive access makes us the owner (Q1).
        unsafe { self.close() };
        // SAFETY: (Q1); the blocks from the head on are ours alone now.
        let mut block = self.head.with(|h| unsafe { (*h).block });
        while !block.is_null() {
            // SAFETY: each block came from `Box::into_raw` and is reachable once.
            let boxed = unsafe { Box::from_raw(block) };
            block = boxed.next.load(Ordering::Relaxed);
        }
        for spare in &self.spares {
            let block = spare.swap(ptr::null_mut(), Ordering::Relaxed);
            if !block.is_null() {
                // SAFETY: spares came from `Box::into_raw` and are owned by the queue.
                drop(unsafe { Box::from_raw(block) });
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::AtomicUsize as StdCounter;
    use std::sync::Arc;

    fn drain(q: &ApcQueue) -> usize {
        let mut n = 0;
        // SAFETY: the test thread is the only consumer.
        while let Some(apc) = unsafe { q.pop() } {
            apc.run();
            n += 1;
        }
        n
    }

    #[test]
    fn fifo_across_blocks() {
        let q = ApcQueue::new();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        for i in 0..(BLOCK_CAP * 5 + 3) {
            let seen = seen.clone();
            q.push(Apc::new(move || seen.lock().unwrap().push(i)))
                .unwrap();
        }
        assert_eq!(drain(&q), BLOCK_CAP * 5 + 3);
        let seen = seen.lock().unwrap();
        assert!(seen.iter().copied().eq(0..BLOCK_CAP * 5 + 3));
    }

    #[test]
    fn large_closures_are_boxed_and_run() {
        let q = ApcQueue::new();
        let big = [7u64; 16];
        let out = Arc::new(StdCounter::new(0));
        let o = out.clone();
        q.push(Apc::new(move || {
            o.store(big.iter().sum::<u64>() as usize, Ordering::Relaxed);
        }))
        .unwrap();
        drain(&q);
        assert_eq!(out.load(Ordering::Relaxed), 112);
    }

    #[test]
    fn park_flag_is_cleared_by_the_first_push_only() {
        let q = ApcQueue::new();
        // SAFETY: the test thread is the owner.
        unsafe {
            assert_eq!(q.try_park(), Park::Parked);
            assert_eq!(q.push(Apc::new(|| ())).unwrap(), Pushed::WakeConsumer);
            assert_eq!(q.push(Apc::new(|| ())).unwrap(), Pushed::Running);
            assert!(!q.cancel_park());
            assert_eq!(q.try_park(), Park::Pending);
            assert_eq!(drain(&q), 2);
            assert_eq!(q.try_park(), Park::Parked);
            assert!(q.cancel_park());
        }
    }

    #[test]
    fn a_standing_announcement_counts_as_parked() {
        let q = ApcQueue::new();
        // SAFETY: the test thread is the owner.
        unsafe {
            assert_eq!(q.try_park(), Park::Parked);
            assert_eq!(q.try_park(), Park::Parked, "Q7: still announced");
            assert_eq!(q.push(Apc::new(|| ())).unwrap(), Pushed::WakeConsumer);
            assert_eq!(q.try_park(), Park::Pending);
            assert_eq!(drain(&q), 1);
            assert_eq!(q.try_park(), Park::Parked);
            q.close();
            assert_eq!(
                q.try_park(),
                Park::Closed,
                "closed wins over a standing announcement"
            );
        }
    }

    #[test]
    fn close_drops_pending_and_refuses_pushes() {
        let q = ApcQueue::new();
        let token = Arc::new(());
        for _ in 0..(BLOCK_CAP + 2) {
            let t = token.clone();
            q.push(Apc::new(move || drop(t))).unwrap();
        }
        // SAFETY: the test thread is the owner.
        unsafe { q.close() };
        assert_eq!(Arc::strong_count(&token), 1, "pending APCs were dropped");
        let t = token.clone();
        assert!(q.push(Apc::new(move || drop(t))).is_err());
        assert_eq!(Arc::strong_count(&token), 1, "the refused APC was dropped");
        // SAFETY: as above.
        unsafe { assert_eq!(q.try_park(), Park::Closed) };
    }

    #[test]
    fn drop_releases_unrun_apcs() {
        let token = Arc::new(());
        {
            let q = ApcQueue::new();
            for _ in 0..100 {
                let t = token.clone();
                q.push(Apc::new(move || drop(t))).unwrap();
            }
        }
        assert_eq!(Arc::strong_count(&token), 1);
    }

    #[test]
    fn panicking_apc_leaves_the_rest_queued() {
        let q = ApcQueue::new();
        let ran = Arc::new(StdCounter::new(0));
        q.push(Apc::new(|| panic!("boom"))).unwrap();
        let r = ran.clone();
        q.push(Apc::new(move || {
            r.fetch_add(1, Ordering::Relaxed);
        }))
        .unwrap();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drain(&q)));
        assert!(result.is_err());
        assert_eq!(drain(&q), 1);
        assert_eq!(ran.load(Ordering::Relaxed), 1);
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicUsize as Counter;

    /// Runs `producers` threads that push `per_producer` APCs each while the owner takes
    /// two APCs concurrently, then the rest: every APC runs exactly once, and each
    /// producer's APCs run in its order (Q2–Q4). With `BLOCK_CAP` = 2 under loom, three
    /// APCs cross a block boundary, so the block hand-over is part of every model.
    fn check_exactly_once_fifo(producers: usize, per_producer: usize) {
        let mut model = loom::model::Builder::new();
        // Waiting out a producer that is installing a block, or writing a claimed slot,
        // is a (bounded) spin: give loom room for it.
        model.max_branches = 20_000;
        if model.preemption_bound.is_none() {
            model.preemption_bound = Some(3);
        }
        model.check(move || {
            let q = Arc::new(ApcQueue::new());
            let log: Arc<Vec<Counter>> =
                Arc::new((0..producers).map(|_| Counter::new(0)).collect());
            let threads: Vec<_> = (0..producers)
                .map(|p| {
                    let (q, log) = (q.clone(), log.clone());
                    loom::thread::spawn(move || {
                        for i in 0..per_producer {
                            let log = log.clone();
                            let apc = Apc::new(move || {
                                let prev = log[p].fetch_add(1, Ordering::Relaxed);
                                assert_eq!(prev, i, "producer {p}'s APCs out of order");
                            });
                            q.push(apc).unwrap();
                        }
                    })
                })
                .collect();
            // Take what is there while the producers run (no polling loop: loom explores
            // every interleaving of these attempts), then the rest.
            for _ in 0..2 {
                // SAFETY: this thread is the only consumer.
                if let Some(apc) = unsafe { q.pop() } {
                    apc.run();
                }
            }
            for t in threads {
                t.join().unwrap();
            }
            // SAFETY: as above.
            while let Some(apc) = unsafe { q.pop() } {
                apc.run();
            }
            for count in log.iter() {
                assert_eq!(count.load(Ordering::Relaxed), per_producer, "exactly once");
            }
        });
    }

    /// One producer, three APCs across a block boundary, consumer running concurrently.
    #[test]
    fn one_producer_across_blocks() {
        check_exactly_once_fifo(1, 3);
    }

    /// Two producers racing for the last slot of a block and its successor: the loser
    /// finds the block being installed and waits for it. (Three producers make loom's
    /// search explode on that bounded spin, so the model stops at two.)
    #[test]
    fn two_producers_race_for_the_block_end() {
        check_exactly_once_fifo(2, 1);
    }

    /// One producer through two block hand-overs, the first block recycled as a spare.
    #[test]
    fn one_producer_reuses_a_spare_block() {
        check_exactly_once_fifo(1, 5);
    }

    /// Closing races a push: the APC either is refused or is dropped by `close`; it never
    /// runs and never leaks (Q6).
    #[test]
    fn close_races_push() {
        loom::model(|| {
            let q = Arc::new(ApcQueue::new());
            let token = Arc::new(());
            let (q2, t2) = (q.clone(), token.clone());
            let producer = loom::thread::spawn(move || {
                let _ = q2.push(Apc::new(move || {
                    drop(t2);
                    panic!("an APC ran after close");
                }));
            });
            // SAFETY: this thread is the owner.
            unsafe { q.close() };
            producer.join().unwrap();
            // SAFETY: as above. A push that won the race before CLOSED is dropped here.
            unsafe { q.close() };
            assert_eq!(Arc::strong_count(&token), 1);
        });
    }
}
