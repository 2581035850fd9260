//! Spec section H: thread message queues and the message wait — the queue is object number
//! `n` (H77), only new input counts unless `INPUT_AVAILABLE` (H78, H79), APCs and the
//! message wait (H80, H81), the 63-object limit and `WAIT_ALL` (H82), the `QS_*` masks
//! (H83) — and the queue itself as Win32's `PostThreadMessage`, `GetMessage`, `PeekMessage`
//! and `PostQuitMessage` define it: no queue before the thread's first message call (the
//! start-up race) or after it exits (`ERROR_INVALID_THREAD_ID`), FIFO order, the quit
//! request after every posted message, the 10,000-message limit, and `get_message` never
//! running APCs (B19's rule for non-alertable waits).
#![allow(clippy::disallowed_types)]

use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use alertable::{
    Alertable, Builder, Event, EventReset, GetMessage, MAXIMUM_WAIT_OBJECTS, Message, MsgWaitFlags,
    POSTED_MESSAGE_LIMIT, PeekRemove, PostMessageError, QueueStatus, SleepStatus, WaitError,
    WaitStatus, Waitable, ensure_message_queue, get_message, msg_wait, peek_message,
    post_quit_message, post_thread_message, sleep_ex,
};

mod common;

use common::{LONG, POLL, bump, counter, recv, wait_until_blocked};

const NONE: MsgWaitFlags = MsgWaitFlags::empty();
const POST: QueueStatus = QueueStatus::POST_MESSAGE;

fn user(n: usize) -> Message {
    Message::new(Message::USER, n, -(n as isize))
}

fn events(n: usize, reset: EventReset, set: bool) -> Vec<Event> {
    (0..n).map(|_| Event::new(reset, set)).collect()
}

fn refs(events: &[Event]) -> Vec<&dyn Waitable> {
    events.iter().map(|e| e as &dyn Waitable).collect()
}

/// Takes every message out of the calling thread's queue.
fn drain_messages() -> Vec<Message> {
    std::iter::from_fn(|| peek_message(PeekRemove::Yes)).collect()
}

// ---------------------------------------------------------------------------------------
// H77: the queue's index is the object count.

/// H77: with an empty queue the message wait times out; once a message is posted it
/// returns `WAIT_OBJECT_0 + nCount`, here 0.
#[test]
fn h77_posted_message_is_object_zero_without_objects() {
    ensure_message_queue();
    assert_eq!(msg_wait(&[], POLL, POST, NONE), Ok(WaitStatus::TimedOut));
    post_thread_message(&alertable::current(), user(1)).unwrap();
    let status = msg_wait(&[], POLL, POST, NONE).unwrap();
    assert_eq!(status, WaitStatus::Signaled(0));
    assert_eq!(status.as_win32(), 0);
    assert_eq!(drain_messages(), [user(1)], "the wait removes nothing");
}

/// H77: with objects, input is reported at index `objects.len()`; a signaled object has a
/// lower index and wins, leaving the input new for the next wait.
#[test]
fn h77_queue_index_follows_the_objects() {
    let me = alertable::current();
    ensure_message_queue();
    let objects = events(2, EventReset::Manual, false);
    me.post_message(user(1)).unwrap();
    assert_eq!(
        msg_wait(&refs(&objects), POLL, POST, NONE),
        Ok(WaitStatus::Signaled(2))
    );
    me.post_message(user(2)).unwrap();
    objects[1].set();
    assert_eq!(
        msg_wait(&refs(&objects), POLL, POST, NONE),
        Ok(WaitStatus::Signaled(1))
    );
    objects[1].reset();
    assert_eq!(
        msg_wait(&refs(&objects), POLL, POST, NONE),
        Ok(WaitStatus::Signaled(2)),
        "the object won, so the input stayed new"
    );
    assert_eq!(drain_messages(), [user(1), user(2)]);
}

/// H77: a thread blocked in the message wait is woken by a message posted from another
/// thread, and reports the queue's index.
#[test]
fn h77_post_from_another_thread_ends_the_wait() {
    let (ready, is_ready) = mpsc::channel();
    let waiter = alertable::spawn(move || {
        ensure_message_queue();
        let objects = events(3, EventReset::Auto, false);
        ready.send(()).unwrap();
        let status = msg_wait(&refs(&objects), LONG, POST, NONE);
        (status, drain_messages())
    })
    .unwrap();
    recv(&is_ready);
    wait_until_blocked(waiter.thread().id());
    waiter.thread().post_message(user(7)).unwrap();
    let (status, messages) = waiter.join().unwrap();
    assert_eq!(status, Ok(WaitStatus::Signaled(3)));
    assert_eq!(messages, [user(7)]);
}

