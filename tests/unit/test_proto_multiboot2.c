/* Unit tests of src/protos/multiboot2.c: the multiboot2 boot information
 * hop hands to a kernel.  Each block is built from a realistic input into a
 * buffer at a fake physical address, then read back twice: by hop's own
 * parser (src/parse/bootinfo.c) through a simulated memory at that address, and
 * byte by byte at the offsets the Multiboot2 specification (section 3.6)
 * gives, transcribed here independently of the code under test. */
#include "parse/mbheader.h"
#include "proto_fixture.h"

/* ---- Multiboot2 3.6 ---------------------------------------------------- */

enum {
    T_END = 0, T_CMDLINE = 1, T_NAME = 2, T_MODULE = 3, T_MEMINFO = 4, T_BOOTDEV = 5,
    T_MMAP = 6, T_FB = 8, T_ELF = 9, T_EFI32 = 11, T_EFI64 = 12, T_SMBIOS = 13,
    T_ACPI_OLD = 14, T_ACPI_NEW = 15, T_EFI_MMAP = 17, T_EFI_BS = 18, T_EFI64_IH = 20,
    T_LOAD_BASE = 21,
};

#define EFI_DESC_SIZE 48

/* ---- the realistic input (proto_fixture.h) ----------------------------- */

static const uint8_t fx_rsdp_v2[36] =
    "RSD PTR \x17" "BOCHS \x02\x00\xe0\x0f\x00\x24\x00\x00\x00\x18\xe1\x0f\x00\x00\x00\x00\x00\x55";
static const uint8_t fx_smbios[31] = "_SM_\x1b\x1f\x02\x08\x00\x01\x00\x00\x00\x00\x00\x00"
                                     "_DMI_\x33\x21\x01\x00\x90\xe0\x0f\x00\x09\x00";
static uint8_t fx_efi_mmap[3 * EFI_DESC_SIZE];

static void put_efi_desc(uint8_t *d, uint32_t type, uint64_t start, uint64_t pages)
{
    memset(d, 0, EFI_DESC_SIZE);
    memcpy(d, &type, 4);
    memcpy(d + 8, &start, 8);
    memcpy(d + 24, &pages, 8);
}

static void fixture(void)
{
    fx_fixture(&(const struct fx_spec){
        .bi_cmdline = "hop's own command line", .bi_loader_name = "GRUB 2.06",
        .cmdline = "console=ttyS0 root=/dev/ram0 quiet",
        .mods = { { 0x2000000, 0x2123456, "/boot/initrd.img rd.debug" },
                  { 0x2200000, 0x2280000, "/boot/extra.bin arg=1" } },
        .module0_what = "module 0" });
    fx_bi.has_fb = true;
    fx_bi.fb = fx_rgb_fb(0xfd000000);
    fx_bi.rsdp_v1 = fx_rsdp_v1;
    fx_bi.rsdp_v1_len = sizeof(fx_rsdp_v1);
    fx_bi.rsdp_v2 = fx_rsdp_v2;
    fx_bi.rsdp_v2_len = sizeof(fx_rsdp_v2);
    fx_bi.smbios = fx_smbios;
    fx_bi.smbios_len = sizeof(fx_smbios);
    fx_bi.smbios_major = 2;
    fx_bi.smbios_minor = 8;
    fx_bi.efi_system_table64 = 0x7fb7e018;
    put_efi_desc(fx_efi_mmap, 7, 0x100000, 0x7fde0);
    put_efi_desc(fx_efi_mmap + EFI_DESC_SIZE, 9, 0x7fee0000, 0x20);
    put_efi_desc(fx_efi_mmap + 2 * EFI_DESC_SIZE, 7, 0x100000000, 0x80000);
    fx_bi.efi_mmap = fx_efi_mmap;
    fx_bi.efi_mmap_size = sizeof(fx_efi_mmap);
    fx_bi.efi_desc_size = EFI_DESC_SIZE;
    fx_bi.efi_desc_version = 1;
    fx_in.has_load_base = true;
    fx_in.load_base = 0x200000;
}

/* ---- reading the block back -------------------------------------------- */

static const struct fx_proto proto = { &handoff_mb2, 0, 8192, true };

