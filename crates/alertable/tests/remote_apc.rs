//! Process-to-process APCs (spec A: queueing to other threads; B20: an alertable wait that
//! runs one returns 192). Peers are copies of this test binary, run by the `peer` test
//! with `ALERTABLE_TEST_ROLE`; processes synchronise with named events.

#![allow(clippy::disallowed_types)] // std atomics are fine outside the protocol modules

mod common;

use common::peers::{self, manual, ready_then_wait, signaled, spawn, unique};

use std::sync::Mutex as StdMutex;
use std::time::Duration;

use alertable::{Alertable, Event, RemoteError, RemoteThread, SleepStatus, sleep_ex, wait_one};

const LONG: Option<Duration> = Some(Duration::from_secs(30));

static RECEIVED: StdMutex<Vec<Vec<u8>>> = StdMutex::new(Vec::new());

fn record(message: &[u8]) {
    RECEIVED.lock().unwrap().push(message.to_vec());
}

/// The peer side.
#[test]
fn peer() {
    let Some((role, args)) = peers::role() else {
        return;
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match role.as_str() {
        // Publishes itself, then runs remote APCs until it has `count` of them, in order.
        "receiver" => {
            alertable::register_remote_handler("record", record).unwrap();
            alertable::publish_current(Some(args[0])).unwrap();
            Event::open(args[1]).unwrap().set();
            let count: usize = args[2].parse().unwrap();
            while RECEIVED.lock().unwrap().len() < count {
                assert_eq!(sleep_ex(LONG, Alertable::Yes), SleepStatus::Alerted);
            }
            let got = RECEIVED.lock().unwrap();
            for (i, message) in got.iter().enumerate() {
                assert_eq!(message, i.to_string().as_bytes(), "FIFO per producer");
            }
            Event::open(args[3]).unwrap().set();
        }
        // Publishes itself and exits at once.
        "publish-and-exit" => {
            alertable::publish_current(Some(args[0])).unwrap();
            ready_then_wait(args[1], args[2]);
        }
        // Publishes itself and never waits alertably.
        "deaf" => {
            alertable::publish_current(Some(args[0])).unwrap();
            ready_then_wait(args[1], args[2]);
        }
        // Takes the producers' lock of a published thread's mailbox, says so, and waits
        // to be killed.
        "hold-lock" => {
            RemoteThread::open(args[0])
                .unwrap()
                .hold_mailbox_lock_forever();
            ready_then_wait(args[1], args[2]);
        }
        // Queues whole messages to a published thread as fast as it can, until killed.
        "flood" => {
            let target = RemoteThread::open(args[0]).unwrap();
            Event::open(args[1]).unwrap().set();
            for i in 0u32.. {
                let byte = (i % 251) as u8;
                match target.queue("whole", &[byte; 24]) {
                    Ok(()) | Err(RemoteError::Full) => {}
                    Err(e) => panic!("flood: {e}"),
                }
            }
        }
        other => panic!("unknown role {other}"),
    }
}

#[test]
fn a_remote_apcs_run_in_the_receivers_alertable_waits_in_order() {
    let (name, ready, done) = (unique("recv"), unique("ready"), unique("done"));
    let ready_event = manual(&ready);
    let done_event = manual(&done);
    let count = 2000;
    let mut child = spawn("receiver", &[&name, &ready, &count.to_string(), &done]);
    signaled(wait_one(&ready_event, LONG, Alertable::No));
    let target = RemoteThread::open(&name).unwrap();
    assert_eq!(
        RemoteThread::open_id(target.id()).unwrap().id(),
        target.id()
    );
    for i in 0..count {
        target
            .queue_timeout("record", i.to_string().as_bytes(), Duration::from_secs(30))
            .unwrap();
    }
    signaled(wait_one(&done_event, LONG, Alertable::No));
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_queueing_to_an_exited_or_killed_thread_fails_cleanly() {
    let (name, ready, go) = (unique("exit"), unique("ready"), unique("go"));
    let ready_event = manual(&ready);
    let go_event = manual(&go);
    let mut child = spawn("publish-and-exit", &[&name, &ready, &go]);
    signaled(wait_one(&ready_event, LONG, Alertable::No));
    let target = RemoteThread::open(&name).unwrap();
    target.queue("record", b"pending").unwrap();
    go_event.set();
    assert!(child.wait().unwrap().success());
    assert_eq!(
        target.queue("record", b"late"),
        Err(RemoteError::ThreadExited)
    );
    assert_eq!(
        RemoteThread::open(&name).unwrap_err(),
        RemoteError::NotFound
    );

    let (name, ready, never) = (unique("killed"), unique("ready"), unique("never"));
    let ready_event = manual(&ready);
    let _never = manual(&never);
    let mut child = spawn("deaf", &[&name, &ready, &never]);
    signaled(wait_one(&ready_event, LONG, Alertable::No));
    let target = RemoteThread::open(&name).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    // A queue looks at the target's liveness at most every 10 ms (one system call), so
    // the first call after that interval knows; every later one fails the same way.
    sleep_ex(Some(Duration::from_millis(11)), Alertable::No);
    assert_eq!(
        target.queue("record", b"to the dead"),
        Err(RemoteError::ThreadExited)
    );
    assert_eq!(
        target.queue("record", b"again"),
        Err(RemoteError::ThreadExited)
    );
    assert_eq!(
        RemoteThread::open(&name).unwrap_err(),
        RemoteError::NotFound
    );
}

#[test]
fn a_full_mailbox_is_an_error_never_a_deadlock() {
    let (name, ready, go) = (unique("deaf"), unique("ready"), unique("go"));
    let ready_event = manual(&ready);
    let go_event = manual(&go);
    let mut child = spawn("deaf", &[&name, &ready, &go]);
    signaled(wait_one(&ready_event, LONG, Alertable::No));
    let target = RemoteThread::open(&name).unwrap();
    let message = vec![7u8; 1000];
    let mut queued = 0;
    let error = loop {
        match target.queue("record", &message) {
            Ok(()) => queued += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(error, RemoteError::Full);
    assert!(queued > 10, "a mailbox holds many messages ({queued})");
    assert_eq!(
        target.queue_timeout("record", &message, Duration::from_millis(20)),
        Err(RemoteError::Full)
    );
    assert_eq!(
        target.queue("record", &vec![0; alertable::MAX_REMOTE_MESSAGE + 1]),
        Err(RemoteError::TooLarge)
    );
    go_event.set();
    assert!(child.wait().unwrap().success());
}

#[test]
fn b20_a_remote_apc_to_this_process_ends_an_alertable_sleep_with_192() {
    alertable::register_remote_handler("record", record).unwrap();
    let name = unique("self");
    let worker = {
        let name = name.clone();
        let ready = manual(&unique("ready"));
        let r = ready.clone();
        let t = alertable::spawn(move || {
            alertable::publish_current(Some(&name)).unwrap();
            r.set();
            sleep_ex(LONG, Alertable::Yes)
        })
        .unwrap();
        signaled(wait_one(&ready, LONG, Alertable::No));
        t
    };
    RemoteThread::open(&name)
        .unwrap()
        .queue("record", b"self")
        .unwrap();
    assert_eq!(worker.join().unwrap().as_win32(), 192);
    assert!(RECEIVED.lock().unwrap().iter().any(|m| m == b"self"));
}

#[test]
fn names_and_ids_are_checked() {
    assert_eq!(
        RemoteThread::open(&unique("nobody")).unwrap_err(),
        RemoteError::NotFound
    );
    let name = unique("taken");
    alertable::publish_current(Some(&name)).unwrap();
    let other = alertable::spawn(move || alertable::publish_current(Some(&name))).unwrap();
    assert_eq!(other.join().unwrap(), Err(RemoteError::NameTaken));
    assert_eq!(
        alertable::publish_current(Some(&"n".repeat(65))),
        Err(RemoteError::TooLarge)
    );
}

/// A thread of this process, published under a fresh name, that runs `body` once it is
/// published; its name.
fn published_worker<T: Send + 'static>(
    body: impl FnOnce() -> T + Send + 'static,
) -> (String, alertable::JoinHandle<T>) {
    let name = unique("worker");
    let ready = manual(&unique("ready"));
    let (n, r) = (name.clone(), ready.clone());
    let worker = alertable::spawn(move || {
        alertable::publish_current(Some(&n)).unwrap();
        r.set();
        body()
    })
    .unwrap();
    signaled(wait_one(&ready, LONG, Alertable::No));
    (name, worker)
}

/// A published worker, as [`published_worker`], that runs `body` only once the returned
/// event is set: messages queued before that wait in its mailbox.
fn worker_held_until<T: Send + 'static>(
    body: impl FnOnce() -> T + Send + 'static,
) -> (Event, String, alertable::JoinHandle<T>) {
    let go = manual(&unique("go"));
    let g = go.clone();
    let (name, worker) = published_worker(move || {
        signaled(wait_one(&g, LONG, Alertable::No));
        body()
    });
    (go, name, worker)
}

thread_local! {
    static SEEN: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn seen(message: &[u8]) {
    SEEN.with_borrow_mut(|s| s.push(message.to_vec()));
}

fn explode(_: &[u8]) {
    panic!("a remote APC handler panics");
}

fn nest(message: &[u8]) {
    // A nested alertable wait runs the messages queued behind this one.
    sleep_ex(Some(Duration::ZERO), Alertable::Yes);
    seen(message);
}

/// A handler that panics unwinds out of the wait that ran it and leaves the messages
/// behind it in the mailbox: the next alertable wait runs them, each exactly once (as a
/// panicking APC leaves the rest queued).
#[test]
fn a_panicking_remote_handler_leaves_the_rest_for_the_next_wait() {
    alertable::register_remote_handler("seen", seen).unwrap();
    alertable::register_remote_handler("explode", explode).unwrap();
    let (go, name, worker) = worker_held_until(move || {
        let first = std::panic::catch_unwind(|| sleep_ex(Some(Duration::ZERO), Alertable::Yes));
        let second = sleep_ex(Some(Duration::ZERO), Alertable::Yes);
        (first.is_err(), second, SEEN.take())
    });
    let target = RemoteThread::open(&name).unwrap();
    target.queue("seen", b"1").unwrap();
    target.queue("explode", b"").unwrap();
    target.queue("seen", b"2").unwrap();
    go.set();
    let (panicked, second, seen) = worker.join().unwrap();
    assert!(panicked);
    assert_eq!(second, SleepStatus::Alerted);
    assert_eq!(seen, vec![b"1".to_vec(), b"2".to_vec()]);
}

/// A handler that waits alertably runs, in that wait, the messages queued behind it, and
/// none of them runs twice.
#[test]
fn a_nested_alertable_wait_in_a_remote_handler_takes_the_next_messages_once() {
    alertable::register_remote_handler("seen", seen).unwrap();
    alertable::register_remote_handler("nest", nest).unwrap();
    let (go, name, worker) = worker_held_until(move || {
        let status = sleep_ex(Some(Duration::ZERO), Alertable::Yes);
        (status, SEEN.take())
    });
    let target = RemoteThread::open(&name).unwrap();
    target.queue("nest", b"a").unwrap();
    target.queue("seen", b"b").unwrap();
    target.queue("seen", b"c").unwrap();
    go.set();
    let (status, seen) = worker.join().unwrap();
    assert_eq!(status, SleepStatus::Alerted);
    assert_eq!(seen, vec![b"b".to_vec(), b"c".to_vec(), b"a".to_vec()]);
}

fn chain(name: &[u8]) {
    // Queues another remote APC to this very thread, by its published name.
    RemoteThread::open(std::str::from_utf8(name).unwrap())
        .unwrap()
        .queue("seen", b"chained")
        .unwrap();
    seen(b"first");
}

/// A remote APC queued while the thread runs another is delivered in the same wait, as a
/// local one is (B24): one `sleep_ex` runs both.
#[test]
fn b24_a_remote_apc_queued_during_delivery_is_delivered_in_the_same_wait() {
    alertable::register_remote_handler("seen", seen).unwrap();
    alertable::register_remote_handler("chain", chain).unwrap();
    let (go, name, worker) = worker_held_until(move || {
        let status = sleep_ex(Some(Duration::ZERO), Alertable::Yes);
        (status, SEEN.take())
    });
    let target = RemoteThread::open(&name).unwrap();
    target.queue("chain", name.as_bytes()).unwrap();
    go.set();
    let (status, seen) = worker.join().unwrap();
    assert_eq!(status, SleepStatus::Alerted);
    assert_eq!(seen, vec![b"first".to_vec(), b"chained".to_vec()]);
}

/// Remote APCs join the thread's FIFO when it takes them from its mailbox, behind the
/// local APCs queued before that (spec A).
#[test]
fn a_remote_apcs_join_the_fifo_behind_local_apcs_already_queued() {
    alertable::register_remote_handler("seen", seen).unwrap();
    let (go, name, worker) = worker_held_until(move || {
        let status = sleep_ex(Some(Duration::ZERO), Alertable::Yes);
        (status, SEEN.take())
    });
    let target = RemoteThread::open(&name).unwrap();
    target.queue("seen", b"remote").unwrap();
    worker.thread().queue_apc(|| seen(b"local")).unwrap();
    go.set();
    let (status, seen) = worker.join().unwrap();
    assert_eq!(status, SleepStatus::Alerted);
    assert_eq!(seen, vec![b"local".to_vec(), b"remote".to_vec()]);
}

/// A producer that dies holding a mailbox's lock does not wedge the mailbox: the next
/// producer finds the holder dead and goes on (X8).
#[test]
fn a_producer_killed_holding_a_mailbox_lock_does_not_wedge_it() {
    alertable::register_remote_handler("seen", seen).unwrap();
    let (go, name, worker) = worker_held_until(move || {
        while SEEN.with_borrow(Vec::len) == 0 {
            sleep_ex(LONG, Alertable::Yes);
        }
        SEEN.take()
    });
    let (held, never) = (unique("held"), unique("never"));
    let held_event = manual(&held);
    let _never = manual(&never);
    let mut child = spawn("hold-lock", &[&name, &held, &never]);
    signaled(wait_one(&held_event, LONG, Alertable::No));
    child.kill().unwrap();
    child.wait().unwrap();
    RemoteThread::open(&name)
        .unwrap()
        .queue("seen", b"after")
        .unwrap();
    go.set();
    assert_eq!(worker.join().unwrap(), vec![b"after".to_vec()]);
}

/// A thread published after another exited never runs what was queued for the other, even
/// when it is given the same mailbox; a handle to the exited thread fails (X8).
#[test]
fn a_new_owner_of_a_mailbox_skips_messages_queued_for_the_old_one() {
    alertable::register_remote_handler("seen", seen).unwrap();
    let exit = manual(&unique("exit"));
    let e = exit.clone();
    let (name, first) = published_worker(move || {
        signaled(wait_one(&e, LONG, Alertable::No));
    });
    let old = RemoteThread::open(&name).unwrap();
    old.queue("seen", b"for the first").unwrap();
    exit.set();
    first.join().unwrap();
    assert_eq!(old.queue("seen", b"late"), Err(RemoteError::ThreadExited));
    let (_, second) = published_worker(|| {
        let status = sleep_ex(Some(Duration::ZERO), Alertable::Yes);
        (status, SEEN.take())
    });
    let (status, seen) = second.join().unwrap();
    assert_eq!(status, SleepStatus::Elapsed);
    assert!(seen.is_empty());
}

static WHOLE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static MARKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Every message a killed producer committed is whole: 24 equal bytes.
fn whole(message: &[u8]) {
    assert_eq!(message.len(), 24, "a torn message");
    assert!(message.iter().all(|&b| b == message[0]), "a torn message");
    WHOLE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

fn mark(_: &[u8]) {
    MARKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// Crash safety of the mailboxes (X8): a producer process is SIGKILLed at a random point
/// while it queues as fast as it can, many times, and after every kill a producer here
/// still gets its message through within a bound, and the receiver has only ever seen
/// whole messages. `ALERTABLE_KILL_ITERATIONS` and `ALERTABLE_KILL_SEED` as for the
/// objects' kill test.
#[test]
fn a_producers_killed_at_random_points_never_wedge_or_tear_a_mailbox() {
    use std::sync::atomic::Ordering::Relaxed;
    let iterations: u32 = std::env::var("ALERTABLE_KILL_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let mut seed: u64 = std::env::var("ALERTABLE_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("mailbox kill test: {iterations} iterations, ALERTABLE_KILL_SEED={seed}");
    alertable::register_remote_handler("whole", whole).unwrap();
    alertable::register_remote_handler("mark", mark).unwrap();
    let stop = manual(&unique("stop"));
    let s = stop.clone();
    let (name, receiver) = published_worker(move || {
        while wait_one(&s, LONG, Alertable::Yes) == Ok(alertable::WaitStatus::Alerted) {}
    });
    let target = RemoteThread::open(&name).unwrap();
    for i in 0..iterations {
        let ready = unique("flood-ready");
        let ready_event = manual(&ready);
        let mut victim = spawn("flood", &[&name, &ready]);
        signaled(wait_one(&ready_event, LONG, Alertable::No));
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let spin = std::time::Instant::now() + Duration::from_micros(seed % 2000);
        while std::time::Instant::now() < spin {
            std::hint::spin_loop();
        }
        victim.kill().unwrap();
        victim.wait().unwrap();
        let marks = MARKS.load(Relaxed);
        target
            .queue_timeout("mark", b"", Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("iteration {i}: the mailbox is wedged: {e}"));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while MARKS.load(Relaxed) == marks {
            assert!(
                std::time::Instant::now() < deadline,
                "iteration {i}: the receiver never got the message"
            );
            sleep_ex(Some(Duration::from_millis(1)), Alertable::No);
        }
    }
    stop.set();
    receiver.join().unwrap();
    println!(
        "mailbox kill test: {} whole messages from the victims",
        WHOLE.load(Relaxed)
    );
    assert!(
        WHOLE.load(Relaxed) > 0,
        "the victims never got a message through"
    );
}

static COUNTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static EXPECTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(u64::MAX);

fn count(_: &[u8]) {
    COUNTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// A producer that finds the mailbox full waits in `queue_timeout` until the owner takes
/// its messages, and then gets its message through; nothing is lost or run twice.
#[test]
fn a_queue_timeout_on_a_full_mailbox_goes_through_once_the_owner_takes() {
    use std::sync::atomic::Ordering::Relaxed;
    alertable::register_remote_handler("count", count).unwrap();
    let (go, name, worker) = worker_held_until(move || {
        while COUNTED.load(Relaxed) < EXPECTED.load(Relaxed) {
            sleep_ex(LONG, Alertable::Yes);
        }
        COUNTED.load(Relaxed)
    });
    let target = RemoteThread::open(&name).unwrap();
    let mut queued = 0u64;
    while target.queue("count", &[0; 100]).is_ok() {
        queued += 1;
    }
    assert_eq!(target.queue("count", &[0; 100]), Err(RemoteError::Full));
    let late = {
        let target = target.clone();
        std::thread::spawn(move || target.queue_timeout("count", b"late", Duration::from_secs(30)))
    };
    EXPECTED.store(queued + 1, Relaxed);
    go.set();
    assert_eq!(late.join().unwrap(), Ok(()));
    assert_eq!(worker.join().unwrap(), queued + 1);
}

fn first(_: &[u8]) {
    seen(b"first");
}

fn second(_: &[u8]) {
    seen(b"second");
}

/// Registering a name again replaces its handler for the messages taken after it, even
/// on a thread that has just run the old one.
#[test]
fn registering_a_handler_again_replaces_it() {
    alertable::register_remote_handler("replaced", first).unwrap();
    let name = unique("replace");
    alertable::publish_current(Some(&name)).unwrap();
    let me = RemoteThread::open(&name).unwrap();
    me.queue("replaced", b"").unwrap();
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Alerted
    );
    alertable::register_remote_handler("replaced", second).unwrap();
    me.queue("replaced", b"").unwrap();
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Alerted
    );
    assert_eq!(SEEN.take(), vec![b"first".to_vec(), b"second".to_vec()]);
}

static TAGGED: StdMutex<Vec<(u8, Vec<u8>)>> = StdMutex::new(Vec::new());

/// A 64-byte handler name, the longest there is.
const LONGEST_NAME: &str = "a-handler-name-of-sixty-four-bytes-which-is-the-longest-allowed!";

fn tagged_short(message: &[u8]) {
    TAGGED.lock().unwrap().push((0, message.to_vec()));
}

fn tagged_odd(message: &[u8]) {
    TAGGED.lock().unwrap().push((1, message.to_vec()));
}

fn tagged_longest(message: &[u8]) {
    TAGGED.lock().unwrap().push((2, message.to_vec()));
}

/// Messages of every length modulo a word, naming handlers whose names are short, odd and
/// the longest allowed, come out of the mailbox whole, each to its handler, in the order
/// they were queued, also once they have gone round the ring several times (spec A).
#[test]
fn a_messages_of_every_padding_and_name_length_arrive_whole_and_in_order() {
    const COUNT: usize = 6_000;
    assert_eq!(LONGEST_NAME.len(), 64);
    let names = ["tagq", "tag-5", LONGEST_NAME];
    let handlers: [fn(&[u8]); 3] = [tagged_short, tagged_odd, tagged_longest];
    for (name, handler) in names.into_iter().zip(handlers) {
        alertable::register_remote_handler(name, handler).unwrap();
    }
    let (name, worker) = published_worker(|| {
        while TAGGED.lock().unwrap().len() < COUNT {
            sleep_ex(LONG, Alertable::Yes);
        }
    });
    let target = RemoteThread::open(&name).unwrap();
    let message = |i: usize| -> Vec<u8> {
        (0..i % 19)
            .map(|j| (i as u8).wrapping_mul(7).wrapping_add(j as u8))
            .collect()
    };
    for i in 0..COUNT {
        target
            .queue_timeout(names[i % 3], &message(i), Duration::from_secs(30))
            .unwrap();
    }
    worker.join().unwrap();
    let got = std::mem::take(&mut *TAGGED.lock().unwrap());
    assert_eq!(got.len(), COUNT);
    for (i, (tag, bytes)) in got.into_iter().enumerate() {
        assert_eq!(
            (usize::from(tag), bytes),
            (i % 3, message(i)),
            "message {i}"
        );
    }
}

static FILLED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static FILL_TARGET: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(u64::MAX);
static HOLD: std::sync::OnceLock<(Event, Event)> = std::sync::OnceLock::new();

fn fill(_: &[u8]) {
    FILLED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

/// Says it runs, then blocks in a library wait until told to go on.
fn hold(_: &[u8]) {
    let (entered, release) = HOLD.get().expect("set by the test");
    entered.set();
    signaled(wait_one(release, LONG, Alertable::No));
}

/// R3: a handler that blocks in one of the library's waits mid-take has given the words
/// it read back to the producers first: while it waits, the mailbox takes as many
/// messages as it does empty. (The owner stores the head in batches while it reads; before
/// the head was also stored on blocking, the held message's words stayed taken.)
#[test]
fn r3_a_handler_blocked_mid_take_holds_no_words_it_has_read() {
    use std::sync::atomic::Ordering::SeqCst;
    alertable::register_remote_handler("fill", fill).unwrap();
    alertable::register_remote_handler("hold", hold).unwrap();
    let (entered, release) = HOLD.get_or_init(|| {
        (
            Event::new(alertable::EventReset::Manual, false),
            Event::new(alertable::EventReset::Manual, false),
        )
    });
    let (go, name, worker) = worker_held_until(|| {
        while FILLED.load(SeqCst) < FILL_TARGET.load(SeqCst) {
            sleep_ex(LONG, Alertable::Yes);
        }
    });
    let target = RemoteThread::open(&name).unwrap();
    // Same name length and payload: every message takes the same words.
    let payload = [5u8; 100];
    let fill_up = || {
        let mut queued = 0u64;
        while target.queue("fill", &payload).is_ok() {
            queued += 1;
        }
        queued
    };
    let empty = fill_up();
    assert!(empty > 10, "a mailbox holds many messages ({empty})");
    go.set();
    let give_up = std::time::Instant::now() + Duration::from_secs(30);
    while FILLED.load(SeqCst) < empty {
        assert!(
            std::time::Instant::now() < give_up,
            "the owner never took them"
        );
        std::thread::yield_now();
    }
    target.queue("hold", &payload).unwrap();
    signaled(wait_one(entered, LONG, Alertable::No));
    // R3 speaks of a handler that blocks: past `entered`, it may not have yet.
    common::wait_until_blocked(worker.thread().id());
    let while_held = fill_up();
    FILL_TARGET.store(empty + while_held, SeqCst);
    release.set();
    worker.join().unwrap();
    assert_eq!(
        while_held, empty,
        "the held message's words went back before its handler blocked"
    );
}
