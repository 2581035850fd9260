//! `FormatMessageA/W`: a message from a string or the system's table, with its inserts
//! (`%1` … `%99`, each with an optional `!printf format!`) filled from an argument array
//! or a C `va_list`, its escapes processed and its lines broken as the flags ask.
//!
//! The message language (what the text means, where its inserts are) is Windows':
//!
//! | sequence | output |
//! |---|---|
//! | `%1` … `%99` | the insert: argument *n* formatted by `!format!` (default `!s!`) |
//! | `%0` | the end of the message, with no line break after it |
//! | `%n` | a hard line break (`\r\n`), kept at every width |
//! | `%r`, `%t` | a carriage return, a tab |
//! | `%%`, `% `, `%.`, `%!` | a `%`, space, period, exclamation mark |
//! | a line break of the text (`\r\n`, `\n`, `\r`) | `\r\n`; a space with a width |
//!
//! With `FORMAT_MESSAGE_IGNORE_INSERTS` the inserts and the `%%`, `% `, `%.`, `%!`
//! escapes are copied unchanged, while `%0`, `%n`, `%r` and `%t` still apply, as Windows
//! does. The printf formats are C's integer, character, string and pointer conversions
//! with flags, width, precision and the size prefixes `h`, `hh`, `l`, `ll`, `w`, `I`,
//! `I32`, `I64`; the floating-point ones are not supported, as on Windows. In `…A`, `s` and
//! `c` read narrow text and `S`, `C`, `ls`, `ws` wide; in `…W` the other way round (`hs`
//! is always narrow). A `NULL` string inserts `(null)`. A `*` width or precision takes
//! the argument numbered after it (`%1!*s!` takes the width from argument 1 and the string
//! from argument 2); Windows' numbering for several `*` inserts in one message differs
//! between its argument arrays and `va_list`s and is not reproduced.

use crate::consts::{
    ERROR_INSUFFICIENT_BUFFER, ERROR_INVALID_PARAMETER, ERROR_MORE_DATA, ERROR_MR_MID_NOT_FOUND,
    ERROR_NO_WORK_DONE, ERROR_NOACCESS, ERROR_NOT_SUPPORTED, ERROR_RESOURCE_LANG_NOT_FOUND,
    ERROR_RESOURCE_TYPE_NOT_FOUND, FORMAT_MESSAGE_ALLOCATE_BUFFER, FORMAT_MESSAGE_ARGUMENT_ARRAY,
    FORMAT_MESSAGE_FROM_HMODULE, FORMAT_MESSAGE_FROM_STRING, FORMAT_MESSAGE_FROM_SYSTEM,
    FORMAT_MESSAGE_IGNORE_INSERTS, FORMAT_MESSAGE_MAX_WIDTH_MASK, LANG_ENGLISH, LANG_NEUTRAL,
};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::types::{CHAR, DWORD, LPCVOID, LPSTR, LPWSTR, WCHAR};
use crate::winbase::memory::local_copy;

use super::messages::system_message;

/// C's `va_list`, as `FormatMessage`'s `Arguments` points to it: opaque here, read
/// according to the platform's C calling convention (x86-64 and AArch64 Linux).
pub type va_list = core::ffi::c_void;

/// The most a message may hold with `FORMAT_MESSAGE_ALLOCATE_BUFFER`, in bytes.
const ALLOCATE_LIMIT: usize = 128_000;
/// The widest field or longest precision an insert may ask for: beyond it the result
/// could not be returned anyway (`ERROR_MORE_DATA`), so it is refused before it is built.
const FIELD_LIMIT: usize = ALLOCATE_LIMIT;

// ---------------------------------------------------------------------------------------
// Arguments.

/// Where inserts come from.
pub(crate) trait Arguments {
    /// Argument `index` (0-based) as a pointer-sized slot.
    ///
    /// # Errors
    ///
    /// `ERROR_INVALID_PARAMETER` if there are no arguments.
    fn get(&mut self, index: usize) -> Result<u64>;
}

/// No arguments (`Arguments` is `NULL`): any insert fails.
pub(crate) struct NoArguments;

impl Arguments for NoArguments {
    fn get(&mut self, _: usize) -> Result<u64> {
        Err(Error(ERROR_INVALID_PARAMETER))
    }
}

/// A slice of values: `FORMAT_MESSAGE_ARGUMENT_ARRAY`, and the unit tests.
pub(crate) struct ArrayArguments(pub(crate) *const usize);

