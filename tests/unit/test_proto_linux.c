/* Unit tests of src/protos/linux.c: struct boot_params for a vmlinux entered
 * through the x86 64-bit boot protocol.  Each block is built from a
 * realistic input into a buffer at a fake physical address and read back at
 * the offsets of Linux's Documentation/arch/x86/zero-page.rst and boot.rst
 * (and struct screen_info's), transcribed here independently of the code
 * under test; every byte of the zero page hop does not set must be zero. */
#include "proto_fixture.h"

/* ---- zero-page.rst, boot.rst, screen_info ------------------------------- */

enum { /* screen_info, at 0 */
    SI_VIDEO_MODE = 0x06, SI_COLS = 0x07, SI_LINES = 0x0e, SI_ISVGA = 0x0f,
    SI_POINTS = 0x10, SI_LFB_WIDTH = 0x12, SI_LFB_HEIGHT = 0x14, SI_LFB_DEPTH = 0x16,
    SI_LFB_BASE = 0x18, SI_LFB_SIZE = 0x1c, SI_LINELENGTH = 0x24, SI_RED_SIZE = 0x26,
    SI_RSVD_SIZE = 0x2c, SI_CAPABILITIES = 0x36, SI_EXT_LFB_BASE = 0x3a, SI_SIZE = 0x40,
};
enum { /* boot_params */
    BP_ACPI_RSDP = 0x070, BP_EXT_RAMDISK_IMAGE = 0x0c0, BP_EXT_RAMDISK_SIZE = 0x0c4,
    BP_EXT_CMD_LINE_PTR = 0x0c8, BP_ALT_MEM_K = 0x1e0, BP_E820_ENTRIES = 0x1e8,
    BP_SENTINEL = 0x1ef, BP_ROOT_FLAGS = 0x1f2, BP_BOOT_FLAG = 0x1fe, BP_HEADER = 0x202,
    BP_VERSION = 0x206, BP_TYPE_OF_LOADER = 0x210, BP_LOADFLAGS = 0x211,
    BP_RAMDISK_IMAGE = 0x218, BP_RAMDISK_SIZE = 0x21c, BP_CMD_LINE_PTR = 0x228,
    BP_CMDLINE_SIZE = 0x238, BP_HARDWARE_SUBARCH = 0x23c, BP_SETUP_DATA = 0x250,
    BP_E820_TABLE = 0x2d0, BP_SIZE = 0x1000,
};
#define E820_ENTRY 20
#define E820_ZEROPAGE_MAX 128
#define SETUP_E820_EXT 1
#define VIDEO_TYPE_VGAC 0x22
#define VIDEO_TYPE_VLFB 0x23
#define VIDEO_TYPE_EFI 0x70
#define VIDEO_CAPABILITY_64BIT_BASE 2

/* ---- the realistic input (proto_fixture.h) ----------------------------- */

/* Neither the initrd nor boot_params is marked; the other module, listed
 * as reserved, is. */
static const struct mem_region fx_e820[] = {
    { 0x0, 0x9fc00, MEM_USABLE },
    { 0x9fc00, 0xa0000, MEM_RESERVED },
    { 0xf0000, 0x100000, MEM_RESERVED },
    { 0x100000, 0x2200000, MEM_USABLE },
    { 0x2200000, 0x2280000, MEM_RESERVED },
    { 0x2280000, 0x7fee0000, MEM_USABLE },
    { 0x7fee0000, 0x7ff00000, MEM_ACPI_RECLAIM },
    { 0x7ff00000, 0x80000000, MEM_ACPI_NVS },
    { 0xfec00000, 0xfec01000, MEM_RESERVED },
    { 0xfffc0000, 0x100000000, MEM_RESERVED },
    { 0x100000000, 0x180000000, MEM_USABLE },
};

