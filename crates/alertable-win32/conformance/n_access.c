/* Access rights: A6, D53, G69, and the right each function needs; a refused call has no
 * effect. Handles with fewer rights are made with DuplicateHandle and OpenThread. */
#include "conformance.h"

static HANDLE dup(HANDLE source, DWORD access)
{
    HANDLE h = NULL;
    if (!DuplicateHandle(GetCurrentProcess(), source, GetCurrentProcess(), &h, access, FALSE, 0))
        printf("DuplicateHandle failed: %u\n", LAST_ERROR());
    return h;
}

static void CALLBACK apc(ULONG_PTR param)
{
    printf("APC %u ran\n", (unsigned)param);
}

static DWORD WINAPI returns_7(LPVOID param)
{
    (void)param;
    return 7;
}

int main(void)
{
    DWORD r, code;
    BOOL ok;

    /* A6: QueueUserAPC needs THREAD_SET_CONTEXT. */
    HANDLE no_ctx = OpenThread(THREAD_ALL_ACCESS & ~THREAD_SET_CONTEXT, FALSE,
                               GetCurrentThreadId());
    SetLastError(0);
    r = QueueUserAPC(apc, no_ctx, 1);
    printf("A6 QueueUserAPC without THREAD_SET_CONTEXT: %u %u\n", r, LAST_ERROR());
    HANDLE ctx = OpenThread(THREAD_SET_CONTEXT, FALSE, GetCurrentThreadId());
    r = QueueUserAPC(apc, ctx, 2);
    printf("A6 QueueUserAPC with only THREAD_SET_CONTEXT: %d\n", r != 0);
    printf("A6 SleepEx: %u\n", SleepEx(0, TRUE));
    CloseHandle(no_ctx);
    CloseHandle(ctx);

    /* D53: a mutex handle with GENERIC_READ | GENERIC_WRITE has no SYNCHRONIZE. */
    HANDLE mutex = CreateMutexW(NULL, FALSE, NULL);
    HANDLE generic = dup(mutex, GENERIC_READ | GENERIC_WRITE);
    SetLastError(0);
    r = WaitForSingleObject(generic, 0);
    printf("D53 wait without SYNCHRONIZE: %u %u\n", r, LAST_ERROR());
    HANDLE both[2] = {mutex, generic};
    SetLastError(0);
    r = WaitForMultipleObjects(2, both, FALSE, 0);
    printf("D53 WaitForMultipleObjects with one such handle: %u %u\n", r, LAST_ERROR());
    /* G69: releasing needs no right; the failed waits took nothing. */
    printf("G69 wait with the full handle: %u\n", WaitForSingleObject(mutex, 0));
    HANDLE read_control = dup(mutex, READ_CONTROL);
    printf("G69 ReleaseMutex through a READ_CONTROL handle: %d\n", ReleaseMutex(read_control));
    SetLastError(0);
    ok = ReleaseMutex(mutex);
    printf("G69 then it is not owned: %d %u\n", ok, LAST_ERROR());
    CloseHandle(read_control);
    CloseHandle(generic);
    CloseHandle(mutex);

    /* Events: EVENT_MODIFY_STATE to set, reset and pulse. */
    HANDLE event = CreateEventW(NULL, TRUE, FALSE, NULL);
    HANDLE sync_only = dup(event, SYNCHRONIZE);
    SetLastError(0);
    ok = SetEvent(sync_only);
    printf("SetEvent without EVENT_MODIFY_STATE: %d %u\n", ok, LAST_ERROR());
    printf("the event is not set: %u\n", WaitForSingleObject(event, 0));
    HANDLE modify_only = dup(event, EVENT_MODIFY_STATE);
    printf("SetEvent with only EVENT_MODIFY_STATE: %d\n", SetEvent(modify_only));
    printf("a wait with only SYNCHRONIZE: %u\n", WaitForSingleObject(sync_only, 0));
    SetLastError(0);
    ok = ResetEvent(sync_only);
    printf("ResetEvent without EVENT_MODIFY_STATE: %d %u\n", ok, LAST_ERROR());

    /* DuplicateHandle: DUPLICATE_SAME_ACCESS keeps the source's rights; asking for more than
     * the source has is granted within the process. */
    HANDLE same = NULL;
    DuplicateHandle(GetCurrentProcess(), sync_only, GetCurrentProcess(), &same, 0, FALSE,
                    DUPLICATE_SAME_ACCESS);
    SetLastError(0);
    ok = ResetEvent(same);
    printf("DUPLICATE_SAME_ACCESS of a SYNCHRONIZE handle, ResetEvent: %d %u\n", ok, LAST_ERROR());
    HANDLE widened = dup(sync_only, EVENT_ALL_ACCESS);
    printf("duplicated with more rights than the source, ResetEvent: %d\n", ResetEvent(widened));
    CloseHandle(same);
    CloseHandle(widened);
    CloseHandle(modify_only);
    CloseHandle(sync_only);
    CloseHandle(event);

    /* Semaphores: SEMAPHORE_MODIFY_STATE to release. */
    HANDLE semaphore = CreateSemaphoreW(NULL, 0, 2, NULL);
    HANDLE sem_sync = dup(semaphore, SYNCHRONIZE);
    LONG previous = -1;
    SetLastError(0);
    ok = ReleaseSemaphore(sem_sync, 1, &previous);
    printf("ReleaseSemaphore without SEMAPHORE_MODIFY_STATE: %d %u %d\n", ok, LAST_ERROR(),
           (int)previous);
    printf("the count is still 0: %u\n", WaitForSingleObject(semaphore, 0));
    CloseHandle(sem_sync);
    CloseHandle(semaphore);

    /* Timers: TIMER_MODIFY_STATE to set and cancel. */
    HANDLE timer = CreateWaitableTimerW(NULL, TRUE, NULL);
    HANDLE timer_sync = dup(timer, SYNCHRONIZE);
    LARGE_INTEGER due;
    due.QuadPart = -1;
    SetLastError(0);
    ok = SetWaitableTimer(timer_sync, &due, 0, NULL, NULL, FALSE);
    printf("SetWaitableTimer without TIMER_MODIFY_STATE: %d %u\n", ok, LAST_ERROR());
    SetLastError(0);
    ok = CancelWaitableTimer(timer_sync);
    printf("CancelWaitableTimer without TIMER_MODIFY_STATE: %d %u\n", ok, LAST_ERROR());
    CloseHandle(timer_sync);
    CloseHandle(timer);

    /* Threads: THREAD_SUSPEND_RESUME, and a query right for the exit code. */
    HANDLE thread = start_thread(returns_7, NULL, CREATE_SUSPENDED);
    HANDLE thread_sync = dup(thread, SYNCHRONIZE);
    SetLastError(0);
    r = ResumeThread(thread_sync);
    printf("ResumeThread without THREAD_SUSPEND_RESUME: %u %u\n", r, LAST_ERROR());
    SetLastError(0);
    r = SuspendThread(thread_sync);
    printf("SuspendThread without THREAD_SUSPEND_RESUME: %u %u\n", r, LAST_ERROR());
    printf("ResumeThread with it: %u\n", ResumeThread(thread));
    printf("the thread ends: %u\n", WaitForSingleObject(thread_sync, INFINITE));
    code = 99;
    SetLastError(0);
    ok = GetExitCodeThread(thread_sync, &code);
    printf("GetExitCodeThread without a query right: %d %u %u\n", ok, LAST_ERROR(), code);
    HANDLE limited = dup(thread, THREAD_QUERY_LIMITED_INFORMATION);
    ok = GetExitCodeThread(limited, &code);
    printf("GetExitCodeThread with THREAD_QUERY_LIMITED_INFORMATION: %d %u\n", ok, code);
    CloseHandle(limited);
    CloseHandle(thread_sync);
    CloseHandle(thread);
    SetLastError(0);
    HANDLE privileged = OpenThread(ACCESS_SYSTEM_SECURITY, FALSE, GetCurrentThreadId());
    printf("OpenThread(ACCESS_SYSTEM_SECURITY): %d %u\n", privileged == NULL, LAST_ERROR());

    /* Files: reads need GENERIC_READ, writes GENERIC_WRITE; NULL buffers. */
    char dir[MAX_PATH], path[MAX_PATH];
    GetTempPathA(MAX_PATH, dir);
    GetTempFileNameA(dir, "acc", 0, path);
    HANDLE rw = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                            NULL, CREATE_ALWAYS, 0, NULL);
    DWORD n = 0;
    WriteFile(rw, "0123456789", 10, &n, NULL);
    HANDLE ro = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                            OPEN_EXISTING, 0, NULL);
    HANDLE wo = CreateFileA(path, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                            OPEN_EXISTING, 0, NULL);
    char buffer[4];
    n = 99;
    SetLastError(0);
    ok = WriteFile(ro, "ab", 2, &n, NULL);
    printf("WriteFile on a GENERIC_READ handle: %d %u %u\n", ok, LAST_ERROR(), n);
    n = 99;
    SetLastError(0);
    ok = ReadFile(wo, buffer, 4, &n, NULL);
    printf("ReadFile on a GENERIC_WRITE handle: %d %u %u\n", ok, LAST_ERROR(), n);
    n = 99;
    SetLastError(12345678);
    ok = WriteFile(rw, NULL, 0, &n, NULL);
    printf("WriteFile(NULL, 0): %d %u %u\n", ok, LAST_ERROR(), n);
    n = 99;
    SetLastError(0);
    ok = WriteFile(rw, NULL, 10, &n, NULL);
    printf("WriteFile(NULL, 10): %d %u %u\n", ok, LAST_ERROR(), n);
    n = 99;
    SetLastError(12345678);
    ok = ReadFile(rw, NULL, 0, &n, NULL);
    printf("ReadFile(NULL, 0): %d %u %u\n", ok, LAST_ERROR(), n);
    n = 99;
    SetLastError(0);
    ok = ReadFile(rw, NULL, 10, &n, NULL);
    printf("ReadFile(NULL, 10): %d %u %u\n", ok, LAST_ERROR(), n);
    CloseHandle(ro);
    CloseHandle(wo);
    CloseHandle(rw);
    HANDLE ov_ro = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                               OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
    OVERLAPPED ov = {0};
    SetLastError(0);
    ok = WriteFile(ov_ro, "ab", 2, NULL, &ov);
    printf("overlapped WriteFile on a GENERIC_READ handle: %d %u\n", ok, LAST_ERROR());
    CloseHandle(ov_ro);
    rw = CreateFileA(path, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    n = 0;
    ReadFile(rw, buffer, 4, &n, NULL);
    printf("the file is unchanged: %u %.4s\n", n, buffer);
    CloseHandle(rw);
    DeleteFileA(path);
    return 0;
}
