/* The multiboot2 boot information parser (Multiboot2 specification, section
 * 3.6 "Boot information"): a block of tags, each checked against the block
 * before any of its fields is read.
 *
 * Everything the boot loader hands over is untrusted until checked: every
 * size against the block that holds it, every string for a NUL inside its
 * tag.  Fields are copied out with memcpy into the specification's layouts
 * (multiboot.h), so no field has to be aligned; like the protocol itself this
 * assumes a little-endian machine (x86). */
#include "parse/bootinfo_priv.h"

#include "lib/fmt.h"
#include "lib/string.h"
#include "parse/multiboot.h"

/* Smallest block: the header and an end tag. */
#define MB2_INFO_MIN_SIZE (sizeof(struct mb2_info_header) + sizeof(struct mb2_tag_header))

/* UEFI 2.x, EFI_MEMORY_DESCRIPTOR, and EFI_MEMORY_TYPE. */
struct efi_memory_descriptor {
    uint32_t type, pad;
    uint64_t phys_start, virt_start, num_pages, attribute;
};

#define EFI_PAGE_SIZE 4096u

enum efi_memory_type {
    EFI_RESERVED_MEMORY = 0,
    EFI_LOADER_CODE = 1,
    EFI_LOADER_DATA = 2,
    EFI_BOOT_SERVICES_CODE = 3,
    EFI_BOOT_SERVICES_DATA = 4,
    EFI_RUNTIME_SERVICES_CODE = 5,
    EFI_RUNTIME_SERVICES_DATA = 6,
    EFI_CONVENTIONAL_MEMORY = 7,
    EFI_UNUSABLE_MEMORY = 8,
    EFI_ACPI_RECLAIM_MEMORY = 9,
    EFI_ACPI_MEMORY_NVS = 10,
    EFI_MEMORY_MAPPED_IO = 11,
    EFI_MEMORY_MAPPED_IO_PORT_SPACE = 12,
    EFI_PAL_CODE = 13,
    EFI_PERSISTENT_MEMORY = 14,
};

/* Boot services memory is free only once ExitBootServices has run; with
 * them still active (tag 18) the firmware owns it. */
static uint32_t mem_type_from_efi(uint32_t efi_type, bool boot_services_active)
{
    switch (efi_type) {
    case EFI_BOOT_SERVICES_CODE:
    case EFI_BOOT_SERVICES_DATA:
        return boot_services_active ? MEM_RESERVED : MEM_USABLE;
    case EFI_LOADER_CODE:
    case EFI_LOADER_DATA:
    case EFI_CONVENTIONAL_MEMORY:
        return MEM_USABLE;
    case EFI_UNUSABLE_MEMORY: return MEM_BAD;
    case EFI_ACPI_RECLAIM_MEMORY: return MEM_ACPI_RECLAIM;
    case EFI_ACPI_MEMORY_NVS: return MEM_ACPI_NVS;
    case EFI_PERSISTENT_MEMORY: return MEM_PERSISTENT;
    default: return MEM_RESERVED; /* reserved, runtime services, MMIO, ... */
    }
}

/* One tag, header validated: it lies wholly inside the block. */
struct mb2_tag {
    uint32_t type;
    uint32_t size;
    size_t offset;       /* from the start of the info block */
    const uint8_t *data; /* the tag, header included */
};

struct mb2_parse {
    struct bootinfo *bi;
    struct hop_error *err;
    struct mb2_tag mmap, efi_mmap; /* the last of each; size 0 if absent */
};

