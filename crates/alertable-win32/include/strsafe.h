/*
 * strsafe.h for alertable-win32: bounded string copy, concatenation, length and
 * formatting, with HRESULT results.
 *
 * The StringCch functions take the destination's size in characters, the StringCb ones in
 * bytes. Every function that writes leaves the destination NUL-terminated (unless its size
 * is 0, which is refused). The results:
 *   S_OK                          done in full;
 *   STRSAFE_E_INSUFFICIENT_BUFFER the result was cut to fit (and is terminated);
 *   STRSAFE_E_INVALID_PARAMETER   a size of 0 or above STRSAFE_MAX_CCH, or, for Cat and
 *                                 Length, a string with no terminator within the size.
 * The functions are inline, as in the SDK; nothing is linked. The wide printf functions
 * read %s as a narrow string (see tchar.h): write %ls for a wide one.
 */
#ifndef ALERTABLE_STRSAFE_H
#define ALERTABLE_STRSAFE_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <winerror.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STRSAFE_MAX_CCH 2147483647
#define STRSAFE_E_INSUFFICIENT_BUFFER ((HRESULT)0x8007007A)
#define STRSAFE_E_INVALID_PARAMETER ((HRESULT)0x80070057)
#define STRSAFE_E_END_OF_FILE ((HRESULT)0x80070026)

typedef const char *STRSAFE_LPCSTR;
typedef char *STRSAFE_LPSTR;
typedef const wchar_t *STRSAFE_LPCWSTR;
typedef wchar_t *STRSAFE_LPWSTR;

#define STRSAFEAPI static inline HRESULT

/* The length of psz if it ends within cchMax characters, else cchMax. */
static inline size_t alertable_strsafe_lenA(const char *psz, size_t cchMax) {
    size_t n = 0;
    while (n < cchMax && psz[n] != '\0') {
        n++;
    }
    return n;
}

static inline size_t alertable_strsafe_lenW(const wchar_t *psz, size_t cchMax) {
    size_t n = 0;
    while (n < cchMax && psz[n] != L'\0') {
        n++;
    }
    return n;
}

/* ---- Length -------------------------------------------------------------------------- */

STRSAFEAPI StringCchLengthA(STRSAFE_LPCSTR psz, size_t cchMax, size_t *pcchLength) {
    size_t n;
    if (psz == NULL || cchMax > STRSAFE_MAX_CCH) {
        if (pcchLength != NULL) *pcchLength = 0;
        return STRSAFE_E_INVALID_PARAMETER;
    }
    n = alertable_strsafe_lenA(psz, cchMax);
    if (n == cchMax) {
        if (pcchLength != NULL) *pcchLength = 0;
        return STRSAFE_E_INVALID_PARAMETER;
    }
    if (pcchLength != NULL) *pcchLength = n;
    return S_OK;
}

STRSAFEAPI StringCchLengthW(STRSAFE_LPCWSTR psz, size_t cchMax, size_t *pcchLength) {
    size_t n;
    if (psz == NULL || cchMax > STRSAFE_MAX_CCH) {
        if (pcchLength != NULL) *pcchLength = 0;
        return STRSAFE_E_INVALID_PARAMETER;
    }
    n = alertable_strsafe_lenW(psz, cchMax);
    if (n == cchMax) {
        if (pcchLength != NULL) *pcchLength = 0;
        return STRSAFE_E_INVALID_PARAMETER;
    }
    if (pcchLength != NULL) *pcchLength = n;
    return S_OK;
}

STRSAFEAPI StringCbLengthA(STRSAFE_LPCSTR psz, size_t cbMax, size_t *pcbLength) {
    size_t n = 0;
    HRESULT hr = StringCchLengthA(psz, cbMax / sizeof(char), &n);
    if (pcbLength != NULL) *pcbLength = n * sizeof(char);
    return hr;
}

STRSAFEAPI StringCbLengthW(STRSAFE_LPCWSTR psz, size_t cbMax, size_t *pcbLength) {
    size_t n = 0;
    HRESULT hr = StringCchLengthW(psz, cbMax / sizeof(wchar_t), &n);
    if (pcbLength != NULL) *pcbLength = n * sizeof(wchar_t);
    return hr;
}

/* ---- Copy ---------------------------------------------------------------------------- */

STRSAFEAPI StringCchCopyNA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_LPCSTR pszSrc,
                           size_t cchToCopy) {
    size_t n;
    if (cchDest == 0 || cchDest > STRSAFE_MAX_CCH || cchToCopy > STRSAFE_MAX_CCH) {
        return STRSAFE_E_INVALID_PARAMETER;
    }
    n = alertable_strsafe_lenA(pszSrc, cchToCopy);
    if (n >= cchDest) {
        memcpy(pszDest, pszSrc, (cchDest - 1) * sizeof(char));
        pszDest[cchDest - 1] = '\0';
        return STRSAFE_E_INSUFFICIENT_BUFFER;
    }
    memcpy(pszDest, pszSrc, n * sizeof(char));
    pszDest[n] = '\0';
    return S_OK;
}

