/*
 * QueueUserAPC to a thread of another process (A1, A5, A6, A14, A15, B20, C36 across
 * processes): the program starts a copy of itself, `t_remote_apc child`, which hands its
 * thread id over and waits alertably; this process opens that id with OpenThread and queues
 * APCs to a function of the program, which the copy runs in order, each in a SleepEx that
 * returns WAIT_IO_COMPLETION.
 *
 * Windows would start the copy with CreateProcess and hand the id over however it likes:
 * the program forks and executes itself (/proc/self/exe), and the copy's standard output
 * is a pipe this process reads, so that the copy's lines reach the output here in one
 * order. Those calls are Linux, not Win32; the APCs go through the Win32 functions alone.
 *
 * The function that the copy has not loaded lies in libthread_db (part of glibc, loaded
 * only by debuggers); where it cannot be loaded, a pointer to data stands in for it, which
 * Windows refuses alike.
 */
#include "conformance.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- The copy ------------------------------------------------------------------------- */

static int apcs_run;
static DWORD waiting_thread;

static void CALLBACK report(ULONG_PTR param)
{
    printf("child: APC %lu on the waiting thread: %d\n", (unsigned long)param,
           GetCurrentThreadId() == waiting_thread);
    apcs_run++;
}

static int child(void)
{
    waiting_thread = GetCurrentThreadId();
    printf("%u\n", waiting_thread);
    fflush(stdout);
    int every_wait = 1;
    while (apcs_run < 3) {
        DWORD r = SleepEx(INFINITE, TRUE);
        every_wait &= r == WAIT_IO_COMPLETION;
    }
    printf("child: SleepEx returned WAIT_IO_COMPLETION each time: %d\n", every_wait);
    fflush(stdout);
    return 0;
}

/* ---- This process ---------------------------------------------------------------------- */

static int not_code = 5;

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return child();

    int out[2];
    if (pipe(out) != 0) {
        printf("pipe failed\n");
        return 1;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        char *args[] = {"t_remote_apc", "child", NULL};
        execv("/proc/self/exe", args);
        _exit(99);
    }
    close(out[1]);
    FILE *from_child = fdopen(out[0], "r");
    char line[128];
    unsigned tid = 0;
    if (from_child == NULL || fgets(line, sizeof line, from_child) == NULL ||
        sscanf(line, "%u", &tid) != 1) {
        printf("no thread id from the copy\n");
        return 1;
    }

    SetLastError(0);
    HANDLE none = OpenThread(THREAD_SET_CONTEXT, FALSE, 0x7ffffff0);
    DWORD error = LAST_ERROR();
    printf("OpenThread(an id that names no thread): %d, error %u\n", none != NULL, error);

    HANDLE weak = OpenThread(SYNCHRONIZE, FALSE, tid);
    printf("OpenThread(the copy's thread, SYNCHRONIZE): %d\n", weak != NULL);
    SetLastError(0);
    DWORD queued = QueueUserAPC(report, weak, 9);
    printf("QueueUserAPC(without THREAD_SET_CONTEXT): %u, error %u\n", queued, LAST_ERROR());

    HANDLE h = OpenThread(THREAD_SET_CONTEXT | SYNCHRONIZE, FALSE, tid);
    printf("OpenThread(the copy's thread, THREAD_SET_CONTEXT): %d\n", h != NULL);
    printf("GetThreadId(the handle) is the id: %d\n", GetThreadId(h) == tid);
    printf("WaitForSingleObject(the running thread, 0): %u\n", WaitForSingleObject(h, 0));

    void *db = dlopen("libthread_db.so.1", RTLD_NOW | RTLD_LOCAL);
    void *elsewhere = db != NULL ? dlsym(db, "td_init") : NULL;
    if (elsewhere == NULL)
        elsewhere = &not_code;
    PAPCFUNC foreign;
    memcpy(&foreign, &elsewhere, sizeof foreign);
    SetLastError(0);
    queued = QueueUserAPC(foreign, h, 9);
    printf("QueueUserAPC(a function the copy has not loaded): %u, error %u\n", queued,
           LAST_ERROR());
    elsewhere = &not_code;
    memcpy(&foreign, &elsewhere, sizeof foreign);
    SetLastError(0);
    queued = QueueUserAPC(foreign, h, 9);
    printf("QueueUserAPC(a pointer to data): %u, error %u\n", queued, LAST_ERROR());

    for (ULONG_PTR i = 1; i <= 3; i++)
        printf("QueueUserAPC(%lu): %u\n", (unsigned long)i, QueueUserAPC(report, h, i));

    while (fgets(line, sizeof line, from_child) != NULL)
        fputs(line, stdout);
    int status = 0;
    waitpid(pid, &status, 0);
    printf("copy exit code: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

    printf("WaitForSingleObject(the exited thread): %u\n", WaitForSingleObject(h, 10000));
    printf("WaitForSingleObject(the SYNCHRONIZE handle): %u\n",
           WaitForSingleObject(weak, 10000));
    SetLastError(0);
    queued = QueueUserAPC(report, h, 4);
    printf("QueueUserAPC(the exited thread): %u, error %u\n", queued, LAST_ERROR());
    printf("CloseHandle: %d %d\n", CloseHandle(h), CloseHandle(weak));
    if (db != NULL)
        dlclose(db);
    return 0;
}
