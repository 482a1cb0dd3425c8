/* Unit tests of src/parse/mbheader.c: multiboot1 and multiboot2 headers written
 * by hand into a buffer, parsed from an exactly sized heap copy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse/mbheader.h"

#define FILE_CAP 0x10000

static uint8_t file_buf[FILE_CAP];
static struct hop_error err;
static struct mb1_header h1;
static struct mb2_header h2;

static void put32(size_t off, uint32_t v)
{
    memcpy(file_buf + off, &v, 4);
}

static void put16(size_t off, uint16_t v)
{
    memcpy(file_buf + off, &v, 2);
}

static uint8_t *heap_copy(size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, file_buf, size);
    memset(&err, 0, sizeof(err));
    return copy;
}

static int find1(size_t size)
{
    uint8_t *copy = heap_copy(size);
    int rc = mb1_header_find(&h1, copy, size, "k", &err);
    free(copy);
    return rc;
}

static int find2(size_t size)
{
    uint8_t *copy = heap_copy(size);
    int rc = mb2_header_find(&h2, copy, size, "k", &err);
    free(copy);
    return rc;
}

static void expect(int code, const char *needle)
{
    assert_int_equal(err.code, code);
    if (!strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

/* --- multiboot1 ---------------------------------------------------------------- */

/* Writes magic, flags, checksum and the extra u32 fields at off. */
static void mb1_put(size_t off, uint32_t flags, const uint32_t *extra,
                    size_t n)
{
    put32(off, MB1_HEADER_MAGIC);
    put32(off + 4, flags);
    put32(off + 8, 0u - (MB1_HEADER_MAGIC + flags));
    for (size_t i = 0; i < n; i++)
        put32(off + 12 + 4 * i, extra[i]);
}

static void test_mb1_minimal(void **state)
{
    (void)state;
    memset(file_buf, 0, sizeof(file_buf));
    mb1_put(0x40, MB1_FLAG_PAGE_ALIGN_MODULES | MB1_FLAG_MEMORY_INFO, NULL, 0);
    assert_int_equal(find1(0x1000), HOP_OK);
    assert_int_equal(h1.offset, 0x40);
    assert_int_equal(h1.flags, 3);
    assert_false(h1.has_addresses);
    assert_false(h1.has_video);
    /* The header may end exactly at the end of the file or window. */
    assert_int_equal(find1(0x4c), HOP_OK);
    memset(file_buf, 0, sizeof(file_buf));
    mb1_put(MB1_SEARCH_END - 12, 0, NULL, 0);
    assert_int_equal(find1(0x4000), HOP_OK);
}

static void test_mb1_not_found(void **state)
{
    (void)state;
    memset(file_buf, 0, sizeof(file_buf));
    assert_int_equal(find1(0), HOP_ERR_NOTFOUND);
    assert_int_equal(find1(0x4000), HOP_ERR_NOTFOUND);
    assert_string_equal(err.msg, "k: no multiboot1 header in the first 8192 "
                                 "bytes");
    mb1_put(MB1_SEARCH_END, 0, NULL, 0); /* past the window */
    assert_int_equal(find1(0x4000), HOP_ERR_NOTFOUND);
    memset(file_buf, 0, sizeof(file_buf));
    mb1_put(MB1_SEARCH_END - 8, 0, NULL, 0); /* straddles its end */
    assert_int_equal(find1(0x4000), HOP_ERR_NOTFOUND);
    memset(file_buf, 0, sizeof(file_buf));
    mb1_put(0x42, 0, NULL, 0); /* misaligned */
    assert_int_equal(find1(0x1000), HOP_ERR_NOTFOUND);
    memset(file_buf, 0, sizeof(file_buf));
    mb1_put(0x40, 0, NULL, 0);
    assert_int_equal(find1(0x4b), HOP_ERR_NOTFOUND); /* cut by the file */
}

