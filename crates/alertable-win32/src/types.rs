//! The Win32 types of `windows.h`, with the sizes they have on Linux (LP64).
//!
//! Integer types keep their Windows widths: `DWORD`, `LONG` and `ULONG` are 32 bits (on
//! Windows `long` is 32 bits; on Linux it is 64, so the header uses `uint32_t`/`int32_t`).
//! `WCHAR` is `wchar_t`, which is 32 bits on Linux, so `L""` literals and `wprintf` work
//! unchanged. Pointer-sized types (`ULONG_PTR`, `SIZE_T`, `HANDLE`) are 64 bits.
//!
//! Callback types that the library calls from within its own waits (`PAPCFUNC`,
//! `PTIMERAPCROUTINE`, `LPOVERLAPPED_COMPLETION_ROUTINE`) are declared `extern "C-unwind"`
//! on the Rust side: the C calling convention, and the one unwind the library lets through
//! a callback, [`ExitThread`](crate::ExitThread) called inside it (see `thread.rs`).

use core::ffi::{c_char, c_int, c_longlong, c_uint, c_ulonglong, c_void};

// ---------------------------------------------------------------------------------------
// Integers.

/// Win32 `BOOL`: a C `int`, non-zero for true.
pub type BOOL = c_int;
/// Win32 `BOOLEAN`: one byte, non-zero for true.
pub type BOOLEAN = BYTE;
/// Win32 `BYTE`: an unsigned 8-bit integer.
pub type BYTE = u8;
/// Win32 `UCHAR`: an unsigned 8-bit integer.
pub type UCHAR = u8;
/// Win32 `WORD`: an unsigned 16-bit integer.
pub type WORD = u16;
/// Win32 `DWORD`: an unsigned 32-bit integer (`uint32_t`; `unsigned long` on Windows).
pub type DWORD = u32;
/// Win32 `INT`: a C `int`.
pub type INT = c_int;
/// Win32 `UINT`: a C `unsigned int`.
pub type UINT = c_uint;
/// Win32 `LONG`: a signed 32-bit integer (`int32_t`; `long` on Windows).
pub type LONG = i32;
/// Win32 `ULONG`: an unsigned 32-bit integer.
pub type ULONG = u32;
/// Win32 `LONGLONG`: a C `long long`.
pub type LONGLONG = c_longlong;
/// Win32 `ULONGLONG`: a C `unsigned long long`.
pub type ULONGLONG = c_ulonglong;
/// Win32 `LONG_PTR`: a signed pointer-sized integer.
pub type LONG_PTR = isize;
/// Win32 `ULONG_PTR`: an unsigned pointer-sized integer; the parameter of an APC.
pub type ULONG_PTR = usize;
/// Win32 `INT_PTR`: a signed pointer-sized integer.
pub type INT_PTR = isize;
/// Win32 `UINT_PTR`: an unsigned pointer-sized integer.
pub type UINT_PTR = usize;
/// Win32 `DWORD_PTR`: an unsigned pointer-sized integer.
pub type DWORD_PTR = ULONG_PTR;
/// Win32 `SIZE_T`: `size_t`.
pub type SIZE_T = usize;

/// Win32 `PVOID`: an untyped pointer.
pub type PVOID = *mut c_void;
/// Win32 `LPVOID`: an untyped pointer.
pub type LPVOID = *mut c_void;
/// Win32 `LPCVOID`: an untyped pointer to constant data.
pub type LPCVOID = *const c_void;
/// Win32 `PDWORD`: a pointer to a `DWORD`.
pub type PDWORD = *mut DWORD;
/// Win32 `LPDWORD`: a pointer to a `DWORD`.
pub type LPDWORD = *mut DWORD;
/// Win32 `PULONG`: a pointer to a `ULONG`.
pub type PULONG = *mut ULONG;
/// Win32 `PULONG_PTR`: a pointer to a `ULONG_PTR`.
pub type PULONG_PTR = *mut ULONG_PTR;
/// Win32 `PLONG`: a pointer to a `LONG`.
pub type PLONG = *mut LONG;
/// Win32 `LPLONG`: a pointer to a `LONG`.
pub type LPLONG = *mut LONG;

// ---------------------------------------------------------------------------------------
// Handles.

/// Win32 `HANDLE`: an opaque reference to an object in the process's handle table (see
/// `handle.rs`), or one of the pseudo-handles of `GetCurrentThread` and
/// `GetCurrentProcess`.
pub type HANDLE = *mut c_void;
/// Win32 `PHANDLE`: a pointer to a `HANDLE`.
pub type PHANDLE = *mut HANDLE;
/// Win32 `LPHANDLE`: a pointer to a `HANDLE`.
pub type LPHANDLE = *mut HANDLE;
/// Win32 `HWND`: a window handle; here only the `hwnd` field of a [`MSG`] (no windows exist).
pub type HWND = HANDLE;
/// Win32 `HMODULE`: a module handle; here only a field of [`REASON_CONTEXT`].
pub type HMODULE = HANDLE;

// ---------------------------------------------------------------------------------------
// Characters and strings.

