//! `FILETIME` values: 100-nanosecond intervals since 1601-01-01 UTC, converted to and from
//! the wall clock (for `GetSystemTimeAsFileTime`, the timers' due times and fire times, and
//! `timezoneapi`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 100-nanosecond intervals from 1601-01-01 (the `FILETIME` epoch) to 1970-01-01.
const UNIX_EPOCH_AS_FILETIME: u64 = 116_444_736_000_000_000;

/// A wall-clock time as a `FILETIME` value (100 ns units since 1601-01-01 UTC).
pub(crate) fn filetime_from_system_time(time: SystemTime) -> u64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => UNIX_EPOCH_AS_FILETIME.saturating_add(ticks(after)),
        Err(before) => UNIX_EPOCH_AS_FILETIME.saturating_sub(ticks(before.duration())),
    }
}

/// A `FILETIME` value as a wall-clock time.
pub(crate) fn system_time_from_filetime(filetime: u64) -> SystemTime {
    let to_time = |t: u64| Duration::from_nanos(t.saturating_mul(100));
    if filetime >= UNIX_EPOCH_AS_FILETIME {
        UNIX_EPOCH
            .checked_add(to_time(filetime - UNIX_EPOCH_AS_FILETIME))
            .unwrap_or(UNIX_EPOCH)
    } else {
        UNIX_EPOCH
            .checked_sub(to_time(UNIX_EPOCH_AS_FILETIME - filetime))
            .unwrap_or(UNIX_EPOCH)
    }
}

fn ticks(d: Duration) -> u64 {
    u64::try_from(d.as_nanos() / 100).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetime_round_trips_and_knows_its_epoch() {
        assert_eq!(
            filetime_from_system_time(UNIX_EPOCH),
            UNIX_EPOCH_AS_FILETIME
        );
        let t = UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456);
        assert_eq!(system_time_from_filetime(filetime_from_system_time(t)), t);
        let before = UNIX_EPOCH - Duration::from_secs(86_400);
        assert_eq!(
            system_time_from_filetime(filetime_from_system_time(before)),
            before
        );
    }
}
