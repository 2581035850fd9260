//! The performance goals, checked against the results of the groups that ran.

use std::fmt;

use serde::Serialize;

use super::report::{GroupReport, Row, Table};

/// Whether a goal is met by this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Status {
    Met,
    Missed,
    /// The group that measures it did not run.
    NotRun,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Met => "met",
            Self::Missed => "MISSED",
            Self::NotRun => "not run",
        })
    }
}

/// One goal and where this run stands.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Goal {
    pub(crate) goal: &'static str,
    pub(crate) measured: String,
    pub(crate) status: Status,
}

/// The most CPU an idle consumer may use, as a fraction of its idle window, and still count
/// as using "no measurable CPU": 1 ms per second. One wake-up (the probe that ends the
/// window) costs tens of microseconds here; a thread that polled even 100 times a second
/// would show as many context switches.
pub(crate) const IDLE_CPU_SHARE: f64 = 1e-3;

/// The most context switches an idle consumer may make over its window: its return to
/// sleep after the first probe (up to four yields of its spin phase, then the futex wait),
/// with room for a preemption or two on a busy machine. A thread that woke even ten times
/// a second would exceed it.
pub(crate) const IDLE_SWITCHES: f64 = 8.0;

fn table<'a>(groups: &'a [GroupReport], group: &str, index: usize) -> Option<&'a Table> {
    groups.iter().find(|g| g.name == group)?.tables.get(index)
}

fn row<'a>(groups: &'a [GroupReport], group: &str, index: usize, id: &str) -> Option<&'a Row> {
    table(groups, group, index)?.row(id)
}

fn goal(goal: &'static str, check: Option<(bool, String)>) -> Goal {
    match check {
        Some((met, measured)) => Goal {
            goal,
            measured,
            status: if met { Status::Met } else { Status::Missed },
        },
        None => Goal {
            goal,
            measured: String::new(),
            status: Status::NotRun,
        },
    }
}

