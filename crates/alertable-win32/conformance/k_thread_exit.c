/* Spec entry K121, on every way a thread can end: when a thread exits, the requests it
 * issued that Windows cancels (with an hEvent, with a completion routine, or on a file
 * bound to no port) are complete, cancelled, by the time its handle is signaled: their
 * OVERLAPPED holds STATUS_CANCELLED and their events are set, and the library does not touch
 * them again, so the caller may reuse the OVERLAPPED at once. Their routines never run.
 * Reads on an empty FIFO stay pending until cancelled (open_fifo in conformance.h). */
#include "conformance.h"
#include <stdlib.h>
#include <string.h>

enum { READS = 3 };

/* One worker's requests: a read with an event, a ReadFileEx, and a read reported through
 * the file handle alone. */
struct reads {
    HANDLE fifo;
    HANDLE event;
    OVERLAPPED ov[READS];
    char buf[READS][16];
};

static int routine_calls;

static VOID CALLBACK never(DWORD error, DWORD bytes, LPOVERLAPPED ov)
{
    (void)error, (void)bytes, (void)ov;
    routine_calls++;
}

/* Issues the three reads; prints whether each is pending. */
static void issue(struct reads *r)
{
    memset(r->ov, 0, sizeof r->ov);
    r->ov[0].hEvent = r->event;
    ResetEvent(r->event);
    BOOL a = ReadFile(r->fifo, r->buf[0], sizeof r->buf[0], NULL, &r->ov[0]);
    DWORD ea = GetLastError();
    BOOL b = ReadFileEx(r->fifo, r->buf[1], sizeof r->buf[1], &r->ov[1], never);
    BOOL c = ReadFile(r->fifo, r->buf[2], sizeof r->buf[2], NULL, &r->ov[2]);
    DWORD ec = GetLastError();
    printf("  issued: ReadFile %d (%u), ReadFileEx %d, ReadFile without event %d (%u)\n", a,
           (unsigned)ea, b, c, (unsigned)ec);
}

/* What the caller sees once the thread's handle is signaled, before waiting on anything
 * else. */
static void check(const char *how, HANDLE thread, struct reads *r)
{
    DWORD code = 99;
    printf("%s: thread %u\n", how, WaitForSingleObject(thread, INFINITE));
    printf("  Internal 0x%x 0x%x 0x%x, completed %d %d %d\n", (unsigned)r->ov[0].Internal,
           (unsigned)r->ov[1].Internal, (unsigned)r->ov[2].Internal,
           HasOverlappedIoCompleted(&r->ov[0]), HasOverlappedIoCompleted(&r->ov[1]),
           HasOverlappedIoCompleted(&r->ov[2]));
    printf("  event %u, file %u\n", WaitForSingleObject(r->event, 0),
           WaitForSingleObject(r->fifo, 0));
    GetExitCodeThread(thread, &code);
    printf("  exit code %u, routine calls %d, SleepEx %u\n", (unsigned)code, routine_calls,
           SleepEx(0, TRUE));
    /* Reusable at once: the library writes to none of them again. */
    memset(r->ov, 0x5a, sizeof r->ov);
    CloseHandle(thread);
}

static DWORD WINAPI returns(LPVOID p)
{
    issue(p);
    return 1;
}

static DWORD WINAPI exits(LPVOID p)
{
    issue(p);
    ExitThread(2);
}

static struct reads *in_routine;
static char first[4];
static OVERLAPPED first_ov;

static VOID CALLBACK exit_in_routine(DWORD error, DWORD bytes, LPOVERLAPPED ov)
{
    (void)ov;
    printf("  routine: error %u, %u bytes\n", (unsigned)error, (unsigned)bytes);
    issue(in_routine);
    ExitThread(3);
}

static DWORD WINAPI waits(LPVOID p)
{
    HANDLE file = p;
    memset(&first_ov, 0, sizeof first_ov);
    ReadFileEx(file, first, sizeof first, &first_ov, exit_in_routine);
    SleepEx(INFINITE, TRUE);
    printf("  not reached\n");
    return 0;
}

/* A read of a regular file that completes while its thread ends: whether the thread's
 * exit finds it finished or cancels it, it is final when the handle is signaled. */
enum { BIG = 8 << 20, ROUNDS = 20 };