static void test_mb1_checksum(void **state)
{
    (void)state;
    memset(file_buf, 0, sizeof(file_buf));
    mb1_put(0x40, 0, NULL, 0);
    put32(0x48, 0x12345678);
    assert_int_equal(find1(0x1000), HOP_ERR_CHECKSUM);
    assert_string_equal(err.msg, "k: multiboot1 header at offset 0x40: "
                                 "checksum 0x12345678, expected 0xe4524ffe");
    /* A bad candidate (the magic as data) before a good header. */
    mb1_put(0x100, 0, NULL, 0);
    assert_int_equal(find1(0x1000), HOP_OK);
    assert_int_equal(h1.offset, 0x100);
}

static void test_mb1_flags(void **state)
{
    (void)state;
    memset(file_buf, 0, sizeof(file_buf));
    mb1_put(0, 1u << 3, NULL, 0); /* an unknown requirement */
    assert_int_equal(find1(0x1000), HOP_ERR_UNSUPPORTED);
    expect(HOP_ERR_UNSUPPORTED, "require features 0x8");
    mb1_put(0, 1u << 20, NULL, 0); /* an unknown option is ignored */
    assert_int_equal(find1(0x1000), HOP_OK);
}

/* a.out kludge: header at file 0x20 = 0x100020, text from file 0. */
static void mb1_kludge(uint32_t header_addr, uint32_t load_addr,
                       uint32_t load_end, uint32_t bss_end, uint32_t entry)
{
    uint32_t f[5] = { header_addr, load_addr, load_end, bss_end, entry };
    memset(file_buf, 0, sizeof(file_buf));
    mb1_put(0x20, MB1_FLAG_AOUT_KLUDGE, f, 5);
}

static void test_mb1_kludge(void **state)
{
    (void)state;
    mb1_kludge(0x100020, 0x100000, 0x100800, 0x102000, 0x100040);
    assert_int_equal(find1(0x1000), HOP_OK);
    assert_true(h1.has_addresses);
    assert_int_equal(h1.entry_addr, 0x100040);
    assert_int_equal(h1.layout.file_offset, 0);
    assert_int_equal(h1.layout.load_size, 0x800);
    assert_int_equal(h1.layout.load_addr, 0x100000);
    assert_int_equal(h1.layout.mem_end, 0x102000);
    /* Loading from the header on; no bss; load the rest of the file. */
    mb1_kludge(0x200000, 0x200000, 0, 0, 0x200000);
    assert_int_equal(find1(0x1000), HOP_OK);
    assert_int_equal(h1.layout.file_offset, 0x20);
    assert_int_equal(h1.layout.load_size, 0x1000 - 0x20);
    assert_int_equal(h1.layout.mem_end, 0x200000 + 0x1000 - 0x20);
    /* The header's fields must fit in the file. */
    assert_int_equal(find1(0x20 + 31), HOP_ERR_TRUNCATED);
    expect(HOP_ERR_TRUNCATED, "need 0x20 bytes, past the end of the file");
}

static void test_mb1_kludge_inconsistent(void **state)
{
    (void)state;
    mb1_kludge(0x100020, 0x100021, 0x100800, 0, 0x100040);
    assert_int_equal(find1(0x1000), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "load_addr 0x100021 above header_addr 0x100020");
    mb1_kludge(0x100020, 0x0fffff, 0x100800, 0, 0x100040);
    assert_int_equal(find1(0x1000), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "exceeds the header's file offset 0x20");
    mb1_kludge(0x100020, 0x100000, 0x100000, 0, 0x100040);
    assert_int_equal(find1(0x1000), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "load_end_addr 0x100000 not above load_addr");
    mb1_kludge(0x100020, 0x100000, 0x100800, 0x1007ff, 0x100040);
    assert_int_equal(find1(0x1000), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "bss_end_addr 0x1007ff below");
    mb1_kludge(0x100020, 0x100000, 0x101001, 0, 0x100040);
    assert_int_equal(find1(0x1000), HOP_ERR_TRUNCATED);
    expect(HOP_ERR_TRUNCATED, "runs past the file end");
    mb1_kludge(0x100020, 0x100000, 0x100800, 0x102000, 0x102000);
    assert_int_equal(find1(0x1000), HOP_ERR_RANGE);
    expect(HOP_ERR_RANGE, "entry_addr 0x102000 outside the image");
    mb1_kludge(0xfffff020, 0xfffff000, 0, 0, 0xfffff000);
    assert_int_equal(find1(0x1001), HOP_ERR_RANGE); /* one byte past 4 GiB */
    expect(HOP_ERR_RANGE, "passes 4 GiB");
    assert_int_equal(find1(0x1000), HOP_OK); /* ends exactly at 4 GiB */
}

