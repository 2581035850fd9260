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
        Kind::Connect | Kind::Transact => unreachable!("only pipes connect or transact"),
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

/// The calls of pipes (`pipe.rs`), on Unix domain sockets: every socket is non-blocking
/// and close-on-exec, and every transfer takes `MSG_DONTWAIT`, so that a caller never
/// blocks in one (the backends wait for readiness instead).
pub(crate) mod pipe {
    use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
    use std::path::Path;

    use rustix::event::{PollFd, PollFlags, Timespec};
    use rustix::io::Errno;
    use rustix::net::{
        AddressFamily, RecvFlags, SendFlags, Shutdown, SocketAddrUnix, SocketFlags, SocketType,
    };

    /// The socket type that carries a pipe: a stream for bytes, sequenced packets for
    /// messages.
    fn socket_type(message: bool) -> SocketType {
        if message {
            SocketType::SEQPACKET
        } else {
            SocketType::STREAM
        }
    }

    const FLAGS: SocketFlags = SocketFlags::NONBLOCK.union(SocketFlags::CLOEXEC);

    /// A socket bound to `path` and listening, with room for one client that is not yet
    /// accepted (a backlog of 0 lets one in on Linux): a second client is refused with
    /// `EAGAIN` until the first is accepted.
    pub(crate) fn listen_at(path: &Path, message: bool) -> rustix::io::Result<OwnedFd> {
        let fd = rustix::net::socket_with(AddressFamily::UNIX, socket_type(message), FLAGS, None)?;
        rustix::net::bind(&fd, &SocketAddrUnix::new(path)?)?;
        rustix::net::listen(&fd, 0)?;
        Ok(fd)
    }

    /// Connects to the listening socket at `path` without waiting.
    pub(crate) fn connect_to(path: &Path, message: bool) -> rustix::io::Result<OwnedFd> {
        let fd = rustix::net::socket_with(AddressFamily::UNIX, socket_type(message), FLAGS, None)?;
        rustix::net::connect(&fd, &SocketAddrUnix::new(path)?)?;
        Ok(fd)
    }

    /// A connected pair, for an anonymous pipe.
    pub(crate) fn pair() -> rustix::io::Result<(OwnedFd, OwnedFd)> {
        rustix::net::socketpair(AddressFamily::UNIX, SocketType::STREAM, FLAGS, None)
    }

    /// Accepts a waiting client; `EAGAIN` if there is none.
    pub(crate) fn accept(listener: BorrowedFd<'_>) -> rustix::io::Result<OwnedFd> {
        retry(|| rustix::net::accept_with(listener, FLAGS))
    }

    /// The user on the other end of a connected socket.
    pub(crate) fn peer_uid(fd: BorrowedFd<'_>) -> rustix::io::Result<u32> {
        Ok(rustix::net::sockopt::socket_peercred(fd)?.uid.as_raw())
    }

    /// The user this process acts as.
    pub(crate) fn effective_uid() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    /// Asks for a send buffer of at least `size` bytes (the kernel may give less).
    pub(crate) fn size_send_buffer(fd: BorrowedFd<'_>, size: usize) {
        let _ = rustix::net::sockopt::set_socket_send_buffer_size(fd, size);
    }

    /// Puts `replacement` in the place of `fd`, under `fd`'s number: the file `fd` named
    /// is closed, and whoever holds the number now reaches `replacement`'s.
    pub(crate) fn replace(fd: BorrowedFd<'_>, replacement: OwnedFd) -> rustix::io::Result<()> {
        // SAFETY: both numbers are open descriptors (`fd` is borrowed from its owner, who
        // keeps owning the number; `replacement` is owned here and closed after). `dup3`
        // atomically makes `fd`'s number refer to `replacement`'s file; it touches no
        // memory.
        let done = unsafe { libc::dup3(replacement.as_raw_fd(), fd.as_raw_fd(), libc::O_CLOEXEC) };
        if done < 0 {
            return Err(Errno::from_raw_os_error(
                std::io::Error::last_os_error()
                    .raw_os_error()
                    .unwrap_or(libc::EIO),
            ));
        }
        Ok(())
    }

    /// Ends both directions of a connection: the other end reads the end of the stream and
    /// can no longer write; pending polls on this end wake.
    pub(crate) fn hang_up(fd: BorrowedFd<'_>) {
        let _ = rustix::net::shutdown(fd, Shutdown::Both);
    }

