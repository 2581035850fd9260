//! K120 on the standard input: `CancelSynchronousIo` ends another thread's `ReadFile` and
//! `ReadConsoleA` blocked on a standard handle whose descriptor is a pipe (the FIFO case is
//! `conformance/k_cancel_sync.c`). One test in its own binary: it replaces descriptor 0.

use std::ptr::null_mut;
use std::sync::atomic::{AtomicU32, Ordering};

use alertable_win32::*;

static RESULT: AtomicU32 = AtomicU32::new(u32::MAX);
static ERROR: AtomicU32 = AtomicU32::new(u32::MAX);
static BYTES: AtomicU32 = AtomicU32::new(u32::MAX);

/// Reads standard input once, with `ReadFile` (parameter 0) or `ReadConsoleA` (1), and
/// records the result, the last error and the count.
unsafe extern "C" fn read_stdin(parameter: LPVOID) -> DWORD {
    let mut buffer = [0_u8; 16];
    let mut n: DWORD = 0;
    SetLastError(0);
    let input = GetStdHandle(STD_INPUT_HANDLE);
    // SAFETY: `buffer` and `n` are live locals of the sizes given.
    let r = unsafe {
        if parameter.is_null() {
            ReadFile(
                input,
                buffer.as_mut_ptr().cast(),
                16,
                &raw mut n,
                null_mut(),
            )
        } else {
            ReadConsoleA(
                input,
                buffer.as_mut_ptr().cast(),
                16,
                &raw mut n,
                null_mut(),
            )
        }
    };
    RESULT.store(r as u32, Ordering::SeqCst);
    ERROR.store(GetLastError(), Ordering::SeqCst);
    BYTES.store(n, Ordering::SeqCst);
    0
}

/// Starts a reader and cancels it once it is blocked (until then, `ERROR_NOT_FOUND`);
/// returns what its read returned.
fn cancel_a_blocked_read(console: bool) -> (u32, u32, u32) {
    let parameter = if console {
        1_usize as LPVOID
    } else {
        null_mut()
    };
    // SAFETY: a valid entry point; the other pointers are NULL.
    let thread = unsafe { CreateThread(null_mut(), 0, Some(read_stdin), parameter, 0, null_mut()) };
    assert!(!thread.is_null());
    loop {
        SetLastError(0);
        if CancelSynchronousIo(thread) != 0 {
            break;
        }
        assert_eq!(
            GetLastError(),
            ERROR_NOT_FOUND,
            "not yet blocked: nothing to cancel"
        );
        SwitchToThread();
    }
    assert_eq!(WaitForSingleObject(thread, 60_000), WAIT_OBJECT_0);
    CloseHandle(thread);
    (
        RESULT.load(Ordering::SeqCst),
        ERROR.load(Ordering::SeqCst),
        BYTES.load(Ordering::SeqCst),
    )
}

#[test]
fn k120_cancels_reads_of_a_standard_handle() {
    let mut ends = [0; 2];
    // SAFETY: `ends` has room for the two descriptors; dup and dup2 take descriptors only.
    let saved = unsafe {
        assert_eq!(libc::pipe(ends.as_mut_ptr()), 0);
        let saved = libc::dup(0);
        assert_eq!(libc::dup2(ends[0], 0), 0);
        saved
    };

    assert_eq!(
        cancel_a_blocked_read(false),
        (0, ERROR_OPERATION_ABORTED, 0)
    );
    assert_eq!(cancel_a_blocked_read(true), (0, ERROR_OPERATION_ABORTED, 0));

    // Data still reads: the cancellation left nothing behind.
    // SAFETY: writes 4 bytes of a literal to the pipe's write end.
    let written = unsafe { libc::write(ends[1], b"data".as_ptr().cast(), 4) };
    assert_eq!(written, 4);
    // SAFETY: a valid entry point; the other pointers are NULL.
    let reader =
        unsafe { CreateThread(null_mut(), 0, Some(read_stdin), null_mut(), 0, null_mut()) };
    assert_eq!(WaitForSingleObject(reader, 60_000), WAIT_OBJECT_0);
    CloseHandle(reader);
    assert_eq!(
        (RESULT.load(Ordering::SeqCst), BYTES.load(Ordering::SeqCst)),
        (1, 4)
    );

    // SAFETY: descriptors only.
    unsafe {
        libc::dup2(saved, 0);
        libc::close(saved);
        libc::close(ends[0]);
        libc::close(ends[1]);
    }
}
