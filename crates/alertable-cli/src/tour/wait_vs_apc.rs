//! `wait-vs-apc`: an alertable wait on an object when the object and an APC are both in
//! play. A signaled object beats a pending APC (B31); an APC that arrives during the wait
//! ends it with 192 even when it signals the very object being waited on (B20, B21).

use std::sync::mpsc;
use std::time::Duration;

use alertable::{Alertable, EventReset, WaitStatus, Waitable, wait_one};

use super::journal::{self, Event};
use super::verdict::{Mismatch, Outcome, ensure, expect, finish};
use super::{Scenario, say};

/// The scenario's entry in the tour.
pub(super) const SCENARIO: Scenario = Scenario {
    name: "wait-vs-apc",
    summary: "a set event beats a queued APC; an APC that sets the awaited event still yields 192",
    spec: "B20, B21, B31",
    description: "Two meetings of an object and an APC in WaitForSingleObjectEx(hEvent, \
        INFINITE, TRUE). First, the worker is held at a gate while main sets an auto-reset \
        event and queues the worker an APC (param=1); then the gate opens and the worker \
        waits with both pending. On Windows the object wins: the wait takes the event and \
        returns 0 (WAIT_OBJECT_0), and the APC stays queued. It runs in the worker's next \
        alertable wait, the same call on the now reset event, which returns 192 \
        (WAIT_IO_COMPLETION). Second, a worker waits alertably on an event nobody has set, \
        and main queues it an APC (param=2) that sets that very event. The APC runs inside \
        the wait, and Windows does not restart the wait after it: it returns 192, not 0, \
        and leaves the signal on the event, so the worker's next WaitForSingleObjectEx(hEvent, \
        0, TRUE) returns 0 at once. Main queues that APC once the worker has said it is about \
        to wait; had it arrived just before the wait began, it would have run at the start \
        of the wait, with the same result.",
    run,
};

/// The parameter of the APC that meets an already signaled event.
const PARAM_PENDING: usize = 1;

/// The parameter of the APC that sets the event its thread waits on.
const PARAM_SETTER: usize = 2;

/// Runs the scenario: the object wins, then the APC wins.
fn run() -> Outcome {
    let (first, second) = object_wins()?;
    say("  -- an APC that sets the awaited event --");
    let (alerted, after) = apc_signals_the_object()?;
    Ok(format!(
        "with the event set and an APC queued, WaitForSingleObjectEx returned {} and the \
         APC waited for the next alertable wait, which returned {}; an APC that set the \
         awaited event still ended the wait with {}, and the event stayed signaled for the \
         next wait, which returned {}",
        first.as_win32(),
        second.as_win32(),
        alerted.as_win32(),
        after.as_win32()
    ))
}

/// Spells a `wait_one` call on the event the Win32 way:
/// `WaitForSingleObjectEx(hEvent, INFINITE, TRUE)`.
fn wait_call(timeout: Option<Duration>) -> String {
    let millis = timeout.map_or_else(|| "INFINITE".to_owned(), |t| t.as_millis().to_string());
    format!("WaitForSingleObjectEx(hEvent, {millis}, TRUE)")
}

/// Waits alertably on `object` in the wait labelled `label` (for the APCs that run there),
/// and records the call and what it returned.
fn wait(
    label: &str,
    object: &dyn Waitable,
    timeout: Option<Duration>,
) -> Result<WaitStatus, Mismatch> {
    let call = wait_call(timeout);
    let status = journal::within(label, || wait_one(object, timeout, Alertable::Yes))
        .map_err(|error| Mismatch::new(format!("{call} failed: {error}")))?;
    journal::note(format!("{call} returned {}", status.as_win32()));
    Ok(status)
}

