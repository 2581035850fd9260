/*
 * Shared by the conformance programs: each prints one line per check, and the expected
 * output beside it is what Windows prints (derived from the entries of the behaviour
 * specification that the lines cite).
 */
#ifndef CONFORMANCE_H
#define CONFORMANCE_H

/* For mkfifo (open_fifo below); set before any system header. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <sys/stat.h>
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

/*
 * Test support, not Win32: opens a Linux FIFO (a named pipe of the file system, created
 * with mkfifo) for overlapped I/O with CreateFileA, and deletes its name. Reads on it stay
 * pending until something is written, which the programs need for cancellation; written
 * before the library had pipes (t_pipes.c uses CreateNamedPipe itself).
 * Opened for reading and writing, so that the open does not wait for a writer and the
 * program can write to it through the same handle. Exits the program if that fails.
 */
static inline HANDLE open_fifo_with(const char *tag, DWORD flags);

static inline HANDLE open_fifo(const char *tag)
{
    return open_fifo_with(tag, FILE_FLAG_OVERLAPPED);
}

/* As open_fifo, for synchronous I/O (no FILE_FLAG_OVERLAPPED): a read blocks the thread. */
static inline HANDLE open_fifo_sync(const char *tag)
{
    return open_fifo_with(tag, 0);
}

static inline HANDLE open_fifo_with(const char *tag, DWORD flags)
{
    char dir[MAX_PATH], path[MAX_PATH + 64];
    static unsigned count;
    GetTempPathA(MAX_PATH, dir);
    snprintf(path, sizeof path, "%salertable-%s-%u-%u.fifo", dir, tag,
             (unsigned)GetCurrentProcessId(), ++count);
    if (mkfifo(path, 0600) != 0) {
        printf("mkfifo %s failed\n", path);
        ExitProcess(1);
    }
    HANDLE h = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, flags,
                           NULL);
    DeleteFileA(path);
    if (h == INVALID_HANDLE_VALUE) {
        printf("CreateFileA(FIFO) failed: %u\n", LAST_ERROR());
        ExitProcess(1);
    }
    return h;
}

/* A new, empty temporary file's name in `name` (MAX_PATH characters). */
static inline void temp_file_name(const char *prefix, char *name)
{
    char dir[MAX_PATH];
    GetTempPathA(MAX_PATH, dir);
    if (GetTempFileNameA(dir, prefix, 0, name) == 0) {
        printf("GetTempFileNameA failed: %u\n", LAST_ERROR());
        ExitProcess(1);
    }
}

#endif