static void test_mb1_video(void **state)
{
    (void)state;
    uint32_t f[9] = { 0, 0, 0, 0, 0, MB1_VIDEO_LINEAR, 1024, 768, 32 };
    memset(file_buf, 0, sizeof(file_buf));
    mb1_put(0, MB1_FLAG_VIDEO_MODE, f, 9);
    assert_int_equal(find1(0x1000), HOP_OK);
    assert_true(h1.has_video);
    assert_false(h1.has_addresses);
    assert_int_equal(h1.width, 1024);
    assert_int_equal(h1.height, 768);
    assert_int_equal(h1.depth, 32);
    assert_int_equal(find1(47), HOP_ERR_TRUNCATED);
    f[5] = 2;
    mb1_put(0, MB1_FLAG_VIDEO_MODE, f, 9);
    assert_int_equal(find1(0x1000), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "mode_type 2");
    /* Video fields straddling the 8 KiB window. */
    memset(file_buf, 0, sizeof(file_buf));
    mb1_put(MB1_SEARCH_END - 16, MB1_FLAG_VIDEO_MODE, NULL, 0);
    assert_int_equal(find1(0x4000), HOP_ERR_TRUNCATED);
    expect(HOP_ERR_TRUNCATED, "past the first 8192 bytes");
}

/* --- multiboot2 ---------------------------------------------------------------- */

static size_t mb2_off, mb2_pos;

static void mb2_begin(size_t off)
{
    memset(file_buf, 0, sizeof(file_buf));
    mb2_off = off;
    mb2_pos = off + MB2_HEADER_FIXED_SIZE;
}

/* A tag claiming size bytes, whose body is the given words. */
static void mb2_tag_sized(uint16_t type, uint16_t flags, uint32_t size,
                          const uint32_t *words, size_t n)
{
    put16(mb2_pos, type);
    put16(mb2_pos + 2, flags);
    put32(mb2_pos + 4, size);
    for (size_t i = 0; i < n; i++)
        put32(mb2_pos + 8 + 4 * i, words[i]);
    mb2_pos += (MAX(size, 8u) + 7) & ~7u;
}

static void mb2_tag(uint16_t type, uint16_t flags, const uint32_t *words,
                    size_t n)
{
    mb2_tag_sized(type, flags, (uint32_t)(8 + 4 * n), words, n);
}

/* Writes the magic fields for a header_length of len. */
static void mb2_seal_len(uint32_t len)
{
    put32(mb2_off, MB2_HEADER_MAGIC);
    put32(mb2_off + 4, MB2_ARCH_I386);
    put32(mb2_off + 8, len);
    put32(mb2_off + 12, 0u - (MB2_HEADER_MAGIC + MB2_ARCH_I386 + len));
}

static void mb2_end(void)
{
    mb2_tag(MB2_HEADER_TAG_END, 0, NULL, 0);
    mb2_seal_len((uint32_t)(mb2_pos - mb2_off));
}

