/*
 * The walkthrough's race: the worker waits alertably only once. The main thread queues
 * APC 0, and (standing in for the walkthrough's Sleep(1) between queue calls) lets the
 * worker run it and leave its only alertable wait before queueing the other 999. Those
 * then never run: the worker's next wait is not alertable, and APCs still queued when a
 * thread ends die with it.
 */
#include <windows.h>

static DWORD worker_id;
static HANDLE running, slept, quit;
static LONG delivered;

static const wchar_t *who(void)
{
    return GetCurrentThreadId() == worker_id ? L"worker" : L"main";
}

static void CALLBACK on_apc(ULONG_PTR value)
{
    InterlockedIncrement(&delivered);
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
    SetEvent(slept);
    WaitForSingleObject(quit, INFINITE); /* a long, non-alertable wait */
    return 0;
}

int main(void)
{
    running = CreateEventW(NULL, FALSE, FALSE, NULL);
    slept = CreateEventW(NULL, FALSE, FALSE, NULL);
    quit = CreateEventW(NULL, TRUE, FALSE, NULL);
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
        if (q == 0)
            WaitForSingleObject(slept, INFINITE);
    }
    wprintf(L"[%ls] 1000 APCs queued, %d delivered\n", who(), (int)delivered);
    SetEvent(quit);
    WaitForSingleObject(thread, INFINITE);
    wprintf(L"[%ls] worker ended; APCs delivered in all: %d\n", who(), (int)delivered);
    SetLastError(0);
    DWORD ok = QueueUserAPC(on_apc, thread, 1000);
    wprintf(L"[%ls] QueueUserAPC to the ended worker: %u, error %u\n", who(), ok, GetLastError());
    CloseHandle(thread);
    return 0;
}
