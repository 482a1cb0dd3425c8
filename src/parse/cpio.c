/* cpio newc reader: see cpio.h for the format.  Every header field is
 * checked before use and every size is checked against the buffer with
 * overflow-safe arithmetic; nothing outside [base, base + size) is read. */
#include "parse/cpio.h"

#include "lib/string.h"

#define CPIO_MAGIC_LEN 6
#define CPIO_MAGIC_PREFIX "0707"
#define CPIO_FIELD_DIGITS 8
#define CPIO_ALIGN 4

/* The 13 hex fields after the magic, in header order. */
enum cpio_field {
    F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE,
    F_DEVMAJOR, F_DEVMINOR, F_RDEVMAJOR, F_RDEVMINOR, F_NAMESIZE, F_CHECK,
    CPIO_FIELD_COUNT,
};

static const char *const cpio_field_names[CPIO_FIELD_COUNT] = {
    "c_ino", "c_mode", "c_uid", "c_gid", "c_nlink", "c_mtime", "c_filesize",
    "c_devmajor", "c_devminor", "c_rdevmajor", "c_rdevminor", "c_namesize",
    "c_check",
};

/* File type bits of c_mode (as in POSIX st_mode). */
#define CPIO_S_IFMT 0170000u
#define CPIO_S_IFREG 0100000u
#define CPIO_S_IFDIR 0040000u
#define CPIO_S_IFLNK 0120000u

_Static_assert(CPIO_HEADER_SIZE == CPIO_MAGIC_LEN + CPIO_FIELD_COUNT * CPIO_FIELD_DIGITS,
               "newc header layout");

bool cpio_has_magic(const void *data, size_t size)
{
    return size >= CPIO_MAGIC_LEN &&
           (memcmp(data, CPIO_MAGIC_NEWC, CPIO_MAGIC_LEN) == 0 ||
            memcmp(data, CPIO_MAGIC_CRC, CPIO_MAGIC_LEN) == 0);
}

static int hex_digit_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int cpio_parse_fields(const uint8_t *h, size_t offset,
                             uint32_t field[CPIO_FIELD_COUNT], struct hop_error *err)
{
    for (unsigned f = 0; f < CPIO_FIELD_COUNT; f++) {
        const uint8_t *digits = h + CPIO_MAGIC_LEN + f * CPIO_FIELD_DIGITS;
        uint32_t v = 0;
        for (unsigned i = 0; i < CPIO_FIELD_DIGITS; i++) {
            int d = hex_digit_value(digits[i]);
            if (d < 0)
                return error_set(err, HOP_ERR_INVALID,
                                 "cpio: entry at offset 0x%zx: %s has non-hex "
                                 "byte 0x%02x at offset 0x%zx",
                                 offset, cpio_field_names[f], digits[i],
                                 offset + (size_t)(digits + i - h));
            v = v << 4 | (uint32_t)d;
        }
        field[f] = v;
    }
    return HOP_OK;
}

static enum cpio_type cpio_type_of(uint32_t mode)
{
    switch (mode & CPIO_S_IFMT) {
    case CPIO_S_IFREG: return CPIO_REGULAR;
    case CPIO_S_IFDIR: return CPIO_DIRECTORY;
    case CPIO_S_IFLNK: return CPIO_SYMLINK;
    default: return CPIO_OTHER;
    }
}

static int cpio_check_magic(const uint8_t *h, size_t offset, bool *has_checksum,
                            struct hop_error *err)
{
    if (memcmp(h, CPIO_MAGIC_NEWC, CPIO_MAGIC_LEN) == 0) {
        *has_checksum = false;
        return HOP_OK;
    }
    if (memcmp(h, CPIO_MAGIC_CRC, CPIO_MAGIC_LEN) == 0) {
        *has_checksum = true;
        return HOP_OK;
    }
    return error_set(err, HOP_ERR_INVALID,
                     "cpio: bad magic %02x %02x %02x %02x %02x %02x at offset "
                     "0x%zx (want \"070701\" or \"070702\")",
                     h[0], h[1], h[2], h[3], h[4], h[5], offset);
}

