/*
 * C33, C36, C37 for threads that run: SuspendThread and ResumeThread on a thread that
 * suspends itself, on a thread that spins, and on a thread asleep in an alertable wait;
 * the suspend count's limit (MAXIMUM_SUSPEND_COUNT, 127); suspending a thread that has
 * exited. The same ground as Wine's test_SuspendThread (kernel32 thread.c), written anew.
 */
#include "conformance.h"


static HANDLE started;

/* Signals that it runs, suspends itself, and returns 99 once resumed. */
static DWORD WINAPI suspends_itself(LPVOID param)
{
    (void)param;
    SetEvent(started);
    SuspendThread(GetCurrentThread());
    return 99;
}

static volatile LONG counter;
static volatile LONG stop;

/* Counts until told to stop. */
static DWORD WINAPI spins(LPVOID param)
{
    (void)param;
    SetEvent(started);
    while (!stop)
        InterlockedIncrement(&counter);
    return 0;
}

static HANDLE apc_ran;

static VOID CALLBACK set_apc_ran(ULONG_PTR param)
{
    (void)param;
    SetEvent(apc_ran);
}

/* Sleeps alertably until one APC has run. */
static DWORD WINAPI sleeps(LPVOID param)
{
    (void)param;
    SetEvent(started);
    while (SleepEx(INFINITE, TRUE) != WAIT_IO_COMPLETION)
        ;
    return 0;
}

/* Returns once the counter has moved past `from`. */
static void wait_for_progress(LONG from)
{
    while (counter == from)
        SwitchToThread();
}

static void self_suspension(void)
{
    HANDLE t = start_thread(suspends_itself, NULL, 0);
    WaitForSingleObject(started, INFINITE);
    /* It suspends itself soon after the event: until it has, our suspension finds 0. */
    DWORD seen;
    do {
        seen = SuspendThread(t);
        ResumeThread(t);
        if (seen == 0)
            SwitchToThread();
    } while (seen == 0);
    printf("C33 SuspendThread of a thread that suspended itself: %u\n", seen);
    DWORD code = 0;
    GetExitCodeThread(t, &code);
    printf("C36 its exit code while suspended: %u\n", code);
    printf("C33 WaitForSingleObject while it is suspended: %u\n", WaitForSingleObject(t, 100));
    printf("C33 ResumeThread: %u\n", ResumeThread(t));
    printf("C33 WaitForSingleObject after the resume: %u\n", WaitForSingleObject(t, INFINITE));
    GetExitCodeThread(t, &code);
    printf("C36 its exit code: %u\n", code);
    SetLastError(0);
    DWORD s = SuspendThread(t);
    printf("C37 SuspendThread once it has exited: %#x, error %u\n", s, LAST_ERROR());
    printf("C33 ResumeThread once it has exited: %u\n", ResumeThread(t));
    CloseHandle(t);
}

static void running_thread(void)
{
    HANDLE t = start_thread(spins, NULL, 0);
    WaitForSingleObject(started, INFINITE);
    wait_for_progress(0);
    printf("C33 SuspendThread of a running thread: %u\n", SuspendThread(t));
    LONG at = counter;
    /* A window in which the count must not move. */
    printf("C33 WaitForSingleObject while suspended: %u\n", WaitForSingleObject(t, 100));
    printf("C33 counter moved while suspended: %d\n", counter != at);
    printf("C33 SuspendThread again: %u\n", SuspendThread(t));
    printf("C33 ResumeThread: %u\n", ResumeThread(t));
    printf("C33 counter moved with the count at 1: %d\n", counter != at);
    printf("C33 ResumeThread: %u\n", ResumeThread(t));
    wait_for_progress(at);
    printf("C33 counter moved after the last resume: 1\n");
    printf("C33 ResumeThread of a running thread: %u\n", ResumeThread(t));

    /* The count goes up to MAXIMUM_SUSPEND_COUNT and no further. */
    DWORD last = 0;
    for (int i = 0; i < (int)MAXIMUM_SUSPEND_COUNT; i++)
        last = SuspendThread(t);
    printf("C33 the %dth SuspendThread: %u\n", (int)MAXIMUM_SUSPEND_COUNT, last);
    SetLastError(0);
    DWORD s = SuspendThread(t);
    printf("C33 one more: %#x, error %u\n", s, LAST_ERROR());
    printf("C33 ResumeThread at the limit: %u\n", ResumeThread(t));
    for (int i = 1; i < (int)MAXIMUM_SUSPEND_COUNT - 1; i++)
        ResumeThread(t);
    at = counter;
    printf("C33 counter moved with the count at 1: %d\n", counter != at);
    printf("C33 the last ResumeThread: %u\n", ResumeThread(t));
    wait_for_progress(at);
    stop = 1;
    printf("C33 it ends once resumed: %u\n", WaitForSingleObject(t, INFINITE));
    CloseHandle(t);
}

static void suspended_while_asleep(void)
{
    HANDLE t = start_thread(sleeps, NULL, 0);
    WaitForSingleObject(started, INFINITE);
    printf("C33 SuspendThread of a thread in SleepEx: %u\n", SuspendThread(t));
    printf("C33 QueueUserAPC to it: %u\n", QueueUserAPC(set_apc_ran, t, 0) != 0);
    printf("C33 the APC ran while suspended: %u\n", WaitForSingleObject(apc_ran, 100) == 0);
    printf("C33 ResumeThread: %u\n", ResumeThread(t));
    printf("C33 the APC ran after the resume: %u\n", WaitForSingleObject(apc_ran, INFINITE) == 0);
    printf("C33 the thread ended: %u\n", WaitForSingleObject(t, INFINITE));
    CloseHandle(t);
}

int main(void)
{
    started = CreateEventA(NULL, FALSE, FALSE, NULL);
    apc_ran = CreateEventA(NULL, FALSE, FALSE, NULL);
    self_suspension();
    running_thread();
    suspended_while_asleep();
    return 0;
}
