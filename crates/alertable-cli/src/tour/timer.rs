//! `timer`: a waitable timer with a completion routine. The timer is signaled when it
//! fires, whatever its thread is doing; the routine is an APC to the thread that set the
//! timer and waits for that thread's next alertable wait (M140, B19).

use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use alertable::{Alertable, DueTime, SleepStatus, TimerReset, WaitStatus, WaitableTimer, wait_one};

use super::Scenario;
use super::journal::{self, Event, INFINITE_ALERTABLE};
use super::verdict::{Mismatch, Outcome, ensure, finish};

/// The scenario's entry in the tour.
pub(super) const SCENARIO: Scenario = Scenario {
    name: "timer",
    summary: "a timer signals a non-alertable wait (0); its routine runs in the next alertable one (192)",
    spec: "M137, M140, B19",
    description: "A worker creates a manual-reset waitable timer and arms it with \
        SetWaitableTimer for 100 ms from now (a negative, relative due time), with the \
        completion routine TimerAPCProc and lpArgToCompletionRoutine=42. It then waits on \
        the timer itself with WaitForSingleObject(hTimer, INFINITE), which is not \
        alertable. On Windows the timer object is signaled when it fires, independently of \
        the routine: the wait returns 0 (WAIT_OBJECT_0) and the routine has not run. The \
        routine is a user APC queued to the thread that called SetWaitableTimer, so it runs \
        there, in the worker's next alertable wait, SleepEx(INFINITE, TRUE), which then \
        returns 192 (WAIT_IO_COMPLETION). Its dwTimerLowValue and dwTimerHighValue are the \
        two halves of the UTC FILETIME at which the timer fired.",
    run,
};

/// The routine's argument, `lpArgToCompletionRoutine`.
const PARAM: usize = 42;

/// The due time, relative.
const DUE: Duration = Duration::from_millis(100);

/// The worker's wait on the timer object, which is not alertable.
const TIMER_WAIT: &str = "WaitForSingleObject(hTimer, INFINITE)";

/// What the worker saw.
struct Seen {
    /// When it called `SetWaitableTimer`, on the wall clock.
    set_at: SystemTime,
    /// What its wait on the timer returned, and how long after setting it.
    waited: Result<WaitStatus, alertable::WaitError>,
    waited_for: Duration,
    /// When that wait returned, on the wall clock.
    wait_returned: SystemTime,
    /// Whether the routine had run by then.
    ran_before: bool,
    /// What the alertable sleep returned.
    slept: SleepStatus,
    /// The fire time the routine was given, if it ran.
    fired: Option<SystemTime>,
}

/// Runs the scenario: the worker sets the timer, waits on it, then sleeps alertably.
fn run() -> Outcome {
    let worker = alertable::spawn(|| {
        journal::record(Event::Started);
        let timer = WaitableTimer::new(TimerReset::Manual);
        journal::note("CreateWaitableTimer(NULL, TRUE, NULL) -> hTimer");
        let (report, fired) = mpsc::channel();
        let set_at = SystemTime::now();
        let armed = Instant::now();
        timer.set_with_routine(DueTime::After(DUE), None, move |at| {
            journal::apc_callback(PARAM);
            journal::note(format!("TimerAPCProc: {}", describe(at)));
            let _ = report.send(at);
        });
        journal::note(format!(
            "SetWaitableTimer(hTimer, -{} ({} ms from now), 0, TimerAPCProc, {PARAM}, FALSE) \
             -> TRUE",
            DUE.as_nanos() / 100,
            DUE.as_millis()
        ));
        let waited = journal::within(TIMER_WAIT, || wait_one(&timer, None, Alertable::No));
        let waited_for = armed.elapsed();
        let wait_returned = SystemTime::now();
        let ran_before = fired.try_recv().is_ok();
        journal::note(format!(
            "{TIMER_WAIT} returned {} after {} ms; TimerAPCProc has {}",
            waited.map_or_else(|e| format!("an error ({e})"), |s| s.as_win32().to_string()),
            waited_for.as_millis(),
            if ran_before { "already run" } else { "not run" }
        ));
        let slept = journal::sleep(None, Alertable::Yes);
        Seen {
            set_at,
            waited,
            waited_for,
            wait_returned,
            ran_before,
            slept,
            fired: fired.try_recv().ok(),
        }
    })
    .map_err(Mismatch::spawn)?;
    let tid = worker.thread().id();
    let seen = finish(worker)?;

    let record = journal::take();
    ensure(seen.waited == Ok(WaitStatus::Signaled(0)), || {
        format!(
            "{TIMER_WAIT} on the timer returned {:?}, not 0 (WAIT_OBJECT_0)",
            seen.waited
        )
    })?;
    ensure(seen.waited_for >= DUE, || {
        format!(
            "the timer fired {:?} after SetWaitableTimer, before its {} ms were up",
            seen.waited_for,
            DUE.as_millis()
        )
    })?;
    ensure(!seen.ran_before, || {
        format!("TimerAPCProc ran during {TIMER_WAIT}, which is not alertable")
    })?;
    // Once, on the worker (the thread that set the timer), inside the alertable sleep.
    record.check_apcs(tid, PARAM..PARAM + 1, Some(INFINITE_ALERTABLE))?;
    ensure(seen.slept == SleepStatus::Alerted, || {
        format!(
            "{INFINITE_ALERTABLE} returned {}, not 192 (WAIT_IO_COMPLETION)",
            seen.slept.as_win32()
        )
    })?;
    let fired = seen
        .fired
        .ok_or_else(|| Mismatch::new("TimerAPCProc did not report its fire time"))?;
    // The wall clock may be stepped meanwhile: allow a second either way.
    let slack = Duration::from_secs(1);
    ensure(
        fired >= seen.set_at - slack && fired <= seen.wait_returned + slack,
        || {
            format!(
                "TimerAPCProc was given {}, not between SetWaitableTimer ({}) and the end of \
                 the wait on the timer ({})",
                describe(fired),
                utc(seen.set_at),
                utc(seen.wait_returned)
            )
        },
    )?;
    Ok(format!(
        "the timer fired during {TIMER_WAIT}, which returned 0 with TimerAPCProc not run; \
         the routine ran on the worker, the thread that set the timer, inside \
         {INFINITE_ALERTABLE}, which returned {}, and was given the fire time {}",
        seen.slept.as_win32(),
        utc(fired)
    ))
}

