//! `modal-loop`: a nested modal loop built on `GetMessage` starves APCs even inside an
//! alertable program (H80, B19); the same loop waiting alertably runs them (H81).

use std::cell::Cell;
use std::sync::mpsc;

use alertable::{
    GetMessage, Message, MsgWaitFlags, PeekRemove, QueueStatus, ThreadHandle, get_message,
    msg_wait, peek_message, post_quit_message,
};

use super::journal::{self, Event};
use super::verdict::{Mismatch, Outcome, ensure, expect, finish};
use super::{Scenario, say};

/// The scenario's entry in the tour.
pub(super) const SCENARIO: Scenario = Scenario {
    name: "modal-loop",
    summary: "an APC waits out a GetMessage modal loop and runs in the outer MsgWait; an alertable modal loop runs it",
    spec: "B19, H80, H81",
    description: "A UI thread runs an alertable outer loop (MsgWaitForMultipleObjectsEx with \
        MWMO_ALERTABLE | MWMO_INPUTAVAILABLE, then PeekMessage). A message opens a progress \
        dialog with a message loop of its own, as DialogBox and MessageBox do; a background \
        job, played by main, finishes while the dialog is open and queues the UI thread an \
        APC (param=1, then param=2) that posts JOB_DONE. First the dialog's loop is built on \
        GetMessage, which is not an alertable wait: on Windows the APC cannot run while the \
        dialog is open, however long it stays, so the dialog can only be cancelled (main \
        posts CANCEL after the APC); the APC runs once the outer loop waits again, inside \
        its MsgWaitForMultipleObjectsEx. Then the dialog's loop is the alertable one: the \
        APC runs inside the dialog's own wait, and the JOB_DONE it posts closes the dialog.",
    run,
};

/// Opens the dialog; `wParam` says which loop it runs (`BLOCKING` or `ALERTABLE`).
const OPEN_DIALOG: u32 = Message::USER + 1;
/// The user cancels the dialog.
const CANCEL: u32 = Message::USER + 2;
/// The job is done: posted by the job's APC, on the UI thread.
const JOB_DONE: u32 = Message::USER + 3;

/// The dialog's loop is built on `GetMessage`.
const BLOCKING: usize = 0;
/// The dialog's loop is the alertable one.
const ALERTABLE: usize = 1;

/// The waits the APCs can run in, by name.
const OUTER_WAIT: &str = "the outer loop's MsgWaitForMultipleObjectsEx";
const DIALOG_GET: &str = "the dialog's GetMessage";
const DIALOG_WAIT: &str = "the dialog's MsgWaitForMultipleObjectsEx";

/// The alertable wait of both alertable loops.
const FLAGS: MsgWaitFlags = MsgWaitFlags::ALERTABLE.union(MsgWaitFlags::INPUT_AVAILABLE);

/// How a dialog closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closed {
    ByCancel,
    ByJobDone,
}

thread_local! {
    /// Set when the UI thread should leave its outer loop.
    static QUIT: Cell<bool> = const { Cell::new(false) };
}

/// The job's completion APC: records where it ran, then tells the UI with a message.
fn job_done(param: usize) {
    journal::apc_callback(param);
    let posted = alertable::current().post_message(Message::new(JOB_DONE, param, 0));
    journal::note(format!(
        "APC: PostThreadMessage(JOB_DONE) -> {}",
        if posted.is_ok() { "TRUE" } else { "FALSE" }
    ));
}

/// The dialog: a message loop of its own, as `DialogBox` runs one.
fn dialog(kind: usize) -> Result<Closed, Mismatch> {
    let handle = |message: Message| match message.id {
        CANCEL => Some(Closed::ByCancel),
        JOB_DONE => Some(Closed::ByJobDone),
        _ => None,
    };
    let closed = if kind == BLOCKING {
        journal::note("the dialog opens: its loop is GetMessage");
        loop {
            match journal::within(DIALOG_GET, get_message) {
                GetMessage::Message(message) => {
                    if let Some(closed) = handle(message) {
                        break closed;
                    }
                }
                GetMessage::Quit(code) => {
                    // Not the dialog's to act on: leave it for the outer loop.
                    post_quit_message(code);
                    return Err(Mismatch::new("WM_QUIT reached the dialog"));
                }
            }
        }
    } else {
        journal::note("the dialog opens: its loop is MsgWaitForMultipleObjectsEx + PeekMessage");
        'dialog: loop {
            let status = journal::within(DIALOG_WAIT, || {
                msg_wait(&[], None, QueueStatus::ALL_INPUT, FLAGS)
            })
            .map_err(|error| Mismatch::new(format!("the dialog's wait failed: {error}")))?;
            journal::note(format!(
                "the dialog's MsgWaitForMultipleObjectsEx returned {}",
                status.as_win32()
            ));
            while let Some(message) = peek_message(PeekRemove::Yes) {
                if let Some(closed) = handle(message) {
                    break 'dialog closed;
                }
            }
        }
    };
    journal::note(format!(
        "the dialog closes: {}",
        match closed {
            Closed::ByCancel => "CANCEL",
            Closed::ByJobDone => "JOB_DONE",
        }
    ));
    Ok(closed)
}

