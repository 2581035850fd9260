//! The constants of `windows.h`, by area, with their Win32 values.
//!
//! Every constant here is also a `#define` in `include/windows.h` with the same value; the
//! `header` test compares the two.

use crate::types::{BOOL, DWORD, HANDLE, UINT, ULONG};

// ---------------------------------------------------------------------------------------
// General.

/// Win32 `TRUE`.
pub const TRUE: BOOL = 1;
/// Win32 `FALSE`.
pub const FALSE: BOOL = 0;
/// Win32 `INFINITE`: a timeout that never elapses.
pub const INFINITE: DWORD = 0xFFFF_FFFF;
/// Win32 `MAX_PATH`: the buffer size, in characters, `GetTempFileName` writes into.
pub const MAX_PATH: DWORD = 260;

// ---------------------------------------------------------------------------------------
// Error codes (`GetLastError`).

/// `ERROR_SUCCESS` (0).
pub const ERROR_SUCCESS: DWORD = 0;
/// `ERROR_FILE_NOT_FOUND` (2).
pub const ERROR_FILE_NOT_FOUND: DWORD = 2;
/// `ERROR_PATH_NOT_FOUND` (3).
pub const ERROR_PATH_NOT_FOUND: DWORD = 3;
/// `ERROR_ACCESS_DENIED` (5): among others, `SuspendThread` on an exited thread (C37).
pub const ERROR_ACCESS_DENIED: DWORD = 5;
/// `ERROR_INVALID_HANDLE` (6): an invalid, closed or wrong-kind handle.
pub const ERROR_INVALID_HANDLE: DWORD = 6;
/// `ERROR_NOT_ENOUGH_MEMORY` (8): a thread could not be created.
pub const ERROR_NOT_ENOUGH_MEMORY: DWORD = 8;
/// `ERROR_GEN_FAILURE` (31): `QueueUserAPC` to a thread that has exited (A4).
pub const ERROR_GEN_FAILURE: DWORD = 31;
/// `ERROR_HANDLE_EOF` (38).
pub const ERROR_HANDLE_EOF: DWORD = 38;
/// `ERROR_NOT_SUPPORTED` (50): left by `SetWaitableTimer` with `fResume` (M143).
pub const ERROR_NOT_SUPPORTED: DWORD = 50;
/// `ERROR_FILE_EXISTS` (80).
pub const ERROR_FILE_EXISTS: DWORD = 80;
/// `ERROR_INVALID_PARAMETER` (87).
pub const ERROR_INVALID_PARAMETER: DWORD = 87;
/// `ERROR_BROKEN_PIPE` (109).
pub const ERROR_BROKEN_PIPE: DWORD = 109;
/// `ERROR_BUFFER_OVERFLOW` (111): a temporary file name would not fit in `MAX_PATH`.
pub const ERROR_BUFFER_OVERFLOW: DWORD = 111;
/// `ERROR_DISK_FULL` (112).
pub const ERROR_DISK_FULL: DWORD = 112;
/// `ERROR_INSUFFICIENT_BUFFER` (122).
pub const ERROR_INSUFFICIENT_BUFFER: DWORD = 122;
/// `ERROR_SIGNAL_REFUSED` (156): a suspend count already at its maximum (127).
pub const ERROR_SIGNAL_REFUSED: DWORD = 156;
/// `ERROR_ALREADY_EXISTS` (183): a `Create…` call with the name of an existing object,
/// which returns a new handle to that object; also left by `CreateFile` when
/// `CREATE_ALWAYS` or `OPEN_ALWAYS` found the file.
pub const ERROR_ALREADY_EXISTS: DWORD = 183;
/// `ERROR_DIRECTORY` (267): `GetTempFileName` in a directory that does not exist.
pub const ERROR_DIRECTORY: DWORD = 267;
/// `ERROR_NOT_OWNER` (288): releasing a mutex the caller does not own (G68).
pub const ERROR_NOT_OWNER: DWORD = 288;
/// `ERROR_TOO_MANY_POSTS` (298): releasing a semaphore past its maximum (F65).
pub const ERROR_TOO_MANY_POSTS: DWORD = 298;
/// `ERROR_ABANDONED_WAIT_0` (735).
pub const ERROR_ABANDONED_WAIT_0: DWORD = 735;
/// `ERROR_OPERATION_ABORTED` (995).
pub const ERROR_OPERATION_ABORTED: DWORD = 995;
/// `ERROR_IO_INCOMPLETE` (996).
pub const ERROR_IO_INCOMPLETE: DWORD = 996;
/// `ERROR_IO_PENDING` (997).
pub const ERROR_IO_PENDING: DWORD = 997;
/// `ERROR_NOACCESS` (998): a required pointer argument is `NULL`.
pub const ERROR_NOACCESS: DWORD = 998;
/// `ERROR_NO_UNICODE_TRANSLATION` (1113): a string that is not valid UTF-8 (`…A`) or
/// UTF-32 (`…W`).
pub const ERROR_NO_UNICODE_TRANSLATION: DWORD = 1113;
/// `ERROR_NOT_FOUND` (1168).
pub const ERROR_NOT_FOUND: DWORD = 1168;
/// `ERROR_INTERNAL_ERROR` (1359): the library failed inside (a caught panic); nothing
/// was changed.
pub const ERROR_INTERNAL_ERROR: DWORD = 1359;
/// `ERROR_INVALID_WINDOW_HANDLE` (1400): a message function given a window (there are
/// no windows, only thread messages).
pub const ERROR_INVALID_WINDOW_HANDLE: DWORD = 1400;
/// `ERROR_INVALID_THREAD_ID` (1444): `PostThreadMessage` to a thread that has no message
/// queue (it has not called a message function yet, or has exited) or is unknown.
pub const ERROR_INVALID_THREAD_ID: DWORD = 1444;
/// `ERROR_NO_SYSTEM_RESOURCES` (1450): the handle table is full.
pub const ERROR_NO_SYSTEM_RESOURCES: DWORD = 1450;
/// `ERROR_TIMEOUT` (1460): a condition-variable sleep timed out.
pub const ERROR_TIMEOUT: DWORD = 1460;
/// `ERROR_NOT_ENOUGH_QUOTA` (1816): `PostThreadMessage` to a queue that holds 10,000
/// messages.
pub const ERROR_NOT_ENOUGH_QUOTA: DWORD = 1816;

