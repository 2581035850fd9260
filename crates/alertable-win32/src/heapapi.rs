//! Heaps (`heapapi.h`): `GetProcessHeap`, `HeapCreate`, `HeapAlloc`, `HeapReAlloc`,
//! `HeapSize`, `HeapFree`, `HeapDestroy`.
//!
//! A heap is a set of blocks taken from the C allocator, each 16-byte aligned (Windows'
//! `MEMORY_ALLOCATION_ALIGNMENT` on 64-bit), that the heap records with its requested size
//! and the capacity actually allocated (the size rounded up to 16). The record makes the
//! calls safe on any argument: a handle that names no heap and a pointer that is not a live
//! block of the heap are refused instead of corrupting memory, `HeapSize` reads the record,
//! `HeapReAlloc` with `HEAP_REALLOC_IN_PLACE_ONLY` succeeds exactly when the new size fits
//! the capacity, and `HeapDestroy` frees every block still allocated, as Windows does.
//!
//! A heap's handle is the address of its record, found through a process-wide registry.
//! Every heap serializes its callers with a lock (`HEAP_NO_SERIALIZE` is accepted and
//! changes nothing). The local and global memory functions of `winbase` allocate from the
//! process heap.

use std::alloc::Layout;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use crate::consts::{
    ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_NOT_ENOUGH_MEMORY, FALSE,
    HEAP_REALLOC_IN_PLACE_ONLY, HEAP_ZERO_MEMORY, TRUE,
};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::types::{BOOL, DWORD, HANDLE, LPCVOID, LPVOID, SIZE_T};

/// The alignment of every block.
const ALIGN: usize = 16;
/// The largest block a heap with a maximum size hands out: slightly less than 1 MiB, as
/// Windows documents for 64-bit processes.
const FIXED_HEAP_BLOCK_LIMIT: usize = 0xF_E000;
/// The largest request any heap accepts (beyond it, `Layout` cannot describe the block).
const MAX_REQUEST: usize = isize::MAX as usize - ALIGN;

/// One live block: the size asked for and the bytes allocated.
#[derive(Debug, Clone, Copy)]
struct Block {
    size: usize,
    capacity: usize,
}

/// A heap's blocks, by address; `&mut Blocks` is the proof the heap's lock is held.
#[derive(Debug, Default)]
struct Blocks {
    live: HashMap<usize, Block>,
    /// The sum of the live blocks' capacities.
    committed: usize,
}

/// One heap.
#[derive(Debug)]
pub(crate) struct Heap {
    blocks: Mutex<Blocks>,
    /// The most the heap may hold in all, or `None` for a heap that grows.
    maximum: Option<usize>,
}

fn capacity_for(size: usize) -> usize {
    size.max(1).next_multiple_of(ALIGN)
}

fn layout(capacity: usize) -> Layout {
    // The capacity is a non-zero multiple of 16 no larger than `MAX_REQUEST + 16`.
    Layout::from_size_align(capacity, ALIGN).expect("a block's capacity fits a Layout")
}

