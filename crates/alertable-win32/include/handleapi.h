/*
 * handleapi.h for alertable-win32: closing and duplicating handles.
 */
#ifndef ALERTABLE_HANDLEAPI_H
#define ALERTABLE_HANDLEAPI_H

#include <minwinbase.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)

WINBASEAPI BOOL WINAPI CloseHandle(HANDLE hObject);
WINBASEAPI BOOL WINAPI DuplicateHandle(HANDLE hSourceProcessHandle, HANDLE hSourceHandle,
                                       HANDLE hTargetProcessHandle, LPHANDLE lpTargetHandle,
                                       DWORD dwDesiredAccess, BOOL bInheritHandle,
                                       DWORD dwOptions);

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_HANDLEAPI_H */
