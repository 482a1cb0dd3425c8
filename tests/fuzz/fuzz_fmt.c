/* libFuzzer target: src/lib/fmt.c's messages for people.  The first input
 * byte is the buffer size, the rest is cut at NUL bytes into up to three
 * strings for "%s: %s (%.*s)".  Whatever they hold, the message must be
 * NUL-terminated inside the buffer, hold no control byte, and formatting it
 * again must change nothing (so that nested messages do not double escape). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fmt.h"

#define FUZZ_STRINGS 3
#define FUZZ_PRECISION 40

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t cap = (size_t)data[0] + 1;
    char *text = malloc(size), *buf = malloc(cap), *again = malloc(cap);
    const char *s[FUZZ_STRINGS] = { "", "", "" };
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    for (size_t i = 0, at = 0; i < FUZZ_STRINGS && at < size - 1; i++) {
        s[i] = text + at;
        at += strlen(text + at) + 1;
    }
    int n = fmt_message(buf, cap, "%s: %s (%.*s)", s[0], s[1], FUZZ_PRECISION, s[2]);
    size_t len = strlen(buf);
    if (n < 0 || len >= cap || has_control(buf))
        abort();
    if ((size_t)n == len) { /* it fitted: again, it is unchanged */
        fmt_message(again, cap, "%s", buf);
        if (strcmp(again, buf) != 0)
            abort();
    }
    free(text), free(buf), free(again);
    return 0;
}
