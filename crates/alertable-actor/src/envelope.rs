//! What travels through a mailbox: the message, who sent it, and the id the sender gave
//! it; and [`ActorId`], the identity of an actor.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;

/// The identity of an actor: the OS thread id of its thread.
///
/// Every actor runs on a thread of its own, so the thread id names it. An [`Envelope`]
/// carries the sender's id, and [`lookup_id`](crate::lookup_id) turns an id back into a
/// handle, so a receiver can answer whoever wrote to it.
///
/// Like Win32 thread ids, an id can be reused by a thread created after the actor's thread
/// has exited; a lookup then finds the new actor (if it is one, and takes the same message
/// type) or nothing.
///
/// # Examples
///
/// ```
/// use alertable_actor::{ActorId, Actor, Context, Envelope, Options};
/// use std::sync::mpsc;
///
/// struct WhoAmI(mpsc::Sender<Option<ActorId>>);
///
/// impl Actor for WhoAmI {
///     type Message = ();
///     type Error = std::convert::Infallible;
///     fn on_message(&mut self, ctx: &mut Context<()>, _: Envelope<()>) {
///         assert_eq!(ActorId::current(), Some(ctx.id()));
///         self.0.send(ActorId::current()).unwrap();
///     }
/// }
///
/// let (tx, rx) = mpsc::channel();
/// let actor = alertable_actor::spawn("who-am-i", WhoAmI(tx), Options::default()).unwrap();
/// assert_eq!(ActorId::current(), None); // not an actor's thread
/// actor.send(()).unwrap();
/// assert_eq!(rx.recv().unwrap(), Some(actor.id()));
/// assert_eq!(actor.id().thread_id(), actor.thread().id());
/// # actor.stop(alertable_actor::StopMode::Drain);
/// # actor.join().unwrap();
/// ```
///
/// # Win32
///
/// The native thread id the seed's actor reads with `GetCurrentThreadId` in its thread's
/// start function, and that `OpenThread` takes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActorId(NonZeroU64);

thread_local! {
    /// The id of the actor whose thread this is; `None` on every other thread.
    static CURRENT: Cell<Option<ActorId>> = const { Cell::new(None) };
}

impl ActorId {
    /// Wraps a thread id; `None` for 0, which no thread has.
    pub(crate) fn from_thread_id(tid: u64) -> Option<Self> {
        NonZeroU64::new(tid).map(Self)
    }

    /// The OS thread id of the actor's thread.
    ///
    /// # Win32
    ///
    /// `GetThreadId` of the actor's thread.
    pub fn thread_id(self) -> u64 {
        self.0.get()
    }

    /// The id of the actor running on the calling thread, or `None` if the calling thread
    /// is not an actor's. This is what [`ActorRef::send`](crate::ActorRef::send) puts in
    /// [`Envelope::sender`].
    ///
    /// # Win32
    ///
    /// `GetCurrentThreadId`, for actor threads only.
    #[inline]
    pub fn current() -> Option<Self> {
        CURRENT.get()
    }

    /// Marks the calling thread as this actor's.
    pub(crate) fn enter(self) {
        CURRENT.set(Some(self));
    }
}

impl fmt::Debug for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActorId({})", self.0)
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A message as an actor receives it: the payload, the sender's identity, and the id the
/// sender gave it, if any.
///
/// # Examples
///
/// ```
/// use alertable_actor::{Actor, Context, Envelope, Options, StopMode};
/// use std::sync::mpsc;
///
/// struct Log(mpsc::Sender<(Option<u64>, String)>);
///
/// impl Actor for Log {
///     type Message = String;
///     type Error = std::convert::Infallible;
///     fn on_message(&mut self, _: &mut Context<String>, envelope: Envelope<String>) {
///         // Sent from the main thread, which is not an actor: no sender.
///         assert_eq!(envelope.sender, None);
///         self.0.send((envelope.id, envelope.message)).unwrap();
///     }
/// }
///
/// let (tx, rx) = mpsc::channel();
/// let log = alertable_actor::spawn("log", Log(tx), Options::default()).unwrap();
/// log.send("plain".to_owned()).unwrap();
/// log.send_with_id(7, "numbered".to_owned()).unwrap();
/// assert_eq!(rx.recv().unwrap(), (None, "plain".to_owned()));
/// assert_eq!(rx.recv().unwrap(), (Some(7), "numbered".to_owned()));
/// log.stop(StopMode::Drain);
/// log.join().unwrap();
/// ```
///
/// # Win32
///
/// The seed's `APCMessage`: a message id, the payload, and the sending thread's native id,
/// passed as the APC's parameter.
#[non_exhaustive]
pub struct Envelope<M> {
    /// The payload.
    pub message: M,
    /// The actor that sent it; `None` if it was sent from a thread that is not an actor's.
    pub sender: Option<ActorId>,
    /// The id given with [`ActorRef::send_with_id`](crate::ActorRef::send_with_id).
    pub id: Option<u64>,
}

impl<M> Envelope<M> {
    pub(crate) fn new(message: M, sender: Option<ActorId>, id: Option<u64>) -> Self {
        Self {
            message,
            sender,
            id,
        }
    }

    /// The payload, without the sender and the id.
    pub fn into_message(self) -> M {
        self.message
    }
}

impl<M> fmt::Debug for Envelope<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("sender", &self.sender)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}
