/*
 * timezoneapi.h for alertable-win32: FILETIME to SYSTEMTIME and back (1601 to 30827).
 */
#ifndef ALERTABLE_TIMEZONEAPI_H
#define ALERTABLE_TIMEZONEAPI_H

#include <minwinbase.h>

#ifdef __cplusplus
extern "C" {
#endif

WINBASEAPI BOOL WINAPI FileTimeToSystemTime(const FILETIME *lpFileTime,
                                            LPSYSTEMTIME lpSystemTime);
WINBASEAPI BOOL WINAPI SystemTimeToFileTime(const SYSTEMTIME *lpSystemTime,
                                            LPFILETIME lpFileTime);

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_TIMEZONEAPI_H */
