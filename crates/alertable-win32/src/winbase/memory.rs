//! Local and global memory: `LocalAlloc`, `LocalReAlloc`, `LocalSize`, `LocalLock`,
//! `LocalUnlock`, `LocalFree` and their `Global…` twins, which on Win32 are the same
//! functions under a second name.
//!
//! Blocks come from the process heap (`heapapi.rs`). A fixed block (`LMEM_FIXED`) is its
//! own handle: the `HLOCAL` is the pointer. A moveable block (`LMEM_MOVEABLE`) is reached
//! through a handle that `LocalLock` turns into a pointer and `LocalUnlock` releases; the
//! handle is a small cell of the process heap holding the block's address (as on Windows,
//! where the handle points at the pointer), and a registry of moveable handles keeps the
//! lock count. The cells come from a heap of their own, which no handle names, so that no
//! call on a user's block — a stale one included — can free or resize a cell. While a moveable block is locked, or with a fixed block, `LocalReAlloc`
//! resizes only in place unless the caller passes `LMEM_MOVEABLE`, as Windows documents.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

use crate::consts::{
    ERROR_DISCARDED, ERROR_INVALID_HANDLE, ERROR_NOT_LOCKED, FALSE, LMEM_MODIFY, LMEM_MOVEABLE,
    LMEM_ZEROINIT, TRUE,
};
use crate::error::{Error, Result, set_last_error};
use crate::ffi::call;
use crate::heapapi::{Heap, out_of_memory, process_block, process_heap};
use crate::types::{BOOL, HGLOBAL, HLOCAL, LPVOID, SIZE_T, UINT};

/// A moveable block: its address (`None` once discarded) and lock count.
#[derive(Debug)]
struct Moveable {
    block: Option<usize>,
    locks: u32,
}

/// Moveable handles by value; `&mut` to the map is the proof its lock is held.
static MOVEABLE: LazyLock<Mutex<HashMap<usize, Moveable>>> = LazyLock::new(Mutex::default);

fn moveable() -> MutexGuard<'static, HashMap<usize, Moveable>> {
    // Plain map operations only: a poisoned lock leaves a consistent map.
    MOVEABLE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The handle cells of moveable blocks.
static CELLS: LazyLock<Heap> = LazyLock::new(|| Heap::new(None));

/// Windows keeps a moveable block's lock count in 8 bits.
const MAX_LOCKS: u32 = 0xFF;

fn pointer(address: usize) -> *mut u8 {
    std::ptr::with_exposed_provenance_mut(address)
}

/// Stores `block` in the handle cell at `cell`, as Windows' handle points at the pointer.
fn write_cell(cell: usize, block: Option<usize>) {
    // SAFETY: `cell` is a live 16-byte block of `CELLS`, which only this module allocates,
    // writes and frees, under the registry lock; 16-byte aligned, so a pointer-sized write
    // fits.
    unsafe { pointer(cell).cast::<usize>().write(block.unwrap_or(0)) };
}

fn alloc(flags: UINT, bytes: SIZE_T) -> Result<HLOCAL> {
    let zero = flags & LMEM_ZEROINIT != 0;
    let heap = process_heap();
    if flags & LMEM_MOVEABLE == 0 {
        let p = heap.alloc(bytes, zero).ok_or_else(out_of_memory)?;
        return Ok(p.cast());
    }
    // A zero-byte moveable block is created discarded (Windows documents it so).
    let block = if bytes == 0 {
        None
    } else {
        Some(
            heap.alloc(bytes, zero)
                .ok_or_else(out_of_memory)?
                .expose_provenance(),
        )
    };
    let Some(cell) = CELLS.alloc(size_of::<usize>(), true) else {
        if let Some(b) = block {
            heap.free(pointer(b));
        }
        return Err(out_of_memory());
    };
    let cell = cell.expose_provenance();
    let mut map = moveable();
    write_cell(cell, block);
    map.insert(cell, Moveable { block, locks: 0 });
    Ok(pointer(cell).cast())
}

fn lock(h: HLOCAL) -> Result<LPVOID> {
    if let Some(m) = moveable().get_mut(&h.addr()) {
        let block = m.block.ok_or(Error(ERROR_DISCARDED))?;
        m.locks = (m.locks + 1).min(MAX_LOCKS);
        return Ok(pointer(block).cast());
    }
    process_block(h.cast())?;
    Ok(h)
}

/// `Ok(true)` if still locked after this unlock.
fn unlock(h: HLOCAL) -> Result<bool> {
    if let Some(m) = moveable().get_mut(&h.addr()) {
        if m.locks == 0 {
            return Err(Error(ERROR_NOT_LOCKED));
        }
        m.locks -= 1;
        return Ok(m.locks > 0);
    }
    process_block(h.cast())?;
    Err(Error(ERROR_NOT_LOCKED))
}

fn size(h: HLOCAL) -> Result<SIZE_T> {
    if let Some(m) = moveable().get(&h.addr()) {
        return Ok(m
            .block
            .map_or(0, |b| process_heap().size(pointer(b)).unwrap_or(0)));
    }
    process_block(h.cast())
}

