//! Linux: futexes, thread ids and sleeping, through `rustix`.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, SystemTime};

use rustix::event::{EventfdFlags, eventfd};
use rustix::io::Errno;
use rustix::thread::futex;

use crate::sync::AtomicU32;
use crate::wait_hook::WatchedFd;

/// Sleeps while `*word == expected` (see the module contract).
pub(crate) fn futex_wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>) {
    // A timeout too large for a timespec is as good as none.
    let timespec = timeout.and_then(|t| rustix::time::Timespec::try_from(t).ok());
    // EAGAIN (the word changed), EINTR and ETIMEDOUT all mean "re-check": callers loop.
    let _ = futex::wait(word, futex::Flags::PRIVATE, expected, timespec.as_ref());
}

/// Sleeps while `*word == expected`, until the wall clock reads `deadline` (or a wake, or
/// spuriously). The kernel re-evaluates an absolute `CLOCK_REALTIME` futex deadline when
/// the system clock is set, so a clock jump moves the wake-up with it.
pub(crate) fn futex_wait_until_wall(word: &AtomicU32, expected: u32, deadline: SystemTime) {
    let since_epoch = deadline
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let Ok(timespec) = rustix::time::Timespec::try_from(since_epoch) else {
        // Past the end of the timespec range: wait without a deadline.
        return futex_wait(word, expected, None);
    };
    let all = std::num::NonZeroU32::MAX;
    let _ = futex::wait_bitset(
        word,
        futex::Flags::PRIVATE | futex::Flags::CLOCK_REALTIME,
        expected,
        Some(&timespec),
        all,
    );
}

/// Wakes up to `count` waiters on `word`.
pub(crate) fn futex_wake(word: &AtomicU32, count: u32) {
    // The kernel reads the count as an `int`: `u32::MAX` would be -1, which wakes one
    // thread, not all.
    let count = count.min(i32::MAX.unsigned_abs());
    // Waking can only fail for a bad address, which a reference cannot be.
    let _ = futex::wake(word, futex::Flags::PRIVATE, count);
}

/// The calling thread's kernel thread id.
pub(crate) fn current_tid() -> u32 {
    // A tid is a positive `pid_t`.
    rustix::thread::gettid()
        .as_raw_nonzero()
        .get()
        .unsigned_abs()
}

/// Sleeps for `duration`, waking for nothing else.
pub(crate) fn sleep(duration: Duration) {
    std::thread::sleep(duration);
}

/// Gives up the rest of the time slice.
pub(crate) fn yield_now() {
    std::thread::yield_now();
}

/// Makes the calling thread's timed sleeps end as close to their deadline as the kernel
/// can: a timer slack of 1 ns instead of the default 50 µs, for the timer service threads,
/// whose sleeps are every timer's deadline. Best effort: a refusal leaves the default.
pub(crate) fn precise_timed_sleeps() {
    let _ = rustix::thread::set_current_timer_slack(Some(std::num::NonZeroU64::MIN));
}

/// The calling thread's scheduling attributes, if it runs under the normal policy
/// (`SCHED_OTHER`) on a kernel that keeps a time slice per thread (Linux 6.12 and later,
/// whose `sched_getattr` reports the slice in `sched_runtime`); `None` otherwise.
pub(crate) fn normal_slice() -> Option<SchedAttr> {
    // SAFETY: all-zero is a valid `sched_attr` (integers only).
    let mut attr: libc::sched_attr = unsafe { std::mem::zeroed() };
    let size = u32::try_from(std::mem::size_of::<libc::sched_attr>()).ok()?;
    // SAFETY: `attr` is a writable `sched_attr` of `size` bytes; pid 0 is the calling
    // thread; flags must be 0.
    let got = unsafe { libc::syscall(libc::SYS_sched_getattr, 0, &raw mut attr, size, 0) };
    let normal =
        got == 0 && attr.sched_policy == libc::SCHED_OTHER as u32 && attr.sched_runtime != 0;
    normal.then_some(SchedAttr(attr))
}

/// Asks for a time slice of `nanos` for the calling thread (0: the kernel's default),
/// keeping `attr`'s policy, nice value and reset-on-fork flag (the kernel clamps the slice
/// to 0.1–100 ms); whether the kernel took it.
pub(crate) fn set_slice(attr: &SchedAttr, nanos: u64) -> bool {
    let mut attr = attr.0;
    attr.size = match u32::try_from(std::mem::size_of::<libc::sched_attr>()) {
        Ok(size) => size,
        Err(_) => return false,
    };
    attr.sched_flags &= libc::SCHED_FLAG_RESET_ON_FORK as u64;
    attr.sched_runtime = nanos;
    // SAFETY: `attr` is an initialised `sched_attr` whose `size` is its own; pid 0 is the
    // calling thread; flags must be 0.
    unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &raw const attr, 0) == 0 }
}

