//! The file functions `winbase.h` declares itself: `SetFileCompletionNotificationModes`,
//! `MoveFileA/W`, `MoveFileExA/W`, `CopyFileA/W`.
//!
//! Paths are Linux paths, as in `fileapi/file.rs`. A move is a `rename`, atomic within a
//! file system; across file systems a file is copied and the original deleted, when the
//! caller allows it. Copies keep the permission bits (hence `FILE_ATTRIBUTE_READONLY`),
//! as Windows keeps a file's attributes.

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use alertable_io::IoError;

use crate::consts::{
    ERROR_ACCESS_DENIED, ERROR_ALREADY_EXISTS, ERROR_FILE_EXISTS, ERROR_INVALID_PARAMETER,
    ERROR_NOT_SAME_DEVICE, ERROR_SHARING_VIOLATION, FALSE, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS,
    FILE_SKIP_SET_EVENT_ON_HANDLE, MOVEFILE_COPY_ALLOWED, MOVEFILE_REPLACE_EXISTING,
    MOVEFILE_WRITE_THROUGH, TRUE,
};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::fileapi::file::{narrow_path, path_error, required_path, wide_path};
use crate::handle;
use crate::sys;
use crate::types::{BOOL, DWORD, HANDLE, LPCSTR, LPCWSTR, UCHAR};

/// Sets what a request on `FileHandle` that succeeds inside the issuing call (cached data,
/// J102) skips: with `FILE_SKIP_COMPLETION_PORT_ON_SUCCESS` (1) it posts no packet to the
/// file's completion port — the caller handles the `TRUE` of `ReadFile`/`WriteFile` itself
/// — and with `FILE_SKIP_SET_EVENT_ON_HANDLE` (2) it does not signal the file handle. The
/// `OVERLAPPED`'s `hEvent` is set as ever. Requests that are pending at return, or fail,
/// are not affected. Flags add to those set before; none can be cleared.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) if `FileHandle` is not a file, or
/// `ERROR_INVALID_PARAMETER` (87) for a flag other than those two.
///
/// # Win32
///
/// `SetFileCompletionNotificationModes`.
#[unsafe(no_mangle)]
pub extern "C" fn SetFileCompletionNotificationModes(FileHandle: HANDLE, Flags: UCHAR) -> BOOL {
    call(FALSE, || {
        let object = handle::real_object(FileHandle)?.into_file()?;
        if Flags & !(FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | FILE_SKIP_SET_EVENT_ON_HANDLE) != 0 {
            return Err(Error(ERROR_INVALID_PARAMETER));
        }
        object.modes.fetch_or(Flags, Ordering::AcqRel);
        Ok(TRUE)
    })
}

// ---------------------------------------------------------------------------------------
// CopyFile.

/// Copies the file `from` to `to`, which must not exist if `fail_if_exists`; returns
/// `ERROR_FILE_EXISTS` (80) if it does.
fn copy_file(from: &Path, to: &Path, fail_if_exists: bool) -> Result<()> {
    let os = |e: io::Error| Error(IoError::from(e).win32_error());
    let mut source = fs::File::open(from).map_err(|e| path_error(from, e))?;
    let meta = source.metadata().map_err(os)?;
    if meta.is_dir() {
        return Err(Error(ERROR_ACCESS_DENIED));
    }
    if let Ok(target) = fs::metadata(to) {
        if fail_if_exists {
            return Err(Error(ERROR_FILE_EXISTS));
        }
        if (target.dev(), target.ino()) == (meta.dev(), meta.ino()) {
            // Truncating the target would destroy the source; Windows refuses too.
            return Err(Error(ERROR_SHARING_VIOLATION));
        }
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).mode(meta.permissions().mode());
    if fail_if_exists {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    let mut target = options.open(to).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => Error(ERROR_FILE_EXISTS),
        _ => path_error(to, e),
    })?;
    io::copy(&mut source, &mut target).map_err(os)?;
    target.set_permissions(meta.permissions()).map_err(os)?;
    Ok(())
}

fn copy_file_names(from: Option<PathBuf>, to: Option<PathBuf>, fail: BOOL) -> Result<BOOL> {
    let (from, to) = (required_path(from)?, required_path(to)?);
    copy_file(&from, &to, fail != FALSE)?;
    Ok(TRUE)
}

