/* Unit tests of src/parse/cpio.c: archives are built here byte by byte (so every
 * field can be broken on purpose), plus two made by GNU cpio. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "parse/cpio.h"
#include "data/real_cpio.h"

/* --- an archive builder ------------------------------------------------------ */

#define S_REG 0100644u
#define S_DIR 0040755u
#define S_LNK 0120777u
#define S_CHR 0020644u

struct arc {
    uint8_t *buf;
    size_t len, cap;
};

static void arc_put(struct arc *a, const void *p, size_t n)
{
    if (n == 0)
        return;
    if (a->len + n > a->cap) {
        a->cap = (a->len + n) * 2 + 256;
        a->buf = realloc(a->buf, a->cap);
    }
    memcpy(a->buf + a->len, p, n);
    a->len += n;
}

static void arc_zeros(struct arc *a, size_t n)
{
    static const uint8_t z[64];
    while (n) {
        size_t k = n < sizeof(z) ? n : sizeof(z);
        arc_put(a, z, k);
        n -= k;
    }
}

static void arc_align(struct arc *a) { arc_zeros(a, (4 - a->len % 4) % 4); }

struct ent {
    const char *magic; /* NULL: 070701 */
    uint32_t ino, mode, nlink, devmajor, devminor;
    const char *name;
    const void *data;
    size_t size;
    bool bad_check; /* 070702: store a wrong sum */
};

/* Appends one entry; returns the offset of its header. */
static size_t arc_entry(struct arc *a, const struct ent *e)
{
    char hdr[256]; /* the fields are 8 digits: only 110 bytes are used */
    const uint8_t *d = e->data;
    uint32_t sum = 0;
    for (size_t i = 0; i < e->size; i++)
        sum += d[i];
    const char *magic = e->magic ? e->magic : "070701";
    bool crc = strcmp(magic, "070702") == 0;
    size_t at = a->len;
    snprintf(hdr, sizeof(hdr), "%.6s%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
             magic, e->ino, e->mode, 0, 0, e->nlink ? e->nlink : 1, 1700000000u,
             (uint32_t)e->size, e->devmajor, e->devminor, 0, 0,
             (uint32_t)strlen(e->name) + 1,
             crc ? sum + (e->bad_check ? 1 : 0) : 0);
    arc_put(a, hdr, CPIO_HEADER_SIZE);
    arc_put(a, e->name, strlen(e->name) + 1);
    arc_align(a);
    arc_put(a, e->data, e->size);
    arc_align(a);
    return at;
}

static void arc_file(struct arc *a, const char *name, const char *text)
{
    arc_entry(a, &(struct ent){ .mode = S_REG, .name = name, .data = text,
                                .size = strlen(text) });
}

static void arc_dir(struct arc *a, const char *name)
{
    arc_entry(a, &(struct ent){ .mode = S_DIR, .name = name, .nlink = 2 });
}

static void arc_link(struct arc *a, const char *name, const char *target)
{
    arc_entry(a, &(struct ent){ .mode = S_LNK, .name = name, .data = target,
                                .size = strlen(target) });
}

static void arc_trailer(struct arc *a)
{
    arc_entry(a, &(struct ent){ .name = CPIO_TRAILER_NAME });
}

/* A small archive like `find . | cpio -o -H newc` makes. */
static struct arc sample(void)
{
    struct arc a = { 0 };
    arc_dir(&a, ".");
    arc_dir(&a, "./boot");
    arc_file(&a, "./boot/kernel", "KERNEL!");
    arc_file(&a, "./boot/hop.cfg", "timeout 3\n");
    arc_dir(&a, "./lib");
    arc_file(&a, "./lib/a.ko", "A");
    arc_file(&a, "./top", "top-level file");
    arc_entry(&a, &(struct ent){ .mode = S_CHR, .name = "./dev-console" });
    arc_trailer(&a);
    return a;
}

/* --- helpers ---------------------------------------------------------------------- */

static int count_entries(const void *data, size_t size, struct hop_error *err)
{
    struct cpio_iter it;
    struct cpio_entry e;
    int n = 0, rc;
    cpio_iter_init(&it, data, size);
    while ((rc = cpio_next(&it, &e, err)) > 0)
        n++;
    return rc < 0 ? rc : n;
}