STRSAFEAPI StringCchCopyNW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_LPCWSTR pszSrc,
                           size_t cchToCopy) {
    size_t n;
    if (cchDest == 0 || cchDest > STRSAFE_MAX_CCH || cchToCopy > STRSAFE_MAX_CCH) {
        return STRSAFE_E_INVALID_PARAMETER;
    }
    n = alertable_strsafe_lenW(pszSrc, cchToCopy);
    if (n >= cchDest) {
        memcpy(pszDest, pszSrc, (cchDest - 1) * sizeof(wchar_t));
        pszDest[cchDest - 1] = L'\0';
        return STRSAFE_E_INSUFFICIENT_BUFFER;
    }
    memcpy(pszDest, pszSrc, n * sizeof(wchar_t));
    pszDest[n] = L'\0';
    return S_OK;
}

STRSAFEAPI StringCchCopyA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_LPCSTR pszSrc) {
    return StringCchCopyNA(pszDest, cchDest, pszSrc, STRSAFE_MAX_CCH);
}

STRSAFEAPI StringCchCopyW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_LPCWSTR pszSrc) {
    return StringCchCopyNW(pszDest, cchDest, pszSrc, STRSAFE_MAX_CCH);
}

STRSAFEAPI StringCbCopyA(STRSAFE_LPSTR pszDest, size_t cbDest, STRSAFE_LPCSTR pszSrc) {
    return StringCchCopyA(pszDest, cbDest / sizeof(char), pszSrc);
}

STRSAFEAPI StringCbCopyW(STRSAFE_LPWSTR pszDest, size_t cbDest, STRSAFE_LPCWSTR pszSrc) {
    return StringCchCopyW(pszDest, cbDest / sizeof(wchar_t), pszSrc);
}

STRSAFEAPI StringCbCopyNA(STRSAFE_LPSTR pszDest, size_t cbDest, STRSAFE_LPCSTR pszSrc,
                          size_t cbToCopy) {
    return StringCchCopyNA(pszDest, cbDest / sizeof(char), pszSrc, cbToCopy / sizeof(char));
}

STRSAFEAPI StringCbCopyNW(STRSAFE_LPWSTR pszDest, size_t cbDest, STRSAFE_LPCWSTR pszSrc,
                          size_t cbToCopy) {
    return StringCchCopyNW(pszDest, cbDest / sizeof(wchar_t), pszSrc,
                           cbToCopy / sizeof(wchar_t));
}

/* ---- Concatenation ------------------------------------------------------------------- */

STRSAFEAPI StringCchCatNA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_LPCSTR pszSrc,
                          size_t cchToAppend) {
    size_t used;
    if (cchDest == 0 || cchDest > STRSAFE_MAX_CCH) {
        return STRSAFE_E_INVALID_PARAMETER;
    }
    used = alertable_strsafe_lenA(pszDest, cchDest);
    if (used == cchDest) {
        return STRSAFE_E_INVALID_PARAMETER;
    }
    return StringCchCopyNA(pszDest + used, cchDest - used, pszSrc, cchToAppend);
}

STRSAFEAPI StringCchCatNW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_LPCWSTR pszSrc,
                          size_t cchToAppend) {
    size_t used;
    if (cchDest == 0 || cchDest > STRSAFE_MAX_CCH) {
        return STRSAFE_E_INVALID_PARAMETER;
    }
    used = alertable_strsafe_lenW(pszDest, cchDest);
    if (used == cchDest) {
        return STRSAFE_E_INVALID_PARAMETER;
    }
    return StringCchCopyNW(pszDest + used, cchDest - used, pszSrc, cchToAppend);
}

STRSAFEAPI StringCchCatA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_LPCSTR pszSrc) {
    return StringCchCatNA(pszDest, cchDest, pszSrc, STRSAFE_MAX_CCH);
}

STRSAFEAPI StringCchCatW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_LPCWSTR pszSrc) {
    return StringCchCatNW(pszDest, cchDest, pszSrc, STRSAFE_MAX_CCH);
}

STRSAFEAPI StringCbCatA(STRSAFE_LPSTR pszDest, size_t cbDest, STRSAFE_LPCSTR pszSrc) {
    return StringCchCatA(pszDest, cbDest / sizeof(char), pszSrc);
}

STRSAFEAPI StringCbCatW(STRSAFE_LPWSTR pszDest, size_t cbDest, STRSAFE_LPCWSTR pszSrc) {
    return StringCchCatW(pszDest, cbDest / sizeof(wchar_t), pszSrc);
}

/* ---- Formatting ---------------------------------------------------------------------- */

STRSAFEAPI StringCchVPrintfA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_LPCSTR pszFormat,
                             va_list argList) {
    int n;
    if (cchDest == 0 || cchDest > STRSAFE_MAX_CCH) {
        return STRSAFE_E_INVALID_PARAMETER;
    }
    n = vsnprintf(pszDest, cchDest, pszFormat, argList);
    if (n < 0) {
        pszDest[0] = '\0';
        return STRSAFE_E_INVALID_PARAMETER;
    }
    return (size_t)n >= cchDest ? STRSAFE_E_INSUFFICIENT_BUFFER : S_OK;
}

