/* Unit tests of src/parse/bootinfo*.c: multiboot2 and multiboot1 info blocks
 * built by hand in a simulated physical memory, and malformed input of every
 * kind the parsers must refuse.  The map normalization is test_memmap.c's.
 *
 * The simulated memory hands out a fresh heap copy of exactly the range asked
 * for on every map, so AddressSanitizer catches any read beyond a view, not
 * just beyond the whole memory.  The layouts below are transcribed from the
 * specifications independently of the parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse/bootinfo.h"
#include "map_expect.h"

/* ---- specification constants (Multiboot2 3.6, Multiboot 0.6.96 3.3, UEFI) */

enum {
    TAG_END = 0, TAG_CMDLINE = 1, TAG_LOADER_NAME = 2, TAG_MODULE = 3, TAG_MEMINFO = 4,
    TAG_BOOTDEV = 5, TAG_MMAP = 6, TAG_FRAMEBUFFER = 8, TAG_ELF_SECTIONS = 9,
    TAG_EFI64 = 12, TAG_SMBIOS = 13, TAG_ACPI_OLD = 14, TAG_ACPI_NEW = 15,
    TAG_EFI_MMAP = 17, TAG_EFI_BS = 18, TAG_EFI64_IH = 20, TAG_LOAD_BASE = 21,
};

enum {
    MB1_MEM = 1 << 0, MB1_CMDLINE = 1 << 2, MB1_MODS = 1 << 3, MB1_MMAP = 1 << 6,
    MB1_LOADER_NAME = 1 << 9, MB1_FB = 1 << 12,
};

/* multiboot1 info field offsets */
enum {
    MB1_OFF_FLAGS = 0, MB1_OFF_MEM_LOWER = 4, MB1_OFF_MEM_UPPER = 8, MB1_OFF_CMDLINE = 16,
    MB1_OFF_MODS_COUNT = 20, MB1_OFF_MODS_ADDR = 24, MB1_OFF_MMAP_LENGTH = 44,
    MB1_OFF_MMAP_ADDR = 48, MB1_OFF_LOADER_NAME = 64, MB1_OFF_FB_ADDR = 88,
    MB1_OFF_FB_PITCH = 96, MB1_OFF_FB_WIDTH = 100, MB1_OFF_FB_HEIGHT = 104,
    MB1_OFF_FB_BPP = 108, MB1_OFF_FB_TYPE = 109, MB1_OFF_FB_COLOR = 110, MB1_INFO_SIZE = 116,
};

enum {
    EFI_RESERVED = 0, EFI_LOADER_CODE = 1, EFI_LOADER_DATA = 2, EFI_BS_CODE = 3,
    EFI_BS_DATA = 4, EFI_RT_CODE = 5, EFI_RT_DATA = 6, EFI_CONVENTIONAL = 7,
    EFI_UNUSABLE = 8, EFI_ACPI_RECLAIM = 9, EFI_ACPI_NVS = 10, EFI_MMIO = 11,
    EFI_PERSISTENT = 14,
};

#define EFI_DESC_SIZE 48 /* what real firmware uses (the structure is 40) */
#define PAGE 4096u

/* ---- simulated physical memory ------------------------------------------ */

#define SIM_BASE 0x10000u
#define SIM_SIZE (128u * 1024u)

struct sim {
    paddr_t base;
    uint8_t *mem;
    size_t size;
    size_t used; /* bump allocator for sim_put */
    void **views;
    size_t nviews, cap;
};

static const void *sim_map(void *ctx, paddr_t addr, size_t len)
{
    struct sim *s = ctx;
    if (addr < s->base)
        return NULL;
    paddr_t off = addr - s->base;
    if (off > s->size || len > s->size - off)
        return NULL;
    if (s->nviews == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->views = realloc(s->views, s->cap * sizeof(*s->views));
        assert_non_null(s->views);
    }
    uint8_t *view = malloc(len ? len : 1);
    assert_non_null(view);
    memcpy(view, s->mem + off, len);
    s->views[s->nviews++] = view;
    return view;
}

static struct sim *sim_new(paddr_t base, size_t size)
{
    struct sim *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->base = base;
    s->size = size;
    s->mem = calloc(1, size ? size : 1);
    assert_non_null(s->mem);
    return s;
}

static void sim_free(struct sim *s)
{
    for (size_t i = 0; i < s->nviews; i++)
        free(s->views[i]);
    free(s->views);
    free(s->mem);
    free(s);
}

static struct phys_access sim_access(struct sim *s)
{
    return (struct phys_access){ .map = sim_map, .ctx = s };
}

/* Copies len bytes into the simulated memory, 8-aligned; returns the address. */
static paddr_t sim_put(struct sim *s, const void *data, size_t len)
{
    size_t off = (s->used + 7) & ~(size_t)7;
    assert_true(off + len <= s->size);
    memcpy(s->mem + off, data, len);
    s->used = off + len;
    return s->base + off;
}

static paddr_t sim_put_str(struct sim *s, const char *str)
{
    return sim_put(s, str, strlen(str) + 1);
}

/* ---- byte buffers ------------------------------------------------------ */

struct blob {
    uint8_t b[32768];
    size_t n;
};

static void put(struct blob *x, const void *data, size_t len)
{
    assert_true(x->n + len <= sizeof(x->b));
    memcpy(x->b + x->n, data, len);
    x->n += len;
}

static void put8(struct blob *x, uint8_t v) { put(x, &v, 1); }
static void put16(struct blob *x, uint16_t v) { put(x, &v, 2); }
static void put32(struct blob *x, uint32_t v) { put(x, &v, 4); }
static void put64(struct blob *x, uint64_t v) { put(x, &v, 8); }
static void putstr(struct blob *x, const char *s) { put(x, s, strlen(s) + 1); }
static void set32(struct blob *x, size_t off, uint32_t v) { memcpy(x->b + off, &v, 4); }

/* ---- multiboot2 builder ------------------------------------------------- */

static void mb2_begin(struct blob *x)
{
    x->n = 0;
    put32(x, 0); /* total_size, patched by mb2_finish */
    put32(x, 0);
}

/* Starts a tag; returns its offset for tag_close. */
static size_t tag_open(struct blob *x, uint32_t type)
{
    size_t off = x->n;
    put32(x, type);
    put32(x, 0);
    return off;
}

static void tag_close(struct blob *x, size_t off)
{
    set32(x, off + 4, (uint32_t)(x->n - off));
    while (x->n % 8)
        put8(x, 0);
}

static void tag_string(struct blob *x, uint32_t type, const char *s)
{
    size_t t = tag_open(x, type);
    putstr(x, s);
    tag_close(x, t);
}

static void tag_module(struct blob *x, uint32_t start, uint32_t end, const char *s)
{
    size_t t = tag_open(x, TAG_MODULE);
    put32(x, start);
    put32(x, end);
    putstr(x, s);
    tag_close(x, t);
}

struct e820 {
    uint64_t base, length;
    uint32_t type;
};

static void tag_mmap(struct blob *x, const struct e820 *e, size_t n)
{
    size_t t = tag_open(x, TAG_MMAP);
    put32(x, 24);
    put32(x, 0);
    for (size_t i = 0; i < n; i++) {
        put64(x, e[i].base);
        put64(x, e[i].length);
        put32(x, e[i].type);
        put32(x, 0);
    }
    tag_close(x, t);
}

struct efi_desc {
    uint32_t type;
    uint64_t start, pages;
};

static void tag_efi_mmap(struct blob *x, const struct efi_desc *d, size_t n, uint32_t desc_size)
{
    size_t t = tag_open(x, TAG_EFI_MMAP);
    put32(x, desc_size);
    put32(x, 1);
    for (size_t i = 0; i < n; i++) {
        size_t start = x->n;
        put32(x, d[i].type);
        put32(x, 0);
        put64(x, d[i].start);
        put64(x, 0); /* VirtualStart */
        put64(x, d[i].pages);
        put64(x, 0xf); /* Attribute */
        while (x->n - start < desc_size)
            put8(x, 0);
    }
    tag_close(x, t);
}

static void mb2_finish(struct blob *x)
{
    size_t t = tag_open(x, TAG_END);
    tag_close(x, t);
    set32(x, 0, (uint32_t)x->n);
}

/* ---- assertions -------------------------------------------------------- */

static struct bootinfo bi; /* 8 KiB: kept off the stack */

/* The memory of the last parse_mb2_blob: kept until the next one, since bi
 * points into its views. */
static struct sim *live_sim;

static void live_sim_free(void)
{
    if (live_sim)
        sim_free(live_sim);
    live_sim = NULL;
}

