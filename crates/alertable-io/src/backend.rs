//! The backend contract, and the choice of backend.
//!
//! A backend takes requests ([`OpShared`]) and completes each exactly once with
//! [`OpShared::complete`], holding a strong reference until then (R1), from whatever
//! thread it likes: completion styles other than the routine never wait for the issuing
//! thread. It must not busy-poll. Two backends meet the contract:
//!
//! - [`uring`](crate::uring): one io_uring shared by the process;
//! - [`pool`](crate::pool): worker threads doing blocking `pread`/`pwrite`.
//!
//! io_uring is chosen when it can be set up; any setup failure (`ENOSYS` on old kernels,
//! `EPERM` under seccomp or with `io_uring_disabled`, `ENOMEM` under a small memlock
//! limit) selects the worker threads. `ALERTABLE_IO_BACKEND=threads` forces them;
//! `ALERTABLE_IO_BACKEND=io_uring` insists on io_uring and panics if it is unavailable.
//! The choice is made once per process, on first use.

use std::sync::{Arc, OnceLock};

use crate::op::OpShared;
use crate::pool::Pool;
use crate::uring::Ring;

/// The environment variable that forces a backend.
const FORCE_VAR: &str = "ALERTABLE_IO_BACKEND";

pub(crate) enum Backend {
    Uring(Box<Ring>),
    Pool(Pool),
}

impl Backend {
    /// Starts a request. Never fails: a request the kernel refuses completes with the
    /// error.
    pub(crate) fn submit(&'static self, op: &Arc<OpShared>) {
        match self {
            Self::Uring(ring) => ring.submit(op, false),
            Self::Pool(pool) => pool.submit(op),
        }
    }

    /// [`submit`](Self::submit) from the call that issued the request, whose reference
    /// `op` becomes the request's first handle before any code of the caller's runs: the
    /// ring may borrow it (L1 of `lend.rs`).
    pub(crate) fn submit_issued(&'static self, op: &Arc<OpShared>) {
        match self {
            Self::Uring(ring) => ring.submit(op, true),
            Self::Pool(pool) => pool.submit(op),
        }
    }

    /// Asks the kernel to end a request early (its cancel flag is already set). The
    /// request completes as usual, with [`IoError::Aborted`](crate::IoError::Aborted)
    /// unless it finished first.
    pub(crate) fn cancel(&'static self, op: &Arc<OpShared>) {
        match self {
            Self::Uring(ring) => ring.cancel(op),
            Self::Pool(pool) => pool.cancel(op),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Uring(_) => "io_uring",
            Self::Pool(_) => "threads",
        }
    }
}

/// The process's backend, once chosen.
static BACKEND: OnceLock<Backend> = OnceLock::new();

/// The process's backend if it has been chosen yet.
pub(crate) fn peek() -> Option<&'static Backend> {
    BACKEND.get()
}

/// The process's backend, chosen on first use.
pub(crate) fn get() -> &'static Backend {
    BACKEND.get_or_init(|| {
        crate::sys::ignore_default_sigpipe();
        let forced = std::env::var(FORCE_VAR).ok();
        match forced.as_deref() {
            Some("threads") => Backend::Pool(Pool::new()),
            Some("io_uring") => Backend::Uring(
                Ring::new()
                    .map(Box::new)
                    .unwrap_or_else(|e| panic!("{FORCE_VAR}=io_uring: {e}")),
            ),
            _ => Ring::new().map_or_else(
                |_| Backend::Pool(Pool::new()),
                |ring| Backend::Uring(Box::new(ring)),
            ),
        }
    })
}

/// The backend serving this process: `"io_uring"` or `"threads"`.
///
/// # Example
///
/// ```
/// let name = alertable_io::backend_name();
/// assert!(name == "io_uring" || name == "threads");
/// ```
pub fn backend_name() -> &'static str {
    get().name()
}

/// Sizes the io_uring the process sets up later: `submission` and `completion` queue
/// entries, and at most `in_flight_limit` requests in the kernel at once (the completion
/// queue's size if `None`). For tests that make the completion queue overflow (a limit
/// above the queue's size) or requests wait for room (a small queue). False, and no
/// effect, once the backend is chosen.
#[doc(hidden)]
pub fn configure_ring_for_tests(
    submission: u32,
    completion: u32,
    in_flight_limit: Option<usize>,
) -> bool {
    crate::uring::configure_for_tests(crate::uring::Sizes {
        submission,
        completion,
        in_flight_limit,
    })
}

/// How many times the io_uring backend found the kernel holding completions back in its
/// overflow list and flushed them. For tests.
#[doc(hidden)]
pub fn ring_overflow_flushes() -> usize {
    crate::uring::overflow_flushes()
}

/// Hands the calling thread's deferred requests to the kernel now.
///
/// Requests issued while a thread runs APCs are normally submitted together when the APC
/// drain ends or before the thread blocks in a library wait (see `uring.rs`, U5), and pipe
/// requests that wait are kept by the issuing thread, whose waits in the library complete
/// them (`held.rs`); both go to the backend now. Code
/// that may wait for such a request by other means — a C program spinning on
/// `HasOverlappedIoCompleted`, or blocking outside the library — calls this after issuing.
/// Without deferred requests it does nothing.
#[doc(hidden)]
pub fn submit_deferred() {
    crate::uring::flush_deferred();
    // Pipe requests this thread holds to complete itself (`held.rs`) need the backend too.
    crate::held::release_all();
}