/// The first half: the event is signaled and an APC queued before the wait begins.
/// Returns what the two waits returned.
fn object_wins() -> Result<(WaitStatus, WaitStatus), Mismatch> {
    let first_wait = format!("the first {}", wait_call(None));
    let second_wait = format!("the second {}", wait_call(None));
    let event = alertable::Event::new(EventReset::Auto, false);
    let (started, has_started) = mpsc::channel();
    let (open_gate, gate) = mpsc::channel::<()>();
    let worker = {
        let event = event.clone();
        let (first_wait, second_wait) = (first_wait.clone(), second_wait.clone());
        alertable::spawn(move || {
            journal::record(Event::Started);
            let _ = started.send(());
            // A channel receive is a wait too, and not an alertable one.
            let _ = journal::within("a channel receive", || gate.recv());
            let first = wait(&first_wait, &event, None)?;
            let second = wait(&second_wait, &event, None)?;
            Ok::<_, Mismatch>((first, second))
        })
        .map_err(Mismatch::spawn)?
    };
    let tid = worker.thread().id();

    expect(&has_started, "that it started")?;
    event.set();
    journal::note("main: SetEvent(hEvent) -> TRUE");
    journal::queue(worker.thread(), PARAM_PENDING)?;
    journal::note(format!(
        "main: opening the gate; the worker calls {} with the event set and the APC queued",
        wait_call(None)
    ));
    open_gate
        .send(())
        .map_err(|_| Mismatch::new("the worker left before its gate opened"))?;
    let (first, second) = finish(worker)??;

    let record = journal::take();
    ensure(first == WaitStatus::Signaled(0), || {
        format!(
            "with the event set and an APC queued, {} returned {}, not 0 (WAIT_OBJECT_0)",
            wait_call(None),
            first.as_win32()
        )
    })?;
    record.check_apcs(
        tid,
        PARAM_PENDING..PARAM_PENDING + 1,
        Some(second_wait.as_str()),
    )?;
    ensure(second == WaitStatus::Alerted, || {
        format!(
            "the next {} returned {}, not 192 (WAIT_IO_COMPLETION)",
            wait_call(None),
            second.as_win32()
        )
    })?;
    ensure(!event.is_set(), || {
        "the auto-reset event is still signaled after the wait that returned 0".to_owned()
    })?;
    Ok((first, second))
}

/// The second half: an APC sets the event its thread is waiting on. Returns what the wait
/// it ran in returned, and what the next wait returned.
fn apc_signals_the_object() -> Result<(WaitStatus, WaitStatus), Mismatch> {
    let blocked_wait = wait_call(None);
    let event = alertable::Event::new(EventReset::Auto, false);
    let (about_to_wait, is_about_to_wait) = mpsc::channel();
    let worker = {
        let event = event.clone();
        let blocked_wait = blocked_wait.clone();
        alertable::spawn(move || {
            journal::record(Event::Started);
            journal::note(format!(
                "about to call {blocked_wait} on an event nobody has set"
            ));
            let _ = about_to_wait.send(());
            let alerted = wait(&blocked_wait, &event, None)?;
            let after = wait("the zero-timeout wait", &event, Some(Duration::ZERO))?;
            Ok::<_, Mismatch>((alerted, after))
        })
        .map_err(Mismatch::spawn)?
    };
    let thread = worker.thread().clone();
    let tid = thread.id();

    expect(&is_about_to_wait, "that it is about to wait")?;
    let setter = event.clone();
    journal::act(|| {
        let result = thread.queue_apc(move || {
            journal::apc_callback(PARAM_SETTER);
            setter.set();
            journal::note("SetEvent(hEvent) -> TRUE, from inside the APC");
        });
        let text = format!(
            "main: QueueUserAPC(param={PARAM_SETTER}, an APC that calls SetEvent(hEvent)) -> {}",
            journal::show_queued(&result)
        );
        (result, text)
    })
    .map_err(Mismatch::queue)?;
    let (alerted, after) = finish(worker)??;

    let record = journal::take();
    record.check_apcs(
        tid,
        PARAM_SETTER..PARAM_SETTER + 1,
        Some(blocked_wait.as_str()),
    )?;
    ensure(alerted == WaitStatus::Alerted, || {
        format!(
            "the wait whose APC set its event returned {}, not 192 (WAIT_IO_COMPLETION)",
            alerted.as_win32()
        )
    })?;
    ensure(after == WaitStatus::Signaled(0), || {
        format!(
            "the next {} returned {}, not 0: the APC's SetEvent did not stay on the event",
            wait_call(Some(Duration::ZERO)),
            after.as_win32()
        )
    })?;
    Ok((alerted, after))
}
