/*
 * The first console experiment of the APC walkthrough: a worker thread waits alertably
 * in SleepEx, the main thread queues it one APC carrying 123, and the APC runs on the
 * worker, after which SleepEx returns WAIT_IO_COMPLETION (192).
 *
 * Thread ids differ from run to run, so lines name the thread ("worker", "main") by
 * comparing GetCurrentThreadId() with the worker's id. The main thread queues the APC
 * once the worker has said it is running (an event, not a sleep): queued earlier, the APC
 * would run before the thread procedure (see blog_suspended_thread.c).
 */
#include <windows.h>

static DWORD worker_id;
static HANDLE running;

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
    wprintf(L"[%ls] thread procedure running\n", who());
    SetEvent(running);
    DWORD r = SleepEx(INFINITE, TRUE);
    wprintf(L"[%ls] SleepEx -> %u\n", who(), r);
    return 0;
}

int main(void)
{
    running = CreateEventW(NULL, FALSE, FALSE, NULL);
    HANDLE thread = CreateThread(NULL, 0, worker, NULL, 0, NULL);
    if (thread == NULL) {
        wprintf(L"CreateThread failed: %u\n", GetLastError());
        return 1;
    }
    WaitForSingleObject(running, INFINITE);
    if (!QueueUserAPC(on_apc, thread, 123))
        wprintf(L"QueueUserAPC failed: %u\n", GetLastError());
    WaitForSingleObject(thread, INFINITE);
    CloseHandle(thread);
    return 0;
}
