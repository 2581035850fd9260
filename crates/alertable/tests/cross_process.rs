//! Named objects shared between processes (spec A, D, G entries; the namespace's S1–S7 in
//! `shared/mod.rs`). Each test starts copies of this test binary as peer processes: the
//! `peer` test below runs the role named in `ALERTABLE_TEST_ROLE` and does nothing
//! otherwise. Processes synchronise with named events, never with sleeps.

#![allow(clippy::disallowed_types)] // std atomics are fine outside the protocol modules

use std::process::{Child, Command, ExitStatus};
use std::time::Duration;

use alertable::{
    Alertable, Event, EventReset, Mutex, NameError, Opened, Semaphore, SyncError, WaitStatus,
    wait_all, wait_any, wait_one,
};

/// Generous: a loaded 2-core machine starts a process in well under this.
const LONG: Option<Duration> = Some(Duration::from_secs(30));

fn unique(what: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "xp-{what}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn command(role: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "peer", "--nocapture", "--test-threads=1"])
        .env("ALERTABLE_TEST_ROLE", role)
        .env("ALERTABLE_TEST_ARGS", args.join("\u{1f}"))
        .stdout(std::process::Stdio::null());
    cmd
}

fn spawn(role: &str, args: &[&str]) -> Child {
    command(role, args).spawn().unwrap()
}

fn run(role: &str, args: &[&str]) -> ExitStatus {
    command(role, args).status().unwrap()
}

fn signaled(status: Result<WaitStatus, alertable::WaitError>) {
    assert_eq!(status, Ok(WaitStatus::Signaled(0)));
}

fn manual(name: &str) -> Event {
    Event::create_named(name, EventReset::Manual, false)
        .unwrap()
        .into_inner()
}

/// The peer side: runs the role given in the environment, if any.
#[test]
fn peer() {
    let Ok(role) = std::env::var("ALERTABLE_TEST_ROLE") else {
        return;
    };
    let args = std::env::var("ALERTABLE_TEST_ARGS").unwrap_or_default();
    let args: Vec<&str> = args.split('\u{1f}').collect();
    match role.as_str() {
        "set" => Event::open(args[0]).unwrap().set(),
        "release" => {
            Semaphore::open(args[0]).unwrap().release(1).unwrap();
        }
        "hold-mutex" => {
            // Takes the mutex, says so, and waits to be killed or told to go on.
            let mutex = Mutex::open(args[0]).unwrap();
            signaled(wait_one(&mutex, LONG, Alertable::No));
            Event::open(args[1]).unwrap().set();
            signaled(wait_one(
                &Event::open(args[2]).unwrap(),
                LONG,
                Alertable::No,
            ));
        }
        "exit-holding" => {
            let mutex = Mutex::open(args[0]).unwrap();
            signaled(wait_one(&mutex, LONG, Alertable::No));
            std::process::exit(0);
        }
        "create-and-wait" => {
            let _event = manual(args[0]);
            Event::open(args[1]).unwrap().set();
            signaled(wait_one(
                &Event::open(args[2]).unwrap(),
                LONG,
                Alertable::No,
            ));
        }
        "wait-all" => {
            let a = Event::open(args[0]).unwrap();
            let b = Event::open(args[1]).unwrap();
            Event::open(args[2]).unwrap().set();
            let objects: [&dyn alertable::Waitable; 2] = [&a, &b];
            signaled(wait_all(&objects, LONG, Alertable::No));
            Event::open(args[3]).unwrap().set();
        }
        "churn" => churn(&args),
        "namespace" => {
            let result = Event::create_named(args[0], EventReset::Manual, false);
            std::process::exit(match result {
                Ok(_) => 0,
                Err(e) => e.win32_error() as i32,
            });
        }
        other => panic!("unknown role {other}"),
    }
}

/// The kill test's victim: uses a shared mutex, event and semaphore as fast as it can.
fn churn(args: &[&str]) {
    let mutex = Mutex::open(args[0]).unwrap();
    let event = Event::open(args[1]).unwrap();
    let sem = Semaphore::open(args[2]).unwrap();
    Event::open(args[3]).unwrap().set();
    loop {
        let objects: [&dyn alertable::Waitable; 2] = [&mutex, &sem];
        match wait_all(&objects, LONG, Alertable::No) {
            Ok(WaitStatus::Signaled(_) | WaitStatus::Abandoned(_)) => {}
            other => panic!("{other:?}"),
        }
        event.set();
        event.reset();
        sem.release(1).unwrap();
        mutex.release().unwrap();
    }
}

#[test]
fn d_create_reports_created_then_existing_and_open_finds_it() {
    let name = unique("event");
    let first = Event::create_named(&name, EventReset::Manual, false).unwrap();
    assert!(matches!(first, Opened::Created(_)));
    let again = Event::create_named(&name, EventReset::Auto, true).unwrap();
    assert!(again.is_existing(), "ERROR_ALREADY_EXISTS");
    // The creation arguments of the second call were ignored: still a manual, unset event.
    assert!(!again.into_inner().is_set());
    let opened = Event::open(&name).unwrap();
    opened.set();
    assert!(first.into_inner().is_set());
}