// ---------------------------------------------------------------------------------------
// Waits.

/// `WAIT_OBJECT_0` (0): the object at index 0 was signaled; `+ i` for index `i`.
pub const WAIT_OBJECT_0: DWORD = 0;
/// `WAIT_ABANDONED` (0x80): an abandoned mutex was acquired.
pub const WAIT_ABANDONED: DWORD = 0x80;
/// `WAIT_ABANDONED_0` (0x80): the abandoned mutex at index 0; `+ i` for index `i`.
pub const WAIT_ABANDONED_0: DWORD = 0x80;
/// `WAIT_IO_COMPLETION` (0xC0, 192): an alertable wait ran APCs and ended.
pub const WAIT_IO_COMPLETION: DWORD = 0xC0;
/// `WAIT_TIMEOUT` (0x102, 258): the timeout elapsed.
pub const WAIT_TIMEOUT: DWORD = 0x102;
/// `WAIT_FAILED` (0xFFFFFFFF): the wait failed; see `GetLastError`.
pub const WAIT_FAILED: DWORD = 0xFFFF_FFFF;
/// `MAXIMUM_WAIT_OBJECTS` (64): the most handles one wait takes.
pub const MAXIMUM_WAIT_OBJECTS: DWORD = 64;

// ---------------------------------------------------------------------------------------
// Threads.