static void assert_msg_contains(const struct hop_error *err, const char *part)
{
    if (!strstr(err->msg, part))
        fail_msg("message \"%s\" lacks \"%s\"", err->msg, part);
}

static void assert_lookup(const void *data, size_t size, const char *path, const char *want)
{
    struct cpio_entry e;
    struct hop_error err = { 0 };
    int rc = cpio_lookup(data, size, path, &e, &err);
    if (rc)
        fail_msg("lookup %s: %s", path, err.msg);
    assert_int_equal(e.size, strlen(want));
    assert_memory_equal(e.data, want, e.size);
}

static void assert_lookup_fails(const void *data, size_t size, const char *path, int code)
{
    struct cpio_entry e;
    struct hop_error err = { 0 };
    int rc = cpio_lookup(data, size, path, &e, &err);
    if (rc != code)
        fail_msg("lookup %s: rc %d (want %d) %s", path, rc, code, err.msg);
}

/* --- iteration ---------------------------------------------------------------------- */

static void test_iterate_sample(void **state)
{
    (void)state;
    struct arc a = sample();
    struct cpio_iter it;
    struct cpio_entry e;
    struct hop_error err;
    static const char *const names[] = { ".", "./boot", "./boot/kernel", "./boot/hop.cfg",
                                         "./lib", "./lib/a.ko", "./top", "./dev-console" };
    static const enum cpio_type types[] = { CPIO_DIRECTORY, CPIO_DIRECTORY, CPIO_REGULAR,
                                            CPIO_REGULAR, CPIO_DIRECTORY, CPIO_REGULAR,
                                            CPIO_REGULAR, CPIO_OTHER };
    cpio_iter_init(&it, a.buf, a.len);
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(cpio_next(&it, &e, &err), 1);
        assert_string_equal(e.name, names[i]);
        assert_int_equal(e.name_len, strlen(names[i]));
        assert_int_equal(e.type, types[i]);
        assert_int_equal(e.archive, 0);
        assert_int_equal(e.offset % 4, 0);
    }
    assert_int_equal(cpio_next(&it, &e, &err), 0);
    assert_int_equal(cpio_next(&it, &e, &err), 0); /* stays at the end */
    free(a.buf);
}

static void test_uppercase_hex_accepted(void **state)
{
    (void)state;
    struct arc a = { 0 };
    arc_file(&a, "f", "0123456789abcdef"); /* size 0x10 */
    arc_trailer(&a);
    a.buf[CPIO_HEADER_SIZE - 8 * 7 - 1] = 'A'; /* no-op-ish: mode digit */
    memcpy(a.buf + 6, "0000ABCD", 8);          /* c_ino in upper case */
    struct cpio_entry e;
    struct cpio_iter it;
    struct hop_error err;
    cpio_iter_init(&it, a.buf, a.len);
    assert_int_equal(cpio_next(&it, &e, &err), 1);
    assert_int_equal(e.ino, 0xabcd);
    free(a.buf);
}

static void test_truncation_every_byte(void **state)
{
    (void)state;
    struct arc a = sample();
    for (size_t cut = 0; cut < a.len; cut++) {
        uint8_t *copy = malloc(cut + 1); /* exact size: ASan catches over-reads */
        memcpy(copy, a.buf, cut);
        struct hop_error err = { 0 };
        int rc = count_entries(copy, cut, &err);
        if (rc >= 0)
            fail_msg("cut at %zu accepted with %d entries", cut, rc);
        free(copy);
    }
    assert_int_equal(count_entries(a.buf, a.len, NULL), 8);
    free(a.buf);
}

static void test_bad_hex_every_field(void **state)
{
    (void)state;
    static const char *const fields[] = { "c_ino", "c_mode", "c_uid", "c_gid", "c_nlink",
                                          "c_mtime", "c_filesize", "c_devmajor",
                                          "c_devminor", "c_rdevmajor", "c_rdevminor",
                                          "c_namesize", "c_check" };
    static const uint8_t bad[] = { 'g', 'G', ' ', 'x', 0, 0xff, '-', '+' };
    for (unsigned f = 0; f < 13; f++) {
        for (unsigned digit = 0; digit < 8; digit++) {
            struct arc a = { 0 };
            arc_file(&a, "f", "data");
            arc_trailer(&a);
            a.buf[6 + f * 8 + digit] = bad[(f + digit) % sizeof(bad)];
            struct hop_error err = { 0 };
            assert_int_equal(count_entries(a.buf, a.len, &err), HOP_ERR_INVALID);
            assert_msg_contains(&err, fields[f]);
            assert_msg_contains(&err, "non-hex byte");
            free(a.buf);
        }
    }
}

