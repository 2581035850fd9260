/*
 * winternl.h for alertable-win32: the NT layer beneath the Win32 APC and wait functions.
 *
 * As in the SDK, windows.h does not include this header: include it after windows.h.
 * Programs usually reach these functions with GetProcAddress(GetModuleHandleA("ntdll.dll"),
 * "NtQueueApcThread") and a pointer type of their own; linking them directly works too.
 *
 * Every function returns an NTSTATUS (ntstatus.h) and leaves the last error alone. NT
 * timeouts are LARGE_INTEGERs in 100 ns units: negative relative, positive an absolute
 * FILETIME (converted to a relative timeout when the wait starts, so a change of the
 * system clock during the wait is not followed), NULL for none. The NT waits return
 * STATUS_USER_APC (0xC0) when APCs ran and STATUS_ALERTED (0x101) when NtAlertThread
 * alerted the thread; the Win32 waits of windows.h never return the second: they wait on.
 */
#ifndef ALERTABLE_WINTERNL_H
#define ALERTABLE_WINTERNL_H

#include <minwinbase.h>
#include <ntstatus.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Documented in the SDK's winternl.h ------------------------------------------------ */

NTSYSAPI NTSTATUS NTAPI NtClose(HANDLE Handle);
NTSYSAPI NTSTATUS NTAPI NtWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable,
                                              const LARGE_INTEGER *Timeout);

/* ---- Exported by Windows' ntdll.dll, not declared by the SDK --------------------------- */

/* An enumeration in Windows' own headers. */
typedef int WAIT_TYPE;
#define WaitAll 0
#define WaitAny 1

/* A user APC as NtQueueApcThread queues it: three arguments, passed unchanged. */
typedef VOID (NTAPI *PNTAPCFUNC)(ULONG_PTR ApcArgument1, ULONG_PTR ApcArgument2,
                                 ULONG_PTR ApcArgument3);

NTSYSAPI NTSTATUS NTAPI NtWaitForMultipleObjects(ULONG Count, const HANDLE *Handles,
                                                 WAIT_TYPE WaitType, BOOLEAN Alertable,
                                                 const LARGE_INTEGER *Timeout);
/* A NULL interval fails with STATUS_ACCESS_VIOLATION. */
NTSYSAPI NTSTATUS NTAPI NtDelayExecution(BOOLEAN Alertable, const LARGE_INTEGER *DelayInterval);
NTSYSAPI NTSTATUS NTAPI NtTestAlert(VOID);
NTSYSAPI NTSTATUS NTAPI NtAlertThread(HANDLE ThreadHandle);
NTSYSAPI NTSTATUS NTAPI NtQueueApcThread(HANDLE ThreadHandle, PNTAPCFUNC ApcRoutine,
                                         ULONG_PTR ApcArgument1, ULONG_PTR ApcArgument2,
                                         ULONG_PTR ApcArgument3);
/* ReserveHandle: NULL, or (HANDLE)QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC for a special APC
 * (see QueueUserAPC2); reserve objects do not exist here. */
NTSYSAPI NTSTATUS NTAPI NtQueueApcThreadEx(HANDLE ThreadHandle, HANDLE ReserveHandle,
                                           PNTAPCFUNC ApcRoutine, ULONG_PTR ApcArgument1,
                                           ULONG_PTR ApcArgument2, ULONG_PTR ApcArgument3);

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_WINTERNL_H */
