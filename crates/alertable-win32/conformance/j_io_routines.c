/* Spec section J: asynchronous file I/O, completion routines and GetOverlappedResult
 * (J92-J94, J97, J98, J100-J103, J106, J108-J110, J114), and the files they run on:
 * CreateFile's dispositions, synchronous handles, DeleteFile. J95, J96 and J99 need a
 * request that stays pending, so they are in k_cancel.c, on a FIFO. */
#include "conformance.h"
#include <string.h>

/* Windows refuses a second open of a file whose first handle does not share it. */
#define SHARE_ALL (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)

static int routine_calls;
static DWORD routine_error, routine_bytes;
static LPOVERLAPPED routine_overlapped;
static HANDLE routine_done;
static char order[8];

/* Records its call and sets an event of its own, as the spec's test routine does. */
static VOID CALLBACK routine(DWORD error, DWORD bytes, LPOVERLAPPED ov)
{
    routine_calls++;
    routine_error = error;
    routine_bytes = bytes;
    routine_overlapped = ov;
    strcat(order, "R");
    SetEvent(routine_done);
}

static void CALLBACK user_apc(ULONG_PTR param)
{
    (void)param;
    strcat(order, "A");
}

/* J93: wait alertably until the routine has set its event. */
static void wait_for_routine(void)
{
    DWORD r;
    do
        r = WaitForSingleObjectEx(routine_done, INFINITE, TRUE);
    while (r == WAIT_IO_COMPLETION);
}

static void print_routine(const char *what, const OVERLAPPED *ov)
{
    printf("%s: calls %d, error %u, bytes %u, overlapped %s\n", what, routine_calls,
           routine_error, routine_bytes, routine_overlapped == ov ? "ok" : "wrong");
}

/* Ends its thread from inside a completion routine or an APC (thread.rs, X3). */
static VOID CALLBACK exiting_routine(DWORD error, DWORD bytes, LPOVERLAPPED ov)
{
    (void)error;
    (void)bytes;
    (void)ov;
    ExitThread(42);
}

static void CALLBACK exiting_apc(ULONG_PTR code)
{
    ExitThread((DWORD)code);
}

/* Issues a read inside a completion routine and waits for it without waiting alertably:
 * by spinning, as C code may. The request must start at once, not when the routine returns
 * (J102). The bound only turns a hang into a message. */
static HANDLE spin_file;
static OVERLAPPED spin_ov;
static char spin_buf[8];

static VOID CALLBACK spinning_routine(DWORD error, DWORD bytes, LPOVERLAPPED ov)
{
    (void)error, (void)bytes, (void)ov;
    memset(&spin_ov, 0, sizeof spin_ov);
    BOOL ok = ReadFile(spin_file, spin_buf, 5, NULL, &spin_ov);
    DWORD e = GetLastError();
    ULONGLONG start = GetTickCount64();
    while (!HasOverlappedIoCompleted(&spin_ov) && GetTickCount64() - start < 60000)
        ;
    printf("J102 ReadFile in a routine: started %d; complete while the routine spins: %d, "
           "Internal 0x%x, %u bytes \"%s\"\n",
           ok || e == ERROR_IO_PENDING, HasOverlappedIoCompleted(&spin_ov),
           (unsigned)spin_ov.Internal,
           (unsigned)spin_ov.InternalHigh, spin_buf);
}

static DWORD WINAPI exit_in_routine(LPVOID file)
{
    static char data[8];
    static OVERLAPPED ov;
    ReadFileEx((HANDLE)file, data, 4, &ov, exiting_routine);
    SleepEx(INFINITE, TRUE);
    return 1;
}

static DWORD WINAPI exit_in_result_wait(LPVOID param)
{
    OVERLAPPED ov;
    DWORD n;
    (void)param;
    memset(&ov, 0, sizeof ov);
    ov.Internal = STATUS_PENDING;
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    QueueUserAPC(exiting_apc, GetCurrentThread(), 45);
    GetOverlappedResultEx(NULL, &ov, &n, INFINITE, TRUE);
    return 1;
}

static DWORD exit_code_of(LPTHREAD_START_ROUTINE f, LPVOID param)
{
    DWORD code;
    HANDLE t = start_thread(f, param, 0);
    WaitForSingleObject(t, INFINITE);
    GetExitCodeThread(t, &code);
    CloseHandle(t);
    return code;
}

