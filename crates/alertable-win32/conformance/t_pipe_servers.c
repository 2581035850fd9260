/*
 * Pipe servers in the three shapes Microsoft's documentation teaches — completion
 * routines (ReadFileEx/WriteFileEx chained from routines, an alertable wait on the
 * connect event), overlapped requests with one event per instance (WaitForMultipleObjects
 * and GetOverlappedResult), and a thread per client (synchronous ConnectNamedPipe,
 * ReadFile, WriteFile, FlushFileBuffers, DisconnectNamedPipe) — each serving several
 * clients at once. The clients open the pipe with CreateFile (waiting with WaitNamedPipe
 * while every instance is busy), switch to message mode with SetNamedPipeHandleState,
 * and exchange a request and a reply three ways: WriteFile and ReadFile with a small
 * buffer (the reply comes in parts, ERROR_MORE_DATA), TransactNamedPipe, CallNamedPipe.
 *
 * Without arguments the clients are threads of this process, and the lines below are
 * what Windows prints. With arguments it is one side, for tests/pipes.rs, which runs a
 * server and its clients as separate processes:
 *     t_pipe_servers server <routines|overlapped|threads> <pipe name> <sessions>
 *     t_pipe_servers client <pipe name> <number>
 */
#include "conformance.h"
#include <stdlib.h>
#include <string.h>

#define CLIENTS 6
#define MESSAGE 256

static char pipe_name[128];

/* ---- Replies --------------------------------------------------------------------------- */

/* The reply to a request: "reply to " and the request, NUL included. */
static DWORD make_reply(const char *request, DWORD request_len, char *reply)
{
    DWORD n = 0;
    memcpy(reply, "reply to ", 9);
    n = 9;
    memcpy(reply + n, request, request_len);
    n += request_len;
    reply[n - 1] = '\0';
    return n;
}

static HANDLE new_instance(DWORD flags, DWORD instances)
{
    HANDLE h = CreateNamedPipeA(pipe_name, PIPE_ACCESS_DUPLEX | flags,
                                PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT,
                                instances, MESSAGE, MESSAGE, 5000, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        printf("CreateNamedPipeA failed: %u\n", LAST_ERROR());
        ExitProcess(1);
    }
    return h;
}

/* Starts a connect on an overlapped instance: TRUE if pending, FALSE if the client is
 * there already (then the event is set by hand, as the documentation's samples do). */
static BOOL start_connect(HANDLE pipe, OVERLAPPED *ov)
{
    if (ConnectNamedPipe(pipe, ov)) {
        printf("overlapped ConnectNamedPipe returned TRUE\n");
        ExitProcess(1);
    }
    switch (GetLastError()) {
    case ERROR_IO_PENDING:
        return TRUE;
    case ERROR_PIPE_CONNECTED:
        SetEvent(ov->hEvent);
        return FALSE;
    default:
        printf("ConnectNamedPipe failed: %u\n", LAST_ERROR());
        ExitProcess(1);
    }
    return FALSE;
}

/* Cancels a pending connect and waits until it has ended, so that its OVERLAPPED may go. */
static void finish_connect(HANDLE pipe, OVERLAPPED *ov, BOOL pending)
{
    DWORD bytes;
    if (pending) {
        CancelIoEx(pipe, ov);
        GetOverlappedResult(pipe, ov, &bytes, TRUE);
    }
}

/* ---- Server 1: completion routines -------------------------------------------------- */

typedef struct {
    OVERLAPPED ov; /* first: a routine's LPOVERLAPPED is the session */
    HANDLE pipe;
    char request[MESSAGE];
    char reply[MESSAGE + 16];
    DWORD reply_len;
} Session;

static int routines_served;

static VOID CALLBACK request_read(DWORD error, DWORD bytes, LPOVERLAPPED ov);

static void end_session(Session *s)
{
    DisconnectNamedPipe(s->pipe);
    CloseHandle(s->pipe);
    free(s);
    routines_served++;
}

static VOID CALLBACK reply_written(DWORD error, DWORD bytes, LPOVERLAPPED ov)
{
    Session *s = (Session *)ov;
    if (error != 0 || bytes != s->reply_len ||
        !ReadFileEx(s->pipe, s->request, sizeof s->request, &s->ov, request_read))
        end_session(s);
}