impl Heap {
    /// A heap holding at most `maximum` bytes (`None`: it grows), in no registry: the
    /// library's own heaps are made with this too.
    pub(crate) fn new(maximum: Option<usize>) -> Self {
        Self {
            blocks: Mutex::new(Blocks::default()),
            maximum,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Blocks> {
        // Every critical section leaves the map consistent before anything can panic.
        self.blocks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a new block of `capacity` bytes may join `blocks`.
    fn admits(&self, blocks: &Blocks, capacity: usize) -> bool {
        match self.maximum {
            None => true,
            Some(maximum) => {
                capacity <= FIXED_HEAP_BLOCK_LIMIT
                    && blocks
                        .committed
                        .checked_add(capacity)
                        .is_some_and(|total| total <= maximum)
            }
        }
    }

    /// A new block of `size` bytes, zeroed if `zero`; `None` if it cannot be had.
    pub(crate) fn alloc(&self, size: usize, zero: bool) -> Option<*mut u8> {
        if size > MAX_REQUEST {
            return None;
        }
        let capacity = capacity_for(size);
        let mut blocks = self.lock();
        if !self.admits(&blocks, capacity) {
            return None;
        }
        let layout = layout(capacity);
        // SAFETY: `layout` has a non-zero size.
        let p = unsafe {
            if zero {
                std::alloc::alloc_zeroed(layout)
            } else {
                std::alloc::alloc(layout)
            }
        };
        if p.is_null() {
            return None;
        }
        blocks
            .live
            .insert(p.expose_provenance(), Block { size, capacity });
        blocks.committed += capacity;
        Some(p)
    }

    /// The requested size of the live block at `p`.
    pub(crate) fn size(&self, p: *const u8) -> Option<usize> {
        self.lock().live.get(&p.addr()).map(|b| b.size)
    }

    /// Resizes the live block at `p` to `size` bytes, moving it unless `in_place`; with
    /// `zero`, bytes past the old size are zero. `None` (the block unchanged) if `p` is
    /// not a live block or the block cannot be resized so.
    pub(crate) fn realloc(
        &self,
        p: *mut u8,
        size: usize,
        zero: bool,
        in_place: bool,
    ) -> Option<*mut u8> {
        if size > MAX_REQUEST {
            return None;
        }
        let mut blocks = self.lock();
        let old = *blocks.live.get(&p.addr())?;
        let (q, capacity) = if size <= old.capacity {
            (p, old.capacity)
        } else if in_place {
            return None;
        } else {
            let capacity = capacity_for(size);
            let others = blocks.committed - old.capacity;
            let fits = match self.maximum {
                None => true,
                Some(maximum) => {
                    capacity <= FIXED_HEAP_BLOCK_LIMIT
                        && others.checked_add(capacity).is_some_and(|t| t <= maximum)
                }
            };
            if !fits {
                return None;
            }
            // SAFETY: `p` is a live block of this heap (its record says so), allocated
            // with `layout(old.capacity)`; the new size is non-zero and fits a Layout.
            let q = unsafe { std::alloc::realloc(p, layout(old.capacity), capacity) };
            if q.is_null() {
                return None;
            }
            (q, capacity)
        };
        if zero && size > old.size {
            // SAFETY: bytes `old.size..size` lie within the block's `capacity` bytes, which
            // belong to this heap and to no caller's reference while the lock is held.
            unsafe { q.add(old.size).write_bytes(0, size - old.size) };
        }
        blocks.live.remove(&p.addr());
        blocks
            .live
            .insert(q.expose_provenance(), Block { size, capacity });
        blocks.committed = blocks.committed - old.capacity + capacity;
        Some(q)
    }

    /// Frees the live block at `p`; `false` if there is none.
    pub(crate) fn free(&self, p: *mut u8) -> bool {
        let mut blocks = self.lock();
        let Some(block) = blocks.live.remove(&p.addr()) else {
            return false;
        };
        blocks.committed -= block.capacity;
        // SAFETY: the record held a live block at `p` allocated with this layout; it is
        // removed, so nothing frees it twice.
        unsafe { std::alloc::dealloc(p, layout(block.capacity)) };
        true
    }
}

impl Drop for Heap {
    fn drop(&mut self) {
        let blocks = self
            .blocks
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        for (&address, block) in &blocks.live {
            // SAFETY: every record is a live block allocated with this layout, freed
            // once here as the heap goes away (`HeapDestroy`).
            unsafe {
                std::alloc::dealloc(
                    std::ptr::with_exposed_provenance_mut(address),
                    layout(block.capacity),
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The registry of heaps.

/// Every heap by handle value; the process heap is one of them.
static HEAPS: Mutex<BTreeMap<usize, Arc<Heap>>> = Mutex::new(BTreeMap::new());
/// The process heap and its handle value (a `HANDLE` is not `Sync`: kept as a number).
static PROCESS_HEAP: OnceLock<(usize, Arc<Heap>)> = OnceLock::new();

fn heaps() -> MutexGuard<'static, BTreeMap<usize, Arc<Heap>>> {
    // Plain map operations only: a poisoned lock leaves a consistent map.
    HEAPS.lock().unwrap_or_else(PoisonError::into_inner)
}

fn register(heap: Heap) -> HANDLE {
    let heap = Arc::new(heap);
    let handle = Arc::as_ptr(&heap).expose_provenance();
    heaps().insert(handle, heap);
    std::ptr::without_provenance_mut(handle)
}

/// The process heap, made on first use.
pub(crate) fn process_heap() -> &'static Arc<Heap> {
    &PROCESS_HEAP
        .get_or_init(|| {
            let handle = register(Heap::new(None));
            let heap = heaps()[&handle.addr()].clone();
            (handle.addr(), heap)
        })
        .1
}

fn process_heap_handle() -> HANDLE {
    process_heap();
    std::ptr::without_provenance_mut(PROCESS_HEAP.get().expect("made above").0)
}

/// The heap `handle` names.
fn heap(handle: HANDLE) -> Option<Arc<Heap>> {
    process_heap();
    heaps().get(&handle.addr()).cloned()
}

/// A pointer from C as the heap's key and as a pointer to the block.
fn block(p: LPCVOID) -> *mut u8 {
    std::ptr::with_exposed_provenance_mut(p.addr())
}

// ---------------------------------------------------------------------------------------
// The functions.

/// Returns the handle of the process heap, the heap the local and global memory functions
/// allocate from. It is never destroyed.
///
/// # Win32
///
/// `GetProcessHeap`.
#[unsafe(no_mangle)]
pub extern "C" fn GetProcessHeap() -> HANDLE {
    call(std::ptr::null_mut(), || Ok(process_heap_handle()))
}

/// Creates a private heap. With `dwMaximumSize` 0 the heap grows as needed; otherwise it
/// holds at most `dwMaximumSize` bytes (rounded up to 64 KiB) in all, in blocks of
/// slightly less than 1 MiB at most, as Windows documents. `dwInitialSize` reserves
/// nothing here. The options (`HEAP_NO_SERIALIZE`, `HEAP_GENERATE_EXCEPTIONS`,
/// `HEAP_CREATE_ENABLE_EXECUTE`) are accepted and change nothing.
///
/// # Errors
///
/// `NULL` with `ERROR_INVALID_PARAMETER` (87) if a non-zero `dwMaximumSize` is smaller
/// than `dwInitialSize`.
///
/// # Win32
///
/// `HeapCreate`.
#[unsafe(no_mangle)]
pub extern "C" fn HeapCreate(
    flOptions: DWORD,
    dwInitialSize: SIZE_T,
    dwMaximumSize: SIZE_T,
) -> HANDLE {
    let _ = flOptions;
    call(std::ptr::null_mut(), || {
        let maximum = match dwMaximumSize {
            0 => None,
            max if max < dwInitialSize => return Err(Error(ERROR_INVALID_PARAMETER)),
            max => Some(max.checked_next_multiple_of(0x1_0000).unwrap_or(max)),
        };
        Ok(register(Heap::new(maximum)))
    })
}

/// Allocates `dwBytes` bytes (a zero-byte request gets a block of its own), 16-byte
/// aligned, from the heap `hHeap`; with `HEAP_ZERO_MEMORY` they are zero.
///
/// # Errors
///
/// `NULL` if the heap cannot supply the block or `hHeap` is not a heap. As on Windows,
/// the last error is not set (`HEAP_GENERATE_EXCEPTIONS` cannot raise an exception here;
/// the call returns `NULL` all the same).
///
/// # Win32
///
/// `HeapAlloc`.
#[unsafe(no_mangle)]
pub extern "C" fn HeapAlloc(hHeap: HANDLE, dwFlags: DWORD, dwBytes: SIZE_T) -> LPVOID {
    call(std::ptr::null_mut(), || {
        let zero = dwFlags & HEAP_ZERO_MEMORY != 0;
        Ok(heap(hHeap)
            .and_then(|h| h.alloc(dwBytes, zero))
            .map_or(std::ptr::null_mut(), |p| p.cast()))
    })
}

/// Resizes the block `lpMem` of heap `hHeap` to `dwBytes` bytes, keeping its contents up
/// to the smaller size, and returns its (possibly new) address. With `HEAP_ZERO_MEMORY`
/// the bytes past the old size are zero; with `HEAP_REALLOC_IN_PLACE_ONLY` the block does
/// not move, and the call fails if it cannot grow where it is (here: beyond the 16-byte
/// multiple its size was rounded up to).
///
/// # Errors
///
/// `NULL`, the block unchanged and still valid, if it cannot be resized, `lpMem` is not a
/// block of the heap or `hHeap` is not a heap. As on Windows, the last error is not set.
///
/// # Win32
///
/// `HeapReAlloc`.
#[unsafe(no_mangle)]
pub extern "C" fn HeapReAlloc(
    hHeap: HANDLE,
    dwFlags: DWORD,
    lpMem: LPVOID,
    dwBytes: SIZE_T,
) -> LPVOID {
    call(std::ptr::null_mut(), || {
        let zero = dwFlags & HEAP_ZERO_MEMORY != 0;
        let in_place = dwFlags & HEAP_REALLOC_IN_PLACE_ONLY != 0;
        Ok(heap(hHeap)
            .and_then(|h| h.realloc(block(lpMem), dwBytes, zero, in_place))
            .map_or(std::ptr::null_mut(), |p| p.cast()))
    })
}

/// Returns the size requested for the block `lpMem` of heap `hHeap`.
///
/// # Errors
///
/// `(SIZE_T)-1` if `lpMem` is not a block of the heap or `hHeap` is not a heap; as on
/// Windows, the last error is not set.
///
/// # Win32
///
/// `HeapSize`.
#[unsafe(no_mangle)]
pub extern "C" fn HeapSize(hHeap: HANDLE, dwFlags: DWORD, lpMem: LPCVOID) -> SIZE_T {
    let _ = dwFlags;
    call(SIZE_T::MAX, || {
        Ok(heap(hHeap)
            .and_then(|h| h.size(block(lpMem)))
            .unwrap_or(SIZE_T::MAX))
    })
}

/// Frees the block `lpMem` of heap `hHeap`. A `NULL` block is nothing to free: the call
/// succeeds.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) if `hHeap` is not a heap, or
/// `ERROR_INVALID_PARAMETER` (87) if `lpMem` is not a live block of it (Windows' behaviour
/// there is undefined: heap corruption).
///
/// # Win32
///
/// `HeapFree`.
#[unsafe(no_mangle)]
pub extern "C" fn HeapFree(hHeap: HANDLE, dwFlags: DWORD, lpMem: LPVOID) -> BOOL {
    let _ = dwFlags;
    call(FALSE, || {
        let heap = heap(hHeap).ok_or(Error(ERROR_INVALID_HANDLE))?;
        if lpMem.is_null() || heap.free(block(lpMem)) {
            Ok(TRUE)
        } else {
            Err(Error(ERROR_INVALID_PARAMETER))
        }
    })
}

/// Destroys the private heap `hHeap` and frees every block still allocated from it.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) if `hHeap` is not a heap, or
/// `ERROR_INVALID_PARAMETER` (87) for the process heap, which Windows says must not be
/// destroyed.
///
/// # Win32
///
/// `HeapDestroy`.
#[unsafe(no_mangle)]
pub extern "C" fn HeapDestroy(hHeap: HANDLE) -> BOOL {
    call(FALSE, || {
        if hHeap == process_heap_handle() {
            return Err(Error(ERROR_INVALID_PARAMETER));
        }
        let removed = heaps().remove(&hHeap.addr());
        // The heap's blocks are freed here, outside the registry's lock.
        match removed {
            Some(heap) => {
                drop(heap);
                Ok(TRUE)
            }
            None => Err(Error(ERROR_INVALID_HANDLE)),
        }
    })
}

/// The error a failed local or global allocation leaves.
pub(crate) fn out_of_memory() -> Error {
    Error(ERROR_NOT_ENOUGH_MEMORY)
}

/// `Ok` if `p` is a live block of the process heap.
pub(crate) fn process_block(p: *const u8) -> Result<usize> {
    process_heap().size(p).ok_or(Error(ERROR_INVALID_HANDLE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_place_growth_stays_within_the_rounded_capacity() {
        let heap = Heap::new(None);
        let p = heap.alloc(10, true).expect("a block");
        assert_eq!(heap.realloc(p, 16, true, true), Some(p));
        assert_eq!(heap.size(p), Some(16));
        assert_eq!(heap.realloc(p, 17, false, true), None);
        assert_eq!(heap.size(p), Some(16), "a failed resize leaves the block");
        let q = heap.realloc(p, 4000, true, false).expect("moved");
        // SAFETY: `q` is a live block of 4000 bytes.
        let bytes = unsafe { std::slice::from_raw_parts(q, 4000) };
        assert!(bytes.iter().all(|&b| b == 0), "grown bytes are zero");
        assert!(heap.free(q));
        assert!(!heap.free(q), "a block is freed once");
    }

    #[test]
    fn a_bounded_heap_refuses_what_exceeds_its_maximum() {
        let heap = Heap::new(Some(0x1_0000));
        let a = heap.alloc(0x8000, false).expect("half");
        assert!(heap.alloc(0x9000, false).is_none(), "over the maximum");
        assert!(heap.free(a));
        assert!(
            heap.alloc(0x1_0000, false).is_some(),
            "all of it, once freed"
        );
        assert!(
            Heap::new(Some(1 << 30))
                .alloc(FIXED_HEAP_BLOCK_LIMIT + 1, false)
                .is_none()
        );
    }
}
