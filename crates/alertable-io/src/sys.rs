//! The operating-system questions the request path asks outside the backends: what kind
//! of descriptor a file is, and whether a stream's peer has gone; and the transfer both
//! backends try on the issuing thread when it needs no waiting.

use std::io;
use std::os::fd::BorrowedFd;
use std::sync::Arc;

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::fs::{FileType, OFlags};
use rustix::io::ReadWriteFlags;

use crate::op::{Kind, OpShared};

/// What a descriptor allows.
pub(crate) struct Described {
    /// Not seekable: a pipe, a socket, a character device.
    pub(crate) stream: bool,
    pub(crate) readable: bool,
    pub(crate) writable: bool,
}

/// Describes `fd`, refusing directories (`EISDIR`) and `O_PATH` descriptors (`EBADF`).
pub(crate) fn describe(fd: BorrowedFd<'_>) -> io::Result<Described> {
    let stat = rustix::fs::fstat(fd)?;
    let file_type = FileType::from_raw_mode(stat.st_mode);
    if file_type == FileType::Directory {
        return Err(rustix::io::Errno::ISDIR.into());
    }
    let flags = rustix::fs::fcntl_getfl(fd)?;
    if flags.contains(OFlags::PATH) {
        return Err(rustix::io::Errno::BADF.into());
    }
    let access = flags & (OFlags::RDONLY | OFlags::WRONLY | OFlags::RDWR);
    Ok(Described {
        stream: !matches!(file_type, FileType::RegularFile | FileType::BlockDevice),
        readable: access != OFlags::WRONLY,
        writable: access == OFlags::WRONLY || access == OFlags::RDWR,
    })
}

/// Whether the regular file `fd` holds bytes at `offset` or beyond: after a short read,
/// whether the read stopped before the end of the file. An `fstat` that fails says no, so
/// the read completes with what it has.
pub(crate) fn holds_bytes_at(fd: BorrowedFd<'_>, offset: u64) -> bool {
    rustix::fs::fstat(fd)
        .is_ok_and(|stat| u64::try_from(stat.st_size).is_ok_and(|size| size > offset))
}

/// Whether the other end of stream `fd` is gone, so that a read (nothing left to read and
/// nobody to write more) or a write (nobody to read) can only fail: a zero-timeout `poll`.
pub(crate) fn peer_closed(fd: BorrowedFd<'_>, write: bool) -> bool {
    let interest = if write { PollFlags::OUT } else { PollFlags::IN };
    let mut fds = [PollFd::new(&fd, interest)];
    if rustix::event::poll(&mut fds, Some(&Timespec::default())).is_err() {
        return false; // let the request itself report what is wrong
    }
    let events = fds[0].revents();
    if write {
        events.contains(PollFlags::ERR)
    } else {
        events.contains(PollFlags::HUP) && !events.contains(PollFlags::IN)
    }
}

/// Ignores `SIGPIPE` if it has its default disposition (ending the process), so that a
/// write to a pipe whose reader is gone fails with `EPIPE` (`ERROR_BROKEN_PIPE`) as it does
/// on Windows. Rust programs already ignore it; C programs using the Win32 ABI do not. A
/// handler the program installed is left alone.
pub(crate) fn ignore_default_sigpipe() {
    // SAFETY: both calls pass pointers to `sigaction` values owned by this frame (an
    // all-zero `sigaction` is a valid one: no handler, empty mask, no flags) or null where
    // the call allows it: the first only reads the current disposition into `old`, the
    // second sets `SIGPIPE` to be ignored.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut old) != 0 {
            return;
        }
        if old.sa_sigaction != libc::SIG_DFL {
            return;
        }
        let mut ignore: libc::sigaction = std::mem::zeroed();
        ignore.sa_sigaction = libc::SIG_IGN;
        // A race with another thread installing a handler meanwhile is the program's;
        // failing here only keeps the default.
        libc::sigaction(libc::SIGPIPE, &ignore, std::ptr::null_mut());
    }
}

/// Does a regular-file request on the issuing thread if it needs no waiting — its data
/// is in the page cache, or it writes to it (`RWF_NOWAIT`) — and completes it there, so
/// that it finishes inside the issuing call (J102). False, with nothing done that counts,
/// if it must wait: a worker then does it from the start (rewriting bytes already written
/// is harmless on a regular file).
pub(crate) fn complete_at_once(op: &Arc<OpShared>) -> bool {
    if op.cancel_requested() {
        return false;
    }
    let fd = op.file().fd();
    let mut buf = op.take_buffer_for_io();
    let len = buf.len();
    let done = match op.kind {
        Kind::Read => {
            match rustix::io::preadv2(
                fd,
                &mut [std::io::IoSliceMut::new(&mut buf)],
                op.offset,
                ReadWriteFlags::NOWAIT,
            ) {
                Ok(n) if n == len => Some(n),
                // Short: the end of the file, or only part of the data is cached.
                Ok(n) => rustix::fs::fstat(fd)
                    .ok()
                    .filter(|stat| op.offset + n as u64 >= stat.st_size as u64)
                    .map(|_| n),
                Err(_) => None,
            }
        }
        Kind::Write => rustix::io::pwritev2(
            fd,
            &[std::io::IoSlice::new(&buf)],
            op.offset,
            ReadWriteFlags::NOWAIT,
        )
        .ok()
        .filter(|&n| n == len),
    };
    op.put_buffer(buf);
    match done {
        Some(n) => {
            op.complete(Ok(n));
            true
        }
        None => false,
    }
}
