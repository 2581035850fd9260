//! The constants of `windows.h`, by area, with their Win32 values.
//!
//! Every constant here is also a `#define` in one of the headers of `include/`, with the same value; the
//! `header` test compares the two.

use crate::types::{
    BOOL, DWORD, GET_FILEEX_INFO_LEVELS, HANDLE, HRESULT, INT, NTSTATUS, QUEUE_USER_APC_FLAGS,
    UCHAR, UINT, ULONG, WAIT_TYPE, WORD,
};

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
/// `ERROR_ACCESS_DENIED` (5): the handle lacks the access right the function needs (see
/// `handle.rs`); also `SuspendThread` on an exited thread (C37), among others.
pub const ERROR_ACCESS_DENIED: DWORD = 5;
/// `ERROR_INVALID_HANDLE` (6): an invalid, closed or wrong-kind handle.
pub const ERROR_INVALID_HANDLE: DWORD = 6;
/// `ERROR_NOT_ENOUGH_MEMORY` (8): a thread could not be created.
pub const ERROR_NOT_ENOUGH_MEMORY: DWORD = 8;
/// `ERROR_NOT_SAME_DEVICE` (17): `MoveFileEx` across file systems without
/// `MOVEFILE_COPY_ALLOWED`.
pub const ERROR_NOT_SAME_DEVICE: DWORD = 17;
/// `ERROR_SHARING_VIOLATION` (32): `CopyFile` of a file onto itself.
pub const ERROR_SHARING_VIOLATION: DWORD = 32;
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
/// `ERROR_NEGATIVE_SEEK` (131): `SetFilePointer(Ex)` to a position before the start.
pub const ERROR_NEGATIVE_SEEK: DWORD = 131;
/// `ERROR_DIR_NOT_EMPTY` (145): `RemoveDirectory` of a folder that has entries.
pub const ERROR_DIR_NOT_EMPTY: DWORD = 145;
/// `ERROR_SIGNAL_REFUSED` (156): a suspend count already at its maximum (127).
pub const ERROR_SIGNAL_REFUSED: DWORD = 156;
/// `ERROR_ALREADY_EXISTS` (183): a `Create…` call with the name of an existing object,
/// which returns a new handle to that object; also left by `CreateFile` when
/// `CREATE_ALWAYS` or `OPEN_ALWAYS` found the file.
pub const ERROR_ALREADY_EXISTS: DWORD = 183;
/// `ERROR_FILENAME_EXCED_RANGE` (206): an object name longer than 256 bytes.
pub const ERROR_FILENAME_EXCED_RANGE: DWORD = 206;
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
/// `ERROR_PRIVILEGE_NOT_HELD` (1314): an access mask asking for `ACCESS_SYSTEM_SECURITY`,
/// which needs a privilege the process does not hold.
pub const ERROR_PRIVILEGE_NOT_HELD: DWORD = 1314;
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
/// `ERROR_INVALID_USER_BUFFER` (1784): `WriteFile` (and `WriteFileEx`) with a `NULL`
/// buffer and a non-zero length.
pub const ERROR_INVALID_USER_BUFFER: DWORD = 1784;
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
/// `CREATE_EVENT_MANUAL_RESET` (0x1): `CreateEventEx` makes a manual-reset event.
pub const CREATE_EVENT_MANUAL_RESET: DWORD = 0x1;
/// `CREATE_EVENT_INITIAL_SET` (0x2): `CreateEventEx` makes a signaled event.
pub const CREATE_EVENT_INITIAL_SET: DWORD = 0x2;
/// `CREATE_MUTEX_INITIAL_OWNER` (0x1): `CreateMutexEx` makes the caller the owner.
pub const CREATE_MUTEX_INITIAL_OWNER: DWORD = 0x1;
/// `CREATE_WAITABLE_TIMER_MANUAL_RESET` (0x1): `CreateWaitableTimerEx` makes a
/// manual-reset timer.
pub const CREATE_WAITABLE_TIMER_MANUAL_RESET: DWORD = 0x1;
/// `CREATE_WAITABLE_TIMER_HIGH_RESOLUTION` (0x2): accepted and ignored (every timer has
/// the monotonic clock's resolution).
pub const CREATE_WAITABLE_TIMER_HIGH_RESOLUTION: DWORD = 0x2;
/// `CREATE_SUSPENDED` (0x4): `CreateThread` creates the thread suspended.
pub const CREATE_SUSPENDED: DWORD = 0x4;
/// `STACK_SIZE_PARAM_IS_A_RESERVATION` (0x10000): accepted; the stack size is the size.
pub const STACK_SIZE_PARAM_IS_A_RESERVATION: DWORD = 0x1_0000;
/// `THREAD_TERMINATE` (0x1).
pub const THREAD_TERMINATE: DWORD = 0x1;
/// `THREAD_SUSPEND_RESUME` (0x2): `SuspendThread`, `ResumeThread`.
pub const THREAD_SUSPEND_RESUME: DWORD = 0x2;
/// `THREAD_GET_CONTEXT` (0x8).
pub const THREAD_GET_CONTEXT: DWORD = 0x8;
/// `THREAD_SET_CONTEXT` (0x10): `QueueUserAPC` (A6).
pub const THREAD_SET_CONTEXT: DWORD = 0x10;
/// `THREAD_SET_INFORMATION` (0x20); implies `THREAD_SET_LIMITED_INFORMATION`.
pub const THREAD_SET_INFORMATION: DWORD = 0x20;
/// `THREAD_QUERY_INFORMATION` (0x40); implies `THREAD_QUERY_LIMITED_INFORMATION`.
pub const THREAD_QUERY_INFORMATION: DWORD = 0x40;
/// `THREAD_SET_LIMITED_INFORMATION` (0x400).
pub const THREAD_SET_LIMITED_INFORMATION: DWORD = 0x400;
/// `THREAD_QUERY_LIMITED_INFORMATION` (0x800): `GetExitCodeThread`.
pub const THREAD_QUERY_LIMITED_INFORMATION: DWORD = 0x800;
/// `THREAD_RESUME` (0x1000).
pub const THREAD_RESUME: DWORD = 0x1000;
/// `THREAD_ALL_ACCESS` (0x1FFFFF): what `CreateThread` and `GetCurrentThread()` give.
pub const THREAD_ALL_ACCESS: DWORD = 0x1F_FFFF;
/// `MAXIMUM_SUSPEND_COUNT` (127): the highest suspend count; `SuspendThread` beyond it
/// fails with `ERROR_SIGNAL_REFUSED`.
pub const MAXIMUM_SUSPEND_COUNT: DWORD = 0x7F;
/// `PROCESS_DUP_HANDLE` (0x40): both process handles of `DuplicateHandle`.
pub const PROCESS_DUP_HANDLE: DWORD = 0x40;
/// `PROCESS_QUERY_INFORMATION` (0x400); implies `PROCESS_QUERY_LIMITED_INFORMATION`.
pub const PROCESS_QUERY_INFORMATION: DWORD = 0x400;
/// `PROCESS_QUERY_LIMITED_INFORMATION` (0x1000).
pub const PROCESS_QUERY_LIMITED_INFORMATION: DWORD = 0x1000;
/// `PROCESS_ALL_ACCESS` (0x1FFFFF): what `GetCurrentProcess()` gives.
pub const PROCESS_ALL_ACCESS: DWORD = 0x1F_FFFF;

