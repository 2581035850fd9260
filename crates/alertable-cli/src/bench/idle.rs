//! `idle-wake` and `idle-cpu`: a consumer with nothing to do.
//!
//! Three kinds of idle consumer live side by side: ours, parked in
//! `sleep_ex(None, Alertable::Yes)`; a `std::thread` parked in `std::thread::park()`,
//! woken by `unpark()`; and a `std::thread` blocked in `crossbeam_channel::Receiver::recv`.
//! `idle-wake` measures how long a hand-off takes to reach each one once it is really
//! asleep; `idle-cpu` how much CPU each burns while nobody calls.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use alertable::{Alertable, sleep_ex};
use rustix::time::{ClockId, clock_gettime};

use super::report::{GroupReport, Kind, Table};
use super::{Progress, Settings};

thread_local! {
    static STOP: Cell<bool> = const { Cell::new(false) };
}

/// How a consumer is idle, and how it is woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Ours,
    Park,
    Crossbeam,
}

impl Flavor {
    const ALL: [Self; 3] = [Self::Ours, Self::Park, Self::Crossbeam];

    fn id(self) -> &'static str {
        match self {
            Self::Ours => "ours-sleep-ex",
            Self::Park => "std-park",
            Self::Crossbeam => "crossbeam-channel",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Ours => "ours: sleep_ex + queue_apc",
            Self::Park => "std park / unpark",
            Self::Crossbeam => "crossbeam-channel recv",
        }
    }
}

/// What the consumer reads about itself: its CPU clock and its context switches.
#[derive(Debug, Clone, Copy)]
struct Snapshot {
    cpu_ns: u64,
    context_switches: u64,
}

/// The window starts with this snapshot: context switches first, the clock last.
fn snapshot_begin() -> Snapshot {
    let context_switches = context_switches();
    Snapshot {
        cpu_ns: thread_cpu_ns(),
        context_switches,
    }
}

/// The window ends with this snapshot: the clock first, context switches after.
fn snapshot_end() -> Snapshot {
    let cpu_ns = thread_cpu_ns();
    Snapshot {
        cpu_ns,
        context_switches: context_switches(),
    }
}

fn thread_cpu_ns() -> u64 {
    let t = clock_gettime(ClockId::ThreadCPUTime);
    u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(t.tv_nsec).unwrap_or(0)
}

/// Voluntary plus involuntary context switches of the calling thread.
fn context_switches() -> u64 {
    let status = fs::read_to_string("/proc/thread-self/status").unwrap_or_default();
    status
        .lines()
        .filter(|l| l.contains("ctxt_switches:"))
        .filter_map(|l| l.split(':').nth(1)?.trim().parse::<u64>().ok())
        .sum()
}

pub(crate) fn gettid() -> i32 {
    rustix::thread::gettid().as_raw_nonzero().get()
}

