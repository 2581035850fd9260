//! `timers`: waitable timers, served by the process's timer service thread.
//!
//! Three tables. First, how late the completion routine of a 1 ms periodic timer is called,
//! on a thread that loops in `sleep_ex(None, Alertable::Yes)`: by the fire time the routine
//! is given, and by the clock read in the routine, each against the ideal schedule (arm
//! time + k × 1 ms). Second, the cost of arming and of cancelling many timers, with the
//! service's count of armed timers before and after. Third, how late a one-shot relative
//! 1 ms timer waited on with `wait_one` returns, against `std::thread::sleep(1 ms)`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use alertable::{
    Alertable, DueTime, TimerReset, WaitStatus, WaitableTimer, armed_timers, sleep_ex, wait_one,
};

use super::idle::DISCARDED_SAMPLES;
use super::report::{GroupReport, Kind, Table};
use super::throughput::thousands;
use super::{Progress, Settings};

/// The period of the periodic timer, and the due time of the one-shot timers.
const PERIOD: Duration = Duration::from_millis(1);

thread_local! {
    /// Each routine call of the periodic timer: the fire time it was given, and when it
    /// ran. The routine runs on the thread that set the timer, so a thread-local is enough.
    static CALLS: RefCell<Vec<(SystemTime, Instant)>> = const { RefCell::new(Vec::new()) };
}

/// What one run of the periodic timer recorded.
struct Periodic {
    arm_wall: SystemTime,
    arm_mono: Instant,
    calls: Vec<(SystemTime, Instant)>,
}

/// Arms a periodic timer with a routine on a fresh thread, which then loops in
/// `sleep_ex(None, Alertable::Yes)` until a call fired at or after period `periods`.
fn run_periodic(periods: usize) -> Periodic {
    alertable::spawn(move || {
        CALLS.with_borrow_mut(|c| c.reserve(periods + 64));
        let periods_u32 = u32::try_from(periods).expect("a sane number of periods");
        let timer = WaitableTimer::new(TimerReset::Synchronization);
        let arm_wall = SystemTime::now();
        let arm_mono = Instant::now();
        timer.set_with_routine(DueTime::After(PERIOD), Some(PERIOD), |fired| {
            CALLS.with_borrow_mut(|c| c.push((fired, Instant::now())));
        });
        let last = arm_wall + PERIOD * periods_u32;
        let give_up = arm_mono + PERIOD * periods_u32 + Duration::from_secs(10);
        loop {
            let left = give_up.saturating_duration_since(Instant::now());
            sleep_ex(Some(left), Alertable::Yes);
            let done = CALLS.with_borrow(|c| c.last().is_some_and(|(fired, _)| *fired >= last));
            assert!(
                done || Instant::now() < give_up,
                "the periodic timer stopped calling its routine"
            );
            if done {
                break;
            }
        }
        timer.cancel();
        Periodic {
            arm_wall,
            arm_mono,
            calls: CALLS.take(),
        }
    })
    .expect("spawn the timer thread")
    .join()
    .expect("the timer thread")
}

/// The lateness of each call of periods `1..=periods`, in µs: by the fire time given to
/// the routine, and by the clock read in the routine; and how many periods had no call.
struct Lateness {
    fired: Vec<f64>,
    ran: Vec<f64>,
    gaps: usize,
}

/// Attributes each call to a period and measures its lateness.
///
/// A timer never fires early, so a call belongs to the last period whose ideal time is not
/// after its fire time: k = ⌊(fired − armed) / period⌋. A fire a whole period late would be
/// attributed to the next period instead (so its lateness by fire time is below one period
/// by construction); it cannot be told apart from a call that coalesced.
fn lateness(run: &Periodic, periods: usize) -> Lateness {
    let period_ns = PERIOD.as_nanos();
    let mut fired = Vec::with_capacity(periods);
    let mut ran = Vec::with_capacity(periods);
    for &(fire_wall, ran_mono) in &run.calls {
        let Ok(since) = fire_wall.duration_since(run.arm_wall) else {
            continue; // the wall clock was set back: no period to attribute it to
        };
        let k = since.as_nanos() / period_ns;
        if k == 0 || k > periods as u128 {
            continue;
        }
        let ideal_ns = k * period_ns;
        fired.push((since.as_nanos() - ideal_ns) as f64 / 1e3);
        let ideal = run.arm_mono + PERIOD * u32::try_from(k).expect("k ≤ periods");
        let ran_ns = match ran_mono.checked_duration_since(ideal) {
            Some(late) => late.as_nanos() as f64,
            None => -(ideal.duration_since(ran_mono).as_nanos() as f64),
        };
        ran.push(ran_ns / 1e3);
    }
    let gaps = periods - fired.len();
    Lateness { fired, ran, gaps }
}