// ---------------------------------------------------------------------------------------
// Handles.

/// `INVALID_HANDLE_VALUE` (`(HANDLE)-1`), the value some functions return on failure. It
/// is also the value of `GetCurrentProcess()`.
pub const INVALID_HANDLE_VALUE: HANDLE = -1isize as HANDLE;
/// `DUPLICATE_CLOSE_SOURCE` (0x1): `DuplicateHandle` closes the source handle.
pub const DUPLICATE_CLOSE_SOURCE: DWORD = 0x1;
/// `DUPLICATE_SAME_ACCESS` (0x2): the new handle gets the source handle's access, and
/// `dwDesiredAccess` is ignored.
pub const DUPLICATE_SAME_ACCESS: DWORD = 0x2;

// ---------------------------------------------------------------------------------------
// Access rights (see `handle.rs`: every handle carries the rights it was granted).

/// `DELETE` (0x10000).
pub const DELETE: DWORD = 0x1_0000;
/// `READ_CONTROL` (0x20000).
pub const READ_CONTROL: DWORD = 0x2_0000;
/// `WRITE_DAC` (0x40000).
pub const WRITE_DAC: DWORD = 0x4_0000;
/// `WRITE_OWNER` (0x80000).
pub const WRITE_OWNER: DWORD = 0x8_0000;
/// `SYNCHRONIZE` (0x100000): the right to wait on the object (D53).
pub const SYNCHRONIZE: DWORD = 0x10_0000;
/// `STANDARD_RIGHTS_REQUIRED` (0xF0000): `DELETE | READ_CONTROL | WRITE_DAC | WRITE_OWNER`.
pub const STANDARD_RIGHTS_REQUIRED: DWORD = 0xF_0000;
/// `STANDARD_RIGHTS_READ` (0x20000): `READ_CONTROL`.
pub const STANDARD_RIGHTS_READ: DWORD = 0x2_0000;
/// `STANDARD_RIGHTS_WRITE` (0x20000): `READ_CONTROL`.
pub const STANDARD_RIGHTS_WRITE: DWORD = 0x2_0000;
/// `STANDARD_RIGHTS_EXECUTE` (0x20000): `READ_CONTROL`.
pub const STANDARD_RIGHTS_EXECUTE: DWORD = 0x2_0000;
/// `STANDARD_RIGHTS_ALL` (0x1F0000): the standard rights and `SYNCHRONIZE`.
pub const STANDARD_RIGHTS_ALL: DWORD = 0x1F_0000;
/// `SPECIFIC_RIGHTS_ALL` (0xFFFF): the bits whose meaning depends on the object type.
pub const SPECIFIC_RIGHTS_ALL: DWORD = 0xFFFF;
/// `ACCESS_SYSTEM_SECURITY` (0x1000000): needs a privilege the process does not hold
/// (`ERROR_PRIVILEGE_NOT_HELD`).
pub const ACCESS_SYSTEM_SECURITY: DWORD = 0x100_0000;
/// `MAXIMUM_ALLOWED` (0x2000000): every right of the object type.
pub const MAXIMUM_ALLOWED: DWORD = 0x200_0000;
/// `GENERIC_ALL` (0x10000000): every right of the object type.
pub const GENERIC_ALL: DWORD = 0x1000_0000;
/// `GENERIC_EXECUTE` (0x20000000), mapped to the object type's execute rights.
pub const GENERIC_EXECUTE: DWORD = 0x2000_0000;
/// `EVENT_MODIFY_STATE` (0x2): `SetEvent`, `ResetEvent`, `PulseEvent`.
pub const EVENT_MODIFY_STATE: DWORD = 0x2;
/// `EVENT_ALL_ACCESS` (0x1F0003): what `CreateEvent` gives.
pub const EVENT_ALL_ACCESS: DWORD = 0x1F_0003;
/// `SEMAPHORE_MODIFY_STATE` (0x2): `ReleaseSemaphore`.
pub const SEMAPHORE_MODIFY_STATE: DWORD = 0x2;
/// `SEMAPHORE_ALL_ACCESS` (0x1F0003): what `CreateSemaphore` gives.
pub const SEMAPHORE_ALL_ACCESS: DWORD = 0x1F_0003;
/// `MUTEX_MODIFY_STATE` (0x1). `ReleaseMutex` needs no right at all (G69).
pub const MUTEX_MODIFY_STATE: DWORD = 0x1;
/// `MUTEX_ALL_ACCESS` (0x1F0001): what `CreateMutex` gives.
pub const MUTEX_ALL_ACCESS: DWORD = 0x1F_0001;
/// `TIMER_QUERY_STATE` (0x1).
pub const TIMER_QUERY_STATE: DWORD = 0x1;
/// `TIMER_MODIFY_STATE` (0x2): `SetWaitableTimer(Ex)`, `CancelWaitableTimer`.
pub const TIMER_MODIFY_STATE: DWORD = 0x2;
/// `TIMER_ALL_ACCESS` (0x1F0003): what `CreateWaitableTimer` gives.
pub const TIMER_ALL_ACCESS: DWORD = 0x1F_0003;
/// `IO_COMPLETION_MODIFY_STATE` (0x2): taking and posting packets, associating files.
pub const IO_COMPLETION_MODIFY_STATE: DWORD = 0x2;
/// `IO_COMPLETION_ALL_ACCESS` (0x1F0003): what `CreateIoCompletionPort` gives.
pub const IO_COMPLETION_ALL_ACCESS: DWORD = 0x1F_0003;
/// `FILE_READ_DATA` (0x1): `ReadFile`, `ReadFileEx`.
pub const FILE_READ_DATA: DWORD = 0x1;
/// `FILE_WRITE_DATA` (0x2): `WriteFile`, `WriteFileEx`.
pub const FILE_WRITE_DATA: DWORD = 0x2;
/// `FILE_APPEND_DATA` (0x4): writes, always at the end of the file when the handle has no
/// `FILE_WRITE_DATA`.
pub const FILE_APPEND_DATA: DWORD = 0x4;
/// `FILE_READ_EA` (0x8).
pub const FILE_READ_EA: DWORD = 0x8;
/// `FILE_WRITE_EA` (0x10).
pub const FILE_WRITE_EA: DWORD = 0x10;
/// `FILE_EXECUTE` (0x20).
pub const FILE_EXECUTE: DWORD = 0x20;
/// `FILE_READ_ATTRIBUTES` (0x80).
pub const FILE_READ_ATTRIBUTES: DWORD = 0x80;
/// `FILE_WRITE_ATTRIBUTES` (0x100).
pub const FILE_WRITE_ATTRIBUTES: DWORD = 0x100;
/// `FILE_GENERIC_READ` (0x120089): what `GENERIC_READ` means for a file.
pub const FILE_GENERIC_READ: DWORD = 0x12_0089;
/// `FILE_GENERIC_WRITE` (0x120116): what `GENERIC_WRITE` means for a file.
pub const FILE_GENERIC_WRITE: DWORD = 0x12_0116;
/// `FILE_GENERIC_EXECUTE` (0x1200A0): what `GENERIC_EXECUTE` means for a file.
pub const FILE_GENERIC_EXECUTE: DWORD = 0x12_00A0;
/// `FILE_ALL_ACCESS` (0x1F01FF): every right of a file.
pub const FILE_ALL_ACCESS: DWORD = 0x1F_01FF;

