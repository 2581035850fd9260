//! The alertable message loop: a thread that serves its message queue *and* runs the APCs
//! queued to it, as a Win32 GUI thread does when its loop waits in
//! `MsgWaitForMultipleObjectsEx(…, QS_ALLINPUT, MWMO_ALERTABLE | MWMO_INPUTAVAILABLE)`
//! instead of `GetMessage`.
//!
//! A worker thread posts progress messages to the main thread and queues it APCs, then
//! queues one last APC that asks the loop to quit — made on the loop's own thread, the way
//! a window procedure calls `PostQuitMessage`. The loop waits alertably, then empties the
//! queue with `peek_message`, and ends on the quit message.
//!
//! ```text
//! cargo run -p alertable --example message_loop
//! ```

use std::cell::Cell;

use alertable::{
    Message, MsgWaitFlags, PeekRemove, QueueStatus, WaitStatus, msg_wait, peek_message,
    post_quit_message,
};

/// A message of this program: "step `wparam` of the job is done".
const PROGRESS: u32 = Message::USER + 1;
/// How many steps the worker reports, each with a message and an APC.
const STEPS: usize = 3;

thread_local! {
    /// APCs run on this thread.
    static APCS: Cell<usize> = const { Cell::new(0) };
}

/// The APC: runs on the loop's thread, inside `msg_wait`.
fn apc(step: usize) {
    APCS.set(APCS.get() + 1);
    println!(
        "[{}] APC for step {step} ran inside the message wait",
        alertable::current().id()
    );
}

/// The loop; returns the quit code and how many messages it handled.
fn message_loop() -> (i32, usize) {
    let mut messages = 0;
    loop {
        let woke = msg_wait(
            &[],
            None,
            QueueStatus::ALL_INPUT,
            MsgWaitFlags::ALERTABLE | MsgWaitFlags::INPUT_AVAILABLE,
        )
        .expect("no objects, so no error");
        if woke == WaitStatus::Alerted {
            continue; // APCs ran; look for messages again
        }
        while let Some(message) = peek_message(PeekRemove::Yes) {
            if let Some(code) = message.quit_code() {
                return (code, messages);
            }
            if message.id == PROGRESS {
                messages += 1;
                println!(
                    "[{}] message: step {} of {STEPS} done",
                    alertable::current().id(),
                    message.wparam
                );
            }
        }
    }
}

fn main() {
    // Create the queue before any other thread can post to it: no start-up race.
    alertable::ensure_message_queue();
    let ui = alertable::current();
    println!("[{}] the message loop starts", ui.id());
    let worker = std::thread::spawn(move || {
        for step in 1..=STEPS {
            ui.post_message(Message::new(PROGRESS, step, 0))
                .expect("the loop's queue exists");
            ui.queue_user_apc(apc, step).expect("the loop is running");
        }
        // FIFO: this runs after the APCs above, and the quit it leaves is reported after
        // every posted message.
        ui.queue_apc(|| post_quit_message(0))
            .expect("the loop is running");
    });
    let (code, messages) = message_loop();
    worker.join().expect("the worker finished");
    println!(
        "the loop ended with code {code}: {messages} messages, {} APCs",
        APCS.get()
    );
    assert_eq!((code, messages, APCS.get()), (0, STEPS, STEPS));
}

#[cfg(test)]
mod tests {
    /// The example runs to completion, on a test thread as on `main`.
    #[test]
    fn runs_to_completion() {
        super::main();
    }
}
