//! `alertable bench`: measures the library against what one would use instead — channels
//! of boxed closures, `std::thread::park`, a raw futex, a `Mutex<bool>` with a `Condvar`,
//! `std::thread::sleep`, and between processes a Unix socket, pipes and iceoryx2 — in the
//! same run (in the same process too, but for the peer processes of `cross-process` and
//! `pipe`), and prints each contender's ratio against ours.
//!
//! Groups: `throughput`, `multi-producer`, `ping-pong`, `idle-wake`, `idle-cpu`,
//! `allocations`, `objects`, `timers`, `io`, `port`, `pool`, `calloop`, `cross-process` and
//! `pipe` (see `BENCHMARKS.md` at the repository root for what each measures). With
//! `--report DIR`, `DIR/index.html` shows every group's samples as a plot, with the
//! environment and the goal verdicts.

use std::fs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

mod alloc;
mod cross_process;
mod env;
mod event_loop;
mod goals;
mod idle;
mod io;
mod objects;
mod page;
mod pingpong;
mod pipe;
mod pool;
mod port;
mod probe;
mod report;
mod stats;
mod throughput;
mod timers;
mod work;

pub(crate) use cross_process::peer;
use env::Environment;
use report::GroupReport;

/// Arguments of `alertable bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct BenchArgs {
    /// Small workloads: proves that every benchmark works, in well under 30 seconds; the
    /// numbers mean little.
    #[arg(long)]
    quick: bool,
    /// Also write the results, with the environment, as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Also write DIR/index.html: a plot of every group's samples, the environment and
    /// the goal verdicts. DIR is created if need be.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// List the benchmark groups and exit.
    #[arg(long)]
    list: bool,
    /// Groups to run (default: all). `--list` shows them.
    #[arg(value_name = "NAME")]
    groups: Vec<String>,
}

/// How much work each group does.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Settings {
    /// Timed repetitions per contender (also the idle-cpu windows).
    pub(crate) reps: usize,
    /// Closures per throughput run.
    pub(crate) throughput_ops: usize,
    /// Round trips per ping-pong run.
    pub(crate) ping_pong_trips: usize,
    /// Wake-up samples per idle-wake contender.
    pub(crate) idle_wake_samples: usize,
    /// How long the idle-cpu consumers stay idle per window.
    #[serde(rename = "idle_cpu_window_ms", serialize_with = "as_millis")]
    pub(crate) idle_cpu_window: Duration,
    /// Signal-and-take pairs per `objects` run.
    pub(crate) object_pairs: usize,
    /// `Event::set` calls (and rivals') per `objects` run.
    pub(crate) event_sets: usize,
    /// Wake-up samples per `objects` waiter.
    pub(crate) object_wake_samples: usize,
    /// Periods of the 1 ms periodic timer.
    pub(crate) timer_periods: usize,
    /// Timers armed, then cancelled, per run.
    pub(crate) timer_arms: usize,
    /// One-shot 1 ms samples per contender.
    pub(crate) timer_one_shot_samples: usize,
    /// Completion packets per `port` run.
    pub(crate) port_packets: usize,
    /// Wake-up samples per `calloop` consumer.
    pub(crate) calloop_samples: usize,
    /// Messages per `cross-process` throughput run.
    pub(crate) cross_process_messages: usize,
    /// Round trips per `cross-process` round-trip run.
    pub(crate) cross_process_trips: usize,
    /// Work items per `pool` run.
    pub(crate) pool_items: usize,
    /// Registered-wait latency samples (and hand-off samples) of `pool`.
    pub(crate) pool_wait_samples: usize,
    /// Round trips per `pipe` round-trip run.
    pub(crate) pipe_trips: usize,
    /// 4 KiB writes per `pipe` throughput run.
    pub(crate) pipe_chunks: usize,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u128(d.as_millis())
}

