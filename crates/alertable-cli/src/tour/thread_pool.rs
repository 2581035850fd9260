//! `thread-pool`: work for *any* thread goes to the pool, not to an APC queue. A pool wait
//! fires once per setting with no thread waiting, and a thousand of them start no thread.

use std::sync::mpsc;

use alertable::{Event, EventReset};
use alertable_pool::{ThreadPool, Wait, WaitResult, Work};

use super::Scenario;
use super::journal;
use super::verdict::{Mismatch, Outcome, ensure, expect};

/// The scenario's entry in the tour.
pub(super) const SCENARIO: Scenario = Scenario {
    name: "thread-pool",
    summary: "a pool wait fires once per SetThreadpoolWait, and 1000 waits start no thread",
    spec: "SetThreadpoolWait (documented), no entry",
    description: "APCs belong to one thread; a Windows program that wants a callback on any \
        thread uses the thread pool. Main creates a pool and a wait object on an auto-reset \
        event, sets the wait and signals the event: the callback runs once on a pool \
        thread. A second signal without setting the wait again runs nothing — the event \
        stays signaled, as Windows' wait objects fire once per SetThreadpoolWait. Setting \
        it again fires at once. Then a thousand more waits are set: Windows would start a \
        wait thread per 63 of them; here each is linked into its event's wait list, so the \
        process's thread count does not move.",
    run,
};

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, Iterator::count)
}

/// Runs the scenario.
fn run() -> Outcome {
    let pool = ThreadPool::new();
    pool.set_thread_minimum(2)
        .map_err(|e| Mismatch::new(format!("the pool's threads did not start: {e}")))?;
    let env = pool.environment();
    let main = std::thread::current().id();
    let (tx, rx) = mpsc::channel();
    let wait = Wait::new(&env, move |_, result| {
        let _ = tx.send((result, std::thread::current().id()));
    });
    let event = Event::new(EventReset::Auto, false);

    journal::note("main: SetThreadpoolWait(wait, event, NULL); SetEvent(event)");
    wait.set(Box::new(event.clone()), None);
    event.set();
    let (result, on) = expect(&rx, "the wait callback")?;
    journal::note(format!(
        "pool: the wait callback ran with {result:?}, on {}",
        if on == main { "main" } else { "a pool thread" }
    ));
    ensure(result == WaitResult::Signaled && on != main, || {
        format!("expected WAIT_OBJECT_0 on a pool thread, saw {result:?}")
    })?;

    journal::note("main: SetEvent(event) again, without setting the wait again");
    event.set();
    // A marker through the same pool: had the wait fired, its callback would be queued
    // before the marker's.
    let (done_tx, done_rx) = mpsc::channel();
    let marker = Work::new(&env, move |_| {
        let _ = done_tx.send(());
    });
    marker.submit();
    expect(&done_rx, "the marker work item")?;
    wait.wait_for_callbacks(false);
    let second = rx.try_recv().is_ok();
    journal::note(format!(
        "main: callbacks since: {}; the event is still signaled: {}",
        usize::from(second),
        event.is_set()
    ));
    ensure(!second && event.is_set(), || {
        "the wait fired without being set again".to_owned()
    })?;

    journal::note("main: SetThreadpoolWait again: the signaled event fires it at once");
    wait.set(Box::new(event.clone()), None);
    let (result, _) = expect(&rx, "the re-armed wait callback")?;
    ensure(result == WaitResult::Signaled && !event.is_set(), || {
        format!("expected WAIT_OBJECT_0 and the signal consumed, saw {result:?}")
    })?;

    let before = threads();
    let events: Vec<Event> = (0..1000)
        .map(|_| Event::new(EventReset::Auto, false))
        .collect();
    let waits: Vec<Wait> = events
        .iter()
        .map(|e| {
            let w = Wait::new(&env, |_, _| {});
            w.set(Box::new(e.clone()), None);
            w
        })
        .collect();
    let after = threads();
    journal::note(format!(
        "main: 1000 more waits set; threads in the process before {before}, after {after}"
    ));
    ensure(before == after, || {
        format!(
            "setting 1000 waits started {} threads",
            after.saturating_sub(before)
        )
    })?;
    drop(waits);
    Ok(
        "the wait fired once per setting on a pool thread, and 1000 waits started no \
        thread"
            .to_owned(),
    )
}
