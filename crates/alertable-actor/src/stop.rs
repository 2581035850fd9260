//! Stopping an actor: what happens to the messages still queued ([`StopMode`]), and what
//! the actor leaves behind ([`Stopped`]).

use std::fmt;

/// What a stopping actor does with the messages already in its mailbox.
///
/// Either way the mailbox refuses new messages from the moment the stop is requested
/// ([`SendError::Stopped`](crate::SendError::Stopped) hands them back), and the request
/// overtakes the queued messages: it is seen before the next message is handled, however
/// many are waiting. A handler that is running is never interrupted.
///
/// # Examples
///
/// ```
/// use alertable_actor::StopMode;
///
/// assert!(StopMode::Now > StopMode::Drain); // a second, stronger request wins
/// ```
///
/// # Win32
///
/// The seed's actor stops by clearing its loop flag and leaves the APCs still queued to
/// its thread to be discarded when the thread exits: `Now`. `Drain` has no counterpart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StopMode {
    /// Handle every message accepted before the request, in order, then stop.
    Drain,
    /// Handle nothing more: drop the queued messages (their destructors run on the actor's
    /// thread) and count them in [`Stopped::dropped`].
    Now,
}

/// Why an actor stopped.
///
/// # Win32
///
/// No counterpart: a Win32 thread reports only its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StopReason {
    /// [`ActorRef::stop`](crate::ActorRef::stop) was called, with this mode (the
    /// strongest, if it was called more than once).
    Requested(StopMode),
    /// The actor stopped itself: [`Context::stop`](crate::Context::stop), or
    /// [`Flow::Stop`](crate::Flow::Stop) returned by `on_idle` or `on_error`.
    Itself(StopMode),
    /// `on_error` panicked. The actor stopped as with [`StopMode::Now`].
    ErrorHandlerPanicked,
    /// `on_start` failed; [`spawn`](crate::spawn) returned the error. Messages sent to
    /// handles that `on_start` gave out were dropped.
    StartFailed,
}

/// The record an actor leaves when it stops, returned by
/// [`ActorRef::join`](crate::ActorRef::join).
///
/// Every message the mailbox accepted is counted exactly once, in `handled` or in
/// `dropped`.
///
/// # Examples
///
/// ```
/// use alertable_actor::{Actor, Context, Envelope, Options, StopMode, StopReason};
///
/// struct Quiet;
/// impl Actor for Quiet {
///     type Message = u32;
///     type Error = std::convert::Infallible;
///     fn on_message(&mut self, _: &mut Context<u32>, _: Envelope<u32>) {}
/// }
///
/// let actor = alertable_actor::spawn("quiet", Quiet, Options::default()).unwrap();
/// for i in 0..3 {
///     actor.send(i).unwrap();
/// }
/// actor.stop(StopMode::Drain);
/// let stopped = actor.join().unwrap();
/// assert_eq!(stopped.reason, StopReason::Requested(StopMode::Drain));
/// assert_eq!((stopped.handled, stopped.dropped), (3, 0));
/// ```
///
/// # Win32
///
/// The thread's exit code (`GetExitCodeThread`), with counts instead of a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Stopped {
    /// Why it stopped.
    pub reason: StopReason,
    /// Messages given to `on_message`, including those whose handler panicked.
    pub handled: u64,
    /// Messages accepted but never handled, because the actor stopped
    /// [`Now`](StopMode::Now).
    pub dropped: u64,
    /// Handler panics caught and passed to `on_error` (start-up excluded).
    pub panics: u64,
}

/// Why [`ActorRef::join`](crate::ActorRef::join) or
/// [`ActorRef::wait_stopped`](crate::ActorRef::wait_stopped) returned without a record.
///
/// # Win32
///
/// The outcomes of `WaitForSingleObjectEx` on the actor's thread other than
/// `WAIT_OBJECT_0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JoinError {
    /// The timeout passed and the actor is still running. Win32: `WAIT_TIMEOUT` (258).
    TimedOut,
    /// An APC ran during the alertable wait, which ended early. Win32:
    /// `WAIT_IO_COMPLETION` (192). Also when the thread was alerted
    /// ([`alertable::alert_thread`]), which ends an alertable wait the same way (NT:
    /// `STATUS_ALERTED`).
    Alerted,
    /// Called on the actor's own thread, which would wait for itself forever. Win32:
    /// `ERROR_POSSIBLE_DEADLOCK` (1131).
    OwnThread,
}

impl JoinError {
    /// The Win32 code this corresponds to.
    pub fn win32_error(self) -> u32 {
        match self {
            Self::TimedOut => 258,
            Self::Alerted => 192,
            Self::OwnThread => 1131,
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TimedOut => "the actor had not stopped when the timeout passed",
            Self::Alerted => "an APC ended the wait for the actor",
            Self::OwnThread => "an actor cannot wait for its own thread",
        })
    }
}

impl std::error::Error for JoinError {}
