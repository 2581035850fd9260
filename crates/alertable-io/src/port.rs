//! I/O completion ports: [`CompletionPort`].
//!
//! # State
//!
//! A port's shared state has three parts:
//!
//! - the queued packets, in a lock-free FIFO (`SegQueue`);
//! - `Synced`, behind the port's own mutex (the *port lock*): the stack of threads waiting
//!   in `get` (most recent on top, each represented by its `Slot`), the running count,
//!   whether threads wait on the port as an object, and the closed flag;
//! - `flags`, an atomic copy of the closed flag, for the paths that take no lock.
//!
//! Each thread also keeps, in a thread-local `Member`, the port it is *associated* with (the
//! one it last took a packet from), whether it counts in that port's running count right
//! now (`active`), and a reusable slot for its own `get` calls.
//!
//! Packets are pushed only under the port lock, where `post` decides between queueing and
//! handing the packet straight to a getter. They are popped under the lock, or — the fast
//! lane — without it by a thread that is running on the port and calls `get` on it again:
//! it gives up its place in the running count and takes it back with the packet, so nothing
//! else changes. With one poster and running workers, the port lock then stays with the
//! poster and the workers touch only the queue's head.
//!
//! A getter pushes its slot on the stack and, if a post could hand it a packet at once,
//! watches the slot for a moment; then it sleeps on its own thread's parker, through
//! `alertable::park_until`, which gives it the timeout, the APC wake-up of the alertable
//! form and the block reports of the core, as an object wait would, but takes no
//! dispatcher lock on either side: the popper unparks the getter's thread directly. The
//! slot's `state`:
//!
//! | state    | meaning                                            | set by                                 |
//! |----------|----------------------------------------------------|----------------------------------------|
//! | `AWAKE`  | on the stack; watching the slot, or about to sleep | the getter, under the port lock        |
//! | `ASLEEP` | on the stack; parked (or about to be)              | the getter (CAS from `AWAKE`)          |
//! | `HANDED` | popped off the stack with a packet, or by `close`  | the popper (swap), under the port lock |
//!
//! The popper writes what it hands over before it swaps in `HANDED`, and unparks the
//! getter only if the swap returned `ASLEEP`: a getter still watching costs the hand-off no
//! system call, and a sleeping one is always woken.
//!
//! # Invariants
//!
//! - (C1) Whenever the port lock is free: if packets are queued and getters wait, then
//!   `running >= concurrency`. So a post decides at once, in its lock hold: finding a
//!   getter and room under the concurrency value, it finds the queue empty (FIFO holds)
//!   and hands its packet to the most recent getter, and the packet never enters the
//!   queue — no later `get`, the poster's own included, can take it (L130, Windows 10's
//!   hand-off); otherwise it queues the packet. A queued packet goes to the next thread
//!   allowed to run: a running thread calling `get` again (the fast lane), or the most
//!   recent getter once a decrement of `running` makes room — and a single decrement
//!   releases at most one getter. The fast lane only removes packets, so it cannot break
//!   (C1).
//! - (C2) A getter's slot is filled exactly once per wait, by whoever pops it off the stack,
//!   in the same lock hold. A getter leaves `get` only after it has either removed its own
//!   slot from the stack or taken what was handed to it, so no packet is ever lost, not
//!   even one handed over at the instant the getter timed out or was alerted, and not when
//!   a panicking APC unwinds out of the wait (the packet goes to the next getter, or back
//!   to the queue).
//! - (C3) `running` counts the threads associated with the port whose `active` flag is set,
//!   plus the packets handed to getters that have not yet returned (each such getter adopts
//!   the credit as its own `active` when it returns). Only a thread changes its own
//!   `Member`; it changes `running` by the same amount under the port lock — except in the
//!   fast lane, where the amount is zero.
//! - (C4) Lock order: the dispatcher lock, then the port lock (the `waiters_changed` hook
//!   records object waiters under the port lock), then a slot's lock. The port lock is
//!   never held while the dispatcher lock is taken: object waiters are woken, and getters
//!   unparked, after unlocking. No two port locks are ever held together.
//!
//! A leftover unpark is possible — a getter that timed out takes its packet before the
//! popper unparks it — and harmless: it leaves a token that ends the thread's next park
//! at once, and every wait of the library checks what it waits for again after a park.
//!
//! # Memory ordering
//!
//! Whether threads wait on the port as an object is recorded under the port lock, and a
//! post pushes its packet and reads that record under the same lock: either the post comes
//! first, and the waiter's check of the queue (after it took the lock) sees the packet, or
//! the waiter comes first and the post wakes it (dispatch W3). For a slot, the getter's
//! `AWAKE` → `ASLEEP` CAS and the popper's swap to `HANDED` are read-modify-writes of one
//! word, so exactly one sees the other: either the getter does not sleep or the popper
//! wakes it.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crossbeam_queue::SegQueue;

use alertable::{
    Acquired, Alertable, BlockObserver, Dispatcher, ThreadHandle, Unparker, WaitList, Waitable,
    Woken,
};

