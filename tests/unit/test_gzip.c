/* Unit tests of src/parse/gzip.c: gzip files made by zlib (tests only),
 * valid, cut short and damaged in each field.  The raw DEFLATE decoder under
 * it is test_inflate.c's. */
#include "zlib_fixture.h"

#include "parse/gzip.h"

static void check_gzip_roundtrip(const uint8_t *data, size_t len, int level, int strategy)
{
    size_t gz_len, out_len = 0;
    uint8_t *gz = gzip_of(data, len, level, strategy, &gz_len);
    uint8_t *out = malloc(len + 1);
    struct hop_error err = { 0 };
    int rc = gzip_inflate(gz, gz_len, out, len, &out_len, &err);
    if (rc)
        fail_msg("level %d strategy %d len %zu: %s", level, strategy, len, err.msg);
    assert_int_equal(out_len, len);
    assert_memory_equal(out, data, len);
    free(gz);
    free(out);
}

/* --- valid files from zlib ------------------------------------------------------- */

static void test_empty_gzip(void **state)
{
    (void)state;
    size_t gz_len, out_len = 99;
    uint8_t *gz = gzip_of((const uint8_t *)"", 0, 6, Z_DEFAULT_STRATEGY, &gz_len);
    struct hop_error err;
    assert_int_equal(gzip_inflate(gz, gz_len, NULL, 0, &out_len, &err), HOP_OK);
    assert_int_equal(out_len, 0);
    uint32_t isize = 1;
    assert_int_equal(gzip_isize(gz, gz_len, &isize, &err), HOP_OK);
    assert_int_equal(isize, 0);
    free(gz);
}

static void test_levels_and_strategies(void **state)
{
    (void)state;
    static const int levels[] = { 0, 1, 6, 9 };
    static const int strategies[] = { Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY,
                                      Z_RLE, Z_FIXED };
    static const size_t sizes[] = { 1, 7, 300, 5000, 70000, 300000 };
    for (int kind = DATA_TEXT; kind <= DATA_MIXED; kind++)
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            uint8_t *d = make_data((enum data_kind)kind, sizes[s]);
            for (size_t l = 0; l < 4; l++)
                for (size_t st = 0; st < 5; st++)
                    check_gzip_roundtrip(d, sizes[s], levels[l], strategies[st]);
            free(d);
        }
}

/* The first block's type, read from a raw stream. */
static void test_many_random_roundtrips(void **state)
{
    (void)state;
    for (int i = 0; i < 300; i++) {
        size_t len = rnd() % 20000;
        uint8_t *d = make_data((enum data_kind)(rnd() % 5), len);
        check_gzip_roundtrip(d, len, (int)(rnd() % 10), (int)(rnd() % 5));
        free(d);
    }
}

/* Output capacity of exactly the size, one less, and a few smaller: the
 * bytes that fit are right and the error says so. */
static void test_output_bigger_than_cap(void **state)
{
    (void)state;
    static const int levels[] = { 0, 6 };
    uint8_t *d = make_data(DATA_TEXT, 20000);
    for (int l = 0; l < 2; l++) {
        size_t gz_len, out_len;
        uint8_t *gz = gzip_of(d, 20000, levels[l], Z_DEFAULT_STRATEGY, &gz_len);
        uint8_t *out = malloc(20000);
        static const size_t caps[] = { 0, 1, 100, 257, 258, 259, 1000, 19999 };
        for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
            struct hop_error err = { 0 };
            int rc = gzip_inflate(gz, gz_len, caps[c] ? out : NULL, caps[c], &out_len, &err);
            assert_int_equal(rc, HOP_ERR_LIMIT);
            assert_int_equal(out_len, caps[c]);
            if (caps[c])
                assert_memory_equal(out, d, caps[c]);
            assert_msg_contains(&err, "does not fit");
            size_t got = 0;
            assert_int_equal(gzip_peek(gz, gz_len, out, caps[c], &got, &err), HOP_OK);
            assert_int_equal(got, caps[c]);
        }
        assert_int_equal(gzip_inflate(gz, gz_len, out, 20000, &out_len, NULL), HOP_OK);
        free(gz);
        free(out);
    }
    free(d);
}

