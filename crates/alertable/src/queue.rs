//! The per-thread APC queue: lock-free multi-producer, single-consumer, FIFO, with the
//! consumer's "I am going to sleep" flag folded into the producers' tail word.
//!
//! # Shape
//!
//! APCs live in a linked list of blocks of `BLOCK_CAP` slots. A producer claims a slot with
//! one fetch-and-add on the tail word, which names the current block (by its generation:
//! the blocks are numbered as they are installed) and the next free offset in it; it finds
//! the block through `tail.block`, writes the APC into the slot inline and marks it
//! written. The claim never fails and never retries, so producers that push at once each
//! pay one atomic operation on the tail line, not a compare-and-swap loop that they keep
//! losing to each other. The owning thread (the consumer) keeps a private head and takes slots in order.
//! Blocks the consumer has finished go to a few spare slots that producers take before
//! allocating, so a queue in steady use allocates nothing. The producer of a block's middle
//! slot makes sure a spare is there (allocating one if not), so the producer that claims
//! the last slot installs the next block with a few stores: producers that overshoot
//! wait for that, never for an allocation.
//!
//! # The tail word
//!
//! ```text
//!   tail = generation << GEN_SHIFT | offset << SHIFT | PARKED | CLOSED
//! ```
//!
//! An offset below `BLOCK_CAP` names a slot of the block of that generation; at or above it
//! the block is full, and the producer that claimed its last slot is installing the next
//! one (Q3). The word is 64 bits on every target. Generations are compared only for
//! equality, between blocks alive at once, so their wrapping after 2^39 blocks does no
//! harm.
//!
//! | bit      | meaning                                              | set by              | cleared by                 |
//! |----------|------------------------------------------------------|---------------------|----------------------------|
//! | `PARKED` | the consumer found the queue empty and may sleep, or watches a readiness descriptor (Q7) | consumer (`try_park`) | a producer whose claim found it set (the one whose fetch-and-and finds it must wake), or the consumer (`cancel_park`) |
//! | `CLOSED` | the owning thread has exited; pushes fail            | consumer (`close`)  | never                      |
//!
//! # Invariants
//!
//! - (Q1) Only the owning thread calls the consumer operations (`pop`, `has_pending`,
//!   `try_park`, `cancel_park`, `close`), and never two at once; the head is touched only
//!   by them and never across a call into user code.
//! - (Q2) A slot is written by exactly the producer whose fetch-and-add returned its
//!   block's generation and its offset with `CLOSED` clear, and read by the consumer only after it sees the slot's
//!   `WRITTEN` state (`Release`/`Acquire`). A fetch-and-add that returns an offset at or
//!   past `BLOCK_CAP` (an *overshoot*) or `CLOSED` set claims nothing.
//! - (Q3) The producer that claims the last slot of a block installs the next one before
//!   it writes its slot: it gives it the next generation and a back link (`prev`), links
//!   `block.next`, stores it in `tail.block`, then swaps the tail word to its generation at
//!   offset 0, keeping the flags (which wipes the overshoots); so a consumer that has read
//!   the last slot finds `next` set, and finds the tail word moved on.
//! - (Q4) A block is recycled or freed only by the consumer, after it has read every slot;
//!   no producer touches a block after marking its slot written. A producer dereferences
//!   blocks only while it holds an unwritten slot: it loads `tail.block` after its claim,
//!   which gives its own block or a later one (the installer stores `tail.block` before
//!   the swap that starts a generation), and walks back along `prev` to its generation.
//!   The consumer cannot get past the unwritten slot, so its block and every later one
//!   stay alive. An overshooting producer dereferences nothing: it waits (reading only the
//!   tail word) until the word names another generation, then claims again.
//! - (Q5) `PARKED` is set only when the tail word names exactly the head (nothing claimed
//!   and unread). A producer whose claim returns it set clears it with a fetch-and-and
//!   *before* it writes its slot; exactly one producer's fetch-and-and finds it set, and
//!   that producer wakes the consumer: one wake per batch. No lost wake-up: the consumer
//!   cannot take the first slot claimed after the announcement, let alone announce again,
//!   before the flag is clear, and an announcement needs the tail word to equal the head.
//! - (Q6) Once `CLOSED` is set no claim succeeds; a producer whose fetch-and-add found it
//!   takes its increment back (unless the word has moved to another generation, whose
//!   swap wiped it), so the offset cannot grow without bound. The consumer drops every APC claimed
//!   before the flag (waiting for writes in progress), so none runs and none leaks.
//! - (Q7) The consumer may leave `PARKED` standing while it runs: a thread that watches a
//!   readiness descriptor keeps its announcement up while it is out in its event loop, and
//!   `try_park` on a standing announcement reports `Parked` again. Nothing else changes:
//!   Q5 still holds (a standing announcement still means "nothing claimed and unread"),
//!   and the claim that clears it still tells exactly one producer to wake the consumer,
//!   which then also notifies the descriptor (see `notifier.rs`).
//! - (Q8) The offset never carries into the generation: it exceeds `BLOCK_CAP` only by
//!   overshoots and by `CLOSED` claims not yet taken back, at most one of each per
//!   producing thread at a time, and Linux has fewer threads (`PID_MAX_LIMIT`, 2^22) than
//!   the offset's room (2^23).
//!
//! # Ordering
//!
//! The claim is an `AcqRel` fetch-and-add: it acquires the swap that started its generation
//! (Q3, `Release`), and so the `tail.block` stored before it, and the consumer's
//! announcement. Publishing a slot is a `Release` store of `WRITTEN` read with `Acquire`;
//! linking a block (`next`, `tail.block`) is a `Release` store read with `Acquire`, and a
//! block's `generation` and `prev` are written before it is linked. The parked hand-off needs no fence: the flag and the claim are one atomic
//! word (Q5), so coherence alone orders them; the wake-up itself is the parker's business.

