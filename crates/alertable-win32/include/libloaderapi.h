/*
 * libloaderapi.h for alertable-win32: finding functions by module and name.
 *
 * There are no DLLs here: ntdll.dll, kernel32.dll and kernelbase.dll are names this
 * library answers to (any case, with or without ".dll", after any directory), with fixed
 * handles. kernel32.dll and kernelbase.dll export every Win32 function of the library,
 * ntdll.dll its NT functions (winternl.h); the program itself (GetModuleHandle(NULL))
 * exports nothing. LoadLibrary finds only these three names (ERROR_MOD_NOT_FOUND for any
 * other) and counts nothing; FreeLibrary succeeds and changes nothing. GetProcAddress by
 * ordinal fails with ERROR_PROC_NOT_FOUND.
 */
#ifndef ALERTABLE_LIBLOADERAPI_H
#define ALERTABLE_LIBLOADERAPI_H

#include <minwinbase.h>

#ifdef __cplusplus
extern "C" {
#endif

WINBASEAPI HMODULE WINAPI GetModuleHandleA(LPCSTR lpModuleName);
WINBASEAPI HMODULE WINAPI GetModuleHandleW(LPCWSTR lpModuleName);
WINBASEAPI HMODULE WINAPI LoadLibraryA(LPCSTR lpLibFileName);
WINBASEAPI HMODULE WINAPI LoadLibraryW(LPCWSTR lpLibFileName);
WINBASEAPI BOOL WINAPI FreeLibrary(HMODULE hLibModule);
WINBASEAPI FARPROC WINAPI GetProcAddress(HMODULE hModule, LPCSTR lpProcName);

#ifdef UNICODE
#define GetModuleHandle GetModuleHandleW
#define LoadLibrary LoadLibraryW
#else
#define GetModuleHandle GetModuleHandleA
#define LoadLibrary LoadLibraryA
#endif

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_LIBLOADERAPI_H */
