/* Errors are return codes carried up to one place that prints them.  Where a
 * code alone would not tell the user what is wrong, the failing function also
 * fills a struct hop_error with a message naming the file, the field and the
 * value ("/boot/k.elf: program header 3: p_offset+p_filesz 0x5000 beyond file
 * size 0x4000").
 *
 * Messages are formatted for people (fmt_vmessage): control bytes in %s
 * arguments are escaped, and a path too long for the message loses its
 * middle rather than the reason after it.  So the message is bounded (one
 * per config entry is kept) and still says what went wrong. */
#ifndef HOP_ERROR_H
#define HOP_ERROR_H

#include "types.h"

enum hop_status {
    HOP_OK = 0,
    HOP_ERR_INVALID = -1,   /* malformed input */
    HOP_ERR_TRUNCATED = -2, /* input shorter than its own sizes say */
    HOP_ERR_NOMEM = -3,     /* no memory left for the request */
    HOP_ERR_NOTFOUND = -4,  /* file, module or entry missing */
    HOP_ERR_UNSUPPORTED = -5,
    HOP_ERR_OVERLAP = -6,   /* ranges that must not overlap do */
    HOP_ERR_RANGE = -7,     /* address outside what is allowed */
    HOP_ERR_CHECKSUM = -8,  /* checksum or CRC mismatch */
    HOP_ERR_LIMIT = -9,     /* a fixed table of ours is full */
};

/* Room for a path, a nested reason and the module it came from (the
 * longest messages, ramdisk.c's "not a module name, and there is no
 * ramdisk: module 0 ...", are about 220 bytes); longer arguments are cut in
 * their middle.  One message is kept per config entry (boot_all). */
#define HOP_ERROR_MSG_MAX 256

struct hop_error {
    int code;
    char msg[HOP_ERROR_MSG_MAX];
};

/* Records code and a formatted message in err (err may be NULL) and returns
 * code, so a parser can write `return error_set(err, HOP_ERR_INVALID, ...)`. */
int error_set(struct hop_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int error_vset(struct hop_error *err, int code, const char *fmt, va_list ap);

/* Puts the formatted prefix and ": " before the message already in err (for
 * adding the file name at a higher level).  The message is kept whole if
 * the prefix, cut in its middle, can leave it room, down to
 * ERROR_PREFIX_MIN bytes of prefix.  Returns err->code. */
int error_prefix(struct hop_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define ERROR_PREFIX_MIN 48

/* A short name for a status code ("malformed input", ...). */
const char *error_name(int code);

#endif
