//! Access rights: every handle carries the rights it was granted, and every function checks
//! the one Windows requires, failing with `ERROR_ACCESS_DENIED` (5) and no effect without it
//! (A6, D53, G69; `handle.rs`, R1–R4).

use std::cell::Cell;
use std::ffi::CString;
use std::ptr::{null, null_mut};

use alertable_win32::*;

/// A new handle to `source` with exactly `access`.
fn duplicate(source: HANDLE, access: DWORD) -> HANDLE {
    let mut out: HANDLE = null_mut();
    // SAFETY: `out` is writable.
    let ok = unsafe {
        DuplicateHandle(
            GetCurrentProcess(),
            source,
            GetCurrentProcess(),
            &raw mut out,
            access,
            FALSE,
            0,
        )
    };
    assert_ne!(ok, FALSE, "DuplicateHandle: {}", GetLastError());
    out
}

/// A new handle to `source` with its own access (`DUPLICATE_SAME_ACCESS`).
fn duplicate_same(source: HANDLE) -> HANDLE {
    let mut out: HANDLE = null_mut();
    // SAFETY: `out` is writable.
    let ok = unsafe {
        DuplicateHandle(
            GetCurrentProcess(),
            source,
            GetCurrentProcess(),
            &raw mut out,
            0,
            FALSE,
            DUPLICATE_SAME_ACCESS,
        )
    };
    assert_ne!(ok, FALSE, "DuplicateHandle: {}", GetLastError());
    out
}

/// Asserts that the last call failed with `ERROR_ACCESS_DENIED`.
#[track_caller]
fn assert_denied() {
    assert_eq!(GetLastError(), ERROR_ACCESS_DENIED);
}

fn close(h: HANDLE) {
    assert_ne!(CloseHandle(h), FALSE);
}

fn event(manual: bool, signaled: bool) -> HANDLE {
    // SAFETY: no name.
    let h = unsafe { CreateEventA(null_mut(), BOOL::from(manual), BOOL::from(signaled), null()) };
    assert!(!h.is_null());
    h
}

thread_local! {
    /// The APCs `count_apc` ran on this thread (tests run on threads of their own).
    static APCS: Cell<usize> = const { Cell::new(0) };
}

unsafe extern "C-unwind" fn count_apc(_: ULONG_PTR) {
    APCS.set(APCS.get() + 1);
}

unsafe extern "C" fn wait_on_event(param: LPVOID) -> DWORD {
    WaitForSingleObject(param.cast(), INFINITE)
}

