/*
 * winbase.h for alertable-win32: the API sets of the base services, and what Windows
 * still declares here itself (wait results, creation flags, file flags, PulseEvent, the A
 * forms of CreateSemaphore and CreateWaitableTimer).
 */
#ifndef ALERTABLE_WINBASE_H
#define ALERTABLE_WINBASE_H

#include <minwinbase.h>
#include <errhandlingapi.h>
#include <handleapi.h>
#include <processthreadsapi.h>
#include <synchapi.h>
#include <sysinfoapi.h>
#include <fileapi.h>
#include <ioapiset.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Constants: general and waits ---------------------------------------------------- */

#define INFINITE 0xFFFFFFFF
#define WAIT_OBJECT_0 0x00000000
#define WAIT_ABANDONED 0x00000080
#define WAIT_ABANDONED_0 0x00000080
#define WAIT_IO_COMPLETION 0x000000C0
#define WAIT_FAILED ((DWORD)0xFFFFFFFF)

/* ---- Constants: threads and files ---------------------------------------------------- */

#define CREATE_SUSPENDED 0x00000004
#define STACK_SIZE_PARAM_IS_A_RESERVATION 0x00010000
#define FILE_FLAG_OVERLAPPED 0x40000000
#define HasOverlappedIoCompleted(lpOverlapped) ((DWORD)(lpOverlapped)->Internal != STATUS_PENDING)

/* ---- Functions ----------------------------------------------------------------------- */

WINBASEAPI BOOL WINAPI PulseEvent(HANDLE hEvent);
WINBASEAPI HANDLE WINAPI CreateSemaphoreA(LPSECURITY_ATTRIBUTES lpSemaphoreAttributes,
                                          LONG lInitialCount, LONG lMaximumCount,
                                          LPCSTR lpName);
WINBASEAPI HANDLE WINAPI CreateWaitableTimerA(LPSECURITY_ATTRIBUTES lpTimerAttributes,
                                              BOOL bManualReset, LPCSTR lpTimerName);

/* ---- A and W names ------------------------------------------------------------------- */

#ifndef UNICODE
#define CreateSemaphore CreateSemaphoreA
#define CreateWaitableTimer CreateWaitableTimerA
#endif

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_WINBASE_H */