fn free(h: HLOCAL) -> Result<()> {
    if h.is_null() {
        return Ok(());
    }
    let heap = process_heap();
    let removed = moveable().remove(&h.addr());
    if let Some(m) = removed {
        if let Some(b) = m.block {
            heap.free(pointer(b));
        }
        CELLS.free(h.cast());
        return Ok(());
    }
    if heap.free(h.cast()) {
        Ok(())
    } else {
        Err(Error(ERROR_INVALID_HANDLE))
    }
}

fn realloc(h: HLOCAL, bytes: SIZE_T, flags: UINT) -> Result<HLOCAL> {
    let zero = flags & LMEM_ZEROINIT != 0;
    let may_move = flags & LMEM_MOVEABLE != 0;
    let heap = process_heap();
    let mut map = moveable();
    if let Some(m) = map.get_mut(&h.addr()) {
        if flags & LMEM_MODIFY != 0 {
            return Ok(h);
        }
        let block = match (m.block, bytes) {
            (Some(b), 0) if m.locks == 0 => {
                // Zero bytes discard an unlocked moveable block.
                heap.free(pointer(b));
                None
            }
            (Some(b), _) => Some(
                heap.realloc(pointer(b), bytes, zero, m.locks > 0 && !may_move)
                    .ok_or_else(out_of_memory)?
                    .expose_provenance(),
            ),
            (None, 0) => None,
            (None, _) => Some(
                heap.alloc(bytes, zero)
                    .ok_or_else(out_of_memory)?
                    .expose_provenance(),
            ),
        };
        m.block = block;
        write_cell(h.addr(), block);
        return Ok(h);
    }
    drop(map);
    process_block(h.cast())?;
    if flags & LMEM_MODIFY != 0 {
        if !may_move {
            return Ok(h);
        }
        // A fixed block becomes moveable: a new handle names it.
        let cell = CELLS
            .alloc(size_of::<usize>(), true)
            .ok_or_else(out_of_memory)?
            .expose_provenance();
        let mut map = moveable();
        write_cell(cell, Some(h.expose_provenance()));
        map.insert(
            cell,
            Moveable {
                block: Some(h.expose_provenance()),
                locks: 0,
            },
        );
        return Ok(pointer(cell).cast());
    }
    let p = heap
        .realloc(h.cast(), bytes, zero, !may_move)
        .ok_or_else(out_of_memory)?;
    Ok(p.cast())
}

// ---------------------------------------------------------------------------------------
// Local…

/// Allocates `uBytes` bytes from the process heap. With `LMEM_FIXED` (and `LPTR`) the
/// result is a pointer to the block; with `LMEM_MOVEABLE` (and `LHND`) it is a handle for
/// `LocalLock`, and a zero-byte request gives a handle to a discarded block. With
/// `LMEM_ZEROINIT` the bytes are zero. Other flags are accepted and change nothing.
///
/// # Errors
///
/// `NULL` with `ERROR_NOT_ENOUGH_MEMORY` (8).
///
/// # Win32
///
/// `LocalAlloc`.
#[unsafe(no_mangle)]
pub extern "C" fn LocalAlloc(uFlags: UINT, uBytes: SIZE_T) -> HLOCAL {
    call(std::ptr::null_mut(), || alloc(uFlags, uBytes))
}

/// Resizes the block `hMem` to `uBytes` bytes and returns its handle (for a fixed block,
/// its possibly new address). A fixed block, or a locked moveable one, moves only if
/// `uFlags` holds `LMEM_MOVEABLE`; otherwise it resizes in place or the call fails. With
/// `LMEM_ZEROINIT` the new bytes are zero; zero bytes discard an unlocked moveable block.
/// With `LMEM_MODIFY` only the kind changes: `LMEM_MOVEABLE` turns a fixed block into a
/// moveable one and returns its new handle.
///
/// # Errors
///
/// `NULL`, the block unchanged, with `ERROR_NOT_ENOUGH_MEMORY` (8), or
/// `ERROR_INVALID_HANDLE` (6) if `hMem` is not a local block.
///
/// # Win32
///
/// `LocalReAlloc`.
#[unsafe(no_mangle)]
pub extern "C" fn LocalReAlloc(hMem: HLOCAL, uBytes: SIZE_T, uFlags: UINT) -> HLOCAL {
    call(std::ptr::null_mut(), || realloc(hMem, uBytes, uFlags))
}

/// Returns the size of the block `hMem` in bytes: 0 for a discarded block.
///
/// # Errors
///
/// 0 with `ERROR_INVALID_HANDLE` (6) if `hMem` is not a local block.
///
/// # Win32
///
/// `LocalSize`.
#[unsafe(no_mangle)]
pub extern "C" fn LocalSize(hMem: HLOCAL) -> SIZE_T {
    call(0, || size(hMem))
}

