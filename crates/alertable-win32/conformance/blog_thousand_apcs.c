/*
 * The walkthrough's thousand APCs: all of them are queued to one worker before it
 * waits, and its single alertable SleepEx runs them all, one at a time, in the order
 * queued, on the worker, then returns 192.
 *
 * The worker holds still in a plain (non-alertable) wait until the queueing is done, so
 * the outcome does not depend on how threads are scheduled.
 */
#include <windows.h>

static DWORD worker_id;
static HANDLE running, go;

static const wchar_t *who(void)
{
    return GetCurrentThreadId() == worker_id ? L"worker" : L"main";
}

static void CALLBACK on_apc(ULONG_PTR value)
{
    wprintf(L"[%ls] APC delivered, value=%lu\n", who(), (unsigned long)value);
}

static DWORD WINAPI worker(LPVOID unused)
{
    (void)unused;
    worker_id = GetCurrentThreadId();
    SetEvent(running);
    WaitForSingleObject(go, INFINITE);
    DWORD r = SleepEx(INFINITE, TRUE);
    wprintf(L"[%ls] SleepEx -> %u\n", who(), r);
    return 0;
}

int main(void)
{
    running = CreateEventW(NULL, FALSE, FALSE, NULL);
    go = CreateEventW(NULL, TRUE, FALSE, NULL);
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
    }
    wprintf(L"[%ls] 1000 APCs queued\n", who());
    SetEvent(go);
    WaitForSingleObject(thread, INFINITE);
    CloseHandle(thread);
    return 0;
}
