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
//!   wait would give, with 10,000 threads. Like with like: the two are interleaved sample
//!   by sample, each set comes after a quiet time and once the woken thread sleeps (so
//!   whether a wait watches before sleeping makes no difference), and the threads are
//!   pinned, the woken ones to another CPU than the setter's, then to the same one: left
//!   to the scheduler, each thread settled in one placement or the other for a whole run,
//!   and the two placements differ by 3× on a virtual machine.
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
    // Two placements of the registered waits, in chunks of 100 samples (and 20 warm-up).
    (Contender::ALL.len() * (s.reps + 1) + 2 * (s.pool_wait_samples + 20).div_ceil(100) + 1) as u64
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

    let waits = registered_waits(s, progress);
    let timer = timer_lateness(s, progress);
    // The timer keeps its place (the goals read the tables by position); the same-CPU
    // waits come last.
    let mut tables = vec![items.finish()];
    tables.extend(waits.table(Placement::OtherCpu));
    tables.push(timer);
    tables.extend(waits.table(Placement::SameCpu));
    GroupReport {
        name: "pool",
        description: "the thread pool: work items, waits that cost no thread, a periodic timer",
        tables,
        notes: vec![
            format!(
                "work items: every contender has {threads} threads (ours ended with \
                 {pool_threads}); each item adds its index to shared counters"
            ),
            waits.note(),
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

/// Where the woken thread runs, relative to the thread that sets the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// On another CPU: the usual case of a pool, whose callbacks run beside the thread
    /// that signaled.
    OtherCpu,
    /// On the setting thread's own CPU: the woken thread preempts it.
    SameCpu,
}

impl Placement {
    fn describe(self) -> &'static str {
        match self {
            Self::OtherCpu => "the woken thread on another CPU",
            Self::SameCpu => "the woken thread on the setter's CPU",
        }
    }
}

thread_local! {
    /// The CPU this thread pinned itself to (plus one; 0: not pinned), and its id.
    static PINNED: std::cell::Cell<(usize, i32)> = const { std::cell::Cell::new((0, 0)) };
}

/// The woken side of one contender, as the setting thread sees it: where the woken thread
/// reports its time stamp, the CPU it is to run on, and its thread id.
struct Wakee {
    slot: AtomicU64,
    /// The CPU to run on, plus one (0: anywhere).
    cpu: AtomicUsize,
    tid: std::sync::atomic::AtomicI32,
}

impl Wakee {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            slot: AtomicU64::new(0),
            cpu: AtomicUsize::new(0),
            tid: std::sync::atomic::AtomicI32::new(0),
        })
    }

    /// Called by the woken thread when it runs: reports the time, then moves to the CPU
    /// asked for and tells its id (both after the time stamp, outside what is measured).
    fn woken(&self, base: Instant) {
        self.slot.store(stamp(base), Ordering::Release);
        let (pinned, mut tid) = PINNED.get();
        if tid == 0 {
            tid = rustix::thread::gettid().as_raw_nonzero().get();
        }
        let want = self.cpu.load(Ordering::Acquire);
        let mut now = pinned;
        if want != 0 && want != pinned && pin(want - 1) {
            now = want;
        }
        PINNED.set((now, tid));
        self.tid.store(tid, Ordering::Release);
    }

    /// Whether the woken thread is asleep in the kernel right now (state `S` in its
    /// `/proc` entry), not running or watching for the set; true if that cannot be told.
    fn asleep(&self) -> bool {
        let tid = self.tid.load(Ordering::Acquire);
        if tid == 0 {
            return true;
        }
        std::fs::read_to_string(format!("/proc/self/task/{tid}/stat"))
            .ok()
            .and_then(|stat| sleeping(&stat))
            .unwrap_or(true)
    }
}

/// Whether a `/proc/…/stat` line says the thread sleeps (state `S`); `None` if it cannot be
/// read. The state follows the command name, which is in parentheses and may hold any.
fn sleeping(stat: &str) -> Option<bool> {
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.trim_start().starts_with('S'))
}

/// Pins the calling thread to `cpu`; whether it worked.
pub(crate) fn pin(cpu: usize) -> bool {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    rustix::thread::sched_setaffinity(None, &set).is_ok()
}

/// The CPUs this process may run on, in order.
pub(crate) fn allowed_cpus() -> Vec<usize> {
    rustix::thread::sched_getaffinity(None).map_or_else(
        |_| Vec::new(),
        |set| {
            (0..rustix::thread::CpuSet::MAX_CPU)
                .filter(|&c| set.is_set(c))
                .collect()
        },
    )
}

