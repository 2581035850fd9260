/* Spec section G: mutexes (G68-G70, G72-G75). */
#include "conformance.h"

static HANDLE mutex, held, go;

/* Acquires the mutex, reports, waits for `go`, and ends without releasing it. */
static DWORD WINAPI hold_and_exit(LPVOID param)
{
    (void)param;
    WaitForSingleObject(mutex, INFINITE);
    SetEvent(held);
    WaitForSingleObject(go, INFINITE);
    ExitThread(0);
}

static DWORD WINAPI try_once(LPVOID param)
{
    (void)param;
    DWORD r = WaitForSingleObject(mutex, 0);
    if (r == WAIT_OBJECT_0)
        ReleaseMutex(mutex);
    return r;
}

static DWORD WINAPI wait_forever(LPVOID param)
{
    (void)param;
    DWORD r = WaitForSingleObject(mutex, INFINITE);
    if (r == WAIT_OBJECT_0 || r == WAIT_ABANDONED)
        ReleaseMutex(mutex);
    return r;
}

static DWORD run(LPTHREAD_START_ROUTINE f)
{
    HANDLE t = start_thread(f, NULL, 0);
    WaitForSingleObject(t, INFINITE);
    DWORD code;
    GetExitCodeThread(t, &code);
    CloseHandle(t);
    return code;
}

int main(void)
{
    BOOL ok;
    held = CreateEventW(NULL, FALSE, FALSE, NULL);
    go = CreateEventW(NULL, TRUE, FALSE, NULL);

    /* G68: releasing a mutex the caller does not own. */
    mutex = CreateMutexW(NULL, FALSE, NULL);
    SetLastError(0);
    ok = ReleaseMutex(mutex);
    printf("G68 ReleaseMutex(unowned): %d, error %u\n", ok, LAST_ERROR());
    HANDLE other = start_thread(hold_and_exit, NULL, 0);
    WaitForSingleObject(held, INFINITE);
    SetLastError(0);
    ok = ReleaseMutex(mutex);
    printf("G68 ReleaseMutex(owned by another thread): %d, error %u\n", ok, LAST_ERROR());

    /* G73: the owner exits; a thread already blocked on the mutex gets WAIT_ABANDONED. */
    HANDLE waiter = start_thread(wait_forever, NULL, 0);
    SetEvent(go);
    WaitForSingleObject(other, INFINITE);
    CloseHandle(other);
    WaitForSingleObject(waiter, INFINITE);
    DWORD code;
    GetExitCodeThread(waiter, &code);
    CloseHandle(waiter);
    printf("G73 the blocked waiter's wait after the owner exited: %u\n", code);

    /* G69: recursion across handles, one closed on the way. */
    HANDLE dup;
    DuplicateHandle(GetCurrentProcess(), mutex, GetCurrentProcess(), &dup, 0, FALSE,
                    DUPLICATE_SAME_ACCESS);
    int all = 1;
    for (int i = 0; i < 32; i++)
        all &= WaitForSingleObject(i % 2 ? dup : mutex, 0) == WAIT_OBJECT_0;
    printf("G69 32 acquisitions through two handles: %d\n", all);
    CloseHandle(dup);
    all = 1;
    for (int i = 0; i < 32; i++)
        all &= ReleaseMutex(mutex) != 0;
    printf("G69 32 releases after closing one handle: %d\n", all);
    SetLastError(0);
    ok = ReleaseMutex(mutex);
    printf("G69 one more release: %d, error %u\n", ok, LAST_ERROR());

    /* G70: an owned mutex blocks other threads; CreateMutex(TRUE) owns it. */
    CloseHandle(mutex);
    mutex = CreateMutexW(NULL, TRUE, NULL);
    printf("G70 another thread's wait(0) while owned: %u\n", run(try_once));
    printf("G70 ReleaseMutex of CreateMutex(TRUE): %d\n", ReleaseMutex(mutex));
    printf("G70 another thread's wait(0) once released: %u\n", run(try_once));
    SetLastError(0);
    ok = ReleaseMutex(mutex);
    printf("G70 a second ReleaseMutex: %d, error %u\n", ok, LAST_ERROR());

    /* G72: abandoned by an owner that exited (`go` is set: it exits at once); the next
     * wait owns it. */
    run(hold_and_exit);
    printf("G72 wait after the owner exited: %u\n", WaitForSingleObject(mutex, 0));
    printf("G72 the waiter owns it: %d\n", ReleaseMutex(mutex));
    printf("G72 the next wait: %u\n", WaitForSingleObject(mutex, 0));
    ReleaseMutex(mutex);

    /* G74: the abandoned index in wait-any; plain WAIT_ABANDONED in wait-all. */
    HANDLE unset = CreateEventW(NULL, TRUE, FALSE, NULL);
    HANDLE set = CreateEventW(NULL, TRUE, TRUE, NULL);
    run(hold_and_exit);
    HANDLE any[2] = {unset, mutex};
    printf("G74 wait-any, abandoned mutex at index 1: %#x\n",
           WaitForMultipleObjects(2, any, FALSE, 0));
    ReleaseMutex(mutex);
    run(hold_and_exit);
    HANDLE both[2] = {set, mutex};
    printf("G74 wait-all with an abandoned mutex: %#x\n", WaitForMultipleObjects(2, both, TRUE, 0));
    ReleaseMutex(mutex);

    /* G75: wait-any acquires one mutex, wait-all both. */
    HANDLE two[2];
    two[0] = CreateMutexW(NULL, FALSE, NULL);
    two[1] = CreateMutexW(NULL, FALSE, NULL);
    printf("G75 wait-any on two free mutexes: %u\n", WaitForMultipleObjects(2, two, FALSE, 0));
    SetLastError(0);
    ok = ReleaseMutex(two[1]);
    printf("G75 release the second: %d, error %u\n", ok, LAST_ERROR());
    printf("G75 release the first: %d\n", ReleaseMutex(two[0]));
    printf("G75 wait-all on two free mutexes: %u\n", WaitForMultipleObjects(2, two, TRUE, 0));
    ok = ReleaseMutex(two[1]);
    printf("G75 release both: %d %d\n", ok, ReleaseMutex(two[0]));

    SetLastError(0);
    ok = ReleaseMutex(set);
    printf("ReleaseMutex(event): %d, error %u\n", ok, LAST_ERROR());
    return 0;
}
