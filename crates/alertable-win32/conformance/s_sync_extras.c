/* One-time initialization (InitOnce...), WaitOnAddress / WakeByAddress... and
 * synchronization barriers, as their documentation pages describe them. Threads are
 * ordered with events and the functions under test, never with sleeps; the only timed
 * waits are ones that must time out. */
#include "conformance.h"

static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
static LONG calls;

static BOOL CALLBACK init_fn(PINIT_ONCE InitOnce, PVOID Parameter, PVOID *Context)
{
    (void)InitOnce;
    InterlockedIncrement(&calls);
    *Context = Parameter;
    return TRUE;
}

static BOOL CALLBACK failing_fn(PINIT_ONCE InitOnce, PVOID Parameter, PVOID *Context)
{
    (void)InitOnce;
    (void)Parameter;
    (void)Context;
    InterlockedIncrement(&calls);
    return FALSE;
}

static volatile LONG watched;
static HANDLE waiter_ready;

static DWORD WINAPI address_waiter(LPVOID param)
{
    (void)param;
    LONG zero = 0;
    SetEvent(waiter_ready);
    while (watched == 0)
        WaitOnAddress(&watched, &zero, sizeof watched, INFINITE);
    return 0;
}

static SYNCHRONIZATION_BARRIER barrier;
static LONG trues;

static DWORD WINAPI barrier_thread(LPVOID param)
{
    (void)param;
    for (int phase = 0; phase < 3; phase++)
        if (EnterSynchronizationBarrier(&barrier, 0))
            InterlockedIncrement(&trues);
    return 0;
}

