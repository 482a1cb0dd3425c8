/* Unit tests of src/ramdisk.c: a simulated physical memory holds the boot
 * modules, zlib (tests only) makes the gzip files, and a counting allocator
 * stands in for hop's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "data/real_cpio.h"
#include "zlib_fixture.h"
#include "parse/gzip.h"
#include "ramdisk.h"

/* --- simulated memory and allocator ----------------------------------------------- */

#define MAX_MODS 8

struct sim {
    struct bootinfo bi;
    uint8_t *mem[MAX_MODS];   /* module contents, owned */
    bool unmapped[MAX_MODS];  /* map() refuses this module's range */
    void *allocs[64];
    int nallocs;
    size_t budget; /* bytes the allocator may still hand out */
    struct ramdisk_source src;
};

static const void *sim_map(void *ctx, paddr_t addr, size_t len)
{
    struct sim *s = ctx;
    for (size_t i = 0; i < s->bi.module_count; i++) {
        const struct boot_module *m = &s->bi.modules[i];
        if (addr >= m->start && addr + len <= m->end && !s->unmapped[i])
            return s->mem[i] + (addr - m->start);
    }
    return NULL;
}

static void *sim_alloc(void *ctx, size_t size, size_t align)
{
    struct sim *s = ctx;
    assert_true(align == PAGE_SIZE);
    if (size > s->budget || s->nallocs == 64)
        return NULL;
    s->budget -= size;
    void *p = aligned_alloc(align, (size + align - 1) / align * align);
    s->allocs[s->nallocs++] = p;
    return p;
}

static struct sim *sim_new(void)
{
    struct sim *s = calloc(1, sizeof(*s));
    s->budget = 64u << 20;
    s->src = (struct ramdisk_source){ .phys = { sim_map, s }, .alloc = sim_alloc,
                                      .alloc_ctx = s };
    return s;
}

static void sim_free(struct sim *s)
{
    for (size_t i = 0; i < s->bi.module_count; i++) {
        free(s->mem[i]);
        free((char *)s->bi.modules[i].cmdline);
    }
    for (int i = 0; i < s->nallocs; i++)
        free(s->allocs[i]);
    free(s);
}

/* Adds a module at a made-up physical address; returns its index. */
static size_t sim_module(struct sim *s, const char *cmdline, const void *data, size_t len)
{
    size_t i = s->bi.module_count++;
    paddr_t start = 0x1000000 + (paddr_t)i * 0x1000000;
    s->mem[i] = malloc(len + 1);
    memcpy(s->mem[i], data, len);
    s->bi.modules[i] = (struct boot_module){ start, start + len, strdup(cmdline) };
    return i;
}

/* --- archive and gzip makers ------------------------------------------------------------ */

struct arc {
    uint8_t *buf;
    size_t len;
};

static void arc_add(struct arc *a, const char *name, uint32_t mode, const void *data, size_t size)
{
    size_t namesize = strlen(name) + 1;
    size_t need = a->len + 110 + namesize + size + 8;
    a->buf = realloc(a->buf, need);
    int n = sprintf((char *)a->buf + a->len, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
                    1u, mode, 0u, 0u, 1u, 0u, (uint32_t)size, 0u, 0u, 0u, 0u,
                    (uint32_t)namesize, 0u);
    assert_int_equal(n, 110);
    a->len += 110;
    memcpy(a->buf + a->len, name, namesize);
    a->len += namesize;
    while (a->len % 4)
        a->buf[a->len++] = 0;
    if (size)
        memcpy(a->buf + a->len, data, size);
    a->len += size;
    while (a->len % 4)
        a->buf[a->len++] = 0;
}

static void arc_file(struct arc *a, const char *name, const void *data, size_t size)
{
    arc_add(a, name, 0100644, data, size);
}

static void arc_end(struct arc *a) { arc_add(a, "TRAILER!!!", 0, NULL, 0); }

