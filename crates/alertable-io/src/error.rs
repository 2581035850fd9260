//! The errors of asynchronous I/O, each naming the Win32 error it stands for.

use std::fmt;
use std::io;

/// Why an I/O request failed, as its Win32 error code would say.
///
/// The same value reaches every completion style: a completion routine's first argument,
/// [`Operation::result`](crate::Operation::result), and a completion packet's status.
///
/// # Win32
///
/// The `dwErrorCode` of a `LPOVERLAPPED_COMPLETION_ROUTINE`, `GetLastError()` after a
/// failed `GetOverlappedResult`, `GetQueuedCompletionStatus` or `ReadFileEx`; see
/// [`win32_error`](Self::win32_error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IoError {
    /// A read started at or beyond the end of the file: `ERROR_HANDLE_EOF` (38).
    EndOfFile,
    /// The request was cancelled, or its thread exited: `ERROR_OPERATION_ABORTED` (995).
    Aborted,
    /// The request is still in progress and the caller asked not to wait:
    /// `ERROR_IO_INCOMPLETE` (996).
    Incomplete,
    /// There was no such request to cancel: `ERROR_NOT_FOUND` (1168).
    NotFound,
    /// An argument was refused before anything was queued (an offset beyond `i64::MAX`,
    /// a completion routine on a file bound to a completion port, …):
    /// `ERROR_INVALID_PARAMETER` (87).
    InvalidParameter,
    /// The file was not opened for this kind of access: `ERROR_ACCESS_DENIED` (5).
    AccessDenied,
    /// A message-mode read got the first part of a message longer than its buffer: this
    /// many bytes; the rest comes with the next read: `ERROR_MORE_DATA` (234).
    MoreData(usize),
    /// Every instance of the named pipe is connected to a client: `ERROR_PIPE_BUSY` (231).
    PipeBusy,
    /// The other end of the pipe has closed it, so what is written reaches nobody:
    /// `ERROR_NO_DATA` (232).
    NoData,
    /// The pipe instance has no client (it was disconnected): `ERROR_PIPE_NOT_CONNECTED`
    /// (233).
    PipeNotConnected,
    /// A client connected before the server asked for one; the pipe is connected and
    /// nothing was queued: `ERROR_PIPE_CONNECTED` (535).
    PipeConnected,
    /// The pipe instance waits for a client and has none yet: `ERROR_PIPE_LISTENING` (536).
    PipeListening,
    /// The pipe is in a state or mode that does not allow the call: `ERROR_BAD_PIPE` (230).
    BadPipe,
    /// No instance of the named pipe became free in time: `ERROR_SEM_TIMEOUT` (121).
    Timeout,
    /// The name is not a pipe name (`\\.\pipe\` and at least one character):
    /// `ERROR_INVALID_NAME` (123).
    InvalidName,
    /// Any other failure, as the operating system reported it (an `errno` value).
    Os(i32),
}

impl IoError {
    /// The Win32 error code, as `GetLastError()` would return it.
    ///
    /// Operating-system errors map the way Wine maps them (`ENOENT` → 2,
    /// `EBADF` → 6, `ENOSPC` → 112, …); an unmapped `errno` gives `ERROR_GEN_FAILURE` (31).
    ///
    /// # Example
    ///
    /// ```
    /// use alertable_io::IoError;
    /// assert_eq!(IoError::EndOfFile.win32_error(), 38);
    /// assert_eq!(IoError::Aborted.win32_error(), 995);
    /// assert_eq!(IoError::Os(rustix::io::Errno::NOSPC.raw_os_error()).win32_error(), 112);
    /// ```
    pub fn win32_error(self) -> u32 {
        match self {
            Self::EndOfFile => 38,
            Self::Aborted => 995,
            Self::Incomplete => 996,
            Self::NotFound => 1168,
            Self::InvalidParameter => 87,
            Self::AccessDenied => 5,
            Self::MoreData(_) => 234,
            Self::PipeBusy => 231,
            Self::NoData => 232,
            Self::PipeNotConnected => 233,
            Self::PipeConnected => 535,
            Self::PipeListening => 536,
            Self::BadPipe => 230,
            Self::Timeout => 121,
            Self::InvalidName => 123,
            Self::Os(errno) => errno_to_win32(errno),
        }
    }

    /// The error for a failed system call (`-errno` or `errno`), with the few `errno`
    /// values that have a variant of their own mapped to it.
    pub(crate) fn from_errno(errno: i32) -> Self {
        use rustix::io::Errno;
        let errno = errno.abs();
        match Errno::from_raw_os_error(errno) {
            Errno::CANCELED => Self::Aborted,
            Errno::INVAL => Self::InvalidParameter,
            Errno::ACCESS | Errno::PERM => Self::AccessDenied,
            _ => Self::Os(errno),
        }
    }
}

