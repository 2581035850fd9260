//! Linux: the suspend signal, the one signal the library uses.
//!
//! [`ThreadHandle::suspend`](crate::ThreadHandle::suspend) stops a running thread by sending
//! it [`suspend_signal`]: real-time signal `SIGRTMIN() + 7`. glibc reserves the two signals
//! below `SIGRTMIN()` for itself (thread cancellation and `setxid`) and already leaves them
//! out of `SIGRTMIN()`; `+ 7` stays clear of the lowest few real-time signals, which other
//! runtimes and programs tend to take first. A program that uses the same signal for
//! something else must not suspend threads.
//!
//! The handler is installed once, on the first suspension, with `SA_RESTART | SA_SIGINFO`
//! (system calls the signal interrupts are restarted where the kernel can restart them) and
//! an empty mask beyond the signal itself. It replaces whatever handler was installed
//! before and calls nothing but the function given to [`install_suspend_handler`], with
//! `errno` saved around it, so that the interrupted code sees its own `errno` unchanged.

use std::sync::Once;

use crate::sync::{AtomicPtr, Ordering};

/// The signal that asks a thread to stop: `SIGRTMIN() + 7`.
pub(crate) fn suspend_signal() -> libc::c_int {
    libc::SIGRTMIN() + 7
}

/// The function the handler calls: set once by [`install_suspend_handler`], before the
/// handler can run.
static ON_SIGNAL: AtomicPtr<()> = AtomicPtr::new(std::ptr::null_mut());

/// Installs the suspend signal's handler, once per process, so that it calls `on_signal`.
///
/// `on_signal` runs on the interrupted thread, inside a signal handler: it must be
/// async-signal-safe (atomics and raw futex calls only; no allocation, no locks) and must
/// not unwind.
pub(crate) fn install_suspend_handler(on_signal: fn()) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        ON_SIGNAL.store(on_signal as *mut (), Ordering::Release);
        // SAFETY: an all-zero `sigaction` is a valid value (no flags, empty mask) that we
        // fill in before use; `sigemptyset` and `sigaction` get pointers to this frame's
        // values; the handler is a plain `extern "C"` function that never unwinds and uses
        // only async-signal-safe operations (see `handler`).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as *const () as usize;
            action.sa_flags = libc::SA_RESTART | libc::SA_SIGINFO;
            libc::sigemptyset(&mut action.sa_mask);
            let installed = libc::sigaction(suspend_signal(), &action, std::ptr::null_mut());
            // Fails only for an invalid signal number, which this one is not.
            assert_eq!(
                installed, 0,
                "the suspend signal's handler cannot be installed"
            );
        }
    });
}

/// Sends the suspend signal to thread `tid` of this process; false if no such thread
/// exists any more.
pub(crate) fn send_suspend_signal(tid: u32) -> bool {
    let Ok(tid) = libc::pid_t::try_from(tid) else {
        return false;
    };
    // SAFETY: `tgkill` reads no memory; the signal's handler is installed (the caller
    // installs it before sending), so its default action (ending the process) never applies.
    let sent = unsafe {
        libc::syscall(
            libc::SYS_tgkill,
            libc::getpid(),
            tid,
            suspend_signal() as libc::c_long,
        )
    };
    sent == 0
}

/// The signal handler: calls the registered function with `errno` preserved.
extern "C" fn handler(
    _signal: libc::c_int,
    _info: *mut libc::siginfo_t,
    _context: *mut libc::c_void,
) {
    // SAFETY: `__errno_location` returns the calling thread's `errno` slot, valid for as
    // long as the thread lives; reading and writing it is async-signal-safe.
    let errno = unsafe { libc::__errno_location() };
    // SAFETY: as above.
    let saved = unsafe { errno.read() };
    let on_signal = ON_SIGNAL.load(Ordering::Acquire);
    if !on_signal.is_null() {
        // SAFETY: the only value ever stored is a `fn()` (in `install_suspend_handler`),
        // stored before the handler was installed.
        let on_signal: fn() = unsafe { std::mem::transmute::<*mut (), fn()>(on_signal) };
        on_signal();
    }
    // SAFETY: as above.
    unsafe { errno.write(saved) };
}