static void test_mb2_all_tags(void **state)
{
    (void)state;
    const uint32_t req[] = { 6, 1 }, req2[] = { 14 };
    const uint32_t addr[] = { 0x100020, 0x100000, 0x100800, 0x102000 };
    const uint32_t entry[] = { 0x100040 }, cons[] = { 3 };
    const uint32_t fb[] = { 1024, 768, 32 };
    const uint32_t e32[] = { 0x100080 }, e64[] = { 0x1000c0 };
    const uint32_t reloc[] = { 0x100000, 0x10000000, 0x200000, 2 };
    mb2_begin(0x20);
    mb2_tag(MB2_HEADER_TAG_INFORMATION_REQUEST, 0, req, 2);
    mb2_tag(MB2_HEADER_TAG_ADDRESS, 0, addr, 4);
    mb2_tag(MB2_HEADER_TAG_ENTRY_ADDRESS, 0, entry, 1);
    mb2_tag(MB2_HEADER_TAG_CONSOLE_FLAGS, MB2_HEADER_TAG_FLAG_OPTIONAL, cons, 1);
    mb2_tag(MB2_HEADER_TAG_FRAMEBUFFER, MB2_HEADER_TAG_FLAG_OPTIONAL, fb, 3);
    mb2_tag(MB2_HEADER_TAG_MODULE_ALIGN, 0, NULL, 0);
    mb2_tag(MB2_HEADER_TAG_EFI_BS, MB2_HEADER_TAG_FLAG_OPTIONAL, NULL, 0);
    mb2_tag(MB2_HEADER_TAG_ENTRY_ADDRESS_EFI32, 0, e32, 1);
    mb2_tag(MB2_HEADER_TAG_ENTRY_ADDRESS_EFI64, 0, e64, 1);
    mb2_tag(MB2_HEADER_TAG_RELOCATABLE, 0, reloc, 4);
    mb2_tag(MB2_HEADER_TAG_INFORMATION_REQUEST, MB2_HEADER_TAG_FLAG_OPTIONAL, req2, 1);
    mb2_end();
    assert_int_equal(find2(0x1000), HOP_OK);
    assert_int_equal(h2.offset, 0x20);
    assert_int_equal(h2.header_length, mb2_pos - 0x20);
    assert_int_equal(h2.tags_present, 0x7fe);
    assert_true(mb2_header_has(&h2, MB2_HEADER_TAG_RELOCATABLE));
    assert_false(mb2_header_has(&h2, MB2_HEADER_TAG_END));
    assert_false(mb2_header_has(&h2, 99));
    assert_true(mb2_header_tag_optional(&h2, MB2_HEADER_TAG_FRAMEBUFFER));
    assert_false(mb2_header_tag_optional(&h2, MB2_HEADER_TAG_ADDRESS));
    assert_int_equal(h2.info_request_count, 3);
    assert_int_equal(h2.info_requests[0].type, 6);
    assert_true(h2.info_requests[1].required);
    assert_int_equal(h2.info_requests[2].type, 14);
    assert_false(h2.info_requests[2].required);
    assert_int_equal(h2.layout.file_offset, 0);
    assert_int_equal(h2.layout.load_size, 0x800);
    assert_int_equal(h2.layout.mem_end, 0x102000);
    assert_int_equal(h2.entry_addr, 0x100040);
    assert_int_equal(h2.console_flags, MB2_CONSOLE_REQUIRED | MB2_CONSOLE_EGA_TEXT);
    assert_int_equal(h2.fb_width, 1024);
    assert_int_equal(h2.fb_height, 768);
    assert_int_equal(h2.fb_depth, 32);
    assert_int_equal(h2.efi32_entry_addr, 0x100080);
    assert_int_equal(h2.efi64_entry_addr, 0x1000c0);
    assert_int_equal(h2.reloc_min_addr, 0x100000);
    assert_int_equal(h2.reloc_max_addr, 0x10000000);
    assert_int_equal(h2.reloc_align, 0x200000);
    assert_int_equal(h2.reloc_preference, MB2_RELOC_PREFER_HIGH);
}

/* Every prefix of a file holding a valid header fails cleanly. */
static void test_mb2_truncated(void **state)
{
    (void)state;
    const uint32_t fb[] = { 1024, 768, 32 };
    mb2_begin(0x18);
    mb2_tag(MB2_HEADER_TAG_FRAMEBUFFER, 0, fb, 3);
    mb2_end();
    for (size_t len = 0; len < mb2_pos; len++) {
        int rc = find2(len);
        assert_true(rc < 0);
        assert_true(strlen(err.msg) > 0);
    }
    assert_int_equal(find2(mb2_pos), HOP_OK);
}

static void test_mb2_checksum(void **state)
{
    (void)state;
    mb2_begin(0);
    mb2_end();
    put32(12, 0);
    assert_int_equal(find2(0x100), HOP_ERR_CHECKSUM);
    expect(HOP_ERR_CHECKSUM, "k: multiboot2 header at offset 0x0: checksum "
                             "0x00000000, expected 0x17adaf12");
}

