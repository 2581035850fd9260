//! [`ActorRef`], the handle through which everyone else reaches an actor, and
//! [`SendError`].

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use alertable::{Alertable, ThreadHandle, WaitStatus, wait_one};

use crate::envelope::{ActorId, Envelope};
use crate::mailbox::{Queue, Refused};
use crate::reply::{Reply, ReplyTo};
use crate::stop::{JoinError, StopMode, Stopped};

/// What an actor's thread and all its handles share.
pub(crate) struct Shared<M> {
    pub(crate) id: ActorId,
    pub(crate) name: Box<str>,
    pub(crate) mailbox: Queue<M>,
    /// Written once, by the actor's thread, before it exits.
    pub(crate) stopped: Mutex<Option<Stopped>>,
}

/// A handle to an actor: send it messages, ask it questions, stop it, wait for it.
///
/// Cheap to clone (one reference count) and usable from any thread, actors' or not. It
/// stays valid after the actor stops; sending then fails and hands the message back.
/// Obtain one from [`spawn`](crate::spawn), [`lookup`](crate::lookup),
/// [`lookup_id`](crate::lookup_id) or [`Context::myself`](crate::Context::myself).
///
/// # Examples
///
/// ```
/// use alertable_actor::{Actor, Context, Envelope, Options, ReplyTo, StopMode};
/// use alertable::Alertable;
///
/// enum Msg {
///     Push(i64),
///     Sum(ReplyTo<i64>),
/// }
///
/// struct Adder(i64);
///
/// impl Actor for Adder {
///     type Message = Msg;
///     type Error = std::convert::Infallible;
///     fn on_message(&mut self, _: &mut Context<Msg>, envelope: Envelope<Msg>) {
///         match envelope.message {
///             Msg::Push(n) => self.0 += n,
///             Msg::Sum(reply) => reply.send(self.0),
///         }
///     }
/// }
///
/// let adder = alertable_actor::spawn("adder", Adder(0), Options::default()).unwrap();
/// let senders: Vec<_> = (1..=4)
///     .map(|n| {
///         let adder = adder.clone();
///         std::thread::spawn(move || adder.send(Msg::Push(n)).unwrap())
///     })
///     .collect();
/// for sender in senders {
///     sender.join().unwrap();
/// }
/// let mut sum = adder.ask(Msg::Sum).unwrap();
/// assert_eq!(sum.wait(None, Alertable::No), Ok(10));
/// adder.stop(StopMode::Drain);
/// adder.join().unwrap();
/// assert!(adder.send(Msg::Push(1)).is_err());
/// ```
///
/// # Win32
///
/// The seed's `ActorHandle`: a thread handle opened with `THREAD_SET_CONTEXT`, through
/// which `SendMessage` queues APCs to the actor's thread.
pub struct ActorRef<M> {
    shared: Arc<Shared<M>>,
}

impl<M> Clone for ActorRef<M> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<M> PartialEq for ActorRef<M> {
    /// Two handles are equal when they refer to the same actor.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<M> Eq for ActorRef<M> {}

impl<M> fmt::Debug for ActorRef<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorRef")
            .field("id", &self.shared.id)
            .field("name", &self.shared.name)
            .field("mailbox", &self.shared.mailbox)
            .finish()
    }
}

impl<M> ActorRef<M> {
    pub(crate) fn new(shared: Arc<Shared<M>>) -> Self {
        Self { shared }
    }

    pub(crate) fn shared(&self) -> &Shared<M> {
        &self.shared
    }

    /// The actor's id: its thread's id.
    ///
    /// # Win32
    ///
    /// `GetThreadId` of the actor's thread.
    pub fn id(&self) -> ActorId {
        self.shared.id
    }

    /// The actor's name.
    ///
    /// # Win32
    ///
    /// The seed's `Actor.Name`.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// The actor's thread: a waitable object (signaled once the actor has stopped and its
    /// thread has finished), and the target for APCs of one's own.
    ///
    /// An APC queued here runs during the actor's next alertable wait — between messages,
    /// or inside a handler that waits alertably — never in the middle of a handler's code.
    pub fn thread(&self) -> &ThreadHandle {
        self.shared.mailbox.thread()
    }

