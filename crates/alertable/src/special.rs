//! Special APCs: closures that run on their thread wherever it is, alertable or not.
//!
//! # Shape
//!
//! Each thread keeps two lock-free stacks of heap nodes, one closure per node:
//!
//! - `pending`: pushed by any thread ([`SpecialApcs::push`]), taken whole by the owning
//!   thread ([`SpecialApcs::run_pending`]), which reverses it to run the closures in the
//!   order they were queued;
//! - `retired`: nodes whose closure has run, pushed by the owning thread and freed later by
//!   a thread in ordinary context (the next producer, or the owner when it exits), because
//!   the owner runs closures inside a signal handler, where freeing memory is not allowed.
//!
//! A producer pushes its node and then interrupts the thread with the special-APC signal
//! (`sys::send_special_apc_signal`, `SIGRTMIN() + 8`), whose handler runs the pending
//! closures right there, at whatever instruction the thread was.
//!
//! | `pending` word | meaning                                       | set by                  |
//! |----------------|-----------------------------------------------|-------------------------|
//! | null           | nothing pending                               | owner (take), creation  |
//! | node           | the newest pending node; `next` links older   | producer (CAS)          |
//! | `CLOSED`       | the thread has exited: pushes fail            | owner (`close`), once   |
//!
//! # Invariants
//!
//! - (S1) A node is written only by its producer before the CAS that publishes it, run only
//!   by the owner after the CAS that took it, and freed only after it is off both stacks:
//!   after the owner's retiring CAS (by a reclaimer's swap) or after `close` took it.
//! - (S2) Only the owning thread takes `pending` (`run_pending`, `close`); it takes the
//!   whole stack with one CAS (never `CLOSED`), so a take never races another take except
//!   a handler nested inside it, which then takes only nodes pushed after the first take.
//! - (S3) Nothing that runs on the owning thread in a handler allocates, frees, or takes a
//!   lock: `run_pending` moves the closure out of its node, calls it, and retires the node
//!   with one CAS.
//! - (S4) The library never runs a special APC while the thread holds the dispatcher lock:
//!   inside a no-stop region the handler records that APCs are pending and the thread runs
//!   them when it leaves the outermost region (as a stop is delayed, suspend.rs H6).
//! - (S5) The thread-local pointer the handler follows is set, on the thread, once the
//!   thread has passed its start gate (or when an adopted thread's context is made), and
//!   cleared, on the thread, before its shared state can be freed; a handler that finds it
//!   null does nothing. The thread runs whatever was pushed before the pointer was set
//!   itself, right after setting it.
//!
//! # Ordering
//!
//! Publishing is a `Release` CAS and taking an `Acquire` CAS, so a taken node's closure is
//! fully written; retiring is a `Release` CAS and reclaiming an `Acquire` swap, so the
//! owner's last use of a node happens before it is freed. For S5, the producer's push and
//! its read of the thread id, and the new thread's store of its id and its first look at
//! `pending`, are all `SeqCst`: of a producer that sees no id (and sends no signal) and a
//! thread that sees no node, one must have gone first, so one of them sees the other.

use std::mem::ManuallyDrop;
use std::ptr;

use crate::apc::QueueApcError;
use crate::sync::{AtomicPtr, Ordering};
use crate::sys;
use crate::thread::ThreadHandle;

