//! Where this library knowingly differs from Windows, checked so the differences stay
//! exactly the documented ones. (The C conformance suite holds only what Windows does.)

mod common;

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

/// An empty name is no name: two calls make two events (names themselves, shared between
/// processes, are checked by `tests/named.rs` and the C suite).
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
    // Names are shared by the processes of the user: this one is this process's own.
    let name = format!("differences-name-{}\0", std::process::id());
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

/// `WriteConsole` and `ReadConsole` work on the standard descriptors also when they are
/// redirected to pipes (Windows' fail there, with `ERROR_INVALID_HANDLE`, and programs fall
/// back to `WriteFile`), as UTF-8; a line read ends with `\n`, not the `\r\n` of Windows'
/// console; a character split between reads is completed by the next `ReadConsoleW`.
#[test]
fn the_console_is_the_standard_descriptors_even_redirected() {
    let program = r#"#include <windows.h>
#include <stdio.h>
int main(void) {
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE), in = GetStdHandle(STD_INPUT_HANDLE);
    DWORD n = 0, m = 0;
    BOOL a = WriteConsoleA(out, "narrow\n", 7, &n, NULL);
    BOOL w = WriteConsoleW(out, L"w\u00e9de\n", 5, &m, NULL);
    char line[64];
    DWORD got = 0;
    BOOL r = ReadConsoleA(in, line, 6, &got, NULL);
    WCHAR wide[8];
    DWORD first = 0, second = 0;
    /* "h\u00e9" is h, then two bytes: a read of 2 chars gets "h" and keeps the first byte. */
    BOOL r1 = ReadConsoleW(in, wide, 2, &first, NULL);
    BOOL r2 = ReadConsoleW(in, wide + first, 4, &second, NULL);
    SetLastError(0);
    BOOL bad = WriteConsoleA(in, "x", 1, &n, NULL);
    for (DWORD i = 0; i < got; i++)
        if (line[i] == '\n')
            line[i] = '$';
    printf("%d %u %d %u | %d %u %.*s | %d %d %u %u %u %u | %d %u\n", a, (unsigned)n, w,
           (unsigned)m, r, (unsigned)got, (int)got, line, r1, r2, (unsigned)first,
           (unsigned)second, (unsigned)wide[0], (unsigned)wide[1], bad, (unsigned)GetLastError());
    return 0;
}
"#;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("differences");
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let source = dir.join("console.c");
    std::fs::write(&source, program).expect("write");
    let exe = dir.join("console");
    common::build_program(&source, &exe, &[]);
    let mut child = std::process::Command::new(&exe)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run the console program");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        // One write per read, in order: the program reads 6 bytes, then the rest.
        stdin.write_all(b"input\nh\xc3\xa9").expect("write stdin");
    }
    let output = child.wait_with_output().expect("wait");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("narrow"));
    assert_eq!(lines.next(), Some("w\u{e9}de"));
    assert_eq!(
        lines.next(),
        Some("1 7 1 5 | 1 6 input$ | 1 1 1 1 104 233 | 0 6"),
        "written counts | a line read with its \\n | a character split between reads | \
         WriteConsole on the input handle"
    );
}

