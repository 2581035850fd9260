//! Completion ports (spec section L, and B31 for packets against APCs).
//!
//! Every ordering a test depends on is forced: a thread "in `get`" is observed through
//! `waiting_threads()`, a thread waiting on the port as an object through a block observer
//! that reports its park, a thread's progress through channels. Time appears only in
//! timeouts.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use alertable::{
    Alertable, BlockObserver, Event, EventReset, WaitStatus, set_block_observer, wait_one,
};
use alertable_io::{CompletionPacket, CompletionPort, IoError, PortError};

/// A hang guard: never reached in a passing run.
const LONG: Option<Duration> = Some(Duration::from_secs(60));
/// A zero timeout: never blocks.
const POLL: Option<Duration> = Some(Duration::ZERO);

/// Waits, yielding, until `done()`; fails after a minute instead of hanging.
fn until(what: &str, mut done: impl FnMut() -> bool) {
    let give_up = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < give_up, "gave up waiting for {what}");
        thread::yield_now();
    }
}

/// Runs `f` on a thread of its own, so that its association with ports starts afresh.
fn on_fresh_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    thread::spawn(f).join().expect("the test thread")
}

fn packet(key: usize, token: usize) -> CompletionPacket {
    CompletionPacket::new(key, token, Ok(token))
}

/// Reports through a channel each time its thread blocks in one of the library's waits.
struct Announce(mpsc::Sender<()>);

impl BlockObserver for Announce {
    fn blocking(&self) {
        let _ = self.0.send(());
    }
    fn unblocked(&self) {}
}

/// Spawns a thread that waits on `port` as an object with `timeout`; returns its outcome
/// once main has seen it block (its wait block is then linked on the port).
fn spawn_port_waiter(
    port: &CompletionPort,
    timeout: Option<Duration>,
) -> thread::JoinHandle<WaitStatus> {
    let (tx, blocked) = mpsc::channel();
    let port = port.clone();
    let waiter = thread::spawn(move || {
        set_block_observer(Some(Arc::new(Announce(tx))));
        wait_one(&port, timeout, Alertable::No).unwrap()
    });
    blocked
        .recv_timeout(Duration::from_secs(60))
        .expect("the waiter blocks on the port");
    waiter
}

/// A counter and an APC that bumps it.
fn apc_counter() -> (Arc<AtomicUsize>, impl Fn() -> Box<dyn FnOnce() + Send>) {
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    (ran, move || {
        let r = r.clone();
        Box::new(move || {
            r.fetch_add(1, Ordering::SeqCst);
        })
    })
}

#[test]
fn handles_are_send_sync_and_clone() {
    fn check<T: Send + Sync + Clone + std::fmt::Debug>() {}
    check::<CompletionPort>();
    let port = CompletionPort::new(1);
    assert_eq!(port.clone(), port);
    assert_ne!(CompletionPort::new(1), port);
}

/// L123: an empty port times out with WAIT_TIMEOUT (258), at once with a zero timeout and
/// after the timeout otherwise; a posted packet comes back with its bytes, key and token.
#[test]
fn l123_round_trip_and_wait_timeout_on_empty() {
    let port = CompletionPort::new(0);
    let empty = port.get(POLL).unwrap_err();
    assert_eq!((empty, empty.win32_error()), (PortError::TimedOut, 258));

    let start = Instant::now();
    assert_eq!(
        port.get(Some(Duration::from_millis(30))),
        Err(PortError::TimedOut)
    );
    assert!(start.elapsed() >= Duration::from_millis(30));

    port.post(CompletionPacket::new(456, 0xbeef, Ok(123)))
        .unwrap();
    let got = port.get(POLL).unwrap();
    assert_eq!(
        (got.status, got.key, got.token, got.buffer),
        (Ok(123), 456, 0xbeef, None)
    );
    assert_eq!(port.get(POLL), Err(PortError::TimedOut));
}

