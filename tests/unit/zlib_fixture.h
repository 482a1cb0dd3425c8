/* What the DEFLATE and gzip unit tests share (test_inflate.c, test_gzip.c):
 * deterministic test data, zlib (tests only) to make valid streams, and
 * message checks.  Static: each test binary gets its own copy, and the
 * random sequence starts afresh in each. */
#ifndef HOP_ZLIB_FIXTURE_H
#define HOP_ZLIB_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "lib/error.h"

#define ZF_UNUSED __attribute__((unused))

static uint64_t rng = 88172645463325252ull;

ZF_UNUSED static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

enum data_kind { DATA_TEXT, DATA_RANDOM, DATA_ZEROS, DATA_PERIODIC, DATA_MIXED };

ZF_UNUSED static uint8_t *make_data(enum data_kind kind, size_t len)
{
    static const char *const words[] = { "boot ", "loader ", "kernel ", "the ",
                                         "memory ", "map\n", "hop ", "a " };
    uint8_t *d = malloc(len + 1);
    size_t period = 2 + rnd() % 6;
    for (size_t i = 0; i < len;) {
        switch (kind) {
        case DATA_TEXT: {
            const char *w = words[rnd() % 8];
            while (*w && i < len)
                d[i++] = (uint8_t)*w++;
            break;
        }
        case DATA_RANDOM: d[i++] = (uint8_t)rnd(); break;
        case DATA_ZEROS: d[i++] = 0; break;
        case DATA_PERIODIC: d[i] = (uint8_t)('a' + i % period); i++; break;
        case DATA_MIXED:
            d[i] = (i / 4096) % 2 ? (uint8_t)rnd() : (uint8_t)("abcabd"[i % 6]);
            i++;
            break;
        }
    }
    return d;
}

/* Compresses with zlib; window_bits 31 = gzip, -15 = raw deflate. */
ZF_UNUSED static uint8_t *zlib_compress(const uint8_t *in, size_t len, int level, int strategy,
                              int window_bits, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, window_bits, 8, strategy), Z_OK);
    size_t cap = deflateBound(&z, (uLong)len) + 64;
    uint8_t *out = malloc(cap);
    z.next_in = (uint8_t *)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = z.total_out;
    deflateEnd(&z);
    return out;
}

ZF_UNUSED static uint8_t *gzip_of(const uint8_t *in, size_t len, int level, int strategy,
                        size_t *out_len)
{
    return zlib_compress(in, len, level, strategy, 31, out_len);
}

ZF_UNUSED static void assert_msg_contains(const struct hop_error *err, const char *part)
{
    if (!strstr(err->msg, part))
        fail_msg("message \"%s\" lacks \"%s\"", err->msg, part);
}

#endif
