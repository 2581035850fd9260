//! The `apcs` workload: producers queue APCs (and post thread messages) to consumers that
//! wait in every kind of wait the library has.
//!
//! Each APC carries its producer and a sequence number counted per producer and consumer;
//! the consumer checks, as each one runs, that it is the next one expected. At the end,
//! every consumer must have run exactly as many of each producer's APCs as were queued —
//! exactly once, in order (A15, B23). Posted messages are checked the same way.
//! Consumers also wait non-alertably (no APC may run then, B19) and check that an
//! `Alerted` outcome means an APC ran (B20) and that `test_alert` tells the truth.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use alertable::{
    Alertable, Event, EventReset, Message, MsgWaitFlags, PeekRemove, PostMessageError, QueueStatus,
    Semaphore, SleepStatus, ThreadHandle, WaitStatus, Waitable,
};

use super::{PATIENCE, Rng, Soak};

const WORKLOAD: &str = "apcs";

/// At most this many APCs of one producer wait in one consumer's queue: enough to keep
/// queues busy, few enough that memory stays flat.
const OUTSTANDING: u64 = 4096;

/// Likewise for posted messages (well under the queue's limit).
const OUTSTANDING_MESSAGES: u64 = 256;

/// The id of the soak's messages.
const SOAK_MESSAGE: u32 = Message::USER + 0x50;

/// What a consumer and the producers share.
struct Consumer {
    index: usize,
    /// Per producer: the sequence number of the next APC expected (written by the
    /// consumer's thread only).
    next: Vec<AtomicU64>,
    /// Per producer: APCs queued successfully (written by that producer only).
    sent: Vec<AtomicU64>,
    next_message: Vec<AtomicU64>,
    sent_messages: Vec<AtomicU64>,
    /// Set while the consumer is in a non-alertable wait.
    plain_wait: AtomicBool,
    /// APCs run on the consumer's thread, the soak's and the coordinator's nudges.
    ran: AtomicU64,
    event: Event,
    semaphore: Semaphore,
}

impl Consumer {
    /// Runs on the consumer's thread, as producer `p`'s APC number `seq`.
    fn deliver(&self, soak: &Soak, p: usize, seq: u64) {
        self.check_alertable(soak);
        let expected = self.next[p].load(Ordering::Relaxed);
        if seq != expected {
            soak.violation(
                WORKLOAD,
                format_args!(
                    "consumer {} ran producer {p}'s APC #{seq}, but #{expected} was next \
                     (exactly once, in order: A15, B23)",
                    self.index
                ),
            );
        }
        self.next[p].store(expected.max(seq + 1), Ordering::Relaxed);
        self.ran.fetch_add(1, Ordering::Relaxed);
    }

    fn check_alertable(&self, soak: &Soak) {
        if self.plain_wait.load(Ordering::Relaxed) {
            soak.violation(
                WORKLOAD,
                format_args!(
                    "an APC ran on consumer {} inside a non-alertable wait (B19)",
                    self.index
                ),
            );
        }
    }

    /// Whether everything queued and posted to this consumer has been delivered.
    fn caught_up(&self) -> bool {
        let all = |next: &[AtomicU64], sent: &[AtomicU64]| {
            next.iter()
                .zip(sent)
                .all(|(n, s)| n.load(Ordering::Relaxed) == s.load(Ordering::Acquire))
        };
        all(&self.next, &self.sent) && all(&self.next_message, &self.sent_messages)
    }
}

/// Flags the coordinator raises for the consumers.
struct Phase {
    /// Every producer has finished: a consumer that has caught up may leave.
    producers_done: AtomicBool,
    /// The consumers took longer than [`PATIENCE`] to catch up: leave anyway (the final
    /// check reports what is missing).
    give_up: AtomicBool,
}

