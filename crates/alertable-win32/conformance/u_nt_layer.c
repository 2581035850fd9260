/*
 * The NT layer and QueueUserAPC2: NtQueueApcThread(Ex), NtTestAlert, NtAlertThread,
 * NtDelayExecution, NtWaitForSingleObject, NtWaitForMultipleObjects and NtClose reached
 * through GetModuleHandleA("ntdll.dll") and GetProcAddress, as ported code reaches them
 * (A2, A3, A4, A5, A7, A8, A10, A11, A14, B17, B18, B22, B41, C38, D46, D47).
 */
#include "conformance.h"
#include <winternl.h>

typedef NTSTATUS(NTAPI *queue_apc_fn)(HANDLE, PNTAPCFUNC, ULONG_PTR, ULONG_PTR, ULONG_PTR);
typedef NTSTATUS(NTAPI *queue_apc_ex_fn)(HANDLE, HANDLE, PNTAPCFUNC, ULONG_PTR, ULONG_PTR,
                                         ULONG_PTR);
typedef NTSTATUS(NTAPI *test_alert_fn)(void);
typedef NTSTATUS(NTAPI *alert_thread_fn)(HANDLE);
typedef NTSTATUS(NTAPI *delay_fn)(BOOLEAN, const LARGE_INTEGER *);
typedef NTSTATUS(NTAPI *wait_one_fn)(HANDLE, BOOLEAN, const LARGE_INTEGER *);
typedef NTSTATUS(NTAPI *wait_many_fn)(ULONG, const HANDLE *, WAIT_TYPE, BOOLEAN,
                                      const LARGE_INTEGER *);
typedef NTSTATUS(NTAPI *close_fn)(HANDLE);
typedef BOOL(WINAPI *queue_user_apc2_fn)(PAPCFUNC, HANDLE, ULONG_PTR, QUEUE_USER_APC_FLAGS);

static queue_apc_fn pNtQueueApcThread;
static queue_apc_ex_fn pNtQueueApcThreadEx;
static test_alert_fn pNtTestAlert;
static alert_thread_fn pNtAlertThread;
static delay_fn pNtDelayExecution;
static wait_one_fn pNtWaitForSingleObject;
static wait_many_fn pNtWaitForMultipleObjects;
static close_fn pNtClose;
static queue_user_apc2_fn pQueueUserAPC2;

static volatile LONG ran;
static ULONG_PTR args[3];

static void CALLBACK count_apc(ULONG_PTR param)
{
    (void)param;
    InterlockedIncrement(&ran);
}

static void NTAPI nt_apc(ULONG_PTR a, ULONG_PTR b, ULONG_PTR c)
{
    args[0] = a;
    args[1] = b;
    args[2] = c;
    InterlockedIncrement(&ran);
}

/* A special APC: touches nothing but an interlocked counter. */
static void CALLBACK special_apc(ULONG_PTR param)
{
    InterlockedExchange((volatile LONG *)param, 1);
}

static void NTAPI special_nt_apc(ULONG_PTR param, ULONG_PTR b, ULONG_PTR c)
{
    (void)b;
    (void)c;
    InterlockedExchange((volatile LONG *)param, 1);
}

static DWORD WINAPI returns_at_once(LPVOID param)
{
    (void)param;
    return 0;
}

static DWORD WINAPI waits_on_event(LPVOID param)
{
    return WaitForSingleObject((HANDLE)param, INFINITE);
}

static DWORD WINAPI nt_waits_alertably(LPVOID param)
{
    return (DWORD)pNtWaitForSingleObject((HANDLE)param, TRUE, NULL);
}

static DWORD WINAPI win32_waits_alertably(LPVOID param)
{
    return WaitForSingleObjectEx((HANDLE)param, INFINITE, TRUE);
}

static LARGE_INTEGER ms(LONGLONG milliseconds)
{
    LARGE_INTEGER t;
    t.QuadPart = -milliseconds * 10000;
    return t;
}

#define FIND(module, name) (p##name = (void *)GetProcAddress(module, #name)) != NULL

