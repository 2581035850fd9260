//! Named objects shared between processes (spec A, D, G entries; the namespace's X1–X10 in
//! `shared/mod.rs`). Each test starts copies of this test binary as peer processes: the
//! `peer` test below runs the role named in `ALERTABLE_TEST_ROLE` and does nothing
//! otherwise. Processes synchronise with named events, never with sleeps.

#![allow(clippy::disallowed_types)] // std atomics are fine outside the protocol modules

mod common;

use common::peers::{self, command, manual, ready_then_wait, run, signaled, spawn, unique};
use std::process::ExitStatus;

use std::time::Duration;

use alertable::{
    Alertable, Event, EventReset, Mutex, NameError, Opened, Semaphore, SyncError, WaitStatus,
    wait_all, wait_any, wait_one,
};

/// Generous: a loaded 2-core machine starts a process in well under this.
const LONG: Option<Duration> = Some(Duration::from_secs(30));

/// The peer side: runs the role given in the environment, if any.
#[test]
fn peer() {
    let Some((role, args)) = peers::role() else {
        return;
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match role.as_str() {
        "set" => Event::open(args[0]).unwrap().set(),
        "release" => {
            Semaphore::open(args[0]).unwrap().release(1).unwrap();
        }
        "hold-mutex" => {
            // Takes the mutex, says so, and waits to be killed or told to go on.
            let mutex = Mutex::open(args[0]).unwrap();
            signaled(wait_one(&mutex, LONG, Alertable::No));
            ready_then_wait(args[1], args[2]);
        }
        "exit-holding" => {
            let mutex = Mutex::open(args[0]).unwrap();
            signaled(wait_one(&mutex, LONG, Alertable::No));
            std::process::exit(0);
        }
        "create-and-wait" => {
            let _event = manual(args[0]);
            ready_then_wait(args[1], args[2]);
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
        // Opens the event and says so through the semaphore, then waits for `go`: all
        // such peers are attached at once until it is set.
        "open-and-wait" => {
            let _event = Event::open(args[0]).unwrap();
            Semaphore::open(args[1]).unwrap().release(1).unwrap();
            signaled(wait_one(
                &Event::open(args[2]).unwrap(),
                LONG,
                Alertable::No,
            ));
        }
        // Signals `a` and waits on `b` in one call (SignalObjectAndWait).
        "signal-and-wait" => {
            let a = Event::open(args[0]).unwrap();
            let b = Semaphore::open(args[1]).unwrap();
            signaled(alertable::signal_and_wait(&a, &b, LONG, Alertable::No));
        }
        "set-timer" => {
            let timer = alertable::WaitableTimer::open(args[0]).unwrap();
            let period = args[1].parse().ok().map(Duration::from_millis);
            timer.set(alertable::DueTime::After(Duration::from_millis(20)), period);
            // Exits at once: the timer fires without its setter.
        }
        "hold-private" => {
            let _event = manual(args[0]);
            let _mutex = Mutex::create_named(args[1], true).unwrap();
            println!("victim-ready");
            // Waits to be killed.
            alertable::sleep_ex(None, Alertable::No);
        }
        // Fills the namespace with events, then asks for one more and for a published
        // thread beyond the mailboxes; exits with what the last two calls gave.
        "fill" => {
            let mut kept = Vec::new();
            let full = loop {
                match Event::create_named(
                    &format!("fill-{}", kept.len()),
                    EventReset::Manual,
                    false,
                ) {
                    Ok(event) => kept.push(event.into_inner()),
                    Err(e) => break e,
                }
            };
            assert_eq!(kept.len(), 1024, "the namespace holds 1,024 objects");
            assert_eq!(full, NameError::NoResources);
            // Freeing one makes room again.
            kept.pop();
            assert!(Event::create_named("fill-again", EventReset::Manual, false).is_ok());
            std::process::exit(full.win32_error() as i32 % 256);
        }
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

/// D, with a registered wait (the thread pool's, `RegisterWaitForSingleObject`): a named
/// event set in another process satisfies it, as it would a thread's wait.
#[test]
fn d_a_set_in_another_process_fires_a_registered_wait_here() {
    let name = unique("registered");
    let event = Event::create_named(&name, EventReset::Auto, false)
        .unwrap()
        .into_inner();
    let (fired, outcome) = std::sync::mpsc::channel();
    let _wait = alertable::RegisteredWait::new(vec![Box::new(event.clone())], move |status| {
        let _ = fired.send(status);
    })
    .unwrap();
    let mut child = spawn("set", &[&name]);
    assert!(child.wait().unwrap().success());
    assert_eq!(
        outcome.recv_timeout(LONG.unwrap()),
        Ok(WaitStatus::Signaled(0))
    );
    assert!(!event.is_set(), "the registered wait consumed the signal");
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

/// More processes than a small table would hold use one named object at once (X2: a
/// slot per attached process), and the object goes with the last of them.
#[test]
fn a_hundred_processes_hold_one_named_object_at_once() {
    const PEERS: usize = 100;
    let (name, opened, go) = (unique("many"), unique("opened"), unique("go"));
    let event = manual(&name);
    let count = Semaphore::create_named(&opened, 0, PEERS as u32)
        .unwrap()
        .into_inner();
    let go_event = manual(&go);
    let mut peers: Vec<_> = (0..PEERS)
        .map(|_| spawn("open-and-wait", &[&name, &opened, &go]))
        .collect();
    for _ in 0..PEERS {
        signaled(wait_one(&count, LONG, Alertable::No));
    }
    // Every peer holds the event now, and is still attached.
    go_event.set();
    for peer in &mut peers {
        assert!(peer.wait().unwrap().success());
    }
    drop(event);
    assert_eq!(Event::open(&name).unwrap_err(), NameError::NotFound);
}

/// G72 and M4 for a named mutex: acquired by a registered wait for a thread that has
/// already exited, it is abandoned at once, and the next owner learns it.
#[test]
fn g72_a_named_mutex_acquired_for_an_exited_thread_is_abandoned() {
    let name = unique("exited-registrant");
    let mutex = Mutex::create_named(&name, true).unwrap().into_inner();
    let m = Mutex::open(&name).unwrap();
    let registrant = alertable::spawn(move || {
        let (tx, rx) = std::sync::mpsc::channel();
        let wait = alertable::RegisteredWait::new(vec![Box::new(m)], move |status| {
            tx.send(status).unwrap();
        })
        .unwrap();
        (wait, rx)
    })
    .unwrap();
    let (wait, rx) = registrant.join().unwrap();
    assert_eq!(mutex.release(), Ok(()));
    assert_eq!(
        rx.recv_timeout(LONG.unwrap()),
        Ok(WaitStatus::Signaled(0)),
        "acquired for the exited registrant"
    );
    drop(wait);
    let m = mutex.clone();
    let other = alertable::spawn(move || {
        let first = wait_one(&m, Some(Duration::ZERO), Alertable::No);
        (first, m.release())
    })
    .unwrap();
    assert_eq!(
        other.join().unwrap(),
        (Ok(WaitStatus::Abandoned(0)), Ok(()))
    );
}

/// X9: a timer's name goes with its last handle, even while the library still holds the
/// timer — here, its routine is running on another thread when the handle closes.
#[test]
fn a_timer_name_goes_with_its_last_handle_while_its_routine_runs() {
    use std::sync::mpsc;
    let name = unique("last-handle");
    let timer = alertable::WaitableTimer::create_named(&name, alertable::TimerReset::Manual)
        .unwrap()
        .into_inner();
    let (running_tx, running) = mpsc::channel();
    let (go, go_rx) = mpsc::channel::<()>();
    let setter = timer.clone();
    let thread = std::thread::spawn(move || {
        setter.set_with_routine(alertable::DueTime::After(Duration::ZERO), None, move |_| {
            running_tx.send(()).unwrap();
            go_rx.recv().unwrap();
        });
        drop(setter);
        alertable::sleep_ex(LONG, Alertable::Yes)
    });
    running.recv().unwrap();
    drop(timer);
    let after_close = alertable::WaitableTimer::open(&name).map(drop);
    go.send(()).unwrap();
    assert_eq!(thread.join().unwrap(), alertable::SleepStatus::Alerted);
    assert_eq!(after_close.unwrap_err(), NameError::NotFound);
    // The name is free for a new object of another type.
    assert!(matches!(
        Event::create_named(&name, EventReset::Manual, false),
        Ok(Opened::Created(_))
    ));
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

/// A small xorshift generator: the kill points are random, and the seed is printed so a
/// failure can be replayed with `ALERTABLE_KILL_SEED`.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Crash safety (X1, X2, X6; G72): a peer that uses a shared mutex, event and semaphore
/// is SIGKILLed at a random point, hundreds of times, while a thread here uses the same
/// objects. After every kill the survivor keeps making progress within a bound, the
/// mutex can be taken (abandoned if the peer died owning it), and the semaphore's count
/// says the peer's wait-all was atomic: a count the peer took is missing only if the
/// peer also died owning the mutex.
#[test]
fn g_peers_killed_at_random_points_never_wedge_the_survivors() {
    let iterations: u32 = std::env::var("ALERTABLE_KILL_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let seed = std::env::var("ALERTABLE_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("kill test: {iterations} iterations, ALERTABLE_KILL_SEED={seed}");
    let mut random = Random(seed);
    let (m, e, s) = (
        unique("kill-mutex"),
        unique("kill-event"),
        unique("kill-sem"),
    );
    let mutex = Mutex::create_named(&m, false).unwrap().into_inner();
    let event = manual(&e);
    let sem = Semaphore::create_named(&s, 1, 1).unwrap().into_inner();

    // The survivor: the same loop as the victims, counting its rounds.
    let rounds = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let survivor = {
        let (mutex, event, sem) = (mutex.clone(), event.clone(), sem.clone());
        let (rounds, stop) = (rounds.clone(), stop.clone());
        alertable::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let objects: [&dyn alertable::Waitable; 2] = [&mutex, &sem];
                match wait_all(&objects, Some(Duration::from_millis(20)), Alertable::No) {
                    Ok(WaitStatus::Signaled(_) | WaitStatus::Abandoned(_)) => {
                        event.set();
                        event.reset();
                        sem.release(1).unwrap();
                        mutex.release().unwrap();
                        rounds.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    // The count went with a killed peer; the main thread restores it.
                    Ok(WaitStatus::TimedOut) => {}
                    other => panic!("survivor: {other:?}"),
                }
            }
        })
        .unwrap()
    };

    let mut abandoned = 0;
    for i in 0..iterations {
        let ready = unique("kill-ready");
        let ready_event = manual(&ready);
        let mut victim = spawn("churn", &[&m, &e, &s, &ready]);
        signaled(wait_one(&ready_event, LONG, Alertable::No));
        // A random moment inside the victim's loop: up to 2 ms of spinning.
        let spin = std::time::Instant::now() + Duration::from_micros(random.next() % 2000);
        while std::time::Instant::now() < spin {
            std::hint::spin_loop();
        }
        victim.kill().unwrap();
        victim.wait().unwrap();

        // The main thread can take the mutex within the bound, whatever the victim held.
        match wait_one(&mutex, Some(Duration::from_secs(10)), Alertable::No) {
            Ok(WaitStatus::Abandoned(0)) => {
                abandoned += 1;
                // Died owning the mutex: it may also have held the count (X1: the
                // wait-all is atomic, so never the count without the mutex).
                if sem.count() == 0 {
                    sem.release(1).unwrap();
                }
            }
            Ok(WaitStatus::Signaled(0)) => {
                assert_eq!(
                    sem.count(),
                    1,
                    "iteration {i}: a count vanished without its mutex"
                );
            }
            other => panic!("iteration {i}: the mutex was not obtained: {other:?}"),
        }
        // The event still works between the processes' states.
        event.set();
        signaled(wait_one(&event, Some(Duration::ZERO), Alertable::No));
        event.reset();
        mutex.release().unwrap();

        // The survivor makes progress within the bound.
        let before = rounds.load(std::sync::atomic::Ordering::Relaxed);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while rounds.load(std::sync::atomic::Ordering::Relaxed) == before {
            assert!(
                std::time::Instant::now() < deadline,
                "iteration {i}: the survivor is wedged"
            );
            alertable::sleep_ex(Some(Duration::from_millis(1)), Alertable::No);
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    survivor.join().unwrap();
    println!(
        "kill test: {abandoned} of {iterations} victims died owning the mutex; survivor rounds {}; \
         lock recoveries here {}",
        rounds.load(std::sync::atomic::Ordering::Relaxed),
        alertable::namespace_recoveries()
    );
    assert!(
        abandoned > 0 || iterations < 20,
        "the kills never hit the mutex"
    );
}

fn private_dir(what: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(unique(what));
    std::fs::create_dir(&dir).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

fn namespace_run(dir: &std::path::Path, name: &str) -> ExitStatus {
    command("namespace", &[name])
        .env("ALERTABLE_SHM_DIR", dir)
        .status()
        .unwrap()
}

/// Only the user's own private directory is used: one that others may enter is refused
/// with ERROR_ACCESS_DENIED, as is one that belongs to another user.
#[test]
fn another_users_or_a_shared_namespace_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = private_dir("shared-dir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(namespace_run(&dir, "x").code(), Some(5));
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(namespace_run(&dir, "x").code(), Some(0));
    if rustix_is_root() {
        // Owned by another user (nobody): refused even though the mode is private.
        let _ = std::fs::create_dir(&dir);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
        assert_eq!(namespace_run(&dir, "x").code(), Some(5));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn rustix_is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

/// A full namespace is a clear error, not a crash or a hang: 1,024 objects, then
/// `NoResources` (ERROR_NO_SYSTEM_RESOURCES, 1450); a freed slot is usable again. Run in
/// a namespace of its own, so that other tests keep theirs.
#[test]
fn a_full_namespace_refuses_with_no_resources() {
    let dir = private_dir("full");
    let status = command("fill", &[])
        .env("ALERTABLE_SHM_DIR", &dir)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1450 % 256), "{status}");
    assert!(!dir.exists(), "the namespace went with its last user");
}

/// Nothing is left behind: the last process to exit removes the namespace, and one that
/// was killed is swept by the next user, which removes it in turn when it exits.
#[test]
fn the_namespace_is_removed_after_the_last_user_even_after_a_kill() {
    let dir = private_dir("cleanup");
    assert_eq!(namespace_run(&dir, "a").code(), Some(0));
    assert!(!dir.exists(), "removed when its only user exited");

    std::fs::create_dir(&dir).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let (held, go) = (unique("held"), unique("go"));
    // A victim that creates objects in the private namespace and is killed.
    let mut victim = command("hold-private", &[&held, &go])
        .env("ALERTABLE_SHM_DIR", &dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The victim says on its output when its objects exist (its namespace is not ours, so
    // a named event cannot tell us).
    let output = std::io::BufReader::new(victim.stdout.take().unwrap());
    let said = std::io::BufRead::lines(output)
        .map_while(Result::ok)
        .any(|line| line.ends_with("victim-ready"));
    assert!(said, "the victim started");
    victim.kill().unwrap();
    victim.wait().unwrap();
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "a killed process cannot clean up"
    );
    assert_eq!(namespace_run(&dir, "b").code(), Some(0));
    assert!(
        !dir.exists(),
        "the next user swept the dead one and removed it all"
    );
}

/// M-entries across processes: a named timer set in one process signals waiters in
/// another at its due time, even after the setting process has exited; a periodic one
/// keeps firing.
#[test]
fn m_a_named_timer_set_elsewhere_fires_here_after_its_setter_exited() {
    let name = unique("timer");
    let timer = alertable::WaitableTimer::create_named(&name, alertable::TimerReset::Manual)
        .unwrap()
        .into_inner();
    assert!(run("set-timer", &[&name, "none"]).success());
    signaled(wait_one(&timer, LONG, Alertable::No));
    assert!(timer.is_signaled(), "a manual-reset timer stays signaled");

    let name = unique("periodic");
    let periodic =
        alertable::WaitableTimer::create_named(&name, alertable::TimerReset::Synchronization)
            .unwrap()
            .into_inner();
    assert!(run("set-timer", &[&name, "10"]).success());
    for _ in 0..3 {
        signaled(wait_one(&periodic, LONG, Alertable::No));
    }
    periodic.cancel();
    assert_eq!(
        alertable::WaitableTimer::open(&unique("absent")).unwrap_err(),
        NameError::NotFound
    );
    assert_eq!(Event::open(&name).unwrap_err(), NameError::WrongType);
}

/// M140 on a named timer: the routine runs on the setting thread, and another handle of
/// the same name sees the signal.
#[test]
fn m140_a_named_timer_runs_its_routine_on_the_setting_thread() {
    let name = unique("routine");
    let timer = alertable::WaitableTimer::create_named(&name, alertable::TimerReset::Manual)
        .unwrap()
        .into_inner();
    let other = alertable::WaitableTimer::open(&name).unwrap();
    let ran = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let r = ran.clone();
    timer.set_with_routine(
        alertable::DueTime::After(Duration::from_millis(5)),
        None,
        move |_| {
            r.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        },
    );
    assert_eq!(
        alertable::sleep_ex(LONG, Alertable::Yes),
        alertable::SleepStatus::Alerted
    );
    assert_eq!(ran.load(std::sync::atomic::Ordering::Relaxed), 1);
    signaled(wait_one(&other, Some(Duration::ZERO), Alertable::No));
}

/// D: `msg_wait` and `signal_and_wait` mix named objects like any others, and the same
/// named object opened twice is one object to a wait-all (D49's duplicate rule).
#[test]
fn d_msg_wait_and_signal_and_wait_work_across_processes() {
    let (a, b) = (unique("a"), unique("b"));
    let ea = Event::create_named(&a, EventReset::Auto, false)
        .unwrap()
        .into_inner();
    let sb = Semaphore::create_named(&b, 0, 1).unwrap().into_inner();
    let mut child = spawn("signal-and-wait", &[&a, &b]);
    let status = alertable::msg_wait(
        &[&ea],
        LONG,
        alertable::QueueStatus::empty(),
        alertable::MsgWaitFlags::empty(),
    );
    assert_eq!(status, Ok(WaitStatus::Signaled(0)));
    sb.release(1).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(sb.count(), 0, "the child's wait took the count");

    let again = Event::open(&a).unwrap();
    let objects: [&dyn alertable::Waitable; 2] = [&ea, &again];
    assert_eq!(
        wait_all(&objects, Some(Duration::ZERO), Alertable::No),
        Err(alertable::WaitError::DuplicateObject)
    );
}
