/* Unit tests of src/protos/multiboot1.c: the multiboot1 boot information
 * hop hands to a kernel.  Each block is built from a realistic input into a
 * buffer at a fake physical address, then read back by hop's own parser
 * (src/parse/bootinfo.c) through a simulated memory at that address, and byte by
 * byte at the offsets of the Multiboot Specification 0.6.96, section 3.3,
 * transcribed here independently of the code under test. */
#include "parse/mbheader.h"
#include "proto_fixture.h"

/* ---- Multiboot 0.6.96, 3.3 --------------------------------------------- */

enum {
    F_MEM = 1 << 0, F_BOOTDEV = 1 << 1, F_CMDLINE = 1 << 2, F_MODS = 1 << 3,
    F_MMAP = 1 << 6, F_NAME = 1 << 9, F_VBE = 1 << 11, F_FB = 1 << 12,
};

enum {
    O_FLAGS = 0, O_MEM_LOWER = 4, O_MEM_UPPER = 8, O_BOOT_DEVICE = 12, O_CMDLINE = 16,
    O_MODS_COUNT = 20, O_MODS_ADDR = 24, O_SYMS = 28, O_MMAP_LENGTH = 44, O_MMAP_ADDR = 48,
    O_DRIVES_LENGTH = 52, O_CONFIG_TABLE = 60, O_NAME = 64, O_APM = 68, O_VBE = 72,
    O_FB_ADDR = 88, O_FB_PITCH = 96, O_FB_WIDTH = 100, O_FB_HEIGHT = 104, O_FB_BPP = 108,
    O_FB_TYPE = 109, O_FB_COLOR = 110, INFO_SIZE = 116,
};

/* ---- the realistic input (proto_fixture.h) ----------------------------- */

static const uint8_t fx_rsdp_v2[36] = "RSD PTR \x17" "BOCHS \x02";

static void fixture(void)
{
    fx_fixture(&(const struct fx_spec){
        .bi_cmdline = "", .bi_loader_name = "qemu", .cmdline = "console=ttyS0 quiet",
        .mods = { { 0x2000000, 0x2123456, "/boot/initrd.img rd.debug" },
                  { 0x2200000, 0x2280000, "" } },
        .module0_what = "module 0" });
    fx_bi.has_fb = true;
    fx_bi.fb = fx_rgb_fb(0xfd000000);
    fx_bi.rsdp_v2 = fx_rsdp_v2; /* multiboot1 has no field for it */
    fx_bi.rsdp_v2_len = sizeof(fx_rsdp_v2);
}

/* ---- building and reading the block back -------------------------------- */

static const struct fx_proto proto = { &handoff_mb1, INFO_SIZE, 8192, false };

static uint8_t *build(const struct handoff_input *in, paddr_t paddr, size_t *used)
{
    return fx_build(&proto, in, paddr, used);
}

static void parse_back(const uint8_t *buf, paddr_t paddr, size_t used)
{
    fx_parse_back(MB1_BOOTLOADER_MAGIC, buf, paddr, used);
}

/* ---- tests ------------------------------------------------------------- */

static void test_realistic_parsed_back(void **state)
{
    (void)state;
    size_t used;
    uint8_t *buf = build(&fx_in, INFO_PADDR, &used);
    assert_true(handoff_info_size(&handoff_mb1, &fx_in) <= PAGE); /* fx_map_marked's one info page */
    parse_back(buf, INFO_PADDR, used);
    assert_int_equal(parsed.proto, BOOT_PROTO_MB1);
    assert_string_equal(parsed.cmdline, fx_in.cmdline);
    assert_string_equal(parsed.loader_name, "hop 0.1");
    assert_true(parsed.has_meminfo);
    assert_int_equal(parsed.mem_lower_kib, FX_MEM_LOWER);
    assert_int_equal(parsed.mem_upper_kib, FX_MEM_UPPER);
    assert_int_equal(parsed.module_count, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(parsed.modules[i].start, fx_mods[i].start);
        assert_int_equal(parsed.modules[i].end, fx_mods[i].end);
        assert_string_equal(parsed.modules[i].cmdline, fx_mods[i].cmdline);
    }
    expect_map(&parsed, fx_map_marked, N(fx_map_marked));
    assert_true(parsed.has_fb);
    expect_fb(&parsed.fb, &fx_bi.fb);
    free(buf);
}

