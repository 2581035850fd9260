//! Stress, spec sections D, E, F and G under contention, with B20 mixed in: threads hammer
//! auto-reset events, two semaphores and a mutex with `wait_any`, `wait_all` and
//! `wait_one` (timed, zero-timeout, alertable or not, some interrupted by APCs) while
//! producers signal a known number of times. Every signal must be consumed exactly once:
//! none lost (D49: a wait-all takes nothing unless it takes everything; W1: a wait ended
//! by an APC or a timeout took nothing), none taken twice (E59: an auto-reset event
//! releases one waiter; F66: a count satisfies one wait), and the mutex is never held by
//! two threads at once (G70).
//!
//! The accounting is exact by construction:
//! - each auto-reset event has one producer, which sets it only after the previous signal
//!   was consumed: it waits for an acknowledgement on a semaphore of maximum 1, which the
//!   consumer releases. So every `set` is a new signal (a set on a set event would not
//!   be), the event must be reset whenever its producer is about to set it, and a second
//!   acknowledgement for one signal would overflow the semaphore;
//! - the two semaphores form a bounded buffer: a producer waits for a free slot (`slots`)
//!   before releasing an item (`items`), a consumer releases a slot for every item it
//!   takes. Neither release can ever exceed its maximum, and the items taken must add up
//!   to the items released.
//!
//! Every wait has a timeout and every thread checks a global deadline, so a lost signal or
//! wake-up fails the test instead of hanging it. Run in release too:
//! `cargo test --release -p alertable --test objects_stress`.
#![allow(clippy::disallowed_types)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use alertable::{
    Alertable, Event, EventReset, JoinHandle, Mutex, Semaphore, ThreadHandle, WaitStatus, Waitable,
    wait_all, wait_any, wait_one,
};

const SLOTS: u32 = 8;
/// Fails the test, rather than hang it, if a run has not finished by then.
const DEADLINE: Duration = Duration::from_secs(90);
const POLL: Option<Duration> = Some(Duration::ZERO);

/// The objects and counters one run shares between its threads.
struct Shared {
    events: Vec<Event>,
    /// One per event: released by whoever consumed the event's signal.
    acks: Vec<Semaphore>,
    items: Semaphore,
    slots: Semaphore,
    items_total: u64,
    /// Held together with other objects, to check mutual exclusion under contention.
    mutex: Mutex,
    in_mutex: AtomicBool,
    /// Set when every item has been taken.
    drained: Event,
    /// Set when the run is over, normally or because a thread failed.
    stop: Event,
    consumed: Vec<AtomicU64>,
    items_taken: AtomicU64,
    deadline: Instant,
}

impl Shared {
    fn new(events: usize, items_total: u64) -> Arc<Self> {
        Arc::new(Self {
            events: (0..events)
                .map(|_| Event::new(EventReset::Auto, false))
                .collect(),
            acks: (0..events).map(|_| Semaphore::new(0, 1).unwrap()).collect(),
            items: Semaphore::new(0, SLOTS).unwrap(),
            slots: Semaphore::new(SLOTS, SLOTS).unwrap(),
            items_total,
            mutex: Mutex::new(false),
            in_mutex: AtomicBool::new(false),
            drained: Event::new(EventReset::Manual, false),
            stop: Event::new(EventReset::Manual, false),
            consumed: (0..events).map(|_| AtomicU64::new(0)).collect(),
            items_taken: AtomicU64::new(0),
            deadline: Instant::now() + DEADLINE,
        })
    }