static uint8_t *gz(const void *data, size_t len, size_t *out_len)
{
    return zlib_compress(data, len, 9, Z_DEFAULT_STRATEGY, 31, out_len);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static const char kernel_text[] = "\x7f" "ELF pretend kernel image, long enough to compress "
                                  "a little: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/* An archive with boot/kernel, boot/k.gz (gzip of the same), a directory. */
static struct arc boot_archive(void)
{
    struct arc a = { 0 };
    size_t zl;
    uint8_t *z = gz(kernel_text, sizeof(kernel_text), &zl);
    arc_add(&a, "boot", 0040755, NULL, 0);
    arc_file(&a, "boot/kernel", kernel_text, sizeof(kernel_text));
    arc_file(&a, "boot/k.gz", z, zl);
    arc_file(&a, "boot/empty", NULL, 0);
    arc_end(&a);
    free(z);
    return a;
}

/* --- choosing the RAM disk ----------------------------------------------------------------- */

static void test_no_modules(void **state)
{
    (void)state;
    struct sim *s = sim_new();
    struct ramdisk rd;
    struct ramdisk_file f;
    struct hop_error err;
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_OK);
    assert_null(rd.archive);
    assert_null(rd.module);
    assert_int_equal(ramdisk_open_file(&rd, "/boot/x", &f, &err), HOP_ERR_NOTFOUND);
    assert_string_equal(err.msg, "/boot/x: not a module name, and there is no ramdisk: "
                                 "no modules were given");
    assert_int_equal(ramdisk_list_dir(&rd, "/", NULL, NULL, &err), HOP_ERR_NOTFOUND);
    sim_free(s);
}

static void test_named_module_wins(void **state)
{
    (void)state;
    struct sim *s = sim_new();
    struct arc a = boot_archive();
    sim_module(s, "/boot/kernel.elf", kernel_text, sizeof(kernel_text));
    sim_module(s, "other.cpio", a.buf, a.len);
    sim_module(s, "  ramdisk  some args", a.buf, a.len);
    struct ramdisk rd;
    struct hop_error err;
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_OK);
    assert_int_equal(rd.module_index, 2);
    assert_ptr_equal(rd.module, &s->bi.modules[2]);
    assert_false(rd.archive_was_compressed);
    free(a.buf);
    sim_free(s);
}

static void test_autodetect_gzip_cpio(void **state)
{
    (void)state;
    struct sim *s = sim_new();
    struct arc a = boot_archive();
    size_t kz_len, az_len;
    uint8_t *kz = gz(kernel_text, sizeof(kernel_text), &kz_len);
    uint8_t *az = gz(a.buf, a.len, &az_len);
    sim_module(s, "/boot/vmlinuz", kernel_text, sizeof(kernel_text));
    sim_module(s, "vmlinuz.gz", kz, kz_len);      /* gzip, but not of a cpio */
    sim_module(s, "initrd.img", az, az_len);      /* the one */
    sim_module(s, "second.cpio", a.buf, a.len);   /* later: not chosen */
    struct ramdisk rd;
    struct ramdisk_file f;
    struct hop_error err;
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_OK);
    assert_int_equal(rd.module_index, 2);
    assert_true(rd.archive_was_compressed);
    assert_int_equal(rd.archive_size, a.len);
    assert_memory_equal(rd.archive, a.buf, a.len);
    assert_int_equal((uintptr_t)rd.archive % PAGE_SIZE, 0);
    assert_int_equal(ramdisk_open_file(&rd, "boot/kernel", &f, &err), HOP_OK);
    assert_false(f.from_module);
    free(kz), free(az), free(a.buf);
    sim_free(s);
}

static void test_bad_ramdisk_module(void **state)
{
    (void)state;
    struct sim *s = sim_new();
    struct ramdisk rd;
    struct hop_error err;
    sim_module(s, "ramdisk", "hello world", 11);
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_ERR_INVALID);
    assert_string_equal(err.msg, "ramdisk (module 0): starts with 68 65 6c 6c, neither cpio "
                                 "newc (\"070701\"/\"070702\") nor gzip (1f 8b)");
    sim_free(s);

    /* Damage inside the archive is found at open time. */
    s = sim_new();
    struct arc a = boot_archive();
    a.buf[8] = 'z';
    sim_module(s, "ramdisk", a.buf, a.len);
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_ERR_INVALID);
    assert_msg_contains(&err, "ramdisk (module 0): cpio: entry at offset 0x0: c_ino");
    free(a.buf);
    sim_free(s);

    /* A module range the memory map cannot show. */
    s = sim_new();
    a = boot_archive();
    sim_module(s, "ramdisk", a.buf, a.len);
    s->unmapped[0] = true;
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_ERR_RANGE);
    assert_msg_contains(&err, "is not accessible");
    free(a.buf);
    sim_free(s);

    /* gzip of something that is not a cpio, named ramdisk. */
    s = sim_new();
    size_t zl;
    uint8_t *z = gz(kernel_text, sizeof(kernel_text), &zl);
    sim_module(s, "ramdisk", z, zl);
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_ERR_INVALID);
    assert_msg_contains(&err, "ramdisk (module 0): a gzip file whose contents start with 7f 45 4c 46, "
                              "not cpio newc");
    free(z);
    sim_free(s);
}

