/*
 * basetsd.h for alertable-win32: the sized and pointer-sized integer types.
 *
 * Widths are Windows' on x64: the pointer-sized types (ULONG_PTR, SIZE_T, …) are 64 bits,
 * the numbered ones have the width in their name.
 */
#ifndef ALERTABLE_BASETSD_H
#define ALERTABLE_BASETSD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int8_t INT8;
typedef uint8_t UINT8;
typedef int16_t INT16;
typedef uint16_t UINT16;
typedef int32_t INT32;
typedef uint32_t UINT32;
typedef int64_t INT64;
typedef uint64_t UINT64;
typedef int32_t LONG32;
typedef uint32_t ULONG32;
typedef uint32_t DWORD32;
typedef int64_t LONG64;
typedef uint64_t ULONG64;
typedef uint64_t DWORD64;

typedef intptr_t LONG_PTR;
typedef uintptr_t ULONG_PTR;
typedef intptr_t INT_PTR;
typedef uintptr_t UINT_PTR;
typedef ULONG_PTR DWORD_PTR;
typedef size_t SIZE_T;
typedef intptr_t SSIZE_T;
typedef ULONG_PTR *PULONG_PTR;
typedef SIZE_T *PSIZE_T;

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_BASETSD_H */
