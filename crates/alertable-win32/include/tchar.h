/*
 * tchar.h for alertable-win32: the C runtime's generic-text mappings.
 *
 * Without _UNICODE the _t names are the narrow C functions (_tprintf is printf, _tcslen is
 * strlen, _T("x") is "x"); with _UNICODE they are the wide ones (wprintf, wcslen, L"x"),
 * as with Microsoft's C runtime. Defining UNICODE for windows.h and _UNICODE for this
 * header together gives a program one character type throughout.
 *
 * _tmain: with _UNICODE, _tmain is wmain, which Linux's start-up code does not call; this
 * header then supplies a (weak) main that sets the locale from the environment, converts
 * the arguments to wide strings and calls wmain, with or without parameters, in C and C++.
 * Without _UNICODE, _tmain is main. A file that includes this header with _UNICODE must not
 * define main itself (use _tmain or wmain there).
 *
 * Differences from Microsoft's runtime: the wide printf family reads %s as a narrow string
 * (glibc follows the C standard): write %ls for a wide one, which Microsoft accepts too.
 * _stprintf and _vstprintf in wide builds have no buffer size, as on Windows; prefer
 * _sntprintf or strsafe.h's StringCchPrintf.
 */
#ifndef ALERTABLE_TCHAR_H
#define ALERTABLE_TCHAR_H

#include <ctype.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

/* The functions of the mappings that are POSIX rather than ISO C (case-insensitive
 * comparison, duplication, bounded length), written here so that a program compiled with
 * -std=c11 and no feature macros has them too. */
static inline size_t alertable_tcsnlen_a(const char *s, size_t max) {
    size_t n = 0;
    while (n < max && s[n] != '\0') n++;
    return n;
}
static inline size_t alertable_tcsnlen_w(const wchar_t *s, size_t max) {
    size_t n = 0;
    while (n < max && s[n] != L'\0') n++;
    return n;
}
static inline int alertable_tcsnicmp_a(const char *a, const char *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        int ca = tolower((unsigned char)a[i]), cb = tolower((unsigned char)b[i]);
        if (ca != cb) return ca - cb;
        if (ca == 0) break;
    }
    return 0;
}
static inline int alertable_tcsnicmp_w(const wchar_t *a, const wchar_t *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        wint_t ca = towlower((wint_t)a[i]), cb = towlower((wint_t)b[i]);
        if (ca != cb) return ca < cb ? -1 : 1;
        if (ca == 0) break;
    }
    return 0;
}
static inline char *alertable_tcsdup_a(const char *s) {
    size_t n = strlen(s) + 1;
    char *copy = (char *)malloc(n);
    if (copy != NULL) memcpy(copy, s, n);
    return copy;
}
static inline wchar_t *alertable_tcsdup_w(const wchar_t *s) {
    size_t n = wcslen(s) + 1;
    wchar_t *copy = (wchar_t *)malloc(n * sizeof(wchar_t));
    if (copy != NULL) memcpy(copy, s, n * sizeof(wchar_t));
    return copy;
}

#ifdef _UNICODE

typedef wchar_t _TCHAR;
typedef wchar_t _TSCHAR;
typedef wchar_t _TUCHAR;
typedef wchar_t _TXCHAR;
typedef wint_t _TINT;
#define __T(x) L##x
#define _TEOF WEOF

#define _tmain wmain
#define _tprintf wprintf
#define _ftprintf fwprintf
#define _sntprintf swprintf
#define _stprintf(buffer, ...) swprintf((buffer), (size_t)INT_MAX, __VA_ARGS__)
#define _vtprintf vwprintf
#define _vftprintf vfwprintf
#define _vsntprintf vswprintf
#define _vstprintf(buffer, format, args) vswprintf((buffer), (size_t)INT_MAX, (format), (args))
#define _tscanf wscanf
#define _ftscanf fwscanf
#define _stscanf swscanf
#define _fgettc fgetwc
#define _fgetts fgetws
#define _fputtc fputwc
#define _fputts fputws
#define _gettc getwc
#define _gettchar getwchar
#define _puttc putwc
#define _puttchar putwchar
#define _tcslen wcslen
#define _tcsnlen alertable_tcsnlen_w
#define _tcscpy wcscpy
#define _tcsncpy wcsncpy
#define _tcscat wcscat
#define _tcsncat wcsncat
#define _tcscmp wcscmp
#define _tcsncmp wcsncmp
#define _tcsicmp(a, b) alertable_tcsnicmp_w((a), (b), (size_t)-1)
#define _tcsnicmp alertable_tcsnicmp_w
#define _tcschr wcschr
#define _tcsrchr wcsrchr
#define _tcsstr wcsstr
#define _tcsspn wcsspn
#define _tcscspn wcscspn
#define _tcspbrk wcspbrk
#define _tcstok wcstok
#define _tcsdup alertable_tcsdup_w
#define _tcstol wcstol
#define _tcstoul wcstoul
#define _tcstoll wcstoll
#define _tcstoull wcstoull
#define _tcstod wcstod
#define _ttoi(s) ((int)wcstol((s), NULL, 10))
#define _tstoi(s) ((int)wcstol((s), NULL, 10))
#define _ttol(s) wcstol((s), NULL, 10)
#define _tstol(s) wcstol((s), NULL, 10)
#define _ttoi64(s) wcstoll((s), NULL, 10)
#define _totupper towupper
#define _totlower towlower
#define _istalpha iswalpha
#define _istdigit iswdigit
#define _istxdigit iswxdigit
#define _istalnum iswalnum
#define _istspace iswspace
#define _istupper iswupper
#define _istlower iswlower
#define _istpunct iswpunct
#define _istprint iswprint