/// Queues `f` to run on `thread` as a *special* APC: at once, wherever the thread is —
/// running, blocked in any wait (alertable or not), or in a system call — and not at the
/// thread's next alertable wait like an ordinary APC.
///
/// The thread is interrupted with a signal, `SIGRTMIN() + 8`, and `f` runs inside the
/// signal handler, on that thread, between two of its instructions; the interrupted code
/// then goes on as if nothing happened (a blocking system call is restarted where the
/// kernel restarts it; others, such as `poll` and `nanosleep`, fail with `EINTR`, as
/// after any signal). Queued to the calling thread, `f` has run when this returns.
/// Special APCs from one producer run in the order queued; those of different producers
/// that race each other run in an unspecified order.
///
/// Exceptions, where `f` waits instead of running at once: the library never runs a
/// special APC while the thread holds its internal lock (it runs when the lock is
/// released); a thread that is [suspended](ThreadHandle::suspend), or was created
/// suspended and not yet resumed, runs it when it is resumed; a thread that blocks the
/// signal runs it when it unblocks it. A thread that exits first drops `f` unrun.
///
/// The signal's handler is installed on the first call, replacing any handler the program
/// had for that signal.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
///
/// let ran = Arc::new(AtomicBool::new(false));
/// let r = ran.clone();
/// // SAFETY: the closure only stores to an atomic (async-signal-safe) and cannot panic;
/// // its captured `Arc` is moved into the call and dropped there, but the `Arc` is not the
/// // last reference (`ran` outlives the call), so no memory is freed in the handler.
/// unsafe {
///     alertable::queue_special_apc(&alertable::current(), move || {
///         r.store(true, Ordering::Relaxed);
///     })
///     .unwrap();
/// }
/// // Queued to self: it has already run, no alertable wait needed.
/// assert!(ran.load(Ordering::Relaxed));
/// ```
///
/// # Errors
///
/// [`QueueApcError::ThreadExited`] if the thread has exited; `f` is dropped.
///
/// # Safety
///
/// `f` runs inside a signal handler at an arbitrary point of the target thread, which may
/// be holding any lock — the memory allocator's, stdio's, a `std::sync::Mutex` of the
/// program's — or be in the middle of updating any data structure of its own. So `f`,
/// including the drop of everything it captures, must:
///
/// - call only async-signal-safe functions (POSIX `signal-safety(7)`): no memory
///   allocation or freeing (no `Box`, `Vec`, `String`, `format!`, no dropping the last
///   reference of an `Arc`), no locks (no `Mutex`, no `println!`), no thread-local with a
///   destructor;
/// - not call into this library (queueing APCs, signaling or waiting on objects), which
///   takes locks and allocates;
/// - not unwind: a panic in `f` aborts the process;
/// - touch shared data only through atomics, or through data the interrupted code cannot
///   be using at that moment (data of the thread's own that it is known not to touch).
///
/// # Win32
///
/// `QueueUserAPC2` with `QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC` (A8), or
/// `NtQueueApcThreadEx` with the special flag (A10). Windows documents the same hazard:
/// the thread may be interrupted at any point, holding locks, so the routine must be
/// written as a signal handler would be.
pub unsafe fn queue_special_apc<F>(thread: &ThreadHandle, f: F) -> Result<(), QueueApcError>
where
    F: FnOnce() + Send + 'static,
{
    let inner = &thread.inner;
    if inner.special.push(f).is_err() {
        return Err(QueueApcError::ThreadExited);
    }
    sys::install_special_apc_handler(target::on_signal);
    // A thread that has not published its id yet runs its special APCs itself when it
    // passes its start gate (S5); one that exited meanwhile dropped them.
    let tid = thread.published_tid();
    if tid != 0 {
        let _ = sys::send_special_apc_signal(tid);
    }
    Ok(())
}

/// Registers `apcs` as the calling thread's special APCs (S5) and runs what is already
/// pending.
pub(crate) fn register(apcs: &SpecialApcs) {
    target::register(apcs);
    target::run_current();
}

/// Unregisters `apcs` (S5) and drops what is still pending (C35).
pub(crate) fn close(apcs: &SpecialApcs) {
    target::unregister(apcs);
    apcs.close();
}

/// Runs the special APCs that arrived while the thread was inside a no-stop region (S4);
/// called when it leaves the outermost one.
#[inline]
pub(crate) fn after_no_stop() {
    target::after_no_stop();
}

#[cfg(not(loom))]
mod target {
    use super::SpecialApcs;
    use crate::sync::{AtomicPtr, AtomicU32, Ordering};

