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