static void test_mb2_window(void **state)
{
    (void)state;
    mb2_begin(3); /* misaligned: 4-byte alignment is not enough */
    mb2_end();
    assert_int_equal(find2(0x100), HOP_ERR_NOTFOUND);
    mb2_begin(4);
    mb2_end();
    assert_int_equal(find2(0x100), HOP_ERR_NOTFOUND);
    expect(HOP_ERR_NOTFOUND, "no multiboot2 header in the first 32768 bytes");
    mb2_begin(MB2_SEARCH_END); /* past the window */
    mb2_end();
    assert_int_equal(find2(FILE_CAP), HOP_ERR_NOTFOUND);
    mb2_begin(MB2_SEARCH_END - 16); /* magic fields fit, the tags do not */
    mb2_end();
    assert_int_equal(find2(FILE_CAP), HOP_ERR_RANGE);
    expect(HOP_ERR_RANGE, "runs past the first 32768 bytes");
    mb2_begin(MB2_SEARCH_END - 24); /* ends exactly at the window's end */
    mb2_end();
    assert_int_equal(find2(FILE_CAP), HOP_OK);
}

static void test_mb2_magic_fields(void **state)
{
    (void)state;
    mb2_begin(0);
    mb2_end();
    put32(4, 4); /* MIPS */
    put32(12, 0u - (MB2_HEADER_MAGIC + 4 + 24));
    assert_int_equal(find2(0x100), HOP_ERR_UNSUPPORTED);
    expect(HOP_ERR_UNSUPPORTED, "architecture 4");
    mb2_begin(0);
    mb2_seal_len(12);
    assert_int_equal(find2(0x100), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "header_length 0xc below 0x10");
    mb2_begin(0);
    mb2_end();
    assert_int_equal(find2(20), HOP_ERR_TRUNCATED);
    expect(HOP_ERR_TRUNCATED, "header_length 0x18 runs past the file end");
    mb2_begin(0);
    mb2_seal_len(0xfffffff8u); /* huge: must not wrap anything */
    assert_int_equal(find2(0x100), HOP_ERR_TRUNCATED);
}

static void test_mb2_unknown_tags(void **state)
{
    (void)state;
    const uint32_t body[] = { 1, 2, 3 };
    mb2_begin(0);
    mb2_tag(42, 0, body, 3);
    mb2_end();
    assert_int_equal(find2(0x100), HOP_ERR_UNSUPPORTED);
    assert_string_equal(err.msg, "k: multiboot2 header: tag 42 (unknown) at "
                                 "offset 0x10: unknown type, not marked "
                                 "optional");
    mb2_begin(0);
    mb2_tag(42, MB2_HEADER_TAG_FLAG_OPTIONAL, body, 3);
    mb2_tag(0xffff, MB2_HEADER_TAG_FLAG_OPTIONAL | 0x8000, NULL, 0);
    mb2_end();
    assert_int_equal(find2(0x100), HOP_OK);
    assert_int_equal(h2.tags_present, 0);
}

static void test_mb2_tag_sizes(void **state)
{
    (void)state;
    const uint32_t fb[] = { 1024, 768 };
    mb2_begin(0);
    mb2_tag(MB2_HEADER_TAG_FRAMEBUFFER, MB2_HEADER_TAG_FLAG_OPTIONAL, fb, 2);
    mb2_end();
    assert_int_equal(find2(0x100), HOP_ERR_INVALID);
    assert_string_equal(err.msg, "k: multiboot2 header: tag 5 (framebuffer) "
                                 "at offset 0x10: size 16 below the minimum 20");
    mb2_begin(0);
    mb2_tag_sized(MB2_HEADER_TAG_MODULE_ALIGN, 0, 4, NULL, 0);
    mb2_end();
    assert_int_equal(find2(0x100), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "size smaller than the tag header");
    mb2_begin(0);
    mb2_tag_sized(MB2_HEADER_TAG_MODULE_ALIGN, 0, 0x100, NULL, 0);
    mb2_end();
    mb2_seal_len(0x30);
    assert_int_equal(find2(0x200), HOP_ERR_TRUNCATED);
    expect(HOP_ERR_TRUNCATED, "size runs past header_length");
    mb2_begin(0); /* information request: 8 + 4n */
    mb2_tag_sized(MB2_HEADER_TAG_INFORMATION_REQUEST, 0, 14, fb, 2);
    mb2_end();
    assert_int_equal(find2(0x100), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "not 8 plus a multiple of 4");
    mb2_begin(0); /* larger than needed is fine */
    mb2_tag_sized(MB2_HEADER_TAG_MODULE_ALIGN, 0, 12, fb, 1);
    mb2_end();
    assert_int_equal(find2(0x100), HOP_OK);
    assert_true(mb2_header_has(&h2, MB2_HEADER_TAG_MODULE_ALIGN));
}

