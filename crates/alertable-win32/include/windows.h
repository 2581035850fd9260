/*
 * windows.h for alertable-win32: the Win32 APC model on Linux.
 *
 * Include it as <windows.h> (add this folder to the include path) and link the
 * alertable_win32 library:
 *
 *     cc -I <crate>/include prog.c -L <dir> -lalertable_win32 -Wl,-rpath,<dir>
 *
 * The headers are laid out as the Windows SDK lays them out: one header per API set
 * (synchapi.h, processthreadsapi.h, fileapi.h, ioapiset.h, handleapi.h, errhandlingapi.h,
 * sysinfoapi.h, threadpoolapiset.h), the base types (minwindef.h, winnt.h, basetsd.h, windef.h), the shared
 * structures (minwinbase.h), winbase.h over the API sets, winerror.h, and winuser.h for
 * thread messages; each can be included on its own, and this one includes them all. Each
 * declares exactly the functions the library exports from the Rust module of the same
 * name; the crate's `header` test checks every declaration, type and constant against the
 * Rust definitions, so the headers cannot drift from them. tchar.h and strsafe.h, which
 * the C runtime and the SDK provide beside them, are here too.
 */
#ifndef ALERTABLE_WINDOWS_H
#define ALERTABLE_WINDOWS_H

#include <windef.h>
#include <winbase.h>
#include <winerror.h>
#include <winuser.h>
#include <consoleapi.h>

#endif /* ALERTABLE_WINDOWS_H */
