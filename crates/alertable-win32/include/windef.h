/*
 * windef.h for alertable-win32: the basic types, window handles and points.
 */
#ifndef ALERTABLE_WINDEF_H
#define ALERTABLE_WINDEF_H

#include <minwindef.h>
#include <winnt.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef HANDLE HWND;

typedef struct tagPOINT {
    LONG x;
    LONG y;
} POINT;

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_WINDEF_H */
