/*
 * conio.h for alertable-win32: the C runtime's console input, as far as ported programs
 * use it to wait for a key.
 *
 * _getch reads one character from standard input without a prompt. Unlike Microsoft's
 * runtime it goes through the C library's buffered stdin, so on a terminal in its usual
 * line mode it returns once a line is entered, and the character is echoed by the
 * terminal; at the end of the input it returns EOF at once.
 */
#ifndef ALERTABLE_CONIO_H
#define ALERTABLE_CONIO_H

#include <stdio.h>

static inline int _getch(void) { return getchar(); }
static inline int _getche(void) { return getchar(); }
static inline int _putch(int c) { return putchar(c); }

#endif /* ALERTABLE_CONIO_H */
