//! The `lstr…` string functions: `lstrlenA/W`, `lstrcpyA/W`, `lstrcpynA/W`, `lstrcatA/W`,
//! `lstrcmpA/W`, `lstrcmpiA/W`.
//!
//! Windows' versions catch a fault on a bad pointer with structured exception handling
//! and return `NULL` (or 0); Linux has no such handler, so here only a `NULL` pointer is
//! caught. The comparisons are not `strcmp`: like Windows' they sort as a dictionary does
//! (a "word sort"), which this module approximates for the characters ported code compares
//! — see [`word_sort`].

use core::cmp::Ordering;

use crate::types::{LPCSTR, LPCWSTR, LPSTR, LPWSTR};

/// The length of the NUL-terminated string at `s`, in elements.
///
/// # Safety
///
/// `s` is a valid NUL-terminated string.
unsafe fn length<T: Copy + Default + PartialEq>(s: *const T) -> usize {
    let mut n = 0;
    // SAFETY: the caller guarantees the string is NUL-terminated; the loop stops at the
    // NUL, so every read is within it.
    while unsafe { s.add(n).read() } != T::default() {
        n += 1;
    }
    n
}

/// The string at `s` (not `NULL`) as a slice, without its NUL.
///
/// # Safety
///
/// `s` is a valid NUL-terminated string that nothing writes while the slice lives.
unsafe fn slice<'a, T: Copy + Default + PartialEq>(s: *const T) -> &'a [T] {
    // SAFETY: the caller's guarantee: `length` elements are readable and stable.
    unsafe { core::slice::from_raw_parts(s, length(s)) }
}

/// Copies at most `max` elements of `src` and a NUL to `dst`; returns `dst`.
///
/// # Safety
///
/// `src` is a valid string; `dst` has room for `min(len(src), max) + 1` elements and may
/// overlap `src` only where `ptr::copy` allows.
unsafe fn copy<T: Copy + Default + PartialEq>(dst: *mut T, src: *const T, max: usize) -> *mut T {
    // SAFETY: the caller guarantees `src` is a string and `dst` has room.
    unsafe {
        let n = length(src).min(max);
        core::ptr::copy(src, dst, n);
        dst.add(n).write(T::default());
    }
    dst
}

/// How a character sorts first: symbols, then digits, then letters, case folded.
fn primary(c: char) -> (u8, char) {
    let folded = c.to_lowercase().next().unwrap_or(c);
    let class = if c.is_alphabetic() {
        2
    } else if c.is_numeric() {
        1
    } else {
        0
    };
    (class, folded)
}

/// Characters a word sort passes over at first: the hyphen and the apostrophe, so that
/// "coop" and "co-op" sort together.
fn ignorable(c: char) -> bool {
    matches!(c, '-' | '\'')
}

/// Compares two strings as Windows' `lstrcmp` does, approximately: first by letters and
/// digits with case folded and hyphens and apostrophes skipped (symbols before digits
/// before letters), then by the hyphens and apostrophes (fewer first), then — unless `ignore_case`
/// — lowercase before uppercase. Windows' exact tables (its linguistic collation) are not
/// reproduced; for ASCII words, numbers and punctuation the order is close to it.
pub(crate) fn word_sort(a: &[char], b: &[char], ignore_case: bool) -> Ordering {
    let key = |s: &[char]| -> Vec<(u8, char)> {
        s.iter()
            .filter(|c| !ignorable(**c))
            .map(|&c| primary(c))
            .collect()
    };
    key(a)
        .cmp(&key(b))
        .then_with(|| {
            // Then the word with fewer hyphens and apostrophes, then by where they are.
            let marks = |s: &[char]| -> Vec<(usize, char)> {
                s.iter()
                    .copied()
                    .enumerate()
                    .filter(|(_, c)| ignorable(*c))
                    .collect()
            };
            let (ma, mb) = (marks(a), marks(b));
            ma.len().cmp(&mb.len()).then_with(|| ma.cmp(&mb))
        })
        .then_with(|| {
            if ignore_case {
                return Ordering::Equal;
            }
            // Lowercase sorts before uppercase at the first difference.
            let rank = |c: &char| u8::from(c.is_uppercase());
            a.iter().map(rank).cmp(b.iter().map(rank))
        })
}

fn as_result(order: Ordering) -> i32 {
    match order {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }
}