pub(super) fn run(soak: &Arc<Soak>) {
    let (producers, consumers) = (soak.producers, soak.consumers);
    let delivered = soak.headline(WORKLOAD, "APCs run");
    let messages = soak.counter(WORKLOAD, "messages");
    let waits = soak.counter(WORKLOAD, "waits");
    let phase = Arc::new(Phase {
        producers_done: AtomicBool::new(false),
        give_up: AtomicBool::new(false),
    });
    let shared: Vec<Arc<Consumer>> = (0..consumers)
        .map(|index| {
            let zeros = || (0..producers).map(|_| AtomicU64::new(0)).collect();
            Arc::new(Consumer {
                index,
                next: zeros(),
                sent: zeros(),
                next_message: zeros(),
                sent_messages: zeros(),
                plain_wait: AtomicBool::new(false),
                ran: AtomicU64::new(0),
                event: Event::new(EventReset::Auto, false),
                semaphore: Semaphore::new(0, 1 << 20).expect("a valid semaphore"),
            })
        })
        .collect();

    // Consumers first: producers need their handles, and their message queues.
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let consumer_threads: Vec<_> = shared
        .iter()
        .map(|consumer| {
            let (soak2, consumer, phase) =
                (Arc::clone(soak), Arc::clone(consumer), Arc::clone(&phase));
            let (ready, delivered, messages, waits) = (
                ready_tx.clone(),
                delivered.clone(),
                messages.clone(),
                waits.clone(),
            );
            super::spawn(soak, WORKLOAD, move || {
                alertable::ensure_message_queue();
                let _ = ready.send(());
                let mut rng = soak2.rng(WORKLOAD, 1000 + consumer.index as u64);
                consume(
                    &soak2, &consumer, &phase, &mut rng, &delivered, &messages, &waits,
                );
            })
        })
        .collect();
    for _ in 0..consumers {
        let _ = ready_rx.recv();
    }
    let handles: Arc<Vec<ThreadHandle>> = Arc::new(
        consumer_threads
            .iter()
            .map(|t| t.thread().clone())
            .collect(),
    );

    let producer_threads: Vec<_> = (0..producers)
        .map(|p| {
            let (soak2, shared, handles) = (Arc::clone(soak), shared.clone(), Arc::clone(&handles));
            super::spawn(soak, WORKLOAD, move || {
                let mut rng = soak2.rng(WORKLOAD, p as u64);
                produce(&soak2, p, &shared, &handles, &mut rng);
            })
        })
        .collect();
    for thread in producer_threads {
        super::join_worker(soak, WORKLOAD, "a producer", thread);
    }

    // Wake the consumers until each has caught up and left.
    phase.producers_done.store(true, Ordering::Release);
    let patience = std::time::Instant::now() + PATIENCE;
    for (thread, consumer) in consumer_threads.into_iter().zip(&shared) {
        loop {
            let nudge = Arc::clone(consumer);
            let _ = thread.thread().queue_apc(move || {
                nudge.ran.fetch_add(1, Ordering::Relaxed);
            });
            let step = Some(Duration::from_millis(20));
            if let Ok(WaitStatus::Signaled(0)) =
                alertable::wait_one(thread.thread(), step, Alertable::No)
            {
                break;
            }
            if std::time::Instant::now() > patience {
                phase.give_up.store(true, Ordering::Release);
            }
        }
        super::join(soak, WORKLOAD, "a consumer", thread);
    }
    for consumer in &shared {
        for p in 0..producers {
            let (ran, sent) = (
                consumer.next[p].load(Ordering::Relaxed),
                consumer.sent[p].load(Ordering::Relaxed),
            );
            if ran != sent {
                soak.violation(
                    WORKLOAD,
                    format_args!(
                        "consumer {} ran {ran} of the {sent} APCs producer {p} queued to it",
                        consumer.index
                    ),
                );
            }
            let (got, posted) = (
                consumer.next_message[p].load(Ordering::Relaxed),
                consumer.sent_messages[p].load(Ordering::Relaxed),
            );
            if got != posted {
                soak.violation(
                    WORKLOAD,
                    format_args!(
                        "consumer {} received {got} of the {posted} messages producer {p} posted",
                        consumer.index
                    ),
                );
            }
        }
    }
}

