//! Stopping: `Drain` handles what is queued, `Now` drops it and counts it; either way the
//! request overtakes the queued messages, the mailbox refuses new ones (handing them
//! back), the actor leaves the registry, and `join` returns its record.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use alertable::Alertable;
use alertable_actor::{JoinError, ReplyError, SendError, StopMode, StopReason, lookup, lookup_id};
use common::{Cmd, Dropped, PATIENCE, block, log_of, recorder};

#[test]
fn drain_handles_everything_queued_before_the_request() {
    let (actor, _) = recorder("drain");
    let open = block(&actor);
    for i in 0..100 {
        actor.send(Cmd::Record(i)).unwrap();
    }
    actor.stop(StopMode::Drain);
    assert!(actor.is_closed());
    match actor.send(Cmd::Record(100)) {
        Err(SendError::Stopped(Cmd::Record(100))) => {}
        other => panic!("expected the message back, got {other:?}"),
    }
    let mut report = actor.ask(Cmd::Report).err().map(SendError::into_inner);
    assert!(matches!(report.take(), Some(Cmd::Report(_))), "refused too");
    drop(open);
    let stopped = actor.join().unwrap();
    assert_eq!(stopped.reason, StopReason::Requested(StopMode::Drain));
    assert_eq!((stopped.handled, stopped.dropped), (101, 0));
}

#[test]
fn now_drops_everything_queued_and_counts_it() {
    let (actor, _) = recorder("now");
    let drops = Arc::new(AtomicUsize::new(0));
    let open = block(&actor);
    for _ in 0..100 {
        actor.send(Cmd::Payload(Dropped(drops.clone()))).unwrap();
    }
    let mut unanswered = actor.ask(Cmd::Report).unwrap();
    actor.stop(StopMode::Now);
    drop(open);
    let stopped = actor.join().unwrap();
    assert_eq!(stopped.reason, StopReason::Requested(StopMode::Now));
    // Only the blocking message was handled: the stop overtook the 101 behind it.
    assert_eq!((stopped.handled, stopped.dropped), (1, 101));
    assert_eq!(
        drops.load(Ordering::SeqCst),
        100,
        "each destructor ran once"
    );
    assert_eq!(
        unanswered.wait(Some(PATIENCE), Alertable::No),
        Err(ReplyError::NoReply)
    );
}

#[test]
fn a_later_now_overrides_an_earlier_drain() {
    let (actor, _) = recorder("escalate");
    let open = block(&actor);
    for i in 0..10 {
        actor.send(Cmd::Record(i)).unwrap();
    }
    actor.stop(StopMode::Drain);
    actor.stop(StopMode::Now);
    drop(open);
    let stopped = actor.join().unwrap();
    assert_eq!(stopped.reason, StopReason::Requested(StopMode::Now));
    assert_eq!((stopped.handled, stopped.dropped), (1, 10));
}

#[test]
fn an_actor_can_stop_itself_draining() {
    let (actor, _) = recorder("self-drain");
    let open = block(&actor);
    actor.send(Cmd::Record(1)).unwrap();
    actor.send(Cmd::StopItself(StopMode::Drain)).unwrap();
    actor.send(Cmd::Record(2)).unwrap(); // accepted before the stop: handled
    drop(open);
    let stopped = actor.join().unwrap();
    assert_eq!(stopped.reason, StopReason::Itself(StopMode::Drain));
    assert_eq!((stopped.handled, stopped.dropped), (4, 0));
}

#[test]
fn an_actor_can_stop_itself_now() {
    let (actor, _) = recorder("self-now");
    let open = block(&actor);
    actor.send(Cmd::StopItself(StopMode::Now)).unwrap();
    for i in 0..5 {
        actor.send(Cmd::Record(i)).unwrap();
    }
    drop(open);
    let stopped = actor.join().unwrap();
    assert_eq!(stopped.reason, StopReason::Itself(StopMode::Now));
    assert_eq!((stopped.handled, stopped.dropped), (2, 5));
}

#[test]
fn a_stopped_actor_leaves_the_registry_and_refuses_messages() {
    let (actor, _) = recorder("leaves");
    let name = actor.name().to_owned();
    assert!(lookup::<Cmd>(&name).is_some());
    assert!(lookup_id::<Cmd>(actor.id()).is_some());
    actor.stop(StopMode::Drain);
    let stopped = actor.join().unwrap();
    assert!(actor.is_stopped());
    assert_eq!(lookup::<Cmd>(&name), None);
    assert_eq!(lookup_id::<Cmd>(actor.id()), None);
    let refused = actor.send(Cmd::Record(7)).unwrap_err();
    assert_eq!(refused.win32_error(), 31);
    assert!(matches!(refused.into_inner(), Cmd::Record(7)));
    // Joining again, or stopping again, is harmless.
    actor.stop(StopMode::Now);
    assert_eq!(actor.join().unwrap(), stopped);
}

#[test]
fn join_waits_can_time_out_and_be_alerted() {
    let (actor, _) = recorder("joins");
    assert_eq!(
        actor.wait_stopped(Some(Duration::ZERO), Alertable::No),
        Err(JoinError::TimedOut)
    );
    alertable::current().queue_apc(|| {}).unwrap();
    assert_eq!(
        actor.wait_stopped(None, Alertable::Yes),
        Err(JoinError::Alerted)
    );
    assert_eq!(log_of(&actor), Vec::<u64>::new());
    actor.stop(StopMode::Drain);
    assert!(actor.wait_stopped(Some(PATIENCE), Alertable::Yes).is_ok());
}

#[test]
fn an_actor_cannot_join_itself() {
    let (actor, _) = recorder("self-join");
    let (reply_to, mut reply) = alertable_actor::Reply::pair();
    let me = actor.clone();
    actor
        .thread()
        .queue_apc(move || reply_to.send(me.join()))
        .unwrap();
    assert_eq!(
        reply.wait(Some(PATIENCE), Alertable::No),
        Ok(Err(JoinError::OwnThread))
    );
    actor.stop(StopMode::Drain);
    actor.join().unwrap();
}