use std::mem::{ManuallyDrop, MaybeUninit};
use std::ptr;

use crate::sync::{AtomicPtr, AtomicU64, AtomicUsize, CachePadded, Ordering, Snooze, UnsafeCell};

/// Slots per block. Small under loom so models cross block boundaries.
const BLOCK_CAP: usize = if cfg!(loom) { 2 } else { 31 };
/// Low bits of the tail word that are flags, not offset.
const SHIFT: u32 = 2;
const CLOSED: u64 = 0b01;
const PARKED: u64 = 0b10;
const FLAGS: u64 = CLOSED | PARKED;
/// Where the generation starts in the tail word: below it, the flags and 23 bits of offset;
/// above it, 39 bits of generation (the word is 64 bits on every target).
const GEN_SHIFT: u32 = 25;
/// The offset's bits in the tail word.
const OFFSET_MASK: u64 = ((1 << GEN_SHIFT) - 1) & !FLAGS;
/// The generation's bits in the tail word.
const GEN_MASK: u64 = !((1 << GEN_SHIFT) - 1);
// Q8: room for every thread Linux can have (PID_MAX_LIMIT = 2^22) past the last slot.
const _: () = assert!(OFFSET_MASK >> SHIFT >= (1 << 22) + BLOCK_CAP as u64);
/// Finished blocks kept for reuse.
const SPARES: usize = if cfg!(loom) { 1 } else { 3 };
/// The offset whose producer, once its slot is written, makes sure a spare block is ready
/// for the block after this one, so the installer of that block does not allocate (Q3).
const PROVISION_AT: usize = BLOCK_CAP / 2;

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
    /// The block before it, for a producer that finds `tail.block` past its own (Q4).
    prev: AtomicPtr<Block>,
    /// Its generation, in the tail word's bits (`GEN_MASK`); set before it is installed.
    generation: AtomicU64,
    slots: [Slot; BLOCK_CAP],
}

impl Block {
    fn new() -> *mut Self {
        Box::into_raw(Box::new(Self {
            next: AtomicPtr::new(ptr::null_mut()),
            prev: AtomicPtr::new(ptr::null_mut()),
            generation: AtomicU64::new(0),
            slots: std::array::from_fn(|_| Slot {
                state: AtomicUsize::new(EMPTY),
                apc: UnsafeCell::new(MaybeUninit::uninit()),
            }),
        }))
    }
}

/// The next generation after `generation` (the tail word's bits, wrapping).
#[inline]
fn next_generation(generation: u64) -> u64 {
    generation.wrapping_add(1 << GEN_SHIFT)
}

/// The offset a tail word names: a slot below `BLOCK_CAP`, a full block at or above it.
#[inline]
fn offset_of(word: u64) -> usize {
    // At most 23 bits: fits any `usize`.
    ((word & OFFSET_MASK) >> SHIFT) as usize
}

