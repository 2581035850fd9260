//! APCs inside a calloop event loop, through the thread's readiness descriptor.
//!
//! The loop waits in `epoll`, never in an alertable wait, so it would never run an APC.
//! An [`ApcNotifier`] is a file descriptor that becomes readable when an APC is queued to
//! its thread: registered as a calloop source, its callback calls `dispatch`, which runs
//! the APCs right there, on the loop's thread. Three threads queue APCs to the loop; the
//! last one to run stops it.
//!
//! ```text
//! cargo run -p alertable --example calloop
//! ```

use std::cell::Cell;

use alertable::ApcNotifier;
use calloop::generic::Generic;
use calloop::{EventLoop, Interest, LoopSignal, Mode, PostAction};

/// Threads queueing APCs, and APCs each queues.
const PRODUCERS: usize = 3;
const EACH: usize = 1_000;

thread_local! {
    /// APCs run on this thread, and the signal that stops its loop.
    static RAN: Cell<usize> = const { Cell::new(0) };
    static STOP: Cell<Option<LoopSignal>> = const { Cell::new(None) };
}

/// The APC: counts itself on the loop's thread; the last one stops the loop.
fn apc(_producer: usize) {
    RAN.set(RAN.get() + 1);
    if RAN.get() == PRODUCERS * EACH {
        if let Some(signal) = STOP.take() {
            signal.stop();
        }
    }
}

fn main() {
    let mut event_loop: EventLoop<()> = EventLoop::try_new().expect("an epoll instance");
    STOP.set(Some(event_loop.get_signal()));
    let notifier = ApcNotifier::new().expect("an eventfd");
    event_loop
        .handle()
        .insert_source(
            Generic::new(notifier, Interest::READ, Mode::Level),
            |_readiness, notifier, _state| {
                // Clears the descriptor, runs every pending APC, re-arms.
                notifier.dispatch();
                Ok(PostAction::Continue)
            },
        )
        .expect("the descriptor registers");

    let loop_thread = alertable::current();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let target = loop_thread.clone();
            std::thread::spawn(move || {
                for _ in 0..EACH {
                    target
                        .queue_user_apc(apc, p)
                        .expect("the loop's thread is alive");
                }
            })
        })
        .collect();

    event_loop
        .run(None, &mut (), |_| {})
        .expect("the loop runs");
    for p in producers {
        p.join().expect("a producer finished");
    }
    println!(
        "[{}] the calloop loop ran {} APCs from {PRODUCERS} threads",
        loop_thread.id(),
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
