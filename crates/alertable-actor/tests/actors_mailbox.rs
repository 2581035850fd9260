//! Bounded mailboxes: a full mailbox refuses a message and hands it back — nothing is
//! lost silently — and takes messages again once the actor has taken some.

mod common;

use alertable_actor::{Mailbox, Options, SendError, StopMode};
use common::{Cmd, Recorder, block, log_of, unique, until_idle};

fn bounded(capacity: usize) -> alertable_actor::ActorRef<Cmd> {
    let (actor, _) = Recorder::new();
    let options = Options {
        mailbox: Mailbox::Bounded(capacity),
        ..Options::default()
    };
    alertable_actor::spawn(&unique("bounded"), actor, options).unwrap()
}

#[test]
fn a_full_mailbox_hands_the_message_back() {
    let actor = bounded(3);
    let open = block(&actor); // the message being handled does not count
    for i in 0..3 {
        actor.send(Cmd::Record(i)).unwrap();
    }
    assert_eq!(actor.queued(), 3);
    let refused = actor.send(Cmd::Record(3)).unwrap_err();
    assert_eq!(refused.win32_error(), 1816);
    match refused {
        SendError::Full(Cmd::Record(3)) => {}
        other => panic!("expected Full(Record(3)), got {other:?}"),
    }
    // Refusals leave the count alone, however many.
    for _ in 0..10 {
        assert!(matches!(
            actor.send(Cmd::Record(99)),
            Err(SendError::Full(_))
        ));
    }
    assert_eq!(actor.queued(), 3);
    drop(open);
    // Once the actor has caught up, there is room again.
    until_idle(&actor);
    assert_eq!(actor.queued(), 0);
    actor.send(Cmd::Record(3)).unwrap();
    assert_eq!(log_of(&actor), [0, 1, 2, 3]);
    actor.stop(StopMode::Drain);
    let stopped = actor.join().unwrap();
    assert_eq!((stopped.handled, stopped.dropped), (6, 0));
}

#[test]
fn a_full_mailbox_still_takes_a_stop() {
    let actor = bounded(1);
    let open = block(&actor);
    actor.send(Cmd::Record(0)).unwrap();
    assert!(matches!(
        actor.send(Cmd::Record(1)),
        Err(SendError::Full(_))
    ));
    actor.stop(StopMode::Now);
    assert!(matches!(
        actor.send(Cmd::Record(2)),
        Err(SendError::Stopped(_))
    ));
    drop(open);
    let stopped = actor.join().unwrap();
    assert_eq!((stopped.handled, stopped.dropped), (1, 1));
}

#[test]
fn a_bounded_mailbox_under_four_senders_accepts_exactly_what_it_reports() {
    let actor = bounded(64);
    let senders: Vec<_> = (0..4u64)
        .map(|from| {
            let actor = actor.clone();
            std::thread::spawn(move || {
                let mut accepted = Vec::new();
                for seq in 0..5_000u64 {
                    match actor.send(Cmd::Record(from << 32 | seq)) {
                        Ok(()) => accepted.push(from << 32 | seq),
                        Err(SendError::Full(_)) => {}
                        Err(SendError::Stopped(_)) => panic!("not stopped"),
                    }
                }
                accepted
            })
        })
        .collect();
    let accepted: Vec<Vec<u64>> = senders.into_iter().map(|s| s.join().unwrap()).collect();
    until_idle(&actor); // so that the report fits in
    let log = log_of(&actor);
    // Every accepted message arrived once, each sender's in order; no refused one did.
    for (from, sent) in accepted.iter().enumerate() {
        let arrived: Vec<u64> = log
            .iter()
            .copied()
            .filter(|value| value >> 32 == from as u64)
            .collect();
        assert_eq!(&arrived, sent, "sender {from}");
    }
    assert_eq!(log.len(), accepted.iter().map(Vec::len).sum::<usize>());
    actor.stop(StopMode::Drain);
    actor.join().unwrap();
}
