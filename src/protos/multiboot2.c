/* The multiboot2 boot information (Multiboot2 specification 2.0, section 3.6
 * "Boot information"): an 8-byte header (total_size, reserved), then tags,
 * each 8-byte aligned, ending with an end tag.  The kernel gets its address
 * in EBX, so the whole block lies below 4 GiB. */
#include "protos/proto.h"

#include "lib/string.h"
#include "parse/multiboot.h"

#define MB2_PROTO "multiboot2 info"

/* color_info of an indexed framebuffer: num_colors, then the palette.  hop
 * keeps no palette, so it gives none: four zero bytes, which read as zero
 * colors whether num_colors is the specification's u32 or GRUB's u16. */
#define MB2_FB_EMPTY_PALETTE_SIZE 4

/* ==========================================================================
 * Laying out the tags
 * ========================================================================== */

/* Appends a tag of size bytes (header included) and writes its header.
 * Sizes fit the u32: the block ends below 4 GiB (hbuf_finish). */
static size_t mb2_tag_open(struct handoff_buf *b, uint32_t type, size_t size)
{
    size_t off = hbuf_alloc(b, size, MB2_INFO_ALIGN);
    struct mb2_tag_header h = { .type = type, .size = (uint32_t)size };
    hbuf_write(b, off, &h, sizeof(h));
    return off;
}

static void mb2_put_string(struct handoff_buf *b, uint32_t type, const char *s)
{
    size_t len = strlen(s) + 1;
    size_t off = mb2_tag_open(b, type, sizeof(struct mb2_tag_header) + len);
    hbuf_write(b, off + sizeof(struct mb2_tag_header), s, len);
}

/* Tag 9 as GRUB lays it out (32-bit num, entsize, shndx; the specification's
 * text shows 16-bit fields, but kernels follow GRUB), then the headers. */
struct mb2_tag_elf_sections {
    struct mb2_tag_header h;
    uint32_t num, entsize, shndx;
} __attribute__((packed));
_Static_assert(sizeof(struct mb2_tag_elf_sections) == 20, "GRUB's multiboot2.h layout");

static void mb2_put_elf_sections(struct handoff_buf *b, const struct handoff_input *in)
{
    size_t bytes = (size_t)in->elf_shnum * in->elf_shentsize;
    size_t off = mb2_tag_open(b, MB2_INFO_TAG_ELF_SECTIONS,
                              sizeof(struct mb2_tag_elf_sections) + bytes);
    HBUF_SET(b, off, struct mb2_tag_elf_sections, num, in->elf_shnum);
    HBUF_SET(b, off, struct mb2_tag_elf_sections, entsize, in->elf_shentsize);
    HBUF_SET(b, off, struct mb2_tag_elf_sections, shndx, in->elf_shndx);
    hbuf_write(b, off + sizeof(struct mb2_tag_elf_sections), in->elf_sections, bytes);
}

/* Module addresses were checked below 4 GiB by mb2_check_input. */
static void mb2_put_module(struct handoff_buf *b, const struct handoff_module *m)
{
    size_t len = strlen(m->cmdline) + 1;
    size_t off = mb2_tag_open(b, MB2_INFO_TAG_MODULE, sizeof(struct mb2_tag_module) + len);
    HBUF_SET(b, off, struct mb2_tag_module, mod_start, (uint32_t)m->start);
    HBUF_SET(b, off, struct mb2_tag_module, mod_end, (uint32_t)m->end);
    hbuf_write(b, off + sizeof(struct mb2_tag_module), m->cmdline, len);
}

static void mb2_put_meminfo(struct handoff_buf *b, const struct bootinfo *bi)
{
    uint32_t lower, upper;
    handoff_meminfo(bi, &lower, &upper);
    size_t off = mb2_tag_open(b, MB2_INFO_TAG_MEMINFO, sizeof(struct mb2_tag_meminfo));
    HBUF_SET(b, off, struct mb2_tag_meminfo, mem_lower, lower);
    HBUF_SET(b, off, struct mb2_tag_meminfo, mem_upper, upper);
}

