//! Actors on alertable threads.
//!
//! An actor is a value implementing [`Actor`], owned by a thread of its own. The thread
//! sits in an alertable wait — `sleep_ex(idle_period, Alertable::Yes)` — and wakes for
//! three things: a message in its mailbox, the idle period passing with no message, or an
//! APC queued to it. Each has its handler, run on that thread, one at a time:
//!
//! | event                                    | handler                   | Win32 / the seed's model            |
//! |------------------------------------------|---------------------------|-------------------------------------|
//! | the thread starts                        | [`Actor::on_start`]       | the start-up handler; `CreateActor` waits for it |
//! | a message arrives                        | [`Actor::on_message`]     | an APC ran; `SleepEx` returned `WAIT_IO_COMPLETION` |
//! | the idle period passes                   | [`Actor::on_idle`]        | `SleepEx` returned 0                |
//! | a handler panics                         | [`Actor::on_error`]       | the exception handler of the loop   |
//!
//! [`spawn`] creates an actor and returns once `on_start` has run, with its error if it
//! failed. It hands back an [`ActorRef`]: cloneable, usable from any thread, typed by the
//! actor's message type. [`ActorRef::send`] never blocks; a refused message (bounded
//! mailbox full, actor stopped) comes back inside the [`SendError`]. Every message arrives
//! exactly once, each sender's in the order sent, in an [`Envelope`] that names the
//! sending actor ([`ActorId`], its thread id) and carries an optional message id.
//! [`ActorRef::ask`] sends a request and returns a [`Reply`] to wait on, alertably if one
//! likes.
//!
//! Running actors are in a registry: [`lookup`] finds one by name, [`lookup_id`] by the id
//! found in an envelope, so a receiver can answer its sender. [`ActorRef::stop`] says what
//! becomes of the messages still queued ([`StopMode::Drain`] or [`StopMode::Now`]) and
//! overtakes them; [`ActorRef::join`] returns the actor's [`Stopped`] record.
//!
//! # Delivery
//!
//! Messages wait in a lock-free mailbox, not in the thread's APC queue: a sender pushes
//! the envelope and queues an empty APC only if the actor has said it is going to sleep
//! (one wake per batch). So no message allocates, whatever its size; a stop request can be
//! seen ahead of the queued messages; and a handler that waits alertably — for an I/O
//! completion routine, a timer, a reply — runs the APCs meant for it without being cut
//! short or re-entered by messages, which wait their turn in order.
//!
//! # Panics
//!
//! A panic in a handler is caught and passed to `on_error`, and the actor goes on unless
//! `on_error` says to stop; a panic in `on_error` stops the actor. No handler's panic ends
//! the thread or the process. This relies on unwinding: in a program built with
//! `panic = "abort"`, any panic — in a handler too — aborts the process, `on_error` never
//! runs, and no record is written.
//!
//! # Example
//!
//! ```
//! use alertable_actor::{Actor, Context, Envelope, Options, StopMode, lookup, lookup_id};
//! use std::sync::mpsc;
//!
//! // "pong" answers every ball with the next one, to whoever sent it.
//! struct Pong;
//! impl Actor for Pong {
//!     type Message = u32;
//!     type Error = std::convert::Infallible;
//!     fn on_message(&mut self, _: &mut Context<u32>, ball: Envelope<u32>) {
//!         let sender = ball.sender.and_then(lookup_id::<u32>).expect("sent by an actor");
//!         sender.send(ball.message + 1).unwrap();
//!     }
//! }
//!
//! // "ping" finds "pong" by name, serves, and reports when the rally is over.
//! struct Ping(mpsc::Sender<u32>);
//! impl Actor for Ping {
//!     type Message = u32;
//!     type Error = &'static str;
//!     fn on_start(&mut self, _: &mut Context<u32>) -> Result<(), Self::Error> {
//!         lookup::<u32>("pong").ok_or("no pong")?.send(0).map_err(|_| "pong stopped")
//!     }
//!     fn on_message(&mut self, ctx: &mut Context<u32>, ball: Envelope<u32>) {
//!         if ball.message >= 9 {
//!             self.0.send(ball.message).unwrap();
//!             ctx.stop(StopMode::Drain);
//!         } else {
//!             lookup::<u32>("pong").unwrap().send(ball.message + 1).unwrap();
//!         }
//!     }
//! }
//!
//! let pong = alertable_actor::spawn("pong", Pong, Options::default()).unwrap();
//! let (done, rally) = mpsc::channel();
//! let ping = alertable_actor::spawn("ping", Ping(done), Options::default()).unwrap();
//! assert_eq!(rally.recv().unwrap(), 9);
//! assert_eq!(ping.join().unwrap().handled, 5); // balls 1, 3, 5, 7, 9
//! pong.stop(StopMode::Drain);
//! assert_eq!(pong.join().unwrap().handled, 5); // balls 0, 2, 4, 6, 8
//! ```
//!
//! # Platform
//!
//! Linux, through [`alertable`]. Each item's documentation names its counterpart in the
//! Win32 APC actor model under `# Win32`.

#![forbid(unsafe_code)]

mod actor;
mod actor_ref;
mod context;
mod envelope;
mod mailbox;
mod registry;
mod reply;
mod run;
mod spawn;
mod stop;

pub use actor::{Actor, Failure, Flow, Handler};
pub use actor_ref::{ActorRef, SendError};
pub use context::Context;
pub use envelope::{ActorId, Envelope};
pub use mailbox::Mailbox;
pub use registry::{lookup, lookup_id, names};
pub use reply::{Reply, ReplyError, ReplyTo};
pub use spawn::{Options, SpawnError, spawn};
pub use stop::{JoinError, StopMode, StopReason, Stopped};