/// Checks every goal against `groups`.
pub(crate) fn evaluate(groups: &[GroupReport]) -> Vec<Goal> {
    let throughput = (|| {
        let ours = row(groups, "throughput", 0, "ours-queue-apc")?;
        let theirs = row(groups, "throughput", 0, "crossbeam-channel")?;
        let speedup = theirs.summary.median / ours.summary.median;
        Some((
            speedup >= 1.5,
            format!(
                "queue_apc {:.1} ns/op vs crossbeam-channel {:.1} ns/op: {speedup:.2}× its throughput",
                ours.summary.median, theirs.summary.median
            ),
        ))
    })();
    // Against the better of the two in the same run: crossbeam-channel where the threads
    // run in parallel (its spin catches the hand-off), the raw futex where they share a
    // CPU (it never spins).
    let ping_pong = (|| {
        let ours = row(groups, "ping-pong", 0, "ours-queue-apc")?
            .summary
            .median;
        let crossbeam = row(groups, "ping-pong", 0, "crossbeam-channel")?
            .summary
            .median;
        let futex = row(groups, "ping-pong", 0, "raw-futex")?.summary.median;
        let (better, name) = if crossbeam <= futex {
            (crossbeam, "crossbeam-channel's")
        } else {
            (futex, "the raw futex's")
        };
        let ratio = ours / better;
        Some((
            ratio <= 1.0,
            format!(
                "{ours:.0} ns per round trip vs crossbeam-channel {crossbeam:.0} ns and the raw \
                 futex {futex:.0} ns: {ratio:.2}× {name}"
            ),
        ))
    })();
    let scaling = (|| {
        let median = |table: usize, id: &str| {
            row(groups, "multi-producer", table, id).map(|r| r.summary.median)
        };
        let ours = [0, 1, 2].map(|t| median(t, "ours-queue-apc"));
        let theirs = [0, 1, 2].map(|t| median(t, "crossbeam-channel"));
        let [one, two, four] = [ours[0]?, ours[1]?, ours[2]?];
        let ahead = [0, 1, 2].map(|t| Some(theirs[t]? / ours[t]?));
        let ahead = [ahead[0]?, ahead[1]?, ahead[2]?];
        let kept = one / four;
        Some((
            kept >= 1.0 && ahead.iter().all(|&a| a >= 1.0),
            format!(
                "queue_apc {one:.1}, {two:.1} and {four:.1} ns/op with 1, 2 and 4 producers: \
                 4 keep {kept:.2}; crossbeam-channel's time ÷ ours: {:.2}, {:.2}, {:.2}",
                ahead[0], ahead[1], ahead[2]
            ),
        ))
    })();
    let idle = (|| {
        let ours = row(groups, "idle-cpu", 0, "ours-sleep-ex")?;
        let window = ours.extra.get("window_us").copied()?;
        let switches = ours.extra.get("context_switches").copied()?;
        let share = ours.summary.median / window;
        let parked = row(groups, "idle-cpu", 0, "std-park").map_or(f64::NAN, |r| r.summary.median);
        Some((
            share <= IDLE_CPU_SHARE && switches <= IDLE_SWITCHES,
            format!(
                "{:.1} µs of CPU per {:.0} ms idle ({:.4} % of a core; limit {:.1} %), \
                 {switches:.0} context switches (limit {IDLE_SWITCHES:.0}); \
                 a thread blocked in std park measured the same way: {parked:.1} µs",
                ours.summary.median,
                window / 1e3,
                share * 100.0,
                IDLE_CPU_SHARE * 100.0,
            ),
        ))
    })();
    let allocations = (|| {
        let total = |table: usize, id: &str| {
            row(groups, "allocations", table, id).and_then(|r| r.extra.get("allocations").copied())
        };
        let worst =
            |table: usize, id: &str| row(groups, "allocations", table, id).map(|r| r.summary.max);
        let paced_worst = worst(1, "ours-queue-apc")?.max(worst(1, "ours-queue-user-apc")?);
        Some((
            paced_worst == 0.0,
            format!(
                "steady state (paced): queue_apc {:.0}, queue_user_apc {:.0} allocations per run \
                 (worst run {paced_worst:.6} per APC); burst: {:.0} and {:.0} per run \
                 ({:.4} and {:.4} per APC: new queue blocks while the queue grows)",
                total(1, "ours-queue-apc")?,
                total(1, "ours-queue-user-apc")?,
                total(0, "ours-queue-apc")?,
                total(0, "ours-queue-user-apc")?,
                row(groups, "allocations", 0, "ours-queue-apc")?
                    .summary
                    .median,
                row(groups, "allocations", 0, "ours-queue-user-apc")?
                    .summary
                    .median,
            ),
        ))
    })();
    let mut goals = vec![
        goal("throughput ≥ 1.5× crossbeam-channel's", throughput),
        goal(
            "ping-pong round trip ≤ 1.0× the better of crossbeam-channel's and the raw futex's",
            ping_pong,
        ),
        goal(
            "4 producers ≥ 1.0× of 1-producer throughput, and ≥ crossbeam-channel's at 1, 2, 4",
            scaling,
        ),
        goal("an idle consumer uses no measurable CPU", idle),
        goal(
            "0 allocations per APC for queue_user_apc and small closures",
            allocations,
        ),
    ];
    goals.push(objects(groups));
    goals.extend(cross_process(groups));
    goals.extend(pipe(groups));
    goals.extend(pool(groups));
    goals
}

/// The goal of the `objects` group: its fourth table runs set + wait pairs on one thread
/// and on two threads with objects of their own.
fn objects(groups: &[GroupReport]) -> Goal {
    let independent = (|| {
        let median = |id| Some(row(groups, "objects", 3, id)?.summary.median);
        let mut worst = f64::INFINITY;
        let mut figures = Vec::new();
        for (kind, one, two) in [
            ("events", "ours-1-thread", "ours-2-threads"),
            (
                "semaphores",
                "ours-semaphore-1-thread",
                "ours-semaphore-2-threads",
            ),
            ("mutexes", "ours-mutex-1-thread", "ours-mutex-2-threads"),
        ] {
            let (one, two) = (median(one)?, median(two)?);
            let speed = one / two;
            worst = worst.min(speed);
            figures.push(format!(
                "{kind} {one:.1} ns per pair on 1 thread, {two:.1} on 2: {speed:.2}×"
            ));
        }
        Some((worst >= 1.6, figures.join("; ")))
    })();
    goal(
        "independent objects: 2 threads signalling and waiting ≥ 1.6× one thread's rate \
         (events, semaphores and mutexes alike)",
        independent,
    )
}

