/*
 * ioapiset.h for alertable-win32: completion ports, the results of overlapped requests,
 * and cancellation.
 */
#ifndef ALERTABLE_IOAPISET_H
#define ALERTABLE_IOAPISET_H

#include <minwinbase.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Completion ports ---------------------------------------------------------------- */

WINBASEAPI HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort,
                                                ULONG_PTR CompletionKey,
                                                DWORD NumberOfConcurrentThreads);
WINBASEAPI BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort,
                                                 LPDWORD lpNumberOfBytesTransferred,
                                                 PULONG_PTR lpCompletionKey,
                                                 LPOVERLAPPED *lpOverlapped,
                                                 DWORD dwMilliseconds);
WINBASEAPI BOOL WINAPI GetQueuedCompletionStatusEx(HANDLE CompletionPort,
                                                   LPOVERLAPPED_ENTRY lpCompletionPortEntries,
                                                   ULONG ulCount, PULONG ulNumEntriesRemoved,
                                                   DWORD dwMilliseconds, BOOL fAlertable);
WINBASEAPI BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort,
                                                  DWORD dwNumberOfBytesTransferred,
                                                  ULONG_PTR dwCompletionKey,
                                                  LPOVERLAPPED lpOverlapped);

/* ---- Results of overlapped requests -------------------------------------------------- */

WINBASEAPI BOOL WINAPI GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped,
                                           LPDWORD lpNumberOfBytesTransferred, BOOL bWait);
WINBASEAPI BOOL WINAPI GetOverlappedResultEx(HANDLE hFile, LPOVERLAPPED lpOverlapped,
                                             LPDWORD lpNumberOfBytesTransferred,
                                             DWORD dwMilliseconds, BOOL bAlertable);

/* ---- Cancellation -------------------------------------------------------------------- */

/* Cancellation completes as completions do, shortly after the call: wait for it. */
WINBASEAPI BOOL WINAPI CancelIo(HANDLE hFile);
WINBASEAPI BOOL WINAPI CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped);
/* Cancels a ReadFile, WriteFile or ReadConsole that the thread is blocked in on a handle
 * without FILE_FLAG_OVERLAPPED (a pipe, FIFO, terminal or socket): it fails with
 * ERROR_OPERATION_ABORTED. FALSE with ERROR_NOT_FOUND when the thread is in none. */
WINBASEAPI BOOL WINAPI CancelSynchronousIo(HANDLE hThread);

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_IOAPISET_H */