/* map->entries is NULL while measuring: only the count matters then. */
static void mb2_put_mmap(struct handoff_buf *b, const struct handoff_map *map)
{
    if (map->count == 0)
        return;
    size_t off = mb2_tag_open(b, MB2_INFO_TAG_MMAP, sizeof(struct mb2_tag_mmap) +
                                                   map->count * sizeof(struct mb2_mmap_entry));
    HBUF_SET(b, off, struct mb2_tag_mmap, entry_size, sizeof(struct mb2_mmap_entry));
    HBUF_SET(b, off, struct mb2_tag_mmap, entry_version, MB2_MMAP_ENTRY_VERSION);
    for (size_t i = 0; map->entries && i < map->count; i++) {
        const struct mem_region *r = &map->entries[i];
        struct mb2_mmap_entry e = { .base_addr = r->start, .length = r->end - r->start,
                                    .type = r->type };
        hbuf_write(b, off + sizeof(struct mb2_tag_mmap) + i * sizeof(e), &e, sizeof(e));
    }
}

static void mb2_put_framebuffer(struct handoff_buf *b, const struct framebuffer *fb)
{
    size_t color = fb->type == FB_RGB       ? sizeof(struct mb_fb_rgb)
                   : fb->type == FB_INDEXED ? MB2_FB_EMPTY_PALETTE_SIZE
                                            : 0; /* EGA text: none */
    size_t off = mb2_tag_open(b, MB2_INFO_TAG_FRAMEBUFFER,
                              sizeof(struct mb2_tag_framebuffer) + color);
    struct mb2_tag_framebuffer t = { .h = { MB2_INFO_TAG_FRAMEBUFFER,
                                            (uint32_t)(sizeof(t) + color) },
                                     .addr = fb->addr, .pitch = fb->pitch,
                                     .width = fb->width, .height = fb->height,
                                     .bpp = fb->bpp, .type = fb->type };
    hbuf_write(b, off, &t, sizeof(t));
    if (fb->type == FB_RGB) {
        struct mb_fb_rgb c = { fb->red_pos, fb->red_size, fb->green_pos,
                                fb->green_size, fb->blue_pos, fb->blue_size };
        hbuf_write(b, off + sizeof(t), &c, sizeof(c));
    }
}

static void mb2_put_addr32(struct handoff_buf *b, uint32_t type, paddr_t addr)
{
    size_t off = mb2_tag_open(b, type, sizeof(struct mb2_tag_addr32));
    HBUF_SET(b, off, struct mb2_tag_addr32, addr, (uint32_t)addr);
}

static void mb2_put_addr64(struct handoff_buf *b, uint32_t type, paddr_t addr)
{
    size_t off = mb2_tag_open(b, type, sizeof(struct mb2_tag_addr64));
    HBUF_SET(b, off, struct mb2_tag_addr64, addr, addr);
}

/* A tag holding a header of hdr_size bytes followed by a copy of data. */
static size_t mb2_put_copy(struct handoff_buf *b, uint32_t type, size_t hdr_size,
                           const void *data, size_t len)
{
    size_t off = mb2_tag_open(b, type, hdr_size + len);
    hbuf_write(b, off + hdr_size, data, len);
    return off;
}