static OVERLAPPED at(DWORD offset, HANDLE event)
{
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.Offset = offset;
    ov.hEvent = event;
    return ov;
}

int main(void)
{
    char name[MAX_PATH], other[MAX_PATH + 32], dir[MAX_PATH], buf[64];
    DWORD n, r;
    BOOL ok;
    HANDLE h;
    OVERLAPPED ov;
    routine_done = CreateEventW(NULL, FALSE, FALSE, NULL);
    HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    GetTempPathA(MAX_PATH, dir);
    temp_file_name("jio", name);

    /* CreateFile's dispositions and their last errors. */
    SetLastError(0xdead);
    h = CreateFileA(name, GENERIC_READ, SHARE_ALL, NULL, CREATE_NEW, 0, NULL);
    printf("CREATE_NEW, file exists: %d, error %u\n", h != INVALID_HANDLE_VALUE, LAST_ERROR());
    SetLastError(0xdead);
    h = CreateFileA(name, GENERIC_READ, SHARE_ALL, NULL, OPEN_ALWAYS, 0, NULL);
    printf("OPEN_ALWAYS, file exists: %d, error %u\n", h != INVALID_HANDLE_VALUE, LAST_ERROR());
    CloseHandle(h);
    SetLastError(0xdead);
    h = CreateFileA(name, GENERIC_READ, SHARE_ALL, NULL, OPEN_EXISTING, 0, NULL);
    printf("OPEN_EXISTING: %d, error %u\n", h != INVALID_HANDLE_VALUE, LAST_ERROR());
    CloseHandle(h);
    SetLastError(0xdead);
    h = CreateFileA(name, GENERIC_READ, SHARE_ALL, NULL, TRUNCATE_EXISTING, 0, NULL);
    printf("TRUNCATE_EXISTING without GENERIC_WRITE: %d, error %u\n", h != INVALID_HANDLE_VALUE,
           LAST_ERROR());
    SetLastError(0xdead);
    h = CreateFileA(name, GENERIC_READ, SHARE_ALL, NULL, 0, 0, NULL);
    printf("disposition 0: %d, error %u\n", h != INVALID_HANDLE_VALUE, LAST_ERROR());
    snprintf(other, sizeof other, "%salertable-no-such-folder/file", dir);
    SetLastError(0xdead);
    h = CreateFileA(other, GENERIC_READ, SHARE_ALL, NULL, OPEN_ALWAYS, 0, NULL);
    printf("a missing folder: %d, error %u\n", h != INVALID_HANDLE_VALUE, LAST_ERROR());
    SetLastError(0xdead);
    h = CreateFileA(dir, GENERIC_READ, SHARE_ALL, NULL, OPEN_EXISTING, 0, NULL);
    printf("a folder: %d, error %u\n", h != INVALID_HANDLE_VALUE, LAST_ERROR());
    SetLastError(0xdead);
    h = CreateFileW(L"", GENERIC_READ, SHARE_ALL, NULL, OPEN_EXISTING, 0, NULL);
    printf("an empty name: %d, error %u\n", h != INVALID_HANDLE_VALUE, LAST_ERROR());
    snprintf(other, sizeof other, "%s.new", name);
    SetLastError(0xdead);
    h = CreateFileA(other, GENERIC_READ, SHARE_ALL, NULL, OPEN_EXISTING, 0, NULL);
    printf("OPEN_EXISTING, no file: %d, error %u\n", h != INVALID_HANDLE_VALUE, LAST_ERROR());
    SetLastError(0xdead);
    h = CreateFileA(other, GENERIC_WRITE, SHARE_ALL, NULL, OPEN_ALWAYS, 0, NULL);
    printf("OPEN_ALWAYS, no file: %d, error %u\n", h != INVALID_HANDLE_VALUE, LAST_ERROR());
    CloseHandle(h);
    ok = DeleteFileA(other);
    printf("DeleteFileA: %d\n", ok);
    SetLastError(0xdead);
    ok = DeleteFileA(other);
    printf("DeleteFileA again: %d, error %u\n", ok, LAST_ERROR());

    /* A synchronous handle: the file position, or the OVERLAPPED's offset (J103). */
    SetLastError(0xdead);
    HANDLE sync = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, SHARE_ALL, NULL, CREATE_ALWAYS,
                              FILE_ATTRIBUTE_NORMAL, NULL);
    printf("CREATE_ALWAYS, file exists: %d, error %u\n", sync != INVALID_HANDLE_VALUE,
           LAST_ERROR());
    n = 99;
    ok = WriteFile(sync, "0123456789", 10, &n, NULL);
    printf("WriteFile: %d, %u bytes\n", ok, n);
    n = 99;
    ok = ReadFile(sync, buf, 4, &n, NULL);
    printf("ReadFile at the end: %d, %u bytes\n", ok, n);
    memset(buf, 0, sizeof buf);
    ov = at(2, ev);
    ok = ReadFile(sync, buf, 3, &n, &ov);
    r = WaitForSingleObject(ev, 0);
    printf("ReadFile with an OVERLAPPED: %d, %u bytes \"%s\", Internal 0x%x, InternalHigh %u, "
           "event %u\n",
           ok, n, buf, (unsigned)ov.Internal, (unsigned)ov.InternalHigh, r);
    ok = GetOverlappedResult(sync, &ov, &n, FALSE);
    printf("GetOverlappedResult: %d, %u bytes\n", ok, n);
    memset(buf, 0, sizeof buf);
    ok = ReadFile(sync, buf, 5, &n, NULL);
    printf("ReadFile goes on from there: %d, %u bytes \"%s\"\n", ok, n, buf);
    ov = at(20, ev);
    ResetEvent(ev);
    SetLastError(0xdead);
    ok = ReadFile(sync, buf, 3, &n, &ov);
    r = WaitForSingleObject(ev, 0);
    printf("J103 beyond the end: %d, error %u, %u bytes, Internal 0x%x, InternalHigh %u, "
           "event %u\n",
           ok, LAST_ERROR(), n, (unsigned)ov.Internal, (unsigned)ov.InternalHigh, r);
    ov = at(0, NULL);
    memset(buf, 0, sizeof buf);
    ok = ReadFileEx(sync, buf, 5, &ov, routine);
    r = SleepEx(0, TRUE);
    printf("J103 ReadFileEx, synchronous file: %d, \"%s\", no routine queued: %u %d\n", ok, buf,
           r, routine_calls);
    QueueUserAPC(user_apc, GetCurrentThread(), 0);
    ok = ReadFile(sync, buf, 5, &n, NULL);
    printf("J110 ReadFile runs no APC: %d, order \"%s\"", ok, order);
    r = SleepEx(0, TRUE);
    printf(", then SleepEx: %u \"%s\"\n", r, order);
    order[0] = 0;
    CloseHandle(sync);

    /* An overlapped handle: a request whose data is at hand finishes inside the call, one
     * that must wait is pending (J100, J102). A write may be either (Windows finishes
     * cached writes at once; Linux file systems may need to allocate first). */
    SetLastError(0xdead);
    h = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, SHARE_ALL, NULL, CREATE_ALWAYS,
                    FILE_FLAG_OVERLAPPED, NULL);
    printf("CreateFileA(FILE_FLAG_OVERLAPPED): %d, error %u\n", h != INVALID_HANDLE_VALUE,
           LAST_ERROR());
    ov = at(0, ev);
    n = 99;
    SetLastError(0xdead);
    ok = WriteFile(h, "hello world", 11, &n, &ov);
    printf("J102 WriteFile: started %d, %u bytes if done\n", ok || GetLastError() == ERROR_IO_PENDING,
           ok ? n : 11);
    r = WaitForSingleObject(ev, INFINITE);
    printf("J102 event %u, Internal 0x%x, InternalHigh %u, HasOverlappedIoCompleted %d\n", r,
           (unsigned)ov.Internal, (unsigned)ov.InternalHigh, HasOverlappedIoCompleted(&ov));
    ok = GetOverlappedResult(h, &ov, &n, FALSE);
    printf("J102 GetOverlappedResult: %d, %u bytes\n", ok, n);
    printf("the file handle is signaled: %u\n", WaitForSingleObject(h, 0));
    memset(buf, 0, sizeof buf);
    ov = at(6, NULL);
    SetLastError(0xdead);
    n = 99;
    ok = ReadFile(h, buf, 5, &n, &ov);
    printf("J102 ReadFile of cached data: %d, %u bytes \"%s\", Internal 0x%x\n", ok, n, buf,
           (unsigned)ov.Internal);
    ok = GetOverlappedResult(h, &ov, &n, TRUE);
    printf("J102 GetOverlappedResult(wait): %d, %u bytes \"%s\"\n", ok, n, buf);
    spin_file = h;
    ov = at(0, NULL);
    ok = ReadFileEx(h, buf, 1, &ov, spinning_routine);
    r = SleepEx(INFINITE, TRUE);
    printf("J102 the spinning routine's SleepEx: %d %u\n", ok, r);
    ov = at(11, NULL);
    n = 99;
    SetLastError(0xdead);
    ok = ReadFile(h, buf, sizeof buf, &n, &ov);
    printf("J100 ReadFile at the end: %d, error %u, %u bytes\n", ok, LAST_ERROR(), n);
    n = 99;
    SetLastError(0xdead);
    ok = GetOverlappedResult(h, &ov, &n, TRUE);
    printf("J100 GetOverlappedResult(wait): %d, error %u, %u bytes, Internal 0x%x\n", ok,
           LAST_ERROR(), n, (unsigned)ov.Internal);
    SetLastError(0xdead);
    ok = ReadFile(h, buf, 5, &n, NULL);
    printf("ReadFile without an OVERLAPPED: %d, error %u\n", ok, LAST_ERROR());
    ov = at(0, (HANDLE)(ULONG_PTR)0xdeadbee0);
    ov.Internal = 0x55;
    SetLastError(0xdead);
    ok = ReadFile(h, buf, 5, &n, &ov);
    printf("J106 a bad event: %d, error %u, Internal 0x%x\n", ok, LAST_ERROR(),
           (unsigned)ov.Internal);
    HANDLE reader = CreateFileA(name, GENERIC_READ, SHARE_ALL, NULL, OPEN_EXISTING,
                                FILE_FLAG_OVERLAPPED, NULL);
    HANDLE writer = CreateFileA(name, GENERIC_WRITE, SHARE_ALL, NULL, OPEN_EXISTING,
                                FILE_FLAG_OVERLAPPED, NULL);
    ov = at(0, ev);
    ov.Internal = 0x55;
    SetLastError(0xdead);
    ok = WriteFile(reader, "x", 1, &n, &ov);
    printf("WriteFile, read-only handle: %d, error %u, Internal 0x%x\n", ok, LAST_ERROR(),
           (unsigned)ov.Internal);

    /* Completion routines (J92-J94, J97, J98, J101, J109). */
    HANDLE untouched = CreateEventW(NULL, TRUE, FALSE, NULL);
    memset(buf, 0, sizeof buf);
    ov = at(6, untouched);
    ok = ReadFileEx(h, buf, 5, &ov, routine);
    printf("J92 ReadFileEx: %d, routine run inside: %d\n", ok, routine_calls);
    wait_for_routine();
    print_routine("J93 routine", &ov);
    printf("J93 data \"%s\", Internal 0x%x, InternalHigh %u\n", buf, (unsigned)ov.Internal,
           (unsigned)ov.InternalHigh);
    r = WaitForSingleObject(untouched, 0);
    printf("J94 hEvent kept: %d, not signaled: %u\n", ov.hEvent == untouched, r);
    ov = at(0, NULL);
    ok = WriteFileEx(h, "HELLO", 5, &ov, routine);
    printf("J92 WriteFileEx: %d\n", ok);
    wait_for_routine();
    print_routine("J93 routine", &ov);
    ov = at(11, NULL);
    ok = ReadFileEx(h, buf, 5, &ov, routine);
    printf("J101 ReadFileEx at the end: %d\n", ok);
    wait_for_routine();
    print_routine("J101 routine", &ov);
    SetLastError(0xdead);
    ok = ReadFileEx(h, buf, 5, NULL, routine);
    printf("J98 ReadFileEx(NULL OVERLAPPED): %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0xdead);
    ok = WriteFileEx(h, buf, 5, NULL, routine);
    printf("J98 WriteFileEx(NULL OVERLAPPED): %d, error %u\n", ok, LAST_ERROR());
    ov = at(0, NULL);
    SetLastError(0xdead);
    ok = ReadFileEx(writer, buf, 5, &ov, routine);
    printf("J97 ReadFileEx, write-only handle: %d, error %u", ok, LAST_ERROR());
    r = SleepEx(0, TRUE);
    printf(", no routine: %u, calls %d\n", r, routine_calls);
    order[0] = 0;
    QueueUserAPC(user_apc, GetCurrentThread(), 0);
    ov = at(0, NULL);
    ReadFileEx(h, buf, 5, &ov, routine);
    while (routine_calls < 4)
        SleepEx(INFINITE, TRUE);
    printf("J109 one FIFO with QueueUserAPC: \"%s\"\n", order);

    /* ExitThread inside a completion routine, and in an APC that GetOverlappedResultEx
     * runs, ends the thread with its code. */
    printf("ExitThread in a completion routine: %u\n", exit_code_of(exit_in_routine, h));
    printf("ExitThread in an APC during GetOverlappedResultEx: %u\n",
           exit_code_of(exit_in_result_wait, NULL));

    /* J108: no completion routines on a file bound to a port. */
    HANDLE port = CreateIoCompletionPort(h, NULL, 1, 0);
    ov = at(0, NULL);
    SetLastError(0xdead);
    ok = ReadFileEx(h, buf, 5, &ov, routine);
    printf("J108 ReadFileEx, bound file: %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0xdead);
    ok = WriteFileEx(h, buf, 5, &ov, routine);
    printf("J108 WriteFileEx, bound file: %d, error %u\n", ok, LAST_ERROR());

    /* J114: GetOverlappedResult reads the OVERLAPPED, whatever the file handle. */
    memset(&ov, 0, sizeof ov);
    n = 1;
    ok = GetOverlappedResult(NULL, &ov, &n, FALSE);
    printf("J114 zeroed: %d, %u\n", ok, n);
    ov.InternalHigh = 0xabcd;
    n = 0;
    ok = GetOverlappedResult(NULL, &ov, &n, FALSE);
    printf("J114 success: %d, 0x%x\n", ok, n);
    ov.Internal = 0xC0000008; /* STATUS_INVALID_HANDLE */
    n = 0;
    SetLastError(0xdead);
    ok = GetOverlappedResult(NULL, &ov, &n, FALSE);
    printf("J114 STATUS_INVALID_HANDLE: %d, error %u, 0x%x\n", ok, LAST_ERROR(), n);
    ov.Internal = 0xC0000120; /* STATUS_CANCELLED */
    SetLastError(0xdead);
    ok = GetOverlappedResult(NULL, &ov, &n, FALSE);
    printf("STATUS_CANCELLED: %d, error %u\n", ok, LAST_ERROR());
    ov.Internal = STATUS_PENDING;
    n = 0;
    SetLastError(0xdead);
    ok = GetOverlappedResult(NULL, &ov, &n, FALSE);
    printf("J114 STATUS_PENDING: %d, error %u, %u, HasOverlappedIoCompleted %d\n", ok,
           LAST_ERROR(), n, HasOverlappedIoCompleted(&ov));
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    SetLastError(0xdead);
    ok = GetOverlappedResultEx(NULL, &ov, &n, 0, FALSE);
    printf("GetOverlappedResultEx(0 ms): %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0xdead);
    ok = GetOverlappedResultEx(NULL, &ov, &n, 10, FALSE);
    printf("GetOverlappedResultEx(10 ms): %d, error %u\n", ok, LAST_ERROR());
    order[0] = 0;
    QueueUserAPC(user_apc, GetCurrentThread(), 0);
    SetLastError(0xdead);
    ok = GetOverlappedResultEx(NULL, &ov, &n, INFINITE, TRUE);
    printf("GetOverlappedResultEx(alertable, an APC): %d, error %u, order \"%s\"\n", ok,
           LAST_ERROR(), order);
    SetEvent(ov.hEvent);
    SetLastError(0xdead);
    ok = GetOverlappedResult(NULL, &ov, &n, FALSE);
    printf("J114 STATUS_PENDING, event set, no wait: %d, error %u\n", ok, LAST_ERROR());
    n = 0;
    ok = GetOverlappedResult(NULL, &ov, &n, TRUE);
    printf("J114 STATUS_PENDING, event set, wait: %d, 0x%x\n", ok, n);
    CloseHandle(ov.hEvent);

    CloseHandle(port);
    CloseHandle(reader);
    CloseHandle(writer);
    CloseHandle(h);
    SetLastError(0xdead);
    ok = ReadFile(h, buf, 5, &n, &ov);
    printf("J106 a closed file: %d, error %u\n", ok, LAST_ERROR());
    printf("DeleteFileA: %d\n", DeleteFileA(name));
    return 0;
}