#[test]
fn names_are_checked_as_windows_does() {
    let name = unique("names");
    let _event = manual(&name);
    assert_eq!(
        Event::open(&name.to_uppercase()).unwrap_err(),
        NameError::NotFound,
        "names are case-sensitive"
    );
    assert_eq!(Event::open(&unique("absent")).unwrap_err().win32_error(), 2);
    assert_eq!(Mutex::open(&name).unwrap_err().win32_error(), 6);
    assert_eq!(
        Semaphore::create_named(&name, 0, 1).unwrap_err(),
        Err(NameError::WrongType)
    );
    // Local\ is the default namespace; Global\ is another one.
    assert!(Event::open(&format!("Local\\{name}")).is_ok());
    assert_eq!(
        Event::open(&format!("Global\\{name}")).unwrap_err(),
        NameError::NotFound
    );
    assert_eq!(
        Event::open("a\\b").unwrap_err().win32_error(),
        3,
        "ERROR_PATH_NOT_FOUND"
    );
    assert_eq!(
        Event::open(&"x".repeat(257)).unwrap_err().win32_error(),
        206
    );
    assert_eq!(
        Semaphore::create_named(&unique("sem"), 2, 1).unwrap_err(),
        Ok(SyncError::InvalidParameter)
    );
}

#[test]
fn d_a_set_in_another_process_releases_a_waiter_here() {
    let name = unique("set");
    let event = Event::create_named(&name, EventReset::Auto, false)
        .unwrap()
        .into_inner();
    let mut child = spawn("set", &[&name]);
    signaled(wait_one(&event, LONG, Alertable::No));
    assert!(child.wait().unwrap().success());
    assert!(
        !event.is_set(),
        "the auto-reset event was consumed by the wait"
    );
}

#[test]
fn f_a_semaphore_released_elsewhere_counts_once() {
    let name = unique("sem");
    let sem = Semaphore::create_named(&name, 0, 5).unwrap().into_inner();
    for _ in 0..3 {
        assert!(run("release", &[&name]).success());
    }
    assert_eq!(sem.count(), 3);
    for _ in 0..3 {
        signaled(wait_one(&sem, Some(Duration::ZERO), Alertable::No));
    }
    assert_eq!(
        wait_one(&sem, Some(Duration::ZERO), Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
}

#[test]
fn g_a_mutex_held_by_a_killed_process_is_abandoned() {
    let (m, held, go) = (unique("mutex"), unique("held"), unique("go"));
    let mutex = Mutex::create_named(&m, false).unwrap().into_inner();
    let held_event = manual(&held);
    let _go = manual(&go);
    let mut child = spawn("hold-mutex", &[&m, &held, &go]);
    signaled(wait_one(&held_event, LONG, Alertable::No));
    assert_eq!(
        wait_one(&mutex, Some(Duration::ZERO), Alertable::No),
        Ok(WaitStatus::TimedOut),
        "the peer owns it"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        wait_one(&mutex, LONG, Alertable::No),
        Ok(WaitStatus::Abandoned(0))
    );
    assert_eq!(mutex.release(), Ok(()));
    // Abandonment is reported once.
    signaled(wait_one(&mutex, LONG, Alertable::No));
    mutex.release().unwrap();
}

#[test]
fn g_a_waiter_blocked_on_the_mutex_learns_of_the_owners_death() {
    let (m, held, go) = (unique("mutex"), unique("held"), unique("go"));
    let mutex = Mutex::create_named(&m, false).unwrap().into_inner();
    let held_event = manual(&held);
    let _go = manual(&go);
    let mut child = spawn("hold-mutex", &[&m, &held, &go]);
    signaled(wait_one(&held_event, LONG, Alertable::No));
    let waiter = {
        let mutex = mutex.clone();
        alertable::spawn(move || {
            let status = wait_one(&mutex, LONG, Alertable::No);
            mutex.release().unwrap();
            status
        })
        .unwrap()
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(waiter.join().unwrap(), Ok(WaitStatus::Abandoned(0)));
}

#[test]
fn g_a_mutex_held_at_exit_is_abandoned() {
    let m = unique("mutex");
    let mutex = Mutex::create_named(&m, false).unwrap().into_inner();
    assert!(run("exit-holding", &[&m]).success());
    assert_eq!(
        wait_one(&mutex, LONG, Alertable::No),
        Ok(WaitStatus::Abandoned(0))
    );
    mutex.release().unwrap();
}

#[test]
fn the_object_lives_while_any_process_holds_a_handle() {
    let (name, ready, done) = (unique("life"), unique("ready"), unique("done"));
    let ready_event = manual(&ready);
    let done_event = manual(&done);
    let mut child = spawn("create-and-wait", &[&name, &ready, &done]);
    signaled(wait_one(&ready_event, LONG, Alertable::No));
    let mine = Event::open(&name).expect("the child created it");
    done_event.set();
    assert!(child.wait().unwrap().success());
    // The child has gone; our handle keeps the object.
    assert!(Event::open(&name).is_ok());
    drop(mine);
    assert_eq!(Event::open(&name).unwrap_err(), NameError::NotFound);
}

#[test]
fn d_wait_all_takes_both_objects_at_once_against_another_process() {
    let (a, b, ready, done) = (unique("a"), unique("b"), unique("ready"), unique("done"));
    let ea = Event::create_named(&a, EventReset::Auto, false)
        .unwrap()
        .into_inner();
    let eb = Event::create_named(&b, EventReset::Auto, false)
        .unwrap()
        .into_inner();
    let ready_event = manual(&ready);
    let done_event = manual(&done);
    let mut child = spawn("wait-all", &[&a, &b, &ready, &done]);
    signaled(wait_one(&ready_event, LONG, Alertable::No));
    // Setting only one: the child's wait-all takes nothing.
    ea.set();
    signaled(wait_one(&ea, LONG, Alertable::No));
    ea.set();
    eb.set();
    signaled(wait_one(&done_event, LONG, Alertable::No));
    assert!(child.wait().unwrap().success());
    // The child took both together.
    let objects: [&dyn alertable::Waitable; 2] = [&ea, &eb];
    assert_eq!(
        wait_any(&objects, Some(Duration::ZERO), Alertable::No),
        Ok(WaitStatus::TimedOut)
    );
}
