/*
 * consoleapi.h for alertable-win32: console text on the standard handles.
 *
 * Text goes to descriptor 1 or 2 as UTF-8 and comes from descriptor 0, also when they
 * are redirected (where Windows' WriteConsole fails). A line read from a terminal ends
 * with "\n", not Windows' "\r\n". The ...W forms count WCHARs. pInputControl is accepted
 * and not used. Call fflush(stdout) before WriteConsole if printf output must come first:
 * the C library buffers it, the console functions do not.
 */
#ifndef ALERTABLE_CONSOLEAPI_H
#define ALERTABLE_CONSOLEAPI_H

#include <minwinbase.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _CONSOLE_READCONSOLE_CONTROL {
    ULONG nLength;
    ULONG nInitialChars;
    ULONG dwCtrlWakeupMask;
    ULONG dwControlKeyState;
} CONSOLE_READCONSOLE_CONTROL, *PCONSOLE_READCONSOLE_CONTROL;

WINBASEAPI BOOL WINAPI WriteConsoleA(HANDLE hConsoleOutput, const VOID *lpBuffer,
                                     DWORD nNumberOfCharsToWrite,
                                     LPDWORD lpNumberOfCharsWritten, LPVOID lpReserved);
WINBASEAPI BOOL WINAPI WriteConsoleW(HANDLE hConsoleOutput, const VOID *lpBuffer,
                                     DWORD nNumberOfCharsToWrite,
                                     LPDWORD lpNumberOfCharsWritten, LPVOID lpReserved);
WINBASEAPI BOOL WINAPI ReadConsoleA(HANDLE hConsoleInput, LPVOID lpBuffer,
                                    DWORD nNumberOfCharsToRead, LPDWORD lpNumberOfCharsRead,
                                    PCONSOLE_READCONSOLE_CONTROL pInputControl);
WINBASEAPI BOOL WINAPI ReadConsoleW(HANDLE hConsoleInput, LPVOID lpBuffer,
                                    DWORD nNumberOfCharsToRead, LPDWORD lpNumberOfCharsRead,
                                    PCONSOLE_READCONSOLE_CONTROL pInputControl);

#ifdef UNICODE
#define WriteConsole WriteConsoleW
#define ReadConsole ReadConsoleW
#else
#define WriteConsole WriteConsoleA
#define ReadConsole ReadConsoleA
#endif

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_CONSOLEAPI_H */
