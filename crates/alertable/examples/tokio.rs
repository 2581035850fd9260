//! APCs inside a tokio current-thread runtime, through the thread's readiness descriptor.
//!
//! The runtime waits in `epoll`, never in an alertable wait, so it would never run an APC.
//! Wrapped in tokio's `AsyncFd`, an [`ApcNotifier`] becomes readable when an APC is queued
//! to the runtime's thread; the task that awaits it calls `dispatch`, which runs the APCs
//! on that thread, between the other tasks' turns. Two threads queue APCs while a second
//! task keeps the runtime busy.
//!
//! ```text
//! cargo run -p alertable --example tokio
//! ```

use std::cell::Cell;

use alertable::ApcNotifier;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// Threads queueing APCs, and APCs each queues.
const PRODUCERS: usize = 2;
const EACH: usize = 1_000;

thread_local! {
    /// APCs run on this thread.
    static RAN: Cell<usize> = const { Cell::new(0) };
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let runtime_thread = alertable::current();
    let notifier = ApcNotifier::new().expect("an eventfd");
    // SAFETY: an `ApcNotifier`'s descriptor stays open, and is the same descriptor, for as
    // long as the notifier lives (its documented guarantee); the `AsyncFd` owns the
    // notifier, so the registration ends before the notifier does.
    let notifier = unsafe { AsyncFd::register_with_interest(notifier, Interest::READABLE) }
        .expect("the descriptor registers");

    let producers: Vec<_> = (0..PRODUCERS)
        .map(|_| {
            let target = runtime_thread.clone();
            std::thread::spawn(move || {
                for _ in 0..EACH {
                    target
                        .queue_apc(|| RAN.set(RAN.get() + 1))
                        .expect("the runtime's thread is alive");
                }
            })
        })
        .collect();

    // Another task shares the thread; it runs whenever the APC task waits.
    let ticks = tokio::task::spawn(async {
        let mut ticks = 0u64;
        while ticks < 100 {
            ticks += 1;
            tokio::task::yield_now().await;
        }
        ticks
    });

    while RAN.get() < PRODUCERS * EACH {
        let mut ready = notifier.readable().await.expect("the reactor runs");
        // Edge-triggered: forget this readiness before running the APCs, so that an APC
        // queued meanwhile makes the descriptor readable again and is not missed.
        ready.clear_ready();
        ready.get_inner().dispatch();
    }
    for p in producers {
        p.join().expect("a producer finished");
    }
    let ticks = ticks.await.expect("the other task finished");
    println!(
        "[{}] the tokio runtime ran {} APCs from {PRODUCERS} threads, and {ticks} turns of \
         another task",
        runtime_thread.id(),
        RAN.get()
    );
    assert_eq!(RAN.get(), PRODUCERS * EACH);
}

#[cfg(test)]
mod tests {
    /// The example runs to completion, on a test thread as on `main`.
    #[test]
    fn runs_to_completion() {
        super::main();
    }
}
