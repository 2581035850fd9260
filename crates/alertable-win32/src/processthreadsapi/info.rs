//! What a handle tells about its thread or process: `GetThreadId`, `GetProcessId`,
//! `SetThreadPriority`, `GetThreadPriority`, `SetThreadDescription`,
//! `GetThreadDescription`.
//!
//! Priorities are accepted and remembered per thread object, so `GetThreadPriority`
//! returns what was set, but they do not change Linux scheduling: an unprivileged process
//! cannot raise a thread's priority, and lowering one it could not raise back would make
//! `SetThreadPriority` one-way. A thread's description is its Linux name
//! (`/proc/self/task/<tid>/comm`, what `ps`, `top` and debuggers show), which the kernel
//! keeps to 15 bytes: a longer description is cut to 15 bytes at a character boundary, and
//! `GetThreadDescription` returns the name as cut.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use crate::consts::{
    E_HANDLE, E_INVALIDARG, E_OUTOFMEMORY, ERROR_GEN_FAILURE, ERROR_INVALID_HANDLE,
    ERROR_INVALID_PARAMETER, ERROR_NOT_ENOUGH_MEMORY, ERROR_THREAD_MODE_ALREADY_BACKGROUND,
    ERROR_THREAD_MODE_NOT_BACKGROUND, FALSE, S_OK, THREAD_MODE_BACKGROUND_BEGIN,
    THREAD_MODE_BACKGROUND_END, THREAD_PRIORITY_ERROR_RETURN, THREAD_PRIORITY_IDLE,
    THREAD_PRIORITY_NORMAL, THREAD_PRIORITY_TIME_CRITICAL, TRUE,
};
use crate::error::{Error, Result, last_error, set_last_error};
use crate::ffi::call;
use crate::handle::{self, Object};
use crate::processthreadsapi::thread::{ThreadObject, current_thread};
use crate::sys;
use crate::types::{BOOL, DWORD, HANDLE, HRESULT, INT, PCWSTR, PWSTR};

/// The kernel keeps a thread's name to this many bytes.
const NAME_LIMIT: usize = 15;

fn thread_object(h: HANDLE) -> Result<Arc<ThreadObject>> {
    handle::object(h)?.into_thread()
}

/// The id of the thread the handle `Thread` names (its Linux thread id).
///
/// # Errors
///
/// 0 with `ERROR_INVALID_HANDLE` (6) if `Thread` is not a thread handle.
///
/// # Win32
///
/// `GetThreadId`.
#[unsafe(no_mangle)]
pub extern "C" fn GetThreadId(Thread: HANDLE) -> DWORD {
    call(0, || match handle::object(Thread)?.into_any_thread()? {
        handle::AnyThread::Local(t) => Ok(DWORD::try_from(t.handle().id()).unwrap_or(0)),
        handle::AnyThread::Remote(t) => Ok(t.id()),
    })
}

/// The id of the process the handle `Process` names: only the current process has a
/// handle here (`GetCurrentProcess()` or a duplicate of it).
///
/// # Errors
///
/// 0 with `ERROR_INVALID_HANDLE` (6) if `Process` is not a process handle.
///
/// # Win32
///
/// `GetProcessId`.
#[unsafe(no_mangle)]
pub extern "C" fn GetProcessId(Process: HANDLE) -> DWORD {
    call(0, || match handle::object(Process)? {
        Object::Process => Ok(sys::process_id()),
        _ => Err(Error(ERROR_INVALID_HANDLE)),
    })
}

// ---------------------------------------------------------------------------------------
// Priorities.

/// A thread's remembered priority and background mode.
#[derive(Debug)]
struct Remembered {
    thread: Weak<ThreadObject>,
    priority: INT,
    background: bool,
}

/// Remembered priorities; entries of threads whose object is gone are swept on insert.
static PRIORITIES: Mutex<Vec<Remembered>> = Mutex::new(Vec::new());

