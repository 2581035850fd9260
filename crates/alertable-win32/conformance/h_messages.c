/* Spec section H: message waits (H77-H83), and the thread message functions they wait
 * for: PostThreadMessage, GetMessage, PeekMessage, PostQuitMessage, message filters. */
#include "conformance.h"

static int apcs;
static void CALLBACK count_apc(ULONG_PTR param)
{
    (void)param;
    apcs++;
}

static HANDLE ready;

static void CALLBACK exiting_apc(ULONG_PTR code)
{
    ExitThread((DWORD)code);
}

/* Ends in an APC that an alertable message wait runs (thread.rs, X3). */
static DWORD WINAPI exit_in_message_wait(LPVOID param)
{
    (void)param;
    QueueUserAPC(exiting_apc, GetCurrentThread(), 44);
    MsgWaitForMultipleObjectsEx(0, NULL, INFINITE, QS_ALLINPUT, MWMO_ALERTABLE);
    return 1;
}

/* A message loop: creates its queue with the PeekMessage idiom, says so, then gets
 * messages until WM_QUIT; returns the sum of their wParams. */
static DWORD WINAPI message_loop(LPVOID param)
{
    MSG msg;
    DWORD sum = 0;
    (void)param;
    PeekMessageA(&msg, NULL, WM_USER, WM_USER, PM_NOREMOVE);
    SetEvent(ready);
    while (GetMessageA(&msg, NULL, 0, 0) != 0) {
        printf("worker: message 0x%x, wParam %u, lParam %d, hwnd NULL %d\n", msg.message,
               (unsigned)msg.wParam, (int)msg.lParam, msg.hwnd == NULL);
        sum += (DWORD)msg.wParam;
    }
    printf("worker: GetMessage returned 0 with message 0x%x, wParam %u\n", msg.message,
           (unsigned)msg.wParam);
    return sum;
}

/* Removes and prints what is queued. */
static void drain(const char *what)
{
    MSG msg;
    printf("%s:", what);
    while (PeekMessageW(&msg, NULL, 0, 0, PM_REMOVE))
        printf(" 0x%x/%u", msg.message, (unsigned)msg.wParam);
    printf("\n");
}

