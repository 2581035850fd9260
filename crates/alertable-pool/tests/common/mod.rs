//! Fixtures shared by the pool's tests.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use alertable::{Alertable, Event, EventReset, WaitStatus};

/// A hang guard: long enough never to expire in a passing run.
pub(crate) const LONG: Duration = Duration::from_secs(60);

/// A manual-reset event, not set.
pub(crate) fn event() -> Event {
    Event::new(EventReset::Manual, false)
}

/// Waits for `event` (in one of the library's waits, so a pool thread that does this
/// counts as blocked); panics after [`LONG`].
pub(crate) fn wait(event: &Event) {
    assert_eq!(
        alertable::wait_one(event, Some(LONG), Alertable::No),
        Ok(WaitStatus::Signaled(0)),
        "hang guard"
    );
}

/// Polls `condition` until it holds; panics after [`LONG`]. For states that no event
/// announces (a thread retiring).
pub(crate) fn eventually(mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + LONG;
    while !condition() {
        assert!(Instant::now() < deadline, "hang guard");
        std::thread::sleep(Duration::from_millis(1));
    }
}