static void mb2_put_firmware(struct handoff_buf *b, const struct bootinfo *bi)
{
    if (bi->efi_system_table32)
        mb2_put_addr32(b, MB2_INFO_TAG_EFI32_SYSTEM_TABLE, bi->efi_system_table32);
    if (bi->efi_system_table64)
        mb2_put_addr64(b, MB2_INFO_TAG_EFI64_SYSTEM_TABLE, bi->efi_system_table64);
    if (bi->rsdp_v1)
        mb2_put_copy(b, MB2_INFO_TAG_ACPI_OLD, sizeof(struct mb2_tag_header), bi->rsdp_v1,
                     bi->rsdp_v1_len);
    if (bi->rsdp_v2)
        mb2_put_copy(b, MB2_INFO_TAG_ACPI_NEW, sizeof(struct mb2_tag_header), bi->rsdp_v2,
                     bi->rsdp_v2_len);
    if (bi->smbios) {
        size_t off = mb2_put_copy(b, MB2_INFO_TAG_SMBIOS, sizeof(struct mb2_tag_smbios),
                                  bi->smbios, bi->smbios_len);
        HBUF_SET(b, off, struct mb2_tag_smbios, major, bi->smbios_major);
        HBUF_SET(b, off, struct mb2_tag_smbios, minor, bi->smbios_minor);
    }
    if (bi->efi_mmap && bi->efi_mmap_size) {
        size_t off = mb2_put_copy(b, MB2_INFO_TAG_EFI_MMAP, sizeof(struct mb2_tag_efi_mmap),
                                  bi->efi_mmap, bi->efi_mmap_size);
        HBUF_SET(b, off, struct mb2_tag_efi_mmap, desc_size, bi->efi_desc_size);
        HBUF_SET(b, off, struct mb2_tag_efi_mmap, desc_version, bi->efi_desc_version);
    }
}

/* The whole block.  TODO: ELF sections (tag 9) when a kernel asks: it needs
 * the kernel's section headers and the non-loaded sections (symbol and
 * string tables) placed in memory by the loader. */
static void mb2_lay_out(struct handoff_buf *b, const struct handoff_input *in,
                        const struct handoff_map *map)
{
    const struct framebuffer *fb = handoff_framebuffer(in->bi);
    size_t hdr = hbuf_alloc(b, sizeof(struct mb2_info_header), MB2_INFO_ALIGN);
    mb2_put_string(b, MB2_INFO_TAG_CMDLINE, in->cmdline);
    mb2_put_string(b, MB2_INFO_TAG_LOADER_NAME, in->loader_name);
    for (size_t i = 0; i < in->module_count; i++)
        mb2_put_module(b, &in->modules[i]);
    mb2_put_meminfo(b, in->bi);
    mb2_put_mmap(b, map);
    if (in->elf_sections)
        mb2_put_elf_sections(b, in);
    if (fb)
        mb2_put_framebuffer(b, fb);
    mb2_put_firmware(b, in->bi);
    if (in->has_load_base)
        mb2_put_addr32(b, MB2_INFO_TAG_LOAD_BASE, in->load_base);
    mb2_tag_open(b, MB2_INFO_TAG_END, sizeof(struct mb2_tag_header));
    HBUF_SET(b, hdr, struct mb2_info_header, total_size, (uint32_t)(b->used - hdr));
}

/* ==========================================================================
 * Entry points
 * ========================================================================== */

/* What the 32-bit fields cannot hold. */
static int mb2_check_input(const struct handoff_input *in, struct hop_error *err)
{
    for (size_t i = 0; i < in->module_count; i++)
        if (in->modules[i].end > UINT32_MAX)
            return error_set(err, HOP_ERR_RANGE,
                             MB2_PROTO ": module %zu (0x%llx-0x%llx) not below 4 GiB: "
                             "module tags hold 32-bit addresses", i,
                             (unsigned long long)in->modules[i].start,
                             (unsigned long long)in->modules[i].end);
    if (in->has_load_base && in->load_base > UINT32_MAX)
        return error_set(err, HOP_ERR_RANGE, MB2_PROTO ": load base 0x%llx above 4 GiB",
                         (unsigned long long)in->load_base);
    if (in->bi->efi_system_table32 > UINT32_MAX)
        return error_set(err, HOP_ERR_RANGE, MB2_PROTO ": EFI32 system table 0x%llx "
                         "above 4 GiB", (unsigned long long)in->bi->efi_system_table32);
    return HOP_OK;
}

const struct handoff_builder handoff_mb2 = {
    .name = MB2_PROTO,
    .limit = HANDOFF_LIMIT_4GIB,
    .check = mb2_check_input,
    .lay_out = mb2_lay_out,
};