static void test_realistic_bytes(void **state)
{
    (void)state;
    size_t used;
    uint8_t *buf = build(&fx_in, INFO_PADDR, &used);
    assert_int_equal(rd32(buf, O_FLAGS), F_MEM | F_CMDLINE | F_MODS | F_MMAP | F_NAME | F_FB);
    assert_int_equal(rd32(buf, O_MEM_LOWER), FX_MEM_LOWER);
    assert_int_equal(rd32(buf, O_MEM_UPPER), FX_MEM_UPPER);
    assert_string_equal(string_at(buf, INFO_PADDR, used, rd32(buf, O_CMDLINE)), fx_in.cmdline);
    assert_string_equal(string_at(buf, INFO_PADDR, used, rd32(buf, O_NAME)), "hop 0.1");

    assert_int_equal(rd32(buf, O_MODS_COUNT), 2);
    size_t mods = inside(INFO_PADDR, used, rd32(buf, O_MODS_ADDR), 2 * 16);
    assert_int_equal(mods % 4, 0);
    for (size_t i = 0; i < 2; i++) {
        size_t e = mods + 16 * i;
        assert_int_equal(rd32(buf, e), fx_mods[i].start);
        assert_int_equal(rd32(buf, e + 4), fx_mods[i].end);
        assert_string_equal(string_at(buf, INFO_PADDR, used, rd32(buf, e + 8)),
                            fx_mods[i].cmdline);
        assert_int_equal(rd32(buf, e + 12), 0);
    }

    size_t n = N(fx_map_marked);
    assert_int_equal(rd32(buf, O_MMAP_LENGTH), 24 * n);
    size_t mmap = inside(INFO_PADDR, used, rd32(buf, O_MMAP_ADDR), 24 * n);
    for (size_t i = 0; i < n; i++) {
        size_t e = mmap + 24 * i; /* mmap_addr points at the size field */
        assert_int_equal(rd32(buf, e), 20);
        assert_int_equal(rd64(buf, e + 4), fx_map_marked[i].start);
        assert_int_equal(rd64(buf, e + 12), fx_map_marked[i].end - fx_map_marked[i].start);
        assert_int_equal(rd32(buf, e + 20), fx_map_marked[i].type);
    }

    assert_int_equal(rd64(buf, O_FB_ADDR), 0xfd000000);
    assert_int_equal(rd32(buf, O_FB_PITCH), 4096);
    assert_int_equal(rd32(buf, O_FB_WIDTH), 1024);
    assert_int_equal(rd32(buf, O_FB_HEIGHT), 768);
    assert_int_equal(buf[O_FB_BPP], 32);
    assert_int_equal(buf[O_FB_TYPE], 1);
    static const uint8_t rgb[6] = { 16, 8, 8, 8, 0, 8 };
    assert_memory_equal(buf + O_FB_COLOR, rgb, 6);

    /* What hop does not give stays zero. */
    static const uint8_t zero[88 - O_BOOT_DEVICE];
    assert_int_equal(rd32(buf, O_BOOT_DEVICE), 0);
    assert_memory_equal(buf + O_SYMS, zero, O_MMAP_LENGTH - O_SYMS);
    assert_memory_equal(buf + O_DRIVES_LENGTH, zero, O_NAME - O_DRIVES_LENGTH);
    assert_memory_equal(buf + O_APM, zero, O_FB_ADDR - O_APM);
    (void)O_CONFIG_TABLE;
    (void)O_VBE;
    free(buf);
}

