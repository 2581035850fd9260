//! `completion-port`: an I/O completion port releases its waiting threads most recent first
//! (L130), and lets no more than its concurrency value run at a time: a thread that blocks
//! in a wait makes room for another, and counts again when it wakes (L135).

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use alertable::{Alertable, Event, EventReset, WaitStatus, wait_one};
use alertable_io::{CompletionPacket, CompletionPort, PortError};

use super::journal;
use super::verdict::{Mismatch, Outcome, ensure, expect, finish};
use super::{Scenario, say};

/// The scenario's entry in the tour.
pub(super) const SCENARIO: Scenario = Scenario {
    name: "completion-port",
    summary: "a completion port wakes its last waiter first and runs at most `concurrency` threads",
    spec: "L130, L135",
    description: "First, LIFO release. Thread 1 calls GetQueuedCompletionStatus(hPort, \
        INFINITE) on an empty port, then thread 0 does the same; main posts completion keys \
        3, 4 and 5 with PostQueuedCompletionStatus. On Windows (since Windows 10) the thread \
        that began waiting last is released first: thread 0 gets key 3, thread 1 key 4, and \
        main's own GetQueuedCompletionStatus finds key 5 queued. Second, the concurrency \
        value, which Windows honours and Wine ignores. On a port created with \
        NumberOfConcurrentThreads = 1, thread A takes a packet and keeps running, held at a \
        gate that is not a Win32 wait; thread B waits in GetQueuedCompletionStatus. Main \
        posts a second packet: Windows queues it rather than release B, since one thread \
        already runs. When A blocks in WaitForSingleObject on an event, it no longer counts \
        as running, and B is released with the queued packet. When main sets the event, A \
        wakes and counts again: two threads run on a port whose limit is one, for a while, \
        exactly as Windows allows.",
    run,
};

/// How long main waits for a thread to show up among the port's waiters before deciding
/// that it never will (a broken library, not a slow machine).
const PATIENCE: Duration = Duration::from_secs(20);

/// Runs the scenario: LIFO release, then the concurrency limit.
fn run() -> Outcome {
    let order = lifo()?;
    say("  -- the concurrency value: NumberOfConcurrentThreads = 1 --");
    let counts = concurrency()?;
    Ok(format!("{order}; {counts}"))
}

/// Waits until `port` has `n` threads in `GetQueuedCompletionStatus`.
fn until_waiting(port: &CompletionPort, n: usize, who: &str) -> Result<(), Mismatch> {
    let give_up = Instant::now() + PATIENCE;
    while port.waiting_threads() != n {
        if Instant::now() >= give_up {
            return Err(Mismatch::new(format!(
                "{who} was not waiting on the port after {} s",
                PATIENCE.as_secs()
            )));
        }
        thread::yield_now();
    }
    Ok(())
}

/// Spells a `get` the Win32 way: `GetQueuedCompletionStatus(hPort, INFINITE)`.
fn get_call(timeout: Option<Duration>) -> String {
    let millis = timeout.map_or_else(|| "INFINITE".to_owned(), |t| t.as_millis().to_string());
    format!("GetQueuedCompletionStatus(hPort, {millis})")
}

/// What `GetQueuedCompletionStatus` would have returned.
fn show_got(result: &Result<CompletionPacket, PortError>) -> String {
    match result {
        Ok(packet) => format!("TRUE, key={}", packet.key),
        Err(error) => format!("FALSE (error {})", error.win32_error()),
    }
}

/// Calls `get` on `port`, noting the call first and what it returned after.
fn get(
    who: &str,
    port: &CompletionPort,
    timeout: Option<Duration>,
) -> Result<CompletionPacket, PortError> {
    let call = get_call(timeout);
    if timeout.is_none() {
        journal::note(format!("{who}{call}: waiting"));
    }
    let result = port.get(timeout);
    journal::note(format!("{who}{call} returned {}", show_got(&result)));
    result
}

/// Posts a packet with `key` as main, noting the call and, through `then`, what the port
/// looked like right after it.
fn post(
    port: &CompletionPort,
    key: usize,
    then: impl FnOnce(&CompletionPort) -> String,
) -> Result<(), Mismatch> {
    journal::act(|| {
        let result = port.post(CompletionPacket::new(key, 0, Ok(0)));
        let shown = match &result {
            Ok(()) => "TRUE".to_owned(),
            Err(error) => format!("FALSE (error {})", error.win32_error()),
        };
        let after = then(port);
        (
            result,
            format!("main: PostQueuedCompletionStatus(key={key}) -> {shown}{after}"),
        )
    })
    .map_err(|error| Mismatch::new(format!("PostQueuedCompletionStatus failed: {error}")))
}

