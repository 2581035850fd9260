//! Asynchronous file I/O and I/O completion ports for [`alertable`] threads: the Win32
//! overlapped-I/O model on Linux.
//!
//! A request reads or writes at an offset with a buffer the request **owns** until it
//! completes (so a cancelled or failed request can never leave the kernel writing into
//! freed memory), and completes in one of four ways, as in Win32:
//!
//! 1. **poll** — an [`Operation`] to ask (`GetOverlappedResult`);
//! 2. **event** — an [`alertable::Event`] is signaled;
//! 3. **completion routine** — a closure queued as an APC to the issuing thread, run only in
//!    its alertable waits (`ReadFileEx` / `WriteFileEx`);
//! 4. **completion port** — a [`CompletionPacket`] on the port the file is bound to.
//!
//! # Platform
//!
//! Linux. io_uring is used when the kernel offers it; otherwise (or with
//! `ALERTABLE_IO_BACKEND=threads`) a pool of worker threads does blocking `pread`/`pwrite`.
//! Both behave the same.

mod error;
mod packet;
mod port;

pub use error::IoError;
pub use packet::{CompletionPacket, PortError};
pub use port::CompletionPort;