static void test_mb2_end_tag(void **state)
{
    (void)state;
    mb2_begin(0);
    mb2_tag(MB2_HEADER_TAG_MODULE_ALIGN, 0, NULL, 0);
    mb2_seal_len((uint32_t)(mb2_pos - mb2_off)); /* no end tag */
    assert_int_equal(find2(0x100), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "no end tag within header_length 0x18");
    mb2_begin(0);
    mb2_tag_sized(MB2_HEADER_TAG_END, 0, 16, NULL, 0);
    mb2_seal_len((uint32_t)(mb2_pos - mb2_off));
    assert_int_equal(find2(0x100), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "size not 8");
    /* A 12-byte tag's padding runs past a header_length cut right after
     * it: the end tag is missing, nothing is read out of bounds. */
    const uint32_t e[] = { 0x100000 };
    mb2_begin(0);
    mb2_tag(MB2_HEADER_TAG_ENTRY_ADDRESS, 0, e, 1);
    mb2_seal_len(28);
    assert_int_equal(find2(28), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "no end tag");
}

static void test_mb2_duplicate(void **state)
{
    (void)state;
    const uint32_t e[] = { 0x100000 };
    mb2_begin(0);
    mb2_tag(MB2_HEADER_TAG_ENTRY_ADDRESS, 0, e, 1);
    mb2_tag(MB2_HEADER_TAG_ENTRY_ADDRESS, 0, e, 1);
    mb2_end();
    assert_int_equal(find2(0x100), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "tag 3 (entry address) at offset 0x20: given twice");
}

static void test_mb2_info_request_limit(void **state)
{
    (void)state;
    uint32_t types[MB2_MAX_INFO_REQUESTS];
    for (size_t i = 0; i < MB2_MAX_INFO_REQUESTS; i++)
        types[i] = (uint32_t)i;
    mb2_begin(0);
    mb2_tag(MB2_HEADER_TAG_INFORMATION_REQUEST, 0, types, MB2_MAX_INFO_REQUESTS);
    mb2_end();
    assert_int_equal(find2(0x1000), HOP_OK);
    assert_int_equal(h2.info_request_count, MB2_MAX_INFO_REQUESTS);
    mb2_begin(0);
    mb2_tag(MB2_HEADER_TAG_INFORMATION_REQUEST, 0, types, MB2_MAX_INFO_REQUESTS);
    mb2_tag(MB2_HEADER_TAG_INFORMATION_REQUEST, 0, types, 1);
    mb2_end();
    assert_int_equal(find2(0x1000), HOP_ERR_LIMIT);
}

static int mb2_with_address(uint32_t header_addr, uint32_t load_addr,
                            uint32_t load_end, uint32_t bss_end, size_t size)
{
    const uint32_t a[] = { header_addr, load_addr, load_end, bss_end };
    mb2_begin(0x40);
    mb2_tag(MB2_HEADER_TAG_ADDRESS, 0, a, 4);
    mb2_end();
    return find2(size);
}

static void test_mb2_address(void **state)
{
    (void)state;
    assert_int_equal(mb2_with_address(0x100040, 0x100000, 0, 0, 0x1000), HOP_OK);
    assert_int_equal(h2.layout.file_offset, 0);
    assert_int_equal(h2.layout.load_size, 0x1000);
    assert_int_equal(h2.layout.mem_end, 0x101000);
    assert_int_equal(mb2_with_address(0x100040, 0x100040, 0x100100, 0x100100,
                                      0x1000), HOP_OK);
    assert_int_equal(h2.layout.file_offset, 0x40);
    assert_int_equal(h2.layout.load_size, 0xc0);
    /* load_addr -1: load from the start of the file. */
    assert_int_equal(mb2_with_address(0x100040, MB2_LOAD_ADDR_FILE_START, 0,
                                      0x200000, 0x1000), HOP_OK);
    assert_int_equal(h2.layout.file_offset, 0);
    assert_int_equal(h2.layout.load_addr, 0x100000);
    assert_int_equal(h2.layout.mem_end, 0x200000);
    assert_int_equal(mb2_with_address(0x20, MB2_LOAD_ADDR_FILE_START, 0, 0,
                                      0x1000), HOP_ERR_RANGE);
}

