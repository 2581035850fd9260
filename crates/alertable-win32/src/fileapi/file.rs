//! Files: `CreateFileA/W`, `ReadFile`, `WriteFile`, `ReadFileEx`, `WriteFileEx`,
//! `GetOverlappedResult(Ex)`, `CancelIo`, `CancelIoEx`, `SetFileCompletionNotificationModes`,
//! `DeleteFileA/W`.
//!
//! # Two kinds of file handle
//!
//! - **Overlapped** (`FILE_FLAG_OVERLAPPED`): an [`AsyncFile`] of `alertable-io`. A request
//!   whose data is at hand (a page-cached read) finishes inside the call, as Windows
//!   finishes cached I/O (J102): `ReadFile`/`WriteFile` return `TRUE` with the byte count,
//!   and `ReadFile` at the end of the file fails with `ERROR_HANDLE_EOF` at once; the
//!   `OVERLAPPED`, the event, the routine and the packet are all done by then. A request
//!   that must wait (a FIFO without data, data on the disk, most writes) returns `FALSE`
//!   with `ERROR_IO_PENDING` and completes later (J100, J105). `ReadFileEx`/`WriteFileEx`
//!   return `TRUE` either way and their routine runs in a later alertable wait of the
//!   issuing thread (J92). How the caller's buffer and `OVERLAPPED` are served is described
//!   in `overlapped.rs` (O1–O7): the bytes read are copied into the caller's buffer, and the
//!   `OVERLAPPED` written, before the request is reported complete in any way.
//! - **Synchronous** (no `FILE_FLAG_OVERLAPPED`): `ReadFile`/`WriteFile` read and write at
//!   the file position and return when done (they never run APCs, J110). Given an
//!   `OVERLAPPED`, they read or write at its offset (moving the file position, as on
//!   Windows), fill in its `Internal`/`InternalHigh` and signal its event. A read at the
//!   end of the file returns `TRUE` with 0 bytes without an `OVERLAPPED`, and `FALSE` with
//!   `ERROR_HANDLE_EOF` with one (J103). `ReadFileEx`/`WriteFileEx` on such a handle do the
//!   transfer at once and queue no routine, as Windows does (J103). One transfer at a time
//!   per file, as Windows serializes synchronous I/O on a file object.
//!
//! A file handle is waitable: it is signaled when a request on it completes and reset when
//! one starts, as on Windows (synchronous handles stay signaled). Closing the last handle
//! of a file cancels what is still in flight on it (its requests complete with
//! `ERROR_OPERATION_ABORTED`); closing one of several handles cancels nothing (K118).
//!
//! Paths are Linux paths, as bytes (`…A`, UTF-8 where text is meant) or wide strings
//! (`…W`); backslashes are not separators. Regular files are what `CreateFile` is for;
//! other files Linux opens without waiting (a FIFO opened for reading and writing, a
//! character device) work too, as streams whose requests ignore their offsets. Share modes are accepted and not enforced, as
//! Linux has no mandatory sharing: a file may be opened, written and deleted while open
//! elsewhere. Attributes, other flags and `hTemplateFile` are accepted and ignored.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use alertable::{Event, EventReset};
use alertable_io::{AsyncFile, CompletionPort, IoError, NamedPipe};

use crate::consts::{
    CREATE_ALWAYS, CREATE_NEW, ERROR_ACCESS_DENIED, ERROR_ALREADY_EXISTS, ERROR_HANDLE_EOF,
    ERROR_INVALID_PARAMETER, ERROR_INVALID_USER_BUFFER, ERROR_IO_PENDING, ERROR_NOACCESS,
    ERROR_NOT_ENOUGH_MEMORY, ERROR_PATH_NOT_FOUND, ERROR_SUCCESS, EVENT_MODIFY_STATE, FALSE,
    FILE_APPEND_DATA, FILE_FLAG_DELETE_ON_CLOSE, FILE_FLAG_OVERLAPPED, FILE_READ_ATTRIBUTES,
    FILE_READ_DATA, FILE_SKIP_SET_EVENT_ON_HANDLE, FILE_WRITE_DATA, INVALID_HANDLE_VALUE,
    OPEN_ALWAYS, OPEN_EXISTING, SYNCHRONIZE, TRUE, TRUNCATE_EXISTING,
};
use crate::error::{Error, Result, set_last_error};
use crate::ffi::call;
use crate::handle::{self, Entry, Guard, Object};
use crate::overlapped::{
    Action, Destination, Notify, OverlappedRef, Request, Routine, Submission, relay_port,
    status_of, status_of_error,
};
use crate::processenv::{self, Stream};
use crate::strings;
use crate::sync_io;
use crate::sys;
use crate::types::{
    BOOL, DWORD, HANDLE, LPCSTR, LPCVOID, LPCWSTR, LPDWORD, LPOVERLAPPED,
    LPOVERLAPPED_COMPLETION_ROUTINE, LPSECURITY_ATTRIBUTES, LPVOID, UCHAR,
};

// ---------------------------------------------------------------------------------------
// The file object.

/// What a file handle refers to.
pub(crate) struct FileObject {
    kind: Kind,
    /// The handle's own signaled state.
    signal: Event,
    /// `SetFileCompletionNotificationModes` flags: what a request that succeeds inside the
    /// issuing call skips.
    pub(crate) modes: AtomicU8,
    /// The path to remove when the last handle closes (`FILE_FLAG_DELETE_ON_CLOSE`), with
    /// the file's device and inode numbers, to remove only this file.
    delete_on_close: Option<(PathBuf, u64, u64)>,
    /// An end of a pipe (`namedpipeapi.rs`).
    pipe: Option<PipeEnd>,
}

/// A pipe end beside its file object: the `alertable-io` file, and the server instance of
/// a server end.
pub(crate) struct PipeEnd {
    pub(crate) file: AsyncFile,
    pub(crate) server: Option<NamedPipe>,
}

enum Kind {
    /// Opened without `FILE_FLAG_OVERLAPPED`.
    Synchronous(Mutex<fs::File>),
    /// Opened with `FILE_FLAG_OVERLAPPED`.
    Overlapped(OverlappedFile),
    /// A pipe end opened without `FILE_FLAG_OVERLAPPED` (its file is in `pipe`): each
    /// transfer is a request waited for, not alertably (J110).
    SynchronousPipe,
}

/// Requests issued and not yet relayed, by `OVERLAPPED` address and token.
type Pending = BTreeMap<(usize, usize), Arc<Request>>;

/// The state of a file opened for overlapped I/O.
pub(crate) struct OverlappedFile {
    /// Bound to the relay port (O2).
    file: AsyncFile,
    /// The caller's completion port and key, once bound with `CreateIoCompletionPort`.
    port: OnceLock<(CompletionPort, usize)>,
    /// Requests issued and not yet relayed.
    pending: Mutex<Pending>,
}