/// L124: `get_many` on an empty port with a zero timeout times out and adds nothing; with
/// two packets queued and room for two it returns both, FIFO, fields intact, appended to
/// what `out` held. Room for no packet is ERROR_INVALID_PARAMETER (87).
#[test]
fn l124_get_many_fifo_and_zero_timeout() {
    let port = CompletionPort::new(0);
    let mut out = Vec::new();
    assert_eq!(
        port.get_many(&mut out, 2, POLL, Alertable::No),
        Err(PortError::TimedOut)
    );
    assert!(out.is_empty());
    let bad = port.get_many(&mut out, 0, POLL, Alertable::No).unwrap_err();
    assert_eq!((bad, bad.win32_error()), (PortError::InvalidParameter, 87));

    let first = CompletionPacket::new(1, 10, Ok(100));
    let second = CompletionPacket {
        buffer: Some(b"two".to_vec()),
        ..CompletionPacket::new(2, 20, Ok(3))
    };
    port.post(first.clone()).unwrap();
    port.post(second.clone()).unwrap();
    out.push(packet(0, 0)); // already there: kept, and the packets come after it
    assert_eq!(port.get_many(&mut out, 2, POLL, Alertable::No), Ok(2));
    assert_eq!(out, [packet(0, 0), first, second]);

    // Room for two with three queued: two now, the third next.
    for token in 1..=3 {
        port.post(packet(0, token)).unwrap();
    }
    out.clear();
    assert_eq!(port.get_many(&mut out, 2, LONG, Alertable::No), Ok(2));
    assert_eq!(port.get_many(&mut out, 2, LONG, Alertable::No), Ok(1));
    let tokens: Vec<usize> = out.iter().map(|p| p.token).collect();
    assert_eq!(tokens, [1, 2, 3]);
}

/// L125, B31: with an APC pending and the port empty, a non-alertable `get_many` times out
/// without running it and an alertable one runs it and returns WAIT_IO_COMPLETION (192);
/// an APC arriving during an alertable wait ends it the same way; with an APC pending and
/// a packet queued (on the port the thread is associated with), the packet wins and the
/// APC stays queued.
#[test]
fn l125_alertable_get_many_against_an_apc() {
    on_fresh_thread(|| {
        let port = CompletionPort::new(0);
        // Associate the thread with the port, as the conformance test's earlier calls do.
        port.post(packet(0, 0)).unwrap();
        port.get(POLL).unwrap();

        let me = alertable::current();
        let (ran, apc) = apc_counter();
        let mut out = Vec::new();
        me.queue_apc(apc()).unwrap();
        assert_eq!(
            port.get_many(&mut out, 1, POLL, Alertable::No),
            Err(PortError::TimedOut)
        );
        assert_eq!(
            ran.load(Ordering::SeqCst),
            0,
            "not alertable: the APC waits"
        );
        let alerted = port
            .get_many(&mut out, 1, POLL, Alertable::Yes)
            .unwrap_err();
        assert_eq!((alerted, alerted.win32_error()), (PortError::Alerted, 192));
        assert_eq!(ran.load(Ordering::SeqCst), 1);

        // An APC queued while the thread waits ends the wait.
        let queuer = {
            let (port, me, apc) = (port.clone(), me.clone(), apc());
            thread::spawn(move || {
                until("the getter to wait", || port.waiting_threads() == 1);
                me.queue_apc(apc).unwrap();
            })
        };
        assert_eq!(
            port.get_many(&mut out, 1, LONG, Alertable::Yes),
            Err(PortError::Alerted)
        );
        queuer.join().unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 2);
        assert_eq!(
            port.waiting_threads(),
            0,
            "the alerted getter left the port"
        );

        // A packet and an APC: the packet wins.
        me.queue_apc(apc()).unwrap();
        port.post(packet(5, 55)).unwrap();
        assert_eq!(port.get_many(&mut out, 1, LONG, Alertable::Yes), Ok(1));
        assert_eq!(out, [packet(5, 55)]);
        assert_eq!(ran.load(Ordering::SeqCst), 2, "the APC is still queued");
        assert!(alertable::test_alert());
        assert_eq!(ran.load(Ordering::SeqCst), 3);
    });
}

