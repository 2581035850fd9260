//! Files and folders by name: `GetFileAttributesA/W`, `GetFileAttributesExA/W`,
//! `CreateDirectoryA/W`, `RemoveDirectoryA/W`.
//!
//! Attributes come from the Linux file type and mode: a folder is
//! `FILE_ATTRIBUTE_DIRECTORY`; a file its owner may not write is `FILE_ATTRIBUTE_READONLY`;
//! any other file is `FILE_ATTRIBUTE_NORMAL`. Linux has no archive, hidden or system bits,
//! so those are never set (Windows sets `FILE_ATTRIBUTE_ARCHIVE` on most files it
//! creates, where this returns `FILE_ATTRIBUTE_NORMAL`). Symbolic links are followed.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use alertable_io::IoError;

use crate::consts::{
    ERROR_ALREADY_EXISTS, ERROR_DIR_NOT_EMPTY, ERROR_DIRECTORY, ERROR_INVALID_PARAMETER,
    ERROR_NOACCESS, ERROR_PATH_NOT_FOUND, FALSE, FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_NORMAL,
    FILE_ATTRIBUTE_READONLY, GetFileExInfoStandard, INVALID_FILE_ATTRIBUTES, TRUE,
};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::fileapi::file::{narrow_path, path_error, required_path, wide_path};
use crate::filetime::filetime_from_system_time;
use crate::types::{
    BOOL, DWORD, FILETIME, GET_FILEEX_INFO_LEVELS, LPCSTR, LPCWSTR, LPSECURITY_ATTRIBUTES, LPVOID,
    WIN32_FILE_ATTRIBUTE_DATA,
};

/// The `FILE_ATTRIBUTE_…` flags of a file (see the module documentation).
pub(crate) fn attributes_of(meta: &fs::Metadata) -> DWORD {
    if meta.is_dir() {
        FILE_ATTRIBUTE_DIRECTORY
    } else if meta.permissions().mode() & 0o200 == 0 {
        FILE_ATTRIBUTE_READONLY
    } else {
        FILE_ATTRIBUTE_NORMAL
    }
}

/// The metadata of the file named `path`; a missing name is `ERROR_FILE_NOT_FOUND` (2), a
/// missing folder on the way (or a file used as one) `ERROR_PATH_NOT_FOUND` (3).
fn metadata(path: Option<PathBuf>) -> Result<fs::Metadata> {
    let path = required_path(path)?;
    fs::metadata(&path).map_err(|e| {
        if e.raw_os_error() == Some(libc::ENOTDIR) {
            Error(ERROR_PATH_NOT_FOUND)
        } else {
            path_error(&path, e)
        }
    })
}

fn filetime(time: io::Result<std::time::SystemTime>) -> FILETIME {
    let value = time.map(filetime_from_system_time).unwrap_or(0);
    FILETIME {
        dwLowDateTime: value as DWORD,
        dwHighDateTime: (value >> 32) as DWORD,
    }
}

/// Returns the attributes of the file or folder named `lpFileName` (see the module
/// documentation for how they are derived).
///
/// # Safety
///
/// `lpFileName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// `INVALID_FILE_ATTRIBUTES` (0xFFFFFFFF) with `ERROR_FILE_NOT_FOUND` (2),
/// `ERROR_PATH_NOT_FOUND` (3: a missing folder on the way, or a `NULL` or empty name),
/// `ERROR_ACCESS_DENIED` (5), or another error of the query as Win32 names it.
///
/// # Win32
///
/// `GetFileAttributesA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetFileAttributesA(lpFileName: LPCSTR) -> DWORD {
    call(INVALID_FILE_ATTRIBUTES, || {
        // SAFETY: the caller guarantees `lpFileName`.
        Ok(attributes_of(&metadata(unsafe {
            narrow_path(lpFileName)
        })?))
    })
}