static uint8_t *build(const struct handoff_input *in, paddr_t paddr, size_t *used)
{
    return fx_build(&proto, in, paddr, used);
}

/* Checks the block's structure (3.6.1, 3.6.2): total_size, 8-byte aligned
 * tags lying inside it, zero padding, one end tag closing it exactly.
 * Returns the number of tags before the end tag. */
static size_t check_structure(const uint8_t *info, size_t used)
{
    size_t off = 8, tags = 0;
    assert_int_equal(rd32(info, 0), used);
    assert_int_equal(rd32(info, 4), 0);
    for (;;) {
        assert_true(off % 8 == 0 && off + 8 <= used);
        uint32_t type = rd32(info, off), size = rd32(info, off + 4);
        assert_true(size >= 8 && size <= used - off);
        if (type == T_END) {
            assert_int_equal(size, 8);
            assert_int_equal(off + 8, used);
            return tags;
        }
        size_t next = (off + size + 7) & ~(size_t)7;
        for (size_t i = off + size; i < next; i++)
            assert_int_equal(info[i], 0);
        off = next;
        tags++;
    }
}

/* The offset of the n-th tag of type, or 0 when there is none. */
static size_t find_tag(const uint8_t *info, uint32_t type, unsigned n)
{
    for (size_t off = 8;; off = (off + rd32(info, off + 4) + 7) & ~(size_t)7) {
        uint32_t t = rd32(info, off);
        if (t == type && n-- == 0)
            return off;
        if (t == T_END)
            return 0;
    }
}

static void expect_string_tag(const uint8_t *info, uint32_t type, const char *s)
{
    size_t off = find_tag(info, type, 0);
    assert_true(off != 0);
    assert_int_equal(rd32(info, off + 4), 8 + strlen(s) + 1);
    assert_string_equal((const char *)info + off + 8, s);
}

static void expect_mmap_tag(const uint8_t *info, const struct mem_region *want, size_t n)
{
    size_t off = find_tag(info, T_MMAP, 0);
    assert_true(off != 0);
    assert_int_equal(rd32(info, off + 4), 16 + 24 * n);
    assert_int_equal(rd32(info, off + 8), 24); /* entry_size */
    assert_int_equal(rd32(info, off + 12), 0); /* entry_version */
    for (size_t i = 0; i < n; i++) {
        size_t e = off + 16 + 24 * i;
        assert_int_equal(rd64(info, e), want[i].start);
        assert_int_equal(rd64(info, e + 8), want[i].end - want[i].start);
        assert_int_equal(rd32(info, e + 16), want[i].type);
        assert_int_equal(rd32(info, e + 20), 0);
    }
}

static void parse_back(const uint8_t *buf, paddr_t paddr, size_t used)
{
    fx_parse_back(MB2_BOOTLOADER_MAGIC, buf, paddr, used);
    assert_int_equal(parsed.info_size, used);
}

/* ---- tests ------------------------------------------------------------- */

