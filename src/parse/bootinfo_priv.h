/* What the two boot information parsers share (bootinfo.c), and their entry
 * points, which bootinfo_parse calls by magic.  Not for users of struct
 * bootinfo: they include bootinfo.h. */
#ifndef HOP_BOOTINFO_PRIV_H
#define HOP_BOOTINFO_PRIV_H

#include "parse/bootinfo.h"

/* Largest info block, module list or memory map we accept: real ones are a
 * few KiB, so anything near this is corrupt. */
#define BOOTINFO_BLOCK_MAX (16u << 20)

/* Each fills bi (already zeroed, strings set to "") from the info block at
 * addr (bootinfo_mb2.c, bootinfo_mb1.c). */
int bootinfo_parse_mb2(struct bootinfo *bi, paddr_t addr, const struct phys_access *pa,
                       struct hop_error *err);
int bootinfo_parse_mb1(struct bootinfo *bi, paddr_t addr, const struct phys_access *pa,
                       struct hop_error *err);

/* The end of [base, base+length), clipped at the top of the address space
 * (the last byte is then lost: end is exclusive and cannot be 2^64). */
paddr_t bootinfo_region_end(paddr_t base, uint64_t length);

/* The map type of an e820 / multiboot memory map type. */
uint32_t bootinfo_mem_type_from_e820(uint32_t type);

/* Basic meminfo as the map, for loaders that give nothing better. */
int bootinfo_map_from_meminfo(struct bootinfo *bi);

/* Appends a module; HOP_ERR_LIMIT when the table is full. */
int bootinfo_module_append(struct bootinfo *bi, paddr_t start, paddr_t end,
                           const char *cmdline);

/* Copies the colour layout of an RGB framebuffer into fb; color is a
 * struct mb_fb_rgb (multiboot.h), in either protocol's info. */
void bootinfo_fb_set_rgb(struct framebuffer *fb, const void *color);

#endif