    /// Sends `message`, with no id. Never blocks.
    ///
    /// The envelope records the calling actor as the sender ([`ActorId::current`]). The
    /// messages of one sender are handled in the order sent.
    ///
    /// # Errors
    ///
    /// The message comes back inside the error, never lost:
    /// [`SendError::Full`] if the mailbox is bounded and full, [`SendError::Stopped`] if
    /// the actor is stopping or has stopped.
    ///
    /// # Win32
    ///
    /// The seed's `ActorHandle.SendMessage`, i.e. `QueueUserAPC`.
    #[inline]
    pub fn send(&self, message: M) -> Result<(), SendError<M>> {
        self.post(Envelope::new(message, ActorId::current(), None))
    }

    /// Sends `message` with the message id `id`, which the receiver finds in
    /// [`Envelope::id`]. Never blocks.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    ///
    /// # Win32
    ///
    /// The seed's `SendMessage(MsgID, Message)`.
    #[inline]
    pub fn send_with_id(&self, id: u64, message: M) -> Result<(), SendError<M>> {
        self.post(Envelope::new(message, ActorId::current(), Some(id)))
    }

    #[inline]
    fn post(&self, envelope: Envelope<M>) -> Result<(), SendError<M>> {
        self.shared
            .mailbox
            .push(envelope)
            .map_err(|(why, envelope)| match why {
                Refused::Full => SendError::Full(envelope.message),
                Refused::Closed => SendError::Stopped(envelope.message),
            })
    }

