//! Actors on alertable threads against actix and ractor, on the same work, in one run.
//!
//! ```sh
//! cargo bench -p alertable-actor --bench actors              # full run
//! cargo bench -p alertable-actor --bench actors -- --quick   # short workloads
//! cargo bench -p alertable-actor --bench actors -- round-trip # some tables only
//! ```
//!
//! Three workloads, each a table:
//!
//! - **one-to-one**: one thread sends N `u64`s to one actor, which adds them up; the time
//!   from the start signal to the actor having handled the last one, per message.
//! - **four-to-one**: the same N messages from four threads (N/4 each).
//! - **round trip**: one thread asks the actor for `x + 1` and waits for the answer, K
//!   times in a row; the time per round trip.
//! - **idle round trip**: the same, with the asker sleeping 2 ms (untimed) before each
//!   request, so that the actor has gone to sleep: the time per round trip is then mostly
//!   the actor's wake-up.
//!
//! Contenders:
//!
//! - **alertable-actor**: `ActorRef::send` / `ActorRef::ask` + `Reply::wait`.
//! - **per-message APC**: a prototype of the other delivery design, in which every message
//!   is its own APC (`queue_apc` of a closure carrying the message, the sender and a
//!   message id, with the same reservation counter for stop and bound) that runs the
//!   handler through a thread-local on the actor's thread. Streams only, twice: with an
//!   8-byte message, whose closure (32 bytes) the APC queue stores inline, and with a
//!   24-byte one — the size of ours' message enum — whose closure it must box.
//! - **actix**: an actor started in its own `Arbiter` (one thread), fed with
//!   `Addr::do_send`; round trips with `Addr::send` awaited on the asking thread.
//! - **ractor**: an actor on a tokio multi-thread runtime with one worker thread, fed with
//!   `ActorRef::cast`; round trips with `call!` awaited on the asking thread.
//!
//! Every run uses a fresh actor and fresh sender threads; the first round of runs is a
//! warm-up and is not counted; the contenders take turns run by run, so a noisy moment
//! on the machine hits all of them alike. Each run checks its own work: the actor's sum
//! must equal the sum sent, every answer must be `x + 1`. `vs ours` is a contender's
//! median divided by ours: "2.00× slower" means it takes twice as long.

use std::cell::RefCell;
use std::num::NonZeroU64;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::time::{Duration, Instant};

/// The sizes of one benchmark run.
#[derive(Debug, Clone, Copy)]
struct Settings {
    /// Messages per stream run.
    messages: u64,
    /// Round trips per round-trip run.
    round_trips: u64,
    /// Round trips per idle-round-trip run.
    idle_round_trips: u64,
    /// Counted runs per contender (after one warm-up run).
    runs: usize,
}

impl Settings {
    const FULL: Self = Self {
        messages: 1_000_000,
        round_trips: 20_000,
        idle_round_trips: 300,
        runs: 7,
    };
    const QUICK: Self = Self {
        messages: 100_000,
        round_trips: 2_000,
        idle_round_trips: 30,
        runs: 3,
    };
}

/// How long the asker of an idle round trip sleeps before each request.
const IDLE: Duration = Duration::from_millis(2);

/// Times a round-trip run: all of it, or, with an idle gap before each request, only the
/// requests.
struct RoundTripClock {
    idle: Option<Duration>,
    began: Instant,
    timed: Duration,
}

impl RoundTripClock {
    fn start(idle: Option<Duration>) -> Self {
        Self {
            idle,
            began: Instant::now(),
            timed: Duration::ZERO,
        }
    }

    /// Before a request: sleeps out the idle gap, if any, and starts timing.
    fn before_request(&mut self) {
        if let Some(idle) = self.idle {
            std::thread::sleep(idle);
            self.began = Instant::now();
        }
    }

    /// After an answer.
    fn after_request(&mut self) {
        if self.idle.is_some() {
            self.timed += self.began.elapsed();
        }
    }

    fn total(&self) -> Duration {
        if self.idle.is_some() {
            self.timed
        } else {
            self.began.elapsed()
        }
    }
}

/// The sum of `0..n` split over `senders` threads the way the stream workloads split it:
/// sender `s` sends `s, s + senders, s + 2 * senders, …`.
fn expected_sum(messages: u64) -> u64 {
    messages * (messages - 1) / 2
}

/// The values sender `index` of `senders` sends.
fn share(index: usize, senders: usize, messages: u64) -> impl Iterator<Item = u64> {
    (index as u64..messages).step_by(senders)
}