    /// Peeks at the next message: its full length, and up to `buf.len()` of its bytes.
    pub(crate) fn peek_message(fd: BorrowedFd<'_>, buf: &mut [u8]) -> rustix::io::Result<usize> {
        let flags = RecvFlags::PEEK | RecvFlags::TRUNC | RecvFlags::DONTWAIT;
        retry(|| rustix::net::recv(fd, &mut *buf, flags).map(|(_, full)| full))
    }

    /// Receives (and removes) the next message in one call: its first `buf.len()` bytes
    /// into `buf`, the next `spill.len()` into `spill`. Returns the message's full length
    /// (`MSG_TRUNC`), which is more than both hold together if the kernel dropped its end.
    pub(crate) fn receive_message(
        fd: BorrowedFd<'_>,
        buf: &mut [u8],
        spill: &mut [u8],
    ) -> rustix::io::Result<usize> {
        use rustix::net::RecvAncillaryBuffer;
        use std::io::IoSliceMut;
        let flags = RecvFlags::TRUNC | RecvFlags::DONTWAIT;
        retry(|| {
            let mut iov = [IoSliceMut::new(&mut *buf), IoSliceMut::new(&mut *spill)];
            let mut control = RecvAncillaryBuffer::default();
            rustix::net::recvmsg(fd, &mut iov, &mut control, flags).map(|got| got.bytes)
        })
    }

    /// Room a message read receives into beyond its buffer (`pipe.rs` P5): anonymous memory
    /// mapped for it alone, so that its pages are zero and take no memory until a message
    /// is received into them (an allocator may hand out used heap memory instead, which a
    /// zeroed allocation would have to write over).
    pub(crate) struct Spill {
        start: std::ptr::NonNull<u8>,
        len: usize,
    }

    // SAFETY: a `Spill` owns its mapping alone (no other pointer to it exists), so it may
    // move to, and be used from, another thread like a `Vec<u8>`; `&Spill` gives no access
    // to the bytes.
    unsafe impl Send for Spill {}
    // SAFETY: as above: nothing reaches the bytes through a shared reference.
    unsafe impl Sync for Spill {}

