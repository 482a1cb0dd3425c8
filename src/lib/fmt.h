/* hop's own printf-style formatter: the one used by the console, by error
 * messages and by the unit tests.  Supports %d %i %u %x %X %o %p %s %c %%,
 * the flags '-' '0' '+' ' ' '#', a width and precision (also '*'), and the
 * length modifiers hh h l ll z t j.  No floating point. */
#ifndef HOP_FMT_H
#define HOP_FMT_H

#include "types.h"

/* Formats into buf (always NUL-terminated when size > 0) and returns the
 * length the full output would have had, like C99 vsnprintf. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Formats a byte count as "123 KiB" / "4 MiB" style text. */
int fmt_size(char *buf, size_t size, uint64_t bytes);

#endif