static void test_realistic_parsed_back(void **state)
{
    (void)state;
    size_t used;
    uint8_t *buf = build(&fx_in, INFO_PADDR, &used);
    assert_true(handoff_info_size(&handoff_mb2, &fx_in) <= PAGE); /* fx_map_marked's one info page */
    assert_int_equal(check_structure(buf, used), 13);
    parse_back(buf, INFO_PADDR, used);

    assert_int_equal(parsed.proto, BOOT_PROTO_MB2);
    assert_string_equal(parsed.cmdline, fx_in.cmdline);
    assert_string_equal(parsed.loader_name, "hop 0.1");
    assert_int_equal(parsed.module_count, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(parsed.modules[i].start, fx_mods[i].start);
        assert_int_equal(parsed.modules[i].end, fx_mods[i].end);
        assert_string_equal(parsed.modules[i].cmdline, fx_mods[i].cmdline);
    }
    assert_true(parsed.has_meminfo);
    assert_int_equal(parsed.mem_lower_kib, FX_MEM_LOWER);
    assert_int_equal(parsed.mem_upper_kib, FX_MEM_UPPER);
    assert_true(parsed.has_fb);
    expect_fb(&parsed.fb, &fx_bi.fb);
    assert_int_equal(parsed.rsdp_v1_len, 20);
    assert_memory_equal(parsed.rsdp_v1, fx_rsdp_v1, 20);
    assert_int_equal(parsed.rsdp_v2_len, 36);
    assert_memory_equal(parsed.rsdp_v2, fx_rsdp_v2, 36);
    assert_int_equal(parsed.smbios_len, sizeof(fx_smbios));
    assert_memory_equal(parsed.smbios, fx_smbios, sizeof(fx_smbios));
    assert_int_equal(parsed.smbios_major, 2);
    assert_int_equal(parsed.smbios_minor, 8);
    assert_int_equal(parsed.efi_system_table64, 0x7fb7e018);
    assert_int_equal(parsed.efi_system_table32, 0);
    assert_int_equal(parsed.efi_mmap_size, sizeof(fx_efi_mmap));
    assert_memory_equal(parsed.efi_mmap, fx_efi_mmap, sizeof(fx_efi_mmap));
    assert_int_equal(parsed.efi_desc_size, EFI_DESC_SIZE);
    assert_int_equal(parsed.efi_desc_version, 1);
    assert_true(parsed.map_from_efi); /* the parser prefers the EFI map */
    assert_false(parsed.efi_boot_services_active);
    assert_true(parsed.has_load_base);
    assert_int_equal(parsed.load_base, 0x200000);
    free(buf);
}

static void test_realistic_bytes(void **state)
{
    (void)state;
    size_t used, off;
    uint8_t *buf = build(&fx_in, INFO_PADDR, &used);

    expect_string_tag(buf, T_CMDLINE, fx_in.cmdline);
    expect_string_tag(buf, T_NAME, "hop 0.1");
    for (unsigned i = 0; i < 2; i++) {
        off = find_tag(buf, T_MODULE, i);
        assert_true(off != 0);
        assert_int_equal(rd32(buf, off + 4), 16 + strlen(fx_mods[i].cmdline) + 1);
        assert_int_equal(rd32(buf, off + 8), fx_mods[i].start);
        assert_int_equal(rd32(buf, off + 12), fx_mods[i].end);
        assert_string_equal((const char *)buf + off + 16, fx_mods[i].cmdline);
    }
    assert_int_equal(find_tag(buf, T_MODULE, 2), 0);
    off = find_tag(buf, T_MEMINFO, 0);
    assert_int_equal(rd32(buf, off + 4), 16);
    assert_int_equal(rd32(buf, off + 8), FX_MEM_LOWER);
    assert_int_equal(rd32(buf, off + 12), FX_MEM_UPPER);
    expect_mmap_tag(buf, fx_map_marked, N(fx_map_marked));

    off = find_tag(buf, T_FB, 0); /* GRUB's layout: color_info at 32 */
    assert_int_equal(rd32(buf, off + 4), 38);
    assert_int_equal(rd64(buf, off + 8), 0xfd000000);
    assert_int_equal(rd32(buf, off + 16), 4096);
    assert_int_equal(rd32(buf, off + 20), 1024);
    assert_int_equal(rd32(buf, off + 24), 768);
    assert_int_equal(buf[off + 28], 32);
    assert_int_equal(buf[off + 29], 1);
    assert_int_equal(rd16(buf, off + 30), 0);
    static const uint8_t rgb[6] = { 16, 8, 8, 8, 0, 8 };
    assert_memory_equal(buf + off + 32, rgb, 6);

    off = find_tag(buf, T_EFI64, 0);
    assert_int_equal(rd32(buf, off + 4), 16);
    assert_int_equal(rd64(buf, off + 8), 0x7fb7e018);
    assert_int_equal(find_tag(buf, T_EFI32, 0), 0);
    off = find_tag(buf, T_ACPI_OLD, 0);
    assert_int_equal(rd32(buf, off + 4), 8 + 20);
    assert_memory_equal(buf + off + 8, fx_rsdp_v1, 20);
    off = find_tag(buf, T_ACPI_NEW, 0);
    assert_int_equal(rd32(buf, off + 4), 8 + 36);
    assert_memory_equal(buf + off + 8, fx_rsdp_v2, 36);
    off = find_tag(buf, T_SMBIOS, 0);
    assert_int_equal(rd32(buf, off + 4), 16 + sizeof(fx_smbios));
    assert_int_equal(buf[off + 8], 2);
    assert_int_equal(buf[off + 9], 8);
    assert_int_equal(rd32(buf, off + 10) | rd16(buf, off + 14), 0); /* reserved[6] */
    assert_memory_equal(buf + off + 16, fx_smbios, sizeof(fx_smbios));
    off = find_tag(buf, T_EFI_MMAP, 0);
    assert_int_equal(rd32(buf, off + 4), 16 + sizeof(fx_efi_mmap));
    assert_int_equal(rd32(buf, off + 8), EFI_DESC_SIZE);
    assert_int_equal(rd32(buf, off + 12), 1);
    assert_memory_equal(buf + off + 16, fx_efi_mmap, sizeof(fx_efi_mmap));
    off = find_tag(buf, T_LOAD_BASE, 0);
    assert_int_equal(rd32(buf, off + 4), 12);
    assert_int_equal(rd32(buf, off + 8), 0x200000);
    /* Nothing hop cannot give. */
    assert_int_equal(find_tag(buf, T_BOOTDEV, 0), 0);
    assert_int_equal(find_tag(buf, T_ELF, 0), 0);
    assert_int_equal(find_tag(buf, T_EFI_BS, 0), 0);
    assert_int_equal(find_tag(buf, T_EFI64_IH, 0), 0);
    free(buf);
}

