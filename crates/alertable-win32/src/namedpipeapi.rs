//! Pipes: `CreatePipe`, `CreateNamedPipeW`, `ConnectNamedPipe`, `DisconnectNamedPipe`,
//! `WaitNamedPipeW`, `SetNamedPipeHandleState`, `GetNamedPipeInfo`, `PeekNamedPipe`,
//! `TransactNamedPipe`, `CallNamedPipeW` (the A forms are in `winbase/pipes.rs`), and the
//! client side of `CreateFile` on `\\.\pipe\<name>`.
//!
//! A pipe handle is a file handle (`fileapi/file.rs`) whose file is a pipe of
//! `alertable_io::pipe`: opened with `FILE_FLAG_OVERLAPPED`, its requests — reads,
//! writes, `ConnectNamedPipe`, `TransactNamedPipe` — go through the overlapped machinery
//! of `overlapped.rs` (events, completion routines, ports, `CancelIo(Ex)`,
//! `GetOverlappedResult`, the handle signaled on completion); without it, each call waits
//! for its request, not alertably (J110). A message read in part completes with
//! `ERROR_MORE_DATA` (234, `STATUS_BUFFER_OVERFLOW` in `Internal`) and the bytes that fit.
//!
//! Pipes carry data between threads and between processes of the same user; the
//! carrier, and what differs from Windows, is described in `namedpipeapi.h` and in
//! `alertable_io::pipe`.

use std::time::Duration;

use alertable::Event;
use alertable_io::IoError;
use alertable_io::pipe::{
    self, NamedPipe, PipeAccess, PipeEnd, PipeOptions, PipeType, PipeWait, ReadMode,
};

use crate::consts::{
    ERROR_INVALID_NAME, ERROR_INVALID_PARAMETER, EVENT_MODIFY_STATE, FALSE,
    FILE_FLAG_FIRST_PIPE_INSTANCE, FILE_FLAG_OVERLAPPED, FILE_READ_DATA, FILE_WRITE_DATA,
    GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE, NMPWAIT_USE_DEFAULT_WAIT,
    NMPWAIT_WAIT_FOREVER, PIPE_ACCESS_DUPLEX, PIPE_ACCESS_INBOUND, PIPE_ACCESS_OUTBOUND,
    PIPE_NOWAIT, PIPE_READMODE_MESSAGE, PIPE_REJECT_REMOTE_CLIENTS, PIPE_SERVER_END,
    PIPE_TYPE_MESSAGE, PIPE_UNLIMITED_INSTANCES, SYNCHRONIZE, TRUE,
};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::fileapi::file::{self, FileObject};
use crate::handle::{self, Object};
use crate::overlapped::{Action, Destination, OverlappedRef};
use crate::strings;
use crate::types::{
    BOOL, DWORD, HANDLE, LPCWSTR, LPDWORD, LPOVERLAPPED, LPSECURITY_ATTRIBUTES, LPVOID, PHANDLE,
};

/// Whether `path` names a pipe: `\\.\pipe\` and a name, case-insensitive.
pub(crate) fn is_pipe_name(path: &str) -> bool {
    const PREFIX: &str = r"\\.\pipe\";
    path.len() > PREFIX.len()
        && path
            .get(..PREFIX.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(PREFIX))
}

fn io_error(e: IoError) -> Error {
    Error(e.win32_error())
}

/// `CreateFile` on a pipe name: the client end, with the rights `granted`.
pub(crate) fn open_client(name: &str, granted: DWORD, flags: DWORD) -> Result<HANDLE> {
    let access = match (
        granted & FILE_READ_DATA != 0,
        granted & FILE_WRITE_DATA != 0,
    ) {
        (true, true) => PipeAccess::Duplex,
        (false, true) => PipeAccess::Outbound,
        // A client that neither reads nor writes still connects; it reads nothing.
        _ => PipeAccess::Inbound,
    };
    let client = pipe::open(name, access).map_err(io_error)?;
    file::pipe_handle(client, None, flags & FILE_FLAG_OVERLAPPED != 0, granted)
}

/// The pipe end behind a handle.
fn pipe_object(handle: HANDLE) -> Result<std::sync::Arc<FileObject>> {
    let object = handle::with_access(handle, 0, Object::into_file)?;
    if object.pipe().is_none() {
        return Err(Error(ERROR_INVALID_PARAMETER));
    }
    Ok(object)
}

