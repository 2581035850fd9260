/*
 * processenv.h for alertable-win32: the standard handles.
 *
 * GetStdHandle returns pseudo-handles for descriptors 0, 1 and 2 (NULL for a closed one),
 * which WriteConsole and ReadConsole take; ReadFile and WriteFile do not take them yet.
 * The STD_..._HANDLE values are in winbase.h, as in the SDK.
 */
#ifndef ALERTABLE_PROCESSENV_H
#define ALERTABLE_PROCESSENV_H

#include <minwinbase.h>

#ifdef __cplusplus
extern "C" {
#endif

WINBASEAPI HANDLE WINAPI GetStdHandle(DWORD nStdHandle);

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_PROCESSENV_H */
