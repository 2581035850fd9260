//! The APC readiness descriptor (`ApcNotifier`): an APC queued to the thread makes it
//! readable, `test_alert` runs the APC and makes it unreadable again (A3's `NtTestAlert`,
//! driven by a poll loop) — across many cycles, with several producers, per-producer FIFO
//! (A1's order), through a panicking APC — and its cost: one write per batch for an armed
//! thread, and no descriptor write at all when queueing to a thread without one.
#![allow(clippy::disallowed_types)]

use std::fs;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};

use alertable::{Alertable, ApcNotifier, SleepStatus, sleep_ex, test_alert};
use rustix::event::{PollFd, PollFlags, poll};
use rustix::time::Timespec;

mod common;

use common::{LONG, bump, counter, recv, wait_until_blocked};

/// Whether `fd` is readable right now.
fn readable(fd: &impl AsFd) -> bool {
    let mut fds = [PollFd::new(fd, PollFlags::IN)];
    poll(&mut fds, Some(&Timespec::default())).expect("poll") == 1
}

/// Sleeps until `fd` is readable; fails instead of hanging.
fn wait_readable(fd: &impl AsFd) {
    let mut fds = [PollFd::new(fd, PollFlags::IN)];
    let limit = Timespec {
        tv_sec: LONG.unwrap().as_secs() as i64,
        tv_nsec: 0,
    };
    assert_eq!(
        poll(&mut fds, Some(&limit)).expect("poll"),
        1,
        "never readable"
    );
}

/// How many times the descriptor was written since it was last cleared, read through a
/// duplicate of it (which clears it, as `test_alert` would).
fn writes(notifier: &ApcNotifier) -> u64 {
    use std::io::Read;
    let mut file = fs::File::from(notifier.as_fd().try_clone_to_owned().unwrap());
    let mut count = [0u8; 8];
    match file.read(&mut count) {
        Ok(8) => u64::from_ne_bytes(count),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => 0,
        other => panic!("unexpected read from an eventfd: {other:?}"),
    }
}

/// Write system calls made so far by the calling thread, if the kernel accounts for them.
fn thread_write_calls() -> Option<u64> {
    let io = fs::read_to_string("/proc/thread-self/io").ok()?;
    io.lines()
        .find_map(|line| line.strip_prefix("syscw:"))
        .and_then(|n| n.trim().parse().ok())
}

/// A3: an APC queued from another thread makes the descriptor readable; `test_alert` runs
/// it on this thread and leaves the descriptor unreadable.
#[test]
fn queue_makes_readable_and_test_alert_clears() {
    let notifier = ApcNotifier::new().unwrap();
    assert!(!readable(&notifier));
    let me = alertable::current();
    let ran_on = Arc::new(AtomicUsize::new(0));
    let r = ran_on.clone();
    std::thread::spawn(move || {
        me.queue_apc(move || r.store(alertable::current().id() as usize, Ordering::SeqCst))
            .unwrap();
    })
    .join()
    .unwrap();
    assert!(readable(&notifier));
    assert!(test_alert());
    assert_eq!(
        ran_on.load(Ordering::SeqCst),
        alertable::current().id() as usize
    );
    assert!(!readable(&notifier));
    assert!(!test_alert());
    assert_eq!(notifier.thread(), &alertable::current());
}

/// APCs queued before the descriptor was asked for make it readable at once.
#[test]
fn readable_at_once_when_apcs_are_pending() {
    let ran = counter();
    alertable::current().queue_apc(bump(&ran)).unwrap();
    let notifier = ApcNotifier::new().unwrap();
    assert!(readable(&notifier));
    assert!(notifier.dispatch());
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert!(!readable(&notifier));
}

/// Ten thousand queue → readable → `test_alert` → unreadable cycles, one APC at a time
/// from another thread, each queued after the previous one ran: no wake-up is lost and
/// none is left over.
#[test]
fn many_cycles_lose_nothing() {
    const CYCLES: usize = 10_000;
    let notifier = ApcNotifier::new().unwrap();
    let me = alertable::current();
    let ran = counter();
    let (ack, acked) = mpsc::channel::<()>();
    let r = ran.clone();
    let producer = std::thread::spawn(move || {
        for i in 0..CYCLES {
            let (r, ack) = (r.clone(), ack.clone());
            me.queue_apc(move || {
                assert_eq!(r.fetch_add(1, Ordering::SeqCst), i, "FIFO");
                ack.send(()).unwrap();
            })
            .unwrap();
            recv(&acked);
        }
    });
    let mut dispatches = 0;
    while ran.load(Ordering::SeqCst) < CYCLES {
        wait_readable(&notifier);
        notifier.dispatch();
        dispatches += 1;
    }
    producer.join().unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), CYCLES);
    assert!(
        dispatches <= 2 * CYCLES,
        "{dispatches} dispatches: the loop spun"
    );
    assert!(!readable(&notifier), "nothing left over");
    assert!(!test_alert());
}