static void test_mb2_address_inconsistent(void **state)
{
    (void)state;
    assert_int_equal(mb2_with_address(0x100040, 0x100041, 0, 0, 0x1000),
                     HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "k: multiboot2 address tag: load_addr 0x100041 "
                            "above header_addr 0x100040");
    assert_int_equal(mb2_with_address(0x100040, 0x100000, 0x100000, 0, 0x1000),
                     HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "not above load_addr");
    assert_int_equal(mb2_with_address(0x100040, 0x100000, 0x100800, 0x100400,
                                      0x1000), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "bss_end_addr 0x100400 below");
    assert_int_equal(mb2_with_address(0x100040, 0x100000, 0x100800, 0,
                                      0x7ff), HOP_ERR_TRUNCATED);
    assert_int_equal(mb2_with_address(0x100040, 0x0fff00, 0, 0, 0x1000),
                     HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "exceeds the header's file offset");
    assert_int_equal(mb2_with_address(0xffffff40, 0xffffff00, 0, 0, 0x1000),
                     HOP_ERR_RANGE);
}

static int mb2_with_reloc(uint32_t min, uint32_t max, uint32_t align,
                          uint32_t pref)
{
    const uint32_t r[] = { min, max, align, pref };
    mb2_begin(0);
    mb2_tag(MB2_HEADER_TAG_RELOCATABLE, MB2_HEADER_TAG_FLAG_OPTIONAL, r, 4);
    mb2_end();
    return find2(0x100);
}

static void test_mb2_relocatable(void **state)
{
    (void)state;
    assert_int_equal(mb2_with_reloc(0x100000, 0x100000, 0x1000, 1), HOP_OK);
    assert_int_equal(h2.reloc_align, 0x1000);
    assert_true(mb2_header_tag_optional(&h2, MB2_HEADER_TAG_RELOCATABLE));
    assert_int_equal(mb2_with_reloc(0x100000, 0x200000, 0, 0), HOP_OK);
    assert_int_equal(h2.reloc_align, 1);
    assert_int_equal(mb2_with_reloc(0x200000, 0x100000, 0x1000, 0),
                     HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "tag 10 (relocatable) at offset 0x10: min_addr "
                            "above max_addr");
    assert_int_equal(mb2_with_reloc(0, 0x100000, 0x3000, 0), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "align not a power of two");
    assert_int_equal(mb2_with_reloc(0, 0x100000, 0x1000, 3), HOP_ERR_INVALID);
    expect(HOP_ERR_INVALID, "preference");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mb1_minimal),
        cmocka_unit_test(test_mb1_not_found),
        cmocka_unit_test(test_mb1_checksum),
        cmocka_unit_test(test_mb1_flags),
        cmocka_unit_test(test_mb1_kludge),
        cmocka_unit_test(test_mb1_kludge_inconsistent),
        cmocka_unit_test(test_mb1_video),
        cmocka_unit_test(test_mb2_all_tags),
        cmocka_unit_test(test_mb2_truncated),
        cmocka_unit_test(test_mb2_checksum),
        cmocka_unit_test(test_mb2_window),
        cmocka_unit_test(test_mb2_magic_fields),
        cmocka_unit_test(test_mb2_unknown_tags),
        cmocka_unit_test(test_mb2_tag_sizes),
        cmocka_unit_test(test_mb2_end_tag),
        cmocka_unit_test(test_mb2_duplicate),
        cmocka_unit_test(test_mb2_info_request_limit),
        cmocka_unit_test(test_mb2_address),
        cmocka_unit_test(test_mb2_address_inconsistent),
        cmocka_unit_test(test_mb2_relocatable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