/// The pipe end of a pipe object (checked by [`pipe_object`]).
fn end_of(object: &FileObject) -> Result<&file::PipeEnd> {
    object.pipe().ok_or(Error(ERROR_INVALID_PARAMETER))
}

// ---------------------------------------------------------------------------------------
// Creating.

/// The body of `CreateNamedPipeA/W`.
pub(crate) fn create_named_pipe(
    name: Option<String>,
    open_mode: DWORD,
    pipe_mode: DWORD,
    max_instances: DWORD,
    out_buffer_size: DWORD,
    in_buffer_size: DWORD,
    default_timeout: DWORD,
) -> Result<HANDLE> {
    let name = name.ok_or(Error(ERROR_INVALID_NAME))?;
    let access = match open_mode & PIPE_ACCESS_DUPLEX {
        PIPE_ACCESS_INBOUND => PipeAccess::Inbound,
        PIPE_ACCESS_OUTBOUND => PipeAccess::Outbound,
        PIPE_ACCESS_DUPLEX => PipeAccess::Duplex,
        _ => return Err(Error(ERROR_INVALID_PARAMETER)),
    };
    let known = PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_REJECT_REMOTE_CLIENTS;
    if pipe_mode & PIPE_NOWAIT != 0 || pipe_mode & !known != 0 {
        return Err(Error(ERROR_INVALID_PARAMETER));
    }
    let max_instances = match max_instances {
        PIPE_UNLIMITED_INSTANCES => None,
        1..=254 => Some(max_instances),
        _ => return Err(Error(ERROR_INVALID_PARAMETER)),
    };
    let options = PipeOptions {
        access,
        pipe_type: if pipe_mode & PIPE_TYPE_MESSAGE != 0 {
            PipeType::Message
        } else {
            PipeType::Byte
        },
        read_mode: if pipe_mode & PIPE_READMODE_MESSAGE != 0 {
            ReadMode::Message
        } else {
            ReadMode::Byte
        },
        max_instances,
        out_buffer_size,
        in_buffer_size,
        // 0: Windows' default of 50 ms.
        default_timeout: Duration::from_millis(match default_timeout {
            0 => 50,
            ms => u64::from(ms),
        }),
        first_instance: open_mode & FILE_FLAG_FIRST_PIPE_INSTANCE != 0,
    };
    let server = NamedPipe::create(&name, &options).map_err(io_error)?;
    let mut desired = SYNCHRONIZE;
    if access != PipeAccess::Outbound {
        desired |= GENERIC_READ;
    }
    if access != PipeAccess::Inbound {
        desired |= GENERIC_WRITE;
    }
    let granted = handle::grant_file(desired)?;
    let file = server.file().clone();
    file::pipe_handle(
        file,
        Some(server),
        open_mode & FILE_FLAG_OVERLAPPED != 0,
        granted,
    )
}

/// Creates an instance of the named pipe `lpName` (`\\.\pipe\<name>`), listening for a
/// client: a client may open it from now on, before `ConnectNamedPipe`.
///
/// - `dwOpenMode`: `PIPE_ACCESS_INBOUND`, `PIPE_ACCESS_OUTBOUND` or `PIPE_ACCESS_DUPLEX`,
///   with `FILE_FLAG_OVERLAPPED` for overlapped I/O and `FILE_FLAG_FIRST_PIPE_INSTANCE`
///   to fail if the name exists; other flags are ignored.
/// - `dwPipeMode`: `PIPE_TYPE_BYTE` or `PIPE_TYPE_MESSAGE`, `PIPE_READMODE_BYTE` or
///   `PIPE_READMODE_MESSAGE`, `PIPE_WAIT`; `PIPE_REJECT_REMOTE_CLIENTS` is accepted.
/// - `nMaxInstances`: 1 to 254, or `PIPE_UNLIMITED_INSTANCES`.
/// - `nDefaultTimeOut`: what `WaitNamedPipe(…, NMPWAIT_USE_DEFAULT_WAIT)` waits (0: 50 ms).
///
/// The buffer sizes are advisory; `lpSecurityAttributes` is ignored.
///
/// # Safety
///
/// `lpName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// `INVALID_HANDLE_VALUE` with `ERROR_INVALID_NAME` (123: not a pipe name),
/// `ERROR_INVALID_PARAMETER` (87: an unknown access or mode, `PIPE_NOWAIT`, message read
/// mode on a byte pipe, 0 or more than 255 instances), `ERROR_PIPE_BUSY` (231: the name
/// has its most instances), `ERROR_ACCESS_DENIED` (5: `FILE_FLAG_FIRST_PIPE_INSTANCE` and
/// the name exists, or the user's pipe directory is not the user's own).
///
/// # Win32
///
/// `CreateNamedPipeW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateNamedPipeW(
    lpName: LPCWSTR,
    dwOpenMode: DWORD,
    dwPipeMode: DWORD,
    nMaxInstances: DWORD,
    nOutBufferSize: DWORD,
    nInBufferSize: DWORD,
    nDefaultTimeOut: DWORD,
    lpSecurityAttributes: LPSECURITY_ATTRIBUTES,
) -> HANDLE {
    let _ = lpSecurityAttributes;
    call(INVALID_HANDLE_VALUE, || {
        // SAFETY: the caller guarantees `lpName`.
        let name = unsafe { strings::wide_string(lpName) }?;
        create_named_pipe(
            name,
            dwOpenMode,
            dwPipeMode,
            nMaxInstances,
            nOutBufferSize,
            nInBufferSize,
            nDefaultTimeOut,
        )
    })
}

