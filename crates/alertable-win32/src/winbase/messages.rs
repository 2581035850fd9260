//! The message text `FormatMessage` gives with `FORMAT_MESSAGE_FROM_SYSTEM`: one sentence
//! for every error code the library can leave (every `ERROR_…` of `consts.rs`, checked by
//! the test below), and for the `HRESULT`s it returns.
//!
//! The sentences are this library's own, written to say what the code means here; they
//! are not Windows' text, which a program should never compare against anyway (it is
//! translated on Windows). Like the messages of a Windows message table, each ends with a
//! line break (`\r\n`), which `FormatMessage` then processes as any line break of a
//! message (see `format.rs`).

use crate::types::DWORD;

/// The message for the error code or `HRESULT` `id`, without its final line break.
pub(crate) fn system_message(id: DWORD) -> Option<&'static str> {
    // An HRESULT made from a Win32 code (FACILITY_WIN32, severity error) has its message.
    let id = if id & 0xFFFF_0000 == 0x8007_0000 {
        id & 0xFFFF
    } else {
        id
    };
    Some(match id {
        0 => "The call succeeded.",
        2 => "No file exists at the path given.",
        3 => "A folder on the path given does not exist.",
        5 => "The call is not allowed on this object, or the object's state forbids it.",
        6 => "The handle is not open, or names an object of another kind.",
        8 => "There is not enough memory to finish the call.",
        14 => "Memory ran out while the call was under way.",
        17 => "The file cannot be moved to another file system without copying it.",
        31 => "A device or thread the call needs is no longer working.",
        32 => "The file is in use in a way that forbids the call.",
        38 => "The read reached the end of the file.",
        50 => "This call or one of its options is not available here.",
        80 => "A file with that name is already present.",
        87 => "One of the arguments is wrong.",
        109 => "The other end of the pipe has been closed.",
        111 => "The name is too long for the buffer.",
        112 => "The disk has no room left.",
        121 => "No instance of the pipe became free in the time allowed.",
        123 => "The name is not a valid pipe name.",
        122 => "The buffer given is too small for the result.",
        126 => "No module of that name is present.",
        127 => "The module exports no function of that name.",
        131 => "The position would be before the start of the file.",
        145 => "The folder is not empty.",
        156 => "The thread cannot be suspended any further.",
        157 => "The memory block was discarded.",
        158 => "The memory block is not locked.",
        183 => "An object with that name is already present.",
        206 => "The object name is longer than 256 bytes.",
        230 => "The pipe's mode does not allow the call.",
        231 => "Every instance of the pipe has a client.",
        232 => "The other end of the pipe is gone, so nothing written can be read.",
        233 => "The pipe instance has no client.",
        234 => "The result is longer than the call can return.",
        258 => "The wait ended because its time ran out.",
        259 => "There are no more items to hand out.",
        267 => "The folder name is not valid.",
        288 => "The calling thread does not own the mutex.",
        298 => "The semaphore would pass its maximum count.",
        317 => "There is no message text for this message number.",
        400 => "The thread is already in background mode.",
        535 => "A client came before the server asked for one; the pipe is connected.",
        536 => "The pipe instance is waiting for its first client.",
        401 => "The thread is not in background mode.",
        735 => "The wait ended on an abandoned mutex.",
        995 => "The I/O request was cancelled, or its thread ended.",
        996 => "The overlapped request has not finished yet.",
        997 => "The overlapped request was started and is still running.",
        998 => "A pointer argument is not usable.",
        1113 => "The text cannot be converted to or from Unicode.",
        1168 => "Nothing matching the request was found.",
        1235 => "There was nothing to do.",
        1314 => "The caller lacks the privilege the access mask asks for.",
        1359 => "The library failed inside the call.",
        1400 => "Windows do not exist here, so the window handle is not valid.",
        1444 => "The thread id does not name a thread with a message queue.",
        1450 => "The system ran short of a resource the call needs.",
        1460 => "The time allowed for the call ran out.",
        1813 => "The module holds no message table.",
        1784 => "The buffer pointer given to the call is not usable.",
        1816 => "A quota the call needs is used up.",
        15100 => "There is no message text in the language asked for.",
        0x8000_4001 => "This method is not implemented.",
        0x8000_4003 => "A pointer is not valid.",
        0x8000_4004 => "The operation was aborted.",
        0x8000_4005 => "The operation failed for an unspecified reason.",
        0x8000_FFFF => "Something unexpected went wrong.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `ERROR_…` code of `consts.rs` has a message: a new code needs one.
    #[test]
    fn every_error_code_of_the_library_has_a_message() {
        let consts = include_str!("../consts.rs");
        let mut missing = Vec::new();
        for line in consts.lines() {
            let Some(rest) = line.strip_prefix("pub const ERROR_") else {
                continue;
            };
            let (name, value) = rest.split_once(": DWORD = ").expect("an error constant");
            let value: DWORD = value.trim_end_matches(';').parse().expect("a decimal code");
            if system_message(value).is_none() {
                missing.push(format!("ERROR_{name} ({value})"));
            }
        }
        assert!(missing.is_empty(), "no message for {missing:?}");
        assert!(system_message(0x8007_0057).is_some(), "HRESULT_FROM_WIN32");
        assert!(system_message(4).is_none());
    }
}
