/* gzip files (RFC 1952): one or more members, each a header, a raw DEFLATE
 * stream (inflate.h, which this includes for DEFLATE_MAX_EXPANSION and
 * inflate_progress) and a trailer with the CRC32 and size of its output.
 *
 * Errors name the field and the input offset, as inflate.h's do; input that
 * ends too early is HOP_ERR_TRUNCATED with a message starting "gzip:
 * truncated:" and naming the byte where it ends.  The output never goes past
 * dst_cap (HOP_ERR_LIMIT, with the bytes that fit in dst). */
#ifndef HOP_GZIP_H
#define HOP_GZIP_H

#include "lib/error.h"
#include "lib/types.h"
#include "parse/inflate.h"

#define GZIP_ID1 0x1fu
#define GZIP_ID2 0x8bu
#define GZIP_HEADER_SIZE 10  /* ID1 ID2 CM FLG MTIME(4) XFL OS */
#define GZIP_TRAILER_SIZE 8  /* CRC32 ISIZE, both little-endian */

/* True when src starts with the gzip magic 1f 8b. */
bool gzip_has_magic(const void *src, size_t src_len);

/* Reads the ISIZE field of the last member's trailer: the uncompressed size
 * modulo 2^32.  Only a hint for sizing the output buffer: it is not checked
 * against anything until gzip_inflate runs, and with several members or
 * trailing padding it is not the total size.  Cheap: it reads the last 4
 * bytes, so a file cut short gives an absurd ISIZE; when anything about the
 * file fails, gzip_check_whole says whether it was cut short. */
int gzip_isize(const void *src, size_t src_len, uint32_t *isize,
               struct hop_error *err);

/* Walks the whole file (headers, DEFLATE data, trailer positions, padding;
 * not the CRCs), about as costly as decoding it: HOP_OK when every member is
 * whole, else HOP_ERR_TRUNCATED ("gzip: truncated: ...") for a file cut
 * short, or the first malformed field.  Run after a failure, so that a
 * truncated file is reported as such first rather than by what its missing
 * bytes made go wrong. */
int gzip_check_whole(const void *src, size_t src_len, struct hop_error *err);

/* Decodes a gzip file: every member (concatenated members are decoded one
 * after the other into dst, as gzip -d does), each with its header checked
 * (magic, method 8, no reserved flags, optional FEXTRA/FNAME/FCOMMENT/FHCRC
 * within bounds, the header CRC16 when present) and its trailer verified
 * (CRC32 and ISIZE).  Zero bytes after the last member are allowed (block
 * devices pad); anything else after it is an error.  *out_len gets the output
 * size (on error: how much was written).  dst may be NULL when dst_cap is 0. */
int gzip_inflate(const void *src, size_t src_len, void *dst, size_t dst_cap,
                 size_t *out_len, struct hop_error *err);

/* Decodes only the first n bytes of a gzip file into dst (fewer when the
 * file is shorter), for sniffing what is inside.  *got says how many. */
int gzip_peek(const void *src, size_t src_len, void *dst, size_t n,
              size_t *got, struct hop_error *err);

#endif