    /// Sends a request and returns the [`Reply`] to wait on. `make` builds the message
    /// around the [`ReplyTo`] that the actor answers through; a tuple variant's name does
    /// (`actor.ask(Msg::Get)`).
    ///
    /// If the request is dropped unanswered (the actor stops [`Now`](StopMode::Now), or a
    /// handler drops the `ReplyTo`), the wait ends with
    /// [`ReplyError::NoReply`](crate::ReplyError::NoReply) rather than never.
    ///
    /// # Examples
    ///
    /// See [`ActorRef`].
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send): the request comes back inside the error.
    ///
    /// # Win32
    ///
    /// No counterpart in the seed; the user32 analogy is `SendMessage` (wait for the
    /// answer) against `PostThreadMessage` ([`send`](Self::send)).
    pub fn ask<R, F>(&self, make: F) -> Result<Reply<R>, SendError<M>>
    where
        F: FnOnce(ReplyTo<R>) -> M,
    {
        let (reply_to, reply) = crate::reply::pair();
        self.send(make(reply_to))?;
        Ok(reply)
    }

    /// Asks the actor to stop. Returns at once; [`join`](Self::join) waits for it.
    ///
    /// From now on the mailbox refuses messages. The request overtakes the messages queued
    /// before it: the actor sees it before handling the next one, and then handles them
    /// ([`StopMode::Drain`]) or drops them ([`StopMode::Now`]). A handler already running
    /// finishes first. Calling it again, or on a stopped actor, does no harm; a later `Now`
    /// overrides an earlier `Drain`.
    ///
    /// # Win32
    ///
    /// No counterpart in the seed, whose loop ends when a handler says so.
    pub fn stop(&self, mode: StopMode) {
        self.shared.mailbox.close(mode);
    }

    pub(crate) fn close(&self, mode: StopMode) {
        self.shared.mailbox.close(mode);
    }

    /// Whether the actor has stopped: its record is written (so [`join`](Self::join) will
    /// not block for long) and it has left the registry.
    ///
    /// # Win32
    ///
    /// `GetExitCodeThread` returning something other than `STILL_ACTIVE`.
    pub fn is_stopped(&self) -> bool {
        self.stopped().is_some()
    }

    /// Whether the mailbox refuses new messages (a stop was requested, or happened).
    ///
    /// # Win32
    ///
    /// No counterpart; the seed's handle fails only once the thread is gone.
    pub fn is_closed(&self) -> bool {
        self.shared.mailbox.is_closed()
    }

    /// Waits, not alertably, until the actor has stopped and its thread has finished, and
    /// returns its record.
    ///
    /// # Errors
    ///
    /// [`JoinError::OwnThread`] if called on the actor's own thread.
    ///
    /// # Panics
    ///
    /// As [`wait_stopped`](Self::wait_stopped).
    ///
    /// # Win32
    ///
    /// `WaitForSingleObject(actor_thread, INFINITE)` then `GetExitCodeThread`.
    pub fn join(&self) -> Result<Stopped, JoinError> {
        self.wait_stopped(None, Alertable::No)
    }

    /// Waits until the actor has stopped and its thread has finished, or `timeout`
    /// passes, or (if `alertable`) an APC runs on the calling thread.
    ///
    /// # Errors
    ///
    /// [`JoinError::TimedOut`], [`JoinError::Alerted`], or [`JoinError::OwnThread`] if
    /// called on the actor's own thread.
    ///
    /// # Panics
    ///
    /// Only if this crate broke its own rule that an actor's thread writes its record
    /// before it finishes (also when it unwinds).
    ///
    /// # Win32
    ///
    /// `WaitForSingleObjectEx(actor_thread, timeout, alertable)`.
    pub fn wait_stopped(
        &self,
        timeout: Option<Duration>,
        alertable: Alertable,
    ) -> Result<Stopped, JoinError> {
        if ActorId::current() == Some(self.shared.id) {
            return Err(JoinError::OwnThread);
        }
        match wait_one(self.thread(), timeout, alertable) {
            Ok(WaitStatus::Signaled(_) | WaitStatus::Abandoned(_)) => {}
            Ok(WaitStatus::Alerted | WaitStatus::ThreadAlerted) => return Err(JoinError::Alerted),
            Ok(WaitStatus::TimedOut) => return Err(JoinError::TimedOut),
            Err(error) => unreachable!("a wait on one thread handle failed: {error}"),
        }
        // The actor's thread writes its record before its entry function returns, which
        // is what signals the thread.
        Ok(self
            .stopped()
            .expect("an actor's thread writes its record before it finishes"))
    }

    fn stopped(&self) -> Option<Stopped> {
        *self
            .shared
            .stopped
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Messages accepted and not yet taken by the actor. Exact for a bounded mailbox; for
    /// an unbounded one the actor accounts in batches, so while it is busy this may count
    /// some messages already handled (never while it is idle).
    ///
    /// # Win32
    ///
    /// No counterpart: an APC queue cannot be inspected.
    pub fn queued(&self) -> usize {
        self.shared.mailbox.accepted()
    }
}

/// Why a message could not be sent; the message is inside.
///
/// # Win32
///
/// `QueueUserAPC` / `PostThreadMessage` failing; see each variant.
#[derive(Clone, PartialEq, Eq)]
pub enum SendError<M> {
    /// The mailbox is bounded and full. Win32: `PostThreadMessage` at the queue limit,
    /// `ERROR_NOT_ENOUGH_QUOTA` (1816).
    Full(M),
    /// The actor is stopping or has stopped. Win32: `QueueUserAPC` to a thread that has
    /// exited, `ERROR_GEN_FAILURE` (31).
    Stopped(M),
}

impl<M> SendError<M> {
    /// The message that was not sent.
    pub fn into_inner(self) -> M {
        match self {
            Self::Full(message) | Self::Stopped(message) => message,
        }
    }

    /// The Win32 error code this corresponds to.
    pub fn win32_error(&self) -> u32 {
        match self {
            Self::Full(_) => 1816,
            Self::Stopped(_) => 31,
        }
    }
}

impl<M> fmt::Debug for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full(_) => "Full(..)",
            Self::Stopped(_) => "Stopped(..)",
        })
    }
}

impl<M> fmt::Display for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full(_) => "the actor's mailbox is full",
            Self::Stopped(_) => "the actor has stopped",
        })
    }
}

impl<M> std::error::Error for SendError<M> {}
