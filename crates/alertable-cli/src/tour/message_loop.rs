//! `message-loop`: a message loop that waits alertably handles its messages *and* runs its
//! APCs (H77, H81); a thread has no message queue to post to until it makes a message call.

use std::sync::mpsc;

use alertable::{
    Builder, Message, MsgWaitFlags, PeekRemove, PostMessageError, QueueStatus, WaitStatus,
    msg_wait, peek_message, post_quit_message,
};

use super::Scenario;
use super::journal::{self, Event};
use super::verdict::{Mismatch, Outcome, ensure, expect, finish};

/// The scenario's entry in the tour.
pub(super) const SCENARIO: Scenario = Scenario {
    name: "message-loop",
    summary: "an alertable message loop handles its messages and runs its APCs; posting before the queue exists fails (1444)",
    spec: "H77, H81",
    description: "A UI thread is created suspended, so it has made no message call yet: main \
        posts it a message and PostThreadMessage fails with 1444 (ERROR_INVALID_THREAD_ID), \
        the start-up race of every program that posts to a new thread. Main resumes it; the \
        UI thread creates its queue with PeekMessage(PM_NOREMOVE), says it is ready, and runs \
        the alertable message loop: MsgWaitForMultipleObjectsEx(0, NULL, INFINITE, \
        QS_ALLINPUT, MWMO_ALERTABLE | MWMO_INPUTAVAILABLE), then PeekMessage(PM_REMOVE) until \
        the queue is empty. Main posts three messages (wParam=1..3) with an APC after each \
        (param=1..3), and a last APC that calls PostQuitMessage(0) on the UI thread. On \
        Windows the UI thread handles every message, in order, from PeekMessage; every APC \
        runs on it, in order, inside the message wait, which then returns 192 \
        (WAIT_IO_COMPLETION); when input is there the wait returns 0 (WAIT_OBJECT_0 + \
        nCount, with nCount = 0) instead, for input wins over a pending APC. The loop ends \
        on WM_QUIT with exit code 0, which comes after every posted message.",
    run,
};

/// The messages' id: `WM_USER + 1`.
const STEP: u32 = Message::USER + 1;

/// How many messages, and APCs, main sends.
const STEPS: usize = 3;

/// The loop's wait, spelled the Win32 way.
const MSG_WAIT: &str = "MsgWaitForMultipleObjectsEx(0, NULL, INFINITE, QS_ALLINPUT, MWMO_ALERTABLE | MWMO_INPUTAVAILABLE)";

/// What the UI thread saw.
struct Seen {
    /// The `wParam`s of the messages it handled, in order.
    messages: Vec<usize>,
    /// What the message waits returned, as Win32 numbers.
    waits: Vec<u32>,
    /// The exit code of the `WM_QUIT` that ended the loop.
    code: i32,
}

/// The alertable message loop of the UI thread.
fn ui_loop() -> Result<Seen, Mismatch> {
    let mut seen = Seen {
        messages: Vec::new(),
        waits: Vec::new(),
        code: -1,
    };
    loop {
        let flags = MsgWaitFlags::ALERTABLE | MsgWaitFlags::INPUT_AVAILABLE;
        let status = journal::within(MSG_WAIT, || {
            msg_wait(&[], None, QueueStatus::ALL_INPUT, flags)
        })
        .map_err(|error| Mismatch::new(format!("the message wait failed: {error}")))?;
        journal::note(format!(
            "MsgWaitForMultipleObjectsEx returned {}",
            status.as_win32()
        ));
        seen.waits.push(status.as_win32());
        if status == WaitStatus::Alerted {
            continue;
        }
        while let Some(message) = peek_message(PeekRemove::Yes) {
            if let Some(code) = message.quit_code() {
                journal::note(format!("PeekMessage: WM_QUIT, exit code {code}"));
                seen.code = code;
                return Ok(seen);
            }
            journal::note(format!(
                "PeekMessage: message {:#06x}, wParam={}",
                message.id, message.wparam
            ));
            seen.messages.push(message.wparam);
        }
    }
}