/* With the RSDP copy in the block, the block is marked too. */
static const struct mem_region fx_e820_rsdp_copy[] = {
    { 0x0, 0x9fc00, MEM_USABLE },
    { 0x9fc00, 0xa0000, MEM_RESERVED },
    { 0xf0000, 0x100000, MEM_RESERVED },
    { 0x100000, 0x2200000, MEM_USABLE },
    { 0x2200000, 0x2280000, MEM_RESERVED },
    { 0x2280000, 0x3000000, MEM_USABLE },
    { 0x3000000, 0x3002000, MEM_RESERVED },
    { 0x3002000, 0x7fee0000, MEM_USABLE },
    { 0x7fee0000, 0x7ff00000, MEM_ACPI_RECLAIM },
    { 0x7ff00000, 0x80000000, MEM_ACPI_NVS },
    { 0xfec00000, 0xfec01000, MEM_RESERVED },
    { 0xfffc0000, 0x100000000, MEM_RESERVED },
    { 0x100000000, 0x180000000, MEM_USABLE },
};

static const uint8_t fx_rsdp_v2[36] = "RSD PTR \x17" "BOCHS \x02\x00\xe0\x0f\x00\x24";

static void fixture(void)
{
    fx_fixture(&(const struct fx_spec){
        .bi_cmdline = "", .bi_loader_name = "GRUB 2.06",
        .cmdline = "console=ttyS0 root=/dev/ram0 rw",
        .mods = { { 0x2000000, 0x2123456, "/boot/initrd.img" },
                  { 0x2200000, 0x2280000, "/boot/unused" } },
        .module0_what = "initrd" });
    fx_bi.has_fb = true;
    fx_bi.fb = fx_rgb_fb(0x80000000);
    fx_bi.rsdp_v2 = fx_rsdp_v2;
    fx_bi.rsdp_v2_len = sizeof(fx_rsdp_v2);
    fx_bi.efi_system_table64 = 0x7fb7e018; /* booted from UEFI */
    fx_in.has_initrd = true;
    fx_in.initrd_index = 0;
}

/* ---- reading the block back -------------------------------------------- */

static const struct fx_proto proto = { &handoff_linux, BP_SIZE + 1,
                                       16384, false };

static uint8_t *build(const struct handoff_input *in, paddr_t paddr, size_t *used)
{
    return fx_build(&proto, in, paddr, used);
}

static uint64_t split64(const uint8_t *buf, size_t lo, size_t hi)
{
    return rd32(buf, lo) | (uint64_t)rd32(buf, hi) << 32;
}

static void expect_e820(const uint8_t *buf, size_t off, const struct mem_region *want,
                        size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t e = off + i * E820_ENTRY;
        assert_int_equal(rd64(buf, e), want[i].start);
        assert_int_equal(rd64(buf, e + 8), want[i].end - want[i].start);
        assert_int_equal(rd32(buf, e + 16), want[i].type);
    }
}

/* Every byte of boot_params outside the fields hop sets is zero: nothing
 * stale for the kernel to misread, and the sentinel clear. */
static void expect_rest_zero(const uint8_t *buf, size_t e820_entries)
{
    static const struct { size_t off, len; } set[] = {
        { 0, SI_SIZE }, { BP_ACPI_RSDP, 8 }, { BP_EXT_RAMDISK_IMAGE, 12 },
        { BP_ALT_MEM_K, 4 }, { BP_E820_ENTRIES, 1 }, { BP_ROOT_FLAGS, 2 },
        { BP_BOOT_FLAG, 2 }, { BP_HEADER, 6 }, { BP_TYPE_OF_LOADER, 2 },
        { BP_RAMDISK_IMAGE, 8 }, { BP_CMD_LINE_PTR, 4 }, { BP_CMDLINE_SIZE, 8 },
        { BP_SETUP_DATA, 8 },
    };
    for (size_t off = 0; off < BP_SIZE; off++) {
        bool written = off >= BP_E820_TABLE && off < BP_E820_TABLE + e820_entries * E820_ENTRY;
        for (size_t i = 0; i < N(set); i++)
            written |= off >= set[i].off && off < set[i].off + set[i].len;
        if (!written && buf[off] != 0)
            fail_msg("boot_params byte 0x%zx is 0x%x, not 0", off, buf[off]);
    }
}

