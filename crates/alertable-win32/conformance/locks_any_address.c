/* SRW locks, condition variables and critical sections at every byte offset 0-7 from an
 * 8-byte boundary (Windows on x86-64 gives them their full behaviour at any address), SRW
 * locks' writers-first rule, the value an aligned SRWLOCK shows, and CRITICAL_SECTION's
 * DebugInfo. Each line lists the results at the offsets 0 to 7 in order. */
#include "conformance.h"
#include <string.h>

static _Alignas(8) unsigned char lock_storage[64];
static _Alignas(8) unsigned char cv_storage[64];
static _Alignas(8) unsigned char cs_storage[64];

static SRWLOCK *srw;
static CONDITION_VARIABLE *cv;
static CRITICAL_SECTION *cs;

/* What the threads below append to, in the order they get the lock. */
static char order[8];
static LONG order_len;
static HANDLE started;
static LONG sleepers;

static void record(char c)
{
    order[InterlockedIncrement(&order_len) - 1] = c;
}

static DWORD WINAPI other_try_shared(LPVOID param)
{
    (void)param;
    BOOLEAN got = TryAcquireSRWLockShared(srw);
    if (got)
        ReleaseSRWLockShared(srw);
    return got;
}

static DWORD WINAPI other_try_exclusive(LPVOID param)
{
    (void)param;
    BOOLEAN got = TryAcquireSRWLockExclusive(srw);
    if (got)
        ReleaseSRWLockExclusive(srw);
    return got;
}