/// Creates an anonymous pipe: `*hReadPipe` reads what `*hWritePipe` writes, a byte stream.
/// Both handles are synchronous (no `FILE_FLAG_OVERLAPPED`): their reads and writes wait,
/// not alertably (J110). `nSize` is the buffer size asked for (0: the default).
///
/// # Safety
///
/// `hReadPipe` and `hWritePipe` are writable.
///
/// # Errors
///
/// `FALSE` with `ERROR_NOACCESS` (998) for a `NULL` output, `ERROR_TOO_MANY_OPEN_FILES`
/// (4) or `ERROR_NO_SYSTEM_RESOURCES` (1450).
///
/// # Win32
///
/// `CreatePipe`; `lpPipeAttributes` (inheritance) is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreatePipe(
    hReadPipe: PHANDLE,
    hWritePipe: PHANDLE,
    lpPipeAttributes: LPSECURITY_ATTRIBUTES,
    nSize: DWORD,
) -> BOOL {
    let _ = lpPipeAttributes;
    call(FALSE, || {
        handle::required(hReadPipe)?;
        handle::required(hWritePipe)?;
        let (read, write) = pipe::anonymous(nSize).map_err(io_error)?;
        let read = file::pipe_handle(
            read,
            None,
            false,
            handle::grant_file(GENERIC_READ | SYNCHRONIZE)?,
        )?;
        let write = match file::pipe_handle(
            write,
            None,
            false,
            handle::grant_file(GENERIC_WRITE | SYNCHRONIZE)?,
        ) {
            Ok(write) => write,
            Err(e) => {
                let _ = crate::handleapi::CloseHandle(read);
                return Err(e);
            }
        };
        // SAFETY: the caller guarantees both outputs are writable; checked non-NULL.
        unsafe {
            hReadPipe.write(read);
            hWritePipe.write(write);
        }
        Ok(TRUE)
    })
}

// ---------------------------------------------------------------------------------------
// Connecting.

/// The event an `OVERLAPPED` names, for the pipe calls (as `ReadFile` takes it).
fn event_of(handle: HANDLE) -> Result<Option<(Event, bool)>> {
    if handle.is_null() {
        return Ok(None);
    }
    let event = handle::real_with_access(handle, EVENT_MODIFY_STATE, Object::into_event)?;
    Ok(Some((event, handle.addr() & 1 != 0)))
}