/// Starts `senders` threads, each sending its share through `send` once released, and
/// returns the barrier that releases them (the caller is its last party) and the threads.
fn senders<F>(
    senders: usize,
    messages: u64,
    send: F,
) -> (Arc<Barrier>, Vec<std::thread::JoinHandle<()>>)
where
    F: Fn(u64) + Clone + Send + 'static,
{
    let start = Arc::new(Barrier::new(senders + 1));
    let threads = (0..senders)
        .map(|index| {
            let (start, send) = (start.clone(), send.clone());
            std::thread::spawn(move || {
                start.wait();
                for value in share(index, senders, messages) {
                    send(value);
                }
            })
        })
        .collect();
    (start, threads)
}

/// Releases the senders, waits for the actor's sum, checks it, and returns the time.
fn time_stream(
    start: &Barrier,
    threads: Vec<std::thread::JoinHandle<()>>,
    done: &mpsc::Receiver<u64>,
    messages: u64,
) -> Duration {
    let began = Instant::now();
    start.wait();
    let sum = done.recv().expect("the actor reports its sum");
    let elapsed = began.elapsed();
    assert_eq!(sum, expected_sum(messages), "every message handled once");
    for thread in threads {
        thread.join().unwrap();
    }
    elapsed
}

/// What the summing actors of every contender do with one message.
#[derive(Debug)]
struct Summer {
    count: u64,
    target: u64,
    sum: u64,
    done: mpsc::Sender<u64>,
}

impl Summer {
    fn new(target: u64, done: mpsc::Sender<u64>) -> Self {
        Self {
            count: 0,
            target,
            sum: 0,
            done,
        }
    }

    #[inline]
    fn add(&mut self, value: u64) {
        self.sum += value;
        self.count += 1;
        if self.count == self.target {
            self.done.send(self.sum).unwrap();
        }
    }
}

mod ours {
    use super::*;
    use alertable::Alertable;
    use alertable_actor::{Actor, Context, Envelope, Options, ReplyTo, StopMode};

    pub(super) enum Msg {
        Add(u64),
        Ping(u64, ReplyTo<u64>),
    }

    struct Bench(Summer);

    impl Actor for Bench {
        type Message = Msg;
        type Error = std::convert::Infallible;

        #[inline]
        fn on_message(&mut self, _: &mut Context<Msg>, envelope: Envelope<Msg>) {
            match envelope.message {
                Msg::Add(value) => self.0.add(value),
                Msg::Ping(value, reply) => reply.send(value + 1),
            }
        }
    }

    fn spawn(target: u64) -> (alertable_actor::ActorRef<Msg>, mpsc::Receiver<u64>) {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let (done, sum) = mpsc::channel();
        let name = format!("bench-{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let actor =
            alertable_actor::spawn(&name, Bench(Summer::new(target, done)), Options::default())
                .unwrap();
        (actor, sum)
    }

    pub(super) fn stream(senders: usize, messages: u64) -> Duration {
        let (actor, done) = spawn(messages);
        let sink = actor.clone();
        let (start, threads) = super::senders(senders, messages, move |value| {
            sink.send(Msg::Add(value)).unwrap();
        });
        let elapsed = time_stream(&start, threads, &done, messages);
        actor.stop(StopMode::Drain);
        actor.join().unwrap();
        elapsed
    }

    pub(super) fn round_trip(count: u64, idle: Option<Duration>) -> Duration {
        let (actor, _) = spawn(u64::MAX);
        let mut clock = RoundTripClock::start(idle);
        for x in 0..count {
            clock.before_request();
            let mut reply = actor.ask(|r| Msg::Ping(x, r)).unwrap();
            assert_eq!(reply.wait(None, Alertable::No), Ok(x + 1));
            clock.after_request();
        }
        let elapsed = clock.total();
        actor.stop(StopMode::Drain);
        actor.join().unwrap();
        elapsed
    }
}

/// The other delivery design, as a prototype: each message is an APC whose closure
/// carries it, run on the actor's thread through a thread-local handler.
mod per_message_apc {
    use super::*;
    use alertable::{Alertable, ThreadHandle, sleep_ex};

    const CLOSED: usize = 1;
    const ONE: usize = 2;

    struct State {
        summer: Summer,
        accepted: Arc<AtomicUsize>,
        stopped: bool,
    }

    thread_local! {
        static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
        static SENDER: Option<NonZeroU64> = const { None };
    }

    /// A message payload: the value to add, in a message of some size.
    pub(super) trait Payload: Send + 'static {
        fn new(value: u64) -> Self;
        fn value(&self) -> u64;
    }

