/* The boot information entry point: bootinfo_parse picks the parser by the
 * magic the loader passed (multiboot2 in bootinfo_mb2.c, multiboot1 in
 * bootinfo_mb1.c), and here is what both of them share: the map built from
 * basic meminfo, the module table, the framebuffer colour layout.  The map's
 * normalization itself is mm/memmap.c's. */
#include "parse/bootinfo_priv.h"

#include "lib/string.h"
#include "parse/multiboot.h"

/* ==========================================================================
 * The memory map in struct bootinfo
 * ========================================================================== */

int bootinfo_normalize_map(struct bootinfo *bi)
{
    return memmap_normalize(bi->map, &bi->map_count);
}

int bootinfo_add_region(struct bootinfo *bi, paddr_t start, paddr_t end,
                        uint32_t type)
{
    return memmap_add(bi->map, &bi->map_count, start, end, type);
}

uint64_t bootinfo_total(const struct bootinfo *bi, uint32_t type)
{
    return memmap_total(bi->map, bi->map_count, type);
}

paddr_t bootinfo_region_end(paddr_t base, uint64_t length)
{
    paddr_t end;
    if (ADD_OVERFLOWS(base, length, &end))
        return UINT64_MAX;
    return end;
}

/* e820 / multiboot memory map types are enum mem_type's numbers; the ones we
 * do not know (6 disabled, 12 legacy persistent, vendor types) are kept out
 * of the usable pool. */
uint32_t bootinfo_mem_type_from_e820(uint32_t type)
{
    return mem_type_canonical(type);
}

/* Basic meminfo as a map, for loaders that give nothing better: lower memory
 * from 0, upper memory from 1 MiB. */
#define LOWER_MEMORY_MAX_KIB 640 /* above it lie the VGA hole and the BIOS */
#define UPPER_MEMORY_START 0x100000u
#define KIB 1024u

int bootinfo_map_from_meminfo(struct bootinfo *bi)
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

int bootinfo_module_append(struct bootinfo *bi, paddr_t start, paddr_t end,
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
 * Framebuffer
 * ========================================================================== */

void bootinfo_fb_set_rgb(struct framebuffer *fb, const void *color)
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
    case MB2_BOOTLOADER_MAGIC: return bootinfo_parse_mb2(bi, info_addr, pa, err);
    case MB1_BOOTLOADER_MAGIC: return bootinfo_parse_mb1(bi, info_addr, pa, err);
    default:
        return error_set(err, HOP_ERR_UNSUPPORTED, "unknown boot loader magic 0x%x", magic);
    }
}