/// 100-nanosecond intervals from 1601-01-01 (the FILETIME epoch) to 1970-01-01.
const UNIX_EPOCH_AS_FILETIME: u64 = 116_444_736_000_000_000;

/// `time` as a FILETIME: 100-nanosecond intervals since 1601-01-01 UTC.
fn filetime(time: SystemTime) -> u64 {
    let ticks = |d: Duration| u64::try_from(d.as_nanos() / 100).unwrap_or(u64::MAX);
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => UNIX_EPOCH_AS_FILETIME.saturating_add(ticks(after)),
        Err(before) => UNIX_EPOCH_AS_FILETIME.saturating_sub(ticks(before.duration())),
    }
}

/// The routine's view of a fire time: the two halves Win32 passes, and the time they
/// spell.
fn describe(time: SystemTime) -> String {
    let ft = filetime(time);
    // The halves of a 64-bit FILETIME, as Win32 splits it.
    let (low, high) = (ft as u32, (ft >> 32) as u32);
    format!(
        "dwTimerLowValue=0x{low:08X}, dwTimerHighValue=0x{high:08X} (fired at {})",
        utc(time)
    )
}

/// `time` as a readable UTC time, to the FILETIME's 100 ns: `2025-06-01 12:34:56.7890123 UTC`.
fn utc(time: SystemTime) -> String {
    let ft = filetime(time);
    let seconds = ft / 10_000_000;
    let ticks = ft % 10_000_000;
    // Days since 1601-01-01, shifted to days since 1970-01-01.
    let days = i64::try_from(seconds / 86_400).unwrap_or(i64::MAX) - 134_774;
    let of_day = seconds % 86_400;
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{ticks:07} UTC",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date `days` days after 1970-01-01.
fn civil_date(days: i64) -> (i64, u32, u32) {
    // Counted from 0000-03-01, in 400-year eras, so that leap days end each year.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both are small and positive by construction.
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetime_halves_of_known_times() {
        let epoch = SystemTime::UNIX_EPOCH;
        assert_eq!(filetime(epoch), UNIX_EPOCH_AS_FILETIME);
        assert_eq!(
            describe(epoch),
            "dwTimerLowValue=0xD53E8000, dwTimerHighValue=0x019DB1DE \
             (fired at 1970-01-01 00:00:00.0000000 UTC)"
        );
        let tick = epoch + Duration::from_nanos(100);
        assert_eq!(filetime(tick), UNIX_EPOCH_AS_FILETIME + 1);
        // The FILETIME epoch itself.
        let start = epoch - Duration::from_secs(11_644_473_600);
        assert_eq!(filetime(start), 0);
        assert_eq!(utc(start), "1601-01-01 00:00:00.0000000 UTC");
    }

    #[test]
    fn utc_spells_dates_and_times() {
        let at = |secs: u64, nanos: u32| utc(SystemTime::UNIX_EPOCH + Duration::new(secs, nanos));
        assert_eq!(at(951_782_400, 0), "2000-02-29 00:00:00.0000000 UTC");
        assert_eq!(at(951_868_800, 0), "2000-03-01 00:00:00.0000000 UTC");
        assert_eq!(
            at(1_709_251_199, 999_999_999),
            "2024-02-29 23:59:59.9999999 UTC"
        );
        assert_eq!(at(4_107_542_400, 0), "2100-03-01 00:00:00.0000000 UTC");
        assert_eq!(
            at(1_234_567_890, 123_456_789),
            "2009-02-13 23:31:30.1234567 UTC"
        );
    }
}
