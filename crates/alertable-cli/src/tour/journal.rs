//! The journal: every line a scenario prints goes through here, stamped with the OS thread id
//! of the thread that printed it, and is kept so that verdicts are checked against what
//! happened rather than against what was meant to happen.
//!
//! Threads record [`Event`]s; the journal prints each one as it is recorded, in the shape of
//! the Win32 console experiments, and hands the whole list to the scenario at the end as a
//! [`Record`]. Recording and printing happen under one lock, so the printed order is the
//! recorded order. A thread-local label names the wait the thread is in (see [`within`]), so
//! the APC callback can record *where* it ran.

use std::cell::RefCell;
use std::fmt;
use std::ops::Range;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use alertable::{Alertable, QueueApcError, ResumeError, SleepStatus, sleep_ex};

use super::say;
use super::verdict::Mismatch;

/// Something a thread did, as the journal prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    /// A worker's entry function began: `[<tid>] Thread has started`.
    Started,
    /// The APC callback ran: `[<tid>] APC callback has fired with param=<param>`.
    Apc {
        /// The parameter given to `queue_user_apc`.
        param: usize,
        /// The wait the thread was in when the callback ran ([`within`]); `None` outside any.
        during: Option<String>,
    },
    /// A `SleepEx` call returned: `SleepEx returned <returned>`.
    Slept {
        /// The call, spelled the Win32 way: `SleepEx(100, FALSE)`.
        call: String,
        /// What it returned, as Win32 numbers it: 0 or 192.
        returned: u32,
    },
    /// A remark: `[<tid>] <text>`.
    Note(String),
}

/// An [`Event`] and the thread it happened on.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The OS thread id of the thread that recorded it.
    pub(crate) tid: u64,
    /// What happened.
    pub(crate) event: Event,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tid = self.tid;
        match &self.event {
            Event::Started => write!(f, "[{tid}] Thread has started"),
            Event::Apc { param, .. } => {
                write!(f, "[{tid}] APC callback has fired with param={param}")
            }
            // The experiments' own call prints the way they print it; other calls name
            // themselves, so that a 0 is not mistaken for the end of that wait.
            Event::Slept { call, returned } if call == INFINITE_ALERTABLE => {
                write!(f, "SleepEx returned {returned}")
            }
            Event::Slept { call, returned } => write!(f, "[{tid}] {call} returned {returned}"),
            Event::Note(text) => write!(f, "[{tid}] {text}"),
        }
    }
}

/// The journal proper, behind [`JOURNAL`].
struct Journal {
    /// Everything recorded so far, in order.
    entries: Vec<Entry>,
    /// When set, a run of consecutive APC lines longer than `head + tail` prints only its
    /// first `head` and last `tail` lines, with a count of the rest.
    elide: Option<(usize, usize)>,
    /// Where the current run of consecutive [`Event::Apc`] entries began.
    run_start: usize,
}

/// The journal of the scenario that is running; scenarios run one at a time.
static JOURNAL: Mutex<Journal> = Mutex::new(Journal {
    entries: Vec::new(),
    elide: None,
    run_start: 0,
});

thread_local! {
    /// The wait this thread is in, as named by [`within`].
    static WAIT: RefCell<Option<String>> = const { RefCell::new(None) };
}

impl Journal {
    /// Locks the journal.
    fn lock() -> MutexGuard<'static, Journal> {
        // A panic while printing leaves nothing half-updated that matters here.
        JOURNAL.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `entry` and prints it, unless it falls in the elided middle of a run of
    /// APC lines.
    fn push(&mut self, entry: Entry) {
        let is_apc = matches!(entry.event, Event::Apc { .. });
        if !is_apc {
            self.end_run();
        }
        let shown = match self.elide {
            Some((head, _)) if is_apc => self.entries.len() - self.run_start < head,
            _ => true,
        };
        if shown {
            say(&entry.to_string());
        }
        self.entries.push(entry);
        if !is_apc {
            self.run_start = self.entries.len();
        }
    }