static int mb2_tag_error(const struct mb2_parse *ps, const struct mb2_tag *t,
                         int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

typedef int (*mb2_tag_parser)(struct mb2_parse *ps, const struct mb2_tag *t);

struct mb2_tag_kind {
    uint32_t min_size;    /* the fields we read, and a NUL for strings */
    mb2_tag_parser parse; /* NULL: a tag we have no use for */
};

static int mb2_tag_error(const struct mb2_parse *ps, const struct mb2_tag *t,
                         int code, const char *fmt, ...)
{
    char detail[HOP_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return error_set(ps->err, code, "multiboot2 info: tag %u (%s) at offset 0x%zx: %s",
                     t->type, mb2_info_tag_name(t->type), t->offset, detail);
}

/* The NUL-terminated string at offset off of the tag (off < t->size). */
static int mb2_tag_string(const struct mb2_parse *ps, const struct mb2_tag *t,
                          size_t off, const char **out)
{
    const char *s = (const char *)t->data + off;
    size_t room = t->size - off;
    if (strnlen(s, room) == room)
        return mb2_tag_error(ps, t, HOP_ERR_INVALID,
                             "string at offset %zu not NUL-terminated within size %u",
                             off, t->size);
    *out = s;
    return HOP_OK;
}

static int mb2_parse_cmdline(struct mb2_parse *ps, const struct mb2_tag *t)
{
    return mb2_tag_string(ps, t, sizeof(struct mb2_tag_header), &ps->bi->cmdline);
}

static int mb2_parse_loader_name(struct mb2_parse *ps, const struct mb2_tag *t)
{
    return mb2_tag_string(ps, t, sizeof(struct mb2_tag_header), &ps->bi->loader_name);
}

static int mb2_parse_module(struct mb2_parse *ps, const struct mb2_tag *t)
{
    struct mb2_tag_module m;
    const char *cmdline = "";
    memcpy(&m, t->data, sizeof(m));
    if (m.mod_end < m.mod_start)
        return mb2_tag_error(ps, t, HOP_ERR_INVALID, "mod_end 0x%x below mod_start 0x%x",
                             m.mod_end, m.mod_start);
    int rc = mb2_tag_string(ps, t, sizeof(m), &cmdline);
    if (rc != HOP_OK)
        return rc;
    if (bootinfo_module_append(ps->bi, m.mod_start, m.mod_end, cmdline) != HOP_OK)
        return mb2_tag_error(ps, t, HOP_ERR_LIMIT, "more than %d modules",
                             BOOTINFO_MAX_MODULES);
    return HOP_OK;
}

static int mb2_parse_meminfo(struct mb2_parse *ps, const struct mb2_tag *t)
{
    struct mb2_tag_meminfo m;
    memcpy(&m, t->data, sizeof(m));
    ps->bi->mem_lower_kib = m.mem_lower;
    ps->bi->mem_upper_kib = m.mem_upper;
    ps->bi->has_meminfo = true;
    return HOP_OK;
}

/* Checked here, turned into regions once all tags are seen (the EFI map,
 * when present, takes precedence). */
static int mb2_parse_mmap(struct mb2_parse *ps, const struct mb2_tag *t)
{
    struct mb2_tag_mmap m;
    memcpy(&m, t->data, sizeof(m));
    /* The stride is entry_size, so later versions may grow the entry. */
    if (m.entry_size < sizeof(struct mb2_mmap_entry))
        return mb2_tag_error(ps, t, HOP_ERR_INVALID, "entry_size %u smaller than %zu",
                             m.entry_size, sizeof(struct mb2_mmap_entry));
    if (m.entry_size % MB2_MMAP_ENTRY_SIZE_ALIGN != 0)
        return mb2_tag_error(ps, t, HOP_ERR_INVALID, "entry_size %u not a multiple of %d",
                             m.entry_size, MB2_MMAP_ENTRY_SIZE_ALIGN);
    ps->mmap = *t;
    return HOP_OK;
}

/* color_info of an indexed framebuffer: the palette must fit in the tag. */
static int mb2_check_palette(const struct mb2_parse *ps, const struct mb2_tag *t)
{
    size_t room = t->size - sizeof(struct mb2_tag_framebuffer);
    uint16_t colors;
    if (room < MB2_FB_PALETTE_COUNT_SIZE)
        return mb2_tag_error(ps, t, HOP_ERR_INVALID,
                             "size %u too small for the palette's num_colors", t->size);
    memcpy(&colors, t->data + sizeof(struct mb2_tag_framebuffer), sizeof(colors));
    if ((size_t)colors * MB2_FB_PALETTE_ENTRY_SIZE > room - MB2_FB_PALETTE_COUNT_SIZE)
        return mb2_tag_error(ps, t, HOP_ERR_INVALID,
                             "palette of %u colors beyond size %u", colors, t->size);
    return HOP_OK;
}

static int mb2_parse_framebuffer(struct mb2_parse *ps, const struct mb2_tag *t)
{
    struct mb2_tag_framebuffer f;
    memcpy(&f, t->data, sizeof(f));
    struct framebuffer fb = { .addr = f.addr, .pitch = f.pitch, .width = f.width,
                              .height = f.height, .bpp = f.bpp, .type = f.type };
    int rc;
    switch (f.type) {
    case FB_INDEXED:
        if ((rc = mb2_check_palette(ps, t)) != HOP_OK)
            return rc;
        break;
    case FB_RGB:
        if (t->size - sizeof(f) < sizeof(struct mb_fb_rgb))
            return mb2_tag_error(ps, t, HOP_ERR_INVALID,
                                 "size %u too small for RGB color_info", t->size);
        bootinfo_fb_set_rgb(&fb, t->data + sizeof(f));
        break;
    case FB_EGA_TEXT:
        break;
    default:
        return HOP_OK; /* a kind of display we cannot drive: as if absent */
    }
    ps->bi->fb = fb;
    ps->bi->has_fb = true;
    return HOP_OK;
}

/* Tags 11, 12, 19, 20 and 21 each carry one address. */
static int mb2_parse_address(struct mb2_parse *ps, const struct mb2_tag *t)
{
    struct bootinfo *bi = ps->bi;
    struct mb2_tag_addr32 a32;
    struct mb2_tag_addr64 a64;
    switch (t->type) {
    case MB2_INFO_TAG_EFI64_SYSTEM_TABLE:
    case MB2_INFO_TAG_EFI64_IMAGE_HANDLE:
        memcpy(&a64, t->data, sizeof(a64));
        if (t->type == MB2_INFO_TAG_EFI64_SYSTEM_TABLE)
            bi->efi_system_table64 = a64.addr;
        else
            bi->efi_image_handle64 = a64.addr;
        break;
    default: /* the 32-bit ones */
        memcpy(&a32, t->data, sizeof(a32));
        if (t->type == MB2_INFO_TAG_EFI32_SYSTEM_TABLE) {
            bi->efi_system_table32 = a32.addr;
        } else if (t->type == MB2_INFO_TAG_EFI32_IMAGE_HANDLE) {
            bi->efi_image_handle32 = a32.addr;
        } else {
            bi->load_base = a32.addr;
            bi->has_load_base = true;
        }
        break;
    }
    return HOP_OK;
}

static int mb2_parse_smbios(struct mb2_parse *ps, const struct mb2_tag *t)
{
    struct mb2_tag_smbios s;
    memcpy(&s, t->data, sizeof(s));
    ps->bi->smbios_major = s.major;
    ps->bi->smbios_minor = s.minor;
    ps->bi->smbios = t->data + sizeof(s);
    ps->bi->smbios_len = t->size - sizeof(s);
    return HOP_OK;
}

/* Tags 14 and 15: a copy of the RSDP follows the header. */
static int mb2_parse_acpi(struct mb2_parse *ps, const struct mb2_tag *t)
{
    const void *rsdp = t->data + sizeof(struct mb2_tag_header);
    size_t len = t->size - sizeof(struct mb2_tag_header);
    if (t->type == MB2_INFO_TAG_ACPI_OLD) {
        ps->bi->rsdp_v1 = rsdp;
        ps->bi->rsdp_v1_len = len;
    } else {
        ps->bi->rsdp_v2 = rsdp;
        ps->bi->rsdp_v2_len = len;
    }
    return HOP_OK;
}

static int mb2_parse_efi_mmap(struct mb2_parse *ps, const struct mb2_tag *t)
{
    struct mb2_tag_efi_mmap m;
    memcpy(&m, t->data, sizeof(m));
    if (m.desc_size < sizeof(struct efi_memory_descriptor))
        return mb2_tag_error(ps, t, HOP_ERR_INVALID, "descriptor_size %u smaller than %zu",
                             m.desc_size, sizeof(struct efi_memory_descriptor));
    size_t bytes = t->size - sizeof(m);
    ps->bi->efi_desc_size = m.desc_size;
    ps->bi->efi_desc_version = m.desc_version;
    ps->bi->efi_mmap = t->data + sizeof(m);
    /* Whole descriptors only: a trailing fragment is padding, not data. */
    ps->bi->efi_mmap_size = bytes - bytes % m.desc_size;
    ps->efi_mmap = *t;
    return HOP_OK;
}

static int mb2_parse_efi_boot_services(struct mb2_parse *ps, const struct mb2_tag *t)
{
    (void)t;
    ps->bi->efi_boot_services_active = true;
    return HOP_OK;
}

#define MB2_HDR sizeof(struct mb2_tag_header)

static const struct mb2_tag_kind mb2_tag_kinds[MB2_INFO_TAG_TYPE_COUNT] = {
    [MB2_INFO_TAG_END] = { MB2_HDR, NULL },
    [MB2_INFO_TAG_CMDLINE] = { MB2_HDR + 1, mb2_parse_cmdline },
    [MB2_INFO_TAG_LOADER_NAME] = { MB2_HDR + 1, mb2_parse_loader_name },
    [MB2_INFO_TAG_MODULE] = { sizeof(struct mb2_tag_module) + 1, mb2_parse_module },
    [MB2_INFO_TAG_MEMINFO] = { sizeof(struct mb2_tag_meminfo), mb2_parse_meminfo },
    [MB2_INFO_TAG_BOOTDEV] = { MB2_HDR, NULL },
    [MB2_INFO_TAG_MMAP] = { sizeof(struct mb2_tag_mmap), mb2_parse_mmap },
    [MB2_INFO_TAG_VBE] = { MB2_HDR, NULL },
    [MB2_INFO_TAG_FRAMEBUFFER] = { sizeof(struct mb2_tag_framebuffer),
                                   mb2_parse_framebuffer },
    [MB2_INFO_TAG_ELF_SECTIONS] = { MB2_HDR, NULL },
    [MB2_INFO_TAG_APM] = { MB2_HDR, NULL },
    [MB2_INFO_TAG_EFI32_SYSTEM_TABLE] = { sizeof(struct mb2_tag_addr32), mb2_parse_address },
    [MB2_INFO_TAG_EFI64_SYSTEM_TABLE] = { sizeof(struct mb2_tag_addr64), mb2_parse_address },
    [MB2_INFO_TAG_SMBIOS] = { sizeof(struct mb2_tag_smbios), mb2_parse_smbios },
    [MB2_INFO_TAG_ACPI_OLD] = { MB2_HDR + ACPI_RSDP_V1_LEN, mb2_parse_acpi },
    [MB2_INFO_TAG_ACPI_NEW] = { MB2_HDR + ACPI_RSDP_V2_LEN, mb2_parse_acpi },
    [MB2_INFO_TAG_NETWORK] = { MB2_HDR, NULL },
    [MB2_INFO_TAG_EFI_MMAP] = { sizeof(struct mb2_tag_efi_mmap), mb2_parse_efi_mmap },
    [MB2_INFO_TAG_EFI_BOOT_SERVICES] = { MB2_HDR, mb2_parse_efi_boot_services },
    [MB2_INFO_TAG_EFI32_IMAGE_HANDLE] = { sizeof(struct mb2_tag_addr32), mb2_parse_address },
    [MB2_INFO_TAG_EFI64_IMAGE_HANDLE] = { sizeof(struct mb2_tag_addr64), mb2_parse_address },
    [MB2_INFO_TAG_LOAD_BASE] = { sizeof(struct mb2_tag_addr32), mb2_parse_address },
};

/* Types we do not know are legal (later spec versions add some): skipped. */
static const struct mb2_tag_kind mb2_tag_unknown = { MB2_HDR, NULL };

static const struct mb2_tag_kind *mb2_tag_kind(uint32_t type)
{
    if (type < MB2_INFO_TAG_TYPE_COUNT)
        return &mb2_tag_kinds[type];
    return &mb2_tag_unknown;
}

static int mb2_parse_tag(struct mb2_parse *ps, const struct mb2_tag *t)
{
    const struct mb2_tag_kind *kind = mb2_tag_kind(t->type);
    if (t->size < kind->min_size)
        return mb2_tag_error(ps, t, HOP_ERR_INVALID, "size %u smaller than %u",
                             t->size, kind->min_size);
    return kind->parse ? kind->parse(ps, t) : HOP_OK;
}

/* Walks the tags of info[0, total) up to the end tag. */
static int mb2_walk(struct mb2_parse *ps, const uint8_t *info, size_t total)
{
    size_t off = sizeof(struct mb2_info_header);
    for (;;) {
        struct mb2_tag_header h;
        if (off > total || total - off < sizeof(h))
            return error_set(ps->err, HOP_ERR_TRUNCATED,
                             "multiboot2 info: no end tag within total_size 0x%zx "
                             "(next tag at offset 0x%zx)", total, off);
        memcpy(&h, info + off, sizeof(h));
        struct mb2_tag t = { .type = h.type, .size = h.size, .offset = off,
                             .data = info + off };
        if (h.size < sizeof(h))
            return mb2_tag_error(ps, &t, HOP_ERR_INVALID,
                                 "size %u smaller than the tag header", h.size);
        if (h.size > total - off)
            return mb2_tag_error(ps, &t, HOP_ERR_TRUNCATED,
                                 "size 0x%x extends beyond total_size 0x%zx", h.size, total);
        if (h.type == MB2_INFO_TAG_END)
            return HOP_OK;
        int rc = mb2_parse_tag(ps, &t);
        if (rc != HOP_OK)
            return rc;
        /* size <= total <= BOOTINFO_BLOCK_MAX: no overflow. */
        off += ALIGN_UP((size_t)h.size, (size_t)MB2_INFO_ALIGN);
    }
}

static int mb2_map_from_efi(struct mb2_parse *ps)
{
    struct bootinfo *bi = ps->bi;
    const uint8_t *descs = bi->efi_mmap;
    size_t count = bi->efi_mmap_size / bi->efi_desc_size;
    for (size_t i = 0; i < count; i++) {
        struct efi_memory_descriptor d;
        uint64_t bytes;
        memcpy(&d, descs + i * bi->efi_desc_size, sizeof(d));
        paddr_t end = MUL_OVERFLOWS(d.num_pages, (uint64_t)EFI_PAGE_SIZE, &bytes)
                          ? UINT64_MAX
                          : bootinfo_region_end(d.phys_start, bytes);
        uint32_t type = mem_type_from_efi(d.type, bi->efi_boot_services_active);
        if (bootinfo_add_region(bi, d.phys_start, end, type) != HOP_OK)
            return mb2_tag_error(ps, &ps->efi_mmap, HOP_ERR_LIMIT,
                                 "descriptor %zu makes more than %d memory regions",
                                 i, BOOTINFO_MAX_REGIONS);
    }
    return HOP_OK;
}

static int mb2_map_from_mmap(struct mb2_parse *ps)
{
    const struct mb2_tag *t = &ps->mmap;
    struct mb2_tag_mmap m;
    memcpy(&m, t->data, sizeof(m));
    /* Whole entries only: a trailing fragment is padding, not data. */
    size_t count = (t->size - sizeof(m)) / m.entry_size;
    for (size_t i = 0; i < count; i++) {
        struct mb2_mmap_entry e;
        memcpy(&e, t->data + sizeof(m) + i * m.entry_size, sizeof(e));
        if (bootinfo_add_region(ps->bi, e.base_addr, bootinfo_region_end(e.base_addr, e.length),
                                bootinfo_mem_type_from_e820(e.type)) != HOP_OK)
            return mb2_tag_error(ps, t, HOP_ERR_LIMIT,
                                 "entry %zu makes more than %d memory regions",
                                 i, BOOTINFO_MAX_REGIONS);
    }
    return HOP_OK;
}

/* The best source that yields any memory: the EFI map (exact, and the only
 * one that knows boot services memory), then the memory map, then meminfo. */
static int mb2_build_map(struct mb2_parse *ps)
{
    int rc;
    if (ps->efi_mmap.size) {
        if ((rc = mb2_map_from_efi(ps)) != HOP_OK)
            return rc;
        if (ps->bi->map_count) {
            ps->bi->map_from_efi = true;
            return HOP_OK;
        }
    }
    if (ps->mmap.size) {
        if ((rc = mb2_map_from_mmap(ps)) != HOP_OK)
            return rc;
        if (ps->bi->map_count)
            return HOP_OK;
    }
    return ps->bi->has_meminfo ? bootinfo_map_from_meminfo(ps->bi) : HOP_OK;
}

/* Maps the whole block, learning its size from its header. */
static int mb2_map_info(paddr_t addr, const struct phys_access *pa,
                        struct hop_error *err, const uint8_t **info, size_t *total)
{
    struct mb2_info_header h;
    paddr_t last;
    const void *p = pa->map(pa->ctx, addr, sizeof(h));
    if (!p)
        return error_set(err, HOP_ERR_RANGE, "multiboot2 info at 0x%llx: header not accessible",
                         (unsigned long long)addr);
    memcpy(&h, p, sizeof(h));
    if (h.total_size < MB2_INFO_MIN_SIZE)
        return error_set(err, HOP_ERR_INVALID,
                         "multiboot2 info at 0x%llx: total_size %u smaller than %zu",
                         (unsigned long long)addr, h.total_size, MB2_INFO_MIN_SIZE);
    if (h.total_size > BOOTINFO_BLOCK_MAX)
        return error_set(err, HOP_ERR_INVALID,
                         "multiboot2 info at 0x%llx: total_size 0x%x above the 0x%x limit",
                         (unsigned long long)addr, h.total_size, BOOTINFO_BLOCK_MAX);
    if (ADD_OVERFLOWS(addr, (paddr_t)h.total_size - 1, &last))
        return error_set(err, HOP_ERR_RANGE,
                         "multiboot2 info at 0x%llx: total_size 0x%x wraps past 2^64",
                         (unsigned long long)addr, h.total_size);
    *info = pa->map(pa->ctx, addr, h.total_size);
    if (!*info)
        return error_set(err, HOP_ERR_RANGE,
                         "multiboot2 info at 0x%llx: total_size 0x%x bytes not accessible",
                         (unsigned long long)addr, h.total_size);
    *total = h.total_size;
    return HOP_OK;
}

int bootinfo_parse_mb2(struct bootinfo *bi, paddr_t addr, const struct phys_access *pa,
                       struct hop_error *err)
{
    const uint8_t *info = NULL;
    size_t total = 0;
    int rc = mb2_map_info(addr, pa, err, &info, &total);
    if (rc != HOP_OK)
        return rc;
    bi->proto = BOOT_PROTO_MB2;
    bi->info_addr = addr;
    bi->info_size = total;

    struct mb2_parse ps = { .bi = bi, .err = err };
    rc = mb2_walk(&ps, info, total);
    if (rc != HOP_OK)
        return rc;
    return mb2_build_map(&ps);
}