/// A producer: bursts of APCs to random consumers, now and then a message, an event or a
/// semaphore release.
fn produce(
    soak: &Arc<Soak>,
    p: usize,
    consumers: &[Arc<Consumer>],
    handles: &[ThreadHandle],
    rng: &mut Rng,
) {
    while soak.running() {
        let c = rng.index(consumers.len());
        let consumer = &consumers[c];
        let burst = rng.between(1, 64);
        let mut queued_any = false;
        for _ in 0..burst {
            let seq = consumer.sent[p].load(Ordering::Relaxed);
            if seq - consumer.next[p].load(Ordering::Relaxed) >= OUTSTANDING {
                break;
            }
            let (target, soak2) = (Arc::clone(consumer), Arc::clone(soak));
            match handles[c].queue_apc(move || target.deliver(&soak2, p, seq)) {
                Ok(()) => {
                    consumer.sent[p].store(seq + 1, Ordering::Release);
                    queued_any = true;
                }
                Err(error) => soak.violation(
                    WORKLOAD,
                    format_args!("queueing to running consumer {c} failed: {error}"),
                ),
            }
        }
        match rng.below(100) {
            0 => {
                let seq = consumer.sent_messages[p].load(Ordering::Relaxed);
                if seq - consumer.next_message[p].load(Ordering::Relaxed) < OUTSTANDING_MESSAGES {
                    let message = Message::new(SOAK_MESSAGE, p, seq as isize);
                    match handles[c].post_message(message) {
                        Ok(()) => consumer.sent_messages[p].store(seq + 1, Ordering::Release),
                        Err(PostMessageError::QueueFull) => {}
                        Err(error) => soak.violation(
                            WORKLOAD,
                            format_args!("posting to running consumer {c} failed: {error}"),
                        ),
                    }
                }
            }
            1 => consumer.event.set(),
            2 => {
                let _ = consumer.semaphore.release(1);
            }
            _ => {}
        }
        if !queued_any {
            // Every queue this producer feeds may be full: let the consumers run.
            std::thread::yield_now();
        }
    }
}

