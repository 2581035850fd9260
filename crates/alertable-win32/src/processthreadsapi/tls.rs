//! Thread local storage: `TlsAlloc`, `TlsFree`, `TlsGetValue`, `TlsSetValue`.
//!
//! There are 1088 indexes, as on Windows (the 64 of `TLS_MINIMUM_AVAILABLE` and 1024 more),
//! handed out lowest first. Each thread keeps its values in a thread-local array; each
//! index has a generation, bumped when the index is freed, and a value counts only if it
//! was stored under the index's current generation. Freeing an index therefore clears its
//! value in every thread at once, as Windows does, without visiting the threads.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::consts::{
    ERROR_INVALID_PARAMETER, ERROR_NO_MORE_ITEMS, FALSE, TLS_OUT_OF_INDEXES, TRUE,
};
use crate::error::{Error, Result, set_last_error};
use crate::ffi::call;
use crate::types::{BOOL, DWORD, LPVOID};

/// The number of indexes.
const INDEXES: usize = 1088;

/// Which indexes are allocated.
static ALLOCATED: Mutex<[bool; INDEXES]> = Mutex::new([false; INDEXES]);
/// Each index's generation.
static GENERATIONS: [AtomicU64; INDEXES] = [const { AtomicU64::new(0) }; INDEXES];

thread_local! {
    /// The calling thread's values: (generation stored under, value), grown on demand.
    static VALUES: RefCell<Vec<(u64, usize)>> = const { RefCell::new(Vec::new()) };
}

fn index(dwTlsIndex: DWORD) -> Result<usize> {
    usize::try_from(dwTlsIndex)
        .ok()
        .filter(|&i| i < INDEXES)
        .ok_or(Error(ERROR_INVALID_PARAMETER))
}

/// Allocates the lowest free TLS index; every thread's value for it starts as `NULL`.
///
/// # Errors
///
/// `TLS_OUT_OF_INDEXES` (0xFFFFFFFF) with `ERROR_NO_MORE_ITEMS` (259) when all 1088 are
/// in use.
///
/// # Win32
///
/// `TlsAlloc`.
#[unsafe(no_mangle)]
pub extern "C" fn TlsAlloc() -> DWORD {
    call(TLS_OUT_OF_INDEXES, || {
        let mut allocated = ALLOCATED.lock().unwrap_or_else(PoisonError::into_inner);
        let i = allocated
            .iter()
            .position(|used| !used)
            .ok_or(Error(ERROR_NO_MORE_ITEMS))?;
        allocated[i] = true;
        Ok(i as DWORD)
    })
}

/// Frees the TLS index `dwTlsIndex`; its value is cleared in every thread.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_PARAMETER` (87) for an index that is out of range or not
/// allocated.
///
/// # Win32
///
/// `TlsFree`.
#[unsafe(no_mangle)]
pub extern "C" fn TlsFree(dwTlsIndex: DWORD) -> BOOL {
    call(FALSE, || {
        let i = index(dwTlsIndex)?;
        let mut allocated = ALLOCATED.lock().unwrap_or_else(PoisonError::into_inner);
        if !allocated[i] {
            return Err(Error(ERROR_INVALID_PARAMETER));
        }
        // Bumped before the index can be handed out again, under the same lock, so the
        // next owner sees no value left by this one.
        GENERATIONS[i].fetch_add(1, Ordering::Release);
        allocated[i] = false;
        Ok(TRUE)
    })
}

/// Returns the calling thread's value for `dwTlsIndex` (`NULL` if it stored none) and, as
/// Windows documents, sets the last error to 0 (`ERROR_SUCCESS`), so a `NULL` value can
/// be told from a failure.
///
/// # Errors
///
/// `NULL` with `ERROR_INVALID_PARAMETER` (87) for an index out of range. Like Windows, an
/// index in range is not checked for being allocated.
///
/// # Win32
///
/// `TlsGetValue`.
#[unsafe(no_mangle)]
pub extern "C" fn TlsGetValue(dwTlsIndex: DWORD) -> LPVOID {
    call(std::ptr::null_mut(), || {
        let i = index(dwTlsIndex)?;
        let generation = GENERATIONS[i].load(Ordering::Acquire);
        let value = VALUES
            .try_with(|v| match v.borrow().get(i) {
                Some(&(g, value)) if g == generation => value,
                _ => 0,
            })
            .unwrap_or(0);
        set_last_error(0);
        Ok(std::ptr::with_exposed_provenance_mut(value))
    })
}

/// Stores `lpTlsValue` as the calling thread's value for `dwTlsIndex`.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_PARAMETER` (87) for an index out of range.
///
/// # Win32
///
/// `TlsSetValue`.
#[unsafe(no_mangle)]
pub extern "C" fn TlsSetValue(dwTlsIndex: DWORD, lpTlsValue: LPVOID) -> BOOL {
    call(FALSE, || {
        let i = index(dwTlsIndex)?;
        let generation = GENERATIONS[i].load(Ordering::Acquire);
        let value = lpTlsValue.expose_provenance();
        // During thread teardown the value is dropped: nothing can read it any more.
        let _ = VALUES.try_with(|v| {
            let mut v = v.borrow_mut();
            if v.len() <= i {
                v.resize(i + 1, (0, 0));
            }
            v[i] = (generation, value);
        });
        Ok(TRUE)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// A freed index reads `NULL` in every thread, also in one that stored a value before
    /// the index was freed and allocated again (as Windows clears it in all threads).
    #[test]
    fn freeing_an_index_clears_it_in_every_thread() {
        let i = TlsAlloc();
        assert_ne!(i, TLS_OUT_OF_INDEXES);
        let (to_worker, from_main) = mpsc::channel::<()>();
        let (to_main, from_worker) = mpsc::channel::<usize>();
        let worker = std::thread::spawn(move || {
            assert_ne!(TlsSetValue(i, std::ptr::without_provenance_mut(0x77)), 0);
            to_main.send(TlsGetValue(i).addr()).expect("main waits");
            from_main.recv().expect("main frees and reallocates");
            to_main.send(TlsGetValue(i).addr()).expect("main waits");
        });
        assert_eq!(from_worker.recv().expect("the value stored"), 0x77);
        assert_ne!(TlsFree(i), 0);
        // The lowest free index: the one just freed, unless another test took it.
        let again = TlsAlloc();
        to_worker.send(()).expect("worker waits");
        let seen = from_worker.recv().expect("the value after the free");
        worker.join().expect("worker");
        assert_eq!(seen, 0, "the freed index reads NULL in the other thread");
        TlsFree(again);
    }

    #[test]
    fn indexes_out_of_range_are_refused() {
        crate::error::set_last_error(0);
        assert!(TlsGetValue(1088).is_null());
        assert_eq!(crate::error::last_error(), ERROR_INVALID_PARAMETER);
        assert_eq!(TlsSetValue(5000, std::ptr::null_mut()), FALSE);
        assert_eq!(TlsFree(1088), FALSE);
    }
}