/// A thread's scheduling attributes, as [`normal_slice`] read them.
#[derive(Clone, Copy)]
pub(crate) struct SchedAttr(libc::sched_attr);

impl SchedAttr {
    /// The time slice, in nanoseconds.
    pub(crate) fn slice(&self) -> u64 {
        self.0.sched_runtime
    }

    /// The nice value.
    pub(crate) fn nice(&self) -> i32 {
        self.0.sched_nice
    }
}

impl std::fmt::Debug for SchedAttr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedAttr")
            .field("nice", &self.0.sched_nice)
            .field("slice", &self.0.sched_runtime)
            .finish()
    }
}

/// A readiness descriptor: an `eventfd`, non-blocking and closed on `exec`, whose counter
/// is non-zero (readable) from a `notify` until the next `clear`.
#[derive(Debug)]
pub(crate) struct Notifier {
    fd: OwnedFd,
}

impl Notifier {
    /// A new, unreadable descriptor.
    pub(crate) fn new() -> io::Result<Self> {
        let fd = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        Ok(Self { fd })
    }

    /// Makes the descriptor readable.
    pub(crate) fn notify(&self) {
        loop {
            match rustix::io::write(&self.fd, &1u64.to_ne_bytes()) {
                Err(Errno::INTR) => {}
                // Written; or EAGAIN: the counter is at its maximum, so it is readable
                // already. Nothing else can fail for an eventfd we own.
                _ => return,
            }
        }
    }

    /// Makes the descriptor unreadable again (resets the counter to zero).
    pub(crate) fn clear(&self) {
        let mut count = [0u8; 8];
        loop {
            match rustix::io::read(&self.fd, &mut count) {
                Err(Errno::INTR) => {}
                // Read (and so reset); or EAGAIN: it was not readable.
                _ => return,
            }
        }
    }

    /// The descriptor, for an event loop to watch for readability.
    pub(crate) fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Whether one of `fds` is ready now (the entries say which), without sleeping.
pub(crate) fn poll_now(fds: &mut [WatchedFd]) -> bool {
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    ppoll(fds, Some(&zero)) > 0
}

/// Sleeps in `ppoll` until `notifier` or one of `fds` is ready (the entries say which),
/// `timeout` passes, or a signal interrupts it; returns whether `notifier` was readable.
/// `fds` is as it was on return, `revents` apart.
pub(crate) fn poll(
    notifier: &Notifier,
    fds: &mut Vec<WatchedFd>,
    timeout: Option<Duration>,
) -> bool {
    use std::os::fd::AsRawFd;
    fds.push(WatchedFd::new(
        notifier.fd.as_raw_fd(),
        crate::wait_hook::FdInterest::Readable,
    ));
    // A timeout too large for a timespec is as good as none. (`c_long` is 32 bits wide on
    // some targets, where the nanoseconds' conversion is the fallible one.)
    #[allow(clippy::unnecessary_fallible_conversions)]
    let timespec = timeout.and_then(|t| {
        Some(libc::timespec {
            tv_sec: libc::time_t::try_from(t.as_secs()).ok()?,
            tv_nsec: libc::c_long::try_from(t.subsec_nanos()).ok()?,
        })
    });
    // Errors (EINTR, ENOMEM) mean "re-check", like a spurious wake-up.
    let _ = ppoll(fds, timespec.as_ref());
    fds.pop().is_some_and(|wake| wake.is_ready())
}

/// `ppoll` on `fds` with `timeout` (`None`: none) and the signal mask as it is: the number
/// of entries ready, or -1 on an error (EINTR, ENOMEM), which callers read as "none".
fn ppoll(fds: &mut [WatchedFd], timeout: Option<&libc::timespec>) -> libc::c_int {
    // SAFETY: `WatchedFd` is `#[repr(C)]` with the fields of `struct pollfd` in its order
    // and types (checked at compile time in `wait_hook.rs`), so the slice is an array of
    // `fds.len()` valid `pollfd`s that the kernel may write `revents` of; `timeout` is
    // null or a borrowed timespec, live for the call; a null signal mask leaves the mask as
    // it is.
    unsafe {
        libc::ppoll(
            fds.as_mut_ptr().cast::<libc::pollfd>(),
            fds.len() as libc::nfds_t,
            timeout.map_or(std::ptr::null(), std::ptr::from_ref),
            std::ptr::null(),
        )
    }
}