    impl Spill {
        /// `len` bytes (at least 1), mapped; `None` if the mapping fails.
        pub(crate) fn new(len: usize) -> Option<Self> {
            let len = len.max(1);
            // SAFETY: an anonymous private mapping at an address the kernel picks touches
            // no existing memory; the result is checked before use.
            let start = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                    -1,
                    0,
                )
            };
            if start == libc::MAP_FAILED {
                return None;
            }
            Some(Self {
                start: std::ptr::NonNull::new(start.cast())?,
                len,
            })
        }

        pub(crate) fn len(&self) -> usize {
            self.len
        }

        pub(crate) fn bytes(&mut self) -> &mut [u8] {
            // SAFETY: `start` is the start of a readable and writable mapping of `len`
            // bytes that this value owns alone until it is dropped (`new`); its bytes are
            // initialised (an anonymous mapping reads as zeros); `&mut self` makes the
            // slice the only access for its lifetime.
            unsafe { std::slice::from_raw_parts_mut(self.start.as_ptr(), self.len) }
        }
    }

    impl Drop for Spill {
        fn drop(&mut self) {
            // SAFETY: `start` and `len` are the mapping `new` made, owned by this value
            // alone, and no slice of it outlives `&mut self` (`bytes`).
            unsafe {
                libc::munmap(self.start.as_ptr().cast(), self.len);
            }
        }
    }

    /// Receives (and removes) up to `buf.len()` bytes, or the next message (cut to fit).
    pub(crate) fn receive(fd: BorrowedFd<'_>, buf: &mut [u8]) -> rustix::io::Result<usize> {
        retry(|| rustix::net::recv(fd, &mut *buf, RecvFlags::DONTWAIT).map(|(n, _)| n))
    }

    /// Receives into `buf`, then into `then` what does not fit (`readv`'s way), without
    /// waiting; how many bytes in all.
    pub(crate) fn receive_two(
        fd: BorrowedFd<'_>,
        buf: &mut [u8],
        then: &mut [u8],
    ) -> rustix::io::Result<usize> {
        use std::io::IoSliceMut;
        retry(|| {
            let mut iov = [IoSliceMut::new(&mut *buf), IoSliceMut::new(&mut *then)];
            let mut control = rustix::net::RecvAncillaryBuffer::default();
            rustix::net::recvmsg(fd, &mut iov, &mut control, RecvFlags::DONTWAIT)
                .map(|got| got.bytes)
        })
    }

    /// Peeks at up to `buf.len()` bytes of a byte stream.
    pub(crate) fn peek_bytes(fd: BorrowedFd<'_>, buf: &mut [u8]) -> rustix::io::Result<usize> {
        let flags = RecvFlags::PEEK | RecvFlags::DONTWAIT;
        retry(|| rustix::net::recv(fd, &mut *buf, flags).map(|(n, _)| n))
    }

    /// Sends bytes (as one message on a message socket); `EPIPE` instead of `SIGPIPE`.
    pub(crate) fn send(fd: BorrowedFd<'_>, buf: &[u8]) -> rustix::io::Result<usize> {
        retry(|| rustix::net::send(fd, buf, SendFlags::DONTWAIT | SendFlags::NOSIGNAL))
    }

    /// The bytes waiting to be received (all messages together on a message socket).
    pub(crate) fn bytes_waiting(fd: BorrowedFd<'_>) -> usize {
        rustix::io::ioctl_fionread(fd).map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// The bytes this end sent that the other end has not read yet (`SIOCOUTQ`).
    pub(crate) fn unread_by_peer(fd: BorrowedFd<'_>) -> usize {
        let mut queued: libc::c_int = 0;
        // SAFETY: `fd` is an open socket; `TIOCOUTQ` (`SIOCOUTQ`) writes one `int` to the
        // pointer, which points at `queued`, alive for the call.
        let done = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCOUTQ, &raw mut queued) };
        if done < 0 {
            0
        } else {
            usize::try_from(queued).unwrap_or(0)
        }
    }

    /// Whether the other end has hung up (a zero-timeout `poll`).
    pub(crate) fn hung_up(fd: BorrowedFd<'_>) -> bool {
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        rustix::event::poll(&mut fds, Some(&Timespec::default())).is_ok()
            && fds[0].revents().intersects(PollFlags::HUP | PollFlags::ERR)
    }

    /// Waits up to `timeout` (forever if `None`) for `fd` to become readable.
    pub(crate) fn wait_readable(fd: BorrowedFd<'_>, timeout: Option<std::time::Duration>) {
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        let timeout = timeout.map(|t| Timespec {
            tv_sec: i64::try_from(t.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(t.subsec_nanos()),
        });
        let _ = rustix::event::poll(&mut fds, timeout.as_ref());
    }

    /// An inotify descriptor that becomes readable when an entry is created in (or moved
    /// into) `dir`.
    pub(crate) fn watch_creations(dir: &Path) -> rustix::io::Result<OwnedFd> {
        use rustix::fs::inotify;
        let fd = inotify::init(inotify::CreateFlags::CLOEXEC | inotify::CreateFlags::NONBLOCK)?;
        inotify::add_watch(
            &fd,
            dir,
            inotify::WatchFlags::CREATE
                | inotify::WatchFlags::MOVED_TO
                | inotify::WatchFlags::DELETE_SELF,
        )?;
        Ok(fd)
    }

    /// Empties an inotify descriptor's queue of events.
    pub(crate) fn drain(fd: impl AsFd) {
        let mut buf = [0u8; 4096];
        while matches!(rustix::io::read(&fd, &mut buf), Ok(n) if n > 0) {}
    }

    fn retry<T>(mut call: impl FnMut() -> rustix::io::Result<T>) -> rustix::io::Result<T> {
        loop {
            match call() {
                Err(Errno::INTR) => continue,
                other => return other,
            }
        }
    }
}

/// Takes an exclusive `flock` on the file at `path` (created if missing, mode 0600),
/// waiting for it; the lock goes with the returned descriptor.
pub(crate) fn lock_file(path: &std::path::Path) -> rustix::io::Result<std::os::fd::OwnedFd> {
    use rustix::fs::{FlockOperation, Mode, OFlags};
    let fd = rustix::fs::open(
        path,
        OFlags::CREATE | OFlags::RDWR | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )?;
    loop {
        match rustix::fs::flock(&fd, FlockOperation::LockExclusive) {
            Err(rustix::io::Errno::INTR) => continue,
            other => break other.map(|()| fd),
        }
    }
}
