/* The boot information parsers (multiboot2 and multiboot1) and the memory map
 * both of them fill.
 *
 * Everything the boot loader hands over is untrusted until checked: every
 * size against the block that holds it, every string for a NUL inside its
 * container, every address sum for overflow.  Physical memory is only read
 * through pa->map, and only within the view it returned.  Fields are copied
 * out with memcpy into the specifications' layouts (multiboot.h), so no field
 * has to be aligned; like the boot protocols themselves this assumes a
 * little-endian machine (x86). */
#include "parse/bootinfo.h"

#include "lib/fmt.h"
#include "lib/string.h"
#include "parse/multiboot.h"

/* Largest info block, module list or memory map we accept: real ones are a
 * few KiB, so anything near this is corrupt. */
#define BOOTINFO_BLOCK_MAX (16u << 20)

/* ==========================================================================
 * Memory types
 * ========================================================================== */

/* Where two map entries claim the same byte the more restrictive type wins:
 * calling reserved memory usable corrupts firmware or devices, the reverse
 * only wastes memory.  Lowest rank first:
 *   usable
 *   ACPI reclaimable  usable once the OS has read the tables
 *   persistent        holds data that must survive, but is plain RAM
 *   ACPI NVS          firmware state that must be kept across sleep
 *   reserved          firmware, devices, and every type we do not know
 *   bad               must never be touched */
enum mem_rank {
    MEM_RANK_USABLE,
    MEM_RANK_ACPI_RECLAIM,
    MEM_RANK_PERSISTENT,
    MEM_RANK_ACPI_NVS,
    MEM_RANK_RESERVED,
    MEM_RANK_BAD,
    MEM_RANK_COUNT,
};

static const uint32_t mem_type_of_rank[MEM_RANK_COUNT] = {
    [MEM_RANK_USABLE] = MEM_USABLE,
    [MEM_RANK_ACPI_RECLAIM] = MEM_ACPI_RECLAIM,
    [MEM_RANK_PERSISTENT] = MEM_PERSISTENT,
    [MEM_RANK_ACPI_NVS] = MEM_ACPI_NVS,
    [MEM_RANK_RESERVED] = MEM_RESERVED,
    [MEM_RANK_BAD] = MEM_BAD,
};

int mem_type_rank(uint32_t type)
{
    switch (type) {
    case MEM_USABLE: return MEM_RANK_USABLE;
    case MEM_ACPI_RECLAIM: return MEM_RANK_ACPI_RECLAIM;
    case MEM_PERSISTENT: return MEM_RANK_PERSISTENT;
    case MEM_ACPI_NVS: return MEM_RANK_ACPI_NVS;
    case MEM_BAD: return MEM_RANK_BAD;
    default: return MEM_RANK_RESERVED; /* MEM_RESERVED and anything unknown */
    }
}

const char *mem_type_name(uint32_t type)
{
    switch (type) {
    case MEM_USABLE: return "usable";
    case MEM_RESERVED: return "reserved";
    case MEM_ACPI_RECLAIM: return "ACPI reclaimable";
    case MEM_ACPI_NVS: return "ACPI NVS";
    case MEM_BAD: return "bad";
    case MEM_PERSISTENT: return "persistent";
    default: return "unknown";
    }
}

/* The end of [base, base+length), clipped at the top of the address space
 * (the last byte is then lost: end is exclusive and cannot be 2^64). */
static paddr_t region_end(paddr_t base, uint64_t length)
{
    paddr_t end;
    if (ADD_OVERFLOWS(base, length, &end))
        return UINT64_MAX;
    return end;
}

/* ==========================================================================
 * Memory map normalization
 *
 * A boundary sweep.  Every region contributes a start and an end event; with
 * the events sorted by address, walking them while counting the open regions
 * of each rank gives, between two consecutive event addresses, the highest
 * open rank: the type of that stretch.  Touching stretches of the same type
 * are merged as they are emitted.  n regions give 2n events and up to 2n-1
 * stretches, so the result can outgrow the table: the sweep runs once only
 * counting and writes the table only when the result fits.  The events hold
 * everything, so the writing sweep may overwrite the table they came from.
 * Sorting is a heapsort: O(n log n), no memory beyond the events.
 * ========================================================================== */