struct Tail {
    /// The tail word (see the module docs).
    word: AtomicU64,
    /// The block of the current generation, or of the next while it is being installed.
    block: AtomicPtr<Block>,
}

struct Head {
    block: *mut Block,
    /// `block`'s generation, kept here so that comparing with the tail reads one line.
    generation: u64,
    offset: usize,
    /// Set by `close` before it discards anything: from then on `pop` hands out nothing,
    /// even to code that a discarded APC's destructor runs on this thread (Q6).
    closed: bool,
}

impl Head {
    /// The tail word that names the head: the queue is empty when the tail equals it.
    #[inline]
    fn word(&self) -> u64 {
        self.generation | (self.offset as u64) << SHIFT
    }
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
        let tail = self.tail.word.load(Ordering::Relaxed);
        f.debug_struct("ApcQueue")
            .field("tail_generation", &(tail >> GEN_SHIFT))
            .field("tail_offset", &offset_of(tail))
            .field("parked", &(tail & PARKED != 0))
            .field("closed", &(tail & CLOSED != 0))
            .finish_non_exhaustive()
    }
}

impl ApcQueue {
    pub(crate) fn new() -> Self {
        let first = Block::new();
        Self {
            tail: CachePadded::new(Tail {
                word: AtomicU64::new(0),
                block: AtomicPtr::new(first),
            }),
            head: CachePadded::new(UnsafeCell::new(Head {
                block: first,
                generation: 0,
                offset: 0,
                closed: false,
            })),
            spares: std::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
        }
    }

    /// Appends `apc`; fails, handing it back, once the queue is closed (Q6).
    #[inline]
    pub(crate) fn push(&self, apc: Apc) -> Result<Pushed, Apc> {
        let claimed = loop {
            let word = self.tail.word.fetch_add(1 << SHIFT, Ordering::AcqRel);
            if word & CLOSED != 0 {
                self.take_back(word);
                return Err(apc);
            }
            if offset_of(word) < BLOCK_CAP {
                break word;
            }
            // An overshoot (Q2): the block is full and the producer of its last slot is
            // installing the next, a few instructions. Not ours to touch (Q4).
            self.wait_past(word);
        };
        let offset = offset_of(claimed);
        // Lets a model run other producers between the claim and the lookup, where one
        // may fill the block and install the next (Q4); loom does not split them itself.
        #[cfg(loom)]
        loom::thread::yield_now();
        // Before the slot is written, so the consumer cannot take it (and announce again)
        // while the flag still stands (Q5).
        let wake = claimed & PARKED != 0
            && self.tail.word.fetch_and(!PARKED, Ordering::AcqRel) & PARKED != 0;
        let block = self.find_block(claimed & GEN_MASK);
        if offset + 1 == BLOCK_CAP {
            // SAFETY: our claim of the last slot of `block` keeps it alive (Q4).
            unsafe { self.install_next(block, claimed & GEN_MASK) };
        }
        // SAFETY: our claim gave us `offset` of `block` (Q2), which stays alive until the
        // consumer has read this slot (Q4).
        let slot = unsafe { &(*block).slots[offset] };
        // SAFETY: the claim gives this producer sole access to the slot's storage (Q2).
        slot.apc.with_mut(|p| unsafe { (*p).write(apc) });
        slot.state.store(WRITTEN, Ordering::Release);
        if offset == PROVISION_AT {
            self.provision();
        }
        Ok(if wake {
            Pushed::WakeConsumer
        } else {
            Pushed::Running
        })
    }

    /// The block of `generation`, in which the caller holds a claimed, unwritten slot: the
    /// one in `tail.block`, or an earlier one (Q4).
    #[inline]
    fn find_block(&self, generation: u64) -> *mut Block {
        let mut block = self.tail.block.load(Ordering::Acquire);
        // SAFETY: the caller's unwritten slot keeps its block and every later one alive
        // (Q4), and `tail.block` is no earlier than its block: the claim acquired the swap
        // that started its generation, which came after the store.
        while unsafe { (*block).generation.load(Ordering::Relaxed) } != generation {
            // SAFETY: as above; `block` is later than the caller's, so `prev` is set.
            block = unsafe { (*block).prev.load(Ordering::Acquire) };
        }
        block
    }

