//! The registry: lookup by name (the seed's Connect) and by id (open-by-thread-id), typed
//! by the message type; a receiver answers the sender named in an envelope.

mod common;

use std::convert::Infallible;
use std::sync::mpsc;

use alertable_actor::{Actor, ActorId, Context, Envelope, Options, StopMode, lookup, lookup_id};
use common::{Cmd, recorder, unique};

#[test]
fn lookups_find_running_actors_of_the_right_type_only() {
    let (actor, _) = recorder("findable");
    let name = actor.name().to_owned();
    assert_eq!(lookup::<Cmd>(&name), Some(actor.clone()));
    assert_eq!(lookup_id::<Cmd>(actor.id()), Some(actor.clone()));
    assert_eq!(lookup::<u32>(&name), None, "wrong message type");
    assert_eq!(lookup_id::<String>(actor.id()), None, "wrong message type");
    assert_eq!(lookup::<Cmd>(&unique("nobody")), None);
    assert!(alertable_actor::names().contains(&name));
    actor.stop(StopMode::Drain);
    actor.join().unwrap();
    assert_eq!(lookup::<Cmd>(&name), None);
    assert!(!alertable_actor::names().contains(&name));
}

/// Answers every question with its square, to the actor named as the sender.
struct Squarer;

impl Actor for Squarer {
    type Message = u64;
    type Error = Infallible;

    fn on_message(&mut self, _: &mut Context<u64>, envelope: Envelope<u64>) {
        let asker = envelope
            .sender
            .and_then(lookup_id::<(ActorId, u64)>)
            .expect("asked by an actor taking (ActorId, u64)");
        asker
            .send((
                alertable_actor::ActorId::current().unwrap(),
                envelope.message.pow(2),
            ))
            .unwrap();
    }
}

/// Finds the squarer by name, asks it about 1..=3, and reports the answers.
struct Asker {
    squarer: String,
    answers: Vec<(ActorId, u64)>,
    done: mpsc::Sender<Vec<(ActorId, u64)>>,
}

impl Actor for Asker {
    type Message = (ActorId, u64);
    type Error = String;

    fn on_start(&mut self, _: &mut Context<(ActorId, u64)>) -> Result<(), String> {
        let squarer = lookup::<u64>(&self.squarer).ok_or("no squarer")?;
        for n in 1..=3 {
            squarer.send(n).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<(ActorId, u64)>,
        envelope: Envelope<(ActorId, u64)>,
    ) {
        assert_eq!(Some(envelope.message.0), envelope.sender);
        self.answers.push(envelope.message);
        if self.answers.len() == 3 {
            self.done.send(self.answers.clone()).unwrap();
            ctx.stop(StopMode::Drain);
        }
    }
}

#[test]
fn a_receiver_answers_the_sender_named_in_the_envelope() {
    let squarer_name = unique("squarer");
    let squarer = alertable_actor::spawn(&squarer_name, Squarer, Options::default()).unwrap();
    let (done, answers) = mpsc::channel();
    let asker = Asker {
        squarer: squarer_name,
        answers: Vec::new(),
        done,
    };
    let asker = alertable_actor::spawn(&unique("asker"), asker, Options::default()).unwrap();
    let answers = answers.recv().unwrap();
    assert_eq!(
        answers,
        [(squarer.id(), 1), (squarer.id(), 4), (squarer.id(), 9)]
    );
    asker.join().unwrap();
    squarer.stop(StopMode::Drain);
    assert_eq!(squarer.join().unwrap().handled, 3);
}
