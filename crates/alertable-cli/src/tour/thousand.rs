//! `thousand`: one alertable wait drains a thousand queued APCs, in order (A15, B23).

use std::sync::mpsc;

use alertable::{Alertable, SleepStatus};

use super::Scenario;
use super::journal::{self, Event, INFINITE_ALERTABLE};
use super::verdict::{Mismatch, Outcome, ensure, expect, finish};

/// The scenario's entry in the tour.
pub(super) const SCENARIO: Scenario = Scenario {
    name: "thousand",
    summary: "1000 APCs queued to a thread that is not alertable all run, in order, in one SleepEx",
    spec: "A15, B23",
    description: "The worker starts and stops at a gate (a channel receive, which is not an \
        alertable wait), so it provably cannot run APCs while main queues a thousand of \
        them, with parameters 0 to 999. Then the gate opens and the worker makes a single \
        SleepEx(INFINITE, TRUE). Windows runs every queued APC in that one call, one after \
        another in the order queued, and only then returns 192. Only the first and last \
        few of the thousand lines are shown.",
    run,
};

/// How many APCs are queued.
const COUNT: usize = 1000;

/// How many APC lines are shown at each end of the run.
const SHOWN: usize = 3;

/// Runs the scenario: queue behind a gate, then one alertable sleep.
fn run() -> Outcome {
    let (started, has_started) = mpsc::channel();
    let (open_gate, gate) = mpsc::channel::<()>();
    let worker = alertable::spawn(move || {
        journal::record(Event::Started);
        let _ = started.send(());
        let _ = journal::within("a channel receive", || gate.recv());
        journal::sleep(None, Alertable::Yes)
    })
    .map_err(Mismatch::spawn)?;
    let thread = worker.thread().clone();
    let tid = thread.id();

    expect(&has_started, "that it started")?;
    journal::note(format!(
        "main: the worker is held at its gate; queueing {COUNT} APCs (param=0..{})",
        COUNT - 1
    ));
    for param in 0..COUNT {
        alertable::queue_user_apc(&thread, journal::apc_callback, param)
            .map_err(Mismatch::queue)?;
    }
    journal::note(format!(
        "main: all {COUNT} queued; opening the gate into {INFINITE_ALERTABLE}"
    ));
    journal::elide_apc_runs(SHOWN, SHOWN);
    open_gate
        .send(())
        .map_err(|_| Mismatch::new("the worker left before its gate opened"))?;
    let status = finish(worker)?;

    let record = journal::take();
    record.check_apcs(tid, 0..COUNT, Some(INFINITE_ALERTABLE))?;
    let sleeps = record.sleeps(tid);
    ensure(sleeps == [(INFINITE_ALERTABLE, 192)], || {
        format!("expected one SleepEx returning 192, saw {sleeps:?}")
    })?;
    ensure(status == SleepStatus::Alerted, || {
        format!("SleepEx returned {}, not 192", status.as_win32())
    })?;
    Ok(format!(
        "one SleepEx ran all {COUNT} APCs on the worker, in the order queued, and returned \
         192"
    ))
}
