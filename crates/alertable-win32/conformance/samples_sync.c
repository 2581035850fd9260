/*
 * The synchronization samples of Microsoft's documentation ("Using Event Objects", "Using
 * Mutex Objects", "Using Semaphore Objects", "Using Waitable Timers with an Asynchronous
 * Procedure Call"), written afresh in the same shape with output that does not depend on
 * thread ids or timing: what each page says its sample does.
 */
#include "conformance.h"

#define READERS 4
#define WRITERS 2
#define WRITES 20
#define GATE 10
#define WORKERS 12

static HANDLE write_event, mutex, gate;
static volatile LONG readers_through, writes_done, inside, most_inside, timer_calls;

/* Events: readers wait for the manual-reset event the main thread sets after writing. */
static DWORD WINAPI reader(LPVOID param)
{
    UNREFERENCED_PARAMETER(param);
    if (WaitForSingleObject(write_event, INFINITE) != WAIT_OBJECT_0)
        return 0;
    InterlockedIncrement(&readers_through);
    return 1;
}

/* Mutexes: each writer takes the mutex for every write and releases it after (the page's
 * __finally block, which C here writes as straight-line code). */
static DWORD WINAPI writer(LPVOID param)
{
    UNREFERENCED_PARAMETER(param);
    for (DWORD count = 0; count < WRITES;) {
        switch (WaitForSingleObject(mutex, INFINITE)) {
        case WAIT_OBJECT_0:
            InterlockedIncrement(&writes_done);
            count++;
            if (!ReleaseMutex(mutex))
                return FALSE;
            break;
        case WAIT_ABANDONED:
            return FALSE;
        }
    }
    return TRUE;
}

/* Semaphores: a gate of GATE places; a worker that finds it full tries again. */
static DWORD WINAPI worker(LPVOID param)
{
    UNREFERENCED_PARAMETER(param);
    for (;;) {
        DWORD r = WaitForSingleObject(gate, 0L);
        if (r == WAIT_OBJECT_0) {
            LONG now = InterlockedIncrement(&inside);
            LONG most = most_inside;
            while (now > most) {
                LONG seen = InterlockedCompareExchange(&most_inside, now, most);
                if (seen == most)
                    break;
                most = seen;
            }
            InterlockedDecrement(&inside);
            ReleaseSemaphore(gate, 1, NULL);
            return TRUE;
        }
        if (r != WAIT_TIMEOUT)
            return FALSE;
        SwitchToThread();
    }
}

typedef struct {
    const TCHAR *text;
    DWORD value;
} TIMER_DATA;

/* Waitable timers: the completion routine runs on the thread that set the timer, in its
 * alertable SleepEx. */
static VOID CALLBACK timer_routine(LPVOID arg, DWORD low, DWORD high)
{
    UNREFERENCED_PARAMETER(low);
    UNREFERENCED_PARAMETER(high);
    TIMER_DATA *data = (TIMER_DATA *)arg;
    InterlockedIncrement(&timer_calls);
    printf("timer routine: %s, value %u\n", data->text, (unsigned)data->value);
}

static DWORD join_all(HANDLE *threads, int n)
{
    DWORD all = WaitForMultipleObjects((DWORD)n, threads, TRUE, INFINITE);
    DWORD ok = 1;
    for (int i = 0; i < n; i++) {
        DWORD code = 0;
        GetExitCodeThread(threads[i], &code);
        ok &= code == 1;
        CloseHandle(threads[i]);
    }
    return all == WAIT_OBJECT_0 && ok;
}

int main(void)
{
    HANDLE threads[WORKERS];

    write_event = CreateEvent(NULL, TRUE, FALSE, TEXT("WriteEvent"));
    for (int i = 0; i < READERS; i++)
        threads[i] = start_thread(reader, NULL, 0);
    SetEvent(write_event);
    DWORD ok = join_all(threads, READERS);
    printf("events: %d readers passed the write event, all ended: %u\n", (int)readers_through,
           ok);
    CloseHandle(write_event);

    mutex = CreateMutex(NULL, FALSE, NULL);
    for (int i = 0; i < WRITERS; i++)
        threads[i] = start_thread(writer, NULL, 0);
    ok = join_all(threads, WRITERS);
    printf("mutexes: %d writes under the mutex, all ended: %u\n", (int)writes_done, ok);
    CloseHandle(mutex);

    gate = CreateSemaphore(NULL, GATE, GATE, NULL);
    for (int i = 0; i < WORKERS; i++)
        threads[i] = start_thread(worker, NULL, 0);
    ok = join_all(threads, WORKERS);
    printf("semaphores: %d workers, never more than %d inside the gate: %d, all ended: %u\n",
           WORKERS, GATE, most_inside > 0 && most_inside <= GATE, ok);
    CloseHandle(gate);

    TIMER_DATA data = {TEXT("This is my data"), 100};
    HANDLE timer = CreateWaitableTimer(NULL, FALSE, TEXT("MyTimer"));
    LARGE_INTEGER due;
    due.QuadPart = -10000; /* 1 ms */
    BOOL set = SetWaitableTimer(timer, &due, 2, timer_routine, &data, FALSE);
    printf("timers: SetWaitableTimer %d\n", set);
    for (; data.value < 400; data.value += 100) {
        DWORD r = SleepEx(INFINITE, TRUE);
        if (r != WAIT_IO_COMPLETION)
            printf("SleepEx returned %u\n", r);
    }
    CancelWaitableTimer(timer);
    CloseHandle(timer);
    printf("timers: the routine ran %d times, each in an alertable SleepEx\n", (int)timer_calls);
    return 0;
}