/// The UI thread's alertable outer loop. Reports the first JOB_DONE it handles itself on
/// `job_done_outside`, and ends once both dialogs have closed.
fn ui_loop(job_done_outside: &mpsc::Sender<()>) -> Result<Vec<Closed>, Mismatch> {
    let mut closed = Vec::new();
    while !QUIT.get() {
        let status = journal::within(OUTER_WAIT, || {
            msg_wait(&[], None, QueueStatus::ALL_INPUT, FLAGS)
        })
        .map_err(|error| Mismatch::new(format!("the outer wait failed: {error}")))?;
        journal::note(format!(
            "the outer MsgWaitForMultipleObjectsEx returned {}",
            status.as_win32()
        ));
        while let Some(message) = peek_message(PeekRemove::Yes) {
            match message.id {
                OPEN_DIALOG => closed.push(dialog(message.wparam)?),
                JOB_DONE => {
                    journal::note("the outer loop: JOB_DONE");
                    let _ = job_done_outside.send(());
                }
                _ if message.quit_code().is_some() => QUIT.set(true),
                _ => {}
            }
            if closed.len() == 2 && !QUIT.get() {
                post_quit_message(0);
            }
        }
    }
    Ok(closed)
}

/// Runs the scenario: the blocking dialog, then the alertable one.
fn run() -> Outcome {
    let (ready, is_ready) = mpsc::channel();
    let (job_done_outside, outer_got_job_done) = mpsc::channel();
    let ui = alertable::spawn(move || {
        journal::record(Event::Started);
        alertable::ensure_message_queue();
        let _ = ready.send(());
        ui_loop(&job_done_outside)
    })
    .map_err(Mismatch::spawn)?;
    let thread = ui.thread().clone();
    let tid = thread.id();
    expect(&is_ready, "that its message queue exists")?;

    say("  -- a dialog whose loop is GetMessage --");
    post(
        &thread,
        OPEN_DIALOG,
        BLOCKING,
        "OPEN_DIALOG(GetMessage loop)",
    )?;
    queue_job_done(&thread, 1)?;
    post(&thread, CANCEL, 0, "CANCEL")?;
    expect(&outer_got_job_done, "the job's result in its outer loop")?;

    say("  -- a dialog whose loop is alertable --");
    post(
        &thread,
        OPEN_DIALOG,
        ALERTABLE,
        "OPEN_DIALOG(alertable loop)",
    )?;
    queue_job_done(&thread, 2)?;
    let closed = finish(ui)??;

    let record = journal::take();
    let runs = record.apcs();
    ensure(runs.len() == 2, || {
        format!("the job's APC ran {} times, expected 2", runs.len())
    })?;
    for run in &runs {
        ensure(run.tid == tid, || {
            format!(
                "the APC with param={} ran on thread {}, not on the UI thread",
                run.param, run.tid
            )
        })?;
    }
    ensure(
        runs[0].param == 1 && runs[0].during == Some(OUTER_WAIT),
        || {
            format!(
                "the first job's APC ran {}, not in {OUTER_WAIT} after the GetMessage dialog closed",
                journal::place(runs[0].during)
            )
        },
    )?;
    ensure(
        runs[1].param == 2 && runs[1].during == Some(DIALOG_WAIT),
        || {
            format!(
                "the second job's APC ran {}, not in {DIALOG_WAIT}",
                journal::place(runs[1].during)
            )
        },
    )?;
    ensure(closed == [Closed::ByCancel, Closed::ByJobDone], || {
        format!("the dialogs closed {closed:?}, expected by CANCEL, then by JOB_DONE")
    })?;
    Ok(format!(
        "the APC queued while the GetMessage dialog was open stayed queued until the dialog \
         was cancelled and ran {}; in the alertable dialog it ran {} and its JOB_DONE closed \
         the dialog",
        journal::place(runs[0].during),
        journal::place(runs[1].during)
    ))
}

/// Posts `id(wparam)` to the UI thread, noting it as main's.
fn post(thread: &ThreadHandle, id: u32, wparam: usize, name: &str) -> Result<(), Mismatch> {
    journal::act(|| {
        let result = thread.post_message(Message::new(id, wparam, 0));
        let text = format!(
            "main: PostThreadMessage({name}) -> {}",
            if result.is_ok() { "TRUE" } else { "FALSE" }
        );
        (result, text)
    })
    .map_err(|error| {
        Mismatch::new(format!(
            "PostThreadMessage({name}) failed: error {}",
            error.win32_error()
        ))
    })
}

/// Queues the job's completion APC to the UI thread, noting it as main's.
fn queue_job_done(thread: &ThreadHandle, param: usize) -> Result<(), Mismatch> {
    journal::act(|| {
        let result = thread.queue_user_apc(job_done, param);
        let text = format!(
            "main (the job): QueueUserAPC(param={param}) -> {}",
            journal::show_queued(&result)
        );
        (result, text)
    })
    .map_err(Mismatch::queue)
}
