/* Spec section C: threads and APCs (C33-C38), thread handles, exit codes, ExitThread. */
#include "conformance.h"

static LONG entered;
static LONG ran;
static char order[8];
static LONG norder;
static HANDLE go;
static HANDLE started;
static HANDLE release;

static void note(char c)
{
    order[InterlockedIncrement(&norder) - 1] = c;
}

static void CALLBACK count_apc(ULONG_PTR param)
{
    (void)param;
    InterlockedIncrement(&ran);
}

static void CALLBACK note_apc(ULONG_PTR param)
{
    note((char)param);
}

static void CALLBACK exit_apc(ULONG_PTR code)
{
    ExitThread((DWORD)code);
}

static DWORD WINAPI enter_and_return(LPVOID param)
{
    InterlockedIncrement(&entered);
    note('e');
    return (DWORD)(ULONG_PTR)param;
}

static DWORD WINAPI wait_for_go(LPVOID param)
{
    (void)param;
    SetEvent(started);
    WaitForSingleObject(go, INFINITE);
    return 5;
}

static DWORD WINAPI exit_directly(LPVOID param)
{
    (void)param;
    ExitThread(7);
}

static DWORD WINAPI alertable_forever(LPVOID param)
{
    (void)param;
    SetEvent(go);
    while (SleepEx(INFINITE, TRUE) == WAIT_IO_COMPLETION) {
    }
    return 1;
}

static HANDLE self_dup;
static DWORD self_id;
static DWORD WINAPI duplicate_self(LPVOID param)
{
    (void)param;
    DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(), &self_dup, 0,
                    FALSE, DUPLICATE_SAME_ACCESS);
    self_id = GetCurrentThreadId();
    SetEvent(started);
    WaitForSingleObject(release, INFINITE);
    return 12;
}

static HANDLE main_thread;
static DWORD WINAPI outlive_main(LPVOID param)
{
    (void)param;
    DWORD r = WaitForSingleObject(main_thread, INFINITE);
    DWORD code = 0;
    GetExitCodeThread(main_thread, &code);
    printf("C36 the main thread's handle after its ExitThread: %u, exit code %u\n", r, code);
    return 0;
}

