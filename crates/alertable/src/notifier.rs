//! The APC readiness descriptor: [`ApcNotifier`], a file descriptor of the calling thread
//! that becomes readable when APCs are queued to it.
//!
//! An event loop the program does not own — calloop, mio, tokio, glib, winit — waits in
//! `poll`/`epoll`, never in an alertable wait, so APCs queued to its thread would never
//! run. Registering this descriptor with the loop, and calling
//! [`test_alert`](crate::test_alert) when it is readable, runs them on that thread: the
//! Linux form of "make the message loop alertable".
//!
//! # Protocol
//!
//! The descriptor rides on the queue's own hand-off (queue.rs Q5): a consumer that is
//! about to sleep sets `PARKED` in the tail word, and the one producer whose claim clears
//! it wakes the consumer. A thread with a descriptor keeps that announcement standing
//! while it is out in its event loop (Q7), and the producer that clears it also writes the
//! descriptor. So the descriptor costs nothing on the queueing path: a push to a thread
//! that is not announced is the usual claim and store, and only the one push per batch
//! that finds the announcement does the wake-up, as for any sleeping thread.
//!
//! | state of the thread                        | `PARKED` | descriptor                     |
//! |--------------------------------------------|----------|--------------------------------|
//! | armed, nothing queued                      | set      | not readable                   |
//! | armed, APCs queued                         | clear    | readable (or about to be)      |
//! | inside `test_alert`                        | either   | cleared first, then re-armed   |
//! | not armed (no live `ApcNotifier`)          | only while parked | not written           |
//!
//! - (N1) The thread is *armed* while it has at least one live [`ApcNotifier`]; only the
//!   owning thread arms and disarms (the type is `!Send`).
//! - (N2) While armed, the owner never withdraws its announcement (`cancel_park`): an
//!   alertable wait leaves it standing when it returns. Every producer whose claim clears
//!   `PARKED` (Q5) of an armed thread writes the descriptor after its claim.
//! - (N3) The owner clears the descriptor only in `test_alert`, *before* draining, and
//!   re-announces after draining (also when an APC unwinds out of the drain); if APCs
//!   arrived meanwhile the announcement fails and the owner writes the descriptor itself.
//!
//! Hence no lost wake-up: after the owner's last clear and re-announcement, an APC is
//! claimed either while the announcement stands (its producer clears it and writes), or
//! after another producer cleared it (that producer's write came after the clear), or the
//! re-announcement failed (the owner wrote). Spurious readiness is possible — an alertable
//! wait may have run the APCs whose producer wrote — and costs one empty `test_alert`.
//!
//! # Ordering
//!
//! The owner creates the descriptor and raises the armed count before its announcing
//! compare-and-swap on the tail word (`AcqRel`); the producer's claiming fetch-and-add
//! reads that announcement (`Acquire`), so it sees both before it writes.

use std::fmt;
use std::io;
use std::marker::PhantomData;
#[cfg(not(loom))]
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use crate::queue::Park;
use crate::sync::{AtomicU32, OnceLock, Ordering};
use crate::sys::Notifier;
use crate::thread::{Context, ThreadHandle, with_current};

/// A thread's readiness descriptor and whether it is armed, shared with every handle.
#[derive(Debug)]
pub(crate) struct Readiness {
    /// Created by the owner on first use, kept until the thread's state is freed.
    notifier: OnceLock<Notifier>,
    /// Live `ApcNotifier`s of the owner (N1). Written by the owner only.
    armed: AtomicU32,
}

impl Readiness {
    pub(crate) fn new() -> Self {
        Self {
            notifier: OnceLock::new(),
            armed: AtomicU32::new(0),
        }
    }

    /// Producer side, after a claim that cleared `PARKED`: writes the descriptor if the
    /// thread is armed (N2). Nothing at all for a thread that never asked for one.
    #[inline]
    pub(crate) fn notify(&self) {
        if self.armed.load(Ordering::Relaxed) != 0 {
            self.notify_armed();
        }
    }

    #[cold] // once per batch, and only for threads with a descriptor
    fn notify_armed(&self) {
        if let Some(notifier) = self.notifier.get() {
            notifier.notify();
        }
    }

    /// Whether the owner has a live `ApcNotifier` (N1).
    #[inline]
    pub(crate) fn is_armed(&self) -> bool {
        self.armed.load(Ordering::Relaxed) != 0
    }