    /// Prints what was held back of the current run of APC lines, and ends the run.
    fn end_run(&mut self) {
        if let Some((head, tail)) = self.elide {
            let run = &self.entries[self.run_start..];
            let hidden = run.len().saturating_sub(head);
            let tail = tail.min(hidden);
            if hidden > tail {
                say(&format!("    ... ({} more) ...", hidden - tail));
            }
            for entry in &run[run.len() - tail..] {
                say(&entry.to_string());
            }
        }
        self.run_start = self.entries.len();
    }
}

/// Starts a fresh journal for the next scenario.
pub(crate) fn reset() {
    let mut journal = Journal::lock();
    journal.entries.clear();
    journal.elide = None;
    journal.run_start = 0;
}

/// From now on, prints only the first `head` and last `tail` lines of each run of
/// consecutive APC lines (all are still recorded).
pub(crate) fn elide_apc_runs(head: usize, tail: usize) {
    let mut journal = Journal::lock();
    journal.end_run();
    journal.elide = Some((head, tail));
}

/// Records `event` as done by the calling thread, and prints it.
pub(crate) fn record(event: Event) {
    let tid = alertable::current().id();
    Journal::lock().push(Entry { tid, event });
}

/// Records a remark by the calling thread.
pub(crate) fn note(text: impl Into<String>) {
    record(Event::Note(text.into()));
}

/// Runs `act` with the journal locked, then records the remark it returns: whatever `act`
/// sets off on other threads is printed after that remark. `act` must not record anything
/// itself.
pub(crate) fn act<R>(act: impl FnOnce() -> (R, String)) -> R {
    let tid = alertable::current().id();
    let mut journal = Journal::lock();
    let (result, text) = act();
    journal.push(Entry {
        tid,
        event: Event::Note(text),
    });
    result
}

/// Ends the scenario's journal: prints anything held back and returns what was recorded.
pub(crate) fn take() -> Record {
    let mut journal = Journal::lock();
    journal.end_run();
    journal.run_start = 0;
    Record {
        entries: std::mem::take(&mut journal.entries),
    }
}

/// The APC callback of the tour, in the shape `queue_user_apc` takes: records
/// [`Event::Apc`] with the thread it runs on and the wait it runs in.
pub(crate) fn apc_callback(param: usize) {
    let during = WAIT.with_borrow(Clone::clone);
    record(Event::Apc { param, during });
}

/// Runs `wait` labelled as `label`: an APC that runs meanwhile records that it ran there.
pub(crate) fn within<R>(label: &str, wait: impl FnOnce() -> R) -> R {
    let outer = WAIT.replace(Some(label.to_owned()));
    let result = wait();
    WAIT.set(outer);
    result
}

/// `SleepEx(INFINITE, TRUE)`, the call the experiments are built around.
pub(crate) const INFINITE_ALERTABLE: &str = "SleepEx(INFINITE, TRUE)";

/// Spells a `sleep_ex` call the Win32 way, as `SleepEx(100, FALSE)`.
pub(crate) fn sleep_call(timeout: Option<Duration>, alertable: Alertable) -> String {
    let millis = timeout.map_or_else(|| "INFINITE".to_owned(), |t| t.as_millis().to_string());
    let flag = match alertable {
        Alertable::Yes => "TRUE",
        Alertable::No => "FALSE",
    };
    format!("SleepEx({millis}, {flag})")
}

/// Calls `sleep_ex` as labelled by [`sleep_call`], and records what it returned.
pub(crate) fn sleep(timeout: Option<Duration>, alertable: Alertable) -> SleepStatus {
    let call = sleep_call(timeout, alertable);
    let status = within(&call, || sleep_ex(timeout, alertable));
    record(Event::Slept {
        call,
        returned: status.as_win32(),
    });
    status
}

/// What `QueueUserAPC` would have returned: `TRUE`, or `FALSE` and the error code.
pub(crate) fn show_queued(result: &Result<(), QueueApcError>) -> String {
    match result {
        Ok(()) => "TRUE".to_owned(),
        Err(error) => format!("FALSE (error {})", error.win32_error()),
    }
}