use crate::{CompletionPacket, PortError};

/// `flags`: the port is closed.
const CLOSED: u32 = 0b1;

/// An I/O completion port: a FIFO of [`CompletionPacket`]s that threads take with
/// [`get`](Self::get) or [`get_many`](Self::get_many), releasing waiting threads most
/// recent first and no more at a time than its concurrency value.
///
/// Packets arrive from [`post`](Self::post) — by hand, or from an asynchronous file
/// request on a file bound to the port — and leave in the order they came (L127). The
/// port follows Windows' scheduling rules:
///
/// - **LIFO release.** The thread that began waiting last is released first (L130), so a
///   few busy threads keep serving while the others stay asleep.
/// - **Hand-off at post time.** A packet posted while threads wait in `get`, with room
///   under the concurrency value, goes to the most recent of them at once and is never
///   queued: a later `get` by another thread — the poster's own, even non-blocking —
///   cannot take it, as on Windows 10 and later (L130). Without room it is queued, and
///   the first thread allowed to run takes it: a running thread that calls `get` again
///   takes it at once, without a thread switch, as Windows does.
/// - **Concurrency.** A waiting thread is released only while fewer than `concurrency`
///   threads associated with the port are *running*. A thread is associated with the port
///   it last took a packet from (one port per thread). It counts as running from the
///   moment it takes a packet until it calls `get` on the port again or blocks in one of
///   the library's waits (the object waits such as `wait_one`, `sleep_ex`, a `get` on
///   another port); then another waiter may be released. When it wakes it counts again, so
///   the number of running threads may exceed the concurrency value for a while, as on
///   Windows. Blocking outside the library (a `std` channel, a system call) is not seen and
///   counts as running. A thread that exits stops counting.
/// - **Getters first.** A thread in `get` takes precedence over threads merely waiting on
///   the port as an object with [`wait_one`](alertable::wait_one) (L129): a packet handed
///   to a getter is never queued, so the port never looks signaled to them.
/// - **Waitable.** The port is signaled while packets are queued (L128): a wait on it
///   returns `Signaled`, consumes nothing, and one post wakes every such waiter.
///
/// `CompletionPort` is a cheap handle (one reference count); clones refer to the same port.
/// The port closes when [`close`](Self::close) is called on any handle, or when the last
/// handle is dropped. A file bound to the port holds a handle, so a bound file keeps the
/// port open, as a file handle keeps a Windows port open.
///
/// # Examples
///
/// ```
/// use alertable_io::{CompletionPacket, CompletionPort, PortError};
/// use std::time::Duration;
///
/// const STOP: usize = usize::MAX;
///
/// // Two workers serve the port; each adds up the byte counts it is handed.
/// let port = CompletionPort::new(0);
/// let workers: Vec<_> = (0..2)
///     .map(|_| {
///         let port = port.clone();
///         alertable::spawn(move || {
///             let mut bytes = 0;
///             loop {
///                 let packet = port.get(None).unwrap();
///                 if packet.key == STOP {
///                     return bytes;
///                 }
///                 bytes += packet.status.unwrap();
///             }
///         })
///         .unwrap()
///     })
///     .collect();
///
/// for i in 0..10 {
///     port.post(CompletionPacket::new(1, i, Ok(i))).unwrap();
/// }
/// for _ in &workers {
///     port.post(CompletionPacket::new(STOP, 0, Ok(0))).unwrap();
/// }
/// let total: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
/// assert_eq!(total, 45);
///
/// // Empty: a zero timeout returns at once with WAIT_TIMEOUT.
/// let empty = port.get(Some(Duration::ZERO)).unwrap_err();
/// assert_eq!((empty, empty.win32_error()), (PortError::TimedOut, 258));
/// ```
///
/// # Win32
///
/// An I/O completion port `HANDLE` from `CreateIoCompletionPort(INVALID_HANDLE_VALUE,
/// NULL, 0, concurrency)`; clones are duplicated handles, except that
/// [`close`](Self::close) closes the port itself rather than one handle.
pub struct CompletionPort {
    shared: Arc<Shared>,
}

/// The state every handle of one port shares.
struct Shared {
    /// The queued packets, FIFO: pushed under the port lock, popped under it or, by a
    /// thread running on the port, without it (C3).
    packets: SegQueue<CompletionPacket>,
    synced: Mutex<Synced>,
    concurrency: u32,
    /// `CLOSED`, readable without the port lock.
    flags: AtomicU32,
    /// Threads waiting on the port as an object.
    waiters: WaitList,
    /// How many `CompletionPort` values exist; the port closes when it drops to zero.
    handles: AtomicUsize,
}

/// The state behind the port lock; `&mut Synced` is the proof that the lock is held.
struct Synced {
    /// Threads in `get`, most recent last: released from the end (LIFO, L130).
    getters: Vec<Arc<Slot>>,
    /// Associated threads that are running, plus credits handed to getters (C3).
    running: u32,
    /// Whether threads wait on the port as an object (C4).
    object_waiters: bool,
    closed: bool,
}

