//! `ping-pong`: a closure bounces between two threads, each running it and sending the
//! next one back, N round trips; the time per round trip.
//!
//! Ours: both threads loop in `sleep_ex(None, Alertable::Yes)` and each APC queues the
//! next one to the other thread. Ours, actors: two actors of `alertable-actor`, each
//! sending the next number to the other from `on_message`. Channels (crossbeam-channel,
//! kanal, std `mpsc`): each thread loops on `recv()` of its own unbounded channel and each
//! job sends the next one to the other thread's channel. The raw futex baseline
//! does no work at all: two threads take turns on one `AtomicU32`, each flipping it and
//! waking the other with `FUTEX_WAKE`, then sleeping in `FUTEX_WAIT` until it is flipped
//! back; it never spins, so every hand-off goes through the kernel.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, OnceLock, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use alertable::{Alertable, ThreadHandle, sleep_ex};
use alertable_actor::{Actor, ActorRef, Context, Envelope, Options, StopMode};
use rustix::thread::futex;

use super::report::{GroupReport, Kind, Table};
use super::throughput::thousands;
use super::work::{Channel, Crossbeam, Kanal, StdMpsc};
use super::{Progress, Settings};

thread_local! {
    /// Messages this thread has run.
    static HITS: Cell<usize> = const { Cell::new(0) };
    /// The other thread, for ours.
    static OURS_PEER: RefCell<Option<ThreadHandle>> = const { RefCell::new(None) };
}

struct Contender {
    id: &'static str,
    name: &'static str,
    /// Runs `trips` round trips; returns the time they took.
    run: fn(usize) -> Duration,
}

const CONTENDERS: [Contender; 6] = [
    Contender {
        id: "ours-queue-apc",
        name: "ours: queue_apc",
        run: run_ours,
    },
    Contender {
        id: "ours-actors",
        name: "ours: two actors (alertable-actor)",
        run: run_actors,
    },
    Contender {
        id: Crossbeam::ID,
        name: Crossbeam::NAME,
        run: run_channel::<Crossbeam>,
    },
    Contender {
        id: Kanal::ID,
        name: Kanal::NAME,
        run: run_channel::<Kanal>,
    },
    Contender {
        id: StdMpsc::ID,
        name: StdMpsc::NAME,
        run: run_channel::<StdMpsc>,
    },
    Contender {
        id: "raw-futex",
        name: "raw futex (kernel floor)",
        run: run_futex,
    },
];

/// Message `k` of `0..=last`: even ones run on B, odd ones on A; each sends the next.
fn ours_bounce(k: usize, last: usize) {
    HITS.set(HITS.get() + 1);
    if k < last {
        OURS_PEER.with_borrow(|peer| {
            let peer = peer
                .as_ref()
                .expect("the peer is set before the first message");
            alertable::queue_apc(peer, move || ours_bounce(k + 1, last))
                .expect("the peer waits for its last message");
        });
    }
}

fn run_ours(trips: usize) -> Duration {
    let last = 2 * trips - 1;
    let barrier = Arc::new(Barrier::new(2));
    let (to_a, peer_of_a) = mpsc::channel::<ThreadHandle>();
    let (to_b, peer_of_b) = mpsc::channel::<ThreadHandle>();
    let a = {
        let barrier = barrier.clone();
        alertable::spawn(move || {
            let peer = peer_of_a.recv().expect("peer handle");
            OURS_PEER.set(Some(peer.clone()));
            barrier.wait();
            let start = Instant::now();
            alertable::queue_apc(&peer, move || ours_bounce(0, last)).expect("peer alive");
            while HITS.get() < trips {
                sleep_ex(None, Alertable::Yes);
            }
            let elapsed = start.elapsed();
            OURS_PEER.set(None);
            (elapsed, HITS.get())
        })
        .expect("spawn A")
    };
    let b = alertable::spawn(move || {
        OURS_PEER.set(Some(peer_of_b.recv().expect("peer handle")));
        barrier.wait();
        while HITS.get() < trips {
            sleep_ex(None, Alertable::Yes);
        }
        OURS_PEER.set(None);
        HITS.get()
    })
    .expect("spawn B");
    to_a.send(b.thread().clone()).expect("A waits for its peer");
    to_b.send(a.thread().clone()).expect("B waits for its peer");
    let b_hits = b.join().expect("B");
    let (elapsed, a_hits) = a.join().expect("A");
    assert_eq!((a_hits, b_hits), (trips, trips), "every message ran once");
    elapsed
}

/// One of the two actors: sends the next number to its peer, and reports the arrival of
/// the last one.
struct Bouncer {
    peer: Arc<OnceLock<ActorRef<usize>>>,
    last: usize,
    done: mpsc::Sender<Instant>,
}

impl Actor for Bouncer {
    type Message = usize;
    type Error = std::convert::Infallible;

    fn on_message(&mut self, _: &mut Context<usize>, k: Envelope<usize>) {
        let k = k.message;
        if k == self.last {
            self.done.send(Instant::now()).expect("the runner waits");
        } else {
            self.peer
                .get()
                .expect("the peer is set before the first message")
                .send(k + 1)
                .expect("the peer runs until the last message");
        }
    }
}

