//! `throughput`, `multi-producer` and `allocations`: producers send trivial closures to one
//! consumer thread as fast as they can.
//!
//! Ours queues APCs to a consumer that loops in `sleep_ex(None, Alertable::Yes)`; the
//! channels (crossbeam-channel, std `mpsc`, flume and, in the timed groups, kanal) send
//! `Box<dyn FnOnce() + Send>` to a consumer that loops on `recv()` and calls each job. Every run uses fresh threads and a fresh queue or channel, warmed up with a
//! few messages first; the clock runs from the first producer's first send until the
//! consumer has run the last message.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use alertable::{Alertable, ThreadHandle, sleep_ex};
use crossbeam_utils::Backoff;

use super::probe::{self, Regime, SpinProbe};
use super::report::{GroupReport, Kind, Table};
use super::stats::Summary;
use super::work::{self, Channel, Crossbeam, Flume, Kanal, StdMpsc};
use super::{Progress, Settings, alloc};

/// Who delivers the closures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Contender {
    /// `queue_apc` with a closure capturing the index (8 bytes: stored inline).
    OursClosure,
    /// `queue_user_apc(thread, work, index)`.
    OursUserApc,
    /// `queue_apc` with a closure capturing 64 bytes (boxed by the library).
    OursLargeClosure,
    Crossbeam,
    StdMpsc,
    Flume,
    Kanal,
}

impl Contender {
    /// The contenders of the timed groups; the first is the baseline of the ratios.
    pub(crate) const TIMED: [Self; 6] = [
        Self::OursClosure,
        Self::OursUserApc,
        Self::Crossbeam,
        Self::Kanal,
        Self::StdMpsc,
        Self::Flume,
    ];

    /// The contenders of `allocations`.
    pub(crate) const COUNTED: [Self; 6] = [
        Self::OursClosure,
        Self::OursUserApc,
        Self::OursLargeClosure,
        Self::Crossbeam,
        Self::StdMpsc,
        Self::Flume,
    ];

    pub(crate) fn id(self) -> &'static str {
        match self {
            Self::OursClosure => "ours-queue-apc",
            Self::OursUserApc => "ours-queue-user-apc",
            Self::OursLargeClosure => "ours-queue-apc-64-byte-closure",
            Self::Crossbeam => Crossbeam::ID,
            Self::StdMpsc => StdMpsc::ID,
            Self::Flume => Flume::ID,
            Self::Kanal => Kanal::ID,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::OursClosure => "ours: queue_apc",
            Self::OursUserApc => "ours: queue_user_apc",
            Self::OursLargeClosure => "ours: queue_apc, 64-byte closure",
            Self::Crossbeam => Crossbeam::NAME,
            Self::StdMpsc => StdMpsc::NAME,
            Self::Flume => Flume::NAME,
            Self::Kanal => Kanal::NAME,
        }
    }

    /// One run: `warmup` messages from the main thread, then `n` messages split over
    /// `producers` threads, timed. With `pace`, the (single) producer keeps at most that
    /// many messages in flight instead of sending as fast as it can.
    pub(crate) fn run(self, producers: usize, n: usize, warmup: usize, pace: Option<u64>) -> Run {
        let shape = Shape {
            producers,
            n,
            warmup,
            pace,
        };
        match self {
            Self::OursClosure => run_ours(shape, send_closure),
            Self::OursUserApc => run_ours(shape, send_user_apc),
            Self::OursLargeClosure => run_ours(shape, send_large_closure),
            Self::Crossbeam => run_channel::<Crossbeam>(shape),
            Self::StdMpsc => run_channel::<StdMpsc>(shape),
            Self::Flume => run_channel::<Flume>(shape),
            Self::Kanal => run_channel::<Kanal>(shape),
        }
    }
}

/// What one timed run measured.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Run {
    /// From the first send to the consumer's running the last message.
    pub(crate) elapsed: Duration,
    /// From the first send to the last producer's returning from its last send.
    pub(crate) sending: Duration,
    /// Allocations made by the whole process over the same span.
    pub(crate) allocations: u64,
    /// Ours only: closures run per return from `sleep_ex` (few: the consumer keeps up with
    /// the producer and waits on the queue between closures; many: it lags and drains in
    /// batches).
    pub(crate) per_wait: Option<f64>,
}