/// Win32 `CHAR`: a C `char`. `…A` functions read and write UTF-8.
pub type CHAR = c_char;
/// Win32 `WCHAR`: `wchar_t`, which is 32 bits (UTF-32) on Linux, so that `L""` literals
/// and `wprintf` work unchanged. `…W` functions read and write it.
pub type WCHAR = libc::wchar_t;
/// Win32 `LPSTR`: a NUL-terminated narrow string.
pub type LPSTR = *mut CHAR;
/// Win32 `LPCSTR`: a constant NUL-terminated narrow string.
pub type LPCSTR = *const CHAR;
/// Win32 `LPWSTR`: a NUL-terminated wide string.
pub type LPWSTR = *mut WCHAR;
/// Win32 `LPCWSTR`: a constant NUL-terminated wide string.
pub type LPCWSTR = *const WCHAR;

// ---------------------------------------------------------------------------------------
// More integer, pointer and string types (`basetsd.h`, `minwindef.h`, `winnt.h`): declared so
// that ported code compiles; no function of the library takes them.

/// Win32 `INT8`: a signed 8-bit integer.
pub type INT8 = i8;
/// Win32 `UINT8`: an unsigned 8-bit integer.
pub type UINT8 = u8;
/// Win32 `INT16`: a signed 16-bit integer.
pub type INT16 = i16;
/// Win32 `UINT16`: an unsigned 16-bit integer.
pub type UINT16 = u16;
/// Win32 `INT32`: a signed 32-bit integer.
pub type INT32 = i32;
/// Win32 `UINT32`: an unsigned 32-bit integer.
pub type UINT32 = u32;
/// Win32 `INT64`: a signed 64-bit integer.
pub type INT64 = i64;
/// Win32 `UINT64`: an unsigned 64-bit integer.
pub type UINT64 = u64;
/// Win32 `LONG32`: a signed 32-bit integer.
pub type LONG32 = i32;
/// Win32 `ULONG32`: an unsigned 32-bit integer.
pub type ULONG32 = u32;
/// Win32 `DWORD32`: an unsigned 32-bit integer.
pub type DWORD32 = u32;
/// Win32 `LONG64`: a signed 64-bit integer.
pub type LONG64 = i64;
/// Win32 `ULONG64`: an unsigned 64-bit integer.
pub type ULONG64 = u64;
/// Win32 `DWORD64`: an unsigned 64-bit integer.
pub type DWORD64 = u64;
/// Win32 `DWORDLONG`: an unsigned 64-bit integer.
pub type DWORDLONG = ULONGLONG;
/// Win32 `SSIZE_T`: a signed pointer-sized integer.
pub type SSIZE_T = isize;
/// Win32 `PSIZE_T`: a pointer to a `SIZE_T`.
pub type PSIZE_T = *mut SIZE_T;
/// Win32 `SHORT`: a C `short`.
pub type SHORT = core::ffi::c_short;
/// Win32 `USHORT`: a C `unsigned short`.
pub type USHORT = core::ffi::c_ushort;
/// Win32 `FLOAT`: a C `float`.
pub type FLOAT = core::ffi::c_float;
/// Win32 `PBOOL`: a pointer to a `BOOL`.
pub type PBOOL = *mut BOOL;
/// Win32 `LPBOOL`: a pointer to a `BOOL`.
pub type LPBOOL = *mut BOOL;
/// Win32 `PBYTE`: a pointer to a `BYTE`.
pub type PBYTE = *mut BYTE;
/// Win32 `LPBYTE`: a pointer to a `BYTE`.
pub type LPBYTE = *mut BYTE;
/// Win32 `PWORD`: a pointer to a `WORD`.
pub type PWORD = *mut WORD;
/// Win32 `LPWORD`: a pointer to a `WORD`.
pub type LPWORD = *mut WORD;
/// Win32 `PINT`: a pointer to an `INT`.
pub type PINT = *mut c_int;
/// Win32 `LPINT`: a pointer to an `INT`.
pub type LPINT = *mut c_int;
/// Win32 `PLONGLONG`: a pointer to a `LONGLONG`.
pub type PLONGLONG = *mut LONGLONG;
/// Win32 `PULONGLONG`: a pointer to a `ULONGLONG`.
pub type PULONGLONG = *mut ULONGLONG;
/// Win32 `HRESULT`: a COM-style result (negative on failure); the result of the
/// `StringCch*` functions of `strsafe.h`.
pub type HRESULT = LONG;
/// Win32 `PCHAR`: a pointer to a `CHAR`.
pub type PCHAR = *mut CHAR;
/// Win32 `PWCHAR`: a pointer to a `WCHAR`.
pub type PWCHAR = *mut WCHAR;
/// Win32 `PSTR`: a NUL-terminated string.
pub type PSTR = *mut CHAR;
/// Win32 `PCSTR`: a constant NUL-terminated string.
pub type PCSTR = *const CHAR;
/// Win32 `PWSTR`: a NUL-terminated wide string.
pub type PWSTR = *mut WCHAR;
/// Win32 `PCWSTR`: a constant NUL-terminated wide string.
pub type PCWSTR = *const WCHAR;
/// Win32 `HINSTANCE`: a module handle, the same as [`HMODULE`].
pub type HINSTANCE = HANDLE;
/// Win32 `HLOCAL`: a block of the local heap.
pub type HLOCAL = HANDLE;
/// Win32 `HGLOBAL`: a block of the global heap.
pub type HGLOBAL = HANDLE;

