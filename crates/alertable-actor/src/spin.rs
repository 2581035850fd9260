//! Bounded spinning before a thread goes to sleep.
//!
//! On the virtual machines this crate is measured on, waking a thread that sleeps in the
//! kernel costs tens of microseconds, while a hand-off between two running threads costs
//! well under one. A waiting thread therefore watches for its condition for a while first
//! — a while measured in time, not in iterations, because the cost of a `pause`
//! instruction varies tenfold between CPUs. The bound must outlast a wake-up, or one
//! sleep begets the next: the thread that was slow to wake makes its partner give up
//! spinning too, and a ping-pong settles into paying two wake-ups per round. The spin
//! yields the CPU between rounds of checks, for the case where the awaited thread is
//! waiting for this very CPU: measured in a request–reply ping-pong on a busy machine,
//! yielding every two microseconds instead took 5.6 µs per round trip, yielding every
//! round 2.3 µs.

use std::hint;
use std::time::{Duration, Instant};

/// The longest spin: about the cost of one wake-up of a sleeping thread here.
pub(crate) const MAX_SPIN: Duration = Duration::from_micros(20);
/// The shortest spin an adaptive budget shrinks to.
const MIN_SPIN: Duration = Duration::from_micros(1);

/// Checks `ready` until it holds or `budget` has passed; returns whether it holds.
///
/// Between rounds of checks it yields the CPU: when the thread it waits for shares this
/// CPU (the machine is busier than it has cores), spinning would only keep that thread
/// from running, and when it does not, a yield with nothing else to run returns at once.
#[inline]
pub(crate) fn spin_until(budget: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        for _ in 0..32 {
            if ready() {
                return true;
            }
            hint::spin_loop();
        }
        if start.elapsed() >= budget {
            return ready();
        }
        std::thread::yield_now();
    }
}

/// A spin budget that grows while spinning pays off and shrinks while it does not, so a
/// thread that is woken at long intervals wastes little CPU before each sleep.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Adaptive {
    budget: Duration,
}

impl Adaptive {
    pub(crate) fn new() -> Self {
        Self { budget: MAX_SPIN }
    }

    /// Spins for the current budget, and adapts it to the outcome.
    #[inline]
    pub(crate) fn spin_until(&mut self, ready: impl FnMut() -> bool) -> bool {
        let found = spin_until(self.budget, ready);
        self.budget = if found {
            (self.budget * 2).min(MAX_SPIN)
        } else {
            (self.budget / 2).max(MIN_SPIN)
        };
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_up_after_the_budget_and_adapts() {
        let started = Instant::now();
        assert!(!spin_until(Duration::from_micros(50), || false));
        assert!(started.elapsed() >= Duration::from_micros(50));
        assert!(spin_until(Duration::ZERO, || true));

        let mut adaptive = Adaptive::new();
        assert!(!adaptive.spin_until(|| false));
        assert_eq!(adaptive.budget, MAX_SPIN / 2);
        for _ in 0..10 {
            adaptive.spin_until(|| false);
        }
        assert_eq!(adaptive.budget, MIN_SPIN);
        assert!(adaptive.spin_until(|| true));
        assert_eq!(adaptive.budget, MIN_SPIN * 2);
    }
}
