/*
 * The thread pool (threadpoolapiset.h), by its documented behaviour: work submitted many
 * times runs once per submission; waiting with cancellation drops what has not started;
 * a wait object fires once per SetThreadpoolWait and reports WAIT_OBJECT_0 or
 * WAIT_TIMEOUT; a one-shot timer is no longer set after it fired; SetThreadpoolTimerEx and
 * SetThreadpoolWaitEx report whether the object was set; the instance actions run when
 * the callback returns; closing a cleanup group's members cancels and waits; the
 * environment's cancel callback is called for the member that lost pending callbacks. A pool of one thread orders what must be
 * ordered; events say when something happened.
 */
#include "conformance.h"

static volatile LONG work_runs, timer_runs, cancel_calls;
static HANDLE started, release, fired;
static DWORD wait_results[4];
static volatile LONG wait_count;

static VOID CALLBACK count_work(PTP_CALLBACK_INSTANCE instance, PVOID context, PTP_WORK work)
{
    (void)instance; (void)context; (void)work;
    InterlockedIncrement(&work_runs);
}

static VOID CALLBACK block_work(PTP_CALLBACK_INSTANCE instance, PVOID context, PTP_WORK work)
{
    (void)instance; (void)context; (void)work;
    SetEvent(started);
    WaitForSingleObject(release, INFINITE);
}

static VOID CALLBACK record_wait(PTP_CALLBACK_INSTANCE instance, PVOID context, PTP_WAIT wait,
                                 TP_WAIT_RESULT result)
{
    (void)context; (void)wait;
    wait_results[InterlockedIncrement(&wait_count) - 1] = result;
    SetEventWhenCallbackReturns(instance, fired);
}

static VOID CALLBACK count_timer(PTP_CALLBACK_INSTANCE instance, PVOID context, PTP_TIMER timer)
{
    (void)context; (void)timer;
    InterlockedIncrement(&timer_runs);
    SetEventWhenCallbackReturns(instance, fired);
}

static VOID CALLBACK release_semaphore(PTP_CALLBACK_INSTANCE instance, PVOID context)
{
    ReleaseSemaphoreWhenCallbackReturns(instance, (HANDLE)context, 2);
}

/* Called once the pending callbacks are cancelled: now the running one may end. */
static VOID CALLBACK count_cancel(PVOID object_context, PVOID cleanup_context)
{
    (void)object_context; (void)cleanup_context;
    InterlockedIncrement(&cancel_calls);
    SetEvent(release);
}

/* A relative FILETIME, in milliseconds from now. */
static FILETIME after_ms(LONGLONG ms)
{
    ULARGE_INTEGER due;
    FILETIME ft;
    due.QuadPart = (ULONGLONG)(-ms * 10000);
    ft.dwLowDateTime = due.LowPart;
    ft.dwHighDateTime = due.HighPart;
    return ft;
}

