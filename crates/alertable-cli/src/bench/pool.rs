//! `pool`: the thread pool against what one would use instead.
//!
//! - **Work items**: `n` small closures through a pool of as many threads as CPUs — ours
//!   (`try_submit`), a crossbeam-channel worker pool of boxed closures with the same
//!   threads, a rayon pool of that many threads (`ThreadPool::spawn`), and tokio's
//!   `spawn_blocking` with that many blocking threads. Each closure
//!   does the same trivial work on shared counters; the clock runs from the first
//!   submission until the last closure ran.
//! - **Registered waits**: 10,000 waits set on 10,000 auto-reset events, one event signaled
//!   at a time: the latency from `Event::set` to the start of the wait's callback, against
//!   the hand-off from `Event::set` to a thread blocked in `wait_one` — what a thread per
//!   wait would give, with 10,000 threads.
//! - **Timer**: a periodic 1 ms pool timer, each callback's lateness against its schedule.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use alertable::{Alertable, DueTime, Event, EventReset};
use alertable_pool::{Environment, ThreadPool, Timer, Wait, try_submit};

use super::report::{GroupReport, Kind, Table};
use super::throughput::thousands;
use super::{Progress, Settings};

/// How many waits are set at once in the registered-waits table.
const WAITS: usize = 10_000;

/// The counters every contender's closure updates, and the event the last one sets.
struct Tally {
    ran: AtomicUsize,
    sum: AtomicU64,
    n: usize,
    done: mpsc::SyncSender<Instant>,
}

impl Tally {
    fn work(&self, index: usize) {
        self.sum.fetch_add(index as u64, Ordering::Relaxed);
        if self.ran.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            let _ = self.done.send(Instant::now());
        }
    }

    fn check(&self) {
        let n = self.n as u64;
        assert_eq!(
            self.ran.load(Ordering::Acquire),
            self.n,
            "every item ran once"
        );
        assert_eq!(
            self.sum.load(Ordering::Acquire),
            n * (n - 1) / 2,
            "every item ran once"
        );
    }
}

fn tally(n: usize) -> (Arc<Tally>, mpsc::Receiver<Instant>) {
    let (done, finished) = mpsc::sync_channel(1);
    (
        Arc::new(Tally {
            ran: AtomicUsize::new(0),
            sum: AtomicU64::new(0),
            n,
            done,
        }),
        finished,
    )
}

/// Who runs the work items.
#[derive(Debug, Clone, Copy)]
enum Contender {
    Ours,
    Crossbeam,
    Rayon,
    Tokio,
}

impl Contender {
    const ALL: [Self; 4] = [Self::Ours, Self::Crossbeam, Self::Rayon, Self::Tokio];

    fn id(self) -> &'static str {
        match self {
            Self::Ours => "ours-pool-try-submit",
            Self::Crossbeam => "crossbeam-worker-pool",
            Self::Rayon => "rayon-spawn",
            Self::Tokio => "tokio-spawn-blocking",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Ours => "ours: ThreadPool try_submit",
            Self::Crossbeam => "crossbeam-channel worker pool",
            Self::Rayon => "rayon ThreadPool::spawn",
            Self::Tokio => "tokio spawn_blocking",
        }
    }
}

/// The runners, made once and reused across runs, as a program would keep its pool.
struct Runners {
    threads: usize,
    ours: ThreadPool,
    crossbeam: crossbeam_channel::Sender<Box<dyn FnOnce() + Send>>,
    crossbeam_threads: Vec<thread::JoinHandle<()>>,
    rayon: rayon::ThreadPool,
    tokio: tokio::runtime::Runtime,
}

impl Runners {
    fn new(threads: usize) -> Self {
        let ours = ThreadPool::new();
        ours.set_thread_maximum(threads as u32);
        ours.set_thread_minimum(threads as u32)
            .expect("the pool's threads start");
        let (crossbeam, rx) = crossbeam_channel::unbounded::<Box<dyn FnOnce() + Send>>();
        let crossbeam_threads = (0..threads)
            .map(|_| {
                let rx = rx.clone();
                thread::spawn(move || {
                    while let Ok(job) = rx.recv() {
                        job();
                    }
                })
            })
            .collect();
        let rayon = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a rayon pool");
        let tokio = tokio::runtime::Builder::new_current_thread()
            .max_blocking_threads(threads)
            .build()
            .expect("a tokio runtime");
        Self {
            threads,
            ours,
            crossbeam,
            crossbeam_threads,
            rayon,
            tokio,
        }
    }