/// Waits for a client on the server instance `hNamedPipe`.
///
/// **Overlapped handle**: needs `lpOverlapped`; returns `FALSE` with `ERROR_IO_PENDING`
/// (997) and completes when a client opens the pipe (the `OVERLAPPED` holds 0 bytes, its
/// event is signaled, a packet goes to the handle's completion port), or with
/// `ERROR_OPERATION_ABORTED` when cancelled (J113).
/// **Synchronous handle**: returns when a client has opened the pipe (never runs APCs,
/// J110).
///
/// Either way, a client that opened the pipe before this call makes it return `FALSE`
/// with `ERROR_PIPE_CONNECTED` (535) at once, with nothing queued and the event left as
/// it was (J113): the pipe is ready. An instance disconnected by `DisconnectNamedPipe`
/// listens again.
///
/// # Safety
///
/// `lpOverlapped` is `NULL` or a valid, aligned `OVERLAPPED` until the connect completes.
///
/// # Errors
///
/// `FALSE` with `ERROR_PIPE_CONNECTED` (535), `ERROR_IO_PENDING` (997) as above;
/// `ERROR_INVALID_HANDLE` (6); `ERROR_INVALID_PARAMETER` (87: not a server end, or an
/// overlapped handle without `lpOverlapped`).
///
/// # Win32
///
/// `ConnectNamedPipe`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ConnectNamedPipe(hNamedPipe: HANDLE, lpOverlapped: LPOVERLAPPED) -> BOOL {
    call(FALSE, || {
        let object = pipe_object(hNamedPipe)?;
        let server = end_of(&object)?
            .server
            .as_ref()
            .ok_or(Error(ERROR_INVALID_PARAMETER))?;
        let ov = (!lpOverlapped.is_null()).then(|| OverlappedRef::new(lpOverlapped));
        let Some(inner) = file::overlapped_side(&object) else {
            let op = server.connect().map_err(io_error)?;
            op.result(true).map_err(io_error)?;
            return Ok(TRUE);
        };
        let ov = ov.ok_or(Error(ERROR_INVALID_PARAMETER))?;
        // SAFETY: the caller guarantees a readable OVERLAPPED.
        let event = event_of(unsafe { ov.event() })?;
        // SAFETY: the caller guarantees the OVERLAPPED until the connect completes.
        unsafe {
            file::issue_overlapped(
                &object,
                inner,
                Action::Connect(server),
                Vec::new(),
                None,
                ov,
                event,
                None,
                core::ptr::null_mut(),
            )
        }
    })
}

/// Ends the server instance's connection with its client: the client's reads then find
/// the pipe broken, the instance's pending requests complete with
/// `ERROR_PIPE_NOT_CONNECTED` (233), and unread data is dropped. The next
/// `ConnectNamedPipe` takes a new client.
///
/// # Errors
///
/// `FALSE` with `ERROR_PIPE_LISTENING` (536: no client came yet), `ERROR_PIPE_NOT_CONNECTED`
/// (233: already disconnected), `ERROR_INVALID_HANDLE` (6), `ERROR_INVALID_PARAMETER` (87:
/// not a server end).
///
/// # Win32
///
/// `DisconnectNamedPipe`; the client then sees `ERROR_BROKEN_PIPE` where Windows reports
/// `ERROR_PIPE_NOT_CONNECTED`.
#[unsafe(no_mangle)]
pub extern "C" fn DisconnectNamedPipe(hNamedPipe: HANDLE) -> BOOL {
    call(FALSE, || {
        let object = pipe_object(hNamedPipe)?;
        let server = end_of(&object)?
            .server
            .as_ref()
            .ok_or(Error(ERROR_INVALID_PARAMETER))?;
        server.disconnect().map_err(io_error)?;
        Ok(TRUE)
    })
}

/// The body of `WaitNamedPipeA/W`.
pub(crate) fn wait_named_pipe(name: Option<String>, timeout: DWORD) -> Result<BOOL> {
    let name = name.ok_or(Error(ERROR_INVALID_NAME))?;
    let wait = match timeout {
        NMPWAIT_USE_DEFAULT_WAIT => PipeWait::Default,
        NMPWAIT_WAIT_FOREVER => PipeWait::Forever,
        ms => PipeWait::For(Duration::from_millis(u64::from(ms))),
    };
    pipe::wait(&name, wait).map_err(io_error)?;
    Ok(TRUE)
}

/// Waits until an instance of the pipe `lpNamedPipeName` listens for a client, or
/// `nTimeOut` milliseconds pass (`NMPWAIT_USE_DEFAULT_WAIT`: the server's default timeout;
/// `NMPWAIT_WAIT_FOREVER`). It does not take the instance: open it with `CreateFile`, and
/// expect another client to be faster sometimes (`ERROR_PIPE_BUSY`). Never runs APCs.
///
/// # Safety
///
/// `lpNamedPipeName` is `NULL` or a valid NUL-terminated wide string.
///
/// # Errors
///
/// `FALSE` with `ERROR_SEM_TIMEOUT` (121), `ERROR_FILE_NOT_FOUND` (2: no instance of the
/// name), `ERROR_INVALID_NAME` (123).
///
/// # Win32
///
/// `WaitNamedPipeW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WaitNamedPipeW(lpNamedPipeName: LPCWSTR, nTimeOut: DWORD) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller guarantees `lpNamedPipeName`.
        let name = unsafe { strings::wide_string(lpNamedPipeName) }?;
        wait_named_pipe(name, nTimeOut)
    })
}

