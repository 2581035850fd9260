/* Spec section B: delivery in alertable waits (B17-B21, B23-B26, B31, B32). */
#include "conformance.h"

static LONG ran;
static HANDLE sem;         /* B20, B21: the semaphore the worker waits on */
static HANDLE ready;       /* set by a worker just before it waits */
static HANDLE gate;        /* B23: released twice; each APC takes one count */

static void CALLBACK count_apc(ULONG_PTR param)
{
    (void)param;
    InterlockedIncrement(&ran);
}

/* B21: the APC itself releases the semaphore the interrupted wait was waiting on. */
static void CALLBACK release_apc(ULONG_PTR param)
{
    (void)param;
    ReleaseSemaphore(sem, 1, NULL);
}

/* B23, B25: an APC may block in a plain wait. */
static void CALLBACK take_gate_apc(ULONG_PTR param)
{
    (void)param;
    WaitForSingleObject(gate, INFINITE);
    InterlockedIncrement(&ran);
}

/* B24: an APC that queues another while it is being delivered. */
static void CALLBACK chain_apc(ULONG_PTR param)
{
    InterlockedIncrement(&ran);
    if (param > 0)
        QueueUserAPC(chain_apc, GetCurrentThread(), param - 1);
}

/* B26: an APC that waits alertably itself receives the other pending APCs. */
static DWORD nested_result;
static void CALLBACK nesting_apc(ULONG_PTR param)
{
    (void)param;
    QueueUserAPC(count_apc, GetCurrentThread(), 0);
    nested_result = SleepEx(0, TRUE);
}

static DWORD first_wait, second_wait;
static DWORD WINAPI semaphore_waiter(LPVOID param)
{
    (void)param;
    SetEvent(ready);
    first_wait = WaitForMultipleObjectsEx(1, &sem, TRUE, INFINITE, TRUE);
    second_wait = WaitForMultipleObjectsEx(1, &sem, TRUE, 200, TRUE);
    return 0;
}

static DWORD drain_wait;
static DWORD WINAPI gate_waiter(LPVOID param)
{
    HANDLE never = (HANDLE)param;
    SetEvent(ready);
    drain_wait = WaitForSingleObjectEx(never, INFINITE, TRUE);
    return 0;
}

static void matrix(const char *what, DWORD ms, BOOL alertable, BOOL with_apc)
{
    ran = 0;
    if (with_apc)
        QueueUserAPC(count_apc, GetCurrentThread(), 0);
    SetLastError(0xdeadbeef);
    DWORD r = SleepEx(ms, alertable);
    printf("B17 SleepEx(%u, %s) %s: %u, APCs run: %d, B18 last error: %#x\n", ms,
           alertable ? "TRUE" : "FALSE", what, r, (int)ran, LAST_ERROR());
}

int main(void)
{
    /* B17, B18, B32: the SleepEx matrix; the last error is never touched. */
    matrix("without APC", 0, FALSE, FALSE);
    matrix("without APC", 1, FALSE, FALSE);
    matrix("without APC", 0, TRUE, FALSE);
    matrix("without APC", 1, TRUE, FALSE);
    matrix("with an APC", 0, TRUE, TRUE);
    matrix("with an APC", 1, TRUE, TRUE);
    SetLastError(0xdeadbeef);
    Sleep(0);
    Sleep(1);
    printf("B18 last error after Sleep(0), Sleep(1): %#x\n", LAST_ERROR());

    /* B19: non-alertable waits never run APCs. */
    ran = 0;
    QueueUserAPC(count_apc, GetCurrentThread(), 0);
    DWORD r = SleepEx(1, FALSE);
    printf("B19 SleepEx(1, FALSE): %u, APCs run: %d\n", r, (int)ran);
    Sleep(1);
    HANDLE set = CreateEventW(NULL, TRUE, TRUE, NULL);
    r = WaitForSingleObject(set, 10);
    printf("B19 WaitForSingleObject(set event): %u, APCs run: %d\n", r, (int)ran);
    r = SleepEx(1, TRUE);
    printf("B19 SleepEx(1, TRUE): %u, APCs run: %d\n", r, (int)ran);

    /* B31: a signaled object wins over a pending APC, which stays queued. */
    ran = 0;
    QueueUserAPC(count_apc, GetCurrentThread(), 0);
    r = WaitForSingleObjectEx(set, 0, TRUE);
    printf("B31 WaitForSingleObjectEx(set event, 0, TRUE): %u, APCs run: %d\n", r, (int)ran);
    HANDLE both[2] = {set, set};
    r = WaitForMultipleObjectsEx(2, both, FALSE, INFINITE, TRUE);
    printf("B31 WaitForMultipleObjectsEx(any, set event): %u, APCs run: %d\n", r, (int)ran);
    r = SleepEx(0, TRUE);
    printf("B31 then SleepEx(0, TRUE): %u, APCs run: %d\n", r, (int)ran);
    CloseHandle(set);

    /* B20, B21: an APC from another thread ends an alertable wait, which is not resumed
     * even though the APC released the awaited semaphore; the count is still there. */
    sem = CreateSemaphoreW(NULL, 0, 1, NULL);
    ready = CreateEventW(NULL, FALSE, FALSE, NULL);
    HANDLE worker = start_thread(semaphore_waiter, NULL, 0);
    WaitForSingleObject(ready, INFINITE);
    QueueUserAPC(release_apc, worker, 0);
    join_thread(worker);
    printf("B20 alertable WaitForMultipleObjectsEx ended by an APC: %u\n", first_wait);
    printf("B21 the next wait finds the semaphore released by the APC: %u\n", second_wait);

    /* B23, B25: one alertable wait runs both APCs, each blocking in a plain wait. */
    ran = 0;
    gate = CreateSemaphoreW(NULL, 0, 2, NULL);
    HANDLE never = CreateEventW(NULL, TRUE, FALSE, NULL);
    worker = start_thread(gate_waiter, never, 0);
    WaitForSingleObject(ready, INFINITE);
    QueueUserAPC(take_gate_apc, worker, 0);
    QueueUserAPC(take_gate_apc, worker, 0);
    ReleaseSemaphore(gate, 2, NULL);
    join_thread(worker);
    printf("B23 one alertable wait: %u, APCs run: %d\n", drain_wait, (int)ran);
    printf("B23 both counts were taken: %u\n", WaitForSingleObject(gate, 0));

    /* B24: an APC queued while APCs are being delivered runs in the same wait. */
    ran = 0;
    QueueUserAPC(chain_apc, GetCurrentThread(), 1);
    r = SleepEx(0, TRUE);
    printf("B24 SleepEx(0, TRUE): %u, APCs run: %d\n", r, (int)ran);
    printf("B24 next SleepEx(0, TRUE): %u\n", SleepEx(0, TRUE));

    /* B26: nested delivery inside an APC. */
    ran = 0;
    QueueUserAPC(nesting_apc, GetCurrentThread(), 0);
    r = SleepEx(0, TRUE);
    printf("B26 outer SleepEx(0, TRUE): %u, nested SleepEx: %u, APCs run inside: %d\n", r,
           nested_result, (int)ran);
    return 0;
}
