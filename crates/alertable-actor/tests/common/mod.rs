//! Shared fixtures: unique actor names, a recording actor driven by commands, a gate that
//! holds a handler until the test lets it go, and a payload that counts its drops.
//!
//! Every ordering a test depends on is forced with these (channels), never with a sleep.

#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use alertable_actor::{
    Actor, ActorId, ActorRef, Context, Envelope, Failure, Flow, Handler, Options, ReplyTo, StopMode,
};

/// How long a test waits for something that must happen before calling it a failure.
/// Far beyond what a loaded machine needs; it only turns a hang into a failed test.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A name no other test in this process uses: the registry is process-wide.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// What the [`Recorder`] is told to do.
pub enum Cmd {
    /// Append the value to the log.
    Record(u64),
    /// Say "entered" on the first channel, then wait until the second one delivers or
    /// closes.
    Block(mpsc::Sender<()>, mpsc::Receiver<()>),
    /// Panic with this text.
    Panic(&'static str),
    /// Answer with the log so far.
    Report(ReplyTo<Vec<u64>>),
    /// Answer with the envelope's sender and id.
    WhoSent(ReplyTo<(Option<ActorId>, Option<u64>)>),
    /// Carry a payload that counts its drops.
    Payload(Dropped),
    /// Stop from inside the handler.
    StopItself(StopMode),
}

/// What a [`Recorder`] saw of its failures: the handler and the panic text.
pub type Failures = Arc<Mutex<Vec<(Handler, Option<String>, Option<u64>)>>>;

/// An actor that logs what it is told, so tests can check order and counts.
pub struct Recorder {
    pub log: Vec<u64>,
    pub failures: Failures,
    /// What `on_error` answers.
    pub on_error: Flow,
    /// Panic in `on_error` instead.
    pub panic_in_on_error: bool,
}

impl Recorder {
    pub fn new() -> (Self, Failures) {
        let failures = Failures::default();
        (
            Self {
                log: Vec::new(),
                failures: failures.clone(),
                on_error: Flow::Continue,
                panic_in_on_error: false,
            },
            failures,
        )
    }
}

impl Actor for Recorder {
    type Message = Cmd;
    type Error = Infallible;

    fn on_message(&mut self, ctx: &mut Context<Cmd>, envelope: Envelope<Cmd>) {
        let (sender, id) = (envelope.sender, envelope.id);
        match envelope.message {
            Cmd::Record(value) => self.log.push(value),
            Cmd::Block(entered, gate) => {
                let _ = entered.send(());
                let _ = gate.recv();
            }
            Cmd::Panic(text) => std::panic::panic_any(text),
            Cmd::Report(reply) => reply.send(self.log.clone()),
            Cmd::WhoSent(reply) => reply.send((sender, id)),
            Cmd::Payload(_) => {}
            Cmd::StopItself(mode) => ctx.stop(mode),
        }
    }

    fn on_error(&mut self, _: &mut Context<Cmd>, failure: Failure) -> Flow {
        self.failures.lock().unwrap().push((
            failure.handler(),
            failure.panic_message().map(str::to_owned),
            failure.message_id(),
        ));
        if self.panic_in_on_error {
            panic!("on_error gives up");
        }
        self.on_error
    }
}

/// Spawns a [`Recorder`] with default options under a unique name.
pub fn recorder(prefix: &str) -> (ActorRef<Cmd>, Failures) {
    let (actor, failures) = Recorder::new();
    let actor = alertable_actor::spawn(&unique(prefix), actor, Options::default()).unwrap();
    (actor, failures)
}

/// Holds `actor` inside a handler until the returned sender is dropped or sends.
/// Returns once the handler is running.
pub fn block(actor: &ActorRef<Cmd>) -> mpsc::Sender<()> {
    let (entered_tx, entered) = mpsc::channel();
    let (open, gate) = mpsc::channel();
    actor.send(Cmd::Block(entered_tx, gate)).unwrap();
    entered.recv_timeout(PATIENCE).expect("the handler started");
    open
}

/// The log of a [`Recorder`], asked for and waited on.
pub fn log_of(actor: &ActorRef<Cmd>) -> Vec<u64> {
    actor
        .ask(Cmd::Report)
        .unwrap()
        .wait(Some(PATIENCE), alertable::Alertable::No)
        .unwrap()
}

/// A payload that counts how many times it was dropped.
pub struct Dropped(pub Arc<AtomicUsize>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Returns once `actor` has handled every message accepted so far and gone idle.
///
/// It queues an APC to the actor's thread that reports how many messages are waiting. The
/// loop waits alertably only with its mailbox empty (a [`Recorder`]'s handlers never wait
/// alertably), but an APC is not ordered with the messages: it can run in the same wait
/// as the wake-up for a message that came just before it, so it asks again until it sees
/// none waiting. Unlike a message, an APC gets through a full mailbox.
pub fn until_idle<M: Send + 'static>(actor: &ActorRef<M>) {
    loop {
        let (tx, rx) = mpsc::channel();
        let probe = actor.clone();
        actor
            .thread()
            .queue_apc(move || tx.send(probe.queued()).unwrap())
            .unwrap();
        if rx.recv_timeout(PATIENCE).expect("the actor went idle") == 0 {
            return;
        }
    }
}