/// [`GetFileAttributesA`] with a wide path.
///
/// # Safety
///
/// `lpFileName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// As [`GetFileAttributesA`], and `ERROR_NO_UNICODE_TRANSLATION` (1113) for a path that
/// is not valid UTF-32.
///
/// # Win32
///
/// `GetFileAttributesW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetFileAttributesW(lpFileName: LPCWSTR) -> DWORD {
    call(INVALID_FILE_ATTRIBUTES, || {
        // SAFETY: the caller guarantees `lpFileName`.
        Ok(attributes_of(&metadata(unsafe { wide_path(lpFileName) }?)?))
    })
}

/// The body of `GetFileAttributesExA/W`.
///
/// # Safety
///
/// `out` is `NULL` or writable for a `WIN32_FILE_ATTRIBUTE_DATA`.
unsafe fn attributes_ex(
    path: Option<PathBuf>,
    level: GET_FILEEX_INFO_LEVELS,
    out: LPVOID,
) -> Result<BOOL> {
    if level != GetFileExInfoStandard {
        return Err(Error(ERROR_INVALID_PARAMETER));
    }
    let meta = metadata(path)?;
    if out.is_null() {
        return Err(Error(ERROR_NOACCESS));
    }
    // A folder has no size of its own on Windows.
    let size = if meta.is_dir() { 0 } else { meta.len() };
    let data = WIN32_FILE_ATTRIBUTE_DATA {
        dwFileAttributes: attributes_of(&meta),
        ftCreationTime: filetime(meta.created().or_else(|_| meta.modified())),
        ftLastAccessTime: filetime(meta.accessed()),
        ftLastWriteTime: filetime(meta.modified()),
        nFileSizeHigh: (size >> 32) as DWORD,
        nFileSizeLow: size as DWORD,
    };
    // SAFETY: the caller guarantees a non-NULL `out` is writable for the structure;
    // `write_unaligned` asks nothing of its alignment.
    unsafe {
        out.cast::<WIN32_FILE_ATTRIBUTE_DATA>()
            .write_unaligned(data)
    };
    Ok(TRUE)
}

/// Fills `*lpFileInformation`, a `WIN32_FILE_ATTRIBUTE_DATA` for `fInfoLevelId`
/// `GetFileExInfoStandard`, with the attributes, times and size of the file or folder
/// named `lpFileName` (a folder's size is 0). The creation time is the Linux birth time
/// where the file system records one, else the last write time.
///
/// # Safety
///
/// `lpFileName` is `NULL` or a valid NUL-terminated string; `lpFileInformation` is `NULL`
/// or writable for a `WIN32_FILE_ATTRIBUTE_DATA`.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_PARAMETER` (87) for another `fInfoLevelId`,
/// `ERROR_NOACCESS` (998) for a `NULL` `lpFileInformation`, or the errors of
/// [`GetFileAttributesA`].
///
/// # Win32
///
/// `GetFileAttributesExA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetFileAttributesExA(
    lpFileName: LPCSTR,
    fInfoLevelId: GET_FILEEX_INFO_LEVELS,
    lpFileInformation: LPVOID,
) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller guarantees both pointers.
        unsafe { attributes_ex(narrow_path(lpFileName), fInfoLevelId, lpFileInformation) }
    })
}

/// [`GetFileAttributesExA`] with a wide path.
///
/// # Safety
///
/// `lpFileName` is `NULL` or a valid NUL-terminated wide string; `lpFileInformation` is
/// `NULL` or writable for a `WIN32_FILE_ATTRIBUTE_DATA`.
///
/// # Errors
///
/// As [`GetFileAttributesExA`], and `ERROR_NO_UNICODE_TRANSLATION` (1113) for a path that
/// is not valid UTF-32.
///
/// # Win32
///
/// `GetFileAttributesExW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetFileAttributesExW(
    lpFileName: LPCWSTR,
    fInfoLevelId: GET_FILEEX_INFO_LEVELS,
    lpFileInformation: LPVOID,
) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller guarantees both pointers.
        unsafe { attributes_ex(wide_path(lpFileName)?, fInfoLevelId, lpFileInformation) }
    })
}

