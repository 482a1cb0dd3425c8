#ifndef HOP_ARCH_LINEBUF_H
#define HOP_ARCH_LINEBUF_H
/* A line of text built piece by piece (the details of a quiesce step's one
 * line), cut at its end instead of overflowing. */
#include "lib/types.h"

struct linebuf {
    char text[256];
    size_t len;
};

void linebuf_add(struct linebuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