// ---------------------------------------------------------------------------------------
// H78, H79: new input, and MWMO_INPUTAVAILABLE.

/// H78: once `PeekMessage(PM_NOREMOVE)` has seen the message, the wait without
/// `INPUT_AVAILABLE` times out although the message is still queued; a new post makes it
/// return again.
#[test]
fn h78_only_new_input_counts() {
    let me = alertable::current();
    ensure_message_queue();
    me.post_message(user(1)).unwrap();
    assert_eq!(peek_message(PeekRemove::No), Some(user(1)));
    assert_eq!(msg_wait(&[], POLL, POST, NONE), Ok(WaitStatus::TimedOut));
    let timeout = Duration::from_millis(20);
    let start = Instant::now();
    assert_eq!(
        msg_wait(&[], Some(timeout), POST, NONE),
        Ok(WaitStatus::TimedOut),
        "a seen message does not end a timed wait either"
    );
    assert!(start.elapsed() >= timeout);
    me.post_message(user(2)).unwrap();
    assert_eq!(msg_wait(&[], POLL, POST, NONE), Ok(WaitStatus::Signaled(0)));
    assert_eq!(drain_messages(), [user(1), user(2)]);
}

/// H78: a message wait that reports input has examined the queue too (as Windows documents
/// for MsgWaitForMultipleObjects): the same input does not end the next wait.
#[test]
fn h78_a_wait_that_reports_input_examines_it() {
    ensure_message_queue();
    alertable::current().post_message(user(1)).unwrap();
    assert_eq!(msg_wait(&[], POLL, POST, NONE), Ok(WaitStatus::Signaled(0)));
    assert_eq!(msg_wait(&[], POLL, POST, NONE), Ok(WaitStatus::TimedOut));
    // `get_message` examines the queue as well.
    alertable::current().post_message(user(2)).unwrap();
    alertable::current().post_message(user(3)).unwrap();
    assert_eq!(get_message(), GetMessage::Message(user(1)));
    assert_eq!(msg_wait(&[], POLL, POST, NONE), Ok(WaitStatus::TimedOut));
    assert_eq!(drain_messages(), [user(2), user(3)]);
}

/// H79: with `INPUT_AVAILABLE`, queued input ends the wait even after it was seen, every
/// time, until it is removed.
#[test]
fn h79_input_available_counts_seen_input() {
    ensure_message_queue();
    alertable::current().post_message(user(1)).unwrap();
    assert_eq!(peek_message(PeekRemove::No), Some(user(1)));
    let flags = MsgWaitFlags::INPUT_AVAILABLE;
    for _ in 0..2 {
        // An infinite wait would hang if the seen message did not count; LONG turns that
        // into a failure.
        assert_eq!(
            msg_wait(&[], LONG, POST, flags),
            Ok(WaitStatus::Signaled(0))
        );
    }
    assert_eq!(peek_message(PeekRemove::Yes), Some(user(1)));
    assert_eq!(msg_wait(&[], POLL, POST, flags), Ok(WaitStatus::TimedOut));
}

// ---------------------------------------------------------------------------------------
// H80, H81: APCs.