static void test_bad_magic(void **state)
{
    (void)state;
    static const char *const magics[] = { "070707", "070700", "0707 1", "170701", "x70701" };
    for (size_t i = 0; i < 5; i++) {
        struct arc a = { 0 };
        arc_file(&a, "f", "data");
        arc_trailer(&a);
        memcpy(a.buf, magics[i], strlen(magics[i]));
        struct hop_error err = { 0 };
        assert_int_equal(count_entries(a.buf, a.len, &err), HOP_ERR_INVALID);
        assert_msg_contains(&err, "bad magic");
        free(a.buf);
    }
    assert_false(cpio_has_magic("07070", 5));
    assert_true(cpio_has_magic("070702", 6));
}

/* Overwrites field f (0 = c_ino) of the header at offset with value. */
static void set_field(struct arc *a, size_t offset, unsigned f, uint32_t value)
{
    char tmp[9];
    snprintf(tmp, sizeof(tmp), "%08x", value);
    memcpy(a->buf + offset + 6 + f * 8, tmp, 8);
}

#define F_FILESIZE 6
#define F_NAMESIZE 11
#define F_CHECK 12

static void test_bad_names(void **state)
{
    (void)state;
    struct hop_error err;
    struct arc a = { 0 };
    arc_file(&a, "name", "data");
    arc_trailer(&a);
    set_field(&a, 0, F_NAMESIZE, 0);
    assert_int_equal(count_entries(a.buf, a.len, &err), HOP_ERR_INVALID);
    assert_msg_contains(&err, "c_namesize is 0");
    set_field(&a, 0, F_NAMESIZE, 4); /* "name" without its NUL */
    assert_int_equal(count_entries(a.buf, a.len, &err), HOP_ERR_INVALID);
    assert_msg_contains(&err, "does not end with a NUL");
    set_field(&a, 0, F_NAMESIZE, 5);
    a.buf[CPIO_HEADER_SIZE + 1] = 0; /* "n\0me\0" */
    assert_int_equal(count_entries(a.buf, a.len, &err), HOP_ERR_INVALID);
    assert_msg_contains(&err, "NUL at byte 1");
    free(a.buf);
    /* The empty name (namesize 1) is odd but well-formed. */
    a = (struct arc){ 0 };
    arc_file(&a, "", "x");
    arc_trailer(&a);
    assert_int_equal(count_entries(a.buf, a.len, &err), 1);
    free(a.buf);
}

static void test_sizes_past_the_end(void **state)
{
    (void)state;
    static const uint32_t sizes[] = { 0xffffffffu, 0xfffffffcu, 0x80000000u, 0x1000, 0x2d };
    struct hop_error err;
    for (size_t i = 0; i < 5; i++) {
        struct arc a = { 0 };
        arc_file(&a, "name", "data");
        arc_trailer(&a); /* 0x74 bytes: a filesize of 0x2d reaches into it only */
        set_field(&a, 0, F_FILESIZE, sizes[i]);
        int rc = count_entries(a.buf, a.len, &err);
        assert_true(rc < 0);
        if (sizes[i] != 0x2d) {
            assert_int_equal(rc, HOP_ERR_TRUNCATED);
            assert_msg_contains(&err, "c_filesize");
        }
        set_field(&a, 0, F_FILESIZE, 4);
        set_field(&a, 0, F_NAMESIZE, sizes[i]);
        assert_true(count_entries(a.buf, a.len, &err) < 0);
        free(a.buf);
    }
}

