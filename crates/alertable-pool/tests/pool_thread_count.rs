//! 10,000 waits set on a pool cost no thread: the process's thread count does not move.
//! Alone in its binary, since it counts every thread of the process.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};

use alertable::{Event, EventReset};
use alertable_pool::{ThreadPool, Wait, WaitResult};
use common::LONG;

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn ten_thousand_waits_use_no_threads() {
    const WAITS: usize = 10_000;
    let pool = ThreadPool::with_concurrency(2);
    pool.set_thread_minimum(2).unwrap();
    pool.set_thread_maximum(2);
    let env = pool.environment();
    let events: Vec<Event> = (0..WAITS)
        .map(|_| Event::new(EventReset::Auto, false))
        .collect();
    let count = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel();
    let before = threads();
    let waits: Vec<Wait> = events
        .iter()
        .map(|event| {
            let (c, tx) = (count.clone(), tx.clone());
            let wait = Wait::new(&env, move |_, result| {
                assert_eq!(result, WaitResult::Signaled);
                if c.fetch_add(1, Ordering::SeqCst) + 1 == WAITS {
                    tx.send(()).unwrap();
                }
            });
            wait.set(Box::new(event.clone()), None);
            wait
        })
        .collect();
    assert_eq!(threads(), before, "setting the waits started no thread");
    // One at a time, each signal runs exactly its callback.
    for event in &events {
        event.set();
    }
    rx.recv_timeout(LONG).unwrap();
    assert_eq!(count.load(Ordering::SeqCst), WAITS);
    assert_eq!(pool.threads(), 2);
    drop(waits);
}