STRSAFEAPI StringCchVPrintfW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_LPCWSTR pszFormat,
                             va_list argList) {
    int n;
    if (cchDest == 0 || cchDest > STRSAFE_MAX_CCH) {
        return STRSAFE_E_INVALID_PARAMETER;
    }
    /* vswprintf fails (-1) rather than cutting when the output does not fit: keep what it
     * wrote and terminate it at the end of the buffer. */
    n = vswprintf(pszDest, cchDest, pszFormat, argList);
    if (n < 0) {
        pszDest[cchDest - 1] = L'\0';
        return STRSAFE_E_INSUFFICIENT_BUFFER;
    }
    return S_OK;
}

#if defined(__GNUC__) || defined(__clang__)
static inline HRESULT StringCchPrintfA(STRSAFE_LPSTR pszDest, size_t cchDest,
                                       STRSAFE_LPCSTR pszFormat, ...)
    __attribute__((format(printf, 3, 4)));
#endif
STRSAFEAPI StringCchPrintfA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_LPCSTR pszFormat,
                            ...) {
    HRESULT hr;
    va_list args;
    va_start(args, pszFormat);
    hr = StringCchVPrintfA(pszDest, cchDest, pszFormat, args);
    va_end(args);
    return hr;
}

STRSAFEAPI StringCchPrintfW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_LPCWSTR pszFormat,
                            ...) {
    HRESULT hr;
    va_list args;
    va_start(args, pszFormat);
    hr = StringCchVPrintfW(pszDest, cchDest, pszFormat, args);
    va_end(args);
    return hr;
}

STRSAFEAPI StringCbVPrintfA(STRSAFE_LPSTR pszDest, size_t cbDest, STRSAFE_LPCSTR pszFormat,
                            va_list argList) {
    return StringCchVPrintfA(pszDest, cbDest / sizeof(char), pszFormat, argList);
}

STRSAFEAPI StringCbVPrintfW(STRSAFE_LPWSTR pszDest, size_t cbDest, STRSAFE_LPCWSTR pszFormat,
                            va_list argList) {
    return StringCchVPrintfW(pszDest, cbDest / sizeof(wchar_t), pszFormat, argList);
}

#if defined(__GNUC__) || defined(__clang__)
static inline HRESULT StringCbPrintfA(STRSAFE_LPSTR pszDest, size_t cbDest,
                                      STRSAFE_LPCSTR pszFormat, ...)
    __attribute__((format(printf, 3, 4)));
#endif
STRSAFEAPI StringCbPrintfA(STRSAFE_LPSTR pszDest, size_t cbDest, STRSAFE_LPCSTR pszFormat,
                           ...) {
    HRESULT hr;
    va_list args;
    va_start(args, pszFormat);
    hr = StringCchVPrintfA(pszDest, cbDest / sizeof(char), pszFormat, args);
    va_end(args);
    return hr;
}

STRSAFEAPI StringCbPrintfW(STRSAFE_LPWSTR pszDest, size_t cbDest, STRSAFE_LPCWSTR pszFormat,
                           ...) {
    HRESULT hr;
    va_list args;
    va_start(args, pszFormat);
    hr = StringCchVPrintfW(pszDest, cbDest / sizeof(wchar_t), pszFormat, args);
    va_end(args);
    return hr;
}

/* ---- Generic names ------------------------------------------------------------------- */

#if defined(UNICODE) || defined(_UNICODE)
#define StringCchLength StringCchLengthW
#define StringCbLength StringCbLengthW
#define StringCchCopy StringCchCopyW
#define StringCchCopyN StringCchCopyNW
#define StringCbCopy StringCbCopyW
#define StringCbCopyN StringCbCopyNW
#define StringCchCat StringCchCatW
#define StringCchCatN StringCchCatNW
#define StringCbCat StringCbCatW
#define StringCchPrintf StringCchPrintfW
#define StringCchVPrintf StringCchVPrintfW
#define StringCbPrintf StringCbPrintfW
#define StringCbVPrintf StringCbVPrintfW
#else
#define StringCchLength StringCchLengthA
#define StringCbLength StringCbLengthA
#define StringCchCopy StringCchCopyA
#define StringCchCopyN StringCchCopyNA
#define StringCbCopy StringCbCopyA
#define StringCbCopyN StringCbCopyNA
#define StringCchCat StringCchCatA
#define StringCchCatN StringCchCatNA
#define StringCbCat StringCbCatA
#define StringCchPrintf StringCchPrintfA
#define StringCchVPrintf StringCchVPrintfA
#define StringCbPrintf StringCbPrintfA
#define StringCbVPrintf StringCbVPrintfA
#endif

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_STRSAFE_H */