/// `STILL_ACTIVE` (259): `GetExitCodeThread` of a thread that has not exited.
pub const STILL_ACTIVE: DWORD = 259;
/// `CREATE_SUSPENDED` (0x4): `CreateThread` creates the thread suspended.
pub const CREATE_SUSPENDED: DWORD = 0x4;
/// `STACK_SIZE_PARAM_IS_A_RESERVATION` (0x10000): accepted; the stack size is the size.
pub const STACK_SIZE_PARAM_IS_A_RESERVATION: DWORD = 0x1_0000;
/// `SYNCHRONIZE` (0x100000). Access masks are accepted and not enforced.
pub const SYNCHRONIZE: DWORD = 0x10_0000;
/// `THREAD_SUSPEND_RESUME` (0x2).
pub const THREAD_SUSPEND_RESUME: DWORD = 0x2;
/// `THREAD_SET_CONTEXT` (0x10), the right `QueueUserAPC` needs on Windows.
pub const THREAD_SET_CONTEXT: DWORD = 0x10;
/// `THREAD_QUERY_INFORMATION` (0x40).
pub const THREAD_QUERY_INFORMATION: DWORD = 0x40;
/// `THREAD_QUERY_LIMITED_INFORMATION` (0x800).
pub const THREAD_QUERY_LIMITED_INFORMATION: DWORD = 0x800;
/// `THREAD_ALL_ACCESS` (0x1FFFFF).
pub const THREAD_ALL_ACCESS: DWORD = 0x1F_FFFF;

// ---------------------------------------------------------------------------------------
// Handles.

/// `INVALID_HANDLE_VALUE` (`(HANDLE)-1`), the value some functions return on failure. It
/// is also the value of `GetCurrentProcess()`.
pub const INVALID_HANDLE_VALUE: HANDLE = -1isize as HANDLE;
/// `DUPLICATE_CLOSE_SOURCE` (0x1): `DuplicateHandle` closes the source handle.
pub const DUPLICATE_CLOSE_SOURCE: DWORD = 0x1;
/// `DUPLICATE_SAME_ACCESS` (0x2): accepted (access masks are not enforced).
pub const DUPLICATE_SAME_ACCESS: DWORD = 0x2;

// ---------------------------------------------------------------------------------------
// Locks and condition variables.

/// `CONDITION_VARIABLE_LOCKMODE_SHARED` (0x1): the SRW lock is held shared.
pub const CONDITION_VARIABLE_LOCKMODE_SHARED: ULONG = 0x1;

// ---------------------------------------------------------------------------------------
// Waitable timers.

/// `POWER_REQUEST_CONTEXT_VERSION` (0).
pub const POWER_REQUEST_CONTEXT_VERSION: ULONG = 0;
/// `POWER_REQUEST_CONTEXT_SIMPLE_STRING` (0x1).
pub const POWER_REQUEST_CONTEXT_SIMPLE_STRING: DWORD = 0x1;
/// `POWER_REQUEST_CONTEXT_DETAILED_STRING` (0x2).
pub const POWER_REQUEST_CONTEXT_DETAILED_STRING: DWORD = 0x2;

// ---------------------------------------------------------------------------------------
// Files.

/// `GENERIC_READ` (0x80000000).
pub const GENERIC_READ: DWORD = 0x8000_0000;
/// `GENERIC_WRITE` (0x40000000).
pub const GENERIC_WRITE: DWORD = 0x4000_0000;
/// `FILE_SHARE_READ` (0x1).
pub const FILE_SHARE_READ: DWORD = 0x1;
/// `FILE_SHARE_WRITE` (0x2).
pub const FILE_SHARE_WRITE: DWORD = 0x2;
/// `FILE_SHARE_DELETE` (0x4).
pub const FILE_SHARE_DELETE: DWORD = 0x4;
/// `CREATE_NEW` (1).
pub const CREATE_NEW: DWORD = 1;
/// `CREATE_ALWAYS` (2).
pub const CREATE_ALWAYS: DWORD = 2;
/// `OPEN_EXISTING` (3).
pub const OPEN_EXISTING: DWORD = 3;
/// `OPEN_ALWAYS` (4).
pub const OPEN_ALWAYS: DWORD = 4;
/// `TRUNCATE_EXISTING` (5).
pub const TRUNCATE_EXISTING: DWORD = 5;
/// `FILE_ATTRIBUTE_NORMAL` (0x80).
pub const FILE_ATTRIBUTE_NORMAL: DWORD = 0x80;
/// `FILE_FLAG_OVERLAPPED` (0x40000000): the file is opened for asynchronous I/O.
pub const FILE_FLAG_OVERLAPPED: DWORD = 0x4000_0000;
/// `STATUS_PENDING` (0x103): the `Internal` member of an `OVERLAPPED` whose request is
/// still in progress (`HasOverlappedIoCompleted` compares with it).
pub const STATUS_PENDING: DWORD = 0x103;

