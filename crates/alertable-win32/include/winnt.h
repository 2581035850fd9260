/*
 * winnt.h for alertable-win32: characters and strings, handles, 64-bit integers, access
 * rights, and the interlocked functions.
 *
 * Characters: WCHAR is wchar_t, which is 32 bits (UTF-32) on Linux, so L"" literals and
 * wprintf work unchanged. In wprintf, glibc reads %s as a narrow string: use %ls for a
 * wide string (which Windows accepts too). TCHAR, LPTSTR and TEXT() follow UNICODE as on
 * Windows; the ...A functions read and write UTF-8.
 */
#ifndef ALERTABLE_WINNT_H
#define ALERTABLE_WINNT_H

#include <minwindef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Integers ------------------------------------------------------------------------ */

#define VOID void
typedef void *PVOID;
typedef short SHORT;
typedef unsigned short USHORT;
typedef unsigned char UCHAR;
typedef int32_t LONG;
typedef LONG *PLONG;
typedef LONG *LPLONG;
typedef uint32_t ULONG;
typedef ULONG *PULONG;
typedef long long LONGLONG;
typedef LONGLONG *PLONGLONG;
typedef unsigned long long ULONGLONG;
typedef ULONGLONG *PULONGLONG;
typedef ULONGLONG DWORDLONG;
typedef BYTE BOOLEAN;
typedef LONG HRESULT;

/* ---- Characters and strings ---------------------------------------------------------- */

typedef char CHAR;
typedef CHAR *PCHAR;
typedef wchar_t WCHAR;
typedef WCHAR *PWCHAR;
typedef CHAR *LPSTR;
typedef CHAR *PSTR;
typedef const CHAR *LPCSTR;
typedef const CHAR *PCSTR;
typedef WCHAR *LPWSTR;
typedef WCHAR *PWSTR;
typedef const WCHAR *LPCWSTR;
typedef const WCHAR *PCWSTR;

#define __TEXT(quote) L##quote
#ifdef UNICODE
typedef WCHAR TCHAR;
typedef LPWSTR LPTSTR;
typedef LPWSTR PTSTR;
typedef LPCWSTR LPCTSTR;
typedef LPCWSTR PCTSTR;
#define TEXT(quote) __TEXT(quote)
#else
typedef CHAR TCHAR;
typedef LPSTR LPTSTR;
typedef LPSTR PTSTR;
typedef LPCSTR LPCTSTR;
typedef LPCSTR PCTSTR;
#define TEXT(quote) quote
#endif

/* ---- Handles ------------------------------------------------------------------------- */

typedef void *HANDLE;
typedef HANDLE *PHANDLE;
typedef HANDLE *LPHANDLE;

/* ---- 64-bit integers in parts -------------------------------------------------------- */

typedef struct _LARGE_INTEGER_PARTS {
    DWORD LowPart;
    LONG HighPart;
} LARGE_INTEGER_PARTS;

