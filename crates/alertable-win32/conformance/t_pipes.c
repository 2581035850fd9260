/*
 * Named and anonymous pipes: J104, J105, J106, J107, J113, K115 and the pipe errors of
 * Windows (ERROR_PIPE_LISTENING, ERROR_PIPE_CONNECTED, ERROR_PIPE_BUSY, ERROR_NO_DATA,
 * ERROR_PIPE_NOT_CONNECTED, ERROR_MORE_DATA, ERROR_SEM_TIMEOUT), as Wine's
 * kernel32/tests/pipe.c and ntdll/tests/pipe.c check them on Windows. Server and client
 * are in this process; a thread plays the server where a call must wait for it.
 */
#include "conformance.h"
#include <string.h>

static char name[128];
static int routine_calls;
static DWORD routine_error, routine_bytes;

static VOID CALLBACK routine(DWORD error, DWORD bytes, LPOVERLAPPED ov)
{
    (void)ov;
    routine_calls++;
    routine_error = error;
    routine_bytes = bytes;
}

static void new_name(const char *tag)
{
    static unsigned count;
    snprintf(name, sizeof name, "\\\\.\\pipe\\alertable-conformance-%s-%u-%u", tag,
             (unsigned)GetCurrentProcessId(), ++count);
}

static HANDLE server(DWORD open_mode, DWORD pipe_mode, DWORD instances)
{
    HANDLE h = CreateNamedPipeA(name, open_mode, pipe_mode, instances, 1024, 1024, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        printf("CreateNamedPipeA failed: %u\n", LAST_ERROR());
        ExitProcess(1);
    }
    return h;
}

static HANDLE client(DWORD flags)
{
    return CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, flags, NULL);
}

/* The synchronous server of the CallNamedPipe check: one client, an upper-cased echo. */
static DWORD WINAPI echo_server(LPVOID param)
{
    HANDLE pipe = (HANDLE)param;
    char buf[64];
    DWORD n = 0, i;
    BOOL connected = ConnectNamedPipe(pipe, NULL) || GetLastError() == ERROR_PIPE_CONNECTED;
    if (connected && ReadFile(pipe, buf, sizeof buf, &n, NULL)) {
        for (i = 0; i < n; i++)
            if (buf[i] >= 'a' && buf[i] <= 'z')
                buf[i] = (char)(buf[i] - 'a' + 'A');
        WriteFile(pipe, buf, n, &n, NULL);
        FlushFileBuffers(pipe);
    }
    DisconnectNamedPipe(pipe);
    return 0;
}