impl Synced {
    /// Restores (C1) after `running` went down: hands the front packet to the most recent
    /// getter if the concurrency value now allows. Returns the getter if it sleeps: the
    /// caller wakes it once the lock is released.
    fn release(
        &mut self,
        packets: &SegQueue<CompletionPacket>,
        concurrency: u32,
    ) -> Option<Arc<Slot>> {
        if self.running >= concurrency || self.getters.is_empty() {
            return None;
        }
        let packet = packets.pop()?;
        let slot = self.getters.pop()?;
        self.running += 1;
        slot.hand(Handed::Packet(packet)).then_some(slot)
    }
}

impl Shared {
    /// Takes the port lock. No user code runs under it, so poisoning can only come from a
    /// bug in this module's bookkeeping; the state is used as it is.
    fn lock(&self) -> MutexGuard<'_, Synced> {
        crate::lock(&self.synced)
    }

    /// Wakes the threads waiting on the port as an object. Called without the port lock.
    #[cold] // only while somebody waits on the port with `wait_one` and friends
    fn wake_object_waiters(&self) {
        let mut lock = Dispatcher::lock();
        self.waiters.wake_waiters(&mut lock);
    }

    /// An associated thread stopped running (it blocked, moved to another port or exited):
    /// another getter may be released (C1).
    fn stop_running(&self) {
        let released = {
            let mut synced = self.lock();
            debug_assert!(synced.running > 0, "C3: a running thread was counted");
            synced.running = synced.running.saturating_sub(1);
            synced.release(&self.packets, self.concurrency)
        };
        if let Some(slot) = released {
            slot.wake();
        }
    }

    /// Takes up to `max` queued packets into `out`, without the port lock; returns how many.
    fn pop_into(&self, max: usize, out: &mut impl FnMut(CompletionPacket)) -> usize {
        let mut taken = 0;
        while taken < max {
            let Some(packet) = self.packets.pop() else {
                break;
            };
            out(packet);
            taken += 1;
        }
        taken
    }

    /// An associated thread that had stopped running runs again.
    fn resume_running(&self) {
        self.lock().running += 1;
    }

    /// Closes the port: every getter gets `Closed`, object waiters are woken (the port
    /// stays signaled from now on), and the queued packets are dropped. Idempotent.
    fn close(&self) {
        let (getters, object_waiters) = {
            let mut synced = self.lock();
            if synced.closed {
                return;
            }
            synced.closed = true;
            self.flags.fetch_or(CLOSED, Ordering::AcqRel);
            let mut sleeping = Vec::new();
            for slot in std::mem::take(&mut synced.getters) {
                if slot.hand(Handed::Closed) {
                    sleeping.push(slot);
                }
            }
            (sleeping, synced.object_waiters)
        };
        for slot in getters {
            slot.wake();
        }
        if object_waiters {
            self.wake_object_waiters();
        }
        // Posts fail from now on, so this empties the queue for good; the packets' buffers
        // are freed here, outside the lock.
        while self.packets.pop().is_some() {}
    }
}

impl CompletionPort {
    /// Creates a port that lets at most `concurrency` associated threads run at a time; 0
    /// means the number of CPUs the process may use.
    ///
    /// # Win32
    ///
    /// `CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, NumberOfConcurrentThreads)`.
    /// Windows honours the value; Wine ignores it (L135).
    pub fn new(concurrency: u32) -> Self {
        let concurrency = if concurrency == 0 {
            std::thread::available_parallelism()
                .map_or(1, |n| u32::try_from(n.get()).unwrap_or(u32::MAX))
        } else {
            concurrency
        };
        Self {
            shared: Arc::new(Shared {
                packets: SegQueue::new(),
                synced: Mutex::new(Synced {
                    getters: Vec::new(),
                    running: 0,
                    object_waiters: false,
                    closed: false,
                }),
                concurrency,
                flags: AtomicU32::new(0),
                waiters: WaitList::new(),
                handles: AtomicUsize::new(1),
            }),
        }
    }

    /// The most associated threads the port lets run at a time (with 0 given to
    /// [`new`](Self::new), the number of CPUs).
    ///
    /// # Win32
    ///
    /// The `NumberOfConcurrentThreads` the port was created with.
    pub fn concurrency(&self) -> u32 {
        self.shared.concurrency
    }

