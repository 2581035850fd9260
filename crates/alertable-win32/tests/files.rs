//! The file functions around `CreateFile` where a check needs more than the C conformance
//! program `r_files.c` can print the same on Windows and here: sizes at the 4 GiB
//! boundary, moves across file systems, and `FILE_FLAG_DELETE_ON_CLOSE` with several
//! handles.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::ptr::null_mut;

use alertable_win32::*;

/// A fresh scratch folder for `test`.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("files")
        .join(format!("{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn c_path(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).expect("no NUL in a path")
}

fn open(path: &Path, flags: DWORD) -> HANDLE {
    let name = c_path(path);
    // SAFETY: `name` is a valid string; no security attributes, no template.
    let h = unsafe {
        CreateFileA(
            name.as_ptr(),
            GENERIC_READ | GENERIC_WRITE,
            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
            null_mut(),
            OPEN_ALWAYS,
            flags,
            null_mut(),
        )
    };
    assert_ne!(h, INVALID_HANDLE_VALUE, "CreateFileA: {}", GetLastError());
    h
}

/// `CreateFile` documentation, `FILE_FLAG_DELETE_ON_CLOSE`: the file is deleted when all
/// its handles are closed — a duplicate keeps it, the last close removes it — for
/// synchronous and overlapped handles alike.
#[test]
fn delete_on_close_removes_the_file_when_its_last_handle_closes() {
    let dir = scratch("delete_on_close");
    for flags in [0, FILE_FLAG_OVERLAPPED] {
        let path = dir.join(format!("doomed-{flags:x}"));
        let first = open(&path, flags | FILE_FLAG_DELETE_ON_CLOSE);
        let mut second = null_mut();
        // SAFETY: `second` is a live output.
        let ok = unsafe {
            DuplicateHandle(
                GetCurrentProcess(),
                first,
                GetCurrentProcess(),
                &raw mut second,
                0,
                FALSE,
                DUPLICATE_SAME_ACCESS,
            )
        };
        assert_eq!(ok, TRUE);
        assert_eq!(CloseHandle(first), TRUE);
        assert!(path.exists(), "a handle is still open ({flags:#x})");
        assert_eq!(CloseHandle(second), TRUE);
        assert!(!path.exists(), "the last handle closed ({flags:#x})");
    }
    // Without the flag nothing is removed.
    let kept = dir.join("kept");
    assert_eq!(CloseHandle(open(&kept, 0)), TRUE);
    assert!(kept.exists());
}

/// `GetFileSize` and `SetFilePointer` documentation: a size or position whose low half is
/// 0xFFFFFFFF returns `INVALID_FILE_SIZE` / `INVALID_SET_FILE_POINTER` with the last error
/// `NO_ERROR`, which is how a caller tells it from a failure; the high half goes to the
/// pointer argument. (A sparse file: no 4 GiB is written.)
#[test]
fn sizes_and_positions_at_the_4_gib_boundary() {
    let dir = scratch("boundary");
    let h = open(&dir.join("big"), 0);
    let mut high: LONG = 0;
    // SAFETY: `high` is a live in/out argument.
    let low = unsafe { SetFilePointer(h, -1, &raw mut high, FILE_BEGIN) };
    assert_eq!((low, high, GetLastError()), (0xFFFF_FFFF, 0, ERROR_SUCCESS));
    assert_eq!(SetEndOfFile(h), TRUE);
    SetLastError(0xdead);
    let mut size_high: DWORD = 7;
    // SAFETY: `size_high` is a live output.
    let low = unsafe { GetFileSize(h, &raw mut size_high) };
    assert_eq!(
        (low, size_high, GetLastError()),
        (INVALID_FILE_SIZE, 0, ERROR_SUCCESS)
    );
    let mut size = LARGE_INTEGER { QuadPart: 0 };
    // SAFETY: `size` is a live output.
    assert_eq!(unsafe { GetFileSizeEx(h, &raw mut size) }, TRUE);
    // SAFETY: written as a 64-bit value.
    assert_eq!(unsafe { size.QuadPart }, 0xFFFF_FFFF);
    // One more byte: the high half becomes 1.
    // SAFETY: a NULL high pointer is allowed.
    assert_eq!(unsafe { SetFilePointer(h, 1, null_mut(), FILE_CURRENT) }, 0);
    assert_eq!(SetEndOfFile(h), TRUE);
    // SAFETY: as above.
    let low = unsafe { GetFileSize(h, &raw mut size_high) };
    assert_eq!((low, size_high), (0, 1));
    // Back by 2^32 from the end (the size is 2^32 now), with a 64-bit distance.
    let back = LARGE_INTEGER {
        QuadPart: -(1 << 32),
    };
    let mut now = LARGE_INTEGER { QuadPart: -1 };
    // SAFETY: `now` is a live output.
    let ok = unsafe { SetFilePointerEx(h, back, &raw mut now, FILE_END) };
    assert_eq!(ok, TRUE);
    // SAFETY: written as a 64-bit value.
    assert_eq!(unsafe { now.QuadPart }, 0);
    assert_eq!(CloseHandle(h), TRUE);
}

/// `MoveFileEx` documentation: across volumes a file moves only with
/// `MOVEFILE_COPY_ALLOWED` (else `ERROR_NOT_SAME_DEVICE`), and then arrives whole, its
/// source gone. Needs `/dev/shm` on another file system than the build's scratch folder;
/// says so and checks nothing where it is not.
#[test]
fn moves_across_file_systems_need_copy_allowed() {
    let dir = scratch("across");
    let shm = Path::new("/dev/shm");
    let other = match std::fs::metadata(shm) {
        Ok(m) if m.dev() != std::fs::metadata(&dir).expect("scratch").dev() => shm,
        _ => {
            eprintln!("no second file system at /dev/shm: nothing to check");
            return;
        }
    };
    let source = other.join(format!("alertable-move-{}", std::process::id()));
    std::fs::write(&source, b"moved across").expect("source");
    let target = dir.join("arrived");
    let (from, to) = (c_path(&source), c_path(&target));
    SetLastError(0);
    // SAFETY: valid strings.
    let ok = unsafe { MoveFileExA(from.as_ptr(), to.as_ptr(), 0) };
    assert_eq!((ok, GetLastError()), (FALSE, ERROR_NOT_SAME_DEVICE));
    assert!(source.exists() && !target.exists());
    // SAFETY: valid strings.
    let ok = unsafe { MoveFileExA(from.as_ptr(), to.as_ptr(), MOVEFILE_COPY_ALLOWED) };
    assert_eq!(ok, TRUE, "error {}", GetLastError());
    assert!(!source.exists());
    assert_eq!(std::fs::read(&target).expect("target"), b"moved across");
    // Back again with MoveFile, which allows copying.
    // SAFETY: valid strings.
    assert_eq!(unsafe { MoveFileA(to.as_ptr(), from.as_ptr()) }, TRUE);
    assert!(source.exists() && !target.exists());
    std::fs::remove_file(&source).expect("clean up");
}
