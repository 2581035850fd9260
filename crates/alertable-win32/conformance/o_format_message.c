/* FormatMessage as its documentation page describes it (learn.microsoft.com,
 * FormatMessage (winbase.h), its "Remarks" on inserts and escape sequences), and the
 * language macros of winnt.h. The system's message text differs between Windows versions
 * and languages (and is this library's own here), so only its shape is printed: one
 * line ending with "\r\n", as Windows' message tables hold it. */
#include "conformance.h"
#include <stdarg.h>
#include <string.h>
#include <wchar.h>

/* FormatMessage with a va_list, as the documentation's example calls it. */
static DWORD format_va(LPSTR out, DWORD size, const char *message, ...)
{
    va_list args;
    va_start(args, message);
    DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_STRING, message, 0, 0, out, size, &args);
    va_end(args);
    return n;
}

/* Prints a result with its line breaks visible. */
static void show(const char *what, DWORD n, const char *text)
{
    printf("%s: %u \"", what, (unsigned)n);
    for (const char *c = text; *c; c++) {
        if (*c == '\r')
            printf("\\r");
        else if (*c == '\n')
            printf("\\n");
        else
            putchar(*c);
    }
    printf("\"\n");
}

int main(void)
{
    /* Language ids (winnt.h). */
    printf("MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT) 0x%x, PRIMARYLANGID(0x409) %u, "
           "SUBLANGID(0x409) %u\n",
           (unsigned)MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), (unsigned)PRIMARYLANGID(0x409),
           (unsigned)SUBLANGID(0x409));

    /* The system's message for an error code, in a buffer FormatMessage allocates: the
     * caller frees it with LocalFree. */
    LPSTR text = NULL;
    DWORD n = FormatMessageA(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                                 FORMAT_MESSAGE_IGNORE_INSERTS,
                             NULL, ERROR_FILE_NOT_FOUND,
                             MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), (LPSTR)&text, 0, NULL);
    printf("FROM_SYSTEM | ALLOCATE_BUFFER, ERROR_FILE_NOT_FOUND: text %d, length %d, ends with "
           "CRLF %d, one line %d\n",
           n > 2, n == strlen(text), n > 2 && strcmp(text + n - 2, "\r\n") == 0,
           strchr(text, '\n') == text + n - 1);
    printf("LocalFree of it: %s\n", LocalFree(text) == NULL ? "NULL" : "the handle");

    /* Every error code the conformance programs print has a message. */
    static const DWORD codes[] = {
        ERROR_SUCCESS, ERROR_INVALID_HANDLE, ERROR_NOT_ENOUGH_MEMORY, ERROR_INVALID_PARAMETER,
        ERROR_INSUFFICIENT_BUFFER, ERROR_ALREADY_EXISTS, ERROR_NOT_OWNER, ERROR_TOO_MANY_POSTS,
        ERROR_OPERATION_ABORTED, ERROR_IO_INCOMPLETE, ERROR_IO_PENDING, ERROR_NOACCESS,
        ERROR_NOT_FOUND, ERROR_TIMEOUT, ERROR_MR_MID_NOT_FOUND, ERROR_NOT_LOCKED,
    };
    int found = 0;
    char buffer[512];
    for (size_t i = 0; i < ARRAYSIZE(codes); i++)
        found += FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                                codes[i], 0, buffer, sizeof buffer, NULL) > 0;
    printf("system messages for %u codes: %d\n", (unsigned)ARRAYSIZE(codes), found);

    /* A message number without text: ERROR_MR_MID_NOT_FOUND. */
    SetLastError(0);
    n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                       0x0FFFFFFF, 0, buffer, sizeof buffer, NULL);
    printf("FROM_SYSTEM, no such message: %u, last error %u\n", (unsigned)n, LAST_ERROR());

    /* Too small a buffer: nSize counts the terminating null. */
    char small[5];
    SetLastError(0);
    n = FormatMessageA(FORMAT_MESSAGE_FROM_STRING, "hello", 0, 0, small, sizeof small, NULL);
    printf("FROM_STRING \"hello\" into 5 chars: %u, last error %u\n", (unsigned)n, LAST_ERROR());
    n = FormatMessageA(FORMAT_MESSAGE_FROM_STRING, "hell", 0, 0, small, sizeof small, NULL);
    show("FROM_STRING \"hell\" into 5 chars", n, small);

    /* Inserts from an argument array. */
    DWORD_PTR array[] = {(DWORD_PTR) "Ann", 30, 0x2a};
    n = FormatMessageA(FORMAT_MESSAGE_FROM_STRING | FORMAT_MESSAGE_ARGUMENT_ARRAY,
                       "%1 is %2!d! (%3!#x!, %3!04X!).", 0, 0, buffer, sizeof buffer,
                       (va_list *)array);
    show("ARGUMENT_ARRAY", n, buffer);
    n = FormatMessageA(FORMAT_MESSAGE_FROM_STRING | FORMAT_MESSAGE_ARGUMENT_ARRAY,
                       "[%1!5s!][%1!-5s!][%1!.2s!]", 0, 0, buffer, sizeof buffer,
                       (va_list *)array);
    show("width and precision", n, buffer);

    /* Inserts from a va_list, used in any order and more than once. */
    n = format_va(buffer, sizeof buffer, "%2!s!-%1!u!-%2!s!", 7u, "seven");
    show("va_list", n, buffer);

    /* Escapes: %% a percent sign, %n a hard line break, %. a period, %! an exclamation
     * point, %space a space, %0 ends the message without a line break. */
    n = FormatMessageA(FORMAT_MESSAGE_FROM_STRING, "100%% done%.%!% %nnext%0ignored", 0, 0,
                       buffer, sizeof buffer, NULL);
    show("escapes", n, buffer);

    /* Line breaks of the text are kept with a width of 0, and become spaces with
     * FORMAT_MESSAGE_MAX_WIDTH_MASK, where hard breaks (%n) stay. */
    n = FormatMessageA(FORMAT_MESSAGE_FROM_STRING, "one\r\ntwo\n", 0, 0, buffer, sizeof buffer,
                       NULL);
    show("width 0", n, buffer);
    n = FormatMessageA(FORMAT_MESSAGE_FROM_STRING | FORMAT_MESSAGE_MAX_WIDTH_MASK,
                       "one\r\ntwo%nthree", 0, 0, buffer, sizeof buffer, NULL);
    show("MAX_WIDTH_MASK", n, buffer);

    /* IGNORE_INSERTS: "Insert sequences in the message definition ... are to be ignored and
     * passed through to the output buffer unchanged"; Arguments is ignored. */
    n = FormatMessageA(FORMAT_MESSAGE_FROM_STRING | FORMAT_MESSAGE_IGNORE_INSERTS,
                       "%1 and %2!d!", 0, 0, buffer, sizeof buffer, NULL);
    show("IGNORE_INSERTS", n, buffer);

    /* ALLOCATE_BUFFER with FROM_STRING; nSize is the minimum to allocate. */
    text = NULL;
    n = FormatMessageA(FORMAT_MESSAGE_FROM_STRING | FORMAT_MESSAGE_ALLOCATE_BUFFER |
                           FORMAT_MESSAGE_ARGUMENT_ARRAY,
                       "allocated for %1", 0, 0, (LPSTR)&text, 64, (va_list *)array);
    show("ALLOCATE_BUFFER", n, text);
    printf("LocalSize at least 64: %d\n", LocalSize(text) >= 64);
    LocalFree(text);

    /* The wide form. */
    WCHAR wide[64];
    DWORD_PTR wargs[] = {(DWORD_PTR)L"wide", 2};
    n = FormatMessageW(FORMAT_MESSAGE_FROM_STRING | FORMAT_MESSAGE_ARGUMENT_ARRAY,
                       L"%1 text, %2!d! inserts", 0, 0, wide, ARRAYSIZE(wide), (va_list *)wargs);
    printf("FormatMessageW: %u \"%ls\"\n", (unsigned)n, wide);
    LPWSTR wtext = NULL;
    n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                           FORMAT_MESSAGE_IGNORE_INSERTS,
                       NULL, ERROR_INVALID_HANDLE, 0, (LPWSTR)&wtext, 0, NULL);
    printf("FormatMessageW FROM_SYSTEM: length matches %d, ends with CRLF %d\n",
           n == wcslen(wtext), n > 2 && wtext[n - 2] == L'\r' && wtext[n - 1] == L'\n');
    LocalFree(wtext);
    return 0;
}
