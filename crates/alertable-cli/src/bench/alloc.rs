//! The binary's global allocator: `System`, plus one relaxed counter of allocation calls.
//!
//! Registered here for the whole `alertable` binary, so every benchmark contender runs
//! under the same allocator at the same cost (one relaxed `fetch_add` per allocation).
//! `alloc`, `alloc_zeroed` and `realloc` each count as one allocation; `dealloc` is not
//! counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// `System` with an allocation counter.
struct Counting;

// SAFETY: every method forwards to `System`, which upholds the `GlobalAlloc` contract,
// with the caller's arguments unchanged; the counter update has no effect on the memory
// returned or released.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller guarantees what `GlobalAlloc::alloc` requires of `layout`
        // (non-zero size); we pass it on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as for `alloc`: the caller's guarantees on `layout` are forwarded.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller guarantees that `ptr` was allocated by this allocator with
        // `layout` — that is, by `System`, since every allocation above is `System`'s —
        // and that `new_size` is valid for `layout`'s alignment.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller guarantees that `ptr` was allocated by this allocator (so by
        // `System`) with `layout`, and is not used again.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocation calls made so far by the whole process.
///
/// The counter is monotonic; a relaxed load still sees every allocation that
/// happens-before the load (coherence of a single atomic).
pub(crate) fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}