/* Parses blob x placed in a fresh simulated memory; returns the status. */
static int parse_mb2_blob(const struct blob *x, struct hop_error *err)
{
    live_sim_free();
    live_sim = sim_new(SIM_BASE, SIM_SIZE);
    paddr_t addr = sim_put(live_sim, x->b, x->n);
    struct phys_access pa = sim_access(live_sim);
    return bootinfo_parse(&bi, MB2_BOOTLOADER_MAGIC, addr, &pa, err);
}

static void expect_mb2_error(const struct blob *x, int code, const char *msg_part)
{
    struct hop_error err = { 0 };
    int rc = parse_mb2_blob(x, &err);
    if (rc != code || !strstr(err.msg, msg_part))
        print_message("  rc %d, message: %s\n", rc, err.msg);
    assert_int_equal(rc, code);
    assert_non_null(strstr(err.msg, msg_part));
}

/* ==========================================================================
 * multiboot2: a realistic block
 * ========================================================================== */

static const struct e820 qemu_e820[] = {
    { 0, 0x9fc00, 1 },
    { 0x9fc00, 0x400, 2 },
    { 0xf0000, 0x10000, 2 },
    { 0x100000, 0x7ee0000, 1 },
    { 0x7fe0000, 0x20000, 2 },
    { 0xfeffc000, 0x4000, 2 },
    { 0xfffc0000, 0x40000, 2 },
    { 0xfd00000000, 0x300000000, 2 },
};

static const uint8_t rsdp_v1[20] = "RSD PTR \x42OEMID\0\x00\xe0\x0f\x00";
static const uint8_t rsdp_v2[36] = "RSD PTR \x17" "BOCHS \x02\x00\x00\x00\x00\x24\x00\x00\x00";

/* What GRUB hands a kernel booted in QEMU with two modules. */
static void build_realistic_mb2(struct blob *x)
{
    mb2_begin(x);
    tag_string(x, TAG_CMDLINE, "hop.elf verbose timeout=3");
    tag_string(x, TAG_LOADER_NAME, "GRUB 2.06-13+deb12u1");
    tag_module(x, 0x200000, 0x2a1234, "/boot/kernel.elf console=ttyS0");
    tag_module(x, 0x2a2000, 0x2a2000, "initrd.cpio");
    size_t t = tag_open(x, TAG_MEMINFO);
    put32(x, 639);
    put32(x, 130048);
    tag_close(x, t);
    t = tag_open(x, TAG_BOOTDEV);
    put32(x, 0x80);
    put32(x, 0);
    put32(x, 0xffffffff);
    tag_close(x, t);
    tag_mmap(x, qemu_e820, sizeof(qemu_e820) / sizeof(qemu_e820[0]));
    t = tag_open(x, TAG_FRAMEBUFFER);
    put64(x, 0xfd000000);
    put32(x, 4096);
    put32(x, 1024);
    put32(x, 768);
    put8(x, 32);
    put8(x, 1); /* RGB */
    put16(x, 0);
    put8(x, 16), put8(x, 8), put8(x, 8), put8(x, 8), put8(x, 0), put8(x, 8);
    tag_close(x, t);
    t = tag_open(x, TAG_ELF_SECTIONS);
    put32(x, 0x12345678);
    tag_close(x, t);
    t = tag_open(x, TAG_ACPI_OLD);
    put(x, rsdp_v1, sizeof(rsdp_v1));
    tag_close(x, t);
    t = tag_open(x, TAG_ACPI_NEW);
    put(x, rsdp_v2, sizeof(rsdp_v2));
    tag_close(x, t);
    t = tag_open(x, TAG_SMBIOS);
    put8(x, 3), put8(x, 2);
    put(x, "\0\0\0\0\0\0", 6);
    put(x, "_SM3_table", 10);
    tag_close(x, t);
    t = tag_open(x, TAG_EFI64);
    put64(x, 0x7f9e018);
    tag_close(x, t);
    t = tag_open(x, TAG_EFI64_IH);
    put64(x, 0x7e5e000);
    tag_close(x, t);
    t = tag_open(x, TAG_LOAD_BASE);
    put32(x, 0x100000);
    tag_close(x, t);
    t = tag_open(x, 0x4242); /* a type from a future spec: skipped */
    put32(x, 0xdeadbeef);
    tag_close(x, t);
    mb2_finish(x);
}

static void test_mb2_realistic(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    struct hop_error err = { 0 };
    build_realistic_mb2(x);
    assert_int_equal(parse_mb2_blob(x, &err), HOP_OK);

    assert_int_equal(bi.proto, BOOT_PROTO_MB2);
    assert_int_equal(bi.info_addr, SIM_BASE);
    assert_int_equal(bi.info_size, x->n);
    assert_string_equal(bi.cmdline, "hop.elf verbose timeout=3");
    assert_string_equal(bi.loader_name, "GRUB 2.06-13+deb12u1");
    assert_int_equal(bi.module_count, 2);
    assert_int_equal(bi.modules[0].start, 0x200000);
    assert_int_equal(bi.modules[0].end, 0x2a1234);
    assert_string_equal(bi.modules[0].cmdline, "/boot/kernel.elf console=ttyS0");
    assert_int_equal(bi.modules[1].start, 0x2a2000);
    assert_int_equal(bi.modules[1].end, 0x2a2000);
    assert_string_equal(bi.modules[1].cmdline, "initrd.cpio");
    assert_true(bi.has_meminfo);
    assert_int_equal(bi.mem_lower_kib, 639);
    assert_int_equal(bi.mem_upper_kib, 130048);

    assert_false(bi.map_from_efi);
    EXPECT_MAP(&bi, { 0, 0x9fc00, MEM_USABLE }, { 0x9fc00, 0xa0000, MEM_RESERVED },
               { 0xf0000, 0x100000, MEM_RESERVED }, { 0x100000, 0x7fe0000, MEM_USABLE },
               { 0x7fe0000, 0x8000000, MEM_RESERVED }, { 0xfeffc000, 0xff000000, MEM_RESERVED },
               { 0xfffc0000, 0x100000000, MEM_RESERVED },
               { 0xfd00000000, 0x10000000000, MEM_RESERVED });
    assert_int_equal(bootinfo_total(&bi, MEM_USABLE), 0x9fc00 + 0x7ee0000);

    assert_true(bi.has_fb);
    assert_int_equal(bi.fb.addr, 0xfd000000);
    assert_int_equal(bi.fb.pitch, 4096);
    assert_int_equal(bi.fb.width, 1024);
    assert_int_equal(bi.fb.height, 768);
    assert_int_equal(bi.fb.bpp, 32);
    assert_int_equal(bi.fb.type, FB_RGB);
    assert_int_equal(bi.fb.red_pos, 16);
    assert_int_equal(bi.fb.red_size, 8);
    assert_int_equal(bi.fb.green_pos, 8);
    assert_int_equal(bi.fb.green_size, 8);
    assert_int_equal(bi.fb.blue_pos, 0);
    assert_int_equal(bi.fb.blue_size, 8);

    assert_int_equal(bi.rsdp_v1_len, sizeof(rsdp_v1));
    assert_memory_equal(bi.rsdp_v1, rsdp_v1, sizeof(rsdp_v1));
    assert_int_equal(bi.rsdp_v2_len, sizeof(rsdp_v2));
    assert_memory_equal(bi.rsdp_v2, rsdp_v2, sizeof(rsdp_v2));
    assert_int_equal(bi.smbios_major, 3);
    assert_int_equal(bi.smbios_minor, 2);
    assert_int_equal(bi.smbios_len, 10);
    assert_memory_equal(bi.smbios, "_SM3_table", 10);
    assert_int_equal(bi.efi_system_table64, 0x7f9e018);
    assert_int_equal(bi.efi_image_handle64, 0x7e5e000);
    assert_int_equal(bi.efi_system_table32, 0);
    assert_true(bi.has_load_base);
    assert_int_equal(bi.load_base, 0x100000);
    assert_null(bi.efi_mmap);
    assert_false(bi.efi_boot_services_active);

    const struct boot_module *m = bootinfo_find_module(&bi, "initrd.cpio");
    assert_ptr_equal(m, &bi.modules[1]);
    assert_ptr_equal(bootinfo_find_module(&bi, "/boot/kernel.elf"), &bi.modules[0]);
    assert_ptr_equal(bootinfo_find_module(&bi, "boot/kernel.elf"), &bi.modules[0]);
    free(x);
}

