/* hop's own printf-style formatter: the one used by the console, by error
 * messages and by the unit tests.  Supports %d %i %u %x %X %o %p %s %c %%,
 * the flags '-' '0' '+' ' ' '#', a width and precision (also '*'), and the
 * length modifiers hh h l ll z t j.  No floating point. */
#ifndef HOP_FMT_H
#define HOP_FMT_H

#include "types.h"

/* fmt_vmessage never cuts a %s argument below this many bytes shown. */
#define FMT_CUT_MIN 24

/* Formats into buf (always NUL-terminated when size > 0) and returns the
 * length the full output would have had, like C99 vsnprintf.  Exact: for
 * data, such as a kernel's command line. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Formats a message for people (the console, error messages), whose %s
 * arguments may come from a configuration file or a loader:
 *  - in %s and %c, a byte that is neither printable ASCII nor part of a
 *    valid UTF-8 character is shown as \xHH (lower-case hex), so that no
 *    control byte (ESC, BEL, CR, a C1 control) reaches a terminal.  A
 *    backslash is left alone, so formatting a message again changes nothing.
 *  - when the message does not fit in size, its longest %s arguments are
 *    cut in the middle, down to FMT_CUT_MIN bytes at worst, and "..." put
 *    in their place (the same cut for each: the short ones stay whole), so
 *    that what follows a long path survives.
 * Returns the length of the message as written (shortened), or more when
 * even that did not fit. */
int fmt_vmessage(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_message(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Formats a byte count as "123 KiB" / "4 MiB" style text. */
int fmt_size(char *buf, size_t size, uint64_t bytes);

#endif
