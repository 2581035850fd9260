/*
 * The walkthrough's way to run APCs before a thread procedure: create the thread
 * suspended, queue the APCs, resume it. They run first, in the order queued, and the
 * thread procedure after them; nothing runs while the thread is suspended.
 */
#include <windows.h>

static DWORD worker_id;

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
    wprintf(L"[%ls] thread procedure running\n", who());
    DWORD r = SleepEx(0, TRUE);
    wprintf(L"[%ls] SleepEx(0, TRUE) -> %u: nothing was left to run\n", who(), r);
    return 0;
}

int main(void)
{
    HANDLE thread = CreateThread(NULL, 0, worker, NULL, CREATE_SUSPENDED, &worker_id);
    if (thread == NULL) {
        wprintf(L"CreateThread failed: %u\n", GetLastError());
        return 1;
    }
    wprintf(L"[%ls] worker created suspended\n", who());
    QueueUserAPC(on_apc, thread, 123);
    QueueUserAPC(on_apc, thread, 456);
    wprintf(L"[%ls] two APCs queued; still suspended: %u\n", who(),
            WaitForSingleObject(thread, 100));
    ResumeThread(thread);
    WaitForSingleObject(thread, INFINITE);
    wprintf(L"[%ls] worker finished\n", who());
    CloseHandle(thread);
    return 0;
}
