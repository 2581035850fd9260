//! `calloop`: an APC reaching a thread that sits in a calloop event loop, through the
//! thread's readiness descriptor (`ApcNotifier`), against the same APC reaching a thread
//! parked in `sleep_ex`, and against what a calloop program would use instead of APCs: a
//! calloop channel of boxed closures.
//!
//! Each consumer is idle and asleep in the kernel before every sample — in a futex for
//! `sleep_ex`, in `epoll_wait` for the two loops — and the latency runs from just before
//! the hand-off (`queue_apc`, `Sender::send`) to the closure running on the consumer,
//! stamped by the closure itself.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use alertable::{Alertable, ApcNotifier, sleep_ex};
use calloop::generic::Generic;
use calloop::{EventLoop, Interest, LoopSignal, Mode, PostAction, channel};

use super::idle::{
    DISCARDED_SAMPLES, IDLE_BEFORE_SAMPLE, WakeConsumer, gettid, nanos, sample_wake_ups,
};
use super::report::{GroupReport, Kind, Table};
use super::{Progress, Settings};

thread_local! {
    /// Ends the `sleep_ex` consumer's loop.
    static STOP: Cell<bool> = const { Cell::new(false) };
    /// Ends a calloop consumer's loop.
    static SIGNAL: Cell<Option<LoopSignal>> = const { Cell::new(None) };
}

/// A closure for the channel consumer.
type Job = Box<dyn FnOnce() + Send>;

/// How a consumer waits, and how it is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    SleepEx,
    CalloopApc,
    CalloopChannel,
}

impl Flavor {
    const ALL: [Self; 3] = [Self::SleepEx, Self::CalloopApc, Self::CalloopChannel];

    fn id(self) -> &'static str {
        match self {
            Self::SleepEx => "ours-sleep-ex",
            Self::CalloopApc => "ours-calloop-apc-notifier",
            Self::CalloopChannel => "calloop-channel",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::SleepEx => "ours: queue_apc → sleep_ex (futex)",
            Self::CalloopApc => "ours: queue_apc → calloop + ApcNotifier",
            Self::CalloopChannel => "calloop channel of boxed closures",
        }
    }
}

/// The way to a consumer.
enum Door {
    /// `sleep_ex` or the calloop loop with an `ApcNotifier`: both take APCs.
    Apc(alertable::JoinHandle<()>),
    Channel {
        join: thread::JoinHandle<()>,
        tx: channel::Sender<Job>,
    },
}

/// An idle consumer thread.
struct Consumer {
    flavor: Flavor,
    tid: i32,
    /// The last hand-off's latency in nanoseconds (`u64::MAX`: none yet).
    latency: Arc<AtomicU64>,
    door: Door,
}

/// Stops the calling thread's calloop loop.
fn stop_loop() {
    if let Some(signal) = SIGNAL.take() {
        signal.stop();
        signal.wakeup();
    }
}