/// Copies the file `lpExistingFileName` to `lpNewFileName`, with its permission bits. With
/// `bFailIfExists` an existing target fails; without, it is overwritten.
///
/// # Safety
///
/// Both names are `NULL` or valid NUL-terminated strings.
///
/// # Errors
///
/// `FALSE` with `ERROR_FILE_EXISTS` (80) for an existing target with `bFailIfExists`,
/// `ERROR_FILE_NOT_FOUND` (2) / `ERROR_PATH_NOT_FOUND` (3) for a missing source or folder
/// (or a `NULL` or empty name), `ERROR_ACCESS_DENIED` (5: permissions, a read-only target,
/// or a folder as the source), `ERROR_SHARING_VIOLATION` (32) for a copy onto itself, or
/// another error as Win32 names it.
///
/// # Win32
///
/// `CopyFileA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CopyFileA(
    lpExistingFileName: LPCSTR,
    lpNewFileName: LPCSTR,
    bFailIfExists: BOOL,
) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller guarantees both names.
        let (from, to) = unsafe { (narrow_path(lpExistingFileName), narrow_path(lpNewFileName)) };
        copy_file_names(from, to, bFailIfExists)
    })
}

/// [`CopyFileA`] with wide paths.
///
/// # Safety
///
/// Both names are `NULL` or valid NUL-terminated wide strings.
///
/// # Errors
///
/// As [`CopyFileA`], and `ERROR_NO_UNICODE_TRANSLATION` (1113) for a path that is not
/// valid UTF-32.
///
/// # Win32
///
/// `CopyFileW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CopyFileW(
    lpExistingFileName: LPCWSTR,
    lpNewFileName: LPCWSTR,
    bFailIfExists: BOOL,
) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller guarantees both names.
        let (from, to) = unsafe { (wide_path(lpExistingFileName)?, wide_path(lpNewFileName)?) };
        copy_file_names(from, to, bFailIfExists)
    })
}

// ---------------------------------------------------------------------------------------
// MoveFile, MoveFileEx.

/// Renames `from` to `to`, replacing an existing `to` only if `replace`.
fn rename(from: &Path, to: &Path, replace: bool) -> io::Result<()> {
    if replace {
        return fs::rename(from, to);
    }
    match sys::rename_noreplace(from, to) {
        // A file system without RENAME_NOREPLACE: check, then rename.
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
            if fs::symlink_metadata(to).is_ok() {
                Err(io::ErrorKind::AlreadyExists.into())
            } else {
                fs::rename(from, to)
            }
        }
        other => other,
    }
}

/// Flushes `path` and the folder that holds its name to the disk.
fn write_through(path: &Path) -> io::Result<()> {
    fs::File::open(path)?.sync_all()?;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    fs::File::open(parent.unwrap_or(Path::new(".")))?.sync_all()
}

fn move_file(from: Option<PathBuf>, to: Option<PathBuf>, flags: DWORD) -> Result<BOOL> {
    let known = MOVEFILE_REPLACE_EXISTING | MOVEFILE_COPY_ALLOWED | MOVEFILE_WRITE_THROUGH;
    if flags & !known != 0 {
        return Err(Error(ERROR_INVALID_PARAMETER));
    }
    let (from, to) = (required_path(from)?, required_path(to)?);
    let replace = flags & MOVEFILE_REPLACE_EXISTING != 0;
    let source = fs::symlink_metadata(&from).map_err(|e| path_error(&from, e))?;
    match rename(&from, &to, replace) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            if flags & MOVEFILE_COPY_ALLOWED == 0 || source.is_dir() {
                return Err(Error(ERROR_NOT_SAME_DEVICE));
            }
            copy_file(&from, &to, !replace).map_err(|e| match e {
                Error(ERROR_FILE_EXISTS) => Error(ERROR_ALREADY_EXISTS),
                other => other,
            })?;
            fs::remove_file(&from).map_err(|e| path_error(&from, e))?;
        }
        Err(e) => {
            return Err(match e.raw_os_error() {
                Some(libc::EEXIST | libc::ENOTEMPTY) if replace => Error(ERROR_ACCESS_DENIED),
                Some(libc::EEXIST | libc::ENOTEMPTY) => Error(ERROR_ALREADY_EXISTS),
                Some(libc::EISDIR) => Error(ERROR_ACCESS_DENIED),
                _ => path_error(&to, e),
            });
        }
    }
    if flags & MOVEFILE_WRITE_THROUGH != 0 {
        write_through(&to).map_err(|e| Error(IoError::from(e).win32_error()))?;
    }
    Ok(TRUE)
}

