//! The Windows thread pool, on Linux: work items, timers, waits and I/O completions run as
//! callbacks on a pool of alertable worker threads fed by an I/O completion port.
//!
//! APCs belong to one thread; pooled work belongs here. A Windows program that wants a
//! callback on *some* thread — when a timer is due, an object is signaled, or a request
//! completes — uses the thread pool: a [`Timer`] instead of a waitable timer's routine, an
//! [`Io`] or a [`Wait`] on an event instead of a completion routine. This crate gives the
//! same objects:
//!
//! - [`ThreadPool`]: worker threads that take their callbacks from a
//!   [`CompletionPort`](alertable_io::CompletionPort), so its rules hold — FIFO, the most
//!   recently idle worker first, no more callbacks running at once than its concurrency
//!   value (callbacks blocked in the library's waits do not count) — with a minimum and a
//!   maximum number of threads; it grows when callbacks block and shrinks when idle. The
//!   workers wait alertably, so APCs queued to them run between callbacks.
//! - [`Work`] (submit any number of times, wait for callbacks, cancel pending ones) and
//!   [`try_submit`] (a callback run once).
//! - [`Timer`]: one-shot or periodic, fired by the core's timer service — no thread of its
//!   own.
//! - [`Wait`]: a callback when an object is signaled or a timeout passes, re-armed by
//!   setting it again. **A wait costs no thread**: it is linked into the object's wait list
//!   like a waiting thread ([`alertable::RegisteredWait`]), where Windows dedicates a wait
//!   thread to each 63 of them.
//! - [`Io`]: a file's completions run as callbacks.
//! - [`CleanupGroup`]: close a set of objects together, cancelling or waiting for their
//!   callbacks.
//! - [`CallbackInstance`]: what a callback may ask for when it returns (set an event,
//!   release a semaphore or mutex) and hints (`callback_may_run_long`,
//!   `disassociate_current_thread`).
//!
//! A callback that panics is caught: the panic hook reports it, the handler of
//! [`ThreadPool::set_panic_handler`] gets the payload, and the pool goes on.
//!
//! # A crate, not a module
//!
//! The pool is built from the public pieces of `alertable` (waits, timers, registered
//! waits) and `alertable-io` (the completion port, bound files); being a crate of its own
//! keeps the core free of I/O and of worker-thread policy, and lets programs that use
//! neither not build it.
//!
//! # Example
//!
//! ```
//! use alertable::{Event, EventReset};
//! use alertable_pool::{ThreadPool, Wait, WaitResult, Work};
//! use std::sync::mpsc;
//!
//! let pool = ThreadPool::new();
//! let env = pool.environment();
//! let ready = Event::new(EventReset::Auto, false);
//! let (tx, rx) = mpsc::channel();
//!
//! // A callback when `ready` is signaled: no thread waits for it meanwhile.
//! let wait = Wait::new(&env, move |_, result| tx.send(result).unwrap());
//! wait.set(Box::new(ready.clone()), None);
//!
//! // A work item signals it from a pool thread.
//! let r = ready.clone();
//! let work = Work::new(&env, move |_| r.set());
//! work.submit();
//!
//! assert_eq!(rx.recv().unwrap(), WaitResult::Signaled);
//! ```
//!
//! # Platform
//!
//! Linux. Each item's documentation names its Win32 counterpart under `# Win32`.

mod callback;
mod group;
mod io;
mod pool;
mod simple;
mod timer;
mod wait;
mod work;

pub use callback::CallbackInstance;
pub use group::CleanupGroup;
pub use io::Io;
pub use pool::{DEFAULT_IDLE_TIMEOUT, DEFAULT_MAXIMUM_THREADS, Environment, ThreadPool};
pub use timer::Timer;
pub use wait::{Wait, WaitResult};
pub use work::{Work, try_submit};