/* Linux starts programs at main: call the program's wmain with wide arguments.
 *
 * The shim is a weak function whose assembler name is main, so the header declares no C
 * function called main (nothing for a program's own main to conflict with). It calls the
 * program's wmain whatever its parameter list: in C through a declaration without a
 * prototype (so int wmain(), int wmain(void) and int wmain(int, wchar_t **) all agree with
 * it); in C++, where a wmain without extern "C" is named after its parameters, through weak
 * references to the two names g++ and clang++ give it and to the C name. */
#ifdef __cplusplus
extern "C++" int alertable_tchar_wmain_args(int, wchar_t **) __asm__("_Z5wmainiPPw")
    __attribute__((weak));
extern "C++" int alertable_tchar_wmain_void(void) __asm__("_Z5wmainv") __attribute__((weak));
extern "C" int alertable_tchar_wmain_c(int, wchar_t **) __asm__("wmain") __attribute__((weak));
extern "C" int alertable_tchar_main(int argc, char **argv) __asm__("main") __attribute__((weak));
extern "C" int alertable_tchar_main(int argc, char **argv) {
#else
extern int alertable_tchar_wmain_c() __asm__("wmain") __attribute__((weak));
int alertable_tchar_main(int argc, char **argv) __asm__("main") __attribute__((weak));
int alertable_tchar_main(int argc, char **argv) {
#endif
    wchar_t **wide;
    int i;
    setlocale(LC_ALL, "");
    wide = (wchar_t **)calloc((size_t)argc + 1, sizeof *wide);
    if (wide == NULL) {
        return 1;
    }
    for (i = 0; i < argc; i++) {
        size_t n = mbstowcs(NULL, argv[i], 0);
        if (n == (size_t)-1) {
            n = 0;
        }
        wide[i] = (wchar_t *)calloc(n + 1, sizeof(wchar_t));
        if (wide[i] == NULL) {
            return 1;
        }
        if (n != 0) {
            mbstowcs(wide[i], argv[i], n + 1);
        }
    }
#ifdef __cplusplus
    if (alertable_tchar_wmain_args) {
        return alertable_tchar_wmain_args(argc, wide);
    }
    if (alertable_tchar_wmain_void) {
        return alertable_tchar_wmain_void();
    }
    return alertable_tchar_wmain_c(argc, wide);
#else
    /* Extra arguments to a function that takes none are harmless in the C calling
     * conventions of Linux. */
    return ((int (*)(int, wchar_t **))alertable_tchar_wmain_c)(argc, wide);
#endif
}

#else /* _UNICODE */

typedef char _TCHAR;
typedef signed char _TSCHAR;
typedef unsigned char _TUCHAR;
typedef char _TXCHAR;
typedef int _TINT;
#define __T(x) x
#define _TEOF EOF

#define _tmain main
#define _tprintf printf
#define _ftprintf fprintf
#define _sntprintf snprintf
#define _stprintf sprintf
#define _vtprintf vprintf
#define _vftprintf vfprintf
#define _vsntprintf vsnprintf
#define _vstprintf vsprintf
#define _tscanf scanf
#define _ftscanf fscanf
#define _stscanf sscanf
#define _fgettc fgetc
#define _fgetts fgets
#define _fputtc fputc
#define _fputts fputs
#define _gettc getc
#define _gettchar getchar
#define _puttc putc
#define _puttchar putchar
#define _tcslen strlen
#define _tcsnlen alertable_tcsnlen_a
#define _tcscpy strcpy
#define _tcsncpy strncpy
#define _tcscat strcat
#define _tcsncat strncat
#define _tcscmp strcmp
#define _tcsncmp strncmp
#define _tcsicmp(a, b) alertable_tcsnicmp_a((a), (b), (size_t)-1)
#define _tcsnicmp alertable_tcsnicmp_a
#define _tcschr strchr
#define _tcsrchr strrchr
#define _tcsstr strstr
#define _tcsspn strspn
#define _tcscspn strcspn
#define _tcspbrk strpbrk
#define _tcstok strtok
#define _tcsdup alertable_tcsdup_a
#define _tcstol strtol
#define _tcstoul strtoul
#define _tcstoll strtoll
#define _tcstoull strtoull
#define _tcstod strtod
#define _ttoi atoi
#define _tstoi atoi
#define _ttol atol
#define _tstol atol
#define _ttoi64 atoll
#define _totupper toupper
#define _totlower tolower
#define _istalpha isalpha
#define _istdigit isdigit
#define _istxdigit isxdigit
#define _istalnum isalnum
#define _istspace isspace
#define _istupper isupper
#define _istlower islower
#define _istpunct ispunct
#define _istprint isprint

#endif /* _UNICODE */

#define _T(x) __T(x)
#define _TEXT(x) __T(x)

#endif /* ALERTABLE_TCHAR_H */