    /// Queues `packet` on the port, or hands it straight to the thread that began waiting
    /// in [`get`](Self::get) most recently, if the concurrency value lets one more thread
    /// run. Never blocks.
    ///
    /// This is also how file requests on a bound file complete: their packet carries the
    /// file's key, the request's token and its buffer.
    ///
    /// # Errors
    ///
    /// [`PortError::Closed`] if the port is closed; the packet (and its buffer) is dropped.
    ///
    /// # Win32
    ///
    /// `PostQueuedCompletionStatus(port, bytes, key, overlapped)`, and the kernel's
    /// completion of an I/O request on a file bound to the port.
    #[inline]
    pub fn post(&self, packet: CompletionPacket) -> Result<(), PortError> {
        let shared = &*self.shared;
        let mut synced = shared.lock();
        if synced.closed {
            drop(synced);
            drop(packet);
            return Err(PortError::Closed);
        }
        if synced.running < shared.concurrency {
            if let Some(slot) = synced.getters.pop() {
                // (C1): a getter waits with room to run, so the queue is empty and the
                // packet can skip it.
                debug_assert!(shared.packets.is_empty(), "C1");
                synced.running += 1;
                let sleeping = slot.hand(Handed::Packet(packet));
                drop(synced);
                if sleeping {
                    slot.wake();
                }
                return Ok(());
            }
        }
        shared.packets.push(packet);
        let wake = synced.object_waiters;
        drop(synced);
        if wake {
            shared.wake_object_waiters();
        }
        Ok(())
    }

    /// Takes the packet at the front of the queue, waiting up to `timeout` (`None`:
    /// forever) for one. Not alertable: APCs stay queued.
    ///
    /// A packet whose request failed is returned whole — key, token, buffer — with the
    /// error in its `status` (L127). A zero timeout never blocks. The calling thread becomes
    /// associated with the port when it takes a packet; while it waits here it does not
    /// count as running.
    ///
    /// # Errors
    ///
    /// - [`PortError::TimedOut`] (`WAIT_TIMEOUT`, 258) if no packet came in time (L123);
    /// - [`PortError::Closed`] (`ERROR_ABANDONED_WAIT_0`, 735) if the port is or gets
    ///   closed (L131).
    ///
    /// # Win32
    ///
    /// `GetQueuedCompletionStatus(port, &bytes, &key, &overlapped, ms)`, whose four
    /// outputs are the packet's fields; `FALSE` with a non-null `overlapped` is `Ok` with an
    /// error `status` here.
    pub fn get(&self, timeout: Option<Duration>) -> Result<CompletionPacket, PortError> {
        let mut taken = None;
        self.remove(1, timeout, Alertable::No, &mut |packet| {
            taken = Some(packet)
        })?;
        taken.ok_or(PortError::TimedOut)
    }

    /// Takes up to `max` packets, appending them to `out` in FIFO order, and returns how
    /// many; waits up to `timeout` (`None`: forever) for the first, and takes the others
    /// only if they are already queued (L124).
    ///
    /// With `alertable`, APCs queued to the calling thread run during the wait, which then
    /// ends with [`PortError::Alerted`]. When both an APC and a packet are pending, the
    /// packet wins if the calling thread is associated with this port (it last took a
    /// packet from it), the APC otherwise; an `Alerted` return does not associate the thread
    /// (L125, L126). A packet handed over at the very instant an APC or the timeout ended the
    /// wait is returned rather than lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use alertable::Alertable;
    /// use alertable_io::{CompletionPacket, CompletionPort};
    /// use std::time::Duration;
    ///
    /// let port = CompletionPort::new(1);
    /// for token in 1..=3 {
    ///     port.post(CompletionPacket::new(7, token, Ok(0))).unwrap();
    /// }
    /// let mut batch = Vec::new();
    /// assert_eq!(port.get_many(&mut batch, 2, Some(Duration::ZERO), Alertable::No), Ok(2));
    /// let tokens: Vec<usize> = batch.iter().map(|p| p.token).collect();
    /// assert_eq!(tokens, [1, 2]);
    /// ```
    ///
    /// # Errors
    ///
    /// - [`PortError::InvalidParameter`] (87) if `max` is 0;
    /// - [`PortError::TimedOut`] (`WAIT_TIMEOUT`, 258) if no packet came in time;
    /// - [`PortError::Alerted`] (`WAIT_IO_COMPLETION`, 192) if APCs ran instead (L125);
    /// - [`PortError::Closed`] (`ERROR_ABANDONED_WAIT_0`, 735) if the port is or gets
    ///   closed (L131).
    ///
    /// # Panics
    ///
    /// A panic in an APC run by an alertable wait unwinds out of `get_many`; the thread has
    /// then left the port's waiters, and the APCs queued behind it stay queued.
    ///
    /// # Win32
    ///
    /// `GetQueuedCompletionStatusEx(port, entries, max, &removed, ms, alertable)`.
    pub fn get_many(
        &self,
        out: &mut Vec<CompletionPacket>,
        max: usize,
        timeout: Option<Duration>,
        alertable: Alertable,
    ) -> Result<usize, PortError> {
        if max == 0 {
            return Err(PortError::InvalidParameter);
        }
        self.remove(max, timeout, alertable, &mut |packet| out.push(packet))
    }

