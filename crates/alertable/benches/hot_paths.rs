//! Micro-benchmarks of the hot paths: queueing an APC, draining a batch of them, and waking
//! a thread asleep in an alertable wait.
//!
//! `cargo bench -p alertable`. The end-to-end comparisons with channels live in
//! `alertable bench` (see `BENCHMARKS.md`).

use std::cell::Cell;
use std::fs;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use alertable::{Alertable, ThreadHandle, sleep_ex, test_alert};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crossbeam_utils::Backoff;

/// APCs queued between two drains while measuring pushes: few enough that the queue's
/// recycled blocks cover them (no allocation in steady state), many enough that reading
/// the clock once per batch costs next to nothing per push.
const PUSH_BATCH: u64 = 64;

/// Times `iters` calls of `push`, draining the queue (untimed) every `PUSH_BATCH`.
fn time_pushes(iters: u64, mut push: impl FnMut(u64)) -> Duration {
    let mut timed = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let batch = (iters - done).min(PUSH_BATCH);
        let start = Instant::now();
        for i in done..done + batch {
            push(i);
        }
        timed += start.elapsed();
        test_alert();
        done += batch;
    }
    timed
}

/// Queueing to the calling thread: the producer side alone, no wake-up.
fn push(c: &mut Criterion) {
    let me = alertable::current();
    let mut group = c.benchmark_group("push");
    group.throughput(Throughput::Elements(1));
    group.bench_function("queue_apc, 8-byte closure", |b| {
        b.iter_custom(|iters| {
            time_pushes(iters, |i| {
                let i = black_box(i);
                me.queue_apc(move || {
                    black_box(i);
                })
                .unwrap();
            })
        });
    });
    group.bench_function("queue_user_apc", |b| {
        fn callback(param: usize) {
            black_box(param);
        }
        b.iter_custom(|iters| {
            time_pushes(iters, |i| {
                me.queue_user_apc(callback, black_box(i as usize)).unwrap();
            })
        });
    });
    group.bench_function("queue_apc, 64-byte closure (boxed)", |b| {
        b.iter_custom(|iters| {
            time_pushes(iters, |i| {
                let payload = black_box([i; 8]);
                me.queue_apc(move || {
                    black_box(payload);
                })
                .unwrap();
            })
        });
    });
    group.finish();
}

/// Running a batch of pending APCs with `test_alert`: the consumer side alone.
fn drain(c: &mut Criterion) {
    let me = alertable::current();
    let mut group = c.benchmark_group("drain");
    for batch in [64u64, 1024] {
        group.throughput(Throughput::Elements(batch));
        group.bench_function(format!("test_alert over {batch} APCs"), |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    for i in 0..batch {
                        let i = black_box(i);
                        me.queue_apc(move || {
                            black_box(i);
                        })
                        .unwrap();
                    }
                    let start = Instant::now();
                    let ran = test_alert();
                    timed += start.elapsed();
                    assert!(ran);
                }
                timed
            });
        });
    }
    group.finish();
}

thread_local! {
    static STOP: Cell<bool> = const { Cell::new(false) };
}

/// A thread that serves APCs in `sleep_ex(None, Alertable::Yes)` until told to stop.
struct Worker {
    join: alertable::JoinHandle<()>,
    tid: u64,
    acks: Arc<AtomicU64>,
}

impl Worker {
    fn spawn() -> Self {
        let join = alertable::spawn(|| {
            while !STOP.get() {
                sleep_ex(None, Alertable::Yes);
            }
        })
        .unwrap();
        let tid = join.thread().id();
        Self {
            join,
            tid,
            acks: Arc::new(AtomicU64::new(0)),
        }
    }

    fn thread(&self) -> &ThreadHandle {
        self.join.thread()
    }

    /// Waits until the worker sleeps in the kernel (`/proc` state `S`): past its spin
    /// phase, parked on its futex.
    fn wait_until_parked(&self) {
        let path = format!("/proc/self/task/{}/stat", self.tid);
        loop {
            let stat = fs::read_to_string(&path).unwrap();
            let state = stat.rsplit_once(')').unwrap().1.trim_start().chars().next();
            if state == Some('S') {
                return;
            }
            thread::sleep(Duration::from_micros(20));
        }
    }

    /// Queues an APC that acknowledges, and waits until it has: spinning first, then
    /// yielding, so that a worker woken on this thread's CPU gets to run.
    fn round_trip(&self) {
        let acks = self.acks.clone();
        let before = acks.load(Ordering::Relaxed);
        self.thread()
            .queue_apc(move || {
                acks.fetch_add(1, Ordering::Release);
            })
            .unwrap();
        let backoff = Backoff::new();
        while self.acks.load(Ordering::Acquire) == before {
            backoff.snooze();
        }
    }

    fn stop(self) {
        self.thread().queue_apc(|| STOP.set(true)).unwrap();
        self.join.join().unwrap();
    }
}

/// Queue to a thread waiting alertably, and wait for its acknowledgement.
fn wake(c: &mut Criterion) {
    let mut group = c.benchmark_group("wake");
    let worker = Worker::spawn();
    // Parked: each iteration waits (untimed) until the worker sleeps in the kernel, so
    // every queue_apc pays the futex wake-up. The untimed wait dominates the real time, so
    // this one measures briefly.
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(200));
    group.measurement_time(Duration::from_millis(300));
    group.bench_function("parked worker, queue_apc → ack", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                worker.wait_until_parked();
                let start = Instant::now();
                worker.round_trip();
                timed += start.elapsed();
            }
            timed
        });
    });
    // Back to back: the worker is usually still in its short spin phase.
    group.sample_size(30);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    group.bench_function("spinning worker, queue_apc → ack", |b| {
        b.iter(|| worker.round_trip());
    });
    group.finish();
    worker.stop();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = push, drain, wake
}
criterion_main!(benches);
