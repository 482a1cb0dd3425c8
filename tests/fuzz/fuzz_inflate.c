/* libFuzzer target for src/parse/inflate.c: the input is decoded as a raw
 * DEFLATE stream into a heap buffer of exactly the capacity given (so ASan
 * sees any write past it), and the results are checked for consistency:
 *  - a stream that decodes to n bytes must, with room for n - 1, stop with
 *    HOP_ERR_LIMIT after writing the same n - 1 bytes;
 *  - the in_used bytes it reports are the whole stream: decoding just them
 *    gives the same output, and decoding one byte fewer fails as truncated;
 *  - inflate_measure, which keeps no output, comes to the same result, size
 *    and end wherever the output fit.
 * Seeds (tests/fuzz/corpus/inflate) are raw streams of each block type. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/inflate.h"

#define FUZZ_RAW_OUT 8192

static void check_error(int rc, const struct hop_error *err)
{
    if (rc != HOP_OK && (rc != err->code || err->msg[0] == 0))
        abort();
}

/* With one byte less room, the same bytes and HOP_ERR_LIMIT. */
static void check_less_room(const uint8_t *data, size_t size, const uint8_t *out, size_t n)
{
    struct hop_error err;
    size_t n2 = 0;
    uint8_t *less = malloc(n - 1 ? n - 1 : 1);
    int rc = inflate_raw(data, size, less, n - 1, &n2, NULL, &err);
    if (rc != HOP_ERR_LIMIT || n2 != n - 1 || memcmp(less, out, n2) != 0)
        abort();
    free(less);
}

/* The stream is data[0, used): the same output from exactly that, and
 * HOP_ERR_TRUNCATED from one byte less. */
static void check_in_used(const uint8_t *data, size_t used, const uint8_t *out, size_t n)
{
    struct hop_error err;
    size_t n2 = 0, used2 = 0;
    uint8_t *copy = malloc(used ? used : 1); /* exact size: ASan sees over-reads */
    uint8_t *again = malloc(FUZZ_RAW_OUT);
    memcpy(copy, data, used);
    int rc = inflate_raw(copy, used, again, FUZZ_RAW_OUT, &n2, &used2, &err);
    if (rc != HOP_OK || n2 != n || used2 != used || memcmp(again, out, n) != 0)
        abort();
    if (used > 0 && inflate_raw(copy, used - 1, again, FUZZ_RAW_OUT, &n2, NULL, &err) !=
                        HOP_ERR_TRUNCATED)
        abort();
    free(again);
    free(copy);
}

/* inflate_measure against inflate_raw's rc, n and used. */
static void check_measure(const uint8_t *data, size_t size, int rc, size_t n, size_t used)
{
    static const uint8_t empty[1];
    struct hop_error err;
    struct inflate_job job = { .src = size ? data : empty, .src_len = size };
    int mrc = inflate_measure(&job, &err);
    check_error(mrc, &err);
    if (mrc == HOP_ERR_LIMIT)
        abort(); /* measuring has no output to run out of */
    if (rc != HOP_ERR_LIMIT && mrc != rc)
        abort();
    if (rc == HOP_OK && (job.out_len != n || job.in_used != used))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hop_error err;
    size_t n = 0, used = 0;
    uint8_t *out = malloc(FUZZ_RAW_OUT);
    int rc = inflate_raw(data, size, out, FUZZ_RAW_OUT, &n, &used, &err);
    check_error(rc, &err);
    if (n > FUZZ_RAW_OUT || used > size)
        abort();
    check_measure(data, size, rc, n, used);
    if (rc == HOP_OK) {
        if (n > 0)
            check_less_room(data, size, out, n);
        check_in_used(data, used, out, n);
    }
    free(out);
    return 0;
}
