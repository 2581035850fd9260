//! Idle time-outs: `on_idle` runs when the idle period passes with no message; the period
//! can be changed at run time from inside the actor; `on_idle` can stop the actor.
//! Timing bounds are generous and one-sided (a time-out is never early); the assertions
//! are on order and counts.

mod common;

use std::convert::Infallible;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use alertable::Alertable;
use alertable_actor::{Actor, Context, Envelope, Flow, Options, ReplyTo, StopMode, StopReason};
use common::{PATIENCE, unique};

enum Msg {
    /// Change the idle period.
    SetIdle(Option<Duration>),
    /// Answer with the number of idle ticks so far.
    Ticks(ReplyTo<u32>),
}

/// Counts its idle ticks, reports each, and stops after `stop_after` of them.
struct Ticker {
    ticks: u32,
    stop_after: u32,
    /// Set the idle period to `None` in the first tick.
    one_shot: bool,
    report: mpsc::Sender<(u32, Instant)>,
}

impl Actor for Ticker {
    type Message = Msg;
    type Error = Infallible;

    fn on_message(&mut self, ctx: &mut Context<Msg>, envelope: Envelope<Msg>) {
        match envelope.message {
            Msg::SetIdle(period) => ctx.set_idle_period(period),
            Msg::Ticks(reply) => reply.send(self.ticks),
        }
    }

    fn on_idle(&mut self, ctx: &mut Context<Msg>) -> Flow {
        self.ticks += 1;
        self.report.send((self.ticks, Instant::now())).unwrap();
        if self.one_shot {
            ctx.set_idle_period(None);
        }
        if self.ticks == self.stop_after {
            Flow::Stop(StopMode::Drain)
        } else {
            Flow::Continue
        }
    }
}

fn ticker(stop_after: u32, one_shot: bool) -> (Ticker, mpsc::Receiver<(u32, Instant)>) {
    let (report, ticks) = mpsc::channel();
    (
        Ticker {
            ticks: 0,
            stop_after,
            one_shot,
            report,
        },
        ticks,
    )
}

#[test]
fn on_idle_runs_each_time_the_period_passes_without_a_message() {
    let period = Duration::from_millis(10);
    let (actor, ticks) = ticker(3, false);
    let started = Instant::now();
    let options = Options {
        idle_period: Some(period),
        ..Options::default()
    };
    let actor = alertable_actor::spawn(&unique("ticker"), actor, options).unwrap();
    let stopped = actor.join().unwrap();
    assert_eq!(stopped.reason, StopReason::Itself(StopMode::Drain));
    let ticks: Vec<(u32, Instant)> = ticks.try_iter().collect();
    assert_eq!(ticks.iter().map(|t| t.0).collect::<Vec<_>>(), [1, 2, 3]);
    // Each tick comes a full period after the one before, never early.
    let mut previous = started;
    for (_, at) in ticks {
        assert!(at.duration_since(previous) >= period);
        previous = at;
    }
}

#[test]
fn the_idle_period_can_be_changed_from_inside_the_actor() {
    let (actor, ticks) = ticker(u32::MAX, true);
    let actor = alertable_actor::spawn(&unique("retuned"), actor, Options::default()).unwrap();
    // No idle period: no ticks, however long it runs. A message turns it on...
    actor
        .send(Msg::SetIdle(Some(Duration::from_millis(1))))
        .unwrap();
    // ...the first tick turns it off again (`one_shot`)...
    assert_eq!(ticks.recv_timeout(PATIENCE).unwrap().0, 1);
    // ...so there is exactly one, whenever we ask.
    let mut count = actor.ask(Msg::Ticks).unwrap();
    assert_eq!(count.wait(Some(PATIENCE), Alertable::No), Ok(1));
    actor.stop(StopMode::Drain);
    actor.join().unwrap();
    assert_eq!(ticks.try_iter().count(), 0);
}

#[test]
fn messages_keep_a_long_idle_period_from_running_out() {
    let (actor, ticks) = ticker(u32::MAX, false);
    let options = Options {
        idle_period: Some(Duration::from_secs(3600)),
        ..Options::default()
    };
    let actor = alertable_actor::spawn(&unique("busy-ticker"), actor, options).unwrap();
    for _ in 0..100 {
        let mut count = actor.ask(Msg::Ticks).unwrap();
        assert_eq!(count.wait(Some(PATIENCE), Alertable::No), Ok(0));
    }
    actor.stop(StopMode::Drain);
    assert_eq!(actor.join().unwrap().handled, 100);
    assert_eq!(ticks.try_iter().count(), 0);
}
