//! `suspended`: suspend counts of a thread created suspended, and the APCs it runs when it
//! starts (C33, C34, C37).

use std::time::Duration;

use alertable::{Builder, ResumeError, ThreadHandle};

use super::Scenario;
use super::journal::{self, Event};
use super::verdict::{Mismatch, Outcome, ensure, finish};

/// The scenario's entry in the tour.
pub(super) const SCENARIO: Scenario = Scenario {
    name: "suspended",
    summary: "suspend/resume counts of a suspended thread; its APCs run in order before it starts",
    spec: "C33, C34, C37",
    description: "The thread is created suspended, so its suspend count is 1. SuspendThread \
        raises it and returns the old count (1); ResumeThread lowers it and also returns the \
        old count (2), leaving the thread suspended. Main queues three APCs (param=1, 2, 3) \
        and watches for 50 ms: a suspended thread runs nothing, APCs included. The next \
        ResumeThread returns 1 and starts the thread, which runs the three APCs in the \
        order queued and only then its entry function. Once it has exited, SuspendThread \
        fails with ERROR_ACCESS_DENIED (5) and ResumeThread returns 0.",
    run,
};

/// The parameters of the APCs queued while the thread is suspended.
const PARAMS: std::ops::Range<usize> = 1..4;

/// How long main watches the suspended thread do nothing.
const WATCH: Duration = Duration::from_millis(50);

/// Calls `SuspendThread` or `ResumeThread` (as `call`) and notes its result.
fn counted(
    call: &str,
    thread: &ThreadHandle,
    op: fn(&ThreadHandle) -> Result<u32, ResumeError>,
) -> Result<u32, ResumeError> {
    journal::act(|| {
        let result = op(thread);
        let text = format!("main: {call} -> {}", journal::show_count(&result));
        (result, text)
    })
}

/// Runs the scenario: the counts, the quiet 50 ms, the start, the exited thread.
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
    let suspend = counted("SuspendThread", &thread, ThreadHandle::suspend);
    let resume = counted("ResumeThread", &thread, ThreadHandle::resume);
    for param in PARAMS {
        journal::queue(&thread, param)?;
    }
    journal::note(format!(
        "main: watching thread {tid} for {} ms",
        WATCH.as_millis()
    ));
    // Nothing but the suspension keeps the thread from running during this sleep.
    std::thread::sleep(WATCH);
    let early = journal::count_so_far(tid);
    journal::note(format!(
        "main: thread {tid} has printed {early} lines; resuming it again"
    ));
    let start = counted("ResumeThread", &thread, ThreadHandle::resume);
    finish(worker)?;
    let suspend_after = counted("SuspendThread", &thread, ThreadHandle::suspend);
    let resume_after = counted("ResumeThread", &thread, ThreadHandle::resume);

    let record = journal::take();
    let counts = [&suspend, &resume, &start].map(journal::show_count);
    ensure(
        suspend == Ok(1) && resume == Ok(2) && start == Ok(1),
        || {
            format!(
                "SuspendThread, ResumeThread, ResumeThread returned {}, {}, {}; Windows \
                 returns 1, 2, 1",
                counts[0], counts[1], counts[2]
            )
        },
    )?;
    ensure(early == 0, || {
        format!("the thread printed {early} lines while its suspend count was 1")
    })?;
    record.check_apcs(tid, PARAMS, None)?;
    let last_apc = record.apcs().last().map_or(0, |run| run.at);
    ensure(
        matches!(record.position(tid, &Event::Started), Some(at) if at > last_apc),
        || "the entry function ran before the APCs".to_owned(),
    )?;
    ensure(suspend_after == Err(ResumeError::ThreadExited), || {
        format!(
            "SuspendThread on the exited thread returned {}, not -1 (error 5)",
            journal::show_count(&suspend_after)
        )
    })?;
    ensure(resume_after == Ok(0), || {
        format!(
            "ResumeThread on the exited thread returned {}, not 0",
            journal::show_count(&resume_after)
        )
    })?;
    Ok(format!(
        "SuspendThread → 1, ResumeThread → 2 and nothing ran; ResumeThread → 1 started it, \
         and its {} APCs ran in order before the entry function; after exit SuspendThread \
         fails with error 5 and ResumeThread → 0",
        PARAMS.len()
    ))
}