static void test_minimal(void **state)
{
    (void)state;
    size_t used;
    struct handoff_input in = { .bi = &fx_bi, .cmdline = "", .loader_name = "hop 0.1" };
    memset(&fx_bi, 0, sizeof(fx_bi));
    uint8_t *buf = build(&in, INFO_PADDR, &used);
    assert_int_equal(rd32(buf, O_FLAGS), F_MEM | F_CMDLINE | F_MODS | F_NAME);
    assert_int_equal(rd32(buf, O_MEM_LOWER), 0);
    assert_int_equal(rd32(buf, O_MEM_UPPER), 0);
    assert_int_equal(rd32(buf, O_MODS_COUNT), 0);
    assert_int_equal(rd32(buf, O_MODS_ADDR), 0);
    assert_int_equal(rd32(buf, O_MMAP_LENGTH), 0);
    parse_back(buf, INFO_PADDR, used);
    assert_int_equal(parsed.module_count, 0);
    assert_int_equal(parsed.map_count, 0);
    assert_false(parsed.has_fb);
    free(buf);
}

static void test_framebuffer_kinds(void **state)
{
    (void)state;
    size_t used;
    static const uint8_t zero6[6];
    fx_bi.fb = (struct framebuffer){ .addr = 0xb8000, .pitch = 160, .width = 80,
                                     .height = 25, .bpp = 16, .type = FB_EGA_TEXT };
    uint8_t *buf = build(&fx_in, INFO_PADDR, &used);
    assert_true(rd32(buf, O_FLAGS) & F_FB);
    assert_int_equal(buf[O_FB_TYPE], 2);
    assert_int_equal(rd32(buf, O_FB_WIDTH), 80);
    assert_int_equal(rd32(buf, O_FB_HEIGHT), 25);
    assert_memory_equal(buf + O_FB_COLOR, zero6, 6);
    free(buf);

    fx_bi.fb.type = FB_INDEXED; /* no palette: address and count 0 */
    buf = build(&fx_in, INFO_PADDR, &used);
    assert_int_equal(buf[O_FB_TYPE], 0);
    assert_memory_equal(buf + O_FB_COLOR, zero6, 6);
    free(buf);

    fx_bi.has_fb = false;
    buf = build(&fx_in, INFO_PADDR, &used);
    assert_false(rd32(buf, O_FLAGS) & F_FB);
    assert_int_equal(rd64(buf, O_FB_ADDR), 0);
    free(buf);
}

static void test_every_short_capacity(void **state)
{
    (void)state;
    fx_every_short_capacity(&proto);
}

static void expect_build_error(paddr_t paddr, int code, const char *part)
{
    fx_expect_build_error(&proto, &fx_in, paddr, code, part);
}

static void test_above_4gib_refused(void **state)
{
    (void)state;
    expect_build_error(0x100000000, HOP_ERR_RANGE, "not below 0x100000000");
    expect_build_error(0x100000000 - 0x40, HOP_ERR_RANGE, "pass 0x100000000");
    fx_mods[1] = (struct handoff_module){ 0x100000000, 0x100001000, "high" };
    expect_build_error(INFO_PADDR, HOP_ERR_RANGE, "module 1 (0x100000000-0x100001000) not "
                                                  "below 4 GiB");
    fx_mods[1] = (struct handoff_module){ 0xfffff000, 0x100000000, "ends at 4 GiB" };
    expect_build_error(INFO_PADDR, HOP_ERR_RANGE, "module 1");
    fx_mods[1] = (struct handoff_module){ 0xfffff000, 0xffffffff, "just below" };
    size_t used;
    free(build(&fx_in, INFO_PADDR, &used));
}

/* ---- what the header asks for ------------------------------------------- */

static struct mb1_header hdr;

static int check(char *msg)
{
    struct hop_error err = { 0 };
    int rc = mb1_check_requests(&hdr, &fx_in, &err);
    strcpy(msg, err.msg);
    return rc;
}

