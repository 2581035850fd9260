//! Request and reply: [`ReplyTo`], the answering half carried inside a message, and
//! [`Reply`], the asker's half, waited on like any object — alertably if one likes.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use alertable::{Alertable, Event, EventReset, WaitStatus, wait_one};

/// Where the answer is, as the slot sees it.
enum Answer<R> {
    Waiting,
    Ready(R),
    /// The `ReplyTo` was dropped unanswered.
    NoReply,
    /// A wait already took the answer.
    Taken,
}

/// The place the answer is left, and the event that announces it.
struct Slot<R> {
    answer: Mutex<Answer<R>>,
    /// Set with the event; lets a waiter that is still running see the answer without a
    /// wait on the event.
    ready: AtomicBool,
    /// Manual-reset: set once, when the answer (or its absence) is known.
    event: Event,
}

impl<R> Slot<R> {
    fn settle(&self, answer: Answer<R>) {
        *self.answer.lock().unwrap_or_else(PoisonError::into_inner) = answer;
        self.ready.store(true, Ordering::Release);
        self.event.set();
    }
}

/// A new request's two halves.
pub(crate) fn pair<R>() -> (ReplyTo<R>, Reply<R>) {
    let slot = Arc::new(Slot {
        answer: Mutex::new(Answer::Waiting),
        ready: AtomicBool::new(false),
        event: Event::new(EventReset::Manual, false),
    });
    (
        ReplyTo {
            slot: Some(slot.clone()),
        },
        Reply { slot },
    )
}

/// The answering half of a request made with [`ActorRef::ask`](crate::ActorRef::ask):
/// put it in the message, and the actor answers through it.
///
/// Answering never blocks. Dropping it unanswered tells the asker that no answer will
/// come ([`ReplyError::NoReply`]).
///
/// # Examples
///
/// See [`ActorRef`](crate::ActorRef).
///
/// # Win32
///
/// `ReplyMessage`: the receiver of a user32 `SendMessage` answering its caller.
pub struct ReplyTo<R> {
    slot: Option<Arc<Slot<R>>>,
}

impl<R> ReplyTo<R> {
    /// Answers the request and wakes the asker.
    ///
    /// # Win32
    ///
    /// `ReplyMessage(value)`.
    pub fn send(mut self, value: R) {
        if let Some(slot) = self.slot.take() {
            slot.settle(Answer::Ready(value));
        }
    }
}

impl<R> Drop for ReplyTo<R> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            slot.settle(Answer::NoReply);
        }
    }
}

impl<R> fmt::Debug for ReplyTo<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyTo").finish_non_exhaustive()
    }
}

/// The asker's half of a request: wait on it for the answer.
///
/// # Examples
///
/// An alertable wait for the answer runs the APCs queued to the waiting thread, and ends
/// early when one does; the answer is still there for the next wait.
///
/// ```
/// use alertable::Alertable;
/// use alertable_actor::{Actor, Context, Envelope, Options, ReplyError, ReplyTo, StopMode};
/// use std::sync::mpsc;
///
/// struct Echo(mpsc::Receiver<()>);
///
/// impl Actor for Echo {
///     type Message = (u32, ReplyTo<u32>);
///     type Error = std::convert::Infallible;
///     fn on_message(&mut self, _: &mut Context<Self::Message>, envelope: Envelope<Self::Message>) {
///         let (value, reply) = envelope.message;
///         self.0.recv().unwrap(); // hold the answer back until told
///         reply.send(value);
///     }
/// }
///
/// let (go, gate) = mpsc::channel();
/// let echo = alertable_actor::spawn("echo", Echo(gate), Options::default()).unwrap();
/// let mut reply = echo.ask(|reply_to| (5, reply_to)).unwrap();
///
/// alertable::current().queue_apc(|| println!("an APC to the asker")).unwrap();
/// assert_eq!(reply.wait(None, Alertable::Yes), Err(ReplyError::Alerted));
/// go.send(()).unwrap();
/// assert_eq!(reply.wait(None, Alertable::Yes), Ok(5));
/// assert_eq!(reply.wait(None, Alertable::Yes), Err(ReplyError::AlreadyReceived));
/// echo.stop(StopMode::Now);
/// echo.join().unwrap();
/// ```
///
/// # Win32
///
/// The wait inside user32's `SendMessage`; here it is an ordinary event wait, so it can
/// be alertable, have a timeout, or join a [`wait_any`](alertable::wait_any) through
/// [`event`](Self::event).
pub struct Reply<R> {
    slot: Arc<Slot<R>>,
}

impl<R> Reply<R> {
    /// A new request's two halves, for a request sent some other way than
    /// [`ActorRef::ask`](crate::ActorRef::ask): with a message id, say, or passed along by
    /// another actor.
    ///
    /// # Examples
    ///
    /// ```
    /// use alertable::Alertable;
    /// use alertable_actor::Reply;
    ///
    /// let (reply_to, mut reply) = Reply::pair();
    /// std::thread::spawn(move || reply_to.send("done"));
    /// assert_eq!(reply.wait(None, Alertable::No), Ok("done"));
    /// ```
    pub fn pair() -> (ReplyTo<R>, Self) {
        pair()
    }

