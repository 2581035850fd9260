/*
 * minwindef.h for alertable-win32: the basic Windows types, the calling-convention and
 * declaration spellings, and the small macros every Windows program uses.
 *
 * Sizes on Linux (LP64): DWORD, LONG, ULONG and BOOL are 32 bits (on Windows `long` is
 * 32 bits; on Linux it is 64, so DWORD is uint32_t: print it with %u, not %lu). Pointer-
 * sized types (HANDLE, ULONG_PTR, SIZE_T) are 64 bits.
 *
 * Calling conventions: Linux has one C calling convention, so WINAPI, CALLBACK, __stdcall,
 * __cdecl and their relatives are empty. MSVC's own spellings that GCC and Clang lack are
 * macros here: __int8 … __int64, __forceinline, and __declspec(noreturn | noinline |
 * dllimport | dllexport | thread | selectany | deprecated | align(n) | novtable). What a
 * macro cannot express — structured exception handling (__try, __except, __finally,
 * __leave) — is absent: such code needs rewriting.
 */
#ifndef ALERTABLE_MINWINDEF_H
#define ALERTABLE_MINWINDEF_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include <sal.h>
#include <basetsd.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Calling conventions and declaration decorations --------------------------------- */

#define __cdecl
#define __stdcall
#define __fastcall
#define __thiscall
#define __vectorcall
#define _cdecl
#define _stdcall
#define WINAPI
#define WINAPIV
#define WINAPI_INLINE
#define CALLBACK
#define APIENTRY
#define APIPRIVATE
#define PASCAL
#define FAR
#define NEAR
#define WINBASEAPI extern
#define WINUSERAPI extern
#define NTSYSAPI extern
#define NTAPI
#define DECLSPEC_IMPORT
#if defined(__GNUC__) || defined(__clang__)
#define DECLSPEC_NORETURN __attribute__((noreturn))
#define DECLSPEC_NOINLINE __attribute__((noinline))
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#define DECLSPEC_DEPRECATED __attribute__((deprecated))
#define __forceinline inline __attribute__((always_inline))
#define __declspec(spec) __alertable_declspec_##spec
#define __alertable_declspec_noreturn __attribute__((noreturn))
#define __alertable_declspec_noinline __attribute__((noinline))
#define __alertable_declspec_dllimport
#define __alertable_declspec_dllexport __attribute__((visibility("default")))
#define __alertable_declspec_thread __thread
#define __alertable_declspec_selectany __attribute__((weak))
#define __alertable_declspec_deprecated __attribute__((deprecated))
#define __alertable_declspec_novtable
#define __alertable_declspec_align(n) __attribute__((aligned(n)))
#else
#define DECLSPEC_NORETURN
#define DECLSPEC_NOINLINE
#define DECLSPEC_ALIGN(x)
#define DECLSPEC_DEPRECATED
#define __forceinline inline
#endif
#define __int8 char
#define __int16 short
#define __int32 int
#define __int64 long long
#define CONST const

/* ---- Integers ------------------------------------------------------------------------ */

typedef int BOOL;
typedef BOOL *PBOOL;
typedef BOOL *LPBOOL;
typedef unsigned char BYTE;
typedef BYTE *PBYTE;
typedef BYTE *LPBYTE;
typedef uint16_t WORD;
typedef WORD *PWORD;
typedef WORD *LPWORD;
typedef uint32_t DWORD;
typedef DWORD *PDWORD;
typedef DWORD *LPDWORD;
typedef int INT;
typedef int *PINT;
typedef int *LPINT;
typedef unsigned int UINT;
typedef float FLOAT;
typedef void *LPVOID;
typedef const void *LPCVOID;

#define TRUE 1
#define FALSE 0
#define MAX_PATH 260

/* ---- Window-message integers and module handles ------------------------------------- */

typedef UINT_PTR WPARAM;
typedef LONG_PTR LPARAM;
typedef LONG_PTR LRESULT;
typedef void *HMODULE;
typedef void *HINSTANCE;
/* What GetProcAddress returns: cast it to the function's real type before calling. */
typedef INT_PTR (WINAPI *FARPROC)(void);
typedef void *HLOCAL;
typedef void *HGLOBAL;

/* ---- Times --------------------------------------------------------------------------- */

typedef struct _FILETIME {
    DWORD dwLowDateTime;
    DWORD dwHighDateTime;
} FILETIME, *PFILETIME, *LPFILETIME;

/* ---- Small macros -------------------------------------------------------------------- */

#define MAKEWORD(low, high) ((WORD)(((BYTE)((DWORD_PTR)(low) & 0xff)) | ((WORD)((BYTE)((DWORD_PTR)(high) & 0xff))) << 8))
#define MAKELONG(low, high) ((LONG)(((WORD)((DWORD_PTR)(low) & 0xffff)) | ((DWORD)((WORD)((DWORD_PTR)(high) & 0xffff))) << 16))
#define LOWORD(l) ((WORD)((DWORD_PTR)(l) & 0xffff))
#define HIWORD(l) ((WORD)((DWORD_PTR)(l) >> 16))
#define LOBYTE(w) ((BYTE)((DWORD_PTR)(w) & 0xff))
#define HIBYTE(w) ((BYTE)((DWORD_PTR)(w) >> 8))

/* Windows defines min and max unless NOMINMAX; here only for C, because in C++ they would
 * break the standard library's std::min and std::max. */
#if !defined(__cplusplus) && !defined(NOMINMAX)
#ifndef max
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif
#ifndef min
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif
#endif

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_MINWINDEF_H */