fn create_directory(path: Option<PathBuf>) -> Result<BOOL> {
    let path = required_path(path)?;
    fs::create_dir(&path).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => Error(ERROR_ALREADY_EXISTS),
        // The folder itself is what is created: a missing name is a missing folder on the
        // way.
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => Error(ERROR_PATH_NOT_FOUND),
        _ => Error(IoError::from(e).win32_error()),
    })?;
    Ok(TRUE)
}

/// Creates the folder `lpPathName` (its parent must exist), with the default permissions
/// less the umask. `lpSecurityAttributes` is accepted and ignored.
///
/// # Safety
///
/// `lpPathName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// `FALSE` with `ERROR_ALREADY_EXISTS` (183) if the name exists (as a folder or a file),
/// `ERROR_PATH_NOT_FOUND` (3) if a folder on the way is missing (or the name is `NULL` or
/// empty), `ERROR_ACCESS_DENIED` (5), or another error as Win32 names it.
///
/// # Win32
///
/// `CreateDirectoryA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateDirectoryA(
    lpPathName: LPCSTR,
    lpSecurityAttributes: LPSECURITY_ATTRIBUTES,
) -> BOOL {
    let _ = lpSecurityAttributes;
    call(FALSE, || {
        // SAFETY: the caller guarantees `lpPathName`.
        create_directory(unsafe { narrow_path(lpPathName) })
    })
}

/// [`CreateDirectoryA`] with a wide path.
///
/// # Safety
///
/// `lpPathName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// As [`CreateDirectoryA`], and `ERROR_NO_UNICODE_TRANSLATION` (1113) for a path that is
/// not valid UTF-32.
///
/// # Win32
///
/// `CreateDirectoryW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateDirectoryW(
    lpPathName: LPCWSTR,
    lpSecurityAttributes: LPSECURITY_ATTRIBUTES,
) -> BOOL {
    let _ = lpSecurityAttributes;
    call(FALSE, || {
        // SAFETY: the caller guarantees `lpPathName`.
        create_directory(unsafe { wide_path(lpPathName) }?)
    })
}

/// Whether `path` names something that is not a folder.
fn is_other_than_folder(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| !m.is_dir())
}

fn remove_directory(path: Option<PathBuf>) -> Result<BOOL> {
    let path = required_path(path)?;
    fs::remove_dir(&path).map_err(|e| match e.raw_os_error() {
        Some(libc::ENOTEMPTY | libc::EEXIST) => Error(ERROR_DIR_NOT_EMPTY),
        Some(libc::ENOTDIR) if is_other_than_folder(&path) => Error(ERROR_DIRECTORY),
        Some(libc::ENOTDIR) => Error(ERROR_PATH_NOT_FOUND),
        _ => path_error(&path, e),
    })?;
    Ok(TRUE)
}

/// Removes the empty folder `lpPathName`.
///
/// # Safety
///
/// `lpPathName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// `FALSE` with `ERROR_DIR_NOT_EMPTY` (145) if it has entries, `ERROR_FILE_NOT_FOUND` (2)
/// if it does not exist, `ERROR_PATH_NOT_FOUND` (3) if a folder on the way is missing (or
/// the name is `NULL` or empty), `ERROR_DIRECTORY` (267) if it is a file,
/// `ERROR_ACCESS_DENIED` (5), or another error as Win32 names it.
///
/// # Win32
///
/// `RemoveDirectoryA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn RemoveDirectoryA(lpPathName: LPCSTR) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller guarantees `lpPathName`.
        remove_directory(unsafe { narrow_path(lpPathName) })
    })
}

/// [`RemoveDirectoryA`] with a wide path.
///
/// # Safety
///
/// `lpPathName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// As [`RemoveDirectoryA`], and `ERROR_NO_UNICODE_TRANSLATION` (1113) for a path that is
/// not valid UTF-32.
///
/// # Win32
///
/// `RemoveDirectoryW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn RemoveDirectoryW(lpPathName: LPCWSTR) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller guarantees `lpPathName`.
        remove_directory(unsafe { wide_path(lpPathName) }?)
    })
}
