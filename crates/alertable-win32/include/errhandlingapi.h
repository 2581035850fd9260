/*
 * errhandlingapi.h for alertable-win32: the calling thread's last-error code.
 */
#ifndef ALERTABLE_ERRHANDLINGAPI_H
#define ALERTABLE_ERRHANDLINGAPI_H

#include <minwinbase.h>

#ifdef __cplusplus
extern "C" {
#endif

WINBASEAPI DWORD WINAPI GetLastError(VOID);
WINBASEAPI VOID WINAPI SetLastError(DWORD dwErrCode);

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_ERRHANDLINGAPI_H */