impl Settings {
    fn full() -> Self {
        Self {
            reps: 7,
            throughput_ops: 1_000_000,
            ping_pong_trips: 20_000,
            idle_wake_samples: 300,
            idle_cpu_window: Duration::from_secs(1),
            object_pairs: 200_000,
            event_sets: 512_000,
            object_wake_samples: 1_000,
            timer_periods: 2_000,
            timer_arms: 100_000,
            timer_one_shot_samples: 500,
            port_packets: 500_000,
            calloop_samples: 300,
            cross_process_messages: 50_000,
            cross_process_trips: 5_000,
            pool_items: 1_000_000,
            pool_wait_samples: 1_000,
            pipe_trips: 5_000,
            pipe_chunks: 20_000,
        }
    }

    fn quick() -> Self {
        Self {
            reps: 5,
            throughput_ops: 50_000,
            ping_pong_trips: 2_000,
            idle_wake_samples: 30,
            idle_cpu_window: Duration::from_millis(100),
            object_pairs: 20_000,
            event_sets: 51_200,
            object_wake_samples: 30,
            timer_periods: 200,
            timer_arms: 10_000,
            timer_one_shot_samples: 50,
            port_packets: 20_000,
            calloop_samples: 30,
            cross_process_messages: 2_000,
            cross_process_trips: 200,
            pool_items: 50_000,
            pool_wait_samples: 100,
            pipe_trips: 200,
            pipe_chunks: 500,
        }
    }
}

/// The progress bar, on stderr; hidden when stderr is not a terminal.
pub(crate) struct Progress {
    bar: ProgressBar,
}

