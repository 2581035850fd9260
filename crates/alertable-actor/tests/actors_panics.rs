//! Panics in handlers: caught, passed to `on_error` with the handler that failed, and
//! survived — or the actor stops, cleanly, if `on_error` says so or panics itself. The
//! test process living to report is the proof that no panic escaped.

mod common;

use std::convert::Infallible;
use std::sync::mpsc;
use std::time::Duration;

use alertable_actor::{
    Actor, Context, Envelope, Failure, Flow, Handler, Options, SendError, StopMode, StopReason,
};
use common::{Cmd, PATIENCE, Recorder, block, log_of, unique};

#[test]
fn a_panicking_handler_in_the_middle_of_a_stream_is_survived() {
    let (actor, failures) = Recorder::new();
    let actor = alertable_actor::spawn(&unique("survivor"), actor, Options::default()).unwrap();
    for i in 0..100 {
        if i == 50 {
            actor
                .send_with_id(50, Cmd::Panic("message 50 exploded"))
                .unwrap();
        } else {
            actor.send(Cmd::Record(i)).unwrap();
        }
    }
    let expected: Vec<u64> = (0..100).filter(|&i| i != 50).collect();
    assert_eq!(log_of(&actor), expected, "every other message, in order");
    assert_eq!(
        *failures.lock().unwrap(),
        [(
            Handler::Message,
            Some("message 50 exploded".to_owned()),
            Some(50)
        )]
    );
    actor.stop(StopMode::Drain);
    let stopped = actor.join().unwrap();
    assert_eq!((stopped.handled, stopped.panics), (101, 1));
    assert_eq!(stopped.reason, StopReason::Requested(StopMode::Drain));
}

#[test]
fn on_error_can_stop_the_actor() {
    let (mut actor, failures) = Recorder::new();
    actor.on_error = Flow::Stop(StopMode::Now);
    let actor = alertable_actor::spawn(&unique("gives-up"), actor, Options::default()).unwrap();
    let open = block(&actor);
    actor.send(Cmd::Panic("fatal")).unwrap();
    for i in 0..10 {
        actor.send(Cmd::Record(i)).unwrap();
    }
    drop(open);
    let stopped = actor.join().unwrap();
    assert_eq!(stopped.reason, StopReason::Itself(StopMode::Now));
    assert_eq!(
        (stopped.handled, stopped.dropped, stopped.panics),
        (2, 10, 1)
    );
    assert_eq!(failures.lock().unwrap().len(), 1);
    assert!(matches!(
        actor.send(Cmd::Record(0)),
        Err(SendError::Stopped(_))
    ));
}

#[test]
fn a_panicking_on_error_stops_the_actor_cleanly() {
    let (mut actor, failures) = Recorder::new();
    actor.panic_in_on_error = true;
    let actor = alertable_actor::spawn(&unique("double"), actor, Options::default()).unwrap();
    let open = block(&actor);
    actor.send(Cmd::Panic("first")).unwrap();
    for i in 0..5 {
        actor.send(Cmd::Record(i)).unwrap();
    }
    drop(open);
    let stopped = actor.join().unwrap();
    assert_eq!(stopped.reason, StopReason::ErrorHandlerPanicked);
    assert_eq!(
        (stopped.handled, stopped.dropped, stopped.panics),
        (2, 5, 1)
    );
    assert_eq!(failures.lock().unwrap().len(), 1);
    assert!(actor.is_stopped());
    assert!(actor.thread().is_finished());
}

/// Panics in its first idle tick, then reports the later ones.
struct ShakyIdler {
    ticks: u32,
    seen: mpsc::Sender<String>,
}

impl Actor for ShakyIdler {
    type Message = ();
    type Error = Infallible;

    fn on_message(&mut self, _: &mut Context<()>, _: Envelope<()>) {}

    fn on_idle(&mut self, _: &mut Context<()>) -> Flow {
        self.ticks += 1;
        if self.ticks == 1 {
            panic!("idle tick 1 exploded");
        }
        self.seen.send(format!("tick {}", self.ticks)).unwrap();
        Flow::Stop(StopMode::Drain)
    }

    fn on_error(&mut self, _: &mut Context<()>, failure: Failure) -> Flow {
        self.seen
            .send(format!("{:?}: {}", failure.handler(), failure))
            .unwrap();
        Flow::Continue
    }
}

