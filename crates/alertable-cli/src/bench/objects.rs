//! `objects`: the dispatcher objects against what a Rust program would write instead.
//!
//! Four tables. First, an uncontended signal-then-take on one thread: `Event::set`
//! followed by `wait_one` on an auto-reset event (the wait finds it signaled and takes
//! it), `Semaphore::release(1)` followed by `wait_one`, and a `Mutex` taken by `wait_one` and
//! given back with `release`, against a `std::sync::Mutex<bool>` with a `Condvar` used the same way (set the flag
//! and `notify_one` under the lock; lock, check, clear). Second, `Event::set` alone on an
//! event nobody waits on, the lock-free path. Third, the wake-up latency of a thread
//! blocked in `wait_any` over 64 auto-reset events when the last one is set, beside
//! `wait_one` on a single event and a `Condvar` wait, each measured only once the waiter
//! is really asleep in the kernel. Fourth, independent objects: the set + wait pairs of
//! the first table on one thread, and split over two threads that each use an event (or a
//! semaphore, or a mutex) of their own (and the same with the std pair), to show what the library's shared state
//! costs threads that share nothing.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use alertable::{
    Alertable, Event, EventReset, Semaphore, WaitStatus, Waitable, wait_any, wait_one,
};

use super::idle::{DISCARDED_SAMPLES, IDLE_BEFORE_SAMPLE, gettid, nanos_since, wait_until_asleep};
use super::pool::{allowed_cpus, pin};
use super::report::{GroupReport, Kind, Table};
use super::throughput::thousands;
use super::{Progress, Settings};

/// A `bool` behind a `std` mutex with a condition variable: what one writes in Rust for a
/// flag that a thread can block on.
type Flag = (Mutex<bool>, Condvar);

/// Sets `flag` and wakes one waiter, as the `Condvar` documentation does.
fn flag_set((lock, cvar): &Flag) {
    let mut set = lock.lock().unwrap_or_else(PoisonError::into_inner);
    *set = true;
    cvar.notify_one();
}

/// Waits until `flag` is set, then clears it (an auto-reset flag).
fn flag_take((lock, cvar): &Flag) {
    let mut set = lock.lock().unwrap_or_else(PoisonError::into_inner);
    while !*set {
        set = cvar.wait(set).unwrap_or_else(PoisonError::into_inner);
    }
    *set = false;
}

/// One contender of a time table: `run(n)` does `n` operations and returns how long they
/// took.
struct Timed {
    id: &'static str,
    name: &'static str,
    run: fn(usize) -> Duration,
}

const PAIRS: [Timed; 6] = [
    Timed {
        id: "ours-event-set-wait-one-zero",
        name: "ours: Event::set + wait_one(Some(ZERO))",
        run: |n| event_pairs(n, Some(Duration::ZERO)),
    },
    Timed {
        id: "ours-event-set-wait-one-infinite",
        name: "ours: Event::set + wait_one(None)",
        run: |n| event_pairs(n, None),
    },
    Timed {
        id: "ours-semaphore-release-wait-one",
        name: "ours: Semaphore::release(1) + wait_one(None)",
        run: semaphore_pairs,
    },
    Timed {
        id: "ours-mutex-wait-one-release",
        name: "ours: wait_one(None) on a Mutex + release",
        run: mutex_pairs,
    },
    Timed {
        id: "std-mutex-condvar",
        name: "std Mutex<bool> + Condvar",
        run: condvar_pairs,
    },
    Timed {
        id: "atomic-bool",
        name: "AtomicBool store + swap (floor)",
        run: atomic_pairs,
    },
];

fn event_pairs(n: usize, timeout: Option<Duration>) -> Duration {
    let event = Event::new(EventReset::Auto, false);
    let mut taken = 0;
    let start = Instant::now();
    for _ in 0..n {
        let event = black_box(&event);
        event.set();
        if wait_one(event, black_box(timeout), Alertable::No) == Ok(WaitStatus::Signaled(0)) {
            taken += 1;
        }
    }
    let elapsed = start.elapsed();
    assert_eq!(taken, n, "every wait took the signal");
    assert!(!event.is_set(), "the last wait reset the event");
    elapsed
}

fn semaphore_pairs(n: usize) -> Duration {
    let semaphore = Semaphore::new(0, 1).expect("a valid maximum");
    let mut taken = 0;
    let start = Instant::now();
    for _ in 0..n {
        let semaphore = black_box(&semaphore);
        semaphore.release(1).expect("below the maximum");
        if wait_one(semaphore, None, Alertable::No) == Ok(WaitStatus::Signaled(0)) {
            taken += 1;
        }
    }
    let elapsed = start.elapsed();
    assert_eq!(taken, n, "every wait took the count");
    assert_eq!(semaphore.count(), 0, "the last wait took the last count");
    elapsed
}

