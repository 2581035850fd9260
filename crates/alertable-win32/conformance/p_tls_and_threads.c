/* Thread local storage, thread and process ids, priorities, descriptions, and the
 * Interlocked family, as their documentation pages describe them (learn.microsoft.com:
 * TlsAlloc, TlsGetValue, TlsSetValue, TlsFree, GetThreadId, GetProcessId,
 * SetThreadPriority, GetThreadPriority, SetThreadDescription, GetThreadDescription
 * (processthreadsapi.h); InterlockedAdd, InterlockedAnd, InterlockedOr, InterlockedXor,
 * InterlockedExchangeAdd, their 64-bit forms, InterlockedCompareExchange64,
 * InterlockedExchangePointer, InterlockedCompareExchangePointer (winnt.h)). */
#include "conformance.h"
#include <string.h>
#include <wchar.h>

static DWORD tls_index;
static HANDLE set_here, check_main;

/* Another thread's slot starts NULL, and its own value does not change the main
 * thread's. */
static DWORD WINAPI other_thread(LPVOID param)
{
    (void)param;
    LPVOID seen = TlsGetValue(tls_index);
    TlsSetValue(tls_index, (LPVOID)0x5678);
    DWORD own = (DWORD)(ULONG_PTR)TlsGetValue(tls_index);
    SetEvent(set_here);
    WaitForSingleObject(check_main, INFINITE);
    return seen == NULL && own == 0x5678;
}

static DWORD WINAPI idle(LPVOID param)
{
    WaitForSingleObject((HANDLE)param, INFINITE);
    return 0;
}

