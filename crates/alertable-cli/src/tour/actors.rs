//! `actors`: the APC actor model — one alertable thread per actor — with two named actors
//! rallying a ball, found by name and by the thread id in each message; an idle time-out
//! (SleepEx returning 0 instead of 192, B17); and a handler that throws, which the actor
//! survives.

use std::convert::Infallible;
use std::panic::{self, PanicHookInfo};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::Duration;

use alertable::Alertable;
use alertable_actor::{
    Actor, ActorId, ActorRef, Context, Envelope, Failure, Flow, Handler, Options, ReplyTo,
    SpawnError, StopMode, lookup, lookup_id,
};

use super::Scenario;
use super::journal;
use super::verdict::{Mismatch, Outcome, ensure, expect};

/// The scenario's entry in the tour.
pub(super) const SCENARIO: Scenario = Scenario {
    name: "actors",
    summary: "named actors rally by APC, tick when idle (SleepEx returns 0), survive a throwing handler",
    spec: "B17, B20",
    description: "Two actors, each a thread looping in SleepEx(idle, TRUE) with messages \
        arriving as APCs. \"ping\" finds \"pong\" by name in its start-up handler (Connect) \
        and serves ball 1; each side answers whoever sent the ball, found by the native \
        thread id the message carries (OpenThread), until ball 6. Main then tells pong to \
        set an idle period of 50 ms: with no message for that long SleepEx returns 0 \
        instead of 192 (WAIT_IO_COMPLETION), and pong's time-out handler runs once. Next, \
        main sends pong a message whose handler throws: the exception is caught and handed \
        to pong's error handler with its source (the message handler), and pong goes on to \
        answer the next question. Both actors then stop, handling what is queued, and \
        leave the registry: Connect(\"pong\") finds nothing.",
    run,
};

/// The last ball of the rally.
const LAST_BALL: u32 = 6;

/// Pong's idle period once main asks for one.
const IDLE: Duration = Duration::from_millis(50);

/// The text of the panic pong's handler throws.
const BOOM: &str = "pong's handler threw";

/// What pong is told.
enum PongMsg {
    Ball(u32),
    SetIdle(Option<Duration>),
    Explode,
    /// How many balls it has returned.
    Count(ReplyTo<u32>),
}

/// What ping is told.
enum PingMsg {
    /// Serve ball 1 to the pong found at start-up.
    Serve,
    Ball(u32),
}

/// Who handled which ball, coming from whom: `(ball, handled on, sent by)`.
type Rally = Arc<Mutex<Vec<(u32, ActorId, Option<ActorId>)>>>;

fn log_ball(rally: &Rally, ball: u32, on: ActorId, from: Option<ActorId>) {
    rally
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((ball, on, from));
}

/// Names a sender the way the journal does: its thread id.
fn who(sender: Option<ActorId>) -> String {
    sender.map_or_else(
        || "a thread that is not an actor".to_owned(),
        |id| format!("thread {id}"),
    )
}

struct Ping {
    pong: Option<ActorRef<PongMsg>>,
    rally: Rally,
    over: mpsc::Sender<()>,
}

impl Actor for Ping {
    type Message = PingMsg;
    type Error = String;

    fn on_start(&mut self, _: &mut Context<PingMsg>) -> Result<(), String> {
        let pong = lookup::<PongMsg>("pong").ok_or("Connect(\"pong\") found nothing")?;
        journal::note(format!(
            "ping: start-up handler: Connect(\"pong\") -> thread {}",
            pong.id()
        ));
        self.pong = Some(pong);
        Ok(())
    }

    fn on_message(&mut self, ctx: &mut Context<PingMsg>, envelope: Envelope<PingMsg>) {
        let ball = match envelope.message {
            PingMsg::Serve => {
                if let Some(pong) = &self.pong {
                    journal::note("ping: serving ball 1 to pong");
                    let _ = pong.send_with_id(1, PongMsg::Ball(1));
                }
                return;
            }
            PingMsg::Ball(ball) => ball,
        };
        log_ball(&self.rally, ball, ctx.id(), envelope.sender);
        if ball >= LAST_BALL {
            journal::note(format!(
                "ping: ball {ball} from {}: the rally is over",
                who(envelope.sender)
            ));
            let _ = self.over.send(());
            return;
        }
        // Answer whoever sent it, by the thread id in the message.
        let Some(to) = envelope.sender.and_then(lookup_id::<PongMsg>) else {
            journal::note(format!(
                "ping: ball {ball} from {}: no one to answer",
                who(envelope.sender)
            ));
            return;
        };
        journal::note(format!(
            "ping: ball {ball} from {} -> OpenThread({}) -> ball {}",
            who(envelope.sender),
            to.id(),
            ball + 1
        ));
        let _ = to.send_with_id(u64::from(ball + 1), PongMsg::Ball(ball + 1));
    }
}