static void test_checksum_070702(void **state)
{
    (void)state;
    struct hop_error err;
    uint8_t bin[300];
    for (int i = 0; i < 300; i++)
        bin[i] = (uint8_t)(255 - i);
    struct arc a = { 0 };
    arc_entry(&a, &(struct ent){ .magic = "070702", .mode = S_REG, .name = "bin",
                                 .data = bin, .size = sizeof(bin) });
    arc_trailer(&a);
    assert_int_equal(count_entries(a.buf, a.len, &err), 1);
    struct cpio_entry e;
    assert_int_equal(cpio_lookup(a.buf, a.len, "bin", &e, &err), HOP_OK);
    assert_true(e.has_checksum);
    free(a.buf);

    a = (struct arc){ 0 };
    arc_entry(&a, &(struct ent){ .magic = "070702", .mode = S_REG, .name = "bin",
                                 .data = bin, .size = sizeof(bin), .bad_check = true });
    arc_trailer(&a);
    assert_int_equal(count_entries(a.buf, a.len, &err), HOP_ERR_CHECKSUM);
    assert_msg_contains(&err, "does not match c_check");
    assert_int_equal(cpio_lookup(a.buf, a.len, "bin", &e, &err), HOP_ERR_CHECKSUM);
    /* A 070701 entry's c_check is not a checksum and is ignored. */
    memcpy(a.buf, "070701", 6);
    assert_int_equal(count_entries(a.buf, a.len, &err), 1);
    free(a.buf);
}

static void test_trailer_handling(void **state)
{
    (void)state;
    struct hop_error err;
    struct arc a = { 0 };
    arc_file(&a, "f", "x");
    assert_int_equal(count_entries(a.buf, a.len, &err), HOP_ERR_TRUNCATED);
    assert_msg_contains(&err, "without TRAILER!!!");
    arc_trailer(&a);
    assert_int_equal(count_entries(a.buf, a.len, &err), 1);
    arc_zeros(&a, 512 - a.len % 512); /* block padding as cpio writes it */
    assert_int_equal(count_entries(a.buf, a.len, &err), 1);
    a.buf[a.len - 3] = 'j';
    assert_int_equal(count_entries(a.buf, a.len, &err), HOP_ERR_INVALID);
    free(a.buf);
    /* Entries after the trailer belong to a second archive, not this one... */
    a = (struct arc){ 0 };
    arc_trailer(&a);
    assert_int_equal(count_entries(a.buf, a.len, &err), 0);
    /* ... and "TRAILER!!!" must be the whole name. */
    arc_file(&a, "TRAILER!!!x", "y");
    arc_trailer(&a);
    assert_int_equal(count_entries(a.buf, a.len, &err), 1);
    free(a.buf);
    /* Nothing but NULs, or nothing at all, is no archive. */
    uint8_t zeros[16] = { 0 };
    assert_int_equal(count_entries(zeros, sizeof(zeros), &err), HOP_ERR_INVALID);
    assert_int_equal(count_entries(zeros, 0, &err), HOP_ERR_INVALID);
}

static void test_concatenated_archives(void **state)
{
    (void)state;
    struct hop_error err;
    struct arc a = { 0 };
    arc_file(&a, "kernel", "old");
    arc_file(&a, "only-first", "1");
    arc_trailer(&a);
    arc_zeros(&a, 8);
    arc_file(&a, "./kernel", "new");
    arc_file(&a, "only-second", "2");
    arc_trailer(&a);
    arc_zeros(&a, 4);
    struct cpio_iter it;
    struct cpio_entry e;
    cpio_iter_init(&it, a.buf, a.len);
    assert_int_equal(cpio_next(&it, &e, &err), 1);
    assert_int_equal(e.archive, 0);
    assert_int_equal(cpio_next(&it, &e, &err), 1);
    assert_int_equal(cpio_next(&it, &e, &err), 1);
    assert_int_equal(e.archive, 1);
    assert_string_equal(e.name, "./kernel");
    assert_int_equal(cpio_next(&it, &e, &err), 1);
    assert_int_equal(cpio_next(&it, &e, &err), 0);
    assert_lookup(a.buf, a.len, "kernel", "new"); /* the later one wins */
    assert_lookup(a.buf, a.len, "only-first", "1");
    assert_lookup(a.buf, a.len, "only-second", "2");
    free(a.buf);
    /* A second archive must start on a 4-byte boundary. */
    a = (struct arc){ 0 };
    arc_file(&a, "f", "x");
    arc_trailer(&a);
    arc_zeros(&a, 2);
    arc_put(&a, "070701", 6);
    assert_int_equal(count_entries(a.buf, a.len, &err), HOP_ERR_INVALID);
    assert_msg_contains(&err, "4-byte boundary");
    free(a.buf);
}