impl FileObject {
    /// The file as a waitable object.
    pub(crate) fn signal(&self) -> &Event {
        &self.signal
    }

    fn overlapped(&self) -> Option<&OverlappedFile> {
        match &self.kind {
            Kind::Overlapped(file) => Some(file),
            Kind::Synchronous(_) | Kind::SynchronousPipe => None,
        }
    }

    /// The pipe end, if this is one.
    pub(crate) fn pipe(&self) -> Option<&PipeEnd> {
        self.pipe.as_ref()
    }

    fn pending_map(&self) -> Option<MutexGuard<'_, Pending>> {
        // Plain map operations only: a poisoned lock leaves a consistent map.
        self.overlapped()
            .map(|file| file.pending.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Records a request just issued on this file; the file is no longer signaled.
    pub(crate) fn issued(&self, request: &Arc<Request>) {
        if let Some(mut pending) = self.pending_map() {
            let key = (request.overlapped().addr(), request.token());
            pending.insert(key, request.clone());
        }
        self.signal.reset();
    }

    /// Forgets a request whose result the relay has recorded; the file is signaled, unless
    /// the request succeeded inside the issuing call and the file skips that
    /// (`FILE_SKIP_SET_EVENT_ON_HANDLE`).
    pub(crate) fn relayed(&self, request: &Request, succeeded_at_issue: bool) {
        if let Some(mut pending) = self.pending_map() {
            pending.remove(&(request.overlapped().addr(), request.token()));
        }
        if !(succeeded_at_issue && self.skips(FILE_SKIP_SET_EVENT_ON_HANDLE)) {
            self.signal.set();
        }
    }

    /// Whether the file has `mode` among its completion notification modes.
    pub(crate) fn skips(&self, mode: UCHAR) -> bool {
        self.modes.load(Ordering::Acquire) & mode != 0
    }

    /// The requests in flight, as a snapshot.
    pub(crate) fn pending(&self) -> Vec<Arc<Request>> {
        self.pending_map()
            .map(|pending| pending.values().cloned().collect())
            .unwrap_or_default()
    }

    /// A request in flight that was issued with the `OVERLAPPED` at `address`.
    pub(crate) fn request_for(&self, address: usize) -> Option<Arc<Request>> {
        self.pending_map()?
            .range((address, 0)..=(address, usize::MAX))
            // Tokens only grow: the newest request is the one the OVERLAPPED describes now
            // (an older one on the same OVERLAPPED may still be finishing).
            .next_back()
            .map(|(_, request)| request.clone())
    }

    /// Runs `f` on the file's descriptor, as a `File` whose position is the file position
    /// (`SetFilePointer`, `GetFileSize`, `SetEndOfFile`, `FlushFileBuffers`). A synchronous
    /// file's transfers wait meanwhile, so a move of the position never lands inside one.
    ///
    /// # Errors
    ///
    /// What `f` returns, or the error of duplicating an overlapped file's descriptor.
    pub(crate) fn with_descriptor<R>(
        &self,
        f: impl FnOnce(&fs::File) -> io::Result<R>,
    ) -> io::Result<R> {
        match &self.kind {
            Kind::Synchronous(file) => f(&file.lock().unwrap_or_else(PoisonError::into_inner)),
            Kind::Overlapped(file) => {
                // A duplicate shares the open file description, hence the position.
                let owned = file.file.as_fd().try_clone_to_owned()?;
                f(&fs::File::from(owned))
            }
            Kind::SynchronousPipe => {
                let file = &self.pipe.as_ref().expect("a pipe kind has its pipe").file;
                f(&fs::File::from(file.as_fd().try_clone_to_owned()?))
            }
        }
    }

    /// Binds the file to a caller's completion port with `key`.
    ///
    /// # Errors
    ///
    /// `ERROR_INVALID_PARAMETER` (87) for a synchronous file (L132) or one already bound.
    pub(crate) fn bind(&self, port: &CompletionPort, key: usize) -> Result<()> {
        let file = self.overlapped().ok_or(Error(ERROR_INVALID_PARAMETER))?;
        file.port
            .set((port.clone(), key))
            .map_err(|_| Error(ERROR_INVALID_PARAMETER))
    }
}

/// The guard of a file's handles (H5): when the last is closed, what is still in flight
/// on the file is cancelled, as Windows does when a file object's last handle goes.
struct LastHandle(Arc<FileObject>);

impl Drop for LastHandle {
    fn drop(&mut self) {
        for request in self.0.pending() {
            request.cancel();
        }
        if let Some((path, dev, ino)) = &self.0.delete_on_close {
            // Only if the name still leads to this file: one renamed meanwhile stays where
            // it went (Windows would delete it there), and whatever has taken the name
            // since is not touched. Already gone: nothing to do.
            let same = fs::metadata(path).is_ok_and(|m| (m.dev(), m.ino()) == (*dev, *ino));
            if same {
                let _ = fs::remove_file(path);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// CreateFile, DeleteFile.

/// How a file is opened for its handle's rights.
#[derive(Clone, Copy)]
struct Mode {
    read: bool,
    write: bool,
    /// Every write goes to the end of the file (`FILE_APPEND_DATA` without
    /// `FILE_WRITE_DATA`).
    append: bool,
}

/// Opens `path` as `disposition` says; returns the file and whether it existed.
fn open(path: &Path, mode: Mode, disposition: DWORD) -> io::Result<(fs::File, bool)> {
    let append = if mode.append { libc::O_APPEND } else { 0 };
    let with = |flags: i32| {
        fs::OpenOptions::new()
            .read(mode.read)
            .write(mode.write)
            .custom_flags(flags | append)
            .open(path)
    };
    let create = libc::O_CREAT | libc::O_EXCL;
    match disposition {
        CREATE_NEW => with(create).map(|f| (f, false)),
        OPEN_EXISTING => with(0).map(|f| (f, true)),
        TRUNCATE_EXISTING => with(libc::O_TRUNC).map(|f| (f, true)),
        _ => {
            // CREATE_ALWAYS, OPEN_ALWAYS: create it, or else open (and for CREATE_ALWAYS
            // truncate) the one that is there. A file deleted between the two attempts is
            // created on the next round; a dangling symbolic link ends the rounds.
            let existing = if disposition == CREATE_ALWAYS {
                libc::O_TRUNC
            } else {
                0
            };
            let mut last = None;
            for _ in 0..4 {
                match with(create) {
                    Ok(f) => return Ok((f, false)),
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(e),
                }
                match with(existing) {
                    Ok(f) => return Ok((f, true)),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => last = Some(e),
                    Err(e) => return Err(e),
                }
            }
            Err(last.unwrap_or_else(|| io::ErrorKind::NotFound.into()))
        }
    }
}

/// The Win32 error for a failed open or delete of `path`: a missing folder on the way is
/// `ERROR_PATH_NOT_FOUND` (3), a missing file `ERROR_FILE_NOT_FOUND` (2).
pub(crate) fn path_error(path: &Path, error: io::Error) -> Error {
    if error.kind() == io::ErrorKind::NotFound
        && path
            .parent()
            .is_some_and(|parent| !parent.as_os_str().is_empty() && !parent.is_dir())
    {
        return Error(ERROR_PATH_NOT_FOUND);
    }
    Error(IoError::from(error).win32_error())
}

/// A path argument: `NULL` and the empty string name nothing (`ERROR_PATH_NOT_FOUND`).
pub(crate) fn required_path(path: Option<PathBuf>) -> Result<PathBuf> {
    path.filter(|p| !p.as_os_str().is_empty())
        .ok_or(Error(ERROR_PATH_NOT_FOUND))
}

fn create_file(
    path: Option<PathBuf>,
    access: DWORD,
    disposition: DWORD,
    flags: DWORD,
) -> Result<HANDLE> {
    if !(CREATE_NEW..=TRUNCATE_EXISTING).contains(&disposition) {
        return Err(Error(ERROR_INVALID_PARAMETER));
    }
    let path = required_path(path)?;
    // Windows adds these two to every CreateFile (R1).
    let granted = handle::grant_file(access | SYNCHRONIZE | FILE_READ_ATTRIBUTES)?;
    if let Some(name) = path
        .to_str()
        .filter(|p| crate::namedpipeapi::is_pipe_name(p))
    {
        return crate::namedpipeapi::open_client(name, granted, flags);
    }
    let write_data = granted & FILE_WRITE_DATA != 0;
    let write = write_data || granted & FILE_APPEND_DATA != 0;
    // Opening needs some access; a handle that cannot write is opened for reading (its
    // reads are still refused without FILE_READ_DATA).
    let mode = Mode {
        read: granted & FILE_READ_DATA != 0 || !write,
        write,
        append: write && !write_data,
    };
    if disposition == TRUNCATE_EXISTING && !write_data {
        return Err(Error(ERROR_INVALID_PARAMETER));
    }
    let (file, existed) = open(&path, mode, disposition).map_err(|e| path_error(&path, e))?;
    let is_dir = file
        .metadata()
        .map_err(|e| Error(IoError::from(e).win32_error()))?
        .is_dir();
    if is_dir {
        // Windows opens a folder only with FILE_FLAG_BACKUP_SEMANTICS.
        return Err(Error(ERROR_ACCESS_DENIED));
    }
    let delete_on_close = if flags & FILE_FLAG_DELETE_ON_CLOSE != 0 {
        let os_error = |e: io::Error| Error(IoError::from(e).win32_error());
        let meta = file.metadata().map_err(os_error)?;
        // Absolute, so that a change of the working folder does not redirect it.
        let absolute = std::path::absolute(&path).map_err(os_error)?;
        Some((absolute, meta.dev(), meta.ino()))
    } else {
        None
    };
    let kind = if flags & FILE_FLAG_OVERLAPPED != 0 {
        let file = AsyncFile::try_from(file).map_err(|e| Error(IoError::from(e).win32_error()))?;
        relay_port()?
            .associate(&file, 0)
            .map_err(|e| Error(e.win32_error()))?;
        Kind::Overlapped(OverlappedFile {
            file,
            port: OnceLock::new(),
            pending: Mutex::new(BTreeMap::new()),
        })
    } else {
        Kind::Synchronous(Mutex::new(file))
    };
    let object = Arc::new(FileObject {
        kind,
        signal: Event::new(EventReset::Manual, true),
        modes: AtomicU8::new(0),
        delete_on_close,
        pipe: None,
    });
    let guard: Guard = Arc::new(LastHandle(object.clone()));
    let entry = Entry::guarded(Object::File(object), guard).granted(granted);
    let handle = handle::insert(entry).map_err(|(error, _entry)| error)?;
    let found = existed && matches!(disposition, CREATE_ALWAYS | OPEN_ALWAYS);
    set_last_error(if found {
        ERROR_ALREADY_EXISTS
    } else {
        ERROR_SUCCESS
    });
    Ok(handle)
}

/// A handle to a pipe end: overlapped (bound to the relay port, O2) or synchronous, with
/// the rights `granted`.
///
/// # Errors
///
/// `ERROR_NOT_ENOUGH_MEMORY` (8): the relay thread could not be started;
/// `ERROR_NO_SYSTEM_RESOURCES` (1450): the handle table is full.
pub(crate) fn pipe_handle(
    file: AsyncFile,
    server: Option<NamedPipe>,
    overlapped: bool,
    granted: DWORD,
) -> Result<HANDLE> {
    let kind = if overlapped {
        relay_port()?
            .associate(&file, 0)
            .map_err(|e| Error(e.win32_error()))?;
        Kind::Overlapped(OverlappedFile {
            file: file.clone(),
            port: OnceLock::new(),
            pending: Mutex::new(BTreeMap::new()),
        })
    } else {
        Kind::SynchronousPipe
    };
    let object = Arc::new(FileObject {
        kind,
        signal: Event::new(EventReset::Manual, true),
        modes: AtomicU8::new(0),
        delete_on_close: None,
        pipe: Some(PipeEnd { file, server }),
    });
    let guard: Guard = Arc::new(LastHandle(object.clone()));
    let entry = Entry::guarded(Object::File(object), guard).granted(granted);
    handle::insert(entry).map_err(|(error, _entry)| error)
}

/// A narrow path argument (`NULL`: `None`).
///
/// # Safety
///
/// `name` is `NULL` or a valid NUL-terminated string.
pub(crate) unsafe fn narrow_path(name: LPCSTR) -> Option<PathBuf> {
    // SAFETY: the caller guarantees `name` is NULL or a valid string.
    let bytes = unsafe { strings::narrow_bytes(name) };
    bytes.map(|b| PathBuf::from(OsString::from_vec(b)))
}

/// A wide path argument (`NULL`: `None`).
///
/// # Errors
///
/// `ERROR_NO_UNICODE_TRANSLATION` (1113) for a string that is not valid UTF-32.
///
/// # Safety
///
/// `name` is `NULL` or a valid NUL-terminated wide string.
pub(crate) unsafe fn wide_path(name: LPCWSTR) -> Result<Option<PathBuf>> {
    // SAFETY: the caller guarantees `name` is NULL or a valid string.
    let name = unsafe { strings::wide_string(name) }?;
    Ok(name.map(PathBuf::from))
}

/// Opens or creates a file and returns a handle to it.
///
/// - `dwDesiredAccess`: `GENERIC_READ`, `GENERIC_WRITE`, both, or specific file rights;
///   the handle is granted them (generic rights mapped: `GENERIC_READ` to
///   `FILE_GENERIC_READ`, …), with `SYNCHRONIZE` and `FILE_READ_ATTRIBUTES` added as
///   Windows adds them. Reading needs `FILE_READ_DATA`, writing `FILE_WRITE_DATA` or
///   `FILE_APPEND_DATA` (`ERROR_ACCESS_DENIED` without); a handle with `FILE_APPEND_DATA`
///   and no `FILE_WRITE_DATA` writes at the end of the file whatever the offset.
/// - `dwCreationDisposition`: `CREATE_NEW` (fails if it exists), `CREATE_ALWAYS` (creates or
///   truncates), `OPEN_EXISTING`, `OPEN_ALWAYS` (opens or creates), `TRUNCATE_EXISTING`
///   (needs `GENERIC_WRITE`). `CREATE_ALWAYS` and `OPEN_ALWAYS` leave
///   `ERROR_ALREADY_EXISTS` (183) when the file was there; every other success leaves 0.
/// - `dwFlagsAndAttributes`: `FILE_FLAG_OVERLAPPED` opens the file for overlapped I/O (see
///   the module documentation); `FILE_FLAG_DELETE_ON_CLOSE` removes the file when its
///   last handle is closed — by the name it was opened with, and only while that name
///   still leads to it (a file renamed meanwhile is kept, where Windows deletes it);
///   attributes and other flags are ignored.
///
/// `dwShareMode`, `lpSecurityAttributes` and `hTemplateFile` are accepted and ignored. The
/// path is a Linux path; folders cannot be opened.
///
/// # Safety
///
/// `lpFileName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// `INVALID_HANDLE_VALUE` with:
/// - `ERROR_FILE_NOT_FOUND` (2), `ERROR_PATH_NOT_FOUND` (3: a missing folder, or a `NULL`
///   or empty name), `ERROR_FILE_EXISTS` (80: `CREATE_NEW`), `ERROR_ACCESS_DENIED` (5:
///   permissions, or a folder), or another error of the open as Win32 names it;
/// - `ERROR_INVALID_PARAMETER` (87): an unknown disposition, or `TRUNCATE_EXISTING`
///   without `GENERIC_WRITE` (`FILE_WRITE_DATA`);
/// - `ERROR_ACCESS_DENIED` (5): a `dwDesiredAccess` bit that is no file right;
/// - `ERROR_PRIVILEGE_NOT_HELD` (1314): `dwDesiredAccess` asks for
///   `ACCESS_SYSTEM_SECURITY`;
/// - `ERROR_NOT_ENOUGH_MEMORY` (8): the completion thread could not be started;
/// - `ERROR_NO_SYSTEM_RESOURCES` (1450): the handle table is full.
///
/// # Win32
///
/// `CreateFileA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateFileA(
    lpFileName: LPCSTR,
    dwDesiredAccess: DWORD,
    dwShareMode: DWORD,
    lpSecurityAttributes: LPSECURITY_ATTRIBUTES,
    dwCreationDisposition: DWORD,
    dwFlagsAndAttributes: DWORD,
    hTemplateFile: HANDLE,
) -> HANDLE {
    let _ = (dwShareMode, lpSecurityAttributes, hTemplateFile);
    call(INVALID_HANDLE_VALUE, || {
        create_file(
            // SAFETY: the caller guarantees `lpFileName`.
            unsafe { narrow_path(lpFileName) },
            dwDesiredAccess,
            dwCreationDisposition,
            dwFlagsAndAttributes,
        )
    })
}

/// [`CreateFileA`] with a wide path.
///
/// # Safety
///
/// `lpFileName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// As [`CreateFileA`], and `ERROR_NO_UNICODE_TRANSLATION` (1113) for a path that is not
/// valid UTF-32.
///
/// # Win32
///
/// `CreateFileW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateFileW(
    lpFileName: LPCWSTR,
    dwDesiredAccess: DWORD,
    dwShareMode: DWORD,
    lpSecurityAttributes: LPSECURITY_ATTRIBUTES,
    dwCreationDisposition: DWORD,
    dwFlagsAndAttributes: DWORD,
    hTemplateFile: HANDLE,
) -> HANDLE {
    let _ = (dwShareMode, lpSecurityAttributes, hTemplateFile);
    call(INVALID_HANDLE_VALUE, || {
        create_file(
            // SAFETY: the caller guarantees `lpFileName`.
            unsafe { wide_path(lpFileName) }?,
            dwDesiredAccess,
            dwCreationDisposition,
            dwFlagsAndAttributes,
        )
    })
}

fn delete_file(path: Option<PathBuf>) -> Result<BOOL> {
    let path = required_path(path)?;
    fs::remove_file(&path).map_err(|e| path_error(&path, e))?;
    Ok(TRUE)
}

/// Deletes a file. A file that is open elsewhere is deleted too (its open handles keep
/// working), where Windows refuses unless it was opened with `FILE_SHARE_DELETE`.
///
/// # Safety
///
/// `lpFileName` is `NULL` or a valid NUL-terminated string.
///
/// # Errors
///
/// `FALSE` with `ERROR_FILE_NOT_FOUND` (2), `ERROR_PATH_NOT_FOUND` (3: a missing folder, or
/// a `NULL` or empty name), `ERROR_ACCESS_DENIED` (5: permissions, or a folder), or another
/// error of the deletion as Win32 names it.
///
/// # Win32
///
/// `DeleteFileA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn DeleteFileA(lpFileName: LPCSTR) -> BOOL {
    // SAFETY: the caller guarantees `lpFileName`.
    call(FALSE, || delete_file(unsafe { narrow_path(lpFileName) }))
}

/// [`DeleteFileA`] with a wide path.
///
/// # Safety
///
/// `lpFileName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// As [`DeleteFileA`], and `ERROR_NO_UNICODE_TRANSLATION` (1113) for a path that is not
/// valid UTF-32.
///
/// # Win32
///
/// `DeleteFileW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn DeleteFileW(lpFileName: LPCWSTR) -> BOOL {
    // SAFETY: the caller guarantees `lpFileName`.
    call(FALSE, || delete_file(unsafe { wide_path(lpFileName) }?))
}

// ---------------------------------------------------------------------------------------
// Reading and writing.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Read,
    Write,
}

