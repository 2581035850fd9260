//! Spec section B, delivery: the `sleep_ex` matrix (B17), non-alertable waits (B19),
//! cross-thread wake-up (B20), draining in one wait (B23, B24, B32), blocking and nested
//! alertable waits inside APCs (B25, B26), timeouts, and panics inside APCs.
#![allow(clippy::disallowed_types)]

use std::any::Any;
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use alertable::{Alertable, SleepStatus, sleep_ex};

mod common;

use common::{CALLS, bump, count_call, counter, log, take_log, wait_until_blocked};

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("<non-string payload>")
}

// ---------------------------------------------------------------------------------------
// B17: the SleepEx matrix.

/// B17: without APCs every sleep, alertable or not, zero or 1 ms, returns `Elapsed` (0).
#[test]
fn b17_without_apcs_every_sleep_returns_elapsed() {
    for alertable in [Alertable::No, Alertable::Yes] {
        for timeout in [Duration::ZERO, Duration::from_millis(1)] {
            let start = Instant::now();
            let status = sleep_ex(Some(timeout), alertable);
            assert_eq!(status, SleepStatus::Elapsed, "{alertable:?} {timeout:?}");
            assert_eq!(status.as_win32(), 0);
            assert!(start.elapsed() >= timeout);
        }
    }
}

/// B17: alertable with an APC queued to self, timeout 0 or 1 ms: `Alerted` (192) and the
/// APC ran.
#[test]
fn b17_alertable_with_a_pending_apc_returns_alerted() {
    for timeout in [Duration::ZERO, Duration::from_millis(1)] {
        let ran = counter();
        alertable::current().queue_apc(bump(&ran)).unwrap();
        let status = sleep_ex(Some(timeout), Alertable::Yes);
        assert_eq!(status, SleepStatus::Alerted, "{timeout:?}");
        assert_eq!(status.as_win32(), 192);
        assert_eq!(ran.load(Ordering::SeqCst), 1);
    }
}

/// B17: an alertable sleep that finds APCs pending does not sleep at all: an hour-long
/// timeout still returns `Alerted` (a sleep of the full hour would hang the test).
#[test]
fn b17_pending_apcs_end_a_long_sleep_at_once() {
    let ran = counter();
    alertable::current().queue_apc(bump(&ran)).unwrap();
    assert_eq!(
        sleep_ex(Some(Duration::from_secs(3600)), Alertable::Yes),
        SleepStatus::Alerted
    );
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

/// B17: a timeout too large for the clock (`Duration::MAX`) behaves as an infinite one:
/// no overflow, pending APCs run, `Alerted`.
#[test]
fn b17_duration_max_with_a_pending_apc() {
    alertable::current().queue_user_apc(count_call, 0).unwrap();
    assert_eq!(
        sleep_ex(Some(Duration::MAX), Alertable::Yes),
        SleepStatus::Alerted
    );
    assert_eq!(CALLS.get(), 1);
}

// ---------------------------------------------------------------------------------------
// B19: non-alertable waits.

/// B19: with an APC pending, a non-alertable sleep does not run it; the next alertable one
/// does.
#[test]
fn b19_non_alertable_sleep_never_runs_apcs() {
    let ran = counter();
    alertable::current().queue_apc(bump(&ran)).unwrap();
    for _ in 0..3 {
        let start = Instant::now();
        assert_eq!(
            sleep_ex(Some(Duration::from_millis(1)), Alertable::No),
            SleepStatus::Elapsed
        );
        assert!(start.elapsed() >= Duration::from_millis(1));
        assert_eq!(
            ran.load(Ordering::SeqCst),
            0,
            "B19: ran in a non-alertable wait"
        );
    }
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::No),
        SleepStatus::Elapsed
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    assert_eq!(
        sleep_ex(Some(Duration::from_millis(1)), Alertable::Yes),
        SleepStatus::Alerted
    );
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

/// B19 across threads: an APC queued while the target sleeps non-alertably neither wakes
/// it early nor runs; the sleep lasts its full timeout and the APC runs at the next
/// alertable wait.
#[test]
fn b19_apc_does_not_interrupt_a_non_alertable_sleep() {
    const NAP: Duration = Duration::from_millis(200);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let (started_tx, started_rx) = mpsc::channel();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        let start = Instant::now();
        let status = sleep_ex(Some(NAP), Alertable::No);
        let slept = start.elapsed();
        let ran_during = r.load(Ordering::SeqCst);
        let second = sleep_ex(None, Alertable::Yes);
        (status, slept, ran_during, second)
    })
    .unwrap();
    started_rx.recv().unwrap();
    wait_until_blocked(worker.thread().id());
    let r = ran.clone();
    worker
        .thread()
        .queue_apc(move || r.store(true, Ordering::SeqCst))
        .unwrap();

    let (status, slept, ran_during, second) = worker.join().unwrap();
    assert_eq!(status, SleepStatus::Elapsed);
    assert!(slept >= NAP, "B19: woken early after {slept:?}");
    assert!(!ran_during, "B19: the APC ran during a non-alertable sleep");
    assert_eq!(second, SleepStatus::Alerted);
    assert!(ran.load(Ordering::SeqCst));
}

