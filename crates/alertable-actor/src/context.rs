//! [`Context`]: what a handler can see and change about its own actor.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use crate::actor_ref::ActorRef;
use crate::envelope::ActorId;
use crate::stop::StopMode;

/// The actor's view of itself, passed to every handler: its identity, a handle to itself,
/// its idle period, and a way to stop.
///
/// It lives on the actor's thread and cannot leave it (`!Send`).
///
/// # Examples
///
/// ```
/// use alertable_actor::{Actor, Context, Envelope, Flow, Options, StopMode};
/// use std::sync::mpsc;
/// use std::time::Duration;
///
/// // Counts down on its idle ticks, speeding up each time, then stops itself.
/// struct Countdown(u32, mpsc::Sender<u32>);
///
/// impl Actor for Countdown {
///     type Message = ();
///     type Error = std::convert::Infallible;
///     fn on_start(&mut self, ctx: &mut Context<()>) -> Result<(), Self::Error> {
///         ctx.set_idle_period(Some(Duration::from_millis(4)));
///         Ok(())
///     }
///     fn on_message(&mut self, _: &mut Context<()>, _: Envelope<()>) {}
///     fn on_idle(&mut self, ctx: &mut Context<()>) -> Flow {
///         self.1.send(self.0).unwrap();
///         self.0 -= 1;
///         if self.0 == 0 {
///             return Flow::Stop(StopMode::Drain);
///         }
///         ctx.set_idle_period(ctx.idle_period().map(|p| p / 2));
///         Flow::Continue
///     }
/// }
///
/// let (tx, rx) = mpsc::channel();
/// let actor = alertable_actor::spawn("countdown", Countdown(3, tx), Options::default()).unwrap();
/// actor.join().unwrap();
/// assert_eq!(rx.iter().collect::<Vec<_>>(), [3, 2, 1]);
/// ```
///
/// # Win32
///
/// The members the seed's `Actor` base class gives its handlers: its name, native thread
/// id and idle period.
pub struct Context<M> {
    myself: ActorRef<M>,
    idle_period: Option<Duration>,
    /// Set by `set_idle_period`: the idle countdown restarts from now.
    idle_changed: bool,
    stop: Option<StopMode>,
    _not_send: PhantomData<*const ()>,
}

impl<M> fmt::Debug for Context<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("idle_period", &self.idle_period)
            .field("stop", &self.stop)
            .finish()
    }
}

impl<M: Send + 'static> Context<M> {
    pub(crate) fn new(myself: ActorRef<M>, idle_period: Option<Duration>) -> Self {
        Self {
            myself,
            idle_period,
            idle_changed: false,
            stop: None,
            _not_send: PhantomData,
        }
    }

    /// A handle to this actor, to give to others or to send to itself.
    ///
    /// # Win32
    ///
    /// The seed's `Connect(this)`.
    pub fn myself(&self) -> ActorRef<M> {
        self.myself.clone()
    }
}

impl<M> Context<M> {
    /// This actor's id (its thread's id).
    ///
    /// # Win32
    ///
    /// `GetCurrentThreadId`.
    pub fn id(&self) -> ActorId {
        self.myself.id()
    }

    /// This actor's name, unique among running actors.
    ///
    /// # Win32
    ///
    /// The seed's `Actor.Name`, by which others `Connect`.
    pub fn name(&self) -> &str {
        self.myself.name()
    }

    /// The current idle period; `None` means `on_idle` never runs.
    ///
    /// # Win32
    ///
    /// The timeout the seed's loop passes to `SleepEx`; `None` is `INFINITE`.
    pub fn idle_period(&self) -> Option<Duration> {
        self.idle_period
    }

    /// Changes the idle period. The countdown restarts when the handler returns: `on_idle`
    /// runs once `period` passes with no message from then on.
    ///
    /// # Win32
    ///
    /// The seed's actor can change the interval it passes to `SleepEx` at any time.
    pub fn set_idle_period(&mut self, period: Option<Duration>) {
        self.idle_period = period;
        self.idle_changed = true;
    }

    /// Stops this actor once the running handler returns. The mailbox refuses new messages
    /// at once; `mode` says what becomes of the queued ones. A second call can turn
    /// [`StopMode::Drain`] into [`StopMode::Now`], not the other way round.
    ///
    /// # Win32
    ///
    /// The seed's handlers clearing the loop flag (`continue_to_run = false`).
    pub fn stop(&mut self, mode: StopMode) {
        self.stop = Some(self.stop.map_or(mode, |earlier| earlier.max(mode)));
        self.myself.close(mode);
    }

    /// Takes the idle-period change flag.
    pub(crate) fn take_idle_changed(&mut self) -> bool {
        std::mem::take(&mut self.idle_changed)
    }

    /// The stop this actor asked for itself, if any.
    pub(crate) fn stop_requested(&self) -> Option<StopMode> {
        self.stop
    }

    /// The handle to this actor, borrowed.
    pub(crate) fn handle(&self) -> &ActorRef<M> {
        &self.myself
    }
}
