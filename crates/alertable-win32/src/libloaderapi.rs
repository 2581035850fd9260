//! `libloaderapi.h`: finding this library's functions by module and name, as ported code
//! does for optional functions (`GetProcAddress(GetModuleHandle("kernel32.dll"),
//! "QueueUserAPC2")`) and for the NT layer (`GetModuleHandle("ntdll.dll")`).
//!
//! There are no DLLs on Linux: the three Windows modules this library stands in for are
//! names with fixed handles. `kernel32.dll` and `kernelbase.dll` export every Win32
//! function of the library, `ntdll.dll` its NT functions (`winternl.rs`); the program
//! itself (`GetModuleHandle(NULL)`) exports nothing here. Names are matched as Windows
//! matches them: without case, with or without the `.dll` extension, after any directory.
//! Loading and freeing count nothing: the modules are always there.

use core::ffi::c_void;

use crate::consts::{
    ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_MOD_NOT_FOUND, ERROR_PROC_NOT_FOUND,
    FALSE, TRUE,
};
use crate::error::{Error, Result};
use crate::ffi::call;
use crate::strings::{narrow_bytes, wide_bytes};
use crate::types::{BOOL, FARPROC, HMODULE, LPCSTR, LPCWSTR};

/// A module this library stands in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Module {
    /// The program (`GetModuleHandle(NULL)`).
    Program,
    Ntdll,
    Kernel32,
    KernelBase,
}

/// The storage whose addresses are the module handles: distinct, stable, never a handle
/// of the handle table (those are small numbers), never dereferenced.
static MODULE_HANDLES: [u8; 4] = [0; 4];

const MODULES: [Module; 4] = [
    Module::Program,
    Module::Ntdll,
    Module::Kernel32,
    Module::KernelBase,
];

impl Module {
    fn handle(self) -> HMODULE {
        let index = MODULES.iter().position(|&m| m == self).unwrap_or(0);
        std::ptr::from_ref(&MODULE_HANDLES[index])
            .cast::<c_void>()
            .cast_mut()
    }

    fn from_handle(module: HMODULE) -> Option<Self> {
        MODULES.into_iter().find(|m| m.handle() == module)
    }

    /// The module a name names: `ntdll`, `kernel32` or `kernelbase`, in any case, with or
    /// without `.dll`, after any directory.
    fn from_name(name: &[u8]) -> Option<Self> {
        let base = name
            .rsplit(|&b| b == b'\\' || b == b'/')
            .next()
            .unwrap_or(name)
            .to_ascii_lowercase();
        let stem = base.strip_suffix(b".dll").unwrap_or(&base);
        match stem {
            b"ntdll" => Some(Self::Ntdll),
            b"kernel32" => Some(Self::Kernel32),
            b"kernelbase" => Some(Self::KernelBase),
            _ => None,
        }
    }

    /// The address of the function `name` this module exports.
    fn export(self, name: &[u8]) -> Option<*const ()> {
        match self {
            Self::Program => None,
            Self::Ntdll => find(NTDLL, name),
            Self::Kernel32 | Self::KernelBase => find(KERNEL32, name),
        }
    }
}