impl Arguments for ArrayArguments {
    fn get(&mut self, index: usize) -> Result<u64> {
        // SAFETY: `FormatMessage`'s caller guarantees the array holds every argument its
        // message refers to (as on Windows, which cannot check it either).
        Ok(unsafe { self.0.add(index).read() } as u64)
    }
}

/// A C `va_list`, read in order; the values read so far are kept, so inserts can refer to
/// them in any order and more than once.
pub(crate) struct VaList {
    list: *mut va_list,
    read: Vec<u64>,
}

impl VaList {
    /// # Safety
    ///
    /// `list` points to a `va_list` started with `va_start` or `va_copy` and not yet ended,
    /// whose remaining arguments are integers or pointers: at least as many as the message
    /// refers to.
    pub(crate) unsafe fn new(list: *mut va_list) -> Self {
        Self {
            list,
            read: Vec::new(),
        }
    }
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod platform {
    /// The System V x86-64 `va_list` element (`va_list` is an array of one).
    #[repr(C)]
    struct Tag {
        gp_offset: u32,
        fp_offset: u32,
        overflow_arg_area: *mut u64,
        reg_save_area: *mut u8,
    }

    /// The next integer-class argument.
    ///
    /// # Safety
    ///
    /// As [`super::VaList::new`].
    pub(super) unsafe fn next(list: *mut super::va_list) -> Option<u64> {
        let tag = list.cast::<Tag>();
        // SAFETY: the caller guarantees a live va_list with an integer argument left:
        // the first six come from the register save area (48 bytes), the rest from the
        // overflow area, each in an 8-byte slot, as the System V ABI lays them out.
        unsafe {
            let tag = &mut *tag;
            if tag.gp_offset < 48 {
                let value = tag
                    .reg_save_area
                    .add(tag.gp_offset as usize)
                    .cast::<u64>()
                    .read_unaligned();
                tag.gp_offset += 8;
                Some(value)
            } else {
                let value = tag.overflow_arg_area.read_unaligned();
                tag.overflow_arg_area = tag.overflow_arg_area.add(1);
                Some(value)
            }
        }
    }
}

#[cfg(all(target_arch = "aarch64", target_os = "linux"))]
mod platform {
    /// The AAPCS64 `va_list`.
    #[repr(C)]
    struct List {
        stack: *mut u64,
        gr_top: *mut u8,
        vr_top: *mut u8,
        gr_offs: i32,
        vr_offs: i32,
    }

    /// The next integer-class argument.
    ///
    /// # Safety
    ///
    /// As [`super::VaList::new`].
    pub(super) unsafe fn next(list: *mut super::va_list) -> Option<u64> {
        // SAFETY: the caller guarantees a live va_list with an integer argument left:
        // while `gr_offs` is negative the next one is in the general register save area
        // below `gr_top`, otherwise on the stack, in 8-byte slots, as AAPCS64 lays them
        // out.
        unsafe {
            let list = &mut *list.cast::<List>();
            if list.gr_offs < 0 {
                let offset = list.gr_offs;
                list.gr_offs += 8;
                if list.gr_offs <= 0 {
                    return Some(
                        list.gr_top
                            .offset(offset as isize)
                            .cast::<u64>()
                            .read_unaligned(),
                    );
                }
            }
            let value = list.stack.read_unaligned();
            list.stack = list.stack.add(1);
            Some(value)
        }
    }
}

#[cfg(not(any(
    all(target_arch = "x86_64", target_os = "linux"),
    all(target_arch = "aarch64", target_os = "linux")
)))]
mod platform {
    /// `va_list` is not read on this platform: use `FORMAT_MESSAGE_ARGUMENT_ARRAY`.
    ///
    /// # Safety
    ///
    /// None needed.
    pub(super) unsafe fn next(_: *mut super::va_list) -> Option<u64> {
        None
    }
}

impl Arguments for VaList {
    fn get(&mut self, index: usize) -> Result<u64> {
        while self.read.len() <= index {
            // SAFETY: `VaList::new`'s caller guarantees the arguments the message uses.
            let value = unsafe { platform::next(self.list) }.ok_or(Error(ERROR_NOT_SUPPORTED))?;
            self.read.push(value);
        }
        Ok(self.read[index])
    }
}

// ---------------------------------------------------------------------------------------
// Inserts.