fn send_closure(target: &ThreadHandle, index: usize) {
    alertable::queue_apc(target, move || work::work(index)).expect("the consumer is alive");
}

fn send_user_apc(target: &ThreadHandle, index: usize) {
    alertable::queue_user_apc(target, work::work, index).expect("the consumer is alive");
}

fn send_large_closure(target: &ThreadHandle, index: usize) {
    let padded = [index; 8];
    alertable::queue_apc(target, move || work::work(padded[7])).expect("the consumer is alive");
}

/// When and at which allocation count a producer started, and when it was done.
struct Start {
    at: Instant,
    allocations: u64,
    done: Option<Instant>,
}

impl Start {
    fn now() -> Self {
        Self {
            allocations: alloc::allocations(),
            at: Instant::now(),
            done: None,
        }
    }
}

/// What the consumer saw when it had run the last message.
struct End {
    at: Instant,
    allocations: u64,
    ran: u64,
    sum: u64,
    /// Times the consumer's loop waited (`sleep_ex` calls) in the timed span; ours only.
    waits: Option<u64>,
}

impl End {
    fn now(waits: Option<u64>) -> Self {
        Self {
            at: Instant::now(),
            allocations: alloc::allocations(),
            ran: work::ran(),
            sum: work::sum(),
            waits,
        }
    }
}

/// The indices producer `p` of `producers` sends.
fn share(n: usize, producers: usize, p: usize) -> Range<usize> {
    n * p / producers..n * (p + 1) / producers
}

/// Checks that every message ran exactly once and turns the timestamps into a [`Run`].
fn conclude(starts: Vec<Start>, end: End, n: usize, warmup: usize) -> Run {
    assert_eq!(end.ran, (warmup + n) as u64, "every message ran once");
    assert_eq!(
        end.sum,
        work::expected_sum(warmup) + work::expected_sum(n),
        "every message ran once"
    );
    let at = starts
        .iter()
        .map(|s| s.at)
        .min()
        .expect("one producer at least");
    let allocations = starts
        .iter()
        .map(|s| s.allocations)
        .min()
        .expect("one producer at least");
    let done = starts
        .iter()
        .filter_map(|s| s.done)
        .max()
        .expect("every producer finished");
    Run {
        elapsed: end.at.duration_since(at),
        sending: done.duration_since(at),
        per_wait: end.waits.map(|w| n as f64 / w.max(1) as f64),
        allocations: end.allocations - allocations,
    }
}

/// The shape of one run.
#[derive(Debug, Clone, Copy)]
struct Shape {
    producers: usize,
    n: usize,
    warmup: usize,
    /// Most messages in flight (paced runs, one producer only).
    pace: Option<u64>,
}

/// What the consumer has run so far, published for a paced producer.
#[derive(Debug, Default)]
struct Consumed(AtomicU64);

impl Consumed {
    /// Called by the consumer between messages, in paced runs only.
    fn publish(&self, pace: Option<u64>) {
        if pace.is_some() {
            self.0.store(work::ran(), Ordering::Release);
        }
    }

    /// Called by the producer before sending message number `sent` (counting the warm-up
    /// ones): waits while `pace` messages are in flight.
    fn wait_for_room(&self, pace: Option<u64>, sent: u64) {
        if let Some(pace) = pace {
            let backoff = Backoff::new();
            while sent - self.0.load(Ordering::Acquire) >= pace {
                backoff.snooze();
            }
        }
    }
}

