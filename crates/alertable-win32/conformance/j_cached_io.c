/* Spec J102 (revised), J100, J101: overlapped I/O on a regular file whose data is in the
 * page cache finishes inside the call, as Windows finishes cached I/O.
 *
 * Two ways programs rely on it, written afresh from the behaviour they expect:
 * - a loop that reads a file with ReadFileEx and asks GetOverlappedResult(..., FALSE)
 *   right after each call, expecting the result (not ERROR_IO_INCOMPLETE), advancing the
 *   offset by the bytes read until the end of the file; the routines run later, in one
 *   alertable wait;
 * - a ReadFile loop that takes the synchronous branch: TRUE with the byte count while
 *   there is data, then FALSE with ERROR_HANDLE_EOF at once, never ERROR_IO_PENDING. */
#include "conformance.h"
#include <string.h>

static int routine_calls;
static DWORD routine_bytes;
static DWORD routine_last_error;

static VOID CALLBACK count_routine(DWORD error, DWORD bytes, LPOVERLAPPED ov)
{
    (void)ov;
    routine_calls++;
    routine_bytes += bytes;
    routine_last_error = error;
}

int main(void)
{
    char name[MAX_PATH];
    temp_file_name("jcd", name);
    /* 10,000 bytes written through a synchronous handle; reading them back once puts them
     * in the cache. */
    HANDLE sync = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 7, NULL, CREATE_ALWAYS, 0, NULL);
    static char data[10000];
    for (int i = 0; i < (int)sizeof data; i++)
        data[i] = (char)('a' + i % 26);
    DWORD n = 0;
    BOOL ok = WriteFile(sync, data, sizeof data, &n, NULL);
    static char check[10000];
    OVERLAPPED at0;
    memset(&at0, 0, sizeof at0);
    ok = ok && ReadFile(sync, check, sizeof check, &n, &at0) && n == sizeof check;
    printf("setup: %d\n", ok);
    CloseHandle(sync);

    HANDLE h = CreateFileA(name, GENERIC_READ, 7, NULL, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);

    /* ReadFileEx, then GetOverlappedResult(FALSE) at once, 4096 bytes at a time. */
    static char buf[4096];
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    int reads = 0, incomplete = 0;
    DWORD total = 0, stop_error = 0;
    for (;;) {
        if (!ReadFileEx(h, buf, sizeof buf, &ov, count_routine)) {
            stop_error = GetLastError();
            break;
        }
        reads++;
        DWORD count = 0;
        if (!GetOverlappedResult(h, &ov, &count, FALSE)) {
            stop_error = GetLastError();
            if (stop_error == ERROR_IO_INCOMPLETE)
                incomplete++;
            break;
        }
        if (memcmp(buf, data + ov.Offset, count) != 0)
            printf("wrong data at %u\n", (unsigned)ov.Offset);
        total += count;
        ov.Offset += count;
    }
    printf("ReadFileEx loop: %d calls, %u bytes, stopped with %u, incomplete %d, routines run "
           "inside: %d\n",
           reads, (unsigned)total, (unsigned)stop_error, incomplete, routine_calls);
    DWORD r = SleepEx(0, TRUE);
    printf("SleepEx: %u, routines %d, bytes %u, last error %u\n", (unsigned)r, routine_calls,
           (unsigned)routine_bytes, (unsigned)routine_last_error);

    /* ReadFile: the synchronous branch every time, then ERROR_HANDLE_EOF at once. */
    HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    memset(&ov, 0, sizeof ov);
    ov.hEvent = ev;
    int sync_reads = 0, pending = 0;
    total = 0;
    for (;;) {
        DWORD count = 0;
        SetLastError(0);
        if (ReadFile(h, buf, sizeof buf, &count, &ov)) {
            sync_reads++;
            total += count;
            ov.Offset += count;
            continue;
        }
        DWORD e = GetLastError();
        if (e == ERROR_IO_PENDING) {
            pending++;
            if (!GetOverlappedResult(h, &ov, &count, TRUE))
                e = GetLastError();
            else {
                total += count;
                ov.Offset += count;
                continue;
            }
        }
        printf("ReadFile loop: %d synchronous reads, %d pending, %u bytes, ended with %u\n",
               sync_reads, pending, (unsigned)total, (unsigned)e);
        break;
    }
    CloseHandle(ev);

    /* SetFileCompletionNotificationModes: a read that succeeds inside the call posts no
     * packet and leaves the file handle unsignaled; one at the end of the file fails and
     * posts none either. */
    HANDLE port = CreateIoCompletionPort(h, NULL, 7, 0);
    SetLastError(0);
    ok = SetFileCompletionNotificationModes(h, 4);
    printf("SetFileCompletionNotificationModes(4): %d, error %u\n", ok, LAST_ERROR());
    ok = SetFileCompletionNotificationModes(
        h, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | FILE_SKIP_SET_EVENT_ON_HANDLE);
    printf("SetFileCompletionNotificationModes: %d\n", ok);
    memset(&ov, 0, sizeof ov);
    DWORD count = 0;
    ok = ReadFile(h, buf, 100, &count, &ov);
    ULONG_PTR key;
    LPOVERLAPPED got;
    SetLastError(0);
    BOOL packet = GetQueuedCompletionStatus(port, &n, &key, &got, 0);
    printf("skipping: ReadFile %d, %u bytes; packet %d, error %u; file handle %u\n", ok,
           (unsigned)count, packet, LAST_ERROR(), (unsigned)WaitForSingleObject(h, 0));
    CloseHandle(port);
    CloseHandle(h);
    DeleteFileA(name);
    return 0;
}