    /// One run of `n` items; the time from the first submission to the last item's end.
    fn run(&self, c: Contender, n: usize) -> Duration {
        let (tally, finished) = tally(n);
        let start = Instant::now();
        match c {
            Contender::Ours => {
                let env = self.ours.environment();
                for i in 0..n {
                    let tally = tally.clone();
                    try_submit(&env, move |_| tally.work(i)).expect("the pool is open");
                }
            }
            Contender::Crossbeam => {
                for i in 0..n {
                    let tally = tally.clone();
                    self.crossbeam
                        .send(Box::new(move || tally.work(i)))
                        .expect("the workers run");
                }
            }
            Contender::Rayon => {
                for i in 0..n {
                    let tally = tally.clone();
                    self.rayon.spawn(move || tally.work(i));
                }
            }
            Contender::Tokio => {
                let handle = self.tokio.handle();
                for i in 0..n {
                    let tally = tally.clone();
                    drop(handle.spawn_blocking(move || tally.work(i)));
                }
            }
        }
        let end = finished.recv().expect("the last item reports");
        tally.check();
        end.duration_since(start)
    }

    fn shut_down(self) {
        drop(self.crossbeam);
        for t in self.crossbeam_threads {
            t.join().expect("a crossbeam worker");
        }
        self.tokio.shutdown_background();
    }
}

pub(crate) fn steps(s: &Settings) -> u64 {
    (Contender::ALL.len() * (s.reps + 1) + 2 * s.pool_wait_samples / 100 + 1) as u64
}

/// `pool`: work items, registered-wait latency, periodic timer lateness.
pub(crate) fn run(s: &Settings, progress: &Progress) -> GroupReport {
    let threads = thread::available_parallelism().map_or(2, |n| n.get());
    let n = s.pool_items;
    let runners = Runners::new(threads);
    for c in Contender::ALL {
        progress.run(format!("{}: warm-up", c.name()), || runners.run(c, n / 10));
    }
    let mut samples = vec![Vec::with_capacity(s.reps); Contender::ALL.len()];
    for rep in 1..=s.reps {
        for (c, samples) in Contender::ALL.iter().zip(&mut samples) {
            let elapsed = progress.run(format!("{}: run {rep}/{}", c.name(), s.reps), || {
                runners.run(*c, n)
            });
            samples.push(elapsed.as_secs_f64() * 1e9 / n as f64);
        }
    }
    let mut items = Table::new(
        format!(
            "{} small work items on {} threads, {} runs",
            thousands(n),
            runners.threads,
            s.reps
        ),
        Kind::Time,
    );
    for (c, samples) in Contender::ALL.iter().zip(samples) {
        items.push(c.id(), c.name(), samples, BTreeMap::new());
    }
    let pool_threads = runners.ours.threads();
    runners.shut_down();

    let (waits, wait_threads) = registered_waits(s, progress);
    let timer = timer_lateness(s, progress);
    GroupReport {
        name: "pool",
        description: "the thread pool: work items, waits that cost no thread, a periodic timer",
        tables: vec![items.finish(), waits, timer],
        notes: vec![
            format!(
                "work items: every contender has {threads} threads (ours ended with \
                 {pool_threads}); each item adds its index to shared counters"
            ),
            format!(
                "registered waits: {WAITS} waits set, the pool used {wait_threads} threads; a \
                 thread per wait would use {WAITS}"
            ),
        ],
    }
}

/// Spins until `slot` holds a time stamp; returns it.
fn spin_for(slot: &AtomicU64) -> u64 {
    loop {
        let t = slot.swap(0, Ordering::AcqRel);
        if t != 0 {
            return t;
        }
        std::hint::spin_loop();
    }
}

/// Nanoseconds since `base`, at least 1 (0 means "not yet").
fn stamp(base: Instant) -> u64 {
    (base.elapsed().as_nanos() as u64).max(1)
}