/* --- lookups ------------------------------------------------------------------------ */

static void test_path_normalisation(void **state)
{
    (void)state;
    struct arc a = sample();
    static const char *const same[] = { "boot/kernel", "/boot/kernel", "./boot/kernel",
                                        "boot//kernel", "//boot/./kernel/", "boot/../boot/kernel",
                                        "/../boot/kernel", "./././boot///kernel" };
    for (size_t i = 0; i < 8; i++)
        assert_lookup(a.buf, a.len, same[i], "KERNEL!");
    assert_lookup(a.buf, a.len, "top", "top-level file");
    assert_lookup_fails(a.buf, a.len, "boot/kern", HOP_ERR_NOTFOUND);
    assert_lookup_fails(a.buf, a.len, "kernel", HOP_ERR_NOTFOUND);
    assert_lookup_fails(a.buf, a.len, "boot/kernel/x", HOP_ERR_NOTFOUND);

    char out[16];
    struct hop_error err;
    assert_int_equal(cpio_path_normalize("/", 1, out, sizeof(out), &err), HOP_OK);
    assert_string_equal(out, "");
    assert_int_equal(cpio_path_normalize("a/./b/../c/", 11, out, sizeof(out), &err), HOP_OK);
    assert_string_equal(out, "a/c");
    assert_int_equal(cpio_path_normalize("abcdefghijklmnop", 16, out, sizeof(out), &err),
                     HOP_ERR_LIMIT);
    assert_int_equal(cpio_path_normalize("abcdefghijklmno", 15, out, sizeof(out), &err),
                     HOP_OK);
    char longpath[600];
    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[sizeof(longpath) - 1] = 0;
    assert_lookup_fails(a.buf, a.len, longpath, HOP_ERR_LIMIT);
    free(a.buf);
}

static void test_lookup_types(void **state)
{
    (void)state;
    struct arc a = sample();
    struct cpio_entry e;
    struct hop_error err;
    assert_int_equal(cpio_lookup(a.buf, a.len, "/boot", &e, &err), HOP_OK);
    assert_int_equal(e.type, CPIO_DIRECTORY);
    assert_int_equal(cpio_lookup(a.buf, a.len, "/", &e, &err), HOP_OK);
    assert_int_equal(e.type, CPIO_DIRECTORY);
    assert_int_equal(cpio_lookup(a.buf, a.len, "dev-console", &e, &err), HOP_OK);
    assert_int_equal(e.type, CPIO_OTHER);
    assert_int_equal(cpio_lookup(a.buf, a.len, "nothing", &e, &err), HOP_ERR_NOTFOUND);
    assert_msg_contains(&err, "no entry named \"nothing\"");
    free(a.buf);
}

static void test_hard_links(void **state)
{
    (void)state;
    struct arc a = { 0 };
    /* newc keeps the data with the last link of a set only. */
    arc_entry(&a, &(struct ent){ .ino = 7, .mode = S_REG, .nlink = 3, .name = "a" });
    arc_entry(&a, &(struct ent){ .ino = 7, .mode = S_REG, .nlink = 3, .name = "b" });
    arc_entry(&a, &(struct ent){ .ino = 8, .mode = S_REG, .nlink = 2, .name = "other",
                                 .data = "wrong", .size = 5 });
    arc_entry(&a, &(struct ent){ .ino = 7, .devminor = 1, .mode = S_REG, .nlink = 2,
                                 .name = "otherdev", .data = "wrong", .size = 5 });
    arc_entry(&a, &(struct ent){ .ino = 7, .mode = S_REG, .nlink = 3, .name = "c",
                                 .data = "shared", .size = 6 });
    arc_entry(&a, &(struct ent){ .ino = 9, .mode = S_REG, .nlink = 1, .name = "single" });
    arc_trailer(&a);
    /* Same inode number in a later archive: a different file. */
    arc_entry(&a, &(struct ent){ .ino = 7, .mode = S_REG, .nlink = 2, .name = "d" });
    arc_entry(&a, &(struct ent){ .ino = 7, .mode = S_REG, .nlink = 2, .name = "e",
                                 .data = "second", .size = 6 });
    arc_trailer(&a);
    assert_lookup(a.buf, a.len, "a", "shared");
    assert_lookup(a.buf, a.len, "b", "shared");
    assert_lookup(a.buf, a.len, "c", "shared");
    assert_lookup(a.buf, a.len, "single", "");
    assert_lookup(a.buf, a.len, "d", "second");
    struct cpio_entry e;
    struct hop_error err;
    assert_int_equal(cpio_lookup(a.buf, a.len, "a", &e, &err), HOP_OK);
    assert_string_equal(e.name, "a");
    free(a.buf);
}

