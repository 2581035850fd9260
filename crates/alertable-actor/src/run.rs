//! The actor's thread: start-up, the loop, and the way out.
//!
//! ```text
//!   start ── publish ── on_start ──┬── Err / panic ──> close Now, drop what came,
//!                                  │                   leave the registry, report failure
//!                                  └── Ok ──> report Started
//!   loop:   stop requested?            ──> finish
//!           envelope in the mailbox?   ──> on_message (panic ──> on_error)
//!           accepted but not pushed?   ──> snooze, retry          (M1)
//!           a message or stop during the watch (a short spin)? ──> loop
//!           announce IDLE (M3), sleep_ex(idle time left, Alertable::Yes):
//!               Elapsed ──> on_idle;  Alerted (a wake, or APCs of one's own) ──> loop
//!   finish: until every accepted envelope is accounted for (M2):
//!           Drain ──> on_message;  Now ──> drop and count
//!           leave the registry, write the record, drop the actor
//! ```
//!
//! Every call into the actor goes through `catch_unwind`; the loop itself does not
//! panic, so the record is always written before the thread ends.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::Instant;

use alertable::{Alertable, SleepStatus, sleep_ex};
use crossbeam_utils::Backoff;

use crate::actor::{Actor, Failure, Flow, Handler};
use crate::actor_ref::{ActorRef, Shared};
use crate::context::Context;
use crate::envelope::{ActorId, Envelope};
use crate::mailbox::{Queue, Remaining};
use crate::registry;
use crate::spawn::{Options, StartReport};
use crate::stop::{StopMode, StopReason, Stopped};

/// The body of an actor's thread.
pub(crate) fn run<A: Actor>(
    name: Box<str>,
    actor: A,
    options: Options,
    report: mpsc::SyncSender<StartReport<A::Message, A::Error>>,
) {
    let thread = alertable::current();
    // A thread id is never 0; if it were, dropping `report` tells the spawner.
    let Some(id) = ActorId::from_thread_id(thread.id()) else {
        return;
    };
    id.enter();
    let shared = Arc::new(Shared {
        id,
        name,
        mailbox: Queue::new(options.mailbox, thread),
        stopped: Mutex::new(None),
    });
    let myself = ActorRef::new(shared);
    let mut runner = Runner {
        actor,
        ctx: Context::new(myself.clone(), options.idle_period),
        handled: 0,
        dropped: 0,
        panics: 0,
        taken: 0,
        error_handler_panicked: false,
    };

    // Visible from now on, so that actors `on_start` writes to can answer; what they send
    // waits in the mailbox until `on_start` is over.
    registry::publish(&myself);
    let started = match runner.call(|actor, ctx| actor.on_start(ctx)) {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(StartReport::Refused(error)),
        Err(payload) => {
            let failure = Failure::new(Handler::Start, payload, None, None);
            let text = failure.to_string();
            // Whatever it answers, a failed start ends the actor.
            if let Err(payload) = runner.call(|actor, ctx| actor.on_error(ctx, failure)) {
                alertable::discard_panic(payload);
            }
            Some(StartReport::Panicked(text))
        }
    };
    if let Some(failed) = started {
        // Refuse more messages, and drop those that came during `on_start`.
        myself.close(StopMode::Now);
        let stopped = runner.finish(StopReason::StartFailed);
        registry::remove(id);
        runner.leave(stopped);
        let _ = report.send(failed);
        return;
    }

    // The spawner waits for this; a send can only fail if it is gone, which it is not.
    let _ = report.send(StartReport::Started(myself.clone()));
    drop(report);
    let stopped = runner.serve();
    registry::remove(id);
    runner.leave(stopped);
}

/// The actor and its bookkeeping, on its thread.
struct Runner<A: Actor> {
    actor: A,
    ctx: Context<A::Message>,
    handled: u64,
    dropped: u64,
    panics: u64,
    /// Envelopes popped from an unbounded mailbox and not yet released.
    taken: usize,
    error_handler_panicked: bool,
}

impl<A: Actor> Runner<A> {
    fn mailbox(&self) -> &Queue<A::Message> {
        &self.ctx.handle().shared().mailbox
    }

    /// Calls into the actor, catching a panic.
    #[inline]
    fn call<R>(
        &mut self,
        f: impl FnOnce(&mut A, &mut Context<A::Message>) -> R,
    ) -> Result<R, Box<dyn Any + Send>> {
        // The actor's state after a panic is whatever the handler left; `on_error` decides
        // whether to go on with it, which is the point of catching.
        panic::catch_unwind(AssertUnwindSafe(|| f(&mut self.actor, &mut self.ctx)))
    }