fn priorities() -> MutexGuard<'static, Vec<Remembered>> {
    // Plain vector operations only: a poisoned lock leaves a consistent list.
    PRIORITIES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The entry of `t`, made if missing.
fn entry<'a>(list: &'a mut Vec<Remembered>, t: &Arc<ThreadObject>) -> &'a mut Remembered {
    let weak = Arc::downgrade(t);
    if let Some(i) = list.iter().position(|r| r.thread.ptr_eq(&weak)) {
        return &mut list[i];
    }
    list.retain(|r| r.thread.strong_count() > 0);
    list.push(Remembered {
        thread: weak,
        priority: THREAD_PRIORITY_NORMAL,
        background: false,
    });
    list.last_mut().expect("just pushed")
}

/// Sets the priority of the thread `hThread`: one of `THREAD_PRIORITY_IDLE` (-15),
/// `…_LOWEST` (-2) to `…_HIGHEST` (2), `…_TIME_CRITICAL` (15), or — for the calling
/// thread — `THREAD_MODE_BACKGROUND_BEGIN`/`…_END`. The value is remembered for
/// `GetThreadPriority`; Linux scheduling is left as it is (see the module documentation).
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) if `hThread` is not a thread handle,
/// `ERROR_INVALID_PARAMETER` (87) for another value or a background mode asked for
/// another thread, `ERROR_THREAD_MODE_ALREADY_BACKGROUND` (400) or
/// `ERROR_THREAD_MODE_NOT_BACKGROUND` (401).
///
/// # Win32
///
/// `SetThreadPriority`.
#[unsafe(no_mangle)]
pub extern "C" fn SetThreadPriority(hThread: HANDLE, nPriority: INT) -> BOOL {
    call(FALSE, || {
        let t = thread_object(hThread)?;
        let mut list = priorities();
        match nPriority {
            THREAD_MODE_BACKGROUND_BEGIN | THREAD_MODE_BACKGROUND_END => {
                if !Arc::ptr_eq(&t, &current_thread()) {
                    return Err(Error(ERROR_INVALID_PARAMETER));
                }
                let e = entry(&mut list, &t);
                let begin = nPriority == THREAD_MODE_BACKGROUND_BEGIN;
                match (begin, e.background) {
                    (true, true) => return Err(Error(ERROR_THREAD_MODE_ALREADY_BACKGROUND)),
                    (false, false) => return Err(Error(ERROR_THREAD_MODE_NOT_BACKGROUND)),
                    _ => e.background = begin,
                }
            }
            THREAD_PRIORITY_IDLE | -2..=2 | THREAD_PRIORITY_TIME_CRITICAL => {
                entry(&mut list, &t).priority = nPriority;
            }
            _ => return Err(Error(ERROR_INVALID_PARAMETER)),
        }
        Ok(TRUE)
    })
}

/// Returns the priority last set for the thread `hThread` (`THREAD_PRIORITY_NORMAL`, 0,
/// if none was).
///
/// # Errors
///
/// `THREAD_PRIORITY_ERROR_RETURN` (0x7FFFFFFF) with `ERROR_INVALID_HANDLE` (6) if
/// `hThread` is not a thread handle.
///
/// # Win32
///
/// `GetThreadPriority`.
#[unsafe(no_mangle)]
pub extern "C" fn GetThreadPriority(hThread: HANDLE) -> INT {
    call(THREAD_PRIORITY_ERROR_RETURN, || {
        let t = thread_object(hThread)?;
        let weak = Arc::downgrade(&t);
        let list = priorities();
        Ok(list
            .iter()
            .find(|r| r.thread.ptr_eq(&weak))
            .map_or(THREAD_PRIORITY_NORMAL, |r| r.priority))
    })
}

// ---------------------------------------------------------------------------------------
// Descriptions.