/// The caller's buffer, to read into, as a slice of `len` bytes (empty for `len` 0,
/// whatever the pointer).
///
/// # Safety
///
/// For `len` > 0, `buffer` is non-NULL and valid for reading and writing `len` bytes for
/// `'a`, and nothing else accesses it meanwhile.
unsafe fn caller_bytes_mut<'a>(buffer: *mut u8, len: usize) -> &'a mut [u8] {
    if len == 0 {
        return &mut [];
    }
    // SAFETY: the caller's guarantee for `len` > 0.
    unsafe { core::slice::from_raw_parts_mut(buffer, len) }
}

/// The caller's buffer, to write from, as a shared slice of `len` bytes (empty for `len` 0,
/// whatever the pointer). Shared: the memory may be read-only (a string literal), and
/// other threads may read it at the same time.
///
/// # Safety
///
/// For `len` > 0, `buffer` is non-NULL and valid for reading `len` bytes for `'a`, and
/// nothing writes it meanwhile.
unsafe fn caller_bytes<'a>(buffer: *const u8, len: usize) -> &'a [u8] {
    if len == 0 {
        return &[];
    }
    // SAFETY: the caller's guarantee for `len` > 0.
    unsafe { core::slice::from_raw_parts(buffer, len) }
}

/// A zeroed buffer of `len` bytes, or `ERROR_NOT_ENOUGH_MEMORY` (8).
fn zeroed(len: usize) -> Result<Vec<u8>> {
    let mut buffer = Vec::new();
    buffer
        .try_reserve_exact(len)
        .map_err(|_| Error(ERROR_NOT_ENOUGH_MEMORY))?;
    buffer.resize(len, 0);
    Ok(buffer)
}