/// What `SuspendThread` or `ResumeThread` would have returned: the previous suspend count,
/// or -1 and the error code.
pub(crate) fn show_count(result: &Result<u32, ResumeError>) -> String {
    match result {
        Ok(count) => count.to_string(),
        Err(error) => format!("-1 (error {})", error.win32_error()),
    }
}

/// Queues `apc_callback(param)` to `thread` and notes the call and its result as the main
/// thread's; the APC's own line, should it run at once, comes after the note.
pub(crate) fn queue(thread: &alertable::ThreadHandle, param: usize) -> Result<(), Mismatch> {
    act(|| {
        let result = alertable::queue_user_apc(thread, apc_callback, param);
        let text = format!(
            "main: QueueUserAPC(param={param}) -> {}",
            show_queued(&result)
        );
        (result, text)
    })
    .map_err(Mismatch::queue)
}

/// Where an APC ran, in words.
pub(crate) fn place(during: Option<&str>) -> String {
    during.map_or_else(
        || "outside any wait".to_owned(),
        |wait| format!("inside {wait}"),
    )
}

/// One run of the APC callback, as recorded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ApcRun<'a> {
    /// Its position in the record.
    pub(crate) at: usize,
    /// The thread it ran on.
    pub(crate) tid: u64,
    /// Its parameter.
    pub(crate) param: usize,
    /// The wait it ran in, if any.
    pub(crate) during: Option<&'a str>,
}

/// Everything a scenario's threads recorded, in order.
#[derive(Debug, Default)]
pub(crate) struct Record {
    /// Everything recorded so far, in order.
    entries: Vec<Entry>,
}

impl Record {
    /// Every run of the APC callback, in order.
    pub(crate) fn apcs(&self) -> Vec<ApcRun<'_>> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(at, entry)| match &entry.event {
                Event::Apc { param, during } => Some(ApcRun {
                    at,
                    tid: entry.tid,
                    param: *param,
                    during: during.as_deref(),
                }),
                _ => None,
            })
            .collect()
    }

    /// Where thread `tid` first recorded `event`.
    pub(crate) fn position(&self, tid: u64, event: &Event) -> Option<usize> {
        self.entries
            .iter()
            .position(|entry| entry.tid == tid && entry.event == *event)
    }

    /// What the `SleepEx` calls of thread `tid` returned, in order.
    pub(crate) fn sleeps(&self, tid: u64) -> Vec<(&str, u32)> {
        self.entries
            .iter()
            .filter(|entry| entry.tid == tid)
            .filter_map(|entry| match &entry.event {
                Event::Slept { call, returned } => Some((call.as_str(), *returned)),
                _ => None,
            })
            .collect()
    }

    /// Checks that the APC callback ran exactly for `params`, in that order, every time on
    /// thread `tid`, and every time in the wait `during` (`None`: outside any wait).
    pub(crate) fn check_apcs(
        &self,
        tid: u64,
        params: Range<usize>,
        during: Option<&str>,
    ) -> Result<(), Mismatch> {
        let runs = self.apcs();
        if runs.len() != params.len() {
            return Err(Mismatch(format!(
                "the APC callback ran {} times, expected {}",
                runs.len(),
                params.len()
            )));
        }
        for (run, expected) in runs.iter().zip(params) {
            if run.param != expected {
                return Err(Mismatch(format!(
                    "APCs ran out of order: param={} ran where param={expected} was due",
                    run.param
                )));
            }
            if run.tid != tid {
                return Err(Mismatch(format!(
                    "the APC with param={} ran on thread {}, not on the worker {tid}",
                    run.param, run.tid
                )));
            }
            if run.during != during {
                return Err(Mismatch(format!(
                    "the APC with param={} ran {}, expected {}",
                    run.param,
                    place(run.during),
                    place(during)
                )));
            }
        }
        Ok(())
    }
}

/// A snapshot of what thread `tid` has recorded so far in this scenario.
pub(crate) fn count_so_far(tid: u64) -> usize {
    Journal::lock()
        .entries
        .iter()
        .filter(|entry| entry.tid == tid)
        .count()
}
