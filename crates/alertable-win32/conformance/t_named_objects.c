/*
 * Named objects shared between processes: events, semaphores and mutexes created by name
 * in one process and opened in another (E, F, G entries; names.rs). The program starts
 * copies of itself as the other process: `t_named_objects child ROLE BASE`.
 *
 * Windows would start the copy with CreateProcess, which this library does not have: the
 * program forks and executes itself (/proc/self/exe), and kills a copy with SIGKILL where
 * Windows would call TerminateProcess. Those calls are Linux, not Win32; everything the
 * processes share goes through the Win32 functions. A copy prints its lines and exits
 * before the parent prints again (the parent waits for it), so the output has one order.
 * The object names carry the parent's process id, so runs at the same time do not meet.
 *
 * On Windows, the Global\ line assumes a program in a session other than 0, as every
 * interactive one is: Global\x is then another object than x.
 */
#include "conformance.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char base[64];

/* base + "-" + suffix, written into buf. */
static const char *named(char *buf, size_t size, const char *suffix)
{
    snprintf(buf, size, "%s-%s", base, suffix);
    return buf;
}

#define NAME(suffix) named((char[128]){0}, 128, suffix)

/* Starts a copy of this program in `role`; returns its process id. */
static pid_t start_copy(const char *role)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *args[] = {"t_named_objects", "child", (char *)role, base, NULL};
        execv("/proc/self/exe", args);
        _exit(99);
    }
    if (pid < 0) {
        printf("fork failed\n");
        exit(1);
    }
    return pid;
}