/// Which flavour of the function runs: what `s` and `c` mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavour {
    /// `FormatMessageA`: `s` is narrow.
    Narrow,
    /// `FormatMessageW`: `s` is wide.
    Wide,
}

/// A parsed `!printf format!`.
#[derive(Debug, Default)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    alternate: bool,
    zero: bool,
    width: Option<Count>,
    precision: Option<Count>,
    /// Bits of an integer argument: 8, 16, 32 or 64.
    bits: u32,
    /// `Some(true)` for wide text, `Some(false)` for narrow, `None`: the flavour's.
    wide: Option<bool>,
    conversion: char,
}

#[derive(Debug, Clone, Copy)]
enum Count {
    Fixed(usize),
    Star,
}

fn parse_spec(spec: &str) -> Result<Spec> {
    let invalid = || Error(ERROR_INVALID_PARAMETER);
    let mut s = Spec {
        bits: 32,
        ..Spec::default()
    };
    let mut chars = spec.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            '-' => s.left = true,
            '+' => s.plus = true,
            ' ' => s.space = true,
            '#' => s.alternate = true,
            '0' => s.zero = true,
            _ => break,
        }
        chars.next();
    }
    let count = |chars: &mut core::iter::Peekable<core::str::Chars<'_>>| -> Option<Count> {
        if chars.peek() == Some(&'*') {
            chars.next();
            return Some(Count::Star);
        }
        let mut n: Option<usize> = None;
        while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
            n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize));
            chars.next();
        }
        n.map(Count::Fixed)
    };
    s.width = count(&mut chars);
    if chars.peek() == Some(&'.') {
        chars.next();
        s.precision = Some(count(&mut chars).unwrap_or(Count::Fixed(0)));
    }
    let rest: String = chars.collect();
    let (size, conversion) = rest.split_at(rest.len().checked_sub(1).ok_or_else(invalid)?);
    match size {
        "" => {}
        "hh" => s.bits = 8,
        "h" => {
            s.bits = 16;
            s.wide = Some(false);
        }
        "l" | "w" => {
            s.wide = Some(true);
        }
        "ll" | "I64" | "I" | "z" | "j" | "t" => s.bits = 64,
        "I32" => s.bits = 32,
        _ => return Err(invalid()),
    }
    s.conversion = conversion.chars().next().ok_or_else(invalid)?;
    Ok(s)
}

