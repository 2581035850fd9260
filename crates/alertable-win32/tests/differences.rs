//! Where this library knowingly differs from Windows, checked so the differences stay
//! exactly the documented ones. (The C conformance suite holds only what Windows does.)

use std::ptr::{null, null_mut};

use alertable_win32::*;

unsafe extern "C-unwind" fn never(_: ULONG_PTR) {
    unreachable!("a NULL APC queues nothing");
}

unsafe extern "C" fn returns(_: LPVOID) -> DWORD {
    0
}

/// A2 at the Win32 level: `QueueUserAPC(NULL, …)` queues nothing and succeeds. Windows
/// queues a call of the NULL routine, which crashes the target when delivered.
#[test]
fn a2_null_apc_routine_is_a_no_op() {
    // SAFETY: a NULL routine is never called.
    assert_ne!(unsafe { QueueUserAPC(None, GetCurrentThread(), 0) }, 0);
    assert_eq!(SleepEx(0, TRUE), 0, "nothing was delivered");
    let _ = never; // the routine a non-NULL APC would have used
}

/// `CreateThread` with a NULL entry point fails with `ERROR_INVALID_PARAMETER`; Windows
/// creates the thread, which then crashes.
#[test]
fn create_thread_without_entry_point_fails() {
    SetLastError(0);
    // SAFETY: no entry point is called; the id pointer is NULL.
    let h = unsafe { CreateThread(null_mut(), 0, None, null_mut(), 0, null_mut()) };
    assert!(h.is_null());
    assert_eq!(GetLastError(), ERROR_INVALID_PARAMETER);
}

/// Required pointers that are NULL fail with `ERROR_NOACCESS`; Windows would fault or
/// report the same code.
#[test]
fn null_required_pointers_fail_with_noaccess() {
    // SAFETY: the start routine is sound; the handle is closed below.
    let t = unsafe { CreateThread(null_mut(), 0, Some(returns), null_mut(), 0, null_mut()) };
    assert!(!t.is_null());
    SetLastError(0);
    // SAFETY: a NULL out pointer is refused, not written.
    assert_eq!(unsafe { GetExitCodeThread(t, null_mut()) }, FALSE);
    assert_eq!(GetLastError(), ERROR_NOACCESS);
    SetLastError(0);
    // SAFETY: a NULL handle array is refused, not read.
    let r = unsafe { WaitForMultipleObjects(1, null(), FALSE, 0) };
    assert_eq!(r, WAIT_FAILED);
    assert_eq!(GetLastError(), ERROR_NOACCESS);
    assert_eq!(WaitForSingleObject(t, INFINITE), WAIT_OBJECT_0);
    assert_ne!(CloseHandle(t), 0);
}

/// Closing a pseudo-handle has no effect and fails with `ERROR_INVALID_HANDLE`.
#[test]
fn closing_a_pseudo_handle_fails_and_changes_nothing() {
    for pseudo in [GetCurrentThread(), GetCurrentProcess()] {
        SetLastError(0);
        assert_eq!(CloseHandle(pseudo), FALSE);
        assert_eq!(GetLastError(), ERROR_INVALID_HANDLE);
    }
    assert_eq!(WaitForSingleObject(GetCurrentThread(), 0), WAIT_TIMEOUT);
}

/// Names are per process: they work within it as on Windows (checked by the C suite), and
/// an empty name is no name.
#[test]
fn an_empty_name_is_no_name() {
    let empty = [0 as WCHAR];
    // SAFETY: `empty` is a NUL-terminated wide string.
    let (a, b) = unsafe {
        (
            CreateEventW(null_mut(), TRUE, FALSE, empty.as_ptr()),
            CreateEventW(null_mut(), TRUE, FALSE, empty.as_ptr()),
        )
    };
    assert_eq!(GetLastError(), ERROR_SUCCESS, "the second is a new event");
    assert_ne!(SetEvent(a), 0);
    assert_eq!(WaitForSingleObject(b, 0), WAIT_TIMEOUT, "separate events");
    assert_ne!(CloseHandle(a), 0);
    assert_ne!(CloseHandle(b), 0);
}

/// Names outlive no handle: once every handle is closed the name is free again.
#[test]
fn a_name_lives_while_a_handle_does() {
    let name = b"differences-name\0";
    // SAFETY: `name` is NUL-terminated.
    let first = unsafe { CreateMutexA(null_mut(), FALSE, name.as_ptr().cast()) };
    assert_eq!(GetLastError(), ERROR_SUCCESS);
    // SAFETY: as above.
    let second = unsafe { CreateMutexA(null_mut(), FALSE, name.as_ptr().cast()) };
    assert_eq!(GetLastError(), ERROR_ALREADY_EXISTS);
    assert_ne!(CloseHandle(first), 0);
    assert_ne!(CloseHandle(second), 0);
    // SAFETY: as above.
    let third = unsafe { CreateEventA(null_mut(), TRUE, FALSE, name.as_ptr().cast()) };
    assert!(!third.is_null(), "the name is free for any kind again");
    assert_eq!(GetLastError(), ERROR_SUCCESS);
    assert_ne!(CloseHandle(third), 0);
}