/// Moves (renames) the file or folder `lpExistingFileName` to `lpNewFileName`.
///
/// - `MOVEFILE_REPLACE_EXISTING` (1): an existing target file is replaced (a folder
///   target is not: `ERROR_ACCESS_DENIED`); without it an existing target fails.
/// - `MOVEFILE_COPY_ALLOWED` (2): across file systems a file is copied and then deleted
///   (not atomic); without it that fails. Folders never move across file systems.
/// - `MOVEFILE_WRITE_THROUGH` (8): returns once the moved file and its folder are on the
///   disk.
///
/// # Safety
///
/// Both names are `NULL` or valid NUL-terminated strings.
///
/// # Errors
///
/// `FALSE` with `ERROR_ALREADY_EXISTS` (183) for an existing target without
/// `MOVEFILE_REPLACE_EXISTING`, `ERROR_NOT_SAME_DEVICE` (17) across file systems without
/// `MOVEFILE_COPY_ALLOWED`, `ERROR_FILE_NOT_FOUND` (2) / `ERROR_PATH_NOT_FOUND` (3) for a
/// missing source or folder (or a `NULL` or empty name), `ERROR_ACCESS_DENIED` (5),
/// `ERROR_INVALID_PARAMETER` (87) for another flag (`MOVEFILE_DELAY_UNTIL_REBOOT` and the
/// rest are not supported), or another error as Win32 names it.
///
/// # Win32
///
/// `MoveFileExA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MoveFileExA(
    lpExistingFileName: LPCSTR,
    lpNewFileName: LPCSTR,
    dwFlags: DWORD,
) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller guarantees both names.
        let (from, to) = unsafe { (narrow_path(lpExistingFileName), narrow_path(lpNewFileName)) };
        move_file(from, to, dwFlags)
    })
}

/// [`MoveFileExA`] with wide paths.
///
/// # Safety
///
/// Both names are `NULL` or valid NUL-terminated wide strings.
///
/// # Errors
///
/// As [`MoveFileExA`], and `ERROR_NO_UNICODE_TRANSLATION` (1113) for a path that is not
/// valid UTF-32.
///
/// # Win32
///
/// `MoveFileExW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MoveFileExW(
    lpExistingFileName: LPCWSTR,
    lpNewFileName: LPCWSTR,
    dwFlags: DWORD,
) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller guarantees both names.
        let (from, to) = unsafe { (wide_path(lpExistingFileName)?, wide_path(lpNewFileName)?) };
        move_file(from, to, dwFlags)
    })
}

/// [`MoveFileExA`] with `MOVEFILE_COPY_ALLOWED`: an existing target fails, a file moves
/// across file systems.
///
/// # Safety
///
/// Both names are `NULL` or valid NUL-terminated strings.
///
/// # Errors
///
/// As [`MoveFileExA`].
///
/// # Win32
///
/// `MoveFileA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MoveFileA(lpExistingFileName: LPCSTR, lpNewFileName: LPCSTR) -> BOOL {
    // SAFETY: the caller's guarantees, passed on.
    unsafe { MoveFileExA(lpExistingFileName, lpNewFileName, MOVEFILE_COPY_ALLOWED) }
}

/// [`MoveFileA`] with wide paths.
///
/// # Safety
///
/// Both names are `NULL` or valid NUL-terminated wide strings.
///
/// # Errors
///
/// As [`MoveFileExW`].
///
/// # Win32
///
/// `MoveFileW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MoveFileW(lpExistingFileName: LPCWSTR, lpNewFileName: LPCWSTR) -> BOOL {
    // SAFETY: the caller's guarantees, passed on.
    unsafe { MoveFileExW(lpExistingFileName, lpNewFileName, MOVEFILE_COPY_ALLOWED) }
}
