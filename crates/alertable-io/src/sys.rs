//! The operating-system questions the request path asks outside the backends: what kind
//! of descriptor a file is, and whether a stream's peer has gone.

use std::io;
use std::os::fd::BorrowedFd;

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::fs::{FileType, OFlags};

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