/// Wine's `errno` → Win32 table, for the values file I/O can meet.
fn errno_to_win32(errno: i32) -> u32 {
    use rustix::io::Errno;
    match Errno::from_raw_os_error(errno) {
        Errno::NOENT => 2,                                // ERROR_FILE_NOT_FOUND
        Errno::NOTDIR => 3,                               // ERROR_PATH_NOT_FOUND
        Errno::MFILE | Errno::NFILE => 4,                 // ERROR_TOO_MANY_OPEN_FILES
        Errno::ACCESS | Errno::PERM | Errno::ISDIR => 5,  // ERROR_ACCESS_DENIED
        Errno::BADF => 6,                                 // ERROR_INVALID_HANDLE
        Errno::NOMEM => 8,                                // ERROR_NOT_ENOUGH_MEMORY
        Errno::ROFS => 19,                                // ERROR_WRITE_PROTECT
        Errno::BUSY => 170,                               // ERROR_BUSY
        Errno::EXIST => 80,                               // ERROR_FILE_EXISTS
        Errno::INVAL | Errno::SPIPE => 87,                // ERROR_INVALID_PARAMETER
        Errno::PIPE | Errno::CONNRESET => 109,            // ERROR_BROKEN_PIPE
        Errno::NOSPC | Errno::FBIG | Errno::DQUOT => 112, // ERROR_DISK_FULL
        Errno::NAMETOOLONG => 206,                        // ERROR_FILENAME_EXCED_RANGE
        Errno::CANCELED => 995,                           // ERROR_OPERATION_ABORTED
        Errno::NOSYS | Errno::OPNOTSUPP => 50,            // ERROR_NOT_SUPPORTED
        _ => 31,                                          // ERROR_GEN_FAILURE
    }
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EndOfFile => f.write_str("reached the end of the file"),
            Self::Aborted => f.write_str("the I/O operation was aborted"),
            Self::Incomplete => f.write_str("the I/O operation is still in progress"),
            Self::NotFound => f.write_str("no such I/O operation is pending"),
            Self::InvalidParameter => f.write_str("invalid parameter"),
            Self::AccessDenied => f.write_str("access denied"),
            Self::MoreData(n) => write!(f, "more data is available ({n} bytes read)"),
            Self::PipeBusy => f.write_str("all pipe instances are busy"),
            Self::NoData => f.write_str("the pipe is being closed"),
            Self::PipeNotConnected => f.write_str("no process is on the other end of the pipe"),
            Self::PipeConnected => f.write_str("there is a process on the other end of the pipe"),
            Self::PipeListening => {
                f.write_str("waiting for a process to open the other end of the pipe")
            }
            Self::BadPipe => f.write_str("the pipe state is invalid"),
            Self::Timeout => f.write_str("the timeout period expired"),
            Self::InvalidName => f.write_str("the name is not a pipe name"),
            Self::Os(errno) => write!(f, "{}", io::Error::from_raw_os_error(*errno)),
        }
    }
}

impl std::error::Error for IoError {}

impl From<IoError> for io::Error {
    fn from(e: IoError) -> Self {
        use rustix::io::Errno;
        let errno = match e {
            IoError::Os(errno) => return io::Error::from_raw_os_error(errno),
            IoError::Aborted => Errno::CANCELED,
            IoError::InvalidParameter => Errno::INVAL,
            IoError::AccessDenied => Errno::ACCESS,
            IoError::NotFound => Errno::NOENT,
            IoError::Incomplete => Errno::INPROGRESS,
            IoError::EndOfFile => return io::Error::new(io::ErrorKind::UnexpectedEof, e),
            IoError::MoreData(_) => Errno::MSGSIZE,
            IoError::PipeBusy => Errno::AGAIN,
            IoError::NoData => Errno::PIPE,
            IoError::PipeNotConnected | IoError::PipeListening => Errno::NOTCONN,
            IoError::PipeConnected => Errno::ISCONN,
            IoError::BadPipe => Errno::BADF,
            IoError::Timeout => Errno::TIMEDOUT,
            IoError::InvalidName => Errno::INVAL,
        };
        io::Error::new(io::Error::from_raw_os_error(errno.raw_os_error()).kind(), e)
    }
}

impl From<io::Error> for IoError {
    fn from(e: io::Error) -> Self {
        match e.raw_os_error() {
            Some(errno) => Self::from_errno(errno),
            None => Self::Os(rustix::io::Errno::IO.raw_os_error()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_win32s() {
        assert_eq!(IoError::Incomplete.win32_error(), 996);
        assert_eq!(IoError::NotFound.win32_error(), 1168);
        assert_eq!(IoError::from_errno(-125).win32_error(), 995); // -ECANCELED from a CQE
        assert_eq!(IoError::from_errno(9), IoError::Os(9));
        assert_eq!(IoError::Os(9).win32_error(), 6);
        assert_eq!(IoError::Os(4095).win32_error(), 31);
    }
}