/* Checks that the name is c_namesize bytes ending in its only NUL. */
static int cpio_check_name(const uint8_t *name, uint32_t namesize, size_t offset,
                           struct hop_error *err)
{
    if (namesize == 0)
        return error_set(err, HOP_ERR_INVALID,
                         "cpio: entry at offset 0x%zx: c_namesize is 0", offset);
    size_t len = strnlen((const char *)name, namesize);
    if (len == namesize)
        return error_set(err, HOP_ERR_INVALID,
                         "cpio: entry at offset 0x%zx: name of c_namesize %u "
                         "bytes does not end with a NUL", offset, (unsigned)namesize);
    if (len + 1 != namesize)
        return error_set(err, HOP_ERR_INVALID,
                         "cpio: entry at offset 0x%zx: name has a NUL at byte %zu "
                         "of c_namesize %u", offset, len, (unsigned)namesize);
    return HOP_OK;
}

/* End of a region that starts at start, is len bytes and is padded to
 * CPIO_ALIGN, if it fits in size; 0 (never a valid end) when it does not. */
static size_t cpio_padded_end(size_t start, size_t len, size_t size)
{
    size_t end;
    if (ADD_OVERFLOWS(start, len, &end) || ADD_OVERFLOWS(end, CPIO_ALIGN - 1, &end))
        return 0;
    end = ALIGN_DOWN(end, CPIO_ALIGN);
    return end <= size ? end : 0;
}

/* Parses the entry whose header is at offset (4-aligned, inside the buffer);
 * *next gets the offset just past its padded data. */
static int cpio_parse_entry(const uint8_t *base, size_t size, size_t offset,
                            struct cpio_entry *e, size_t *next, struct hop_error *err)
{
    if (size - offset < CPIO_HEADER_SIZE)
        return error_set(err, HOP_ERR_TRUNCATED,
                         "cpio: header at offset 0x%zx needs %u bytes, %zu left",
                         offset, CPIO_HEADER_SIZE, size - offset);
    const uint8_t *h = base + offset;
    uint32_t f[CPIO_FIELD_COUNT];
    int rc;
    *e = (struct cpio_entry){ .offset = offset };
    if ((rc = cpio_check_magic(h, offset, &e->has_checksum, err)) ||
        (rc = cpio_parse_fields(h, offset, f, err)))
        return rc;
    size_t name_off = offset + CPIO_HEADER_SIZE;
    size_t data_off = cpio_padded_end(name_off, f[F_NAMESIZE], size);
    if (data_off == 0)
        return error_set(err, HOP_ERR_TRUNCATED,
                         "cpio: entry at offset 0x%zx: c_namesize %u runs past "
                         "the end of the archive (0x%zx bytes)",
                         offset, (unsigned)f[F_NAMESIZE], size);
    if ((rc = cpio_check_name(base + name_off, f[F_NAMESIZE], offset, err)))
        return rc;
    *next = cpio_padded_end(data_off, f[F_FILESIZE], size);
    if (*next == 0)
        return error_set(err, HOP_ERR_TRUNCATED,
                         "cpio: entry at offset 0x%zx: c_filesize 0x%x runs past "
                         "the end of the archive (0x%zx bytes)",
                         offset, (unsigned)f[F_FILESIZE], size);
    e->name = (const char *)base + name_off;
    e->name_len = f[F_NAMESIZE] - 1;
    e->data = base + data_off;
    e->size = f[F_FILESIZE];
    e->mode = f[F_MODE];
    e->type = cpio_type_of(f[F_MODE]);
    e->ino = f[F_INO], e->uid = f[F_UID], e->gid = f[F_GID];
    e->nlink = f[F_NLINK], e->mtime = f[F_MTIME];
    e->devmajor = f[F_DEVMAJOR], e->devminor = f[F_DEVMINOR];
    e->rdevmajor = f[F_RDEVMAJOR], e->rdevminor = f[F_RDEVMINOR];
    e->check = f[F_CHECK];
    return HOP_OK;
}

/* The 070702 check: c_check is the 32-bit sum of the data bytes.  Like the
 * kernel, only regular files are checked: GNU cpio writes 0 for symlinks. */
