//! I/O completion ports: `CreateIoCompletionPort`, `GetQueuedCompletionStatus(Ex)`,
//! `PostQueuedCompletionStatus`.
//!
//! A port handle names an `alertable-io` [`CompletionPort`], which keeps Windows' rules:
//! packets leave FIFO (L127), the thread that began waiting last is served first (L130),
//! a thread in `GetQueuedCompletionStatus` takes a packet before threads merely waiting on
//! the port handle (L129), and a pending packet beats a pending APC only for a thread that
//! took its last packet from this port (L125, L126). The port handle is waitable: it is
//! signaled while packets are queued, and a wait on it consumes nothing (L128).
//!
//! A packet's `lpOverlapped` is the `OVERLAPPED` pointer of the file request that
//! completed, or whatever `PostQueuedCompletionStatus` was given, returned unchanged (O3 in
//! `overlapped.rs`). Closing the port's last handle closes the port: threads waiting in
//! `GetQueuedCompletionStatus(Ex)` fail with `ERROR_ABANDONED_WAIT_0`, threads waiting on
//! the handle return `WAIT_OBJECT_0` (L131), queued packets are dropped, and files bound to
//! it complete their requests with no packet.

use std::sync::Arc;

use alertable_io::{CompletionPacket, CompletionPort, PortError};

use crate::consts::{
    ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, FALSE, INVALID_HANDLE_VALUE,
    IO_COMPLETION_MODIFY_STATE, TRUE,
};
use crate::error::{Error, Result};
use crate::ffi::{call, call_alertable};
use crate::handle::{self, Entry, Guard, Object};
use crate::overlapped::status_of;
use crate::synchapi::wait::{alertable, timeout};
use crate::types::{
    BOOL, DWORD, HANDLE, LPDWORD, LPOVERLAPPED, LPOVERLAPPED_ENTRY, OVERLAPPED_ENTRY, PULONG,
    PULONG_PTR, ULONG, ULONG_PTR,
};

/// The guard of a port's handles (H5): closing the last one closes the port.
struct LastHandle(CompletionPort);

