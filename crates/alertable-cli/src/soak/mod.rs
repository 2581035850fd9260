//! `alertable soak`: every part of the library under randomized load at once, for minutes,
//! checking every invariant the whole time.
//!
//! Races that need millions of interleavings — a timer routine slipping past `cancel`, a
//! read buffer freed while the kernel still writes into it — do not show in unit tests,
//! nor in a run of a few seconds. The soak runs the workloads side by side, each on its own
//! threads, each driven by its own stream of random choices derived from one printed seed
//! ([`rng`]), and each checking what the specification promises as it goes:
//!
//! | workload   | what it does                                              | what it checks |
//! |------------|-----------------------------------------------------------|----------------|
//! | `apcs`     | producers queue APCs and post messages to consumers waiting alertably in `sleep_ex`, `wait_any`, `msg_wait`, `test_alert` (and not alertably) | every APC runs exactly once, in each producer's order; never in a non-alertable wait; `Alerted` only after an APC ran (B, H) |
//! | `churn`    | threads exit with APCs queued and reads pending on pipes and files (some issued inside an APC, some of data evicted from the page cache), in every completion style | queued APCs are dropped, never run; routines of pending reads never run; event and poll requests end aborted or with exact data; a cancelled pipe read consumes nothing (C, K121) |
//! | `timers`   | timers armed, re-armed, cancelled and dropped while firing, from their setter's thread and from another; setters that exit | no routine runs after `cancel`, a new `set` or the last drop returned; one-shot routines run at most once, periodic ones plausibly often (M140–M145) |
//! | `files`    | reads of 1–16 KiB at random offsets of a known file, across its end, by poll, event, routine (chained) and port, some of evicted data, some cancelled mid-flight | data byte-exact, byte counts exact, every error documented (end of file, aborted — nothing else), every request completes (J, K, L) |
//! | `ports`    | completion ports closed under threads waiting in `get`, `get_many` and on the port as an object | every waiter returns, `Closed` after the close; no packet is delivered twice (L131) |
//! | `mutexes`  | mutexes whose owner exits holding them, with and without a waiter already blocked | the next owner sees `Abandoned`, then ownership works as usual (G) |
//! | `actors`   | actors stopped (`Drain` or `Now`) while senders stream messages at them | each sender's messages handled in order, as a prefix; `handled + dropped` = accepted |
//!
//! Besides, the main thread samples the process's resident memory, open descriptors and
//! threads every two seconds ([`resources`]): after a warm-up each must stay within a
//! generous bound of its value at the end of the warm-up.
//!
//! A progress line is printed every ten seconds and a summary at the end. A violation does
//! not stop the run — how often a race strikes is worth knowing — but the run then fails
//! (non-zero exit) and prints the first violations of each workload in detail.

use std::fmt::{self, Display};
use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use alertable::{Alertable, JoinHandle, WaitStatus};
use clap::builder::{PossibleValue, PossibleValuesParser};

mod actors;
mod apcs;
mod churn;
mod files;
mod mutexes;
mod ports;
mod resources;
mod rng;
mod timers;

pub(crate) use rng::Rng;

/// One workload: a name for `--only`, and the function that runs it until the soak stops.
struct Workload {
    name: &'static str,
    run: fn(&Arc<Soak>),
}

/// Every workload, in the order the summary lists them.
const WORKLOADS: &[Workload] = &[
    Workload {
        name: "apcs",
        run: apcs::run,
    },
    Workload {
        name: "churn",
        run: churn::run,
    },
    Workload {
        name: "timers",
        run: timers::run,
    },
    Workload {
        name: "files",
        run: files::run,
    },
    Workload {
        name: "ports",
        run: ports::run,
    },
    Workload {
        name: "mutexes",
        run: mutexes::run,
    },
    Workload {
        name: "actors",
        run: actors::run,
    },
];

/// How long a workload may take to finish once the soak stops, and how long any one
/// thing the soak waits for (a completion, a thread's exit) may take before its absence
/// counts as a violation. Generous: a loaded machine is slow, not wrong.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// How many violations of each workload are printed in detail.
const DETAILED: u64 = 8;

/// Arguments of `alertable soak`.
#[derive(Debug, clap::Args)]
pub(crate) struct SoakArgs {
    /// How long to run: `90s`, `30m`, `1h`, or plain seconds.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    duration: Duration,

    /// The seed of every random choice [default: taken from the clock, and printed].
    #[arg(long)]
    seed: Option<u64>,

    /// Threads queueing APCs in the `apcs` workload.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    producers: u64,

    /// Threads receiving them.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=64))]
    consumers: u64,