/* --- gzip framing ------------------------------------------------------------------- */

/* The gzip half of what was one test with the raw half
 * (test_inflate.c, test_raw_truncation_every_byte). */
static void test_truncation_every_byte(void **state)
{
    (void)state;
    static const int strategies[] = { Z_DEFAULT_STRATEGY, Z_FIXED };
    uint8_t *d = make_data(DATA_TEXT, 3000);
    for (int level = 0; level <= 9; level += 3) {
        for (int st = 0; st < 2; st++) {
            size_t gz_len, out_len;
            uint8_t *gz = gzip_of(d, 3000, level, strategies[st], &gz_len);
            uint8_t out[3000];
            for (size_t cut = 0; cut < gz_len; cut++) {
                uint8_t *copy = malloc(cut + 1); /* exact size: ASan sees over-reads */
                memcpy(copy, gz, cut);
                struct hop_error err = { 0 };
                int rc = gzip_inflate(copy, cut, out, sizeof(out), &out_len, &err);
                if (rc == HOP_OK)
                    fail_msg("level %d: truncation at %zu accepted", level, cut);
                free(copy);
            }
            free(gz);
        }
    }
    free(d);
}

static void test_bad_crc_and_isize(void **state)
{
    (void)state;
    uint8_t *d = make_data(DATA_TEXT, 1000);
    size_t gz_len, out_len;
    uint8_t *gz = gzip_of(d, 1000, 6, Z_DEFAULT_STRATEGY, &gz_len);
    uint8_t out[1000];
    struct hop_error err;
    gz[gz_len - 8] ^= 1;
    assert_int_equal(gzip_inflate(gz, gz_len, out, sizeof(out), &out_len, &err), HOP_ERR_CHECKSUM);
    assert_msg_contains(&err, "gzip: CRC32 0x");
    assert_msg_contains(&err, "does not match trailer 0x");
    gz[gz_len - 8] ^= 1;
    gz[gz_len - 4] ^= 1; /* ISIZE 1001 */
    assert_int_equal(gzip_inflate(gz, gz_len, out, sizeof(out), &out_len, &err), HOP_ERR_CHECKSUM);
    assert_msg_contains(&err, "ISIZE 1001 in trailer does not match the 1000 bytes");
    uint32_t isize;
    assert_int_equal(gzip_isize(gz, gz_len, &isize, &err), HOP_OK);
    assert_int_equal(isize, 1001);
    assert_int_equal(gzip_isize(gz, 17, &isize, &err), HOP_ERR_TRUNCATED);
    free(gz);
    free(d);
}

static void test_bad_header(void **state)
{
    (void)state;
    size_t gz_len, out_len;
    uint8_t *gz = gzip_of((const uint8_t *)"hello", 5, 6, Z_DEFAULT_STRATEGY, &gz_len);
    uint8_t out[16];
    struct hop_error err;
    gz[0] = 0x1e;
    assert_int_equal(gzip_inflate(gz, gz_len, out, sizeof(out), &out_len, &err), HOP_ERR_INVALID);
    assert_msg_contains(&err, "bad magic 1e 8b at offset 0x0");
    uint32_t isize;
    assert_int_equal(gzip_isize(gz, gz_len, &isize, &err), HOP_ERR_INVALID);
    gz[0] = 0x1f;
    gz[2] = 7;
    assert_int_equal(gzip_inflate(gz, gz_len, out, sizeof(out), &out_len, &err),
                     HOP_ERR_UNSUPPORTED);
    assert_msg_contains(&err, "compression method 7");
    gz[2] = 8;
    for (unsigned bit = 0x20; bit <= 0x80; bit <<= 1) {
        gz[3] = (uint8_t)bit;
        assert_int_equal(gzip_inflate(gz, gz_len, out, sizeof(out), &out_len, &err),
                         HOP_ERR_INVALID);
        assert_msg_contains(&err, "reserved FLG bits");
    }
    gz[3] = 0x01; /* FTEXT is only a hint */
    assert_int_equal(gzip_inflate(gz, gz_len, out, sizeof(out), &out_len, &err), HOP_OK);
    assert_int_equal(gzip_inflate(gz, 9, out, sizeof(out), &out_len, &err), HOP_ERR_TRUNCATED);
    free(gz);
}