impl Consumer {
    fn spawn(flavor: Flavor) -> Self {
        let (tid_tx, tid_rx) = mpsc::channel();
        let door = match flavor {
            Flavor::SleepEx => Door::Apc(
                alertable::spawn(move || {
                    tid_tx.send(gettid()).expect("tid");
                    while !STOP.get() {
                        sleep_ex(None, Alertable::Yes);
                    }
                })
                .expect("spawn the consumer"),
            ),
            Flavor::CalloopApc => Door::Apc(
                alertable::spawn(move || {
                    let mut event_loop: EventLoop<()> =
                        EventLoop::try_new().expect("an epoll instance");
                    SIGNAL.set(Some(event_loop.get_signal()));
                    let notifier = ApcNotifier::new().expect("an eventfd");
                    event_loop
                        .handle()
                        .insert_source(
                            Generic::new(notifier, Interest::READ, Mode::Level),
                            |_, notifier, _| {
                                notifier.dispatch();
                                Ok(PostAction::Continue)
                            },
                        )
                        .expect("register the descriptor");
                    tid_tx.send(gettid()).expect("tid");
                    event_loop
                        .run(None, &mut (), |_| {})
                        .expect("the loop runs");
                })
                .expect("spawn the consumer"),
            ),
            Flavor::CalloopChannel => {
                let (sender_tx, sender_rx) = mpsc::channel();
                let join = thread::spawn(move || {
                    let mut event_loop: EventLoop<()> =
                        EventLoop::try_new().expect("an epoll instance");
                    SIGNAL.set(Some(event_loop.get_signal()));
                    let (tx, jobs) = channel::channel::<Job>();
                    event_loop
                        .handle()
                        .insert_source(jobs, |event, _, _| {
                            if let channel::Event::Msg(job) = event {
                                job();
                            }
                        })
                        .expect("register the channel");
                    sender_tx.send(tx).expect("sender");
                    tid_tx.send(gettid()).expect("tid");
                    event_loop
                        .run(None, &mut (), |_| {})
                        .expect("the loop runs");
                });
                let tx = sender_rx.recv().expect("the consumer sends its sender");
                Door::Channel { join, tx }
            }
        };
        let tid = tid_rx.recv().expect("the consumer reports its tid");
        Self {
            flavor,
            tid,
            latency: Arc::new(AtomicU64::new(u64::MAX)),
            door,
        }
    }

    /// Starts a hand-off whose latency the consumer records, and returns at once.
    fn poke(&self) {
        self.latency.store(u64::MAX, Ordering::Relaxed);
        let slot = self.latency.clone();
        let t0 = Instant::now();
        let stamp = move || slot.store(nanos(t0.elapsed()), Ordering::Release);
        match &self.door {
            Door::Apc(handle) => handle
                .thread()
                .queue_apc(stamp)
                .expect("the consumer is alive"),
            Door::Channel { tx, .. } => tx.send(Box::new(stamp)).expect("the consumer is alive"),
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

    fn stop(self) {
        match self.door {
            Door::Apc(handle) => {
                let stop: fn() = match self.flavor {
                    Flavor::SleepEx => || STOP.set(true),
                    _ => stop_loop,
                };
                handle.thread().queue_apc(stop).expect("alive");
                handle.join().expect("consumer");
            }
            Door::Channel { join, tx } => {
                tx.send(Box::new(stop_loop)).expect("alive");
                join.join().expect("consumer");
            }
        }
    }
}

pub(crate) fn steps(s: &Settings) -> u64 {
    (s.calloop_samples + DISCARDED_SAMPLES) as u64
}

/// `calloop`: wake-up latency of an APC through a calloop loop's descriptor.
pub(crate) fn run(s: &Settings, progress: &Progress) -> GroupReport {
    let consumers: Vec<Consumer> = Flavor::ALL.iter().map(|&f| Consumer::spawn(f)).collect();
    let samples = sample_wake_ups(&consumers, s.calloop_samples, progress);
    let mut table = Table::new(
        format!(
            "{} samples each; before each, the consumer has been idle ≥ {} ms and is asleep \
             in the kernel (/proc state S): in a futex for sleep_ex, in epoll_wait for the \
             calloop loops",
            s.calloop_samples,
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
    let table = table.finish();
    let ratio = table
        .row(Flavor::CalloopApc.id())
        .and_then(|row| row.ratio_vs_ours)
        .map_or_else(String::new, |r| format!("{r:.2}"));
    GroupReport {
        name: "calloop",
        description: "latency from queue_apc to the APC running inside a calloop event loop, \
                      through the thread's ApcNotifier, against a thread parked in sleep_ex",
        tables: vec![table],
        notes: vec![
            format!(
                "ratio, median latency through the calloop loop ÷ through sleep_ex: {ratio} \
                 (the producer writes the loop's eventfd where it wakes sleep_ex's futex; the \
                 loop then returns from epoll_wait, clears the descriptor, runs the APC and \
                 re-arms)"
            ),
            "the calloop channel is what a calloop program would use instead of APCs; it also \
             wakes the loop through an eventfd (calloop's ping)"
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