    /// The loop: messages, idle time-outs, and the APCs queued to this thread, until a
    /// stop is requested.
    fn serve(&mut self) -> Stopped {
        let mut idle_deadline = None::<Instant>;
        let mut restart_idle = true;
        let backoff = Backoff::new();
        loop {
            if let Some(reason) = self.stop_reason() {
                return self.finish(reason);
            }
            if let Some(envelope) = self.mailbox().pop() {
                self.taken += 1;
                self.deliver(envelope);
                restart_idle = true;
                backoff.reset();
                continue;
            }
            let taken = std::mem::take(&mut self.taken);
            if self.mailbox().release(taken) == Remaining::InFlight {
                // A sender reserved a place and is pushing into it (M1).
                backoff.snooze();
                continue;
            }
            if self.spin_for_mail() {
                continue;
            }
            let timeout = match self.ctx.idle_period() {
                None => None,
                Some(period) => {
                    let now = Instant::now();
                    if std::mem::take(&mut restart_idle) | self.ctx.take_idle_changed() {
                        idle_deadline = now.checked_add(period);
                    }
                    idle_deadline.map(|deadline| deadline.saturating_duration_since(now))
                }
            };
            if !self.mailbox().try_idle() {
                // A message was accepted, or a stop requested, since the last look.
                continue;
            }
            let status = sleep_ex(timeout, Alertable::Yes);
            self.mailbox().end_idle();
            if status == SleepStatus::Elapsed && timeout.is_some() {
                self.idle();
                restart_idle = true;
            }
        }
    }

    /// Watches the mailbox for a moment before announcing sleep, as an alertable wait
    /// watches its queue (`alertable::watch_before_sleeping`, which learns from its recent
    /// success whether spinning pays on this thread): a message from a running sender
    /// usually comes sooner than a wake-up would, and a message that finds the actor not
    /// yet idle costs its sender no wake APC.
    #[inline]
    fn spin_for_mail(&mut self) -> bool {
        let mailbox = &self.ctx.handle().shared().mailbox;
        alertable::watch_before_sleeping(|| mailbox.has_news())
    }

    /// Why the actor must stop now, if it must.
    #[inline]
    fn stop_reason(&self) -> Option<StopReason> {
        let mode = self.mailbox().stop_requested()?;
        Some(if self.error_handler_panicked {
            StopReason::ErrorHandlerPanicked
        } else if let Some(own) = self.ctx.stop_requested() {
            StopReason::Itself(own.max(mode))
        } else {
            StopReason::Requested(mode)
        })
    }

    /// Hands one envelope to `on_message`.
    #[inline]
    fn deliver(&mut self, envelope: Envelope<A::Message>) {
        let (id, sender) = (envelope.id, envelope.sender);
        self.handled += 1;
        if let Err(payload) = self.call(|actor, ctx| actor.on_message(ctx, envelope)) {
            self.fail(Failure::new(Handler::Message, payload, id, sender));
        }
    }

    /// Runs `on_idle`.
    fn idle(&mut self) {
        match self.call(|actor, ctx| actor.on_idle(ctx)) {
            Ok(Flow::Continue) => {}
            Ok(Flow::Stop(mode)) => self.ctx.stop(mode),
            Err(payload) => self.fail(Failure::new(Handler::Idle, payload, None, None)),
        }
    }

    /// Passes a handler's panic to `on_error`, and acts on its answer.
    #[cold]
    fn fail(&mut self, failure: Failure) {
        self.panics += 1;
        match self.call(|actor, ctx| actor.on_error(ctx, failure)) {
            Ok(Flow::Continue) => {}
            Ok(Flow::Stop(mode)) => self.ctx.stop(mode),
            Err(payload) => {
                alertable::discard_panic(payload);
                self.error_handler_panicked = true;
                self.ctx.handle().close(StopMode::Now);
            }
        }
    }

    /// Accounts for every envelope the mailbox accepted (M2) — handling it while the mode
    /// is `Drain`, dropping it once it is `Now` — and returns the record.
    fn finish(&mut self, first: StopReason) -> Stopped {
        let backoff = Backoff::new();
        loop {
            match self.mailbox().pop() {
                Some(envelope) => {
                    self.taken += 1;
                    if self.mailbox().stop_requested() == Some(StopMode::Drain)
                        && !self.error_handler_panicked
                    {
                        self.deliver(envelope);
                    } else {
                        self.dropped += 1;
                        drop_quietly(envelope);
                    }
                }
                None => {
                    let taken = std::mem::take(&mut self.taken);
                    match self.mailbox().release(taken) {
                        Remaining::Empty => break,
                        Remaining::InFlight => backoff.snooze(),
                    }
                }
            }
        }
        // A handler run while draining may have escalated the stop.
        let reason = match (first, self.stop_reason()) {
            (StopReason::StartFailed, _) | (_, None) => first,
            (_, Some(now)) => now,
        };
        Stopped {
            reason,
            handled: self.handled,
            dropped: self.dropped,
            panics: self.panics,
        }
    }

    /// Writes the record and drops the actor, ending its part in the thread.
    fn leave(self, stopped: Stopped) {
        let shared = &self.ctx.handle().shared().stopped;
        *shared.lock().unwrap_or_else(PoisonError::into_inner) = Some(stopped);
        // The actor's destructor is its code too: a panic there stays on this thread.
        drop_quietly(self.actor);
    }
}

/// Drops `value`, containing a panic from its destructor: the panic's payload is dropped
/// too, and leaked only if dropping it panics again.
fn drop_quietly<T>(value: T) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(move || drop(value))) {
        alertable::discard_panic(payload);
    }
}
