/* libFuzzer target for src/parse/gzip.c: the input is decoded as a gzip file
 * into a heap buffer of exactly the capacity its ISIZE asks for (capped), so
 * ASan sees any write past it, and the results are checked for consistency:
 * a file that decodes must have decoded to its ISIZE, and gzip_peek must see
 * the same first bytes.  The raw DEFLATE decoder has its own target,
 * fuzz_inflate.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/gzip.h"

#define FUZZ_GZIP_OUT_MAX (1u << 20) /* cap on what ISIZE may ask for */

static void check_error(int rc, const struct hop_error *err)
{
    if (rc != HOP_OK && (rc != err->code || err->msg[0] == 0))
        abort();
}

static void fuzz_gzip(const uint8_t *data, size_t size)
{
    struct hop_error err;
    uint32_t isize = 0;
    size_t cap = 4096, n = 0;
    if (gzip_isize(data, size, &isize, &err) == HOP_OK)
        cap = isize < FUZZ_GZIP_OUT_MAX ? isize : FUZZ_GZIP_OUT_MAX;
    uint8_t *out = malloc(cap ? cap : 1);
    int rc = gzip_inflate(data, size, cap ? out : NULL, cap, &n, &err);
    check_error(rc, &err);
    if (n > cap || (rc == HOP_OK && n != isize))
        abort();
    uint8_t head[16];
    size_t got = 0;
    if (gzip_peek(data, size, head, sizeof(head), &got, &err) == HOP_OK &&
        (got > sizeof(head) || (n >= got && memcmp(head, out, got) != 0)))
        abort();
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_gzip(data, size);
    return 0;
}