// ---------------------------------------------------------------------------------------
// B20: cross-thread wake-up.

/// Spawns a thread that reports it is about to wait alertably with `timeout`, waits, and
/// returns the status and whether the APC it was sent ran on it.
fn parked_sleeper(timeout: Option<Duration>) {
    let (started_tx, started_rx) = mpsc::channel();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        let status = sleep_ex(timeout, Alertable::Yes);
        (status, CALLS.get())
    })
    .unwrap();
    started_rx.recv().unwrap();
    wait_until_blocked(worker.thread().id());
    worker.thread().queue_user_apc(count_call, 0).unwrap();
    let (status, calls) = worker.join().unwrap();
    assert_eq!(status, SleepStatus::Alerted, "B20: {timeout:?}");
    assert_eq!(calls, 1, "B20: the APC did not run on the sleeper");
}

/// B20: an APC queued by another thread wakes a thread blocked in `sleep_ex(None, Yes)`.
#[test]
fn b20_apc_wakes_an_infinite_alertable_sleep() {
    parked_sleeper(None);
}

/// B20: ... and one blocked with a long finite timeout, which ends early with `Alerted`
/// (a missed wake-up would make it return `Elapsed` after 30 s).
#[test]
fn b20_apc_ends_a_timed_alertable_sleep_early() {
    parked_sleeper(Some(Duration::from_secs(30)));
}

/// B20: ... and one blocked with a timeout too large for the clock.
#[test]
fn b20_apc_wakes_a_duration_max_sleep() {
    parked_sleeper(Some(Duration::MAX));
}

/// B20, repeated: two threads take turns waking each other with APCs, each always
/// sleeping alertably until the other's APC arrives.
#[test]
fn b20_ping_pong_between_two_alertable_threads() {
    const ROUNDS: usize = 2000;
    let main = alertable::current();
    let (started_tx, started_rx) = mpsc::channel();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        for _ in 0..ROUNDS {
            let before = CALLS.get();
            assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
            assert_eq!(CALLS.get(), before + 1);
            main.queue_user_apc(count_call, 0).unwrap();
        }
    })
    .unwrap();
    started_rx.recv().unwrap();
    for round in 0..ROUNDS {
        worker.thread().queue_user_apc(count_call, 0).unwrap();
        assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
        assert_eq!(CALLS.get(), round + 1);
    }
    worker.join().unwrap();
}

// ---------------------------------------------------------------------------------------
// B23, B24, B32: one wait drains everything.

/// B23: two APCs that each block (non-alertably) on a token are queued to a thread; the
/// tokens are released only afterwards. The thread's single alertable wait returns only
/// after both ran, and both tokens were consumed.
#[test]
fn b23_one_alertable_wait_drains_all_queued_apcs() {
    let (token_tx, token_rx) = crossbeam_channel::unbounded::<()>();
    let (started_tx, started_rx) = mpsc::channel();
    let rx = token_rx.clone();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        let status = sleep_ex(None, Alertable::Yes);
        let done = CALLS.get();
        let leftover = rx.try_recv().is_ok();
        (status, done, leftover)
    })
    .unwrap();
    started_rx.recv().unwrap();
    for _ in 0..2 {
        let rx = token_rx.clone();
        worker
            .thread()
            .queue_apc(move || {
                rx.recv().unwrap();
                count_call(0);
            })
            .unwrap();
    }
    token_tx.send(()).unwrap();
    token_tx.send(()).unwrap();

    let (status, done, leftover) = worker.join().unwrap();
    assert_eq!(status, SleepStatus::Alerted);
    assert_eq!(done, 2, "B23: the wait returned before both APCs ran");
    assert!(!leftover, "B23: a token was not consumed");
}

