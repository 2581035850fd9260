/* Spec section M: waitable timers (M137, M139-M143, M145, M146). */
#include "conformance.h"

static LONG fired;
static LPVOID seen_arg;
static ULONGLONG fire_time;
static int marker;

static void CALLBACK routine(LPVOID arg, DWORD low, DWORD high)
{
    InterlockedIncrement(&fired);
    seen_arg = arg;
    fire_time = ((ULONGLONG)high << 32) | low;
}

/* Stops its own periodic timer: no expiry can then race with the check that follows. */
static HANDLE periodic;
static void CALLBACK cancelling_routine(LPVOID arg, DWORD low, DWORD high)
{
    CancelWaitableTimer(periodic);
    routine(arg, low, high);
}

static ULONGLONG now(void)
{
    FILETIME f;
    GetSystemTimeAsFileTime(&f);
    return ((ULONGLONG)f.dwHighDateTime << 32) | f.dwLowDateTime;
}

static BOOL set_relative(HANDLE t, LONGLONG hundred_ns, LONG period, PTIMERAPCROUTINE f)
{
    LARGE_INTEGER due;
    due.QuadPart = -hundred_ns;
    return SetWaitableTimer(t, &due, period, f, &marker, FALSE);
}

static DWORD WINAPI set_and_exit(LPVOID param)
{
    return set_relative((HANDLE)param, 3000000, 0, routine);
}

static DWORD WINAPI set_without_routine_and_exit(LPVOID param)
{
    return set_relative((HANDLE)param, 20000, 0, NULL);
}

