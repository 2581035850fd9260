/* Spec section L: I/O completion ports (L123-L128, L131, L132; L127 through a failed file
 * request). L129, L130 and the GetQueuedCompletionStatus half of L131 need to know that
 * another thread is blocked inside GetQueuedCompletionStatus, which a C program can only
 * guess with timing; the library's own tests check them. */
#include "conformance.h"

/* Windows refuses a second open of a file whose first handle does not share it. */
#define SHARE_ALL (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)

static int apcs;
static void CALLBACK count_apc(ULONG_PTR param)
{
    (void)param;
    apcs++;
}

static HANDLE ready;

static void CALLBACK exiting_apc(ULONG_PTR code)
{
    ExitThread((DWORD)code);
}

/* Ends in an APC that an alertable GetQueuedCompletionStatusEx runs (thread.rs, X3). */
static DWORD WINAPI exit_in_port_wait(LPVOID port)
{
    OVERLAPPED_ENTRY entry;
    ULONG count;
    QueueUserAPC(exiting_apc, GetCurrentThread(), 43);
    GetQueuedCompletionStatusEx((HANDLE)port, &entry, 1, &count, INFINITE, TRUE);
    return 1;
}

/* Waits on the port as an object, announcing atomically with the start of the wait. */
static DWORD WINAPI wait_on_port(LPVOID port)
{
    return SignalObjectAndWait(ready, (HANDLE)port, INFINITE, FALSE);
}

static void print_entry(const char *what, const OVERLAPPED_ENTRY *e, const OVERLAPPED *ov)
{
    printf("%s: key %u, overlapped %s, Internal 0x%x, bytes %u\n", what,
           (unsigned)e->lpCompletionKey, e->lpOverlapped == ov ? "ok" : "wrong",
           (unsigned)e->Internal, (unsigned)e->dwNumberOfBytesTransferred);
}