    /// The time left before the deadline, as a wait timeout; panics once it has passed.
    fn remaining(&self) -> Option<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "deadline passed: a signal or wake-up was lost"
        );
        Some(left)
    }

    /// Records the consumption of event `i`'s signal and acknowledges it.
    fn consumed_event(&self, i: usize) {
        self.consumed[i].fetch_add(1, Ordering::Relaxed);
        assert_eq!(
            self.acks[i].release(1),
            Ok(0),
            "event {i}: a signal was consumed twice"
        );
    }

    /// Records an item and frees its slot.
    fn took_item(&self) {
        let previous = self
            .slots
            .release(1)
            .expect("more items taken than released");
        assert!(previous < SLOTS);
        if self.items_taken.fetch_add(1, Ordering::AcqRel) + 1 == self.items_total {
            self.drained.set();
        }
    }

    /// Enters and leaves the mutex's critical section; the caller owns the mutex.
    fn hold_mutex(&self) {
        assert!(
            !self.in_mutex.swap(true, Ordering::AcqRel),
            "two threads own the mutex"
        );
        self.in_mutex.store(false, Ordering::Release);
        self.mutex.release().expect("the mutex was acquired");
    }

    /// Checks the final state: every signal consumed exactly once, every count back.
    fn check_final(&self, sets_per_event: &[u64]) {
        for (i, &sets) in sets_per_event.iter().enumerate() {
            assert_eq!(self.consumed[i].load(Ordering::Relaxed), sets, "event {i}");
            assert!(!self.events[i].is_set(), "event {i}: a signal left over");
            assert_eq!(
                self.acks[i].count(),
                0,
                "event {i}: an extra acknowledgement"
            );
        }
        assert_eq!(self.items_taken.load(Ordering::Relaxed), self.items_total);
        assert_eq!(self.items.count(), 0, "items left over");
        assert_eq!(self.slots.count(), SLOTS, "slots lost");
        assert_eq!(
            wait_one(&self.mutex, POLL, Alertable::No),
            Ok(WaitStatus::Signaled(0)),
            "the mutex is free and not abandoned"
        );
        self.mutex.release().unwrap();
    }
}

/// Sets `stop` if its thread unwinds, so that the others finish instead of waiting for the
/// deadline.
struct StopOnPanic(Arc<Shared>);

impl Drop for StopOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop.set();
        }
    }
}

fn spawn<T: Send + 'static>(
    shared: &Arc<Shared>,
    f: impl FnOnce(&Shared) -> T + Send + 'static,
) -> JoinHandle<T> {
    let shared = shared.clone();
    alertable::spawn(move || {
        let guard = StopOnPanic(shared.clone());
        f(&guard.0)
    })
    .unwrap()
}

/// Joins every thread; re-raises the first panic after all have finished.
fn join_all<T>(threads: Vec<JoinHandle<T>>) -> Vec<T> {
    let mut results = Vec::new();
    let mut panic = None;
    for t in threads {
        match t.join() {
            Ok(r) => results.push(r),
            Err(e) => {
                panic.get_or_insert(e);
            }
        }
    }
    if let Some(e) = panic {
        std::panic::resume_unwind(e);
    }
    results
}

/// A small deterministic generator, one per thread.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(0x9E37_79B9_7F4A_7C15 ^ seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn alertable(&mut self) -> Alertable {
        if self.below(2) == 0 {
            Alertable::No
        } else {
            Alertable::Yes
        }
    }
}

/// Sets event `i` `sets` times, each time after the previous signal was acknowledged.
fn event_producer(shared: &Shared, i: usize, sets: u64) {
    let (event, ack) = (&shared.events[i], &shared.acks[i]);
    for n in 0..sets {
        assert!(
            !event.is_set(),
            "event {i}: still set after its signal {n} was acknowledged"
        );
        event.set();
        match wait_any(&[ack, &shared.stop], shared.remaining(), Alertable::No) {
            Ok(WaitStatus::Signaled(0)) => {}
            Ok(WaitStatus::Signaled(1)) => return,
            other => panic!("event {i}: signal {n} was never consumed: {other:?}"),
        }
    }
}

/// Releases `items` items, one per free slot.
fn item_producer(shared: &Shared, items: u64) {
    for n in 0..items {
        match wait_any(
            &[&shared.slots, &shared.stop],
            shared.remaining(),
            Alertable::No,
        ) {
            Ok(WaitStatus::Signaled(0)) => {}
            Ok(WaitStatus::Signaled(1)) => return,
            other => panic!("item {n}: no free slot: {other:?}"),
        }
        let previous = shared.items.release(1).expect("more items than slots");
        assert!(previous < SLOTS);
    }
}

// ---------------------------------------------------------------------------------------
// The mixed run.

const EVENTS: usize = 4;
const SETS_PER_EVENT: u64 = 10_000;
const ITEM_PRODUCERS: u64 = 2;
const ITEMS_PER_PRODUCER: u64 = 30_000;
/// Consumers that block in a wait-any on everything: they alone guarantee progress.
const SWEEPERS: usize = 1;
/// Consumers that mix every kind of wait, with short timeouts.
const MIXERS: usize = 3;
const PATTERNS: usize = 9;

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    acquired: [u64; PATTERNS],
    alerted: u64,
    timed_out: u64,
}

