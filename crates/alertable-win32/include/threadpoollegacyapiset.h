/*
 * threadpoollegacyapiset.h for alertable-win32: the thread pool's older functions —
 * QueueUserWorkItem, UnregisterWaitEx and timer queues — on the process's default pool.
 * RegisterWaitForSingleObject, UnregisterWait and BindIoCompletionCallback are in
 * winbase.h, where Windows declares them; WAITORTIMERCALLBACK and the WT_ flags in winnt.h.
 *
 * Deleting a timer or unregistering a wait while a callback is pending or running fails
 * with ERROR_IO_PENDING, and has happened all the same, unless the completion event is
 * INVALID_HANDLE_VALUE, which waits for the callbacks; an event given is set once they are
 * done.
 */
#ifndef ALERTABLE_THREADPOOLLEGACYAPISET_H
#define ALERTABLE_THREADPOOLLEGACYAPISET_H

#include <minwinbase.h>

#ifdef __cplusplus
extern "C" {
#endif

WINBASEAPI BOOL WINAPI QueueUserWorkItem(LPTHREAD_START_ROUTINE Function, PVOID Context,
                                         ULONG Flags);
WINBASEAPI BOOL WINAPI UnregisterWaitEx(HANDLE WaitHandle, HANDLE CompletionEvent);
WINBASEAPI HANDLE WINAPI CreateTimerQueue(VOID);
WINBASEAPI BOOL WINAPI CreateTimerQueueTimer(PHANDLE phNewTimer, HANDLE TimerQueue,
                                             WAITORTIMERCALLBACK Callback, PVOID Parameter,
                                             DWORD DueTime, DWORD Period, ULONG Flags);
WINBASEAPI BOOL WINAPI ChangeTimerQueueTimer(HANDLE TimerQueue, HANDLE Timer, ULONG DueTime,
                                             ULONG Period);
WINBASEAPI BOOL WINAPI DeleteTimerQueueTimer(HANDLE TimerQueue, HANDLE Timer,
                                             HANDLE CompletionEvent);
WINBASEAPI BOOL WINAPI DeleteTimerQueueEx(HANDLE TimerQueue, HANDLE CompletionEvent);

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_THREADPOOLLEGACYAPISET_H */