// ---------------------------------------------------------------------------------------
// Window-message integers (for `MSG`).

/// Win32 `WPARAM`: the word parameter of a message.
pub type WPARAM = UINT_PTR;
/// Win32 `LPARAM`: the long parameter of a message.
pub type LPARAM = LONG_PTR;
/// Win32 `LRESULT`: the result of a message.
pub type LRESULT = LONG_PTR;

// ---------------------------------------------------------------------------------------
// Structures.

/// The two halves of a [`LARGE_INTEGER`].
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LARGE_INTEGER_PARTS {
    /// The low 32 bits.
    pub LowPart: DWORD,
    /// The high 32 bits, signed.
    pub HighPart: LONG,
}

/// Win32 `LARGE_INTEGER`: a signed 64-bit integer, also readable as two halves.
///
/// In C the halves are reachable directly (`li.LowPart`) and through `li.u`; here through
/// `DUMMYSTRUCTNAME` and `u`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union LARGE_INTEGER {
    /// The halves (anonymous in C).
    pub DUMMYSTRUCTNAME: LARGE_INTEGER_PARTS,
    /// The halves, named.
    pub u: LARGE_INTEGER_PARTS,
    /// The whole value.
    pub QuadPart: LONGLONG,
}

impl core::fmt::Debug for LARGE_INTEGER {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // SAFETY: every member is plain integers covering the same 8 bytes, so any bit
        // pattern is a valid `LONGLONG`.
        let quad = unsafe { self.QuadPart };
        f.debug_struct("LARGE_INTEGER")
            .field("QuadPart", &quad)
            .finish()
    }
}

/// Win32 `PLARGE_INTEGER`.
pub type PLARGE_INTEGER = *mut LARGE_INTEGER;

/// The two halves of a [`ULARGE_INTEGER`].
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ULARGE_INTEGER_PARTS {
    /// The low 32 bits.
    pub LowPart: DWORD,
    /// The high 32 bits.
    pub HighPart: DWORD,
}

/// Win32 `ULARGE_INTEGER`: an unsigned 64-bit integer, also readable as two halves
/// (directly in C, `uli.LowPart`; here through `DUMMYSTRUCTNAME` and `u`).
#[repr(C)]
#[derive(Clone, Copy)]
pub union ULARGE_INTEGER {
    /// The halves (anonymous in C).
    pub DUMMYSTRUCTNAME: ULARGE_INTEGER_PARTS,
    /// The halves, named.
    pub u: ULARGE_INTEGER_PARTS,
    /// The whole value.
    pub QuadPart: ULONGLONG,
}

impl core::fmt::Debug for ULARGE_INTEGER {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // SAFETY: every member is plain integers covering the same 8 bytes, so any bit
        // pattern is a valid `ULONGLONG`.
        let quad = unsafe { self.QuadPart };
        f.debug_struct("ULARGE_INTEGER")
            .field("QuadPart", &quad)
            .finish()
    }
}

/// Win32 `PULARGE_INTEGER`.
pub type PULARGE_INTEGER = *mut ULARGE_INTEGER;

/// Win32 `FILETIME`: 100-nanosecond intervals since 1601-01-01 UTC, in two halves.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FILETIME {
    /// The low 32 bits.
    pub dwLowDateTime: DWORD,
    /// The high 32 bits.
    pub dwHighDateTime: DWORD,
}

/// Win32 `PFILETIME`.
pub type PFILETIME = *mut FILETIME;
/// Win32 `LPFILETIME`.
pub type LPFILETIME = *mut FILETIME;

/// Win32 `GET_FILEEX_INFO_LEVELS`: which information `GetFileAttributesEx` returns (an
/// `enum` in the SDK, an `int` here; only `GetFileExInfoStandard` exists).
pub type GET_FILEEX_INFO_LEVELS = c_int;

/// Win32 `WIN32_FILE_ATTRIBUTE_DATA`: what `GetFileAttributesEx` reports of a file.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WIN32_FILE_ATTRIBUTE_DATA {
    /// `FILE_ATTRIBUTE_…` flags, as `GetFileAttributes` returns them.
    pub dwFileAttributes: DWORD,
    /// When the file was created (Linux: its birth time, or the last change of its
    /// status where the file system does not record one).
    pub ftCreationTime: FILETIME,
    /// When the file was last read.
    pub ftLastAccessTime: FILETIME,
    /// When the file was last written.
    pub ftLastWriteTime: FILETIME,
    /// The upper 32 bits of the size in bytes.
    pub nFileSizeHigh: DWORD,
    /// The lower 32 bits of the size in bytes.
    pub nFileSizeLow: DWORD,
}
/// Win32 `LPWIN32_FILE_ATTRIBUTE_DATA`.
pub type LPWIN32_FILE_ATTRIBUTE_DATA = *mut WIN32_FILE_ATTRIBUTE_DATA;

/// Win32 `SECURITY_ATTRIBUTES`: accepted and ignored (there are no security descriptors
/// and no handle inheritance across processes).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SECURITY_ATTRIBUTES {
    /// The size of this structure.
    pub nLength: DWORD,
    /// A security descriptor (ignored).
    pub lpSecurityDescriptor: LPVOID,
    /// Whether the handle is inheritable (ignored).
    pub bInheritHandle: BOOL,
}

