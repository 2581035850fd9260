//! What a completion port carries: [`CompletionPacket`], and why taking one failed:
//! [`PortError`].

use std::fmt;

use crate::IoError;

/// One completion: an I/O request that finished on a file bound to a port, or a packet
/// posted by hand.
///
/// # Win32
///
/// The four values `GetQueuedCompletionStatus` returns (bytes transferred, completion key,
/// `LPOVERLAPPED`, and success or the error) — an `OVERLAPPED_ENTRY` — plus the buffer the
/// request owned, which comes back to whoever takes the packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionPacket {
    /// The completion key the file was bound with, or the one posted.
    pub key: usize,
    /// Identifies the request: [`Operation::token`](crate::Operation::token) for a file
    /// request, any value for a posted packet (Win32's `lpOverlapped`).
    pub token: usize,
    /// Bytes transferred, or the error the request failed with.
    pub status: Result<usize, IoError>,
    /// The request's buffer, handed back (`None` for posted packets unless one was given).
    /// After a read it holds exactly the bytes read.
    pub buffer: Option<Vec<u8>>,
}

impl CompletionPacket {
    /// A packet with no buffer, as `PostQueuedCompletionStatus(port, bytes, key, token)`
    /// makes.
    pub fn new(key: usize, token: usize, status: Result<usize, IoError>) -> Self {
        Self {
            key,
            token,
            status,
            buffer: None,
        }
    }
}

/// Why no packet was taken from a completion port.
///
/// # Win32
///
/// `GetLastError()` after `GetQueuedCompletionStatus(Ex)` returned `FALSE` without a packet;
/// see [`win32_error`](Self::win32_error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PortError {
    /// The timeout passed with the port empty: `WAIT_TIMEOUT` (258) (L123).
    TimedOut,
    /// An alertable wait ran APCs instead: `WAIT_IO_COMPLETION` (192) (L125).
    Alerted,
    /// The port was closed while (or before) waiting: `ERROR_ABANDONED_WAIT_0` (735) (L131).
    Closed,
    /// A bad argument (room for no packet in
    /// [`CompletionPort::get_many`](crate::CompletionPort::get_many)):
    /// `ERROR_INVALID_PARAMETER` (87).
    InvalidParameter,
}

impl PortError {
    /// The Win32 error code, as `GetLastError()` would return it.
    pub fn win32_error(self) -> u32 {
        match self {
            Self::TimedOut => 258,
            Self::Alerted => 192,
            Self::Closed => 735,
            Self::InvalidParameter => 87,
        }
    }
}

impl fmt::Display for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TimedOut => "no completion packet arrived before the timeout",
            Self::Alerted => "APCs ran during the alertable wait",
            Self::Closed => "the completion port was closed",
            Self::InvalidParameter => "invalid parameter",
        })
    }
}

impl std::error::Error for PortError {}
