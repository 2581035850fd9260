//! Work items: [`Work`], submitted any number of times, and [`try_submit`], a callback
//! submitted once.

use std::fmt;
use std::sync::Arc;

use crate::callback::{CallbackInstance, Tracker};
use crate::group::{CleanupGroup, Member};
use crate::pool::{Environment, Shared, Task, ThreadPool, run_callback};
use crate::simple::SimpleCallback;

type WorkCallback = Box<dyn Fn(&CallbackInstance<'_>) + Send + Sync>;

/// A work item: a callback that runs on the pool once per [`submit`](Self::submit).
///
/// Dropping the handle closes the work item: no new submissions, but the submissions
/// already made still run (the callback lives until they have).
///
/// # Examples
///
/// ```
/// use alertable_pool::{ThreadPool, Work};
/// use std::sync::mpsc;
///
/// let pool = ThreadPool::new();
/// let (tx, rx) = mpsc::channel();
/// let work = Work::new(&pool.environment(), move |_| tx.send(std::thread::current().id()).unwrap());
/// work.submit();
/// assert_ne!(rx.recv().unwrap(), std::thread::current().id(), "it ran on a pool thread");
/// ```
///
/// # Win32
///
/// A `PTP_WORK`: `CreateThreadpoolWork`, `SubmitThreadpoolWork`,
/// `WaitForThreadpoolWorkCallbacks`; dropping it is `CloseThreadpoolWork`.
pub struct Work {
    inner: Arc<WorkInner>,
}

pub(crate) struct WorkInner {
    pool: ThreadPool,
    tracker: Arc<Tracker>,
    callback: WorkCallback,
}

impl Work {
    /// Creates a work item that runs `callback` on `environment`'s pool.
    ///
    /// # Win32
    ///
    /// `CreateThreadpoolWork(callback, context, environment)`.
    pub fn new(
        environment: &Environment,
        callback: impl Fn(&CallbackInstance<'_>) + Send + Sync + 'static,
    ) -> Self {
        let inner = Arc::new(WorkInner {
            pool: environment.pool.clone(),
            tracker: Tracker::new(),
            callback: Box::new(callback),
        });
        if let Some(group) = &environment.group {
            group.add(Arc::downgrade(&inner) as std::sync::Weak<dyn Member>);
        }
        Self { inner }
    }

    /// Queues one run of the callback. Never blocks. Does nothing once the work item was
    /// closed by its cleanup group.
    ///
    /// # Win32
    ///
    /// `SubmitThreadpoolWork`.
    pub fn submit(&self) {
        if self.inner.tracker.submit() {
            self.inner.pool.shared.queue(Task::Work(self.inner.clone()));
        }
    }

    /// Waits until no callback of this work item is pending or running; with
    /// `cancel_pending`, the submissions that have not started are dropped first. Must not
    /// be called from the work item's own callback (it would wait for itself).
    ///
    /// # Win32
    ///
    /// `WaitForThreadpoolWorkCallbacks(work, fCancelPendingCallbacks)`.
    pub fn wait_for_callbacks(&self, cancel_pending: bool) {
        self.inner.tracker.wait(cancel_pending);
    }

    /// Drops the callbacks that are pending and not started; returns how many. For the C
    /// ABI's cleanup groups, which tell each member that lost callbacks.
    #[doc(hidden)]
    pub fn cancel_pending(&self) -> usize {
        self.inner.tracker.cancel_pending()
    }

    /// Whether no callback of this object is pending or running at this moment (a
    /// snapshot): for the C ABI's `ERROR_IO_PENDING` of the legacy functions.
    #[doc(hidden)]
    pub fn callbacks_done(&self) -> bool {
        self.inner.tracker.is_quiet()
    }
}

impl Drop for Work {
    /// Closes the work item; what was submitted still runs.
    fn drop(&mut self) {
        self.inner.tracker.close();
    }
}

impl fmt::Debug for Work {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Work")
            .field("tracker", &self.inner.tracker)
            .finish_non_exhaustive()
    }
}

impl WorkInner {
    pub(crate) fn run(&self, shared: &Arc<Shared>) {
        run_callback(shared, Some(&self.tracker), |instance| {
            (self.callback)(instance)
        });
    }
}

impl Member for WorkInner {
    fn close_member(&self, cancel_pending: bool) {
        self.tracker.close();
        self.tracker.wait(cancel_pending);
    }
}

/// Runs `callback` once on `environment`'s pool, without a work object. With a cleanup
/// group in the environment, the group's closing cancels or waits for it.
///
/// # Errors
///
/// None on Linux beyond the pool being closed, which cannot happen while `environment`
/// holds it; the `Result` is Win32's `FALSE`, for a closed cleanup group.
///
/// # Win32
///
/// `TrySubmitThreadpoolCallback(callback, context, environment)`.
#[allow(clippy::result_unit_err)] // Win32's BOOL: there is nothing to say beyond FALSE
pub fn try_submit(
    environment: &Environment,
    callback: impl FnOnce(&CallbackInstance<'_>) + Send + 'static,
) -> Result<(), ()> {
    let tracker = environment
        .group
        .as_ref()
        .map(CleanupGroup::simple_callbacks);
    if tracker.as_ref().is_some_and(|t| !t.submit()) {
        return Err(());
    }
    // No handle of the pool goes with it: a queued task keeps the pool open (P3).
    let queued = environment
        .pool
        .shared
        .queue(Task::Simple(SimpleCallback::new(callback), tracker.clone()));
    if queued {
        Ok(())
    } else {
        if let Some(tracker) = tracker {
            tracker.cancel_pending();
        }
        Err(())
    }
}
