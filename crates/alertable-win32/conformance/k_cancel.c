/* Spec section K: cancellation (K115-K118, K121), and the entries of J that need a request
 * that stays pending (J95, J96, J99). A read on an empty FIFO waits until something is
 * written (open_fifo in conformance.h), as a read on an empty pipe does on Windows. */
#include "conformance.h"
#include <stdlib.h>
#include <string.h>

static int routine_calls;
static DWORD routine_error, routine_bytes;
static LPOVERLAPPED routine_overlapped;

static VOID CALLBACK routine(DWORD error, DWORD bytes, LPOVERLAPPED ov)
{
    routine_calls++;
    routine_error = error;
    routine_bytes = bytes;
    routine_overlapped = ov;
}

static void print_routine(const char *what, const OVERLAPPED *ov)
{
    printf("%s: calls %d, error %u, bytes %u, overlapped %s\n", what, routine_calls,
           routine_error, routine_bytes, routine_overlapped == ov ? "ok" : "wrong");
}

static void print_result(const char *what, HANDLE file, OVERLAPPED *ov)
{
    DWORD n = 99;
    SetLastError(0);
    BOOL ok = GetOverlappedResult(file, ov, &n, TRUE);
    printf("%s: Internal 0x%x, GetOverlappedResult %d, error %u, %u bytes\n", what,
           (unsigned)ov->Internal, ok, LAST_ERROR(), n);
}

static OVERLAPPED with_event(HANDLE event)
{
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = event;
    return ov;
}

/* What a worker thread issues before it exits or waits. */
struct request {
    HANDLE file;
    OVERLAPPED *ov;
    char *buf;
    BOOL ex;
    HANDLE issued, hold; /* when set: announce the request, then wait for hold */
};

static DWORD WINAPI issue(LPVOID param)
{
    struct request *q = param;
    if (q->ex)
        ReadFileEx(q->file, q->buf, 8, q->ov, routine);
    else
        ReadFile(q->file, q->buf, 8, NULL, q->ov);
    if (q->issued)
        SignalObjectAndWait(q->issued, q->hold, INFINITE, FALSE);
    return 0;
}

static void run_worker(struct request *q)
{
    join_thread(start_thread(issue, q, 0));
}