int main(void)
{
    TP_CALLBACK_ENVIRON env;
    started = CreateEventW(NULL, FALSE, FALSE, NULL);
    release = CreateEventW(NULL, TRUE, FALSE, NULL);
    fired = CreateEventW(NULL, FALSE, FALSE, NULL);

    PTP_POOL pool = CreateThreadpool(NULL);
    printf("CreateThreadpool: %s\n", pool != NULL ? "a pool" : "NULL");
    SetThreadpoolThreadMaximum(pool, 1);
    printf("SetThreadpoolThreadMinimum(1): %d\n", SetThreadpoolThreadMinimum(pool, 1));
    InitializeThreadpoolEnvironment(&env);
    SetThreadpoolCallbackPool(&env, pool);

    /* Work: once per submission. */
    PTP_WORK work = CreateThreadpoolWork(count_work, NULL, &env);
    for (int i = 0; i < 100; i++)
        SubmitThreadpoolWork(work);
    WaitForThreadpoolWorkCallbacks(work, FALSE);
    printf("100 submissions, callbacks: %ld\n", (long)work_runs);

    /* Cancellation: the one thread is busy, so five submissions stay pending. */
    PTP_WORK blocker = CreateThreadpoolWork(block_work, NULL, &env);
    SubmitThreadpoolWork(blocker);
    WaitForSingleObject(started, INFINITE);
    work_runs = 0;
    for (int i = 0; i < 5; i++)
        SubmitThreadpoolWork(work);
    WaitForThreadpoolWorkCallbacks(work, TRUE);
    SetEvent(release);
    WaitForThreadpoolWorkCallbacks(blocker, FALSE);
    SubmitThreadpoolWork(work);
    WaitForThreadpoolWorkCallbacks(work, FALSE);
    printf("5 cancelled then 1 submitted, callbacks: %ld\n", (long)work_runs);
    CloseThreadpoolWork(blocker);
    CloseThreadpoolWork(work);

    /* Waits: once per setting. */
    HANDLE object = CreateEventW(NULL, TRUE, FALSE, NULL);
    PTP_WAIT wait = CreateThreadpoolWait(record_wait, NULL, &env);
    SetThreadpoolWait(wait, object, NULL);
    SetEvent(object);
    WaitForSingleObject(fired, INFINITE);
    WaitForThreadpoolWaitCallbacks(wait, FALSE);
    printf("signaled wait, result: %lu\n", (unsigned long)wait_results[0]);
    printf("SetThreadpoolWaitEx after it fired: %d\n", SetThreadpoolWaitEx(wait, NULL, NULL, NULL));
    printf("callbacks without setting it again: %ld\n", (long)wait_count);
    ResetEvent(object);
    FILETIME soon = after_ms(10);
    SetThreadpoolWait(wait, object, &soon);
    WaitForSingleObject(fired, INFINITE);
    WaitForThreadpoolWaitCallbacks(wait, FALSE);
    printf("timed-out wait, result: %lu\n", (unsigned long)wait_results[1]);
    SetThreadpoolWait(wait, object, NULL);
    printf("SetThreadpoolWaitEx while set: %d\n", SetThreadpoolWaitEx(wait, NULL, NULL, NULL));
    CloseThreadpoolWait(wait);

    /* Timers. */
    PTP_TIMER timer = CreateThreadpoolTimer(count_timer, NULL, &env);
    printf("IsThreadpoolTimerSet (new): %d\n", IsThreadpoolTimerSet(timer));
    FILETIME due = after_ms(5);
    printf("SetThreadpoolTimerEx (was unset): %d\n", SetThreadpoolTimerEx(timer, &due, 0, 0));
    printf("IsThreadpoolTimerSet (set): %d\n", IsThreadpoolTimerSet(timer));
    WaitForSingleObject(fired, INFINITE);
    WaitForThreadpoolTimerCallbacks(timer, FALSE);
    printf("one-shot timer callbacks: %ld\n", (long)timer_runs);
    printf("IsThreadpoolTimerSet (fired): %d\n", IsThreadpoolTimerSet(timer));
    due = after_ms(60000);
    SetThreadpoolTimer(timer, &due, 0, 0);
    printf("SetThreadpoolTimerEx(NULL) while set: %d\n", SetThreadpoolTimerEx(timer, NULL, 0, 0));
    printf("IsThreadpoolTimerSet (stopped): %d\n", IsThreadpoolTimerSet(timer));
    CloseThreadpoolTimer(timer);

    /* A simple callback and an instance action. */
    HANDLE semaphore = CreateSemaphoreW(NULL, 0, 10, NULL);
    printf("TrySubmitThreadpoolCallback: %d\n",
           TrySubmitThreadpoolCallback(release_semaphore, semaphore, &env));
    WaitForSingleObject(semaphore, INFINITE);
    LONG previous = -1;
    ReleaseSemaphore(semaphore, 1, &previous);
    printf("the callback released the semaphore by 2; count left: %ld\n", (long)previous);

    /* Cleanup groups: pending callbacks cancelled, the running one waited for. */
    PTP_CLEANUP_GROUP group = CreateThreadpoolCleanupGroup();
    SetThreadpoolCallbackCleanupGroup(&env, group, count_cancel);
    ResetEvent(release);
    blocker = CreateThreadpoolWork(block_work, NULL, &env);
    SubmitThreadpoolWork(blocker);
    WaitForSingleObject(started, INFINITE);
    work = CreateThreadpoolWork(count_work, NULL, &env);
    work_runs = 0;
    for (int i = 0; i < 3; i++)
        SubmitThreadpoolWork(work);
    CloseThreadpoolCleanupGroupMembers(group, TRUE, NULL);
    printf("group closed with cancel, pending callbacks run: %ld\n", (long)work_runs);
    printf("cancel callbacks: %ld\n", (long)cancel_calls);
    CloseThreadpoolCleanupGroup(group);

    DestroyThreadpoolEnvironment(&env);
    CloseThreadpool(pool);
    printf("done\n");
    return 0;
}