/// The event named by an `OVERLAPPED`'s `hEvent`, and whether its low bit asks for no
/// completion packet (`NULL`: none).
///
/// # Errors
///
/// `ERROR_INVALID_HANDLE` (6) if `hEvent` is not an event (J106).
fn event_of(handle: HANDLE) -> Result<Option<(Event, bool)>> {
    if handle.is_null() {
        return Ok(None);
    }
    let event = handle::real_with_access(handle, EVENT_MODIFY_STATE, Object::into_event)?;
    Ok(Some((event, handle.addr() & 1 != 0)))
}

/// A synchronous transfer at the file position, or at the `OVERLAPPED`'s offset; returns
/// the bytes transferred.
///
/// # Safety
///
/// `buffer` is valid for `len` bytes (for writing, when reading) during the call; `ov` is
/// `None` or a valid, aligned `OVERLAPPED`.
unsafe fn transfer_now(
    file: &Mutex<fs::File>,
    direction: Direction,
    buffer: *mut u8,
    len: usize,
    ov: Option<OverlappedRef>,
    event: Option<&Event>,
) -> Result<usize> {
    if let Some(event) = event {
        event.reset();
    }
    let outcome = {
        let mut file = file.lock().unwrap_or_else(PoisonError::into_inner);
        // A file that can block (a FIFO, a device) waits where CancelSynchronousIo can end
        // the wait (K120); a regular file is ready at once.
        let writable = direction == Direction::Write;
        sync_io::wait_ready(file.as_raw_fd(), writable).map(|()| {
            (|| -> io::Result<usize> {
                if let Some(ov) = ov {
                    // SAFETY: the caller guarantees a readable OVERLAPPED.
                    file.seek(SeekFrom::Start(unsafe { ov.offset() }))?;
                }
                match direction {
                    Direction::Read => {
                        // SAFETY: for a read the caller guarantees `len` writable bytes, for
                        // this call only, that nothing else accesses meanwhile.
                        let bytes = unsafe { caller_bytes_mut(buffer, len) };
                        loop {
                            match file.read(bytes) {
                                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                                other => return other,
                            }
                        }
                    }
                    Direction::Write => {
                        // SAFETY: for a write the caller guarantees `len` readable bytes that
                        // nothing writes during this call.
                        let bytes = unsafe { caller_bytes(buffer, len) };
                        file.write_all(bytes).map(|()| len)
                    }
                }
            })()
        })
    };
    let result = match outcome {
        // Cancelled by CancelSynchronousIo before anything was transferred (K120).
        Err(Error(aborted)) => Err(aborted),
        // With an OVERLAPPED, a read at the end is an error (J103); without, 0 bytes.
        Ok(Ok(0)) if direction == Direction::Read && len > 0 && ov.is_some() => {
            Err(ERROR_HANDLE_EOF)
        }
        Ok(Ok(n)) => Ok(n),
        // The descriptor is open for what the handle may do (R1), so EBADF means a right
        // it lacks.
        Ok(Err(e)) if e.raw_os_error() == Some(libc::EBADF) => Err(ERROR_ACCESS_DENIED),
        Ok(Err(e)) => Err(IoError::from(e).win32_error()),
    };
    if let Some(ov) = ov {
        let (status, n) = match result {
            Ok(n) => (0, n),
            Err(error) => (status_of_error(error), 0),
        };
        // SAFETY: the caller guarantees an aligned, writable OVERLAPPED.
        unsafe { ov.set_result(status, n) };
    }
    if let Some(event) = event {
        event.set();
    }
    result.map_err(Error)
}