int main(void)
{
    DWORD n;
    ULONG_PTR key;
    LPOVERLAPPED o;
    OVERLAPPED ov1 = {0}, ov2 = {0};
    OVERLAPPED_ENTRY entries[4];
    ULONG count;
    BOOL ok;
    ready = CreateSemaphoreW(NULL, 0, 2, NULL);

    /* L123: an empty port times out and clears *lpOverlapped; a posted packet comes back
     * verbatim. */
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 999, 0);
    printf("L123 CreateIoCompletionPort: %d\n", port != NULL);
    o = &ov1;
    SetLastError(0);
    ok = GetQueuedCompletionStatus(port, &n, &key, &o, 0);
    printf("L123 empty GetQueuedCompletionStatus: %d, error %u, overlapped NULL: %d\n", ok,
           LAST_ERROR(), o == NULL);
    printf("L123 PostQueuedCompletionStatus: %d\n", PostQueuedCompletionStatus(port, 123, 456, &ov1));
    ok = GetQueuedCompletionStatus(port, &n, &key, &o, 0);
    printf("L123 GetQueuedCompletionStatus: %d, bytes %u, key %u, overlapped %s\n", ok, n,
           (unsigned)key, o == &ov1 ? "ok" : "wrong");

    /* L124: the Ex form: empty, then two packets FIFO with Internal 0. */
    count = 7;
    SetLastError(0);
    ok = GetQueuedCompletionStatusEx(port, entries, 2, &count, 0, FALSE);
    printf("L124 empty GetQueuedCompletionStatusEx: %d, error %u, count at most 1: %d\n", ok,
           LAST_ERROR(), count <= 1);
    PostQueuedCompletionStatus(port, 1, 10, &ov1);
    PostQueuedCompletionStatus(port, 2, 20, &ov2);
    ok = GetQueuedCompletionStatusEx(port, entries, 2, &count, 0, FALSE);
    printf("L124 two packets: %d, count %u\n", ok, (unsigned)count);
    print_entry("L124 first", &entries[0], &ov1);
    print_entry("L124 second", &entries[1], &ov2);

    /* L125: an APC and an empty port; then an APC and a packet, on a port this thread took
     * packets from. */
    QueueUserAPC(count_apc, GetCurrentThread(), 0);
    SetLastError(0);
    ok = GetQueuedCompletionStatusEx(port, entries, 1, &count, 0, FALSE);
    printf("L125 not alertable: %d, error %u, APCs run %d\n", ok, LAST_ERROR(), apcs);
    SetLastError(0);
    ok = GetQueuedCompletionStatusEx(port, entries, 1, &count, 0, TRUE);
    printf("L125 alertable: %d, error %u, APCs run %d\n", ok, LAST_ERROR(), apcs);
    QueueUserAPC(count_apc, GetCurrentThread(), 0);
    PostQueuedCompletionStatus(port, 5, 50, &ov1);
    ok = GetQueuedCompletionStatusEx(port, entries, 1, &count, 0, TRUE);
    printf("L125 APC and packet: %d, count %u, key %u, APCs run %d\n", ok, (unsigned)count,
           (unsigned)entries[0].lpCompletionKey, apcs);
    DWORD r = SleepEx(0, TRUE);
    printf("L125 the APC runs next: %u, APCs run %d\n", r, apcs);

    /* L126: on a port the thread never took a packet from, the APC wins; once it has taken
     * one there, the packet does. */
    HANDLE other = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    QueueUserAPC(count_apc, GetCurrentThread(), 0);
    PostQueuedCompletionStatus(other, 6, 60, &ov2);
    SetLastError(0);
    ok = GetQueuedCompletionStatusEx(other, entries, 1, &count, 0, TRUE);
    printf("L126 new port, APC and packet: %d, error %u, APCs run %d\n", ok, LAST_ERROR(), apcs);
    ok = GetQueuedCompletionStatusEx(other, entries, 1, &count, 0, TRUE);
    printf("L126 then the packet: %d, count %u, key %u\n", ok, (unsigned)count,
           (unsigned)entries[0].lpCompletionKey);
    QueueUserAPC(count_apc, GetCurrentThread(), 0);
    PostQueuedCompletionStatus(other, 7, 70, &ov2);
    ok = GetQueuedCompletionStatusEx(other, entries, 1, &count, 0, TRUE);
    printf("L126 associated now, APC and packet: %d, key %u, APCs run %d\n", ok,
           (unsigned)entries[0].lpCompletionKey, apcs);
    r = SleepEx(0, TRUE);
    printf("L126 the APC runs next: %u, APCs run %d\n", r, apcs);

    DWORD code;
    HANDLE exiting = start_thread(exit_in_port_wait, port, 0);
    WaitForSingleObject(exiting, INFINITE);
    GetExitCodeThread(exiting, &code);
    CloseHandle(exiting);
    printf("ExitThread in an APC during GetQueuedCompletionStatusEx: %u\n", code);

    /* L127: values come back verbatim; room for one takes one packet per call, FIFO. */
    PostQueuedCompletionStatus(port, 0xFFFFFFFF, (ULONG_PTR)-1, (LPOVERLAPPED)(ULONG_PTR)0x1234);
    PostQueuedCompletionStatus(port, 0, 0, NULL);
    ok = GetQueuedCompletionStatusEx(port, entries, 1, &count, 0, FALSE);
    printf("L127 first: %d, count %u, bytes 0x%x, key all ones %d, overlapped 0x%x\n", ok,
           (unsigned)count, (unsigned)entries[0].dwNumberOfBytesTransferred,
           entries[0].lpCompletionKey == (ULONG_PTR)-1,
           (unsigned)(ULONG_PTR)entries[0].lpOverlapped);
    ok = GetQueuedCompletionStatus(port, &n, &key, &o, 0);
    printf("L127 second: %d, bytes %u, key %u, overlapped NULL %d\n", ok, n, (unsigned)key,
           o == NULL);

    /* L128: a port handle is waitable; a post wakes every waiter and stays queued. */
    HANDLE waiters[2];
    for (int i = 0; i < 2; i++)
        waiters[i] = start_thread(wait_on_port, port, 0);
    for (int i = 0; i < 2; i++)
        WaitForSingleObject(ready, INFINITE);
    PostQueuedCompletionStatus(port, 8, 80, &ov1);
    for (int i = 0; i < 2; i++) {
        DWORD code;
        WaitForSingleObject(waiters[i], INFINITE);
        GetExitCodeThread(waiters[i], &code);
        printf("L128 waiter %d: %u\n", i, code);
        CloseHandle(waiters[i]);
    }
    printf("L128 the port is still signaled: %u\n", WaitForSingleObject(port, 0));
    ok = GetQueuedCompletionStatus(port, &n, &key, &o, 0);
    printf("L128 the packet is still queued: %d, key %u\n", ok, (unsigned)key);
    printf("L128 empty, not signaled: %u\n", WaitForSingleObject(port, 0));

    /* L132: packets of a bound file carry its key, the request's OVERLAPPED and the bytes,
     * also for requests that complete at once; a failed one reports its error (L127). */
    char name[MAX_PATH];
    temp_file_name("lpt", name);
    HANDLE file = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, SHARE_ALL, NULL, CREATE_ALWAYS,
                              FILE_FLAG_OVERLAPPED, NULL);
    printf("L132 bind: %d\n", CreateIoCompletionPort(file, port, 77, 0) == port);
    SetLastError(0);
    ok = CreateIoCompletionPort(file, port, 78, 0) != NULL;
    printf("L132 bind again: %d, error %u\n", ok, LAST_ERROR());
    /* Pending (FALSE, 997) or done at once (TRUE): a cached write may finish inside the
     * call on either system, and either way the packet is posted. */
    SetLastError(0);
    ok = WriteFile(file, "completion", 10, NULL, &ov1);
    printf("L132 WriteFile: %s\n",
           ok || LAST_ERROR() == ERROR_IO_PENDING ? "pending or done" : "failed");
    ok = GetQueuedCompletionStatus(port, &n, &key, &o, INFINITE);
    printf("L132 its packet: %d, bytes %u, key %u, overlapped %s\n", ok, n, (unsigned)key,
           o == &ov1 ? "ok" : "wrong");
    char buf[32] = {0};
    ov2.Offset = 3;
    ReadFile(file, buf, sizeof buf, NULL, &ov2);
    ok = GetQueuedCompletionStatus(port, &n, &key, &o, INFINITE);
    printf("L132 read packet: %d, bytes %u, key %u, overlapped %s, data %s\n", ok, n,
           (unsigned)key, o == &ov2 ? "ok" : "wrong", buf);
    /* A read at the end of the file fails inside the call: no packet (J102). */
    ov2.Offset = 100;
    SetLastError(0);
    ok = ReadFile(file, buf, sizeof buf, NULL, &ov2);
    printf("L127 read at the end: %d, error %u, Internal 0x%x\n", ok, LAST_ERROR(),
           (unsigned)ov2.Internal);
    ok = GetQueuedCompletionStatusEx(port, entries, 4, &count, 0, FALSE);
    printf("L132 nothing else queued: %d\n", ok);

    /* An event with its low bit set: the event is signaled, no packet is posted. */
    HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    ov1.Offset = 0;
    ov1.hEvent = (HANDLE)((ULONG_PTR)ev | 1);
    ReadFile(file, buf, 4, NULL, &ov1);
    r = WaitForSingleObject(ev, INFINITE);
    SetLastError(0);
    ok = GetQueuedCompletionStatus(port, &n, &key, &o, 0);
    printf("low bit: event %u, no packet: %d, error %u\n", r, ok, LAST_ERROR());
    ov1.hEvent = NULL;

    /* Binding: a new port for a file, a synchronous file, bad handles. */
    char name2[MAX_PATH];
    temp_file_name("lpt", name2);
    HANDLE file2 = CreateFileA(name2, GENERIC_READ | GENERIC_WRITE, SHARE_ALL, NULL, OPEN_EXISTING,
                               FILE_FLAG_OVERLAPPED, NULL);
    HANDLE own = CreateIoCompletionPort(file2, NULL, 5, 1);
    printf("a file's own new port: %d\n", own != NULL && own != port);
    WriteFile(file2, "x", 1, NULL, &ov1);
    ok = GetQueuedCompletionStatus(own, &n, &key, &o, INFINITE);
    printf("its packet: %d, key %u\n", ok, (unsigned)key);
    HANDLE sync = CreateFileA(name2, GENERIC_READ, SHARE_ALL, NULL, OPEN_EXISTING, 0, NULL);
    SetLastError(0);
    ok = CreateIoCompletionPort(sync, port, 1, 0) != NULL;
    printf("L132 synchronous file: %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0);
    ok = CreateIoCompletionPort(INVALID_HANDLE_VALUE, port, 1, 0) != NULL;
    printf("existing port with INVALID_HANDLE_VALUE: %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0);
    ok = CreateIoCompletionPort(file2, sync, 1, 0) != NULL;
    printf("a file as the port: %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0);
    ok = CreateIoCompletionPort(NULL, port, 1, 0) != NULL;
    printf("NULL file: %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0);
    ok = GetQueuedCompletionStatus(ev, &n, &key, &o, 0);
    printf("GetQueuedCompletionStatus(event): %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0);
    ok = PostQueuedCompletionStatus(file, 0, 0, NULL);
    printf("PostQueuedCompletionStatus(file): %d, error %u\n", ok, LAST_ERROR());

    /* L131: closing the port's last handle releases threads waiting on it as an object. */
    HANDLE doomed = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    HANDLE copy;
    DuplicateHandle(GetCurrentProcess(), doomed, GetCurrentProcess(), &copy, 0, FALSE,
                    DUPLICATE_SAME_ACCESS);
    HANDLE waiter = start_thread(wait_on_port, doomed, 0);
    WaitForSingleObject(ready, INFINITE);
    CloseHandle(copy);
    r = WaitForSingleObject(waiter, 0);
    printf("L131 one of two handles closed: still waiting %u\n", r);
    CloseHandle(doomed);
    WaitForSingleObject(waiter, INFINITE);
    GetExitCodeThread(waiter, &code);
    printf("L131 the last closed: the waiter returns %u\n", code);
    CloseHandle(waiter);
    SetLastError(0);
    ok = PostQueuedCompletionStatus(doomed, 0, 0, NULL);
    printf("PostQueuedCompletionStatus(closed port): %d, error %u\n", ok, LAST_ERROR());

    CloseHandle(file);
    CloseHandle(file2);
    CloseHandle(sync);
    CloseHandle(own);
    CloseHandle(other);
    CloseHandle(port);
    DeleteFileA(name);
    DeleteFileA(name2);
    return 0;
}