impl Drop for LastHandle {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// A new handle to a new port.
fn new_port(concurrency: DWORD) -> Result<(HANDLE, CompletionPort)> {
    let port = CompletionPort::new(concurrency);
    let guard: Guard = Arc::new(LastHandle(port.clone()));
    let handle = handle::insert(Entry::guarded(Object::Port(port.clone()), guard))
        .map_err(|(error, _entry)| error)?;
    Ok((handle, port))
}

fn port_error(error: PortError) -> Error {
    Error(error.win32_error())
}

/// The `LPOVERLAPPED` a packet carries.
fn overlapped_of(packet: &CompletionPacket) -> LPOVERLAPPED {
    core::ptr::with_exposed_provenance_mut(packet.token)
}

/// Creates a completion port, binds a file to one, or both.
///
/// - `FileHandle` `INVALID_HANDLE_VALUE`: creates a port that lets
///   `NumberOfConcurrentThreads` threads run at a time (0: as many as there are CPUs) and
///   returns its handle; `ExistingCompletionPort` must be `NULL`, `CompletionKey` is ignored.
/// - `FileHandle` a file opened with `FILE_FLAG_OVERLAPPED`: binds it with `CompletionKey`
///   to `ExistingCompletionPort` and returns that handle, or to a new port whose handle is
///   returned if `ExistingCompletionPort` is `NULL`. From then on every `ReadFile`/
///   `WriteFile` on the file (through any of its handles) also completes as a packet on the
///   port, carrying the key, the bytes and the request's `OVERLAPPED` (L132); requests
///   issued before keep their way of completing. A file is bound once.
///
/// # Errors
///
/// `NULL` with:
/// - `ERROR_INVALID_HANDLE` (6): `FileHandle` is not a file, or `ExistingCompletionPort`
///   is not a port;
/// - `ERROR_ACCESS_DENIED` (5): `ExistingCompletionPort` lacks `IO_COMPLETION_MODIFY_STATE`;
/// - `ERROR_INVALID_PARAMETER` (87): the file is synchronous (L132) or already bound, or
///   `ExistingCompletionPort` is given with `INVALID_HANDLE_VALUE`;
/// - `ERROR_NO_SYSTEM_RESOURCES` (1450): the handle table is full.
///
/// # Win32
///
/// `CreateIoCompletionPort`.
#[unsafe(no_mangle)]
pub extern "C" fn CreateIoCompletionPort(
    FileHandle: HANDLE,
    ExistingCompletionPort: HANDLE,
    CompletionKey: ULONG_PTR,
    NumberOfConcurrentThreads: DWORD,
) -> HANDLE {
    call(core::ptr::null_mut(), || {
        if FileHandle == INVALID_HANDLE_VALUE {
            if !ExistingCompletionPort.is_null() {
                return Err(Error(ERROR_INVALID_PARAMETER));
            }
            return new_port(NumberOfConcurrentThreads).map(|(handle, _)| handle);
        }
        let file = handle::real_object(FileHandle)?.into_file()?;
        if ExistingCompletionPort.is_null() {
            let (handle, port) = new_port(NumberOfConcurrentThreads)?;
            if let Err(error) = file.bind(&port, CompletionKey) {
                drop(handle::remove(handle));
                return Err(error);
            }
            return Ok(handle);
        }
        let port = handle::real_with_access(
            ExistingCompletionPort,
            IO_COMPLETION_MODIFY_STATE,
            Object::into_port,
        )?;
        file.bind(&port, CompletionKey)?;
        Ok(ExistingCompletionPort)
    })
}

/// Takes a packet from the port, waiting up to `dwMilliseconds` for one; not alertable.
///
/// With a packet: writes its bytes, key and `OVERLAPPED` pointer, and returns `TRUE` — or,
/// for a request that failed, `FALSE` with its error (`ERROR_HANDLE_EOF`,
/// `ERROR_OPERATION_ABORTED`, …) and the three outputs written all the same (L127). Without
/// one: `FALSE` with `*lpOverlapped` set to `NULL` (L123).
///
/// # Safety
///
/// The three output pointers are `NULL` or writable.
///
/// # Errors
///
/// `FALSE` with:
/// - the failed request's error, with the outputs written (see above);
/// - `WAIT_TIMEOUT` (258): no packet in time (L123);
/// - `ERROR_ABANDONED_WAIT_0` (735): the port's last handle was closed (L131);
/// - `ERROR_INVALID_HANDLE` (6): not a port;
/// - `ERROR_ACCESS_DENIED` (5): the handle lacks `IO_COMPLETION_MODIFY_STATE`;
/// - `ERROR_NOACCESS` (998): an output pointer is `NULL` (Windows crashes).
///
/// # Win32
///
/// `GetQueuedCompletionStatus`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetQueuedCompletionStatus(
    CompletionPort: HANDLE,
    lpNumberOfBytesTransferred: LPDWORD,
    lpCompletionKey: PULONG_PTR,
    lpOverlapped: *mut LPOVERLAPPED,
    dwMilliseconds: DWORD,
) -> BOOL {
    call(FALSE, || {
        let port = handle::real_with_access(
            CompletionPort,
            IO_COMPLETION_MODIFY_STATE,
            Object::into_port,
        )?;
        let bytes = handle::required(lpNumberOfBytesTransferred)?.cast_mut();
        let key = handle::required(lpCompletionKey)?.cast_mut();
        let overlapped = handle::required(lpOverlapped)?.cast_mut();
        let packet = match port.get(timeout(dwMilliseconds)) {
            Ok(packet) => packet,
            Err(error) => {
                // SAFETY: non-NULL (checked) and writable per the caller.
                unsafe { overlapped.write(core::ptr::null_mut()) };
                return Err(port_error(error));
            }
        };
        // SAFETY: non-NULL (checked) and writable per the caller.
        unsafe {
            bytes.write(
                DWORD::try_from(*packet.status.as_ref().unwrap_or(&0)).unwrap_or(DWORD::MAX),
            );
            key.write(packet.key);
            overlapped.write(overlapped_of(&packet));
        }
        match packet.status {
            Ok(_) => Ok(TRUE),
            Err(error) => Err(Error(error.win32_error())),
        }
    })
}