int main(void)
{
    char buf[64], buf2[64];
    DWORD n, r;
    BOOL ok;
    OVERLAPPED ov, ov2, ovw;
    HANDLE fifo = open_fifo("k");
    HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    HANDLE ev2 = CreateEventW(NULL, TRUE, FALSE, NULL);
    HANDLE evw = CreateEventW(NULL, TRUE, FALSE, NULL);

    /* K115: CancelIo completes a pending read with STATUS_CANCELLED and signals its event. */
    ov = with_event(ev);
    SetLastError(0);
    ok = ReadFile(fifo, buf, sizeof buf, NULL, &ov);
    printf("K115 ReadFile: %d, error %u\n", ok, LAST_ERROR());
    r = WaitForSingleObject(ev, 0);
    printf("K115 pending: event %u, HasOverlappedIoCompleted %d\n", r,
           HasOverlappedIoCompleted(&ov));
    printf("K115 CancelIo: %d\n", CancelIo(fifo));
    printf("K115 event: %u\n", WaitForSingleObject(ev, INFINITE));
    print_result("K115", fifo, &ov);
    printf("K115 CancelIo, nothing pending: %d\n", CancelIo(fifo));

    /* K115, J99: a cancelled ReadFileEx's routine gets ERROR_OPERATION_ABORTED, in the next
     * alertable wait. */
    ov = with_event(NULL);
    ok = ReadFileEx(fifo, buf, sizeof buf, &ov, routine);
    printf("K115 ReadFileEx: %d\n", ok);
    ok = CancelIo(fifo);
    printf("K115 CancelIo: %d, routine run: %d\n", ok, routine_calls);
    r = SleepEx(INFINITE, TRUE);
    printf("K115 SleepEx: %u\n", r);
    print_routine("J99 routine", &ov);

    /* K116: CancelIoEx cancels one request, once. */
    ov = with_event(ev);
    ReadFile(fifo, buf, sizeof buf, NULL, &ov);
    printf("K116 CancelIoEx: %d\n", CancelIoEx(fifo, &ov));
    SetLastError(0);
    ok = CancelIoEx(fifo, &ov);
    printf("K116 CancelIoEx again: %d, error %u\n", ok, LAST_ERROR());
    WaitForSingleObject(ev, INFINITE);
    print_result("K116", fifo, &ov);
    SetLastError(0);
    ok = CancelIoEx(fifo, NULL);
    printf("K116 CancelIoEx(NULL), nothing pending: %d, error %u\n", ok, LAST_ERROR());

    /* K117: of two pending reads, only the one named is cancelled; the other gets data. */
    memset(buf, 0, sizeof buf);
    ov = with_event(ev);
    ov2 = with_event(ev2);
    ReadFile(fifo, buf, sizeof buf, NULL, &ov);
    ReadFile(fifo, buf2, sizeof buf2, NULL, &ov2);
    printf("K117 CancelIoEx(second): %d\n", CancelIoEx(fifo, &ov2));
    WaitForSingleObject(ev2, INFINITE);
    print_result("K117 second", fifo, &ov2);
    printf("K117 the first is still pending: %u\n", WaitForSingleObject(ev, 0));
    ovw = with_event(evw);
    WriteFile(fifo, "data", 4, NULL, &ovw);
    WaitForSingleObject(evw, INFINITE);
    WaitForSingleObject(ev, INFINITE);
    print_result("K117 first", fifo, &ov);
    printf("K117 first data \"%s\"\n", buf);

    /* Any thread's request: CancelIo cancels the caller's only, CancelIoEx anyone's. */
    struct request held = {fifo, &ov2, buf2, FALSE, CreateEventW(NULL, FALSE, FALSE, NULL),
                           CreateEventW(NULL, TRUE, FALSE, NULL)};
    ov2 = with_event(ev2);
    HANDLE worker = start_thread(issue, &held, 0);
    WaitForSingleObject(held.issued, INFINITE);
    ok = CancelIo(fifo);
    r = WaitForSingleObject(ev2, 0);
    printf("CancelIo leaves another thread's read: %d, %u\n", ok, r);
    printf("CancelIoEx cancels it: %d\n", CancelIoEx(fifo, &ov2));
    WaitForSingleObject(ev2, INFINITE);
    print_result("another thread's read", fifo, &ov2);
    SetEvent(held.hold);
    join_thread(worker);

    /* K118: cancellation is per file object; closing one of its handles cancels nothing. */
    HANDLE dup;
    DuplicateHandle(GetCurrentProcess(), fifo, GetCurrentProcess(), &dup, 0, FALSE,
                    DUPLICATE_SAME_ACCESS);
    ov = with_event(ev);
    ReadFile(dup, buf, sizeof buf, NULL, &ov);
    printf("K118 CancelIo(the other handle): %d\n", CancelIo(fifo));
    WaitForSingleObject(ev, INFINITE);
    print_result("K118", fifo, &ov);
    ov = with_event(ev);
    ReadFile(dup, buf, sizeof buf, NULL, &ov);
    printf("K118 CloseHandle(the issuing handle): %d\n", CloseHandle(dup));
    r = SleepEx(0, TRUE);
    printf("K118 still pending: %u %u %d\n", r, WaitForSingleObject(ev, 0),
           HasOverlappedIoCompleted(&ov));
    SetLastError(0);
    ok = CancelIo(dup);
    printf("K118 CancelIo(closed handle): %d, error %u\n", ok, LAST_ERROR());
    printf("K118 CancelIo(open handle): %d\n", CancelIo(fifo));
    WaitForSingleObject(ev, INFINITE);
    print_result("K118", fifo, &ov);

    /* J95: a pending ReadFileEx completed by a write; its routine waits for an alertable
     * wait. */
    memset(buf, 0, sizeof buf);
    ov = with_event(NULL);
    int before = routine_calls;
    ok = ReadFileEx(fifo, buf, sizeof buf, &ov, routine);
    printf("J95 ReadFileEx: %d\n", ok);
    ovw = with_event(evw);
    WriteFile(fifo, "test", 4, NULL, &ovw);
    WaitForSingleObject(evw, INFINITE);
    printf("J95 written; routine not run yet: %d\n", routine_calls - before);
    r = SleepEx(INFINITE, TRUE);
    printf("J95 SleepEx: %u\n", r);
    print_routine("J95 routine", &ov);
    printf("J95 data \"%s\"\n", buf);

    /* J96: a write larger than the pipe stays pending until a reader drains it. */
    enum { BIG = 4 << 20 };
    char *big = malloc(BIG), *back = malloc(BIG);
    for (int i = 0; i < BIG; i++)
        big[i] = (char)(i * 7 + i / 4096);
    ovw = with_event(NULL);
    before = routine_calls;
    ok = WriteFileEx(fifo, big, BIG, &ovw, routine);
    r = SleepEx(0, TRUE);
    printf("J96 WriteFileEx: %d, zero-timeout alertable wait %u, routine run: %d\n", ok, r,
           routine_calls - before);
    DWORD total = 0;
    while (total < BIG) {
        ov = with_event(ev);
        ReadFile(fifo, back + total, 65536, NULL, &ov);
        if (!GetOverlappedResult(fifo, &ov, &n, TRUE))
            break;
        total += n;
    }
    printf("J96 drained %u bytes, the same: %d\n", total, memcmp(big, back, BIG) == 0);
    r = SleepEx(INFINITE, TRUE);
    printf("J96 SleepEx: %u\n", r);
    print_routine("J96 routine", &ovw);
    free(big);
    free(back);

    /* K121: a thread's requests are cancelled when it exits; its routines never run. */
    struct request q = {fifo, &ov, buf, FALSE, NULL, NULL};
    ov = with_event(ev);
    ResetEvent(ev);
    run_worker(&q);
    printf("K121 event: %u\n", WaitForSingleObject(ev, INFINITE));
    print_result("K121 ReadFile", fifo, &ov);
    before = routine_calls;
    ov = with_event(NULL);
    q.ex = TRUE;
    run_worker(&q);
    print_result("K121 ReadFileEx", fifo, &ov);
    r = SleepEx(0, TRUE);
    printf("K121 no routine: %u, %d\n", r, routine_calls - before);

    /* K121: on a file bound to a port, a request without an event outlives its thread; one
     * with an event is cancelled, and its packet says so. */
    HANDLE fifo2 = open_fifo("kp");
    HANDLE port = CreateIoCompletionPort(fifo2, NULL, 9, 0);
    ULONG_PTR key;
    LPOVERLAPPED o;
    memset(buf, 0, sizeof buf);
    struct request p = {fifo2, &ov, buf, FALSE, NULL, NULL};
    ov = with_event(NULL);
    run_worker(&p);
    SetLastError(0);
    ok = GetQueuedCompletionStatus(port, &n, &key, &o, 0);
    printf("K121 port, no event: no packet %d, error %u, still pending %d\n", ok, LAST_ERROR(),
           !HasOverlappedIoCompleted(&ov));
    ovw = with_event((HANDLE)((ULONG_PTR)evw | 1)); /* this write posts no packet */
    ResetEvent(evw);
    WriteFile(fifo2, "xy", 2, NULL, &ovw);
    WaitForSingleObject(evw, INFINITE);
    ok = GetQueuedCompletionStatus(port, &n, &key, &o, INFINITE);
    printf("K121 then data: %d, %u bytes, key %u, overlapped %s, \"%s\"\n", ok, n,
           (unsigned)key, o == &ov ? "ok" : "wrong", buf);
    ov2 = with_event(ev2);
    ResetEvent(ev2);
    p.ov = &ov2;
    run_worker(&p);
    SetLastError(0);
    ok = GetQueuedCompletionStatus(port, &n, &key, &o, INFINITE);
    DWORD error = LAST_ERROR();
    r = WaitForSingleObject(ev2, 0);
    printf("K121 port, event: %d, error %u, %u bytes, key %u, overlapped %s, event %u\n", ok,
           error, n, (unsigned)key, o == &ov2 ? "ok" : "wrong", r);

    CloseHandle(port);
    CloseHandle(fifo2);
    CloseHandle(fifo);
    return 0;
}
