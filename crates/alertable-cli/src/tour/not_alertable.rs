//! `not-alertable`: a pending APC waits out a non-alertable sleep (B19).

use std::sync::mpsc;
use std::time::{Duration, Instant};

use alertable::{Alertable, SleepStatus};

use super::Scenario;
use super::journal::{self, Event, INFINITE_ALERTABLE};
use super::verdict::{Mismatch, Outcome, ensure, expect, finish};

/// The scenario's entry in the tour.
pub(super) const SCENARIO: Scenario = Scenario {
    name: "not-alertable",
    summary: "an APC pending through SleepEx(100, FALSE) waits for the next alertable wait",
    spec: "B17, B19",
    description: "The worker starts and stops at a gate, a plain channel receive. While it \
        is held there, main queues it an APC (param=7) and only then opens the gate, so the \
        APC is certainly pending when the worker goes on to sleep 100 ms with SleepEx(100, \
        FALSE). Windows never delivers user APCs in a non-alertable wait: that sleep lasts \
        its full time and returns 0, and the APC runs only when the worker next waits \
        alertably, in SleepEx(INFINITE, TRUE), which then returns 192.",
    run,
};

/// The parameter the APC carries.
const PARAM: usize = 7;

/// How long the non-alertable sleep lasts.
const NAP: Duration = Duration::from_millis(100);

/// Runs the scenario: the APC is pending before the non-alertable sleep begins.
fn run() -> Outcome {
    let (started, has_started) = mpsc::channel();
    let (open_gate, gate) = mpsc::channel::<()>();
    let worker = alertable::spawn(move || {
        journal::record(Event::Started);
        let _ = started.send(());
        // A channel receive is a wait too, and not an alertable one.
        let _ = journal::within("a channel receive", || gate.recv());
        let before = Instant::now();
        let plain = journal::sleep(Some(NAP), Alertable::No);
        let napped = before.elapsed();
        let alerted = journal::sleep(None, Alertable::Yes);
        (plain, napped, alerted)
    })
    .map_err(Mismatch::spawn)?;
    let tid = worker.thread().id();

    expect(&has_started, "that it started")?;
    journal::queue(worker.thread(), PARAM)?;
    journal::note(format!(
        "main: opening the gate; the worker goes into {} with the APC pending",
        journal::sleep_call(Some(NAP), Alertable::No)
    ));
    open_gate
        .send(())
        .map_err(|_| Mismatch::new("the worker left before its gate opened"))?;
    let (plain, napped, alerted) = finish(worker)?;

    let record = journal::take();
    record.check_apcs(tid, PARAM..PARAM + 1, Some(INFINITE_ALERTABLE))?;
    ensure(plain == SleepStatus::Elapsed, || {
        format!(
            "the non-alertable SleepEx returned {}, not 0",
            plain.as_win32()
        )
    })?;
    ensure(napped >= NAP, || {
        format!("the non-alertable SleepEx ended after {napped:?}, before its {NAP:?} were up")
    })?;
    ensure(alerted == SleepStatus::Alerted, || {
        format!(
            "the alertable SleepEx returned {}, not 192",
            alerted.as_win32()
        )
    })?;
    Ok(format!(
        "the APC stayed queued through {} (which returned 0 after its full {} ms) and ran \
         in the next SleepEx(INFINITE, TRUE), which returned 192",
        journal::sleep_call(Some(NAP), Alertable::No),
        NAP.as_millis()
    ))
}
