//! The [`Actor`] trait and what its handlers return or receive: [`Flow`], [`Failure`],
//! [`Handler`].

use std::any::Any;
use std::fmt;

use crate::context::Context;
use crate::envelope::{ActorId, Envelope};
use crate::stop::StopMode;

/// The behaviour of an actor: four handlers, all run on the actor's own thread, one at a
/// time, never re-entered.
///
/// - [`on_start`](Actor::on_start) runs first; [`spawn`](crate::spawn) returns only after
///   it, with its error if it fails.
/// - [`on_message`](Actor::on_message) runs once per message, in the order the mailbox
///   accepted them (so in each sender's order).
/// - [`on_idle`](Actor::on_idle) runs when the idle period passes with no message.
/// - [`on_error`](Actor::on_error) runs when another handler panics.
///
/// A handler may wait alertably (for completion routines, timers, replies): the APCs
/// queued to the actor's thread run there, and messages that arrive meanwhile wait in the
/// mailbox, in order, for the handler to return. Message arrivals do not end such a wait.
///
/// # Panics
///
/// A panic in `on_start`, `on_message` or `on_idle` is caught and passed to `on_error` as
/// a [`Failure`]; the actor goes on unless `on_error` returns [`Flow::Stop`] (a failed
/// start always ends it). A panic in `on_error` itself stops the actor as
/// [`StopMode::Now`] would, with [`StopReason::ErrorHandlerPanicked`](crate::StopReason).
/// No handler's panic unwinds past the actor's loop, so none takes the process down.
///
/// All of this needs `panic = "unwind"`, Rust's default. Built with `panic = "abort"`, a
/// panicking handler aborts the whole process at once: nothing is caught, `on_error` never
/// runs, and no [`Stopped`](crate::Stopped) record is written.
///
/// # Examples
///
/// ```
/// use alertable_actor::{Actor, Context, Envelope, Failure, Flow, Options, StopMode};
/// use std::time::Duration;
///
/// #[derive(Default)]
/// struct Counter {
///     total: u64,
///     failures: u32,
/// }
///
/// enum Msg {
///     Add(u64),
///     Explode,
/// }
///
/// impl Actor for Counter {
///     type Message = Msg;
///     type Error = std::convert::Infallible;
///
///     fn on_message(&mut self, _: &mut Context<Msg>, envelope: Envelope<Msg>) {
///         match envelope.message {
///             Msg::Add(n) => self.total += n,
///             Msg::Explode => panic!("told to"),
///         }
///     }
///
///     fn on_idle(&mut self, _: &mut Context<Msg>) -> Flow {
///         Flow::Continue
///     }
///
///     fn on_error(&mut self, _: &mut Context<Msg>, failure: Failure) -> Flow {
///         self.failures += 1;
///         assert_eq!(failure.panic_message(), Some("told to"));
///         Flow::Continue // survive it
///     }
/// }
///
/// let options = Options { idle_period: Some(Duration::from_secs(1)), ..Options::default() };
/// let counter = alertable_actor::spawn("counter", Counter::default(), options).unwrap();
/// # let hook = std::panic::take_hook();
/// # std::panic::set_hook(Box::new(|_| {}));
/// counter.send(Msg::Add(2)).unwrap();
/// counter.send(Msg::Explode).unwrap();
/// counter.send(Msg::Add(3)).unwrap();
/// counter.stop(StopMode::Drain);
/// let stopped = counter.join().unwrap();
/// # std::panic::set_hook(hook);
/// assert_eq!((stopped.handled, stopped.panics), (3, 1));
/// ```
///
/// # Win32
///
/// The seed's abstract `Actor` class, whose thread start function calls the start-up
/// handler, then loops in `SleepEx(idle, TRUE)`: an APC is a message, a return of 0 is an
/// idle time-out, and exceptions from either handler go to one error handler.
pub trait Actor: Send + 'static {
    /// The messages this actor takes. Handles, lookups and the registry are typed by it.
    type Message: Send + 'static;

    /// What a failed start-up reports to the spawner, in
    /// [`SpawnError::Start`](crate::SpawnError::Start).
    type Error: Send + 'static;

    /// Runs first, on the actor's thread; [`spawn`](crate::spawn) waits for it.
    ///
    /// The actor is already in the registry, so that actors it writes to can answer it;
    /// messages that reach it meanwhile wait until `on_start` has succeeded, and are
    /// dropped if it fails.
    ///
    /// # Errors
    ///
    /// An error ends the actor before any message is handled; `spawn` returns it as
    /// [`SpawnError::Start`](crate::SpawnError::Start).
    ///
    /// # Win32
    ///
    /// The seed's start-up handler, run in the thread start function before the loop.
    fn on_start(&mut self, ctx: &mut Context<Self::Message>) -> Result<(), Self::Error> {
        let _ = ctx;
        Ok(())
    }

    /// Handles one message.
    ///
    /// # Win32
    ///
    /// The seed's APC handler, called with the `APCMessage` the sender queued.
    fn on_message(&mut self, ctx: &mut Context<Self::Message>, envelope: Envelope<Self::Message>);

    /// Runs when the idle period ([`Options::idle_period`](crate::Options::idle_period),
    /// or [`Context::set_idle_period`]) passes without a message. The period counts from
    /// the moment the mailbox was last found empty, or from the last `on_idle`.
    ///
    /// # Win32
    ///
    /// The seed's time-out handler, called when `SleepEx` returns 0 instead of
    /// `WAIT_IO_COMPLETION`.
    fn on_idle(&mut self, ctx: &mut Context<Self::Message>) -> Flow {
        let _ = ctx;
        Flow::Continue
    }

    /// Runs when another handler panicked. By default the actor goes on.
    ///
    /// Whatever this returns, a failure in [`Handler::Start`] ends the actor.
    ///
    /// # Win32
    ///
    /// The seed's exception handler, told which handler threw.
    fn on_error(&mut self, ctx: &mut Context<Self::Message>, failure: Failure) -> Flow {
        let _ = (ctx, failure);
        Flow::Continue
    }
}

