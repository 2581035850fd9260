//! `before-start`: an APC queued before a thread's entry function runs comes first (C34).

use alertable::Builder;

use super::Scenario;
use super::journal::{self, Event};
use super::verdict::{Mismatch, Outcome, ensure, finish};

/// The scenario's entry in the tour.
pub(super) const SCENARIO: Scenario = Scenario {
    name: "before-start",
    summary: "an APC queued before a thread starts runs before its entry function",
    spec: "C34",
    description: "When QueueUserAPC follows CreateThread at once, Windows often runs the APC \
        before the new thread's entry function: the thread starts by delivering whatever is \
        queued. Left to the scheduler that is a race, so the tour makes it certain the way \
        Windows programs do: it creates the thread suspended, queues the APC (param=123), \
        then resumes it. The callback must fire on the new thread, outside any wait, before \
        \"Thread has started\"; the entry function itself never waits alertably.",
    run,
};

/// The parameter the APC carries.
const PARAM: usize = 123;

/// Runs the scenario: create suspended, queue, resume.
fn run() -> Outcome {
    let worker = Builder::new()
        .suspended(true)
        .spawn(|| journal::record(Event::Started))
        .map_err(Mismatch::spawn)?;
    let thread = worker.thread().clone();
    let tid = thread.id();
    journal::note(format!(
        "main: CreateThread(CREATE_SUSPENDED) -> thread {tid}"
    ));
    journal::queue(&thread, PARAM)?;
    let resumed = journal::act(|| {
        let result = thread.resume();
        let text = format!("main: ResumeThread -> {}", journal::show_count(&result));
        (result, text)
    });
    finish(worker)?;

    let record = journal::take();
    ensure(resumed == Ok(1), || {
        format!(
            "ResumeThread returned {}, not 1",
            journal::show_count(&resumed)
        )
    })?;
    record.check_apcs(tid, PARAM..PARAM + 1, None)?;
    let apc_at = record.apcs()[0].at;
    ensure(
        matches!(record.position(tid, &Event::Started), Some(at) if at > apc_at),
        || "the entry function ran before the APC".to_owned(),
    )?;
    Ok(
        "the APC ran on the new thread before its entry function, without any alertable \
        wait"
            .to_owned(),
    )
}