/* ==========================================================================
 * What the kernel's header asks for
 * ========================================================================== */

/* Why hop cannot give info tag type this time, or NULL when it can.  The
 * answers match what mb2_lay_out gives. */
static const char *mb2_info_missing(uint32_t type, const struct handoff_input *in)
{
    const struct bootinfo *bi = in->bi;
    bool efi = handoff_booted_from_efi(bi);
    switch (type) {
    case MB2_INFO_TAG_END:
    case MB2_INFO_TAG_CMDLINE:
    case MB2_INFO_TAG_LOADER_NAME:
    case MB2_INFO_TAG_MODULE: /* one tag per module, however many there are */
    case MB2_INFO_TAG_MEMINFO:
        return NULL;
    case MB2_INFO_TAG_MMAP:
        return bi->map_count ? NULL : "hop has no memory map";
    case MB2_INFO_TAG_FRAMEBUFFER:
        return handoff_framebuffer(bi) ? NULL : "hop was given no framebuffer";
    case MB2_INFO_TAG_EFI32_SYSTEM_TABLE:
        return bi->efi_system_table32 ? NULL
               : efi                  ? "booted from 64-bit UEFI"
                                      : "not booted from UEFI";
    case MB2_INFO_TAG_EFI64_SYSTEM_TABLE:
        return bi->efi_system_table64 ? NULL
               : efi                  ? "booted from 32-bit UEFI"
                                      : "not booted from UEFI";
    case MB2_INFO_TAG_EFI_MMAP:
        return bi->efi_mmap && bi->efi_mmap_size ? NULL
               : efi ? "the loader gave hop no EFI memory map"
                     : "not booted from UEFI";
    case MB2_INFO_TAG_SMBIOS:
        return bi->smbios ? NULL : "the loader gave hop no SMBIOS tables";
    case MB2_INFO_TAG_ACPI_OLD:
        return bi->rsdp_v1 ? NULL : "the loader gave hop no ACPI 1.0 RSDP";
    case MB2_INFO_TAG_ACPI_NEW:
        return bi->rsdp_v2 ? NULL : "the loader gave hop no ACPI 2.0 RSDP";
    case MB2_INFO_TAG_LOAD_BASE:
        return in->has_load_base ? NULL : "the kernel was not relocated";
    case MB2_INFO_TAG_ELF_SECTIONS:
        return in->elf_sections ? NULL : "the kernel has no ELF section headers";
    case MB2_INFO_TAG_BOOTDEV: return "hop does not know the BIOS boot device";
    case MB2_INFO_TAG_VBE: return "hop has no VBE information";
    case MB2_INFO_TAG_APM: return "hop has no APM table";
    case MB2_INFO_TAG_NETWORK: return "hop has no network information";
    case MB2_INFO_TAG_EFI_BOOT_SERVICES: return "hop never leaves EFI boot services running";
    case MB2_INFO_TAG_EFI32_IMAGE_HANDLE:
    case MB2_INFO_TAG_EFI64_IMAGE_HANDLE: return "hop is not an EFI application";
    default: return "hop does not know this tag type";
    }
}

static int mb2_check_info_requests(const struct mb2_header *hdr,
                                   const struct handoff_input *in, struct hop_error *err)
{
    size_t n = MIN(hdr->info_request_count, (size_t)MB2_MAX_INFO_REQUESTS);
    for (size_t i = 0; i < n; i++) {
        const struct mb2_info_request *r = &hdr->info_requests[i];
        const char *why = mb2_info_missing(r->type, in);
        if (r->required && why)
            return error_set(err, HOP_ERR_UNSUPPORTED,
                             "kernel requires multiboot2 info tag %u (%s), which hop "
                             "cannot give: %s", r->type,
                             mb2_info_tag_name(r->type), why);
    }
    return HOP_OK;
}