// ---------------------------------------------------------------------------------------
// State and information.

/// Sets the read mode of this end of a pipe: `*lpMode` is `PIPE_READMODE_BYTE` or
/// `PIPE_READMODE_MESSAGE`, with `PIPE_WAIT`. The collection arguments are for remote
/// pipes and must be `NULL`.
///
/// # Safety
///
/// Each pointer is `NULL` or readable.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_PARAMETER` (87: `PIPE_NOWAIT`, unknown bits, message mode on
/// a byte pipe, a collection argument), `ERROR_INVALID_HANDLE` (6).
///
/// # Win32
///
/// `SetNamedPipeHandleState`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetNamedPipeHandleState(
    hNamedPipe: HANDLE,
    lpMode: LPDWORD,
    lpMaxCollectionCount: LPDWORD,
    lpCollectDataTimeout: LPDWORD,
) -> BOOL {
    call(FALSE, || {
        let object = pipe_object(hNamedPipe)?;
        if !lpMaxCollectionCount.is_null() || !lpCollectDataTimeout.is_null() {
            return Err(Error(ERROR_INVALID_PARAMETER));
        }
        if lpMode.is_null() {
            return Ok(TRUE);
        }
        // SAFETY: the caller guarantees a non-NULL `lpMode` is readable.
        let mode = unsafe { lpMode.read() };
        if mode & !PIPE_READMODE_MESSAGE != 0 {
            return Err(Error(ERROR_INVALID_PARAMETER));
        }
        let read_mode = if mode & PIPE_READMODE_MESSAGE != 0 {
            ReadMode::Message
        } else {
            ReadMode::Byte
        };
        end_of(&object)?
            .file
            .set_read_mode(read_mode)
            .map_err(io_error)?;
        Ok(TRUE)
    })
}

/// Writes `value` to `out` unless it is `NULL`.
///
/// # Safety
///
/// `out` is `NULL` or writable.
unsafe fn put(out: LPDWORD, value: DWORD) {
    if !out.is_null() {
        // SAFETY: the caller's guarantee.
        unsafe { out.write(value) };
    }
}

/// Reports which end `hNamedPipe` is and the pipe's type (`*lpFlags`: `PIPE_SERVER_END` or
/// `PIPE_CLIENT_END`, with `PIPE_TYPE_MESSAGE`), buffer sizes and most instances
/// (`PIPE_UNLIMITED_INSTANCES` for no limit). `NULL` outputs are skipped.
///
/// # Safety
///
/// Each output is `NULL` or writable.
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6), `ERROR_INVALID_PARAMETER` (87: not a pipe).
///
/// # Win32
///
/// `GetNamedPipeInfo`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetNamedPipeInfo(
    hNamedPipe: HANDLE,
    lpFlags: LPDWORD,
    lpOutBufferSize: LPDWORD,
    lpInBufferSize: LPDWORD,
    lpMaxInstances: LPDWORD,
) -> BOOL {
    call(FALSE, || {
        let object = pipe_object(hNamedPipe)?;
        let info = end_of(&object)?.file.pipe_info().map_err(io_error)?;
        let mut flags = 0;
        if info.end == PipeEnd::Server {
            flags |= PIPE_SERVER_END;
        }
        if info.pipe_type == PipeType::Message {
            flags |= PIPE_TYPE_MESSAGE;
        }
        // SAFETY: the caller guarantees each output is NULL or writable.
        unsafe {
            put(lpFlags, flags);
            put(lpOutBufferSize, info.out_buffer_size);
            put(lpInBufferSize, info.in_buffer_size);
            put(
                lpMaxInstances,
                info.max_instances.unwrap_or(PIPE_UNLIMITED_INSTANCES),
            );
        }
        Ok(TRUE)
    })
}