/// `ReadFile` and `WriteFile` work on the standard handles of `GetStdHandle` (here
/// redirected to pipes), synchronously: a blocking read of what is there, a write of every
/// byte. An `OVERLAPPED` is refused with `ERROR_INVALID_PARAMETER`, where Windows would use
/// it on a synchronous handle (its offset is ignored on a pipe).
#[test]
fn read_file_and_write_file_on_standard_handles_are_synchronous() {
    let program = r#"#include <windows.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE), in = GetStdHandle(STD_INPUT_HANDLE);
    DWORD n = 0, got = 0, none = 7;
    BOOL w = WriteFile(out, "written\n", 8, &n, NULL);
    char line[64];
    BOOL r = ReadFile(in, line, sizeof line, &got, NULL);
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    SetLastError(0);
    BOOL wo = WriteFile(out, "x", 1, &none, &ov);
    DWORD wo_error = GetLastError();
    SetLastError(0);
    BOOL ro = ReadFile(in, line, sizeof line, &none, &ov);
    DWORD ro_error = GetLastError();
    DWORD end = 9;
    BOOL eof = ReadFile(in, line + got, 1, &end, NULL);
    fflush(stdout);
    printf("%d %u | %d %u %.*s | %d %u | %d %u %u | %d %u\n", w, (unsigned)n, r, (unsigned)got,
           (int)got, line, wo, (unsigned)wo_error, ro, (unsigned)ro_error, (unsigned)none,
           eof, (unsigned)end);
    return 0;
}
"#;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("differences");
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let source = dir.join("std_files.c");
    std::fs::write(&source, program).expect("write");
    let exe = dir.join("std_files");
    common::build_program(&source, &exe, &[]);
    let mut child = std::process::Command::new(&exe)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run the program");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"input").expect("write stdin");
        // Dropped here: the program's second read sees the end of the input.
    }
    let output = child.wait_with_output().expect("wait");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("written"));
    assert_eq!(
        lines.next(),
        Some("1 8 | 1 5 input | 0 87 | 0 87 0 | 1 0"),
        "WriteFile | ReadFile | with an OVERLAPPED (refused, count zeroed) | at the end"
    );
}

/// `FILE_FLAG_DELETE_ON_CLOSE` removes the file by the name it was opened with, and only
/// while that name still leads to the same file: a file renamed while open is kept (Windows
/// deletes it under its new name), and a file that has taken the old name since is not
/// touched.
#[test]
fn delete_on_close_follows_the_name_not_the_file() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("differences")
        .join(format!("delete-on-close-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let path = dir.join("opened");
    let name = std::ffi::CString::new(path.to_str().expect("UTF-8")).expect("no NUL");
    // SAFETY: `name` is a valid string; no security attributes, no template.
    let h = unsafe {
        CreateFileA(
            name.as_ptr(),
            GENERIC_WRITE,
            7,
            null_mut(),
            CREATE_NEW,
            FILE_FLAG_DELETE_ON_CLOSE,
            null_mut(),
        )
    };
    assert_ne!(h, INVALID_HANDLE_VALUE);
    let moved = dir.join("moved");
    std::fs::rename(&path, &moved).expect("rename");
    std::fs::write(&path, b"another file").expect("a new file under the old name");
    assert_eq!(CloseHandle(h), TRUE);
    assert!(moved.exists(), "the renamed file is kept");
    assert_eq!(std::fs::read(&path).expect("kept"), b"another file");
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// A thread's description is its Linux name, which the kernel keeps to 15 bytes: a longer
/// description comes back cut. Windows keeps the whole description.
#[test]
fn a_thread_description_is_cut_to_fifteen_bytes() {
    let name: Vec<WCHAR> = "described-thread-name"
        .chars()
        .map(|c| c as WCHAR)
        .chain([0])
        .collect();
    let worker = std::thread::spawn(move || {
        // SAFETY: `name` is NUL-terminated; `out` receives a LocalAlloc'd string.
        unsafe {
            assert_eq!(
                SetThreadDescription(GetCurrentThread(), name.as_ptr()),
                S_OK
            );
            let mut out: PWSTR = null_mut();
            assert_eq!(GetThreadDescription(GetCurrentThread(), &raw mut out), S_OK);
            let mut back = String::new();
            let mut p = out;
            while *p != 0 {
                back.push(char::from_u32(*p as u32).expect("a character"));
                p = p.add(1);
            }
            assert!(LocalFree(out.cast()).is_null());
            back
        }
    });
    assert_eq!(worker.join().expect("worker"), "described-threa");
}

/// `SetThreadPriority` is remembered for `GetThreadPriority` but does not change Linux
/// scheduling (an unprivileged process could not undo a lowering); Windows reschedules.
#[test]
fn thread_priorities_are_remembered_not_applied() {
    let worker = std::thread::spawn(|| {
        // SAFETY: `getpriority` reads the calling thread's nice value.
        let nice =
            || unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) };
        let before = nice();
        assert_ne!(
            SetThreadPriority(GetCurrentThread(), THREAD_PRIORITY_LOWEST),
            0
        );
        assert_eq!(
            GetThreadPriority(GetCurrentThread()),
            THREAD_PRIORITY_LOWEST
        );
        assert_eq!(nice(), before, "scheduling is unchanged");
    });
    worker.join().expect("worker");
}