int main(void)
{
    PVOID context = NULL;
    BOOL pending = FALSE;
    BOOL ok;

    /* InitOnceExecuteOnce: a failing callback leaves it uninitialized. */
    ok = InitOnceExecuteOnce(&once, failing_fn, NULL, &context);
    printf("execute failing: %d calls %ld\n", ok, (long)calls);
    ok = InitOnceExecuteOnce(&once, init_fn, (PVOID)0x100, &context);
    printf("execute: %d calls %ld context %#lx\n", ok, (long)calls, (unsigned long)(ULONG_PTR)context);
    ok = InitOnceExecuteOnce(&once, init_fn, (PVOID)0x200, &context);
    printf("execute again: %d calls %ld context %#lx\n", ok, (long)calls, (unsigned long)(ULONG_PTR)context);

    /* InitOnceBeginInitialize / InitOnceComplete, synchronous. */
    INIT_ONCE sync;
    InitOnceInitialize(&sync);
    ok = InitOnceBeginInitialize(&sync, INIT_ONCE_CHECK_ONLY, &pending, &context);
    printf("check only, new: %d error %u\n", ok, LAST_ERROR());
    ok = InitOnceBeginInitialize(&sync, 0, &pending, &context);
    printf("begin: %d pending %d\n", ok, pending);
    ok = InitOnceBeginInitialize(&sync, INIT_ONCE_ASYNC, &pending, &context);
    printf("begin async while pending: %d error %u\n", ok, LAST_ERROR());
    ok = InitOnceComplete(&sync, 0, (PVOID)0x301);
    printf("complete with reserved bits: %d error %u\n", ok, LAST_ERROR());
    ok = InitOnceComplete(&sync, 0, (PVOID)0x300);
    printf("complete: %d\n", ok);
    ok = InitOnceComplete(&sync, 0, (PVOID)0x400);
    printf("complete again: %d error %u\n", ok, LAST_ERROR());
    ok = InitOnceBeginInitialize(&sync, INIT_ONCE_CHECK_ONLY, &pending, &context);
    printf("check only, done: %d pending %d context %#lx\n", ok, pending, (unsigned long)(ULONG_PTR)context);

    /* INIT_ONCE_INIT_FAILED lets the next caller initialize. */
    InitOnceInitialize(&sync);
    InitOnceBeginInitialize(&sync, 0, &pending, &context);
    ok = InitOnceComplete(&sync, INIT_ONCE_INIT_FAILED | INIT_ONCE_ASYNC, NULL);
    printf("failed and async: %d error %u\n", ok, LAST_ERROR());
    ok = InitOnceComplete(&sync, INIT_ONCE_INIT_FAILED, NULL);
    printf("failed: %d\n", ok);
    ok = InitOnceBeginInitialize(&sync, 0, &pending, &context);
    printf("begin after failure: %d pending %d\n", ok, pending);
    InitOnceComplete(&sync, 0, NULL);

    /* Asynchronous: both begin, the first completion wins. */
    INIT_ONCE async = INIT_ONCE_STATIC_INIT;
    BOOL first = FALSE, second = FALSE;
    InitOnceBeginInitialize(&async, INIT_ONCE_ASYNC, &first, &context);
    InitOnceBeginInitialize(&async, INIT_ONCE_ASYNC, &second, &context);
    printf("async begins: pending %d %d\n", first, second);
    ok = InitOnceComplete(&async, INIT_ONCE_ASYNC, (PVOID)0x500);
    printf("async complete first: %d\n", ok);
    ok = InitOnceComplete(&async, INIT_ONCE_ASYNC, (PVOID)0x600);
    printf("async complete second: %d error %u\n", ok, LAST_ERROR());
    ok = InitOnceBeginInitialize(&async, INIT_ONCE_CHECK_ONLY, &pending, &context);
    printf("async result: %d context %#lx\n", ok, (unsigned long)(ULONG_PTR)context);

    /* WaitOnAddress. */
    LONG value = 5, other = 6, same = 5;
    ok = WaitOnAddress(&value, &other, sizeof value, INFINITE);
    printf("wait, value differs: %d\n", ok);
    ok = WaitOnAddress(&value, &same, sizeof value, 0);
    printf("wait, value equal, 0 ms: %d error %u\n", ok, LAST_ERROR());
    ok = WaitOnAddress(&value, &same, sizeof value, 10);
    printf("wait, value equal, 10 ms: %d error %u\n", ok, LAST_ERROR());
    ok = WaitOnAddress(&value, &same, 3, 0);
    printf("wait, size 3: %d error %u\n", ok, LAST_ERROR());
    waiter_ready = CreateEventW(NULL, TRUE, FALSE, NULL);
    HANDLE t = start_thread(address_waiter, NULL, 0);
    WaitForSingleObject(waiter_ready, INFINITE);
    watched = 1;
    WakeByAddressAll((PVOID)&watched);
    join_thread(t);
    printf("woken waiter saw %ld\n", (long)watched);
    CloseHandle(waiter_ready);

    /* Barriers: exactly one TRUE per phase. */
    ok = InitializeSynchronizationBarrier(&barrier, 0, -1);
    printf("barrier of 0 threads: %d error %u\n", ok, LAST_ERROR());
    ok = InitializeSynchronizationBarrier(&barrier, 3, -1);
    printf("barrier of 3 threads: %d\n", ok);
    HANDLE threads[3];
    for (int i = 0; i < 3; i++)
        threads[i] = start_thread(barrier_thread, NULL, 0);
    for (int i = 0; i < 3; i++)
        join_thread(threads[i]);
    printf("TRUE returns over 3 phases: %ld\n", (long)trues);
    printf("delete: %d\n", DeleteSynchronizationBarrier(&barrier));
    InitializeSynchronizationBarrier(&barrier, 1, 0);
    printf("one thread, flags: %d %d %d\n",
           EnterSynchronizationBarrier(&barrier, SYNCHRONIZATION_BARRIER_FLAGS_SPIN_ONLY),
           EnterSynchronizationBarrier(&barrier, SYNCHRONIZATION_BARRIER_FLAGS_BLOCK_ONLY),
           EnterSynchronizationBarrier(&barrier, SYNCHRONIZATION_BARRIER_FLAGS_NO_DELETE));
    DeleteSynchronizationBarrier(&barrier);
    return 0;
}