/* The whole table plus the one region bootinfo_add_region brings. */
#define MAP_EVENT_MAX (2 * (BOOTINFO_MAX_REGIONS + 1))
#define MAP_EVENT_END 0x80 /* in map_events.code: the event closes a region */

/* Two arrays rather than an array of structs: 4.6 KiB of stack, not 8. */
struct map_events {
    paddr_t addr[MAP_EVENT_MAX];
    uint8_t code[MAP_EVENT_MAX]; /* enum mem_rank, | MAP_EVENT_END */
    size_t count;
};

static void events_add(struct map_events *ev, const struct mem_region *r)
{
    if (r->start >= r->end)
        return; /* empty */
    uint8_t rank = (uint8_t)mem_type_rank(r->type);
    ev->addr[ev->count] = r->start;
    ev->code[ev->count++] = rank;
    ev->addr[ev->count] = r->end;
    ev->code[ev->count++] = rank | MAP_EVENT_END;
}

static void events_swap(struct map_events *ev, size_t a, size_t b)
{
    paddr_t addr = ev->addr[a];
    uint8_t code = ev->code[a];
    ev->addr[a] = ev->addr[b];
    ev->code[a] = ev->code[b];
    ev->addr[b] = addr;
    ev->code[b] = code;
}

/* Restores the max-heap order of ev[0, n) below root. */
static void events_sift_down(struct map_events *ev, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && ev->addr[child + 1] > ev->addr[child])
            child++;
        if (ev->addr[root] >= ev->addr[child])
            return;
        events_swap(ev, root, child);
        root = child;
    }
}

/* By address only: the sweep applies all events at one address together, so
 * their order among themselves does not matter. */
static void events_sort(struct map_events *ev)
{
    size_t n = ev->count;
    for (size_t i = n / 2; i-- > 0;)
        events_sift_down(ev, i, n);
    for (size_t end = n; end > 1; end--) {
        events_swap(ev, 0, end - 1);
        events_sift_down(ev, 0, end - 1);
    }
}

/* Collects the sweep's stretches, merging one into the previous when they
 * touch and have the same type.  With out == NULL it only counts. */
struct map_writer {
    struct mem_region *out;
    size_t count;
    struct mem_region last;
};

static void map_writer_emit(struct map_writer *w, paddr_t start, paddr_t end,
                            uint32_t type)
{
    if (w->count > 0 && w->last.end == start && w->last.type == type) {
        w->last.end = end;
    } else {
        w->count++;
        w->last = (struct mem_region){ .start = start, .end = end, .type = type };
    }
    if (w->out && w->count <= BOOTINFO_MAX_REGIONS)
        w->out[w->count - 1] = w->last;
}

static int open_rank_top(const uint32_t open[MEM_RANK_COUNT])
{
    for (int rank = MEM_RANK_COUNT - 1; rank >= 0; rank--)
        if (open[rank])
            return rank;
    return -1;
}

/* Returns the number of stretches; writes them to out unless it is NULL. */
static size_t map_sweep(const struct map_events *ev, struct mem_region *out)
{
    uint32_t open[MEM_RANK_COUNT] = { 0 };
    struct map_writer w = { .out = out };
    size_t i = 0;
    while (i < ev->count) {
        paddr_t here = ev->addr[i];
        /* A region's end lies above its start, so ends applied here only
         * close regions opened at lower addresses: no count underflows. */
        for (; i < ev->count && ev->addr[i] == here; i++) {
            uint8_t rank = ev->code[i] & ~MAP_EVENT_END;
            if (ev->code[i] & MAP_EVENT_END)
                open[rank]--;
            else
                open[rank]++;
        }
        int top = open_rank_top(open);
        if (top >= 0 && i < ev->count)
            map_writer_emit(&w, here, ev->addr[i], mem_type_of_rank[top]);
    }
    return w.count;
}