/// What pong reports to main.
enum Report {
    Ticked(usize),
    Failed(Handler, Option<String>, Option<u64>),
}

struct Pong {
    rally: Rally,
    returned: u32,
    ticks: usize,
    report: mpsc::Sender<Report>,
}

impl Actor for Pong {
    type Message = PongMsg;
    type Error = Infallible;

    fn on_message(&mut self, ctx: &mut Context<PongMsg>, envelope: Envelope<PongMsg>) {
        match envelope.message {
            PongMsg::Ball(ball) => {
                log_ball(&self.rally, ball, ctx.id(), envelope.sender);
                let Some(to) = envelope.sender.and_then(lookup_id::<PingMsg>) else {
                    journal::note(format!(
                        "pong: ball {ball} from {}: no one to answer",
                        who(envelope.sender)
                    ));
                    return;
                };
                journal::note(format!(
                    "pong: ball {ball} (message id {}) from {} -> OpenThread({}) -> ball {}",
                    envelope.id.unwrap_or_default(),
                    who(envelope.sender),
                    to.id(),
                    ball + 1
                ));
                self.returned += 1;
                let _ = to.send_with_id(u64::from(ball + 1), PingMsg::Ball(ball + 1));
            }
            PongMsg::SetIdle(period) => {
                journal::note(format!(
                    "pong: idle period set to {} ms",
                    period.map_or(0, |p| p.as_millis())
                ));
                ctx.set_idle_period(period);
            }
            PongMsg::Explode => {
                journal::note(format!(
                    "pong: message {} (Explode): throwing",
                    envelope.id.unwrap_or_default()
                ));
                panic::panic_any(BOOM);
            }
            PongMsg::Count(reply) => {
                journal::note(format!(
                    "pong: asked how many balls it returned: {}",
                    self.returned
                ));
                reply.send(self.returned);
            }
        }
    }

    fn on_idle(&mut self, ctx: &mut Context<PongMsg>) -> Flow {
        self.ticks += 1;
        let period = ctx.idle_period().unwrap_or_default().as_millis();
        journal::note(format!(
            "pong: SleepEx({period}, TRUE) returned 0 -> time-out handler (tick {}); idle \
             period off again",
            self.ticks
        ));
        ctx.set_idle_period(None);
        let _ = self.report.send(Report::Ticked(self.ticks));
        Flow::Continue
    }

    fn on_error(&mut self, _: &mut Context<PongMsg>, failure: Failure) -> Flow {
        journal::note(format!(
            "pong: error handler: {failure} (message id {}); carrying on",
            failure.message_id().unwrap_or_default()
        ));
        let _ = self.report.send(Report::Failed(
            failure.handler(),
            failure.panic_message().map(str::to_owned),
            failure.message_id(),
        ));
        Flow::Continue
    }
}

/// Silences the standard panic message for pong's expected throw (the journal tells it),
/// and restores the previous hook when dropped.
struct QuietThrow {
    previous: Arc<dyn Fn(&PanicHookInfo<'_>) + Send + Sync>,
}

impl QuietThrow {
    fn install() -> Self {
        let previous: Arc<dyn Fn(&PanicHookInfo<'_>) + Send + Sync> = Arc::from(panic::take_hook());
        let forward = previous.clone();
        panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&BOOM) {
                forward(info);
            }
        }));
        Self { previous }
    }
}

impl Drop for QuietThrow {
    fn drop(&mut self) {
        let previous = self.previous.clone();
        drop(panic::take_hook());
        panic::set_hook(Box::new(move |info| previous(info)));
    }
}

/// Spawns an actor and notes it the way the seed's `CreateActor` would be called.
fn create<A: Actor>(
    name: &str,
    actor: A,
    what: impl FnOnce(&A::Error) -> String,
) -> Result<ActorRef<A::Message>, Mismatch> {
    match alertable_actor::spawn(name, actor, Options::default()) {
        Ok(actor) => {
            journal::note(format!(
                "main: CreateActor(\"{name}\") -> thread {} (start-up handler done)",
                actor.id()
            ));
            Ok(actor)
        }
        Err(SpawnError::Start(error)) => Err(Mismatch::new(format!(
            "{name} failed to start: {}",
            what(&error)
        ))),
        Err(SpawnError::Panicked(text)) => Err(Mismatch::new(format!(
            "{name} panicked while starting: {text}"
        ))),
        Err(SpawnError::NameTaken) => Err(Mismatch::new(format!(
            "an actor named {name} is already running"
        ))),
        Err(SpawnError::Os(error)) => Err(Mismatch::spawn(error)),
        Err(_) => Err(Mismatch::new(format!("could not create {name}"))),
    }
}