static void test_check_requests(void **state)
{
    (void)state;
    char msg[HOP_ERROR_MSG_MAX];
    memset(&hdr, 0, sizeof(hdr));
    hdr.flags = MB1_FLAG_PAGE_ALIGN_MODULES | MB1_FLAG_MEMORY_INFO | MB1_FLAG_VIDEO_MODE;
    assert_int_equal(check(msg), HOP_OK);

    fx_bi.has_fb = false;
    assert_int_equal(check(msg), HOP_ERR_UNSUPPORTED);
    assert_non_null(strstr(msg, "video information (multiboot1 header flags bit 2)"));
    hdr.flags &= ~MB1_FLAG_VIDEO_MODE;
    assert_int_equal(check(msg), HOP_OK);

    fx_mods[1].start += 0x800;
    assert_int_equal(check(msg), HOP_ERR_INVALID);
    assert_non_null(strstr(msg, "module 1 at 0x2200800"));
    hdr.flags &= ~MB1_FLAG_PAGE_ALIGN_MODULES;
    assert_int_equal(check(msg), HOP_OK);

    fx_bi.map_count = 0;
    assert_int_equal(check(msg), HOP_ERR_UNSUPPORTED);
    assert_non_null(strstr(msg, "memory information"));

    hdr.flags = 1u << 15; /* a requirement nobody knows */
    assert_int_equal(check(msg), HOP_ERR_UNSUPPORTED);
    assert_non_null(strstr(msg, "0x8000"));
}

static void test_video_mismatch(void **state)
{
    (void)state;
    char note[160];
    memset(&hdr, 0, sizeof(hdr));
    assert_false(mb1_video_mismatch(&hdr, &fx_bi, note, sizeof(note))); /* no request */

    hdr.flags = MB1_FLAG_VIDEO_MODE;
    hdr.has_video = true;
    hdr.mode_type = MB1_VIDEO_LINEAR;
    assert_false(mb1_video_mismatch(&hdr, &fx_bi, note, sizeof(note))); /* any mode */
    hdr.width = 1024;
    hdr.height = 768;
    hdr.depth = 32;
    assert_false(mb1_video_mismatch(&hdr, &fx_bi, note, sizeof(note)));
    hdr.width = 800;
    hdr.height = 600;
    assert_true(mb1_video_mismatch(&hdr, &fx_bi, note, sizeof(note)));
    assert_non_null(strstr(note, "linear video 800x600x32"));
    assert_non_null(strstr(note, "linear 1024x768x32"));
    hdr.width = 0;
    hdr.height = 0;
    hdr.depth = 16;
    assert_true(mb1_video_mismatch(&hdr, &fx_bi, note, sizeof(note)));

    hdr.mode_type = MB1_VIDEO_EGA_TEXT;
    hdr.width = 80;
    hdr.height = 25;
    hdr.depth = 0;
    assert_true(mb1_video_mismatch(&hdr, &fx_bi, note, sizeof(note)));
    assert_non_null(strstr(note, "EGA text video 80x25x0"));
    fx_bi.fb = (struct framebuffer){ .addr = 0xb8000, .pitch = 160, .width = 80,
                                     .height = 25, .bpp = 16, .type = FB_EGA_TEXT };
    assert_false(mb1_video_mismatch(&hdr, &fx_bi, note, sizeof(note)));
    fx_bi.has_fb = false;
    assert_true(mb1_video_mismatch(&hdr, &fx_bi, note, sizeof(note)));
    assert_non_null(strstr(note, "knows no video mode"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_realistic_parsed_back, setup),
        cmocka_unit_test_setup(test_realistic_bytes, setup),
        cmocka_unit_test_setup(test_minimal, setup),
        cmocka_unit_test_setup(test_framebuffer_kinds, setup),
        cmocka_unit_test_setup(test_every_short_capacity, setup),
        cmocka_unit_test_setup(test_above_4gib_refused, setup),
        cmocka_unit_test_setup(test_check_requests, setup),
        cmocka_unit_test_setup(test_video_mismatch, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
