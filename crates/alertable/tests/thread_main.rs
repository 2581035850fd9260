//! The process's main thread (spec sections A, B, C on `main`): `current()` works there, and
//! APCs queued to it by other threads run in its alertable waits (A1, B20, B23).
//!
//! A test binary without the libtest harness (`harness = false`), because libtest runs each
//! test on a thread of its own, not on `main`. It prints one line per check and a closing
//! `N passed, M failed` line, and exits non-zero if any check failed.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread::ThreadId;
use std::time::Duration;

use alertable::{Alertable, SleepStatus, ThreadHandle, sleep_ex};

mod common;

use common::{CALLS, count_call, wait_until_blocked};

/// The main thread's handle is usable: its id is the process id (the main thread's tid),
/// it is named "main", and it is not finished.
fn main_thread_identity() {
    let me = alertable::current();
    assert_eq!(me.id(), u64::from(std::process::id()));
    assert_eq!(me.name(), Some("main"));
    assert!(!me.is_finished());
    assert_eq!(me, alertable::current());
    assert_eq!(me.resume(), Ok(0), "C33: main is running, not suspended");
}

/// C33 on main: another thread suspends the main thread (blocked here, receiving) and
/// resumes it; main then goes on.
fn main_suspended_and_resumed_by_another_thread() {
    let main = alertable::current();
    let (done_tx, done_rx) = mpsc::channel();
    let helper = std::thread::spawn(move || {
        let first = main.suspend();
        let second = main.resume();
        done_tx.send((first, second)).unwrap();
    });
    assert_eq!(done_rx.recv().unwrap(), (Ok(0), Ok(1)));
    helper.join().unwrap();
}

/// A1 on main: an APC to self waits for the next alertable sleep.
fn apc_to_self_on_main() {
    let before = CALLS.get();
    alertable::current().queue_user_apc(count_call, 0).unwrap();
    assert_eq!(CALLS.get(), before, "A1: ran inside queue_user_apc");
    assert_eq!(
        sleep_ex(Some(Duration::from_millis(1)), Alertable::No),
        SleepStatus::Elapsed
    );
    assert_eq!(CALLS.get(), before, "B19: ran in a non-alertable sleep");
    assert_eq!(
        sleep_ex(Some(Duration::ZERO), Alertable::Yes),
        SleepStatus::Alerted
    );
    assert_eq!(CALLS.get(), before + 1);
}

/// Runs `queue` on another thread (made by `spawn`), which receives main's handle and
/// queues one APC that reports the thread it ran on; main waits in `sleep_ex(None, Yes)`.
fn apc_from_another_thread(wait_for_park: bool, use_std_thread: bool) {
    let main = alertable::current();
    let main_id = std::thread::current().id();
    let (ran_tx, ran_rx) = mpsc::channel::<(ThreadId, Option<String>)>();
    let queue = move |main: ThreadHandle| {
        if wait_for_park {
            wait_until_blocked(main.id());
        }
        main.queue_apc(move || {
            let me = std::thread::current();
            ran_tx
                .send((me.id(), me.name().map(str::to_owned)))
                .unwrap();
        })
        .unwrap();
    };
    let joiner: Box<dyn FnOnce()> = if use_std_thread {
        let t = std::thread::spawn(move || queue(main));
        Box::new(move || t.join().unwrap())
    } else {
        let t = alertable::spawn(move || queue(main)).unwrap();
        Box::new(move || t.join().unwrap())
    };

    let status = sleep_ex(None, Alertable::Yes);
    assert_eq!(status, SleepStatus::Alerted);
    assert_eq!(status.as_win32(), 192);
    let (ran_on, name) = ran_rx
        .try_recv()
        .expect("the APC ran before the sleep ended");
    assert_eq!(ran_on, main_id, "the APC did not run on main");
    assert_eq!(name.as_deref(), Some("main"));
    joiner();
}

/// B20 on main: another thread queues an APC to main, which runs it in its infinite
/// alertable sleep.
fn apc_from_another_thread_runs_in_main_sleep() {
    apc_from_another_thread(false, false);
}