/// Win32 `PSECURITY_ATTRIBUTES`.
pub type PSECURITY_ATTRIBUTES = *mut SECURITY_ATTRIBUTES;
/// Win32 `LPSECURITY_ATTRIBUTES`.
pub type LPSECURITY_ATTRIBUTES = *mut SECURITY_ATTRIBUTES;

/// The file offset of an [`OVERLAPPED`], in two halves.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OVERLAPPED_OFFSET {
    /// The low 32 bits of the file offset.
    pub Offset: DWORD,
    /// The high 32 bits of the file offset.
    pub OffsetHigh: DWORD,
}

/// The offset-or-pointer member of an [`OVERLAPPED`] (anonymous in C).
#[repr(C)]
#[derive(Clone, Copy)]
pub union OVERLAPPED_OFFSET_OR_POINTER {
    /// The file offset (anonymous in C: `ov.Offset`, `ov.OffsetHigh`).
    pub DUMMYSTRUCTNAME: OVERLAPPED_OFFSET,
    /// A pointer, for devices without offsets.
    pub Pointer: PVOID,
}

impl core::fmt::Debug for OVERLAPPED_OFFSET_OR_POINTER {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // SAFETY: both members are plain data covering the same bytes, so any bit pattern
        // is a valid pointer value (never dereferenced here).
        let pointer = unsafe { self.Pointer };
        f.debug_struct("OVERLAPPED_OFFSET_OR_POINTER")
            .field("Pointer", &pointer)
            .finish()
    }
}

/// Win32 `OVERLAPPED`: the state of one asynchronous I/O request.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct OVERLAPPED {
    /// The request's status code.
    pub Internal: ULONG_PTR,
    /// The number of bytes transferred.
    pub InternalHigh: ULONG_PTR,
    /// The file offset or a pointer (anonymous in C).
    pub DUMMYUNIONNAME: OVERLAPPED_OFFSET_OR_POINTER,
    /// The event signaled on completion, or `NULL`.
    pub hEvent: HANDLE,
}

impl OVERLAPPED {
    /// An `OVERLAPPED` for a request at file offset `offset` that signals `event` (`NULL`:
    /// none) on completion, its result fields zero: what C code gets from `memset` and two
    /// assignments.
    ///
    /// # Examples
    ///
    /// ```
    /// use alertable_win32::OVERLAPPED;
    ///
    /// let ov = OVERLAPPED::new(1 << 32 | 5, std::ptr::null_mut());
    /// // SAFETY: the offset halves are plain integers, valid for every bit pattern.
    /// let parts = unsafe { ov.DUMMYUNIONNAME.DUMMYSTRUCTNAME };
    /// assert_eq!((parts.Offset, parts.OffsetHigh, ov.Internal), (5, 1, 0));
    /// ```
    pub const fn new(offset: u64, event: HANDLE) -> Self {
        Self {
            Internal: 0,
            InternalHigh: 0,
            DUMMYUNIONNAME: OVERLAPPED_OFFSET_OR_POINTER {
                DUMMYSTRUCTNAME: OVERLAPPED_OFFSET {
                    Offset: offset as DWORD,
                    OffsetHigh: (offset >> 32) as DWORD,
                },
            },
            hEvent: event,
        }
    }
}

impl core::fmt::Debug for OVERLAPPED {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OVERLAPPED")
            .field("Internal", &self.Internal)
            .field("InternalHigh", &self.InternalHigh)
            .field("hEvent", &self.hEvent)
            .finish_non_exhaustive()
    }
}

/// Win32 `LPOVERLAPPED`.
pub type LPOVERLAPPED = *mut OVERLAPPED;

/// Win32 `OVERLAPPED_ENTRY`: one packet removed from a completion port.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct OVERLAPPED_ENTRY {
    /// The completion key.
    pub lpCompletionKey: ULONG_PTR,
    /// The request's `OVERLAPPED`.
    pub lpOverlapped: LPOVERLAPPED,
    /// The request's status code.
    pub Internal: ULONG_PTR,
    /// The number of bytes transferred.
    pub dwNumberOfBytesTransferred: DWORD,
}

/// Win32 `LPOVERLAPPED_ENTRY`.
pub type LPOVERLAPPED_ENTRY = *mut OVERLAPPED_ENTRY;

/// Win32 `POINT`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct POINT {
    /// The x coordinate.
    pub x: LONG,
    /// The y coordinate.
    pub y: LONG,
}

/// Win32 `MSG`: one message of a thread's message queue.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct MSG {
    /// The window (always `NULL`: there are no windows, only thread messages).
    pub hwnd: HWND,
    /// The message number (`WM_QUIT`, `WM_USER + n`, …).
    pub message: UINT,
    /// The word parameter.
    pub wParam: WPARAM,
    /// The long parameter.
    pub lParam: LPARAM,
    /// When the message was posted (`GetTickCount` milliseconds).
    pub time: DWORD,
    /// The cursor position (always zero).
    pub pt: POINT,
}

/// Win32 `PMSG`.
pub type PMSG = *mut MSG;
/// Win32 `LPMSG`.
pub type LPMSG = *mut MSG;