/* An empty block (header and end tag) is valid and gives nothing. */
static void test_mb2_minimal(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    mb2_begin(x);
    mb2_finish(x);
    assert_int_equal(x->n, 16);
    assert_int_equal(parse_mb2_blob(x, NULL), HOP_OK);
    assert_string_equal(bi.cmdline, "");
    assert_string_equal(bi.loader_name, "");
    assert_int_equal(bi.module_count, 0);
    assert_int_equal(bi.map_count, 0);
    assert_false(bi.has_fb);
    assert_false(bi.has_meminfo);
    free(x);
}

/* ---- EFI memory map ---- */

static const struct efi_desc efi_descs[] = {
    { EFI_CONVENTIONAL, 0, 0x9f },
    { EFI_RESERVED, 0x9f000, 1 },
    { EFI_LOADER_CODE, 0x100000, 0x10 },
    { EFI_LOADER_DATA, 0x110000, 0xf0 },
    { EFI_BS_CODE, 0x200000, 0x100 },
    { EFI_BS_DATA, 0x300000, 0x100 },
    { EFI_UNUSABLE, 0x400000, 1 },
    { EFI_CONVENTIONAL, 0x401000, 0x3bff },
    { EFI_RT_CODE, 0x4000000, 0x10 },
    { EFI_RT_DATA, 0x4010000, 0x10 },
    { EFI_ACPI_RECLAIM, 0x7fe0000, 0x10 },
    { EFI_ACPI_NVS, 0x7ff0000, 0x10 },
    { EFI_MMIO, 0xfee00000, 1 },
    { EFI_PERSISTENT, 0x100000000, 0x100 },
    { 0x70000000, 0x200000000, 1 }, /* OEM type */
};

static void build_efi_mb2(struct blob *x, bool boot_services_active)
{
    mb2_begin(x);
    /* The multiboot memory map disagrees on purpose: it must be ignored. */
    tag_mmap(x, qemu_e820, 2);
    if (boot_services_active) {
        size_t t = tag_open(x, TAG_EFI_BS);
        tag_close(x, t);
    }
    tag_efi_mmap(x, efi_descs, sizeof(efi_descs) / sizeof(efi_descs[0]), EFI_DESC_SIZE);
    mb2_finish(x);
}

static void test_mb2_efi_mmap_preferred(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    build_efi_mb2(x, false);
    assert_int_equal(parse_mb2_blob(x, NULL), HOP_OK);
    assert_true(bi.map_from_efi);
    assert_false(bi.efi_boot_services_active);
    assert_int_equal(bi.efi_desc_size, EFI_DESC_SIZE);
    assert_int_equal(bi.efi_desc_version, 1);
    assert_int_equal(bi.efi_mmap_size, EFI_DESC_SIZE * (sizeof(efi_descs) / sizeof(efi_descs[0])));
    assert_non_null(bi.efi_mmap);
    EXPECT_MAP(&bi, { 0, 0x9f000, MEM_USABLE }, { 0x9f000, 0xa0000, MEM_RESERVED },
               { 0x100000, 0x400000, MEM_USABLE }, { 0x400000, 0x401000, MEM_BAD },
               { 0x401000, 0x4000000, MEM_USABLE }, { 0x4000000, 0x4020000, MEM_RESERVED },
               { 0x7fe0000, 0x7ff0000, MEM_ACPI_RECLAIM }, { 0x7ff0000, 0x8000000, MEM_ACPI_NVS },
               { 0xfee00000, 0xfee01000, MEM_RESERVED },
               { 0x100000000, 0x100100000, MEM_PERSISTENT },
               { 0x200000000, 0x200001000, MEM_RESERVED });
    free(x);
}

static void test_mb2_efi_boot_services_active(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    build_efi_mb2(x, true);
    assert_int_equal(parse_mb2_blob(x, NULL), HOP_OK);
    assert_true(bi.map_from_efi);
    assert_true(bi.efi_boot_services_active);
    /* Boot services code and data stay with the firmware. */
    EXPECT_MAP(&bi, { 0, 0x9f000, MEM_USABLE }, { 0x9f000, 0xa0000, MEM_RESERVED },
               { 0x100000, 0x200000, MEM_USABLE }, { 0x200000, 0x400000, MEM_RESERVED },
               { 0x400000, 0x401000, MEM_BAD }, { 0x401000, 0x4000000, MEM_USABLE },
               { 0x4000000, 0x4020000, MEM_RESERVED },
               { 0x7fe0000, 0x7ff0000, MEM_ACPI_RECLAIM }, { 0x7ff0000, 0x8000000, MEM_ACPI_NVS },
               { 0xfee00000, 0xfee01000, MEM_RESERVED },
               { 0x100000000, 0x100100000, MEM_PERSISTENT },
               { 0x200000000, 0x200001000, MEM_RESERVED });
    free(x);
}

/* Tag 18 before or after tag 17: the result is the same. */
static void test_mb2_efi_bs_tag_order(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    const struct efi_desc d[] = { { EFI_BS_DATA, 0x100000, 0x10 } };
    mb2_begin(x);
    tag_efi_mmap(x, d, 1, EFI_DESC_SIZE);
    size_t t = tag_open(x, TAG_EFI_BS);
    tag_close(x, t);
    mb2_finish(x);
    assert_int_equal(parse_mb2_blob(x, NULL), HOP_OK);
    EXPECT_MAP(&bi, { 0x100000, 0x110000, MEM_RESERVED });
    free(x);
}

/* An EFI map without descriptors gives way to the multiboot memory map. */
static void test_mb2_empty_efi_mmap_falls_back(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    mb2_begin(x);
    tag_efi_mmap(x, NULL, 0, EFI_DESC_SIZE);
    tag_mmap(x, qemu_e820, 1);
    mb2_finish(x);
    assert_int_equal(parse_mb2_blob(x, NULL), HOP_OK);
    assert_false(bi.map_from_efi);
    EXPECT_MAP(&bi, { 0, 0x9fc00, MEM_USABLE });
    free(x);
}

/* EFI page counts whose byte size or end passes 2^64 are clipped there. */
static void test_mb2_efi_huge_descriptors(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    const struct efi_desc d[] = {
        { EFI_CONVENTIONAL, 0x1000, UINT64_MAX / 2 },     /* pages * 4096 overflows */
        { EFI_RESERVED, UINT64_MAX - 0xfff, 2 },            /* end overflows */
    };
    mb2_begin(x);
    tag_efi_mmap(x, d, 2, 40);
    mb2_finish(x);
    assert_int_equal(parse_mb2_blob(x, NULL), HOP_OK);
    EXPECT_MAP(&bi, { 0x1000, UINT64_MAX - 0xfff, MEM_USABLE },
               { UINT64_MAX - 0xfff, UINT64_MAX, MEM_RESERVED });
    free(x);
}

static void test_mb2_meminfo_only(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    mb2_begin(x);
    size_t t = tag_open(x, TAG_MEMINFO);
    put32(x, 639);
    put32(x, 0x3fc00); /* 255 MiB */
    tag_close(x, t);
    mb2_finish(x);
    assert_int_equal(parse_mb2_blob(x, NULL), HOP_OK);
    EXPECT_MAP(&bi, { 0, 639 * 1024, MEM_USABLE }, { 0x100000, 0x10000000, MEM_USABLE });
    free(x);
}

/* A later tag of a kind there is one of replaces the earlier. */
static void test_mb2_duplicate_tags(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    mb2_begin(x);
    tag_string(x, TAG_CMDLINE, "first");
    tag_string(x, TAG_CMDLINE, "second");
    mb2_finish(x);
    assert_int_equal(parse_mb2_blob(x, NULL), HOP_OK);
    assert_string_equal(bi.cmdline, "second");
    free(x);
}

/* Tags after the end tag are not looked at, however broken. */
static void test_mb2_data_after_end_tag(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    mb2_begin(x);
    tag_string(x, TAG_CMDLINE, "x");
    size_t t = tag_open(x, TAG_END);
    tag_close(x, t);
    put32(x, TAG_MMAP);
    put32(x, 3); /* a broken tag */
    set32(x, 0, (uint32_t)x->n);
    assert_int_equal(parse_mb2_blob(x, NULL), HOP_OK);
    assert_string_equal(bi.cmdline, "x");
    free(x);
}

