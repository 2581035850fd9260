//! The `actors` workload: actors stopped while senders stream messages at them.
//!
//! Each round spawns an actor (unbounded or bounded mailbox, with or without an idle
//! period) and two sender threads that send numbered messages as fast as the mailbox takes
//! them; at a random moment the actor is told to stop, `Drain` or `Now`. The actor checks
//! that each sender's messages arrive in order, one at a time even when its handler waits
//! alertably; afterwards, each sender's handled messages must be a prefix of what it sent,
//! all of them with `Drain`, and the record must account for every accepted message once:
//! `handled + dropped` = accepted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use alertable::Alertable;
use alertable_actor::{
    Actor, Context, Envelope, Mailbox, Options, SendError, StopMode, StopReason,
};

use super::{PATIENCE, Rng, Soak};

const WORKLOAD: &str = "actors";

/// Senders per actor.
const SENDERS: usize = 2;

/// What the actor and the round share.
struct Tally {
    /// Per sender: messages handled, which is also the number of the next one expected.
    handled: Vec<AtomicU64>,
    /// Set while a handler runs: a message must never arrive inside another's handler.
    busy: AtomicBool,
}

struct Counting {
    soak: Arc<Soak>,
    tally: Arc<Tally>,
    rng: Rng,
}

impl Actor for Counting {
    type Message = (usize, u64);
    type Error = std::convert::Infallible;

    fn on_message(&mut self, _: &mut Context<(usize, u64)>, envelope: Envelope<(usize, u64)>) {
        let (sender, seq) = envelope.message;
        if self.tally.busy.swap(true, Ordering::Relaxed) {
            self.soak.violation(
                WORKLOAD,
                "a message arrived inside another message's handler",
            );
        }
        let expected = self.tally.handled[sender].load(Ordering::Relaxed);
        if seq != expected {
            self.soak.violation(
                WORKLOAD,
                format_args!(
                    "the actor got sender {sender}'s message #{seq}, but #{expected} was next"
                ),
            );
        }
        self.tally.handled[sender].store(expected.max(seq + 1), Ordering::Relaxed);
        if self.rng.percent(2) {
            // A handler may wait alertably; messages still wait their turn.
            let _ = alertable::sleep_ex(Some(Duration::ZERO), Alertable::Yes);
        }
        self.tally.busy.store(false, Ordering::Relaxed);
    }
}

pub(super) fn run(soak: &Arc<Soak>) {
    let stopped = soak.headline(WORKLOAD, "actors stopped");
    let handled = soak.counter(WORKLOAD, "messages handled");
    let dropped = soak.counter(WORKLOAD, "messages dropped");
    let mut rng = soak.rng(WORKLOAD, 0);
    let mut round = 0_u64;
    while soak.running() {
        round += 1;
        let tally = Arc::new(Tally {
            handled: (0..SENDERS).map(|_| AtomicU64::new(0)).collect(),
            busy: AtomicBool::new(false),
        });
        let options = Options {
            idle_period: rng.percent(30).then(|| Duration::from_millis(1)),
            mailbox: if rng.percent(50) {
                Mailbox::Unbounded
            } else {
                Mailbox::Bounded(rng.between(1, 64) as usize)
            },
        };
        let actor = Counting {
            soak: Arc::clone(soak),
            tally: Arc::clone(&tally),
            rng: Rng::new(rng.next_u64(), 0),
        };
        let name = format!("soak-actor-{}-{round}", std::process::id());
        let actor = match alertable_actor::spawn(&name, actor, options) {
            Ok(actor) => actor,
            Err(error) => {
                soak.violation(WORKLOAD, format_args!("spawning an actor failed: {error}"));
                return;
            }
        };
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                let actor = actor.clone();
                let limit = rng.between(1, 20_000);
                super::spawn(soak, WORKLOAD, move || {
                    let mut accepted = 0;
                    while accepted < limit {
                        match actor.send((s, accepted)) {
                            Ok(()) => accepted += 1,
                            Err(SendError::Full(_)) => std::thread::yield_now(),
                            Err(_) => break,
                        }
                    }
                    accepted
                })
            })
            .collect();
        std::thread::sleep(Duration::from_micros(rng.below(3000)));
        let mode = if rng.percent(50) {
            StopMode::Drain
        } else {
            StopMode::Now
        };
        actor.stop(mode);
        let accepted: Vec<u64> = senders
            .into_iter()
            .map(|s| {
                super::join(soak, WORKLOAD, "a sender", s)
                    .flatten()
                    .unwrap_or(0)
            })
            .collect();
        let record = match actor.wait_stopped(Some(PATIENCE), Alertable::No) {
            Ok(record) => record,
            Err(error) => {
                soak.violation(WORKLOAD, format_args!("the actor did not stop: {error}"));
                continue;
            }
        };
        stopped.inc();
        handled.add(record.handled);
        dropped.add(record.dropped);
        let total: u64 = accepted.iter().sum();
        let got: Vec<u64> = tally
            .handled
            .iter()
            .map(|h| h.load(Ordering::Relaxed))
            .collect();
        let wrong = record.reason != StopReason::Requested(mode)
            || record.handled + record.dropped != total
            || record.handled != got.iter().sum::<u64>()
            || record.panics != 0
            || got.iter().zip(&accepted).any(|(g, a)| g > a)
            || (mode == StopMode::Drain && (record.dropped != 0 || got != accepted));
        if wrong {
            soak.violation(
                WORKLOAD,
                format_args!(
                    "stopped with {mode:?}: record {record:?}; senders' messages accepted \
                     {accepted:?}, handled {got:?}"
                ),
            );
        }
        if !matches!(actor.send((0, 0)), Err(SendError::Stopped(_))) {
            soak.violation(WORKLOAD, "a stopped actor accepted a message");
        }
    }
}