/// Copies up to `nBufferSize` bytes waiting in the pipe into `lpBuffer` without taking
/// them, and reports the bytes copied, all the bytes waiting, and (message pipes) the bytes
/// of the current message beyond those copied. Works on both ends and on anonymous pipes;
/// never waits.
///
/// # Safety
///
/// `lpBuffer` is `NULL` or writable for `nBufferSize` bytes; each output is `NULL` or
/// writable.
///
/// # Errors
///
/// `FALSE` with `ERROR_BROKEN_PIPE` (109: nothing left and the other end gone),
/// `ERROR_PIPE_LISTENING` (536), `ERROR_PIPE_NOT_CONNECTED` (233), `ERROR_INVALID_HANDLE`
/// (6), `ERROR_INVALID_PARAMETER` (87: not a pipe).
///
/// # Win32
///
/// `PeekNamedPipe`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn PeekNamedPipe(
    hNamedPipe: HANDLE,
    lpBuffer: LPVOID,
    nBufferSize: DWORD,
    lpBytesRead: LPDWORD,
    lpTotalBytesAvail: LPDWORD,
    lpBytesLeftThisMessage: LPDWORD,
) -> BOOL {
    call(FALSE, || {
        let object = pipe_object(hNamedPipe)?;
        let max = if lpBuffer.is_null() {
            0
        } else {
            nBufferSize as usize
        };
        let peeked = end_of(&object)?.file.peek_pipe(max).map_err(io_error)?;
        let dword = |n: usize| DWORD::try_from(n).unwrap_or(DWORD::MAX);
        // SAFETY: the caller guarantees the buffer for `nBufferSize` bytes (at least
        // `peeked.data.len()`) and each output NULL or writable.
        unsafe {
            if !peeked.data.is_empty() {
                Destination::new(lpBuffer.cast(), max).fill(&peeked.data);
            }
            put(lpBytesRead, dword(peeked.data.len()));
            put(lpTotalBytesAvail, dword(peeked.available));
            put(lpBytesLeftThisMessage, dword(peeked.left_in_message));
        }
        Ok(TRUE)
    })
}

// ---------------------------------------------------------------------------------------
// Transactions.

/// Writes `nInBufferSize` bytes of `lpInBuffer` as one message and reads the reply into
/// `lpOutBuffer`, as one request; the handle must read in message mode. A reply longer
/// than `nOutBufferSize` gives its first part with `ERROR_MORE_DATA` (234); `ReadFile` gets
/// the rest. Overlapped handles need `lpOverlapped` and complete as `ReadFile` does;
/// synchronous ones wait, not alertably.
///
/// # Safety
///
/// `lpInBuffer` is readable for `nInBufferSize` bytes during the call; `lpOutBuffer` is
/// writable for `nOutBufferSize` bytes and `lpOverlapped` is `NULL` or a valid, aligned
/// `OVERLAPPED`, until the transaction completes; `lpBytesRead` is `NULL` or writable.
///
/// # Errors
///
/// `FALSE` with `ERROR_BAD_PIPE` (230: byte read mode), `ERROR_IO_PENDING` (997),
/// `ERROR_MORE_DATA` (234), `ERROR_NO_DATA` (232), `ERROR_BROKEN_PIPE` (109),
/// `ERROR_INVALID_HANDLE` (6), `ERROR_INVALID_PARAMETER` (87).
///
/// # Win32
///
/// `TransactNamedPipe`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn TransactNamedPipe(
    hNamedPipe: HANDLE,
    lpInBuffer: LPVOID,
    nInBufferSize: DWORD,
    lpOutBuffer: LPVOID,
    nOutBufferSize: DWORD,
    lpBytesRead: LPDWORD,
    lpOverlapped: LPOVERLAPPED,
) -> BOOL {
    call(FALSE, || {
        if !lpBytesRead.is_null() {
            // SAFETY: the caller guarantees a non-NULL `lpBytesRead` is writable.
            unsafe { lpBytesRead.write(0) };
        }
        let object = pipe_object(hNamedPipe)?;
        let end = end_of(&object)?;
        let message = if nInBufferSize == 0 {
            Vec::new()
        } else {
            handle::required(lpInBuffer)?;
            // SAFETY: the caller guarantees `nInBufferSize` readable bytes.
            unsafe { core::slice::from_raw_parts(lpInBuffer.cast::<u8>(), nInBufferSize as usize) }
                .to_vec()
        };
        let len = nOutBufferSize as usize;
        if lpOutBuffer.is_null() && len > 0 {
            return Err(Error(crate::consts::ERROR_NOACCESS));
        }
        let destination = Destination::new(lpOutBuffer.cast(), len);
        let ov = (!lpOverlapped.is_null()).then(|| OverlappedRef::new(lpOverlapped));
        let Some(inner) = file::overlapped_side(&object) else {
            let op = end
                .file
                .transact(message, vec![0; len])
                .map_err(|e| Error(e.win32_error()))?;
            // SAFETY: the caller's guarantees, for a transaction that ends within this call.
            return unsafe { file::finish_now(op, Some(destination), ov, None, lpBytesRead) };
        };
        let ov = ov.ok_or(Error(ERROR_INVALID_PARAMETER))?;
        // SAFETY: the caller guarantees a readable OVERLAPPED.
        let event = event_of(unsafe { ov.event() })?;
        // SAFETY: the caller guarantees the OVERLAPPED and the output until completion.
        unsafe {
            file::issue_overlapped(
                &object,
                inner,
                Action::Transact(message),
                vec![0; len],
                Some(destination),
                ov,
                event,
                None,
                lpBytesRead,
            )
        }
    })
}

