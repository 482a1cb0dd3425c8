/* The console as a test reads it: everything kprintf printed since
 * capture_start(), NUL-terminated in capture_out.  Header-only (each test
 * binary is built from its one .c file). */
#ifndef HOP_TEST_CAPTURE_H
#define HOP_TEST_CAPTURE_H

#include "console/console.h"

static char capture_out[65536];
static size_t capture_len;

static void capture_sink(const char *s, size_t n)
{
    assert_true(capture_len + n < sizeof(capture_out));
    memcpy(capture_out + capture_len, s, n);
    capture_len += n;
    capture_out[capture_len] = '\0';
}

/* Empties the buffer; the sink is added once per test binary. */
static void capture_start(void)
{
    static bool added;
    if (!added)
        console_add_sink(capture_sink);
    added = true;
    capture_len = 0;
    capture_out[0] = '\0';
}

#endif