/// Reads a C string argument (`NULL`: `(null)`).
///
/// # Safety
///
/// `p` is `NULL` or a valid NUL-terminated string of the kind `wide` says.
unsafe fn string_argument(p: u64, wide: bool) -> Result<String> {
    if p == 0 {
        return Ok("(null)".to_owned());
    }
    let p = usize::try_from(p).map_err(|_| Error(ERROR_INVALID_PARAMETER))?;
    if wide {
        let p = std::ptr::with_exposed_provenance::<WCHAR>(p);
        // SAFETY: the caller guarantees a valid wide string.
        Ok(unsafe { crate::strings::wide_string(p) }
            .unwrap_or(None)
            .unwrap_or_default())
    } else {
        let p = std::ptr::with_exposed_provenance::<CHAR>(p);
        // SAFETY: the caller guarantees a valid narrow string.
        let bytes = unsafe { crate::strings::narrow_bytes(p) }.unwrap_or_default();
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

fn pad(body: String, width: usize, left: bool) -> String {
    let len = body.chars().count();
    if len >= width {
        body
    } else if left {
        body + &" ".repeat(width - len)
    } else {
        " ".repeat(width - len) + &body
    }
}

/// Formats one insert: argument `number` (1-based) by `spec`.
///
/// # Safety
///
/// String and pointer arguments the spec reads are valid, as `FormatMessage` requires.
unsafe fn insert(
    number: usize,
    spec: &str,
    flavour: Flavour,
    args: &mut dyn Arguments,
) -> Result<String> {
    let s = parse_spec(spec)?;
    let mut index = number - 1;
    let mut take = |args: &mut dyn Arguments| -> Result<u64> {
        let v = args.get(index)?;
        index += 1;
        Ok(v)
    };
    let mut left = s.left;
    let width = match s.width {
        Some(Count::Star) => {
            let w = take(args)? as i32;
            left |= w < 0;
            Some(w.unsigned_abs() as usize)
        }
        Some(Count::Fixed(w)) => Some(w),
        None => None,
    };
    let precision = match s.precision {
        Some(Count::Star) => usize::try_from(take(args)? as i32).ok(),
        Some(Count::Fixed(p)) => Some(p),
        None => None,
    };
    let value = take(args)?;
    let width = width.unwrap_or(0);
    if width > FIELD_LIMIT || precision.is_some_and(|p| p > FIELD_LIMIT) {
        return Err(Error(ERROR_MORE_DATA));
    }
    let native_wide = flavour == Flavour::Wide;
    let body = match s.conversion {
        's' | 'S' => {
            let wide = s.wide.unwrap_or((s.conversion == 's') == native_wide);
            // SAFETY: the caller guarantees string arguments are valid.
            let text = unsafe { string_argument(value, wide) }?;
            match precision {
                Some(p) => text.chars().take(p).collect(),
                None => text,
            }
        }
        'c' | 'C' => {
            let wide = s.wide.unwrap_or((s.conversion == 'c') == native_wide);
            let code = if wide {
                value as u32
            } else {
                u32::from(value as u8)
            };
            char::from_u32(code)
                .unwrap_or(char::REPLACEMENT_CHARACTER)
                .to_string()
        }
        'p' => format!("{value:016X}"),
        'd' | 'i' | 'u' | 'x' | 'X' | 'o' => {
            return Ok(integer(&s, value, width, left, precision));
        }
        _ => return Err(Error(ERROR_INVALID_PARAMETER)),
    };
    Ok(pad(body, width, left))
}

/// printf's integer conversions.
fn integer(s: &Spec, value: u64, width: usize, left: bool, precision: Option<usize>) -> String {
    let signed = matches!(s.conversion, 'd' | 'i');
    let (negative, magnitude) = if signed {
        let v = match s.bits {
            8 => i64::from(value as i8),
            16 => i64::from(value as i16),
            32 => i64::from(value as i32),
            _ => value as i64,
        };
        (v < 0, v.unsigned_abs())
    } else {
        let mask = if s.bits == 64 {
            u64::MAX
        } else {
            (1u64 << s.bits) - 1
        };
        (false, value & mask)
    };
    let mut digits = match s.conversion {
        'x' => format!("{magnitude:x}"),
        'X' => format!("{magnitude:X}"),
        'o' => format!("{magnitude:o}"),
        _ => magnitude.to_string(),
    };
    if let Some(p) = precision {
        if p == 0 && magnitude == 0 {
            digits.clear();
        } else if digits.len() < p {
            digits = "0".repeat(p - digits.len()) + &digits;
        }
    }
    let mut prefix = String::new();
    if negative {
        prefix.push('-');
    } else if signed && s.plus {
        prefix.push('+');
    } else if signed && s.space {
        prefix.push(' ');
    }
    if s.alternate && magnitude != 0 {
        match s.conversion {
            'x' => prefix.push_str("0x"),
            'X' => prefix.push_str("0X"),
            'o' if !digits.starts_with('0') => prefix.push('0'),
            _ => {}
        }
    }
    let len = prefix.len() + digits.len();
    if s.zero && !left && precision.is_none() && len < width {
        prefix + &"0".repeat(width - len) + &digits
    } else {
        pad(prefix + &digits, width, left)
    }
}

// ---------------------------------------------------------------------------------------
// The message language.

/// How line breaks come out: the low byte of the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lines {
    /// 0: the text's line breaks are kept (as `\r\n`).
    Keep,
    /// `FORMAT_MESSAGE_MAX_WIDTH_MASK`: they become spaces; no new ones are made.
    Join,
    /// 1 to 254: they become spaces, and lines are broken to at most this width.
    Wrap(usize),
}

/// Formats `message` per the table in the module documentation.
///
/// # Errors
///
/// `ERROR_INVALID_PARAMETER` (87) for a `%` at the end of the message, a bad printf
/// format or an insert without arguments.
///
/// # Safety
///
/// The arguments the inserts read are valid for their formats.
pub(crate) unsafe fn format(
    message: &str,
    flags: DWORD,
    flavour: Flavour,
    args: &mut dyn Arguments,
) -> Result<String> {
    let ignore_inserts = flags & FORMAT_MESSAGE_IGNORE_INSERTS != 0;
    let lines = match (flags & FORMAT_MESSAGE_MAX_WIDTH_MASK) as usize {
        0 => Lines::Keep,
        0xFF => Lines::Join,
        n => Lines::Wrap(n),
    };
    let line_break = if lines == Lines::Keep { "\r\n" } else { " " };
    // Pieces: text that may be wrapped, and hard breaks (`%n`) that end a line.
    let mut out = String::new();
    let mut hard_breaks = Vec::new();
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str(line_break);
            }
            '\n' => out.push_str(line_break),
            '%' => {
                let Some(e) = chars.next() else {
                    return Err(Error(ERROR_INVALID_PARAMETER));
                };
                match e {
                    '0' => break,
                    'n' => {
                        out.push_str("\r\n");
                        hard_breaks.push(out.len());
                    }
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    '1'..='9' => {
                        let mut number = e.to_digit(10).expect("a digit") as usize;
                        let mut raw = format!("%{e}");
                        if let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                            number = number * 10 + d as usize;
                            raw.push(chars.next().expect("peeked"));
                        }
                        let mut spec = None;
                        if chars.peek() == Some(&'!') {
                            chars.next();
                            let mut s = String::new();
                            loop {
                                match chars.next() {
                                    Some('!') => break,
                                    Some(c) => s.push(c),
                                    None => return Err(Error(ERROR_INVALID_PARAMETER)),
                                }
                            }
                            raw.push('!');
                            raw.push_str(&s);
                            raw.push('!');
                            spec = Some(s);
                        }
                        if ignore_inserts {
                            out.push_str(&raw);
                        } else {
                            let spec = spec.as_deref().unwrap_or("s");
                            // SAFETY: the caller's guarantee on the arguments.
                            out.push_str(&unsafe { insert(number, spec, flavour, args) }?);
                        }
                    }
                    other if ignore_inserts => {
                        out.push('%');
                        out.push(other);
                    }
                    other => out.push(other),
                }
            }
            c => out.push(c),
        }
    }
    Ok(match lines {
        Lines::Wrap(width) => wrap(&out, width, &hard_breaks),
        _ => out,
    })
}