static VOID CALLBACK request_read(DWORD error, DWORD bytes, LPOVERLAPPED ov)
{
    Session *s = (Session *)ov;
    if (error != 0 || bytes == 0) {
        end_session(s); /* ERROR_BROKEN_PIPE: the client is done */
        return;
    }
    s->reply_len = make_reply(s->request, bytes, s->reply);
    if (!WriteFileEx(s->pipe, s->reply, s->reply_len, &s->ov, reply_written))
        end_session(s);
}

static void routines_server(int sessions, HANDLE ready)
{
    OVERLAPPED connect;
    HANDLE pipe;
    BOOL pending;
    DWORD bytes;
    memset(&connect, 0, sizeof connect);
    connect.hEvent = CreateEventA(NULL, TRUE, TRUE, NULL);
    pipe = new_instance(FILE_FLAG_OVERLAPPED, PIPE_UNLIMITED_INSTANCES);
    pending = start_connect(pipe, &connect);
    SetEvent(ready);
    while (routines_served < sessions) {
        DWORD w = WaitForSingleObjectEx(connect.hEvent, INFINITE, TRUE);
        if (w == WAIT_IO_COMPLETION)
            continue;
        if (w != WAIT_OBJECT_0) {
            printf("WaitForSingleObjectEx: %u\n", (unsigned)w);
            ExitProcess(1);
        }
        if (pending && !GetOverlappedResult(pipe, &connect, &bytes, FALSE)) {
            printf("connect failed: %u\n", LAST_ERROR());
            ExitProcess(1);
        }
        {
            Session *s = (Session *)calloc(1, sizeof *s);
            s->pipe = pipe;
            s->reply_len = 0;
            /* The next instance listens before this client is served. */
            pipe = new_instance(FILE_FLAG_OVERLAPPED, PIPE_UNLIMITED_INSTANCES);
            pending = start_connect(pipe, &connect);
            reply_written(0, 0, &s->ov);
        }
    }
    /* The last instance's connect is still pending: it must end before its OVERLAPPED
     * goes out of scope. */
    finish_connect(pipe, &connect, pending);
    CloseHandle(pipe);
    CloseHandle(connect.hEvent);
    printf("routines server: %d sessions\n", routines_served);
}

/* ---- Server 2: overlapped requests, an event per instance ---------------------------- */

enum { CONNECTING, READING, WRITING };

typedef struct {
    OVERLAPPED ov;
    HANDLE pipe;
    int state;
    BOOL pending;
    char request[MESSAGE];
    DWORD request_len;
    char reply[MESSAGE + 16];
    DWORD reply_len;
} Instance;

#define INSTANCES 2

static void overlapped_server(int sessions, HANDLE ready)
{
    Instance in[INSTANCES];
    HANDLE events[INSTANCES];
    int served = 0, i;
    for (i = 0; i < INSTANCES; i++) {
        memset(&in[i], 0, sizeof in[i]);
        events[i] = CreateEventA(NULL, TRUE, TRUE, NULL);
        in[i].ov.hEvent = events[i];
        in[i].pipe = new_instance(FILE_FLAG_OVERLAPPED, INSTANCES);
        in[i].pending = start_connect(in[i].pipe, &in[i].ov);
        in[i].state = in[i].pending ? CONNECTING : READING;
    }
    SetEvent(ready);
    while (served < sessions) {
        DWORD w = WaitForMultipleObjects(INSTANCES, events, FALSE, INFINITE), bytes = 0;
        Instance *p;
        BOOL ok;
        if (w >= INSTANCES) {
            printf("WaitForMultipleObjects: %u\n", (unsigned)w);
            ExitProcess(1);
        }
        p = &in[w];
        if (p->pending) {
            ok = GetOverlappedResult(p->pipe, &p->ov, &bytes, FALSE);
            if (p->state == CONNECTING && !ok) {
                printf("connect failed: %u\n", LAST_ERROR());
                ExitProcess(1);
            }
            if ((p->state == READING && (!ok || bytes == 0)) ||
                (p->state == WRITING && (!ok || bytes != p->reply_len))) {
                served++;
                DisconnectNamedPipe(p->pipe);
                p->pending = start_connect(p->pipe, &p->ov);
                p->state = p->pending ? CONNECTING : READING;
                continue;
            }
            if (p->state == READING)
                p->request_len = bytes;
            p->state = p->state == READING ? WRITING : READING;
        }
        if (p->state == READING) {
            ok = ReadFile(p->pipe, p->request, sizeof p->request, &p->request_len, &p->ov);
            if (ok && p->request_len != 0) {
                p->pending = FALSE;
                p->state = WRITING;
                continue;
            }
        } else {
            p->reply_len = make_reply(p->request, p->request_len, p->reply);
            ok = WriteFile(p->pipe, p->reply, p->reply_len, &bytes, &p->ov);
            if (ok && bytes == p->reply_len) {
                p->pending = FALSE;
                p->state = READING;
                continue;
            }
        }
        if (!ok && GetLastError() == ERROR_IO_PENDING) {
            p->pending = TRUE;
            continue;
        }
        /* The client is gone (ERROR_BROKEN_PIPE, ERROR_NO_DATA): next client. */
        served++;
        DisconnectNamedPipe(p->pipe);
        p->pending = start_connect(p->pipe, &p->ov);
        p->state = p->pending ? CONNECTING : READING;
    }
    for (i = 0; i < INSTANCES; i++) {
        finish_connect(in[i].pipe, &in[i].ov, in[i].pending && in[i].state == CONNECTING);
        CloseHandle(in[i].pipe);
        CloseHandle(events[i]);
    }
    printf("overlapped server: %d sessions\n", served);
}