/// Returns a pointer to the block `hMem`: for a moveable block, counts one more lock (up
/// to 255); a fixed block is returned as it is.
///
/// # Errors
///
/// `NULL` with `ERROR_DISCARDED` (157) for a discarded block, or `ERROR_INVALID_HANDLE`
/// (6) if `hMem` is not a local block.
///
/// # Win32
///
/// `LocalLock`.
#[unsafe(no_mangle)]
pub extern "C" fn LocalLock(hMem: HLOCAL) -> LPVOID {
    call(std::ptr::null_mut(), || lock(hMem))
}

/// Releases one lock of the moveable block `hMem`: non-zero if it is still locked, else
/// `FALSE` with the last error 0 (`NO_ERROR`).
///
/// # Errors
///
/// `FALSE` with `ERROR_NOT_LOCKED` (158) if the block was not locked (a fixed block never
/// is), or `ERROR_INVALID_HANDLE` (6) if `hMem` is not a local block.
///
/// # Win32
///
/// `LocalUnlock`.
#[unsafe(no_mangle)]
pub extern "C" fn LocalUnlock(hMem: HLOCAL) -> BOOL {
    call(FALSE, || {
        if unlock(hMem)? {
            Ok(TRUE)
        } else {
            set_last_error(0);
            Ok(FALSE)
        }
    })
}

/// Frees the block `hMem` (also a locked one) and returns `NULL`; `NULL` is nothing to
/// free. Frees the buffers `FormatMessage` and `GetThreadDescription` allocate.
///
/// # Errors
///
/// `hMem` itself with `ERROR_INVALID_HANDLE` (6) if it is not a local block.
///
/// # Win32
///
/// `LocalFree`.
#[unsafe(no_mangle)]
pub extern "C" fn LocalFree(hMem: HLOCAL) -> HLOCAL {
    call(hMem, || free(hMem).map(|()| std::ptr::null_mut()))
}

// ---------------------------------------------------------------------------------------
// Global…

/// As [`LocalAlloc`], with the `GMEM_…` flags (`GMEM_FIXED`, `GMEM_MOVEABLE`,
/// `GMEM_ZEROINIT`, `GPTR`, `GHND`), which have the `LMEM_…` values.
///
/// # Errors
///
/// As [`LocalAlloc`].
///
/// # Win32
///
/// `GlobalAlloc`.
#[unsafe(no_mangle)]
pub extern "C" fn GlobalAlloc(uFlags: UINT, dwBytes: SIZE_T) -> HGLOBAL {
    call(std::ptr::null_mut(), || alloc(uFlags, dwBytes))
}

/// As [`LocalReAlloc`].
///
/// # Errors
///
/// As [`LocalReAlloc`].
///
/// # Win32
///
/// `GlobalReAlloc`.
#[unsafe(no_mangle)]
pub extern "C" fn GlobalReAlloc(hMem: HGLOBAL, dwBytes: SIZE_T, uFlags: UINT) -> HGLOBAL {
    call(std::ptr::null_mut(), || realloc(hMem, dwBytes, uFlags))
}

/// As [`LocalSize`].
///
/// # Errors
///
/// As [`LocalSize`].
///
/// # Win32
///
/// `GlobalSize`.
#[unsafe(no_mangle)]
pub extern "C" fn GlobalSize(hMem: HGLOBAL) -> SIZE_T {
    call(0, || size(hMem))
}

/// As [`LocalLock`].
///
/// # Errors
///
/// As [`LocalLock`].
///
/// # Win32
///
/// `GlobalLock`.
#[unsafe(no_mangle)]
pub extern "C" fn GlobalLock(hMem: HGLOBAL) -> LPVOID {
    call(std::ptr::null_mut(), || lock(hMem))
}

/// As [`LocalUnlock`].
///
/// # Errors
///
/// As [`LocalUnlock`].
///
/// # Win32
///
/// `GlobalUnlock`.
#[unsafe(no_mangle)]
pub extern "C" fn GlobalUnlock(hMem: HGLOBAL) -> BOOL {
    LocalUnlock(hMem)
}

/// As [`LocalFree`].
///
/// # Errors
///
/// As [`LocalFree`].
///
/// # Win32
///
/// `GlobalFree`.
#[unsafe(no_mangle)]
pub extern "C" fn GlobalFree(hMem: HGLOBAL) -> HGLOBAL {
    LocalFree(hMem)
}

/// Copies `items` and a terminating zero into a new fixed local block, for the functions
/// that hand out `LocalFree`-able strings; at least `minimum` elements are allocated.
pub(crate) fn local_copy<T: Copy + Default>(items: &[T], minimum: usize) -> Result<*mut T> {
    let count = (items.len() + 1).max(minimum);
    let bytes = count
        .checked_mul(size_of::<T>())
        .ok_or_else(out_of_memory)?;
    let p = process_heap()
        .alloc(bytes, true)
        .ok_or_else(out_of_memory)?
        .cast::<T>();
    // SAFETY: the block holds `count >= items.len() + 1` elements, 16-byte aligned, and
    // is new, so it overlaps nothing.
    unsafe {
        core::ptr::copy_nonoverlapping(items.as_ptr(), p, items.len());
        p.add(items.len()).write(T::default());
    }
    Ok(p)
}
