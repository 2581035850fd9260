/*
 * sysinfoapi.h for alertable-win32: tick counts, the system time, and the system.
 *
 * GetSystemInfo reports the architecture, the page size, the processors online and the
 * caller's affinity (first 64), and an allocation granularity of 64 KiB as on Windows;
 * wProcessorLevel and wProcessorRevision are 0. GetLocalTime uses TZ or the system's
 * time zone.
 */
#ifndef ALERTABLE_SYSINFOAPI_H
#define ALERTABLE_SYSINFOAPI_H

#include <minwinbase.h>

#ifdef __cplusplus
extern "C" {
#endif

WINBASEAPI DWORD WINAPI GetTickCount(VOID);
WINBASEAPI ULONGLONG WINAPI GetTickCount64(VOID);
WINBASEAPI VOID WINAPI GetSystemTimeAsFileTime(LPFILETIME lpSystemTimeAsFileTime);

typedef struct _SYSTEM_INFO {
    union {
        DWORD dwOemId;
        struct {
            WORD wProcessorArchitecture;
            WORD wReserved;
        };
    };
    DWORD dwPageSize;
    LPVOID lpMinimumApplicationAddress;
    LPVOID lpMaximumApplicationAddress;
    DWORD_PTR dwActiveProcessorMask;
    DWORD dwNumberOfProcessors;
    DWORD dwProcessorType;
    DWORD dwAllocationGranularity;
    WORD wProcessorLevel;
    WORD wProcessorRevision;
} SYSTEM_INFO, *LPSYSTEM_INFO;

WINBASEAPI VOID WINAPI GetSystemInfo(LPSYSTEM_INFO lpSystemInfo);
WINBASEAPI VOID WINAPI GetSystemTime(LPSYSTEMTIME lpSystemTime);
WINBASEAPI VOID WINAPI GetLocalTime(LPSYSTEMTIME lpSystemTime);

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_SYSINFOAPI_H */