/// One export: its name and its address.
type Export = (&'static str, fn() -> *const ());

fn find(table: &[Export], name: &[u8]) -> Option<*const ()> {
    table
        .iter()
        .find(|(n, _)| n.as_bytes() == name)
        .map(|(_, address)| address())
}

/// The export tables, written as lists of the exported functions (at the crate root).
macro_rules! exports {
    ($($(#[$doc:meta])* $table:ident = [$($f:ident),* $(,)?];)*) => {
        $(
            $(#[$doc])*
            const $table: &[Export] = &[$((stringify!($f), || crate::$f as *const ())),*];
        )*
    };
}

exports! {
    /// What `kernel32.dll` and `kernelbase.dll` export here: every Win32 function of this
    /// library.
    KERNEL32 = [
        AcquireSRWLockExclusive, AcquireSRWLockShared, BindIoCompletionCallback, CallNamedPipeA,
        CallNamedPipeW, CallbackMayRunLong, CancelIo, CancelIoEx, CancelSynchronousIo,
        CancelThreadpoolIo, CancelWaitableTimer, ChangeTimerQueueTimer, CharUpperBuffA,
        CharUpperBuffW, CloseHandle, CloseThreadpool, CloseThreadpoolCleanupGroup,
        CloseThreadpoolCleanupGroupMembers, CloseThreadpoolIo, CloseThreadpoolTimer,
        CloseThreadpoolWait, CloseThreadpoolWork, ConnectNamedPipe, CopyFileA, CopyFileW,
        CreateDirectoryA, CreateDirectoryW, CreateEventA, CreateEventExA, CreateEventExW,
        CreateEventW, CreateFileA, CreateFileW, CreateIoCompletionPort, CreateMutexA,
        CreateMutexExA, CreateMutexExW, CreateMutexW, CreateNamedPipeA, CreateNamedPipeW,
        CreatePipe, CreateSemaphoreA, CreateSemaphoreExA, CreateSemaphoreExW, CreateSemaphoreW,
        CreateThread, CreateThreadpool, CreateThreadpoolCleanupGroup, CreateThreadpoolIo,
        CreateThreadpoolTimer, CreateThreadpoolWait, CreateThreadpoolWork, CreateTimerQueue,
        CreateTimerQueueTimer, CreateWaitableTimerA, CreateWaitableTimerExA,
        CreateWaitableTimerExW, CreateWaitableTimerW, DeleteCriticalSection, DeleteFileA,
        DeleteFileW, DeleteSynchronizationBarrier, DeleteTimerQueue, DeleteTimerQueueEx,
        DeleteTimerQueueTimer, DestroyThreadpoolEnvironment,
        DisassociateCurrentThreadFromCallback, DisconnectNamedPipe, DuplicateHandle,
        EnterCriticalSection, EnterSynchronizationBarrier, ExitProcess, ExitThread,
        FileTimeToSystemTime, FlushFileBuffers, FormatMessageA, FormatMessageW, FreeLibrary,
        FreeLibraryWhenCallbackReturns, GetCurrentProcess, GetCurrentProcessId,
        GetCurrentThread, GetCurrentThreadId, GetExitCodeThread, GetFileAttributesA,
        GetFileAttributesExA, GetFileAttributesExW, GetFileAttributesW, GetFileSize,
        GetFileSizeEx, GetLastError, GetLocalTime, GetMessageA, GetMessageW, GetModuleHandleA,
        GetModuleHandleW, GetNamedPipeInfo, GetOverlappedResult, GetOverlappedResultEx,
        GetProcAddress, GetProcessHeap, GetProcessId, GetQueuedCompletionStatus,
        GetQueuedCompletionStatusEx, GetStdHandle, GetSystemInfo, GetSystemTime,
        GetSystemTimeAsFileTime, GetTempFileNameA, GetTempFileNameW, GetTempPath2A,
        GetTempPath2W, GetTempPathA, GetTempPathW, GetThreadDescription, GetThreadId,
        GetThreadPriority, GetTickCount, GetTickCount64, GlobalAlloc, GlobalFree, GlobalLock,
        GlobalReAlloc, GlobalSize, GlobalUnlock, HeapAlloc, HeapCreate, HeapDestroy, HeapFree,
        HeapReAlloc, HeapSize, InitOnceBeginInitialize, InitOnceComplete, InitOnceExecuteOnce,
        InitOnceInitialize, InitializeConditionVariable, InitializeCriticalSection,
        InitializeCriticalSectionAndSpinCount, InitializeCriticalSectionEx, InitializeSRWLock,
        InitializeSynchronizationBarrier, InitializeThreadpoolEnvironment, InterlockedAdd,
        InterlockedAdd64, InterlockedAnd, InterlockedAnd64, InterlockedCompareExchange,
        InterlockedCompareExchange64, InterlockedCompareExchangePointer, InterlockedDecrement,
        InterlockedDecrement64, InterlockedExchange, InterlockedExchange64,
        InterlockedExchangeAdd, InterlockedExchangeAdd64, InterlockedExchangePointer,
        InterlockedIncrement, InterlockedIncrement64, InterlockedOr, InterlockedOr64,
        InterlockedXor, InterlockedXor64, IsThreadpoolTimerSet, LeaveCriticalSection,
        LeaveCriticalSectionWhenCallbackReturns, LoadLibraryA, LoadLibraryW, LocalAlloc,
        LocalFree, LocalLock, LocalReAlloc, LocalSize, LocalUnlock, MessageBeep, MessageBoxA,
        MessageBoxW, MoveFileA, MoveFileExA, MoveFileExW, MoveFileW, MsgWaitForMultipleObjects,
        MsgWaitForMultipleObjectsEx, OpenEventA, OpenEventW, OpenMutexA, OpenMutexW,
        OpenSemaphoreA, OpenSemaphoreW, OpenThread, OpenWaitableTimerA, OpenWaitableTimerW,
        PeekMessageA, PeekMessageW, PeekNamedPipe, PostQueuedCompletionStatus, PostQuitMessage,
        PostThreadMessageA, PostThreadMessageW, PulseEvent, QueryPerformanceCounter,
        QueryPerformanceFrequency, QueueUserAPC, QueueUserAPC2, QueueUserWorkItem, ReadConsoleA,
        ReadConsoleW, ReadFile, ReadFileEx, RegisterWaitForSingleObject, ReleaseMutex,
        ReleaseMutexWhenCallbackReturns, ReleaseSRWLockExclusive, ReleaseSRWLockShared,
        ReleaseSemaphore, ReleaseSemaphoreWhenCallbackReturns, RemoveDirectoryA,
        RemoveDirectoryW, ResetEvent, ResumeThread, SetEndOfFile, SetEvent,
        SetEventWhenCallbackReturns, SetFileCompletionNotificationModes, SetFilePointer,
        SetFilePointerEx, SetLastError, SetNamedPipeHandleState, SetThreadDescription,
        SetThreadPriority, SetThreadpoolCallbackCleanupGroup, SetThreadpoolCallbackPool,
        SetThreadpoolCallbackRunsLong, SetThreadpoolThreadMaximum, SetThreadpoolThreadMinimum,
        SetThreadpoolTimer, SetThreadpoolTimerEx, SetThreadpoolWait, SetThreadpoolWaitEx,
        SetWaitableTimer, SetWaitableTimerEx, SignalObjectAndWait, Sleep,
        SleepConditionVariableCS, SleepConditionVariableSRW, SleepEx, StartThreadpoolIo,
        SubmitThreadpoolWork, SuspendThread, SwitchToThread, SystemTimeToFileTime, TlsAlloc,
        TlsFree, TlsGetValue, TlsSetValue, TransactNamedPipe, TryAcquireSRWLockExclusive,
        TryAcquireSRWLockShared, TryEnterCriticalSection, TrySubmitThreadpoolCallback,
        UnregisterWait, UnregisterWaitEx, WaitForMultipleObjects, WaitForMultipleObjectsEx,
        WaitForSingleObject, WaitForSingleObjectEx, WaitForThreadpoolIoCallbacks,
        WaitForThreadpoolTimerCallbacks, WaitForThreadpoolWaitCallbacks,
        WaitForThreadpoolWorkCallbacks, WaitNamedPipeA, WaitNamedPipeW, WaitOnAddress,
        WakeAllConditionVariable, WakeByAddressAll, WakeByAddressSingle, WakeConditionVariable,
        WriteConsoleA, WriteConsoleW, WriteFile, WriteFileEx, lstrcatA, lstrcatW, lstrcmpA,
        lstrcmpW, lstrcmpiA, lstrcmpiW, lstrcpyA, lstrcpyW, lstrcpynA, lstrcpynW, lstrlenA,
        lstrlenW,
    ];
    /// What `ntdll.dll` exports here: the NT functions of `winternl.rs`.
    NTDLL = [
        NtAlertThread, NtClose, NtDelayExecution, NtQueueApcThread, NtQueueApcThreadEx,
        NtTestAlert, NtWaitForMultipleObjects, NtWaitForSingleObject,
    ];
}

/// The names `kernel32.dll` exports here (for the tests that keep the table complete).
#[doc(hidden)]
pub fn kernel32_export_names() -> impl Iterator<Item = &'static str> {
    KERNEL32.iter().map(|(name, _)| *name)
}

/// The names `ntdll.dll` exports here.
#[doc(hidden)]
pub fn ntdll_export_names() -> impl Iterator<Item = &'static str> {
    NTDLL.iter().map(|(name, _)| *name)
}

fn module_handle(name: Option<Vec<u8>>) -> Result<HMODULE> {
    match name {
        None => Ok(Module::Program.handle()),
        Some(name) => Module::from_name(&name)
            .map(Module::handle)
            .ok_or(Error(ERROR_MOD_NOT_FOUND)),
    }
}

fn load(name: Option<Vec<u8>>) -> Result<HMODULE> {
    module_handle(Some(name.ok_or(Error(ERROR_INVALID_PARAMETER))?))
}

/// The handle of a loaded module: `ntdll.dll`, `kernel32.dll` or `kernelbase.dll` (see the
/// module documentation for how names match), or the program's for `NULL`.
///
/// # Safety
///
/// `lpModuleName` is `NULL` or a NUL-terminated string.
///
/// # Errors
///
/// `NULL` with `ERROR_MOD_NOT_FOUND` (126) for any other name.
///
/// # Win32
///
/// `GetModuleHandleA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetModuleHandleA(lpModuleName: LPCSTR) -> HMODULE {
    call(std::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpModuleName`.
        let name = unsafe { narrow_bytes(lpModuleName) };
        module_handle(name)
    })
}

/// [`GetModuleHandleA`] with a wide name.
///
/// # Safety
///
/// `lpModuleName` is `NULL` or a NUL-terminated wide string.
///
/// # Errors
///
/// As [`GetModuleHandleA`].
///
/// # Win32
///
/// `GetModuleHandleW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetModuleHandleW(lpModuleName: LPCWSTR) -> HMODULE {
    call(std::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpModuleName`.
        let name = unsafe { wide_bytes(lpModuleName) }?;
        module_handle(name)
    })
}

/// "Loads" `ntdll.dll`, `kernel32.dll` or `kernelbase.dll`: returns its handle, as
/// [`GetModuleHandleA`]; nothing is counted.
///
/// # Safety
///
/// `lpLibFileName` is `NULL` or a NUL-terminated string.
///
/// # Errors
///
/// `NULL` with `ERROR_MOD_NOT_FOUND` (126) for any other name (no other library can be
/// loaded), `ERROR_INVALID_PARAMETER` (87) for `NULL`.
///
/// # Win32
///
/// `LoadLibraryA`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn LoadLibraryA(lpLibFileName: LPCSTR) -> HMODULE {
    call(std::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpLibFileName`.
        let name = unsafe { narrow_bytes(lpLibFileName) };
        load(name)
    })
}

/// [`LoadLibraryA`] with a wide name.
///
/// # Safety
///
/// `lpLibFileName` is `NULL` or a NUL-terminated wide string.
///
/// # Errors
///
/// As [`LoadLibraryA`].
///
/// # Win32
///
/// `LoadLibraryW`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn LoadLibraryW(lpLibFileName: LPCWSTR) -> HMODULE {
    call(std::ptr::null_mut(), || {
        // SAFETY: the caller's guarantee on `lpLibFileName`.
        let name = unsafe { wide_bytes(lpLibFileName) }?;
        load(name)
    })
}

/// "Frees" a module of [`LoadLibraryA`]: succeeds and changes nothing (the modules stay).
///
/// # Errors
///
/// `FALSE` with `ERROR_INVALID_HANDLE` (6) for anything but a module handle.
///
/// # Win32
///
/// `FreeLibrary`.
#[unsafe(no_mangle)]
pub extern "C" fn FreeLibrary(hLibModule: HMODULE) -> BOOL {
    call(FALSE, || {
        Module::from_handle(hLibModule)
            .map(|_| TRUE)
            .ok_or(Error(ERROR_INVALID_HANDLE))
    })
}

/// The address of the function `lpProcName` that the module exports, to be cast to the
/// function's type before it is called. Names match exactly (case included).
///
/// # Safety
///
/// `lpProcName` is a NUL-terminated string, or an ordinal (a value below 0x10000).
///
/// # Errors
///
/// `NULL` with:
/// - `ERROR_PROC_NOT_FOUND` (127): the module does not export that name (the NT functions
///   are `ntdll.dll`'s, the Win32 ones `kernel32.dll`'s), or an ordinal (exports have none
///   here);
/// - `ERROR_MOD_NOT_FOUND` (126): `hModule` is not a module handle.
///
/// # Win32
///
/// `GetProcAddress`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetProcAddress(hModule: HMODULE, lpProcName: LPCSTR) -> FARPROC {
    call(None, || {
        let module = Module::from_handle(hModule).ok_or(Error(ERROR_MOD_NOT_FOUND))?;
        if (lpProcName as usize) < 0x1_0000 {
            return Err(Error(ERROR_PROC_NOT_FOUND));
        }
        // SAFETY: not an ordinal, so the caller guarantees a NUL-terminated string.
        let name = unsafe { narrow_bytes(lpProcName) }.unwrap_or_default();
        let address = module.export(&name).ok_or(Error(ERROR_PROC_NOT_FOUND))?;
        // SAFETY: `address` is one of this library's exported functions; as on Windows, the
        // caller casts the result back to the function's real type before calling it.
        Ok(Some(unsafe {
            core::mem::transmute::<*const (), unsafe extern "C" fn() -> isize>(address)
        }))
    })
}
