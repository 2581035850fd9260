//! K121 on threads the library did not create: a `std::thread` (or a C program's own
//! pthread) that exits with overlapped requests pending has them cancelled and reported —
//! `OVERLAPPED` written, event set — before its thread-local storage is gone, so before
//! `join` returns. (Threads made by `CreateThread` are covered by the C program
//! `conformance/k_thread_exit.c`.)

use std::ffi::CString;
use std::ptr::null_mut;

use alertable_win32::*;

/// An `OVERLAPPED` and a buffer that outlive the thread that uses them.
struct Request {
    ov: OVERLAPPED,
    buffer: [u8; 16],
}

fn request(event: HANDLE) -> Box<Request> {
    Box::new(Request {
        ov: OVERLAPPED::new(0, event),
        buffer: [0; 16],
    })
}

/// A FIFO opened for overlapped reading and writing: reads on it stay pending.
fn fifo() -> HANDLE {
    let path = std::env::temp_dir().join(format!(
        "alertable-thread-exit-{}-{:?}.fifo",
        std::process::id(),
        std::thread::current().id()
    ));
    let name = CString::new(path.to_str().expect("UTF-8 path")).expect("no NUL");
    // SAFETY: `name` is a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    // SAFETY: `name` is a NUL-terminated path; the other pointers are NULL.
    let h = unsafe {
        CreateFileA(
            name.as_ptr(),
            GENERIC_READ | GENERIC_WRITE,
            0,
            null_mut(),
            OPEN_EXISTING,
            FILE_FLAG_OVERLAPPED,
            null_mut(),
        )
    };
    std::fs::remove_file(&path).expect("remove the FIFO's name");
    assert_ne!(h, INVALID_HANDLE_VALUE);
    h
}

unsafe extern "C-unwind" fn never(_: DWORD, _: DWORD, _: LPOVERLAPPED) {
    panic!("a routine of an exited thread ran");
}

/// K121, O6: a `std::thread` that returns with a `ReadFile` (with an event) and a
/// `ReadFileEx` pending: when `join` returns, both `OVERLAPPED`s hold `STATUS_CANCELLED`
/// and the event is set; the routine never runs.
#[test]
fn k121_foreign_thread_exit_reports_cancelled_requests_before_join_returns() {
    const STATUS_CANCELLED: usize = 0xC000_0120;
    let file = fifo();
    // SAFETY: no name, no attributes.
    let event = unsafe { CreateEventA(null_mut(), TRUE, FALSE, std::ptr::null()) };
    for round in 0..20 {
        let mut with_event = request(event);
        let mut with_routine = request(null_mut());
        let a = std::ptr::from_mut(&mut *with_event) as usize;
        let b = std::ptr::from_mut(&mut *with_routine) as usize;
        let (file_addr, event_addr) = (file as usize, event as usize);
        std::thread::spawn(move || {
            let (a, b) = (a as *mut Request, b as *mut Request);
            let file = file_addr as HANDLE;
            // SAFETY: both requests are boxed by the test and stay alive, unused by it,
            // until this thread is joined; the buffers are 16 bytes.
            unsafe {
                ResetEvent(event_addr as HANDLE);
                let ok = ReadFile(
                    file,
                    (*a).buffer.as_mut_ptr().cast(),
                    16,
                    null_mut(),
                    &raw mut (*a).ov,
                );
                assert_eq!((ok, GetLastError()), (FALSE, ERROR_IO_PENDING));
                let ok = ReadFileEx(
                    file,
                    (*b).buffer.as_mut_ptr().cast(),
                    16,
                    &raw mut (*b).ov,
                    Some(never),
                );
                assert_eq!(ok, TRUE);
            }
        })
        .join()
        .expect("the thread ran");
        assert_eq!(
            (with_event.ov.Internal, with_routine.ov.Internal),
            (STATUS_CANCELLED, STATUS_CANCELLED),
            "round {round}"
        );
        assert_eq!(
            WaitForSingleObject(event, 0),
            WAIT_OBJECT_0,
            "round {round}"
        );
    }
    assert_eq!(SleepEx(0, TRUE), 0);
    assert_eq!(CloseHandle(event), TRUE);
    assert_eq!(CloseHandle(file), TRUE);
}