/// The detailed form of a [`REASON_CONTEXT`]'s reason.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct REASON_CONTEXT_DETAILED {
    /// The module holding the localized string.
    pub LocalizedReasonModule: HMODULE,
    /// The string's resource id.
    pub LocalizedReasonId: ULONG,
    /// The number of insertion strings.
    pub ReasonStringCount: ULONG,
    /// The insertion strings.
    pub ReasonStrings: *mut LPWSTR,
}

/// The reason of a [`REASON_CONTEXT`]: detailed or a simple string.
#[repr(C)]
#[derive(Clone, Copy)]
pub union REASON_CONTEXT_REASON {
    /// A localized, detailed reason.
    pub Detailed: REASON_CONTEXT_DETAILED,
    /// A plain string.
    pub SimpleReasonString: LPWSTR,
}

impl core::fmt::Debug for REASON_CONTEXT_REASON {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("REASON_CONTEXT_REASON")
            .finish_non_exhaustive()
    }
}

/// Win32 `REASON_CONTEXT`: why a timer wakes the computer; accepted and ignored by
/// [`SetWaitableTimerEx`](crate::SetWaitableTimerEx).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct REASON_CONTEXT {
    /// `POWER_REQUEST_CONTEXT_VERSION`.
    pub Version: ULONG,
    /// `POWER_REQUEST_CONTEXT_SIMPLE_STRING` or `POWER_REQUEST_CONTEXT_DETAILED_STRING`.
    pub Flags: DWORD,
    /// The reason.
    pub Reason: REASON_CONTEXT_REASON,
}

impl core::fmt::Debug for REASON_CONTEXT {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("REASON_CONTEXT")
            .field("Version", &self.Version)
            .field("Flags", &self.Flags)
            .finish_non_exhaustive()
    }
}

/// Win32 `PREASON_CONTEXT`.
pub type PREASON_CONTEXT = *mut REASON_CONTEXT;

/// Win32 `CRITICAL_SECTION`, with Windows' x64 layout (40 bytes). The library keeps its lock
/// word in `LockCount`, the owner's thread id in the low half of `OwningThread` and the
/// recursion depth in `RecursionCount`. It works at any address; where `LockCount` is not
/// 4-byte aligned the lock word moves into `LockSemaphore` and the owner's id to the aligned
/// 4 bytes inside `OwningThread`.
#[repr(C)]
#[derive(Debug)]
pub struct CRITICAL_SECTION {
    /// `(void *)-1` once initialized, `NULL` once deleted, as on Windows 8 and later (which
    /// allocate no debug information); never read by the library.
    pub DebugInfo: PVOID,
    /// The lock word: 0 free, 1 held, 2 held with waiters.
    pub LockCount: LONG,
    /// How many times the owner has entered.
    pub RecursionCount: LONG,
    /// The owner's thread id, or 0.
    pub OwningThread: HANDLE,
    /// Unused, except as the lock word's place at an address that is not 4-byte aligned.
    pub LockSemaphore: HANDLE,
    /// Accepted and unused.
    pub SpinCount: ULONG_PTR,
}

/// Win32 `PCRITICAL_SECTION`.
pub type PCRITICAL_SECTION = *mut CRITICAL_SECTION;
/// Win32 `LPCRITICAL_SECTION`.
pub type LPCRITICAL_SECTION = *mut CRITICAL_SECTION;

/// Win32 `SRWLOCK`: a slim reader/writer lock, one pointer wide, zero when free
/// (`SRWLOCK_INIT`), at any address. Aligned, it reads as Windows shows it: 1 held
/// exclusively, `n << 4 | 1` held shared by `n` threads (without waiters).
#[repr(C)]
#[derive(Debug)]
pub struct SRWLOCK {
    /// The lock word (its first 32 bits).
    pub Ptr: PVOID,
}

/// Win32 `PSRWLOCK`.
pub type PSRWLOCK = *mut SRWLOCK;

/// Win32 `CONDITION_VARIABLE`: one pointer wide, zero when new
/// (`CONDITION_VARIABLE_INIT`), at any address.
#[repr(C)]
#[derive(Debug)]
pub struct CONDITION_VARIABLE {
    /// The wake-up sequence number (its first 32 bits).
    pub Ptr: PVOID,
}

/// Win32 `PCONDITION_VARIABLE`.
pub type PCONDITION_VARIABLE = *mut CONDITION_VARIABLE;

/// Win32 `INIT_ONCE` (`RTL_RUN_ONCE`): a one-time initialization, one pointer wide, zero
/// when new (`INIT_ONCE_STATIC_INIT`), at any address.
#[repr(C)]
#[derive(Debug)]
pub struct INIT_ONCE {
    /// The state and the stored context (opaque).
    pub Ptr: PVOID,
}

/// Win32 `PINIT_ONCE`.
pub type PINIT_ONCE = *mut INIT_ONCE;
/// Win32 `LPINIT_ONCE`.
pub type LPINIT_ONCE = *mut INIT_ONCE;

/// Win32 `PINIT_ONCE_FN`: the callback of `InitOnceExecuteOnce`,
/// `BOOL f(PINIT_ONCE, PVOID Parameter, PVOID *Context)`.
pub type PINIT_ONCE_FN = Option<
    unsafe extern "C" fn(InitOnce: PINIT_ONCE, Parameter: PVOID, Context: *mut PVOID) -> BOOL,
