/*
 * sysinfoapi.h for alertable-win32: tick counts and the system time.
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

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_SYSINFOAPI_H */
