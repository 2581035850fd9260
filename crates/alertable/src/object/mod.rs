//! Dispatcher objects: [`Event`], [`Semaphore`], [`Mutex`], [`WaitableTimer`] — and [`SyncError`], the errors
//! their operations return.
//!
//! Each object is a cheap cloneable handle to shared state (clones are the same object,
//! like duplicated Win32 handles) and implements [`Waitable`](crate::Waitable), so any mix
//! of them can be waited on with [`wait_any`](crate::wait_any) and
//! [`wait_all`](crate::wait_all). Their synchronised state lives in the dispatcher (see
//! `dispatch.rs`).

use std::fmt;

mod event;
mod mutex;
mod semaphore;
mod timer;

pub use event::{Event, EventReset};
pub use mutex::Mutex;
pub(crate) use mutex::OwnedMutexes;
pub(crate) use mutex::abandon_owned_mutexes;
pub use semaphore::Semaphore;
pub use timer::{DueTime, TimerReset, WaitableTimer};
pub(crate) use timer::{SetTimers, TimerInner};

/// Why an operation on a dispatcher object failed. The object is left unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SyncError {
    /// An argument is out of range: a semaphore whose initial count exceeds its maximum,
    /// a maximum of 0, or a release of 0. Win32: `ERROR_INVALID_PARAMETER` (87) (F63).
    InvalidParameter,
    /// Releasing would push a semaphore's count over its maximum. Win32:
    /// `ERROR_TOO_MANY_POSTS` (298) (F64, F65).
    TooManyPosts,
    /// The calling thread does not own the mutex. Win32: `ERROR_NOT_OWNER` (288) (G68).
    NotOwner,
}

impl SyncError {
    /// The Win32 error code this corresponds to.
    pub fn win32_error(self) -> u32 {
        match self {
            Self::InvalidParameter => 87,
            Self::TooManyPosts => 298,
            Self::NotOwner => 288,
        }
    }
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InvalidParameter => "invalid parameter",
            Self::TooManyPosts => "the semaphore would exceed its maximum count",
            Self::NotOwner => "the calling thread does not own the mutex",
        })
    }
}

impl std::error::Error for SyncError {}