static int cpio_verify_checksum(const struct cpio_entry *e, struct hop_error *err)
{
    if (!e->has_checksum || e->type != CPIO_REGULAR)
        return HOP_OK;
    uint32_t sum = 0;
    for (size_t i = 0; i < e->size; i++)
        sum += e->data[i];
    if (sum == e->check)
        return HOP_OK;
    return error_set(err, HOP_ERR_CHECKSUM,
                     "cpio: entry at offset 0x%zx (%s): data sum 0x%08x does not "
                     "match c_check 0x%08x",
                     e->offset, e->name, (unsigned)sum, (unsigned)e->check);
}

void cpio_iter_init(struct cpio_iter *it, const void *data, size_t size)
{
    *it = (struct cpio_iter){ .base = data, .size = size, .between = true,
                              .verify_checksums = true };
}

/* Before an archive: skips NUL padding; sets it->done at the end. */
static int cpio_skip_padding(struct cpio_iter *it, struct hop_error *err)
{
    while (it->pos < it->size && it->base[it->pos] == 0)
        it->pos++;
    if (it->pos == it->size) {
        if (it->archive == 0)
            return error_set(err, HOP_ERR_INVALID,
                             "cpio: no archive in %zu bytes", it->size);
        it->done = true;
        return HOP_OK;
    }
    if (it->pos % CPIO_ALIGN != 0)
        return error_set(err, HOP_ERR_INVALID,
                         "cpio: archive at offset 0x%zx does not start on a "
                         "4-byte boundary", it->pos);
    it->between = false;
    return HOP_OK;
}

static bool cpio_is_trailer(const struct cpio_entry *e)
{
    return e->name_len == sizeof(CPIO_TRAILER_NAME) - 1 &&
           memcmp(e->name, CPIO_TRAILER_NAME, e->name_len) == 0;
}

int cpio_next(struct cpio_iter *it, struct cpio_entry *entry, struct hop_error *err)
{
    for (;;) {
        int rc;
        if (it->between && !it->done && (rc = cpio_skip_padding(it, err)))
            return rc;
        if (it->done)
            return 0;
        if (it->pos == it->size)
            return error_set(err, HOP_ERR_TRUNCATED,
                             "cpio: archive ends at offset 0x%zx without %s",
                             it->pos, CPIO_TRAILER_NAME);
        size_t next;
        if ((rc = cpio_parse_entry(it->base, it->size, it->pos, entry, &next, err)))
            return rc;
        it->pos = next;
        if (cpio_is_trailer(entry)) {
            it->archive++;
            it->between = true;
            continue;
        }
        entry->archive = it->archive;
        if (it->verify_checksums && (rc = cpio_verify_checksum(entry, err)))
            return rc;
        return 1;
    }
}

/* --- paths ---------------------------------------------------------------- */

/* Appends component [c, c + n) to out (length *len); handles "." and "..". */
static int path_push(char *out, size_t cap, size_t *len, const char *c, size_t n,
                     struct hop_error *err)
{
    if (n == 0 || (n == 1 && c[0] == '.'))
        return HOP_OK;
    if (n == 2 && c[0] == '.' && c[1] == '.') {
        while (*len > 0 && out[*len - 1] != '/')
            (*len)--;
        if (*len > 0)
            (*len)--; /* the '/' before the dropped component */
        return HOP_OK;
    }
    size_t need = *len + (*len > 0) + n + 1;
    if (need > cap)
        return error_set(err, HOP_ERR_LIMIT,
                         "cpio: path longer than %zu bytes", cap - 1);
    if (*len > 0)
        out[(*len)++] = '/';
    memcpy(out + *len, c, n);
    *len += n;
    return HOP_OK;
}

int cpio_path_normalize(const char *path, size_t path_len, char *out,
                        size_t out_cap, struct hop_error *err)
{
    size_t len = 0, i = 0;
    if (out_cap == 0)
        return error_set(err, HOP_ERR_LIMIT, "cpio: no room for a path");
    while (i < path_len) {
        size_t start = i;
        while (i < path_len && path[i] != '/')
            i++;
        int rc = path_push(out, out_cap, &len, path + start, i - start, err);
        if (rc)
            return rc;
        i++; /* the '/' */
    }
    out[len] = 0;
    return HOP_OK;
}

/* --- lookups ----------------------------------------------------------------- */