/// Takes up to `ulCount` packets from the port into `lpCompletionPortEntries`, FIFO,
/// waiting up to `dwMilliseconds` for the first (L124), and writes how many to
/// `*ulNumEntriesRemoved`. Each entry holds the key, the `OVERLAPPED` pointer, the bytes
/// and, in `Internal`, the status (0, or the failed request's `NTSTATUS`); failed requests
/// do not make the call fail.
///
/// If `fAlertable`, APCs queued to the calling thread run during the wait and end it with
/// `FALSE` and `WAIT_IO_COMPLETION` (L125); when both a packet and an APC are pending, the
/// packet wins if the thread took its last packet from this port, the APC otherwise (L126).
///
/// # Safety
///
/// `lpCompletionPortEntries` is `NULL` or valid for writing `ulCount` entries;
/// `ulNumEntriesRemoved` is `NULL` or writable.
///
/// # Errors
///
/// `FALSE`, with `*ulNumEntriesRemoved` 0, and:
/// - `WAIT_TIMEOUT` (258): no packet in time (L124);
/// - `WAIT_IO_COMPLETION` (192): APCs ran (L125);
/// - `ERROR_ABANDONED_WAIT_0` (735): the port's last handle was closed (L131);
/// - `ERROR_INVALID_PARAMETER` (87): `ulCount` is 0;
/// - `ERROR_INVALID_HANDLE` (6): not a port;
/// - `ERROR_ACCESS_DENIED` (5): the handle lacks `IO_COMPLETION_MODIFY_STATE`;
/// - `ERROR_NOACCESS` (998): a `NULL` pointer argument.
///
/// # Win32
///
/// `GetQueuedCompletionStatusEx`.
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn GetQueuedCompletionStatusEx(
    CompletionPort: HANDLE,
    lpCompletionPortEntries: LPOVERLAPPED_ENTRY,
    ulCount: ULONG,
    ulNumEntriesRemoved: PULONG,
    dwMilliseconds: DWORD,
    fAlertable: BOOL,
) -> BOOL {
    call_alertable(FALSE, || {
        let port = handle::real_with_access(
            CompletionPort,
            IO_COMPLETION_MODIFY_STATE,
            Object::into_port,
        )?;
        let entries = handle::required(lpCompletionPortEntries)?.cast_mut();
        let removed = handle::required(ulNumEntriesRemoved)?.cast_mut();
        // SAFETY: non-NULL (checked) and writable per the caller.
        unsafe { removed.write(0) };
        let mut packets = Vec::new();
        let count = port
            .get_many(
                &mut packets,
                ulCount as usize,
                timeout(dwMilliseconds),
                alertable(fAlertable),
            )
            .map_err(port_error)?;
        for (i, packet) in packets.iter().enumerate() {
            let entry = OVERLAPPED_ENTRY {
                lpCompletionKey: packet.key,
                lpOverlapped: overlapped_of(packet),
                Internal: status_of(&packet.status) as ULONG_PTR,
                dwNumberOfBytesTransferred: DWORD::try_from(*packet.status.as_ref().unwrap_or(&0))
                    .unwrap_or(DWORD::MAX),
            };
            // SAFETY: `i` < `count` ≤ `ulCount`, and the caller guarantees `ulCount`
            // writable entries.
            unsafe { entries.add(i).write(entry) };
        }
        // SAFETY: as above.
        unsafe { removed.write(ULONG::try_from(count).unwrap_or(ulCount)) };
        Ok(TRUE)
    })
    .finish()
}