static void test_compressed_archive_limits(void **state)
{
    (void)state;
    struct arc a = boot_archive();
    size_t zl;
    uint8_t *z = gz(a.buf, a.len, &zl);
    struct ramdisk rd;
    struct hop_error err;

    struct sim *s = sim_new();
    sim_module(s, "ramdisk", z, zl);
    s->src.inflate_max = a.len - 1;
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_ERR_LIMIT);
    assert_msg_contains(&err, "ramdisk (module 0): gzip: ISIZE");
    assert_msg_contains(&err, "over the");
    sim_free(s);

    s = sim_new();
    sim_module(s, "ramdisk", z, zl);
    s->budget = a.len - 1;
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_ERR_NOMEM);
    assert_msg_contains(&err, "no memory for");
    sim_free(s);

    free(z), free(a.buf);
}

/* --- why a module is no RAM disk ------------------------------------------------------------- */

/* code 0 and a msg: any error, whose message starts with msg (the gzip
 * reader's own words are its business). */
static void expect_why_not(struct sim *s, size_t i, int code, const char *msg)
{
    struct ramdisk rd;
    struct hop_error err;
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_OK);
    int rc = ramdisk_why_not(&rd, i, &err);
    if (code || !msg)
        assert_int_equal(rc, code);
    if (code)
        assert_string_equal(err.msg, msg);
    else if (msg)
        assert_true(rc < 0 && strncmp(err.msg, msg, strlen(msg)) == 0);
}

static void test_why_not_a_ramdisk(void **state)
{
    (void)state;
    static const uint8_t junk[] = { 0x3f, 0x8a, 0x00, 0x11, 0x42 };
    struct arc a = boot_archive();
    size_t kz_len, az_len;
    uint8_t *kz = gz(kernel_text, sizeof(kernel_text), &kz_len);
    uint8_t *az = gz(a.buf, a.len, &az_len);
    struct sim *s = sim_new();
    sim_module(s, "foo", junk, sizeof(junk));
    sim_module(s, "empty", "", 0);
    sim_module(s, "cut.gz", az, GZIP_HEADER_SIZE);
    sim_module(s, "k.gz", kz, kz_len);
    sim_module(s, "two", junk, 2);
    expect_why_not(s, 0, HOP_ERR_INVALID, "module 0 \"foo\": not a RAM disk: starts with 3f 8a 00 "
                   "11, neither cpio newc (\"070701\"/\"070702\") nor gzip (1f 8b)");
    expect_why_not(s, 1, HOP_ERR_INVALID, "module 1 \"empty\": not a RAM disk: 0 bytes");
    expect_why_not(s, 2, 0, "module 2 \"cut.gz\": not a RAM disk: ");
    expect_why_not(s, 3, HOP_ERR_INVALID, "module 3 \"k.gz\": not a RAM disk: a gzip file "
                   "whose contents start with 7f 45 4c 46, not cpio newc "
                   "(\"070701\"/\"070702\")");
    expect_why_not(s, 4, HOP_ERR_INVALID, "module 4 \"two\": not a RAM disk: starts with 3f 8a, "
                   "neither cpio newc (\"070701\"/\"070702\") nor gzip (1f 8b)");
    sim_module(s, "rd.gz", az, az_len);
    expect_why_not(s, 5, HOP_OK, NULL);
    free(a.buf), free(kz), free(az);
    sim_free(s);
}

