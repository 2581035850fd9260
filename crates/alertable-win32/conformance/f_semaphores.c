/* Spec section F: semaphores (F63-F67). */
#include "conformance.h"

static DWORD WINAPI take_and_exit(LPVOID param)
{
    return WaitForSingleObject((HANDLE)param, INFINITE);
}

int main(void)
{
    /* F63: creation limits. */
    SetLastError(0);
    HANDLE s = CreateSemaphoreW(NULL, 2, 1, NULL);
    printf("F63 CreateSemaphore(initial 2, max 1): %d, error %u\n", s != NULL, LAST_ERROR());
    SetLastError(0);
    s = CreateSemaphoreW(NULL, -1, 1, NULL);
    printf("F63 CreateSemaphore(initial -1, max 1): %d, error %u\n", s != NULL, LAST_ERROR());
    SetLastError(0);
    s = CreateSemaphoreW(NULL, 0, 0, NULL);
    printf("F63 CreateSemaphore(initial 0, max 0): %d, error %u\n", s != NULL, LAST_ERROR());

    /* F64, F65: over-release fails and leaves *previous untouched. */
    s = CreateSemaphoreW(NULL, 0, 2, NULL);
    LONG prev = (LONG)0xdeadbeef;
    SetLastError(0);
    BOOL ok = ReleaseSemaphore(s, 3, &prev);
    printf("F65 ReleaseSemaphore(0 of 2, by 3): %d, error %u, previous %#x\n", ok, LAST_ERROR(),
           (unsigned)prev);
    ok = ReleaseSemaphore(s, 1, &prev);
    printf("F64 release by 1: %d, previous %d\n", ok, (int)prev);
    ok = ReleaseSemaphore(s, 1, &prev);
    printf("F64 release by 1: %d, previous %d\n", ok, (int)prev);
    prev = (LONG)0xdeadbeef;
    SetLastError(0);
    ok = ReleaseSemaphore(s, 1, &prev);
    printf("F65 release past the maximum: %d, error %u, previous %#x\n", ok, LAST_ERROR(),
           (unsigned)prev);
    SetLastError(0);
    ok = ReleaseSemaphore(s, 0, &prev);
    printf("ReleaseSemaphore by 0: %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0);
    ok = ReleaseSemaphore((HANDLE)(ULONG_PTR)0xdeadbee0, 1, NULL);
    printf("ReleaseSemaphore(0xdeadbee0): %d, error %u\n", ok, LAST_ERROR());

    /* F66: count N satisfies exactly N waits. */
    DWORD r1 = WaitForSingleObject(s, 0);
    DWORD r2 = WaitForSingleObject(s, 0);
    DWORD r3 = WaitForSingleObject(s, 0);
    printf("F66 three waits on a count of 2: %u %u %u\n", r1, r2, r3);
    HANDLE two[2];
    two[0] = CreateSemaphoreW(NULL, 1, 1, NULL);
    two[1] = CreateSemaphoreW(NULL, 1, 1, NULL);
    r1 = WaitForMultipleObjects(2, two, FALSE, 0);
    r2 = WaitForMultipleObjects(2, two, FALSE, 0);
    r3 = WaitForMultipleObjects(2, two, FALSE, 0);
    printf("F66 wait-any on two counts of 1: %u %u %u\n", r1, r2, r3);
    ReleaseSemaphore(two[0], 1, NULL);
    ReleaseSemaphore(two[1], 1, NULL);
    r1 = WaitForMultipleObjects(2, two, TRUE, 0);
    r2 = WaitForMultipleObjects(2, two, FALSE, 0);
    printf("F66 wait-all with both available: %u, then wait-any: %u\n", r1, r2);
    ReleaseSemaphore(two[1], 1, NULL);
    r1 = WaitForMultipleObjects(2, two, TRUE, 0);
    r2 = WaitForSingleObject(two[1], 0);
    printf("F66 wait-all with one available: %u, which is not consumed: %u\n", r1, r2);

    /* F67: semaphores are not abandoned. */
    HANDLE one = CreateSemaphoreW(NULL, 1, 1, NULL);
    HANDLE t = start_thread(take_and_exit, one, 0);
    WaitForSingleObject(t, INFINITE);
    DWORD code;
    GetExitCodeThread(t, &code);
    CloseHandle(t);
    printf("F67 a thread took the count and exited: %u\n", code);
    printf("F67 a later wait times out: %u\n", WaitForSingleObject(one, 0));
    return 0;
}