/// Posts a packet carrying `dwNumberOfBytesTransferred`, `dwCompletionKey` and
/// `lpOverlapped` — any value, never dereferenced — to the port, or hands it straight to
/// the thread that began waiting most recently (L123, L130).
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) for a handle that is not an open port, or
/// `ERROR_ACCESS_DENIED` (5) for one without `IO_COMPLETION_MODIFY_STATE` (nothing is
/// posted).
///
/// # Win32
///
/// `PostQueuedCompletionStatus`.
#[unsafe(no_mangle)]
pub extern "C" fn PostQueuedCompletionStatus(
    CompletionPort: HANDLE,
    dwNumberOfBytesTransferred: DWORD,
    dwCompletionKey: ULONG_PTR,
    lpOverlapped: LPOVERLAPPED,
) -> BOOL {
    call(FALSE, || {
        let port = handle::real_with_access(
            CompletionPort,
            IO_COMPLETION_MODIFY_STATE,
            Object::into_port,
        )?;
        let packet = CompletionPacket::new(
            dwCompletionKey,
            lpOverlapped.expose_provenance(),
            Ok(dwNumberOfBytesTransferred as usize),
        );
        port.post(packet).map_err(|_| Error(ERROR_INVALID_HANDLE))?;
        Ok(TRUE)
    })
}

#[cfg(test)]
mod tests {
    //! What the C conformance programs cannot check without timing: these know, through
    //! the core port, when a thread is blocked in `GetQueuedCompletionStatus`.

    use core::ptr::{null_mut, without_provenance_mut};

    use super::*;
    use crate::consts::{ERROR_ABANDONED_WAIT_0, INFINITE, WAIT_OBJECT_0, WAIT_TIMEOUT};
    use crate::error::last_error;
    use crate::handleapi::CloseHandle;
    use crate::synchapi::semaphore::CreateSemaphoreW;
    use crate::synchapi::wait::{SignalObjectAndWait, WaitForSingleObject};

    fn new() -> (usize, CompletionPort) {
        new_with(0)
    }

