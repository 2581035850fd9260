//! Auto traits of the public types: handles cross threads, errors are ordinary
//! `std::error::Error`s. Compile-time assertions: the file fails to build if one stops
//! holding.

use alertable_actor::{
    ActorId, ActorRef, Envelope, Failure, Flow, Handler, JoinError, Mailbox, Options, Reply,
    ReplyError, ReplyTo, SendError, SpawnError, StopMode, StopReason, Stopped,
};

fn send_sync<T: Send + Sync>() {}

fn send<T: Send>() {}

fn error<T: std::error::Error + Send + Sync + 'static>() {}

fn value<T: Copy + Eq + std::hash::Hash + std::fmt::Debug + Send + Sync>() {}

fn clone<T: Clone>() {}

/// For every `M: Send`, not only particular ones.
fn handles<M: Send + 'static>() {
    send_sync::<ActorRef<M>>();
    clone::<ActorRef<M>>();
    send::<Envelope<M>>();
    send_sync::<Reply<M>>();
    send_sync::<ReplyTo<M>>();
}

const _: fn() = || {
    handles::<u8>();
    handles::<std::sync::mpsc::Sender<u8>>(); // Send but not Sync
    handles::<String>();
    value::<ActorId>();
    value::<StopMode>();
    value::<StopReason>();
    value::<Stopped>();
    value::<Flow>();
    value::<Handler>();
    value::<Mailbox>();
    value::<Options>();
    send::<Failure>();
};

#[test]
fn errors_are_std_errors() {
    error::<SendError<String>>();
    error::<ReplyError>();
    error::<JoinError>();
    error::<SpawnError<std::convert::Infallible>>();
    error::<SpawnError<String>>();
}