>;

/// Win32 `SYNCHRONIZATION_BARRIER` (`RTL_BARRIER`): 32 opaque bytes, at any address.
#[repr(C)]
#[derive(Debug)]
pub struct SYNCHRONIZATION_BARRIER {
    /// Opaque.
    pub Reserved1: DWORD,
    /// Opaque.
    pub Reserved2: DWORD,
    /// Opaque.
    pub Reserved3: [ULONG_PTR; 2],
    /// Opaque.
    pub Reserved4: DWORD,
    /// Opaque.
    pub Reserved5: DWORD,
}

/// Win32 `PSYNCHRONIZATION_BARRIER`.
pub type PSYNCHRONIZATION_BARRIER = *mut SYNCHRONIZATION_BARRIER;
/// Win32 `LPSYNCHRONIZATION_BARRIER`.
pub type LPSYNCHRONIZATION_BARRIER = *mut SYNCHRONIZATION_BARRIER;

// ---------------------------------------------------------------------------------------
// Callbacks.

/// Win32 `PAPCFUNC`: a user APC, `void f(ULONG_PTR)`, queued with
/// [`QueueUserAPC`](crate::QueueUserAPC).
pub type PAPCFUNC = Option<unsafe extern "C-unwind" fn(Parameter: ULONG_PTR)>;

/// Win32 `PTIMERAPCROUTINE`: a waitable timer's completion routine, called with its
/// argument and the UTC `FILETIME` at which the timer fired, in two halves.
pub type PTIMERAPCROUTINE = Option<
    unsafe extern "C-unwind" fn(
        lpArgToCompletionRoutine: LPVOID,
        dwTimerLowValue: DWORD,
        dwTimerHighValue: DWORD,
    ),
>;

/// Win32 `LPOVERLAPPED_COMPLETION_ROUTINE`: an I/O completion routine, called with the
/// error code, the bytes transferred and the request's `OVERLAPPED`.
pub type LPOVERLAPPED_COMPLETION_ROUTINE = Option<
    unsafe extern "C-unwind" fn(
        dwErrorCode: DWORD,
        dwNumberOfBytesTransfered: DWORD,
        lpOverlapped: LPOVERLAPPED,
    ),
>;

/// Win32 `LPTHREAD_START_ROUTINE`: a thread's entry point, `DWORD f(LPVOID)`, whose return
/// value becomes the thread's exit code.
///
/// Called as plain `extern "C"` (it may not unwind): the frame that calls it must let
/// `pthread_exit`'s forced unwind pass, see [`ExitThread`](crate::ExitThread).
pub type LPTHREAD_START_ROUTINE = Option<unsafe extern "C" fn(lpThreadParameter: LPVOID) -> DWORD>;
/// Win32 `PTHREAD_START_ROUTINE`.
pub type PTHREAD_START_ROUTINE = LPTHREAD_START_ROUTINE;

// ---------------------------------------------------------------------------------------
// Dates and the system (`minwinbase.h`, `sysinfoapi.h`), the console (`consoleapi.h`).

/// Win32 `SYSTEMTIME`: a date and time in fields (UTC or local, as the function says).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SYSTEMTIME {
    /// The year, 1601 to 30827.
    pub wYear: WORD,
    /// The month, 1 (January) to 12.
    pub wMonth: WORD,
    /// The day of the week, 0 (Sunday) to 6.
    pub wDayOfWeek: WORD,
    /// The day of the month, 1 to 31.
    pub wDay: WORD,
    /// The hour, 0 to 23.
    pub wHour: WORD,
    /// The minute, 0 to 59.
    pub wMinute: WORD,
    /// The second, 0 to 59.
    pub wSecond: WORD,
    /// The millisecond, 0 to 999.
    pub wMilliseconds: WORD,
}
/// Win32 `PSYSTEMTIME`.
pub type PSYSTEMTIME = *mut SYSTEMTIME;
/// Win32 `LPSYSTEMTIME`.
pub type LPSYSTEMTIME = *mut SYSTEMTIME;

/// The architecture half of a [`SYSTEM_INFO`]'s first member (anonymous in C).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SYSTEM_INFO_ARCHITECTURE {
    /// A `PROCESSOR_ARCHITECTURE_…` value.
    pub wProcessorArchitecture: WORD,
    /// Reserved: 0.
    pub wReserved: WORD,
}

/// The first member of a [`SYSTEM_INFO`] (anonymous in C).
#[repr(C)]
#[derive(Clone, Copy)]
pub union SYSTEM_INFO_OEM {
    /// The obsolete OEM id, covering the two fields below.
    pub dwOemId: DWORD,
    /// The architecture (anonymous in C: `si.wProcessorArchitecture`).
    pub DUMMYSTRUCTNAME: SYSTEM_INFO_ARCHITECTURE,
}

impl core::fmt::Debug for SYSTEM_INFO_OEM {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // SAFETY: both members are plain integers covering the same four bytes, so every
        // bit pattern is a valid `DWORD`.
        let id = unsafe { self.dwOemId };
        f.debug_struct("SYSTEM_INFO_OEM")
            .field("dwOemId", &id)
            .finish()
    }
}

