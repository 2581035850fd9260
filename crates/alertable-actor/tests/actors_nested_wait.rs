//! A handler may wait alertably — here for a completion routine, delivered as an APC to
//! the actor's thread — while messages keep arriving: the routine runs inside the
//! handler's wait, the messages neither end that wait nor re-enter the handler, and they
//! are all handled afterwards, in order.

mod common;

use std::cell::Cell;
use std::convert::Infallible;
use std::sync::mpsc;
use std::time::Duration;

use alertable::{Alertable, DueTime, SleepStatus, TimerReset, WaitableTimer, sleep_ex};
use alertable_actor::{Actor, Context, Envelope, Options, StopMode};
use common::{PATIENCE, unique};

enum Msg {
    /// Start an "operation" and wait alertably for its completion routine.
    Operate,
    /// Arm a timer whose routine completes the operation, then wait for it alertably.
    Timer,
    Item(u64),
}

struct Waiter {
    /// Tells the test the handler is about to wait.
    waiting: mpsc::Sender<()>,
    /// What the handler saw: the statuses of its `sleep_ex` calls, the items in order.
    statuses: Vec<SleepStatus>,
    items: Vec<u64>,
    in_handler: bool,
    report: mpsc::Sender<Seen>,
}

/// What a [`Waiter`] saw, reported when it is dropped.
type Seen = (Vec<SleepStatus>, Vec<u64>);

thread_local! {
    /// On the actor's thread: set by the completion routine.
    static COMPLETED: Cell<bool> = const { Cell::new(false) };
}

impl Waiter {
    /// Waits alertably until the completion routine has run, as a Win32 program waits
    /// for its I/O completion routines.
    fn wait_for_completion(&mut self) {
        while !COMPLETED.get() {
            self.statuses.push(sleep_ex(Some(PATIENCE), Alertable::Yes));
        }
        COMPLETED.set(false);
    }
}

impl Actor for Waiter {
    type Message = Msg;
    type Error = Infallible;

    fn on_message(&mut self, _: &mut Context<Msg>, envelope: Envelope<Msg>) {
        assert!(!self.in_handler, "a handler was re-entered");
        self.in_handler = true;
        match envelope.message {
            Msg::Operate => {
                self.waiting.send(()).unwrap();
                self.wait_for_completion();
            }
            Msg::Timer => {
                let timer = WaitableTimer::new(TimerReset::Manual);
                timer.set_with_routine(DueTime::After(Duration::from_millis(1)), None, |_| {
                    COMPLETED.set(true);
                });
                self.waiting.send(()).unwrap();
                self.wait_for_completion();
            }
            Msg::Item(n) => self.items.push(n),
        }
        self.in_handler = false;
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        let _ = self.report.send((
            std::mem::take(&mut self.statuses),
            std::mem::take(&mut self.items),
        ));
    }
}

fn waiter() -> (
    alertable_actor::ActorRef<Msg>,
    mpsc::Receiver<()>,
    mpsc::Receiver<Seen>,
) {
    let (waiting, is_waiting) = mpsc::channel();
    let (report, reported) = mpsc::channel();
    let actor = Waiter {
        waiting,
        statuses: Vec::new(),
        items: Vec::new(),
        in_handler: false,
        report,
    };
    let actor = alertable_actor::spawn(&unique("waiter"), actor, Options::default()).unwrap();
    (actor, is_waiting, reported)
}

#[test]
fn messages_arriving_during_a_handlers_alertable_wait_wait_their_turn() {
    let (actor, is_waiting, reported) = waiter();
    actor.send(Msg::Item(0)).unwrap();
    actor.send(Msg::Operate).unwrap();
    is_waiting.recv_timeout(PATIENCE).unwrap();
    // The handler is in (or about to enter) its alertable wait: flood the mailbox.
    for n in 1..=1000 {
        actor.send(Msg::Item(n)).unwrap();
    }
    // Complete the "operation": its routine is an APC to the actor's thread.
    actor.thread().queue_apc(|| COMPLETED.set(true)).unwrap();
    actor.send(Msg::Item(1001)).unwrap();
    actor.stop(StopMode::Drain);
    let stopped = actor.join().unwrap();
    assert_eq!(stopped.handled, 1003);
    let (statuses, items) = reported.recv().unwrap();
    // One wake-up: the routine's. A thousand messages did not end the wait.
    assert_eq!(statuses, [SleepStatus::Alerted]);
    assert_eq!(items, (0..=1001).collect::<Vec<_>>());
}

#[test]
fn a_timer_completion_routine_runs_inside_the_handlers_wait() {
    let (actor, is_waiting, reported) = waiter();
    actor.send(Msg::Timer).unwrap();
    is_waiting.recv_timeout(PATIENCE).unwrap();
    for n in 0..100 {
        actor.send(Msg::Item(n)).unwrap();
    }
    actor.stop(StopMode::Drain);
    actor.join().unwrap();
    let (statuses, items) = reported.recv().unwrap();
    assert_eq!(statuses.last(), Some(&SleepStatus::Alerted));
    assert!(
        statuses[..statuses.len() - 1]
            .iter()
            .all(|s| *s == SleepStatus::Elapsed),
        "only the routine alerts the wait: {statuses:?}"
    );
    assert_eq!(items, (0..100).collect::<Vec<_>>());
}