int main(void)
{
    BOOL ok;
    DWORD r;
    LARGE_INTEGER due;
    HANDLE manual = CreateWaitableTimerW(NULL, TRUE, NULL);
    HANDLE sync = CreateWaitableTimerW(NULL, FALSE, NULL);

    /* M137: relative (negative) and absolute (positive) due times, with a period too. */
    printf("M137 a new timer is not signaled: %u\n", WaitForSingleObject(manual, 0));
    ok = set_relative(manual, 10000, 0, NULL);
    printf("M137 relative due time: %d, wait %u\n", ok, WaitForSingleObject(manual, INFINITE));
    due.QuadPart = (LONGLONG)(now() + 10000);
    ok = SetWaitableTimer(manual, &due, 0, NULL, NULL, FALSE);
    printf("M137 absolute due time: %d, wait %u\n", ok, WaitForSingleObject(manual, INFINITE));
    ok = set_relative(manual, 10000, 0x1f4, NULL);
    printf("M137 with a period: %d, cancel %d\n", ok, CancelWaitableTimer(manual));

    /* M139: a periodic synchronization timer signals again after each period. */
    ok = set_relative(sync, 1, 20, NULL);
    DWORD first = WaitForSingleObject(sync, INFINITE);
    DWORD second = WaitForSingleObject(sync, INFINITE);
    printf("M139 periodic timer: %d, first wait %u, second wait %u\n", ok, first, second);
    CancelWaitableTimer(sync);

    /* M140: the routine runs as an APC of the setting thread, only in an alertable wait,
     * with its argument and the UTC FILETIME at which the timer fired. */
    ULONGLONG before = now();
    set_relative(manual, 20000, 0, routine);
    r = WaitForSingleObject(manual, INFINITE);
    printf("M140 the timer signals on its own: %u, routine run: %d\n", r, (int)fired);
    r = SleepEx(INFINITE, TRUE);
    ULONGLONG after = now();
    printf("M140 SleepEx(INFINITE, TRUE): %u, routine run: %d\n", r, (int)fired);
    printf("M140 argument passed through: %d\n", seen_arg == &marker);
    printf("M140 fire time within the call's window: %d\n",
           before <= fire_time && fire_time <= after);

    /* M141: at most one undelivered call, however often the timer fires, and it carries
     * the fire time of the first of those expiries, which came before the first wait
     * returned. The routine cancels the timer, so no later expiry can queue another call
     * meanwhile. */
    fired = 0;
    periodic = sync;
    set_relative(sync, 10000, 1, cancelling_routine);
    WaitForSingleObject(sync, INFINITE);
    ULONGLONG first_seen = now();
    for (int i = 0; i < 5; i++)
        WaitForSingleObject(sync, INFINITE);
    r = SleepEx(0, TRUE);
    printf("M141 five expiries, then SleepEx(0, TRUE): %u, routine run: %d\n", r, (int)fired);
    printf("M141 the call has the first expiry's time: %d\n", fire_time <= first_seen);
    r = SleepEx(0, TRUE);
    printf("M141 nothing more is queued: SleepEx(0, TRUE) %u, routine run: %d\n", r,
           (int)fired);

    /* M142: cancel keeps the signaled state; setting again resets it; both drop an
     * undelivered call. */
    set_relative(manual, 1, 0, routine);
    WaitForSingleObject(manual, INFINITE);
    ok = CancelWaitableTimer(manual);
    r = WaitForSingleObject(manual, 0);
    printf("M142 CancelWaitableTimer: %d, still signaled: %u\n", ok, r);
    r = SleepEx(0, TRUE);
    printf("M142 its undelivered call was dropped: SleepEx(0, TRUE) %u, routine run: %d\n", r,
           (int)fired);
    set_relative(manual, 1, 0, routine);
    WaitForSingleObject(manual, INFINITE);
    set_relative(manual, 100000000, 0, NULL);
    r = WaitForSingleObject(manual, 0);
    printf("M142 SetWaitableTimer again resets it: %u\n", r);
    r = SleepEx(0, TRUE);
    printf("M142 and drops its undelivered call: SleepEx(0, TRUE) %u, routine run: %d\n", r,
           (int)fired);
    CancelWaitableTimer(manual);

    /* M143: fResume is accepted with ERROR_NOT_SUPPORTED. */
    due.QuadPart = -100000000;
    SetLastError(0);
    ok = SetWaitableTimer(manual, &due, 0, NULL, NULL, TRUE);
    printf("M143 SetWaitableTimer(fResume TRUE): %d, error %u\n", ok, LAST_ERROR());
    CancelWaitableTimer(manual);

    /* M145: the setting thread exits before the due time (300 ms). A timer it set with a
     * routine is cancelled by the exit: it never signals and the routine never runs. One
     * it set without a routine still signals. */
    fired = 0;
    HANDLE t = start_thread(set_and_exit, manual, 0);
    join_thread(t);
    r = WaitForSingleObject(manual, 900);
    printf("M145 with a routine: the exit cancels the timer: %u, routine run: %d\n", r,
           (int)fired);
    printf("M145 and the routine runs nowhere: SleepEx(0, TRUE) %u\n", SleepEx(0, TRUE));
    t = start_thread(set_without_routine_and_exit, manual, 0);
    join_thread(t);
    printf("M145 without a routine: the timer still signals: %u\n",
           WaitForSingleObject(manual, INFINITE));

    /* M146: SetWaitableTimerEx ignores the wake context and the tolerable delay. */
    REASON_CONTEXT why;
    why.Version = POWER_REQUEST_CONTEXT_VERSION;
    why.Flags = POWER_REQUEST_CONTEXT_SIMPLE_STRING;
    why.Reason.SimpleReasonString = L"conformance";
    due.QuadPart = -10000;
    ok = SetWaitableTimerEx(manual, &due, 0, routine, &marker, &why, 5);
    r = SleepEx(INFINITE, TRUE);
    printf("M146 SetWaitableTimerEx: %d, SleepEx(INFINITE, TRUE): %u, routine run: %d\n", ok, r,
           (int)fired);

    /* Bad arguments. */
    HANDLE event = CreateEventW(NULL, TRUE, FALSE, NULL);
    SetLastError(0);
    ok = SetWaitableTimer(event, &due, 0, NULL, NULL, FALSE);
    printf("SetWaitableTimer(event): %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0);
    ok = CancelWaitableTimer(NULL);
    printf("CancelWaitableTimer(NULL): %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0);
    ok = SetWaitableTimer(manual, &due, -1, NULL, NULL, FALSE);
    printf("SetWaitableTimer(period -1): %d, error %u\n", ok, LAST_ERROR());

    /* Names. */
    HANDLE a = CreateWaitableTimerA(NULL, TRUE, "alertable-conformance-timer");
    SetLastError(0);
    HANDLE b = CreateWaitableTimerW(NULL, TRUE, L"alertable-conformance-timer");
    printf("CreateWaitableTimerW(same name): %d, error %u\n", a != NULL && b != NULL, LAST_ERROR());
    return 0;
}
