//! [`Routine`]: a completion routine, stored in the request without an allocation when it
//! is small.
//!
//! A routine is a `FnOnce(result, buffer)` of the caller's type. Boxing it would cost an
//! allocation per request; instead a routine of up to 32 bytes (one capturing an offset
//! and a handle or two, the usual case) is kept inline, next to the two functions that
//! call or drop it, and only a larger one is boxed (its box pointer is then what is kept
//! inline).
//!
//! (RT1) `data` holds a valid routine of the type `call` and `drop` were made for, from
//!       `new` until exactly one of them consumes it: `call` (by [`Routine::call`]) or
//!       `drop` (by `Drop`), never both, never twice.

use std::mem::{ManuallyDrop, MaybeUninit};

use crate::IoError;

/// Inline storage for a routine: 32 bytes, word-aligned.
type Inline = [usize; 4];

/// Runs the routine of type `F` stored at `data`, consuming it.
///
/// # Safety
/// `data` holds a valid `F` that is never used again (RT1).
unsafe fn call_stored<F: FnOnce(Result<usize, IoError>, Vec<u8>)>(
    data: *mut Inline,
    result: Result<usize, IoError>,
    buffer: Vec<u8>,
) {
    // SAFETY: the caller hands over the only copy of a valid `F` (RT1); `fits::<F>()` held
    // when it was stored, so size and alignment are right.
    let f = unsafe { data.cast::<F>().read() };
    f(result, buffer);
}

/// Drops the routine of type `F` stored at `data`.
///
/// # Safety
/// `data` holds a valid `F` that is never used again (RT1).
unsafe fn drop_stored<F>(data: *mut Inline) {
    // SAFETY: as for `call_stored`.
    unsafe { data.cast::<F>().drop_in_place() };
}

/// Whether an `F` can live in the inline storage.
const fn fits<F>() -> bool {
    size_of::<F>() <= size_of::<Inline>() && align_of::<F>() <= align_of::<Inline>()
}

/// A type-erased completion routine (`FnOnce(result, buffer) + Send`), inline when it fits.
pub(crate) struct Routine {
    call: unsafe fn(*mut Inline, Result<usize, IoError>, Vec<u8>),
    drop: unsafe fn(*mut Inline),
    data: MaybeUninit<Inline>,
}

// SAFETY: `Routine::new` only accepts `Send` routines, and the storage holds nothing else.
unsafe impl Send for Routine {}

impl Routine {
    /// Stores `f`: inline when it fits, otherwise boxed (the box pointer inline).
    #[inline]
    pub(crate) fn new<F>(f: F) -> Self
    where
        F: FnOnce(Result<usize, IoError>, Vec<u8>) + Send + 'static,
    {
        if fits::<F>() {
            Self::inline(f)
        } else {
            Self::inline(Box::new(f))
        }
    }

    /// Stores `f` inline; `f` must fit (a box pointer always does).
    #[inline]
    fn inline<F>(f: F) -> Self
    where
        F: FnOnce(Result<usize, IoError>, Vec<u8>) + Send + 'static,
    {
        assert!(
            fits::<F>(),
            "the routine is stored inline only when it fits"
        );
        let mut data = MaybeUninit::<Inline>::uninit();
        // SAFETY: `F` fits the storage in size and alignment (asserted above), and the
        // storage is fresh: nothing is overwritten. From here `data` holds a valid `F`
        // (RT1).
        unsafe { data.as_mut_ptr().cast::<F>().write(f) };
        Self {
            call: call_stored::<F>,
            drop: drop_stored::<F>,
            data,
        }
    }

    /// Runs the routine with the request's result and buffer.
    pub(crate) fn call(self, result: Result<usize, IoError>, buffer: Vec<u8>) {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `data` holds the valid routine `call` was made for (RT1); `this` is
        // never dropped, so the routine is consumed here only, once — also when it
        // panics, since it was moved out of the storage before it ran.
        unsafe { (this.call)(this.data.as_mut_ptr(), result, buffer) }
    }
}

impl Drop for Routine {
    fn drop(&mut self) {
        // SAFETY: `data` holds the valid routine `drop` was made for, not consumed by
        // `call` (which never lets `self` be dropped): RT1.
        unsafe { (self.drop)(self.data.as_mut_ptr()) }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Counts its drops.
    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn small_and_large_routines_run_once_and_drop_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let ran = Arc::new(AtomicUsize::new(0));
        let small = {
            let (counted, ran) = (Counted(drops.clone()), ran.clone());
            move |result: Result<usize, IoError>, buffer: Vec<u8>| {
                let _counted = &counted;
                ran.fetch_add(result.unwrap() + buffer.len(), Ordering::SeqCst);
            }
        };
        assert!(size_of_val(&small) <= 32);
        Routine::new(small).call(Ok(1), vec![0; 2]);
        assert_eq!(
            (ran.load(Ordering::SeqCst), drops.load(Ordering::SeqCst)),
            (3, 1)
        );

        let large = {
            let (counted, ran, words) = (Counted(drops.clone()), ran.clone(), [7usize; 8]);
            move |_: Result<usize, IoError>, _: Vec<u8>| {
                let _counted = &counted;
                ran.fetch_add(words.iter().sum(), Ordering::SeqCst);
            }
        };
        assert!(size_of_val(&large) > 32);
        Routine::new(large).call(Ok(0), Vec::new());
        assert_eq!(
            (ran.load(Ordering::SeqCst), drops.load(Ordering::SeqCst)),
            (59, 2)
        );

        // Dropped unrun, small and large: each capture is dropped once.
        let small = Counted(drops.clone());
        drop(Routine::new(move |_, _| drop(small)));
        let (large, words) = (Counted(drops.clone()), [0usize; 8]);
        drop(Routine::new(move |_, _| drop((large, words))));
        assert_eq!(drops.load(Ordering::SeqCst), 4);
        assert_eq!(ran.load(Ordering::SeqCst), 59);
    }
}