int main(void)
{
    /* The modules and their exports. */
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    HMODULE kernel32 = GetModuleHandleW(L"KERNEL32.DLL");
    printf("GetModuleHandle ntdll, kernel32: %d %d\n", ntdll != NULL, kernel32 != NULL);
    printf("found: %d %d %d %d %d %d %d %d %d\n", FIND(ntdll, NtQueueApcThread),
           FIND(ntdll, NtQueueApcThreadEx), FIND(ntdll, NtTestAlert), FIND(ntdll, NtAlertThread),
           FIND(ntdll, NtDelayExecution), FIND(ntdll, NtWaitForSingleObject),
           FIND(ntdll, NtWaitForMultipleObjects), FIND(ntdll, NtClose),
           FIND(kernel32, QueueUserAPC2));
    SetLastError(0);
    int found = GetProcAddress(ntdll, "QueueUserAPC") != NULL;
    printf("QueueUserAPC in ntdll: %d, error %u\n", found, LAST_ERROR());
    SetLastError(0);
    found = GetModuleHandleA("no-such-module.dll") != NULL;
    printf("a module that is not there: %d, error %u\n", found, LAST_ERROR());
    HMODULE loaded = LoadLibraryA("kernel32.dll");
    printf("LoadLibraryA(kernel32) is kernel32: %d, FreeLibrary: %d\n", loaded == kernel32,
           FreeLibrary(loaded));

    /* A7: QueueUserAPC2 without flags is QueueUserAPC. */
    ran = 0;
    BOOL ok = pQueueUserAPC2(count_apc, GetCurrentThread(), 0, QUEUE_USER_APC_FLAGS_NONE);
    printf("A7 QueueUserAPC2 NONE: %d, ran %d\n", ok, (int)ran);
    DWORD r = SleepEx(0, TRUE);
    printf("A7 SleepEx(0, TRUE): %u, ran %d\n", r, (int)ran);

    /* A8: a special APC to self has run when the call returns. */
    volatile LONG special = 0;
    ok = pQueueUserAPC2(special_apc, GetCurrentThread(), (ULONG_PTR)&special,
                        QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC);
    printf("A8 QueueUserAPC2 SPECIAL to self: %d, ran %d\n", ok, (int)special);
    printf("A8 SleepEx(0, TRUE) after it: %u\n", SleepEx(0, TRUE));

    /* A8: a special APC runs on a thread blocked in a non-alertable wait, which goes on. */
    HANDLE event = CreateEventW(NULL, FALSE, FALSE, NULL);
    HANDLE waiter = start_thread(waits_on_event, event, 0);
    special = 0;
    ok = pQueueUserAPC2(special_apc, waiter, (ULONG_PTR)&special,
                        QUEUE_USER_APC_FLAGS_SPECIAL_USER_APC);
    while (InterlockedCompareExchange(&special, 1, 1) == 0)
        SwitchToThread();
    r = WaitForSingleObject(waiter, 0);
    printf("A8 special APC to a waiting thread: %d, ran %d, still waiting %u\n", ok,
           (int)special, r);
    SetEvent(event);
    DWORD code = 0;
    WaitForSingleObject(waiter, INFINITE);
    GetExitCodeThread(waiter, &code);
    printf("A8 its wait then returned %u\n", code);
    CloseHandle(waiter);

    /* A2, A5, A14: NtQueueApcThread. */
    printf("A2 NtQueueApcThread(NULL routine): %#x\n",
           (unsigned)pNtQueueApcThread(GetCurrentThread(), NULL, 0, 0, 0));
    printf("A2 SleepEx(10, TRUE) after it: %u\n", SleepEx(10, TRUE));
    printf("A5 NtQueueApcThread(0xdeadbeef): %#x\n",
           (unsigned)pNtQueueApcThread((HANDLE)(ULONG_PTR)0xdeadbeef, nt_apc, 0, 0, 0));
    ran = 0;
    printf("A14 NtQueueApcThread: %#x\n",
           (unsigned)pNtQueueApcThread(GetCurrentThread(), nt_apc, 0x1234, 0x5678, 0xdeadbeef));
    r = SleepEx(0, TRUE);
    printf("A14 SleepEx(0, TRUE): %u, arguments %#llx %#llx %#llx\n", r,
           (unsigned long long)args[0], (unsigned long long)args[1],
           (unsigned long long)args[2]);

    /* A3: NtTestAlert runs pending APCs and returns STATUS_SUCCESS. */
    ran = 0;
    QueueUserAPC(count_apc, GetCurrentThread(), 0);
    NTSTATUS status = pNtTestAlert();
    printf("A3 NtTestAlert: %#x, ran %d\n", (unsigned)status, (int)ran);
    status = pNtTestAlert();
    printf("A3 NtTestAlert again: %#x, ran %d\n", (unsigned)status, (int)ran);

    /* A4: a thread that has exited. */
    HANDLE done = start_thread(returns_at_once, NULL, 0);
    WaitForSingleObject(done, INFINITE);
    status = pNtQueueApcThread(done, nt_apc, 0, 0, 0);
    printf("A4 NtQueueApcThread to an exited thread: %#x, with NULL: %#x\n", (unsigned)status,
           (unsigned)pNtQueueApcThread(done, NULL, 0, 0, 0));

    /* A10, A11: NtQueueApcThreadEx's reserve handle. */
    special = 0;
    status = pNtQueueApcThreadEx(GetCurrentThread(), (HANDLE)1, special_nt_apc,
                                 (ULONG_PTR)&special, 0, 0);
    printf("A10 NtQueueApcThreadEx(SPECIAL): %#x, ran %d\n", (unsigned)status, (int)special);
    printf("A10 NtQueueApcThreadEx(CALLBACK_DATA_CONTEXT): %#x\n",
           (unsigned)pNtQueueApcThreadEx(GetCurrentThread(), (HANDLE)0x10000, nt_apc, 0, 0, 0));
    printf("A11 NtQueueApcThreadEx(thread as reserve): %#x\n",
           (unsigned)pNtQueueApcThreadEx(GetCurrentThread(), done, nt_apc, 0, 0, 0));
    CloseHandle(done);

    /* B17, B18: NtDelayExecution, and the last error stays. */
    LARGE_INTEGER zero = ms(0), one = ms(1);
    SetLastError(0xdeadbeef);
    status = pNtDelayExecution(FALSE, &zero);
    printf("B17 NtDelayExecution(FALSE, 0) is SUCCESS or NO_YIELD: %d\n",
           status == STATUS_SUCCESS || status == STATUS_NO_YIELD_PERFORMED);
    printf("B17 NtDelayExecution(FALSE, 1 ms): %#x\n", (unsigned)pNtDelayExecution(FALSE, &one));
    printf("B17 NtDelayExecution(TRUE, 1 ms): %#x\n", (unsigned)pNtDelayExecution(TRUE, &one));
    ran = 0;
    QueueUserAPC(count_apc, GetCurrentThread(), 0);
    status = pNtDelayExecution(TRUE, &zero);
    printf("B17 NtDelayExecution(TRUE, 0) with an APC: %#x, ran %d\n", (unsigned)status,
           (int)ran);
    printf("B18 last error: %#x\n", LAST_ERROR());

    /* B22, C38, D46, D47: the NT waits. */
    HANDLE sem = CreateSemaphoreW(NULL, 0, 1, NULL);
    LARGE_INTEGER second = ms(1000), fifth = ms(200), tenth = ms(100);
    QueueUserAPC(count_apc, GetCurrentThread(), 0);
    printf("B22 NtWaitForMultipleObjects alertable with an APC: %#x\n",
           (unsigned)pNtWaitForMultipleObjects(1, &sem, WaitAny, TRUE, &second));
    ReleaseSemaphore(sem, 1, NULL);
    printf("B22 then with a count: %#x\n",
           (unsigned)pNtWaitForMultipleObjects(1, &sem, WaitAll, TRUE, &fifth));
    printf("B22 then empty: %#x\n", (unsigned)pNtWaitForSingleObject(sem, FALSE, &zero));
    printf("C38 NtWaitForSingleObject(GetCurrentThread()): %#x\n",
           (unsigned)pNtWaitForSingleObject(GetCurrentThread(), FALSE, &tenth));
    printf("D46 NtWaitForMultipleObjects(0 objects): %#x\n",
           (unsigned)pNtWaitForMultipleObjects(0, &sem, WaitAny, FALSE, &zero));
    HANDLE pseudo = GetCurrentThread();
    printf("D47 NtWaitForMultipleObjects(a pseudo-handle): %#x\n",
           (unsigned)pNtWaitForMultipleObjects(1, &pseudo, WaitAny, FALSE, &zero));

    /* B41: alerts. */
    printf("B41 NtAlertThread(self): %#x\n", (unsigned)pNtAlertThread(GetCurrentThread()));
    pNtAlertThread(GetCurrentThread());
    printf("B41 NtDelayExecution(TRUE, 1 s) alerted: %#x\n",
           (unsigned)pNtDelayExecution(TRUE, &second));
    printf("B41 alerts do not accumulate: %#x\n", (unsigned)pNtDelayExecution(TRUE, &zero));
    pNtAlertThread(GetCurrentThread());
    printf("B41 a non-alertable wait leaves the alert: %#x\n",
           (unsigned)pNtWaitForSingleObject(sem, FALSE, &zero));
    printf("B41 SleepEx(50, TRUE) sleeps on after it: %u\n", SleepEx(50, TRUE));
    printf("B41 NtDelayExecution(TRUE, 0) after that: %#x\n",
           (unsigned)pNtDelayExecution(TRUE, &zero));
    ran = 0;
    QueueUserAPC(count_apc, GetCurrentThread(), 0);
    pNtAlertThread(GetCurrentThread());
    status = pNtTestAlert();
    printf("B41 NtTestAlert with an alert and an APC: %#x, ran %d\n", (unsigned)status, (int)ran);
    r = SleepEx(0, TRUE);
    printf("B41 SleepEx(0, TRUE) then: %u, ran %d\n", r, (int)ran);

    /* B41: across threads. */
    HANDLE never = CreateEventW(NULL, TRUE, FALSE, NULL);
    HANDLE nt_waiter = start_thread(nt_waits_alertably, never, 0);
    pNtAlertThread(nt_waiter);
    WaitForSingleObject(nt_waiter, INFINITE);
    GetExitCodeThread(nt_waiter, &code);
    printf("B41 NtWaitForSingleObject alerted by another thread: %#x\n", code);
    CloseHandle(nt_waiter);
    HANDLE win32_waiter = start_thread(win32_waits_alertably, event, 0);
    pNtAlertThread(win32_waiter);
    SetEvent(event);
    WaitForSingleObject(win32_waiter, INFINITE);
    GetExitCodeThread(win32_waiter, &code);
    printf("B41 WaitForSingleObjectEx waits on after an alert: %u\n", code);
    CloseHandle(win32_waiter);

    /* NtClose. */
    status = pNtClose(never);
    printf("NtClose: %#x, again: %#x\n", (unsigned)status, (unsigned)pNtClose(never));
    CloseHandle(sem);
    CloseHandle(event);
    return 0;
}