/// B23/B32: everything queued before the wait runs in that one wait.
#[test]
fn b32_zero_timeout_drains_everything_pending() {
    let ran = counter();
    let me = alertable::current();
    for _ in 0..5 {
        me.queue_apc(bump(&ran)).unwrap();
    }
    let status = sleep_ex(Some(Duration::ZERO), Alertable::Yes);
    assert_eq!(status, SleepStatus::Alerted);
    assert_eq!(status.as_win32(), 192);
    assert_eq!(
        ran.load(Ordering::SeqCst),
        5,
        "B32: not all pending APCs ran"
    );
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Elapsed
    );
    assert_eq!(ran.load(Ordering::SeqCst), 5);
}

/// B24: an APC queued while another is being delivered is delivered in the same wait.
#[test]
fn b24_apc_queued_during_delivery_runs_in_the_same_wait() {
    let ran = counter();
    let inner = bump(&ran);
    let r = ran.clone();
    alertable::current()
        .queue_apc(move || {
            r.fetch_add(1, Ordering::SeqCst);
            alertable::current().queue_apc(inner).unwrap();
        })
        .unwrap();
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Alerted
    );
    assert_eq!(
        ran.load(Ordering::SeqCst),
        2,
        "B24: chained APC not delivered"
    );
    // Nothing left for the next wait.
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Elapsed
    );
}

fn chain_link(remaining: usize) {
    count_call(0);
    if remaining > 0 {
        alertable::current()
            .queue_user_apc(chain_link, remaining - 1)
            .unwrap();
    }
}

/// B24: a long chain (each APC queueing the next) completes in one wait, without the
/// delivery recursing (10,000 links).
#[test]
fn b24_long_chain_completes_in_one_wait() {
    const LINKS: usize = 10_000;
    alertable::current()
        .queue_user_apc(chain_link, LINKS - 1)
        .unwrap();
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Alerted
    );
    assert_eq!(CALLS.get(), LINKS);
}

/// B24 across threads: an APC running on a worker queues a follow-up to the worker; both
/// run in the worker's single infinite alertable wait.
#[test]
fn b24_chained_apc_on_another_thread() {
    let (started_tx, started_rx) = mpsc::channel();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        let status = sleep_ex(None, Alertable::Yes);
        (status, take_log())
    })
    .unwrap();
    started_rx.recv().unwrap();
    worker
        .thread()
        .queue_apc(|| {
            log("first");
            alertable::current().queue_apc(|| log("second")).unwrap();
        })
        .unwrap();
    let (status, log) = worker.join().unwrap();
    assert_eq!(status, SleepStatus::Alerted);
    assert_eq!(log, ["first", "second"]);
}

// ---------------------------------------------------------------------------------------
// B25, B26: waiting inside an APC.

/// B25: an APC may block in an ordinary (non-alertable) wait; it lasts its full timeout,
/// runs no other APC meanwhile, and the outer alertable wait returns `Alerted` after all.
#[test]
fn b25_blocking_inside_an_apc_is_allowed() {
    const NAP: Duration = Duration::from_millis(20);
    let me = alertable::current();
    me.queue_apc(|| {
        log("first: start");
        let start = Instant::now();
        let status = sleep_ex(Some(NAP), Alertable::No);
        assert_eq!(status, SleepStatus::Elapsed);
        assert!(start.elapsed() >= NAP);
        log("first: end");
    })
    .unwrap();
    me.queue_apc(|| log("second")).unwrap();
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Alerted
    );
    assert_eq!(take_log(), ["first: start", "first: end", "second"]);
}

/// B25: an APC blocks on a channel fed by another thread, after the outer wait began.
#[test]
fn b25_apc_blocks_on_a_channel_fed_later() {
    let (value_tx, value_rx) = mpsc::channel::<u32>();
    let (inside_tx, inside_rx) = mpsc::channel();
    let (started_tx, started_rx) = mpsc::channel();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        let status = sleep_ex(None, Alertable::Yes);
        (status, take_log())
    })
    .unwrap();
    started_rx.recv().unwrap();
    worker
        .thread()
        .queue_apc(move || {
            inside_tx.send(()).unwrap();
            let v = value_rx.recv().unwrap();
            log(format!("got {v}"));
        })
        .unwrap();
    inside_rx.recv().unwrap();
    value_tx.send(42).unwrap();
    let (status, log) = worker.join().unwrap();
    assert_eq!(status, SleepStatus::Alerted);
    assert_eq!(log, ["got 42"]);
}