/// A mutex taken by a wait and given back, `n` times.
fn mutex_pairs(n: usize) -> Duration {
    let mutex = alertable::Mutex::new(false);
    let mut taken = 0;
    let start = Instant::now();
    for _ in 0..n {
        let mutex = black_box(&mutex);
        if wait_one(mutex, None, Alertable::No) == Ok(WaitStatus::Signaled(0)) {
            taken += 1;
        }
        mutex.release().expect("the waiting thread owns it");
    }
    let elapsed = start.elapsed();
    assert_eq!(taken, n, "every wait took the mutex");
    elapsed
}

fn condvar_pairs(n: usize) -> Duration {
    let flag: Flag = (Mutex::new(false), Condvar::new());
    let start = Instant::now();
    for _ in 0..n {
        let flag = black_box(&flag);
        flag_set(flag);
        flag_take(flag);
    }
    let elapsed = start.elapsed();
    assert!(!*flag.0.lock().unwrap_or_else(PoisonError::into_inner));
    elapsed
}

fn atomic_pairs(n: usize) -> Duration {
    let flag = AtomicBool::new(false);
    let mut taken = 0;
    let start = Instant::now();
    for _ in 0..n {
        let flag = black_box(&flag);
        flag.store(true, Ordering::Release);
        if flag.swap(false, Ordering::Acquire) {
            taken += 1;
        }
    }
    let elapsed = start.elapsed();
    assert_eq!(taken, n, "every swap took the flag");
    elapsed
}

/// Objects signaled per timed batch in the `set` table: distinct objects, so that each
/// signal finds its object in the state the row names; few enough to stay in L1.
const BATCH: usize = 512;

const SETS: [Timed; 4] = [
    Timed {
        id: "ours-event-set",
        name: "ours: Event::set, not signaled (one CAS)",
        run: event_sets_unsignaled,
    },
    Timed {
        id: "ours-event-set-signaled",
        name: "ours: Event::set, already signaled",
        run: event_sets_signaled,
    },
    Timed {
        id: "std-mutex-condvar-set",
        name: "std Mutex<bool> + Condvar: lock, set, notify_one",
        run: condvar_sets,
    },
    Timed {
        id: "atomic-cas",
        name: "AtomicU32 compare_exchange (floor)",
        run: cas_sets,
    },
];

/// Times `op` on every object of `objects`, `n / objects.len()` times over; before each
/// pass, untimed, `reset` puts every object back in its starting state, and after it
/// `done` must hold for every object.
fn batches<T>(
    n: usize,
    objects: &[T],
    reset: impl Fn(&T),
    op: impl Fn(&T),
    done: impl Fn(&T) -> bool,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..n.div_ceil(objects.len()) {
        for object in objects {
            reset(object);
        }
        let start = Instant::now();
        for object in objects {
            op(black_box(object));
        }
        total += start.elapsed();
        assert!(objects.iter().all(&done), "every signal took effect");
    }
    total
}

fn event_sets_unsignaled(n: usize) -> Duration {
    let events: Vec<Event> = (0..BATCH)
        .map(|_| Event::new(EventReset::Auto, false))
        .collect();
    batches(n, &events, Event::reset, Event::set, Event::is_set)
}

fn event_sets_signaled(n: usize) -> Duration {
    let events: Vec<Event> = (0..BATCH)
        .map(|_| Event::new(EventReset::Auto, true))
        .collect();
    batches(n, &events, |_| {}, Event::set, Event::is_set)
}

fn condvar_sets(n: usize) -> Duration {
    let flags: Vec<Flag> = (0..BATCH)
        .map(|_| (Mutex::new(false), Condvar::new()))
        .collect();
    let get = |(lock, _): &Flag| *lock.lock().unwrap_or_else(PoisonError::into_inner);
    batches(
        n,
        &flags,
        |(lock, _)| *lock.lock().unwrap_or_else(PoisonError::into_inner) = false,
        flag_set,
        get,
    )
}

fn cas_sets(n: usize) -> Duration {
    let words: Vec<AtomicU32> = (0..BATCH).map(|_| AtomicU32::new(0)).collect();
    batches(
        n,
        &words,
        |w| w.store(0, Ordering::Relaxed),
        |w| {
            black_box(w.compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire))
                .expect("the word was reset");
        },
        |w| w.load(Ordering::Relaxed) == 1,
    )
}

