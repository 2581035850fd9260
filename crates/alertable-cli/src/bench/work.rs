//! What every contender does per message, and the channels it is compared with.
//!
//! The work is the same trivial closure everywhere: add the message's index to a sum and
//! count it, both in thread-locals of the thread that runs it (the consumer). The sum
//! proves at the end that every message ran exactly once, and keeps the compiler from
//! dropping anything.

use std::cell::{Cell, RefCell};
use std::sync::mpsc;
use std::thread::LocalKey;

/// A message for the channel contenders: a boxed closure, as one would send to a worker.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

thread_local! {
    static RAN: Cell<u64> = const { Cell::new(0) };
    static SUM: Cell<u64> = const { Cell::new(0) };
}

/// The work of one message, run on the consumer: count it and add its index.
#[inline]
pub(crate) fn work(index: usize) {
    RAN.set(RAN.get() + 1);
    SUM.set(SUM.get().wrapping_add(index as u64));
}

/// How many messages this thread has run.
pub(crate) fn ran() -> u64 {
    RAN.get()
}

/// The sum of the indices this thread has run.
pub(crate) fn sum() -> u64 {
    SUM.get()
}

/// The sum `work` reaches after running each index in `0..n` once.
pub(crate) fn expected_sum(n: usize) -> u64 {
    let n = n as u64;
    n * n.saturating_sub(1) / 2
}

/// An unbounded multi-producer channel of [`Job`]s.
pub(crate) trait Channel: 'static {
    /// Stable identifier for the JSON.
    const ID: &'static str;
    /// Name in tables.
    const NAME: &'static str;
    type Tx: Clone + Send + 'static;
    type Rx: Send + 'static;

    fn unbounded() -> (Self::Tx, Self::Rx);
    fn send(tx: &Self::Tx, job: Job);
    /// Blocks until a job arrives.
    fn recv(rx: &Self::Rx) -> Job;
    /// A thread-local slot for this thread's sender to its peer (ping-pong).
    fn peer() -> &'static LocalKey<RefCell<Option<Self::Tx>>>;
}

/// `crossbeam_channel::unbounded`.
#[derive(Debug)]
pub(crate) struct Crossbeam;

/// `std::sync::mpsc::channel`.
#[derive(Debug)]
pub(crate) struct StdMpsc;

/// `flume::unbounded`.
#[derive(Debug)]
pub(crate) struct Flume;

/// `kanal::unbounded`: kanal's blocking API, with its own spinning mutex (the default).
#[derive(Debug)]
pub(crate) struct Kanal;

/// Implements [`Channel`] for `$contender` over `$krate`'s `Sender`/`Receiver` of [`Job`]s
/// and its unbounded constructor `$unbounded`.
macro_rules! channel {
    ($contender:ty, $id:literal, $name:literal, $($krate:ident)::+, $unbounded:ident) => {
        impl Channel for $contender {
            const ID: &'static str = $id;
            const NAME: &'static str = $name;
            type Tx = $($krate)::+::Sender<Job>;
            type Rx = $($krate)::+::Receiver<Job>;

            fn unbounded() -> (Self::Tx, Self::Rx) {
                $($krate)::+::$unbounded()
            }

            #[inline]
            fn send(tx: &Self::Tx, job: Job) {
                tx.send(job).expect("the consumer outlives the producers");
            }

            #[inline]
            fn recv(rx: &Self::Rx) -> Job {
                rx.recv().expect("a producer outlives the consumer's loop")
            }

            fn peer() -> &'static LocalKey<RefCell<Option<Self::Tx>>> {
                thread_local! {
                    static PEER: RefCell<Option<$($krate)::+::Sender<Job>>> =
                        const { RefCell::new(None) };
                }
                &PEER
            }
        }
    };
}

channel!(
    Crossbeam,
    "crossbeam-channel",
    "crossbeam-channel",
    crossbeam_channel,
    unbounded
);
channel!(StdMpsc, "std-mpsc", "std mpsc", mpsc, channel);
channel!(Flume, "flume", "flume", flume, unbounded);
channel!(Kanal, "kanal", "kanal", kanal, unbounded);
