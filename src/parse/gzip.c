/* The gzip (RFC 1952) wrapper around the DEFLATE decoder: member headers,
 * CRC32/ISIZE trailers, concatenated members and the padding after them.
 * Every field is checked against the bytes left before it is read. */
#include "parse/gzip.h"

#include "lib/crc32.h"
#include "lib/string.h"

#define GZIP_CM_DEFLATE 8
#define GZIP_FTEXT 0x01u    /* a hint only: nothing to check */
#define GZIP_FHCRC 0x02u
#define GZIP_FEXTRA 0x04u
#define GZIP_FNAME 0x08u
#define GZIP_FCOMMENT 0x10u
#define GZIP_FRESERVED 0xe0u
#define GZIP_OFF_CM 2
#define GZIP_OFF_FLG 3
#define GZIP_XLEN_SIZE 2
#define GZIP_HCRC_SIZE 2

/* A valid address for empty buffers: arithmetic on NULL is undefined. */
static uint8_t gzip_empty[1];

static uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

bool gzip_has_magic(const void *src, size_t src_len)
{
    const uint8_t *p = src;
    return src_len >= 2 && p[0] == GZIP_ID1 && p[1] == GZIP_ID2;
}

/* Skips a NUL-terminated header string (FNAME, FCOMMENT) starting at *pos. */
static int gzip_skip_string(const uint8_t *p, size_t len, size_t *pos,
                            const char *what, struct hop_error *err)
{
    for (size_t i = *pos; i < len; i++) {
        if (p[i] == 0) {
            *pos = i + 1;
            return HOP_OK;
        }
    }
    return error_set(err, HOP_ERR_TRUNCATED,
                     "gzip: %s at offset 0x%zx has no NUL before the end of input",
                     what, *pos);
}

/* Checks the optional header fields after the fixed 10 bytes. */
static int gzip_optional_fields(const uint8_t *p, size_t len, size_t start,
                                uint8_t flg, size_t *pos, struct hop_error *err)
{
    int rc;
    if (flg & GZIP_FEXTRA) {
        if (len - *pos < GZIP_XLEN_SIZE)
            return error_set(err, HOP_ERR_TRUNCATED,
                             "gzip: FEXTRA length at offset 0x%zx past end of input",
                             *pos);
        size_t xlen = p[*pos] | (size_t)p[*pos + 1] << 8;
        *pos += GZIP_XLEN_SIZE;
        if (len - *pos < xlen)
            return error_set(err, HOP_ERR_TRUNCATED,
                             "gzip: FEXTRA field of %zu bytes at offset 0x%zx "
                             "past end of input", xlen, *pos);
        *pos += xlen;
    }
    if ((flg & GZIP_FNAME) && (rc = gzip_skip_string(p, len, pos, "FNAME", err)))
        return rc;
    if ((flg & GZIP_FCOMMENT) &&
        (rc = gzip_skip_string(p, len, pos, "FCOMMENT", err)))
        return rc;
    if (flg & GZIP_FHCRC) {
        if (len - *pos < GZIP_HCRC_SIZE)
            return error_set(err, HOP_ERR_TRUNCATED,
                             "gzip: FHCRC at offset 0x%zx past end of input", *pos);
        uint32_t want = p[*pos] | (uint32_t)p[*pos + 1] << 8;
        uint32_t got = crc32_update(0, p + start, *pos - start) & 0xffffu;
        if (got != want)
            return error_set(err, HOP_ERR_CHECKSUM,
                             "gzip: header CRC16 0x%04x does not match FHCRC 0x%04x",
                             (unsigned)got, (unsigned)want);
        *pos += GZIP_HCRC_SIZE;
    }
    return HOP_OK;
}

/* Parses the member header at start; *data gets where its DEFLATE data begins. */
static int gzip_parse_header(const uint8_t *p, size_t len, size_t start,
                             size_t *data, struct hop_error *err)
{
    if (len - start < GZIP_HEADER_SIZE)
        return error_set(err, HOP_ERR_TRUNCATED,
                         "gzip: header at offset 0x%zx needs %u bytes, %zu left",
                         start, GZIP_HEADER_SIZE, len - start);
    const uint8_t *h = p + start;
    if (h[0] != GZIP_ID1 || h[1] != GZIP_ID2)
        return error_set(err, HOP_ERR_INVALID,
                         "gzip: bad magic %02x %02x at offset 0x%zx (want 1f 8b)",
                         h[0], h[1], start);
    if (h[GZIP_OFF_CM] != GZIP_CM_DEFLATE)
        return error_set(err, HOP_ERR_UNSUPPORTED,
                         "gzip: compression method %u is not deflate (8)",
                         h[GZIP_OFF_CM]);
    uint8_t flg = h[GZIP_OFF_FLG];
    if (flg & GZIP_FRESERVED)
        return error_set(err, HOP_ERR_INVALID,
                         "gzip: reserved FLG bits 0x%02x set at offset 0x%zx",
                         flg & GZIP_FRESERVED, start + GZIP_OFF_FLG);
    *data = start + GZIP_HEADER_SIZE;
    return gzip_optional_fields(p, len, start, flg, data, err);
}