    impl Payload for u64 {
        fn new(value: u64) -> Self {
            value
        }
        fn value(&self) -> u64 {
            *self
        }
    }

    /// As large as ours' message enum (24 bytes): the closure no longer fits inline.
    impl Payload for [u64; 3] {
        fn new(value: u64) -> Self {
            [value, 0, 0]
        }
        fn value(&self) -> u64 {
            self[0]
        }
    }

    /// Runs on the actor's thread: the message handler, behind `catch_unwind` as in ours.
    #[inline]
    fn deliver<P: Payload>(_sender: Option<NonZeroU64>, _id: Option<u64>, payload: P) {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            STATE.with_borrow_mut(|state| {
                let state = state.as_mut().expect("on the actor's thread");
                state.accepted.fetch_sub(ONE, Ordering::AcqRel);
                state.summer.add(payload.value());
            });
        }));
    }

    #[derive(Clone)]
    struct Handle {
        thread: ThreadHandle,
        accepted: Arc<AtomicUsize>,
    }

    impl Handle {
        #[inline]
        fn send<P: Payload>(&self, payload: P) -> Result<(), P> {
            if self.accepted.fetch_add(ONE, Ordering::AcqRel) & CLOSED != 0 {
                self.accepted.fetch_sub(ONE, Ordering::AcqRel);
                return Err(payload);
            }
            let sender = SENDER.with(|s| *s);
            let id = None;
            // 8 + 16 bytes + the payload: inline in the APC queue up to 32 bytes in all,
            // boxed beyond. A refused APC is dropped by the queue (the thread has exited).
            self.thread
                .queue_apc(move || deliver(sender, id, payload))
                .map_err(|_| P::new(0))
        }
    }

    pub(super) fn stream<P: Payload>(senders: usize, messages: u64) -> Duration {
        let (done, sum) = mpsc::channel();
        let accepted = Arc::new(AtomicUsize::new(0));
        let state = State {
            summer: Summer::new(messages, done),
            accepted: accepted.clone(),
            stopped: false,
        };
        let (ready, is_ready) = mpsc::channel();
        let actor = alertable::spawn(move || {
            STATE.set(Some(state));
            ready.send(()).unwrap();
            while STATE.with_borrow(|s| s.as_ref().is_some_and(|s| !s.stopped)) {
                sleep_ex(None, Alertable::Yes);
            }
        })
        .unwrap();
        is_ready.recv().unwrap();
        let handle = Handle {
            thread: actor.thread().clone(),
            accepted,
        };
        let sink = handle.clone();
        let (start, threads) = super::senders(senders, messages, move |value| {
            assert!(sink.send(P::new(value)).is_ok());
        });
        let elapsed = time_stream(&start, threads, &sum, messages);
        handle.accepted.fetch_or(CLOSED, Ordering::AcqRel);
        handle
            .thread
            .queue_apc(|| {
                STATE.with_borrow_mut(|s| {
                    if let Some(s) = s {
                        s.stopped = true;
                    }
                });
            })
            .unwrap();
        actor.join().unwrap();
        elapsed
    }
}

mod actix_side {
    use super::*;
    use actix::prelude::*;

    struct Bench(Summer);

    impl Actor for Bench {
        type Context = Context<Self>;
    }

    #[derive(Message)]
    #[rtype(result = "()")]
    struct Add(u64);

    #[derive(Message)]
    #[rtype(result = "u64")]
    struct Ping(u64);

    impl Handler<Add> for Bench {
        type Result = ();
        fn handle(&mut self, msg: Add, _: &mut Context<Self>) {
            self.0.add(msg.0);
        }
    }

    impl Handler<Ping> for Bench {
        type Result = u64;
        fn handle(&mut self, msg: Ping, _: &mut Context<Self>) -> u64 {
            msg.0 + 1
        }
    }

    fn spawn(target: u64) -> (Arbiter, Addr<Bench>, mpsc::Receiver<u64>) {
        let (done, sum) = mpsc::channel();
        let arbiter = Arbiter::new();
        let summer = Summer::new(target, done);
        let addr = Bench::start_in_arbiter(&arbiter.handle(), move |_| Bench(summer));
        (arbiter, addr, sum)
    }

    fn finish(arbiter: Arbiter) {
        arbiter.stop();
        arbiter.join().unwrap();
    }