struct big_read {
    HANDLE file, event;
    OVERLAPPED ov;
    char *buf;
};

static DWORD WINAPI reads_and_returns(LPVOID p)
{
    struct big_read *b = p;
    memset(&b->ov, 0, sizeof b->ov);
    b->ov.hEvent = b->event;
    ReadFile(b->file, b->buf, BIG, NULL, &b->ov);
    return 5;
}

static void finished_or_cancelled(void)
{
    char name[MAX_PATH];
    DWORD n;
    temp_file_name("kx", name);
    HANDLE w = CreateFileA(name, GENERIC_WRITE, 7, NULL, CREATE_ALWAYS, 0, NULL);
    char *data = malloc(BIG);
    memset(data, 'x', BIG);
    WriteFile(w, data, BIG, &n, NULL);
    CloseHandle(w);
    free(data);
    static struct big_read b;
    b.file = CreateFileA(name, GENERIC_READ, 7, NULL, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
    b.event = CreateEventA(NULL, TRUE, FALSE, NULL);
    int final = 0;
    for (int round = 0; round < ROUNDS; round++) {
        /* Fresh pages each round: copying the bytes read into them takes a while. */
        b.buf = calloc(1, BIG);
        HANDLE t = start_thread(reads_and_returns, &b, 0);
        WaitForSingleObject(t, INFINITE);
        unsigned internal = (unsigned)b.ov.Internal;
        if ((internal == 0 || internal == 0xC0000120u) && HasOverlappedIoCompleted(&b.ov) &&
            WaitForSingleObject(b.event, 0) == WAIT_OBJECT_0)
            final++;
        GetOverlappedResult(b.file, &b.ov, &n, TRUE);
        CloseHandle(t);
        free(b.buf);
    }
    printf("a read completing as its thread ends: final when the handle is signaled in %d of %d "
           "rounds\n", final, ROUNDS);
    CloseHandle(b.event);
    CloseHandle(b.file);
    DeleteFileA(name);
}

static VOID CALLBACK exit_in_apc(ULONG_PTR p)
{
    issue((struct reads *)p);
    ExitThread(4);
}

static DWORD WINAPI never_runs(LPVOID p)
{
    (void)p;
    printf("  not reached\n");
    return 0;
}

int main(void)
{
    static struct reads r;
    r.fifo = open_fifo("kx");
    r.event = CreateEventA(NULL, TRUE, FALSE, NULL);

    check("entry point returns", start_thread(returns, &r, 0), &r);
    check("ExitThread", start_thread(exits, &r, 0), &r);

    char name[MAX_PATH];
    DWORD n;
    temp_file_name("kx", name);
    HANDLE w = CreateFileA(name, GENERIC_WRITE, 7, NULL, CREATE_ALWAYS, 0, NULL);
    WriteFile(w, "abcd", 4, &n, NULL);
    CloseHandle(w);
    HANDLE file = CreateFileA(name, GENERIC_READ, 7, NULL, OPEN_EXISTING, FILE_FLAG_OVERLAPPED,
                              NULL);
    in_routine = &r;
    check("ExitThread in a completion routine", start_thread(waits, file, 0), &r);
    CloseHandle(file);
    DeleteFileA(name);

    HANDLE t = start_thread(never_runs, NULL, CREATE_SUSPENDED);
    QueueUserAPC(exit_in_apc, t, (ULONG_PTR)&r);
    ResumeThread(t);
    check("ExitThread in an APC before the entry point", t, &r);

    finished_or_cancelled();

    /* The FIFO is still usable: nothing of the cancelled reads is left on it. */
    OVERLAPPED ov;
    char buf[8] = {0};
    memset(&ov, 0, sizeof ov);
    ov.hEvent = r.event;
    WriteFile(r.fifo, "ok", 2, NULL, &ov);
    GetOverlappedResult(r.fifo, &ov, &n, TRUE);
    memset(&ov, 0, sizeof ov);
    ov.hEvent = r.event;
    ReadFile(r.fifo, buf, sizeof buf, NULL, &ov);
    BOOL ok = GetOverlappedResult(r.fifo, &ov, &n, TRUE);
    printf("afterwards: %d, %u bytes, \"%s\"\n", ok, (unsigned)n, buf);
    return 0;
}