    /// The descriptor, once created.
    #[cfg(any(not(loom), test))]
    pub(crate) fn notifier(&self) -> Option<&Notifier> {
        self.notifier.get()
    }
}

/// Arms the calling thread (N1): creates its descriptor on first use and, for the first
/// live notifier, announces the thread as parked so that the next APC writes it.
pub(crate) fn arm(ctx: &Context) -> io::Result<()> {
    let readiness = &ctx.thread().inner.readiness;
    let notifier = match readiness.notifier.get() {
        Some(notifier) => notifier,
        None => {
            let created = Notifier::new()?;
            // Only the owner sets it, so it is still empty.
            readiness.notifier.get_or_init(|| created)
        }
    };
    if readiness.armed.fetch_add(1, Ordering::Relaxed) == 0 {
        // Left over from an earlier armed period: those APCs are accounted for below.
        notifier.clear();
        // A standing announcement (left by a drain that disarmed) would not publish the
        // notifier to the producer that clears it: withdraw it, so that `announce` makes
        // a fresh one after `armed` and the notifier are stored.
        ctx.withdraw_park();
        announce(ctx, notifier);
        // The thread now waits in an event loop of its own, which does not watch what
        // its wait hook lists (wait_hook.rs): that goes to someone who does.
        crate::wait_hook::release();
    }
    Ok(())
}

/// Whether the calling thread has a live [`ApcNotifier`]: it then sleeps in an event loop
/// of its own rather than in the library's waits, so work that only those waits would do
/// (a [`WaitHook`](crate::WaitHook)'s) is better given to another thread from the start.
///
/// # Win32
///
/// None (see [`ApcNotifier`]).
#[doc(hidden)]
pub fn has_apc_notifier() -> bool {
    with_current(|ctx| ctx.thread().inner.readiness.is_armed())
}

/// Disarms the calling thread when its last notifier goes: withdraws the standing
/// announcement, so that producers go back to the plain fast path.
pub(crate) fn disarm(ctx: &Context) {
    let readiness = &ctx.thread().inner.readiness;
    if readiness.armed.fetch_sub(1, Ordering::Relaxed) == 1 {
        // Fails when a producer cleared it first; its write then lands on a descriptor
        // nobody watches, and the next `arm` clears it.
        ctx.withdraw_park();
    }
}

/// Announces the owner as parked for the event loop (N2), or makes the descriptor
/// readable at once if APCs are already queued (N3).
fn announce(ctx: &Context, notifier: &Notifier) {
    match ctx.announce_park() {
        Park::Parked => {}
        Park::Pending => notifier.notify(),
        // The thread is tearing down: no APC will come.
        Park::Closed => {}
    }
}

/// `test_alert` for the calling thread: for an armed thread, clear the descriptor, run the
/// APCs, re-arm (N3); for any other, just run the APCs.
pub(crate) fn test_alert(ctx: &Context) -> bool {
    let readiness = &ctx.thread().inner.readiness;
    let notifier = match readiness.notifier.get() {
        Some(notifier) if readiness.is_armed() => notifier,
        _ => return ctx.drain(),
    };
    notifier.clear();
    /// Re-arms when dropped, so also when an APC unwinds out of the drain: the APCs
    /// behind it stay queued, and the descriptor must say so.
    struct Rearm<'a>(&'a Context, &'a Notifier);
    impl Drop for Rearm<'_> {
        fn drop(&mut self) {
            // An APC may have dropped the last notifier: then the thread is not watched
            // any more and must not stay announced.
            if self.0.thread().inner.readiness.is_armed() {
                announce(self.0, self.1);
            } else {
                self.0.withdraw_park();
            }
        }
    }
    let _rearm = Rearm(ctx, notifier);
    ctx.drain()
}