static int gzip_check_trailer(const uint8_t *p, size_t len, size_t pos,
                              const uint8_t *out, size_t produced,
                              struct hop_error *err)
{
    if (len - pos < GZIP_TRAILER_SIZE)
        return error_set(err, HOP_ERR_TRUNCATED,
                         "gzip: trailer at offset 0x%zx needs %u bytes, %zu left",
                         pos, GZIP_TRAILER_SIZE, len - pos);
    uint32_t want_crc = load_le32(p + pos);
    uint32_t isize = load_le32(p + pos + 4);
    uint32_t crc = crc32_update(0, out, produced);
    if (crc != want_crc)
        return error_set(err, HOP_ERR_CHECKSUM,
                         "gzip: CRC32 0x%08x does not match trailer 0x%08x",
                         (unsigned)crc, (unsigned)want_crc);
    if (isize != (uint32_t)produced)
        return error_set(err, HOP_ERR_CHECKSUM,
                         "gzip: ISIZE %u in trailer does not match the %zu bytes "
                         "decoded", (unsigned)isize, produced);
    return HOP_OK;
}

/* After a member: another member follows, or zero padding, or the end. */
static int gzip_after_member(const uint8_t *p, size_t len, size_t pos,
                             bool *another, struct hop_error *err)
{
    *another = gzip_has_magic(p + pos, len - pos);
    if (*another)
        return HOP_OK;
    for (size_t i = pos; i < len; i++)
        if (p[i] != 0)
            return error_set(err, HOP_ERR_INVALID,
                             "gzip: %zu bytes of trailing garbage at offset 0x%zx",
                             len - pos, pos);
    return HOP_OK;
}

int gzip_inflate(const void *src, size_t src_len, void *dst, size_t dst_cap,
                 size_t *out_len, struct hop_error *err)
{
    const uint8_t *p = src ? src : gzip_empty;
    uint8_t *out = dst ? dst : gzip_empty;
    size_t pos = 0, total = 0;
    bool another = true;
    int rc = HOP_OK;
    if ((!src && src_len) || (!dst && dst_cap))
        return error_set(err, HOP_ERR_INVALID, "gzip: NULL buffer");
    while (another && rc == HOP_OK) {
        size_t data = 0, produced = 0;
        rc = gzip_parse_header(p, src_len, pos, &data, err);
        if (rc)
            break;
        struct inflate_job job = {
            .src = p + data, .src_len = src_len - data, .src_offset = data,
            .dst = out + total, .dst_cap = dst_cap - total, .out_before = total,
        };
        rc = inflate_stream(&job, err);
        produced = job.out_len;
        total += produced;
        if (rc)
            break;
        pos = data + job.in_used;
        rc = gzip_check_trailer(p, src_len, pos, out + total - produced,
                                produced, err);
        if (rc)
            break;
        pos += GZIP_TRAILER_SIZE;
        rc = gzip_after_member(p, src_len, pos, &another, err);
    }
    if (out_len)
        *out_len = total;
    return rc;
}

int gzip_isize(const void *src, size_t src_len, uint32_t *isize,
               struct hop_error *err)
{
    const uint8_t *p = src;
    if (src_len < GZIP_HEADER_SIZE + GZIP_TRAILER_SIZE)
        return error_set(err, HOP_ERR_TRUNCATED,
                         "gzip: %zu bytes is too short for a gzip file", src_len);
    if (!gzip_has_magic(src, src_len))
        return error_set(err, HOP_ERR_INVALID,
                         "gzip: bad magic %02x %02x (want 1f 8b)", p[0], p[1]);
    *isize = load_le32(p + src_len - 4);
    return HOP_OK;
}

int gzip_peek(const void *src, size_t src_len, void *dst, size_t n, size_t *got,
              struct hop_error *err)
{
    struct hop_error scratch;
    int rc = gzip_inflate(src, src_len, dst, n, got, &scratch);
    if (rc == HOP_ERR_LIMIT || rc == HOP_OK)
        return HOP_OK;
    if (err)
        *err = scratch;
    return rc;
}