    /// Threads reading the soak's file in the `files` workload.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    readers: u64,

    /// Run only these workloads (comma-separated) [default: all].
    #[arg(long, value_delimiter = ',', value_parser = workload_names())]
    only: Vec<String>,

    /// Where to create the file the `files` and `churn` workloads read [default: the
    /// system's temporary directory].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

fn workload_names() -> PossibleValuesParser {
    PossibleValuesParser::new(WORKLOADS.iter().map(|w| PossibleValue::new(w.name)))
}

/// Parses `90s`, `30m`, `2h`, `1500ms` or a plain number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 90s, 30m or 1h"))?;
    let seconds = match unit {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "m" | "min" => number * 60.0,
        "h" => number * 3600.0,
        _ => return Err(format!("unknown unit `{unit}`: use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| e.to_string())
}

/// What every workload shares: the stop flag, the configuration, the counters and the
/// violations found.
pub(crate) struct Soak {
    /// The run's seed: every thread derives its [`Rng`] from it.
    pub(crate) seed: u64,
    pub(crate) producers: usize,
    pub(crate) consumers: usize,
    pub(crate) readers: usize,
    pub(crate) dir: PathBuf,
    started: Instant,
    stop: AtomicBool,
    violations: AtomicU64,
    first: Mutex<Vec<String>>,
    /// Violations per workload, for the summary.
    by_workload: Mutex<Vec<(&'static str, u64)>>,
    counters: Mutex<Vec<Counter>>,
}

impl fmt::Debug for Soak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Soak")
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

/// A named count, shown in the summary (and, for a workload's headline, in the progress
/// line). Clones share the count.
#[derive(Debug, Clone)]
pub(crate) struct Counter {
    workload: &'static str,
    name: &'static str,
    headline: bool,
    value: Arc<AtomicU64>,
}

impl Counter {
    /// Adds `n`.
    pub(crate) fn add(&self, n: u64) {
        self.value.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds one.
    pub(crate) fn inc(&self) {
        self.add(1);
    }

    /// The count now.
    pub(crate) fn get(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }
}

impl Soak {
    /// Whether the workloads should go on: false once the duration has passed.
    pub(crate) fn running(&self) -> bool {
        !self.stop.load(Ordering::Relaxed)
    }

    /// Seconds since the soak started.
    pub(crate) fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// The random stream `stream` of `workload` (a small number per thread).
    pub(crate) fn rng(&self, workload: &str, stream: u64) -> Rng {
        let salt = workload.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        Rng::new(self.seed ^ salt, stream)
    }

    /// Records a broken invariant: counted, and among the first few printed in detail.
    /// The run goes on: a rare race is counted, and its rate is part of the report.
    pub(crate) fn violation(&self, workload: &'static str, detail: impl Display) {
        let count = self.violations.fetch_add(1, Ordering::Relaxed) + 1;
        let of_workload = {
            let mut by = self
                .by_workload
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match by.iter_mut().find(|(w, _)| *w == workload) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    by.push((workload, 1));
                    1
                }
            }
        };
        if of_workload > DETAILED {
            return;
        }
        let line = format!("[{:8.3} s] {workload}: {detail}", self.elapsed());
        if count <= 3 {
            // The first ones also go out at once: a hung run still shows them.
            let _ = writeln!(io::stderr().lock(), "VIOLATION {line}");
        }
        self.first
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line);
    }

    /// The number of violations so far.
    pub(crate) fn violation_count(&self) -> u64 {
        self.violations.load(Ordering::Relaxed)
    }

    /// A counter of `workload`, listed in the summary.
    pub(crate) fn counter(&self, workload: &'static str, name: &'static str) -> Counter {
        self.register(workload, name, false)
    }

    /// The counter of `workload` that the progress line shows.
    pub(crate) fn headline(&self, workload: &'static str, name: &'static str) -> Counter {
        self.register(workload, name, true)
    }

    fn register(&self, workload: &'static str, name: &'static str, headline: bool) -> Counter {
        let mut counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(existing) = counters
            .iter()
            .find(|c| c.workload == workload && c.name == name)
        {
            return existing.clone();
        }
        let counter = Counter {
            workload,
            name,
            headline,
            value: Arc::new(AtomicU64::new(0)),
        };
        counters.push(counter.clone());
        counter
    }

    fn counters(&self) -> Vec<Counter> {
        self.counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Spawns a named thread of the soak (an alertable thread: its handle is waitable). A
/// panic on it is a violation of `workload`, not the end of the run.
///
/// # Panics
///
/// If the OS cannot create a thread: the soak cannot go on.
pub(crate) fn spawn<T, F>(soak: &Arc<Soak>, workload: &'static str, f: F) -> JoinHandle<Option<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let soak = Arc::clone(soak);
    alertable::Builder::new()
        .name(format!("soak-{workload}"))
        .spawn(move || match panic::catch_unwind(AssertUnwindSafe(f)) {
            Ok(value) => Some(value),
            Err(payload) => {
                soak.violation(
                    workload,
                    format_args!("a thread panicked: {}", panic_message(&*payload)),
                );
                None
            }
        })
        .expect("the soak can create its threads")
}

/// Waits up to [`PATIENCE`] for a thread that is about to finish and returns its value
/// (`None` if it panicked); a thread that does not finish is a violation of `workload` (and
/// is left running). Threads that run until the soak stops are joined with
/// [`join_worker`].
pub(crate) fn join<T>(
    soak: &Soak,
    workload: &'static str,
    what: &str,
    thread: JoinHandle<T>,
) -> Option<T> {
    match alertable::wait_one(thread.thread(), Some(PATIENCE), Alertable::No) {
        Ok(WaitStatus::Signaled(0)) => thread.join().ok(),
        other => {
            soak.violation(
                workload,
                format_args!(
                    "{what} did not finish within {} s (wait returned {other:?})",
                    PATIENCE.as_secs()
                ),
            );
            None
        }
    }
}

/// Joins one of a workload's long-lived threads, which run until the soak stops: waits for
/// as long as the soak runs and then up to [`PATIENCE`] more, after which a thread that has
/// not finished is a violation of `workload` (and is left running).
pub(crate) fn join_worker<T>(
    soak: &Soak,
    workload: &'static str,
    what: &str,
    thread: JoinHandle<T>,
) -> Option<T> {
    let mut deadline = None;
    loop {
        let step = Some(Duration::from_millis(250));
        if let Ok(WaitStatus::Signaled(0)) =
            alertable::wait_one(thread.thread(), step, Alertable::No)
        {
            return thread.join().ok();
        }
        if soak.running() {
            continue;
        }
        let deadline = *deadline.get_or_insert_with(|| Instant::now() + PATIENCE);
        if Instant::now() >= deadline {
            soak.violation(
                workload,
                format_args!(
                    "{what} did not finish within {} s of the stop",
                    PATIENCE.as_secs()
                ),
            );
            return None;
        }
    }
}

/// The text of a panic's payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a non-text panic payload)".to_owned())
}

/// Runs `alertable soak`: success when no invariant broke.
pub(crate) fn run(args: SoakArgs) -> ExitCode {
    let seed = args.seed.unwrap_or_else(|| {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        rng::mix(now.as_nanos() as u64 ^ u64::from(std::process::id()))
    });
    let chosen: Vec<&Workload> = WORKLOADS
        .iter()
        .filter(|w| args.only.is_empty() || args.only.iter().any(|n| n == w.name))
        .collect();
    let soak = Arc::new(Soak {
        seed,
        producers: args.producers as usize,
        consumers: args.consumers as usize,
        readers: args.readers as usize,
        dir: args.dir.unwrap_or_else(std::env::temp_dir),
        started: Instant::now(),
        stop: AtomicBool::new(false),
        violations: AtomicU64::new(0),
        first: Mutex::new(Vec::new()),
        by_workload: Mutex::new(Vec::new()),
        counters: Mutex::new(Vec::new()),
    });
    say(&format!(
        "alertable soak: seed {seed}, {} s, I/O backend {}, workloads {}",
        args.duration.as_secs_f64(),
        alertable_io::backend_name(),
        chosen.iter().map(|w| w.name).collect::<Vec<_>>().join(","),
    ));
    say(&format!(
        "  replay the same choices with: alertable soak --seed {seed} --duration {}s",
        args.duration.as_secs()
    ));

    let threads: Vec<(&str, JoinHandle<Option<()>>)> = chosen
        .iter()
        .map(|w| {
            let soak2 = Arc::clone(&soak);
            let run = w.run;
            (w.name, spawn(&soak, w.name, move || run(&soak2)))
        })
        .collect();

    let mut sampler = resources::Sampler::new(args.duration);
    let deadline = soak.started + args.duration;
    let mut next_progress = soak.started + Duration::from_secs(10);
    let mut last = Progress::default();
    loop {
        let now = Instant::now();
        if now >= deadline || !soak.running() {
            break;
        }
        sampler.sample(&soak);
        if now >= next_progress {
            last = progress(&soak, &sampler, &last);
            next_progress += Duration::from_secs(10);
        }
        let nap = deadline
            .min(next_progress)
            .saturating_duration_since(now)
            .min(resources::EVERY);
        std::thread::sleep(nap);
    }
    soak.stop.store(true, Ordering::Relaxed);
    say(&format!(
        "[{:6.1} s] stopping: the workloads finish what they started and check it",
        soak.elapsed()
    ));

    let stopped_at = Instant::now();
    let mut hung = Vec::new();
    for (name, thread) in threads {
        let left = (stopped_at + 2 * PATIENCE).saturating_duration_since(Instant::now());
        match alertable::wait_one(thread.thread(), Some(left), Alertable::No) {
            Ok(WaitStatus::Signaled(0)) => drop(thread.join()),
            _ => {
                soak.violation(
                    name,
                    format_args!(
                        "did not finish within {} s of the stop",
                        (2 * PATIENCE).as_secs()
                    ),
                );
                hung.push(name);
            }
        }
    }
    sampler.sample(&soak);
    summary(&soak, &sampler, &hung)
}

/// The counts at the previous progress line, for rates.
#[derive(Debug, Default)]
struct Progress {
    at: f64,
    counts: Vec<u64>,
}

/// Prints one progress line: each workload's headline count and rate, the resources, the
/// violations.
fn progress(soak: &Soak, sampler: &resources::Sampler, last: &Progress) -> Progress {
    let at = soak.elapsed();
    let mut headlines: Vec<Counter> = soak.counters().into_iter().filter(|c| c.headline).collect();
    headlines.sort_by_key(|c| WORKLOADS.iter().position(|w| w.name == c.workload));
    let counts: Vec<u64> = headlines.iter().map(Counter::get).collect();
    let span = (at - last.at).max(1e-3);
    let mut line = format!("[{at:6.1} s]");
    for (i, counter) in headlines.iter().enumerate() {
        let before = last.counts.get(i).copied().unwrap_or(0);
        let rate = (counts[i] - before) as f64 / span;
        line.push_str(&format!(
            " {} {} {} ({}/s)",
            counter.workload,
            counter.name,
            human(counts[i] as f64),
            human(rate)
        ));
        line.push(';');
    }
    line.push_str(&format!(
        " {}; violations {}",
        sampler.now_line(),
        soak.violation_count()
    ));
    say(&line);
    Progress { at, counts }
}

/// Prints the final summary and decides the exit code.
fn summary(soak: &Soak, sampler: &resources::Sampler, hung: &[&str]) -> ExitCode {
    let elapsed = soak.elapsed();
    say("");
    say(&format!(
        "summary after {elapsed:.1} s (seed {}, I/O backend {}):",
        soak.seed,
        alertable_io::backend_name()
    ));
    let counters = soak.counters();
    // In the table's order, whatever order the workloads registered their counters in.
    let workloads = WORKLOADS
        .iter()
        .map(|w| w.name)
        .filter(|name| counters.iter().any(|c| c.workload == *name));
    for workload in workloads {
        let items: Vec<String> = counters
            .iter()
            .filter(|c| c.workload == workload)
            .map(|c| format!("{} {}", c.name, c.get()))
            .collect();
        say(&format!("  {workload:8} {}", items.join(", ")));
    }
    for line in sampler.summary_lines() {
        say(&format!("  {line}"));
    }
    let violations = soak.violation_count();
    if violations == 0 {
        say("no violations");
        return ExitCode::SUCCESS;
    }
    let by: Vec<String> = soak
        .by_workload
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .map(|(w, n)| format!("{w} {n}"))
        .collect();
    say(&format!(
        "{violations} violation(s) ({}); the first ones of each workload:",
        by.join(", ")
    ));
    for line in soak
        .first
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
    {
        say(&format!("  {line}"));
    }
    if !hung.is_empty() {
        say(&format!("hung workloads: {}", hung.join(", ")));
        // Their threads are stuck; returning would wait for them at exit.
        let _ = io::stdout().flush();
        std::process::exit(1);
    }
    ExitCode::FAILURE
}

/// `1234567` as `1.23M`.
fn human(n: f64) -> String {
    if n >= 1e9 {
        format!("{:.2}G", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.2}M", n / 1e6)
    } else if n >= 1e4 {
        format!("{:.1}k", n / 1e3)
    } else {
        format!("{n:.0}")
    }
}

/// Prints one line to stdout; a closed stdout is not an error (the exit code still tells).
pub(crate) fn say(line: &str) {
    let _ = writeln!(io::stdout().lock(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("m").is_err());
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(human(999.0), "999");
        assert_eq!(human(12_345.0), "12.3k");
        assert_eq!(human(2_500_000.0), "2.50M");
    }
}