/* Without the EFI map the parser reads our memory map tag. */
static void test_memory_map_parsed_back(void **state)
{
    (void)state;
    size_t used;
    fx_bi.efi_mmap = NULL;
    fx_bi.efi_mmap_size = 0;
    uint8_t *buf = build(&fx_in, INFO_PADDR, &used);
    check_structure(buf, used);
    assert_int_equal(find_tag(buf, T_EFI_MMAP, 0), 0);
    parse_back(buf, INFO_PADDR, used);
    assert_false(parsed.map_from_efi);
    expect_map(&parsed, fx_map_marked, N(fx_map_marked));
    free(buf);
}

/* Marking touches usable RAM only: ACPI tables and NVS keep their types. */
static void test_marking_keeps_firmware_types(void **state)
{
    (void)state;
    size_t used;
    static const struct phys_range straddle[] = {
        { 0x7fedf800, 0x7ff00800, "straddles usable, ACPI and NVS" },
    };
    static const struct mem_region want[] = {
        { 0x0, 0x9fc00, MEM_USABLE },
        { 0x9fc00, 0xa0000, MEM_RESERVED },
        { 0xf0000, 0x100000, MEM_RESERVED },
        { 0x100000, 0x3000000, MEM_USABLE },
        { 0x3000000, 0x3001000, MEM_RESERVED }, /* the info, always */
        { 0x3001000, 0x7fedf000, MEM_USABLE },
        { 0x7fedf000, 0x7fee0000, MEM_RESERVED },
        { 0x7fee0000, 0x7ff00000, MEM_ACPI_RECLAIM },
        { 0x7ff00000, 0x80000000, MEM_ACPI_NVS },
        { 0xfec00000, 0xfec01000, MEM_RESERVED },
        { 0xfffc0000, 0x100000000, MEM_RESERVED },
        { 0x100000000, 0x180000000, MEM_USABLE },
    };
    fx_in.reserved = straddle;
    fx_in.reserved_count = 1;
    uint8_t *buf = build(&fx_in, INFO_PADDR, &used);
    expect_mmap_tag(buf, want, N(want));
    free(buf);
}

/* The info marks itself even when the caller lists nothing. */
static void test_info_marks_itself(void **state)
{
    (void)state;
    size_t used;
    fx_in.reserved_count = 0;
    fx_in.reserved = NULL;
    fx_in.module_count = 0;
    uint8_t *buf = build(&fx_in, 0x5000, &used);
    size_t off = find_tag(buf, T_MMAP, 0);
    assert_int_equal(rd64(buf, off + 16), 0);
    assert_int_equal(rd64(buf, off + 24), 0x5000); /* usable up to the info */
    assert_int_equal(rd64(buf, off + 40), 0x5000);
    assert_int_equal(rd64(buf, off + 48), 0x1000);
    assert_int_equal(rd32(buf, off + 56), MEM_RESERVED);
    free(buf);
}