    /// Closes the port for every handle: threads in [`get`](Self::get) and
    /// [`get_many`](Self::get_many) return [`PortError::Closed`], threads waiting on the port
    /// as an object return `Signaled(0)` (L131), and the packets still queued are dropped
    /// with their buffers. From then on `post` and `get` fail with `Closed` at once, and the
    /// port stays signaled. Closing a closed port does nothing.
    ///
    /// Dropping the last handle closes the port the same way; a file bound to the port
    /// holds a handle.
    ///
    /// # Win32
    ///
    /// `CloseHandle` on the port's last handle: the waiters' `ERROR_ABANDONED_WAIT_0`
    /// (`STATUS_ABANDONED_WAIT_0` for NtRemoveIoCompletion, `WAIT_OBJECT_0` for
    /// `WaitForSingleObject`). Packets are dropped as the kernel frees the queue.
    pub fn close(&self) {
        self.shared.close();
    }

    /// Whether the port is closed.
    ///
    /// # Win32
    ///
    /// None: a closed port's handle is no longer valid on Windows.
    pub fn is_closed(&self) -> bool {
        self.shared.flags.load(Ordering::Acquire) & CLOSED != 0
    }

    /// How many packets are queued at this moment (a snapshot). Packets handed straight to
    /// a waiting thread are never queued.
    ///
    /// # Win32
    ///
    /// `NtQueryIoCompletion`'s `Depth`.
    pub fn queued(&self) -> usize {
        self.shared.packets.len()
    }

    /// How many threads are waiting in `get` or `get_many` at this moment: for tests that
    /// must know a thread has begun waiting.
    #[doc(hidden)]
    pub fn waiting_threads(&self) -> usize {
        self.shared.lock().getters.len()
    }

    /// The running count at this moment: associated threads counted as running, plus
    /// packets handed to threads that have not returned from `get` yet.
    #[doc(hidden)]
    pub fn running_threads(&self) -> u32 {
        self.shared.lock().running
    }

    /// The core of `get` and `get_many`: up to `max` packets go to `out`.
    fn remove(
        &self,
        max: usize,
        timeout: Option<Duration>,
        alertable: Alertable,
        out: &mut impl FnMut(CompletionPacket),
    ) -> Result<usize, PortError> {
        let shared = &self.shared;
        if self.is_closed() {
            return Err(PortError::Closed);
        }
        let here = member::is_of(shared);
        if here && member::is_running() {
            // A thread running on its own port gives its place up and takes it back with
            // the packet: nothing else changes, so it needs no lock (C3).
            if let Some(packet) = shared.packets.pop() {
                out(packet);
                return Ok(1 + shared.pop_into(max - 1, out));
            }
        }
        // L126: on a port the thread is not associated with, pending APCs beat packets.
        if alertable == Alertable::Yes && !here && alertable::test_alert() {
            return Err(PortError::Alerted);
        }

        let mut synced = shared.lock();
        if synced.closed {
            return Err(PortError::Closed);
        }
        if here {
            // Calling `get` again ends the thread's running stretch.
            member::stop_here(&mut synced);
        }
        if synced.running < shared.concurrency {
            if let Some(packet) = shared.packets.pop() {
                synced.running += 1;
                drop(synced);
                out(packet);
                let taken = 1 + shared.pop_into(max - 1, out);
                member::adopt(shared);
                return Ok(taken);
            }
        }
        if timeout == Some(Duration::ZERO) {
            member::resume_here(shared, &mut synced);
            drop(synced);
            return Err(if alertable == Alertable::Yes && alertable::test_alert() {
                PortError::Alerted
            } else {
                PortError::TimedOut
            });
        }

        let slot = member::take_slot();
        slot.arm();
        synced.getters.push(slot.clone());
        // Spinning is worth it only if a post would hand the packet over at once.
        let spin = synced.running < shared.concurrency;
        drop(synced);
        let unwinding = LeaveOnUnwind {
            port: self,
            slot: &slot,
        };
        let outcome = self.wait_for_packet(&slot, spin, timeout, alertable);
        std::mem::forget(unwinding);
        member::put_slot(slot);
        match outcome {
            Ok(packet) => {
                out(packet);
                let mut taken = 1;
                if max > 1 {
                    // GetQueuedCompletionStatusEx also takes what is already queued.
                    taken += shared.pop_into(max - 1, out);
                }
                member::adopt(shared);
                Ok(taken)
            }
            Err(PortError::Closed) => {
                member::forget(shared);
                Err(PortError::Closed)
            }
            Err(e) => Err(e),
        }
    }

    /// Waits until a packet is handed to `slot`, the port closes, the timeout passes or (if
    /// `alertable`) APCs run: first watching the slot for a moment if `spin`, then parked
    /// until the popper unparks this thread.
    fn wait_for_packet(
        &self,
        slot: &Arc<Slot>,
        spin: bool,
        timeout: Option<Duration>,
        alertable: Alertable,
    ) -> Result<CompletionPacket, PortError> {
        if !(spin && spin_for_hand_off(slot)) && slot.try_sleep() {
            let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
            let woken = alertable::sleep_measured(|| {
                alertable::park_until(&slot.unparker, &|| slot.is_handed(), deadline, alertable)
            });
            let why = match woken {
                Woken::Ready => return slot.received(),
                Woken::Alerted => PortError::Alerted,
                Woken::TimedOut => PortError::TimedOut,
            };
            return self.withdraw(slot, why);
        }
        slot.received()
    }

