/* Decompression of DEFLATE streams (RFC 1951) and of the gzip files that wrap
 * them (RFC 1952), into a buffer the caller provides.  The whole output stays
 * in that buffer, so back-references read it directly and no window is kept.
 *
 * Errors name the format, the field and the input offset ("deflate: distance
 * 40000 beyond 1234 bytes of output at input byte 0x51").  The output never
 * goes past dst_cap: a stream that would is an HOP_ERR_LIMIT error, and the
 * bytes that did fit are left in dst with *out_len saying how many (which is
 * what gzip_peek uses).
 *
 * Not reentrant: the Huffman tables (about 14 KiB) live in static storage
 * rather than on hop's small stack, and hop is single-threaded. */
#ifndef HOP_INFLATE_H
#define HOP_INFLATE_H

#include "lib/error.h"
#include "lib/types.h"

#define GZIP_ID1 0x1fu
#define GZIP_ID2 0x8bu
#define GZIP_HEADER_SIZE 10  /* ID1 ID2 CM FLG MTIME(4) XFL OS */
#define GZIP_TRAILER_SIZE 8  /* CRC32 ISIZE, both little-endian */

/* The most output one input byte of DEFLATE can produce: a 258-byte match
 * costs at least 2 bits, so 1032 bytes per input byte (plus block headers). */
#define DEFLATE_MAX_EXPANSION 1032u

/* When set, called after each DEFLATE block with the bytes decoded so far
 * (over all members of a gzip file): the RAM disk's progress bar. */
extern void (*inflate_progress)(uint64_t done);

/* Decodes one raw DEFLATE stream from src into dst.  On success *out_len is
 * the output size and *in_used the bytes of src the stream took (up to the
 * byte holding its last bit).  in_used may be NULL. */
int inflate_raw(const void *src, size_t src_len, void *dst, size_t dst_cap,
                size_t *out_len, size_t *in_used, struct hop_error *err);

/* True when src starts with the gzip magic 1f 8b. */
bool gzip_has_magic(const void *src, size_t src_len);

/* Reads the ISIZE field of the last member's trailer: the uncompressed size
 * modulo 2^32.  Only a hint for sizing the output buffer: it is not checked
 * against anything until gzip_inflate runs, and with several members or
 * trailing padding it is not the total size. */
int gzip_isize(const void *src, size_t src_len, uint32_t *isize,
               struct hop_error *err);

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
