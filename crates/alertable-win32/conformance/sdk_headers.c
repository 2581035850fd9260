/*
 * The SDK's spellings and helper headers: what every Windows program carries besides the
 * API calls. MSVC's calling conventions, keywords, __declspec forms and SAL annotations;
 * the small macros of minwindef.h and winnt.h; HRESULT macros; tchar.h's generic-text
 * names; strsafe.h's bounded string functions with the HRESULTs their documentation gives.
 *
 * The crate's tests build this program three ways — C, C with UNICODE and _UNICODE, and
 * C++ — and each must print the .expected lines, so the output is written with _tprintf
 * alone and is the same in every build.
 */
#include <windows.h>
#include <tchar.h>
#include <strsafe.h>

#ifdef __cplusplus
#define ALIGNOF alignof
#else
#define ALIGNOF _Alignof
#endif

#ifdef _UNICODE
#define TS "%ls"
#else
#define TS "%s"
#endif

static int __cdecl add_cdecl(_In_ int a, _In_ int b) { return a + b; }
static int __stdcall add_stdcall(__in int a, __in int b) { return a + b; }
static DWORD WINAPI add_winapi(_In_ DWORD a, _In_opt_ LPVOID unused) {
    UNREFERENCED_PARAMETER(unused);
    return a + 1;
}
static __forceinline __int64 twice(__int64 v) { return v * 2; }
__declspec(noreturn) void never_returns(void);
static __declspec(thread) int per_thread = 5;

typedef struct __declspec(align(16)) {
    char c;
} ALIGNED16;

static _Success_(return != 0) BOOL fill(_Out_writes_(n) TCHAR *out, _In_ size_t n) {
    return SUCCEEDED(StringCchCopy(out, n, _T("filled")));
}

static const TCHAR *verdict(HRESULT hr) {
    if (hr == S_OK) return _T("S_OK");
    if (hr == STRSAFE_E_INSUFFICIENT_BUFFER) return _T("STRSAFE_E_INSUFFICIENT_BUFFER");
    if (hr == STRSAFE_E_INVALID_PARAMETER) return _T("STRSAFE_E_INVALID_PARAMETER");
    return _T("other");
}