/// How long the machine is left quiet before each set: long enough for both woken
/// threads to have stopped watching (10 µs, plus a few yields) and gone to sleep.
const QUIET: Duration = Duration::from_micros(200);

/// One sample: waits until the woken thread sleeps, sets `event`, and returns the µs until
/// it reported; whether it had to wait past the quiet time.
fn sample(base: Instant, wakee: &Wakee, set: impl FnOnce()) -> (f64, bool) {
    thread::sleep(QUIET);
    // Both sides asleep before the set, whatever their waits do before sleeping.
    let mut waited = false;
    for _ in 0..1_000 {
        if wakee.asleep() {
            break;
        }
        waited = true;
        thread::sleep(QUIET);
    }
    let set_at = stamp(base);
    set();
    let ran_at = spin_for(&wakee.slot);
    (ran_at.saturating_sub(set_at) as f64 / 1e3, waited)
}

/// The registered-wait latencies, ours and the hand-off's, for each placement: interleaved
/// sample by sample, so that both see the same machine.
struct WaitLatencies {
    placements: Vec<(Placement, Vec<f64>, Vec<f64>)>,
    threads: u32,
    /// Samples whose woken thread was still awake after the quiet time.
    late_sleepers: usize,
    /// The setting CPU and the other CPU, if pinning worked.
    cpus: Option<(usize, Option<usize>)>,
}

/// Measures the registered waits against the `wait_one` hand-off.
fn registered_waits(s: &Settings, progress: &Progress) -> WaitLatencies {
    let samples = s.pool_wait_samples;
    let base = Instant::now();
    let (ours_side, their_side) = (Wakee::new(), Wakee::new());

    let pool = ThreadPool::new();
    let env = Environment::new(&pool);
    let events: Vec<Event> = (0..WAITS)
        .map(|_| Event::new(EventReset::Auto, false))
        .collect();
    let waits: Vec<Wait> = events
        .iter()
        .map(|e| {
            let side = ours_side.clone();
            let wait = Wait::new(&env, move |_, _| side.woken(base));
            wait.set(Box::new(e.clone()), None);
            wait
        })
        .collect();

    // The baseline: a thread blocked in wait_one, woken by Event::set.
    let event = Event::new(EventReset::Auto, false);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let waiter = {
        let (event, side, stop) = (event.clone(), their_side.clone(), stop.clone());
        thread::spawn(move || {
            while !stop.load(Ordering::Acquire) {
                let _ = alertable::wait_one(&event, None, Alertable::No);
                side.woken(base);
            }
        })
    };

    // The setting thread on the first CPU, the woken ones on the second or the first; the
    // scheduler's own choice flips between the two from run to run and differs from one
    // thread to the other (see BENCHMARKS.md), which made the ratio of two runs differ
    // by 3×.
    let cpus = allowed_cpus();
    let before = rustix::thread::sched_getaffinity(None).ok();
    let pinned = cpus.first().is_some_and(|&c| pin(c));
    let mut placements = Vec::new();
    if pinned && cpus.len() > 1 {
        placements.push((Placement::OtherCpu, Some(cpus[1])));
    }
    placements.push((Placement::SameCpu, cpus.first().copied().filter(|_| pinned)));

    let mut next = 0;
    let mut late_sleepers = 0;
    let mut results = Vec::new();
    for (placement, cpu) in placements {
        let want = cpu.map_or(0, |c| c + 1);
        ours_side.cpu.store(want, Ordering::Release);
        their_side.cpu.store(want, Ordering::Release);
        let (mut ours, mut hand_off) = (Vec::with_capacity(samples), Vec::with_capacity(samples));
        // A few rounds unrecorded: the woken threads move to their CPU on the first.
        let warm_up = 20;
        for chunk in 0..(samples + warm_up).div_ceil(100) {
            progress.run(
                format!(
                    "registered waits, {}: samples {}",
                    placement.describe(),
                    chunk * 100
                ),
                || {
                    for k in chunk * 100..((chunk + 1) * 100).min(samples + warm_up) {
                        let i = next % WAITS;
                        next += 1;
                        let ours_sample = || sample(base, &ours_side, || events[i].set());
                        let theirs_sample = || sample(base, &their_side, || event.set());
                        // Alternating which side goes first.
                        let ((o, o_late), (t, t_late)) = if k % 2 == 0 {
                            let o = ours_sample();
                            (o, theirs_sample())
                        } else {
                            let t = theirs_sample();
                            (ours_sample(), t)
                        };
                        // Set again for its next turn.
                        waits[i].set(Box::new(events[i].clone()), None);
                        if k >= warm_up {
                            ours.push(o);
                            hand_off.push(t);
                            late_sleepers += usize::from(o_late) + usize::from(t_late);
                        }
                    }
                },
            );
        }
        results.push((placement, ours, hand_off));
    }
    let threads = pool.threads();
    drop(waits);
    stop.store(true, Ordering::Release);
    event.set();
    waiter.join().expect("the waiter");
    if let Some(before) = before {
        let _ = rustix::thread::sched_setaffinity(None, &before);
    }
    WaitLatencies {
        placements: results,
        threads,
        late_sleepers,
        cpus: pinned.then(|| (cpus[0], cpus.get(1).copied())),
    }
}