/// Takes whatever comes, from a wait-any on every object in a random order, until `stop`.
fn sweeper(shared: &Shared, seed: u64) -> Tally {
    let mut rng = Rng::new(seed);
    let mut tally = Tally::default();
    // 0: stop, 1: items, 2..: the events.
    let mut order: Vec<usize> = (0..2 + EVENTS).collect();
    loop {
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        let objects: Vec<&dyn Waitable> = order
            .iter()
            .map(|&o| match o {
                0 => &shared.stop as &dyn Waitable,
                1 => &shared.items,
                e => &shared.events[e - 2],
            })
            .collect();
        match wait_any(&objects, shared.remaining(), rng.alertable()).unwrap() {
            WaitStatus::Signaled(i) => {
                match order[i] {
                    0 => return tally,
                    1 => shared.took_item(),
                    e => shared.consumed_event(e - 2),
                }
                tally.acquired[0] += 1;
            }
            WaitStatus::Alerted => tally.alerted += 1,
            other => panic!("sweeper: {other:?}"),
        }
    }
}

/// Mixes every kind of wait on random objects, with short or zero timeouts, until `stop`.
fn mixer(shared: &Shared, seed: u64) -> Tally {
    let mut rng = Rng::new(seed);
    let mut tally = Tally::default();
    let short = Some(Duration::from_millis(1));
    while !shared.stop.is_set() {
        shared.remaining();
        let a = rng.below(EVENTS);
        let b = (a + 1 + rng.below(EVENTS - 1)) % EVENTS;
        let (ea, eb) = (&shared.events[a], &shared.events[b]);
        let (items, mutex) = (&shared.items, &shared.mutex);
        let alertable = rng.alertable();
        let timeout = if rng.below(4) == 0 { POLL } else { short };
        let pattern = 1 + rng.below(PATTERNS - 1);
        let status = match pattern {
            1 => wait_one(items, timeout, alertable),
            2 => wait_one(ea, timeout, alertable),
            3 => wait_any(&[eb, items, ea], timeout, alertable),
            4 => wait_all(&[ea, items], timeout, alertable),
            5 => wait_all(&[ea, eb], timeout, alertable),
            6 => wait_all(&[mutex, items], timeout, alertable),
            7 => wait_any(&[mutex, ea], timeout, alertable),
            _ => wait_all(&[items, ea, mutex, eb], timeout, alertable),
        }
        .unwrap();
        match status {
            WaitStatus::TimedOut => {
                tally.timed_out += 1;
                continue;
            }
            WaitStatus::Alerted => {
                tally.alerted += 1;
                continue;
            }
            WaitStatus::Abandoned(_) => panic!("the mutex was abandoned"),
            WaitStatus::ThreadAlerted => panic!("nothing alerts the waiters"),
            WaitStatus::Signaled(i) => {
                tally.acquired[pattern] += 1;
                match (pattern, i) {
                    (1, 0) => shared.took_item(),
                    (2, 0) => shared.consumed_event(a),
                    (3, 0) => shared.consumed_event(b),
                    (3, 1) => shared.took_item(),
                    (3, 2) => shared.consumed_event(a),
                    (4, 0) => {
                        shared.consumed_event(a);
                        shared.took_item();
                    }
                    (5, 0) => {
                        shared.consumed_event(a);
                        shared.consumed_event(b);
                    }
                    (6, 0) => {
                        shared.took_item();
                        shared.hold_mutex();
                    }
                    (7, 0) => shared.hold_mutex(),
                    (7, 1) => shared.consumed_event(a),
                    (8, 0) => {
                        shared.took_item();
                        shared.consumed_event(a);
                        shared.consumed_event(b);
                        shared.hold_mutex();
                    }
                    other => panic!("impossible result {other:?}"),
                }
            }
        }
    }
    tally
}

/// Queues APCs to the consumers one at a time, each after the previous one ran, until
/// `stop`: they end some of the consumers' alertable waits, which must then have taken
/// nothing.
fn apc_sender(shared: &Shared, targets: &[ThreadHandle]) -> u64 {
    let ran = Event::new(EventReset::Auto, false);
    let mut rng = Rng::new(99);
    let mut sent = 0;
    loop {
        let r = ran.clone();
        if targets[rng.below(targets.len())]
            .queue_apc(move || r.set())
            .is_err()
        {
            return sent;
        }
        sent += 1;
        match wait_any(&[&shared.stop, &ran], shared.remaining(), Alertable::No) {
            Ok(WaitStatus::Signaled(1)) => {}
            Ok(WaitStatus::Signaled(0)) => return sent,
            other => panic!("APC sender: {other:?}"),
        }
    }
}