// ---------------------------------------------------------------------------------------
// Locks and condition variables.

/// `CONDITION_VARIABLE_LOCKMODE_SHARED` (0x1): the SRW lock is held shared.
pub const CONDITION_VARIABLE_LOCKMODE_SHARED: ULONG = 0x1;

/// `INIT_ONCE_CHECK_ONLY` (0x1): `InitOnceBeginInitialize` only asks whether the
/// initialization is complete.
pub const INIT_ONCE_CHECK_ONLY: DWORD = 0x1;
/// `INIT_ONCE_ASYNC` (0x2): several threads may initialize at once; the first to complete
/// wins.
pub const INIT_ONCE_ASYNC: DWORD = 0x2;
/// `INIT_ONCE_INIT_FAILED` (0x4): `InitOnceComplete` reports a failed initialization.
pub const INIT_ONCE_INIT_FAILED: DWORD = 0x4;
/// `INIT_ONCE_CTX_RESERVED_BITS` (2): the low bits of an `INIT_ONCE` context that must be
/// zero.
pub const INIT_ONCE_CTX_RESERVED_BITS: DWORD = 2;
/// `SYNCHRONIZATION_BARRIER_FLAGS_SPIN_ONLY` (0x1): wait at the barrier by spinning.
pub const SYNCHRONIZATION_BARRIER_FLAGS_SPIN_ONLY: DWORD = 0x1;
/// `SYNCHRONIZATION_BARRIER_FLAGS_BLOCK_ONLY` (0x2): wait at the barrier by sleeping.
pub const SYNCHRONIZATION_BARRIER_FLAGS_BLOCK_ONLY: DWORD = 0x2;
/// `SYNCHRONIZATION_BARRIER_FLAGS_NO_DELETE` (0x4): the barrier is never deleted, so
/// leaving it needs no book-keeping.
pub const SYNCHRONIZATION_BARRIER_FLAGS_NO_DELETE: DWORD = 0x4;
/// `CRITICAL_SECTION_NO_DEBUG_INFO` (0x0100_0000): `InitializeCriticalSectionEx` allocates
/// no debug information (which the library never does, like Windows 8 and later).
pub const CRITICAL_SECTION_NO_DEBUG_INFO: DWORD = 0x0100_0000;

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
/// `FILE_FLAG_DELETE_ON_CLOSE` (0x04000000): the file is removed when its last handle is
/// closed.
pub const FILE_FLAG_DELETE_ON_CLOSE: DWORD = 0x0400_0000;
/// `FILE_ATTRIBUTE_READONLY` (0x1): the file may not be written (no owner write
/// permission).
pub const FILE_ATTRIBUTE_READONLY: DWORD = 0x1;
/// `FILE_ATTRIBUTE_DIRECTORY` (0x10): a folder.
pub const FILE_ATTRIBUTE_DIRECTORY: DWORD = 0x10;
/// `INVALID_FILE_ATTRIBUTES` (0xFFFFFFFF): what `GetFileAttributes` returns on failure.
pub const INVALID_FILE_ATTRIBUTES: DWORD = 0xFFFF_FFFF;
/// `INVALID_FILE_SIZE` (0xFFFFFFFF): what `GetFileSize` returns on failure (or as the low
/// half of a size; `GetLastError` then tells).
pub const INVALID_FILE_SIZE: DWORD = 0xFFFF_FFFF;
/// `INVALID_SET_FILE_POINTER` (0xFFFFFFFF): what `SetFilePointer` returns on failure (or as
/// the low half of a position; `GetLastError` then tells).
pub const INVALID_SET_FILE_POINTER: DWORD = 0xFFFF_FFFF;
/// `FILE_BEGIN` (0): `SetFilePointer(Ex)` moves from the start of the file.
pub const FILE_BEGIN: DWORD = 0;
/// `FILE_CURRENT` (1): `SetFilePointer(Ex)` moves from the file position.
pub const FILE_CURRENT: DWORD = 1;
/// `FILE_END` (2): `SetFilePointer(Ex)` moves from the end of the file.
pub const FILE_END: DWORD = 2;
/// `GetFileExInfoStandard` (0): `GetFileAttributesEx` fills a `WIN32_FILE_ATTRIBUTE_DATA`.
#[allow(non_upper_case_globals)]
pub const GetFileExInfoStandard: GET_FILEEX_INFO_LEVELS = 0;
/// `GetFileExMaxInfoLevel` (1): one past the last information level.
#[allow(non_upper_case_globals)]
pub const GetFileExMaxInfoLevel: GET_FILEEX_INFO_LEVELS = 1;
/// `MOVEFILE_REPLACE_EXISTING` (0x1): `MoveFileEx` replaces an existing target.
pub const MOVEFILE_REPLACE_EXISTING: DWORD = 0x1;
/// `MOVEFILE_COPY_ALLOWED` (0x2): `MoveFileEx` copies and deletes across file systems.
pub const MOVEFILE_COPY_ALLOWED: DWORD = 0x2;
/// `MOVEFILE_WRITE_THROUGH` (0x8): `MoveFileEx` returns once the move is on the disk.
pub const MOVEFILE_WRITE_THROUGH: DWORD = 0x8;
/// `FILE_SKIP_COMPLETION_PORT_ON_SUCCESS` (1): a request that succeeds inside the issuing
/// call posts no packet to the file's completion port.
pub const FILE_SKIP_COMPLETION_PORT_ON_SUCCESS: UCHAR = 0x1;
/// `FILE_SKIP_SET_EVENT_ON_HANDLE` (2): a request that succeeds inside the issuing call does
/// not signal the file handle.
pub const FILE_SKIP_SET_EVENT_ON_HANDLE: UCHAR = 0x2;
/// `STATUS_PENDING` (0x103): the `Internal` member of an `OVERLAPPED` whose request is
/// still in progress (`HasOverlappedIoCompleted` compares with it).
pub const STATUS_PENDING: DWORD = 0x103;