static void test_mb2_framebuffer_kinds(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));

    /* indexed: a palette of 2 colors */
    mb2_begin(x);
    size_t t = tag_open(x, TAG_FRAMEBUFFER);
    put64(x, 0xa0000), put32(x, 320), put32(x, 320), put32(x, 200);
    put8(x, 8), put8(x, 0), put16(x, 0);
    put16(x, 2);
    put(x, "\x00\x00\x00\xff\xff\xff", 6);
    tag_close(x, t);
    mb2_finish(x);
    assert_int_equal(parse_mb2_blob(x, NULL), HOP_OK);
    assert_true(bi.has_fb);
    assert_int_equal(bi.fb.type, FB_INDEXED);
    assert_int_equal(bi.fb.width, 320);

    /* EGA text */
    mb2_begin(x);
    t = tag_open(x, TAG_FRAMEBUFFER);
    put64(x, 0xb8000), put32(x, 160), put32(x, 80), put32(x, 25);
    put8(x, 16), put8(x, 2), put16(x, 0);
    tag_close(x, t);
    mb2_finish(x);
    assert_int_equal(parse_mb2_blob(x, NULL), HOP_OK);
    assert_true(bi.has_fb);
    assert_int_equal(bi.fb.type, FB_EGA_TEXT);
    assert_int_equal(bi.fb.height, 25);

    /* an unknown kind: as if absent */
    mb2_begin(x);
    t = tag_open(x, TAG_FRAMEBUFFER);
    put64(x, 0xb8000), put32(x, 160), put32(x, 80), put32(x, 25);
    put8(x, 16), put8(x, 7), put16(x, 0);
    tag_close(x, t);
    mb2_finish(x);
    assert_int_equal(parse_mb2_blob(x, NULL), HOP_OK);
    assert_false(bi.has_fb);
    free(x);
}

/* ==========================================================================
 * multiboot2: malformed blocks
 * ========================================================================== */

/* Every prefix of a valid block, cut off by the end of memory, and every
 * smaller total_size: each must fail cleanly. */
static void test_mb2_truncated_everywhere(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    build_realistic_mb2(x);
    for (size_t k = 0; k < x->n; k++) {
        struct sim *s = sim_new(SIM_BASE, k);
        memcpy(s->mem, x->b, k);
        struct phys_access pa = sim_access(s);
        struct hop_error err = { 0 };
        assert_int_not_equal(bootinfo_parse(&bi, MB2_BOOTLOADER_MAGIC, SIM_BASE, &pa, &err),
                             HOP_OK);
        assert_true(err.msg[0] != 0);
        sim_free(s);
    }
    for (size_t k = 0; k < x->n; k++) {
        struct blob *y = malloc(sizeof(*y));
        memcpy(y, x, sizeof(*y));
        set32(y, 0, (uint32_t)k);
        assert_int_not_equal(parse_mb2_blob(y, NULL), HOP_OK);
        free(y);
    }
    free(x);
}

/* Every byte of a valid block replaced by a few values: parsing may fail or
 * succeed but never crash or read outside a view (ASan watches). */
static void test_mb2_corrupted_everywhere(void **state)
{
    (void)state;
    static const uint8_t values[] = { 0x00, 0x01, 0x07, 0x80, 0xff };
    struct blob *x = malloc(sizeof(*x));
    struct blob *y = malloc(sizeof(*y));
    build_realistic_mb2(x);
    for (size_t i = 0; i < x->n; i++) {
        for (size_t v = 0; v < sizeof(values); v++) {
            memcpy(y, x, sizeof(*y));
            y->b[i] = values[v];
            struct hop_error err = { 0 };
            int rc = parse_mb2_blob(y, &err);
            if (rc == HOP_OK) {
                assert_non_null(bi.cmdline);
                assert_non_null(bi.loader_name);
            } else {
                assert_true(err.msg[0] != 0);
            }
        }
    }
    free(y);
    free(x);
}

static void test_mb2_bad_total_size(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    mb2_begin(x);
    mb2_finish(x);
    set32(x, 0, 8);
    expect_mb2_error(x, HOP_ERR_INVALID, "total_size 8 smaller than 16");
    set32(x, 0, 0x7fffffff);
    expect_mb2_error(x, HOP_ERR_INVALID, "total_size 0x7fffffff above the");
    set32(x, 0, SIM_SIZE + 8); /* plausible, but beyond the end of memory */
    expect_mb2_error(x, HOP_ERR_RANGE, "bytes not accessible");
    free(x);
}

static void test_mb2_info_not_accessible(void **state)
{
    (void)state;
    struct sim *s = sim_new(SIM_BASE, 64);
    struct phys_access pa = sim_access(s);
    struct hop_error err = { 0 };
    assert_int_equal(bootinfo_parse(&bi, MB2_BOOTLOADER_MAGIC, 0x1000, &pa, &err), HOP_ERR_RANGE);
    assert_string_equal(err.msg, "multiboot2 info at 0x1000: header not accessible");
    sim_free(s);

    /* A block that would wrap past 2^64 is refused before mapping it. */
    s = sim_new(UINT64_MAX - 63, 64);
    pa = sim_access(s);
    uint32_t header[2] = { 128, 0 };
    memcpy(s->mem + 32, header, sizeof(header));
    assert_int_equal(bootinfo_parse(&bi, MB2_BOOTLOADER_MAGIC, UINT64_MAX - 31, &pa, &err),
                     HOP_ERR_RANGE);
    assert_string_equal(err.msg, "multiboot2 info at 0xffffffffffffffe0: total_size 0x80 "
                                 "wraps past 2^64");
    /* ... but one ending at the last byte is fine. */
    uint32_t block[4] = { 32, 0, 0, 8 };
    memcpy(s->mem + 32, block, sizeof(block));
    assert_int_equal(bootinfo_parse(&bi, MB2_BOOTLOADER_MAGIC, UINT64_MAX - 31, &pa, &err),
                     HOP_OK);
    sim_free(s);
}

static void test_mb2_tag_size_below_header(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    mb2_begin(x);
    put32(x, TAG_CMDLINE);
    put32(x, 4);
    put32(x, 0), put32(x, 0);
    mb2_finish(x);
    expect_mb2_error(x, HOP_ERR_INVALID,
                     "multiboot2 info: tag 1 (command line) at offset 0x8: size 4 smaller "
                     "than the tag header");
    /* size 0 would loop forever if it were accepted */
    set32(x, 12, 0);
    expect_mb2_error(x, HOP_ERR_INVALID, "size 0 smaller than the tag header");
    free(x);
}

static void test_mb2_tag_beyond_total_size(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    mb2_begin(x);
    tag_string(x, TAG_CMDLINE, "abc");
    mb2_finish(x);
    set32(x, 12, 0x1000);
    expect_mb2_error(x, HOP_ERR_TRUNCATED, "tag 1 (command line) at offset 0x8: size 0x1000 "
                                           "extends beyond total_size 0x20");
    free(x);
}

static void test_mb2_missing_end_tag(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    mb2_begin(x);
    tag_string(x, TAG_CMDLINE, "abc");
    set32(x, 0, (uint32_t)x->n);
    expect_mb2_error(x, HOP_ERR_TRUNCATED, "no end tag within total_size 0x18");
    /* the last tag's padding runs past total_size */
    mb2_begin(x);
    tag_string(x, TAG_CMDLINE, "abcd"); /* size 13, padded to 16 */
    set32(x, 0, 8 + 13);
    expect_mb2_error(x, HOP_ERR_TRUNCATED, "no end tag");
    free(x);
}

static void test_mb2_unterminated_strings(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    static const uint32_t string_tags[] = { TAG_CMDLINE, TAG_LOADER_NAME };
    for (size_t i = 0; i < 2; i++) {
        mb2_begin(x);
        size_t t = tag_open(x, string_tags[i]);
        put(x, "abcdefgh", 8); /* no NUL; the padding's zeros lie outside the tag */
        tag_close(x, t);
        mb2_finish(x);
        expect_mb2_error(x, HOP_ERR_INVALID, "not NUL-terminated within size 16");
    }
    mb2_begin(x);
    size_t t = tag_open(x, TAG_MODULE);
    put32(x, 0x1000), put32(x, 0x2000);
    put(x, "mod", 3);
    tag_close(x, t);
    mb2_finish(x);
    expect_mb2_error(x, HOP_ERR_INVALID, "tag 3 (module) at offset 0x8: string at offset 16 "
                                         "not NUL-terminated within size 19");
    /* a string tag with no room for even the NUL */
    mb2_begin(x);
    t = tag_open(x, TAG_CMDLINE);
    tag_close(x, t);
    mb2_finish(x);
    expect_mb2_error(x, HOP_ERR_INVALID, "size 8 smaller than 9");
    free(x);
}