/* A file not found, and no RAM disk: the message says why there is none. */
static void test_not_found_says_why_no_ramdisk(void **state)
{
    (void)state;
    struct sim *s = sim_new();
    struct ramdisk rd;
    struct ramdisk_file f;
    struct hop_error err;
    sim_module(s, "/boot/foo", "\x3f\x8a\x00\x11", 4);
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_OK);
    assert_null(rd.archive);
    assert_int_equal(ramdisk_open_file(&rd, "/hop.cfg", &f, &err), HOP_ERR_NOTFOUND);
    assert_string_equal(err.msg, "/hop.cfg: not a module name, and there is no ramdisk: "
                        "module 0 \"/boot/foo\": not a RAM disk: starts with 3f "
                        "8a 00 11, neither cpio newc (\"070701\"/\"070702\") nor gzip (1f 8b)");
    sim_module(s, "bar", "", 0);
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_OK);
    assert_int_equal(ramdisk_open_file(&rd, "/hop.cfg", &f, &err), HOP_ERR_NOTFOUND);
    assert_string_equal(err.msg, "/hop.cfg: not a module name, and there is no ramdisk: "
                        "none of the 2 module(s) is a cpio newc archive or a gzip of one");
    /* the module itself can still be opened by name */
    assert_int_equal(ramdisk_open_file(&rd, "foo", &f, &err), HOP_OK);
    assert_int_equal(f.size, 4);
    sim_free(s);
}

#define USABLE_START 0x100000
#define MODULE0 0x1000000 /* where sim_module puts module 0 */

/* A memory map: usable RAM from USABLE_START to usable_end, then
 * reserved_len bytes of reserved memory, then nothing. */
static void sim_ram(struct sim *s, paddr_t usable_end, paddr_t reserved_len)
{
    s->bi.map[0] = (struct mem_region){ USABLE_START, usable_end, MEM_USABLE };
    s->bi.map[1] = (struct mem_region){ usable_end, usable_end + reserved_len, MEM_RESERVED };
    s->bi.map_count = reserved_len ? 2 : 1;
}

static void test_module_past_the_end_of_ram(void **state)
{
    (void)state;
    struct arc a = boot_archive();
    struct ramdisk rd;
    struct ramdisk_file f;
    struct hop_error err;
    char want[HOP_ERROR_MSG_MAX];

    /* recognised by its start, refused for where it ends: past the usable
     * RAM and the reserved memory after it, QEMU's layout */
    struct sim *s = sim_new();
    sim_module(s, "/tmp/ramdisk.cpio", a.buf, a.len);
    sim_ram(s, MODULE0 + 0x100, 0x80);
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_ERR_RANGE);
    snprintf(want, sizeof(want), "ramdisk: module 0 \"/tmp/ramdisk.cpio\": [0x1000000, 0x%zx) "
             "runs past the end of RAM: 0x1000180 is in no region of the memory map, beyond usable "
             "RAM [0x100000, 0x1000100)",
             MODULE0 + a.len);
    assert_string_equal(err.msg, want);

    /* exactly up to the end of RAM is fine; reserved memory is RAM (a
     * loader may mark its modules so) */
    sim_ram(s, MODULE0 + a.len, 0);
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_OK);
    sim_ram(s, MODULE0 + 0x100, a.len);
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_OK);
    assert_non_null(rd.archive);
    s->bi.map[1].type = MEM_BAD;
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_ERR_RANGE);
    assert_msg_contains(&err, "runs past the end of RAM: 0x1000100 is bad memory, beyond usable "
                              "RAM [0x100000, 0x1000100)");
    sim_free(s);

    /* a module opened by name, starting where there is no RAM, or in
     * reserved memory and running past it */
    s = sim_new();
    sim_module(s, "/boot/k", kernel_text, sizeof(kernel_text));
    sim_ram(s, 0x800000, 0);
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_OK);
    assert_int_equal(ramdisk_open_file(&rd, "/boot/k", &f, &err), HOP_ERR_RANGE);
    snprintf(want, sizeof(want), "/boot/k: module 0 \"/boot/k\": [0x1000000, 0x%zx) is not in "
             "RAM: 0x1000000 is in no region of the memory map", MODULE0 + sizeof(kernel_text));
    assert_string_equal(err.msg, want);
    sim_ram(s, 0x800000, MODULE0 - 0x800000 + 8);
    assert_int_equal(ramdisk_open_file(&rd, "/boot/k", &f, &err), HOP_ERR_RANGE);
    assert_msg_contains(&err, "runs past the end of RAM: 0x1000008 is in no region of the "
                              "memory map");
    free(a.buf);
    sim_free(s);
}