/* ---- tests ------------------------------------------------------------- */

static void test_realistic(void **state)
{
    (void)state;
    size_t used;
    uint8_t *buf = build(&fx_in, INFO_PADDR, &used);
    /* The setup header */
    assert_int_equal(rd16(buf, BP_BOOT_FLAG), 0xaa55);
    assert_memory_equal(buf + BP_HEADER, "HdrS", 4);
    assert_int_equal(rd16(buf, BP_VERSION), 0x020f);
    assert_int_equal(buf[BP_TYPE_OF_LOADER], 0xff);
    assert_int_equal(buf[BP_LOADFLAGS], 1); /* LOADED_HIGH only */
    assert_int_equal(rd16(buf, BP_ROOT_FLAGS), 1);
    assert_int_equal(rd32(buf, BP_CMDLINE_SIZE), 2047);
    assert_int_equal(rd32(buf, BP_HARDWARE_SUBARCH), 0);
    assert_int_equal(buf[BP_SENTINEL], 0);
    /* Command line, initrd, RSDP, memory */
    uint64_t cmd = split64(buf, BP_CMD_LINE_PTR, BP_EXT_CMD_LINE_PTR);
    size_t cmd_len = strlen(fx_in.cmdline) + 1;
    assert_string_equal((const char *)buf + inside(INFO_PADDR, used, cmd, cmd_len),
                        fx_in.cmdline);
    assert_int_equal(split64(buf, BP_RAMDISK_IMAGE, BP_EXT_RAMDISK_IMAGE), 0x2000000);
    assert_int_equal(split64(buf, BP_RAMDISK_SIZE, BP_EXT_RAMDISK_SIZE), 0x123456);
    assert_int_equal(rd64(buf, BP_ACPI_RSDP), 0xf5a40);
    assert_int_equal(rd32(buf, BP_ALT_MEM_K), (0x7fee0000u - 0x100000u) / KIB);
    assert_int_equal(buf[BP_E820_ENTRIES], N(fx_e820));
    expect_e820(buf, BP_E820_TABLE, fx_e820, N(fx_e820));
    assert_int_equal(rd64(buf, BP_SETUP_DATA), 0);
    /* A UEFI GOP framebuffer: VIDEO_TYPE_EFI, lfb_size in bytes */
    assert_int_equal(buf[SI_ISVGA], VIDEO_TYPE_EFI);
    assert_int_equal(rd16(buf, SI_LFB_WIDTH), 1024);
    assert_int_equal(rd16(buf, SI_LFB_HEIGHT), 768);
    assert_int_equal(rd16(buf, SI_LFB_DEPTH), 32);
    assert_int_equal(rd16(buf, SI_LINELENGTH), 4096);
    assert_int_equal(rd32(buf, SI_LFB_BASE), 0x80000000);
    assert_int_equal(rd32(buf, SI_LFB_SIZE), 4096 * 768);
    static const uint8_t colors[8] = { 8, 16, 8, 8, 8, 0, 8, 24 }; /* size, pos: R G B x */
    assert_memory_equal(buf + SI_RED_SIZE, colors, 8);
    assert_int_equal(rd32(buf, SI_CAPABILITIES), 0);
    assert_int_equal(rd32(buf, SI_EXT_LFB_BASE), 0);
    expect_rest_zero(buf, N(fx_e820));
    free(buf);
}

/* Without the real RSDP's address: a copy in the block, which is then
 * marked reserved (the kernel reads the RSDP long after it has started
 * allocating). */