/// Breaks `text` into lines of fewer than `width` characters at spaces (a word longer
/// than a line is cut at `width`), keeping the hard breaks that end at `hard` offsets.
/// Windows' exact rules for runs of spaces at a break are not documented; here the spaces
/// at a break are dropped.
fn wrap(text: &str, width: usize, hard: &[usize]) -> String {
    let mut out = String::new();
    let mut start = 0;
    let mut segments = Vec::new();
    for &end in hard {
        segments.push((&text[start..end - 2], true));
        start = end;
    }
    segments.push((&text[start..], false));
    for (segment, hard_break) in segments {
        let mut line = String::new();
        for word in segment.split(' ') {
            let mut word = word.to_owned();
            if word.is_empty() {
                if !line.is_empty() {
                    line.push(' ');
                }
                continue;
            }
            let needed = if line.is_empty() { 0 } else { 1 } + word.chars().count();
            if !line.is_empty() && line.chars().count() + needed >= width {
                out.push_str(line.trim_end_matches(' '));
                out.push_str("\r\n");
                line.clear();
            }
            while word.chars().count() > width {
                let cut: String = word.chars().take(width).collect();
                out.push_str(&cut);
                out.push_str("\r\n");
                word = word.chars().skip(width).collect();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        out.push_str(&line);
        if hard_break {
            out.push_str("\r\n");
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// FormatMessageA/W.

/// The message text the flags select, as a `String`.
///
/// # Safety
///
/// With `FORMAT_MESSAGE_FROM_STRING`, `source` is a valid NUL-terminated string of the
/// flavour's kind.
unsafe fn source_text(
    flags: DWORD,
    source: LPCVOID,
    id: DWORD,
    language: DWORD,
    flavour: Flavour,
) -> Result<String> {
    let from_string = flags & FORMAT_MESSAGE_FROM_STRING != 0;
    let from_system = flags & FORMAT_MESSAGE_FROM_SYSTEM != 0;
    let from_module = flags & FORMAT_MESSAGE_FROM_HMODULE != 0;
    if from_string {
        if from_system || from_module || source.is_null() {
            return Err(Error(ERROR_INVALID_PARAMETER));
        }
        // SAFETY: the caller guarantees the string.
        return unsafe { string_argument(source.addr() as u64, flavour == Flavour::Wide) };
    }
    if from_module && !(source.is_null() && from_system) {
        // No module here has a message table.
        return Err(Error(ERROR_RESOURCE_TYPE_NOT_FOUND));
    }
    if !from_system {
        return Err(Error(ERROR_INVALID_PARAMETER));
    }
    let primary = (language & 0x3FF) as u16;
    if language != 0 && primary != LANG_NEUTRAL && primary != LANG_ENGLISH {
        return Err(Error(ERROR_RESOURCE_LANG_NOT_FOUND));
    }
    let text = system_message(id).ok_or(Error(ERROR_MR_MID_NOT_FOUND))?;
    Ok(format!("{text}\r\n"))
}

/// The shared body of `FormatMessageA` and `FormatMessageW`, given how to store the
/// result's characters.
///
/// # Safety
///
/// As `FormatMessageA`.
#[allow(clippy::too_many_arguments)] // FormatMessage's seven, and how to store the result
unsafe fn format_message<T: Copy + Default>(
    flags: DWORD,
    source: LPCVOID,
    id: DWORD,
    language: DWORD,
    buffer: *mut T,
    size: DWORD,
    arguments: *mut va_list,
    flavour: Flavour,
    encode: fn(&str) -> Vec<T>,
) -> Result<DWORD> {
    // SAFETY: the caller's guarantee on `source`.
    let message = unsafe { source_text(flags, source, id, language, flavour) }?;
    let ignore = flags & FORMAT_MESSAGE_IGNORE_INSERTS != 0;
    let text = if ignore || arguments.is_null() {
        // SAFETY: no argument is read.
        unsafe { format(&message, flags, flavour, &mut NoArguments) }
    } else if flags & FORMAT_MESSAGE_ARGUMENT_ARRAY != 0 {
        let mut args = ArrayArguments(arguments.cast::<usize>().cast_const());
        // SAFETY: the caller's guarantee on the arguments.
        unsafe { format(&message, flags, flavour, &mut args) }
    } else {
        // SAFETY: the caller's guarantee: `arguments` points to a live va_list.
        let mut args = unsafe { VaList::new(arguments) };
        // SAFETY: the caller's guarantee on the arguments.
        unsafe { format(&message, flags, flavour, &mut args) }
    }?;
    let units = encode(&text);
    if units.is_empty() {
        return Err(Error(ERROR_NO_WORK_DONE));
    }
    let count = DWORD::try_from(units.len()).map_err(|_| Error(ERROR_MORE_DATA))?;
    if flags & FORMAT_MESSAGE_ALLOCATE_BUFFER != 0 {
        if units.len() * size_of::<T>() > ALLOCATE_LIMIT {
            return Err(Error(ERROR_MORE_DATA));
        }
        let target = buffer.cast::<*mut T>();
        if target.is_null() {
            return Err(Error(ERROR_NOACCESS));
        }
        let block = local_copy(&units, size as usize)?;
        // SAFETY: with ALLOCATE_BUFFER, `lpBuffer` is where the caller wants the pointer
        // (an `LPTSTR *` cast to `LPTSTR`), non-NULL as checked.
        unsafe { target.write_unaligned(block) };
        return Ok(count);
    }
    if units.len() >= size as usize {
        return Err(Error(ERROR_INSUFFICIENT_BUFFER));
    }
    // SAFETY: the caller guarantees `buffer` holds `size` elements; the text and its NUL
    // fit (checked), and `copy_out` checks for NULL.
    if unsafe { crate::strings::copy_out(&units, buffer, size as usize) } {
        Ok(count)
    } else {
        Err(Error(ERROR_NOACCESS))
    }
}

/// Formats a message: from the string `lpSource` (`FORMAT_MESSAGE_FROM_STRING`) or the
/// system's text for error code `dwMessageId` (`FORMAT_MESSAGE_FROM_SYSTEM`, in English or
/// neutral `dwLanguageId`), with its inserts filled from `Arguments` — a `va_list *`, or
/// an array of `DWORD_PTR` with `FORMAT_MESSAGE_ARGUMENT_ARRAY` — per the message language
/// of the module documentation. Writes the result and a NUL into `lpBuffer` of `nSize`
/// `CHAR`s, or with `FORMAT_MESSAGE_ALLOCATE_BUFFER` into a new buffer of at least `nSize`
/// `CHAR`s whose address it stores at `lpBuffer` (an `LPSTR *` cast to `LPSTR`; free it
/// with `LocalFree`). Returns the number of `CHAR`s stored, not counting the NUL. Narrow
/// text is UTF-8.
///
/// The system's messages are this library's own sentences, not Windows' (see
/// `messages.rs`); they end with `\r\n` as Windows' do. Modules have no message tables.
///
/// # Errors
///
/// 0, with:
///
/// - `ERROR_MR_MID_NOT_FOUND` (317): no system message for `dwMessageId`;
/// - `ERROR_RESOURCE_LANG_NOT_FOUND` (15100): a language other than English or neutral;
/// - `ERROR_RESOURCE_TYPE_NOT_FOUND` (1813): `FORMAT_MESSAGE_FROM_HMODULE` with a module;
/// - `ERROR_INSUFFICIENT_BUFFER` (122): the result and its NUL do not fit in `nSize`;
/// - `ERROR_MORE_DATA` (234): an allocated result longer than 128 000 bytes, or an
///   insert's width or precision beyond that;
/// - `ERROR_INVALID_PARAMETER` (87): no source flag, `FROM_STRING` with another source or
///   a `NULL` string, a `%` at the end, a bad printf format, an insert and no arguments;
/// - `ERROR_NO_WORK_DONE` (1235): the result is empty;
/// - `ERROR_NOACCESS` (998): `lpBuffer` is `NULL`;
/// - `ERROR_NOT_SUPPORTED` (50): a `va_list` on a platform whose `va_list` this library
///   cannot read (other than x86-64 and AArch64 Linux; use an argument array);
/// - `ERROR_OUTOFMEMORY` (14).
///
/// # Safety
///
/// `lpSource` is a valid string with `FROM_STRING`; `lpBuffer` is valid for `nSize`
/// `CHAR`s, or for writing a pointer with `ALLOCATE_BUFFER`; `Arguments` is `NULL`, an
/// array holding every argument the message uses, or points to a live `va_list` (a local
/// one: a `va_list` parameter of the caller decays to a pointer on x86-64) whose remaining
/// arguments match the inserts.
///
/// # Win32
///
/// `FormatMessageA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn FormatMessageA(
    dwFlags: DWORD,
    lpSource: LPCVOID,
    dwMessageId: DWORD,
    dwLanguageId: DWORD,
    lpBuffer: LPSTR,
    nSize: DWORD,
    Arguments: *mut va_list,
) -> DWORD {
    call(0, || {
        // SAFETY: the caller's guarantees, passed on.
        unsafe {
            format_message(
                dwFlags,
                lpSource,
                dwMessageId,
                dwLanguageId,
                lpBuffer,
                nSize,
                Arguments,
                Flavour::Narrow,
                |s| crate::strings::to_narrow(s.as_bytes()),
            )
        }
    })
}

/// The wide form of [`FormatMessageA`]: `lpSource`, the result and `nSize` are in
/// `WCHAR`s, and `s` inserts read wide strings.
///
/// # Errors
///
/// As [`FormatMessageA`]; an empty result also stores an empty string when `lpBuffer` has
/// room for it, as Windows does.
///
/// # Safety
///
/// As [`FormatMessageA`], in `WCHAR`s.
///
/// # Win32
///
/// `FormatMessageW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn FormatMessageW(
    dwFlags: DWORD,
    lpSource: LPCVOID,
    dwMessageId: DWORD,
    dwLanguageId: DWORD,
    lpBuffer: LPWSTR,
    nSize: DWORD,
    Arguments: *mut va_list,
) -> DWORD {
    call(0, || {
        // SAFETY: the caller's guarantees, passed on.
        let result = unsafe {
            format_message(
                dwFlags,
                lpSource,
                dwMessageId,
                dwLanguageId,
                lpBuffer,
                nSize,
                Arguments,
                Flavour::Wide,
                crate::strings::to_wide,
            )
        };
        if result == Err(Error(ERROR_NO_WORK_DONE))
            && dwFlags & FORMAT_MESSAGE_ALLOCATE_BUFFER == 0
            && nSize > 0
            && !lpBuffer.is_null()
        {
            // SAFETY: the caller guarantees `nSize >= 1` writable elements.
            unsafe { lpBuffer.write(0) };
        }
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(message: &str, flags: DWORD, args: &[usize]) -> Result<String> {
        let mut a = ArrayArguments(args.as_ptr());
        // SAFETY: the tests' arguments are integers and valid C strings.
        unsafe { format(message, flags, Flavour::Narrow, &mut a) }
    }

    #[test]
    fn inserts_take_their_arguments_by_number_with_printf_formats() {
        assert_eq!(
            run(
                "%2 %1",
                0,
                &[c"a".as_ptr() as usize, c"b".as_ptr() as usize]
            )
            .unwrap(),
            "b a"
        );
        assert_eq!(run("%1!d!%2!d!%3!d!", 0, &[1, 2, 3]).unwrap(), "123");
        assert_eq!(
            run("%1!4d!|%1!-4d!|%2!4X!|%2!#x!", 0, &[1, 0x1ab]).unwrap(),
            "   1|1   | 1AB|0x1ab"
        );
        assert_eq!(run("%1!4.2u!", 0, &[3]).unwrap(), "  03");
        assert_eq!(run("%1!d!", 0, &[usize::MAX]).unwrap(), "-1");
        assert_eq!(run("%1!u!", 0, &[usize::MAX]).unwrap(), "4294967295");
        assert_eq!(
            run("%1!I64u!", 0, &[usize::MAX]).unwrap(),
            "18446744073709551615"
        );
        assert_eq!(run("%1!05d!|%1!+d!", 0, &[42]).unwrap(), "00042|+42");
        assert_eq!(
            run("%1!*s!", 0, &[4, c"t".as_ptr() as usize]).unwrap(),
            "   t"
        );
        assert_eq!(
            run("%1!.2s!", 0, &[c"text".as_ptr() as usize]).unwrap(),
            "te"
        );
        assert_eq!(
            run("%1!c!%2!c!", 0, &[usize::from(b'o'), usize::from(b'k')]).unwrap(),
            "ok"
        );
        assert_eq!(run("%1", 0, &[0]).unwrap(), "(null)");
        assert_eq!(
            run(
                "%10",
                0,
                &[1, 2, 3, 4, 5, 6, 7, 8, 9, c"ten".as_ptr() as usize]
            )
            .unwrap(),
            "ten"
        );
        assert_eq!(run("%1!f!", 0, &[1]), Err(Error(ERROR_INVALID_PARAMETER)));
    }

    #[test]
    fn escapes_and_line_breaks() {
        assert_eq!(run(" %%%% ", 0, &[]).unwrap(), " %% ");
        assert_eq!(run(" %.%.  %!% x", 0, &[]).unwrap(), " ..  ! x");
        assert_eq!(run("test%0test", 0, &[]).unwrap(), "test");
        assert_eq!(run("%n%r%t", 0, &[]).unwrap(), "\r\n\r\t");
        assert_eq!(run("a\nb\r\nc\rd", 0, &[]).unwrap(), "a\r\nb\r\nc\r\nd");
        assert_eq!(run("hi\r\n", 0xFF, &[]).unwrap(), "hi ");
        assert_eq!(run("\r\r\n", 0xFF, &[]).unwrap(), "  ");
        assert_eq!(run("a%nb", 0xFF, &[]).unwrap(), "a\r\nb");
        assert_eq!(run("test%", 0, &[]), Err(Error(ERROR_INVALID_PARAMETER)));
        assert_eq!(run("%1!d", 0, &[1]), Err(Error(ERROR_INVALID_PARAMETER)));
    }

    #[test]
    fn ignored_inserts_pass_through_but_breaks_apply() {
        let ignore = FORMAT_MESSAGE_IGNORE_INSERTS;
        assert_eq!(
            run("test%1%2!*.*s!%99", ignore, &[]).unwrap(),
            "test%1%2!*.*s!%99"
        );
        assert_eq!(run("%%% %.%!", ignore, &[]).unwrap(), "%%% %.%!");
        assert_eq!(run("%n%r%t", ignore, &[]).unwrap(), "\r\n\r\t");
        assert_eq!(run("a%0b", ignore, &[]).unwrap(), "a");
        let mut none = NoArguments;
        // SAFETY: no argument is read.
        let r = unsafe { format("%1", 0, Flavour::Narrow, &mut none) };
        assert_eq!(
            r,
            Err(Error(ERROR_INVALID_PARAMETER)),
            "an insert needs arguments"
        );
    }

    #[test]
    fn a_width_breaks_lines_at_spaces() {
        assert_eq!(run("short long line", 20, &[]).unwrap(), "short long line");
        assert_eq!(
            run("short long line", 11, &[]).unwrap(),
            "short long\r\nline"
        );
        assert_eq!(
            run("short long line", 10, &[]).unwrap(),
            "short\r\nlong line"
        );
        assert_eq!(run("a%nb c", 3, &[]).unwrap(), "a\r\nb\r\nc");
    }
}