int main(void)
{
    DWORD code;

    /* C33: suspend counts of a thread created suspended. */
    HANDLE t = start_thread(enter_and_return, (LPVOID)99, CREATE_SUSPENDED);
    printf("C33 SuspendThread: %u\n", SuspendThread(t));
    printf("C33 ResumeThread: %u\n", ResumeThread(t));
    printf("C33 WaitForSingleObject while still suspended: %u\n", WaitForSingleObject(t, 100));
    printf("C33 entered while suspended: %d\n", (int)entered);
    printf("C33 ResumeThread: %u\n", ResumeThread(t));
    printf("C33 WaitForSingleObject after the last resume: %u\n", WaitForSingleObject(t, INFINITE));
    GetExitCodeThread(t, &code);
    printf("C36 exit code of a thread that returned 99: %u\n", code);
    SetLastError(0);
    DWORD s = SuspendThread(t);
    printf("C37 SuspendThread on an exited thread: %#x, error %u\n", s, LAST_ERROR());
    printf("C33 ResumeThread on an exited thread: %u\n", ResumeThread(t));
    CloseHandle(t);

    /* C34: APCs queued to a suspended thread run before its entry point, in order. */
    norder = 0;
    t = start_thread(enter_and_return, NULL, CREATE_SUSPENDED);
    QueueUserAPC(note_apc, t, 'a');
    QueueUserAPC(note_apc, t, 'b');
    ResumeThread(t);
    join_thread(t);
    printf("C34 order of APCs and entry point: %.*s\n", (int)norder, order);

    /* C35: APCs still queued when a thread exits never run. They are queued once the
     * thread is in its entry point: queued earlier, they would run before it (C34). */
    go = CreateEventW(NULL, TRUE, FALSE, NULL);
    started = CreateEventW(NULL, FALSE, FALSE, NULL);
    t = start_thread(wait_for_go, NULL, 0);
    WaitForSingleObject(started, INFINITE);
    for (int i = 0; i < 3; i++)
        QueueUserAPC(count_apc, t, 0);
    SetEvent(go);
    WaitForSingleObject(t, INFINITE);
    printf("C35 APCs run by a thread that never waited alertably: %d\n", (int)ran);
    SetLastError(0);
    DWORD q = QueueUserAPC(count_apc, t, 0);
    printf("C35 QueueUserAPC after it exited: %u, error %u\n", q, LAST_ERROR());
    CloseHandle(t);

    /* C36: exit codes: STILL_ACTIVE while running, then ExitThread's argument. */
    ResetEvent(go);
    t = start_thread(wait_for_go, NULL, 0);
    GetExitCodeThread(t, &code);
    printf("C36 exit code while running: %u\n", code);
    SetEvent(go);
    printf("C36 wait for it: %u\n", WaitForSingleObject(t, INFINITE));
    GetExitCodeThread(t, &code);
    printf("C36 exit code after it returned 5: %u\n", code);
    CloseHandle(t);
    t = start_thread(exit_directly, NULL, 0);
    WaitForSingleObject(t, INFINITE);
    GetExitCodeThread(t, &code);
    printf("C36 exit code after ExitThread(7): %u\n", code);
    CloseHandle(t);
    ResetEvent(go);
    t = start_thread(alertable_forever, NULL, 0);
    WaitForSingleObject(go, INFINITE);
    QueueUserAPC(exit_apc, t, 22);
    printf("C36 wait for a thread that called ExitThread(22) in an APC: %u\n",
           WaitForSingleObject(t, INFINITE));
    GetExitCodeThread(t, &code);
    printf("C36 its exit code: %u\n", code);
    CloseHandle(t);
    t = start_thread(enter_and_return, NULL, CREATE_SUSPENDED);
    entered = 0;
    QueueUserAPC(exit_apc, t, 23);
    ResumeThread(t);
    WaitForSingleObject(t, INFINITE);
    GetExitCodeThread(t, &code);
    printf("C34 ExitThread(23) in an APC before the entry point: exit code %u, entered %d\n",
           code, (int)entered);
    CloseHandle(t);

    /* C38: pseudo-handles in single waits; GetCurrentThread names the caller. */
    printf("C38 WaitForSingleObject(GetCurrentThread(), 100): %u\n",
           WaitForSingleObject(GetCurrentThread(), 100));
    printf("C38 WaitForSingleObject(GetCurrentProcess(), 100): %u\n",
           WaitForSingleObject(GetCurrentProcess(), 100));
    GetExitCodeThread(GetCurrentThread(), &code);
    printf("C38 GetExitCodeThread(GetCurrentThread()): %u\n", code);
    printf("C38 ResumeThread(GetCurrentThread()): %u\n", ResumeThread(GetCurrentThread()));

    /* A real handle from DuplicateHandle(GetCurrentThread()), and OpenThread by id. */
    release = CreateEventW(NULL, TRUE, FALSE, NULL);
    ResetEvent(started);
    DWORD id = 0;
    t = CreateThread(NULL, 0, duplicate_self, NULL, 0, &id);
    WaitForSingleObject(started, INFINITE);
    printf("CreateThread's thread id is the thread's GetCurrentThreadId: %d\n", id == self_id);
    HANDLE opened = OpenThread(SYNCHRONIZE | THREAD_QUERY_INFORMATION, FALSE, id);
    printf("OpenThread by id: %d\n", opened != NULL);
    printf("the duplicated handle is not the pseudo-handle: %d\n",
           self_dup != NULL && self_dup != GetCurrentThread());
    SetEvent(release);
    printf("wait on the duplicated handle: %u\n", WaitForSingleObject(self_dup, INFINITE));
    printf("wait on the opened handle: %u\n", WaitForSingleObject(opened, INFINITE));
    GetExitCodeThread(opened, &code);
    printf("exit code through the opened handle: %u\n", code);
    printf("CloseHandle: %d %d %d\n", CloseHandle(t), CloseHandle(opened), CloseHandle(self_dup));
    SetLastError(0);
    BOOL again = CloseHandle(t);
    printf("CloseHandle again: %d, error %u\n", again, LAST_ERROR());
    SetLastError(0);
    s = WaitForSingleObject(t, 0);
    printf("WaitForSingleObject on a closed handle: %#x, error %u\n", s, LAST_ERROR());

    /* C36 for the main thread: ExitThread ends only this thread; the process goes on. */
    DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(), &main_thread,
                    0, FALSE, DUPLICATE_SAME_ACCESS);
    CloseHandle(start_thread(outlive_main, NULL, 0));
    fflush(stdout);
    ExitThread(3);
}