static void test_symlinks(void **state)
{
    (void)state;
    struct arc a = { 0 };
    arc_dir(&a, "usr");
    arc_dir(&a, "usr/lib");
    arc_file(&a, "usr/lib/mod.ko", "module");
    arc_link(&a, "lib", "usr/lib");
    arc_dir(&a, "boot");
    arc_file(&a, "boot/vmlinuz-6.1", "linux 6.1");
    arc_link(&a, "boot/vmlinuz", "vmlinuz-6.1");   /* relative to boot/ */
    arc_link(&a, "vmlinuz", "/boot/vmlinuz");      /* absolute, to a link */
    arc_link(&a, "up", "../boot/./vmlinuz-6.1");   /* ".." at the root stays */
    arc_link(&a, "loop1", "loop2");
    arc_link(&a, "loop2", "loop1");
    arc_link(&a, "dangling", "nowhere");
    arc_link(&a, "empty", "");
    arc_link(&a, "self", "self/x");
    arc_entry(&a, &(struct ent){ .mode = S_LNK, .name = "nul", .data = "top\0x", .size = 5 });
    arc_trailer(&a);
    assert_lookup(a.buf, a.len, "boot/vmlinuz", "linux 6.1");
    assert_lookup(a.buf, a.len, "/vmlinuz", "linux 6.1");
    assert_lookup(a.buf, a.len, "up", "linux 6.1");
    assert_lookup(a.buf, a.len, "lib/mod.ko", "module");
    assert_lookup(a.buf, a.len, "/lib/../lib/mod.ko", "module");
    assert_lookup_fails(a.buf, a.len, "lib/none.ko", HOP_ERR_NOTFOUND);
    assert_lookup_fails(a.buf, a.len, "dangling", HOP_ERR_NOTFOUND);
    struct cpio_entry e;
    struct hop_error err;
    assert_int_equal(cpio_lookup(a.buf, a.len, "loop1", &e, &err), HOP_ERR_INVALID);
    assert_msg_contains(&err, "levels of symbolic links");
    assert_true(cpio_lookup(a.buf, a.len, "self", &e, &err) < 0);
    assert_int_equal(cpio_lookup(a.buf, a.len, "empty", &e, &err), HOP_ERR_INVALID);
    assert_msg_contains(&err, "target of 0 bytes");
    assert_int_equal(cpio_lookup(a.buf, a.len, "nul", &e, &err), HOP_ERR_INVALID);
    assert_msg_contains(&err, "symlink nul has a NUL in its target");
    assert_int_equal(cpio_lookup(a.buf, a.len, "lib", &e, &err), HOP_OK);
    assert_int_equal(e.type, CPIO_DIRECTORY);
    free(a.buf);
}

/* --- directory listing ----------------------------------------------------------------- */

struct listing {
    char names[16][64];
    int n;
    int stop_after;
};

static int collect(void *ctx, const struct cpio_entry *e, const char *name)
{
    struct listing *l = ctx;
    (void)e;
    assert_true(l->n < 16);
    snprintf(l->names[l->n++], sizeof(l->names[0]), "%s", name);
    return l->stop_after && l->n == l->stop_after ? 42 : 0;
}

