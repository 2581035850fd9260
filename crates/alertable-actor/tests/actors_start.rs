//! Start-up: `spawn` returns only after `on_start`, with its error or its panic ("always
//! wake the waiter"); names are unique; a failed start leaves nothing behind.

mod common;

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use alertable_actor::{
    Actor, ActorId, ActorRef, Context, Envelope, Failure, Flow, Handler, Options, SendError,
    SpawnError, StopMode, StopReason, lookup,
};
use common::{Dropped, unique};

/// Records where and when its handlers ran.
struct Starter {
    events: Arc<Mutex<Vec<String>>>,
    outcome: Outcome,
}

enum Outcome {
    Succeed,
    Refuse,
    Panic,
    /// Hand out a handle, send itself a message that counts its drops, then refuse.
    LeakHandleThenRefuse(mpsc::Sender<ActorRef<Dropped>>, Arc<AtomicUsize>),
}

impl Actor for Starter {
    type Message = Dropped;
    type Error = String;

    fn on_start(&mut self, ctx: &mut Context<Dropped>) -> Result<(), String> {
        assert_eq!(
            ActorId::current(),
            Some(ctx.id()),
            "runs on the actor's thread"
        );
        self.events.lock().unwrap().push("start".into());
        match &self.outcome {
            Outcome::Succeed => Ok(()),
            Outcome::Refuse => Err("not today".into()),
            Outcome::Panic => panic!("start-up exploded"),
            Outcome::LeakHandleThenRefuse(out, drops) => {
                out.send(ctx.myself()).unwrap();
                ctx.myself().send(Dropped(drops.clone())).unwrap();
                Err("changed my mind".into())
            }
        }
    }

    fn on_message(&mut self, _: &mut Context<Dropped>, _: Envelope<Dropped>) {
        self.events.lock().unwrap().push("message".into());
    }

    fn on_error(&mut self, _: &mut Context<Dropped>, failure: Failure) -> Flow {
        assert_eq!(failure.handler(), Handler::Start);
        self.events
            .lock()
            .unwrap()
            .push(format!("error: {}", failure.panic_message().unwrap_or("?")));
        Flow::Continue
    }
}

fn starter(outcome: Outcome) -> (Starter, Arc<Mutex<Vec<String>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    (
        Starter {
            events: events.clone(),
            outcome,
        },
        events,
    )
}

#[test]
fn spawn_returns_after_on_start_has_run() {
    let (actor, events) = starter(Outcome::Succeed);
    let name = unique("starts");
    let actor = alertable_actor::spawn(&name, actor, Options::default()).unwrap();
    assert_eq!(*events.lock().unwrap(), ["start"]);
    assert_eq!(actor.name(), name);
    assert_eq!(actor.thread().id(), actor.id().thread_id());
    assert_eq!(lookup::<Dropped>(&name), Some(actor.clone()));
    actor.stop(StopMode::Drain);
    actor.join().unwrap();
}

#[test]
fn a_start_up_error_comes_back_to_the_spawner_and_frees_the_name() {
    let (actor, events) = starter(Outcome::Refuse);
    let name = unique("refuses");
    match alertable_actor::spawn(&name, actor, Options::default()) {
        Err(SpawnError::Start(why)) => assert_eq!(why, "not today"),
        other => panic!("expected SpawnError::Start, got {other:?}"),
    }
    assert_eq!(*events.lock().unwrap(), ["start"], "on_error is for panics");
    assert_eq!(lookup::<Dropped>(&name), None);
    let (again, _) = starter(Outcome::Succeed);
    let again = alertable_actor::spawn(&name, again, Options::default()).unwrap();
    again.stop(StopMode::Now);
    again.join().unwrap();
}

#[test]
fn a_start_up_panic_comes_back_to_the_spawner_after_on_error() {
    let (actor, events) = starter(Outcome::Panic);
    let name = unique("panics-at-start");
    match alertable_actor::spawn(&name, actor, Options::default()) {
        Err(SpawnError::Panicked(text)) => {
            assert!(text.contains("start-up exploded"), "{text}");
        }
        other => panic!("expected SpawnError::Panicked, got {other:?}"),
    }
    // on_error saw it on the actor's thread before spawn returned.
    assert_eq!(
        *events.lock().unwrap(),
        ["start", "error: start-up exploded"]
    );
    assert_eq!(lookup::<Dropped>(&name), None);
}

#[test]
fn messages_sent_during_a_failed_start_are_dropped_and_counted() {
    let (handles, handle) = mpsc::channel();
    let drops = Arc::new(AtomicUsize::new(0));
    let (actor, events) = starter(Outcome::LeakHandleThenRefuse(handles, drops.clone()));
    let result = alertable_actor::spawn(&unique("leaks"), actor, Options::default());
    assert!(matches!(result, Err(SpawnError::Start(_))));
    let leaked = handle.recv().unwrap();
    let stopped = leaked.join().unwrap();
    assert_eq!(stopped.reason, StopReason::StartFailed);
    assert_eq!((stopped.handled, stopped.dropped), (0, 1));
    assert_eq!(drops.load(Ordering::SeqCst), 1, "its destructor ran");
    assert_eq!(*events.lock().unwrap(), ["start"], "never handled");
    let counter = Arc::new(AtomicUsize::new(0));
    match leaked.send(Dropped(counter.clone())) {
        Err(SendError::Stopped(message)) => drop(message),
        other => panic!("expected SendError::Stopped, got {:?}", other.err()),
    }
    assert_eq!(
        counter.load(Ordering::SeqCst),
        1,
        "handed back, then dropped here"
    );
}

struct Idle;

impl Actor for Idle {
    type Message = ();
    type Error = Infallible;
    fn on_message(&mut self, _: &mut Context<()>, _: Envelope<()>) {}
}

#[test]
fn names_are_unique_among_running_actors() {
    let name = unique("only-one");
    let first = alertable_actor::spawn(&name, Idle, Options::default()).unwrap();
    let second = alertable_actor::spawn(&name, Idle, Options::default());
    let error = second.unwrap_err();
    assert!(matches!(error, SpawnError::NameTaken));
    assert_eq!(error.win32_error(), Some(183));
    first.stop(StopMode::Drain);
    first.join().unwrap();
    // Free again once the first has stopped.
    let third = alertable_actor::spawn(&name, Idle, Options::default()).unwrap();
    assert_ne!(third, first);
    third.stop(StopMode::Drain);
    third.join().unwrap();
}

#[test]
fn concurrent_spawns_of_one_name_let_exactly_one_through() {
    let name = unique("race");
    let spawners: Vec<_> = (0..4)
        .map(|_| {
            let name = name.clone();
            std::thread::spawn(move || alertable_actor::spawn(&name, Idle, Options::default()))
        })
        .collect();
    let results: Vec<_> = spawners.into_iter().map(|s| s.join().unwrap()).collect();
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1);
    assert_eq!(
        results
            .iter()
            .filter(|r| matches!(r, Err(SpawnError::NameTaken)))
            .count(),
        3
    );
    winners[0].stop(StopMode::Drain);
    winners[0].join().unwrap();
}