/// Steps of one time table: a warm-up run and `reps` timed runs per contender.
fn time_steps(s: &Settings, contenders: usize) -> u64 {
    (contenders * (s.reps + 1)) as u64
}

/// Times `contenders`, `n` operations per run: one untimed warm-up run each, then
/// `s.reps` timed runs, interleaved.
fn time_table(
    s: &Settings,
    progress: &Progress,
    contenders: &[Timed],
    n: usize,
    title: String,
) -> Table {
    for c in contenders {
        progress.run(format!("{}: warm-up", c.name), || (c.run)(n / 10));
    }
    let mut samples = vec![Vec::with_capacity(s.reps); contenders.len()];
    for rep in 1..=s.reps {
        for (c, samples) in contenders.iter().zip(&mut samples) {
            let elapsed = progress.run(format!("{}: run {rep}/{}", c.name, s.reps), || (c.run)(n));
            samples.push(elapsed.as_secs_f64() * 1e9 / n as f64);
        }
    }
    let mut table = Table::new(title, Kind::Time);
    for (c, samples) in contenders.iter().zip(samples) {
        table.push(c.id, c.name, samples, BTreeMap::new());
    }
    table.finish()
}

/// The independent-objects table: the same set + wait pairs, on one thread and split over
/// two, each thread with an object of its own. Nothing is shared but what the library
/// shares behind the scenes, so two threads on two CPUs should run close to twice the rate.
const INDEPENDENT: [Timed; 8] = [
    Timed {
        id: "ours-1-thread",
        name: "ours: 1 thread, Event::set + wait_one(None)",
        run: |n| on_threads(1, n, |n| event_pairs(n, None)),
    },
    Timed {
        id: "ours-2-threads",
        name: "ours: 2 threads, an event each",
        run: |n| on_threads(2, n, |n| event_pairs(n, None)),
    },
    Timed {
        id: "ours-semaphore-1-thread",
        name: "ours: 1 thread, Semaphore::release(1) + wait_one(None)",
        run: |n| on_threads(1, n, semaphore_pairs),
    },
    Timed {
        id: "ours-semaphore-2-threads",
        name: "ours: 2 threads, a semaphore each",
        run: |n| on_threads(2, n, semaphore_pairs),
    },
    Timed {
        id: "ours-mutex-1-thread",
        name: "ours: 1 thread, wait_one(None) on a Mutex + release",
        run: |n| on_threads(1, n, mutex_pairs),
    },
    Timed {
        id: "ours-mutex-2-threads",
        name: "ours: 2 threads, a mutex each",
        run: |n| on_threads(2, n, mutex_pairs),
    },
    Timed {
        id: "std-mutex-condvar-1-thread",
        name: "std Mutex<bool> + Condvar, 1 thread",
        run: |n| on_threads(1, n, condvar_pairs),
    },
    Timed {
        id: "std-mutex-condvar-2-threads",
        name: "std Mutex<bool> + Condvar, 2 threads, a pair each",
        run: |n| on_threads(2, n, condvar_pairs),
    },
];

/// Threads of the two-thread rows: the CPUs of the machine the goal is set for.
const INDEPENDENT_THREADS: usize = 2;

/// Runs `pairs` on `threads` fresh threads, `n` pairs in all split evenly, each on objects
/// of its own; the time runs from the first one's start until the last one is done.
///
/// Each thread reads the clock itself: with more threads than CPUs, the thread that
/// released them may not run again until they are done, and its clock would see none of
/// it. And each is pinned to a CPU of its own where there are enough: the question is what
/// the threads cost each other when they do run together, and a run of a few milliseconds
/// is over before the scheduler moves a thread woken on its waker's CPU to an idle one.
fn on_threads(threads: usize, n: usize, pairs: fn(usize) -> Duration) -> Duration {
    let barrier = Arc::new(Barrier::new(threads));
    let cpus = allowed_cpus();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let barrier = barrier.clone();
            let share = n * (t + 1) / threads - n * t / threads;
            let cpu = (cpus.len() >= threads).then(|| cpus[t]);
            thread::spawn(move || {
                if let Some(cpu) = cpu {
                    pin(cpu);
                }
                // Unmeasured: adopting the thread and making its objects.
                pairs(1);
                barrier.wait();
                let start = Instant::now();
                pairs(share);
                (start, Instant::now())
            })
        })
        .collect();
    let spans: Vec<(Instant, Instant)> = workers
        .into_iter()
        .map(|w| w.join().expect("worker"))
        .collect();
    let first = spans.iter().map(|s| s.0).min().expect("a thread");
    let last = spans.iter().map(|s| s.1).max().expect("a thread");
    last - first
}

