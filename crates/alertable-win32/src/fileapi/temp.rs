//! Temporary files: `GetTempPathA/W`, `GetTempPath2A/W`, `GetTempFileNameA/W`.
//!
//! The temporary directory is `$TMPDIR` if set and not empty, else `/tmp`, always with a
//! trailing `/` (Windows' has a trailing `\`). Temporary file names are
//! `<dir>/<up to 3 prefix characters><hex number>.tmp`, as on Windows.

use std::ffi::OsStr;
use std::fs::OpenOptions;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

use crate::consts::{
    ERROR_ACCESS_DENIED, ERROR_BUFFER_OVERFLOW, ERROR_DIRECTORY, ERROR_FILE_EXISTS,
    ERROR_INVALID_PARAMETER, ERROR_NO_UNICODE_TRANSLATION, MAX_PATH,
};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::strings;
use crate::sys;
use crate::types::{CHAR, DWORD, LPCSTR, LPCWSTR, LPSTR, LPWSTR, UINT, WCHAR};

/// The temporary directory, with a trailing `/`.
fn temp_dir() -> Vec<u8> {
    let mut dir = std::env::var_os("TMPDIR")
        .filter(|d| !d.is_empty())
        .map_or_else(|| b"/tmp".to_vec(), OsStringExt::into_vec);
    if !dir.ends_with(b"/") {
        dir.push(b'/');
    }
    dir
}

/// Writes `path` to a buffer of `capacity` characters: returns its length without the NUL
/// if it fits, else the size needed with the NUL (and writes nothing).
///
/// # Safety
///
/// `buffer` is `NULL` or valid for writing `capacity` elements.
unsafe fn write_path<T: Copy + Default>(path: &[T], buffer: *mut T, capacity: DWORD) -> DWORD {
    // SAFETY: the caller's guarantee, passed on.
    if unsafe { strings::copy_out(path, buffer, capacity as usize) } {
        path.len() as DWORD
    } else {
        (path.len() + 1) as DWORD
    }
}

/// Writes the temporary directory, with a trailing `/`, to `lpBuffer`.
///
/// Returns the length written, without the NUL; or, if `nBufferLength` characters are too
/// few (or `lpBuffer` is `NULL`), the size needed including the NUL, writing nothing.
///
/// # Safety
///
/// `lpBuffer` is `NULL` or valid for writing `nBufferLength` characters.
///
/// # Win32
///
/// `GetTempPathA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetTempPathA(nBufferLength: DWORD, lpBuffer: LPSTR) -> DWORD {
    call(0, || {
        let path = strings::to_narrow(&temp_dir());
        // SAFETY: the caller's guarantee on the buffer.
        Ok(unsafe { write_path(&path, lpBuffer, nBufferLength) })
    })
}

/// [`GetTempPathA`] in wide characters.
///
/// # Safety
///
/// `lpBuffer` is `NULL` or valid for writing `nBufferLength` wide characters.
///
/// # Errors
///
/// 0 with `ERROR_NO_UNICODE_TRANSLATION` (1113) if the directory's name is not UTF-8.
///
/// # Win32
///
/// `GetTempPathW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetTempPathW(nBufferLength: DWORD, lpBuffer: LPWSTR) -> DWORD {
    call(0, || {
        let dir = String::from_utf8(temp_dir()).map_err(|_| Error(ERROR_NO_UNICODE_TRANSLATION))?;
        let path = strings::to_wide(&dir);
        // SAFETY: the caller's guarantee on the buffer.
        Ok(unsafe { write_path(&path, lpBuffer, nBufferLength) })
    })
}

/// [`GetTempPathA`]: the same directory. Windows gives processes running as SYSTEM a
/// directory of their own here; Linux has no such account, so the two never differ.
///
/// # Safety
///
/// `BufferLength`/`Buffer` as for [`GetTempPathA`].
///
/// # Win32
///
/// `GetTempPath2A`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetTempPath2A(BufferLength: DWORD, Buffer: LPSTR) -> DWORD {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { GetTempPathA(BufferLength, Buffer) }
}

/// [`GetTempPathW`]: the same directory (see [`GetTempPath2A`]).
///
/// # Safety
///
/// `BufferLength`/`Buffer` as for [`GetTempPathW`].
///
/// # Errors
///
/// As [`GetTempPathW`].
///
/// # Win32
///
/// `GetTempPath2W`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetTempPath2W(BufferLength: DWORD, Buffer: LPWSTR) -> DWORD {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { GetTempPathW(BufferLength, Buffer) }
}