/// B20 on main, with the APC queued only once main is really blocked in the sleep.
fn apc_wakes_main_parked_in_sleep() {
    apc_from_another_thread(true, false);
}

/// The same from a plain `std::thread` thread.
fn apc_from_a_std_thread_wakes_main() {
    apc_from_another_thread(true, true);
}

/// A15/B23 on main: four threads each queue 1,000 APCs to main; main's alertable sleeps
/// run every one of them exactly once, each thread's in its order.
fn many_producers_into_main() {
    const PRODUCERS: usize = 4;
    const EACH: usize = 1000;
    thread_local!(static NEXT: Cell<[usize; PRODUCERS]> = const { Cell::new([0; PRODUCERS]) });
    fn record(param: usize) {
        let (p, seq) = (param % PRODUCERS, param / PRODUCERS);
        let mut next = NEXT.get();
        assert_eq!(next[p], seq, "A15: producer {p} out of order");
        next[p] += 1;
        NEXT.set(next);
    }

    let main = alertable::current();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let main = main.clone();
            alertable::spawn(move || {
                for seq in 0..EACH {
                    main.queue_user_apc(record, seq * PRODUCERS + p).unwrap();
                }
            })
            .unwrap()
        })
        .collect();
    while NEXT.get().iter().sum::<usize>() < PRODUCERS * EACH {
        assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
    }
    for producer in producers {
        producer.join().unwrap();
    }
    assert_eq!(NEXT.get(), [EACH; PRODUCERS]);
    assert!(!alertable::test_alert(), "APCs left over");
}

/// Main queues work to a thread and receives the answer as an APC back (a round trip).
fn round_trip_from_main() {
    let (started_tx, started_rx) = mpsc::channel();
    let worker = alertable::spawn(move || {
        started_tx.send(()).unwrap();
        sleep_ex(None, Alertable::Yes)
    })
    .unwrap();
    started_rx.recv().unwrap();
    let main = alertable::current();
    let before = CALLS.get();
    worker
        .thread()
        .queue_apc(move || main.queue_user_apc(count_call, 0).unwrap())
        .unwrap();
    assert_eq!(sleep_ex(None, Alertable::Yes), SleepStatus::Alerted);
    assert_eq!(CALLS.get(), before + 1);
    assert_eq!(worker.join().unwrap(), SleepStatus::Alerted);
}

fn main() -> ExitCode {
    let checks: [(&str, fn()); 8] = [
        ("main_thread_identity", main_thread_identity),
        (
            "main_suspended_and_resumed_by_another_thread",
            main_suspended_and_resumed_by_another_thread,
        ),
        ("apc_to_self_on_main", apc_to_self_on_main),
        (
            "apc_from_another_thread_runs_in_main_sleep",
            apc_from_another_thread_runs_in_main_sleep,
        ),
        (
            "apc_wakes_main_parked_in_sleep",
            apc_wakes_main_parked_in_sleep,
        ),
        (
            "apc_from_a_std_thread_wakes_main",
            apc_from_a_std_thread_wakes_main,
        ),
        ("many_producers_into_main", many_producers_into_main),
        ("round_trip_from_main", round_trip_from_main),
    ];
    // These checks must run on the main thread itself.
    assert_eq!(
        std::thread::current().name(),
        Some("main"),
        "not on the main thread"
    );

    let (mut passed, mut failed) = (0, 0);
    for (name, check) in checks {
        match catch_unwind(AssertUnwindSafe(check)) {
            Ok(()) => {
                passed += 1;
                println!("check {name} ... ok");
            }
            Err(payload) => {
                failed += 1;
                let msg = payload
                    .downcast_ref::<&str>()
                    .copied()
                    .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                    .unwrap_or("<non-string panic>");
                println!("check {name} ... FAILED: {msg}");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("thread_main: {failed} check(s) failed");
        ExitCode::FAILURE
    }
}