/// How a waiter of the wake-up table blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blocked {
    /// `wait_any` over 64 auto-reset events; the last one is set.
    Any64,
    /// `wait_one` on one auto-reset event.
    One,
    /// `Condvar::wait` on a `Mutex<bool>`.
    Condvar,
}

/// Events of the `wait_any` waiter: the most one wait accepts.
const WAIT_ANY_EVENTS: usize = alertable::MAXIMUM_WAIT_OBJECTS;

impl Blocked {
    const ALL: [Self; 3] = [Self::Any64, Self::One, Self::Condvar];

    fn id(self) -> &'static str {
        match self {
            Self::Any64 => "ours-wait-any-64",
            Self::One => "ours-wait-one",
            Self::Condvar => "std-condvar",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Any64 => "ours: wait_any over 64, index 63 set",
            Self::One => "ours: wait_one on 1 event",
            Self::Condvar => "std Mutex<bool> + Condvar wait",
        }
    }
}

/// What wakes a waiter.
enum Signal {
    Event(Event),
    Flag(Arc<Flag>),
}

impl Signal {
    fn fire(&self) {
        match self {
            Self::Event(event) => event.set(),
            Self::Flag(flag) => flag_set(flag),
        }
    }
}

/// A thread blocked on an object, which records when each wait returns.
struct Waiter {
    kind: Blocked,
    tid: i32,
    base: Instant,
    /// When the last wait returned, in ns since `base` (`u64::MAX`: not since the last
    /// sample started).
    woke: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    signal: Signal,
    join: thread::JoinHandle<()>,
}

impl Waiter {
    fn spawn(kind: Blocked) -> Self {
        let base = Instant::now();
        let woke = Arc::new(AtomicU64::new(u64::MAX));
        let stop = Arc::new(AtomicBool::new(false));
        let (tid_tx, tid_rx) = mpsc::channel();
        let (woke2, stop2) = (woke.clone(), stop.clone());
        // Records a wake-up; false once the waiter is told to stop.
        let record = move |at: u64| {
            if stop2.load(Ordering::Acquire) {
                return false;
            }
            woke2.store(at, Ordering::Release);
            true
        };
        let (signal, join) = match kind {
            Blocked::Any64 | Blocked::One => {
                let count = if kind == Blocked::Any64 {
                    WAIT_ANY_EVENTS
                } else {
                    1
                };
                let events: Vec<Event> = (0..count)
                    .map(|_| Event::new(EventReset::Auto, false))
                    .collect();
                let last = events[count - 1].clone();
                let join = thread::spawn(move || {
                    tid_tx.send(gettid()).expect("tid");
                    let objects: Vec<&dyn Waitable> =
                        events.iter().map(|e| e as &dyn Waitable).collect();
                    loop {
                        let status = if count == 1 {
                            wait_one(objects[0], None, Alertable::No)
                        } else {
                            wait_any(&objects, None, Alertable::No)
                        };
                        let at = nanos_since(base);
                        assert_eq!(status, Ok(WaitStatus::Signaled(count - 1)));
                        if !record(at) {
                            break;
                        }
                    }
                });
                (Signal::Event(last), join)
            }
            Blocked::Condvar => {
                let flag: Arc<Flag> = Arc::new((Mutex::new(false), Condvar::new()));
                let theirs = flag.clone();
                let join = thread::spawn(move || {
                    tid_tx.send(gettid()).expect("tid");
                    loop {
                        flag_take(&theirs);
                        if !record(nanos_since(base)) {
                            break;
                        }
                    }
                });
                (Signal::Flag(flag), join)
            }
        };
        let tid = tid_rx.recv().expect("the waiter reports its tid");
        Self {
            kind,
            tid,
            base,
            woke,
            stop,
            signal,
            join,
        }
    }

    /// Wakes the waiter, which must be asleep, and returns how long it took to return from
    /// its wait.
    fn sample(&self) -> Duration {
        self.woke.store(u64::MAX, Ordering::Relaxed);
        let sent = nanos_since(self.base);
        self.signal.fire();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let at = self.woke.load(Ordering::Acquire);
            if at != u64::MAX {
                return Duration::from_nanos(at.saturating_sub(sent));
            }
            assert!(
                Instant::now() < deadline && !self.join.is_finished(),
                "the {:?} waiter never woke",
                self.kind
            );
            thread::sleep(Duration::from_micros(100));
        }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Release);
        self.signal.fire();
        self.join.join().expect("waiter");
    }
}