/// Compares two optional strings: `NULL` sorts before any string, two `NULL`s are equal.
fn compare_optional(a: Option<Vec<char>>, b: Option<Vec<char>>, ignore_case: bool) -> i32 {
    match (a, b) {
        (None, None) => 0,
        (None, Some(_)) => -1,
        (Some(_), None) => 1,
        (Some(a), Some(b)) => as_result(word_sort(&a, &b, ignore_case)),
    }
}

/// The characters of a narrow string (UTF-8, invalid bytes as U+FFFD), or `None`.
///
/// # Safety
///
/// `s` is `NULL` or a valid NUL-terminated string.
unsafe fn narrow_chars(s: LPCSTR) -> Option<Vec<char>> {
    // SAFETY: the caller's guarantee.
    let bytes: Vec<u8> =
        (!s.is_null()).then(|| unsafe { slice(s) }.iter().map(|&c| c as u8).collect())?;
    Some(String::from_utf8_lossy(&bytes).chars().collect())
}

/// The characters of a wide string (invalid values as U+FFFD), or `None`.
///
/// # Safety
///
/// `s` is `NULL` or a valid NUL-terminated wide string.
unsafe fn wide_chars(s: LPCWSTR) -> Option<Vec<char>> {
    // SAFETY: the caller's guarantee.
    let units = (!s.is_null()).then(|| unsafe { slice(s) })?;
    Some(
        units
            .iter()
            .map(|&u| {
                u32::try_from(u)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect(),
    )
}

fn clamp_length(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Returns the length of `lpString` in `CHAR`s (bytes), not counting the NUL; 0 for
/// `NULL`.
///
/// # Safety
///
/// `lpString` is `NULL` or a valid NUL-terminated string.
///
/// # Win32
///
/// `lstrlenA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lstrlenA(lpString: LPCSTR) -> i32 {
    if lpString.is_null() {
        return 0;
    }
    // SAFETY: non-NULL, and the caller guarantees a NUL-terminated string.
    clamp_length(unsafe { length(lpString) })
}

/// Returns the length of `lpString` in `WCHAR`s, not counting the NUL; 0 for `NULL`.
///
/// # Safety
///
/// `lpString` is `NULL` or a valid NUL-terminated wide string.
///
/// # Win32
///
/// `lstrlenW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lstrlenW(lpString: LPCWSTR) -> i32 {
    if lpString.is_null() {
        return 0;
    }
    // SAFETY: non-NULL, and the caller guarantees a NUL-terminated string.
    clamp_length(unsafe { length(lpString) })
}

/// Copies `lpString2` with its NUL to `lpString1` and returns `lpString1`; `NULL` if
/// either is `NULL`.
///
/// # Safety
///
/// Both are `NULL` or valid; `lpString1` has room for `lpString2` and its NUL.
///
/// # Win32
///
/// `lstrcpyA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lstrcpyA(lpString1: LPSTR, lpString2: LPCSTR) -> LPSTR {
    if lpString1.is_null() || lpString2.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: both non-NULL; the caller guarantees validity and room.
    unsafe { copy(lpString1, lpString2, usize::MAX) }
}

/// The wide form of [`lstrcpyA`].
///
/// # Safety
///
/// As [`lstrcpyA`].
///
/// # Win32
///
/// `lstrcpyW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lstrcpyW(lpString1: LPWSTR, lpString2: LPCWSTR) -> LPWSTR {
    if lpString1.is_null() || lpString2.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: both non-NULL; the caller guarantees validity and room.
    unsafe { copy(lpString1, lpString2, usize::MAX) }
}

/// Copies at most `iMaxLength - 1` characters of `lpString2` to `lpString1`, always
/// followed by a NUL, and returns `lpString1`. With `iMaxLength` 0 or negative nothing is
/// written. `NULL` if either string is `NULL`.
///
/// # Safety
///
/// Both are `NULL` or valid; `lpString1` has room for `iMaxLength` characters.
///
/// # Win32
///
/// `lstrcpynA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lstrcpynA(lpString1: LPSTR, lpString2: LPCSTR, iMaxLength: i32) -> LPSTR {
    if lpString1.is_null() || lpString2.is_null() {
        return std::ptr::null_mut();
    }
    match usize::try_from(iMaxLength) {
        Ok(n) if n > 0 => {
            // SAFETY: both non-NULL; the caller guarantees room for `n` characters.
            unsafe { copy(lpString1, lpString2, n - 1) }
        }
        _ => lpString1,
    }
}

