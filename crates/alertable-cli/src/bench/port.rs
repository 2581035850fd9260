//! `port`: completion packets through an I/O completion port to 1, 2 and 4 worker threads,
//! against a crossbeam-channel MPMC channel carrying the same packets to the same workers.
//!
//! Each run uses fresh threads and a fresh port or channel. The posting threads share the
//! packets; the workers loop on `CompletionPort::get(None)` (or `Receiver::recv`) and do
//! the trivial work of the other groups with each packet's token. Once the posters are
//! done, the main thread posts one stop packet per worker; the clock runs from the release
//! of the start barrier until the last worker has taken its stop packet, and every packet
//! must have been worked on exactly once.

use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use alertable_io::{CompletionPacket, CompletionPort};

use super::report::{GroupReport, Kind, Table};
use super::throughput::thousands;
use super::work;
use super::{Progress, Settings};

/// The key of the packet that tells a worker to stop.
const STOP: usize = usize::MAX;

/// `(posting threads, worker threads)` of each table.
pub(crate) const SHAPES: [(usize, usize); 4] = [(1, 1), (1, 2), (1, 4), (2, 4)];

/// Who carries the packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contender {
    /// `CompletionPort::post` / `get`, concurrency 0 (the number of CPUs).
    Port,
    /// `crossbeam_channel::unbounded` of `CompletionPacket`s, shared by the workers.
    Crossbeam,
}

impl Contender {
    const ALL: [Self; 2] = [Self::Port, Self::Crossbeam];

    fn id(self) -> &'static str {
        match self {
            Self::Port => "ours-completion-port",
            Self::Crossbeam => "crossbeam-channel",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Port => "ours: CompletionPort post + get",
            Self::Crossbeam => "crossbeam-channel (MPMC)",
        }
    }

    fn run(self, posters: usize, workers: usize, n: usize) -> Duration {
        match self {
            Self::Port => {
                let port = CompletionPort::new(0);
                let post_port = port.clone();
                run(
                    posters,
                    workers,
                    n,
                    move |packet| post_port.post(packet).expect("the port is open"),
                    move || {
                        let port = port.clone();
                        move || port.get(None).expect("the port is open")
                    },
                )
            }
            Self::Crossbeam => {
                let (tx, rx) = crossbeam_channel::unbounded();
                run(
                    posters,
                    workers,
                    n,
                    move |packet| tx.send(packet).expect("a worker is alive"),
                    move || {
                        let rx = rx.clone();
                        move || rx.recv().expect("a poster is alive")
                    },
                )
            }
        }
    }
}

/// One run: `n` packets from `posters` threads through `post`, taken by `workers` threads
/// each with its own `take` (made by `taker`). Returns the time from the first post until
/// the last worker stopped.
fn run<P, M, T>(posters: usize, workers: usize, n: usize, post: P, taker: M) -> Duration
where
    P: Fn(CompletionPacket) + Clone + Send + 'static,
    M: Fn() -> T,
    T: FnMut() -> CompletionPacket + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(posters + workers + 1));
    let worker_threads: Vec<_> = (0..workers)
        .map(|_| {
            let (barrier, mut take) = (barrier.clone(), taker());
            thread::spawn(move || {
                barrier.wait();
                loop {
                    let packet = take();
                    if packet.key == STOP {
                        return (Instant::now(), work::ran(), work::sum());
                    }
                    work::work(packet.token);
                }
            })
        })
        .collect();
    let poster_threads: Vec<_> = (0..posters)
        .map(|p| {
            let (barrier, post) = (barrier.clone(), post.clone());
            thread::spawn(move || {
                barrier.wait();
                let start = Instant::now();
                for token in n * p / posters..n * (p + 1) / posters {
                    post(CompletionPacket::new(0, token, Ok(0)));
                }
                start
            })
        })
        .collect();
    barrier.wait();
    let start = poster_threads
        .into_iter()
        .map(|p| p.join().expect("poster"))
        .min()
        .expect("one poster at least");
    for _ in 0..workers {
        post(CompletionPacket::new(STOP, 0, Ok(0)));
    }
    let (mut end, mut ran, mut sum) = (start, 0, 0);
    for w in worker_threads {
        let (stopped, r, s) = w.join().expect("worker");
        end = end.max(stopped);
        ran += r;
        sum += s;
    }
    assert_eq!(ran, n as u64, "every packet was worked on once");
    assert_eq!(
        sum,
        work::expected_sum(n),
        "every packet was worked on once"
    );
    end.duration_since(start)
}

pub(crate) fn steps(s: &Settings) -> u64 {
    (SHAPES.len() * Contender::ALL.len() * (s.reps + 1)) as u64
}

/// `port`: one table per shape, contenders interleaved run by run.
pub(crate) fn run_group(s: &Settings, progress: &Progress) -> GroupReport {
    let n = s.port_packets;
    let mut tables = Vec::new();
    for (posters, workers) in SHAPES {
        let shape = format!(
            "{posters} poster{} → {workers} worker{}",
            if posters == 1 { "" } else { "s" },
            if workers == 1 { "" } else { "s" }
        );
        for c in Contender::ALL {
            progress.run(format!("{} {shape}: warm-up", c.name()), || {
                c.run(posters, workers, n / 10)
            });
        }
        let mut samples = vec![Vec::with_capacity(s.reps); Contender::ALL.len()];
        for rep in 1..=s.reps {
            for (c, samples) in Contender::ALL.iter().zip(&mut samples) {
                let elapsed = progress.run(
                    format!("{} {shape}: run {rep}/{}", c.name(), s.reps),
                    || c.run(posters, workers, n),
                );
                samples.push(elapsed.as_secs_f64() * 1e9 / n as f64);
            }
        }
        let mut table = Table::new(
            format!("{shape}, {} packets per run, {} runs", thousands(n), s.reps),
            Kind::Time,
        );
        for (c, samples) in Contender::ALL.iter().zip(samples) {
            table.push(c.id(), c.name(), samples, BTreeMap::new());
        }
        tables.push(table.finish());
    }
    GroupReport {
        name: "port",
        description: "completion packets to 1, 2 and 4 workers: a port against an MPMC channel",
        tables,
        notes: vec![format!(
            "the port's concurrency value is 0, the number of CPUs ({}): with more workers \
             than that, the port lets only that many run at a time; the channel lets all run",
            CompletionPort::new(0).concurrency()
        )],
    }
}
