/* Spec section E: events (E57-E60), bad handles, and names. */
#include "conformance.h"

#include <wchar.h>

static HANDLE pulsed, ready, done;

/* Announces, atomically with starting its wait, that it is waiting (I87). */
static DWORD WINAPI wait_for_pulse(LPVOID param)
{
    (void)param;
    DWORD r = SignalObjectAndWait(ready, pulsed, INFINITE, FALSE);
    ReleaseSemaphore(done, 1, NULL);
    return r;
}

static void start_waiters(HANDLE threads[3])
{
    for (int i = 0; i < 3; i++)
        threads[i] = start_thread(wait_for_pulse, NULL, 0);
    for (int i = 0; i < 3; i++)
        WaitForSingleObject(ready, INFINITE);
}

int main(void)
{
    DWORD r;
    HANDLE threads[3];
    ready = CreateSemaphoreW(NULL, 0, 3, NULL);
    done = CreateSemaphoreW(NULL, 0, 3, NULL);

    /* E57: PulseEvent with nobody waiting leaves the event reset. */
    HANDLE manual = CreateEventW(NULL, TRUE, FALSE, NULL);
    printf("E57 PulseEvent(reset event): %d\n", PulseEvent(manual));
    printf("E57 then WaitForSingleObject(0): %u\n", WaitForSingleObject(manual, 0));
    SetEvent(manual);
    printf("E57 PulseEvent(set event): %d\n", PulseEvent(manual));
    printf("E57 then WaitForSingleObject(0): %u\n", WaitForSingleObject(manual, 0));

    /* E58: a manual-reset pulse releases every current waiter, then resets. */
    pulsed = manual;
    start_waiters(threads);
    PulseEvent(pulsed);
    int released = 0;
    while (WaitForSingleObject(done, released < 3 ? INFINITE : 100) == WAIT_OBJECT_0)
        released++;
    printf("E58 manual-reset pulse with 3 waiters releases: %d\n", released);
    printf("E58 the event is left reset: %u\n", WaitForSingleObject(pulsed, 0));
    for (int i = 0; i < 3; i++)
        join_thread(threads[i]);

    /* E58: an auto-reset pulse releases one waiter. */
    pulsed = CreateEventW(NULL, FALSE, FALSE, NULL);
    start_waiters(threads);
    PulseEvent(pulsed);
    printf("E58 auto-reset pulse with 3 waiters releases one: %u\n",
           WaitForSingleObject(done, INFINITE));
    printf("E58 and no second: %u\n", WaitForSingleObject(done, 100));
    printf("E58 the event is left reset: %u\n", WaitForSingleObject(pulsed, 0));
    SetEvent(pulsed);
    SetEvent(pulsed);
    printf("E59 two SetEvent release the other two: %u %u\n", WaitForSingleObject(done, INFINITE),
           WaitForSingleObject(done, INFINITE));
    for (int i = 0; i < 3; i++)
        join_thread(threads[i]);

    /* E59: a successful wait resets an auto-reset event; a manual one stays set. */
    HANDLE automatic = CreateEventW(NULL, FALSE, FALSE, NULL);
    printf("E59 SetEvent twice: %d %d\n", SetEvent(automatic), SetEvent(automatic));
    r = WaitForSingleObject(automatic, 0);
    printf("E59 auto-reset waits: %u %u\n", r, WaitForSingleObject(automatic, 0));
    SetEvent(manual);
    r = WaitForSingleObject(manual, 0);
    printf("E59 manual-reset waits: %u %u\n", r, WaitForSingleObject(manual, 0));
    printf("E59 ResetEvent twice: %d %d\n", ResetEvent(manual), ResetEvent(manual));
    printf("E59 after ResetEvent: %u\n", WaitForSingleObject(manual, 0));

    /* E60: wait-any over a manual and an auto-reset event, both set, in both orders. */
    SetEvent(manual);
    SetEvent(automatic);
    HANDLE order[2] = {manual, automatic};
    printf("E60 {manual, auto}:");
    for (int i = 0; i < 3; i++)
        printf(" %u", WaitForMultipleObjects(2, order, FALSE, 0));
    printf(", the auto-reset event is still set: %u\n", WaitForSingleObject(automatic, 0));
    SetEvent(automatic);
    order[0] = automatic;
    order[1] = manual;
    printf("E60 {auto, manual}:");
    for (int i = 0; i < 3; i++)
        printf(" %u", WaitForMultipleObjects(2, order, FALSE, 0));
    printf("\n");

    /* Bad handles: invalid, NULL, closed, or not an event. */
    SetLastError(0);
    BOOL ok = SetEvent((HANDLE)(ULONG_PTR)0xdeadbee0);
    printf("SetEvent(0xdeadbee0): %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0);
    ok = ResetEvent(NULL);
    printf("ResetEvent(NULL): %d, error %u\n", ok, LAST_ERROR());
    HANDLE gone = CreateEventW(NULL, TRUE, FALSE, NULL);
    CloseHandle(gone);
    SetLastError(0);
    ok = PulseEvent(gone);
    printf("PulseEvent(closed handle): %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0);
    ok = SetEvent(ready);
    printf("SetEvent(semaphore): %d, error %u\n", ok, LAST_ERROR());

    /* Names: a taken name opens the existing event; another kind cannot take it. Names are
     * shared by the processes of the user, so this one carries the process id. */
    char name[64];
    wchar_t wname[64];
    snprintf(name, sizeof name, "alertable-conformance-event-%u", (unsigned)GetCurrentProcessId());
    swprintf(wname, 64, L"alertable-conformance-event-%u", (unsigned)GetCurrentProcessId());
    SetLastError(0xdeadbeef);
    HANDLE named = CreateEventA(NULL, TRUE, FALSE, name);
    printf("CreateEventA(new name): %d, error %u\n", named != NULL, LAST_ERROR());
    SetLastError(0xdeadbeef);
    HANDLE again = CreateEventW(NULL, FALSE, TRUE, wname);
    printf("CreateEventW(same name): %d, error %u\n", again != NULL && again != named,
           LAST_ERROR());
    SetEvent(named);
    r = WaitForSingleObject(again, 0);
    printf("the same event: %u, still set (manual-reset): %u\n", r, WaitForSingleObject(named, 0));
    SetLastError(0);
    HANDLE clash = CreateMutexA(NULL, FALSE, name);
    printf("CreateMutexA(the event's name): %d, error %u\n", clash != NULL, LAST_ERROR());
    return 0;
}
