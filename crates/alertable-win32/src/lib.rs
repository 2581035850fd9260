//! A C ABI with Win32 names over [`alertable`] and [`alertable_io`], for C and C++ programs
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
//! - **APCs and waits**: `QueueUserAPC`, `Sleep`, `SleepEx`, `WaitForSingleObject(Ex)`,
//!   `WaitForMultipleObjects(Ex)`, `SignalObjectAndWait`;
//! - **objects**: events, semaphores, mutexes and waitable timers (`Create…A/W`, `Set…`,
//!   `Release…`, `PulseEvent`, `SetWaitableTimer(Ex)`, `CancelWaitableTimer`);
//! - **files**: `CreateFileA/W`, `DeleteFileA/W`, `ReadFile`, `WriteFile` (synchronous, or
//!   overlapped with an event, a completion port or polling), `ReadFileEx`, `WriteFileEx`
//!   (completion routines), `GetOverlappedResult(Ex)`, `CancelIo`, `CancelIoEx`;
//! - **completion ports**: `CreateIoCompletionPort`, `GetQueuedCompletionStatus(Ex)`,
//!   `PostQueuedCompletionStatus`;
//! - **thread messages**: `PostThreadMessageA/W`, `GetMessageA/W`, `PeekMessageA/W`,
//!   `PostQuitMessage`, `MsgWaitForMultipleObjects(Ex)`;
//! - **errors**: `GetLastError`, `SetLastError`;
//! - **companions**: critical sections, SRW locks, condition variables, `Interlocked…`,
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
//! behaviour. No panic crosses the ABI: every function catches them and fails with
//! `ERROR_INTERNAL_ERROR`. Characters: `WCHAR` is `wchar_t`, 32 bits on Linux, so `L""`
//! literals and `wprintf` work unchanged (use `%ls` for wide strings in `wprintf`).
//!
//! The same functions are callable from Rust (this crate is also an `rlib`), which is how
//! its own tests drive them.

#![allow(non_snake_case, non_camel_case_types)]

mod apc;
mod callback;
mod consts;
mod error;
mod event;
mod ffi;
mod file;
mod handle;
mod lock;
mod message;
mod mutex;
mod names;
mod overlapped;
mod port;
mod semaphore;
mod strings;
mod sys;
mod system;
mod temp;
mod thread;
mod timer;
mod types;
mod wait;

pub use apc::QueueUserAPC;
pub use consts::*;
pub use error::{GetLastError, SetLastError};
pub use event::{CreateEventA, CreateEventW, PulseEvent, ResetEvent, SetEvent};
pub use file::{
    CancelIo, CancelIoEx, CreateFileA, CreateFileW, DeleteFileA, DeleteFileW, GetOverlappedResult,
    GetOverlappedResultEx, ReadFile, ReadFileEx, WriteFile, WriteFileEx,
};
pub use handle::{CloseHandle, DuplicateHandle};
pub use lock::{
    AcquireSRWLockExclusive, AcquireSRWLockShared, DeleteCriticalSection, EnterCriticalSection,
    InitializeConditionVariable, InitializeCriticalSection, InitializeCriticalSectionAndSpinCount,
    InitializeSRWLock, InterlockedCompareExchange, InterlockedDecrement, InterlockedExchange,
    InterlockedIncrement, LeaveCriticalSection, ReleaseSRWLockExclusive, ReleaseSRWLockShared,
    SleepConditionVariableCS, SleepConditionVariableSRW, TryAcquireSRWLockExclusive,
    TryAcquireSRWLockShared, TryEnterCriticalSection, WakeAllConditionVariable,
    WakeConditionVariable,
};
pub use message::{
    GetMessageA, GetMessageW, MsgWaitForMultipleObjects, MsgWaitForMultipleObjectsEx, PeekMessageA,
    PeekMessageW, PostQuitMessage, PostThreadMessageA, PostThreadMessageW,
};
pub use mutex::{CreateMutexA, CreateMutexW, ReleaseMutex};
pub use port::{
    CreateIoCompletionPort, GetQueuedCompletionStatus, GetQueuedCompletionStatusEx,
    PostQueuedCompletionStatus,
};
pub use semaphore::{CreateSemaphoreA, CreateSemaphoreW, ReleaseSemaphore};
pub use system::{
    ExitProcess, GetCurrentProcess, GetCurrentProcessId, GetSystemTimeAsFileTime, GetTickCount,
    GetTickCount64,
};
pub use temp::{GetTempFileNameA, GetTempFileNameW, GetTempPathA, GetTempPathW};
pub use thread::{
    CreateThread, ExitThread, GetCurrentThread, GetCurrentThreadId, GetExitCodeThread, OpenThread,
    ResumeThread, SuspendThread, SwitchToThread,
};
pub use timer::{
    CancelWaitableTimer, CreateWaitableTimerA, CreateWaitableTimerW, SetWaitableTimer,
    SetWaitableTimerEx,
};
pub use types::*;
pub use wait::{
    SignalObjectAndWait, Sleep, SleepEx, WaitForMultipleObjects, WaitForMultipleObjectsEx,
    WaitForSingleObject, WaitForSingleObjectEx,
};
