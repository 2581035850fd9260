/*
 * The walkthrough's fix for the race: the worker waits alertably in a loop, so every APC
 * is delivered whenever it arrives. As in the walkthrough's timing (one APC queued per
 * time slice), the main thread queues the next APC only after the worker's SleepEx has
 * returned for the previous one, so each SleepEx delivers exactly one. A last APC ends the
 * worker with ExitThread.
 */
#include <windows.h>

static DWORD worker_id;
static HANDLE running, slept;

static const wchar_t *who(void)
{
    return GetCurrentThreadId() == worker_id ? L"worker" : L"main";
}

static void CALLBACK on_apc(ULONG_PTR value)
{
    wprintf(L"[%ls] APC delivered, value=%lu\n", who(), (unsigned long)value);
}

static void CALLBACK stop(ULONG_PTR code)
{
    wprintf(L"[%ls] asked to stop\n", who());
    ExitThread((DWORD)code);
}

static DWORD WINAPI worker(LPVOID unused)
{
    (void)unused;
    worker_id = GetCurrentThreadId();
    wprintf(L"[%ls] thread procedure running\n", who());
    SetEvent(running);
    DWORD r;
    while ((r = SleepEx(INFINITE, TRUE)) == WAIT_IO_COMPLETION) {
        wprintf(L"[%ls] SleepEx -> %u\n", who(), r);
        SetEvent(slept);
    }
    return r;
}

int main(void)
{
    running = CreateEventW(NULL, FALSE, FALSE, NULL);
    slept = CreateEventW(NULL, FALSE, FALSE, NULL);
    HANDLE thread = CreateThread(NULL, 0, worker, NULL, 0, NULL);
    if (thread == NULL) {
        wprintf(L"CreateThread failed: %u\n", GetLastError());
        return 1;
    }
    WaitForSingleObject(running, INFINITE);
    for (int q = 0; q < 1000; q++) {
        if (!QueueUserAPC(on_apc, thread, (ULONG_PTR)q)) {
            wprintf(L"QueueUserAPC failed at %d: %u\n", q, GetLastError());
            break;
        }
        WaitForSingleObject(slept, INFINITE);
    }
    QueueUserAPC(stop, thread, 7);
    WaitForSingleObject(thread, INFINITE);
    DWORD code = 0;
    GetExitCodeThread(thread, &code);
    wprintf(L"[%ls] worker ended with exit code %u\n", who(), code);
    CloseHandle(thread);
    return 0;
}