/* ---- Server 3: a thread per client ---------------------------------------------------- */

static DWORD WINAPI session_thread(LPVOID param)
{
    HANDLE pipe = (HANDLE)param;
    char request[MESSAGE], reply[MESSAGE + 16];
    DWORD n, written;
    while (ReadFile(pipe, request, sizeof request, &n, NULL) && n != 0) {
        DWORD len = make_reply(request, n, reply);
        if (!WriteFile(pipe, reply, len, &written, NULL) || written != len)
            break;
    }
    FlushFileBuffers(pipe);
    DisconnectNamedPipe(pipe);
    CloseHandle(pipe);
    return 0;
}

static void threads_server(int sessions, HANDLE ready)
{
    HANDLE threads[64];
    HANDLE pipe = new_instance(0, PIPE_UNLIMITED_INSTANCES);
    int served;
    SetEvent(ready);
    for (served = 0; served < sessions; served++) {
        HANDLE next;
        if (!ConnectNamedPipe(pipe, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) {
            printf("ConnectNamedPipe failed: %u\n", LAST_ERROR());
            ExitProcess(1);
        }
        /* The next instance listens before this client is handed over. */
        next = new_instance(0, PIPE_UNLIMITED_INSTANCES);
        threads[served] = start_thread(session_thread, pipe, 0);
        pipe = next;
    }
    for (served = 0; served < sessions; served++)
        join_thread(threads[served]);
    CloseHandle(pipe);
    printf("threads server: %d sessions\n", served);
}

/* ---- Clients -------------------------------------------------------------------------- */

static HANDLE open_pipe(void)
{
    for (;;) {
        HANDLE h = CreateFileA(pipe_name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                               OPEN_EXISTING, 0, NULL);
        if (h != INVALID_HANDLE_VALUE)
            return h;
        if (GetLastError() != ERROR_PIPE_BUSY) {
            printf("CreateFileA failed: %u\n", LAST_ERROR());
            ExitProcess(1);
        }
        if (!WaitNamedPipeA(pipe_name, NMPWAIT_WAIT_FOREVER)) {
            printf("WaitNamedPipeA failed: %u\n", LAST_ERROR());
            ExitProcess(1);
        }
    }
}

/* Client `number` sends "request <number>" and puts the reply, and how many parts it came
 * in, into `out`. Clients take turns at the three ways of asking. */
static void run_client(int number, char *out, size_t size)
{
    char request[32], reply[MESSAGE], part[8];
    DWORD len, n, mode = PIPE_READMODE_MESSAGE, got = 0;
    int parts = 0;
    BOOL ok;
    snprintf(request, sizeof request, "request %d", number);
    len = (DWORD)strlen(request) + 1;
    if (number % 3 == 2) {
        ok = CallNamedPipeA(pipe_name, request, len, reply, sizeof reply, &n,
                            NMPWAIT_WAIT_FOREVER);
        snprintf(out, size, "CallNamedPipe %d: %s", ok, ok ? reply : "");
        return;
    }
    HANDLE pipe = open_pipe();
    if (!SetNamedPipeHandleState(pipe, &mode, NULL, NULL)) {
        printf("SetNamedPipeHandleState failed: %u\n", LAST_ERROR());
        ExitProcess(1);
    }
    if (number % 3 == 0) {
        WriteFile(pipe, request, len, &n, NULL);
        ok = ReadFile(pipe, part, sizeof part, &n, NULL);
    } else {
        ok = TransactNamedPipe(pipe, request, len, part, sizeof part, &n, NULL);
    }
    /* The reply is longer than `part`: ERROR_MORE_DATA, then ReadFile for the rest. */
    for (;;) {
        if (!ok && GetLastError() != ERROR_MORE_DATA) {
            printf("client read failed: %u\n", LAST_ERROR());
            ExitProcess(1);
        }
        memcpy(reply + got, part, n);
        got += n;
        parts++;
        if (ok)
            break;
        ok = ReadFile(pipe, part, sizeof part, &n, NULL);
    }
    CloseHandle(pipe);
    snprintf(out, size, "%s, %d parts: %s", number % 3 == 0 ? "ReadFile" : "TransactNamedPipe",
             parts, reply);
}

typedef struct {
    int number;
    char out[MESSAGE + 64];
} Client;

static DWORD WINAPI client_thread(LPVOID param)
{
    Client *c = (Client *)param;
    run_client(c->number, c->out, sizeof c->out);
    return 0;
}

/* ---- In one process ------------------------------------------------------------------ */

typedef struct {
    const char *style;
    int sessions;
    HANDLE ready;
} ServerArgs;

static void serve(const char *style, int sessions, HANDLE ready)
{
    if (strcmp(style, "routines") == 0)
        routines_server(sessions, ready);
    else if (strcmp(style, "overlapped") == 0)
        overlapped_server(sessions, ready);
    else
        threads_server(sessions, ready);
}

static DWORD WINAPI server_thread(LPVOID param)
{
    ServerArgs *a = (ServerArgs *)param;
    serve(a->style, a->sessions, a->ready);
    return 0;
}

static void round_of(const char *style)
{
    static Client clients[CLIENTS];
    HANDLE threads[CLIENTS], server;
    ServerArgs args;
    int i;
    snprintf(pipe_name, sizeof pipe_name, "\\\\.\\pipe\\alertable-servers-%s-%u", style,
             (unsigned)GetCurrentProcessId());
    args.style = style;
    args.sessions = CLIENTS;
    args.ready = CreateEventA(NULL, TRUE, FALSE, NULL);
    server = start_thread(server_thread, &args, 0);
    WaitForSingleObject(args.ready, INFINITE);
    for (i = 0; i < CLIENTS; i++) {
        clients[i].number = i + 1;
        threads[i] = start_thread(client_thread, &clients[i], 0);
    }
    for (i = 0; i < CLIENTS; i++)
        join_thread(threads[i]);
    join_thread(server);
    CloseHandle(args.ready);
    for (i = 0; i < CLIENTS; i++)
        printf("%s client %d: %s\n", style, clients[i].number, clients[i].out);
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "server") == 0) {
        ServerArgs args;
        HANDLE server;
        snprintf(pipe_name, sizeof pipe_name, "%s", argv[3]);
        args.style = argv[2];
        args.sessions = atoi(argv[4]);
        args.ready = CreateEventA(NULL, TRUE, FALSE, NULL);
        server = start_thread(server_thread, &args, 0);
        /* The first instance exists: the test starts the clients once it reads this. */
        WaitForSingleObject(args.ready, INFINITE);
        printf("ready\n");
        fflush(stdout);
        join_thread(server);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "client") == 0) {
        char out[MESSAGE + 64];
        snprintf(pipe_name, sizeof pipe_name, "%s", argv[2]);
        run_client(atoi(argv[3]), out, sizeof out);
        printf("client %s: %s\n", argv[3], out);
        return 0;
    }
    round_of("routines");
    round_of("overlapped");
    round_of("threads");
    return 0;
}
