//! Process-to-process APCs (spec A: queueing to other threads; B20: an alertable wait that
//! runs one returns 192). Peers are copies of this test binary, run by the `peer` test
//! with `ALERTABLE_TEST_ROLE`; processes synchronise with named events.

#![allow(clippy::disallowed_types)] // std atomics are fine outside the protocol modules

mod common;

use common::peers::{self, manual, signaled, spawn, unique};

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
            Event::open(args[1]).unwrap().set();
            signaled(wait_one(
                &Event::open(args[2]).unwrap(),
                LONG,
                Alertable::No,
            ));
        }
        // Publishes itself and never waits alertably.
        "deaf" => {
            alertable::publish_current(Some(args[0])).unwrap();
            Event::open(args[1]).unwrap().set();
            signaled(wait_one(
                &Event::open(args[2]).unwrap(),
                LONG,
                Alertable::No,
            ));
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