/* gzip with FEXTRA, FNAME, FCOMMENT and FHCRC, made by zlib. */
static uint8_t *gzip_with_header(const char *text, bool hcrc, size_t *out_len)
{
    z_stream z;
    gz_header h;
    static uint8_t extra[6] = { 'A', 'P', 2, 0, 'h', 'i' };
    memset(&z, 0, sizeof(z));
    memset(&h, 0, sizeof(h));
    h.extra = extra;
    h.extra_len = sizeof(extra);
    h.name = (Bytef *)"file.txt";
    h.comment = (Bytef *)"a comment";
    h.hcrc = hcrc;
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    assert_int_equal(deflateSetHeader(&z, &h), Z_OK);
    uint8_t *out = malloc(1024);
    z.next_in = (Bytef *)text;
    z.avail_in = (uInt)strlen(text);
    z.next_out = out;
    z.avail_out = 1024;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = z.total_out;
    deflateEnd(&z);
    return out;
}

static void test_optional_header_fields(void **state)
{
    (void)state;
    const char *text = "optional header fields";
    size_t len = strlen(text), gz_len, out_len;
    uint8_t out[64];
    struct hop_error err;
    for (int hcrc = 0; hcrc < 2; hcrc++) {
        uint8_t *gz = gzip_with_header(text, hcrc, &gz_len);
        assert_int_equal(gz[3], 0x04 | 0x08 | 0x10 | (hcrc ? 0x02 : 0));
        assert_int_equal(gzip_inflate(gz, gz_len, out, sizeof(out), &out_len, &err), HOP_OK);
        assert_int_equal(out_len, len);
        assert_memory_equal(out, text, len);
        /* every cut inside the header fails as truncation */
        size_t hdr_end = 10 + 2 + 6 + 9 + 10 + (hcrc ? 2 : 0);
        for (size_t cut = 0; cut < hdr_end; cut++)
            assert_int_equal(gzip_inflate(gz, cut, out, sizeof(out), &out_len, &err),
                             HOP_ERR_TRUNCATED);
        if (hcrc) {
            gz[hdr_end - 1] ^= 0x40;
            assert_int_equal(gzip_inflate(gz, gz_len, out, sizeof(out), &out_len, &err),
                             HOP_ERR_CHECKSUM);
            assert_msg_contains(&err, "header CRC16");
        }
        free(gz);
    }
    /* FEXTRA claiming more than there is. */
    uint8_t hdr[] = { 0x1f, 0x8b, 8, 0x04, 0, 0, 0, 0, 0, 3, 0xff, 0x7f, 1, 2, 3 };
    assert_int_equal(gzip_inflate(hdr, sizeof(hdr), out, sizeof(out), &out_len, &err),
                     HOP_ERR_TRUNCATED);
    assert_msg_contains(&err, "FEXTRA field of 32767 bytes");
    /* FNAME with no NUL. */
    uint8_t name[] = { 0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c' };
    assert_int_equal(gzip_inflate(name, sizeof(name), out, sizeof(out), &out_len, &err),
                     HOP_ERR_TRUNCATED);
    assert_msg_contains(&err, "FNAME at offset 0xa has no NUL");
}

static void test_concatenated_members(void **state)
{
    (void)state;
    uint8_t *a = make_data(DATA_TEXT, 5000), *b = make_data(DATA_RANDOM, 3000);
    size_t la, lb, out_len;
    uint8_t *ga = gzip_of(a, 5000, 9, Z_DEFAULT_STRATEGY, &la);
    uint8_t *gb = gzip_of(b, 3000, 0, Z_DEFAULT_STRATEGY, &lb);
    uint8_t *both = calloc(1, la + lb + 16);
    memcpy(both, ga, la);
    memcpy(both + la, gb, lb);
    uint8_t *out = malloc(8000);
    struct hop_error err;
    assert_int_equal(gzip_inflate(both, la + lb, out, 8000, &out_len, &err), HOP_OK);
    assert_int_equal(out_len, 8000);
    assert_memory_equal(out, a, 5000);
    assert_memory_equal(out + 5000, b, 3000);
    /* Zero padding after the last member is accepted... */
    assert_int_equal(gzip_inflate(both, la + lb + 16, out, 8000, &out_len, &err), HOP_OK);
    /* ... other trailing bytes are not. */
    both[la + lb + 5] = 'x';
    assert_int_equal(gzip_inflate(both, la + lb + 16, out, 8000, &out_len, &err),
                     HOP_ERR_INVALID);
    assert_msg_contains(&err, "16 bytes of trailing garbage");
    /* A second member cut short. */
    assert_int_equal(gzip_inflate(both, la + 5, out, 8000, &out_len, &err), HOP_ERR_TRUNCATED);
    /* The second member's back-references cannot reach into the first: the
     * second member's output starts a fresh window (checked by zlib's own
     * output being correct above), and a bad member 2 CRC is reported. */
    both[la + lb - 8] ^= 0xff;
    assert_int_equal(gzip_inflate(both, la + lb, out, 8000, &out_len, &err), HOP_ERR_CHECKSUM);
    free(a), free(b), free(ga), free(gb), free(both), free(out);
}

/* --- files cut short --------------------------------------------------------------- */

/* A copy of gz[0, cut) in a buffer of exactly that size (ASan sees over-reads). */
static uint8_t *cut_copy(const uint8_t *gz, size_t cut)
{
    uint8_t *copy = malloc(cut ? cut : 1);
    memcpy(copy, gz, cut);
    return copy;
}

/* Both gzip_check_whole, which the RAM disk asks after any failure, and
 * gzip_inflate call a file cut at `cut` truncated, with `what` in the
 * message. */
static void expect_truncated(const uint8_t *gz, size_t cut, const char *isize_what,
                             const char *inflate_what)
{
    uint8_t *copy = cut_copy(gz, cut);
    uint8_t out[20000];
    size_t out_len;
    uint32_t isize = 0;
    char ends[64];
    struct hop_error err = { 0 };
    snprintf(ends, sizeof(ends), "(the input ends at byte 0x%zx)", cut);
    (void)isize;
    assert_int_equal(gzip_check_whole(copy, cut, &err), HOP_ERR_TRUNCATED);
    assert_int_equal(err.code, HOP_ERR_TRUNCATED);
    assert_msg_contains(&err, "gzip: truncated");
    assert_msg_contains(&err, isize_what);
    assert_msg_contains(&err, ends);
    assert_int_equal(gzip_inflate(copy, cut, out, sizeof(out), &out_len, &err),
                     HOP_ERR_TRUNCATED);
    assert_msg_contains(&err, "gzip: truncated");
    assert_msg_contains(&err, inflate_what);
    assert_msg_contains(&err, ends);
    free(copy);
}

/* A RAM disk or kernel cut short: the last 4 bytes are then DEFLATE data, not
 * an ISIZE, and must not be reported as one ("over the limit", "impossible"). */
static void test_cut_short_is_truncated(void **state)
{
    (void)state;
    uint8_t *d = make_data(DATA_TEXT, 20000);
    size_t gz_len;
    uint8_t *gz = gzip_of(d, 20000, 6, Z_DEFAULT_STRATEGY, &gz_len);
    const char *in_data = "the DEFLATE data at offset 0xa ends before its final end-of-block";
    char in_trailer[80];
    snprintf(in_trailer, sizeof(in_trailer), "the 8-byte trailer at offset 0x%zx is cut short",
             gz_len - GZIP_TRAILER_SIZE);

    /* Just the header. */
    expect_truncated(gz, GZIP_HEADER_SIZE,
                     "10 bytes cannot hold the 10-byte header and the 8-byte trailer", in_data);
    /* In the middle of the DEFLATE data. */
    expect_truncated(gz, GZIP_HEADER_SIZE + (gz_len - GZIP_HEADER_SIZE - GZIP_TRAILER_SIZE) / 2,
                     in_data, in_data);
    /* Inside the trailer, at each of its bytes. */
    for (size_t missing = 1; missing < GZIP_TRAILER_SIZE; missing++)
        expect_truncated(gz, gz_len - missing, in_trailer, in_trailer);
    free(gz);
    free(d);
}

/* The second of two members cut inside its header, and a header cut inside
 * FNAME: the message says which part was cut. */
static void test_cut_short_names_the_part(void **state)
{
    (void)state;
    uint8_t *d = make_data(DATA_TEXT, 3000);
    size_t la;
    uint8_t *ga = gzip_of(d, 3000, 9, Z_DEFAULT_STRATEGY, &la);
    uint8_t *two = malloc(2 * la);
    memcpy(two, ga, la);
    memcpy(two + la, ga, la);
    char in_header[80];
    snprintf(in_header, sizeof(in_header), "the 10-byte header at offset 0x%zx is cut short", la);
    expect_truncated(two, la + 5, in_header, in_header);
    /* Whole: both members, and gzip_isize reads the last one's ISIZE. */
    uint32_t isize = 0;
    struct hop_error err;
    assert_int_equal(gzip_isize(two, 2 * la, &isize, &err), HOP_OK);
    assert_int_equal(isize, 3000);
    assert_int_equal(gzip_check_whole(two, 2 * la, &err), HOP_OK);

    static const uint8_t fname_cut[] = { 0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3,
                                         'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i' };
    expect_truncated(fname_cut, sizeof(fname_cut), "FNAME at offset 0xa has no NUL",
                     "FNAME at offset 0xa has no NUL");
    free(two), free(ga), free(d);
}

/* gzip_check_whole walks the DEFLATE data, so damage there is found; the
 * trailers' CRCs it leaves to gzip_inflate.  gzip_isize reads only the
 * trailer. */
static void test_isize_walks_the_data(void **state)
{
    (void)state;
    uint8_t *d = make_data(DATA_TEXT, 5000);
    size_t gz_len;
    uint8_t *gz = gzip_of(d, 5000, 6, Z_DEFAULT_STRATEGY, &gz_len);
    uint32_t isize = 0;
    struct hop_error err;
    gz[gz_len - GZIP_TRAILER_SIZE] ^= 1; /* CRC32 */
    assert_int_equal(gzip_check_whole(gz, gz_len, &err), HOP_OK);
    assert_int_equal(gzip_isize(gz, gz_len, &isize, &err), HOP_OK);
    assert_int_equal(isize, 5000);
    gz[GZIP_HEADER_SIZE] |= 0x06; /* first block: reserved type 3 */
    assert_int_equal(gzip_check_whole(gz, gz_len, &err), HOP_ERR_INVALID);
    assert_msg_contains(&err, "deflate: reserved block type 3");
    assert_int_equal(gzip_isize(gz, gz_len, &isize, &err), HOP_OK); /* only the trailer */
    free(gz), free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_gzip),
        cmocka_unit_test(test_levels_and_strategies),
        cmocka_unit_test(test_many_random_roundtrips),
        cmocka_unit_test(test_output_bigger_than_cap),
        cmocka_unit_test(test_truncation_every_byte),
        cmocka_unit_test(test_bad_crc_and_isize),
        cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_optional_header_fields),
        cmocka_unit_test(test_concatenated_members),
        cmocka_unit_test(test_cut_short_is_truncated),
        cmocka_unit_test(test_cut_short_names_the_part),
        cmocka_unit_test(test_isize_walks_the_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