static void test_rsdp_copy(void **state)
{
    (void)state;
    size_t used;
    fx_in.rsdp_addr = 0;
    assert_true(handoff_info_size(&handoff_linux, &fx_in) <= 2 * PAGE);
    uint8_t *buf = build(&fx_in, INFO_PADDR, &used);
    uint64_t rsdp = rd64(buf, BP_ACPI_RSDP);
    assert_int_equal(rsdp % 16, 0);
    assert_memory_equal(buf + inside(INFO_PADDR, used, rsdp, 36), fx_rsdp_v2, 36);
    assert_int_equal(buf[BP_E820_ENTRIES], N(fx_e820_rsdp_copy));
    expect_e820(buf, BP_E820_TABLE, fx_e820_rsdp_copy, N(fx_e820_rsdp_copy));
    free(buf);

    fx_bi.rsdp_v2 = NULL; /* nothing to give */
    buf = build(&fx_in, INFO_PADDR, &used);
    assert_int_equal(rd64(buf, BP_ACPI_RSDP), 0);
    expect_e820(buf, BP_E820_TABLE, fx_e820, N(fx_e820));
    free(buf);
}

/* The block, the command line and the initrd above 4 GiB: the ext_ halves. */
static void test_above_4gib(void **state)
{
    (void)state;
    size_t used;
    const paddr_t high = 0x140000000;
    fx_mods[0] = (struct handoff_module){ 0x150000000, 0x250000010, "big initrd" };
    fx_bi.fb.addr = 0x800000000;
    uint8_t *buf = build(&fx_in, high, &used);
    uint64_t cmd = split64(buf, BP_CMD_LINE_PTR, BP_EXT_CMD_LINE_PTR);
    assert_true(cmd >= high);
    assert_string_equal((const char *)buf + inside(high, used, cmd, 1), fx_in.cmdline);
    assert_int_equal(split64(buf, BP_RAMDISK_IMAGE, BP_EXT_RAMDISK_IMAGE), 0x150000000);
    assert_int_equal(split64(buf, BP_RAMDISK_SIZE, BP_EXT_RAMDISK_SIZE), 0x100000010);
    assert_int_equal(rd32(buf, SI_LFB_BASE), 0);
    assert_int_equal(rd32(buf, SI_EXT_LFB_BASE), 8);
    assert_int_equal(rd32(buf, SI_CAPABILITIES), VIDEO_CAPABILITY_64BIT_BASE);
    free(buf);
}

static void test_screen_kinds(void **state)
{
    (void)state;
    size_t used;
    static const uint8_t zero[SI_SIZE];
    fx_bi.efi_system_table64 = 0; /* BIOS VBE: lfb_size counts 64 KiB */
    uint8_t *buf = build(&fx_in, INFO_PADDR, &used);
    assert_int_equal(buf[SI_ISVGA], VIDEO_TYPE_VLFB);
    assert_int_equal(rd32(buf, SI_LFB_SIZE), 4096 * 768 / 65536);
    free(buf);

    fx_bi.fb = (struct framebuffer){ .addr = 0xb8000, .pitch = 160, .width = 80,
                                     .height = 25, .bpp = 16, .type = FB_EGA_TEXT };
    buf = build(&fx_in, INFO_PADDR, &used);
    assert_int_equal(buf[SI_ISVGA], VIDEO_TYPE_VGAC);
    assert_int_equal(buf[SI_VIDEO_MODE], 3);
    assert_int_equal(buf[SI_COLS], 80);
    assert_int_equal(buf[SI_LINES], 25);
    assert_int_equal(rd16(buf, SI_POINTS), 16);
    assert_int_equal(rd32(buf, SI_LFB_BASE), 0);
    free(buf);

    fx_bi.has_fb = false;
    buf = build(&fx_in, INFO_PADDR, &used);
    assert_memory_equal(buf, zero, SI_SIZE);
    free(buf);
}