    /// Leaves the stack after a timeout or an APC — unless a packet was handed over
    /// meanwhile, which is then taken (C2).
    #[cold] // the wait ended without a packet
    fn withdraw(&self, slot: &Arc<Slot>, why: PortError) -> Result<CompletionPacket, PortError> {
        let shared = &self.shared;
        let mut synced = shared.lock();
        if slot.is_handed() {
            return slot.received();
        }
        // (C2) not handed anything, so still on the stack, most likely near the top.
        if let Some(at) = synced.getters.iter().rposition(|s| Arc::ptr_eq(s, slot)) {
            synced.getters.remove(at);
        }
        member::resume_here(shared, &mut synced);
        Err(why)
    }
}

/// Takes a getter off the stack if an APC run by its alertable wait panics (C2): a packet
/// already handed to it goes, with its running credit, to the next getter or back to the
/// queue.
struct LeaveOnUnwind<'a> {
    port: &'a CompletionPort,
    slot: &'a Arc<Slot>,
}

impl Drop for LeaveOnUnwind<'_> {
    #[cold] // only when unwinding: a normal return forgets the guard
    fn drop(&mut self) {
        let shared = &self.port.shared;
        let (released, wake) = {
            let mut synced = shared.lock();
            let (mut released, mut wake) = (None, false);
            if !self.slot.is_handed() {
                if let Some(at) = synced
                    .getters
                    .iter()
                    .rposition(|s| Arc::ptr_eq(s, self.slot))
                {
                    synced.getters.remove(at);
                }
            } else if let Handed::Packet(packet) = self.slot.take() {
                // The packet goes, with its running credit, to the next getter; with none
                // waiting, it is queued again (at the back) and the credit returned.
                if let Some(next) = synced.getters.pop() {
                    released = next.hand(Handed::Packet(packet)).then_some(next);
                } else {
                    shared.packets.push(packet);
                    wake = synced.object_waiters;
                    synced.running = synced.running.saturating_sub(1);
                }
            }
            member::resume_here(shared, &mut synced);
            (released, wake)
        };
        if let Some(slot) = released {
            slot.wake();
        }
        if wake {
            shared.wake_object_waiters();
        }
    }
}

impl Clone for CompletionPort {
    /// Another handle to the same port.
    fn clone(&self) -> Self {
        self.shared.handles.fetch_add(1, Ordering::Relaxed);
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl Drop for CompletionPort {
    /// Dropping the last handle closes the port (see [`close`](CompletionPort::close)).
    fn drop(&mut self) {
        if self.shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.close();
        }
    }
}

impl PartialEq for CompletionPort {
    /// Two handles are equal when they refer to the same port.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl Eq for CompletionPort {}

impl fmt::Debug for CompletionPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let synced = self.shared.lock();
        f.debug_struct("CompletionPort")
            .field("concurrency", &self.shared.concurrency)
            .field("queued", &self.shared.packets.len())
            .field("waiting", &synced.getters.len())
            .field("running", &synced.running)
            .field("closed", &synced.closed)
            .finish()
    }
}

/// The port is signaled while packets are queued, and once it is closed; waiting on it
/// consumes nothing (L128, L131).
impl Waitable for CompletionPort {
    fn wait_list(&self) -> &WaitList {
        &self.shared.waiters
    }

    fn is_ready(&self, _lock: &Dispatcher, _waiter: &ThreadHandle) -> bool {
        !self.shared.packets.is_empty() || self.shared.flags.load(Ordering::Acquire) & CLOSED != 0
    }

    fn acquire(&self, _lock: &mut Dispatcher, _waiter: &ThreadHandle) -> Acquired {
        Acquired::Normal
    }

    fn waiters_changed(&self, _lock: &Dispatcher, has_waiters: bool) {
        // Under the port lock, so that a post sees it or the waiter sees the post (C4).
        self.shared.lock().object_waiters = has_waiters;
    }
}

/// What a waiting getter was handed.
enum Handed {
    Nothing,
    Packet(CompletionPacket),
    Closed,
}

/// `Slot::state`: on the stack, awake (watching the slot, or about to sleep).
const AWAKE: u32 = 0;
/// `Slot::state`: on the stack, and asleep on the event (or about to be): a hand-off must
/// set the event.
const ASLEEP: u32 = 1;
/// `Slot::state`: popped off the stack, with something handed over.
const HANDED: u32 = 2;

/// One thread's place on a port's stack of getters: where it is handed its packet, and how
/// its thread is woken (see the module docs for the protocol). A thread
/// reuses its slot from one `get` to the next.
struct Slot {
    /// Wakes the getter: a slot is made, and waited on, by one thread.
    unparker: Unparker,
    state: AtomicU32,
    handed: Mutex<Handed>,
}

impl Slot {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            unparker: Unparker::current(),
            state: AtomicU32::new(AWAKE),
            handed: Mutex::new(Handed::Nothing),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Handed> {
        crate::lock(&self.handed)
    }