// ---------------------------------------------------------------------------------------
// Messages.

/// `WM_NULL` (0).
pub const WM_NULL: UINT = 0;
/// `WM_QUIT` (0x12): posted by `PostQuitMessage`.
pub const WM_QUIT: UINT = 0x12;
/// `MB_OK` (0): `MessageBox` with an OK button.
pub const MB_OK: UINT = 0x0;
/// `MB_OKCANCEL` (1).
pub const MB_OKCANCEL: UINT = 0x1;
/// `MB_ABORTRETRYIGNORE` (2).
pub const MB_ABORTRETRYIGNORE: UINT = 0x2;
/// `MB_YESNOCANCEL` (3).
pub const MB_YESNOCANCEL: UINT = 0x3;
/// `MB_YESNO` (4).
pub const MB_YESNO: UINT = 0x4;
/// `MB_RETRYCANCEL` (5).
pub const MB_RETRYCANCEL: UINT = 0x5;
/// `MB_CANCELTRYCONTINUE` (6).
pub const MB_CANCELTRYCONTINUE: UINT = 0x6;
/// `MB_ICONERROR` (0x10): the icon bits, accepted and not shown.
pub const MB_ICONERROR: UINT = 0x10;
/// `MB_ICONWARNING` (0x30).
pub const MB_ICONWARNING: UINT = 0x30;
/// `MB_ICONINFORMATION` (0x40).
pub const MB_ICONINFORMATION: UINT = 0x40;
/// `MB_DEFBUTTON2` (0x100): the second button is the default.
pub const MB_DEFBUTTON2: UINT = 0x100;
/// `MB_DEFBUTTON3` (0x200): the third button is the default.
pub const MB_DEFBUTTON3: UINT = 0x200;
/// `IDOK` (1): `MessageBox`'s result for OK.
pub const IDOK: INT = 1;
/// `IDCANCEL` (2).
pub const IDCANCEL: INT = 2;
/// `IDABORT` (3).
pub const IDABORT: INT = 3;
/// `IDRETRY` (4).
pub const IDRETRY: INT = 4;
/// `IDIGNORE` (5).
pub const IDIGNORE: INT = 5;
/// `IDYES` (6).
pub const IDYES: INT = 6;
/// `IDNO` (7).
pub const IDNO: INT = 7;
/// `IDTRYAGAIN` (10).
pub const IDTRYAGAIN: INT = 10;
/// `IDCONTINUE` (11).
pub const IDCONTINUE: INT = 11;
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

// ---------------------------------------------------------------------------------------
// HRESULT values (`winerror.h`).

/// `S_OK` (0): success.
pub const S_OK: HRESULT = 0;
/// `S_FALSE` (1): success, with a negative answer.
pub const S_FALSE: HRESULT = 1;
/// `E_NOTIMPL` (0x80004001): not implemented.
pub const E_NOTIMPL: HRESULT = 0x8000_4001_u32 as HRESULT;
/// `E_POINTER` (0x80004003): an invalid pointer.
pub const E_POINTER: HRESULT = 0x8000_4003_u32 as HRESULT;
/// `E_ABORT` (0x80004004): the operation was aborted.
pub const E_ABORT: HRESULT = 0x8000_4004_u32 as HRESULT;
/// `E_FAIL` (0x80004005): unspecified failure.
pub const E_FAIL: HRESULT = 0x8000_4005_u32 as HRESULT;
/// `E_UNEXPECTED` (0x8000FFFF): unexpected failure.
pub const E_UNEXPECTED: HRESULT = 0x8000_FFFF_u32 as HRESULT;
/// `E_ACCESSDENIED` (0x80070005): `HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED)`.
pub const E_ACCESSDENIED: HRESULT = 0x8007_0005_u32 as HRESULT;
/// `E_HANDLE` (0x80070006): `HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)`.
pub const E_HANDLE: HRESULT = 0x8007_0006_u32 as HRESULT;
/// `E_OUTOFMEMORY` (0x8007000E): `HRESULT_FROM_WIN32(ERROR_OUTOFMEMORY)`.
pub const E_OUTOFMEMORY: HRESULT = 0x8007_000E_u32 as HRESULT;
/// `E_INVALIDARG` (0x80070057): `HRESULT_FROM_WIN32(ERROR_INVALID_PARAMETER)`.
pub const E_INVALIDARG: HRESULT = 0x8007_0057_u32 as HRESULT;
/// `FACILITY_WIN32` (7): the facility of an `HRESULT` made from a Win32 error code.
pub const FACILITY_WIN32: HRESULT = 7;