/// B26: an APC that waits alertably receives the other pending APCs re-entrantly; the
/// nested wait returns `Alerted`, and so does the outer one.
#[test]
fn b26_nested_alertable_wait_runs_pending_apcs() {
    let me = alertable::current();
    me.queue_apc(|| {
        log("outer: start");
        let status = sleep_ex(Some(Duration::ZERO), Alertable::Yes);
        log(format!("outer: nested returned {}", status.as_win32()));
    })
    .unwrap();
    me.queue_apc(|| log("inner")).unwrap();
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Alerted
    );
    assert_eq!(
        take_log(),
        ["outer: start", "inner", "outer: nested returned 192"]
    );
}

/// B26: a nested alertable wait with nothing pending times out normally (`Elapsed`, after
/// at least its timeout).
#[test]
fn b26_nested_alertable_wait_without_apcs_times_out() {
    const NAP: Duration = Duration::from_millis(10);
    alertable::current()
        .queue_apc(|| {
            let start = Instant::now();
            let status = sleep_ex(Some(NAP), Alertable::Yes);
            let slept = start.elapsed();
            assert!(slept >= NAP, "nested sleep ended after {slept:?}");
            log(format!("nested {status:?}"));
        })
        .unwrap();
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Alerted
    );
    assert_eq!(take_log(), ["nested Elapsed"]);
}

/// B26 across threads: a worker's APC blocks in a nested infinite alertable wait, and an
/// APC queued by another thread wakes it.
#[test]
fn b26_nested_alertable_wait_is_woken_by_another_thread() {
    let (inside_tx, inside_rx) = mpsc::channel();
    let (started_tx, started_rx) = mpsc::channel();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        let status = sleep_ex(None, Alertable::Yes);
        (status, take_log())
    })
    .unwrap();
    started_rx.recv().unwrap();
    worker
        .thread()
        .queue_apc(move || {
            log("outer: start");
            inside_tx.send(()).unwrap();
            let status = sleep_ex(None, Alertable::Yes);
            log(format!("outer: nested {status:?}"));
        })
        .unwrap();
    inside_rx.recv().unwrap();
    wait_until_blocked(worker.thread().id());
    worker.thread().queue_apc(|| log("inner")).unwrap();

    let (status, log) = worker.join().unwrap();
    assert_eq!(status, SleepStatus::Alerted);
    assert_eq!(log, ["outer: start", "inner", "outer: nested Alerted"]);
}

fn nest(depth: usize) {
    log(format!("enter {depth}"));
    if depth > 0 {
        alertable::current()
            .queue_user_apc(nest, depth - 1)
            .unwrap();
        assert_eq!(
            sleep_ex(Some(Duration::ZERO), Alertable::Yes),
            SleepStatus::Alerted
        );
    }
    log(format!("leave {depth}"));
}

/// B26: nesting has no "already in an APC" guard: each APC queues the next and waits
/// alertably, 30 levels deep.
#[test]
fn b26_deep_nesting() {
    const DEPTH: usize = 30;
    alertable::current().queue_user_apc(nest, DEPTH).unwrap();
    assert!(alertable::test_alert());
    let expected: Vec<String> = (0..=DEPTH)
        .rev()
        .map(|d| format!("enter {d}"))
        .chain((0..=DEPTH).map(|d| format!("leave {d}")))
        .collect();
    assert_eq!(take_log(), expected);
}

// ---------------------------------------------------------------------------------------
// Timeouts.

/// A sleep that times out returns `Elapsed`, never before its timeout (alertable or not).
#[test]
fn timeouts_are_never_early() {
    for alertable in [Alertable::Yes, Alertable::No] {
        for ms in [1, 5, 20, 50] {
            let timeout = Duration::from_millis(ms);
            let start = Instant::now();
            let status = sleep_ex(Some(timeout), alertable);
            let slept = start.elapsed();
            assert_eq!(status, SleepStatus::Elapsed);
            assert!(
                slept >= timeout,
                "{alertable:?}: {timeout:?} returned after {slept:?}"
            );
        }
    }
}

/// Sub-millisecond timeouts are honoured too (the spinning phase must not end the wait).
#[test]
fn short_timeouts_are_never_early() {
    for us in [1, 10, 100, 500] {
        let timeout = Duration::from_micros(us);
        let start = Instant::now();
        assert_eq!(
            sleep_ex(Some(timeout), Alertable::Yes),
            SleepStatus::Elapsed
        );
        assert!(start.elapsed() >= timeout, "{timeout:?}");
    }
}