/// The goals of the `pool` group: its tables are the work items (ours first, then the
/// crossbeam-channel pool, rayon and tokio), the registered-wait latency with the woken
/// thread on another CPU (ours, then the `wait_one` hand-off), the periodic timer's
/// lateness, and the registered-wait latency with the woken thread on the setter's CPU.
fn pool(groups: &[GroupReport]) -> Vec<Goal> {
    const GROUP: &str = "pool";
    let work = (|| {
        let ours = row(groups, GROUP, 0, "ours-pool-try-submit")?
            .summary
            .median;
        let (best, id) = [
            "crossbeam-worker-pool",
            "rayon-spawn",
            "tokio-spawn-blocking",
        ]
        .into_iter()
        .filter_map(|id| Some((row(groups, GROUP, 0, id)?.summary.median, id)))
        .min_by(|a, b| a.0.total_cmp(&b.0))?;
        let speed = best / ours;
        Some((
            speed >= 1.0,
            format!("{ours:.0} ns per item vs {best:.0} ns for {id}, the best rival: {speed:.2}×"),
        ))
    })();
    // Met when it holds in each placement measured (one CPU: the same-CPU table alone).
    let wait = {
        let placements = [
            (1, "", "woken on another CPU"),
            (3, "-same-cpu", "on the setter's CPU"),
        ];
        let mut met = true;
        let mut figures = Vec::new();
        for (table, suffix, what) in placements {
            let ours = row(
                groups,
                GROUP,
                table,
                &format!("ours-registered-wait{suffix}"),
            );
            let theirs = row(groups, GROUP, table, &format!("wait-one-hand-off{suffix}"));
            let (Some(ours), Some(theirs)) = (ours, theirs) else {
                continue;
            };
            let (ours, theirs) = (ours.summary.median, theirs.summary.median);
            let ratio = ours / theirs;
            met &= ratio <= 1.5;
            figures.push(format!(
                "{what}: {ours:.1} µs vs {theirs:.1} µs at the median, {ratio:.2}× the hand-off"
            ));
        }
        (!figures.is_empty()).then(|| (met, figures.join("; ")))
    };
    let timer = (|| {
        let ours = &row(groups, GROUP, 2, "ours-pool-timer")?.summary;
        Some((
            ours.p99 <= 300.0,
            format!("p99 {:.1} µs late (median {:.1} µs)", ours.p99, ours.median),
        ))
    })();
    vec![
        goal(
            "pool work items ≥ 1.0× the best of crossbeam, rayon and tokio pools",
            work,
        ),
        goal(
            "pool registered wait: Event::set → callback ≤ 1.5× a wait_one hand-off",
            wait,
        ),
        goal("periodic 1 ms pool timer: lateness p99 ≤ 300 µs", timer),
    ]
}

