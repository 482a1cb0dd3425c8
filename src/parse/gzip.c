/* The gzip (RFC 1952) wrapper around the DEFLATE decoder: member headers,
 * CRC32/ISIZE trailers, concatenated members and the padding after them.
 * Every field is checked against the bytes left before it is read.
 *
 * Wherever the input ends too early the message starts "gzip: truncated:"
 * and says what was cut and where the input ends: a file cut short (a RAM
 * disk or kernel not copied whole) is the likely cause, and any later check
 * would only mislead (the last 4 bytes of a cut file are DEFLATE data, not an
 * ISIZE).  That is why gzip_isize walks the whole file before it reads ISIZE. */
#include "parse/gzip.h"

#include "lib/crc32.h"
#include "lib/fmt.h"
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
#define GZIP_TRAILER_OFF_ISIZE 4 /* after CRC32 */

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

/* "gzip: truncated: <what> (the input ends at byte <len>)". */
static int gzip_truncated(struct hop_error *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int gzip_truncated(struct hop_error *err, size_t len, const char *fmt, ...)
{
    char what[HOP_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return error_set(err, HOP_ERR_TRUNCATED,
                     "gzip: truncated: %s (the input ends at byte 0x%zx)", what, len);
}

/* --- the member header ----------------------------------------------------- */

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
    return gzip_truncated(err, len, "%s at offset 0x%zx has no NUL", what, *pos);
}

/* Checks the optional header fields after the fixed 10 bytes. */
static int gzip_optional_fields(const uint8_t *p, size_t len, size_t start,
                                uint8_t flg, size_t *pos, struct hop_error *err)
{
    int rc;
    if (flg & GZIP_FEXTRA) {
        if (len - *pos < GZIP_XLEN_SIZE)
            return gzip_truncated(err, len, "the FEXTRA length at offset 0x%zx is cut "
                                  "short", *pos);
        size_t xlen = p[*pos] | (size_t)p[*pos + 1] << 8;
        *pos += GZIP_XLEN_SIZE;
        if (len - *pos < xlen)
            return gzip_truncated(err, len, "the FEXTRA field of %zu bytes at offset "
                                  "0x%zx is cut short", xlen, *pos);
        *pos += xlen;
    }
    if ((flg & GZIP_FNAME) && (rc = gzip_skip_string(p, len, pos, "FNAME", err)))
        return rc;
    if ((flg & GZIP_FCOMMENT) &&
        (rc = gzip_skip_string(p, len, pos, "FCOMMENT", err)))
        return rc;
    if (flg & GZIP_FHCRC) {
        if (len - *pos < GZIP_HCRC_SIZE)
            return gzip_truncated(err, len, "FHCRC at offset 0x%zx is cut short", *pos);
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
        return gzip_truncated(err, len, "the %u-byte header at offset 0x%zx is cut short",
                              GZIP_HEADER_SIZE, start);
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

/* --- members ------------------------------------------------------------------ */

/* The 8 trailer bytes against the member's output out[0, produced). */
static int gzip_check_trailer(const uint8_t *trailer, const uint8_t *out, size_t produced,
                              struct hop_error *err)
{
    uint32_t want_crc = load_le32(trailer);
    uint32_t isize = load_le32(trailer + GZIP_TRAILER_OFF_ISIZE);
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

/* One pass over the members of a file: decoding into out[0, cap), or only
 * measuring (gzip_isize), which checks the framing and the DEFLATE data but
 * not the trailers, having no output to check them against. */
struct gzip_walk {
    const uint8_t *p;
    size_t len;
    bool measure;
    uint8_t *out; /* not used when measuring */
    size_t cap;
    size_t total; /* output so far, over all members */
    struct hop_error *err;
};

/* Decodes (or measures) the DEFLATE data at offset data; *end gets where it
 * ends. */
static int gzip_member_data(struct gzip_walk *w, size_t data, size_t *end,
                            size_t *produced)
{
    struct inflate_job job = { .src = w->p + data, .src_len = w->len - data,
                               .src_offset = data, .out_before = w->total };
    int rc;
    if (w->measure) {
        rc = inflate_measure(&job, w->err);
    } else {
        job.dst = w->out + w->total;
        job.dst_cap = w->cap - w->total;
        rc = inflate_stream(&job, w->err);
    }
    *produced = job.out_len;
    w->total += job.out_len;
    *end = data + job.in_used;
    /* The decoder ran out of input: cut short, or corrupt so that it read
     * past where the data really ends. */
    if (rc == HOP_ERR_TRUNCATED)
        return error_set(w->err, HOP_ERR_TRUNCATED,
                         "gzip: truncated (or corrupt): the DEFLATE data at offset 0x%zx "
                         "ends before its final end-of-block (the input ends at byte "
                         "0x%zx)", data, w->len);
    return rc;
}

/* The member at *pos; on success *pos is where the next one may begin. */
static int gzip_member(struct gzip_walk *w, size_t *pos)
{
    size_t data = 0, trailer = 0, produced = 0;
    int rc = gzip_parse_header(w->p, w->len, *pos, &data, w->err);
    if (rc == HOP_OK)
        rc = gzip_member_data(w, data, &trailer, &produced);
    if (rc)
        return rc;
    if (w->len - trailer < GZIP_TRAILER_SIZE)
        return gzip_truncated(w->err, w->len, "the %u-byte trailer at offset 0x%zx is cut "
                              "short", GZIP_TRAILER_SIZE, trailer);
    if (!w->measure &&
        (rc = gzip_check_trailer(w->p + trailer, w->out + w->total - produced, produced,
                                 w->err)))
        return rc;
    *pos = trailer + GZIP_TRAILER_SIZE;
    return HOP_OK;
}

static int gzip_walk_members(struct gzip_walk *w)
{
    size_t pos = 0;
    bool another = true;
    int rc = HOP_OK;
    while (another && rc == HOP_OK) {
        rc = gzip_member(w, &pos);
        if (rc == HOP_OK)
            rc = gzip_after_member(w->p, w->len, pos, &another, w->err);
    }
    return rc;
}

/* --- the interface ------------------------------------------------------------ */

int gzip_inflate(const void *src, size_t src_len, void *dst, size_t dst_cap,
                 size_t *out_len, struct hop_error *err)
{
    if ((!src && src_len) || (!dst && dst_cap))
        return error_set(err, HOP_ERR_INVALID, "gzip: NULL buffer");
    struct gzip_walk w = { .p = src ? src : gzip_empty, .len = src_len,
                           .out = dst ? dst : gzip_empty, .cap = dst_cap, .err = err };
    int rc = gzip_walk_members(&w);
    if (out_len)
        *out_len = w.total;
    return rc;
}

static int gzip_check_frame(const void *src, size_t src_len, struct hop_error *err)
{
    const uint8_t *p = src;
    if (src_len < GZIP_HEADER_SIZE + GZIP_TRAILER_SIZE)
        return gzip_truncated(err, src_len, "%zu bytes cannot hold the %u-byte header "
                              "and the %u-byte trailer", src_len, GZIP_HEADER_SIZE,
                              GZIP_TRAILER_SIZE);
    if (!gzip_has_magic(src, src_len))
        return error_set(err, HOP_ERR_INVALID,
                         "gzip: bad magic %02x %02x (want 1f 8b)", p[0], p[1]);
    return HOP_OK;
}

int gzip_isize(const void *src, size_t src_len, uint32_t *isize,
               struct hop_error *err)
{
    int rc = gzip_check_frame(src, src_len, err);
    if (rc)
        return rc;
    *isize = load_le32((const uint8_t *)src + src_len - sizeof(*isize));
    return HOP_OK;
}

int gzip_check_whole(const void *src, size_t src_len, struct hop_error *err)
{
    int rc = gzip_check_frame(src, src_len, err);
    if (rc)
        return rc;
    struct gzip_walk w = { .p = src, .len = src_len, .measure = true, .err = err };
    return gzip_walk_members(&w);
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
