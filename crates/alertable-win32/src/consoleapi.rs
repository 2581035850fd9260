//! The console (`consoleapi.h`): `WriteConsoleA/W`, `ReadConsoleA/W` on the standard
//! handles of `GetStdHandle`.
//!
//! The console is whatever the standard descriptors are: text is written to descriptor 1
//! or 2 as UTF-8 and read from descriptor 0, also when they are redirected to a file or a
//! pipe (where Windows' `WriteConsole` fails and programs fall back to `WriteFile`). A
//! terminal's own line discipline does the line editing, so a line read ends with `\n`
//! rather than the `\r\n` of Windows' console. The wide forms count `WCHAR`s (one per
//! character); a UTF-8 sequence split between two reads is completed by the next
//! `ReadConsoleW`.

use std::sync::{Mutex, PoisonError};

use crate::consts::{
    ERROR_BROKEN_PIPE, ERROR_DISK_FULL, ERROR_GEN_FAILURE, ERROR_INVALID_HANDLE, ERROR_NOACCESS,
    FALSE, TRUE,
};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::processenv::{Stream, std_stream};
use crate::sys;
use crate::types::{BOOL, DWORD, HANDLE, LPDWORD, LPVOID, PCONSOLE_READCONSOLE_CONTROL, WCHAR};

/// Bytes of a UTF-8 character that the last `ReadConsoleW` read only the start of.
static PENDING: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// The Win32 error for a failed read or write of a standard descriptor.
fn errno_error(error: std::io::Error) -> Error {
    match error.raw_os_error() {
        Some(libc::EPIPE) => Error(ERROR_BROKEN_PIPE),
        Some(libc::EBADF) => Error(ERROR_INVALID_HANDLE),
        Some(libc::ENOSPC) => Error(ERROR_DISK_FULL),
        _ => Error(ERROR_GEN_FAILURE),
    }
}

/// The `n` units of a caller's buffer to write: empty for `n` 0, whatever the pointer;
/// `ERROR_NOACCESS` for a `NULL` buffer of `n` units.
///
/// # Safety
///
/// A non-NULL `buffer` is valid for reading `n` units of `T`.
unsafe fn caller_units<'a, T>(buffer: *const core::ffi::c_void, n: usize) -> Result<&'a [T]> {
    if n == 0 {
        return Ok(&[]);
    }
    if buffer.is_null() {
        return Err(Error(ERROR_NOACCESS));
    }
    // SAFETY: non-NULL, and the caller guarantees `n` readable units.
    Ok(unsafe { core::slice::from_raw_parts(buffer.cast::<T>(), n) })
}

fn output_fd(h: HANDLE) -> Result<libc::c_int> {
    match std_stream(h) {
        Some(s @ (Stream::Output | Stream::Error)) => Ok(s.fd()),
        _ => Err(Error(ERROR_INVALID_HANDLE)),
    }
}

fn input_fd(h: HANDLE) -> Result<libc::c_int> {
    match std_stream(h) {
        Some(s @ Stream::Input) => Ok(s.fd()),
        _ => Err(Error(ERROR_INVALID_HANDLE)),
    }
}

/// Decodes at most `n` characters of UTF-8 from the start of `bytes` (an invalid byte as
/// U+FFFD); returns them and the bytes they used. A character cut by the end of `bytes`
/// is left for later, unless `at_end` (no more input will come), where it is U+FFFD.
fn take_chars(bytes: &[u8], n: usize, at_end: bool) -> (Vec<char>, usize) {
    let mut out = Vec::new();
    let mut used = 0;
    while out.len() < n && used < bytes.len() {
        let rest = &bytes[used..];
        let (valid, problem) = match std::str::from_utf8(rest) {
            Ok(s) => (s, None),
            Err(e) => (
                // SAFETY: `from_utf8` checked these bytes.
                unsafe { std::str::from_utf8_unchecked(&rest[..e.valid_up_to()]) },
                Some(e.error_len()),
            ),
        };
        for c in valid.chars().take(n - out.len()) {
            out.push(c);
            used += c.len_utf8();
        }
        if out.len() == n {
            break;
        }
        match problem {
            None => break,
            Some(Some(bad)) => {
                out.push(char::REPLACEMENT_CHARACTER);
                used += bad;
            }
            Some(None) if at_end => {
                out.push(char::REPLACEMENT_CHARACTER);
                used = bytes.len();
            }
            Some(None) => break,
        }
    }
    (out, used)
}

