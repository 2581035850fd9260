//! Creating an actor: [`spawn`], its [`Options`], and [`SpawnError`].
//!
//! The actor's thread builds everything that names it (its id is its thread id), runs
//! `on_start`, and only then reports to the spawner, which waits for that report. The
//! report always comes: a refusal, a panic, or a thread that ends before reporting (the
//! channel disconnects) each reach the spawner as an error.

use std::fmt;
use std::io;
use std::sync::mpsc;
use std::time::Duration;

use crate::actor::Actor;
use crate::actor_ref::ActorRef;
use crate::mailbox::Mailbox;
use crate::registry;
use crate::run;

/// How an actor runs.
///
/// # Examples
///
/// ```
/// use alertable_actor::{Mailbox, Options};
/// use std::time::Duration;
///
/// let options = Options {
///     idle_period: Some(Duration::from_millis(250)),
///     mailbox: Mailbox::Bounded(1024),
/// };
/// assert_eq!(Options::default().idle_period, None);
/// # let _ = options;
/// ```
///
/// # Win32
///
/// The seed's `ActorStartInfo`: the idle period passed to `SleepEx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Options {
    /// How long the actor waits without a message before `on_idle` runs; `None` (the
    /// default) means never. The actor can change it with
    /// [`Context::set_idle_period`](crate::Context::set_idle_period).
    pub idle_period: Option<Duration>,
    /// How many messages may wait; [`Mailbox::Unbounded`] by default.
    pub mailbox: Mailbox,
}

/// Why [`spawn`] failed.
///
/// # Win32
///
/// The seed's `CreateActor` failing, and `CreateThread` failing; see each variant.
#[non_exhaustive]
pub enum SpawnError<E> {
    /// An actor with this name is running or starting. Win32: `ERROR_ALREADY_EXISTS`
    /// (183), as for a named kernel object.
    NameTaken,
    /// The OS could not create the thread. Win32: `CreateThread` failing.
    Os(io::Error),
    /// `on_start` returned this error. Win32: the seed's start-up handler returning
    /// false.
    Start(E),
    /// `on_start` panicked, with this message (after `on_error` saw the panic). Win32: the
    /// exception the seed keeps for `CreateActor` to report.
    Panicked(String),
}

impl<E> SpawnError<E> {
    /// The Win32 error code this corresponds to, where there is one: 183 for
    /// [`NameTaken`](Self::NameTaken), the OS error for [`Os`](Self::Os).
    pub fn win32_error(&self) -> Option<u32> {
        match self {
            Self::NameTaken => Some(183),
            Self::Os(error) => error
                .raw_os_error()
                .and_then(|code| u32::try_from(code).ok()),
            Self::Start(_) | Self::Panicked(_) => None,
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for SpawnError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NameTaken => f.write_str("NameTaken"),
            Self::Os(error) => f.debug_tuple("Os").field(error).finish(),
            Self::Start(error) => f.debug_tuple("Start").field(error).finish(),
            Self::Panicked(text) => f.debug_tuple("Panicked").field(text).finish(),
        }
    }
}

impl<E: fmt::Display> fmt::Display for SpawnError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NameTaken => f.write_str("an actor with this name is already running"),
            Self::Os(error) => write!(f, "could not create the actor's thread: {error}"),
            Self::Start(error) => write!(f, "the actor failed to start: {error}"),
            Self::Panicked(text) => write!(f, "the actor panicked while starting: {text}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for SpawnError<E> {}

/// What an actor's thread tells its spawner once `on_start` is over.
pub(crate) enum StartReport<M, E> {
    Started(ActorRef<M>),
    Refused(E),
    Panicked(String),
}

/// Creates an actor named `name` on a thread of its own, runs its `on_start` there, and
/// returns a handle once `on_start` has succeeded.
///
/// The thread, named `name`, loops in an alertable sleep: it handles the messages in its
/// mailbox, runs `on_idle` when the idle period passes without one, and runs the APCs
/// queued to it. The actor is in the registry ([`lookup`](crate::lookup)) from just before
/// `on_start` until it stops (or its start fails).
///
/// # Examples
///
/// ```
/// use alertable_actor::{Actor, Context, Envelope, Options, SpawnError};
///
/// struct NeedsConfig(Option<&'static str>);
///
/// impl Actor for NeedsConfig {
///     type Message = ();
///     type Error = String;
///     fn on_start(&mut self, _: &mut Context<()>) -> Result<(), String> {
///         self.0.map(|_| ()).ok_or_else(|| "no configuration".to_owned())
///     }
///     fn on_message(&mut self, _: &mut Context<()>, _: Envelope<()>) {}
/// }
///
/// match alertable_actor::spawn("configured", NeedsConfig(None), Options::default()) {
///     Err(SpawnError::Start(why)) => assert_eq!(why, "no configuration"),
///     other => panic!("expected a start-up failure, got {other:?}"),
/// }
/// // A failed start frees the name.
/// let actor = alertable_actor::spawn("configured", NeedsConfig(Some("x")), Options::default())
///     .unwrap();
/// assert!(matches!(
///     alertable_actor::spawn("configured", NeedsConfig(Some("y")), Options::default()),
///     Err(SpawnError::NameTaken)
/// ));
/// actor.stop(alertable_actor::StopMode::Drain);
/// actor.join().unwrap();
/// ```
///
/// # Errors
///
/// - [`SpawnError::NameTaken`] if a running or starting actor has this name;
/// - [`SpawnError::Os`] if the thread cannot be created, or the name contains a NUL
///   character (`ErrorKind::InvalidInput`);
/// - [`SpawnError::Start`] if `on_start` returned an error;
/// - [`SpawnError::Panicked`] if `on_start` panicked (`on_error` has seen the panic).
///
/// In each case the actor is gone and its name free when `spawn` returns.
///
/// # Win32
///
/// The seed's `CreateActor<A>`: `CreateThread`, then a wait for the new thread to say
/// whether its start-up handler succeeded ("always wake the waiter").
pub fn spawn<A: Actor>(
    name: &str,
    actor: A,
    options: Options,
) -> Result<ActorRef<A::Message>, SpawnError<A::Error>> {
    if name.contains('\0') {
        // The OS thread takes the name too, and thread names are C strings.
        return Err(SpawnError::Os(io::Error::new(
            io::ErrorKind::InvalidInput,
            "an actor's name cannot contain a NUL character",
        )));
    }
    if !registry::reserve(name) {
        return Err(SpawnError::NameTaken);
    }
    let (report, started) = mpsc::sync_channel(1);
    let thread_name: Box<str> = name.into();
    let spawned = alertable::Builder::new()
        .name(name.to_owned())
        .spawn(move || run::run(thread_name, actor, options, report));
    match spawned {
        // Detached: `ActorRef::join` waits on the thread handle instead, and nothing the
        // thread returns is lost (it returns nothing, and catches every handler's panic).
        Ok(thread) => drop(thread),
        Err(error) => {
            registry::unreserve(name);
            return Err(SpawnError::Os(error));
        }
    }
    match started.recv() {
        Ok(StartReport::Started(actor)) => Ok(actor),
        Ok(StartReport::Refused(error)) => Err(SpawnError::Start(error)),
        Ok(StartReport::Panicked(text)) => Err(SpawnError::Panicked(text)),
        // The thread reports in every case it can; if it ended without a word, the name
        // is still reserved for it.
        Err(mpsc::RecvError) => {
            registry::unreserve(name);
            Err(SpawnError::Panicked(
                "the actor's thread ended before start-up finished".to_owned(),
            ))
        }
    }
}