/* A path of 4000 bytes: the message keeps its start, its end and the reason. */
static void test_long_path_keeps_the_reason(void **state)
{
    (void)state;
    struct sim *s = sim_new();
    struct arc a = boot_archive();
    struct ramdisk rd;
    struct ramdisk_file f;
    struct hop_error err;
    char *path = malloc(4001);
    memset(path, 'd', 4000);
    path[0] = '/';
    memcpy(path + 3996, "/end", 5);
    sim_module(s, "ramdisk", a.buf, a.len);
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_OK);
    assert_int_equal(ramdisk_open_file(&rd, path, &f, &err), HOP_ERR_LIMIT);
    assert_true(strncmp(err.msg, "/ddd", 4) == 0);
    assert_msg_contains(&err, "ddd...ddd");
    assert_msg_contains(&err, "d/end: cpio: path longer than 255 bytes");
    free(path), free(a.buf);
    sim_free(s);
}

/* --- opening files ------------------------------------------------------------------------ */

static void test_open_files(void **state)
{
    (void)state;
    struct sim *s = sim_new();
    struct arc a = boot_archive();
    sim_module(s, "ramdisk", a.buf, a.len);
    struct ramdisk rd;
    struct ramdisk_file f;
    struct hop_error err;
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_OK);

    assert_int_equal(ramdisk_open_file(&rd, "./boot//kernel", &f, &err), HOP_OK);
    assert_int_equal(f.size, sizeof(kernel_text));
    assert_memory_equal(f.data, kernel_text, f.size);
    assert_false(f.was_compressed);
    assert_string_equal(f.path, "/boot/kernel");
    /* Points into the module: no copy. */
    assert_true(f.data > s->mem[0] && f.data < s->mem[0] + a.len);

    assert_int_equal(ramdisk_open_file(&rd, "/boot/k.gz", &f, &err), HOP_OK);
    assert_true(f.was_compressed);
    assert_int_equal(f.size, sizeof(kernel_text));
    assert_memory_equal(f.data, kernel_text, f.size);

    assert_int_equal(ramdisk_open_file(&rd, "/boot/empty", &f, &err), HOP_OK);
    assert_int_equal(f.size, 0);
    assert_non_null(f.data);

    assert_int_equal(ramdisk_open_file(&rd, "/boot", &f, &err), HOP_ERR_INVALID);
    assert_string_equal(err.msg, "/boot: is a directory, not a regular file");
    assert_int_equal(ramdisk_open_file(&rd, "/boot/none", &f, &err), HOP_ERR_NOTFOUND);
    assert_string_equal(err.msg, "/boot/none: not in the ramdisk nor a module name");
    free(a.buf);
    sim_free(s);
}