int main(void)
{
    DWORD me = GetCurrentThreadId(), r, error;
    MSG msg;
    BOOL ok;
    ready = CreateEventW(NULL, FALSE, FALSE, NULL);

    /* H77: the queue is object number nCount. */
    r = MsgWaitForMultipleObjects(0, NULL, FALSE, 0, QS_POSTMESSAGE);
    printf("H77 empty queue: %u\n", r);
    ok = PostThreadMessageW(me, WM_USER, 1, 0);
    printf("H77 PostThreadMessage: %d\n", ok);
    r = MsgWaitForMultipleObjects(0, NULL, FALSE, 0, QS_POSTMESSAGE);
    printf("H77 after a post: %u\n", r);

    /* H78, H79: input seen by PeekMessage no longer counts, unless MWMO_INPUTAVAILABLE. */
    ok = PeekMessageW(&msg, NULL, 0, 0, PM_NOREMOVE);
    printf("H78 PeekMessage(PM_NOREMOVE): %d, message 0x%x\n", ok, msg.message);
    r = MsgWaitForMultipleObjects(0, NULL, FALSE, 0, QS_POSTMESSAGE);
    printf("H78 seen input: %u\n", r);
    r = MsgWaitForMultipleObjectsEx(0, NULL, 0, QS_POSTMESSAGE, MWMO_INPUTAVAILABLE);
    printf("H79 MWMO_INPUTAVAILABLE: %u\n", r);
    PostThreadMessageW(me, WM_USER, 2, 0);
    r = MsgWaitForMultipleObjects(0, NULL, FALSE, 0, QS_POSTMESSAGE);
    printf("H78 a new post: %u\n", r);
    drain("queued");

    /* H80, H81: APCs run only with MWMO_ALERTABLE, and input wins over them. */
    QueueUserAPC(count_apc, GetCurrentThread(), 0);
    r = MsgWaitForMultipleObjectsEx(0, NULL, 0, QS_POSTMESSAGE, 0);
    printf("H80 not alertable, an APC: %u, APCs run %d\n", r, apcs);
    PostThreadMessageW(me, WM_USER, 3, 0);
    r = MsgWaitForMultipleObjectsEx(0, NULL, 0, QS_POSTMESSAGE, MWMO_ALERTABLE);
    printf("H81 alertable, a message and an APC: %u, APCs run %d\n", r, apcs);
    r = MsgWaitForMultipleObjectsEx(0, NULL, 0, QS_POSTMESSAGE, MWMO_ALERTABLE);
    printf("H81 again: %u, APCs run %d\n", r, apcs);
    drain("queued");

    /* H82: 63 handles at most; MWMO_WAITALL needs the objects and input together. */
    HANDLE events[64];
    for (int i = 0; i < 64; i++)
        events[i] = CreateEventW(NULL, TRUE, FALSE, NULL);
    SetLastError(0);
    r = MsgWaitForMultipleObjects(64, events, FALSE, 0, QS_POSTMESSAGE);
    printf("H82 64 handles: WAIT_FAILED %d, error %u\n", r == WAIT_FAILED, LAST_ERROR());
    r = MsgWaitForMultipleObjects(63, events, FALSE, 0, QS_POSTMESSAGE);
    printf("H82 63 handles: %u\n", r);
    HANDLE a = CreateEventW(NULL, FALSE, TRUE, NULL);
    r = MsgWaitForMultipleObjectsEx(1, &a, 0, QS_POSTMESSAGE, MWMO_WAITALL);
    printf("H82 wait-all, an object but no input: %u\n", r);
    PostThreadMessageW(me, WM_USER, 4, 0);
    r = MsgWaitForMultipleObjectsEx(1, &a, 0, QS_POSTMESSAGE, MWMO_WAITALL);
    printf("H82 wait-all, both: %u, the event taken: %u\n", r, WaitForSingleObject(a, 0));
    drain("queued");

    /* H83: the non-Ex form with fWaitAll is the Ex form with MWMO_WAITALL; the masks. */
    SetEvent(a);
    PostThreadMessageW(me, WM_USER, 5, 0);
    r = MsgWaitForMultipleObjects(1, &a, TRUE, 0, QS_POSTMESSAGE);
    printf("H83 fWaitAll: %u, the event taken: %u\n", r, WaitForSingleObject(a, 0));
    drain("queued");
    printf("H83 QS_POSTMESSAGE 0x%x, QS_TIMER 0x%x, QS_PAINT 0x%x, QS_SENDMESSAGE 0x%x, "
           "QS_ALLPOSTMESSAGE 0x%x, QS_ALLINPUT 0x%x\n",
           QS_POSTMESSAGE, QS_TIMER, QS_PAINT, QS_SENDMESSAGE, QS_ALLPOSTMESSAGE, QS_ALLINPUT);
    PostThreadMessageW(me, WM_USER, 6, 0);
    r = MsgWaitForMultipleObjectsEx(0, NULL, 0, QS_TIMER | QS_PAINT, MWMO_INPUTAVAILABLE);
    printf("H83 a posted message is not QS_TIMER or QS_PAINT input: %u\n", r);
    r = MsgWaitForMultipleObjectsEx(0, NULL, 0, QS_ALLINPUT, MWMO_INPUTAVAILABLE);
    printf("H83 QS_ALLINPUT: %u\n", r);
    r = MsgWaitForMultipleObjectsEx(0, NULL, 0, QS_ALLPOSTMESSAGE, MWMO_INPUTAVAILABLE);
    printf("H83 QS_ALLPOSTMESSAGE: %u\n", r);
    SetEvent(events[0]);
    r = MsgWaitForMultipleObjectsEx(1, events, 0, QS_POSTMESSAGE, MWMO_INPUTAVAILABLE);
    printf("H77 a signaled object wins over input: %u\n", r);
    ResetEvent(events[0]);
    r = MsgWaitForMultipleObjectsEx(1, events, 0, QS_POSTMESSAGE, MWMO_INPUTAVAILABLE);
    printf("H77 then the queue: %u\n", r);
    drain("queued");
    SetLastError(0);
    r = MsgWaitForMultipleObjectsEx(0, NULL, 0, QS_POSTMESSAGE, 0x8);
    printf("an unknown flag: WAIT_FAILED %d, error %u\n", r == WAIT_FAILED, LAST_ERROR());
    HANDLE pseudo = GetCurrentThread();
    SetLastError(0);
    r = MsgWaitForMultipleObjects(1, &pseudo, FALSE, 0, QS_POSTMESSAGE);
    printf("a pseudo-handle: WAIT_FAILED %d, error %u\n", r == WAIT_FAILED, LAST_ERROR());

    HANDLE exiting = start_thread(exit_in_message_wait, NULL, 0);
    WaitForSingleObject(exiting, INFINITE);
    GetExitCodeThread(exiting, &r);
    CloseHandle(exiting);
    printf("ExitThread in an APC during MsgWaitForMultipleObjectsEx: %u\n", r);

    /* PostThreadMessage to a thread without a queue, then a message loop. */
    DWORD tid;
    HANDLE worker = CreateThread(NULL, 0, message_loop, NULL, CREATE_SUSPENDED, &tid);
    SetLastError(0);
    ok = PostThreadMessageW(tid, WM_USER, 0, 0);
    printf("PostThreadMessage, no queue yet: %d, error %u\n", ok, LAST_ERROR());
    ResumeThread(worker);
    WaitForSingleObject(ready, INFINITE);
    PostThreadMessageA(tid, WM_USER + 1, 10, -1);
    PostThreadMessageW(tid, WM_USER + 2, 20, -2);
    PostThreadMessageW(tid, WM_QUIT, 7, 0);
    WaitForSingleObject(worker, INFINITE);
    GetExitCodeThread(worker, &r);
    printf("worker's sum: %u\n", r);
    CloseHandle(worker);
    SetLastError(0);
    ok = PostThreadMessageW(tid, WM_USER, 0, 0);
    printf("PostThreadMessage, thread gone: %d, error %u\n", ok, LAST_ERROR());

    /* PostQuitMessage: WM_QUIT comes after every posted message. */
    PostQuitMessage(3);
    PostThreadMessageW(me, WM_USER + 5, 5, 0);
    ok = GetMessageW(&msg, NULL, 0, 0);
    printf("GetMessage: %d, message 0x%x\n", ok, msg.message);
    ok = GetMessageW(&msg, NULL, 0, 0);
    printf("GetMessage: %d, message 0x%x, wParam %u\n", ok, msg.message, (unsigned)msg.wParam);

    /* Filters: messages outside the range stay queued, in order; WM_QUIT passes any. */
    for (unsigned i = 1; i <= 3; i++)
        PostThreadMessageW(me, WM_USER + i, i, 0);
    ok = PeekMessageW(&msg, NULL, WM_USER + 2, WM_USER + 2, PM_REMOVE);
    printf("PeekMessage(WM_USER+2, PM_REMOVE): %d, 0x%x\n", ok, msg.message);
    ok = PeekMessageW(&msg, NULL, WM_USER + 3, WM_USER + 4, PM_NOREMOVE);
    printf("PeekMessage(WM_USER+3..+4, PM_NOREMOVE): %d, 0x%x\n", ok, msg.message);
    ok = GetMessageW(&msg, NULL, WM_USER + 3, WM_USER + 3);
    printf("GetMessage(WM_USER+3): %d, 0x%x\n", ok, msg.message);
    ok = PeekMessageW(&msg, NULL, WM_USER + 2, WM_USER + 3, PM_REMOVE);
    printf("PeekMessage(WM_USER+2..+3): %d\n", ok);
    r = MsgWaitForMultipleObjects(0, NULL, FALSE, 0, QS_POSTMESSAGE);
    printf("H78 input passed over was seen: %u\n", r);
    r = MsgWaitForMultipleObjectsEx(0, NULL, 0, QS_POSTMESSAGE, MWMO_INPUTAVAILABLE);
    printf("H79 and is still there: %u\n", r);
    PostQuitMessage(4);
    ok = PeekMessageW(&msg, NULL, WM_USER + 9, WM_USER + 9, PM_REMOVE);
    printf("PeekMessage(WM_USER+9) after PostQuitMessage: %d, 0x%x, wParam %u\n", ok,
           msg.message, (unsigned)msg.wParam);
    drain("queued");

    /* Nothing queued; windows do not exist. */
    SetLastError(0xdead);
    ok = PeekMessageA(&msg, NULL, 0, 0, PM_REMOVE);
    error = LAST_ERROR();
    printf("PeekMessage, empty: %d, error 0x%x\n", ok, error);
    SetLastError(0);
    ok = GetMessageA(&msg, (HWND)(ULONG_PTR)0x1230, 0, 0);
    printf("GetMessage(a window): %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0);
    ok = PeekMessageA(&msg, (HWND)(ULONG_PTR)0x1230, 0, 0, PM_REMOVE);
    printf("PeekMessage(a window): %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0);
    ok = PostThreadMessageA(0, WM_USER, 0, 0);
    printf("PostThreadMessage(thread 0): %d, error %u\n", ok, LAST_ERROR());
    return 0;
}
