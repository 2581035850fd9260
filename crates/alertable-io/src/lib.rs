//! Asynchronous file I/O and I/O completion ports for [`alertable`] threads: the Win32
//! overlapped-I/O model on Linux.
//!
//! An [`AsyncFile`] request reads or writes at an offset with a buffer the request
//! **owns** until it completes — so a cancelled or failed request can never leave the
//! kernel writing into freed memory — and completes in one of the four Win32 styles:
//!
//! 1. **poll** — ask its [`Operation`] (`GetOverlappedResult`);
//! 2. **event** — an [`alertable::Event`] is signaled;
//! 3. **completion routine** — a closure queued as an APC to the issuing thread, run only in
//!    its alertable waits (`ReadFileEx` / `WriteFileEx`);
//! 4. **completion port** — a [`CompletionPacket`] on the [`CompletionPort`] the file is
//!    bound to.
//!
//! Only the routine waits for its thread: events, operations and ports complete whatever
//! the issuing thread is doing.
//!
//! ```
//! use alertable::{Event, EventReset, WaitStatus, wait_one};
//! use alertable_io::{AsyncFile, IoError, IssueStatus};
//!
//! let path = std::env::temp_dir().join(format!("alertable-io-lib-{}", std::process::id()));
//! let file = AsyncFile::create(&path)?;
//! let done = Event::new(EventReset::Manual, false);
//! let write = file.write_with_event(0, b"abc".to_vec(), &done)?;
//! assert_eq!(wait_one(&done, None, alertable::Alertable::No)?, WaitStatus::Signaled(0));
//! assert_eq!(write.result(false), Ok(3));
//!
//! // A read at the end of the file completes with ERROR_HANDLE_EOF (38), inside the call
//! // (J100, J102): there is nothing to wait for.
//! let read = file.read(3, vec![0; 8])?;
//! assert_eq!(read.issue_status(), IssueStatus::Completed);
//! assert_eq!(read.result(false), Err(IoError::EndOfFile));
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Pipes
//!
//! [`pipe`] makes named pipes ([`NamedPipe`] servers, clients from [`pipe::open`]) and
//! anonymous ones ([`pipe::anonymous`]) as [`AsyncFile`]s, between threads and between
//! processes of one user, with Windows' byte and message modes and pipe errors.
//!
//! # Platform
//!
//! Linux. io_uring serves when the kernel offers it; otherwise (or with
//! `ALERTABLE_IO_BACKEND=threads`) a pool of worker threads does blocking
//! `pread`/`pwrite`. Both behave the same; [`backend_name`] says which one runs.
//!
//! A child of `fork` inherits neither backend's threads and shares the parent's ring: it
//! must not issue I/O through this crate before it execs (dropping a file it inherited is
//! fine).

mod backend;
mod error;
mod file;
mod held;
mod lend;
mod op;
mod packet;
pub mod pipe;
mod pool;
mod port;
mod routine;
mod sys;
mod uring;

/// Locks `mutex`: no code of the caller's runs under this crate's locks, so a poisoned one
/// (a panic in the crate itself) is taken as it is.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub use backend::backend_name;
#[doc(hidden)]
pub use backend::{configure_ring_for_tests, ring_overflow_flushes, submit_deferred};
pub use error::IoError;
pub use file::{AsyncFile, SubmitError};
#[doc(hidden)]
pub use held::completed_by_own_wait;
pub use op::{IssueStatus, Operation};
pub use packet::{CompletionPacket, PortError};
pub use pipe::NamedPipe;
pub use port::CompletionPort;
