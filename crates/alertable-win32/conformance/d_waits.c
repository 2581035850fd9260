/* Spec section D: generic wait semantics (D42-D47, D49-D51, D54). */
#include "conformance.h"

static HANDLE mutex_for_waiter;
static HANDLE started, acquired;

static DWORD WINAPI block_on_mutex(LPVOID param)
{
    (void)param;
    SetEvent(started);
    DWORD r = WaitForSingleObject(mutex_for_waiter, INFINITE);
    SetEvent(acquired);
    if (r == WAIT_OBJECT_0)
        ReleaseMutex(mutex_for_waiter);
    return r;
}

int main(void)
{
    DWORD r;

    /* D42: invalid handles, whatever their two low bits. */
    for (ULONG_PTR low = 0; low < 4; low++) {
        SetLastError(0);
        r = WaitForSingleObject((HANDLE)(0xdeadbee0 | low), 0);
        printf("D42 WaitForSingleObject(%#llx, 0): %#x, error %u\n",
               (unsigned long long)(0xdeadbee0 | low), r, LAST_ERROR());
    }

    /* D43: the two low bits of a valid handle are ignored. D44: successful waits keep
     * the last error. */
    HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    for (ULONG_PTR low = 1; low < 4; low++) {
        SetLastError(0xdeadbeef);
        r = WaitForSingleObject((HANDLE)((ULONG_PTR)ev | low), 0);
        printf("D43 non-signaled event | %u: %u, D44 last error %#x\n", (unsigned)low, r,
               LAST_ERROR());
    }
    SetEvent(ev);
    for (ULONG_PTR low = 1; low < 4; low++) {
        SetLastError(0xdeadbeef);
        r = WaitForSingleObject((HANDLE)((ULONG_PTR)ev | low), 0);
        printf("D43 signaled event | %u: %u, D44 last error %#x\n", (unsigned)low, r,
               LAST_ERROR());
    }

    /* D45: 64 handles; the lowest signaled index wins and only it is consumed. */
    HANDLE events[65];
    events[0] = CreateEventW(NULL, TRUE, TRUE, NULL);
    for (int i = 1; i < 65; i++)
        events[i] = CreateEventW(NULL, FALSE, TRUE, NULL);
    r = WaitForMultipleObjects(64, events, FALSE, 0);
    printf("D45 64 set events, wait-any: %u\n", r);
    printf("D45 again (manual-reset event 0 stays set): %u\n",
           WaitForMultipleObjects(64, events, FALSE, 0));
    ResetEvent(events[0]);
    int in_order = 1;
    for (DWORD i = 1; i < 64; i++)
        in_order &= WaitForMultipleObjects(64, events, FALSE, 0) == WAIT_OBJECT_0 + i;
    printf("D45 after ResetEvent(0), waits return 1 to 63 in order: %d\n", in_order);
    printf("D45 then: %u\n", WaitForMultipleObjects(64, events, FALSE, 0));

    /* D46: the count must be 1 to 64. */
    SetLastError(0);
    r = WaitForMultipleObjects(65, events, FALSE, 0);
    printf("D46 65 handles: %#x, error %u\n", r, LAST_ERROR());
    SetLastError(0);
    r = WaitForMultipleObjects(0, events, FALSE, 0);
    printf("D46 0 handles: %#x, error %u\n", r, LAST_ERROR());

    /* D47: pseudo-handles are refused in multi-object waits. */
    HANDLE pseudo = GetCurrentProcess();
    SetLastError(0);
    r = WaitForMultipleObjects(1, &pseudo, FALSE, 0);
    printf("D47 WaitForMultipleObjects({GetCurrentProcess()}): %#x, error %u\n", r, LAST_ERROR());
    pseudo = GetCurrentThread();
    SetLastError(0);
    r = WaitForMultipleObjects(1, &pseudo, FALSE, 0);
    printf("D47 WaitForMultipleObjects({GetCurrentThread()}): %#x, error %u\n", r, LAST_ERROR());

    /* D49: wait-all is all or nothing. */
    HANDLE pair[2];
    pair[0] = CreateEventW(NULL, TRUE, TRUE, NULL);
    pair[1] = CreateEventW(NULL, FALSE, TRUE, NULL);
    printf("D49 wait-all, both set: %u\n", WaitForMultipleObjects(2, pair, TRUE, 0));
    printf("D49 wait-all again (the auto-reset event was consumed): %u\n",
           WaitForMultipleObjects(2, pair, TRUE, 0));
    ResetEvent(pair[0]);
    SetEvent(pair[1]);
    printf("D49 wait-all, only the auto-reset event set: %u\n",
           WaitForMultipleObjects(2, pair, TRUE, 0));
    printf("D49 the auto-reset event was not consumed: %u\n", WaitForSingleObject(pair[1], 0));

    /* D50: the same object twice in a wait-all is refused; in a wait-any it is not. */
    HANDLE twice[2] = {pair[0], pair[0]};
    SetEvent(pair[0]);
    SetLastError(0);
    r = WaitForMultipleObjects(2, twice, TRUE, 0);
    printf("D50 wait-all with a duplicate: %#x, error %u\n", r, LAST_ERROR());
    printf("D50 wait-any with a duplicate: %u\n", WaitForMultipleObjects(2, twice, FALSE, 0));

    /* D51: timed waits. */
    HANDLE unset = CreateEventW(NULL, TRUE, FALSE, NULL);
    printf("D51 WaitForSingleObject(non-signaled, 10): %u\n", WaitForSingleObject(unset, 10));
    printf("D51 WaitForSingleObject(signaled, INFINITE): %u\n", WaitForSingleObject(ev, INFINITE));

    /* D54: closing a handle does not wake a thread waiting on the object. */
    HANDLE owned = CreateMutexW(NULL, TRUE, NULL);
    DuplicateHandle(GetCurrentProcess(), owned, GetCurrentProcess(), &mutex_for_waiter, 0, FALSE,
                    DUPLICATE_SAME_ACCESS);
    HANDLE keep;
    DuplicateHandle(GetCurrentProcess(), owned, GetCurrentProcess(), &keep, 0, FALSE,
                    DUPLICATE_SAME_ACCESS);
    started = CreateEventW(NULL, TRUE, FALSE, NULL);
    acquired = CreateEventW(NULL, TRUE, FALSE, NULL);
    HANDLE waiter = start_thread(block_on_mutex, NULL, 0);
    WaitForSingleObject(started, INFINITE);
    printf("D54 CloseHandle of the owner's handle: %d\n", CloseHandle(owned));
    printf("D54 the waiter is still blocked: %u\n", WaitForSingleObject(acquired, 100));
    printf("D54 ReleaseMutex through another handle: %d\n", ReleaseMutex(keep));
    printf("D54 the waiter then acquires it: %u\n", WaitForSingleObject(acquired, INFINITE));
    DWORD code;
    WaitForSingleObject(waiter, INFINITE);
    GetExitCodeThread(waiter, &code);
    printf("D54 the waiter's wait returned: %u\n", code);
    return 0;
}
