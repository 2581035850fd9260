//! [`SimpleCallback`]: the callback of a [`try_submit`](crate::try_submit), type-erased and
//! stored inline when it is small, so that submitting one allocates nothing of its own.
//!
//! - (I1) `data` holds exactly one live `F` — in place when [`fits`] holds for `F`, else a
//!   `Box<F>` — made by [`SimpleCallback::new`], and `vtable` is the table made for that
//!   type. It is consumed exactly once: by [`SimpleCallback::call`], which moves it out and
//!   forgets the wrapper, or by `Drop`, for a callback that never ran (cancelled, or the
//!   pool closed).

use std::fmt;
use std::mem::{ManuallyDrop, MaybeUninit};

use crate::callback::CallbackInstance;

/// Inline storage for a closure: 32 bytes, word-aligned.
type Inline = [usize; 4];

/// How to call or drop the closure stored in a [`SimpleCallback`].
struct VTable {
    call: unsafe fn(*mut Inline, &CallbackInstance<'_>),
    drop: unsafe fn(*mut Inline),
}

/// A type-erased `FnOnce(&CallbackInstance) + Send`, inline up to 32 bytes, boxed beyond.
pub(crate) struct SimpleCallback {
    vtable: &'static VTable,
    data: MaybeUninit<Inline>,
}

// SAFETY: `SimpleCallback::new` only accepts `Send` closures (I1), and the storage holds
// nothing else.
unsafe impl Send for SimpleCallback {}

/// Calls the `F` stored at `data`, consuming it.
///
/// # Safety
///
/// `data` holds a valid `F` (I1) that is never used again.
unsafe fn call_stored<F: FnOnce(&CallbackInstance<'_>)>(
    data: *mut Inline,
    instance: &CallbackInstance<'_>,
) {
    // SAFETY: the caller hands over the only copy of a valid `F`; `fits::<F>()` held when it
    // was stored, so size and alignment are right (I1).
    let f = unsafe { data.cast::<F>().read() };
    f(instance);
}

/// Drops the `F` stored at `data`.
///
/// # Safety
///
/// `data` holds a valid `F` (I1) that is never used again.
unsafe fn drop_stored<F>(data: *mut Inline) {
    // SAFETY: as for `call_stored`.
    unsafe { data.cast::<F>().drop_in_place() };
}

/// Whether an `F` can live in the inline storage.
const fn fits<F>() -> bool {
    size_of::<F>() <= size_of::<Inline>() && align_of::<F>() <= align_of::<Inline>()
}

impl SimpleCallback {
    /// Stores `f`, inline when it fits, otherwise in a box whose pointer is stored inline.
    #[inline]
    pub(crate) fn new<F: FnOnce(&CallbackInstance<'_>) + Send + 'static>(f: F) -> Self {
        if fits::<F>() {
            Self::new_inline(f)
        } else {
            Self::new_inline(Box::new(f))
        }
    }

    #[inline]
    fn new_inline<F: FnOnce(&CallbackInstance<'_>) + Send + 'static>(f: F) -> Self {
        // Constant-folded: `new` calls this only with types that fit (a box always does).
        assert!(fits::<F>(), "closure too large for inline storage");
        let mut data = MaybeUninit::<Inline>::uninit();
        // SAFETY: `F` fits the storage (asserted above); the storage is ours and empty (I1).
        unsafe { data.as_mut_ptr().cast::<F>().write(f) };
        let vtable = const {
            &VTable {
                call: call_stored::<F>,
                drop: drop_stored::<F>,
            }
        };
        Self { vtable, data }
    }

    /// Calls the closure, consuming it. A panic in it unwinds from here, after the
    /// closure's captures were dropped.
    #[inline]
    pub(crate) fn call(self, instance: &CallbackInstance<'_>) {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `data` holds the closure this vtable was made for (I1); `ManuallyDrop`
        // keeps `Drop` from dropping it again once `call` consumed it.
        unsafe { (this.vtable.call)(this.data.as_mut_ptr(), instance) }
    }
}

impl Drop for SimpleCallback {
    /// Drops a callback that never ran.
    fn drop(&mut self) {
        // SAFETY: `data` holds the closure this vtable was made for, never called (`call`
        // forgets `self`) (I1).
        unsafe { (self.vtable.drop)(self.data.as_mut_ptr()) }
    }
}

impl fmt::Debug for SimpleCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimpleCallback").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A callback never called drops its captures once; a called one drops them when it
    /// returns — inline or boxed.
    #[test]
    fn captures_are_dropped_once() {
        let small = Arc::new(());
        let big = Arc::new(());
        let (s, b) = (small.clone(), big.clone());
        let inline = SimpleCallback::new(move |_| drop(s));
        let pad = [0u64; 8];
        let boxed = SimpleCallback::new(move |_| {
            let _ = (pad, b);
        });
        assert_eq!((Arc::strong_count(&small), Arc::strong_count(&big)), (2, 2));
        drop(inline);
        drop(boxed);
        assert_eq!((Arc::strong_count(&small), Arc::strong_count(&big)), (1, 1));
    }
}
