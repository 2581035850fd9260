/*
 * Spec K120: CancelSynchronousIo ends another thread's blocking synchronous ReadFile (here
 * on a FIFO standing in for a pipe) with ERROR_OPERATION_ABORTED, and fails with
 * ERROR_NOT_FOUND when the thread is in no synchronous I/O: running, waiting on an event,
 * waiting for overlapped I/O, or the calling thread itself.
 */
#include "conformance.h"

static HANDLE fifo, overlapped_fifo, go, done;
static DWORD read_error, read_result, got;

static DWORD WINAPI reads_synchronously(LPVOID param)
{
    (void)param;
    char buffer[16];
    SetLastError(0);
    read_result = ReadFile(fifo, buffer, sizeof buffer, &got, NULL);
    read_error = GetLastError();
    SetEvent(done);
    /* Then a wait that is not I/O. */
    WaitForSingleObject(go, INFINITE);
    /* Then a synchronous read of data already there. */
    read_result = ReadFile(fifo, buffer, sizeof buffer, &got, NULL);
    return 0;
}

static DWORD WINAPI waits_for_overlapped_io(LPVOID param)
{
    (void)param;
    char buffer[16];
    OVERLAPPED ov = {0};
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    DWORD n = 0;
    if (!ReadFile(overlapped_fifo, buffer, sizeof buffer, &n, &ov) &&
        GetLastError() == ERROR_IO_PENDING) {
        SetEvent(done);
        GetOverlappedResult(overlapped_fifo, &ov, &n, TRUE);
    }
    CloseHandle(ov.hEvent);
    return n;
}

int main(void)
{
    SetLastError(0);
    BOOL r = CancelSynchronousIo((HANDLE)(ULONG_PTR)0xdeadbeef);
    printf("K120 invalid handle: %d, error %u\n", r, LAST_ERROR());
    SetLastError(0);
    r = CancelSynchronousIo(GetCurrentThread());
    printf("K120 the calling thread: %d, error %u\n", r, LAST_ERROR());

    fifo = open_fifo_sync("cancel-sync");
    go = CreateEventW(NULL, FALSE, FALSE, NULL);
    done = CreateEventW(NULL, FALSE, FALSE, NULL);
    HANDLE reader = start_thread(reads_synchronously, NULL, 0);
    /* Until the reader is inside its read, there is nothing to cancel. */
    int refused_otherwise = 1;
    for (;;) {
        SetLastError(0xdeadbeef);
        if (CancelSynchronousIo(reader))
            break;
        refused_otherwise &= GetLastError() == ERROR_NOT_FOUND;
        SwitchToThread();
    }
    printf("K120 cancelled a blocked ReadFile: last error still %#x, ERROR_NOT_FOUND before: %d\n",
           LAST_ERROR(), refused_otherwise);
    WaitForSingleObject(done, INFINITE);
    printf("K120 the ReadFile: %u, error %u, %u bytes\n", read_result, read_error, got);

    /* The reader now waits on an event, not on I/O. */
    SetLastError(0);
    r = CancelSynchronousIo(reader);
    printf("K120 a thread waiting on an event: %d, error %u\n", r, LAST_ERROR());
    /* Data first: synchronous I/O on one file is serialized, so a write through the same
     * handle would wait for a blocked read. */
    DWORD written = 0;
    WriteFile(fifo, "data", 4, &written, NULL);
    SetEvent(go);
    WaitForSingleObject(reader, INFINITE);
    printf("K120 a later ReadFile reads: %u, %u bytes\n", read_result, got);
    CloseHandle(reader);

    /* A thread waiting for overlapped I/O is not in synchronous I/O. */
    overlapped_fifo = open_fifo("cancel-overlapped");
    HANDLE waiter = start_thread(waits_for_overlapped_io, NULL, 0);
    WaitForSingleObject(done, INFINITE);
    SetLastError(0);
    r = CancelSynchronousIo(waiter);
    printf("K120 a thread waiting for overlapped I/O: %d, error %u\n", r, LAST_ERROR());
    CancelIoEx(overlapped_fifo, NULL);
    WaitForSingleObject(waiter, INFINITE);
    CloseHandle(waiter);
    CloseHandle(overlapped_fifo);
    CloseHandle(fifo);
    CloseHandle(go);
    CloseHandle(done);
    return 0;
}