/* One archive holding gzip files broken in each way ISIZE and CRC can be. */
static void test_gzip_file_errors(void **state)
{
    (void)state;
    size_t zl;
    uint8_t *z = gz(kernel_text, sizeof(kernel_text), &zl);
    uint8_t *bad_crc = malloc(zl), *huge = malloc(zl), *impossible = malloc(zl);
    uint8_t *small = malloc(zl), *big = malloc(zl);
    memcpy(bad_crc, z, zl);
    bad_crc[zl - 8] ^= 0xff;
    memcpy(huge, z, zl);
    put_le32(huge + zl - 4, 0xfffffff0u);
    memcpy(impossible, z, zl);
    put_le32(impossible + zl - 4, (uint32_t)(zl * 1032 + 1));
    memcpy(small, z, zl);
    put_le32(small + zl - 4, (uint32_t)sizeof(kernel_text) - 1);
    memcpy(big, z, zl);
    put_le32(big + zl - 4, (uint32_t)sizeof(kernel_text) + 1);
    struct arc a = { 0 };
    arc_file(&a, "bad_crc.gz", bad_crc, zl);
    arc_file(&a, "huge.gz", huge, zl);
    arc_file(&a, "impossible.gz", impossible, zl);
    arc_file(&a, "small.gz", small, zl);
    arc_file(&a, "big.gz", big, zl);
    arc_file(&a, "ok.gz", z, zl);
    arc_file(&a, "short.gz", "\x1f\x8b\x08", 3);
    arc_end(&a);

    struct sim *s = sim_new();
    sim_module(s, "ramdisk", a.buf, a.len);
    s->src.inflate_max = 1 << 20;
    struct ramdisk rd;
    struct ramdisk_file f;
    struct hop_error err;
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_OK);
    assert_int_equal(ramdisk_open_file(&rd, "bad_crc.gz", &f, &err), HOP_ERR_CHECKSUM);
    assert_msg_contains(&err, "/bad_crc.gz: gzip: CRC32 0x");
    assert_int_equal(ramdisk_open_file(&rd, "huge.gz", &f, &err), HOP_ERR_LIMIT);
    assert_string_equal(err.msg, "/huge.gz: gzip: ISIZE 4294967280 is over the 1048576-byte limit");
    assert_int_equal(ramdisk_open_file(&rd, "impossible.gz", &f, &err), HOP_ERR_INVALID);
    assert_msg_contains(&err, "/impossible.gz: gzip: ISIZE");
    assert_msg_contains(&err, "is impossible for");
    assert_int_equal(ramdisk_open_file(&rd, "small.gz", &f, &err), HOP_ERR_INVALID);
    assert_msg_contains(&err, "/small.gz: gzip: data goes on past the ISIZE");
    assert_int_equal(ramdisk_open_file(&rd, "big.gz", &f, &err), HOP_ERR_CHECKSUM);
    assert_msg_contains(&err, "/big.gz: gzip: ISIZE");
    assert_int_equal(f.size, 0);
    assert_int_equal(ramdisk_open_file(&rd, "short.gz", &f, &err), HOP_ERR_TRUNCATED);
    s->budget = 10;
    assert_int_equal(ramdisk_open_file(&rd, "ok.gz", &f, &err), HOP_ERR_NOMEM);
    s->budget = 1 << 20;
    assert_int_equal(ramdisk_open_file(&rd, "ok.gz", &f, &err), HOP_OK);
    assert_memory_equal(f.data, kernel_text, sizeof(kernel_text));

    free(z), free(bad_crc), free(huge), free(impossible), free(small), free(big), free(a.buf);
    sim_free(s);
}

static void test_modules_by_name(void **state)
{
    (void)state;
    struct sim *s = sim_new();
    struct arc a = { 0 };
    arc_file(&a, "initrd.img", "from the archive", 16);
    arc_end(&a);
    size_t zl;
    uint8_t *z = gz(kernel_text, sizeof(kernel_text), &zl);
    sim_module(s, "/boot/vmlinuz root=/dev/sda1 quiet", "VMLINUZ", 7);
    sim_module(s, "initrd.img", "module initrd", 13);
    sim_module(s, "\t/efi/k.gz", z, zl);
    sim_module(s, "", "nameless", 8);
    sim_module(s, "ramdisk", a.buf, a.len);
    struct ramdisk rd;
    struct ramdisk_file f;
    struct hop_error err;
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_OK);
    assert_int_equal(rd.module_index, 4);

    static const char *const vmlinuz[] = { "/boot/vmlinuz", "boot/vmlinuz", "vmlinuz",
                                           "/vmlinuz", "./boot//vmlinuz" };
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(ramdisk_open_file(&rd, vmlinuz[i], &f, &err), HOP_OK);
        assert_true(f.from_module);
        assert_int_equal(f.size, 7);
        assert_memory_equal(f.data, "VMLINUZ", 7);
    }
    assert_int_equal(ramdisk_open_file(&rd, "/other/vmlinuz", &f, &err), HOP_ERR_NOTFOUND);
    assert_int_equal(ramdisk_open_file(&rd, "root=/dev/sda1", &f, &err), HOP_ERR_NOTFOUND);
    /* The archive comes first. */
    assert_int_equal(ramdisk_open_file(&rd, "initrd.img", &f, &err), HOP_OK);
    assert_false(f.from_module);
    assert_memory_equal(f.data, "from the archive", 16);
    /* Modules are decompressed like files. */
    assert_int_equal(ramdisk_open_file(&rd, "k.gz", &f, &err), HOP_OK);
    assert_true(f.from_module);
    assert_true(f.was_compressed);
    assert_memory_equal(f.data, kernel_text, sizeof(kernel_text));
    /* The empty path names nothing, not the module without a name. */
    assert_int_equal(ramdisk_open_file(&rd, "/", &f, &err), HOP_ERR_NOTFOUND);
    assert_int_equal(ramdisk_open_file(&rd, "", &f, &err), HOP_ERR_NOTFOUND);
    /* A module the memory map cannot show. */
    s->unmapped[0] = true;
    assert_int_equal(ramdisk_open_file(&rd, "vmlinuz", &f, &err), HOP_ERR_RANGE);
    assert_msg_contains(&err, "/vmlinuz: module 0 \"/boot/vmlinuz root=/dev/sda1 quiet\"");
    free(z), free(a.buf);
    sim_free(s);
}