// ---------------------------------------------------------------------------------------
// The kernel32 neighbours: error codes they leave (`winerror.h`).

/// `ERROR_OUTOFMEMORY` (14): `LocalAlloc`, `GlobalAlloc`, `FormatMessage` or
/// `GetThreadDescription` could not allocate.
pub const ERROR_OUTOFMEMORY: DWORD = 14;
/// `ERROR_DISCARDED` (157): `LocalLock` of a moveable block allocated with zero bytes.
pub const ERROR_DISCARDED: DWORD = 157;
/// `ERROR_NOT_LOCKED` (158): `LocalUnlock` of a block that is not locked.
pub const ERROR_NOT_LOCKED: DWORD = 158;
/// `ERROR_MORE_DATA` (234): a `FormatMessage` result longer than 128 000 bytes.
pub const ERROR_MORE_DATA: DWORD = 234;
/// `ERROR_MR_MID_NOT_FOUND` (317): `FormatMessage` has no message for the number.
pub const ERROR_MR_MID_NOT_FOUND: DWORD = 317;
/// `ERROR_THREAD_MODE_ALREADY_BACKGROUND` (400): `SetThreadPriority` with
/// `THREAD_MODE_BACKGROUND_BEGIN` on a thread already in background mode.
pub const ERROR_THREAD_MODE_ALREADY_BACKGROUND: DWORD = 400;
/// `ERROR_THREAD_MODE_NOT_BACKGROUND` (401): `SetThreadPriority` with
/// `THREAD_MODE_BACKGROUND_END` on a thread not in background mode.
pub const ERROR_THREAD_MODE_NOT_BACKGROUND: DWORD = 401;
/// `ERROR_RESOURCE_TYPE_NOT_FOUND` (1813): `FormatMessage` from a module, which has no
/// message table here.
pub const ERROR_RESOURCE_TYPE_NOT_FOUND: DWORD = 1813;
/// `ERROR_RESOURCE_LANG_NOT_FOUND` (15100): `FormatMessage` asked for a language other
/// than English or neutral.
pub const ERROR_RESOURCE_LANG_NOT_FOUND: DWORD = 15100;

// ---------------------------------------------------------------------------------------
// Heaps (`winnt.h`), local and global memory (`winbase.h`).

/// `HEAP_NO_SERIALIZE` (0x1): accepted; every heap here serializes its callers.
pub const HEAP_NO_SERIALIZE: DWORD = 0x0000_0001;
/// `HEAP_GENERATE_EXCEPTIONS` (0x4): accepted; a failure returns `NULL` (there are no
/// structured exceptions on Linux).
pub const HEAP_GENERATE_EXCEPTIONS: DWORD = 0x0000_0004;
/// `HEAP_ZERO_MEMORY` (0x8): the new bytes of a block are zero.
pub const HEAP_ZERO_MEMORY: DWORD = 0x0000_0008;
/// `HEAP_REALLOC_IN_PLACE_ONLY` (0x10): `HeapReAlloc` fails rather than move the block.
pub const HEAP_REALLOC_IN_PLACE_ONLY: DWORD = 0x0000_0010;
/// `LMEM_FIXED` (0): `LocalAlloc` returns a pointer.
pub const LMEM_FIXED: UINT = 0x0000;
/// `LMEM_MOVEABLE` (0x2): `LocalAlloc` returns a handle that `LocalLock` turns into a
/// pointer; `LocalReAlloc` may move the block.
pub const LMEM_MOVEABLE: UINT = 0x0002;
/// `LMEM_ZEROINIT` (0x40): the new bytes of a block are zero.
pub const LMEM_ZEROINIT: UINT = 0x0040;
/// `LMEM_MODIFY` (0x80): `LocalReAlloc` changes only the block's flags.
pub const LMEM_MODIFY: UINT = 0x0080;
/// `LPTR` (0x40): `LMEM_FIXED | LMEM_ZEROINIT`.
pub const LPTR: UINT = 0x0040;
/// `LHND` (0x42): `LMEM_MOVEABLE | LMEM_ZEROINIT`.
pub const LHND: UINT = 0x0042;
/// `GMEM_FIXED` (0): as `LMEM_FIXED`.
pub const GMEM_FIXED: UINT = 0x0000;
/// `GMEM_MOVEABLE` (0x2): as `LMEM_MOVEABLE`.
pub const GMEM_MOVEABLE: UINT = 0x0002;
/// `GMEM_ZEROINIT` (0x40): as `LMEM_ZEROINIT`.
pub const GMEM_ZEROINIT: UINT = 0x0040;
/// `GPTR` (0x40): `GMEM_FIXED | GMEM_ZEROINIT`.
pub const GPTR: UINT = 0x0040;
/// `GHND` (0x42): `GMEM_MOVEABLE | GMEM_ZEROINIT`.
pub const GHND: UINT = 0x0042;

// ---------------------------------------------------------------------------------------
// FormatMessage (`winbase.h`) and language ids (`winnt.h`).

