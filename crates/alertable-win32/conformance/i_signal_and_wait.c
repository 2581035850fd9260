/* Spec section I: SignalObjectAndWait (I85-I91). */
#include "conformance.h"

static LONG ran;

static void CALLBACK count_apc(ULONG_PTR param)
{
    (void)param;
    InterlockedIncrement(&ran);
}

static DWORD WINAPI nothing(LPVOID param)
{
    (void)param;
    return 0;
}

int main(void)
{
    DWORD r;
    HANDLE e0 = CreateEventW(NULL, FALSE, FALSE, NULL); /* auto-reset, reset */
    HANDLE e1 = CreateEventW(NULL, TRUE, TRUE, NULL);   /* manual-reset, set */

    /* I85: NULL handles. */
    SetLastError(0);
    r = SignalObjectAndWait(NULL, NULL, 0, FALSE);
    printf("I85 SignalObjectAndWait(NULL, NULL): %#x, error %u\n", r, LAST_ERROR());
    SetLastError(0);
    r = SignalObjectAndWait(e0, NULL, 0, FALSE);
    printf("I85 SignalObjectAndWait(event, NULL): %#x, error %u\n", r, LAST_ERROR());
    printf("I85 the event was not signaled: %u\n", WaitForSingleObject(e0, 0));
    SetLastError(0);
    r = SignalObjectAndWait(NULL, e1, 0, FALSE);
    printf("I85 SignalObjectAndWait(NULL, event): %#x, error %u\n", r, LAST_ERROR());

    /* I86: signal one event, wait on another. */
    printf("I86 SignalObjectAndWait(auto E0, set E1): %u\n", SignalObjectAndWait(e0, e1, 0, FALSE));
    printf("I86 E0 was left set: %u\n", WaitForSingleObject(e0, 0));

    /* I87: signal-and-wait on the same auto-reset event is atomic. */
    int all = 1;
    for (int i = 0; i < 10000; i++)
        all &= SignalObjectAndWait(e0, e0, 0, FALSE) == WAIT_OBJECT_0;
    printf("I87 10000 SignalObjectAndWait(E0, E0): all 0: %d\n", all);
    printf("I87 E0 afterwards: %u\n", WaitForSingleObject(e0, 0));

    /* I88: the timeout path. */
    ResetEvent(e1);
    printf("I88 SignalObjectAndWait(E0, reset E1, 0): %u\n", SignalObjectAndWait(e0, e1, 0, FALSE));
    ResetEvent(e0);

    /* I89: a failed signal means no wait. */
    HANDLE s0 = CreateSemaphoreW(NULL, 0, 1, NULL);
    HANDLE s1 = CreateSemaphoreW(NULL, 1, 1, NULL);
    printf("I89 SignalObjectAndWait(S0 0/1, S1 1/1): %u\n", SignalObjectAndWait(s0, s1, 0, FALSE));
    SetLastError(0);
    r = SignalObjectAndWait(s0, s1, 0, FALSE);
    printf("I89 again, S0 full: %#x, error %u\n", r, LAST_ERROR());
    BOOL ok1 = ReleaseSemaphore(s1, 1, NULL);
    BOOL ok0 = ReleaseSemaphore(s0, 1, NULL);
    printf("I89 S1 was not waited on: release S1 %d, release S0 %d\n", ok1, ok0);

    /* I90: objects that cannot be signaled; a mutex the caller does not own. */
    HANDLE t = start_thread(nothing, NULL, 0);
    SetLastError(0);
    r = SignalObjectAndWait(t, e1, 0, FALSE);
    printf("I90 signal a thread: %#x, error %u\n", r, LAST_ERROR());
    join_thread(t);
    HANDLE timer = CreateWaitableTimerW(NULL, TRUE, NULL);
    SetLastError(0);
    r = SignalObjectAndWait(timer, e1, 0, FALSE);
    printf("I90 signal a waitable timer: %#x, error %u\n", r, LAST_ERROR());
    HANDLE m = CreateMutexW(NULL, FALSE, NULL);
    SetLastError(0);
    r = SignalObjectAndWait(m, e1, 0, FALSE);
    printf("signal a mutex the caller does not own: %#x, error %u\n", r, LAST_ERROR());
    WaitForSingleObject(m, 0);
    printf("signal an owned mutex, wait on a semaphore with a count: %u\n",
           SignalObjectAndWait(m, s0, 0, FALSE));
    SetLastError(0);
    BOOL released = ReleaseMutex(m);
    printf("the mutex was released: ReleaseMutex %d, error %u\n", released, LAST_ERROR());

    /* I91: alertable. */
    QueueUserAPC(count_apc, GetCurrentThread(), 0);
    r = SignalObjectAndWait(e0, e1, INFINITE, TRUE);
    printf("I91 alertable SignalObjectAndWait with an APC: %u, APCs run: %d\n", r, (int)ran);
    DWORD once = WaitForSingleObject(e0, 0);
    printf("I91 E0 was signaled once: %u %u\n", once, WaitForSingleObject(e0, 0));
    return 0;
}