// ---------------------------------------------------------------------------------------
// Messages.

/// `WM_NULL` (0).
pub const WM_NULL: UINT = 0;
/// `WM_QUIT` (0x12): posted by `PostQuitMessage`.
pub const WM_QUIT: UINT = 0x12;
/// `WM_USER` (0x400): the first private message number.
pub const WM_USER: UINT = 0x400;
/// `WM_APP` (0x8000): the first application message number.
pub const WM_APP: UINT = 0x8000;
/// `PM_NOREMOVE` (0): `PeekMessage` leaves the message queued.
pub const PM_NOREMOVE: UINT = 0;
/// `PM_REMOVE` (1): `PeekMessage` removes the message.
pub const PM_REMOVE: UINT = 1;
/// `PM_NOYIELD` (2): accepted.
pub const PM_NOYIELD: UINT = 2;
/// `MWMO_WAITALL` (0x1): the message queue joins a wait-all.
pub const MWMO_WAITALL: DWORD = 0x1;
/// `MWMO_ALERTABLE` (0x2): the message wait runs APCs.
pub const MWMO_ALERTABLE: DWORD = 0x2;
/// `MWMO_INPUTAVAILABLE` (0x4): input already seen counts too.
pub const MWMO_INPUTAVAILABLE: DWORD = 0x4;
/// `QS_KEY` (0x1).
pub const QS_KEY: DWORD = 0x1;
/// `QS_MOUSEMOVE` (0x2).
pub const QS_MOUSEMOVE: DWORD = 0x2;
/// `QS_MOUSEBUTTON` (0x4).
pub const QS_MOUSEBUTTON: DWORD = 0x4;
/// `QS_POSTMESSAGE` (0x8): a posted message.
pub const QS_POSTMESSAGE: DWORD = 0x8;
/// `QS_TIMER` (0x10).
pub const QS_TIMER: DWORD = 0x10;
/// `QS_PAINT` (0x20).
pub const QS_PAINT: DWORD = 0x20;
/// `QS_SENDMESSAGE` (0x40).
pub const QS_SENDMESSAGE: DWORD = 0x40;
/// `QS_HOTKEY` (0x80).
pub const QS_HOTKEY: DWORD = 0x80;
/// `QS_ALLPOSTMESSAGE` (0x100).
pub const QS_ALLPOSTMESSAGE: DWORD = 0x100;
/// `QS_RAWINPUT` (0x400).
pub const QS_RAWINPUT: DWORD = 0x400;
/// `QS_TOUCH` (0x800).
pub const QS_TOUCH: DWORD = 0x800;
/// `QS_POINTER` (0x1000).
pub const QS_POINTER: DWORD = 0x1000;
/// `QS_MOUSE` (0x6): `QS_MOUSEMOVE | QS_MOUSEBUTTON`.
pub const QS_MOUSE: DWORD = 0x6;
/// `QS_INPUT` (0x1C07): mouse, key, raw input, touch and pointer input.
pub const QS_INPUT: DWORD = 0x1C07;
/// `QS_ALLEVENTS` (0x1CBF): input, posted messages, timers, paint and hot keys.
pub const QS_ALLEVENTS: DWORD = 0x1CBF;
/// `QS_ALLINPUT` (0x1CFF): `QS_ALLEVENTS | QS_SENDMESSAGE`.
pub const QS_ALLINPUT: DWORD = 0x1CFF;
