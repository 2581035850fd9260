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
/* Only a thread that has not started yet can be suspended; a running one fails with
 * ERROR_NOT_SUPPORTED (Linux cannot stop a thread at an arbitrary point safely). */
WINBASEAPI DWORD WINAPI SuspendThread(HANDLE hThread);
WINBASEAPI HANDLE WINAPI GetCurrentThread(VOID);
WINBASEAPI DWORD WINAPI GetCurrentThreadId(VOID);
WINBASEAPI HANDLE WINAPI OpenThread(DWORD dwDesiredAccess, BOOL bInheritHandle,
                                    DWORD dwThreadId);
WINBASEAPI BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode);
/* Ends the thread with pthread_exit. Sound on threads made by CreateThread and on a C
 * program's own threads, also inside an APC or timer routine; not on a thread whose stack
 * holds Rust frames that catch unwinds (there the process aborts). */
WINBASEAPI DECLSPEC_NORETURN VOID WINAPI ExitThread(DWORD dwExitCode);
WINBASEAPI BOOL WINAPI SwitchToThread(VOID);

/* ---- APCs ---------------------------------------------------------------------------- */

WINBASEAPI DWORD WINAPI QueueUserAPC(PAPCFUNC pfnAPC, HANDLE hThread, ULONG_PTR dwData);

/* ---- The current process ------------------------------------------------------------- */

WINBASEAPI DECLSPEC_NORETURN VOID WINAPI ExitProcess(UINT uExitCode);
WINBASEAPI HANDLE WINAPI GetCurrentProcess(VOID);
WINBASEAPI DWORD WINAPI GetCurrentProcessId(VOID);

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_PROCESSTHREADSAPI_H */
