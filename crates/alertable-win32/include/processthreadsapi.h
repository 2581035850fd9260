/*
 * processthreadsapi.h for alertable-win32: threads, APCs and the current process.
 */
#ifndef ALERTABLE_PROCESSTHREADSAPI_H
#define ALERTABLE_PROCESSTHREADSAPI_H

#include <minwinbase.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Threads ------------------------------------------------------------------------- */

WINBASEAPI HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes,
                                      SIZE_T dwStackSize,
                                      LPTHREAD_START_ROUTINE lpStartAddress,
                                      LPVOID lpParameter, DWORD dwCreationFlags,
                                      LPDWORD lpThreadId);
WINBASEAPI DWORD WINAPI ResumeThread(HANDLE hThread);
/* A running thread is stopped with a signal (SIGRTMIN() + 7), which the program must
 * neither use nor block in that thread. */
WINBASEAPI DWORD WINAPI SuspendThread(HANDLE hThread);
/* TerminateThread is absent: ending a thread at an arbitrary instruction would leave the
 * locks it holds (the allocator's, stdio's, the program's) taken for ever. Queue the thread
 * an APC that calls ExitThread instead. */
WINBASEAPI HANDLE WINAPI GetCurrentThread(VOID);
WINBASEAPI DWORD WINAPI GetCurrentThreadId(VOID);
/* Thread ids are Linux thread ids, unique on the machine. OpenThread also opens a thread
 * of another process of the same user (another user's: ERROR_ACCESS_DENIED; an id of no
 * thread: ERROR_INVALID_PARAMETER). Such a handle serves QueueUserAPC, GetThreadId, waits
 * (signaled within 50 ms of the thread's exit), DuplicateHandle and CloseHandle; other
 * thread functions refuse it with ERROR_ACCESS_DENIED. With THREAD_SET_CONTEXT, the
 * thread's process must use this library (else ERROR_INVALID_PARAMETER): a thread not yet
 * reachable is sent SIGRTMIN() + 9, which the program must neither use nor block, and
 * becomes reachable at its next alertable wait; OpenThread waits for that at most 100 ms
 * and APCs queued before it keep their order. */
WINBASEAPI HANDLE WINAPI OpenThread(DWORD dwDesiredAccess, BOOL bInheritHandle,
                                    DWORD dwThreadId);
WINBASEAPI BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode);
/* Ends the thread with pthread_exit. Sound on threads made by CreateThread and on a C
 * program's own threads, also inside an APC or timer routine; not on a thread whose stack
 * holds Rust frames that catch unwinds (there the process aborts). */
WINBASEAPI DECLSPEC_NORETURN VOID WINAPI ExitThread(DWORD dwExitCode);
WINBASEAPI BOOL WINAPI SwitchToThread(VOID);

/* ---- APCs ---------------------------------------------------------------------------- */

/* To a thread of another process, pfnAPC travels as (file, offset): it must lie in the
 * code of the program or of a shared library that the other process has loaded too, else
 * the call fails with ERROR_INVALID_PARAMETER and queues nothing; there it runs at the same
 * offset of the same file. */
WINBASEAPI DWORD WINAPI QueueUserAPC(PAPCFUNC pfnAPC, HANDLE hThread, ULONG_PTR dwData);

/* An enumeration in the SDK. A special user APC runs at once, wherever the target thread
 * is, inside a signal handler (SIGRTMIN() + 8): it may call only async-signal-safe
 * functions (no malloc, printf, locks, or functions of this library).
 * QUEUE_USER_APC_CALLBACK_DATA_CONTEXT is not supported (ERROR_NOT_SUPPORTED). */
typedef int QUEUE_USER_APC_FLAGS;
#define QUEUE_USER_APC_FLAGS_NONE 0x0
#define QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC 0x1
#define QUEUE_USER_APC_CALLBACK_DATA_CONTEXT 0x10000
WINBASEAPI BOOL WINAPI QueueUserAPC2(PAPCFUNC ApcRoutine, HANDLE Thread, ULONG_PTR Data,
                                     QUEUE_USER_APC_FLAGS Flags);

/* ---- The current process ------------------------------------------------------------- */

WINBASEAPI DECLSPEC_NORETURN VOID WINAPI ExitProcess(UINT uExitCode);
WINBASEAPI HANDLE WINAPI GetCurrentProcess(VOID);
WINBASEAPI DWORD WINAPI GetCurrentProcessId(VOID);

/* ---- Ids, priorities and descriptions ------------------------------------------------ */

WINBASEAPI DWORD WINAPI GetThreadId(HANDLE Thread);
/* Only the current process has a handle here. */
WINBASEAPI DWORD WINAPI GetProcessId(HANDLE Process);
/* Accepted and remembered for GetThreadPriority; Linux scheduling is not changed. */
WINBASEAPI BOOL WINAPI SetThreadPriority(HANDLE hThread, int nPriority);
WINBASEAPI int WINAPI GetThreadPriority(HANDLE hThread);
/* The description is the Linux thread name, which the kernel keeps to 15 bytes: a longer
 * one is cut at a character boundary. Free GetThreadDescription's string with LocalFree. */
WINBASEAPI HRESULT WINAPI SetThreadDescription(HANDLE hThread, PCWSTR lpThreadDescription);
WINBASEAPI HRESULT WINAPI GetThreadDescription(HANDLE hThread, PWSTR *ppszThreadDescription);

/* ---- Thread local storage (1088 indexes, as on Windows) ------------------------------ */

WINBASEAPI DWORD WINAPI TlsAlloc(VOID);
WINBASEAPI BOOL WINAPI TlsFree(DWORD dwTlsIndex);
/* Sets the last error to 0 when it succeeds, so a NULL value can be told from a failure. */
WINBASEAPI LPVOID WINAPI TlsGetValue(DWORD dwTlsIndex);
WINBASEAPI BOOL WINAPI TlsSetValue(DWORD dwTlsIndex, LPVOID lpTlsValue);

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_PROCESSTHREADSAPI_H */