fn run_ours(shape: Shape, send: fn(&ThreadHandle, usize)) -> Run {
    let Shape {
        producers,
        n,
        warmup,
        pace,
    } = shape;
    assert!(
        pace.is_none() || producers == 1,
        "paced runs have one producer"
    );
    let total = (warmup + n) as u64;
    let consumed = Arc::new(Consumed::default());
    // Consumer, producers and this thread: nobody starts the clock before all are set up.
    let barrier = Arc::new(Barrier::new(producers + 2));
    let consumer = {
        let (barrier, consumed) = (barrier.clone(), consumed.clone());
        alertable::spawn(move || {
            while work::ran() < warmup as u64 {
                sleep_ex(None, Alertable::Yes);
            }
            consumed.publish(pace);
            barrier.wait();
            let mut waits = 0;
            while work::ran() < total {
                sleep_ex(None, Alertable::Yes);
                waits += 1;
                consumed.publish(pace);
            }
            End::now(Some(waits))
        })
        .expect("spawn the consumer")
    };
    let target = consumer.thread().clone();
    for index in 0..warmup {
        send(&target, index);
    }
    let mut handles = Vec::with_capacity(producers);
    for p in 0..producers {
        let (target, barrier, consumed) = (target.clone(), barrier.clone(), consumed.clone());
        handles.push(thread::spawn(move || {
            barrier.wait();
            let mut start = Start::now();
            for (sent, index) in (warmup as u64..).zip(share(n, producers, p)) {
                consumed.wait_for_room(pace, sent);
                send(&target, index);
            }
            start.done = Some(Instant::now());
            start
        }));
    }
    // Allocated before the clock starts: this thread allocates nothing while it runs.
    let mut starts = Vec::with_capacity(producers);
    barrier.wait();
    for h in handles {
        starts.push(h.join().expect("producer"));
    }
    let end = consumer.join().expect("consumer");
    conclude(starts, end, n, warmup)
}

fn run_channel<C: Channel>(shape: Shape) -> Run {
    let Shape {
        producers,
        n,
        warmup,
        pace,
    } = shape;
    assert!(
        pace.is_none() || producers == 1,
        "paced runs have one producer"
    );
    let total = (warmup + n) as u64;
    let consumed = Arc::new(Consumed::default());
    let barrier = Arc::new(Barrier::new(producers + 2));
    let (tx, rx) = C::unbounded();
    let consumer = {
        let (barrier, consumed) = (barrier.clone(), consumed.clone());
        thread::spawn(move || {
            while work::ran() < warmup as u64 {
                C::recv(&rx)();
            }
            consumed.publish(pace);
            barrier.wait();
            while work::ran() < total {
                C::recv(&rx)();
                consumed.publish(pace);
            }
            End::now(None)
        })
    };
    for index in 0..warmup {
        C::send(&tx, Box::new(move || work::work(index)));
    }
    let mut handles = Vec::with_capacity(producers);
    for p in 0..producers {
        let (tx, barrier, consumed) = (tx.clone(), barrier.clone(), consumed.clone());
        handles.push(thread::spawn(move || {
            barrier.wait();
            let mut start = Start::now();
            for (sent, index) in (warmup as u64..).zip(share(n, producers, p)) {
                consumed.wait_for_room(pace, sent);
                C::send(&tx, Box::new(move || work::work(index)));
            }
            start.done = Some(Instant::now());
            start
        }));
    }
    // Allocated before the clock starts: this thread allocates nothing while it runs.
    let mut starts = Vec::with_capacity(producers);
    barrier.wait();
    for h in handles {
        starts.push(h.join().expect("producer"));
    }
    let end = consumer.join().expect("consumer");
    drop(tx);
    conclude(starts, end, n, warmup)
}

fn ns_per_op(elapsed: Duration, n: usize) -> f64 {
    elapsed.as_secs_f64() * 1e9 / n as f64
}

/// Warm-up messages before each timed run: enough to fill and recycle a few blocks.
fn warmup_ops(n: usize) -> usize {
    (n / 100).clamp(1_000, 10_000)
}

/// Progress steps of one timed table.
fn table_steps(s: &Settings, contenders: usize) -> u64 {
    (contenders * (s.reps + 1)) as u64
}

/// Times every contender with `producers` producers: one untimed warm-up run each, then
/// `s.reps` timed runs, interleaved so that noise from the machine spreads evenly.
fn time_table(s: &Settings, progress: &Progress, producers: usize, title: String) -> Table {
    time_tables(s, progress, &[producers], vec![title], || {})
        .pop()
        .expect("one table")
}