/// A file descriptor that becomes readable when APCs are queued to the calling thread,
/// for event loops that wait in `poll` or `epoll` rather than in an alertable wait.
///
/// Register it with the loop for readability; when the loop reports it readable, call
/// [`dispatch`](Self::dispatch) (or [`test_alert`](crate::test_alert)) on this thread:
/// that clears the descriptor and runs every pending APC, FIFO. Nothing else needs doing,
/// and nothing reads the descriptor but the library. It stays readable until the next
/// `dispatch`, so a level-triggered loop simply calls again, and an edge-triggered one
/// (tokio's `AsyncFd`) that clears its own readiness before dispatching misses nothing.
///
/// Queueing costs the same as ever: only the one push per batch that finds the thread
/// announced as idle writes the descriptor (as it would wake a sleeping thread), and a
/// thread that never creates an `ApcNotifier` has no descriptor at all. The thread can
/// still wait alertably (`sleep_ex`, alertable waits) while it has one; such a wait may
/// run the APCs first and leave the descriptor readable, and the next `dispatch` then finds
/// nothing to do.
///
/// The notifier belongs to the thread that created it (it is neither `Send` nor `Sync`).
/// Several notifiers on one thread share its one descriptor. The descriptor stays open,
/// and stays the same descriptor, for as long as any notifier of the thread lives (it is
/// closed only when the thread's last handle goes), which is what registering it with an
/// event loop by its number requires.
///
/// # Examples
///
/// A loop that polls the descriptor (here with `poll` through `rustix`; calloop, mio,
/// tokio's `AsyncFd` or glib do the same):
///
/// ```
/// use alertable::ApcNotifier;
/// use rustix::event::{PollFd, PollFlags, poll};
/// use std::sync::mpsc;
///
/// let notifier = ApcNotifier::new().unwrap();
/// let me = alertable::current();
/// let (tx, rx) = mpsc::channel();
/// let producer = std::thread::spawn(move || {
///     me.queue_apc(move || tx.send(alertable::current().id()).unwrap()).unwrap();
/// });
///
/// // The event loop: sleep in poll until the descriptor is readable, then dispatch.
/// let mut fds = [PollFd::new(&notifier, PollFlags::IN)];
/// while rx.try_recv().is_err() {
///     poll(&mut fds, None).unwrap();
///     notifier.dispatch();
/// }
/// producer.join().unwrap();
/// // The APC ran here, on the loop's thread, and the descriptor is quiet again.
/// let mut fds = [PollFd::new(&notifier, PollFlags::IN)];
/// assert_eq!(poll(&mut fds, Some(&rustix::time::Timespec::default())).unwrap(), 0);
/// ```
///
/// # Win32
///
/// None: on Windows a message loop becomes alertable by waiting in
/// `MsgWaitForMultipleObjectsEx(…, MWMO_ALERTABLE)` (see [`msg_wait`](crate::msg_wait)),
/// which Linux event loops cannot do; this descriptor is their way in.
pub struct ApcNotifier {
    thread: ThreadHandle,
    /// `!Send + !Sync`: it arms and disarms its own thread only (N1).
    _not_send: PhantomData<*const ()>,
}

impl ApcNotifier {
    /// The readiness descriptor of the calling thread, armed: it becomes readable when an
    /// APC is queued to this thread, and is readable at once if APCs are already pending.
    ///
    /// # Errors
    ///
    /// The OS error if the descriptor cannot be created (`EMFILE`, `ENFILE`, `ENOMEM`).
    pub fn new() -> io::Result<Self> {
        with_current(|ctx| {
            arm(ctx)?;
            Ok(Self {
                thread: ctx.handle(),
                _not_send: PhantomData,
            })
        })
    }

    /// Runs the calling thread's pending APCs and clears the descriptor; returns whether
    /// any ran. The same as [`test_alert`](crate::test_alert).
    ///
    /// # Panics
    ///
    /// A panic in an APC unwinds out of `dispatch`; the APCs behind it stay queued, and the
    /// descriptor stays readable for them.
    pub fn dispatch(&self) -> bool {
        crate::test_alert()
    }

    /// The thread whose APCs this descriptor reports.
    pub fn thread(&self) -> &ThreadHandle {
        &self.thread
    }

    #[cfg(not(loom))]
    fn notifier(&self) -> &Notifier {
        self.thread
            .inner
            .readiness
            .notifier()
            .expect("created by `ApcNotifier::new`")
    }
}

impl Drop for ApcNotifier {
    fn drop(&mut self) {
        with_current(|ctx| {
            // During thread-local teardown the context may be gone; the queue is closed
            // then, and no producer can reach the descriptor any more.
            if ctx.thread() == &self.thread {
                disarm(ctx);
            }
        });
    }
}

