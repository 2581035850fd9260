//! `basic`: one APC to a thread that waits alertably.

use std::sync::mpsc;

use alertable::{Alertable, SleepStatus};

use super::Scenario;
use super::journal::{self, Event, INFINITE_ALERTABLE};
use super::verdict::{Mismatch, Outcome, ensure, expect, finish};

/// The scenario's entry in the tour.
pub(super) const SCENARIO: Scenario = Scenario {
    name: "basic",
    summary: "an APC reaches a thread in SleepEx(INFINITE, TRUE) and runs there; SleepEx returns 192",
    spec: "A14, B17, B20",
    description: "A worker thread prints its id and then sleeps with no timeout in an \
        alertable SleepEx. Main waits until the worker has said it is running, then queues \
        it one APC whose parameter is 123. On Windows the callback runs on the worker, \
        within that SleepEx, and the sleep ends with WAIT_IO_COMPLETION (192) instead of \
        lasting forever.",
    run,
};

/// The parameter the APC carries.
const PARAM: usize = 123;

/// Runs the scenario: one worker, one APC, one alertable sleep.
fn run() -> Outcome {
    let (started, has_started) = mpsc::channel();
    let worker = alertable::spawn(move || {
        journal::record(Event::Started);
        let _ = started.send(());
        journal::sleep(None, Alertable::Yes)
    })
    .map_err(Mismatch::spawn)?;
    let tid = worker.thread().id();

    // Queue only once the entry function runs: earlier, the APC would run before it (C34).
    expect(&has_started, "that it started")?;
    journal::queue(worker.thread(), PARAM)?;
    let status = finish(worker)?;

    let record = journal::take();
    record.check_apcs(tid, PARAM..PARAM + 1, Some(INFINITE_ALERTABLE))?;
    let apc_at = record.apcs()[0].at;
    let started_at = record.position(tid, &Event::Started);
    ensure(matches!(started_at, Some(at) if at < apc_at), || {
        "the APC ran before the worker printed that it had started".to_owned()
    })?;
    ensure(status == SleepStatus::Alerted, || {
        format!(
            "SleepEx returned {} instead of 192 (WAIT_IO_COMPLETION)",
            status.as_win32()
        )
    })?;
    Ok(format!(
        "the APC ran on the worker thread, inside SleepEx, which returned {} \
         (WAIT_IO_COMPLETION)",
        status.as_win32()
    ))
}
