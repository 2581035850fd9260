//! Descriptors a thread's waits sleep on: [`WaitHook`], installed per thread with
//! [`set_wait_hook`].
//!
//! A library above the core may have work that only its thread can finish and that the
//! kernel reports through a descriptor: an I/O request whose completion goes to the thread
//! that issued it, for instance, and that this thread can finish itself once the
//! descriptor is ready, without a thread of the library's own in between. Its hook tells
//! the thread's waits which descriptors to watch. While the hook lists any, every sleep of
//! the thread in the library's waits (alertable or not, on objects or APCs) sleeps in
//! `poll` on them together with the parker's own wake descriptor (parker.rs P5), instead
//! of on the futex, and when one of them is ready the hook's [`ready`](WaitHook::ready)
//! runs on the thread before the wait re-checks what it waits for. Before such a sleep
//! the thread watches the descriptors for a moment, as its waits watch for APCs and
//! signals, so that a peer that answers at once is caught without a sleep.
//!
//! A block that does not watch the descriptors — a non-alertable [`sleep_ex`], a thread
//! whose parker was relocated for waits across processes (P4) — calls the hook's
//! [`release`](WaitHook::release) first, so that the library hands its work to someone
//! who will watch it meanwhile.
//!
//! [`sleep_ex`]: crate::sleep_ex

use std::cell::{Cell, RefCell};
use std::fmt;
use std::os::fd::RawFd;
use std::rc::Rc;
use std::time::Instant;

use crate::parker::{Parker, Unparked};
use crate::sys;
use crate::thread::Context;

/// What a watched descriptor is waited for.
///
/// # Win32
///
/// None: Windows completes I/O in the kernel; this is how a thread of ours does it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FdInterest {
    /// Data to read (or a hang-up, or an error).
    Readable,
    /// Room to write (or a hang-up, or an error).
    Writable,
}

/// `POLLIN` and `POLLOUT` of Linux.
const POLLIN: i16 = 0x1;
const POLLOUT: i16 = 0x4;

/// One descriptor for a thread's waits to watch, and, after the sleep, whether the kernel
/// reported it ready.
///
/// # Win32
///
/// None (see [`FdInterest`]).
// The layout of `struct pollfd`, so that a list of them goes to `ppoll` as it is
// (sys/linux.rs).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct WatchedFd {
    fd: i32,
    events: i16,
    revents: i16,
}

#[cfg(not(loom))]
const _: () = {
    assert!(std::mem::size_of::<WatchedFd>() == std::mem::size_of::<libc::pollfd>());
    assert!(std::mem::align_of::<WatchedFd>() == std::mem::align_of::<libc::pollfd>());
    assert!(std::mem::offset_of!(WatchedFd, fd) == std::mem::offset_of!(libc::pollfd, fd));
    assert!(std::mem::offset_of!(WatchedFd, events) == std::mem::offset_of!(libc::pollfd, events));
    assert!(
        std::mem::offset_of!(WatchedFd, revents) == std::mem::offset_of!(libc::pollfd, revents)
    );
    assert!(POLLIN == libc::POLLIN && POLLOUT == libc::POLLOUT);
};

impl WatchedFd {
    /// Watch `fd` for `interest`.
    pub fn new(fd: RawFd, interest: FdInterest) -> Self {
        Self {
            fd,
            events: match interest {
                FdInterest::Readable => POLLIN,
                FdInterest::Writable => POLLOUT,
            },
            revents: 0,
        }
    }

    /// The descriptor.
    pub fn fd(&self) -> RawFd {
        self.fd
    }

    /// Whether the sleep that just ended found it ready for its interest, hung up, in
    /// error, or closed.
    pub fn is_ready(&self) -> bool {
        self.revents != 0
    }
}

impl fmt::Debug for WatchedFd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatchedFd")
            .field("fd", &self.fd)
            .field("events", &self.events)
            .field("revents", &self.revents)
            .finish()
    }
}

/// Descriptors the calling thread's waits sleep on besides their own wake-ups, and what
/// the thread does when one is ready; installed with [`set_wait_hook`].
///
/// All three methods run on the thread that installed the hook, inside its waits. They
/// must not wait, run APCs, or create or drop an [`ApcNotifier`](crate::ApcNotifier) (an
/// alertable wait has announced its sleep to the APC queue when they run). They may queue
/// APCs (to this thread too: the wait then finds them), signal objects, and install
/// nothing: a hook is not re-entered.
///
/// # Win32
///
/// None: on Windows the kernel completes a thread's I/O and queues its APC; this is what
/// lets a library do that work on the thread itself, woken by the kernel as Windows' is.
#[doc(hidden)]
pub trait WaitHook {
    /// Appends the descriptors to watch now to `fds`, which is empty; none means that the
    /// thread sleeps as usual.
    fn watch(&self, fds: &mut Vec<WatchedFd>);

    /// Runs after a sleep, or the watch before one, in which at least one of `fds` (those
    /// [`watch`](Self::watch) gave, in its order) was reported ready.
    fn ready(&self, fds: &[WatchedFd]);

    /// The thread is about to block where its descriptors are not watched: whatever
    /// waits for them must go to someone who watches them meanwhile.
    fn release(&self);
}

thread_local! {
    static HOOK: RefCell<Option<Rc<dyn WaitHook>>> = const { RefCell::new(None) };
    /// The list a park fills, kept for its room.
    static FDS: Cell<Vec<WatchedFd>> = const { Cell::new(Vec::new()) };
}