/// H80: without `ALERTABLE`, a pending APC neither runs nor ends the wait: `WAIT_TIMEOUT`,
/// never `WAIT_IO_COMPLETION`.
#[test]
fn h80_not_alertable_leaves_apcs_queued() {
    ensure_message_queue();
    let ran = counter();
    alertable::current().queue_apc(bump(&ran)).unwrap();
    for flags in [NONE, MsgWaitFlags::INPUT_AVAILABLE] {
        assert_eq!(
            msg_wait(&[], POLL, QueueStatus::ALL_INPUT, flags),
            Ok(WaitStatus::TimedOut)
        );
        assert_eq!(
            msg_wait(
                &[],
                Some(Duration::from_millis(5)),
                QueueStatus::ALL_INPUT,
                flags
            ),
            Ok(WaitStatus::TimedOut)
        );
    }
    assert_eq!(ran.load(Ordering::SeqCst), 0, "no APC ran");
    assert_eq!(sleep_ex(POLL, Alertable::Yes), SleepStatus::Alerted);
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

/// H80: an APC queued to a thread blocked in a non-alertable message wait does not wake
/// it; the message that follows does, and the APC is still pending afterwards.
#[test]
fn h80_apc_does_not_end_a_non_alertable_wait() {
    let ran = counter();
    let r = ran.clone();
    let (ready, is_ready) = mpsc::channel();
    let waiter = alertable::spawn(move || {
        ensure_message_queue();
        ready.send(()).unwrap();
        let status = msg_wait(&[], LONG, QueueStatus::ALL_INPUT, NONE);
        let ran_in_wait = r.load(Ordering::SeqCst);
        (status, ran_in_wait, sleep_ex(POLL, Alertable::Yes))
    })
    .unwrap();
    recv(&is_ready);
    wait_until_blocked(waiter.thread().id());
    waiter.thread().queue_apc(bump(&ran)).unwrap();
    waiter.thread().post_message(user(1)).unwrap();
    let (status, ran_in_wait, after) = waiter.join().unwrap();
    assert_eq!(status, Ok(WaitStatus::Signaled(0)));
    assert_eq!(ran_in_wait, 0);
    assert_eq!(
        after,
        SleepStatus::Alerted,
        "the APC waited for an alertable wait"
    );
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

/// H81: with both a message and an APC pending, the alertable message wait reports the
/// input (`WAIT_OBJECT_0`) and leaves the APC queued; the next one runs it and returns
/// `WAIT_IO_COMPLETION` (192).
#[test]
fn h81_input_wins_over_a_pending_apc() {
    ensure_message_queue();
    let ran = counter();
    let me = alertable::current();
    me.post_message(user(1)).unwrap();
    me.queue_apc(bump(&ran)).unwrap();
    let flags = MsgWaitFlags::ALERTABLE;
    assert_eq!(
        msg_wait(&[], POLL, POST, flags),
        Ok(WaitStatus::Signaled(0))
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0, "the APC stays queued");
    let status = msg_wait(&[], POLL, POST, flags).unwrap();
    assert_eq!(status, WaitStatus::Alerted);
    assert_eq!(status.as_win32(), 192);
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert_eq!(drain_messages(), [user(1)], "the message is still there");
}

/// H81: with `INPUT_AVAILABLE` as well, input keeps winning while it is queued; once the
/// queue is empty, the APC runs.
#[test]
fn h81_available_input_keeps_winning_until_removed() {
    ensure_message_queue();
    let ran = counter();
    let me = alertable::current();
    me.queue_apc(bump(&ran)).unwrap();
    me.post_message(user(1)).unwrap();
    let flags = MsgWaitFlags::ALERTABLE | MsgWaitFlags::INPUT_AVAILABLE;
    for _ in 0..3 {
        assert_eq!(
            msg_wait(&[], LONG, QueueStatus::ALL_INPUT, flags),
            Ok(WaitStatus::Signaled(0))
        );
    }
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    assert_eq!(drain_messages(), [user(1)]);
    assert_eq!(
        msg_wait(&[], LONG, QueueStatus::ALL_INPUT, flags),
        Ok(WaitStatus::Alerted)
    );
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

/// H81 (and B20): an APC queued to a thread blocked in an alertable message wait runs
/// there and ends the wait with `Alerted`.
#[test]
fn h81_apc_ends_an_alertable_message_wait() {
    let ran = counter();
    let r = ran.clone();
    let (ready, is_ready) = mpsc::channel();
    let waiter = alertable::spawn(move || {
        ensure_message_queue();
        ready.send(()).unwrap();
        let flags = MsgWaitFlags::ALERTABLE | MsgWaitFlags::INPUT_AVAILABLE;
        let status = msg_wait(&[], LONG, QueueStatus::ALL_INPUT, flags);
        (status, r.load(Ordering::SeqCst))
    })
    .unwrap();
    recv(&is_ready);
    wait_until_blocked(waiter.thread().id());
    waiter.thread().queue_apc(bump(&ran)).unwrap();
    assert_eq!(waiter.join().unwrap(), (Ok(WaitStatus::Alerted), 1));
}

// ---------------------------------------------------------------------------------------
// H82: the object limit and MWMO_WAITALL.

/// H82: 63 objects are accepted (the queue is the 64th); 64 are `ERROR_INVALID_PARAMETER`
/// (87), with nothing consumed and no APC run.
#[test]
fn h82_at_most_63_objects() {
    ensure_message_queue();
    let all = events(MAXIMUM_WAIT_OBJECTS, EventReset::Auto, false);
    let refs = refs(&all);
    all[62].set();
    assert_eq!(
        msg_wait(&refs[..63], POLL, POST, NONE),
        Ok(WaitStatus::Signaled(62))
    );
    assert!(!all[62].is_set(), "the auto-reset event was consumed");
    let ran = counter();
    alertable::current().queue_apc(bump(&ran)).unwrap();
    alertable::current().post_message(user(1)).unwrap();
    all[0].set();
    for flags in [NONE, MsgWaitFlags::ALERTABLE, MsgWaitFlags::WAIT_ALL] {
        let error = msg_wait(&refs, POLL, POST, flags).unwrap_err();
        assert_eq!(error, WaitError::TooManyObjects);
        assert_eq!(error.win32_error(), 87);
    }
    assert!(all[0].is_set(), "nothing consumed");
    assert_eq!(ran.load(Ordering::SeqCst), 0, "no wait happened");
    assert_eq!(
        msg_wait(&refs[..63], POLL, POST, NONE),
        Ok(WaitStatus::Signaled(0)),
        "the valid wait consumes"
    );
    assert_eq!(
        msg_wait(&[], POLL, POST, MsgWaitFlags::ALERTABLE),
        Ok(WaitStatus::Signaled(0)),
        "the input was still new"
    );
    assert_eq!(sleep_ex(POLL, Alertable::Yes), SleepStatus::Alerted);
    drain_messages();
}

/// H82: with `WAIT_ALL` the queue is part of an all-or-nothing wait: signaled objects
/// without input, or input without every object, consume nothing; objects and input
/// together return `Signaled(0)`, consume the objects, and leave the message queued.
#[test]
fn h82_wait_all_includes_the_queue() {
    ensure_message_queue();
    let me = alertable::current();
    let pair = events(2, EventReset::Auto, true);
    let flags = MsgWaitFlags::WAIT_ALL;
    assert_eq!(
        msg_wait(&refs(&pair), POLL, POST, flags),
        Ok(WaitStatus::TimedOut)
    );
    assert!(pair.iter().all(Event::is_set), "no input: nothing consumed");
    pair[1].reset();
    me.post_message(user(1)).unwrap();
    assert_eq!(
        msg_wait(
            &refs(&pair),
            POLL,
            POST,
            flags | MsgWaitFlags::INPUT_AVAILABLE
        ),
        Ok(WaitStatus::TimedOut)
    );
    assert!(pair[0].is_set(), "one object missing: nothing consumed");
    pair[1].set();
    assert_eq!(
        msg_wait(&refs(&pair), POLL, POST, flags),
        Ok(WaitStatus::Signaled(0))
    );
    assert!(pair.iter().all(|e| !e.is_set()), "both consumed together");
    assert_eq!(drain_messages(), [user(1)], "the message stays queued");
    // The queue alone, as an all-wait.
    me.post_message(user(2)).unwrap();
    assert_eq!(
        msg_wait(&[], POLL, POST, flags),
        Ok(WaitStatus::Signaled(0))
    );
    drain_messages();
    // The same object twice is an error in an all-wait only.
    let e = &pair[0];
    assert_eq!(
        msg_wait(&[e, e], POLL, POST, flags),
        Err(WaitError::DuplicateObject)
    );
    e.set();
    assert_eq!(
        msg_wait(&[e, e], POLL, POST, NONE),
        Ok(WaitStatus::Signaled(0))
    );
}

/// H82: a thread in a `WAIT_ALL` message wait is released only when the last of its
/// objects and the input are there.
#[test]
fn h82_wait_all_waits_for_objects_and_input() {
    let event = Event::new(EventReset::Manual, false);
    let e = event.clone();
    let (ready, is_ready) = mpsc::channel();
    let (done, is_done) = mpsc::channel();
    let waiter = alertable::spawn(move || {
        ensure_message_queue();
        ready.send(()).unwrap();
        let status = msg_wait(&[&e], LONG, POST, MsgWaitFlags::WAIT_ALL);
        done.send(status).unwrap();
    })
    .unwrap();
    recv(&is_ready);
    wait_until_blocked(waiter.thread().id());
    event.set();
    wait_until_blocked(waiter.thread().id());
    assert!(
        is_done.try_recv().is_err(),
        "the object alone is not enough"
    );
    waiter.thread().post_message(user(1)).unwrap();
    assert_eq!(recv(&is_done), Ok(WaitStatus::Signaled(0)));
    waiter.join().unwrap();
}

// ---------------------------------------------------------------------------------------
// H83: the QS_ masks.

/// H83: the mask values are Win32's, and `ALL_INPUT` is `INPUT | POST_MESSAGE | TIMER |
/// PAINT | HOTKEY | SEND_MESSAGE`; the flags of the Ex form are `MWMO_*`'s.
#[test]
fn h83_mask_and_flag_values() {
    let bits = [
        (QueueStatus::KEY, 0x1),
        (QueueStatus::MOUSE_MOVE, 0x2),
        (QueueStatus::MOUSE_BUTTON, 0x4),
        (QueueStatus::POST_MESSAGE, 0x8),
        (QueueStatus::TIMER, 0x10),
        (QueueStatus::PAINT, 0x20),
        (QueueStatus::SEND_MESSAGE, 0x40),
        (QueueStatus::HOTKEY, 0x80),
        (QueueStatus::ALL_POST_MESSAGE, 0x100),
        (QueueStatus::RAW_INPUT, 0x400),
        (QueueStatus::MOUSE, 0x6),
        (QueueStatus::INPUT, 0x407),
        (QueueStatus::ALL_EVENTS, 0x4bf),
        (QueueStatus::ALL_INPUT, 0x4ff),
    ];
    for (status, value) in bits {
        assert_eq!(status.bits(), value, "{status:?}");
        assert_eq!(QueueStatus::from_bits(value), Some(status));
    }
    assert_eq!(
        QueueStatus::INPUT
            | QueueStatus::POST_MESSAGE
            | QueueStatus::TIMER
            | QueueStatus::PAINT
            | QueueStatus::HOTKEY
            | QueueStatus::SEND_MESSAGE,
        QueueStatus::ALL_INPUT
    );
    assert_eq!(QueueStatus::from_bits(0x200), None);
    assert_eq!(QueueStatus::from_bits(0x1_0000), None);
    assert_eq!(MsgWaitFlags::WAIT_ALL.bits(), 0x1);
    assert_eq!(MsgWaitFlags::ALERTABLE.bits(), 0x2);
    assert_eq!(MsgWaitFlags::INPUT_AVAILABLE.bits(), 0x4);
    assert_eq!(MsgWaitFlags::from_bits(0x8), None);
    assert_eq!(
        format!("{:?}", QueueStatus::POST_MESSAGE | QueueStatus::TIMER),
        "QueueStatus(POST_MESSAGE | TIMER)"
    );
}

/// H83: only posted messages exist here, so only `POST_MESSAGE` and `ALL_POST_MESSAGE`
/// are satisfied (by posted messages and quit requests alike); a mask without them makes
/// the message wait a wait on its objects alone.
#[test]
fn h83_only_the_post_bits_are_satisfied() {
    ensure_message_queue();
    let me = alertable::current();
    me.post_message(user(1)).unwrap();
    let others = QueueStatus::KEY
        | QueueStatus::MOUSE
        | QueueStatus::TIMER
        | QueueStatus::PAINT
        | QueueStatus::SEND_MESSAGE
        | QueueStatus::HOTKEY
        | QueueStatus::RAW_INPUT;
    let available = MsgWaitFlags::INPUT_AVAILABLE;
    assert_eq!(
        msg_wait(&[], POLL, others, available),
        Ok(WaitStatus::TimedOut)
    );
    assert_eq!(
        msg_wait(&[], POLL, QueueStatus::empty(), available),
        Ok(WaitStatus::TimedOut)
    );
    let event = Event::new(EventReset::Manual, true);
    assert_eq!(
        msg_wait(&[&event], POLL, others, available),
        Ok(WaitStatus::Signaled(0))
    );
    for mask in [QueueStatus::POST_MESSAGE, QueueStatus::ALL_POST_MESSAGE] {
        assert_eq!(
            msg_wait(&[], POLL, mask, available),
            Ok(WaitStatus::Signaled(0))
        );
    }
    drain_messages();
    post_quit_message(0);
    assert_eq!(
        msg_wait(&[], POLL, QueueStatus::ALL_POST_MESSAGE, NONE),
        Ok(WaitStatus::Signaled(0)),
        "a quit request is posted input"
    );
    assert_eq!(get_message(), GetMessage::Quit(0));
}

// ---------------------------------------------------------------------------------------
// The queue: existence, order, quit, limit.

/// A thread has no queue until it calls a message function: posting to a thread created
/// suspended fails with `ERROR_INVALID_THREAD_ID` (1444) — the start-up race — and succeeds
/// once the thread has created its queue.
#[test]
fn no_queue_before_the_first_message_call() {
    let (ready, is_ready) = mpsc::channel();
    let worker = Builder::new()
        .suspended(true)
        .spawn(move || {
            ensure_message_queue();
            ready.send(()).unwrap();
            (get_message(), get_message())
        })
        .unwrap();
    let error = post_thread_message(worker.thread(), user(1)).unwrap_err();
    assert_eq!(error, PostMessageError::NoQueue);
    assert_eq!(error.win32_error(), 1444);
    assert_eq!(worker.thread().resume(), Ok(1));
    recv(&is_ready);
    post_thread_message(worker.thread(), user(2)).unwrap();
    worker.thread().post_message(Message::quit(4)).unwrap();
    assert_eq!(
        worker.join().unwrap(),
        (GetMessage::Message(user(2)), GetMessage::Quit(4)),
        "the refused message was never queued"
    );
}

/// A running thread that has not called a message function has no queue either; posting
/// to the calling thread creates the caller's own queue (posting is a message call).
#[test]
fn queue_exists_once_the_thread_calls_a_message_function() {
    let (go, gate) = mpsc::channel::<()>();
    let (ready, is_ready) = mpsc::channel();
    let worker = alertable::spawn(move || {
        ready.send(()).unwrap();
        gate.recv().unwrap();
        // Posting to oneself is a message call: it creates the queue it posts to.
        post_thread_message(&alertable::current(), user(9)).unwrap();
        ready.send(()).unwrap();
        (get_message(), get_message())
    })
    .unwrap();
    recv(&is_ready);
    assert_eq!(
        worker.thread().post_message(user(1)),
        Err(PostMessageError::NoQueue),
        "running, but no message call yet"
    );
    go.send(()).unwrap();
    recv(&is_ready);
    worker.thread().post_message(user(10)).unwrap();
    assert_eq!(
        worker.join().unwrap(),
        (GetMessage::Message(user(9)), GetMessage::Message(user(10)))
    );
}

/// Posting to a thread that has exited fails with `ERROR_INVALID_THREAD_ID`; the messages
/// it left unread are gone with it.
#[test]
fn exited_thread_has_no_queue() {
    let worker = alertable::spawn(ensure_message_queue).unwrap();
    let thread = worker.thread().clone();
    worker.join().unwrap();
    assert!(thread.is_finished());
    assert_eq!(thread.post_message(user(1)), Err(PostMessageError::NoQueue));

    let (ready, is_ready) = mpsc::channel();
    let (go, gate) = mpsc::channel::<()>();
    let worker = alertable::spawn(move || {
        ensure_message_queue();
        ready.send(()).unwrap();
        gate.recv().unwrap();
    })
    .unwrap();
    recv(&is_ready);
    worker.thread().post_message(user(2)).unwrap();
    let thread = worker.thread().clone();
    go.send(()).unwrap();
    worker.join().unwrap();
    assert_eq!(thread.post_message(user(3)), Err(PostMessageError::NoQueue));
}

/// Messages are retrieved in the order posted; a quit request comes after every posted
/// message, even those posted after it, and `PM_NOREMOVE` leaves it in place.
#[test]
fn posted_messages_then_the_quit_request() {
    let me = alertable::current();
    post_quit_message(0xbeef);
    let quit = peek_message(PeekRemove::No).unwrap();
    assert_eq!((quit.id, quit.quit_code()), (Message::QUIT, Some(0xbeef)));
    for n in 1..=3 {
        me.post_message(user(n)).unwrap();
    }
    for n in 1..=3 {
        assert_eq!(get_message(), GetMessage::Message(user(n)));
    }
    assert_eq!(get_message(), GetMessage::Quit(0xbeef));
    assert_eq!(
        peek_message(PeekRemove::Yes),
        None,
        "the quit request is gone"
    );
    // A second request replaces the first one's code.
    post_quit_message(1);
    post_quit_message(-2);
    assert_eq!(get_message(), GetMessage::Quit(-2));
    assert_eq!(peek_message(PeekRemove::No), None);
}

/// A posted `WM_QUIT` is an ordinary posted message: it keeps its place in the order, and
/// `get_message` reports it as `Quit` with the code from `wparam`.
#[test]
fn posted_quit_message_keeps_its_place() {
    let me = alertable::current();
    ensure_message_queue();
    me.post_message(Message::quit(0xdead)).unwrap();
    me.post_message(user(1)).unwrap();
    assert_eq!(get_message(), GetMessage::Quit(0xdead));
    assert_eq!(get_message(), GetMessage::Message(user(1)));
    assert_eq!(Message::quit(-1).quit_code(), Some(-1));
    assert_eq!(user(1).quit_code(), None);
}

/// A queue holds at most 10,000 posted messages; the next post fails with
/// `ERROR_NOT_ENOUGH_QUOTA` (1816) and is not queued; removing one makes room.
#[test]
fn queue_holds_at_most_ten_thousand_messages() {
    ensure_message_queue();
    let me = alertable::current();
    assert_eq!(POSTED_MESSAGE_LIMIT, 10_000);
    for n in 0..POSTED_MESSAGE_LIMIT {
        me.post_message(user(n)).unwrap();
    }
    let error = me.post_message(user(usize::MAX)).unwrap_err();
    assert_eq!(error, PostMessageError::QueueFull);
    assert_eq!(error.win32_error(), 1816);
    assert_eq!(get_message(), GetMessage::Message(user(0)));
    me.post_message(user(POSTED_MESSAGE_LIMIT)).unwrap();
    let rest = drain_messages();
    assert_eq!(rest.len(), POSTED_MESSAGE_LIMIT);
    assert!(rest.iter().map(|m| m.wparam).eq(1..=POSTED_MESSAGE_LIMIT));
}

/// `get_message` waits for a message posted by another thread, and is not alertable: an
/// APC queued while it waits neither runs nor ends the wait (B19's rule).
#[test]
fn get_message_waits_and_runs_no_apcs() {
    let ran = counter();
    let r = ran.clone();
    let (ready, is_ready) = mpsc::channel();
    let worker = alertable::spawn(move || {
        ensure_message_queue();
        ready.send(()).unwrap();
        let got = get_message();
        let ran_in_get = r.load(Ordering::SeqCst);
        (got, ran_in_get, sleep_ex(POLL, Alertable::Yes))
    })
    .unwrap();
    recv(&is_ready);
    wait_until_blocked(worker.thread().id());
    worker.thread().queue_apc(bump(&ran)).unwrap();
    wait_until_blocked(worker.thread().id());
    worker.thread().post_message(user(5)).unwrap();
    let (got, ran_in_get, after) = worker.join().unwrap();
    assert_eq!(got, GetMessage::Message(user(5)));
    assert_eq!(ran_in_get, 0);
    assert_eq!(after, SleepStatus::Alerted);
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

/// Several threads post to one queue: every message arrives once, each poster's in its
/// order.
#[test]
fn several_posters_one_queue() {
    const POSTERS: usize = 4;
    const EACH: usize = 500;
    let (ready, is_ready) = mpsc::channel();
    let reader = alertable::spawn(move || {
        ensure_message_queue();
        ready.send(()).unwrap();
        let mut next = [0usize; POSTERS];
        let mut quits = 0;
        while quits < POSTERS {
            match get_message() {
                GetMessage::Message(m) => {
                    let poster = m.lparam as usize;
                    assert_eq!(m.wparam, next[poster], "poster {poster} out of order");
                    next[poster] += 1;
                }
                GetMessage::Quit(_) => quits += 1,
            }
        }
        next
    })
    .unwrap();
    recv(&is_ready);
    let posters: Vec<_> = (0..POSTERS)
        .map(|p| {
            let target = reader.thread().clone();
            std::thread::spawn(move || {
                for n in 0..EACH {
                    target
                        .post_message(Message::new(Message::USER, n, p as isize))
                        .unwrap();
                }
                target.post_message(Message::quit(0)).unwrap();
            })
        })
        .collect();
    for p in posters {
        p.join().unwrap();
    }
    assert_eq!(reader.join().unwrap(), [EACH; POSTERS]);
}
