//! Spec C35 with a destructor that panics: an APC still queued when its thread exits is
//! dropped, and if dropping it panics, the exit still completes — the handle is signaled
//! (C36), the thread's mutexes are abandoned (G72) — on every kind of thread. On an adopted
//! `std::thread` the exit happens in a thread-local destructor, where an escaping panic
//! would abort the process; so that case runs in a child process of this test binary.
#![allow(clippy::disallowed_types)]

use std::process::Command;
use std::sync::mpsc;

use alertable::{Alertable, Mutex, ThreadHandle, WaitStatus, wait_one};

mod common;

use common::LONG;

/// Panics when dropped (unless already unwinding).
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("a queued APC's captured value exploded");
        }
    }
}

/// Queues an APC holding a [`Bomb`] to the calling thread, takes `mutex`, and hands the
/// thread's handle out; the caller then ends the thread without waiting alertably.
fn arm(mutex: &Mutex, tx: &mpsc::Sender<ThreadHandle>) {
    let me = alertable::current();
    let bomb = Bomb;
    me.queue_apc(move || drop(bomb)).unwrap();
    assert_eq!(
        wait_one(mutex, LONG, Alertable::No),
        Ok(WaitStatus::Signaled(0))
    );
    tx.send(me).unwrap();
}

/// After the thread has gone: its handle is signaled and its mutex abandoned.
fn check_exit_completed(thread: &ThreadHandle, mutex: &Mutex) {
    assert_eq!(
        wait_one(thread, LONG, Alertable::No),
        Ok(WaitStatus::Signaled(0)),
        "C36"
    );
    assert!(thread.is_finished());
    assert_eq!(
        wait_one(mutex, LONG, Alertable::No),
        Ok(WaitStatus::Abandoned(0)),
        "G72"
    );
    mutex.release().unwrap();
}

/// What the child process runs: an adopted thread exits with the bomb queued.
const CHILD: &str = "ALERTABLE_EXIT_PANICS_CHILD";

#[test]
fn c35_panicking_apc_destructor_on_an_adopted_thread_is_contained() {
    if std::env::var_os(CHILD).is_some() {
        let mutex = Mutex::new(false);
        let (tx, rx) = mpsc::channel();
        let m = mutex.clone();
        let worker = std::thread::spawn(move || arm(&m, &tx));
        let thread = rx.recv().unwrap();
        worker.join().expect("the thread's own function returned");
        check_exit_completed(&thread, &mutex);
        println!("child: exit completed");
        return;
    }
    let me = std::env::current_exe().unwrap();
    let output = Command::new(me)
        .args([
            "--exact",
            "c35_panicking_apc_destructor_on_an_adopted_thread_is_contained",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("child: exit completed"),
        "the child process failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stderr.contains("a queued APC's captured value exploded"),
        "the panic is reported:\n{stderr}"
    );
}

/// The same on a thread made by this crate: the exit completes, and the panic is the
/// thread's result.
#[test]
fn c35_panicking_apc_destructor_on_a_library_thread_is_contained() {
    let mutex = Mutex::new(false);
    let (tx, rx) = mpsc::channel();
    let m = mutex.clone();
    let worker = alertable::spawn(move || arm(&m, &tx)).unwrap();
    let thread = rx.recv().unwrap();
    let payload = worker.join().expect_err("the panic is reported to join");
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"a queued APC's captured value exploded")
    );
    check_exit_completed(&thread, &mutex);
}