/// One table per entry of `producers`, each timing every contender with that many
/// producers: one untimed warm-up run each, then `s.reps` rounds, each of which runs every
/// contender once with every producer count, so that the machine's noise, and its regime,
/// spread evenly over the tables as well as over the contenders. `before_round` runs before
/// each round.
fn time_tables(
    s: &Settings,
    progress: &Progress,
    producers: &[usize],
    titles: Vec<String>,
    mut before_round: impl FnMut(),
) -> Vec<Table> {
    let n = s.throughput_ops;
    let warmup = warmup_ops(n);
    let contenders = Contender::TIMED;
    for &p in producers {
        for c in contenders {
            progress.run(format!("{} ×{p}: warm-up", c.name()), || {
                c.run(p, n / 10, warmup, None)
            });
        }
    }
    let cells = producers.len() * contenders.len();
    let mut samples = vec![Vec::with_capacity(s.reps); cells];
    let mut sending = vec![Vec::with_capacity(s.reps); cells];
    let mut per_wait = vec![Vec::with_capacity(s.reps); cells];
    for rep in 1..=s.reps {
        before_round();
        for (t, &p) in producers.iter().enumerate() {
            for (i, c) in contenders.iter().enumerate() {
                let cell = t * contenders.len() + i;
                let run = progress.run(format!("{} ×{p}: run {rep}/{}", c.name(), s.reps), || {
                    c.run(p, n, warmup, None)
                });
                samples[cell].push(ns_per_op(run.elapsed, n));
                sending[cell].push(ns_per_op(run.sending, n));
                per_wait[cell].extend(run.per_wait);
            }
        }
    }
    let mut cells = samples.into_iter().zip(sending).zip(per_wait);
    titles
        .into_iter()
        .map(|title| {
            let mut table = Table::new(title, Kind::Time);
            for c in contenders {
                let ((samples, sending), per_wait) = cells.next().expect("a cell per contender");
                let mut extra = BTreeMap::new();
                extra.insert("sending_ns_per_op", Summary::of(&sending).median);
                if !per_wait.is_empty() {
                    extra.insert("apcs_per_sleep_ex", Summary::of(&per_wait).median);
                }
                table.push(c.id(), c.name(), samples, extra);
            }
            table.finish()
        })
        .collect()
}

pub(crate) fn throughput_steps(s: &Settings) -> u64 {
    table_steps(s, Contender::TIMED.len())
}

/// `throughput`: one producer, one consumer.
pub(crate) fn throughput(s: &Settings, progress: &Progress) -> GroupReport {
    let title = format!(
        "1 producer → 1 consumer, {} closures per run, {} runs",
        thousands(s.throughput_ops),
        s.reps
    );
    let table = time_table(s, progress, 1, title);
    let notes = per_wait_notes(std::slice::from_ref(&table));
    GroupReport {
        name: "throughput",
        description: "one producer sends trivial closures to one consumer thread",
        tables: vec![table],
        notes,
    }
}

/// "sends done at": when the last producer returned from its last send, per closure, from
/// the same start; and how many closures ours' consumer ran per `sleep_ex` return.
fn per_wait_notes(tables: &[Table]) -> Vec<String> {
    let mut notes = vec![
        "sends done at: when the producers had returned from their last send (median run); \
         close to the total time: the producers, not the consumer, set the pace"
            .to_owned(),
    ];
    let cells: Vec<String> = tables
        .iter()
        .filter_map(|t| {
            let ours = t.row(Contender::OursClosure.id())?;
            let batch = ours.extra.get("apcs_per_sleep_ex")?;
            Some(format!("{batch:.0}"))
        })
        .collect();
    notes.push(format!(
        "closures ours' consumer ran per sleep_ex return (queue_apc, median run{}): {} \
         (a handful: it keeps up and waits on the queue between closures; thousands: it lags \
         and drains in batches)",
        if cells.len() > 1 { ", per table" } else { "" },
        cells.join(" / ")
    ));
    notes
}

/// Producer counts of `multi-producer`; the first is the reference of the scaling notes.
pub(crate) const PRODUCERS: [usize; 3] = [1, 2, 4];

pub(crate) fn multi_producer_steps(s: &Settings) -> u64 {
    PRODUCERS.len() as u64 * table_steps(s, Contender::TIMED.len())
}