typedef union _LARGE_INTEGER {
    struct {
        DWORD LowPart;
        LONG HighPart;
    };
    LARGE_INTEGER_PARTS u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef struct _ULARGE_INTEGER_PARTS {
    DWORD LowPart;
    DWORD HighPart;
} ULARGE_INTEGER_PARTS;

typedef union _ULARGE_INTEGER {
    struct {
        DWORD LowPart;
        DWORD HighPart;
    };
    ULARGE_INTEGER_PARTS u;
    ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

/* ---- Callbacks ----------------------------------------------------------------------- */

typedef VOID (CALLBACK *PAPCFUNC)(ULONG_PTR Parameter);

/* ---- The thread pool's types ----------------------------------------------------------
 * The objects are incomplete types, only ever pointed to; the callback environment is
 * filled in by InitializeThreadpoolEnvironment and the SetThreadpoolCallback… functions
 * of winbase.h. */

typedef struct _TP_POOL TP_POOL, *PTP_POOL;
typedef struct _TP_WORK TP_WORK, *PTP_WORK;
typedef struct _TP_TIMER TP_TIMER, *PTP_TIMER;
typedef struct _TP_WAIT TP_WAIT, *PTP_WAIT;
typedef struct _TP_IO TP_IO, *PTP_IO;
typedef struct _TP_CLEANUP_GROUP TP_CLEANUP_GROUP, *PTP_CLEANUP_GROUP;
typedef struct _TP_CALLBACK_INSTANCE TP_CALLBACK_INSTANCE, *PTP_CALLBACK_INSTANCE;
typedef DWORD TP_VERSION;
typedef DWORD TP_WAIT_RESULT;
typedef DWORD TP_CALLBACK_PRIORITY;

typedef VOID (CALLBACK *PTP_SIMPLE_CALLBACK)(PTP_CALLBACK_INSTANCE Instance, PVOID Context);
typedef VOID (CALLBACK *PTP_WORK_CALLBACK)(PTP_CALLBACK_INSTANCE Instance, PVOID Context,
                                           PTP_WORK Work);
typedef VOID (CALLBACK *PTP_TIMER_CALLBACK)(PTP_CALLBACK_INSTANCE Instance, PVOID Context,
                                            PTP_TIMER Timer);
typedef VOID (CALLBACK *PTP_WAIT_CALLBACK)(PTP_CALLBACK_INSTANCE Instance, PVOID Context,
                                           PTP_WAIT Wait, TP_WAIT_RESULT WaitResult);
typedef VOID (CALLBACK *PTP_WIN32_IO_CALLBACK)(PTP_CALLBACK_INSTANCE Instance, PVOID Context,
                                               PVOID Overlapped, ULONG IoResult,
                                               ULONG_PTR NumberOfBytesTransferred, PTP_IO Io);
typedef VOID (CALLBACK *PTP_CLEANUP_GROUP_CANCEL_CALLBACK)(PVOID ObjectContext,
                                                           PVOID CleanupContext);

typedef union _TP_CALLBACK_ENVIRON_V3_FLAGS {
    DWORD Flags;
} TP_CALLBACK_ENVIRON_V3_FLAGS;

typedef struct _TP_CALLBACK_ENVIRON_V3 {
    TP_VERSION Version;
    PTP_POOL Pool;
    PTP_CLEANUP_GROUP CleanupGroup;
    PTP_CLEANUP_GROUP_CANCEL_CALLBACK CleanupGroupCancelCallback;
    PVOID RaceDll;
    PVOID ActivationContext;
    PTP_SIMPLE_CALLBACK FinalizationCallback;
    TP_CALLBACK_ENVIRON_V3_FLAGS u;
    TP_CALLBACK_PRIORITY CallbackPriority;
    DWORD Size;
} TP_CALLBACK_ENVIRON_V3, TP_CALLBACK_ENVIRON, *PTP_CALLBACK_ENVIRON;

/* The legacy thread pool functions' callback and flags. */
typedef VOID (CALLBACK *WAITORTIMERCALLBACK)(PVOID lpParameter, BOOLEAN TimerOrWaitFired);
#define WT_EXECUTEDEFAULT 0x00000000
#define WT_EXECUTEINIOTHREAD 0x00000001
#define WT_EXECUTEINWAITTHREAD 0x00000004
#define WT_EXECUTEONLYONCE 0x00000008
#define WT_EXECUTELONGFUNCTION 0x00000010
#define WT_EXECUTEINTIMERTHREAD 0x00000020
#define WT_EXECUTEINPERSISTENTTHREAD 0x00000080
#define WT_TRANSFER_IMPERSONATION 0x00000100

/* ---- Macros -------------------------------------------------------------------------- */

#define UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_LOCAL_VARIABLE(V) ((void)(V))
#define ARRAYSIZE(a) (sizeof(a) / sizeof((a)[0]))
#define RTL_NUMBER_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Constants: access rights -------------------------------------------------------- */

#define DELETE 0x00010000
#define READ_CONTROL 0x00020000
#define WRITE_DAC 0x00040000
#define WRITE_OWNER 0x00080000
#define SYNCHRONIZE 0x00100000
#define STANDARD_RIGHTS_REQUIRED 0x000F0000
#define STANDARD_RIGHTS_READ READ_CONTROL
#define STANDARD_RIGHTS_WRITE READ_CONTROL
#define STANDARD_RIGHTS_EXECUTE READ_CONTROL
#define STANDARD_RIGHTS_ALL 0x001F0000
#define SPECIFIC_RIGHTS_ALL 0x0000FFFF
#define ACCESS_SYSTEM_SECURITY 0x01000000
#define MAXIMUM_ALLOWED 0x02000000
#define GENERIC_READ 0x80000000
#define GENERIC_WRITE 0x40000000
#define GENERIC_EXECUTE 0x20000000
#define GENERIC_ALL 0x10000000
#define THREAD_TERMINATE 0x0001
#define THREAD_SUSPEND_RESUME 0x0002
#define THREAD_ALERT 0x0004
#define THREAD_GET_CONTEXT 0x0008
#define THREAD_SET_CONTEXT 0x0010
#define THREAD_SET_INFORMATION 0x0020
#define THREAD_QUERY_INFORMATION 0x0040
#define THREAD_SET_LIMITED_INFORMATION 0x0400
#define THREAD_QUERY_LIMITED_INFORMATION 0x0800
#define THREAD_RESUME 0x1000
#define THREAD_ALL_ACCESS 0x001FFFFF
#define PROCESS_DUP_HANDLE 0x0040
#define PROCESS_QUERY_INFORMATION 0x0400
#define PROCESS_QUERY_LIMITED_INFORMATION 0x1000
#define PROCESS_ALL_ACCESS 0x001FFFFF
#define EVENT_MODIFY_STATE 0x0002
#define EVENT_ALL_ACCESS 0x001F0003
#define SEMAPHORE_MODIFY_STATE 0x0002
#define SEMAPHORE_ALL_ACCESS 0x001F0003
#define MUTEX_MODIFY_STATE 0x0001
#define MUTEX_ALL_ACCESS 0x001F0001
#define TIMER_QUERY_STATE 0x0001
#define TIMER_MODIFY_STATE 0x0002
#define TIMER_ALL_ACCESS 0x001F0003
#define IO_COMPLETION_MODIFY_STATE 0x0002
#define IO_COMPLETION_ALL_ACCESS 0x001F0003
#define FILE_READ_DATA 0x0001
#define FILE_WRITE_DATA 0x0002
#define FILE_APPEND_DATA 0x0004
#define FILE_READ_EA 0x0008
#define FILE_WRITE_EA 0x0010
#define FILE_EXECUTE 0x0020
#define FILE_READ_ATTRIBUTES 0x0080
#define FILE_WRITE_ATTRIBUTES 0x0100
#define FILE_GENERIC_READ 0x00120089
#define FILE_GENERIC_WRITE 0x00120116
#define FILE_GENERIC_EXECUTE 0x001200A0
#define FILE_ALL_ACCESS 0x001F01FF
#define DUPLICATE_CLOSE_SOURCE 0x00000001
#define DUPLICATE_SAME_ACCESS 0x00000002

/* ---- Constants: waits, files and power requests -------------------------------------- */

#define MAXIMUM_WAIT_OBJECTS 64
#define MAXIMUM_SUSPEND_COUNT 0x7F
/* The Internal member of an OVERLAPPED whose request is still in progress. */
#define STATUS_PENDING ((DWORD)0x00000103)
/* The results of the NT waits (winternl.h) that Win32's wait results share. */
#define STATUS_WAIT_0 ((DWORD)0x00000000)
#define STATUS_ABANDONED_WAIT_0 ((DWORD)0x00000080)
#define STATUS_USER_APC ((DWORD)0x000000C0)
#define STATUS_TIMEOUT ((DWORD)0x00000102)
#define FILE_SHARE_READ 0x00000001
#define FILE_SHARE_WRITE 0x00000002
#define FILE_SHARE_DELETE 0x00000004
#define FILE_ATTRIBUTE_READONLY 0x00000001
#define FILE_ATTRIBUTE_DIRECTORY 0x00000010
#define FILE_ATTRIBUTE_NORMAL 0x00000080
#define POWER_REQUEST_CONTEXT_VERSION 0
#define POWER_REQUEST_CONTEXT_SIMPLE_STRING 0x00000001
#define POWER_REQUEST_CONTEXT_DETAILED_STRING 0x00000002

/* ---- Constants: heaps, TLS, processors ----------------------------------------------- */

#define HEAP_NO_SERIALIZE 0x00000001
#define HEAP_GENERATE_EXCEPTIONS 0x00000004
#define HEAP_ZERO_MEMORY 0x00000008
#define HEAP_REALLOC_IN_PLACE_ONLY 0x00000010
#define TLS_MINIMUM_AVAILABLE 64
#define PROCESSOR_ARCHITECTURE_INTEL 0
#define PROCESSOR_ARCHITECTURE_ARM 5
#define PROCESSOR_ARCHITECTURE_AMD64 9
#define PROCESSOR_ARCHITECTURE_ARM64 12
#define PROCESSOR_ARCHITECTURE_UNKNOWN 0xFFFF
#define PROCESSOR_INTEL_386 386
#define PROCESSOR_AMD_X8664 8664

/* ---- Language ids -------------------------------------------------------------------- */

#define MAKELANGID(p, s) ((((WORD)(s)) << 10) | (WORD)(p))
#define PRIMARYLANGID(lgid) ((WORD)(lgid) & 0x3ff)
#define SUBLANGID(lgid) ((WORD)(lgid) >> 10)
#define LANG_NEUTRAL 0x00
#define LANG_ENGLISH 0x09
#define SUBLANG_NEUTRAL 0x00
#define SUBLANG_DEFAULT 0x01
#define SUBLANG_SYS_DEFAULT 0x02
#define SUBLANG_ENGLISH_US 0x01
#define LANG_USER_DEFAULT 0x0400
#define LANG_SYSTEM_DEFAULT 0x0800

/* ---- Functions: interlocked ---------------------------------------------------------- */

/* Real functions here (intrinsics on Windows); full barriers, as on Windows. */
WINBASEAPI LONG WINAPI InterlockedIncrement(LONG volatile *Addend);
WINBASEAPI LONG WINAPI InterlockedDecrement(LONG volatile *Addend);
WINBASEAPI LONG WINAPI InterlockedExchange(LONG volatile *Target, LONG Value);
WINBASEAPI LONG WINAPI InterlockedCompareExchange(LONG volatile *Destination, LONG ExChange,
                                                  LONG Comperand);
/* The rest of the family; a NULL or misaligned target is left alone and 0 returned. */
WINBASEAPI LONG WINAPI InterlockedExchangeAdd(LONG volatile *Addend, LONG Value);
WINBASEAPI LONG WINAPI InterlockedAdd(LONG volatile *Addend, LONG Value);
WINBASEAPI LONG WINAPI InterlockedAnd(LONG volatile *Destination, LONG Value);
WINBASEAPI LONG WINAPI InterlockedOr(LONG volatile *Destination, LONG Value);
WINBASEAPI LONG WINAPI InterlockedXor(LONG volatile *Destination, LONG Value);
WINBASEAPI LONG64 WINAPI InterlockedIncrement64(LONG64 volatile *Addend);
WINBASEAPI LONG64 WINAPI InterlockedDecrement64(LONG64 volatile *Addend);
WINBASEAPI LONG64 WINAPI InterlockedExchange64(LONG64 volatile *Target, LONG64 Value);
WINBASEAPI LONG64 WINAPI InterlockedCompareExchange64(LONG64 volatile *Destination,
                                                      LONG64 ExChange, LONG64 Comperand);
WINBASEAPI LONG64 WINAPI InterlockedExchangeAdd64(LONG64 volatile *Addend, LONG64 Value);
WINBASEAPI LONG64 WINAPI InterlockedAdd64(LONG64 volatile *Addend, LONG64 Value);
WINBASEAPI LONG64 WINAPI InterlockedAnd64(LONG64 volatile *Destination, LONG64 Value);
WINBASEAPI LONG64 WINAPI InterlockedOr64(LONG64 volatile *Destination, LONG64 Value);
WINBASEAPI LONG64 WINAPI InterlockedXor64(LONG64 volatile *Destination, LONG64 Value);
WINBASEAPI PVOID WINAPI InterlockedExchangePointer(PVOID volatile *Target, PVOID Value);
WINBASEAPI PVOID WINAPI InterlockedCompareExchangePointer(PVOID volatile *Destination,
                                                          PVOID Exchange, PVOID Comperand);

/* A full memory barrier, and the spin-wait hint. */
#define MemoryBarrier() __sync_synchronize()
#if defined(__x86_64__) || defined(__i386__)
#define YieldProcessor() __builtin_ia32_pause()
#elif defined(__aarch64__) || defined(__arm__)
#define YieldProcessor() __asm__ __volatile__("yield")
#else
#define YieldProcessor() ((void)0)
#endif

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_WINNT_H */