/// The scheduler state of thread `tid` of this process ('S': asleep in the kernel).
fn thread_state(tid: i32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Waits until thread `tid` has had nothing to do for at least `idle` and sleeps in the
/// kernel.
pub(crate) fn wait_until_asleep(tid: i32, idle: Duration) {
    thread::sleep(idle);
    let deadline = Instant::now() + Duration::from_secs(5);
    while thread_state(tid) != Some('S') {
        assert!(
            Instant::now() < deadline,
            "thread {tid} never went to sleep"
        );
        thread::sleep(Duration::from_micros(200));
    }
}

/// Which snapshot a probe asks for (0: none).
const BEGIN: u8 = 1;
const END: u8 = 2;

fn snapshot(which: u8) -> Snapshot {
    if which == BEGIN {
        snapshot_begin()
    } else {
        snapshot_end()
    }
}

/// An idle consumer thread, and the way to reach it.
struct Consumer {
    flavor: Flavor,
    tid: i32,
    /// Wake-up latencies, in nanoseconds, land here (`u64::MAX`: none yet).
    latency: Arc<AtomicU64>,
    /// Snapshots come back through this channel.
    snapshot_tx: mpsc::Sender<Snapshot>,
    snapshots: mpsc::Receiver<Snapshot>,
    door: Door,
}

/// A message for the crossbeam-channel consumer.
type Job = Box<dyn FnOnce() + Send>;

enum Door {
    Ours(alertable::JoinHandle<()>),
    Park {
        join: thread::JoinHandle<()>,
        /// When the hand-off started, in ns since `base` (0: no hand-off pending).
        sent: Arc<AtomicU64>,
        base: Instant,
        /// Which snapshot is asked for (0: none).
        probe: Arc<AtomicU8>,
        stop: Arc<AtomicBool>,
    },
    Crossbeam {
        join: thread::JoinHandle<()>,
        tx: crossbeam_channel::Sender<Job>,
    },
}

impl Consumer {
    fn spawn(flavor: Flavor) -> Self {
        let latency = Arc::new(AtomicU64::new(u64::MAX));
        let (snapshot_tx, snapshots) = mpsc::channel();
        let (tid_tx, tid_rx) = mpsc::channel();
        let door = match flavor {
            Flavor::Ours => Door::Ours(
                alertable::spawn(move || {
                    tid_tx.send(gettid()).expect("tid");
                    while !STOP.get() {
                        sleep_ex(None, Alertable::Yes);
                    }
                })
                .expect("spawn the consumer"),
            ),
            Flavor::Park => {
                let sent = Arc::new(AtomicU64::new(0));
                let probe = Arc::new(AtomicU8::new(0));
                let stop = Arc::new(AtomicBool::new(false));
                let base = Instant::now();
                let join = {
                    let (sent, probe, stop) = (sent.clone(), probe.clone(), stop.clone());
                    let (latency, reply) = (latency.clone(), snapshot_tx.clone());
                    thread::spawn(move || {
                        tid_tx.send(gettid()).expect("tid");
                        loop {
                            thread::park();
                            let t0 = sent.swap(0, Ordering::AcqRel);
                            if t0 != 0 {
                                let now = nanos_since(base);
                                latency.store(now.saturating_sub(t0), Ordering::Release);
                            }
                            let which = probe.swap(0, Ordering::AcqRel);
                            if which != 0 {
                                reply.send(snapshot(which)).expect("snapshot");
                            }
                            if stop.load(Ordering::Acquire) {
                                break;
                            }
                        }
                    })
                };
                Door::Park {
                    join,
                    sent,
                    base,
                    probe,
                    stop,
                }
            }
            Flavor::Crossbeam => {
                let (tx, rx) = crossbeam_channel::unbounded::<Job>();
                let join = thread::spawn(move || {
                    tid_tx.send(gettid()).expect("tid");
                    while !STOP.get() {
                        rx.recv().expect("the sender outlives the loop")();
                    }
                });
                Door::Crossbeam { join, tx }
            }
        };
        let tid = tid_rx.recv().expect("the consumer reports its tid");
        Self {
            flavor,
            tid,
            latency,
            snapshot_tx,
            snapshots,
            door,
        }
    }

    /// Starts a hand-off whose latency the consumer records, and returns at once.
    fn poke(&self) {
        self.latency.store(u64::MAX, Ordering::Relaxed);
        let slot = self.latency.clone();
        match &self.door {
            Door::Ours(handle) => {
                let t0 = Instant::now();
                alertable::queue_apc(handle.thread(), move || {
                    slot.store(nanos(t0.elapsed()), Ordering::Release);
                })
                .expect("the consumer is alive");
            }
            Door::Park {
                join, sent, base, ..
            } => {
                sent.store(nanos_since(*base).max(1), Ordering::Release);
                join.thread().unpark();
            }
            Door::Crossbeam { tx, .. } => {
                let t0 = Instant::now();
                tx.send(Box::new(move || {
                    slot.store(nanos(t0.elapsed()), Ordering::Release);
                }))
                .expect("the consumer is alive");
            }
        }
    }

    /// Waits for the latency of the last `poke`.
    fn latency(&self) -> Duration {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let ns = self.latency.load(Ordering::Acquire);
            if ns != u64::MAX {
                return Duration::from_nanos(ns);
            }
            assert!(Instant::now() < deadline, "{:?} never woke", self.flavor);
            thread::sleep(Duration::from_micros(100));
        }
    }

    /// Has the consumer take a snapshot of itself, on itself, and returns it.
    fn probe(&self, which: u8) -> Snapshot {
        let reply = self.snapshot_tx.clone();
        match &self.door {
            Door::Ours(handle) => {
                alertable::queue_apc(handle.thread(), move || {
                    reply.send(snapshot(which)).expect("snapshot");
                })
                .expect("the consumer is alive");
            }
            Door::Park { join, probe, .. } => {
                probe.store(which, Ordering::Release);
                join.thread().unpark();
            }
            Door::Crossbeam { tx, .. } => {
                tx.send(Box::new(move || {
                    reply.send(snapshot(which)).expect("snapshot");
                }))
                .expect("the consumer is alive");
            }
        }
        self.snapshots
            .recv_timeout(Duration::from_secs(5))
            .expect("the consumer answers the probe")
    }

    fn stop(self) {
        match self.door {
            Door::Ours(handle) => {
                alertable::queue_apc(handle.thread(), || STOP.set(true)).expect("alive");
                handle.join().expect("consumer");
            }
            Door::Park { join, stop, .. } => {
                stop.store(true, Ordering::Release);
                join.thread().unpark();
                join.join().expect("consumer");
            }
            Door::Crossbeam { join, tx } => {
                tx.send(Box::new(|| STOP.set(true))).expect("alive");
                join.join().expect("consumer");
            }
        }
    }
}

pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

pub(crate) fn nanos_since(base: Instant) -> u64 {
    nanos(base.elapsed())
}

/// How long a consumer must have been idle before each wake-up sample.
pub(crate) const IDLE_BEFORE_SAMPLE: Duration = Duration::from_millis(1);
/// Samples taken, and thrown away, before the measured ones.
pub(crate) const DISCARDED_SAMPLES: usize = 5;

