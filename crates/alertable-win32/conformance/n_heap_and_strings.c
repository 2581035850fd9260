/* Heaps, local and global memory, and the lstr string functions, as their documentation
 * pages describe them (learn.microsoft.com: HeapAlloc, HeapReAlloc, HeapSize, HeapFree,
 * HeapCreate, HeapDestroy (heapapi.h); LocalAlloc, LocalLock, LocalUnlock, LocalReAlloc,
 * LocalFree, GlobalAlloc, GlobalFree, lstrlen, lstrcpyn, lstrcmp, lstrcmpi (winbase.h)).
 * Only documented results are printed: where a block lands, or how Windows grows one in
 * place, is not. */
#include "conformance.h"
#include <string.h>

static int all(const unsigned char *p, size_t n, unsigned char value)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != value)
            return 0;
    return 1;
}

static const char *sign(int r)
{
    return r < 0 ? "<0" : r > 0 ? ">0" : "0";
}

int main(void)
{
    /* ---- The process heap ---- */
    HANDLE heap = GetProcessHeap();
    printf("GetProcessHeap: %s\n", heap != NULL ? "a heap" : "NULL");
    unsigned char *p = (unsigned char *)HeapAlloc(heap, HEAP_ZERO_MEMORY, 100);
    /* HEAP_ZERO_MEMORY: "The allocated memory will be initialized to zero." HeapSize: "the
     * requested size of the allocated memory block". */
    printf("HeapAlloc(HEAP_ZERO_MEMORY, 100): zeroed %d, HeapSize %u\n", all(p, 100, 0),
           (unsigned)HeapSize(heap, 0, p));
    memset(p, 0xAB, 100);
    p = (unsigned char *)HeapReAlloc(heap, HEAP_ZERO_MEMORY, p, 200);
    /* HeapReAlloc with HEAP_ZERO_MEMORY: "the additional memory beyond the original size
     * is initialized to zero"; the contents are kept. */
    printf("HeapReAlloc(HEAP_ZERO_MEMORY, 200): kept %d, new bytes zero %d, HeapSize %u\n",
           all(p, 100, 0xAB), all(p + 100, 100, 0), (unsigned)HeapSize(heap, 0, p));
    void *q = HeapReAlloc(heap, HEAP_REALLOC_IN_PLACE_ONLY, p, 50);
    printf("HeapReAlloc(IN_PLACE_ONLY, smaller): same block %d, HeapSize %u\n", q == p,
           (unsigned)HeapSize(heap, 0, p));
    /* "If this value is specified and the block cannot be resized without moving it, the
     * function fails, leaving the original memory block unchanged". (Whether it sets the
     * last error, the page does not say.) */
    q = HeapReAlloc(heap, HEAP_REALLOC_IN_PLACE_ONLY, p, 64u << 20);
    printf("HeapReAlloc(IN_PLACE_ONLY, 64 MiB): %s, HeapSize %u, kept %d\n",
           q == NULL ? "NULL" : "moved?", (unsigned)HeapSize(heap, 0, p), all(p, 50, 0xAB));
    printf("HeapFree: %d\n", HeapFree(heap, 0, p));

    /* ---- Private heaps ---- */
    HANDLE growable = HeapCreate(0, 0, 0);
    void *big = HeapAlloc(growable, 0, 4u << 20);
    printf("HeapCreate(0, 0, 0): %s; 4 MiB from it: %s\n", growable ? "a heap" : "NULL",
           big ? "a block" : "NULL");
    /* A heap with a maximum size: "the largest memory block that can be allocated from the
     * heap is slightly less than ... 1,024 KB for a 64-bit process"; HeapAlloc "does not
     * call SetLastError". */
    HANDLE fixed = HeapCreate(0, 0, 1u << 20);
    SetLastError(12345);
    void *too_big = HeapAlloc(fixed, 0, 2u << 20);
    printf("HeapCreate(0, 0, 1 MiB): 2 MiB from it: %s, last error %u\n",
           too_big ? "a block" : "NULL", LAST_ERROR());
    void *small = HeapAlloc(fixed, 0, 1000);
    printf("1000 bytes from it: %s\n", small ? "a block" : "NULL");
    /* "Processes can call HeapDestroy without first calling the HeapFree function". */
    printf("HeapDestroy with blocks allocated: %d, %d\n", HeapDestroy(growable),
           HeapDestroy(fixed));

    /* ---- Local and global memory ---- */
    unsigned char *fixed_block = (unsigned char *)LocalAlloc(LPTR, 64);
    printf("LocalAlloc(LPTR, 64): zeroed %d, LocalSize %u\n", all(fixed_block, 64, 0),
           (unsigned)LocalSize(fixed_block));
    /* LocalFree: "If the function succeeds, the return value is NULL." */
    printf("LocalFree: %s\n", LocalFree(fixed_block) == NULL ? "NULL" : "the handle");
    HLOCAL moveable = LocalAlloc(LMEM_MOVEABLE | LMEM_ZEROINIT, 32);
    unsigned char *locked = (unsigned char *)LocalLock(moveable);
    unsigned char *again = (unsigned char *)LocalLock(moveable);
    printf("LocalAlloc(LMEM_MOVEABLE | LMEM_ZEROINIT, 32): LocalLock gives a zeroed pointer %d, "
           "twice the same %d\n",
           locked != NULL && all(locked, 32, 0), locked == again);
    memcpy(locked, "moveable", 9);
    /* LocalUnlock: non-zero while still locked; "If the memory object is unlocked after
     * decrementing the lock count, the function returns zero and GetLastError returns
     * NO_ERROR"; "If the memory object is not locked, ... GetLastError returns
     * ERROR_NOT_LOCKED". */
    BOOL still = LocalUnlock(moveable);
    printf("LocalUnlock of two locks: %d\n", still != 0);
    SetLastError(12345);
    BOOL last = LocalUnlock(moveable);
    printf("LocalUnlock of the last lock: %d, last error %u\n", last, LAST_ERROR());
    last = LocalUnlock(moveable);
    printf("LocalUnlock of an unlocked block: %d, last error %u\n", last, LAST_ERROR());
    HLOCAL grown = LocalReAlloc(moveable, 4096, LMEM_MOVEABLE);
    unsigned char *relocked = (unsigned char *)LocalLock(grown);
    printf("LocalReAlloc(4096, LMEM_MOVEABLE): LocalSize %u, contents kept %d\n",
           (unsigned)LocalSize(grown), strcmp((const char *)relocked, "moveable") == 0);
    LocalUnlock(grown);
    printf("LocalFree(moveable): %s\n", LocalFree(grown) == NULL ? "NULL" : "the handle");
    /* "If uBytes is zero and uFlags specifies LMEM_MOVEABLE, the function returns a handle
     * to a memory object that is marked as discarded"; LocalLock of it fails. */
    HLOCAL discarded = LocalAlloc(LMEM_MOVEABLE, 0);
    printf("LocalAlloc(LMEM_MOVEABLE, 0): %s, LocalLock %s\n", discarded ? "a handle" : "NULL",
           LocalLock(discarded) == NULL ? "NULL" : "a pointer");
    LocalFree(discarded);
    void *global = GlobalAlloc(GPTR, 16);
    int zeroed = all((unsigned char *)global, 16, 0);
    printf("GlobalAlloc(GPTR, 16): zeroed %d; GlobalFree: %s\n", zeroed,
           GlobalFree(global) == NULL ? "NULL" : "the handle");
    HGLOBAL ghnd = GlobalAlloc(GHND, 8);
    char *gp = (char *)GlobalLock(ghnd);
    SetLastError(12345);
    BOOL gu = GlobalUnlock(ghnd);
    DWORD gu_error = GetLastError();
    printf("GlobalAlloc(GHND, 8): GlobalLock %s, GlobalUnlock %d (last error %u), GlobalFree %s\n",
           gp ? "a pointer" : "NULL", gu, (unsigned)gu_error,
           GlobalFree(ghnd) == NULL ? "NULL" : "the handle");

    /* ---- lstr ---- */
    char buf[32];
    /* lstrlen: "If lpString is NULL, the function returns 0." */
    printf("lstrlenA(\"hello\") %d, lstrlenA(NULL) %d, lstrlenW(L\"wide\") %d\n",
           lstrlenA("hello"), lstrlenA(NULL), lstrlenW(L"wide"));
    int returned = lstrcpyA(buf, "abc") == buf;
    printf("lstrcpyA returns its destination %d, ", returned);
    printf("lstrcatA: %s\n", lstrcatA(buf, "def"));
    /* lstrcpyn copies iMaxLength - 1 characters and a terminating null. */
    lstrcpynA(buf, "abcdef", 4);
    printf("lstrcpynA(\"abcdef\", 4): %s\n", buf);
    WCHAR wbuf[16];
    lstrcpynW(wbuf, L"wide string", 5);
    printf("lstrcpynW(L\"wide string\", 5): %ls\n", wbuf);
    /* lstrcmp compares with the user's locale (a word sort), not character codes: "a" sorts
     * before "B", and "coop" and "co-op" stay together, before "cop". */
    printf("lstrcmpA: abc/abc %s, abc/abd %s, a/B %s, b/A %s, coop/cop %s, co-op/cop %s\n",
           sign(lstrcmpA("abc", "abc")), sign(lstrcmpA("abc", "abd")), sign(lstrcmpA("a", "B")),
           sign(lstrcmpA("b", "A")), sign(lstrcmpA("coop", "cop")),
           sign(lstrcmpA("co-op", "cop")));
    printf("lstrcmpiA(\"HELLO\", \"hello\") %s, lstrcmpiW(L\"Abc\", L\"abD\") %s, "
           "lstrcmpW(L\"same\", L\"same\") %s\n",
           sign(lstrcmpiA("HELLO", "hello")), sign(lstrcmpiW(L"Abc", L"abD")),
           sign(lstrcmpW(L"same", L"same")));
    lstrcpy(buf, TEXT("generic"));
    printf("lstrcpy / lstrlen (TCHAR names): %d\n", lstrlen(buf));
    return 0;
}