static void test_minimal(void **state)
{
    (void)state;
    size_t used;
    struct handoff_input in = { .bi = &fx_bi, .cmdline = "", .loader_name = "hop 0.1" };
    memset(&fx_bi, 0, sizeof(fx_bi));
    uint8_t *buf = build(&in, INFO_PADDR, &used);
    assert_int_equal(check_structure(buf, used), 3); /* cmdline, name, meminfo */
    expect_string_tag(buf, T_CMDLINE, "");
    size_t off = find_tag(buf, T_MEMINFO, 0);
    assert_int_equal(rd32(buf, off + 8), 0);
    assert_int_equal(rd32(buf, off + 12), 0);
    assert_int_equal(find_tag(buf, T_MMAP, 0), 0);
    parse_back(buf, INFO_PADDR, used);
    assert_string_equal(parsed.cmdline, "");
    assert_int_equal(parsed.module_count, 0);
    assert_false(parsed.has_fb);
    free(buf);
}

/* Tag 9: GRUB's layout (32-bit num, entsize, shndx) then the headers as
 * given; asked for and available, the request is accepted. */
static void test_elf_sections(void **state)
{
    (void)state;
    size_t used;
    uint8_t shdrs[3 * 40];
    for (size_t i = 0; i < sizeof(shdrs); i++)
        shdrs[i] = (uint8_t)(i * 7 + 1);
    struct handoff_input in = { .bi = &fx_bi, .cmdline = "", .loader_name = "hop 0.1",
                                .elf_sections = shdrs, .elf_shnum = 3, .elf_shentsize = 40,
                                .elf_shndx = 2 };
    memset(&fx_bi, 0, sizeof(fx_bi));
    uint8_t *buf = build(&in, INFO_PADDR, &used);
    assert_int_equal(check_structure(buf, used), 4); /* cmdline, name, meminfo, sections */
    size_t off = find_tag(buf, T_ELF, 0);
    assert_true(off != 0);
    assert_int_equal(rd32(buf, off + 4), 20 + sizeof(shdrs));
    assert_int_equal(rd32(buf, off + 8), 3);
    assert_int_equal(rd32(buf, off + 12), 40);
    assert_int_equal(rd32(buf, off + 16), 2);
    assert_memory_equal(buf + off + 20, shdrs, sizeof(shdrs));
    free(buf);
    struct mb2_header h = { 0 };
    struct hop_error err = { 0 };
    h.info_request_count = 1;
    h.info_requests[0] = (struct mb2_info_request){ T_ELF, true };
    assert_int_equal(mb2_check_requests(&h, &in, &err), HOP_OK);
    in.elf_sections = NULL;
    assert_int_equal(mb2_check_requests(&h, &in, &err), HOP_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "no ELF section headers"));
}

static void test_framebuffer_kinds(void **state)
{
    (void)state;
    size_t used, off;
    fx_bi.fb = (struct framebuffer){ .addr = 0xb8000, .pitch = 160, .width = 80,
                                     .height = 25, .bpp = 16, .type = FB_EGA_TEXT };
    uint8_t *buf = build(&fx_in, INFO_PADDR, &used);
    off = find_tag(buf, T_FB, 0);
    assert_int_equal(rd32(buf, off + 4), 32); /* no color_info */
    assert_int_equal(buf[off + 29], 2);
    assert_int_equal(rd32(buf, off + 20), 80);
    parse_back(buf, INFO_PADDR, used);
    assert_int_equal(parsed.fb.type, FB_EGA_TEXT);
    free(buf);

    fx_bi.fb = (struct framebuffer){ .addr = 0xa0000, .pitch = 320, .width = 320,
                                     .height = 200, .bpp = 8, .type = FB_INDEXED };
    buf = build(&fx_in, INFO_PADDR, &used);
    off = find_tag(buf, T_FB, 0);
    assert_int_equal(rd32(buf, off + 4), 36); /* an empty palette */
    assert_int_equal(rd32(buf, off + 32), 0);
    parse_back(buf, INFO_PADDR, used);
    assert_int_equal(parsed.fb.type, FB_INDEXED);
    free(buf);

    fx_bi.fb.type = 7; /* a kind no protocol describes: as if absent */
    buf = build(&fx_in, INFO_PADDR, &used);
    assert_int_equal(find_tag(buf, T_FB, 0), 0);
    free(buf);
}