/// `FORMAT_MESSAGE_ALLOCATE_BUFFER` (0x100): the result goes to a `LocalAlloc`'d buffer.
pub const FORMAT_MESSAGE_ALLOCATE_BUFFER: DWORD = 0x0000_0100;
/// `FORMAT_MESSAGE_IGNORE_INSERTS` (0x200): `%1`-style inserts are copied unchanged.
pub const FORMAT_MESSAGE_IGNORE_INSERTS: DWORD = 0x0000_0200;
/// `FORMAT_MESSAGE_FROM_STRING` (0x400): the message is the string at `lpSource`.
pub const FORMAT_MESSAGE_FROM_STRING: DWORD = 0x0000_0400;
/// `FORMAT_MESSAGE_FROM_HMODULE` (0x800): the message is in a module's message table.
pub const FORMAT_MESSAGE_FROM_HMODULE: DWORD = 0x0000_0800;
/// `FORMAT_MESSAGE_FROM_SYSTEM` (0x1000): the message is the system's text for an error
/// code.
pub const FORMAT_MESSAGE_FROM_SYSTEM: DWORD = 0x0000_1000;
/// `FORMAT_MESSAGE_ARGUMENT_ARRAY` (0x2000): `Arguments` is an array of `DWORD_PTR`.
pub const FORMAT_MESSAGE_ARGUMENT_ARRAY: DWORD = 0x0000_2000;
/// `FORMAT_MESSAGE_MAX_WIDTH_MASK` (0xFF): the low byte of the flags, the line width.
pub const FORMAT_MESSAGE_MAX_WIDTH_MASK: DWORD = 0x0000_00FF;
/// `LANG_NEUTRAL` (0).
pub const LANG_NEUTRAL: WORD = 0x00;
/// `LANG_ENGLISH` (0x09).
pub const LANG_ENGLISH: WORD = 0x09;
/// `SUBLANG_NEUTRAL` (0).
pub const SUBLANG_NEUTRAL: WORD = 0x00;
/// `SUBLANG_DEFAULT` (1): the user's default sublanguage.
pub const SUBLANG_DEFAULT: WORD = 0x01;
/// `SUBLANG_SYS_DEFAULT` (2): the system's default sublanguage.
pub const SUBLANG_SYS_DEFAULT: WORD = 0x02;
/// `SUBLANG_ENGLISH_US` (1).
pub const SUBLANG_ENGLISH_US: WORD = 0x01;
/// `LANG_USER_DEFAULT` (0x400): `MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT)`.
pub const LANG_USER_DEFAULT: WORD = 0x0400;
/// `LANG_SYSTEM_DEFAULT` (0x800): `MAKELANGID(LANG_NEUTRAL, SUBLANG_SYS_DEFAULT)`.
pub const LANG_SYSTEM_DEFAULT: WORD = 0x0800;

// ---------------------------------------------------------------------------------------
// Threads: TLS and priorities (`winbase.h`, `winnt.h`).

/// `TLS_OUT_OF_INDEXES` (0xFFFFFFFF): `TlsAlloc` found no free index.
pub const TLS_OUT_OF_INDEXES: DWORD = 0xFFFF_FFFF;
/// `TLS_MINIMUM_AVAILABLE` (64): the TLS indexes every process is guaranteed; Windows and
/// this library offer 1088 in all.
pub const TLS_MINIMUM_AVAILABLE: DWORD = 64;
/// `THREAD_PRIORITY_IDLE` (-15).
pub const THREAD_PRIORITY_IDLE: INT = -15;
/// `THREAD_PRIORITY_LOWEST` (-2).
pub const THREAD_PRIORITY_LOWEST: INT = -2;
/// `THREAD_PRIORITY_BELOW_NORMAL` (-1).
pub const THREAD_PRIORITY_BELOW_NORMAL: INT = -1;
/// `THREAD_PRIORITY_NORMAL` (0).
pub const THREAD_PRIORITY_NORMAL: INT = 0;
/// `THREAD_PRIORITY_ABOVE_NORMAL` (1).
pub const THREAD_PRIORITY_ABOVE_NORMAL: INT = 1;
/// `THREAD_PRIORITY_HIGHEST` (2).
pub const THREAD_PRIORITY_HIGHEST: INT = 2;
/// `THREAD_PRIORITY_TIME_CRITICAL` (15).
pub const THREAD_PRIORITY_TIME_CRITICAL: INT = 15;
/// `THREAD_PRIORITY_ERROR_RETURN` (0x7FFFFFFF): `GetThreadPriority` failed.
pub const THREAD_PRIORITY_ERROR_RETURN: INT = 0x7FFF_FFFF;
/// `THREAD_MODE_BACKGROUND_BEGIN` (0x10000): the calling thread enters background mode.
pub const THREAD_MODE_BACKGROUND_BEGIN: INT = 0x0001_0000;
/// `THREAD_MODE_BACKGROUND_END` (0x20000): the calling thread leaves background mode.
pub const THREAD_MODE_BACKGROUND_END: INT = 0x0002_0000;

// ---------------------------------------------------------------------------------------
// Standard handles (`winbase.h`) and processors (`winnt.h`).

/// `STD_INPUT_HANDLE` (`(DWORD)-10`).
pub const STD_INPUT_HANDLE: DWORD = 0xFFFF_FFF6;
/// `STD_OUTPUT_HANDLE` (`(DWORD)-11`).
pub const STD_OUTPUT_HANDLE: DWORD = 0xFFFF_FFF5;
/// `STD_ERROR_HANDLE` (`(DWORD)-12`).
pub const STD_ERROR_HANDLE: DWORD = 0xFFFF_FFF4;
/// `PROCESSOR_ARCHITECTURE_INTEL` (0): x86.
pub const PROCESSOR_ARCHITECTURE_INTEL: WORD = 0;
/// `PROCESSOR_ARCHITECTURE_ARM` (5).
pub const PROCESSOR_ARCHITECTURE_ARM: WORD = 5;
/// `PROCESSOR_ARCHITECTURE_AMD64` (9): x86-64.
pub const PROCESSOR_ARCHITECTURE_AMD64: WORD = 9;
/// `PROCESSOR_ARCHITECTURE_ARM64` (12): AArch64.
pub const PROCESSOR_ARCHITECTURE_ARM64: WORD = 12;
/// `PROCESSOR_ARCHITECTURE_UNKNOWN` (0xFFFF): any other architecture.
pub const PROCESSOR_ARCHITECTURE_UNKNOWN: WORD = 0xFFFF;
/// `PROCESSOR_INTEL_386` (386): `dwProcessorType` on x86.
pub const PROCESSOR_INTEL_386: DWORD = 386;
/// `PROCESSOR_AMD_X8664` (8664): `dwProcessorType` on x86-64.
pub const PROCESSOR_AMD_X8664: DWORD = 8664;
/// `ERROR_NO_WORK_DONE` (1235): `FormatMessage` produced an empty message.
pub const ERROR_NO_WORK_DONE: DWORD = 1235;
/// `ERROR_NO_MORE_ITEMS` (259): `TlsAlloc` found all 1088 indexes in use.
pub const ERROR_NO_MORE_ITEMS: DWORD = 259;