static void test_mb2_mmap_bad_entry_size(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    static const struct {
        uint32_t entry_size;
        const char *msg;
    } cases[] = {
        { 0, "entry_size 0 smaller than 24" },
        { 12, "multiboot2 info: tag 6 (memory map) at offset 0x8: entry_size 12 smaller than 24" },
        { 23, "entry_size 23 smaller than 24" },
        { 28, "entry_size 28 not a multiple of 8" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mb2_begin(x);
        size_t t = tag_open(x, TAG_MMAP);
        put32(x, cases[i].entry_size);
        put32(x, 0);
        put64(x, 0), put64(x, 0x1000), put32(x, 1), put32(x, 0);
        tag_close(x, t);
        mb2_finish(x);
        expect_mb2_error(x, HOP_ERR_INVALID, cases[i].msg);
    }
    free(x);
}

/* A larger entry_size (a later entry version) is the stride; a trailing
 * fragment shorter than one entry is ignored. */
static void test_mb2_mmap_stride(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    mb2_begin(x);
    size_t t = tag_open(x, TAG_MMAP);
    put32(x, 32);
    put32(x, 1);
    put64(x, 0x1000), put64(x, 0x1000), put32(x, 1), put32(x, 0), put64(x, 0xffffffffffffffff);
    put64(x, 0x3000), put64(x, 0x1000), put32(x, 3), put32(x, 0), put64(x, 0xffffffffffffffff);
    put64(x, 0x9000); /* fragment */
    tag_close(x, t);
    mb2_finish(x);
    assert_int_equal(parse_mb2_blob(x, NULL), HOP_OK);
    EXPECT_MAP(&bi, { 0x1000, 0x2000, MEM_USABLE }, { 0x3000, 0x4000, MEM_ACPI_RECLAIM });
    free(x);
}

static void test_mb2_module_end_below_start(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    mb2_begin(x);
    tag_module(x, 0x300000, 0x2fffff, "m");
    mb2_finish(x);
    expect_mb2_error(x, HOP_ERR_INVALID, "tag 3 (module) at offset 0x8: mod_end 0x2fffff below "
                                         "mod_start 0x300000");
    free(x);
}

static void test_mb2_too_many_modules(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    mb2_begin(x);
    for (int i = 0; i < BOOTINFO_MAX_MODULES; i++)
        tag_module(x, 0x100000 + i * 0x1000, 0x100800 + i * 0x1000, "m");
    mb2_finish(x);
    assert_int_equal(parse_mb2_blob(x, NULL), HOP_OK);
    assert_int_equal(bi.module_count, BOOTINFO_MAX_MODULES);

    mb2_begin(x);
    for (int i = 0; i <= BOOTINFO_MAX_MODULES; i++)
        tag_module(x, 0x100000 + i * 0x1000, 0x100800 + i * 0x1000, "m");
    mb2_finish(x);
    expect_mb2_error(x, HOP_ERR_LIMIT, "more than 64 modules");
    free(x);
}

static void test_mb2_efi_desc_too_small(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    const struct efi_desc d[] = { { EFI_CONVENTIONAL, 0, 1 } };
    mb2_begin(x);
    tag_efi_mmap(x, d, 1, 40);
    mb2_finish(x);
    assert_int_equal(parse_mb2_blob(x, NULL), HOP_OK);

    mb2_begin(x);
    tag_efi_mmap(x, d, 1, 32);
    mb2_finish(x);
    expect_mb2_error(x, HOP_ERR_INVALID, "tag 17 (EFI memory map) at offset 0x8: "
                                         "descriptor_size 32 smaller than 40");
    mb2_begin(x);
    tag_efi_mmap(x, NULL, 0, 0);
    mb2_finish(x);
    expect_mb2_error(x, HOP_ERR_INVALID, "descriptor_size 0 smaller than 40");
    free(x);
}

/* Each tag type must be long enough for the fields read from it. */
static void test_mb2_tag_minimum_sizes(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    static const struct {
        uint32_t type;
        uint32_t body; /* bytes after the header, all zero */
        const char *msg;
    } cases[] = {
        { TAG_MODULE, 8, "tag 3 (module) at offset 0x8: size 16 smaller than 17" },
        { TAG_MEMINFO, 4, "tag 4 (basic memory info) at offset 0x8: size 12 smaller than 16" },
        { TAG_MMAP, 4, "size 12 smaller than 16" },
        { TAG_FRAMEBUFFER, 20, "tag 8 (framebuffer) at offset 0x8: size 28 smaller than 32" },
        { 11, 0, "tag 11 (EFI32 system table) at offset 0x8: size 8 smaller than 12" },
        { TAG_EFI64, 4, "tag 12 (EFI64 system table) at offset 0x8: size 12 smaller than 16" },
        { TAG_SMBIOS, 4, "size 12 smaller than 16" },
        { TAG_ACPI_OLD, 8, "tag 14 (ACPI old RSDP) at offset 0x8: size 16 smaller than 28" },
        { TAG_ACPI_NEW, 20, "tag 15 (ACPI new RSDP) at offset 0x8: size 28 smaller than 44" },
        { TAG_EFI_MMAP, 4, "size 12 smaller than 16" },
        { 19, 0, "size 8 smaller than 12" },
        { TAG_EFI64_IH, 4, "size 12 smaller than 16" },
        { TAG_LOAD_BASE, 2, "tag 21 (image load base) at offset 0x8: size 10 smaller than 12" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mb2_begin(x);
        size_t t = tag_open(x, cases[i].type);
        for (uint32_t b = 0; b < cases[i].body; b++)
            put8(x, 0);
        tag_close(x, t);
        mb2_finish(x);
        expect_mb2_error(x, HOP_ERR_INVALID, cases[i].msg);
    }
    free(x);
}

static void test_mb2_framebuffer_color_info_bounds(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    /* RGB without its 6 color bytes */
    mb2_begin(x);
    size_t t = tag_open(x, TAG_FRAMEBUFFER);
    put64(x, 0xfd000000), put32(x, 4096), put32(x, 1024), put32(x, 768);
    put8(x, 32), put8(x, 1), put16(x, 0);
    put8(x, 16), put8(x, 8);
    tag_close(x, t);
    mb2_finish(x);
    expect_mb2_error(x, HOP_ERR_INVALID, "size 34 too small for RGB color_info");
    /* indexed with no room for num_colors */
    mb2_begin(x);
    t = tag_open(x, TAG_FRAMEBUFFER);
    put64(x, 0xa0000), put32(x, 320), put32(x, 320), put32(x, 200);
    put8(x, 8), put8(x, 0), put16(x, 0);
    tag_close(x, t);
    mb2_finish(x);
    expect_mb2_error(x, HOP_ERR_INVALID, "size 32 too small for the palette's num_colors");
    /* indexed with a palette larger than the tag */
    mb2_begin(x);
    t = tag_open(x, TAG_FRAMEBUFFER);
    put64(x, 0xa0000), put32(x, 320), put32(x, 320), put32(x, 200);
    put8(x, 8), put8(x, 0), put16(x, 0);
    put16(x, 256);
    put(x, "\1\2\3\4\5\6", 6);
    tag_close(x, t);
    mb2_finish(x);
    expect_mb2_error(x, HOP_ERR_INVALID, "tag 8 (framebuffer) at offset 0x8: palette of 256 "
                                         "colors beyond size 40");
    free(x);
}

static void test_mb2_too_many_regions(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    struct e820 *e = calloc(300, sizeof(*e));
    for (size_t i = 0; i < 300; i++)
        e[i] = (struct e820){ i * 0x2000, 0x1000, 1 }; /* disjoint, not touching */
    mb2_begin(x);
    tag_mmap(x, e, BOOTINFO_MAX_REGIONS);
    mb2_finish(x);
    assert_int_equal(parse_mb2_blob(x, NULL), HOP_OK);
    assert_int_equal(bi.map_count, BOOTINFO_MAX_REGIONS);

    mb2_begin(x);
    tag_mmap(x, e, 300);
    mb2_finish(x);
    expect_mb2_error(x, HOP_ERR_LIMIT, "tag 6 (memory map) at offset 0x8: entry 256 makes more "
                                       "than 256 memory regions");
    /* Touching entries of one type merge, so many raw entries can fit. */
    for (size_t i = 0; i < 300; i++)
        e[i] = (struct e820){ i * 0x1000, 0x1000, 1 };
    mb2_begin(x);
    tag_mmap(x, e, 300);
    mb2_finish(x);
    assert_int_equal(parse_mb2_blob(x, NULL), HOP_OK);
    EXPECT_MAP(&bi, { 0, 300 * 0x1000, MEM_USABLE });

    /* the same through the EFI memory map */
    struct efi_desc *d = calloc(300, sizeof(*d));
    for (size_t i = 0; i < 300; i++)
        d[i] = (struct efi_desc){ EFI_CONVENTIONAL, i * 0x2000, 1 };
    mb2_begin(x);
    tag_efi_mmap(x, d, 300, EFI_DESC_SIZE);
    mb2_finish(x);
    expect_mb2_error(x, HOP_ERR_LIMIT, "tag 17 (EFI memory map) at offset 0x8: descriptor 256 "
                                       "makes more than 256 memory regions");
    free(d);
    free(e);
    free(x);
}

/* ==========================================================================
 * multiboot1
 * ========================================================================== */

struct mb1_build {
    uint8_t info[MB1_INFO_SIZE];
};

static void mb1_set32(struct mb1_build *b, size_t off, uint32_t v) { memcpy(b->info + off, &v, 4); }
static void mb1_set64(struct mb1_build *b, size_t off, uint64_t v) { memcpy(b->info + off, &v, 8); }

static paddr_t mb1_put_mmap(struct sim *s, const struct e820 *e, size_t n, uint32_t entry_size,
                            size_t *len)
{
    struct blob *x = malloc(sizeof(*x));
    x->n = 0;
    for (size_t i = 0; i < n; i++) {
        size_t start = x->n;
        put32(x, entry_size);
        put64(x, e[i].base);
        put64(x, e[i].length);
        put32(x, e[i].type);
        while (x->n - start < entry_size + 4)
            put8(x, 0xee);
    }
    *len = x->n;
    paddr_t addr = sim_put(s, x->b, x->n);
    free(x);
    return addr;
}

/* GRUB-like multiboot1 info: returns its address in s. */
static paddr_t build_realistic_mb1(struct sim *s, struct mb1_build *b)
{
    uint32_t mods[2][4];
    size_t mmap_len;
    memset(b, 0, sizeof(*b));
    mods[0][0] = 0x200000, mods[0][1] = 0x280000;
    mods[0][2] = (uint32_t)sim_put_str(s, "/boot/kernel.elf quiet"), mods[0][3] = 0;
    mods[1][0] = 0x280000, mods[1][1] = 0x281000;
    mods[1][2] = (uint32_t)sim_put_str(s, "initrd"), mods[1][3] = 0;
    mb1_set32(b, MB1_OFF_FLAGS, MB1_MEM | MB1_CMDLINE | MB1_MODS | MB1_MMAP | MB1_LOADER_NAME |
                                    MB1_FB);
    mb1_set32(b, MB1_OFF_MEM_LOWER, 639);
    mb1_set32(b, MB1_OFF_MEM_UPPER, 130048);
    mb1_set32(b, MB1_OFF_CMDLINE, (uint32_t)sim_put_str(s, "hop.elf mb1"));
    mb1_set32(b, MB1_OFF_MODS_COUNT, 2);
    mb1_set32(b, MB1_OFF_MODS_ADDR, (uint32_t)sim_put(s, mods, sizeof(mods)));
    /* size 24: entries with the ACPI 3 extended attributes field */
    mb1_set32(b, MB1_OFF_MMAP_ADDR, (uint32_t)mb1_put_mmap(s, qemu_e820, 7, 24, &mmap_len));
    mb1_set32(b, MB1_OFF_MMAP_LENGTH, (uint32_t)mmap_len);
    mb1_set32(b, MB1_OFF_LOADER_NAME, (uint32_t)sim_put_str(s, "GRUB 0.97"));
    mb1_set64(b, MB1_OFF_FB_ADDR, 0xfd000000);
    mb1_set32(b, MB1_OFF_FB_PITCH, 3200);
    mb1_set32(b, MB1_OFF_FB_WIDTH, 800);
    mb1_set32(b, MB1_OFF_FB_HEIGHT, 600);
    b->info[MB1_OFF_FB_BPP] = 32;
    b->info[MB1_OFF_FB_TYPE] = 1;
    memcpy(b->info + MB1_OFF_FB_COLOR, "\x10\x08\x08\x08\x00\x08", 6);
    return sim_put(s, b->info, sizeof(b->info));
}

static int parse_mb1(struct sim *s, const struct mb1_build *b, struct hop_error *err)
{
    paddr_t addr = sim_put(s, b->info, sizeof(b->info));
    struct phys_access pa = sim_access(s);
    return bootinfo_parse(&bi, MB1_BOOTLOADER_MAGIC, addr, &pa, err);
}

static void expect_mb1_error(struct sim *s, const struct mb1_build *b, int code,
                             const char *msg_part)
{
    struct hop_error err = { 0 };
    int rc = parse_mb1(s, b, &err);
    if (rc != code || !strstr(err.msg, msg_part))
        print_message("  rc %d, message: %s\n", rc, err.msg);
    assert_int_equal(rc, code);
    assert_non_null(strstr(err.msg, msg_part));
}

static void test_mb1_realistic(void **state)
{
    (void)state;
    struct sim *s = sim_new(SIM_BASE, SIM_SIZE);
    struct mb1_build b;
    paddr_t addr = build_realistic_mb1(s, &b);
    struct phys_access pa = sim_access(s);
    assert_int_equal(bootinfo_parse(&bi, MB1_BOOTLOADER_MAGIC, addr, &pa, NULL), HOP_OK);
    assert_int_equal(bi.proto, BOOT_PROTO_MB1);
    assert_int_equal(bi.info_addr, addr);
    assert_int_equal(bi.info_size, MB1_INFO_SIZE);
    assert_string_equal(bi.cmdline, "hop.elf mb1");
    assert_string_equal(bi.loader_name, "GRUB 0.97");
    assert_int_equal(bi.module_count, 2);
    assert_int_equal(bi.modules[0].start, 0x200000);
    assert_int_equal(bi.modules[0].end, 0x280000);
    assert_string_equal(bi.modules[0].cmdline, "/boot/kernel.elf quiet");
    assert_string_equal(bi.modules[1].cmdline, "initrd");
    assert_true(bi.has_meminfo);
    assert_int_equal(bi.mem_upper_kib, 130048);
    EXPECT_MAP(&bi, { 0, 0x9fc00, MEM_USABLE }, { 0x9fc00, 0xa0000, MEM_RESERVED },
               { 0xf0000, 0x100000, MEM_RESERVED }, { 0x100000, 0x7fe0000, MEM_USABLE },
               { 0x7fe0000, 0x8000000, MEM_RESERVED }, { 0xfeffc000, 0xff000000, MEM_RESERVED },
               { 0xfffc0000, 0x100000000, MEM_RESERVED });
    assert_true(bi.has_fb);
    assert_int_equal(bi.fb.addr, 0xfd000000);
    assert_int_equal(bi.fb.width, 800);
    assert_int_equal(bi.fb.height, 600);
    assert_int_equal(bi.fb.pitch, 3200);
    assert_int_equal(bi.fb.red_pos, 16);
    assert_int_equal(bi.fb.green_pos, 8);
    assert_int_equal(bi.fb.blue_size, 8);
    assert_ptr_equal(bootinfo_find_module(&bi, "initrd"), &bi.modules[1]);
    sim_free(s);
}

static void test_mb1_meminfo_only(void **state)
{
    (void)state;
    struct sim *s = sim_new(SIM_BASE, SIM_SIZE);
    struct mb1_build b = { 0 };
    mb1_set32(&b, MB1_OFF_FLAGS, MB1_MEM);
    mb1_set32(&b, MB1_OFF_MEM_LOWER, 2048); /* nonsense: clipped at 640 KiB */
    mb1_set32(&b, MB1_OFF_MEM_UPPER, 1024);
    assert_int_equal(parse_mb1(s, &b, NULL), HOP_OK);
    EXPECT_MAP(&bi, { 0, 0xa0000, MEM_USABLE }, { 0x100000, 0x200000, MEM_USABLE });
    assert_string_equal(bi.cmdline, "");
    assert_string_equal(bi.loader_name, "");
    /* An empty mmap also falls back to meminfo. */
    mb1_set32(&b, MB1_OFF_FLAGS, MB1_MEM | MB1_MMAP);
    assert_int_equal(parse_mb1(s, &b, NULL), HOP_OK);
    assert_int_equal(bi.map_count, 2);
    sim_free(s);
}

static void test_mb1_module_without_string(void **state)
{
    (void)state;
    struct sim *s = sim_new(SIM_BASE, SIM_SIZE);
    struct mb1_build b = { 0 };
    uint32_t mod[4] = { 0x100000, 0x100100, 0, 0 };
    mb1_set32(&b, MB1_OFF_FLAGS, MB1_MODS);
    mb1_set32(&b, MB1_OFF_MODS_COUNT, 1);
    mb1_set32(&b, MB1_OFF_MODS_ADDR, (uint32_t)sim_put(s, mod, sizeof(mod)));
    assert_int_equal(parse_mb1(s, &b, NULL), HOP_OK);
    assert_int_equal(bi.module_count, 1);
    assert_string_equal(bi.modules[0].cmdline, "");
    sim_free(s);
}

/* Strings near the end of memory: the window shrinks to what is readable. */
static void test_mb1_string_at_end_of_memory(void **state)
{
    (void)state;
    struct sim *s = sim_new(SIM_BASE, SIM_SIZE);
    struct mb1_build b = { 0 };
    memcpy(s->mem + SIM_SIZE - 4, "abc", 4);
    mb1_set32(&b, MB1_OFF_FLAGS, MB1_CMDLINE);
    mb1_set32(&b, MB1_OFF_CMDLINE, SIM_BASE + SIM_SIZE - 4);
    assert_int_equal(parse_mb1(s, &b, NULL), HOP_OK);
    assert_string_equal(bi.cmdline, "abc");

    memcpy(s->mem + SIM_SIZE - 4, "abcd", 4);
    expect_mb1_error(s, &b, HOP_ERR_INVALID, "cmdline (offset 0x10): string at 0x2fffc has no "
                                             "NUL within 4 readable bytes");
    /* longer than 4096 bytes is read whole (the configuration enforces its
     * own limits) */
    memset(s->mem + 0x8000, 'x', 8192);
    s->mem[0x8000 + 8192] = 0;
    mb1_set32(&b, MB1_OFF_CMDLINE, SIM_BASE + 0x8000);
    assert_int_equal(parse_mb1(s, &b, NULL), HOP_OK);
    assert_int_equal(strlen(bi.cmdline), 8192);
    /* no NUL within the whole window (the memory's end, 64 KiB at most) */
    memset(s->mem + 0x8000, 'x', SIM_SIZE - 0x8000);
    expect_mb1_error(s, &b, HOP_ERR_INVALID, "no NUL within 65536 readable bytes");
    sim_free(s);
}

static void test_mb1_pointers_outside_memory(void **state)
{
    (void)state;
    struct sim *s = sim_new(SIM_BASE, SIM_SIZE);
    struct mb1_build good, b;
    build_realistic_mb1(s, &good);
    const paddr_t outside = 0xdead0000;

    b = good;
    mb1_set32(&b, MB1_OFF_CMDLINE, outside);
    expect_mb1_error(s, &b, HOP_ERR_RANGE, "cmdline (offset 0x10): string at 0xdead0000 not "
                                           "accessible");
    b = good;
    mb1_set32(&b, MB1_OFF_LOADER_NAME, outside);
    expect_mb1_error(s, &b, HOP_ERR_RANGE, "boot_loader_name (offset 0x40): string at "
                                           "0xdead0000 not accessible");
    b = good;
    mb1_set32(&b, MB1_OFF_MODS_ADDR, outside);
    expect_mb1_error(s, &b, HOP_ERR_RANGE, "mods_addr 0xdead0000: 32 bytes not accessible");
    b = good;
    mb1_set32(&b, MB1_OFF_MODS_ADDR, SIM_BASE + SIM_SIZE - 16); /* second module outside */
    expect_mb1_error(s, &b, HOP_ERR_RANGE, "32 bytes not accessible");
    b = good;
    mb1_set32(&b, MB1_OFF_MMAP_ADDR, outside);
    expect_mb1_error(s, &b, HOP_ERR_RANGE, "mmap_addr 0xdead0000: mmap_length 196 bytes not "
                                           "accessible");
    b = good;
    mb1_set32(&b, MB1_OFF_MMAP_LENGTH, 0xffffffff);
    expect_mb1_error(s, &b, HOP_ERR_INVALID, "mmap_length 0xffffffff above the");

    /* a module string outside memory */
    uint32_t mod[4] = { 0x100000, 0x100100, (uint32_t)outside, 0 };
    b = good;
    mb1_set32(&b, MB1_OFF_MODS_COUNT, 1);
    mb1_set32(&b, MB1_OFF_MODS_ADDR, (uint32_t)sim_put(s, mod, sizeof(mod)));
    expect_mb1_error(s, &b, HOP_ERR_RANGE, "module 0 (mods_addr");

    /* the info structure itself */
    struct phys_access pa = sim_access(s);
    struct hop_error err = { 0 };
    assert_int_equal(bootinfo_parse(&bi, MB1_BOOTLOADER_MAGIC, SIM_BASE + SIM_SIZE - 100, &pa,
                                    &err),
                     HOP_ERR_RANGE);
    assert_string_equal(err.msg, "multiboot1 info at 0x2ff9c: 116 bytes not accessible");
    sim_free(s);
}

static void test_mb1_bad_mmap(void **state)
{
    (void)state;
    struct sim *s = sim_new(SIM_BASE, SIM_SIZE);
    struct mb1_build b = { 0 };
    size_t len;
    paddr_t map = mb1_put_mmap(s, qemu_e820, 3, 16, &len);
    mb1_set32(&b, MB1_OFF_FLAGS, MB1_MMAP);
    mb1_set32(&b, MB1_OFF_MMAP_ADDR, (uint32_t)map);
    mb1_set32(&b, MB1_OFF_MMAP_LENGTH, (uint32_t)len);
    expect_mb1_error(s, &b, HOP_ERR_INVALID, "entry at offset 0x0: size 16 smaller than 20");

    map = mb1_put_mmap(s, qemu_e820, 3, 20, &len);
    mb1_set32(&b, MB1_OFF_MMAP_ADDR, (uint32_t)map);
    mb1_set32(&b, MB1_OFF_MMAP_LENGTH, (uint32_t)len - 1);
    expect_mb1_error(s, &b, HOP_ERR_TRUNCATED, "entry at offset 0x30: size 20 beyond "
                                               "mmap_length 71");
    mb1_set32(&b, MB1_OFF_MMAP_LENGTH, (uint32_t)len + 2);
    expect_mb1_error(s, &b, HOP_ERR_TRUNCATED, "entry at offset 0x48: size field beyond");
    mb1_set32(&b, MB1_OFF_MMAP_LENGTH, (uint32_t)len);
    assert_int_equal(parse_mb1(s, &b, NULL), HOP_OK);
    EXPECT_MAP(&bi, { 0, 0x9fc00, MEM_USABLE }, { 0x9fc00, 0xa0000, MEM_RESERVED },
               { 0xf0000, 0x100000, MEM_RESERVED });
    sim_free(s);
}

static void test_mb1_bad_modules(void **state)
{
    (void)state;
    struct sim *s = sim_new(SIM_BASE, SIM_SIZE);
    struct mb1_build b = { 0 };
    uint32_t mods[BOOTINFO_MAX_MODULES + 1][4];
    for (uint32_t i = 0; i <= BOOTINFO_MAX_MODULES; i++) {
        mods[i][0] = 0x100000 + i * 0x1000;
        mods[i][1] = mods[i][0] + 0x10;
        mods[i][2] = 0;
        mods[i][3] = 0;
    }
    mb1_set32(&b, MB1_OFF_FLAGS, MB1_MODS);
    mb1_set32(&b, MB1_OFF_MODS_ADDR, (uint32_t)sim_put(s, mods, sizeof(mods)));
    mb1_set32(&b, MB1_OFF_MODS_COUNT, BOOTINFO_MAX_MODULES);
    assert_int_equal(parse_mb1(s, &b, NULL), HOP_OK);
    assert_int_equal(bi.module_count, BOOTINFO_MAX_MODULES);
    mb1_set32(&b, MB1_OFF_MODS_COUNT, BOOTINFO_MAX_MODULES + 1);
    expect_mb1_error(s, &b, HOP_ERR_LIMIT, "mods_count 65: more than 64 modules");
    mb1_set32(&b, MB1_OFF_MODS_COUNT, 0xffffffff);
    expect_mb1_error(s, &b, HOP_ERR_LIMIT, "mods_count 4294967295");

    mods[1][1] = mods[1][0] - 1;
    mb1_set32(&b, MB1_OFF_MODS_ADDR, (uint32_t)sim_put(s, mods, sizeof(mods)));
    mb1_set32(&b, MB1_OFF_MODS_COUNT, 2);
    expect_mb1_error(s, &b, HOP_ERR_INVALID, "module 1 (mods_addr");
    expect_mb1_error(s, &b, HOP_ERR_INVALID, "+ 0x10): mod_end 0x100fff below mod_start 0x101000");
    sim_free(s);
}

/* The fixed structure cut off by the end of memory at every byte. */
static void test_mb1_truncated_everywhere(void **state)
{
    (void)state;
    struct sim *full = sim_new(SIM_BASE, SIM_SIZE);
    struct mb1_build b;
    build_realistic_mb1(full, &b);
    for (size_t k = 0; k < MB1_INFO_SIZE; k++) {
        struct sim *s = sim_new(SIM_BASE, k);
        memcpy(s->mem, b.info, k);
        struct phys_access pa = sim_access(s);
        assert_int_equal(bootinfo_parse(&bi, MB1_BOOTLOADER_MAGIC, SIM_BASE, &pa, NULL),
                         HOP_ERR_RANGE);
        sim_free(s);
    }
    sim_free(full);
}

static void test_mb1_too_many_regions(void **state)
{
    (void)state;
    struct sim *s = sim_new(SIM_BASE, SIM_SIZE);
    struct mb1_build b = { 0 };
    struct e820 *e = calloc(300, sizeof(*e));
    size_t len;
    for (size_t i = 0; i < 300; i++)
        e[i] = (struct e820){ i * 0x2000, 0x1000, 1 };
    paddr_t map = mb1_put_mmap(s, e, 300, 20, &len);
    mb1_set32(&b, MB1_OFF_FLAGS, MB1_MMAP);
    mb1_set32(&b, MB1_OFF_MMAP_ADDR, (uint32_t)map);
    mb1_set32(&b, MB1_OFF_MMAP_LENGTH, (uint32_t)len);
    expect_mb1_error(s, &b, HOP_ERR_LIMIT, "entry at offset 0x1800 makes more than 256 memory "
                                           "regions");
    free(e);
    sim_free(s);
}

static void test_unknown_magic(void **state)
{
    (void)state;
    struct sim *s = sim_new(SIM_BASE, SIM_SIZE);
    struct phys_access pa = sim_access(s);
    struct hop_error err = { 0 };
    assert_int_equal(bootinfo_parse(&bi, 0x12345678, SIM_BASE, &pa, &err), HOP_ERR_UNSUPPORTED);
    assert_string_equal(err.msg, "unknown boot loader magic 0x12345678");
    assert_string_equal(bi.cmdline, "");
    assert_int_equal(bootinfo_parse(&bi, 0, SIM_BASE, &pa, &err), HOP_ERR_UNSUPPORTED);
    /* the multiboot header magics are not boot loader magics */
    assert_int_equal(bootinfo_parse(&bi, 0x1badb002, SIM_BASE, &pa, &err), HOP_ERR_UNSUPPORTED);
    assert_int_equal(bootinfo_parse(&bi, 0xe85250d6, SIM_BASE, &pa, &err), HOP_ERR_UNSUPPORTED);
    assert_int_equal(bootinfo_parse(&bi, MB2_BOOTLOADER_MAGIC, SIM_BASE, NULL, &err),
                     HOP_ERR_INVALID);
    sim_free(s);
}

/* ==========================================================================
 * Memory map at the top of the address space: the parsers clip lengths that
 * wrap, the map keeps the last bytes apart
 * ========================================================================== */

static void map_reset(void) { memset(&bi, 0, sizeof(bi)); }

static void add(paddr_t start, paddr_t end, uint32_t type)
{
    assert_int_equal(bootinfo_add_region(&bi, start, end, type), HOP_OK);
}

static void test_norm_top_of_address_space(void **state)
{
    (void)state;
    struct blob *x = malloc(sizeof(*x));
    const struct e820 e[] = {
        { UINT64_MAX - 0xfff, 0x2000, 1 },       /* wraps: clipped at 2^64-1 */
        { 0xfffffffffffff000ull - 0x1000, 0x1000, 2 },
        { UINT64_MAX, 1, 1 },                    /* nothing left after clipping */
        { 0x1000, UINT64_MAX, 1 },               /* length wraps */
    };
    mb2_begin(x);
    tag_mmap(x, e, 4);
    mb2_finish(x);
    assert_int_equal(parse_mb2_blob(x, NULL), HOP_OK);
    EXPECT_MAP(&bi, { 0x1000, 0xffffffffffffe000ull, MEM_USABLE },
               { 0xffffffffffffe000ull, 0xfffffffffffff000ull, MEM_RESERVED },
               { 0xfffffffffffff000ull, UINT64_MAX, MEM_USABLE });
    assert_int_equal(bootinfo_total(&bi, MEM_RESERVED), 0x1000);
    map_reset();
    add(0, UINT64_MAX, MEM_USABLE);
    add(UINT64_MAX - 1, UINT64_MAX, MEM_BAD);
    EXPECT_MAP(&bi, { 0, UINT64_MAX - 1, MEM_USABLE }, { UINT64_MAX - 1, UINT64_MAX, MEM_BAD });
    assert_int_equal(bootinfo_total(&bi, MEM_USABLE), UINT64_MAX - 1);
    free(x);
}

/* ==========================================================================
 * Modules
 * ========================================================================== */

static void test_find_module(void **state)
{
    (void)state;
    map_reset();
    bi.module_count = 4;
    bi.modules[0].cmdline = "/boot/vmlinuz root=/dev/sda";
    bi.modules[1].cmdline = "initrd";
    bi.modules[2].cmdline = "";
    bi.modules[3].cmdline = "config\tx";
    assert_ptr_equal(bootinfo_find_module(&bi, "/boot/vmlinuz"), &bi.modules[0]);
    assert_ptr_equal(bootinfo_find_module(&bi, "boot/vmlinuz"), &bi.modules[0]);
    assert_null(bootinfo_find_module(&bi, "vmlinuz"));
    assert_null(bootinfo_find_module(&bi, "/boot/vmlinuz root=/dev/sda"));
    assert_null(bootinfo_find_module(&bi, "/boot/vm"));
    assert_ptr_equal(bootinfo_find_module(&bi, "initrd"), &bi.modules[1]);
    assert_ptr_equal(bootinfo_find_module(&bi, "/initrd"), &bi.modules[1]);
    assert_null(bootinfo_find_module(&bi, "initrd2"));
    assert_null(bootinfo_find_module(&bi, "init"));
    assert_ptr_equal(bootinfo_find_module(&bi, "config"), &bi.modules[3]);
    assert_null(bootinfo_find_module(&bi, ""));
    assert_null(bootinfo_find_module(&bi, "/"));
    assert_null(bootinfo_find_module(&bi, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mb2_realistic),
        cmocka_unit_test(test_mb2_minimal),
        cmocka_unit_test(test_mb2_efi_mmap_preferred),
        cmocka_unit_test(test_mb2_efi_boot_services_active),
        cmocka_unit_test(test_mb2_efi_bs_tag_order),
        cmocka_unit_test(test_mb2_empty_efi_mmap_falls_back),
        cmocka_unit_test(test_mb2_efi_huge_descriptors),
        cmocka_unit_test(test_mb2_meminfo_only),
        cmocka_unit_test(test_mb2_duplicate_tags),
        cmocka_unit_test(test_mb2_data_after_end_tag),
        cmocka_unit_test(test_mb2_framebuffer_kinds),
        cmocka_unit_test(test_mb2_truncated_everywhere),
        cmocka_unit_test(test_mb2_corrupted_everywhere),
        cmocka_unit_test(test_mb2_bad_total_size),
        cmocka_unit_test(test_mb2_info_not_accessible),
        cmocka_unit_test(test_mb2_tag_size_below_header),
        cmocka_unit_test(test_mb2_tag_beyond_total_size),
        cmocka_unit_test(test_mb2_missing_end_tag),
        cmocka_unit_test(test_mb2_unterminated_strings),
        cmocka_unit_test(test_mb2_mmap_bad_entry_size),
        cmocka_unit_test(test_mb2_mmap_stride),
        cmocka_unit_test(test_mb2_module_end_below_start),
        cmocka_unit_test(test_mb2_too_many_modules),
        cmocka_unit_test(test_mb2_efi_desc_too_small),
        cmocka_unit_test(test_mb2_tag_minimum_sizes),
        cmocka_unit_test(test_mb2_framebuffer_color_info_bounds),
        cmocka_unit_test(test_mb2_too_many_regions),
        cmocka_unit_test(test_mb1_realistic),
        cmocka_unit_test(test_mb1_meminfo_only),
        cmocka_unit_test(test_mb1_module_without_string),
        cmocka_unit_test(test_mb1_string_at_end_of_memory),
        cmocka_unit_test(test_mb1_pointers_outside_memory),
        cmocka_unit_test(test_mb1_bad_mmap),
        cmocka_unit_test(test_mb1_bad_modules),
        cmocka_unit_test(test_mb1_truncated_everywhere),
        cmocka_unit_test(test_mb1_too_many_regions),
        cmocka_unit_test(test_unknown_magic),
        cmocka_unit_test(test_norm_top_of_address_space),
        cmocka_unit_test(test_find_module),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    live_sim_free();
    return failed;
}