/// The first half: threads 1 and 0 wait, in that order; keys 3, 4, 5 are posted.
fn lifo() -> Result<String, Mismatch> {
    // Room for all three threads, so that only the order of release shows.
    let port = CompletionPort::new(4);
    let spawn = |index: usize| {
        let port = port.clone();
        alertable::spawn(move || get(&format!("thread {index}: "), &port, None))
            .map_err(Mismatch::spawn)
    };
    let one = spawn(1)?;
    until_waiting(&port, 1, "thread 1")?;
    let zero = spawn(0)?;
    until_waiting(&port, 2, "thread 0")?;
    for key in [3, 4, 5] {
        post(&port, key, |_| String::new())?;
    }
    let zero = finish(zero)?;
    let one = finish(one)?;
    let main = get("main: ", &port, Some(Duration::ZERO));
    drop(journal::take());

    let key = |got: &Result<CompletionPacket, PortError>| got.as_ref().ok().map(|p| p.key);
    ensure(key(&zero) == Some(3) && key(&one) == Some(4), || {
        format!(
            "thread 0 (the last to wait) got {} and thread 1 got {}; Windows gives key 3 to \
             thread 0 and key 4 to thread 1",
            show_got(&zero),
            show_got(&one)
        )
    })?;
    ensure(key(&main) == Some(5), || {
        format!(
            "main's GetQueuedCompletionStatus returned {}, not key 5",
            show_got(&main)
        )
    })?;
    Ok("thread 0, the last to wait, got key 3, thread 1 key 4, main key 5".to_owned())
}

/// The second half: concurrency 1, thread A runs, thread B waits.
fn concurrency() -> Result<String, Mismatch> {
    let port = CompletionPort::new(1);
    let event = Event::new(EventReset::Manual, false);
    post(&port, 1, |_| String::new())?;

    let (a_says, from_a) = mpsc::channel();
    let (to_a, a_hears) = mpsc::channel::<()>();
    let a = {
        let (port, event) = (port.clone(), event.clone());
        alertable::spawn(move || {
            let took = get("A: ", &port, Some(Duration::ZERO)).is_ok();
            journal::note("A: working on it (held at a gate that is not a Win32 wait)");
            let _ = a_says.send(took);
            let _ = a_hears.recv();
            journal::note("A: WaitForSingleObject(hEvent, INFINITE): blocking");
            let woke = wait_one(&event, None, Alertable::No);
            journal::note(format!(
                "A: WaitForSingleObject(hEvent, INFINITE) returned {}",
                woke.map_or_else(|e| format!("an error ({e})"), |s| s.as_win32().to_string())
            ));
            let _ = a_says.send(woke == Ok(WaitStatus::Signaled(0)));
            let _ = a_hears.recv();
        })
        .map_err(Mismatch::spawn)?
    };
    ensure(expect(&from_a, "that it took the first packet")?, || {
        "A's GetQueuedCompletionStatus(hPort, 0) found no packet".to_owned()
    })?;

    let (b_says, from_b) = mpsc::channel();
    let (to_b, b_hears) = mpsc::channel::<()>();
    let b = {
        let port = port.clone();
        alertable::spawn(move || {
            let got = get("B: ", &port, None);
            let _ = b_says.send(got.map(|p| p.key));
            let _ = b_hears.recv();
        })
        .map_err(Mismatch::spawn)?
    };
    until_waiting(&port, 1, "B")?;

    let mut held_back = (0, 0);
    post(&port, 2, |port| {
        held_back = (port.queued(), port.waiting_threads());
        format!(
            "; {} queued, {} thread waiting, {} running (limit 1)",
            held_back.0,
            held_back.1,
            port.running_threads()
        )
    })?;

    journal::note("main: letting A block in a wait");
    to_a.send(())
        .map_err(|_| Mismatch::new("A ended before main let it block"))?;
    let b_key = expect(&from_b, "a packet")?;
    let while_blocked = port.running_threads();
    journal::note(format!(
        "main: B has the packet; running threads: {while_blocked} (A is blocked)"
    ));

    journal::act(|| {
        event.set();
        ((), "main: SetEvent(hEvent)".to_owned())
    });
    let a_woke = expect(&from_a, "the end of its wait")?;
    let after_wake = port.running_threads();
    journal::note(format!(
        "main: running threads: {after_wake}, above the limit of 1 until one of them waits"
    ));
    let _ = to_a.send(());
    let _ = to_b.send(());
    finish(a)?;
    finish(b)?;
    drop(journal::take());

    ensure(held_back == (1, 1), || {
        format!(
            "while A ran, the second packet should have stayed queued with B waiting; \
             the port had {} queued and {} waiting",
            held_back.0, held_back.1
        )
    })?;
    ensure(b_key == Ok(2), || match b_key {
        Ok(key) => format!("B was released with key {key}, not 2"),
        Err(error) => format!("B's GetQueuedCompletionStatus failed with {error}"),
    })?;
    ensure(while_blocked == 1, || {
        format!("with A blocked and B running, {while_blocked} threads counted as running, not 1")
    })?;
    ensure(a_woke && after_wake == 2, || {
        format!(
            "after A woke, {after_wake} threads counted as running, not 2 (A's wait {})",
            if a_woke { "returned 0" } else { "failed" }
        )
    })?;
    Ok(format!(
        "with the limit at 1, the second packet stayed queued while A ran, went to B when A \
         blocked, and {after_wake} threads ran once A woke"
    ))
}