    /// Readies the slot for a wait; called under the port lock, before it is pushed.
    fn arm(&self) {
        self.state.store(AWAKE, Ordering::Relaxed);
    }

    /// Fills the slot; called under the port lock by whoever popped it off the stack (C2).
    /// Returns whether its thread sleeps, and so must be woken (once the lock is released).
    #[must_use]
    fn hand(&self, what: Handed) -> bool {
        *self.lock() = what;
        self.state.swap(HANDED, Ordering::AcqRel) == ASLEEP
    }

    /// Whether something was handed over.
    #[inline]
    fn is_handed(&self) -> bool {
        self.state.load(Ordering::Acquire) == HANDED
    }

    /// Announces that the getter goes to sleep; false if something was handed meanwhile.
    fn try_sleep(&self) -> bool {
        self.state
            .compare_exchange(AWAKE, ASLEEP, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Takes what was handed, leaving `Nothing`.
    fn take(&self) -> Handed {
        std::mem::replace(&mut *self.lock(), Handed::Nothing)
    }

    /// What a handed slot holds, as `get`'s result.
    fn received(&self) -> Result<CompletionPacket, PortError> {
        match self.take() {
            Handed::Packet(packet) => Ok(packet),
            Handed::Closed => Err(PortError::Closed),
            Handed::Nothing => unreachable!("C2: a handed slot holds what it was handed"),
        }
    }

    /// Wakes the slot's thread; called after the port lock is released (C4).
    fn wake(&self) {
        self.unparker.unpark();
    }
}

/// Watches `slot` for a short, bounded while before its thread goes to sleep (as an
/// alertable wait watches its queue: `alertable::watch_before_sleeping`): a poster that
/// finds the getter awake makes no system call.
#[inline]
fn spin_for_hand_off(slot: &Slot) -> bool {
    alertable::watch_before_sleeping(|| slot.is_handed())
}

/// The calling thread's association with a port, and the running-count bookkeeping that
/// goes with it (C3).
mod member {
    use super::*;

    /// The calling thread's side of the port it is associated with.
    struct Member {
        /// The port this thread last took a packet from.
        port: RefCell<Option<Arc<Shared>>>,
        /// Whether this thread is included in `port`'s running count now.
        active: Cell<bool>,
        /// Whether [`Observer::blocking`] cleared `active`, for `unblocked` to restore.
        parked: Cell<bool>,
        /// The slot this thread's `get` calls reuse; taken while a `get` uses it (an APC
        /// run by an alertable `get_many` may call `get` again and gets a fresh one).
        slot: Cell<Option<Arc<Slot>>>,
        /// Whether this thread's block observer is installed.
        observing: Cell<bool>,
    }

    impl Drop for Member {
        /// A thread that exits stops running.
        fn drop(&mut self) {
            if self.active.get() {
                if let Some(port) = self.port.get_mut() {
                    port.stop_running();
                }
            }
        }
    }

    thread_local! {
        static MEMBER: Member = const {
            Member {
                port: RefCell::new(None),
                active: Cell::new(false),
                parked: Cell::new(false),
                slot: Cell::new(None),
                observing: Cell::new(false),
            }
        };
    }

    impl Member {
        fn is_of(&self, shared: &Arc<Shared>) -> bool {
            self.port
                .borrow()
                .as_ref()
                .is_some_and(|port| Arc::ptr_eq(port, shared))
        }
    }

    /// Whether the calling thread counts as running on the port it is associated with.
    pub(super) fn is_running() -> bool {
        MEMBER.try_with(|m| m.active.get()).unwrap_or(false)
    }

    /// Whether the calling thread is associated with `shared`.
    pub(super) fn is_of(shared: &Arc<Shared>) -> bool {
        MEMBER.try_with(|m| m.is_of(shared)).unwrap_or(false)
    }

    /// The calling thread, associated with the port whose lock `synced` is, stops counting
    /// as running (it entered `get`).
    pub(super) fn stop_here(synced: &mut Synced) {
        let _ = MEMBER.try_with(|m| {
            if m.active.replace(false) {
                debug_assert!(synced.running > 0, "C3: a running thread was counted");
                synced.running = synced.running.saturating_sub(1);
            }
        });
    }

    /// The calling thread leaves `get` on `shared` without a packet: if associated with
    /// it, it counts as running again.
    pub(super) fn resume_here(shared: &Arc<Shared>, synced: &mut Synced) {
        let _ = MEMBER.try_with(|m| {
            if m.is_of(shared) && !m.active.replace(true) {
                synced.running += 1;
            }
        });
    }

    /// The calling thread took a packet from `shared`, whose running count already
    /// includes it: it is now associated with `shared` and running. A thread that was
    /// running elsewhere (or, after an APC's nested `get`, here) gives that place up.
    pub(super) fn adopt(shared: &Arc<Shared>) {
        let adopted = MEMBER.try_with(|m| {
            if !m.active.get() && m.is_of(shared) {
                // The usual case: back from `get` on its own port.
                m.active.set(true);
                return;
            }
            let previous = m.port.borrow_mut().take();
            if m.active.replace(true) {
                if let Some(previous) = &previous {
                    previous.stop_running();
                }
            }
            let port = match previous {
                Some(previous) if Arc::ptr_eq(&previous, shared) => previous,
                _ => shared.clone(),
            };
            *m.port.borrow_mut() = Some(port);
            if !m.observing.replace(true) {
                let next = alertable::set_block_observer(None);
                alertable::set_block_observer(Some(Arc::new(Observer { next })));
            }
        });
        if adopted.is_err() {
            // Thread-local teardown: the thread cannot be associated any more.
            shared.stop_running();
        }
    }

    /// The calling thread saw `shared` close under it: it is no longer associated with it.
    pub(super) fn forget(shared: &Arc<Shared>) {
        let _ = MEMBER.try_with(|m| {
            if m.is_of(shared) {
                m.port.borrow_mut().take();
                m.active.set(false);
            }
        });
    }

    /// The calling thread's slot, or a fresh one if it is in use.
    /// The slot is kept only while it wakes the thread's parker of the moment: during
    /// thread-local teardown the core's context may be gone, and each wait there gets a
    /// slot with a private parker of its own.
    pub(super) fn take_slot() -> Arc<Slot> {
        MEMBER
            .try_with(|m| m.slot.take())
            .ok()
            .flatten()
            .filter(|slot| slot.unparker.is_current())
            .unwrap_or_else(Slot::new)
    }

    /// Gives the slot back for the next `get`.
    pub(super) fn put_slot(slot: Arc<Slot>) {
        let _ = MEMBER.try_with(|m| m.slot.set(Some(slot)));
    }

    /// Told by the core when the thread blocks in one of the library's waits: a running
    /// associated thread stops counting meanwhile. Forwards to the observer it replaced.
    struct Observer {
        next: Option<Arc<dyn BlockObserver>>,
    }

    impl BlockObserver for Observer {
        fn blocking(&self) {
            let _ = MEMBER.try_with(|m| {
                if m.active.get() {
                    if let Some(port) = &*m.port.borrow() {
                        port.stop_running();
                        m.active.set(false);
                        m.parked.set(true);
                    }
                }
            });
            if let Some(next) = &self.next {
                next.blocking();
            }
        }

        fn unblocked(&self) {
            if let Some(next) = &self.next {
                next.unblocked();
            }
            let _ = MEMBER.try_with(|m| {
                if m.parked.replace(false) {
                    if let Some(port) = &*m.port.borrow() {
                        port.resume_running();
                        m.active.set(true);
                    }
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(token: usize) -> CompletionPacket {
        CompletionPacket::new(0, token, Ok(token))
    }

    /// Dropping the last handle closes the port and frees what was queued; dropping
    /// another handle does not.
    #[test]
    fn last_handle_closes() {
        let port = CompletionPort::new(1);
        let shared = port.shared.clone();
        let other = port.clone();
        port.post(packet(1)).unwrap();
        drop(port);
        assert!(!other.is_closed());
        assert_eq!(other.queued(), 1);
        drop(other);
        assert!(shared.lock().closed);
        assert!(shared.packets.is_empty());
        assert_eq!(shared.flags.load(Ordering::Relaxed) & CLOSED, CLOSED);
    }

    /// A thread running on its port takes queued packets without changing the count, and
    /// without the lock (C3).
    #[test]
    fn a_running_thread_takes_without_the_lock() {
        std::thread::spawn(|| {
            let port = CompletionPort::new(1);
            for token in 0..3 {
                port.post(packet(token)).unwrap();
            }
            assert_eq!(port.get(Some(Duration::ZERO)), Ok(packet(0)));
            assert_eq!(port.running_threads(), 1);
            // With the port lock held, the running thread still takes the next packet.
            let held = port.shared.lock();
            let next = port.get(Some(Duration::ZERO));
            drop(held);
            assert_eq!(next, Ok(packet(1)));
            assert_eq!(port.running_threads(), 1);
        })
        .join()
        .unwrap();
    }

    /// A thread that takes a packet counts as running until it calls `get` again; taking
    /// from another port moves it (C3).
    #[test]
    fn running_count_follows_the_thread() {
        std::thread::spawn(|| {
            let a = CompletionPort::new(1);
            let b = CompletionPort::new(1);
            a.post(packet(1)).unwrap();
            a.get(Some(Duration::ZERO)).unwrap();
            assert_eq!(a.running_threads(), 1);
            // Polling its own port with nothing there leaves it running.
            assert_eq!(a.get(Some(Duration::ZERO)), Err(PortError::TimedOut));
            assert_eq!(a.running_threads(), 1);
            b.post(packet(2)).unwrap();
            b.get(Some(Duration::ZERO)).unwrap();
            assert_eq!((a.running_threads(), b.running_threads()), (0, 1));
        })
        .join()
        .unwrap();
    }
}
