//! Mutexes: `CreateMutexA/W`, `CreateMutexExA/W`, `OpenMutexW`, `ReleaseMutex`
//! (`OpenMutexA` is in `winbase`, where Windows declares it).

use alertable::Mutex;

use crate::consts::{CREATE_MUTEX_INITIAL_OWNER, TRUE};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::handle::{self, Object};
use crate::names::{self, Access, Kind};
use crate::strings;
use crate::types::{BOOL, DWORD, HANDLE, LPCSTR, LPCWSTR, LPSECURITY_ATTRIBUTES};

fn create(initial_owner: bool, name: Option<Vec<u8>>, access: Access) -> Result<HANDLE> {
    names::create_shared(
        Kind::Mutex,
        name,
        access,
        || Ok(Object::Mutex(Mutex::new(initial_owner))),
        |name| {
            Mutex::create_named(name, initial_owner)
                .map(|opened| opened.map(Object::Mutex))
                .map_err(names::name_error)
        },
    )
}

/// The body of `OpenMutexA/W`.
pub(crate) fn open(desired: DWORD, name: Option<Vec<u8>>) -> Result<HANDLE> {
    names::open_shared(Kind::Mutex, desired, name, |name| {
        Mutex::open(name).map(Object::Mutex)
    })
}

/// Creates a mutex, owned by the calling thread if `bInitialOwner` (G70).
///
/// The owner may acquire it again by waiting on it and must release it once per
/// acquisition (G69). If the owner exits while holding it — or, for a named mutex, its
/// whole process dies, by `exit`, a crash or `SIGKILL` — the next wait that acquires it,
/// in any process, returns `WAIT_ABANDONED` (G72, G73). Names work as for
/// `CreateEventA`: the mutex is shared with every process of the user that names it;
/// opening an existing mutex by name ignores `bInitialOwner` and leaves
/// `ERROR_ALREADY_EXISTS` (183). The handle has `MUTEX_ALL_ACCESS`.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// `NULL` with `ERROR_INVALID_HANDLE` (6) if the name belongs to an object of another
/// kind, or the other name errors of `CreateEventA`.
///
/// # Win32
///
/// `CreateMutexA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateMutexA(
    lpMutexAttributes: LPSECURITY_ATTRIBUTES,
    bInitialOwner: BOOL,
    lpName: LPCSTR,
) -> HANDLE {
    let _ = lpMutexAttributes;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::narrow_bytes(lpName) };
        create(bInitialOwner != 0, name, Access::All)
    })
}

/// [`CreateMutexA`] with a wide name.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// As [`CreateMutexA`], and `ERROR_NO_UNICODE_TRANSLATION` (1113) for a name that is not
/// valid UTF-32.
///
/// # Win32
///
/// `CreateMutexW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateMutexW(
    lpMutexAttributes: LPSECURITY_ATTRIBUTES,
    bInitialOwner: BOOL,
    lpName: LPCWSTR,
) -> HANDLE {
    let _ = lpMutexAttributes;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::wide_bytes(lpName) }?;
        create(bInitialOwner != 0, name, Access::All)
    })
}

/// [`CreateMutexA`] with flags and an access mask: `CREATE_MUTEX_INITIAL_OWNER` (0x1)
/// makes the calling thread the owner of a new mutex (other bits are ignored), and the
/// handle gets the rights `dwDesiredAccess` maps to (R2 in `handle.rs`), whether the mutex
/// is new or existed.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// As [`CreateMutexA`]; `ERROR_ACCESS_DENIED` (5) for a bit that is no right of a mutex,
/// `ERROR_PRIVILEGE_NOT_HELD` (1314) for `ACCESS_SYSTEM_SECURITY`, before anything is
/// made.
///
/// # Win32
///
/// `CreateMutexExA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateMutexExA(
    lpMutexAttributes: LPSECURITY_ATTRIBUTES,
    lpName: LPCSTR,
    dwFlags: DWORD,
    dwDesiredAccess: DWORD,
) -> HANDLE {
    let _ = lpMutexAttributes;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::narrow_bytes(lpName) };
        let owned = dwFlags & CREATE_MUTEX_INITIAL_OWNER != 0;
        create(owned, name, Access::Desired(dwDesiredAccess))
    })
}

/// [`CreateMutexExA`] with a wide name.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// As [`CreateMutexExA`].
///
/// # Win32
///
/// `CreateMutexExW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateMutexExW(
    lpMutexAttributes: LPSECURITY_ATTRIBUTES,
    lpName: LPCWSTR,
    dwFlags: DWORD,
    dwDesiredAccess: DWORD,
) -> HANDLE {
    let _ = lpMutexAttributes;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::wide_bytes(lpName) }?;
        let owned = dwFlags & CREATE_MUTEX_INITIAL_OWNER != 0;
        create(owned, name, Access::Desired(dwDesiredAccess))
    })
}

/// Opens the mutex called `lpName`, created by this process or another of the user, with
/// the rights `dwDesiredAccess` maps to (R2 in `handle.rs`; `SYNCHRONIZE` is what a wait
/// needs, and `ReleaseMutex` needs no right, G69). `bInheritHandle` is accepted and
/// ignored: there is no handle inheritance.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// As `OpenEventA`: `ERROR_INVALID_PARAMETER` (87) for a `NULL` name,
/// `ERROR_FILE_NOT_FOUND` (2), `ERROR_INVALID_HANDLE` (6) for another kind's name,
/// `ERROR_ACCESS_DENIED` (5), and the name errors.
///
/// # Win32
///
/// `OpenMutexW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn OpenMutexW(
    dwDesiredAccess: DWORD,
    bInheritHandle: BOOL,
    lpName: LPCWSTR,
) -> HANDLE {
    let _ = bInheritHandle;
    call(core::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpName`.
        let name = unsafe { strings::wide_bytes(lpName) }?;
        open(dwDesiredAccess, name)
    })
}

/// Gives up one acquisition of the mutex by the calling thread; it is free once every
/// acquisition is released. Any handle to the mutex will do, whatever its access rights,
/// as on Windows (G69).
///
/// # Errors
///
/// `FALSE` with `ERROR_NOT_OWNER` (288) if the calling thread does not own it (G68, G69),
/// or `ERROR_INVALID_HANDLE` (6) if `hMutex` is not a mutex.
///
/// # Win32
///
/// `ReleaseMutex`.
#[unsafe(no_mangle)]
pub extern "C" fn ReleaseMutex(hMutex: HANDLE) -> BOOL {
    call(0, || {
        let mutex = handle::object(hMutex)?.into_mutex()?;
        mutex.release().map_err(|e| Error(e.win32_error()))?;
        Ok(TRUE)
    })
}