/// The heap functions refuse what Windows would corrupt memory with: a pointer that is not
/// a live block of the heap, a handle that names no heap, and destroying the process heap.
#[test]
fn heaps_refuse_blocks_and_handles_they_do_not_know() {
    let heap = GetProcessHeap();
    let mut local = 0u64;
    let stranger: LPVOID = (&raw mut local).cast();
    SetLastError(0);
    assert_eq!(HeapFree(heap, 0, stranger), FALSE);
    assert_eq!(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_eq!(HeapSize(heap, 0, stranger), usize::MAX);
    assert!(HeapReAlloc(heap, 0, stranger, 8).is_null());
    assert!(HeapAlloc(std::ptr::without_provenance_mut(0x1234), 0, 8).is_null());
    assert_eq!(HeapDestroy(heap), FALSE);
    assert_eq!(GetLastError(), ERROR_INVALID_PARAMETER);
    let p = HeapAlloc(heap, 0, 8);
    assert_ne!(HeapFree(heap, 0, p), FALSE);
    assert_eq!(HeapFree(heap, 0, p), FALSE, "a block is freed once");
}

/// `MessageBox` does not wait for a user: it writes its caption and text to standard error
/// and returns the default button of its style at once. An owner window does not exist.
/// `MessageBeep` makes no sound and succeeds.
#[test]
fn message_box_answers_with_its_default_button() {
    let text = c"a message";
    // SAFETY: NUL-terminated strings and NULL.
    unsafe {
        assert_eq!(MessageBoxA(null_mut(), text.as_ptr(), null(), MB_OK), IDOK);
        assert_eq!(
            MessageBoxA(null_mut(), text.as_ptr(), null(), MB_YESNO | MB_ICONERROR),
            IDYES
        );
        assert_eq!(
            MessageBoxA(null_mut(), null(), null(), MB_YESNOCANCEL | MB_DEFBUTTON3),
            IDCANCEL
        );
        let wide: Vec<WCHAR> = "wide".chars().map(|c| c as WCHAR).chain([0]).collect();
        assert_eq!(
            MessageBoxW(
                null_mut(),
                wide.as_ptr(),
                wide.as_ptr(),
                MB_RETRYCANCEL | MB_DEFBUTTON2
            ),
            IDCANCEL
        );
        SetLastError(0);
        assert_eq!(
            MessageBoxA(1_usize as HWND, text.as_ptr(), null(), MB_OK),
            0
        );
        assert_eq!(GetLastError(), ERROR_INVALID_WINDOW_HANDLE);
    }
    assert_eq!(MessageBeep(MB_OK), TRUE);
}

/// `CharUpperBuffA` upper-cases ASCII letters only (Windows follows the thread's ANSI code
/// page, where `é` in Latin-1 would change too); `CharUpperBuffW` follows Unicode, leaving
/// characters whose upper case is longer (`ß`) as they are.
#[test]
fn char_upper_buff_cases_in_place() {
    let mut text = *b"all caps, \xc3\xa9";
    // SAFETY: `text` is a live buffer of the length given.
    let n = unsafe { CharUpperBuffA(text.as_mut_ptr().cast(), text.len() as DWORD) };
    assert_eq!(n as usize, text.len());
    assert_eq!(&text, b"ALL CAPS, \xc3\xa9");
    let mut wide: Vec<WCHAR> = "é and ß".chars().map(|c| c as WCHAR).collect();
    // SAFETY: as above.
    let n = unsafe { CharUpperBuffW(wide.as_mut_ptr(), wide.len() as DWORD) };
    assert_eq!(n as usize, wide.len());
    let upper: String = wide
        .iter()
        .map(|&c| char::from_u32(c as u32).unwrap())
        .collect();
    assert_eq!(upper, "É AND ß");
}