    /// Waits for the answer for up to `timeout` (`None`: as long as it takes), running
    /// APCs if `alertable` is [`Alertable::Yes`].
    ///
    /// # Errors
    ///
    /// - [`ReplyError::TimedOut`], [`ReplyError::Alerted`]: no answer yet; wait again.
    /// - [`ReplyError::NoReply`]: the request was dropped unanswered; none will come.
    /// - [`ReplyError::AlreadyReceived`]: an earlier wait returned the answer.
    ///
    /// # Panics
    ///
    /// A panic in an APC run by an alertable wait unwinds out of this call, as from any
    /// alertable wait.
    ///
    /// # Win32
    ///
    /// `WaitForSingleObjectEx(reply_event, timeout, alertable)`, then reading the answer.
    pub fn wait(
        &mut self,
        timeout: Option<Duration>,
        alertable: Alertable,
    ) -> Result<R, ReplyError> {
        let started = Instant::now();
        if !self.spin_for_answer(timeout) {
            let left = timeout.map(|t| t.saturating_sub(started.elapsed()));
            match wait_one(&self.slot.event, left, alertable) {
                Ok(WaitStatus::Signaled(_) | WaitStatus::Abandoned(_)) => {}
                Ok(WaitStatus::Alerted | WaitStatus::ThreadAlerted) => {
                    return Err(ReplyError::Alerted);
                }
                Ok(WaitStatus::TimedOut) => return Err(ReplyError::TimedOut),
                Err(error) => unreachable!("a wait on one event failed: {error}"),
            }
        }
        let mut answer = self
            .slot
            .answer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match std::mem::replace(&mut *answer, Answer::Taken) {
            Answer::Ready(value) => Ok(value),
            Answer::NoReply => {
                *answer = Answer::NoReply;
                Err(ReplyError::NoReply)
            }
            Answer::Taken => Err(ReplyError::AlreadyReceived),
            Answer::Waiting => unreachable!("the event is set only with the answer"),
        }
    }

    /// Watches for the answer for a moment before the wait goes to sleep, as an alertable
    /// wait watches its queue (`alertable::watch_before_sleeping`): an answer from a
    /// running actor usually comes sooner than a wake-up would.
    #[inline]
    fn spin_for_answer(&self, timeout: Option<Duration>) -> bool {
        let ready = || self.slot.ready.load(Ordering::Acquire);
        if timeout == Some(Duration::ZERO) {
            return ready();
        }
        alertable::watch_before_sleeping(ready)
    }

    /// Whether the answer (or the news that none will come) has arrived.
    pub fn is_ready(&self) -> bool {
        self.slot.ready.load(Ordering::Acquire)
    }

    /// The manual-reset event set when the answer (or the news that none will come)
    /// arrives, for waiting on several things at once with
    /// [`wait_any`](alertable::wait_any). Take the answer with [`wait`](Self::wait)
    /// afterwards.
    pub fn event(&self) -> &Event {
        &self.slot.event
    }
}

impl<R> fmt::Debug for Reply<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("ready", &self.is_ready())
            .finish_non_exhaustive()
    }
}

/// Why [`Reply::wait`] returned no answer.
///
/// # Win32
///
/// The outcomes of the wait inside user32's `SendMessageTimeout`; see each variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplyError {
    /// The timeout passed first. Win32: `WAIT_TIMEOUT` (258).
    TimedOut,
    /// An APC ran during the alertable wait, which ended early. Win32:
    /// `WAIT_IO_COMPLETION` (192). Also when the thread was alerted
    /// ([`alertable::alert_thread`]), which ends an alertable wait the same way (NT:
    /// `STATUS_ALERTED`).
    Alerted,
    /// The request was dropped unanswered: the actor stopped without handling it, or its
    /// handler dropped the [`ReplyTo`]. Win32: `ERROR_BROKEN_PIPE` (109), the writer went
    /// away.
    NoReply,
    /// An earlier wait already returned the answer. Win32: `ERROR_INVALID_HANDLE` (6).
    AlreadyReceived,
}

impl ReplyError {
    /// The Win32 code this corresponds to.
    pub fn win32_error(self) -> u32 {
        match self {
            Self::TimedOut => 258,
            Self::Alerted => 192,
            Self::NoReply => 109,
            Self::AlreadyReceived => 6,
        }
    }
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TimedOut => "no answer before the timeout",
            Self::Alerted => "an APC ended the wait for the answer",
            Self::NoReply => "the request was dropped unanswered",
            Self::AlreadyReceived => "the answer was already received",
        })
    }
}

impl std::error::Error for ReplyError {}