    thread_local! {
        static TARGET: AtomicPtr<SpecialApcs> = const { AtomicPtr::new(std::ptr::null_mut()) };
        static DEFERRED: AtomicU32 = const { AtomicU32::new(0) };
    }

    // Relaxed throughout: these thread-locals are written and read by one thread, the
    // handler included, and the compiler fences of the no-stop region (suspend.rs) order
    // the depth against `DEFERRED`.

    pub(super) fn register(apcs: &SpecialApcs) {
        TARGET.with(|t| t.store(std::ptr::from_ref(apcs).cast_mut(), Ordering::Relaxed));
    }

    pub(super) fn unregister(apcs: &SpecialApcs) {
        TARGET.with(|t| {
            let _ = t.compare_exchange(
                std::ptr::from_ref(apcs).cast_mut(),
                std::ptr::null_mut(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        });
    }

    /// The handler's work, on the interrupted thread.
    pub(super) fn on_signal() {
        if crate::suspend::in_no_stop() {
            DEFERRED.with(|d| d.store(1, Ordering::Relaxed));
            return;
        }
        run_current();
    }

    pub(super) fn run_current() {
        let target = TARGET.with(|t| t.load(Ordering::Relaxed));
        if !target.is_null() {
            // SAFETY: (S5) a non-null target is this thread's own state, kept alive by this
            // thread's own reference until after the pointer is cleared, on this thread.
            unsafe { &*target }.run_pending();
        }
    }

    #[inline]
    pub(super) fn after_no_stop() {
        if DEFERRED.with(|d| d.load(Ordering::Relaxed)) != 0 {
            DEFERRED.with(|d| d.store(0, Ordering::Relaxed));
            run_current();
        }
    }
}

/// Loom models never interrupt a thread: no targets.
#[cfg(loom)]
mod target {
    use super::SpecialApcs;

    pub(super) fn register(_apcs: &SpecialApcs) {}
    pub(super) fn unregister(_apcs: &SpecialApcs) {}
    pub(super) fn on_signal() {}
    pub(super) fn run_current() {}
    pub(super) fn after_no_stop() {}
}

/// The common head of every node: the link and how to run or free what follows it.
#[derive(Debug)]
#[repr(C)]
struct Header {
    next: *mut Header,
    /// Moves the closure out of the node and calls it; the node stays allocated.
    run: unsafe fn(*mut Header),
    /// Frees the node; drops the closure first if it has not run.
    free: unsafe fn(*mut Header, bool),
}

/// A node: the header, then the closure.
#[repr(C)]
struct Node<F> {
    header: Header,
    f: ManuallyDrop<F>,
}

/// Calls the closure of the `Node<F>` at `header`, moving it out.
///
/// # Safety
/// `header` heads a live `Node<F>` whose closure has not been moved out (S1).
unsafe fn run_node<F: FnOnce()>(header: *mut Header) {
    // SAFETY: `Node<F>` is `repr(C)` with the header first, so the pointers coincide; the
    // caller guarantees the closure is still there, and it is read exactly once.
    let f = unsafe { ManuallyDrop::take(&mut (*header.cast::<Node<F>>()).f) };
    f();
}

/// Frees the `Node<F>` at `header`, dropping its closure first if `unrun`.
///
/// # Safety
/// `header` heads a `Node<F>` made by `Box::into_raw` that nothing else uses any more; its
/// closure is still in place exactly when `unrun` is true.
unsafe fn free_node<F>(header: *mut Header, unrun: bool) {
    // SAFETY: the node came from `Box::into_raw(Box<Node<F>>)` and is no longer shared.
    let mut node = unsafe { Box::from_raw(header.cast::<Node<F>>()) };
    if unrun {
        // SAFETY: the closure was never moved out.
        unsafe { ManuallyDrop::drop(&mut node.f) };
    }
}

/// The `pending` value of an exited thread: a non-null address no node can have.
fn closed() -> *mut Header {
    ptr::dangling_mut::<Header>()
}

/// One thread's special APCs (see the module documentation).
#[derive(Debug)]
pub(crate) struct SpecialApcs {
    pending: AtomicPtr<Header>,
    retired: AtomicPtr<Header>,
}

/// Why a special APC was not queued: the thread has exited.
#[derive(Debug)]
pub(crate) struct Closed;

impl SpecialApcs {
    pub(crate) fn new() -> Self {
        Self {
            pending: AtomicPtr::new(ptr::null_mut()),
            retired: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Queues `f` (any thread); frees the nodes that have run since the last push.
    pub(crate) fn push<F: FnOnce() + Send + 'static>(&self, f: F) -> Result<(), Closed> {
        self.reclaim();
        let node = Box::into_raw(Box::new(Node {
            header: Header {
                next: ptr::null_mut(),
                run: run_node::<F>,
                free: free_node::<F>,
            },
            f: ManuallyDrop::new(f),
        }))
        .cast::<Header>();
        let mut head = self.pending.load(Ordering::Relaxed);
        loop {
            if head == closed() {
                // SAFETY: the node was never published, so this is its only user.
                unsafe { free_node::<F>(node, true) };
                return Err(Closed);
            }
            // SAFETY: the node is not published yet: only this thread sees it (S1).
            unsafe { (*node).next = head };
            match self.pending.compare_exchange_weak(
                head,
                node,
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(now) => head = now,
            }
        }
    }

    /// Whether closures are pending.
    #[cfg(test)]
    pub(crate) fn has_pending(&self) -> bool {
        let head = self.pending.load(Ordering::Relaxed);
        !head.is_null() && head != closed()
    }

    /// Runs every pending closure, oldest first. Owner only (S2); async-signal-safe (S3)
    /// as long as the closures are.
    pub(crate) fn run_pending(&self) {
        let mut head = self.pending.load(Ordering::SeqCst);
        loop {
            if head.is_null() || head == closed() {
                return;
            }
            match self.pending.compare_exchange_weak(
                head,
                ptr::null_mut(),
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(now) => head = now,
            }
        }
        // Newest first on the stack: reverse it into queueing order.
        let mut oldest = ptr::null_mut::<Header>();
        while !head.is_null() {
            // SAFETY: taken nodes belong to this thread until retired (S1).
            let next = unsafe { (*head).next };
            // SAFETY: as above.
            unsafe { (*head).next = oldest };
            oldest = head;
            head = next;
        }
        // A closure that unwinds would leave the nodes after it unreachable, and cannot
        // unwind out of a signal handler anyway.
        let abort = AbortOnUnwind;
        while !oldest.is_null() {
            // SAFETY: as above; read before the node is retired.
            let next = unsafe { (*oldest).next };
            // SAFETY: a taken node's closure is in place and runs once (S1).
            unsafe { ((*oldest).run)(oldest) };
            self.retire(oldest);
            oldest = next;
        }
        std::mem::forget(abort);
    }

    /// Puts a node whose closure has run on the retired stack. Owner only.
    fn retire(&self, node: *mut Header) {
        let mut head = self.retired.load(Ordering::Relaxed);
        loop {
            // SAFETY: the node is this thread's until the CAS below publishes it (S1).
            unsafe { (*node).next = head };
            match self.retired.compare_exchange_weak(
                head,
                node,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => head = now,
            }
        }
    }

    /// Frees the retired nodes (ordinary context only: it frees memory).
    fn reclaim(&self) {
        let mut node = self.retired.swap(ptr::null_mut(), Ordering::Acquire);
        while !node.is_null() {
            // SAFETY: retired nodes are off both stacks once swapped out; the owner no
            // longer touches them (S1).
            let next = unsafe { (*node).next };
            // SAFETY: as above; their closures have run.
            unsafe { ((*node).free)(node, false) };
            node = next;
        }
    }

    /// Refuses further pushes and drops every closure still pending, unrun (C35). Owner
    /// only, in ordinary context.
    pub(crate) fn close(&self) {
        let mut node = self.pending.swap(closed(), Ordering::Acquire);
        if node == closed() {
            node = ptr::null_mut();
        }
        // Drops run user code that may panic: free every node first, so none leaks.
        let mut first_panic = None;
        while !node.is_null() {
            // SAFETY: taken by the swap (S2): this thread's alone.
            let next = unsafe { (*node).next };
            let free = std::panic::catch_unwind(|| {
                // SAFETY: as above; its closure never ran.
                unsafe { ((*node).free)(node, true) };
            });
            if let Err(payload) = free
                && first_panic.is_none()
            {
                first_panic = Some(payload);
            }
            node = next;
        }
        self.reclaim();
        if let Some(payload) = first_panic {
            std::panic::resume_unwind(payload);
        }
    }
}

impl Drop for SpecialApcs {
    fn drop(&mut self) {
        // A thread that never exited through its context (a handle outliving a thread
        // that never started): drop what is left.
        let node = self.pending.swap(closed(), Ordering::Acquire);
        if node != closed() {
            self.pending.store(node, Ordering::Relaxed);
            self.close();
        } else {
            self.reclaim();
        }
    }
}

/// Aborts if dropped while armed: a special APC must not unwind.
struct AbortOnUnwind;

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        eprintln!("alertable: a special APC panicked; aborting");
        std::process::abort();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn runs_in_queueing_order_and_frees_on_the_next_push() {
        let apcs = SpecialApcs::new();
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        for i in 0..3 {
            let order = order.clone();
            apcs.push(move || order.lock().unwrap().push(i)).unwrap();
        }
        assert!(apcs.has_pending());
        apcs.run_pending();
        assert!(!apcs.has_pending());
        assert_eq!(*order.lock().unwrap(), [0, 1, 2]);
        assert!(!apcs.retired.load(Ordering::Relaxed).is_null());
        apcs.push(|| ()).unwrap();
        assert!(apcs.retired.load(Ordering::Relaxed).is_null());
    }

    #[test]
    fn close_drops_pending_closures_and_refuses_pushes() {
        let apcs = SpecialApcs::new();
        let token = Arc::new(());
        let t = token.clone();
        apcs.push(move || drop(t)).unwrap();
        assert_eq!(Arc::strong_count(&token), 2);
        apcs.close();
        assert_eq!(Arc::strong_count(&token), 1, "dropped, not run");
        let t = token.clone();
        assert!(apcs.push(move || drop(t)).is_err());
        assert_eq!(Arc::strong_count(&token), 1);
        apcs.run_pending();
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicUsize;

    /// Two producers race the owner's take and its exit: every closure either runs once or
    /// is dropped unrun by `close`, none is lost or freed twice, and a push after the
    /// close fails (S1, S2).
    #[test]
    fn pushes_race_run_and_close() {
        loom::model(|| {
            let apcs = Arc::new(SpecialApcs::new());
            let ran = Arc::new(AtomicUsize::new(0));
            let accepted = Arc::new(AtomicUsize::new(0));
            let producers: Vec<_> = (0..2)
                .map(|_| {
                    let (apcs, ran, accepted) = (apcs.clone(), ran.clone(), accepted.clone());
                    loom::thread::spawn(move || {
                        let r = ran.clone();
                        if apcs
                            .push(move || {
                                r.fetch_add(1, Ordering::Relaxed);
                            })
                            .is_ok()
                        {
                            accepted.fetch_add(1, Ordering::Relaxed);
                        }
                    })
                })
                .collect();
            apcs.run_pending();
            let ran_before_close = ran.load(Ordering::Relaxed);
            apcs.close();
            for p in producers {
                p.join().unwrap();
            }
            assert_eq!(
                ran.load(Ordering::Relaxed),
                ran_before_close,
                "none runs after close"
            );
            assert!(ran_before_close <= accepted.load(Ordering::Relaxed));
            assert!(apcs.push(|| ()).is_err());
        });
    }
}