/// The wide form of [`lstrcpynA`].
///
/// # Safety
///
/// As [`lstrcpynA`].
///
/// # Win32
///
/// `lstrcpynW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lstrcpynW(
    lpString1: LPWSTR,
    lpString2: LPCWSTR,
    iMaxLength: i32,
) -> LPWSTR {
    if lpString1.is_null() || lpString2.is_null() {
        return std::ptr::null_mut();
    }
    match usize::try_from(iMaxLength) {
        Ok(n) if n > 0 => {
            // SAFETY: both non-NULL; the caller guarantees room for `n` characters.
            unsafe { copy(lpString1, lpString2, n - 1) }
        }
        _ => lpString1,
    }
}

/// Appends `lpString2` to `lpString1` and returns `lpString1`; `NULL` if either is `NULL`.
///
/// # Safety
///
/// Both are `NULL` or valid; `lpString1` has room for both strings and a NUL.
///
/// # Win32
///
/// `lstrcatA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lstrcatA(lpString1: LPSTR, lpString2: LPCSTR) -> LPSTR {
    if lpString1.is_null() || lpString2.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: both non-NULL and valid; the caller guarantees room after the first string.
    unsafe {
        copy(lpString1.add(length(lpString1)), lpString2, usize::MAX);
    }
    lpString1
}

/// The wide form of [`lstrcatA`].
///
/// # Safety
///
/// As [`lstrcatA`].
///
/// # Win32
///
/// `lstrcatW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lstrcatW(lpString1: LPWSTR, lpString2: LPCWSTR) -> LPWSTR {
    if lpString1.is_null() || lpString2.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: both non-NULL and valid; the caller guarantees room after the first string.
    unsafe {
        copy(lpString1.add(length(lpString1)), lpString2, usize::MAX);
    }
    lpString1
}

/// Compares two strings as a dictionary sorts them (not by code: `"a"` sorts before `"B"`,
/// and lowercase before uppercase of the same letter); returns -1, 0 or 1. `NULL` sorts
/// before every string. The order approximates Windows' word sort: letters and digits
/// with case folded first (symbols before digits before letters, hyphens and apostrophes
/// skipped), then hyphens and apostrophes, then lowercase before uppercase; for ASCII
/// words, numbers and punctuation it is close to Windows' linguistic order.
///
/// # Safety
///
/// Both are `NULL` or valid NUL-terminated strings.
///
/// # Win32
///
/// `lstrcmpA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lstrcmpA(lpString1: LPCSTR, lpString2: LPCSTR) -> i32 {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { compare_optional(narrow_chars(lpString1), narrow_chars(lpString2), false) }
}

/// The wide form of [`lstrcmpA`].
///
/// # Safety
///
/// As [`lstrcmpA`].
///
/// # Win32
///
/// `lstrcmpW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lstrcmpW(lpString1: LPCWSTR, lpString2: LPCWSTR) -> i32 {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { compare_optional(wide_chars(lpString1), wide_chars(lpString2), false) }
}

/// As [`lstrcmpA`], with case ignored.
///
/// # Safety
///
/// As [`lstrcmpA`].
///
/// # Win32
///
/// `lstrcmpiA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lstrcmpiA(lpString1: LPCSTR, lpString2: LPCSTR) -> i32 {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { compare_optional(narrow_chars(lpString1), narrow_chars(lpString2), true) }
}

/// The wide form of [`lstrcmpiA`].
///
/// # Safety
///
/// As [`lstrcmpA`].
///
/// # Win32
///
/// `lstrcmpiW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lstrcmpiW(lpString1: LPCWSTR, lpString2: LPCWSTR) -> i32 {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { compare_optional(wide_chars(lpString1), wide_chars(lpString2), true) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str, ignore_case: bool) -> Ordering {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        word_sort(&a, &b, ignore_case)
    }

    #[test]
    fn a_word_sort_folds_case_first_and_puts_lowercase_first() {
        assert_eq!(cmp("a", "B", false), Ordering::Less);
        assert_eq!(cmp("a", "A", false), Ordering::Less);
        assert_eq!(cmp("ABC", "abc", true), Ordering::Equal);
        assert_eq!(cmp("abc", "abd", false), Ordering::Less);
        assert_eq!(cmp("abc", "ab", false), Ordering::Greater);
    }

    #[test]
    fn hyphens_and_apostrophes_count_last_and_symbols_sort_first() {
        assert_eq!(cmp("coop", "co-op", false), Ordering::Less);
        assert_eq!(cmp("co-op", "cop", false), Ordering::Less);
        assert_eq!(cmp("_x", "1", false), Ordering::Less);
        assert_eq!(cmp("9", "a", false), Ordering::Less);
    }
}
