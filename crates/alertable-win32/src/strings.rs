//! Narrow (`…A`) and wide (`…W`) strings.
//!
//! Narrow strings are bytes, UTF-8 where text is meant (the Linux equivalent of Windows'
//! "ANSI" code page set to UTF-8). Wide strings are `wchar_t`, UTF-32 on Linux.

use std::ffi::CStr;

use crate::consts::ERROR_NO_UNICODE_TRANSLATION;
use crate::error::{Error, Result};
use crate::types::{CHAR, LPCSTR, LPCWSTR, WCHAR};

/// The bytes of a NUL-terminated narrow string, or `None` for `NULL`.
///
/// # Safety
///
/// `s` is `NULL` or a valid NUL-terminated string.
pub(crate) unsafe fn narrow_bytes(s: LPCSTR) -> Option<Vec<u8>> {
    if s.is_null() {
        return None;
    }
    // SAFETY: non-NULL, and the caller guarantees NUL termination and validity.
    Some(unsafe { CStr::from_ptr(s) }.to_bytes().to_vec())
}

/// The characters of a NUL-terminated wide string, or `None` for `NULL`.
///
/// # Safety
///
/// `s` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// `ERROR_NO_UNICODE_TRANSLATION` (1113) for a value that is not a Unicode scalar value.
pub(crate) unsafe fn wide_string(s: LPCWSTR) -> Result<Option<String>> {
    if s.is_null() {
        return Ok(None);
    }
    let mut out = String::new();
    let mut p = s;
    loop {
        // SAFETY: `p` is within the string: the caller guarantees it is NUL-terminated, and
        // the loop stops at the NUL.
        let c = unsafe { p.read() };
        if c == 0 {
            return Ok(Some(out));
        }
        let c = u32::try_from(c)
            .ok()
            .and_then(char::from_u32)
            .ok_or(Error(ERROR_NO_UNICODE_TRANSLATION))?;
        out.push(c);
        // SAFETY: `p` was not the NUL, so the next element is still within the string.
        p = unsafe { p.add(1) };
    }
}

/// The name key of a wide string: its UTF-8 bytes.
///
/// # Safety
///
/// As [`wide_string`].
///
/// # Errors
///
/// As [`wide_string`].
pub(crate) unsafe fn wide_bytes(s: LPCWSTR) -> Result<Option<Vec<u8>>> {
    // SAFETY: the caller's guarantee, passed on.
    Ok(unsafe { wide_string(s) }?.map(String::into_bytes))
}

/// `s` as wide characters.
pub(crate) fn to_wide(s: &str) -> Vec<WCHAR> {
    s.chars().map(|c| c as WCHAR).collect()
}

/// `s` as narrow characters.
pub(crate) fn to_narrow(s: &[u8]) -> Vec<CHAR> {
    s.iter().map(|&b| b as CHAR).collect()
}

/// Copies `s` and a NUL into `buffer` of `capacity` elements if it fits; returns `true` if
/// it did.
///
/// # Safety
///
/// `buffer` is `NULL` or valid for writing `capacity` elements.
pub(crate) unsafe fn copy_out<T: Copy + Default>(s: &[T], buffer: *mut T, capacity: usize) -> bool {
    if buffer.is_null() || s.len() >= capacity {
        return false;
    }
    // SAFETY: `s.len() + 1 <= capacity` elements are writable per the caller; `s` is our own
    // memory, so the two do not overlap.
    unsafe {
        core::ptr::copy_nonoverlapping(s.as_ptr(), buffer, s.len());
        buffer.add(s.len()).write(T::default());
    }
    true
}
