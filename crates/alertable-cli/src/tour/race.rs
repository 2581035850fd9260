//! `race`: the classic lost-APC bug of a thread that waits alertably only once, and its fix
//! (B20, C35, A4).

use std::cell::Cell;
use std::sync::mpsc;
use std::time::Duration;

use alertable::{Alertable, QueueApcError};

use super::journal::{self, Event, INFINITE_ALERTABLE};
use super::verdict::{Mismatch, Outcome, ensure, expect, finish};
use super::{Scenario, say};

/// The scenario's entry in the tour.
pub(super) const SCENARIO: Scenario = Scenario {
    name: "race",
    summary: "a thread that waits alertably once runs only the first of 10 APCs; a loop runs all",
    spec: "B20, C35, A4",
    description: "The worker makes one SleepEx(INFINITE, TRUE) and then a long wait that is \
        not alertable, standing in for a long Sleep. Main queues ten APCs 1 ms apart. On \
        Windows the first one ends the alertable sleep, and every later one arrives while \
        the thread no longer waits alertably: it never runs, and dies with the thread. Here \
        the interleaving is forced: main queues APC 0, waits until the worker reports that \
        its SleepEx has returned, and only then queues the other nine. Afterwards, queueing \
        to the exited thread fails with ERROR_GEN_FAILURE (31). The fix is a worker that \
        waits alertably in a loop: the same ten APCs, 1 ms apart, all run, in order, \
        however they are batched; one last APC tells the loop to end.",
    run,
};

/// How many APCs main queues in each half.
const COUNT: usize = 10;

/// The gap between two APCs, as in the original experiment.
const GAP: Duration = Duration::from_millis(1);

/// Runs the scenario: the single-wait worker, then the looping one.
fn run() -> Outcome {
    let (bug_ran, bug_after_exit) = lost_apcs()?;
    say("  -- the fix: a worker that waits alertably in a loop --");
    let fixed_ran = looping_worker()?;
    Ok(format!(
        "with one alertable wait {bug_ran} of the {COUNT} APCs ran and the other {} died \
         with the thread (queueing to it then fails with error {}); looping on SleepEx ran \
         all {fixed_ran}, in order",
        COUNT - bug_ran,
        bug_after_exit.win32_error()
    ))
}

/// The bug: a single alertable wait. Returns how many APCs ran, and how queueing to the
/// exited thread failed.
fn lost_apcs() -> Result<(usize, QueueApcError), Mismatch> {
    let (started, has_started) = mpsc::channel();
    let (passed, has_passed) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let worker = alertable::spawn(move || {
        journal::record(Event::Started);
        let _ = started.send(());
        journal::sleep(None, Alertable::Yes);
        journal::note("SleepEx is done; now in a long wait that is not alertable");
        let _ = passed.send(());
        let _ = journal::within("a long non-alertable wait", || released.recv());
    })
    .map_err(Mismatch::spawn)?;
    let thread = worker.thread().clone();
    let tid = thread.id();

    expect(&has_started, "that it started")?;
    journal::queue(&thread, 0)?;
    expect(&has_passed, "the end of its alertable wait")?;
    for param in 1..COUNT {
        std::thread::sleep(GAP);
        journal::queue(&thread, param)?;
    }
    journal::note("main: letting the worker's entry function return");
    release
        .send(())
        .map_err(|_| Mismatch::new("the worker ended its long wait early"))?;
    finish(worker)?;
    let after_exit = journal::act(|| {
        let result = alertable::queue_user_apc(&thread, journal::apc_callback, COUNT);
        let text = format!(
            "main: the worker has exited; QueueUserAPC(param={COUNT}) -> {}",
            journal::show_queued(&result)
        );
        (result, text)
    });

    let record = journal::take();
    record.check_apcs(tid, 0..1, Some(INFINITE_ALERTABLE))?;
    let sleeps = record.sleeps(tid);
    ensure(sleeps == [(INFINITE_ALERTABLE, 192)], || {
        format!("expected one SleepEx returning 192, saw {sleeps:?}")
    })?;
    let Err(error) = after_exit else {
        return Err(Mismatch::new(
            "queueing an APC to the exited thread succeeded",
        ));
    };
    ensure(error == QueueApcError::ThreadExited, || {
        format!("queueing to the exited thread failed with {error}, not error 31")
    })?;
    Ok((record.apcs().len(), error))
}

thread_local! {
    /// Set on the looping worker by its last APC.
    static STOP: Cell<bool> = const { Cell::new(false) };
}

/// The fix: a worker that waits alertably in a loop. Returns how many APCs ran.
fn looping_worker() -> Result<usize, Mismatch> {
    let (started, has_started) = mpsc::channel();
    let worker = alertable::spawn(move || {
        journal::record(Event::Started);
        let _ = started.send(());
        while !STOP.get() {
            journal::sleep(None, Alertable::Yes);
        }
    })
    .map_err(Mismatch::spawn)?;
    let thread = worker.thread().clone();
    let tid = thread.id();

    expect(&has_started, "that it started")?;
    journal::note(format!(
        "main: the fixed worker loops on {INFINITE_ALERTABLE}; queueing {COUNT} APCs \
         {} ms apart",
        GAP.as_millis()
    ));
    for param in 0..COUNT {
        alertable::queue_user_apc(&thread, journal::apc_callback, param)
            .map_err(Mismatch::queue)?;
        std::thread::sleep(GAP);
    }
    // Queued after all the others, so it runs after them (FIFO).
    thread
        .queue_apc(|| {
            STOP.set(true);
            journal::note("stop request received: leaving the loop");
        })
        .map_err(Mismatch::queue)?;
    finish(worker)?;

    let record = journal::take();
    record.check_apcs(tid, 0..COUNT, Some(INFINITE_ALERTABLE))?;
    let sleeps = record.sleeps(tid);
    ensure(
        !sleeps.is_empty()
            && sleeps
                .iter()
                .all(|&sleep| sleep == (INFINITE_ALERTABLE, 192)),
        || format!("every SleepEx of the loop should return 192, saw {sleeps:?}"),
    )?;
    Ok(record.apcs().len())
}