    /// After an overshoot on the generation `claimed` names: waits until the tail word
    /// names another (its installer's swap wipes the overshoot, Q3) or the queue closes.
    #[cold]
    fn wait_past(&self, claimed: u64) {
        let snooze = Snooze::new();
        loop {
            snooze.snooze();
            let now = self.tail.word.load(Ordering::Acquire);
            if now & GEN_MASK != claimed & GEN_MASK || now & CLOSED != 0 {
                return;
            }
        }
    }

    /// Takes back the increment of a claim that found the queue closed (Q6), unless the
    /// word has moved to another generation, whose swap wiped it (Q3). After `CLOSED` at
    /// most one swap happens (that of a last slot claimed before it), so the word never
    /// comes back to the generation: the increment is still there when it is the same.
    #[cold]
    fn take_back(&self, claimed: u64) {
        let mut now = self.tail.word.load(Ordering::Relaxed);
        while now & GEN_MASK == claimed & GEN_MASK {
            debug_assert!(offset_of(now) > 0, "Q6: our increment is in the word");
            match self.tail.word.compare_exchange_weak(
                now,
                now - (1 << SHIFT),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => now = actual,
            }
        }
    }

    /// Installs the block after `block`, of `generation`, whose last slot the caller
    /// claimed (Q3): gives it the next generation, links it both ways, stores it in
    /// `tail.block`, then swaps the tail word to its first slot, keeping the flags.
    ///
    /// # Safety
    /// The caller claimed the last slot of `block` and has not written it yet.
    #[cold] // once per BLOCK_CAP pushes
    unsafe fn install_next(&self, block: *mut Block, generation: u64) {
        let next = self.fresh_block();
        let next_gen = next_generation(generation);
        // SAFETY: `next` is ours alone until the stores below publish it.
        unsafe {
            (*next).generation.store(next_gen, Ordering::Relaxed);
            (*next).prev.store(block, Ordering::Relaxed);
        }
        // SAFETY: the caller's unwritten claim keeps `block` alive (Q4).
        unsafe { (*block).next.store(next, Ordering::Release) };
        self.tail.block.store(next, Ordering::Release);
        let mut now = self.tail.word.load(Ordering::Relaxed);
        loop {
            debug_assert_eq!(
                now & GEN_MASK,
                generation,
                "Q3: only the installer moves the word"
            );
            match self.tail.word.compare_exchange_weak(
                now,
                next_gen | now & FLAGS,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => now = actual,
            }
        }
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
        let head = self.head.with(|h| unsafe { (*h).word() });
        let tail = self.tail.word.load(Ordering::Acquire);
        // A closed queue hands out nothing; claims that found it closed are void (Q6).
        tail & CLOSED == 0 && tail & !FLAGS != head
    }