/// The registered-waits table, and how many threads the pool used.
fn registered_waits(s: &Settings, progress: &Progress) -> (Table, u32) {
    let samples = s.pool_wait_samples;
    let base = Instant::now();
    let slot = Arc::new(AtomicU64::new(0));
    let pool = ThreadPool::new();
    let env = Environment::new(&pool);
    let events: Vec<Event> = (0..WAITS)
        .map(|_| Event::new(EventReset::Auto, false))
        .collect();
    let waits: Vec<Wait> = events
        .iter()
        .map(|e| {
            let slot = slot.clone();
            let wait = Wait::new(&env, move |_, _| slot.store(stamp(base), Ordering::Release));
            wait.set(Box::new(e.clone()), None);
            wait
        })
        .collect();
    let mut ours = Vec::with_capacity(samples);
    for chunk in 0..samples.div_ceil(100) {
        progress.run(format!("registered waits: samples {}", chunk * 100), || {
            for i in chunk * 100..((chunk + 1) * 100).min(samples) {
                let event = &events[i % WAITS];
                // As for the baseline: the pool's threads are asleep before the set.
                thread::sleep(Duration::from_micros(200));
                let set_at = stamp(base);
                event.set();
                let ran_at = spin_for(&slot);
                ours.push(ran_at.saturating_sub(set_at) as f64 / 1e3);
                // Set again for its next turn.
                waits[i % WAITS].set(Box::new(event.clone()), None);
            }
        });
    }
    let threads = pool.threads();
    drop(waits);

    // The baseline: a thread blocked in wait_one, woken by Event::set.
    let event = Event::new(EventReset::Auto, false);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let waiter = {
        let (event, slot, stop) = (event.clone(), slot.clone(), stop.clone());
        thread::spawn(move || {
            while !stop.load(Ordering::Acquire) {
                let _ = alertable::wait_one(&event, None, Alertable::No);
                slot.store(stamp(base), Ordering::Release);
            }
        })
    };
    let mut hand_off = Vec::with_capacity(samples);
    for chunk in 0..samples.div_ceil(100) {
        progress.run(
            format!("wait_one hand-off: samples {}", chunk * 100),
            || {
                for _ in chunk * 100..((chunk + 1) * 100).min(samples) {
                    // Let the waiter block before the set: the hand-off of a sleeping thread.
                    thread::sleep(Duration::from_micros(200));
                    let set_at = stamp(base);
                    event.set();
                    let ran_at = spin_for(&slot);
                    hand_off.push(ran_at.saturating_sub(set_at) as f64 / 1e3);
                }
            },
        );
    }
    stop.store(true, Ordering::Release);
    event.set();
    waiter.join().expect("the waiter");

    let mut table = Table::new(
        format!("Event::set → callback, one of {WAITS} waits at a time, {samples} samples"),
        Kind::Latency,
    );
    table.push(
        "ours-registered-wait",
        "ours: pool Wait (no thread waits)",
        ours,
        BTreeMap::new(),
    );
    table.push(
        "wait-one-hand-off",
        "a thread in wait_one (one thread per wait)",
        hand_off,
        BTreeMap::new(),
    );
    (table.finish(), threads)
}

/// The periodic-timer table: each callback's lateness against its 1 ms schedule.
fn timer_lateness(s: &Settings, progress: &Progress) -> Table {
    let periods = s.timer_periods;
    let pool = ThreadPool::new();
    let (tx, rx) = mpsc::channel();
    let timer = Timer::new(&pool.environment(), move |_| {
        let _ = tx.send(Instant::now());
    });
    let period = Duration::from_millis(1);
    let start = Instant::now();
    timer.set(Some(DueTime::After(period)), Some(period), Duration::ZERO);
    let fired: Vec<Instant> = progress.run(format!("pool timer: {periods} periods"), || {
        rx.iter().take(periods).collect()
    });
    timer.set(None, None, Duration::ZERO);
    // Lateness against the schedule start + k periods; periods already past coalesce (the
    // timer skips them), so each firing is matched with the latest scheduled time before it.
    let lateness: Vec<f64> = fired
        .iter()
        .map(|&at| {
            let since = at.duration_since(start).as_nanos() as f64;
            let p = period.as_nanos() as f64;
            let k = (since / p).floor().max(1.0);
            (since - k * p) / 1e3
        })
        .collect();
    let mut table = Table::uncompared(
        format!("a periodic 1 ms pool timer: lateness of {periods} callbacks"),
        Kind::Latency,
    );
    table.push(
        "ours-pool-timer",
        "ours: pool Timer",
        lateness,
        BTreeMap::new(),
    );
    table.finish()
}
