//! The only place that talks to the operating system.
//!
//! Every backend meets this contract, and the algorithms above (the APC queue, the parker,
//! the thread start gate) are written once against it:
//!
//! | item | contract |
//! |------|----------|
//! | `futex_wait(word, expected, timeout)` | sleeps while `*word == expected`, until a wake, the timeout, or spuriously; returns at once if the word differs |
//! | `futex_wait_until_wall(word, expected, time)` | as `futex_wait`, with an absolute wall-clock deadline that follows changes of the system clock |
//! | `futex_wake(word, count)` | wakes up to `count` threads sleeping in `futex_wait` on `word` |
//! | `current_tid()` | the calling thread's OS thread id (never 0) |
//! | `sleep(duration)` | sleeps the calling thread without waking for anything but the clock |
//! | `yield_now()` | gives up the rest of the time slice |
//! | `Notifier::new()` | a readiness descriptor (an `eventfd` on Linux) that an event loop can poll; not readable at first |
//! | `Notifier::notify()` | makes it readable; never blocks, and repeated notifications before a `clear` are one |
//! | `Notifier::clear()` | makes it unreadable again; never blocks |
//! | `Notifier::as_fd()` | the descriptor, to poll for readability (absent under loom) |
//! | `poll(notifier, fds, timeout)` | sleeps until the notifier or one of `fds` is ready (their entries say which), the timeout, or spuriously (a signal); returns whether the notifier was readable |
//! | `poll_now(fds)` | whether one of `fds` is ready now (their entries say which), without sleeping |
//! | `install_suspend_handler(f)` | once per process: the suspend signal runs `f` on the thread it interrupts (`f` must be async-signal-safe) |
//! | `send_suspend_signal(tid)` | sends the suspend signal to thread `tid` of this process; false if it no longer exists |
//! | `install_special_apc_handler(f)` | once per process: the special-APC signal runs `f` on the thread it interrupts (`f` must be async-signal-safe) |
//! | `send_special_apc_signal(tid)` | sends the special-APC signal to thread `tid` of this process; false if it no longer exists |
//! | `normal_slice()` | the calling thread's scheduling attributes if it runs under the normal policy on a kernel with a time slice per thread; `None` otherwise (absent under loom) |
//! | `set_slice(attr, nanos)` | asks for a time slice of `nanos` (0: the default) for the calling thread, keeping `attr`'s policy, nice value and reset-on-fork flag; whether the kernel took it (absent under loom) |
//! | `futex_wait_shared` / `futex_wake_shared` | as `futex_wait` / `futex_wake`, on a word that other processes map too |
//!
//! `shm` (not under loom) holds the calls of the cross-process namespace: the per-user
//! file, its robust lock and its liveness locks; its own table is in `shm.rs`.
//!
//! Spurious returns from `futex_wait` are allowed everywhere: every caller re-checks its
//! condition in a loop. Under `--cfg loom` the futex is emulated with loom's mutex and
//! condition variable so that the protocols above can be model-checked unchanged; loom has
//! no clock, so a timed wait there returns at once, which exercises the timeout paths. Loom
//! has no signals either: the models never suspend a running thread nor interrupt one with a
//! special APC.

#[cfg(not(loom))]
mod linux;
#[cfg(loom)]
pub(crate) use self::loom::precise_timed_sleeps;
#[cfg(not(loom))]
pub(crate) use linux::{
    Notifier, current_tid, futex_wait, futex_wait_until_wall, futex_wake, poll, poll_now, sleep,
    yield_now,
};
#[cfg(not(loom))]
pub(crate) use linux::{SchedAttr, normal_slice, precise_timed_sleeps, set_slice};
#[cfg(not(loom))]
pub(crate) mod shm;
#[cfg(not(loom))]
pub(crate) use shm::{futex_wait_shared, futex_wake_shared};
#[cfg(not(loom))]
mod signal;
#[cfg(not(loom))]
pub(crate) use signal::{
    install_special_apc_handler, install_suspend_handler, send_special_apc_signal,
    send_suspend_signal,
};

#[cfg(loom)]
mod loom;
#[cfg(loom)]
pub(crate) use self::loom::{
    Notifier, current_tid, futex_wait, futex_wait as futex_wait_shared, futex_wait_until_wall,
    futex_wake, futex_wake as futex_wake_shared, install_special_apc_handler,
    install_suspend_handler, poll, poll_now, send_special_apc_signal, send_suspend_signal, sleep,
    yield_now,
};