/// Runs the scenario.
fn run() -> Outcome {
    let _quiet = QuietThrow::install();
    let rally = Rally::default();
    let (report, reports) = mpsc::channel();
    let pong = create(
        "pong",
        Pong {
            rally: rally.clone(),
            returned: 0,
            ticks: 0,
            report,
        },
        |never: &Infallible| match *never {},
    )?;
    let (over, is_over) = mpsc::channel();
    let ping = create(
        "ping",
        Ping {
            pong: None,
            rally: rally.clone(),
            over,
        },
        String::clone,
    )?;
    journal::act(|| {
        let sent = ping.send(PingMsg::Serve);
        (sent, "main: SendMessage(ping, Serve)".to_owned())
    })
    .map_err(|_| Mismatch::new("ping refused a message"))?;
    expect(&is_over, "the end of the rally")?;

    journal::act(|| {
        let sent = pong.send(PongMsg::SetIdle(Some(IDLE)));
        (
            sent,
            format!("main: SendMessage(pong, SetIdle({} ms))", IDLE.as_millis()),
        )
    })
    .map_err(|_| Mismatch::new("pong refused a message"))?;
    let ticked = expect(&reports, "an idle time-out")?;

    journal::act(|| {
        let sent = pong.send_with_id(7, PongMsg::Explode);
        (sent, "main: SendMessage(pong, 7, Explode)".to_owned())
    })
    .map_err(|_| Mismatch::new("pong refused a message"))?;
    let failed = expect(&reports, "the exception")?;

    let mut count = pong
        .ask(PongMsg::Count)
        .map_err(|_| Mismatch::new("pong stopped after the exception"))?;
    let returned = count.wait(Some(Duration::from_secs(20)), Alertable::No);
    journal::note(match &returned {
        Ok(balls) => format!("main: pong answered {balls} after the exception"),
        Err(error) => format!("main: pong did not answer after the exception: {error}"),
    });

    ping.stop(StopMode::Drain);
    pong.stop(StopMode::Drain);
    let ping_stopped = ping.join().map_err(|e| Mismatch::new(e.to_string()))?;
    let pong_stopped = pong.join().map_err(|e| Mismatch::new(e.to_string()))?;
    let found = lookup::<PongMsg>("pong");
    journal::note(format!(
        "main: both stopped (pong handled {}, dropped {}, survived {} exception); \
         Connect(\"pong\") -> {}",
        pong_stopped.handled,
        pong_stopped.dropped,
        pong_stopped.panics,
        if found.is_some() {
            "found"
        } else {
            "not found"
        }
    ));
    drop(journal::take());

    // The rally: balls 1..=6 in order, odd ones on pong sent by ping, even ones on ping
    // sent by pong.
    let rally = rally.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let expected: Vec<(u32, ActorId, Option<ActorId>)> = (1..=LAST_BALL)
        .map(|ball| {
            if ball % 2 == 1 {
                (ball, pong.id(), Some(ping.id()))
            } else {
                (ball, ping.id(), Some(pong.id()))
            }
        })
        .collect();
    ensure(rally == expected, || {
        format!(
            "the rally went {rally:?}, not balls 1 to {LAST_BALL} alternating from ping to pong"
        )
    })?;
    ensure(matches!(ticked, Report::Ticked(1)), || {
        "pong's first report was not one idle time-out".to_owned()
    })?;
    ensure(
        matches!(&failed, Report::Failed(Handler::Message, Some(text), Some(7)) if text == BOOM),
        || "pong's error handler did not get the exception of message 7".to_owned(),
    )?;
    ensure(returned == Ok(LAST_BALL / 2), || {
        format!(
            "pong answered {returned:?} after the exception, not {}",
            LAST_BALL / 2
        )
    })?;
    ensure(
        pong_stopped.panics == 1 && pong_stopped.dropped == 0 && ping_stopped.dropped == 0,
        || format!("the actors stopped with {pong_stopped:?} and {ping_stopped:?}"),
    )?;
    ensure(found.is_none(), || {
        "a stopped actor was still found by name".to_owned()
    })?;
    Ok(format!(
        "the rally of {LAST_BALL} balls alternated between the actors' threads, each answer \
         addressed by the thread id in the message; pong's SleepEx({}, TRUE) returned 0 once \
         and ran its time-out handler; its throwing handler was caught and reported, and it \
         answered the next question ({})",
        IDLE.as_millis(),
        LAST_BALL / 2
    ))
}