fn periodic_table(s: &Settings, progress: &Progress) -> (Table, Vec<String>) {
    let periods = s.timer_periods;
    progress.run("periodic timer: warm-up", || run_periodic(20));
    let run = progress.run(
        format!("periodic timer: {} periods", thousands(periods)),
        || run_periodic(periods),
    );
    let Lateness { fired, ran, gaps } = lateness(&run, periods);
    let calls = fired.len();
    let mut table = Table::uncompared(
        format!(
            "a {} ms periodic timer with a routine, on a thread looping in \
             sleep_ex(None, Alertable::Yes); {} periods, one sample per routine call; \
             lateness against arm time + k × {} ms",
            PERIOD.as_millis(),
            thousands(periods),
            PERIOD.as_millis()
        ),
        Kind::Latency,
    );
    let extra = || {
        BTreeMap::from([
            ("periods", periods as f64),
            ("calls", calls as f64),
            ("gaps", gaps as f64),
        ])
    };
    table.push(
        "routine-fire-time",
        "fire time given to the routine (SystemTime)",
        fired,
        extra(),
    );
    table.push(
        "routine-run-time",
        "Instant::now() in the routine",
        ran,
        extra(),
    );
    let notes = vec![
        format!(
            "periodic timer: {} routine calls for {} periods; {gaps} periods without a call \
             (at most one call is undelivered at a time: a period that fires while the \
             previous call is still queued replaces its fire time, and shows here as a gap)",
            thousands(calls),
            thousands(periods)
        ),
        format!(
            "a call belongs to period k = ⌊(fire time − arm time) / {} ms⌋, so lateness by \
             fire time is below one period by construction (a fire a whole period late would \
             count as a gap); the routine's own clock has no such bound",
            PERIOD.as_millis()
        ),
    ];
    (table.finish(), notes)
}

/// Due times of the armed timers: an hour ahead plus a spread of up to an hour, so that
/// each one lands at its own place in the service's queue and none fires.
fn due_times(n: usize) -> Vec<Duration> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            // xorshift64: a fixed, cheap pseudo-random sequence.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            Duration::from_secs(3600) + Duration::from_micros(x % 3_600_000_000)
        })
        .collect()
}

/// One arm-and-cancel run: ns per `set`, ns per `cancel`, and `armed_timers()` before,
/// with every timer armed, and after.
fn arm_cancel(n: usize) -> (f64, f64, [usize; 3]) {
    let timers: Vec<WaitableTimer> = (0..n)
        .map(|_| WaitableTimer::new(TimerReset::Manual))
        .collect();
    let due = due_times(n);
    let before = armed_timers();
    let start = Instant::now();
    for (timer, &after) in timers.iter().zip(&due) {
        black_box(timer).set(DueTime::After(after), None);
    }
    let armed = start.elapsed();
    let during = armed_timers();
    let start = Instant::now();
    for timer in &timers {
        black_box(timer).cancel();
    }
    let cancelled = start.elapsed();
    let after = armed_timers();
    let per_op = |d: Duration| d.as_secs_f64() * 1e9 / n as f64;
    (per_op(armed), per_op(cancelled), [before, during, after])
}

fn arm_cancel_table(s: &Settings, progress: &Progress) -> (Table, Vec<String>) {
    let n = s.timer_arms;
    progress.run("arm and cancel: warm-up", || arm_cancel(n / 10));
    let mut arms = Vec::with_capacity(s.reps);
    let mut cancels = Vec::with_capacity(s.reps);
    let mut counts = Vec::with_capacity(s.reps);
    for rep in 1..=s.reps {
        let (arm, cancel, count) = progress.run(
            format!("arm and cancel {}: run {rep}/{}", thousands(n), s.reps),
            || arm_cancel(n),
        );
        arms.push(arm);
        cancels.push(cancel);
        counts.push(count);
    }
    let clean = counts.iter().all(|&[b, d, a]| d == b + n && a == b);
    let [before, during, after] = counts[counts.len() - 1];
    let extra = BTreeMap::from([
        ("armed_timers_before", before as f64),
        ("armed_timers_all_armed", during as f64),
        ("armed_timers_after", after as f64),
    ]);
    let mut table = Table::uncompared(
        format!(
            "{} timers armed one after the other (DueTime::After, 1–2 h ahead, spread over \
             the queue), then cancelled in the same order; {} runs",
            thousands(n),
            s.reps
        ),
        Kind::Time,
    );
    table.push(
        "ours-timer-set",
        "ours: WaitableTimer::set (arm)",
        arms,
        extra.clone(),
    );
    table.push(
        "ours-timer-cancel",
        "ours: WaitableTimer::cancel",
        cancels,
        extra,
    );
    let notes = vec![format!(
        "armed_timers(): {before} before, {during} with all {} armed, {after} after \
         cancelling (last run); {}",
        thousands(n),
        if clean {
            "every run went back to its starting count"
        } else {
            "MISMATCH: some run did not go back to its starting count"
        }
    )];
    (table.finish(), notes)
}