/* Finds the last entry whose normalised name is path (normalised).  Names
 * too long to normalise cannot match and are skipped. */
static int cpio_find_last(const void *data, size_t size, const char *path,
                          struct cpio_entry *found, struct hop_error *err)
{
    struct cpio_iter it;
    struct cpio_entry e;
    char name[CPIO_PATH_MAX];
    int rc, hits = 0;
    cpio_iter_init(&it, data, size);
    it.verify_checksums = false; /* only the result's data is checked */
    while ((rc = cpio_next(&it, &e, err)) > 0) {
        if (cpio_path_normalize(e.name, e.name_len, name, sizeof(name), NULL) == HOP_OK &&
            strcmp(name, path) == 0) {
            *found = e;
            hits++;
        }
    }
    if (rc < 0)
        return rc;
    return hits ? HOP_OK : HOP_ERR_NOTFOUND;
}

/* For a data-less member of a hard-link set: the data of the last link in
 * the same archive with the same (ino, devmajor, devminor) that has data. */
static int cpio_resolve_hard_link(const void *data, size_t size,
                                  struct cpio_entry *e, struct hop_error *err)
{
    struct cpio_iter it;
    struct cpio_entry other;
    int rc;
    if (e->type != CPIO_REGULAR || e->nlink < 2 || e->size != 0)
        return HOP_OK;
    cpio_iter_init(&it, data, size);
    it.verify_checksums = false;
    while ((rc = cpio_next(&it, &other, err)) > 0) {
        if (other.archive == e->archive && other.ino == e->ino &&
            other.devmajor == e->devmajor && other.devminor == e->devminor &&
            other.type == CPIO_REGULAR && other.nlink >= 2 && other.size > 0) {
            e->data = other.data;
            e->size = other.size;
            e->check = other.check;
            e->has_checksum = other.has_checksum;
        }
    }
    return rc < 0 ? rc : HOP_OK;
}

/* The path a symlink at link_path (normalised) points to, into out. */
static int cpio_link_target(const struct cpio_entry *link, const char *link_path,
                            const char *rest, char *out, struct hop_error *err)
{
    /* link's directory, '/', target, '/', rest: each < CPIO_PATH_MAX */
    char joined[3 * CPIO_PATH_MAX];
    size_t len = 0;
    if (link->size == 0 || link->size >= CPIO_PATH_MAX)
        return error_set(err, HOP_ERR_INVALID,
                         "cpio: symlink %s has a target of %zu bytes",
                         link_path, link->size);
    if (strnlen((const char *)link->data, link->size) != link->size)
        return error_set(err, HOP_ERR_INVALID,
                         "cpio: symlink %s has a NUL in its target", link_path);
    if (link->data[0] != '/') { /* relative: to the link's directory */
        const char *slash = NULL;
        for (const char *p = link_path; *p; p++)
            if (*p == '/')
                slash = p;
        if (slash) {
            len = (size_t)(slash - link_path);
            memcpy(joined, link_path, len);
            joined[len++] = '/';
        }
    }
    memcpy(joined + len, link->data, link->size);
    len += link->size;
    if (rest && *rest) {
        size_t rlen = strnlen(rest, CPIO_PATH_MAX - 1); /* rest is in a path */
        joined[len++] = '/';
        memcpy(joined + len, rest, rlen);
        len += rlen;
    }
    return cpio_path_normalize(joined, len, out, CPIO_PATH_MAX, err);
}

/* path was not found: if a directory on its way is a symlink, rewrites path
 * through it and returns HOP_OK; HOP_ERR_NOTFOUND when none is. */
static int cpio_follow_dir_link(const void *data, size_t size, char *path,
                                struct hop_error *err)
{
    char prefix[CPIO_PATH_MAX];
    struct cpio_entry e;
    for (size_t i = 0; path[i]; i++) {
        if (path[i] != '/')
            continue;
        memcpy(prefix, path, i);
        prefix[i] = 0;
        /* Not found is no reason to stop: archives need not list the
         * directories on a path. */
        int rc = cpio_find_last(data, size, prefix, &e, err);
        if (rc == HOP_ERR_NOTFOUND)
            continue;
        if (rc)
            return rc;
        if (e.type == CPIO_SYMLINK)
            return cpio_link_target(&e, prefix, path + i + 1, path, err);
    }
    return HOP_ERR_NOTFOUND;
}