/// Builds `<dir>/<prefix><hex>.tmp`; creates the file when `unique` is 0 and returns the
/// name and number used.
fn temp_file_name(dir: &[u8], prefix: &[u8], unique: UINT) -> Result<(Vec<u8>, UINT)> {
    let mut base = if dir.is_empty() {
        b".".to_vec()
    } else {
        dir.to_vec()
    };
    if !base.ends_with(b"/") {
        base.push(b'/');
    }
    let prefix: Vec<u8> = match std::str::from_utf8(prefix) {
        Ok(text) => text.chars().take(3).collect::<String>().into_bytes(),
        Err(_) => prefix.iter().copied().take(3).collect(),
    };
    let name = |n: UINT| {
        let mut path = base.clone();
        path.extend_from_slice(&prefix);
        path.extend_from_slice(format!("{:x}.tmp", n & 0xFFFF).as_bytes());
        path
    };
    // The longest name must fit in MAX_PATH with its NUL, as on Windows.
    if name(0xFFFF).len() >= MAX_PATH as usize {
        return Err(Error(ERROR_BUFFER_OVERFLOW));
    }
    if unique != 0 {
        return Ok((name(unique), unique));
    }
    // Like Windows: start from the tick count and try every 16-bit number once.
    let start = (sys::monotonic_ms() as UINT) & 0xFFFF;
    for i in 0..0xFFFF_u32 {
        let n = (start + i) % 0xFFFF + 1;
        let path = name(n);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(PathBuf::from(OsStr::from_bytes(&path)))
        {
            Ok(_) => return Ok((path, n)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(Error(ERROR_ACCESS_DENIED));
            }
            Err(_) => return Err(Error(ERROR_DIRECTORY)),
        }
    }
    Err(Error(ERROR_FILE_EXISTS))
}

/// Makes a temporary file name in `lpPathName` (`""`: the current directory) and writes
/// it to `lpTempFileName`, which must hold `MAX_PATH` characters.
///
/// With `uUnique` 0 it picks a number whose file does not exist yet, creates that file
/// (empty) and returns the number; otherwise it uses `uUnique`'s low 16 bits, creates
/// nothing, and returns `uUnique`. The prefix's first three characters are used.
///
/// # Safety
///
/// `lpPathName` and `lpPrefixString` are `NULL` or valid NUL-terminated strings;
/// `lpTempFileName` is `NULL` or valid for writing `MAX_PATH` characters.
///
/// # Errors
///
/// 0 with:
/// - `ERROR_INVALID_PARAMETER` (87): a `NULL` argument;
/// - `ERROR_BUFFER_OVERFLOW` (111): the name would not fit in `MAX_PATH`;
/// - `ERROR_DIRECTORY` (267): the directory does not exist (or the file cannot be made);
/// - `ERROR_ACCESS_DENIED` (5): the directory is not writable;
/// - `ERROR_FILE_EXISTS` (80): every number is taken.
///
/// # Win32
///
/// `GetTempFileNameA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetTempFileNameA(
    lpPathName: LPCSTR,
    lpPrefixString: LPCSTR,
    uUnique: UINT,
    lpTempFileName: LPSTR,
) -> UINT {
    call(0, || {
        // SAFETY: the caller's guarantees on the strings.
        let (dir, prefix) = unsafe {
            (
                strings::narrow_bytes(lpPathName),
                strings::narrow_bytes(lpPrefixString),
            )
        };
        let (Some(dir), Some(prefix), false) = (dir, prefix, lpTempFileName.is_null()) else {
            return Err(Error(ERROR_INVALID_PARAMETER));
        };
        let (path, number) = temp_file_name(&dir, &prefix, uUnique)?;
        let path: Vec<CHAR> = strings::to_narrow(&path);
        // SAFETY: the caller guarantees MAX_PATH writable characters; the name fits
        // (checked in `temp_file_name`).
        unsafe { strings::copy_out(&path, lpTempFileName, MAX_PATH as usize) };
        Ok(number)
    })
}

/// [`GetTempFileNameA`] with wide strings.
///
/// # Safety
///
/// As [`GetTempFileNameA`], with wide strings and a buffer of `MAX_PATH` wide characters.
///
/// # Errors
///
/// As [`GetTempFileNameA`], and `ERROR_NO_UNICODE_TRANSLATION` (1113) for a string that is
/// not valid UTF-32.
///
/// # Win32
///
/// `GetTempFileNameW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetTempFileNameW(
    lpPathName: LPCWSTR,
    lpPrefixString: LPCWSTR,
    uUnique: UINT,
    lpTempFileName: LPWSTR,
) -> UINT {
    call(0, || {
        // SAFETY: the caller's guarantees on the strings.
        let (dir, prefix) = unsafe {
            (
                strings::wide_string(lpPathName)?,
                strings::wide_string(lpPrefixString)?,
            )
        };
        let (Some(dir), Some(prefix), false) = (dir, prefix, lpTempFileName.is_null()) else {
            return Err(Error(ERROR_INVALID_PARAMETER));
        };
        let (path, number) = temp_file_name(dir.as_bytes(), prefix.as_bytes(), uUnique)?;
        // Built from UTF-8 pieces and ASCII, so it is UTF-8.
        let path = String::from_utf8(path).map_err(|_| Error(ERROR_NO_UNICODE_TRANSLATION))?;
        let path: Vec<WCHAR> = strings::to_wide(&path);
        // SAFETY: the caller guarantees MAX_PATH writable characters; the name fits in
        // MAX_PATH bytes, so in as many characters.
        unsafe { strings::copy_out(&path, lpTempFileName, MAX_PATH as usize) };
        Ok(number)
    })
}
