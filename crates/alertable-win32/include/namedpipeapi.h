/*
 * namedpipeapi.h for alertable-win32: named and anonymous pipes.
 *
 * A pipe is a Unix domain socket (a stream for PIPE_TYPE_BYTE, sequenced packets for
 * PIPE_TYPE_MESSAGE) whose name lives in a directory private to the user, so processes of
 * the same user reach each other's pipes and nobody else does. Names are
 * \\.\pipe\<name>, case-insensitive; there are no remote clients. PIPE_NOWAIT is refused,
 * security attributes are ignored, and a client whose server called DisconnectNamedPipe
 * reads ERROR_BROKEN_PIPE (Windows: ERROR_PIPE_NOT_CONNECTED).
 */
#ifndef ALERTABLE_NAMEDPIPEAPI_H
#define ALERTABLE_NAMEDPIPEAPI_H

#include <minwinbase.h>

#ifdef __cplusplus
extern "C" {
#endif

WINBASEAPI BOOL WINAPI CreatePipe(PHANDLE hReadPipe, PHANDLE hWritePipe,
                                  LPSECURITY_ATTRIBUTES lpPipeAttributes, DWORD nSize);
WINBASEAPI HANDLE WINAPI CreateNamedPipeW(LPCWSTR lpName, DWORD dwOpenMode, DWORD dwPipeMode,
                                          DWORD nMaxInstances, DWORD nOutBufferSize,
                                          DWORD nInBufferSize, DWORD nDefaultTimeOut,
                                          LPSECURITY_ATTRIBUTES lpSecurityAttributes);
WINBASEAPI BOOL WINAPI ConnectNamedPipe(HANDLE hNamedPipe, LPOVERLAPPED lpOverlapped);
WINBASEAPI BOOL WINAPI DisconnectNamedPipe(HANDLE hNamedPipe);
WINBASEAPI BOOL WINAPI WaitNamedPipeW(LPCWSTR lpNamedPipeName, DWORD nTimeOut);
WINBASEAPI BOOL WINAPI SetNamedPipeHandleState(HANDLE hNamedPipe, LPDWORD lpMode,
                                               LPDWORD lpMaxCollectionCount,
                                               LPDWORD lpCollectDataTimeout);
WINBASEAPI BOOL WINAPI GetNamedPipeInfo(HANDLE hNamedPipe, LPDWORD lpFlags,
                                        LPDWORD lpOutBufferSize, LPDWORD lpInBufferSize,
                                        LPDWORD lpMaxInstances);
WINBASEAPI BOOL WINAPI PeekNamedPipe(HANDLE hNamedPipe, LPVOID lpBuffer, DWORD nBufferSize,
                                     LPDWORD lpBytesRead, LPDWORD lpTotalBytesAvail,
                                     LPDWORD lpBytesLeftThisMessage);
WINBASEAPI BOOL WINAPI TransactNamedPipe(HANDLE hNamedPipe, LPVOID lpInBuffer,
                                         DWORD nInBufferSize, LPVOID lpOutBuffer,
                                         DWORD nOutBufferSize, LPDWORD lpBytesRead,
                                         LPOVERLAPPED lpOverlapped);
WINBASEAPI BOOL WINAPI CallNamedPipeW(LPCWSTR lpNamedPipeName, LPVOID lpInBuffer,
                                      DWORD nInBufferSize, LPVOID lpOutBuffer,
                                      DWORD nOutBufferSize, LPDWORD lpBytesRead,
                                      DWORD nTimeOut);

#ifdef UNICODE
#define CreateNamedPipe CreateNamedPipeW
#define WaitNamedPipe WaitNamedPipeW
#define CallNamedPipe CallNamedPipeW
#endif

#ifdef __cplusplus
}
#endif

#endif /* ALERTABLE_NAMEDPIPEAPI_H */