static void test_list_dir(void **state)
{
    (void)state;
    struct arc a = sample();
    arc_link(&a, "bootlink", "boot"); /* after the trailer: a second archive */
    arc_file(&a, "implicit/dir/file", "x");
    arc_trailer(&a);
    struct listing l = { 0 };
    struct hop_error err;
    assert_int_equal(cpio_list_dir(a.buf, a.len, "/boot", collect, &l, &err), HOP_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.names[0], "kernel");
    assert_string_equal(l.names[1], "hop.cfg");
    memset(&l, 0, sizeof(l));
    assert_int_equal(cpio_list_dir(a.buf, a.len, "", collect, &l, &err), HOP_OK);
    assert_int_equal(l.n, 5); /* boot lib top dev-console bootlink */
    assert_string_equal(l.names[4], "bootlink");
    memset(&l, 0, sizeof(l));
    assert_int_equal(cpio_list_dir(a.buf, a.len, "bootlink/", collect, &l, &err), HOP_OK);
    assert_int_equal(l.n, 2);
    memset(&l, 0, sizeof(l));
    assert_int_equal(cpio_list_dir(a.buf, a.len, "implicit/dir", collect, &l, &err), HOP_OK);
    assert_int_equal(l.n, 1);
    memset(&l, 0, sizeof(l));
    assert_int_equal(cpio_list_dir(a.buf, a.len, "implicit", collect, &l, &err), HOP_OK);
    assert_int_equal(l.n, 0); /* exists (something is inside) but lists nothing */
    assert_int_equal(cpio_list_dir(a.buf, a.len, "nodir", collect, &l, &err),
                     HOP_ERR_NOTFOUND);
    assert_int_equal(cpio_list_dir(a.buf, a.len, "top", collect, &l, &err), HOP_ERR_INVALID);
    assert_msg_contains(&err, "not a directory");
    memset(&l, 0, sizeof(l));
    l.stop_after = 1;
    assert_int_equal(cpio_list_dir(a.buf, a.len, "/", collect, &l, &err), 42);
    assert_int_equal(l.n, 1);
    free(a.buf);
}

/* --- archives from GNU cpio -------------------------------------------------------------- */

static void check_real(const uint8_t *data, size_t size, bool crc)
{
    struct cpio_iter it;
    struct cpio_entry e;
    struct hop_error err = { 0 };
    int n = 0, rc;
    cpio_iter_init(&it, data, size);
    while ((rc = cpio_next(&it, &e, &err)) > 0) {
        assert_int_equal(e.has_checksum, crc);
        n++;
    }
    if (rc < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(n, 9); /* . boot boot/hop.cfg boot/kernel.elf empty etc etc/hop.cfg hard1 hard2 */
    assert_lookup(data, size, "/boot/kernel.elf", "kernel image bytes\n");
    assert_lookup(data, size, "etc/hop.cfg", "timeout 5\ndefault linux\n");
    assert_lookup(data, size, "hard1", "linked data");
    assert_lookup(data, size, "hard2", "linked data");
    assert_lookup(data, size, "empty", "");
    struct listing l = { 0 };
    assert_int_equal(cpio_list_dir(data, size, "/boot", collect, &l, &err), HOP_OK);
    assert_int_equal(l.n, 2);
}

static void test_real_archives(void **state)
{
    (void)state;
    check_real(real_newc_cpio, real_newc_cpio_len, false);
    check_real(real_crc_cpio, real_crc_cpio_len, true);
    /* Break one data byte of the crc archive: its checksum catches it. */
    uint8_t *copy = malloc(real_crc_cpio_len);
    memcpy(copy, real_crc_cpio, real_crc_cpio_len);
    struct cpio_entry e;
    struct hop_error err;
    assert_int_equal(cpio_lookup(copy, real_crc_cpio_len, "boot/kernel.elf", &e, &err), HOP_OK);
    copy[e.data - copy] ^= 0x20;
    assert_int_equal(cpio_lookup(copy, real_crc_cpio_len, "boot/kernel.elf", &e, &err),
                     HOP_ERR_CHECKSUM);
    assert_int_equal(count_entries(copy, real_crc_cpio_len, &err), HOP_ERR_CHECKSUM);
    free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iterate_sample),
        cmocka_unit_test(test_uppercase_hex_accepted),
        cmocka_unit_test(test_truncation_every_byte),
        cmocka_unit_test(test_bad_hex_every_field),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_sizes_past_the_end),
        cmocka_unit_test(test_checksum_070702),
        cmocka_unit_test(test_trailer_handling),
        cmocka_unit_test(test_concatenated_archives),
        cmocka_unit_test(test_path_normalisation),
        cmocka_unit_test(test_lookup_types),
        cmocka_unit_test(test_hard_links),
        cmocka_unit_test(test_symlinks),
        cmocka_unit_test(test_list_dir),
        cmocka_unit_test(test_real_archives),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