int main(void)
{
    OVERLAPPED ov;
    HANDLE srv, cli, ev, port;
    char buf[64];
    DWORD n, total, left, flags, out, in, max, mode;
    BOOL ok;

    ev = CreateEventA(NULL, TRUE, FALSE, NULL);

    /* A listening instance: reads and writes are refused. */
    new_name("listen");
    srv = server(PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
                 PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 1);
    memset(&ov, 0, sizeof ov);
    ov.hEvent = ev;
    ok = ReadFile(srv, buf, sizeof buf, &n, &ov);
    printf("ReadFile listening: %d %u\n", ok, LAST_ERROR());
    ok = WriteFile(srv, "x", 1, &n, &ov);
    printf("WriteFile listening: %d %u\n", ok, LAST_ERROR());

    /* J113: a connect with no client is pending; the client completes it. */
    ok = ConnectNamedPipe(srv, &ov);
    printf("J113 ConnectNamedPipe: %d %u\n", ok, LAST_ERROR());
    printf("J113 event before the client: %u\n", (unsigned)WaitForSingleObject(ev, 0));
    cli = client(0);
    printf("CreateFileA client: %s\n", cli != INVALID_HANDLE_VALUE ? "handle" : "failed");
    printf("J113 event after the client: %u\n", (unsigned)WaitForSingleObject(ev, INFINITE));
    n = 99;
    ok = GetOverlappedResult(srv, &ov, &n, FALSE);
    printf("J113 GetOverlappedResult: %d %u\n", ok, n);

    /* Every instance busy. */
    ok = client(0) == INVALID_HANDLE_VALUE;
    printf("second client: %s %u\n", ok ? "INVALID_HANDLE_VALUE" : "handle", LAST_ERROR());
    ok = CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE, 1, 0, 0, 0, NULL) ==
         INVALID_HANDLE_VALUE;
    printf("second instance: %s %u\n", ok ? "INVALID_HANDLE_VALUE" : "handle", LAST_ERROR());
    ok = WaitNamedPipeA(name, 10);
    printf("WaitNamedPipeA busy: %d %u\n", ok, LAST_ERROR());

    /* Information. */
    GetNamedPipeInfo(srv, &flags, &out, &in, &max);
    printf("GetNamedPipeInfo server: %u %u %u %u\n", flags, out, in, max);
    GetNamedPipeInfo(cli, &flags, NULL, NULL, &max);
    printf("GetNamedPipeInfo client: %u %u\n", flags, max);

    /* Message mode: a short read gets ERROR_MORE_DATA and the rest comes next. */
    WriteFile(cli, "0123456789", 10, &n, NULL);
    WriteFile(cli, "next", 4, &n, NULL);
    ok = PeekNamedPipe(srv, buf, 3, &n, &total, &left);
    printf("PeekNamedPipe: %d %u %u %u %.3s\n", ok, n, total, left, buf);
    memset(buf, 0, sizeof buf);
    ok = ReadFile(srv, buf, 4, &n, &ov);
    printf("ReadFile short: %d %u %u %s\n", ok, LAST_ERROR(), n, buf);
    n = 0;
    ok = GetOverlappedResult(srv, &ov, &n, TRUE);
    printf("GetOverlappedResult short: %d %u %u\n", ok, LAST_ERROR(), n);
    memset(buf, 0, sizeof buf);
    ok = ReadFile(srv, buf, 4, &n, &ov);
    printf("ReadFile short again: %d %u %u %s\n", ok, LAST_ERROR(), n, buf);
    memset(buf, 0, sizeof buf);
    ok = ReadFile(srv, buf, sizeof buf, &n, &ov);
    printf("ReadFile rest: %d %u %s\n", ok, n, buf);

    /* J104: data at hand: ReadFileEx succeeds and its routine waits for an alertable wait. */
    routine_calls = 0;
    memset(buf, 0, sizeof buf);
    ok = ReadFileEx(srv, buf, sizeof buf, &ov, routine);
    printf("J104 ReadFileEx: %d, routine calls %d\n", ok, routine_calls);
    n = SleepEx(0, TRUE);
    printf("J104 SleepEx: %u, routine calls %d (%u, %u) %s\n", n, routine_calls,
           routine_error, routine_bytes, buf);

    /* J105: a pending read completes when the client writes. */
    routine_calls = 0;
    memset(buf, 0, sizeof buf);
    ok = ReadFileEx(srv, buf, sizeof buf, &ov, routine);
    n = SleepEx(0, TRUE);
    printf("J105 ReadFileEx: %d, SleepEx %u, routine calls %d\n", ok, n, routine_calls);
    WriteFile(cli, "test", 4, &n, NULL);
    n = SleepEx(INFINITE, TRUE);
    printf("J105 SleepEx: %u, routine calls %d (%u, %u) %s\n", n, routine_calls, routine_error,
           routine_bytes, buf);

    /* The client reads in message mode and transacts. */
    mode = PIPE_READMODE_MESSAGE;
    printf("SetNamedPipeHandleState: %d\n", SetNamedPipeHandleState(cli, &mode, NULL, NULL));
    WriteFile(srv, "reply", 5, &n, &ov);
    GetOverlappedResult(srv, &ov, &n, TRUE);
    memset(buf, 0, sizeof buf);
    ok = ReadFile(cli, buf, 2, &n, NULL);
    printf("client ReadFile short: %d %u %u %.2s\n", ok, LAST_ERROR(), n, buf);
    ok = ReadFile(cli, buf, sizeof buf, &n, NULL);
    printf("client ReadFile rest: %d %u %.3s\n", ok, n, buf);

    /* J107: the client leaves during a pending read; J106: later requests are refused. */
    ok = ReadFile(srv, buf, sizeof buf, &n, &ov);
    printf("J107 ReadFile: %d %u\n", ok, LAST_ERROR());
    printf("J105 pipe handle while the read is pending: %u\n",
           (unsigned)WaitForSingleObject(srv, 0));
    CloseHandle(cli);
    n = 99;
    ok = GetOverlappedResult(srv, &ov, &n, TRUE);
    printf("J107 GetOverlappedResult: %d %u %u\n", ok, LAST_ERROR(), n);
    printf("J105 pipe handle once it completed: %u\n", (unsigned)WaitForSingleObject(srv, 0));
    ResetEvent(ev);
    ok = ReadFile(srv, buf, sizeof buf, &n, &ov);
    n = LAST_ERROR();
    printf("J106 ReadFile: %d %u, event %u\n", ok, n, (unsigned)WaitForSingleObject(ev, 0));
    ok = WriteFile(srv, "x", 1, &n, &ov);
    printf("WriteFile to a closed client: %d %u\n", ok, LAST_ERROR());

    /* Disconnect: requests fail with ERROR_PIPE_NOT_CONNECTED; a new connect listens. */
    printf("DisconnectNamedPipe: %d\n", DisconnectNamedPipe(srv));
    ok = DisconnectNamedPipe(srv);
    printf("DisconnectNamedPipe again: %d %u\n", ok, LAST_ERROR());
    ok = ReadFile(srv, buf, sizeof buf, &n, &ov);
    printf("ReadFile disconnected: %d %u\n", ok, LAST_ERROR());
    ok = ConnectNamedPipe(srv, &ov);
    printf("ConnectNamedPipe again: %d %u\n", ok, LAST_ERROR());
    printf("WaitNamedPipeA listening: %d\n", WaitNamedPipeA(name, NMPWAIT_USE_DEFAULT_WAIT));

    /* K115: CancelIo ends the pending connect with ERROR_OPERATION_ABORTED. */
    printf("K115 CancelIo: %d\n", CancelIo(srv));
    ok = GetOverlappedResult(srv, &ov, &n, TRUE);
    printf("K115 GetOverlappedResult: %d %u\n", ok, LAST_ERROR());

    /* J113: a client before the connect gives ERROR_PIPE_CONNECTED, event untouched. */
    cli = client(FILE_FLAG_OVERLAPPED);
    ResetEvent(ev);
    ok = ConnectNamedPipe(srv, &ov);
    n = LAST_ERROR();
    printf("J113 client first: %d %u, event %u\n", ok, n, (unsigned)WaitForSingleObject(ev, 0));

    /* A completion port gets the requests of a bound pipe. */
    port = CreateIoCompletionPort(cli, NULL, 7, 0);
    {
        DWORD bytes = 0;
        ULONG_PTR key = 0;
        LPOVERLAPPED got = NULL;
        OVERLAPPED cov;
        memset(&cov, 0, sizeof cov);
        memset(buf, 0, sizeof buf);
        ok = ReadFile(cli, buf, sizeof buf, NULL, &cov);
        printf("port ReadFile: %d %u\n", ok, LAST_ERROR());
        WriteFile(srv, "packet", 6, &n, &ov);
        GetOverlappedResult(srv, &ov, &n, TRUE);
        ok = GetQueuedCompletionStatus(port, &bytes, &key, &got, INFINITE);
        printf("port packet: %d %u %u %s %s\n", ok, bytes, (unsigned)key,
               got == &cov ? "&ov" : "other", buf);
    }
    CloseHandle(cli);
    CloseHandle(port);
    CloseHandle(srv);

    /* Missing names. */
    new_name("missing");
    ok = client(0) == INVALID_HANDLE_VALUE;
    printf("CreateFileA missing: %s %u\n", ok ? "INVALID_HANDLE_VALUE" : "handle", LAST_ERROR());
    ok = WaitNamedPipeA(name, 0);
    printf("WaitNamedPipeA missing: %d %u\n", ok, LAST_ERROR());

    /* CallNamedPipe against a synchronous server thread. */
    new_name("call");
    srv = server(PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE,
                 PIPE_UNLIMITED_INSTANCES);
    {
        HANDLE t = start_thread(echo_server, srv, 0);
        memset(buf, 0, sizeof buf);
        ok = CallNamedPipeA(name, "hello", 5, buf, sizeof buf, &n, NMPWAIT_WAIT_FOREVER);
        printf("CallNamedPipeA: %d %u %s\n", ok, n, buf);
        join_thread(t);
    }
    CloseHandle(srv);

    /* Anonymous pipes. */
    {
        HANDLE r, w;
        printf("CreatePipe: %d\n", CreatePipe(&r, &w, NULL, 0));
        GetNamedPipeInfo(r, &flags, &out, &in, &max);
        printf("GetNamedPipeInfo read end: %u %u %u %u\n", flags, out, in, max);
        WriteFile(w, "anonymous", 9, &n, NULL);
        ok = PeekNamedPipe(r, NULL, 0, NULL, &total, NULL);
        printf("PeekNamedPipe anonymous: %d %u\n", ok, total);
        memset(buf, 0, sizeof buf);
        ok = ReadFile(r, buf, sizeof buf, &n, NULL);
        printf("ReadFile anonymous: %d %u %s\n", ok, n, buf);
        CloseHandle(w);
        ok = ReadFile(r, buf, sizeof buf, &n, NULL);
        printf("ReadFile broken: %d %u\n", ok, LAST_ERROR());
        CloseHandle(r);
    }

    CloseHandle(ev);
    return 0;
}