static bool mb2_header_requires(const struct mb2_header *hdr, unsigned type)
{
    return mb2_header_has(hdr, type) && !mb2_header_tag_optional(hdr, type);
}

/* Header tags 4 (console flags), 5 (framebuffer) and 7 (EFI boot services)
 * when not optional.  hop never changes the video mode. */
static int mb2_check_console(const struct mb2_header *hdr, const struct handoff_input *in,
                             struct hop_error *err)
{
    const struct framebuffer *fb = handoff_framebuffer(in->bi);
    bool linear = fb && fb->type != FB_EGA_TEXT, text = fb && fb->type == FB_EGA_TEXT;
    const char *have = linear ? "a linear framebuffer" : text ? "EGA text mode"
                                                              : "no known display";
    if (mb2_header_requires(hdr, MB2_HEADER_TAG_FRAMEBUFFER) && !linear)
        return error_set(err, HOP_ERR_UNSUPPORTED,
                         "kernel requires a framebuffer (multiboot2 header tag 5), which "
                         "hop cannot give: it has %s and never changes modes", have);
    bool console_required = mb2_header_has(hdr, MB2_HEADER_TAG_CONSOLE_FLAGS) &&
                            (hdr->console_flags & MB2_CONSOLE_REQUIRED);
    bool takes_text = hdr->console_flags & MB2_CONSOLE_EGA_TEXT;
    bool takes_fb = mb2_header_has(hdr, MB2_HEADER_TAG_FRAMEBUFFER);
    if (console_required && !((takes_text && text) || (takes_fb && linear)))
        return error_set(err, HOP_ERR_UNSUPPORTED,
                         "kernel requires a console it supports (multiboot2 console flags "
                         "0x%x), which hop cannot give: it has %s and never changes modes",
                         hdr->console_flags, have);
    return HOP_OK;
}

int mb2_check_requests(const struct mb2_header *hdr, const struct handoff_input *in,
                       struct hop_error *err)
{
    int rc = handoff_check_input(in, MB2_PROTO, err);
    if (rc != HOP_OK)
        return rc;
    if ((rc = mb2_check_info_requests(hdr, in, err)) != HOP_OK)
        return rc;
    if ((rc = mb2_check_console(hdr, in, err)) != HOP_OK)
        return rc;
    if (mb2_header_requires(hdr, MB2_HEADER_TAG_EFI_BS))
        return error_set(err, HOP_ERR_UNSUPPORTED,
                         "kernel requires EFI boot services left running (multiboot2 "
                         "header tag 7), which hop cannot give");
    return HOP_OK;
}

/* ==========================================================================
 * The descriptor (src/protos/proto.h)
 * ========================================================================== */

static bool mb2_detect(const struct proto_kernel *k)
{
    return k->has_mb2;
}

/* The address tag (2): the a.out kludge, the file loaded as one block. */
static const struct mb_load_layout *mb2_load_layout(const struct proto_kernel *k)
{
    return k->has_mb2 && mb2_header_has(&k->mb2, MB2_HEADER_TAG_ADDRESS) ? &k->mb2.layout
                                                                         : NULL;
}

/* The relocatable tag (10): the base in [min_addr, max_addr] by preference. */
static bool mb2_relocation(const struct proto_kernel *k, struct proto_reloc *r)
{
    const struct mb2_header *h = &k->mb2;
    if (!k->has_mb2 || !mb2_header_has(h, MB2_HEADER_TAG_RELOCATABLE))
        return false;
    *r = (struct proto_reloc){ .min = h->reloc_min_addr, .max = h->reloc_max_addr,
                               .align = h->reloc_align ? h->reloc_align : 1,
                               .prefer_high = h->reloc_preference == MB2_RELOC_PREFER_HIGH };
    return true;
}

/* The entry address tag (3), else the ELF entry. */
static int mb2_entry(const struct proto_kernel *k, paddr_t *entry, struct hop_error *err)
{
    if (k->has_mb2 && mb2_header_has(&k->mb2, MB2_HEADER_TAG_ENTRY_ADDRESS)) {
        *entry = k->mb2.entry_addr;
        return HOP_OK;
    }
    return proto_elf_entry(k, entry, err);
}

