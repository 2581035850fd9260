//! Verdicts: how a scenario reports that it differs from Windows, and the waits a scenario
//! makes on its workers, which turn a hang into a verdict instead of a frozen tour.

use std::any::Any;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use alertable::{JoinHandle, QueueApcError};

/// What a scenario returns: how it matched Windows, or how it differed.
pub(crate) type Outcome = Result<String, Mismatch>;

/// How a scenario's outcome differs from what Windows does.
#[derive(Debug)]
pub(crate) struct Mismatch(pub(crate) String);

impl Mismatch {
    /// A mismatch explained by `why`.
    pub(crate) fn new(why: impl Into<String>) -> Self {
        Self(why.into())
    }

    /// The worker thread could not be created.
    pub(crate) fn spawn(error: std::io::Error) -> Self {
        Self(format!("could not create the worker thread: {error}"))
    }

    /// `queue_user_apc` failed where Windows' `QueueUserAPC` would have succeeded.
    pub(crate) fn queue(error: QueueApcError) -> Self {
        Self(format!(
            "QueueUserAPC failed ({error}, error {})",
            error.win32_error()
        ))
    }
}

/// Fails with `why()` unless `ok`.
pub(crate) fn ensure(ok: bool, why: impl FnOnce() -> String) -> Result<(), Mismatch> {
    if ok { Ok(()) } else { Err(Mismatch(why())) }
}

/// How long a scenario waits for a worker to reach a point it must reach before deciding
/// that it never will. Far beyond anything a loaded machine needs: it exists only so that a
/// broken library yields a ✗ rather than a tour that never ends.
const PATIENCE: Duration = Duration::from_secs(20);

/// Receives the message by which a worker reports that it reached `what`.
pub(crate) fn expect<T>(signal: &Receiver<T>, what: &str) -> Result<T, Mismatch> {
    signal.recv_timeout(PATIENCE).map_err(|error| match error {
        RecvTimeoutError::Timeout => Mismatch(format!(
            "the worker had not reported {what} after {} s",
            PATIENCE.as_secs()
        )),
        RecvTimeoutError::Disconnected => {
            Mismatch(format!("the worker ended without reporting {what}"))
        }
    })
}

/// Joins a worker and returns what its entry function returned.
///
/// The join happens on a thread of its own so that a worker stuck in a wait is reported
/// (and left behind) instead of blocking the tour.
pub(crate) fn finish<T: Send + 'static>(worker: JoinHandle<T>) -> Result<T, Mismatch> {
    let (joined, result) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = joined.send(worker.join());
    });
    match result.recv_timeout(PATIENCE) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(payload)) => Err(Mismatch(format!(
            "the worker panicked: {}",
            panic_message(&*payload)
        ))),
        Err(_) => Err(Mismatch(format!(
            "the worker was still running after {} s",
            PATIENCE.as_secs()
        ))),
    }
}

/// The text of a panic payload, when it has one.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "(no message)"
    }
}
