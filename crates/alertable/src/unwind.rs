//! Panics the library contains rather than propagates: their payloads are dropped with care.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Drops the payload of a caught panic; a payload whose own destructor panics in turn is
/// leaked instead (its panic is the second and is not propagated either).
///
/// For code that contains a panic — from a user callback or a destructor — where nobody
/// can receive it: the payload is dropped as it should be, yet a payload that panics again
/// cannot unwind out of the caller.
///
/// # Win32
///
/// None: Win32 has no panics; a C callback's failure is its own business.
#[doc(hidden)]
pub fn discard_panic(payload: Box<dyn Any + Send>) {
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(again);
    }
}
