/*
 * profileapi.h for alertable-win32: the performance counter, Linux's monotonic clock in
 * 100 ns ticks (a frequency of 10 MHz).
 */
#ifndef ALERTABLE_PROFILEAPI_H
#define ALERTABLE_PROFILEAPI_H

#include <minwinbase.h>

#ifdef __cplusplus
extern "C" {
#endif

WINBASEAPI BOOL WINAPI QueryPerformanceCounter(LARGE_INTEGER *lpPerformanceCount);
WINBASEAPI BOOL WINAPI QueryPerformanceFrequency(LARGE_INTEGER *lpFrequency);

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_PROFILEAPI_H */
