/* Decompression of raw DEFLATE streams (RFC 1951) into a buffer the caller
 * provides.  The whole output stays in that buffer, so back-references read
 * it directly and no window is kept.  The gzip files that wrap such streams
 * are gzip.h's.
 *
 * Errors name the format, the field and the input offset ("deflate: distance
 * 40000 beyond 1234 bytes of output at input byte 0x51").  The output never
 * goes past dst_cap: a stream that would is an HOP_ERR_LIMIT error, and the
 * bytes that did fit are left in dst with the output length saying how many
 * (which is what gzip_peek uses).
 *
 * Not reentrant: the Huffman tables (about 14 KiB) live in static storage
 * rather than on hop's small stack, and hop is single-threaded. */
#ifndef HOP_INFLATE_H
#define HOP_INFLATE_H

#include "lib/error.h"
#include "lib/types.h"

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

/* One stream inside a larger file (a gzip member): inflate_raw's arguments
 * plus where the stream sits, for messages and progress.  The pointers must
 * be valid (not NULL) even for empty buffers. */
struct inflate_job {
    const uint8_t *src;
    size_t src_len;
    size_t src_offset; /* of src in the file: added to offsets in messages */
    uint8_t *dst;
    size_t dst_cap;
    size_t out_before; /* bytes the file decoded before dst: added for progress */
    /* results, set also on error */
    size_t out_len;
    size_t in_used;
};

/* Decodes job's stream; returns HOP_OK or an error as inflate_raw does. */
int inflate_stream(struct inflate_job *job, struct hop_error *err);

/* Walks job's stream to its end with every check inflate_stream makes, but
 * keeps no output (dst and dst_cap are not used; a static 36 KiB window is):
 * out_len gets the size the output would have, in_used where the stream
 * ends.  For finding out that a file is truncated before allocating room for
 * it; costs about as much time as decoding. */
int inflate_measure(struct inflate_job *job, struct hop_error *err);

#endif
