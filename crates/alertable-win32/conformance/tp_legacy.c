/*
 * The thread pool's legacy functions (threadpoollegacyapiset.h and winbase.h):
 * QueueUserWorkItem; RegisterWaitForSingleObject, registered again after each callback
 * unless WT_EXECUTEONLYONCE, with TimerOrWaitFired TRUE on a timeout; UnregisterWait(Ex)
 * failing with ERROR_IO_PENDING while a callback runs, waiting with INVALID_HANDLE_VALUE;
 * timer queues, whose deletion fails with ERROR_IO_PENDING while a callback runs and no
 * completion event (or a real one) is given, waits with INVALID_HANDLE_VALUE and sets an
 * event given once the callbacks are done; BindIoCompletionCallback (L134).
 */
#include "conformance.h"

#define SHARE_ALL (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)

static HANDLE called, started, release, io_called;
static volatile LONG calls, timed_out;
static DWORD main_thread, io_error, io_bytes, io_thread;
static LPOVERLAPPED io_overlapped;

static DWORD WINAPI work_item(LPVOID context)
{
    SetEvent((HANDLE)context);
    return 0;
}

static VOID CALLBACK count_wait(PVOID parameter, BOOLEAN fired)
{
    (void)parameter;
    if (fired)
        InterlockedIncrement(&timed_out);
    InterlockedIncrement(&calls);
    ReleaseSemaphore(called, 1, NULL);
}

static VOID CALLBACK blocking(PVOID parameter, BOOLEAN fired)
{
    (void)parameter; (void)fired;
    SetEvent(started);
    WaitForSingleObject(release, INFINITE);
}

static VOID CALLBACK io_done(DWORD error, DWORD bytes, LPOVERLAPPED overlapped)
{
    io_error = error;
    io_bytes = bytes;
    io_overlapped = overlapped;
    io_thread = GetCurrentThreadId();
    SetEvent(io_called);
}