// ---------------------------------------------------------------------------------------
// NT status codes (`winnt.h`, `ntstatus.h`), alerts, `QueueUserAPC2` and modules.

/// `STATUS_WAIT_0` (0): an `Nt…` wait ended with object 0 (wait-all: with all).
pub const STATUS_WAIT_0: DWORD = 0;
/// `STATUS_ABANDONED_WAIT_0` (0x80): an `Nt…` wait acquired an abandoned mutex.
pub const STATUS_ABANDONED_WAIT_0: DWORD = 0x80;
/// `STATUS_USER_APC` (0xC0): an alertable `Nt…` wait ran user APCs (B17, B22).
pub const STATUS_USER_APC: DWORD = 0xC0;
/// `STATUS_TIMEOUT` (0x102): an `Nt…` wait timed out.
pub const STATUS_TIMEOUT: DWORD = 0x102;
/// `STATUS_SUCCESS` (0).
pub const STATUS_SUCCESS: NTSTATUS = 0;
/// `STATUS_ALERTED` (0x101): an alertable `Nt…` wait ended because the thread was alerted
/// with `NtAlertThread` (B41).
pub const STATUS_ALERTED: NTSTATUS = 0x101;
/// `STATUS_NO_YIELD_PERFORMED` (0x40000024): `NtDelayExecution` with a zero timeout found no
/// other thread to run (B17).
pub const STATUS_NO_YIELD_PERFORMED: NTSTATUS = 0x4000_0024;
/// `STATUS_UNSUCCESSFUL` (0xC0000001): an APC to a thread that has exited (A4).
pub const STATUS_UNSUCCESSFUL: NTSTATUS = 0xC000_0001_u32 as NTSTATUS;
/// `STATUS_ACCESS_VIOLATION` (0xC0000005): a `NULL` pointer where one is required.
pub const STATUS_ACCESS_VIOLATION: NTSTATUS = 0xC000_0005_u32 as NTSTATUS;
/// `STATUS_INVALID_HANDLE` (0xC0000008) (A5).
pub const STATUS_INVALID_HANDLE: NTSTATUS = 0xC000_0008_u32 as NTSTATUS;
/// `STATUS_INVALID_PARAMETER` (0xC000000D).
pub const STATUS_INVALID_PARAMETER: NTSTATUS = 0xC000_000D_u32 as NTSTATUS;
/// `STATUS_ACCESS_DENIED` (0xC0000022): the handle lacks a right (A6).
pub const STATUS_ACCESS_DENIED: NTSTATUS = 0xC000_0022_u32 as NTSTATUS;
/// `STATUS_OBJECT_TYPE_MISMATCH` (0xC0000024): a handle of another kind of object (A11).
pub const STATUS_OBJECT_TYPE_MISMATCH: NTSTATUS = 0xC000_0024_u32 as NTSTATUS;
/// `STATUS_INVALID_PARAMETER_MIX` (0xC0000030): an object twice in a wait-all (D50).
pub const STATUS_INVALID_PARAMETER_MIX: NTSTATUS = 0xC000_0030_u32 as NTSTATUS;
/// `STATUS_NOT_SUPPORTED` (0xC00000BB).
pub const STATUS_NOT_SUPPORTED: NTSTATUS = 0xC000_00BB_u32 as NTSTATUS;
/// `STATUS_INTERNAL_ERROR` (0xC00000E5): a bug of this library (a caught panic).
pub const STATUS_INTERNAL_ERROR: NTSTATUS = 0xC000_00E5_u32 as NTSTATUS;
/// `STATUS_INVALID_PARAMETER_1` (0xC00000EF): a wait on 0 or more than 64 objects (D46).
pub const STATUS_INVALID_PARAMETER_1: NTSTATUS = 0xC000_00EF_u32 as NTSTATUS;
/// `STATUS_INVALID_PARAMETER_2` (0xC00000F0).
pub const STATUS_INVALID_PARAMETER_2: NTSTATUS = 0xC000_00F0_u32 as NTSTATUS;
/// `STATUS_INVALID_PARAMETER_3` (0xC00000F1): a wait type other than `WaitAll` or
/// `WaitAny`.
pub const STATUS_INVALID_PARAMETER_3: NTSTATUS = 0xC000_00F1_u32 as NTSTATUS;
/// `WaitAll` (0): `NtWaitForMultipleObjects` waits for all objects.
#[allow(non_upper_case_globals)]
pub const WaitAll: WAIT_TYPE = 0;
/// `WaitAny` (1): `NtWaitForMultipleObjects` waits for any object.
#[allow(non_upper_case_globals)]
pub const WaitAny: WAIT_TYPE = 1;
/// `THREAD_ALERT` (0x4): `NtAlertThread` (B41).
pub const THREAD_ALERT: DWORD = 0x4;
/// `QUEUE_USER_APC_FLAGS_NONE` (0): `QueueUserAPC2` queues an ordinary APC (A7).
pub const QUEUE_USER_APC_FLAGS_NONE: QUEUE_USER_APC_FLAGS = 0;
/// `QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC` (1): `QueueUserAPC2` queues a special APC, run
/// at once wherever the thread is (A8).
pub const QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC: QUEUE_USER_APC_FLAGS = 1;
/// `QUEUE_USER_APC_CALLBACK_DATA_CONTEXT` (0x10000): the APC receives an
/// `APC_CALLBACK_DATA`; not supported here (`ERROR_NOT_SUPPORTED`).
pub const QUEUE_USER_APC_CALLBACK_DATA_CONTEXT: QUEUE_USER_APC_FLAGS = 0x1_0000;
/// `ERROR_MOD_NOT_FOUND` (126): `GetModuleHandle`/`LoadLibrary` of a module that is not
/// here.
pub const ERROR_MOD_NOT_FOUND: DWORD = 126;
/// `ERROR_PROC_NOT_FOUND` (127): `GetProcAddress` of a name the module does not export.
pub const ERROR_PROC_NOT_FOUND: DWORD = 127;
// Pipes (`winbase.h`, `winerror.h`).