static void test_module_edge_cases(void **state)
{
    (void)state;
    struct sim *s = sim_new();
    struct arc a = boot_archive();
    struct ramdisk rd;
    struct ramdisk_file f;
    struct hop_error err;
    sim_module(s, "empty.bin", "", 0);
    sim_module(s, "plain.cpio", a.buf, a.len); /* found without a name */
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_OK);
    assert_int_equal(rd.module_index, 1);
    assert_false(rd.archive_was_compressed);
    assert_int_equal(ramdisk_open_file(&rd, "empty.bin", &f, &err), HOP_OK);
    assert_int_equal(f.size, 0);
    assert_non_null(f.data);
    assert_true(f.from_module);
    sim_free(s);

    s = sim_new();
    sim_module(s, "ramdisk", a.buf, a.len);
    s->bi.modules[0].end = s->bi.modules[0].start - 1;
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_ERR_INVALID);
    assert_msg_contains(&err, "ramdisk: module 0 \"ramdisk\": end");
    sim_free(s);
    free(a.buf);
}

static int count_cb(void *ctx, const struct cpio_entry *e, const char *name)
{
    (void)e;
    (void)name;
    (*(int *)ctx)++;
    return 0;
}

static void test_real_archive_gzipped(void **state)
{
    (void)state;
    struct sim *s = sim_new();
    size_t zl;
    uint8_t *z = gz(real_newc_cpio, real_newc_cpio_len, &zl);
    sim_module(s, "initramfs.cpio.gz", z, zl);
    struct ramdisk rd;
    struct ramdisk_file f;
    struct hop_error err;
    assert_int_equal(ramdisk_open(&rd, &s->bi, &s->src, &err), HOP_OK);
    assert_true(rd.archive_was_compressed);
    assert_int_equal(ramdisk_open_file(&rd, "/etc/hop.cfg", &f, &err), HOP_OK);
    assert_int_equal(f.size, 24);
    assert_memory_equal(f.data, "timeout 5\ndefault linux\n", 24);
    assert_int_equal(ramdisk_open_file(&rd, "hard1", &f, &err), HOP_OK);
    assert_memory_equal(f.data, "linked data", 11);
    int n = 0;
    assert_int_equal(ramdisk_list_dir(&rd, "/", count_cb, &n, &err), HOP_OK);
    assert_int_equal(n, 5); /* boot empty etc hard1 hard2 */
    assert_int_equal(ramdisk_list_dir(&rd, "/nowhere", count_cb, &n, &err), HOP_ERR_NOTFOUND);
    assert_msg_contains(&err, "/nowhere: cpio: no directory");
    free(z);
    sim_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_modules),
        cmocka_unit_test(test_named_module_wins),
        cmocka_unit_test(test_autodetect_gzip_cpio),
        cmocka_unit_test(test_bad_ramdisk_module),
        cmocka_unit_test(test_compressed_archive_limits),
        cmocka_unit_test(test_why_not_a_ramdisk),
        cmocka_unit_test(test_not_found_says_why_no_ramdisk),
        cmocka_unit_test(test_module_past_the_end_of_ram),
        cmocka_unit_test(test_long_path_keeps_the_reason),
        cmocka_unit_test(test_open_files),
        cmocka_unit_test(test_gzip_file_errors),
        cmocka_unit_test(test_modules_by_name),
        cmocka_unit_test(test_module_edge_cases),
        cmocka_unit_test(test_real_archive_gzipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
