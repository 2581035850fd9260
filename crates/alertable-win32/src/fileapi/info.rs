//! A file's size and position: `GetFileSize(Ex)`, `SetFilePointer(Ex)`, `SetEndOfFile`,
//! `FlushFileBuffers`.
//!
//! The file position is the descriptor's offset, which synchronous `ReadFile` and
//! `WriteFile` use and move (`file.rs`); an overlapped file has one too, unused by its
//! requests (they carry their offsets), as on Windows.

use std::fs;
use std::io::{self, Seek, SeekFrom};
use std::sync::Arc;

use alertable_io::IoError;

use crate::consts::{
    ERROR_INVALID_PARAMETER, ERROR_NEGATIVE_SEEK, ERROR_NOACCESS, ERROR_SUCCESS, FALSE,
    FILE_APPEND_DATA, FILE_BEGIN, FILE_CURRENT, FILE_END, FILE_WRITE_DATA, INVALID_FILE_SIZE,
    INVALID_SET_FILE_POINTER, TRUE,
};
use crate::error::{Error, Result, set_last_error};
use crate::ffi::call;
use crate::fileapi::file::FileObject;
use crate::handle::{self, Object};
use crate::types::{BOOL, DWORD, HANDLE, LARGE_INTEGER, LONG, LPDWORD, PLARGE_INTEGER, PLONG};

/// The file behind `h`, with none of the rights in `rights` missing (0: none needed).
fn file(h: HANDLE, rights: DWORD) -> Result<Arc<FileObject>> {
    if rights == 0 {
        handle::real_object(h)?.into_file()
    } else {
        handle::with_any_access(h, rights, Object::into_file)
    }
}

fn os_error(e: io::Error) -> Error {
    Error(IoError::from(e).win32_error())
}

/// The size of the file behind `h`.
fn size_of_file(h: HANDLE) -> Result<u64> {
    file(h, 0)?
        .with_descriptor(|f| f.metadata().map(|m| m.len()))
        .map_err(os_error)
}

/// Moves the file position of `h` by `distance` from `method`'s origin; returns the new
/// position. A position before the start fails with `ERROR_NEGATIVE_SEEK` and leaves the
/// position where it was.
fn move_pointer(h: HANDLE, distance: i64, method: DWORD) -> Result<u64> {
    if !matches!(method, FILE_BEGIN | FILE_CURRENT | FILE_END) {
        return Err(Error(ERROR_INVALID_PARAMETER));
    }
    let object = file(h, 0)?;
    object
        .with_descriptor(|mut f: &fs::File| {
            let origin = match method {
                FILE_BEGIN => 0,
                FILE_CURRENT => f.stream_position()?,
                _ => f.metadata()?.len(),
            };
            let target = i64::try_from(origin)
                .ok()
                .and_then(|o| o.checked_add(distance));
            match target.map(u64::try_from) {
                Some(Ok(target)) => f.seek(SeekFrom::Start(target)).map(Ok),
                Some(Err(_)) => Ok(Err(Error(ERROR_NEGATIVE_SEEK))),
                None => Ok(Err(Error(ERROR_INVALID_PARAMETER))),
            }
        })
        .map_err(os_error)?
}

/// Returns the low 32 bits of the size of `hFile`'s file and writes the high 32 bits to
/// `*lpFileSizeHigh` (if not `NULL`). A size whose low half is `0xFFFFFFFF` returns
/// `INVALID_FILE_SIZE` with the last error 0, which is how a caller tells it from a
/// failure.
///
/// # Safety
///
/// `lpFileSizeHigh` is `NULL` or writable.
///
/// # Errors
///
/// `INVALID_FILE_SIZE` (0xFFFFFFFF) with `ERROR_INVALID_HANDLE` (6) if `hFile` is not a
/// file, or the error of the query as Win32 names it.
///
/// # Win32
///
/// `GetFileSize`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetFileSize(hFile: HANDLE, lpFileSizeHigh: LPDWORD) -> DWORD {
    call(INVALID_FILE_SIZE, || {
        let size = size_of_file(hFile)?;
        if !lpFileSizeHigh.is_null() {
            // SAFETY: the caller guarantees a non-NULL `lpFileSizeHigh` is writable.
            unsafe { lpFileSizeHigh.write((size >> 32) as DWORD) };
        }
        let low = size as DWORD;
        if low == INVALID_FILE_SIZE {
            set_last_error(ERROR_SUCCESS);
        }
        Ok(low)
    })
}

/// Writes the size of `hFile`'s file to `*lpFileSize`.
///
/// # Safety
///
/// `lpFileSize` is writable.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) if `hFile` is not a file, or the error of the
/// query as Win32 names it; `ERROR_NOACCESS` (998) if `lpFileSize` is `NULL`.
///
/// # Win32
///
/// `GetFileSizeEx`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetFileSizeEx(hFile: HANDLE, lpFileSize: PLARGE_INTEGER) -> BOOL {
    call(FALSE, || {
        let size = size_of_file(hFile)?;
        if lpFileSize.is_null() {
            return Err(Error(ERROR_NOACCESS));
        }
        // SAFETY: the caller guarantees `lpFileSize` is writable; a file's size is below
        // 2⁶³.
        unsafe {
            lpFileSize.write(LARGE_INTEGER {
                QuadPart: size as i64,
            })
        };
        Ok(TRUE)
    })
}