/// A sleeping consumer that a wake-up latency sample is taken from.
pub(crate) trait WakeConsumer {
    /// Its thread, watched until it is asleep.
    fn tid(&self) -> i32;
    /// Wakes it, and returns the latency it measured.
    fn hand_off(&self) -> Duration;
}

/// Takes `count` wake-up samples (plus [`DISCARDED_SAMPLES`] thrown away) from each of
/// `consumers`, in µs: before each, the consumer has been asleep for
/// [`IDLE_BEFORE_SAMPLE`]. Each round starts with another contender, so none is always
/// first.
pub(crate) fn sample_wake_ups(
    consumers: &[impl WakeConsumer],
    count: usize,
    progress: &Progress,
) -> Vec<Vec<f64>> {
    let mut samples = vec![Vec::with_capacity(count); consumers.len()];
    for i in 0..count + DISCARDED_SAMPLES {
        progress.run(format!("sample {}", i + 1), || {
            for k in 0..consumers.len() {
                let which = (i + k) % consumers.len();
                wait_until_asleep(consumers[which].tid(), IDLE_BEFORE_SAMPLE);
                let latency = consumers[which].hand_off();
                if i >= DISCARDED_SAMPLES {
                    samples[which].push(latency.as_secs_f64() * 1e6);
                }
            }
        });
    }
    samples
}

pub(crate) fn wake_steps(s: &Settings) -> u64 {
    (s.idle_wake_samples + DISCARDED_SAMPLES) as u64
}

/// `idle-wake`: latency from the hand-off to the code running on a sleeping consumer.
pub(crate) fn wake(s: &Settings, progress: &Progress) -> GroupReport {
    let consumers: Vec<Consumer> = Flavor::ALL.iter().map(|&f| Consumer::spawn(f)).collect();
    let samples = sample_wake_ups(&consumers, s.idle_wake_samples, progress);
    let mut table = Table::new(
        format!(
            "{} samples each; before each, the consumer has been idle ≥ {} ms and is asleep \
             in the kernel (/proc state S)",
            s.idle_wake_samples,
            IDLE_BEFORE_SAMPLE.as_millis()
        ),
        Kind::Latency,
    );
    for (c, samples) in consumers.iter().zip(samples) {
        table.push(c.flavor.id(), c.flavor.name(), samples, BTreeMap::new());
    }
    for c in consumers {
        c.stop();
    }
    GroupReport {
        name: "idle-wake",
        description: "latency from the hand-off to the code running on an idle, sleeping thread",
        tables: vec![table.finish()],
        notes: Vec::new(),
    }
}

pub(crate) fn cpu_steps(s: &Settings) -> u64 {
    s.reps as u64
}

/// `idle-cpu`: CPU time used by consumers that wait for work that does not come.
pub(crate) fn cpu(s: &Settings, progress: &Progress) -> GroupReport {
    let consumers: Vec<Consumer> = Flavor::ALL.iter().map(|&f| Consumer::spawn(f)).collect();
    let mut cpu_us = vec![Vec::with_capacity(s.reps); consumers.len()];
    let mut switches = vec![Vec::with_capacity(s.reps); consumers.len()];
    for rep in 1..=s.reps {
        progress.run(format!("idle window {rep}/{}", s.reps), || {
            for c in &consumers {
                wait_until_asleep(c.tid, IDLE_BEFORE_SAMPLE);
            }
            let begin: Vec<Snapshot> = consumers.iter().map(|c| c.probe(BEGIN)).collect();
            thread::sleep(s.idle_cpu_window);
            for (((c, begin), cpu), sw) in consumers
                .iter()
                .zip(begin)
                .zip(&mut cpu_us)
                .zip(&mut switches)
            {
                let end = c.probe(END);
                cpu.push((end.cpu_ns - begin.cpu_ns) as f64 / 1e3);
                sw.push((end.context_switches - begin.context_switches) as f64);
            }
        });
    }
    let window_us = s.idle_cpu_window.as_secs_f64() * 1e6;
    let mut table = Table::new(
        format!(
            "each consumer idle for {} ms between two probes run on it, {} windows; \
             CPU time from its own thread CPU clock",
            s.idle_cpu_window.as_millis(),
            s.reps
        ),
        Kind::IdleCpu,
    );
    for ((c, cpu), sw) in consumers.iter().zip(cpu_us).zip(switches) {
        let mut extra = BTreeMap::new();
        extra.insert("window_us", window_us);
        extra.insert("context_switches", super::stats::Summary::of(&sw).median);
        table.push(c.flavor.id(), c.flavor.name(), cpu, extra);
    }
    for c in consumers {
        c.stop();
    }
    GroupReport {
        name: "idle-cpu",
        description: "CPU time an idle consumer uses while nothing is queued",
        tables: vec![table.finish()],
        notes: vec![
            "the window includes one wake-up (the probe that ends it) and the consumer's \
             return to sleep after the probe that starts it"
                .to_owned(),
        ],
    }
}

impl WakeConsumer for Consumer {
    fn tid(&self) -> i32 {
        self.tid
    }
    fn hand_off(&self) -> Duration {
        self.poke();
        self.latency()
    }
}