/// Runs the scenario: the refused post, then the loop.
fn run() -> Outcome {
    let (ready, is_ready) = mpsc::channel();
    let ui = Builder::new()
        .name("ui".into())
        .suspended(true)
        .spawn(move || {
            journal::record(Event::Started);
            alertable::ensure_message_queue();
            journal::note("PeekMessage(PM_NOREMOVE): the message queue exists");
            let _ = ready.send(());
            ui_loop()
        })
        .map_err(Mismatch::spawn)?;
    let thread = ui.thread().clone();
    let tid = thread.id();

    let early = journal::act(|| {
        let result = thread.post_message(Message::new(STEP, 0, 0));
        let text = format!(
            "main: PostThreadMessage(WM_USER+1) -> {}",
            show_posted(&result)
        );
        (result, text)
    });
    ensure(early == Err(PostMessageError::NoQueue), || {
        format!(
            "posting to a thread that had made no message call returned {}, not FALSE with \
             error 1444",
            show_posted(&early)
        )
    })?;
    thread
        .resume()
        .map_err(|error| Mismatch::new(format!("ResumeThread failed: {error}")))?;
    expect(&is_ready, "that its message queue exists")?;

    for step in 1..=STEPS {
        let posted = journal::act(|| {
            let result = thread.post_message(Message::new(STEP, step, 0));
            let text = format!(
                "main: PostThreadMessage(WM_USER+1, wParam={step}) -> {}",
                show_posted(&result)
            );
            (result, text)
        });
        posted.map_err(|error| {
            Mismatch::new(format!(
                "PostThreadMessage failed once the queue existed: error {}",
                error.win32_error()
            ))
        })?;
        journal::queue(&thread, step)?;
    }
    journal::act(|| {
        let result = thread.queue_apc(|| {
            journal::note("APC: PostQuitMessage(0)");
            post_quit_message(0);
        });
        let text = format!(
            "main: QueueUserAPC(an APC that calls PostQuitMessage(0)) -> {}",
            journal::show_queued(&result)
        );
        (result, text)
    })
    .map_err(Mismatch::queue)?;
    let seen = finish(ui)??;

    let record = journal::take();
    record.check_apcs(tid, 1..STEPS + 1, Some(MSG_WAIT))?;
    ensure(seen.messages == (1..=STEPS).collect::<Vec<_>>(), || {
        format!(
            "the loop handled the messages with wParam {:?}, expected 1..={STEPS} in order",
            seen.messages
        )
    })?;
    ensure(seen.waits.iter().all(|&w| w == 0 || w == 192), || {
        format!(
            "the message wait returned {:?}; only 0 (input) and 192 (APCs) are possible",
            seen.waits
        )
    })?;
    ensure(seen.code == 0, || {
        format!("the loop ended with exit code {}, not 0", seen.code)
    })?;
    Ok(format!(
        "posting before the thread's first message call failed with error 1444; then the \
         loop handled messages 1..={STEPS} in order from PeekMessage and ran APCs 1..={STEPS} \
         on the UI thread inside the message wait (which returned {}), and ended on WM_QUIT \
         with exit code 0",
        describe_waits(&seen.waits)
    ))
}

/// What `PostThreadMessage` would have returned: `TRUE`, or `FALSE` and the error code.
fn show_posted(result: &Result<(), PostMessageError>) -> String {
    match result {
        Ok(()) => "TRUE".to_owned(),
        Err(error) => format!("FALSE (error {})", error.win32_error()),
    }
}

/// "0 twice and 192 three times", say.
fn describe_waits(waits: &[u32]) -> String {
    let parts: Vec<String> = [0, 192]
        .iter()
        .filter_map(|&value| {
            let n = waits.iter().filter(|&&w| w == value).count();
            match n {
                0 => None,
                1 => Some(format!("{value} once")),
                2 => Some(format!("{value} twice")),
                n => Some(format!("{value} {n} times")),
            }
        })
        .collect();
    parts.join(" and ")
}
