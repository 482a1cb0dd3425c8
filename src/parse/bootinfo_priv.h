/* What the two boot information parsers (bootinfo_mb2.c, bootinfo_mb1.c)
 * share, and their entry points, which bootinfo_parse (bootinfo.c) calls by
 * magic.  Not for users of struct bootinfo: they include bootinfo.h.
 *
 * The shared helpers are inline rather than in bootinfo.c: bootinfo.c calls
 * the parsers, and calls between files go one way (docs/conventions.md, "No
 * call cycles"). */
#ifndef HOP_BOOTINFO_PRIV_H
#define HOP_BOOTINFO_PRIV_H

#include "lib/string.h"
#include "parse/bootinfo.h"
#include "parse/multiboot.h"

/* Largest info block, module list or memory map we accept: real ones are a
 * few KiB, so anything near this is corrupt. */
#define BOOTINFO_BLOCK_MAX (16u << 20)

/* Each fills bi (already zeroed, strings set to "") from the info block at
 * addr. */
int bootinfo_parse_mb2(struct bootinfo *bi, paddr_t addr, const struct phys_access *pa,
                       struct hop_error *err);
int bootinfo_parse_mb1(struct bootinfo *bi, paddr_t addr, const struct phys_access *pa,
                       struct hop_error *err);

/* The end of [base, base+length), clipped at the top of the address space
 * (the last byte is then lost: end is exclusive and cannot be 2^64). */
static inline paddr_t bootinfo_region_end(paddr_t base, uint64_t length)
{
    paddr_t end;
    if (ADD_OVERFLOWS(base, length, &end))
        return UINT64_MAX;
    return end;
}

/* e820 / multiboot memory map types are enum mem_type's numbers; the ones we
 * do not know (6 disabled, 12 legacy persistent, vendor types) are kept out
 * of the usable pool. */
static inline uint32_t bootinfo_mem_type_from_e820(uint32_t type)
{
    return mem_type_canonical(type);
}

/* Basic meminfo as a map, for loaders that give nothing better: lower memory
 * from 0, upper memory from 1 MiB. */
#define LOWER_MEMORY_MAX_KIB 640 /* above it lie the VGA hole and the BIOS */
#define UPPER_MEMORY_START 0x100000u
#define KIB 1024u

static inline int bootinfo_map_from_meminfo(struct bootinfo *bi)
{
    uint64_t lower = (uint64_t)MIN(bi->mem_lower_kib, LOWER_MEMORY_MAX_KIB) * KIB;
    uint64_t upper = (uint64_t)bi->mem_upper_kib * KIB;
    int rc = bootinfo_add_region(bi, 0, lower, MEM_USABLE);
    if (rc == HOP_OK)
        rc = bootinfo_add_region(bi, UPPER_MEMORY_START,
                                 UPPER_MEMORY_START + upper, MEM_USABLE);
    return rc;
}

/* Appends a module; HOP_ERR_LIMIT when the table is full. */
static inline int bootinfo_module_append(struct bootinfo *bi, paddr_t start, paddr_t end,
                                         const char *cmdline)
{
    if (bi->module_count >= BOOTINFO_MAX_MODULES)
        return HOP_ERR_LIMIT;
    bi->modules[bi->module_count++] =
        (struct boot_module){ .start = start, .end = end, .cmdline = cmdline };
    return HOP_OK;
}

/* Copies the colour layout of an RGB framebuffer into fb; color is a
 * struct mb_fb_rgb, in either protocol's info. */
static inline void bootinfo_fb_set_rgb(struct framebuffer *fb, const void *color)
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

#endif
