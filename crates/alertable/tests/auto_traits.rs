//! Auto traits of the public types (spec sections A, B, C: handles and errors cross
//! threads, A4, C33, C37; section H: messages and their errors cross threads, and the
//! readiness descriptor stays on its thread). These are compile-time assertions: the file
//! fails to build if one of them stops holding.

use alertable::{
    Alertable, ApcNotifier, Builder, GetMessage, JoinHandle, Message, MsgWaitFlags, PeekRemove,
    PostMessageError, QueueApcError, QueueStatus, ResumeError, SleepStatus, ThreadHandle,
};

fn send_sync<T: Send + Sync>() {}

fn send<T: Send>() {}

fn error<T: std::error::Error + Send + Sync + 'static>() {}

fn value<T: Copy + Eq + std::hash::Hash + std::fmt::Debug>() {}

/// `JoinHandle<T>` is `Send` for every `T: Send`, not only for particular ones.
fn join_handle_is_send<T: Send>() {
    send::<JoinHandle<T>>();
}

/// `Stays<T>::check` resolves only if `T` is not `Send`: for a `Send` type both impls
/// apply and the call is ambiguous, which fails the build.
trait Stays<Marker> {
    fn check() {}
}
impl<T: ?Sized> Stays<()> for T {}
impl<T: ?Sized + Send> Stays<u8> for T {}

/// The same for `Sync`.
trait StaysUnshared<Marker> {
    fn check() {}
}
impl<T: ?Sized> StaysUnshared<()> for T {}
impl<T: ?Sized + Sync> StaysUnshared<u8> for T {}

/// Evaluated at compile time: naming the function instantiates every check.
const _: fn() = || {
    // A handle is shared across threads to queue APCs (A1, B20) and resume (C33).
    send_sync::<ThreadHandle>();
    send_sync::<QueueApcError>();
    send_sync::<ResumeError>();
    send_sync::<SleepStatus>();
    send_sync::<Alertable>();
    send_sync::<Builder>();
    join_handle_is_send::<()>();
    join_handle_is_send::<String>();
    join_handle_is_send::<std::sync::mpsc::Sender<u8>>();
    // Messages and the message wait's arguments go anywhere (H77–H83).
    send_sync::<Message>();
    send_sync::<GetMessage>();
    send_sync::<PeekRemove>();
    send_sync::<PostMessageError>();
    send_sync::<QueueStatus>();
    send_sync::<MsgWaitFlags>();
    // The readiness descriptor arms and disarms its own thread: it never leaves it.
    <ApcNotifier as Stays<_>>::check();
    <ApcNotifier as StaysUnshared<_>>::check();
};

/// The errors are ordinary `std::error::Error` values (A4, C37), usable with `?` into
/// `Box<dyn Error + Send + Sync>`.
#[test]
fn errors_are_std_errors() {
    error::<QueueApcError>();
    error::<ResumeError>();
    error::<PostMessageError>();
    let boxed: Box<dyn std::error::Error + Send + Sync> = QueueApcError::ThreadExited.into();
    assert_eq!(boxed.to_string(), QueueApcError::ThreadExited.to_string());
}

/// The small enums are plain values.
#[test]
fn enums_are_plain_values() {
    value::<QueueApcError>();
    value::<ResumeError>();
    value::<SleepStatus>();
    value::<Alertable>();
    value::<Message>();
    value::<GetMessage>();
    value::<PeekRemove>();
    value::<PostMessageError>();
    value::<QueueStatus>();
    value::<MsgWaitFlags>();
    assert_ne!(Alertable::Yes, Alertable::No);
    assert_ne!(SleepStatus::Elapsed, SleepStatus::Alerted);
}

/// The checks also run as a test, so that they show up in the test count; the handle is
/// moved to and used on another thread.
#[test]
fn thread_handle_crosses_threads() {
    send_sync::<ThreadHandle>();
    join_handle_is_send::<u64>();
    let me = alertable::current();
    let id = me.id();
    let seen = std::thread::spawn(move || me.id()).join().unwrap();
    assert_eq!(seen, id);

    // A `JoinHandle` can be joined from another thread than the one that spawned it.
    let inner = alertable::spawn(|| 7).unwrap();
    let outer = std::thread::spawn(move || inner.join().unwrap());
    assert_eq!(outer.join().unwrap(), 7);
}
