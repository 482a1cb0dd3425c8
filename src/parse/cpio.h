/* Reader for cpio "newc" archives (magic 070701, and 070702 whose entries
 * carry a checksum of their data), the format of Linux initramfs images and
 * of hop's RAM disk.  Everything is read in place: entries point into the
 * archive buffer.
 *
 * Layout of one entry: a 110-byte header (6-character magic, then 13 fields
 * of 8 hex digits), the name (c_namesize bytes including its NUL), padding
 * to a multiple of 4 bytes, the data (c_filesize bytes), padding to a
 * multiple of 4.  An entry named "TRAILER!!!" ends an archive.  Several
 * archives may follow each other, with NUL bytes between them, as the kernel
 * accepts for initramfs; each archive starts at a multiple of 4 bytes. */
#ifndef HOP_CPIO_H
#define HOP_CPIO_H

#include "lib/error.h"
#include "lib/types.h"

#define CPIO_HEADER_SIZE 110
#define CPIO_MAGIC_NEWC "070701"
#define CPIO_MAGIC_CRC "070702" /* "crc" variant: c_check is a data sum */
#define CPIO_TRAILER_NAME "TRAILER!!!"
/* Longest path hop looks up or compares (normalised, with its NUL); longer
 * names in an archive can be iterated over but never match a lookup. */
#define CPIO_PATH_MAX 256
/* Symbolic links followed by one lookup before giving up (loops). */
#define CPIO_SYMLINK_MAX_DEPTH 16

enum cpio_type {
    CPIO_REGULAR,
    CPIO_DIRECTORY,
    CPIO_SYMLINK,
    CPIO_OTHER, /* device, FIFO, socket */
};

struct cpio_entry {
    const char *name;    /* as stored, NUL-terminated, inside the archive */
    size_t name_len;     /* without the NUL */
    const uint8_t *data; /* c_filesize bytes inside the archive */
    size_t size;
    enum cpio_type type;
    uint32_t mode; /* type and permission bits */
    uint32_t ino, nlink, uid, gid, mtime;
    uint32_t devmajor, devminor, rdevmajor, rdevminor;
    uint32_t check;        /* c_check: data checksum for 070702, else 0 */
    bool has_checksum;     /* magic 070702 */
    size_t offset;         /* of the header in the buffer */
    unsigned archive;      /* which of the concatenated archives (0, 1, ...) */
};

struct cpio_iter {
    const uint8_t *base;
    size_t size;
    size_t pos;          /* next header (or padding) to read */
    unsigned archive;    /* archives whose trailer has been passed */
    bool between;        /* at the start or after a trailer: NULs may follow */
    bool done;
    bool verify_checksums; /* 070702 data sums; on unless turned off */
};

/* Starts iterating over the archive(s) in [data, data + size). */
void cpio_iter_init(struct cpio_iter *it, const void *data, size_t size);

/* Reads the next entry, skipping trailers and the NUL padding between
 * archives.  Returns 1 with *entry filled, 0 after the last archive's
 * trailer, or a negative HOP_ERR_* code with err filled ("cpio: entry at
 * offset 0x6e: c_filesize 0x1000 runs past the end of the archive").  The
 * archive must end with a trailer; bytes after the last trailer must be
 * NULs (or the start of another archive). */
int cpio_next(struct cpio_iter *it, struct cpio_entry *entry,
              struct hop_error *err);

/* Normalises a path: drops leading "/" and "./", empty and "." components,
 * resolves ".." (never above the root).  "./boot//k" -> "boot/k"; the root
 * is "".  Fails with HOP_ERR_LIMIT when the result needs more than out_cap
 * bytes (with its NUL). */
int cpio_path_normalize(const char *path, size_t path_len, char *out,
                        size_t out_cap, struct hop_error *err);

/* Finds path (normalised first, so "./boot/k", "/boot/k" and "boot//k" are
 * the same) in the archive(s).  When a name occurs more than once the last
 * entry wins, as when the kernel unpacks the archives in order.  Symbolic
 * links are followed, in the last component and in directories on the way,
 * up to CPIO_SYMLINK_MAX_DEPTH; relative targets are relative to the link's
 * directory.  For a regular file stored as one of several hard links without
 * data (newc keeps the data only with the last link of a set), entry->data
 * and entry->size come from the link of the set that has it; entry->name
 * stays the matched name.  070702 checksums of the returned data are
 * verified.  HOP_ERR_NOTFOUND when there is no such entry. */
int cpio_lookup(const void *data, size_t size, const char *path,
                struct cpio_entry *entry, struct hop_error *err);

/* Called for each entry directly inside a listed directory; name is the
 * last path component (NUL-terminated).  A non-zero return stops the
 * listing and is returned by cpio_list_dir. */
typedef int (*cpio_list_fn)(void *ctx, const struct cpio_entry *entry,
                            const char *name);

/* Calls fn for each entry whose parent directory is dir (normalised, links
 * followed; "" or "/" is the root), in archive order.  An entry replaced by
 * a later one of the same name is reported each time it occurs; a directory
 * that has no entry of its own (only deeper entries name it) is not.
 * HOP_ERR_NOTFOUND when dir neither exists nor has anything in it. */
int cpio_list_dir(const void *data, size_t size, const char *dir,
                  cpio_list_fn fn, void *ctx, struct hop_error *err);

/* True when data starts with a newc magic (070701 or 070702). */
bool cpio_has_magic(const void *data, size_t size);

#endif
