//! Synchronous I/O that another thread can cancel: `CancelSynchronousIo` (K120).
//!
//! A synchronous `ReadFile`, `WriteFile` or `ReadConsole` on a descriptor that can block (a
//! pipe, a FIFO, a terminal, a socket) first waits, in [`wait_ready`], until the descriptor
//! is ready — with `poll`, on the descriptor and on the thread's cancel descriptor (an
//! `eventfd`) — and only then reads or writes. `CancelSynchronousIo` finds the target
//! thread's slot by thread id and, if the thread is inside such a wait, signals its cancel
//! descriptor: the wait ends and the call fails with `ERROR_OPERATION_ABORTED`.
//!
//! | slot state  | meaning                                   | set by                       |
//! |-------------|-------------------------------------------|------------------------------|
//! | `IDLE`      | the thread is not in synchronous I/O      | the thread, leaving the wait |
//! | `IN_IO`     | the thread waits in [`wait_ready`]        | the thread, entering it      |
//! | `CANCELLED` | a cancellation reached that wait          | the canceller (CAS from `IN_IO`) |
//!
//! - (Y1) Only a CAS from `IN_IO` cancels, so `CancelSynchronousIo` succeeds exactly when
//!   the thread was inside a wait, and that wait then fails (the thread sees `CANCELLED`
//!   when it leaves, even if its descriptor became ready at the same moment).
//! - (Y2) The canceller signals the descriptor after its CAS; the thread clears it after
//!   leaving `IN_IO`, so no signal outlives the wait it was meant for.
//!
//! What is not covered: a write larger than the room in a pipe waits for room once and then
//! blocks in `write` until all of it is written; and a read whose descriptor another thread
//! drains between the wait and the read blocks in `read` uncancellably (both as any two
//! readers of one pipe race).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::consts::ERROR_OPERATION_ABORTED;
use crate::error::{Error, Result};
use crate::sys::{self, CancelFd};

const IDLE: u32 = 0;
const IN_IO: u32 = 1;
const CANCELLED: u32 = 2;

/// One thread's cancellation slot.
#[derive(Debug)]
struct Slot {
    state: AtomicU32,
    cancel: CancelFd,
}

/// The slots of the threads that have done synchronous I/O, by thread id.
static SLOTS: Mutex<Option<HashMap<u64, Arc<Slot>>>> = Mutex::new(None);

/// The calling thread's slot, registered while the thread lives.
struct Registered {
    id: u64,
    slot: Arc<Slot>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut slots = SLOTS.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(map) = slots.as_mut()
            && map
                .get(&self.id)
                .is_some_and(|s| Arc::ptr_eq(s, &self.slot))
        {
            map.remove(&self.id);
        }
    }
}

thread_local! {
    static MINE: std::cell::OnceCell<Option<Registered>> = const { std::cell::OnceCell::new() };
}

/// The calling thread's slot, made on first use; `None` if it cannot be (no descriptor
/// left, or thread-local teardown): the I/O is then not cancellable.
fn my_slot() -> Option<Arc<Slot>> {
    MINE.try_with(|mine| {
        mine.get_or_init(|| {
            let slot = Arc::new(Slot {
                state: AtomicU32::new(IDLE),
                cancel: CancelFd::new().ok()?,
            });
            let id = alertable::current().id();
            SLOTS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_or_insert_with(HashMap::new)
                .insert(id, slot.clone());
            Some(Registered { id, slot })
        })
        .as_ref()
        .map(|r| r.slot.clone())
    })
    .ok()
    .flatten()
}

/// Waits until `fd` is ready for a read (or a write, if `writable`) that will not block —
/// or until another thread cancels the wait with [`cancel`].
///
/// # Errors
///
/// `ERROR_OPERATION_ABORTED` (995) if the wait was cancelled (K120).
pub(crate) fn wait_ready(fd: libc::c_int, writable: bool) -> Result<()> {
    let Some(slot) = my_slot() else {
        return Ok(());
    };
    slot.state.store(IN_IO, Ordering::SeqCst);
    let ready = sys::wait_ready_or_cancel(fd, writable, &slot.cancel);
    // (Y1): a cancellation that won its CAS is honoured, even if `fd` became ready too.
    let was = slot.state.swap(IDLE, Ordering::SeqCst);
    // (Y2)
    slot.cancel.clear();
    if ready && was != CANCELLED {
        Ok(())
    } else {
        Err(Error(ERROR_OPERATION_ABORTED))
    }
}

/// Cancels the synchronous I/O wait of thread `id`, if it is in one (Y1); false if not.
pub(crate) fn cancel(id: u64) -> bool {
    let slot = {
        let slots = SLOTS.lock().unwrap_or_else(PoisonError::into_inner);
        slots.as_ref().and_then(|map| map.get(&id).cloned())
    };
    let Some(slot) = slot else {
        return false;
    };
    if slot
        .state
        .compare_exchange(IN_IO, CANCELLED, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        return false;
    }
    // (Y2)
    slot.cancel.signal();
    true
}