/// L126: on a port the thread has never taken a packet from, a pending APC beats a queued
/// packet — even when the thread is associated with another port — and that alerted return
/// does not associate it; once it has taken a packet from the port, a packet beats an APC.
#[test]
fn l126_association_decides_between_apc_and_packet() {
    on_fresh_thread(|| {
        let port = CompletionPort::new(0);
        let other = CompletionPort::new(0);
        other.post(packet(0, 0)).unwrap();
        other.get(POLL).unwrap(); // associated with `other`

        let me = alertable::current();
        let (ran, apc) = apc_counter();
        let mut out = Vec::new();
        port.post(packet(1, 11)).unwrap();
        for round in 1..=2 {
            me.queue_apc(apc()).unwrap();
            assert_eq!(
                port.get_many(&mut out, 1, LONG, Alertable::Yes),
                Err(PortError::Alerted),
                "round {round}: not associated, so the APC wins"
            );
            assert_eq!(ran.load(Ordering::SeqCst), round);
            assert_eq!(port.queued(), 1, "the packet stays queued");
        }

        // Taking a packet associates the thread: from now on packets win.
        assert_eq!(port.get(POLL), Ok(packet(1, 11)));
        me.queue_apc(apc()).unwrap();
        port.post(packet(2, 22)).unwrap();
        assert_eq!(port.get_many(&mut out, 1, LONG, Alertable::Yes), Ok(1));
        assert_eq!(out, [packet(2, 22)]);
        assert_eq!(ran.load(Ordering::SeqCst), 2, "the APC is still pending");
        assert!(alertable::test_alert());

        // And the association moved: on `other` the APC wins again.
        other.post(packet(3, 33)).unwrap();
        me.queue_apc(apc()).unwrap();
        assert_eq!(
            other.get_many(&mut out, 1, LONG, Alertable::Yes),
            Err(PortError::Alerted)
        );
    });
}

/// L127: a packet's key, token, status — an error too — and buffer come back verbatim,
/// from `get` and from `get_many` with room for one, one per call in FIFO order; the
/// error maps to its Win32 code.
#[test]
fn l127_failed_requests_come_back_whole() {
    let port = CompletionPort::new(0);
    let sent = [
        CompletionPacket {
            buffer: Some(vec![1, 2, 3]),
            ..CompletionPacket::new(1, 2, Err(IoError::Aborted))
        },
        CompletionPacket::new(3, 4, Err(IoError::EndOfFile)),
        CompletionPacket {
            buffer: Some(vec![0; 16]),
            ..CompletionPacket::new(usize::MAX, usize::MAX - 1, Ok(usize::MAX))
        },
    ];
    for p in &sent {
        port.post(p.clone()).unwrap();
    }
    let first = port.get(POLL).unwrap();
    assert_eq!(first, sent[0]);
    assert_eq!(first.status.unwrap_err().win32_error(), 995);
    let mut out = Vec::new();
    assert_eq!(port.get_many(&mut out, 1, POLL, Alertable::No), Ok(1));
    assert_eq!(port.get_many(&mut out, 1, POLL, Alertable::No), Ok(1));
    assert_eq!(out, sent[1..]);
    assert_eq!(out[0].status.unwrap_err().win32_error(), 38);
}