#[cfg(not(loom))]
impl AsFd for ApcNotifier {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.notifier().as_fd()
    }
}

#[cfg(not(loom))]
impl AsRawFd for ApcNotifier {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

impl fmt::Debug for ApcNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ApcNotifier");
        d.field("thread", &self.thread);
        #[cfg(not(loom))]
        d.field("fd", &self.as_raw_fd());
        d.finish()
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::thread::loom_support::owner;
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicUsize;

    fn model(f: impl Fn() + Sync + Send + 'static) {
        let mut model = loom::model::Builder::new();
        if model.preemption_bound.is_none() {
            model.preemption_bound = Some(3);
        }
        model.check(f);
    }

    /// Two model threads, each queueing one APC to `ctx`'s thread that counts in `ran`.
    fn two_producers(ctx: &Context, ran: &Arc<AtomicUsize>) -> Vec<loom::thread::JoinHandle<()>> {
        (0..2)
            .map(|_| {
                let (handle, ran) = (ctx.handle(), ran.clone());
                loom::thread::spawn(move || {
                    handle
                        .queue_apc(move || {
                            ran.fetch_add(1, Ordering::Relaxed);
                        })
                        .unwrap();
                })
            })
            .collect()
    }

    /// Two producers queue to a thread that sleeps only on its descriptor, as an event
    /// loop does, and runs APCs only through `test_alert` (N2, N3). A lost wake-up would
    /// leave it asleep on an unreadable descriptor with work queued, which loom reports
    /// as a deadlock.
    #[test]
    fn event_loop_never_sleeps_through_an_apc() {
        model(|| {
            let ctx = owner();
            arm(&ctx).unwrap();
            let ran = Arc::new(AtomicUsize::new(0));
            let producers = two_producers(&ctx, &ran);
            let notifier = ctx.thread().inner.readiness.notifier().unwrap();
            while ran.load(Ordering::Relaxed) < 2 {
                notifier.wait_readable();
                test_alert(&ctx);
            }
            for p in producers {
                p.join().unwrap();
            }
            disarm(&ctx);
        });
    }

    /// The armed thread also waits alertably once, as a thread may between turns of its
    /// loop: the sleep leaves the announcement standing (N2), and whatever it did not run
    /// still reaches the descriptor.
    #[test]
    fn alertable_sleep_between_loop_turns_loses_nothing() {
        model(|| {
            let ctx = owner();
            arm(&ctx).unwrap();
            let ran = Arc::new(AtomicUsize::new(0));
            let producers = two_producers(&ctx, &ran);
            // One alertable sleep: returns once some APC is pending, and runs them.
            while ctx.park_for_apcs(None) != crate::thread::ApcWait::Pending {}
            ctx.drain();
            let notifier = ctx.thread().inner.readiness.notifier().unwrap();
            while ran.load(Ordering::Relaxed) < 2 {
                notifier.wait_readable();
                test_alert(&ctx);
            }
            for p in producers {
                p.join().unwrap();
            }
        });
    }

    /// Between loop turns the armed thread waits alertably on an event that another thread
    /// sets: when the event ends the wait, the announcement must still stand (N2), or the
    /// APC that arrives afterwards would find no one to notify.
    #[test]
    fn object_wait_between_loop_turns_keeps_the_announcement() {
        use crate::dispatch::{self, WaitKind};
        use crate::{Event, EventReset};
        model(|| {
            let ctx = owner();
            arm(&ctx).unwrap();
            let event = Event::new(EventReset::Manual, false);
            let e = event.clone();
            let setter = loom::thread::spawn(move || e.set());
            let ran = Arc::new(AtomicUsize::new(0));
            let (handle, r) = (ctx.handle(), ran.clone());
            let producer = loom::thread::spawn(move || {
                handle
                    .queue_apc(move || {
                        r.fetch_add(1, Ordering::Relaxed);
                    })
                    .unwrap();
            });
            // Ends with the event or with the APC; either way the loop takes over.
            dispatch::wait(&ctx, &[&event], WaitKind::Any, None, false, true, None).unwrap();
            let notifier = ctx.thread().inner.readiness.notifier().unwrap();
            while ran.load(Ordering::Relaxed) < 1 {
                notifier.wait_readable();
                test_alert(&ctx);
            }
            setter.join().unwrap();
            producer.join().unwrap();
        });
    }
}
