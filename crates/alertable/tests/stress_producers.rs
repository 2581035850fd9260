//! Stress, spec sections A and B under contention: eight producers queue 100,000 APCs each
//! to one consumer that loops in `sleep_ex(None, Alertable::Yes)`. Every APC must run
//! exactly once, on the consumer, and each producer's APCs in the order it queued them
//! (A15, B20, B23).
//!
//! Run in release by CI: `cargo test --release -p alertable --test stress_producers`.

use std::any::Any;
use std::cell::Cell;
use std::sync::{Arc, Barrier, mpsc};
use std::time::Instant;

use alertable::{Alertable, JoinHandle, SleepStatus, ThreadHandle, sleep_ex};

const PRODUCERS: usize = 8;
const PER_PRODUCER: usize = 100_000;

thread_local! {
    /// On the consumer: the sequence number expected next from each producer.
    static NEXT: Cell<[usize; PRODUCERS]> = const { Cell::new([0; PRODUCERS]) };
    /// On the consumer: how many producers have sent their final APC.
    static FINISHED: Cell<usize> = const { Cell::new(0) };
    /// On a producer: whether the consumer acknowledged the last burst.
    static ACKED: Cell<bool> = const { Cell::new(false) };
}

/// Runs on the consumer: checks that `seq` is the next APC of `producer` (so no APC is
/// lost, duplicated or reordered) and advances the expectation.
fn record(producer: usize, seq: usize) {
    let mut next = NEXT.get();
    assert_eq!(
        next[producer], seq,
        "producer {producer}: expected APC #{} but #{seq} ran",
        next[producer]
    );
    next[producer] += 1;
    NEXT.set(next);
}

/// `record` in the `queue_user_apc` shape: the parameter packs both numbers.
fn record_packed(param: usize) {
    record(param % PRODUCERS, param / PRODUCERS);
}

/// Runs on the consumer after the last APC of `producer`.
fn finish(producer: usize) {
    assert_eq!(
        NEXT.get()[producer],
        PER_PRODUCER,
        "producer {producer}: APCs missing before its final one"
    );
    FINISHED.set(FINISHED.get() + 1);
}

struct Consumer {
    join: JoinHandle<(usize, [usize; PRODUCERS])>,
}

impl Consumer {
    /// Starts the consumer and waits until it is inside its loop.
    fn start() -> Self {
        let (ready_tx, ready_rx) = mpsc::channel();
        let join = alertable::Builder::new()
            .name("consumer".to_owned())
            .spawn(move || {
                ready_tx.send(()).unwrap();
                let mut waits = 0;
                while FINISHED.get() < PRODUCERS {
                    // An infinite wait returns only because APCs ran.
                    assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
                    waits += 1;
                }
                (waits, NEXT.get())
            })
            .unwrap();
        ready_rx.recv().unwrap();
        Self { join }
    }

    fn handle(&self) -> ThreadHandle {
        self.join.thread().clone()
    }

    /// Waits for the consumer and checks the totals.
    fn finish(self, label: &str, start: Instant) {
        let (waits, next) = match self.join.join() {
            Ok(result) => result,
            Err(payload) => panic!("{label}: the consumer failed: {}", message(&*payload)),
        };
        assert_eq!(next, [PER_PRODUCER; PRODUCERS], "{label}");
        let elapsed = start.elapsed();
        let total = PRODUCERS * PER_PRODUCER;
        println!(
            "{label}: {total} APCs in {elapsed:.2?} ({:.0} per second), {waits} alertable waits",
            total as f64 / elapsed.as_secs_f64()
        );
    }
}

fn message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<non-string panic>".to_owned())
}

/// Runs `produce(producer, consumer)` on `PRODUCERS` threads started together, then checks
/// the consumer's totals.
fn run(label: &str, produce: fn(usize, &ThreadHandle)) {
    let consumer = Consumer::start();
    let barrier = Arc::new(Barrier::new(PRODUCERS + 1));
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let (target, barrier) = (consumer.handle(), barrier.clone());
            alertable::Builder::new()
                .name(format!("producer {p}"))
                .spawn(move || {
                    barrier.wait();
                    produce(p, &target);
                    target.queue_apc(move || finish(p)).unwrap();
                })
                .unwrap()
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    let mut failures = Vec::new();
    for (p, producer) in producers.into_iter().enumerate() {
        if let Err(payload) = producer.join() {
            failures.push(format!("producer {p}: {}", message(&*payload)));
        }
    }
    if !failures.is_empty() {
        // A producer fails only when the consumer has died; its error is the useful one.
        let consumer = consumer.join.join();
        let cause = consumer
            .err()
            .map(|payload| message(&*payload))
            .unwrap_or_default();
        panic!("{label}: {failures:?}; consumer: {cause}");
    }
    consumer.finish(label, start);
}

/// A15 under contention, closures: 8 × 100,000 APCs, each carrying (producer, seq).
#[test]
fn a15_eight_producers_closures_exactly_once_in_order() {
    run("queue_apc", |p, consumer| {
        for seq in 0..PER_PRODUCER {
            consumer.queue_apc(move || record(p, seq)).unwrap();
        }
    });
}

/// A14/A15 under contention, `queue_user_apc`: the parameter packs (producer, seq).
#[test]
fn a15_eight_producers_user_apcs_exactly_once_in_order() {
    run("queue_user_apc", |p, consumer| {
        for seq in 0..PER_PRODUCER {
            consumer
                .queue_user_apc(record_packed, seq * PRODUCERS + p)
                .unwrap();
        }
    });
}

fn ack(_: usize) {
    ACKED.set(true);
}

/// Acknowledges a burst to its producer when dropped: when the APC holding it has run, or,
/// should the consumer die, when its pending APCs are dropped, so the producer never waits
/// for an acknowledgement that cannot come.
struct AckOnDrop(ThreadHandle);

impl Drop for AckOnDrop {
    fn drop(&mut self) {
        // Fails only if the producer has gone, and then nobody waits.
        let _ = self.0.queue_user_apc(ack, 0);
    }
}

/// B20 under contention: the producers queue bursts of 64 and each waits, sleeping
/// alertably itself, for the consumer to acknowledge the burst with an APC back. Both
/// sides keep going to sleep and being woken by APCs, so a lost wake-up would hang.
#[test]
fn b20_eight_producers_in_acknowledged_bursts() {
    const BURST: usize = 64;
    run("bursts", |p, consumer| {
        let me = alertable::current();
        let mut seq = 0;
        while seq < PER_PRODUCER {
            let end = (seq + BURST).min(PER_PRODUCER);
            for s in seq..end {
                consumer
                    .queue_user_apc(record_packed, s * PRODUCERS + p)
                    .unwrap();
            }
            seq = end;
            let ack = AckOnDrop(me.clone());
            consumer.queue_apc(move || drop(ack)).unwrap();
            while !ACKED.get() {
                assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
            }
            ACKED.set(false);
        }
    });
}