/// A transfer on a standard handle (`GetStdHandle`): a blocking read or write on its
/// descriptor, synchronous only.
///
/// # Errors
///
/// `ERROR_INVALID_PARAMETER` (87) with an `OVERLAPPED`; `ERROR_NOACCESS` (998) or
/// `ERROR_INVALID_USER_BUFFER` (1784) for a `NULL` buffer with a length; the error of the
/// read or write as Win32 names it.
///
/// # Safety
///
/// `buffer` is valid for `len` bytes (writable when reading) during the call.
unsafe fn transfer_std(
    stream: Stream,
    direction: Direction,
    buffer: *mut u8,
    len: usize,
    ov: LPOVERLAPPED,
) -> Result<usize> {
    if !ov.is_null() {
        return Err(Error(ERROR_INVALID_PARAMETER));
    }
    if buffer.is_null() && len > 0 {
        return Err(Error(match direction {
            Direction::Read => ERROR_NOACCESS,
            Direction::Write => ERROR_INVALID_USER_BUFFER,
        }));
    }
    let outcome = match direction {
        Direction::Read => {
            // A read of a pipe or terminal may block: CancelSynchronousIo can end it (K120).
            sync_io::wait_ready(stream.fd(), false)?;
            // SAFETY: the caller guarantees `len` writable bytes during this call.
            sys::read_some(stream.fd(), unsafe { caller_bytes_mut(buffer, len) })
        }
        Direction::Write => {
            sync_io::wait_ready(stream.fd(), true)?;
            // SAFETY: the caller guarantees `len` readable bytes during this call.
            sys::write_all(stream.fd(), unsafe { caller_bytes(buffer, len) }).map(|()| len)
        }
    };
    outcome.map_err(|e| Error(IoError::from(e).win32_error()))
}

