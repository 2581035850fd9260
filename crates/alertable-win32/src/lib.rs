//! A C ABI with Win32 names over [`alertable`], [`alertable_io`] and [`alertable_pool`], for C and C++ programs
//! ported from Windows: include `<windows.h>` from this crate's `include/` folder and link
//! this library.
//!
//! ```c
//! #include <windows.h>
//!
//! static void CALLBACK hello(ULONG_PTR param) { wprintf(L"APC %lu\n", (unsigned long)param); }
//!
//! int main(void) {
//!     QueueUserAPC(hello, GetCurrentThread(), 7);  /* queued, not run yet */
//!     DWORD r = SleepEx(INFINITE, TRUE);           /* runs it, returns 192 */
//!     wprintf(L"SleepEx returned %u\n", r);
//!     return 0;
//! }
//! ```
//!
//! ```sh
//! cc -I crates/alertable-win32/include prog.c -L target/release -lalertable_win32 \
//!    -Wl,-rpath,target/release -o prog
//! ```
//!
//! What is here, by area (each function's documentation names its Win32 counterpart and
//! every error code it leaves):
//!
//! - **threads**: `CreateThread` (with `CREATE_SUSPENDED`), `ResumeThread`, `SuspendThread`
//!   (of running threads too), `GetCurrentThread(Id)`, `OpenThread`, `GetExitCodeThread`,
//!   `ExitThread`, `SwitchToThread`; **handles**: `CloseHandle`, `DuplicateHandle`;
//! - **APCs and waits**: `QueueUserAPC`, `QueueUserAPC2` (with special APCs), `Sleep`,
//!   `SleepEx`, `WaitForSingleObject(Ex)`, `WaitForMultipleObjects(Ex)`,
//!   `SignalObjectAndWait`; `OpenThread` and `QueueUserAPC` reach threads of other
//!   processes of the user too, for functions of a file both processes have loaded
//!   (`processthreadsapi/remote.rs`: the library catches `SIGRTMIN() + 9` for that);
//! - **the NT layer** (`winternl.h`, reached with `GetModuleHandle("ntdll.dll")` and
//!   `GetProcAddress`, which also find the Win32 functions in `kernel32.dll`):
//!   `NtQueueApcThread(Ex)`, `NtTestAlert`, `NtAlertThread`, `NtDelayExecution`,
//!   `NtWaitForSingleObject`, `NtWaitForMultipleObjects`, `NtClose`; `LoadLibraryA/W`,
//!   `FreeLibrary`;
//! - **objects**: events, semaphores, mutexes and waitable timers (`Create…A/W`,
//!   `Create…ExA/W`, `Open…A/W`, `Set…`, `Release…`, `PulseEvent`, `SetWaitableTimer(Ex)`,
//!   `CancelWaitableTimer`); named events, semaphores and mutexes are shared with every
//!   process of the user (`names.rs`);
//! - **files**: `CreateFileA/W` (with `FILE_FLAG_DELETE_ON_CLOSE`), `DeleteFileA/W`,
//!   `ReadFile`, `WriteFile` (synchronous, or overlapped with an event, a completion port
//!   or polling; synchronous on standard handles), `ReadFileEx`, `WriteFileEx` (completion
//!   routines), `GetOverlappedResult(Ex)`, `CancelIo`, `CancelIoEx`, `GetFileSize(Ex)`,
//!   `SetFilePointer(Ex)`, `SetEndOfFile`, `FlushFileBuffers`, `GetFileAttributes(Ex)A/W`,
//!   `CreateDirectoryA/W`, `RemoveDirectoryA/W`, `MoveFile(Ex)A/W`, `CopyFileA/W`,
//!   `GetTempPath2A/W`;
//! - **completion ports**: `CreateIoCompletionPort`, `GetQueuedCompletionStatus(Ex)`,
//!   `PostQueuedCompletionStatus`;
//! - **the thread pool**: `CreateThreadpool`, `SetThreadpoolThreadMinimum/Maximum`,
//!   `CloseThreadpool`, the callback environment (`InitializeThreadpoolEnvironment`,
//!   `SetThreadpoolCallbackPool`, `SetThreadpoolCallbackCleanupGroup`, …), cleanup groups,
//!   work (`Create`/`Submit`/`WaitFor…Callbacks`/`CloseThreadpoolWork`,
//!   `TrySubmitThreadpoolCallback`), timers (`SetThreadpoolTimer(Ex)`,
//!   `IsThreadpoolTimerSet`), waits (`SetThreadpoolWait(Ex)`, costing no thread), I/O
//!   (`CreateThreadpoolIo`, `Start`/`CancelThreadpoolIo`), the callback instance functions
//!   (`SetEventWhenCallbackReturns`, `CallbackMayRunLong`, …); the legacy
//!   `QueueUserWorkItem`, `RegisterWaitForSingleObject`, `UnregisterWait(Ex)`, timer queues
//!   and `BindIoCompletionCallback`;
//! - **thread messages**: `PostThreadMessageA/W`, `GetMessageA/W`, `PeekMessageA/W`,
//!   `PostQuitMessage`, `MsgWaitForMultipleObjects(Ex)`; `MessageBoxA/W` (on standard
//!   error), `MessageBeep` and `CharUpperBuffA/W`;
//! - **errors**: `GetLastError`, `SetLastError`, `FormatMessageA/W`;
//! - **memory**: `GetProcessHeap`, `HeapCreate`, `HeapAlloc`, `HeapReAlloc`, `HeapSize`,
//!   `HeapFree`, `HeapDestroy`; `Local…` and `Global…` `Alloc`, `ReAlloc`, `Size`, `Lock`,
//!   `Unlock`, `Free`;
//! - **strings**: `lstrlen`, `lstrcpy`, `lstrcpyn`, `lstrcat`, `lstrcmp`, `lstrcmpi` (A/W);
//! - **threads, more**: `TlsAlloc`, `TlsFree`, `TlsGetValue`, `TlsSetValue`, `GetThreadId`,
//!   `GetProcessId`, `Set`/`GetThreadPriority`, `Set`/`GetThreadDescription`;
//! - **system**: `QueryPerformanceCounter`/`Frequency`, `GetSystemInfo`, `GetSystemTime`,
//!   `GetLocalTime`, `FileTimeToSystemTime`, `SystemTimeToFileTime`, `GetStdHandle`,
//!   `WriteConsoleA/W`, `ReadConsoleA/W`;
//! - **companions**: critical sections, SRW locks, condition variables, `Interlocked…`,
//!   the 64-bit, `Add`, `And`, `Or`, `Xor` and pointer forms,
//!   `GetTickCount(64)`, `GetSystemTimeAsFileTime`, `GetTempPathA/W`,
//!   `GetTempFileNameA/W`, `GetCurrentProcess(Id)`, `ExitProcess`.
//!
//! Overlapped requests copy: a write copies the caller's bytes when it is issued, a read
//! copies the bytes read into the caller's buffer when it completes — before its event is
//! signaled, its routine runs or its packet can be taken — so the caller's buffer and
//! `OVERLAPPED` must live until completion, as on Windows (`overlapped.rs`).
//!
//! Every handle goes through one process-wide table that validates it (`handle.rs`): an
//! invalid, closed or wrong-kind handle fails with `ERROR_INVALID_HANDLE`, never undefined
//! behaviour, and a handle without the access right a function needs (`SYNCHRONIZE` to
//! wait, `EVENT_MODIFY_STATE` to set an event, `THREAD_SET_CONTEXT` to queue an APC, …)
//! fails with `ERROR_ACCESS_DENIED`, as on Windows. No panic crosses the ABI: every function catches them and fails with
//! `ERROR_INTERNAL_ERROR`. Characters: `WCHAR` is `wchar_t`, 32 bits on Linux, so `L""`
//! literals and `wprintf` work unchanged (use `%ls` for wide strings in `wprintf`).
//!
//! The same functions are callable from Rust (this crate is also an `rlib`), which is how
//! its own tests drive them.