static DWORD WINAPI other_try_enter(LPVOID param)
{
    (void)param;
    BOOL got = TryEnterCriticalSection(cs);
    if (got)
        LeaveCriticalSection(cs);
    return (DWORD)got;
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

static DWORD WINAPI writer(LPVOID param)
{
    (void)param;
    AcquireSRWLockExclusive(srw);
    record('W');
    ReleaseSRWLockExclusive(srw);
    return 0;
}

static DWORD WINAPI reader(LPVOID param)
{
    (void)param;
    SetEvent(started);
    AcquireSRWLockShared(srw);
    record('R');
    ReleaseSRWLockShared(srw);
    return 0;
}

static DWORD WINAPI sleeper(LPVOID param)
{
    BOOL r;
    if (param == NULL) {
        AcquireSRWLockExclusive(srw);
        sleepers++;
        r = SleepConditionVariableSRW(cv, srw, INFINITE, 0);
        ReleaseSRWLockExclusive(srw);
    } else {
        EnterCriticalSection(cs);
        sleepers++;
        r = SleepConditionVariableCS(cv, cs, INFINITE);
        LeaveCriticalSection(cs);
    }
    return (DWORD)r;
}

/* Starts `n` sleepers on the condition variable (with the critical section if
 * `with_cs`), wakes them once every one sleeps, and returns how many returned TRUE. */
static int wake_sleepers(int n, BOOL with_cs)
{
    HANDLE t[2];
    sleepers = 0;
    for (int i = 0; i < n; i++)
        t[i] = start_thread(sleeper, with_cs ? (LPVOID)1 : NULL, 0);
    /* A sleeper counts itself under the lock and gives the lock up only by sleeping:
     * holding the lock with every sleeper counted means they all sleep. */
    for (;;) {
        if (with_cs)
            EnterCriticalSection(cs);
        else
            AcquireSRWLockExclusive(srw);
        if (sleepers == n)
            break;
        if (with_cs)
            LeaveCriticalSection(cs);
        else
            ReleaseSRWLockExclusive(srw);
        SwitchToThread();
    }
    if (n == 1)
        WakeConditionVariable(cv);
    else
        WakeAllConditionVariable(cv);
    if (with_cs)
        LeaveCriticalSection(cs);
    else
        ReleaseSRWLockExclusive(srw);
    int woken = 0;
    for (int i = 0; i < n; i++) {
        WaitForSingleObject(t[i], INFINITE);
        DWORD code;
        GetExitCodeThread(t[i], &code);
        CloseHandle(t[i]);
        woken += code == TRUE;
    }
    return woken;
}

static void *debug_info(void)
{
    void *p;
    memcpy(&p, (unsigned char *)cs + offsetof(CRITICAL_SECTION, DebugInfo), sizeof p);
    return p;
}

int main(void)
{
    started = CreateEventA(NULL, FALSE, FALSE, NULL);

    printf("SRW exclusive: own try, others' shared and exclusive tries, after release:");
    for (int offset = 0; offset < 8; offset++) {
        srw = (SRWLOCK *)(lock_storage + offset);
        InitializeSRWLock(srw);
        BOOLEAN mine = TryAcquireSRWLockExclusive(srw);
        DWORD s = run(other_try_shared), e = run(other_try_exclusive);
        ReleaseSRWLockExclusive(srw);
        printf(" %d%u%u%u", mine, s, e, run(other_try_exclusive));
    }
    printf("\n");

    printf("SRW shared: others' shared and exclusive tries:");
    for (int offset = 0; offset < 8; offset++) {
        srw = (SRWLOCK *)(lock_storage + offset);
        AcquireSRWLockShared(srw);
        printf(" %u%u", run(other_try_shared), run(other_try_exclusive));
        ReleaseSRWLockShared(srw);
    }
    printf("\n");

    printf("SRW writers first: order of a waiting writer and a later reader:");
    for (int offset = 0; offset < 8; offset++) {
        srw = (SRWLOCK *)(lock_storage + offset);
        order_len = 0;
        AcquireSRWLockShared(srw);
        HANDLE w = start_thread(writer, NULL, 0);
        /* Once the writer waits, TryAcquireSRWLockShared fails. */
        while (TryAcquireSRWLockShared(srw)) {
            ReleaseSRWLockShared(srw);
            SwitchToThread();
        }
        HANDLE r = start_thread(reader, NULL, 0);
        WaitForSingleObject(started, INFINITE);
        ReleaseSRWLockShared(srw);
        join_thread(w);
        join_thread(r);
        printf(" %.2s", order);
    }
    printf("\n");

    srw = (SRWLOCK *)lock_storage;
    InitializeSRWLock(srw);
    printf("aligned SRWLOCK value: free %#zx", (size_t)srw->Ptr);
    AcquireSRWLockExclusive(srw);
    printf(", exclusive %#zx", (size_t)srw->Ptr);
    ReleaseSRWLockExclusive(srw);
    AcquireSRWLockShared(srw);
    printf(", shared %#zx", (size_t)srw->Ptr);
    AcquireSRWLockShared(srw);
    printf(", shared twice %#zx", (size_t)srw->Ptr);
    ReleaseSRWLockShared(srw);
    ReleaseSRWLockShared(srw);
    printf(", released %#zx\n", (size_t)srw->Ptr);

    printf("untriggered sleeps (SRW exclusive, SRW shared, critical section) time out:");
    for (int offset = 0; offset < 8; offset++) {
        cv = (CONDITION_VARIABLE *)(cv_storage + offset);
        srw = (SRWLOCK *)(lock_storage + (offset + 3) % 8);
        cs = (CRITICAL_SECTION *)(cs_storage + (offset + 5) % 8);
        InitializeConditionVariable(cv);
        InitializeSRWLock(srw);
        InitializeCriticalSection(cs);
        WakeConditionVariable(cv); /* nobody sleeps: not kept */
        AcquireSRWLockExclusive(srw);
        BOOL a = SleepConditionVariableSRW(cv, srw, 10, 0);
        DWORD ea = LAST_ERROR();
        ReleaseSRWLockExclusive(srw);
        AcquireSRWLockShared(srw);
        BOOL b = SleepConditionVariableSRW(cv, srw, 10, CONDITION_VARIABLE_LOCKMODE_SHARED);
        DWORD eb = LAST_ERROR();
        ReleaseSRWLockShared(srw);
        EnterCriticalSection(cs);
        BOOL c = SleepConditionVariableCS(cv, cs, 10);
        DWORD ec = LAST_ERROR();
        LeaveCriticalSection(cs);
        printf(" %d/%u,%d/%u,%d/%u", a, ea, b, eb, c, ec);
        DeleteCriticalSection(cs);
    }
    printf("\n");

    printf("sleepers woken by WakeConditionVariable (SRW, CS), WakeAll of two (SRW, CS):");
    for (int offset = 0; offset < 8; offset++) {
        cv = (CONDITION_VARIABLE *)(cv_storage + offset);
        srw = (SRWLOCK *)(lock_storage + (offset + 3) % 8);
        cs = (CRITICAL_SECTION *)(cs_storage + (offset + 5) % 8);
        InitializeCriticalSection(cs);
        printf(" %d%d%d%d", wake_sleepers(1, FALSE), wake_sleepers(1, TRUE),
               wake_sleepers(2, FALSE), wake_sleepers(2, TRUE));
        DeleteCriticalSection(cs);
    }
    printf("\n");

    printf("critical section: init, others' try held twice, after one leave, after both:");
    for (int offset = 0; offset < 8; offset++) {
        cs = (CRITICAL_SECTION *)(cs_storage + offset);
        BOOL init = InitializeCriticalSectionAndSpinCount(cs, 4000);
        EnterCriticalSection(cs);
        EnterCriticalSection(cs);
        DWORD held = run(other_try_enter);
        LeaveCriticalSection(cs);
        DWORD once = run(other_try_enter);
        LeaveCriticalSection(cs);
        printf(" %d%u%u%u", init, held, once, run(other_try_enter));
        DeleteCriticalSection(cs);
    }
    printf("\n");

    printf("DebugInfo after InitializeCriticalSection, DeleteCriticalSection, "
           "InitializeCriticalSectionEx(NO_DEBUG_INFO):");
    for (int offset = 0; offset < 8; offset += 3) {
        cs = (CRITICAL_SECTION *)(cs_storage + offset);
        InitializeCriticalSection(cs);
        void *initialized = debug_info();
        DeleteCriticalSection(cs);
        void *deleted = debug_info();
        BOOL ex = InitializeCriticalSectionEx(cs, 0, CRITICAL_SECTION_NO_DEBUG_INFO);
        printf(" %s,%s,%d%s", initialized == (void *)-1 ? "-1" : "?",
               deleted == NULL ? "NULL" : "?", ex, debug_info() == (void *)-1 ? "/-1" : "/?");
        DeleteCriticalSection(cs);
    }
    printf("\n");
    return 0;
}
