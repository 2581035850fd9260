/* Spec section A: queueing APCs (A1, A4, A5, A14, A15, A16). */
#include "conformance.h"

static LONG ran;
static ULONG_PTR seen[8];
static LONG nseen;

static void CALLBACK count_apc(ULONG_PTR param)
{
    (void)param;
    InterlockedIncrement(&ran);
}

static void CALLBACK record_apc(ULONG_PTR param)
{
    seen[nseen++] = param;
}

static DWORD WINAPI returns_at_once(LPVOID param)
{
    (void)param;
    return 0;
}

int main(void)
{
    /* A1, A16: an APC queued to the calling thread does not run inside QueueUserAPC. */
    DWORD queued = QueueUserAPC(count_apc, GetCurrentThread(), 0);
    printf("A1 QueueUserAPC to self succeeds: %d\n", queued != 0);
    printf("A16 ran inside QueueUserAPC: %d\n", (int)ran);
    DWORD r = SleepEx(100, TRUE);
    printf("A1 SleepEx(100, TRUE): %u, APCs run: %d\n", r, (int)ran);

    /* A4: a thread that has exited refuses APCs with ERROR_GEN_FAILURE, also NULL ones. */
    HANDLE done = start_thread(returns_at_once, NULL, 0);
    printf("A4 wait for the thread: %u\n", WaitForSingleObject(done, INFINITE));
    SetLastError(0);
    queued = QueueUserAPC(count_apc, done, 0);
    printf("A4 QueueUserAPC to an exited thread: %u, error %u\n", queued, LAST_ERROR());
    SetLastError(0);
    queued = QueueUserAPC(NULL, done, 0);
    printf("A4 QueueUserAPC(NULL) to an exited thread: %u, error %u\n", queued, LAST_ERROR());
    CloseHandle(done);

    /* A5: a bad handle, a closed handle and a handle of the wrong kind. */
    SetLastError(0);
    queued = QueueUserAPC(count_apc, (HANDLE)(ULONG_PTR)0xdeadbeef, 0);
    printf("A5 QueueUserAPC to 0xdeadbeef: %u, error %u\n", queued, LAST_ERROR());
    SetLastError(0);
    queued = QueueUserAPC(count_apc, done, 0);
    printf("A5 QueueUserAPC to a closed handle: %u, error %u\n", queued, LAST_ERROR());
    HANDLE event = CreateEventW(NULL, TRUE, FALSE, NULL);
    SetLastError(0);
    queued = QueueUserAPC(count_apc, event, 0);
    printf("A5 QueueUserAPC to an event: %u, error %u\n", queued, LAST_ERROR());
    CloseHandle(event);

    /* A14, A15: arguments pass unchanged, APCs run in the order queued. */
    ULONG_PTR args[5] = {0x1234, 0x1235, 0, (ULONG_PTR)-1, 0xdeadbeef};
    for (int i = 0; i < 5; i++)
        QueueUserAPC(record_apc, GetCurrentThread(), args[i]);
    r = SleepEx(0, TRUE);
    printf("A15 SleepEx(0, TRUE) after five APCs: %u, APCs run: %d\n", r, (int)nseen);
    printf("A14 arguments in order:");
    for (int i = 0; i < nseen; i++)
        printf(" %#llx", (unsigned long long)seen[i]);
    printf("\n");
    return 0;
}