/// L128: two threads waiting on the port as an object both wake on one post, and the
/// packet stays queued.
#[test]
fn l128_port_waiters_all_wake_and_the_packet_stays() {
    let port = CompletionPort::new(0);
    let waiters = [
        spawn_port_waiter(&port, LONG),
        spawn_port_waiter(&port, LONG),
    ];
    port.post(packet(7, 70)).unwrap();
    for waiter in waiters {
        assert_eq!(waiter.join().unwrap(), WaitStatus::Signaled(0));
    }
    assert_eq!(port.queued(), 1, "waiting on the port consumed nothing");
    assert_eq!(
        wait_one(&port, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(port.get(POLL), Ok(packet(7, 70)));
    assert_eq!(
        wait_one(&port, POLL, Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
}

/// L129: with one thread in `get` and one waiting on the port as an object, a post goes
/// to the `get` thread and the other times out: the port never looked signaled.
#[test]
fn l129_a_getter_beats_a_port_waiter() {
    let port = CompletionPort::new(0);
    let getter = {
        let port = port.clone();
        thread::spawn(move || port.get(LONG))
    };
    until("the getter to wait", || port.waiting_threads() == 1);
    let waiter = spawn_port_waiter(&port, Some(Duration::from_millis(100)));
    port.post(packet(1, 1)).unwrap();
    assert_eq!(getter.join().unwrap(), Ok(packet(1, 1)));
    assert_eq!(waiter.join().unwrap(), WaitStatus::TimedOut);
    assert_eq!(port.queued(), 0);
}

/// L130: thread 1 starts waiting, then thread 0; posts of keys 3, 4, 5 release thread 0
/// (the most recent waiter) with 3, then thread 1 with 4, and the main thread's later
/// `get` takes 5.
#[test]
fn l130_waiters_are_released_lifo() {
    // Room for all three threads, so that only the order matters.
    let port = CompletionPort::new(4);
    let spawn_getter = |index: usize| {
        let port = port.clone();
        thread::spawn(move || (index, port.get(LONG).map(|p| p.key)))
    };
    let one = spawn_getter(1);
    until("thread 1 to wait", || port.waiting_threads() == 1);
    let zero = spawn_getter(0);
    until("thread 0 to wait", || port.waiting_threads() == 2);
    for key in [3, 4, 5] {
        port.post(packet(key, 0)).unwrap();
    }
    assert_eq!(zero.join().unwrap(), (0, Ok(3)));
    assert_eq!(one.join().unwrap(), (1, Ok(4)));
    assert_eq!(port.get(LONG).map(|p| p.key), Ok(5));
}

/// L131: closing the port wakes a thread in `get` and one in an alertable `get_many` with
/// ERROR_ABANDONED_WAIT_0 (735), and one waiting on the port as an object with
/// `Signaled(0)`; later calls fail cleanly and the port stays signaled.
#[test]
fn l131_close_wakes_every_waiter() {
    let port = CompletionPort::new(0);
    let getter = {
        let port = port.clone();
        thread::spawn(move || port.get(LONG))
    };
    let many = {
        let port = port.clone();
        thread::spawn(move || port.get_many(&mut Vec::new(), 4, LONG, Alertable::Yes))
    };
    until("both getters to wait", || port.waiting_threads() == 2);
    let waiter = spawn_port_waiter(&port, LONG);

    port.close();
    let closed = getter.join().unwrap().unwrap_err();
    assert_eq!((closed, closed.win32_error()), (PortError::Closed, 735));
    assert_eq!(many.join().unwrap(), Err(PortError::Closed));
    assert_eq!(waiter.join().unwrap(), WaitStatus::Signaled(0));

    assert!(port.is_closed());
    assert_eq!(port.post(packet(1, 1)), Err(PortError::Closed));
    assert_eq!(port.get(POLL), Err(PortError::Closed));
    assert_eq!(port.get(LONG), Err(PortError::Closed), "does not wait");
    assert_eq!(
        port.get_many(&mut Vec::new(), 1, LONG, Alertable::Yes),
        Err(PortError::Closed)
    );
    assert_eq!(
        wait_one(&port, POLL, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    port.close(); // again: nothing happens
    assert_eq!(port.waiting_threads(), 0);
}

/// Closing drops the packets still queued; the port stays open while any handle is alive,
/// and `close` on one handle closes it for all.
#[test]
fn close_drops_queued_packets_and_clones_keep_the_port_open() {
    let port = CompletionPort::new(0);
    let other = port.clone();
    port.post(packet(1, 1)).unwrap();
    port.post(CompletionPacket {
        buffer: Some(vec![0; 4096]),
        ..packet(2, 2)
    })
    .unwrap();
    drop(port);
    assert!(!other.is_closed(), "a clone keeps the port open");
    assert_eq!(other.get(POLL), Ok(packet(1, 1)));
    let third = other.clone();
    third.close();
    assert!(other.is_closed());
    assert_eq!(other.queued(), 0, "queued packets were dropped");
    assert_eq!(other.get(POLL), Err(PortError::Closed));
}

/// `get` is not alertable: APCs stay queued while it times out or takes a packet.
#[test]
fn get_is_not_alertable() {
    on_fresh_thread(|| {
        let port = CompletionPort::new(0);
        let (ran, apc) = apc_counter();
        alertable::current().queue_apc(apc()).unwrap();
        assert_eq!(
            port.get(Some(Duration::from_millis(20))),
            Err(PortError::TimedOut)
        );
        let poster = {
            let port = port.clone();
            thread::spawn(move || {
                until("the getter to wait", || port.waiting_threads() == 1);
                port.post(packet(1, 1)).unwrap();
            })
        };
        assert_eq!(port.get(LONG), Ok(packet(1, 1)));
        poster.join().unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        assert!(alertable::test_alert());
    });
}

/// L135 (Windows, not Wine): with concurrency 1, a second waiter is not released while the
/// first thread holds a packet and keeps running — even blocked outside the library, on a
/// std channel; when the first blocks in one of the library's waits, the second is
/// released; when the first wakes, both count as running, above the limit for a while.
/// A thread in `get` does not count, and an exiting thread stops counting.
#[test]
fn l135_concurrency_limits_running_threads() {
    let port = CompletionPort::new(1);
    let event = Event::new(EventReset::Manual, false);
    port.post(packet(1, 1)).unwrap();

    let (a_tx, a_says) = mpsc::channel();
    let (to_a, a_hears) = mpsc::channel::<()>();
    let a = {
        let (port, event) = (port.clone(), event.clone());
        thread::spawn(move || {
            let first = port.get(POLL).unwrap();
            a_tx.send(first.token).unwrap();
            a_hears.recv().unwrap(); // blocked, but not in a library wait: still running
            wait_one(&event, LONG, Alertable::No).unwrap(); // a library wait
            a_tx.send(0).unwrap();
            a_hears.recv().unwrap();
        })
    };
    assert_eq!(a_says.recv().unwrap(), 1);
    assert_eq!(port.running_threads(), 1);

    let (b_tx, b_says) = mpsc::channel();
    let (to_b, b_hears) = mpsc::channel::<()>();
    let b = {
        let port = port.clone();
        thread::spawn(move || {
            let second = port.get(LONG).unwrap();
            b_tx.send(second.token).unwrap();
            b_hears.recv().unwrap();
            // Back in `get` on its own port: no longer running.
            let third = port.get(LONG).unwrap();
            b_tx.send(third.token).unwrap();
        })
    };
    until("B to wait", || port.waiting_threads() == 1);
    port.post(packet(2, 2)).unwrap();
    // The post decided at once: A runs, so the packet was queued and B still waits.
    assert_eq!((port.queued(), port.waiting_threads()), (1, 1));
    assert_eq!(port.running_threads(), 1);

    // A blocks in a library wait: B is released with the queued packet.
    to_a.send(()).unwrap();
    assert_eq!(b_says.recv().unwrap(), 2);
    assert_eq!(port.queued(), 0);
    assert_eq!(port.running_threads(), 1, "B runs, A is blocked");

    // A wakes: both run, above the limit.
    event.set();
    assert_eq!(a_says.recv().unwrap(), 0);
    assert_eq!(port.running_threads(), 2);

    // B calls `get` again: it stops counting, and nothing is released while A runs.
    to_b.send(()).unwrap();
    until("B to wait again", || port.waiting_threads() == 1);
    assert_eq!(port.running_threads(), 1);
    port.post(packet(3, 3)).unwrap();
    assert_eq!((port.queued(), port.running_threads()), (1, 1));

    // A exits: it stops counting, and B is released.
    to_a.send(()).unwrap();
    a.join().unwrap();
    assert_eq!(b_says.recv().unwrap(), 3);
    b.join().unwrap();
    assert_eq!(port.running_threads(), 0, "exited threads do not count");
}

/// Concurrency 0 means the number of CPUs the process may use.
#[test]
fn concurrency_zero_is_the_cpu_count() {
    let cpus = thread::available_parallelism().unwrap().get();
    assert_eq!(CompletionPort::new(0).concurrency() as usize, cpus);
    assert_eq!(CompletionPort::new(3).concurrency(), 3);
}

/// Posters × packets × getters: every packet is taken exactly once, and each getter sees
/// each poster's packets in the order they were posted. The getters mix `get` and
/// `get_many`, infinite and short timeouts (so that hand-offs race timeouts), alertable
/// and not, and now and then block in a library wait while holding a packet; the port's
/// concurrency is below the number of getters.
#[test]
fn stress_every_packet_taken_exactly_once() {
    const POSTERS: usize = 4;
    const PER_POSTER: usize = 20_000;
    const GETTERS: usize = 4;

    let port = CompletionPort::new(2);
    let taken = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(POSTERS + GETTERS));
    let getters: Vec<_> = (0..GETTERS)
        .map(|mode| {
            let (port, taken, start) = (port.clone(), taken.clone(), start.clone());
            thread::spawn(move || {
                let idle = Event::new(EventReset::Manual, false);
                let short = Some(Duration::from_micros(200));
                let mut seen: Vec<(usize, usize)> = Vec::new();
                let mut batch = Vec::new();
                start.wait();
                loop {
                    batch.clear();
                    let result = match mode {
                        0 => port.get(LONG).map(|p| batch.push(p)),
                        1 => port.get(short).map(|p| batch.push(p)),
                        2 => port.get_many(&mut batch, 8, LONG, Alertable::No).map(drop),
                        _ => port
                            .get_many(&mut batch, 8, short, Alertable::Yes)
                            .map(drop),
                    };
                    match result {
                        Ok(()) => {}
                        Err(PortError::TimedOut | PortError::Alerted) => continue,
                        Err(PortError::Closed) => return seen,
                        Err(e) => panic!("unexpected {e}"),
                    }
                    for p in &batch {
                        seen.push((p.key, p.token));
                    }
                    taken.fetch_add(batch.len(), Ordering::SeqCst);
                    if seen.len() % 1000 < batch.len() {
                        // Block in a library wait while running: another getter may go.
                        let _ = wait_one(&idle, Some(Duration::from_micros(100)), Alertable::No);
                    }
                }
            })
        })
        .collect();
    let posters: Vec<_> = (0..POSTERS)
        .map(|poster| {
            let (port, start) = (port.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                for seq in 0..PER_POSTER {
                    port.post(packet(poster, seq)).unwrap();
                }
            })
        })
        .collect();
    for p in posters {
        p.join().unwrap();
    }
    until("every packet to be taken", || {
        taken.load(Ordering::SeqCst) == POSTERS * PER_POSTER
    });
    assert_eq!(port.queued(), 0);
    port.close();

    let mut all = HashSet::new();
    for getter in getters {
        let seen = getter.join().unwrap();
        let mut last = [None; POSTERS];
        for &(poster, seq) in &seen {
            assert!(
                last[poster].is_none_or(|l| l < seq),
                "a getter saw poster {poster}'s packets out of order"
            );
            last[poster] = Some(seq);
            assert!(all.insert((poster, seq)), "({poster}, {seq}) taken twice");
        }
    }
    assert_eq!(all.len(), POSTERS * PER_POSTER, "every packet taken");
}

/// A panicking APC unwinds out of an alertable `get_many` and takes the thread off the
/// port's waiters: a later post is queued, not handed to a thread that has gone.
#[test]
fn a_panicking_apc_leaves_the_port_consistent() {
    let port = CompletionPort::new(0);
    let (tx, handle) = mpsc::channel();
    let getter = {
        let port = port.clone();
        thread::spawn(move || {
            tx.send(alertable::current()).unwrap();
            let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                port.get_many(&mut Vec::new(), 1, LONG, Alertable::Yes)
            }));
            assert!(unwound.is_err(), "the APC's panic unwound out of get_many");
            assert_eq!(port.waiting_threads(), 0);
        })
    };
    let handle = handle.recv().unwrap();
    until("the getter to wait", || port.waiting_threads() == 1);
    handle
        .queue_apc(|| panic!("an APC that panics (expected by this test)"))
        .unwrap();
    getter.join().unwrap();
    port.post(packet(1, 1)).unwrap();
    assert_eq!(
        port.queued(),
        1,
        "queued, not handed to the departed getter"
    );
    assert_eq!(port.get(POLL), Ok(packet(1, 1)));
}

/// A thread blocked in `get(LONG)` on a port: its result comes on `got`; after it, the
/// thread keeps running (blocked outside the library) until `exit` is sent or dropped.
struct Getter {
    got: mpsc::Receiver<Result<usize, PortError>>,
    exit: mpsc::Sender<()>,
    thread: thread::JoinHandle<()>,
}

impl Getter {
    /// Starts the thread and returns once it is blocked in `get`.
    fn blocked(port: &CompletionPort) -> Self {
        let waiting = port.waiting_threads();
        let (report, got) = mpsc::channel();
        let (exit, may_exit) = mpsc::channel::<()>();
        let thread = {
            let port = port.clone();
            thread::spawn(move || {
                report.send(port.get(LONG).map(|p| p.key)).unwrap();
                let _ = may_exit.recv();
            })
        };
        until("the getter to wait", || {
            port.waiting_threads() == waiting + 1
        });
        Self { got, exit, thread }
    }

    /// The key it got, waiting for it if need be; the thread goes on running.
    fn key(&self) -> Result<usize, PortError> {
        self.got
            .recv_timeout(Duration::from_secs(60))
            .expect("a result")
    }

    /// Lets the thread exit, and waits until it has.
    fn exit(self) {
        drop(self.exit);
        self.thread.join().unwrap();
    }
}

/// L130, as Windows 10 and later schedule it: the posting thread is itself associated
/// with the port and running (it took a packet before), and the concurrency value leaves
/// room for the two blocked getters beside it. Each post hands its packet at once to the
/// most recent getter, so the poster's own later `get` — non-blocking — finds the
/// third packet, not one already handed over (Wine's `test_completion_port_scheduling`).
#[test]
fn l130_packets_posted_to_blocked_getters_are_theirs_not_the_posters() {
    on_fresh_thread(|| {
        let port = CompletionPort::new(3);
        port.post(packet(1, 0)).unwrap();
        assert_eq!(port.get(POLL).map(|p| p.key), Ok(1));
        assert_eq!(port.running_threads(), 1, "the poster runs on the port");
        let one = Getter::blocked(&port);
        let zero = Getter::blocked(&port);
        for key in [3, 4, 5] {
            port.post(packet(key, 0)).unwrap();
        }
        // Decided at post time: two packets handed over, one queued.
        assert_eq!((port.waiting_threads(), port.queued()), (0, 1));
        assert_eq!(port.get(POLL).map(|p| p.key), Ok(5));
        assert_eq!((zero.key(), one.key()), (Ok(3), Ok(4)));
        zero.exit();
        one.exit();
    });
}

/// L130 with the concurrency value reached: the same posts with room for only one getter
/// beside the running poster. Windows releases no more threads than the value allows, so
/// the second and third packets are queued; the running poster's next `get` takes the
/// second at once, without a thread switch (the case Microsoft's I/O completion port
/// documentation calls the most efficient), and the other getter gets the third when a
/// running thread stops running — here, when the first getter's thread exits. (This is the
/// "got 4" of Wine's test on a machine with two CPUs, which the test accepts from Windows.)
#[test]
fn l130_at_the_concurrency_limit_the_running_poster_takes_the_next_packet() {
    on_fresh_thread(|| {
        let port = CompletionPort::new(2);
        port.post(packet(1, 0)).unwrap();
        assert_eq!(port.get(POLL).map(|p| p.key), Ok(1));
        let one = Getter::blocked(&port);
        let zero = Getter::blocked(&port);
        for key in [3, 4, 5] {
            port.post(packet(key, 0)).unwrap();
        }
        assert_eq!((port.waiting_threads(), port.queued()), (1, 2));
        assert_eq!(zero.key(), Ok(3));
        // Thread 0 runs on (blocked outside the library): nothing more is released.
        assert_eq!(port.get(POLL).map(|p| p.key), Ok(4));
        assert_eq!((port.waiting_threads(), port.queued()), (1, 1));
        zero.exit();
        assert_eq!(one.key(), Ok(5));
        one.exit();
    });
}

/// B41: a thread alert is not a port's business. An alertable `get_many` blocked on an
/// empty port goes on waiting when its thread is alerted, takes the packet posted after,
/// and leaves the alert pending for the thread's next alertable wait.
#[test]
fn b41_an_alert_leaves_an_alertable_get_many_waiting() {
    let port = CompletionPort::new(0);
    let p = port.clone();
    let (tx, rx) = mpsc::channel();
    let getter = thread::spawn(move || {
        tx.send(alertable::current()).unwrap();
        let mut out = Vec::new();
        let got = p.get_many(&mut out, 4, LONG, Alertable::Yes);
        (got, out.len(), alertable::take_alert())
    });
    let thread = rx.recv().unwrap();
    until("the getter waits on the port", || {
        port.waiting_threads() == 1
    });
    alertable::alert_thread(&thread);
    port.post(packet(7, 7)).unwrap();
    let (got, taken, alert_pending) = getter.join().unwrap();
    assert_eq!(got, Ok(1));
    assert_eq!(taken, 1);
    assert!(alert_pending, "the alert waits for the next alertable wait");
}

/// A `get` made from a thread-local destructor that runs after the core's own per-thread
/// state is gone still sleeps until a post hands it its packet (its slot then wakes a
/// private parker, not the thread's vanished one).
#[test]
fn a_get_in_a_late_thread_local_destructor_is_handed_its_packet() {
    use std::cell::RefCell;

    struct GetOnDrop(CompletionPort, mpsc::Sender<Result<usize, PortError>>);

    impl Drop for GetOnDrop {
        fn drop(&mut self) {
            // Longer than the test waits for it: only a wake-up ends this get in time.
            let got = self.0.get(Some(Duration::from_secs(120))).map(|p| p.key);
            let _ = self.1.send(got);
        }
    }

    thread_local! {
        static GET: RefCell<Option<GetOnDrop>> = const { RefCell::new(None) };
    }

    let port = CompletionPort::new(1);
    let (got_tx, got) = mpsc::channel();
    let (tid_tx, tid) = mpsc::channel();
    let getter = {
        let port = port.clone();
        thread::spawn(move || {
            // Registered first, so destroyed last: after the core's thread state, which the
            // next line creates.
            GET.with(|g| *g.borrow_mut() = Some(GetOnDrop(port, got_tx)));
            tid_tx.send(alertable::current().id()).unwrap();
        })
    };
    let tid = tid.recv().unwrap();
    until("the getter to wait", || port.waiting_threads() == 1);
    let stat = format!("/proc/self/task/{tid}/stat");
    until("the getter to sleep", || {
        std::fs::read_to_string(&stat).is_ok_and(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('S'))
        })
    });
    port.post(packet(7, 0)).unwrap();
    assert_eq!(got.recv_timeout(Duration::from_secs(60)), Ok(Ok(7)));
    getter.join().unwrap();
}