/// Four threads queue 2,500 APCs each, as fast as they can, to a thread that runs them
/// only from its poll loop: each runs exactly once, each producer's in its order.
#[test]
fn several_producers_exactly_once_in_order() {
    const PRODUCERS: usize = 4;
    const EACH: usize = 2_500;
    let notifier = ApcNotifier::new().unwrap();
    let next: Arc<Vec<AtomicUsize>> =
        Arc::new((0..PRODUCERS).map(|_| AtomicUsize::new(0)).collect());
    let total = counter();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let (me, next, total) = (alertable::current(), next.clone(), total.clone());
            std::thread::spawn(move || {
                for i in 0..EACH {
                    let (next, total) = (next.clone(), total.clone());
                    me.queue_apc(move || {
                        assert_eq!(next[p].fetch_add(1, Ordering::Relaxed), i, "producer {p}");
                        total.fetch_add(1, Ordering::Relaxed);
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    while total.load(Ordering::Relaxed) < PRODUCERS * EACH {
        wait_readable(&notifier);
        notifier.dispatch();
    }
    for p in producers {
        p.join().unwrap();
    }
    assert!(next.iter().all(|n| n.load(Ordering::Relaxed) == EACH));
    assert!(!readable(&notifier));
}

/// One write per batch: however many APCs arrive while the thread is out in its loop,
/// only the first one's producer writes the descriptor.
#[test]
fn one_write_per_batch() {
    let notifier = ApcNotifier::new().unwrap();
    let ran = counter();
    let (me, r) = (alertable::current(), ran.clone());
    std::thread::spawn(move || {
        for _ in 0..1_000 {
            me.queue_apc(bump(&r)).unwrap();
        }
    })
    .join()
    .unwrap();
    assert_eq!(writes(&notifier), 1);
    assert!(!readable(&notifier), "the duplicate's read cleared it");
    assert!(notifier.dispatch());
    assert_eq!(ran.load(Ordering::SeqCst), 1_000);
    // Re-armed: the next APC writes once more — also one queued to oneself, say from a
    // callback of the loop, which the loop then runs on its next turn.
    alertable::current().queue_apc(|| ()).unwrap();
    assert_eq!(writes(&notifier), 1);
    assert!(notifier.dispatch());
    let me = alertable::current();
    std::thread::spawn(move || me.queue_apc(|| ()).unwrap())
        .join()
        .unwrap();
    assert_eq!(writes(&notifier), 1);
    assert!(notifier.dispatch());
}

/// The cost: queueing to a thread without a descriptor — asleep in `sleep_ex` or running —
/// makes no write system call at all, while queueing to an armed thread does.
#[test]
fn no_descriptor_no_write() {
    let Some(before) = thread_write_calls() else {
        eprintln!("skipped: the kernel does not account I/O system calls per thread");
        return;
    };
    const APCS: usize = 200;
    let (ack, acked) = mpsc::channel::<()>();
    let (tid_tx, tid_rx) = mpsc::channel();
    let sleeper = alertable::spawn(move || {
        tid_tx.send(()).unwrap();
        while !STOP.get() {
            sleep_ex(None, Alertable::Yes);
        }
    })
    .unwrap();
    recv(&tid_rx);
    let target = sleeper.thread().clone();
    for i in 0..APCS {
        if i % 20 == 0 {
            // Now and then, make sure it is really asleep: the wake-up path is measured.
            wait_until_blocked(target.id());
        }
        let ack = ack.clone();
        target.queue_apc(move || ack.send(()).unwrap()).unwrap();
        recv(&acked);
    }
    let after = thread_write_calls().unwrap();
    target.queue_apc(|| STOP.set(true)).unwrap();
    sleeper.join().unwrap();
    assert_eq!(
        after - before,
        0,
        "queueing to a thread without a descriptor wrote"
    );

    // The control: the same to a thread with a descriptor does write.
    let (ready, is_ready) = mpsc::channel();
    let looper = alertable::spawn(move || {
        let notifier = ApcNotifier::new().unwrap();
        ready.send(()).unwrap();
        while !STOP.get() {
            wait_readable(&notifier);
            notifier.dispatch();
        }
    })
    .unwrap();
    recv(&is_ready);
    let before = thread_write_calls().unwrap();
    for _ in 0..APCS {
        let ack = ack.clone();
        looper
            .thread()
            .queue_apc(move || ack.send(()).unwrap())
            .unwrap();
        recv(&acked);
    }
    let after = thread_write_calls().unwrap();
    looper.thread().queue_apc(|| STOP.set(true)).unwrap();
    looper.join().unwrap();
    assert!(after - before >= 1, "the control saw no write");
    assert!(after - before <= APCS as u64);
}

thread_local! {
    static STOP: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// An armed thread can still wait alertably: the APC wakes `sleep_ex` and runs there; the
/// descriptor, written for it, then costs one empty `test_alert`, after which it is armed
/// again as before.
#[test]
fn armed_thread_still_sleeps_alertably() {
    let notifier = ApcNotifier::new().unwrap();
    let ran = counter();
    let (ready, is_ready) = mpsc::channel();
    let (me, r) = (alertable::current(), ran.clone());
    let producer = std::thread::spawn(move || {
        recv(&is_ready);
        me.queue_apc(bump(&r)).unwrap();
    });
    ready.send(()).unwrap();
    assert_eq!(sleep_ex(LONG, Alertable::Yes), SleepStatus::Alerted);
    producer.join().unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    // The producer found the thread announced, so it wrote the descriptor as well.
    assert!(readable(&notifier));
    assert!(!notifier.dispatch(), "spurious: the APC already ran");
    assert!(!readable(&notifier));
    let (me, r) = (alertable::current(), ran.clone());
    std::thread::spawn(move || me.queue_apc(bump(&r)).unwrap())
        .join()
        .unwrap();
    assert!(readable(&notifier), "armed again");
    assert!(notifier.dispatch());
    assert_eq!(ran.load(Ordering::SeqCst), 2);
}

/// A panic in an APC unwinds out of `dispatch`; the APC behind it stays queued and the
/// descriptor stays readable for it.
#[test]
fn panicking_apc_leaves_the_rest_readable() {
    let notifier = ApcNotifier::new().unwrap();
    let ran = counter();
    let (me, r) = (alertable::current(), ran.clone());
    std::thread::spawn(move || {
        me.queue_apc(|| panic!("an APC panicked")).unwrap();
        me.queue_apc(bump(&r)).unwrap();
    })
    .join()
    .unwrap();
    assert!(readable(&notifier));
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| notifier.dispatch()));
    assert!(unwound.is_err());
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    assert!(readable(&notifier), "the APC behind it is still announced");
    assert!(notifier.dispatch());
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert!(!readable(&notifier));
}

/// Notifiers on one thread share its descriptor, and the thread stays armed until the
/// last one goes; after that, producers no longer write it, and a new notifier picks up
/// what was queued meanwhile.
#[test]
fn notifiers_share_the_descriptor_and_disarm_with_the_last() {
    let first = ApcNotifier::new().unwrap();
    let second = ApcNotifier::new().unwrap();
    assert_eq!(first.as_raw_fd(), second.as_raw_fd());
    drop(first);
    let me = alertable::current();
    let queue_from_elsewhere = |me: &alertable::ThreadHandle| {
        let me = me.clone();
        std::thread::spawn(move || me.queue_apc(|| ()).unwrap())
            .join()
            .unwrap();
    };
    queue_from_elsewhere(&me);
    assert!(readable(&second), "still armed");
    assert!(second.dispatch());
    let fd = second.as_fd().try_clone_to_owned().unwrap();
    drop(second);
    queue_from_elsewhere(&me);
    assert!(!readable(&fd), "disarmed: nobody writes it");
    let third = ApcNotifier::new().unwrap();
    assert!(
        readable(&third),
        "the APC queued meanwhile is announced at once"
    );
    assert!(third.dispatch());
    assert!(!readable(&third));
    assert!(format!("{third:?}").contains("ApcNotifier"));
}