static void test_every_short_capacity(void **state)
{
    (void)state;
    fx_every_short_capacity(&proto);
}

static void expect_build_error(const struct handoff_input *in, paddr_t paddr, int code,
                               const char *part)
{
    fx_expect_build_error(&proto, in, paddr, code, part);
}

static void test_refusals(void **state)
{
    (void)state;
    expect_build_error(&fx_in, INFO_PADDR + 8, HOP_ERR_INVALID, "aligned");
    expect_build_error(&fx_in, 0x100000000, HOP_ERR_RANGE, "0x100000000");
    expect_build_error(&fx_in, 0x100000000 - 0x200, HOP_ERR_RANGE, "pass");
    fx_mods[1].end = 0x100000001;
    expect_build_error(&fx_in, INFO_PADDR, HOP_ERR_RANGE, "module 1");
    fixture();
    fx_in.load_base = 0x100000000;
    expect_build_error(&fx_in, INFO_PADDR, HOP_ERR_RANGE, "load base");
    fixture();
    fx_mods[0].end = fx_mods[0].start - 1;
    expect_build_error(&fx_in, INFO_PADDR, HOP_ERR_INVALID, "module 0");
    fixture();
    fx_mods[0].cmdline = NULL;
    expect_build_error(&fx_in, INFO_PADDR, HOP_ERR_INVALID, "command line");
    fixture();
    fx_in.cmdline = NULL;
    expect_build_error(&fx_in, INFO_PADDR, HOP_ERR_INVALID, "command line");
    assert_int_equal(handoff_info_size(&handoff_mb2, &fx_in), 0);
}

/* Marking that splits the map beyond its 256 entries fails cleanly. */
static void test_map_overflow(void **state)
{
    (void)state;
    static struct phys_range many[130];
    for (size_t i = 0; i < N(many); i++) /* each splits one usable run in three */
        many[i] = (struct phys_range){ 0x4000000 + i * 0x10000, 0x4001000 + i * 0x10000,
                                       "hole" };
    fx_in.reserved = many;
    fx_in.reserved_count = N(many);
    expect_build_error(&fx_in, INFO_PADDR, HOP_ERR_LIMIT, "256");
}

/* ---- information requests (mb2_check_requests) -------------------------- */

static struct mb2_header hdr;

static void request(uint32_t type, bool required)
{
    hdr.tags_present |= 1u << MB2_HEADER_TAG_INFORMATION_REQUEST;
    hdr.info_requests[hdr.info_request_count++] =
        (struct mb2_info_request){ .type = type, .required = required };
}

static void expect_refused(const char *part)
{
    struct hop_error err = { 0 };
    assert_int_equal(mb2_check_requests(&hdr, &fx_in, &err), HOP_ERR_UNSUPPORTED);
    if (!strstr(err.msg, part))
        print_message("message: %s\n", err.msg);
    assert_non_null(strstr(err.msg, part));
}

static void expect_accepted(void)
{
    struct hop_error err = { 0 };
    int rc = mb2_check_requests(&hdr, &fx_in, &err);
    if (rc != HOP_OK)
        print_message("refused: %s\n", err.msg);
    assert_int_equal(rc, HOP_OK);
}

static void test_requests_we_can_give(void **state)
{
    (void)state;
    memset(&hdr, 0, sizeof(hdr));
    static const uint32_t all[] = { T_CMDLINE, T_NAME, T_MODULE, T_MEMINFO, T_MMAP, T_FB,
                                    T_EFI64, T_SMBIOS, T_ACPI_OLD, T_ACPI_NEW, T_EFI_MMAP,
                                    T_LOAD_BASE };
    for (size_t i = 0; i < N(all); i++)
        request(all[i], true);
    expect_accepted();
}