/// The body of `CallNamedPipeA/W`: open (waiting up to `timeout` while every instance is
/// busy), switch to message mode, transact, close.
///
/// # Safety
///
/// As [`CallNamedPipeW`], for the buffers.
pub(crate) unsafe fn call_named_pipe(
    name: Option<String>,
    input: LPVOID,
    input_len: DWORD,
    output: LPVOID,
    output_len: DWORD,
    read: LPDWORD,
    timeout: DWORD,
) -> Result<BOOL> {
    let name = name.ok_or(Error(ERROR_INVALID_NAME))?;
    let client = loop {
        match pipe::open(&name, PipeAccess::Duplex) {
            Ok(client) => break client,
            Err(IoError::PipeBusy) => {
                wait_named_pipe(Some(name.clone()), timeout)?;
            }
            Err(e) => return Err(io_error(e)),
        }
    };
    client.set_read_mode(ReadMode::Message).map_err(io_error)?;
    let message = if input_len == 0 {
        Vec::new()
    } else {
        handle::required(input)?;
        // SAFETY: the caller guarantees `input_len` readable bytes.
        unsafe { core::slice::from_raw_parts(input.cast::<u8>(), input_len as usize) }.to_vec()
    };
    let len = output_len as usize;
    if output.is_null() && len > 0 {
        return Err(Error(crate::consts::ERROR_NOACCESS));
    }
    let op = client
        .transact(message, vec![0; len])
        .map_err(|e| Error(e.win32_error()))?;
    // SAFETY: the caller's guarantees, for a transaction that ends within this call.
    unsafe {
        file::finish_now(
            op,
            Some(Destination::new(output.cast(), len)),
            None,
            None,
            read,
        )
    }
}

/// Opens the message pipe `lpNamedPipeName` (waiting up to `nTimeOut` milliseconds, as
/// `WaitNamedPipe`, while every instance is busy), writes `lpInBuffer` as one message,
/// reads the reply into `lpOutBuffer`, and closes the pipe. Never runs APCs.
///
/// # Safety
///
/// `lpNamedPipeName` is `NULL` or a valid NUL-terminated wide string; `lpInBuffer` is
/// readable for `nInBufferSize` bytes, `lpOutBuffer` writable for `nOutBufferSize` bytes,
/// and `lpBytesRead` `NULL` or writable, during the call.
///
/// # Errors
///
/// `FALSE` with the errors of `CreateFile` on the pipe (`ERROR_FILE_NOT_FOUND` (2),
/// `ERROR_PIPE_BUSY` (231)), `WaitNamedPipe` (`ERROR_SEM_TIMEOUT` (121)),
/// `SetNamedPipeHandleState` (87 for a byte pipe) and `TransactNamedPipe`
/// (`ERROR_MORE_DATA` (234) with the part of the reply that fit).
///
/// # Win32
///
/// `CallNamedPipeW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CallNamedPipeW(
    lpNamedPipeName: LPCWSTR,
    lpInBuffer: LPVOID,
    nInBufferSize: DWORD,
    lpOutBuffer: LPVOID,
    nOutBufferSize: DWORD,
    lpBytesRead: LPDWORD,
    nTimeOut: DWORD,
) -> BOOL {
    call(FALSE, || {
        // SAFETY: the caller guarantees `lpNamedPipeName` and the buffers.
        unsafe {
            let name = strings::wide_string(lpNamedPipeName)?;
            call_named_pipe(
                name,
                lpInBuffer,
                nInBufferSize,
                lpOutBuffer,
                nOutBufferSize,
                lpBytesRead,
                nTimeOut,
            )
        }
    })
}