/// Installs the calling thread's [`WaitHook`] (or removes it with `None`) and returns the
/// previous one.
///
/// # Win32
///
/// None (see [`WaitHook`]).
#[doc(hidden)]
pub fn set_wait_hook(hook: Option<Rc<dyn WaitHook>>) -> Option<Rc<dyn WaitHook>> {
    HOOK.try_with(|h| h.replace(hook)).ok().flatten()
}

/// The calling thread's hook; none during thread-local teardown.
fn current() -> Option<Rc<dyn WaitHook>> {
    HOOK.try_with(|h| h.try_borrow().ok().and_then(|h| h.clone()))
        .ok()
        .flatten()
}

/// Runs `f` with the calling thread's hook and the descriptors it lists now (the thread's
/// kept list, filled by the hook's `watch`); `f` gets `None` where there is no hook.
fn with_watched<R>(f: impl FnOnce(Option<(&dyn WaitHook, &mut Vec<WatchedFd>)>) -> R) -> R {
    let Some(hook) = current() else {
        return f(None);
    };
    let mut fds = FDS.try_with(Cell::take).unwrap_or_default();
    fds.clear();
    hook.watch(&mut fds);
    let result = f(Some((&*hook, &mut fds)));
    let _ = FDS.try_with(|slot| slot.set(fds));
    result
}

/// The owner's park, as the owner of `ctx`: if its hook lists descriptors, a watch of
/// them first (see below), then a sleep in `poll` on them too (P5), and the hook's `ready`
/// if one was ready; otherwise on the futex, after the hook's `release` if the parker
/// cannot poll. Only the sleep itself is reported to the thread's block observer.
///
/// The watch is the thread's usual one (wait.rs, `watch_before_sleeping`), each look a
/// `poll` that does not sleep, and a look at the parker's token: a peer in another process
/// that answers within it is caught with neither side asleep; one that needs this CPU to
/// answer is not, and the watch's record (shared with the thread's other watches) soon
/// stops it spinning for nothing: the park then sleeps at once, without a look or a yield
/// (`Sleep::Poll`), since the other end's write wakes it as it would wake a blocking
/// `read`. A catch after a look that lost the CPU (the scheduler ran the other end in this
/// thread's place at the call's return) teaches the record nothing good: it counts as a
/// miss. A descriptor it finds ready ends the park without a
/// sleep (`TimedOut`: the caller re-checks what it waits for); a token it finds is taken
/// by the park at once. It is left out where the deadline is closer than a watch.
pub(crate) fn park(ctx: &Context, deadline: Option<Instant>) -> Unparked {
    let parker = ctx.parker();
    with_watched(|watched| {
        let Some((hook, fds)) = watched.filter(|(_, fds)| !fds.is_empty()) else {
            return ctx.observed_sleep(|| parker.park(deadline));
        };
        if deadline.is_none_or(|d| d.saturating_duration_since(Instant::now()) > WATCH_AT_LEAST)
            && watch(ctx, parker, fds)
        {
            hook.ready(fds);
            return Unparked::TimedOut;
        }
        let (unparked, polled) = ctx.observed_sleep(|| match parker.park_polling(fds, deadline) {
            Some(unparked) => (unparked, true),
            None => {
                hook.release();
                (parker.park(deadline), false)
            }
        });
        if polled && fds.iter().any(WatchedFd::is_ready) {
            hook.ready(fds);
        }
        unparked
    })
}

/// A look at the descriptors that takes longer than this lost the CPU meanwhile: a
/// `poll` that does not sleep takes well under a microsecond.
const LOOK_LOST_CPU: std::time::Duration = std::time::Duration::from_micros(5);

/// A park whose deadline is closer than this does not watch its descriptors first.
const WATCH_AT_LEAST: std::time::Duration = std::time::Duration::from_micros(20);

/// Watches `fds` for a moment (see [`park`]); whether one of them became ready.
fn watch(ctx: &Context, parker: &Parker, fds: &mut Vec<WatchedFd>) -> bool {
    let looked = RefCell::new(std::mem::take(fds));
    // A look is a system call, at whose return the scheduler may run the other thread in
    // this one's place (it does so at once where the two share a CPU): a look that takes
    // that long means the thread lost its CPU, and what it then catches was not caught by
    // spinning.
    let lost_cpu = Cell::new(false);
    let ready = || {
        parker.has_token() || {
            let start = Instant::now();
            let ready = sys::poll_now(&mut looked.borrow_mut());
            if start.elapsed() > LOOK_LOST_CPU {
                lost_cpu.set(true);
            }
            ready
        }
    };
    crate::wait::watch_counting(ctx, &ready, &|| !lost_cpu.get(), crate::wait::Sleep::Poll);
    *fds = looked.into_inner();
    fds.iter().any(WatchedFd::is_ready)
}

/// Whether the calling thread's hook lists descriptors now: its alertable sleep and its
/// object waits then leave the watch before sleeping to [`park`], which looks at the
/// descriptors too.
pub(crate) fn watches_descriptors() -> bool {
    with_watched(|watched| watched.is_some_and(|(_, fds)| !fds.is_empty()))
}

/// Before a block that does not watch the hook's descriptors.
pub(crate) fn release() {
    if let Some(hook) = current() {
        hook.release();
    }
}
