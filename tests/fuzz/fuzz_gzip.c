/* libFuzzer target for src/parse/inflate.c: the input is decoded as a gzip file
 * and as a raw DEFLATE stream, into heap buffers of exactly the capacity
 * given (so ASan sees any write past it), and the results are checked for
 * consistency: a stream that decodes to n bytes must, with room for n - 1,
 * stop with HOP_ERR_LIMIT after writing the same n - 1 bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/gzip.h"

#define FUZZ_GZIP_OUT_MAX (1u << 20) /* cap on what ISIZE may ask for */
#define FUZZ_RAW_OUT 8192

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

static void fuzz_raw(const uint8_t *data, size_t size)
{
    struct hop_error err;
    size_t n = 0, used = 0;
    uint8_t *out = malloc(FUZZ_RAW_OUT);
    int rc = inflate_raw(data, size, out, FUZZ_RAW_OUT, &n, &used, &err);
    check_error(rc, &err);
    if (n > FUZZ_RAW_OUT || used > size)
        abort();
    if (rc == HOP_OK && n > 0) {
        size_t n2 = 0;
        uint8_t *less = malloc(n - 1 ? n - 1 : 1);
        rc = inflate_raw(data, size, less, n - 1, &n2, NULL, &err);
        if (rc != HOP_ERR_LIMIT || n2 != n - 1 || memcmp(less, out, n2) != 0)
            abort();
        free(less);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_gzip(data, size);
    fuzz_raw(data, size);
    /* Raw streams inside the corpus's gzip files start after the header. */
    if (size > GZIP_HEADER_SIZE && gzip_has_magic(data, size))
        fuzz_raw(data + GZIP_HEADER_SIZE, size - GZIP_HEADER_SIZE);
    return 0;
}