/* Normalizes bi->map together with extra (may be NULL). */
static int map_rebuild(struct bootinfo *bi, const struct mem_region *extra)
{
    struct map_events ev;
    size_t n = MIN(bi->map_count, (size_t)BOOTINFO_MAX_REGIONS);

    ev.count = 0;
    for (size_t i = 0; i < n; i++)
        events_add(&ev, &bi->map[i]);
    if (extra)
        events_add(&ev, extra);
    events_sort(&ev);
    if (map_sweep(&ev, NULL) > BOOTINFO_MAX_REGIONS)
        return HOP_ERR_LIMIT;
    bi->map_count = map_sweep(&ev, bi->map);
    return HOP_OK;
}

int bootinfo_normalize_map(struct bootinfo *bi)
{
    return map_rebuild(bi, NULL);
}

int bootinfo_add_region(struct bootinfo *bi, paddr_t start, paddr_t end,
                        uint32_t type)
{
    if (start >= end)
        return HOP_OK;
    struct mem_region r = { .start = start, .end = end, .type = type };
    return map_rebuild(bi, &r);
}

uint64_t bootinfo_total(const struct bootinfo *bi, uint32_t type)
{
    uint64_t total = 0;
    /* Regions are disjoint and below 2^64, so the sum cannot overflow. */
    for (size_t i = 0; i < bi->map_count && i < BOOTINFO_MAX_REGIONS; i++)
        if (bi->map[i].type == type && bi->map[i].end > bi->map[i].start)
            total += bi->map[i].end - bi->map[i].start;
    return total;
}

/* Basic meminfo as a map, for loaders that give nothing better: lower memory
 * from 0, upper memory from 1 MiB. */
#define LOWER_MEMORY_MAX_KIB 640 /* above it lie the VGA hole and the BIOS */
#define UPPER_MEMORY_START 0x100000u
#define KIB 1024u

static int map_from_meminfo(struct bootinfo *bi)
{
    uint64_t lower = (uint64_t)MIN(bi->mem_lower_kib, LOWER_MEMORY_MAX_KIB) * KIB;
    uint64_t upper = (uint64_t)bi->mem_upper_kib * KIB;
    int rc = bootinfo_add_region(bi, 0, lower, MEM_USABLE);
    if (rc == HOP_OK)
        rc = bootinfo_add_region(bi, UPPER_MEMORY_START,
                                 UPPER_MEMORY_START + upper, MEM_USABLE);
    return rc;
}

/* ==========================================================================
 * Modules
 * ========================================================================== */

static int module_append(struct bootinfo *bi, paddr_t start, paddr_t end,
                         const char *cmdline)
{
    if (bi->module_count >= BOOTINFO_MAX_MODULES)
        return HOP_ERR_LIMIT;
    bi->modules[bi->module_count++] =
        (struct boot_module){ .start = start, .end = end, .cmdline = cmdline };
    return HOP_OK;
}

static size_t first_word_len(const char *s)
{
    size_t n = 0;
    while (s[n] && s[n] != ' ' && s[n] != '\t')
        n++;
    return n;
}

const struct boot_module *bootinfo_find_module(const struct bootinfo *bi,
                                               const char *name)
{
    if (!bi || !name)
        return NULL;
    if (name[0] == '/')
        name++;
    size_t name_len = strlen(name);
    if (name_len == 0)
        return NULL;
    for (size_t i = 0; i < bi->module_count && i < BOOTINFO_MAX_MODULES; i++) {
        const char *word = bi->modules[i].cmdline;
        if (word[0] == '/')
            word++;
        if (first_word_len(word) == name_len && memcmp(word, name, name_len) == 0)
            return &bi->modules[i];
    }
    return NULL;
}

/* ==========================================================================
 * Shared by both protocols
 * ========================================================================== */

/* e820 / multiboot memory map types are enum mem_type's numbers; the ones we
 * do not know (6 disabled, 12 legacy persistent, vendor types) are kept out
 * of the usable pool. */
static uint32_t mem_type_from_e820(uint32_t type)
{
    return mem_type_of_rank[mem_type_rank(type)];
}

/* color is a struct mb_fb_rgb, in either protocol's info. */
static void fb_set_rgb(struct framebuffer *fb, const void *color)
{
    struct mb_fb_rgb f;
    memcpy(&f, color, sizeof(f));
    fb->red_pos = f.red_pos;
    fb->red_size = f.red_size;
    fb->green_pos = f.green_pos;
    fb->green_size = f.green_size;
    fb->blue_pos = f.blue_pos;
    fb->blue_size = f.blue_size;
}