/// `ERROR_SEM_TIMEOUT` (121): `WaitNamedPipe` found no free instance in time.
pub const ERROR_SEM_TIMEOUT: DWORD = 121;
/// `ERROR_INVALID_NAME` (123): a pipe name without the `\\.\pipe\` prefix.
pub const ERROR_INVALID_NAME: DWORD = 123;
/// `ERROR_BAD_PIPE` (230): a call the pipe's mode does not allow (`TransactNamedPipe` in
/// byte read mode).
pub const ERROR_BAD_PIPE: DWORD = 230;
/// `ERROR_PIPE_BUSY` (231): every instance of the pipe has a client.
pub const ERROR_PIPE_BUSY: DWORD = 231;
/// `ERROR_NO_DATA` (232): a write to a pipe whose other end is gone.
pub const ERROR_NO_DATA: DWORD = 232;
/// `ERROR_PIPE_NOT_CONNECTED` (233): a server instance without a client.
pub const ERROR_PIPE_NOT_CONNECTED: DWORD = 233;
/// `ERROR_PIPE_CONNECTED` (535): `ConnectNamedPipe` found the client already there.
pub const ERROR_PIPE_CONNECTED: DWORD = 535;
/// `ERROR_PIPE_LISTENING` (536): a server instance that has not had a client yet.
pub const ERROR_PIPE_LISTENING: DWORD = 536;
/// `PIPE_ACCESS_INBOUND` (1): the server reads.
pub const PIPE_ACCESS_INBOUND: DWORD = 0x0000_0001;
/// `PIPE_ACCESS_OUTBOUND` (2): the server writes.
pub const PIPE_ACCESS_OUTBOUND: DWORD = 0x0000_0002;
/// `PIPE_ACCESS_DUPLEX` (3): both.
pub const PIPE_ACCESS_DUPLEX: DWORD = 0x0000_0003;
/// `FILE_FLAG_FIRST_PIPE_INSTANCE` (0x80000): `CreateNamedPipe` fails if the name exists.
pub const FILE_FLAG_FIRST_PIPE_INSTANCE: DWORD = 0x0008_0000;
/// `PIPE_TYPE_BYTE` (0).
pub const PIPE_TYPE_BYTE: DWORD = 0x0000_0000;
/// `PIPE_TYPE_MESSAGE` (4).
pub const PIPE_TYPE_MESSAGE: DWORD = 0x0000_0004;
/// `PIPE_READMODE_BYTE` (0).
pub const PIPE_READMODE_BYTE: DWORD = 0x0000_0000;
/// `PIPE_READMODE_MESSAGE` (2).
pub const PIPE_READMODE_MESSAGE: DWORD = 0x0000_0002;
/// `PIPE_WAIT` (0): blocking mode, the only one supported.
pub const PIPE_WAIT: DWORD = 0x0000_0000;
/// `PIPE_NOWAIT` (1): non-blocking mode (refused: `ERROR_INVALID_PARAMETER`).
pub const PIPE_NOWAIT: DWORD = 0x0000_0001;
/// `PIPE_ACCEPT_REMOTE_CLIENTS` (0).
pub const PIPE_ACCEPT_REMOTE_CLIENTS: DWORD = 0x0000_0000;
/// `PIPE_REJECT_REMOTE_CLIENTS` (8): accepted; there are no remote clients.
pub const PIPE_REJECT_REMOTE_CLIENTS: DWORD = 0x0000_0008;
/// `PIPE_UNLIMITED_INSTANCES` (255).
pub const PIPE_UNLIMITED_INSTANCES: DWORD = 255;
/// `PIPE_CLIENT_END` (0): `GetNamedPipeInfo`'s flag of a client end.
pub const PIPE_CLIENT_END: DWORD = 0x0000_0000;
/// `PIPE_SERVER_END` (1): `GetNamedPipeInfo`'s flag of a server end.
pub const PIPE_SERVER_END: DWORD = 0x0000_0001;
/// `NMPWAIT_USE_DEFAULT_WAIT` (0): the server's default timeout.
pub const NMPWAIT_USE_DEFAULT_WAIT: DWORD = 0x0000_0000;
/// `NMPWAIT_NOWAIT` (1).
pub const NMPWAIT_NOWAIT: DWORD = 0x0000_0001;
/// `NMPWAIT_WAIT_FOREVER` (`0xFFFFFFFF`).
pub const NMPWAIT_WAIT_FOREVER: DWORD = 0xFFFF_FFFF;
// The thread pool's legacy functions (winnt.h).

/// `WT_EXECUTEDEFAULT` (0): a callback on a pool thread.
pub const WT_EXECUTEDEFAULT: ULONG = 0x0000_0000;
/// `WT_EXECUTEINIOTHREAD` (0x1): accepted; every pool thread waits alertably here.
pub const WT_EXECUTEINIOTHREAD: ULONG = 0x0000_0001;
/// `WT_EXECUTEINWAITTHREAD` (0x4): accepted; callbacks run on pool threads.
pub const WT_EXECUTEINWAITTHREAD: ULONG = 0x0000_0004;
/// `WT_EXECUTEONLYONCE` (0x8): a registered wait fires once and is not re-armed.
pub const WT_EXECUTEONLYONCE: ULONG = 0x0000_0008;
/// `WT_EXECUTELONGFUNCTION` (0x10): accepted; the pool grows for blocked callbacks anyway.
pub const WT_EXECUTELONGFUNCTION: ULONG = 0x0000_0010;
/// `WT_EXECUTEINTIMERTHREAD` (0x20): accepted; callbacks run on pool threads.
pub const WT_EXECUTEINTIMERTHREAD: ULONG = 0x0000_0020;
/// `WT_EXECUTEINPERSISTENTTHREAD` (0x80): accepted; callbacks run on pool threads.
pub const WT_EXECUTEINPERSISTENTTHREAD: ULONG = 0x0000_0080;
/// `WT_TRANSFER_IMPERSONATION` (0x100): accepted and ignored.
pub const WT_TRANSFER_IMPERSONATION: ULONG = 0x0000_0100;