fn wake_steps(s: &Settings) -> u64 {
    (s.object_wake_samples + DISCARDED_SAMPLES) as u64
}

fn wake_table(s: &Settings, progress: &Progress) -> Table {
    let waiters: Vec<Waiter> = Blocked::ALL.iter().map(|&k| Waiter::spawn(k)).collect();
    let mut samples = vec![Vec::with_capacity(s.object_wake_samples); waiters.len()];
    for i in 0..s.object_wake_samples + DISCARDED_SAMPLES {
        progress.run(format!("wake-up sample {}", i + 1), || {
            // Each round starts with another contender, so none is always first.
            for k in 0..waiters.len() {
                let which = (i + k) % waiters.len();
                let w = &waiters[which];
                wait_until_asleep(w.tid, IDLE_BEFORE_SAMPLE);
                let latency = w.sample();
                if i >= DISCARDED_SAMPLES {
                    samples[which].push(latency.as_secs_f64() * 1e6);
                }
            }
        });
    }
    let mut table = Table::new(
        format!(
            "{} samples each; before each, the waiter has been blocked ≥ {} ms and is asleep \
             in the kernel (/proc state S); from just before the set to the wait's return",
            s.object_wake_samples,
            IDLE_BEFORE_SAMPLE.as_millis()
        ),
        Kind::Latency,
    );
    for (w, samples) in waiters.iter().zip(samples) {
        table.push(w.kind.id(), w.kind.name(), samples, BTreeMap::new());
    }
    for w in waiters {
        w.stop();
    }
    table.finish()
}

pub(crate) fn steps(s: &Settings) -> u64 {
    time_steps(s, PAIRS.len())
        + time_steps(s, SETS.len())
        + wake_steps(s)
        + time_steps(s, INDEPENDENT.len())
}

/// `objects`.
pub(crate) fn run(s: &Settings, progress: &Progress) -> GroupReport {
    let pairs = time_table(
        s,
        progress,
        &PAIRS,
        s.object_pairs,
        format!(
            "signal, then take the signal, on one thread with nobody else involved: {} pairs \
             per run, {} runs; one op = one pair",
            thousands(s.object_pairs),
            s.reps
        ),
    );
    let sets = time_table(
        s,
        progress,
        &SETS,
        s.event_sets,
        format!(
            "signal an object nobody waits on: {} signals per run over {BATCH} distinct objects, \
             reset untimed between passes, {} runs",
            thousands(s.event_sets),
            s.reps
        ),
    );
    let wake = wake_table(s, progress);
    let independent = time_table(
        s,
        progress,
        &INDEPENDENT,
        s.object_pairs,
        format!(
            "independent objects: set + wait on one thread, and split over \
             {INDEPENDENT_THREADS} threads each with its own event, semaphore, mutex or pair: {} pairs per run \
             in all, {} runs; one op = one pair, by the wall clock of the whole run",
            thousands(s.object_pairs),
            s.reps
        ),
    );
    let rate = |one: &str, two: &str| {
        let median = |id| independent.row(id).map_or(f64::NAN, |r| r.summary.median);
        median(one) / median(two)
    };
    let scaling = format!(
        "independent objects: rate with {INDEPENDENT_THREADS} threads ÷ rate with 1 (medians): \
         ours {:.2} (events), {:.2} (semaphores), {:.2} (mutexes), std Mutex + Condvar {:.2}",
        rate("ours-1-thread", "ours-2-threads"),
        rate("ours-semaphore-1-thread", "ours-semaphore-2-threads"),
        rate("ours-mutex-1-thread", "ours-mutex-2-threads"),
        rate("std-mutex-condvar-1-thread", "std-mutex-condvar-2-threads"),
    );
    GroupReport {
        name: "objects",
        description: "events, semaphores and mutexes against a std Mutex<bool> + Condvar: uncontended \
                      cost, wake-up latency, independent objects on two threads",
        tables: vec![pairs, sets, wake, independent],
        notes: vec![
            scaling,
            "set + wait: the event is auto-reset, so each wait_one finds it signaled and \
             takes it (returns Signaled(0)); the std pair sets the flag and calls notify_one \
             under the lock, then locks again, finds the flag and clears it"
                .to_owned(),
            "wake-up: the waker sets event 63 of the 64 (or the single event, or the flag) \
             and the woken thread stamps the time as its wait returns"
                .to_owned(),
        ],
    }
}