int main(void)
{
    /* ---- TLS ---- */
    tls_index = TlsAlloc();
    printf("TlsAlloc: %s\n", tls_index != TLS_OUT_OF_INDEXES ? "an index" : "TLS_OUT_OF_INDEXES");
    /* TlsGetValue "calls SetLastError to clear a thread's last error value when it
     * succeeds": a NULL value is told from a failure by GetLastError() == ERROR_SUCCESS. */
    SetLastError(12345);
    LPVOID v = TlsGetValue(tls_index);
    printf("TlsGetValue before any TlsSetValue: %s, last error %u\n", v ? "a value" : "NULL",
           LAST_ERROR());
    printf("TlsSetValue: %d\n", TlsSetValue(tls_index, (LPVOID)0x1234));
    SetLastError(12345);
    v = TlsGetValue(tls_index);
    printf("TlsGetValue: 0x%x, last error %u\n", (unsigned)(ULONG_PTR)v, LAST_ERROR());
    set_here = CreateEventA(NULL, FALSE, FALSE, NULL);
    check_main = CreateEventA(NULL, FALSE, FALSE, NULL);
    HANDLE t = start_thread(other_thread, NULL, 0);
    WaitForSingleObject(set_here, INFINITE);
    printf("another thread: its own slot started NULL and holds its value: ");
    printf("main's value still 0x%x\n", (unsigned)(ULONG_PTR)TlsGetValue(tls_index));
    SetEvent(check_main);
    WaitForSingleObject(t, INFINITE);
    DWORD ok;
    GetExitCodeThread(t, &ok);
    CloseHandle(t);
    printf("  (the other thread's checks: %u)\n", (unsigned)ok);
    printf("TlsFree: %d\n", TlsFree(tls_index));
    /* TLS_MINIMUM_AVAILABLE: every process has at least 64 indexes. */
    static DWORD taken[2000];
    int count = 0;
    for (;;) {
        DWORD i = TlsAlloc();
        if (i == TLS_OUT_OF_INDEXES)
            break;
        taken[count++] = i;
    }
    printf("TlsAlloc until TLS_OUT_OF_INDEXES: at least TLS_MINIMUM_AVAILABLE (%d) %d\n",
           TLS_MINIMUM_AVAILABLE, count >= TLS_MINIMUM_AVAILABLE);
    for (int i = 0; i < count; i++)
        TlsFree(taken[i]);
    /* "When the index is allocated, the data in the slot is initialized to zero" — also an
     * index freed and allocated again. */
    DWORD again = TlsAlloc();
    TlsSetValue(again, (LPVOID)0x99);
    TlsFree(again);
    again = TlsAlloc();
    printf("a reallocated index starts NULL: %d\n", TlsGetValue(again) == NULL);
    TlsFree(again);

    /* ---- Ids ---- */
    printf("GetThreadId(GetCurrentThread()) == GetCurrentThreadId(): %d\n",
           GetThreadId(GetCurrentThread()) == GetCurrentThreadId());
    HANDLE go = CreateEventA(NULL, TRUE, FALSE, NULL);
    DWORD id = 0;
    HANDLE worker = CreateThread(NULL, 0, idle, go, 0, &id);
    printf("GetThreadId(CreateThread's handle) == its id: %d\n", GetThreadId(worker) == id);
    printf("GetProcessId(GetCurrentProcess()) == GetCurrentProcessId(): %d\n",
           GetProcessId(GetCurrentProcess()) == GetCurrentProcessId());
    SetLastError(0);
    DWORD no_id = GetThreadId(go);
    printf("GetThreadId(an event): %u, last error %u\n", (unsigned)no_id, LAST_ERROR());

    /* ---- Priorities ---- */
    printf("GetThreadPriority of a new thread: %d\n", GetThreadPriority(worker));
    BOOL set = SetThreadPriority(worker, THREAD_PRIORITY_BELOW_NORMAL);
    printf("SetThreadPriority(THREAD_PRIORITY_BELOW_NORMAL): %d, then %d\n", set,
           GetThreadPriority(worker));
    set = SetThreadPriority(worker, THREAD_PRIORITY_HIGHEST);
    printf("SetThreadPriority(THREAD_PRIORITY_HIGHEST): %d, then %d\n", set,
           GetThreadPriority(worker));
    /* Outside the REALTIME class, 3 to 6 and -3 to -7 are not priorities. */
    SetLastError(0);
    set = SetThreadPriority(worker, 5);
    printf("SetThreadPriority(5): %d, last error %u\n", set, LAST_ERROR());
    SetLastError(0);
    int bad = GetThreadPriority(go);
    printf("GetThreadPriority(an event): 0x%x, last error %u\n", (unsigned)bad, LAST_ERROR());

    /* ---- Descriptions ---- */
    HRESULT hr = SetThreadDescription(worker, L"worker-7");
    PWSTR description = NULL;
    HRESULT hr2 = GetThreadDescription(worker, &description);
    printf("SetThreadDescription: 0x%x; GetThreadDescription: 0x%x \"%ls\"\n", (unsigned)hr,
           (unsigned)hr2, description);
    LocalFree(description);
    printf("SetThreadDescription(an event): FAILED %d\n",
           FAILED(SetThreadDescription(go, L"x")));
    SetEvent(go);
    join_thread(worker);
    CloseHandle(go);

    /* ---- Interlocked ---- */
    /* Each result is taken in its own statement: C leaves the order of a call's arguments
     * open. The ...Add forms return the new value, the others the old one. */
    LONG volatile l = 5;
    LONG r1 = InterlockedExchangeAdd(&l, 3);
    printf("InterlockedExchangeAdd %d -> %d, ", (int)r1, (int)l);
    r1 = InterlockedAdd(&l, -10);
    printf("InterlockedAdd %d, ", (int)r1);
    l = 0x0F;
    r1 = InterlockedAnd(&l, 0x3C);
    printf("And %d -> %d, ", (int)r1, (int)l);
    r1 = InterlockedOr(&l, 0x40);
    printf("Or %d -> %d, ", (int)r1, (int)l);
    r1 = InterlockedXor(&l, 0xFF);
    printf("Xor %d -> %d\n", (int)r1, (int)l);
    LONG64 volatile q = 1LL << 40;
    LONG64 r2 = InterlockedIncrement64(&q);
    LONG64 r3 = InterlockedDecrement64(&q);
    printf("InterlockedIncrement64 %lld, Decrement64 %lld, ", (long long)r2, (long long)r3);
    r2 = InterlockedExchange64(&q, 7);
    printf("Exchange64 %lld -> %lld, ", (long long)r2, (long long)q);
    r2 = InterlockedCompareExchange64(&q, 9, 8);
    r3 = InterlockedCompareExchange64(&q, 9, 7);
    printf("CompareExchange64 %lld %lld -> %lld, ", (long long)r2, (long long)r3, (long long)q);
    r2 = InterlockedExchangeAdd64(&q, 1);
    r3 = InterlockedAdd64(&q, 1LL << 33);
    printf("ExchangeAdd64 %lld, Add64 %lld\n", (long long)r2, (long long)r3);
    q = 0x0F;
    r2 = InterlockedAnd64(&q, 6);
    r3 = InterlockedOr64(&q, 0x100);
    LONG64 r4 = InterlockedXor64(&q, 0x101);
    printf("And64 %lld, Or64 %lld, Xor64 %lld -> %lld\n", (long long)r2, (long long)r3,
           (long long)r4, (long long)q);
    static int a, b;
    PVOID volatile ptr = &a;
    int old_a = InterlockedExchangePointer(&ptr, &b) == &a;
    printf("InterlockedExchangePointer returns the old %d, holds the new %d; ", old_a, ptr == &b);
    int no_match = InterlockedCompareExchangePointer(&ptr, NULL, &a) == &b;
    int match = InterlockedCompareExchangePointer(&ptr, NULL, &b) == &b;
    printf("CompareExchangePointer: no match %d, match %d, holds %d\n", no_match, match,
           ptr == NULL);
    MemoryBarrier();
    YieldProcessor();
    printf("MemoryBarrier and YieldProcessor compile and run\n");
    return 0;
}