/// `multi-producer`: 1, 2 and 4 producers share the same number of closures.
pub(crate) fn multi_producer(s: &Settings, progress: &Progress) -> GroupReport {
    // The regime can change while the group runs, and a ratio of two tables is only a
    // scaling when both drew on the same regimes: the tables run in rounds (each round
    // every table's runs once), and the regime is probed before each round.
    let mut probes = Vec::with_capacity(s.reps + 1);
    let titles = PRODUCERS
        .iter()
        .map(|&p| {
            format!(
                "{p} producer{} → 1 consumer, {} closures per run in total, {} runs",
                if p == 1 { "" } else { "s" },
                thousands(s.throughput_ops),
                s.reps
            )
        })
        .collect();
    let tables = time_tables(s, progress, &PRODUCERS, titles, || {
        probes.push(probe::run());
    });
    probes.push(probe::run());
    let mut notes = per_wait_notes(&tables);
    let count = |regime| probes.iter().filter(|p| p.regime == regime).count();
    notes.push(format!(
        "regime of each round (spin probe before each round of 1, 2 and 4 producers, and \
         after the last): {} parallel, {} shared: {}",
        count(Regime::Parallel),
        count(Regime::Shared),
        probes
            .iter()
            .map(regime_cell)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    notes.push(
        "scaling: throughput with N producers ÷ throughput with 1 producer (medians; the \
         tables ran in the same rounds)"
            .to_owned(),
    );
    for c in Contender::TIMED {
        let median = |t: &Table| t.row(c.id()).map_or(0.0, |r| r.summary.median);
        let one = median(&tables[0]);
        let cells: Vec<String> = tables[1..]
            .iter()
            .zip(&PRODUCERS[1..])
            .map(|(t, p)| format!("{p} producers: {:.2}", one / median(t)))
            .collect();
        notes.push(format!("  {:<22} {}", c.name(), cells.join("   ")));
    }
    GroupReport {
        name: "multi-producer",
        description: "several producers share the closures; one consumer",
        tables,
        notes,
    }
}

/// A probe's regime and median round trip, for a note.
fn regime_cell(probe: &SpinProbe) -> String {
    let regime = match probe.regime {
        Regime::Parallel => "parallel",
        Regime::Shared => "shared",
    };
    format!("{regime} ({:.2} µs)", probe.median_ns as f64 / 1000.0)
}

/// Most closures in flight in the paced `allocations` runs: less than one block of the
/// APC queue, so a queue that recycles its blocks never needs a new one.
pub(crate) const PACE: u64 = 16;

pub(crate) fn allocations_steps(s: &Settings) -> u64 {
    (2 * Contender::COUNTED.len() * s.reps) as u64
}

/// `allocations`: allocator calls per message, over the timed span of a run, for a
/// producer that sends as fast as it can and for one that keeps the queue short.
pub(crate) fn allocations(s: &Settings, progress: &Progress) -> GroupReport {
    let mut tables = Vec::new();
    for (pace, how) in [
        (
            None,
            "burst: the producer sends as fast as it can (as in throughput)".to_owned(),
        ),
        (
            Some(PACE),
            format!("paced: the producer keeps at most {PACE} closures in flight (steady state)"),
        ),
    ] {
        // Paced runs hand off often and so run slowly: a tenth of the closures.
        let n = if pace.is_some() {
            s.throughput_ops / 10
        } else {
            s.throughput_ops
        };
        let warmup = warmup_ops(n);
        let mut counts = vec![Vec::with_capacity(s.reps); Contender::COUNTED.len()];
        for rep in 1..=s.reps {
            for (c, counts) in Contender::COUNTED.iter().zip(&mut counts) {
                let what = format!(
                    "{}, {}: run {rep}/{}",
                    c.name(),
                    if pace.is_some() { "paced" } else { "burst" },
                    s.reps
                );
                let run = progress.run(what, || c.run(1, n, warmup, pace));
                counts.push(run.allocations);
            }
        }
        let mut table = Table::new(
            format!(
                "{how}; {} closures per run after {} warm-up ones, {} runs",
                thousands(n),
                thousands(warmup),
                s.reps
            ),
            Kind::Allocations,
        );
        for (c, mut counts) in Contender::COUNTED.iter().zip(counts) {
            let per_op = counts.iter().map(|&a| a as f64 / n as f64).collect();
            counts.sort_unstable();
            let mut extra = BTreeMap::new();
            extra.insert("allocations", counts[counts.len() / 2] as f64);
            extra.insert("ops", n as f64);
            table.push(c.id(), c.name(), per_op, extra);
        }
        tables.push(table.finish());
    }
    GroupReport {
        name: "allocations",
        description: "allocator calls per closure delivered, anywhere in the process",
        tables,
        notes: vec![
            "allocations in the run: the median run's total, for all its closures".to_owned(),
        ],
    }
}

/// `1000000` as `1,000,000`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
