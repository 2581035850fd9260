/*
 * Shared by the conformance programs: each prints one line per check, and the expected
 * output beside it is what Windows prints (derived from the entries of the behaviour
 * specification that the lines cite).
 */
#ifndef CONFORMANCE_H
#define CONFORMANCE_H

#include <windows.h>
#include <stdio.h>

/* The last error as a plain number for printing. */
#define LAST_ERROR() ((unsigned)GetLastError())

/* Starts a thread running f(param), or exits the program if that fails. */
static inline HANDLE start_thread(LPTHREAD_START_ROUTINE f, LPVOID param, DWORD flags)
{
    HANDLE h = CreateThread(NULL, 0, f, param, flags, NULL);
    if (h == NULL) {
        printf("CreateThread failed: %u\n", LAST_ERROR());
        ExitProcess(1);
    }
    return h;
}

/* Waits for a thread to end and closes its handle. */
static inline void join_thread(HANDLE h)
{
    WaitForSingleObject(h, INFINITE);
    CloseHandle(h);
}

#endif