/// The body of `ReadFile`, `WriteFile`, `ReadFileEx` and `WriteFileEx` (`routine` given for
/// the last two).
///
/// # Safety
///
/// `buffer` is valid for `len` bytes (writable when reading) and `ov` is `NULL` or a valid,
/// aligned `OVERLAPPED`, both until the request completes; `done` is `NULL` or writable;
/// `routine` is sound to call on the calling thread.
unsafe fn transfer(
    direction: Direction,
    file: HANDLE,
    buffer: *mut u8,
    len: DWORD,
    done: LPDWORD,
    ov: LPOVERLAPPED,
    routine: Option<unsafe extern "C-unwind" fn(DWORD, DWORD, LPOVERLAPPED)>,
) -> Result<BOOL> {
    if !done.is_null() {
        // SAFETY: the caller guarantees a non-NULL `done` is writable. Windows zeroes it
        // before any check.
        unsafe { done.write(0) };
    }
    if let Some(stream) = processenv::std_stream(file) {
        // SAFETY: the caller's guarantees on `buffer`.
        let n = unsafe { transfer_std(stream, direction, buffer, len as usize, ov) }?;
        if !done.is_null() {
            // SAFETY: as above.
            unsafe { done.write(DWORD::try_from(n).unwrap_or(DWORD::MAX)) };
        }
        return Ok(TRUE);
    }
    let right = match direction {
        Direction::Read => FILE_READ_DATA,
        Direction::Write => FILE_WRITE_DATA | FILE_APPEND_DATA,
    };
    let object = handle::with_any_access(file, right, Object::into_file)?;
    let len = len as usize;
    if buffer.is_null() && len > 0 {
        // As Windows reports each (Wine's test_read_write).
        return Err(Error(match direction {
            Direction::Read => ERROR_NOACCESS,
            Direction::Write => ERROR_INVALID_USER_BUFFER,
        }));
    }
    let ov = (!ov.is_null()).then(|| OverlappedRef::new(ov));
    let event = match (ov, routine) {
        // SAFETY: the caller guarantees a readable OVERLAPPED.
        (Some(ov), None) => event_of(unsafe { ov.event() })?,
        // ReadFileEx and WriteFileEx leave hEvent to the caller (J94).
        _ => None,
    };
    let inner = match &object.kind {
        Kind::Overlapped(inner) => inner,
        Kind::Synchronous(sync) => {
            let event = event.as_ref().map(|(event, _)| event);
            // SAFETY: the caller's guarantees, for a transfer that ends within this call.
            let n = unsafe { transfer_now(sync, direction, buffer, len, ov, event) }?;
            if !done.is_null() {
                // SAFETY: as above.
                unsafe { done.write(DWORD::try_from(n).unwrap_or(DWORD::MAX)) };
            }
            return Ok(TRUE);
        }
        Kind::SynchronousPipe => {
            let pipe = object.pipe().ok_or(Error(ERROR_INVALID_PARAMETER))?;
            let event = event.as_ref().map(|(event, _)| event);
            let bytes = match direction {
                Direction::Write => {
                    // SAFETY: the caller guarantees `len` readable bytes during this call.
                    let owned = unsafe { caller_bytes(buffer, len) }.to_vec();
                    pipe.file.write(0, owned).map(|op| (op, None))
                }
                Direction::Read => pipe
                    .file
                    .read(0, zeroed(len)?)
                    .map(|op| (op, Some(Destination::new(buffer, len)))),
            };
            let (op, destination) = bytes.map_err(|e| Error(e.win32_error()))?;
            // SAFETY: the caller's guarantees, for a transfer that ends within this call.
            return unsafe { finish_now(op, destination, ov, event, done) };
        }
    };
    // Overlapped files need an OVERLAPPED: there is no file position.
    let ov = ov.ok_or(Error(ERROR_INVALID_PARAMETER))?;
    let (owned, destination) = match direction {
        Direction::Read => (zeroed(len)?, Some(Destination::new(buffer, len))),
        Direction::Write => {
            let mut owned = Vec::new();
            owned
                .try_reserve_exact(len)
                .map_err(|_| Error(ERROR_NOT_ENOUGH_MEMORY))?;
            // SAFETY: the caller guarantees `len` readable bytes that nothing writes while
            // this call copies them.
            owned.extend_from_slice(unsafe { caller_bytes(buffer, len) });
            (owned, None)
        }
    };
    // SAFETY: the caller's guarantees, passed on.
    unsafe {
        issue_overlapped(
            &object,
            inner,
            Action::Transfer,
            owned,
            destination,
            ov,
            event,
            routine,
            done,
        )
    }
}

/// Waits (not alertably, J110) for a request on a synchronous pipe and reports it as a
/// synchronous transfer does: the bytes into the caller's buffer, the `OVERLAPPED` and the
/// event if given, the count into `done`. A message read in part reports its part with
/// `ERROR_MORE_DATA` (234).
///
/// # Safety
///
/// `destination` is valid for writing, `ov` `None` or a valid, aligned `OVERLAPPED`, and
/// `done` `NULL` or writable, during the call.
pub(crate) unsafe fn finish_now(
    op: alertable_io::Operation,
    destination: Option<Destination>,
    ov: Option<OverlappedRef>,
    event: Option<&Event>,
    done: LPDWORD,
) -> Result<BOOL> {
    if let Some(event) = event {
        event.reset();
    }
    let result = op.result(true);
    let n = match result {
        Ok(n) | Err(IoError::MoreData(n)) => n,
        Err(_) => 0,
    };
    if let (Some(destination), Some(bytes)) = (destination, op.take_buffer()) {
        // SAFETY: the caller guarantees the destination during the call.
        unsafe { destination.fill(&bytes) };
    }
    if let Some(ov) = ov {
        // SAFETY: the caller guarantees an aligned, writable OVERLAPPED.
        unsafe { ov.set_result(status_of(&result), n) };
    }
    if let Some(event) = event {
        event.set();
    }
    if !done.is_null() {
        // SAFETY: the caller guarantees a non-NULL `done` is writable.
        unsafe { done.write(DWORD::try_from(n).unwrap_or(DWORD::MAX)) };
    }
    result.map(|_| TRUE).map_err(|e| Error(e.win32_error()))
}

