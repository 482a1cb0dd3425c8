/* hop's log: formatted text sent to every registered output (serial, VGA
 * text, framebuffer).  Portable: the outputs are function pointers. */
#ifndef HOP_CONSOLE_H
#define HOP_CONSOLE_H

#include "lib/types.h"

typedef void (*console_write_fn)(const char *s, size_t n);

#define CONSOLE_MAX_SINKS 4

void console_add_sink(console_write_fn fn);
void console_write(const char *s, size_t n);
/* Formats with fmt_vmessage: control bytes in %s and %c arguments are shown
 * escaped ("\x1b"), a line too long loses the middle of its longest %s. */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);

#endif