fn run_actors(trips: usize) -> Duration {
    // Actor names are unique while the actors run.
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let run = RUN.fetch_add(1, Ordering::Relaxed);
    let last = 2 * trips - 1;
    let (done_tx, done_rx) = mpsc::channel();
    let (peer_of_a, peer_of_b) = (Arc::new(OnceLock::new()), Arc::new(OnceLock::new()));
    let spawn = |side: &str, peer: &Arc<OnceLock<ActorRef<usize>>>| {
        let bouncer = Bouncer {
            peer: peer.clone(),
            last,
            done: done_tx.clone(),
        };
        alertable_actor::spawn(
            &format!("bench-ping-pong-{run}-{side}"),
            bouncer,
            Options::default(),
        )
        .unwrap_or_else(|_| panic!("spawn actor {side}"))
    };
    let (a, b) = (spawn("a", &peer_of_a), spawn("b", &peer_of_b));
    let _ = peer_of_a.set(b.clone());
    let _ = peer_of_b.set(a.clone());
    let start = Instant::now();
    // Even numbers go to B, odd ones to A; the last (odd) one ends the run on A.
    b.send(0).expect("B runs");
    let end = done_rx.recv().expect("the last message arrives");
    for actor in [&a, &b] {
        actor.stop(StopMode::Drain);
        actor.join().expect("the actor stops");
    }
    end - start
}

fn channel_bounce<C: Channel>(k: usize, last: usize) {
    HITS.set(HITS.get() + 1);
    if k < last {
        C::peer().with_borrow(|peer| {
            let peer = peer
                .as_ref()
                .expect("the peer is set before the first message");
            C::send(peer, Box::new(move || channel_bounce::<C>(k + 1, last)));
        });
    }
}

fn run_channel<C: Channel>(trips: usize) -> Duration {
    let last = 2 * trips - 1;
    let barrier = Arc::new(Barrier::new(2));
    let (to_b, b_rx) = C::unbounded();
    let (to_a, a_rx) = C::unbounded();
    let a = {
        let barrier = barrier.clone();
        thread::spawn(move || {
            C::peer().set(Some(to_b));
            barrier.wait();
            let start = Instant::now();
            C::peer().with_borrow(|peer| {
                let peer = peer.as_ref().expect("set above");
                C::send(peer, Box::new(move || channel_bounce::<C>(0, last)));
            });
            while HITS.get() < trips {
                C::recv(&a_rx)();
            }
            let elapsed = start.elapsed();
            C::peer().set(None);
            (elapsed, HITS.get())
        })
    };
    let b = thread::spawn(move || {
        C::peer().set(Some(to_a));
        barrier.wait();
        while HITS.get() < trips {
            C::recv(&b_rx)();
        }
        C::peer().set(None);
        HITS.get()
    });
    let b_hits = b.join().expect("B");
    let (elapsed, a_hits) = a.join().expect("A");
    assert_eq!((a_hits, b_hits), (trips, trips), "every message ran once");
    elapsed
}

/// Whose turn it is in the futex ping-pong.
const A_TURN: u32 = 0;
const B_TURN: u32 = 1;

/// Sleeps until `turn` holds `mine`, without spinning.
fn futex_wait_for(turn: &AtomicU32, mine: u32, theirs: u32) {
    while turn.load(Ordering::Acquire) != mine {
        // Returns at once (EAGAIN) if the turn already changed, or on a spurious wake-up;
        // the loop re-checks either way.
        let _ = futex::wait(turn, futex::Flags::PRIVATE, theirs, None);
    }
}

/// Hands the turn over and wakes the other thread.
fn futex_pass(turn: &AtomicU32, theirs: u32) {
    turn.store(theirs, Ordering::Release);
    futex::wake(turn, futex::Flags::PRIVATE, 1).expect("FUTEX_WAKE on a valid address");
}

fn run_futex(trips: usize) -> Duration {
    let turn = Arc::new(AtomicU32::new(A_TURN));
    let barrier = Arc::new(Barrier::new(2));
    let b = {
        let (turn, barrier) = (turn.clone(), barrier.clone());
        thread::spawn(move || {
            barrier.wait();
            let mut hits = 0;
            for _ in 0..trips {
                futex_wait_for(&turn, B_TURN, A_TURN);
                hits += 1;
                futex_pass(&turn, A_TURN);
            }
            hits
        })
    };
    barrier.wait();
    let start = Instant::now();
    let mut hits = 0;
    for _ in 0..trips {
        futex_pass(&turn, B_TURN);
        futex_wait_for(&turn, A_TURN, B_TURN);
        hits += 1;
    }
    let elapsed = start.elapsed();
    let b_hits = b.join().expect("B");
    assert_eq!((hits, b_hits), (trips, trips), "every hand-off happened");
    elapsed
}

pub(crate) fn steps(s: &Settings) -> u64 {
    (CONTENDERS.len() * (s.reps + 1)) as u64
}

/// `ping-pong`.
pub(crate) fn run(s: &Settings, progress: &Progress) -> GroupReport {
    let trips = s.ping_pong_trips;
    for c in &CONTENDERS {
        progress.run(format!("{}: warm-up", c.name), || (c.run)(trips / 10));
    }
    let mut samples = vec![Vec::with_capacity(s.reps); CONTENDERS.len()];
    for rep in 1..=s.reps {
        for (c, samples) in CONTENDERS.iter().zip(&mut samples) {
            let elapsed = progress.run(format!("{}: run {rep}/{}", c.name, s.reps), || {
                (c.run)(trips)
            });
            samples.push(elapsed.as_secs_f64() * 1e9 / trips as f64);
        }
    }
    let mut table = Table::new(
        format!(
            "{} round trips per run between two threads, {} runs; one op = one round trip",
            thousands(trips),
            s.reps
        ),
        Kind::Time,
    );
    for (c, samples) in CONTENDERS.iter().zip(samples) {
        table.push(c.id, c.name, samples, BTreeMap::new());
    }
    GroupReport {
        name: "ping-pong",
        description: "a closure bounces between two threads, each re-queueing it to the other",
        tables: vec![table.finish()],
        notes: Vec::new(),
    }
}