    pub(super) fn stream(senders: usize, messages: u64) -> Duration {
        let (arbiter, addr, done) = spawn(messages);
        let sink = addr.clone();
        let (start, threads) = super::senders(senders, messages, move |value| {
            sink.do_send(Add(value));
        });
        let elapsed = time_stream(&start, threads, &done, messages);
        drop(addr);
        finish(arbiter);
        elapsed
    }

    pub(super) fn round_trip(
        system: &SystemRunner,
        count: u64,
        idle: Option<Duration>,
    ) -> Duration {
        let (arbiter, addr, _) = spawn(u64::MAX);
        let mut clock = RoundTripClock::start(idle);
        system.block_on(async {
            for x in 0..count {
                clock.before_request();
                assert_eq!(addr.send(Ping(x)).await.unwrap(), x + 1);
                clock.after_request();
            }
        });
        let elapsed = clock.total();
        drop(addr);
        finish(arbiter);
        elapsed
    }
}

mod ractor_side {
    use super::*;
    use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, call};
    use tokio::runtime::Runtime;

    pub(super) enum Msg {
        Add(u64),
        Ping(u64, RpcReplyPort<u64>),
    }

    struct Bench;

    impl Actor for Bench {
        type Msg = Msg;
        type State = Summer;
        type Arguments = Summer;

        async fn pre_start(
            &self,
            _: ActorRef<Msg>,
            summer: Summer,
        ) -> Result<Summer, ActorProcessingErr> {
            Ok(summer)
        }

        async fn handle(
            &self,
            _: ActorRef<Msg>,
            message: Msg,
            summer: &mut Summer,
        ) -> Result<(), ActorProcessingErr> {
            match message {
                Msg::Add(value) => summer.add(value),
                Msg::Ping(value, reply) => reply.send(value + 1)?,
            }
            Ok(())
        }
    }

    /// The runtime the actors run on: one worker thread, like one actor thread.
    pub(super) fn runtime() -> Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    }

    fn spawn(
        rt: &Runtime,
        target: u64,
    ) -> (
        ActorRef<Msg>,
        tokio::task::JoinHandle<()>,
        mpsc::Receiver<u64>,
    ) {
        let (done, sum) = mpsc::channel();
        let summer = Summer::new(target, done);
        let (actor, handle) = rt.block_on(Actor::spawn(None, Bench, summer)).unwrap();
        (actor, handle, sum)
    }

    fn finish(rt: &Runtime, actor: ActorRef<Msg>, handle: tokio::task::JoinHandle<()>) {
        actor.stop(None);
        rt.block_on(handle).unwrap();
    }

    pub(super) fn stream(rt: &Runtime, senders: usize, messages: u64) -> Duration {
        let (actor, handle, done) = spawn(rt, messages);
        let sink = actor.clone();
        let (start, threads) = super::senders(senders, messages, move |value| {
            sink.cast(Msg::Add(value)).unwrap();
        });
        let elapsed = time_stream(&start, threads, &done, messages);
        finish(rt, actor, handle);
        elapsed
    }

    pub(super) fn round_trip(rt: &Runtime, count: u64, idle: Option<Duration>) -> Duration {
        let (actor, handle, _) = spawn(rt, u64::MAX);
        let mut clock = RoundTripClock::start(idle);
        rt.block_on(async {
            for x in 0..count {
                clock.before_request();
                let answer: u64 = call!(actor, Msg::Ping, x).unwrap();
                assert_eq!(answer, x + 1);
                clock.after_request();
            }
        });
        let elapsed = clock.total();
        finish(rt, actor, handle);
        elapsed
    }
}

/// One row of a table: a contender and its timed runs.
struct Row {
    name: &'static str,
    run: Box<dyn FnMut() -> Duration>,
    samples: Vec<Duration>,
}

fn row(name: &'static str, run: impl FnMut() -> Duration + 'static) -> Row {
    Row {
        name,
        run: Box::new(run),
        samples: Vec::new(),
    }
}