static int cpio_not_found(const char *path, struct hop_error *err)
{
    return error_set(err, HOP_ERR_NOTFOUND, "cpio: no entry named \"%s\"", path);
}

/* Resolves symlinks; *e is the final entry. */
static int cpio_resolve(const void *data, size_t size, const char *path,
                        struct cpio_entry *e, struct hop_error *err)
{
    char cur[CPIO_PATH_MAX];
    int rc = cpio_path_normalize(path, strlen(path), cur, sizeof(cur), err);
    if (rc)
        return rc;
    for (unsigned depth = 0; depth <= CPIO_SYMLINK_MAX_DEPTH; depth++) {
        rc = cpio_find_last(data, size, cur, e, err);
        if (rc == HOP_OK && e->type != CPIO_SYMLINK)
            return HOP_OK;
        if (rc == HOP_OK) {
            char here[CPIO_PATH_MAX];
            memcpy(here, cur, sizeof(here));
            rc = cpio_link_target(e, here, NULL, cur, err);
        } else if (rc == HOP_ERR_NOTFOUND) {
            rc = cpio_follow_dir_link(data, size, cur, err);
            if (rc == HOP_ERR_NOTFOUND)
                return cpio_not_found(path, err);
        }
        if (rc)
            return rc;
    }
    return error_set(err, HOP_ERR_INVALID,
                     "cpio: %s: more than %u levels of symbolic links",
                     path, CPIO_SYMLINK_MAX_DEPTH);
}

int cpio_lookup(const void *data, size_t size, const char *path,
                struct cpio_entry *entry, struct hop_error *err)
{
    int rc = cpio_resolve(data, size, path, entry, err);
    if (rc == HOP_OK)
        rc = cpio_resolve_hard_link(data, size, entry, err);
    if (rc == HOP_OK)
        rc = cpio_verify_checksum(entry, err);
    return rc;
}

/* --- directory listing --------------------------------------------------------- */

/* The normalised directory to list, links followed; "" for the root. */
static int cpio_list_target(const void *data, size_t size, const char *dir,
                            char *out, struct hop_error *err)
{
    struct cpio_entry e;
    int rc = cpio_path_normalize(dir, strlen(dir), out, CPIO_PATH_MAX, err);
    if (rc || out[0] == 0)
        return rc;
    rc = cpio_resolve(data, size, dir, &e, err);
    if (rc == HOP_ERR_NOTFOUND)
        return HOP_OK; /* may still have entries inside: checked by caller */
    if (rc)
        return rc;
    if (e.type != CPIO_DIRECTORY)
        return error_set(err, HOP_ERR_INVALID, "cpio: %s is not a directory", dir);
    return cpio_path_normalize(e.name, e.name_len, out, CPIO_PATH_MAX, err);
}

int cpio_list_dir(const void *data, size_t size, const char *dir,
                  cpio_list_fn fn, void *ctx, struct hop_error *err)
{
    char target[CPIO_PATH_MAX], name[CPIO_PATH_MAX];
    struct cpio_iter it;
    struct cpio_entry e;
    int rc = cpio_list_target(data, size, dir, target, err);
    if (rc)
        return rc;
    size_t tlen = strlen(target);
    bool any = tlen == 0;
    cpio_iter_init(&it, data, size);
    it.verify_checksums = false;
    while ((rc = cpio_next(&it, &e, err)) > 0) {
        if (cpio_path_normalize(e.name, e.name_len, name, sizeof(name), NULL))
            continue;
        if (strcmp(name, target) == 0)
            any = true;
        const char *child = name;
        if (tlen > 0) {
            if (strncmp(name, target, tlen) != 0 || name[tlen] != '/')
                continue;
            child = name + tlen + 1;
        }
        any = true; /* something is inside, so the directory exists */
        if (child[0] == 0 || strchr(child, '/'))
            continue;
        int stop = fn(ctx, &e, child);
        if (stop)
            return stop;
    }
    if (rc < 0)
        return rc;
    return any ? HOP_OK
               : error_set(err, HOP_ERR_NOTFOUND, "cpio: no directory \"%s\"", dir);
}