#![allow(non_snake_case, non_camel_case_types)]

mod callback;
mod consoleapi;
mod consts;
mod errhandlingapi;
mod error;
mod ffi;
mod fileapi;
mod filetime;
mod handle;
mod handleapi;
mod heapapi;
mod in_place;
mod ioapiset;
mod libloaderapi;
mod namedpipeapi;
mod names;
mod overlapped;
mod processenv;
mod processthreadsapi;
mod profileapi;
mod strings;
mod sync_io;
mod synchapi;
mod sys;
mod sysinfoapi;
mod threadpoolapiset;
mod threadpoollegacyapiset;
mod timezoneapi;
mod types;
mod winbase;
mod winnt;
mod winternl;
mod winuser;

pub use consoleapi::{ReadConsoleA, ReadConsoleW, WriteConsoleA, WriteConsoleW};
pub use consts::*;
pub use errhandlingapi::{GetLastError, SetLastError};
pub use fileapi::file::{
    CreateFileA, CreateFileW, DeleteFileA, DeleteFileW, ReadFile, ReadFileEx, WriteFile,
    WriteFileEx,
};
pub use fileapi::info::{
    FlushFileBuffers, GetFileSize, GetFileSizeEx, SetEndOfFile, SetFilePointer, SetFilePointerEx,
};
pub use fileapi::paths::{
    CreateDirectoryA, CreateDirectoryW, GetFileAttributesA, GetFileAttributesExA,
    GetFileAttributesExW, GetFileAttributesW, RemoveDirectoryA, RemoveDirectoryW,
};
pub use fileapi::temp::{
    GetTempFileNameA, GetTempFileNameW, GetTempPath2A, GetTempPath2W, GetTempPathA, GetTempPathW,
};
pub use handleapi::{CloseHandle, DuplicateHandle};
pub use heapapi::{
    GetProcessHeap, HeapAlloc, HeapCreate, HeapDestroy, HeapFree, HeapReAlloc, HeapSize,
};
pub use ioapiset::cancel::{CancelIo, CancelIoEx, CancelSynchronousIo};
pub use ioapiset::port::{
    CreateIoCompletionPort, GetQueuedCompletionStatus, GetQueuedCompletionStatusEx,
    PostQueuedCompletionStatus,
};
pub use ioapiset::result::{GetOverlappedResult, GetOverlappedResultEx};
pub use libloaderapi::{
    FreeLibrary, GetModuleHandleA, GetModuleHandleW, GetProcAddress, LoadLibraryA, LoadLibraryW,
    kernel32_export_names, ntdll_export_names,
};
pub use namedpipeapi::{
    CallNamedPipeW, ConnectNamedPipe, CreateNamedPipeW, CreatePipe, DisconnectNamedPipe,
    GetNamedPipeInfo, PeekNamedPipe, SetNamedPipeHandleState, TransactNamedPipe, WaitNamedPipeW,
};
pub use processenv::GetStdHandle;
pub use processthreadsapi::apc::{QueueUserAPC, QueueUserAPC2};
pub use processthreadsapi::info::{
    GetProcessId, GetThreadDescription, GetThreadId, GetThreadPriority, SetThreadDescription,
    SetThreadPriority,
};
pub use processthreadsapi::process::{ExitProcess, GetCurrentProcess, GetCurrentProcessId};
pub use processthreadsapi::thread::{
    CreateThread, ExitThread, GetCurrentThread, GetCurrentThreadId, GetExitCodeThread, OpenThread,
    ResumeThread, SuspendThread, SwitchToThread,
};
pub use processthreadsapi::tls::{TlsAlloc, TlsFree, TlsGetValue, TlsSetValue};
pub use profileapi::{QueryPerformanceCounter, QueryPerformanceFrequency};
pub use synchapi::address::{WaitOnAddress, WakeByAddressAll, WakeByAddressSingle};
pub use synchapi::barrier::{
    DeleteSynchronizationBarrier, EnterSynchronizationBarrier, InitializeSynchronizationBarrier,
};
pub use synchapi::event::{
    CreateEventA, CreateEventExA, CreateEventExW, CreateEventW, OpenEventA, OpenEventW, ResetEvent,
    SetEvent,
};
pub use synchapi::init_once::{
    InitOnceBeginInitialize, InitOnceComplete, InitOnceExecuteOnce, InitOnceInitialize,
};
pub use synchapi::lock::{
    AcquireSRWLockExclusive, AcquireSRWLockShared, DeleteCriticalSection, EnterCriticalSection,
    InitializeConditionVariable, InitializeCriticalSection, InitializeCriticalSectionAndSpinCount,
    InitializeCriticalSectionEx, InitializeSRWLock, LeaveCriticalSection, ReleaseSRWLockExclusive,
    ReleaseSRWLockShared, SleepConditionVariableCS, SleepConditionVariableSRW,
    TryAcquireSRWLockExclusive, TryAcquireSRWLockShared, TryEnterCriticalSection,
    WakeAllConditionVariable, WakeConditionVariable,
};
pub use synchapi::mutex::{
    CreateMutexA, CreateMutexExA, CreateMutexExW, CreateMutexW, OpenMutexW, ReleaseMutex,
};
pub use synchapi::semaphore::{
    CreateSemaphoreExW, CreateSemaphoreW, OpenSemaphoreW, ReleaseSemaphore,
};
pub use synchapi::timer::{
    CancelWaitableTimer, CreateWaitableTimerExW, CreateWaitableTimerW, OpenWaitableTimerW,
    SetWaitableTimer, SetWaitableTimerEx,
};
pub use synchapi::wait::{
    SignalObjectAndWait, Sleep, SleepEx, WaitForMultipleObjects, WaitForMultipleObjectsEx,
    WaitForSingleObject, WaitForSingleObjectEx,
};
pub use sysinfoapi::{
    GetLocalTime, GetSystemInfo, GetSystemTime, GetSystemTimeAsFileTime, GetTickCount,
    GetTickCount64,
};
pub use threadpoolapiset::{
    CallbackMayRunLong, CancelThreadpoolIo, CloseThreadpool, CloseThreadpoolCleanupGroup,
    CloseThreadpoolCleanupGroupMembers, CloseThreadpoolIo, CloseThreadpoolTimer,
    CloseThreadpoolWait, CloseThreadpoolWork, CreateThreadpool, CreateThreadpoolCleanupGroup,
    CreateThreadpoolIo, CreateThreadpoolTimer, CreateThreadpoolWait, CreateThreadpoolWork,
    DisassociateCurrentThreadFromCallback, FreeLibraryWhenCallbackReturns, IsThreadpoolTimerSet,
    LeaveCriticalSectionWhenCallbackReturns, ReleaseMutexWhenCallbackReturns,
    ReleaseSemaphoreWhenCallbackReturns, SetEventWhenCallbackReturns, SetThreadpoolThreadMaximum,
    SetThreadpoolThreadMinimum, SetThreadpoolTimer, SetThreadpoolTimerEx, SetThreadpoolWait,
    SetThreadpoolWaitEx, StartThreadpoolIo, SubmitThreadpoolWork, TrySubmitThreadpoolCallback,
    WaitForThreadpoolIoCallbacks, WaitForThreadpoolTimerCallbacks, WaitForThreadpoolWaitCallbacks,
    WaitForThreadpoolWorkCallbacks,
};
pub use threadpoollegacyapiset::{
    ChangeTimerQueueTimer, CreateTimerQueue, CreateTimerQueueTimer, DeleteTimerQueueEx,
    DeleteTimerQueueTimer, QueueUserWorkItem, UnregisterWaitEx,
};
pub use timezoneapi::{FileTimeToSystemTime, SystemTimeToFileTime};
pub use types::*;
pub use winbase::files::{
    CopyFileA, CopyFileW, MoveFileA, MoveFileExA, MoveFileExW, MoveFileW,
    SetFileCompletionNotificationModes,
};
pub use winbase::format::{FormatMessageA, FormatMessageW, va_list};
pub use winbase::memory::{
    GlobalAlloc, GlobalFree, GlobalLock, GlobalReAlloc, GlobalSize, GlobalUnlock, LocalAlloc,
    LocalFree, LocalLock, LocalReAlloc, LocalSize, LocalUnlock,
};
pub use winbase::objects::{
    CreateSemaphoreA, CreateSemaphoreExA, CreateWaitableTimerA, CreateWaitableTimerExA, OpenMutexA,
    OpenSemaphoreA, OpenWaitableTimerA, PulseEvent,
};
pub use winbase::pipes::{CallNamedPipeA, CreateNamedPipeA, WaitNamedPipeA};
pub use winbase::strings::{
    lstrcatA, lstrcatW, lstrcmpA, lstrcmpW, lstrcmpiA, lstrcmpiW, lstrcpyA, lstrcpyW, lstrcpynA,
    lstrcpynW, lstrlenA, lstrlenW,
};
pub use winbase::threadpool::{
    BindIoCompletionCallback, DeleteTimerQueue, DestroyThreadpoolEnvironment,
    InitializeThreadpoolEnvironment, RegisterWaitForSingleObject,
    SetThreadpoolCallbackCleanupGroup, SetThreadpoolCallbackPool, SetThreadpoolCallbackRunsLong,
    UnregisterWait,
};
pub use winnt::{
    InterlockedAdd, InterlockedAdd64, InterlockedAnd, InterlockedAnd64, InterlockedCompareExchange,
    InterlockedCompareExchange64, InterlockedCompareExchangePointer, InterlockedDecrement,
    InterlockedDecrement64, InterlockedExchange, InterlockedExchange64, InterlockedExchangeAdd,
    InterlockedExchangeAdd64, InterlockedExchangePointer, InterlockedIncrement,
    InterlockedIncrement64, InterlockedOr, InterlockedOr64, InterlockedXor, InterlockedXor64,
};
pub use winternl::{
    NtAlertThread, NtClose, NtDelayExecution, NtQueueApcThread, NtQueueApcThreadEx, NtTestAlert,
    NtWaitForMultipleObjects, NtWaitForSingleObject,
};
pub use winuser::{
    CharUpperBuffA, CharUpperBuffW, GetMessageA, GetMessageW, MessageBeep, MessageBoxA,
    MessageBoxW, MsgWaitForMultipleObjects, MsgWaitForMultipleObjectsEx, PeekMessageA,
    PeekMessageW, PostQuitMessage, PostThreadMessageA, PostThreadMessageW,
};