#[test]
fn a_panicking_idle_handler_goes_to_on_error_and_the_ticks_go_on() {
    let (seen, events) = mpsc::channel();
    let options = Options {
        idle_period: Some(Duration::from_millis(5)),
        ..Options::default()
    };
    let actor = alertable_actor::spawn(
        &unique("shaky-idler"),
        ShakyIdler { ticks: 0, seen },
        options,
    )
    .unwrap();
    let stopped = actor.join().unwrap();
    assert_eq!(stopped.reason, StopReason::Itself(StopMode::Drain));
    assert_eq!(stopped.panics, 1);
    let events: Vec<String> = events.try_iter().collect();
    assert_eq!(
        events,
        ["Idle: on_idle panicked: idle tick 1 exploded", "tick 2"]
    );
}

/// Its messages panic when dropped, and so does the actor itself.
struct Grenade;

impl Drop for Grenade {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("dropped a grenade");
        }
    }
}

struct GrenadeKeeper {
    _grenade: Grenade,
    entered: mpsc::Sender<()>,
    gate: mpsc::Receiver<()>,
}

impl Actor for GrenadeKeeper {
    type Message = Grenade;
    type Error = Infallible;

    fn on_message(&mut self, _: &mut Context<Grenade>, envelope: Envelope<Grenade>) {
        let _ = self.entered.send(());
        let _ = self.gate.recv();
        std::mem::forget(envelope.message);
    }
}

#[test]
fn panicking_destructors_of_messages_and_of_the_actor_stay_on_its_thread() {
    let (open, gate) = mpsc::channel();
    let (entered, has_entered) = mpsc::channel();
    let keeper = GrenadeKeeper {
        _grenade: Grenade,
        entered,
        gate,
    };
    let actor = alertable_actor::spawn(&unique("grenades"), keeper, Options::default()).unwrap();
    actor.send(Grenade).unwrap(); // held in its handler until `open` goes
    has_entered.recv_timeout(PATIENCE).unwrap();
    actor.send(Grenade).unwrap();
    actor.send(Grenade).unwrap();
    actor.stop(StopMode::Now);
    drop(open);
    let stopped = actor.join().unwrap();
    assert_eq!((stopped.handled, stopped.dropped), (1, 2));
}

/// What a [`LoudGrenade`] panics with: counts its own drops.
struct Shrapnel(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Shrapnel {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Panics with a [`Shrapnel`] payload when dropped.
struct LoudGrenade(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for LoudGrenade {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            std::panic::panic_any(Shrapnel(self.0.clone()));
        }
    }
}

struct LoudKeeper {
    _grenade: LoudGrenade,
    entered: mpsc::Sender<()>,
    gate: mpsc::Receiver<()>,
}

impl Actor for LoudKeeper {
    type Message = LoudGrenade;
    type Error = Infallible;

    fn on_message(&mut self, _: &mut Context<LoudGrenade>, envelope: Envelope<LoudGrenade>) {
        let _ = self.entered.send(());
        let _ = self.gate.recv();
        std::mem::forget(envelope.message);
    }
}

/// The payload of a panic from a message's or the actor's destructor is dropped, not
/// leaked (only a payload whose own destructor panics in turn is leaked).
#[test]
fn payloads_of_panicking_destructors_are_dropped() {
    let shrapnel = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (open, gate) = mpsc::channel();
    let (entered, has_entered) = mpsc::channel();
    let keeper = LoudKeeper {
        _grenade: LoudGrenade(shrapnel.clone()),
        entered,
        gate,
    };
    let actor = alertable_actor::spawn(&unique("loud"), keeper, Options::default()).unwrap();
    actor.send(LoudGrenade(shrapnel.clone())).unwrap(); // held in its handler
    has_entered.recv_timeout(PATIENCE).unwrap();
    actor.send(LoudGrenade(shrapnel.clone())).unwrap();
    actor.send(LoudGrenade(shrapnel.clone())).unwrap();
    actor.stop(StopMode::Now);
    drop(open);
    let stopped = actor.join().unwrap();
    assert_eq!((stopped.handled, stopped.dropped), (1, 2));
    // Two dropped messages and the actor itself.
    assert_eq!(shrapnel.load(std::sync::atomic::Ordering::SeqCst), 3);
}