/// D, E, F, G, B20: with every kind of wait competing for them, and APCs interrupting
/// waits, every event signal and every semaphore count is consumed exactly once, and the
/// mutex is never shared.
#[test]
fn mixed_waits_consume_every_signal_exactly_once() {
    let start = Instant::now();
    let shared = Shared::new(EVENTS, ITEM_PRODUCERS * ITEMS_PER_PRODUCER);

    let mut consumers: Vec<JoinHandle<Tally>> = (0..SWEEPERS)
        .map(|c| spawn(&shared, move |s| sweeper(s, c as u64)))
        .collect();
    consumers.extend((0..MIXERS).map(|c| spawn(&shared, move |s| mixer(s, 100 + c as u64))));
    let targets: Vec<ThreadHandle> = consumers.iter().map(|c| c.thread().clone()).collect();
    let apcs = spawn(&shared, move |s| apc_sender(s, &targets));
    let mut producers: Vec<JoinHandle<()>> = (0..EVENTS)
        .map(|i| spawn(&shared, move |s| event_producer(s, i, SETS_PER_EVENT)))
        .collect();
    producers.extend(
        (0..ITEM_PRODUCERS).map(|_| spawn(&shared, |s| item_producer(s, ITEMS_PER_PRODUCER))),
    );

    let producers = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        join_all(producers);
        let status = wait_any(
            &[&shared.drained, &shared.stop],
            shared.remaining(),
            Alertable::No,
        );
        assert_eq!(status, Ok(WaitStatus::Signaled(0)), "items were lost");
    }));
    shared.stop.set();
    let tallies = join_all(consumers);
    let apcs = join_all(vec![apcs])[0];
    if let Err(e) = producers {
        std::panic::resume_unwind(e);
    }
    shared.check_final(&[SETS_PER_EVENT; EVENTS]);

    let mut total = Tally::default();
    for t in &tallies {
        for p in 0..PATTERNS {
            total.acquired[p] += t.acquired[p];
        }
        total.alerted += t.alerted;
        total.timed_out += t.timed_out;
    }
    eprintln!(
        "mixed: {EVENTS}×{SETS_PER_EVENT} event signals and {} items in {:?}; {apcs} APCs; \
         {total:?}",
        shared.items_total,
        start.elapsed()
    );
}

// ---------------------------------------------------------------------------------------
// The blocking run.

const PAIRS: usize = 4;
const ROUNDS_PER_PAIR: u64 = 10_000;

/// Takes `rounds` signals of its own event, each together with an item — and every third
/// time with the mutex too — through a wait-all whose only timeout is the deadline.
fn pair_consumer(shared: &Shared, i: usize, rounds: u64) {
    let mut rng = Rng::new(1000 + i as u64);
    let event = &shared.events[i];
    for n in 0..rounds {
        let with_mutex = n % 3 == 0;
        let mut objects: Vec<&dyn Waitable> = vec![event, &shared.items];
        if with_mutex {
            objects.push(&shared.mutex);
        }
        for k in (1..objects.len()).rev() {
            objects.swap(k, rng.below(k + 1));
        }
        let status = wait_all(&objects, shared.remaining(), rng.alertable());
        assert_eq!(
            status,
            Ok(WaitStatus::Signaled(0)),
            "consumer {i}, round {n}"
        );
        shared.took_item();
        if with_mutex {
            shared.hold_mutex();
        }
        shared.consumed_event(i);
    }
}

/// D49, E59, F66, G70: consumers blocked in wait-alls (event + item, sometimes + mutex)
/// with no timeout but the deadline: completion depends on every wake-up arriving, so a
/// lost one fails the run at the deadline.
#[test]
fn blocking_wait_alls_miss_no_wake_up() {
    let start = Instant::now();
    let items = PAIRS as u64 * ROUNDS_PER_PAIR;
    let shared = Shared::new(PAIRS, items);
    let mut threads: Vec<JoinHandle<()>> = (0..PAIRS)
        .map(|i| spawn(&shared, move |s| pair_consumer(s, i, ROUNDS_PER_PAIR)))
        .collect();
    threads
        .extend((0..PAIRS).map(|i| spawn(&shared, move |s| event_producer(s, i, ROUNDS_PER_PAIR))));
    threads.extend((0..2).map(|_| spawn(&shared, move |s| item_producer(s, items / 2))));
    join_all(threads);
    assert!(shared.drained.is_set());
    shared.check_final(&[ROUNDS_PER_PAIR; PAIRS]);
    eprintln!(
        "blocking: {PAIRS}×{ROUNDS_PER_PAIR} wait-alls in {:?}",
        start.elapsed()
    );
}
