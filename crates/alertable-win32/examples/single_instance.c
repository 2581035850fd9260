/*
 * One instance at a time: the first copy of the program takes a named mutex; a second
 * copy, started while the first runs, finds the name taken (ERROR_ALREADY_EXISTS) and
 * exits. The name is shared by every process of the user, as on Windows within a session.
 *
 *     ./single_instance            # "the only instance"; waits for Enter
 *     ./single_instance            # meanwhile, in another terminal: exits with 1
 *
 * An optional argument names the mutex (the tests give each run its own name). If the
 * first copy is killed, the name goes with its last handle, and the next copy is the
 * only instance again.
 */
#include <windows.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "Local\\alertable-single-instance-example";

    /* Owned from the start, so that a copy that opens it could not take it either. */
    HANDLE mutex = CreateMutexA(NULL, TRUE, name);
    if (mutex == NULL) {
        printf("CreateMutexA failed: %u\n", (unsigned)GetLastError());
        return 2;
    }
    if (GetLastError() == ERROR_ALREADY_EXISTS) {
        printf("another instance is running; exiting\n");
        CloseHandle(mutex);
        return 1;
    }

    printf("the only instance; press Enter to exit\n");
    fflush(stdout);
    getchar();

    ReleaseMutex(mutex);
    CloseHandle(mutex);
    return 0;
}
