//! Windows user-mode asynchronous procedure calls (APCs), on Linux.
//!
//! Every thread owns a queue of APCs. Any thread may queue a closure to any other with
//! [`queue_apc`] (or [`queue_user_apc`], Win32's function-plus-word form); the closure runs
//! **on the target thread, in FIFO order, only while that thread is inside an alertable
//! wait** — [`sleep_ex`] with [`Alertable::Yes`], or [`test_alert`]. That is the model of
//! `QueueUserAPC` and `SleepEx(…, TRUE)`, reproduced exactly:
//!
//! - an APC never runs inside `queue_apc`, not even one queued to the calling thread;
//! - a non-alertable wait never runs APCs; they wait for the next alertable one;
//! - an alertable wait runs *all* pending APCs, including ones queued while they run, and
//!   then returns [`SleepStatus::Alerted`] (Win32's `WAIT_IO_COMPLETION`, 192) at once;
//! - a thread created suspended ([`Builder::suspended`]) runs nothing until
//!   [`ThreadHandle::resume`]; APCs queued before it starts run before its entry function;
//! - APCs still queued when a thread exits are dropped, and queueing to an exited thread
//!   fails with [`QueueApcError::ThreadExited`].
//!
//! [`current`] works on every thread, including `main` and threads made with `std::thread`.
//!
//! Two NT-level additions sit beside the queue: [`alert_thread`] ends the target's current
//! or next alertable wait with [`SleepStatus::ThreadAlerted`] / [`WaitStatus::ThreadAlerted`]
//! (`NtAlertThread`), and the `unsafe` [`queue_special_apc`] runs a closure on the target at
//! once, wherever it is, inside a signal handler (`QueueUserAPC2` with
//! `QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC`).
//!
//! Around the queues sit Win32's dispatcher objects — [`Event`], [`Semaphore`], [`Mutex`]
//! (abandoned when its owner exits) and [`ThreadHandle`] (signaled when the thread exits) —
//! and the waits over them: [`wait_one`], [`wait_any`], [`wait_all`] (atomic: all or
//! nothing) and [`signal_and_wait`], each optionally alertable. A signaled object beats a
//! pending APC; an APC that arrives during an alertable wait ends it with
//! [`WaitStatus::Alerted`].
//! A wait can also be registered with no thread at all: a [`RegisteredWait`] queues on its
//! objects like a waiting thread and runs a notification when it is satisfied — what the
//! thread pool of `alertable-pool` builds its waits and timers on.
//!
//! A thread may also own a message queue, as a Win32 GUI thread does:
//! [`post_thread_message`], [`get_message`] (which, like `GetMessage`, never runs APCs),
//! [`peek_message`], [`post_quit_message`], and [`msg_wait`], the alertable message wait
//! (`MsgWaitForMultipleObjectsEx`) that makes a message loop run APCs. An event loop that
//! waits in `poll` or `epoll` instead (calloop, mio, tokio, glib, winit) watches the
//! thread's [`ApcNotifier`], a file descriptor that becomes readable when APCs are queued,
//! and runs them with [`test_alert`].
//!
//! # Example
//!
//! ```
//! use alertable::{Alertable, sleep_ex};
//! use std::cell::Cell;
//! use std::sync::mpsc;
//!
//! thread_local!(static STOP: Cell<bool> = const { Cell::new(false) });
//!
//! // A worker that serves APCs until one of them tells it to stop.
//! let worker = alertable::spawn(|| {
//!     while !STOP.get() {
//!         sleep_ex(None, Alertable::Yes);
//!     }
//! })
//! .unwrap();
//!
//! let (tx, rx) = mpsc::channel();
//! worker
//!     .thread()
//!     .queue_apc(move || tx.send(alertable::current().id()).unwrap())
//!     .unwrap();
//! // The closure ran on the worker thread.
//! assert_eq!(rx.recv().unwrap(), worker.thread().id());
//!
//! // The stop request runs on the worker too, so it sets the worker's own flag.
//! worker.thread().queue_apc(|| STOP.set(true)).unwrap();
//! worker.join().unwrap();
//! ```
//!
//! # Platform
//!
//! Linux (futexes). Each item's documentation names its Win32 counterpart under `# Win32`.

mod apc;
mod dispatch;
mod message;
mod notifier;
mod object;
mod parker;
mod queue;
mod registered;
#[cfg(not(loom))]
mod shared;
// The mailbox ring's protocol alone, for its loom models (the rest of `shared` maps files).
#[cfg(loom)]
#[path = "shared/ring.rs"]
#[allow(dead_code)]
mod ring;
mod slice;
mod special;
mod suspend;
mod sync;
mod sys;
mod thread;
mod timers;
mod unwind;
mod wait;
mod wait_hook;

/// The README's example, compiled and run as a doctest so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExample;

pub use apc::{QueueApcError, alert_thread, queue_apc, queue_user_apc};
#[doc(hidden)]
pub use dispatch::{Acquired, Dispatcher, Locked, WaitList};
pub use dispatch::{Signal, Waitable};
pub use message::{
    GetMessage, Message, MsgWaitFlags, POSTED_MESSAGE_LIMIT, PeekRemove, PostMessageError,
    QueueStatus, ensure_message_queue, get_message, msg_wait, peek_message, post_quit_message,
    post_thread_message,
};
pub use notifier::ApcNotifier;
#[doc(hidden)]
pub use notifier::has_apc_notifier;
pub use object::{
    DueTime, Event, EventReset, Mutex, Semaphore, SyncError, TimerReset, WaitableTimer,
};
pub use registered::RegisteredWait;
#[cfg(not(loom))]
#[doc(hidden)]
pub use shared::namespace_recoveries;
#[cfg(not(loom))]
pub use shared::{
    MAX_REMOTE_MESSAGE, NameError, Opened, RemoteError, RemoteThread, publish_current,
    register_remote_handler,
};
pub use special::queue_special_apc;
#[cfg(not(loom))]
#[doc(hidden)]
pub use thread::publish_at_next_wait;
#[doc(hidden)]
pub use thread::{BlockObserver, defer_until_drained, set_block_observer};
pub use thread::{Builder, JoinHandle, ResumeError, ThreadHandle, current, spawn};
#[doc(hidden)]
pub use thread::{PreparedThread, exit_current};
#[doc(hidden)]
pub use timers::armed_timers;
#[doc(hidden)]
pub use unwind::discard_panic;
pub use wait::{
    Alertable, MAXIMUM_WAIT_OBJECTS, SleepStatus, WaitError, WaitStatus, signal_and_wait, sleep_ex,
    take_alert, test_alert, wait_all, wait_any, wait_one,
};
#[doc(hidden)]
pub use wait::{Unparker, Woken, park_until, sleep_measured, watch_before_sleeping};
pub use wait_hook::{FdInterest, WatchedFd};
#[doc(hidden)]
pub use wait_hook::{WaitHook, set_wait_hook};