/// A6: `QueueUserAPC` needs `THREAD_SET_CONTEXT`; a handle with every other right queues
/// nothing.
#[test]
fn a6_queue_user_apc_needs_set_context() {
    let me = GetCurrentThreadId();
    let without = OpenThread(THREAD_ALL_ACCESS & !THREAD_SET_CONTEXT, FALSE, me);
    assert!(!without.is_null());
    let before = APCS.get();
    SetLastError(0);
    // SAFETY: the routine is sound on this thread.
    assert_eq!(unsafe { QueueUserAPC(Some(count_apc), without, 0) }, 0);
    assert_denied();
    assert_eq!(SleepEx(0, TRUE), 0, "nothing was queued");

    let with = OpenThread(THREAD_SET_CONTEXT, FALSE, me);
    assert!(!with.is_null());
    // SAFETY: as above.
    assert_ne!(unsafe { QueueUserAPC(Some(count_apc), with, 0) }, 0);
    assert_eq!(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    assert_eq!(APCS.get(), before + 1);
    close(without);
    close(with);
}

/// `SuspendThread` and `ResumeThread` need `THREAD_SUSPEND_RESUME`; a refused call leaves
/// the suspend count as it was.
#[test]
fn suspend_and_resume_need_suspend_resume() {
    let gate = event(true, false);
    // SAFETY: the entry point waits on `gate`, which outlives the thread (closed below,
    // after the thread ended).
    let thread = unsafe {
        CreateThread(
            null_mut(),
            0,
            Some(wait_on_event),
            gate,
            CREATE_SUSPENDED,
            null_mut(),
        )
    };
    assert!(!thread.is_null());
    let weak = duplicate(thread, THREAD_ALL_ACCESS & !THREAD_SUSPEND_RESUME);
    SetLastError(0);
    assert_eq!(SuspendThread(weak), DWORD::MAX);
    assert_denied();
    SetLastError(0);
    assert_eq!(ResumeThread(weak), DWORD::MAX);
    assert_denied();
    let strong = duplicate(thread, THREAD_SUSPEND_RESUME);
    assert_eq!(SuspendThread(strong), 1, "the count is still 1");
    assert_eq!(ResumeThread(strong), 2);
    assert_eq!(ResumeThread(strong), 1, "the thread starts");
    assert_ne!(SetEvent(gate), FALSE);
    assert_eq!(WaitForSingleObject(thread, INFINITE), WAIT_OBJECT_0);
    for h in [weak, strong, thread, gate] {
        close(h);
    }
}

/// D53: every wait needs `SYNCHRONIZE` on each handle; a refused wait takes nothing.
#[test]
fn d53_waits_need_synchronize() {
    let auto = event(false, true);
    let modify_only = duplicate(auto, EVENT_MODIFY_STATE);
    SetLastError(0);
    assert_eq!(WaitForSingleObject(modify_only, 0), WAIT_FAILED);
    assert_denied();
    SetLastError(0);
    assert_eq!(WaitForSingleObjectEx(modify_only, 0, TRUE), WAIT_FAILED);
    assert_denied();
    let other = event(true, false);
    for handles in [[other, modify_only], [modify_only, other]] {
        for all in [FALSE, TRUE] {
            SetLastError(0);
            // SAFETY: two readable handles.
            let r = unsafe { WaitForMultipleObjects(2, handles.as_ptr(), all, 0) };
            assert_eq!(r, WAIT_FAILED);
            assert_denied();
            SetLastError(0);
            // SAFETY: as above.
            let r = unsafe { WaitForMultipleObjectsEx(2, handles.as_ptr(), all, 0, TRUE) };
            assert_eq!(r, WAIT_FAILED);
            assert_denied();
        }
    }
    SetLastError(0);
    // SAFETY: one readable handle.
    let r = unsafe { MsgWaitForMultipleObjects(1, &raw const modify_only, FALSE, 0, QS_ALLINPUT) };
    assert_eq!(r, WAIT_FAILED);
    assert_denied();
    SetLastError(0);
    // SAFETY: as above.
    let r = unsafe { MsgWaitForMultipleObjectsEx(1, &raw const modify_only, 0, QS_ALLINPUT, 0) };
    assert_eq!(r, WAIT_FAILED);
    assert_denied();
    assert_eq!(
        WaitForSingleObject(auto, 0),
        WAIT_OBJECT_0,
        "still signaled"
    );

    // SYNCHRONIZE alone is enough to wait.
    let sync_only = duplicate(auto, SYNCHRONIZE);
    assert_ne!(SetEvent(auto), FALSE);
    assert_eq!(WaitForSingleObject(sync_only, 0), WAIT_OBJECT_0);
    for h in [auto, modify_only, other, sync_only] {
        close(h);
    }
}

/// D53: a mutex handle with `GENERIC_READ | GENERIC_WRITE` maps to no `SYNCHRONIZE` and
/// cannot be waited on; G69: releasing needs no right at all.
#[test]
fn d53_g69_mutex_rights() {
    // SAFETY: no name.
    let mutex = unsafe { CreateMutexA(null_mut(), FALSE, null()) };
    assert!(!mutex.is_null());
    let generic = duplicate(mutex, GENERIC_READ | GENERIC_WRITE);
    SetLastError(0);
    assert_eq!(WaitForSingleObject(generic, 0), WAIT_FAILED);
    assert_denied();
    for _ in 0..3 {
        assert_eq!(WaitForSingleObject(mutex, 0), WAIT_OBJECT_0);
    }
    for right in [READ_CONTROL, DELETE, MUTEX_MODIFY_STATE] {
        let h = duplicate(mutex, right);
        assert_ne!(ReleaseMutex(h), FALSE, "released through {right:#x}");
        close(h);
    }
    assert_eq!(ReleaseMutex(mutex), FALSE);
    assert_eq!(GetLastError(), ERROR_NOT_OWNER);
    close(generic);
    close(mutex);
}

/// `SignalObjectAndWait` needs the signal right on the object it signals (none for a
/// mutex) and `SYNCHRONIZE` on the one it waits on; refused, it signals nothing.
#[test]
fn signal_object_and_wait_needs_both_rights() {
    let to_signal = event(true, false);
    let to_wait = event(true, true);
    let wait_no_sync = duplicate(to_wait, EVENT_MODIFY_STATE);
    SetLastError(0);
    assert_eq!(
        SignalObjectAndWait(to_signal, wait_no_sync, 0, FALSE),
        WAIT_FAILED
    );
    assert_denied();
    assert_eq!(
        WaitForSingleObject(to_signal, 0),
        WAIT_TIMEOUT,
        "not signaled"
    );
    let signal_no_modify = duplicate(to_signal, SYNCHRONIZE);
    SetLastError(0);
    assert_eq!(
        SignalObjectAndWait(signal_no_modify, to_wait, 0, FALSE),
        WAIT_FAILED
    );
    assert_denied();
    assert_eq!(WaitForSingleObject(to_signal, 0), WAIT_TIMEOUT);
    // SAFETY: no name.
    let semaphore = unsafe { CreateSemaphoreA(null_mut(), 0, 1, null()) };
    let semaphore_no_modify = duplicate(semaphore, SYNCHRONIZE);
    SetLastError(0);
    assert_eq!(
        SignalObjectAndWait(semaphore_no_modify, to_wait, 0, FALSE),
        WAIT_FAILED
    );
    assert_denied();
    assert_eq!(WaitForSingleObject(semaphore, 0), WAIT_TIMEOUT);
    // The order Windows checks in: both handles open, the wait handle's right, then the
    // object to signal.
    SetLastError(0);
    let r = SignalObjectAndWait(signal_no_modify, null_mut(), 0, FALSE);
    assert_eq!((r, GetLastError()), (WAIT_FAILED, ERROR_INVALID_HANDLE));
    SetLastError(0);
    let r = SignalObjectAndWait(GetCurrentThread(), wait_no_sync, 0, FALSE);
    assert_eq!((r, GetLastError()), (WAIT_FAILED, ERROR_ACCESS_DENIED));
    SetLastError(0);
    let r = SignalObjectAndWait(GetCurrentThread(), to_wait, 0, FALSE);
    assert_eq!((r, GetLastError()), (WAIT_FAILED, ERROR_INVALID_HANDLE));
    // The exact rights are enough.
    let signal_modify_only = duplicate(to_signal, EVENT_MODIFY_STATE);
    let wait_sync_only = duplicate(to_wait, SYNCHRONIZE);
    assert_eq!(
        SignalObjectAndWait(signal_modify_only, wait_sync_only, 0, FALSE),
        WAIT_OBJECT_0
    );
    assert_eq!(WaitForSingleObject(to_signal, 0), WAIT_OBJECT_0);
    for h in [
        to_signal,
        to_wait,
        wait_no_sync,
        signal_no_modify,
        semaphore,
        semaphore_no_modify,
        signal_modify_only,
        wait_sync_only,
    ] {
        close(h);
    }
}

/// `SetEvent`, `ResetEvent` and `PulseEvent` need `EVENT_MODIFY_STATE`.
#[test]
fn event_functions_need_modify_state() {
    let manual = event(true, false);
    let sync_only = duplicate(manual, SYNCHRONIZE);
    SetLastError(0);
    assert_eq!(SetEvent(sync_only), FALSE);
    assert_denied();
    assert_eq!(WaitForSingleObject(manual, 0), WAIT_TIMEOUT, "not set");
    assert_ne!(SetEvent(manual), FALSE);
    SetLastError(0);
    assert_eq!(ResetEvent(sync_only), FALSE);
    assert_denied();
    SetLastError(0);
    assert_eq!(PulseEvent(sync_only), FALSE);
    assert_denied();
    assert_eq!(WaitForSingleObject(manual, 0), WAIT_OBJECT_0, "not reset");
    let modify_only = duplicate(manual, EVENT_MODIFY_STATE);
    assert_ne!(ResetEvent(modify_only), FALSE);
    assert_eq!(WaitForSingleObject(manual, 0), WAIT_TIMEOUT);
    assert_ne!(SetEvent(modify_only), FALSE);
    assert_ne!(PulseEvent(modify_only), FALSE);
    assert_eq!(WaitForSingleObject(manual, 0), WAIT_TIMEOUT);
    for h in [manual, sync_only, modify_only] {
        close(h);
    }
}

/// `ReleaseSemaphore` needs `SEMAPHORE_MODIFY_STATE`.
#[test]
fn release_semaphore_needs_modify_state() {
    // SAFETY: no name.
    let semaphore = unsafe { CreateSemaphoreA(null_mut(), 0, 5, null()) };
    assert!(!semaphore.is_null());
    let sync_only = duplicate(semaphore, SYNCHRONIZE | READ_CONTROL);
    let mut previous: LONG = -7;
    SetLastError(0);
    // SAFETY: `previous` is writable.
    let r = unsafe { ReleaseSemaphore(sync_only, 1, &raw mut previous) };
    assert_eq!(r, FALSE);
    assert_denied();
    assert_eq!(previous, -7, "untouched");
    assert_eq!(
        WaitForSingleObject(semaphore, 0),
        WAIT_TIMEOUT,
        "count still 0"
    );
    let modify_only = duplicate(semaphore, SEMAPHORE_MODIFY_STATE);
    // SAFETY: as above.
    let r = unsafe { ReleaseSemaphore(modify_only, 2, &raw mut previous) };
    assert_ne!(r, FALSE);
    assert_eq!(previous, 0);
    for h in [semaphore, sync_only, modify_only] {
        close(h);
    }
}

/// `SetWaitableTimer(Ex)` and `CancelWaitableTimer` need `TIMER_MODIFY_STATE`.
#[test]
fn timer_functions_need_modify_state() {
    // SAFETY: no name.
    let timer = unsafe { CreateWaitableTimerA(null_mut(), TRUE, null()) };
    assert!(!timer.is_null());
    let sync_only = duplicate(timer, SYNCHRONIZE);
    let now = LARGE_INTEGER { QuadPart: -1 };
    SetLastError(0);
    // SAFETY: `now` is readable; no routine.
    let r = unsafe { SetWaitableTimer(sync_only, &raw const now, 0, None, null_mut(), FALSE) };
    assert_eq!(r, FALSE);
    assert_denied();
    SetLastError(0);
    // SAFETY: as above.
    let r = unsafe {
        SetWaitableTimerEx(
            sync_only,
            &raw const now,
            0,
            None,
            null_mut(),
            null_mut(),
            0,
        )
    };
    assert_eq!(r, FALSE);
    assert_denied();
    assert_eq!(WaitForSingleObject(timer, 100), WAIT_TIMEOUT, "never armed");
    // Armed through a handle with the right, a refused cancel leaves it armed.
    let modify_only = duplicate(timer, TIMER_MODIFY_STATE);
    let soon = LARGE_INTEGER {
        QuadPart: -20 * 10_000,
    };
    // SAFETY: as above.
    let r = unsafe { SetWaitableTimer(modify_only, &raw const soon, 0, None, null_mut(), FALSE) };
    assert_ne!(r, FALSE);
    SetLastError(0);
    assert_eq!(CancelWaitableTimer(sync_only), FALSE);
    assert_denied();
    assert_eq!(WaitForSingleObject(sync_only, 10_000), WAIT_OBJECT_0);
    assert_ne!(CancelWaitableTimer(modify_only), FALSE);
    for h in [timer, sync_only, modify_only] {
        close(h);
    }
}

/// `GetExitCodeThread` needs `THREAD_QUERY_INFORMATION` or
/// `THREAD_QUERY_LIMITED_INFORMATION`.
#[test]
fn get_exit_code_thread_needs_a_query_right() {
    let me = GetCurrentThreadId();
    for (access, allowed) in [
        (THREAD_QUERY_INFORMATION, true),
        (THREAD_QUERY_LIMITED_INFORMATION, true),
        (GENERIC_READ, true),
        (GENERIC_EXECUTE, true),
        (SYNCHRONIZE | THREAD_SET_CONTEXT, false),
        (GENERIC_WRITE, false),
    ] {
        let h = OpenThread(access, FALSE, me);
        assert!(!h.is_null(), "{access:#x}");
        let mut code: DWORD = 7;
        SetLastError(0);
        // SAFETY: `code` is writable.
        let r = unsafe { GetExitCodeThread(h, &raw mut code) };
        if allowed {
            assert_ne!(r, FALSE, "{access:#x}");
            assert_eq!(code, STILL_ACTIVE);
        } else {
            assert_eq!(r, FALSE, "{access:#x}");
            assert_denied();
            assert_eq!(code, 7, "untouched");
        }
        close(h);
    }
}

/// `OpenThread` grants what it is asked for, generic rights mapped as Windows maps them for
/// a thread: `GENERIC_EXECUTE` can wait but not queue APCs, `GENERIC_WRITE` the opposite.
#[test]
fn open_thread_grants_the_mapped_mask() {
    let me = GetCurrentThreadId();
    let execute = OpenThread(GENERIC_EXECUTE, FALSE, me);
    assert_eq!(WaitForSingleObject(execute, 0), WAIT_TIMEOUT);
    SetLastError(0);
    // SAFETY: the routine is sound on this thread.
    assert_eq!(unsafe { QueueUserAPC(Some(count_apc), execute, 0) }, 0);
    assert_denied();
    let write = OpenThread(GENERIC_WRITE, FALSE, me);
    SetLastError(0);
    assert_eq!(WaitForSingleObject(write, 0), WAIT_FAILED);
    assert_denied();
    // SAFETY: as above.
    assert_ne!(unsafe { QueueUserAPC(Some(count_apc), write, 0) }, 0);
    assert_eq!(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    let maximum = OpenThread(MAXIMUM_ALLOWED, FALSE, me);
    assert_eq!(WaitForSingleObject(maximum, 0), WAIT_TIMEOUT);
    // SAFETY: as above.
    assert_ne!(unsafe { QueueUserAPC(Some(count_apc), maximum, 0) }, 0);
    assert_eq!(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    // A bit that is no thread right, and one that needs a privilege.
    SetLastError(0);
    assert!(OpenThread(1 << 21, FALSE, me).is_null());
    assert_denied();
    SetLastError(0);
    assert!(OpenThread(ACCESS_SYSTEM_SECURITY, FALSE, me).is_null());
    assert_eq!(GetLastError(), ERROR_PRIVILEGE_NOT_HELD);
    for h in [execute, write, maximum] {
        close(h);
    }
}

/// `DuplicateHandle` grants `dwDesiredAccess` — more than the source has, too, as Windows
/// does within a process — or with `DUPLICATE_SAME_ACCESS` the source's rights; the
/// pseudo-handles carry every right.
#[test]
fn duplicate_handle_grants_desired_or_same_access() {
    let e = event(true, false);
    let sync_only = duplicate(e, SYNCHRONIZE);
    let same = duplicate_same(sync_only);
    SetLastError(0);
    assert_eq!(SetEvent(same), FALSE, "same access: still no modify right");
    assert_denied();
    assert_eq!(WaitForSingleObject(same, 0), WAIT_TIMEOUT);
    let widened = duplicate(sync_only, EVENT_MODIFY_STATE | SYNCHRONIZE);
    assert_ne!(SetEvent(widened), FALSE);
    assert_eq!(WaitForSingleObject(same, 0), WAIT_OBJECT_0);
    let all = duplicate(sync_only, GENERIC_ALL);
    assert_ne!(ResetEvent(all), FALSE);
    let none = duplicate(e, 0);
    SetLastError(0);
    assert_eq!(WaitForSingleObject(none, 0), WAIT_FAILED);
    assert_denied();

    // The pseudo-handles have every right, and so has a same-access copy of them.
    let me = duplicate_same(GetCurrentThread());
    // SAFETY: the routine is sound on this thread.
    assert_ne!(unsafe { QueueUserAPC(Some(count_apc), me, 0) }, 0);
    // SAFETY: as above.
    let r = unsafe { QueueUserAPC(Some(count_apc), GetCurrentThread(), 0) };
    assert_ne!(r, 0);
    assert_eq!(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
    let mut code = 0;
    // SAFETY: `code` is writable.
    assert_ne!(unsafe { GetExitCodeThread(me, &raw mut code) }, FALSE);
    assert_eq!(code, STILL_ACTIVE);

    // Process handles need PROCESS_DUP_HANDLE.
    let process = duplicate(GetCurrentProcess(), SYNCHRONIZE);
    let mut out: HANDLE = null_mut();
    SetLastError(0);
    // SAFETY: `out` is writable.
    let r = unsafe {
        DuplicateHandle(
            process,
            e,
            process,
            &raw mut out,
            0,
            FALSE,
            DUPLICATE_SAME_ACCESS,
        )
    };
    assert_eq!(r, FALSE);
    assert_denied();
    assert!(out.is_null());
    let dup_right = duplicate(GetCurrentProcess(), PROCESS_DUP_HANDLE);
    // SAFETY: as above.
    let r = unsafe {
        DuplicateHandle(
            dup_right,
            e,
            dup_right,
            &raw mut out,
            0,
            FALSE,
            DUPLICATE_SAME_ACCESS,
        )
    };
    assert_ne!(r, FALSE);
    for h in [
        e, sync_only, same, widened, all, none, me, process, dup_right, out,
    ] {
        close(h);
    }
}

/// Completion ports: taking and posting packets need `IO_COMPLETION_MODIFY_STATE`.
#[test]
fn port_functions_need_modify_state() {
    let port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, null_mut(), 0, 1);
    assert!(!port.is_null());
    let sync_only = duplicate(port, SYNCHRONIZE);
    SetLastError(0);
    assert_eq!(
        PostQueuedCompletionStatus(sync_only, 1, 2, null_mut()),
        FALSE
    );
    assert_denied();
    let (mut bytes, mut key, mut ov): (DWORD, ULONG_PTR, LPOVERLAPPED) = (0, 0, null_mut());
    SetLastError(0);
    // SAFETY: the out pointers are writable.
    let r = unsafe {
        GetQueuedCompletionStatus(sync_only, &raw mut bytes, &raw mut key, &raw mut ov, 0)
    };
    assert_eq!(r, FALSE);
    assert_denied();
    let modify_only = duplicate(port, IO_COMPLETION_MODIFY_STATE);
    assert_ne!(
        PostQueuedCompletionStatus(modify_only, 3, 4, null_mut()),
        FALSE
    );
    // SAFETY: as above.
    let r = unsafe {
        GetQueuedCompletionStatus(modify_only, &raw mut bytes, &raw mut key, &raw mut ov, 0)
    };
    assert_ne!(r, FALSE);
    assert_eq!((bytes, key), (3, 4), "only the permitted post was queued");
    for h in [port, sync_only, modify_only] {
        close(h);
    }
}

// ---------------------------------------------------------------------------------------
// Files.

/// A file in the temporary folder with `contents`, its path, removed on drop.
struct TempFile(CString);

impl TempFile {
    fn new(tag: &str, contents: &[u8]) -> Self {
        let path =
            std::env::temp_dir().join(format!("alertable-access-{tag}-{}", std::process::id()));
        std::fs::write(&path, contents).expect("temporary file");
        Self(CString::new(path.into_os_string().into_encoded_bytes()).expect("path"))
    }

    fn open(&self, access: DWORD, flags: DWORD) -> HANDLE {
        // SAFETY: the name is NUL-terminated.
        let h = unsafe {
            CreateFileA(
                self.0.as_ptr(),
                access,
                FILE_SHARE_READ | FILE_SHARE_WRITE,
                null_mut(),
                OPEN_EXISTING,
                flags,
                null_mut(),
            )
        };
        assert_ne!(h, INVALID_HANDLE_VALUE, "CreateFileA: {}", GetLastError());
        h
    }

    fn contents(&self) -> Vec<u8> {
        std::fs::read(self.0.to_str().expect("path")).expect("read back")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.0.to_str().expect("path"));
    }
}

/// Reads and writes need `GENERIC_READ` / `GENERIC_WRITE` (`FILE_READ_DATA`,
/// `FILE_WRITE_DATA` or `FILE_APPEND_DATA`): refused with `ERROR_ACCESS_DENIED` before any
/// I/O, on synchronous and overlapped handles alike, in every style.
#[test]
fn file_reads_and_writes_need_their_rights() {
    let file = TempFile::new("rights", b"0123456789");
    for flags in [0, FILE_FLAG_OVERLAPPED] {
        let read_only = file.open(GENERIC_READ, flags);
        let write_only = file.open(GENERIC_WRITE, flags);
        let mut buffer = [0u8; 4];
        let mut done: DWORD = 99;
        let mut ov = OVERLAPPED::new(0, null_mut());
        let ovp = if flags == 0 { null_mut() } else { &raw mut ov };
        SetLastError(0);
        // SAFETY: the buffer, count and OVERLAPPED are valid; the call fails before I/O.
        let r = unsafe { WriteFile(read_only, b"xy".as_ptr().cast(), 2, &raw mut done, ovp) };
        assert_eq!(r, FALSE, "flags {flags:#x}");
        assert_eq!(GetLastError(), ERROR_ACCESS_DENIED, "flags {flags:#x}");
        assert_eq!(done, 0);
        SetLastError(0);
        // SAFETY: as above.
        let r = unsafe {
            ReadFile(
                write_only,
                buffer.as_mut_ptr().cast(),
                4,
                &raw mut done,
                ovp,
            )
        };
        assert_eq!(r, FALSE, "flags {flags:#x}");
        assert_eq!(GetLastError(), ERROR_ACCESS_DENIED, "flags {flags:#x}");
        unsafe extern "C-unwind" fn never(_: DWORD, _: DWORD, _: LPOVERLAPPED) {
            unreachable!("a refused request has no routine call");
        }
        SetLastError(0);
        // SAFETY: as above.
        let r = unsafe {
            ReadFileEx(
                write_only,
                buffer.as_mut_ptr().cast(),
                4,
                &raw mut ov,
                Some(never),
            )
        };
        assert_eq!(r, FALSE);
        assert_denied();
        SetLastError(0);
        // SAFETY: as above.
        let r = unsafe {
            WriteFileEx(
                read_only,
                b"xy".as_ptr().cast(),
                2,
                &raw mut ov,
                Some(never),
            )
        };
        assert_eq!(r, FALSE);
        assert_denied();
        assert_eq!(SleepEx(0, TRUE), 0, "no routine was queued");
        // A handle duplicated with less access loses the right too.
        let both = file.open(GENERIC_READ | GENERIC_WRITE, flags);
        let read_data = duplicate(both, FILE_READ_DATA | SYNCHRONIZE);
        SetLastError(0);
        // SAFETY: as above.
        let r = unsafe { WriteFile(read_data, b"xy".as_ptr().cast(), 2, &raw mut done, ovp) };
        assert_eq!(r, FALSE);
        assert_denied();
        for h in [read_only, write_only, both, read_data] {
            close(h);
        }
    }
    assert_eq!(file.contents(), b"0123456789", "nothing was written");
}

/// `NULL` buffers, as Windows reports them (Wine's `test_read_write`): with length 0 both
/// calls succeed with 0 bytes and leave the last error alone; with a length, `WriteFile`
/// fails with `ERROR_INVALID_USER_BUFFER` (1784) and `ReadFile` with `ERROR_NOACCESS`
/// (998), both with 0 bytes.
#[test]
fn null_buffers_as_windows_reports_them() {
    let file = TempFile::new("null", b"this is the test data");
    let h = file.open(GENERIC_READ | GENERIC_WRITE, 0);
    let mut done: DWORD = 12_345_678;
    SetLastError(12_345_678);
    // SAFETY: a NULL buffer of length 0 is never touched.
    let r = unsafe { WriteFile(h, null(), 0, &raw mut done, null_mut()) };
    assert_ne!(r, FALSE);
    assert_eq!((GetLastError(), done), (12_345_678, 0));
    done = 12_345_678;
    // SAFETY: a NULL buffer is refused, not read.
    let r = unsafe { WriteFile(h, null(), 10, &raw mut done, null_mut()) };
    assert_eq!(r, FALSE);
    assert_eq!((GetLastError(), done), (ERROR_INVALID_USER_BUFFER, 0));
    done = 12_345_678;
    SetLastError(12_345_678);
    // SAFETY: as above.
    let r = unsafe { ReadFile(h, null_mut(), 0, &raw mut done, null_mut()) };
    assert_ne!(r, FALSE);
    assert_eq!((GetLastError(), done), (12_345_678, 0));
    done = 12_345_678;
    // SAFETY: as above.
    let r = unsafe { ReadFile(h, null_mut(), 10, &raw mut done, null_mut()) };
    assert_eq!(r, FALSE);
    assert_eq!((GetLastError(), done), (ERROR_NOACCESS, 0));
    close(h);
    assert_eq!(file.contents(), b"this is the test data");
}

/// A handle with `FILE_APPEND_DATA` and no `FILE_WRITE_DATA` writes, always at the end.
#[test]
fn append_only_handles_write_at_the_end() {
    let file = TempFile::new("append", b"abc");
    let h = file.open(FILE_APPEND_DATA, 0);
    let mut done: DWORD = 0;
    // SAFETY: two readable bytes.
    let r = unsafe { WriteFile(h, b"de".as_ptr().cast(), 2, &raw mut done, null_mut()) };
    assert_ne!(r, FALSE);
    assert_eq!(done, 2);
    let mut buffer = [0u8; 1];
    SetLastError(0);
    // SAFETY: one writable byte.
    let r = unsafe { ReadFile(h, buffer.as_mut_ptr().cast(), 1, &raw mut done, null_mut()) };
    assert_eq!(r, FALSE);
    assert_denied();
    close(h);
    assert_eq!(file.contents(), b"abcde");
}

/// An `OVERLAPPED`'s event must be open with `EVENT_MODIFY_STATE`, and waiting on it in
/// `GetOverlappedResult` needs `SYNCHRONIZE`.
#[test]
fn overlapped_events_need_their_rights() {
    let file = TempFile::new("event", b"0123456789");
    let h = file.open(GENERIC_READ, 0);
    let e = event(true, false);
    let sync_only = duplicate(e, SYNCHRONIZE);
    let mut ov = OVERLAPPED::new(0, sync_only);
    let mut buffer = [0u8; 4];
    let mut done: DWORD = 0;
    SetLastError(0);
    // SAFETY: the buffer and OVERLAPPED are valid for the call.
    let r = unsafe { ReadFile(h, buffer.as_mut_ptr().cast(), 4, &raw mut done, &raw mut ov) };
    assert_eq!(r, FALSE);
    assert_denied();
    assert_eq!(buffer, [0; 4], "nothing was read");
    // A request still pending, whose event may not be waited on through this handle.
    let modify_only = duplicate(e, EVENT_MODIFY_STATE);
    let mut pending = OVERLAPPED::new(0, modify_only);
    pending.Internal = STATUS_PENDING as ULONG_PTR;
    SetLastError(0);
    // SAFETY: the OVERLAPPED and the count are valid; the call fails before waiting.
    let r = unsafe { GetOverlappedResult(h, &raw mut pending, &raw mut done, TRUE) };
    assert_eq!(r, FALSE);
    assert_denied();
    for h in [h, sync_only, modify_only, e] {
        close(h);
    }
}