/// Win32 `SYSTEM_INFO`: the processor architecture, page size, address range and
/// processors, as `GetSystemInfo` reports them.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SYSTEM_INFO {
    /// The architecture (anonymous in C).
    pub DUMMYUNIONNAME: SYSTEM_INFO_OEM,
    /// The page size in bytes.
    pub dwPageSize: DWORD,
    /// The lowest address a program can map.
    pub lpMinimumApplicationAddress: LPVOID,
    /// The highest address a program can map.
    pub lpMaximumApplicationAddress: LPVOID,
    /// One bit per processor the process may run on (the first 64).
    pub dwActiveProcessorMask: DWORD_PTR,
    /// The number of processors online.
    pub dwNumberOfProcessors: DWORD,
    /// Obsolete: a `PROCESSOR_…` value.
    pub dwProcessorType: DWORD,
    /// The alignment of virtual memory reservations.
    pub dwAllocationGranularity: DWORD,
    /// The processor level (architecture-dependent).
    pub wProcessorLevel: WORD,
    /// The processor revision (architecture-dependent).
    pub wProcessorRevision: WORD,
}
/// Win32 `LPSYSTEM_INFO`.
pub type LPSYSTEM_INFO = *mut SYSTEM_INFO;

/// Win32 `CONSOLE_READCONSOLE_CONTROL`: the line-editing controls of `ReadConsoleW`
/// (accepted, not used: the console here is the terminal's own line discipline).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CONSOLE_READCONSOLE_CONTROL {
    /// The structure's size in bytes.
    pub nLength: ULONG,
    /// Characters of the buffer to keep.
    pub nInitialChars: ULONG,
    /// Control characters that end the read.
    pub dwCtrlWakeupMask: ULONG,
    /// The control keys' state when the read ended.
    pub dwControlKeyState: ULONG,
}
/// Win32 `PCONSOLE_READCONSOLE_CONTROL`.
pub type PCONSOLE_READCONSOLE_CONTROL = *mut CONSOLE_READCONSOLE_CONTROL;

/// NT `NTSTATUS`: the result of an `Nt…` function, a signed 32-bit value (negative for
/// errors, `STATUS_SUCCESS` 0).
pub type NTSTATUS = LONG;

/// NT `PNTAPCFUNC`: a user APC as `NtQueueApcThread` queues it, called with its three
/// arguments unchanged (A14).
pub type PNTAPCFUNC = Option<
    unsafe extern "C-unwind" fn(
        ApcArgument1: ULONG_PTR,
        ApcArgument2: ULONG_PTR,
        ApcArgument3: ULONG_PTR,
    ),
>;

/// NT `WAIT_TYPE`: `WaitAll` (0) or `WaitAny` (1), how `NtWaitForMultipleObjects` waits
/// (an enumeration in C).
pub type WAIT_TYPE = c_int;

/// Win32 `QUEUE_USER_APC_FLAGS`: the kind of APC `QueueUserAPC2` queues (an enumeration
/// in C).
pub type QUEUE_USER_APC_FLAGS = c_int;

/// Win32 `FARPROC`: what `GetProcAddress` returns, a function of unknown type to be cast
/// to the right one.
pub type FARPROC = Option<unsafe extern "C" fn() -> INT_PTR>;

// ---------------------------------------------------------------------------------------
// The thread pool (`threadpoolapiset.rs`): objects C only points to, callbacks, and the
// callback environment.

/// Win32 `TP_POOL`: a thread pool; C only ever holds a pointer to it.
#[derive(Debug)]
pub enum TP_POOL {}
/// Win32 `PTP_POOL`.
pub type PTP_POOL = *mut TP_POOL;
/// Win32 `TP_WORK`: a work object; C only ever holds a pointer to it.
#[derive(Debug)]
pub enum TP_WORK {}
/// Win32 `PTP_WORK`.
pub type PTP_WORK = *mut TP_WORK;
/// Win32 `TP_TIMER`: a timer object; C only ever holds a pointer to it.
#[derive(Debug)]
pub enum TP_TIMER {}
/// Win32 `PTP_TIMER`.
pub type PTP_TIMER = *mut TP_TIMER;
/// Win32 `TP_WAIT`: a wait object; C only ever holds a pointer to it.
#[derive(Debug)]
pub enum TP_WAIT {}
/// Win32 `PTP_WAIT`.
pub type PTP_WAIT = *mut TP_WAIT;
/// Win32 `TP_IO`: an I/O object; C only ever holds a pointer to it.
#[derive(Debug)]
pub enum TP_IO {}
/// Win32 `PTP_IO`.
pub type PTP_IO = *mut TP_IO;
/// Win32 `TP_CLEANUP_GROUP`: a cleanup group; C only ever holds a pointer to it.
#[derive(Debug)]
pub enum TP_CLEANUP_GROUP {}
/// Win32 `PTP_CLEANUP_GROUP`.
pub type PTP_CLEANUP_GROUP = *mut TP_CLEANUP_GROUP;
/// Win32 `TP_CALLBACK_INSTANCE`: a running callback; C only ever holds a pointer to it,
/// valid while the callback runs.
#[derive(Debug)]
pub enum TP_CALLBACK_INSTANCE {}
/// Win32 `PTP_CALLBACK_INSTANCE`.
pub type PTP_CALLBACK_INSTANCE = *mut TP_CALLBACK_INSTANCE;

