/* The performance counter, the system's description, dates in fields and the standard
 * handles, as their documentation pages describe them (learn.microsoft.com:
 * QueryPerformanceCounter, QueryPerformanceFrequency (profileapi.h); GetSystemInfo,
 * SYSTEM_INFO, GetSystemTime, GetLocalTime (sysinfoapi.h); FileTimeToSystemTime,
 * SystemTimeToFileTime (timezoneapi.h); SYSTEMTIME (minwinbase.h); GetStdHandle
 * (processenv.h)). What varies by machine and moment is printed as a check. */
#include "conformance.h"

static unsigned long long as_u64(FILETIME ft)
{
    return (unsigned long long)ft.dwHighDateTime << 32 | ft.dwLowDateTime;
}

static void show(const char *what, const SYSTEMTIME *t)
{
    printf("%s: %04u-%02u-%02u %02u:%02u:%02u.%03u, day of week %u\n", what, t->wYear, t->wMonth,
           t->wDay, t->wHour, t->wMinute, t->wSecond, t->wMilliseconds, t->wDayOfWeek);
}

static int valid(const SYSTEMTIME *t)
{
    return t->wYear >= 2024 && t->wMonth >= 1 && t->wMonth <= 12 && t->wDay >= 1 &&
           t->wDay <= 31 && t->wHour < 24 && t->wMinute < 60 && t->wSecond < 60 &&
           t->wMilliseconds < 1000 && t->wDayOfWeek < 7;
}

int main(void)
{
    /* ---- The performance counter: a fixed, non-zero frequency; a counter that does not go
     * back. ---- */
    LARGE_INTEGER frequency, first, second;
    BOOL f = QueryPerformanceFrequency(&frequency);
    BOOL c1 = QueryPerformanceCounter(&first);
    Sleep(20);
    BOOL c2 = QueryPerformanceCounter(&second);
    printf("QueryPerformanceFrequency %d (non-zero %d), QueryPerformanceCounter %d %d\n", f,
           frequency.QuadPart > 0, c1, c2);
    printf("the counter advanced over a Sleep(20): %d\n", second.QuadPart > first.QuadPart);

    /* ---- GetSystemInfo ---- */
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    int arch = si.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_AMD64 ||
               si.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_ARM64;
    printf("GetSystemInfo: x64 or ARM64 %d, page size a power of two %d, processors %d, "
           "affinity mask %d, allocation granularity %u\n",
           arch, si.dwPageSize >= 4096 && (si.dwPageSize & (si.dwPageSize - 1)) == 0,
           si.dwNumberOfProcessors >= 1, si.dwActiveProcessorMask != 0,
           (unsigned)si.dwAllocationGranularity);
    printf("address range: %d\n",
           si.lpMinimumApplicationAddress < si.lpMaximumApplicationAddress &&
               (ULONG_PTR)&si > (ULONG_PTR)si.lpMinimumApplicationAddress &&
               (ULONG_PTR)&si < (ULONG_PTR)si.lpMaximumApplicationAddress);

    /* ---- Dates: FILETIME counts 100 ns from 1601-01-01 UTC ---- */
    SYSTEMTIME st = {1970, 1, 0, 1, 0, 0, 0, 0}, back;
    FILETIME ft;
    SystemTimeToFileTime(&st, &ft);
    printf("1970-01-01 as a FILETIME: %llu\n", as_u64(ft));
    SYSTEMTIME leap = {2024, 2, 6 /* ignored */, 29, 23, 59, 58, 999};
    BOOL ok = SystemTimeToFileTime(&leap, &ft);
    printf("SystemTimeToFileTime(2024-02-29 23:59:58.999): %d, %llu\n", ok, as_u64(ft));
    ok = FileTimeToSystemTime(&ft, &back);
    printf("FileTimeToSystemTime: %d; ", ok);
    show("back", &back);
    ft.dwLowDateTime = 0;
    ft.dwHighDateTime = 0;
    FileTimeToSystemTime(&ft, &back);
    show("FILETIME 0", &back);
    /* "The FILETIME value must be less than 0x8000000000000000." */
    ft.dwHighDateTime = 0x80000000;
    printf("FileTimeToSystemTime(0x8000000000000000): %d\n", FileTimeToSystemTime(&ft, &back));
    /* "A False return value can indicate that the passed SYSTEMTIME structure represents an
     * invalid date" (the page names no error code, so none is printed). */
    SYSTEMTIME bad = {2023, 2, 0, 29, 0, 0, 0, 0};
    ok = SystemTimeToFileTime(&bad, &ft);
    printf("SystemTimeToFileTime(2023-02-29): %d\n", ok);
    bad.wDay = 1;
    bad.wMonth = 13;
    printf("SystemTimeToFileTime(month 13): %d\n", SystemTimeToFileTime(&bad, &ft));

    /* ---- Now, in fields ---- */
    SYSTEMTIME now, local;
    FILETIME as_ft, now_ft;
    GetSystemTimeAsFileTime(&as_ft);
    GetSystemTime(&now);
    GetLocalTime(&local);
    SystemTimeToFileTime(&now, &now_ft);
    long long apart = (long long)(as_u64(now_ft) - as_u64(as_ft));
    printf("GetSystemTime: valid %d, within a second of GetSystemTimeAsFileTime %d\n",
           valid(&now), apart > -10000000LL && apart < 10000000LL);
    printf("GetLocalTime: valid %d\n", valid(&local));

    /* ---- Standard handles ---- */
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    HANDLE err = GetStdHandle(STD_ERROR_HANDLE);
    printf("GetStdHandle: output, input and error are handles %d, all different %d\n",
           out != NULL && out != INVALID_HANDLE_VALUE && in != NULL &&
               in != INVALID_HANDLE_VALUE && err != NULL && err != INVALID_HANDLE_VALUE,
           out != in && out != err && in != err);
    printf("GetStdHandle twice: the same handle %d\n", GetStdHandle(STD_OUTPUT_HANDLE) == out);
    return 0;
}
