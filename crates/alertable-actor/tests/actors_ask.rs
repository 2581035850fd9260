//! Request and reply: `ask` returns a `Reply` whose wait can time out, be alertable (an
//! APC to the asker ends it early, the answer stays), and learns when no answer will come.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use alertable::{Alertable, WaitStatus, wait_any};
use alertable_actor::{Reply, ReplyError, StopMode};
use common::{Cmd, PATIENCE, block, recorder};

#[test]
fn ask_returns_the_answer() {
    let (actor, _) = recorder("answers");
    actor.send(Cmd::Record(4)).unwrap();
    let mut reply = actor.ask(Cmd::Report).unwrap();
    assert_eq!(reply.wait(Some(PATIENCE), Alertable::No), Ok(vec![4]));
    assert!(reply.is_ready());
    assert_eq!(
        reply.wait(Some(PATIENCE), Alertable::No),
        Err(ReplyError::AlreadyReceived)
    );
    actor.stop(StopMode::Drain);
    actor.join().unwrap();
}

#[test]
fn many_askers_get_their_own_answers() {
    let (actor, _) = recorder("many-askers");
    let askers: Vec<_> = (0..4)
        .map(|_| {
            let actor = actor.clone();
            std::thread::spawn(move || {
                for _ in 0..500 {
                    let (reply_to, mut reply) = Reply::pair();
                    actor.send(Cmd::WhoSent(reply_to)).unwrap();
                    assert_eq!(reply.wait(Some(PATIENCE), Alertable::No), Ok((None, None)));
                }
            })
        })
        .collect();
    for asker in askers {
        asker.join().unwrap();
    }
    actor.stop(StopMode::Drain);
    assert_eq!(actor.join().unwrap().handled, 2000);
}

#[test]
fn a_reply_wait_times_out_then_succeeds() {
    let (actor, _) = recorder("slow");
    let open = block(&actor);
    let mut reply = actor.ask(Cmd::Report).unwrap();
    assert_eq!(
        reply.wait(Some(Duration::from_millis(5)), Alertable::No),
        Err(ReplyError::TimedOut)
    );
    assert_eq!(
        reply.wait(Some(Duration::ZERO), Alertable::No),
        Err(ReplyError::TimedOut)
    );
    drop(open);
    assert_eq!(reply.wait(Some(PATIENCE), Alertable::No), Ok(vec![]));
    actor.stop(StopMode::Drain);
    actor.join().unwrap();
}

#[test]
fn an_alertable_reply_wait_runs_the_askers_apcs() {
    let (actor, _) = recorder("alertable-ask");
    let open = block(&actor);
    let mut reply = actor.ask(Cmd::Report).unwrap();
    let (ran, has_run) = mpsc::channel();
    alertable::current()
        .queue_apc(move || ran.send(alertable::current().id()).unwrap())
        .unwrap();
    // Not alertable: the APC waits.
    assert_eq!(
        reply.wait(Some(Duration::ZERO), Alertable::No),
        Err(ReplyError::TimedOut)
    );
    assert!(has_run.try_recv().is_err());
    // Alertable: the APC runs, here, and ends the wait; the answer is still to come.
    assert_eq!(reply.wait(None, Alertable::Yes), Err(ReplyError::Alerted));
    assert_eq!(has_run.try_recv(), Ok(alertable::current().id()));
    drop(open);
    assert_eq!(reply.wait(None, Alertable::Yes), Ok(vec![]));
    actor.stop(StopMode::Drain);
    actor.join().unwrap();
}

#[test]
fn a_dropped_request_ends_the_wait_with_no_reply() {
    let (actor, _) = recorder("drops-requests");
    let open = block(&actor);
    let mut reply = actor.ask(Cmd::Report).unwrap();
    actor.stop(StopMode::Now);
    drop(open);
    assert_eq!(
        reply.wait(Some(PATIENCE), Alertable::Yes),
        Err(ReplyError::NoReply)
    );
    assert_eq!(ReplyError::NoReply.win32_error(), 109);
    actor.join().unwrap();
    // A stopped actor refuses the request and hands it back.
    assert!(actor.ask(Cmd::Report).is_err());
}

#[test]
fn replies_can_be_waited_on_together() {
    let (first, _) = recorder("first");
    let (second, _) = recorder("second");
    let open = block(&first);
    let slow = first.ask(Cmd::Report).unwrap();
    let mut fast = second.ask(Cmd::Report).unwrap();
    let objects: [&dyn alertable::Waitable; 2] = [slow.event(), fast.event()];
    assert_eq!(
        wait_any(&objects, Some(PATIENCE), Alertable::No),
        Ok(WaitStatus::Signaled(1))
    );
    assert_eq!(fast.wait(Some(Duration::ZERO), Alertable::No), Ok(vec![]));
    drop(open);
    for actor in [first, second] {
        actor.stop(StopMode::Drain);
        actor.join().unwrap();
    }
}
