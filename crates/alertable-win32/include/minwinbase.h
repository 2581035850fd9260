/*
 * minwinbase.h for alertable-win32: the structures and callback types the API sets share
 * (security attributes, OVERLAPPED, critical sections, thread and I/O routines).
 */
#ifndef ALERTABLE_MINWINBASE_H
#define ALERTABLE_MINWINBASE_H

#include <winnt.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _SECURITY_ATTRIBUTES {
    DWORD nLength;
    LPVOID lpSecurityDescriptor;
    BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;

typedef struct _OVERLAPPED {
    ULONG_PTR Internal;
    ULONG_PTR InternalHigh;
    union {
        struct {
            DWORD Offset;
            DWORD OffsetHigh;
        };
        PVOID Pointer;
    };
    HANDLE hEvent;
} OVERLAPPED, *LPOVERLAPPED;

typedef struct _OVERLAPPED_ENTRY {
    ULONG_PTR lpCompletionKey;
    LPOVERLAPPED lpOverlapped;
    ULONG_PTR Internal;
    DWORD dwNumberOfBytesTransferred;
} OVERLAPPED_ENTRY, *LPOVERLAPPED_ENTRY;

typedef struct _REASON_CONTEXT_DETAILED {
    HMODULE LocalizedReasonModule;
    ULONG LocalizedReasonId;
    ULONG ReasonStringCount;
    LPWSTR *ReasonStrings;
} REASON_CONTEXT_DETAILED;

typedef union _REASON_CONTEXT_REASON {
    REASON_CONTEXT_DETAILED Detailed;
    LPWSTR SimpleReasonString;
} REASON_CONTEXT_REASON;

typedef struct _REASON_CONTEXT {
    ULONG Version;
    DWORD Flags;
    REASON_CONTEXT_REASON Reason;
} REASON_CONTEXT, *PREASON_CONTEXT;

/* Windows' x64 layout; the library keeps its lock in LockCount, OwningThread and
 * RecursionCount (elsewhere in the structure at an address that is not 4-byte aligned).
 * A zeroed CRITICAL_SECTION is a free one; an initialized one has DebugInfo (PVOID)-1.
 * These structures, SRWLOCK and CONDITION_VARIABLE work at any address. */
typedef struct _RTL_CRITICAL_SECTION {
    PVOID DebugInfo;
    LONG LockCount;
    LONG RecursionCount;
    HANDLE OwningThread;
    HANDLE LockSemaphore;
    ULONG_PTR SpinCount;
} CRITICAL_SECTION, *PCRITICAL_SECTION, *LPCRITICAL_SECTION;

typedef VOID (WINAPI *LPOVERLAPPED_COMPLETION_ROUTINE)(DWORD dwErrorCode,
                                                       DWORD dwNumberOfBytesTransfered,
                                                       LPOVERLAPPED lpOverlapped);
typedef DWORD (WINAPI *LPTHREAD_START_ROUTINE)(LPVOID lpThreadParameter);
typedef LPTHREAD_START_ROUTINE PTHREAD_START_ROUTINE;

#define STILL_ACTIVE 259

/* What GetFileAttributesEx returns (an enum in the SDK; only the standard level exists). */
typedef int GET_FILEEX_INFO_LEVELS;
#define GetFileExInfoStandard 0
#define GetFileExMaxInfoLevel 1

/* A date and time in fields (timezoneapi.h, sysinfoapi.h). */
typedef struct _SYSTEMTIME {
    WORD wYear;
    WORD wMonth;
    WORD wDayOfWeek;
    WORD wDay;
    WORD wHour;
    WORD wMinute;
    WORD wSecond;
    WORD wMilliseconds;
} SYSTEMTIME, *PSYSTEMTIME, *LPSYSTEMTIME;

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_MINWINBASE_H */