int _tmain(int argc, _TCHAR **argv) {
    TCHAR buf[8];
    TCHAR big[32];
    char bytes[6];
    size_t len = 99;
    HRESULT hr;
    UNREFERENCED_PARAMETER(argv);

    /* ---- MSVC spellings --------------------------------------------------------------- */
    _tprintf(_T("calling conventions %d %d %u\n"), add_cdecl(2, 3), add_stdcall(4, 5),
             (unsigned)add_winapi(6, NULL));
    _tprintf(_T("__int64 %lld, sizeof %u\n"), (long long)twice(0x100000000LL),
             (unsigned)sizeof(__int64));
    _tprintf(_T("__declspec(thread) %d, __declspec(align(16)) %u\n"), per_thread,
             (unsigned)ALIGNOF(ALIGNED16));
    _tprintf(_T("argc %d\n"), argc);

    /* ---- minwindef.h and winnt.h macros ----------------------------------------------- */
    _tprintf(_T("MAKEWORD 0x%04x LOBYTE 0x%02x HIBYTE 0x%02x\n"), MAKEWORD(0x12, 0x34),
             LOBYTE(0x3412), HIBYTE(0x3412));
    _tprintf(_T("MAKELONG 0x%08x LOWORD 0x%04x HIWORD 0x%04x\n"),
             (unsigned)MAKELONG(0x5678, 0x1234), LOWORD(0x12345678), HIWORD(0x12345678));
    _tprintf(_T("ARRAYSIZE %u\n"), (unsigned)ARRAYSIZE(big));

    /* ---- HRESULT ---------------------------------------------------------------------- */
    _tprintf(_T("SUCCEEDED(S_OK) %d SUCCEEDED(S_FALSE) %d FAILED(E_FAIL) %d\n"),
             SUCCEEDED(S_OK), SUCCEEDED(S_FALSE), FAILED(E_FAIL));
    _tprintf(_T("HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED) 0x%08x == E_ACCESSDENIED %d\n"),
             (unsigned)HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED),
             HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED) == E_ACCESSDENIED);
    _tprintf(_T("HRESULT_FROM_WIN32(0) %d HRESULT_CODE 0x%x\n"), (int)HRESULT_FROM_WIN32(0),
             (unsigned)HRESULT_CODE(E_INVALIDARG));

    /* ---- strsafe.h: copy -------------------------------------------------------------- */
    hr = StringCchCopy(buf, ARRAYSIZE(buf), _T("1234567"));
    _tprintf(_T("copy fits: " TS " \"" TS "\"\n"), verdict(hr), buf);
    hr = StringCchCopy(buf, ARRAYSIZE(buf), _T("123456789"));
    _tprintf(_T("copy cut: " TS " \"" TS "\"\n"), verdict(hr), buf);
    hr = StringCchCopy(buf, 0, _T("x"));
    _tprintf(_T("copy into 0: " TS "\n"), verdict(hr));
    hr = StringCchCopyN(buf, ARRAYSIZE(buf), _T("abcdef"), 3);
    _tprintf(_T("copy n: " TS " \"" TS "\"\n"), verdict(hr), buf);
    hr = StringCbCopyA(bytes, sizeof bytes, "abcdefgh");
    _tprintf(_T("copy bytes cut: " TS " %u\n"), verdict(hr), (unsigned)strlen(bytes));

    /* ---- strsafe.h: concatenation and length ------------------------------------------ */
    StringCchCopy(buf, ARRAYSIZE(buf), _T("ab"));
    hr = StringCchCat(buf, ARRAYSIZE(buf), _T("cd"));
    _tprintf(_T("cat fits: " TS " \"" TS "\"\n"), verdict(hr), buf);
    hr = StringCchCat(buf, ARRAYSIZE(buf), _T("efghij"));
    _tprintf(_T("cat cut: " TS " \"" TS "\"\n"), verdict(hr), buf);
    hr = StringCchLength(buf, ARRAYSIZE(buf), &len);
    _tprintf(_T("length: " TS " %u\n"), verdict(hr), (unsigned)len);
    hr = StringCchLength(buf, 3, &len);
    _tprintf(_T("length, no terminator within 3: " TS " %u\n"), verdict(hr), (unsigned)len);
    hr = StringCbLengthW(L"wide", 100, &len);
    _tprintf(_T("wide length in bytes: " TS " %u\n"), verdict(hr), (unsigned)len);

    /* ---- strsafe.h: formatting -------------------------------------------------------- */
    hr = StringCchPrintf(big, ARRAYSIZE(big), _T("%d-%d"), 12, 34);
    _tprintf(_T("printf fits: " TS " \"" TS "\"\n"), verdict(hr), big);
    hr = StringCchPrintf(buf, ARRAYSIZE(buf), _T("%d"), 123456789);
    _tprintf(_T("printf cut: " TS " \"" TS "\"\n"), verdict(hr), buf);

    /* ---- tchar.h ---------------------------------------------------------------------- */
    _tcscpy(big, _T("Hello"));
    _tcscat(big, _T(", APC"));
    _tprintf(_T("_tcslen %u _tcscmp %d _tcsicmp %d\n"), (unsigned)_tcslen(big),
             _tcscmp(big, _T("Hello, APC")) == 0, _tcsicmp(big, _T("HELLO, apc")) == 0);
    _tprintf(_T("_ttoi %d _totupper " TS "\n"), _ttoi(_T("42")),
             _totupper(_T('q')) == _T('Q') ? _T("Q") : _T("?"));
    _tprintf(_T("fill %d \"" TS "\"\n"), fill(big, ARRAYSIZE(big)), big);
    SetLastError(0);
    _tprintf(_T("GetLastError %u\n"), (unsigned)GetLastError());
    return 0;
}