/// Issues a request on an overlapped file and reports how it stands, as `ReadFile` does:
/// `TRUE` if it finished inside the call (the count in `done`), `ERROR_IO_PENDING` if it is
/// in progress (`TRUE` with a routine), its error otherwise.
///
/// # Safety
///
/// The `OVERLAPPED` and, for a read, `destination` stay valid until the request completes;
/// `done` is `NULL` or writable; `routine` is sound to call on the calling thread.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn issue_overlapped(
    object: &Arc<FileObject>,
    inner: &OverlappedFile,
    action: Action<'_>,
    owned: Vec<u8>,
    destination: Option<Destination>,
    ov: OverlappedRef,
    event: Option<(Event, bool)>,
    routine: Option<unsafe extern "C-unwind" fn(DWORD, DWORD, LPOVERLAPPED)>,
    done: LPDWORD,
) -> Result<BOOL> {
    let port = match (&routine, &event) {
        // A completion routine on a file bound to a port is refused (J108).
        (Some(_), _) if inner.port.get().is_some() => return Err(Error(ERROR_INVALID_PARAMETER)),
        (Some(_), _) | (None, Some((_, true))) => None,
        (None, _) => inner.port.get().cloned(),
    };
    let notify = Notify {
        event: event.map(|(event, _)| event),
        routine: routine.map(|routine| Routine {
            routine,
            thread: alertable::current(),
        }),
        port,
    };
    let submission = Submission {
        file: &inner.file,
        object,
        // SAFETY: the caller guarantees a readable OVERLAPPED.
        offset: unsafe { ov.offset() },
        buffer: owned,
        destination,
        overlapped: ov,
        notify,
        action,
    };
    // SAFETY: the caller guarantees the OVERLAPPED and the buffer until completion.
    let request = unsafe { submission.issue() }?;
    if !request.completed_at_issue() {
        // Still in progress: it completes later, through its styles (J100, J105).
        return if routine.is_some() {
            Ok(TRUE)
        } else {
            Err(Error(ERROR_IO_PENDING))
        };
    }
    // Finished inside the call (J102, O7): reported as a synchronous transfer is.
    let (result, _) = request.wait_relayed();
    if routine.is_some() {
        // The routine is queued, with the result, error or not (J101).
        return Ok(TRUE);
    }
    let n = result.map_err(Error)?;
    if !done.is_null() {
        // SAFETY: the caller guarantees a non-NULL `done` is writable. A failure (also a
        // message read in part, ERROR_MORE_DATA) leaves it 0, as Windows does for an
        // overlapped call; the `OVERLAPPED` has the count.
        unsafe { done.write(DWORD::try_from(n).unwrap_or(DWORD::MAX)) };
    }
    Ok(TRUE)
}

/// The overlapped side of a file object, for the pipe functions.
pub(crate) fn overlapped_side(object: &FileObject) -> Option<&OverlappedFile> {
    object.overlapped()
}

/// Reads up to `nNumberOfBytesToRead` bytes into `lpBuffer`.
///
/// **Overlapped file** (`FILE_FLAG_OVERLAPPED`): reads at `lpOverlapped`'s offset. If the
/// data is at hand (in the page cache) the read finishes inside the call, which returns
/// `TRUE` with `*lpNumberOfBytesRead` set — or, at the end of the file, `FALSE` with
/// `ERROR_HANDLE_EOF` (38) and no packet — with everything below already done (J102).
/// Otherwise it returns `FALSE` with `ERROR_IO_PENDING` (997) and `*lpNumberOfBytesRead`
/// 0 (J100, J105). `Internal` is `STATUS_PENDING` until the read completes; then the bytes are in `lpBuffer`,
/// `InternalHigh` holds their number and `Internal` the status (`STATUS_END_OF_FILE` at the
/// end of the file: `GetOverlappedResult` then fails with `ERROR_HANDLE_EOF`), and then —
/// never before — `hEvent` is signaled (it is reset when the read starts) and, on a file
/// bound to a completion port, a packet carrying `lpOverlapped` is posted, unless the low
/// bit of `hEvent` is set. The buffer and the `OVERLAPPED` must stay valid until then.
///
/// **Synchronous file**: reads at the file position (or at `lpOverlapped`'s offset, which
/// moves the position), returns when done with `*lpNumberOfBytesRead` set; at the end of
/// the file that is `TRUE` with 0 bytes, or `FALSE` with `ERROR_HANDLE_EOF` (38) when
/// `lpOverlapped` is given (J103). Never runs APCs (J110).
///
/// **Standard handle** (`GetStdHandle`): a blocking read of what descriptor 0, 1 or 2
/// has (at most `nNumberOfBytesToRead` bytes; 0 at the end of the input); synchronous only,
/// so `lpOverlapped` must be `NULL` (`ERROR_INVALID_PARAMETER`, 87).
///
/// # Safety
///
/// `lpBuffer` is valid for writing `nNumberOfBytesToRead` bytes and `lpOverlapped` is
/// `NULL` or a valid, aligned `OVERLAPPED`, both until the read completes;
/// `lpNumberOfBytesRead` is `NULL` or writable.
///
/// # Errors
///
/// `FALSE` with:
/// - `ERROR_IO_PENDING` (997): an overlapped read was started and is in progress (not a
///   failure);
/// - `ERROR_INVALID_HANDLE` (6): not a file, or `hEvent` is not an event (J106);
/// - `ERROR_INVALID_PARAMETER` (87): an overlapped file without `lpOverlapped`, or an
///   offset beyond 2⁶³;
/// - `ERROR_ACCESS_DENIED` (5): the handle lacks `FILE_READ_DATA` (it was not opened with
///   `GENERIC_READ`), or `hEvent` lacks `EVENT_MODIFY_STATE`; checked before any I/O;
/// - `ERROR_HANDLE_EOF` (38): see above;
/// - `ERROR_NOACCESS` (998): a `NULL` buffer with a non-zero length (a `NULL` buffer of
///   length 0 reads nothing and succeeds);
/// - `ERROR_NOT_ENOUGH_MEMORY` (8), or another error of the read as Win32 names it.
///
/// # Win32
///
/// `ReadFile`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ReadFile(
    hFile: HANDLE,
    lpBuffer: LPVOID,
    nNumberOfBytesToRead: DWORD,
    lpNumberOfBytesRead: LPDWORD,
    lpOverlapped: LPOVERLAPPED,
) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller's guarantees, passed on.
        unsafe {
            transfer(
                Direction::Read,
                hFile,
                lpBuffer.cast(),
                nNumberOfBytesToRead,
                lpNumberOfBytesRead,
                lpOverlapped,
                None,
            )
        }
    })
}