int main(void)
{
    BOOL ok;
    HANDLE wait, timer;
    main_thread = GetCurrentThreadId();
    called = CreateSemaphoreW(NULL, 0, 100, NULL);
    started = CreateEventW(NULL, FALSE, FALSE, NULL);
    release = CreateEventW(NULL, TRUE, FALSE, NULL);
    /* Its own event: the periodic timer below may release `called` more than 3 times. */
    io_called = CreateEventW(NULL, TRUE, FALSE, NULL);

    /* QueueUserWorkItem. */
    HANDLE done = CreateEventW(NULL, TRUE, FALSE, NULL);
    printf("QueueUserWorkItem: %d\n", QueueUserWorkItem(work_item, done, WT_EXECUTEDEFAULT));
    printf("the work item ran: %u\n", WaitForSingleObject(done, INFINITE));

    /* A registered wait fires for every signal. */
    HANDLE object = CreateEventW(NULL, FALSE, FALSE, NULL);
    printf("RegisterWaitForSingleObject: %d\n",
           RegisterWaitForSingleObject(&wait, object, count_wait, NULL, INFINITE, 0));
    for (int i = 0; i < 3; i++) {
        SetEvent(object);
        WaitForSingleObject(called, INFINITE);
    }
    printf("three signals, callbacks: %ld, timed out: %ld\n", (long)calls, (long)timed_out);
    printf("UnregisterWaitEx(INVALID_HANDLE_VALUE): %d\n",
           UnregisterWaitEx(wait, INVALID_HANDLE_VALUE));
    SetEvent(object);
    printf("the signal stays on the event: %u\n", WaitForSingleObject(object, 0));

    /* WT_EXECUTEONLYONCE with a timeout: one callback, TimerOrWaitFired TRUE. */
    calls = 0;
    RegisterWaitForSingleObject(&wait, object, count_wait, NULL, 10, WT_EXECUTEONLYONCE);
    WaitForSingleObject(called, INFINITE);
    UnregisterWaitEx(wait, INVALID_HANDLE_VALUE);
    printf("timed-out once-only wait, callbacks: %ld, timed out: %ld\n", (long)calls,
           (long)timed_out);

    /* UnregisterWait while the callback runs. */
    RegisterWaitForSingleObject(&wait, object, blocking, NULL, INFINITE, WT_EXECUTEONLYONCE);
    SetEvent(object);
    WaitForSingleObject(started, INFINITE);
    SetLastError(0);
    ok = UnregisterWait(wait);
    printf("UnregisterWait while its callback runs: %d, error %u\n", ok, LAST_ERROR());
    SetEvent(release);

    /* Timer queues. */
    HANDLE queue = CreateTimerQueue();
    printf("CreateTimerQueue: %s\n", queue != NULL ? "a queue" : "NULL");
    calls = timed_out = 0;
    printf("CreateTimerQueueTimer: %d\n",
           CreateTimerQueueTimer(&timer, queue, count_wait, NULL, 10, 0, WT_EXECUTEDEFAULT));
    WaitForSingleObject(called, INFINITE);
    printf("one-shot timer, callbacks: %ld, TimerOrWaitFired: %ld\n", (long)calls,
           (long)timed_out);
    printf("DeleteTimerQueueTimer(INVALID_HANDLE_VALUE): %d\n",
           DeleteTimerQueueTimer(queue, timer, INVALID_HANDLE_VALUE));

    ResetEvent(release);
    CreateTimerQueueTimer(&timer, queue, blocking, NULL, 0, 0, WT_EXECUTEDEFAULT);
    WaitForSingleObject(started, INFINITE);
    SetLastError(0);
    ok = DeleteTimerQueueTimer(queue, timer, NULL);
    printf("DeleteTimerQueueTimer(NULL) while its callback runs: %d, error %u\n", ok,
           LAST_ERROR());
    SetEvent(release);

    ResetEvent(release);
    HANDLE deleted = CreateEventW(NULL, TRUE, FALSE, NULL);
    CreateTimerQueueTimer(&timer, queue, blocking, NULL, 0, 0, WT_EXECUTEDEFAULT);
    WaitForSingleObject(started, INFINITE);
    SetLastError(0);
    ok = DeleteTimerQueueTimer(queue, timer, deleted);
    printf("DeleteTimerQueueTimer(event) while its callback runs: %d, error %u\n", ok,
           LAST_ERROR());
    printf("the event waits for the callback: %u\n", WaitForSingleObject(deleted, 0));
    SetEvent(release);
    printf("and is set once it returned: %u\n", WaitForSingleObject(deleted, INFINITE));

    calls = 0;
    CreateTimerQueueTimer(&timer, queue, count_wait, NULL, 1, 1, WT_EXECUTEDEFAULT);
    for (int i = 0; i < 3; i++)
        WaitForSingleObject(called, INFINITE);
    ChangeTimerQueueTimer(queue, timer, 60000, 0);
    printf("periodic timer fired at least 3 times: %d\n", calls >= 3);
    printf("DeleteTimerQueueEx(INVALID_HANDLE_VALUE): %d\n",
           DeleteTimerQueueEx(queue, INVALID_HANDLE_VALUE));

    /* L134: BindIoCompletionCallback. */
    char name[MAX_PATH];
    temp_file_name("tpl", name);
    HANDLE file = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, SHARE_ALL, NULL, CREATE_ALWAYS,
                              FILE_FLAG_OVERLAPPED, NULL);
    HANDLE sync = CreateFileA(name, GENERIC_READ, SHARE_ALL, NULL, OPEN_EXISTING, 0, NULL);
    SetLastError(0);
    ok = BindIoCompletionCallback(sync, io_done, 0);
    printf("L134 non-overlapped file: %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0);
    ok = BindIoCompletionCallback(file, NULL, 0);
    printf("L134 NULL callback: %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0);
    ok = BindIoCompletionCallback(NULL, io_done, 0);
    printf("L134 NULL handle: %d, error %u\n", ok, LAST_ERROR());
    printf("L134 bind: %d\n", BindIoCompletionCallback(file, io_done, 0));
    SetLastError(0);
    ok = BindIoCompletionCallback(file, io_done, 0);
    printf("L134 bind again: %d, error %u\n", ok, LAST_ERROR());
    OVERLAPPED ov = {0};
    ok = WriteFile(file, "pooled", 6, NULL, &ov);
    printf("L134 WriteFile done or pending: %d\n", ok || GetLastError() == ERROR_IO_PENDING);
    WaitForSingleObject(io_called, INFINITE);
    printf("L134 callback: error %u, bytes %u, its OVERLAPPED %d, on a pool thread %d\n",
           (unsigned)io_error, (unsigned)io_bytes, io_overlapped == &ov,
           io_thread != main_thread);
    CloseHandle(sync);
    CloseHandle(file);
    DeleteFileA(name);
    printf("done\n");
    return 0;
}