fn temp_path(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "alertable-differences-{tag}-{}",
        std::process::id()
    ))
}

fn c_path(path: &std::path::Path) -> Vec<u8> {
    let mut bytes = path.as_os_str().as_encoded_bytes().to_vec();
    bytes.push(0);
    bytes
}

unsafe extern "C-unwind" fn io_routine(_: DWORD, _: DWORD, _: LPOVERLAPPED) {}

/// Share modes are not enforced: Linux has no mandatory sharing. A file opened without
/// sharing can be opened again and deleted while open; Windows refuses both with
/// `ERROR_SHARING_VIOLATION`.
#[test]
fn share_modes_are_not_enforced() {
    let path = temp_path("share");
    let name = c_path(&path);
    // SAFETY: `name` is NUL-terminated; the handles are closed below.
    unsafe {
        let a = CreateFileA(
            name.as_ptr().cast(),
            GENERIC_READ | GENERIC_WRITE,
            0,
            null_mut(),
            CREATE_ALWAYS,
            0,
            null_mut(),
        );
        assert_ne!(a, INVALID_HANDLE_VALUE);
        let b = CreateFileA(
            name.as_ptr().cast(),
            GENERIC_READ,
            0,
            null_mut(),
            OPEN_EXISTING,
            0,
            null_mut(),
        );
        assert_ne!(b, INVALID_HANDLE_VALUE, "a second open succeeds");
        assert_ne!(
            DeleteFileA(name.as_ptr().cast()),
            0,
            "deleting an open file succeeds"
        );
        let mut n = 0;
        assert_ne!(
            WriteFile(a, b"still open".as_ptr().cast(), 10, &raw mut n, null_mut()),
            0
        );
        assert_eq!(n, 10, "the open handle keeps working");
        assert_ne!(CloseHandle(a), 0);
        assert_ne!(CloseHandle(b), 0);
    }
}

/// `ReadFileEx` and `WriteFileEx` refuse a `NULL` completion routine with
/// `ERROR_INVALID_PARAMETER`; Windows would start the request and call address 0.
#[test]
fn a_null_completion_routine_is_refused() {
    let path = temp_path("routine");
    let name = c_path(&path);
    let _ = io_routine; // the kind of routine a non-NULL argument would be
    // SAFETY: `name` is NUL-terminated; nothing is issued, so the OVERLAPPED and buffer
    // need not outlive the calls; the handle is closed below.
    unsafe {
        let h = CreateFileA(
            name.as_ptr().cast(),
            GENERIC_READ | GENERIC_WRITE,
            0,
            null_mut(),
            CREATE_ALWAYS,
            FILE_FLAG_OVERLAPPED,
            null_mut(),
        );
        assert_ne!(h, INVALID_HANDLE_VALUE);
        let mut ov: OVERLAPPED = std::mem::zeroed();
        let mut buf = [0u8; 4];
        SetLastError(0);
        assert_eq!(
            ReadFileEx(h, buf.as_mut_ptr().cast(), 4, &raw mut ov, None),
            FALSE
        );
        assert_eq!(GetLastError(), ERROR_INVALID_PARAMETER);
        SetLastError(0);
        assert_eq!(
            WriteFileEx(h, buf.as_ptr().cast(), 4, &raw mut ov, None),
            FALSE
        );
        assert_eq!(GetLastError(), ERROR_INVALID_PARAMETER);
        assert_eq!(ov.Internal, 0, "nothing was issued");
        assert_ne!(CloseHandle(h), 0);
        assert_ne!(DeleteFileA(name.as_ptr().cast()), 0);
    }
}

/// NULL output pointers of the port and result functions fail with `ERROR_NOACCESS`
/// before anything is taken; Windows crashes on them.
#[test]
fn null_outputs_of_port_functions_fail_with_noaccess() {
    let port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, null_mut(), 0, 0);
    assert!(!port.is_null());
    assert_ne!(PostQueuedCompletionStatus(port, 1, 2, null_mut()), 0);
    let (mut n, mut key) = (0, 0);
    SetLastError(0);
    // SAFETY: NULL outputs are refused, not written.
    let ok = unsafe { GetQueuedCompletionStatus(port, &raw mut n, &raw mut key, null_mut(), 0) };
    assert_eq!((ok, GetLastError()), (FALSE, ERROR_NOACCESS));
    let mut ov = null_mut();
    // SAFETY: live outputs.
    let ok = unsafe { GetQueuedCompletionStatus(port, &raw mut n, &raw mut key, &raw mut ov, 0) };
    assert_eq!(
        (ok, key),
        (TRUE, 2),
        "the packet was not taken by the refused call"
    );
    SetLastError(0);
    // SAFETY: NULL outputs are refused, not written.
    let ok = unsafe { GetOverlappedResult(null_mut(), null_mut(), null_mut(), FALSE) };
    assert_eq!((ok, GetLastError()), (FALSE, ERROR_NOACCESS));
    assert_ne!(CloseHandle(port), 0);
}