static void test_required_tag_refused(void **state)
{
    (void)state;
    memset(&hdr, 0, sizeof(hdr));
    request(T_MMAP, true);
    request(T_EFI_MMAP, true);
    fx_bi.efi_mmap = NULL;
    fx_bi.efi_mmap_size = 0;
    fx_bi.efi_system_table64 = 0;
    expect_refused("kernel requires multiboot2 info tag 17 (EFI memory map), which hop "
                   "cannot give: not booted from UEFI");
    fx_bi.efi_system_table64 = 0x7fb7e018;
    expect_refused("the loader gave hop no EFI memory map");
    hdr.info_requests[1].required = false; /* optional: fine */
    expect_accepted();
}

static void test_other_refusals(void **state)
{
    (void)state;
    static const struct { uint32_t type; const char *part; } cases[] = {
        { T_ELF, "tag 9 (ELF sections)" },
        { T_BOOTDEV, "BIOS boot device" },
        { T_EFI32, "booted from 64-bit UEFI" },
        { T_EFI_BS, "tag 18" },
        { T_EFI64_IH, "not an EFI application" },
        { 99, "tag 99 (unknown)" },
    };
    for (size_t i = 0; i < N(cases); i++) {
        memset(&hdr, 0, sizeof(hdr));
        request(T_CMDLINE, true);
        request(cases[i].type, true);
        expect_refused(cases[i].part);
        hdr.info_requests[1].required = false;
        expect_accepted();
    }
    memset(&hdr, 0, sizeof(hdr));
    request(T_FB, true);
    fx_bi.has_fb = false;
    expect_refused("no framebuffer");
    memset(&hdr, 0, sizeof(hdr));
    request(T_LOAD_BASE, true);
    fx_in.has_load_base = false;
    expect_refused("not relocated");
}

static void test_console_header_tags(void **state)
{
    (void)state;
    memset(&hdr, 0, sizeof(hdr));
    hdr.tags_present = 1u << MB2_HEADER_TAG_FRAMEBUFFER; /* required */
    expect_accepted();                                   /* RGB framebuffer */
    fx_bi.fb.type = FB_EGA_TEXT;
    expect_refused("framebuffer (multiboot2 header tag 5)");
    hdr.tags_optional = 1u << MB2_HEADER_TAG_FRAMEBUFFER;
    expect_accepted();

    memset(&hdr, 0, sizeof(hdr));
    hdr.tags_present = 1u << MB2_HEADER_TAG_CONSOLE_FLAGS;
    hdr.console_flags = MB2_CONSOLE_REQUIRED | MB2_CONSOLE_EGA_TEXT;
    expect_accepted(); /* EGA text it has */
    fx_bi.fb.type = FB_RGB;
    expect_refused("console flags 0x3");
    hdr.tags_present |= 1u << MB2_HEADER_TAG_FRAMEBUFFER;
    expect_accepted(); /* it takes a framebuffer too */

    memset(&hdr, 0, sizeof(hdr));
    hdr.tags_present = 1u << MB2_HEADER_TAG_EFI_BS;
    expect_refused("EFI boot services");
    hdr.tags_optional = 1u << MB2_HEADER_TAG_EFI_BS;
    expect_accepted();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_realistic_parsed_back, setup),
        cmocka_unit_test_setup(test_elf_sections, setup),
        cmocka_unit_test_setup(test_realistic_bytes, setup),
        cmocka_unit_test_setup(test_memory_map_parsed_back, setup),
        cmocka_unit_test_setup(test_marking_keeps_firmware_types, setup),
        cmocka_unit_test_setup(test_info_marks_itself, setup),
        cmocka_unit_test_setup(test_minimal, setup),
        cmocka_unit_test_setup(test_framebuffer_kinds, setup),
        cmocka_unit_test_setup(test_every_short_capacity, setup),
        cmocka_unit_test_setup(test_refusals, setup),
        cmocka_unit_test_setup(test_map_overflow, setup),
        cmocka_unit_test_setup(test_requests_we_can_give, setup),
        cmocka_unit_test_setup(test_required_tag_refused, setup),
        cmocka_unit_test_setup(test_other_refusals, setup),
        cmocka_unit_test_setup(test_console_header_tags, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
