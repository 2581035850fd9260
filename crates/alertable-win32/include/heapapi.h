/*
 * heapapi.h for alertable-win32: the process heap and private heaps.
 *
 * Blocks are 16-byte aligned. Every heap checks its arguments: a handle that names no
 * heap, or a pointer that is not a live block of the heap, is refused rather than
 * corrupting memory. HEAP_NO_SERIALIZE and HEAP_GENERATE_EXCEPTIONS are accepted; the
 * second cannot raise an exception on Linux, so a failure returns NULL. As on Windows,
 * HeapAlloc, HeapReAlloc and HeapSize do not set the last error when they fail.
 */
#ifndef ALERTABLE_HEAPAPI_H
#define ALERTABLE_HEAPAPI_H

#include <minwinbase.h>

#ifdef __cplusplus
extern "C" {
#endif

WINBASEAPI HANDLE WINAPI GetProcessHeap(VOID);
WINBASEAPI HANDLE WINAPI HeapCreate(DWORD flOptions, SIZE_T dwInitialSize,
                                    SIZE_T dwMaximumSize);
WINBASEAPI LPVOID WINAPI HeapAlloc(HANDLE hHeap, DWORD dwFlags, SIZE_T dwBytes);
/* With HEAP_REALLOC_IN_PLACE_ONLY, a block grows in place only within the 16-byte
 * multiple its size was rounded up to. */
WINBASEAPI LPVOID WINAPI HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem,
                                     SIZE_T dwBytes);
WINBASEAPI SIZE_T WINAPI HeapSize(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem);
WINBASEAPI BOOL WINAPI HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem);
WINBASEAPI BOOL WINAPI HeapDestroy(HANDLE hHeap);

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_HEAPAPI_H */