    fn new_with(concurrency: DWORD) -> (usize, CompletionPort) {
        let port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, null_mut(), 0, concurrency);
        assert!(!port.is_null());
        let core = handle::real_object(port).unwrap().into_port().unwrap();
        (port.addr(), core)
    }

    /// Waits (without sleeping) until `n` threads are blocked taking packets from `port`.
    fn until_waiting(port: &CompletionPort, n: usize) {
        while port.waiting_threads() < n {
            std::thread::yield_now();
        }
    }

    /// `GetQueuedCompletionStatus(port, INFINITE)`: the result, the error and the key.
    fn get(port: usize) -> (BOOL, DWORD, ULONG_PTR) {
        let (mut n, mut key, mut ov) = (0, 0, null_mut());
        // SAFETY: the outputs are live locals.
        let ok = unsafe {
            GetQueuedCompletionStatus(
                without_provenance_mut(port),
                &raw mut n,
                &raw mut key,
                &raw mut ov,
                INFINITE,
            )
        };
        (ok, last_error(), key)
    }

    /// L131: closing the last handle fails the threads taking packets with
    /// `ERROR_ABANDONED_WAIT_0`, in both forms.
    #[test]
    fn l131_closing_the_port_abandons_its_getters() {
        let (port, core) = new();
        let plain = std::thread::spawn(move || get(port));
        let ex = std::thread::spawn(move || {
            let mut entry = [OVERLAPPED_ENTRY {
                lpCompletionKey: 0,
                lpOverlapped: null_mut(),
                Internal: 0,
                dwNumberOfBytesTransferred: 0,
            }];
            let mut removed = 9;
            // SAFETY: the outputs are live locals.
            let ok = unsafe {
                GetQueuedCompletionStatusEx(
                    without_provenance_mut(port),
                    entry.as_mut_ptr(),
                    1,
                    &raw mut removed,
                    INFINITE,
                    TRUE,
                )
            };
            (ok, last_error(), removed)
        });
        until_waiting(&core, 2);
        assert_ne!(CloseHandle(without_provenance_mut(port)), 0);
        assert_eq!(plain.join().unwrap(), (FALSE, ERROR_ABANDONED_WAIT_0, 0));
        assert_eq!(ex.join().unwrap(), (FALSE, ERROR_ABANDONED_WAIT_0, 0));
    }

    /// L130: the thread that began waiting last is served first.
    #[test]
    fn l130_the_last_waiter_is_served_first() {
        let (port, core) = new();
        let first = std::thread::spawn(move || get(port));
        until_waiting(&core, 1);
        let second = std::thread::spawn(move || get(port));
        until_waiting(&core, 2);
        let h = without_provenance_mut(port);
        assert_ne!(PostQueuedCompletionStatus(h, 0, 3, null_mut()), 0);
        assert_eq!(second.join().unwrap(), (TRUE, 0, 3));
        assert_ne!(PostQueuedCompletionStatus(h, 0, 4, null_mut()), 0);
        assert_eq!(first.join().unwrap(), (TRUE, 0, 4));
        assert_ne!(CloseHandle(h), 0);
    }

    /// L130 (Windows 10 and later): a packet posted while threads are blocked in
    /// `GetQueuedCompletionStatus` goes to the most recent of them at once, even though the
    /// posting thread is associated with the port and running: its own later
    /// `GetQueuedCompletionStatus(…, 0)` gets the third packet, not the second. (The
    /// concurrency value leaves room for both getters beside the poster; with less, Windows
    /// queues the packet instead, as the crate's port tests show.)
    #[test]
    fn l130_a_post_goes_to_a_blocked_getter_not_to_the_running_poster() {
        let (port, core) = new_with(3);
        let h = without_provenance_mut(port);
        assert_ne!(PostQueuedCompletionStatus(h, 0, 1, null_mut()), 0);
        let (mut n, mut key, mut ov) = (0, 0, null_mut());
        // SAFETY: the outputs are live locals.
        let took = |n: &mut DWORD, key: &mut ULONG_PTR, ov: &mut LPOVERLAPPED| unsafe {
            GetQueuedCompletionStatus(h, n, key, ov, 0)
        };
        assert_eq!((took(&mut n, &mut key, &mut ov), key), (TRUE, 1));
        let one = std::thread::spawn(move || get(port));
        until_waiting(&core, 1);
        let zero = std::thread::spawn(move || get(port));
        until_waiting(&core, 2);
        for key in [3, 4, 5] {
            assert_ne!(PostQueuedCompletionStatus(h, 0, key, null_mut()), 0);
        }
        assert_eq!((took(&mut n, &mut key, &mut ov), key), (TRUE, 5));
        assert_eq!(zero.join().unwrap(), (TRUE, 0, 3));
        assert_eq!(one.join().unwrap(), (TRUE, 0, 4));
        assert_ne!(CloseHandle(h), 0);
    }

    /// L129: a thread taking packets gets the packet before a thread waiting on the port
    /// handle sees it, which then times out.
    #[test]
    fn l129_getters_come_before_handle_waiters() {
        let (port, core) = new();
        // SAFETY: no name.
        let ready = unsafe { CreateSemaphoreW(null_mut(), 0, 1, core::ptr::null()) }.addr();
        let getter = std::thread::spawn(move || get(port));
        until_waiting(&core, 1);
        let waiter = std::thread::spawn(move || {
            // Announces, atomically with the start of its wait, that it waits.
            SignalObjectAndWait(
                without_provenance_mut(ready),
                without_provenance_mut(port),
                100,
                FALSE,
            )
        });
        assert_eq!(
            WaitForSingleObject(without_provenance_mut(ready), INFINITE),
            WAIT_OBJECT_0
        );
        let h = without_provenance_mut(port);
        assert_ne!(PostQueuedCompletionStatus(h, 0, 5, null_mut()), 0);
        assert_eq!(getter.join().unwrap(), (TRUE, 0, 5));
        assert_eq!(waiter.join().unwrap(), WAIT_TIMEOUT);
        assert_ne!(CloseHandle(h), 0);
        assert_ne!(CloseHandle(without_provenance_mut(ready)), 0);
    }
}