/// APCs queued to *another* thread do not end this thread's alertable sleep.
#[test]
fn apcs_to_other_threads_do_not_wake_this_one() {
    const NAP: Duration = Duration::from_millis(100);
    let (started_tx, started_rx) = mpsc::channel();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        let start = Instant::now();
        (sleep_ex(Some(NAP), Alertable::Yes), start.elapsed())
    })
    .unwrap();
    started_rx.recv().unwrap();
    // Queue to this thread (not the worker) many times while the worker sleeps.
    let me = alertable::current();
    for _ in 0..100 {
        me.queue_user_apc(count_call, 0).unwrap();
    }
    let (status, slept) = worker.join().unwrap();
    assert_eq!(status, SleepStatus::Elapsed);
    assert!(slept >= NAP);
    assert_eq!(CALLS.get(), 0);
    assert!(alertable::test_alert());
    assert_eq!(CALLS.get(), 100);
}

/// Sleeps forever (alertably) when dropped, then reports that the sleep returned.
struct SleepsOnDrop(mpsc::Sender<SleepStatus>);

impl Drop for SleepsOnDrop {
    fn drop(&mut self) {
        let status = sleep_ex(None, Alertable::Yes);
        let _ = self.0.send(status);
    }
}

/// An infinite alertable sleep has no timeout to elapse, so it never returns `Elapsed`,
/// even on a thread that is exiting (whose waits are no longer alertable). Here the sleep
/// runs in the destructor of an APC that the exiting thread drops (C35); it must block, so
/// nothing may arrive on the channel.
#[test]
fn infinite_alertable_sleep_on_an_exiting_thread_does_not_return() {
    const QUIET: Duration = Duration::from_millis(200);
    let (status_tx, status_rx) = mpsc::channel();
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        // Exits without an alertable wait: the APC below is dropped at exit.
    })
    .unwrap();
    started_rx.recv().unwrap();
    let sleeper = SleepsOnDrop(status_tx);
    worker.thread().queue_apc(move || drop(sleeper)).unwrap();
    go_tx.send(()).unwrap();
    // If the sleep blocks as it should, the worker never finishes; it is left behind.
    let returned = status_rx.recv_timeout(QUIET);
    assert_eq!(
        returned,
        Err(mpsc::RecvTimeoutError::Timeout),
        "sleep_ex(None, Yes) returned {returned:?}"
    );
    drop(worker);
}

/// A timed alertable sleep on an exiting thread (in the destructor of an APC dropped at
/// exit, C35) is slept in full and returns `Elapsed`.
#[test]
fn timed_alertable_sleep_on_an_exiting_thread_sleeps_in_full() {
    const NAP: Duration = Duration::from_millis(30);
    struct NapsOnDrop(mpsc::Sender<(SleepStatus, Duration)>);
    impl Drop for NapsOnDrop {
        fn drop(&mut self) {
            let start = Instant::now();
            let status = sleep_ex(Some(NAP), Alertable::Yes);
            let _ = self.0.send((status, start.elapsed()));
        }
    }

    let (status_tx, status_rx) = mpsc::channel();
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        go_rx.recv().unwrap();
    })
    .unwrap();
    started_rx.recv().unwrap();
    let napper = NapsOnDrop(status_tx);
    worker.thread().queue_apc(move || drop(napper)).unwrap();
    go_tx.send(()).unwrap();
    worker.join().unwrap();
    // The thread drops its pending APCs before it finishes, so the result is there.
    let (status, slept) = status_rx
        .try_recv()
        .expect("C35: the APC pending at exit was not dropped by the time of join");
    assert_eq!(status, SleepStatus::Elapsed);
    assert!(slept >= NAP, "slept only {slept:?}");
}

// ---------------------------------------------------------------------------------------
// Panics inside APCs.

/// A panic in an APC unwinds out of the `sleep_ex` that ran it; the APCs behind it stay
/// queued and run at the next alertable wait; the panicking closure's captures are dropped.
#[test]
fn panic_in_apc_unwinds_and_leaves_the_rest_queued() {
    let me = alertable::current();
    let ran = counter();
    let token = Arc::new(());
    let t = token.clone();
    me.queue_apc(bump(&ran)).unwrap();
    me.queue_apc(move || {
        let _keep = &t;
        panic!("boom in an APC");
    })
    .unwrap();
    me.queue_apc(bump(&ran)).unwrap();
    me.queue_apc(bump(&ran)).unwrap();

    let result = catch_unwind(|| sleep_ex(Some(Duration::ZERO), Alertable::Yes));
    let payload = result.expect_err("the panic did not reach the caller of sleep_ex");
    assert_eq!(panic_message(&*payload), "boom in an APC");
    assert_eq!(
        ran.load(Ordering::SeqCst),
        1,
        "only the APC before the panic ran"
    );
    assert_eq!(Arc::strong_count(&token), 1, "the panicking APC leaked");

    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Alerted
    );
    assert_eq!(ran.load(Ordering::SeqCst), 3);
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Elapsed
    );
}