/// The goals of the `cross-process` group: its tables are throughput at 8 and 64 bytes,
/// round trip, named events and idle peers.
fn cross_process(groups: &[GroupReport]) -> Vec<Goal> {
    const GROUP: &str = "cross-process";
    let median = |table: usize, id: &str| row(groups, GROUP, table, id).map(|r| r.summary.median);
    let round_trip_vs = |id: &'static str, limit: f64| {
        (|| {
            let ours = median(2, "ours-remote-apc")?;
            let theirs = median(2, id)?;
            let ratio = ours / theirs;
            Some((
                ratio <= limit,
                format!("{ours:.0} ns vs {theirs:.0} ns per round trip: {ratio:.2}× {id}'s"),
            ))
        })()
    };
    let throughput = (|| {
        let speedups =
            [0, 1].map(|t| Some(median(t, "unix-seqpacket")? / median(t, "ours-remote-apc")?));
        let [small, large] = [speedups[0]?, speedups[1]?];
        Some((
            small >= 5.0 && large >= 5.0,
            format!(
                "remote APCs {:.0} and {:.0} ns per 8- and 64-byte message, the socket {:.0} \
                 and {:.0}: {small:.2}× and {large:.2}× its throughput",
                median(0, "ours-remote-apc")?,
                median(1, "ours-remote-apc")?,
                median(0, "unix-seqpacket")?,
                median(1, "unix-seqpacket")?,
            ),
        ))
    })();
    let events = (|| {
        let across = median(3, "ours-named-two-processes")?;
        let within = median(3, "ours-named-one-process")?;
        let ratio = across / within;
        Some((
            ratio <= 1.5,
            format!(
                "{across:.0} ns per set + wait round trip across processes, {within:.0} ns \
                 within one: {ratio:.2}×"
            ),
        ))
    })();
    let idle = (|| {
        let ours = row(groups, GROUP, 4, "ours-remote-apc")?;
        let window = ours.extra.get("window_us").copied()?;
        let switches = ours.extra.get("context_switches").copied()?;
        let share = ours.summary.median / window;
        Some((
            share <= IDLE_CPU_SHARE && switches <= IDLE_SWITCHES,
            format!(
                "{:.1} µs of CPU per {:.0} ms idle ({:.4} % of a core), {switches:.0} context \
                 switches",
                ours.summary.median,
                window / 1e3,
                share * 100.0
            ),
        ))
    })();
    vec![
        goal(
            "cross-process round trip ≤ 1.0× iceoryx2's",
            round_trip_vs("iceoryx2", 1.0),
        ),
        goal(
            "cross-process round trip ≤ 0.5× a Unix socket's",
            round_trip_vs("unix-seqpacket", 0.5),
        ),
        goal("cross-process throughput ≥ 5× a Unix socket's", throughput),
        goal(
            "named event set + wait across processes ≤ 1.5× within one",
            events,
        ),
        goal("an idle published thread uses no measurable CPU", idle),
    ]
}

/// The goals of the `pipe` group: its tables are the round trip (ours with `transact`
/// first, the `SOCK_SEQPACKET` pair last) and the 4 KiB throughput (ours, then the
/// `SOCK_STREAM` pair). Both compare rates: the socket's time per op ÷ ours.
fn pipe(groups: &[GroupReport]) -> Vec<Goal> {
    const GROUP: &str = "pipe";
    let median = |table: usize, id: &str| row(groups, GROUP, table, id).map(|r| r.summary.median);
    let round_trip = (|| {
        let ours = median(0, "ours-transact")?;
        let theirs = median(0, "unix-seqpacket")?;
        let rate = theirs / ours;
        Some((
            rate >= 0.9,
            format!("{ours:.0} ns vs {theirs:.0} ns per round trip: {rate:.2}× the socket's rate"),
        ))
    })();
    let throughput = (|| {
        let ours = median(1, "ours-named-pipe")?;
        let theirs = median(1, "unix-stream")?;
        let rate = theirs / ours;
        Some((
            rate >= 0.9,
            format!(
                "{ours:.0} ns vs {theirs:.0} ns per 4 KiB write ({:.0} vs {:.0} MiB/s): \
                 {rate:.2}× the socket's throughput",
                4096.0 * 1e9 / ours / 1048576.0,
                4096.0 * 1e9 / theirs / 1048576.0,
            ),
        ))
    })();
    vec![
        goal(
            "named-pipe round trip (message mode, routines) ≥ 0.9× a SOCK_SEQPACKET pair's rate",
            round_trip,
        ),
        goal(
            "named-pipe 4 KiB byte-mode throughput ≥ 0.9× a SOCK_STREAM pair's",
            throughput,
        ),
    ]
}

/// The goals as text.
pub(crate) fn render(goals: &[Goal]) -> String {
    let mut out = String::from("\n== goals\n");
    for g in goals {
        out.push_str(&format!("  [{:<7}] {}", g.status.to_string(), g.goal));
        if !g.measured.is_empty() {
            out.push_str(&format!("\n            {}", g.measured));
        }
        out.push('\n');
    }
    out
}
