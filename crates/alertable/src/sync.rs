//! The one door to atomics, cells and spinning.
//!
//! Every atomic and `UnsafeCell` of the protocol modules comes from here, so that
//! `--cfg loom` swaps them all for loom's model-checked versions at once. The crate's
//! `clippy.toml` forbids std's versions everywhere else.
//!
//! `UnsafeCell` follows loom's closure-based API (`with`, `with_mut`) in both builds: the
//! pointer it hands out is valid only inside the closure, which is what lets loom check
//! that no two accesses overlap.

#![allow(clippy::disallowed_types)]

#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::Ordering;
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

/// Declares a newtype over a std atomic, so that the facade's types have their own paths
/// (which is what lets `clippy.toml` forbid std's) while keeping every std method.
#[cfg(not(loom))]
macro_rules! facade_atomic {
    ($(#[$doc:meta])* $name:ident $(<$t:ident>)?, $std:ty, $value:ty) => {
        $(#[$doc])*
        #[derive(Debug, Default)]
        #[repr(transparent)]
        pub(crate) struct $name$(<$t>)?($std);

        impl$(<$t>)? $name$(<$t>)? {
            /// A new atomic holding `value`.
            #[allow(dead_code)] // the namespace's atomics are never built, only mapped
            pub(crate) const fn new(value: $value) -> Self {
                Self(<$std>::new(value))
            }
        }

        impl$(<$t>)? std::ops::Deref for $name$(<$t>)? {
            type Target = $std;
            #[inline(always)]
            fn deref(&self) -> &$std {
                &self.0
            }
        }
    };
}

#[cfg(not(loom))]
facade_atomic!(
    /// `std::sync::atomic::AtomicU32`, behind the facade.
    AtomicU32, std::sync::atomic::AtomicU32, u32
);
#[cfg(not(loom))]
facade_atomic!(
    /// `std::sync::atomic::AtomicU64`, behind the facade (the cross-process namespace).
    AtomicU64, std::sync::atomic::AtomicU64, u64
);
#[cfg(not(loom))]
facade_atomic!(
    /// `std::sync::atomic::AtomicUsize`, behind the facade.
    AtomicUsize, std::sync::atomic::AtomicUsize, usize
);
#[cfg(not(loom))]
facade_atomic!(
    /// `std::sync::atomic::AtomicPtr`, behind the facade.
    AtomicPtr<T>, std::sync::atomic::AtomicPtr<T>, *mut T
);

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// A cell whose contents are reached through a raw pointer inside a closure.
#[cfg(not(loom))]
#[derive(Debug, Default)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    /// Wraps `value`.
    pub(crate) const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }

    /// Runs `f` with a shared pointer to the contents.
    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with an exclusive pointer to the contents.
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

/// Bounded waiting for another thread that is known to be in the middle of a short step
/// (a producer between claiming a slot and writing it): spin a little, then yield.
#[derive(Debug, Default)]
pub(crate) struct Snooze {
    #[cfg(not(loom))]
    backoff: crossbeam_utils::Backoff,
}

impl Snooze {
    /// A fresh back-off.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Waits a little longer than last time.
    #[inline]
    pub(crate) fn snooze(&self) {
        #[cfg(not(loom))]
        self.backoff.snooze();
        #[cfg(loom)]
        loom::thread::yield_now();
    }
}

/// Pads and aligns a value to a cache line, so producers and the consumer do not share one.
pub(crate) use crossbeam_utils::CachePadded;

/// A cell written once. Loom has no model of it; the one user (the readiness descriptor
/// of `notifier.rs`) writes it on the owning thread before announcing it through the
/// queue's tail word, which is what the models check (N3).
pub(crate) use std::sync::OnceLock;
