/* The companions ported programs use: critical sections, SRW locks, condition variables,
 * Interlocked functions, clocks, temporary files, TEXT and wide strings. */
#include "conformance.h"
#include <string.h>
#include <wchar.h>

static CRITICAL_SECTION cs;
static long long counter;
static SRWLOCK lock = SRWLOCK_INIT;
static CONDITION_VARIABLE changed = CONDITION_VARIABLE_INIT;
static int queue[16], head, tail, closed;
static long long consumed_sum;
static int consumed;

static DWORD WINAPI add_under_cs(LPVOID param)
{
    (void)param;
    for (int i = 0; i < 10000; i++) {
        EnterCriticalSection(&cs);
        EnterCriticalSection(&cs); /* recursive */
        counter++;
        LeaveCriticalSection(&cs);
        LeaveCriticalSection(&cs);
    }
    return 0;
}

static DWORD WINAPI try_enter(LPVOID param)
{
    (void)param;
    BOOL got = TryEnterCriticalSection(&cs);
    if (got)
        LeaveCriticalSection(&cs);
    return (DWORD)got;
}

static DWORD WINAPI consume(LPVOID param)
{
    (void)param;
    AcquireSRWLockExclusive(&lock);
    for (;;) {
        while (head == tail && !closed)
            SleepConditionVariableSRW(&changed, &lock, INFINITE, 0);
        if (head == tail && closed)
            break;
        consumed_sum += queue[head % 16];
        consumed++;
        head++;
        WakeAllConditionVariable(&changed);
    }
    ReleaseSRWLockExclusive(&lock);
    return 0;
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
    /* Critical sections: mutual exclusion, recursion, TryEnter from another thread. */
    InitializeCriticalSection(&cs);
    HANDLE t[4];
    for (int i = 0; i < 4; i++)
        t[i] = start_thread(add_under_cs, NULL, 0);
    for (int i = 0; i < 4; i++)
        join_thread(t[i]);
    printf("critical section: 4 threads x 10000 increments: %lld\n", counter);
    EnterCriticalSection(&cs);
    EnterCriticalSection(&cs);
    printf("TryEnterCriticalSection from another thread while held: %u\n", run(try_enter));
    LeaveCriticalSection(&cs);
    printf("after one of two leaves: %u\n", run(try_enter));
    LeaveCriticalSection(&cs);
    printf("after both leaves: %u\n", run(try_enter));
    SetLastError(0);
    EnterCriticalSection(&cs);
    CONDITION_VARIABLE cv;
    InitializeConditionVariable(&cv);
    BOOL woke = SleepConditionVariableCS(&cv, &cs, 10);
    printf("SleepConditionVariableCS timing out: %d, error %u\n", woke, LAST_ERROR());
    LeaveCriticalSection(&cs);
    printf("the section was entered again after the sleep: %u\n", run(try_enter));
    DeleteCriticalSection(&cs);

    /* SRW lock and condition variable: a bounded queue, one producer, two consumers. */
    HANDLE c1 = start_thread(consume, NULL, 0);
    HANDLE c2 = start_thread(consume, NULL, 0);
    AcquireSRWLockExclusive(&lock);
    for (int i = 1; i <= 1000; i++) {
        while (tail - head == 16)
            SleepConditionVariableSRW(&changed, &lock, INFINITE, 0);
        queue[tail % 16] = i;
        tail++;
        WakeConditionVariable(&changed);
    }
    closed = 1;
    WakeAllConditionVariable(&changed);
    ReleaseSRWLockExclusive(&lock);
    join_thread(c1);
    join_thread(c2);
    printf("SRW lock and condition variable: consumed %d items, sum %lld\n", consumed, consumed_sum);
    AcquireSRWLockShared(&lock);
    BOOLEAN shared_too = TryAcquireSRWLockShared(&lock);
    BOOLEAN exclusive = TryAcquireSRWLockExclusive(&lock);
    printf("held shared: TryAcquireShared %d, TryAcquireExclusive %d\n", shared_too, exclusive);
    ReleaseSRWLockShared(&lock);
    ReleaseSRWLockShared(&lock);
    printf("released: TryAcquireExclusive %d\n", TryAcquireSRWLockExclusive(&lock));
    ReleaseSRWLockExclusive(&lock);

    /* Interlocked. */
    LONG volatile v = 5;
    LONG a = InterlockedIncrement(&v);
    LONG b = InterlockedDecrement(&v);
    LONG c = InterlockedExchange(&v, 42);
    LONG d = InterlockedCompareExchange(&v, 7, 41);
    LONG e = InterlockedCompareExchange(&v, 7, 42);
    printf("Interlocked: increment %d, decrement %d, exchange %d, compare-exchange %d then %d, "
           "value %d\n",
           (int)a, (int)b, (int)c, (int)d, (int)e, (int)v);

    /* Clocks. */
    ULONGLONG t1 = GetTickCount64();
    Sleep(2);
    ULONGLONG t2 = GetTickCount64();
    printf("GetTickCount64 does not go back: %d\n", t2 >= t1);
    FILETIME ft;
    GetSystemTimeAsFileTime(&ft);
    ULONGLONG since_1601 = ((ULONGLONG)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
    printf("GetSystemTimeAsFileTime is after 2020: %d\n", since_1601 > 132223104000000000ULL);
    printf("GetCurrentProcessId and GetCurrentThreadId are not 0: %d %d\n",
           GetCurrentProcessId() != 0, GetCurrentThreadId() != 0);

    /* Temporary files. */
    char dir[MAX_PATH];
    DWORD n = GetTempPathA(MAX_PATH, dir);
    printf("GetTempPathA: length matches %d, ends with a separator %d\n", n == strlen(dir),
           dir[n - 1] == '/' || dir[n - 1] == '\\');
    printf("GetTempPathA with a small buffer asks for length + 1: %d\n",
           GetTempPathA(1, dir) == n + 1);
    n = GetTempPathA(MAX_PATH, dir);
    WCHAR wdir[MAX_PATH];
    printf("GetTempPathW has the same length: %d\n", GetTempPathW(MAX_PATH, wdir) == n);
    char name[MAX_PATH];
    UINT unique = GetTempFileNameA(dir, "cnf", 0, name);
    FILE *f = fopen(name, "r");
    printf("GetTempFileNameA(unique 0) creates the file: %d %d\n", unique != 0, f != NULL);
    if (f)
        fclose(f);
    remove(name);
    unique = GetTempFileNameA(dir, "cnf", 0x1234, name);
    size_t len = strlen(name);
    printf("GetTempFileNameA(0x1234): %#x, name ends with cnf1234.tmp: %d\n", unique,
           len > 11 && strcmp(name + len - 11, "cnf1234.tmp") == 0);
    WCHAR wname[MAX_PATH];
    unique = GetTempFileNameW(wdir, L"cnf", 0x1234, wname);
    printf("GetTempFileNameW(0x1234): %#x, same name: %d\n", unique, wcslen(wname) == len);

    /* TEXT and wide literals. */
    const WCHAR *wide = L"wide";
    const CHAR *narrow = TEXT("narrow");
    printf("L\"wide\" has %d characters, TEXT(\"narrow\") without UNICODE is narrow: %d\n",
           (int)wcslen(wide), (int)strlen(narrow));
    return 0;
}