/// Runs every row `runs` times after one warm-up round, in turns, and prints the table.
fn table(title: &str, unit: &str, per_run: u64, runs: usize, mut rows: Vec<Row>) {
    for round in 0..=runs {
        for row in &mut rows {
            let elapsed = (row.run)();
            if round > 0 {
                row.samples.push(elapsed);
            }
        }
    }
    println!("{title}");
    println!(
        "  {:<34} {:>12} {:>10} {:>10} {:>14}  vs ours",
        "contender",
        format!("{unit} median"),
        "min",
        "max",
        "ops/s"
    );
    let per = |d: Duration| d.as_nanos() as f64 / per_run as f64;
    let mut ours = None;
    for row in &mut rows {
        row.samples.sort();
        let median = per(row.samples[row.samples.len() / 2]);
        let (min, max) = (per(row.samples[0]), per(row.samples[row.samples.len() - 1]));
        let ours = *ours.get_or_insert(median);
        let ratio = median / ours;
        let versus = if row.name.starts_with("alertable-actor") {
            "—".to_owned()
        } else if ratio >= 1.0 {
            format!("{ratio:.2}× slower")
        } else {
            format!("{:.2}× faster", 1.0 / ratio)
        };
        println!(
            "  {:<34} {:>12.1} {:>10.1} {:>10.1} {:>14.0}  {versus}",
            row.name,
            median,
            min,
            max,
            1e9 / median
        );
    }
    println!();
}

/// The machine, compiler and commit the run happened on.
fn environment() -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let command = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
            .unwrap_or_else(|| "unknown".to_owned())
    };
    format!(
        "cpu: {cpu} · {} cores · kernel {} · {} · commit {} · {} build · load {}",
        std::thread::available_parallelism().map_or(1, usize::from),
        read("/proc/sys/kernel/osrelease").trim(),
        command("rustc", &["-V"]),
        command("git", &["rev-parse", "--short", "HEAD"]),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        read("/proc/loadavg")
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// The tables, by the names that select them on the command line.
const TABLES: [&str; 4] = ["one-to-one", "four-to-one", "round-trip", "idle-round-trip"];

fn main() {
    // `cargo bench` passes `--bench`; `--quick` and table names come after `--`.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|arg| arg == "--quick");
    let chosen: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    for name in &chosen {
        assert!(
            TABLES.contains(name),
            "unknown table {name:?}; the tables are {}",
            TABLES.join(", ")
        );
    }
    let wanted = |table: &str| chosen.is_empty() || chosen.contains(&table);
    let settings = if quick {
        Settings::QUICK
    } else {
        Settings::FULL
    };
    println!("{}", environment());
    println!(
        "settings: {} messages per stream run, {} round trips per round-trip run, median of \
         {} runs after one warm-up{}",
        settings.messages,
        settings.round_trips,
        settings.runs,
        if quick { " (--quick)" } else { "" }
    );
    println!();

    let system = actix::System::new();
    let rt = Arc::new(ractor_side::runtime());
    let Settings {
        messages,
        round_trips,
        idle_round_trips,
        runs,
    } = settings;

    for (table_name, title, senders) in [
        ("one-to-one", "one-to-one · 1 sender → 1 actor", 1),
        ("four-to-one", "four-to-one · 4 senders → 1 actor", 4),
    ] {
        if !wanted(table_name) {
            continue;
        }
        let rt = rt.clone();
        table(
            &format!("{title}, {messages} messages · ns per message"),
            "ns",
            messages,
            runs,
            vec![
                row("alertable-actor (mailbox + wake)", move || {
                    ours::stream(senders, messages)
                }),
                row("per-message APC, 8-byte message", move || {
                    per_message_apc::stream::<u64>(senders, messages)
                }),
                row("per-message APC, 24-byte message", move || {
                    per_message_apc::stream::<[u64; 3]>(senders, messages)
                }),
                row("actix (Arbiter, do_send)", move || {
                    actix_side::stream(senders, messages)
                }),
                row("ractor (cast)", move || {
                    ractor_side::stream(&rt, senders, messages)
                }),
            ],
        );
    }

    let system = std::rc::Rc::new(system);
    for (table_name, title, count, idle) in [
        (
            "round-trip",
            format!("round trip · 1 asker ⇄ 1 actor, {round_trips} requests · ns per round trip"),
            round_trips,
            None,
        ),
        (
            "idle-round-trip",
            format!(
                "idle round trip · 1 asker ⇄ 1 actor asleep for {} ms before each of \
                 {idle_round_trips} requests · ns per round trip",
                IDLE.as_millis()
            ),
            idle_round_trips,
            Some(IDLE),
        ),
    ] {
        if !wanted(table_name) {
            continue;
        }
        let (rt2, system2) = (rt.clone(), system.clone());
        table(
            &title,
            "ns",
            count,
            runs,
            vec![
                row("alertable-actor (ask + wait)", move || {
                    ours::round_trip(count, idle)
                }),
                row("actix (Addr::send)", move || {
                    actix_side::round_trip(&system2, count, idle)
                }),
                row("ractor (call!)", move || {
                    ractor_side::round_trip(&rt2, count, idle)
                }),
            ],
        );
    }
    drop(system);
}