/// Writes `nNumberOfBytesToWrite` bytes from `lpBuffer`; as [`ReadFile`] otherwise. The
/// bytes are copied when the call is made, so an overlapped write does not read
/// `lpBuffer` afterwards (Windows may, until completion).
/// On a standard handle it writes all the bytes to the descriptor before it returns.
///
/// # Safety
///
/// `lpBuffer` is valid for reading `nNumberOfBytesToWrite` bytes during the call;
/// `lpOverlapped` is `NULL` or a valid, aligned `OVERLAPPED` until the write completes;
/// `lpNumberOfBytesWritten` is `NULL` or writable.
///
/// # Errors
///
/// As [`ReadFile`], with `ERROR_ACCESS_DENIED` (5) for a handle with neither
/// `FILE_WRITE_DATA` nor `FILE_APPEND_DATA` (not opened with `GENERIC_WRITE`),
/// `ERROR_INVALID_USER_BUFFER` (1784) instead of `ERROR_NOACCESS` for a `NULL` buffer with
/// a non-zero length, as Windows reports it, `ERROR_DISK_FULL` (112) when the disk is full,
/// and no end-of-file error.
///
/// # Win32
///
/// `WriteFile`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WriteFile(
    hFile: HANDLE,
    lpBuffer: LPCVOID,
    nNumberOfBytesToWrite: DWORD,
    lpNumberOfBytesWritten: LPDWORD,
    lpOverlapped: LPOVERLAPPED,
) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller's guarantees, passed on; a write only reads the buffer.
        unsafe {
            transfer(
                Direction::Write,
                hFile,
                lpBuffer.cast_mut().cast(),
                nNumberOfBytesToWrite,
                lpNumberOfBytesWritten,
                lpOverlapped,
                None,
            )
        }
    })
}

/// Reads into `lpBuffer` at `lpOverlapped`'s offset and, when done, queues
/// `lpCompletionRoutine(dwErrorCode, dwNumberOfBytesTransfered, lpOverlapped)` as an APC to
/// the calling thread: it runs in one of that thread's alertable waits, never inside this
/// call, even when the data was at hand (J92, J93, J102) — then the read finishes inside
/// the call, and when it returns the bytes are in `lpBuffer`, the result in the
/// `OVERLAPPED` (`GetOverlappedResult(…, FALSE)` reports it) and the routine queued — in
/// the same FIFO as
/// `QueueUserAPC`'s (J109). The error is 0, `ERROR_HANDLE_EOF` (38) at the end of the file
/// (J101), or `ERROR_OPERATION_ABORTED` (995) when cancelled (J99). By then the bytes are
/// in `lpBuffer` and the result in the `OVERLAPPED`'s `Internal`/`InternalHigh`. `hEvent`
/// is neither used nor signaled: it is the caller's (J94). If the thread exits first, the
/// read is cancelled and the routine never runs (K121).
///
/// On a synchronous file (no `FILE_FLAG_OVERLAPPED`) the read is done at once and no
/// routine is queued, as on Windows (J103).
///
/// # Safety
///
/// `lpBuffer` is valid for writing `nNumberOfBytesToRead` bytes and `lpOverlapped` is a
/// valid, aligned `OVERLAPPED`, both until the routine runs (or the thread exits);
/// `lpCompletionRoutine` is sound to call on the calling thread.
///
/// # Errors
///
/// `FALSE` — and the routine never runs (J97) — with:
/// - `ERROR_INVALID_PARAMETER` (87): `lpOverlapped` is `NULL` (J98), `lpCompletionRoutine`
///   is `NULL` (Windows would call it), the file is bound to a completion port (J108), or
///   an offset beyond 2⁶³;
/// - `ERROR_INVALID_HANDLE` (6), `ERROR_ACCESS_DENIED` (5: no `FILE_READ_DATA`),
///   `ERROR_NOACCESS` (998), `ERROR_NOT_ENOUGH_MEMORY` (8): as [`ReadFile`];
/// - on a synchronous file, the read's own error (`ERROR_HANDLE_EOF` (38) at the end).
///
/// # Win32
///
/// `ReadFileEx`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ReadFileEx(
    hFile: HANDLE,
    lpBuffer: LPVOID,
    nNumberOfBytesToRead: DWORD,
    lpOverlapped: LPOVERLAPPED,
    lpCompletionRoutine: LPOVERLAPPED_COMPLETION_ROUTINE,
) -> BOOL {
    // SAFETY: the caller's guarantees, passed on.
    call(FALSE, || unsafe {
        transfer_ex(
            Direction::Read,
            hFile,
            lpBuffer.cast(),
            nNumberOfBytesToRead,
            lpOverlapped,
            lpCompletionRoutine,
        )
    })
}

/// `ReadFileEx` and `WriteFileEx`: both arguments they add are required
/// (`ERROR_INVALID_PARAMETER`, J98), then a transfer with a routine.
///
/// # Safety
///
/// As [`transfer`].
unsafe fn transfer_ex(
    direction: Direction,
    file: HANDLE,
    buffer: *mut u8,
    len: DWORD,
    overlapped: LPOVERLAPPED,
    routine: LPOVERLAPPED_COMPLETION_ROUTINE,
) -> Result<BOOL> {
    handle::required(overlapped).map_err(|_| Error(ERROR_INVALID_PARAMETER))?;
    let routine = routine.ok_or(Error(ERROR_INVALID_PARAMETER))?;
    // SAFETY: the caller's guarantees, passed on.
    unsafe {
        transfer(
            direction,
            file,
            buffer,
            len,
            core::ptr::null_mut(),
            overlapped,
            Some(routine),
        )
    }
}

/// Writes `lpBuffer` at `lpOverlapped`'s offset and, when done, queues the completion
/// routine as [`ReadFileEx`] does; it gets the number of bytes written (J93). The bytes are
/// copied when the call is made.
///
/// # Safety
///
/// `lpBuffer` is valid for reading `nNumberOfBytesToWrite` bytes during the call;
/// `lpOverlapped` is a valid, aligned `OVERLAPPED` until the routine runs (or the thread
/// exits); `lpCompletionRoutine` is sound to call on the calling thread.
///
/// # Errors
///
/// As [`ReadFileEx`], with `ERROR_ACCESS_DENIED` (5) for a handle with neither
/// `FILE_WRITE_DATA` nor `FILE_APPEND_DATA`, and `ERROR_INVALID_USER_BUFFER` (1784) for a
/// `NULL` buffer with a non-zero length.
///
/// # Win32
///
/// `WriteFileEx`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WriteFileEx(
    hFile: HANDLE,
    lpBuffer: LPCVOID,
    nNumberOfBytesToWrite: DWORD,
    lpOverlapped: LPOVERLAPPED,
    lpCompletionRoutine: LPOVERLAPPED_COMPLETION_ROUTINE,
) -> BOOL {
    // SAFETY: the caller's guarantees, passed on; a write only reads the buffer.
    call(FALSE, || unsafe {
        transfer_ex(
            Direction::Write,
            hFile,
            lpBuffer.cast_mut().cast(),
            nNumberOfBytesToWrite,
            lpOverlapped,
            lpCompletionRoutine,
        )
    })
}