/* protocol=multiboot2 on a file without the header: nothing says where to
 * enter it or that it expects multiboot2's machine state. */
static int mb2_check_kernel(const struct proto_kernel *k, struct hop_error *err)
{
    if (!k->has_mb2)
        return error_set(err, HOP_ERR_UNSUPPORTED, "%s: protocol multiboot2 asked for, but "
                         "the kernel has no multiboot2 header in its first %u bytes",
                         k->path, MB2_SEARCH_END);
    return HOP_OK;
}

static int mb2_kernel_requests(const struct proto_kernel *k, const struct handoff_input *in,
                               struct hop_error *err)
{
    return k->has_mb2 ? mb2_check_requests(&k->mb2, in, err) : HOP_OK;
}

static bool mb2_wants_elf_sections(const struct proto_kernel *k)
{
    for (size_t i = 0; k->has_mb2 && i < k->mb2.info_request_count; i++)
        if (k->mb2.info_requests[i].type == MB2_INFO_TAG_ELF_SECTIONS)
            return true;
    return false;
}

/* Multiboot2 specification 3.3 "I386 machine state": EAX the magic, EBX the
 * info's physical address, protected mode with paging off. */
static void mb2_enter(const struct proto_kernel *k, paddr_t entry, paddr_t info,
                      struct handoff_cpu *cpu)
{
    (void)k;
    *cpu = (struct handoff_cpu){ .mode = HANDOFF_MODE_PROT32, .entry = entry,
                                 .rax = MB2_BOOTLOADER_MAGIC, .rbx = info,
                                 .protocol = proto_multiboot2.name };
}

const struct proto proto_multiboot2 = {
    .name = "multiboot2",
    .id = CONFIG_PROTO_MULTIBOOT2,
    .detect = mb2_detect,
    .check_kernel = mb2_check_kernel,
    .load_layout = mb2_load_layout,
    .relocation = mb2_relocation,
    .entry = mb2_entry,
    .check_requests = mb2_kernel_requests,
    .wants_elf_sections = mb2_wants_elf_sections,
    .info = &handoff_mb2,
    .info_align = HANDOFF_BUF_ALIGN,
    .enter = mb2_enter,
};

/* ==========================================================================
 * Plain ELF: a multiboot2 info block, entered in the ELF's own class
 * ========================================================================== */

static bool elf_detect(const struct proto_kernel *k)
{
    return k->is_elf;
}

static int elf_check_kernel(const struct proto_kernel *k, struct hop_error *err)
{
    if (!k->is_elf)
        return error_set(err, HOP_ERR_UNSUPPORTED, "%s: protocol elf asked for, but the "
                         "kernel is not an ELF file", k->path);
    return HOP_OK;
}

/* ELF64 in long mode, ELF32 in protected mode; either way RAX = the
 * multiboot2 magic and RBX = RDI = a multiboot2 info block. */
static void elf_enter(const struct proto_kernel *k, paddr_t entry, paddr_t info,
                      struct handoff_cpu *cpu)
{
    *cpu = (struct handoff_cpu){
        .mode = k->elf.elf_class == 64 ? HANDOFF_MODE_LONG : HANDOFF_MODE_PROT32,
        .entry = entry, .rax = MB2_BOOTLOADER_MAGIC, .rbx = info, .rdi = info,
        .protocol = proto_elf.name };
}

const struct proto proto_elf = {
    .name = "elf",
    .id = CONFIG_PROTO_ELF,
    .detect = elf_detect,
    .check_kernel = elf_check_kernel,
    .check_requests = mb2_kernel_requests,
    .wants_elf_sections = mb2_wants_elf_sections,
    .info = &handoff_mb2,
    .info_align = HANDOFF_BUF_ALIGN,
    .enter = elf_enter,
};