/* ==========================================================================
 * Multiboot2 (Multiboot2 specification, section 3.6 "Boot information")
 * ========================================================================== */

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
    if (module_append(ps->bi, m.mod_start, m.mod_end, cmdline) != HOP_OK)
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
        fb_set_rgb(&fb, t->data + sizeof(f));
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
                          : region_end(d.phys_start, bytes);
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
        if (bootinfo_add_region(ps->bi, e.base_addr, region_end(e.base_addr, e.length),
                                mem_type_from_e820(e.type)) != HOP_OK)
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
    return ps->bi->has_meminfo ? map_from_meminfo(ps->bi) : HOP_OK;
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

static int mb2_parse(struct bootinfo *bi, paddr_t addr, const struct phys_access *pa,
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

/* ==========================================================================
 * Multiboot1 (Multiboot specification 0.6.96, section 3.3)
 * ========================================================================== */

/* Strings have no length: we look for the NUL within this many bytes. */
#define MB1_STRING_MAX 4096u

struct mb1_parse {
    struct bootinfo *bi;
    const struct phys_access *pa;
    struct hop_error *err;
    struct mb1_info info;
};

static int mb1_error(const struct mb1_parse *ps, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int mb1_error(const struct mb1_parse *ps, int code, const char *fmt, ...)
{
    char detail[HOP_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return error_set(ps->err, code, "multiboot1 info at 0x%llx: %s",
                     (unsigned long long)ps->bi->info_addr, detail);
}

/* Maps the longest readable window at addr up to MB1_STRING_MAX bytes: a
 * string near the end of memory has less than a full window after it.
 * Readability is monotonic in the length, so a binary search finds it. */
static const char *mb1_map_window(const struct phys_access *pa, paddr_t addr,
                                  size_t *window)
{
    const char *best = pa->map(pa->ctx, addr, MB1_STRING_MAX);
    size_t lo = 0, hi = MB1_STRING_MAX; /* lo readable (or 0), hi not */
    if (best) {
        *window = MB1_STRING_MAX;
        return best;
    }
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        const char *p = pa->map(pa->ctx, addr, mid);
        if (p) {
            lo = mid;
            best = p;
        } else {
            hi = mid;
        }
    }
    *window = lo;
    return best;
}

/* The string at addr, which field names in messages. */
static int mb1_string(const struct mb1_parse *ps, paddr_t addr, const char *field,
                      const char **out)
{
    size_t window;
    const char *s = mb1_map_window(ps->pa, addr, &window);
    if (!s)
        return mb1_error(ps, HOP_ERR_RANGE, "%s: string at 0x%llx not accessible",
                         field, (unsigned long long)addr);
    if (strnlen(s, window) == window)
        return mb1_error(ps, HOP_ERR_INVALID,
                         "%s: string at 0x%llx has no NUL within %zu readable bytes",
                         field, (unsigned long long)addr, window);
    *out = s;
    return HOP_OK;
}

static int mb1_parse_module(struct mb1_parse *ps, const struct mb1_module *m, size_t i)
{
    char field[64];
    const char *cmdline = "";
    fmt_snprintf(field, sizeof(field), "module %zu (mods_addr 0x%x + 0x%zx)", i,
                 ps->info.mods_addr, i * sizeof(*m));
    if (m->mod_end < m->mod_start)
        return mb1_error(ps, HOP_ERR_INVALID, "%s: mod_end 0x%x below mod_start 0x%x",
                         field, m->mod_end, m->mod_start);
    if (m->string != 0) {
        int rc = mb1_string(ps, m->string, field, &cmdline);
        if (rc != HOP_OK)
            return rc;
    }
    if (module_append(ps->bi, m->mod_start, m->mod_end, cmdline) != HOP_OK)
        return mb1_error(ps, HOP_ERR_LIMIT, "%s: more than %d modules", field,
                         BOOTINFO_MAX_MODULES);
    return HOP_OK;
}

static int mb1_parse_modules(struct mb1_parse *ps)
{
    uint32_t count = ps->info.mods_count;
    if (count > BOOTINFO_MAX_MODULES)
        return mb1_error(ps, HOP_ERR_LIMIT, "mods_count %u: more than %d modules",
                         count, BOOTINFO_MAX_MODULES);
    if (count == 0)
        return HOP_OK;
    size_t bytes = count * sizeof(struct mb1_module); /* count <= 64 */
    const uint8_t *list = ps->pa->map(ps->pa->ctx, ps->info.mods_addr, bytes);
    if (!list)
        return mb1_error(ps, HOP_ERR_RANGE, "mods_addr 0x%x: %zu bytes not accessible",
                         ps->info.mods_addr, bytes);
    for (size_t i = 0; i < count; i++) {
        struct mb1_module m;
        memcpy(&m, list + i * sizeof(m), sizeof(m));
        int rc = mb1_parse_module(ps, &m, i);
        if (rc != HOP_OK)
            return rc;
    }
    return HOP_OK;
}

static int mb1_parse_framebuffer(struct mb1_parse *ps)
{
    const struct mb1_info *in = &ps->info;
    struct framebuffer fb = { .addr = in->framebuffer_addr, .pitch = in->framebuffer_pitch,
                              .width = in->framebuffer_width,
                              .height = in->framebuffer_height,
                              .bpp = in->framebuffer_bpp, .type = in->framebuffer_type };
    switch (in->framebuffer_type) {
    case FB_RGB:
        fb_set_rgb(&fb, in->color_info);
        break;
    case FB_INDEXED: /* the palette lies elsewhere and we do not use it */
    case FB_EGA_TEXT:
        break;
    default:
        return HOP_OK; /* a kind of display we cannot drive: as if absent */
    }
    ps->bi->fb = fb;
    ps->bi->has_fb = true;
    return HOP_OK;
}

/* One entry at off of the map[0, len): returns its size field via *size. */
static int mb1_mmap_entry(struct mb1_parse *ps, const uint8_t *map, size_t len,
                          size_t off, uint32_t *size)
{
    struct mb1_mmap_entry e;
    if (len - off < sizeof(e.size))
        return mb1_error(ps, HOP_ERR_TRUNCATED,
                         "mmap (mmap_addr 0x%x): entry at offset 0x%zx: size field "
                         "beyond mmap_length %zu", ps->info.mmap_addr, off, len);
    memcpy(&e.size, map + off, sizeof(e.size));
    if (e.size < MB1_MMAP_ENTRY_BODY_SIZE)
        return mb1_error(ps, HOP_ERR_INVALID,
                         "mmap (mmap_addr 0x%x): entry at offset 0x%zx: size %u smaller "
                         "than %zu", ps->info.mmap_addr, off, e.size,
                         MB1_MMAP_ENTRY_BODY_SIZE);
    if (e.size > len - off - sizeof(e.size))
        return mb1_error(ps, HOP_ERR_TRUNCATED,
                         "mmap (mmap_addr 0x%x): entry at offset 0x%zx: size %u beyond "
                         "mmap_length %zu", ps->info.mmap_addr, off, e.size, len);
    memcpy(&e, map + off, sizeof(e));
    *size = e.size;
    if (bootinfo_add_region(ps->bi, e.base_addr, region_end(e.base_addr, e.length),
                            mem_type_from_e820(e.type)) != HOP_OK)
        return mb1_error(ps, HOP_ERR_LIMIT,
                         "mmap (mmap_addr 0x%x): entry at offset 0x%zx makes more than "
                         "%d memory regions", ps->info.mmap_addr, off, BOOTINFO_MAX_REGIONS);
    return HOP_OK;
}

static int mb1_map_from_mmap(struct mb1_parse *ps)
{
    size_t len = ps->info.mmap_length;
    if (len == 0)
        return HOP_OK;
    if (len > BOOTINFO_BLOCK_MAX)
        return mb1_error(ps, HOP_ERR_INVALID, "mmap_length 0x%zx above the 0x%x limit",
                         len, BOOTINFO_BLOCK_MAX);
    const uint8_t *map = ps->pa->map(ps->pa->ctx, ps->info.mmap_addr, len);
    if (!map)
        return mb1_error(ps, HOP_ERR_RANGE, "mmap_addr 0x%x: mmap_length %zu bytes not "
                         "accessible", ps->info.mmap_addr, len);
    for (size_t off = 0; off < len;) {
        uint32_t size = 0;
        int rc = mb1_mmap_entry(ps, map, len, off, &size);
        if (rc != HOP_OK)
            return rc;
        off += sizeof(size) + size; /* <= len: checked in mb1_mmap_entry */
    }
    return HOP_OK;
}

/* The string field of the info structure at offset field_off, if present. */
static int mb1_info_string(struct mb1_parse *ps, size_t field_off, const char *name,
                           const char **out)
{
    char field[48];
    uint32_t addr;
    memcpy(&addr, (const uint8_t *)&ps->info + field_off, sizeof(addr));
    fmt_snprintf(field, sizeof(field), "%s (offset 0x%zx)", name, field_off);
    return mb1_string(ps, addr, field, out);
}

static int mb1_parse_strings(struct mb1_parse *ps)
{
    int rc = HOP_OK;
    if (ps->info.flags & MB1_INFO_CMDLINE)
        rc = mb1_info_string(ps, offsetof(struct mb1_info, cmdline), "cmdline",
                             &ps->bi->cmdline);
    if (rc == HOP_OK && (ps->info.flags & MB1_INFO_LOADER_NAME))
        rc = mb1_info_string(ps, offsetof(struct mb1_info, boot_loader_name),
                             "boot_loader_name", &ps->bi->loader_name);
    return rc;
}

static int mb1_parse(struct bootinfo *bi, paddr_t addr, const struct phys_access *pa,
                     struct hop_error *err)
{
    struct mb1_parse ps = { .bi = bi, .pa = pa, .err = err };
    int rc;
    bi->info_addr = addr;
    const void *p = pa->map(pa->ctx, addr, sizeof(ps.info));
    if (!p)
        return mb1_error(&ps, HOP_ERR_RANGE, "%zu bytes not accessible", sizeof(ps.info));
    memcpy(&ps.info, p, sizeof(ps.info));
    bi->proto = BOOT_PROTO_MB1;
    bi->info_size = sizeof(ps.info);

    if (ps.info.flags & MB1_INFO_MEMORY) {
        bi->mem_lower_kib = ps.info.mem_lower;
        bi->mem_upper_kib = ps.info.mem_upper;
        bi->has_meminfo = true;
    }
    if ((rc = mb1_parse_strings(&ps)) != HOP_OK)
        return rc;
    if ((ps.info.flags & MB1_INFO_MODS) && (rc = mb1_parse_modules(&ps)) != HOP_OK)
        return rc;
    if ((ps.info.flags & MB1_INFO_FRAMEBUFFER) && (rc = mb1_parse_framebuffer(&ps)) != HOP_OK)
        return rc;
    if ((ps.info.flags & MB1_INFO_MMAP) && (rc = mb1_map_from_mmap(&ps)) != HOP_OK)
        return rc;
    if (bi->map_count == 0 && bi->has_meminfo)
        return map_from_meminfo(bi);
    return HOP_OK;
}

/* ==========================================================================
 * Entry point
 * ========================================================================== */

int bootinfo_parse(struct bootinfo *bi, uint32_t magic, paddr_t info_addr,
                   const struct phys_access *pa, struct hop_error *err)
{
    if (!bi || !pa || !pa->map)
        return error_set(err, HOP_ERR_INVALID, "bootinfo_parse: no bootinfo or phys_access");
    memset(bi, 0, sizeof(*bi));
    bi->cmdline = "";
    bi->loader_name = "";
    switch (magic) {
    case MB2_BOOTLOADER_MAGIC: return mb2_parse(bi, info_addr, pa, err);
    case MB1_BOOTLOADER_MAGIC: return mb1_parse(bi, info_addr, pa, err);
    default:
        return error_set(err, HOP_ERR_UNSUPPORTED, "unknown boot loader magic 0x%x", magic);
    }
}
