//! `handleapi.h`: closing and duplicating handles (the table itself is `handle.rs`).

use crate::consts::{
    DUPLICATE_CLOSE_SOURCE, DUPLICATE_SAME_ACCESS, ERROR_INVALID_HANDLE, FALSE, PROCESS_DUP_HANDLE,
    TRUE,
};
use crate::error::Error;
use crate::ffi::call;
use crate::handle::{Object, grant, insert, lookup, remove, with_access};
use crate::types::{BOOL, DWORD, HANDLE, LPHANDLE};

/// Closes a handle. The object lives on while other handles (or waiting threads) hold it;
/// closing does not wake anyone waiting on it (D54). Closing the last handle of a
/// completion port closes the port (L131), and closing the last handle of a file cancels
/// the requests still in flight on it; closing one of several handles does neither (K118).
///
/// # Errors
///
/// `ERROR_INVALID_HANDLE` (6) for a handle that is not open, including `NULL` and the
/// pseudo-handles (closing those has no effect).
///
/// # Win32
///
/// `CloseHandle`.
#[unsafe(no_mangle)]
pub extern "C" fn CloseHandle(hObject: HANDLE) -> BOOL {
    call(FALSE, || {
        let entry = remove(hObject)?;
        drop(entry); // the table lock is released: object destructors may take locks
        Ok(TRUE)
    })
}

/// Makes a new handle to the object `hSourceHandle` names, within the current process.
///
/// Both process handles must name the current process (`GetCurrentProcess()`, or a real
/// handle duplicated from it). `hSourceHandle` may be a pseudo-handle: duplicating
/// `GetCurrentThread()` gives a real handle to the calling thread that works on every
/// thread. With `DUPLICATE_CLOSE_SOURCE` the source handle is closed, also when the
/// duplication fails. The new handle is granted `dwDesiredAccess` — generic rights mapped
/// to the object type's, `MAXIMUM_ALLOWED` as every right — which may be more than the
/// source handle has, as Windows allows within a process; with `DUPLICATE_SAME_ACCESS`
/// it gets the source handle's rights (R2, R3). A pseudo-handle has every right.
/// `bInheritHandle` is accepted and ignored. A `NULL` `lpTargetHandle` duplicates nothing
/// and succeeds, as Win32 does for compatibility.
///
/// # Safety
///
/// `lpTargetHandle` is `NULL` or valid for writing one `HANDLE`.
///
/// # Errors
///
/// - `ERROR_INVALID_HANDLE` (6): a process handle that is not the current process, or a
///   source handle that is not open;
/// - `ERROR_ACCESS_DENIED` (5): a process handle without `PROCESS_DUP_HANDLE`, or a
///   `dwDesiredAccess` bit that is no right of the object's type;
/// - `ERROR_PRIVILEGE_NOT_HELD` (1314): `dwDesiredAccess` asks for
///   `ACCESS_SYSTEM_SECURITY`;
/// - `ERROR_NO_SYSTEM_RESOURCES` (1450): the handle table is full.
///
/// # Win32
///
/// `DuplicateHandle`; only same-process duplication exists here.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn DuplicateHandle(
    hSourceProcessHandle: HANDLE,
    hSourceHandle: HANDLE,
    hTargetProcessHandle: HANDLE,
    lpTargetHandle: LPHANDLE,
    dwDesiredAccess: DWORD,
    bInheritHandle: BOOL,
    dwOptions: DWORD,
) -> BOOL {
    let _ = bInheritHandle;
    call(FALSE, || {
        for process in [hSourceProcessHandle, hTargetProcessHandle] {
            with_access(process, PROCESS_DUP_HANDLE, |object| match object {
                Object::Process => Ok(()),
                _ => Err(Error(ERROR_INVALID_HANDLE)),
            })?;
        }
        let source = lookup(hSourceHandle)?;
        let closed = if dwOptions & DUPLICATE_CLOSE_SOURCE != 0 {
            remove(hSourceHandle).ok()
        } else {
            None
        };
        drop(closed);
        let access = if dwOptions & DUPLICATE_SAME_ACCESS != 0 {
            source.access()
        } else {
            grant(source.object(), dwDesiredAccess)?
        };
        if lpTargetHandle.is_null() {
            return Ok(TRUE);
        }
        let handle = insert(source.granted(access)).map_err(|(error, _source)| error)?;
        // SAFETY: the caller guarantees a non-NULL `lpTargetHandle` is writable.
        unsafe { lpTargetHandle.write(handle) };
        Ok(TRUE)
    })
}