    /// Whether the slot at the head is written: the cheap check for a consumer that waits
    /// for work. It reads only the line the next producer writes anyway, never the tail
    /// word every push claims on, so a spinning consumer does not pull that line away
    /// from the producers. It misses a slot claimed but not yet written, which
    /// `has_pending` and `try_park` see.
    ///
    /// # Safety
    /// Owner only (Q1).
    #[inline]
    pub(crate) unsafe fn head_written(&self) -> bool {
        // SAFETY: (Q1) the owner alone touches the head; `head.block` is live (Q4).
        self.head.with(|h| unsafe {
            let head = &*h;
            (*head.block).slots[head.offset]
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

    /// Takes the oldest APC; `discarding` lets `close` take them after `closed` is set, and
    /// makes it wait for the head slot unconditionally (`close` knows it was claimed).
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
            let (block, offset) = (head.block, head.offset);
            // SAFETY: `head.block` is live until we recycle it below (Q4).
            let slot = &(*block).slots[offset];
            // A written slot needs no look at the producers' tail line; only an unwritten
            // one does, to tell "empty" from "claimed, being written". The tail is read
            // again while waiting: an installer's swap or a taken-back claim (Q3, Q6) can
            // make it equal the head again.
            if slot.state.load(Ordering::Acquire) != WRITTEN {
                let snooze = Snooze::new();
                loop {
                    if !discarding && self.tail.word.load(Ordering::Acquire) & !FLAGS == head.word()
                    {
                        return None;
                    }
                    if slot.state.load(Ordering::Acquire) == WRITTEN {
                        break;
                    }
                    snooze.snooze();
                }
            }
            // SAFETY: the slot is written (Q2) and read exactly once: the head moves past it.
            let apc = slot.apc.with(|p| (*p).assume_init_read());
            if offset + 1 == BLOCK_CAP {
                let next = (*block).next.load(Ordering::Acquire);
                debug_assert!(
                    !next.is_null(),
                    "Q3: next block linked before the last write"
                );
                head.block = next;
                head.generation = next_generation(head.generation);
                head.offset = 0;
                self.recycle(block);
            } else {
                head.offset += 1;
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
        let head = self.head.with(|h| unsafe { (*h).word() });
        match self.tail.word.compare_exchange(
            head,
            head | PARKED,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => Park::Parked,
            Err(now) if now & CLOSED != 0 => Park::Closed,
            // Still announced, and nothing claimed since (Q7).
            Err(now) if now == head | PARKED => Park::Parked,
            Err(_) => Park::Pending,
        }
    }

    /// Withdraws the announcement of [`try_park`](Self::try_park). Returns `false` when a
    /// producer claimed a slot first: that producer (or one claiming with it) clears the
    /// flag and wakes the owner (Q5). Without a standing announcement it also returns
    /// `false` and changes nothing.
    ///
    /// # Safety
    /// Owner only (Q1).
    pub(crate) unsafe fn cancel_park(&self) -> bool {
        // SAFETY: (Q1).
        let head = self.head.with(|h| unsafe { (*h).word() });
        self.tail
            .word
            .compare_exchange(head | PARKED, head, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Closes the queue for good and drops every APC in it (Q6). Idempotent.
    ///
    /// # Safety
    /// Owner only (Q1).
    pub(crate) unsafe fn close(&self) {
        // SAFETY: (Q1).
        let again = self
            .head
            .with_mut(|h| unsafe { std::mem::replace(&mut (*h).closed, true) });
        if again {
            // The first close dropped every APC claimed before `CLOSED`; none came after.
            return;
        }
        let at_close = self.tail.word.fetch_or(CLOSED, Ordering::AcqRel);
        // The claims made before the flag end at the offset it names, or, when that block
        // was full (overshoots in the offset), with its last slot, whose producer links the
        // next block (Q3): the head then moves past the block.
        let (end_gen, end) = (at_close & GEN_MASK, offset_of(at_close));
        let mut reached = false;
        loop {
            // SAFETY: (Q1).
            let (generation, offset) = self
                .head
                .with(|h| unsafe { ((*h).generation, (*h).offset) });
            if generation == end_gen {
                reached = true;
                if offset >= end {
                    break;
                }
            } else if reached {
                break;
            }
            // SAFETY: (Q1), forwarded. The head slot was claimed before `CLOSED`, so it
            // gets written. Each APC is out of the queue before its destructor runs, so a
            // destructor that reaches this queue again finds it consistent.
            drop(unsafe { self.take(true) });
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
        Block::new()
    }

    /// Makes sure a spare block is ready for the next installer, allocating one if there is
    /// none. Called by a producer after it wrote its slot, so the allocation holds up
    /// neither the consumer (waiting for that slot) nor the producers that overshoot while
    /// the next block is installed (Q3): those wait only for a few stores.
    #[cold] // once per BLOCK_CAP pushes
    fn provision(&self) {
        if self
            .spares
            .iter()
            .all(|spare| spare.load(Ordering::Relaxed).is_null())
        {
            self.stash(Block::new());
        }
    }

    /// Resets a block nobody uses any more and keeps it as a spare, or frees it.
    #[cold] // once per BLOCK_CAP pops
    fn recycle(&self, block: *mut Block) {
        if self
            .spares
            .iter()
            .all(|spare| !spare.load(Ordering::Relaxed).is_null())
        {
            // No room: not worth resetting (a consumer far behind its producers frees
            // most of the blocks it finishes).
            // SAFETY: `block` came from `Box::into_raw` and the caller owns it (Q4).
            return drop(unsafe { Box::from_raw(block) });
        }
        // SAFETY: the caller owns `block` exclusively (Q4).
        let b = unsafe { &*block };
        b.next.store(ptr::null_mut(), Ordering::Relaxed);
        for slot in &b.slots {
            slot.state.store(EMPTY, Ordering::Relaxed);
        }
        self.stash(block);
    }

    /// Keeps `block`, empty and unlinked, as a spare, or frees it when every spare slot is
    /// taken.
    fn stash(&self, block: *mut Block) {
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

    /// A push that finds the queue closed takes its increment back (Q6), so refused pushes
    /// cannot grow the offset into the generation's bits (Q8).
    #[test]
    fn refused_pushes_leave_the_tail_word_as_close_left_it() {
        let q = ApcQueue::new();
        for _ in 0..BLOCK_CAP + 3 {
            q.push(Apc::new(|| ())).unwrap();
        }
        // SAFETY: the test thread is the owner.
        unsafe { q.close() };
        let closed = q.tail.word.load(Ordering::Relaxed);
        for _ in 0..10_000 {
            assert!(q.push(Apc::new(|| ())).is_err());
        }
        assert_eq!(q.tail.word.load(Ordering::Relaxed), closed);
    }

    /// Producers push across many blocks while the owner takes what arrives and then
    /// closes the queue: every APC either ran before the close, or was refused, or was
    /// dropped by the close (Q6), and each producer's APCs that ran, ran in its order.
    #[test]
    fn close_during_a_burst_of_pushes_loses_and_leaks_nothing() {
        const PRODUCERS: usize = 4;
        const PER_PRODUCER: usize = 100 * BLOCK_CAP;
        let q = Arc::new(ApcQueue::new());
        let token = Arc::new(());
        let ran: Arc<Vec<StdCounter>> =
            Arc::new((0..PRODUCERS).map(|_| StdCounter::new(0)).collect());
        let start = Arc::new(std::sync::Barrier::new(PRODUCERS + 1));
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (q, token, ran, start) = (q.clone(), token.clone(), ran.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    let mut refused = 0;
                    for i in 0..PER_PRODUCER {
                        let (t, ran) = (token.clone(), ran.clone());
                        let apc = Apc::new(move || {
                            let prev = ran[p].fetch_add(1, Ordering::Relaxed);
                            assert_eq!(prev, i, "producer {p}'s APCs out of order");
                            drop(t);
                        });
                        if q.push(apc).is_err() {
                            refused += 1;
                        }
                    }
                    refused
                })
            })
            .collect();
        start.wait();
        // Take a share of what arrives, then close while the producers still push.
        for _ in 0..PRODUCERS * PER_PRODUCER / 2 {
            // SAFETY: the test thread is the owner.
            match unsafe { q.pop() } {
                Some(apc) => {
                    apc.run();
                }
                None => std::hint::spin_loop(),
            }
        }
        // SAFETY: as above.
        unsafe { q.close() };
        let refused: usize = producers.into_iter().map(|p| p.join().unwrap()).sum();
        let ran: usize = ran.iter().map(|r| r.load(Ordering::Relaxed)).sum();
        assert!(ran + refused <= PRODUCERS * PER_PRODUCER);
        assert_eq!(Arc::strong_count(&token), 1, "every APC ran or was dropped");
    }

    /// The producer halfway through a block readies a spare, and the installer of the next
    /// block takes it: the block hand-over, which overshooting producers wait for, does
    /// not allocate.
    #[test]
    fn a_spare_is_ready_before_the_block_fills() {
        let q = ApcQueue::new();
        let spares = |q: &ApcQueue| {
            q.spares
                .iter()
                .filter(|s| !s.load(Ordering::Relaxed).is_null())
                .count()
        };
        for _ in 0..PROVISION_AT {
            q.push(Apc::new(|| ())).unwrap();
        }
        assert_eq!(spares(&q), 0, "a fresh queue has no spare");
        q.push(Apc::new(|| ())).unwrap();
        assert_eq!(spares(&q), 1, "pushing slot PROVISION_AT readies one");
        let provisioned = q.spares[0].load(Ordering::Relaxed);
        for _ in PROVISION_AT + 1..BLOCK_CAP {
            q.push(Apc::new(|| ())).unwrap();
        }
        assert_eq!(spares(&q), 0, "the installer took it");
        assert_eq!(q.tail.block.load(Ordering::Relaxed), provisioned);
        assert_eq!(drain(&q), BLOCK_CAP);
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
        check_exactly_once_fifo_from(0, producers, per_producer);
    }

    /// Runs `f` under loom on a queue whose owner (the calling thread, its only consumer)
    /// has pushed and taken `skip` APCs of its own, so that the next push lands that far
    /// into the first block.
    fn model_from(skip: usize, f: impl Fn(Arc<ApcQueue>) + Sync + Send + 'static) {
        let mut model = loom::model::Builder::new();
        // Waiting out a producer that is installing a block, or writing a claimed slot,
        // is a (bounded) spin: give loom room for it.
        model.max_branches = 20_000;
        if model.preemption_bound.is_none() {
            model.preemption_bound = Some(3);
        }
        model.check(move || {
            let q = Arc::new(ApcQueue::new());
            for _ in 0..skip {
                q.push(Apc::new(|| ())).unwrap();
                // SAFETY: this thread is the only consumer.
                unsafe { q.pop() }.unwrap().run();
            }
            f(q);
        });
    }

    /// As [`check_exactly_once_fifo`], after the owner has pushed and taken `skip` APCs of
    /// its own, so that the producers start that far into the first block.
    fn check_exactly_once_fifo_from(skip: usize, producers: usize, per_producer: usize) {
        model_from(skip, move |q| {
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

    /// Two producers race for the last slot of the first block: one claims it and
    /// installs the next block, the other overshoots and waits for the swap (Q3, Q4),
    /// then claims the first slot of the new block.
    /// The owner takes nothing while they run: the overshooting producer's wait already
    /// multiplies the interleavings.
    #[test]
    fn a_producer_overshoots_while_the_next_block_is_installed() {
        model_from(BLOCK_CAP - 1, |q| {
            let ran = Arc::new(Counter::new(0));
            let producers: Vec<_> = (0..2)
                .map(|_| {
                    let (q, ran) = (q.clone(), ran.clone());
                    loom::thread::spawn(move || {
                        q.push(Apc::new(move || {
                            ran.fetch_add(1, Ordering::Relaxed);
                        }))
                        .unwrap();
                    })
                })
                .collect();
            for p in producers {
                p.join().unwrap();
            }
            // SAFETY: as above.
            while let Some(apc) = unsafe { q.pop() } {
                apc.run();
            }
            assert_eq!(ran.load(Ordering::Relaxed), 2, "exactly once");
            // The second block was installed and the first recycled: the word names it.
            // SAFETY: as above.
            assert_eq!(unsafe { q.try_park() }, Park::Parked);
        });
    }

    /// The consumer announces its sleep, two producers claim, and the consumer withdraws
    /// concurrently: when the withdrawal fails exactly one producer is told to wake it,
    /// when it succeeds none is (Q5: the flag is cleared by one fetch-and-and). The claims
    /// are the last slot of a block and an overshoot or the first of the next, so the
    /// installer's swap must keep a flag that is still standing.
    #[test]
    fn one_wake_per_announcement() {
        model_from(BLOCK_CAP - 1, |q| {
            // SAFETY: as above.
            assert_eq!(unsafe { q.try_park() }, Park::Parked);
            let producers: Vec<_> = (0..2)
                .map(|_| {
                    let q = q.clone();
                    loom::thread::spawn(move || q.push(Apc::new(|| ())).unwrap())
                })
                .collect();
            // SAFETY: as above.
            let withdrew = unsafe { q.cancel_park() };
            let wakes = producers
                .into_iter()
                .map(|p| p.join().unwrap())
                .filter(|&pushed| pushed == Pushed::WakeConsumer)
                .count();
            assert_eq!(wakes, usize::from(!withdrew), "one wake per announcement");
            // SAFETY: as above.
            unsafe {
                assert_eq!(q.try_park(), Park::Pending);
                q.pop().unwrap().run();
                q.pop().unwrap().run();
                assert!(q.pop().is_none());
                assert_eq!(q.try_park(), Park::Parked);
            }
        });
    }

    /// The consumer takes what is there and announces its sleep while a producer pushes:
    /// either the consumer took the APC, or its announcement failed, or the producer was
    /// told to wake it. Never a sleeper with an APC queued and nobody waking it (Q5).
    #[test]
    fn no_lost_wake_up() {
        loom::model(|| {
            let q = Arc::new(ApcQueue::new());
            let producer = {
                let q = q.clone();
                loom::thread::spawn(move || q.push(Apc::new(|| ())).unwrap())
            };
            // SAFETY: this thread is the only consumer.
            let took = unsafe { q.pop() }.map(Apc::run).is_some();
            // SAFETY: as above.
            let parked = unsafe { q.try_park() } == Park::Parked;
            let woke = producer.join().unwrap() == Pushed::WakeConsumer;
            assert!(
                !parked || took || woke,
                "an APC queued to a sleeper nobody wakes"
            );
            assert!(!(took && woke), "a wake for an APC already taken");
        });
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
