//! The `mutexes` workload: mutexes whose owner exits holding them.
//!
//! An owner thread acquires a mutex one to three times (recursion, G69), sometimes releases
//! it fully, and exits; sometimes a second thread waits for the mutex meanwhile (blocked
//! in it, or not yet, as the scheduler has it), in a `wait_any` where the mutex is the
//! second object. Whoever acquires it next must see
//! `Abandoned` if the owner exited holding it and `Signaled` otherwise (G72–G74); after
//! that the mutex works as usual: the new owner releases it, a second release fails with
//! `NotOwner` (G68), and a fresh wait acquires it as `Signaled`.

use std::sync::Arc;

use alertable::{Alertable, Event, EventReset, Mutex, SyncError, WaitStatus, Waitable};

use super::{PATIENCE, Soak};

const WORKLOAD: &str = "mutexes";

pub(super) fn run(soak: &Arc<Soak>) {
    let abandoned = soak.headline(WORKLOAD, "abandoned");
    let released = soak.counter(WORKLOAD, "released before exit");
    let mut rng = soak.rng(WORKLOAD, 0);
    while soak.running() {
        let mutex = Mutex::new(false);
        let depth = rng.between(1, 3);
        let release_all = rng.percent(25);
        let held = Event::new(EventReset::Manual, false);
        let owner = {
            let (mutex, soak2, held) = (mutex.clone(), Arc::clone(soak), held.clone());
            super::spawn(soak, WORKLOAD, move || {
                for _ in 0..depth {
                    let status = alertable::wait_one(&mutex, Some(PATIENCE), Alertable::No);
                    if status != Ok(WaitStatus::Signaled(0)) {
                        soak2.violation(
                            WORKLOAD,
                            format_args!("a free or owned mutex's owner got {status:?} (G69)"),
                        );
                    }
                }
                held.set();
                if release_all {
                    for _ in 0..depth {
                        if let Err(error) = mutex.release() {
                            soak2.violation(
                                WORKLOAD,
                                format_args!("the owner's release failed: {error:?}"),
                            );
                        }
                    }
                }
            })
        };
        // The owner holds it before anyone else waits.
        if alertable::wait_one(&held, Some(PATIENCE), Alertable::No) != Ok(WaitStatus::Signaled(0))
        {
            soak.violation(WORKLOAD, "the owner never acquired a free mutex");
        }
        let blocked = rng.percent(50);
        let next = {
            let (mutex, soak2) = (mutex.clone(), Arc::clone(soak));
            let never = Event::new(EventReset::Manual, false);
            blocked.then(|| {
                super::spawn(soak, WORKLOAD, move || {
                    let objects: [&dyn Waitable; 2] = [&never, &mutex];
                    let status = alertable::wait_any(&objects, Some(PATIENCE), Alertable::No);
                    let acquired = matches!(
                        status,
                        Ok(WaitStatus::Signaled(1) | WaitStatus::Abandoned(1))
                    );
                    if acquired {
                        settle(&soak2, &mutex);
                    }
                    status.map(|s| s.as_win32()).unwrap_or(u32::MAX)
                })
            })
        };
        if super::join(soak, WORKLOAD, "a mutex owner", owner).is_none() {
            continue;
        }
        let (status, index) = match next {
            Some(waiter) => match super::join(soak, WORKLOAD, "a mutex waiter", waiter) {
                Some(Some(code)) => (code, 1),
                _ => continue,
            },
            None => {
                let status = alertable::wait_one(&mutex, Some(PATIENCE), Alertable::No);
                if matches!(
                    status,
                    Ok(WaitStatus::Signaled(0) | WaitStatus::Abandoned(0))
                ) {
                    settle(soak, &mutex);
                }
                (status.map(|s| s.as_win32()).unwrap_or(u32::MAX), 0)
            }
        };
        // WAIT_ABANDONED_0 + i, or WAIT_OBJECT_0 + i.
        let expected = if release_all { index } else { 0x80 + index };
        if status != expected {
            soak.violation(
                WORKLOAD,
                format_args!(
                    "the next owner's wait returned {status:#x}, not {expected:#x}: the owner \
                     exited {} (G72–G74)",
                    if release_all {
                        "after releasing it"
                    } else {
                        "holding it"
                    }
                ),
            );
        }
        if release_all {
            released.inc();
        } else {
            abandoned.inc();
        }
    }
}

/// On the mutex's new owner: release it, check that a second release fails, and that the
/// mutex is then free and not abandoned any more.
fn settle(soak: &Soak, mutex: &Mutex) {
    if let Err(error) = mutex.release() {
        soak.violation(
            WORKLOAD,
            format_args!("the new owner's release failed: {error:?}"),
        );
    }
    if mutex.release() != Err(SyncError::NotOwner) {
        soak.violation(
            WORKLOAD,
            "a second release did not fail with NotOwner (G68)",
        );
    }
    match alertable::wait_one(mutex, Some(PATIENCE), Alertable::No) {
        Ok(WaitStatus::Signaled(0)) => {
            let _ = mutex.release();
        }
        other => soak.violation(
            WORKLOAD,
            format_args!("acquiring a settled mutex returned {other:?}, not Signaled(0)"),
        ),
    }
}
