//! I/O: [`Io`], a file bound to the pool's port whose completions run as callbacks.

use std::fmt;
use std::sync::{Arc, Weak};

use alertable_io::{AsyncFile, CompletionPacket, CompletionPort, PortError};

use crate::callback::{CallbackInstance, Tracker};
use crate::group::Member;
use crate::pool::{Environment, Shared, ThreadPool, run_callback};

type IoCallback = Box<dyn Fn(&CallbackInstance<'_>, CompletionPacket) + Send + Sync>;

/// An I/O object: a file bound to the pool, whose request completions run as callbacks,
/// each given the request's [`CompletionPacket`] (token, result, buffer).
///
/// Call [`start`](Self::start) before each request on the file, and
/// [`cancel`](Self::cancel) if issuing it then failed: a completion that was not announced
/// this way is dropped without a callback.
///
/// # Examples
///
/// ```
/// use alertable_io::AsyncFile;
/// use alertable_pool::{Io, ThreadPool};
/// use std::sync::mpsc;
///
/// let pool = ThreadPool::new();
/// let file = AsyncFile::from_fd(tempfile::tempfile()?.into())?;
/// let (tx, rx) = mpsc::channel();
/// let io = Io::new(&pool.environment(), &file, move |_, packet| tx.send(packet.status).unwrap())?;
/// io.start();
/// file.write(0, b"pool".to_vec())?;
/// assert_eq!(rx.recv()?, Ok(4));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Win32
///
/// A `PTP_IO`: `CreateThreadpoolIo`, `StartThreadpoolIo`, `CancelThreadpoolIo`,
/// `WaitForThreadpoolIoCallbacks`; dropping it is `CloseThreadpoolIo`.
pub struct Io {
    inner: Arc<IoInner>,
}

pub(crate) struct IoInner {
    /// Every completion runs the callback, announced or not (`BindIoCompletionCallback`).
    unannounced: std::sync::atomic::AtomicBool,
    pool: ThreadPool,
    tracker: Arc<Tracker>,
    callback: IoCallback,
}

impl Io {
    /// Binds `file` to `environment`'s pool: from now on its requests complete by running
    /// `callback` on the pool.
    ///
    /// # Errors
    ///
    /// [`PortError::InvalidParameter`] if the file is already bound to a port (as on
    /// Windows, a file is bound once).
    ///
    /// # Win32
    ///
    /// `CreateThreadpoolIo(file, callback, context, environment)`.
    pub fn new(
        environment: &Environment,
        file: &AsyncFile,
        callback: impl Fn(&CallbackInstance<'_>, CompletionPacket) + Send + Sync + 'static,
    ) -> Result<Self, PortError> {
        Self::with_binding(environment, |port, key| port.associate(file, key), callback)
    }

    /// Like [`new`](Self::new), with the binding done by `bind(port, key)`: for files of
    /// other layers (the C ABI's) that bind to a port their own way.
    ///
    /// # Errors
    ///
    /// What `bind` returns.
    #[doc(hidden)]
    pub fn with_binding<E>(
        environment: &Environment,
        bind: impl FnOnce(&CompletionPort, usize) -> Result<(), E>,
        callback: impl Fn(&CallbackInstance<'_>, CompletionPacket) + Send + Sync + 'static,
    ) -> Result<Self, E> {
        let inner = Arc::new(IoInner {
            unannounced: std::sync::atomic::AtomicBool::new(false),
            pool: environment.pool.clone(),
            tracker: Tracker::with_running_wait(),
            callback: Box::new(callback),
        });
        let shared = &environment.pool.shared;
        let key = shared.add_io(Arc::downgrade(&inner));
        bind(&shared.port, key)?;
        if let Some(group) = &environment.group {
            group.add(Arc::downgrade(&inner) as Weak<dyn Member>);
        }
        Ok(Self { inner })
    }

    /// Announces one request about to be issued on the file: its completion will run the
    /// callback.
    ///
    /// # Win32
    ///
    /// `StartThreadpoolIo`.
    pub fn start(&self) {
        if self.inner.tracker.submit() {
            self.inner.pool.shared.announce_io();
        }
    }

    /// Makes every completion run the callback, without [`start`](Self::start): the
    /// C ABI's `BindIoCompletionCallback`.
    #[doc(hidden)]
    pub fn run_every_completion(&self) {
        self.inner
            .unannounced
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Withdraws the announcement of a request whose issue failed (no completion will
    /// come).
    ///
    /// # Win32
    ///
    /// `CancelThreadpoolIo`.
    pub fn cancel(&self) {
        if self.inner.tracker.retract() {
            self.inner.pool.shared.settle_io();
        }
    }

    /// Waits until no completion callback of this object runs; with `cancel_pending`, the
    /// announced completions that have not run are dropped first (their callbacks never
    /// run).
    ///
    /// # Win32
    ///
    /// `WaitForThreadpoolIoCallbacks(io, fCancelPendingCallbacks)`.
    pub fn wait_for_callbacks(&self, cancel_pending: bool) {
        if cancel_pending {
            self.inner.tracker.cancel_pending();
        }
        self.inner.tracker.wait_running();
    }

    /// Drops the callbacks that are pending and not started; returns how many. For the C
    /// ABI's cleanup groups, which tell each member that lost callbacks.
    #[doc(hidden)]
    pub fn cancel_pending(&self) -> usize {
        self.inner.tracker.cancel_pending()
    }
}

impl Drop for Io {
    /// Closes the object; completions already announced still run their callbacks.
    fn drop(&mut self) {
        self.inner.tracker.close();
    }
}

impl fmt::Debug for Io {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Io")
            .field("tracker", &self.inner.tracker)
            .finish_non_exhaustive()
    }
}

impl IoInner {
    pub(crate) fn complete(&self, shared: &Arc<Shared>, packet: CompletionPacket) {
        if self.unannounced.load(std::sync::atomic::Ordering::Relaxed) {
            self.tracker.submit();
        }
        run_callback(shared, Some(&self.tracker), |instance| {
            (self.callback)(instance, packet);
        });
    }
}

impl Member for IoInner {
    fn close_member(&self, cancel_pending: bool) {
        self.tracker.close();
        if cancel_pending {
            self.tracker.cancel_pending();
        }
        self.tracker.wait_running();
    }
}
