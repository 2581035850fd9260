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

/// The owner's park: on the hook's descriptors too, if it lists any (P5), then the hook's
/// `ready`; otherwise on the futex, after the hook's `release` if the parker cannot poll.
pub(crate) fn park(parker: &Parker, deadline: Option<Instant>) -> Unparked {
    let Some(hook) = current() else {
        return parker.park(deadline);
    };
    let mut fds = FDS.try_with(Cell::take).unwrap_or_default();
    fds.clear();
    hook.watch(&mut fds);
    let unparked = if fds.is_empty() {
        None
    } else {
        parker.park_polling(&mut fds, deadline)
    };
    let unparked = match unparked {
        Some(unparked) => {
            if fds.iter().any(WatchedFd::is_ready) {
                hook.ready(&fds);
            }
            unparked
        }
        None => {
            if !fds.is_empty() {
                hook.release();
            }
            parker.park(deadline)
        }
    };
    let _ = FDS.try_with(|slot| slot.set(fds));
    unparked
}

/// Watches the hook's descriptors for a moment before the owner of `ctx` parks, as its
/// waits watch for APCs and signals (wait.rs, `watch_before_sleeping`): each look is a
/// `poll` that does not sleep. Returns true if one became ready (the hook's `ready` has
/// run: the caller re-checks instead of sleeping), false if the park should go on — none
/// is listed, the watch missed, or a token came, which the park then takes at once.
///
/// A peer in another process that answers within the watch is caught without either side
/// sleeping; one that needs this CPU to answer is not, and the watch's record (shared with
/// the thread's other watches) soon stops it spinning for nothing.
pub(crate) fn watch_before_park(ctx: &Context) -> bool {
    let Some(hook) = current() else {
        return false;
    };
    let mut fds = FDS.try_with(Cell::take).unwrap_or_default();
    fds.clear();
    hook.watch(&mut fds);
    let mut caught = false;
    if !fds.is_empty() {
        let parker = ctx.parker();
        let looked = RefCell::new(fds);
        let ready = || parker.has_token() || sys::poll_now(&mut looked.borrow_mut());
        crate::wait::watch(ctx, &ready);
        fds = looked.into_inner();
        if fds.iter().any(WatchedFd::is_ready) {
            hook.ready(&fds);
            caught = true;
        }
    }
    let _ = FDS.try_with(|slot| slot.set(fds));
    caught
}

/// Whether the calling thread's hook lists descriptors now: its alertable sleep and its
/// object waits then leave the watch before sleeping to [`watch_before_park`], which
/// looks at the descriptors too.
pub(crate) fn watches_descriptors() -> bool {
    let Some(hook) = current() else {
        return false;
    };
    let mut fds = FDS.try_with(Cell::take).unwrap_or_default();
    fds.clear();
    hook.watch(&mut fds);
    let any = !fds.is_empty();
    let _ = FDS.try_with(|slot| slot.set(fds));
    any
}

/// Before a block that does not watch the hook's descriptors.
pub(crate) fn release() {
    if let Some(hook) = current() {
        hook.release();
    }
}