impl WaitLatencies {
    /// The table of one placement; the other-CPU one keeps the row ids the goals read.
    fn table(&self, placement: Placement) -> Option<Table> {
        let (_, ours, hand_off) = self.placements.iter().find(|(p, ..)| *p == placement)?;
        let (ours_id, theirs_id) = match placement {
            Placement::OtherCpu => ("ours-registered-wait", "wait-one-hand-off"),
            Placement::SameCpu => (
                "ours-registered-wait-same-cpu",
                "wait-one-hand-off-same-cpu",
            ),
        };
        let mut table = Table::new(
            format!(
                "Event::set → callback, one of {WAITS} waits at a time, {}, {} samples",
                placement.describe(),
                ours.len()
            ),
            Kind::Latency,
        );
        table.push(
            ours_id,
            "ours: pool Wait (no thread waits)",
            ours.clone(),
            BTreeMap::new(),
        );
        table.push(
            theirs_id,
            "a thread in wait_one (one thread per wait)",
            hand_off.clone(),
            BTreeMap::new(),
        );
        Some(table.finish())
    }

    fn note(&self) -> String {
        let placement = match self.cpus {
            Some((setter, Some(other))) => format!(
                "the setting thread pinned to CPU {setter}, the woken threads to CPU {other}, \
                 then to CPU {setter}"
            ),
            Some((setter, None)) => {
                format!("one CPU: the setting and the woken threads on CPU {setter}")
            }
            None => "threads not pinned (sched_setaffinity failed)".to_string(),
        };
        format!(
            "registered waits: {WAITS} waits set, the pool used {} threads (a thread per wait \
             would use {WAITS}); ours and the hand-off interleaved sample by sample, each set \
             after {} µs of quiet with the woken thread asleep ({} samples waited longer for \
             that); {placement}",
            self.threads,
            QUIET.as_micros(),
            self.late_sleepers,
        )
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_follows_the_last_parenthesis() {
        assert_eq!(sleeping("42 (alertable-pool) S 1 2"), Some(true));
        assert_eq!(sleeping("42 (a) R (b) S 1 2"), Some(true));
        assert_eq!(sleeping("42 (a) S (b) R 1 2"), Some(false));
        assert_eq!(sleeping("42 no parenthesis"), None);
    }

    /// The check the registered-wait samples wait for: a thread blocked in `wait_one` is
    /// asleep, one that spins is not.
    #[test]
    fn a_blocked_waiter_is_asleep_and_a_spinning_one_is_not() {
        let base = Instant::now();
        let (wakee, event) = (Wakee::new(), Event::new(EventReset::Auto, false));
        let spin = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let thread = {
            let (wakee, event, spin) = (wakee.clone(), event.clone(), spin.clone());
            thread::spawn(move || {
                wakee.woken(base);
                let _ = alertable::wait_one(&event, None, Alertable::No);
                wakee.woken(base);
                while spin.load(Ordering::Acquire) {
                    std::hint::spin_loop();
                }
            })
        };
        spin_for(&wakee.slot);
        // Asleep once it is inside the wait (it may watch for a moment first).
        let deadline = Instant::now() + Duration::from_secs(10);
        while !wakee.asleep() {
            assert!(Instant::now() < deadline, "never asleep in wait_one");
            thread::yield_now();
        }
        event.set();
        spin_for(&wakee.slot);
        assert!(!wakee.asleep(), "spinning: running or runnable");
        spin.store(false, Ordering::Release);
        thread.join().unwrap();
    }
}