/// Stores `n` at `count` if it is not `NULL`.
///
/// # Safety
///
/// `count` is `NULL` or valid for writing a `DWORD`.
unsafe fn report(count: LPDWORD, n: usize) {
    if !count.is_null() {
        // SAFETY: non-NULL, and the caller guarantees it is writable.
        unsafe { count.write(DWORD::try_from(n).unwrap_or(DWORD::MAX)) };
    }
}

/// Writes `nNumberOfCharsToWrite` `CHAR`s (bytes, UTF-8 text) of `lpBuffer` to standard
/// output or error, and stores the count written at `lpNumberOfCharsWritten`.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) if `hConsoleOutput` is not the standard output
/// or error handle, `ERROR_NOACCESS` (998) for a `NULL` buffer with a count,
/// `ERROR_BROKEN_PIPE` (109) if the reader has gone, `ERROR_DISK_FULL` (112), or
/// `ERROR_GEN_FAILURE` (31) for another failure of the descriptor.
///
/// # Safety
///
/// `lpBuffer` is valid for reading `nNumberOfCharsToWrite` bytes;
/// `lpNumberOfCharsWritten` is `NULL` or valid for writing a `DWORD`.
///
/// # Win32
///
/// `WriteConsoleA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WriteConsoleA(
    hConsoleOutput: HANDLE,
    lpBuffer: *const core::ffi::c_void,
    nNumberOfCharsToWrite: DWORD,
    lpNumberOfCharsWritten: LPDWORD,
    lpReserved: LPVOID,
) -> BOOL {
    let _ = lpReserved;
    call(FALSE, || {
        let fd = output_fd(hConsoleOutput)?;
        let n = nNumberOfCharsToWrite as usize;
        // SAFETY: the caller guarantees `n` readable bytes at a non-NULL `lpBuffer`.
        let bytes = unsafe { caller_units::<u8>(lpBuffer, n) }?;
        sys::write_all(fd, bytes).map_err(errno_error)?;
        // SAFETY: the caller's guarantee.
        unsafe { report(lpNumberOfCharsWritten, n) };
        Ok(TRUE)
    })
}