/* Waits for a copy to end; its exit code, or -1 if it was killed. */
static int join_copy(pid_t pid)
{
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

/* ---- The copies ------------------------------------------------------------------------ */

static int child(const char *role)
{
    if (strcmp(role, "event") == 0) {
        /* SYNCHRONIZE alone may wait but not set; EVENT_MODIFY_STATE may set. */
        HANDLE weak = OpenEventA(SYNCHRONIZE, FALSE, NAME("event"));
        printf("child: OpenEventA(SYNCHRONIZE): %d\n", weak != NULL);
        SetLastError(0);
        BOOL ok = SetEvent(weak);
        printf("child: SetEvent(SYNCHRONIZE only): %d, error %u\n", ok, LAST_ERROR());
        SetLastError(0);
        HANDLE other = OpenMutexA(SYNCHRONIZE, FALSE, NAME("event"));
        printf("child: OpenMutexA(the event's name): %d, error %u\n", other != NULL,
               LAST_ERROR());
        HANDLE strong = OpenEventA(EVENT_MODIFY_STATE, FALSE, NAME("event"));
        printf("child: SetEvent(EVENT_MODIFY_STATE): %d\n", SetEvent(strong));
        return 0;
    }
    if (strcmp(role, "semaphore") == 0) {
        HANDLE s = OpenSemaphoreA(SEMAPHORE_MODIFY_STATE, FALSE, NAME("semaphore"));
        LONG previous = -1;
        BOOL ok = ReleaseSemaphore(s, 2, &previous);
        printf("child: ReleaseSemaphore(2): %d, previous %ld\n", ok, (long)previous);
        return 0;
    }
    if (strcmp(role, "hold") == 0 || strcmp(role, "exit") == 0) {
        /* Takes the mutex and says so; then waits to be killed, or exits holding it. */
        HANDLE m = OpenMutexA(SYNCHRONIZE, FALSE, NAME("mutex"));
        if (WaitForSingleObject(m, 30000) != WAIT_OBJECT_0)
            return 2;
        if (strcmp(role, "exit") == 0)
            return 0;
        SetEvent(OpenEventA(EVENT_MODIFY_STATE, FALSE, NAME("held")));
        Sleep(INFINITE);
        return 3;
    }
    if (strcmp(role, "prefix") == 0) {
        HANDLE plain = OpenEventA(SYNCHRONIZE, FALSE, NAME("prefixed"));
        printf("child: OpenEventA(the Local\\ event without its prefix): %d\n", plain != NULL);
        char global[160];
        snprintf(global, sizeof global, "Global\\%s-prefixed", base);
        SetLastError(0);
        HANDLE g = OpenEventA(SYNCHRONIZE, FALSE, global);
        printf("child: OpenEventA(Global\\ of that name): %d, error %u\n", g != NULL,
               LAST_ERROR());
        SetLastError(0xdeadbeef);
        g = CreateEventA(NULL, TRUE, FALSE, global);
        printf("child: CreateEventA(Global\\ of that name): %d, error %u\n", g != NULL,
               LAST_ERROR());
        return 0;
    }
    return 4;
}

/* ---- The parent ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "child") == 0) {
        snprintf(base, sizeof base, "%s", argv[3]);
        return child(argv[2]);
    }
    snprintf(base, sizeof base, "alertable-t-%u", (unsigned)GetCurrentProcessId());
    DWORD r;

    /* Events: created here, opened there with its access mask, set there (E). */
    SetLastError(0xdeadbeef);
    HANDLE event = CreateEventA(NULL, FALSE, FALSE, NAME("event"));
    printf("CreateEventA(new name): %d, error %u\n", event != NULL, LAST_ERROR());
    SetLastError(0xdeadbeef);
    HANDLE again = CreateEventA(NULL, TRUE, TRUE, NAME("event"));
    printf("CreateEventA(same name): %d, error %u\n", again != NULL, LAST_ERROR());
    printf("the arguments of the second call are ignored: %u\n", WaitForSingleObject(event, 0));
    CloseHandle(again);
    SetLastError(0);
    HANDLE none = OpenEventA(EVENT_ALL_ACCESS, FALSE, NAME("absent"));
    printf("OpenEventA(absent name): %d, error %u\n", none != NULL, LAST_ERROR());
    SetLastError(0);
    none = OpenEventA(EVENT_ALL_ACCESS, FALSE, NULL);
    printf("OpenEventA(NULL): %d, error %u\n", none != NULL, LAST_ERROR());
    SetLastError(0);
    none = CreateMutexA(NULL, FALSE, NAME("event"));
    printf("CreateMutexA(the event's name): %d, error %u\n", none != NULL, LAST_ERROR());
    SetLastError(0);
    none = CreateEventA(NULL, FALSE, FALSE, "a\\b");
    printf("CreateEventA(a backslash in the name): %d, error %u\n", none != NULL,
           LAST_ERROR());
    pid_t pid = start_copy("event");
    r = WaitForSingleObject(event, 30000);
    printf("copy exit code: %d\n", join_copy(pid));
    printf("WaitForSingleObject(event set by the copy): %u\n", r);
    printf("auto-reset by that wait: %u\n", WaitForSingleObject(event, 0));

    /* Semaphores: released there, counted here (F66). */
    SetLastError(0xdeadbeef);
    HANDLE semaphore = CreateSemaphoreA(NULL, 0, 5, NAME("semaphore"));
    printf("CreateSemaphoreA(new name): %d, error %u\n", semaphore != NULL, LAST_ERROR());
    pid = start_copy("semaphore");
    DWORD first = WaitForSingleObject(semaphore, 30000);
    printf("copy exit code: %d\n", join_copy(pid));
    DWORD second = WaitForSingleObject(semaphore, 0);
    printf("two counts taken here: %u %u, then %u\n", first, second,
           WaitForSingleObject(semaphore, 0));

    /* Mutexes: a copy killed while it owns the mutex abandons it (G72, G73). */
    SetLastError(0xdeadbeef);
    HANDLE mutex = CreateMutexA(NULL, FALSE, NAME("mutex"));
    printf("CreateMutexA(new name): %d, error %u\n", mutex != NULL, LAST_ERROR());
    HANDLE held = CreateEventA(NULL, TRUE, FALSE, NAME("held"));
    pid = start_copy("hold");
    printf("the copy owns the mutex: %u\n", WaitForSingleObject(held, 30000));
    printf("WaitForSingleObject(mutex owned there, 0): %u\n", WaitForSingleObject(mutex, 0));
    kill(pid, SIGKILL);
    printf("copy killed: %d\n", join_copy(pid) == -1);
    printf("WaitForSingleObject(mutex of the killed copy): %u\n",
           WaitForSingleObject(mutex, 30000));
    printf("ReleaseMutex: %d\n", ReleaseMutex(mutex));
    pid = start_copy("exit");
    printf("copy exit code: %d\n", join_copy(pid));
    printf("WaitForSingleObject(mutex of the copy that exited holding it): %u\n",
           WaitForSingleObject(mutex, 30000));
    printf("ReleaseMutex: %d\n", ReleaseMutex(mutex));
    SetLastError(0);
    none = OpenMutexA(MUTEX_ALL_ACCESS, FALSE, NAME("absent"));
    printf("OpenMutexA(absent name): %d, error %u\n", none != NULL, LAST_ERROR());

    /* Prefixes: Local\x is x; Global\x is another object. */
    SetLastError(0xdeadbeef);
    char local[160];
    snprintf(local, sizeof local, "Local\\%s-prefixed", base);
    HANDLE prefixed = CreateEventA(NULL, TRUE, FALSE, local);
    printf("CreateEventA(Local\\ name): %d, error %u\n", prefixed != NULL, LAST_ERROR());
    pid = start_copy("prefix");
    printf("copy exit code: %d\n", join_copy(pid));

    /* The Ex forms: flags, and the rights asked for. */
    SetLastError(0xdeadbeef);
    HANDLE ex = CreateEventExA(NULL, NAME("ex"), CREATE_EVENT_MANUAL_RESET | CREATE_EVENT_INITIAL_SET,
                               SYNCHRONIZE);
    printf("CreateEventExA(manual, set, SYNCHRONIZE): %d, error %u\n", ex != NULL,
           LAST_ERROR());
    r = WaitForSingleObject(ex, 0);
    printf("signaled, and still: %u %u\n", r, WaitForSingleObject(ex, 0));
    SetLastError(0);
    BOOL ok = ResetEvent(ex);
    printf("ResetEvent(SYNCHRONIZE only): %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0xdeadbeef);
    HANDLE owned = CreateMutexExA(NULL, NAME("ex-mutex"), CREATE_MUTEX_INITIAL_OWNER,
                                  MUTEX_ALL_ACCESS);
    printf("CreateMutexExA(initial owner): %d, error %u\n", owned != NULL, LAST_ERROR());
    printf("ReleaseMutex(by its creator): %d\n", ReleaseMutex(owned));

    /* Waitable timers stay in this process, but share the names' namespace. */
    SetLastError(0);
    none = CreateWaitableTimerA(NULL, TRUE, NAME("event"));
    printf("CreateWaitableTimerA(the event's name): %d, error %u\n", none != NULL,
           LAST_ERROR());
    HANDLE timer = CreateWaitableTimerA(NULL, TRUE, NAME("timer"));
    SetLastError(0);
    none = CreateEventA(NULL, TRUE, FALSE, NAME("timer"));
    printf("CreateEventA(the timer's name): %d, error %u\n", none != NULL, LAST_ERROR());
    HANDLE opened = OpenWaitableTimerA(TIMER_ALL_ACCESS, FALSE, NAME("timer"));
    printf("OpenWaitableTimerA: %d\n", opened != NULL);

    CloseHandle(opened);
    CloseHandle(timer);
    CloseHandle(owned);
    CloseHandle(ex);
    CloseHandle(prefixed);
    CloseHandle(held);
    CloseHandle(mutex);
    CloseHandle(semaphore);
    CloseHandle(event);
    return 0;
}