/// Win32 `TP_VERSION`: the version of a callback environment (3).
pub type TP_VERSION = DWORD;
/// Win32 `TP_WAIT_RESULT`: why a wait callback runs, `WAIT_OBJECT_0`, `WAIT_ABANDONED_0`
/// or `WAIT_TIMEOUT`.
pub type TP_WAIT_RESULT = DWORD;
/// Win32 `TP_CALLBACK_PRIORITY`: a callback environment's priority (an enumeration in the
/// SDK, an integer here); accepted and not used.
pub type TP_CALLBACK_PRIORITY = DWORD;

/// Win32 `PTP_SIMPLE_CALLBACK`: the callback of `TrySubmitThreadpoolCallback`.
pub type PTP_SIMPLE_CALLBACK =
    Option<unsafe extern "C" fn(Instance: PTP_CALLBACK_INSTANCE, Context: PVOID)>;
/// Win32 `PTP_WORK_CALLBACK`: a work object's callback.
pub type PTP_WORK_CALLBACK =
    Option<unsafe extern "C" fn(Instance: PTP_CALLBACK_INSTANCE, Context: PVOID, Work: PTP_WORK)>;
/// Win32 `PTP_TIMER_CALLBACK`: a timer object's callback.
pub type PTP_TIMER_CALLBACK =
    Option<unsafe extern "C" fn(Instance: PTP_CALLBACK_INSTANCE, Context: PVOID, Timer: PTP_TIMER)>;
/// Win32 `PTP_WAIT_CALLBACK`: a wait object's callback.
pub type PTP_WAIT_CALLBACK = Option<
    unsafe extern "C" fn(
        Instance: PTP_CALLBACK_INSTANCE,
        Context: PVOID,
        Wait: PTP_WAIT,
        WaitResult: TP_WAIT_RESULT,
    ),
>;
/// Win32 `PTP_WIN32_IO_CALLBACK`: an I/O object's callback, with the request's
/// `OVERLAPPED`, its Win32 error code and the bytes transferred.
pub type PTP_WIN32_IO_CALLBACK = Option<
    unsafe extern "C" fn(
        Instance: PTP_CALLBACK_INSTANCE,
        Context: PVOID,
        Overlapped: PVOID,
        IoResult: ULONG,
        NumberOfBytesTransferred: ULONG_PTR,
        Io: PTP_IO,
    ),
>;
/// Win32 `PTP_CLEANUP_GROUP_CANCEL_CALLBACK`: called for each member of a cleanup group
/// whose pending callbacks were cancelled.
pub type PTP_CLEANUP_GROUP_CANCEL_CALLBACK =
    Option<unsafe extern "C" fn(ObjectContext: PVOID, CleanupContext: PVOID)>;

/// The flags word of a [`TP_CALLBACK_ENVIRON_V3`] (bit 0: the callbacks may run long).
#[repr(C)]
#[derive(Clone, Copy)]
pub union TP_CALLBACK_ENVIRON_V3_FLAGS {
    /// The flags.
    pub Flags: DWORD,
}

impl core::fmt::Debug for TP_CALLBACK_ENVIRON_V3_FLAGS {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // SAFETY: the one member covers the whole union.
        let flags = unsafe { self.Flags };
        f.debug_struct("TP_CALLBACK_ENVIRON_V3_FLAGS")
            .field("Flags", &flags)
            .finish()
    }
}

/// Win32 `TP_CALLBACK_ENVIRON_V3`: where a thread pool object's callbacks run, filled in
/// by `InitializeThreadpoolEnvironment` and the `SetThreadpoolCallback…` functions.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct TP_CALLBACK_ENVIRON_V3 {
    /// The version, 3.
    pub Version: TP_VERSION,
    /// The pool (`NULL`: the process's default pool).
    pub Pool: PTP_POOL,
    /// The cleanup group, if any.
    pub CleanupGroup: PTP_CLEANUP_GROUP,
    /// Called for members whose pending callbacks a cleanup cancels.
    pub CleanupGroupCancelCallback: PTP_CLEANUP_GROUP_CANCEL_CALLBACK,
    /// Not used.
    pub RaceDll: PVOID,
    /// Not used.
    pub ActivationContext: PVOID,
    /// Not used.
    pub FinalizationCallback: PTP_SIMPLE_CALLBACK,
    /// The flags.
    pub u: TP_CALLBACK_ENVIRON_V3_FLAGS,
    /// Not used.
    pub CallbackPriority: TP_CALLBACK_PRIORITY,
    /// The size of the structure.
    pub Size: DWORD,
}

/// Win32 `TP_CALLBACK_ENVIRON`.
pub type TP_CALLBACK_ENVIRON = TP_CALLBACK_ENVIRON_V3;
/// Win32 `PTP_CALLBACK_ENVIRON`.
pub type PTP_CALLBACK_ENVIRON = *mut TP_CALLBACK_ENVIRON_V3;

/// Win32 `WAITORTIMERCALLBACK`: the callback of a registered wait or a timer-queue timer,
/// with its parameter and `TRUE` if a timer fired or a wait timed out.
pub type WAITORTIMERCALLBACK =
    Option<unsafe extern "C" fn(lpParameter: PVOID, TimerOrWaitFired: BOOLEAN)>;