/// Writes `nNumberOfCharsToWrite` `WCHAR`s of `lpBuffer`, as UTF-8 (a value that is not a
/// character as U+FFFD), to standard output or error; stores the count of `WCHAR`s
/// written.
///
/// # Errors
///
/// As [`WriteConsoleA`].
///
/// # Safety
///
/// `lpBuffer` is valid for reading `nNumberOfCharsToWrite` `WCHAR`s;
/// `lpNumberOfCharsWritten` is `NULL` or valid for writing a `DWORD`.
///
/// # Win32
///
/// `WriteConsoleW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WriteConsoleW(
    hConsoleOutput: HANDLE,
    lpBuffer: *const core::ffi::c_void,
    nNumberOfCharsToWrite: DWORD,
    lpNumberOfCharsWritten: LPDWORD,
    lpReserved: LPVOID,
) -> BOOL {
    let _ = lpReserved;
    call(FALSE, || {
        let fd = output_fd(hConsoleOutput)?;
        let n = nNumberOfCharsToWrite as usize;
        // SAFETY: the caller guarantees `n` readable WCHARs at a non-NULL `lpBuffer`.
        let units = unsafe { caller_units::<WCHAR>(lpBuffer, n) }?;
        let text: String = units
            .iter()
            .map(|&u| {
                u32::try_from(u)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect();
        sys::write_all(fd, text.as_bytes()).map_err(errno_error)?;
        // SAFETY: the caller's guarantee.
        unsafe { report(lpNumberOfCharsWritten, n) };
        Ok(TRUE)
    })
}

/// Reads at most `nNumberOfCharsToRead` `CHAR`s (bytes) from standard input into
/// `lpBuffer`, waiting until some are available (a line, from a terminal), and stores the
/// count read (0 at the end of input). `pInputControl` is accepted and not used.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) if `hConsoleInput` is not the standard input
/// handle, `ERROR_NOACCESS` (998) for a `NULL` buffer with a count, or
/// `ERROR_GEN_FAILURE` (31) if the descriptor fails.
///
/// # Safety
///
/// `lpBuffer` is valid for writing `nNumberOfCharsToRead` bytes; `lpNumberOfCharsRead` is
/// `NULL` or valid for writing a `DWORD`.
///
/// # Win32
///
/// `ReadConsoleA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ReadConsoleA(
    hConsoleInput: HANDLE,
    lpBuffer: LPVOID,
    nNumberOfCharsToRead: DWORD,
    lpNumberOfCharsRead: LPDWORD,
    pInputControl: PCONSOLE_READCONSOLE_CONTROL,
) -> BOOL {
    let _ = pInputControl;
    call(FALSE, || {
        let fd = input_fd(hConsoleInput)?;
        let n = nNumberOfCharsToRead as usize;
        if n == 0 {
            // SAFETY: the caller's guarantee.
            unsafe { report(lpNumberOfCharsRead, 0) };
            return Ok(TRUE);
        }
        if lpBuffer.is_null() {
            return Err(Error(ERROR_NOACCESS));
        }
        // SAFETY: non-NULL, and the caller guarantees `n` writable bytes.
        let buffer = unsafe { core::slice::from_raw_parts_mut(lpBuffer.cast::<u8>(), n) };
        crate::sync_io::wait_ready(fd, false)?;
        let read = sys::read_some(fd, buffer).map_err(errno_error)?;
        // SAFETY: the caller's guarantee.
        unsafe { report(lpNumberOfCharsRead, read) };
        Ok(TRUE)
    })
}

/// Reads at most `nNumberOfCharsToRead` characters from standard input (UTF-8, decoded;
/// invalid bytes as U+FFFD) into `lpBuffer` as `WCHAR`s, and stores the count read (0 at
/// the end of input).
///
/// # Errors
///
/// As [`ReadConsoleA`].
///
/// # Safety
///
/// `lpBuffer` is valid for writing `nNumberOfCharsToRead` `WCHAR`s; `lpNumberOfCharsRead`
/// is `NULL` or valid for writing a `DWORD`.
///
/// # Win32
///
/// `ReadConsoleW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ReadConsoleW(
    hConsoleInput: HANDLE,
    lpBuffer: LPVOID,
    nNumberOfCharsToRead: DWORD,
    lpNumberOfCharsRead: LPDWORD,
    pInputControl: PCONSOLE_READCONSOLE_CONTROL,
) -> BOOL {
    let _ = pInputControl;
    call(FALSE, || {
        let fd = input_fd(hConsoleInput)?;
        let n = nNumberOfCharsToRead as usize;
        if n == 0 {
            // SAFETY: the caller's guarantee.
            unsafe { report(lpNumberOfCharsRead, 0) };
            return Ok(TRUE);
        }
        if lpBuffer.is_null() {
            return Err(Error(ERROR_NOACCESS));
        }
        let mut pending = PENDING.lock().unwrap_or_else(PoisonError::into_inner);
        let mut bytes = core::mem::take(&mut *pending);
        let (mut chars, mut used) = take_chars(&bytes, n, false);
        if chars.is_empty() {
            // Nothing whole is waiting: read (at most `n` bytes, at least one character's
            // worth of progress).
            let have = bytes.len();
            bytes.resize(have + n, 0);
            let ready = crate::sync_io::wait_ready(fd, false);
            let read = match ready
                .and_then(|()| sys::read_some(fd, &mut bytes[have..]).map_err(errno_error))
            {
                Ok(read) => read,
                Err(e) => {
                    bytes.truncate(have);
                    *pending = bytes;
                    return Err(e);
                }
            };
            bytes.truncate(have + read);
            (chars, used) = take_chars(&bytes, n, read == 0);
        }
        // What was not taken — the rest of a long read, a character cut by the end of the
        // read — waits for the next call.
        *pending = bytes.split_off(used);
        drop(pending);
        let units: Vec<WCHAR> = chars.into_iter().map(|c| c as WCHAR).collect();
        // SAFETY: non-NULL, and the caller guarantees `n >= units.len()` writable WCHARs.
        unsafe {
            core::ptr::copy_nonoverlapping(units.as_ptr(), lpBuffer.cast::<WCHAR>(), units.len())
        };
        // SAFETY: the caller's guarantee.
        unsafe { report(lpNumberOfCharsRead, units.len()) };
        Ok(TRUE)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_are_taken_whole_and_a_cut_one_waits() {
        assert_eq!(
            take_chars("h\u{e9}llo".as_bytes(), 2, false),
            (vec!['h', '\u{e9}'], 3)
        );
        assert_eq!(take_chars(b"h\xc3", 4, false), (vec!['h'], 1));
        assert_eq!(take_chars(b"\xc3", 4, false), (vec![], 0));
        assert_eq!(
            take_chars(b"\xc3", 4, true),
            (vec![char::REPLACEMENT_CHARACTER], 1)
        );
        assert_eq!(
            take_chars(b"a\xffb", 4, false),
            (vec!['a', char::REPLACEMENT_CHARACTER, 'b'], 3)
        );
    }
}
