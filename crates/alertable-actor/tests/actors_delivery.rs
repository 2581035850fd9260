//! Delivery: every message arrives exactly once, each sender's in the order sent, with the
//! sender's identity and the message id; sending never blocks.

mod common;

use std::convert::Infallible;
use std::sync::{Arc, Barrier};

use alertable::Alertable;
use alertable_actor::{
    Actor, ActorId, ActorRef, Context, Envelope, Options, Reply, ReplyTo, StopMode,
};
use common::{Cmd, PATIENCE, block, log_of, recorder, unique};

const SENDERS: usize = 4;
const TOTAL: u64 = 1_000_000;
const PER_SENDER: u64 = TOTAL / SENDERS as u64;

enum Tally {
    /// Message `seq` of sender `from`.
    Item { from: usize, seq: u64 },
    /// Answer with the next sequence number expected of each sender and the violations.
    Report(ReplyTo<([u64; SENDERS], u64)>),
}

/// Checks each sender's sequence as it arrives: a lost, duplicated or reordered message
/// shows as a violation.
struct Tallier {
    next: [u64; SENDERS],
    violations: u64,
}

impl Actor for Tallier {
    type Message = Tally;
    type Error = Infallible;

    fn on_message(&mut self, _: &mut Context<Tally>, envelope: Envelope<Tally>) {
        match envelope.message {
            Tally::Item { from, seq } => {
                if self.next[from] != seq {
                    self.violations += 1;
                }
                self.next[from] = seq + 1;
            }
            Tally::Report(reply) => reply.send((self.next, self.violations)),
        }
    }
}

#[test]
fn a_million_messages_from_four_senders_arrive_once_in_sender_order() {
    let tallier = Tallier {
        next: [0; SENDERS],
        violations: 0,
    };
    let actor = alertable_actor::spawn(&unique("tally"), tallier, Options::default()).unwrap();
    let start = Arc::new(Barrier::new(SENDERS));
    let senders: Vec<_> = (0..SENDERS)
        .map(|from| {
            let (actor, start) = (actor.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for seq in 0..PER_SENDER {
                    actor.send(Tally::Item { from, seq }).unwrap();
                }
            })
        })
        .collect();
    for sender in senders {
        sender.join().unwrap();
    }
    let (next, violations) = actor
        .ask(Tally::Report)
        .unwrap()
        .wait(Some(PATIENCE), Alertable::No)
        .unwrap();
    assert_eq!(violations, 0, "lost, duplicated or reordered messages");
    assert_eq!(next, [PER_SENDER; SENDERS]);
    actor.stop(StopMode::Drain);
    let stopped = actor.join().unwrap();
    assert_eq!(stopped.handled, TOTAL + 1, "every item and the report");
    assert_eq!(stopped.dropped, 0);
}

#[test]
fn one_senders_messages_arrive_in_order_with_their_ids() {
    let (actor, _) = recorder("order");
    for i in 0..1000 {
        actor.send(Cmd::Record(i)).unwrap();
    }
    assert_eq!(log_of(&actor), (0..1000).collect::<Vec<_>>());
    // From a thread that is not an actor's: no sender; an id only when one is given.
    let mut plain = actor.ask(Cmd::WhoSent).unwrap();
    assert_eq!(plain.wait(Some(PATIENCE), Alertable::No), Ok((None, None)));
    let (reply_to, mut numbered) = Reply::pair();
    actor.send_with_id(7, Cmd::WhoSent(reply_to)).unwrap();
    assert_eq!(
        numbered.wait(Some(PATIENCE), Alertable::No),
        Ok((None, Some(7)))
    );
    actor.stop(StopMode::Drain);
    actor.join().unwrap();
}

/// Forwards every number it gets to `target`, so the target sees this actor as sender.
struct Relay {
    target: ActorRef<Cmd>,
}

impl Actor for Relay {
    type Message = u64;
    type Error = Infallible;

    fn on_message(&mut self, ctx: &mut Context<u64>, envelope: Envelope<u64>) {
        assert_eq!(ActorId::current(), Some(ctx.id()));
        self.target
            .send_with_id(envelope.message, Cmd::Record(envelope.message))
            .unwrap();
    }
}

#[test]
fn the_envelope_names_the_sending_actor() {
    let (target, _) = recorder("relay-target");
    let relay = Relay {
        target: target.clone(),
    };
    let relay = alertable_actor::spawn(&unique("relay"), relay, Options::default()).unwrap();
    relay.send(5).unwrap();
    relay.stop(StopMode::Drain);
    relay.join().unwrap();
    assert_eq!(log_of(&target), [5]);

    // Ask through the relay's own thread: an APC queued to it runs there, and a message
    // sent from it carries the relay's id.
    let relay2 = alertable_actor::spawn(
        &unique("relay"),
        Relay {
            target: target.clone(),
        },
        Options::default(),
    )
    .unwrap();
    let (reply_to, mut reply) = Reply::pair();
    let t = target.clone();
    relay2
        .thread()
        .queue_apc(move || t.send_with_id(9, Cmd::WhoSent(reply_to)).unwrap())
        .unwrap();
    assert_eq!(
        reply.wait(Some(PATIENCE), Alertable::No),
        Ok((Some(relay2.id()), Some(9)))
    );
    relay2.stop(StopMode::Drain);
    relay2.join().unwrap();
    target.stop(StopMode::Drain);
    target.join().unwrap();
}

#[test]
fn sending_never_blocks_on_a_busy_actor() {
    let (actor, _) = recorder("busy");
    let open = block(&actor);
    // The actor is held inside a handler: all of these are accepted at once.
    for i in 0..10_000 {
        actor.send(Cmd::Record(i)).unwrap();
    }
    assert!(actor.queued() >= 10_000);
    drop(open);
    assert_eq!(log_of(&actor).len(), 10_000);
    actor.stop(StopMode::Drain);
    assert_eq!(actor.join().unwrap().handled, 10_000 + 2);
}
