//! A nested, "modal" message loop that the program does not own starves APCs; the same loop
//! waiting alertably does not.
//!
//! A Win32 dialog box or message box runs a message loop of its own, built on
//! `GetMessage`, which is not an alertable wait: while it is open, APCs queued to the
//! thread wait, even though the outer loop is alertable. Here the main thread's outer loop
//! is alertable (as in `message_loop.rs`), and a "progress dialog" waits for a background
//! job, whose completion arrives as an APC.
//!
//! 1. The dialog's loop uses `get_message`: the job's APC cannot run while it is open, so
//!    the only way out is Cancel; the APC runs once the outer loop waits again.
//! 2. The dialog's loop uses `msg_wait` with `ALERTABLE`: the APC runs inside the dialog,
//!    and its result closes it.
//!
//! ```text
//! cargo run -p alertable --example modal_loop
//! ```

use std::cell::Cell;
use std::sync::mpsc;

use alertable::{
    GetMessage, Message, MsgWaitFlags, PeekRemove, QueueStatus, get_message, msg_wait,
    peek_message, post_quit_message,
};

/// Open the progress dialog; `wparam` is the kind of loop it runs.
const OPEN_DIALOG: u32 = Message::USER + 1;
/// The user pressed Cancel.
const CANCEL: u32 = Message::USER + 2;
/// The job is done (posted by the job's APC, on this thread).
const JOB_DONE: u32 = Message::USER + 3;

/// How a dialog runs its loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `get_message`, as `DialogBox` does.
    Blocking = 0,
    /// `msg_wait(…, ALERTABLE | INPUT_AVAILABLE)` and `peek_message`.
    Alertable = 1,
}

/// How the dialog was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closed {
    ByCancel,
    ByJobDone,
}

thread_local! {
    /// Where this thread is: "the outer loop" or a dialog's loop.
    static WHERE: Cell<&'static str> = const { Cell::new("the outer loop") };
    /// Where each job APC ran, in order.
    static APC_RAN_IN: std::cell::RefCell<Vec<&'static str>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The job's completion routine: runs on the UI thread, in whatever alertable wait it is
/// in, and tells the UI with a message.
fn job_done() {
    let place = WHERE.get();
    println!(
        "[{}] the job's APC runs in {place}",
        alertable::current().id()
    );
    APC_RAN_IN.with_borrow_mut(|log| log.push(place));
    alertable::current()
        .post_message(Message::new(JOB_DONE, 0, 0))
        .expect("our own queue exists");
}

/// The progress dialog: its own message loop, of the given kind.
fn dialog(kind: Kind) -> Closed {
    let outer = WHERE.replace(match kind {
        Kind::Blocking => "the dialog's get_message loop",
        Kind::Alertable => "the dialog's alertable loop",
    });
    let handle = |message: Message| match message.id {
        CANCEL => Some(Closed::ByCancel),
        JOB_DONE => Some(Closed::ByJobDone),
        _ => None,
    };
    let closed = match kind {
        Kind::Blocking => loop {
            match get_message() {
                GetMessage::Message(m) => {
                    if let Some(closed) = handle(m) {
                        break closed;
                    }
                }
                GetMessage::Quit(code) => {
                    // Not ours: leave it for the outer loop, as modal loops do.
                    post_quit_message(code);
                    break Closed::ByCancel;
                }
            }
        },
        Kind::Alertable => 'dialog: loop {
            msg_wait(
                &[],
                None,
                QueueStatus::ALL_INPUT,
                MsgWaitFlags::ALERTABLE | MsgWaitFlags::INPUT_AVAILABLE,
            )
            .expect("no objects, so no error");
            while let Some(m) = peek_message(PeekRemove::Yes) {
                if let Some(code) = m.quit_code() {
                    post_quit_message(code);
                    break 'dialog Closed::ByCancel;
                }
                if let Some(closed) = handle(m) {
                    break 'dialog closed;
                }
            }
        },
    };
    WHERE.set(outer);
    println!(
        "[{}] the {kind:?} dialog closed: {closed:?}",
        alertable::current().id()
    );
    closed
}

fn main() {
    alertable::ensure_message_queue();
    let ui = alertable::current();
    // The background job: told what to do for each round.
    let (start, rounds) = mpsc::channel::<Kind>();
    let job = std::thread::spawn(move || {
        for kind in rounds {
            ui.post_message(Message::new(OPEN_DIALOG, kind as usize, 0))
                .expect("the UI's queue exists");
            // The job finishes while the dialog is open.
            ui.queue_apc(job_done).expect("the UI is running");
            if kind == Kind::Blocking {
                // The job's APC cannot close this dialog; the user gives up on it.
                ui.post_message(Message::new(CANCEL, 0, 0))
                    .expect("the UI's queue exists");
            }
        }
    });

    start
        .send(Kind::Blocking)
        .expect("the job waits for rounds");
    let mut closed = Vec::new();
    // The outer loop: alertable, as in `message_loop.rs`.
    'outer: loop {
        msg_wait(
            &[],
            None,
            QueueStatus::ALL_INPUT,
            MsgWaitFlags::ALERTABLE | MsgWaitFlags::INPUT_AVAILABLE,
        )
        .expect("no objects, so no error");
        while let Some(m) = peek_message(PeekRemove::Yes) {
            if m.quit_code().is_some() {
                break 'outer;
            }
            match m.id {
                OPEN_DIALOG if m.wparam == Kind::Blocking as usize => {
                    closed.push(dialog(Kind::Blocking));
                }
                OPEN_DIALOG => closed.push(dialog(Kind::Alertable)),
                // The first round's result reaches the outer loop: start the second round.
                JOB_DONE if closed.len() == 1 => {
                    start
                        .send(Kind::Alertable)
                        .expect("the job waits for rounds");
                }
                _ => {}
            }
            if closed.len() == 2 {
                post_quit_message(0);
            }
        }
    }
    drop(start);
    job.join().expect("the job finished");

    let ran_in = APC_RAN_IN.take();
    assert_eq!(closed, [Closed::ByCancel, Closed::ByJobDone]);
    assert_eq!(ran_in, ["the outer loop", "the dialog's alertable loop"]);
    println!(
        "blocking dialog: the APC waited until it closed and ran in {}; \
         alertable dialog: the APC ran in {}",
        ran_in[0], ran_in[1]
    );
}

#[cfg(test)]
mod tests {
    /// The example runs to completion, on a test thread as on `main`.
    #[test]
    fn runs_to_completion() {
        super::main();
    }
}