impl Progress {
    fn new(steps: u64) -> Self {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(steps), target);
        bar.set_style(
            ProgressStyle::with_template("{prefix:>14} [{bar:30}] {pos}/{len} {wide_msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        Self { bar }
    }

    /// Runs one step of a benchmark, showing `what` meanwhile. The bar is drawn only
    /// between steps, from this thread: no ticker thread runs during a measurement.
    pub(crate) fn run<T>(&self, what: impl Into<String>, f: impl FnOnce() -> T) -> T {
        self.bar.set_message(what.into());
        let result = f();
        self.bar.inc(1);
        result
    }

    fn group(&self, name: &'static str) {
        self.bar.set_prefix(name);
    }

    fn print(&self, text: &str) {
        self.bar.suspend(|| print!("{text}"));
    }
}

/// A benchmark group.
struct Group {
    name: &'static str,
    about: &'static str,
    steps: fn(&Settings) -> u64,
    run: fn(&Settings, &Progress) -> GroupReport,
}

const GROUPS: [Group; 14] = [
    Group {
        name: "throughput",
        about: "1 producer sends closures to 1 consumer: ns per closure",
        steps: throughput::throughput_steps,
        run: throughput::throughput,
    },
    Group {
        name: "multi-producer",
        about: "1, 2 and 4 producers share the closures: ns per closure, scaling",
        steps: throughput::multi_producer_steps,
        run: throughput::multi_producer,
    },
    Group {
        name: "ping-pong",
        about: "a closure bounces between two threads: ns per round trip",
        steps: pingpong::steps,
        run: pingpong::run,
    },
    Group {
        name: "idle-wake",
        about: "wake-up latency of a sleeping consumer: median and p99",
        steps: idle::wake_steps,
        run: idle::wake,
    },
    Group {
        name: "idle-cpu",
        about: "CPU time of a consumer idle for a second",
        steps: idle::cpu_steps,
        run: idle::cpu,
    },
    Group {
        name: "allocations",
        about: "allocations per closure delivered, for the throughput contenders but kanal",
        steps: throughput::allocations_steps,
        run: throughput::allocations,
    },
    Group {
        name: "objects",
        about: "Event::set + wait_one vs Mutex + Condvar; wake-up from wait_any over 64",
        steps: objects::steps,
        run: objects::run,
    },
    Group {
        name: "timers",
        about: "periodic routine and one-shot lateness; arm and cancel cost",
        steps: timers::steps,
        run: timers::run,
    },
    Group {
        name: "io",
        about: "4 KiB random file reads, depth 1 and 32: read_ex vs raw io_uring (plain, and with APCs) vs pread",
        steps: io::steps,
        run: io::run,
    },
    Group {
        name: "port",
        about: "packets through a completion port to 1, 2 and 4 workers vs crossbeam MPMC",
        steps: port::steps,
        run: port::run_group,
    },
    Group {
        name: "pool",
        about: "1M work items vs crossbeam, rayon and tokio pools; 10,000 waits without threads; timer",
        steps: pool::steps,
        run: pool::run,
    },
    Group {
        name: "calloop",
        about: "APC wake-up inside a calloop loop via ApcNotifier, vs a thread in sleep_ex",
        steps: event_loop::steps,
        run: event_loop::run,
    },
    Group {
        name: "cross-process",
        about: "remote APCs to a peer process vs a Unix socket, pipes and iceoryx2; named events",
        steps: cross_process::steps,
        run: cross_process::run,
    },
    Group {
        name: "pipe",
        about: "named pipes between processes vs raw Unix sockets: round trip, 4 KiB throughput",
        steps: pipe::steps,
        run: pipe::run,
    },
];

/// Everything one run produced, as written by `--json`.
#[derive(Debug, Serialize)]
struct Results {
    environment: Environment,
    mode: &'static str,
    settings: Settings,
    groups: Vec<GroupReport>,
    goals: Vec<goals::Goal>,
    wall_time_s: f64,
}

fn valid_names() -> String {
    GROUPS.iter().map(|g| g.name).collect::<Vec<_>>().join(", ")
}

/// Runs `alertable bench`.
pub(crate) fn run(args: BenchArgs) -> ExitCode {
    if args.list {
        for g in &GROUPS {
            println!("{:<16} {}", g.name, g.about);
        }
        return ExitCode::SUCCESS;
    }
    if let Some(bad) = args
        .groups
        .iter()
        .find(|n| !GROUPS.iter().any(|g| g.name == n.as_str()))
    {
        eprintln!(
            "error: unknown benchmark group `{bad}`; valid groups: {}",
            valid_names()
        );
        return ExitCode::from(2);
    }
    let selected: Vec<&Group> = GROUPS
        .iter()
        .filter(|g| args.groups.is_empty() || args.groups.iter().any(|n| n == g.name))
        .collect();
    // Created before anything runs: a directory that cannot be written is known at once.
    let page = match args.report.as_deref().map(page::Page::create).transpose() {
        Ok(page) => page,
        Err(e) => {
            let dir = args.report.as_deref().unwrap_or(Path::new("")).display();
            eprintln!("error: cannot write the report to {dir}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (mode, settings) = if args.quick {
        ("quick", Settings::quick())
    } else {
        ("full", Settings::full())
    };

    let started = Instant::now();
    let environment = Environment::capture();
    println!("alertable bench ({mode})");
    println!("{environment}");
    if environment.profile == "debug" {
        println!("warning: debug build; run with --release for meaningful numbers");
    }
    println!(
        "times are medians over {} runs; “vs ours” = contender's median time ÷ ours \
         (first row): “1.42× slower” means it takes 1.42 times as long",
        settings.reps
    );

    let progress = Progress::new(selected.iter().map(|g| (g.steps)(&settings)).sum());
    let mut groups = Vec::with_capacity(selected.len());
    for group in selected {
        progress.group(group.name);
        // The machine's regime can change while a group runs: probed on both sides.
        let before = probe::run();
        let mut report = (group.run)(&settings, &progress);
        let after = probe::run();
        report
            .notes
            .push(format!("regime before the group: {before}"));
        report
            .notes
            .push(format!("regime after the group:  {after}"));
        progress.print(&report.render());
        groups.push(report);
    }
    progress.bar.finish_and_clear();

    let goals = goals::evaluate(&groups);
    print!("{}", goals::render(&goals));
    if args.quick {
        println!("  (quick run: the workloads are too small for these verdicts to mean much)");
    }
    let wall_time_s = started.elapsed().as_secs_f64();
    println!("\ntotal time: {wall_time_s:.1} s");

    let results = Results {
        environment,
        mode,
        settings,
        groups,
        goals,
        wall_time_s,
    };
    if let Some(path) = args.json {
        let text = serde_json::to_string_pretty(&results).expect("results serialize");
        if let Err(e) = fs::write(&path, text + "\n") {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("results written to {}", path.display());
    }
    if let Some(page) = page {
        let path = page.path().to_owned();
        if let Err(e) = page.write(&results) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("report written to {}", path.display());
    }
    ExitCode::SUCCESS
}