/* More than 128 map entries: the rest in a SETUP_E820_EXT setup_data. */
static void test_e820_extension(void **state)
{
    (void)state;
    size_t used;
    static struct mem_region many[200];
    for (size_t i = 0; i < N(many); i++)
        many[i] = (struct mem_region){ 0x10000000 + i * 0x100000,
                                       0x10000000 + (i + 1) * 0x100000,
                                       i % 2 ? MEM_RESERVED : MEM_USABLE };
    memcpy(fx_bi.map, many, sizeof(many));
    fx_bi.map_count = N(many);
    fx_in.reserved_count = 0;
    uint8_t *buf = build(&fx_in, INFO_PADDR, &used);
    assert_int_equal(buf[BP_E820_ENTRIES], E820_ZEROPAGE_MAX);
    expect_e820(buf, BP_E820_TABLE, many, E820_ZEROPAGE_MAX);
    uint64_t sd = rd64(buf, BP_SETUP_DATA);
    size_t rest = N(many) - E820_ZEROPAGE_MAX;
    assert_int_equal(sd % 8, 0);
    size_t off = inside(INFO_PADDR, used, sd, 16 + rest * E820_ENTRY);
    assert_int_equal(rd64(buf, off), 0);                  /* next */
    assert_int_equal(rd32(buf, off + 8), SETUP_E820_EXT); /* type */
    assert_int_equal(rd32(buf, off + 12), rest * E820_ENTRY);
    expect_e820(buf, off + 16, many + E820_ZEROPAGE_MAX, rest);
    expect_rest_zero(buf, E820_ZEROPAGE_MAX);
    free(buf);
}

static void test_without_initrd(void **state)
{
    (void)state;
    size_t used;
    fx_in.has_initrd = false;
    uint8_t *buf = build(&fx_in, INFO_PADDR, &used);
    assert_int_equal(split64(buf, BP_RAMDISK_IMAGE, BP_EXT_RAMDISK_IMAGE), 0);
    assert_int_equal(split64(buf, BP_RAMDISK_SIZE, BP_EXT_RAMDISK_SIZE), 0);
    /* Now nothing exempts module 0: listed as reserved, it is marked. */
    assert_int_equal(buf[BP_E820_ENTRIES], N(fx_e820) + 2);
    free(buf);
}

static void test_every_short_capacity(void **state)
{
    (void)state;
    fx_in.rsdp_addr = 0;
    fx_every_short_capacity(&proto);
}

static void expect_build_error(paddr_t paddr, int code, const char *part)
{
    fx_expect_build_error(&proto, &fx_in, paddr, code, part);
}

static void test_refusals(void **state)
{
    (void)state;
    static char longline[2049];
    memset(longline, 'x', 2048);
    fx_in.cmdline = longline;
    expect_build_error(INFO_PADDR, HOP_ERR_RANGE, "command line of 2048 bytes");
    longline[2047] = 0; /* 2047 is the most Linux reads */
    size_t used;
    free(build(&fx_in, INFO_PADDR, &used));
    fixture();
    fx_in.initrd_index = 2;
    expect_build_error(INFO_PADDR, HOP_ERR_INVALID, "initrd is module 2 of 2");
    fixture();
    fx_bi.fb.width = 70000;
    expect_build_error(INFO_PADDR, HOP_ERR_RANGE, "16-bit");
    fixture();
    fx_bi.fb = (struct framebuffer){ .width = 300, .height = 25, .type = FB_EGA_TEXT };
    expect_build_error(INFO_PADDR, HOP_ERR_RANGE, "8-bit");
    fixture();
    expect_build_error(INFO_PADDR + 8, HOP_ERR_INVALID, "aligned");
    expect_build_error(UINT64_MAX - 0xfff, HOP_ERR_RANGE, "pass");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_realistic, setup),
        cmocka_unit_test_setup(test_rsdp_copy, setup),
        cmocka_unit_test_setup(test_above_4gib, setup),
        cmocka_unit_test_setup(test_screen_kinds, setup),
        cmocka_unit_test_setup(test_e820_extension, setup),
        cmocka_unit_test_setup(test_without_initrd, setup),
        cmocka_unit_test_setup(test_every_short_capacity, setup),
        cmocka_unit_test_setup(test_refusals, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