/// A consumer: waits of every kind, at random, until the producers are done and it has
/// caught up.
fn consume(
    soak: &Soak,
    consumer: &Consumer,
    phase: &Phase,
    rng: &mut Rng,
    delivered: &super::Counter,
    messages: &super::Counter,
    waits: &super::Counter,
) {
    let mut published = 0;
    let mut message_count = 0;
    let mut wait_count = 0;
    loop {
        let timeout = match rng.below(6) {
            0 => Some(Duration::ZERO),
            1 => Some(Duration::from_millis(1)),
            2 => Some(Duration::from_millis(5)),
            3 => Some(Duration::from_millis(20)),
            // Forever: the next APC (or the coordinator's nudge) ends it.
            _ => None,
        };
        let before = consumer.ran.load(Ordering::Relaxed);
        let objects: [&dyn Waitable; 2] = [&consumer.event, &consumer.semaphore];
        let (what, alerted, input) = match rng.below(16) {
            0..=4 => {
                let status = alertable::sleep_ex(timeout, Alertable::Yes);
                ("sleep_ex", status == SleepStatus::Alerted, false)
            }
            5..=8 => {
                let status = alertable::wait_any(&objects, timeout, Alertable::Yes);
                check_status(soak, consumer, "wait_any", status, 2);
                ("wait_any", status == Ok(WaitStatus::Alerted), false)
            }
            9 => {
                let status = alertable::wait_all(&objects, timeout, Alertable::Yes);
                check_status(soak, consumer, "wait_all", status, 1);
                ("wait_all", status == Ok(WaitStatus::Alerted), false)
            }
            10..=13 => {
                let flags = if rng.percent(50) {
                    MsgWaitFlags::ALERTABLE | MsgWaitFlags::INPUT_AVAILABLE
                } else {
                    MsgWaitFlags::ALERTABLE
                };
                let status =
                    alertable::msg_wait(&objects[..1], timeout, QueueStatus::ALL_INPUT, flags);
                check_status(soak, consumer, "msg_wait", status, 2);
                (
                    "msg_wait",
                    status == Ok(WaitStatus::Alerted),
                    status == Ok(WaitStatus::Signaled(1)),
                )
            }
            14 => {
                let ran = alertable::test_alert();
                let after = consumer.ran.load(Ordering::Relaxed);
                if ran != (after > before) {
                    soak.violation(
                        WORKLOAD,
                        format_args!(
                            "test_alert returned {ran} on consumer {} after {} APCs ran",
                            consumer.index,
                            after - before
                        ),
                    );
                }
                ("test_alert", false, false)
            }
            _ => {
                consumer.plain_wait.store(true, Ordering::Relaxed);
                let short = Some(Duration::from_millis(rng.below(2)));
                let status = alertable::wait_one(&consumer.event, short, Alertable::No);
                consumer.plain_wait.store(false, Ordering::Relaxed);
                if !matches!(status, Ok(WaitStatus::Signaled(0) | WaitStatus::TimedOut)) {
                    soak.violation(
                        WORKLOAD,
                        format_args!("a non-alertable wait returned {status:?} (B19)"),
                    );
                }
                ("wait_one", false, false)
            }
        };
        wait_count += 1;
        let after = consumer.ran.load(Ordering::Relaxed);
        if alerted && after == before {
            soak.violation(
                WORKLOAD,
                format_args!(
                    "{what} on consumer {} returned Alerted though no APC ran (B20)",
                    consumer.index
                ),
            );
        }
        let received = receive_messages(soak, consumer);
        if input && received == 0 {
            soak.violation(
                WORKLOAD,
                format_args!(
                    "msg_wait on consumer {} reported input, but the queue held no message (H77)",
                    consumer.index
                ),
            );
        }
        message_count += received;
        if wait_count % 64 == 0 {
            let ran_now = consumer.ran.load(Ordering::Relaxed);
            delivered.add(ran_now - published);
            published = ran_now;
            messages.add(std::mem::take(&mut message_count));
            waits.add(std::mem::take(&mut wait_count));
        }
        if phase.give_up.load(Ordering::Acquire)
            || (phase.producers_done.load(Ordering::Acquire) && consumer.caught_up())
        {
            break;
        }
    }
    delivered.add(consumer.ran.load(Ordering::Relaxed) - published);
    messages.add(message_count);
    waits.add(wait_count);
}

/// Checks an alertable wait's outcome: an object index below `objects`, `Alerted` or
/// `TimedOut`; nothing here can be abandoned, and the arguments are valid.
fn check_status(
    soak: &Soak,
    consumer: &Consumer,
    what: &str,
    status: Result<WaitStatus, alertable::WaitError>,
    objects: usize,
) {
    let fine = match status {
        Ok(WaitStatus::Signaled(i)) => i < objects,
        Ok(WaitStatus::Alerted | WaitStatus::TimedOut) => true,
        _ => false,
    };
    if !fine {
        soak.violation(
            WORKLOAD,
            format_args!("{what} on consumer {} returned {status:?}", consumer.index),
        );
    }
}

/// Takes every queued message, checking each producer's order; returns how many.
fn receive_messages(soak: &Soak, consumer: &Consumer) -> u64 {
    let mut count = 0;
    while let Some(message) = alertable::peek_message(PeekRemove::Yes) {
        count += 1;
        let (p, seq) = (message.wparam, message.lparam as u64);
        if message.id != SOAK_MESSAGE || p >= consumer.next_message.len() {
            soak.violation(
                WORKLOAD,
                format_args!(
                    "consumer {} received a message nobody posted: {message:?}",
                    consumer.index
                ),
            );
            continue;
        }
        let expected = consumer.next_message[p].load(Ordering::Relaxed);
        if seq != expected {
            soak.violation(
                WORKLOAD,
                format_args!(
                    "consumer {} received producer {p}'s message #{seq}, but #{expected} was next",
                    consumer.index
                ),
            );
        }
        consumer.next_message[p].store(expected.max(seq + 1), Ordering::Relaxed);
    }
    count
}