/// How late a one-shot 1 ms wait returned, in µs.
fn one_shot(timer: Option<&WaitableTimer>) -> f64 {
    let start = Instant::now();
    match timer {
        Some(timer) => {
            timer.set(DueTime::After(PERIOD), None);
            assert_eq!(
                wait_one(timer, None, Alertable::No),
                Ok(WaitStatus::Signaled(0))
            );
        }
        None => thread::sleep(PERIOD),
    }
    let elapsed = start.elapsed();
    (elapsed.as_secs_f64() - PERIOD.as_secs_f64()) * 1e6
}

fn one_shot_table(s: &Settings, progress: &Progress) -> Table {
    let timer = WaitableTimer::new(TimerReset::Synchronization);
    let contenders = [Some(&timer), None];
    let mut samples = vec![Vec::with_capacity(s.timer_one_shot_samples); contenders.len()];
    for i in 0..s.timer_one_shot_samples + DISCARDED_SAMPLES {
        progress.run(format!("one-shot sample {}", i + 1), || {
            for k in 0..contenders.len() {
                let which = (i + k) % contenders.len();
                let late = one_shot(contenders[which]);
                if i >= DISCARDED_SAMPLES {
                    samples[which].push(late);
                }
            }
        });
    }
    let mut table = Table::new(
        format!(
            "{} samples each: from just before arming (or sleeping) to the return, minus {} ms",
            s.timer_one_shot_samples,
            PERIOD.as_millis()
        ),
        Kind::Latency,
    );
    let [ours, std] = <[Vec<f64>; 2]>::try_from(samples).expect("two contenders");
    table.push(
        "ours-timer-wait-one",
        "ours: 1 ms one-shot timer + wait_one",
        ours,
        BTreeMap::new(),
    );
    table.push(
        "std-thread-sleep",
        "std::thread::sleep(1 ms)",
        std,
        BTreeMap::new(),
    );
    table.finish()
}

pub(crate) fn steps(s: &Settings) -> u64 {
    2 + (s.reps + 1) as u64 + (s.timer_one_shot_samples + DISCARDED_SAMPLES) as u64
}

/// `timers`.
pub(crate) fn run(s: &Settings, progress: &Progress) -> GroupReport {
    let (periodic, mut notes) = periodic_table(s, progress);
    let (arming, arming_notes) = arm_cancel_table(s, progress);
    notes.extend(arming_notes);
    let one_shot = one_shot_table(s, progress);
    notes.push(
        "one-shot: the timer is re-armed before each wait; lateness = time to return − 1 ms"
            .to_owned(),
    );
    GroupReport {
        name: "timers",
        description: "waitable timers: routine lateness, arm and cancel cost, one-shot lateness",
        tables: vec![periodic, arming, one_shot],
        notes,
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant, SystemTime};

    use super::{PERIOD, Periodic, due_times, lateness};

    #[test]
    fn calls_are_attributed_to_the_last_period_not_after_their_fire_time() {
        let arm_wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let arm_mono = Instant::now();
        let us = Duration::from_micros;
        // Periods 1 and 3 are called, 50 and 100 µs late, each run 10 µs after its fire
        // time; period 2 and 4 have no call; the call of period 5 is past the run.
        let call = |k: u32, late: Duration| {
            (
                arm_wall + PERIOD * k + late,
                arm_mono + PERIOD * k + late + us(10),
            )
        };
        let run = Periodic {
            arm_wall,
            arm_mono,
            calls: vec![call(1, us(50)), call(3, us(100)), call(5, us(0))],
        };
        let l = lateness(&run, 4);
        assert_eq!(l.fired, [50.0, 100.0]);
        assert_eq!(l.ran, [60.0, 110.0]);
        assert_eq!(l.gaps, 2);
    }

    #[test]
    fn due_times_spread_over_the_second_hour() {
        let due = due_times(1_000);
        assert!(due.iter().all(|d| (3_600..7_200).contains(&d.as_secs())));
        let mut sorted = due.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), due.len(), "distinct due times");
        assert_ne!(sorted, due, "not in arming order");
    }
}