/// Runs `body` as [`call`] does, but reports its error as an `HRESULT` and leaves the
/// last error as it was (these functions return `HRESULT`s instead).
fn hresult(body: impl FnOnce() -> Result<()>) -> HRESULT {
    let saved = last_error();
    let ok = call(FALSE, || body().map(|()| TRUE));
    let code = last_error();
    set_last_error(saved);
    match (ok, code) {
        (TRUE, _) => S_OK,
        (_, ERROR_INVALID_HANDLE) => E_HANDLE,
        (_, ERROR_INVALID_PARAMETER) => E_INVALIDARG,
        (_, ERROR_NOT_ENOUGH_MEMORY) => E_OUTOFMEMORY,
        // HRESULT_FROM_WIN32
        (_, code) => (code & 0xFFFF | 0x8007_0000) as HRESULT,
    }
}

/// The `/proc` file holding the Linux name of the running thread `t`.
fn comm_path(t: &ThreadObject) -> Result<String> {
    if t.handle().is_finished() {
        return Err(Error(ERROR_GEN_FAILURE));
    }
    Ok(format!("/proc/self/task/{}/comm", t.handle().id()))
}

/// `name` cut to the kernel's 15 bytes at a character boundary.
fn cut(name: &str) -> &str {
    let mut end = name.len().min(NAME_LIMIT);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// Sets the description of the thread `hThread`: its Linux name, cut to 15 bytes (see the
/// module documentation). Like every `HRESULT` function, it leaves the last error alone.
///
/// # Errors
///
/// `E_HANDLE` if `hThread` is not a thread handle; `E_INVALIDARG` for a `NULL` or
/// non-Unicode description; `HRESULT_FROM_WIN32(ERROR_GEN_FAILURE)` if the thread has
/// ended (Linux keeps no name for it).
///
/// # Safety
///
/// `lpThreadDescription` is `NULL` or a valid NUL-terminated wide string.
///
/// # Win32
///
/// `SetThreadDescription`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetThreadDescription(
    hThread: HANDLE,
    lpThreadDescription: PCWSTR,
) -> HRESULT {
    hresult(|| {
        let t = thread_object(hThread)?;
        // SAFETY: the caller's guarantee.
        let name = unsafe { crate::strings::wide_string(lpThreadDescription) }
            .ok()
            .flatten()
            .ok_or(Error(ERROR_INVALID_PARAMETER))?;
        std::fs::write(comm_path(&t)?, cut(&name)).map_err(|_| Error(ERROR_GEN_FAILURE))
    })
}

/// Stores in `*ppszThreadDescription` a new wide string holding the description (the
/// Linux name) of the thread `hThread`; free it with `LocalFree`. The last error is left
/// alone.
///
/// # Errors
///
/// `E_HANDLE` if `hThread` is not a thread handle; `E_INVALIDARG` for a `NULL`
/// `ppszThreadDescription`; `E_OUTOFMEMORY`; `HRESULT_FROM_WIN32(ERROR_GEN_FAILURE)` if the
/// thread has ended.
///
/// # Safety
///
/// `ppszThreadDescription` is `NULL` or valid for writing a pointer.
///
/// # Win32
///
/// `GetThreadDescription`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetThreadDescription(
    hThread: HANDLE,
    ppszThreadDescription: *mut PWSTR,
) -> HRESULT {
    hresult(|| {
        let t = thread_object(hThread)?;
        if ppszThreadDescription.is_null() {
            return Err(Error(ERROR_INVALID_PARAMETER));
        }
        let name = std::fs::read_to_string(comm_path(&t)?).map_err(|_| Error(ERROR_GEN_FAILURE))?;
        let wide = crate::strings::to_wide(name.trim_end_matches('\n'));
        let block = crate::winbase::memory::local_copy(&wide, 0)?;
        // SAFETY: non-NULL, and the caller guarantees it is writable.
        unsafe { ppszThreadDescription.write(block) };
        Ok(())
    })
}