/// The same through `test_alert`.
#[test]
fn panic_in_apc_unwinds_out_of_test_alert() {
    let me = alertable::current();
    me.queue_apc(|| panic!("first")).unwrap();
    me.queue_apc(|| panic!("second")).unwrap();
    me.queue_user_apc(count_call, 0).unwrap();

    let first = catch_unwind(alertable::test_alert).unwrap_err();
    assert_eq!(panic_message(&*first), "first");
    let second = catch_unwind(alertable::test_alert).unwrap_err();
    assert_eq!(panic_message(&*second), "second");
    assert_eq!(CALLS.get(), 0);
    assert!(alertable::test_alert());
    assert_eq!(CALLS.get(), 1);
    assert!(!alertable::test_alert());
}

/// A panic in an APC run by a nested wait (B26) unwinds out of that nested wait only: the
/// APC that waited can catch it, and the outer wait goes on with the APCs behind it.
#[test]
fn panic_in_nested_wait_is_caught_by_the_outer_apc() {
    let me = alertable::current();
    me.queue_apc(|| {
        log("outer");
        let caught = catch_unwind(|| sleep_ex(Some(Duration::ZERO), Alertable::Yes));
        let payload = caught.expect_err("nested panic was swallowed");
        log(format!("caught {}", panic_message(&*payload)));
    })
    .unwrap();
    me.queue_apc(|| panic!("inner")).unwrap();
    me.queue_apc(|| log("after")).unwrap();

    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Alerted
    );
    assert_eq!(take_log(), ["outer", "caught inner", "after"]);
}

/// An uncaught panic in an APC ends the thread that ran it: `join` reports the panic, and
/// the APCs that were behind it are dropped without running (C35).
#[test]
fn uncaught_panic_in_apc_reaches_join() {
    let (started_tx, started_rx) = mpsc::channel();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        // Returns only if the panic did not unwind out of the sleep.
        sleep_ex(None, Alertable::Yes)
    })
    .unwrap();
    started_rx.recv().unwrap();
    let handle = worker.thread().clone();
    let ran = counter();
    let token = Arc::new(());
    let t = token.clone();
    // Queue the panicking APC and its follower together, so they arrive in one batch.
    handle
        .queue_apc(move || {
            let _keep = &t;
            panic!("unhandled in APC")
        })
        .unwrap();
    let t = token.clone();
    let r = ran.clone();
    let queued_behind = handle.queue_apc(move || {
        let _keep = &t;
        r.fetch_add(1, Ordering::SeqCst);
    });

    let payload = worker.join().expect_err("the panic did not end the thread");
    assert_eq!(panic_message(&*payload), "unhandled in APC");
    assert!(handle.is_finished());
    // The follower was either refused (the thread was already gone) or dropped at exit.
    if let Err(err) = queued_behind {
        assert_eq!(err, alertable::QueueApcError::ThreadExited);
    }
    assert_eq!(
        ran.load(Ordering::SeqCst),
        0,
        "C35: an APC ran after the panic"
    );
    assert_eq!(Arc::strong_count(&token), 1, "C35: APCs leaked at exit");
}

/// A panic payload of any type reaches the caller of `sleep_ex` unchanged, and the caller's
/// own state is intact.
#[test]
fn panic_payload_is_preserved_through_sleep_ex() {
    #[derive(Debug, PartialEq)]
    struct Custom(u32);
    alertable::current()
        .queue_apc(|| std::panic::panic_any(Custom(7)))
        .unwrap();
    let state = RefCell::new(0);
    let payload = catch_unwind(AssertUnwindSafe(|| {
        *state.borrow_mut() += 1;
        sleep_ex(None, Alertable::Yes)
    }))
    .unwrap_err();
    assert_eq!(payload.downcast_ref::<Custom>(), Some(&Custom(7)));
    assert_eq!(*state.borrow(), 1);
}