/// Moves the file position of `hFile` and returns the low 32 bits of the new position.
///
/// The distance is `lDistanceToMove` alone (sign-extended) when `lpDistanceToMoveHigh` is
/// `NULL`, else the 64-bit value whose halves are `*lpDistanceToMoveHigh` and
/// `lDistanceToMove`; then the high half of the new position is written back to
/// `*lpDistanceToMoveHigh`. `dwMoveMethod` is `FILE_BEGIN`, `FILE_CURRENT` or `FILE_END`.
/// A position whose low half is `0xFFFFFFFF` returns `INVALID_SET_FILE_POINTER` with the
/// last error 0, which is how a caller tells it from a failure. A position beyond the end
/// is allowed (a later write extends the file).
///
/// # Safety
///
/// `lpDistanceToMoveHigh` is `NULL` or readable and writable.
///
/// # Errors
///
/// `INVALID_SET_FILE_POINTER` (0xFFFFFFFF) with `ERROR_NEGATIVE_SEEK` (131) for a position
/// before the start (the position does not move), `ERROR_INVALID_PARAMETER` (87) for
/// another `dwMoveMethod`, `ERROR_INVALID_HANDLE` (6) if `hFile` is not a file.
///
/// # Win32
///
/// `SetFilePointer`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetFilePointer(
    hFile: HANDLE,
    lDistanceToMove: LONG,
    lpDistanceToMoveHigh: PLONG,
    dwMoveMethod: DWORD,
) -> DWORD {
    call(INVALID_SET_FILE_POINTER, || {
        let distance = if lpDistanceToMoveHigh.is_null() {
            i64::from(lDistanceToMove)
        } else {
            // SAFETY: the caller guarantees a non-NULL `lpDistanceToMoveHigh` is readable.
            let high = unsafe { lpDistanceToMoveHigh.read() };
            (i64::from(high) << 32) | i64::from(lDistanceToMove as u32)
        };
        let position = move_pointer(hFile, distance, dwMoveMethod)?;
        if !lpDistanceToMoveHigh.is_null() {
            // SAFETY: as above, and writable.
            unsafe { lpDistanceToMoveHigh.write((position >> 32) as LONG) };
        }
        let low = position as DWORD;
        if low == INVALID_SET_FILE_POINTER {
            set_last_error(ERROR_SUCCESS);
        }
        Ok(low)
    })
}

/// Moves the file position of `hFile` by `liDistanceToMove` from `dwMoveMethod`'s origin
/// (`FILE_BEGIN`, `FILE_CURRENT`, `FILE_END`) and writes the new position to
/// `*lpNewFilePointer` (if not `NULL`).
///
/// # Safety
///
/// `lpNewFilePointer` is `NULL` or writable.
///
/// # Errors
///
/// `FALSE` with `ERROR_NEGATIVE_SEEK` (131) for a position before the start (the position
/// does not move), `ERROR_INVALID_PARAMETER` (87) for another `dwMoveMethod`,
/// `ERROR_INVALID_HANDLE` (6) if `hFile` is not a file.
///
/// # Win32
///
/// `SetFilePointerEx`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetFilePointerEx(
    hFile: HANDLE,
    liDistanceToMove: LARGE_INTEGER,
    lpNewFilePointer: PLARGE_INTEGER,
    dwMoveMethod: DWORD,
) -> BOOL {
    call(FALSE, || {
        // SAFETY: every bit pattern of the union is a valid i64.
        let distance = unsafe { liDistanceToMove.QuadPart };
        let position = move_pointer(hFile, distance, dwMoveMethod)?;
        if !lpNewFilePointer.is_null() {
            // SAFETY: the caller guarantees a non-NULL `lpNewFilePointer` is writable; a
            // position reached by an i64 distance is below 2⁶³.
            unsafe {
                lpNewFilePointer.write(LARGE_INTEGER {
                    QuadPart: position as i64,
                });
            }
        }
        Ok(TRUE)
    })
}

/// Makes the file position of `hFile` its end: the file is cut there, or extended with
/// zeros to there.
///
/// # Errors
///
/// `FALSE` with `ERROR_ACCESS_DENIED` (5) if the handle cannot write
/// (`FILE_WRITE_DATA`), `ERROR_INVALID_HANDLE` (6) if it is not a file, or the error of
/// the change as Win32 names it.
///
/// # Win32
///
/// `SetEndOfFile`.
#[unsafe(no_mangle)]
pub extern "C" fn SetEndOfFile(hFile: HANDLE) -> BOOL {
    call(FALSE, || {
        file(hFile, FILE_WRITE_DATA)?
            .with_descriptor(|mut f: &fs::File| {
                let position = f.stream_position()?;
                f.set_len(position)
            })
            .map_err(os_error)?;
        Ok(TRUE)
    })
}

/// Writes what the system holds of `hFile`'s file to the disk (`fsync`) and returns when
/// it is there. On a pipe, waits until the other end has read everything written (or is
/// gone); an end of a byte pipe counts what it received ahead of its reads as read.
///
/// # Errors
///
/// `FALSE` with `ERROR_ACCESS_DENIED` (5) if the handle cannot write, `ERROR_INVALID_HANDLE`
/// (6) if it is not a file (a standard handle included), or the error of the flush as
/// Win32 names it.
///
/// # Win32
///
/// `FlushFileBuffers`.
#[unsafe(no_mangle)]
pub extern "C" fn FlushFileBuffers(hFile: HANDLE) -> BOOL {
    call(FALSE, || {
        let object = file(hFile, FILE_WRITE_DATA | FILE_APPEND_DATA)?;
        if let Some(pipe) = object.pipe() {
            // A pipe is flushed once the reader has everything written.
            pipe.file
                .flush_pipe()
                .map_err(|e| crate::error::Error(e.win32_error()))?;
            return Ok(TRUE);
        }
        object
            .with_descriptor(fs::File::sync_all)
            .map_err(os_error)?;
        Ok(TRUE)
    })
}
