//! The spin probe: which regime the machine is in right now.
//!
//! Two threads hand a token back and forth by spinning on one atomic word, never sleeping.
//! When both run at once on CPUs of their own, a round trip costs a fraction of a
//! microsecond, and a wait that spins before it sleeps catches most hand-offs
//! (**parallel**). When they do not — more runnable threads than CPUs, or virtual CPUs the
//! host does not run at the same time — a spinning thread only waits for its partner to be
//! scheduled, tens of microseconds or a time slice, and spinning costs more than sleeping
//! at once (**shared**). Ratios of contenders that spin against those that do not flip with
//! the regime, so each group reports the one it ran in.

use std::fmt;
use std::hint;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;

/// The most round trips a probe makes.
const TRIPS: u64 = 2_000;
/// The most time a probe takes (the shared regime makes round trips of milliseconds).
const BUDGET: Duration = Duration::from_millis(20);
/// A median round trip at or under this is the parallel regime: a spin pays.
const PARALLEL_BOUND: Duration = Duration::from_micros(2);

/// Whether spinning hand-offs pay on this machine now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Regime {
    /// Two threads run at once: a spinning hand-off takes well under a microsecond.
    Parallel,
    /// Two threads do not run at once: a spinning hand-off waits for a reschedule.
    Shared,
}

/// What one probe measured.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct SpinProbe {
    /// Median round trip, in nanoseconds.
    pub(crate) median_ns: u64,
    /// 90th percentile round trip, in nanoseconds.
    pub(crate) p90_ns: u64,
    /// Round trips measured.
    pub(crate) trips: u64,
    pub(crate) regime: Regime,
}

impl fmt::Display for SpinProbe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let regime = match self.regime {
            Regime::Parallel => "parallel (spinning pays)",
            Regime::Shared => "shared (spinning costs)",
        };
        write!(
            f,
            "spin probe: {} round trips, median {:.2} µs, p90 {:.2} µs → {regime}",
            self.trips,
            self.median_ns as f64 / 1000.0,
            self.p90_ns as f64 / 1000.0
        )
    }
}

/// Runs the probe: up to `TRIPS` spinning round trips between this thread and a helper,
/// or `BUDGET`, whichever ends first.
pub(crate) fn run() -> SpinProbe {
    // Even: this thread's turn; odd: the helper's. `u64::MAX`: stop.
    let turn = Arc::new(AtomicU64::new(0));
    let helper = {
        let turn = turn.clone();
        thread::spawn(move || {
            let mut expect = 1;
            loop {
                let now = turn.load(Ordering::Acquire);
                if now == u64::MAX {
                    return;
                }
                if now == expect {
                    turn.store(expect + 1, Ordering::Release);
                    expect += 2;
                } else {
                    hint::spin_loop();
                }
            }
        })
    };
    let started = Instant::now();
    let mut samples = Vec::with_capacity(TRIPS as usize);
    let mut next = 0;
    while samples.len() < TRIPS as usize && started.elapsed() < BUDGET {
        let sent = Instant::now();
        turn.store(next + 1, Ordering::Release);
        while turn.load(Ordering::Acquire) != next + 2 {
            hint::spin_loop();
        }
        samples.push(sent.elapsed().as_nanos() as u64);
        next += 2;
    }
    turn.store(u64::MAX, Ordering::Release);
    helper.join().expect("the probe's helper thread");
    samples.sort_unstable();
    let at = |q: usize| samples[(samples.len() - 1) * q / 100];
    let median_ns = at(50);
    SpinProbe {
        median_ns,
        p90_ns: at(90),
        trips: samples.len() as u64,
        regime: if median_ns <= PARALLEL_BOUND.as_nanos() as u64 {
            Regime::Parallel
        } else {
            Regime::Shared
        },
    }
}
