//! Linux: the two signals the library uses.
//!
//! - [`suspend_signal`], `SIGRTMIN() + 7`:
//!   [`ThreadHandle::suspend`](crate::ThreadHandle::suspend) stops a running thread with it.
//! - [`special_apc_signal`], `SIGRTMIN() + 8`: [`queue_special_apc`](crate::queue_special_apc)
//!   interrupts its target with it, to run the special APC there.
//!
//! glibc reserves the two signals below `SIGRTMIN()` for itself (thread cancellation and
//! `setxid`) and already leaves them out of `SIGRTMIN()`; `+ 7` and `+ 8` stay clear of the
//! lowest few real-time signals, which other runtimes and programs tend to take first. A
//! program that uses one of them for something else must not use the feature that needs it.
//!
//! Each handler is installed once, on first use, with `SA_RESTART | SA_SIGINFO` (system
//! calls the signal interrupts are restarted where the kernel can restart them). It
//! replaces whatever handler was installed before and calls nothing but the function
//! registered for it, with `errno` saved around it, so that the interrupted code sees its
//! own `errno` unchanged. The suspend handler blocks the special-APC signal while it runs,
//! so a thread held stopped inside it runs no special APC until it is resumed; the
//! special-APC handler blocks nothing but itself, so a suspension stops a thread that is
//! running a special APC.

use std::sync::Once;

use crate::sync::{AtomicPtr, Ordering};

/// The signal that asks a thread to stop: `SIGRTMIN() + 7`.
pub(crate) fn suspend_signal() -> libc::c_int {
    libc::SIGRTMIN() + 7
}

/// The signal that makes a thread run its special APCs: `SIGRTMIN() + 8`.
pub(crate) fn special_apc_signal() -> libc::c_int {
    libc::SIGRTMIN() + 8
}

/// The function the suspend handler calls: set once by [`install_suspend_handler`],
/// before the handler can run.
static ON_SUSPEND: AtomicPtr<()> = AtomicPtr::new(std::ptr::null_mut());
/// The function the special-APC handler calls: set once by
/// [`install_special_apc_handler`], before the handler can run.
static ON_SPECIAL_APC: AtomicPtr<()> = AtomicPtr::new(std::ptr::null_mut());

/// Installs the suspend signal's handler, once per process, so that it calls `on_signal`.
///
/// `on_signal` runs on the interrupted thread, inside a signal handler: it must be
/// async-signal-safe (atomics and raw futex calls only; no allocation, no locks) and must
/// not unwind.
pub(crate) fn install_suspend_handler(on_signal: fn()) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        install(
            suspend_signal(),
            &ON_SUSPEND,
            on_signal,
            suspend_handler,
            Some(special_apc_signal()),
        );
    });
}

/// Installs the special-APC signal's handler, once per process, so that it calls
/// `on_signal`, under the same rules as [`install_suspend_handler`].
pub(crate) fn install_special_apc_handler(on_signal: fn()) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        install(
            special_apc_signal(),
            &ON_SPECIAL_APC,
            on_signal,
            special_apc_handler,
            None,
        );
    });
}

type Handler = extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void);

/// Registers `on_signal` in `slot`, then installs `handler` for `signal`, blocking `also`
/// (besides `signal` itself) while it runs.
fn install(
    signal: libc::c_int,
    slot: &AtomicPtr<()>,
    on_signal: fn(),
    handler: Handler,
    also: Option<libc::c_int>,
) {
    slot.store(on_signal as *mut (), Ordering::Release);
    // SAFETY: an all-zero `sigaction` is a valid value (no flags, empty mask) that we fill
    // in before use; `sigemptyset`, `sigaddset` and `sigaction` get pointers to this
    // frame's values; the handler is a plain `extern "C"` function that never unwinds and
    // uses only async-signal-safe operations (see `run_registered`).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as *const () as usize;
        action.sa_flags = libc::SA_RESTART | libc::SA_SIGINFO;
        libc::sigemptyset(&mut action.sa_mask);
        if let Some(also) = also {
            libc::sigaddset(&mut action.sa_mask, also);
        }
        let installed = libc::sigaction(signal, &action, std::ptr::null_mut());
        // Fails only for an invalid signal number, which these are not.
        assert_eq!(
            installed, 0,
            "the library's signal handler cannot be installed"
        );
    }
}

/// Sends the suspend signal to thread `tid` of this process; false if no such thread
/// exists any more.
pub(crate) fn send_suspend_signal(tid: u32) -> bool {
    send(tid, suspend_signal())
}

/// Sends the special-APC signal to thread `tid` of this process; false if no such thread
/// exists any more.
pub(crate) fn send_special_apc_signal(tid: u32) -> bool {
    send(tid, special_apc_signal())
}

fn send(tid: u32, signal: libc::c_int) -> bool {
    let Ok(tid) = libc::pid_t::try_from(tid) else {
        return false;
    };
    // SAFETY: `tgkill` reads no memory; the signal's handler is installed (the callers
    // install it before sending), so its default action (ending the process) never applies.
    let sent = unsafe {
        libc::syscall(
            libc::SYS_tgkill,
            libc::getpid(),
            tid,
            libc::c_long::from(signal),
        )
    };
    sent == 0
}

extern "C" fn suspend_handler(
    _signal: libc::c_int,
    _info: *mut libc::siginfo_t,
    _context: *mut libc::c_void,
) {
    run_registered(&ON_SUSPEND);
}

extern "C" fn special_apc_handler(
    _signal: libc::c_int,
    _info: *mut libc::siginfo_t,
    _context: *mut libc::c_void,
) {
    run_registered(&ON_SPECIAL_APC);
}

/// The body of both handlers: calls the function registered in `slot` with `errno`
/// preserved.
fn run_registered(slot: &AtomicPtr<()>) {
    // SAFETY: `__errno_location` returns the calling thread's `errno` slot, valid for as
    // long as the thread lives; reading and writing it is async-signal-safe.
    let errno = unsafe { libc::__errno_location() };
    // SAFETY: as above.
    let saved = unsafe { errno.read() };
    let on_signal = slot.load(Ordering::Acquire);
    if !on_signal.is_null() {
        // SAFETY: the only value ever stored is a `fn()` (in `install`), stored before the
        // handler was installed.
        let on_signal: fn() = unsafe { std::mem::transmute::<*mut (), fn()>(on_signal) };
        on_signal();
    }
    // SAFETY: as above.
    unsafe { errno.write(saved) };
}