/// Whether the actor goes on after `on_idle` or `on_error`.
///
/// # Win32
///
/// The seed's loop flag, which the time-out handler's return value sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flow {
    /// Keep running.
    Continue,
    /// Stop, doing this with the queued messages.
    Stop(StopMode),
}

/// Which handler failed.
///
/// # Win32
///
/// The seed's `ExceptionSource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Handler {
    /// [`Actor::on_start`].
    Start,
    /// [`Actor::on_message`].
    Message,
    /// [`Actor::on_idle`].
    Idle,
}

/// A handler's panic, as [`Actor::on_error`] receives it.
///
/// # Examples
///
/// See [`Actor`].
///
/// # Win32
///
/// The exception the seed's loop catches, with its `ExceptionSource`.
pub struct Failure {
    handler: Handler,
    payload: Box<dyn Any + Send>,
    message_id: Option<u64>,
    sender: Option<ActorId>,
}

impl Failure {
    pub(crate) fn new(
        handler: Handler,
        payload: Box<dyn Any + Send>,
        message_id: Option<u64>,
        sender: Option<ActorId>,
    ) -> Self {
        Self {
            handler,
            payload,
            message_id,
            sender,
        }
    }

    /// The handler that panicked.
    pub fn handler(&self) -> Handler {
        self.handler
    }

    /// The panic's message, if it was a string (as `panic!("…")` makes).
    pub fn panic_message(&self) -> Option<&str> {
        panic_text(&*self.payload)
    }

    /// For [`Handler::Message`]: the id of the message being handled, if it had one.
    pub fn message_id(&self) -> Option<u64> {
        self.message_id
    }

    /// For [`Handler::Message`]: the actor that sent the message being handled, if any.
    pub fn sender(&self) -> Option<ActorId> {
        self.sender
    }

    /// The panic payload, as `std::panic::catch_unwind` returned it.
    pub fn into_payload(self) -> Box<dyn Any + Send> {
        self.payload
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure")
            .field("handler", &self.handler)
            .field("panic_message", &self.panic_message())
            .field("message_id", &self.message_id)
            .field("sender", &self.sender)
            .finish()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let handler = match self.handler {
            Handler::Start => "on_start",
            Handler::Message => "on_message",
            Handler::Idle => "on_idle",
        };
        match self.panic_message() {
            Some(text) => write!(f, "{handler} panicked: {text}"),
            None => write!(f, "{handler} panicked"),
        }
    }
}

/// The text of a panic payload, when it is a string.
pub(crate) fn panic_text(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}
